"""Answers: one to three extractive sentences with citations, the figure for how-much questions, the
departments for who-is-responsible questions, or an abstention when the plans do not cover the question.

Whether to answer at all is decided by the calibrated abstention model (retrieval/abstain.py): the
answer abstains when the probability that the best hits answer the question is below its threshold, and
that probability is the answer's ``confidence`` (置信度). A question about a region with no document in
the index says so first; one that asks for a sum, a share, a time limit, a date, a contact or conditions
that none of the best clauses states says that (retrieval/asks.py); one that names a section no
document has says that.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from indexer.clauses import LABELLED_LINE, parse_departments
from indexer.division import task_key
from indexer.numbering import canonical, cn_to_int, int_to_cn, match_number
from indexer.read import value_when
from indexer.records import Clause
from indexer.sentences import sentence_spans
from indexer.targets import UNIT_PATTERN
from indexer.textnorm import search_form, to_simplified

from .abstain import answerable
from .asks import unstated
from .cite import cite
from .glossary import untranslated_words
from .highlight import highlight, query_terms
from .lists import list_items, list_lead
from .query import scheme_fits, years_to_digits
from .records import Answer, AnswerSentence, Hit
from .rows import labelled_row

ABSTAIN_MESSAGE = "所收录的规划中没有找到直接相关的条款。"
NO_PLAN_OF = "所收录的文件中没有{region}的规划。以下是其他地区最接近的条款，仅供参考。"
TENTATIVE_NOTICE = "这些条款未必直接回答了所问的问题，请核对原文后再引用。"
NOT_STATED = "所收录的规划中没有找到写明所问{what}的条款。"
YEAR_NOT_STATED = "所收录的规划中没有找到写明{asked}年数值的条款（最接近的条款写的是{stated}年的）。"
YEAR_LABEL = "年份的数值"
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
# a year a figure is compared with or grows from (较2023年, 由2020年的3.2件): not the year the figure is of
_FROM_YEAR = re.compile(r"(?:由|从|较|比|同比|相比)\s*(?:19|20)\d{2}\s*年")
_COMPARED_WITH = re.compile(r"(?:较|比|同比|相比|与)\s*$")  # what makes the year after it a base year (从2020年的
# 3.2件 is that year's own figure)
_TARGET_YEAR = re.compile(r"(?:到|至)\s*((?:19|20)\d{2})\s*年")
NO_SUCH_SECTION = "所收录的文件中没有找到“{ref}”这一章节或条款。以下是最接近的条款，仅供参考。"
NO_OWN_PLAN = "所收录的文件中没有{region}本级的文件（只有{below}的），其中没有找到直接相关的条款。"

# Whether a second or third hit adds a sentence to an answer, and whether a region covers a compared
# topic: its best clause is close in meaning OR shares enough of the question's weighted terms (set by a
# grid over the development and held-out sets, retrieval/eval/README.md; the abstention itself is the
# calibrated model's).
DENSE_CONFIDENT = 0.875
COVERAGE_CONFIDENT = 0.20
# A region covers a compared topic when its best clause passes the same test; a clause is "similar"
# to another region's clause when their vectors are this close.
DENSE_SIMILAR = 0.90
# A compared region whose shown clauses pass only on shared words, under this share of the topic's weighted
# terms and none close in meaning, is shown as partly related (RegionCoverage.partial), after the regions
# that cover the topic. Chosen on development: the regions below it were mostly of other fields than the
# topic's (compare.offfield of the regions shown as covering 0.175 -> 0.113, none of the judged covering
# documents moved out of the covering group) — retrieval/eval/README.md.
COVERAGE_COVERS = 0.30
# compare()'s own test of a region's clause (answers keep the one above): close in meaning (COMPARE_DENSE),
# or nearly as close as the best clause of the whole list (a question's cosines sit higher or lower as a
# whole: an English question's lower, a short one's higher), or naming the topic and holding COMPARE_COVERAGE
# of its weighted terms. Fitted on the comparisons of development and the cross-field development set
# (retrieval/eval/README.md, stop 26): the regions shown that are of another field fell by half.
COMPARE_DENSE = 0.89
# (the nearly-as-close test counts only when the best clause is itself close, DENSE_CONFIDENT: a topic no
# plan covers has a best clause too, and everything near it is as unrelated; the stop-26 code review found
# 足球运动推广 shown in 10 regions)
COMPARE_NEAR_BEST = 0.025
COMPARE_COVERAGE = 0.25
# An answer whose calibrated probability is under one half is more likely not to answer than to answer:
# it is still given (the abstention threshold is lower, so that plain questions are answered), but marked
# tentative, and the app says to check the clauses. Not tuned: the point where the odds turn.
TENTATIVE_BELOW = 0.5

_FIGURE = re.compile(
    r"(?:(?:到|至)?\s*(?P<year>20\d{2})\s*年(?:年?末|底)?[^。；，,]{0,24}?)?"
    r"(?P<num>\d+(?:\.\d+)?|(?<![一二三四五六七八九十百千万两])[一二三四五六七八九十百千两]+万?(?=元|万元|倍))\s*"
    r"(?P<unit>" + UNIT_PATTERN + r")"
)
# A year alone (2025年) is when, not how much.
_NOT_A_FIGURE = re.compile(r"^(?:19|20)\d{2}年$")
# How far before a figure its own words are looked for (they name what it measures).
FIGURE_WORDS = 40


def confident(signals) -> bool:
    return covers_hit(signals.dense, lambda: signals.coverage)


def partly_covers(dense: float, coverage: Callable[[], float]) -> bool:
    """Whether a hit that ``covers_hit`` passed does so only on shared words (see COVERAGE_COVERS)."""
    return dense < DENSE_CONFIDENT and coverage() < COVERAGE_COVERS


def region_judges(
    coverage_of: Callable[[Hit], float], similar: bool, hits: Sequence[Hit] = ()
) -> tuple[Callable[[Hit], bool], Callable[[Hit], bool] | None]:
    """``ranking.by_region``'s two judges of a comparison's ranked ``hits`` (does it cover the topic; only
    partly?), each hit's term coverage computed at most once and only when its cosine does not decide.
    ``similar`` (similar_to): the cosine alone decides, and nothing is partial."""
    known: dict[str, float] = {}
    best = max((h.dense_score or 0.0 for h in hits), default=1.0)

    def coverage(h: Hit) -> float:
        if h.clause_id not in known:
            known[h.clause_id] = coverage_of(h)
        return known[h.clause_id]

    def covers(h: Hit) -> bool:
        dense = h.dense_score or 0.0
        if similar:
            return dense >= DENSE_SIMILAR
        near = dense > 0 and best >= DENSE_CONFIDENT and dense >= best - COMPARE_NEAR_BEST
        return dense >= COMPARE_DENSE or near or coverage(h) >= COMPARE_COVERAGE

    def partial(h: Hit) -> bool:
        return partly_covers(h.dense_score or 0.0, lambda: coverage(h))

    return covers, None if similar else partial


def covers_hit(dense: float, coverage: Callable[[], float]) -> bool:
    """Whether a hit adds to an answer: its dense cosine, else its term coverage (computed only then)."""
    return dense >= DENSE_CONFIDENT or coverage() >= COVERAGE_CONFIDENT


# How many of a named section's sub-sections an answer lists.
OUTLINE_ITEMS = 12


def _section_outline(searcher, pq, top: Hit) -> Answer | None:
    """For a section reference that names a section with sub-sections (普陀区消防规划 第三章), the section
    and what it holds: 「第三章 主要任务，包括：（一）健全社会消防治理体系；（二）…。」 cited as the section.
    None when the reference names a clause without sub-sections (the answer is its sentence)."""
    ref = pq.section_ref
    path = top.clause.section_path
    if ref is None or not ref.numbers or not path:
        return None
    scheme, value = ref.numbers[-1]
    depth = next(
        (d for d in range(len(path), 0, -1) if (n := match_number(path[d - 1])) and n.value == value
         and scheme_fits(scheme, n.scheme)),
        None,
    )
    if depth is None or top.clause.text.rstrip().endswith(("：", ":")):
        return None  # 第二十三条 供水单位应当遵守下列规定：… is answered by its words and the list they open
    entry = searcher.index.document(top.clause.doc_id)
    section = path[:depth]
    children = [h for h in getattr(entry, "headings", ()) if len(h.path) == depth + 1 and h.path[:depth] == section]
    # sub-sections without titles (a chapter's 第八条, 第九条 …) say nothing listed: the first clause answers
    if not children or all(canonical(h.scheme, int(h.number)) == h.label for h in children if h.number.isdigit()):
        return None
    children = [h.label for h in children]
    listed = "；".join(children[:OUTLINE_ITEMS]) + ("等" if len(children) > OUTLINE_ITEMS else "")
    text = f"{section[-1]}，包括：{listed}。"
    c = cite(replace(top.clause, section_path=section, kind="intro", label=section[-1]), top.document)
    return Answer(f"{text}〔{c.short}〕", False, (AnswerSentence(text, c, top.clause_id),))


def _decide(searcher, pq, hits: list[Hit]) -> tuple[float, bool, bool]:
    """(confidence, whether to answer, whether the confidence is a calibrated probability): the calibrated
    model's probability and threshold; for an embedding model it was not fitted for, the uncalibrated
    two-signal rule."""
    if not hits:
        return 0.0, False, False
    calibrated = answerable(searcher, pq, hits)
    if calibrated is not None:
        probability, threshold = calibrated
        return probability, probability >= threshold, True
    signals = searcher.best_signals(pq, hits[:3])
    dense = max(0.0, min(1.0, (signals.dense - 0.78) / (0.95 - 0.78)))
    return max(dense, min(1.0, signals.coverage)), confident(signals), False


def answer(searcher, query, hits: list[Hit]) -> Answer:
    """The answer to ``query`` from its ranked ``hits`` (as returned by ``searcher.search``)."""
    pq = searcher.parse(query) if isinstance(query, str) else query
    top = hits[0] if hits else None
    if pq.missing_regions:  # never answer for 福建 with another region's clause
        return Answer(NO_PLAN_OF.format(region="、".join(pq.missing_regions)), True, confidence=0.0)
    pinned = bool(top and "section reference" in top.reasons)
    if pq.section_ref is not None and not pinned:  # 青海 四、(一)99.: say so, never answer from another clause
        return Answer(NO_SUCH_SECTION.format(ref=pq.section_ref.text.strip()), True, confidence=0.0)
    probability, answers, calibrated = _decide(searcher, pq, hits)
    tentative = calibrated and not pinned and probability < TENTATIVE_BELOW
    if top is None or not (pinned or answers):
        return Answer(_not_found(searcher, pq), True, confidence=round(probability, 3))
    hits = _in_force_first(pq, hits)  # 什么时候施行: the clause saying 自…起施行, where one of the ten best does
    hits, no_fine = (hits, False) if pinned else _fine_for(searcher, pq, hits)  # 罚款多少: the article enforcing it
    read = [_as_read(searcher, pq, h.clause) for h in hits[:3]]
    gap = "" if pinned else ("金额" if no_fine else unstated(pq.asks, read, query_terms(pq.content_text)))
    if gap:  # asked for a sum, a date …: clauses on the topic that do not state one do not answer
        return Answer(NOT_STATED.format(what=gap), True, confidence=round(probability, 3), unstated=gap)
    outline = _section_outline(searcher, pq, top) if pinned else None
    if outline is not None:  # a chapter or part named: what it holds, not its first clause's first sentence
        return replace(outline, confidence=round(probability, 3))
    weights = searcher.term_weights()
    if pq.intent == "responsible":
        owner = _responsible_clause(searcher, top)
        if owner is not None:
            deps = owner.departments if owner.departments.source else _paragraph_departments(searcher, owner, pq, weights)
            # read from a division table's row (the item's own text names nobody): the row is what says so
            said_by = searcher.index.clause(deps.source) if deps.source else None
            owner = said_by or owner
            c = cite(owner, top.document)
            if deps.lead:  # 牵头 only where others share the work: a sole department 负责 (as the clause says)
                text = f"由{'、'.join(deps.lead)}" + (f"牵头，{'、'.join(deps.support)}等按职责分工负责" if deps.support else "负责")
            else:  # asked who leads, and the clause names none: said, not left to be read into the list
                text = ("该条未写明牵头部门，" if "牵头" in pq.search_text else "") + f"由{'、'.join(deps.support)}等按职责分工负责"
            text += "。"
            return Answer(
                f"{text}〔{c.short}〕", False, (AnswerSentence(text, c, owner.clause_id),),
                departments=deps.lead + deps.support, confidence=round(probability, 3), tentative=tentative,
            )
    sentences: list[AnswerSentence] = []
    figures: list[str] = []  # the figures the quoted sentences state
    listed: list[str] = []  # those and an indicator row's values, in the order quoted
    asked = {t: weights.get(t, 1.0) for t in query_terms(pq.content_text)} if pq.intent == "figure" else None
    # a bare section reference (宁波 第二篇第三章第二节) asks nothing of the clause's words: its content
    # falls back to the whole query, whose numbers would pick the heading line (第二节 优化能源结构) to quote
    said = "" if pinned and pq.content_text == pq.search_text else pq.content_text
    paragraph = _paragraph_asked(pq) if pinned else 0
    if paragraph and (quoted := _paragraph_quoted(searcher, top, paragraph)) is not None:  # 第十二条第三款
        return Answer(f"{quoted.text}〔{quoted.citation.short}〕", False, (quoted,), confidence=round(probability, 3))
    for hit in _year_first(pq, hits[:3], weights):
        if sentences and (hit.rank > 1 and not confident(searcher.signals(pq, hit))):
            continue
        c = cite(hit.clause, hit.document)
        if hit.clause.kind != "indicator" and (row := labelled_row(searcher, hit.clause)):
            found = _figures(row, asked) if pq.intent == "figure" else []
            if pq.intent == "figure" and not found and sentences:
                continue
            sentences.append(AnswerSentence(row, c, hit.clause_id))  # 项目名称：…；总投资：4.3亿元
            figures += found
            listed += found
        elif hit.clause.kind == "indicator":
            sentences.append(AnswerSentence(hit.clause.text, c, hit.clause_id))
            found = _figures(hit.clause.text, asked)
            figures += found
            # the row's values (its unit stands in its name) are listed, but only what its text states ends
            # the answer: the sentences quoted after it stay those that state a figure
            listed += _row_figures(searcher, hit.clause, pq) or found
        else:
            chosen = highlight(hit.clause.text, said, weights=weights, max_sentences=1).sentences
            if pq.intent == "figure":  # the sentence that states a figure, among those that answer
                wider = highlight(hit.clause.text, said, weights=weights, max_sentences=3).sentences
                stating = [sp for sp in wider if _figures(hit.clause.text[sp[0]:sp[1]])]
                # the one holding most of the question (一项实用新型专利的奖金… after 一项发明专利的奖金…；),
                # the first of equals
                stating.sort(key=lambda sp: -_weight_held(hit.clause.text[sp[0]:sp[1]], asked))
                chosen = stating[:1] or chosen
            elif pq.asks:  # a time limit, a date … asked: the sentence that states one, among those that answer
                wider = highlight(hit.clause.text, said, weights=weights, max_sentences=3).sentences
                chosen = [sp for sp in wider if not unstated(pq.asks, [hit.clause.text[sp[0] : sp[1]]])][:1] or chosen
            for start, end in chosen:
                end = _whole_sentence(hit.clause.text, start, end)
                titled, end = end, _past_title(hit.clause, start, end)
                sentence = hit.clause.text[start:end]
                if end != titled:  # the heading and the sentence after it, on one line
                    sentence = re.sub(r"\s*\n\s*", " ", sentence)
                if not hit.clause.text[end:].strip():  # the clause's last words open a list: say what it lists
                    sentence += list_items(searcher.index, hit.clause, sentence)
                if start == 0 and (lead := list_lead(searcher.index, hit.clause)):
                    sentence = lead + sentence  # an item alone (（二）以专利权质押的；) with what it is a case of
                if pq.intent == "figure":
                    found = _figures(sentence, asked)
                    if not found and sentences:
                        continue
                    figures += found
                    listed += found
                sentences.append(AnswerSentence(sentence, c, hit.clause_id))
        if len(sentences) >= (1 if pinned else 3) or (pq.intent == "figure" and figures):
            break
        if hit.rank >= 2 and not pq.regions:
            break  # with no region named, the best clause and one more (often another region's) suffice
    text = "".join(f"{s.text}〔{s.citation.short}〕" for s in sentences)
    if paragraph:  # a paragraph the article does not set apart: said, and the article quoted instead
        text = PARAGRAPH_NOT_FOUND.format(n=int_to_cn(paragraph)) + text
    year_note = _year_note(pq, sentences) if pq.intent == "figure" and not pinned else ""
    if year_note:  # 到2030年…多少 answered from 2025's figures only: the plans do not state what was asked
        return Answer(year_note, True, confidence=round(probability, 3), unstated=YEAR_LABEL, year_note=year_note)
    if pq.intent == "figure" and not pinned and (not listed or unstated(pq.asks, [*(s.text for s in sentences), *listed])):
        tentative = True  # a figure asked, and none quoted (or none of the kind asked: 件 where 亿元 was asked)
    return Answer(text, False, tuple(sentences), tuple(dict.fromkeys(listed)), confidence=round(probability, 3),
                  tentative=tentative)


_PARAGRAPH_REF = re.compile(r"第([一二三四五六七八九十]{1,3}|\d{1,2})款")
PARAGRAPH_NOT_FOUND = "（该条中未能单独找到第{n}款，以下引自该条。）"


def _paragraph_asked(pq) -> int:
    """The paragraph (款) a section reference names, 0 when none (黄山市 第十二条第三款 → 3)."""
    if pq.section_ref is None:
        return 0
    m = _PARAGRAPH_REF.search(pq.search_text, max(pq.search_text.find(pq.section_ref.text), 0))
    return (cn_to_int(m.group(1)) or 0) if m else 0


def _paragraph_quoted(searcher, top: Hit, n: int) -> AnswerSentence | None:
    """An article's ``n``-th paragraph, cited with it (…第十二条第三款). The article's paragraphs are its
    clause's lines, then those of the clauses after its items that carry its path (a 第二款 after the
    article's （一）…（四）: ``clauses`` keeps them apart under ids ~2, ~3). None when there are fewer."""
    base = top.clause_id.split("#")[0].split("~")[0]
    paragraphs: list[str] = []
    k, clause = 1, searcher.index.clause(base)
    while clause is not None and clause.section_path == top.clause.section_path:
        if clause.part == 1 and clause.parts == 1:  # (a long clause cut in parts: its lines are not its 款)
            paragraphs += [line.strip() for line in clause.text.split("\n") if line.strip()]
        k += 1
        clause = searcher.index.clause(f"{base}~{k}")
    if n > len(paragraphs) or len(paragraphs) < 2:
        return None
    c = cite(top.clause, top.document)
    word = f"第{int_to_cn(n)}款"
    c = replace(c, canonical=f"{c.canonical} {word}", short=f"{c.short}{word}", official=f"{c.official}{word}",
                simplified=f"{c.simplified} {word}")
    return AnswerSentence(paragraphs[n - 1], c, top.clause_id)


