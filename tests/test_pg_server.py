"""The throwaway PostgreSQL server and the migrations: both roles, the app role owns nothing,
and a store refuses a database whose schema is older than the code (naming the command)."""
from __future__ import annotations

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
