"""Import and read throughput of the site store on PostgreSQL beside SQLite, on the same file.

    .venv/bin/python bench/pg.py [--rows 50000] [--reads 5]

Uses ``AAM_DATABASE_URL`` when it names a migrated database; otherwise starts a throwaway
PostgreSQL (tests/pg_server.py: initdb and pg_ctl in a temporary folder, ports 55432-55439) and
stops it afterwards. The file is synthetic (valid dispersed properties spread over the tests'
four ward squares) so no official data is needed; both backends import exactly the same bytes
through ``geo.sites.importer.import_sites`` and read with ``SiteStore.current_sites``.
Figures are wall-clock on this machine, one run each (import) and the median of ``--reads``.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def write_file(path: Path, rows: int) -> Path:
    from fixtures_sites import HEADER, write_csv

    body = [[f"S{i}", "Dispersed", "", "", 52.0 + (i % 997) * 0.0002, -2.0 + (i // 997 % 997) * 0.0002, 4,
             3, "Open", "", "", "", ""] for i in range(rows)]
    return write_csv(path, [HEADER, *body])


def measure(location: str | Path, source: Path, reads: int) -> dict[str, float]:
    from fixtures_sites import ward_layer
    from geo.sites.importer import import_sites
    from geo.sites.store import SiteStore

    wards = ward_layer()
    t0 = time.perf_counter()
    result = import_sites(source, location, wards, imported_by="bench", organisation="BENCH")
    imported = time.perf_counter() - t0
    store = SiteStore(location)
    runs = []
    for _ in range(reads):
        t0 = time.perf_counter()
        n = len(store.current_sites(organisations=["BENCH"]))
        runs.append(time.perf_counter() - t0)
    with ThreadPoolExecutor(4) as pool:  # four readers at once, as several sessions would
        t0 = time.perf_counter()
        list(pool.map(lambda _: len(store.current_sites(organisations=["BENCH"])), range(8)))
        parallel = time.perf_counter() - t0
    return {"rows": result.accepted, "import_s": imported, "read_s": statistics.median(runs), "read_rows": n,
            "parallel_reads_per_s": 8 / parallel}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--reads", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="aam-bench-pg-"))
    stop, pg_folder = None, None
    try:
        source = write_file(folder / "sites.csv", args.rows)
        url = os.environ.get("AAM_DATABASE_URL")
        if not url:
            import pg_server

            pg_folder = Path(tempfile.mkdtemp(prefix="aam-pg-"))  # its own: the postgres user must enter it
            server, stop = pg_server.start(pg_folder)
            url = server.new_database("aam_bench")
        os.environ.pop("AAM_DATABASE_URL", None)
        results = {"SQLite": measure(folder / "sites.sqlite", source, args.reads),
                   "PostgreSQL": measure(url, source, args.reads)}
    finally:
        if stop is not None:
            subprocess.run(stop, user="postgres" if os.geteuid() == 0 else None, capture_output=True, check=False)
        shutil.rmtree(folder, ignore_errors=True)
        if pg_folder is not None:
            shutil.rmtree(pg_folder, ignore_errors=True)
    print(f"site store throughput, one file of {args.rows:,} rows (same bytes for both)")
    print(f"{'backend':<11} {'import s':>9} {'import rows/s':>14} {'read s':>8} {'read rows/s':>12} "
          f"{'4-thread reads/s':>17}")
    for name, r in results.items():
        print(f"{name:<11} {r['import_s']:>9.2f} {r['rows'] / r['import_s']:>14,.0f} {r['read_s']:>8.3f} "
              f"{r['read_rows'] / r['read_s']:>12,.0f} {r['parallel_reads_per_s']:>17.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
