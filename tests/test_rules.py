"""The 1:200 limit and its rounding, written once (geo.rules)."""
import math

import pandas as pd

from geo import rules


def test_capacity_is_whole_people_rounded_down():
    # Glasgow-like: 650,300 residents allow 3,251.5 exactly, so 3,251 whole people.
    assert rules.capacity(650_300) == 3251
    assert rules.headroom(3883, 650_300) == -632
    assert rules.over_by(3883, 650_300) == 632
    assert rules.over_threshold(3883, 650_300) is True


def test_at_the_limit_is_within_and_one_more_is_over():
    assert rules.over_threshold(3, 600) is False
    assert rules.over_threshold(4, 600) is True
    assert rules.status(3, 600) == rules.WITHIN


def test_no_population_is_no_estimate_never_zero():
    for missing in (None, float("nan"), 0, "n/a"):
        assert math.isnan(rules.capacity(missing))
        assert rules.over_threshold(5, missing) is None
        assert rules.status(5, missing) == rules.NO_ESTIMATE


def test_series_and_scalars_agree():
    residents = pd.Series([600, 650_300, None, 1000])
    dispersed = pd.Series([4, 3000, 2, 5])
    over = rules.over_threshold(dispersed, residents)
    assert list(over.astype(object).where(over.notna(), None)) == [True, False, None, False]
    assert list(rules.status(dispersed, residents)) == [
        rules.status(d, r) for d, r in zip(dispersed, [600, 650_300, None, 1000], strict=True)]


def test_status_after_adding_people():
    assert rules.status_after(2, 1, 600) == rules.AFTER_WITHIN
    assert rules.status_after(2, 2, 600) == rules.AFTER_WOULD_GO_OVER
    assert rules.status_after(4, 1, 600) == rules.AFTER_ALREADY_OVER
    assert rules.status_after(0, 1, None) == rules.AFTER_NO_ESTIMATE
    after = rules.status_after(pd.Series([2, 2, 4, 0]), 2, pd.Series([600, 1000, 600, None]))
    assert list(after) == [rules.AFTER_WOULD_GO_OVER, rules.AFTER_WITHIN,
                           rules.AFTER_ALREADY_OVER, rules.AFTER_NO_ESTIMATE]
