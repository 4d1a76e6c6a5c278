"""Several app servers on one PostgreSQL store (issue 15): two server processes run 8 imports and
16 readers at once. Nothing is lost or duplicated, every import is seen whole or not at all,
each reader sees only its own council, the audit chain stays intact, and a reader does not wait
for an import that holds the write lock (on SQLite a reader once waited 17.6 s behind one)."""
from __future__ import annotations

import multiprocessing
import os
import queue
import sys
import threading
import time
import types
from pathlib import Path

import pytest

from access_fixtures import ADMIN_A, ADMIN_B, OFFICER_A, OFFICER_B, two_councils
from fixtures_sites import LAD_A, LAD_B
from pg_workers import ROWS_PER_IMPORT, run_server

READS_EACH = 3


@pytest.fixture
def region(pg_url, monkeypatch, tmp_path):
    monkeypatch.setenv("AAM_DATABASE_URL", pg_url)
    return pg_url, two_councils(tmp_path)


def _scalar(url: str, sql: str, args=()):
    from geo.db.pg import ALL_KNOWN, connect

    conn = connect(url, organisations=ALL_KNOWN)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def _collect(results, servers, deadline_s: float) -> list[dict]:
    """Each server's report; a server that dies without one fails the test at once, never a hang."""
    reports: list[dict] = []
    end = time.monotonic() + deadline_s
    while len(reports) < len(servers):
        try:
            reports.append(results.get(timeout=2))
            continue
        except queue.Empty:
            pass
        dead = [p for p in servers if not p.is_alive() and p.exitcode not in (0, None)]
        assert not dead, f"app server process(es) died without a report: exit codes {[p.exitcode for p in dead]}"
        assert time.monotonic() < end, "the app server processes did not finish in time"
    return reports


def test_two_servers_eight_imports_sixteen_readers(region, tmp_path) -> None:
    from geo.access import audit

    url, store = region
    base = {LAD_A: len(store.refs_a), LAD_B: len(store.refs_b)}
    audit_before = len(audit.read(url))
    imports = [[(ADMIN_A, f"A{s}{k}") for k in range(2)] + [(ADMIN_B, f"B{s}{k}") for k in range(2)] for s in (0, 1)]
    readers = [[(OFFICER_A, LAD_A)] * 4 + [(OFFICER_B, LAD_B)] * 4 for _ in (0, 1)]
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    servers = [ctx.Process(target=run_server, args=(url, str(tmp_path), s, imports[s], readers[s], READS_EACH,
                                                     results)) for s in (0, 1)]
    # A spawned process is a new interpreter: give it the test helpers and the project by absolute
    # path, whatever an earlier test did to the working folder or sys.path.
    here = Path(__file__).resolve().parent
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([str(here), str(here.parent), *([saved] if saved else [])])
    # Spawn re-runs the parent's __main__ in each child; after a page test (streamlit.testing runs
    # app.py as __main__) that would be the app itself, sign-in gate and all. Start from a blank one.
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        for p in servers:
            p.start()
    finally:
        sys.modules["__main__"] = main
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved
    reports = _collect(results, servers, deadline_s=900)
    for p in servers:
        p.join(timeout=60)
    assert len({r["pid"] for r in reports}) == 2
    events = [e for r in reports for e in r["events"]]
    done = [e for e in events if e["kind"] == "import"]
    reads = [e for e in events if e["kind"] == "read"]
    assert [e["error"] for e in events if e["error"]] == []
    assert len(done) == 8 and len(reads) == 16 * READS_EACH

    # nothing lost, nothing duplicated: every file's rows are current, once
    for org in (LAD_A, LAD_B):
        current = _scalar(url, "SELECT COUNT(*) FROM site_versions WHERE organisation = ? AND valid_to_batch IS NULL",
                          (org,))[0][0]
        assert current == base[org] + 4 * ROWS_PER_IMPORT, org
    assert _scalar(url, "SELECT organisation, reference FROM site_versions WHERE valid_to_batch IS NULL"
                        " GROUP BY organisation, reference HAVING COUNT(*) > 1") == []
    # every import all-or-nothing: its batch holds exactly its file's rows
    for e in done:
        assert e["accepted"] == ROWS_PER_IMPORT
        versions = _scalar(url, "SELECT COUNT(*), MIN(reference) FROM site_versions WHERE valid_from_batch = ?",
                           (e["batch"],))[0]
        assert versions[0] == ROWS_PER_IMPORT and versions[1].startswith(e["prefix"] + "-")
    # readers saw whole imports only (a count between imports), their own council only, no duplicates
    for e in reads:
        assert e["orgs"] in ([], [e["org"]])
        assert e["refs_unique"]
        assert (e["count"] - base[e["org"]]) % ROWS_PER_IMPORT == 0, e
    overlapping = [r for r in reads if any(r["start"] < i["end"] and i["start"] < r["end"] for i in done)]
    assert overlapping, "no read ran while an import was running: the test proved nothing"
    # the audit chain is intact, with one row per import and per read
    verdict = audit.verify(url)
    assert verdict.ok, verdict
    rows = audit.read(url)[audit_before:]
    assert sum(r["action"] == "import" for r in rows) == 8
    assert sum(r["action"] == "view_sites" for r in rows) == 16 * READS_EACH
    print(f"\nslowest read {max(r['end'] - r['start'] for r in reads):.2f} s;"
          f" slowest import {max(i['end'] - i['start'] for i in done):.2f} s;"
          f" {len(overlapping)} reads overlapped imports")


def test_a_reader_does_not_wait_for_an_import_holding_the_write_lock(region) -> None:
    from geo.db.pg import connect
    from geo.sites.store import SiteStore

    url, store = region
    before = set(SiteStore(url).current_sites(organisations=[LAD_A])["reference"])
    writer = connect(url, organisations=(LAD_A,))
    try:
        writer.execute("BEGIN IMMEDIATE")  # the import's finish: the store's write lock, held
        batch = writer.execute("INSERT INTO batches (organisation, file_name, sha256, mapping_json, imported_at,"
                               " data_as_at, rows_read, accepted, rejected, imported_by) VALUES"
                               " (?, 'f.csv', 'x', '{}', '2024-01-01', '2024-01-01', 0, 0, 0, 'me') RETURNING id",
                               (LAD_A,)).fetchone()[0]
        assert batch
        seen: dict[str, object] = {}

        def read() -> None:
            t0 = time.monotonic()
            seen["refs"] = set(SiteStore(url).current_sites(organisations=[LAD_A])["reference"])
            seen["batches"] = len(SiteStore(url).list_batches(organisations=[LAD_A]))
            seen["seconds"] = time.monotonic() - t0

        reading = threading.Thread(target=read)
        reading.start()
        reading.join(timeout=20)
        assert not reading.is_alive(), "the reader waited for the import's lock"
        # and a second writer does wait (one writer at a time, as on SQLite)
        other = connect(url, organisations=(LAD_A,))
        try:
            other.execute("BEGIN")
            other.execute("SET LOCAL lock_timeout = '300ms'")
            with pytest.raises(Exception, match="lock timeout|canceling statement"):
                other.execute("SELECT pg_advisory_xact_lock(?)", (0x4141_4D00,))
        finally:
            if other.in_transaction:
                other.execute("ROLLBACK")
            other.close()
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert seen["refs"] == before == store.refs_a
    assert seen["batches"] == 1  # the uncommitted batch is not seen
