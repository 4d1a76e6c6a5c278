"""SQLite store of imported site records that never forgets: every change is a new version.

Councils re-send their lists every month or quarter. Each import is one batch, written in one
transaction (all of it lands or none). A changed site closes its old version and opens a new
one, so the state "as at" any past date can be rebuilt and acquisitions can be judged against
the ward as it was then. A site missing from a later file is *not* deleted: files are often
partial, so it stays current and the batch records it as "not in this file". The same file
imported twice with the same column mapping adds nothing. A field whose column a file does not
have (left unmapped) keeps its stored value: an absent column is not a blank one.

Every batch records the organisation that imported it and the member who ran it; a site is
identified by (organisation, reference), so two councils may both have a site "D1". Reads
take ``organisations=`` (None: all) so an access layer can limit what a member sees.

The file is created readable by its owner only and kept in WAL mode. Reads use read-only
connections, which never write and never wait for an import; a write that cannot get the
store says "the site store is busy, try again".

Versions are valid over dates ``[valid_from, valid_to)``, where ``valid_from`` is the date the
file describes (``data_as_at``, by default the import day) and ``valid_to`` the date of the
file that superseded it.
"""
from __future__ import annotations

import json
import math
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo.db import open_location
from geo.errors import DataError, GeoError
from geo.sites.schema import COUNT_FIELDS, DATE_FIELDS, FIELDS, ROW, SITE_TYPES, STATUSES

SCHEMA_VERSION = "2"
LOCAL_ORGANISATION = "local"  # the desktop mode's one organisation (no identity provider)
LOCAL_MEMBER = "local"        # who imports in the desktop mode; never the OS login
BUSY_SECONDS = 30.0
CHUNK_ROWS = 50_000  # rows per frame when reading for an export: memory stays at one chunk
BUSY = "the site store is busy, try again (another import is running)"
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
    organisation TEXT NOT NULL DEFAULT '{LOCAL_ORGANISATION}',
    CHECK (accepted + rejected = rows_read)
);
CREATE UNIQUE INDEX IF NOT EXISTS batches_org_content ON batches(organisation, sha256, mapping_json);
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
    organisation TEXT NOT NULL DEFAULT '{LOCAL_ORGANISATION}',
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE UNIQUE INDEX IF NOT EXISTS site_org_current ON site_versions(organisation, reference)
    WHERE valid_to_batch IS NULL;
CREATE INDEX IF NOT EXISTS site_versions_dates ON site_versions(valid_from, valid_to);
CREATE INDEX IF NOT EXISTS site_versions_first ON site_versions(organisation, reference, valid_from);
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
# Version 1 (before organisations): what must change, in order, inside one transaction.
MIGRATE_1_TO_2 = (
    f"ALTER TABLE batches ADD COLUMN organisation TEXT NOT NULL DEFAULT '{LOCAL_ORGANISATION}'",
    f"ALTER TABLE site_versions ADD COLUMN organisation TEXT NOT NULL DEFAULT '{LOCAL_ORGANISATION}'",
    "DROP INDEX IF EXISTS batches_content",
    "DROP INDEX IF EXISTS site_current",
)

JOINED = ("ward_code", "ward_name", "lad_code", "lad_name", "in_boundary", "position_source")
VERSION_FIELDS: tuple[str, ...] = (*FIELDS, *JOINED)
_REAL_ROUND = {"latitude": 7, "longitude": 7, "easting": 1, "northing": 1}
# Fields a file gives only through its own column: absent from the mapping, they keep their value.
CARRIED_FIELDS = ("name", "address", "postcode", "bed_spaces", "people", "provider", "opened", "closed",
                  "acquired", "notes")
BATCH_COLUMNS = ("id", "organisation", "file_name", "sha256", "imported_at", "data_as_at", "rows_read",
                 "accepted", "rejected", "imported_by", "boundary_vintage", "new_sites", "changed_sites",
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


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date, pd.Timestamp)):
        return value.isoformat()
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
    return str(value)


RAW_CELL_LIMIT = 5_000  # characters of a rejected row's cell kept for its download (a 20 MB cell is cut)


def _kept(value: Any) -> Any:
    if isinstance(value, str) and len(value) > RAW_CELL_LIMIT:
        return f"{value[:RAW_CELL_LIMIT]}... ({len(value) - RAW_CELL_LIMIT:,} more characters not kept)"
    return value


