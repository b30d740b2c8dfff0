"""Milvus as a serving layer: fill a Milvus collection from a built index (``python -m indexer export-milvus``).

The index folder stays the source of truth (sources, clauses, manifest, vectors); Milvus can always be
refilled from it. Three collections, named after ``collection`` (default ``plansearch``):

- ``<name>``: one row per clause: ``clause_id`` (primary key), ``doc_id``, ``region`` (partition key),
  ``province``, ``level``, ``kind``, ``section_path``, ``number_path`` (the section numbers, ``/4/1/2/``),
  ``departments``, ``text`` with a jieba BM25 function (Milvus's own Chinese full text), ``lexical`` with
  a BM25 function over the index's own tokens (the files backend's jieba+bigram stream, each token written
  as its UTF-8 hex so Milvus's ``standard`` tokenizer keeps it whole: Lite 3.2 has no whitespace
  tokenizer), the clause ``vector`` and the clause record as JSON;
- ``<name>_sentences``: the sentence vectors of the index (MaxP: a clause's dense score is the best of its
  own cosine and its sentences'), keyed to ``clause_id`` and carrying the same filter fields;
- ``<name>_meta``: the documents' metadata (``d:<doc_id>``) and each lexical token's document frequency
  (``t:<token>``), which the answer's confidence and the highlighting weigh terms by.

The index manifest (model, prompts, dimension, tokenizer, fingerprint …) is recorded in the clause
collection's properties, so the query side embeds with the model the collection was filled with.
Every row carries a digest of its content: a re-run upserts only rows whose digest changed and deletes
rows that are gone, so after an incremental build only what changed moves.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import IndexMismatch, PlanSearchError

EXPORT_FORMAT = 1  # bump when the collections' schema or the meaning of a field changes
MANIFEST_PROPERTY = "plansearch.manifest"
DEFAULT_COLLECTION = "plansearch"
DEFAULT_INDEX_TYPE = "HNSW"
# What Milvus Lite really builds. It accepts DISKANN, IVF_PQ, SCANN … at creation and reports them as
# "Finished", then fails in the background and serves brute force: we refuse them instead.
LITE_INDEX_TYPES = ("FLAT", "AUTOINDEX", "HNSW", "HNSW_SQ", "IVF_FLAT", "IVF_SQ8", "BRUTE_FORCE")
INDEX_PARAMS = {
    "HNSW": {"M": 16, "efConstruction": 200},
    "HNSW_SQ": {"M": 16, "efConstruction": 200},
    "IVF_FLAT": {"nlist": 1024},
    "IVF_SQ8": {"nlist": 1024},
    "IVF_PQ": {"nlist": 1024, "m": 16},
    "DISKANN": {},
    "SCANN": {"nlist": 1024},
}
BM25_PARAMS = {"bm25_k1": 1.5, "bm25_b": 0.75}  # bm25s's defaults, which the files backend uses
BATCH = 256
BATCH_BYTES = 8 << 20  # well under gRPC's message limit
MAX_TEXT = 60000  # bytes of a VARCHAR field we fill (Milvus's limit is 65,535)

ENV_VARS = {
    "backend": "PLANSEARCH_BACKEND",
    "uri": "PLANSEARCH_MILVUS_URI",
    "token": "PLANSEARCH_MILVUS_TOKEN",
    "collection": "PLANSEARCH_MILVUS_COLLECTION",
    "index_type": "PLANSEARCH_MILVUS_INDEX_TYPE",
    "partition_key": "PLANSEARCH_MILVUS_PARTITION_KEY",
}
PARTITION_KEY = ("auto", "on", "off")
BACKENDS = ("files", "milvus")


class MilvusUnavailable(PlanSearchError):
    """pymilvus is not installed, or the Milvus server cannot be reached or refuses a request."""


class MilvusForeignCollection(PlanSearchError):
    """The target collection exists and was not made by an export (it would be dropped)."""


class MilvusIndexNotBuilt(PlanSearchError):
    """The vector index type asked for is not the one Milvus built (or not one it can build)."""


@dataclass(frozen=True, slots=True)
class MilvusSettings:
    """Where the Milvus serving layer is. Precedence: overrides > ``PLANSEARCH_*`` env > the ``[milvus]``
    section of ``plansearch.toml`` > defaults. A token is the only secret: keep it in the environment."""

    backend: str = "files"
    uri: str = ""
    token: str = ""
    collection: str = DEFAULT_COLLECTION
    index_type: str = DEFAULT_INDEX_TYPE
    # Region as partition key: a query filtered by region reads only its partitions. Milvus Lite keeps BM25
    # statistics per partition, which ranks each region's clauses by that region's term frequencies
    # (top-5 agreement with the files backend fell from 0.999 to 0.889 on the evaluation questions): "auto"
    # is on for a Milvus server (its query nodes merge BM25 statistics across segments) and off for Lite.
    partition_key: str = "auto"

    def __post_init__(self) -> None:
        if self.partition_key not in PARTITION_KEY:
            raise PlanSearchError(f"partition_key {self.partition_key!r} is not one of {', '.join(PARTITION_KEY)}")
        if self.backend not in BACKENDS:
            raise PlanSearchError(f"backend {self.backend!r} is not one of {', '.join(BACKENDS)}")
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,200}", self.collection):
            raise PlanSearchError(f"Milvus collection name {self.collection!r}: use letters, digits and _")
        object.__setattr__(self, "index_type", self.index_type.upper())

    @classmethod
    def from_env(cls, **overrides: Any) -> MilvusSettings:
        from .embedding.settings import settings_section

        values: dict[str, Any] = {k: str(v) for k, v in settings_section("milvus", ENV_VARS).items()}
        values.update({k: os.environ[v].strip() for k, v in ENV_VARS.items() if os.environ.get(v, "").strip()})
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def is_lite(self) -> bool:
        """A local file URI is served by Milvus Lite inside this process."""
        return not self.uri.startswith(("http://", "https://", "tcp://", "grpc://", "unix:"))

    @property
    def use_partition_key(self) -> bool:
        return self.partition_key == "on" or (self.partition_key == "auto" and not self.is_lite)

    def names(self) -> tuple[str, str, str]:
        c = self.collection
        return c, f"{c}_sentences", f"{c}_meta"


def connect(settings: MilvusSettings):
    """A MilvusClient for the settings' URI; a clear error when pymilvus is missing or the server is not there."""
    if not settings.uri:
        raise MilvusUnavailable(
            "no Milvus URI: give --uri, PLANSEARCH_MILVUS_URI or uri in [milvus] of plansearch.toml"
        )
    try:
        from pymilvus import MilvusClient
    except ImportError:
        raise MilvusUnavailable(
            "the Milvus backend needs pymilvus (and milvus-lite for a local file): "
            "pip install -r requirements-milvus.txt"
        ) from None
    import logging

    # pymilvus logs every failed call with its traceback; the edge reports the error in one line instead.
    logging.getLogger("pymilvus").setLevel(logging.CRITICAL)
    try:
        return MilvusClient(uri=settings.uri, token=settings.token or "")
    except Exception as err:  # noqa: BLE001 - pymilvus raises its own and gRPC's errors
        raise MilvusUnavailable(f"cannot reach Milvus at {settings.uri}: {one_line(err)}") from err


