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
        return f"{UNREADABLE}：{reason_text(err.reason)}"
    if isinstance(err, UploadRefused):
        return str(err)
    from .editor import BadPasswordHash

    if isinstance(err, BadPasswordHash):
        return EDITOR_MISCONFIGURED
    return f"{GENERIC}：{hide_paths(str(err))}"


# The reasons the reader gives (in English, for operators at the command line) as a reader of the page
# reads them. Each pattern is one reason of indexer/ (load, read, metadata, build); the first match wins.
_REASONS: list[tuple[re.Pattern, str]] = [
    (re.compile(p), zh)
    for p, zh in [
        (r"^AES-encrypted PDF", "PDF 经过 AES 加密，需要安装 cryptography 组件才能读取"),
        (r"^scanned pages compressed as JBIG2", "扫描页面采用 JBIG2 压缩，服务器需要安装 jbig2dec 程序才能识别"),
        (r"^a stream compressed with Brotli", "PDF 使用 Brotli 压缩，服务器需要安装 brotli 组件才能读取"),
        (r"^encrypted PDF", "PDF 设有打开密码，无法读取"),
        (r"^binary file", "不是文本文件"),
        (r"^cannot decode", "无法识别文字编码（支持 UTF-8、GB18030、Big5）"),
        (r"^corrupt or unreadable DOCX", "Word 文件已损坏或无法打开"),
        (r"^corrupt or unreadable PDF", "PDF 文件已损坏或无法打开"),
        (r"^empty file", "文件是空的"),
        (r"^is a directory", "这是一个文件夹，不是文件"),
        (r"^no such file", "文件不存在"),
        (r"^no text layer", "PDF 中没有可读的文字（页面图像也没有识别出文字）"),
        (r"^no text left after cleaning", "去掉版式内容后没有正文"),
        (r"^not a regular file", "不是普通文件（管道、套接字或设备）"),
        (r"^old Word \.doc", "这是旧版 Word（.doc）文件，请另存为 .docx 后再上传"),
        (r"zip bomb|PDF bomb|far more text", "文件解压后异常庞大，疑似恶意文件，已拒绝"),
        (r"^refused: .*pages \(at most", "页数过多，已拒绝"),
        (r"^refused: OCR took", "扫描件页数太多，文字识别超时，已拒绝"),
        (r"^scanned PDF, and the OCR engine", "这是扫描件，但服务器没有安装文字识别（OCR）组件"),
        (r"^unreadable HTML", "网页文件无法读取"),
        (r"^cannot read file", "文件无法读取（权限或磁盘问题）"),
        (r"^file too large", "文件过大"),
        (r"^same document id as (?:.*[/\\])?(?P<other>[^/\\]+)$", "与 {other} 的文件名（不计扩展名）相同，未重复收录；请改名或移出其中一个"),
        (r"^unsupported", "不支持的文件类型（支持 PDF、DOCX、TXT、MD、HTML）"),
        (r"^not Chinese plan text", "内容不是中文规划文本，请确认文件是否正确"),
        (r"^hidden file", "隐藏文件（文件名以点开头），改名后才会收录"),
        (r"^link that loops", "循环的快捷方式，未跟随"),
        (r"^link to a file outside", "指向规划文件夹之外的快捷方式，未跟随"),
        (r"^broken link", "失效的快捷方式"),
        (r"^catalog.*last build's catalog \((?P<rows>\d+) rows\)",
         "目录文件 catalog.csv 无法使用，暂沿用上次构建时的目录（{rows} 行）；修正后重新构建即可"),
        (r"^catalog", "目录文件 catalog.csv 有问题，已忽略（各文件仍正常收录）"),
        (r"^no such plan file in the folder", "规划文件夹中没有这个文件，这一行未使用（文件名写错，或文件已改名、移出）"),
        (r"^the file repeats (?P<other>.+), which is indexed instead",
         "该文件与 {other} 内容相同，收录的是后者，这一行未使用（请把更正写在 {other} 的一行）"),
        (r"^metadata field '(?P<field>[^']*)' is not a plan field",
         "「{field}」不是可设置的文件属性，已忽略（可用：title、region、issuer、doc_number、signed、published、doc_type 等）"),
        (r"^metadata date signed '(?P<value>[^']*)' is not a date", "成文日期「{value}」无法识别，已忽略（请写成 2021-03-05）"),
        (r"^metadata date published '(?P<value>[^']*)' is not a date", "发布日期「{value}」无法识别，已忽略（请写成 2021-03-05）"),
        (r"^metadata region '(?P<value>[^']*)' is not a known region",
         "地区「{value}」不在地名表中，已按所写使用（其级别和所属省份仍按正文推断）"),
        (r"^metadata file", "元数据文件有问题，已忽略（文件仍正常收录）"),
    ]
]


_CATALOG_ROW = re.compile(r"row (?P<source>[^:]+): ")
_METADATA = re.compile(r"^(?:row [^:]+: |metadata |catalog)")


def metadata_problem(reason: str) -> bool:
    """Whether a build's reason is about catalog.csv or a sidecar, whose plans were indexed all the same."""
    return bool(_METADATA.match(reason))


def split_skipped(skipped) -> tuple[list, list]:
    """A build's (source, reason) pairs as (files not indexed, problems of catalog.csv and sidecars)."""
    files, metadata = [], []
    for source, reason in skipped:
        (metadata if metadata_problem(reason) else files).append((source, reason))
    return files, metadata


def reason_text(reason: str) -> str:
    """A reader's reason in Chinese; an unknown one as it is (with server folders left out)."""
    row = _CATALOG_ROW.match(reason)
    if row:  # a problem with one row of catalog.csv
        return f"{row['source']} 一行：{reason_text(reason[row.end():])}"
    for pattern, zh in _REASONS:
        m = pattern.search(reason)
        if m:
            return zh.format(**m.groupdict())  # a named group (the other file's name) fills the message
    return hide_paths(reason)


def detail(err: PlanSearchError) -> str:
    """The technical line, shown small under the friendly one where it helps (index and model problems)."""
    return "" if isinstance(err, EmptyQuery | QueryTooLong | UploadRefused) else hide_paths(str(err))


def hide_paths(text: str) -> str:
    """The text with every absolute path cut to its last part (visitors need not learn the server's
    folders): 'no index at /srv/app/index' → 'no index at …/index'."""
    return _ABSOLUTE.sub("…/", text) if "/" in text or "\\" in text else text

