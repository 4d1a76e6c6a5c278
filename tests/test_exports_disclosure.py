"""Disclosure control, role gate, markings and export round trips (synthetic data, no files needed)."""
from __future__ import annotations

import json
from datetime import date

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from geo import disclosure
from geo.disclosure import Role
from geo.errors import GeoError
from geo.exports import CAVEATS, export_table, sidecar_path
from geo.render import marking
from geo.sources import Provenance

MADE_ON = date(2025, 3, 12)


def _provenance() -> dict[str, Provenance]:
    return {"asy_d11": Provenance(source_id="asy_d11", title="Asy_D11", publisher="Home Office",
                                  licence="OGL v3.0", release="year ending September 2024", path="/x.xlsx",
                                  file_name="x.xlsx", origin="shared", sha256="ab" * 32, size_bytes=1, url=None)}


def _wards() -> gpd.GeoDataFrame:
    """Two authorities: A has one small ward (3) among larger ones, B has two small wards."""
    rows = [("W1", "A", 3, 40), ("W2", "A", 12, 50), ("W3", "A", 7, 60), ("W4", "A", 0, 30),
            ("W5", "B", 2, 20), ("W6", "B", 4, 25), ("W7", "B", 30, 90)]
    frame = pd.DataFrame(rows, columns=["ward_code", "lad_code", "dispersed", "hotel"])
    frame["ward_name"] = frame["ward_code"] + " ward"
    frame["population"] = 5000.0
    frame["supported"] = frame["dispersed"] + frame["hotel"]
    frame["limit_used"] = frame["dispersed"] / (frame["population"] / 200)
    geoms = [box(i * 0.01, 51.0, i * 0.01 + 0.01, 51.01) for i in range(len(frame))]
    return gpd.GeoDataFrame(frame, geometry=geoms, crs="EPSG:4326")


def test_primary_suppression_hides_one_to_four_not_zero() -> None:
    hidden = disclosure.primary(pd.Series([0, 1, 4, 5, 12, None]))
    assert hidden.tolist() == [False, True, True, False, False, False]


def test_secondary_suppression_hides_next_smallest_when_alone() -> None:
    wards = _wards()
    result = disclosure.suppress(pd.DataFrame(wards.drop(columns="geometry")))
    dispersed = result.mask["dispersed"]
    by_code = dict(zip(wards["ward_code"], dispersed, strict=True))
    # A: W1 (3) is the only small one. Hiding W4 (0) protected nothing (issue 13: total minus the
    # shown wards gave W1 back), so the smallest ward holding the 2 more people needed, W3 (7), is hidden.
    assert by_code["W1"] and by_code["W3"]
    assert not by_code["W2"] and not by_code["W4"]
    # B: W5 and W6 are both small, no secondary needed, W7 stays.
    assert by_code["W5"] and by_code["W6"] and not by_code["W7"]
    # The rate built from a hidden count is hidden with it.
    assert result.mask["limit_used"].equals(dispersed)
    # Differencing cannot recover a hidden cell: every authority has 0 or at least 2 hidden.
    per_lad = dispersed.groupby(wards["lad_code"]).sum()
    assert all(n == 0 or n >= 2 for n in per_lad)


def test_single_ward_authority_is_named_in_the_note() -> None:
    frame = pd.DataFrame({"ward_code": ["X1"], "lad_code": ["Z"], "dispersed": [2]})
    result = disclosure.suppress(frame)
    assert result.mask["dispersed"].all()
    assert "Z" in result.note


def test_role_gate() -> None:
    assert disclosure.can_export_sites(Role.ANALYST) and disclosure.can_export_sites("admin")
    assert not disclosure.can_export_sites("viewer") and not disclosure.can_export_sites(Role.OFFICER)
    with pytest.raises(disclosure.DisclosureError) as err:
        disclosure.require_site_export("officer")
    assert isinstance(err.value, PermissionError) and isinstance(err.value, GeoError)
    with pytest.raises(GeoError, match="roles: viewer, officer, analyst, admin"):
        Role.parse("boss")


def test_marking_rules() -> None:
    assert marking.marking_for() == marking.OFFICIAL
    assert marking.marking_for(site_level=True) == marking.OFFICIAL_SENSITIVE
    assert marking.marking_for_columns(["reference", "postcode"]) == marking.OFFICIAL_SENSITIVE
    assert marking.check_marking("official-sensitive", marking.OFFICIAL) == marking.OFFICIAL_SENSITIVE
    with pytest.raises(GeoError, match="too low"):
        marking.check_marking("OFFICIAL", marking.OFFICIAL_SENSITIVE)


