"""The outline of each of the five bundled plans: metadata, counts per level and exact section paths."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from indexer.read import read_plan

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture(scope="module")
def plans():
    cache = {}

    def get(name: str):
        if name not in cache:
            cache[name] = read_plan(DATA / name)
        return cache[name]

    return get


def levels(plan) -> dict[int, int]:
    return dict(sorted(Counter(h.level for h in plan.headings).items()))


def paths(plan) -> set[tuple[str, ...]]:
    return {c.section_path for c in plan.clauses}


def clause(plan, *path):
    found = [c for c in plan.clauses if c.section_path == path and c.kind != "indicator"]
    assert found, f"no clause at {path}"
    return found[0]


QINGHAI = "qinghai_ip-protection-and-use-plan-14th-fyp.txt"
OPINIONS = "qinghai_ip-power-outline-implementation-opinions.txt"
SHANXI = "shanxi_ip-protection-and-use-plan-14th-fyp.txt"
TAIAN = "taian_ip-protection-and-use-plan-14th-fyp.txt"
BORTALA = "bortala_ip-plan-14th-fyp.txt"


def test_qinghai_plan(plans):
    plan = plans(QINGHAI)
    doc = plan.document
    assert (doc.title, doc.region, doc.region_level, doc.province) == (
        "青海省“十四五”知识产权保护和运用规划", "青海省", "省", "青海省")
    assert (doc.issuer, doc.signed, doc.published, doc.doc_type) == ("青海省人民政府", "2021-12-31", "2022-01-11", "规划")
    assert levels(plan) == {1: 5, 2: 11, 3: 16}
    expected = {
        ("一、青海省“十三五”知识产权发展概况",),
        ("二、机遇与挑战",),
        ("三、总体要求", "（一）指导思想"),
        ("三、总体要求", "（三）发展目标"),
        ("四、重点任务",),  # its own text before （一）: an intro clause
        ("四、重点任务", "（一）强化知识产权全链条保护", "1.完善知识产权保护体系建设"),
        ("四、重点任务", "（一）强化知识产权全链条保护", "4.加强知识产权协同保护"),
        ("四、重点任务", "（二）推动知识产权高质量创造", "2.提升创新主体知识产权创造能力"),
        ("四、重点任务", "（三）促进知识产权高效益运用", "3.深化知识产权金融服务"),
        ("四、重点任务", "（四）提高知识产权管理服务效能", "3.建立完善的知识产权综合管理体系"),
        ("四、重点任务", "（五）夯实知识产权事业发展基础", "3.推动知识产权合作共赢"),
        ("五、保障措施", "（一）加强组织协调"),
        ("五、保障措施", "（三）加强考核评估"),
    }
    assert expected <= paths(plan)
    # 五、保障措施 is glued to the end of the last task's line: it starts a new chapter, not part of 3.
    last_task = clause(plan, "四、重点任务", "（五）夯实知识产权事业发展基础", "3.推动知识产权合作共赢")
    assert last_task.text.endswith("(省商务厅，省市场监管局等按职责分工负责)")
    assert "保障措施" not in last_task.text
    assert last_task.clause_id == "qinghai_ip-protection-and-use-plan-14th-fyp:4.5.3"
    # A line broken before "3.4倍" is rejoined; 3.4 is never a heading.
    assert not any(h.label.startswith("3.4") for h in plan.headings)
    assert any("“十二五”时期的3.4倍和3.9倍" in c.text for c in plan.clauses)
    # Departments: the lead is the one marked 牵头.
    organise = clause(plan, "五、保障措施", "（一）加强组织协调")
    assert organise.departments.lead == ("省市场监管局",)
    assert organise.departments.support == ("各有关部门", "各市州政府")
    first = clause(plan, "四、重点任务", "（一）强化知识产权全链条保护", "1.完善知识产权保护体系建设")
    assert first.departments.lead == ()
    assert first.departments.support[:2] == ("省委组织部", "省委宣传部")
    # The table of contents and the cover notice are not clauses.
    assert not any("……" in c.text for c in plan.clauses)
    assert not any("各市、自治州人民政府" in c.text for c in plan.clauses)


def test_qinghai_opinions_traditional(plans):
    plan = plans(OPINIONS)
    doc = plan.document
    assert doc.title == "關于貫徹落實《知識產權強國建設綱要(2021—2035年)》的實施意見"
    assert (doc.region, doc.region_level, doc.doc_type, doc.signed) == ("青海省", "省", "实施意见", "2021-12-31")
    assert levels(plan) == {1: 3, 2: 9, 3: 14}
    expected = {
        ("一、發展目標",),
        ("二、重點任務", "（一）建設有利于推動青海高質量發展的知識產權制度", "1.構建結構嚴密、系統完備的制度體系"),
        ("二、重點任務", "（三）建設激勵創新發展的知識產權市場運行機制", "8.健全科學高效、運行順暢的運用機制"),
        ("二、重點任務", "（六）建設實現協調發展的知識產權合作交流機制", "14.擴大國內外知識產權交流合作"),
        ("三、組織保障", "（一）加強組織領導"),
        ("三、組織保障", "（三）加強考核評估"),
    }
    assert expected <= paths(plan)
    text = "".join(c.text for c in plan.clauses)
    assert "(ch" not in text and "(xi" not in text  # pinyin debris is gone
    assert "制度在青現代化建設中" in text  # 青,F(xiàn)代化: the GBK bytes of 現 with the high bit lost
    # 向?qū)I(yè)化: two characters lost for good are marked □, and no "?" is left to end a sentence on
    assert "向□□化、品牌化、規模化發展" in text and "?" not in text and "(y" not in text
    assert "青海新聞網" not in doc.title


def test_shanxi_numbering_runs_through_chapters(plans):
    plan = plans(SHANXI)
    doc = plan.document
    assert (doc.region, doc.doc_number, doc.signed, doc.issuer) == ("山西省", "晋政发〔2022〕13号", "2022-05-12", "山西省人民政府")
    assert levels(plan) == {1: 8, 2: 24}
    expected = {
        ("一、规划背景",),
        ("二、总体要求", "（一）指导思想"),
        ("三、全面强化知识产权高标准保护，营造转型发展良好环境", "（四）加强知识产权地方法规政策体系建设"),
        ("五、推动知识产权高效益转移转化，培育转型发展新动能", "（十四）完善知识产权运营服务体系"),
        ("五、推动知识产权高效益转移转化，培育转型发展新动能", "（十五）健全知识产权金融服务体系"),
        ("七、加快知识产权人才队伍和文化建设，优化转型发展社会环境", "（二十一）系统推进知识产权专业智库建设"),
        ("八、实施保障", "（二十四）加强考核督导"),
    }
    assert expected <= paths(plan)
    assert clause(plan, "八、实施保障", "（二十四）加强考核督导").clause_id.endswith(":8.24")
    # The 抄送 / 印发 furniture after the last clause is not body; image placeholders are gone.
    assert not any("抄送" in c.text or "[image" in c.text for c in plan.clauses)
    think_tank = clause(plan, "七、加快知识产权人才队伍和文化建设，优化转型发展社会环境", "（二十一）系统推进知识产权专业智库建设")
    assert think_tank.departments.lead == ("省市场监管局",)


def test_taian_notice_without_title_line(plans):
    plan = plans(TAIAN)
    doc = plan.document
    assert (doc.title, doc.region, doc.region_level, doc.province) == (
        "泰安市“十四五”知识产权保护和运用规划", "泰安市", "市", "山东省")
    assert (doc.issuer, doc.signed) == ("泰安市人民政府办公室", "2022-05-07")
    assert levels(plan) == {1: 4, 2: 12, 3: 13}
    expected = {
        ("一、总体要求", "（一）指导思想和工作目标"),
        ("一、总体要求", "（二）基本原则", "4.坚持开放合作"),
        ("二、主要任务", "（一）优化知识产权制度体系"),
        ("二、主要任务", "（五）强化知识产权服务监管", "2.加强知识产权服务监管"),
        ("三、重点工程", "（五）实施地理标志保护运用工程"),
        ("四、加强组织领导，强化监测评估",),
    }
    assert expected <= paths(plan)
    last = clause(plan, "四、加强组织领导，强化监测评估")
    assert "相关解读" not in last.text
    # A paragraph broken mid-word ("经\n\n营异常名录") is joined again.
    assert "经营异常名录" in clause(plan, "二、主要任务", "（五）强化知识产权服务监管", "2.加强知识产权服务监管").text


def test_bortala_prefecture_and_indicators(plans):
    plan = plans(BORTALA)
    doc = plan.document
    assert (doc.title, doc.region, doc.region_level, doc.province) == (
        "自治州知识产权“十四五”规划", "博尔塔拉蒙古自治州", "自治州", "新疆维吾尔自治区")
    assert (doc.doc_number, doc.signed, doc.published) == ("博州政发〔2021〕151号", "2021-12-05", "2021-12-12")
    assert levels(plan) == {1: 3, 2: 12, 3: 19}
    expected = {
        ("一、总体要求", "（一）指导思想"),
        ("一、总体要求", "（三）主要目标"),
        ("二、重点任务", "（一）推进专利事业高质量发展", "3.推进专利金融创新发展"),
        ("二、重点任务", "（二）加强商标品牌建设", "4.加强区域公共品牌建设"),
        ("二、重点任务", "（五）推进特色知识产权强州建设", "4.加强兵地知识产权融合发展"),
        ("三、保障措施", "（四）加强考核评估，确保规划取得实效"),
    }
    assert expected <= paths(plan)
    assert len(plan.indicators) == 11
    first = plan.indicators[0]
    assert (first.name, first.unit, first.baseline_year, first.baseline, first.target_year, first.target, first.attribute) == (
        "每万人口高价值发明专利拥有量", "件", "2020", "1.07", "2025", "1.5", "预期性")
    assert first.section_path == ("一、总体要求", "（三）主要目标")
    finance = next(i for i in plan.indicators if i.name == "知识产权质押融资金额")
    assert (finance.unit, finance.baseline, finance.target) == ("万元", "4078", "7000")
    assert next(i for i in plan.indicators if i.name.startswith("知识产权转让")).baseline == "——"
    # Indicators are searchable as clauses too.
    rows = [c for c in plan.clauses if c.kind == "indicator"]
    assert len(rows) == 11 and "1.07" in rows[0].text and "1.5" in rows[0].text
    # Markdown bold is gone; a paragraph broken mid-word across blank lines is whole again.
    text = "".join(c.text for c in plan.clauses)
    assert "**" not in text
    assert "完善自治州知识产权质押融资贷款风险补偿机制" in text
    assert "“一带一路”、新时代推进西部大开发" in text


@pytest.mark.parametrize("name", [QINGHAI, OPINIONS, SHANXI, TAIAN, BORTALA])
def test_clause_ids_unique_and_stable(plans, name):
    plan = plans(name)
    ids = [c.clause_id for c in plan.clauses]
    assert len(ids) == len(set(ids))
    again = read_plan(DATA / name)
    assert [c.clause_id for c in again.clauses] == ids
    assert all(len(c.text) <= 420 for c in plan.clauses if c.kind != "indicator")
