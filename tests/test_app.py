"""UI tests of the Streamlit app with AppTest (no browser): every page against the fake-embedder index.

Each test points PLANSEARCH_INDEX / PLANSEARCH_DATA at the session's fake index (or a private copy when
the test changes it) and starts from an empty st.cache_resource.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

st = pytest.importorskip("streamlit")

from retrieval.answer import ABSTAIN_MESSAGE  # noqa: E402
from ui import messages  # noqa: E402
from ui.export import NOT_COVERED, PARTLY_COVERED, compare_csv, compare_markdown, to_number  # noqa: E402
from ui.upload import (  # noqa: E402
    MAX_BYTES,
    UploadOutcome,
    check_upload,
    outcome_line,
    sanitize_filename,
    save_upload,
    save_uploads,
)

from .apphelpers import app, codes, html, texts, unlock  # noqa: E402


def finished(at):
    """Index updates run in the background (ui/jobs.py): wait for the build, then let the page pick it up."""
    from ui.jobs import build_job

    assert not build_job().wait(120).running
    if "_build_watch" in at.session_state:  # not shown yet (a build that ended before the page was drawn was)
        at.run()
    assert not at.exception, at.exception
    return at


ROOT = Path(__file__).resolve().parent.parent
QUESTION = "中小企业怎么用专利去银行贷款？"
FINANCE_CLAUSE = "qinghai_ip-protection-and-use-plan-14th-fyp:4.3.3"
GOOD_PLAN = """关于印发测试市知识产权保护规划的通知

测试市知识产权保护规划

