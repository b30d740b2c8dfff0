"""Text that comes from documents (titles, regions, file names, headings, clause text, issuers,
departments, reasons a file was skipped …) shown on a page: it must read as written, never act as markup.

Two contexts, one helper each:

- **Markdown** — ``st.markdown`` (also with ``unsafe_allow_html`` when the line starts with Markdown or
  plain text), ``st.caption``, ``st.success`` / ``info`` / ``warning`` / ``error``, widget labels,
  ``st.expander`` / ``st.tabs`` labels and ``st.radio`` options: ``md(text)``. A plan titled
  ``[官方下载](http://…)`` stays text, and so does ``<img src=x onerror=…>``.
- **HTML we write** — a line that starts with our own block tag (``<div class=…>``), so Markdown leaves
  its content alone: ``html_text(text)`` (``retrieval.highlight.render_html`` escapes clause text the
  same way).

    st.caption(f"文件：{md(title)}")
    st.markdown(f'<div class="cite-head">{html_text(title)}</div>', unsafe_allow_html=True)
"""

from __future__ import annotations

import html
import re
import string

# CommonMark lets any ASCII punctuation be backslash-escaped, and an escaped character is always literal
# text: no link, image, emphasis, raw HTML, entity, autolink (http\://, www\.), math ($), or Streamlit
# directive (:red[…], :material/…:). Escaping all of it is simpler to trust than a chosen few.
_MD_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]")


def md(text: object) -> str:
    """``text`` for a Markdown context: every ASCII punctuation character escaped, line breaks as spaces
    (a blank line would start a new block)."""
    flat = _LINE_BREAKS.sub(" ", "" if text is None else str(text))
    return _MD_PUNCTUATION.sub(r"\\\1", flat)


def html_text(text: object) -> str:
    """``text`` inside HTML we write: escaped (quotes too, so it may sit in an attribute), line breaks as
    ``<br>`` (a blank line would end the HTML block and hand the rest to Markdown)."""
    escaped = html.escape("" if text is None else str(text), quote=True)
    return _LINE_BREAKS.sub("<br>", escaped)
