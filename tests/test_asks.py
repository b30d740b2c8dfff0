"""The kinds of fact a question asks for (金额, 比例, 期限, 时间, 联系方式, 条件): a question that asks for one is
answered only by a clause that states one (retrieval/asks.py, indexer/resources/answer-types.tsv)."""

from __future__ import annotations

import json

import pytest

from retrieval.answer import NOT_STATED, answer
from retrieval.asks import answer_types, unstated
from retrieval.highlight import query_terms
from retrieval.query import parse_query


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("示范区项目的建设资金有多少？", ("money",)),
        ("专利奖一等奖奖金多少元", ("money",)),
        ("風險補償比例是多少？", ("ratio", "money")),  # traditional: the parsed (simplified) text is asked
        ("取水许可证的有效期是几年？", ("duration",)),
        ("条例是哪一年开始施行的？", ("date",)),
        ("保护中心的咨询电话是多少？", ("contact",)),
        ("中小企业怎么用专利去银行贷款？", ()),
        ("各地如何推动知识产权纠纷多元化解？", ()),  # 多元 is not a sum of 元
        ("高价值发明专利目标是多少？", ()),  # a target: any figure, not one of these kinds
        # a kind's word inside another word or phrase asks for none of these facts
        ("经费保障有哪几个方面？", ()),  # 哪几: which ones, not how much
        ("政府投资项目有几类？", ()),  # a count of kinds, not a sum
        ("行政处罚如何遵循比例原则？", ()),  # the principle of proportionality, not a share
        ("如何打击电话诈骗和骚扰电话？", ()),
        ("近几年知识产权保护取得了哪些成效？", ()),  # recent years, not a time limit
        ("奖励资金有几万元？", ("money",)),
        ("补贴几千块钱？", ("money",)),
        ("示范基地的申报条件是什么？", ("conditions",)),
        ("开店挂招牌要准备哪些材料？", ("conditions",)),
        ("水效标识产品有什么要求？", ()),  # requirements a plan states in prose, not a list to hand in
        # who sets it asks for a body (stop 27: answered 「没有写明所问金额」 beside the clause naming them)
        ("学校课后服务的收费标准由谁来定？", ()),
        ("补贴标准由哪个部门制定？", ()),
        ("哪些单位可以申请补贴，每家补贴多少元？", ("money",)),  # who and how much: the sum still asked (review)
        ("牵头部门对违法行为罚款多少元？", ("money",)),
    ],
)
def test_what_a_question_asks_for(question, kinds):
    assert parse_query(question).asks == kinds


@pytest.mark.parametrize(
    ("kind", "stated", "not_stated"),
    [
        ("money", "到2025年质押融资金额达7000万元。", "完善知识产权质押融资风险补偿机制。"),
        ("money", "獎勵五萬元", "加大奖励力度"),
        ("money", "共安排补助资金1,500.5万元", "补助资金逐年增加"),
        ("duration", "办理期限为十二个月", "逐步延长办理期限"),
        ("ratio", "补偿比例不超过30%", "建立风险补偿机制"),
        ("duration", "有效期为五年", "到2025年，体系基本建成"),  # a year of the calendar is not a time limit
        ("date", "本条例自2019年1月1日起施行。", "适时修订条例"),
        ("contact", "咨询热线：0971-1234567", "设立咨询窗口外的服务"),
        ("conditions", "申请人应当具备下列条件：", "建设一批示范基地"),
    ],
)
def test_whether_a_clause_states_it(kind, stated, not_stated):
    label = next(t.label for t in answer_types() if t.name == kind)
    assert unstated((kind,), [stated]) == ""
    assert unstated((kind,), [not_stated.replace("窗口", "")]) == label
    assert unstated((kind,), [not_stated.replace("窗口", ""), stated]) == ""  # any of the best clauses will do
    assert unstated((), [not_stated]) == ""


def test_a_question_that_asks_for_two_kinds_takes_either_and_names_the_narrower():
    kinds = parse_query("风险补偿比例是多少？").asks
    assert unstated(kinds, ["补偿比例不超过30%"]) == ""
    assert unstated(kinds, ["补偿资金500万元"]) == ""
    assert unstated(kinds, ["建立风险补偿机制"]) == "比例"


