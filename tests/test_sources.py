"""Unchanged sources are not parsed again (indexer/sources.py), and the index is what parsing every source
again gives."""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import replace
from pathlib import Path

import pytest

from indexer import build as build_module
from indexer import packs, read, segments, sources
from indexer.build import build_index
from indexer.embedding import EmbedderSettings, make_embedder
from indexer.records import Clause, Document
from indexer.store import load_index, read_manifest
from retrieval.search import Searcher
from tests.test_segments import _same, _verbs

ROOT = Path(__file__).resolve().parent.parent
PLANS = sorted(p for p in (ROOT / "data").iterdir() if p.suffix == ".txt")
PAST = time.time_ns() - 3600 * 10**9


def _embedder():
    return make_embedder(EmbedderSettings(model="fake:64"))


@pytest.fixture
def parses(monkeypatch):
    """The names of the files read_plan parsed (every build reads through read.read_folder)."""
    seen: list[str] = []
    real = read.read_plan
    monkeypatch.setattr(read, "read_plan", lambda path, catalog=None, doc_id=None: seen.append(Path(path).name) or real(path, catalog, doc_id))
    monkeypatch.setattr(segments, "COMPACT_SHARE", 10.0)  # the sample plans are few
    return seen


def _folder(tmp_path, plans, past: bool = False) -> Path:
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    for plan in plans:
        shutil.copy(plan, data)
        if past:
            os.utime(data / plan.name, ns=(PAST, PAST))
    return data


def _content(index: Path) -> tuple:
    """Everything a build derives from the sources, in an order that does not depend on segments. Document
    ids are written as their files' names: a plan keeps the id the last build gave it (a renamed file, the
    duplicate that stands in for a removed original), which a build from scratch cannot know."""
    loaded = load_index(index, verify="full")
    ids = {s.doc_id: s.source for s in loaded.manifest.sources}

    def named(text: str) -> str:
        for doc_id, source in ids.items():
            text = text.replace(f"'{doc_id}'", f"'<{source}>'").replace(f"{doc_id}:", f"<{source}>:")
            text = text.replace(f'"{doc_id}"', f'"<{source}>"')
        return text

    entries = sorted((s.source, s.sha256, s.clauses, s.ocr_pages, s.content, s.overrides)
                     for s in loaded.manifest.sources)
    documents = sorted((named(json.dumps(d.document.to_json(), ensure_ascii=False)), d.text,
                        tuple(h.to_json().__repr__() for h in d.headings)) for d in loaded.documents)
    clauses = sorted((named(c.clause_id), named(repr(c)), key)
                     for c, key in zip(loaded.clauses, loaded.embed_keys, strict=True))
    indicators = sorted(named(repr(i)) for i in loaded.indicators)
    counts = loaded.manifest.counts
    return entries, documents, clauses, indicators, counts, loaded.manifest.skipped, loaded.manifest.duplicates


def _fresh_same(tmp_path, data: Path, index: Path) -> None:
    """The index holds what a build from scratch of the same folder holds, and answers as it does."""
    fresh = tmp_path / f"fresh-{len(list(tmp_path.iterdir()))}"
    build_index(data, fresh, embedder=_embedder())
    assert _content(index) == _content(fresh)
    # the fresh build's document ids as the index has them (a plan keeps the id the last build gave it)
    kept = {s.source: s.doc_id for s in read_manifest(index).sources}
    renamed = {s.doc_id: kept[s.source] for s in read_manifest(fresh).sources if kept[s.source] != s.doc_id}
    fresh_rows = load_index(fresh).ids
    seeds = [fresh_rows[row] for row in (0, 40, 90)]
    there = [_renamed(seed, renamed) for seed in seeds]
    _same(_verbs(Searcher.open(index), there), _renamed(_verbs(Searcher.open(fresh), seeds), renamed))


