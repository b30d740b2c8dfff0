"""Filters typed by hand, and a question whose region the chosen filter leaves out (a researcher review,
stop 28: --region 青海 found nothing and said the plans did not cover the question; a sidebar region
other than the question's gave a confident answer from the wrong region)."""

from __future__ import annotations

import json

import pytest

from retrieval.__main__ import main as retrieval_main
from retrieval.filters import UnknownFilter, left_out_regions, resolve_filters, within_filters
from retrieval.records import Answer, Filters


def test_typed_values_become_what_the_index_holds(fake_searcher):
    got = resolve_filters(fake_searcher, Filters(regions=("青海", "泰安"), levels=("省级",), doc_ids=("taian",)))
    assert got.regions == ("青海省", "泰安市") and got.levels == ("省",)
    assert got.doc_ids == ("taian_ip-protection-and-use-plan-14th-fyp",)
    assert resolve_filters(fake_searcher, Filters(regions=("青海省",))).regions == ("青海省",)  # as written
    # a province holding an indexed prefecture keeps it (博尔塔拉's plan under 新疆)
    assert resolve_filters(fake_searcher, Filters(regions=("新疆",))).regions == ("新疆维吾尔自治区",)


@pytest.mark.parametrize(
    "filters, says",
    [
        (Filters(regions=("火星",)), "没有这个地区"),
        (Filters(regions=("浙江",)), "没有这个地区"),  # a real province with no plan in this index
        (Filters(levels=("乡",)), "不是一个行政层级"),
        (Filters(levels=("区",)), "没有这一层级"),
        (Filters(doc_ids=("no-such-plan",)), "没有这份文件"),
        (Filters(doc_ids=("qinghai",)), "对应多份文件"),
        (Filters(department="不存在的局"), "没有条款写明这个部门"),
    ],
)
def test_a_value_naming_nothing_is_an_error_that_says_what_there_is(fake_searcher, filters, says):
    with pytest.raises(UnknownFilter, match=says):
        resolve_filters(fake_searcher, filters)


def test_the_command_line_reports_an_unknown_filter_instead_of_finding_nothing(fake_index_dir, capsys):
    assert retrieval_main(["search", "专利质押融资", "--region", "火星", "--index", str(fake_index_dir)]) == 1
    assert "--region 火星" in capsys.readouterr().err
    assert retrieval_main(["search", "专利质押融资", "--json", "--region", "青海", "--index", str(fake_index_dir)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["results"] and {r["region"] for r in out["results"]} == {"青海省"}


def test_a_question_s_region_left_out_by_the_filter_is_said_not_answered(fake_searcher, fake_index_dir, capsys):
    pq = fake_searcher.parse("青海省知识产权质押融资有什么政策？")
    chosen = Filters(regions=("泰安市",))
    assert left_out_regions(fake_searcher, pq, chosen) == ("青海省",)
    ans = within_filters(fake_searcher, pq, chosen, Answer("泰安的条款", False, confidence=0.9))
    assert ans.abstain and "青海省" in ans.text and "泰安市" in ans.text
    # a region inside the chosen one, or the chosen one itself, is not left out
    assert left_out_regions(fake_searcher, fake_searcher.parse("博州专利质押"), Filters(regions=("新疆维吾尔自治区",))) == ()
    assert left_out_regions(fake_searcher, pq, Filters(regions=("青海省",))) == ()
    assert left_out_regions(fake_searcher, fake_searcher.parse("专利质押融资"), chosen) == ()
    argv = ["search", "青海省知识产权质押融资有什么政策？", "--json", "--region", "泰安市", "--index", str(fake_index_dir)]
    assert retrieval_main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["abstain"] and out["answer"].startswith("问题中提到的青海省")


def test_a_department_is_found_in_any_of_its_forms(fake_searcher):
    # a researcher review (stop 28): 省人社厅 and 省人力资源社会保障厅 were two departments in the filter,
    # each finding only its own spelling; 各有关部门 and 各市州政府 were offered as departments
    from indexer.bodies import department_forms, department_key, is_collective
    from ui.filters import department_choices

    assert "省人力资源社会保障厅" in department_forms("省人社厅") and "省人社厅" in department_forms("省人力资源和社会保障厅")
    assert department_forms("省财政厅") == ("省财政厅",)
    assert department_key("市发展和改革委员会") == department_key("市发改委") == department_key("市发展改革委")
    assert is_collective("各有关部门") and is_collective("A、B等部门") and not is_collective("省市场监管局")
    assert department_choices(["省人社厅", "各有关部门", "省人力资源社会保障厅", "省财政厅"]) == ["省人社厅", "省财政厅"]
    names = fake_searcher.department_names()
    full = [n for n in names if "人力资源社会保障" in n]
    assert full, names
    short = full[0].replace("人力资源社会保障", "人社")
    wanted = fake_searcher.search("人才", k=50, filters=Filters(department=full[0]))
    assert wanted and [h.clause_id for h in fake_searcher.search("人才", k=50, filters=Filters(department=short))] == [
        h.clause_id for h in wanted]


def test_a_department_typed_in_another_form_is_no_unknown_filter(fake_searcher):
    # the code review (stop 28): --department 省市场监督管理局 was refused though the filter finds 省市场监管局
    names = fake_searcher.department_names()
    short = next(n for n in names if "市场监管" in n)
    full = short.replace("市场监管", "市场监督管理")
    assert full not in names
    assert resolve_filters(fake_searcher, Filters(department=full)).department == full
    assert fake_searcher.search("知识产权", k=5, filters=Filters(department=full))
