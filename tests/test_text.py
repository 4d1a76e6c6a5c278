"""Figures are written one way everywhere (geo.text)."""
from geo import text


def test_quarter_label_is_one_form():
    assert text.quarter_label("2024-09-30") == "30 September 2024"
    assert text.as_at("2025-12-31") == "at 31 December 2025"


def test_signed_changes_carry_their_sign():
    assert text.signed(171) == "+171"
    assert text.signed(-94) == "\u221294"
    assert text.signed(0) == "no change"
    assert text.signed(None) == "not available"
    assert text.signed(float("nan")) == "not available"


def test_people_are_whole_and_missing_is_no_estimate():
    assert text.people(1386.9) == "1,387"
    assert text.people(None) == "no estimate"


def test_ranks_mark_ties():
    assert text.rank_text(22, 27, tied=True) == "=22nd of 27"
    assert text.rank_text(3, 27) == "3rd of 27"
    assert text.ordinal(113) == "113th"
