"""One real run of what a person sees: `streamlit run serve.py` (app.py, the index opened at start) on the fake-embedder index, driven by Debian's
headless Chromium through selenium. Marked `browser`; skipped when Chromium or its driver is missing."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.apphelpers import EDITOR_PASSWORD

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
MISSING = "Debian chromium + chromium-driver not installed; scripts/test.sh installs them when run as root"
QUESTION = "中小企业怎么用专利去银行贷款？"
FINANCE_CLAUSE = "qinghai_ip-protection-and-use-plan-14th-fyp:4.3.3"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"streamlit did not answer at {url} within {timeout}s")


@pytest.fixture
def server(fake_index_dir, editor_hash, tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "PLANSEARCH_INDEX": str(fake_index_dir),
        "PLANSEARCH_DATA": str(ROOT / "data"),
        "PLANSEARCH_EDITOR_PASSWORD_HASH": editor_hash,  # the Library's upload form is shown once unlocked
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    }
    log = (tmp_path / "streamlit.log").open("w")
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "serve.py",
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.fileWatcherType",
        "none",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture
def browser(tmp_path):
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip(MISSING)
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-dev-shm-usage",
        "--window-size=1400,1800",
        f"--user-data-dir={tmp_path / 'chromium'}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver, css: str, timeout: float = 60, text: str = ""):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, timeout)
    if text:
        wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, css), text))
    return wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, css)))


def test_question_and_enter_show_highlighted_clause_with_citation(server, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(server)
    box = _wait(browser, 'input[aria-label="输入问题，按回车检索"]')
    box.send_keys(QUESTION + Keys.ENTER)
    mark = _wait(browser, "mark.hl-sentence")
    assert mark.text
    _wait(browser, ".answer-box", text="〔青海省 规划 · 四（三）3〕")
    citations = [c.text for c in browser.find_elements(By.CSS_SELECTOR, '[data-testid="stCode"] code')]
    assert any(c.startswith("《青海省“十四五”知识产权保护和运用规划》 四、重点任务") for c in citations)
    assert "q=" in browser.current_url  # the question is in the URL: the page can be shared
    shot = tmp_path / "ask.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000


def test_deep_link_opens_the_clause_highlighted_in_browse(server, browser, tmp_path):
    browser.get(f"{server}/browse?clause={quote(FINANCE_CLAUSE)}&q={quote('专利 金融')}")
    current = _wait(browser, ".ctx-current", text="3.深化知识产权")
    marks = current.find_elements("css selector", "mark.hl-term")
    assert marks and marks[0].value_of_css_property("background-color") == "rgba(255, 216, 168, 1)"  # our styles
    # The first request after the server starts is this deep link: it runs inside app.py's navigation
    # (Chinese page titles, our styles), as every st.navigation app's pages do (app_pages/, no pages/).
    nav = " ".join(e.text for e in browser.find_elements("css selector", '[data-testid="stSidebarNav"] a'))
    assert "浏览条款" in nav and "browse" not in nav
    browser.save_screenshot(str(tmp_path / "browse.png"))


# --- what a reader sees, page by page (issue 12) ----------------------------------------------------------

# ASCII words a reader may meet outside document text: file formats and units.
ALLOWED_WORDS = {"PDF", "DOCX", "CSV", "TXT", "MD", "HTML", "HTM", "Markdown", "MB", "KB", "GDP"}
# Where document text is shown (clauses, titles, headings, citations), or icons drawn from ligature names.
DOCUMENT_TEXT = ", ".join(
    (
        ".clause-text",
        ".answer-box",
        ".cite-head",
        ".ctx-block",
        ".ctx-parent",
        "[data-testid='stCode']",
        "code",
        "[data-testid='stIconMaterial']",
        "[data-testid='stRadio'] label",
        "[data-testid='stSelectbox'] [value]",
        "[data-testid='stPageLink'] p",
        "[data-testid='stExpander'] summary p",
    )
)
VISIBLE_WORDS = """
const skip = arguments[0];
const words = [];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let n = walker.nextNode(); n; n = walker.nextNode()) {
  const el = n.parentElement;
  if (!el || el.closest(skip) || el.closest("script, style, noscript")) continue;
  if (getComputedStyle(el).fontFamily.includes("Material")) continue;  // an icon: its ligature's name
  if (!el.checkVisibility({opacityProperty: true, visibilityProperty: true})) continue;
  for (const w of n.nodeValue.match(/[A-Za-z]{2,}/g) || []) words.push(w + "  ⟵  " + n.nodeValue.trim().slice(0, 80));
}
for (const el of document.querySelectorAll("[title], [aria-label], input[placeholder]")) {
  if (el.closest(skip) || !el.checkVisibility()) continue;
  for (const name of ["title", "placeholder"]) {
    for (const w of (el.getAttribute(name) || "").match(/[A-Za-z]{2,}/g) || []) words.push(w + "  ⟵  @" + name);
  }
}
return words;
"""
PAGES = {
    "ask": ("", "问答检索"),
    "compare": ("compare", "地区对比"),
    "browse": (f"browse?clause={quote(FINANCE_CLAUSE)}&q={quote('专利 金融')}", "浏览条款"),
    "targets": ("targets", "量化指标"),
    "library": ("library", "文件库"),
}


def _english(driver) -> list[str]:
    words = driver.execute_script(VISIBLE_WORDS, DOCUMENT_TEXT)
    return [w for w in words if w.split()[0] not in ALLOWED_WORDS]


def _settle(driver, seconds: float = 1.0) -> None:
    """Until Streamlit has finished the run (its status widget gone) and the page stopped moving."""
    from selenium.webdriver.support.ui import WebDriverWait

    time.sleep(0.3)
    WebDriverWait(driver, 60).until(lambda d: not d.find_elements("css selector", '[data-testid="stStatusWidget"]'))
    time.sleep(seconds)


def _open(driver, server: str, page: str):
    path, title = PAGES[page]
    driver.get(f"{server}/{path}")
    _wait(driver, "h3", text=title)
    return title


def test_every_page_is_in_chinese_with_its_own_tab_title_and_a_screenshot(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    found = {}
    for page in PAGES:
        title = _open(browser, server, page)
        if page == "ask":
            box = _wait(browser, 'input[aria-label="输入问题，按回车检索"]')
            box.send_keys(QUESTION + Keys.ENTER)
            _wait(browser, ".answer-box")
        elif page == "compare":
            _wait(browser, 'input[aria-label="对比主题，按回车"]').send_keys("植物新品种" + Keys.ENTER)
            _wait(browser, "mark")
        elif page == "targets":
            _wait(browser, '[data-testid="stVegaLiteChart"], [data-testid="stArrowVegaLiteChart"]')
        elif page == "library":  # unlock editing: the upload form with its Streamlit-drawn texts
            _wait(browser, 'input[type="password"]').send_keys(EDITOR_PASSWORD + Keys.ENTER)
            _wait(browser, '[data-testid="stFileUploaderDropzone"]')
        _settle(browser)
        assert browser.title == f"{title} · 规划条款检索"
        assert not browser.find_elements(By.CSS_SELECTOR, '[data-testid="stMainMenu"]')  # no ⋮ menu
        found[page] = _english(browser)
        browser.execute_script("window.scrollTo(0, 0)")
        assert browser.save_screenshot(str(ROOT / "docs" / f"screenshot-{page}.png"))
    assert found == {page: [] for page in PAGES}, found


def test_streamlit_words_in_dropdowns_uploader_and_code_are_chinese(server, browser):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(f"{server}/?q={quote(QUESTION)}")
    _wait(browser, ".answer-box")
    _settle(browser, 0.5)
    # the region filter: a short list to pick from, no 「Select all」
    browser.find_element(By.CSS_SELECTOR, '.st-key-ask-regions input[role="combobox"]').click()
    menu = _wait(browser, '[role="listbox"]')
    assert "山西省" in menu.text and "Select all" not in menu.text and "全选" not in menu.text
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
    # the department box takes a name that is not listed: no 「No results」/「Add: …」
    dept = browser.find_element(By.CSS_SELECTOR, ".st-key-ask-department input")
    dept.click()
    dept.send_keys("无此部门")
    time.sleep(0.8)
    page = browser.find_element(By.TAG_NAME, "body").text
    assert "使用“无此部门”" in page and "Add:" not in page and "No results" not in page
    dept.send_keys(Keys.ESCAPE)
    # a citation's copy button
    code = browser.find_element(By.CSS_SELECTOR, '[data-testid="stCode"]')
    ActionChains(browser).move_to_element(code).perform()
    time.sleep(0.3)
    button = code.find_element(By.CSS_SELECTOR, "button")
    ActionChains(browser).move_to_element(button).perform()
    time.sleep(0.8)
    labels = [button.get_attribute(a) or "" for a in ("title", "aria-label")]
    tips = [
        t.text for t in browser.find_elements(By.CSS_SELECTOR, '[role="tooltip"], [data-testid="stTooltipContent"]')
    ]
    assert not [t for t in labels + tips if "Copy" in t], labels + tips
    assert any("复制" in t for t in labels + tips), labels + tips
    english = _english(browser)
    assert english == [], english


def test_back_after_opening_a_clause_returns_to_the_question(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(server)
    _wait(browser, 'input[aria-label="输入问题，按回车检索"]').send_keys(QUESTION + Keys.ENTER)
    _wait(browser, ".answer-box")
    _settle(browser, 0.5)
    link = next(
        a for a in browser.find_elements(By.CSS_SELECTOR, '[data-testid="stPageLink"] a') if "在浏览页中打开" in a.text
    )
    link.click()
    _wait(browser, ".ctx-current")
    assert "/browse?clause=" in browser.current_url
    browser.back()
    _wait(browser, ".answer-box")
    box = _wait(browser, 'input[aria-label="输入问题，按回车检索"]')
    assert box.get_attribute("value") == QUESTION and "q=" in browser.current_url


def test_ask_path_opens_the_ask_page_without_an_error_box(server, browser):
    from selenium.webdriver.common.by import By

    for path in ("ask", f"ask?q={quote(QUESTION)}"):
        browser.get(f"{server}/{path}")
        _wait(browser, "h3", text="问答检索")
        _settle(browser)
        alerts = " ".join(
            e.text for e in browser.find_elements(By.CSS_SELECTOR, '[role="dialog"], [data-testid="stAlert"]')
        )
        assert "not found" not in alerts and "页面不存在" not in alerts, alerts
        assert browser.title == "问答检索 · 规划条款检索"
    _wait(browser, ".answer-box")  # /ask?q=… asked the question
    assert (
        browser.find_element(By.CSS_SELECTOR, 'input[aria-label="输入问题，按回车检索"]').get_attribute("value")
        == QUESTION
    )


def test_comparable_clauses_are_links_to_browse(server, browser):
    from selenium.webdriver.common.by import By

    browser.get(f"{server}/?q={quote(QUESTION)}")
    _wait(browser, ".answer-box")
    _settle(browser, 0.5)
    browser.find_elements(By.XPATH, "//summary[contains(., '其他地区的可比条款')]")[0].click()
    _wait(browser, "[data-testid='stExpanderDetails'] [data-testid='stPageLink'] a")
    _settle(browser, 0.5)
    details = browser.find_elements(By.CSS_SELECTOR, "[data-testid='stExpanderDetails']")
    text = " ".join(d.text for d in details)
    assert "山西省" in text and "山西省\u3000省" not in text and "山西省 省" not in text
    links = [a for d in details for a in d.find_elements(By.CSS_SELECTOR, "[data-testid='stPageLink'] a")]
    hrefs = [a.get_attribute("href") for a in links]
    assert hrefs and all("/browse?clause=" in h for h in hrefs)
    links[0].click()
    _wait(browser, ".ctx-current")
