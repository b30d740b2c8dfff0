"""Delta segments (indexer/segments.py): adding a plan writes the plan, and the index answers as one built
from scratch over the same plans."""

from __future__ import annotations

import gc
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from indexer import folders, segments, store
from indexer.build import build_index
from indexer.embedding import EmbedderSettings, make_embedder
from indexer.errors import IndexDamaged
from indexer.store import is_index_folder, load_index, read_manifest
from retrieval.records import Filters
from retrieval.search import Searcher

ROOT = Path(__file__).resolve().parent.parent
PLANS = sorted(p for p in (ROOT / "data").iterdir() if p.suffix == ".txt")


def _embedder():
    return make_embedder(EmbedderSettings(model="fake:64"))


@pytest.fixture
def grow(monkeypatch):
    """Segments may grow past the base (the sample plans are few: a tenth of them is less than one plan)."""
    monkeypatch.setattr(segments, "COMPACT_SHARE", 10.0)


def _build_in_steps(tmp_path, first: int, **kwargs) -> tuple[Path, Path, list]:
    """An index of the first ``first`` plans, then each other plan added by its own build."""
    data, index = tmp_path / "data", tmp_path / "index"
    data.mkdir()
    for plan in PLANS[:first]:
        shutil.copy(plan, data)
    build_index(data, index, embedder=_embedder(), **kwargs)
    reports = []
    for plan in PLANS[first:]:
        shutil.copy(plan, data)
        reports.append(build_index(data, index, embedder=_embedder(), **kwargs))
    return data, index, reports


def _verbs(searcher: Searcher, seeds: list[str]) -> list:
    """What every public verb returns for a spread of questions, filters, comparisons and seeds: hits by
    clause id (rows differ: a segment's rows follow the base), scores beside them."""

    def hits(found):
        return [(h.rank, h.clause_id, h.clause, h.document, h.dense_rank, h.lexical_rank, h.reasons,
                 (h.score, h.dense_score, h.lexical_score)) for h in found]

    out = []
    questions = ["中小企业怎么用专利去银行贷款？", "地理标志保护", "青海 四、（一）2.", "知识产权人才", "谁负责商标执法",
                 "How do the plans support patent pledge loans?", "各地如何开展专利导航", "第七条"]
    for q in questions:
        out.append(hits(searcher.search(q, k=20)))
        out.append(hits(searcher.search(q, k=10, mode="lexical")))
        out.append(hits(searcher.search(q, k=10, mode="dense")))
        out.append(hits(searcher.search(q, k=5, filters=Filters(regions=("青海省",)))))
        out.append(hits(searcher.search(q, k=5, filters=Filters(department="知识产权局"))))
    for q in questions[:4]:
        out.append(sorted((r.region, r.region_level, hits(r.hits)) for r in searcher.compare(q)))
    for cid in seeds:
        out.append(sorted((r.region, hits(r.hits)) for r in searcher.similar_to(cid)))
        out.append(searcher.index.clause(cid))
    return out


def _same(a: list, b: list) -> None:
    """Equal, scores within float tolerance (the same vectors at other rows may round their last bit)."""

    def scores(x):
        if isinstance(x, tuple) and len(x) == 3 and all(isinstance(v, float | None) for v in x):
            yield x
        elif isinstance(x, list | tuple):
            for v in x:
                yield from scores(v)

    strip = json.dumps(_shape(a), ensure_ascii=False, default=repr)
    assert strip == json.dumps(_shape(b), ensure_ascii=False, default=repr)
    for x, y in zip(scores(a), scores(b), strict=True):
        assert all((u is None and v is None) or abs(u - v) <= 1e-5 for u, v in zip(x, y, strict=True)), (x, y)


def _shape(x):
    """``x`` with every score triple replaced by a marker (compared apart, within tolerance)."""
    if isinstance(x, tuple) and len(x) == 3 and all(isinstance(v, float | None) for v in x):
        return "scores"
    if isinstance(x, list | tuple):
        return [_shape(v) for v in x]
    return x


