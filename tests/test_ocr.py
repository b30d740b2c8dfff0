"""Scanned and mixed PDFs: only the pages without a text layer are OCR'd, each page is reported as it is
read (CLI and app), and the document says how many pages came from OCR.

The hermetic tests stand a fake recognizer in for RapidOCR; the ``model`` tests run the real one on
pages the test renders (text drawn in a CJK font, saved as an image-only PDF page) and print the
character error rate.
"""

from __future__ import annotations

import io
import re
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


# --- tables, page numbers and figures in OCR output ----------------------------------------------------


def ruled_table(cells: list[list[str | list[str]]], widths: list[int], row_height: int = 80, page=(1240, 900),
                origin=(100, 120), font_size: int = 24, draw_text: bool = True):
    """A page with a ruled table drawn on it, as a scanner sees a printed one: each cell's text (a list is
    a cell wrapped over lines) centred in its cell. Returns the page and the boxes a detector would give
    ((top, bottom, left, right, text, score), one per line of a cell)."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", page, 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(CJK_FONT), font_size) if CJK_FONT.exists() else None
    x0, y0 = origin
    xs = [x0]
    for w in widths:
        xs.append(xs[-1] + w)
    ys = [y0 + i * row_height for i in range(len(cells) + 1)]
    for y in ys:
        draw.line((xs[0], y, xs[-1], y), fill=0, width=2)
    for x in xs:
        draw.line((x, ys[0], x, ys[-1]), fill=0, width=2)
    boxes = []
    line_h = font_size + 8
    for i, row in enumerate(cells):
        for j, cell in enumerate(row):
            lines = [cell] if isinstance(cell, str) else cell
            lines = [line for line in lines if line]
            top = (ys[i] + ys[i + 1]) / 2 - line_h * len(lines) / 2
            for k, line in enumerate(lines):
                width = font_size * len(line) * 0.8
                left = (xs[j] + xs[j + 1]) / 2 - width / 2
                if draw_text and font is not None:
                    draw.text((left, top + k * line_h + 4), line, font=font, fill=0)
                boxes.append((top + k * line_h, top + (k + 1) * line_h - 2, left, left + width, line, 0.99))
    return image, boxes


class FakeEngine:
    """RapidOCR's interface: a page call returns the given boxes; a call on a crop (use_det=False) returns
    ``reread`` (what a re-reading across cells gave: garbage) and is counted."""

    def __init__(self, boxes, reread="错误读法12.52222"):
        self.boxes, self.reread, self.crops = boxes, reread, 0

    def __call__(self, image, use_det=True, use_cls=True):
        if use_det:
            points = [[[b[2], b[0]], [b[3], b[0]], [b[3], b[1]], [b[2], b[1]]] for b in self.boxes]
            return [[p, b[4], b[5]] for p, b in zip(points, self.boxes, strict=True)], None
        self.crops += 1
        return [[self.reread, 0.9]], None


def test_a_ruled_table_is_read_cell_by_cell_its_wrapped_cells_whole(monkeypatch):
    """Plan C's annex: cells wrapped over two lines sat between the lines of their neighbours, and the
    line re-read across the cell borders gave cells twice and 12.5 as 12.52222."""
    cells = [
        ["序号", "项目名称", "建设内容", ["总投资", "（亿元）"], "建设年限"],
        ["1", ["武侯祠—锦里三国文", "化街区提升项目"], ["街区风貌提升、沉浸", "式剧场建设"], "12.5", ["2026—", "2028"]],
        ["2", "锦江武侯段夜游项目", ["滨水步道、灯光秀及", "6个消费节点"], "8.0", ["2026—", "2027"]],
    ]
    image, boxes = ruled_table(cells, [70, 300, 300, 140, 140], draw_text=False)
    engine = FakeEngine(boxes)
    monkeypatch.setattr(ocr, "_engine", lambda: engine)
    assert ocr.read_image(image) == [
        "序号\t项目名称\t建设内容\t总投资（亿元）\t建设年限",
        "1\t武侯祠—锦里三国文化街区提升项目\t街区风貌提升、沉浸式剧场建设\t12.5\t2026—2028",
        "2\t锦江武侯段夜游项目\t滨水步道、灯光秀及6个消费节点\t8.0\t2026—2027",
    ]
    assert engine.crops == 0  # no cell is read again across its borders


def test_a_table_cell_the_detector_missed_is_read_from_its_ink(monkeypatch):
    """The — of a missing value, or a lone digit, is often no box of the detector: a cell with ink and no
    box is read on its own (a flat stroke alone is —, without asking the recognizer, which is unsure of
    it); a lone 一 is a dash, unless its column counts 一, 二, 三."""
    from PIL import ImageDraw

    cells = [["序号", "指标名称", "2025年", "2030年"], ["一", "排放强度下降", "—", "[8]"], ["二", "绿色出行比例", "一", "3"]]
    image, boxes = ruled_table(cells, [90, 300, 140, 140], draw_text=False)
    draw = ImageDraw.Draw(image)
    dash, three = next(b for b in boxes if b[4] == "—"), next(b for b in boxes if b[4] == "3")
    draw.line((dash[2], (dash[0] + dash[1]) / 2, dash[3], (dash[0] + dash[1]) / 2), fill=0, width=2)
    draw.line(((three[2] + three[3]) / 2, three[0] + 4, (three[2] + three[3]) / 2, three[1] - 4), fill=0, width=3)
    engine = FakeEngine([b for b in boxes if b[4] not in ("—", "3")], reread="3")
    monkeypatch.setattr(ocr, "_engine", lambda: engine)
    assert ocr.read_image(image) == [
        "序号\t指标名称\t2025年\t2030年",
        "一\t排放强度下降\t—\t[8]",
        "二\t绿色出行比例\t—\t3",  # a dash the detector found and the recognizer read as 一
    ]
    assert engine.crops == 1  # the digit's cell; blank cells and the dash's are not read


def test_merged_cells_of_a_ruled_table_read_as_a_word_tables_are(monkeypatch):
    """A cell spanning rows (no rule across it) is written in each of its rows, as python-docx reads a
    Word table's merged cell; one spanning the whole width (a note row) is a row of one cell."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (1000, 500), 255)
    draw = ImageDraw.Draw(image)
    for y, x0 in ((100, 100), (180, 100), (260, 300), (340, 100), (420, 100)):
        draw.line((x0, y, 800, y), fill=0, width=2)
    for x, y1 in ((100, 420), (300, 340), (600, 340), (800, 420)):
        draw.line((x, 100, x, y1), fill=0, width=2)
    boxes = [(125, 155, 160, 240, "领域"), (125, 155, 400, 500, "指标"), (125, 155, 650, 750, "2030年"),
             (245, 275, 160, 240, "交通"), (205, 235, 380, 520, "铁路里程"), (205, 235, 670, 730, "520"),
             (285, 315, 380, 520, "公路里程"), (285, 315, 670, 730, "480"), (365, 395, 200, 700, "注：数据为预期值")]
    engine = FakeEngine([(*b, 0.99) for b in boxes])
    monkeypatch.setattr(ocr, "_engine", lambda: engine)
    assert ocr.read_image(image) == [
        "领域\t指标\t2030年",
        "交通\t铁路里程\t520",
        "交通\t公路里程\t480",
        "注：数据为预期值",
    ]


