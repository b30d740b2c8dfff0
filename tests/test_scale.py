"""Scale: the vectorised per-query paths give exactly what the clause-by-clause paths gave, the index
holds one copy of its vectors, and large indexes are searched through an ANN index the manifest records.

The ``_old_*`` functions are the loops ``retrieval/search.py`` ran before its columns (kept here as the
reference the columns must reproduce on the fixture index)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from indexer.numbering import match_number
from retrieval.query import SectionRef, section_ref_tries, type_matches
from retrieval.ranking import first_of_each
from retrieval.records import Filters
from retrieval.search import _match_ref

# --- the old paths, verbatim in substance ----------------------------------------------------------------


def _old_numbers(searcher):
    out = []
    for c in searcher.clauses:
        nums = []
        for label in c.section_path:
            num = match_number(label)
            nums.append((num.scheme, num.value) if num else ("", 0))
        out.append(tuple(nums))
    return out


def _old_match_rows(numbers, candidates, ref):
    best_len, rows = 0, []
    for i in candidates:
        n = _match_ref(numbers[i], ref)
        if n > best_len:
            best_len, rows = n, [i]
        elif n == best_len and n > 0:
            rows.append(i)
    return rows


def _old_resolve(searcher, numbers, ref, mask, doc_types=()):
    clauses = searcher.clauses
    candidates = [i for i in range(len(clauses)) if mask[i] and clauses[i].kind != "indicator"]
    if doc_types:
        typed = [i for i in candidates if type_matches(doc_types, searcher.docs[clauses[i].doc_id].doc_type)]
        candidates = typed or candidates
    rows = _old_match_rows(numbers, candidates, ref)
    loose = section_ref_tries(ref)[1:]  # whatever the schemes, within their family (stop 28)
    if not rows and loose:
        rows = _old_match_rows(numbers, candidates, SectionRef(loose[0], ref.text))
    return sorted(rows, key=lambda i: (clauses[i].doc_id, clauses[i].span[0]))


def _old_mask(searcher, filters):
    mask = np.ones(len(searcher.clauses), dtype=bool)
    for i, c in enumerate(searcher.clauses):
        doc = searcher.docs[c.doc_id]
        if filters.regions and not (doc.region in filters.regions or doc.province in filters.regions):
            mask[i] = False
        elif filters.levels and doc.region_level not in filters.levels:
            mask[i] = False
        elif filters.doc_ids and doc.doc_id not in filters.doc_ids:
            mask[i] = False
        elif filters.kinds and c.kind not in filters.kinds:
            mask[i] = False
        elif filters.department and not any(filters.department in d for d in c.departments.all):
            mask[i] = False
        elif filters.section_prefix and c.section_path[: len(filters.section_prefix)] != filters.section_prefix:
            mask[i] = False
    return mask


class _Query:  # what _resolve reads of a ParsedQuery (no title, region or heading words named)
    def __init__(self, ref, doc_types=()):
        self.section_ref, self.doc_types = ref, doc_types
        self.search_text, self.regions = "", ()


def _references(numbers):
    """Every window of every clause's number path, as typed (its schemes), as '*', with 1. / 1、 swapped,
    and a few that match nothing."""
    refs = set()
    for nums in set(numbers):
        for a, b in itertools.combinations(range(len(nums) + 1), 2):
            window = nums[a:b]
            refs.add(window)
            refs.add(tuple(("*", v) for _, v in window))
            refs.add(tuple(({"n.": "n、", "n、": "n."}.get(s, s), v) for s, v in window))
            refs.add(tuple(("第条", v) for _, v in window))  # 第七条 in a plan numbered （七）: the '*' fallback
            refs.add((*window[:-1], ("*", window[-1][1])))  # mixed
    refs |= {(("cn、", 99),), (("*", 0),), (("n.", 1), ("n.", 1), ("n.", 1), ("n.", 1))}
    return sorted(refs)


def test_section_references_match_the_clause_by_clause_path(fake_searcher):
    s = fake_searcher
    numbers = _old_numbers(s)
    refs = _references(numbers)
    assert len(refs) > 300
    every = np.ones(len(s.clauses), dtype=bool)
    qinghai = s._mask(Filters(regions=("青海省",)))
    masks = [(every, ()), (qinghai, ()), (every, ("实施意见",)), (every, ("条例",)), (qinghai, ("规划",))]
    found = 0
    for ref_numbers in refs:
        ref = SectionRef(ref_numbers, "typed")
        for mask, doc_types in masks:
            want = _old_resolve(s, numbers, ref, mask, doc_types)
            got = s._resolve(_Query(ref, doc_types), mask)
            # the same rows; several documents' sections are shown each document's first (document order else)
            assert sorted(got) == sorted(want), (ref_numbers, doc_types)
            assert got == first_of_each(want, [s._row_doc[r] for r in want]), (ref_numbers, doc_types)
            found += bool(want)
    assert found > 500  # most references resolve to something: the comparison is not vacuous


def test_star_fallback_is_exercised(fake_searcher):
    s = fake_searcher
    numbers = _old_numbers(s)
    ref = SectionRef((("第条", 4), ("第条", 1)), "第四条第一条")
    every = np.ones(len(s.clauses), dtype=bool)
    assert not _old_match_rows(numbers, range(len(s.clauses)), ref)  # no 第X条 numbering: only the fallback finds it
    rows = s._resolve(_Query(ref), every)
    want = _old_resolve(s, numbers, ref, every)
    assert rows and rows == first_of_each(want, [s._row_doc[r] for r in want])


@pytest.mark.parametrize(
    "filters",
    [
        Filters(),
        Filters(department="省法院"),
        Filters(department="知识产权局"),
        Filters(department="局"),
        Filters(department="没有这个部门"),
        Filters(section_prefix=("四、重点任务",)),
        Filters(section_prefix=("四、重点任务", "（一）强化知识产权全链条保护")),
        Filters(section_prefix=("不存在",)),
        Filters(regions=("青海省",), department="知识产权局"),
        Filters(levels=("省",), section_prefix=("四、重点任务",)),
        Filters(regions=("山西省", "泰安市"), kinds=("indicator",)),
        Filters(doc_ids=("no-such-doc",)),
        Filters(regions=("山东省",)),  # a province: 泰安市's documents
        Filters(kinds=("indicator",)),  # row-level filters alone, and together
        Filters(kinds=("clause",), department="局"),
        Filters(department="知识产权局", section_prefix=("四、重点任务",)),
    ],
)
def test_filters_match_the_clause_by_clause_path(fake_searcher, filters):
    assert np.array_equal(fake_searcher._mask(filters), _old_mask(fake_searcher, filters))


def test_every_prefix_of_every_path_filters_like_the_loop(fake_searcher):
    s = fake_searcher
    prefixes = {c.section_path[:n] for c in s.clauses for n in range(1, len(c.section_path) + 1)}
    for prefix in sorted(prefixes):
        f = Filters(section_prefix=prefix)
        assert np.array_equal(s._mask(f), _old_mask(s, f)), prefix


def test_similar_to_mask_is_the_clause_by_clause_mask(fake_searcher, monkeypatch):
    s = fake_searcher
    seen = []
    rank = type(s)._rank

    def spy(self, pq, qv, mask, k, pinned, mode="hybrid"):
        seen.append(mask.copy())
        return rank(self, pq, qv, mask, k, pinned, mode)

    monkeypatch.setattr(type(s), "_rank", spy)
    for clause in s.clauses[:: max(1, len(s.clauses) // 12)]:
        seen.clear()
        s.similar_to(clause.clause_id)
        want = np.array([c.region != clause.region and c.kind != "indicator" for c in s.clauses])
        assert np.array_equal(seen[0], want)


# --- one copy of the vectors, exact search bit for bit ------------------------------------------------------


def test_exact_dense_scores_are_bit_for_bit_the_old_brute_force(fake_searcher):
    s = fake_searcher
    index = s.index
    vectors = index.faiss.reconstruct_n(0, index.faiss.ntotal)  # the old copies
    sentences = index.sentences.index.reconstruct_n(0, index.sentences.index.ntotal)
    assert len(sentences) > 100
    for text in ("知识产权质押融资", "地理标志保护", "人才队伍建设", "How do the plans support patent loans?"):
        qv = s.embedder.embed_query(text)
        old = vectors @ qv
        np.maximum.at(old, index.sentences.rows, sentences @ qv)
        assert np.array_equal(s._dense(qv), old)


def test_the_loaded_searcher_holds_one_copy_of_the_vectors(fake_searcher):
    import faiss

    s = fake_searcher
    for held, store in ((s.vectors, s.index.faiss), (s._sentence_vectors, s.index.sentences.index)):
        assert isinstance(held, np.ndarray) and not held.flags.writeable
        # the very bytes FAISS holds, not a copy of them
        assert held.ctypes.data == faiss.rev_swig_ptr(store.get_xb(), 1).ctypes.data
        assert held.shape == (store.ntotal, store.d)
    assert s.index.sentences.vectors.ctypes.data == s._sentence_vectors.ctypes.data


def test_a_view_keeps_its_index_alive(fake_index_dir):
    import gc

    from indexer.store import load_index

    view = load_index(fake_index_dir).vectors()
    gc.collect()
    norms = np.einsum("ij,ij->i", view, view)  # would read freed memory if the index had gone
    assert np.allclose(norms, 1.0, atol=1e-3)


# --- an ANN index above the threshold -------------------------------------------------------------------


@pytest.fixture(scope="module")
def ann_index_dir(tmp_path_factory):
    from indexer.build import build_index
    from indexer.embedding import EmbedderSettings, make_embedder
    from tests.conftest import ROOT

    folder = tmp_path_factory.mktemp("ann-index") / "index"
    build_index(ROOT / "data", folder, embedder=make_embedder(EmbedderSettings(model="fake:64")), ann_threshold=50)
    return folder


def test_the_manifest_records_flat_below_and_ivf_above_the_threshold(fake_searcher, ann_index_dir):
    import faiss

    from indexer.store import ANN_THRESHOLD, read_manifest

    assert fake_searcher.index.manifest.vector_index == {"type": "flat", "threshold": ANN_THRESHOLD}
    spec = read_manifest(ann_index_dir).vector_index
    assert spec["type"] == "ivf" and spec["threshold"] == 50 and spec["nlist"] >= 2 and spec["nprobe"] >= 1
    from retrieval.search import Searcher

    ann = Searcher.open(ann_index_dir)
    assert isinstance(ann.index.faiss, faiss.IndexIVF) and ann.index.faiss.nlist == spec["nlist"]
    assert isinstance(ann.index.sentences.index, faiss.IndexIVF)
    assert not isinstance(ann.vectors, np.ndarray)  # rows of the IVF index, no flat copy beside it
    rows = ann.vectors
    whole = np.asarray(rows)  # what an export reads: every row decoded
    assert whole.shape == rows.shape == (len(ann.clauses), 64)
    assert np.array_equal(whole[3], rows[3]) and np.array_equal(rows[2:5], whole[2:5])
    assert np.array_equal(rows[np.array([7, 1])], whole[[7, 1]])


def test_the_ivf_path_is_used_and_agrees_with_exact_search(fake_searcher, ann_index_dir, monkeypatch):
    from retrieval import search
    from retrieval.search import Searcher

    ann = Searcher.open(ann_index_dir)
    calls = []
    real = search._ann_search
    monkeypatch.setattr(search, "_ann_search", lambda *a: calls.append(a[3]) or real(*a))
    monkeypatch.setattr(search, "ANN_EXACT_BELOW", 0)  # every query through FAISS, filters as selectors
    for q in ("知识产权质押融资", "地理标志保护", "商业秘密保护", "青海 四、(一)2."):
        got = [h.clause_id for h in ann.search(q, k=5)]
        want = [h.clause_id for h in fake_searcher.search(q, k=5)]
        assert got == want, q
    assert calls and calls[0] is None
    calls.clear()
    hits = ann.search("专利", k=10, filters=Filters(regions=("青海省",)))
    assert hits and {h.clause.region for h in hits} == {"青海省"}
    assert calls and calls[0] is not None  # the filter went to FAISS as a selector
    sim = ann.similar_to(hits[0].clause_id)
    assert sim and "青海省" not in {r.region for r in sim}


def test_a_small_filtered_set_is_scored_exactly_on_the_ivf_index(fake_searcher, ann_index_dir):
    from retrieval.search import Searcher

    ann = Searcher.open(ann_index_dir)
    mask = fake_searcher._mask(Filters(regions=("泰安市",)))
    qv = fake_searcher.embedder.embed_query("知识产权保护")
    dense, allowed = ann._ann_dense(qv, mask)
    assert np.array_equal(allowed, mask)
    exact = fake_searcher._dense(qv)
    np.testing.assert_allclose(dense[mask], exact[mask], atol=2e-3)  # fp16 storage


def test_a_department_filter_is_scored_exactly_in_the_ivf_lists(ann_index_dir, monkeypatch):
    """The rows a filter keeps are scored in place (indexer/ivfcodes.py), not decoded by FAISS one by one:
    the dense scores of every allowed row are exact MaxP cosines, and the hits those FAISS decodes give."""
    from indexer import ivfcodes, store
    from retrieval.search import Searcher

    def decoded(self, rows):
        raise AssertionError("a filtered query decoded rows through FAISS")

    ann = Searcher.open(ann_index_dir)
    index = ann.index
    busiest = max(ann.department_names(), key=lambda name: len(ann._cols.department_rows(name)))
    filters = Filters(department=busiest)
    mask = ann._mask(filters)
    assert 0 < mask.sum() < len(mask)
    vectors = index.faiss.reconstruct_n(0, index.faiss.ntotal)
    sentences = index.sentences.index.reconstruct_n(0, index.sentences.index.ntotal)
    questions = ("知识产权质押融资", "地理标志保护", "谁负责商标执法")
    with monkeypatch.context() as m:
        m.setattr(store.IndexRows, "take", decoded)
        for q in questions:
            qv = ann.embedder.embed_query(q)
            exact = vectors @ qv
            np.maximum.at(exact, index.sentences.rows, sentences @ qv)
            dense, allowed = ann._ann_dense(qv, mask)
            assert np.array_equal(allowed, mask) and np.isneginf(dense[~mask]).all()
            np.testing.assert_allclose(dense[mask], exact[mask], rtol=0, atol=2e-6)
        fast = [ann.search(q, k=10, filters=filters) for q in questions]
    monkeypatch.setattr(ivfcodes, "row_scorer", lambda index: None)  # FAISS decodes, as before
    slow = [Searcher.open(ann_index_dir).search(q, k=10, filters=filters) for q in questions]
    for got, want in zip(fast, slow, strict=True):
        assert got and [(h.clause_id, h.rank, h.dense_rank) for h in got] == [(h.clause_id, h.rank, h.dense_rank)
                                                                              for h in want]
        np.testing.assert_allclose([h.dense_score or 0 for h in got], [h.dense_score or 0 for h in want], atol=2e-6)


def test_a_filter_leaving_out_few_rows_gives_the_selectors_candidates(ann_index_dir, monkeypatch):
    """similar_to leaves out one region: FAISS is asked for k + the rows left out, without a selector (which
    scans ~2x slower), and the allowed best are those the selector gives, with the same scores."""
    from retrieval import search
    from retrieval.search import Searcher

    ann = Searcher.open(ann_index_dir)
    monkeypatch.setattr(search, "ANN_EXACT_BELOW", 0)
    monkeypatch.setattr(search, "CANDIDATES", 20)  # fewer than the rows allowed, so the choice matters
    calls = []
    real = search._ann_search_excluding
    monkeypatch.setattr(search, "_ann_search_excluding", lambda *a, **kw: calls.append(a[4]) or real(*a, **kw))
    questions = ("知识产权质押融资", "地理标志保护", "商业秘密保护")
    regions = sorted({c.region for c in ann.clauses})
    for region in regions:
        mask = ann._cols.row_region != ann._cols.names[region]
        for q in questions:
            qv = ann.embedder.embed_query(q)
            monkeypatch.setattr(search, "FEW_SHARE", 1.0)
            fast, fast_allowed = ann._ann_dense(qv, mask)
            monkeypatch.setattr(search, "FEW_EXCLUDED", 0)
            slow, slow_allowed = ann._ann_dense(qv, mask)
            monkeypatch.setattr(search, "FEW_EXCLUDED", 5_000)
            assert np.array_equal(fast_allowed, slow_allowed), (region, q)
            assert 0 < fast_allowed.sum() < mask.sum()
            np.testing.assert_array_equal(fast[fast_allowed], slow[slow_allowed])
    assert len(calls) == 2 * len(regions) * len(questions) and all(calls)  # clauses and sentences, each
    monkeypatch.setattr(search, "FEW_SHARE", 0.1)
    hit = ann.search("专利", k=1)[0]
    assert ann.similar_to(hit.clause_id)


def test_an_ivf_index_rebuilds_from_its_own_vectors(ann_index_dir):
    from indexer.build import build_index
    from indexer.embedding import EmbedderSettings, make_embedder
    from tests.conftest import ROOT

    embedder = make_embedder(EmbedderSettings(model="fake:64"))
    assert build_index(ROOT / "data", ann_index_dir, embedder=embedder, ann_threshold=50).up_to_date
    report = build_index(ROOT / "data", ann_index_dir, embedder=embedder, ann_threshold=50, force=True)
    assert report.embedded == 0 and report.reused > 0


@pytest.mark.parametrize(
    "text",
    [
        "如何加強知識產權司法保護？",
        "ＧＤＰ　２０２５年达到１０％，㎡",
        "e\u0301te\u0301 cafe\u0301",
        "\u0301开头的组合符",
        "",
        "ABC abc",
        "乾隆　於是　後來　裏面",
        "一、重点任务 > （一）强化知识产权全链条保护\n1.完善知识产权保护体系建设",
    ],
)
def test_search_text_is_the_search_form_without_its_maps(fake_searcher, text):
    from indexer.textnorm import search_form
    from retrieval.columns import search_text

    assert search_text(text) == search_form(text).text
    for c in fake_searcher.clauses[:60]:
        full = " ".join(c.section_path) + "\n" + c.text
        assert search_text(full) == search_form(full).text


def test_the_app_holds_one_searcher(fake_index_dir, fresh_streamlit_cache, monkeypatch):
    from ui import resources

    monkeypatch.setenv("PLANSEARCH_MODEL", "fake:64")
    first = resources._open(str(fake_index_dir), "version-1")
    assert resources._open(str(fake_index_dir), "version-1") is first  # cached
    second = resources._open(str(fake_index_dir), "version-2")  # a build swapped a new index in
    assert second is not first
    assert resources._open(str(fake_index_dir), "version-1") is not first  # the old one was let go


# --- a lazily read index answers exactly as the index read whole -----------------------------------------


def _eager(folder):
    """The index as it was loaded before it was read lazily: every clause a Python object in a tuple, the
    FAISS vectors and the BM25 arrays read into memory, sentence spans and keys as tuples."""
    import json

    import faiss

    from indexer.lexical import LexicalIndex
    from indexer.postings import Bm25Postings, Postings
    from indexer.records import Clause
    from indexer.store import PlanIndex, SentenceVectors, _prepare, load_index, vector_rows

    lazy = load_index(folder)
    lines = [json.loads(line) for line in (folder / "clauses.jsonl").read_text(encoding="utf-8").splitlines()]
    raw = [json.loads(line) for line in (folder / "sentences.jsonl").read_text(encoding="utf-8").splitlines()]
    vectors = _prepare(faiss.read_index(str(folder / "faiss.index")), lazy.manifest)
    sentence_index = _prepare(faiss.read_index(str(folder / "sentences.faiss")), lazy.manifest)
    mapped = Postings.load(folder / "lexical")
    postings = Postings(mapped.vocab, *(np.array(getattr(mapped, name)) for name in ("indices", "indptr", "tf", "lengths",
                                                                                     "data")), mapped.corpus)
    sentences = SentenceVectors(
        np.array([r["row"] for r in raw], dtype=np.int32),
        tuple(tuple(r["span"]) for r in raw),
        tuple(r["key"] for r in raw),
        vector_rows(sentence_index),
        sentence_index,
    )
    return PlanIndex(
        folder,
        lazy.manifest,
        lazy.documents,
        tuple(Clause.from_json(c) for c in lines),
        lazy.indicators,
        vectors,
        LexicalIndex(Bm25Postings([postings]), lazy.lexical.tokenizer, len(lines)),
        tuple(c.get("embed_key", "") for c in lines),
        sentences,
    ), lazy


def _answers(searcher) -> list:
    """Everything the public verbs return for a spread of questions, filters, comparisons and seeds."""

    def hits(found):
        return [
            (
                h.rank,
                h.clause,
                h.document,
                h.score,
                h.dense_score,
                h.dense_rank,
                h.lexical_score,
                h.lexical_rank,
                h.reasons,
            )
            for h in found
        ]

    out = []
    questions = [
        "中小企业怎么用专利去银行贷款？",
        "地理标志保护",
        "青海 四、（一）2.",
        "知识产权人才",
        "谁负责商标执法",
        "How do the plans support patent pledge loans?",
        "各地如何开展专利导航",
        "第七条",
    ]
    regions = [r.name for r in searcher.regions]
    for q in questions:
        out.append(hits(searcher.search(q, k=20)))
        out.append(hits(searcher.search(q, k=10, mode="lexical")))
        out.append(hits(searcher.search(q, k=5, filters=Filters(regions=tuple(regions[:1])))))
        out.append(hits(searcher.search(q, k=5, filters=Filters(department="知识产权局"))))
    for q in questions[:3]:
        out.append([(r.region, r.region_level, hits(r.hits)) for r in searcher.compare(q)])
    for row in range(0, len(searcher.clauses), max(1, len(searcher.clauses) // 6)):
        cid = searcher.index.ids[row]
        out.append([(r.region, hits(r.hits)) for r in searcher.similar_to(cid)])
        out.append((searcher.index.row(cid), searcher.index.clause(cid)))
    return out


@pytest.mark.parametrize("which", ["flat", "ivf"])
def test_the_lazily_read_index_answers_exactly_as_the_index_read_whole(fake_index_dir, ann_index_dir, which):
    from indexer.rowtable import ClauseTable
    from retrieval.search import Searcher

    folder = fake_index_dir if which == "flat" else ann_index_dir
    eager, lazy = _eager(folder)
    embedder = Searcher.open(folder).embedder
    old, new = Searcher(eager, embedder), Searcher(lazy, embedder)
    assert isinstance(new.clauses, ClauseTable) and isinstance(old.clauses, tuple)
    assert isinstance(lazy.lexical.segments[0].data, np.memmap)  # BM25 arrays stay on disk
    assert new.clauses == old.clauses and list(lazy.embed_keys) == list(eager.embed_keys)
    assert list(lazy.sentences.keys) == list(eager.sentences.keys)
    assert [tuple(s) for s in lazy.sentences.spans.tolist()] == list(eager.sentences.spans)
    assert _answers(new) == _answers(old)


def test_clause_ids_are_found_by_binary_search(fake_searcher):
    index = fake_searcher.index
    ids = list(index.ids)
    assert len(ids) == len(set(ids)) == len(index.clauses)
    assert [index.row(cid) for cid in ids] == list(range(len(ids)))
    for missing in ("", "nope", ids[0] + "x", ids[0][:-1], ids[0] + "\0", "专利" * 50):
        assert index.row(missing) is None and index.clause(missing) is None
    assert index.clauses[-1] == index.clauses[len(ids) - 1] and index.clauses[1:3] == tuple(index.clauses)[1:3]
    with pytest.raises(IndexError):
        index.clauses[len(ids)]


def test_a_searcher_keeps_no_python_object_per_clause(fake_searcher):
    s = fake_searcher
    for q in ("知识产权", "专利", "商标", "地理标志", "人才"):
        hits = s.search(q, k=10)
        s.best_signals(q, hits)
    assert len(s._forms) < len(s.clauses)  # only the forms of rows a question looked at
    assert isinstance(s._ids.values, np.ndarray) and s._ids.values.dtype.kind == "S"


def test_the_columns_the_build_wrote_are_the_columns_of_a_pass_over_the_clauses(fake_searcher, ann_index_dir):
    from indexer.store import load_index
    from retrieval.columns import Columns

    for index in (fake_searcher.index, load_index(ann_index_dir)):
        assert index.clauses.rows is not None  # rows.npz, written by the build
        docs = [d.document for d in index.documents]
        stored, scanned = Columns(index.clauses, docs, index.ids), Columns(tuple(index.clauses), docs)
        assert list(stored.ids) == list(scanned.ids)
        for name in (
            "row_doc",
            "row_kind",
            "row_span_start",
            "row_has_departments",
            "row_indicator",
            "row_path",
            "_window_rows",
            "_window_ptr",
            "doc_region",
            "doc_level",
        ):
            assert np.array_equal(getattr(stored, name), getattr(scanned, name)), name
        names = {v: k for k, v in stored.names.items()}
        scanned_names = {v: k for k, v in scanned.names.items()}
        assert [names[c] for c in stored.row_region] == [scanned_names[c] for c in scanned.row_region]
        assert stored.kinds == scanned.kinds and stored.window_keys == scanned.window_keys
        assert stored.department_names == scanned.department_names
        for a, b in zip(stored._department_rows, scanned._department_rows, strict=True):
            assert np.array_equal(a, b)
        for prefix in {c.section_path[:k] for c in index.clauses for k in range(len(c.section_path) + 1)}:
            assert np.array_equal(np.sort(stored.prefix_rows(prefix)), np.sort(scanned.prefix_rows(prefix)))


def test_a_documents_clauses_and_the_department_list_read_no_other_clause(fake_index_dir, monkeypatch):
    """The Browse page, the context of a card and the department filter: at a million clauses a walk of
    every clause parses all of clauses.jsonl. They read one document's rows, or the columns."""
    from indexer.rowtable import ClauseTable
    from indexer.store import load_index
    from retrieval.search import Searcher

    index = load_index(fake_index_dir)
    everything = list(index.clauses)
    expected_departments = sorted({d for c in everything for d in c.departments.all})

    def no_walk(self):
        raise AssertionError("walked every clause")

    monkeypatch.setattr(ClauseTable, "__iter__", no_walk)
    for entry in index.documents:
        doc_id = entry.document.doc_id
        assert index.clauses_of(doc_id) == [c for c in everything if c.doc_id == doc_id]
    assert index.clauses_of("no-such-document") == []
    assert Searcher.open(fake_index_dir).department_names() == expected_departments
