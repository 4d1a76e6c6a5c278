"""The online path of the data layer, against a real local HTTP stand-in for the ONS service.

Every expectation is computed from the shared ONS files themselves; the only literal
numbers are the row counts documented in /work/shared/data/README.md.
"""
from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import math
import socket
import time
import types
from datetime import UTC, datetime, timedelta
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from arcgis_server import LAD_GEOJSON, WARD_GEOJSON, WARD_LAD_CSV
from conftest import needs_shared
from geo import download as download_module
from geo.arcgis import fetch_layer, layer_url
from geo.download import DownloadRecord, download, read_record, record_path, sha256_file
from geo.errors import DownloadError

pytestmark = needs_shared

LAD_ROWS, WARD_ROWS, LOOKUP_ROWS = 361, 8441, 8441  # documented in the data README
FAST = {"progress": False, "backoff": 0}


def _features(path: Path) -> list[dict]:
    """Source features in object-id order (the order paging by orderByFields=FID returns)."""
    feats = json.loads(path.read_text(encoding="utf-8"))["features"]
    return sorted(feats, key=lambda f: f["properties"]["FID"])


def _codes(features: list[dict], column: str) -> list[str]:
    return [f["properties"][column] for f in features]


def _csv_rows(path: Path, encoding: str) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, encoding=encoding, newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _only(tmp: Path) -> list[str]:
    return sorted(p.name for p in tmp.rglob("*") if p.is_file())


# --------------------------------------------------------------------------- complete layers


def test_lad_layer_arrives_complete_in_pages(arcgis_server, tmp_path):
    source = _features(LAD_GEOJSON)
    assert len(source) == LAD_ROWS
    srv = arcgis_server(LAD_GEOJSON, max_record_count=100)
    dest = tmp_path / "lad.geojson"

    record = fetch_layer(srv.query_url, dest, **FAST)

    queries = srv.query_log
    assert srv.metadata_count == 1
    assert len(queries) == math.ceil(len(source) / 100) == 4
    assert [int(q["resultOffset"]) for q in queries] == list(range(0, len(source), 100))
    for q in queries:
        assert (q["resultRecordCount"], q["outSR"], q["f"], q["orderByFields"], q["where"], q["outFields"]) == (
            "100", "4326", "geojson", "FID", "1=1", "*")

    got = json.loads(dest.read_text(encoding="utf-8"))
    assert got["type"] == "FeatureCollection"
    assert _codes(got["features"], "LAD23CD") == _codes(source, "LAD23CD")
    assert [f["geometry"] for f in got["features"]] == [f["geometry"] for f in source]

    frame = gpd.read_file(dest).set_index("LAD23CD")
    expected = gpd.read_file(LAD_GEOJSON).set_index("LAD23CD")
    assert frame.crs.to_epsg() == 4326
    frame = frame.loc[expected.index]
    assert frame.geometry.geom_equals_exact(expected.geometry, tolerance=0).all()
    assert frame.geometry.is_empty.sum() == 0
    cols = [c for c in expected.columns if c != "geometry"]
    pd.testing.assert_frame_equal(pd.DataFrame(frame[cols]), pd.DataFrame(expected[cols]), check_dtype=False)

    assert record.size_bytes == dest.stat().st_size
    assert record.sha256 == hashlib.sha256(dest.read_bytes()).hexdigest()
    assert read_record(dest) == record


def test_ward_layer_arrives_complete(arcgis_server, tmp_path):
    source = _features(WARD_GEOJSON)
    assert len(source) == WARD_ROWS
    srv = arcgis_server(WARD_GEOJSON, max_record_count=2000)
    dest = tmp_path / "wards.geojson"

    fetch_layer(srv.query_url, dest, **FAST)

    got = json.loads(dest.read_text(encoding="utf-8"))["features"]
    assert len(srv.query_log) == math.ceil(len(source) / 2000)
    assert _codes(got, "WD23CD") == _codes(source, "WD23CD")
    assert len(set(_codes(got, "WD23CD"))) == len(source)
    assert [f["geometry"] for f in got] == [f["geometry"] for f in source]
    assert [f["properties"] for f in got] == [f["properties"] for f in source]


