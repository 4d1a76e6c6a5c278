"""Big, council-shaped site files for the site benchmarks (seeded; nothing real in them).

Points are drawn around random wards' inner points (most of them inside the ward, some across
an edge, a few at sea), so the join meets the same mix of easy and edge cases as real files.
Cells are written the way councils write them: UK dates, mixed case types, some blanks.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

TYPES = np.array(["Dispersed property", "Hotel", "Dispersal accommodation", "IA", "dispersed"])
STATUSES = np.array(["Open", "Open", "Open", "Closed", ""])


def site_points(wards, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n (longitude, latitude) pairs near random wards of ``wards`` (EPSG:4326), 2% at sea."""
    rng = np.random.default_rng(seed)
    inner = wards.geometry.representative_point()
    pick = rng.integers(0, len(wards), n)
    lon = inner.x.to_numpy()[pick] + rng.normal(0, 0.004, n)
    lat = inner.y.to_numpy()[pick] + rng.normal(0, 0.003, n)
    sea = rng.random(n) < 0.02
    lon[sea], lat[sea] = rng.uniform(1.0, 1.7, sea.sum()), rng.uniform(52.6, 53.3, sea.sum())
    return lon, lat


def site_frame(wards, n: int, seed: int = 0) -> pd.DataFrame:
    """n rows of a council-style site list (headings the alias file knows)."""
    rng = np.random.default_rng(seed + 1)
    lon, lat = site_points(wards, n, seed)
    days = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 1400, n), unit="D")
    people = rng.integers(0, 9, n)
    return pd.DataFrame({
        "Site ID": [f"S{i:07d}" for i in range(n)],
        "Site type": TYPES[rng.integers(0, len(TYPES), n)],
        "Name": np.where(rng.random(n) < 0.1, "Illustrative Hotel", ""),
        "Address": [f"{i % 300 + 1} Example Street" for i in range(n)],
        "Post Code": "",
        "Latitude": np.round(lat, 8), "Longitude": np.round(lon, 8),
        "Bed spaces": people + rng.integers(0, 3, n), "People accommodated": people,
        "Provider": np.array(["Provider A", "Provider B", "Provider C"])[rng.integers(0, 3, n)],
        "Status": STATUSES[rng.integers(0, len(STATUSES), n)],
        "Date opened": days.strftime("%d/%m/%Y"), "Date closed": "",
        "Date acquired": (days - pd.Timedelta(days=20)).strftime("%Y-%m-%d"),
        "Notes": "ILLUSTRATIVE - not real sites",
    })


def write_site_csv(path: Path, wards, n: int, seed: int = 0) -> Path:
    site_frame(wards, n, seed).to_csv(path, index=False)
    return path


def ward_layer(shared: Path):
    """The ONS ward file in the geo.boundaries contract shape (LAD from the ONS lookup)."""
    import geopandas as gpd

    ons = shared / "ons"
    wards = gpd.read_file(ons / "Wards_December_2023_Boundaries_UK_BSC.geojson", columns=["WD23CD", "WD23NM"])
    lookup = pd.read_csv(ons / "Ward_to_Local_Authority_District_(December_2023)_Lookup_in_the_United_Kingdom.csv",
                         encoding="utf-8-sig", dtype=str)[["WD23CD", "LAD23CD", "LAD23NM"]]
    merged = wards.merge(lookup, on="WD23CD", how="left").rename(columns={
        "WD23CD": "ward_code", "WD23NM": "ward_name", "LAD23CD": "lad_code", "LAD23NM": "lad_name"})
    return gpd.GeoDataFrame(merged[["ward_code", "ward_name", "lad_code", "lad_name", "geometry"]],
                            geometry="geometry", crs=wards.crs).to_crs("EPSG:4326")
