"""The place-based fair share's link state and presenters (issue 25), without a browser."""
from __future__ import annotations

import pandas as pd

from geo import pressure_share as ps
from geo.pressures import Indicator
from ui import pressure_share as pview
from ui import state as views


def test_weights_schemes_and_places_round_trip_through_the_link() -> None:
    state = views.ViewState(weights=(("deprivation", 0.3), ("uasc", 0.1)), schemes=("asylum", "afghan"), places=250)
    params = views.encode(state, views.PAGE_FIELDS["fair-share"])
    assert params == {"w": "deprivation:0.3,uasc:0.1", "schemes": "asylum,afghan", "places": "250"}
    back, problems = views.decode(params)
    assert not problems and (back.weights, back.schemes, back.places) == (state.weights, state.schemes, 250)
    none, _ = views.decode({"w": "none"})
    assert none.weights == () and views.encode(none) == {"w": "none"}
    default, _ = views.decode({})
    assert default.weights is None and "w" not in views.encode(default)


def test_a_bad_link_says_what_it_left_out() -> None:
    state, problems = views.decode({"w": "deprivation:-1,uasc:0.2,Bad Key:1", "schemes": "asylum,refugees",
                                    "places": "lots"})
    assert state.weights == (("uasc", 0.2),)
    assert state.schemes == ("asylum",) and state.places == views.DEFAULT_PLACES
    assert any("deprivation:-1" in p for p in problems) and any("refugees" in p for p in problems)
    assert any("places 'lots'" in p for p in problems)


def test_slider_defaults_are_the_memorandum_and_a_plain_link_stays_short() -> None:
    keys = ["deprivation", "homelessness", "affordability", "rents", "uasc", "resettlement"]
    start = pview.weights_from_state(None, keys)
    assert start == {k: ps.MEMORANDUM_WEIGHTS.get(k, 0.0) for k in keys}
    assert pview.weights_for_state(start) is None  # the defaults leave the link as it is
    assert pview.weights_for_state(dict.fromkeys(keys, 0.0)) == ()
    assert pview.weights_for_state({**start, "uasc": 0.2})[-1] == ("uasc", 0.2)


def test_factors_table_names_the_missing_and_the_contributions() -> None:
    area = pd.DataFrame({"lad_code": ["E06000001", "E06000002", "E06000003"], "lad_name": ["A", "B", "C"],
                         "region": "R", "nation": "England", "population": [100_000, 200_000, 300_000],
                         "supported": [100, 200, 300], "dispersed": [50, 100, 150]})
    ind = Indicator(key="deprivation", label="Deprivation", meaning="m", period="p", source="s",
                    higher_is_more_pressure=True, values=pd.Series({"E06000001": 30.0, "E06000003": 10.0}))
    result = ps.pressure_shares(area, [ind], {"deprivation": 0.5})
    table = pview.factors_display(result).set_index("Code")
    assert table.loc["E06000002", "No figure for"] == "deprivation"
    assert pd.isna(table.loc["E06000002", "Deprivation: value"])
    assert table.loc["E06000001", "Deprivation: part of index"] == 0.5  # z = +1 of two figures, weight 0.5
    assert "B (deprivation)" in pview.missing_sentence(result)
