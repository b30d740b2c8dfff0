"""Typed errors → one calm Chinese sentence for the page (the engine's own English line stays available
as a detail for whoever has to fix it, with the server's folders left out)."""

from __future__ import annotations

import re

from indexer.errors import (
    EmptyQuery,
    IndexDamaged,
    IndexMismatch,
    IndexNotFound,
    IndexWriteFailed,
    ModelUnavailable,
    PlanSearchError,
    QueryTooLong,
    UnreadableSource,
    UnsafePath,
)
from retrieval.query import MAX_QUERY_CHARS


class UploadRefused(PlanSearchError):
    """An uploaded file we will not save (too large, wrong type, name taken …). ``str`` is already Chinese."""


EMPTY_QUERY = "请输入问题，例如：中小企业怎么用专利去银行贷款？"
QUERY_TOO_LONG = f"问题太长了，请精简到 {MAX_QUERY_CHARS} 字以内（一两句话即可）。"
NO_INDEX = "还没有建立检索索引。建立一次即可使用（几秒到一两分钟，视文件多少而定）。"
INDEX_MISMATCH = "检索索引与当前程序版本不一致或已损坏，需要重新建立。"
INDEX_DAMAGED = "检索索引的文件已损坏，需要重新建立（规划原文不受影响）。"
INDEX_WRITE_FAILED = "新的检索索引没能写入（可能是磁盘已满），原有索引保持不变，仍可正常检索。"
UNSAFE_PATH = "索引位置设置不当（指向了规划文件夹或其他文件），为避免覆盖文件已停止。请管理员检查索引目录设置。"
MODEL_UNAVAILABLE = "无法加载语义模型，暂时不能检索。请联系管理员检查模型文件。"
UNREADABLE = "无法读取该文件"
GENERIC = "操作没有完成"
EDITOR_MISCONFIGURED = "编辑口令的配置格式不正确，暂时不能解锁编辑。请管理员用 python -m ui.editor hash-password 重新生成。"
# An absolute path (POSIX or Windows) up to its last part: /srv/plans/index → …/index. Not a URL's path.
_ABSOLUTE = re.compile(r"(?<![\w.~:/\\])/(?:[^\s/\\'\"`,;:：，；（）()\[\]<>]+/)+|\b[A-Za-z]:\\(?:[^\s\\'\"]+\\)+")


def friendly(err: PlanSearchError) -> str:
    """The message a person sees for an error of the engine."""
    if isinstance(err, EmptyQuery):
        return EMPTY_QUERY
    if isinstance(err, QueryTooLong):
        return QUERY_TOO_LONG
    if isinstance(err, IndexNotFound):
        return NO_INDEX
    if isinstance(err, IndexDamaged):
        return INDEX_DAMAGED
    if isinstance(err, IndexMismatch):
        return INDEX_MISMATCH
    if isinstance(err, IndexWriteFailed):
        return INDEX_WRITE_FAILED
    if isinstance(err, UnsafePath):
        return UNSAFE_PATH
    if isinstance(err, ModelUnavailable):
        return MODEL_UNAVAILABLE
    if isinstance(err, UnreadableSource):
        return f"{UNREADABLE}：{hide_paths(err.reason)}"
    if isinstance(err, UploadRefused):
        return str(err)
    from .editor import BadPasswordHash

    if isinstance(err, BadPasswordHash):
        return EDITOR_MISCONFIGURED
    return f"{GENERIC}：{hide_paths(str(err))}"


def detail(err: PlanSearchError) -> str:
    """The technical line, shown small under the friendly one where it helps (index and model problems)."""
    return "" if isinstance(err, EmptyQuery | QueryTooLong | UploadRefused) else hide_paths(str(err))


def hide_paths(text: str) -> str:
    """The text with every absolute path cut to its last part (visitors need not learn the server's
    folders): 'no index at /srv/app/index' → 'no index at …/index'."""
    return _ABSOLUTE.sub("…/", text) if "/" in text or "\\" in text else text
