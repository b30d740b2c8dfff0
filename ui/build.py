"""What the app says about building the index: the embedder to build with, progress texts, report lines
(the build itself runs in the background: ui/jobs.py)."""

from __future__ import annotations

from pathlib import Path

from indexer.build import BuildReport
from indexer.embedding import EmbedderSettings
from indexer.embedding.settings import settings_for_index
from indexer.errors import IndexMismatch, IndexNotFound
from indexer.store import read_manifest

# Share of the bar each stage of build_index(progress=…) fills: reading is quick, embedding is the bulk.
_STAGES = {"read": ("读取文件", 0.0, 0.2), "embed": ("计算语义向量", 0.2, 0.95), "write": ("写入索引", 0.95, 1.0)}


def embedder_settings(index_dir: Path) -> EmbedderSettings:
    """The embedder of the existing index (so an update reuses its vectors), else the configured one."""
    try:
        m = read_manifest(index_dir)
    except (IndexNotFound, IndexMismatch):
        return EmbedderSettings.from_env()
    return settings_for_index(m)  # so an update reuses its vectors


def progress_fraction(stage: str, done: int, total: int) -> tuple[float, str]:
    """Where the bar stands for a progress report of build_index, and what it says."""
    label, start, end = _STAGES.get(stage, (stage, 0.0, 1.0))
    share = done / total if total else 1.0
    return start + (end - start) * min(max(share, 0.0), 1.0), f"{label} {done}/{total}" if total else label


def remaining_text(elapsed: float, done: int, total: int) -> str:
    """How long the rest of a stage should take at the pace so far (a large upload embeds for minutes):
    「，预计还需约 3 分钟」; "" until the pace is known (a few seconds and a few items in) or when done."""
    if done <= 0 or done >= total or elapsed < 3.0:
        return ""
    left = elapsed * (total - done) / done
    if left < 60:
        return f"，预计还需约 {max(5, round(left / 5) * 5)} 秒"
    return f"，预计还需约 {round(left / 60)} 分钟" if left < 5400 else f"，预计还需约 {left / 3600:.1f} 小时"


def ocr_progress_text(done: int, total: int) -> str:
    return f"读取文件：扫描件文字识别 {done}/{total} 页"


def report_lines(report: BuildReport) -> list[str]:
    """A build report in a few Chinese lines."""
    if report.up_to_date:
        lines = [f"索引已是最新：{report.documents} 个文件，{report.clauses} 条条款。"]
    else:
        lines = [
            f"已建立索引：{report.documents} 个文件，{report.clauses} 条条款"
            # embedded / reused count vectors: a clause's own and one per sentence, not clauses
            f"（语义向量新计算 {report.embedded} 个、复用 {report.reused} 个，用时 {report.seconds:.1f} 秒）。"
        ]
    for label, names in (("新增", report.added), ("更新", report.changed), ("移除", report.removed)):
        if names:
            lines.append(f"{label}：{'、'.join(names)}")
    return lines
