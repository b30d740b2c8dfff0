"""The app's own chrome in Chinese: tab titles, and Streamlit's few built-in English words.

Streamlit writes some words of its own into the page that no parameter changes: the file uploader's
「Upload」 button and 「20MB per file • PDF, …」 line, 「No results」 and 「Add: …」 in a dropdown, the
「Copy to clipboard」 tooltip of a code block, 「Running...」/「Stop」 while a page reruns, 「Fullscreen」 on
a table or chart. Where a parameter exists the pages use it (``select_all=False``, ``filter_mode=None``,
``client.toolbarMode = "minimal"`` hides the ⋮ menu); the rest is translated in the browser by a small
script (``translate_chrome``) that rewrites exactly those strings — whole text nodes and ``title`` /
``aria-label`` attributes equal to one of them, never a part of a clause — as Streamlit draws them.
``tests/test_browser.py`` fails when an English word shows up again (e.g. after a Streamlit upgrade).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import streamlit as st

APP_NAME = "规划条款检索"

# Exact strings Streamlit's frontend draws → what a reader sees.
CHROME_TEXT = {
    "Upload": "选择文件",
    "Upload directories": "选择文件夹",
    "Browse files": "选择文件",
    "Drag and drop files here": "将文件拖放到这里",
    "Drag and drop a file here": "将文件拖放到这里",
    "No results": "没有匹配的选项",
    "Select all": "全选",
    "Clear all": "全部清除",
    "Copy to clipboard": "复制",
    "Copied": "已复制",
    "Running...": "正在处理…",
    "Stop": "停止",
    "Fullscreen": "全屏",
    "Close fullscreen": "退出全屏",
    "Search": "搜索",
    "Page not found": "页面不存在",
    "Skip to main content": "跳到正文",
    "Open": "展开",
    "Close": "关闭",
}
# Patterns (JavaScript regular expressions) for strings with a number or a name inside.
CHROME_PATTERNS = (
    (r"^(\d+(?:\.\d+)?)\s*([KMG]?B) per file", "每个文件不超过 $1 $2"),
    (r"^Add: (.*)$", "使用“$1”"),
    (r"^(\d+) options? available\.$", "共 $1 个选项。"),  # read aloud to screen readers
)

_SCRIPT = """<script>
(() => {
  if (window.__plansearchChrome) return;
  window.__plansearchChrome = true;
  const TEXT = %(text)s;
  const PATTERNS = %(patterns)s.map(([re, to]) => [new RegExp(re), to]);
  const SKIP = ".clause-text, .answer-box, [data-testid='stCode'] code, textarea, input";
  const translate = (value) => {
    const key = value.trim();
    if (!key) return null;
    if (Object.prototype.hasOwnProperty.call(TEXT, key)) return value.replace(key, TEXT[key]);
    for (const [re, to] of PATTERNS) if (re.test(key)) return value.replace(key, key.replace(re, to));
    return null;
  };
  const fixText = (node) => {
    const parent = node.parentElement;
    if (!parent || parent.closest(SKIP)) return;
    const out = translate(node.nodeValue);
    if (out !== null && out !== node.nodeValue) node.nodeValue = out;
  };
  const fixAttrs = (el) => {
    for (const name of ["title", "aria-label", "placeholder"]) {
      const value = el.getAttribute && el.getAttribute(name);
      const out = value ? translate(value) : null;
      if (out !== null && out !== value) el.setAttribute(name, out);
    }
  };
  const fix = (root) => {
    if (root.nodeType === Node.TEXT_NODE) return fixText(root);
    if (root.nodeType !== Node.ELEMENT_NODE) return;
    fixAttrs(root);
    root.querySelectorAll("[title], [aria-label], [placeholder]").forEach(fixAttrs);
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) fixText(n);
  };
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === "characterData") fixText(r.target);
      else if (r.type === "attributes") fixAttrs(r.target);
      else r.addedNodes.forEach(fix);
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true,
                             attributeFilter: ["title", "aria-label", "placeholder"]});
  fix(document.body);
})();
</script>"""


def page_title(title: str) -> str:
    """The browser tab's title of a page: 「问答检索 · 规划条款检索」."""
    return f"{title} · {APP_NAME}" if title and title != APP_NAME else APP_NAME


def chrome_script() -> str:
    return _SCRIPT % {"text": json.dumps(CHROME_TEXT, ensure_ascii=False), "patterns": json.dumps(CHROME_PATTERNS)}


def translate_chrome() -> None:
    """Install the translator of Streamlit's built-in words (once per browser tab; reruns keep it)."""
    st.html(chrome_script(), unsafe_allow_javascript=True)


def model_description(model_id: str) -> str:
    """The embedding model in plain words (the id itself is a detail for the operator)."""
    if model_id.startswith("bundled:"):
        return "内置的多语种语义模型（随程序安装，离线运行）"
    if model_id.startswith("fake:"):
        return "测试用的简易模型（不理解语义，仅供测试）"
    return "管理员配置的语义模型"


def local_time(iso: str) -> str:
    """A build time written in UTC (``2026-12-02T19:44:16+00:00``) as the server's local time, in Chinese
    (``2026年12月2日 19:44``); '' when there is none, the text itself when it is not a time."""
    if not iso:
        return ""
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone()
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
