"""The app as a reader meets it (issue 12): cards that say why a clause matched in words, the question kept
in the URL, Chinese chrome, one indicator compared across regions and years, comparable clauses as links,
and the st.navigation layout (app_pages/) working from a fresh process. AppTest, no browser."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

st = pytest.importorskip("streamlit")

from .apphelpers import app, html, texts  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "中小企业怎么用专利去银行贷款？"
FINANCE_CLAUSE = "qinghai_ip-protection-and-use-plan-14th-fyp:4.3.3"
INTERNAL = re.compile(r"得分|语义第|关键词第|置信度|\d\.\d{4}")

pytestmark = pytest.mark.usefixtures("fresh_streamlit_cache")


def _outside_expanders(at) -> list[str]:
    inside = {id(c) for e in at.expander for c in e.caption}
    return [c.value for c in at.caption if id(c) not in inside]


def _ranking_details(at) -> list[str]:
    return [c.value for e in at.expander if e.label == "为什么排在这里" for c in e.caption]


# --- item 1: cards ------------------------------------------------------------------------------------


def test_cards_say_why_in_words_and_keep_the_numbers_one_click_away(env):
    at = app(q=QUESTION)
    assert not at.exception
    shown = " ".join(_outside_expanders(at)) + html(at)
    assert not INTERNAL.search(shown), INTERNAL.search(shown)  # no 得分 0.0212, 语义第 2 名, 置信度 …
    assert "关键词与语义均匹配：" in shown  # how it was found, and the words that matched
    details = _ranking_details(at)
    assert len(details) == 5 and all("综合得分" in d and "语义检索" in d for d in details)


def test_a_section_reference_reads_as_a_direct_hit(env):
    at = app(q="青海 四、(一)2.")
    assert not at.exception
    captions = " ".join(_outside_expanders(at))
    assert "章节直达" in captions and "10.0000" not in captions
    assert any("问题中的章节编号直接指向本条" in d for d in _ranking_details(at))


def test_the_answer_stands_on_its_citations_without_a_confidence(env):
    at = app(q=QUESTION)
    assert "〔青海省 规划 · 四（三）3〕" in html(at)
    assert any(c.startswith("引用：") for c in texts(at.caption))
    assert not any("置信度" in c for c in texts(at.caption))


def test_match_words_come_from_the_highlight():
    from retrieval.records import Highlight
    from ui.render import matched_words

    text = "支持专利质押融资，扩大专利质押规模。"
    assert matched_words(text, Highlight((), ((2, 4), (4, 8), (11, 13)))) == ["专利", "质押融资"]


# --- item 3: the question in the URL ------------------------------------------------------------------


def test_back_from_browse_returns_to_the_asked_question(env):
    at = app()
    at.text_input(key="q").input(QUESTION).run()
    assert at.query_params["q"] == QUESTION
    # 「在浏览页中打开」: the Browse page, whose run makes Streamlit forget the Ask box's value …
    at.switch_page("app_pages/browse.py")
    at.query_params.clear()
    at.query_params["clause"] = FINANCE_CLAUSE
    at.run()
    assert not at.exception and "q" not in at.session_state
    # … then the browser's Back button: the previous URL, /?q=…, on the Ask page
    at.switch_page("app_pages/ask.py")
    at.query_params.clear()
    at.query_params["q"] = QUESTION
    at.run()
    assert not at.exception
    assert at.text_input(key="q").value == QUESTION
    assert "#### 相关条款（10）" in html(at) and at.query_params["q"] == QUESTION


def test_clearing_the_box_is_not_undone_by_the_url(env):
    at = app(q=QUESTION)
    at.text_input(key="q").input("").run()
    assert at.text_input(key="q").value == "" and "q" not in at.query_params


# --- item 5: Chinese chrome ---------------------------------------------------------------------------


def test_every_page_has_its_own_tab_title():
    from ui.chrome import page_title

    assert page_title("问答检索") == "问答检索 · 规划条款检索"
    source = (ROOT / "app.py").read_text(encoding="utf-8")
    assert "st.set_page_config(page_title=page_title(page.title))" in source


def test_the_menu_of_streamlit_is_hidden():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["toolbarMode"] == "minimal"  # no Print / Record a screencast / Made with Streamlit


def test_filters_offer_no_select_all_and_no_typing_into_short_lists(env):
    at = app()
    from streamlit.proto.SelectWidgetFilterMode_pb2 import SelectWidgetFilterMode

    for key in ("ask-regions", "ask-levels", "ask-docs"):
        assert at.multiselect(key=key).proto.select_all == 0  # 0: never show 「Select all」
    for key in ("ask-regions", "ask-levels"):  # picked, not typed: no 「No results」
        assert at.multiselect(key=key).proto.filter_mode == SelectWidgetFilterMode.FILTER_MODE_NONE


def test_streamlit_words_have_chinese_replacements():
    from ui.chrome import CHROME_TEXT, chrome_script

    for word in ("Upload", "No results", "Select all", "Copy to clipboard", "Drag and drop files here"):
        assert re.search(r"[\u4e00-\u9fff]", CHROME_TEXT[word])
    script = chrome_script()
    assert "MutationObserver" in script and '"复制"' in script and "per file" in script


def test_library_shows_the_model_in_words_and_the_build_time_locally(env, fake_searcher):
    at = app("library")
    caption = next(c for c in texts(at.caption) if "个文件" in c)
    assert "fake:64" not in caption and "UTC" not in caption and "+00:00" not in caption
    assert "测试用的简易模型" in caption
    assert re.search(r"索引更新于 \d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d", caption)


def test_local_time_is_written_in_chinese():
    from ui.chrome import local_time

    assert re.fullmatch(r"2026年12月\d{1,2}日 \d\d:\d\d", local_time("2026-12-02T19:44:16+00:00"))
    assert local_time("") == "" and local_time("不是时间") == "不是时间"


# --- item 4: one indicator across regions and years ---------------------------------------------------


def _indicator_table():
    import pandas as pd

    rows = [
        ("青海省", "每万人口高价值发明专利拥有量", "件", "2020", "1.9", "2025", "3.5"),
        ("山西省", "每万人口 高价值发明专利拥有量", "件", "2020", "1.6", "2025", "2.9"),
        ("博尔塔拉蒙古自治州", "每万人口高价值发明专利拥有量", "件", "2020", "1.07", "2025", "1.5"),
        ("泰安市", "每万人口高价值发明专利拥有量", "件/万人", "2020", "2", "2025", "4"),
        ("青海省", "知识产权质押融资金额", "亿元", "2020", "——", "2025", "10"),
    ]
    cols = ["地区", "指标", "单位", "基期年", "基期值", "目标年", "目标值"]
    return pd.DataFrame([dict(zip(cols, r, strict=True)) for r in rows])


def test_one_indicator_is_compared_across_regions_and_years():
    from ui.indicators import indicator_chart, indicator_choices, indicator_points, numeric_rows

    numeric = numeric_rows(_indicator_table())
    choices = indicator_choices(numeric)
    key, name, regions = choices[0]
    assert (name, regions) == ("每万人口高价值发明专利拥有量", 4)  # spelled two ways, one indicator
    points, unit, other_units = indicator_points(numeric, key)
    assert unit == "件" and other_units == 1
    assert set(points["地区"]) == {"青海省", "山西省", "博尔塔拉蒙古自治州"}
    assert set(points["年份"]) == {"2020年基期", "2025年目标"}
    assert points[(points["地区"] == "山西省") & (points["年份"] == "2025年目标")]["数值"].item() == 2.9
    spec = indicator_chart(points, f"{name}（件）").to_dict()
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["bar", "text"]  # the value is written on each bar
    y = spec["layer"][0]["encoding"]["y"] if "encoding" in spec["layer"][0] else spec["encoding"]["y"]
    assert y["field"] == "地区" and y["axis"]["labelLimit"] == 0  # full region names


def test_targets_page_charts_the_picked_indicator_with_a_table(env):
    at = app("targets")
    assert not at.exception
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    assert "#### 一项指标的地区与年份对比" in html(at)
    compare = at.dataframe[1].value
    assert "博尔塔拉蒙古自治州" in list(compare.index) and "2025年目标" in compare.columns
    at.selectbox(key="tg-chart-name").set_value("知识产权质押融资金额").run()
    assert not at.exception and at.dataframe[1].value.loc["博尔塔拉蒙古自治州", "2025年目标"] == "7000"
    # 博州 and 青海 (written in traditional characters) state this one for different years: a year a region
    # does not state is an empty cell, not 「None」
    at.selectbox(key="tg-chart-name").set_value("每万人口高价值发明专利").run()  # the key: 拥有量 folded
    assert not at.exception and {"博尔塔拉蒙古自治州", "青海省"} <= set(at.dataframe[1].value.index)


def test_a_year_a_region_does_not_state_is_an_empty_cell():
    from ui.indicators import indicator_choices, indicator_points, year_table

    numeric = _indicator_rows([
        ("博尔塔拉蒙古自治州", "每万人口高价值发明专利拥有量", "件", "2020", "1.07", "2025", "1.5", "规划"),
        ("青海省", "每万人口高价值发明专利拥有量", "件", "", "", "2025", "1.25", "实施意见"),
    ])
    points, _, _ = indicator_points(numeric, indicator_choices(numeric)[0][0])
    table = year_table(points)  # what the page's grid is given: it draws a missing number as 「None」
    assert table.loc["青海省", "2020年基期"] == ""  # 青海 states no 2020 value
    assert table.loc["博尔塔拉蒙古自治州", "2020年基期"] == "1.07" and table.loc["青海省", "2025年目标"] == "1.25"
    assert not table.isna().any().any()


# --- item 7: comparable clauses -------------------------------------------------------------------------


def test_region_headings_show_the_level_only_where_it_adds_something():
    from ui.render import region_heading

    assert region_heading("山西省", "省") == "山西省"
    assert region_heading("博尔塔拉蒙古自治州", "自治州") == "博尔塔拉蒙古自治州"
    assert region_heading("全国", "全国") == "全国"
    assert region_heading("浦东新区", "区县") == "浦东新区\u3000区县"
    # a municipality's level is 省 in the data, but no reader calls 上海市 a 省
    assert region_heading("上海市", "省") == "上海市\u3000直辖市"
    assert region_heading("新疆维吾尔自治区", "省") == "新疆维吾尔自治区"


# --- item 10: the st.navigation layout ------------------------------------------------------------------


def test_pages_live_in_app_pages_and_no_private_api_is_used():
    assert not (ROOT / "pages").exists()  # Streamlit's legacy multipage mode is never switched on
    assert not (ROOT / "ui" / "shell.py").exists()
    for path in [ROOT / "app.py", *(ROOT / "app_pages").glob("*.py"), *(ROOT / "ui").glob("*.py")]:
        source = path.read_text(encoding="utf-8")
        assert "streamlit.runtime" not in source and "PagesManager" not in source, path


def test_a_deep_link_is_the_first_run_of_a_session(env):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.switch_page("app_pages/browse.py")
    at.query_params["clause"] = FINANCE_CLAUSE
    at.query_params["q"] = "专利 金融"
    at.run()
    assert not at.exception
    assert any("链接指向的条款" in c for c in texts(at.caption))
    assert '<mark class="hl-term">金融</mark>' in html(at)


def _first_run(port: int, page: str, query: str) -> tuple[str, str, bool]:
    """The first run of a new session, as a browser opening ``/<page>?<query>`` makes it: the run's end,
    the Markdown it drew, and whether Streamlit said the page was not found."""
    import time

    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.sync.client import connect

    drawn, not_found = [], False
    with connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"], max_size=None) as ws:
        msg = BackMsg()
        msg.rerun_script.query_string = query
        msg.rerun_script.page_name = page
        ws.send(msg.SerializeToString())
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            forward = ForwardMsg()
            forward.ParseFromString(ws.recv(timeout=60))
            kind = forward.WhichOneof("type")
            not_found |= kind == "page_not_found"
            if kind == "delta" and forward.delta.new_element.WhichOneof("type") == "markdown":
                drawn.append(forward.delta.new_element.markdown.body)
            if kind == "script_finished":
                status = ForwardMsg.ScriptFinishedStatus.Name(forward.script_finished)
                if status != "FINISHED_EARLY_FOR_RERUN":  # st.switch_page reruns at once
                    return status, "\n".join(drawn), not_found
    raise TimeoutError("the script did not finish")


@pytest.mark.slow
def test_deep_links_work_in_a_fresh_server_process(fake_index_dir, tmp_path):
    """`streamlit run serve.py`, and the first request of each new process is a deep link."""
    import os
    import subprocess
    import sys
    from urllib.parse import quote

    from .test_config import _free_port

    links = {
        "browse": (f"clause={quote(FINANCE_CLAUSE)}&q={quote('专利 金融')}", "链接指向的条款"),
        "ask": (f"q={quote(QUESTION)}", "#### 答复"),
        "": ("", "### 问答检索"),
    }
    env = {**os.environ, "PLANSEARCH_INDEX": str(fake_index_dir), "PLANSEARCH_DATA": str(ROOT / "data")}
    for page, (query, expected) in links.items():
        port = _free_port()
        cmd = [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true"]  # fmt: skip
        with (tmp_path / f"{page or 'root'}.log").open("w") as log:
            proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_healthy(port, proc)
            status, drawn, not_found = _first_run(port, page, query)
        finally:
            proc.terminate()
            proc.wait(timeout=20)
        assert status == "FINISHED_SUCCESSFULLY" and not not_found, (page, status)
        assert expected in drawn, (page, drawn[:500])


def _wait_healthy(port: int, proc) -> None:
    import time
    import urllib.request

    deadline = time.monotonic() + 60
    while True:
        assert proc.poll() is None, "streamlit exited"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            assert time.monotonic() < deadline, "streamlit did not answer"
            time.sleep(0.2)


def _indicator_rows(rows):
    """The Targets page's numeric rows of some (地区, 指标, 单位, 基期年, 基期值, 目标年, 目标值, 文件) tuples."""
    import pandas as pd

    from ui.indicators import numeric_rows

    cols = ["地区", "指标", "单位", "基期年", "基期值", "目标年", "目标值", "文件"]
    return numeric_rows(pd.DataFrame([dict(zip(cols, r, strict=True)) for r in rows]))


