"""名词解释 / 术语解释 lists and contents lists with page numbers stay out of the body; glossary terms are
clauses of their own kind, cited as 名词解释 + the term."""

from __future__ import annotations

from pathlib import Path

from indexer.clean import clean_text
from indexer.glossary import entry_term, head_label
from indexer.outline import outline_text
from indexer.read import read_plan
from retrieval.cite import cite
from tests.test_coverage import assert_tiles, body_pieces

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "plans" / "glossary_and_page_contents.txt"


def read_text(tmp_path, text: str):
    path = tmp_path / "plan.txt"
    path.write_text(text, encoding="utf-8")
    return read_plan(path)


def test_glossary_after_the_body_is_one_clause_per_term_and_out_of_the_numbering():
    plan = read_plan(FIXTURE)
    body = [c for c in plan.clauses if c.kind != "glossary"]
    # the numbered entries 1. 2. 3. of the glossary are not children of 三、保障措施
    assert [c.section_path for c in body] == [
        ("一、发展基础",),
        ("二、重点任务", "（一）加强知识产权保护", "1.健全保护体系"),
        ("二、重点任务", "（一）加强知识产权保护", "2.培育专利密集型产业"),
        ("三、保障措施",),
    ]
    assert body[-1].text == "三、保障措施\n加强组织领导，建立健全规划实施机制。"
    terms = [c for c in plan.clauses if c.kind == "glossary"]
    assert [(c.clause_id, c.section_path, c.label) for c in terms] == [
        ("glossary_and_page_contents:g1", ("名词解释", "高价值发明专利"), "高价值发明专利"),
        ("glossary_and_page_contents:g2", ("名词解释", "专利密集型产业"), "专利密集型产业"),
        ("glossary_and_page_contents:g3", ("名词解释", "地理标志"), "地理标志"),
    ]
    # a definition wrapped over two lines is one entry; the signature after the list is not in it
    assert terms[0].text.endswith("获得国家科学技术奖或中国专利奖的发明专利。")
    assert terms[-1].text.endswith("所决定的标志。")
    assert (plan.document.issuer, plan.document.signed) == ("某市人民政府", "2022-03-01")
    # the glossary is a top-level section of the outline, its terms listed under it
    assert [h.label for h in plan.headings if h.level == 1][-1] == "名词解释"
    assert "名词解释\n  「高价值发明专利」  [glossary]" in outline_text(plan)
    assert_tiles(plan.text, plan.document.body_span, body_pieces(plan))


def test_glossary_term_citations():
    plan = read_plan(FIXTURE)
    term = next(c for c in plan.clauses if c.kind == "glossary")
    c = cite(term, plan.document)
    assert c.canonical == "《某市知识产权保护和运用规划》 名词解释 高价值发明专利"
    assert c.official == "《某市知识产权保护和运用规划》名词解释之“高价值发明专利”"
    assert c.short == "某市知识产权保护和运用规划 · 名词解释「高价值发明专利」"
    assert c.section == "名词解释 > 高价值发明专利"


def test_contents_with_page_numbers_is_not_the_body():
    plan = read_plan(FIXTURE)
    assert plan.document.title == "某市知识产权保护和运用规划"
    assert not [c for c in plan.clauses if c.kind == "preamble"]  # the contents list was the preamble
    assert "目" not in plan.text.split("\n")[1] and "\t11" not in plan.text
    spaced = "规划\n目录\n一、发展基础 1\n二、重点任务 3\n三、保障措施 9\n一、发展基础\n正文。\n"
    assert clean_text(spaced) == "规划\n一、发展基础\n正文。\n"
    # a list of figures ending in numbers is not a contents list when the numbers go down or run short
    kept = "一、专利 30\n二、商标 12\n三、版权 5\n"
    assert clean_text(kept) == kept
    assert clean_text("一、发展基础 1\n二、重点任务 3\n") == "一、发展基础 1\n二、重点任务 3\n"


def test_glossary_before_an_annex_stays_out_of_the_last_section(tmp_path):
    plan = read_text(
        tmp_path,
        "某县节水行动方案\n一、总体要求\n节约用水。\n二、重点任务\n推进节水改造。\n"
        "名词解释\n本方案中下列用语的含义：\n【再生水】指污水经处理后达到一定水质标准的水。\n"
        "非常规水源——指区别于地表水、地下水的水源。\n附件1：主要指标\n万元GDP用水量下降15%。\n",
    )
    assert next(c for c in plan.clauses if c.section_path == ("二、重点任务",)).text == "二、重点任务\n推进节水改造。"
    terms = {c.label: c.text for c in plan.clauses if c.kind == "glossary"}
    assert terms == {
        "再生水": "【再生水】指污水经处理后达到一定水质标准的水。",
        "非常规水源": "非常规水源——指区别于地表水、地下水的水源。",
    }
    assert [h.label for h in plan.headings if h.level == 1] == [
        "一、总体要求",
        "二、重点任务",
        "名词解释",
        "附件1：主要指标",
    ]
    assert_tiles(plan.text, plan.document.body_span, body_pieces(plan))


def test_glossary_heads_and_entries():
    assert [head_label(x) for x in ("名词解释", "附：名词解释", "附件3：术语解释", "名词解释：", "名詞解釋")] == [
        "名词解释",
        "名词解释",
        "附件3：术语解释",
        "名词解释",
        "名詞解釋",
    ]
    assert head_label("加强名词解释工作") is None
    assert entry_term("1.高价值发明专利：指……") == "高价值发明专利"
    assert entry_term("（2）数据要素，是指……") == "数据要素"
    assert entry_term("加强保护，完善机制。") is None


def test_a_glossary_word_with_no_terms_under_it_stays_in_the_body(tmp_path):
    plan = read_text(tmp_path, "某市规划\n一、总体要求\n名词解释\n本规划所用名词以国家标准为准，不另作解释。\n")
    assert [c.kind for c in plan.clauses] == ["clause"]
    assert plan.clauses[0].text.endswith("不另作解释。")


def test_an_appendix_line_and_a_qualified_head_open_the_glossary(tmp_path):
    # 「附录」 alone, then 「主要名词解释」: both had been left at the end of the body's last clause
    plan = read_text(tmp_path, "某市水务发展规划\n一、总体要求\n坚持节水优先。\n二、保障措施\n加强组织领导。\n附录\n主要名词解释\n"
                               "海绵城市：充分发挥生态系统对雨水的吸纳作用。\n河长制：由各级党政主要负责人担任河长。\n")
    last = next(c for c in plan.clauses if c.section_path == ("二、保障措施",))
    assert last.text.endswith("加强组织领导。")
    assert [c.section_path for c in plan.clauses if c.kind == "glossary"] == [("名词解释", "海绵城市"), ("名词解释", "河长制")]
    assert head_label("主要名词解释") == "名词解释" and head_label("主要任务") is None
