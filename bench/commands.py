"""`python -m geo sites import` and `sites export` timed as a user runs them (issue 26).

Each command is its own process, started exactly as a user types it (its export written to a
file, as a shell redirect would), interleaved A B A B with a naive baseline doing the same work
in the same run:

* import: pandas.read_csv + geopandas.sjoin against the same ward layer + DataFrame.to_sql;
* export: pandas.read_sql of the baseline's table + DataFrame.to_csv.

For each: the median wall time with its spread (min-max), CPU seconds and the peak resident
memory of the process (``ru_maxrss`` from ``wait4``). The machine's load average is printed
before and after, because the build machine is shared. Targets beside the measured values:
import under 60 s; export no slower and no larger (peak memory) than import.

Run: ``.venv/bin/python bench/commands.py [--rows N | --quick] [--repeat R]`` (quick: 100,000
rows instead of 1,000,000; R rounds, default 2). ``make bench`` runs it.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
FULL, QUICK = 1_000_000, 100_000
IMPORT_TARGET_S = 60.0


def baseline_import(csv: Path, db: Path) -> None:
    """The naive import: read the file, join the points to the wards, write one table."""
    import geopandas as gpd
    import pandas as pd

    from geo.model import load_ward_layer

    wards = load_ward_layer()
    frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
    lon = pd.to_numeric(frame["Longitude"], errors="coerce")
    lat = pd.to_numeric(frame["Latitude"], errors="coerce")
    points = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    joined = gpd.sjoin(points, wards[["ward_code", "ward_name", "lad_code", "lad_name", "geometry"]],
                       predicate="within", how="left")
    joined = pd.DataFrame(joined.drop(columns=["geometry", "index_right"]))
    import sqlite3

    with sqlite3.connect(db) as conn:
        joined.to_sql("sites", conn, index=False, chunksize=100_000)


def baseline_export(db: Path, out: Path) -> None:
    """The naive export: the whole table into one frame, then one CSV file."""
    import sqlite3

    import pandas as pd

    with sqlite3.connect(db) as conn:
        frame = pd.read_sql("SELECT * FROM sites", conn)
    frame.to_csv(out, index=False)


def _run(argv: list[str], stdout: Path | None = None) -> dict[str, float]:
    """Run one process to the end: wall seconds, CPU seconds and its peak memory (MB)."""
    with open(stdout or os.devnull, "wb") as sink:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=sink, stderr=subprocess.PIPE, cwd=ROOT)
        assert proc.stderr is not None
        err = proc.stderr.read()
        _, status, use = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{err.decode(errors='replace')[-3000:]}")
    return {"seconds": seconds, "cpu": use.ru_utime + use.ru_stime, "peak_mb": use.ru_maxrss / 1024}


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} / {five:.1f} / {fifteen:.1f} (1 / 5 / 15 min) on {os.cpu_count()} cores"


def measure(n: int, repeat: int) -> dict[str, Any]:
    """Every command ``repeat`` times, interleaved: ours, baseline, ours, baseline."""
    py = sys.executable
    runs: dict[str, list[dict[str, float]]] = {k: [] for k in ("import", "base_import", "export", "base_export")}
    with tempfile.TemporaryDirectory(prefix="aam-bench-commands-") as tmp:
        work = Path(tmp)
        csv = work / f"sites_{n}.csv"
        subprocess.run([py, __file__, "--write-csv", str(n), str(csv)], check=True, cwd=ROOT)
        load_before = _load()
        for r in range(repeat):
            ours, base = work / f"ours{r}.sqlite", work / f"base{r}.sqlite"
            runs["import"].append(_run([py, "-m", "geo", "sites", "import", str(csv), "--db", str(ours)]))
            runs["base_import"].append(_run([py, __file__, "--baseline-import", str(csv), str(base)]))
            runs["export"].append(_run([py, "-m", "geo", "sites", "export", "--db", str(ours)],
                                       stdout=work / "ours.csv"))
            runs["base_export"].append(_run([py, __file__, "--baseline-export", str(base), str(work / "base.csv")]))
            print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]['seconds']:.1f} s" for k, v in runs.items()),
                  file=sys.stderr)
        sizes = {"csv_mb": csv.stat().st_size / 1e6, "export_mb": (work / "ours.csv").stat().st_size / 1e6}
    return {"rows": n, "repeat": repeat, "runs": runs, "load_before": load_before, "load_after": _load(), **sizes}


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} ({min(values):.1f}-{max(values):.1f})"


def table(result: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(measure, this build, baseline, target) rows: medians with min-max."""
    runs = result["runs"]

    def col(kind: str, key: str) -> list[float]:
        return [run[key] for run in runs[kind]]

    imp, exp = statistics.median(col("import", "seconds")), statistics.median(col("export", "seconds"))
    imp_mb, exp_mb = statistics.median(col("import", "peak_mb")), statistics.median(col("export", "peak_mb"))
    n = f"{result['rows']:,}"
    return [
        (f"sites import, {n} rows, {result['csv_mb']:.0f} MB CSV: wall s", _median(col("import", "seconds")),
         _median(col("base_import", "seconds")),
         f"under {IMPORT_TARGET_S:.0f} s: {'met' if imp < IMPORT_TARGET_S else 'missed'}"),
        ("sites import: CPU s", _median(col("import", "cpu")), _median(col("base_import", "cpu")), ""),
        ("sites import: peak memory MB", _median(col("import", "peak_mb")), _median(col("base_import", "peak_mb")),
         ""),
        (f"sites export, {n} sites, {result['export_mb']:.0f} MB CSV: wall s", _median(col("export", "seconds")),
         _median(col("base_export", "seconds")),
         f"no slower than import ({imp:.1f} s): {'met' if exp <= imp else 'missed'}"),
        ("sites export: CPU s", _median(col("export", "cpu")), _median(col("base_export", "cpu")), ""),
        ("sites export: peak memory MB", _median(col("export", "peak_mb")), _median(col("base_export", "peak_mb")),
         f"no larger than import ({imp_mb:.0f} MB): {'met' if exp_mb <= imp_mb else 'missed'}"),
    ]


