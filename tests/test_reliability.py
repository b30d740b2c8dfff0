"""Lose nothing, trust no input: each test replays one fault or bad input found by the attack on the CLI,
the index and the reader (issue 8, items 1–11), and fails without its fix."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest

from indexer.__main__ import main as indexer_main
from indexer.build import build_index
from indexer.embedding import FakeEmbedder
from indexer.errors import IndexDamaged, IndexWriteFailed, UnreadableSource, UnsafePath
from indexer.load import load_source
from indexer.read import read_folder
from indexer.store import load_index, read_manifest
from retrieval.__main__ import main as retrieval_main

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "plans"
PLANS = ("municipal_plan_fullwidth.txt", "regulation_chapters.txt", "county_plan_halfwidth.txt")


def checksums(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


@pytest.fixture
def data_dir(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    for name in PLANS:
        shutil.copy(FIXTURES / name, folder)
    return folder


@pytest.fixture
def built(data_dir, tmp_path):
    index = tmp_path / "index"
    build_index(data_dir, index, embedder=FakeEmbedder(32))
    return index


def build_cli(data: Path, index: Path, *extra: str) -> int:
    return indexer_main(["build", "--data", str(data), "--index", str(index), "--model", "fake:32", "--quiet", *extra])


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and "Traceback" not in err, err
    return err


# --- 1. a build never replaces what is not its own index -------------------------------------------------


def test_index_equal_to_data_folder_is_refused_and_nothing_is_lost(data_dir, capsys):
    before = checksums(data_dir)
    assert build_cli(data_dir, data_dir) == 1
    assert "inside the plans folder" in one_line_error(capsys)
    assert checksums(data_dir) == before
    assert not data_dir.with_name("data.old").exists()


def test_index_inside_data_and_data_inside_index_are_refused(data_dir, tmp_path, capsys):
    assert build_cli(data_dir, data_dir / "index") == 1
    one_line_error(capsys)
    assert not (data_dir / "index").exists()
    outer = tmp_path / "outer"
    (outer / "plans").mkdir(parents=True)
    shutil.copy(FIXTURES / PLANS[0], outer / "plans")
    assert build_cli(outer / "plans", outer) == 1
    assert "inside the index folder" in one_line_error(capsys)
    assert (outer / "plans" / PLANS[0]).exists()


def test_index_pointing_at_a_file_or_a_foreign_folder_is_refused(data_dir, tmp_path, capsys):
    report = tmp_path / "report.docx"
    report.write_bytes(b"my work")
    assert build_cli(data_dir, report) == 1
    one_line_error(capsys)
    assert report.read_bytes() == b"my work" and not tmp_path.joinpath("report.docx.old").exists()
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    assert build_cli(data_dir, mine) == 1
    assert "not a plan-search index" in one_line_error(capsys)
    assert (mine / "notes.txt").read_text() == "keep me"


def test_an_empty_folder_or_an_old_index_may_be_replaced(data_dir, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert build_cli(data_dir, empty) == 0
    assert build_cli(data_dir, empty, "--force") == 0
    assert (empty / "manifest.json").exists()


# --- 2. concurrent uploads never lose a file ----------------------------------------------------------


def test_two_sessions_uploading_the_same_name_keep_both_files(tmp_path, monkeypatch):
    import ui.upload as upload

    data = tmp_path / "data"
    data.mkdir()
    listed = upload.plan_files

    def slow_listing(folder):  # widen the window between looking and writing, as a busy server does
        out = listed(folder)
        time.sleep(0.3)
        return out

    monkeypatch.setattr(upload, "plan_files", slow_listing)
    texts = [(FIXTURES / PLANS[0]).read_bytes(), (FIXTURES / PLANS[1]).read_bytes()]
    results: list = [None, None]
    barrier = threading.Barrier(2)

    def save(i):
        barrier.wait()
        results[i] = upload.save_upload("plan.txt", texts[i], data)

    threads = [threading.Thread(target=save, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    saved = sorted(r.name for r in results)
    assert saved == ["plan.txt", "plan_2.txt"], results
    stored = {p.read_bytes() for p in data.iterdir() if not p.name.startswith(".")}
    assert stored == set(texts)
    assert not [p for p in data.iterdir() if p.name.startswith(".upload-")]  # no temp file left behind


# --- 3. reading never repairs or moves anything --------------------------------------------------------


def test_reading_during_a_swap_uses_the_previous_index_and_moves_nothing(built, data_dir):
    aside = built.with_name("index.old")
    os.replace(built, aside)  # the moment between the two renames of a swap
    index = load_index(built)
    assert index.manifest.counts["documents"] == 3
    assert aside.exists() and not built.exists()  # the read moved nothing
    report = build_index(data_dir, built, embedder=FakeEmbedder(32))  # the build recovers, under its lock
    assert report.up_to_date and built.exists() and not aside.exists()


def test_a_read_racing_a_swap_loads_the_new_index(built, data_dir, monkeypatch):
    import indexer.store as store

    calls = {"n": 0}
    real = store._load

    def racing(folder, verify):
        calls["n"] += 1
        if calls["n"] == 1:  # a build swaps a new index in while this read is half done
            (data_dir / "extra.txt").write_bytes((FIXTURES / "provincial_opinions_inline.txt").read_bytes())
            build_index(data_dir, built, embedder=FakeEmbedder(32))
            raise IndexDamaged("the files changed under the reader")
        return real(folder, verify)

    monkeypatch.setattr(store, "_load", racing)
    assert load_index(built).manifest.counts["documents"] == 4


# --- 4. a bad catalog or sidecar is reported and ignored ------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        (f"{PLANS[0]}.meta.json", b'{"region": "x",', "not valid JSON"),
        (f"{PLANS[0]}.meta.json", b'["region", "x"]', "one JSON object"),
        (f"{PLANS[0]}.meta.json", b'{"region": "\xff\xfe\x00\x00\xff"}', "not text"),
        ("catalog.csv", b"\xff\xfe\xfe\xff\x81", "not text"),
        ("catalog.csv", b"file,region\nx.txt,y\n", "no 'source' column"),
    ],
)
def test_bad_metadata_is_reported_and_every_plan_still_indexes(data_dir, tmp_path, capsys, name, content, reason):
    (data_dir / name).write_bytes(content)
    assert build_cli(data_dir, tmp_path / "index") == 0
    out = capsys.readouterr().out
    assert f"skipped {data_dir / name}: " in out and reason in out
    manifest = read_manifest(tmp_path / "index")
    assert manifest.counts["documents"] == 3
    assert any(source == name and reason in why for source, why in manifest.skipped)


@pytest.mark.parametrize(("encoding", "sep"), [("gb18030", ","), ("utf-16", ","), ("utf-16", "\t"), ("utf-8-sig", ","),
                                             ("big5", ",")])
def test_a_catalog_or_sidecar_saved_as_excel_or_notepad_saves_it_is_applied(data_dir, encoding, sep):
    # Excel's 「CSV」 on Chinese Windows is GBK: every correction it held had been dropped as "not UTF-8";
    # its 「Unicode text」 is UTF-16 with tabs
    (data_dir / "catalog.csv").write_bytes(
        f"source{sep}region{sep}issuer{sep}signed\n{PLANS[0]}{sep}海南省{sep}海南省人民政府{sep}２０２１年３月５日\n".encode(encoding))
    (data_dir / f"{PLANS[1]}.meta.json").write_bytes('{"title": "測試條例"}'.encode(encoding))
    plans = {p.document.source: p.document for p in read_folder(data_dir)}
    assert (plans[PLANS[0]].region, plans[PLANS[0]].issuer, plans[PLANS[0]].signed) == ("海南省", "海南省人民政府", "2021-03-05")
    assert plans[PLANS[1]].title == "測試條例"


def test_a_catalog_that_can_no_longer_be_read_keeps_the_last_builds_corrections(data_dir, tmp_path, capsys):
    index = tmp_path / "index"
    (data_dir / "catalog.csv").write_text(f"source,region\n{PLANS[0]},海南省\n", encoding="utf-8")
    assert build_cli(data_dir, index) == 0
    doc_id = next(s.doc_id for s in read_manifest(index).sources if s.source == PLANS[0])
    assert load_index(index).document(doc_id).document.region == "海南省"
    (data_dir / "catalog.csv").write_text(f"文件,region\n{PLANS[0]},海南省\n", encoding="utf-8")  # column renamed
    capsys.readouterr()
    for _ in range(2):  # and the build after it still does
        assert build_cli(data_dir, index) == 0
        out = capsys.readouterr().out
        assert "no 'source' column" in out and "last build's catalog (1 rows) is applied" in out
        assert load_index(index).document(doc_id).document.region == "海南省"
    (data_dir / "catalog.csv").unlink()  # taken away on purpose: nothing to keep
    assert build_cli(data_dir, index) == 0
    assert load_index(index).document(doc_id).document.region != "海南省"
    assert read_manifest(index).catalog == {}


def test_files_whose_names_give_one_document_id_are_all_indexed_and_keep_their_ids(data_dir, tmp_path):
    # 「青海 规划.txt」 beside 「青海_规划.txt」, or plan.txt beside plan.md with other text: one had been
    # dropped with "same document id as …"
    index = tmp_path / "index"

    def other(name: str, plan: str) -> None:  # another plan's text, not a duplicate of it
        (data_dir / name).write_text((FIXTURES / plan).read_text(encoding="utf-8") + "\n附：" + name + "\n", encoding="utf-8")

    other("青海_规划.txt", PLANS[0])
    build_index(data_dir, index, embedder=FakeEmbedder(32))
    first = {s.source: s.doc_id for s in read_manifest(index).sources}
    other("青海 规划.txt", PLANS[1])  # sorts before 青海_规划.txt
    other("青海_规划.md", PLANS[2])
    report = build_index(data_dir, index, embedder=FakeEmbedder(32))
    assert not report.skipped
    ids = {s.source: s.doc_id for s in read_manifest(index).sources}
    assert ids["青海_规划.txt"] == first["青海_规划.txt"] == "青海_规划"  # links to it still open it
    assert len(set(ids.values())) == len(ids) == 6
    assert all(ids[n].startswith("青海_规划-") for n in ("青海 规划.txt", "青海_规划.md"))
    loaded = load_index(index)
    assert {loaded.document(i).document.source for i in ids.values()} == set(ids)
    fresh = tmp_path / "fresh"
    build_index(data_dir, fresh, embedder=FakeEmbedder(32))
    assert len({s.doc_id for s in read_manifest(fresh).sources}) == 6


def test_catalog_and_sidecar_values_that_cannot_be_right_are_reported_not_applied_silently(data_dir, tmp_path):
    # an operator review: region 火星省, date 2021-13-45, an unknown key and a row for a missing file had all
    # been taken without a word
    index = tmp_path / "index"
    (data_dir / "catalog.csv").write_text(
        f"source,region,signed,颁布机关\n{PLANS[0]},火星省,2021-13-45,某某\n不存在的规划.txt,山东省,,\n"
        f"{PLANS[1]},,2021年3月5日,\n", encoding="utf-8")
    (data_dir / f"{PLANS[2]}.meta.json").write_text('{"publish": "2022-01-01", "published": "2022/1/9"}', encoding="utf-8")
    report = build_index(data_dir, index, embedder=FakeEmbedder(32))
    reasons = sorted(e.reason for e in report.skipped)
    assert len(reasons) == 5, reasons
    assert f"row {PLANS[0]}: metadata region '火星省' is not a known region" in " ".join(reasons)
    assert any(r.startswith(f"row {PLANS[0]}: metadata date signed '2021-13-45' is not a date") for r in reasons)
    assert any(r.startswith("metadata field '颁布机关' is not a plan field") for r in reasons)  # once, not per row
    assert "row 不存在的规划.txt: no such plan file in the folder; unused" in reasons
    assert any(r.startswith("metadata field 'publish' is not a plan field") for r in reasons)
    docs = {d.document.source: d.document for d in load_index(index).documents}
    assert docs[PLANS[0]].region == "火星省" and docs[PLANS[0]].signed != "2021-13-45"  # applied as written; date not
    assert docs[PLANS[1]].signed == "2021-03-05" and docs[PLANS[2]].published == "2022-01-09"
    again = build_index(data_dir, index, embedder=FakeEmbedder(32))  # unchanged: still reported, and up to date
    assert again.up_to_date and sorted(e.reason for e in again.skipped) == reasons
    from ui.messages import reason_text

    assert reason_text(f"row {PLANS[0]}: metadata date signed '2021-13-45' is not a date (write 2021-03-05); ignored") \
        == f"{PLANS[0]} 一行：成文日期「2021-13-45」无法识别，已忽略（请写成 2021-03-05）"


@pytest.mark.parametrize("compact", [False, True])
def test_a_renamed_plan_keeps_its_document_and_clause_ids(data_dir, tmp_path, compact):
    # an operator review: renaming 规划.txt to 青海规划2021.txt changed every clause id, so shared links broke
    index = tmp_path / "index"
    build_index(data_dir, index, embedder=FakeEmbedder(32))
    before = load_index(index)
    doc_id = next(s.doc_id for s in before.manifest.sources if s.source == PLANS[0])
    ids = [c.clause_id for c in before.clauses if c.doc_id == doc_id]
    (data_dir / PLANS[0]).rename(data_dir / "aaa 改过名的规划.txt")
    report = build_index(data_dir, index, embedder=FakeEmbedder(32), compact=compact)
    assert report.added == ("aaa 改过名的规划.txt",) and report.removed == (PLANS[0],)
    after = load_index(index)
    assert {s.source: s.doc_id for s in after.manifest.sources}["aaa 改过名的规划.txt"] == doc_id
    assert [c.clause_id for c in after.clauses if c.doc_id == doc_id] == ids
    assert after.document(doc_id).document.source == "aaa 改过名的规划.txt"
    assert len(after.documents) == len(PLANS)


def test_the_plan_left_of_a_duplicate_pair_takes_the_id_of_the_one_that_went(data_dir, tmp_path):
    # the stop-26 review: 「cp plan.txt plan.md; build; rm plan.txt; build」 gave plan.md a new id (links broke),
    # and a renamed plan whose copy was a known duplicate lost its id
    index = tmp_path / "index"
    text = (FIXTURES / PLANS[0]).read_text(encoding="utf-8")
    (data_dir / "plan.txt").write_text(text + "\n附：样例\n", encoding="utf-8")
    build_index(data_dir, index, embedder=FakeEmbedder(32))
    (data_dir / "plan.md").write_text(text + "\n附：样例\n", encoding="utf-8")  # the same plan again
    build_index(data_dir, index, embedder=FakeEmbedder(32))
    assert read_manifest(index).duplicates == (("plan.md", "plan.txt"),)
    (data_dir / "plan.txt").unlink()
    build_index(data_dir, index, embedder=FakeEmbedder(32))
    assert {s.source: s.doc_id for s in read_manifest(index).sources}["plan.md"] == "plan"
    (data_dir / "copy.md").write_bytes((data_dir / "plan.md").read_bytes())  # a known duplicate, then a rename
    build_index(data_dir, index, embedder=FakeEmbedder(32))
    (data_dir / "plan.md").rename(data_dir / "renamed.md")
    build_index(data_dir, index, embedder=FakeEmbedder(32))
    manifest = read_manifest(index)
    assert "plan" in {s.doc_id for s in manifest.sources}, manifest.sources


def test_an_index_of_the_old_ids_keeps_the_indexed_files_id(data_dir, tmp_path):
    # the review: an index written before (a duplicate had its original's id) gave the indexed plan.txt a
    # suffixed id on upgrade, because plan.md sorts first
    index = tmp_path / "index"
    text = (FIXTURES / PLANS[0]).read_text(encoding="utf-8") + "\n附：样例\n"
    (data_dir / "plan.txt").write_text(text, encoding="utf-8")
    build_index(data_dir, index, embedder=FakeEmbedder(32))
    (data_dir / "plan.md").write_text(text, encoding="utf-8")
    build_index(data_dir, index, embedder=FakeEmbedder(32))
    path = index / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    for entry in manifest["duplicate_sources"]:
        entry["doc_id"] = "plan"  # as the code before stop 26 wrote it
    path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    build_index(data_dir, index, embedder=FakeEmbedder(32), force=True)
    assert {s.source: s.doc_id for s in read_manifest(index).sources}["plan.txt"] == "plan"


def test_a_catalog_row_for_a_duplicate_file_says_it_is_unused(data_dir, tmp_path):
    # the stop-26 review: the row of a file that repeats another (indexed instead) was unused without a word
    shutil.copy(data_dir / PLANS[0], data_dir / "zz-副本.txt")
    (data_dir / "catalog.csv").write_text("source,region\nzz-副本.txt,海南省\n", encoding="utf-8")
    report = build_index(data_dir, tmp_path / "index", embedder=FakeEmbedder(32))
    assert report.duplicates == (("zz-副本.txt", PLANS[0]),)
    assert [e.reason for e in report.skipped] == [
        f"row zz-副本.txt: the file repeats {PLANS[0]}, which is indexed instead; its row is unused"]
    from ui.messages import reason_text

    assert reason_text(report.skipped[0].reason).startswith(f"zz-副本.txt 一行：该文件与 {PLANS[0]} 内容相同")
    assert build_index(data_dir, tmp_path / "index", embedder=FakeEmbedder(32)).up_to_date


def test_ctrl_c_prints_one_line_and_leaves_the_index_as_it_was(data_dir, built, monkeypatch, capsys):
    # an operator review: Ctrl-C during a build printed a traceback
    from indexer import build as build_module
    from retrieval import search as search_module

    before = checksums(built)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(build_module, "build_index", interrupted)
    assert build_cli(data_dir, built) == 130
    err = capsys.readouterr().err
    assert err.strip().startswith("interrupted; the index is as it was") and "Traceback" not in err
    assert checksums(built) == before
    monkeypatch.setattr(search_module.Searcher, "open", interrupted)
    assert retrieval_main(["search", "专利", "--index", str(built)]) == 130
    assert capsys.readouterr().err.strip() == "interrupted"


def test_outline_warns_about_a_bad_sidecar_and_still_prints(data_dir, capsys):
    (data_dir / f"{PLANS[0]}.meta.json").write_text("{oops")
    assert indexer_main(["outline", str(data_dir / PLANS[0]), "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["document"]["doc_id"]
    assert captured.err.startswith("warning: ") and "not valid JSON" in captured.err


# --- 5. zip and PDF bombs are refused before they are inflated -----------------------------------------


def _docx_with_part(size: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"<" + b" " * size + b">")
    return buf.getvalue()


def test_docx_zip_bomb_is_refused_quickly(tmp_path):
    bomb = tmp_path / "bomb.docx"
    bomb.write_bytes(_docx_with_part(64 * 1024 * 1024))  # 64 MB of spaces packed into ~64 KB
    assert bomb.stat().st_size < 200_000
    started = time.perf_counter()
    with pytest.raises(UnreadableSource, match="zip bomb"):
        load_source(bomb)
    assert time.perf_counter() - started < 5


def test_docx_declaring_a_huge_part_is_refused_without_unpacking(tmp_path, monkeypatch):
    import indexer.load as load

    monkeypatch.setattr(load, "MAX_UNZIPPED_BYTES", 1024 * 1024)
    bomb = tmp_path / "big.docx"
    bomb.write_bytes(_docx_with_part(2 * 1024 * 1024))
    with pytest.raises(UnreadableSource, match="unpacks to"):
        load_source(bomb)


def test_pdf_stream_bomb_is_refused(tmp_path):
    from tests.pdfmaker import make_pdf

    pdf = make_pdf([["第一章 总则", "第一条 为了规范管理，制定本办法。"]])
    packed = zlib.compress(b" " * (48 * 1024 * 1024), 9)
    # Replace the page's content stream by a 48 MB one (every page's text sits in a content stream).
    head, _, rest = pdf.partition(b"stream\n")
    _, _, tail = rest.partition(b"\nendstream")
    start = head.rfind(b"<<")
    head = head[:start] + f"<< /Length {len(packed)} /Filter /FlateDecode >>\n".encode()
    bomb = tmp_path / "bomb.pdf"
    bomb.write_bytes(head + b"stream\n" + packed + b"\nendstream" + tail)
    with pytest.raises(UnreadableSource):
        load_source(bomb)


# --- 6. links leaving the plans folder are not followed -------------------------------------------------


def test_symlink_out_of_the_data_folder_is_skipped(data_dir, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("机密：服务器口令。" * 10)
    (data_dir / "passwd.txt").symlink_to(secret)
    (data_dir / "etc.txt").symlink_to("/etc/passwd")
    (data_dir / "alias.txt").symlink_to(data_dir / PLANS[0])  # inside the folder: followed
    results = list(read_folder(data_dir))
    skipped = {Path(r.path).name: r.reason for r in results if isinstance(r, UnreadableSource)}
    read = {r.document.source for r in results if not isinstance(r, UnreadableSource)}
    assert "outside the plans folder" in skipped["passwd.txt"] and "outside" in skipped["etc.txt"]
    assert "alias.txt" in read and "passwd.txt" not in read


# --- 7. duplicate plans are indexed once ----------------------------------------------------------------


def test_identical_plans_under_other_names_are_indexed_once(built, data_dir, tmp_path):
    # Added after the originals were indexed: the copies are the duplicates, the index keeps what it had.
    shutil.copy(data_dir / PLANS[0], data_dir / "copy_of_plan.txt")
    import docx

    document = docx.Document()
    for line in (data_dir / PLANS[1]).read_text(encoding="utf-8").splitlines():
        document.add_paragraph(line)
    document.save(data_dir / "regulation_as_word.docx")
    report = build_index(data_dir, built, embedder=FakeEmbedder(32))
    assert report.documents == 3 and report.embedded == 0
    manifest = read_manifest(built)
    assert dict(manifest.duplicates) == {"copy_of_plan.txt": PLANS[0], "regulation_as_word.docx": PLANS[1]}
    assert {s.source for s in manifest.sources} == set(PLANS)
    again = build_index(data_dir, built, embedder=FakeEmbedder(32))
    assert again.up_to_date and dict(again.duplicates) == dict(manifest.duplicates)
    # In a fresh index the first name wins.
    fresh = build_index(data_dir, tmp_path / "fresh", embedder=FakeEmbedder(32))
    assert dict(fresh.duplicates)[PLANS[0]] == "copy_of_plan.txt"


# --- 8. odd files ---------------------------------------------------------------------------------------


def test_utf16_without_bom_is_read(tmp_path):
    text = (FIXTURES / PLANS[0]).read_text(encoding="utf-8")
    for encoding in ("utf-16-le", "utf-16-be"):
        path = tmp_path / f"{encoding}.txt"
        path.write_bytes(text.encode(encoding))
        assert load_source(path).text.strip() == text.strip()


@pytest.mark.parametrize(
    "content",
    [
        b"#!/bin/sh\nrm -rf /tmp/x\necho done\n" * 50,
        bytes(range(1, 128)) * 40,
        b"MZ\x90\x03" + bytes(range(32, 127)) * 20,
    ],
)
def test_junk_renamed_txt_is_not_a_plan(tmp_path, content):
    path = tmp_path / "plan.txt"
    path.write_bytes(content)
    with pytest.raises(UnreadableSource, match="not Chinese plan text|binary|cannot decode"):
        load_source(path)


def test_named_pipe_does_not_hang_outline(tmp_path):
    fifo = tmp_path / "plan.txt"
    os.mkfifo(fifo)
    run = subprocess.run(
        [sys.executable, "-m", "indexer", "outline", str(fifo)], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 1 and "not a regular file" in run.stderr and len(run.stderr.strip().splitlines()) == 1


def test_names_starting_with_dots_are_reported_not_silently_dropped(data_dir):
    shutil.copy(data_dir / PLANS[0], data_dir / "..草案.txt")
    (data_dir / ".DS_Store").write_bytes(b"\x00\x01")
    results = list(read_folder(data_dir))
    skipped = {Path(r.path).name: r.reason for r in results if isinstance(r, UnreadableSource)}
    assert "hidden file" in skipped["..草案.txt"] and ".DS_Store" not in skipped


def test_pypdf_warnings_are_not_printed(tmp_path):
    from tests.pdfmaker import make_pdf

    pdf = make_pdf([["第一章 总则", "第一条 为了规范管理，制定本办法。" * 3]])
    broken = pdf.replace(b"startxref\n", b"startxref\n9").replace(b"xref\n0", b"xref\n0", 1)
    path = tmp_path / "plan.pdf"
    path.write_bytes(broken)
    run = subprocess.run(
        [sys.executable, "-m", "indexer", "outline", str(path)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert "startxref" not in run.stderr and "pypdf" not in run.stderr, run.stderr
    assert run.returncode == 0 or len(run.stderr.strip().splitlines()) == 1


# --- 9 & 10. a damaged index is reported, and build --force always rebuilds it ---------------------------


def _damage_manifest(index: Path) -> None:
    path = index / "manifest.json"
    path.write_bytes(path.read_bytes().replace(b'"format_version"', b'"format_\xffversion"', 1))


def _empty_lexical(index: Path) -> None:
    for npy in (index / "lexical").rglob("*.npy"):
        npy.write_bytes(b"")


def _garble_vectors(index: Path) -> None:
    raw = bytearray((index / "faiss.index").read_bytes())
    nan = np.array([np.nan, 3e38], dtype=np.float32).tobytes()
    raw[-len(nan) * 4 :] = nan * 4
    (index / "faiss.index").write_bytes(bytes(raw))


def _empty_indicators(index: Path) -> None:
    (index / "indicators.jsonl").write_bytes(b"")


DAMAGE = {"manifest": _damage_manifest, "lexical": _empty_lexical, "vectors": _garble_vectors,
          "indicators": _empty_indicators}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_damaged_index_is_a_typed_error_and_force_rebuilds(built, data_dir, capsys, damage):
    DAMAGE[damage](built)
    with pytest.raises(IndexDamaged):
        load_index(built)
    assert retrieval_main(["search", "专利", "--index", str(built)]) == 1
    assert "damaged" in one_line_error(capsys) or "unreadable" in capsys.readouterr().err
    assert build_cli(data_dir, built, "--force") == 0
    assert load_index(built).manifest.counts["documents"] == 3


def test_damaged_index_is_rebuilt_by_a_plain_build(built, data_dir):
    _empty_lexical(built)
    report = build_index(data_dir, built, embedder=FakeEmbedder(32))
    assert not report.up_to_date and load_index(built).manifest.counts["documents"] == 3


def test_garbled_vectors_are_caught_even_without_hashing(built):
    _garble_vectors(built)
    with pytest.raises(IndexDamaged, match="unit-length|differs"):
        load_index(built, verify="sizes")


def test_manifest_records_every_file_with_its_checksum(built):
    manifest = read_manifest(built)
    recorded = {path for path, _, _ in manifest.files}
    assert {"faiss.index", "clauses.jsonl", "documents.json", "indicators.jsonl"} <= recorded
    assert any(path.startswith("lexical/") for path in recorded)


def test_non_finite_vectors_are_never_written(data_dir, tmp_path):
    class Broken(FakeEmbedder):
        def embed_documents(self, texts):
            out = super().embed_documents(texts)
            out[0, 0] = np.nan
            return out

    with pytest.raises(IndexWriteFailed, match="not finite"):
        build_index(data_dir, tmp_path / "index", embedder=Broken(32))


# --- 11. a full disk: one line, old index intact ---------------------------------------------------------


def test_full_disk_gives_one_line_and_keeps_the_old_index(built, data_dir, monkeypatch, capsys):
    import faiss

    before = checksums(built)

    def full(*args, **kwargs):
        raise RuntimeError("Error in faiss::FileIOWriter: fwrite failed\nNo space left on device")

    monkeypatch.setattr(faiss, "serialize_index", full)
    (data_dir / "extra.txt").write_bytes((FIXTURES / "provincial_opinions_inline.txt").read_bytes())
    with pytest.raises(IndexWriteFailed, match="No space left on device"):
        build_index(data_dir, built, embedder=FakeEmbedder(32))
    assert build_cli(data_dir, built) == 1
    assert "previous index is unchanged" in one_line_error(capsys)
    assert checksums(built) == before
    assert not list(built.parent.glob(".index.building-*"))


def test_cli_oserror_during_build_is_one_line(data_dir, tmp_path, monkeypatch, capsys):
    import indexer.build as build

    def boom(*args, **kwargs):
        raise PermissionError(13, "Permission denied")  # no file name: the handler must not need one

    monkeypatch.setattr(build, "build_lock", boom)
    assert build_cli(data_dir, tmp_path / "index") == 1
    assert "Permission denied" in one_line_error(capsys)


def test_unsafe_path_error_is_typed(data_dir):
    with pytest.raises(UnsafePath):
        build_index(data_dir, data_dir, embedder=FakeEmbedder(32))


# --- found by a review with fresh eyes --------------------------------------------------------------------


def test_pdf_listing_one_page_again_and_again_is_refused(tmp_path):
    path = ROOT / "tests" / "fixtures" / "hostile" / "same_page_listed_four_times.pdf"
    with pytest.raises(UnreadableSource, match="listed again and again"):
        load_source(path)


def test_folder_with_index_names_but_user_files_is_not_replaced(data_dir, tmp_path, capsys):
    target = tmp_path / "looks_like_an_index"
    (target / "lexical").mkdir(parents=True)
    (target / "documents.json").write_text("my notes")
    (target / "lexical" / "thesis.tex").write_text("my thesis")
    assert build_cli(data_dir, target) == 1
    assert "not a plan-search index" in one_line_error(capsys)
    assert (target / "lexical" / "thesis.tex").read_text() == "my thesis"


def test_a_build_never_reuses_a_vector_from_damaged_bytes(built, data_dir):
    good = load_index(built).vectors().copy()
    raw = bytearray((built / "faiss.index").read_bytes())
    at = raw.find(good[3].tobytes())
    raw[at + 3] ^= 0x80  # flip one component's sign: same size, still unit length
    (built / "faiss.index").write_bytes(bytes(raw))
    load_index(built)  # this process already verified the old bytes: 'auto' checks sizes only …
    report = build_index(data_dir, built, embedder=FakeEmbedder(32))
    assert not report.up_to_date  # … but a build hashes every file before trusting it
    np.testing.assert_allclose(load_index(built, verify="full").vectors()[3], good[3], atol=1e-6)


def test_link_loops_and_relative_index_paths_are_one_line(data_dir, tmp_path, monkeypatch, capsys):
    (data_dir / "a.txt").symlink_to(data_dir / "b.txt")
    (data_dir / "b.txt").symlink_to(data_dir / "a.txt")
    skipped = {Path(r.path).name: r.reason for r in read_folder(data_dir) if isinstance(r, UnreadableSource)}
    assert "loops" in skipped["a.txt"] and "loops" in skipped["b.txt"]
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert build_cli(data_dir, Path(".")) == 0  # an empty current folder is a fine index folder
    assert (work / "manifest.json").exists()


def test_absurdly_nested_manifest_is_damaged_not_a_crash(built):
    (built / "manifest.json").write_text("[" * 200_000)
    with pytest.raises(IndexDamaged):
        read_manifest(built)


def test_metadata_links_out_of_the_folder_are_ignored(data_dir, tmp_path):
    outside = tmp_path / "outside.json"
    outside.write_text('{"title": "外部文件的标题"}', encoding="utf-8")
    (data_dir / f"{PLANS[0]}.meta.json").symlink_to(outside)
    results = list(read_folder(data_dir))
    assert any(isinstance(r, UnreadableSource) and "outside the plans folder" in r.reason for r in results)
    assert all(r.document.title != "外部文件的标题" for r in results if not isinstance(r, UnreadableSource))


def test_a_load_that_a_swap_overtook_is_read_again(built, data_dir, monkeypatch):
    import indexer.store as store

    real = store._load
    calls = {"n": 0}

    def overtaken(folder, verify):
        index = real(folder, verify)  # this read succeeds …
        calls["n"] += 1
        if calls["n"] == 1:  # … but a build swaps a new index in before it returns
            (data_dir / "extra.txt").write_bytes((FIXTURES / "provincial_opinions_inline.txt").read_bytes())
            build_index(data_dir, built, embedder=FakeEmbedder(32))
        return index

    monkeypatch.setattr(store, "_load", overtaken)
    assert load_index(built).manifest.counts["documents"] == 4  # the overtaken read was not returned
