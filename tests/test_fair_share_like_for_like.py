"""Issue 23 findings 3 and 4: the fair-share page and briefing on the same councils and the same limit.

Built from small frames at test time (the shape ``geo.measures.lad_table`` gives), so nothing here
needs the hand-made totals file the findings were made with.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo import fair_share as fs
from geo import rules
from ui import fair_share as view

LIVERPOOL_RESIDENTS = 508_961  # 2,544.8 people at 1:200: the limit is 2,544, never 2,545
GLASGOW_RESIDENTS = 650_300    # 3,251.5 people at 1:200: the limit is 3,251, never 3,252


def _frame(rows: list[tuple[str, str, float, float, bool]]) -> pd.DataFrame:
    """lad_table-shaped rows: code, region, residents, supported (NaN = a gap), in_file."""
    return pd.DataFrame({
        "lad_code": [r[0] for r in rows], "lad_name": [r[0] for r in rows],
        "region": [r[1] for r in rows], "nation": "England",
        "population": [r[2] for r in rows], "supported": [r[3] for r in rows],
        "dispersed": [0.0 if not np.isnan(r[3]) else np.nan for r in rows],
        "hotel": [0.0 if not np.isnan(r[3]) else np.nan for r in rows],
        "in_file": [r[4] for r in rows]})


@pytest.mark.parametrize("residents", [LIVERPOOL_RESIDENTS, GLASGOW_RESIDENTS])
def test_allocation_table_limit_is_rounded_down_as_everywhere_else(residents):
    """Finding 3: the allocation table showed Liverpool 2,545 (and Glasgow 3,252) against 2,544 (3,251)."""
    area = pd.DataFrame({"lad_code": ["X"], "lad_name": ["X"], "population": [float(residents)],
                         "dispersed": [100.0], "hotel": [0.0], "supported": [100.0]})
    result = fs.allocate(area, 10)
    shown = view.allocation_display(result, area)
    limit_col = next(c for c in shown.columns if c.startswith("Limit (residents"))
    expected = int(rules.capacity(residents))
    assert int(shown[limit_col].iloc[0]) == expected
    room = view.headroom_display(view.authority_summary(area, group=None))
    assert int(room[limit_col].iloc[0]) == expected  # the headroom table on the same page agrees


def test_region_not_credited_with_residents_of_councils_the_file_lacks():
    """Finding 4: Yorkshire read 0.94 'below' because Barnsley's residents counted and its people did not."""
    frame = _frame([("Leeds", "Yorkshire", 1_000_000, 2600, True),
                    ("Barnsley", "Yorkshire", 500_000, np.nan, False),
                    ("Bristol", "South West", 1_000_000, 2000, True)])
    regions = fs.region_shares(frame).set_index("region")
    yorkshire = regions.loc["Yorkshire"]
    # Like for like: 4,600 people over 2,000,000 residents; Yorkshire's 1,000,000 -> fair share 2,300.
    assert yorkshire["population"] == 1_000_000
    assert yorkshire["fair_share_people"] == pytest.approx(2300)
    assert yorkshire["ratio_to_fair"] == pytest.approx(2600 / 2300)
    assert yorkshire["status"] == fs.ABOVE
    assert yorkshire["authorities_not_compared"] == 1
    assert regions.attrs["authorities_not_compared"] == {"Barnsley": fs.NOT_IN_FILE}


def test_council_not_in_file_is_out_of_its_regions_base_and_says_why():
    frame = _frame([("Leeds", "Yorkshire", 1_000_000, 2000, True),
                    ("Barnsley", "Yorkshire", 500_000, np.nan, False),
                    ("York", "Yorkshire", 1_000_000, 2000, True)])
    shares = fs.fair_shares(frame).set_index("lad_code")
    assert shares.loc["Leeds", "status"] == fs.AT  # 2,000 of 4,000 people, half the compared residents
    assert shares.loc["Barnsley", "status"] == fs.NOT_IN_FILE
    assert np.isnan(shares.loc["Barnsley", "supported"])  # never read as 0 people
    assert np.isnan(shares.loc["Barnsley", "fair_share_people"])
    summary = view.authority_summary(frame.reset_index(drop=True), group="region")
    assert "1 cannot be compared (not in this file)" in view.status_sentence(summary, "Yorkshire", "supported")


def test_frames_without_in_file_still_read_nan_as_nobody():
    """Other callers (the property check) pass frames where a missing count means nobody there."""
    frame = _frame([("A", "R", 1000, 10, True), ("B", "R", 1000, np.nan, True)]).drop(columns="in_file")
    shares = fs.fair_shares(frame).set_index("lad_code")
    assert shares.loc["B", "supported"] == 0 and shares.loc["B", "status"] == fs.BELOW


def test_briefing_fair_share_page_at_a_totals_only_quarter():
    """The briefing's table at a quarter only the totals series covers (fixture model, no shared files)."""
    from figures_fixtures import figures_model
    from geo.render import briefing

    model = figures_model()
    sel = briefing.Selection(model, "E08000035", None, "2025-09-30")  # Leeds, Yorkshire and The Humber
    _, rows, _ = briefing.fair_share_rows(model, sel)
    barnsley = next(r for r in rows if r[0] == "Barnsley")
    assert barnsley[2] == fs.NOT_IN_FILE and barnsley[-1] == fs.NOT_IN_FILE  # never 0 people, never compared
    sentence = briefing.not_compared_sentence(model, sel.period)
    assert "Barnsley and Sheffield: not in this file" in sentence
    uk_rows = briefing.fair_share_rows(model, briefing.Selection(model, None, None, "2025-09-30"))[1]
    yorkshire = next(r for r in uk_rows if r[0] == "Yorkshire and The Humber")
    assert yorkshire[1] == "820,000"  # Leeds' residents only: Barnsley's and Sheffield's left out with their people
