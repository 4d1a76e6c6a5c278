"""Postcodes to positions: from an ONS postcode directory file, or (only if allowed) an online lookup.

A site with no coordinates but a postcode is placed at the postcode's centroid and says so
(``position_source = "postcode_centroid"``), because a centroid can be a few hundred metres
from the door and may even fall in the next ward. The online lookup is opt-in: site
addresses are sensitive and must not leave the machine unless the user chose that.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geo.errors import DataError, GeoError
from geo.sites.grid import bng_to_wgs84

if TYPE_CHECKING:
    import requests

POSTCODE_CENTROID = "postcode_centroid"
GIVEN = "given"
ONLINE_BATCH = 100  # postcodes.io accepts at most 100 postcodes per bulk request
_POSTCODE_RE = r"(?:[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}|GIR0AA)"
# ONSPD/NSPL use these when a postcode has no grid reference.
_NO_LAT = 99.999999

Geocoder = Callable[[pd.Series], pd.DataFrame]


def normalise_postcodes(values: pd.Series) -> pd.Series:
    """Upper case with one space before the inward code ('sw1a1aa' -> 'SW1A 1AA'); invalid -> NA."""
    text = values.astype("string").str.upper().str.replace(r"[^0-9A-Z]", "", regex=True)
    ok = text.str.fullmatch(_POSTCODE_RE).fillna(False).astype(bool)
    spaced = text.str[:-3] + " " + text.str[-3:]
    return spaced.where(ok, pd.NA)


def normalise_postcode(value: object) -> str | None:
    """One postcode, normalised as ``normalise_postcodes``; None if it is not a UK postcode."""
    out = normalise_postcodes(pd.Series([value], dtype=object)).iloc[0]
    return None if pd.isna(out) else str(out)


def _empty_result(index: pd.Index) -> pd.DataFrame:
    return pd.DataFrame({"latitude": np.nan, "longitude": np.nan}, index=index, dtype="float64")


def _pick(columns: Iterable[str], *names: str) -> str | None:
    lower = {c.strip().lower(): c for c in columns}
    return next((lower[n] for n in names if n in lower), None)


def read_postcode_directory(path: str | Path, wanted: Iterable[str] | None = None,
                            chunksize: int = 500_000) -> pd.DataFrame:
    """Postcode -> latitude, longitude from an NSPL or ONSPD CSV (only ``wanted`` ones if given).

    Accepts ``pcds``/``pcd``/``pcd7``/``pcd8`` for the postcode and ``lat``/``long``, falling
    back to ``oseast1m``/``osnrth1m`` (British National Grid) where lat/long are absent or
    ONS's 99.999999 'no grid reference' value. Reads in chunks so the full 2.7 million-row
    directory never sits in memory when only a few postcodes are needed.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError("postcode directory not found", file=path)
    from geo import reading  # size cap, encoding detected (UTF-16 too), failures as DataError

    try:
        header = reading.csv_header(path, reading.DATA)
    except DataError as exc:
        raise DataError(f"cannot read the postcode directory ({exc})", file=path) from None
    pc = _pick(header, "pcds", "pcd", "pcd7", "pcd8", "pcd2", "postcode")
    lat, lon = _pick(header, "lat", "latitude"), _pick(header, "long", "longitude", "lon")
    east, north = _pick(header, "oseast1m", "easting"), _pick(header, "osnrth1m", "northing")
    if pc is None or not ((lat and lon) or (east and north)):
        raise DataError("not an ONS postcode directory: needs pcds (or pcd) and lat/long "
                        "or oseast1m/osnrth1m columns", file=path)
    usecols = [c for c in (pc, lat, lon, east, north) if c]
    wanted_set = None
    if wanted is not None:
        wanted_set = set(normalise_postcodes(pd.Series(list(wanted), dtype=object)).dropna())
    parts = []
    for chunk in reading.csv_chunks(path, reading.DATA, usecols=usecols, dtype=str,
                                    keep_default_na=False, chunksize=chunksize):
        codes = normalise_postcodes(chunk[pc])
        keep = codes.notna()
        if wanted_set is not None:
            keep &= codes.isin(wanted_set)
        if not keep.any():
            continue
        chunk = chunk[keep.to_numpy()]
        out = pd.DataFrame({"postcode": codes[keep].to_numpy()})
        out["latitude"] = pd.to_numeric(chunk[lat], errors="coerce").to_numpy() if lat else np.nan
        out["longitude"] = pd.to_numeric(chunk[lon], errors="coerce").to_numpy() if lon else np.nan
        if east and north:
            out["easting"] = pd.to_numeric(chunk[east], errors="coerce").to_numpy()
            out["northing"] = pd.to_numeric(chunk[north], errors="coerce").to_numpy()
        parts.append(out)
    if not parts:
        return pd.DataFrame({"postcode": pd.Series(dtype="string"), "latitude": pd.Series(dtype="float64"),
                             "longitude": pd.Series(dtype="float64")})
    table = pd.concat(parts, ignore_index=True)
    no_latlon = table["latitude"].isna() | table["longitude"].isna() | (table["latitude"] >= _NO_LAT - 1e-6)
    if "easting" in table and no_latlon.any():
        grid = no_latlon & table["easting"].gt(0) & table["northing"].gt(0)
        lo, la = bng_to_wgs84(table.loc[grid, "easting"].to_numpy(), table.loc[grid, "northing"].to_numpy())
        table.loc[grid, "longitude"], table.loc[grid, "latitude"] = lo, la
        no_latlon &= ~grid
    table.loc[no_latlon, ["latitude", "longitude"]] = np.nan
    table = table.dropna(subset=["latitude", "longitude"]).drop_duplicates("postcode", keep="last")
    return table[["postcode", "latitude", "longitude"]].reset_index(drop=True)


