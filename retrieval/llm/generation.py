"""Answers written by a model: ask it (streamed or not) from the top clauses, check every sentence against
the clause it cites, keep what is supported. Only when the retrieval answers: when it abstains the model
is not asked. Any failure of the endpoint gives an answer with no text and a one-line ``notice``; the
caller shows the extractive answer (``retrieval.answer``) with that notice.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from ..records import Answer, Hit
from . import grounding, prompt
from .client import ChatClient, LLMError, LLMMalformed, LLMRefused
from .grounding import CheckedSentence
from .prompt import Source
from .settings import LLMSettings

ABSTAINED = "检索没有找到直接相关的条款，未请模型作答。"
FALLBACK = "模型答复暂不可用（{reason}），上面是从条款中摘录的答复。"
UNVERIFIED = "模型的答复无法在所引条款中核实"
DROPPED = "已删去 {count} 句无法在所引条款中核实的内容。"
# A short, sober answer; room for a reasoning model's <think> block before it.
OPTIONS = {"temperature": 0.1, "max_tokens": 1024}
# Reasoning models (DeepSeek-R1, Qwen3 …) served without a reasoning parser put their thinking in the
# content, between <think> and </think> (the opening tag sometimes left out): never shown, never checked.
_THINK = re.compile(r"<think>.*?(?:</think>|$)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class GeneratedAnswer:
    """A model's answer after the grounding check. ``text`` holds only supported sentences, each followed
    by its citation marks [n]; empty when there is no usable answer (then ``notice`` says why)."""

    text: str
    sentences: tuple[CheckedSentence, ...] = ()
    sources: tuple[Source, ...] = ()  # every clause offered, as numbered in the prompt
    model: str = ""
    notice: str = ""  # one line for the reader: why there is no answer, or what was dropped
    error: str = ""  # the failure's type for logs and tools ('LLMTimeout'), '' when none
    raw: str = field(default="", repr=False)  # the model's reply as received

    @property
    def cited(self) -> tuple[Source, ...]:
        """The sources cited by the supported sentences, in their number order."""
        numbers = {n for s in self.sentences if s.supported for n in s.citations}
        return tuple(s for s in self.sources if s.n in numbers)

    def to_json(self) -> dict:
        """The CLI's ``generated_answer`` object."""
        return {
            "text": self.text,
            "sentences": [
                {"text": s.text, "citations": list(s.citations), "supported": s.supported}
                | ({"problem": s.problem} if s.problem else {})
                for s in self.sentences
            ],
            "citations": [
                {
                    "n": s.n,
                    "clause_id": s.clause_id,
                    "citation": s.citation.canonical,
                    "short_citation": s.citation.short,
                }
                for s in self.cited
            ],
            "model": self.model,
            "notice": self.notice,
            "error": self.error or None,
        }


def should_ask(extractive: Answer, hits: Sequence[Hit]) -> bool:
    """The model is asked only when the retrieval itself answers (same abstention as the extractive answer)."""
    return bool(hits) and not extractive.abstain


def generate(
    settings: LLMSettings,
    question: str,
    hits: Sequence[Hit],
    extractive: Answer,
    weights: Mapping[str, float],
    *,
    client: ChatClient | None = None,
) -> GeneratedAnswer:
    """The checked answer, asked without streaming (the command line)."""
    offered = prompt.sources(hits)
    if not should_ask(extractive, hits):
        return GeneratedAnswer("", (), offered, settings.model, ABSTAINED)
    try:
        raw = (client or ChatClient(settings)).complete(prompt.messages(question, offered), **OPTIONS)
    except LLMError as err:
        return failed(settings, offered, err)
    return checked(settings, raw, offered, weights)