def main() -> None:
    if "--write-csv" in sys.argv:
        i = sys.argv.index("--write-csv")
        sys.path.insert(0, str(ROOT / "bench"))
        from site_data import ward_layer, write_site_csv

        write_site_csv(Path(sys.argv[i + 2]), ward_layer(SHARED), int(sys.argv[i + 1]), seed=2)
        return
    if "--baseline-import" in sys.argv:
        i = sys.argv.index("--baseline-import")
        baseline_import(Path(sys.argv[i + 1]), Path(sys.argv[i + 2]))
        return
    if "--baseline-export" in sys.argv:
        i = sys.argv.index("--baseline-export")
        baseline_export(Path(sys.argv[i + 1]), Path(sys.argv[i + 2]))
        return
    if not SHARED.is_dir():
        sys.exit("bench needs ../shared/data beside the checkout")
    n = int(sys.argv[sys.argv.index("--rows") + 1]) if "--rows" in sys.argv else (
        QUICK if "--quick" in sys.argv else FULL)
    repeat = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 2
    result = measure(n, repeat)
    (ROOT / "bench" / "last_commands.json").write_text(json.dumps(result, indent=2) + "\n")
    header = ("measure (median, min-max)", "this build", "baseline", "target")
    rows = table(result)
    width = [max(len(r[i]) for r in [*rows, header]) for i in range(4)]
    for row in [header, *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(row, width, strict=True)))
    print(f"{repeat} rounds, interleaved ours/baseline. Load average before: {result['load_before']}; "
          f"after: {result['load_after']}. The machine is shared: compare the columns, not other runs.")


if __name__ == "__main__":
    main()
