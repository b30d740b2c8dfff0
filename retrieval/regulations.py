"""What a regulation says of itself: when it takes effect (本条例自2024年3月1日起施行) and which penalty article
enforces which article (违反本条例第十条规定…处…罚款). An answer about either is taken from those clauses, not
from whichever clause ranks first.
"""

from __future__ import annotations

import re

from indexer.numbering import cn_to_int
from indexer.records import Clause

from .records import Hit

# A question about when something takes effect, and the sentence that says so (本条例自2024年3月1日起施行)
_IN_FORCE_ASKED = re.compile(r"施行|生效|实施日期|实施时间|开始实施")
_IN_FORCE = re.compile(r"自[^。；;，,]{4,24}?起(?:施行|实施|生效)")
IN_FORCE_DEPTH = 10  # how far down the ranking the in-force clause is looked for


def in_force_first(pq, hits: list[Hit]) -> list[Hit]:
    """For a question asking when something takes effect, the hits with the first of the best ten that says
    自…起施行 first (a regulation's last article ranks below the articles that share the question's other
    words); otherwise as ranked."""
    if "date" not in pq.asks or not _IN_FORCE_ASKED.search(pq.search_text):
        return hits
    doc = hits[0].clause.doc_id if hits else ""  # the document asked about, not another's 自…起施行
    stating = next((h for h in hits[:IN_FORCE_DEPTH] if h.clause.doc_id == doc and _IN_FORCE.search(h.clause.text)), None)
    return hits if stating is None else [stating, *(h for h in hits if h is not stating)]


# A regulation's penalty articles name the articles they enforce: 违反本条例第十条、第十二条规定…处…罚款
# A regulation's penalty articles name the articles they enforce: 违反本条例第十条、第十二条规定…处…罚款
_ENFORCED = re.compile(r"违反本(?:条例|办法|规定|细则)((?:第[一二三四五六七八九十百零〇\d]+条(?:第[一二三四五六七八九十]+款)?[、，,和及或者至到]*)+)")
_ARTICLE_NO = re.compile(r"第([一二三四五六七八九十百零〇\d]+)条")
_ARTICLE_LABEL = re.compile(r"^第[一二三四五六七八九十百零〇\d]+条$")


def enforced(text: str) -> set[int] | None:
    """The article numbers a penalty text enforces (第十条至第十二条 is three), None when it names none."""
    found: set[int] = set()
    for m in _ENFORCED.finditer(text):
        numbers = [cn_to_int(n) or 0 for n in _ARTICLE_NO.findall(m.group(1))]
        found.update(numbers)
        if "至" in m.group(1) or "到" in m.group(1):
            found.update(range(min(numbers), max(numbers) + 1))
    return found or None


def fine_for(searcher, pq, hits: list[Hit]) -> tuple[list[Hit], bool]:
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
            articles[c.section_path] = (first, numbers | (enforced(c.text) or set()))
    named = list(articles.values())
    enforcing = next((c for c, numbers in named if asked in numbers), None)
    if enforcing is not None:
        hit = next((h for h in hits if h.clause_id == enforcing.clause_id), None)
        hit = hit or Hit(enforcing, topic.document, rank=topic.rank, score=0.0)
        return [hit, *(h for h in hits if h is not hit)], False
    return hits, bool(named) and all(numbers for _, numbers in named)


# A reference to an article's paragraph: 第十二条第三款
_PARAGRAPH_REF = re.compile(r"第([一二三四五六七八九十]{1,3}|\d{1,2})款")


def paragraph_asked(pq) -> int:
    """The paragraph (款) a section reference names, 0 when none (黄山市 第十二条第三款 → 3)."""
    if pq.section_ref is None:
        return 0
    m = _PARAGRAPH_REF.search(pq.search_text, max(pq.search_text.find(pq.section_ref.text), 0))
    return (cn_to_int(m.group(1)) or 0) if m else 0


def article_id(clause: Clause) -> str:
    """The id of the article's first clause (an article's later paragraphs, set apart after its items, are
    its ~2, ~3; a long clause's parts its #1, #2)."""
    return clause.clause_id.split("#")[0].split("~")[0]


def paragraph_of(clauses: list[Clause], n: int) -> tuple[Clause, str] | None:
    """Of an article's clauses in order (its first, then its ~2, ~3), the one holding its ``n``-th paragraph
    and that paragraph: the article's paragraphs are its clauses' lines (a long clause cut in parts is not
    counted: its lines are not its 款). None when the article has fewer, or only one."""
    paragraphs = [(c, line.strip()) for c in clauses if c.part == 1 and c.parts == 1
                  for line in c.text.split("\n") if line.strip()]
    if n > len(paragraphs) or len(paragraphs) < 2:
        return None
    return paragraphs[n - 1]
