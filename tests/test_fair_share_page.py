"""The Fair share page run headless on the real official files (skipped without them).

Figures on the page are checked against answers worked out here from ``lad_table`` with plain
arithmetic, not through ``geo.fair_share``, so a slip in the page's wiring shows up.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from conftest import needs_shared

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
PAGE = ROOT / "pages" / "fair_share.py"

pytestmark = needs_shared

REGION = "North West"
QUARTER = pd.Timestamp("2024-03-31")


@pytest.fixture(scope="module")
def expected(model):
    """Fair shares for REGION at QUARTER, by hand: region people × authority residents ÷
    region residents, both totals over authorities with a population estimate."""
    from geo.measures import lad_table

    table = lad_table(model, QUARTER)
    region = table[table["region"] == REGION].copy()
    known = region[region["population"].notna() & (region["population"] > 0)]
    fair = known["supported"].sum() * region["population"] / known["population"].sum()
    region["fair"] = fair
    region["ratio"] = region["supported"] / fair
    region["status"] = "at fair share"
    region.loc[region["ratio"] > 1.05, "status"] = "above fair share"
    region.loc[region["ratio"] < 0.95, "status"] = "below fair share"
    region.loc[region["population"].isna(), "status"] = "no population estimate"
    return region.set_index("lad_name")


def _frame_with(at, column: str) -> pd.DataFrame:
    for element in at.dataframe:
        if column in element.value.columns:
            return element.value
    raise AssertionError(f"no table with column {column!r}; tables: "
                         f"{[list(e.value.columns) for e in at.dataframe]}")


def _metric(at, label: str) -> int:
    for m in at.metric:
        if m.label == label:
            return int(str(m.value).replace(",", ""))
    raise AssertionError(f"no metric {label!r}")


@pytest.fixture(scope="module")
def page():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(PAGE), default_timeout=120).run()
    assert not at.exception, at.exception
    at.selectbox(key="w_fs_area").select(REGION).run()
    at.selectbox(key="w_fs_quarter").select(QUARTER).run()
    assert not at.exception, at.exception
    return at


def test_page_shows_who_is_above_and_below(page, expected):
    shown = _frame_with(page, "Fair share (people)").set_index("Authority")
    assert set(shown.index) == set(expected.index)
    # The authority furthest above and the one furthest below, each checked by name.
    top = (expected["supported"] - expected["fair"]).idxmax()
    bottom = (expected["supported"] - expected["fair"]).idxmin()
    assert expected.loc[top, "status"] == "above fair share"
    assert expected.loc[bottom, "status"] == "below fair share"
    for name in (top, bottom, "Manchester"):
        assert shown.loc[name, "Status"] == expected.loc[name, "status"], name
        # whole people
        assert shown.loc[name, "Fair share (people)"] == pytest.approx(expected.loc[name, "fair"], abs=0.5)
        assert shown.loc[name, "People supported (all accommodation)"] == expected.loc[name, "supported"]
    # And every authority's status agrees with the hand calculation.
    assert (shown["Status"] == expected.loc[shown.index, "status"]).all()
    assert _metric(page, "Above fair share") == int((expected["status"] == "above fair share").sum())
    assert _metric(page, "Below fair share") == int((expected["status"] == "below fair share").sum())
    text = " ".join(m.value for m in page.markdown)
    assert f"authorities in {REGION}" in text


def test_headroom_table_matches_residents_over_200(page, expected):
    shown = _frame_with(page, "Headroom (people)").set_index("Authority")
    for name in ("Manchester", expected.index[0]):
        room = expected.loc[name, "population"] // 200 - expected.loc[name, "dispersed"]  # whole people within 1:200
        assert shown.loc[name, "Headroom (people)"] == room


def test_allocation_places_every_typed_place_or_reports_the_rest(page):
    from geo.fair_share import allocation_rule

    at = page
    at.number_input(key="fs_additional").set_value(1234).run()
    assert not at.exception, at.exception
    assert _metric(at, "Placed") + _metric(at, "Not placed") == 1234
    alloc = _frame_with(at, "New places allocated")
    assert alloc["New places allocated"].sum() == _metric(at, "Placed")
    text = " ".join(m.value for m in at.markdown)
    assert allocation_rule(200, False) in text
    assert "planning aid for a change plan, not a prediction" in " ".join(i.value for i in at.info)

    # A limit so strict that hardly anything fits: the remainder is reported, loudly.
    at.number_input(key="fs_limit").set_value(20000).run()
    at.checkbox(key="fs_hotels").check().run()
    assert not at.exception, at.exception
    placed, unplaced = _metric(at, "Placed"), _metric(at, "Not placed")
    assert placed + unplaced == 1234 and unplaced > 0
    assert any(f"{unplaced:,} cannot be placed" in e.value for e in at.error)
    assert allocation_rule(20000, True) in " ".join(m.value for m in at.markdown)


def test_uk_view_compares_regions(model):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(PAGE), default_timeout=120).run()
    assert not at.exception, at.exception
    at.radio(key="w_fs_measure").set_value("dispersed").run()
    assert not at.exception, at.exception
    regions = _frame_with(at, "Region or nation")
    assert REGION in set(regions["Region or nation"])
    assert regions["People in dispersed accommodation"].sum() > 0
    assert any("Section 98" in m.value for m in at.markdown)  # the method and its limits
    # The Export panel: the fair-share table as shown (CSV here), and the UK briefing pack.
    labels = [str(b.proto.label) for b in at.get("download_button")]
    assert labels == ["Briefing pack (PDF)"]
    at.button(key="fair_share_table_make").click().run()
    assert not at.exception, at.exception
    quarter = pd.Timestamp(at.selectbox(key="w_fs_quarter").value).date().isoformat()
    name = f"asylum-support-fair-share-{quarter}-uk.csv"
    labels = [str(b.proto.label) for b in at.get("download_button")]
    assert "Download CSV" in labels and "Its sources (JSON)" in labels
    assert any(b.proto.help == name for b in at.get("download_button"))
    files = at.session_state["_export_fair_share_table"]["files"]
    text = files[name].decode("utf-8-sig").splitlines()
    assert text[0].startswith("# Fair share")  # the '#' block says what the file is (geo.exports)
    lines = [line for line in text if not line.startswith("#")]
    assert lines[0].startswith("lad_code,Authority,Status,")  # machine-readable: header first, codes first
    assert len(lines) - 1 == len(_frame_with(at, "Fair share (people)"))
