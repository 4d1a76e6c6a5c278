"""Site-record speed and memory (issue 17), each beside a baseline measured in the same run.

* placement: ``geo.sites.join.place`` against a plain ``geopandas.sjoin(predicate="within")`` on
  the same positions and wards (points/s, memory added), and how many positions disagree where
  ``within`` finds exactly one ward (must be 0);
* import: ``import_sites`` of an N-row CSV against "read the CSV with pandas + sjoin + one
  executemany insert" (rows/s, peak memory of the whole process);
* export: the current sites as CSV (``sites export``) against the time the import took;
* the illustrative sample: written and imported (as the Sites page's button does) against the
  10 s target.

Every measure runs in a fresh interpreter (``--worker``), so peak memory (VmHWM) is its own;
CPU seconds (user + system) are printed beside wall time because the machine may be shared.
Run: ``.venv/bin/python bench/sites.py [--rows N] [--quick]`` (quick: 100,000 rows instead of
1,000,000); ``bench/run.py`` calls ``site_rows`` for the same table.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
FULL, QUICK = 1_000_000, 100_000


def _status(key: str) -> float:
    """A /proc/self/status figure in MB (VmRSS now, VmHWM the peak so far)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(key):
                return int(line.split()[1]) / 1024
    return float("nan")


def _cpu() -> float:
    """CPU seconds (user + system) of this process: steadier than wall time on a shared machine."""
    import resource

    use = resource.getrusage(resource.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime


def _wards():
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    from site_data import ward_layer

    return ward_layer(SHARED)


def worker(kind: str, n: int, work: Path) -> dict[str, Any]:
    """One measure in this (fresh) process; returns seconds and memory figures."""
    import pandas as pd
    from site_data import site_points, write_site_csv

    wards = _wards()
    if kind in ("place", "sjoin", "agree"):
        import geopandas as gpd

        from geo.sites.join import place

        lon, lat = site_points(wards, n, seed=1)
        small = pd.DataFrame({"longitude": lon[:5000], "latitude": lat[:5000]})
        place(small, wards)                                    # both warm: prepared wards, built index
        gpd.sjoin(gpd.GeoDataFrame(geometry=gpd.points_from_xy(small["longitude"], small["latitude"]), crs=4326),
                  wards, predicate="within")
        before = _status("VmRSS")
        start, cpu = time.perf_counter(), _cpu()
        if kind == "place":
            place(pd.DataFrame({"longitude": lon, "latitude": lat}), wards)
        else:
            points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=4326)
            joined = gpd.sjoin(points, wards[["ward_code", "geometry"]], predicate="within", how="left")
        seconds = time.perf_counter() - start
        result: dict[str, Any] = {"seconds": seconds, "cpu": _cpu() - cpu, "added_mb": _status("VmHWM") - before}
        if kind == "agree":
            ours = place(pd.DataFrame({"longitude": lon, "latitude": lat}), wards)["ward_code"].to_numpy()
            counts = joined.index.value_counts()
            single = joined[joined.index.map(counts) == 1]["ward_code"].dropna()
            result["checked"] = int(len(single))
            result["differ"] = int((ours[single.index.to_numpy()] != single.to_numpy()).sum())
        return result
    if kind == "csv":
        path = work / f"sites_{n}.csv"
        start = time.perf_counter()
        write_site_csv(path, wards, n, seed=2)
        return {"seconds": time.perf_counter() - start, "bytes": path.stat().st_size}
    path = work / f"sites_{n}.csv"
    if kind == "import":
        from geo.sites.export import sites_csv
        from geo.sites.importer import import_sites
        from geo.sites.store import SiteStore

        db = work / "ours.sqlite"
        start, cpu = time.perf_counter(), _cpu()
        result = import_sites(path, db, wards)
        seconds, cpu = time.perf_counter() - start, _cpu() - cpu
        peak = _status("VmHWM")
        start, export_cpu = time.perf_counter(), _cpu()
        text = sites_csv(SiteStore(db).current_sites())
        export, export_cpu = time.perf_counter() - start, _cpu() - export_cpu
        return {"seconds": seconds, "cpu": cpu, "peak_mb": peak, "rows": result.read, "accepted": result.accepted,
                "export_seconds": export, "export_cpu": export_cpu, "export_bytes": len(text)}
    if kind == "baseline":
        import sqlite3

        import geopandas as gpd

        start, cpu = time.perf_counter(), _cpu()
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        lon = pd.to_numeric(frame["Longitude"], errors="coerce").to_numpy()
        lat = pd.to_numeric(frame["Latitude"], errors="coerce").to_numpy()
        points = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs=4326)
        joined = gpd.sjoin(points, wards, predicate="within", how="left")
        joined = joined[~joined.index.duplicated()].drop(columns=["geometry"]).astype(object)
        joined = joined.where(joined.notna(), None)
        conn = sqlite3.connect(work / "base.sqlite")
        cols = list(joined.columns)
        conn.execute(f"CREATE TABLE sites ({', '.join(f'c{i}' for i in range(len(cols)))})")
        conn.executemany(f"INSERT INTO sites VALUES ({', '.join('?' * len(cols))})",
                         joined.itertuples(index=False, name=None))
        conn.commit()
        conn.close()
        return {"seconds": time.perf_counter() - start, "cpu": _cpu() - cpu, "peak_mb": _status("VmHWM")}
    if kind == "sample":
        from geo.asylum_stats import read_reg02
        from geo.sites.importer import import_sites
        from geo.sites.sample import totals_from_reg02, write_sample

        reg02 = SHARED / "homeoffice" / "regional-and-local-authority-dataset-dec-2025.ods"
        start = time.perf_counter()
        totals = totals_from_reg02(read_reg02(reg02))
        written = write_sample(work, wards, totals, seed=0)
        result = import_sites(written, work / "sample.sqlite", wards)
        return {"seconds": time.perf_counter() - start, "rows": result.read}
    raise SystemExit(f"unknown measure {kind}")


