"""--dirty-rate injects every kind of bad row the contract names, and the manifest lists
exactly the rows an independent reading of the contract flags."""

from __future__ import annotations

import pandas as pd

from tests.load.contract_check import check, id_valid, read_csv, read_xlsx
from tests.synth.contract_check_v11 import check_v11

EXPECTED = {
    "grids": {"invalid_number"},
    "orgs": {"unknown_grid"},
    "members": {
        "bad_check_digit",
        "excel_mangled_id",
        "unknown_grid",
        "invalid_code",
        "future_date",
        "unknown_org",
        "not_reporting_org",
    },
    "services": {
        "bad_check_digit",
        "excel_mangled_id",
        "unknown_grid",
        "unknown_member",
        "impossible_date",
        "hours_out_of_range",
        "rating_out_of_range",
        "duplicate_row",
    },
    "demands": {
        "unknown_grid",
        "unknown_member",
        "impossible_date",
        "resolved_before_reported",
        "rating_out_of_range",
        "unknown_org",
        "duplicate_row",
    },
    "meetings": {"unknown_org", "impossible_date", "attended_gt_expected", "duplicate_row"},
    "tasks": {
        "unknown_org",
        "due_before_assigned",
        "completed_before_assigned",
        "impossible_date",
        "excel_mangled_date",
        "duplicate_task_id",
        "duplicate_row",
    },
}
# Excel-mangled dates (########) come from a CSV saved from Excel: the workbooks have none.
NOT_IN_XLSX = {"tasks": {"excel_mangled_date"}}


def _expected(kind: str, file: str) -> set[str]:
    return EXPECTED[kind] - (NOT_IN_XLSX.get(kind, set()) if file.endswith(".xlsx") else set())


def _bad_rows(root) -> set:
    """The rows an independent reading of contract v1 and its v1.1 additions flags."""
    return check(root) | check_v11(root)


def _manifest(root) -> pd.DataFrame:
    return pd.read_csv(root / "_generator/faults.csv", dtype={"value": str})


def test_every_fault_kind_is_injected(small_dirty):
    m = _manifest(small_dirty)
    assert {k: set(g["fault"]) for k, g in m.groupby("kind")} == EXPECTED
    # Every data file of a kind with faults gets each of that kind's faults.
    for (kind, file), g in m.groupby(["kind", "file"]):
        assert set(g["fault"]) == _expected(kind, file), file


def test_manifest_names_exactly_the_bad_rows(small_dirty):
    m = _manifest(small_dirty)
    assert not m.duplicated(["file", "row"]).any()  # one fault per row
    assert _bad_rows(small_dirty) == set(zip(m["file"], m["row"], m["fault"], strict=True))


def test_default_demo_data_is_dirty_and_exact(small_default):
    m = _manifest(small_default)
    assert len(m) > 100
    assert _bad_rows(small_default) == set(zip(m["file"], m["row"], m["fault"], strict=True))


def test_mangled_ids_look_like_excel(small_dirty):
    m = _manifest(small_dirty)
    mangled = m[m["fault"] == "excel_mangled_id"]
    text = mangled[mangled["kind"] == "services"]
    assert text["value"].str.fullmatch(r"\d\.\d{5}E\+17").all()  # as a CSV saved from Excel shows it
    roster = mangled[mangled["kind"] == "members"].iloc[0]
    header, rows, first = read_xlsx(small_dirty / roster["file"])
    cell = rows[roster["row"] - first][header.index("公民身份号码")]
    # A number, with only Excel's 15 significant digits left of the 18.
    assert isinstance(cell, float) and 1e17 < cell < 1e18
    assert float(f"{cell:.15g}") == cell and f"{cell:.15g}" != f"{cell:.18g}"


def test_row_numbers_are_what_a_user_sees(small_dirty):
    m = _manifest(small_dirty)
    row = m[(m["kind"] == "services") & (m["fault"] == "bad_check_digit")].iloc[0]
    lines = (small_dirty / row["file"]).read_bytes().decode("gb18030").splitlines()
    assert lines[row["row"] - 1].split(",")[2] == row["value"]  # line N of the file is row N
    assert not id_valid(row["value"])
    dup = m[(m["kind"] == "demands") & (m["fault"] == "duplicate_row")].iloc[0]
    f = read_csv(small_dirty / dup["file"], "utf-8-sig")
    assert f.iloc[dup["row"] - 2].tolist() == f.iloc[dup["row"] - 3].tolist()


def test_roster_faults_do_not_cascade(small_dirty):
    """A member corrupted on one snapshot is intact on the others, so nothing else breaks."""
    m = _manifest(small_dirty)
    members = m[m["kind"] == "members"]
    assert members.groupby("file").size().min() >= 1
    # check() found no unknown_member beyond the injected ones (see the exact-match test); and the
    # corrupted rows belong to members who appear correctly on another snapshot:
    sheets = {p.relative_to(small_dirty).as_posix(): read_xlsx(p) for p in (small_dirty / "党员花名册").glob("*.xlsx")}
    ids_by_file = {f: {r[h.index("公民身份号码")] for r in rows} for f, (h, rows, _) in sheets.items()}
    for _, row in members[members["fault"] == "unknown_grid"].iterrows():
        header, rows, first = sheets[row["file"]]
        ident = rows[row["row"] - first][header.index("公民身份号码")]
        for file, ids in ids_by_file.items():
            assert file == row["file"] or ident in ids, (ident, file)
