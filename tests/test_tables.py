"""Tables saved one cell per line or per paragraph are read back into rows: never split, indicators read."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.clean import clean_text
from indexer.read import read_plan
from indexer.tables import rejoin_flattened_tables

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "plans"
MORE = ROOT / "retrieval" / "eval" / "corpus-more"


def rows_of(text: str) -> list[list[str]]:
    return [line.split("\t") for line in text.split("\n") if "\t" in line]


def test_cells_one_per_paragraph_with_a_spanning_group_cell():
    plan = read_plan(FIXTURES / "flattened_indicator_table.txt")
    assert rows_of(plan.text) == [
        ["序号", "类别", "指标名称", "单位", "基准值（2025年）", "目标值（2030年）", "属性"],
        ["1", "环境质量", "空气质量优良天数比率", "%", "85", "≥88", "约束性"],
        ["2", "环境质量", "地表水达到或好于Ⅲ类水体比例", "%", "70", "≥75", "约束性"],  # 环境质量 spans rows 1–2
        ["3", "生态保护", "森林覆盖率", "%", "20.5", "22", "预期性"],
    ]
    assert "注：基准值为2025年数据。" in plan.text.split("\n")  # the note is not a cell
    got = [(i.name, i.unit, i.baseline_year, i.baseline, i.target_year, i.target, i.attribute) for i in plan.indicators]
    assert got == [
        ("空气质量优良天数比率", "%", "2025", "85", "2030", "≥88", "约束性"),
        ("地表水达到或好于Ⅲ类水体比例", "%", "2025", "70", "2030", "≥75", "约束性"),
        ("森林覆盖率", "%", "2025", "20.5", "2030", "22", "预期性"),
    ]
    assert all(i.section_path == ("一、发展目标", "（一）主要指标") for i in plan.indicators)
    assert ("二、保障措施",) in {c.section_path for c in plan.clauses}


def test_cells_one_per_line_without_blank_lines():
    lines = ["指标表", "序号", "指标名称", "2020年", "2025年", "1", "专利密集型产业增加值占比", "10%", "12%",
             "2", "每万人口高价值发明专利拥有量", "3.6", "5.2", "下一段正文。"]
    assert rejoin_flattened_tables(lines) == [
        "指标表", "序号\t指标名称\t2020年\t2025年", "1\t专利密集型产业增加值占比\t10%\t12%",
        "2\t每万人口高价值发明专利拥有量\t3.6\t5.2", "下一段正文。",
    ]


def test_numbered_list_without_a_header_is_left_alone():
    text = "一、任务\n\n1\n\n推进建设。\n\n2\n\n加强管理。\n"
    assert clean_text(text) == text


def test_real_tables_rows_never_split_across_clauses():
    for name, n_rows in [
        ("shanghai-chongming_water-affairs-14th-fyp-2021.md", 15),
        ("shanghai-putuo_fire-safety-15th-fyp-2026.md", 8),
    ]:
        plan = read_plan(MORE / name)
        assert len({i.span for i in plan.indicators if i.origin == "table"}) == n_rows  # 崇明: two targets a row
        for c in plan.clauses:
            if c.kind == "indicator":
                continue
            start, end = c.span
            line_start = plan.text.rfind("\n", 0, start) + 1
            line_end = plan.text.find("\n", end)
            line_end = len(plan.text) if line_end < 0 else line_end
            assert "\t" not in plan.text[line_start:start] and "\t" not in plan.text[end:line_end], c.clause_id
    water = read_plan(MORE / "shanghai-chongming_water-affairs-14th-fyp-2021.md")
    area = [i for i in water.indicators if i.name == "河湖水面积"]
    assert [(i.unit, i.baseline, i.target, i.target_year, i.attribute) for i in area] == [
        ("平方公里", "120.14", "128.92", "2025", "约束性"), ("平方公里", "120.14", "148.37", "2035", "约束性")]


def test_group_cells_before_the_row_number():
    plan = read_plan(MORE / "shanghai-putuo_greening-cityscape-15th-fyp-2026.md")
    rows = rows_of(plan.text)
    assert ["市容景观建设", "6", "“美丽街区”建设", "预期性", "条（段）", "50", "15"] in rows
    assert ["7", "景观照明建设", "预期性", "块（条）", "3", "3"] in rows
    lights = next(i for i in plan.indicators if i.name == "“美丽街区”建设" and i.unit == "条（段）")
    assert (lights.baseline, lights.target, lights.attribute) == ("50", "15", "预期性")


def test_targets_stated_in_prose_are_indicators_once():
    from indexer.targets import prose_targets

    text = "到2025年，每万人口高价值发明专利拥有量达到3.6件，知识产权质押融资登记金额新增12亿元，社会满意度保持在80分以上。"
    rows = [(r.name, r.target, r.unit, r.target_year) for r in prose_targets(text)]
    assert rows == [
        ("每万人口高价值发明专利拥有量", "3.6", "件", "2025"),
        ("知识产权质押融资登记金额新增", "12", "亿元", "2025"),
        ("社会满意度", "≥80", "分", "2025"),
    ]
    assert list(prose_targets("加强知识产权保护，提高3倍效率。")) == []  # no year: not a target
    assert [r.name for r in prose_targets("到2030年，累计新建绿地35万平方米。")] == ["累计新建绿地"]
    # 達到 in a traditional-character plan; the name as written
    assert [r.name for r in prose_targets("到2025年，每萬人口發明專利擁有量達到1.25件。")] == ["每萬人口發明專利擁有量"]
    # a plan with a table states its targets again in the text: counted once, from the table
    plan = read_plan(ROOT / "data" / "bortala_ip-plan-14th-fyp.txt")
    assert {i.origin for i in plan.indicators} == {"table"}
    taian = read_plan(ROOT / "data" / "taian_ip-protection-and-use-plan-14th-fyp.txt")
    assert ("每万人口高价值发明专利", "3.6", "text") in {(i.name, i.target, i.origin) for i in taian.indicators}


def test_a_year_before_the_plan_is_a_result_not_a_target(tmp_path):
    plan = tmp_path / "plan.txt"
    plan.write_text(
        "某市知识产权规划\n2022年5月12日\n一、发展基础\n到2020年底，每万人口发明专利拥有量达到4.4件。\n"
        "二、发展目标\n到2025年，每万人口发明专利拥有量达到6.0件。\n",
        encoding="utf-8",
    )
    assert [(i.target, i.target_year) for i in read_plan(plan).indicators] == [("6.0", "2025")]


def test_prose_targets_keep_their_own_year_and_are_not_hidden_by_an_equal_value():
    from indexer.targets import prose_targets

    text = "到2025年，发明专利拥有量达到3000件，到2035年，发明专利拥有量达到6000件。"
    assert [(r.target, r.target_year) for r in prose_targets(text)] == [("3000", "2025"), ("6000", "2035")]
    plan = read_plan_text("某市规划\n2022年1月1日\n一、目标\n到2025年，培育专利示范企业达到10家，商标品牌示范企业达到10家。\n")
    assert [i.name for i in plan.indicators] == ["培育专利示范企业", "商标品牌示范企业"]


def read_plan_text(text: str):
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "plan.txt"
        path.write_text(text, encoding="utf-8")
        return read_plan(path)


def test_one_cell_per_line_with_a_blank_cell_and_a_spanning_attribute():
    # 2020年 of row 2 is blank (an empty line); 预期性 is written once for rows 2 and 3
    lines = ["序号", "指标", "单位", "2020年", "2025年", "属性",
             "1", "每万人口高价值发明专利拥有量", "件", "1.1", "2.5", "约束性",
             "2", "知识产权质押融资登记金额", "亿元", "", "20", "预期性",
             "3", "地理标志产品", "个", "5", "8",
             "下一段正文。"]
    assert rejoin_flattened_tables(lines) == [
        "序号\t指标\t单位\t2020年\t2025年\t属性",
        "1\t每万人口高价值发明专利拥有量\t件\t1.1\t2.5\t约束性",
        "2\t知识产权质押融资登记金额\t亿元\t\t20\t预期性",
        "3\t地理标志产品\t个\t5\t8\t预期性",
        "下一段正文。",
    ]
    plan = read_plan_text("某市规划\n2022年1月1日\n一、主要指标\n" + "\n".join(lines) + "\n")
    got = [(i.name, i.unit, i.baseline, i.target, i.attribute) for i in plan.indicators]
    assert got == [
        ("每万人口高价值发明专利拥有量", "件", "1.1", "2.5", "约束性"),
        ("知识产权质押融资登记金额", "亿元", "", "20", "预期性"),
        ("地理标志产品", "个", "5", "8", "预期性"),
    ]


def test_a_spanning_unit_is_told_from_a_spanning_attribute():
    lines = ["序号", "指标", "单位", "2020年", "2025年", "属性",
             "1", "森林覆盖率", "%", "20", "22", "约束性",
             "2", "湿地保护率", "50", "55", "约束性"]  # % spans rows 1–2
    assert rejoin_flattened_tables(lines)[-1] == "2\t湿地保护率\t%\t50\t55\t约束性"


def test_table_without_a_number_column():
    lines = ["表2 主要指标", "指标名称", "单位", "2020年", "2025年", "属性",
             "森林覆盖率", "%", "20.5", "22", "约束性",
             "草原综合植被盖度", "%", "55", "≥57", "预期性",
             "注：2020年为统计数。"]
    assert rejoin_flattened_tables(lines) == [
        "表2 主要指标", "指标名称\t单位\t2020年\t2025年\t属性", "森林覆盖率\t%\t20.5\t22\t约束性",
        "草原综合植被盖度\t%\t55\t≥57\t预期性", "注：2020年为统计数。",
    ]
    # a list of words after a heading that names 指标 is not a table
    prose = ["指标体系", "单位目标", "年度考核", "加强管理。"]
    assert rejoin_flattened_tables(prose) == prose


def test_sub_rows_are_rows_of_their_own_named_after_their_row():
    lines = ["序号", "指标", "单位", "2020年", "2025年", "属性",
             "1", "专利授权量", "件", "1000", "1500", "预期性",
             "其中：发明专利", "件", "100", "200", "预期性",
             "2", "商标注册量", "件", "3000", "4000", "预期性"]
    rows = rejoin_flattened_tables(lines)
    assert rows[2] == "\t其中：发明专利\t件\t100\t200\t预期性"
    plan = read_plan_text("某市规划\n2022年1月1日\n一、主要指标\n" + "\n".join(lines) + "\n")
    assert [(i.name, i.target) for i in plan.indicators] == [
        ("专利授权量", "1500"), ("专利授权量（其中：发明专利）", "200"), ("商标注册量", "4000")]


def test_columns_named_by_a_five_year_plan_hold_its_last_year():
    # “十四五”现状值 / “十五五”目标值 (a 十五五 plan's table): the rows had no years, so they lined up with no
    # other region's 2020 / 2025 values (a researcher review)
    from indexer.tables import period_end

    assert (period_end("三"), period_end("四"), period_end("五")) == ("2020", "2025", "2030")
    lines = ["表1 主要指标", "序号", "类别", "指标名称", "“十四五”现状值", "“十五五”规划目标", "属性",
             "1", "火灾形势", "每百万人火灾事故年平均发生率（起/百万人）", "500", "≤490", "约束性",
             "2", "每百万人火灾事故年平均死亡率（人/百万人）", "3.6", "≤3.5", "约束性"]
    plan = read_plan_text("某区消防规划\n2026年1月1日\n一、主要指标\n" + "\n\n".join(lines) + "\n")
    assert [(i.name, i.baseline_year, i.baseline, i.target_year, i.target) for i in plan.indicators] == [
        ("每百万人火灾事故年平均发生率", "2025", "500", "2030", "≤490"),
        ("每百万人火灾事故年平均死亡率", "2025", "3.6", "2030", "≤3.5")]


def test_a_sub_row_that_leaves_out_its_shared_cells_is_a_row_of_its_own():
    # 其中 公园绿地 58.46 17.5 (no 属性, no 单位: they span from 新建绿地's row) was merged into its row, and
    # neither became an indicator (a researcher review); with a group column before 序号 too
    for group in ([], ["类别"]):
        lead = ["绿化"] if group else []
        lines = ["表2 主要指标", *group, "序号", "指标名称", "属性", "单位", "“十四五”现状", "“十五五”目标",
                 *lead, "1", "新建绿地", "约束性", "万平方米", "90.87", "35", "其中 公园绿地", "58.46", "17.5",
                 "2", "绿化覆盖率", "约束性", "%", "31.46", "31.5"]
        plan = read_plan_text("某区绿化规划\n2026年1月1日\n一、主要指标\n" + "\n\n".join(lines) + "\n")
        assert [(i.name, i.unit, i.baseline, i.target, i.attribute) for i in plan.indicators] == [
            ("新建绿地", "万平方米", "90.87", "35", "约束性"),
            ("新建绿地（其中 公园绿地）", "万平方米", "58.46", "17.5", "约束性"),
            ("绿化覆盖率", "%", "31.46", "31.5", "约束性"),
        ], group
        rows = [c for c in plan.clauses if c.kind == "indicator"]
        assert [c.number for c in rows] == ["1", "", "2"] and len({c.clause_id for c in rows}) == 3


def test_a_completion_table_of_the_past_plan_gives_no_targets():
    text = ("某市规划\n2022年1月1日\n一、发展基础\n“十三五”规划指标完成情况\n"
            "指标\t2015年\t2020年目标\t2020年完成情况\n专利授权量（件）\t500\t800\t950\n商标注册量（件）\t900\t1200\t1300\n")
    plan = read_plan_text(text)
    assert plan.indicators == ()
    assert "专利授权量（件）\t500\t800\t950" in plan.text  # the table is still text of its clause
    real = read_plan(MORE / "shanghai-putuo_greening-cityscape-15th-fyp-2026.md")
    assert not any(i.name == "新建绿地" and i.target == "90.87" for i in real.indicators)  # 完成情况 of 十四五


@pytest.mark.parametrize(
    ("field", "sentence", "expected"),
    [
        ("water", "到2025年，万元地区生产总值用水量下降到40立方米，农田灌溉水有效利用系数提高到0.62。",
         [("万元地区生产总值用水量", "40", "立方米"), ("农田灌溉水有效利用系数", "0.62", "")]),
        ("fire safety", "到2030年，每十万人口火灾死亡率控制在0.15以下，消防站达到25个。",
         [("每十万人口火灾死亡率", "≤0.15", ""), ("消防站", "25", "个")]),
        ("childcare and networks", "到2025年，每千人口拥有3岁以下婴幼儿托位数达到4.5个，5G基站达到3000个。",
         [("每千人口拥有3岁以下婴幼儿托位数", "4.5", "个"), ("5G基站", "3000", "个")]),
        # a piece without a verb is no target, even among targets (stop 26 tried reading 版權作品登記200件 as one;
        # the code review found baselines, comparisons and subsidies read so too: 现状87%, 每家奖励50万元)
        ("verbless pieces", "到2025年，城镇污水处理率达到95%，现状87%，培育示范企业达到50家，每家奖励50万元，总投资50亿元。",
         [("城镇污水处理率", "95", "%"), ("培育示范企业", "50", "家")]),
    ],
)
def test_prose_targets_of_other_fields(field, sentence, expected):
    from indexer.targets import prose_targets

    # a ratio needs no unit; a name may hold figures (3岁以下) or start with one (5G)
    assert [(r.name, r.target, r.unit) for r in prose_targets(sentence)] == expected


def test_one_cell_per_paragraph_with_an_empty_paragraph_as_a_blank_cell():
    cells = ["序号", "指标", "2020年", "2025年", "1", "森林覆盖率（%）", "20", "22", "2", "湿地保护率（%）", None, "55"]
    lines = []
    for cell in cells:
        lines += ([""] if cell is None else [cell]) + [""]  # an empty paragraph: three blank lines in a row
    assert rejoin_flattened_tables(lines)[:3] == ["序号\t指标\t2020年\t2025年", "1\t森林覆盖率（%）\t20\t22", "2\t湿地保护率（%）\t\t55"]


def _outline_plan(body: str):
    return read_plan_text("某区绿化规划\n2026年1月1日\n" + body)


def test_a_captioned_table_after_an_enumeration_is_the_sections_own_block():
    # 表2 follows the last of 二's items 1、2、3、: it is 二's table, not item 3's (a corpus-more plan's shape)
    plan = _outline_plan(
        "一、发展目标\n到2030年，建成公园城市。\n二、主要指标\n1、新建绿地35万平方米。\n2、建设美丽街区15条。\n"
        "3、生活垃圾回收利用率达50%。\n表2 主要指标表\n序号\t指标名称\t单位\t2025年\t2030年\n"
        "1\t公园数量\t座\t59\t69\n三、主要任务\n（一）推进绿化建设。\n"
    )
    item3 = next(c for c in plan.clauses if c.label.startswith("生活垃圾"))
    assert "表2" not in item3.text and item3.section_path[-1].startswith("3、")
    block = next(c for c in plan.clauses if c.kind == "lead")
    assert block.section_path == ("二、主要指标", "表2 主要指标表") and block.text.startswith("表2 主要指标表")
    assert "公园数量" in block.text
    (ind,) = plan.indicators
    assert ind.section_path == ("二、主要指标",)
    spans = sorted(c.span for c in plan.clauses if c.kind != "indicator")
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))  # still a tiling: nothing doubled


def test_a_caption_stays_with_a_titled_section_or_inside_an_enumeration():
    # （三）主要目标 is a titled section, not an enumerated item: its table is its own
    plan = _outline_plan(
        "一、总体要求\n（一）指导思想\n坚持创新。\n（二）基本原则\n坚持法治。\n（三）主要目标\n到2025年，专利增加。\n"
        "表1 主要指标\n序号\t指标名称\t单位\t2025年\n1\t专利数量\t件\t100\n二、重点任务\n（一）强化保护\n加强执法。\n"
    )
    assert not [c for c in plan.clauses if c.kind == "lead"]
    assert plan.indicators[0].section_path == ("一、总体要求", "（三）主要目标")
    # a box between items 2 and 3 is item 2's: the enumeration goes on after it
    plan = _outline_plan(
        "一、重点任务\n1、推进绿化建设。\n2、建设美丽街区。\n专栏1 美丽街区重点工程\n改造街区15条。\n3、推进垃圾分类。\n"
    )
    assert not [c for c in plan.clauses if c.kind == "lead"]
    assert "专栏1" in next(c for c in plan.clauses if c.label.startswith("建设美丽街区")).text


def test_a_table_with_targets_for_two_years_keeps_both():
    # 崇明's 基准值（2020年）| 目标值（2025年）| 目标值（2035年）: the 2025 target of a 十四五 plan was lost,
    # and with no unit column the unit written with each value (120.14平方公里) stood in the value
    plan = read_plan_text(
        "某区水务规划\n2021年1月1日\n一、主要指标\n"
        "序号\t指标名称\t指标属性\t基准值（2020年）\t目标值（2025年）\t目标值（2035年）\n"
        "1\t主海塘达标率\t预期性\t46％\t≥73％\t100％\n"
        "2\t河湖水面积\t约束性\t120.14平方公里\t128.92平方公里\t148.37平方公里\n"
    )
    got = [(i.name, i.unit, i.baseline_year, i.baseline, i.target_year, i.target) for i in plan.indicators]
    assert got == [
        ("主海塘达标率", "", "2020", "46％", "2025", "≥73％"),
        ("主海塘达标率", "", "2020", "46％", "2035", "100％"),
        ("河湖水面积", "平方公里", "2020", "120.14", "2025", "128.92"),
        ("河湖水面积", "平方公里", "2020", "120.14", "2035", "148.37"),
    ]
    rows = [c for c in plan.clauses if c.kind == "indicator"]
    assert len(rows) == 2 and "2025年目标：128.92" in rows[1].text and "2035年目标：148.37" in rows[1].text


def test_a_markdown_header_spanning_two_rows_gives_the_indicators():
    # | 目标值 | | over | 2025年 | 2030年 |: a 纲要's table gave no indicator (a third unseen-shapes review)
    from tests.test_unseen_shapes import read_text

    plan = read_text(
        "某市国民经济和社会发展第十五个五年规划纲要\n\n## 第一章 主要目标\n\n到2030年，经济总量迈上新台阶。\n\n表1 主要指标\n\n"
        "| 类别 | 指标 | 单位 | 目标值 | | 年均增长（%） | 属性 |\n| --- | --- | --- | --- | --- | --- | --- |\n"
        "| | | | 2025年 | 2030年 | | |\n| 经济发展 | 地区生产总值 | 亿元 | 5300 | 7200 | 6.5 | 预期性 |\n"
        "| | 全员劳动生产率 | 万元/人 | 12.5 | 16.8 | 6 | 预期性 |\n",
        "plan.md",
    )
    got = [(i.name, i.unit, i.baseline_year, i.baseline, i.target_year, i.target) for i in plan.indicators]
    assert got == [("地区生产总值", "亿元", "2025", "5300", "2030", "7200"), ("全员劳动生产率", "万元/人", "2025", "12.5", "2030", "16.8")]


def test_a_second_row_that_is_not_years_is_no_header():
    from indexer.tables import _two_row_header

    assert _two_row_header(["指标", "2020年", "2025年"], ["专利", "10", "20"]) is None
    assert _two_row_header(["指标", "目标值", ""], ["", "2025年"]) is None  # not one cell per column


def test_a_note_under_the_table_dates_its_bracketed_values():
    # 崇明: 注：括号内数据为2019年平均值 - the bracketed baselines had been shown as 2020's (a researcher's review)
    from indexer.tables import find_indicators

    text = ("指标\t2020年\t2025年\t属性\n城镇污水处理率\t95%\t99%\t约束性\n河道水质达标比重\t（86.4%）\t100%\t预期性\n\n"
            "注：括号内数据为2019年平均值（来源：河长制平台数据）\n")
    got = {r.name: (r.baseline_year, r.baseline) for r in find_indicators(text)}
    assert got == {"城镇污水处理率": ("2020", "95%"), "河道水质达标比重": ("2019", "（86.4%）")}


def test_a_heading_between_two_tables_of_one_width_stays_a_heading():
    # a line between two rows of one width is a table's group row, but not before a second table's header
    from tests.test_unseen_shapes import paths, read_text

    plan = read_text(
        "某市规划纲要\n第一章 主要目标\n（一）经济指标\n指标\t2020年\t2025年\t属性\n地区生产总值\t100\t150\t预期性\n"
        "（二）社会指标\n指标\t2020年\t2025年\t属性\n人均寿命\t78\t80\t预期性\n第二章 保障措施\n加强领导。\n"
    )
    assert ("第一章 主要目标", "（二）社会指标") in paths(plan)
    assert [i.name for i in plan.indicators] == ["地区生产总值", "人均寿命"]


def test_a_heading_before_a_second_table_with_the_first_ones_header_stays_a_heading():
    # the stop-25 code review: a header without a listed word (项目 | 建设内容 | 总投资) had lost the heading
    from tests.test_unseen_shapes import paths, read_text

    header = "项目\t建设内容\t总投资（亿元）\n"
    plan = read_text(
        "某市规划\n一、重点项目\n（一）交通项目\n" + header + "轨道交通\t建设1号线\t120\n快速路\t建设环线\t30\n"
        "（二）产业项目\n" + header + "产业园\t建设标准厂房\t20\n数据中心\t建设机房\t15\n二、保障措施\n加强领导。\n"
    )
    assert ("一、重点项目", "（二）产业项目") in paths(plan)
