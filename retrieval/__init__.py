"""Search, rank, highlight, cite, answer and compare over a built index.

Public verbs (imported lazily): ``Searcher`` (``.open()``, ``.search()``, ``.compare()``, ``.similar_to()``),
``highlight()``, ``cite()``, ``answer()``.
"""

from __future__ import annotations

_VERBS = {"Searcher": "search", "highlight": "highlight", "cite": "cite", "answer": "answer"}


def __getattr__(name: str):
    if name in _VERBS:
        import importlib

        return getattr(importlib.import_module(f".{_VERBS[name]}", __name__), name)
    raise AttributeError(f"module 'retrieval' has no attribute {name!r}")


__all__ = list(_VERBS)
