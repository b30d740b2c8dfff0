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
from indexer.numbering import canonical, int_to_cn, match_number
from indexer.sentences import sentence_spans
from indexer.textnorm import search_form

from .abstain import answerable
from .asks import label, unstated
from .cite import cite
from .figures import row_figures, stated_figures, weight_held, year_first, year_unstated
from .glossary import untranslated_words
from .highlight import highlight, query_terms
from .lists import list_items, list_lead
from .query import scheme_fits
from .records import Answer, AnswerSentence, Hit
from .regulations import article_id, fine_for, in_force_first, paragraph_asked, paragraph_of
from .rows import labelled_row

ABSTAIN_MESSAGE = "所收录的规划中没有找到直接相关的条款。"
NO_PLAN_OF = "所收录的文件中没有{region}的规划。以下是其他地区最接近的条款，仅供参考。"
TENTATIVE_NOTICE = "这些条款未必直接回答了所问的问题，请核对原文后再引用。"
NOT_STATED = "所收录的规划中没有找到写明所问{what}的条款。"
YEAR_LABEL = "年份的数值"
# a year a figure is compared with or grows from (较2023年, 由2020年的3.2件): not the year the figure is of
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
    hits = in_force_first(pq, hits)  # 什么时候施行: the clause saying 自…起施行, where one of the ten best does
    hits, no_fine = (hits, False) if pinned else fine_for(searcher, pq, hits)  # 罚款多少: the article enforcing it
    read = [_as_read(searcher, pq, h.clause) for h in hits[:3]]
    gap = "" if pinned else (label("money") if no_fine else unstated(pq.asks, read, query_terms(pq.content_text)))
    if gap:  # asked for a sum, a date …: clauses on the topic that do not state one do not answer
        return Answer(NOT_STATED.format(what=gap), True, confidence=round(probability, 3), unstated=gap)
    outline = _section_outline(searcher, pq, top) if pinned and not paragraph_asked(pq) else None  # not a 款
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
    paragraph = paragraph_asked(pq) if pinned else 0
    if paragraph and (quoted := _paragraph_quoted(searcher, top, paragraph)) is not None:  # 第十二条第三款
        return Answer(f"{quoted.text}〔{quoted.citation.short}〕", False, (quoted,), confidence=round(probability, 3))
    for hit in year_first(pq, hits[:3], weights):
        if sentences and (hit.rank > 1 and not confident(searcher.signals(pq, hit))):
            continue
        c = cite(hit.clause, hit.document)
        if hit.clause.kind != "indicator" and (row := labelled_row(searcher, hit.clause)):
            found = stated_figures(row, asked) if pq.intent == "figure" else []
            if pq.intent == "figure" and not found and sentences:
                continue
            sentences.append(AnswerSentence(row, c, hit.clause_id))  # 项目名称：…；总投资：4.3亿元
            figures += found
            listed += found
        elif hit.clause.kind == "indicator":
            sentences.append(AnswerSentence(hit.clause.text, c, hit.clause_id))
            found = stated_figures(hit.clause.text, asked)
            figures += found
            # the row's values (its unit stands in its name) are listed, but only what its text states ends
            # the answer: the sentences quoted after it stay those that state a figure
            listed += row_figures(searcher, hit.clause, pq) or found
        else:
            chosen = highlight(hit.clause.text, said, weights=weights, max_sentences=1).sentences
            if pq.intent == "figure":  # the sentence that states a figure, among those that answer
                wider = highlight(hit.clause.text, said, weights=weights, max_sentences=3).sentences
                stating = [sp for sp in wider if stated_figures(hit.clause.text[sp[0]:sp[1]])]
                # the one holding most of the question (一项实用新型专利的奖金… after 一项发明专利的奖金…；),
                # the first of equals
                stating.sort(key=lambda sp: -weight_held(hit.clause.text[sp[0]:sp[1]], asked))
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
                    found = stated_figures(sentence, asked)
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
    year_note = year_unstated(pq, sentences) if pq.intent == "figure" and not pinned else ""
    if year_note:  # 到2030年…多少 answered from 2025's figures only: the plans do not state what was asked
        return Answer(year_note, True, confidence=round(probability, 3), unstated=YEAR_LABEL, year_note=year_note)
    if pq.intent == "figure" and not pinned and (not listed or unstated(pq.asks, [*(s.text for s in sentences), *listed])):
        tentative = True  # a figure asked, and none quoted (or none of the kind asked: 件 where 亿元 was asked)
    return Answer(text, False, tuple(sentences), tuple(dict.fromkeys(listed)), confidence=round(probability, 3),
                  tentative=tentative)


PARAGRAPH_NOT_FOUND = "（该条中未能单独找到第{n}款，以下引自该条。）"


def _paragraph_quoted(searcher, top: Hit, n: int) -> AnswerSentence | None:
    """An article's ``n``-th paragraph, cited with it (…第十二条第三款). The article's paragraphs are its
    clause's lines, then those of the clauses after its items that carry its path (a 第二款 after the
    article's （一）…（四）: ``clauses`` keeps them apart under ids ~2, ~3). None when there are fewer."""
    base = article_id(top.clause)
    clauses, k, clause = [], 1, searcher.index.clause(base)
    while clause is not None and clause.section_path == top.clause.section_path:
        clauses.append(clause)
        k += 1
        clause = searcher.index.clause(f"{base}~{k}")
    held = paragraph_of(clauses, n)
    if held is None:
        return None
    c = cite(top.clause, top.document)
    word = f"第{int_to_cn(n)}款"
    c = replace(c, canonical=f"{c.canonical} {word}", short=f"{c.short}{word}", official=f"{c.official}{word}",
                simplified=f"{c.simplified} {word}")
    return AnswerSentence(held[1], c, top.clause_id)


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


def _as_read(searcher, pq, clause) -> str:
    """A clause as the check for the asked kind of fact reads it: a table row with its header (总投资：4.3亿元),
    an indicator row with its values' units (20亿元（2030年）: its text has the unit in its name only)."""
    if clause.kind == "indicator":
        return " ".join([clause.text, *row_figures(searcher, clause, pq)])
    return labelled_row(searcher, clause) or clause.text

