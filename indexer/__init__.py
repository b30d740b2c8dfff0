"""Read Chinese government plans into cited clauses, and build the searchable index.

Public verbs (imported lazily, so ``import indexer`` stays cheap):
- ``read_plan(path)``: a source file → ``ParsedPlan`` (document metadata, heading tree, clauses, indicators).
- ``build_index(data_dir, index_dir)``: plans → the index on disk, incremental and safe.
- ``load_index(index_dir)``: the index on disk → ``PlanIndex`` (checked against its manifest).
"""

from __future__ import annotations

_VERBS = {"read_plan": "read", "build_index": "build", "load_index": "store"}


def __getattr__(name: str):
    if name in _VERBS:
        import importlib

        return getattr(importlib.import_module(f".{_VERBS[name]}", __name__), name)
    raise AttributeError(f"module 'indexer' has no attribute {name!r}")


__all__ = list(_VERBS)
