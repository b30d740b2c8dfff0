"""indexer.load: every supported format read, every unreadable file refused with its one-line reason."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from indexer.errors import UnreadableSource
from indexer.load import SUPPORTED_SUFFIXES, _clean_pdf_pages, _decode, load_source
from tests.pdfmaker import encrypt_pdf, make_pdf

PLAN_SIMPLIFIED = "一、总体要求\n（一）指导思想\n坚持以习近平新时代中国特色社会主义思想为指导。\n"
PLAN_TRADITIONAL = "一、總體要求\n（一）指導思想\n堅持以習近平新時代中國特色社會主義思想為指導。\n"


def write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def refused(path) -> str:
    """The reason load_source gives for refusing ``path`` (and check the one-line message format)."""
    with pytest.raises(UnreadableSource) as info:
        load_source(path)
    assert str(info.value) == f"{path}: {info.value.reason}"
    return info.value.reason


# --- plain text ------------------------------------------------------------------------------------

def test_utf8_text_with_record_fields(tmp_path):
    data = PLAN_SIMPLIFIED.encode("utf-8")
    path = write(tmp_path, "plan.txt", data)
    source = load_source(path)
    assert source.text == PLAN_SIMPLIFIED
    assert (source.kind, source.encoding, source.name, source.path) == ("text", "utf-8", "plan.txt", str(path))
    assert source.sha256 == hashlib.sha256(data).hexdigest()


def test_utf8_with_bom_drops_the_bom_and_normalizes_newlines(tmp_path):
    path = write(tmp_path, "plan.md", b"\xef\xbb\xbf" + "第一行\r\n第二行\r第三行".encode())
    source = load_source(path)
    assert (source.text, source.encoding) == ("第一行\n第二行\n第三行", "utf-8-sig")


def test_utf16_with_bom(tmp_path):
    source = load_source(write(tmp_path, "plan.txt", PLAN_SIMPLIFIED.encode("utf-16")))
    assert (source.text, source.encoding) == (PLAN_SIMPLIFIED, "utf-16")


@pytest.mark.parametrize("codec", ["gbk", "gb2312", "gb18030"])
def test_mainland_encodings_read_as_gb18030(tmp_path, codec):
    source = load_source(write(tmp_path, "plan.txt", PLAN_SIMPLIFIED.encode(codec)))
    assert (source.text, source.encoding) == (PLAN_SIMPLIFIED, "gb18030")


def test_gb18030_only_characters(tmp_path):
    text = "䶮（yǎn）、€：GBK 之外的字符。"  # U+4DAE and the euro sign are in GB18030 but not GBK
    source = load_source(write(tmp_path, "plan.txt", text.encode("gb18030")))
    assert (source.text, source.encoding) == (text, "gb18030")


def test_big5(tmp_path):
    source = load_source(write(tmp_path, "plan.txt", PLAN_TRADITIONAL.encode("big5")))
    assert (source.text, source.encoding) == (PLAN_TRADITIONAL, "big5")


@pytest.mark.parametrize("text", ["知识产权", "保护和运用", "全省知识", "（一）指导"])
def test_short_gbk_texts_are_not_misread(tmp_path, text):
    # Short GBK texts can also decode as Big5 or even UTF-8 ('知识' does); plausibility picks GB18030.
    source = load_source(write(tmp_path, "short.txt", text.encode("gbk")))
    assert (source.text, source.encoding) == (text, "gb18030")


@pytest.mark.parametrize("text", ["知識產權保護", "總體要求", "發展目標與任務"])
def test_short_big5_texts_are_not_misread(tmp_path, text):
    source = load_source(write(tmp_path, "short.txt", text.encode("big5")))
    assert (source.text, source.encoding) == (text, "big5")


def test_european_utf8_stays_utf8(tmp_path):
    assert _decode("note.txt", "café, naïve résumé".encode()) == ("café, naïve résumé", "utf-8")


def test_undecodable_bytes(tmp_path):
    path = write(tmp_path, "plan.txt", b"plan \x80\xff\x80\xff end")
    assert refused(path) == "cannot decode as UTF-8, GB18030 or Big5"


def test_binary_file(tmp_path):
    path = write(tmp_path, "plan.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert refused(path) == "binary file, not a text plan"


@pytest.mark.parametrize("data", [b"", b"  \n\r\n\t ", "\u3000\n".encode("utf-8"), b"\xef\xbb\xbf"])
def test_empty_file(tmp_path, data):
    assert refused(write(tmp_path, "plan.txt", data)) == "empty file"


def test_unsupported_suffix(tmp_path):
    path = write(tmp_path, "plan.xyz", b"text")
    assert refused(path) == "unsupported file type .xyz (supported: .txt, .md, .pdf, .html, .htm, .docx)"
    assert refused(write(tmp_path, "README", b"text")).startswith("unsupported file without a suffix (")


def test_suffix_is_case_insensitive(tmp_path):
    assert load_source(write(tmp_path, "PLAN.TXT", "规划正文".encode())).text == "规划正文"
    assert SUPPORTED_SUFFIXES == (".txt", ".md", ".pdf", ".html", ".htm", ".docx")


def test_missing_file(tmp_path):
    assert refused(tmp_path / "gone.txt") == "no such file"


# --- HTML ------------------------------------------------------------------------------------------

HTML_PAGE = """<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>页面标题不进正文</title><style>p { color: red }</style>
<script>var s = "<p>脚本不进正文</p>";</script></head>
<body><h1>某市知识产权规划</h1>
<p>知识产权&nbsp;保护 &amp;
   运用&lt;试行&gt;</p><!-- 注释也不进 -->