def test_plans_added_as_segments_answer_as_a_fresh_build_of_the_same_plans(tmp_path, grow):
    data, index, reports = _build_in_steps(tmp_path, 2)
    assert [r.segments for r in reports] == [1, 2, 3] and all(r.added for r in reports)
    manifest = read_manifest(index)
    assert [g.folder for g in manifest.segments] == ["segments/000001", "segments/000002", "segments/000003"]
    fresh = tmp_path / "fresh"
    build_index(data, fresh, embedder=_embedder())
    assert read_manifest(fresh).segments == ()
    seg, one = Searcher.open(index), Searcher.open(fresh)
    assert len(seg.clauses) == len(one.clauses) == manifest.counts["clauses"]
    assert sorted(seg.index.ids) == sorted(one.index.ids)
    # BM25 over the segments is the from-scratch score, bit for bit, clause by clause
    order = np.array([one.index.row(cid) for cid in seg.index.ids])
    for q in ("知识产权质押融资", "专利 专利 侵权纠纷", "地理标志", "数字经济发展水平"):
        assert np.array_equal(seg.index.lexical.scores(q), one.index.lexical.scores(q)[order]), q
    assert seg.term_weights() == one.term_weights()
    assert np.allclose(seg.vectors, np.asarray(one.vectors)[order])
    seeds = [one.index.ids[row] for row in range(0, len(one.clauses), len(one.clauses) // 7)]
    _same(_verbs(seg, seeds), _verbs(one, seeds))


def test_adding_a_plan_writes_and_hashes_only_its_segment(tmp_path, grow, monkeypatch):
    data, index = tmp_path / "data", tmp_path / "index"
    data.mkdir()
    for plan in PLANS[:3]:
        shutil.copy(plan, data)
    build_index(data, index, embedder=_embedder())
    load_index(index)  # as the app does: every file hashed once in this process
    before = {p.relative_to(index).as_posix(): p.stat().st_ino for p in index.rglob("*") if p.is_file()}
    old = read_manifest(index)
    os.link(index / "lexical" / "data.csc.index.npy", tmp_path / "old-scores.npy")  # what a reader still maps
    old_scores = (tmp_path / "old-scores.npy").read_bytes()
    hashed: list[str] = []
    real = folders._sha256  # where file_checksums and verify_files read it
    monkeypatch.setattr(folders, "_sha256", lambda path: hashed.append(Path(path).name) or real(path))
    shutil.copy(PLANS[3], data)
    report = build_index(data, index, embedder=_embedder())
    assert report.segments == 1 and report.added == (PLANS[3].name,)
    new = read_manifest(index)
    seg = new.segments[0]
    assert seg.sources == (PLANS[3].name,) and seg.documents == 1
    # every file of the base is the same file (linked, not rewritten), its checksum carried over unread,
    # but the BM25 scores (and their parameters), rescored for the corpus with the new plan as new files
    rescored = {"lexical/data.csc.index.npy", "lexical/params.index.json"}
    after = {p.relative_to(index).as_posix(): p.stat().st_ino for p in index.rglob("*") if p.is_file()}
    assert all(after[rel] == ino for rel, ino in before.items() if rel not in rescored | {"manifest.json"})
    assert all(after[rel] != before[rel] for rel in rescored)
    assert (tmp_path / "old-scores.npy").read_bytes() == old_scores  # never written through the link
    assert {f for f in old.files if f[0] not in rescored} < set(new.files)
    assert {rel for rel, _, _ in set(new.files) - set(old.files)} == rescored | {
        f"{seg.folder}/{name}" for name in ("faiss.index", "sentences.faiss", "sentences.jsonl", "clauses.jsonl",
                                            "rows.npz", "documents.json", "indicators.jsonl")
    } | {f"{seg.folder}/lexical/{p.name}" for p in (index / seg.folder / "lexical").iterdir()}
    assert len(hashed) == len(set(new.files) - set(old.files))  # the files written, nothing else
    hashed.clear()
    load_index(index)  # the new version loads: the files carried over were hashed before, by inode
    assert len(hashed) == len(set(new.files) - set(old.files))
    assert len(list((index / "tokens").iterdir())) == 4  # its token counts are kept for the next build
    assert [s.source for s in new.sources] == [s.source for s in old.sources] + [PLANS[3].name]
    loaded = load_index(index, verify="full")
    assert loaded.manifest.counts["clauses"] == len(loaded.clauses) == old.counts["clauses"] + seg.clauses
    assert [c.doc_id for c in loaded.clauses_of(loaded.documents[-1].document.doc_id)] == [
        loaded.documents[-1].document.doc_id
    ] * seg.clauses
    # nothing changed: up to date, the segment stays
    assert build_index(data, index, embedder=_embedder()).up_to_date


def test_compact_changed_and_removed_plans_and_a_full_share_write_one_index(tmp_path, grow, monkeypatch):
    from indexer.__main__ import main

    data, index, _ = _build_in_steps(tmp_path, 3)
    assert len(read_manifest(index).segments) == 2
    assert main(["build", "--data", str(data), "--index", str(index), "--model", "fake:64", "--quiet",
                 "--compact"]) == 0
    assert read_manifest(index).segments == () and not (index / "segments").exists()
    fresh = tmp_path / "fresh"
    build_index(data, fresh, embedder=_embedder())
    seeds = ["bortala_ip-plan-14th-fyp:1.1", load_index(fresh).ids[40]]
    _same(_verbs(Searcher.open(index), seeds), _verbs(Searcher.open(fresh), seeds))
    # a plan removed: tombstoned (tests/test_tombstones.py); --compact writes the index whole without it
    (data / PLANS[4].name).unlink()
    assert build_index(data, index, embedder=_embedder()).removed == (PLANS[4].name,)
    assert read_manifest(index).tombstones and read_manifest(index).format_version == store.TOMBSTONE_FORMAT
    assert build_index(data, index, embedder=_embedder(), compact=True).segments == 0
    assert read_manifest(index).tombstones == () and read_manifest(index).format_version == store.FORMAT_VERSION
    shutil.copy(PLANS[4], data)
    assert build_index(data, index, embedder=_embedder()).segments == 1
    # segments and dead base rows that would pass COMPACT_SHARE of the base: the index is written whole
    monkeypatch.setattr(segments, "COMPACT_SHARE", 0.10)
    (data / PLANS[0].name).unlink()
    report = build_index(data, index, embedder=_embedder())
    assert report.segments == 0 and report.removed == (PLANS[0].name,) and read_manifest(index).segments == ()
    assert read_manifest(index).tombstones == ()
    shutil.copy(PLANS[0], data)
    assert build_index(data, index, embedder=_embedder()).segments == 0


def test_an_ivf_base_takes_the_segment_vectors_as_faiss_add_would(tmp_path, grow):
    import faiss

    data, index, reports = _build_in_steps(tmp_path, 4, ann_threshold=50)
    assert reports[0].segments == 1
    loaded = load_index(index)
    assert isinstance(loaded.faiss, faiss.IndexIVF) and loaded.manifest.vector_index["type"] == "ivf"
    seg = loaded.manifest.segments[0]
    base = faiss.read_index(str(index / "faiss.index"))
    base.add(faiss.read_index(str(index / seg.folder / "faiss.index")).reconstruct_n(0, seg.clauses))
    base.make_direct_map()
    base.nprobe = loaded.faiss.nprobe
    assert loaded.faiss.ntotal == base.ntotal == len(loaded.clauses)
    assert np.array_equal(loaded.faiss.reconstruct_n(0, base.ntotal), base.reconstruct_n(0, base.ntotal))
    queries = np.asarray(loaded.faiss.reconstruct_n(base.ntotal - 5, 5))
    for params in (None, faiss.SearchParametersIVF(sel=faiss.IDSelectorRange(base.ntotal - 20, base.ntotal))):
        got, want = loaded.faiss.search(queries, 10, params=params), base.search(queries, 10, params=params)
        assert np.array_equal(got[1], want[1]) and np.allclose(got[0], want[0])
    searcher = Searcher(loaded, _embedder())
    assert searcher.search("知识产权质押融资", k=5) and searcher.similar_to(loaded.ids[len(loaded.clauses) - 1])
    del searcher, loaded
    gc.collect()  # the stacked lists free the base's own after the stack (no crash, no double free)


def test_an_index_of_format_2_still_opens_and_the_next_build_rewrites_it(tmp_path, grow):
    """Format 2 kept bm25s's precomputed BM25 matrix: it opens and answers as before; adding a plan to it
    writes the index whole (format 3), as a build always did."""
    from indexer.lexical import Bm25Matrix, LexicalIndex, TokenCounts, bm25_arrays

    data, index = tmp_path / "data", tmp_path / "index"
    data.mkdir()
    for plan in PLANS[:4]:
        shutil.copy(plan, data)
    build_index(data, index, embedder=_embedder())
    new = Searcher.open(index)
    counts = [TokenCounts.load(index / "tokens" / f) for f in _token_files(index)]
    vocab, arrays, n = bm25_arrays(counts)
    shutil.rmtree(index / "lexical")
    LexicalIndex(Bm25Matrix({**arrays, "num_docs": n}, vocab), new.index.lexical.tokenizer, n).save(index / "lexical")
    manifest = json.loads((index / "manifest.json").read_text())
    manifest["format_version"] = 2
    manifest["files"] = [{"path": p, "bytes": b, "sha256": h} for p, b, h in store.file_checksums(index)]
    (index / "manifest.json").write_text(json.dumps(manifest))
    old = Searcher.open(index)
    assert old.index.manifest.format_version == 2 and isinstance(old.index.lexical._bm25, Bm25Matrix)
    seeds = [new.index.ids[0], new.index.ids[50]]
    _same(_verbs(old, seeds), _verbs(new, seeds))
    shutil.copy(PLANS[4], data)
    report = build_index(data, index, embedder=_embedder())
    assert report.segments == 0 and read_manifest(index).format_version == store.FORMAT_VERSION


def _token_files(index: Path) -> list[str]:
    """The token count files of an index's plans, in the order of its sources (as the build merges them)."""
    from indexer.build import texts_for_lexical
    from indexer.lexical import counts_key

    loaded = load_index(index)
    return [f"{counts_key(texts_for_lexical(loaded.clauses_of(d.document.doc_id)), loaded.manifest.tokenizer)}.npz"
            for d in loaded.documents]


def test_segment_folders_are_checked(tmp_path, grow):
    _, index, _ = _build_in_steps(tmp_path, 4)
    assert is_index_folder(index)
    (index / "segments" / "000001" / "notes.txt").write_text("mine")
    assert not is_index_folder(index)  # a folder holding anything else is never replaced
    (index / "segments" / "000001" / "notes.txt").unlink()
    manifest = json.loads((index / "manifest.json").read_text())
    manifest["segments"][0]["folder"] = "../elsewhere"
    (index / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexDamaged):
        load_index(index)
