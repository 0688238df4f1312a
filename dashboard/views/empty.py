"""Shown while nothing is published: how to load, and (for administrators, as loading
publishes for everyone) a button that loads the demo city."""

from __future__ import annotations

import subprocess
import sys

import streamlit as st

from dashboard.data import ROOT, db_path
from dashboard.i18n import t
from dashboard.viewer import current as viewer

DEMO = ROOT / "data" / "raw" / "demo"

st.title(t("empty.title"))
st.info(t("empty.body", db=db_path()))
if viewer().admin and st.button(t("empty.demo"), type="primary"):
    commands = [
        [sys.executable, "-m", "pipelines", "load", str(DEMO), "--db", str(db_path())],
        [sys.executable, "-m", "pipelines", "compute", "--db", str(db_path())],
    ]
    if not (DEMO / "_generator" / "summary.json").exists():
        commands.insert(
            0, [sys.executable, "-m", "pipelines", "synth", "--scale", "small", "--seed", "42", "--out", str(DEMO)]
        )
    with st.spinner(t("empty.loading")):
        for command in commands:
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
            if done.returncode:
                st.error(t("empty.failed", error=(done.stderr or done.stdout).strip()[-500:]))
                st.stop()
    st.rerun()