# A half of a sentence (…责令改正；) is quoted with the rest of its sentence (拒不改正的，处…罚款。) when the
# whole is short: a regulation's consequence follows its ；, and a plan's long lists of ；-clauses stay cut.
WHOLE_SENTENCE = 120


def _whole_sentence(text: str, start: int, end: int) -> int:
    if not text[start:end].rstrip().endswith(("；", ";")):
        return end
    stop = re.search(r"[。！？!?\n]", text[end:])
    whole = end + stop.end() if stop else len(text)
    return whole if whole - start <= WHOLE_SENTENCE and "\n" not in text[start:whole].rstrip("\n") else end


def _past_title(clause, start: int, end: int) -> int:
    """Where a quoted sentence ends: a sentence that is only the clause's heading (五、强力推进全省大气污染防治
    攻坚战, 3.全力实施“两品一标”行动。) names the topic and answers nothing, so the sentence after it is quoted
    with it. So is a sentence that is only the title of a numbered item inside the clause (a 专栏's
    3.智慧养老平台建设工程。), unless the next sentence opens another item."""
    sentence = clause.text[start:end]
    own = bool(clause.label) and task_key(sentence) == task_key(clause.label)
    if not own and not _item_title(sentence):
        return end
    after = next(((s, e) for s, e in sentence_spans(clause.text) if s >= end), None)
    if after is None or (not own and match_number(clause.text[after[0] : after[1]].lstrip())):
        return end
    return after[1]


