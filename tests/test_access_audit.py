"""The audit log: every change leaves a row; a changed, deleted or truncated row is named by verify."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from access_fixtures import ADMIN_A, HOST_ADMIN, two_councils
from pg_server import owner_connection, store_connection

pytestmark = pytest.mark.usefixtures("store_backend")  # on SQLite and on PostgreSQL (tests/pg_server.py)

ROOT = Path(__file__).resolve().parents[1]


def _geo(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "geo", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def _tamper(db: Path, sql: str, *args) -> None:
    """What someone with the file (or the tables' owner) could do: drop the append-only triggers and edit."""
    with owner_connection(db) as conn:
        if getattr(conn, "dialect", "sqlite") == "postgresql":
            conn.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
        else:
            conn.execute("DROP TRIGGER audit_log_no_update")
            conn.execute("DROP TRIGGER audit_log_no_delete")
        conn.execute(sql, args)


@pytest.fixture
def store(tmp_path: Path):
    return two_councils(tmp_path)


def test_every_change_and_import_left_a_row_that_chains(store) -> None:
    from geo.access import audit

    rows = audit.read(store.db)
    actions = [r["action"] for r in rows]
    assert actions.count("member_grant") == 8 and actions.count("import") == 2
    assert "organisation_put" in actions
    assert [r["id"] for r in rows] == list(range(1, len(rows) + 1))
    assert all(r["prev_hash"] == p["row_hash"] for p, r in zip(rows, rows[1:], strict=False))
    assert audit.verify(store.db).ok
    imports = audit.read(store.db, action="import", member=ADMIN_A)
    assert len(imports) == 1 and '"outcome": "imported"' in imports[0]["detail"]


def test_the_log_refuses_update_and_delete(store) -> None:
    # on PostgreSQL the app's role may not even try (no UPDATE/DELETE grant); the owner meets the trigger
    with store_connection(store.db) as conn:
        with pytest.raises(sqlite3.DatabaseError, match="append-only|permission denied"):
            conn.execute("UPDATE audit_log SET member = 'x@y.z' WHERE id = 1")
        with pytest.raises(sqlite3.DatabaseError, match="append-only|permission denied"):
            conn.execute("DELETE FROM audit_log WHERE id = 1")
    with owner_connection(store.db) as conn:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("UPDATE audit_log SET member = 'x@y.z' WHERE id = 1")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("DELETE FROM audit_log WHERE id = 1")


def test_verify_names_a_changed_row(store) -> None:
    from geo.access import audit

    _tamper(store.db, "UPDATE audit_log SET member = ? WHERE id = 3", HOST_ADMIN.replace("host", "someone"))
    verdict = audit.verify(store.db)
    assert not verdict.ok and verdict.bad_row == 3 and "changed" in verdict.reason
    done = _geo("audit", "verify", "--db", str(store.db))
    assert done.returncode == 1 and "row 3" in done.stderr and "Traceback" not in done.stderr


def test_verify_names_a_deleted_row_and_a_deleted_tail(store, tmp_path: Path, switch_store) -> None:
    from geo.access import audit

    _tamper(store.db, "DELETE FROM audit_log WHERE id = 4")
    verdict = audit.verify(store.db)
    assert not verdict.ok and verdict.bad_row == 4 and "missing" in verdict.reason

    switch_store()  # a second, separate store
    (tmp_path / "second").mkdir()
    other = two_councils(tmp_path / "second")
    last = audit.read(other.db)[-1]["id"]
    _tamper(other.db, "DELETE FROM audit_log WHERE id = ?", last)
    verdict = audit.verify(other.db)
    assert not verdict.ok and verdict.bad_row == last and "deleted" in verdict.reason


def test_verify_passes_on_an_intact_log_from_the_command_line(store) -> None:
    done = _geo("audit", "verify", "--db", str(store.db))
    assert done.returncode == 0 and "intact" in done.stdout


def test_audit_page_filters(store) -> None:
    from geo.access import audit

    everyone = audit.read(store.db)
    by_host = audit.read(store.db, member=HOST_ADMIN)
    assert 0 < len(by_host) < len(everyone) and {r["member"] for r in by_host} == {HOST_ADMIN}
    assert {r["action"] for r in audit.read(store.db, action="import")} == {"import"}


def _cut_tail(db: Path, keep: int) -> None:
    """Drop the append-only triggers, delete the last rows and move the head back to what is left:
    the chain inside the store is whole again (issue 26: this passed verify)."""
    with owner_connection(db) as conn:
        if getattr(conn, "dialect", "sqlite") == "postgresql":
            conn.execute("ALTER TABLE audit_log DISABLE TRIGGER USER")
        else:
            conn.execute("DROP TRIGGER audit_log_no_update")
            conn.execute("DROP TRIGGER audit_log_no_delete")
        conn.execute("DELETE FROM audit_log WHERE id > ?", (keep,))
        kept_hash = conn.execute("SELECT row_hash FROM audit_log WHERE id = ?", (keep,)).fetchone()[0]
        conn.execute("UPDATE audit_head SET last_id = ?, last_hash = ?", (keep, kept_hash))


def test_a_cut_back_log_is_caught_by_the_anchor_kept_outside(store, tmp_path: Path) -> None:
    from geo.access import audit

    anchor_file = tmp_path / "audit-anchor.json"
    made = _geo("audit", "anchor", "--db", str(store.db), "--out", str(anchor_file))
    assert made.returncode == 0, made.stderr
    kept = audit.read_anchor(anchor_file)
    assert kept.last_id == audit.read(store.db)[-1]["id"]
    _cut_tail(store.db, kept.last_id - 2)
    assert audit.verify(store.db).ok  # inside the store the shortened chain is whole
    verdict = audit.verify(store.db, kept)
    assert not verdict.ok and "anchor" in verdict.reason and verdict.bad_row == kept.last_id - 1
    done = _geo("audit", "verify", "--db", str(store.db), "--anchor", str(anchor_file))
    assert done.returncode == 1 and "anchor" in done.stderr and "Traceback" not in done.stderr


def test_a_cut_back_log_is_caught_by_an_exports_trace(store) -> None:
    from geo.access import audit
    from geo.access.identity import member_for
    from geo.access.tracing import stamp_export

    stamp_export(store.db, member_for(store.db, ADMIN_A, has_provider=False), b"a,b\n1,2\n", "csv")
    last = audit.read(store.db)[-1]["id"]
    _cut_tail(store.db, last - 1)
    verdict = audit.verify(store.db)
    assert not verdict.ok and "export's trace" in verdict.reason and verdict.bad_row == last
