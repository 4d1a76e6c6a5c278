"""Shared colour classes: the screen and the snapshots must agree, and the 1:200 limit is a class edge."""
from __future__ import annotations

import pandas as pd
import pytest

from geo.render.classify import NO_DATA, classify, hex_to_rgba


def test_quantiles_give_k_classes_and_cover_every_value():
    values = pd.Series(range(1, 101), dtype=float)
    classes = classify(values, "quantiles", k=5)
    assert len(classes.bins) == 5 and classes.bins[-1] == 100
    counts = classes.colour_of(values).value_counts()
    assert len(counts) == 5 and counts.min() == 20
    assert classes.legend_title == "Quantiles"


def test_missing_values_are_no_data_grey_and_zeros_read_as_zero():
    values = pd.Series([0, 0, 0, 0, 0, 0, 1, 2, 3, 5, 8, 13, 40, None])
    classes = classify(values, "quantiles", k=5)
    assert classes.labels[0] == "0"
    assert all(label.startswith("over ") for label in classes.labels[1:])
    assert classes.colour_of(values).iloc[-1] == NO_DATA


def test_natural_breaks_separate_clusters():
    values = pd.Series([1, 1.1, 1.2, 10, 10.5, 11, 50, 51, 52.0])
    classes = classify(values, "natural_breaks", k=3)
    assert classes.bins == pytest.approx((1.2, 11, 52))
    assert classes.legend_title.startswith("Natural breaks")


@pytest.mark.parametrize("measure, limit", [("limit_used", 1.0), ("dispersal_ratio", 1 / 200)])
def test_limit_measures_make_the_limit_a_class_edge_whatever_the_method(measure, limit):
    values = pd.Series([0.1, 0.3, 0.6, 0.9, 1.0, 1.01, 3.0]) * limit
    for method in ("quantiles", "natural_breaks"):
        classes = classify(values, method, measure=measure)
        colours = classes.colour_of(values)
        over = colours == classes.colours[-1]
        assert list(over) == [False, False, False, False, False, True, True]  # exactly at the limit is not over
        assert classes.labels[-1] == "over the 1:200 limit" and classes.method == "limit_quarters"


def test_hex_to_rgba():
    assert hex_to_rgba("#ff0080", 10) == [255, 0, 128, 10]


def test_no_values_at_all_make_no_classes_and_everything_grey():
    classes = classify(pd.Series([None, None], dtype=float))
    assert classes.labels == () and list(classes.colour_of(pd.Series([1.0, None]))) == [NO_DATA, NO_DATA]