# An item's title: a number, then a few words with no clause break (3.智慧养老平台建设工程。)
ITEM_TITLE_CHARS = 24


def _item_title(sentence: str) -> bool:
    text = sentence.strip()
    number = match_number(text)
    if number is None:
        return False
    title = text[number.end :].strip().rstrip("。.；;")
    return 0 < len(title) <= ITEM_TITLE_CHARS and not re.search(r"[，,；;：:、]", title)


def _year_first(pq, hits: list[Hit], weights: Mapping[str, float] | None = None) -> list[Hit]:
    """For a figure question that names a year (到2030年…多少), the hits whose text names it first (an
    indicator row's 2030年目标：75 before a section's 不低于80%), each group in rank order — those that hold
    as much of the question's other terms as the best hit (with ``weights``, the terms' IDF): another topic's
    到2030年 sentence does not pass the clause about the one asked."""
    asked = set(_YEAR.findall(pq.search_text)) if pq.intent == "figure" else set()
    if not asked or not hits:
        return hits
    terms = {t: (weights or {}).get(t, 1.0) for t in query_terms(pq.content_text) if not _YEAR.search(t) and not t.isdigit()}
    least = _weight_held(hits[0].clause.text, terms)
    return sorted(hits, key=lambda h: not (asked & set(_YEAR.findall(years_to_digits(h.clause.text)))
                                           and _weight_held(h.clause.text, terms) >= least))