def raw_row_json(row: dict[str, Any]) -> str:
    """A raw row as JSON (original headings and cells, blanks as null, each cell at most
    ``RAW_CELL_LIMIT`` characters) for rejection downloads."""
    clean = {str(k): (None if _is_missing(v) or (isinstance(v, str) and (v == "" or v.isspace())) else _kept(v))
             for k, v in row.items() if k != ROW}
    return json.dumps(clean, default=_json_default, ensure_ascii=False)


def store_columns(sites: pd.DataFrame) -> list[list[Any]]:
    """Each VERSION_FIELDS column (then the source row) as a list of values SQLite stores,
    normalised column-wise so an unchanged site compares equal to its stored version."""
    frame = pd.DataFrame(sites)
    missing = [f for f in VERSION_FIELDS if f not in frame.columns]
    if missing:
        raise GeoError(f"sites to store lack columns {missing}")
    out = []
    for name in VERSION_FIELDS:
        col = frame[name]
        if name == "in_boundary":
            out.append(col.fillna(False).astype(bool).astype(int).tolist())
        elif name in COUNT_FIELDS:
            nums = pd.to_numeric(col, errors="raise").astype("float64").to_numpy()
            out.append(_nullable(nums, np.where(np.isnan(nums), 0, nums).astype("int64")))
        elif name in _REAL_ROUND:
            # numpy's rounding, as stored every earlier version (Python's round of that, which
            # version 1 also applied, returns the same float), so an unmoved site compares equal
            nums = np.round(pd.to_numeric(col, errors="coerce").to_numpy(dtype="float64"), _REAL_ROUND[name])
            out.append(_nullable(nums, nums))
        elif name in DATE_FIELDS:
            out.append(_iso_dates(col))
        else:
            text = col.astype(object)
            out.append(text.where(text.notna(), None).tolist())
    rows = frame[ROW] if ROW in frame.columns else pd.Series([None] * len(frame), index=frame.index)
    out.append([None if _is_missing(v) else int(v) for v in rows.tolist()])
    return out


def _nullable(nums: np.ndarray, values: np.ndarray) -> list[Any]:
    """``values`` as Python numbers, None where ``nums`` is NaN."""
    missing = np.isnan(nums)
    if not missing.any():
        return values.tolist()
    listed = np.where(missing, 0, values).tolist()
    for i in np.flatnonzero(missing).tolist():
        listed[i] = None
    return listed


def _iso_dates(col: pd.Series) -> list[str | None]:
    if pd.api.types.infer_dtype(col, skipna=True) in ("string", "empty"):   # ISO text from validate
        text = col.astype(object)
        if (text.dropna().str.len() == 10).all():
            return list(text.where(text.notna(), None).tolist())
    if pd.api.types.is_datetime64_any_dtype(col):
        text = col.dt.strftime("%Y-%m-%d")
        return [None if _is_missing(v) else v for v in text.astype(object).tolist()]
    out: list[str | None] = []
    for v in col.tolist():
        if _is_missing(v):
            out.append(None)
        elif isinstance(v, (date, datetime)):
            out.append(v.isoformat()[:10])
        else:
            out.append(str(v)[:10])
    return out


def _org_filter(column: str, organisations: Iterable[str] | None) -> tuple[str, tuple[str, ...]]:
    """SQL condition limiting ``column`` to ``organisations`` (None: no limit; empty: nothing)."""
    if organisations is None:
        return "1 = 1", ()
    orgs = tuple(dict.fromkeys(str(o) for o in organisations))
    if not orgs:
        return "1 = 0", ()
    return f"{column} IN ({', '.join('?' * len(orgs))})", orgs


def _is_busy(exc: Exception) -> bool:
    """SQLite's 'database is locked' / 'busy', however it was wrapped (pandas wraps it too)."""
    text = str(exc).lower()
    return "locked" in text or "busy" in text


