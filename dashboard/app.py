"""Router and frame of the dashboard: `streamlit run dashboard/app.py`."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # so `dashboard.*` imports under streamlit run

from dashboard import data
from dashboard.i18n import LANGUAGES, language, t

st.set_page_config(page_title=t("app.title"), page_icon="🏛️", layout="wide")

with st.sidebar:
    current = language()
    choice = st.radio(
        t("sidebar.language"),
        list(LANGUAGES),
        index=list(LANGUAGES).index(current),
        format_func=LANGUAGES.get,
        horizontal=True,
        key="lang_choice",
    )
    if choice != current:
        st.query_params["lang"] = choice
        st.rerun()

if data.stamp().computed:
    pages = {
        t("nav.section.review"): [
            st.Page("views/overview.py", title=t("nav.overview"), icon="🏠", url_path="overview", default=True),
            st.Page("views/rankings.py", title=t("nav.rankings"), icon="🏆", url_path="rankings"),
        ],
        t("nav.section.data"): [
            st.Page("views/quality.py", title=t("nav.quality"), icon="🧪", url_path="quality"),
            st.Page("views/raw_files.py", title=t("nav.raw"), icon="📁", url_path="raw"),
        ],
    }
else:  # nothing published: how to load, and the raw files already there
    pages = {
        t("nav.section.data"): [
            st.Page("views/empty.py", title=t("empty.title"), icon="📥", url_path="start", default=True),
            st.Page("views/raw_files.py", title=t("nav.raw"), icon="📁", url_path="raw"),
        ],
    }
st.navigation(pages).run()