def test_two_documents_of_one_region_are_two_bars_not_one():
    from ui.indicators import indicator_choices, indicator_points

    numeric = _indicator_rows([
        ("青海省", "每万人口高价值发明专利拥有量", "件", "", "", "2025", "1.25", "实施意见"),
        ("青海省", "每万人口高价值发明专利拥有量", "件", "", "", "2025", "1.5", "规划"),
    ])
    key = indicator_choices(numeric)[0][0]
    points, _, _ = indicator_points(numeric, key)
    assert sorted(points["数值"]) == [1.25, 1.5]
    assert set(points["地区"]) == {"青海省 · 实施意见", "青海省 · 规划"}


def test_one_indicator_written_in_traditional_characters_is_the_same_indicator():
    # 青海's implementation opinion writes 每萬人口高價值發明專利擁有量: the chart of 博州's indicator left it out
    from ui.indicators import indicator_choices, indicator_points

    numeric = _indicator_rows([
        ("博尔塔拉蒙古自治州", "每万人口高价值发明专利拥有量", "件", "2020", "1.07", "2025", "1.5", "规划"),
        ("青海省", "每萬人口高價值發明專利擁有量", "件", "", "", "2025", "1.25", "实施意见"),
    ])
    assert len(indicator_choices(numeric)) == 1
    points, _, _ = indicator_points(numeric, indicator_choices(numeric)[0][0])
    assert {"博尔塔拉蒙古自治州", "青海省"} <= {p.split(" · ")[0] for p in points["地区"]}


