"""One answer for an authority's 1:200 limit wherever it is read: screen, map tooltip, static map, PDF.

Issue 11 found Glasgow's limit as 3,251 on screen and 3,252 in the briefing pack: the screen
rounded residents / 200 down, the pack rounded it to the nearest whole number, and the over-by
figures followed suit (174 and 174.5 read two ways). Glasgow City is the test case because its
residents (650,300 in Reg_02) put residents / 200 exactly on a half. The expected figures are
worked out here from the shared Reg_02 file, not through ``geo.rules``.
"""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

import published_files
from apptest import run_app
from conftest import needs_shared
from pdf_tools import pdf_text

pytestmark = needs_shared

GLASGOW = "S12000049"
MADE_ON = date(2026, 1, 15)


@pytest.fixture(scope="module")
def glasgow() -> dict[str, object]:
    """Residents and dispersed people from the newest Reg_02 file; the limit in whole people."""
    row = published_files.reg02().set_index("lad_code").loc[GLASGOW]
    residents, dispersed = int(row["population"]), int(row["dispersal_accommodation"])
    limit = residents // 200  # the most whole people within one per 200 residents
    assert residents % 200 >= 100, "Glasgow no longer sits on the rounding edge; pick another authority"
    return {"period": pd.Timestamp(row["as_at"]), "residents": residents, "dispersed": dispersed,
            "limit": limit, "over_by": dispersed - limit, "used": f"{dispersed / (residents / 200):.2f}",
            "name": row["lad_name"]}


def test_council_screen_and_its_tooltip(model, glasgow) -> None:
    from geo.measures import lad_table
    from geo.render.classify import classify
    from ui import layers as L

    assert glasgow["dispersed"] > glasgow["limit"]  # over: the screen says by how much
    at = run_app("pages/council.py", lad=GLASGOW, period=glasgow["period"].date().isoformat())
    captions = " ".join(c.value for c in at.caption)
    markdown = " ".join(m.value for m in at.markdown)
    assert f"Limit: {glasgow['limit']:,} people in dispersed accommodation" in captions
    assert f"against a limit of {glasgow['limit']:,} ({glasgow['residents']:,} residents" in markdown
    assert f"{glasgow['over_by']:,} over." in markdown
    assert {m.label: m.value for m in at.metric}["Against 1:200 limit"] == glasgow["used"]

    table = lad_table(model, glasgow["period"])
    tips = L.lad_properties(table, "limit_used", classify(table["limit_used"])).set_index("lad_code")
    assert tips.at[GLASGOW, "t_limit"] == (f"1:200: {glasgow['used']} of the limit of {glasgow['limit']:,}, "
                                           f"over by {glasgow['over_by']:,}")


def test_static_map(model, glasgow) -> None:
    from geo.render import static_map as sm

    content = sm.map_content(model, measure="limit_used", period=glasgow["period"], region="Scotland")
    assert (glasgow["name"], glasgow["used"]) in sm.ranking_lines(content, n=40)
    row = content.areas.set_index("code").loc[GLASGOW]
    assert bool(row["over"])


def test_briefing_pack(model, glasgow, tmp_path) -> None:
    from geo.render.briefing import briefing_pack

    out = briefing_pack(model, lad_code=GLASGOW, period=glasgow["period"], out=tmp_path / "glasgow.pdf",
                        made_on=MADE_ON)
    words = " ".join(pdf_text(out).split())
    # The over-the-limit table: residents, dispersed, limit, limit used, over by.
    row = (f"{glasgow['name']} Scotland {glasgow['residents']:,} {glasgow['dispersed']:,} "
           f"{glasgow['limit']:,} {glasgow['used']} {glasgow['over_by']:,}")
    assert row in words, words[:3000]
