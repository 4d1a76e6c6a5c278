"""Where the stores live: an embedded SQLite file (the default) or a shared PostgreSQL server.

One council on one laptop keeps everything in one SQLite file. A partnership serving many
councils sets ``AAM_DATABASE_URL=postgresql://...`` and every store (site records, access tables,
audit log, proposals register) lives in that database instead, shared by several app servers.
The stores keep one interface; this package decides the backend and hides PostgreSQL's
spelling of the few SQL forms the stores use (``geo.db.pg``).
"""
from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

URL_ENV = "AAM_DATABASE_URL"
SCHEMES = ("postgresql://", "postgres://")


def database_url(location: str | Path | None = None) -> str | None:
    """The PostgreSQL URL the stores use: ``location`` when it is one, else ``AAM_DATABASE_URL``,
    else None (SQLite at ``location``)."""
    if isinstance(location, str) and location.startswith(SCHEMES):
        return location
    url = os.environ.get(URL_ENV, "").strip()
    if not url:
        return None
    if not url.startswith(SCHEMES):
        from geo.errors import GeoError

        raise GeoError(f"{URL_ENV} must start with postgresql:// (got {redact(url)!r})")
    return url


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def display_name(url: str) -> str:
    """A short name for a PostgreSQL store in one-line errors: ``postgresql database NAME``."""
    return f"postgresql database {urlsplit(url).path.lstrip('/') or '?'}"


def store_exists(location: str | Path) -> bool:
    """Whether there is a store to open: always on PostgreSQL (the server is the store; opening
    it checks the schema), else whether the SQLite file exists."""
    return bool(database_url(location)) or Path(location).is_file()


def open_location(path: str | Path) -> tuple[str | None, Path]:
    """Where a store lives: (the PostgreSQL URL, a name to show) when ``AAM_DATABASE_URL`` is set,
    after refusing a schema older than the code; else (None, the SQLite file's path).

    The site store, the access tables and the register all open through here, so the choice of
    backend and the schema check are made once.
    """
    url = database_url(path)
    if not url:
        return None, Path(path)
    from geo.db.migrate import require_current

    require_current(url)
    return url, Path(display_name(url))


@contextmanager
def open_connection(url: str | None, path: Path, *, what: str, organisations: Iterable[str] | None = None,
                    admin_of: Iterable[str] = ()) -> Iterator[Any]:
    """One connection to a store on either backend, rows by name and foreign keys on; a failure to
    open is one line naming ``what`` (the access tables and the register share this)."""
    from geo.errors import DataError

    try:
        if url:
            from geo.db.pg import connect

            conn: Any = connect(url, organisations=organisations, admin_of=admin_of)
        else:
            conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    except sqlite3.Error as exc:
        raise DataError(f"cannot open the {what} ({exc})", file=path) from exc
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    try:
        yield conn
    except sqlite3.Error as exc:  # the database's own reason in one line (a refused scope, a lost server)
        from geo.errors import GeoError

        raise GeoError(f"the {what} refused this: {exc}") from exc
    finally:
        conn.close()
