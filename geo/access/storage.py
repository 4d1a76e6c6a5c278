"""The access tables (organisations, members, agreements, settings, audit log, export traces):
every SQL statement for them, in one module, so a PostgreSQL backend replaces one file.

They live in the same SQLite file as the site store (``AAM_SITES_DB``), so one file (created
readable by its owner only) holds the records and who may see them. The audit log is
append-only twice over: triggers refuse UPDATE and DELETE, and each row carries the hash of the
one before (``geo.access.audit``), so someone who edits the file around the triggers is caught.
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from geo.access.agreements import Agreement
from geo.access.members import Member, Organisation
from geo.db import open_connection, open_location
from geo.errors import DataError, GeoError

T = TypeVar("T")
GENESIS = "0" * 64

SCHEMA = """
CREATE TABLE IF NOT EXISTS access_organisations (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('council', 'smp', 'national', 'local')),
    lad_codes TEXT NOT NULL DEFAULT '',
    region TEXT
);
CREATE TABLE IF NOT EXISTS access_members (
    email TEXT PRIMARY KEY,
    organisation TEXT NOT NULL REFERENCES access_organisations(code),
    role TEXT NOT NULL CHECK (role IN ('viewer', 'officer', 'analyst', 'admin')),
    granted_at TEXT NOT NULL,
    granted_by TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS access_agreements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    from_org TEXT NOT NULL REFERENCES access_organisations(code),
    to_org TEXT NOT NULL REFERENCES access_organisations(code),
    what TEXT NOT NULL CHECK (what IN ('sites', 'aggregates')),
    valid_from TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    made_at TEXT NOT NULL,
    made_by TEXT NOT NULL,
    ended_on TEXT,
    CHECK (from_org <> to_org),
    CHECK (valid_until >= valid_from)
);
CREATE TABLE IF NOT EXISTS access_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    changed_by TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    member TEXT NOT NULL,
    organisation TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    row_hash TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TABLE IF NOT EXISTS audit_head (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    last_id INTEGER NOT NULL,
    last_hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS export_traces (
    export_id TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    content_sha256 TEXT,
    member TEXT NOT NULL,
    organisation TEXT NOT NULL,
    made_at TEXT NOT NULL,
    format TEXT NOT NULL,
    selection TEXT NOT NULL,
    rows INTEGER,
    audit_id INTEGER
);
CREATE INDEX IF NOT EXISTS export_traces_sha ON export_traces(sha256);
CREATE INDEX IF NOT EXISTS export_traces_content ON export_traces(content_sha256);
CREATE TABLE IF NOT EXISTS access_tokens (
    token_id TEXT PRIMARY KEY,
    token_sha256 TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    issued_by TEXT NOT NULL,
    revoked_at TEXT
);
"""
AUDIT_COLUMNS = ("id", "at", "member", "organisation", "action", "detail", "prev_hash", "row_hash")


class AccessStore:
    """The access tables in one SQLite file (created on first use, 0600)."""

    def __init__(self, path: str | Path) -> None:
        self.url, self.path = open_location(path)
        if self.url:  # PostgreSQL: the tables are the migrations' (`python -m geo db upgrade`)
            return
        if not self.path.exists():
            from geo.sites.store import SiteStore

            SiteStore(self.path)  # the shared file: created by the site store (0600, its schema first)
        with self.connect() as conn:
            try:
                conn.executescript(SCHEMA)
            except sqlite3.DatabaseError as exc:
                raise DataError(f"not an access store ({exc})", file=self.path) from exc

    @contextmanager
    def connect(self, admin_of: Iterable[str] = (), also: Iterable[str] = ()) -> Iterator[sqlite3.Connection]:
        """On PostgreSQL the vouched scope is every organisation the database knows of and ``also``,
        and ``admin_of`` those an admin's change is for (the database's functions check it)."""
        from geo.db.pg import ALL_KNOWN

        admin_of = tuple(admin_of)
        with open_connection(self.url, self.path, what="store", organisations=(*ALL_KNOWN, *also, *admin_of),
                             admin_of=admin_of) as conn:
            yield conn

    def transaction(self, work: Callable[[sqlite3.Connection], T], *, admin_of: Iterable[str] = (),
                    also: Iterable[str] = ()) -> T:
        """Run ``work`` in one write transaction: all of it lands or none does; ``admin_of``: the
        organisations an admin (already checked by geo.access.manage) is changing; ``also``: the
        acting member's organisation (its audit row is written in it)."""
        with self.connect(admin_of, also) as conn:
            try:
                conn.execute("BEGIN IMMEDIATE")
                out = work(conn)
                conn.execute("COMMIT")
                return out
            except BaseException as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.IntegrityError):
                    raise GeoError(f"not saved: {exc}") from exc
                if isinstance(exc, sqlite3.Error):
                    raise DataError(f"not saved ({exc})", file=self.path) from exc
                raise

    # --- organisations ---------------------------------------------------------------------

    def put_organisation(self, conn: sqlite3.Connection, org: Organisation) -> None:
        if self.url:
            conn.execute("SELECT aam_put_organisation(?, ?, ?, ?, ?)",
                         (org.code, org.name, org.kind, ",".join(org.lad_codes), org.region))
            return
        conn.execute("INSERT INTO access_organisations (code, name, kind, lad_codes, region) VALUES (?,?,?,?,?)"
                     " ON CONFLICT(code) DO UPDATE SET name=excluded.name, kind=excluded.kind,"
                     " lad_codes=excluded.lad_codes, region=excluded.region",
                     (org.code, org.name, org.kind, ",".join(org.lad_codes), org.region))

    def organisation(self, code: str) -> Organisation | None:
        with self.connect() as conn:
            row = conn.execute("SELECT * FROM access_organisations WHERE code = ?", (code,)).fetchone()
        return _org(row) if row else None

    def organisations(self) -> list[Organisation]:
        with self.connect() as conn:
            rows = conn.execute("SELECT * FROM access_organisations ORDER BY code").fetchall()
        return [_org(r) for r in rows]

    # --- members ---------------------------------------------------------------------------

    def put_member(self, conn: sqlite3.Connection, member: Member, at: str, by: str) -> None:
        if self.url:
            conn.execute("SELECT aam_put_member(?, ?, ?, ?, ?)", (member.email, member.org_code, member.role.value,
                                                                  at, by))
            return
        conn.execute("INSERT INTO access_members (email, organisation, role, granted_at, granted_by)"
                     " VALUES (?,?,?,?,?) ON CONFLICT(email) DO UPDATE SET organisation=excluded.organisation,"
                     " role=excluded.role, granted_at=excluded.granted_at, granted_by=excluded.granted_by",
                     (member.email, member.org_code, member.role.value, at, by))

    def delete_member(self, conn: sqlite3.Connection, email: str) -> bool:
        if self.url:
            return bool(conn.execute("SELECT aam_delete_member(?)", (email,)).fetchone()[0])
        return conn.execute("DELETE FROM access_members WHERE email = ?", (email,)).rowcount > 0

    def member(self, email: str) -> Member | None:
        with self.connect() as conn:
            row = conn.execute("SELECT m.email, m.role, o.* FROM access_members m JOIN access_organisations o"
                               " ON o.code = m.organisation WHERE m.email = ?", (email,)).fetchone()
        return Member(row["email"], _org(row), row["role"]) if row else None

    def members(self) -> list[dict[str, Any]]:
        with self.connect() as conn:
            rows = conn.execute("SELECT email, organisation, role, granted_at, granted_by FROM access_members"
                                " ORDER BY organisation, email").fetchall()
        return [dict(r) for r in rows]

    def member_count(self) -> int:
        with self.connect() as conn:
            if self.url:  # every member, whatever the scope: it only says whether this is the desktop mode
                return int(conn.execute("SELECT aam_member_count()").fetchone()[0])
            return int(conn.execute("SELECT COUNT(*) FROM access_members").fetchone()[0])

    # --- agreements ------------------------------------------------------------------------

    def put_agreement(self, conn: sqlite3.Connection, agreement: Agreement, at: str, by: str) -> int:
        if self.url:
            return int(conn.execute("SELECT aam_put_agreement(?, ?, ?, ?, ?, ?, ?)",
                                    (agreement.from_org, agreement.to_org, agreement.what,
                                     agreement.valid_from.isoformat(), agreement.valid_until.isoformat(), at,
                                     by)).fetchone()[0])
        cur = conn.execute("INSERT INTO access_agreements (from_org, to_org, what, valid_from, valid_until,"
                           " made_at, made_by) VALUES (?,?,?,?,?,?,?)",
                           (agreement.from_org, agreement.to_org, agreement.what, agreement.valid_from.isoformat(),
                            agreement.valid_until.isoformat(), at, by))
        return int(cur.lastrowid or 0)

    def end_agreement(self, conn: sqlite3.Connection, agreement_id: int, on_day: date) -> bool:
        """End an agreement from ``on_day`` (the record stays; the audit row says who)."""
        if self.url:
            return bool(conn.execute("SELECT aam_end_agreement(?, ?)", (int(agreement_id),
                                                                       on_day.isoformat())).fetchone()[0])
        return conn.execute("UPDATE access_agreements SET ended_on = ? WHERE id = ?",
                            (on_day.isoformat(), int(agreement_id))).rowcount > 0

    def agreements(self) -> list[Agreement]:
        with self.connect() as conn:
            rows = conn.execute("SELECT * FROM access_agreements ORDER BY id").fetchall()
        return [Agreement(r["from_org"], r["to_org"], r["what"], date.fromisoformat(r["valid_from"]),
                          date.fromisoformat(r["valid_until"]), id=int(r["id"]),
                          ended_on=date.fromisoformat(r["ended_on"]) if r["ended_on"] else None) for r in rows]

    # --- settings --------------------------------------------------------------------------

    def put_setting(self, conn: sqlite3.Connection, key: str, value: str, at: str, by: str) -> None:
        if self.url:
            conn.execute("SELECT aam_put_setting(?, ?, ?, ?)", (key, value, at, by))
            return
        conn.execute("INSERT INTO access_settings VALUES (?,?,?,?) ON CONFLICT(key) DO UPDATE SET"
                     " value=excluded.value, changed_at=excluded.changed_at, changed_by=excluded.changed_by",
                     (key, value, at, by))

    def setting(self, key: str) -> str | None:
        with self.connect() as conn:
            row = conn.execute("SELECT value FROM access_settings WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    # --- audit log -------------------------------------------------------------------------

    def append_audit(self, conn: sqlite3.Connection, member: str, organisation: str, action: str, detail: str,
                     chain: Callable[[str, dict[str, Any]], str]) -> int:
        """Append one row and move the head; returns its id. On PostgreSQL the database's own
        ``aam_audit_append`` numbers, dates and chains it (the app role cannot write the log);
        on SQLite ``chain(prev_hash, row)`` computes the hash, inside the caller's transaction."""
        if self.url:
            return int(conn.execute("SELECT aam_audit_append(?, ?, ?, ?)",
                                    (member, organisation, action, detail)).fetchone()[0])
        found = conn.execute("SELECT last_id, last_hash FROM audit_head WHERE one = 1").fetchone()
        last_id, last_hash = (int(found[0]), str(found[1])) if found else (0, GENESIS)
        from geo.access.audit import now_text

        row: dict[str, Any] = {"id": last_id + 1, "at": now_text(), "member": member, "organisation": organisation,
                               "action": action, "detail": detail, "prev_hash": last_hash}
        row["row_hash"] = chain(last_hash, row)
        self._insert_audit(conn, row)
        return int(row["id"])

    def _insert_audit(self, conn: sqlite3.Connection, row: dict[str, Any]) -> None:
        conn.execute(f"INSERT INTO audit_log ({', '.join(AUDIT_COLUMNS)}) VALUES ({', '.join('?' * 8)})",
                     [row[c] for c in AUDIT_COLUMNS])
        conn.execute("INSERT INTO audit_head (one, last_id, last_hash) VALUES (1, ?, ?) ON CONFLICT(one)"
                     " DO UPDATE SET last_id=excluded.last_id, last_hash=excluded.last_hash",
                     (row["id"], row["row_hash"]))

    def audit_rows(self, where: str = "", args: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        """Audit rows, oldest first; ``where`` is built by ``geo.access.audit.read`` from fixed clauses."""
        with self.connect() as conn:
            rows = conn.execute(f"SELECT {', '.join(AUDIT_COLUMNS)} FROM audit_log {where} ORDER BY id",
                                args).fetchall()
        return [dict(r) for r in rows]

    def audit_chain(self, chain: Callable[[str, dict[str, Any]], str]) -> list[dict[str, Any]]:
        """Every row's id, links and whether its hash matches its content, oldest first. On
        PostgreSQL the database checks each hash (``aam_audit_chain``) over every organisation's
        rows without handing their content to the app."""
        if not self.url:
            return [{"id": r["id"], "prev_hash": r["prev_hash"], "row_hash": r["row_hash"],
                     "hash_ok": chain(r["prev_hash"], r) == r["row_hash"]} for r in self.audit_rows()]
        with self.connect() as conn:
            rows = conn.execute("SELECT id, prev_hash, row_hash, hash_ok FROM aam_audit_chain()").fetchall()
        return [{"id": int(r[0]), "prev_hash": r[1], "row_hash": r[2], "hash_ok": bool(r[3])} for r in rows]

    def last_traced_audit_id(self) -> int:
        """The newest audit row an export trace names (0: none)."""
        with self.connect() as conn:
            row = conn.execute("SELECT MAX(audit_id) FROM export_traces").fetchone()
        return int(row[0] or 0)

    def stored_head(self) -> tuple[int, str] | None:
        with self.connect() as conn:
            row = conn.execute("SELECT last_id, last_hash FROM audit_head WHERE one = 1").fetchone()
        return (int(row[0]), str(row[1])) if row else None

    # --- personal tokens (geo.access.tokens): only their SHA-256 is kept --------------------

    def put_token(self, conn: sqlite3.Connection, token_id: str, sha256: str, email: str, at: str, by: str) -> None:
        if self.url:  # the app role cannot write tokens: the owner's function checks the vouched admin
            conn.execute("SELECT aam_put_token(?, ?, ?, ?, ?)", (token_id, sha256, email, at, by))
            return
        conn.execute("INSERT INTO access_tokens (token_id, token_sha256, email, issued_at, issued_by)"
                     " VALUES (?,?,?,?,?)", (token_id, sha256, email, at, by))

    def revoke_tokens(self, conn: sqlite3.Connection, email: str, token_id: str | None, at: str) -> int:
        if self.url:
            return int(conn.execute("SELECT aam_revoke_tokens(?, ?, ?)", (email, token_id, at)).fetchone()[0])
        if token_id:
            return conn.execute("UPDATE access_tokens SET revoked_at = ? WHERE email = ? AND token_id = ?"
                                " AND revoked_at IS NULL", (at, email, token_id)).rowcount
        return conn.execute("UPDATE access_tokens SET revoked_at = ? WHERE email = ? AND revoked_at IS NULL",
                            (at, email)).rowcount

    def token(self, sha256: str) -> dict[str, Any] | None:
        with self.connect() as conn:
            row = conn.execute("SELECT token_id, email, revoked_at FROM access_tokens WHERE token_sha256 = ?",
                               (sha256,)).fetchone()
        return dict(row) if row else None

    def tokens(self) -> list[dict[str, Any]]:
        with self.connect() as conn:
            rows = conn.execute("SELECT token_id, email, issued_at, issued_by, revoked_at FROM access_tokens"
                                " ORDER BY email, issued_at").fetchall()
        return [dict(r) for r in rows]

    # --- export traces ---------------------------------------------------------------------

    def put_trace(self, conn: sqlite3.Connection, trace: dict[str, Any]) -> None:
        conn.execute("INSERT INTO export_traces (export_id, sha256, content_sha256, member, organisation, made_at,"
                     " format, selection, rows, audit_id) VALUES (?,?,?,?,?,?,?,?,?,?)",
                     (trace["export_id"], trace["sha256"], trace.get("content_sha256"), trace["member"],
                      trace["organisation"], trace["made_at"], trace["format"],
                      json.dumps(trace.get("selection") or {}, sort_keys=True, default=str), trace.get("rows"),
                      trace.get("audit_id")))

    def find_trace(self, *, export_id: str | None = None, sha256: str | None = None,
                   content_sha256: str | None = None) -> dict[str, Any] | None:
        found = self.find_traces(export_id=export_id, sha256=sha256, content_sha256=content_sha256)
        return found[0] if found else None

    def find_traces(self, *, export_id: str | None = None, sha256: str | None = None,
                    content_sha256: str | None = None) -> list[dict[str, Any]]:
        """Every export matching the first key given, oldest first (a checksum can match several)."""
        clauses = [("export_id", export_id), ("sha256", sha256), ("content_sha256", content_sha256)]
        column, value = next(((c, v) for c, v in clauses if v), (None, None))
        if column is None:
            return []
        with self.connect() as conn:
            rows = conn.execute(f"SELECT * FROM export_traces WHERE {column} = ? ORDER BY made_at, export_id",
                                (value,)).fetchall()
        out = [dict(r) for r in rows]
        for row in out:
            row["selection"] = json.loads(row["selection"] or "{}")
        return out


def _org(row: sqlite3.Row) -> Organisation:
    lads = tuple(c for c in (row["lad_codes"] or "").split(",") if c)
    return Organisation(row["code"], row["name"], row["kind"], lads, row["region"])
