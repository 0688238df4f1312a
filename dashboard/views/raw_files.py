"""Raw files page: what exports are in the data folder, by kind."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard.data import city_only
from dashboard.formatting import date_time, file_size
from dashboard.i18n import language, t
from pipelines import settings

# Folder names the synthetic city uses; other files are listed as "other" until the loader
# (which recognises kinds by header row) takes over.
KIND_BY_FOLDER = {
    "党员花名册": "members",
    "服务记录": "services",
    "群众诉求": "demands",
    "组织生活": "meetings",
    "任务清单": "tasks",
}
KIND_BY_NAME = {"网格台账": "grids", "党组织信息": "orgs"}


def _kind(path: Path) -> str:
    if path.suffix == ".geojson":
        return "geometry"
    for part in path.parts:
        if part in KIND_BY_FOLDER:
            return KIND_BY_FOLDER[part]
    return next((k for name, k in KIND_BY_NAME.items() if path.stem.startswith(name)), "other")


@city_only  # the whole city's files: city users only (a typed URL is refused and audited)
def raw_files(root: Path) -> pd.DataFrame:
    rows = []
    for path in sorted(root.rglob("*")) if root.exists() else []:
        rel = path.relative_to(root)
        if not path.is_file() or any(p.startswith(("_", ".")) for p in rel.parts):
            continue
        stat = path.stat()
        rows.append(
            {
                "kind": _kind(rel),
                "file": rel.as_posix(),
                "bytes": stat.st_size,
                "modified": dt.datetime.fromtimestamp(stat.st_mtime),
            }
        )
    return pd.DataFrame(rows, columns=["kind", "file", "bytes", "modified"])


st.title(t("app.title"))
st.caption(t("app.subtitle"))
st.header(t("raw.title"))
raw_dir = settings.raw_dir()  # PBI_RAW, read at every run of the page
files = raw_files(raw_dir)  # refused before anything is listed, even an empty folder
if files.empty:
    st.info(t("raw.none", path=raw_dir))
else:
    lang = language()
    st.write(t("raw.intro"))
    st.write(t("raw.total", n=len(files), size=file_size(int(files["bytes"].sum()), lang)))
    st.dataframe(
        pd.DataFrame(
            {
                t("raw.kind"): [t(f"kind.{k}") for k in files["kind"]],
                t("raw.file"): files["file"],
                t("raw.size"): [file_size(b, lang) for b in files["bytes"]],
                t("raw.modified"): [date_time(m, lang) for m in files["modified"]],
            }
        ),
        hide_index=True,
        width="stretch",
    )
