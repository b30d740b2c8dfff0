"""Per-query work that does not grow with the index: the regions a question names are looked up by its
substrings (not by walking every region of the index), and similar_to's lexical query is its clause's
most telling tokens (not every token, whose postings cover much of a large corpus)."""

from __future__ import annotations

import math
import random
import re
from collections import Counter

import pytest

from indexer.regions import PROVINCE_ABBREVIATIONS, all_regions, short_names
from retrieval import query as query_module
from retrieval.query import KnownRegion, find_regions
from retrieval.ranking import COMMON_IDF, SIMILAR_TERMS, salient_tokens


def _old_find_regions(search_text, regions):
    """find_regions as it was: every region of the index, every query (the reference)."""
    found, seen_names = [], set()
    for region in regions:
        for name, level in ((region.name, region.level), (region.province, "省")):
            if not name or name in seen_names:
                continue
            seen_names.add(name)
            names = [name, *[s for s in short_names(name, level) if len(s) >= 2]]
            abbreviations = PROVINCE_ABBREVIATIONS.get(name, ()) if level == "省" else ()
            hit = any(n in search_text for n in names) or any(
                re.search(rf"(^|\s){a}(\s|规划|省|政发)|{a}政发", search_text) for a in abbreviations
            )
            if hit and name not in found:
                found.append(name)
    return tuple(found)


@pytest.fixture(scope="module")
def gazetteer():
    regions = [KnownRegion(r.name, r.level, r.province) for r in all_regions() if r.name]
    random.Random(3).shuffle(regions)  # the order names come back in is the index's order, not the file's
    return tuple(regions)


def test_find_regions_names_what_the_loop_over_every_region_named(gazetteer):
    rng = random.Random(0)
    names = [r.name for r in gazetteer] + [s for r in gazetteer[:600] for s in short_names(r.name, r.level)]
    abbreviations = [a for group in PROVINCE_ABBREVIATIONS.values() for a in group]
    filler = ["专利", "规划", " ", "政发", "知识产权", "省", "市", "怎么", ""]
    texts = ["青海 四、(一)2.", "晋政发〔2021〕", "晋 规划", "山东泰安市专利", "博州地理标志", "全国"]
    for _ in range(300):
        parts = [rng.choice(names) if rng.random() < 0.5 else rng.choice(filler) for _ in range(rng.randint(0, 6))]
        if rng.random() < 0.3:
            parts.insert(
                rng.randint(0, len(parts)), rng.choice(abbreviations) + rng.choice([" ", "规划", "政发", "省", ""])
            )
        texts.append("".join(parts))
    for regions in (gazetteer, gazetteer[:40], ()):
        for text in texts:
            assert find_regions(text, regions) == _old_find_regions(text, regions), text


def test_a_query_does_not_walk_the_regions_of_the_index(gazetteer, monkeypatch):
    calls = Counter()
    real = query_module.short_names

    def counting(name, level):
        calls["short_names"] += 1
        return real(name, level)

    monkeypatch.setattr(query_module, "short_names", counting)
    regions = tuple(gazetteer)  # a tuple of its own: its names are gathered once, at its first query
    assert find_regions("青海省知识产权质押融资", regions)
    calls.clear()
    for question in ("泰安市专利导航", "山西知识产权运营服务体系由哪个部门牵头？", "地理标志保护"):
        find_regions(question, regions)
    assert calls["short_names"] == 0


def test_salient_tokens_keep_the_highest_count_times_idf_in_order_with_repeats():
    idf = {"知识产权": 1.2, "质押": 6.0, "融资": 4.0, "加强": 1.3, "风险": 3.0, "补偿": 5.0}
    tokens = ["加强", "知识产权", "质押", "融资", "知识产权", "风险", "补偿", "融资"]
    # count × idf: 融资 8.0, 质押 6.0, 补偿 5.0, 风险 3.0, 知识产权 2.4, 加强 1.3
    assert salient_tokens(tokens, idf, k=3) == ("质押", "融资", "补偿", "融资")
    assert salient_tokens(tokens, idf, k=5) == ("知识产权", "质押", "融资", "知识产权", "风险", "补偿", "融资")
    assert salient_tokens(tokens, idf, k=6) == tuple(tokens)  # no more distinct tokens than k: all of them
    assert salient_tokens(["未知", "质押"], idf, k=1) == ("质押",)  # a token the corpus lacks weighs nothing


