"""Row-level security on PostgreSQL: the database itself refuses rows outside the member's
organisations, whatever SQL reaches it (issue 15).

The store is built as the app builds it (two councils, each admin importing its own file); the
checks then use hand-written SQL on plain connections, not the store's own filtered reads.
"""
from __future__ import annotations

import sqlite3

import pytest

from access_fixtures import two_councils
from fixtures_sites import LAD_A, LAD_B
from geo.db.pg import ALL_KNOWN
from pg_server import APP, OWNER

SCOPED = ("site_versions", "batches", "rejections", "batch_not_in_file", "audit_log")


@pytest.fixture
def region(pg_url, monkeypatch, tmp_path):
    monkeypatch.setenv("AAM_DATABASE_URL", pg_url)
    return pg_url, two_councils(tmp_path)


def _count(url: str, table: str, organisations=None) -> int:
    from geo.db.pg import connect

    conn = connect(url, organisations=organisations)
    try:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


def test_the_app_role_owns_nothing_and_rls_is_forced(region) -> None:
    url, _ = region
    from geo.db.pg import connect

    conn = connect(url)
    try:
        rows = conn.execute("SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, pg_get_userbyid(c.relowner)"
                            " FROM pg_class c WHERE c.relname = ANY (?)", (list(SCOPED),)).fetchall()
    finally:
        conn.close()
    assert {r[0] for r in rows} == set(SCOPED)
    assert all(r[1] and r[2] for r in rows)
    assert {r[3] for r in rows} == {OWNER} != {APP}


def test_no_organisation_set_sees_no_rows(region) -> None:
    url, _ = region
    for table in ("site_versions", "batches", "audit_log"):
        assert _count(url, table, ALL_KNOWN) > 0, table  # there is something to hide
        assert _count(url, table) == 0, table
    owner = url.replace(f"//{APP}:", f"//{OWNER}:", 1)
    assert _count(owner, "site_versions") == 0  # FORCE: the tables' owner is bound too


def test_a_council_member_cannot_read_another_councils_sites_by_hand(region) -> None:
    url, store = region
    from geo.db.pg import connect

    everyone = connect(url, organisations=ALL_KNOWN)
    try:
        orgs = {r[0] for r in everyone.execute("SELECT DISTINCT organisation FROM site_versions").fetchall()}
        refs_b = {r[0] for r in everyone.execute("SELECT reference FROM site_versions WHERE organisation = ?",
                                                 (LAD_B,)).fetchall()}
    finally:
        everyone.close()
    assert orgs == {LAD_A, LAD_B} and refs_b == store.refs_b

    conn = connect(url, organisations=(LAD_A,))
    try:
        seen = {r[0] for r in conn.execute("SELECT DISTINCT organisation FROM site_versions").fetchall()}
        theirs = conn.execute("SELECT * FROM site_versions WHERE organisation = ?", (LAD_B,)).fetchall()
        batches = {r[0] for r in conn.execute("SELECT DISTINCT organisation FROM batches").fetchall()}
        audit = {r[0] for r in conn.execute("SELECT DISTINCT organisation FROM audit_log").fetchall()}
        # a site version is never changed in place (issue 26): the app role may not UPDATE it
        with pytest.raises(sqlite3.DatabaseError, match="permission denied"):
            conn.execute("UPDATE site_versions SET notes = 'x' WHERE organisation = ?", (LAD_B,))
        with pytest.raises(sqlite3.DatabaseError, match="row-level security"):
            conn.execute("INSERT INTO batches (organisation, file_name, sha256, mapping_json, imported_at,"
                         " data_as_at, rows_read, accepted, rejected, imported_by) VALUES"
                         " (?, 'f', 'x', '{}', '2024-01-01', '2024-01-01', 0, 0, 0, 'me')", (LAD_B,))
    finally:
        conn.close()
    assert seen == {LAD_A} and theirs == [] and batches == {LAD_A} and audit <= {LAD_A}


def test_the_store_reads_in_the_members_scope(region) -> None:
    url, store = region
    from geo.sites.store import SiteStore

    sites = SiteStore(url).current_sites(organisations=[LAD_A])
    assert set(sites["reference"]) == store.refs_a
    assert set(SiteStore(url).current_sites(organisations=[])["reference"]) == set()