def test_a_card_header_nests_title_marks_as_its_citation_does():
    # the header showed 《關于貫徹落實《知識產權強國建設綱要…》的實施意見》 while the copied citation has 〈〉
    from ui.render import header_html

    html = header_html("青海省", "关于贯彻落实《知识产权强国建设纲要》的实施意见", "一、总体要求")
    assert "《关于贯彻落实〈知识产权强国建设纲要〉的实施意见》" in html


def test_a_bound_or_estimate_is_charted_at_its_number_and_labelled_as_written():
    # 普陀 消防 writes ≤490 and ＞5, 崇明 ≥85％: the chart showed only their baselines, as if no target
    from ui.indicators import chart_number, indicator_choices, indicator_points, uncharted_values, year_table

    assert [chart_number(v) for v in ("≤490", "＞5", "≥85％", "95以上", "（86.4％）", "约3000", "——", "显著提升")] == [
        490, 5, 85, 95, 86.4, 3000, None, None]
    numeric = _indicator_rows([
        ("普陀区", "每百万人火灾事故发生率", "起", "2025", "500", "2030", "≤490", "规划"),
        ("崇明区", "每百万人火灾事故发生率", "起", "2020", "（520）", "2025", "显著下降", "规划"),
    ])
    points, _, _ = indicator_points(numeric, indicator_choices(numeric)[0][0])
    table = year_table(points)
    assert table.loc["普陀区", "2030年目标"] == "≤490" and table.loc["崇明区", "2020年基期"] == "（520）"
    assert uncharted_values(numeric) == 1  # 显著下降; an empty or 「——」 value is not counted