class SiteStore:
    """Site records in one SQLite file (created on first use, owner-only, WAL mode), or in the
    PostgreSQL database named by ``AAM_DATABASE_URL`` (migrated by ``python -m geo db upgrade``)."""

    def __init__(self, path: str | Path) -> None:
        self.url, self.path = open_location(path)
        if self.url:  # PostgreSQL: the tables are the migrations' (`python -m geo db upgrade`)
            return
        if not self.path.exists():
            self._create()
        found = self._schema_version()
        if found == "1":
            self._migrate_from_1()
        elif found != SCHEMA_VERSION:
            raise DataError(f"site store schema {found} is not the expected {SCHEMA_VERSION}", file=self.path)

    # --- opening ---------------------------------------------------------------------------

    def _create(self) -> None:
        """A new store file: created 0600 before SQLite touches it (its -wal/-shm files follow suit)."""
        from geo.db.migrate import stamp_sqlite

        self.path.parent.mkdir(parents=True, exist_ok=True)
        with suppress(FileExistsError):  # another process created it first
            os.close(os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        with self._write() as conn:
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.executescript(SCHEMA)
                conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
                stamp_sqlite(conn)  # a new store is at the migrations' head revision
            except sqlite3.DatabaseError as exc:
                raise self._error(exc) from exc

    def _schema_version(self) -> str:
        with self._read() as conn:
            try:
                row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            except sqlite3.DatabaseError as exc:
                raise self._error(exc) from exc
        if row is None:
            raise DataError("not a site store (no schema version)", file=self.path)
        return str(row[0])

    def _migrate_from_1(self) -> None:
        """Version 1 -> 2: batches and versions gain ``organisation`` (existing ones: the local one),
        a site is unique per organisation, first-seen gets its index, the file goes WAL and 0600."""
        with self._write() as conn:
            try:
                conn.execute("BEGIN IMMEDIATE")
                found = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
                if found == "1":
                    for statement in MIGRATE_1_TO_2:
                        conn.execute(statement)
                    for statement in SCHEMA.split(";"):
                        if statement.strip():
                            conn.execute(statement)
                    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (SCHEMA_VERSION,))
                conn.execute("COMMIT")
                conn.execute("PRAGMA journal_mode = WAL")
            except sqlite3.DatabaseError as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise self._error(exc) from exc
        with suppress(OSError):  # not the owner: leave the mode as the owner set it
            os.chmod(self.path, 0o600)

    def _error(self, exc: Exception) -> GeoError:
        if _is_busy(exc):
            return GeoError(BUSY)
        if self.url:  # PostgreSQL's own reason (a refused scope, a missing privilege), not "not a store"
            return GeoError(f"the site store refused this: {exc}")
        return DataError(f"not a site store ({exc})", file=self.path)

    @contextmanager
    def _read(self, organisations: Iterable[str] | None = None) -> Iterator[sqlite3.Connection]:
        """A read-only connection: never writes, and in WAL mode never waits for an import.
        On PostgreSQL ``organisations`` (None: all) is also the row-level security scope."""
        if self.url:
            with self._pg(organisations) as conn:
                yield conn
            return
        uri = self.path.resolve().as_uri() + "?mode=ro"
        try:
            conn = sqlite3.connect(uri, uri=True, timeout=BUSY_SECONDS, isolation_level=None)
        except sqlite3.Error as exc:
            raise DataError(f"cannot open the site store ({exc})", file=self.path) from exc
        conn.row_factory = sqlite3.Row
        try:
            yield conn
        except (sqlite3.DatabaseError, pd.errors.DatabaseError) as exc:
            raise self._error(exc) from exc
        finally:
            conn.close()

    @contextmanager
    def _pg(self, organisations: Iterable[str] | None = None) -> Iterator[Any]:
        """A PostgreSQL session (MVCC: its reads never wait for an import's transaction) whose
        every transaction sets the row-level security scope: ``organisations``, None for every
        organisation the database knows of (named one by one: the database refuses ``*``)."""
        from geo.db.pg import ALL_KNOWN, connect

        try:
            conn = connect(self.url or "", organisations=ALL_KNOWN if organisations is None else organisations)
        except sqlite3.Error as exc:
            raise DataError(f"cannot open the site store ({exc})", file=self.path) from exc
        try:
            yield conn
        except (sqlite3.DatabaseError, pd.errors.DatabaseError) as exc:
            raise self._error(exc) from exc
        finally:
            conn.close()

    @contextmanager
    def _write(self, organisations: Iterable[str] | None = None) -> Iterator[sqlite3.Connection]:
        if self.url:
            with self._pg(organisations) as conn:
                yield conn
            return
        try:
            conn = sqlite3.connect(self.path, timeout=BUSY_SECONDS, isolation_level=None)
        except sqlite3.Error as exc:
            raise DataError(f"cannot open the site store ({exc})", file=self.path) from exc
        conn.row_factory = sqlite3.Row
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            yield conn
        finally:
            conn.close()

    # --- writing ---------------------------------------------------------------------------

    def find_batch(self, sha256: str, mapping: dict[str, str],
                   organisation: str = LOCAL_ORGANISATION) -> dict[str, Any] | None:
        """The batch in which ``organisation`` already imported this file with this mapping, if any."""
        with self._read([organisation]) as conn:
            row = conn.execute("SELECT * FROM batches WHERE organisation = ? AND sha256 = ? AND mapping_json = ?",
                               (organisation, sha256, _mapping_json(mapping))).fetchone()
        return dict(row) if row else None

    @contextmanager
    def importing(self, *, file_name: str, sha256: str, mapping: dict[str, str],
                  organisation: str = LOCAL_ORGANISATION, imported_by: str = LOCAL_MEMBER,
                  boundary_vintage: str | None = None, as_at: date | None = None) -> Iterator[ImportWriter]:
        """One import fed in chunks: ``with store.importing(...) as batch: batch.add(...); ...;
        summary = batch.finish(rows_read)``.

        Chunks are staged in this connection's temporary tables, which lock nothing, so readers,
        the audit log and other imports carry on while a big file is checked and placed. Only
        ``finish`` takes the store's write lock, for one transaction that re-checks the file is
        new, adds the batch, its rejections and its versions: all of it lands or none. A file
        already imported yields a writer whose ``duplicate`` summary is set and whose ``add``
        does nothing.
        """
        as_at = as_at or date.today()
        mapping_json = _mapping_json(mapping)
        carried = [f for f in CARRIED_FIELDS if f not in mapping] + (
            ["status"] if not {"status", "opened", "closed"} & set(mapping) else [])
        with self._write([organisation]) as conn:
            try:
                conn.execute("PRAGMA temp_store = FILE")   # MEMORY measured +370 MB peak at 1M rows
                conn.execute("PRAGMA temp.cache_size = -131072")   # 128 MB for the staged rows
                conn.execute("PRAGMA main.cache_size = -65536")
                writer = ImportWriter(conn, organisation, as_at, carried, {
                    "organisation": organisation, "file_name": file_name, "sha256": sha256,
                    "mapping_json": mapping_json, "data_as_at": as_at.isoformat(), "imported_by": imported_by,
                    "boundary_vintage": boundary_vintage})
                existing = writer.existing_batch()
                if existing is not None:
                    writer.duplicate = self._summary_of(existing, duplicate=True)
                    writer.finished = True
                else:
                    writer.check_date_order()
                yield writer
                if not writer.finished:
                    raise GeoError("an import ended without finishing; nothing was saved")
            except BaseException as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    if _is_busy(exc):
                        raise GeoError(BUSY) from exc
                    raise GeoError(f"could not save the import of {file_name}; nothing was saved ({exc})") from exc
                raise
            if writer.duplicate is None:
                with suppress(sqlite3.Error):
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")  # caches keyed on the file's mtime see it

    def record_import(self, *, file_name: str, sha256: str, mapping: dict[str, str], sites: pd.DataFrame,
                      rejections: Iterable[Any], raw_rejected: pd.DataFrame, rows_read: int,
                      imported_by: str = LOCAL_MEMBER, organisation: str = LOCAL_ORGANISATION,
                      boundary_vintage: str | None = None, as_at: date | None = None,
                      rejected_references: Iterable[str] = ()) -> BatchSummary:
        """Write one whole batch atomically: batch row, new/changed versions, rejections, not-in-file list.

        ``sites`` holds accepted rows (schema fields plus ward columns); ``rejections`` items
        have ``row, column, reason``; ``raw_rejected`` holds the rejected rows as read, with
        ``_source_row``. Raises GeoError (after rolling back) if anything fails.
        """
        with self.importing(file_name=file_name, sha256=sha256, mapping=mapping, organisation=organisation,
                            imported_by=imported_by, boundary_vintage=boundary_vintage, as_at=as_at) as batch:
            if batch.duplicate is not None:
                return batch.duplicate
            batch.add(sites, rejections, raw_rejected, rejected_references)
            summary = batch.finish(rows_read)
        return summary

    # --- reading ---------------------------------------------------------------------------

    @staticmethod
    def _summary_of(batch: dict[str, Any], duplicate: bool) -> BatchSummary:
        detail = json.loads(batch.get("summary_json") or "{}")
        return BatchSummary(int(batch["id"]), duplicate, int(batch["rows_read"]), int(batch["accepted"]),
                            int(batch["rejected"]), detail.get("new", []), detail.get("changed", []),
                            int(batch["unchanged_sites"]), detail.get("not_in_file", []))

    def stamp(self) -> str:
        """A token that changes whenever an import lands (for caches: in WAL mode the file's
        modification time may lag until a checkpoint)."""
        with self._read() as conn:
            last, count = conn.execute("SELECT MAX(id), COUNT(*) FROM batches").fetchone()
        return f"{last or 0}:{count}"

    def batch(self, batch_id: int, *, organisations: Iterable[str] | None = None) -> dict[str, Any]:
        """One batch with its lists of new, changed and not-in-file references (only if it belongs
        to one of ``organisations``: any other is 'no batch', so its existence is not disclosed)."""
        cond, args = _org_filter("organisation", organisations)
        with self._read(organisations) as conn:
            row = conn.execute(f"SELECT * FROM batches WHERE id = ? AND {cond}", (int(batch_id), *args)).fetchone()
        if row is None:
            raise DataError(f"no batch {batch_id} in the site store", file=self.path)
        out = {k: row[k] for k in BATCH_COLUMNS}
        out.update(json.loads(row["summary_json"] or "{}") | {"not_in_file_count": row["not_in_file"]})
        out["mapping"] = json.loads(row["mapping_json"])
        return out

    def list_batches(self, *, organisations: Iterable[str] | None = None) -> pd.DataFrame:
        """Every import (of ``organisations``), oldest first, with its counts, organisation and who ran it."""
        cond, args = _org_filter("organisation", organisations)
        with self._read(organisations) as conn:
            rows = conn.execute(f"SELECT {', '.join(BATCH_COLUMNS)} FROM batches WHERE {cond} ORDER BY id",
                                args).fetchall()
        return pd.DataFrame([dict(r) for r in rows], columns=list(BATCH_COLUMNS))

    def rejection_list(self, batch_id: int, *, organisations: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """Every problem in a batch as {row, column, reason}, in file order."""
        self.batch(batch_id, organisations=organisations)
        with self._read(organisations) as conn:
            rows = conn.execute("SELECT row, column_name, reason FROM rejections WHERE batch_id = ? ORDER BY id",
                                (int(batch_id),)).fetchall()
        return [{"row": r["row"], "column": r["column_name"], "reason": r["reason"]} for r in rows]

    def rejections(self, batch_id: int, *, organisations: Iterable[str] | None = None) -> pd.DataFrame:
        """Rejected rows ready to download, fix and re-import: one line per row with
        ``row, column, reason`` (several problems joined by '; ') and then the original columns."""
        self.batch(batch_id, organisations=organisations)
        with self._read(organisations) as conn:
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

    def site_history(self, reference: str | None = None, *,
                     organisations: Iterable[str] | None = None) -> pd.DataFrame:
        """Every version of every site (or one reference), oldest first, with validity dates."""
        cond, args = _org_filter("organisation", organisations)
        sql = f"SELECT * FROM site_versions WHERE {cond}"
        if reference is not None:
            sql += " AND reference = ?"
            args = (*args, reference)
        with self._read(organisations) as conn:
            frame = read_frame(conn, sql + " ORDER BY reference, version_id", args)
        return _typed(frame.reindex(columns=_version_columns()))

    def current_sites(self, as_at: date | None = None, *, organisations: Iterable[str] | None = None):
        """Sites as the store knew them at the end of ``as_at`` (None: now) as points in EPSG:4326,
        limited to ``organisations`` (None: all).

        Adds ``first_seen``: the date the site first appeared in any import of its organisation
        (one indexed aggregate, not a sub-query per site).
        """
        import geopandas as gpd

        sql, args = _current_query(as_at, organisations)
        with self._read(organisations) as conn:
            frame = _current_frame(read_frame(conn, sql, args))
        geometry = gpd.points_from_xy(frame["longitude"].astype("float64"), frame["latitude"].astype("float64"),
                                      crs="EPSG:4326")
        return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")

    def current_site_chunks(self, as_at: date | None = None, *, organisations: Iterable[str] | None = None,
                            rows: int | None = None) -> Iterator[pd.DataFrame]:
        """The rows of :meth:`current_sites`, in its order and types but without geometry, as frames
        of at most ``rows`` (default ``CHUNK_ROWS``) rows: one query read a chunk at a time, so a
        million-site export holds one chunk, not the table. The first frame comes even when there
        are no sites (it carries the columns)."""
        sql, args = _current_query(as_at, organisations)
        with self._read(organisations) as conn:
            first = True
            for frame in read_frames(conn, sql, args, rows or CHUNK_ROWS):
                first = False
                yield _current_frame(frame)
            if first:
                yield _current_frame(pd.DataFrame(columns=[*_version_columns(), "first_seen"], dtype=object))


class ImportWriter:
    """One import in progress: chunks of accepted sites and rejections go into temporary
    tables; ``finish`` turns them into a batch and versions in one short write transaction."""

    def __init__(self, conn: sqlite3.Connection, organisation: str, as_at: date, carried: list[str],
                 batch: dict[str, Any]) -> None:
        self.conn, self.organisation, self.as_at, self.carried = conn, organisation, as_at, carried
        self.batch = batch
        self.duplicate: BatchSummary | None = None
        self.finished = False
        conn.execute("DROP TABLE IF EXISTS temp.staged")  # indexed in finish, after the bulk insert
        conn.execute("DROP TABLE IF EXISTS temp.staged_rejections")
        if getattr(conn, "dialect", "sqlite") == "postgresql":
            # typed like site_versions, plus the insertion order SQLite keeps as ``rowid``
            conn.execute(f"CREATE TEMP TABLE staged AS SELECT {', '.join(VERSION_FIELDS)}, source_row"
                         " FROM site_versions WITH NO DATA")
            conn.execute("ALTER TABLE staged ADD COLUMN rowid BIGSERIAL")
            conn.execute("CREATE TEMP TABLE staged_rejections (row BIGINT, column_name TEXT, reason TEXT,"
                         " raw_json TEXT, rowid BIGSERIAL)")
        else:
            conn.execute(f"CREATE TEMP TABLE staged ({', '.join(VERSION_FIELDS)}, source_row INTEGER)")
            conn.execute("CREATE TEMP TABLE staged_rejections (row INTEGER, column_name TEXT, reason TEXT,"
                         " raw_json TEXT)")
        conn.execute("DROP TABLE IF EXISTS temp.rejected_refs")
        conn.execute("CREATE TEMP TABLE rejected_refs (reference TEXT PRIMARY KEY)")

    def existing_batch(self) -> dict[str, Any] | None:
        """The batch in which this organisation already imported this file with this mapping."""
        b = self.batch
        row = self.conn.execute("SELECT * FROM batches WHERE organisation = ? AND sha256 = ? AND mapping_json = ?",
                                (b["organisation"], b["sha256"], b["mapping_json"])).fetchone()
        return dict(row) if row else None

    def check_date_order(self) -> None:
        """Versions are dated by the file: an older file after a newer one would rewrite history."""
        latest = self.conn.execute("SELECT MAX(data_as_at) FROM batches WHERE organisation = ?",
                                   (self.organisation,)).fetchone()[0]
        day = self.batch["data_as_at"]
        if latest and day < latest:
            raise DataError(f"this file describes {day}, before the latest import ({latest}); "
                            "import files in date order", file=self.batch["file_name"])

    def add(self, sites: pd.DataFrame, rejections: Iterable[Any] = (), raw_rejected: pd.DataFrame | None = None,
            rejected_references: Iterable[str] = ()) -> None:
        """Stage one chunk: accepted sites (schema fields plus ward columns, ``_source_row``),
        rejections (``row, column, reason``), the rejected rows as read, their references."""
        if self.duplicate is not None:
            return
        conn = self.conn
        columns = store_columns(sites)
        marks = ", ".join("?" * (len(VERSION_FIELDS) + 1))
        raw_by_row: dict[int, str] = {}
        if raw_rejected is not None and len(raw_rejected):
            raw_by_row = {int(r[ROW]): raw_row_json(r) for r in raw_rejected.to_dict("records")}
        conn.execute("BEGIN")   # one transaction per chunk, on temporary tables only: the store stays unlocked
        try:
            conn.executemany(f"INSERT INTO staged VALUES ({marks})", zip(*columns, strict=True))
            conn.executemany("INSERT INTO staged_rejections VALUES (?,?,?,?)",
                             [(int(r.row), str(r.column), str(r.reason), raw_by_row.get(int(r.row), "{}"))
                              for r in rejections])
            conn.executemany("INSERT INTO rejected_refs VALUES (?) ON CONFLICT DO NOTHING",
                             [(str(r),) for r in rejected_references if r])
            conn.execute("COMMIT")
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")

    def finish(self, rows_read: int) -> BatchSummary:
        """Apply the staged chunks in one write transaction; returns what changed (or, when the
        same file was imported meanwhile, that batch as a duplicate)."""
        if self.duplicate is not None:
            return self.duplicate
        conn = self.conn
        try:
            conn.execute("CREATE UNIQUE INDEX temp.staged_reference ON staged(reference)")
        except sqlite3.IntegrityError:  # a reference given twice (not via validate): the last row wins
            conn.execute("DELETE FROM staged WHERE rowid NOT IN (SELECT MAX(rowid) FROM staged GROUP BY reference)")
            conn.execute("CREATE UNIQUE INDEX temp.staged_reference ON staged(reference)")
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if _is_busy(exc):
                raise GeoError(BUSY) from exc
            raise
        existing = self.existing_batch()
        if existing is not None:            # the same file won the race while this one was staged
            conn.execute("ROLLBACK")
            self.duplicate = SiteStore._summary_of(existing, duplicate=True)
            self.finished = True
            return self.duplicate
        self.check_date_order()
        summary = self._apply(rows_read)
        conn.execute("COMMIT")
        for table in ("staged", "staged_rejections", "rejected_refs", "diff"):
            conn.execute(f"DROP TABLE IF EXISTS temp.{table}")
        self.finished = True
        return summary

    def _apply(self, rows_read: int) -> BatchSummary:
        conn, org, day = self.conn, self.organisation, self.as_at.isoformat()
        b = self.batch
        now = datetime.now(UTC).isoformat(timespec="seconds")
        accepted = int(conn.execute("SELECT COUNT(*) FROM staged").fetchone()[0])
        rejected = int(rows_read - accepted)
        cur = conn.execute(
            "INSERT INTO batches (organisation, file_name, sha256, mapping_json, imported_at, data_as_at,"
            " rows_read, accepted, rejected, imported_by, boundary_vintage) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (org, b["file_name"], b["sha256"], b["mapping_json"], now, day, rows_read, accepted, rejected,
             b["imported_by"], b["boundary_vintage"]))
        batch = int(cur.lastrowid or 0)
        conn.execute("INSERT INTO rejections (batch_id, row, column_name, reason, raw_json)"
                     " SELECT ?, row, column_name, reason, raw_json FROM staged_rejections ORDER BY rowid", (batch,))
        differs = " OR ".join(f"s.{f} IS NOT c.{f}" for f in VERSION_FIELDS if f not in self.carried) or "0"
        conn.execute("DROP TABLE IF EXISTS temp.diff")   # one row per staged row, keyed by its rowid
        conn.execute("CREATE TEMP TABLE diff (srow INTEGER PRIMARY KEY, reference TEXT, version_id INTEGER,"
                     " kind TEXT)")
        conn.execute(
            "INSERT INTO diff SELECT s.rowid, s.reference, c.version_id, CASE WHEN c.version_id IS NULL THEN 'new'"
            f" WHEN {differs} THEN 'changed' ELSE 'same' END"
            " FROM staged s LEFT JOIN site_versions c"
            " ON c.organisation = ? AND c.reference = s.reference AND c.valid_to_batch IS NULL", (org,))
        not_in_file = [r[0] for r in conn.execute(
            "SELECT c.reference FROM site_versions c WHERE c.organisation = ? AND c.valid_to_batch IS NULL"
            " AND NOT EXISTS (SELECT 1 FROM staged s WHERE s.reference = c.reference)"
            " AND NOT EXISTS (SELECT 1 FROM rejected_refs r WHERE r.reference = c.reference)"
            " ORDER BY c.reference", (org,))]
        # staged rows are in file order, so diff's key (their rowid) is too: no sort needed
        new = [r[0] for r in conn.execute("SELECT reference FROM diff WHERE kind = 'new' ORDER BY srow")]
        changed = [r[0] for r in conn.execute("SELECT reference FROM diff WHERE kind = 'changed' ORDER BY srow")]
        unchanged = int(conn.execute("SELECT COUNT(*) FROM diff WHERE kind = 'same'").fetchone()[0])
        conn.execute("UPDATE site_versions SET valid_to_batch = ?, valid_to = ? WHERE version_id IN"
                     " (SELECT version_id FROM diff WHERE kind = 'changed')", (batch, day))
        cols = ", ".join(VERSION_FIELDS)
        picks = ", ".join(f"CASE WHEN d.version_id IS NULL THEN s.{f} ELSE o.{f} END" if f in self.carried
                          else f"s.{f}" for f in VERSION_FIELDS)
        conn.execute(
            f"INSERT INTO site_versions ({cols}, source_row, valid_from_batch, valid_from, organisation)"
            f" SELECT {picks}, s.source_row, ?, ?, ? FROM diff d JOIN staged s ON s.rowid = d.srow"
            " LEFT JOIN site_versions o ON o.version_id = d.version_id"
            " WHERE d.kind IN ('new', 'changed') ORDER BY d.srow", (batch, day, org))
        conn.executemany("INSERT INTO batch_not_in_file VALUES (?, ?)", [(batch, ref) for ref in not_in_file])
        conn.execute(
            "UPDATE batches SET new_sites=?, changed_sites=?, unchanged_sites=?, not_in_file=?, summary_json=?"
            " WHERE id=?", (len(new), len(changed), unchanged, len(not_in_file),
                           json.dumps({"new": new, "changed": changed, "not_in_file": not_in_file}), batch))
        return BatchSummary(batch, False, rows_read, accepted, rejected, new, changed, unchanged, not_in_file)


