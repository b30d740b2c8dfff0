"""规划条款检索 · the Streamlit shell: page setup, navigation, shared style. Each page lives in app_pages/.

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

from ui.chrome import APP_NAME, page_title, translate_chrome  # noqa: E402
from ui.render import inject_css  # noqa: E402

st.set_page_config(page_title=APP_NAME, page_icon="📑", layout="wide")
inject_css()

# The Ask page is served at the root; its url_path only names it (a default page has none of its own).
ASK = st.Page("app_pages/ask.py", title="问答检索", icon=":material/search:", url_path="home", default=True)


def _ask_alias() -> None:
    """``/ask?q=…`` (and a bare ``/ask``) is the Ask page at the root, with the same question."""
    st.switch_page(ASK, query_params=st.query_params.to_dict())


PAGES = [
    ASK,
    st.Page("app_pages/compare.py", title="地区对比", icon=":material/compare_arrows:", url_path="compare"),
    st.Page("app_pages/browse.py", title="浏览条款", icon=":material/account_tree:", url_path="browse"),
    st.Page("app_pages/targets.py", title="量化指标", icon=":material/bar_chart:", url_path="targets"),
    st.Page("app_pages/library.py", title="文件库", icon=":material/folder_open:", url_path="library"),
    st.Page(_ask_alias, title="问答检索", url_path="ask", visibility="hidden"),
]

page = st.navigation(PAGES)
st.set_page_config(page_title=page_title(page.title))  # each page its own tab title
with st.sidebar:
    st.caption("规划条款检索与问答 · 各级规划、实施意见、行动方案与条例")
    translate_chrome()
page.run()