<div>第一条&#12288;总则<br>第二条 目的</div>
<table><tr><th>指标</th><th>目标</th></tr><tr><td>专利</td><td>12件</td></tr></table>
<noscript>请启用脚本</noscript></body></html>"""


def test_html_with_meta_charset_entities_and_script(tmp_path):
    source = load_source(write(tmp_path, "plan.html", HTML_PAGE.encode("gb2312")))
    assert source.text == "某市知识产权规划\n知识产权 保护 & 运用<试行>\n第一条\u3000总则\n第二条 目的\n指标\t目标\n专利\t12件"
    assert (source.kind, source.encoding) == ("html", "gb18030")


def test_html_utf8_without_declaration(tmp_path):
    source = load_source(write(tmp_path, "plan.htm", "<p>坚持&quot;两个确立&quot;</p><p>第二段</p>".encode()))
    assert (source.text, source.encoding) == ('坚持"两个确立"\n第二段', "utf-8")


def test_html_without_text(tmp_path):
    path = write(tmp_path, "plan.html", b"<html><head><title>t</title></head><body><img src=x></body></html>")
    assert refused(path) == "no text found in the html file"


# --- PDF -------------------------------------------------------------------------------------------

HEADER = "某市知识产权保护和运用规划"
PDF_PAGES = [
    [
        HEADER,
        "一、总体要求",
        "（一）指导思想",
        "坚持以习近平新时代中国特色社会主义思想为指导，全面贯彻",  # wrapped mid-sentence
        "党的二十大精神，加快建设知识产权强市。",
        "（二）发展目标",
        "到2025年，知识产权创造质量明显提高，保护体系更加完善，",  # wrapped across the page break
        "- 1 -",
    ],
    [
        HEADER,
        "运用效益充分显现。",
        "1. 专利密集型产业增加值占GDP比重达到13%。",
        "2. 每万人口高价值发明专利拥有量达到12件。",
        "— 2 —",
    ],
    [
        HEADER,
        "二、重点任务",
        "加强知识产权保护，完善行政执法和司法保护衔接机制，健全",
        "纠纷多元化解机制。",
        "第 3 页 共 3 页",
    ],
]
PDF_TEXT = (
    f"{HEADER}\n"  # kept once, at the top of the first page, where it is the title
    "一、总体要求\n"
    "（一）指导思想\n"
    "坚持以习近平新时代中国特色社会主义思想为指导，全面贯彻党的二十大精神，加快建设知识产权强市。\n"
    "（二）发展目标\n"
    "到2025年，知识产权创造质量明显提高，保护体系更加完善，运用效益充分显现。\n"
    "1. 专利密集型产业增加值占GDP比重达到13%。\n"
    "2. 每万人口高价值发明专利拥有量达到12件。\n"
    "二、重点任务\n"
    "加强知识产权保护，完善行政执法和司法保护衔接机制，健全纠纷多元化解机制。"
)


def test_pdfmaker_text_round_trips_through_pypdf():
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(make_pdf([["第一行", "第二行 ABC"], []])))
    assert [page.extract_text() for page in reader.pages] == ["第一行\n第二行 ABC", ""]


def test_pdf_rejoins_lines_and_drops_page_numbers_and_running_header(tmp_path):
    data = make_pdf(PDF_PAGES)
    source = load_source(write(tmp_path, "plan.pdf", data))
    assert source.text == PDF_TEXT
    assert (source.kind, source.encoding, source.sha256) == ("pdf", "pdf", hashlib.sha256(data).hexdigest())


def test_pdf_layout_spaces_and_kangxi_radicals_are_not_text():
    """Word's PDF export: 一 written as the radical ⼀, and spaces beside Chinese punctuation (“ 十四五 ”,
    —— 知识产权): the title read 《⾃治州知识产权 “ ⼗四五 ” 规划》 and run-in leads were not found. Spaces
    between two ideographs (中共中央 国务院) and before digits stay."""
    text = _clean_pdf_pages(["⾃治州知识产权 “ ⼗四五 ” 规划\n中共中央 国务院\n—— 知识产权发展环境显著改善。  到 2025 年。"])
    assert text.splitlines() == ["自治州知识产权“十四五”规划", "中共中央 国务院", "——知识产权发展环境显著改善。到 2025 年。"]


BODY_LINE = "坚持以习近平新时代中国特色社会主义思想为指导，全面贯彻党的二十大精神，"  # a full line of the column


@pytest.mark.parametrize("header", ["某市知识产权规划", "某市人民政府公报 2022年第5期"])
def test_pdf_running_header_is_not_the_title_and_dates_survive(tmp_path, header):
    """A running header on every page (page 1 too), page numbers, a notice dated at the foot of page 1
    and the plan signed at the foot of the last: the title is the plan's own line, both dates stay."""
    from indexer.read import read_plan

    pages = [
        [header, "某市人民政府关于印发某市知识产权保护和运用规划的通知", "各区人民政府，市政府各委、办、局：",
         "  现将《某市知识产权保护和运用规划》印发给你们，请认真贯彻执行。", "某市人民政府", "2022年3月1日", "- 1 -"],
        [header, "某市知识产权保护和运用规划", "一、总体要求", "  " + BODY_LINE, "加快建设知识产权强市，推动高质量发展，",
         "实现知识产权事业全面发展。", "二、重点任务", "  " + BODY_LINE, "- 2 -"],
        [header, "加强知识产权保护，完善行政执法和司法保护衔接机制，健全纠纷多元化解机制。", "某市人民政府办公室",
         "2022年3月5日", "- 3 -"],
    ]
    path = write(tmp_path, "plan.pdf", make_pdf(pages))
    text = load_source(path).text
    assert header not in text
    assert "某市人民政府\n2022年3月1日\n" in text and text.endswith("某市人民政府办公室\n2022年3月5日")
    plan = read_plan(path)
    assert (plan.document.title, plan.document.signed) == ("某市知识产权保护和运用规划", "2022-03-01")
    assert [h.label for h in plan.headings] == ["一、总体要求", "二、重点任务"]
    assert plan.clauses[-1].text.endswith("健全纠纷多元化解机制。")  # signature and date stay out of the body


