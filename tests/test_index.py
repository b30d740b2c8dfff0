"""The index on disk: round trip, manifest checks, incremental updates, and safety when a build fails."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from indexer.__main__ import main as indexer_main
from indexer.build import build_index, sentence_units
from indexer.embedding import FakeEmbedder
from indexer.errors import IndexMismatch, IndexNotFound
from indexer.read import read_plan
from indexer.store import load_index

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "plans"


@pytest.fixture
def data_dir(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    for name in ("municipal_plan_fullwidth.txt", "regulation_chapters.txt", "county_plan_halfwidth.txt"):
        shutil.copy(FIXTURES / name, folder)
    return folder


class CountingEmbedder(FakeEmbedder):
    """The fake embedder, counting how many texts it embedded (and able to fail on demand)."""

    def __init__(self, dim=32, fail_after: int | None = None, name: str | None = None):
        super().__init__(dim, query_prompt="query: ", passage_prompt="passage: ")
        self.calls = 0
        self.fail_after = fail_after
        if name:
            self.name = name

    def embed_documents(self, texts):
        if self.fail_after is not None and self.calls + len(texts) > self.fail_after:
            raise RuntimeError("killed halfway")
        self.calls += len(texts)
        return super().embed_documents(texts)


def units(plans) -> int:
    """Vectors a build embeds for these plans: one per clause, one per sentence of multi-sentence clauses."""
    clauses = [c for p in plans for c in p.clauses]
    return len(clauses) + len(sentence_units(clauses, {p.document.doc_id: p.document for p in plans})[0])


def test_round_trip_same_clauses_same_vectors(data_dir, tmp_path):
    emb = CountingEmbedder()
    report = build_index(data_dir, tmp_path / "index", embedder=emb)
    plans = [read_plan(data_dir / name) for name in sorted(p.name for p in data_dir.iterdir())]
    assert report.documents == 3 and report.embedded == emb.calls == units(plans)
    index = load_index(tmp_path / "index")
    expected = [c for p in plans for c in p.clauses]
    assert list(index.clauses) == expected
    again = emb.embed_documents([f"{' '.join(c.section_path)}\n{c.text}" if c.kind != "indicator" else c.text
                                 for c in expected])
    np.testing.assert_allclose(index.vectors(), again, atol=1e-6)
    sentences = index.sentences
    assert len(sentences.keys) == units(plans) - len(expected) > 0
    row, (a, b) = int(sentences.rows[0]), sentences.spans[0]
    clause = index.clauses[row]
    np.testing.assert_allclose(
        sentences.vectors[0], emb.embed_documents([f"{' '.join(clause.section_path)}\n{clause.text[a:b]}"])[0], atol=1e-6
    )
    assert index.manifest.model == emb.name and index.manifest.dim == 32
    assert index.manifest.counts == {"documents": 3, "clauses": len(expected), "indicators": 3, "vectors": len(expected),
                                     "sentences": len(sentences.keys)}
    assert {s.source for s in index.manifest.sources} == {p.name for p in data_dir.iterdir()}
    doc = index.document("regulation_chapters")
    assert doc.document.doc_type == "条例" and doc.headings[0].label == "第一章 总则"
    assert all(doc.text[c.span[0]:c.span[1]] == c.text for c in index.clauses if c.doc_id == "regulation_chapters")
    assert not list((tmp_path).glob("*.pkl")) and not list((tmp_path / "index").rglob("*.pkl"))


def test_unchanged_rebuild_embeds_nothing(data_dir, tmp_path):
    build_index(data_dir, tmp_path / "index", embedder=CountingEmbedder())
    before = (tmp_path / "index" / "manifest.json").read_text()
    emb = CountingEmbedder()
    report = build_index(data_dir, tmp_path / "index", embedder=emb)
    assert report.up_to_date and emb.calls == 0
    assert (tmp_path / "index" / "manifest.json").read_text() == before
    forced = build_index(data_dir, tmp_path / "index", embedder=emb, force=True)
    assert not forced.up_to_date and forced.embedded == 0
    assert forced.reused == forced.clauses + load_index(tmp_path / "index").manifest.counts["sentences"]


def test_add_change_remove_sources(data_dir, tmp_path):
    index_dir = tmp_path / "index"
    build_index(data_dir, index_dir, embedder=CountingEmbedder())
    shutil.copy(FIXTURES / "provincial_opinions_inline.txt", data_dir)
    emb = CountingEmbedder()
    report = build_index(data_dir, index_dir, embedder=emb)
    assert report.added == ("provincial_opinions_inline.txt",)
    assert emb.calls == units([read_plan(data_dir / "provincial_opinions_inline.txt")])

    path = data_dir / "regulation_chapters.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("2023年1月1日起施行", "2024年1月1日起施行"), encoding="utf-8")
    emb = CountingEmbedder()
    report = build_index(data_dir, index_dir, embedder=emb)
    assert report.changed == ("regulation_chapters.txt",) and emb.calls == 1  # only the edited article (one sentence)

    (data_dir / "county_plan_halfwidth.txt").unlink()
    emb = CountingEmbedder()
    report = build_index(data_dir, index_dir, embedder=emb)
    assert report.removed == ("county_plan_halfwidth.txt",) and emb.calls == 0
    index = load_index(index_dir)
    assert {c.doc_id for c in index.clauses} == {"municipal_plan_fullwidth", "regulation_chapters", "provincial_opinions_inline"}
    assert any("2024年1月1日" in c.text for c in index.clauses)
    # the one table went with its plan; what is left are the targets two plans state in prose
    assert [(i.doc_id, i.name, i.target, i.unit, i.target_year, i.origin) for i in index.indicators] == [
        ("municipal_plan_fullwidth", "每万人口高价值发明专利拥有量", "3.5", "件", "2025", "text"),
        ("provincial_opinions_inline", "知识产权保护社会满意度", "≥85", "分", "2025", "text"),
    ]


def test_failed_build_leaves_previous_index_loadable(data_dir, tmp_path):
    index_dir = tmp_path / "index"
    build_index(data_dir, index_dir, embedder=CountingEmbedder())
    before = load_index(index_dir)
    shutil.copy(FIXTURES / "provincial_opinions_inline.txt", data_dir)
    with pytest.raises(RuntimeError, match="killed halfway"):
        build_index(data_dir, index_dir, embedder=CountingEmbedder(fail_after=0))
    after = load_index(index_dir)
    assert after.clauses == before.clauses
    assert not list(tmp_path.glob(".index.building-*"))  # no staging debris left behind


def test_build_killed_between_renames_recovers(data_dir, tmp_path):
    index_dir = tmp_path / "index"
    build_index(data_dir, index_dir, embedder=CountingEmbedder())
    n = len(load_index(index_dir).clauses)
    index_dir.rename(tmp_path / "index.old")  # as if killed after moving the old index aside
    assert len(load_index(index_dir).clauses) == n


def test_stale_staging_folder_is_ignored_and_removed(data_dir, tmp_path):
    index_dir = tmp_path / "index"
    stale = tmp_path / ".index.building-1-1"
    stale.mkdir()
    (stale / "faiss.index").write_bytes(b"half written")
    build_index(data_dir, index_dir, embedder=CountingEmbedder())
    assert not stale.exists() and load_index(index_dir).clauses


def test_unreadable_source_is_reported_and_skipped(data_dir, tmp_path):
    (data_dir / "scan.pdf").write_bytes(b"%PDF-1.4 not really")
    (data_dir / "empty.txt").write_text("   ")
    report = build_index(data_dir, tmp_path / "index", embedder=CountingEmbedder())
    assert report.documents == 3
    assert sorted(Path(e.path).name for e in report.skipped) == ["empty.txt", "scan.pdf"]
    manifest = json.loads((tmp_path / "index" / "manifest.json").read_text())
    assert {s["source"] for s in manifest["skipped"]} == {"empty.txt", "scan.pdf"}
    assert "skipped" in report.summary() and "scan.pdf" in report.summary()


def test_new_model_re_embeds_everything(data_dir, tmp_path):
    build_index(data_dir, tmp_path / "index", embedder=CountingEmbedder())
    other = CountingEmbedder(name="other-model")
    report = build_index(data_dir, tmp_path / "index", embedder=other)
    index = load_index(tmp_path / "index")
    assert report.embedded == report.clauses + index.manifest.counts["sentences"] and report.reused == 0
    assert index.manifest.model == "other-model"


def test_missing_index(tmp_path):
    with pytest.raises(IndexNotFound, match="build it"):
        load_index(tmp_path / "nothing")


@pytest.mark.parametrize(
    "damage",
    ["format", "counts", "manifest_garbage", "drop_clause_line", "faiss_garbage", "manifest_missing_field"],
)
def test_damaged_index_is_a_typed_error(data_dir, tmp_path, damage):
    index_dir = tmp_path / "index"
    build_index(data_dir, index_dir, embedder=CountingEmbedder())
    manifest_path = index_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    if damage == "format":
        manifest["format_version"] = 99
        manifest_path.write_text(json.dumps(manifest))
    elif damage == "counts":
        manifest["counts"]["clauses"] += 1
        manifest_path.write_text(json.dumps(manifest))
    elif damage == "manifest_garbage":
        manifest_path.write_text("{not json")
    elif damage == "manifest_missing_field":
        del manifest["model"]
        manifest_path.write_text(json.dumps(manifest))
    elif damage == "drop_clause_line":
        lines = (index_dir / "clauses.jsonl").read_text().splitlines()
        (index_dir / "clauses.jsonl").write_text("\n".join(lines[:-1]) + "\n")
    elif damage == "faiss_garbage":
        (index_dir / "faiss.index").write_bytes(b"garbage")
    with pytest.raises(IndexMismatch, match="rebuild"):
        load_index(index_dir)


def test_build_cli(data_dir, tmp_path, capsys):
    args = ["build", "--data", str(data_dir), "--index", str(tmp_path / "index"), "--model", "fake:16", "--quiet"]
    assert indexer_main(args) == 0
    assert "indexed 3 documents" in capsys.readouterr().out
    assert indexer_main(args) == 0
    assert "index up to date" in capsys.readouterr().out


def test_build_cli_hub_model_offline_fails_fast(data_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("PLANSEARCH_ALLOW_DOWNLOAD", raising=False)
    args = ["build", "--data", str(data_dir), "--index", str(tmp_path / "index"), "--model", "BAAI/bge-small-zh-v1.5"]
    assert indexer_main(args) == 1
    err = capsys.readouterr().err
    assert err.startswith("error:") and "PLANSEARCH_ALLOW_DOWNLOAD" in err and err.count("\n") == 1
    assert not (tmp_path / "index").exists()


def test_build_cli_missing_data_folder(tmp_path, capsys):
    assert indexer_main(["build", "--data", str(tmp_path / "none"), "--index", str(tmp_path / "i"), "--model", "fake:8"]) == 1
    assert "no plans folder" in capsys.readouterr().err


def test_public_verbs_import_nothing_heavy():
    import subprocess
    import sys

    code = (
        "import sys, indexer, retrieval\n"
        "from indexer import read_plan, build_index, load_index\n"
        "from retrieval import Searcher, answer, cite, highlight\n"
        "heavy = [m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_manifest_lists_the_data_packs_and_a_changed_pack_rebuilds(data_dir, tmp_path, monkeypatch):
    from indexer import packs

    index_dir = tmp_path / "index"
    build_index(data_dir, index_dir, embedder=CountingEmbedder())
    manifest = load_index(index_dir).manifest
    assert manifest.packs == packs.digests() and "thesaurus.tsv" in manifest.packs
    assert build_index(data_dir, index_dir, embedder=CountingEmbedder()).up_to_date
    monkeypatch.setattr(packs, "build_digests", lambda: {"plan-terms.txt": "changed", "regions.tsv": "changed"})
    assert not build_index(data_dir, index_dir, embedder=CountingEmbedder()).up_to_date


# --- the lexical index from cached token counts ----------------------------------------------------------


def test_bm25_from_token_counts_is_bit_for_bit_bm25s():
    import bm25s
    from bm25s.tokenization import Tokenized

    from indexer.build import texts_for_lexical
    from indexer.lexical import LexicalIndex, TokenCounts, bm25_arrays, tokenize
    from indexer.postings import Bm25Postings, Postings

    plans = [read_plan(path) for path in sorted(FIXTURES.glob("*.txt"))[:4]]
    texts = texts_for_lexical([c for p in plans for c in p.clauses]) + ["", "  ", "ABC 123"]
    token_lists = [tokenize(t) for t in texts]  # what LexicalIndex.build did before the counts
    vocab = {tok: i for i, tok in enumerate(sorted({t for toks in token_lists for t in toks} | {""}))}
    reference = bm25s.BM25()
    reference.index(Tokenized(ids=[[vocab[t] for t in toks] or [vocab[""]] for toks in token_lists], vocab=vocab),
                     show_progress=False)
    cut = len(texts) // 3
    parts = [TokenCounts.of(texts[:cut]), TokenCounts.of([]), TokenCounts.of(texts[cut:-2]), TokenCounts.of(texts[-2:])]
    merged_vocab, merged, n_docs = bm25_arrays(parts)  # the precomputed matrix of indexes of format 2
    assert merged_vocab == reference.vocab_dict and n_docs == len(texts)
    for name in ("data", "indices", "indptr"):
        assert merged[name].dtype == reference.scores[name].dtype
        assert np.array_equal(merged[name], reference.scores[name]), name
    # from raw frequencies, in one segment or in two scored for the corpus of both: bm25s's scores, bit for bit
    one = LexicalIndex.from_counts(parts)
    for name in ("data", "indices", "indptr"):  # the postings' scores are bm25s's matrix itself
        assert np.array_equal(getattr(one.segments[0], name), reference.scores[name]), name
    a, b = Postings.from_counts(parts[:2]), Postings.from_counts(parts[2:])
    split = LexicalIndex(Bm25Postings([a.scored([b]), b.scored([a])]), one.tokenizer, len(texts))
    for query in ("知识产权质押融资", "专利 专利 侵权纠纷", "地理标志", "ABC", "数字经济发展水平", "123"):
        tokens = [t for t in tokenize(query) if t in reference.vocab_dict]
        expected = reference.get_scores([vocab[t] for t in tokens]) if tokens else np.zeros(len(texts), np.float32)
        assert np.array_equal(one.scores(query), expected) and np.array_equal(split.scores(query), expected), query
    assert one.document_frequencies() == split.document_frequencies()


def _lexical_files(index_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((index_dir / "lexical").iterdir())}


def test_adding_a_plan_tokenizes_that_plan_only_and_equals_a_fresh_build(data_dir, tmp_path, monkeypatch):
    from indexer import lexical

    index_dir = tmp_path / "index"
    build_index(data_dir, index_dir, embedder=CountingEmbedder())
    cached = sorted(p.name for p in (index_dir / "tokens").iterdir())
    assert len(cached) == 3
    tokenized: list[int] = []
    real = lexical.TokenCounts.of.__func__

    def counting(cls, texts, tokenizer=lexical.DEFAULT_TOKENIZER):
        tokenized.append(len(texts))
        return real(cls, texts, tokenizer)

    monkeypatch.setattr(lexical.TokenCounts, "of", classmethod(counting))
    shutil.copy(FIXTURES / "provincial_opinions_inline.txt", data_dir)
    build_index(data_dir, index_dir, embedder=CountingEmbedder())
    new_plan = read_plan(data_dir / "provincial_opinions_inline.txt")
    assert tokenized == [len(new_plan.clauses)]  # the three plans indexed before came from their cached counts
    assert set(cached) < {p.name for p in (index_dir / "tokens").iterdir()}
    fresh = tmp_path / "fresh"
    build_index(data_dir, fresh, embedder=CountingEmbedder())
    assert _lexical_files(index_dir) == _lexical_files(fresh)  # the merge is the from-scratch index, byte for byte
    # a removed plan's counts are not carried on; a damaged cache file is tokenized again
    (data_dir / "county_plan_halfwidth.txt").unlink()
    victim = next((index_dir / "tokens").iterdir())
    victim.write_bytes(b"garbage")
    tokenized.clear()
    build_index(data_dir, index_dir, embedder=CountingEmbedder())
    assert len(list((index_dir / "tokens").iterdir())) == 3 and len(tokenized) <= 1
    fresh2 = tmp_path / "fresh2"
    build_index(data_dir, fresh2, embedder=CountingEmbedder())
    assert _lexical_files(index_dir) == _lexical_files(fresh2)
    assert load_index(index_dir).lexical.n_docs == len(load_index(index_dir).clauses)


def test_an_index_written_before_rows_npz_and_token_counts_still_loads(data_dir, tmp_path):
    """rows.npz (the searcher's columns) and tokens/ (the token counts) came with format 2 unchanged: an
    index without them is read by scanning clauses.jsonl, and the next build tokenizes and adds them."""
    from retrieval.search import Searcher

    index_dir = tmp_path / "index"
    build_index(data_dir, index_dir, embedder=CountingEmbedder())
    with_rows = Searcher(load_index(index_dir), CountingEmbedder())
    manifest_path = index_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["files"] = [f for f in manifest["files"] if f["path"] != "rows.npz"]
    manifest_path.write_text(json.dumps(manifest))
    (index_dir / "rows.npz").unlink()
    shutil.rmtree(index_dir / "tokens")
    old = load_index(index_dir)
    assert old.clauses.rows is None and old.clauses == with_rows.clauses
    scanned = Searcher(old, CountingEmbedder())
    for q in ("知识产权", "专利 质押", "第一条"):
        assert [(h.clause_id, h.score) for h in scanned.search(q)] == [(h.clause_id, h.score) for h in with_rows.search(q)]
    emb = CountingEmbedder()
    build_index(data_dir, index_dir, embedder=emb, force=True)
    assert emb.calls == 0 and (index_dir / "rows.npz").exists() and len(list((index_dir / "tokens").iterdir())) == 3


def test_bm25_scores_without_bm25s_equal_bm25s_and_format_2_files_are_bm25s_files(fake_index_dir, tmp_path):
    """Queries score BM25 in numpy (importing bm25s pulls in scipy: 1.4 s of a searcher's start): from raw
    frequencies at query time (format 3), or over the memory-mapped matrix an index of format 2 holds (bm25s's
    own files, which each side reads from the other); the numbers are bm25s's either way."""
    import bm25s
    from bm25s.tokenization import Tokenized

    from indexer.build import texts_for_lexical
    from indexer.lexical import LexicalIndex, tokenize

    ours = LexicalIndex.load(fake_index_dir / "lexical")
    token_lists = [tokenize(t) for t in texts_for_lexical(list(load_index(fake_index_dir).clauses))]
    vocab = {tok: i for i, tok in enumerate(sorted({t for toks in token_lists for t in toks} | {""}))}
    theirs = bm25s.BM25()
    theirs.index(Tokenized(ids=[[vocab[t] for t in toks] or [vocab[""]] for toks in token_lists], vocab=vocab),
                 show_progress=False)
    theirs.save(str(tmp_path / "format2"), allow_pickle=False)
    (tmp_path / "format2" / "lexical.json").write_text(json.dumps({"tokenizer": ours.tokenizer, "n_docs": ours.n_docs}))
    old = LexicalIndex.load(tmp_path / "format2")
    for query in ("知识产权质押融资", "专利 专利 侵权纠纷", "地理标志", "ABC", "数字经济发展水平"):
        tokens = [t for t in tokenize(query) if t in theirs.vocab_dict]
        expected = theirs.get_scores(tokens) if tokens else np.zeros(ours.n_docs, dtype=np.float32)
        assert np.array_equal(ours.scores(query), expected), query
        assert np.array_equal(old.scores(query), expected), query
    old.save(tmp_path / "copy")
    again = bm25s.BM25.load(str(tmp_path / "copy"), allow_pickle=False, show_progress=False, verbosity=0)
    assert again.vocab_dict == theirs.vocab_dict and again.scores["num_docs"] == theirs.scores["num_docs"]
    for name in ("data", "indices", "indptr"):
        assert np.array_equal(again.scores[name], theirs.scores[name])


def test_a_searcher_opens_and_answers_without_importing_bm25s_or_scipy(fake_index_dir):
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from retrieval.search import Searcher\n"
        f"s = Searcher.open({str(fake_index_dir)!r})\n"
        "assert s.search('知识产权质押融资', k=3, mode='lexical')\n"
        "print(','.join(m for m in ('bm25s', 'scipy') if m in sys.modules) or 'none')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "none"


def test_the_fast_jieba_dictionary_is_jiebas_and_a_damaged_copy_is_written_again(tmp_path, monkeypatch):
    """The first keyword search after a start loads jieba's dictionary; ours loads ~4x faster from our
    own copy, and must be the same dictionary and segment the same."""
    import jieba

    from indexer import jieba_dict

    monkeypatch.setenv("PLANSEARCH_CACHE", str(tmp_path))
    reference = jieba.Tokenizer()
    reference.initialize()
    freq, total = jieba_dict.load_frequencies()  # from jieba, then written
    folder = jieba_dict.cache_folder()
    assert folder.parent == tmp_path and (folder / "words.npy").exists()
    again, total_again = jieba_dict.load_frequencies()  # from our copy
    assert freq == again == reference.FREQ and total == total_again == reference.total
    fast = jieba_dict.fast_tokenizer()
    for term in ("知识产权强国", "专利导航", "专利导航服务", "专利"):  # new words, a longer one, a known one
        fast.add_word(term, freq=200000)
        reference.add_word(term, freq=200000)
    assert isinstance(fast.FREQ, jieba_dict.Lookups)  # answering from the sorted arrays
    text = "".join(p.read_text(encoding="utf-8")[:4000] for p in sorted(FIXTURES.glob("*.txt")))
    runs = [text[i : i + 60] for i in range(0, len(text), 60)] + ["专利导航服务知识产权强国", "abc专利x"]

    def segmented(tk):
        return [tk.lcut(run, HMM=False) for run in runs], [list(tk.tokenize(r, mode="search", HMM=False)) for r in runs]

    expected = segmented(reference)
    assert segmented(fast) == expected and fast.total == reference.total
    fast.complete()  # the plain dict, with the added words laid over it
    assert type(fast.FREQ) is dict and fast.FREQ == reference.FREQ
    assert segmented(fast) == expected
    bulk = jieba_dict.fast_tokenizer(budget=50)
    for term in ("知识产权强国", "专利导航", "专利导航服务", "专利"):
        bulk.add_word(term, freq=200000)
    assert bulk.lcut(text[:600], HMM=False) == reference.lcut(text[:600], HMM=False)
    assert type(bulk.FREQ) is dict  # a bulk job builds the dict by itself
    (folder / "counts.npy").write_bytes(b"damaged")
    plain = jieba.Tokenizer()
    plain.initialize()
    assert jieba_dict.load_frequencies()[0] == plain.FREQ  # read from jieba once more, and written again
    assert np.load(folder / "counts.npy").shape == (len(plain.FREQ),)


def test_the_fast_jieba_dictionary_falls_back_to_jiebas_on_any_cache_trouble(tmp_path, monkeypatch):
    import jieba

    from indexer import jieba_dict

    monkeypatch.setenv("PLANSEARCH_CACHE", str(tmp_path))
    reference = jieba.Tokenizer()
    expected = reference.gen_pfdict(reference.get_dict_file())
    assert jieba_dict.load_frequencies() == expected
    folder = jieba_dict.cache_folder()
    counts = folder / "counts.npy"
    data = bytearray(counts.read_bytes())
    data[-1] ^= 1  # one count changed, the length kept
    counts.write_bytes(bytes(data))
    assert jieba_dict.load_frequencies() == expected  # caught by the checksum, and written again
    table = jieba_dict._read(folder)
    assert (table.to_dict(), table.total) == expected

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    import shutil

    shutil.rmtree(folder)
    monkeypatch.setattr(jieba_dict.np, "save", full_disk)
    assert jieba_dict.load_frequencies() == expected
    assert [p.name for p in tmp_path.iterdir()] == []  # no staging folder left behind

    def no_home():
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(jieba_dict, "cache_folder", no_home)
    assert jieba_dict.load_frequencies() == expected
