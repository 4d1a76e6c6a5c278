"""A throwaway PostgreSQL server for the tests: initdb and pg_ctl in a temporary folder on 127.0.0.1.

Why our own server: the store tests must run on both backends in CI and on a fresh Debian
machine without anyone configuring a database. The server is started once per session, as the
``postgres`` OS user when the tests run as root (initdb refuses root), with password
authentication, and stopped at the end. It has two roles, as a real deployment does:

* ``aam_owner`` owns the tables and runs the migrations (``python -m geo db upgrade``);
* ``aam_app`` is what the app connects as: it may read and write rows but owns nothing, so
  row-level security applies to it (``FORCE ROW LEVEL SECURITY`` covers the owner too).

Every test gets a fresh database copied from a migrated template (fast: a file copy).
Outside CI a missing PostgreSQL skips with the reason; in CI (``CI=true``) it fails the run.
"""
from __future__ import annotations

import contextlib
import itertools
import os
import secrets
import shutil
import socket
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conftest import IN_CI, missing

PORTS = range(55432, 55440)
OWNER, APP = "aam_owner", "aam_app"
TEMPLATE = "aam_template"
REQUIRE_PG = IN_CI or os.environ.get("AAM_REQUIRE_PG") == "1"
_numbers = itertools.count(1)


@dataclass(frozen=True)
class PgServer:
    """A running server: where it listens and how each role signs in."""

    bin_dir: Path
    port: int
    password: str
    superuser_password: str

    def url(self, database: str, role: str = APP) -> str:
        password = self.superuser_password if role == "postgres" else self.password
        return f"postgresql://{role}:{password}@127.0.0.1:{self.port}/{database}"

    def admin(self, sql: str, database: str = "postgres") -> None:
        """Run one statement as the superuser (autocommit: CREATE DATABASE needs it)."""
        import psycopg

        with psycopg.connect(self.url(database, "postgres"), autocommit=True) as conn:
            conn.execute(sql)

    def new_database(self, name: str | None = None) -> str:
        """A fresh database copied from the migrated template; returns the app role's URL."""
        name = name or f"aam_t{os.getpid()}_{next(_numbers)}"
        self.admin(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE} OWNER {OWNER}")
        return self.url(name)

    def tool(self, name: str) -> Path:
        """A client program (pg_dump, pg_restore, psql) of the server's own version."""
        return self.bin_dir / name


def find_bin_dir() -> Path | None:
    """The newest installed PostgreSQL 15+ server programs (Debian: /usr/lib/postgresql/N/bin)."""
    candidates = []
    for initdb in Path("/usr/lib/postgresql").glob("*/bin/initdb"):
        with contextlib.suppress(ValueError):
            candidates.append((int(initdb.parent.parent.name), initdb.parent))
    found = shutil.which("initdb")
    if found:
        candidates.append((0, Path(found).parent))
    candidates = [c for c in candidates if c[0] == 0 or c[0] >= 15]
    return max(candidates)[1] if candidates else None


def has_postgis(bin_dir: Path) -> bool:
    version = bin_dir.parent.name
    return Path(f"/usr/share/postgresql/{version}/extension/postgis.control").exists()


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


def _run(args: list[str], *, as_postgres: bool, **kw) -> subprocess.CompletedProcess:
    """Run a server program, as the postgres OS user when we are root (initdb refuses root)."""
    user = "postgres" if as_postgres else None
    return subprocess.run(args, user=user, check=True, capture_output=True, text=True, timeout=120, **kw)


