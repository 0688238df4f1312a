"""The dashboard frame: Chinese first, English by switch, honest about the raw data."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.i18n import MESSAGES
from tests.conftest import summary
from tests.signin import APP, signed_in


def _app(monkeypatch, raw: Path, lang: str | None = None) -> AppTest:
    """The raw-files page, with nothing published (PBI_DB names no file)."""
    monkeypatch.setenv("PBI_RAW", str(raw))
    monkeypatch.setenv("PBI_DB", str(raw.parent / "unpublished" / "pbi.duckdb"))
    at = AppTest.from_file(APP, default_timeout=60)
    signed_in(at)
    if lang:
        at.query_params["lang"] = lang
    at.run()
    return at.switch_page("views/raw_files.py").run()


def test_catalog_has_the_same_keys_in_both_languages():
    assert MESSAGES["zh"].keys() == MESSAGES["en"].keys()
    assert all(MESSAGES["zh"][k] for k in MESSAGES["zh"])


def test_chinese_by_default_lists_raw_files(monkeypatch, small_default):
    at = _app(monkeypatch, small_default)
    assert not at.exception
    assert at.title[0].value == "党建指数看板"
    table = at.dataframe[0].value
    assert sorted(table["文件"]) == sorted(summary(small_default)["files"])  # _generator/ is not data
    assert set(table["类型"]) == {
        "网格台账",
        "网格边界",
        "党组织信息",
        "党员花名册",
        "服务记录",
        "群众诉求工单",
        "组织生活记录",
        "任务清单",
    }
    assert not table["文件"].str.startswith("_").any()
    assert table["修改时间"].str.contains("年").all()


def test_english_switch(monkeypatch, small_default):
    at = _app(monkeypatch, small_default, lang="en")
    assert not at.exception
    assert at.title[0].value == "Party-Building Index Dashboard"
    assert "Service records" in set(at.dataframe[0].value["Kind"])


def test_language_radio_sets_query_parameter(monkeypatch, small_default):
    at = _app(monkeypatch, small_default)
    at.sidebar.radio[0].set_value("en").run()
    assert at.query_params["lang"] == ["en"] or at.query_params["lang"] == "en"
    assert at.title[0].value == "Party-Building Index Dashboard"


@pytest.mark.parametrize("lang,text", [("zh", "尚无原始数据"), ("en", "No raw data")])
def test_empty_data_folder_says_what_to_do(monkeypatch, tmp_path, lang, text):
    at = _app(monkeypatch, tmp_path / "nothing", lang=lang)
    assert not at.exception
    assert text in at.info[0].value and "make run" in at.info[0].value


def test_unknown_language_falls_back_to_chinese(monkeypatch, small_default):
    at = _app(monkeypatch, small_default, lang="fr")
    assert at.title[0].value == "党建指数看板"
