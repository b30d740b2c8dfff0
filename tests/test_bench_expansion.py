"""The learned-expansion experiment (bench/expansion.py, not shipped) on the tests' fake index: the table
is built and read back, a question's expansion adds corpus words near its own, and ranking still works."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def expansion():
    spec = importlib.util.spec_from_file_location("bench_expansion", ROOT / "bench" / "expansion.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_expansion"] = module
    spec.loader.exec_module(module)
    return module


def test_the_term_table_is_built_and_read_back(expansion, fake_searcher, tmp_path):
    from indexer.build import texts_for_lexical

    texts = texts_for_lexical(list(fake_searcher.clauses))
    table, cost = expansion.TermTable.build(texts, fake_searcher.embedder, "")
    assert cost["words"] == len(table.words) > 100 and "质押融资" in table.words
    table.save(tmp_path)
    back = expansion.TermTable.load(tmp_path)
    assert back.words == table.words and back.prompt == ""
    assert np.allclose(back.vectors, table.vectors, atol=1e-3)  # stored as float16
    assert np.array_equal(back.ptr, table.ptr) and np.array_equal(back.ids, table.ids)
    row = next(i for i, t in enumerate(texts) if "质押融资" in t)
    assert back.words_of([row])[back.lookup()["质押融资"]]
    assert expansion.TermTable.load(tmp_path / "missing") is None


def test_a_question_word_the_corpus_lacks_brings_in_corpus_words_near_it(expansion, fake_index_dir):
    settings = expansion.Settings(scope="zh", threshold=0.5, prompt="", prf=0, zh_max_df=0)
    searcher = expansion.ExpandingSearcher.open(fake_index_dir, settings=settings)
    pq = searcher.parse("专利质押贷款融资难怎么办")
    words = searcher.expander.words(pq)
    assert words and all(w not in searcher.expander.at for w in words)  # only words the corpus lacks
    found, extra = searcher.expander.expand(pq, None)
    assert extra and all(weight == settings.weight for _, weight in extra)
    assert any(set(term) & set(word) for word, terms in found.items() for term in terms)  # the fake: shared characters
    hits = searcher.search(pq, k=5)
    assert hits and [h.clause_id for h in hits] == [h.clause_id for h in searcher.search(pq, k=5)]  # deterministic


def test_expansion_off_ranks_as_the_plain_searcher(expansion, fake_index_dir, fake_searcher):
    off = expansion.ExpandingSearcher.open(fake_index_dir, settings=expansion.Settings(scope="off"))
    for question in ("中小企业怎么用专利去银行贷款？", "地理标志保护", "How do the plans support patent-backed loans?"):
        assert [h.clause_id for h in off.search(question, k=10)] == [h.clause_id for h in fake_searcher.search(question, k=10)]


def test_plain_hits_are_the_ranking_without_expansion(expansion, fake_index_dir, fake_searcher):
    settings = expansion.Settings(scope="zh", threshold=0.5, prompt="", prf=0, zh_max_df=0, abstain_plain=True)
    searcher = expansion.ExpandingSearcher.open(fake_index_dir, settings=settings)
    question = "专利质押贷款融资难怎么办"
    plain = searcher.plain_hits(searcher.parse(question), 10)
    assert [h.clause_id for h in plain] == [h.clause_id for h in fake_searcher.search(question, k=10)]
    assert searcher.expander is not None  # put back after the plain search