def _current_query(as_at: date | None, organisations: Iterable[str] | None) -> tuple[str, tuple[str, ...]]:
    """The current (or ``as_at``) versions of ``organisations``' sites with ``first_seen``, ordered."""
    organisations = None if organisations is None else tuple(organisations)
    cond, org_args = _org_filter("v.organisation", organisations)
    inner, _ = _org_filter("organisation", organisations)
    args: tuple[str, ...] = ()
    if as_at is None:
        when = "v.valid_to_batch IS NULL"
    else:
        day = as_at.isoformat()
        when, args = "v.valid_from <= ? AND (v.valid_to IS NULL OR v.valid_to > ?)", (day, day)
    sql = (f"SELECT v.*, f.first_seen FROM site_versions v JOIN ("
           f" SELECT organisation, reference, MIN(valid_from) AS first_seen FROM site_versions"
           f" WHERE {inner} GROUP BY organisation, reference) f"
           f" ON f.organisation = v.organisation AND f.reference = v.reference"
           f" WHERE {when} AND {cond} ORDER BY v.reference, v.organisation")
    return sql, (*org_args, *args, *org_args)


def _current_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``_current_query`` typed as ``current_sites`` gives them."""
    frame = _typed(frame.reindex(columns=[*_version_columns(), "first_seen"]))
    frame["first_seen"] = pd.to_datetime(frame["first_seen"]).astype("datetime64[ns]")
    return frame


def _cursor(conn: Any, sql: str, args: Iterable[Any]) -> Any:
    """An executed cursor on either backend; SQLite's gives plain tuples (no Row object per row)."""
    if isinstance(conn, sqlite3.Connection):
        cur = conn.cursor()
        cur.row_factory = None
        cur.execute(sql, tuple(args))
        return cur
    return conn.execute(sql, tuple(args))


