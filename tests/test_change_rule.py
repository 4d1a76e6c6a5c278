"""Issue 23 finding 1: every headline change is like for like, equals the councils' own changes and says so.

The fixture model (tests/figures_fixtures.py) has the situation the finding was made in: the totals
series has no Barnsley or Sheffield rows, Reg_02 has every council, and Asy_D11 counts people with
no council recorded.
"""
from __future__ import annotations

import pandas as pd
import pytest

from figures_fixtures import figures_model
from geo import changes, measures

DEC_2025, SEP_2025, DEC_2024, SEP_2024 = "2025-12-31", "2025-09-30", "2024-12-31", "2024-09-30"


@pytest.fixture(scope="module")
def figures():
    return figures_model()


@pytest.mark.parametrize("period", [DEC_2025, SEP_2025, DEC_2024, SEP_2024])
@pytest.mark.parametrize("span", ["q", "y"])
def test_headline_change_is_the_sum_of_the_council_changes(figures, period, span):
    """At Dec 2025 the headline said -3,064 on the quarter while the councils' own changes summed to -4,619."""
    heads = measures.headline(figures, period)
    table = measures.lad_table(figures, period)
    change = getattr(heads["supported"], f"change_{span}")
    assert change == pytest.approx(table[f"supported_change_{span}"].sum())


def test_change_names_the_councils_the_earlier_file_lacks(figures):
    q = measures.headline(figures, DEC_2025)["supported"].q
    assert q.councils == 5 and q.only_now == ("Barnsley", "Sheffield")
    words = q.words()
    assert "change over the 5 councils in both releases" in words
    assert "Barnsley and Sheffield not in the earlier file" in words
    assert "quarterly totals series" in words  # the file the base comes from is named


def test_year_change_base_is_the_councils_shown_for_that_quarter(figures):
    """Sep 2025 on the year was taken against 'people placed in councils', not the Sep 2024 figures shown."""
    now = measures.lad_table(figures, SEP_2025).set_index("lad_code")
    then = measures.lad_table(figures, SEP_2024).set_index("lad_code")
    both = now.index[now["supported"].notna()]
    expected = (now.loc[both, "supported"] - then.loc[both, "supported"]).sum()
    y = measures.headline(figures, SEP_2025)["supported"].y
    assert y.value == pytest.approx(expected)
    assert y.only_before == ("Barnsley", "Sheffield") and "Asy_D11" in y.words()


def test_no_like_for_like_base_reads_not_comparable(figures):
    """Dispersed at Dec 2025 against Sep 2025 (totals only): no number, and the reason."""
    q = measures.headline(figures, DEC_2025)["dispersed"].q
    assert q.value is None and q.figure() == changes.NOT_COMPARABLE
    assert q.words().startswith("not comparable: dispersed accommodation not published in the earlier release")


def test_councils_over_the_limit_are_not_compared_with_an_unpublished_quarter(figures):
    """A quarter with no dispersed figure has no 1:200 status: not 'within', so no change in the count."""
    over = measures.headline(figures, DEC_2025)["over"]
    assert over.value == 1 and over.change_q is None


def test_council_change_needs_both_quarters():
    now = pd.Series([10.0, 5.0, float("nan")])
    before = pd.Series([4.0, float("nan"), 3.0])
    out = changes.council_change(now, before)
    assert out.iloc[0] == 6 and out.iloc[1:].isna().all()


def test_a_councils_missing_change_says_why(figures):
    """The council view: Barnsley at Dec 2025 has no base in the totals series, and says so."""
    table = measures.lad_table(figures, DEC_2025)
    barnsley = table[table["lad_code"] == "E08000016"]
    q = measures.table_change(figures, barnsley, DEC_2025, "supported", "q",
                              measures.Filters(regions=("Yorkshire and The Humber",)))
    assert q.value is None
    assert q.words() == "not comparable: Barnsley not in the earlier file"


def test_change_notes_say_each_explanation_once(figures):
    notes = measures.change_notes(measures.headline(figures, "2024-06-30"), ["supported", "hotel", "dispersed"],
                                  not_comparable=False)
    assert len(notes) == 2  # on the quarter and on the year: their bases differ
    assert notes[0].startswith("People supported and in dispersed accommodation, on the quarter: change over")
