"""Who may change the library: uploading plans, rescanning the plans folder and (re)building the index
need the editor password the operator set; everyone else reads.

The operator stores only a salted hash, in ``PLANSEARCH_EDITOR_PASSWORD_HASH`` or as
``editor_password_hash`` in ``.streamlit/secrets.toml`` (the variable wins). Make one with

    python -m ui.editor hash-password        # asks for the password twice, prints the line to store

Format: ``scrypt$<n>$<r>$<p>$<salt>$<key>`` — hashlib.scrypt with cost n, block size r and parallelism p,
a random 16-byte salt and a 32-byte key, both base64. A correct password unlocks editing for that
browser session only (``st.session_state``); with no hash configured the library is read-only.
"""

from __future__ import annotations

import base64
import binascii
import getpass
import hashlib
import hmac
import os
import secrets
import sys
import time

import streamlit as st

from indexer.errors import PlanSearchError

ENV = "PLANSEARCH_EDITOR_PASSWORD_HASH"
SECRET = "editor_password_hash"
N, R, P = 2**14, 8, 1  # ~16 MiB and ~50 ms per try
_MAX_MEMORY = 256 * 2**20  # the most a stored hash may make one try use (a huge n would stall the app)
_SESSION_KEY = "_editor_unlocked"
FAILED_DELAY_S = 1.0  # a wrong password costs the guesser a second

WRONG_PASSWORD = "编辑口令不正确。"
HOW_TO_ENABLE = (
    "管理员开启编辑：运行 `python -m ui.editor hash-password`，把输出设为环境变量 "
    f"`{ENV}`（或 `.streamlit/secrets.toml` 中的 `{SECRET}`），然后重启应用。"
)


class BadPasswordHash(PlanSearchError):
    """The configured editor password hash is not one that ``hash_password`` writes."""


def hash_password(password: str, *, salt: bytes | None = None, n: int = N, r: int = R, p: int = P) -> str:
    """The line to store for a password (see the module docstring for the format)."""
    if not password:
        raise ValueError("the password is empty")
    salt = secrets.token_bytes(16) if salt is None else salt
    key = _derive(password, salt, n, r, p, 32)
    return "$".join(["scrypt", str(n), str(r), str(p), _b64(salt), _b64(key)])


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches the stored hash (compared in constant time). BadPasswordHash when the
    stored line is not in our format."""
    parts = stored.strip().split("$")
    try:
        scheme, n, r, p, salt, key = parts
        n, r, p = int(n), int(r), int(p)
        salt, key = base64.b64decode(salt, validate=True), base64.b64decode(key, validate=True)
    except (ValueError, binascii.Error) as err:
        raise BadPasswordHash(f"{ENV} is not a hash from `python -m ui.editor hash-password`") from err
    sane = n >= 2 and n & (n - 1) == 0 and 1 <= r <= 32 and 1 <= p <= 16 and _memory(n, r, p) <= _MAX_MEMORY
    if scheme != "scrypt" or not sane:
        raise BadPasswordHash(f"{ENV} has an unsupported scheme or cost ({scheme}, n={n}, r={r}, p={p})")
    if not salt or not key:
        raise BadPasswordHash(f"{ENV} has an empty salt or key")
    return hmac.compare_digest(_derive(password, salt, n, r, p, len(key)), key)


def _memory(n: int, r: int, p: int) -> int:
    return 128 * r * (n + p + 2)  # what OpenSSL's scrypt allocates


def _derive(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=length, maxmem=_memory(n, r, p) + 2**20)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def configured_hash() -> str:
    """The stored hash the operator set ('' = none: the library is read-only)."""
    value = os.environ.get(ENV, "").strip()
    if value:
        return value
    if st.secrets.load_if_toml_exists():
        return str(st.secrets.get(SECRET, "") or "").strip()
    return ""


def _token(stored: str) -> str:
    # What the session keeps: tied to the configured hash, so changing or removing it locks every session.
    return hashlib.sha256(stored.encode("utf-8")).hexdigest()


def is_editor() -> bool:
    """Whether this browser session has unlocked editing (and a password is still configured)."""
    stored = configured_hash()
    return bool(stored) and st.session_state.get(_SESSION_KEY) == _token(stored)


def unlock(password: str) -> bool:
    """Check the password; on success this session may edit. Raises BadPasswordHash (operator's fault)."""
    stored = configured_hash()
    if not stored or not password:
        return False
    if verify_password(password, stored):
        st.session_state[_SESSION_KEY] = _token(stored)
        return True
    time.sleep(FAILED_DELAY_S)
    return False


def lock() -> None:
    st.session_state.pop(_SESSION_KEY, None)


# --- on the page ---------------------------------------------------------------------------------------


def editor_panel() -> bool:
    """The head of the Library's editing section: the read-only notice (no password configured), the
    password form, or the unlocked state with a button to lock again. True when this session may edit."""
    if not configured_hash():
        st.info("文件库为只读：上传文件、重新扫描和建立索引需要编辑口令，管理员尚未设置。")
        st.caption(HOW_TO_ENABLE)
        return False
    if is_editor():
        left, right = st.columns([5, 1], vertical_alignment="center")
        left.caption("本次会话已解锁编辑（关闭页面或点“退出编辑”后失效）。")
        right.button("退出编辑", key="editor-lock", on_click=lock, icon=":material/lock:")
        return True
    with st.form("editor-login", border=False):
        st.text_input("编辑口令", type="password", key="editor-password", placeholder="上传文件、重新扫描和建立索引需要编辑口令")
        st.form_submit_button("解锁编辑", key="editor-unlock", icon=":material/lock_open:", on_click=_try_unlock)
    problem = st.session_state.pop("_editor_problem", "")
    if problem:
        st.error(problem)
    return False


def _try_unlock() -> None:
    from .messages import friendly

    password = st.session_state.get("editor-password", "")
    st.session_state["editor-password"] = ""  # the password is not kept in the session
    try:
        if not unlock(password):
            st.session_state["_editor_problem"] = WRONG_PASSWORD
    except BadPasswordHash as err:
        st.session_state["_editor_problem"] = friendly(err)


def build_locked_notice(rebuild: bool = False) -> None:
    """In place of the build button for a visitor: where to unlock, or what the operator must run."""
    what = "重新建立索引" if rebuild else "建立索引"
    if configured_hash():
        st.caption(f"{what}需要编辑口令。")
        st.page_link("app_pages/library.py", label="到“文件库”解锁编辑", icon=":material/lock_open:")
    else:
        command = "python -m indexer build --force" if rebuild else "python -m indexer build"
        st.caption(f"请管理员在服务器上运行 `{command}` {what}。")


def main(argv: list[str] | None = None) -> int:
    """``python -m ui.editor hash-password``: print the hash of a password typed twice (or read from
    standard input when it is not a terminal, e.g. ``printf %s "$PW" | python -m ui.editor hash-password``)."""
    args = sys.argv[1:] if argv is None else argv
    if args != ["hash-password"]:
        print("usage: python -m ui.editor hash-password", file=sys.stderr)
        return 2
    if sys.stdin.isatty():
        password = getpass.getpass("编辑口令 (editor password): ")
        if password != getpass.getpass("再输入一次 (again): "):
            print("error: the two passwords differ", file=sys.stderr)
            return 1
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < 8:
        print("error: use at least 8 characters", file=sys.stderr)
        return 1
    print(hash_password(password))
    print(f"# set it for the app, e.g.  export {ENV}='<the line above>'", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
