"""Driving the app with AppTest, and reading what it would show (shared by the UI test modules)."""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
_LIVE = re.compile(r"<a[\s>]|<img\b|<script\b|<iframe\b|<svg\b|<[^>]*\son\w+\s*=", re.IGNORECASE)
_AUTOLINK = re.compile(r"://|www\.|javascript:", re.IGNORECASE)


def app(page: str | None = None, **params) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if page:
        at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def shown(source: str) -> str:
    """A Markdown source as read on the page: document text comes backslash-escaped (ui.safe.md)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", source)


def html(at) -> str:
    return "\n".join(shown(m.value) for m in at.markdown)


def codes(at) -> list[str]:
    return [c.value for c in at.code]


def texts(elements) -> list[str]:
    return [shown(e.value) for e in elements]


def _nodes(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _nodes(child)


def markdown_sources(at) -> list[tuple[str, bool]]:
    """Every string of the page that Streamlit renders as Markdown, with whether raw HTML is allowed:
    markdown and captions, alerts, labels and help of widgets and containers, radio options. (Selectbox
    and multiselect options, tables and code are plain text.)"""
    out: list[tuple[str, bool]] = []
    for node in _nodes(at._tree):
        proto = getattr(node, "proto", None)
        if node.type in ("markdown", "caption", "error", "warning", "info", "success"):
            out.append((node.value, bool(getattr(proto, "allow_html", False))))
        for attr in ("label", "help"):
            value = getattr(node, attr, None) or getattr(proto, attr, None)
            if isinstance(value, str) and value:
                out.append((value, False))
        if node.type == "radio":
            out += [(option, False) for option in node.options]
    return out


def live_markup(at) -> list[str]:
    """What on the page would become a link, an image, a script or an event handler, or a bare URL that
    GitHub-flavoured Markdown turns into a link: [] when every document string stayed text."""
    from markdown_it import MarkdownIt

    renderer = {True: MarkdownIt("commonmark", {"html": True}), False: MarkdownIt("commonmark", {"html": False})}
    bad = []
    for source, allow_html in markdown_sources(at):
        rendered = renderer[allow_html].render(source)
        if _LIVE.search(rendered):
            bad.append(f"{rendered.strip()[:200]}  ⟵  {source[:200]}")
        # GFM autolinks bare URLs in Markdown text; our own HTML blocks (a line starting with a tag) are
        # left alone by Markdown, so only Markdown text is checked.
        elif not (allow_html and source.lstrip().startswith("<")) and _AUTOLINK.search(source):
            bad.append(f"bare URL  ⟵  {source[:200]}")
    return bad


EDITOR_PASSWORD = "编辑口令-correct-horse"


def unlock(at: AppTest, password: str = EDITOR_PASSWORD) -> AppTest:
    """Type the editor password on the Library page (the session stays there)."""
    at.switch_page("app_pages/library.py").run()
    at.text_input(key="editor-password").input(password)
    at.button(key="editor-unlock").click().run()
    assert not at.exception, at.exception
    return at
