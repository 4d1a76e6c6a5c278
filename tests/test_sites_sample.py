"""Illustrative sample files (geo.sites.sample): totals add up, points sit in the right wards."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

import published_files
from fixtures_sites import LAD_A, LAD_B, REAL_POPULATION, needs_real_data, real_ward_layer, ward_layer
from geo.errors import DataError
from geo.sites.importer import import_sites
from geo.sites.join import assign_wards
from geo.sites.measures import lad_measures, ward_measures
from geo.sites.sample import (
    ILLUSTRATIVE,
    generate_sample,
    scaled_to,
    scaling_note,
    totals_from_reg02,
    write_sample,
)
from geo.sites.store import SiteStore
from geo.text import quarter_label

AS_AT = date(2025, 12, 31)
TOTALS = pd.DataFrame({"lad_code": [LAD_A, LAD_B], "lad_name": ["Authority A", "Authority B"],
                       "dispersed_people": [157, 40], "hotel_people": [430, 0], "as_at": [AS_AT, AS_AT]})


def _open_people(frame: pd.DataFrame, kind: str) -> pd.Series:
    rows = frame[(frame["Site type"] == kind) & (frame["Status"] == "Open")]
    return rows.groupby(rows["Site ID"].str[:9])["People accommodated"].sum()


def test_totals_match_and_points_fall_in_their_authority() -> None:
    frame = generate_sample(ward_layer(), TOTALS, lads=[LAD_A, LAD_B], seed=3)
    assert _open_people(frame, "Dispersed property").to_dict() == {LAD_A: 157, LAD_B: 40}
    assert _open_people(frame, "Hotel").to_dict() == {LAD_A: 430}
    assert frame["Notes"].str.startswith(ILLUSTRATIVE).all()
    # Issue 23: the sample says which quarter its people were scaled to, wherever it is shown.
    assert scaled_to(frame["Notes"]) == quarter_label(AS_AT)
    assert scaling_note(frame["Notes"], pd.Timestamp("2030-12-31")).endswith("not to 31 December 2030.")
    hotels = frame[(frame["Site type"] == "Hotel") & (frame["Status"] == "Open")]
    assert 2 <= len(hotels) <= 6 and hotels["People accommodated"].min() >= 1
    placed = assign_wards(frame.assign(longitude=frame["Longitude"].astype(float),
                                       latitude=frame["Latitude"].astype(float)), ward_layer())
    assert (placed["lad_code"] == frame["Site ID"].str[:9]).all()
    acquired = pd.to_datetime(frame["Date acquired"], format="%d/%m/%Y").dropna()
    assert acquired.min() >= pd.Timestamp(AS_AT) - pd.Timedelta(days=3 * 365)
    assert acquired.max() <= pd.Timestamp(AS_AT)


def test_seeded_and_never_unlabelled(tmp_path: Path) -> None:
    a = generate_sample(ward_layer(), TOTALS, lads=[LAD_A], seed=5)
    b = generate_sample(ward_layer(), TOTALS, lads=[LAD_A], seed=5)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(generate_sample(ward_layer(), TOTALS, lads=[LAD_A], seed=6))
    written = write_sample(tmp_path / "demo.csv", ward_layer(), TOTALS, lads=[LAD_A], seed=5)
    assert written.name == f"{ILLUSTRATIVE} - demo.csv"
    assert ILLUSTRATIVE in write_sample(tmp_path, ward_layer(), TOTALS, lads=[LAD_A]).name
    with pytest.raises(DataError, match="no Home Office totals"):
        generate_sample(ward_layer(), TOTALS, lads=["E09000001"])


def test_messy_rows_are_rejected_for_the_right_reasons(tmp_path: Path) -> None:
    path = write_sample(tmp_path, ward_layer(), TOTALS, lads=[LAD_A, LAD_B], seed=1, messy=True)
    result = import_sites(path, tmp_path / "s.sqlite", ward_layer(), as_at=AS_AT)
    assert result.rejected == 4 and result.accepted == result.read - 4
    rows = pd.read_csv(path, dtype=str)
    messy_rows = {int(i) + 2: ref for i, ref in rows["Site ID"].items() if ref.startswith("MESSY")}
    got = {(messy_rows[r["row"]], r["column"]) for r in result.rejections}
    assert got == {("MESSY-1", "Latitude"), ("MESSY-2", "People accommodated"), ("MESSY-3", "Date acquired"),
                   ("MESSY-4", "Post Code")}


@needs_real_data
def test_real_authorities_round_trip_to_home_office_totals(tmp_path: Path) -> None:
    """Liverpool, Glasgow, Birmingham, Hillingdon: sample -> import -> ward measures -> LAD totals."""
    totals = totals_from_reg02(published_files.reg02())
    wards = real_ward_layer()
    path = write_sample(tmp_path, wards, totals, seed=11)
    result = import_sites(path, tmp_path / "s.sqlite", wards, as_at=AS_AT)
    assert result.rejected == 0 and result.outside_boundaries == []
    sites = SiteStore(tmp_path / "s.sqlite").current_sites()
    population = pd.read_csv(REAL_POPULATION, dtype=str)
    population = pd.DataFrame({"ward_code": population["WD23CD"],
                               "population": population["population"].astype(float)})
    lads = lad_measures(ward_measures(sites, wards, population, as_at=AS_AT)).set_index("lad_code")
    expected = totals.set_index("lad_code")
    for code in ("E08000012", "S12000049", "E08000025", "E09000017"):
        assert lads.loc[code, "dispersed_people"] == expected.loc[code, "dispersed_people"], code
        assert lads.loc[code, "hotel_people"] == expected.loc[code, "hotel_people"], code
    assert lads.loc["S12000049", "status"] == "no estimate"      # no Scottish ward estimates
    assert lads.loc["E08000012", "population"] > 400_000

