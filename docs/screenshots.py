"""Take the README screenshots of the app on the real index and time it, in headless Chromium.

    .venv/bin/python docs/screenshots.py            # writes docs/screenshot-ask.png, docs/screenshot-compare.png

Prints (a) seconds from `streamlit run serve.py` to the clauses of a link with a question, and to a usable Ask page, (b) seconds from Enter to the answer on
the warm app (median of a few questions): for the first question of a freshly opened tab, and for a
further question in the same tab. The question is typed before the clock starts; Enter starts it. Needs Debian's chromium + chromium-driver (and fonts-noto-cjk).
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parent.parent
ASK = "中小企业怎么用专利去银行贷款？"
WARM = [  # nine new tabs, as issue "An app officials trust" counts them
    "地理标志保护有哪些措施？", "纠纷调解由哪个部门牵头？", "高价值发明专利目标是多少？", "海外维权援助怎么做？", ASK,
    "商标品牌建设有哪些举措？", "知识产权保护中心做什么？", "植物新品种保护", "专利侵权纠纷怎么处理？",
]
AGAIN = ["商业秘密保护怎么加强？", "知识产权人才队伍建设", "专利导航怎么做？", "版权登记有什么服务？"]
TOPIC = "植物新品种"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chromium(profile: str, height: int) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-dev-shm-usage", f"--window-size=1400,{height}", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def visible(driver, css: str, timeout: float = 120):
    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(EC.visibility_of_element_located((By.CSS_SELECTOR, css)))


def ask(driver, url: str, question: str) -> tuple[float, float]:
    """Seconds from Enter to the answer (or the abstention) on a freshly loaded page: as Selenium sees it,
    and as the page paints it. The question is typed first (chromedriver types a character in 20–60 ms
    here: typing is not the app's time)."""
    driver.get(url)
    box = visible(driver, 'input[aria-label="输入问题，按回车检索"]')
    time.sleep(0.5)
    box.send_keys(question)
    start = time.perf_counter()
    box.send_keys(Keys.ENTER)
    visible(driver, ".answer-box, .st-key-answer [data-testid='stAlert']")
    visible(driver, "mark")
    return time.perf_counter() - start, painted_after_enter(driver)


def painted_after_enter(driver) -> float:
    return driver.execute_script("return (window.__painted - window.__enter) / 1000")


def first_results(driver, url: str, question: str) -> float:
    """Seconds from Enter to the first clauses on the page (right after a start these are the keyword
    results shown while the model loads)."""
    driver.get(url)
    box = visible(driver, 'input[aria-label="输入问题，按回车检索"]')
    box.send_keys(question)
    start = time.perf_counter()
    box.send_keys(Keys.ENTER)
    visible(driver, "mark")
    return time.perf_counter() - start


def ask_again(driver, question: str) -> float:
    """Seconds from Enter to a changed answer for a further question in the same tab (the usual case)."""
    box = visible(driver, 'input[aria-label="输入问题，按回车检索"]')
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)
    old = driver.find_element(By.CSS_SELECTOR, ".st-key-answer").text
    box.send_keys(question)
    start = time.perf_counter()
    box.send_keys(Keys.ENTER)

    def changed(drv) -> bool:
        found = drv.find_elements(By.CSS_SELECTOR, ".st-key-answer")
        return bool(found) and found[0].text not in ("", old)

    WebDriverWait(driver, 60, poll_frequency=0.02).until(changed)
    return time.perf_counter() - start


# Selenium's polling sees an element up to ~1 s after the browser has painted it (its commands wait while
# the page's main thread is busy), so the first results after a start are also timed by the page itself:
# the first animation frame in which a highlighted word is on screen (after the page loads, and again
# after Enter: ``__enter`` is when the browser dispatched it).
PAINT_WATCH = """
window.__painted = null;
const tick = () => {
  const m = document.querySelector('mark');
  if (m && m.getBoundingClientRect().height > 0 && getComputedStyle(m).visibility !== 'hidden') {
    window.__painted = performance.timeOrigin + performance.now();
  } else { requestAnimationFrame(tick); }
};
requestAnimationFrame(tick);
document.addEventListener('keydown', (e) => {
  if (e.key === 'Enter') {
    window.__enter = performance.timeOrigin + performance.now();
    window.__painted = null;
    requestAnimationFrame(tick);
  }
}, true);
"""