def test_a_framed_box_is_text_not_a_table(monkeypatch):
    """A 专栏 is framed by two column rules: its lines are read as lines, and the frame is no ink of theirs."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (1240, 600), 255)
    ImageDraw.Draw(image).rectangle((100, 100, 1100, 400), outline=0, width=2)
    boxes = [(150, 185, 140, 900, "专栏1重大工程", 0.99), (220, 255, 140, 1060, "1.铁路工程：北沿江高铁芜湖段。", 0.99)]
    engine = FakeEngine(boxes)
    monkeypatch.setattr(ocr, "_engine", lambda: engine)
    assert ocr.read_image(image) == ["专栏1重大工程", "1.铁路工程：北沿江高铁芜湖段。"]
    assert engine.crops == 0  # the frame beside the line did not widen it


def test_boxes_far_apart_on_a_line_are_cells_read_each_on_its_own(monkeypatch):
    """A table without rules: cells are boxes set wide apart on one line. Read again as one line they ran
    together (铁路营业里程公里412520预期性); they are joined by tabs, as a Word table's cells are."""
    from PIL import Image

    image = Image.new("L", (1240, 400), 255)
    row = [(100, 133, 160, 350, "铁路营业里程"), (100, 133, 500, 560, "公里"), (100, 133, 620, 670, "412"),
           (100, 133, 710, 760, "520"), (100, 133, 830, 920, "预期性")]
    prose = [(200, 233, 160, 600, "坚持系统谋划、"), (200, 233, 610, 1000, "适度超前。")]
    engine = FakeEngine([(*b, 0.99) for b in row + prose], reread="坚持系统谋划、适度超前。")
    monkeypatch.setattr(ocr, "_engine", lambda: engine)
    assert ocr.read_image(image) == ["铁路营业里程\t公里\t412\t520\t预期性", "坚持系统谋划、适度超前。"]
    assert engine.crops == 1  # the prose line, two boxes close together, is read again whole
    # a word spaced out letter by letter is one word, read again whole
    engine = FakeEngine([(100, 133, 500, 533, "目", 0.99), (100, 133, 640, 673, "录", 0.99)], reread="目录")
    monkeypatch.setattr(ocr, "_engine", lambda: engine)
    assert ocr.read_image(image) == ["目录"]


