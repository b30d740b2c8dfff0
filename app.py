"""规划条款检索 · the Streamlit shell: page setup, navigation, shared style. Each page lives in pages/.

    streamlit run app.py          # index from $PLANSEARCH_INDEX (default ./index), plans from $PLANSEARCH_DATA

Nothing heavy happens here: the index and the model load on first use, once per process and per index
version (ui/resources.py); with no index the pages offer to build it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:  # `streamlit run` puts the script's folder first already; AppTest may not
    sys.path.insert(0, str(ROOT))

from ui.render import inject_css  # noqa: E402

st.set_page_config(page_title="规划条款检索", page_icon=":material/gavel:", layout="wide")
inject_css()

PAGES = [
    st.Page("pages/ask.py", title="问答检索", icon=":material/search:", url_path="ask", default=True),
    st.Page("pages/compare.py", title="地区对比", icon=":material/compare_arrows:", url_path="compare"),
    st.Page("pages/browse.py", title="浏览条款", icon=":material/account_tree:", url_path="browse"),
    st.Page("pages/targets.py", title="量化指标", icon=":material/bar_chart:", url_path="targets"),
    st.Page("pages/library.py", title="文件库", icon=":material/folder_open:", url_path="library"),
]

page = st.navigation(PAGES)
with st.sidebar:
    st.caption("规划条款检索与问答 · 十四五知识产权规划及相关文件")
page.run()
