"""The attack: replay every class of bad input and fault against a temporary copy of the plans and an
index built from them, and count what was handled.

    bash scripts/attack.sh          # or: python -m pytest -m attack -s tests/test_attack.py

Each attack is a small function that does something hostile (a bad --index, a zip bomb, a damaged
index file, a lone surrogate in a query, a kill during a build …) and says what happened. An attack is
*handled* when the tool answers it with an exit status of 0 or 1, at most one line on stderr and no
traceback, within its time limit, and afterwards the sources are byte-identical and the index (old or
rebuilt) loads. Anything else is a *problem*. The run prints ``N tried, N handled, N problems`` and
fails unless there are no problems.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.attack

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "plans"
PLANS = ("municipal_plan_fullwidth.txt", "regulation_chapters.txt", "county_plan_halfwidth.txt")
TIME_LIMIT = 60.0


@dataclass
class Lab:
    """A throwaway world: plans, an index built from them, and the checksums the sources must keep."""

    root: Path
    data: Path
    index: Path
    sources: dict[str, str]

    def fresh(self) -> Lab:
        """A new copy of this lab for one attack (attacks never see each other's damage)."""
        root = self.root.parent / f"run-{time.perf_counter_ns()}"
        shutil.copytree(self.root, root, symlinks=True)
        return Lab(root, root / "data", root / "index", self.sources)


def sha(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file() and not p.is_symlink() and not p.name.startswith(".")
    }


def cli(module: str, *args: str) -> tuple[int, str, str]:
    """Run ``python -m <module> args`` in-process: (exit status, stdout, stderr). An exception escaping
    main() is returned as status 99 with its traceback, never raised."""
    import traceback

    main = __import__(f"{module}.__main__", fromlist=["main"]).main
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        except BaseException:  # noqa: BLE001 - that is exactly what we are looking for
            code = 99
            err.write("Traceback (in-process)\n" + traceback.format_exc())
    return code, out.getvalue(), err.getvalue()


def build(lab: Lab, *extra: str, data: Path | None = None, index: Path | None = None) -> tuple[int, str, str]:
    return cli("indexer", "build", "--data", str(data or lab.data), "--index", str(index or lab.index),
               "--model", "fake:32", "--quiet", *extra)


def search(lab: Lab, *args: str) -> tuple[int, str, str]:
    return cli("retrieval", "search", *args, "--index", str(lab.index))


# --- what "handled" means ------------------------------------------------------------------------------


def clean_exit(result: tuple[int, str, str], allowed: tuple[int, ...] = (0, 1)) -> str:
    """'' when the command ended well, else what was wrong."""
    code, _, err = result
    if "Traceback" in err:
        return "traceback: " + err.strip().splitlines()[-1][:160]
    if code not in allowed:
        return f"exit status {code}, expected {allowed}"
    lines = [line for line in err.strip().splitlines() if line.strip()]
    if code == 1 and len(lines) != 1:
        return f"{len(lines)} lines on stderr, expected one: {err[:200]!r}"
    return ""


def index_loads(lab: Lab) -> str:
    from indexer.store import load_index

    try:
        load_index(lab.index, verify="full")
    except Exception as err:  # noqa: BLE001
        return f"index does not load afterwards: {type(err).__name__}: {err}"
    return ""


# --- the attacks -----------------------------------------------------------------------------------------

Attack = Callable[[Lab], str]


def _then(_done, problem: str) -> str:
    """For one-line attacks: do the first thing (its value is ignored), then report the check's problem."""
    return problem

ATTACKS: dict[str, Attack] = {}


def attack(name: str):
    def register(fn: Attack) -> Attack:
        ATTACKS[name] = fn
        return fn

    return register


# 1. Build targets that are not ours: refused with one line, nothing moved.
def _target(make: Callable[[Lab], Path], expect_refusal: bool = True) -> Attack:
    def run(lab: Lab) -> str:
        target = make(lab)
        before = {p: p.read_bytes() for p in target.rglob("*") if p.is_file()} if target.is_dir() else None
        result = build(lab, index=target)
        problem = clean_exit(result, (1,) if expect_refusal else (0,))
        if before is not None and expect_refusal:
            if {p: p.read_bytes() for p in target.rglob("*") if p.is_file()} != before:
                problem = problem or f"the files in {target.name} changed"
        return problem

    return run


def _file(lab: Lab) -> Path:
    (lab.root / "report.docx").write_bytes(b"my report")
    return lab.root / "report.docx"


def _foreign(lab: Lab) -> Path:
    (lab.root / "work").mkdir()
    (lab.root / "work" / "notes.txt").write_text("keep")
    return lab.root / "work"


def _foreign_aside(lab: Lab) -> Path:
    (lab.root / "index.old").mkdir()
    (lab.root / "index.old" / "thesis.txt").write_text("keep")
    return lab.index


def _link_to_data(lab: Lab) -> Path:
    (lab.root / "link").symlink_to(lab.data)
    return lab.root / "link"


for _name, _make in {
    "index = data folder": lambda lab: lab.data,
    "index inside data folder": lambda lab: lab.data / "index",
    "index inside data folder, deeper": lambda lab: lab.data / "a" / "b",
    "data folder inside index": lambda lab: lab.root,
    "index is a file": _file,
    "index is a foreign folder": _foreign,
    "index.old is a foreign folder": _foreign_aside,
    "index is a link to the data folder": _link_to_data,
    "index is /dev/null": lambda lab: Path("/dev/null"),
}.items():
    attack(f"build target: {_name}")(_target(_make))
attack("build target: an empty folder is fine")(_target(lambda lab: (lab.root / "empty").mkdir() or lab.root / "empty", False))
attack("build target: a missing folder is fine")(_target(lambda lab: lab.root / "new" / "index", False))


# 2. Hostile files in the plans folder: the build succeeds, the file is reported, the others index.
def _docx(parts: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return buf.getvalue()


def _pdf_bomb() -> bytes:
    from tests.pdfmaker import make_pdf

    pdf = make_pdf([["第一条 为了规范管理，制定本办法。"]])
    packed = zlib.compress(b" " * (48 * 1024 * 1024), 9)
    head, _, rest = pdf.partition(b"stream\n")
    _, _, tail = rest.partition(b"\nendstream")
    head = head[: head.rfind(b"<<")] + f"<< /Length {len(packed)} /Filter /FlateDecode >>\n".encode()
    return head + b"stream\n" + packed + b"\nendstream" + tail


PLAN_TEXT = (FIXTURES / PLANS[0]).read_text(encoding="utf-8")
BAD_FILES: dict[str, Callable[[], bytes]] = {
    "empty.txt": lambda: b"",
    "blank.txt": lambda: b"   \n\n\t ",
    "nulls.txt": lambda: b"\x00" * 1000,
    "elf.txt": lambda: Path(sys.executable).read_bytes()[:200_000],
    "random.txt": lambda: bytes((i * 7919 + 13) % 256 for i in range(50_000)),
    "script.txt": lambda: b"#!/bin/sh\nrm -rf ~\n" * 200,
    "english.md": lambda: b"# Annual report\n\nThis plan is written in English only.\n" * 50,
    "bad-utf8.txt": lambda: "规划".encode() + b"\xff\xfe\xfa" * 100,
    "huge-line.txt": lambda: ("规划" * 2_000_000).encode(),
    "bomb.docx": lambda: _docx({"[Content_Types].xml": b"<Types/>", "word/document.xml": b" " * (96 << 20)}),
    "corrupt.docx": lambda: b"PK\x03\x04 this is not a zip",
    "old-word.docx": lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2000,
    "no-document.docx": lambda: _docx({"[Content_Types].xml": b"<Types/>"}),
    "corrupt.pdf": lambda: b"%PDF-1.4\n garbage",
    "blank.pdf": lambda: __import__("tests.pdfmaker", fromlist=["make_pdf"]).make_pdf([[]]),
    "bomb.pdf": _pdf_bomb,
    "encrypted.pdf": lambda: __import__("tests.pdfmaker", fromlist=["encrypt_pdf"]).encrypt_pdf(
        __import__("tests.pdfmaker", fromlist=["make_pdf"]).make_pdf([["第一条 内容。"]]), "secret"),
    "script-only.html": lambda: b"<html><script>alert(1)</script></html>",
    "program.exe": lambda: b"MZ\x90\x00",
    "noext": lambda: PLAN_TEXT.encode(),
    "..dots.txt": lambda: PLAN_TEXT.replace("规划", "计划").encode(),
    "名称 含空格（副本）.txt": lambda: PLAN_TEXT.encode(),  # a duplicate under an awkward name
    "utf16le.txt": lambda: PLAN_TEXT.replace("规划", "方案").encode("utf-16-le"),
    "utf16be.txt": lambda: PLAN_TEXT.replace("规划", "纲要").encode("utf-16-be"),
    "gbk.txt": lambda: PLAN_TEXT.replace("规划", "意见").encode("gbk"),
}


def _bad_file(name: str, make: Callable[[], bytes]) -> Attack:
    def run(lab: Lab) -> str:
        (lab.data / name).write_bytes(make())
        result = build(lab)
        problem = clean_exit(result, (0,))
        if not problem and name not in result[1]:
            problem = f"{name} is neither indexed, skipped nor listed as a duplicate in the build report"
        return problem or index_loads(lab)

    return run


for _name, _make in BAD_FILES.items():
    attack(f"plans folder: {_name}")(_bad_file(_name, _make))
    attack(f"outline: {_name}")(
        lambda lab, n=_name, m=_make: _then((lab.data / n).write_bytes(m()), clean_exit(cli("indexer", "outline", str(lab.data / n))))
    )


def _special(make: Callable[[Lab], None], what: str) -> Attack:
    def run(lab: Lab) -> str:
        make(lab)
        result = build(lab)
        problem = clean_exit(result, (0,))
        from indexer.store import load_index

        if not problem:
            texts = " ".join(c.text for c in load_index(lab.index).clauses)
            if "root:" in texts or "机密" in texts:
                problem = f"{what}: content from outside the plans folder was indexed"
        return problem or index_loads(lab)

    return run


def _secret(lab: Lab) -> Path:
    secret = lab.root / "secret.txt"
    secret.write_text("机密：服务器口令是什么。" * 20)
    return secret


attack("plans folder: link to a file outside")(_special(lambda lab: (lab.data / "s.txt").symlink_to(_secret(lab)), "link"))
attack("plans folder: link to /etc/passwd")(_special(lambda lab: (lab.data / "passwd.txt").symlink_to("/etc/passwd"), "link"))
attack("plans folder: broken link")(_special(lambda lab: (lab.data / "gone.txt").symlink_to(lab.root / "nowhere"), "link"))
attack("plans folder: folder named like a plan")(_special(lambda lab: (lab.data / "folder.txt").mkdir(), "dir"))
attack("plans folder: named pipe")(_special(lambda lab: os.mkfifo(lab.data / "pipe.txt"), "fifo"))
attack("outline: named pipe")(lambda lab: _then(os.mkfifo(lab.data / "p.txt"), clean_exit(cli("indexer", "outline", str(lab.data / "p.txt")), (1,))))
attack("outline: missing file")(lambda lab: clean_exit(cli("indexer", "outline", str(lab.data / "none.txt")), (1,)))
attack("outline: a folder")(lambda lab: clean_exit(cli("indexer", "outline", str(lab.data)), (1,)))

SIDECARS = {
    "meta: bad syntax": (f"{PLANS[0]}.meta.json", b'{"region": '),
    "meta: array": (f"{PLANS[0]}.meta.json", b'["x"]'),
    "meta: string": (f"{PLANS[0]}.meta.json", b'"x"'),
    "meta: not UTF-8": (f"{PLANS[0]}.meta.json", '{"region": "山东"}'.encode("gbk")),
    "meta: nested values": (f"{PLANS[0]}.meta.json", b'{"region": {"a": 1}, "title": [1]}'),
    "meta: empty": (f"{PLANS[0]}.meta.json", b""),
    "catalog: GBK": ("catalog.csv", "source,region\n规划.txt,山东省\n".encode("gbk")),
    "catalog: not text": ("catalog.csv", b"\xff\xfe\xfe\xff\x81"),
    "catalog: no source column": ("catalog.csv", b"file,region\nx.txt,y\n"),
    "catalog: ragged rows": ("catalog.csv", f"source,region\n{PLANS[0]},山东省,extra,cells\n,\n".encode()),
    "catalog: binary": ("catalog.csv", b"\x00\x01\x02" * 50),
    "catalog: empty": ("catalog.csv", b""),
}


def _sidecar(name: str, content: bytes) -> Attack:
    def run(lab: Lab) -> str:
        (lab.data / name).write_bytes(content)
        result = build(lab, "--force")
        problem = clean_exit(result, (0,))
        from indexer.store import read_manifest

        if not problem and read_manifest(lab.index).counts["documents"] != len(PLANS):
            problem = "not every plan was indexed"
        return problem or index_loads(lab)

    return run


for _name, (_file_name, _content) in SIDECARS.items():
    attack(_name)(_sidecar(_file_name, _content))


# 3. A damaged index: search says so in one line; build and build --force repair it.
def _damage(fn: Callable[[Path], None]) -> list[tuple[str, Attack]]:
    def search_it(lab: Lab) -> str:
        fn(lab.index)
        return clean_exit(search(lab, "专利"))

    def rebuild(lab: Lab, *extra: str) -> str:
        fn(lab.index)
        return clean_exit(build(lab, *extra), (0,)) or index_loads(lab)

    return [("search", search_it), ("build", rebuild), ("build --force", lambda lab: rebuild(lab, "--force"))]


def _rewrite(rel: str, change: Callable[[bytes], bytes]) -> Callable[[Path], None]:
    def fn(index: Path) -> None:
        path = index / rel
        path.write_bytes(change(path.read_bytes()))

    return fn


def _npy(change: Callable[[bytes], bytes]) -> Callable[[Path], None]:
    def fn(index: Path) -> None:
        for path in (index / "lexical").rglob("*.npy"):
            path.write_bytes(change(path.read_bytes()))

    return fn


def _nan(data: bytes) -> bytes:
    import numpy as np

    bad = np.array([np.nan, 3e38], dtype=np.float32).tobytes() * 8
    return data[: -len(bad)] + bad


DAMAGE: dict[str, Callable[[Path], None]] = {
    "manifest: invalid UTF-8": _rewrite("manifest.json", lambda b: b.replace(b'"model"', b'"mo\xffdel"', 1)),
    "manifest: truncated": _rewrite("manifest.json", lambda b: b[: len(b) // 2]),
    "manifest: a JSON array": _rewrite("manifest.json", lambda b: b"[1, 2]"),
    "manifest: empty": _rewrite("manifest.json", lambda b: b""),
    "manifest: wrong counts": _rewrite("manifest.json", lambda b: b.replace(b'"clauses": ', b'"clauses": 1', 1)),
    "manifest: deleted": lambda index: (index / "manifest.json").unlink(),
    "faiss: emptied": _rewrite("faiss.index", lambda b: b""),
    "faiss: truncated": _rewrite("faiss.index", lambda b: b[: len(b) // 2]),
    "faiss: NaN and 3e38": _rewrite("faiss.index", _nan),
    "clauses: emptied": _rewrite("clauses.jsonl", lambda b: b""),
    "clauses: a garbage line": _rewrite("clauses.jsonl", lambda b: b.replace(b"\n", b"\n{oops\n", 1)),
    "documents: emptied": _rewrite("documents.json", lambda b: b""),
    "indicators: emptied": _rewrite("indicators.jsonl", lambda b: b""),
    "lexical: npy emptied": _npy(lambda b: b""),
    "lexical: npy garbled": _npy(lambda b: b[:64] + bytes(len(b) - 64)),
    "lexical: folder deleted": lambda index: shutil.rmtree(index / "lexical"),
    "whole index: replaced by an empty folder": lambda index: [shutil.rmtree(index), index.mkdir()],
}
for _name, _fn in DAMAGE.items():
    for _how, _attack in _damage(_fn):
        attack(f"damaged index ({_name}): {_how}")(_attack)


# 4. Faults during a build: a full disk, a kill at any moment. The old index survives.
def _full_disk(lab: Lab) -> str:
    import faiss

    real = faiss.serialize_index

    def full(*args, **kwargs):
        raise RuntimeError("Error in faiss::FileIOWriter: fwrite failed\nNo space left on device")

    (lab.data / "new.txt").write_bytes((FIXTURES / "provincial_opinions_inline.txt").read_bytes())
    faiss.serialize_index = full
    try:
        result = build(lab)
    finally:
        faiss.serialize_index = real
    problem = clean_exit(result, (1,))
    if not problem and "space" not in result[2]:
        problem = f"the message does not say the disk is full: {result[2]!r}"
    return problem or index_loads(lab)


def _real_full_disk(lab: Lab) -> str:
    """A real small filesystem (tmpfs, root only): the index folder lives there and fills up."""
    mount = lab.root / "small"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4k", "tmpfs", str(mount)],
                                           capture_output=True).returncode:
        return _full_disk(lab)  # not root here: simulate it
    try:
        result = build(lab, index=mount / "index")
        problem = clean_exit(result, (1,))
        if not problem and not result[2].startswith("error: could not write the index"):
            problem = f"more than our one line on stderr: {result[2][:200]!r}"
        return problem
    finally:
        subprocess.run(["umount", str(mount)], capture_output=True)


attack("full disk (simulated)")(_full_disk)
attack("full disk (real tmpfs when root)")(_real_full_disk)


def _kill_after(seconds: float) -> Attack:
    def run(lab: Lab) -> str:
        (lab.data / "new.txt").write_bytes((FIXTURES / "provincial_opinions_inline.txt").read_bytes())
        proc = subprocess.Popen(
            [sys.executable, "-m", "indexer", "build", "--data", str(lab.data), "--index", str(lab.index),
             "--model", "fake:32", "--quiet"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        time.sleep(seconds)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return index_loads(lab) or clean_exit(build(lab), (0,)) or index_loads(lab)

    return run


for _delay in (0.3, 1.0, 1.6, 2.2, 3.0):
    attack(f"kill -9 during a build after {_delay}s")(_kill_after(_delay))


def _concurrent_builds(lab: Lab) -> str:
    (lab.data / "new.txt").write_bytes((FIXTURES / "provincial_opinions_inline.txt").read_bytes())
    procs = [subprocess.Popen([sys.executable, "-m", "indexer", "build", "--data", str(lab.data), "--index",
                               str(lab.index), "--model", "fake:32", "--quiet"], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    errors = [p.communicate()[1] for p in procs]
    bad = [e for p, e in zip(procs, errors, strict=True) if p.returncode != 0 or "Traceback" in e]
    return f"a concurrent build failed: {bad[0][-200:]}" if bad else index_loads(lab)


attack("three builds at once")(_concurrent_builds)


def _read_during_builds(lab: Lab) -> str:
    from indexer.store import load_index

    stop = threading.Event()
    failures: list[str] = []

    def reader():
        while not stop.is_set():
            try:
                load_index(lab.index)
            except Exception as err:  # noqa: BLE001
                failures.append(f"{type(err).__name__}: {err}")

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for i in range(4):
            (lab.data / f"extra{i}.txt").write_bytes(
                (FIXTURES / "provincial_opinions_inline.txt").read_text(encoding="utf-8").replace("一", "壹" * (i + 1)).encode())
            build(lab)
    finally:
        stop.set()
        thread.join()
    return f"a reader failed during a swap: {failures[0]}" if failures else ""


attack("reads while builds swap the index")(_read_during_builds)


# 5. Queries: one line or an answer, never a traceback; a batch goes on past a bad line.
QUERIES = {
    "lone surrogate": "\udcff专利",
    "only a surrogate": "\udcff",
    "control characters": "专利\x00\x07\x1b[31m",
    "right-to-left override": "\u202e专利保护",
    "emoji": "专利🚀🚀",
    "regex metacharacters": "((((*+?[",
    "backslashes": "\\\\\\",
    "markdown link": "[点我](http://example.com)",
    "html tag": "<img src=x onerror=alert(1)>",
    "empty": "",
    "spaces": "   ",
    "very long": "专利" * 5000,
    "section reference to nowhere": "青海 九十九、(九十九)99.",
    "only punctuation": "？？？。。。",
}
for _name, _query in QUERIES.items():
    attack(f"query: {_name}")(lambda lab, q=_query: clean_exit(search(lab, q, "--json")))
for _k in ("0", "-5", "abc"):
    attack(f"query: --k {_k}")(lambda lab, k=_k: clean_exit(search(lab, "专利", "--k", k), (1, 2)))
attack("query: --k 1000000000")(lambda lab: clean_exit(search(lab, "专利", "--k", "1000000000", "--json")))


def _batch(lab: Lab) -> str:
    lines = [
        json.dumps({"id": 1, "question": "专利保护"}),
        '{"id": 2, "question": "\\udcff专利"}',
        json.dumps({"id": 3, "question": None}),
        json.dumps({"id": 4, "question": {"a": 1}}),
        json.dumps({"id": 5, "question": ["专利"]}),
        "not json at all",
        json.dumps([1, 2]),
        json.dumps({"id": 8, "question": "商标品牌"}),
    ]
    path = lab.root / "batch.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = search(lab, "--batch", str(path))
    problem = clean_exit(result, (0, 1))
    if problem:
        return problem
    answered = [json.loads(line) for line in result[1].splitlines() if line.strip()]
    ids = [a.get("id") for a in answered if not a.get("error")]
    if 1 not in ids or 8 not in ids:
        return f"the batch did not go on past its bad lines: answered {ids}"
    searched_as_none = [a for a in answered if a.get("id") in (3, 4, 5) and not a.get("error")]
    return f"a non-string question was searched: {searched_as_none[0]['id']}" if searched_as_none else ""


attack("query: batch with bad lines")(_batch)
attack("query: batch file missing")(lambda lab: clean_exit(search(lab, "--batch", str(lab.root / "none.jsonl")), (1,)))
def _binary_batch(lab: Lab) -> str:
    (lab.root / "b.jsonl").write_bytes(b"\xff\x00" * 10)
    result = search(lab, "--batch", str(lab.root / "b.jsonl"))
    lines = [json.loads(line) for line in result[1].splitlines() if line.strip()]
    return clean_exit(result) or ("" if lines and all(line.get("error") for line in lines) else "no per-line error")


attack("query: batch file binary")(_binary_batch)
attack("query: no index")(lambda lab: _then(shutil.rmtree(lab.index), clean_exit(search(lab, "专利"), (1,))))


# 6. Exports: a clause or title cannot smuggle a formula into a spreadsheet or a link into Markdown.
def _exports(lab: Lab) -> str:
    from dataclasses import replace

    from retrieval.search import Searcher
    from ui.export import compare_csv, compare_markdown

    searcher = Searcher.open(lab.index)
    cov = searcher.compare("专利")
    hostile = []
    for c in cov:
        hits = tuple(
            replace(h, clause=replace(h.clause, text="=HYPERLINK(\"http://evil\",\"x\")" + h.clause.text),
                    document=replace(h.document, title="[官方下载](http://evil.example)<script>x</script>"))
            for h in c.hits
        )
        hostile.append(replace(c, region="@SUM(1+1)", hits=hits))
    csv_text = compare_csv(hostile).decode("utf-8-sig")
    import csv as csv_module

    for row in csv_module.reader(io.StringIO(csv_text)):
        for cell in row:
            if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
                return f"CSV cell starts with a formula character: {cell[:40]!r}"
    md = compare_markdown("[点我](http://evil.example) <b>x</b>", hostile)
    if "](http://evil" in md or "<script>" in md or "<b>" in md:
        return "Markdown export lets a link or tag through"
    return ""


attack("exports: formulas and links from documents")(_exports)


# 7. The app: document text is shown, never obeyed; readers cannot change the library.
@contextlib.contextmanager
def _app_env(**env: str):
    import streamlit as st

    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    st.cache_resource.clear()
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        st.cache_resource.clear()


def _hostile_lab(lab: Lab) -> tuple[Path, Path]:
    from indexer.build import build_index
    from indexer.embedding import FakeEmbedder
    from tests.test_app_hostile import _hostile_data

    data = _hostile_data(lab.root / "hostile-data")
    build_index(data, lab.root / "hostile-index", embedder=FakeEmbedder(64))
    return data, lab.root / "hostile-index"


def _page(page: str, act: Callable | None = None) -> Attack:
    def run(lab: Lab) -> str:
        from tests.apphelpers import app, live_markup

        data, index = _hostile_lab(lab)
        with _app_env(PLANSEARCH_INDEX=str(index), PLANSEARCH_DATA=str(data), PLANSEARCH_MODEL="fake:64"):
            at = app(None if page == "ask" else page)
            if act:
                act(at)
            if at.exception:
                return f"the page raised: {at.exception}"
            live = live_markup(at)
            return f"document text became markup: {live[:2]}" if live else ""

    return run


attack("app: ask page with hostile titles, regions and clauses")(
    _page("ask", lambda at: at.text_input(key="q").input("中小企业专利权质押向银行申请贷款").run()))
attack("app: compare page with a hostile region")(
    _page("compare", lambda at: at.text_input(key="topic").input("专利质押融资").run()))
attack("app: targets page with hostile documents")(_page("targets"))
attack("app: library page with a hostile skipped file")(_page("library"))


def _reader_cannot_edit(password_hash: str, typed: str | None) -> Attack:
    def run(lab: Lab) -> str:
        from tests.apphelpers import app

        with _app_env(PLANSEARCH_INDEX=str(lab.index), PLANSEARCH_DATA=str(lab.data),
                      PLANSEARCH_EDITOR_PASSWORD_HASH=password_hash):
            at = app("library")
            if typed is not None and at.text_input(key="editor-password") is not None:
                at.text_input(key="editor-password").input(typed)
                at.button(key="editor-unlock").click().run()
            keys = {getattr(w, "key", None) for w in (*at.button, *at.get("file_uploader"))}
            open_keys = keys & {"rescan", "upload-save", "uploads", "build-index"}
            return f"a reader can reach {sorted(open_keys)}" if open_keys else ""

    return run


def _hash(password: str) -> str:
    from ui.editor import hash_password

    return hash_password(password)


attack("app: no editor password set, library is read-only")(_reader_cannot_edit("", None))
attack("app: wrong editor password")(lambda lab: _reader_cannot_edit(_hash("right-口令"), "wrong")(lab))


# --- the run ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Lab:
    from indexer.build import build_index
    from indexer.embedding import FakeEmbedder

    root = tmp_path_factory.mktemp("attack") / "base"
    data = root / "data"
    data.mkdir(parents=True)
    for name in PLANS:
        shutil.copy(FIXTURES / name, data)
    build_index(data, root / "index", embedder=FakeEmbedder(32))
    return Lab(root, data, root / "index", sha(data))


def run_one(base: Lab, fn: Attack) -> str:
    lab = base.fresh()
    originals = sha(lab.data)
    outcome: list[str] = []

    def go():
        try:
            outcome.append(fn(lab))
        except BaseException as err:  # noqa: BLE001 - an attack that blows up the harness is a problem too
            import traceback

            outcome.append(f"raised {type(err).__name__}: {err} {traceback.format_exc()[-300:]}")

    thread = threading.Thread(target=go, daemon=True)
    thread.start()
    thread.join(TIME_LIMIT)
    if thread.is_alive():
        return f"no answer within {TIME_LIMIT:.0f}s (hangs?)"
    problem = outcome[0] if outcome else "no outcome"
    changed = [name for name, digest in originals.items() if sha(lab.data).get(name) != digest]
    if changed and not problem:
        problem = f"sources changed: {changed}"
    shutil.rmtree(lab.root, ignore_errors=True)
    return problem


def test_attack(lab, capsys):
    problems: dict[str, str] = {}
    started = time.perf_counter()
    for name, fn in ATTACKS.items():
        problem = run_one(lab, fn)
        if problem:
            problems[name] = problem
    seconds = time.perf_counter() - started
    with capsys.disabled():
        print()
        for name, problem in problems.items():
            print(f"PROBLEM {name}: {problem}")
        print(f"{len(ATTACKS)} tried, {len(ATTACKS) - len(problems)} handled, {len(problems)} problems"
              f" ({seconds:.0f} s); sources' checksums {'unchanged' if sha(lab.data) == lab.sources else 'CHANGED'}")
    assert sha(lab.data) == lab.sources
    assert not problems, "\n".join(f"{k}: {v}" for k, v in problems.items())
