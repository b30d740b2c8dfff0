"""Answers written by a model behind an OpenAI-compatible endpoint, grounded in the top clauses and checked
sentence by sentence. Optional: with no endpoint configured nothing here runs.

    settings = LLMSettings.from_env()               # None when PLANSEARCH_LLM_BASE_URL / [llm] is not set
    result = generate(settings, question, hits, extractive_answer, searcher.term_weights())
    stream = GenerationStream(...); for piece in stream: …; stream.result

Modules: ``settings`` (configuration), ``client`` (the protocol, typed errors), ``prompt`` (what is
asked), ``grounding`` (the check), ``generation`` (the verbs and the GeneratedAnswer record).
"""

from __future__ import annotations

from .generation import GeneratedAnswer, GenerationStream, generate, should_ask
from .settings import LLMSettings

__all__ = ["GeneratedAnswer", "GenerationStream", "LLMSettings", "generate", "should_ask"]