def test_pdf_title_restated_under_its_running_header_is_read_once(tmp_path):
    from indexer.read import read_plan

    title = "某市知识产权保护和运用“十四五”规划"
    pages = [
        [title, "某市知识产权保护和运用", "“十四五”规划", "一、总体要求", "  " + BODY_LINE, "实现知识产权事业全面发展。", "1"],
        [title, "二、重点任务", "  加强知识产权保护，完善行政执法和司法保护衔接机制，健全纠纷多元化解机制。", "2"],
    ]
    path = write(tmp_path, "plan.pdf", make_pdf(pages))
    assert load_source(path).text.count("规划") == 1  # the header is dropped on page 1 too
    assert read_plan(path).document.title == title  # the title's two lines, joined


def test_pdf_running_header_that_repeats_the_title_keeps_the_title_and_preface(tmp_path):
    """The running header repeats the title on every page, page 1 too, above the title itself (芜湖 review:
    the title became the file name, the type was lost and the preface that opens the plan was in no
    clause): the title on page 1 is read once, the repeats are furniture."""
    from indexer.read import read_plan

    title = "某市综合交通运输“十五五”规划"
    preface = "交通运输是国民经济中基础性、先导性、战略性产业和重要的服务性行业，编制本规划。"
    pages = [
        [title, "— 1 —", title, "  " + BODY_LINE, preface, "第一章 发展基础", "  " + BODY_LINE, "实现交通事业全面发展。"],
        [title, "— 2 —", "第二章 总体要求", "  加强交通保护，完善行政执法和司法保护衔接机制，健全纠纷多元化解机制。"],
        [title, "— 3 —", "第三章 保障措施", "  加强组织领导，健全工作机制。"],
    ]
    path = write(tmp_path, "plan.pdf", make_pdf(pages))
    text = load_source(path).text
    assert text.count("规划") == 2 and text.startswith(title + "\n" + BODY_LINE)
    plan = read_plan(path)
    assert (plan.document.title, plan.document.doc_type) == (title, "规划")
    assert plan.clauses[0].section_path == () and plan.clauses[0].text.endswith(preface)


def test_pdf_title_set_on_two_lines_under_a_header_that_repeats_it_is_one_line(tmp_path):
    """Under the running header, page 1 sets the same title on two lines, its bracketed years last (武侯
    review): the title is one line, and the preface after it is not glued to it."""
    title = "某区文化旅游产业高质量发展三年行动计划（2026—2028年）"
    pages = [
        [title, "— 1 —", "某区文化旅游产业高质量发展三", "年行动计划（2026—2028年）", BODY_LINE, "制定本行动计划。"],
        [title, "— 2 —", "一、总体要求", "  加强组织领导，健全工作机制。"],
    ]
    text = load_source(write(tmp_path, "plan.pdf", make_pdf(pages))).text
    assert text.splitlines()[:2] == [title, BODY_LINE + "制定本行动计划。"]


def _row(top: float, *cells: tuple[float, str]) -> list[tuple[float, float, str]]:
    """A table row as a browser prints it: cell after cell on one line."""
    return [(x, top, text) for x, text in cells]


INDICATOR_COLUMNS = (72, 240, 300, 380, 460)  # 指标名称 单位 2025年 2030年 属性


def _indicator_row(top: float, *cells: str) -> list[tuple[float, float, str]]:
    return _row(top, *zip(INDICATOR_COLUMNS, cells, strict=True))


