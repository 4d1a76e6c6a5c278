"""British National Grid <-> WGS84 and the UK bounding box, shared by validation and geocoding.

Council files give positions either as latitude/longitude or as OS eastings/northings; both
end up as WGS84 so one point-in-polygon join serves all. Transforms are vectorised (one pyproj
call per file, never per row).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from pyproj import Transformer

# Generous box around the UK (Scilly to Shetland, Northern Ireland to Lowestoft).
UK_LAT = (49.8, 60.95)
UK_LON = (-8.75, 1.8)
# Valid British National Grid extent in metres.
BNG_E = (0.0, 700_000.0)
BNG_N = (0.0, 1_300_000.0)


@lru_cache(maxsize=2)
def _transformer(src: str, dst: str) -> Transformer:
    return Transformer.from_crs(src, dst, always_xy=True)


def bng_to_wgs84(easting: np.ndarray, northing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(longitude, latitude) arrays for OS grid eastings/northings (EPSG:27700 -> EPSG:4326)."""
    lon, lat = _transformer("EPSG:27700", "EPSG:4326").transform(
        np.asarray(easting, dtype="float64"), np.asarray(northing, dtype="float64"))
    return np.asarray(lon), np.asarray(lat)


def wgs84_to_bng(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(easting, northing) arrays for WGS84 longitude/latitude."""
    e, n = _transformer("EPSG:4326", "EPSG:27700").transform(
        np.asarray(lon, dtype="float64"), np.asarray(lat, dtype="float64"))
    return np.asarray(e), np.asarray(n)


def in_uk(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """True where a WGS84 position is inside the UK bounding box (NaN -> False)."""
    lon = np.asarray(lon, dtype="float64")
    lat = np.asarray(lat, dtype="float64")
    return (lat >= UK_LAT[0]) & (lat <= UK_LAT[1]) & (lon >= UK_LON[0]) & (lon <= UK_LON[1])