def _renamed(x, ids: dict[str, str]):
    """``x`` (verbs' results) with document ids ``ids`` (old -> new) replaced, in clause ids and records."""
    if not ids:
        return x
    if isinstance(x, str):
        doc, sep, rest = x.partition(":")
        return f"{ids[doc]}{sep}{rest}" if sep and doc in ids else x
    if isinstance(x, list | tuple):
        return type(x)(_renamed(v, ids) for v in x)
    if isinstance(x, Clause):
        return replace(x, clause_id=_renamed(x.clause_id, ids), doc_id=ids.get(x.doc_id, x.doc_id))
    if isinstance(x, Document):
        return replace(x, doc_id=ids.get(x.doc_id, x.doc_id))
    return x


def test_adding_a_plan_parses_that_plan_only_and_the_index_is_a_fresh_builds(tmp_path, parses):
    data = _folder(tmp_path, PLANS[:4])
    index = tmp_path / "index"
    first = build_index(data, index, embedder=_embedder())
    assert sorted(parses) == [p.name for p in PLANS[:4]] and first.parsed == 4
    entries = read_manifest(index).sources
    assert all(e.size and e.content and e.overrides for e in entries)
    assert all(e.mtime_ns == 0 for e in entries)  # just written: too recent to trust, hashed next time
    parses.clear()
    _folder(tmp_path, PLANS[4:])
    report = build_index(data, index, embedder=_embedder())
    assert parses == [PLANS[4].name] and report.parsed == 1
    assert report.added == (PLANS[4].name,) and report.segments == 1
    assert dict(report.timings)["read"] >= 0
    _fresh_same(tmp_path, data, index)


@pytest.mark.parametrize("whole", [False, True], ids=["tombstoned", "written-whole"])
def test_a_changed_plan_is_the_only_one_parsed_tombstoned_or_written_whole(tmp_path, parses, monkeypatch, whole):
    if whole:  # past the compaction share: the index is written whole, the others taken from the index
        monkeypatch.setattr(segments, "COMPACT_SHARE", 0.0)
    data = _folder(tmp_path, PLANS, past=True)
    index = tmp_path / "index"
    build_index(data, index, embedder=_embedder())
    parses.clear()
    changed = data / PLANS[2].name
    text = changed.read_text(encoding="utf-8")
    changed.write_text(text.replace("知识产权", "知识产权（修订）", 3), encoding="utf-8")
    report = build_index(data, index, embedder=_embedder())
    assert parses == [PLANS[2].name] and report.changed == (PLANS[2].name,) and report.segments == (0 if whole else 1)
    assert bool(read_manifest(index).tombstones) is not whole
    _fresh_same(tmp_path, data, index)
    # a removed plan: nothing is parsed, the others come from the index
    parses.clear()
    (data / PLANS[0].name).unlink()
    report = build_index(data, index, embedder=_embedder())
    assert parses == [] and report.removed == (PLANS[0].name,)
    assert len(read_manifest(index).tombstones) == (0 if whole else 2)
    _fresh_same(tmp_path, data, index)


def test_an_unchanged_file_is_not_read_and_a_touched_one_only_hashed(tmp_path, parses, monkeypatch):
    data = _folder(tmp_path, PLANS[:3], past=True)
    index = tmp_path / "index"
    build_index(data, index, embedder=_embedder())
    assert all(e.mtime_ns == PAST for e in read_manifest(index).sources)
    hashed: list[str] = []
    real = sources.file_sha256
    monkeypatch.setattr(sources, "file_sha256", lambda path: hashed.append(path.name) or real(path))
    parses.clear()
    assert build_index(data, index, embedder=_embedder()).up_to_date
    assert parses == [] and hashed == []
    os.utime(data / PLANS[1].name, ns=(PAST + 10**9, PAST + 10**9))  # touched: same bytes, new mtime
    report = build_index(data, index, embedder=_embedder())
    assert report.up_to_date and report.parsed == 0 and hashed == [PLANS[1].name] and parses == []
    # other bytes of the same size, the old mtime set back (touch -r, cp -p): the new ctime gives it away
    plan = data / PLANS[2].name
    text = plan.read_bytes()
    plan.write_bytes(text.replace("知识产权".encode(), "知識產權".encode(), 1) if "知识产权".encode() in text else text[::-1])
    os.utime(plan, ns=(PAST, PAST))
    hashed.clear()
    report = build_index(data, index, embedder=_embedder())
    assert not report.up_to_date and PLANS[2].name in hashed and parses == [PLANS[2].name]
    # --force parses everything
    parses.clear()
    assert build_index(data, index, embedder=_embedder(), force=True).parsed == 3 and len(parses) == 3


