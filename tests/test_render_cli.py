"""`python -m geo snapshot|briefing` make the same files as the library, and fail in one line."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MADE_ON = "2025-03-12"




def run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "geo", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def test_cli_snapshot_matches_library(model, tmp_path) -> None:
    from geo.asylum_stats import HOTEL
    from geo.measures import published
    from geo.render.static_map import snapshot

    period = max(p for p in model.periods if published(model.stats, HOTEL, p)).date().isoformat()
    out = tmp_path / "cli.svg"
    done = run("snapshot", "--level", "lad", "--region", "Wales", "--measure", "hotel", "--aspect", "A4",
               "--period", period, "--dpi", "72", "--made-on", MADE_ON, "--offline", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(out)
    same = snapshot(model, region="Wales", measure="hotel", period=period, aspect="A4", dpi=72,
                    out=tmp_path / "lib.svg", made_on=date.fromisoformat(MADE_ON))
    from geo.access.tracing import embedded_id, fingerprint, sha256

    # The CLI's file is the library's plus its export stamp (geo.access.tracing); without the stamp, identical.
    # A text format's fingerprint is taken on normalised lines (a re-saved copy still traces), so the
    # library's file is compared the same way.
    assert embedded_id(out.read_bytes()) and fingerprint(out.read_bytes(), "svg") == fingerprint(same.read_bytes(),
                                                                                                    "svg")
    assert sha256(same.read_bytes()) != sha256(out.read_bytes())  # the stamp is there


def test_cli_briefing_for_an_authority(model, tmp_path) -> None:
    out = tmp_path / "pack.pdf"
    done = run("briefing", "--lad", "E06000001", "--made-on", MADE_ON, "--offline", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("args, message", [
    (("snapshot", "--measure", "per1000", "--out", "x.png"), "did you mean per_1000"),
    (("snapshot", "--measure", "hotel", "--lad", "Liverpol", "--offline", "--out", "x.png"),
     "E08000012 Liverpool"),
    (("snapshot", "--measure", "hotel", "--region", "Nowhere", "--offline", "--out", "x.png"),
     "regions: East Midlands"),
    (("briefing", "--region", "Wales", "--offline", "--out", "x.docx"), "name the output .pdf"),
])
def test_cli_errors_are_one_line(model, tmp_path, args, message) -> None:
    done = run(*[a if a != "x.png" else str(tmp_path / a) for a in args])
    assert done.returncode == 2
    assert message in done.stderr
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1


def test_hotel_map_for_a_quarter_before_hotels_were_published_is_refused(tmp_path):
    out = subprocess.run([sys.executable, "-m", "geo", "snapshot", "--level", "lad", "--measure", "hotel",
                          "--period", "2021-03-31", "--out", str(tmp_path / "h.png")],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode != 0 and "Traceback" not in out.stderr
    assert "not published by local authority for 2021-03-31" in out.stderr
    assert not (tmp_path / "h.png").exists()
