"""A database that does not trust its app role (issue 26): the probes an attacker with the app's
PostgreSQL password (or an SQL injection) tried, as hand-written SQL on plain psycopg connections
as ``aam_app``, not through the store's code. Each failed before the scope was vouched for.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import date

import psycopg
import pytest

from access_fixtures import ADMIN_A, ADMIN_B, LAD_A, LAD_B, two_councils
from pg_server import APP, OWNER

ORGANISATION_TABLES = ("site_versions", "batches", "rejections", "batch_not_in_file", "access_members",
                       "access_agreements", "access_settings", "check_proposals", "check_decisions",
                       "check_procurements", "check_settings", "export_traces", "audit_log", "audit_head",
                       "access_tokens")
REFUSED = (psycopg.errors.InsufficientPrivilege, psycopg.errors.RaiseException)


@pytest.fixture(scope="module")
def region(pg_server, tmp_path_factory):
    """Two councils on one PostgreSQL database, built by the app (imports, members, a proposal,
    an agreement, a setting, an export), then handed to the attacker."""
    from geo.access.identity import member_for
    from geo.access.manage import agree, set_postcode_lookup
    from geo.access.tracing import stamp_export
    from geo.check.register import Register

    url = pg_server.new_database()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AAM_DATABASE_URL", url)
        store = two_councils(tmp_path_factory.mktemp("region"))
        admin_b = member_for(store.db, ADMIN_B, has_provider=False)
        answer = {"reference": "P1", "type": "dispersed", "people": 4, "latitude": 53.4, "longitude": -2.9,
                  "recommendation": "support", "address": "1 Secret Street"}
        Register(store.db).add(answer, organisation=LAD_B, entered_by=admin_b.email)
        Register(store.db).decide(1, "support", "fine", admin_b.email)
        agree(store.db, admin_b, LAD_B, LAD_A, "aggregates", valid_until=date(2099, 1, 1))
        set_postcode_lookup(store.db, admin_b, "https://postcodes.example")
        stamp_export(store.db, admin_b, b"a,b\n1,2\n", "csv")
    return url


def _raw(url: str) -> psycopg.Connection:
    """The attacker's own session as the app role: no app code in between."""
    return psycopg.connect(url, autocommit=False)


def _count(conn: psycopg.Connection, table: str) -> int:
    return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def _owner(url: str) -> psycopg.Connection:
    return psycopg.connect(url.replace(f"//{APP}:", f"//{OWNER}:", 1), autocommit=True)


def test_every_organisation_table_has_forced_row_level_security(region) -> None:
    with _raw(region) as conn:
        rows = conn.execute("SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class"
                            " WHERE relname = ANY (%s)", (list(ORGANISATION_TABLES),)).fetchall()
    assert {r[0] for r in rows} == set(ORGANISATION_TABLES)
    assert [r[0] for r in rows if not (r[1] and r[2])] == []


def test_with_no_scope_the_app_role_reads_nothing_and_changes_nothing(region) -> None:
    with _owner(region) as owner:  # there is something to hide
        assert owner.execute("SELECT COUNT(*) FROM access_members").fetchone()[0] > 0
    with _raw(region) as conn:
        for table in ORGANISATION_TABLES:
            assert _count(conn, table) == 0, table
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE check_proposals SET address = 'x' WHERE organisation = %s", (LAD_B,))


@pytest.mark.parametrize("made_up", ["*", LAD_B, f"{LAD_A},{LAD_B}"])
def test_a_self_made_scope_is_refused(region, made_up) -> None:
    with _raw(region) as conn:
        conn.execute("SELECT set_config('app.organisations', %s, true)", (made_up,))  # the old setting: ignored
        assert _count(conn, "site_versions") == 0
        conn.execute("SELECT set_config('aam.scope', %s, true)", (made_up,))
        with pytest.raises(REFUSED, match="scope refused"):
            conn.execute("SELECT COUNT(*) FROM site_versions")


def test_a_scope_signed_with_another_key_or_for_another_session_is_refused(region) -> None:
    from geo.db.vouch import Vouch, token

    with _raw(region) as conn:
        pid = conn.info.backend_pid
        forged = token(Vouch((LAD_A, LAD_B)), pid, key=hashlib.sha256(b"a guess").digest())
        conn.execute("SELECT set_config('aam.scope', %s, true)", (forged,))
        with pytest.raises(REFUSED, match="signature"):
            conn.execute("SELECT COUNT(*) FROM site_versions")
    with _raw(region) as conn, _raw(region) as other:
        stolen = token(Vouch((LAD_B,)), other.info.backend_pid)  # a real scope, seen in another session
        conn.execute("SELECT set_config('aam.scope', %s, true)", (stolen,))
        with pytest.raises(REFUSED, match="another database session"):
            conn.execute("SELECT COUNT(*) FROM site_versions")


def test_a_vouched_scope_reads_its_own_organisation_only(region) -> None:
    from geo.db.vouch import Vouch, token

    with _raw(region) as conn:
        conn.execute("SELECT set_config('aam.scope', %s, true)", (token(Vouch((LAD_A,)), conn.info.backend_pid),))
        orgs = {r[0] for r in conn.execute("SELECT DISTINCT organisation FROM site_versions")}
        assert orgs == {LAD_A}
        assert _count(conn, "check_proposals") == 0 and _count(conn, "check_decisions") == 0
        assert {r[0] for r in conn.execute("SELECT organisation FROM access_members")} == {LAD_A}


def _vouched(conn: psycopg.Connection, orgs: tuple[str, ...], admin_of: tuple[str, ...] = ()) -> None:
    from geo.db.vouch import Vouch, token

    conn.execute("SELECT set_config('aam.scope', %s, true)",
                 (token(Vouch(orgs, admin_of), conn.info.backend_pid),))