一、总体要求
（一）指导思想
坚持创新驱动，强化知识产权保护。
二、重点任务
（一）加强专利质押融资
1.支持中小企业以专利权质押向银行申请贷款。（市市场监管局牵头，市财政局等按职责分工负责）
2.完善知识产权评估和风险补偿机制。
"""


pytestmark = pytest.mark.usefixtures("fresh_streamlit_cache")


# --- Ask ---------------------------------------------------------------------------------------------


def test_question_renders_answer_hits_citations_and_highlights(env):
    at = app()
    at.text_input(key="q").input(QUESTION).run()
    assert not at.exception
    page = html(at)
    assert "#### 答复" in page and 'class="answer-box"' in page
    assert "〔青海省 规划 · 四（三）3〕" in page  # the answer cites its clause in short form
    assert '<mark class="hl-sentence">' in page and '<mark class="hl-term">' in page
    assert "#### 相关条款（10）" in page
    assert at.query_params["q"] == QUESTION  # the URL follows the question: shareable
    assert any(c.startswith("《青海省“十四五”知识产权保护和运用规划》 四、重点任务") for c in codes(at))
    assert "《青海省“十四五”知识产权保护和运用规划》第四部分第（三）项第3条" in codes(at)  # and the official form
    assert len(at.page_link) == 5  # five cards first, every one links to its clause in the Browse page
    link = at.page_link[0].proto
    assert link.page == "browse" and f"clause={FINANCE_CLAUSE}".replace(":", "%3A") in link.query_string
    at.button(key="ask-more").click().run()  # the other five on demand
    assert len(at.page_link) == 10 and not at.exception


def test_question_from_url_and_example_button(env):
    at = app(q=QUESTION)
    assert at.text_input(key="q").value == QUESTION
    assert "<mark" in html(at)
    at = app()
    at.button(key="ex-地理标志保护有哪些措施？").click().run()
    assert not at.exception
    assert at.text_input(key="q").value == "地理标志保护有哪些措施？"
    assert "<mark" in html(at)


def test_empty_and_too_long_questions_get_friendly_messages(env):
    at = app()
    assert not at.warning and "输入问题后按回车" in " ".join(texts(at.caption))  # a fresh page is calm
    at.text_input(key="q").input("   ").run()
    assert not at.exception
    assert texts(at.warning) == [messages.EMPTY_QUERY]
    # the box takes as many characters as a question may have (it said 600 while 500 were allowed: a
    # researcher review, stop 28); a longer one, from a link's ?q=, gets the message
    from retrieval.query import MAX_QUERY_CHARS

    assert at.text_input(key="q").max_chars == MAX_QUERY_CHARS
    at = app(q="专利" * 260)
    assert not at.exception
    assert texts(at.warning) == [messages.QUERY_TOO_LONG]


def test_a_fresh_page_shows_how_results_are_cited_on_a_real_clause(env):
    at = app()
    assert not at.exception
    help_box = [e for e in at.expander if e.label == "如何引用检索结果"]
    assert len(help_box) == 1
    shown = codes(at)
    assert shown and shown[0].startswith("《") and "》" in shown[0]  # the heading-path form of a real clause
    assert any("第" in c for c in shown[1:])  # and the official form
    at.text_input(key="q").input("地理标志保护有哪些措施？").run()
    assert not [e for e in at.expander if e.label == "如何引用检索结果"]  # results carry their own


def test_uncovered_question_abstains_but_shows_closest_clauses(env):
    at = app()
    at.text_input(key="q").input("海洋渔业捕捞许可证怎么办理").run()
    assert ABSTAIN_MESSAGE in texts(at.info)
    assert "最接近的条款" in " ".join(texts(at.caption))
    assert "cite-head" in html(at)


def test_an_english_question_not_answered_names_the_words_not_matched(env, monkeypatch):
    from retrieval.answer import untranslated_note
    from retrieval.query import parse_query
    from retrieval.records import Answer

    english = parse_query("What is the budget for the drone hangar project?")
    note = untranslated_note(english, Answer(ABSTAIN_MESSAGE, True))
    assert "drone" in note and "hangar" in note and "budget" not in note  # budget: a glossary word (预算)
    assert untranslated_note(english, Answer("…", False, tentative=True)) == note
    assert untranslated_note(english, Answer("…", False)) == ""  # answered: nothing to say
    assert untranslated_note(parse_query("海洋渔业捕捞许可证怎么办理"), Answer(ABSTAIN_MESSAGE, True)) == ""
    import retrieval.answer

    monkeypatch.setattr(retrieval.answer, "answer", lambda searcher, pq, hits: Answer(ABSTAIN_MESSAGE, True))
    at = app()  # on the page, under the abstention
    at.text_input(key="q").input("What is the budget for the drone hangar project?").run()
    assert ABSTAIN_MESSAGE in texts(at.info)
    assert any("Not matched" in t and "hangar" in t for t in texts(at.caption))


def test_a_region_without_a_plan_is_said_on_the_page(env):
    from retrieval.answer import NO_PLAN_OF

    at = app()
    at.text_input(key="q").input("福建省对专利侵权纠纷有什么处理办法？").run()
    assert NO_PLAN_OF.format(region="福建省") in texts(at.info)
    assert "cite-head" in html(at)  # the closest clauses elsewhere are still listed


def test_filters_restrict_results(env):
    at = app()
    at.multiselect(key="ask-regions").set_value(["山西省"]).run()
    at.text_input(key="q").input(QUESTION).run()
    heads = [m.value for m in at.markdown if 'class="cite-head"' in m.value]
    assert heads and all("<b>山西省</b>" in h for h in heads)
    at.multiselect(key="ask-regions").set_value([]).run()
    at.selectbox(key="ask-department").set_value("省市场监管局").run()
    cards = [c for c in codes(at) if c.startswith("《")]
    assert cards and all("青海" in c or "山西" in c for c in cards)
    captions = " ".join(texts(at.caption))
    assert ("牵头：" in captions or "参与：" in captions) and "配合" not in captions  # one vocabulary, as in the CLI


def test_a_region_chosen_other_than_the_question_s_is_said_not_answered(env):
    # a researcher review (stop 28): 泰安市 chosen in the sidebar, 青海省 asked: a confident answer of 泰安's clauses
    at = app()
    at.multiselect(key="ask-regions").set_value(["泰安市"]).run()
    at.text_input(key="q").input("青海省知识产权质押融资有什么政策？").run()
    assert any(t.startswith("问题中提到的青海省不在所选的地区（泰安市）之内") for t in texts(at.info))
    assert 'class="answer-box"' not in html(at)


def test_filters_that_exclude_everything_say_so(env):
    at = app()
    at.multiselect(key="ask-levels").set_value(["市"]).run()
    at.multiselect(key="ask-regions").set_value(["青海省"]).run()
    at.text_input(key="q").input(QUESTION).run()
    assert not at.exception
    assert any("没有符合筛选条件" in i for i in texts(at.info))


def test_clause_deep_link_on_ask_page(env):
    at = app(clause=FINANCE_CLAUSE, q="专利贷款")
    page = html(at)
    assert "#### 链接的条款" in page and "3.深化知识产权" in page
    assert codes(at)[0].startswith(
        "《青海省“十四五”知识产权保护和运用规划》 四、重点任务 （三）促进知识产权高效益运用 3."
    )
    at = app(clause="no-such-doc:9.9")
    assert any("不在当前索引中" in w for w in texts(at.warning))


def test_context_and_comparable_clauses_open_on_demand(env):
    at = app(q=QUESTION)
    key = f"ctx-1-{FINANCE_CLAUSE}"
    assert at.session_state[key] is False
    assert '<div class="ctx-block' not in html(at)  # lazy: nothing computed while closed
    at.session_state[key] = True
    at.session_state[key.replace("ctx-", "sim-", 1)] = True
    at.run()
    assert not at.exception
    page = html(at)
    assert 'class="ctx-block ctx-current"' in page and "（三）促进知识产权高效益运用" in page
    assert page.count('class="ctx-block') >= 3  # the clause with its neighbours
    heads = [m.value for m in at.markdown if m.value.startswith("**")]
    for region in ("山西省", "泰安市", "博尔塔拉蒙古自治州"):  # every other region is listed …
        assert f"**{region}**" in heads  # … by its name alone: not 「山西省　省」
    assert not [h for h in heads if "muted" in h]
    # … and each comparable clause is a link that opens it in the Browse page
    links = [p.proto for p in at.page_link if p.proto.page == "browse" and "open_in_new" in p.proto.icon]
    others = [p for p in links if FINANCE_CLAUSE.replace(":", "%3A") not in p.query_string]
    assert len(others) >= 2 and all(p.query_string.startswith("clause=") for p in others)
    assert any("山西省" in p.label for p in others)
    # with the question, so the opened clause has its words marked (a researcher review, stop 28)
    assert all("&q=" in p.query_string for p in others), [p.query_string for p in others]


def test_sessions_share_the_loaded_index_but_not_their_state(env):
    first, second = app(), app()
    first.multiselect(key="ask-regions").set_value(["山西省"]).run()
    first.text_input(key="q").input(QUESTION).run()
    second.text_input(key="q").input("地理标志保护有哪些措施？").run()
    first_heads = [m.value for m in first.markdown if 'class="cite-head"' in m.value]
    second_heads = [m.value for m in second.markdown if 'class="cite-head"' in m.value]
    assert all("<b>山西省</b>" in h for h in first_heads)
    assert {h.split("</b>")[0] for h in second_heads} != {'<div class="cite-head"><b>山西省'}
    assert (
        second.text_input(key="q").value == "地理标志保护有哪些措施？" and first.text_input(key="q").value == QUESTION
    )


def test_engine_errors_become_friendly_messages(env, monkeypatch):
    from indexer.errors import ModelUnavailable
    from retrieval.search import Searcher

    def broken(*args, **kwargs):
        raise ModelUnavailable("cannot load bundled:e5-small (offline)")

    monkeypatch.setattr(Searcher, "open", classmethod(lambda cls, *a, **k: broken()))
    at = app()
    assert texts(at.warning) == [messages.MODEL_UNAVAILABLE]
    assert "offline" in " ".join(texts(at.caption))


# --- no index ------------------------------------------------------------------------------------------


def test_no_index_offers_an_editor_to_build_it(private_env, editor):
    data, index = private_env
    shutil.rmtree(index)
    at = app()
    assert texts(at.info) == [messages.NO_INDEX]
    assert not [b for b in at.button if b.key == "build-index"]  # a visitor is sent to unlock first
    assert at.get("page_link")[-1].proto.page == "library"
    unlock(at)
    assert at.button(key="build-index").label == "建立索引"
    at.button(key="build-index").click().run()
    assert not at.exception
    finished(at)
    assert any("已建立索引：5 个文件" in s for s in texts(at.success))
    assert (index / "manifest.json").exists()
    at.switch_page("app_pages/ask.py").run()
    at.text_input(key="q").input(QUESTION).run()
    assert "<mark" in html(at)


def test_no_index_and_no_password_tell_the_operator_what_to_run(private_env):
    shutil.rmtree(private_env[1])
    at = app()
    assert texts(at.info) == [messages.NO_INDEX]
    assert not [b for b in at.button if b.key == "build-index"]
    assert any("python -m indexer build" in c for c in texts(at.caption))


def test_damaged_index_offers_an_editor_to_rebuild(private_env, editor):
    _, index = private_env
    (index / "manifest.json").write_text("{not json", encoding="utf-8")
    at = app()
    assert texts(at.info) == [messages.INDEX_DAMAGED]
    assert not [b for b in at.button if b.key == "build-index"]
    unlock(at)
    assert at.button(key="build-index").label == "重新建立索引"
    for page in ("compare", "browse", "targets"):
        at.switch_page(f"app_pages/{page}.py").run()
        assert not at.exception and texts(at.info) == [messages.INDEX_DAMAGED]


def test_an_unreadable_index_offers_an_editor_a_forced_rebuild(private_env, editor, monkeypatch):
    from indexer.errors import IndexDamaged
    from ui import resources

    forced = []
    from ui import jobs

    real_open, real_build = resources.open_searcher, jobs.build_index

    def damaged_until_rebuilt():
        if not forced:
            raise IndexDamaged("the index at /srv/plansearch/index is damaged (checksum differs); rebuild it")
        return real_open()

    def build(data_dir, index_dir, *, force=False, **kwargs):
        forced.append(force)
        return real_build(data_dir, index_dir, force=force, **kwargs)

    monkeypatch.setattr(resources, "open_searcher", damaged_until_rebuilt)
    monkeypatch.setattr(jobs, "build_index", build)
    at = app()
    assert texts(at.info) == [messages.INDEX_DAMAGED]  # says the files are damaged, the plans are safe
    assert any("…/index is damaged" in c for c in texts(at.caption))  # the detail, without the server folder
    unlock(at)
    assert at.button(key="build-index").label == "重新建立索引"
    at.button(key="build-index").click().run()
    finished(at)
    assert not at.exception and forced == [True]  # rebuilt from the sources whatever state it is in
    assert len(at.dataframe[0].value) == 5


# --- Compare -------------------------------------------------------------------------------------------


def test_compare_shows_a_column_per_region_and_the_uncovered_one(env):
    at = app("compare")
    at.text_input(key="topic").input("植物新品种").run()
    assert not at.exception
    page = html(at)
    for region in ("青海省", "山西省", "泰安市", "博尔塔拉蒙古自治州"):
        assert f"**{region}**" in page
    assert NOT_COVERED in texts(at.caption)
    # 泰安's 品种登记 sentence shares 品种 with the topic but never says 新品种: not shown as covering it
    assert "4 个地区中，2 个有直接相关的条款。" in " ".join(texts(at.caption))
    assert "<mark" in page and any(c.startswith("《") for c in codes(at))
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["导出 CSV", "导出 Markdown"]
    # regions whose clauses share only some of the topic's words: shown after the others, as partly related
    at.text_input(key="topic").input("知识产权信用监管").run()
    page = html(at)
    assert "4 个地区中，2 个有直接相关的条款，2 个仅部分相关（列在后面）" in " ".join(texts(at.caption))
    assert PARTLY_COVERED in texts(at.caption) and page.index("**泰安市**") > page.index("**山西省**")


def test_compare_keeps_to_the_filtered_regions(env):
    # a researcher comparing only the provinces (a review: Compare had no filter)
    at = app("compare")
    at.multiselect(key="cmp-levels").set_value(["省"]).run()
    at.text_input(key="topic").input("知识产权质押融资").run()
    assert not at.exception
    page = html(at)
    assert "**青海省**" in page and "**山西省**" in page
    assert "**泰安市**" not in page and "博尔塔拉" not in page  # not listed as 未找到 either
    assert "2 个地区中" in " ".join(texts(at.caption))


def test_compare_shows_each_plan_of_a_region_by_default(env):
    at = app("compare")
    at.text_input(key="topic").input("知识产权质押融资").run()
    assert not at.exception
    assert at.slider(key="cmp-per-region").value == 2
    cited = codes(at)  # each shown clause's citation, 《document》 first
    # 青海 has a plan and an implementation opinion; both answer, and both are shown without a click
    assert any(c.startswith("《青海省“十四五”知识产权保护和运用规划》") for c in cited)
    assert any(c.startswith("《") and "實施意見》" in c for c in cited)


def test_compare_exports_carry_citations(fake_searcher):
    coverages = fake_searcher.compare("植物新品种", per_region=1)
    csv_text = compare_csv(coverages).decode("utf-8-sig")
    assert csv_text.splitlines()[0] == "地区,级别,排名,引用,简短引用,条款编号,条款,公文引用,简体引用,相关程度,所属列举"  # new columns go last
    assert "》第" in csv_text  # the official form, e.g. 《…》第四部分第（三）项第3条
    assert "博尔塔拉蒙古自治州,自治州,," + NOT_COVERED in csv_text
    assert "《青海省“十四五”知识产权保护和运用规划》" in csv_text
    md = compare_markdown("植物新品种", coverages)
    assert md.startswith("# 地区对比：植物新品种")
    assert "## 博尔塔拉蒙古自治州（自治州）\n\n" + NOT_COVERED in md
    assert "—— 《" in md
    coverages = fake_searcher.compare("知识产权信用监管", per_region=1)
    csv_text = compare_csv(coverages).decode("utf-8-sig")
    md = compare_markdown("知识产权信用监管", coverages)
    assert f"## 泰安市（市）\n\n*{PARTLY_COVERED}*" in md
    taian = next(line for line in csv_text.splitlines() if line.startswith("泰安市"))
    qinghai = next(line for line in csv_text.splitlines() if line.startswith("青海省"))
    assert taian.endswith(",部分相关,") and qinghai.endswith(",直接相关,")  # 所属列举 last, empty here


def test_each_compared_clause_carries_its_own_relatedness(fake_searcher):
    """A region that covers a topic may show a second clause that shares only a word with it: the CSV
    said 直接相关 for it, as for the region (a review's finding). Each row now says its own."""
    from dataclasses import replace

    from ui.export import compare_rows

    coverages = fake_searcher.compare("知识产权质押融资", per_region=2)
    two = next(c for c in coverages if len(c.hits) == 2 and not c.partial)
    assert len(two.partial_hits) == 2  # the judge of every shown clause is kept
    mixed = replace(two, partial_hits=(False, True))
    rows = [r for r in compare_rows([mixed]) if r["排名"]]
    assert [r["相关程度"] for r in rows] == ["直接相关", "部分相关"]
    md = compare_markdown("知识产权质押融资", [mixed])
    assert md.count(PARTLY_COVERED) == 1 and f"（{PARTLY_COVERED}）" in md


def test_the_markdown_export_writes_figures_as_the_plan_does():
    # pasted into a document as text, 2\.加强, 10\% and 17\.5万平方米\; differed from the source (a review)
    from ui.export import md_file

    for text in ("2.加强重点人群", "占比10%", "新建绿地17.5万平方米;", "2020年：/", "青海省 · 四（一）2"):
        assert md_file(text) == text
    # what Markdown would read as markup is still escaped: a link, a tag, a list or heading marker
    assert md_file("[下载](http://evil.example)") == "\\[下载\\](http\\://evil.example)"
    assert md_file("<b>x</b>") == "\\<b\\>x\\</b\\>"
    assert md_file("2. 加强") == "2\\. 加强" and md_file("# 标题") == "\\# 标题" and md_file("- 一项") == "\\- 一项"


def test_csv_cells_that_would_run_as_formulas_get_a_quote():
    from ui.export import safe_cell

    for cell in ('=HYPERLINK("http://x")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\r=1", " =1"):
        assert safe_cell(cell) == "'" + cell
    for cell in ("青海省", "1.5", "-5", "+3%", "", "a=b", "——"):
        assert safe_cell(cell) == cell  # text, and plain signed numbers, stay as they are
    assert safe_cell(None) == "" and safe_cell(7) == "7"


def test_every_csv_export_neutralises_formulas(fake_searcher):
    import csv
    import dataclasses

    from ui.export import table_csv

    cov = next(c for c in fake_searcher.compare("植物新品种", per_region=1) if c.hits)
    hit = cov.hits[0]
    evil_hit = dataclasses.replace(hit, clause=dataclasses.replace(hit.clause, text='=HYPERLINK("http://evil","x")'))
    evil = dataclasses.replace(cov, region="@SUM(1+1)", region_level="-1+1", hits=(evil_hit,))
    rows = list(csv.DictReader(compare_csv([evil]).decode("utf-8-sig").splitlines()))
    assert (rows[0]["地区"], rows[0]["级别"], rows[0]["条款"]) == (
        "'@SUM(1+1)",
        "'-1+1",
        '\'=HYPERLINK("http://evil","x")',
    )
    table = table_csv([{"指标": "=1+2", "目标值": "-5"}], ["指标", "目标值"]).decode("utf-8-sig")
    assert table.splitlines() == ["指标,目标值", "'=1+2,-5"]  # the Targets and Library exports use the same writer


def test_markdown_export_escapes_topic_and_document_text(fake_searcher):
    import dataclasses

    from markdown_it import MarkdownIt

    cov = next(c for c in fake_searcher.compare("植物新品种", per_region=1) if c.hits)
    hit = cov.hits[0]
    text = "支持[点此](http://evil.example)办理<script>alert(1)</script>\n第二行 <img src=x onerror=alert(2)>"
    evil_hit = dataclasses.replace(hit, clause=dataclasses.replace(hit.clause, text=text))
    evil = dataclasses.replace(cov, region="[区](http://evil.example)", hits=(evil_hit,))
    out = compare_markdown("<script>x</script>[主题](http://evil.example)", [evil])
    rendered = MarkdownIt("commonmark", {"html": True}).render(out)
    assert "<a " not in rendered and "<script" not in rendered and "<img" not in rendered
    assert "[点此](http://evil.example)办理" in rendered  # … the text itself is all there, as text


def test_compare_columns_show_the_answering_sentences_of_long_clauses(fake_searcher):
    from ui.render import excerpt_html

    clause = fake_searcher.index.clause(FINANCE_CLAUSE)
    out = excerpt_html(clause.text, "知识产权质押融资 银行", fake_searcher.term_weights(), short=60)
    # The excerpt is the answering sentences, so marking them would mark all of it: only words are marked
    assert '<mark class="hl-term">质押融资</mark>' in out and "…" in out and len(out) < len(clause.text) * 3
    assert '<mark class="hl-sentence">' not in out
    assert "…" not in excerpt_html("短条款。", "专利") and "短条款。" in excerpt_html("短条款。", "专利")


def test_compare_excerpt_leaves_out_what_lies_between_two_answering_sentences():
    from ui.render import excerpt_html

    middle = "加强生态环境保护，推进绿色低碳发展，完善城乡基础设施。" * 6
    text = f"推进专利质押融资。{middle}鼓励银行开展专利质押贷款。"
    out = excerpt_html(text, "专利质押", short=60)
    assert out.count("…") == 1 and "生态环境" not in out  # two pieces, not the whole clause from one to the other
    assert "推进" in out and "银行" in out and '<mark class="hl-term">' in out


# --- Browse --------------------------------------------------------------------------------------------


def test_browse_deep_link_opens_the_clause_highlighted(env):
    at = app()
    at.switch_page("app_pages/browse.py")
    at.query_params["clause"] = FINANCE_CLAUSE
    at.query_params["q"] = "专利 贷款 金融"
    at.run()
    assert not at.exception
    assert at.selectbox(key="browse-doc").value == "qinghai_ip-protection-and-use-plan-14th-fyp"
    assert at.radio(key="browse-item").value != "preamble"
    page = html(at)
    assert "**四、重点任务 > （三）促进知识产权高效益运用 > 3.深化知识产权金融服务**" in page
    assert 'ctx-current">' in page and '<mark class="hl-term">金融</mark>' in page
    assert any("链接指向的条款" in c for c in texts(at.caption))
    # the linked clause's official citation too, as on a result card (a staff review, stop 28)
    assert "《青海省“十四五”知识产权保护和运用规划》第四部分第（三）项第3条" in codes(at)


def test_browse_outline_selection_updates_the_link(env):
    at = app("browse")
    radio = at.radio(key="browse-item")
    assert radio.value == "preamble" and len(radio.options) > 10
    radio.set_value("h3").run()
    assert not at.exception
    assert at.query_params.get("clause")  # the URL names what is shown
    assert not any("链接指向的条款" in c for c in texts(at.caption))
    at.selectbox(key="browse-doc").set_value("taian_ip-protection-and-use-plan-14th-fyp").run()
    assert not at.exception
    assert "泰安" in " ".join(codes(at))


def test_browse_unknown_clause_link_warns(env):
    at = app()
    at.switch_page("app_pages/browse.py")
    at.query_params["clause"] = "gone:1.2"
    at.run()
    assert any("不在当前索引中" in w for w in texts(at.warning))


# --- Targets -------------------------------------------------------------------------------------------


def test_targets_table_and_chart(env, fake_searcher):
    at = app("targets")
    assert [b.label for b in at.get("download_button")] == ["导出 CSV"]  # our export, formulas neutralised
    table = at.dataframe[0].value
    assert len(table) == len(fake_searcher.index.indicators)
    assert list(table.columns[:8]) == ["地区", "指标", "单位", "基期年", "基期值", "目标年", "目标值", "属性"]
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    # plans that state their targets in sentences are there too (not only the regions with tables)
    assert set(table["地区"]) == {"青海省", "泰安市", "博尔塔拉蒙古自治州"}  # 山西's plan states no figure
    assert set(table["来源"]) == {"指标表", "正文"}
    at.text_input(key="tg-name").input("专利").run()
    assert all("专利" in name or "專利" in name for name in at.dataframe[0].value["指标"])  # either script


def test_only_plain_numbers_are_charted():
    assert to_number("1.5") == 1.5 and to_number("4078") == 4078 and to_number("60%") == 60
    assert to_number("——") is None and to_number("≥100") is None and to_number("") is None


# --- Library and uploads ------------------------------------------------------------------------------


def test_library_lists_documents_and_counts(env):
    at = app("library")
    table = at.dataframe[0].value
    assert len(table) == 5
    assert set(table["地区"]) == {"青海省", "山西省", "泰安市", "博尔塔拉蒙古自治州"}
    assert table["条款数"].sum() > 100
    assert set(table["来源"]) == {"文本"}  # none of them scanned (a scanned PDF shows 扫描件（文字识别 N 页）)
    assert "5 个文件" in " ".join(texts(at.caption))
    assert any("均已收录" in c for c in texts(at.caption))  # nothing skipped, and it says so
    assert [b.label for b in at.get("download_button")] == ["导出 CSV"]  # our export, formulas neutralised


def test_library_rescan_reports_skipped_files(private_env, editor):
    data, _ = private_env
    (data / "scan.pdf").write_bytes(b"%PDF-1.4 not really")
    at = unlock(app())
    at.button(key="rescan").click().run()
    finished(at)
    assert "已跳过 scan.pdf：PDF 文件已损坏或无法打开" in texts(at.warning)  # the build's report, in Chinese
    # it counts vectors as vectors (a clause's and its sentences'): 「新计算 2256 条」 beside 931 clauses confused
    assert any("条条款（语义向量新计算" in s for s in texts(at.success))
    assert any(w.startswith("scan.pdf：") for w in texts(at.warning))  # the manifest's list, after the rerun
    assert "##### 未能收录的文件" in html(at)


def test_library_lists_duplicates_once(private_env, editor):
    data, _ = private_env
    shutil.copy(data / "taian_ip-protection-and-use-plan-14th-fyp.txt", data / "泰安规划_副本.txt")
    at = unlock(app())
    at.button(key="rescan").click().run()
    finished(at)
    line = "泰安规划_副本.txt 与 taian_ip-protection-and-use-plan-14th-fyp.txt 内容相同，未重复收录"
    assert line in texts(at.info)  # the build's report, then the manifest's list after the rerun
    assert len(at.dataframe[0].value) == 5  # indexed once
    assert "##### 重复的文件（只收录一份）" in html(at)


def test_library_upload_good_and_bad_files(private_env, editor):
    data, index = private_env
    at = unlock(app())
    at.file_uploader(key="uploads").set_value(
        [
            ("测试市 规划.txt", GOOD_PLAN.encode("utf-8"), "text/plain"),
            ("broken.pdf", b"%PDF-1.4 garbage", "application/pdf"),
        ]
    ).run()
    at.button(key="upload-save").click().run()
    assert not at.exception
    finished(at)
    assert any("已保存 测试市_规划.txt" in s for s in texts(at.success))
    assert any("broken.pdf" in e and messages.UNREADABLE in e for e in texts(at.error))
    assert any("已建立索引：6 个文件" in s for s in texts(at.success))
    assert (data / "测试市_规划.txt").exists() and not (data / "broken.pdf").exists()
    assert len(at.dataframe[0].value) == 6  # the table shows the new index after the rerun
    at.switch_page("app_pages/ask.py").run()
    at.text_input(key="q").input("测试市 专利权质押 贷款").run()
    assert "测试市" in html(at)


def test_upload_names_are_sanitized():
    assert sanitize_filename("../../etc/passwd.txt") == "passwd.txt"
    assert sanitize_filename("C:\\Users\\x\\青海 规划（2021）.PDF") == "青海_规划_2021.pdf"
    assert sanitize_filename("..hidden.md") == "hidden.md"
    assert sanitize_filename(".txt") == "txt"  # a bare dot-name has no suffix: refused below
    assert sanitize_filename("README.md") == "README_plan.md"
    assert sanitize_filename("a<b>|c?.docx") == "a_b_c.docx"


def test_upload_checks_type_and_size():
    with pytest.raises(messages.UploadRefused, match="不支持的文件类型"):
        check_upload("plan.exe", b"MZ")
    with pytest.raises(messages.UploadRefused, match="不支持的文件类型"):
        check_upload(".txt", b"x")
    with pytest.raises(messages.UploadRefused, match="文件太大"):
        check_upload("big.txt", b"x" * (MAX_BYTES + 1))
    with pytest.raises(messages.UploadRefused, match="文件是空的"):
        check_upload("empty.txt", b"")
    assert check_upload("ok.TXT", b"x") == "ok.txt"


def test_an_upload_that_differs_only_in_its_extension_is_told_so(tmp_path):
    # plan.docx beside plan.pdf share a document id: the new file is saved as plan_2, and the page said
    # 「已有同名文件」 although no file had that name
    data = tmp_path / "data"
    save_upload("plan.txt", GOOD_PLAN.encode(), data)
    other_suffix = save_upload("plan.md", GOOD_PLAN.replace("风险", "隐患").encode(), data)
    assert (other_suffix.name, other_suffix.status, other_suffix.clash) == ("plan_2.md", "renamed", "plan.txt")
    line = outcome_line(UploadOutcome("plan.md", other_suffix))
    assert "只差扩展名" in line and "同名文件" not in line


def test_upload_conflicts_never_lose_a_file(tmp_path):
    data = tmp_path / "data"
    first = save_upload("plan.txt", GOOD_PLAN.encode(), data)
    assert (first.name, first.status) == ("plan.txt", "added")
    again = save_upload("copy.txt", GOOD_PLAN.encode(), data)
    assert (again.name, again.status) == ("plan.txt", "unchanged")
    other = GOOD_PLAN.replace("评估", "评价").encode()
    renamed = save_upload("plan.txt", other, data)
    assert (renamed.name, renamed.status) == ("plan_2.txt", "renamed")
    assert (data / "plan.txt").read_bytes() == GOOD_PLAN.encode()
    assert "已有同名文件 plan.txt" in outcome_line(UploadOutcome("plan.txt", renamed))
    with pytest.raises(messages.UploadRefused, match="已有 plan.txt，与新文件只差扩展名"):
        save_upload("plan.md", GOOD_PLAN.replace("风险", "损失").encode(), data, on_conflict="refuse")

    replaced = save_upload("plan.md", GOOD_PLAN.replace("风险", "损失").encode(), data, on_conflict="overwrite")
    assert (replaced.name, replaced.status) == ("plan.md", "replaced")
    assert sorted(p.name for p in data.iterdir() if not p.name.startswith(".")) == ["plan.md", "plan_2.txt"]
    # the file it replaced (other suffix, same document id) is withdrawn, not deleted; so is one of the same name
    again = save_upload("plan.md", GOOD_PLAN.replace("风险", "危险").encode(), data, on_conflict="overwrite")
    assert again.status == "replaced" and "移入 .withdrawn/" in outcome_line(UploadOutcome("plan.md", again))
    kept = {p.name.split("-", 2)[-1]: p.read_bytes() for p in (data / ".withdrawn").iterdir()}
    assert kept == {"plan.txt": GOOD_PLAN.encode(), "plan.md": GOOD_PLAN.replace("风险", "损失").encode()}


def test_an_overwrite_replaces_the_file_of_its_name_and_keeps_its_corrections(tmp_path):
    # the stop-26 review: with plan.md and plan.txt both in the folder (both are indexed now), overwriting
    # plan.md withdrew plan.txt and wrote over plan.md; a same-name overwrite took the plan's sidecar away;
    # a long name's sidecar could not be moved, and the plan was gone from the folder
    data = tmp_path / "data"
    data.mkdir()
    (data / "plan.txt").write_text(GOOD_PLAN, encoding="utf-8")
    (data / "plan.md").write_text(GOOD_PLAN.replace("风险", "隐患"), encoding="utf-8")
    (data / "plan.md.meta.json").write_text('{"region": "海南省"}', encoding="utf-8")
    new = GOOD_PLAN.replace("风险", "危险").encode()
    assert save_upload("plan.md", new, data, on_conflict="overwrite").status == "replaced"
    assert (data / "plan.txt").read_text(encoding="utf-8") == GOOD_PLAN and (data / "plan.md").read_bytes() == new
    assert (data / "plan.md.meta.json").exists()  # the corrections stay with the plan
    kept = sorted(p.name.split("-", 2)[-1] for p in (data / ".withdrawn").iterdir())
    assert kept == ["plan.md", "plan.md.meta.json"]
    long = "某某省" + "关于加快推进知识产权强省建设的实施意见" * 4 + ".txt"  # 76 characters, 228 bytes
    (data / long).write_text(GOOD_PLAN.replace("风险", "损失"), encoding="utf-8")
    (data / f"{long}.meta.json").write_text('{"region": "海南省"}', encoding="utf-8")
    assert save_upload(long, new + "。".encode(), data, on_conflict="overwrite").status == "replaced"
    assert (data / long).read_bytes() == new + "。".encode()
    assert sum(p.name.endswith(".txt") for p in (data / ".withdrawn").iterdir()) == 1


def test_unreadable_upload_is_not_saved(tmp_path):
    data = tmp_path / "data"
    out = save_uploads([("scan.pdf", b"%PDF-1.4\n%%EOF"), ("notes.txt", b"\x00\x01\x02" * 100)], data)
    assert [o.saved for o in out] == [None, None]
    assert all(messages.UNREADABLE in o.error for o in out)
    assert not data.exists() or not any(data.iterdir())


def test_every_error_has_a_chinese_message():
    from indexer.errors import (
        EmptyQuery,
        IndexDamaged,
        IndexMismatch,
        IndexNotFound,
        IndexWriteFailed,
        ModelUnavailable,
        PlanSearchError,
        QueryTooLong,
        UnreadableSource,
        UnsafePath,
    )

    assert messages.friendly(EmptyQuery("x")) == messages.EMPTY_QUERY
    assert messages.friendly(QueryTooLong("x")) == messages.QUERY_TOO_LONG
    assert messages.friendly(IndexNotFound("x")) == messages.NO_INDEX
    assert messages.friendly(IndexMismatch("x")) == messages.INDEX_MISMATCH
    assert messages.friendly(IndexDamaged("x")) == messages.INDEX_DAMAGED
    assert messages.friendly(IndexWriteFailed("x")) == messages.INDEX_WRITE_FAILED
    assert messages.friendly(UnsafePath("x")) == messages.UNSAFE_PATH
    assert messages.friendly(ModelUnavailable("x")) == messages.MODEL_UNAVAILABLE
    assert messages.friendly(UnreadableSource("a.pdf", "encrypted")) == f"{messages.UNREADABLE}：encrypted"
    assert messages.friendly(PlanSearchError("boom")).startswith(messages.GENERIC)


def test_a_tentative_answer_says_to_check_the_clauses(env, monkeypatch):
    import retrieval.answer as answer_module
    from retrieval.answer import TENTATIVE_NOTICE

    at = app()
    at.text_input(key="q").input(QUESTION).run()
    assert not at.exception and TENTATIVE_NOTICE not in texts(at.warning)
    monkeypatch.setattr(answer_module, "answerable", lambda searcher, pq, hits: (0.3, 0.1))
    at.text_input(key="q").input(QUESTION + " ").run()
    assert not at.exception and 'class="answer-box"' in html(at)  # still answered …
    assert TENTATIVE_NOTICE in texts(at.warning)  # … with the caution under it


def test_ask_card_and_deep_link_mark_the_same_sentences(env):
    """One highlight everywhere: the Browse deep link of a card marks what the card marked (item 3)."""
    import re

    marks = re.compile(r'<mark class="hl-(?:sentence|term)">([^<]*)')
    at = app()
    at.text_input(key="q").input(QUESTION).run()
    card = next(m.value for m in at.markdown if "风险补偿" in m.value and "clause-text" in m.value)
    link = at.page_link[0].proto
    assert f"clause={FINANCE_CLAUSE}".replace(":", "%3A") in link.query_string
    linked = app("browse", clause=FINANCE_CLAUSE, q=QUESTION)
    current = next(m.value for m in linked.markdown if "clause-text ctx-block ctx-current" in m.value)
    assert marks.findall(card) and marks.findall(card) == marks.findall(current)


def test_keyword_results_at_once_while_the_model_loads(env, monkeypatch):
    """Right after a start: the page answers from the keyword ranking without waiting for the model, and
    says so (issue 12 item 9)."""
    import ui.resources
    from indexer.embedding.embedder import FakeEmbedder

    def not_yet(self, text):
        raise AssertionError("the query model was asked while it is still loading")

    monkeypatch.setattr(ui.resources, "model_ready", lambda searcher: False)
    monkeypatch.setattr(FakeEmbedder, "embed_query", not_yet)
    answered = []
    monkeypatch.setattr(ui.resources.WarmUp, "question_answered", lambda self: answered.append(self.searcher))
    at = app(q=QUESTION)
    assert not at.exception, at.exception
    assert answered  # the model may start loading now that the keyword results are drawn
    assert any("语义模型正在加载" in i for i in texts(at.info))
    assert "#### 答复" not in html(at)  # no answer before the model can judge it
    assert any(c.startswith("《青海省") for c in codes(at))  # but the clauses are there


def test_a_link_to_a_section_now_read_as_run_in_leads_still_opens(env, fake_searcher):
    """A section (qinghai …:3.2) became …:3.2.l1, …:3.2.l2 … when sections of run-in leads became one clause each;
    a link made before that opens the section's first lead."""
    from ui.context import linked_clause_of

    index = fake_searcher.index
    sections = {c.clause_id.split(".l")[0] for c in index.clauses if c.kind == "lead"}
    gone = sorted(s for s in sections if index.clause(s) is None and index.clause(f"{s}#1") is None)
    assert gone  # e.g. qinghai …:3.2 基本原则, now …:3.2.l1 …
    section = gone[0]
    assert linked_clause_of(index, section).clause_id.startswith(f"{section}.l1")
    at = app("browse", clause=section)
    assert not at.exception and not any("不在当前索引中" in w for w in texts(at.warning))


def on_a_thread(step) -> None:
    """Run what the app runs on a thread of its own (the start-up, the warm-up) on one here too: it lowers
    its own thread's priority, which must never be the test session's."""
    import threading

    errors: list[BaseException] = []

    def run():
        try:
            step()
        except BaseException as err:  # noqa: BLE001 - raised again in the test's thread
            errors.append(err)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def test_warm_up_loads_the_keyword_path_before_the_model(monkeypatch):
    """After a start the keyword results answer first: the warm-up loads jieba and the query parser
    (a keyword search) before the model, then jieba's plain dict; a failing step does not stop the next."""
    import ui.resources
    from ui.resources import WarmUp

    calls = []
    monkeypatch.setattr(ui.resources, "complete_dictionary", lambda: calls.append("dictionary"))
    monkeypatch.setattr(ui.resources, "prepare_places", lambda: calls.append("places"))

    class Embedder:
        def embed_query(self, text):
            calls.append("model")

    class Searcher:
        embedder = Embedder()

        def search(self, text, k, mode):
            calls.append(mode)
            raise RuntimeError("the first question will say so")

    searcher = Searcher()
    on_a_thread(WarmUp(searcher, model_after=0).run)
    assert calls == ["lexical", "model", "dictionary", "places"]


def test_the_warm_up_runs_at_a_lower_priority_than_the_pages():
    """On two cores the warm-up (the model's load above all) yields the processor to the browser drawing
    the first page and to the pages' threads: its own thread runs at a higher nice value, no other does."""
    import os
    import sys
    import threading

    from ui.resources import BACKGROUND_NICE, in_background

    if not sys.platform.startswith("linux"):
        pytest.skip("per-thread priorities are Linux's")
    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    if before >= BACKGROUND_NICE:
        pytest.skip(f"the tests already run at nice {before}")
    seen = []

    def background():
        in_background()
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

    thread = threading.Thread(target=background)
    thread.start()
    thread.join()
    assert seen == [BACKGROUND_NICE]
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before  # the caller's thread unchanged


def test_the_model_loads_once_a_question_is_answered_or_after_a_while():
    """Reading the model's tokenizer holds the interpreter lock for a second or more, stalling every page:
    it waits until the first question right after a start has its keyword results (or a few seconds)."""
    import threading

    from ui.resources import WarmUp

    lexical, model = threading.Event(), threading.Event()

    class Searcher:
        class embedder:  # noqa: N801 - a stand-in attribute
            @staticmethod
            def embed_query(text):
                model.set()

        def search(self, text, k, mode):
            lexical.set()

    searcher = Searcher()
    warm = WarmUp(searcher, model_after=30)
    warm.start()
    warm.start()  # once only
    assert lexical.wait(5)
    assert not model.wait(0.5)  # nobody asked yet
    warm.question_answered()
    assert model.wait(5)

    model.clear()
    WarmUp(searcher, model_after=0.2).start()  # nobody asks: it loads anyway
    assert model.wait(5)


def test_a_replaced_searcher_is_not_kept_alive_by_its_warm_up():
    import gc
    import weakref

    from ui.resources import warm_up

    class Searcher:
        pass

    searcher = Searcher()
    assert warm_up(searcher) is warm_up(searcher)
    gone = weakref.ref(searcher)
    del searcher
    gc.collect()
    assert gone() is None


def test_a_page_opens_the_index_itself_when_the_start_could_not(env, monkeypatch):
    import ui.resources
    from retrieval.search import Searcher

    def broken():
        raise OSError("disk trouble at start")

    monkeypatch.setattr(ui.resources, "_AT_START", ui.resources._OpenedAtStart())  # a fresh server process
    ui.resources._open.clear()
    key = (str(ui.resources.config.index_dir()), ui.resources.read_manifest(ui.resources.config.index_dir()).fingerprint)
    ui.resources._AT_START.open(key, broken)
    assert isinstance(ui.resources.open_searcher(), Searcher)
    ui.resources._open.clear()


def test_a_start_that_comes_after_the_first_page_opens_nothing():
    """If the first page asked before the start-up thread got going, the page opened the index itself:
    the start-up must not open a second copy that nobody would ever take."""
    from ui.resources import _OpenedAtStart

    at_start = _OpenedAtStart()
    assert at_start.take(("index", "fp")) is None
    at_start.open(("index", "fp"), lambda: pytest.fail("opened a copy nobody takes"))


def test_the_server_opens_the_index_as_it_starts(env, monkeypatch):
    """serve.py's preload opens the index the first page then finds open (and never raises: without an
    index the first page explains)."""
    import ui.resources
    from retrieval.search import Searcher

    opened = []
    real_open = Searcher.open.__func__

    def counting_open(cls, *args, **kwargs):
        opened.append(args)
        return real_open(cls, *args, **kwargs)

    monkeypatch.setattr(Searcher, "open", classmethod(counting_open))
    monkeypatch.setattr(ui.resources, "_AT_START", ui.resources._OpenedAtStart())  # a fresh server process
    ui.resources._open.clear()
    on_a_thread(ui.resources.preload)
    assert len(opened) == 1
    ui.resources.open_searcher()  # what the first page does: the index is open already
    assert len(opened) == 1
    ui.resources._open.clear()


def test_preload_imports_what_the_first_page_imports():
    """The preload imports the modules app.py and the Ask page import, so the first page after a start
    does not spend its first second importing them."""
    import ast

    import ui.resources

    wanted = set()
    for script in (ROOT / "app.py", ROOT / "app_pages" / "ask.py"):
        for node in ast.walk(ast.parse(script.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in ("ui", "retrieval", "indexer"):
                wanted.add(node.module)
    covered = {"ui.resources", "indexer.errors", "ui.messages", "ui.safe"}  # imported by ui.resources itself
    assert wanted - covered == set(ui.resources.ASK_PAGE_IMPORTS)


def test_preload_without_an_index_only_logs(monkeypatch, tmp_path, caplog):
    import logging

    import ui.resources

    monkeypatch.setenv("PLANSEARCH_INDEX", str(tmp_path / "none"))
    ui.resources._open.clear()
    with caplog.at_level(logging.INFO, logger="ui.resources"):
        on_a_thread(ui.resources.preload)
    assert "index not opened at start: IndexNotFound" in caplog.text


# --- index updates in the background ---------------------------------------------------------------------


@pytest.fixture
def gated_build(monkeypatch):
    """The real build, held after its first progress report until the test opens the gate."""
    import threading

    from ui import jobs

    gate, reached = threading.Event(), threading.Event()
    real = jobs.build_index

    def build(data_dir, index_dir, *, progress, **kwargs):
        progress("embed", 3, 10)
        reached.set()
        assert gate.wait(60)
        return real(data_dir, index_dir, progress=progress, **kwargs)

    monkeypatch.setattr(jobs, "build_index", build)
    yield gate, reached
    gate.set()
    jobs.build_job().wait(120)


def _progress_texts(at) -> list[str]:
    return [e.proto.text for e in at.get("progress")]


def test_an_upload_updates_the_index_in_the_background(private_env, editor, gated_build):
    gate, reached = gated_build
    data, _ = private_env
    at = unlock(app())
    at.file_uploader(key="uploads").set_value([("测试市 规划.txt", GOOD_PLAN.encode("utf-8"), "text/plain")]).run()
    at.button(key="upload-save").click().run()  # returns while the index is being updated
    assert not at.exception and (data / "测试市_规划.txt").exists()
    assert reached.wait(30)
    at.run()
    assert "计算语义向量 3/10" in _progress_texts(at)  # the progress, polled by a fragment
    assert any("后台更新" in c for c in texts(at.caption))
    assert len(at.dataframe[0].value) == 5  # the index in place still serves the page
    # searches answer from the old index meanwhile (the new plan is not in it yet)
    at.switch_page("app_pages/ask.py").run()
    at.text_input(key="q").input(QUESTION).run()
    assert not at.exception and "<mark" in html(at)
    at.text_input(key="q").input("测试市 专利权质押 贷款").run()
    assert "测试市" not in html(at)
    gate.set()
    at.switch_page("app_pages/library.py").run()
    finished(at)
    assert any("已保存 测试市_规划.txt" in s for s in texts(at.success))  # the upload's lines, with the outcome
    assert any("已建立索引：6 个文件" in s for s in texts(at.success))
    assert len(at.dataframe[0].value) == 6 and not at.get("progress")
    at.switch_page("app_pages/ask.py").run()
    at.text_input(key="q").input("测试市 专利权质押 贷款").run()
    assert "测试市" in html(at)  # the new plan is searchable once the new index is swapped in


def test_a_failed_background_update_keeps_the_files_and_the_old_index(private_env, editor, monkeypatch):
    from indexer.errors import IndexWriteFailed
    from ui import jobs

    def full_disk(data_dir, index_dir, **kwargs):
        raise IndexWriteFailed(f"could not write the index at {index_dir} (No space left on device); unchanged")

    monkeypatch.setattr(jobs, "build_index", full_disk)
    data, _ = private_env
    at = unlock(app())
    at.file_uploader(key="uploads").set_value([("测试市 规划.txt", GOOD_PLAN.encode("utf-8"), "text/plain")]).run()
    at.button(key="upload-save").click().run()
    finished(at)
    errors = texts(at.error)
    assert any(e.startswith("索引更新失败：") and "已保存的文件仍在文件库中" in e for e in errors), errors
    assert not any("/index" in e for e in errors)  # no server folder on the page
    assert any("已保存 测试市_规划.txt" in s for s in texts(at.success))
    assert (data / "测试市_规划.txt").exists() and len(at.dataframe[0].value) == 5
    at.switch_page("app_pages/ask.py").run()
    at.text_input(key="q").input(QUESTION).run()
    assert not at.exception and "<mark" in html(at)


def test_a_second_request_during_a_build_runs_once_after_it(private_env, editor, gated_build):
    from ui.jobs import build_job

    gate, reached = gated_build
    data, _ = private_env
    at = unlock(app())
    at.button(key="rescan").click().run()
    assert reached.wait(30)
    (data / "测试市规划.txt").write_text(GOOD_PLAN, encoding="utf-8")  # dropped in while the first build runs
    at.button(key="rescan").click().run()
    assert build_job().state().queued
    at.run()
    assert any("之后将再更新一次" in c for c in texts(at.caption))
    first = build_job().state().job_id
    gate.set()
    finished(at)
    assert build_job().state().job_id == first + 1  # the queued build ran, once
    assert len(at.dataframe[0].value) == 6


def test_an_update_from_the_app_embeds_with_the_runtime_the_index_was_built_with(fake_index_dir, tmp_path, monkeypatch):
    """An index built with --runtime torch, updated from the app: another runtime would reuse no vector
    and embed the whole index again."""
    import json

    from ui.build import embedder_settings

    monkeypatch.delenv("PLANSEARCH_RUNTIME", raising=False)
    index = tmp_path / "index"
    shutil.copytree(fake_index_dir, index)
    manifest = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
    for recorded, expected in (("torch", "torch"), ("onnx-int8", "onnx")):
        (index / "manifest.json").write_text(json.dumps({**manifest, "runtime": recorded}), encoding="utf-8")
        assert embedder_settings(index).runtime == expected


def test_an_editor_takes_a_plan_out_of_the_library_and_nothing_is_deleted(private_env, editor):
    # operators could only delete a plan's file on the server (a review's finding); withdrawing keeps it
    from ui.upload import WITHDRAWN

    data, _ = private_env
    name = "taian_ip-protection-and-use-plan-14th-fyp.txt"
    original = (data / name).read_bytes()
    at = unlock(app())
    at.selectbox(key="withdraw-file").set_value(name).run()
    assert at.button(key="withdraw").proto.disabled  # not without the confirmation
    at.checkbox(key="withdraw-confirm").check().run()
    at.button(key="withdraw").click().run()
    finished(at)
    assert not (data / name).exists()
    kept = list((data / WITHDRAWN).glob(f"*-{name}"))
    assert len(kept) == 1 and kept[0].read_bytes() == original  # moved aside, byte for byte
    assert any(s.startswith(f"已将 {name} 移出文件库") for s in texts(at.success))
    from retrieval.search import Searcher

    searcher = Searcher.open(private_env[1])
    assert name not in {d.source for d in searcher.docs.values()}
    assert not any(w.startswith(".") or WITHDRAWN in w for w in texts(at.warning))  # no build warning for it


def test_withdrawing_refuses_what_is_not_a_plan_of_the_folder(tmp_path):
    from ui.upload import withdraw_plan

    (tmp_path / "plan.txt").write_text("x", encoding="utf-8")
    for name in ("../plan.txt", ".upload.lock", "missing.txt", ""):
        with pytest.raises(messages.UploadRefused):
            withdraw_plan(name, tmp_path)
    (tmp_path / "plan.txt.meta.json").write_text("{}", encoding="utf-8")
    kept = withdraw_plan("plan.txt", tmp_path)
    assert (tmp_path / ".withdrawn" / kept).read_text(encoding="utf-8") == "x"
    assert (tmp_path / ".withdrawn" / f"{kept}.meta.json").exists() and not (tmp_path / "plan.txt.meta.json").exists()


def test_files_of_one_title_are_pointed_out_to_the_operator():
    # a scan of part of an indexed plan was taken in as a second document with the same title, unremarked
    from indexer.records import Document
    from ui.upload import same_titled

    def doc(source, title, region="泰安市"):
        return Document(source.split(".")[0], source, "", title, region, "市", "山东省")

    docs = [doc("taian.txt", "泰安市“十四五”知识产权保护和运用规划"), doc("taian_scan.pdf", "泰安市“十四五”知识产权保护和运用规划"),
            doc("qinghai.txt", "青海省规划", "青海省"), doc("other.txt", "泰安市另一规划")]
    assert same_titled(docs) == [("泰安市“十四五”知识产权保护和运用规划", ["taian.txt", "taian_scan.pdf"])]
    assert same_titled(docs[2:]) == []


def test_a_figure_of_another_year_is_flagged_on_the_page(env):
    at = app()
    at.text_input(key="q").input("泰安市到2035年有效发明专利目标是多少件？").run()
    assert not at.exception, at.exception
    assert any("没有找到写明2035年数值的条款" in i for i in texts(at.info))
    assert "cite-head" in html(at)  # the closest clauses are still listed


def test_compare_with_a_department_lists_only_the_regions_whose_plans_name_it(env):
    # a researcher's review: 12 regions said 未找到 for 质押融资 under 人行西宁中心支行 though they cover it;
    # they only do not name that department
    at = app("compare")
    at.selectbox(key="cmp-department").set_value("人行西宁中心支行").run()
    at.text_input(key="topic").input("知识产权质押融资").run()
    assert not at.exception
    page = html(at)
    assert "**青海省**" in page and "**泰安市**" not in page and "**山西省**" not in page
    assert "1 个地区中" in " ".join(texts(at.caption))


def test_the_exports_carry_the_sentence_that_opens_a_listed_item(tmp_path):
    # a researcher's review: 宁波 第十六条（二）「以专利权质押的；」 was exported alone, reading as a financing policy
    import csv

    from indexer.build import build_index
    from indexer.embedding import EmbedderSettings, make_embedder
    from retrieval.search import Searcher

    data = tmp_path / "data"
    data.mkdir()
    (data / "ningbo.txt").write_text(
        "宁波市专利条例\n2012年1月1日\n第一条 为了促进专利工作，制定本条例。\n"
        "第二条 有下列情形之一的，专利权人应当向有关主管部门提供专利权有效证明：\n（一）以专利权出资的；\n（二）以专利权质押的；\n"
        "（三）转让专利权的。\n第三条 本条例自公布之日起施行。\n",
        encoding="utf-8",
    )
    build_index(data, tmp_path / "index", embedder=make_embedder(EmbedderSettings(model="fake:64")))
    s = Searcher.open(tmp_path / "index")
    coverages = s.compare("专利权质押")
    rows = list(csv.DictReader(compare_csv(coverages, s.index).decode("utf-8-sig").splitlines()))
    item = next(r for r in rows if r["条款"].startswith("（二）"))
    assert item["所属列举"].endswith("应当向有关主管部门提供专利权有效证明：")
    md = compare_markdown("专利权质押", coverages, s.index)
    assert md.index("提供专利权有效证明") < md.index("以专利权质押的")


def test_a_long_build_says_how_long_it_has_left():
    # an operator review: a 20 MB upload embedded for minutes with no word of how long
    from ui.build import remaining_text

    assert remaining_text(2.0, 10, 100) == ""  # the pace is not known yet
    assert remaining_text(30.0, 100, 1000) == "，预计还需约 4 分钟"  # 270 s at the pace so far
    assert remaining_text(10.0, 50, 100) == "，预计还需约 10 秒"
    assert remaining_text(10.0, 100, 100) == ""
    assert remaining_text(3600.0, 100, 1000) == "，预计还需约 9.0 小时"


def test_the_build_jobs_progress_text_carries_the_estimate(monkeypatch):
    from ui import jobs

    job = jobs.BuildJob()
    job._state = jobs.JobState(job_id=7, running=True)
    clock = iter([100.0, 130.0])
    monkeypatch.setattr(jobs.time, "monotonic", lambda: next(clock))
    report = job._progress(7)
    report("embed", 0, 1000)
    report("embed", 100, 1000)
    assert job.state().text == "计算语义向量 100/1000，预计还需约 4 分钟"


def test_the_chart_s_note_counts_the_charted_indicator_s_values_only():
    # a researcher review (stop 28): 「另有 1 个数值不是数字」 under an indicator whose values are all numbers
    # (the count was of the whole table)
    import pandas as pd

    from ui.indicators import chart_note, indicator_key

    table = pd.DataFrame({"指标": ["每万人口高价值发明专利拥有量", "知识产权保护社会满意度"],
                          "基期值": ["1.2", "80"], "目标值": ["2.5", "显著提升"]})
    assert chart_note(table, indicator_key("每万人口高价值发明专利拥有量"), 0) == ""
    assert "这项指标另有 1 个数值不是数字" in chart_note(table, indicator_key("知识产权保护社会满意度"), 0)
    assert chart_note(table, indicator_key("每万人口高价值发明专利拥有量"), 2).startswith("另有 2 项使用其他单位")
