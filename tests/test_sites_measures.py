"""Ward and authority measures and the 1:200 limit (geo.sites.measures), on hand-checkable cases."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fixtures_sites import (
    HEADER,
    IN_W1,
    IN_W2,
    IN_W3,
    IN_W4,
    LAD_A,
    LAD_B,
    NORTH_SEA,
    W1,
    W2,
    W3,
    W4,
    ward_layer,
    ward_population,
    write_csv,
)
from geo.sites.importer import import_sites
from geo.sites.measures import (
    NO_ESTIMATE,
    acquisitions_by_month,
    acquisitions_over_threshold,
    lad_measures,
    occupied,
    ward_measures,
)
from geo.sites.store import SiteStore

TODAY = date(2024, 6, 30)


def _site(ref, kind, where, people, ward, lad, status="open", opened=None, closed=None, acquired=None,
          in_boundary=True):
    return {"reference": ref, "site_type": kind, "longitude": where[0], "latitude": where[1], "people": people,
            "status": status, "opened": pd.Timestamp(opened) if opened else pd.NaT,
            "closed": pd.Timestamp(closed) if closed else pd.NaT,
            "acquired": pd.Timestamp(acquired) if acquired else pd.NaT,
            "ward_code": ward, "ward_name": None, "lad_code": lad, "lad_name": None, "in_boundary": in_boundary}


@pytest.fixture
def sites() -> pd.DataFrame:
    return pd.DataFrame([
        _site("H1", "hotel", IN_W1, 100, W1, LAD_A),
        _site("D1", "dispersed", IN_W1, 4, W1, LAD_A, acquired="2023-05-01"),
        _site("D1b", "dispersed", IN_W1, 3, W1, LAD_A, acquired="2024-02-10"),
        _site("D2", "dispersed", IN_W2, 5, W2, LAD_A, acquired="2024-02-20"),
        _site("D3", "dispersed", IN_W3, 2, W3, LAD_B),                      # exactly 1:200: not over
        _site("D4", "dispersed", IN_W4, 3, W4, LAD_B),                      # ward with no estimate
        _site("Dc", "dispersed", IN_W2, 10, W2, LAD_A, status="closed", closed="2024-01-01"),
        _site("Dp", "dispersed", IN_W2, 6, W2, LAD_A, status="planned", opened="2024-09-01"),
        _site("Df", "dispersed", IN_W2, 8, W2, LAD_A, opened="2024-08-01"),  # opens after the day asked
        _site("I1", "initial", IN_W2, 40, W2, LAD_A),
        _site("X1", "other_contingency", NORTH_SEA, 9, None, None, in_boundary=False),
    ])


def test_ward_measures_and_the_1_in_200_limit(sites: pd.DataFrame) -> None:
    table = ward_measures(sites, ward_layer(), ward_population(), as_at=TODAY).set_index("ward_code")
    assert table.loc[W1, "hotel_people"] == 100 and table.loc[W1, "dispersed_people"] == 7
    assert table.loc[W1, "dispersal_ratio"] == pytest.approx(7 / 1000)
    assert table.loc[W1, "over_threshold"] == True and table.loc[W1, "status"] == "over 1:200"  # noqa: E712
    assert table.loc[W2, "dispersed_people"] == 5 and table.loc[W2, "initial_people"] == 40
    assert table.loc[W2, "over_threshold"] == False  # noqa: E712  (closed, planned, future sites excluded)
    assert table.loc[W3, "dispersal_ratio"] == pytest.approx(1 / 200)
    assert table.loc[W3, "status"] == "within 1:200"
    assert np.isnan(table.loc[W4, "dispersal_ratio"]) and table.loc[W4, "status"] == NO_ESTIMATE
    assert pd.isna(table.loc[W4, "over_threshold"]) and pd.isna(table.loc[W4, "population"])
    assert table["dispersed_people"].sum() == 17                # offshore site not in any ward
    assert table.loc[W1, "properties_acquired"] == 2


def test_acquisition_window_and_lad_totals(sites: pd.DataFrame) -> None:
    wards = ward_measures(sites, ward_layer(), ward_population(), as_at=TODAY,
                          acquired_from=date(2024, 1, 1), acquired_to=date(2024, 2, 15))
    assert wards.set_index("ward_code")["properties_acquired"].to_dict() == {W1: 1, W2: 0, W3: 0, W4: 0}
    lads = lad_measures(wards).set_index("lad_code")
    assert lads.loc[LAD_A, "dispersed_people"] == 12 and lads.loc[LAD_A, "population"] == 3000
    assert lads.loc[LAD_A, "over_threshold"] == False  # noqa: E712
    assert lads.loc[LAD_A, "wards_over_threshold"] == 1
    assert lads.loc[LAD_B, "population"] == 400 and lads.loc[LAD_B, "wards_no_estimate"] == 1
    assert lads.loc[LAD_B, "dispersal_ratio"] == pytest.approx(5 / 400)
    given = lad_measures(wards, pd.DataFrame({"lad_code": [LAD_A], "population": [1000.0]})).set_index("lad_code")
    assert given.loc[LAD_A, "over_threshold"] == True and given.loc[LAD_B, "status"] == NO_ESTIMATE  # noqa: E712


def test_occupied_rule(sites: pd.DataFrame) -> None:
    live = dict(zip(sites["reference"], occupied(sites, TODAY), strict=True))
    assert live["D1"] and not live["Dc"] and not live["Dp"] and not live["Df"]
    assert dict(zip(sites["reference"], occupied(sites, date(2023, 12, 1)), strict=True))["Dc"]


def test_acquisitions_per_month(sites: pd.DataFrame) -> None:
    by_lad = acquisitions_by_month(sites)
    assert by_lad[["month", "lad_code", "acquisitions"]].values.tolist() == [
        ["2023-05", LAD_A, 1], ["2024-02", LAD_A, 2]]
    by_ward = acquisitions_by_month(sites, "ward", start=date(2024, 1, 1))
    assert by_ward[["month", "ward_code", "acquisitions"]].values.tolist() == [["2024-02", W1, 1],
                                                                              ["2024-02", W2, 1]]


def _row(ref, where, people, status="Open", opened="", closed="", acquired=""):
    return [ref, "Dispersed", "", "", where[1], where[0], people + 1, people, status, opened, closed, acquired, ""]


def test_acquisitions_in_over_threshold_areas_use_the_history(tmp_path: Path) -> None:
    """W3 has 400 residents (limit 2 people), LAD B only W3's 400 (W4 has no estimate).

    A5 (10 people) was open until 2023-01-01; A1 had 3 people until the June file says 1.
    """
    db = tmp_path / "sites.sqlite"
    near = lambda p, d: (p[0] + d, p[1] + d)  # noqa: E731
    january = [HEADER,
               _row("A1", IN_W3, 3, opened="01/01/2023", acquired="01/12/2022"),
               _row("A2", near(IN_W3, 0.01), 1, opened="15/06/2023", acquired="01/06/2023"),
               _row("A5", near(IN_W3, 0.02), 10, status="Closed", opened="01/01/2022", closed="01/01/2023")]
    june = [january[0],
            _row("A1", IN_W3, 1, opened="01/01/2023", acquired="01/12/2022"),      # down to 1 person
            january[2], january[3],
            _row("A3", near(IN_W3, -0.01), 2, opened="20/03/2024", acquired="10/03/2024"),
            _row("A4", IN_W1, 1, opened="05/04/2024", acquired="01/04/2024"),
            _row("A6", IN_W4, 2, opened="05/05/2024", acquired="01/05/2024")]
    import_sites(write_csv(tmp_path / "jan.csv", january), db, ward_layer(), as_at=date(2024, 1, 31))
    import_sites(write_csv(tmp_path / "jun.csv", june), db, ward_layer(), as_at=date(2024, 6, 30))
    history = SiteStore(db).site_history()

    flagged = acquisitions_over_threshold(history, ward_population())
    got = flagged.set_index("reference")
    assert list(got.index) == ["A1", "A2", "A3", "A6"]
    assert got.loc["A1", "ward_dispersed_before"] == 10            # A5 was still open
    assert got.loc["A2", "ward_dispersed_before"] == 3             # A1 as first recorded; A5 closed
    assert got.loc["A3", "ward_dispersed_before"] == 4             # A1's version then (3), not now (1)
    assert got.loc["A3", "ward_ratio"] == pytest.approx(4 / 400) and got.loc["A3", "ward_over"] == True  # noqa: E712
    assert pd.isna(got.loc["A6", "ward_ratio"]) and pd.isna(got.loc["A6", "ward_over"])    # no estimate
    assert got.loc["A6", "lad_dispersed_before"] == 6 and got.loc["A6", "lad_over"] == True  # noqa: E712
    assert got.loc["A3", ["ward_code", "lad_code"]].tolist() == [W3, LAD_B]
    assert got.loc["A3", "acquired"] == pd.Timestamp("2024-03-10")

    everything = acquisitions_over_threshold(history, ward_population(), include_all=True).set_index("reference")
    assert everything.loc["A4", "over_threshold_at_acquisition"] == False  # noqa: E712
    assert everything.loc["A4", "ward_dispersed_before"] == 0
    assert "A5" not in everything.index                             # never acquired