def one_line(err: Exception) -> str:
    text = str(getattr(err, "message", "") or err).strip().splitlines()
    return (text[-1] if text else type(err).__name__)[:200]


# --- the rows -------------------------------------------------------------------------------------------


def hex_tokens(tokens: list[str]) -> str:
    """Tokens as space-separated UTF-8 hex words: Milvus's ``standard`` tokenizer keeps each whole."""
    return " ".join(t.encode("utf-8").hex() for t in tokens if t)


def number_path(section_path) -> tuple[str, list[list]]:
    """``/4/1/2/`` (values only, for a ``like`` pre-filter) and the (scheme, value) pairs ``_match_ref`` needs."""
    from .numbering import match_number

    pairs = []
    for label in section_path:
        num = match_number(label)
        pairs.append([num.scheme, num.value] if num else ["", 0])
    return "/" + "".join(f"{v}/" for _, v in pairs), pairs


def departments_text(departments) -> str:
    return "\x1f".join(departments.all)


def _cut(text: str, limit: int = MAX_TEXT) -> str:
    data = text.encode("utf-8")
    return text if len(data) <= limit else data[:limit].decode("utf-8", "ignore")


def _digest(row: dict, vector: np.ndarray | None) -> str:
    h = hashlib.sha256(json.dumps(row, ensure_ascii=False, sort_keys=True).encode())
    if vector is not None:
        h.update(np.asarray(vector, dtype=np.float32).tobytes())
    return h.hexdigest()[:32]


