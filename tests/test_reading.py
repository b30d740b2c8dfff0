"""Reading plans of any field and shape: the one heading grammar, parts, annexes, contents lists."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.clean import clean_text
from indexer.load import _clean_pdf_pages
from indexer.numbering import HEADING_START, canonical, match_number
from indexer.read import read_plan

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "plans"
MORE = ROOT / "retrieval" / "eval" / "corpus-more"


def paths(plan):
    return [c.section_path for c in plan.clauses if c.kind != "indicator"]


@pytest.mark.parametrize(
    ("text", "scheme", "value", "canonical_form"),
    [
        ("第一部分：发展基础", "第部分", 1, "第一部分"),
        ("第六部分 保障措施", "第部分", 6, "第六部分"),
        ("第二款 前款规定", "第款", 2, "第二款"),
        ("第一编 总则", "第编", 1, "第一编"),
        ("附件1：主要指标", "附件", 1, "附件1"),
        ("附件2", "附件", 2, "附件2"),
        ("附件三 项目表", "附件", 3, "附件3"),
    ],
)
def test_more_numbering_schemes(text, scheme, value, canonical_form):
    num = match_number(text)
    assert num is not None and (num.scheme, num.value) == (scheme, value)
    assert canonical(scheme, value) == canonical_form
    assert HEADING_START.match(text)


@pytest.mark.parametrize("text", ["附件1中所列项目", "附件：1.某某规划", "附件所列"])
def test_annex_words_in_prose_are_not_headings(text):
    num = match_number(text)
    assert num is None or num.scheme != "附件"


def test_parts_restart_numbering_and_annexes_stand_alone():
    plan = read_plan(FIXTURES / "parts_restart_annexes.txt")
    got = paths(plan)
    assert ("第一部分：发展基础", "二、存在问题", "（二）投入不够") in got
    # 一、 restarts under each part: it is not swallowed by the previous part's last section.
    assert ("第二部分：主要任务", "一、加强污染防治", "（一）大气污染防治") in got
    assert ("第二部分：主要任务", "二、加强生态保护") in got
    assert ("第三部分：保障措施", "一、加强组织领导") in got  # 第三部分 保障措施 written with a space
    # Annexes are top-level sections, not children of the last numbered heading.
    assert ("附件1：主要指标",) in got
    assert ("附件2：重点项目表",) in got
    top = [h.label for h in plan.headings if h.level == 1]
    assert top == ["第一部分：发展基础", "第二部分：主要任务", "第三部分：保障措施", "附件1：主要指标", "附件2：重点项目表"]
    last = next(c for c in plan.clauses if c.section_path == ("第三部分：保障措施", "一、加强组织领导"))
    assert "附件" not in last.text


def test_contents_written_as_headings_is_not_the_body():
    plan = read_plan(FIXTURES / "contents_as_headings.md")
    assert plan.document.title == "某某市节约用水条例"
    assert [(h.level, h.label) for h in plan.headings] == [
        (1, "第一章 总 则"), (2, "第一条"), (2, "第二条"),
        (1, "第二章 节水管理"), (2, "第一节 取水管理"), (3, "第三条"), (2, "第二节 用水管理"), (3, "第四条"),
        (1, "第三章 附 则"), (2, "第五条"),
    ]


def test_new_schemes_start_a_line_in_cleaning_and_pdf_joining():
    for heading in ["第一部分：发展基础", "附件1：主要指标", "第二款 前款规定"]:
        assert clean_text(f"上一行没有句号，\n{heading}\n") == f"上一行没有句号，\n{heading}\n"
        assert _clean_pdf_pages([f"上一行没有句号\n{heading}"]) == f"上一行没有句号\n{heading}"


def test_real_plan_in_parts():
    plan = read_plan(MORE / "shanghai-putuo_greening-cityscape-15th-fyp-2026.md")
    top = [h.label for h in plan.headings if h.level == 1]
    assert top == [
        "第一部分：发展基础", "第二部分：发展趋势", "第三部分：指导方针", "第四部分：发展目标和主要指标",
        "第五部分：主要任务", "第六部分：保障措施",
    ]
    assert ("第三部分：指导方针", "二、基本原则", "（一）对标上位、衔接全域，确保规划同向性") in paths(plan)


def test_real_regulation_with_contents_as_headings():
    plan = read_plan(MORE / "beijing_water-saving-regulation-2022.md")
    assert plan.document.title == "北京市节水条例"
    articles = [h for h in plan.headings if h.scheme == "第条"]
    assert [h.number for h in articles] == [str(n) for n in range(1, 72)]
    assert articles[0].path == ("第一章 总 则", "第一条")  # not under 第六章, the contents list's last line
    assert [h.label for h in plan.headings if h.level == 1][0] == "第一章 总 则"


def test_lost_characters_are_marked_not_read_as_question_marks():
    from indexer.clean import clean_text
    from indexer.sentences import sentence_spans

    text = clean_text("發展服務機構,向?qū)I(yè)化、品牌化發展。\n")
    assert text == "發展服務機構,向□□化、品牌化發展。\n"
    assert len(sentence_spans(text)) == 1  # one sentence, not cut at the "?"
    assert clean_text("What? Yes\n") == "What? Yes\n"  # a question mark in Latin text stays


def test_question_marks_and_letters_in_a_clean_text_are_not_lost_characters():
    from indexer.clean import clean_text

    assert clean_text("什么是高价值专利?高价值专利是指…\n") == "什么是高价值专利?高价值专利是指…\n"
    assert clean_text("见图1(a)和图1(b)，按表2(c)执行。\n") == "见图1(a)和图1(b)，按表2(c)执行。\n"