def _year_note(pq, sentences) -> str:
    """For a figure question that names a year (到2030年…多少), when the quoted sentences name years and
    none is that one: say so (their figure is another year's, a 2025 target is no 2030 one)."""
    asked = dict.fromkeys(_YEAR.findall(pq.search_text))
    stated = dict.fromkeys(y for s in sentences for y in _YEAR.findall(_FROM_YEAR.sub("", years_to_digits(s.text))))
    if not asked or not stated or set(asked) & set(stated):
        return ""
    return YEAR_NOT_STATED.format(asked="、".join(asked), stated="、".join(stated))


def _not_found(searcher, pq) -> str:
    """The abstention's words: for a province the question names whose own documents the index lacks
    (广东省…, where only 深圳市's regulation is indexed), say so rather than only that nothing matched."""
    own = {r.name for r in searcher.regions}
    for region in pq.regions:
        if region not in own:
            below = sorted({r.name for r in searcher.regions if r.province == region})
            if below:
                return NO_OWN_PLAN.format(region=region, below="、".join(below[:3]) + ("等" if len(below) > 3 else ""))
    return ABSTAIN_MESSAGE


def untranslated_note(pq, ans: Answer) -> str:
    """For an English question the plans do not answer, or answer only tentatively: the words of it that
    matched none of the plans' Chinese terms (the lexical side could not look for them), so that the
    reader can ask in Chinese. "" otherwise. The one wording for the page and the command line."""
    if pq.lexical_trust is None or not (ans.abstain or ans.tentative):
        return ""
    unknown = untranslated_words(pq.raw, pq.places)[:8]
    if not unknown:
        return ""
    words = ", ".join(unknown)
    return (f"英文问题中未能对应到规划用语的词：{words}。规划原文为中文，用中文提问通常更准确。"
            f" / Not matched to the plans' Chinese terms: {words}; asking in Chinese usually finds more.")


