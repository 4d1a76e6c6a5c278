"""Schema migrations (Alembic) for both backends, and the check that the schema matches the code.

Why Alembic on both: a region's PostgreSQL server and a council's SQLite file must reach the
same schema by the same numbered steps (``migrations/versions``), and an app server must refuse
a database an administrator has not yet upgraded rather than half-work against it. On SQLite
the stores still create a new file themselves (the desktop needs no set-up) and record it at
the head revision; a file made before Alembic is adopted at the baseline.
"""
from __future__ import annotations

import os
import sqlite3
from functools import lru_cache
from pathlib import Path
from typing import Any

from geo.db import database_url, display_name, redact
from geo.db.vouch import KEY_ENV
from geo.errors import GeoError

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
BASELINE = "0001"
UPGRADE_COMMAND = "python -m geo db upgrade"


def _config(connection: Any = None) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


@lru_cache(maxsize=1)
def head() -> str:
    """The newest revision in migrations/versions: the schema this code expects."""
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(_config()).get_heads()
    if len(heads) != 1:
        raise GeoError(f"migrations have {len(heads)} heads ({heads}); merge them")
    return heads[0]


def _engine(location: str | Path) -> Any:
    from sqlalchemy import create_engine

    url = database_url(location)
    if url:
        return create_engine(url.replace("postgres://", "postgresql://", 1).replace(
            "postgresql://", "postgresql+psycopg://", 1))
    return create_engine(f"sqlite:///{Path(location).resolve()}")


def upgrade(location: str | Path, revision: str = "head", *, app_role: str | None = None) -> str:
    """Migrate the store at ``location`` (a SQLite path, or a PostgreSQL URL; AAM_DATABASE_URL
    wins over a path) to ``revision``; on PostgreSQL grant ``app_role`` the row privileges the
    app needs (never ownership). Returns the revision now current."""
    from alembic import command

    url = database_url(location)
    if not url:
        path = Path(location)
        if not path.exists():
            from geo.sites.store import SiteStore

            SiteStore(path)  # a new file: created 0600 by the store, at the head revision
        adopt_sqlite(path)
    from sqlalchemy.exc import SQLAlchemyError

    engine = _engine(location)
    try:
        with engine.begin() as conn:
            command.upgrade(_config(conn), revision)
        if url and os.environ.get(KEY_ENV, "").strip() and _has_key_table(engine):
            install_key(engine)
        if url and app_role:
            if not has_key(engine):
                raise GeoError(f"set {KEY_ENV} (the app servers' scope key) before granting {app_role}: "
                               "without it the database cannot check any scope")
            grant(engine, app_role)
        with engine.connect() as conn:
            return _current(conn) or ""
    except (SQLAlchemyError, RuntimeError) as exc:  # one line: the database's own reason, nothing changed
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        where = redact(url) if url else str(location)
        raise GeoError(f"could not upgrade {where}; this step was rolled back ({reason})") from exc
    finally:
        engine.dispose()


# The app role reads every table (row-level security limits what it sees) except the scope key, and
# adds rows only where the app adds them; members, agreements, settings and the audit log change
# only through the owner's functions (migration 0004), site versions only by closing an open one.
APPENDED = ("batches", "site_versions", "rejections", "batch_not_in_file", "export_traces", "check_proposals",
            "check_decisions", "check_procurements", "check_settings")
UPDATED = {"site_versions": ("valid_to_batch", "valid_to"),
           "batches": ("new_sites", "changed_sites", "unchanged_sites", "not_in_file", "summary_json")}


