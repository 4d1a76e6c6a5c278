"""One authority's figures through every surface: the same limit, over-by and quarter label everywhere.

Finding (issue 14): the screen gave Glasgow a limit of 3,251 and 631 over; the briefing pack 3,252
and over by 632 (the limit was rounded down in some places and divided exactly in others). Here
Glasgow City's figures are computed from the files (Reg_02 for the latest quarter: residents and
people in dispersed accommodation), then read back from the overview page, the council page (both
through streamlit.testing), the SVG snapshot's text, the CSV export and the briefing pack's text
(pypdfium2), and compared.
"""
from __future__ import annotations

import csv
import io
import math
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

import published_files
from apptest import run_app
from conftest import ROOT, needs_shared
from pdf_tools import pdf_text

pytestmark = needs_shared
GLASGOW = "Glasgow City"


@pytest.fixture(scope="module")
def expected(model) -> dict[str, str]:
    """Glasgow's figures at the latest quarter, straight from the Reg_02 file (whole people, limit rounded down)."""
    reg02 = published_files.reg02()
    row = reg02.set_index("lad_name").loc[GLASGOW]
    limit = math.floor(row["population"] / 200)
    assert pd.Timestamp(row["as_at"]) == model.latest_period
    return {"code": row["lad_code"], "dispersed": f"{row['dispersal_accommodation']:,}", "limit": f"{limit:,}",
            "over_by": f"{row['dispersal_accommodation'] - limit:,}",
            "limit_used": f"{row['dispersal_accommodation'] / (row['population'] / 200):.2f}",
            "quarter": f"{pd.Timestamp(row['as_at']).day} {pd.Timestamp(row['as_at']):%B %Y}"}


def _run(*args: str, data_dir: Path | None = None) -> None:
    env = {**os.environ, **({"AAM_DATA_DIR": str(data_dir)} if data_dir else {})}
    out = subprocess.run([sys.executable, "-m", "geo", *args], cwd=ROOT, capture_output=True, text=True,
                         timeout=600, env=env)
    assert out.returncode == 0, out.stderr


def test_council_page(expected):
    at = run_app("pages/council.py", lad=expected["code"])
    words = " ".join(m.value for m in at.markdown)
    box = next(m.value for m in at.markdown if "Over the 1:200 limit" in m.value)
    assert f"{expected['dispersed']} people in dispersed accommodation against a limit of {expected['limit']}" in box
    assert f"{expected['over_by']} over" in box
    assert f"figures at <b>{expected['quarter']}</b>" in words
    assert any(c.value.endswith(f"Limit: {expected['limit']} people in dispersed accommodation") or
               f"Limit: {expected['limit']} " in c.value for c in at.caption)


def test_overview(expected):
    at = run_app()
    box = next(m.value for m in at.markdown if "over the 1:200 limit" in m.value.lower() and GLASGOW in m.value)
    assert f"{expected['dispersed']} people in dispersed accommodation, limit {expected['limit']}" in box
    assert f"{expected['limit_used']} times the limit" in box
    assert any(expected["quarter"] in m.value for m in at.markdown)


def test_csv_export(expected, model, tmp_path):
    from geo import exports
    from geo.measures import lad_table

    out = exports.export_table(lad_table(model, model.latest_period), tmp_path / "table.csv",
                               provenance=model.provenance, level="lad", made_on=date.today())
    lines = [line for line in out.read_text(encoding="utf-8-sig").splitlines() if not line.startswith("#")]
    rows = {r["lad_name"]: r for r in csv.DictReader(io.StringIO("\n".join(lines)))}
    glasgow = rows[GLASGOW]
    assert f"{int(float(glasgow['capacity'])):,}" == expected["limit"]
    assert f"{int(float(glasgow['over_by'])):,}" == expected["over_by"]
    assert f"{-int(float(glasgow['headroom'])):,}" == expected["over_by"]
    assert pd.Timestamp(glasgow["period"]) == model.latest_period


def test_svg_snapshot(expected, tmp_path):
    svg = tmp_path / "map.svg"
    _run("snapshot", "--level", "lad", "--measure", "limit_used", "--out", str(svg))
    text = svg.read_text(encoding="utf-8")
    words = " ".join(re.findall(r"<!-- (.*?) -->", text)) + " " + re.sub(r"<[^>]+>", " ", text)
    assert expected["quarter"] in words
    assert GLASGOW in words and expected["limit_used"] in words


def test_briefing_pack(expected, tmp_path):
    pdf = tmp_path / "brief.pdf"
    _run("briefing", "--lad", expected["code"], "--out", str(pdf))
    text = pdf_text(pdf)  # a table row comes back as one line, cells separated by spaces
    line = next(ln for ln in text.splitlines() if GLASGOW in ln and expected["dispersed"] in ln)
    numbers = re.findall(r"\d[\d,]*(?:\.\d+)?", line)
    assert expected["limit"] in numbers and expected["over_by"] in numbers
    assert expected["quarter"] in text


def test_fair_share_headroom_uses_the_same_limit(expected, model):
    """The fair-share page's limit and headroom are whole people, the same as every other surface."""
    from geo import fair_share
    from geo.measures import lad_table

    table = lad_table(model, model.latest_period)
    room = fair_share.headroom(table).set_index("lad_name").loc[GLASGOW]
    assert f"{int(room['capacity_at_limit']):,}" == expected["limit"]
    assert f"{-int(room['headroom']):,}" == expected["over_by"]
    assert float(room["headroom"]).is_integer()


def test_briefing_pack_for_a_quarter_with_totals_only(expected, tmp_path):
    """A quarter only the totals series covers: 'not published in this release', never 'nan' or 'none over'."""
    from geo.model import load_model

    folder = tmp_path / "fallback"  # the totals series is handed over in a folder (built from the published files)
    published_files.quarterly_totals(folder)
    model = load_model(folder, allow_download=False)
    period = min(p for p in model.periods if model.period_source(p) == "quarterly_totals")
    pdf = tmp_path / "brief.pdf"
    _run("briefing", "--lad", expected["code"], "--period", period.date().isoformat(), "--out", str(pdf),
         data_dir=folder)
    text = " ".join(pdf_text(pdf).split())  # one space between words, whatever the layout
    assert "not published in this release" in text and "Not known for the" in text
    assert not re.search(r"\bnan\b", text) and "is over the limit" not in text
