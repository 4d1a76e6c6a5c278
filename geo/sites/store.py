"""SQLite store of imported site records that never forgets: every change is a new version.

Councils re-send their lists every month or quarter. Each import is one batch, written in one
transaction (all of it lands or none). A changed site closes its old version and opens a new
one, so the state "as at" any past date can be rebuilt and acquisitions can be judged against
the ward as it was then. A site missing from a later file is *not* deleted: files are often
partial, so it stays current and the batch records it as "not in this file". The same file
imported twice with the same column mapping adds nothing.

Versions are valid over dates ``[valid_from, valid_to)``, where ``valid_from`` is the date the
file describes (``data_as_at``, by default the import day) and ``valid_to`` the date of the
file that superseded it.
"""
from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo.errors import DataError, GeoError
from geo.sites.schema import COUNT_FIELDS, DATE_FIELDS, FIELDS, ROW, SITE_TYPES, STATUSES

SCHEMA_VERSION = "1"
_TYPES = ", ".join(f"'{t}'" for t in SITE_TYPES)
_STATUSES = ", ".join(f"'{s}'" for s in STATUSES)
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS batches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    file_name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    mapping_json TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    data_as_at TEXT NOT NULL,
    rows_read INTEGER NOT NULL,
    accepted INTEGER NOT NULL,
    rejected INTEGER NOT NULL,
    imported_by TEXT NOT NULL,
    boundary_vintage TEXT,
    new_sites INTEGER NOT NULL DEFAULT 0,
    changed_sites INTEGER NOT NULL DEFAULT 0,
    unchanged_sites INTEGER NOT NULL DEFAULT 0,
    not_in_file INTEGER NOT NULL DEFAULT 0,
    summary_json TEXT NOT NULL DEFAULT '{{}}',
    CHECK (accepted + rejected = rows_read)
);
CREATE UNIQUE INDEX IF NOT EXISTS batches_content ON batches(sha256, mapping_json);
CREATE TABLE IF NOT EXISTS site_versions (
    version_id INTEGER PRIMARY KEY AUTOINCREMENT,
    reference TEXT NOT NULL CHECK (reference <> ''),
    site_type TEXT NOT NULL CHECK (site_type IN ({_TYPES})),
    name TEXT, address TEXT, postcode TEXT,
    latitude REAL, longitude REAL, easting REAL, northing REAL,
    bed_spaces INTEGER CHECK (bed_spaces IS NULL OR bed_spaces >= 0),
    people INTEGER CHECK (people IS NULL OR people >= 0),
    provider TEXT,
    status TEXT NOT NULL CHECK (status IN ({_STATUSES})),
    opened TEXT, closed TEXT, acquired TEXT, notes TEXT,
    ward_code TEXT, ward_name TEXT, lad_code TEXT, lad_name TEXT,
    in_boundary INTEGER NOT NULL CHECK (in_boundary IN (0, 1)),
    position_source TEXT NOT NULL,
    source_row INTEGER,
    valid_from_batch INTEGER NOT NULL REFERENCES batches(id),
    valid_from TEXT NOT NULL,
    valid_to_batch INTEGER REFERENCES batches(id),
    valid_to TEXT,
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE UNIQUE INDEX IF NOT EXISTS site_current ON site_versions(reference) WHERE valid_to_batch IS NULL;
CREATE INDEX IF NOT EXISTS site_versions_dates ON site_versions(valid_from, valid_to);
CREATE TABLE IF NOT EXISTS rejections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    batch_id INTEGER NOT NULL REFERENCES batches(id),
    row INTEGER NOT NULL,
    column_name TEXT NOT NULL,
    reason TEXT NOT NULL,
    raw_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS rejections_batch ON rejections(batch_id, row);
CREATE TABLE IF NOT EXISTS batch_not_in_file (
    batch_id INTEGER NOT NULL REFERENCES batches(id),
    reference TEXT NOT NULL,
    PRIMARY KEY (batch_id, reference)
);
"""

JOINED = ("ward_code", "ward_name", "lad_code", "lad_name", "in_boundary", "position_source")
VERSION_FIELDS: tuple[str, ...] = (*FIELDS, *JOINED)
_REAL_ROUND = {"latitude": 7, "longitude": 7, "easting": 1, "northing": 1}
BATCH_COLUMNS = ("id", "file_name", "sha256", "imported_at", "data_as_at", "rows_read", "accepted",
                 "rejected", "imported_by", "boundary_vintage", "new_sites", "changed_sites",
                 "unchanged_sites", "not_in_file")


@dataclass
class BatchSummary:
    """What one import did to the store."""

    batch_id: int
    duplicate: bool
    rows_read: int
    accepted: int
    rejected: int
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: int = 0
    not_in_file: list[str] = field(default_factory=list)


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _plain(name: str, value: Any) -> Any:
    """A value as SQLite stores it, normalised so unchanged sites compare equal."""
    if _is_missing(value):
        return None
    if name == "in_boundary":
        return int(bool(value))
    if name in COUNT_FIELDS:
        return int(value)
    if name in _REAL_ROUND:
        return round(float(value), _REAL_ROUND[name])
    if name in DATE_FIELDS:
        return value.isoformat()[:10] if isinstance(value, (date, datetime)) else str(value)[:10]
    return str(value)


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date, pd.Timestamp)):
        return value.isoformat()
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
    return str(value)


def raw_row_json(row: dict[str, Any]) -> str:
    """A raw row as JSON (original headings and cells, blanks as null) for rejection downloads."""
    clean = {str(k): (None if _is_missing(v) else v) for k, v in row.items() if k != ROW}
    return json.dumps(clean, default=_json_default, ensure_ascii=False)


class SiteStore:
    """Site records in one SQLite file (created on first use)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            try:
                conn.executescript(SCHEMA)
                conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
            except sqlite3.DatabaseError as exc:
                raise DataError(f"not a site store ({exc})", file=self.path) from exc
            found = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
            if found != SCHEMA_VERSION:
                raise DataError(f"site store schema {found} is not the expected {SCHEMA_VERSION}", file=self.path)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except sqlite3.Error as exc:
            raise DataError(f"cannot open the site store ({exc})", file=self.path) from exc
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        try:
            yield conn
        finally:
            conn.close()

    # --- writing ---------------------------------------------------------------------------

    def find_batch(self, sha256: str, mapping: dict[str, str]) -> dict[str, Any] | None:
        """The batch that already imported this file with this mapping, if any."""
        with self._connect() as conn:
            row = conn.execute("SELECT * FROM batches WHERE sha256 = ? AND mapping_json = ?",
                               (sha256, _mapping_json(mapping))).fetchone()
        return dict(row) if row else None

    def record_import(self, *, file_name: str, sha256: str, mapping: dict[str, str], sites: pd.DataFrame,
                      rejections: Iterable[Any], raw_rejected: pd.DataFrame, rows_read: int,
                      imported_by: str, boundary_vintage: str | None = None, as_at: date | None = None,
                      rejected_references: Iterable[str] = ()) -> BatchSummary:
        """Write one batch atomically: batch row, new/changed versions, rejections, not-in-file list.

        ``sites`` holds accepted rows (schema fields plus ward columns); ``rejections`` items
        have ``row, column, reason``; ``raw_rejected`` holds the rejected rows as read, with
        ``_source_row``. Raises GeoError (after rolling back) if anything fails.
        """
        as_at = as_at or date.today()
        rejections = list(rejections)
        accepted = len(sites)
        rejected = int(rows_read - accepted)
        incoming = _records(sites)
        raw_by_row = {int(r[ROW]): raw_row_json(r) for r in raw_rejected.to_dict("records")}
        mapping_json = _mapping_json(mapping)
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with self._connect() as conn:
            try:
                conn.execute("BEGIN IMMEDIATE")
                existing = conn.execute("SELECT * FROM batches WHERE sha256 = ? AND mapping_json = ?",
                                        (sha256, mapping_json)).fetchone()
                if existing:
                    conn.execute("ROLLBACK")
                    return self._summary_of(dict(existing), duplicate=True)
                latest = conn.execute("SELECT MAX(data_as_at) FROM batches").fetchone()[0]
                if latest and as_at.isoformat() < latest:
                    raise DataError(f"this file describes {as_at.isoformat()}, before the latest import "
                                    f"({latest}); import files in date order", file=file_name)
                cur = conn.execute(
                    "INSERT INTO batches (file_name, sha256, mapping_json, imported_at, data_as_at, rows_read,"
                    " accepted, rejected, imported_by, boundary_vintage) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (file_name, sha256, mapping_json, now, as_at.isoformat(), rows_read, accepted, rejected,
                     imported_by, boundary_vintage))
                batch_id = int(cur.lastrowid)
                summary = self._apply_versions(conn, batch_id, as_at, incoming, set(rejected_references))
                conn.executemany(
                    "INSERT INTO rejections (batch_id, row, column_name, reason, raw_json) VALUES (?,?,?,?,?)",
                    [(batch_id, r.row, r.column, r.reason, raw_by_row.get(r.row, "{}")) for r in rejections])
                conn.executemany("INSERT INTO batch_not_in_file VALUES (?, ?)",
                                 [(batch_id, ref) for ref in summary.not_in_file])
                conn.execute(
                    "UPDATE batches SET new_sites=?, changed_sites=?, unchanged_sites=?, not_in_file=?,"
                    " summary_json=? WHERE id=?",
                    (len(summary.new), len(summary.changed), summary.unchanged, len(summary.not_in_file),
                     json.dumps({"new": summary.new, "changed": summary.changed,
                                 "not_in_file": summary.not_in_file}), batch_id))
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise GeoError(f"could not save the import of {file_name}; nothing was saved ({exc})") from exc
                raise
        summary.rows_read, summary.accepted, summary.rejected = rows_read, accepted, rejected
        return summary

    def _apply_versions(self, conn: sqlite3.Connection, batch_id: int, as_at: date,
                        incoming: dict[str, dict[str, Any]], rejected_refs: set[str]) -> BatchSummary:
        cols = ", ".join(VERSION_FIELDS)
        current = {r["reference"]: dict(r) for r in conn.execute(
            f"SELECT version_id, {cols} FROM site_versions WHERE valid_to_batch IS NULL")}
        summary = BatchSummary(batch_id, False, 0, 0, 0)
        to_close, to_insert = [], []
        for ref, rec in incoming.items():
            old = current.get(ref)
            if old is None:
                summary.new.append(ref)
                to_insert.append(rec)
            elif any(old[f] != rec[f] for f in VERSION_FIELDS):
                summary.changed.append(ref)
                to_close.append(old["version_id"])
                to_insert.append(rec)
            else:
                summary.unchanged += 1
        summary.not_in_file = sorted(set(current) - set(incoming) - rejected_refs)
        conn.executemany("UPDATE site_versions SET valid_to_batch = ?, valid_to = ? WHERE version_id = ?",
                         [(batch_id, as_at.isoformat(), v) for v in to_close])
        marks = ", ".join("?" * (len(VERSION_FIELDS) + 3))
        conn.executemany(
            f"INSERT INTO site_versions ({cols}, source_row, valid_from_batch, valid_from) VALUES ({marks})",
            [(*[rec[f] for f in VERSION_FIELDS], rec["_row"], batch_id, as_at.isoformat()) for rec in to_insert])
        return summary

    # --- reading ---------------------------------------------------------------------------

    def _summary_of(self, batch: dict[str, Any], duplicate: bool) -> BatchSummary:
        detail = json.loads(batch.get("summary_json") or "{}")
        return BatchSummary(int(batch["id"]), duplicate, int(batch["rows_read"]), int(batch["accepted"]),
                            int(batch["rejected"]), detail.get("new", []), detail.get("changed", []),
                            int(batch["unchanged_sites"]), detail.get("not_in_file", []))

    def batch(self, batch_id: int) -> dict[str, Any]:
        """One batch with its lists of new, changed and not-in-file references."""
        with self._connect() as conn:
            row = conn.execute("SELECT * FROM batches WHERE id = ?", (int(batch_id),)).fetchone()
        if row is None:
            raise DataError(f"no batch {batch_id} in the site store", file=self.path)
        out = {k: row[k] for k in BATCH_COLUMNS}
        out.update(json.loads(row["summary_json"] or "{}") | {"not_in_file_count": row["not_in_file"]})
        out["mapping"] = json.loads(row["mapping_json"])
        return out

    def list_batches(self) -> pd.DataFrame:
        """Every import, oldest first, with its counts and who ran it."""
        with self._connect() as conn:
            rows = conn.execute(f"SELECT {', '.join(BATCH_COLUMNS)} FROM batches ORDER BY id").fetchall()
        return pd.DataFrame([dict(r) for r in rows], columns=list(BATCH_COLUMNS))

    def rejection_list(self, batch_id: int) -> list[dict[str, Any]]:
        """Every problem in a batch as {row, column, reason}, in file order."""
        self.batch(batch_id)
        with self._connect() as conn:
            rows = conn.execute("SELECT row, column_name, reason FROM rejections WHERE batch_id = ? ORDER BY id",
                                (int(batch_id),)).fetchall()
        return [{"row": r["row"], "column": r["column_name"], "reason": r["reason"]} for r in rows]

    def rejections(self, batch_id: int) -> pd.DataFrame:
        """Rejected rows ready to download, fix and re-import: one line per row with
        ``row, column, reason`` (several problems joined by '; ') and then the original columns."""
        self.batch(batch_id)
        with self._connect() as conn:
            rows = conn.execute("SELECT row, column_name, reason, raw_json FROM rejections WHERE batch_id = ?"
                                " ORDER BY row, id", (int(batch_id),)).fetchall()
        lines: dict[int, dict[str, Any]] = {}
        originals: dict[str, None] = {}
        for r in rows:
            raw = json.loads(r["raw_json"])
            for key in raw:
                originals.setdefault(key, None)
            line = lines.setdefault(r["row"], {"row": r["row"], "column": [], "reason": [], "_raw": raw})
            line["column"].append(r["column_name"])
            line["reason"].append(r["reason"])
        out_cols = ["row", "column", "reason", *[c for c in originals if c not in ("row", "column", "reason")]]
        records = []
        for line in lines.values():
            rec = {"row": line["row"], "column": "; ".join(dict.fromkeys(line["column"])),
                   "reason": "; ".join(line["reason"])}
            rec.update({k: v for k, v in line["_raw"].items() if k not in rec})
            records.append(rec)
        return pd.DataFrame(records, columns=out_cols)

    def site_history(self, reference: str | None = None) -> pd.DataFrame:
        """Every version of every site (or one site), oldest first, with validity dates."""
        sql = "SELECT * FROM site_versions"
        args: tuple[Any, ...] = ()
        if reference is not None:
            sql += " WHERE reference = ?"
            args = (reference,)
        with self._connect() as conn:
            rows = conn.execute(sql + " ORDER BY reference, version_id", args).fetchall()
        return _typed(pd.DataFrame([dict(r) for r in rows], columns=_version_columns()))

    def current_sites(self, as_at: date | None = None):
        """Sites as the store knew them at the end of ``as_at`` (None: now) as points in EPSG:4326.

        Adds ``first_seen``: the date the site first appeared in any import.
        """
        import geopandas as gpd

        first = "(SELECT MIN(f.valid_from) FROM site_versions f WHERE f.reference = v.reference) AS first_seen"
        if as_at is None:
            where, args = "v.valid_to_batch IS NULL", ()
        else:
            day = as_at.isoformat()
            where, args = "v.valid_from <= ? AND (v.valid_to IS NULL OR v.valid_to > ?)", (day, day)
        with self._connect() as conn:
            rows = conn.execute(f"SELECT v.*, {first} FROM site_versions v WHERE {where} ORDER BY v.reference",
                                args).fetchall()
        frame = _typed(pd.DataFrame([dict(r) for r in rows], columns=[*_version_columns(), "first_seen"]))
        frame["first_seen"] = pd.to_datetime(frame["first_seen"]).astype("datetime64[ns]")
        geometry = gpd.points_from_xy(frame["longitude"].astype("float64"), frame["latitude"].astype("float64"),
                                      crs="EPSG:4326")
        return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")


