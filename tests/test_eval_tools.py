"""The evaluation tools' own contracts (retrieval/eval/): hermetic, no index is built or opened."""

from __future__ import annotations

import pytest


def test_fit_abstain_refuses_an_empty_training_list_before_opening_the_index(monkeypatch, capsys):
    import retrieval.eval.fit_abstain as fit_abstain

    def opened():
        raise AssertionError("the evaluation index was built and opened for nothing to fit")

    monkeypatch.setattr(fit_abstain, "evaluation_index", opened)
    for spec in (",", "", " , "):
        with pytest.raises(SystemExit) as exit_info:
            fit_abstain.main(["--train", spec])
        assert exit_info.value.code == 2
        assert "no training source" in capsys.readouterr().err


def test_every_evaluation_document_has_one_field():
    """compare.offfield skips a document fields.json does not name, and fit_abstain then withholds only the
    question's own document: a document added to corpus-more/ without a field would pass unnoticed."""
    import json

    from retrieval.eval.__main__ import HERE, PROJECT

    names = [n for names in json.loads((HERE / "fields.json").read_text(encoding="utf-8"))["fields"].values() for n in names]
    corpus = {p.name for folder in (PROJECT / "data", HERE / "corpus-more") for p in folder.iterdir()
              if p.is_file() and p.suffix in (".txt", ".md") and p.name.lower() != "readme.md" and p.name != "SOURCES.md"}
    assert len(names) == len(set(names))  # one field each
    assert set(names) == corpus


def test_compare_offfield_is_checked_as_lower_is_better():
    from retrieval.eval.__main__ import CHECKED, verdict

    assert CHECKED["compare.offfield"] == "all"
    assert verdict("compare.offfield", 0.10, 0.175, n=100) == "OK"  # fewer wrong rows than pinned
    assert verdict("compare.offfield", 0.19, 0.175, n=100) == "within tolerance"
    assert verdict("compare.offfield", 0.30, 0.175, n=100) == "FAIL"


def test_uncovered_questions_answered_without_the_tentative_mark_are_counted_apart(monkeypatch):
    """answer.confident_uncovered counts the worst outcome (an uncovered question answered with no
    请核对原文 notice) and answer.tentative_covered its price; an abstention is neither."""
    import retrieval.answer
    from retrieval.eval import metrics
    from retrieval.records import Answer

    outcomes = {"q1": Answer("答", False, tentative=False), "q2": Answer("答", False, tentative=True),
                "q3": Answer("无", True), "c1": Answer("答", False, tentative=True), "c2": Answer("答", False)}

    class Searcher:
        def parse(self, question):
            return question

        def search(self, pq, k=10, mode="hybrid"):
            return []

        def compare(self, question):
            return []

    monkeypatch.setattr(retrieval.answer, "answer", lambda searcher, pq, hits: outcomes[pq])
    questions = [{"id": q, "question": q, "kind": "uncovered", "hard": q == "q1"} for q in ("q1", "q2", "q3")]
    questions += [{"id": c, "question": c, "kind": "paraphrase", "relevant": []} for c in ("c1", "c2")]
    out = metrics.run(Searcher(), questions)
    assert out.values["answer.confident_uncovered"] == [1.0, 0.0, 0.0]
    assert out.kinds["answer.confident_uncovered"] == ["hard", "ordinary", "ordinary"]
    assert out.values["answer.tentative_covered"] == [1.0, 0.0]
    assert out.values["compare.uncovered_covering"] == [0.0, 0.0, 0.0]  # compared, no region shown