def clause_rows(index, vectors: np.ndarray | None = None) -> list[dict]:
    from .build import texts_for_lexical
    from .lexical import tokenize

    docs = {d.document.doc_id: d.document for d in index.documents}
    vectors = index.vectors() if vectors is None else vectors
    rows = []
    order: dict[str, int] = {}  # position within its document (the index's order; stable under edits elsewhere)
    for i, (c, lexical_text) in enumerate(zip(index.clauses, texts_for_lexical(list(index.clauses)), strict=True)):
        doc = docs[c.doc_id]
        order[c.doc_id] = order.get(c.doc_id, -1) + 1
        path, numbers = number_path(c.section_path)
        row = {
            "clause_id": c.clause_id,
            "doc_id": c.doc_id,
            "region": c.region,
            "province": doc.province,
            "level": doc.region_level,
            "kind": c.kind,
            "section_path": list(c.section_path)[:64],
            "number_path": path,
            "departments": departments_text(c.departments),
            "text": _cut(lexical_text),
            "lexical": _cut(hex_tokens(tokenize(lexical_text, index.manifest.tokenizer))),
            "record": {"clause": c.to_json(), "numbers": numbers, "order": order[c.doc_id]},
        }
        row["digest"] = _digest(row, vectors[i])
        row["vector"] = vectors[i].astype(np.float32).tolist()
        rows.append(row)
    return rows


def sentence_rows(index, clauses: list[dict], vectors: np.ndarray | None = None) -> list[dict]:
    s = index.sentences
    if s is None:
        return []
    vectors = s.vectors if vectors is None else vectors
    rows = []
    for j, (r, span) in enumerate(zip(s.rows.tolist(), s.spans, strict=True)):
        c = clauses[r]
        row = {
            "sentence_id": f"{c['clause_id']}@{span[0]}-{span[1]}",
            "clause_id": c["clause_id"],
            "doc_id": c["doc_id"],
            "region": c["region"],
            "kind": c["kind"],
            "section_path": c["section_path"],
            "departments": c["departments"],
        }
        row["digest"] = _digest(row, vectors[j])
        row["vector"] = vectors[j].astype(np.float32).tolist()
        rows.append(row)
    return rows


def meta_rows(index) -> list[dict]:
    """Documents (``d:``, with their position in the index), token document frequencies (``t:``) and the
    blobs the app's pages read (``b:``): the whole manifest, the departments clauses name (the filter's
    list) and the documents naming each, each document's headings and cleaned text, each document's
    indicator rows, cut into pieces a JSON field of any Milvus takes."""
    by_doc: dict[str, list] = {}
    for ind in index.indicators:
        by_doc.setdefault(ind.doc_id, []).append(ind.to_json())
    rows = [
        {"key": f"d:{d.document.doc_id}", "data": {"document": d.document.to_json(), "position": i}}
        for i, d in enumerate(index.documents)
    ]
    rows += [
        {"key": f"t:{t}", "data": {"df": n}}
        for t, n in sorted(index.lexical.document_frequencies().items())
        if len(t.encode("utf-8")) < 500
    ]
    rows += blob_rows("manifest", index.manifest.to_json())
    naming: dict[str, set[str]] = {}
    for c in index.clauses:
        for dep in c.departments.all:
            naming.setdefault(dep, set()).add(c.doc_id)
    rows += blob_rows("departments", sorted(naming))
    # which documents name each department (the compare filter's regions), so that no query scans the rows
    rows += blob_rows("department_docs", {dep: sorted(docs) for dep, docs in sorted(naming.items())})
    for d in index.documents:
        entry = {"headings": [h.to_json() for h in d.headings], "text": d.text}
        rows += blob_rows(f"doc:{d.document.doc_id}", entry)
        rows += blob_rows(f"indicators:{d.document.doc_id}", by_doc.get(d.document.doc_id, []))
    for row in rows:
        row["digest"] = _digest(row, None)
        row["vector"] = [1.0, 0.0]  # Milvus wants a vector field in every collection
    return rows