def test_the_targets_name_filter_finds_traditional_names(env):
    at = app("targets")
    at.text_input(key="tg-name").set_value("发明专利").run()
    assert not at.exception
    names = list(at.dataframe[0].value["指标"])
    assert any("發明專利" in n for n in names) and any("发明专利" in n for n in names)


def test_examples_fit_the_indexed_plans(tmp_path):
    # an index of water and AI plans offered four patent questions (a review)
    from ui.examples import examples_for

    class Plans:
        def __init__(self, words):
            self.words = words

        def term_weights(self):
            return {w: 1.0 for w in self.words}

    pool = (("怎么用专利贷款？", "专利"), ("节约用水有哪些要求？", "节水"), ("主要目标是什么？", ""))
    assert examples_for(Plans({"节水"}), tmp_path, pool, 4) == ["节约用水有哪些要求？", "主要目标是什么？"]
    assert examples_for(Plans({"专利", "节水"}), tmp_path, pool, 2) == ["怎么用专利贷款？", "节约用水有哪些要求？"]
    (tmp_path / "examples.txt").write_text("本市的碳达峰目标是什么？\n\n", encoding="utf-8")
    assert examples_for(Plans(set()), tmp_path, pool, 4) == ["本市的碳达峰目标是什么？"]  # the operator's own
    from indexer.read import scan_folder

    (tmp_path / "plan.txt").write_text("某市规划\n一、目标\n建成示范区。\n", encoding="utf-8")
    assert [p.name for p in scan_folder(tmp_path)[0]] == ["plan.txt"]  # the examples are not a plan


