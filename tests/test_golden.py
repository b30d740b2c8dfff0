"""Every plan's outline is pinned; a change in what a plan parses to must come with a PARSER_VERSION bump."""

from __future__ import annotations

import json

import pytest

from indexer.store import PARSER_VERSION
from tests.golden_outlines import REGENERATE, golden_path, plan_files, summary

PLANS = plan_files()


def test_every_plan_has_a_golden_outline():
    missing = [p.name for p in PLANS if not golden_path(p).is_file()]
    assert not missing, f"no golden outline for {missing}: write them with `{REGENERATE}`"


@pytest.mark.parametrize("path", PLANS, ids=[p.stem for p in PLANS])
def test_outline_matches_golden(path):
    golden = json.loads(golden_path(path).read_text(encoding="utf-8"))
    pinned_version = golden.pop("parser_version")
    golden.pop("source", None)
    got = summary(path)
    if pinned_version != PARSER_VERSION:
        pytest.fail(
            f"PARSER_VERSION is {PARSER_VERSION} but the golden outlines were written under {pinned_version}: "
            f"check the differences and regenerate with `{REGENERATE}`"
        )
    if got != golden:
        changed = sorted(k for k in golden if golden.get(k) != got.get(k))
        pytest.fail(
            f"parse changed ({', '.join(changed)}): bump PARSER_VERSION in indexer/manifest.py and regenerate "
            f"with `{REGENERATE}`"
        )


@pytest.mark.parametrize("path", PLANS, ids=[p.stem for p in PLANS])
def test_clause_ids_are_unique(path):
    # two clauses with one id would be one row for Browse links, Milvus upserts and the index's sidecars
    # (a table's sub-row took its group's name as its number, twice)
    from collections import Counter

    from indexer.read import read_plan

    repeated = [i for i, n in Counter(c.clause_id for c in read_plan(path).clauses).items() if n > 1]
    assert not repeated
