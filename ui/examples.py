"""The example questions the Ask page offers: the operator's, or those of a pool the indexed plans can
speak to. Cheap: no search is run, only the index's term statistics are read."""

from __future__ import annotations

from pathlib import Path

from retrieval.highlight import query_terms


def examples_for(searcher, plans: Path | None, pool: tuple[tuple[str, str], ...], n: int) -> list[str]:
    """At most ``n`` examples: the lines of ``plans/examples.txt`` when the operator wrote one (``plans``
    None: no such file is read); else the questions of ``pool`` ((question, topic word) pairs) whose topic
    word the indexed plans use, then those with no topic word (any plan has it), in the pool's order."""
    from indexer.read import EXAMPLES_FILE  # the plans folder's reader leaves it out

    lines = []
    if plans is not None:
        try:
            text = (Path(plans) / EXAMPLES_FILE).read_text(encoding="utf-8-sig")  # Notepad writes a BOM
            lines = list(dict.fromkeys(line.strip() for line in text.splitlines() if line.strip()))  # once each
        except (OSError, UnicodeDecodeError):
            lines = []
    if lines:
        return lines[:n]
    weights = searcher.term_weights()
    used = [q for q, topic in pool if topic and all(t in weights for t in query_terms(topic))]
    return (used + [q for q, topic in pool if not topic])[:n]
