"""A local stand-in for an ONS Open Geography (ArcGIS) feature service.

Serves the real shared ONS files over real HTTP on 127.0.0.1 so the download layer
can be tested end to end without the internet: layer metadata, paged ``/query`` in
GeoJSON or Esri JSON, ArcGIS-style errors inside HTTP 200, 503s for the first K
requests, slow answers, truncated file bodies, and a request log to assert paging.

    with ArcGISServer(LAD_GEOJSON, max_record_count=100) as srv:
        fetch_layer(srv.query_url, dest)
        assert len(srv.query_log) == 4
"""
from __future__ import annotations

import csv
import json
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
ONS = SHARED_DATA / "ons"
LAD_GEOJSON = ONS / "Local_Authority_Districts_May_2023_UK_BUC.geojson"
WARD_GEOJSON = ONS / "Wards_December_2023_Boundaries_UK_BSC.geojson"
WARD_LAD_CSV = ONS / "Ward_to_Local_Authority_District_(December_2023)_Lookup_in_the_United_Kingdom.csv"

_OID_CANDIDATES = ("FID", "OBJECTID", "ObjectId", "OID")


# --------------------------------------------------------------------------- layers


@dataclass(frozen=True)
class Layer:
    """One service layer held in memory: attribute rows, optional geometries, Esri field list."""

    name: str
    object_id_field: str | None
    fields: tuple[dict[str, str], ...]
    rows: tuple[dict[str, Any], ...]
    geometries: tuple[dict[str, Any] | None, ...] | None = None


