"""Speed and memory benchmarks, each printed beside a baseline measured in the same run.

Run with `make bench` (needs ../shared/data). Figures are wall-clock medians on this machine;
the baseline column is the naive way the product avoids (named on each row).
"""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SHARED = ROOT.parent / "shared" / "data"
D11 = SHARED / "homeoffice" / "support-local-authority-datasets-sep-2024.xlsx"


WARDS_FILE = SHARED / "ons" / "Wards_December_2023_Boundaries_UK_BSC.geojson"


def timed(fn: Callable[[], object], repeat: int = 3) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def peak_rss_mb(code: str) -> float:
    """Peak resident memory of a fresh interpreter running code (so runs do not share memory)."""
    # VmHWM belongs to the new process image; ru_maxrss would inherit the parent's peak across exec.
    script = f"import sys; sys.path.insert(0, {str(ROOT)!r}); {code}; " \
             "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def main() -> None:
    if not SHARED.is_dir():
        sys.exit("bench needs ../shared/data beside the checkout")
    import geopandas as gpd
    import pandas as pd

    from geo.asylum_stats import read_asy_d11
    from geo.measures import lad_table
    from geo.model import load_model, web_layer

    rows: list[tuple[str, str, str, str]] = []

    ours = timed(lambda: read_asy_d11(D11), repeat=3)
    base = timed(lambda: pd.read_excel(D11, sheet_name="Data_Asy_D11", header=1, engine="openpyxl"), repeat=1)
    rows.append(("Read Asy_D11 workbook (s)", f"{ours:.2f}", f"{base:.2f}",
                 "pandas.read_excel with openpyxl, no checks"))

    with tempfile.TemporaryDirectory() as cache:
        cold = timed(lambda: load_model(cache=cache), repeat=1)
        warm = timed(lambda: load_model(cache=cache), repeat=3)
        rows.append(("Load model from cache (s)", f"{warm:.2f}", f"{cold:.2f}", "cold build from the official files"))
        model = load_model(cache=cache)
        periods = model.periods
        switch = timed(lambda: lad_table(model, periods[len(periods) // 2]), repeat=5)
        rows.append(("Change period: authority table (s)", f"{switch:.3f}", f"{warm:.2f}", "reloading the model"))
        full = gpd.read_file(SHARED / "ons" / "Wards_December_2023_Boundaries_UK_BSC.geojson").to_json()
        web = web_layer(model, "ward")[["ward_code", "ward_name", "geometry"]].to_json()
        rows.append(("All UK wards sent to browser (MB)", f"{len(web) / 1e6:.1f}", f"{len(full) / 1e6:.1f}",
                     "the published ward GeoJSON as is"))
        rss_warm = peak_rss_mb(f"from geo.model import load_model; load_model(cache={cache!r})")
        rss_base = peak_rss_mb("import geopandas as gpd, pandas as pd; "
                               f"gpd.read_file({str(WARDS_FILE)!r}); "
                               f"pd.read_excel({str(D11)!r}, sheet_name=1, engine='openpyxl')")
        rows.append(("Peak memory, load model (MB)", f"{rss_warm:.0f}", f"{rss_base:.0f}",
                     "reading the raw ward file and workbook"))

    sys.path.insert(0, str(ROOT / "bench"))
    from sites import site_rows  # site placement, import, export, sample (bench/sites.py)

    rows += site_rows(quick="--quick" in sys.argv)

    width = [max(len(r[i]) for r in rows + [("measure", "this build", "baseline", "baseline is")]) for i in range(4)]
    header = ("measure", "this build", "baseline", "baseline is")
    print("  ".join(h.ljust(w) for h, w in zip(header, width, strict=False)))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, width, strict=False)))
    out = ROOT / "bench" / "last_run.json"
    if "--save" in sys.argv:
        out.write_text(json.dumps([dict(zip(header, r, strict=False)) for r in rows], indent=1))


if __name__ == "__main__":
    main()
