"""Exports of the real authority table reopen with the same rows, codes and sources."""
from __future__ import annotations

import json
from datetime import date

import geopandas as gpd
import pandas as pd
import pytest

from geo.exports import TABLE_COLUMNS, export_table, sidecar_path
from geo.measures import lad_table
from geo.render import marking

MADE_ON = date(2025, 3, 12)




@pytest.fixture(scope="module")
def north_west(model) -> pd.DataFrame:
    table = lad_table(model, model.latest_period)
    return table[table["region"] == "North West"].reset_index(drop=True)


@pytest.mark.parametrize("name", ["nw.csv", "nw.xlsx", "nw.geojson", "nw.gpkg"])
def test_lad_exports_reopen(model, north_west, tmp_path, name) -> None:
    out = export_table(north_west, tmp_path / name, provenance=model.provenance, level="lad",
                       made_on=MADE_ON, layer=model.lads)
    if name.endswith(".csv"):
        back = pd.read_csv(out, comment="#")
        meta = json.loads(sidecar_path(out).read_text())
        assert meta["marking"] == marking.OFFICIAL
        assert {s["file"] for s in meta["sources"]} >= {model.provenance["asy_d11"].file_name}
    elif name.endswith(".xlsx"):
        back = pd.read_excel(out, sheet_name="Data", engine="openpyxl")
    elif name.endswith(".gpkg"):
        back = gpd.read_file(out, layer="lad")
        assert back.crs.to_epsg() == 4326 and back.geometry.notna().all()
    else:
        back = gpd.read_file(out)
        assert back.geometry.notna().all()
    assert back["lad_code"].tolist() == north_west["lad_code"].tolist()
    assert back["supported"].astype(int).tolist() == north_west["supported"].tolist()
    assert list(back.columns[:3]) == ["lad_code", "lad_name", "region"]
    assert [c for c in back.columns if c != "geometry"] == [c for c in TABLE_COLUMNS["lad"]
                                                            if c in north_west.columns]
    assert (back["period"].astype(str) == model.latest_period.date().isoformat()).all()