def linked_results(driver, url: str, started: float) -> tuple[float, float]:
    """A link with the question opened the moment the server answers: seconds from the server's start
    (``started``, epoch) until the page painted its first clause (the keyword results: the model is
    still loading), and until Selenium saw it."""
    driver.get(f"{url}/?q={quote(ASK)}")
    visible(driver, "mark")
    seen = time.time() - started
    painted = driver.execute_script("return window.__painted") / 1000 - started
    return painted, seen


def wait_for_server(url: str, proc) -> float:
    """The moment the server answers its health check (polled every 20 ms)."""
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1):
                return time.perf_counter()
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError("streamlit exited") from None
            time.sleep(0.02)


def main() -> int:
    index = os.environ.get("PLANSEARCH_INDEX", str(ROOT / "index"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PLANSEARCH_INDEX": index, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    cmd = [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.headless", "true", "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.fileWatcherType", "none"]
    with tempfile.TemporaryDirectory() as tmp:
        driver = chromium(tmp, 1250)
        try:
            driver.get("about:blank")
            driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": PAINT_WATCH})
            start, started = time.perf_counter(), time.time()
            proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                served = wait_for_server(url, proc) - start
                linked = linked_results(driver, url, started)  # a browser that has not seen the app yet
                # A new tab, and a question typed the moment its box shows (the model may still be loading).
                results = first_results(driver, url, AGAIN[0])
                after_start = time.perf_counter() - start
                first = ask(driver, url, ASK)  # the full answer, once the model is ready
                warm = [ask(driver, url, q) for q in WARM]
                again = [ask_again(driver, q) for q in AGAIN]
                ask_again(driver, ASK)  # the screenshot shows the README's question
                driver.execute_script("window.scrollTo(0, 0)")
                time.sleep(0.5)
                driver.save_screenshot(str(ROOT / "docs" / "screenshot-ask.png"))
                driver.get(f"{url}/compare")
                box = visible(driver, 'input[aria-label="对比主题，按回车"]')
                box.send_keys(TOPIC + Keys.ENTER)
                visible(driver, "mark")
                time.sleep(1.0)
                driver.save_screenshot(str(ROOT / "docs" / "screenshot-compare.png"))
            finally:
                proc.terminate()
                proc.wait(timeout=10)
            # The app restarts; the browser has used it before (its cache holds the app's scripts).
            driver.get("about:blank")
            start, started = time.perf_counter(), time.time()
            proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                again_served = wait_for_server(url, proc) - start
                restarted = linked_results(driver, url, started)
            finally:
                proc.terminate()
                proc.wait(timeout=10)
        finally:
            driver.quit()
    print(f"(a) streamlit run serve.py → the server answers after {served:.2f} s; a link with a question opened "
          f"then shows its clauses {linked[0]:.2f} s after start (painted; Selenium saw them at {linked[1]:.2f} s), "
          f"keyword results, the model still loading")
    print(f"    the same after a restart, in a browser that has used the app before: the server answers after "
          f"{again_served:.2f} s, the clauses are painted {restarted[0]:.2f} s after start (Selenium: {restarted[1]:.2f} s)")
    print(f"    then a question typed on a new tab the moment its box shows: clauses {results:.2f} s after Enter "
          f"({after_start:.1f} s after start); the full answer on a new tab after {first[0]:.2f} s")
    seen, painted = [w[0] for w in warm], [w[1] for w in warm]
    print(f"(b) Enter → answer, warm app, first question of a new tab: {sum(w <= 1 for w in seen)} of {len(seen)} "
          f"within 1 s as Selenium sees it, median {statistics.median(seen):.2f} s "
          f"(each: {', '.join(f'{w:.2f}' for w in seen)})")
    print(f"    painted by the page (Enter dispatched → first highlighted clause on screen): "
          f"{sum(w <= 1 for w in painted)} of {len(painted)} within 1 s, median {statistics.median(painted):.2f} s "
          f"(each: {', '.join(f'{w:.2f}' for w in painted)})")
    print(f"    a further question in the same tab: median {statistics.median(again):.2f} s "
          f"(each: {', '.join(f'{w:.2f}' for w in again)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
