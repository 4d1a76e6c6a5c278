"""A version-1 site store (before organisations), built by the tests to prove the migration.

The DDL is the schema the store shipped with until schema version 2; rows are written with
plain SQL the way version 1 wrote them, so the migration meets a file as users have it.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

from geo.sites.schema import SITE_TYPES, STATUSES

_TYPES = ", ".join(f"'{t}'" for t in SITE_TYPES)
_STATUSES = ", ".join(f"'{s}'" for s in STATUSES)
V1_SCHEMA = f"""
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


def write_v1_store(path: Path) -> Path:
    """Two batches (March, then June changing D1) of the local council, as version 1 stored them."""
    conn = sqlite3.connect(path)
    conn.executescript(V1_SCHEMA)
    conn.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    for i, (day, people) in enumerate((("2024-03-31", 4), ("2024-06-30", 6)), start=1):
        conn.execute("INSERT INTO batches (file_name, sha256, mapping_json, imported_at, data_as_at, rows_read,"
                     " accepted, rejected, imported_by) VALUES (?, ?, '{}', ?, ?, 2, 2, 0, 'root')",
                     (f"f{i}.csv", str(i) * 64, day + "T00:00:00", day))
        if i == 2:
            conn.execute("UPDATE site_versions SET valid_to_batch = 2, valid_to = ? WHERE reference = 'D1'", (day,))
        for ref, n in (("D1", people),) + ((("H1", 100),) if i == 1 else ()):
            conn.execute("INSERT INTO site_versions (reference, site_type, latitude, longitude, people, status,"
                         " ward_code, in_boundary, position_source, valid_from_batch, valid_from)"
                         " VALUES (?, 'dispersed', 52.05, -1.95, ?, 'open', 'E05000901', 1, 'given', ?, ?)",
                         (ref, n, i, day))
    conn.commit()
    conn.close()
    return path