def test_pdf_indicator_table_rows_are_read_as_rows(tmp_path):
    """A text PDF's indicator table (芜湖 review): pypdf sets its cells apart by single spaces, so the
    caption ran into the header row (…主要指标指标名称 单位 2025年), rows ran into each other and the table
    gave no indicator; the header row printed again over the table's rest on page 2 sat among its rows.
    Each row is now a line of tab-separated cells, as every other reader gives them."""
    from indexer.read import read_plan

    header = ("指标名称", "单位", "2025年", "2030年", "属性")
    pages = [
        [(72, 72, "第一章 发展目标"), (72, 92, "到2030年，基本建成综合交通枢纽城市。"),
         (120, 112, "表1 某市综合交通运输发展主要指标"), *_indicator_row(132, *header),
         *_indicator_row(152, "铁路营业里程", "公里", "412", "520", "预期性"),
         *_indicator_row(172, "其中：高速铁路营业里程", "公里", "236", "330", "预期性"), (290, 800, "— 1 —")],
        [*_indicator_row(72, *header), *_indicator_row(92, "新能源公交车占比", "%", "96", "100", "约束性"),
         (72, 122, "第二章 保障措施"), (72, 142, "加强组织领导，健全工作机制。"), (290, 800, "— 2 —")],
    ]
    path = write(tmp_path, "plan.pdf", make_pdf(pages))
    lines = load_source(path).text.splitlines()
    assert lines[2:7] == [
        "表1 某市综合交通运输发展主要指标", "\t".join(header), "铁路营业里程\t公里\t412\t520\t预期性",
        "其中：高速铁路营业里程\t公里\t236\t330\t预期性", "新能源公交车占比\t%\t96\t100\t约束性",
    ]
    assert [(i.name, i.unit, i.baseline, i.target, i.target_year) for i in read_plan(path).indicators] == [
        ("铁路营业里程", "公里", "412", "520", "2030"),
        ("铁路营业里程（其中：高速铁路营业里程）", "公里", "236", "330", "2030"),
        ("新能源公交车占比", "%", "96", "100", "2030"),
    ]


def test_pdf_table_over_every_page_keeps_its_header_row_once(tmp_path):
    """A table that starts on a new page and prints its header row again on each page after: the header
    row at the top of most pages is no running header, it is read once, over all the rows."""
    from indexer.read import read_plan

    header = ("指标名称", "单位", "2025年", "2030年", "属性")
    names = ("铁路营业里程", "公路通车里程", "港口吞吐量")
    pages = [[(72, 72, "第一章 发展目标"), (72, 92, "到2030年，基本建成综合交通枢纽城市。"), (120, 112, "表1 主要指标")]] + [
        [*_indicator_row(72, *header), *_indicator_row(92, name, "公里", "1", "2", "预期性")] for name in names
    ]
    path = write(tmp_path, "plan.pdf", make_pdf(pages))
    assert load_source(path).text.count("指标名称") == 1
    assert [i.name for i in read_plan(path).indicators] == list(names)


def test_pdf_table_cells_that_wrap_stay_in_their_row(tmp_path):
    """An annex table whose cells wrap inside their cell and are centred in the row (武侯 review): 序 over
    号, 区文化广 over 电旅游局 were flattened into a paragraph, and 序 ran into the annex heading. Each row
    is one line, each cell whole, and the heading keeps to itself."""
    heading = "附件1：某区文化旅游重点项目清单（2026—2028年）"
    page = [
        (72, 72, heading),
        (72, 100, "序"), (72, 118, "号"), (110, 109, "项目名称"), (230, 109, "建设内容"), (350, 100, "总投资"),
        (344, 118, "（亿元）"), (430, 100, "建设年"), (442, 118, "限"), (500, 109, "责任单位"),
        (76, 154, "1"), (110, 145, "武侯祠—锦里三国文"), (110, 163, "化街区提升项目"), (230, 145, "街区风貌提升、沉"),
        (230, 163, "浸式剧场建设"), (355, 154, "12.5"), (430, 145, "2026—"), (430, 163, "2028"),
        (500, 145, "区文化广"), (500, 163, "电旅游局"),
        *_row(190, (76, "2"), (110, "锦江武侯段夜游项目"), (230, "滨水步道"), (355, "8.0"), (430, "2026—2027"),
              (500, "区公园城市局")),
    ]
    assert load_source(write(tmp_path, "plan.pdf", make_pdf([page]))).text.splitlines() == [
        heading,
        "序号\t项目名称\t建设内容\t总投资（亿元）\t建设年限\t责任单位",
        "1\t武侯祠—锦里三国文化街区提升项目\t街区风貌提升、沉浸式剧场建设\t12.5\t2026—2028\t区文化广电旅游局",
        "2\t锦江武侯段夜游项目\t滨水步道\t8.0\t2026—2027\t区公园城市局",
    ]


def test_pdf_prose_and_spaced_titles_are_no_table(tmp_path):
    """Text set apart on one line is a table row only with three cells or more, not all single
    characters: a spaced-out title (通  知) and a heading with its page number stay as pypdf reads them."""
    page = [(250, 72, "通"), (290, 72, "知"), (72, 100, "一、总体要求"), (400, 100, "3"),
            (200, 130, "目"), (240, 130, "录"), (280, 130, "表")]
    assert "\t" not in load_source(write(tmp_path, "plan.pdf", make_pdf([page]))).text


def test_pdf_prose_drawn_glyph_by_glyph_is_read_as_pypdf_reads_it(tmp_path):
    """A page printed by Chromium draws each glyph on its own, placed by a Td or by the glyph before, and
    changes font resource every few glyphs. pypdf hands its text visitor a matrix remembered at an
    earlier operator, a glyph or more off, and the first table reader took that for where a piece is:
    prose showed em-wide gaps (《…》印发给你们，请认真	组织实施	。) and became table rows (山西 plan printed
    to PDF: its title and 17 headings lost). Every line of prose is now exactly pypdf's line."""
    import io

    from pypdf import PdfReader

    from indexer.pdfcells import page_text

    lines = [
        "  现将《山西省“十四五”知识产权保护和运用规划》印发给你们，请认真组织实施。",
        "根据《“十四五”国家知识产权保护和运用规划》（国发〔2021〕20号）和《山西省国民经济和社会发展第十四个五年规划",
        "和2035年远景目标纲要》，编制本规划。到2025年，每万人口高价值发明专利拥有量达到3.5件。",
    ]
    data = make_pdf([lines], glyph_by_glyph=True)
    page = PdfReader(io.BytesIO(data)).pages[0]
    assert page_text(page) == page.extract_text()
    assert "\t" not in load_source(write(tmp_path, "plan.pdf", data)).text