def test_lookup_table_arrives_as_csv(arcgis_server, tmp_path):
    src_header, src_rows = _csv_rows(WARD_LAD_CSV, "utf-8-sig")
    assert len(src_rows) == LOOKUP_ROWS
    srv = arcgis_server(WARD_LAD_CSV, max_record_count=2000)
    dest = tmp_path / "lookup.csv"

    record = fetch_layer(srv.query_url, dest, geometry=False, **FAST)

    header, rows = _csv_rows(dest, "utf-8")
    assert header == src_header and header[0] == "WD23CD"  # service field order, no BOM garbage
    assert rows == src_rows
    assert all(q["f"] == "json" and q["orderByFields"] == "ObjectId" for q in srv.query_log)
    assert len(srv.query_log) == math.ceil(len(src_rows) / 2000)
    read = dict(dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(pd.read_csv(dest, **read), pd.read_csv(WARD_LAD_CSV, encoding="utf-8-sig", **read))
    assert record.sha256 == sha256_file(dest)


@pytest.mark.parametrize("flag_at", ["properties", "top"])
def test_exceeded_flag_drives_paging_when_page_size_unknown(arcgis_server, tmp_path, flag_at):
    """No maxRecordCount advertised: we ask for 2000, the service gives 100 and says there is more."""
    source = _features(LAD_GEOJSON)
    srv = arcgis_server(LAD_GEOJSON, max_record_count=100, advertise_max_record_count=False, exceeded_flag=flag_at)
    dest = tmp_path / "lad.geojson"

    fetch_layer(srv.query_url, dest, **FAST)

    assert {q["resultRecordCount"] for q in srv.query_log} == {"2000"}
    assert len(srv.query_log) == math.ceil(len(source) / 100)
    assert _codes(json.loads(dest.read_text())["features"], "LAD23CD") == _codes(source, "LAD23CD")


def test_full_pages_without_flag_continue_until_empty_page(arcgis_server, tmp_path):
    source = _features(LAD_GEOJSON)
    page = math.isqrt(len(source))
    assert page * page == len(source)  # 361 = 19 * 19: the last real page is full
    srv = arcgis_server(LAD_GEOJSON, max_record_count=page, exceeded_flag=None)
    dest = tmp_path / "lad.geojson"

    fetch_layer(srv.query_url, dest, **FAST)

    assert len(srv.query_log) == len(source) // page + 1  # the extra one came back empty
    assert _codes(json.loads(dest.read_text())["features"], "LAD23CD") == _codes(source, "LAD23CD")


def test_where_clause_and_out_fields_are_sent(arcgis_server, tmp_path):
    source = _features(LAD_GEOJSON)
    welsh = [c for c in _codes(source, "LAD23CD") if c.startswith("W")]
    assert welsh
    srv = arcgis_server(LAD_GEOJSON, max_record_count=100)
    dest = tmp_path / "wales.geojson"

    fetch_layer(srv.query_url, dest, where="LAD23CD LIKE 'W%'", out_fields="FID,LAD23CD,LAD23NM", **FAST)

    got = json.loads(dest.read_text())["features"]
    assert _codes(got, "LAD23CD") == welsh
    assert {tuple(f["properties"]) for f in got} == {("FID", "LAD23CD", "LAD23NM")}


# --------------------------------------------------------------------------- failures and retries


def test_flaky_service_recovers_with_retries(arcgis_server, tmp_path):
    source = _features(LAD_GEOJSON)
    srv = arcgis_server(LAD_GEOJSON, max_record_count=100, flaky=2)
    dest = tmp_path / "lad.geojson"

    fetch_layer(srv.query_url, dest, retries=3, **FAST)

    assert srv.request_count == 2 + 1 + math.ceil(len(source) / 100)  # two 503s, metadata, pages
    assert _codes(json.loads(dest.read_text())["features"], "LAD23CD") == _codes(source, "LAD23CD")


def test_flaky_download_recovers_with_exponential_backoff(arcgis_server, tmp_path, monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(download_module, "time", types.SimpleNamespace(sleep=waits.append))
    srv = arcgis_server(files={"lad.geojson": LAD_GEOJSON}, flaky=3)
    dest = tmp_path / "lad.geojson"

    download(srv.file_url("lad.geojson"), dest, retries=3, backoff=0.5, progress=False)

    assert waits == [0.5, 1.0, 2.0]
    assert srv.request_count == 4
    assert dest.read_bytes() == LAD_GEOJSON.read_bytes()


def test_retries_run_out(arcgis_server, tmp_path):
    srv = arcgis_server(files={"lad.geojson": LAD_GEOJSON}, flaky=10)
    url = srv.file_url("lad.geojson")

    with pytest.raises(DownloadError) as err:
        download(url, tmp_path / "lad.geojson", retries=2, **FAST)

    assert srv.request_count == 3
    assert url in str(err.value) and "503" in str(err.value) and "\n" not in str(err.value)
    assert _only(tmp_path) == []


def test_client_errors_are_not_retried(arcgis_server, tmp_path):
    srv = arcgis_server(files={})
    with pytest.raises(DownloadError, match="404"):
        download(srv.file_url("missing.csv"), tmp_path / "missing.csv", retries=3, **FAST)
    assert srv.request_count == 1


def test_arcgis_error_json_raises_with_service_message(arcgis_server, tmp_path):
    message = "Invalid query parameters: the service refused this request"
    srv = arcgis_server(LAD_GEOJSON, error_message=message)

    with pytest.raises(DownloadError) as err:
        fetch_layer(srv.query_url, tmp_path / "lad.geojson", **FAST)

    text = str(err.value)
    assert message in text and srv.query_url in text and "\n" not in text
    assert len(srv.query_log) == 1  # a 400 inside HTTP 200 is final, not retried
    assert _only(tmp_path) == []


def test_arcgis_server_side_error_is_retried(arcgis_server, tmp_path):
    srv = arcgis_server(LAD_GEOJSON, error_message="Error performing query operation", error_code=500)
    with pytest.raises(DownloadError, match="Error performing query operation"):
        fetch_layer(srv.query_url, tmp_path / "lad.geojson", retries=2, **FAST)
    assert len(srv.query_log) == 3


def test_bad_where_clause_reports_service_details(arcgis_server, tmp_path):
    srv = arcgis_server(LAD_GEOJSON)
    with pytest.raises(DownloadError, match="Invalid where clause"):
        fetch_layer(srv.query_url, tmp_path / "lad.geojson", where="LAD23CD >>> 3", **FAST)


def test_dead_port_fails_quickly(tmp_path):
    port = _free_port()
    url = f"http://127.0.0.1:{port}/arcgis/rest/services/X/FeatureServer/0/query"
    started = time.monotonic()

    with pytest.raises(DownloadError) as err:
        download(url, tmp_path / "x.geojson", timeout=0.5, retries=2, **FAST)
    with pytest.raises(DownloadError):
        fetch_layer(url, tmp_path / "y.geojson", timeout=0.5, retries=2, **FAST)

    assert time.monotonic() - started < 5
    assert url in str(err.value) and "after 3 attempts" in str(err.value)
    assert _only(tmp_path) == []


def test_slow_service_times_out(arcgis_server, tmp_path):
    srv = arcgis_server(files={"lad.geojson": LAD_GEOJSON}, delay=1.0)
    with pytest.raises(DownloadError, match="timed out"):
        download(srv.file_url("lad.geojson"), tmp_path / "lad.geojson", timeout=0.2, retries=1, **FAST)
    assert srv.request_count == 2


# --------------------------------------------------------------------------- files and provenance


def test_download_writes_file_and_checksum_sidecar(arcgis_server, tmp_path):
    srv = arcgis_server(files={"lookup.csv": WARD_LAD_CSV})
    url = srv.file_url("lookup.csv")
    dest = tmp_path / "nested" / "lookup.csv"
    before = datetime.now(UTC)

    record = download(url, dest)  # progress on: tqdm must stay silent off a terminal

    raw = WARD_LAD_CSV.read_bytes()
    assert dest.read_bytes() == raw
    assert record.sha256 == hashlib.sha256(raw).hexdigest() == sha256_file(dest)
    assert record.size_bytes == len(raw) == WARD_LAD_CSV.stat().st_size
    assert (record.url, record.path) == (url, dest)
    stamp = datetime.fromisoformat(record.downloaded_at)
    assert stamp.utcoffset() == timedelta(0)
    assert before - timedelta(seconds=1) <= stamp <= datetime.now(UTC)

    sidecar = record_path(dest)
    assert sidecar == tmp_path / "nested" / "lookup.csv.json"
    assert json.loads(sidecar.read_text()) == record.to_dict()
    assert DownloadRecord.from_dict(json.loads(sidecar.read_text())) == record == read_record(dest)
    assert _only(tmp_path) == ["lookup.csv", "lookup.csv.json"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.sha256 = "0" * 64  # type: ignore[misc]


def test_truncated_download_leaves_previous_file_untouched(arcgis_server, tmp_path):
    srv = arcgis_server(files={"lad.geojson": LAD_GEOJSON}, truncate_files=True)
    dest = tmp_path / "lad.geojson"
    dest.write_bytes(b"previous good copy")

    with pytest.raises(DownloadError):
        download(srv.file_url("lad.geojson"), dest, retries=1, **FAST)

    assert srv.request_count == 2
    assert dest.read_bytes() == b"previous good copy"
    assert _only(tmp_path) == ["lad.geojson"]  # no .part file, no sidecar


def test_layer_failing_mid_paging_leaves_no_file(arcgis_server, tmp_path):
    srv = arcgis_server(LAD_GEOJSON, max_record_count=100, fail_after_pages=2)
    with pytest.raises(DownloadError, match="Simulated failure"):
        fetch_layer(srv.query_url, tmp_path / "lad.geojson", **FAST)
    assert len(srv.query_log) == 3
    assert _only(tmp_path) == []


def test_overlapping_pages_are_refused(arcgis_server, tmp_path):
    srv = arcgis_server(LAD_GEOJSON, max_record_count=100, ignore_offset=True)
    with pytest.raises(DownloadError, match="twice"):
        fetch_layer(srv.query_url, tmp_path / "lad.geojson", **FAST)
    assert len(srv.query_log) == 2
    assert _only(tmp_path) == []


def test_layer_url_needs_a_query_url():
    assert layer_url("https://x/arcgis/rest/services/L/FeatureServer/0/query") == (
        "https://x/arcgis/rest/services/L/FeatureServer/0")
    with pytest.raises(ValueError):
        layer_url("https://x/arcgis/rest/services/L/FeatureServer/0")
