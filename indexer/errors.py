"""Typed errors of the indexer. The edge (CLI, app) turns each into one friendly line."""

from __future__ import annotations


class PlanSearchError(Exception):
    """Base class: every error the user can cause or fix. ``str(err)`` is the one-line message."""


class UnreadableSource(PlanSearchError):
    """A source file cannot be read as a plan (undecodable, encrypted, scanned, empty, binary …)."""

    # The sha256 of the bytes that gave this reason (a PDF's): a build remembers a blank scan by the bytes
    # it read, not by the file as it is when the build ends (indexer.sources.SourceScan.blank_entries).
    sha256: str = ""

    def __init__(self, path: str, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class IndexNotFound(PlanSearchError):
    """No built index where one was expected."""


class IndexMismatch(PlanSearchError):
    """The index on disk does not match what the code or the embedder expects."""


class IndexDamaged(IndexMismatch):
    """The index on disk cannot be read (bad bytes, a truncated or emptied file, a checksum that differs).
    ``build --force`` rebuilds it from the sources whatever state it is in."""


class UnsafePath(PlanSearchError):
    """A folder the tool was asked to write that it must not touch (a plans folder, a file, a non-index)."""


class IndexWriteFailed(PlanSearchError):
    """The new index could not be written (a full disk, no permission …); the old index is untouched."""


class ModelUnavailable(PlanSearchError):
    """The configured embedding model cannot be loaded (offline, missing path …)."""


class EmptyQuery(PlanSearchError):
    """A query that is empty or only whitespace."""


class QueryTooLong(PlanSearchError):
    """A query past the length we accept."""