def test_pdf_table_drawn_glyph_by_glyph_is_still_read_as_rows(tmp_path):
    """The same glyph-by-glyph drawing in a table: its cells are still set apart by tabs (pypdf's own
    spaces inside a cell stand)."""
    header = ("指标名称", "单位", "2025年", "2030年", "属性")
    rows = [header, ("铁路营业里程", "公里", "412", "520", "预期性"), ("新能源公交车占比", "%", "96", "100", "约束性")]
    page = [(72, 72, "表1 主要指标"), *(item for n, row in enumerate(rows) for item in _indicator_row(92 + 20 * n, *row))]
    text = load_source(write(tmp_path, "plan.pdf", make_pdf([page], glyph_by_glyph=True))).text
    assert [line.replace(" ", "").split("\t") for line in text.splitlines()] == [["表1主要指标"], *map(list, rows)]


def test_pdf_with_empty_user_password_is_read(tmp_path):
    data = encrypt_pdf(make_pdf([["只有所有者密码。"]]), "", owner_password="owner")
    assert load_source(write(tmp_path, "plan.pdf", data)).text == "只有所有者密码。"


def test_encrypted_pdf(tmp_path):
    data = encrypt_pdf(make_pdf([["机密内容。"]]), "secret")
    assert refused(write(tmp_path, "plan.pdf", data)) == "encrypted PDF (password protected)"


def test_aes_pdf_without_the_cryptography_package(tmp_path, monkeypatch):
    # pypdf raises DependencyError for AES when 'cryptography' is missing; simulate it on any PDF.
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    def no_aes(self, password):
        raise DependencyError("cryptography>=3.1 is required for AES algorithm")

    monkeypatch.setattr(PdfReader, "decrypt", no_aes)
    data = encrypt_pdf(make_pdf([["机密内容。"]]), "", owner_password="owner")
    reason = refused(write(tmp_path, "plan.pdf", data))
    assert reason == "AES-encrypted PDF; install the 'cryptography' package to read it"


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ("jbig2dec binary is not available.", "scanned pages compressed as JBIG2; install the 'jbig2dec' program to read them"),
        ("brotli is required for BrotliDecode. Install it with: pip install pypdf[brotli]",
         "a stream compressed with Brotli; install the 'brotli' package to read it"),
    ],
)
def test_a_missing_optional_piece_is_named(tmp_path, monkeypatch, message, reason):
    # pypdf raises DependencyError for several missing pieces; each file says which one it needs (a JBIG2
    # scan was reported as needing 'cryptography').
    from pypdf.errors import DependencyError

    import indexer.pdf

    def missing(where, pages, reader_pages):
        raise DependencyError(message)

    monkeypatch.setattr(indexer.pdf, "_ocr_blank_pages", missing)
    assert refused(write(tmp_path, "plan.pdf", make_pdf([["正文。"]]))) == reason


@pytest.mark.parametrize("cut", ["garbage", "truncated", "not a pdf"])
def test_corrupt_pdf(tmp_path, cut):
    whole = make_pdf(PDF_PAGES)
    data = {"garbage": b"%PDF-1.7\n\x93 garbage \x00 obj <<", "truncated": whole[: len(whole) // 2],
            "not a pdf": b"plain words in a .pdf"}[cut]
    assert refused(write(tmp_path, "plan.pdf", data)).startswith("corrupt or unreadable PDF")


def test_pdf_without_text_layer(tmp_path):
    path = write(tmp_path, "scan.pdf", make_pdf([[], []]))
    assert refused(path) == "no text layer and no readable text in its page images"


CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc")
SCANNED_LINES = [
    ["测试市知识产权保护规划", "一、总体要求", "（一）加强专利质押融资", "1.支持中小企业以专利权质押向银行申请贷款。",
     "（二）完善知识产权评估"],
    ["二、重点任务", "（一）完善知识产权评估和风险补偿机制。"],
]


def scanned_pdf(pages=SCANNED_LINES) -> bytes:
    """A PDF of page images only, as a scanner makes it (the text drawn in a CJK font)."""
    import io

    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(CJK_FONT), 28)
    images = []
    for lines in pages:
        image = Image.new("L", (1240, 1000), 255)
        draw = ImageDraw.Draw(image)
        for i, line in enumerate(lines):
            draw.text((80, 60 + i * 70), line, font=font, fill=0)
        images.append(image)
    out = io.BytesIO()
    images[0].save(out, format="PDF", save_all=True, append_images=images[1:], resolution=150)
    return out.getvalue()


def test_scanned_pdf_without_the_ocr_engine_says_so(tmp_path, monkeypatch):
    if not CJK_FONT.exists():
        pytest.skip("no CJK font to draw a scanned page (apt-get install fonts-noto-cjk)")
    from indexer import ocr

    monkeypatch.setattr(ocr, "available", lambda: False)
    path = write(tmp_path, "scan.pdf", scanned_pdf())
    assert refused(path) == "scanned PDF, and the OCR engine (rapidocr_onnxruntime) is not installed"