def test_ward_csv_and_excel_show_c(tmp_path) -> None:
    wards = _wards()
    out = export_table(wards, tmp_path / "w.csv", provenance=_provenance(), level="ward", made_on=MADE_ON)
    text = pd.read_csv(out, dtype=str, comment="#")
    assert text.loc[text["ward_code"] == "W1", "dispersed"].item() == disclosure.SUPPRESSED
    assert text.loc[text["ward_code"] == "W3", "dispersed"].item() == disclosure.SUPPRESSED  # not W4 (0): issue 13
    assert text.loc[text["ward_code"] == "W7", "dispersed"].item() == "30"
    meta = json.loads(sidecar_path(out).read_text())
    assert meta["marking"] == marking.OFFICIAL_SENSITIVE and meta["notes"] and meta["made_on"] == "2025-03-12"
    xlsx = export_table(wards, tmp_path / "w.xlsx", provenance=_provenance(), level="ward", made_on=MADE_ON)
    data = pd.read_excel(xlsx, sheet_name="Data", dtype=str, engine="openpyxl")
    assert data.loc[data["ward_code"] == "W1", "dispersed"].item() == "[c]"
    sources = pd.read_excel(xlsx, sheet_name="Sources", header=None, dtype=str, engine="openpyxl")
    cells = set(sources.fillna("").to_numpy().ravel())
    assert {"x.xlsx", "Home Office", "ab" * 32, marking.OFFICIAL_SENSITIVE, "2025-03-12"} <= cells
    assert all(c in cells for c in CAVEATS)


def test_ward_geojson_and_gpkg_blank_with_flags(tmp_path) -> None:
    wards = _wards()
    for name in ("w.geojson", "w.gpkg"):
        out = export_table(wards, tmp_path / name, provenance=_provenance(), level="ward", made_on=MADE_ON)
        back = gpd.read_file(out, layer="ward") if name.endswith("gpkg") else gpd.read_file(out)
        assert back["ward_code"].tolist() == wards["ward_code"].tolist()
        assert back["lad_code"].tolist() == wards["lad_code"].tolist()
        row = back.set_index("ward_code")
        assert pd.isna(row.at["W1", "dispersed"]) and bool(row.at["W1", "dispersed_suppressed"])
        assert row.at["W7", "dispersed"] == 30 and not bool(row.at["W7", "dispersed_suppressed"])
    import pyogrio

    layers = {name for name, _ in pyogrio.list_layers(tmp_path / "w.gpkg")}
    assert {"ward", "sources", "metadata"} <= layers
    sources = pyogrio.read_dataframe(tmp_path / "w.gpkg", layer="sources")
    assert sources["sha256"].tolist() == ["ab" * 32]
    collection = json.loads((tmp_path / "w.geojson").read_text())
    assert collection["marking"] == marking.OFFICIAL_SENSITIVE and collection["sources"][0]["file"] == "x.xlsx"


def test_site_export_needs_role(tmp_path) -> None:
    sites = pd.DataFrame({"reference": ["S1"], "site_type": ["hotel"], "postcode": ["L1 1AA"],
                          "lad_code": ["E08000012"], "people": [40]})
    with pytest.raises(disclosure.DisclosureError, match="may not export site-level records"):
        export_table(sites, tmp_path / "s.csv", provenance=_provenance(), level="site", made_on=MADE_ON)
    assert not (tmp_path / "s.csv").exists()
    out = export_table(sites, tmp_path / "s.csv", provenance=_provenance(), level="site", made_on=MADE_ON,
                       role="analyst")
    assert pd.read_csv(out, comment="#")["reference"].tolist() == ["S1"]
    assert json.loads(sidecar_path(out).read_text())["marking"] == marking.OFFICIAL_SENSITIVE


def test_bad_format_and_missing_geometry(tmp_path) -> None:
    frame = pd.DataFrame({"lad_code": ["E1"], "supported": [3]})
    with pytest.raises(GeoError, match="use one of"):
        export_table(frame, tmp_path / "t.txt", provenance=_provenance(), level="lad", made_on=MADE_ON)
    with pytest.raises(GeoError, match="need geometry"):
        export_table(frame, tmp_path / "t.gpkg", provenance=_provenance(), level="lad", made_on=MADE_ON)
