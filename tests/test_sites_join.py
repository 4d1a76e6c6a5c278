"""Wards and authorities by vectorised point-in-polygon (geo.sites.join), on toy and real wards."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fixtures_sites import (EDGE_W1_W2, IN_W1, IN_W2, IN_W3, IN_W4, LAD_A, LAD_B, NORTH_SEA, W1, W2, W3, W4,
                            needs_real_data, real_ward_layer, ward_layer)
from geo.errors import DataError
from geo.sites.join import assign_wards


def _sites(points):
    return pd.DataFrame({"reference": [f"S{i}" for i in range(len(points))],
                         "longitude": [p[0] for p in points], "latitude": [p[1] for p in points]})


def test_points_get_their_ward_and_lad() -> None:
    out = assign_wards(_sites([IN_W1, IN_W2, IN_W3, IN_W4]), ward_layer())
    assert out["ward_code"].tolist() == [W1, W2, W3, W4]
    assert out["lad_code"].tolist() == [LAD_A, LAD_A, LAD_B, LAD_B]
    assert out["ward_name"].tolist() == ["Alpha", "Bravo", "Charlie", "Delta"]
    assert out["in_boundary"].all()
    assert out.crs.to_epsg() == 4326


def test_offshore_is_flagged_not_dropped_and_edges_get_one_ward() -> None:
    sites = _sites([NORTH_SEA, EDGE_W1_W2, (-1.9, 52.1), (np.nan, np.nan)])
    out = assign_wards(sites, ward_layer())
    assert len(out) == 4 and out["reference"].tolist() == sites["reference"].tolist()
    assert out.loc[0, "in_boundary"] == False  # noqa: E712
    assert pd.isna(out.loc[0, "ward_code"])
    assert out.loc[0, "longitude"] == NORTH_SEA[0]          # position kept
    assert out.loc[1, "ward_code"] == W1                      # shared edge: lowest code, once
    assert out.loc[2, "ward_code"] == W1                      # corner of four wards
    assert not out.loc[3, "in_boundary"]


def test_reprojected_ward_layer_and_contract_check() -> None:
    out = assign_wards(_sites([IN_W2]), ward_layer().to_crs(27700))
    assert out.loc[0, "ward_code"] == W2
    with pytest.raises(DataError, match="lacks columns"):
        assign_wards(_sites([IN_W2]), ward_layer().drop(columns=["lad_code"]))


@needs_real_data
def test_real_wards_representative_points_come_back_to_their_ward() -> None:
    wards = real_ward_layer()
    assert wards["lad_code"].notna().all()
    pick = wards.sample(60, random_state=7)
    pick = pd.concat([pick, wards[wards["ward_code"].isin(["E05015348", "S13002985", "N08000101"])]])
    points = pick.geometry.representative_point()
    sites = pd.DataFrame({"reference": pick["ward_code"].to_numpy(), "longitude": points.x.to_numpy(),
                          "latitude": points.y.to_numpy()})
    out = assign_wards(sites, wards)
    # generalised polygons may overlap a little: a point inside two wards goes to the lower code
    hits = [set(wards.loc[wards.intersects(p), "ward_code"]) for p in points]
    expected = [ref if len(h) == 1 else min(h) for ref, h in zip(sites["reference"], hits)]
    assert out["ward_code"].tolist() == expected
    assert (out["ward_code"] == sites["reference"]).mean() > 0.95
    lad_of = wards.set_index("ward_code")["lad_code"]
    assert out["lad_code"].tolist() == [lad_of[w] for w in expected]
    liverpool_city_centre = assign_wards(_sites([(-2.9916, 53.4075)]), wards)
    assert liverpool_city_centre.loc[0, "lad_code"] == "E08000012"
