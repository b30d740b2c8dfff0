"""Scanned and mixed PDFs: only the pages without a text layer are OCR'd, each page is reported as it is
read (CLI and app), and the document says how many pages came from OCR.

The hermetic tests stand a fake recognizer in for RapidOCR; the ``model`` tests run the real one on
pages the test renders (text drawn in a CJK font, saved as an image-only PDF page) and print the
character error rate.
"""

from __future__ import annotations

import io
import time

import pytest

from indexer import ocr
from indexer.load import load_source
from indexer.read import read_plan
from tests.pdfmaker import make_pdf
from tests.test_load import CJK_FONT, SCANNED_LINES, scanned_pdf

TEXT_PAGE = ["某县节水行动方案", "一、总体要求", "坚持节水优先，全面提升用水效率。"]
SCANNED_PAGE = ["二、重点任务", "（一）推进农业节水", "1.推广喷灌滴灌等高效节水灌溉技术。"]


def blank_image_pdf(pages: int = 1) -> bytes:
    """Pages that are one white image each: a scan whose text a fake recognizer supplies."""
    from PIL import Image

    images = [Image.new("L", (400, 300), 255) for _ in range(pages)]
    out = io.BytesIO()
    images[0].save(out, format="PDF", save_all=True, append_images=images[1:], resolution=72)
    return out.getvalue()


def joined(*pdfs: bytes) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for data in pdfs:
        for page in PdfReader(io.BytesIO(data)).pages:
            writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture
def fake_ocr(monkeypatch):
    """RapidOCR replaced by a recognizer that reads SCANNED_PAGE off any image, counting its calls."""
    calls = []
    monkeypatch.setattr(ocr, "_CACHE", type(ocr._CACHE)())  # each test reads its pages afresh
    monkeypatch.setattr(ocr, "available", lambda: True)
    monkeypatch.setattr(ocr, "read_image", lambda pil: calls.append(pil.size) or list(SCANNED_PAGE))
    return calls


def test_mixed_pdf_ocrs_only_its_image_pages(tmp_path, fake_ocr):
    path = tmp_path / "mixed.pdf"
    path.write_bytes(joined(make_pdf([TEXT_PAGE]), blank_image_pdf(1)))
    seen = []
    with ocr.reporting(lambda done, total: seen.append((done, total))):
        source = load_source(path)
    assert len(fake_ocr) == 1  # the text page is not OCR'd
    assert seen == [(0, 1), (1, 1)]
    assert source.ocr_pages == 1
    assert source.text.split("\n") == TEXT_PAGE + SCANNED_PAGE
    plan = read_plan(path)
    assert [h.label for h in plan.headings] == [
        "一、总体要求",
        "二、重点任务",
        "（一）推进农业节水",
        "1.推广喷灌滴灌等高效节水灌溉技术",
    ]
    assert (plan.document.title, plan.document.ocr_pages) == ("某县节水行动方案", 1)


def test_a_text_pdf_is_not_marked_as_ocred(tmp_path, fake_ocr):
    path = tmp_path / "plan.pdf"
    path.write_bytes(make_pdf([TEXT_PAGE]))
    assert read_plan(path).document.ocr_pages == 0
    assert fake_ocr == []


def test_outline_cli_reports_each_scanned_page(tmp_path, fake_ocr, capsys):
    from indexer.__main__ import main

    path = tmp_path / "scan.pdf"
    path.write_bytes(joined(make_pdf([TEXT_PAGE]), blank_image_pdf(2)))
    assert main(["outline", str(path), "--json"]) == 0
    out, err = capsys.readouterr()
    assert err.splitlines() == ["ocr: page 0/2", "ocr: page 1/2", "ocr: page 2/2"]
    assert '"ocr_pages": 2' in out


def test_app_progress_text_for_scanned_pages():
    from ui.build import ocr_progress_text

    assert ocr_progress_text(3, 10) == "读取文件：扫描件文字识别 3/10 页"


def test_ocr_that_finds_no_text_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(ocr, "_CACHE", type(ocr._CACHE)())
    monkeypatch.setattr(ocr, "available", lambda: True)
    monkeypatch.setattr(ocr, "read_image", lambda pil: [])
    path = tmp_path / "scan.pdf"
    path.write_bytes(blank_image_pdf(1))
    with pytest.raises(Exception, match="no text layer and no readable text in its page images"):
        load_source(path)


def speckled(image, share: float, seed: int = 0):
    import numpy as np
    from PIL import Image

    pixels = np.asarray(image.convert("L")).copy()
    flips = np.random.default_rng(seed).random(pixels.shape) < share
    pixels[flips] = 255 - pixels[flips]
    return Image.fromarray(pixels)


def test_a_speckled_page_is_despeckled_and_a_clean_one_left_alone():
    from PIL import Image, ImageDraw

    page = Image.new("L", (400, 200), 255)
    ImageDraw.Draw(page).rectangle((50, 50, 350, 60), fill=0)  # a stroke: no pixel of it is isolated
    assert ocr._despeckled(page).tobytes() == page.tobytes()
    noisy = speckled(page, 0.005)
    cleaned = ocr._despeckled(noisy)
    import numpy as np

    assert (np.asarray(noisy) < ocr.INK).sum() > (np.asarray(page) < ocr.INK).sum() + 100
    assert (np.asarray(cleaned)[:40] < ocr.INK).sum() == 0  # the specks above the stroke are gone


