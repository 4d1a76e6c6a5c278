"""What one app server does to the shared store, run in its own process by test_pg_concurrency.

Each process is an app server: it imports council files as their admins (``import_as``, as the
Sites page does) and reads site records as officers (``visible_sites``, as the Sites and ward
pages do), all in threads at once, through ``AAM_DATABASE_URL``. It reports what it did and when,
so the test can check nothing was lost, duplicated or seen half-imported, and that reads never
waited for an import.
"""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

ROWS_PER_IMPORT = 400


def site_rows(prefix: str, n: int = ROWS_PER_IMPORT) -> list[list[object]]:
    """``n`` valid dispersed properties with unique references, all inside ward W1 (council A) or W3 (B)."""
    from fixtures_sites import HEADER, IN_W1, IN_W3

    where = IN_W1 if prefix.startswith("A") else IN_W3
    return [HEADER, *[[f"{prefix}-{i}", "Dispersed", "", "", where[1] + (i % 97) * 1e-5, where[0], 4, 3, "Open",
                       "", "", "", ""] for i in range(n)]]


def run_server(url: str, folder: str, server: int, imports: list[tuple[str, str]],
               readers: list[tuple[str, str]], reads_each: int, results: Any) -> None:
    """One app server: ``imports`` (admin e-mail, file prefix) and ``readers`` (officer e-mail,
    organisation) all in threads at once; puts a dict of events on ``results``."""
    os.environ["AAM_DATABASE_URL"] = url
    from fixtures_sites import ward_layer, write_csv
    from geo.access.identity import member_for
    from geo.access.imports import import_as
    from geo.access.scope import visible_sites

    wards = ward_layer()
    events: list[dict[str, Any]] = []
    lock = threading.Lock()
    start = threading.Barrier(len(imports) + len(readers))

    def log(**event: Any) -> None:
        with lock:
            events.append(event)

    def importer(email: str, prefix: str) -> None:
        path = write_csv(Path(folder) / f"{prefix}.csv", site_rows(prefix))
        member = member_for(url, email, has_provider=False)
        start.wait()
        t0 = time.monotonic()
        try:
            result = import_as(member, path, url, wards)
            log(kind="import", prefix=prefix, org=member.org_code, batch=result.batch, accepted=result.accepted,
                start=t0, end=time.monotonic(), error=None)
        except Exception as exc:  # reported to the test, which fails on any
            log(kind="import", prefix=prefix, org=member.org_code, batch=None, accepted=0, start=t0,
                end=time.monotonic(), error=f"{type(exc).__name__}: {exc}")

    def reader(email: str, org: str) -> None:
        member = member_for(url, email, has_provider=False)
        start.wait()
        for k in range(reads_each):
            t0 = time.monotonic()
            try:
                sites = visible_sites(member, url, selection={"server": server, "read": k})
                log(kind="read", org=org, count=len(sites), orgs=sorted(set(sites["organisation"])),
                    refs_unique=bool(sites["reference"].is_unique), start=t0, end=time.monotonic(), error=None)
            except Exception as exc:
                log(kind="read", org=org, count=-1, orgs=[], refs_unique=False, start=t0, end=time.monotonic(),
                    error=f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=importer, args=job) for job in imports]
    threads += [threading.Thread(target=reader, args=job) for job in readers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results.put({"server": server, "pid": os.getpid(), "events": events,
                 "clock": (time.time(), time.monotonic())})
