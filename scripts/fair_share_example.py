"""Write the North West example (docs/fair-share.md, and its short form in the README) from the
command line's own output.

Why a script: the example's figures must come from `python -m geo fair-share`, not be typed by
hand, and tests/test_fair_share_docs.py checks the document still matches what this prints.

    .venv/bin/python scripts/fair_share_example.py            # print the example (markdown)
    .venv/bin/python scripts/fair_share_example.py --readme   # print the README's short form
"""
from __future__ import annotations

import functools
import json
import shlex
import subprocess
import sys

REGION = "North West"
WEIGHTS = "deprivation=0.15,homelessness=0.15,affordability=0.05,rents=0.05,uasc=0.1"
COMMAND = ["fair-share", "--region", REGION, "--offline", "--json"]
BEGIN = "<!-- example: begin (scripts/fair_share_example.py) -->"
README_BEGIN = "<!-- example: begin (scripts/fair_share_example.py --readme) -->"
END = "<!-- example: end -->"


@functools.cache
def run(*extra: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "geo", *COMMAND, *extra], check=True, capture_output=True,
                         text=True)
    return json.loads(out.stdout)


def _whole(value: float | None) -> str:
    return "n/a" if value is None else f"{int(value + 0.5):,}"


def example() -> str:
    """The example as markdown: commands, weights, the two shares side by side, who changes status."""
    plain = run()
    weighted = run("--pressures", WEIGHTS)
    before = {c["lad_code"]: c for c in plain["councils"]}
    rows = sorted(weighted["councils"], key=lambda c: str(c["lad_name"]))
    lines = [BEGIN, "",
             f"Quarter {weighted['period']}, supported asylum, {REGION} (total {weighted['total']:,.0f} people).",
             "", "```", f"python -m geo {shlex.join(COMMAND)}",
             f"python -m geo {shlex.join(COMMAND)} --pressures {WEIGHTS}", "```", "",
             "Weights: " + ", ".join(f"{k} {w:g}" for k, w in weighted["weights"].items()) + ".", "",
             "| Council | Supported | Fair share, population only | Status | Fair share, pressure-weighted "
             "| Status | Pressure index | No figure for |",
             "|---|---:|---:|---|---:|---|---:|---|"]
    for c in rows:
        p = before[c["lad_code"]]
        index = "n/a" if c["pressure_index"] is None else f"{c['pressure_index']:+.2f}"
        lines.append(f"| {c['lad_name']} | {_whole(c['supported'])} | {_whole(p['fair_share'])} | {p['status']} "
                     f"| {_whole(c['fair_share'])} | {c['status']} | {index} | {', '.join(c['missing'])} |")
    moved = [c for c in rows if c["status"] != before[c["lad_code"]]["status"]]
    lines += ["", f"{len(moved)} councils change status between population only and these weights:"]
    lines += [f"- {c['lad_name']}: {before[c['lad_code']]['status']} → {c['status']}" for c in moved]
    lines += ["", END]
    return "\n".join(lines)


def readme_example() -> str:
    """The README's short form: the same two runs, only the councils whose status changes."""
    plain = run()
    weighted = run("--pressures", WEIGHTS)
    before = {c["lad_code"]: c for c in plain["councils"]}
    moved = [c for c in sorted(weighted["councils"], key=lambda c: str(c["lad_name"]))
             if c["status"] != before[c["lad_code"]]["status"]]
    lines = [README_BEGIN, "",
             f"{REGION} at {weighted['period']}, supported asylum ({weighted['total']:,.0f} people), weights "
             + ", ".join(f"{k} {w:g}" for k, w in weighted["weights"].items() if w) + ":", "",
             "| Council | Supported | Fair share, population only | Fair share, pressure-weighted | Status moves |",
             "|---|---:|---:|---:|---|"]
    for c in moved:
        p = before[c["lad_code"]]
        lines.append(f"| {c['lad_name']} | {_whole(c['supported'])} | {_whole(p['fair_share'])} "
                     f"| {_whole(c['fair_share'])} | {p['status']} → {c['status']} |")
    lines += ["", f"{len(moved)} of {len(before)} councils change status; every council's figures are in "
              "[docs/fair-share.md](docs/fair-share.md#north-west-example).", "", END]
    return "\n".join(lines)


if __name__ == "__main__":
    print(readme_example() if "--readme" in sys.argv[1:] else example())