@pytest.mark.model
def test_scanned_pdf_is_read_with_ocr_keeping_heading_numbers(tmp_path):
    from indexer import ocr

    if not CJK_FONT.exists() or not ocr.available():
        pytest.skip("needs fonts-noto-cjk and rapidocr_onnxruntime")
    from indexer.read import read_plan

    path = write(tmp_path, "scan.pdf", scanned_pdf())
    plan = read_plan(path)
    # （一） at the start of a line is what the detector misses; the tree is built from exactly those numbers
    assert [h.label for h in plan.headings] == [
        "一、总体要求", "（一）加强专利质押融资", "1.支持中小企业以专利权质押向银行申请贷款",
        "（二）完善知识产权评估", "二、重点任务", "（一）完善知识产权评估和风险补偿机制",
    ]
    assert plan.document.title == "测试市知识产权保护规划"
    assert "以专利权质押向银行申请贷款" in plan.text


@pytest.mark.parametrize("number", ["3", "- 3 -", "— 3 —", "－３－", "第3页", "第 3 页 共 10 页", "共10页 第3页",
                                    "3/10", "Page 3 of 10"])
def test_page_number_lines_are_dropped(number):
    assert _clean_pdf_pages([f"正文。\n{number}", f"{number}\n下一页。"]) == "正文。\n下一页。"


def test_running_footer_with_page_numbers_is_dropped_on_every_page():
    pages = [f"{body}\n某市人民政府办公室 {n}/3" for n, body in enumerate(["甲段。", "乙段。", "丙段。"], 1)]
    assert _clean_pdf_pages(pages) == "甲段。\n乙段。\n丙段。"


def test_numbers_inside_the_page_are_kept():
    lines = ["甲。", "乙。", "丙。", "2025", "四、丁。", "戊。", "己。"]
    assert _clean_pdf_pages(["\n".join(lines)]) == "\n".join(lines)


def test_decimal_is_not_a_heading_and_latin_words_keep_their_space():
    assert _clean_pdf_pages(["全年完成投资\n1.5亿元，同比增长。"]) == "全年完成投资1.5亿元，同比增长。"
    assert _clean_pdf_pages(["The plan covers\nfive years."]) == "The plan covers five years."


def test_heading_forms_start_a_new_line():
    for heading in ["一、总则", "（二）目标", "(3)任务", "4. 保障", "5、措施", "第六章 附则", "第十二条 实施", "①试点"]:
        assert _clean_pdf_pages([f"上一行没有句号\n{heading}"]) == f"上一行没有句号\n{heading}"


# --- DOCX ------------------------------------------------------------------------------------------

