"""Download whole layers from ONS Open Geography (ArcGIS) feature services.

A feature service hands out at most ``maxRecordCount`` features per request, so a
layer larger than that (8,441 wards) silently arrives truncated unless we page with
``resultOffset``. This module pages until the service says it is done, checks the
pages did not overlap, and writes one GeoJSON (or CSV for attribute tables)
atomically with the same provenance sidecar as geo.download.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from tqdm import tqdm

from geo.download import (
    DownloadRecord,
    _get_json,
    _Permanent,
    _session,
    _stderr_is_tty,
    _Transient,
    finish_record,
    write_bytes_atomic,
)
from geo.errors import DownloadError

DEFAULT_PAGE_SIZE = 2000  # what ArcGIS Online uses when a layer does not say
MAX_PAGES = 100_000  # a guard against a service that never says it is done

Getter = Callable[[str, Mapping[str, Any]], Any]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LayerInfo:
    """What paging needs to know about a layer, from its metadata endpoint."""

    page_size: int
    object_id_field: str | None


def fetch_layer(
    query_url: str,
    dest: Path,
    *,
    page_size: int | None = None,
    where: str = "1=1",
    out_fields: str = "*",
    geometry: bool = True,
    timeout: float = 60,
    retries: int = 3,
    backoff: float = 1.0,
    progress: bool = True,
    session: requests.Session | None = None,
) -> DownloadRecord:
    """Fetch every feature of the layer behind ``query_url`` (``.../FeatureServer/N/query``).

    With ``geometry`` the result is a WGS84 GeoJSON FeatureCollection; without, a CSV
    of the attributes with columns in the service's field order. ``page_size`` defaults
    to the layer's ``maxRecordCount``. Raises DownloadError on network failure, on an
    ArcGIS error answer, or when pages overlap.
    """
    if page_size is not None and page_size < 1:
        raise ValueError(f"page_size must be positive, got {page_size}")
    dest = Path(dest)
    with _session(session) as sess:

        def get(url: str, params: Mapping[str, Any]) -> Any:
            return _get_json(sess, url, params, timeout, retries, backoff=backoff, check=_raise_service_error)

        layer = layer_info(get, query_url, page_size)
        log.info("fetching ArcGIS layer %s to %s, %d features a page", layer_url(query_url), dest,
                 layer.page_size)
        params = _query_params(where, out_fields, geometry, layer)
        features, fields = _fetch_pages(get, query_url, params, layer, geometry, _bar(dest.name, progress))
    data = _geojson_bytes(features) if geometry else _csv_bytes(features, fields)
    write_bytes_atomic(dest, data)
    log.info("fetched %s: %s features, %s bytes", dest.name, f"{len(features):,}", f"{len(data):,}")
    return finish_record(query_url, dest, len(data), hashlib.sha256(data).hexdigest())


def layer_url(query_url: str) -> str:
    """The layer's own address (its metadata endpoint): the query URL without ``/query``."""
    base = query_url.split("?", 1)[0].rstrip("/")
    if not base.endswith("/query"):
        raise ValueError(f"expected an ArcGIS '.../FeatureServer/N/query' URL, got {query_url}")
    return base[: -len("/query")]


def layer_info(get: Getter, query_url: str, page_size: int | None = None) -> LayerInfo:
    """Ask the layer for its page limit and object-id field (needed for stable paging order)."""
    meta = get(layer_url(query_url), {"f": "json"})
    meta = meta if isinstance(meta, dict) else {}
    limit = meta.get("maxRecordCount")
    if page_size is None:
        page_size = limit if isinstance(limit, int) and limit > 0 else DEFAULT_PAGE_SIZE
    return LayerInfo(page_size=page_size, object_id_field=_object_id_field(meta))


# --------------------------------------------------------------------------- paging


def _query_params(where: str, out_fields: str, geometry: bool, layer: LayerInfo) -> dict[str, Any]:
    """Parameters shared by every page; ordering by object id keeps offsets stable between pages."""
    params: dict[str, Any] = {"where": where, "outFields": out_fields, "outSR": 4326}
    params.update({"f": "geojson"} if geometry else {"f": "json", "returnGeometry": "false"})
    if layer.object_id_field:
        params["orderByFields"] = layer.object_id_field
    return params