def test_salient_tokens_leave_out_words_most_clauses_hold():
    """A word in more than half of the clauses (IDF log(1 + N/df) under log 3) says nothing about which
    clause is alike, and its postings are half the index: left out, unless nothing else is left."""
    n = 1000
    idf = {t: math.log(1 + n / df) for t, df in {"的": 990, "发展": 501, "加强": 499, "质押": 3}.items()}
    tokens = ["加强", "的", "质押", "发展", "的"]
    assert salient_tokens(tokens, idf) == ("加强", "质押")
    assert salient_tokens(["的", "发展", "的"], idf) == ("的", "发展", "的")
    assert salient_tokens(["的", "未知"], idf) == ("未知",)  # a word the corpus lacks is not common


def test_similar_to_scores_the_clause_s_most_telling_tokens(fake_searcher, monkeypatch):
    s = fake_searcher
    lexical = s.index.lexical
    seen = []
    real = type(lexical).top

    def spy(self, tokens, mask, k, weights=None):
        seen.append((list(tokens), weights))
        return real(self, tokens, mask, k, weights)

    monkeypatch.setattr(type(lexical), "top", spy)
    longest = max(s.clauses, key=lambda c: len(set(lexical.tokens(c.text))))
    everything = lexical.tokens(longest.text)
    assert len(set(everything)) > SIMILAR_TERMS  # the fixture has a clause long enough to be cut
    s.similar_to(longest.clause_id)
    ((asked, weights),) = seen
    assert len(asked) == len(set(asked)) == SIMILAR_TERMS  # each token once ...
    counts = Counter(everything)
    assert weights == [counts[t] for t in asked]  # ... weighted by its count in the clause
    idf = s.term_weights()
    weight = {t: counts[t] * idf.get(t, 0.0) for t in counts}
    common = {t for t in counts if idf.get(t, 0.0) < COMMON_IDF}  # in more than half of the fixture's clauses
    assert not common & set(asked)
    assert min(weight[t] for t in set(asked)) >= max(weight[t] for t in set(everything) - set(asked) - common)
    assert asked == list(dict.fromkeys(t for t in everything if t in set(asked)))  # in query order


def _old_by_region(hits, region_levels, per_region, exclude_region, covers):
    """by_region as it was: every region of the index walked and sorted on every comparison (the reference)."""
    from retrieval.ranking import documents_first
    from retrieval.records import RegionCoverage

    mine = {}
    for h in hits:
        mine.setdefault(h.clause.region, []).append(h)
    out = []
    for region, level in region_levels.items():
        if region == exclude_region:
            continue
        if region not in mine:
            out.append(RegionCoverage(region, level, ()))
            continue
        good = [h for h in documents_first(mine[region])[: per_region * 3] if covers(h)]
        out.append(RegionCoverage(region, level, tuple(good[:per_region])))
    return sorted(out, key=lambda r: (not r.covered, -(r.hits[0].score if r.hits else 0), r.region))


