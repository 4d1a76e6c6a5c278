"""Wards and authorities by vectorised point-in-polygon (geo.sites.join), on toy and real wards."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fixtures_sites import (
    EDGE_W1_W2,
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
    needs_real_data,
    real_ward_layer,
    ward_layer,
)
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


def test_offshore_is_flagged_not_dropped_and_edges_get_one_ward(strategy) -> None:
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
    expected = [ref if len(h) == 1 else min(h) for ref, h in zip(sites["reference"], hits, strict=True)]
    assert out["ward_code"].tolist() == expected
    assert (out["ward_code"] == sites["reference"]).mean() > 0.95
    lad_of = wards.set_index("ward_code")["lad_code"]
    assert out["lad_code"].tolist() == [lad_of[w] for w in expected]
    liverpool_city_centre = assign_wards(_sites([(-2.9916, 53.4075)]), wards)
    assert liverpool_city_centre.loc[0, "lad_code"] == "E08000012"


def _codes(out: pd.DataFrame) -> list:
    return [None if pd.isna(w) else w for w in out["ward_code"]]


def _reference_sjoin(lon: np.ndarray, lat: np.ndarray, wards) -> tuple[list, list]:
    """What plain geopandas gives on the same positions: (the tie rule on sjoin 'intersects',
    the one ward of sjoin 'within' or None when within finds none or several)."""
    import geopandas as gpd

    points = gpd.GeoDataFrame({"pos": np.arange(len(lon))}, geometry=gpd.points_from_xy(lon, lat), crs=4326)
    cols = wards[["ward_code", "geometry"]]
    touch = gpd.sjoin(points, cols, predicate="intersects").sort_values(["pos", "ward_code"])
    lowest = touch.drop_duplicates("pos").set_index("pos")["ward_code"]
    inside = gpd.sjoin(points, cols, predicate="within")
    counts = inside["pos"].value_counts()
    single = inside[inside["pos"].map(counts) == 1].set_index("pos")["ward_code"]
    return [lowest.get(i) for i in range(len(lon))], [single.get(i) for i in range(len(lon))]


@pytest.fixture(params=["tree", "by_ward"])
def strategy(request, monkeypatch):
    """Both ways of finding the wards: one STRtree query, or ward by ward."""
    import geo.sites.join as join

    monkeypatch.setattr(join, "TREE_BELOW", 10**9 if request.param == "tree" else 0)
    return request.param


def test_same_answer_as_sjoin_on_toy_wards_including_edges_and_corners(strategy) -> None:
    rng = np.random.default_rng(4)
    lon = np.concatenate([rng.uniform(-2.05, -1.75, 500), np.round(rng.uniform(-2.0, -1.8, 200), 1),
                          [-1.9, -1.9, -2.0, -1.8]])
    lat = np.concatenate([rng.uniform(51.95, 52.25, 500), rng.uniform(52.0, 52.2, 200), [52.1, 52.0, 52.2, 52.0]])
    out = assign_wards(pd.DataFrame({"longitude": lon, "latitude": lat}), ward_layer())
    lowest, single = _reference_sjoin(lon, lat, ward_layer())
    assert _codes(out) == lowest
    assert all(o == s for o, s in zip(_codes(out), single, strict=True) if s is not None)
    assert out["in_boundary"].tolist() == [w is not None for w in lowest]


@needs_real_data
def test_same_answer_as_sjoin_for_every_point_on_real_wards(strategy) -> None:
    """Random positions around real wards, plus ward vertices (on shared edges, where the tie
    rule decides): every one gets sjoin's ward (lowest code when it touches several)."""
    import shapely

    wards = real_ward_layer()
    rng = np.random.default_rng(17)
    pick = rng.integers(0, len(wards), 20_000)
    inner = wards.geometry.representative_point()
    lon = inner.x.to_numpy()[pick] + rng.normal(0, 0.01, len(pick))
    lat = inner.y.to_numpy()[pick] + rng.normal(0, 0.008, len(pick))
    corners = shapely.get_coordinates(wards.geometry.values[rng.integers(0, len(wards), 40)].boundary)
    corners = corners[rng.integers(0, len(corners), 400)]
    lon, lat = np.concatenate([lon, corners[:, 0]]), np.concatenate([lat, corners[:, 1]])
    out = assign_wards(pd.DataFrame({"longitude": lon, "latitude": lat}), wards)
    lowest, single = _reference_sjoin(lon, lat, wards)
    assert _codes(out) == lowest
    assert all(o == s for o, s in zip(_codes(out), single, strict=True) if s is not None)
    shared = sum(1 for w, s in zip(lowest[-400:], single[-400:], strict=True) if w is not None and s is None)
    assert shared > 100          # the vertices really test the edge rule


def test_a_point_5_mm_inside_a_ward_edge_is_placed(tmp_path) -> None:
    """Issue 17: validation rounded to 7 decimals before placing, which moved this point (4.5e-8
    degrees, 5 mm, inside the ward's north edge) 4.9e-8 degrees north, out of every ward."""
    import geopandas as gpd
    from shapely.geometry import box

    from fixtures_sites import write_csv
    from geo.sites.importer import import_sites
    from geo.sites.store import SiteStore

    edge = 52.100000096
    wards = gpd.GeoDataFrame({"ward_code": [W1], "ward_name": ["Alpha"], "lad_code": [LAD_A],
                              "lad_name": ["Authority A"]}, geometry=[box(-2.0, 52.0, -1.9, edge)], crs=4326)
    lat = 52.100000051
    assert round(lat, 7) > edge > lat                      # the old rounding crosses the edge
    path = write_csv(tmp_path / "edge.csv", [["Ref", "Type", "Lat", "Long"], ["E1", "Hotel", f"{lat:.9f}", -1.95]])
    result = import_sites(path, tmp_path / "s.sqlite", wards)
    assert result.accepted == 1 and result.outside_boundaries == []
    stored = SiteStore(tmp_path / "s.sqlite").current_sites()
    assert stored.loc[0, "ward_code"] == W1
    assert stored.loc[0, "latitude"] == round(lat, 7)       # rounded for storage, after placing
