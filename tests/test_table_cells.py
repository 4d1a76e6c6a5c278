"""No table cell shows a raw None or nan (issue 27, finding 9): Streamlit draws every missing value
as "None", and the fair-share movement table and the site list showed it. Every page's tables go
through ``ui.tables.readable``; these tests read what each page hands Streamlit."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from apptest import run_app
from conftest import needs_shared
from ui import tables

RAW = {"None", "nan", "NaN", "<NA>", "NaT", "null"}


def _raw_cells(frame: pd.DataFrame) -> list[tuple[str, object]]:
    """(column, value) of every cell Streamlit would draw as None or that reads as a raw missing marker."""
    out = []
    for col in frame.columns:
        for value in frame[col]:
            if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)) \
                    or (isinstance(value, str) and value.strip() in RAW):
                out.append((str(col), value))
    return out


def test_readable_blanks_text_and_dashes_numbers_with_gaps() -> None:
    frame = pd.DataFrame({"name": ["A", None, np.nan], "people": [1234.0, np.nan, 5.0],
                          "ratio": [0.123, 1.5, np.nan], "whole": [1, 2, 3], "part": [None, "up", pd.NA]})
    shown, config = tables.readable(frame, {"ratio": {"label": "Times fair share", "type_config": {"format": "%.2f"}}})
    assert not _raw_cells(shown)
    assert shown["name"].tolist() == ["A", "", ""]
    assert shown["people"].tolist() == ["1,234", tables.MISSING, "5"]
    assert shown["ratio"].tolist() == ["0.12", "1.50", tables.MISSING]
    assert shown["whole"].dtype.kind == "i"  # no gaps: still numbers, still sorted as numbers
    assert config["ratio"]["label"] == "Times fair share"


def test_fair_share_movement_and_site_list_have_no_raw_none() -> None:
    """The two tables the finding names, built by their presenters, as the pages show them."""
    from ui import sites as SV

    movement = pd.DataFrame({"Authority": ["A", "B"], "Times fair share now": [1.2, np.nan],
                             "Participation, 4 quarters": pd.Series(["joined", None], dtype=object)})
    assert _raw_cells(movement)  # what reached the page before
    assert not _raw_cells(tables.readable(movement)[0])
    sites = pd.DataFrame({"reference": ["S1", "S2"], "name": ["Hotel", None], "site_type": ["hotel", "dispersed"],
                          "people": [10, np.nan], "lad_name": ["X", "X"], "ward_name": ["W", "W"],
                          "in_boundary": [True, True], "position_source": ["postcode", "postcode"]})
    assert not _raw_cells(tables.readable(SV.site_table(sites))[0])


def _shown_tables(at) -> list[pd.DataFrame]:
    frames = [d.value for d in at.dataframe]
    frames += [t.value for t in at.table]
    return [f.data if hasattr(f, "data") else f for f in frames]  # a Styler's frame


@needs_shared
@pytest.mark.parametrize("page, params", [
    (None, {"period": "2025-12-31"}),
    ("pages/council.py", {"lad": "E08000025"}),
    ("pages/council.py", {}),
    ("pages/ward.py", {"ward": "E05011170"}),
    ("pages/fair_share.py", {}),
    ("pages/sources.py", {}),
], ids=["overview", "council", "council-none", "ward", "fair-share", "sources"])
def test_no_page_table_shows_none(page, params) -> None:
    at = run_app(page, **params)
    found = _shown_tables(at)
    assert found, "no table on the page"
    bad = [cells[:3] for cells in (_raw_cells(f) for f in found) if cells]
    assert not bad, f"raw missing values in table cells: {bad}"
