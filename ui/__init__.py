"""Shared helpers of the Streamlit app: configuration, cached resources, rendering and the pure functions
behind the pages (context, outline, exports, uploads). Pages stay thin; anything testable lives here."""