def test_by_region_ranks_only_the_regions_with_hits_and_answers_as_before():
    from indexer.records import Clause, Document
    from retrieval.ranking import by_region
    from retrieval.records import Hit

    rng = random.Random(5)
    regions = {f"地区{i:03d}": rng.choice(["省", "市", "县"]) for i in range(300)}
    names = list(regions)
    for _ in range(60):
        hits = []
        for rank in range(1, rng.randint(0, 120)):
            region = rng.choice(names[:40])
            doc = Document(f"{region}-{rng.randint(0, 2)}", "x.txt", "0", "规划", region, regions[region], region)
            c = Clause(f"{doc.doc_id}:{rank}", doc.doc_id, region, ("一、任务",), "1.", "", "条文", (0, 1))
            hits.append(Hit(c, doc, rank, round(rng.choice([1.0, 0.5, 0.25]) / rank, 6)))
        judged = {h.clause_id: rng.random() < 0.6 for h in hits}
        levels = dict(rng.sample(list(regions.items()), len(regions)))  # any order: the output is sorted
        exclude = rng.choice(["", names[0], names[7]])
        for per_region in (1, 2):
            args = (hits, levels, per_region, exclude, lambda h, judged=judged: judged[h.clause_id])
            assert by_region(*args) == _old_by_region(*args)


def test_by_region_judges_a_region_s_hits_only_until_enough_cover():
    from indexer.records import Clause, Document
    from retrieval.ranking import by_region
    from retrieval.records import Hit

    doc = Document("甲-1", "x.txt", "0", "规划", "甲省", "省", "甲省")
    hits = [
        Hit(Clause(f"甲-1:{i}", "甲-1", "甲省", ("一、",), "1.", "", "条文", (0, 1)), doc, i, 1 / i) for i in (1, 2, 3)
    ]
    asked = []

    def covers(h):
        asked.append(h.clause_id)
        return True

    (row,) = by_region(hits, {"甲省": "省"}, 1, "", covers)
    assert [h.clause_id for h in row.hits] == ["甲-1:1"] and asked == ["甲-1:1"]


def test_similar_to_judges_by_the_dense_cosine_without_term_coverage(fake_searcher, monkeypatch):
    s = fake_searcher
    calls = []
    real = type(s).signals
    monkeypatch.setattr(type(s), "signals", lambda self, *a: calls.append(1) or real(self, *a))
    rows = s.similar_to(s.clauses[len(s.clauses) // 2].clause_id)
    assert rows and not calls  # similarity is the cosine alone: no clause's search form is made
    s.compare("地理标志保护")
    assert calls  # a comparison also weighs the question's terms when the cosine alone does not decide


def test_a_compared_clause_nearly_as_close_as_the_best_covers_the_topic():
    # stop 26: an English or long question's cosines all sit lower; a region's clause within COMPARE_NEAR_BEST
    # of the best one covers the topic though under COMPARE_DENSE, and one far below it needs the topic's words
    from indexer.records import Clause, Document
    from retrieval.answer import COMPARE_DENSE, COMPARE_NEAR_BEST, DENSE_CONFIDENT, region_judges
    from retrieval.records import Hit

    doc = Document("甲-1", "x.txt", "0", "规划", "甲省", "省", "甲省")

    def hit(i: int, dense: float) -> Hit:
        return Hit(Clause(f"甲-1:{i}", "甲-1", "甲省", ("一、",), "1.", "", "条文", (0, 1)), doc, i, 1 / i, dense)

    top = (DENSE_CONFIDENT + COMPARE_DENSE) / 2
    best, near, far = hit(1, top), hit(2, top - COMPARE_NEAR_BEST + 0.001), hit(3, top - COMPARE_NEAR_BEST - 0.01)
    assert best.dense_score < COMPARE_DENSE
    covers, _ = region_judges(lambda h: 0.0, False, [best, near, far])
    assert covers(best) and covers(near) and not covers(far)
    covers, _ = region_judges(lambda h: 0.3, False, [best, near, far])  # the topic's words: covers
    assert covers(far)
    # a topic no plan covers has a best clause too: when it is not close itself, nothing near it counts
    # (the stop-26 review: 足球运动推广 shown in 10 regions)
    weak = [hit(1, DENSE_CONFIDENT - 0.01), hit(2, DENSE_CONFIDENT - 0.02)]
    covers, _ = region_judges(lambda h: 0.0, False, weak)
    assert not any(covers(h) for h in weak)
