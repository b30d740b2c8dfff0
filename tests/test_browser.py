"""One real run of what a person sees: `streamlit run app.py` on the fake-embedder index, driven by Debian's
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
def server(fake_index_dir, tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "PLANSEARCH_INDEX": str(fake_index_dir),
        "PLANSEARCH_DATA": str(ROOT / "data"),
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    }
    log = (tmp_path / "streamlit.log").open("w")
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1", "--server.fileWatcherType", "none"]
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
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-dev-shm-usage", "--window-size=1400,1800", f"--user-data-dir={tmp_path / 'chromium'}"):
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
    _wait(browser, ".answer-box", text="〔青海省 · 四（三）3〕")
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
    # The first request after the server starts is this deep link: it must still run inside app.py's
    # navigation (Chinese page titles), not Streamlit's legacy pages/ mode (file names).
    nav = " ".join(e.text for e in browser.find_elements("css selector", '[data-testid="stSidebarNav"] a'))
    assert "浏览条款" in nav and "browse" not in nav
    browser.save_screenshot(str(tmp_path / "browse.png"))