def _responsible_clause(searcher, hit: Hit):
    """The clause that names who is responsible for what the best hit says: the hit itself, another part
    of it, or the section it sits in (plans often name departments once per section). Never another
    topic's clause: a department list from a neighbouring hit would be a confident wrong answer."""
    clause = hit.clause
    base, _, _ = clause.clause_id.partition("#")
    stem, _, path = base.rpartition(":")
    candidates = [clause.clause_id] + [f"{base}#{i}" for i in range(1, clause.parts + 1)] + [base]
    while "." in path:
        path = path.rsplit(".", 1)[0]
        candidates += [f"{stem}:{path}", f"{stem}:{path}#1"]
    for clause_id in candidates:
        found = searcher.index.clause(clause_id)
        if found is not None and found.departments:
            return found
    return None


def _paragraph_departments(searcher, owner, pq, weights: Mapping[str, float]):
    """The bodies a clause names for what the question asks: a clause that names them paragraph by
    paragraph (…推动绿色专利技术产业化。（省农业农村厅、省市场监管局…按职责分工负责） after a paragraph
    with its own list) gives those of the paragraph holding most of the question's weighted terms; a
    clause with one list gives it whole."""
    base = owner.clause_id.partition("#")[0]
    parts = [owner] if owner.parts == 1 else [searcher.index.clause(f"{base}#{i}") for i in range(1, owner.parts + 1)]
    parts = [c for c in parts if c is not None]
    entry = searcher.index.document(owner.doc_id)
    # the clause as written (its parts' spans in the document's text: a cut between parts is no paragraph)
    whole = entry.text[parts[0].span[0] : parts[-1].span[1]] if entry is not None and parts else owner.text
    paragraphs: list[str] = []
    for line in whole.split("\n"):
        if LABELLED_LINE.match(line) and paragraphs:
            paragraphs[-1] += "\n" + line  # 牵头单位：… / 配合单位：… lines are the paragraph's above
        elif line.strip():
            paragraphs.append(line)
    named = [(p, d) for p in paragraphs if (d := parse_departments(p))]
    if len(named) < 2:
        return owner.departments
    terms = query_terms(pq.content_text)
    scores = [sum(weights.get(t, 1.0) for t in terms if t in search_form(p).text) for p, _ in named]
    best = max(range(len(named)), key=lambda i: scores[i])  # the first of equals
    return named[best][1] if scores[best] > 0 else owner.departments


