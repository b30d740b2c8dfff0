"""Answers written by a model (retrieval/llm, ui/generated.py, the CLI's generated_answer), against the
scripted local endpoint of tests/fakellm.py: grounded answers streamed and not, unsupported sentences,
timeouts, rate limits, malformed output, a down endpoint, abstention, the CLI shape and the Ask page."""

from __future__ import annotations

import json
import time

import pytest

from indexer.embedding.settings import InvalidSettings
from retrieval.__main__ import main as retrieval_main
from retrieval.answer import answer
from retrieval.llm import GenerationStream, LLMSettings, generate
from retrieval.llm.generation import ABSTAINED
from retrieval.llm.grounding import check, split
from retrieval.llm.prompt import NO_ANSWER, SYSTEM, sources

from .fakellm import Drip, FakeLLM, Raw, Reply, Stall, Status, closed_port_url
from .test_browser import browser  # noqa: F401 - the headless Chromium fixture (skips without one)

QUESTION = "中小企业怎么用专利去银行贷款？"
FINANCE_CLAUSE = "qinghai_ip-protection-and-use-plan-14th-fyp:4.3.3"
# Two sentences the finance clause [1] (青海省 规划 · 四（三）3) and [2] (博尔塔拉蒙古自治州 · 二（一）3) support, one as
# the model paraphrases, one copied; marks before and after the full stop.
GROUNDED = "中小企业可以用知识产权进行质押融资，向银行申请贷款[1]。博州推广专利质押融资新模式，探索开展专利保险、证券化等业务。[2]"
OFF_TOPIC = "各地将加快建设区块链数字货币交易平台[1]。"
ABSTAINING = "今天天气怎么样？"


