"""Division-of-labour tables (重点任务分工表): many 行动方案 and 实施方案 name who does what only there. Each
row is a clause of its own with the departments of its cells, and the body's item of the same task
takes them (stop 25: such a table had been one clause naming nobody, and so had every item)."""

from __future__ import annotations

import pytest

from indexer.division import find_rows, task_key
from tests.test_retrieval import _answer_on_one_plan
from tests.test_unseen_shapes import read_text

BODY = (
    "某某市推进知识产权质押融资行动方案\n\n为拓宽科技型中小企业融资渠道，制定本方案。\n\n一、主要任务\n\n"
    "（一）扩大质押融资规模。鼓励银行开发知识产权质押贷款产品，到2027年登记金额达到50亿元。\n\n"
    "（二）完善风险补偿机制。设立风险补偿资金池，对合作银行的不良贷款给予补偿。\n\n"
    "（三）健全评估服务体系。培育评估机构，建立评估机构名录。（市司法局负责）\n\n"
    "二、保障措施\n\n各部门按照分工抓好落实。\n\n附件\n\n重点任务分工表\n\n"
)
PIPE_TABLE = (
    "| 序号 | 重点任务 | 牵头单位 | 配合单位 | 完成时限 |\n|---|---|---|---|---|\n"
    "| 1 | 扩大质押融资规模 | 市金融办 | 市市场监管局、人民银行某某中心支行 | 2027年底 |\n"
    "| 2 | 完善风险补偿机制 | 市财政局 | 市市场监管局 | 2026年6月 |\n"
    "| 3 | 健全评估服务体系 | 市市场监管局 | 市商务局 | 持续推进 |\n"
)


def by_path(plan):
    return {c.section_path: c for c in plan.clauses}


def test_each_row_is_a_clause_with_its_departments_and_the_items_take_them():
    plan = read_text(BODY + PIPE_TABLE, "plan.md")
    clauses = by_path(plan)
    row = clauses[("附件1：重点任务分工表", "完善风险补偿机制")]
    assert row.kind == "lead" and "市财政局" in row.text
    assert row.departments.lead == ("市财政局",) and row.departments.support == ("市市场监管局",)
    item = clauses[("一、主要任务", "（一）扩大质押融资规模")]
    assert item.departments.lead == ("市金融办",)
    assert item.departments.support == ("市市场监管局", "人民银行某某中心支行")
    # an item that names its own department keeps it: the text is the first authority
    own = clauses[("一、主要任务", "（三）健全评估服务体系")]
    assert own.departments.lead == ("市司法局",) and not own.departments.support
    # the table's caption and header stay one clause, and the clauses still tile the text
    assert "序号" in clauses[("附件1：重点任务分工表",)].text
    spans = sorted(c.span for c in plan.clauses if c.kind != "indicator")
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))


def test_a_table_flattened_one_cell_per_line_with_a_responsible_column_reads_the_same():
    # 责任单位 alone: the first named leads; one marked （牵头） leads wherever it stands
    cells = [
        "序号", "重点任务", "具体措施", "责任单位", "完成时限",
        "1", "推进农村厕所革命", "新改建户厕2000座", "县农业农村局、县卫生健康委", "2026年",
        "2", "加快生活污水治理", "建设污水处理站10座", "县住房城乡建设局、县生态环境局（牵头）", "2027年",
    ]
    plan = read_text(
        "某县农村人居环境整治实施方案\n\n一、重点任务\n\n（一）推进农村厕所革命。卫生厕所普及率达到95%。\n\n"
        "（二）加快生活污水治理。建设污水处理设施。\n\n附件\n\n重点任务分工表\n\n" + "\n".join(cells) + "\n"
    )
    clauses = by_path(plan)
    row = clauses[("附件1：重点任务分工表", "推进农村厕所革命")]  # cited by its task, a short name
    assert row.departments.lead == ("县农业农村局",) and row.departments.support == ("县卫生健康委",)
    item = clauses[("一、重点任务", "（二）加快生活污水治理")]
    assert item.departments.lead == ("县生态环境局",) and item.departments.support == ("县住房城乡建设局",)