def _weight_held(text: str, weights: Mapping[str, float]) -> float:
    """How much of the question (its terms and their weights) ``text`` holds."""
    form = search_form(text).text
    return sum(w for term, w in weights.items() if term in form)


# A question about when something takes effect, and the sentence that says so (本条例自2024年3月1日起施行)
_IN_FORCE_ASKED = re.compile(r"施行|生效|实施日期|实施时间|开始实施")
_IN_FORCE = re.compile(r"自[^。；;，,]{4,24}?起(?:施行|实施|生效)")
IN_FORCE_DEPTH = 10  # how far down the ranking the in-force clause is looked for


def _in_force_first(pq, hits: list[Hit]) -> list[Hit]:
    """For a question asking when something takes effect, the hits with the first of the best ten that says
    自…起施行 first (a regulation's last article ranks below the articles that share the question's other
    words); otherwise as ranked."""
    if "date" not in pq.asks or not _IN_FORCE_ASKED.search(pq.search_text):
        return hits
    doc = hits[0].clause.doc_id if hits else ""  # the document asked about, not another's 自…起施行
    stating = next((h for h in hits[:IN_FORCE_DEPTH] if h.clause.doc_id == doc and _IN_FORCE.search(h.clause.text)), None)
    return hits if stating is None else [stating, *(h for h in hits if h is not stating)]


