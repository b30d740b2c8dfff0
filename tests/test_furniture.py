"""What is not the plan stays out of its body; title, region, level and type come from the document."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.doctypes import doc_type
from indexer.read import read_plan
from indexer.regions import region_at_start

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "plans"
MORE = ROOT / "retrieval" / "eval" / "corpus-more"


def preamble(plan) -> list[str]:
    return [c.text for c in plan.clauses if c.kind == "preamble"]


def test_news_release_wrapper_is_not_the_body_nor_the_title():
    plan = read_plan(FIXTURES / "news_release_outline.txt")
    doc = plan.document
    assert doc.title == "某某领域强国建设纲要（2021－2035年）"  # 》 closed, the headline's verb dropped
    assert (doc.region, doc.region_level, doc.doc_type, doc.published) == ("全国", "全国", "纲要", "2021-09-22")
    assert preamble(plan) == ["为统筹推进某某领域强国建设，全面提升创造、运用、保护水平，制定本纲要。"]
    assert not any(c.section_path == () and "新华社" in c.text for c in plan.clauses)
    last = next(c for c in plan.clauses if c.section_path == ("二、总体要求",))
    assert last.text == "二、总体要求\n坚持以人民为中心，坚持高质量发展。"  # the closing （新华社） is not the plan's


def test_body_title_with_year_range_under_a_headline(tmp_path):
    path = tmp_path / "outline.txt"
    path.write_text(
        "中共中央 国务院印发《某某建设纲要（2021－2035年）》\n发布时间：2021-09-22\n"
        "新华社北京9月22日电　近日，中共中央、国务院印发了《某某建设纲要（2021－2035年）》。\n"
        "某某建设纲要\n（2021－2035年）\n为统筹推进某某建设，制定本纲要。\n一、战略背景\n取得显著成就。\n",
        encoding="utf-8",
    )
    plan = read_plan(path)
    assert plan.document.title == "某某建设纲要（2021－2035年）"
    assert preamble(plan) == ["为统筹推进某某建设，制定本纲要。"]


def test_release_date_line_is_never_a_title(tmp_path):
    path = tmp_path / "plan.txt"
    path.write_text("发布时间：2023年规划司发布\n某市节水行动方案\n一、总体要求\n节约用水。\n", encoding="utf-8")
    assert read_plan(path).document.title == "某市节水行动方案"


def test_joint_signature_after_the_body_is_not_the_body(tmp_path):
    path = tmp_path / "opinions.txt"
    path.write_text(
        "中共中央 国务院关于某某工作的意见\n一、总体要求\n坚持稳中求进。\n二、重点任务\n推进改革。\n中共中央 国务院\n2018年1月2日\n",
        encoding="utf-8",
    )
    plan = read_plan(path)
    assert plan.document.issuer == "中共中央 国务院"
    assert plan.text[slice(*plan.document.body_span)].endswith("推进改革。")


@pytest.mark.parametrize(
    ("name", "title", "issuer", "signed"),
    [
        ("zhejiang_patent-regulation-2015.md", "浙江省专利条例", "", "2015-09-25"),
        ("ningbo_patent-regulation-2012.md", "宁波市专利管理条例", "", "2012-03-31"),
        ("henan_eco-environment-resolution-2018.md",
         "河南省人民代表大会常务委员会关于全面加强生态环境保护 依法推动打好污染防治攻坚战 让中原更加出彩的决议",
         "河南省人民代表大会常务委员会", "2018-09-29"),
        ("national_rural-revitalization-opinions-2018.txt", "中共中央 国务院关于实施乡村振兴战略的意见", "中共中央 国务院", "2018-01-02"),
    ],
)
def test_repository_headers_and_history_lines_are_front_matter(name, title, issuer, signed):
    plan = read_plan(MORE / name)
    doc = plan.document
    assert (doc.title, doc.issuer, doc.signed) == (title, issuer, signed)
    body = plan.text[slice(*doc.body_span)]
    assert "INFO END" not in plan.text and "会议通过" not in body[:200]


def test_yaml_front_matter_and_disclaimer_stay_in_front():
    plan = read_plan(MORE / "shanghai-chongming_water-affairs-14th-fyp-2021.md")
    front = plan.text[: plan.document.body_span[0]]
    assert front.startswith("---\n标题:") and "著作权法" in front
    assert plan.document.title == "崇明区水务“十四五”规划"


def test_district_plan_is_the_district():
    plan = read_plan(FIXTURES / "district_plan_title.txt")
    doc = plan.document
    assert (doc.region, doc.region_level, doc.province, doc.doc_type) == ("闵行区", "区县", "上海市", "规划纲要")
    assert doc.issuer == "上海市闵行区人民政府" and doc.signed == "2026-01-20"
    assert plan.text[slice(*doc.body_span)].endswith("推进科技创新策源。")


@pytest.mark.parametrize(
    ("name", "context", "region", "level", "province"),
    [
        ("上海市普陀区绿化和市容管理局", "", "普陀区", "区县", "上海市"),
        ("崇明区水务“十四五”规划", "", "崇明区", "区县", "上海市"),
        ("上海市浦东新区人民政府", "", "浦东新区", "区县", "上海市"),
        ("浙江省金华市义乌市人民政府", "", "义乌市", "区县", "浙江省"),
        ("昆山市人民政府", "", "昆山市", "区县", "江苏省"),
        ("山东省泰安市宁阳县人民政府", "", "宁阳县", "区县", "山东省"),
        ("普陀区海洋经济发展规划", "舟山市 舟山 浙江省", "普陀区", "区县", "浙江省"),
        ("泰安市城区建设规划", "", "泰安市", "市", "山东省"),  # 城区 here is a word, not a district
        ("青海省人民政府", "", "青海省", "省", "青海省"),
    ],
)
def test_regions_at_every_level(name, context, region, level, province):
    found = region_at_start(name, context)
    assert found is not None and (found.name, found.level, found.province) == (region, level, province)


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("上海市闵行区国民经济和社会发展第十五个五年规划纲要", "规划纲要"),
        ("关于全面加强生态环境保护的决议", "决议"),
        ("某某省专利管理规定", "规定"),
        ("某某条例实施细则", "实施细则"),
        ("关于修改部分地方性法规的决定", "决定"),
        ("某某行动计划（2023—2025年）", "行动计划"),
        ("关于贯彻落实《知识产权强国建设纲要》的实施意见", "实施意见"),
    ],
)
def test_document_types_in_one_place(title, kind):
    assert doc_type(title) == kind