# --- the real recognizer -----------------------------------------------------------------------------


def needs_real_ocr():
    if not CJK_FONT.exists() or not ocr.available():
        pytest.skip("needs fonts-noto-cjk and rapidocr_onnxruntime")


@pytest.mark.model
def test_scanned_pdf_every_heading_found_and_character_error_rate(tmp_path):
    needs_real_ocr()
    path = tmp_path / "scan.pdf"
    path.write_bytes(scanned_pdf())
    started = time.perf_counter()
    plan = read_plan(path)
    seconds = time.perf_counter() - started
    expected = "\n".join(line for page in SCANNED_LINES for line in page)
    rate = ocr.character_error_rate(expected, plan.text)
    print(f"\nOCR: {len(SCANNED_LINES)} pages in {seconds:.1f} s, character error rate {rate:.2%}")
    headings = [line for page in SCANNED_LINES for line in page][1:]  # every line but the title is a heading
    assert [h.label for h in plan.headings] == [line.rstrip("。") for line in headings]
    assert plan.document.ocr_pages == len(SCANNED_LINES)
    assert rate < 0.02


@pytest.mark.model
def test_mixed_text_and_scanned_pdf_with_the_real_recognizer(tmp_path):
    needs_real_ocr()
    path = tmp_path / "mixed.pdf"
    path.write_bytes(joined(make_pdf([TEXT_PAGE]), scanned_pdf([SCANNED_PAGE])))
    plan = read_plan(path)
    rate = ocr.character_error_rate("\n".join(TEXT_PAGE + SCANNED_PAGE), plan.text)
    print(f"\nmixed PDF: character error rate {rate:.2%}")
    assert plan.document.ocr_pages == 1
    assert [h.label for h in plan.headings] == [
        "一、总体要求",
        "二、重点任务",
        "（一）推进农业节水",
        "1.推广喷灌滴灌等高效节水灌溉技术",
    ]


@pytest.mark.model
def test_a_speckled_scan_keeps_its_heading_numbers(tmp_path):
    """0.5 % specks (a photocopy): the line widening took the specks for ink and 一、 was lost."""
    needs_real_ocr()
    from PIL import Image, ImageDraw, ImageFont

    from indexer.ocr import read_image

    page = Image.new("L", (1240, 1000), 255)  # drawn as tests.test_load.scanned_pdf draws a page
    font = ImageFont.truetype(str(CJK_FONT), 28)
    for i, line in enumerate(SCANNED_LINES[0]):
        ImageDraw.Draw(page).text((80, 60 + i * 70), line, font=font, fill=0)
    lines = read_image(speckled(page, 0.005))
    rate = ocr.character_error_rate("\n".join(SCANNED_LINES[0]), "\n".join(lines))
    print(f"\nspeckled page: character error rate {rate:.2%}")
    assert lines[1:] == SCANNED_LINES[0][1:]


def test_the_manifest_marks_a_scanned_document_and_reads_old_manifests(tmp_path, fake_ocr):
    import json

    from indexer.build import build_index
    from indexer.embedding import EmbedderSettings, make_embedder
    from indexer.store import read_manifest

    data = tmp_path / "data"
    data.mkdir()
    (data / "mixed.pdf").write_bytes(joined(make_pdf([TEXT_PAGE]), blank_image_pdf(1)))
    (data / "plan.pdf").write_bytes(make_pdf([["某县节水规划", "一、总体要求", "坚持节水优先。"]]))
    index = tmp_path / "index"
    build_index(data, index, embedder=make_embedder(EmbedderSettings(model="fake:16")))
    raw = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
    assert {s["source"]: s["ocr_pages"] for s in raw["sources"]} == {"mixed.pdf": 1, "plan.pdf": 0}
    assert {s.source: s.ocr_pages for s in read_manifest(index).sources} == {"mixed.pdf": 1, "plan.pdf": 0}
    for s in raw["sources"]:
        del s["ocr_pages"]  # as every manifest before this field
    (index / "manifest.json").write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    assert {s.ocr_pages for s in read_manifest(index).sources} == {0}


def test_a_page_read_once_is_not_read_again_in_the_same_process(tmp_path, fake_ocr):
    """An upload is test-read and then read again by the index update: OCR takes seconds a page."""
    path = tmp_path / "scan.pdf"
    path.write_bytes(joined(make_pdf([TEXT_PAGE]), blank_image_pdf(1)))
    first = load_source(path)
    seen = []
    with ocr.reporting(lambda done, total: seen.append((done, total))):
        again = load_source(path)
    assert len(fake_ocr) == 1 and again.text == first.text and again.ocr_pages == 1
    assert seen == [(0, 1), (1, 1)]  # the progress still says where it is
