"""Document text is shown, never obeyed: every page against an index whose plan has a hostile title,
region, level, issuer, document number, file name, headings and clause text (Markdown links, raw tags,
bare URLs, math and Streamlit directives), plus an unreadable file with a hostile name.

Each page's Markdown strings are rendered with a CommonMark renderer (raw HTML allowed where the page
allows it) and must hold no link, image, script or event handler, nor a bare URL that GitHub-flavoured
Markdown would link (tests/apphelpers.live_markup)."""

from __future__ import annotations

import csv
import shutil

import pytest

st = pytest.importorskip("streamlit")
pytest.importorskip("markdown_it")

from .apphelpers import ROOT, app, html, live_markup, unlock  # noqa: E402

LINK = "[官方下载](http://example.com/t)"
TAG = "<img src=x onerror=alert(1)>"
SOURCE = "evil[下载](javascript:alert(1))<img src=x onerror=alert(2)>.txt"
BAD_SOURCE = "bad[坏](http:example.com)<img src=x onerror=alert(3)>.pdf"
META = {
    "title": f"{LINK}{TAG}知识产权规划",
    "region": f"{TAG}[区](http://example.com/r)",
    "region_level": "<b>级</b>[级](http://example.com/l)",
    "issuer": f"[发文机关](http://example.com/i){TAG}",
    "doc_number": "*号*<script>alert(4)</script>:red[红]",
}
PLAN = f"""关于印发{LINK}规划的通知

{META["title"]}

一、总体要求[点此](http://example.com/h)
（一）指导思想
坚持创新驱动，强化专利质押融资保护。[链接](http://example.com/c) $x^2$ :red[红] www.example.com http://example.com/b
二、重点任务
（一）加强专利质押融资&lt;img src=x onerror=alert(5)&gt;
1.支持中小企业以专利权质押向银行申请贷款[贷款](http://example.com/d)。（市市场监管局牵头，市财政局等按职责分工负责）
2.完善知识产权质押融资评估和风险补偿机制 ![图](http://example.com/p.png)。
"""
QUESTION = "中小企业专利权质押向银行申请贷款"


pytestmark = pytest.mark.usefixtures("fresh_streamlit_cache")


