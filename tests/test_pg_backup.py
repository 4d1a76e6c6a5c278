"""Backups: pg_dump of a region's store restored into a fresh database gives the same rows, the
same site records through the store, and an intact audit chain (README: "Running it for a region")."""
from __future__ import annotations

import subprocess

import pytest

from access_fixtures import two_councils
from fixtures_sites import LAD_A, LAD_B
from pg_server import OWNER

TABLES = ("batches", "site_versions", "rejections", "batch_not_in_file", "access_organisations", "access_members",
          "access_agreements", "access_settings", "audit_log", "audit_head", "export_traces", "check_proposals",
          "check_decisions", "check_procurements", "check_settings", "alembic_version", "meta", "wards")


def _rows(server, database: str) -> dict[str, list[tuple]]:
    """Every row of every store table, as the superuser (row-level security does not apply)."""
    import psycopg

    with psycopg.connect(server.url(database, "postgres")) as conn:
        return {t: sorted(map(tuple, conn.execute(f"SELECT * FROM {t}").fetchall()), key=repr) for t in TABLES}


def test_dump_and_restore_into_a_fresh_database(pg_server, pg_url, monkeypatch, tmp_path) -> None:
    from fixtures_sites import ward_layer
    from geo.access import audit
    from geo.db import spatial
    from geo.sites.store import SiteStore

    monkeypatch.setenv("AAM_DATABASE_URL", pg_url)
    store = two_councils(tmp_path)
    spatial.load_wards(pg_url, ward_layer())
    source = pg_url.rsplit("/", 1)[1]
    dump = tmp_path / "region.dump"
    # as documented: custom format, by a role that bypasses row-level security (here the superuser)
    subprocess.run([str(pg_server.tool("pg_dump")), "--format=custom", "--file", str(dump),
                    "--dbname", pg_server.url(source, "postgres")], check=True, capture_output=True, timeout=300)
    pg_server.admin(f"CREATE DATABASE aam_restored TEMPLATE template0 OWNER {OWNER}")
    subprocess.run([str(pg_server.tool("pg_restore")), "--exit-on-error", "--dbname",
                    pg_server.url("aam_restored", "postgres"), str(dump)], check=True, capture_output=True,
                   timeout=300)

    before, after = _rows(pg_server, source), _rows(pg_server, "aam_restored")
    assert sum(len(v) for v in before.values()) > 20 and before["site_versions"] and before["audit_log"]
    assert after == before

    restored = pg_server.url("aam_restored")
    for org, refs in ((LAD_A, store.refs_a), (LAD_B, store.refs_b)):
        assert set(SiteStore(restored).current_sites(organisations=[org])["reference"]) == refs
    assert audit.verify(restored).ok
    # the restored copy keeps row-level security: the app role with no scope sees nothing
    from geo.db.pg import connect

    conn = connect(restored)
    try:
        assert conn.execute("SELECT COUNT(*) FROM site_versions").fetchone()[0] == 0
    finally:
        conn.close()


def test_the_owner_cannot_dump_around_row_level_security(pg_server, pg_url, monkeypatch, tmp_path) -> None:
    """Why the README says to back up as a role with BYPASSRLS: FORCE binds the owner too."""
    monkeypatch.setenv("AAM_DATABASE_URL", pg_url)
    two_councils(tmp_path)
    source = pg_url.rsplit("/", 1)[1]
    done = subprocess.run([str(pg_server.tool("pg_dump")), "--format=custom", "--file", str(tmp_path / "x.dump"),
                           "--dbname", pg_server.url(source, OWNER)], capture_output=True, text=True, timeout=300)
    if done.returncode == 0:
        pytest.fail("pg_dump as the tables' owner succeeded: row-level security is not forced")
    assert "row-level security" in done.stderr