@pytest.mark.parametrize("change", ["parser", "pack"])
def test_a_parser_or_pack_change_parses_every_source_again(tmp_path, parses, monkeypatch, change):
    data = _folder(tmp_path, PLANS[:3], past=True)
    index = tmp_path / "index"
    build_index(data, index, embedder=_embedder())
    if change == "parser":
        monkeypatch.setattr(sources, "PARSER_VERSION", "bumped")
        monkeypatch.setattr(build_module, "PARSER_VERSION", "bumped")
    else:
        digests = {**packs.build_digests(), "regions.tsv": "0" * 64}
        monkeypatch.setattr(packs, "build_digests", lambda: digests)
    parses.clear()
    _folder(tmp_path, PLANS[3:4], past=True)
    report = build_index(data, index, embedder=_embedder())
    assert sorted(parses) == [p.name for p in PLANS[:4]] and report.parsed == 4 and report.segments == 0


def test_a_catalog_or_sidecar_change_parses_that_plan_again(tmp_path, parses):
    data = _folder(tmp_path, PLANS[:3], past=True)
    index = tmp_path / "index"
    (data / f"{PLANS[1].name}.meta.json").write_text("{not json", encoding="utf-8")
    first = build_index(data, index, embedder=_embedder())
    assert [e.path for e in first.skipped] == [str(data / f"{PLANS[1].name}.meta.json")]
    parses.clear()
    _folder(tmp_path, PLANS[3:4])
    report = build_index(data, index, embedder=_embedder())
    assert parses == [PLANS[3].name] and report.segments == 1
    assert [str(e) for e in report.skipped] == [str(e) for e in first.skipped]  # still reported, unparsed
    parses.clear()
    (data / "catalog.csv").write_text(f"source,region\n{PLANS[0].name},海南省\n", encoding="utf-8")
    report = build_index(data, index, embedder=_embedder())
    assert parses == [PLANS[0].name] and report.changed == (PLANS[0].name,)
    doc_id = read_manifest(index).sources[0].doc_id
    assert load_index(index).document(doc_id).document.region == "海南省"
    _fresh_same(tmp_path, data, index)


def test_an_index_from_before_the_stamps_is_parsed_once_more_then_not(tmp_path, parses):
    data = _folder(tmp_path, PLANS[:3], past=True)
    index = tmp_path / "index"
    build_index(data, index, embedder=_embedder())
    path = index / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    for entry in manifest["sources"]:
        for key in ("size", "mtime_ns", "content", "overrides"):
            del entry[key]
    path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    assert load_index(index).manifest.sources[0].content == ""  # it opens
    parses.clear()
    _folder(tmp_path, PLANS[3:4], past=True)
    assert build_index(data, index, embedder=_embedder()).segments == 1
    assert sorted(parses) == [p.name for p in PLANS[:4]]
    assert all(e.content and e.mtime_ns == PAST for e in read_manifest(index).sources)  # recorded now
    parses.clear()
    _folder(tmp_path, PLANS[4:], past=True)
    assert build_index(data, index, embedder=_embedder()).parsed == 1 and parses == [PLANS[4].name]
    _fresh_same(tmp_path, data, index)