# A regulation's penalty articles name the articles they enforce: 违反本条例第十条、第十二条规定…处…罚款
_ENFORCED = re.compile(r"违反本(?:条例|办法|规定|细则)((?:第[一二三四五六七八九十百零〇\d]+条(?:第[一二三四五六七八九十]+款)?[、，,和及或者至到]*)+)")
_ARTICLE_NO = re.compile(r"第([一二三四五六七八九十百零〇\d]+)条")
_ARTICLE_LABEL = re.compile(r"^第[一二三四五六七八九十百零〇\d]+条$")


def _enforced(text: str) -> set[int] | None:
    """The article numbers a penalty text enforces (第十条至第十二条 is three), None when it names none."""
    found: set[int] = set()
    for m in _ENFORCED.finditer(text):
        numbers = [cn_to_int(n) or 0 for n in _ARTICLE_NO.findall(m.group(1))]
        found.update(numbers)
        if "至" in m.group(1) or "到" in m.group(1):
            found.update(range(min(numbers), max(numbers) + 1))
    return found or None


def _fine_for(searcher, pq, hits: list[Hit]) -> tuple[list[Hit], bool]:
    """For a question asking how much a fine is: (the hits with the penalty article that enforces the best
    article on the topic first, whether the regulation states no fine for it). The fine of another article's
    breach is not this one's: when every penalty article of the document names the articles it enforces and
    none names the one asked about, no fine is stated. Otherwise the hits as ranked."""
    if "money" not in pq.asks or "罚" not in pq.search_text:
        return hits, False
    topic = hits[0] if hits else None  # the best clause is the article asked about, not already a penalty
    if topic is None or "罚款" in topic.clause.text or not topic.clause.section_path \
            or not _ARTICLE_LABEL.match(topic.clause.section_path[-1]):
        return hits, False
    asked = cn_to_int(_ARTICLE_NO.match(topic.clause.section_path[-1]).group(1))
    # each penalty article with what it enforces (its paragraphs, clauses of their own, share its numbers)
    articles: dict[tuple[str, ...], tuple[Clause, set[int]]] = {}
    for c in searcher.index.clauses_of(topic.clause.doc_id):
        if "罚款" in c.text:
            first, numbers = articles.get(c.section_path, (c, set()))
            articles[c.section_path] = (first, numbers | (_enforced(c.text) or set()))
    named = list(articles.values())
    enforcing = next((c for c, numbers in named if asked in numbers), None)
    if enforcing is not None:
        hit = next((h for h in hits if h.clause_id == enforcing.clause_id), None)
        hit = hit or Hit(enforcing, topic.document, rank=topic.rank, score=0.0)
        return [hit, *(h for h in hits if h is not hit)], False
    return hits, bool(named) and all(numbers for _, numbers in named)