def grant(engine: Any, role: str) -> None:
    """The app's role may read rows and add them as the app does, own nothing, read no key."""
    from sqlalchemy import text

    quoted = '"' + role.replace('"', '""') + '"'
    statements = [f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {quoted}",
                  f"GRANT USAGE ON SCHEMA public TO {quoted}",
                  f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {quoted}",
                  f"GRANT INSERT ON {', '.join(APPENDED)} TO {quoted}",
                  *(f"GRANT UPDATE ({', '.join(cols)}) ON {table} TO {quoted}" for table, cols in UPDATED.items()),
                  f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}"]
    with engine.begin() as conn:
        if conn.exec_driver_sql("SELECT to_regclass('aam_scope_key')").scalar():
            statements.insert(3, f"REVOKE ALL ON aam_scope_key FROM {quoted}")  # never the key
        if conn.exec_driver_sql("SELECT to_regclass('wards')").scalar():
            statements.append(f"GRANT INSERT, DELETE ON wards TO {quoted}")  # not organisation data
        for statement in statements:
            conn.execute(text(statement))


def install_key(engine: Any, secret: str | None = None) -> None:
    """Store the HMAC key's pads (``AAM_SCOPE_KEY``) where only the owner can read them, so the
    database can check the scopes the app servers sign (geo.db.vouch)."""
    from sqlalchemy import text

    from geo.db.vouch import key_bytes, pads

    inner, outer = pads(key_bytes(secret))
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO aam_scope_key (one, inner_pad, outer_pad) VALUES (1, :i, :o)"
                          " ON CONFLICT (one) DO UPDATE SET inner_pad = excluded.inner_pad,"
                          " outer_pad = excluded.outer_pad, installed_at = now()"), {"i": inner, "o": outer})


def _has_key_table(engine: Any) -> bool:
    """Whether the schema is at 0004 or later (an upgrade to an older revision has no key table)."""
    with engine.connect() as conn:
        return bool(conn.exec_driver_sql("SELECT to_regclass('aam_scope_key') IS NOT NULL").scalar())


def has_key(engine: Any) -> bool:
    """A key is stored, or the schema predates scope keys (0001-0003 trust ``app.organisations``)."""
    if not _has_key_table(engine):
        return True
    with engine.connect() as conn:
        return bool(conn.exec_driver_sql("SELECT COUNT(*) FROM aam_scope_key").scalar())


def _current(conn: Any) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def current(location: str | Path) -> str | None:
    """The revision the store at ``location`` is at (None: not under migrations yet)."""
    url = database_url(location)
    if not url and not Path(location).exists():
        raise GeoError(f"no store at {location}")
    engine = _engine(location)
    try:
        with engine.connect() as conn:
            return _current(conn)
    finally:
        engine.dispose()


def adopt_sqlite(path: Path) -> None:
    """A SQLite store made before migrations existed is at the baseline: record it so."""
    with sqlite3.connect(path) as conn:
        has_meta = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone()
        has_version = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'alembic_version'").fetchone()
        if has_meta and not has_version:
            stamp_sqlite(conn, BASELINE)
    conn.close()


def stamp_sqlite(conn: sqlite3.Connection, revision: str | None = None) -> None:
    """Record ``revision`` (default: head) in a SQLite store the code has just created."""
    conn.execute("CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL,"
                 " CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))")
    if conn.execute("SELECT COUNT(*) FROM alembic_version").fetchone()[0] == 0:
        conn.execute("INSERT INTO alembic_version VALUES (?)", (revision or head(),))


_verified: set[str] = set()


def require_current(url: str) -> None:
    """Refuse a PostgreSQL store whose schema is older (or newer) than this code, naming the
    command that fixes it. Checked once per process and database."""
    if url in _verified:
        return
    from geo.db.pg import connect

    try:
        conn = connect(url)
    except sqlite3.Error as exc:
        raise GeoError(f"cannot connect to {redact(url)}: {exc}") from exc
    try:
        try:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.DatabaseError:
            row = None
    finally:
        conn.close()
    found, wanted = (row[0] if row else None), head()
    if found != wanted:
        where = display_name(url)
        if found is None:
            raise GeoError(f"{where} has no schema yet: run `{UPGRADE_COMMAND}` (as the tables' owner)")
        raise GeoError(f"{where} is at schema {found}, this code needs {wanted}: "
                       f"run `{UPGRADE_COMMAND}` (as the tables' owner)")
    _verified.add(url)