def test_site_versions_are_never_changed_in_place(region) -> None:
    with _raw(region) as conn:
        _vouched(conn, (LAD_A,))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE site_versions SET people = 999")
    with _raw(region) as conn:
        _vouched(conn, (LAD_A,))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM site_versions")
    with _raw(region) as conn:  # closing an already closed version (rewriting history) is refused too
        _vouched(conn, (LAD_A,))
        with pytest.raises(psycopg.errors.RaiseException, match="never changed"):
            conn.execute("UPDATE site_versions SET valid_to = '2999-01-01', valid_to_batch = valid_from_batch"
                         " WHERE valid_to_batch IS NULL; UPDATE site_versions SET valid_to = '2998-01-01'")


def test_members_agreements_and_settings_change_only_through_a_vouched_admin(region) -> None:
    attempts = [
        "INSERT INTO access_members VALUES ('mallory@evil.example', 'E08000012', 'analyst', '2026', 'x')",
        f"UPDATE access_members SET role = 'admin' WHERE email = '{ADMIN_A}'",
        "UPDATE access_agreements SET valid_until = '2199-01-01'",
        "UPDATE access_settings SET value = 'http://evil.example'",
        "INSERT INTO access_organisations VALUES ('EVIL', 'Evil', 'national', '', NULL)",
        "INSERT INTO access_tokens VALUES ('x', 'sha', 'admin@b.gov.uk', '2026', 'x', NULL)",
    ]
    for sql in attempts:
        with _raw(region) as conn:
            _vouched(conn, (LAD_A, LAD_B))
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(sql)
    functions = [
        ("SELECT aam_put_member('mallory@evil.example', %s, 'analyst', '2026', 'x')", (LAD_B,)),
        ("SELECT aam_put_agreement(%s, %s, 'sites', '2026-01-01', '2099-01-01', '2026', 'x')", (LAD_B, LAD_A)),
        ("SELECT aam_put_setting('postcode_lookup_url', 'http://evil.example', '2026', 'x')", ()),
        ("SELECT aam_delete_member(%s)", (ADMIN_A,)),
        ("SELECT aam_put_token('x', 'sha', %s, '2026', 'x')", (ADMIN_B,)),
    ]
    for sql, args in functions:
        with _raw(region) as conn:
            _vouched(conn, (LAD_A, LAD_B))  # rows in scope, but nobody vouched for an admin
            with pytest.raises(REFUSED, match="refused"):
                conn.execute(sql, args)
        with _raw(region) as conn:  # an admin of A is not an admin of B
            _vouched(conn, (LAD_A,), admin_of=(LAD_A,))
            if "setting" not in sql and "delete" not in sql:
                with pytest.raises(REFUSED, match="refused"):
                    conn.execute(sql, args)


def test_export_traces_and_the_audit_log_cannot_be_rewritten(region) -> None:
    attempts = ["UPDATE export_traces SET member = 'someone.else@b.gov.uk'",
                "DELETE FROM export_traces",
                "INSERT INTO audit_log VALUES (999, '2026', 'x', 'E08000012', 'export', '{}', 'a', 'b')",
                "UPDATE audit_head SET last_id = 1",
                "DELETE FROM audit_log"]
    for sql in attempts:
        with _raw(region) as conn:
            _vouched(conn, (LAD_A, LAD_B))
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(sql)
    with _raw(region) as conn, pytest.raises(REFUSED, match="refused"):  # only with a vouched scope
        conn.execute("SELECT aam_audit_append('x', '', 'export', '{}')")


def test_the_databases_chain_matches_the_apps(region, monkeypatch) -> None:
    """Rows the database chained verify with the app's hash, and a row changed behind the app's
    back (by the owner, who can) is caught."""
    from geo.access import audit
    from geo.access.storage import AccessStore

    monkeypatch.setenv("AAM_DATABASE_URL", region)
    store = AccessStore(region)
    assert audit.verify(store).ok
    rows = store.audit_rows()
    assert rows and all(audit.row_hash(r["prev_hash"], r) == r["row_hash"] for r in rows)
    detail = json.loads(rows[-1]["detail"])
    assert isinstance(detail, dict)
    with _owner(region) as owner:
        owner.execute("ALTER TABLE audit_log DISABLE TRIGGER USER")
        owner.execute("UPDATE audit_log SET member = 'framed@b.gov.uk' WHERE id = 2")
        owner.execute("ALTER TABLE audit_log ENABLE TRIGGER USER")
    verdict = audit.verify(store)
    assert not verdict.ok and verdict.bad_row == 2


def test_hmac_is_the_standard_one() -> None:
    """The database's pads compute RFC 2104 HMAC-SHA256, so any HMAC library can sign."""
    from geo.db.vouch import pads

    key = hashlib.sha256(b"k").digest()
    inner, outer = pads(key)
    msg = b"payload"
    by_pads = hashlib.sha256(outer + hashlib.sha256(inner + msg).digest()).hexdigest()
    assert by_pads == hmac.new(key, msg, hashlib.sha256).hexdigest()


def test_an_app_server_with_the_wrong_key_gets_one_line_naming_the_reason(region, monkeypatch) -> None:
    """An app server configured with another key is refused by the database, and says so."""
    from geo.access.storage import AccessStore
    from geo.errors import GeoError

    monkeypatch.setenv("AAM_DATABASE_URL", region)
    monkeypatch.setenv("AAM_SCOPE_KEY", "not the key the database was given, but long enough")
    with pytest.raises(GeoError, match="signature does not match") as caught:
        AccessStore(region).members()
    assert len(str(caught.value).splitlines()) == 1
