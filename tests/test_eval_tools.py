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