BLOB_PIECE = 16000  # characters (≤ 48 kB of UTF-8): under a Milvus server's 64 kB limit on a JSON value


def blob_rows(name: str, value) -> list[dict]:
    """A JSON value as rows ``b:<name>:<i>`` of string pieces (``read_blob`` joins them)."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    pieces = [text[i : i + BLOB_PIECE] for i in range(0, len(text), BLOB_PIECE)] or [""]
    return [{"key": f"b:{name}:{i:06d}", "data": {"s": p, "n": len(pieces)}} for i, p in enumerate(pieces)]


def join_blob(rows: list[dict]):
    """The value of a blob from its rows (any order); None when pieces are missing."""
    pieces = sorted((r["key"], r["data"]) for r in rows)
    if not pieces or len(pieces) != pieces[0][1]["n"]:
        return None
    return json.loads("".join(d["s"] for _, d in pieces))


def manifest_property(index, settings: MilvusSettings) -> dict:
    m = index.manifest
    return {
        "export_format": EXPORT_FORMAT,
        "format_version": m.format_version,
        "parser_version": m.parser_version,
        "model": m.model,
        "dim": m.dim,
        "query_prompt": m.query_prompt,
        "passage_prompt": m.passage_prompt,
        "embed_text": m.embed_text,
        "tokenizer": m.tokenizer,
        "normalization": m.normalization,
        "fingerprint": m.fingerprint,
        "built_at": m.built_at,
        "index_type": settings.index_type,
        "partition_key": settings.use_partition_key,
        "counts": {
            "clauses": len(index.clauses),
            "documents": len(index.documents),
            "sentences": 0 if index.sentences is None else len(index.sentences.rows),
        },
    }


def read_manifest_property(client, name: str) -> dict | None:
    """The manifest recorded on a clause collection, or None when there is no such collection."""
    if not client.has_collection(name):
        return None
    raw = client.describe_collection(name).get("properties", {}).get(MANIFEST_PROPERTY)
    try:
        return json.loads(raw) if raw else {}
    except json.JSONDecodeError:
        return {}


# --- the schemas --------------------------------------------------------------------------------------


def _schemas(client, dim: int, index_type: str, partition_key: bool):
    from pymilvus import DataType, Function, FunctionType

    def text(s, name, n=MAX_TEXT + 4, **kw):
        s.add_field(name, DataType.VARCHAR, max_length=n, **kw)

    clauses = client.create_schema(auto_id=False)
    text(clauses, "clause_id", 1024, is_primary=True)
    text(clauses, "doc_id", 512)
    text(clauses, "region", 256, is_partition_key=partition_key)
    text(clauses, "province", 256)
    text(clauses, "level", 64)
    text(clauses, "kind", 64)
    clauses.add_field("section_path", DataType.ARRAY, element_type=DataType.VARCHAR, max_capacity=64, max_length=4096)
    text(clauses, "number_path", 2048)
    text(clauses, "departments", 8192)
    text(clauses, "text", enable_analyzer=True, analyzer_params={"tokenizer": "jieba"})
    text(clauses, "lexical", enable_analyzer=True, analyzer_params={"tokenizer": "standard"})
    clauses.add_field("text_bm25", DataType.SPARSE_FLOAT_VECTOR)
    clauses.add_field("lexical_bm25", DataType.SPARSE_FLOAT_VECTOR)
    clauses.add_field("record", DataType.JSON)
    text(clauses, "digest", 64)
    clauses.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    for field_in in ("text", "lexical"):
        clauses.add_function(
            Function(
                name=f"{field_in}_bm25_fn",
                function_type=FunctionType.BM25,
                input_field_names=[field_in],
                output_field_names=[f"{field_in}_bm25"],
            )
        )

    sentences = client.create_schema(auto_id=False)
    text(sentences, "sentence_id", 1100, is_primary=True)
    text(sentences, "clause_id", 1024)
    text(sentences, "doc_id", 512)
    text(sentences, "region", 256, is_partition_key=partition_key)
    text(sentences, "kind", 64)
    sentences.add_field("section_path", DataType.ARRAY, element_type=DataType.VARCHAR, max_capacity=64, max_length=4096)
    text(sentences, "departments", 8192)
    text(sentences, "digest", 64)
    sentences.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)

    meta = client.create_schema(auto_id=False)
    text(meta, "key", 1024, is_primary=True)
    meta.add_field("data", DataType.JSON)
    text(meta, "digest", 64)
    meta.add_field("vector", DataType.FLOAT_VECTOR, dim=2)

    def vector_index(extra_sparse: bool):
        params = client.prepare_index_params()
        params.add_index("vector", index_type=index_type, metric_type="IP", params=INDEX_PARAMS.get(index_type, {}))
        if extra_sparse:
            for name in ("text_bm25", "lexical_bm25"):
                params.add_index(name, index_type="SPARSE_INVERTED_INDEX", metric_type="BM25", params=BM25_PARAMS)
        return params

    meta_index = client.prepare_index_params()
    meta_index.add_index("vector", index_type="FLAT", metric_type="IP")
    return [(clauses, vector_index(True)), (sentences, vector_index(False)), (meta, meta_index)]


def verify_index(client, name: str, settings: MilvusSettings) -> None:
    """Fail clearly when the vector index is not the one configured (Milvus Lite accepts DISKANN, IVF_PQ and
    SCANN, says "Finished" and silently serves without them)."""
    wanted = settings.index_type
    if settings.is_lite and wanted not in LITE_INDEX_TYPES:
        raise MilvusIndexNotBuilt(
            f"Milvus Lite does not build {wanted} indexes (it accepts them and serves brute force); "
            f"use one of {', '.join(LITE_INDEX_TYPES)} or a Milvus server"
        )
    info = client.describe_index(name, "vector") or {}
    built, state = str(info.get("index_type", "")).upper(), str(info.get("state", ""))
    if built != wanted or state.lower() == "failed":
        reason = info.get("index_state_fail_reason") or f"index type {built or 'none'}, state {state or 'unknown'}"
        raise MilvusIndexNotBuilt(f"collection {name}: the {wanted} vector index was not built ({reason})")


# --- the export -----------------------------------------------------------------------------------------


@dataclass(slots=True)
class ExportReport:
    collection: str
    recreated: bool = False
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # collection → upserted/deleted/unchanged

    def summary(self) -> str:
        parts = [
            f"{name}: {c['upserted']} upserted, {c['deleted']} deleted, {c['unchanged']} unchanged"
            for name, c in self.counts.items()
        ]
        head = f"exported to Milvus collection {self.collection}" + (" (recreated)" if self.recreated else "")
        return head + "\n" + "\n".join(parts)


def export_index(
    index_dir: str | Path,
    settings: MilvusSettings,
    *,
    client=None,
    vectors: str | Path | None = None,
    replace_foreign: bool = False,
) -> ExportReport:
    """Fill (or bring up to date) the Milvus collections from the index at ``index_dir``; ``vectors``: a
    Parquet folder of ``python -m indexer embed [--ray]`` to take the vectors from instead of the index."""
    from .store import load_index

    index = load_index(index_dir)
    loaded = None
    if vectors is not None:
        from .embed_ray import load_vectors, vectors_for

        loaded = vectors_for(index, load_vectors(vectors, index.manifest))
    client = client or connect(settings)
    try:
        return _export(client, index, settings, loaded, replace_foreign)
    except PlanSearchError:
        raise
    except Exception as err:  # noqa: BLE001 - pymilvus and gRPC errors become one line
        raise MilvusUnavailable(f"Milvus at {settings.uri} refused the export: {one_line(err)}") from err


def _export(client, index, settings: MilvusSettings, vectors=None, replace_foreign: bool = False) -> ExportReport:
    names = settings.names()
    wanted = manifest_property(index, settings)
    have = read_manifest_property(client, names[0])
    # A collection of the same name that an export did not make holds someone else's data: never drop it
    # unless the operator says so.
    ours = bool(have) and "export_format" in have
    foreign = [name for name in names if client.has_collection(name)] if not ours else []
    if foreign and not replace_foreign:
        raise MilvusForeignCollection(
            f"Milvus already has collection(s) {', '.join(foreign)} that plansearch did not create; choose "
            "another --collection, or pass --replace-foreign to drop them"
        )
    # A different schema, dimension, tokenizer or index type cannot be upserted into: start again.
    same_shape = have is not None and all(
        have.get(k) == wanted[k] for k in ("export_format", "dim", "tokenizer", "index_type", "model", "partition_key")
    )
    report = ExportReport(names[0], recreated=have is not None and not same_shape)
    if not same_shape:
        for name in names:
            if client.has_collection(name):
                client.drop_collection(name)
        for name, (schema, params) in zip(
            names, _schemas(client, index.manifest.dim, settings.index_type, settings.use_partition_key), strict=True
        ):
            client.create_collection(name, schema=schema, index_params=params)
        verify_index(client, names[0], settings)
        verify_index(client, names[1], settings)
        # Marked as being filled until the end: a query never reads a half-filled collection, and an
        # export that stops here is started again from scratch (no dimension recorded yet).
        client.alter_collection_properties(
            names[0], {MANIFEST_PROPERTY: json.dumps({"export_format": EXPORT_FORMAT, "fingerprint": "updating"})}
        )
    else:  # the content is about to change: no query may trust the old manifest meanwhile
        client.alter_collection_properties(
            names[0], {MANIFEST_PROPERTY: json.dumps({**have, "fingerprint": "updating"})}
        )
    clause_vectors, sentence_vectors = vectors if vectors is not None else (None, None)
    clauses = clause_rows(index, clause_vectors)
    meta = meta_rows(index)
    wanted["counts"]["terms"] = sum(1 for r in meta if r["key"].startswith("t:"))
    keys = (
        ("clause_id", names[0], clauses),
        ("sentence_id", names[1], sentence_rows(index, clauses, sentence_vectors)),
        ("key", names[2], meta),
    )
    for key, name, rows in keys:
        report.counts[name] = _sync(client, name, key, rows)
    for name in names:
        client.flush(name)
        client.load_collection(name)
    client.alter_collection_properties(names[0], {MANIFEST_PROPERTY: json.dumps(wanted, ensure_ascii=False)})
    return report


def _sync(client, name: str, key: str, rows: list[dict]) -> dict[str, int]:
    """Upsert the rows whose digest differs from the stored one, delete stored rows that are gone."""
    stored = existing_digests(client, name, key)
    fresh = {r[key]: r for r in rows}
    changed = [r for r in rows if stored.get(r[key]) != r["digest"]]
    gone = sorted(set(stored) - set(fresh))
    for batch in _batches(changed):
        client.upsert(name, batch)
    for i in range(0, len(gone), BATCH):
        client.delete(name, ids=gone[i : i + BATCH])
    return {"upserted": len(changed), "deleted": len(gone), "unchanged": len(rows) - len(changed)}


def _batches(rows: list[dict]):
    """Rows in batches of at most BATCH rows and about BATCH_BYTES (a clause row can be 100 kB of text)."""
    batch, size = [], 0
    for row in rows:
        n = len(row.get("text", "")) * 3 + len(row.get("lexical", "")) + len(json.dumps(row.get("data", ""))) + 4000
        if batch and (len(batch) >= BATCH or size + n > BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(row)
        size += n
    if batch:
        yield batch


def existing_digests(client, name: str, key: str) -> dict[str, str]:
    client.load_collection(name)
    out: dict[str, str] = {}
    it = client.query_iterator(name, batch_size=1000, filter=f'{key} != ""', output_fields=[key, "digest"])
    try:
        while batch := it.next():
            out.update({r[key]: r["digest"] for r in batch})
    finally:
        it.close()
    return out


def check_manifest(have: dict | None, name: str) -> dict:
    """The manifest of a collection the query side can use, or a typed error saying what to run."""
    if have is None:
        raise IndexMismatch(f"no Milvus collection {name}: run python -m indexer export-milvus")
    if have.get("export_format") != EXPORT_FORMAT:
        raise IndexMismatch(
            f"Milvus collection {name} was filled by another version; run python -m indexer export-milvus"
        )
    if have.get("fingerprint") == "updating":
        raise IndexMismatch(
            f"Milvus collection {name} is being updated (or an export stopped half-way); "
            "run python -m indexer export-milvus"
        )
    return have