def _frame(cur: Any, rows: list[Any]) -> pd.DataFrame:
    # object columns: no type guessing per column (``_typed`` converts the ones that need it)
    names = [d[0] for d in cur.description or ()]
    return pd.DataFrame([tuple(r) for r in rows] if rows and not isinstance(rows[0], tuple) else rows,
                        columns=names, dtype=object)


def read_frame(conn: Any, sql: str, args: Iterable[Any] = ()) -> pd.DataFrame:
    """A query's rows as a frame, on either backend (pandas reads only SQLite's connection natively)."""
    cur = _cursor(conn, sql, args)
    return _frame(cur, cur.fetchall())


def read_frames(conn: Any, sql: str, args: Iterable[Any] = (), rows: int = 100_000) -> Iterator[pd.DataFrame]:
    """A query's rows as frames of at most ``rows`` rows, fetched a frame at a time.

    SQLite hands rows over as they are stepped. The PostgreSQL connection (``geo.db.pg``) has no
    ``fetchmany`` and its client cursor holds the whole result, so there the rows are only cut
    into frames: the frames stay small, the driver's copy does not.
    """
    cur = _cursor(conn, sql, args)
    if hasattr(cur, "fetchmany"):
        while batch := cur.fetchmany(rows):
            yield _frame(cur, batch)
        return
    everything = cur.fetchall()
    for start in range(0, len(everything), rows):
        yield _frame(cur, everything[start:start + rows])


def _version_columns() -> list[str]:
    return ["version_id", *VERSION_FIELDS, "source_row", "valid_from_batch", "valid_from", "valid_to_batch",
            "valid_to", "organisation"]


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """SQLite values -> dates as datetime64, counts as Int64, in_boundary as bool."""
    for col in (*DATE_FIELDS, "valid_from", "valid_to"):
        frame[col] = pd.to_datetime(frame[col]).astype("datetime64[ns]")
    frame["version_id"] = pd.to_numeric(frame["version_id"]).astype("int64")
    for col in (*COUNT_FIELDS, "source_row", "valid_from_batch", "valid_to_batch"):
        frame[col] = pd.to_numeric(frame[col]).astype("Int64")
    for col in ("latitude", "longitude", "easting", "northing"):
        frame[col] = pd.to_numeric(frame[col]).astype("float64")
    frame["in_boundary"] = frame["in_boundary"].astype(bool)
    for col in ("ward_code", "ward_name", "lad_code", "lad_name", "name", "address", "postcode", "provider",
                "notes"):
        frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    return frame


def _mapping_json(mapping: dict[str, str]) -> str:
    return json.dumps(dict(sorted(mapping.items())), ensure_ascii=False)
