"""Issue 23 finding 2: "not published" reaches every surface; a gap is never 0, 'nan' or a silent blank.

Uses the fixture model (tests/figures_fixtures.py): from December 2024 to September 2025 only the
totals series speaks, so nobody's dispersed figure (and so nobody's 1:200 status) is published,
and Barnsley and Sheffield are not in the file at all.
"""
from __future__ import annotations

import re
from datetime import date

import pytest

from figures_fixtures import figures_model
from geo import gaps, measures
from geo.render import static_map as sm
from geo.render.classify import classify
from geo.render.legend import choropleth_legend
from pdf_tools import pdf_text

SEP_2025 = "2025-09-30"


@pytest.fixture(scope="module")
def figures():
    return figures_model()


def test_over_limit_is_not_published_not_zero(figures):
    table = measures.lad_table(figures, SEP_2025)
    count, gap = measures.over_state(figures, table)
    assert count is None and gap == gaps.NOT_PUBLISHED
    sentence = measures.over_gap_sentence(figures, SEP_2025, gap)
    assert "not published in this release" in sentence and "No council" not in sentence
    key = choropleth_legend(classify(table["per_1000"]), "x", over=gap,
                            gaps=measures.gap_counts(figures, table, "per_1000"))
    assert "Over the 1:200 limit</b> (not published in this release)" in key
    assert "(0)" not in key


def test_each_missing_figure_says_why(figures):
    table = measures.lad_table(figures, SEP_2025).set_index("lad_code", drop=False)
    per = measures.gap_states(figures, table, "per_1000")
    assert per["E08000016"] == gaps.NOT_IN_FILE and per["E08000035"] == ""  # Barnsley; Leeds has a figure
    assert per["W06000001"] == gaps.NO_ESTIMATE  # Anglesey is in the file, with no population
    assert (measures.gap_states(figures, table, "dispersed") == gaps.NOT_PUBLISHED).all()
    assert measures.gap_states(figures, table, "supported_change_y")["E08000016"] == gaps.NOT_IN_FILE


def test_snapshot_key_says_not_published_and_not_in_this_file(figures, tmp_path):
    """The PDF said '0 authorities' over the limit and 'No estimate' though every council had a population."""
    out = sm.snapshot(figures, measure="per_1000", period=SEP_2025, out=tmp_path / "map.pdf",
                      made_on=date(2026, 1, 5))
    words = " ".join(pdf_text(out).split())
    assert "Over the 1:200 limit (not published in this release)" in words
    assert "Not in this file (2 authorities)" in words
    assert not re.search(r"\(0 authorities\)", words)
    assert "No estimate (1 authority)" in words  # Anglesey, the one council with no population


def test_csv_and_geojson_say_which_blank_is_which(figures, tmp_path):
    """In CSV exports the same blank meant 'not published' and 'not in this file'."""
    import json

    import pandas as pd

    from ui import exports as ER

    table = measures.lad_table(figures, SEP_2025)
    cols = ["lad_code", "lad_name", "population", "supported", "dispersed", "limit_used", "supported_change_y"]
    request = ER.TableRequest("councils", "lad", date(2026, 1, 5), fmt="csv", period=SEP_2025, columns=tuple(cols))
    csv_path = ER.make_table(figures, request, table[cols], tmp_path)[0]
    rows = pd.read_csv(csv_path, dtype=str, comment="#").set_index("lad_code")
    assert rows.at["E08000016", "supported"] == gaps.NOT_IN_FILE       # Barnsley: not in the totals series
    assert rows.at["E08000035", "dispersed"] == gaps.NOT_PUBLISHED     # Leeds: the series gives totals only
    assert rows.at["W06000001", "population"] == gaps.NO_ESTIMATE
    assert not rows.isna().any().any()  # no silent blank
    notes = json.loads(csv_path.with_name(csv_path.stem + ".sources.json").read_text())["notes"]
    assert any(n.startswith(f"'{gaps.NOT_IN_FILE}'") for n in notes)
    geo_request = ER.TableRequest("councils", "lad", date(2026, 1, 5), fmt="geojson", period=SEP_2025,
                                  columns=tuple(cols))
    feature = next(f for f in json.loads(ER.make_table(figures, geo_request, table[cols], tmp_path)[0].read_text())
                   ["features"] if f["properties"]["lad_code"] == "E08000016")
    assert feature["properties"]["supported"] is None
    assert feature["properties"]["supported_gap"] == gaps.NOT_IN_FILE


def test_blank_table_cells_on_screen_have_their_reason_beside_them(figures):
    table = measures.lad_table(figures, SEP_2025)
    notes = measures.blank_notes(figures, table, ["supported", "dispersed", "per_1000"], {"supported": "Supported"})
    assert "Supported: not in this file (2 councils)." in notes
    assert "Dispersed: not published in this release (7 councils)." in notes
    assert any(n.startswith("Per 1000:") and "no estimate (1 council)" in n for n in notes)
