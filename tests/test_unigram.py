"""The Python query tokenizer (indexer/embedding/unigram.py) gives ``tokenizers``' ids, one for one: on a
small Unigram model built here (hermetic: unknown runs, ties, truncation, the cache) and on the bundled
model's 250,002 pieces (model tier: every evaluation question, every clause of the sample plans, and
random strings)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from indexer.embedding.unigram import UnigramQueries

ROOT = Path(__file__).resolve().parent.parent

ALPHABET = list("专利权质押融资中小企业银行贷款知识产权保护运用ＡＢ１２①　 ,.!?abcXYZ😀𠀀\t") + ["\u200b", "\x01"]


def _random_texts(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 30))) for _ in range(n)]


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    """A Unigram tokenizer.json in XLM-R's shape: specials first, NFKC, Metaspace, ``<s> A </s>``. Some
    characters have no piece (unknown), and some pieces tie in score with their parts."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

    pieces = [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)]
    rng = random.Random(1)
    chars = "专利权质押融资中小企业银行贷款知识产权保护运用abcXYZ,.!?12"
    words = ["专利", "质押", "融资", "中小企业", "银行", "知识产权", "保护", "运用", "abc", "XY", "12"]
    for c in dict.fromkeys(chars):
        pieces.append((c, round(rng.uniform(-12, -6), 1)))
    for w in words:
        pieces.append((w, round(rng.uniform(-9, -4), 1)))
        pieces.append(("\u2581" + w, round(rng.uniform(-9, -4), 1)))
    pieces += [("\u2581", -3.0), ("专利权", -9.0), ("权质押", -9.0)]  # competing splits of 专利权质押
    pieces.append(("<mask>", 0.0))
    tok = Tokenizer(models.Unigram(pieces, unk_id=3, byte_fallback=False))
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    tok.post_processor = processors.TemplateProcessing(single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)])
    tok.add_special_tokens(["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    path = tmp_path_factory.mktemp("unigram") / "tokenizer.json"
    tok.save(str(path))
    return path


def _reference(path: Path, max_length: int = 512):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(path))
    tok.no_padding()
    tok.enable_truncation(max_length)
    return tok


def test_same_ids_as_tokenizers_on_a_small_model(small, tmp_path):
    mine, ref = UnigramQueries.load(small, tmp_path), _reference(small)
    texts = _random_texts(3000) + ["", " ", "专利权质押融资", "中小企业 银行 贷款", "😀😀a😀", "ＸＹ１２", "a  b\u3000c"]
    differ = [t for t in texts if mine.encode(t, 512) != ref.encode(t).ids]
    assert not differ, differ[:5]
    assert mine.encode("😀😀a😀", 512).count(3) == 2  # adjacent unknowns are one token (a is a piece)


def test_long_texts_are_cut_as_tokenizers_cuts_them(small, tmp_path):
    mine, ref = UnigramQueries.load(small, tmp_path), _reference(small, max_length=10)
    for text in ["专利权质押融资中小企业银行贷款知识产权保护运用" * 3, "a b c d e f g h i j k l"]:
        assert mine.encode(text, 10) == ref.encode(text).ids
        assert len(mine.encode(text, 10)) == 10


def test_special_token_spellings_are_left_to_tokenizers(small, tmp_path):
    mine = UnigramQueries.load(small, tmp_path)
    assert mine.encode("专利 <mask> 融资", 512) is None
    assert mine.encode("<s>", 512) is None


def test_the_cache_is_written_once_and_a_damaged_one_rewritten(small, tmp_path):
    first = UnigramQueries.load(small, tmp_path)
    (folder,) = tmp_path.glob("unigram-*")
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["frontend.json", "meta.json", "pieces.txt", "scores.npy"]
    assert "专利" not in (folder / "frontend.json").read_text(encoding="utf-8")  # the vocabulary is left out
    (folder / "pieces.txt").write_text("damaged", encoding="utf-8")
    again = UnigramQueries.load(small, tmp_path)  # checksum fails: read from tokenizer.json, written again
    assert again.encode("专利权质押融资", 512) == first.encode("专利权质押融资", 512)
    assert "专利" in (folder / "pieces.txt").read_text(encoding="utf-8")


def test_other_tokenizers_are_not_imitated(tmp_path):
    from tokenizers import Tokenizer, models, pre_tokenizers

    tok = Tokenizer(models.WordLevel({"[UNK]": 0, "a": 1}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    path = tmp_path / "tokenizer.json"
    tok.save(str(path))
    assert UnigramQueries.load(path, tmp_path) is None


@pytest.mark.model
def test_same_ids_as_tokenizers_on_the_bundled_model(tmp_path):
    from indexer.embedding import EmbedderSettings, make_embedder

    embedder = make_embedder(EmbedderSettings(runtime="onnx"))
    export = embedder._prepare()
    mine, ref = UnigramQueries.load(export / "tokenizer.json", tmp_path), _reference(export / "tokenizer.json")
    texts = []
    for name in ("questions.jsonl", "heldout.jsonl", "blind.jsonl"):
        for line in (ROOT / "retrieval" / "eval" / name).read_text(encoding="utf-8").splitlines():
            texts.append("query: " + json.loads(line)["question"])
    for plan in sorted((ROOT / "data").glob("*.txt")):
        texts += ["passage: " + line for line in plan.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts += _random_texts(2000, seed=2) + ["中" * 600, "a" * 700, "Ⅻ ㎡ ℃ café", "＜s＞"]
    differ = [t for t in texts if mine.encode(t, 512) != ref.encode(t).ids]
    assert len(texts) > 2500 and not differ, differ[:3]