def test_an_item_shown_alone_carries_the_sentence_that_opens_its_list():
    # 宁波 第十六条（二）「以专利权质押的；」 read as a pledge-financing rule in Compare (a researcher review)
    from types import SimpleNamespace

    from retrieval.lists import list_lead
    from tests.test_unseen_shapes import read_text

    plan = read_text(
        "某市专利条例\n2012年1月1日\n第一章 总则\n第一条 专利权人应当标注专利标识。\n"
        "第二条 有下列情形之一的，应当提供专利权评价报告：\n（一）专利权人请求查处假冒专利的；\n"
        "（二）以专利权质押的；\n（三）其他情形。\n第三条 本条例自公布之日起施行。\n"
    )
    index = SimpleNamespace(document=lambda doc_id: SimpleNamespace(text=plan.text))
    by_label = {c.text[:6]: c for c in plan.clauses}
    assert list_lead(index, by_label["（二）以专利"]) == "第二条 有下列情形之一的，应当提供专利权评价报告："
    assert list_lead(index, by_label["第三条 本条"]) == ""  # an article after a list is not an item of it
    assert list_lead(index, by_label["第一条 专利"]) == ""


def test_the_comparison_summary_when_no_region_covers_the_topic():
    from ui.render import coverage_summary

    assert coverage_summary(13, 0, 4) == "13 个地区中，没有直接相关的条款；4 个仅部分词语相符，可能并非直接相关。"
    assert coverage_summary(13, 2, 1) == "13 个地区中，2 个有直接相关的条款，1 个仅部分相关（列在后面）。"