def test_docx_paragraphs_and_tables_in_order(tmp_path):
    import docx

    document = docx.Document()
    document.add_heading("一、总体要求", level=1)
    document.add_paragraph("坚持以习近平新时代中国特色社会主义思想为指导。")
    table = document.add_table(rows=2, cols=3)
    for row, values in zip(table.rows, [("指标", "2020年", "2025年"), ("专利", "5件", "12件")], strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    merged = document.add_table(rows=1, cols=2)
    merged.cell(0, 0).merge(merged.cell(0, 1)).text = "合并单元格"
    document.add_paragraph("二、重点任务")
    path = tmp_path / "plan.docx"
    document.save(path)

    source = load_source(path)
    assert source.text == (
        "一、总体要求\n坚持以习近平新时代中国特色社会主义思想为指导。\n"
        "指标\t2020年\t2025年\n专利\t5件\t12件\n合并单元格\n二、重点任务"
    )
    assert (source.kind, source.encoding) == ("docx", "docx")


def test_a_docx_box_set_in_a_one_cell_table_keeps_its_lines(tmp_path):
    # a fifth review (stop 28): a 专栏 in a one-cell table became one line, 「专栏1 重点文旅消费场景 1.… 2.…」, and the
    # whole line its caption (and citation)
    import docx

    document = docx.Document()
    document.add_paragraph("一、主要任务")
    document.add_paragraph("推进文旅消费场景建设。")
    cell = document.add_table(rows=1, cols=1).cell(0, 0)
    cell.text = "专栏1 重点文旅消费场景"
    cell.add_paragraph("1.武侯祠—锦里三国文化街区：实施街区风貌提升。")
    cell.add_paragraph("2.望江楼—九眼桥滨水夜游带：建设滨水消费节点6个。")
    notes = document.add_table(rows=2, cols=3)  # a note row merged across a wider table stays one row
    for i, value in enumerate(("指标", "2025年", "2030年")):
        notes.cell(0, i).text = value
    merged = notes.cell(1, 0).merge(notes.cell(1, 2))
    merged.text = "注："
    merged.add_paragraph("1.绿色出行比例，指…")
    wide = document.add_table(rows=1, cols=2)  # a cell of a wider row still joins its paragraphs
    wide.cell(0, 0).text = "项目"
    wide.cell(0, 1).text = "区文化广电\n旅游局"
    path = tmp_path / "plan.docx"
    document.save(path)
    assert load_source(path).text.endswith(
        "专栏1 重点文旅消费场景\n1.武侯祠—锦里三国文化街区：实施街区风貌提升。\n2.望江楼—九眼桥滨水夜游带：建设滨水消费节点6个。\n"
        "指标\t2025年\t2030年\n注： 1.绿色出行比例，指…\n项目\t区文化广电 旅游局")


_NS = (
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:v="urn:schemas-microsoft-com:vml"'
    ' xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'
    ' xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"'
    ' xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"'
    ' xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
)


def _box_run(lines: list[str], form: str) -> str:
    """A run holding a text box: Word's older VML shape, or what Word 2010+ writes (a DrawingML shape in
    mc:Choice and the same box again in VML in mc:Fallback)."""
    content = "<w:txbxContent>" + "".join(f"<w:p><w:r><w:t>{line}</w:t></w:r></w:p>" for line in lines) + "</w:txbxContent>"
    vml = f'<w:pict><v:shape type="#_x0000_t202" style="width:400pt;height:80pt"><v:textbox>{content}</v:textbox></v:shape></w:pict>'
    if form == "vml":
        return f"<w:r {_NS}>{vml}</w:r>"
    drawing = (
        '<w:drawing><wp:anchor distT="0" distB="0" distL="0" distR="0" simplePos="0" relativeHeight="1" behindDoc="0"'
        ' locked="0" layoutInCell="1" allowOverlap="1"><wp:simplePos x="0" y="0"/><wp:positionH relativeFrom="column">'
        '<wp:posOffset>0</wp:posOffset></wp:positionH><wp:positionV relativeFrom="paragraph"><wp:posOffset>0</wp:posOffset>'
        '</wp:positionV><wp:extent cx="5000000" cy="1000000"/><wp:wrapTopAndBottom/><wp:docPr id="1" name="Text Box 1"/>'
        '<a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"><wps:wsp>'
        f'<wps:cNvSpPr txBox="1"/><wps:spPr/><wps:txbx>{content}</wps:txbx><wps:bodyPr/></wps:wsp></a:graphicData>'
        "</a:graphic></wp:anchor></w:drawing>"
    )
    return f'<w:r {_NS}><mc:AlternateContent><mc:Choice Requires="wps">{drawing}</mc:Choice><mc:Fallback>{vml}</mc:Fallback></mc:AlternateContent></w:r>'


@pytest.mark.parametrize("form", ["vml", "wps"])
def test_a_docx_text_box_is_read_once_where_it_stands(tmp_path, form):
    # a 专栏 set in a Word text box was dropped: the plan's box and its projects were in no clause (a review)
    import docx
    from docx.oxml import parse_xml

    from indexer.read import read_plan

    d = docx.Document()
    d.add_paragraph("某市交通规划")
    d.add_paragraph("一、主要任务")
    d.add_paragraph("推进铁路建设，完善公路网络。")
    anchor = d.add_paragraph("加快枢纽建设。")
    anchor._p.append(parse_xml(_box_run(["专栏1 重大工程", "1．铁路工程：北沿江高铁芜湖段。", "2．公路工程：芜合高速扩容。"], form)))
    d.add_paragraph("二、保障措施")
    d.add_paragraph("加强组织领导。")
    path = tmp_path / "plan.docx"
    d.save(path)
    assert load_source(path).text == (
        "某市交通规划\n一、主要任务\n推进铁路建设，完善公路网络。\n加快枢纽建设。\n"
        "专栏1 重大工程\n1．铁路工程：北沿江高铁芜湖段。\n2．公路工程：芜合高速扩容。\n二、保障措施\n加强组织领导。"
    )
    box = next(c for c in read_plan(path).clauses if c.label.startswith("专栏1"))
    assert box.section_path[0] == "一、主要任务" and "芜合高速扩容" in box.text


def _with_notes(d, kind: str, notes: dict[int, str]) -> None:
    """A footnotes or endnotes part (with Word's separator notes) holding ``notes`` by id."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    body = "".join(
        f'<w:{kind} w:id="{i}"><w:p><w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr><w:{kind}Ref/></w:r>'
        f'<w:r><w:t xml:space="preserve"> {text}</w:t></w:r></w:p></w:{kind}>' for i, text in notes.items()
    )
    blob = (f'<w:{kind}s {w}><w:{kind} w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:{kind}>'
            f'<w:{kind} w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r></w:p></w:{kind}>'
            f"{body}</w:{kind}s>").encode()
    content_type = f"application/vnd.openxmlformats-officedocument.wordprocessingml.{kind}s+xml"
    part = Part(PackURI(f"/word/{kind}s.xml"), content_type, blob, d.part.package)
    d.part.relate_to(part, RT.FOOTNOTES if kind == "footnote" else RT.ENDNOTES)


def _note_mark(paragraph, kind: str, note_id: int) -> None:
    from docx.oxml import parse_xml

    paragraph._p.append(parse_xml(
        f'<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:rPr><w:vertAlign w:val="superscript"/>'
        f'</w:rPr><w:{kind}Reference w:id="{note_id}"/></w:r>'
    ))


def test_docx_notes_follow_what_refers_to_them(tmp_path):
    # a footnote defining 绿色出行比例 was dropped: 「绿色出行比例是什么意思？」 found nothing (a review). A note
    # follows the paragraph (or the table) whose mark points to it, once, and its mark stays out of the words
    import docx

    from indexer.read import read_plan

    d = docx.Document()
    d.add_paragraph("某市交通规划")
    d.add_paragraph("一、发展目标")
    target = d.add_paragraph("到2030年，城市绿色出行比例")
    _note_mark(target, "footnote", 1)
    target.add_run("达到75%以上。")
    table = d.add_table(rows=2, cols=3)
    for row, values in zip(table.rows, [("指标", "2025年", "2030年"), ("公交分担率", "40", "50")], strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    _note_mark(table.cell(1, 0).paragraphs[0], "endnote", 1)
    again = d.add_paragraph("绿色出行比例")
    _note_mark(again, "footnote", 1)  # the same note referred to again: written once
    again.add_run("逐年提高。")
    d.add_paragraph("二、保障措施")
    d.add_paragraph("加强组织领导。")
    _with_notes(d, "footnote", {1: "绿色出行比例，指城市公共交通、自行车和步行出行量占城市居民出行总量的比例。"})
    _with_notes(d, "endnote", {1: "注：公交分担率按机动化出行计。"})
    path = tmp_path / "plan.docx"
    d.save(path)
    assert load_source(path).text == (
        "某市交通规划\n一、发展目标\n到2030年，城市绿色出行比例达到75%以上。\n"
        "注：绿色出行比例，指城市公共交通、自行车和步行出行量占城市居民出行总量的比例。\n"
        "指标\t2025年\t2030年\n公交分担率\t40\t50\n注：公交分担率按机动化出行计。\n绿色出行比例逐年提高。\n二、保障措施\n加强组织领导。"
    )
    plan = read_plan(path)
    section = next(c for c in plan.clauses if c.section_path == ("一、发展目标",) and c.kind == "clause")
    assert "指城市公共交通" in section.text and [h.label for h in plan.headings] == ["一、发展目标", "二、保障措施"]
    assert [i.name for i in plan.indicators if i.name.startswith("公交")] == ["公交分担率"]


@pytest.mark.parametrize("data", [b"PK\x03\x04 not really a zip", b"plain words in a .docx"])
def test_corrupt_docx(tmp_path, data):
    assert refused(write(tmp_path, "plan.docx", data)) == "corrupt or unreadable DOCX"


def test_old_word_doc_renamed_docx(tmp_path):
    path = write(tmp_path, "plan.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64)
    assert refused(path) == "old Word .doc format, not .docx; save it as .docx first"


# --- import cost -----------------------------------------------------------------------------------

def test_importing_does_not_load_pdf_or_docx_libraries():
    code = "import sys, indexer.load, indexer.textnorm; print(sorted({'pypdf', 'docx', 'opencc'} & set(sys.modules)))"
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    assert result.stdout.strip() == "[]"


@pytest.mark.model
def test_ocr_widens_a_line_to_the_bracket_number_the_detector_missed():
    from indexer import ocr

    if not CJK_FONT.exists() or not ocr.available():
        pytest.skip("needs fonts-noto-cjk and rapidocr_onnxruntime")
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(CJK_FONT), 28)
    image = Image.new("L", (1240, 400), 255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(["（一）加强专利质押融资", "（二）完善知识产权评估", "二、重点任务"]):
        draw.text((80, 60 + i * 70), line, font=font, fill=0)
    # the detector alone reads 加强专利质押融资 and 完善知识产权评估 here
    assert ocr.read_image(image) == ["（一）加强专利质押融资", "（二）完善知识产权评估", "二、重点任务"]


def test_pdf_running_header_of_cells_prose_in_columns_and_a_date_under_signing_bodies(tmp_path):
    # a fresh-eyes review of the PDF table reading (stop 28), each reproduced: a gazette's header of three
    # parts (公报 | 第12期 | 第N页) stayed in every page's text as a tab row; three blocks of prose side by side
    # became one row; a date under three signing bodies was glued into the last one
    from indexer.pdf import pdf_text

    body = ["为深入贯彻落实党中央国务院关于知识产权工作的决策部署，加快建设", "知识产权强省，推动经济高质量发展。各地各部门要切实加强组织领导。"]
    pages = []
    for n in range(1, 5):
        page = [(72, 40, "山西省人民政府公报"), (260, 40, "2021年第12期"), (480, 40, f"第{n}页")]
        page += [(72, 130, f"{'一二三四'[n - 1]}、第{n}部分要求")] + [(72, 160 + 20 * i, line) for i, line in enumerate(body)]
        pages.append(page)
    text, _ = pdf_text("gazette.pdf", make_pdf(pages, glyph_by_glyph=True))
    assert "公报" not in text and "一、第1部分要求" in text

    columns = [(72, 100, "一、加强保护。严格知识产权"), (260, 100, "二、促进运用。推动专利转化"), (448, 100, "三、优化服务。建设公共服务"),
               (72, 120, "保护，完善快速协同保护。"), (260, 120, "运用，培育高价值专利。"), (448, 120, "平台，便利企业办事。")]
    text, _ = pdf_text("columns.pdf", make_pdf([columns], glyph_by_glyph=True))
    assert not [line for line in text.split("\n") if "\t" in line and "、" in line.split("\t")[0][:2]], text

    signed = [(60, 100, "山西省发展和改革委员会"), (250, 100, "山西省财政厅"), (400, 100, "山西省知识产权局"),
              (420, 122, "2021年12月30日")]
    text, _ = pdf_text("signed.pdf", make_pdf([["加强组织领导，确保各项措施落到实处。"] + signed], glyph_by_glyph=True))
    assert "2021年12月30日" in text.split("\n"), text
