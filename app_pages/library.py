"""文件库: what is indexed (and what was skipped, and why); an editor (who typed the editor password,
ui/editor.py) adds plans by upload or rescans the folder, then the index is updated."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from indexer import ocr
from indexer.load import SUPPORTED_SUFFIXES
from indexer.regions import level_name
from ui import config
from ui.build import ocr_progress_text
from ui.chrome import local_time, model_description
from ui.editor import editor_panel
from ui.export import table_csv
from ui.messages import UploadRefused, hide_paths, reason_text, split_skipped
from ui.resources import build_status, searcher_or_notice, start_build
from ui.safe import md
from ui.upload import MAX_BYTES, outcome_line, same_titled, save_uploads, withdraw_plan

st.markdown("### 文件库")
searcher = searcher_or_notice()  # an editor may upload below even without an index

if searcher is not None:
    index = searcher.index
    manifest = index.manifest
    clause_counts = {s.doc_id: s.clauses for s in manifest.sources}
    indicator_counts: dict[str, int] = {}
    for ind in index.indicators:
        indicator_counts[ind.doc_id] = indicator_counts.get(ind.doc_id, 0) + 1
    rows = [
        {
            "地区": d.region,
            "级别": level_name(d.region, d.region_level),
            "标题": d.title,
            "类型": d.doc_type,
            "发文机关": d.issuer,
            "文号": d.doc_number,
            "成文日期": d.signed,
            "发布日期": d.published,
            "条款数": clause_counts.get(d.doc_id, 0),
            "章节数": len(entry.headings),
            "指标数": indicator_counts.get(d.doc_id, 0),
            # a scanned PDF was read by OCR: its text may hold recognition errors
            "来源": f"扫描件（文字识别 {d.ocr_pages} 页）" if d.ocr_pages else "文本",
            "文件名": d.source,
        }
        for entry in index.documents
        for d in (entry.document,)
    ]
    counts = manifest.counts
    st.caption(
        f"{counts.get('documents', 0)} 个文件 · {counts.get('clauses', 0)} 条条款 · {counts.get('indicators', 0)} 条指标目标"
        f" · 检索模型：{model_description(manifest.model)} · 索引更新于 {md(local_time(manifest.built_at))}",
        help=md(f"模型标识：{hide_paths(manifest.model)}"),  # the id is for the operator, one hover away
    )
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="lib-table")
    if rows:  # the table's own CSV export is off (config.toml): it writes formulas as they are
        st.download_button(
            "导出 CSV",
            table_csv(rows, list(rows[0])),
            file_name="文件库.csv",
            mime="text/csv",
            icon=":material/download:",
            key="lib-csv",
        )
    files, metadata = split_skipped(manifest.skipped)
    if files:
        st.markdown("##### 未能收录的文件")
        for source, reason in files:
            st.warning(md(hide_paths(f"{source}：{reason_text(reason)}")))
    if metadata:  # catalog.csv and sidecars: the plans themselves are indexed
        st.markdown("##### 目录与元数据的问题（文件均已收录）")
        for source, reason in metadata:
            st.info(md(hide_paths(f"{source}：{reason_text(reason)}")))
    if manifest.duplicates:
        st.markdown("##### 重复的文件（只收录一份）")
        for source, original in manifest.duplicates:
            st.info(md(f"{source} 与 {original} 内容相同，未重复收录"))
    same_title = same_titled([entry.document for entry in index.documents])
    if same_title:  # not the same bytes, but the same document by its title: a copy, a part, a scan of it?
        st.markdown("##### 标题相同的文件（请确认是否重复）")
        for title, sources in same_title:
            st.info(md(f"《{title}》：{'、'.join(sources)}"))
    if not manifest.skipped and not manifest.duplicates:
        st.caption("规划文件夹中的文件均已收录。")

st.markdown("#### 更新文件库")
if not editor_panel():  # visitors read; uploading, rescanning and rebuilding need the editor password
    st.stop()
# Updates run in the background (ui/jobs.py): searches answer from the index in place until it is swapped.
if searcher is not None:
    if st.button("重新扫描文件夹并更新索引", help="收录管理员手工放入规划文件夹的文件", key="rescan"):
        start_build()

if searcher is not None and searcher.index.documents:
    st.markdown("##### 移出文件库")
    sources = sorted(entry.document.source for entry in searcher.index.documents)
    leaving = st.selectbox("要移出的文件", sources, index=None, placeholder="选择文件", key="withdraw-file")
    sure = st.checkbox("我确认将这个文件移出文件库（文件不会删除，保留在规划文件夹的隐藏子文件夹中，放回即可恢复）",
                       key="withdraw-confirm", disabled=leaving is None)
    if st.button("移出并更新索引", disabled=leaving is None or not sure, key="withdraw"):
        try:
            kept = withdraw_plan(leaving, config.data_dir())
        except UploadRefused as err:
            st.error(md(str(err)))
        else:
            start_build(messages=[("success", f"已将 {leaving} 移出文件库（文件保留为隐藏子文件夹中的 {kept}，放回规划文件夹即可恢复）")])

st.markdown("##### 上传规划文件")
kinds = [s.lstrip(".") for s in SUPPORTED_SUFFIXES]
files = st.file_uploader(
    f"支持 {'、'.join(k.upper() for k in kinds)}，每个不超过 {MAX_BYTES // 1024 // 1024} MB",
    type=kinds,
    accept_multiple_files=True,
    max_upload_size=MAX_BYTES // 1024 // 1024,
    key="uploads",
)
choice = st.radio(
    "文件库中已有同名文件时",
    ["rename", "overwrite"],
    format_func={"rename": "另存为新名称（加后缀）", "overwrite": "覆盖旧文件"}.get,
    horizontal=True,
    key="on-conflict",
)
confirmed = choice != "overwrite" or st.checkbox("我确认用新文件覆盖同名的旧文件", key="confirm-overwrite")
if st.button("保存并更新索引", type="primary", disabled=not files or not confirmed, key="upload-save"):
    reading = st.empty()  # each upload is test-read first: a scanned PDF takes seconds a page, so show them
    with ocr.reporting(lambda done, total: reading.progress(done / total if total else 1.0, text=ocr_progress_text(done, total))):
        outcomes = save_uploads([(f.name, f.getvalue()) for f in files], config.data_dir(), choice)
    reading.empty()
    lines = [outcome_line(o) for o in outcomes]
    for o, line in zip(outcomes, lines, strict=True):
        (st.error if o.saved is None else st.success)(md(line))
    if any(o.saved is not None and o.saved.status != "unchanged" for o in outcomes):
        saved = [("error" if o.saved is None else "success", line) for o, line in zip(outcomes, lines, strict=True)]
        start_build(messages=saved)  # the saved files stay whatever the build's outcome

build_status()