def lookup_directory(postcodes: pd.Series, path: str | Path) -> pd.DataFrame:
    """Positions (latitude, longitude; NaN if unknown) for each postcode, aligned to its index."""
    keys = normalise_postcodes(postcodes)
    found = read_postcode_directory(path, wanted=keys.dropna().unique())
    return _align(keys, found.set_index("postcode"))


def _align(keys: pd.Series, found: pd.DataFrame) -> pd.DataFrame:
    out = _empty_result(keys.index)
    hit = keys.notna() & keys.isin(found.index)
    if hit.any():
        rows = found.loc[keys[hit].astype(str)]
        out.loc[hit, "latitude"] = rows["latitude"].to_numpy(dtype="float64")
        out.loc[hit, "longitude"] = rows["longitude"].to_numpy(dtype="float64")
    return out


def lookup_online(postcodes: pd.Series, base_url: str, *, timeout: float = 20.0,
                  batch_size: int = ONLINE_BATCH, session: requests.Session | None = None) -> pd.DataFrame:
    """Positions from a postcodes.io-style bulk endpoint (POST {base_url}/postcodes, 100 a request).

    ``base_url`` must be https unless it is on loopback (GeoError otherwise, before anything is sent).
    """
    import requests

    from geo.access.manage import check_lookup_url

    # Postcodes of sensitive sites: never in clear text over a network (https, or this machine only).
    url = check_lookup_url(base_url).rstrip("/") + "/postcodes"
    keys = normalise_postcodes(postcodes)
    unique = sorted(keys.dropna().unique())
    http = session or requests.Session()
    found: dict[str, tuple[float, float]] = {}
    for start in range(0, len(unique), batch_size):
        batch = unique[start:start + batch_size]
        try:
            response = http.post(url, json={"postcodes": batch}, timeout=timeout)
        except requests.RequestException as exc:
            raise GeoError(f"online postcode lookup at {url} failed: {exc.__class__.__name__}: {exc}") from exc
        if response.status_code != 200:
            raise GeoError(f"online postcode lookup at {url} answered HTTP {response.status_code}")
        try:
            results = response.json()["result"]
            for item in results:
                hit = item.get("result")
                if hit and hit.get("latitude") is not None and hit.get("longitude") is not None:
                    key = normalise_postcode(item.get("query"))
                    if key:
                        found[key] = (float(hit["latitude"]), float(hit["longitude"]))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise GeoError(f"online postcode lookup at {url} gave an unexpected answer ({exc})") from exc
    table = pd.DataFrame([(k, la, lo) for k, (la, lo) in found.items()],
                         columns=["postcode", "latitude", "longitude"]).set_index("postcode")
    return _align(keys, table)


def make_geocoder(postcode_directory: str | Path | None = None,
                  online_lookup_url: str | None = None) -> Geocoder | None:
    """A function postcodes -> positions using the directory first, then the online lookup if allowed.

    Returns None when neither is available, so callers can say why a postcode-only row failed.
    """
    if postcode_directory is None and not online_lookup_url:
        return None

    def geocode(postcodes: pd.Series) -> pd.DataFrame:
        out = _empty_result(postcodes.index)
        if postcode_directory is not None:
            out = lookup_directory(postcodes, postcode_directory)
        missing = out["latitude"].isna()
        if online_lookup_url and missing.any():
            online = lookup_online(postcodes[missing], online_lookup_url)
            out.loc[missing, ["latitude", "longitude"]] = online[["latitude", "longitude"]].to_numpy()
        return out

    return geocode