def test_an_unchanged_duplicate_is_not_read_again_and_stands_in_when_its_original_goes(tmp_path, parses):
    data = _folder(tmp_path, PLANS[:3], past=True)
    copy = data / ("副本-" + PLANS[1].name)
    shutil.copy(PLANS[1], copy)
    os.utime(copy, ns=(PAST, PAST))
    index = tmp_path / "index"
    first = build_index(data, index, embedder=_embedder())
    assert first.duplicates == ((copy.name, PLANS[1].name),)
    assert [e.source for e in read_manifest(index).duplicate_sources] == [copy.name]
    parses.clear()
    _folder(tmp_path, PLANS[3:4], past=True)
    report = build_index(data, index, embedder=_embedder())
    assert parses == [PLANS[3].name]  # the duplicate is known, not read (it was read on every build)
    assert report.duplicates == ((copy.name, PLANS[1].name),) and report.added == (PLANS[3].name,)
    _fresh_same(tmp_path, data, index)
    # the original removed: the copy, known only as a duplicate, is now the plan the index holds
    (data / PLANS[1].name).unlink()
    parses.clear()
    gone = build_index(data, index, embedder=_embedder())
    assert parses == [copy.name]  # that file alone is read, the others are still known
    assert gone.duplicates == () and copy.name in {s.source for s in read_manifest(index).sources}
    # and it takes the original's document id: links to its clauses still open them
    assert {s.source: s.doc_id for s in read_manifest(index).sources}[copy.name] == PLANS[1].stem
    _fresh_same(tmp_path, data, index)
    # the original back: read (it is new to this index), and now the duplicate of the copy the index holds
    parses.clear()
    shutil.copy(PLANS[1], data)
    os.utime(data / PLANS[1].name, ns=(PAST, PAST))
    back = build_index(data, index, embedder=_embedder())
    assert parses == [PLANS[1].name] and back.duplicates == ((PLANS[1].name, copy.name),)
    parses.clear()
    assert build_index(data, index, embedder=_embedder()).up_to_date and parses == []


def test_a_scan_ocr_reads_as_blank_is_not_read_again_while_unchanged(tmp_path, parses, monkeypatch):
    from indexer import ocr
    from indexer.pdf import NO_TEXT
    from tests.test_ocr import blank_image_pdf

    monkeypatch.setattr(ocr, "available", lambda: True)
    monkeypatch.setattr(ocr, "read_image", lambda pil: [])  # the engine finds no text on its pages
    data = _folder(tmp_path, PLANS[:2], past=True)
    scan = data / "scan.pdf"
    scan.write_bytes(blank_image_pdf(2))
    os.utime(scan, ns=(PAST, PAST))
    index = tmp_path / "index"
    first = build_index(data, index, embedder=_embedder())
    assert [e.reason for e in first.skipped] == [NO_TEXT] and "scan.pdf" in parses
    assert [e.source for e in read_manifest(index).unreadable_sources] == ["scan.pdf"]
    parses.clear()
    again = build_index(data, index, embedder=_embedder())
    assert again.up_to_date and parses == []  # it was OCR'd on every build
    assert [str(e) for e in again.skipped] == [str(e) for e in first.skipped]  # still reported
    # another OCR engine might read it: read again (and recorded for that engine)
    monkeypatch.setattr(ocr, "engine_id", lambda: "another-engine 2.0")
    parses.clear()
    build_index(data, index, embedder=_embedder())
    assert parses == ["scan.pdf"] and read_manifest(index).unreadable_sources[0].ocr == "another-engine 2.0"
    parses.clear()
    assert build_index(data, index, embedder=_embedder()).up_to_date and parses == []
    # a new scan under the same name: read again; one with text is indexed
    monkeypatch.setattr(ocr, "_CACHE", type(ocr._CACHE)())
    from tests.test_ocr import SCANNED_PAGE

    monkeypatch.setattr(ocr, "read_image", lambda pil: list(SCANNED_PAGE))
    scan.write_bytes(blank_image_pdf(1))  # one page: the same text on every page would be a running header
    parses.clear()
    report = build_index(data, index, embedder=_embedder())
    assert parses == ["scan.pdf"] and report.skipped == () and read_manifest(index).unreadable_sources == ()


def test_an_index_from_before_records_its_blank_scans_once(tmp_path, parses, monkeypatch):
    from indexer import ocr
    from tests.test_ocr import blank_image_pdf

    monkeypatch.setattr(ocr, "available", lambda: True)
    monkeypatch.setattr(ocr, "read_image", lambda pil: [])
    data = _folder(tmp_path, PLANS[:2], past=True)
    (data / "scan.pdf").write_bytes(blank_image_pdf(1))
    os.utime(data / "scan.pdf", ns=(PAST, PAST))
    index = tmp_path / "index"
    build_index(data, index, embedder=_embedder())
    path = index / "manifest.json"
    old = json.loads(path.read_text(encoding="utf-8"))
    del old["unreadable_sources"]  # as written before the field
    path.write_text(json.dumps(old, ensure_ascii=False), encoding="utf-8")
    parses.clear()
    report = build_index(data, index, embedder=_embedder())
    assert parses == ["scan.pdf"] and not report.up_to_date  # read once more, and the manifest written
    parses.clear()
    assert build_index(data, index, embedder=_embedder()).up_to_date and parses == []