def _as_read(searcher, pq, clause) -> str:
    """A clause as the check for the asked kind of fact reads it: a table row with its header (总投资：4.3亿元),
    an indicator row with its values' units (20亿元（2030年）: its text has the unit in its name only)."""
    if clause.kind == "indicator":
        return " ".join([clause.text, *_row_figures(searcher, clause, pq)])
    return labelled_row(searcher, clause) or clause.text


def _row_figures(searcher, clause, pq) -> list[str]:
    """An indicator row's figures, read from its records rather than its text (whose unit stands in the
    indicator's name: 护理型床位占比（%），…2030年目标：75): each target, then the baseline, with unit and
    year (75%（2030年）); a year the question names first, otherwise the plan's own target first."""
    records = [i for i in searcher.index.indicators_of(clause.doc_id) if tuple(i.span) == tuple(clause.span)]
    # the row's main target is its last record; a five-year plan's column (“十四五”现状值) is that plan's, not
    # its last year's (value_when)
    values = [(i.target_year, i.target, i.target_period) for i in reversed(records)]
    values += [(i.baseline_year, i.baseline, i.baseline_period) for i in records[:1]]
    asked = set(_YEAR.findall(pq.search_text))
    stated = [f"{value}{records[0].unit}（{value_when(year, period)}）" if year else f"{value}{records[0].unit}"
              for year, value, period in sorted(values, key=lambda v: v[0] not in asked) if re.search(r"\d", value or "")]
    return list(dict.fromkeys(stated))


def _figures(sentence: str, weights: Mapping[str, float] | None = None) -> list[str]:
    """The figures a sentence states (3.6件, 7000万元（2025年）). With ``weights`` (the question's terms and
    their weights), the figure whose own words - those just before it, back to the previous figure -
    hold more of the question comes first (每万人口高价值发明专利拥有量达到1.25件 before 满意度80分 for a
    question about the former); otherwise, and on ties, in the order they are written. A text in traditional
    characters is read in simplified ones (12億元 is 12亿元)."""
    found: list[tuple[float, str]] = []
    previous = 0
    sentence = to_simplified(sentence)
    for m in _FIGURE.finditer(sentence):
        figure = f"{m.group('num')}{m.group('unit')}"
        start, previous = max(previous, m.start() - FIGURE_WORDS), m.end()
        if _NOT_A_FIGURE.match(figure):
            continue
        score = 0.0
        if weights:
            score = _weight_held(sentence[start : m.end()], weights)
        year = m.group("year")
        if year and _COMPARED_WITH.search(sentence[: m.start("year")]):  # 比2020年下降19.5%: not 2020's figure
            year = next((y for y in reversed(_TARGET_YEAR.findall(sentence[: m.start("year")]))), "")
        found.append((score, f"{figure}（{year}年）" if year else figure))
    return [figure for _, figure in sorted(found, key=lambda f: -f[0])]  # stable: text order on ties