@pytest.fixture(autouse=True)
def no_settings_file(monkeypatch, tmp_path):
    """Each test configures its own endpoint (or none; conftest clears PLANSEARCH_LLM_*), whatever a
    plansearch.toml in the working folder says."""
    monkeypatch.delenv("PLANSEARCH_SETTINGS", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def asked(fake_searcher):
    hits = fake_searcher.search(QUESTION, k=10)
    extractive = answer(fake_searcher, QUESTION, hits)
    assert not extractive.abstain and hits[0].clause_id == FINANCE_CLAUSE
    return hits, extractive


def run(searcher, asked, llm: FakeLLM, *, stream: bool, timeout: float = 5.0, question: str = QUESTION):
    hits, extractive = asked
    settings = LLMSettings(llm.base_url if isinstance(llm, FakeLLM) else llm, "fake-qwen", "sk-test", timeout)
    if not stream:
        return generate(settings, question, hits, extractive, searcher.term_weights())
    s = GenerationStream(settings, question, hits, extractive, searcher.term_weights())
    pieces = list(s)
    assert "".join(pieces) == s.result.raw
    return s.result


# --- settings --------------------------------------------------------------------------------------------


def test_no_endpoint_means_no_model(monkeypatch):
    assert LLMSettings.from_env() is None


def test_settings_from_toml_and_env_wins(monkeypatch, tmp_path):
    (tmp_path / "plansearch.toml").write_text(
        '[embedding]\nmodel = "fake:8"\n\n[llm]\nbase_url = "http://127.0.0.1:9/v1/"\nmodel = "qwen"\ntimeout = 12\n',
        encoding="utf-8",
    )
    s = LLMSettings.from_env()
    assert (s.base_url, s.model, s.api_key, s.timeout) == ("http://127.0.0.1:9/v1", "qwen", "", 12.0)
    monkeypatch.setenv("PLANSEARCH_LLM_MODEL", "deepseek")
    monkeypatch.setenv("PLANSEARCH_LLM_API_KEY", "sk-secret")
    s = LLMSettings.from_env()
    assert (s.model, s.api_key) == ("deepseek", "sk-secret") and "sk-secret" not in repr(s)
    monkeypatch.setenv("PLANSEARCH_LLM_TIMEOUT", "soon")
    with pytest.raises(InvalidSettings, match="PLANSEARCH_LLM_TIMEOUT"):
        LLMSettings.from_env()
    (tmp_path / "plansearch.toml").write_text('[llm]\nbase_url = "ftp://x"\n', encoding="utf-8")
    monkeypatch.delenv("PLANSEARCH_LLM_TIMEOUT")
    with pytest.raises(InvalidSettings, match="http"):
        LLMSettings.from_env()


# --- grounded answers -------------------------------------------------------------------------------------


@pytest.mark.parametrize("chunked", [False, True], ids=["closed", "chunked"])
@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_grounded_answer(fake_searcher, asked, stream, chunked):
    with FakeLLM(Reply(GROUNDED), chunked=chunked) as llm:
        result = run(fake_searcher, asked, llm, stream=stream)
    assert result.error == "" and result.notice == ""
    assert [s.supported for s in result.sentences] == [True, True]
    assert [s.citations for s in result.sentences] == [(1,), (2,)]
    assert result.text == (
        "中小企业可以用知识产权进行质押融资，向银行申请贷款[1]。"
        "博州推广专利质押融资新模式，探索开展专利保险、证券化等业务[2]。"
    )
    assert [s.clause_id for s in result.cited] == [FINANCE_CLAUSE, asked[0][1].clause_id]
    # What the endpoint was asked: one request, the protocol's shape, the clauses numbered with citations
    (request,) = llm.requests
    body = request["body"]
    assert request["path"] == "/v1/chat/completions" and request["headers"]["Authorization"] == "Bearer sk-test"
    assert body["stream"] is stream and body["model"] == "fake-qwen"
    assert body["messages"][0] == {"role": "system", "content": SYSTEM}
    user = body["messages"][1]["content"]
    assert QUESTION in user and "[1] 青海省 规划 · 四（三）3" in user and asked[0][0].clause.text in user
    assert "只根据这些条款" in SYSTEM and "[1]" in SYSTEM


def test_unsupported_sentence_is_dropped(fake_searcher, asked):
    reply = (
        "中小企业可以用知识产权进行质押融资[1]。"  # supported
        "青海省为此设立了30亿元的风险补偿基金[1]。"  # a figure the clause does not state
        "还可以向银行申请贴息贷款。"  # no citation
        "博州探索专利保险、证券化等业务[2][9]。"  # [9] was never offered: dropped, [2] stays
        + OFF_TOPIC  # cites [1] but its words are not in it
    )
    with FakeLLM(Reply(reply)) as llm:
        result = run(fake_searcher, asked, llm, stream=True)
    verdicts = [(s.supported, s.citations, s.problem.split(" ")[0]) for s in result.sentences]
    assert verdicts == [
        (True, (1,), ""),
        (False, (1,), "figure"),
        (False, (), "no"),
        (True, (2,), ""),
        (False, (1,), "terms"),
    ]
    assert "30亿元" not in result.text and "区块链" not in result.text and "[9]" not in result.text
    assert result.text == "中小企业可以用知识产权进行质押融资[1]。博州探索专利保险、证券化等业务[2]。"
    assert result.notice == "已删去 3 句无法在所引条款中核实的内容。"
    payload = result.to_json()
    assert [s["supported"] for s in payload["sentences"]] == [True, False, False, True, False]
    assert [c["n"] for c in payload["citations"]] == [1, 2]


def test_nothing_verifiable_falls_back(fake_searcher, asked):
    with FakeLLM(Reply(OFF_TOPIC)) as llm:
        result = run(fake_searcher, asked, llm, stream=False)
    assert result.text == "" and result.error == "Unverified"
    assert result.notice == "模型答复暂不可用（模型的答复无法在所引条款中核实），上面是从条款中摘录的答复。"


def test_grounding_figures_years_and_indicator_rows(fake_searcher):
    q = "高价值发明专利目标是多少？"
    offered = sources(fake_searcher.search(q, k=10))
    assert offered[0].text.startswith("“十四五”时期自治州知识产权发展主要指标：每万人口高价值发明专利拥有量（件）")
    w = fake_searcher.term_weights()
    ok = check("到２０２５年，每万人口高价值发明专利拥有量目标为1.5件【1】。", offered, w)
    assert [s.supported for s in ok] == [True]  # full-width digits and brackets; the unit from 「拥有量（件）」
    wrong = check("到2025年，每万人口高价值发明专利拥有量目标为2.5件[1]。到2026年达到1.5件[1]。", offered, w)
    assert [(s.supported, s.problem) for s in wrong] == [
        (False, "figure 2.5件 not in [1]"),
        (False, "number 2026 not in [1]"),
    ]
    assert split("甲乙丙。[1][2]丁戊己[3]！\n**庚辛**[1, 2]") == [
        ("甲乙丙。", (1, 2)),
        ("丁戊己！", (3,)),
        ("庚辛", (1, 2)),
    ]


# --- failures fall back -----------------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
@pytest.mark.parametrize(
    ("step", "error", "reason"),
    [
        (Status(429, "rate limit reached"), "LLMRateLimited", "模型服务繁忙"),
        (Status(503, "overloaded"), "LLMServerError", "模型服务出错"),
        (Raw(b"<html>502 Bad Gateway</html>", "text/html"), "LLMMalformed", "模型返回的内容无法读取"),
        (Raw(b'{"id": "x", "choices": []}'), "LLMMalformed", "模型返回的内容无法读取"),
        (Raw(b"data: {not json\n\ndata: [DONE]\n\n", "text/event-stream"), "LLMMalformed", "模型返回的内容无法读取"),
        (Reply("", finish_reason="content_filter"), "LLMRefused", "模型未作答"),
        (Reply("抱歉。", refusal="I can't help with that."), "LLMRefused", "模型未作答"),
        (Reply(NO_ANSWER), "LLMRefused", "模型未作答"),
    ],
    ids=["429", "503", "html", "no-choices", "bad-event", "filter", "refusal", "declines"],
)
@pytest.mark.parametrize("chunked", [False, True], ids=["closed", "chunked"])
def test_endpoint_failures_fall_back_with_a_notice(fake_searcher, asked, stream, step, error, reason, chunked):
    with FakeLLM(step, chunked=chunked) as llm:
        result = run(fake_searcher, asked, llm, stream=stream)
    assert (result.text, result.error) == ("", error)
    assert result.notice == f"模型答复暂不可用（{reason}），上面是从条款中摘录的答复。"
    assert len(llm.requests) == 1


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
@pytest.mark.parametrize(
    "step", [Stall(30), Stall(30, after="中小企业可以"), Drip(0.1)], ids=["silent", "midway", "trickle"]
)
@pytest.mark.parametrize("chunked", [False, True], ids=["closed", "chunked"])
def test_timeout_is_hard(fake_searcher, asked, stream, step, chunked):
    """The timeout bounds the whole answer: a silent server, one that stops midway, and one that trickles
    text forever (each read is quick) all end within it."""
    with FakeLLM(step, chunked=chunked) as llm:
        start = time.monotonic()
        result = run(fake_searcher, asked, llm, stream=stream, timeout=0.5)
        elapsed = time.monotonic() - start
    assert result.error == "LLMTimeout" and "模型响应超时" in result.notice and result.text == ""
    assert elapsed < 2.0


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_down_endpoint(fake_searcher, asked, stream):
    start = time.monotonic()
    result = run(fake_searcher, asked, closed_port_url(), stream=stream)
    assert result.error == "LLMUnavailable" and "无法连接模型服务" in result.notice
    assert time.monotonic() - start < 3.0


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_abstention_does_not_ask_the_model(fake_searcher, stream):
    hits = fake_searcher.search(ABSTAINING, k=10)
    extractive = answer(fake_searcher, ABSTAINING, hits)
    assert extractive.abstain and hits
    with FakeLLM(Reply(GROUNDED)) as llm:
        result = run(fake_searcher, (hits, extractive), llm, stream=stream, question=ABSTAINING)
    assert llm.requests == []
    assert result.text == "" and result.notice == ABSTAINED


# --- command line -----------------------------------------------------------------------------------------


def test_cli_json_generated_answer(fake_index_dir, monkeypatch, capsys, tmp_path):
    args = ["search", QUESTION, "--json", "--index", str(fake_index_dir)]
    assert retrieval_main(args) == 0
    plain = json.loads(capsys.readouterr().out)
    assert plain["generated_answer"] is None  # no endpoint: nothing asked, the contract keys as before
    with FakeLLM(Reply(GROUNDED + OFF_TOPIC)) as llm:
        monkeypatch.setenv("PLANSEARCH_LLM_BASE_URL", llm.base_url)
        monkeypatch.setenv("PLANSEARCH_LLM_MODEL", "fake-qwen")
        assert retrieval_main(args) == 0
        out = json.loads(capsys.readouterr().out)
        assert llm.requests[0]["body"]["stream"] is False
    assert {k: out[k] for k in ("answer", "abstain", "results")} == {
        k: plain[k] for k in ("answer", "abstain", "results")
    }
    g = out["generated_answer"]
    assert {"text", "sentences", "citations", "model", "notice"} <= set(g)
    assert g["model"] == "fake-qwen" and g["text"].endswith("证券化等业务[2]。")
    assert [(s["citations"], s["supported"]) for s in g["sentences"]] == [([1], True), ([2], True), ([1], False)]
    assert all(isinstance(s["text"], str) and s["text"] for s in g["sentences"])
    assert g["citations"][0] == {
        "n": 1,
        "clause_id": FINANCE_CLAUSE,
        "citation": plain["results"][0]["citation"],
        "short_citation": "青海省 规划 · 四（三）3",
    }
    assert g["notice"] == "已删去 1 句无法在所引条款中核实的内容。"
    batch = tmp_path / "q.jsonl"
    batch.write_text(
        json.dumps({"id": 1, "question": QUESTION}) + "\n" + json.dumps({"id": 2}) + "\n", encoding="utf-8"
    )
    with FakeLLM(Reply(GROUNDED)) as llm:
        monkeypatch.setenv("PLANSEARCH_LLM_BASE_URL", llm.base_url)
        assert retrieval_main(["search", "--json", "--batch", str(batch), "--index", str(fake_index_dir)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0]["generated_answer"]["text"] and lines[1]["generated_answer"] is None and len(llm.requests) == 1
    monkeypatch.setenv("PLANSEARCH_LLM_BASE_URL", closed_port_url())
    assert retrieval_main(["search", QUESTION, "--index", str(fake_index_dir)]) == 0  # plain output, endpoint down
    text = capsys.readouterr().out
    assert text.startswith("答：") and "（模型答复暂不可用（无法连接模型服务），上面是从条款中摘录的答复。）" in text


# --- the Ask page -----------------------------------------------------------------------------------------


def _reply_from_prompt(request) -> Reply:
    """A grounded reply built from what was asked: the first sentence of clause [1], cited."""
    user = request["body"]["messages"][1]["content"]
    clause = user.split("\n[1] ", 1)[1].split("\n", 2)[1]
    sentence = clause.split("。")[1] + "。"
    return Reply(sentence[:-1] + "[1]。[7]", chunk=3)


@pytest.mark.usefixtures("fresh_streamlit_cache")
def test_ask_page_streams_a_cited_answer(env, monkeypatch, fake_searcher):
    from .apphelpers import app, html, shown, texts

    with FakeLLM(_reply_from_prompt) as llm:
        monkeypatch.setenv("PLANSEARCH_LLM_BASE_URL", llm.base_url)
        at = app()
        at.text_input(key="q").input(QUESTION).run()
        assert not at.exception
        assert len(llm.requests) == 1 and llm.requests[0]["body"]["stream"] is True
        page = html(at)
        assert 'class="answer-box"' in page and "〔青海省 规划 · 四（三）3〕" in page  # the extractive answer stays
        assert "#### 模型整理的答复" in page
        expected = "强化协调联动，优化资源整合，完善知识产权质押融资相关政策，建立适合我省中小企业知识产权质押融资特点的风险补偿和免责机制"
        assert f'{expected}<span class="answer-cite">[1]</span>。' in page
        assert "[7]" not in page  # a number that was never offered is not a citation
        # Every citation opens its clause in place: an expander with the same number holding the clause
        # (the cards' expanders are labelled 查看上下文 / 其他地区的可比条款)
        cited = [e for e in at.expander if shown(e.label).startswith("[")]
        assert [shown(e.label) for e in cited] == ["[1] 青海省 规划 · 四（三）3"]
        inside = "\n".join(texts(cited[0].markdown))
        assert '完善知识产权<mark class="hl-term">质押融资</mark>相关政策' in inside  # the clause, highlighted
        assert cited[0].code[0].value.startswith("《青海省“十四五”知识产权保护和运用规划》 四、重点任务")
        # a rerun (more cards) shows the kept answer without asking again
        at.button(key="ask-more").click().run()
        assert not at.exception and len(llm.requests) == 1
        assert f'{expected}<span class="answer-cite">[1]</span>。' in html(at)
        # a question the retrieval abstains on: the model is not asked, nothing extra shows
        at.text_input(key="q").input(ABSTAINING).run()
        assert not at.exception and len(llm.requests) == 1 and "模型整理的答复" not in html(at)


@pytest.mark.usefixtures("fresh_streamlit_cache")
def test_ask_page_with_the_endpoint_down(env, monkeypatch):
    from .apphelpers import app, html, texts

    monkeypatch.setenv("PLANSEARCH_LLM_BASE_URL", closed_port_url())
    at = app()
    at.text_input(key="q").input(QUESTION).run()
    assert not at.exception
    page = html(at)
    assert 'class="answer-box"' in page and "〔青海省 规划 · 四（三）3〕" in page  # the extractive answer
    assert texts(at.info) == ["模型答复暂不可用（无法连接模型服务），上面是从条款中摘录的答复。"]
    assert "模型整理的答复" not in page


@pytest.mark.usefixtures("fresh_streamlit_cache")
def test_ask_page_without_endpoint_is_unchanged(env):
    from .apphelpers import app, html

    at = app()
    at.text_input(key="q").input(QUESTION).run()
    assert not at.exception and not at.info and "模型" not in html(at)


# --- in a real browser ------------------------------------------------------------------------------------


@pytest.fixture
def model_app(fake_index_dir, tmp_path):
    """`streamlit run app.py` on the fake index with the scripted endpoint configured; yields (url, llm)."""
    import os
    import subprocess
    import sys

    from .test_browser import ROOT, _free_port, _wait_healthy

    slow = Reply(GROUNDED, chunk=2, delay=0.15)  # ~7 s of streaming: long enough to watch it fill in
    with FakeLLM(slow) as llm:
        port = _free_port()
        env = {
            **os.environ,
            "PLANSEARCH_INDEX": str(fake_index_dir),
            "PLANSEARCH_DATA": str(ROOT / "data"),
            "PLANSEARCH_LLM_BASE_URL": llm.base_url,
            "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        }
        cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
               "--server.port", str(port), "--server.address", "127.0.0.1", "--server.fileWatcherType", "none"]  # fmt: skip
        with (tmp_path / "streamlit.log").open("w") as log:
            proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            url = f"http://127.0.0.1:{port}"
            try:
                _wait_healthy(url, proc)
                yield url, llm
            finally:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()


@pytest.mark.browser
def test_browser_streams_then_shows_the_checked_answer(model_app, request, tmp_path):
    """What a person sees: the answer fills in while the model writes, then the checked answer with [1] [2],
    each opening its clause in place; the streamed draft does not stay on the page."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    from .test_browser import _wait

    url, llm = model_app
    driver = request.getfixturevalue("browser")  # tests/test_browser.py's headless Chromium
    driver.get(url)
    _wait(driver, 'input[aria-label="输入问题，按回车检索"]').send_keys(QUESTION + Keys.ENTER)
    box = '[class*="st-key-generated"]'
    _wait(driver, box, text="中小企业可以")  # part of the reply, while the rest is still coming
    assert "证券化等业务" not in driver.find_element(By.CSS_SELECTOR, box).text
    driver.save_screenshot(str(tmp_path / "streaming.png"))
    _wait(driver, f"{box} .answer-box", timeout=30)
    answer = driver.find_element(By.CSS_SELECTOR, f"{box} .answer-box")
    assert [c.text for c in answer.find_elements(By.CSS_SELECTOR, ".answer-cite")] == ["[1]", "[2]"]
    assert driver.find_element(By.CSS_SELECTOR, box).text.count("证券化等业务") == 1  # no stale draft
    for n, clause_start in ((1, "3.深化知识产权金融服务"), (2, "推进专利金融创新发展")):
        # the sources are drawn just after the answer box: wait for each (a loaded machine drew them late)
        expander = _wait(driver, f'[class*="st-key-gen-src-{n}"] summary')
        assert expander.text.endswith(f"[{n}] {('青海省 规划 · 四（三）3', '博尔塔拉蒙古自治州 · 二（一）3')[n - 1]}")
        _click_when_free(driver, expander)
        _wait(driver, f'[class*="st-key-gen-src-{n}"] .clause-text', text=clause_start)
    driver.save_screenshot(str(tmp_path / "generated.png"))
    assert len(llm.requests) == 1


def _click_when_free(driver, element, timeout: float = 10.0) -> None:
    """Click once nothing drawn later covers the element: on a loaded machine the page is still laying out
    the cards below the answer when the first source appears (a clean clone's run had another element take
    the click)."""
    import time

    from selenium.common.exceptions import ElementClickInterceptedException

    deadline = time.monotonic() + timeout
    while True:
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
        try:
            element.click()
            return
        except ElementClickInterceptedException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def test_bad_settings_stop_the_cli_and_leave_the_app_extractive(env, fake_index_dir, monkeypatch, capsys):
    import streamlit as st

    from ui.generated import MISCONFIGURED

    from .apphelpers import app, html, texts

    monkeypatch.setenv("PLANSEARCH_LLM_BASE_URL", "127.0.0.1:8000")  # no scheme
    assert retrieval_main(["search", QUESTION, "--index", str(fake_index_dir)]) == 1
    assert capsys.readouterr().err.strip() == "error: llm base_url must be an http(s) URL, not '127.0.0.1:8000'"
    st.cache_resource.clear()
    at = app()
    at.text_input(key="q").input(QUESTION).run()
    assert not at.exception and "〔青海省 规划 · 四（三）3〕" in html(at)
    assert texts(at.info) == [MISCONFIGURED]
    st.cache_resource.clear()


def test_a_stream_is_asked_once(fake_searcher, asked):
    hits, extractive = asked
    with FakeLLM(Reply(GROUNDED)) as llm:
        settings = LLMSettings(llm.base_url, timeout=5)
        whole = GenerationStream(settings, QUESTION, hits, extractive, fake_searcher.term_weights())
        assert whole.result.text and list(whole) == []  # result without iterating asks; iterating again does not
        left = GenerationStream(settings, QUESTION, hits, extractive, fake_searcher.term_weights())
        pieces = iter(left)
        next(pieces)
        pieces.close()  # what a rerun does to the page's generator
        assert left.result.error == "LLMMalformed" and left.result.text == ""
    assert len(llm.requests) == 2


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
@pytest.mark.parametrize("opening", ["<think>", ""], ids=["tagged", "tag-in-template"])
def test_a_reasoning_models_thinking_is_neither_shown_nor_checked(fake_searcher, asked, stream, opening):
    thinking = f"{opening}用户问贷款。条款[1]说30亿元，不能回答的部分略过。</think>\n\n"
    hits, extractive = asked
    with FakeLLM(Reply(thinking + GROUNDED, chunk=3)) as llm:
        settings = LLMSettings(llm.base_url, timeout=5)
        if stream:
            s = GenerationStream(settings, QUESTION, hits, extractive, fake_searcher.term_weights())
            shown = "".join(s)
            result = s.result
            if opening:  # with the tag the thinking is recognised from its first piece
                assert shown == GROUNDED
        else:
            result = generate(settings, QUESTION, hits, extractive, fake_searcher.term_weights())
    assert "30亿元" not in result.text and result.error == "" and result.notice == ""
    assert [s.supported for s in result.sentences] == [True, True]


@pytest.mark.usefixtures("fresh_streamlit_cache")
def test_model_output_is_text_never_markup(env, monkeypatch):
    from .apphelpers import app, html, live_markup

    sentence = "强化协调联动，优化资源整合，完善知识产权质押融资相关政策，建立适合我省中小企业知识产权质押融资特点的风险补偿和免责机制"
    hostile = f"{sentence}<img src=x onerror=x>[融资](javascript:x)[1]。"
    with FakeLLM(Reply(hostile)) as llm:
        monkeypatch.setenv("PLANSEARCH_LLM_BASE_URL", llm.base_url)
        at = app()
        at.text_input(key="q").input(QUESTION).run()
    assert not at.exception and "模型整理的答复" in html(at)
    assert "&lt;img src=x onerror=x&gt;[融资](javascript:x" in html(at)  # shown as the text it is
    assert live_markup(at) == []


def test_grounding_rejects_a_changed_statement_in_supported_words():
    """Found by review: well-worded sentences that contradict their clause passed on word coverage."""
    from retrieval.cite import Citation
    from retrieval.llm.prompt import Source

    clause = "（省知识产权局牵头，省财政厅等按职责分工负责）支持中小企业开展专利权质押融资，到2025年，质押融资登记金额达到30亿元。"
    citation = Citation("《山西省规划》 三、任务", "山西省 · 三", "山西省", "山西省规划", "三、任务", "x:3", "x.txt")
    offered = [Source(1, "x:3", citation, clause, "三、任务")]
    w = {"支持": 1.0, "中小企业": 3.0, "专利权": 3.0, "质押": 3.0, "融资": 2.0, "登记": 2.0, "金额": 2.0}
    assert [s.supported for s in check("山西省支持中小企业开展专利权质押融资[1]。", offered, w)] == [True]
    for wrong, why in [
        ("省财政厅牵头支持中小企业开展专利权质押融资[1]。", "lead"),
        ("省知识产权局不支持中小企业开展专利权质押融资[1]。", "negation"),
        ("禁止中小企业开展专利权质押融资[1]。", "negation"),
        ("青海省支持中小企业开展专利权质押融资[1]。", "region"),
        ("到2025年，质押融资登记金额达到三百亿元[1]。", "figure"),
        ("省商务厅支持中小企业开展专利权质押融资[1]。", "organisation"),
    ]:
        [result] = check(wrong, offered, w)
        assert not result.supported and result.problem.startswith(why), (wrong, result.problem)