class GenerationStream:
    """The answer streamed: iterate for the reply's text as it comes (no exception escapes: a failure ends
    the iteration), then read ``result`` for the checked answer or the fallback notice."""

    def __init__(
        self,
        settings: LLMSettings,
        question: str,
        hits: Sequence[Hit],
        extractive: Answer,
        weights: Mapping[str, float],
        *,
        client: ChatClient | None = None,
    ):
        self.settings, self.question, self.weights = settings, question, weights
        self.offered = prompt.sources(hits)
        self.asks = should_ask(extractive, hits)
        self._client = client
        self._result: GeneratedAnswer | None = None
        self._started = False
        if not self.asks:
            self._result = GeneratedAnswer("", (), self.offered, settings.model, ABSTAINED)

    def __iter__(self) -> Iterator[str]:
        if self._result is not None or self._started:
            return  # asked once only: a second iteration yields nothing
        self._started = True
        pieces: list[str] = []
        try:
            client = self._client or ChatClient(self.settings)
            shown = 0  # how much of the visible text has been yielded
            for piece in client.stream(prompt.messages(self.question, self.offered), **OPTIONS):
                pieces.append(piece)
                visible = _visible("".join(pieces))
                if visible is not None and len(visible) > shown:
                    yield visible[shown:]
                    shown = len(visible)
        except LLMError as err:
            self._result = failed(self.settings, self.offered, err, "".join(pieces))
            return
        self._result = checked(self.settings, "".join(pieces), self.offered, self.weights)

    @property
    def result(self) -> GeneratedAnswer:
        if self._result is None and not self._started:
            for _ in self:  # never iterated: ask now
                pass
        if self._result is None:  # the iteration was abandoned midway (a rerun stopped the page)
            self._result = failed(self.settings, self.offered, LLMMalformed("stream abandoned"))
        return self._result


def failed(settings: LLMSettings, offered, err: LLMError, raw: str = "") -> GeneratedAnswer:
    return GeneratedAnswer(
        "", (), tuple(offered), settings.model, FALLBACK.format(reason=err.reason), type(err).__name__, raw
    )


def checked(
    settings: LLMSettings, raw: str, offered: Sequence[Source], weights: Mapping[str, float]
) -> GeneratedAnswer:
    """The reply after the grounding check: supported sentences kept, the others listed as dropped."""
    said = _visible(raw, final=True) or ""
    sentences = tuple(grounding.check(said, offered, weights))
    kept = [s for s in sentences if s.supported]
    if not kept:
        refused = _declines(said)
        reason, error = (LLMRefused.reason, "LLMRefused") if refused else (UNVERIFIED, "Unverified")
        return GeneratedAnswer(
            "", sentences, tuple(offered), settings.model, FALLBACK.format(reason=reason), error, raw
        )
    text = "".join(with_marks(s) for s in kept)
    dropped = len(sentences) - len(kept)
    return GeneratedAnswer(
        text, sentences, tuple(offered), settings.model, DROPPED.format(count=dropped) if dropped else "", "", raw
    )


_END = re.compile(r"[。！？!?”’」』）)]*$")


def with_marks(
    sentence: CheckedSentence, mark: Callable[[int], str] = "[{}]".format, text: Callable[[str], str] = str
) -> str:
    """The sentence with its citation marks before its closing punctuation: 「…质押融资[1]。」. ``mark`` and
    ``text`` render the numbers and the words (the app's HTML escapes the words and styles the numbers)."""
    end = _END.search(sentence.text).start()
    marks = "".join(mark(n) for n in sentence.citations)
    return text(sentence.text[:end]) + marks + text(sentence.text[end:])


def _visible(text: str, final: bool = False) -> str | None:
    """The reply without its thinking; None while it may still be thinking (nothing to show yet)."""
    if "<think>" in text:
        if not final and "</think>" not in text.rsplit("<think>", 1)[1]:
            return None
        return _THINK.sub("", text).lstrip()
    if "</think>" in text:  # the opening tag was in the prompt's template
        return text.rsplit("</think>", 1)[1].lstrip()
    if not final and "<think>".startswith(text.lstrip()) and text.strip():
        return None  # the opening tag arriving in pieces
    return text


def _declines(raw: str) -> bool:
    core = prompt.NO_ANSWER.rstrip("。")
    return core in raw or "不能回答" in raw or "无法回答" in raw