def _run(kind: str, n: int, work: Path) -> dict[str, Any]:
    # the product's own caps: a million-row CSV must import with the defaults (only more rows need more)
    env = dict(os.environ, AAM_MAX_ROWS=str(max(n, 1_000_000)))
    out = subprocess.run([sys.executable, __file__, "--worker", kind, str(n), str(work)], capture_output=True,
                         text=True, env=env, cwd=ROOT)
    if out.returncode != 0:
        raise RuntimeError(f"bench worker {kind} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def site_rows(quick: bool = False, n: int | None = None) -> list[tuple[str, str, str, str]]:
    """(measure, this build, baseline, baseline is) rows for the site pipeline."""
    n = n or (QUICK if quick else FULL)
    rows: list[tuple[str, str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="aam-bench-sites-") as tmp:
        work = Path(tmp)
        ours, base = _run("place", n, work), _run("sjoin", n, work)
        agree = _run("agree", min(n, 200_000), work)
        rows.append((f"Place {n:,} sites in wards (points/s)", f"{n / ours['seconds']:,.0f}",
                     f"{n / base['seconds']:,.0f}", f"geopandas.sjoin within; {ours['seconds'] / base['seconds']:.2f}x "
                     f"its time; {agree['differ']} of {agree['checked']:,} answers differ"))
        rows.append(("Place: CPU seconds", f"{ours['cpu']:.1f}", f"{base['cpu']:.1f}", "geopandas.sjoin within"))
        rows.append(("Memory added by placing (MB)", f"{ours['added_mb']:.0f}", f"{base['added_mb']:.0f}",
                     "geopandas.sjoin within"))
        made = _run("csv", n, work)
        mine, plain = _run("import", n, work), _run("baseline", n, work)
        rows.append((f"Import {n:,}-row CSV ({made['bytes'] / 1e6:.0f} MB) (rows/s)",
                     f"{n / mine['seconds']:,.0f} ({mine['seconds']:.1f} s)",
                     f"{n / plain['seconds']:,.0f} ({plain['seconds']:.1f} s)",
                     "pandas.read_csv + sjoin + one executemany insert, no checks, no history"))
        rows.append(("Import: CPU seconds (user + system)", f"{mine['cpu']:.1f}", f"{plain['cpu']:.1f}",
                     "the same baseline"))
        rows.append(("Import peak memory, whole process (MB)", f"{mine['peak_mb']:.0f}", f"{plain['peak_mb']:.0f}",
                     "the same baseline"))
        rows.append((f"Export {mine['accepted']:,} current sites as CSV (s; CPU s)",
                     f"{mine['export_seconds']:.1f}; {mine['export_cpu']:.1f}",
                     f"{mine['seconds']:.1f}; {mine['cpu']:.1f}", "importing them (target: export no slower)"))
        sample = _run("sample", n, work)
        rows.append((f"Illustrative sample, write + import {sample['rows']:,} rows (s)", f"{sample['seconds']:.1f}",
                     "10.0", "the issue's target"))
    return rows


def main() -> None:
    if "--worker" in sys.argv:
        i = sys.argv.index("--worker")
        kind, n, work = sys.argv[i + 1], int(sys.argv[i + 2]), Path(sys.argv[i + 3])
        sys.path.insert(0, str(ROOT))
        sys.path.insert(0, str(ROOT / "bench"))
        print(json.dumps(worker(kind, n, work)))
        return
    if not SHARED.is_dir():
        sys.exit("bench needs ../shared/data beside the checkout")
    n = int(sys.argv[sys.argv.index("--rows") + 1]) if "--rows" in sys.argv else None
    rows = site_rows(quick="--quick" in sys.argv, n=n)
    header = ("measure", "this build", "baseline", "baseline is")
    width = [max(len(r[i]) for r in [*rows, header]) for i in range(4)]
    for row in [header, *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(row, width, strict=True)))


if __name__ == "__main__":
    main()