def _version_columns() -> list[str]:
    return ["version_id", *VERSION_FIELDS, "source_row", "valid_from_batch", "valid_from", "valid_to_batch",
            "valid_to"]


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """SQLite values -> dates as datetime64, counts as Int64, in_boundary as bool."""
    for col in (*DATE_FIELDS, "valid_from", "valid_to"):
        frame[col] = pd.to_datetime(frame[col]).astype("datetime64[ns]")
    for col in (*COUNT_FIELDS, "source_row", "valid_from_batch", "valid_to_batch"):
        frame[col] = pd.to_numeric(frame[col]).astype("Int64")
    for col in ("latitude", "longitude", "easting", "northing"):
        frame[col] = pd.to_numeric(frame[col]).astype("float64")
    frame["in_boundary"] = frame["in_boundary"].astype(bool)
    return frame


def _mapping_json(mapping: dict[str, str]) -> str:
    return json.dumps(dict(sorted(mapping.items())), ensure_ascii=False)


def _records(sites: pd.DataFrame) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    frame = pd.DataFrame(sites)
    missing = [f for f in VERSION_FIELDS if f not in frame.columns]
    if missing:
        raise GeoError(f"sites to store lack columns {missing}")
    rows = frame[ROW].tolist() if ROW in frame.columns else [None] * len(frame)
    for rec, row in zip(frame[list(VERSION_FIELDS)].to_dict("records"), rows):
        clean = {f: _plain(f, rec[f]) for f in VERSION_FIELDS}
        clean["_row"] = None if _is_missing(row) else int(row)
        out[clean["reference"]] = clean
    return out
