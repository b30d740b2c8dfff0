"""Embedding at cluster scale: ``python -m indexer embed --ray [--address auto]`` (Ray Data).

The texts an index embeds (each clause's embed text and each sentence unit's, exactly as ``build`` makes
them) are split into shards and embedded by a pool of Ray actors, each loading the embedder once
(``map_batches`` with a callable class); the vectors land as Parquet files of ``key`` (sha1 of the
embedded text, the key ``build`` reuses vectors by) and ``vector`` (float32, unit length), beside a
``plansearch-vectors.json`` naming the model and prompts. ``export-milvus --vectors DIR`` loads them
instead of the index's own vectors. Without ``--ray`` the same files are written in-process, which is
what the Ray job is checked against.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .errors import IndexMismatch, PlanSearchError

SIDECAR = "plansearch-vectors.json"
PROJECT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True)
class EmbedReport:
    texts: int
    files: int
    seconds: float
    workers: int

    def summary(self) -> str:
        return f"embedded {self.texts} texts into {self.files} Parquet file(s) in {self.seconds:.1f} s ({self.workers} worker(s))"


def embed_units(index) -> tuple[list[str], list[str]]:
    """(keys, texts) of everything the index embeds, each distinct text once, in index order."""
    from .build import _key, embed_text, sentence_units

    docs = {d.document.doc_id: d.document for d in index.documents}
    recipe = index.manifest.embed_text
    texts = [embed_text(c, docs[c.doc_id], recipe) for c in index.clauses]
    texts += sentence_units(list(index.clauses), docs, recipe)[2]
    seen: dict[str, str] = {}
    for text in texts:
        seen.setdefault(_key(text), text)
    return list(seen), list(seen.values())


class _Embed:
    """One per Ray actor: the embedder loads once, then embeds every batch the actor is given."""

    def __init__(self, settings):
        from .embedding import get_embedder

        self.embedder = get_embedder(settings)

    def __call__(self, batch: dict) -> dict:
        vectors = self.embedder.embed_documents([str(t) for t in batch["text"]])
        return {"key": batch["key"], "vector": list(np.asarray(vectors, dtype=np.float32))}


def embed_to_parquet(
    index_dir: str | Path,
    out_dir: str | Path,
    *,
    ray: bool = False,
    address: str | None = None,
    workers: int = 2,
    batch_size: int | None = None,
    settings=None,
) -> EmbedReport:
    """Embed what the index at ``index_dir`` embeds with the model its manifest names, into ``out_dir``."""
    import time

    from .embedding.settings import settings_for_index
    from .store import load_index

    index = load_index(index_dir)
    m = index.manifest
    settings = settings or settings_for_index(m)
    keys, texts = embed_units(index)
    out = Path(out_dir)
    if out.exists() and any(p for p in out.iterdir() if p.suffix == ".parquet" or p.name == SIDECAR):
        raise PlanSearchError(f"{out} already holds vectors: give an empty or new folder")
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    if ray:
        files = _with_ray(keys, texts, out, address, workers, batch_size or settings.batch_size, settings)
    else:
        from .embedding import get_embedder

        files = _write(out / "part-00000.parquet", keys, get_embedder(settings).embed_documents(texts))
        workers = 1
    sidecar = {
        "model": m.model,
        "dim": m.dim,
        "query_prompt": m.query_prompt,
        "passage_prompt": m.passage_prompt,
        "embed_text": m.embed_text,
        "texts": len(texts),
    }
    (out / SIDECAR).write_text(json.dumps(sidecar, ensure_ascii=False, indent=1), encoding="utf-8")
    return EmbedReport(len(texts), files, time.perf_counter() - start, workers)


def _with_ray(keys, texts, out: Path, address, workers: int, batch_size: int, settings) -> int:
    try:
        import ray
    except ImportError:
        raise PlanSearchError("embed --ray needs Ray Data: pip install -r requirements-ray.txt") from None
    local = address is None
    if local:  # the workers import this project as the driver does; a cluster installs it (or ships it)
        path = os.pathsep.join(p for p in (str(PROJECT), os.environ.get("PYTHONPATH", "")) if p)
        ray.init(
            num_cpus=workers,
            include_dashboard=False,
            log_to_driver=False,
            logging_level="ERROR",
            runtime_env={"env_vars": {"PYTHONPATH": path}},
        )
    else:
        ray.init(address=address, log_to_driver=False, logging_level="ERROR")
    try:
        import ray.data

        ray.data.DataContext.get_current().enable_progress_bars = False
        # one thread per actor: two actors on two CPUs, not four threads fighting over them
        settings = replace(settings, threads=1)
        ds = ray.data.from_items(
            [{"key": k, "text": t} for k, t in zip(keys, texts, strict=True)], override_num_blocks=max(workers * 4, 1)
        )
        ds = ds.map_batches(
            _Embed, fn_constructor_kwargs={"settings": settings}, concurrency=workers, batch_size=batch_size, num_cpus=1
        )
        ds.write_parquet(str(out))
    finally:
        ray.shutdown()
    return len(list(out.glob("*.parquet")))


def _write(path: Path, keys: list[str], vectors: np.ndarray) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    column = pa.array(
        [v.astype(np.float32) for v in np.asarray(vectors, dtype=np.float32)], type=pa.list_(pa.float32())
    )
    pq.write_table(pa.table({"key": pa.array(keys, type=pa.string()), "vector": column}), path)
    return 1


def load_vectors(folder: str | Path, manifest) -> dict[str, np.ndarray]:
    """The vectors of a Parquet vector folder by key, checked against the index manifest's model."""
    import pyarrow.parquet as pq

    folder = Path(folder)
    try:
        meta = json.loads((folder / SIDECAR).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise PlanSearchError(f"{folder} is not a vector folder of python -m indexer embed ({err})") from None
    wanted = {k: getattr(manifest, k) for k in ("model", "dim", "query_prompt", "passage_prompt", "embed_text")}
    if {k: meta.get(k) for k in wanted} != wanted:
        raise IndexMismatch(
            f"the vectors in {folder} were made with {meta.get('model')} ({meta.get('embed_text')}), "
            f"the index with {manifest.model} ({manifest.embed_text}); embed again"
        )
    out: dict[str, np.ndarray] = {}
    for path in sorted(folder.glob("*.parquet")):
        table = pq.read_table(path, columns=["key", "vector"])
        for key, vector in zip(
            table.column("key").to_pylist(), table.column("vector").to_numpy(zero_copy_only=False), strict=True
        ):
            out[key] = np.asarray(vector, dtype=np.float32)
    return out


def vectors_for(index, by_key: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray | None]:
    """(clause vectors, sentence vectors) of the index, in its row order, from vectors by key."""
    keys = list(index.embed_keys)
    sentence_keys = list(index.sentences.keys) if index.sentences is not None else []
    missing = [k for k in keys + sentence_keys if k not in by_key]
    if missing or len(keys) != len(index.clauses) or not all(keys):
        raise IndexMismatch(f"{len(missing)} of the index's texts have no vector in the Parquet folder; embed again")
    clauses = np.stack([by_key[k] for k in keys]) if keys else np.zeros((0, index.manifest.dim), np.float32)
    sentences = np.stack([by_key[k] for k in sentence_keys]) if sentence_keys else None
    return clauses, sentences
