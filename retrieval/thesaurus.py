"""Plain-language words → the words plans use (冒牌货 → 假冒, 贷款 → 质押融资, 当官的 → 领导干部).

Officials ask in everyday Chinese; plans are written in policy language. BM25 cannot bridge the two and
the small bundled embedder bridges them only partly, so the lexical query is expanded with the policy
terms a plain word stands for. The list is general to IP plans (not tied to one document); extend it
freely — each entry only ever adds terms to the lexical query.
"""

from __future__ import annotations

import functools
import re

from indexer import packs


@functools.lru_cache(maxsize=1)
def _pattern() -> re.Pattern:
    words = sorted(packs.mapping("thesaurus.tsv"), key=len, reverse=True)
    return re.compile("|".join(re.escape(w) for w in words) if words else r"(?!)")  # an empty pack matches nothing


def policy_terms(simple_text: str) -> str:
    """The policy terms the plain words of a (simplified) query stand for, without repeats."""
    seen: list[str] = []
    for m in _pattern().finditer(simple_text):
        for term in packs.mapping("thesaurus.tsv")[m.group(0)].split():
            if term not in seen and term not in simple_text:
                seen.append(term)
    return " ".join(seen)
