"""The throwaway PostgreSQL server and the migrations: both roles, the app role owns nothing,
and a store refuses a database whose schema is older than the code (naming the command)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from geo.db import migrate
from geo.errors import GeoError


def test_app_role_owns_no_table(pg_server, pg_url) -> None:
    import psycopg

    with psycopg.connect(pg_url) as conn:
        owners = {r[0] for r in conn.execute("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'"
                                             " AND tablename <> 'spatial_ref_sys'")}  # PostGIS's own
        me = conn.execute("SELECT current_user").fetchone()[0]
    assert me == "aam_app"
    assert owners == {"aam_owner"}


def test_migrated_database_is_at_head(pg_url) -> None:
    assert migrate.current(pg_url) == migrate.head()


def test_store_refuses_a_database_without_the_schema(pg_server, monkeypatch) -> None:
    from geo.sites.store import SiteStore

    name = "aam_empty_schema"
    pg_server.admin(f"CREATE DATABASE {name} OWNER aam_owner")
    url = pg_server.url(name)
    monkeypatch.setenv("AAM_DATABASE_URL", url)
    with pytest.raises(GeoError, match="python -m geo db upgrade"):
        SiteStore("ignored.sqlite")


def test_store_refuses_a_schema_older_than_the_code(pg_server, monkeypatch) -> None:
    from geo.access.storage import AccessStore
    from geo.sites.store import SiteStore

    name = "aam_old_schema"
    pg_server.admin(f"CREATE DATABASE {name} OWNER aam_owner")
    assert migrate.upgrade(pg_server.url(name, "aam_owner"), "0001", app_role="aam_app") == "0001"
    assert migrate.head() != "0001"
    monkeypatch.setenv("AAM_DATABASE_URL", pg_server.url(name))
    for store in (SiteStore, AccessStore):
        wanted = f"at schema 0001, this code needs {migrate.head()}.*python -m geo db upgrade"
        with pytest.raises(GeoError, match=wanted):
            store("ignored.sqlite")


def _geo(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "geo", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env})


def test_db_command_upgrades_and_reports_on_both_backends(pg_server, tmp_path) -> None:
    name = "aam_cli_upgrade"
    pg_server.admin(f"CREATE DATABASE {name} OWNER aam_owner")
    owner = {"AAM_DATABASE_URL": pg_server.url(name, "aam_owner")}
    before = _geo("db", "current", env=owner)
    assert before.returncode == 1 and "run `python -m geo db upgrade`" in before.stdout
    refused = _geo("db", "upgrade", "--app-role", "aam_app", env=owner)  # PostGIS needs a superuser first
    assert refused.returncode == 2 and "could not upgrade" in refused.stderr and "Traceback" not in refused.stderr
    pg_server.admin("CREATE EXTENSION postgis", database=name)  # as the README says, by the superuser
    done = _geo("db", "upgrade", "--app-role", "aam_app", env=owner)
    assert done.returncode == 0, done.stderr
    assert pg_server.password not in done.stdout  # the URL is shown without its password
    after = _geo("db", "current", env={"AAM_DATABASE_URL": pg_server.url(name)})
    assert after.returncode == 0 and f"schema at {migrate.head()}" in after.stdout

    db = tmp_path / "sites.sqlite"
    plain = {"AAM_DATABASE_URL": ""}
    done = _geo("db", "upgrade", "--db", str(db), env=plain)
    assert done.returncode == 0 and db.is_file(), done.stderr
    assert _geo("db", "current", "--db", str(db), env=plain).returncode == 0


def test_an_old_sqlite_store_is_adopted_at_the_baseline(tmp_path, monkeypatch) -> None:
    import sqlite3

    from geo.sites.store import SiteStore

    monkeypatch.delenv("AAM_DATABASE_URL", raising=False)
    db = tmp_path / "sites.sqlite"
    SiteStore(db)
    with sqlite3.connect(db) as conn:  # as a store made before migrations existed
        conn.execute("DROP TABLE alembic_version")
    assert migrate.current(db) is None
    assert migrate.upgrade(db) == migrate.head()
