"""Where a page's server time goes: cProfile of one script run under streamlit.testing.

    .venv/bin/python bench/profile_page.py overview            # a quarter change on the overview
    .venv/bin/python bench/profile_page.py ward --first        # the ward page's first run

Prints the wall time of the first run and of the profiled run, then the functions with the most
cumulative time. The first run is never the profiled one unless ``--first`` is given, so
loading the model (cached per server) does not hide the per-run cost.
"""
from __future__ import annotations

import argparse
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PAGES = {"overview": None, "council": "pages/council.py", "ward": "pages/ward.py"}
LINKS = {"overview": {}, "council": {"lad": "E08000025"}, "ward": {"ward": "E05000944"}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("page", choices=list(PAGES))
    parser.add_argument("--first", action="store_true", help="profile the first run instead of a quarter change")
    parser.add_argument("--second-session", action="store_true",
                        help="profile a new session's first run on a warm server (caches filled by one before)")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    import os
    import tempfile

    from streamlit.testing.v1 import AppTest

    runs = Path(tempfile.mkdtemp(prefix="aam-profile-"))
    os.environ["AAM_PROFILE_DIR"] = str(runs)
    if args.second_session:  # fill the process-wide caches with one session, then profile the next
        warm = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        for k, v in LINKS[args.page].items():
            warm.query_params[k] = v
        if PAGES[args.page]:
            warm.switch_page(PAGES[args.page])
        warm.run()
        args.first = True
    at = AppTest.from_file(str(ROOT / "bench" / "_profiled_app.py"), default_timeout=300)
    for k, v in LINKS[args.page].items():
        at.query_params[k] = v
    if PAGES[args.page]:
        at.switch_page(f"../{PAGES[args.page]}")  # pages are found beside the main script, here bench/
    t0 = time.perf_counter()
    at.run()
    print(f"first run {time.perf_counter() - t0:.2f} s", [e.message for e in at.exception][:1])
    if not args.first:
        at.run()  # a warm run, so lazily built caches are in place
        slider = at.select_slider[0]
        options = list(slider.options)
        slider.set_value(options[-2] if slider.value == options[-1] else options[-1])
        before = len(list(runs.glob("run-*.prof")))
        t0 = time.perf_counter()
        at.run()
        print(f"quarter change run {time.perf_counter() - t0:.2f} s", [e.message for e in at.exception][:1])
        files = sorted(runs.glob("run-*.prof"))[before:]
    else:
        files = sorted(runs.glob("run-*.prof"))
    pstats.Stats(*map(str, files)).sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
