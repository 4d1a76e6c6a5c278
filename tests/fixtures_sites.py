"""Small, hand-checkable fixtures for the geo.sites tests, written by the tests themselves.

The tiny ward layer is four 0.1-degree squares in the English Midlands:

    lat 52.2 +-----------+-----------+
             | W3 (LAD B)| W4 (LAD B)|   W4 has no population estimate
    lat 52.1 +-----------+-----------+
             | W1 (LAD A)| W2 (LAD A)|
    lat 52.0 +-----------+-----------+
          lon -2.0      -1.9        -1.8
"""
from __future__ import annotations

import json
import threading
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from conftest import SHARED as SHARED_DATA
from conftest import needs_shared

ROOT = Path(__file__).resolve().parents[1]
SHARED = SHARED_DATA / "ons"
REAL_WARDS = SHARED / "Wards_December_2023_Boundaries_UK_BSC.geojson"
REAL_LOOKUP = SHARED / "Ward_to_Local_Authority_District_(December_2023)_Lookup_in_the_United_Kingdom.csv"
REAL_POPULATION = SHARED / "ward_population_census2021_wd23.csv"
REAL_REG02 = SHARED_DATA / "homeoffice" / "regional-and-local-authority-dataset-dec-2025.ods"

LAD_A, LAD_B = "E06000901", "E06000902"
W1, W2, W3, W4 = "E05000901", "E05000902", "E05000903", "E05000904"
WARDS = [  # code, name, lad, lad name, (minx, miny, maxx, maxy), population
    (W1, "Alpha", LAD_A, "Authority A", (-2.0, 52.0, -1.9, 52.1), 1000.0),
    (W2, "Bravo", LAD_A, "Authority A", (-1.9, 52.0, -1.8, 52.1), 2000.0),
    (W3, "Charlie", LAD_B, "Authority B", (-2.0, 52.1, -1.9, 52.2), 400.0),
    (W4, "Delta", LAD_B, "Authority B", (-1.9, 52.1, -1.8, 52.2), None),
]
IN_W1, IN_W2, IN_W3, IN_W4 = (-1.95, 52.05), (-1.85, 52.05), (-1.95, 52.15), (-1.85, 52.15)
EDGE_W1_W2 = (-1.9, 52.05)
NORTH_SEA = (1.5, 53.0)  # inside the UK box, in no ward

# Fake but well-formed postcodes placed inside the squares (NSPL layout).
POSTCODES = [  # pcds, lat, long, oseast1m, osnrth1m
    ("AB1 2CD", 52.04, -1.96, "", ""),
    ("AB1 3EF", 52.06, -1.84, "", ""),
    ("AB1 4GH", 52.16, -1.94, "", ""),
]


def ward_layer() -> gpd.GeoDataFrame:
    """The four squares with the geo.boundaries contract columns."""
    return gpd.GeoDataFrame(
        {"ward_code": [w[0] for w in WARDS], "ward_name": [w[1] for w in WARDS],
         "lad_code": [w[2] for w in WARDS], "lad_name": [w[3] for w in WARDS]},
        geometry=[box(*w[4]) for w in WARDS], crs="EPSG:4326")


def ward_population() -> pd.DataFrame:
    return pd.DataFrame({"ward_code": [w[0] for w in WARDS if w[5] is not None],
                         "lad_code": [w[2] for w in WARDS if w[5] is not None],
                         "population": [w[5] for w in WARDS if w[5] is not None]})


def write_wards(path: Path) -> Path:
    ward_layer().to_file(path, driver="GeoJSON")
    return path