def test_the_fact_must_stand_beside_the_questions_words():
    terms = query_terms(parse_query("专利奖的奖金是多少？").content_text)
    beside = "设立专利奖。专利奖奖金每项10万元。"
    elsewhere = "设立专利奖，表彰发明人。全省质押融资登记金额8.1亿元。"
    assert unstated(("money",), [beside], terms) == ""
    assert unstated(("money",), [elsewhere], terms) == "金额"
    assert unstated(("money",), [elsewhere]) == ""  # without the question's words, anywhere in the text
    # a text none of whose sentences holds a question word counts whole
    assert unstated(("money",), ["安排资金8.1亿元。"], terms) == ""
    # sentences are cut on the search form: a traditional clause, its full-width ； read as ;
    assert unstated(("money",), ["設立專利獎；全省質押融資登記金額８．１億元。"], terms) == "金额"
    assert unstated(("money",), ["設立專利獎；專利獎獎金每項１０萬元。"], terms) == ""


def test_an_answer_takes_the_fact_from_beside_the_questions_words(fake_searcher):
    # 青海's review names its 分析评议 in a sentence without a sum, beside sentences that state others; the
    # region named is no word of the question's (its content words): 青海省专利奖's sales do not answer
    pq = fake_searcher.parse("青海省分析评议的资金有多少？")
    hits = fake_searcher.search(pq, k=10)
    assert any("分析评议" in h.clause.text and "亿元" in h.clause.text for h in hits[:3])
    assert unstated(pq.asks, [h.clause.text for h in hits[:3]]) == ""  # anywhere in the clauses: a sum
    ans = answer(fake_searcher, pq, hits)
    assert ans.abstain and ans.unstated == "金额"


def test_the_unit_asked_for_is_no_topic_word():
    # 元 of 多少元 would make every sentence that states a sum "beside the question's words"
    terms = query_terms(parse_query("专利奖奖金多少元？").content_text)
    assert "元" in terms
    assert unstated(("money",), ["设立专利奖，表彰发明人。全省质押融资登记金额8.1亿元。"], terms) == "金额"
    assert unstated(("money",), ["设立专利奖。专利奖奖金每项10万元。"], terms) == ""


def test_a_table_counts_with_the_line_that_heads_it():
    terms = query_terms(parse_query("补助标准是多少？").content_text)
    table = "补助标准如下：\n一等奖\t10万元\n二等奖\t5万元"
    assert unstated(("money",), [table], terms) == ""
    assert unstated(("money",), ["补助标准另行制定。\n其他事项。\n融资规模\t8亿元"], terms) == "金额"


def test_a_sum_the_plans_do_not_state_is_not_answered(fake_searcher):
    question = "知识产权保护中心的建设资金有多少？"
    pq = fake_searcher.parse(question)
    hits = fake_searcher.search(pq, k=10)
    assert hits and not any("元" in h.clause.text for h in hits[:3])  # the nearest clauses name no sum
    ans = answer(fake_searcher, pq, hits)
    assert ans.abstain and ans.unstated == "金额" and ans.text == NOT_STATED.format(what="金额")
    assert not ans.sentences


def test_a_sum_the_plans_state_is_answered(fake_searcher):
    pq = fake_searcher.parse("博州知识产权质押融资金额到2025年达到多少万元？")
    hits = fake_searcher.search(pq, k=10)
    ans = answer(fake_searcher, pq, hits)
    assert pq.asks == ("money",) and ans.unstated == ""
    assert not ans.abstain and any("7000" in f for f in ans.figures)


def test_the_cli_says_what_was_not_stated(fake_index_dir, capsys):
    from retrieval.__main__ import main

    assert main(["search", "知识产权保护中心的建设资金有多少？", "--json", "--index", str(fake_index_dir)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["abstain"] and out["unstated"] == "金额" and out["results"]  # the nearest clauses still listed


def test_a_section_the_reader_named_is_shown_whatever_it_asks(fake_searcher):
    pq = fake_searcher.parse("青海 四、(一)2.的资金有多少？")
    hits = fake_searcher.search(pq, k=10)
    assert pq.asks == ("money",) and "section reference" in hits[0].reasons
    assert not any("元" in h.clause.text for h in hits[:3])  # no sum stated, but the reader asked for this clause
    ans = answer(fake_searcher, pq, hits)
    assert not ans.abstain and ans.unstated == ""


def test_a_share_named_by_比重_or_占比_is_no_sum():
    # a sixth review (stop 28): 非化石能源消费比重目标是多少 abstained 「没有写明所问金额」 — 费 of 消费 asked for a sum
    assert parse_query("江西省2030年非化石能源消费比重目标是多少？").asks == ("ratio",)
    assert parse_query("高技能人才占比是多少").asks == ("ratio",)
    assert parse_query("工作经费有多少").asks == ("money",) and parse_query("消费券发多少钱").asks == ("money",)
