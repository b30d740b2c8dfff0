"""Who may change the library: the editor password (hashed, checked in constant time, unlocked for one
session), the read-only library without one, and no server folder shown to visitors."""

from __future__ import annotations

import base64
import io
import shutil

import pytest

st = pytest.importorskip("streamlit")

from ui import editor as editor_module  # noqa: E402
from ui import messages  # noqa: E402
from ui.editor import BadPasswordHash, hash_password, verify_password  # noqa: E402

from .apphelpers import ROOT, app, markdown_sources, texts, unlock  # noqa: E402

pytestmark = pytest.mark.usefixtures("fresh_streamlit_cache")


def _can_edit(at) -> bool:
    return bool(at.get("file_uploader")) and any(b.key == "rescan" for b in at.button)


# --- the hash -------------------------------------------------------------------------------------------


def test_password_hash_is_salted_scrypt_in_a_documented_format():
    stored = hash_password("secret-pw-1")
    scheme, n, r, p, salt, key = stored.split("$")
    assert (scheme, n, r, p) == ("scrypt", "16384", "8", "1")
    assert len(base64.b64decode(salt)) == 16 and len(base64.b64decode(key)) == 32
    assert verify_password("secret-pw-1", stored) and not verify_password("secret-pw-2", stored)
    assert hash_password("secret-pw-1") != stored  # a fresh salt each time
    assert verify_password("pw", hash_password("pw", n=2**4, r=2))  # the cost is read from the line


def test_password_check_is_constant_time(monkeypatch):
    calls = []
    real = editor_module.hmac.compare_digest
    monkeypatch.setattr(editor_module.hmac, "compare_digest", lambda a, b: calls.append(1) or real(a, b))
    verify_password("x", hash_password("y", n=2**4))
    assert calls == [1]


@pytest.mark.parametrize(
    "stored",
    ["", "secret", "md5$1$1$1$AA==$AA==", "scrypt$1000$8$1$AA==$AA==", "scrypt$16384$8$1$not base64$AA==",
     "scrypt$16384$8$1$$", "scrypt$1048576$32$1$AA==$AA=="],  # the last would take 4 GiB per try
)
def test_a_stored_hash_not_in_our_format_is_refused(stored):
    with pytest.raises(BadPasswordHash):
        verify_password("x", stored)
    assert messages.friendly(BadPasswordHash("x")) == messages.EDITOR_MISCONFIGURED


def test_hash_password_command(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("long enough pw\n"))
    assert editor_module.main(["hash-password"]) == 0
    out, err = capsys.readouterr()
    assert verify_password("long enough pw", out.strip()) and "PLANSEARCH_EDITOR_PASSWORD_HASH" in err
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert editor_module.main(["hash-password"]) == 1
    assert editor_module.main([]) == 2


def test_the_hash_comes_from_the_environment_or_else_secrets_toml(monkeypatch):
    class Secrets:  # st.secrets with editor_password_hash in .streamlit/secrets.toml
        def load_if_toml_exists(self):
            return True

        def get(self, key, default=None):
            return {"editor_password_hash": " from-secrets "}.get(key, default)

    monkeypatch.setattr(editor_module.st, "secrets", Secrets())
    assert editor_module.configured_hash() == "from-secrets"
    monkeypatch.setenv("PLANSEARCH_EDITOR_PASSWORD_HASH", "from-env")
    assert editor_module.configured_hash() == "from-env"


# --- the Library page -----------------------------------------------------------------------------------


def test_without_a_password_the_library_is_read_only_and_says_how_to_enable(env):
    at = app("library")
    assert len(at.dataframe[0].value) == 5  # reading is for everyone
    assert not _can_edit(at) and not [t for t in at.text_input if t.key == "editor-password"]
    assert any("只读" in i for i in texts(at.info))
    assert any("python -m ui.editor hash-password" in c for c in texts(at.caption))


def test_the_right_password_unlocks_this_session_only(env, editor):
    first = app("library")
    assert not _can_edit(first)
    unlock(first)
    assert _can_edit(first)
    second = app("library")
    assert not _can_edit(second)  # another browser session is still a visitor
    first.button(key="editor-lock").click().run()
    assert not _can_edit(first)


def test_changing_the_password_locks_every_session(env, editor, monkeypatch):
    at = unlock(app())
    assert _can_edit(at)
    monkeypatch.setenv("PLANSEARCH_EDITOR_PASSWORD_HASH", hash_password("another password", n=2**4))
    at.run()
    assert not _can_edit(at)


def test_a_wrong_password_is_refused(env, editor, monkeypatch):
    monkeypatch.setattr(editor_module, "FAILED_DELAY_S", 0)
    at = unlock(app(), password="not the password")
    assert not _can_edit(at)
    assert texts(at.error) == [editor_module.WRONG_PASSWORD]
    assert at.text_input(key="editor-password").value == ""  # not kept in the session


def test_a_misconfigured_hash_is_reported_to_the_operator(env, monkeypatch):
    monkeypatch.setenv("PLANSEARCH_EDITOR_PASSWORD_HASH", "plain-text-password")
    at = unlock(app(), password="plain-text-password")
    assert not _can_edit(at)
    assert texts(at.error) == [messages.EDITOR_MISCONFIGURED]


# --- no server folders for visitors ---------------------------------------------------------------------


def _shown_paths(at, *folders) -> list[str]:
    strings = [source for source, _ in markdown_sources(at)]
    return [s for s in strings for folder in folders if str(folder) in s]


def test_visitors_see_no_server_folder(private_env):
    data, index = private_env
    at = app("library")
    assert _shown_paths(at, data, index, ROOT) == []
    (index / "manifest.json").write_text("{not json", encoding="utf-8")  # the error names the file …
    st.cache_resource.clear()
    at = app("library")
    assert texts(at.info)[0] == messages.INDEX_DAMAGED
    assert any("…/manifest.json" in c for c in texts(at.caption))  # … by its last part only
    assert _shown_paths(at, data, index, ROOT) == []
    shutil.rmtree(index)
    at = app()
    assert texts(at.info) == [messages.NO_INDEX] and _shown_paths(at, data, index, ROOT) == []


def test_reasons_a_file_was_refused_hide_server_folders():
    from indexer.errors import UnreadableSource

    err = UnreadableSource("a.pdf", "cannot open /srv/plansearch/data/.a.pdf.tmp")
    assert messages.friendly(err) == f"{messages.UNREADABLE}：cannot open …/.a.pdf.tmp"


def test_hide_paths_keeps_the_last_part_only():
    assert messages.hide_paths("no index at /srv/app/index: build it") == "no index at …/index: build it"
    assert messages.hide_paths(r"bad C:\Users\me\index") == "bad …/index"
    assert messages.hide_paths("see http://example.com/a/b, 2021/12/31") == "see http://example.com/a/b, 2021/12/31"
