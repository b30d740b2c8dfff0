"""What the model is asked: the question and the top clauses, numbered [1]..[n] with their citations, and
instructions (in Chinese) to answer briefly, only from those clauses, citing each sentence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..cite import cite
from ..records import Citation, Hit

MAX_SOURCES = 5  # the clauses a short answer can draw on; more only dilutes the prompt
MAX_SOURCE_CHARS = 800  # a split clause part is ≤ ~400 characters; an indicator table row is short
# What the model is told to say when the clauses do not answer; read back as a refusal.
NO_ANSWER = "所给条款不能回答这个问题。"

SYSTEM = (
    "你是政府规划文件的问答助手。用户会给出一个问题和若干条编号的规划条款。"
    "请只根据这些条款，用简明、平实的中文回答，一般一到三句话，不要使用条款以外的知识，不要推测或引申。"
    "每句话末尾用方括号标出它所依据的条款编号，例如[1]或[1][2]，只能引用给出的编号。"
    "数字、年份、目标值、单位和部门名称照抄条款原文。"
    f"如果这些条款不能回答问题，只回答：{NO_ANSWER}"
)


@dataclass(frozen=True, slots=True)
class Source:
    """A clause offered to the model as [n]."""

    n: int
    clause_id: str
    citation: Citation
    text: str
    section: str  # section path joined with " > ", part of the evidence a sentence may draw on


def sources(hits: Sequence[Hit], limit: int = MAX_SOURCES) -> tuple[Source, ...]:
    """The top ``limit`` hits as numbered sources, in rank order."""
    out = []
    for n, hit in enumerate(hits[:limit], 1):
        c = cite(hit.clause, hit.document)
        out.append(Source(n, hit.clause_id, c, hit.clause.text, " > ".join(hit.clause.section_path)))
    return tuple(out)


def messages(question: str, offered: Sequence[Source]) -> list[dict]:
    """The chat messages: the instructions, then the question with the numbered clauses."""
    blocks = []
    for s in offered:
        text = s.text if len(s.text) <= MAX_SOURCE_CHARS else s.text[:MAX_SOURCE_CHARS] + "……"
        blocks.append(f"[{s.n}] {s.citation.short}　《{s.citation.title}》 {s.section}\n{text}")
    user = f"问题：{question.strip()}\n\n条款：\n\n" + "\n\n".join(blocks)
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]
