"""Postcode placement from a directory file and an opt-in online lookup (geo.sites.geocode)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from fixtures_sites import write_csv
from geo.errors import DataError, GeoError
from geo.sites.geocode import lookup_online, make_geocoder, normalise_postcodes, read_postcode_directory
from geo.sites.readers import read_table
from geo.sites.schema import match_headers
from geo.sites.validate import validate


def test_normalise_postcodes() -> None:
    got = normalise_postcodes(pd.Series(["sw1a1aa", " SW1A  1AA ", "m1 1ae", "B338TH", "nonsense", None, "GIR0AA"]))
    assert got.tolist()[:4] == ["SW1A 1AA", "SW1A 1AA", "M1 1AE", "B33 8TH"]
    assert got.isna().tolist()[4:6] == [True, True]
    assert got.iloc[6] == "GIR 0AA"


def test_directory_nspl_and_onspd_grid_rows(nspl: Path) -> None:
    table = read_postcode_directory(nspl).set_index("postcode")
    assert table.loc["AB1 2CD", "latitude"] == pytest.approx(52.04)
    # the ONSPD-style row has lat 99.999999 but a grid reference: converted from oseast1m/osnrth1m
    assert table.loc["AB1 5JK", "latitude"] == pytest.approx(52.14, abs=1e-4)
    assert table.loc["AB1 5JK", "longitude"] == pytest.approx(-1.86, abs=1e-4)
    only = read_postcode_directory(nspl, wanted=["ab12cd"])
    assert only["postcode"].tolist() == ["AB1 2CD"]


def test_directory_must_look_like_onspd(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "x.csv", [["code", "where"], ["AB1 2CD", "here"]])
    with pytest.raises(DataError, match="not an ONS postcode directory"):
        read_postcode_directory(path)


def _postcode_rows(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "pc.csv", [
        ["Site ID", "Type", "Postcode", "Latitude", "Longitude"],
        ["P1", "Dispersed", "ab1 2cd", "", ""],      # in the directory
        ["P2", "Dispersed", "AB13EF", "", ""],       # in the directory, odd spacing
        ["P3", "Dispersed", "ZZ9 9ZZ", "", ""],      # unknown anywhere
        ["P4", "Hotel", "AB1 2CD", 52.05, -1.95],    # has coordinates: kept as given
        ["P5", "Dispersed", "CD2 1AA", "", ""],      # only the online service knows it
    ])


def test_postcode_directory_places_rows_and_rejects_unknown(tmp_path: Path, nspl: Path) -> None:
    raw = read_table(_postcode_rows(tmp_path))
    result = validate(raw, match_headers(raw.columns), geocoder=make_geocoder(nspl))
    sites = result.sites.set_index("reference")
    assert sites.loc["P1", "position_source"] == "postcode_centroid"
    assert sites.loc["P1", ["latitude", "longitude"]].tolist() == pytest.approx([52.04, -1.96])
    assert sites.loc["P2", "postcode"] == "AB1 3EF"
    assert sites.loc["P4", "position_source"] == "given"
    assert [(r.row, r.column, r.reason) for r in result.rejections] == [
        (4, "Postcode", "postcode 'ZZ9 9ZZ' not found"),
        (6, "Postcode", "postcode 'CD2 1AA' not found"),
    ]


def test_online_lookup_only_when_allowed(tmp_path: Path, nspl: Path, postcode_server) -> None:
    url, handler = postcode_server
    handler.known.update({"CD21AA": (52.15, -1.85), "ZZ99ZZ": (None, None)})
    raw = read_table(_postcode_rows(tmp_path))
    result = validate(raw, match_headers(raw.columns), geocoder=make_geocoder(nspl, online_lookup_url=url))
    sites = result.sites.set_index("reference")
    assert sites.loc["P5", ["latitude", "longitude"]].tolist() == pytest.approx([52.15, -1.85])
    assert sites.loc["P5", "position_source"] == "postcode_centroid"
    # only the postcodes the directory lacked went over the network
    assert handler.requests == [["CD2 1AA", "ZZ9 9ZZ"]]
    assert [(r.row, r.column) for r in result.rejections] == [(4, "Postcode")]


def test_online_lookup_batches_of_100(postcode_server) -> None:
    url, handler = postcode_server
    codes = pd.Series([f"AB{i // 10 + 1} {i % 10}AA" for i in range(250)])
    handler.known.update({c.replace(" ", ""): (52.0 + i / 1e4, -1.9) for i, c in enumerate(codes)})
    found = lookup_online(codes, url)
    assert found["latitude"].notna().all()
    assert [len(r) for r in handler.requests] == [100, 100, 50]


def test_online_lookup_failure_is_a_clear_error(postcode_server) -> None:
    url, _ = postcode_server
    with pytest.raises(GeoError, match="HTTP 404"):
        lookup_online(pd.Series(["AB1 2CD"]), url + "/wrong")
    with pytest.raises(GeoError, match="failed"):
        lookup_online(pd.Series(["AB1 2CD"]), "http://127.0.0.1:9", timeout=2)
