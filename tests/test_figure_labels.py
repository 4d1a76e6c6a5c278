"""Issue 23 finding 5: every label, cover and source line names the files and releases behind the figures.

Uses the fixture model (tests/figures_fixtures.py): Asy_D11 to September 2024, the totals series
to September 2025 (no Barnsley or Sheffield rows), Reg_02 at December 2025.
"""
from __future__ import annotations

import pandas as pd
import pytest

from figures_fixtures import figures_model
from geo import caveats, gaps, measures
from geo.render import briefing
from geo.render import static_map as sm
from ui import fair_share as fair_view

DEC_2025, SEP_2025, MAR_2019 = pd.Timestamp("2025-12-31"), pd.Timestamp("2025-09-30"), pd.Timestamp("2019-03-31")


@pytest.fixture(scope="module")
def figures():
    return figures_model()


def _row(figures, period, code):
    return measures.lad_table(figures, period).set_index("lad_code", drop=False).loc[code]


@pytest.mark.parametrize("period", [DEC_2025, SEP_2025])
def test_briefing_cover_names_the_release_of_its_quarter(figures, period):
    """The cover said 'year ending September 2024' (Asy_D11's release) on December and September 2025 packs."""
    release = briefing.cover_release(figures, period)
    assert "September 2024" not in release
    assert figures.provenance[figures.period_source(period)].release in release


def test_source_lines_name_the_totals_file_when_it_supplied_the_figures(figures):
    ids = sm.map_sources("lad", False, figures.period_source(SEP_2025))
    assert ids[0] == "quarterly_totals"
    assert "quarterly-totals-fixture.csv" in sm.source_text(figures, ids)


def test_subsistence_caveat_counts_four_quarters():
    line = next(c for c in caveats.CAVEATS if c.startswith("Subsistence-only"))
    assert "four quarters (December 2023 to September 2024)" in line


def test_share_of_region_is_never_nan(figures):
    """At Sep 2025 the council view read 'Sheffield holds nan%'."""
    table = measures.lad_table(figures, SEP_2025)
    sheffield = measures.share_sentence(figures, table, "E08000019")
    assert "nan" not in sheffield and gaps.NOT_IN_FILE in sheffield
    leeds = measures.share_sentence(figures, table, "E08000035")
    assert "holds" in leeds and "%" in leeds and "nan" not in leeds


def test_movement_note_does_not_call_a_loaded_quarter_before_the_series(figures):
    note = fair_view.movement_gap(figures, DEC_2025, 4)
    assert "before the series starts" not in note
    assert "31 December 2024" in note and gaps.NOT_PUBLISHED in note


def test_ward_view_gives_the_contingency_figure_the_file_publishes(figures):
    """At Dec 2025 the ward view said hotels were 'not published' and left out the contingency figure."""
    row = _row(figures, DEC_2025, "E08000012")
    phrase = measures.contingency_phrase(figures, row)
    assert phrase == f"**{int(row['contingency']):,}** in contingency accommodation (hotels and other sites)"


def test_card_help_for_an_unpublished_figure_does_not_describe_a_split(figures):
    """The Mar 2019 overview's hotel help described a split that quarter does not have."""
    heads = measures.headline(figures, MAR_2019)
    assert pd.isna(heads["hotel"].value)
    help_text = measures.gap_help(figures, MAR_2019, "hotel")
    assert "does not give contingency hotels by council for 31 March 2019" in help_text
    assert "not other contingency sites" not in help_text