def _hostile_data(folder):
    shutil.copytree(ROOT / "data", folder)
    (folder / SOURCE).write_text(PLAN, encoding="utf-8")
    (folder / BAD_SOURCE).write_bytes(b"%PDF-1.4 not really")
    with (folder / "catalog.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["source", *META])
        writer.writeheader()
        writer.writerow({"source": SOURCE, **META})
    return folder


@pytest.fixture(scope="module")
def hostile_index(tmp_path_factory):
    from indexer.build import build_index
    from indexer.embedding import EmbedderSettings, make_embedder

    root = tmp_path_factory.mktemp("hostile")
    data = _hostile_data(root / "data")
    index = root / "index"
    build_index(data, index, embedder=make_embedder(EmbedderSettings(model="fake:64")))
    return data, index


@pytest.fixture
def env(monkeypatch, hostile_index):
    data, index = hostile_index
    monkeypatch.setenv("PLANSEARCH_INDEX", str(index))
    monkeypatch.setenv("PLANSEARCH_DATA", str(data))
    return data, index


def _doc_id(at) -> str:
    return next(o for o in at.selectbox(key="browse-doc").options if "evil" in o or "官方下载" in o)


def test_the_fixture_really_carries_the_payloads(env):
    from indexer.store import load_index

    index = load_index(env[1])
    doc = next(d.document for d in index.documents if d.document.source == SOURCE)
    assert (doc.title, doc.region, doc.issuer) == (META["title"], META["region"], META["issuer"])
    assert any("[贷款](http://example.com/d)" in c.text for c in index.clauses)
    assert any(BAD_SOURCE == source for source, _ in index.manifest.skipped)


def test_ask_page_shows_hostile_text_as_text(env):
    at = app()
    at.text_input(key="q").input(QUESTION).run()
    assert "官方下载" in html(at)  # the hostile plan is among the results …
    assert live_markup(at) == []  # … and nothing of it became markup
    hostile = next(k for k in at.session_state if k.startswith("ctx-") and "evil" in k)
    at.session_state[hostile] = True
    at.session_state[hostile.replace("ctx-", "sim-", 1)] = True
    at.run()
    assert not at.exception and live_markup(at) == []


def test_ask_page_deep_link_and_region_filter(env):
    at = app(clause=f"{_hostile_clause(env)}", q="贷款")
    assert "官方下载" in html(at) and live_markup(at) == []
    at.multiselect(key="ask-regions").set_value([META["region"]]).run()
    at.text_input(key="q").input("专利质押融资").run()
    assert not at.exception and live_markup(at) == []


def _hostile_clause(env) -> str:
    from indexer.store import load_index

    return next(c.clause_id for c in load_index(env[1]).clauses if "example.com/d" in c.text)


def test_compare_page_shows_hostile_region_as_text(env):
    at = app("compare")
    at.text_input(key="topic").input("专利质押融资").run()
    assert not at.exception
    assert "[区](http://example.com/r)" in html(at)  # the region's column is there, as text
    assert live_markup(at) == []


def test_browse_page_shows_hostile_headings_and_facts_as_text(env):
    at = app("browse")
    at.selectbox(key="browse-doc").set_value(_doc_id(at)).run()
    # 一、…[点此](…)  （一）…&lt;img …&gt;  1.…[贷款](…): shown in bold above the clauses
    for key in ("h0", "h3", "h4"):
        at.radio(key="browse-item").set_value(key).run()
        assert not at.exception and live_markup(at) == [], key
    at = app()
    at.switch_page("app_pages/browse.py")
    at.query_params["clause"] = _hostile_clause(env)
    at.query_params["q"] = "贷款"
    at.run()
    assert not at.exception and "贷款" in html(at) and live_markup(at) == []


def test_targets_and_library_pages_show_hostile_text_as_text(env):
    at = app("targets")
    assert not at.exception and live_markup(at) == []
    at = app("library")
    assert any(BAD_SOURCE.split("[")[0] in w.value for w in at.warning)  # the skipped file, named
    assert live_markup(at) == []


def test_build_report_shows_hostile_file_names_as_text(monkeypatch, tmp_path, editor):
    data = _hostile_data(tmp_path / "data")
    monkeypatch.setenv("PLANSEARCH_INDEX", str(tmp_path / "index"))
    monkeypatch.setenv("PLANSEARCH_DATA", str(data))
    monkeypatch.setenv("PLANSEARCH_MODEL", "fake:64")
    at = unlock(app())
    at.button(key="build-index").click().run()
    assert not at.exception
    from ui.jobs import build_job

    assert not build_job().wait(120).running  # the build runs in the background
    if "_build_watch" in at.session_state:  # its outcome is not shown yet
        at.run()
    assert any("已跳过 bad" in w.value for w in at.warning)  # the build's own report, flashed
    assert live_markup(at) == []


def test_md_and_html_text_keep_text_as_text():
    from ui.safe import html_text, md

    from .apphelpers import shown

    hostile = f"{LINK}{TAG} $x$ :red[红] www.example.com 1. # * _ ` | ~ & \\"
    assert shown(md(hostile)) == hostile  # reads as written …
    assert md("a\n\nb\r\nc") == "a  b c" and md(None) == "" and md("青海省") == "青海省"
    assert html_text('<b a="1">\r\n\n&') == "&lt;b a=&quot;1&quot;&gt;<br><br>&amp;"


def test_every_reason_the_reader_gives_reads_in_chinese_on_the_page():
    """The reasons in indexer/ are English for the command line; the Library shows them in Chinese."""
    import re
    from pathlib import Path

    from ui.messages import reason_text

    root = Path(__file__).resolve().parent.parent / "indexer"
    literal = re.compile(r'UnreadableSource\(\s*[\w.()\[\]]+,\s*f?"([^"]+)"')
    reasons = {m.group(1) for path in root.glob("*.py") for m in literal.finditer(path.read_text(encoding="utf-8"))}
    reasons |= {"catalog has no 'source' column naming each plan's file; ignored", "metadata file is not text; ignored"}
    reasons |= {"metadata field '颁布机关' is not a plan field (title, region); ignored",  # metadata.checked_fields
                "metadata date signed '2021-13-45' is not a date (write 2021-03-05); ignored",
                "metadata date published '2021-13-45' is not a date (write 2021-03-05); ignored",
                "metadata region '火星省' is not a known region; applied as written, its level and province as read",
                "row 规划.docx: no such plan file in the folder; unused"}
    from indexer import pdf  # reasons made by a constant or a function, not written at the raise

    reasons |= {pdf.NO_TEXT} | {pdf._missing_piece(m) for m in ("jbig2dec binary is not available.", "brotli is required", "")}
    assert len(reasons) > 20
    assert reason_text("catalog has no 'source' column naming each plan's file; the last build's catalog (12 rows) "
                       "is applied until it is fixed") == "目录文件 catalog.csv 无法使用，暂沿用上次构建时的目录（12 行）；修正后重新构建即可"
    assert reason_text("same document id as 规划.docx") == "与 规划.docx 的文件名（不计扩展名）相同，未重复收录；请改名或移出其中一个"
    allowed = {"PDF", "DOCX", "TXT", "MD", "HTML", "UTF", "GB", "Big", "Word", "AES", "OCR", "cryptography", "doc",
               "docx", "catalog", "csv", "JBIG", "jbig", "dec", "Brotli", "brotli",
               # the catalog's column names, which the operator types
               "title", "region", "issuer", "number", "signed", "published", "type"}
    for reason in reasons:
        reason = re.sub(r"\{[^}]*\}", "规划.docx", reason)  # an f-string's field is data (a file's name)
        words = set(re.findall(r"[A-Za-z]+", reason_text(reason)))
        assert words <= allowed, (reason, reason_text(reason))


def test_catalog_and_sidecar_problems_are_not_called_skipped_files():
    # the stop-26 review: a catalog row's bad date was listed under 「未能收录的文件」 and as 「已跳过」, though
    # the plan was indexed
    from ui.messages import split_skipped

    skipped = [("plan.txt", "empty file"), ("catalog.csv", "row plan.txt: metadata date signed 'x' is not a date"),
               ("plan.txt.meta.json", "metadata file is not valid JSON (x); ignored"),
               ("catalog.csv", "catalog has no 'source' column naming each plan's file; ignored")]
    files, metadata = split_skipped(skipped)
    assert files == skipped[:1] and metadata == skipped[1:]