@lru_cache(maxsize=8)
def load_layer(path: Path) -> Layer:
    """Read a GeoJSON (stdlib json) or CSV (utf-8-sig, as ONS publish) into a Layer; cached, treat as read-only."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        with open(path, encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            names = list(reader.fieldnames or [])
            raw = list(reader)
        oid = _pick_oid(names)
        rows = tuple({k: (int(v) if k == oid else v) for k, v in r.items()} for r in raw)
        return Layer(path.stem, oid, _esri_fields(names, rows, oid), rows)
    doc = json.loads(path.read_text(encoding="utf-8"))
    feats = doc["features"]
    rows = tuple(dict(f.get("properties") or {}) for f in feats)
    names = list(rows[0]) if rows else []
    oid = _pick_oid(names)
    geoms = tuple(f.get("geometry") for f in feats)
    return Layer(doc.get("name") or path.stem, oid, _esri_fields(names, rows, oid), rows, geoms)


def _pick_oid(names: list[str]) -> str | None:
    return next((n for n in _OID_CANDIDATES if n in names), None)


def _esri_fields(names: list[str], rows: tuple[dict[str, Any], ...], oid: str | None) -> tuple[dict[str, str], ...]:
    def kind(name: str) -> str:
        if name == oid:
            return "esriFieldTypeOID"
        values = [r.get(name) for r in rows[:200] if r.get(name) is not None]
        if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            return "esriFieldTypeInteger"
        if values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            return "esriFieldTypeDouble"
        return "esriFieldTypeString"

    return tuple({"name": n, "type": kind(n), "alias": n} for n in names)


# --------------------------------------------------------------------------- server


@dataclass
class ArcGISServer:
    """Feature service at ``/arcgis/rest/services/<name>/FeatureServer/0`` plus plain files at ``/files/<name>``.

    Options (all may be changed while running):
      max_record_count       the page cap the service enforces
      advertise_max_record_count  put maxRecordCount in the metadata (False: client must guess)
      exceeded_flag          where GeoJSON puts exceededTransferLimit: "properties" (real ArcGIS), "top",
                             or None (never)
      flaky                  answer HTTP 503 to this many next requests, of any kind
      error_message          answer every query with {"error": {"code": error_code, "message": ...}}
      fail_after_pages       answer queries with an error after this many good query pages
      ignore_offset          always serve from offset 0 (a broken service; pages then overlap)
      delay                  seconds to sleep before answering (to provoke client timeouts)
      files                  name -> path served raw at /files/<name>
      truncate_files         send a full Content-Length but only half the file, then hang up
    """

    source: Path | None = None
    max_record_count: int = 2000
    advertise_max_record_count: bool = True
    exceeded_flag: str | None = "properties"
    flaky: int = 0
    error_message: str | None = None
    error_code: int = 400
    fail_after_pages: int | None = None
    ignore_offset: bool = False
    delay: float = 0.0
    files: dict[str, Path] = field(default_factory=dict)
    truncate_files: bool = False
    service_name: str = "Test_Layer"

    layer: Layer | None = field(default=None, init=False)
    request_log: list[tuple[str, dict[str, str]]] = field(default_factory=list, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _httpd: _QuietServer | None = field(default=None, init=False, repr=False)
    _thread: threading.Thread | None = field(default=None, init=False, repr=False)

    # ---- lifecycle

    def start(self) -> ArcGISServer:
        self.layer = load_layer(Path(self.source)) if self.source is not None else None
        self._httpd = _QuietServer(("127.0.0.1", 0), _Handler)
        self._httpd.app = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> ArcGISServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- addresses and counters

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def layer_url(self) -> str:
        return f"{self.base_url}/arcgis/rest/services/{self.service_name}/FeatureServer/0"

    @property
    def query_url(self) -> str:
        return self.layer_url + "/query"

    def file_url(self, name: str) -> str:
        return f"{self.base_url}/files/{name}"

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self.request_log)

    @property
    def query_log(self) -> list[dict[str, str]]:
        """Parameters of every /query request, in arrival order (503s included)."""
        with self._lock:
            return [p for path, p in self.request_log if path.endswith("/query")]

    @property
    def metadata_count(self) -> int:
        with self._lock:
            return sum(1 for path, _ in self.request_log if path.endswith("/FeatureServer/0"))

    # ---- request handling (called from handler threads)

    def _log(self, path: str, params: dict[str, str]) -> bool:
        """Record a request; True when this one should get a flaky 503."""
        with self._lock:
            self.request_log.append((path, params))
            if self.flaky > 0:
                self.flaky -= 1
                return True
            return False

    def _good_query_pages(self) -> int:
        with self._lock:
            return sum(1 for path, _ in self.request_log if path.endswith("/query")) - 1

    def metadata(self) -> dict[str, Any]:
        layer = self._need_layer()
        meta: dict[str, Any] = {
            "currentVersion": 11.3, "id": 0, "name": layer.name,
            "type": "Feature Layer" if layer.geometries is not None else "Table",
            "objectIdField": layer.object_id_field, "fields": list(layer.fields),
            "advancedQueryCapabilities": {"supportsPagination": True},
            "supportedQueryFormats": "JSON, geoJSON, PBF",
        }
        if layer.geometries is not None:
            meta["geometryType"] = "esriGeometryPolygon"
        if self.advertise_max_record_count:
            meta["maxRecordCount"] = self.max_record_count
        return meta

    def query(self, params: dict[str, str]) -> dict[str, Any]:
        layer = self._need_layer()
        if self.error_message is not None:
            return _error(self.error_code, self.error_message)
        if self.fail_after_pages is not None and self._good_query_pages() >= self.fail_after_pages:
            return _error(400, "Unable to complete operation.", ["Simulated failure part-way through paging."])
        fmt = params.get("f", "html")
        if fmt not in ("geojson", "json", "pjson"):
            return _error(400, "Invalid or missing input parameters.", [f"Unsupported format '{fmt}'."])
        try:
            keep = _where(params.get("where", ""))
        except ValueError as exc:
            return _error(400, "Unable to complete operation.", [str(exc)])
        idx = [i for i, row in enumerate(layer.rows) if keep(row)]
        idx = _order(idx, layer, params.get("orderByFields", ""))
        offset = 0 if self.ignore_offset else int(params.get("resultOffset", 0) or 0)
        count = min(int(params.get("resultRecordCount", self.max_record_count) or self.max_record_count),
                    self.max_record_count)
        chosen = idx[offset: offset + count]
        more = offset + len(chosen) < len(idx)
        names = _out_fields(layer, params.get("outFields", "*"))
        rows = [{n: layer.rows[i].get(n) for n in names} for i in chosen]
        if fmt == "geojson":
            return self._geojson(layer, chosen, rows, more)
        return self._esri_json(layer, names, rows, more)

    def _geojson(self, layer: Layer, chosen: list[int], rows: list[dict[str, Any]], more: bool) -> dict[str, Any]:
        feats = []
        for i, props in zip(chosen, rows, strict=True):
            feat: dict[str, Any] = {"type": "Feature"}
            if layer.object_id_field:
                feat["id"] = layer.rows[i][layer.object_id_field]
            feat["geometry"] = layer.geometries[i] if layer.geometries is not None else None
            feat["properties"] = props
            feats.append(feat)
        doc: dict[str, Any] = {"type": "FeatureCollection", "features": feats}
        if more and self.exceeded_flag == "properties":
            doc["properties"] = {"exceededTransferLimit": True}
        elif more and self.exceeded_flag == "top":
            doc["exceededTransferLimit"] = True
        return doc

    def _esri_json(self, layer: Layer, names: list[str], rows: list[dict[str, Any]], more: bool) -> dict[str, Any]:
        by_name = {f["name"]: f for f in layer.fields}
        doc: dict[str, Any] = {
            "objectIdFieldName": layer.object_id_field,
            "fields": [by_name[n] for n in names],
            "features": [{"attributes": r} for r in rows],
        }
        if more and self.exceeded_flag is not None:
            doc["exceededTransferLimit"] = True
        return doc

    def _need_layer(self) -> Layer:
        if self.layer is None:
            raise LookupError("this server was started without a layer")
        return self.layer


def _error(code: int, message: str, details: list[str] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or []}}


_WHERE = re.compile(r"^\s*(\w+)\s+(=|LIKE)\s+'([^']*)'\s*$", re.IGNORECASE)


def _where(clause: str):
    """Just enough SQL for tests: ``1=1``, ``FIELD = 'v'`` and ``FIELD LIKE 'prefix%'``."""
    if clause.replace(" ", "") == "1=1":
        return lambda row: True
    m = _WHERE.match(clause)
    if not m:
        raise ValueError(f"Invalid where clause: {clause!r}")
    name, op, value = m.group(1), m.group(2).upper(), m.group(3)
    if op == "=":
        return lambda row: str(row.get(name)) == value
    pattern = re.compile("^" + re.escape(value).replace("%", ".*").replace("_", ".") + "$")
    return lambda row: pattern.match(str(row.get(name))) is not None


def _order(idx: list[int], layer: Layer, order_by: str) -> list[int]:
    if not order_by.strip():
        return idx
    name, _, direction = order_by.strip().partition(" ")
    return sorted(idx, key=lambda i: layer.rows[i].get(name), reverse=direction.strip().upper() == "DESC")


def _out_fields(layer: Layer, out_fields: str) -> list[str]:
    names = [f["name"] for f in layer.fields]
    if out_fields.strip() in ("", "*"):
        return names
    wanted = [n.strip() for n in out_fields.split(",")]
    return [n for n in wanted if n in names]


class _QuietServer(ThreadingHTTPServer):
    """Clients hanging up mid-answer (timeouts, retries) is expected here, not worth a traceback."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server_version = "ArcGISStandIn/1.0"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        app: ArcGISServer = self.server.app  # type: ignore[attr-defined]
        url = urlsplit(self.path)
        params = dict(parse_qsl(url.query, keep_blank_values=True))
        flaky = app._log(url.path, params)
        if app.delay:
            time.sleep(app.delay)
        if flaky:
            return self._send(503, b"<html>Service Unavailable</html>", "text/html")
        if url.path.startswith("/files/"):
            return self._send_file(app, url.path[len("/files/"):])
        if url.path == urlsplit(app.layer_url).path:
            return self._send_json(app.metadata())
        if url.path == urlsplit(app.query_url).path:
            return self._send_json(app.query(params))
        self._send(404, b"not found", "text/plain")

    def _send_file(self, app: ArcGISServer, name: str) -> None:
        path = app.files.get(name)
        if path is None:
            return self._send(404, b"not found", "text/plain")
        body = Path(path).read_bytes()
        if not app.truncate_files:
            return self._send(200, body, "application/octet-stream")
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        self.close_connection = True

    def _send_json(self, doc: dict[str, Any]) -> None:
        self._send(200, json.dumps(doc, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8")

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass


@pytest.fixture
def arcgis_server():
    """Factory fixture: ``arcgis_server(source, **options)`` starts a server closed after the test."""
    started: list[ArcGISServer] = []

    def start(source: Path | None = None, **options: Any) -> ArcGISServer:
        srv = ArcGISServer(source, **options).start()
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.close()