def start(folder: Path) -> tuple[PgServer, list[str]]:
    """initdb + pg_ctl start in ``folder``; returns the server and the pg_ctl stop command."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise FileNotFoundError("PostgreSQL 15 or later is not installed (apt-get install postgresql)")
    as_root = os.geteuid() == 0
    data, sockets = folder / "data", folder / "sock"
    sockets.mkdir(parents=True)
    superuser_password, password = secrets.token_hex(12), secrets.token_hex(12)
    pwfile = folder / "pw"
    pwfile.write_text(superuser_password + "\n")
    if as_root:
        shutil.chown(folder, "postgres")
        shutil.chown(sockets, "postgres")
        shutil.chown(pwfile, "postgres")
    _run([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=scram-sha-256",
          f"--pwfile={pwfile}", "-E", "UTF8", "--locale=C.UTF-8"], as_postgres=as_root)
    for attempt in range(len(PORTS)):  # another test session may take the same free port first
        port = _free_port()
        options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        try:
            _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w",
                  "start"], as_postgres=as_root)
            break
        except subprocess.CalledProcessError:
            if attempt == len(PORTS) - 1:
                raise
    stop = [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]
    server = PgServer(bin_dir, port, password, superuser_password)
    server.admin(f"CREATE ROLE {OWNER} LOGIN PASSWORD '{password}'")
    server.admin(f"CREATE ROLE {APP} LOGIN PASSWORD '{password}'")
    server.admin(f"CREATE DATABASE {TEMPLATE} OWNER {OWNER}")
    if has_postgis(bin_dir):
        server.admin("CREATE EXTENSION IF NOT EXISTS postgis", database=TEMPLATE)
    from geo.db.migrate import upgrade
    from geo.db.vouch import KEY_ENV

    os.environ.setdefault(KEY_ENV, secrets.token_hex(32))  # the app servers' key; the tests sign as the app
    upgrade(server.url(TEMPLATE, OWNER), app_role=APP)
    return server, stop


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """The session's PostgreSQL (skipped outside CI when it cannot start; a failure in CI)."""
    try:
        import psycopg  # noqa: F401
    except ImportError as exc:
        missing(f"psycopg is not installed: {exc}", required=REQUIRE_PG)
    folder = Path(tempfile.mkdtemp(prefix="aam-pg-"))
    stop: list[str] | None = None
    try:
        try:
            server, stop = start(folder)
        except (OSError, subprocess.SubprocessError, RuntimeError) as exc:
            detail = getattr(exc, "stderr", "") or ""
            missing(f"cannot start a PostgreSQL test server: {exc} {detail}".strip(), required=REQUIRE_PG)
        yield server
    finally:
        if stop is not None:
            subprocess.run(stop, user="postgres" if os.geteuid() == 0 else None, capture_output=True,
                           timeout=60, check=False)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server: PgServer) -> str:
    """A fresh, migrated database for one test, as the app role's URL."""
    return pg_server.new_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a store test on both backends: on ``postgresql`` every store opened in the test (whatever
    path it is given) lives in a fresh PostgreSQL database through ``AAM_DATABASE_URL``."""
    monkeypatch.delenv("AAM_DATABASE_URL", raising=False)
    if request.param == "postgresql":
        if request.node.get_closest_marker("sqlite_only") is not None:
            pytest.skip("about the SQLite file itself")
        server = request.getfixturevalue("pg_server")
        monkeypatch.setenv("AAM_DATABASE_URL", server.new_database())
    return request.param


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: about the SQLite file itself (skipped on PostgreSQL)")


@contextlib.contextmanager
def store_connection(db: str | Path, organisations: tuple[str, ...] | None = None) -> Iterator[Any]:
    """A plain connection to the store a test is using, whichever backend (for raw checks); on
    PostgreSQL as the app role with the vouched scope ``organisations`` (default: every
    organisation the database knows of, named one by one)."""
    from geo.db import database_url
    from geo.db.pg import ALL_KNOWN, connect

    organisations = ALL_KNOWN if organisations is None else organisations
    url = database_url(db)
    conn: Any = connect(url, organisations=organisations) if url else sqlite3.connect(db)
    try:
        yield conn
    finally:
        conn.close()


@contextlib.contextmanager
def owner_connection(db: str | Path) -> Iterator[Any]:
    """What someone with the file (SQLite) or the tables' owner (PostgreSQL) could do: a plain
    connection that is not the app's, for tests that tamper behind the app's back."""
    from geo.db import database_url
    from geo.db.pg import ALL_KNOWN, connect

    url = database_url(db)
    owner = url.replace(f"//{APP}:", f"//{OWNER}:", 1) if url else ""
    conn: Any = connect(owner, organisations=ALL_KNOWN) if url else sqlite3.connect(db)
    try:
        yield conn
    finally:
        if not url:
            conn.commit()
        conn.close()


@pytest.fixture
def switch_store(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    """For a test that builds a second store: on PostgreSQL, point AAM_DATABASE_URL at a fresh
    database (a second path would otherwise open the same one); on SQLite nothing to do."""
    def switch() -> None:
        import os

        if os.environ.get("AAM_DATABASE_URL"):
            monkeypatch.setenv("AAM_DATABASE_URL", request.getfixturevalue("pg_server").new_database())
    return switch


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store_backend_module(request: pytest.FixtureRequest) -> Iterator[str]:
    """``store_backend`` for a module whose store is built once (module-scoped fixtures): one fresh
    PostgreSQL database for the whole module on the ``postgresql`` pass."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("AAM_DATABASE_URL", raising=False)
        if request.param == "postgresql":
            patch.setenv("AAM_DATABASE_URL", request.getfixturevalue("pg_server").new_database())
        yield request.param