def write_nspl(path: Path, onspd_row: bool = True) -> Path:
    """NSPL-layout CSV: pcd, pcds, oseast1m, osnrth1m, lat, long (+ one ONSPD-style grid-only row)."""
    lines = ["pcd,pcds,dointr,oseast1m,osnrth1m,lat,long"]
    for pcds, lat, lon, e, n in POSTCODES:
        lines.append(f"{pcds.replace(' ', ''):<7},{pcds},202001,{e},{n},{lat},{lon}")
    if onspd_row:
        # No lat/long (99.999999) but a grid reference inside W4: must be converted.
        from geo.sites.grid import wgs84_to_bng

        e, n = wgs84_to_bng([-1.86], [52.14])
        lines.append(f"AB1 5JK,AB1 5JK,202001,{e[0]:.0f},{n[0]:.0f},99.999999,0.000000")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_csv(path: Path, rows: list[list[object]], encoding: str = "utf-8-sig", sep: str = ",") -> Path:
    text = "\n".join(sep.join("" if c is None else str(c) for c in r) for r in rows) + "\n"
    path.write_bytes(text.encode(encoding))
    return path


HEADER = ["Ref", "Type", "Name", "Post Code", "Lat", "Long", "Beds", "Occupancy", "Status",
          "Date opened", "Date closed", "Date acquired", "Notes"]


def good_rows() -> list[list[object]]:
    """Five valid sites: a hotel and dispersed properties in W1-W3, one in the North Sea."""
    return [
        HEADER,
        ["H1", "Hotel", "Hotel One", "", IN_W1[1], IN_W1[0], 120, 100, "Open", "01/01/2023", "", "", ""],
        ["D1", "Dispersed property", "", "", IN_W1[1] + 0.01, IN_W1[0], 6, 4, "Open", "2023-06-01", "",
         "2023-05-01", ""],
        ["D2", "Dispersal accommodation", "", "", IN_W2[1], IN_W2[0], 5, 5, "", "", "", "1 Mar 2024", ""],
        ["D3", "Dispersed", "", "", IN_W3[1], IN_W3[0], 4, 3, "Open", "", "", "", ""],
        ["X1", "Large site", "Sea fort", "", NORTH_SEA[1], NORTH_SEA[0], 50, 10, "Open", "", "", "", ""],
    ]


@pytest.fixture
def wards() -> gpd.GeoDataFrame:
    return ward_layer()


@pytest.fixture
def wards_file(tmp_path: Path) -> Path:
    return write_wards(tmp_path / "wards.geojson")


@pytest.fixture
def nspl(tmp_path: Path) -> Path:
    return write_nspl(tmp_path / "NSPL_TEST.csv")


# --- a real local HTTP server in the postcodes.io style -------------------------------------------

class _Handler(BaseHTTPRequestHandler):
    known: dict[str, tuple[float, float]] = {}
    requests: list[list[str]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server naming)
        if self.path.rstrip("/") != "/postcodes":
            self.send_error(404)
            return
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        asked = body["postcodes"]
        type(self).requests.append(asked)
        if len(asked) > 100:
            self.send_error(400, "too many postcodes")
            return
        result = []
        for q in asked:
            hit = type(self).known.get(q.replace(" ", "").upper())
            result.append({"query": q, "result": None if hit is None else
                           {"postcode": q, "latitude": hit[0], "longitude": hit[1]}})
        data = json.dumps({"status": 200, "result": result}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def postcode_server():
    """(base_url, handler class) of a live server on 127.0.0.1 that knows ``known`` postcodes."""
    handler = type("Handler", (_Handler,), {"known": {}, "requests": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


# --- real ONS data ---------------------------------------------------------------------------

@lru_cache(maxsize=1)
def real_ward_layer() -> gpd.GeoDataFrame:
    """The shared ONS ward file in the geo.boundaries contract shape (LAD from the ONS lookup)."""
    wards = gpd.read_file(REAL_WARDS, columns=["WD23CD", "WD23NM"])
    lookup = pd.read_csv(REAL_LOOKUP, encoding="utf-8-sig", dtype=str)[["WD23CD", "LAD23CD", "LAD23NM"]]
    merged = wards.merge(lookup, on="WD23CD", how="left").rename(columns={
        "WD23CD": "ward_code", "WD23NM": "ward_name", "LAD23CD": "lad_code", "LAD23NM": "lad_name"})
    return gpd.GeoDataFrame(merged[["ward_code", "ward_name", "lad_code", "lad_name", "geometry"]],
                            geometry="geometry", crs=wards.crs)


needs_real_data = needs_shared  # skipped outside CI when ../shared/data is absent; a failure in CI
