"""The check page under streamlit.testing: a single check on the sample gives the same answer as the
command line's functions, it can be kept in the register, and overdue proposals stand out."""
from __future__ import annotations

from datetime import date

import pytest

from check_fixtures import check_page, inside, sample_store_copy, ward_people
from geo.check.register import Register
from ui import check as UC


@pytest.fixture
def db(model, tmp_path, monkeypatch):
    return sample_store_copy(model, tmp_path, monkeypatch)


def test_single_check_on_the_page_matches_the_functions(model, db) -> None:
    wards = ward_people(model)
    ward = wards[wards["population"].notna() & (wards["dispersed"] > wards["capacity"])].sort_values(
        "ward_code").iloc[0]
    lat, lon = inside(model, ward["ward_code"])
    at = check_page()
    at.text_input(key="check_first").input(str(lat))
    at.text_input(key="check_second").input(str(lon))
    at.number_input(key="check_people").set_value(5)
    at.button[0].click()
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    expected = UC.run_single(UC.context(model, UC.visible_site_records(UC.member_for_email(db, None), db)),
                             site_type="dispersed", people=5, latitude=lat, longitude=lon).results[0]
    assert [e.value for e in at.error] == [expected["summary"]]
    shown = at.table[0].value  # a table that wraps in its column (issue 27: a grid cut the values off)
    assert shown.set_index("Measure").at["Ward limit at 1:200", "Value"] == UC.evidence_table(expected).set_index(
        "Measure").at["Ward limit at 1:200", "Value"]


def test_register_tab_marks_overdue(model, db) -> None:
    wards = ward_people(model)
    lat, lon = inside(model, wards.sort_values("ward_code").iloc[0]["ward_code"])
    ctx = UC.context(model, UC.visible_site_records(UC.member_for_email(db, None), db))
    answer = UC.run_single(ctx, site_type="dispersed", people=2, latitude=lat, longitude=lon).results[0]
    reg = Register(db)
    reg.add(answer, organisation="local", entered_by="officer", received=date(2025, 1, 2), deadline=date(2025, 1, 9))
    at = check_page()
    assert any("1 proposal is overdue" in w.value for w in at.warning)


def test_the_check_page_is_in_the_app_menu(model, db) -> None:
    from apptest import run_app

    at = run_app("pages/check.py")
    assert [t.value for t in at.title][:1] == ["Check a proposed property"]
