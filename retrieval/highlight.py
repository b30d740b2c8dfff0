"""Highlighting: which sentences of a clause answer the query, and which terms match, as spans on the
displayed text. Matching runs on the search form (simplified, NFKC) and maps back through its offsets,
so a simplified query highlights the characters of a traditional clause.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Mapping

from indexer import packs
from indexer.lexical import tokenize, word_spans
from indexer.sentences import sentence_spans
from indexer.textnorm import search_form

from .records import Highlight, Span

_CJK_WORD = re.compile(r"[\u4e00-\u9fff]+")


def query_terms(query: str) -> set[str]:
    """The query's bigrams and ASCII words on the search form, without the ubiquitous ones."""
    common = packs.items("common-bigrams.txt")  # too common in plans to mean a match on their own
    return {t for t in tokenize(query, "bigram") if t not in common and (len(t) > 1 or not t.isascii())}


@functools.lru_cache(maxsize=256)
def long_words(topic: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The words of a compared topic of three or more characters (jieba: 水资源, 数据安全, 质押融资), each
    with the shorter dictionary words it is made of when they cover all of its characters (数据安全 → 数据,
    安全; 水资源 → none: 资源 leaves 水 out). A long word names the topic; its pieces alone do not."""
    simple = search_form(topic).text
    spans = word_spans(simple)
    out = []
    for start, end in spans:
        word = simple[start:end]
        if end - start < 3 or not _CJK_WORD.fullmatch(word):
            continue
        if any(s <= start and end <= e and (s, e) != (start, end) for s, e in spans):
            continue  # inside a longer word: that one is the topic's word
        inner = [word[s:e] for s, e in word_spans(word) if e - s < len(word)]
        covered = {i for part in inner for i in range(word.find(part), word.find(part) + len(part))}
        out.append((word, tuple(dict.fromkeys(inner)) if len(covered) == len(word) else ()))
    return tuple(dict.fromkeys(out))


def names_topic(topic: str, form: str) -> bool:
    """Whether a clause (its search form) holds one of the topic's long words: whole, or its pieces
    together in one sentence (数据…安全 within a sentence). True when the topic has no long word."""
    words = long_words(topic)
    if not words:
        return True
    sentences = None
    for word, parts in words:
        if word in form:
            return True
        if parts:
            if sentences is None:
                sentences = [form[s:e] for s, e in sentence_spans(form)]
            if any(all(p in sentence for p in parts) for sentence in sentences):
                return True
    return False


def highlight(text: str, query: str, *, weights: Mapping[str, float] | None = None, max_sentences: int = 2) -> Highlight:
    """Spans of the answering sentences and matched terms of ``text`` for ``query``.

    ``weights`` gives each term's importance (e.g. its IDF in the corpus); default 1. A sentence is
    chosen when it scores at least half of the best sentence; with no overlap at all (a paraphrase
    matched by meaning) the first sentence after the heading is chosen, as the clause's topic sentence.
    """
    terms = query_terms(query)
    form = search_form(text)
    simple = form.text
    marks = [False] * len(simple)
    for term in terms:
        start = simple.find(term)
        while start >= 0:
            for i in range(start, start + len(term)):
                marks[i] = True
            start = simple.find(term, start + 1)
    term_spans = [form.to_original(a, b) for a, b in _whole_words(simple, marks)]

    # Table rows (tab-separated cells) are not sentences to quote; indicators answer for them.
    sentences = [(s, e) for s, e in sentence_spans(text) if "\t" not in text[s:e]]
    scored = []
    for start, end in sentences:
        piece = simplify_piece(text[start:end])
        found = {t for t in terms if t in piece}
        score = sum((weights or {}).get(t, 1.0) for t in found)
        scored.append((score, start, end))
    chosen: list[Span] = []
    best = max((s for s, _, _ in scored), default=0.0)
    if best > 0:
        ranked = sorted(scored, key=lambda x: (-x[0], x[1]))
        chosen = [(s, e) for score, s, e in ranked[:max_sentences] if score >= 0.5 * best]
    elif sentences:
        # The heading sentence ("1.完善…建设。") names the topic; the one after it says what is done.
        chosen = [sentences[1] if len(sentences) > 1 and len(text[sentences[0][0]:sentences[0][1]]) < 30 else sentences[0]]
    return Highlight(tuple(sorted(chosen)), tuple(term_spans))


def _whole_words(simple: str, marks: list[bool]) -> list[Span]:
    """The marked runs, as whole words: a word (or a word inside a compound, or an ASCII run) is marked
    when every character of it matched the query, so no mark starts or ends mid-word (权质押融资,
    到 inside 达到) and a lone character never counts (一 inside 三合一)."""
    covered = [False] * len(simple)
    for start, end in word_spans(simple):
        if (end - start >= 2 or simple[start].isascii()) and all(marks[start:end]):
            covered[start:end] = [True] * (end - start)
    spans, i = [], 0
    while i < len(covered):
        if covered[i]:
            j = i
            while j < len(covered) and covered[j]:
                j += 1
            spans.append((i, j))
            i = j
        else:
            i += 1
    return spans


def simplify_piece(text: str) -> str:
    return search_form(text).text


def render_html(text: str, hl: Highlight, *, sentence_class: str = "hl-sentence", term_class: str = "hl-term") -> str:
    """The clause as HTML with <mark> elements. The text is escaped first: a clause can contain '<'."""
    events: list[tuple[int, int, str]] = []  # (position, order, tag): closing tags sort before opening ones
    hl = Highlight(telling_sentences(text, hl.sentences), hl.terms)
    for start, end in hl.sentences:
        events += [(start, 1, f'<mark class="{sentence_class}">'), (end, 0, "</mark>")]
    for start, end in _clip_terms(hl):
        events += [(start, 3, f'<mark class="{term_class}">'), (end, 2, "</mark>")]
    events.sort(key=lambda e: (e[0], e[1]))
    out, pos = [], 0
    for at, _, tag in events:
        out.append(html.escape(text[pos:at]))
        out.append(tag)
        pos = at
    out.append(html.escape(text[pos:]))
    return "".join(out).replace("\n", "<br>")


def telling_sentences(text: str, sentences: tuple[Span, ...], share: float = 0.8) -> tuple[Span, ...]:
    """The sentences worth marking: none when they make up nearly the whole text, since marking a whole
    clause says nothing about where in it the answer is (the matched words are still marked)."""
    total = sum(1 for ch in text if not ch.isspace())
    marked = sum(1 for a, b in sentences for ch in text[a:b] if not ch.isspace())
    return () if total and marked >= share * total else sentences


def _clip_terms(hl: Highlight) -> list[Span]:
    """Term spans cut at sentence boundaries, so the <mark> elements nest properly."""
    cuts = sorted({p for s in hl.sentences for p in s})
    out = []
    for start, end in hl.terms:
        points = [start] + [c for c in cuts if start < c < end] + [end]
        out += [(a, b) for a, b in zip(points, points[1:], strict=False) if b > a]
    return out