def test_an_indicator_named_without_its_count_word_is_the_same_indicator():
    # 泰安's 每万人口高价值发明专利 stood apart from 博州's and 青海's …拥有量 (a researcher review)
    from ui.indicators import indicator_choices, indicator_key

    assert indicator_key("每万人口高价值发明专利") == indicator_key("每萬人口高價值發明專利擁有量")
    assert indicator_key("专利授权量") != indicator_key("专利")  # 授权量 is a different count
    numeric = _indicator_rows([
        ("博尔塔拉蒙古自治州", "每万人口高价值发明专利拥有量", "件", "2020", "1.07", "2025", "1.5", "规划"),
        ("泰安市", "每万人口高价值发明专利", "件", "2020", "2.6", "2025", "3.6", "规划"),
    ])
    assert indicator_choices(numeric)[0][2] == 2


def test_the_targets_filter_finds_a_count_word():
    # typing 拥有量 found nothing once the comparison key left the count word out (a review)
    from ui.indicators import name_form

    assert name_form("拥有量") in name_form("每萬人口高價值發明專利擁有量")


def test_a_five_year_plans_value_is_charted_under_its_plan_not_as_a_years_stock():
    # a researcher review: 普陀's 「“十四五”现状」 新建绿地 90.87 (five years' building) charted as 2025's, beside
    # 2030's 35, read as a decline of the green land itself
    import pandas as pd

    from indexer.read import read_plan
    from ui.indicators import indicator_points, numeric_rows

    plan = read_plan(Path(__file__).resolve().parent.parent / "retrieval" / "eval" / "corpus-more"
                     / "shanghai-putuo_greening-cityscape-15th-fyp-2026.md")
    built = next(i for i in plan.indicators if i.name == "新建绿地")
    assert (built.baseline_period, built.target_period, built.baseline_year) == ("十四五", "十五五", "2025")
    clause = next(c for c in plan.clauses if c.kind == "indicator" and "新建绿地（万平方米）" in c.text)
    assert "“十四五”（2021—2025年）：90.87" in clause.text and "2025年" not in clause.text.replace("2021—2025年", "")
    row = {"地区": "普陀区", "指标": built.name, "单位": built.unit, "基期年": built.baseline_year, "基期值": built.baseline,
           "目标年": built.target_year, "目标值": built.target, "文件": "规划", "基期期间": built.baseline_period,
           "目标期间": built.target_period}
    numeric = numeric_rows(pd.DataFrame([row]))
    points, _, _ = indicator_points(numeric, numeric["指标键"].iloc[0])
    assert set(points["年份"]) == {"“十四五”基期（2021—2025）", "“十五五”目标（2026—2030）"}
    from ui.indicators import label_order

    assert label_order(["2030年目标", "“十五五”目标（2026—2030）", "2025年基期", "“十四五”基期（2021—2025）"]) == [
        "2025年基期", "“十四五”基期（2021—2025）", "2030年目标", "“十五五”目标（2026—2030）"]
