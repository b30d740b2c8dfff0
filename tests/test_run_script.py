"""scripts/run.sh binds the app to 127.0.0.1 unless PLANSEARCH_HOST says otherwise. Run against a copy
of the script whose setup step is a stub and whose python records its arguments (no venv, no server)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(tmp_path: Path, **env) -> list[str]:
    scripts = tmp_path / "scripts"
    scripts.mkdir(exist_ok=True)
    shutil.copy(ROOT / "scripts" / "run.sh", scripts / "run.sh")
    (scripts / "setup.sh").write_text('PY="$ROOT/fakepy"\nexport PY\n', encoding="utf-8")
    fake = tmp_path / "fakepy"
    fake.write_text('#!/bin/sh\necho "$@" >> "$CALLS"\n', encoding="utf-8")
    fake.chmod(0o755)
    calls = tmp_path / "calls"
    calls.unlink(missing_ok=True)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PLANSEARCH_")}
    done = subprocess.run(["bash", str(scripts / "run.sh"), "--server.port", "8600"], env={**clean, "CALLS": str(calls), **env},
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return calls.read_text(encoding="utf-8").splitlines()


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_run_script_binds_loopback_unless_told(tmp_path):
    build, compiled, serve = _run(tmp_path)
    assert build == "-m indexer build --data data --index index"
    assert compiled == "-m compileall -q app.py serve.py app_pages ui retrieval indexer"
    assert serve == "-m streamlit run serve.py --server.address 127.0.0.1 --server.port 8600"
    serve = _run(tmp_path, PLANSEARCH_HOST="0.0.0.0")[-1]
    assert serve == f"-m streamlit run serve.py --server.address 0.0.0.0 --browser.serverAddress {socket.gethostname()} --server.port 8600"
    serve = _run(tmp_path, PLANSEARCH_HOST="192.168.1.20")[-1]
    assert "--server.address 192.168.1.20 --browser.serverAddress 192.168.1.20" in serve
    # the index is built where the app will read it (ui/config.py: PLANSEARCH_INDEX, PLANSEARCH_DATA)
    build = _run(tmp_path, PLANSEARCH_INDEX="/srv/idx", PLANSEARCH_DATA="/srv/plans")[0]
    assert build == "-m indexer build --data /srv/plans --index /srv/idx"