def test_a_task_two_sections_could_be_is_given_to_neither():
    plan = read_text(
        "某市行动方案\n\n一、城区\n\n（一）加强组织领导。建立工作专班。\n\n二、园区\n\n（一）加强组织领导。明确责任。\n\n"
        "附件\n\n分工表\n\n序号\t工作任务\t牵头单位\n1\t加强组织领导\t市政府办公室\n2\t强化督查考核\t市督查室\n"
    )
    items = [c for c in plan.clauses if c.label == "加强组织领导" and c.kind == "clause"]
    assert len(items) == 2 and not any(c.departments for c in items)
    row = by_path(plan)[("附件1：分工表", "加强组织领导")]
    assert row.departments.lead == ("市政府办公室",)


def test_a_word_table_gives_the_rows(tmp_path):
    docx = pytest.importorskip("docx")
    d = docx.Document()
    for line in ("某市知识产权强市建设行动计划", "一、重点任务", "（一）强化专利转化运用。推动高校专利开放许可。",
                 "（二）加强商标品牌建设。培育区域品牌。", "附件", "重点任务分工表"):
        d.add_paragraph(line)
    table = d.add_table(rows=3, cols=4)
    for row, values in zip(table.rows, [["序号", "重点任务", "牵头单位", "配合单位"],
                                        ["1", "强化专利转化运用", "市科技局", "市教育局"],
                                        ["2", "加强商标品牌建设", "市市场监管局", "市商务局"]], strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    d.save(tmp_path / "plan.docx")
    from indexer.read import read_plan

    clauses = by_path(read_plan(tmp_path / "plan.docx"))
    assert clauses[("一、重点任务", "（二）加强商标品牌建设")].departments.lead == ("市市场监管局",)
    assert clauses[("附件1：重点任务分工表", "强化专利转化运用")].departments.support == ("市教育局",)


def test_tables_that_are_not_division_tables():
    # an indicator table names no bodies; a header with no rows under it; a single row is no table
    assert find_rows("指标\t2020年\t2025年\n专利拥有量\t10\t20\n") == []
    assert find_rows("序号\t重点任务\t牵头单位\n说明文字。\n") == []
    assert find_rows("序号\t重点任务\t牵头单位\n1\t推进改革\t市发展改革委\n") == []
    assert task_key("（一）扩大质押融资规模。") == "扩大质押融资规模"


def test_who_is_responsible_is_answered_from_the_table(tmp_path):
    ans = _answer_on_one_plan(tmp_path, "plan.md", BODY + PIPE_TABLE, "完善风险补偿机制由哪个部门牵头？")
    assert not ans.abstain and ans.departments[:1] == ("市财政局",)


def test_the_answer_cites_the_row_that_names_the_departments(tmp_path):
    # the item's text names nobody: the answer's citation must open what does, the table's row
    ans = _answer_on_one_plan(tmp_path, "plan.md", BODY + PIPE_TABLE, "扩大质押融资规模这项工作谁牵头？")
    assert ans.departments == ("市金融办", "市市场监管局", "人民银行某某中心支行")
    assert "附件1" in ans.text and "扩大质押融资规模" in ans.text
    assert ans.sentences[0].clause_id.endswith(":a1.l1")  # an annex's ids are its own (a1), not chapter 一's


def test_departments_read_from_a_row_survive_the_index_format():
    from indexer.records import Clause

    item = by_path(read_text(BODY + PIPE_TABLE, "plan.md"))[("一、主要任务", "（二）完善风险补偿机制")]
    assert item.departments.source.endswith(":a1.l2")
    assert Clause.from_json(item.to_json()) == item
    own = by_path(read_text(BODY + PIPE_TABLE, "plan.md"))[("一、主要任务", "（三）健全评估服务体系")]
    assert "source" not in own.to_json()["departments"]  # clauses without one are written as before


@pytest.mark.usefixtures("fresh_streamlit_cache")
def test_the_card_of_an_item_says_where_its_departments_are_named(tmp_path, monkeypatch):
    pytest.importorskip("streamlit")
    from indexer.build import build_index
    from indexer.embedding import EmbedderSettings, make_embedder
    from tests.apphelpers import app, texts

    data = tmp_path / "data"
    data.mkdir()
    (data / "plan.md").write_text(BODY + PIPE_TABLE, encoding="utf-8")
    build_index(data, tmp_path / "index", embedder=make_embedder(EmbedderSettings(model="fake:64")))
    for name, value in (("PLANSEARCH_INDEX", tmp_path / "index"), ("PLANSEARCH_DATA", data), ("PLANSEARCH_MODEL", "fake:64")):
        monkeypatch.setenv(name, str(value))
    at = app()
    at.text_input(key="q").input("完善风险补偿机制由哪个部门牵头？").run()
    assert not at.exception, at.exception
    captions = " ".join(texts(at.caption))
    assert "牵头：市财政局" in captions and "单位见附件1" in captions


def test_a_chapter_named_by_a_row_gives_its_items_the_bodies():
    plan = read_text(
        "某区优化营商环境行动方案\n\n一、提升政务服务效能\n\n（一）推行一网通办。\n\n（二）压缩审批时限。（区政务服务局负责）\n\n"
        "二、加强要素保障\n\n（一）保障用地需求。\n\n附件\n\n重点任务分工表\n\n"
        "序号\t重点任务\t牵头单位\t配合单位\n1\t提升政务服务效能\t区政务服务局\t区大数据中心\n"
        "2\t加强要素保障\t区发展改革委\t区自然资源局\n"
    )
    clauses = by_path(plan)
    assert clauses[("一、提升政务服务效能", "（一）推行一网通办")].departments.lead == ("区政务服务局",)
    own = clauses[("一、提升政务服务效能", "（二）压缩审批时限")].departments
    assert own.lead == ("区政务服务局",) and not own.support and not own.source  # its own note stands
    assert clauses[("二、加强要素保障", "（一）保障用地需求")].departments.support == ("区自然资源局",)


def test_header_cells_name_the_role_in_several_ways():
    rows = find_rows(
        "序号\t工作内容\t牵头责任部门\t协作单位（部门）\n1\t建设数据中心\t市数据局\t市发展改革委\n"
        "2\t推进数据开放\t市数据局\t市网信办\n"
    )
    assert [r.bodies for r in rows] == ["牵头单位：市数据局\n配合单位：市发展改革委", "牵头单位：市数据局\n配合单位：市网信办"]


def test_a_groups_title_across_the_table_neither_ends_it_nor_heads_the_plan():
    # | 一、实施产业链提升行动 | | | | had become a heading 一 inside the annex and the table was lost
    plan = read_text(
        "某市新型工业化行动方案\n\n一、重点任务\n\n1.做强钢铁与装备制造产业链。推动高端化转型。\n\n2.做优新材料产业链。建设产业园。\n\n"
        "附件\n\n重点任务分工表\n\n| 序号 | 重点任务 | 牵头单位 | 配合单位 |\n| --- | --- | --- | --- |\n"
        "| 一、实施产业链提升行动 | | | |\n| 1 | 做强钢铁与装备制造产业链 | 市工信局 | 市发改委 |\n"
        "| 二、实施新材料行动 | | | |\n| 2 | 做优新材料产业链 | 市工信局 | 市科技局 |\n",
        "plan.md",
    )
    clauses = by_path(plan)
    assert [p for p in clauses if p[0].startswith("附件")] == [
        ("附件1：重点任务分工表",), ("附件1：重点任务分工表", "做强钢铁与装备制造产业链"), ("附件1：重点任务分工表", "做优新材料产业链"),
    ]
    assert clauses[("一、重点任务", "2.做优新材料产业链")].departments.support == ("市科技局",)
    # the group's title goes with the row after it
    assert clauses[("附件1：重点任务分工表", "做优新材料产业链")].text.startswith("二、实施新材料行动")


def test_a_word_tables_merged_group_row_and_a_row_naming_item_and_chapter(tmp_path):
    docx = pytest.importorskip("docx")
    d = docx.Document()
    for line in ("某市数字经济行动计划", "一、重点任务", "（一）夯实数字基础设施", "1.加快5G网络建设。推进基站向行政村延伸。",
                 "2.布局算力基础设施。建设绿色数据中心。", "附件", "重点任务分工表"):
        d.add_paragraph(line)
    table = d.add_table(rows=4, cols=4)
    values = [["序号", "任务分类", "具体任务", "牵头单位"], ["一、数字基础设施", "", "", ""],
              ["1", "夯实数字基础设施", "加快5G网络建设", "市工信局"], ["2", "夯实数字基础设施", "布局算力基础设施", "市发改委"]]
    for row, cells in zip(table.rows, values, strict=True):
        for cell, value in zip(row.cells, cells, strict=True):
            cell.text = value
    table.cell(1, 0).merge(table.cell(1, 3))  # the group row: one cell across the table
    d.save(tmp_path / "plan.docx")
    from indexer.read import read_plan

    clauses = by_path(read_plan(tmp_path / "plan.docx"))
    # the row names the chapter （一） and the item 1.: the item takes it
    assert clauses[("一、重点任务", "（一）夯实数字基础设施", "1.加快5G网络建设")].departments.lead == ("市工信局",)
    assert clauses[("一、重点任务", "（一）夯实数字基础设施", "2.布局算力基础设施")].departments.lead == ("市发改委",)
    # rows whose broadest task repeats are cited by their own
    assert ("附件1：重点任务分工表", "加快5G网络建设") in clauses


def test_an_abbreviated_task_or_a_copied_sentence_finds_its_item():
    plan = read_text(
        "某市行动方案\n\n一、重点任务\n\n1.做强钢铁与装备制造产业链。推动高端化转型。\n\n"
        "2.加快5G网络建设。推进5G基站向乡镇、行政村延伸。\n\n附件\n\n分工表\n\n"
        "序号\t重点任务\t牵头单位\n1\t钢铁与装备制造产业链\t市工信局\n2\t推进5G基站向乡镇、行政村延伸\t市通信办\n"
    )
    clauses = by_path(plan)
    assert clauses[("一、重点任务", "1.做强钢铁与装备制造产业链")].departments.lead == ("市工信局",)
    assert clauses[("一、重点任务", "2.加快5G网络建设")].departments.lead == ("市通信办",)


def test_tabs_that_only_indent_lines_are_layout():
    # a text file indented with tabs had lost every heading (the lines read as table rows)
    plan = read_text("某市规划\n\t一、总体要求\n\t加强保护。\n\t二、重点任务\n\t推进改革。\n")
    assert [c.section_path for c in plan.clauses if c.kind == "clause"] == [("一、总体要求",), ("二、重点任务",)]


def test_an_annexs_clauses_are_not_a_chapters_children():
    # 附件1's table had the id of chapter 一's own text (plan:1), so 一's items looked up their section's
    # departments in the annex
    plan = read_text(BODY + PIPE_TABLE, "plan.md")
    ids = {c.section_path: c.clause_id for c in plan.clauses}
    assert ids[("附件1：重点任务分工表",)] == "plan:a1" and ids[("一、主要任务", "（一）扩大质押融资规模")] == "plan:1.1"


def test_a_table_flattened_one_cell_per_line_with_group_titles_and_sentence_cells():
    # as a PDF's text gives a 分工表: 一、… lines between the rows, a 具体措施 column of sentences, numbered task
    # cells; the table had not been put back together, or its last row had been cut at its first sentence
    cells = [
        "序号", "重点任务", "具体措施", "牵头单位", "配合单位",
        "一、实施产业链提升行动",
        "1", "1.做强钢铁产业链", "推动高端化转型，发展特种钢材。", "市工信局", "市发改委",
        "2", "2.做优新材料产业链", "加快产业园建设。", "市工信局", "市科技局",
        "二、实施数字化转型行动",
        "3", "3.推进智能制造", "建设一批智能工厂。", "市工信局", "各县（市、区）政府",
    ]
    plan = read_text(
        "某市新型工业化行动方案\n\n一、重点任务\n\n1.做强钢铁产业链。推动转型。\n\n2.做优新材料产业链。建设园区。\n\n"
        "3.推进智能制造。建设智能工厂。\n\n附件\n\n重点任务分工表\n\n" + "\n".join(cells) + "\n"
    )
    clauses = by_path(plan)
    rows = [p for p in clauses if p[:1] == ("附件1：重点任务分工表",) and len(p) == 2]
    assert len(rows) == 3
    last = clauses[rows[-1]]
    assert last.text.startswith("二、实施数字化转型行动") and "建设一批智能工厂" in last.text
    assert last.departments.support == ("各县（市、区）政府",)
    assert clauses[("一、重点任务", "3.推进智能制造")].departments.lead == ("市工信局",)


@pytest.mark.parametrize("seq", ["序号", "编号", "編號"])
def test_a_row_whose_last_cell_is_empty_keeps_its_columns(seq):
    # 备注 left empty: the trailing tab is trimmed and the row had been read from the right, one column off
    # (also under a 编号 header, simplified: only 序号 and the traditional 編號 had been taken as row numbers)
    rows = find_rows(
        f"{seq}\t重点任务\t牵头单位\t配合单位\t完成时限\t备注\n1\t扩大质押融资规模\t市金融办\t市市场监管局\t2027年底\t\n"
        "2\t完善风险补偿机制\t市财政局\t市市场监管局\t2026年6月"
    )
    assert [(r.tasks, r.bodies) for r in rows] == [
        (("扩大质押融资规模",), "牵头单位：市金融办\n配合单位：市市场监管局"),
        (("完善风险补偿机制",), "牵头单位：市财政局\n配合单位：市市场监管局"),
    ]


def test_rows_that_land_only_on_their_chapter_give_its_items_nothing():
    # the stop-25 code review: two rows whose 任务分类 is the chapter and whose tasks match no item had given
    # both items both rows' departments
    plan = read_text(
        "某市优化营商环境行动方案\n\n一、优化营商环境\n\n（一）深入推进放管服改革。压减审批事项。\n\n（二）健全社会信用体系。建设信用平台。\n\n"
        "附件\n\n分工表\n\n序号\t任务分类\t具体任务\t牵头单位\n1\t优化营商环境\t深化审批制度改革工作\t市政务服务局\n"
        "2\t优化营商环境\t加强信用体系建设工作\t市发展改革委\n"
    )
    items = [c for c in plan.clauses if c.section_path[:1] == ("一、优化营商环境",) and c.kind == "clause"]
    assert len(items) == 2 and not any(c.departments for c in items)


def test_a_table_of_projects_is_cited_by_the_project_not_its_description():
    # 项目名称 | 建设内容 | 责任单位: the rows had been titled by 建设内容 (新增供水能力20万立方米/日)
    text = ("某市水务发展规划\n一、重点工程\n（一）供水工程\n序号\t工程名称\t建设内容\t责任单位\n"
            "1\t水厂扩建\t新增供水能力20万立方米/日\t市水务局\n2\t管网改造\t改造老旧管网300公里\t市住建局\n"
            "（二）保障措施\n加强组织领导。\n")
    clauses = by_path(read_text(text, "plan.txt"))
    row = clauses[("一、重点工程", "（一）供水工程", "管网改造")]
    assert row.departments.lead == ("市住建局",) and "改造老旧管网300公里" in row.text
    # a bare 项目 column beside 主要任务 holds categories: the rows stay named by their tasks (the code review)
    text = ("某市知识产权工作方案\n一、重点任务\n序号\t项目\t主要任务\t牵头单位\t完成时限\n"
            "1\t知识产权创造\t实施高价值专利培育计划\t市知识产权局\t2025年\n"
            "2\t知识产权创造\t开展商标品牌建设\t市市场监管局\t2025年\n"
            "3\t知识产权运用\t推进专利转化专项计划\t市科技局\t2025年\n")
    titles = [c.section_path[-1] for c in read_text(text, "plan.txt").clauses if c.kind == "lead"]
    assert titles == ["实施高价值专利培育计划", "开展商标品牌建设", "推进专利转化专项计划"]
