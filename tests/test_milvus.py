"""The Milvus backend on Milvus Lite (a local file under tmp_path; marker `milvus`, skipped without pymilvus).

The export is idempotent and incremental; search, filters, section references, compare and similar_to
answer as the files backend does; for the development and held-out questions the top-5 clause sets agree.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

from indexer.errors import IndexMismatch, PlanSearchError  # noqa: E402
from indexer.milvus_export import MilvusIndexNotBuilt, MilvusSettings, MilvusUnavailable, connect, export_index  # noqa: E402
from retrieval.records import Filters  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT / "retrieval" / "eval"
pytestmark = pytest.mark.milvus

# Top-5 agreement with the files backend on the 159 development + held-out questions over the five bundled
# plans, measured: fake embedder overlap@5 0.9987, top-1 1.000; bundled e5-small 0.9975, 1.000 (with the
# region partition key on Lite: 0.889, 0.881). The floors leave room for HNSW's approximation.
FAKE_OVERLAP_FLOOR, FAKE_TOP1_FLOOR = 0.99, 0.98
REAL_OVERLAP_FLOOR, REAL_TOP1_FLOOR = 0.99, 0.98


def lite(path: Path, **kw) -> MilvusSettings:
    return MilvusSettings(backend="milvus", uri=str(path), **kw)


@pytest.fixture(scope="module")
def fake_milvus(tmp_path_factory, fake_index_dir):
    """The fake index exported once into a Milvus Lite file: (settings, first export's report)."""
    settings = lite(tmp_path_factory.mktemp("milvus") / "lite.db")
    return settings, export_index(fake_index_dir, settings)


@pytest.fixture(scope="module")
def milvus_searcher(fake_milvus, fake_searcher):
    from retrieval.milvus import MilvusSearcher

    return MilvusSearcher.open(fake_milvus[0], embedder=fake_searcher.embedder)


def questions() -> list[str]:
    out = []
    for name in ("questions.jsonl", "heldout.jsonl"):  # development and held-out; never the blind set
        out += [
            json.loads(line)["question"]
            for line in (EVAL / name).read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
    return out


def agreement(files, milvus, qs) -> tuple[float, float]:
    overlaps, top1 = [], []
    for q in qs:
        a = [h.clause_id for h in files.search(q, k=5)]
        b = [h.clause_id for h in milvus.search(q, k=5)]
        overlaps.append(len(set(a) & set(b)) / max(len(a), len(b), 1))
        top1.append(a[:1] == b[:1])
    return sum(overlaps) / len(overlaps), sum(top1) / len(top1)


# --- the export -----------------------------------------------------------------------------------------


def test_first_export_fills_every_collection(fake_milvus, fake_searcher):
    settings, report = fake_milvus
    n = len(fake_searcher.clauses)
    assert report.counts["plansearch"] == {"upserted": n, "deleted": 0, "unchanged": 0}
    assert report.counts["plansearch_sentences"]["upserted"] == len(fake_searcher.index.sentences.rows) > n
    client = connect(settings)
    props = json.loads(client.describe_collection("plansearch")["properties"]["plansearch.manifest"])
    m = fake_searcher.index.manifest
    assert (props["model"], props["dim"], props["query_prompt"], props["fingerprint"]) == (
        m.model,
        m.dim,
        m.query_prompt,
        m.fingerprint,
    )
    assert client.describe_index("plansearch", "vector")["index_type"] == "HNSW"


def test_second_export_moves_nothing(fake_milvus, fake_index_dir):
    settings, _ = fake_milvus
    report = export_index(fake_index_dir, settings)
    assert not report.recreated
    for counts in report.counts.values():
        assert counts["upserted"] == 0 and counts["deleted"] == 0 and counts["unchanged"] > 0


@pytest.mark.parametrize("tombstoned", [False, True], ids=["written-whole", "tombstoned"])
def test_incremental_build_moves_only_the_changed_clauses(tmp_path, monkeypatch, tombstoned):
    from indexer import segments
    from indexer.build import build_index
    from indexer.embedding import EmbedderSettings, make_embedder
    from indexer.store import load_index, read_manifest

    # the sample plans are few: a changed and a removed plan pass COMPACT_SHARE and the index is written
    # whole, unless the share is raised (then both are tombstoned, the new version in a segment)
    monkeypatch.setattr(segments, "COMPACT_SHARE", 10.0 if tombstoned else 0.0)

    data, index = tmp_path / "data", tmp_path / "index"
    shutil.copytree(ROOT / "data", data)
    embedder = make_embedder(EmbedderSettings(model="fake:64"))
    build_index(data, index, embedder=embedder)
    settings = lite(tmp_path / "lite.db")
    export_index(index, settings)
    before = {c.clause_id: c for c in load_index(index).clauses}

    removed = "taian_ip-protection-and-use-plan-14th-fyp"
    (data / f"{removed}.txt").unlink()
    plan = data / "bortala_ip-plan-14th-fyp.txt"
    text = plan.read_text(encoding="utf-8")
    needle = "地理标志"
    assert needle in text
    # same length: the spans of the clauses after it stay as they were (a longer edit moves them, and
    # with them every later clause of that plan)
    plan.write_text(text.replace(needle, "农产品牌", 1), encoding="utf-8")
    build_index(data, index, embedder=embedder)
    assert len(read_manifest(index).tombstones) == (2 if tombstoned else 0)
    after = {c.clause_id: c for c in load_index(index).clauses}

    report = export_index(index, settings).counts["plansearch"]
    changed = {cid for cid, c in after.items() if cid in before and before[cid] != c}
    gone = set(before) - set(after)
    assert 1 <= len(changed) <= 3 and all(cid.startswith("bortala") for cid in changed)
    assert gone and all(cid.startswith(removed) for cid in gone)
    assert report == {
        "upserted": len(changed) + len(set(after) - set(before)),
        "deleted": len(gone),
        "unchanged": len(after) - len(changed) - len(set(after) - set(before)),
    }

    from retrieval.milvus import MilvusSearcher
    from retrieval.search import Searcher

    files = Searcher.open(index)
    milvus = MilvusSearcher.open(settings, embedder=files.embedder)
    assert removed not in {d for d in milvus.docs}
    for mode in ("dense", "lexical"):
        assert [h.clause_id for h in milvus.search("农产品牌", k=5, mode=mode)] == [
            h.clause_id for h in files.search("农产品牌", k=5, mode=mode)
        ]
    # Lite keeps the BM25 statistics of deleted rows (measured: the lexical list differs from rank 9 on,
    # a fresh export of the same index matches it exactly), so the fused top 5 agree as a set.
    assert {h.clause_id for h in milvus.search("农产品牌", k=5)} == {h.clause_id for h in files.search("农产品牌", k=5)}
    # idempotent: run again, nothing moves
    assert export_index(index, settings).counts["plansearch"] == {"upserted": 0, "deleted": 0, "unchanged": len(after)}


def test_a_half_finished_export_is_refused_until_run_again(tmp_path, fake_index_dir, fake_searcher):
    from indexer.milvus_export import MANIFEST_PROPERTY, read_manifest_property
    from retrieval.milvus import MilvusSearcher

    settings = lite(tmp_path / "lite.db")
    export_index(fake_index_dir, settings)
    client = connect(settings)
    have = read_manifest_property(client, "plansearch")
    client.alter_collection_properties(
        "plansearch", {MANIFEST_PROPERTY: json.dumps({**have, "fingerprint": "updating"})}
    )
    with pytest.raises(IndexMismatch, match="being updated"):
        MilvusSearcher.open(settings, embedder=fake_searcher.embedder)
    report = export_index(fake_index_dir, settings)
    assert not report.recreated and report.counts["plansearch"]["upserted"] == 0
    assert MilvusSearcher.open(settings, embedder=fake_searcher.embedder).search("专利", k=1)


def test_an_index_type_lite_does_not_build_fails_clearly(tmp_path, fake_index_dir, capsys):
    with pytest.raises(MilvusIndexNotBuilt, match="DISKANN"):
        export_index(fake_index_dir, lite(tmp_path / "lite.db", index_type="DISKANN"))
    from indexer.__main__ import main

    assert (
        main(
            ["export-milvus", "--index", str(fake_index_dir), "--uri", str(tmp_path / "b.db"), "--index-type", "IVF_PQ"]
        )
        == 1
    )
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: Milvus Lite does not build IVF_PQ") and "\n" not in err


def test_exact_index_types_are_accepted(tmp_path, fake_index_dir):
    report = export_index(fake_index_dir, lite(tmp_path / "lite.db", index_type="flat"))
    assert report.counts["plansearch"]["upserted"] > 0
    assert connect(lite(tmp_path / "lite.db")).describe_index("plansearch", "vector")["index_type"] == "FLAT"


def test_changing_the_index_type_recreates_the_collections(tmp_path, fake_index_dir):
    export_index(fake_index_dir, lite(tmp_path / "lite.db", index_type="FLAT"))
    report = export_index(fake_index_dir, lite(tmp_path / "lite.db", index_type="HNSW"))
    assert report.recreated and report.counts["plansearch"]["unchanged"] == 0


def test_a_collection_plansearch_did_not_make_is_never_dropped(tmp_path, fake_index_dir):
    from pymilvus import MilvusClient

    from indexer.milvus_export import MilvusForeignCollection

    settings = lite(tmp_path / "lite.db", collection="records")
    client = MilvusClient(str(tmp_path / "lite.db"))
    client.create_collection("records", dimension=4)
    client.insert("records", [{"id": i, "vector": [0.1, 0.2, 0.3, 0.4]} for i in range(5)])
    with pytest.raises(MilvusForeignCollection):
        export_index(fake_index_dir, settings, client=client)
    assert client.query("records", filter="id >= 0", output_fields=["id"]) and client.has_collection("records")
    export_index(fake_index_dir, settings, client=client, replace_foreign=True)  # the operator's choice
    assert client.has_collection("records_sentences")


# --- searching --------------------------------------------------------------------------------------------


def test_eval_agreement_with_the_files_backend(fake_searcher, milvus_searcher):
    overlap, top1 = agreement(fake_searcher, milvus_searcher, questions())
    print(f"fake embedder: mean overlap@5 {overlap:.4f}, top-1 agreement {top1:.4f}")
    assert overlap >= FAKE_OVERLAP_FLOOR and top1 >= FAKE_TOP1_FLOOR


FILTERS = [
    Filters(regions=("青海省",)),
    Filters(regions=("山西省",), kinds=("clause",)),
    Filters(levels=("市",)),
    Filters(doc_ids=("bortala_ip-plan-14th-fyp",)),
    Filters(department="市场监管"),
    Filters(department="知识产权局", regions=("青海省",)),
    Filters(kinds=("indicator",)),
    Filters(section_prefix=("四、重点任务", "（一）强化知识产权全链条保护")),
    Filters(regions=("福建省",)),
    Filters(department="100%_不存在"),
]


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: repr(f)[8:60])
@pytest.mark.parametrize("mode", ["dense", "lexical", "hybrid"])
def test_filters_behave_as_the_files_backend(fake_searcher, milvus_searcher, filters, mode):
    for q in ("知识产权质押融资", "地理标志保护", "专利"):
        a = [h.clause_id for h in fake_searcher.search(q, k=10, filters=filters, mode=mode)]
        b = [h.clause_id for h in milvus_searcher.search(q, k=10, filters=filters, mode=mode)]
        if mode == "dense":  # exact cosines on both sides: the same list
            assert b == a, (q, filters)
        else:  # BM25 statistics are Milvus's own: the same clauses near enough, none outside the filter
            assert len(set(a) & set(b)) >= 0.8 * len(a), (q, filters, a, b)
            assert len(b) <= len(a) + 1


@pytest.mark.parametrize(
    "query",
    [
        "青海 四、(一)2.", "山西 第三部分", "泰安 二、（二）", "第七条", "博州 2.3.4", "四（一）", "青海 四.(一).2", "泰安 附件",
        # the forms cite() writes, a document named by its title, a lead quoted, a section no document has
        "青海省 · 四", "青海省 · 二", "《关于贯彻落实〈知识产权强国建设纲要（2021—2035年）〉的实施意见》三、（一）",
        "山西省 二（三）「知识产权创造取得新突破」", "青海 四、(一)99.",
        # a document type named whose documents lack the section: none opens (files: 没有找到), not another type's
        "关于贯彻落实知识产权强国建设纲要的实施意见 一（二）1", "《自治州知识产权“十四五”规划》二（三）7",
        "《自治州知识产权“十四五”规划》八、",  # a section the titled document lacks: none opens
        # an indicator's citations (short, canonical): its row first
        "博尔塔拉蒙古自治州 · 一（三） 指标 2", "泰安市 · 前言", "青海省 前言", "《自治州知识产权“十四五”规划》 一、总体要求 （三）主要目标 指标：知识产权质押融资金额",
    ],
)
def test_section_references_resolve_as_the_files_backend(fake_searcher, milvus_searcher, query):
    def pinned(searcher):
        return [h.clause_id for h in searcher.search(query, k=20) if "section reference" in h.reasons]

    assert pinned(milvus_searcher) == pinned(fake_searcher)


@pytest.mark.parametrize("query", ["四（一）", "第七条", "二、"])
def test_a_section_reference_past_one_query_s_rows_reads_them_all(fake_searcher, milvus_searcher, monkeypatch, query):
    """Milvus returns at most QUERY_LIMIT rows a query: a broad reference at 10^6 clauses (第十条 of every
    regulation) would pin whichever rows came back. Past the cap the rows are read in batches."""
    import retrieval.milvus as milvus_module

    monkeypatch.setattr(milvus_module, "QUERY_LIMIT", 2)

    def pinned(searcher):
        return [h.clause_id for h in searcher.search(query, k=20) if "section reference" in h.reasons]

    assert len(pinned(fake_searcher)) > 2 and pinned(milvus_searcher) == pinned(fake_searcher)


def test_a_section_reference_comes_first(milvus_searcher):
    hits = milvus_searcher.search("青海 四、(一)2.", k=3)
    assert hits[0].clause_id == "qinghai_ip-protection-and-use-plan-14th-fyp:4.1.2"
    assert hits[0].reasons[0] == "section reference"


def test_compare_and_similar_to_agree(fake_searcher, milvus_searcher):
    def shape(coverage):
        return [(r.region, [h.clause_id for h in r.hits]) for r in coverage]

    for topic in ("地理标志保护", "知识产权质押融资", "人才队伍建设"):
        assert shape(milvus_searcher.compare(topic)) == shape(fake_searcher.compare(topic))
    cid = "qinghai_ip-protection-and-use-plan-14th-fyp:4.1.2"
    assert shape(milvus_searcher.similar_to(cid)) == shape(fake_searcher.similar_to(cid))
    with pytest.raises(KeyError):
        milvus_searcher.similar_to("no:such")


def test_answers_and_signals_match(fake_searcher, milvus_searcher):
    from retrieval.answer import answer

    for q in ("中小企业怎么用专利去银行贷款？", "山西知识产权运营服务体系由哪个部门牵头？", "火星移民计划",
              "博州到2025年每万人口高价值发明专利拥有量达到多少？"):
        a = answer(fake_searcher, q, fake_searcher.search(q, k=5))
        b = answer(milvus_searcher, q, milvus_searcher.search(q, k=5))
        assert (b.text, b.abstain, b.figures) == (a.text, a.abstain, a.figures)
        assert b.confidence == pytest.approx(a.confidence, abs=0.02)
    # an indicator row's figures are read from its document's records, in both backends
    doc = "bortala_ip-plan-14th-fyp"
    assert milvus_searcher.index.indicators_of(doc) == fake_searcher.index.indicators_of(doc) != []
    assert milvus_searcher.term_weights().get("专利") == pytest.approx(fake_searcher.term_weights()["专利"])
    assert milvus_searcher.term_weights().get("火星", "absent") == "absent"


def test_cli_search_has_the_same_json_contract(fake_milvus, fake_index_dir, capsys, monkeypatch):
    from retrieval.__main__ import main

    monkeypatch.setenv("PLANSEARCH_MODEL", "fake:64")
    question = "中小企业怎么用专利去银行贷款？"
    assert main(["search", question, "--json", "--k", "5", "--index", str(fake_index_dir)]) == 0
    files = json.loads(capsys.readouterr().out)
    assert main(["search", question, "--json", "--k", "5", "--backend", "milvus", "--uri", fake_milvus[0].uri]) == 0
    milvus = json.loads(capsys.readouterr().out)
    assert milvus.keys() == files.keys()
    assert [r.keys() for r in milvus["results"]] == [r.keys() for r in files["results"]]
    assert [r["clause_id"] for r in milvus["results"]] == [r["clause_id"] for r in files["results"]]
    assert milvus["answer"] == files["answer"]


def test_cli_errors_are_one_line(tmp_path, capsys):
    from retrieval.__main__ import main

    assert main(["search", "专利", "--uri", str(tmp_path / "empty.db")]) == 1
    err = capsys.readouterr().err.strip()
    assert "no Milvus collection plansearch" in err and "export-milvus" in err and "\n" not in err


def test_a_collection_filled_with_another_model_is_a_mismatch(fake_milvus):
    from indexer.embedding import EmbedderSettings, make_embedder
    from retrieval.milvus import MilvusSearcher

    with pytest.raises(IndexMismatch, match="fake:64"):
        MilvusSearcher.open(fake_milvus[0], embedder=make_embedder(EmbedderSettings(model="fake:32")))


def test_missing_pymilvus_is_a_clear_error(monkeypatch, tmp_path):
    import sys

    monkeypatch.setitem(sys.modules, "pymilvus", None)
    with pytest.raises(MilvusUnavailable, match="requirements-milvus.txt"):
        connect(lite(tmp_path / "x.db"))


def test_settings_come_from_plansearch_toml_and_the_environment(tmp_path, monkeypatch):
    toml = tmp_path / "plansearch.toml"
    toml.write_text(
        '[milvus]\nbackend = "milvus"\nuri = "http://milvus:19530"\ncollection = "plans"\n', encoding="utf-8"
    )
    monkeypatch.setenv("PLANSEARCH_SETTINGS", str(toml))
    monkeypatch.delenv("PLANSEARCH_MILVUS_URI", raising=False)
    s = MilvusSettings.from_env()
    assert (s.backend, s.uri, s.collection, s.is_lite, s.use_partition_key) == (
        "milvus",
        "http://milvus:19530",
        "plans",
        False,
        True,
    )
    monkeypatch.setenv("PLANSEARCH_MILVUS_URI", "./local.db")
    monkeypatch.setenv("PLANSEARCH_MILVUS_TOKEN", "root:Milvus")
    s = MilvusSettings.from_env()
    assert (s.uri, s.token, s.is_lite, s.use_partition_key) == ("./local.db", "root:Milvus", True, False)
    toml.write_text('[milvus]\nbackend = "faiss"\n', encoding="utf-8")
    with pytest.raises(PlanSearchError, match="faiss"):
        MilvusSettings.from_env()
    toml.write_text('[milvus]\nurl = "x"\n', encoding="utf-8")
    with pytest.raises(PlanSearchError, match="url"):
        MilvusSettings.from_env()


def test_the_department_list_is_the_files_backends_without_a_scan(fake_searcher, milvus_searcher, monkeypatch):
    assert milvus_searcher.department_names() == fake_searcher.department_names()
    assert fake_searcher.department_names()
    monkeypatch.setattr(type(milvus_searcher.index), "clauses", property(lambda self: pytest.fail("scanned every clause")))
    assert milvus_searcher.department_names() == fake_searcher.department_names()


def test_the_index_view_mirrors_the_files_index(fake_searcher, milvus_searcher):
    """What the app's pages read (manifest, documents with text and headings, clauses in order, indicators)."""
    files, milvus = fake_searcher.index, milvus_searcher.index
    assert milvus.manifest == files.manifest and milvus.manifest.fingerprint == files.manifest.fingerprint
    assert milvus.documents == files.documents
    assert milvus.clauses == files.clauses
    assert milvus.indicators == files.indicators and milvus.indicators
    doc = files.documents[-1].document.doc_id
    assert milvus.document(doc) == files.document(doc) and milvus.document("no-such") is None
    fresh = type(milvus)(milvus_searcher, milvus._collection_manifest)  # nothing loaded: one query per document
    for entry in files.documents:
        doc_id = entry.document.doc_id
        assert fresh.clauses_of(doc_id) == files.clauses_of(doc_id) == milvus.clauses_of(doc_id)
    assert fresh.clauses_of('no-such" or doc_id != "') == [] and "clauses" not in fresh._loaded


@pytest.fixture
def milvus_app_env(monkeypatch, fake_milvus, fresh_streamlit_cache):
    monkeypatch.setenv("PLANSEARCH_BACKEND", "milvus")
    monkeypatch.setenv("PLANSEARCH_MILVUS_URI", fake_milvus[0].uri)
    monkeypatch.setenv("PLANSEARCH_INDEX", "/nonexistent/index")  # the files index is not read
    monkeypatch.setenv("PLANSEARCH_DATA", str(ROOT / "data"))


def test_the_app_answers_through_milvus(milvus_app_env, fake_searcher):
    from retrieval.cite import cite
    from tests.apphelpers import app, codes

    question = "中小企业怎么用专利去银行贷款？"
    at = app(q=question)
    best = fake_searcher.search(question, k=1)[0]
    assert cite(best.clause, best.document).canonical in codes(at)
    at = app("browse", clause=best.clause_id)
    assert cite(best.clause, best.document).canonical in codes(at)
    at = app()  # a fresh Ask page: how results are cited, on a clause of the collection
    assert not at.exception and codes(at) and codes(at)[0].startswith("《")


def test_the_app_says_in_chinese_when_milvus_is_missing_or_empty(milvus_app_env, monkeypatch, tmp_path):
    import sys

    from tests.apphelpers import app
    from ui.resources import MILVUS_NOT_EXPORTED, MILVUS_UNAVAILABLE

    monkeypatch.setenv("PLANSEARCH_MILVUS_URI", str(tmp_path / "empty.db"))
    at = app()
    assert MILVUS_NOT_EXPORTED in [i.value for i in at.info]
    monkeypatch.setitem(sys.modules, "pymilvus", None)
    monkeypatch.setenv("PLANSEARCH_MILVUS_URI", str(tmp_path / "other.db"))
    at = app()
    assert MILVUS_UNAVAILABLE in [w.value for w in at.warning]


# --- the real model ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_pair(tmp_path_factory):
    from indexer.build import build_index
    from retrieval.milvus import MilvusSearcher
    from retrieval.search import Searcher

    folder = tmp_path_factory.mktemp("real-milvus")
    build_index(ROOT / "data", folder / "index")
    files = Searcher.open(folder / "index")
    settings = lite(folder / "lite.db")
    export_index(folder / "index", settings)
    return files, MilvusSearcher.open(settings)  # its own embedder: the model the collection records


@pytest.mark.model
def test_eval_agreement_with_the_real_model(real_pair):
    files, milvus = real_pair
    assert milvus.embedder.name == files.embedder.name
    overlap, top1 = agreement(files, milvus, questions())
    print(f"bundled model: mean overlap@5 {overlap:.4f}, top-1 agreement {top1:.4f}")
    assert overlap >= REAL_OVERLAP_FLOOR and top1 >= REAL_TOP1_FLOOR
    assert milvus.search("青海 四、(一)2.", k=1)[0].clause_id == "qinghai_ip-protection-and-use-plan-14th-fyp:4.1.2"


def test_the_documents_naming_a_department_are_the_files_backends(fake_searcher, milvus_searcher, monkeypatch):
    departments = ("市场监管", "人行西宁中心支行", "没有这个部门")
    with monkeypatch.context() as m:  # from the export's table: no scan of the clause rows (the code review:
        m.setattr(milvus_searcher, "_scan", lambda *a, **k: pytest.fail("scanned the rows"))  # at scale, seconds)
        for department in departments:
            assert milvus_searcher.documents_naming(department) == fake_searcher.documents_naming(department)
    real_blob = milvus_searcher._blob
    monkeypatch.setattr(milvus_searcher, "_blob", lambda name: pytest.fail("read the table again"))
    assert milvus_searcher.documents_naming("市场监管")  # read once per searcher (it grows with the plans)
    monkeypatch.setattr(milvus_searcher, "_blob", lambda name: None if name == "department_docs" else real_blob(name))
    monkeypatch.setattr(milvus_searcher, "_naming", False)
    for department in departments:  # a collection exported before the table: the rows are scanned
        assert milvus_searcher.documents_naming(department) == fake_searcher.documents_naming(department)
    assert fake_searcher.documents_naming("市场监管")


def test_typed_filters_and_a_left_out_region_read_the_same(fake_searcher, milvus_searcher):
    from retrieval.filters import UnknownFilter, left_out_regions, resolve_filters
    from retrieval.records import Filters

    typed = Filters(regions=("青海", "新疆"), levels=("省级",), doc_ids=("taian",), department="市场监管")
    assert resolve_filters(milvus_searcher, typed) == resolve_filters(fake_searcher, typed)
    with pytest.raises(UnknownFilter):
        resolve_filters(milvus_searcher, Filters(department="不存在的局"))
    pq = milvus_searcher.parse("青海省知识产权质押融资有什么政策？")
    assert left_out_regions(milvus_searcher, pq, Filters(regions=("泰安市",))) == ("青海省",)


def test_a_department_filter_finds_every_form_of_its_name(fake_searcher, milvus_searcher):
    from retrieval.records import Filters

    names = [n for n in fake_searcher.department_names() if "人力资源社会保障" in n]
    short = Filters(department=names[0].replace("人力资源社会保障", "人社"))
    assert [h.clause_id for h in milvus_searcher.search("人才", k=20, filters=short)] == [
        h.clause_id for h in fake_searcher.search("人才", k=20, filters=short)] != []
    assert milvus_searcher.documents_naming(short.department) == fake_searcher.documents_naming(short.department) != set()