def test_figures_as_ocr_misreads_them():
    assert ocr.fix_text("原则上组建1一2个医共体") == "原则上组建1—2个医共体"
    assert ocr.fix_text("规划期为2026一2030年") == "规划期为2026—2030年"
    assert ocr.fix_text("一、总体要求") == "一、总体要求"
    assert ocr.fix_text("第一2一") == "第一2一"
    assert ocr.fix_text("累计完成投资1 256亿元") == "累计完成投资1256亿元"
    assert ocr.fix_text("1 256.5万元") == "1256.5万元"
    assert ocr.fix_text("比例68 75%") == "比例68 75%"  # not grouped in threes: two figures
    assert ocr.fix_text("表1 2025年主要指标") == "表1 2025年主要指标"
    assert ocr.fix_text("铁路营业里程\t412\t520公里") == "铁路营业里程\t412\t520公里"


def test_page_numbers_as_ocr_reads_them_are_page_furniture():
    from indexer.pdf import _clean_pdf_pages

    pages = [
        ["一、总体要求", "坚持节水优先，全面提升用水效率，推进农业节水和工业节水，建设节水型", "—1一"],
        ["社会。原则上组建1—2个医共体。", "（一）推进农业节水", "-2一"],
        ["二、重点任务", "推广喷灌滴灌。", "一3一"],
    ]
    text = _clean_pdf_pages(["\n".join(page) for page in pages])
    assert text.split("\n") == [
        "一、总体要求",
        "坚持节水优先，全面提升用水效率，推进农业节水和工业节水，建设节水型社会。原则上组建1—2个医共体。",
        "（一）推进农业节水",
        "二、重点任务",
        "推广喷灌滴灌。",
    ]


def test_a_figure_wrapped_at_the_end_of_a_line_is_joined_whole():
    """投资１ / ２５６亿元: full-width digits wrap anywhere; OCR reads them as ASCII, and the wrapped line
    was joined with a space as a Latin word is (1 256亿元)."""
    from indexer.pdf import _rejoin

    lines = ["“十四五”时期，全市交通基础设施建设累计完成投资1", "256亿元，是“十三五”时期的1.4倍。综合交通网络加", "快完善。"]
    assert _rejoin(lines) == ["“十四五”时期，全市交通基础设施建设累计完成投资1256亿元，是“十三五”时期的1.4倍。综合交通网络加快完善。"]
    assert _rejoin(["Supported by the national key research and", "development program."]) == [
        "Supported by the national key research and development program."
    ]
    # a table row stays a row, however wide
    row = "1\t武侯祠—锦里三国文化街区提升项目\t街区风貌提升、沉浸式剧场建设\t12.5\t2026—2028\t区文化广电旅游局"
    assert _rejoin(["附件", row, "2\t锦江武侯段夜游项目\t滨水步道\t8.0\t2026—2027\t区公园城市局"])[1] == row


INDICATOR_TABLE = [
    ["指标名称", "单位", "2025年", "2030年", "属性"],
    ["铁路营业里程", "公里", "412", "520", "预期性"],
    ["其中：高速铁路营业里程", "公里", "236", "330", "预期性"],
    ["港口货物吞吐量", "亿吨", "1.62", "2.0", "预期性"],
    [["中心城区绿色出行", "比例"], "%", "68", "≥75", "约束性"],
    ["交通运输二氧化碳排放强度下降", "%", "—", "[8]", "约束性"],
]


@pytest.mark.model
def test_a_scanned_indicator_table_gives_its_indicators(tmp_path):
    """Plan A's scan: its table of indicators read as the .docx's is (one row a line, cells by tabs)."""
    needs_real_ocr()
    from PIL import ImageDraw, ImageFont

    image, _ = ruled_table(INDICATOR_TABLE, [420, 110, 130, 130, 120], row_height=80, page=(1240, 1100), origin=(90, 260))
    font = ImageFont.truetype(str(CJK_FONT), 28)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(["二、发展目标", "到2030年，基本建成综合交通枢纽城市。", "表1 主要指标"]):
        draw.text((90, 40 + i * 70), line, font=font, fill=0)
    draw.text((600, 1000), "— 3 —", font=font, fill=0)
    path = tmp_path / "scan.pdf"
    out = io.BytesIO()
    image.save(out, format="PDF", resolution=150)
    path.write_bytes(joined(make_pdf([TEXT_PAGE]), out.getvalue()))
    plan = read_plan(path)
    got = [(i.name, i.unit, i.baseline, i.target, i.attribute) for i in plan.indicators]
    print("\n" + "\n".join(map(str, got)))
    assert got == [
        ("铁路营业里程", "公里", "412", "520", "预期性"),
        ("铁路营业里程（其中：高速铁路营业里程）", "公里", "236", "330", "预期性"),
        ("港口货物吞吐量", "亿吨", "1.62", "2.0", "预期性"),
        ("中心城区绿色出行比例", "%", "68", "≥75", "约束性"),
        ("交通运输二氧化碳排放强度下降", "%", "—", "[8]", "约束性"),
    ]
    assert not [line for line in plan.text.split("\n") if "3" in line and not re.search(r"[\u4e00-\u9fff]", line)]
