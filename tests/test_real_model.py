"""Real-model tests (marked `model`, run in CI): the bundled e5 index of the five plans, end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.model


@pytest.fixture(scope="session")
def real_index_dir(tmp_path_factory) -> Path:
    from indexer.build import build_index

    folder = tmp_path_factory.mktemp("real-index") / "index"
    report = build_index(ROOT / "data", folder)
    assert report.documents == 5 and report.reused == 0 and report.embedded > report.clauses  # clauses + sentences
    return folder


@pytest.fixture(scope="session")
def real_searcher(real_index_dir):
    from retrieval.search import Searcher

    return Searcher.open(real_index_dir)


def test_unchanged_rebuild_embeds_nothing(real_index_dir):
    from indexer.build import build_index

    assert build_index(ROOT / "data", real_index_dir).up_to_date


def test_paraphrase_finds_its_clause(real_searcher):
    from retrieval.answer import answer
    from retrieval.cite import cite

    q = "中小企业怎么用专利去银行贷款？"
    pq = real_searcher.parse(q)
    hits = real_searcher.search(pq, k=5)
    assert any("质押融资" in h.clause.text for h in hits[:2])
    a = answer(real_searcher, pq, hits)
    assert not a.abstain and a.sentences
    assert a.sentences[0].citation.short == cite(hits[0].clause, hits[0].document).short


def test_dense_alone_ranks_a_paraphrase_first(real_searcher):
    hits = real_searcher.search("企业拿专利权向银行抵押借钱", k=3, mode="dense")
    assert "金融" in hits[0].clause.label or "质押" in hits[0].clause.text


def test_evaluation_holds_its_pinned_figures(capsys):
    """Every question set (development, held-out, blind, and the cross-field comparisons) on the evaluation
    index of 15 documents."""
    from retrieval.eval.__main__ import main as eval_main

    code = eval_main([])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "FAIL" not in out
    assert all(f"== {name} ==" in out for name in ("dev", "heldout", "blind", "dev-compare"))


@pytest.mark.parametrize(
    "runtime,dtype", [("onnx", "auto"), ("torch", "float32"), ("torch", "bfloat16")], ids=["onnx-int8", "fp32", "bf16"]
)
def test_ranking_is_deterministic_in_every_runtime(real_index_dir, runtime, dtype):
    """Same input, same order (ties by clause id), whichever runtime and dtype embeds the question: asked
    twice, and of two embedders loaded apart."""
    from indexer.embedding import EmbedderSettings, make_embedder
    from indexer.store import load_index
    from retrieval.search import Searcher

    settings = EmbedderSettings.from_env(runtime=runtime, dtype=dtype)
    index = load_index(real_index_dir)
    first, second = (Searcher(index, make_embedder(settings)) for _ in range(2))
    for question in ("中小企业怎么用专利去银行贷款？", "各地如何推进专利导航？", "地理标志", "who leads IP dispute mediation"):
        runs = [[(h.clause_id, h.score, h.dense_score) for h in s.search(question, k=10)] for s in (first, first, second)]
        assert runs[0] == runs[1] == runs[2], question
