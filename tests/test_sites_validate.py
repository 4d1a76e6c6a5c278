"""Every row accepted or rejected with row, column and reason (geo.sites.validate)."""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from fixtures_sites import IN_W1, IN_W2, write_csv
from geo.errors import DataError
from geo.sites.grid import wgs84_to_bng
from geo.sites.readers import read_table
from geo.sites.schema import match_headers
from geo.sites.validate import parse_date, validate

HEAD = ["Ref", "Type", "Post Code", "Lat", "Long", "Easting", "Northing", "Beds", "Occupancy", "Status",
        "Date opened", "Date closed", "Date acquired"]
E, N = (round(float(v[0]), 1) for v in wgs84_to_bng([IN_W2[0]], [IN_W2[1]]))
LAT, LON = IN_W1[1], IN_W1[0]


def row(ref="R", kind="Hotel", pc="", lat=LAT, lon=LON, e="", n="", beds=10, occ=5, status="Open",
        opened="", closed="", acquired=""):
    return [ref, kind, pc, lat, lon, e, n, beds, occ, status, opened, closed, acquired]


MESSY = [
    HEAD,
    row("OK1"),                                                     # 2 accepted
    row("BADLAT", lat="52.0x"),                                     # 3
    row("SPAIN", lat=40.4, lon=-3.7),                               # 4
    row("SWAP", lat=LON, lon=LAT),                                  # 5
    row("GRID", lat="", lon="", e=E, n=N),                          # 6 accepted
    row("BADE", lat="", lon="", e="abc", n=N),                      # 7
    row("NEG", occ=-2),                                             # 8
    row("BEDS", beds="lots"),                                       # 9
    row("DATE", opened="31/02/2024"),                               # 10
    row("NOWHERE", lat="", lon=""),                                 # 11
    row("TYPE", kind="Flat"),                                       # 12
    row("", kind="Hotel"),                                          # 13
    row("DUP"),                                                     # 14
    row("dup "),                                                    # 15
    row("DATES", opened="2024-03-01", closed="01/04/2024", acquired="45292", status=""),  # 16 accepted
    row("STATUS", status="Sort of"),                                # 17
    row("ORDER", opened="01/05/2024", closed="01/04/2024"),         # 18
    row("HALF", lon=""),                                            # 19
    row("PCONLY", lat="", lon="", pc="ab1 2cd"),                    # 20 (no geocoder)
    row("DEGREES", lat="", lon="", e=LON, n=LAT),                   # 21
    row("FRACTION", occ="2.5"),                                     # 22
    row("BADPC", lat="", lon="", pc="not a postcode"),              # 23
]

EXPECTED = {  # row -> (column, words in the reason)
    3: ("Lat", "'52.0x' is not a number"),
    4: ("Lat", "outside the UK"),
    5: ("Lat", "look swapped"),
    7: ("Easting", "'abc' is not a number"),
    8: ("Occupancy", "'-2' is negative"),
    9: ("Beds", "'lots' is not a number"),
    10: ("Date opened", "'31/02/2024' is not a date"),
    11: ("Post Code", "no position: no coordinates and no postcode"),
    12: ("Type", "unknown site type 'Flat'"),
    13: ("Ref", "missing reference"),
    14: ("Ref", "duplicate reference 'DUP' in this file (rows 14, 15)"),
    15: ("Ref", "duplicate reference 'dup' in this file (rows 14, 15)"),
    17: ("Status", "unknown status 'Sort of'"),
    18: ("Date closed", "closed date is before the opened date"),
    19: ("Long", "latitude given without longitude"),
    20: ("Post Code", "no postcode directory or online lookup"),
    21: ("Easting", "look like longitude/latitude"),
    22: ("Occupancy", "'2.5' is not a whole number"),
    23: ("Post Code", "'not a postcode' is not a valid UK postcode"),
}


@pytest.fixture
def messy(tmp_path: Path):
    raw = read_table(write_csv(tmp_path / "messy.csv", MESSY))
    return raw, validate(raw, match_headers(raw.columns), today=date(2024, 6, 30))