def test_a_scan_replaced_while_ocr_reads_it_is_read_again(tmp_path, parses, monkeypatch):
    """The record is of the bytes OCR found blank: a right file saved over the blank one while that was read
    (an upload, OCR takes seconds a page) was hashed after the read, recorded as blank and never read."""
    from indexer import ocr
    from indexer.pdf import NO_TEXT
    from tests.test_ocr import SCANNED_PAGE, blank_image_pdf

    monkeypatch.setattr(ocr, "_CACHE", type(ocr._CACHE)())
    monkeypatch.setattr(ocr, "available", lambda: True)
    data = _folder(tmp_path, PLANS[:2], past=True)
    scan = data / "scan.pdf"
    scan.write_bytes(blank_image_pdf(2))
    os.utime(scan, ns=(PAST, PAST))
    right = tmp_path / "upload.pdf"
    right.write_bytes(blank_image_pdf(1))  # its page reads as SCANNED_PAGE below

    def blank_while_replaced(pil):
        if right.exists():
            os.replace(right, scan)
        return []

    monkeypatch.setattr(ocr, "read_image", blank_while_replaced)
    index = tmp_path / "index"
    first = build_index(data, index, embedder=_embedder())
    assert [e.reason for e in first.skipped] == [NO_TEXT] and not right.exists()
    monkeypatch.setattr(ocr, "_CACHE", type(ocr._CACHE)())
    monkeypatch.setattr(ocr, "read_image", lambda pil: list(SCANNED_PAGE))
    parses.clear()
    second = build_index(data, index, embedder=_embedder())
    assert parses == ["scan.pdf"] and second.skipped == ()
    assert "scan.pdf" in {s.source for s in read_manifest(index).sources}


@pytest.mark.parametrize("change", ["force", "parser", "racy", "epoch"])
def test_a_blank_scan_is_read_again_on_force_a_parser_change_or_other_bytes_in_the_same_tick(
    tmp_path, parses, monkeypatch, change
):
    from indexer import ocr
    from indexer.pdf import NO_TEXT
    from tests.test_ocr import blank_image_pdf

    monkeypatch.setattr(ocr, "available", lambda: True)
    monkeypatch.setattr(ocr, "read_image", lambda pil: [])
    data = _folder(tmp_path, PLANS[:2], past=True)
    scan = data / "scan.pdf"
    scan.write_bytes(blank_image_pdf(1))
    if change == "epoch":  # an mtime of 0 (an archive without times) is recorded as 0: never trusted
        os.utime(scan, ns=(0, 0))
    elif change != "racy":
        os.utime(scan, ns=(PAST, PAST))
    index = tmp_path / "index"
    build_index(data, index, embedder=_embedder())
    recorded = read_manifest(index).unreadable_sources
    assert [e.source for e in recorded] == ["scan.pdf"] and (recorded[0].mtime_ns == 0) == (change in ("racy", "epoch"))
    force = change == "force"
    if change == "parser":
        monkeypatch.setattr(sources, "PARSER_VERSION", "bumped")
        monkeypatch.setattr(build_module, "PARSER_VERSION", "bumped")
    elif change in ("racy", "epoch"):  # written again within the same clock tick (or at mtime 0): the same size and mtime, other bytes
        st = scan.stat()
        old = scan.read_bytes()
        other = old.replace(b"%PDF-1.4", b"%PDF-1.5", 1)
        assert other != old and len(other) == len(old)
        scan.write_bytes(other)
        os.utime(scan, ns=(st.st_atime_ns, st.st_mtime_ns))
    parses.clear()
    report = build_index(data, index, embedder=_embedder(), force=force)
    assert "scan.pdf" in parses and [e.reason for e in report.skipped] == [NO_TEXT]
    assert [e.source for e in read_manifest(index).unreadable_sources] == ["scan.pdf"]