def _fetch_pages(
    get: Getter, query_url: str, params: Mapping[str, Any], layer: LayerInfo, geometry: bool, bar: tqdm
) -> tuple[list[dict[str, Any]], list[str]]:
    """Request pages until one is empty, or short without ``exceededTransferLimit``."""
    features: list[dict[str, Any]] = []
    fields: list[str] = []
    seen: set[Any] = set()
    with bar:
        for number in range(1, MAX_PAGES + 1):
            page = get(query_url, {**params, "resultOffset": len(features), "resultRecordCount": layer.page_size})
            batch = _page_features(page, query_url, geometry)
            fields = fields or _field_names(page)
            if not batch:
                return features, fields
            _check_unique(batch, seen, layer.object_id_field, query_url)
            features.extend(batch)
            bar.update(len(batch))
            log.debug("page %d: %d features (%d so far)", number, len(batch), len(features))
            if not (_exceeded(page) or len(batch) >= layer.page_size):
                return features, fields
    raise DownloadError(f"download failed for {query_url}: still paging after {MAX_PAGES} pages")


def _page_features(page: Any, url: str, geometry: bool) -> list[dict[str, Any]]:
    """The page's features, refusing answers that are not the format we asked for."""
    feats = page.get("features") if isinstance(page, dict) else None
    if not isinstance(feats, list):
        raise DownloadError(f"download failed for {url}: answer has no 'features' list")
    key = "properties" if geometry else "attributes"
    if feats and (not isinstance(feats[0], dict) or key not in feats[0]):
        raise DownloadError(f"download failed for {url}: features carry no '{key}' (wrong format?)")
    return feats


def _exceeded(page: Mapping[str, Any]) -> bool:
    """ArcGIS's "more to come" flag: top level in Esri JSON, under ``properties`` in GeoJSON."""
    props = page.get("properties")
    nested = props.get("exceededTransferLimit") if isinstance(props, dict) else None
    return bool(page.get("exceededTransferLimit") or nested)


def _check_unique(batch: list[dict[str, Any]], seen: set[Any], oid_field: str | None, url: str) -> None:
    """Overlapping pages mean the service ignored our offset; fail rather than duplicate rows."""
    for feat in batch:
        oid = _object_id(feat, oid_field)
        if oid is None:
            continue
        if oid in seen:
            raise DownloadError(f"download failed for {url}: object id {oid} arrived twice (paging overlap)")
        seen.add(oid)


def _object_id(feat: Mapping[str, Any], oid_field: str | None) -> Any:
    attrs = feat.get("properties") or feat.get("attributes") or {}
    if oid_field and attrs.get(oid_field) is not None:
        return attrs[oid_field]
    return feat.get("id")


# --------------------------------------------------------------------------- service answers


def _raise_service_error(body: Any) -> None:
    """ArcGIS reports failures as HTTP 200 + ``{"error": ...}``; 5xx codes there are worth a retry."""
    if not (isinstance(body, dict) and "error" in body):
        return
    err = body["error"] if isinstance(body["error"], dict) else {}
    code = err.get("code")
    details = [str(d) for d in err.get("details") or [] if str(d).strip()]
    text = f"ArcGIS error {code}: {err.get('message') or 'no message'}"
    text += f" ({'; '.join(details)})" if details else ""
    raise (_Transient if isinstance(code, int) and code >= 500 else _Permanent)(" ".join(text.split()))


def _object_id_field(meta: Mapping[str, Any]) -> str | None:
    name = meta.get("objectIdField")
    if isinstance(name, str) and name:
        return name
    for field in meta.get("fields") or []:
        if isinstance(field, dict) and field.get("type") == "esriFieldTypeOID":
            return field.get("name")
    return None


def _field_names(page: Any) -> list[str]:
    fields = page.get("fields") if isinstance(page, dict) else None
    return [f["name"] for f in fields or [] if isinstance(f, dict) and "name" in f]


# --------------------------------------------------------------------------- output


def _geojson_bytes(features: list[dict[str, Any]]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": features},
                      ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _csv_bytes(features: list[dict[str, Any]], fields: list[str]) -> bytes:
    """Attributes as CSV; columns follow the service's ``fields`` (else first-seen order)."""
    rows = [f.get("attributes") or {} for f in features]
    header = list(fields) or list(dict.fromkeys(k for row in rows for k in row))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([["" if row.get(k) is None else row[k] for k in header] for row in rows])
    return buf.getvalue().encode("utf-8")


def _bar(label: str, enabled: bool) -> tqdm:
    return tqdm(desc=label, unit=" features", file=sys.stderr, leave=False,
                disable=not (enabled and _stderr_is_tty()))
