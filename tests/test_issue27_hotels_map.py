"""Issue 27 finding 3: 'In hotels' at a quarter whose file gives hotels only with other contingency
sites maps that figure, labelled as such, never an empty grey map keyed 'Quantiles, 0 groups'."""
from __future__ import annotations

import pandas as pd
import pytest

from apptest import run_app
from conftest import needs_shared

pytestmark = needs_shared


def _split_missing(model) -> pd.Timestamp:
    from geo import measures

    for period in reversed(model.periods):
        if not measures.measure_published(model.stats, "hotel", period) and \
                measures.measure_published(model.stats, "contingency", period):
            return period
    pytest.skip("no loaded quarter gives contingency without the hotel split")


def test_the_hotels_map_shows_contingency_at_such_a_quarter(model) -> None:
    period = _split_missing(model)
    at = run_app(measure="hotel", period=period.date().isoformat())
    key = next(m.value for m in at.markdown if "aam-legend" in m.value)
    assert "contingency accommodation (hotels and other sites)" in key
    assert "0 groups" not in key and "Classes:" in key
    assert any("map shows contingency accommodation" in c.value for c in at.caption)


def test_the_snapshot_is_of_the_map_shown_and_every_key_says_why_grey(model) -> None:
    from datetime import date

    from geo.render.classify import classify
    from geo.render.legend import choropleth_legend
    from geo.render.maps.content import map_content
    from ui import exports as ER

    period = _split_missing(model)
    at = run_app(measure="hotel", period=period.date().isoformat())
    state = at.session_state["_view"]
    assert state.measure == "hotel"  # the choice stays; what the map and its snapshot draw is contingency
    assert any(c.value.startswith("Shows: People in contingency accommodation") for c in at.caption)
    from geo import measures

    shown = measures.map_measure(model.stats, state.measure, period)
    request = ER.map_request(state, made_on=date.today(), measure=shown)
    content = map_content(model, measure=request.measure, period=period)
    assert content.measure == "contingency" and content.classes.labels
    empty = classify(pd.Series([float("nan")] * 3), method="quantiles", k=5)
    html = choropleth_legend(empty, "People in contingency hotels", gaps={"not published in this release": 3})
    assert "0 groups" not in html and "every area is grey" in html and "Not published in this release: 3" in html
