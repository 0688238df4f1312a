"""Router and frame of the dashboard: `streamlit run dashboard/app.py`.

`streamlit run` finds `app = st.App(...)` at the foot of this file and serves it (uvicorn):
imported as a module, this file only builds that server — Streamlit's own routes plus the
session cookie's (dashboard/session_routes.py) — which then runs this same file as the page
script of every browser tab (`__name__ == "__main__"`), and so does AppTest."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # so `dashboard.*` imports under streamlit run

from dashboard.i18n import LANGUAGES, language, t


def page(
    script: str, key: str, icon: str, url: str | None = None, default: bool = False, shown: bool = True
) -> st.Page:
    """A page of views/: its title from the catalog, a bundled Material icon (no emoji font
    or download needed), its URL path, and whether the menu lists it."""
    return st.Page(
        f"views/{script}.py",
        title=t(key),
        icon=f":material/{icon}:",
        url_path=url or script,
        default=default,
        visibility="visible" if shown else "hidden",
    )


def main() -> None:
    # Here, not at the top: the server importing this file has no runtime for their caches yet.
    from dashboard import auth, data, meeting
    from dashboard.viewer import OutOfScope

    # An emoji favicon is drawn locally; a Material-icon favicon would be fetched from Google.
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

    viewer = auth.gate(meeting.active())
    if viewer is not None:
        with st.sidebar:
            st.caption(
                t("sidebar.user", name=viewer.name, role=t(f"role.{viewer.role}"), unit=viewer.scope or t("level.city"))
            )
            meeting.toggle()
            st.button(t("sidebar.logout"), on_click=auth.sign_out, icon=":material/logout:", key="logout")
            auth.watch_expiry()
        meeting.style()

    # Pages a viewer may not use are not listed, but a typed URL still reaches them: their data
    # layer refuses (OutOfScope), and the attempt is shown as refused and audited below.
    raw = [page("raw_files", "nav.raw", "folder_open", url="raw", shown=viewer is None or viewer.city)]
    admin = [page("admin", "nav.admin", "admin_panel_settings", shown=viewer is None or viewer.admin)]
    if data.stamp().computed:
        pages = {
            t("nav.section.review"): [
                page("overview", "nav.overview", "home", default=True),
                page("rankings", "nav.rankings", "leaderboard"),
                page("map", "nav.map", "map"),
                page("trends", "nav.trends", "trending_up"),
                page("bigscreen", "nav.bigscreen", "tv", url="bigscreen"),
                page("pack", "nav.pack", "slideshow", url="pack"),
                page("adjustments", "nav.adjustments", "exposure"),
                page("shuangbaodao", "nav.shuangbaodao", "volunteer_activism"),
                page("review", "nav.review", "gavel", shown=viewer is None or viewer.admin or viewer.approve),
                page("rectification", "nav.rectification", "task_alt"),
            ],
            t("nav.section.drill"): [
                page("profile", "nav.profile", "search"),
                page("members", "nav.members", "groups"),
            ],
            t("nav.section.data"): [
                page("quality", "nav.quality", "fact_check"),
                page("methodology", "nav.methodology", "functions"),
                *raw,
                *admin,
            ],
        }
    else:  # nothing published: how to load, and the raw files already there
        pages = {
            t("nav.section.data"): [page("empty", "empty.title", "download", url="start", default=True), *raw, *admin]
        }
    navigation = st.navigation(pages, position="sidebar" if viewer else "hidden")
    if viewer is None:
        auth.login_page()
        st.stop()
    try:
        navigation.run()
    except OutOfScope as refused:  # a page asked for data outside the viewer's scope: nothing of it is shown
        auth.record("access_denied", what=str(refused)[:120], scope=viewer.scope)
        st.error(t("access.denied"))


if __name__ == "__main__":
    main()
else:  # imported by `streamlit run` to serve: the app's server, with the session routes
    from dashboard.session_routes import ROUTES

    app = st.App(__file__, routes=ROUTES)
