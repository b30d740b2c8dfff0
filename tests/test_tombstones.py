"""Tombstones (indexer/segments.py): a changed or removed plan costs about what adding one costs, and the
index answers every verb as one built from scratch over the live plans."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from indexer import segments, store
from indexer.build import build_index
from indexer.errors import IndexDamaged, IndexMismatch
from indexer.store import load_index, read_manifest
from retrieval.records import Filters
from retrieval.search import Searcher

from .test_segments import PLANS, _embedder, _same, _verbs


@pytest.fixture
def grow(monkeypatch):
    """Segments and tombstones may grow past the base (the sample plans are few)."""
    monkeypatch.setattr(segments, "COMPACT_SHARE", 10.0)


def _edit(path: Path, old: str = "工作", new: str = "工作修订", count: int = 3) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def _same_as_fresh(tmp_path: Path, data: Path, index: Path, verbs: bool = True) -> None:
    """Every public verb on ``index`` as on a fresh build of ``data``; BM25 bit for bit, clause by clause.

    Rankings break ties by row: a changed plan keeps its place in the rows (its new version takes the
    old one's), so the rows are in a fresh build's order wherever plans were added in file-name order
    (as for added plans, ``verbs`` False where they were not)."""
    fresh = tmp_path / f"fresh-{len(list(tmp_path.iterdir()))}"
    build_index(data, fresh, embedder=_embedder())
    got, want = Searcher.open(index), Searcher.open(fresh)
    assert len(got.clauses) == len(want.clauses) == got.index.manifest.counts["clauses"]
    assert sorted(got.index.ids) == sorted(want.index.ids)
    assert sorted(d.document.doc_id for d in got.index.documents) == sorted(
        d.document.doc_id for d in want.index.documents)
    assert got.index.manifest.counts == want.index.manifest.counts
    assert sorted(map(repr, got.index.indicators)) == sorted(map(repr, want.index.indicators))
    order = np.array([want.index.row(cid) for cid in got.index.ids])
    for q in ("知识产权质押融资", "专利 专利 侵权纠纷", "地理标志", "数字经济发展水平", "修订"):
        assert np.array_equal(got.index.lexical.scores(q), want.index.lexical.scores(q)[order]), q
    assert got.term_weights() == want.term_weights()
    assert got.department_names() == want.department_names()
    assert np.allclose(got.vectors, np.asarray(want.vectors)[order])
    for cid in got.index.ids:  # an id resolves to its live clause (a changed plan reuses its ids)
        assert got.index.clause(cid) == want.index.clause(cid)
    for d in want.index.documents:
        assert got.index.clauses_of(d.document.doc_id) == want.index.clauses_of(d.document.doc_id)
        assert got.index.document(d.document.doc_id) == d
    if not verbs:
        return
    assert [d.document.source for d in got.index.documents] == [d.document.source for d in want.index.documents]
    seeds = [want.index.ids[row] for row in range(0, len(want.clauses), len(want.clauses) // 7)]
    _same(_verbs(got, seeds), _verbs(want, seeds))
    for doc in want.index.documents[:2]:
        doc_id = doc.document.doc_id
        a = got.search("知识产权", k=10, filters=Filters(doc_ids=(doc_id,)))
        b = want.search("知识产权", k=10, filters=Filters(doc_ids=(doc_id,)))
        assert [h.clause_id for h in a] == [h.clause_id for h in b] and a


def _base(tmp_path: Path, plans=PLANS) -> tuple[Path, Path]:
    data, index = tmp_path / "data", tmp_path / "index"
    data.mkdir()
    for plan in plans:
        shutil.copy(plan, data)
    build_index(data, index, embedder=_embedder())
    return data, index


@pytest.mark.parametrize("which", [-1, 1], ids=["last", "middle"])
def test_a_changed_plan_is_tombstoned_and_added_again(tmp_path, grow, which):
    data, index = _base(tmp_path)
    before = read_manifest(index)
    changed = PLANS[which].name
    _edit(data / changed)
    report = build_index(data, index, embedder=_embedder())
    assert report.changed == (changed,) and report.segments == 1 and report.parsed == 1
    manifest = read_manifest(index)
    assert manifest.format_version == store.TOMBSTONE_FORMAT
    assert [s.source for s in manifest.sources] == [s.source for s in before.sources]  # replaced where it stood
    doc_id = next(s.doc_id for s in before.sources if s.source == changed)
    (dead,) = manifest.tombstones
    assert (dead.part, dead.doc_id) == ("", doc_id) and dead.clauses == next(
        s.clauses for s in before.sources if s.source == changed)
    assert manifest.segments[0].sources == (changed,)
    # the base's files were linked, not rewritten: only BM25 scores and the new segment were written
    assert {rel for rel, _, _ in set(manifest.files) - set(before.files)} - {
        "lexical/data.csc.index.npy", "lexical/params.index.json"} <= {
        rel for rel, _, _ in manifest.files if rel.startswith("segments/000001/")}
    # a plan in the middle: its new rows (in a segment) take the old ones' place, ties rank alike
    _same_as_fresh(tmp_path, data, index)
    assert [d.document.source for d in load_index(index).documents] == [p.name for p in PLANS]
    assert build_index(data, index, embedder=_embedder()).up_to_date


def test_a_changed_plan_embeds_only_what_changed(tmp_path, grow, monkeypatch):
    from indexer import build

    data, index = _base(tmp_path)
    changed = PLANS[1].name
    _edit(data / changed, count=1)  # one clause of the plan edited
    report = build_index(data, index, embedder=_embedder())
    assert report.changed == (changed,) and report.segments == 1
    assert 0 < report.embedded <= 4  # the edited clause (and its sentences), not the plan's 20-odd clauses
    _same_as_fresh(tmp_path, data, index)  # the reused vectors are the ones a fresh build computes
    # past the size where reading the index costs more than embedding the plan, it is embedded whole
    monkeypatch.setattr(build, "REUSE_READ_AT_MOST", 0)
    _edit(data / changed, "修订", "修订二", count=1)
    again = build_index(data, index, embedder=_embedder())
    assert again.changed == (changed,) and again.embedded > 20
    _same_as_fresh(tmp_path, data, index)


def test_a_changed_plan_does_not_reuse_damaged_vectors(tmp_path, grow):
    data, index = _base(tmp_path)
    old = load_index(index)
    row = len(old.clauses) // 2
    source = next(d.document.source for d in old.documents if d.document.doc_id == old.clauses[row].doc_id)
    n, dim = len(old.clauses), old.manifest.dim
    del old
    faiss_file = index / "faiss.index"
    raw = bytearray(faiss_file.read_bytes())
    at = len(raw) - n * dim * 4 + row * dim * 4  # a flat index's vectors end the file
    raw[at : at + 4] = b"\x00" * 4  # one number of the plan's vectors zeroed: still a plausible vector
    faiss_file.write_bytes(bytes(raw))
    _edit(data / source, count=1)
    report = build_index(data, index, embedder=_embedder())
    assert report.changed == (source,) and report.embedded > 20  # embedded afresh: its hash is wrong


def test_a_removed_plan_is_tombstoned_only(tmp_path, grow):
    data, index = _base(tmp_path)
    (data / PLANS[2].name).unlink()
    report = build_index(data, index, embedder=_embedder())
    assert report.removed == (PLANS[2].name,) and report.segments == 0 and report.embedded == 0
    manifest = read_manifest(index)
    assert manifest.segments == () and len(manifest.tombstones) == 1
    assert PLANS[2].name not in {s.source for s in manifest.sources}
    _same_as_fresh(tmp_path, data, index)
    gone = manifest.tombstones[0].doc_id
    searcher = Searcher.open(index)
    with pytest.raises(KeyError):
        searcher.similar_to(f"{gone}:1")
    assert all(not h.clause_id.startswith(gone) for q in ("知识产权", "专利") for h in searcher.search(q, k=50))


def test_change_then_add_then_change_again_then_remove(tmp_path, grow):
    data, index = _base(tmp_path, PLANS[:3])
    _edit(data / PLANS[2].name)
    build_index(data, index, embedder=_embedder())
    shutil.copy(PLANS[3], data)
    assert build_index(data, index, embedder=_embedder()).segments == 2
    _same_as_fresh(tmp_path, data, index)
    # a plan added in a segment changed: its version in segment 2 is tombstoned
    _edit(data / PLANS[3].name)
    shutil.copy(PLANS[4], data)
    report = build_index(data, index, embedder=_embedder())
    assert report.changed == (PLANS[3].name,) and report.added == (PLANS[4].name,) and report.segments == 3
    assert [t.part for t in read_manifest(index).tombstones] == ["", "segments/000002"]
    _same_as_fresh(tmp_path, data, index)
    # the plan changed twice changed again (its version in segment 1), one of the base removed
    _edit(data / PLANS[2].name, "工作修订", "工作再修订", 1)
    (data / PLANS[1].name).unlink()
    report = build_index(data, index, embedder=_embedder())
    assert report.changed == (PLANS[2].name,) and report.removed == (PLANS[1].name,)
    assert [t.part for t in read_manifest(index).tombstones][2:] == ["segments/000001", ""]
    _same_as_fresh(tmp_path, data, index)
    (data / PLANS[4].name).unlink()
    assert build_index(data, index, embedder=_embedder()).removed == (PLANS[4].name,)
    _same_as_fresh(tmp_path, data, index)


def test_remove_then_compact_writes_one_base_without_the_dead_rows(tmp_path, grow):
    data, index = _base(tmp_path)
    (data / PLANS[0].name).unlink()
    _edit(data / PLANS[3].name)
    build_index(data, index, embedder=_embedder())
    assert len(read_manifest(index).tombstones) == 2
    report = build_index(data, index, embedder=_embedder(), compact=True)
    manifest = read_manifest(index)
    assert report.segments == 0 and manifest.tombstones == () and manifest.segments == ()
    assert manifest.format_version == store.FORMAT_VERSION
    assert json.loads((index / "manifest.json").read_text())["tombstones"] == []
    _same_as_fresh(tmp_path, data, index)


def test_an_ivf_index_with_tombstones_never_returns_a_dead_row(tmp_path, grow, monkeypatch):
    import faiss

    from retrieval import search

    data, index = tmp_path / "data", tmp_path / "index"
    data.mkdir()
    for plan in PLANS:
        shutil.copy(plan, data)
    build_index(data, index, embedder=_embedder(), ann_threshold=50)
    _edit(data / PLANS[1].name)
    (data / PLANS[2].name).unlink()
    report = build_index(data, index, embedder=_embedder(), ann_threshold=50)
    assert report.segments == 1 and len(read_manifest(index).tombstones) == 2
    loaded = load_index(index)
    assert isinstance(loaded.faiss, faiss.IndexIVF) and isinstance(loaded.sentences.index, faiss.IndexIVF)
    assert loaded.vector_ids is not None and loaded.faiss.ntotal > len(loaded.clauses) == len(loaded.vector_ids)
    assert loaded.sentences.index_ids is not None
    fresh = tmp_path / "fresh"
    build_index(data, fresh, embedder=_embedder(), ann_threshold=50)
    one = load_index(fresh)
    order = np.array([one.row(cid) for cid in loaded.ids])
    assert np.allclose(loaded.vectors(), one.vectors()[order], atol=1e-3)  # fp16 codes
    for ivf in (loaded.faiss, loaded.sentences.index):
        ivf.nprobe = ivf.nlist  # every list probed: FAISS's answers are exact, comparable with exact scoring
    searcher = Searcher(loaded, _embedder())
    live = set(loaded.ids)
    questions = ("知识产权质押融资", "地理标志", "专利导航")
    seeds = [loaded.ids[row] for row in (0, len(loaded.clauses) // 2, len(loaded.clauses) - 1)]

    def answers():
        out = []
        for q in questions:
            out.append([(h.clause_id, round(h.dense_score, 5)) for h in searcher.search(q, k=20, mode="dense")])
            out.append([h.clause_id for h in searcher.search(q, k=10, filters=Filters(department="厅"))])
        for cid in seeds:
            out.append(sorted((r.region, [h.clause_id for h in r.hits]) for r in searcher.similar_to(cid)))
        return out

    exact = answers()  # every allowed row scored exactly through the live rows' vectors (no FAISS search)
    assert all(exact), exact
    assert {cid for a in exact[::2][:3] for cid, _ in a} <= live
    monkeypatch.setattr(search, "ANN_EXACT_BELOW", 0)  # FAISS searches, dead ids translated and left out
    assert answers() == exact
    monkeypatch.setattr(search, "FEW_SHARE", 1.0)  # a filter is applied after an unfiltered search
    assert answers() == exact


def test_an_index_with_tombstones_is_format_4_and_older_code_refuses_it(tmp_path, grow, monkeypatch):
    data, index = _base(tmp_path, PLANS[:4])
    shutil.copy(PLANS[4], data)
    build_index(data, index, embedder=_embedder())
    assert read_manifest(index).format_version == store.FORMAT_VERSION == 3  # adding alone: format 3 as before
    assert "tombstones" in json.loads((index / "manifest.json").read_text())
    (data / PLANS[4].name).unlink()
    build_index(data, index, embedder=_embedder())
    assert read_manifest(index).format_version == 4
    # the code before tombstones (read_manifest reads the name in indexer.manifest)
    monkeypatch.setattr("indexer.manifest.READABLE_FORMATS", (2, 3))
    with pytest.raises(IndexMismatch, match="rebuild it"):
        read_manifest(index)
    monkeypatch.undo()
    # a tombstone that names rows its document does not hold: damaged, never rows of another plan
    manifest = json.loads((index / "manifest.json").read_text())
    manifest["tombstones"][0]["stop"] += 1
    (index / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexDamaged):
        load_index(index)
    manifest["tombstones"][0]["stop"] -= 1
    manifest["format_version"] = 3  # tombstones under format 3: damaged
    (index / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexDamaged):
        load_index(index)


def test_a_part_without_document_ids_in_its_rows_is_found_through_documents_json(tmp_path, grow):
    """Indexes written before rows.npz held the documents' ids: the tombstone is placed by documents.json."""
    data, index = _base(tmp_path)
    with np.load(index / "rows.npz", allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files if k != "doc_ids"}
    with (index / "rows.npz").open("wb") as f:
        np.savez(f, **arrays)
    manifest = json.loads((index / "manifest.json").read_text())
    manifest["files"] = [{"path": p, "bytes": b, "sha256": h} for p, b, h in store.file_checksums(index)]
    (index / "manifest.json").write_text(json.dumps(manifest))
    (data / PLANS[3].name).unlink()
    assert build_index(data, index, embedder=_embedder()).removed == (PLANS[3].name,)
    assert read_manifest(index).tombstones
    _same_as_fresh(tmp_path, data, index)


def test_bm25_ranks_ties_by_the_index_rows_when_a_changed_plan_moved_its_rows():
    """The postings keep their rows; a changed plan's new rows sit in its old place in the index, so ties
    (equal scores) at the k-th place and above rank by the index's rows, as a fresh build's would."""
    from indexer.lexical import TokenCounts
    from indexer.postings import Bm25Postings, Postings

    # rows 10-13 (a plan's new version, moved first) tie with rows 0-5 and 9, many past any k-th place
    texts = ["专利 质押"] * 6 + ["商标"] * 3 + ["专利 质押"] * 5
    postings = Postings.from_counts([TokenCounts.of(texts, "bigram")]).without(np.array([2, 3])).scored()
    bm25 = Bm25Postings([postings])
    live = np.array([10, 11, 12, 13, 0, 1, 4, 5, 6, 7, 8, 9])
    bm25.arrange(live)
    assert bm25.moved and bm25.n_docs == len(live)
    for tokens in (["专利"], ["专利", "质押"], ["商标", "专利"], ["商标"]):
        scores = bm25.get_scores(tokens)
        for k in (1, 2, 3, 4, 5, 7, 12):
            for mask in (np.ones(len(live), dtype=bool), np.arange(len(live)) % 3 != 1):
                want = [r for r in np.lexsort((np.arange(len(live)), -scores)).tolist() if mask[r] and scores[r] > 0][:k]
                rows, got = bm25.top(tokens, mask, k)
                assert rows.tolist() == want and np.array_equal(got, scores[want]), (tokens, k)


@pytest.mark.parametrize("then", ["removed", "changed"])
def test_a_plan_without_clauses_tombstoned_leaves_the_index_loadable(tmp_path, grow, then):
    """A plan that parses to no clause (an attachment's cover page) is a document of no rows: its tombstone
    leaves every row live, and the index still loads and answers as a fresh build."""
    data, index = _base(tmp_path, PLANS[:3])
    tiny = data / "zz_attachment.txt"
    tiny.write_text("附件\n", encoding="utf-8")
    build_index(data, index, embedder=_embedder())
    assert {s.source: s.clauses for s in read_manifest(index).sources}[tiny.name] == 0
    if then == "removed":
        tiny.unlink()
    else:
        tiny.write_text(PLANS[3].read_text(encoding="utf-8"), encoding="utf-8")
    assert getattr(build_index(data, index, embedder=_embedder()), then) == (tiny.name,)
    assert [t.clauses for t in read_manifest(index).tombstones] == [0]
    _same_as_fresh(tmp_path, data, index)
    assert build_index(data, index, embedder=_embedder()).up_to_date


def test_a_token_only_the_dead_rows_hold_is_no_query_token(tmp_path, grow):
    """``lexical.tokens`` (the query tokens some clause holds: similar_to picks its terms among them) and
    ``has`` answer for the live clauses, as a fresh build's do, not for the postings the dead rows keep."""
    data, index = _base(tmp_path)
    (data / PLANS[2].name).unlink()
    build_index(data, index, embedder=_embedder())
    fresh = tmp_path / "fresh"
    build_index(data, fresh, embedder=_embedder())
    got, want = load_index(index).lexical, load_index(fresh).lexical
    vocab = {t for s in got.segments for t in s.vocab if t}
    gone = sorted(vocab - set(want.document_frequencies()))
    assert gone  # the removed plan had words of its own
    assert [t for t in gone if got.has(t)] == [] and got.tokens("".join(gone[:20])) == want.tokens("".join(gone[:20]))


def test_removing_every_plan_leaves_an_index_that_answers_nothing_quietly(tmp_path, grow):
    """Every plan tombstoned: no live clause, so the BM25 corpus has no tokens; the index loads and answers
    nothing, without a division by zero in the length norms."""
    import warnings

    data, index = _base(tmp_path, PLANS[:2])
    for path in list(data.iterdir()):
        if path.suffix == ".txt":
            path.unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        build_index(data, index, embedder=_embedder())
        s = Searcher.open(index)
        assert len(s.clauses) == 0 and s.search("知识产权质押融资", k=5) == []
