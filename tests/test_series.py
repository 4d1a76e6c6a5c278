"""geo.series: every quarter's headline figures agree with geo.measures.headline and the file."""
from __future__ import annotations

import math

import pandas as pd

from geo.series import national_series


def test_national_series_matches_headline_every_quarter(model) -> None:
    from geo.measures import Filters, headline

    for filters in (Filters(), Filters(regions=("London",)), Filters(support_types=("Section 4",)),
                    Filters(accommodation_types=("Dispersal Accommodation",), nations=("Wales",))):
        frame = national_series(model, filters).set_index("period")
        assert list(frame.index) == model.periods
        for period in model.periods[::6] + [model.latest_period]:
            heads = headline(model, period, filters)
            for name in ("supported", "hotel", "contingency", "dispersed", "over"):
                got, want = frame.at[period, name], heads[name].value
                assert got == want or (pd.isna(got) and pd.isna(want)), (filters, period, name)


def test_national_series_uk_totals_are_the_file_totals(model) -> None:
    from geo.asylum_stats import read_asy_d11

    table = read_asy_d11(model.provenance["asy_d11"].path).table
    got = national_series(model).set_index("period")
    for period, rows in table.groupby("period"):
        assert got.at[period, "supported"] == rows["people"].sum()
        assert got.at[period, "dispersed"] == \
            rows.loc[rows["accommodation_type"] == "Dispersal Accommodation", "people"].sum()
        hotel = rows.loc[rows["accommodation_type"] == "Contingency Accommodation - Hotel", "people"]
        if period < table.loc[table["accommodation_type"] == "Contingency Accommodation - Hotel", "period"].min():
            assert hotel.empty and math.isnan(got.at[period, "hotel"])  # not published, not zero
        else:
            assert got.at[period, "hotel"] == hotel.sum()
    assert not math.isnan(got["over"].sum())
