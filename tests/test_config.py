"""The app's Streamlit settings (.streamlit/config.toml): what they must hold, and a real `streamlit run`
that starts cleanly with them — no file-watcher flood, no traceback, no attempt to reach the internet."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Prepended to the Streamlit process: any connection or name lookup beyond this machine is printed and
# refused (Streamlit's external-IP lookup, usage statistics, the first-run e-mail …).
NO_NETWORK = """
import socket, sys
_LOCAL = ("127.0.0.1", "::1", "localhost", "0.0.0.0", "")
def _guard(host):
    if isinstance(host, bytes):
        host = host.decode()
    if host not in _LOCAL and not str(host).startswith("/"):
        print(f"NETWORK ATTEMPT {host}", file=sys.stderr, flush=True)
        raise OSError("no network in this test")
_connect, _connect_ex, _getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo
socket.socket.connect = lambda self, a: (_guard(a[0] if isinstance(a, tuple) else a), _connect(self, a))[1]
socket.socket.connect_ex = lambda self, a: (_guard(a[0] if isinstance(a, tuple) else a), _connect_ex(self, a))[1]
socket.getaddrinfo = lambda host, *a, **k: (_guard(host), _getaddrinfo(host, *a, **k))[1]
"""
BAD_LOG = ("Inotify", "External URL", "Traceback", "NETWORK ATTEMPT", "Watchdog", "Error", "ScriptRunContext")


def config() -> dict:
    return tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))


def test_tables_offer_no_raw_csv_download():
    # A table's own CSV download writes a cell like =HYPERLINK(…) as it is; the pages export through
    # ui.export.table_csv instead.
    assert config()["client"]["disableDataExport"] is True


def test_errors_show_no_traceback_to_visitors():
    # A traceback names the server's folders; it goes to the console, the browser shows the error type.
    assert config()["client"]["showErrorDetails"] in ("type", "none")


def test_start_is_quiet_and_offline_by_configuration():
    c = config()
    assert c["server"]["fileWatcherType"] == "none"  # watching walks .venv: "Inotify queue overflowed"
    assert c["server"]["headless"] is True  # no first-run e-mail prompt, no browser launched on the server
    assert c["browser"]["gatherUsageStats"] is False
    assert c["browser"]["serverAddress"]  # set: Streamlit does not look up an "External URL"


def test_serving_every_interface_looks_nothing_up():
    """What `streamlit run app.py --server.address 0.0.0.0` prints at start, without binding anything:
    Streamlit's own _print_url, with our config, in a process that refuses the network."""
    code = NO_NETWORK + (
        "from streamlit.web import bootstrap\n"
        "bootstrap.load_config_options({'server_address': '0.0.0.0'})\n"
        "bootstrap._print_url(False)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "URL: http://localhost" in done.stdout
    assert "External URL" not in done.stdout and "NETWORK ATTEMPT" not in done.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_one_page(port: int, query: str) -> str:
    """Open a session the way a browser does (the websocket, one rerun) and wait for the script to end;
    its result (FINISHED_SUCCESSFULLY …) and any exception shown."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.sync.client import connect

    shown = []
    with connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"], max_size=None) as ws:
        msg = BackMsg()
        msg.rerun_script.query_string = query
        ws.send(msg.SerializeToString())
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            forward = ForwardMsg()
            forward.ParseFromString(ws.recv(timeout=60))
            kind = forward.WhichOneof("type")
            if kind == "delta" and forward.delta.new_element.WhichOneof("type") == "exception":
                shown.append(f"exception: {forward.delta.new_element.exception.type}")
            if kind == "script_finished":
                return " ".join([ForwardMsg.ScriptFinishedStatus.Name(forward.script_finished), *shown])
    raise TimeoutError("the script did not finish")


@pytest.mark.slow
def test_streamlit_run_starts_cleanly(fake_index_dir, tmp_path):
    port = _free_port()
    env = {**os.environ, "PLANSEARCH_INDEX": str(fake_index_dir), "PLANSEARCH_DATA": str(ROOT / "data")}
    env.pop("STREAMLIT_BROWSER_GATHER_USAGE_STATS", None)  # the config file must do it
    code = NO_NETWORK + "import sys\nfrom streamlit.web.cli import main\nsys.exit(main())\n"
    args = ["streamlit", "run", "serve.py", "--server.port", str(port), "--server.address", "127.0.0.1"]
    log = tmp_path / "streamlit.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-c", code, *args[1:]], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                assert proc.poll() is None, log.read_text()
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    assert time.monotonic() < deadline, "streamlit did not answer"
                    time.sleep(0.2)
            assert _run_one_page(port, "q=中小企业怎么用专利去银行贷款") == "FINISHED_SUCCESSFULLY"
            time.sleep(1)  # anything the run left to log
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    text = log.read_text()
    assert f"URL: http://localhost:{port}" in text  # browser.serverAddress, not a looked-up address
    assert not [bad for bad in BAD_LOG if bad in text], text