def test_each_rejection_reason_names_row_and_column(messy) -> None:
    raw, result = messy
    got = {(r.row, r.column): r.reason for r in result.rejections}
    for row_no, (column, words) in EXPECTED.items():
        assert (row_no, column) in got, f"row {row_no}: expected a problem in {column}, got {result.rejections}"
        assert words in got[(row_no, column)], got[(row_no, column)]
    assert {r.row for r in result.rejections} == set(EXPECTED)


def test_counts_always_add_up(messy) -> None:
    raw, result = messy
    assert result.rows_read == len(raw) == len(MESSY) - 1
    assert result.accepted + result.rejected == result.rows_read
    assert sorted(result.sites["reference"]) == ["DATES", "GRID", "OK1"]
    assert result.rejected == len(EXPECTED)


def test_accepted_rows_are_clean(messy) -> None:
    _, result = messy
    sites = result.sites.set_index("reference")
    assert sites.loc["OK1", "site_type"] == "hotel" and sites.loc["OK1", "status"] == "open"
    assert sites.loc["OK1", "people"] == 5 and sites.loc["OK1", "position_source"] == "given"
    assert sites.loc["GRID", "longitude"] == pytest.approx(IN_W2[0], abs=1e-5)   # BNG converted
    assert sites.loc["GRID", "latitude"] == pytest.approx(IN_W2[1], abs=1e-5)
    assert sites.loc["OK1", "easting"] > 0                                   # grid filled from lat/long
    assert sites.loc["DATES", ["opened", "closed", "acquired"]].tolist() == ["2024-03-01", "2024-04-01",
                                                                              "2024-01-01"]
    assert sites.loc["DATES", "status"] == "closed"          # blank status, closed before 'today'
    assert sites.loc["GRID", "_source_row"] == 6


@pytest.mark.parametrize("value, expected", [
    ("2024-03-01", date(2024, 3, 1)), ("01/03/2024", date(2024, 3, 1)), ("1/3/24", date(2024, 3, 1)),
    ("1 Mar 2024", date(2024, 3, 1)), ("1st March 2024", date(2024, 3, 1)), ("01-Mar-2024", date(2024, 3, 1)),
    (45352, date(2024, 3, 1)), ("45352", date(2024, 3, 1)), (datetime(2024, 3, 1, 9, 30), date(2024, 3, 1)),
    ("2024-03-01 00:00:00", date(2024, 3, 1)), ("03/04/2024", date(2024, 4, 3)),
    ("31/02/2024", None), ("soon", None), (12, None), ("1 Smarch 2024", None),
])
def test_date_formats(value, expected) -> None:
    assert parse_date(value) == expected


def test_excel_cells_validate_like_csv(tmp_path: Path) -> None:
    book = Workbook()
    ws = book.active
    ws.append(["Site ID", "Accommodation type", "Latitude", "Longitude", "People", "Date acquired"])
    ws.append([101, "IA", LAT, LON, 12.0, datetime(2023, 1, 5)])
    ws.append([102, "Initial Accommodation", LAT, LON, -1, 45000])
    ws.append([103, "Dispersed", "north", LON, 3, "tomorrow"])
    book.save(tmp_path / "s.xlsx")
    raw = read_table(tmp_path / "s.xlsx")
    result = validate(raw, match_headers(raw.columns))
    assert result.sites["reference"].tolist() == ["101"]
    assert result.sites["acquired"].tolist() == ["2023-01-05"]
    problems = {(r.row, r.column) for r in result.rejections}
    assert problems == {(3, "People"), (4, "Latitude"), (4, "Date acquired")}


def test_missing_structural_columns_is_one_clear_error(tmp_path: Path) -> None:
    raw = read_table(write_csv(tmp_path / "s.csv", [["Name", "Colour"], ["a", "b"]]))
    with pytest.raises(DataError, match="reference column and a site type column and a position"):
        validate(raw, match_headers(raw.columns))
