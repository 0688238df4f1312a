"""An adjustment's whole life in a real browser (headless Chromium against `streamlit run`): an
administrator signs in and enters a bonus with an evidence file, another user with the approve
right signs in and approves it, `python -m pipelines compute` runs, and the rankings then show
the unit's composite before and after the adjustment."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys

import pandas as pd
import pytest

from pipelines.access import demo
from pipelines.engine.compute import compute
from pipelines.engine.methodology import load as load_methodology
from pipelines.evaluation import adjustments as register
from pipelines.load.batch import load
from tests.browser.helpers import (
    ROOT,
    RUN_OVER,
    SCREENSHOTS,
    SIGNED_IN,
    download,
    fill_sign_in,
    offline,
    serve,
    server_db,
    settled,
    sign_in,
)
from tests.signin import PASSWORDS

APPROVER = "approver-Passw0rd-demo"
EVIDENCE = b"%PDF-1.4\n% award certificate of the grid\n"


@pytest.fixture(scope="module")
def server(small_default, tmp_path_factory):
    root = tmp_path_factory.mktemp("browser_adjustments")
    db = root / "pbi.duckdb"
    load([small_default], db)
    compute(db, load_methodology())
    demo.create(db, root / "users.json", {**PASSWORDS, "approver": APPROVER})  # admin enters, approver approves
    yield from serve(db, root / "users.json", root / "audit.duckdb")


def _field(page, label: str):
    return page.locator("[data-testid='stMain']").get_by_label(label, exact=True)


def test_enter_approve_compute_and_rank(server, watched, tmp_path):
    page, hosts, errors = watched
    db = server_db(server)
    evidence = tmp_path / "表彰证明.pdf"
    evidence.write_bytes(EVIDENCE)

    # The administrator enters a bonus of 3 points (the first grid, the latest quarter: the defaults).
    sign_in(page, f"{server}/adjustments", "admin", "录入")
    _field(page, "分值").fill("3")
    _field(page, "分值").press("Tab")  # a number is sent when the field is left
    page.wait_for_function(RUN_OVER)
    _field(page, "事由").fill("获市级先进网格表彰")
    _field(page, "事由").press("Tab")
    page.wait_for_function(RUN_OVER)
    page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(evidence))
    page.get_by_text(evidence.name).first.wait_for()
    page.wait_for_function(RUN_OVER)
    page.get_by_role("button", name="提交录入").click()
    settled(page, "已录入第 1 条，待审批")
    page.screenshot(path=str(SCREENSHOTS / "adjustments.png"), full_page=True)
    entry = register.listing(db).iloc[0]
    assert (entry["state"], entry["entered_by"], entry["points"], entry["kind"]) == ("待审批", "admin", 3, "加分")
    assert entry["evidence_name"] == evidence.name
    assert entry["evidence_sha256"] == hashlib.sha256(EVIDENCE).hexdigest()
    unit = entry["unit_id"]

    # Another user, with the approve right, approves it.
    page.context.clear_cookies()
    page.goto(f"{server}/adjustments")
    fill_sign_in(page, "approver", APPROVER, accepted=True)
    settled(page, f"{SIGNED_IN}approver（")
    settled(page, "审批通过")
    page.get_by_role("button", name="审批通过").click()
    settled(page, "第 1 条已审批生效")
    assert register.listing(db).iloc[0]["state"] == "已生效"

    # The next computation applies it; the rankings show the composite before and after.
    env = {**os.environ, "PBI_DB": str(db)}
    done = subprocess.run(
        [sys.executable, "-m", "pipelines", "compute", "--db", str(db)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    sign_in(page, f"{server}/rankings?level=grid&period=2025Q4", "admin", "排名 · 网格 · 2025Q4")
    settled(page, "为加减分后的值")
    page.screenshot(path=str(SCREENSHOTS / "rankings-adjusted.png"), full_page=True)
    shown = pd.read_csv(io.BytesIO(download(page, "下载 CSV").read_bytes()), encoding="utf-8-sig", dtype={"编码": str})
    row = shown.set_index("编码").loc[unit]
    assert row["加减分"] == 3
    assert row["党建综合指数"] == pytest.approx(min(100.0, row["调整前综合指数"] + 3))
    offline(hosts, errors)
