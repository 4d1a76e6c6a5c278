"""ui.state: URL state round trip and checking, and the labels a view is named by."""
from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from geo import text
from ui import state as views
from ui.state import ViewState

PERIODS = [pd.Timestamp(p) for p in ("2023-03-31", "2023-06-30", "2024-09-30")]
OPTIONS = dict(
    periods=PERIODS,
    nations=["England", "Northern Ireland", "Scotland", "Wales"],
    regions=["London", "North West", "Scotland", "Wales", "Yorkshire and The Humber"],
    accommodation=["Contingency Accommodation - Hotel", "Dispersal Accommodation", "Initial Accommodation",
                   "N/A - Section 98 (pre-2023)", "Subsistence Only"],
    support=["Section 4", "Section 95", "Section 98"],
)


def as_params(encoded: dict[str, str]) -> dict[str, list[str]]:
    """What st.query_params.get_all gives back for each key."""
    return {k: [v] for k, v in encoded.items()}


def test_default_state_encodes_to_nothing() -> None:
    assert views.encode(ViewState()) == {}
    state, problems = views.decode({}, **OPTIONS)
    assert state == ViewState() and problems == []


def test_full_state_round_trips_through_the_url() -> None:
    state = ViewState(measure="limit_used", period="2023-03-31", nations=("England", "Wales"),
                      regions=("Yorkshire and The Humber", "London"),
                      accommodation=("Contingency Accommodation - Hotel", "N/A - Section 98 (pre-2023)"),
                      support=("Section 95", "Section 4"), classes="natural_breaks", lad="E08000012",
                      ward="E05000932", status=("over", "no-estimate"), popmin=1000, popmax=20000, present=True)
    encoded = views.encode(state)
    assert encoded["acc"] == "hotel,n-a-section-98-pre-2023"
    assert encoded["support"] == "s95,s4"
    assert encoded["present"] == "1"
    back, problems = views.decode(as_params(encoded), **OPTIONS)
    assert problems == []
    assert back == state


def test_encode_keeps_only_the_page_fields() -> None:
    state = ViewState(measure="hotel", period="2024-09-30", lad="E08000012", ward="E05000932")
    assert views.encode(state, views.PAGE_FIELDS["council"]) == {"lad": "E08000012", "period": "2024-09-30",
                                                                 "measure": "hotel"}
    assert "lad" not in views.encode(state, views.PAGE_FIELDS["overview"])


@pytest.mark.parametrize("text", ["Sep 2024", "2024Q3", "30 Sep 2024", "2024-09-30"])
def test_period_accepts_the_forms_people_type(text: str) -> None:
    state, problems = views.decode({"period": text}, **OPTIONS)
    assert state.period == "2024-09-30" and problems == []


def test_bad_values_fall_back_and_are_explained() -> None:
    state, problems = views.decode({"measure": "wealth", "period": "2031-03-31", "region": "Atlantis,London",
                                    "lad": "Liverpool", "ward": "e05000932", "status": "over,maybe",
                                    "popmin": "lots", "present": "yes", "classes": "jenks",
                                    "support": "s95,s7"}, **OPTIONS)
    assert state.measure == views.DEFAULT_MEASURE
    assert state.period is None
    assert state.regions == ("London",)
    assert state.lad is None
    assert state.ward == "E05000932"  # codes are upper-cased, not rejected
    assert state.status == ("over",)
    assert state.popmin is None
    assert state.present is True
    assert state.classes == views.DEFAULT_CLASSES
    assert state.support == ("Section 95",)
    text = " ".join(problems)
    for word in ("wealth", "31 March 2031", "Atlantis", "Liverpool", "maybe", "lots", "jenks", "s7"):
        assert word in text


def test_names_match_any_case_and_codes() -> None:
    state, _ = views.decode({"region": "london,NORTH WEST", "acc": "Dispersed,HOTEL", "nation": "wales"},
                            **OPTIONS)
    assert state.regions == ("London", "North West")
    assert state.accommodation == ("Dispersal Accommodation", "Contingency Accommodation - Hotel")
    assert state.nations == ("Wales",)


def test_popmin_above_popmax_is_swapped() -> None:
    state, problems = views.decode({"popmin": "9000", "popmax": "100"}, **OPTIONS)
    assert (state.popmin, state.popmax) == (100, 9000) and problems


def test_signature_ignores_order_and_list_form() -> None:
    assert views.signature({"region": ["London,Wales"], "period": ["2024-09-30"]}) == \
        views.signature({"period": "2024-09-30", "region": "London,Wales"})
    assert views.signature({"period": "2024-09-30"}) != views.signature({"period": "2024-06-30"})


def test_filters_from_state() -> None:
    state = ViewState(regions=("London",), nations=("England",), support=("Section 95",))
    assert state.filters().regions == ("London",)
    local = state.filters(geographic=False)
    assert local.regions == () and local.nations == () and local.support_types == ("Section 95",)


def test_labels() -> None:
    # Quarters, changes and ranks are geo.text's (one way to write each); ui.state has none of its own.
    assert not hasattr(views, "as_at_label") and not hasattr(views, "signed") and not hasattr(views, "ordinal")
    assert text.quarter_short("2024-09-30") == "Sep 2024"
    assert text.quarter_label("2023-03-31") == "31 March 2023"
    assert text.signed(1234) == "+1,234" and text.signed(-5) == "\u22125" and text.signed(0) == "no change"
    assert text.signed(None) == "not available"
    assert [text.ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111)] == \
        ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st", "111th"]
    assert views.ward_label("Ainsdale", "Sefton", "E05000932") == "Ainsdale (Sefton) E05000932"
    assert views.ward_label("Somewhere", None, "S13000001") == "Somewhere (authority not known) S13000001"
    assert views.selection_label(replace(ViewState(), regions=("London",), support=("Section 95",))) == \
        "London; support: Section 95"


def test_ward_options_cover_every_ward() -> None:
    wards = pd.DataFrame({"ward_code": ["E1", "E2", "E3"], "ward_name": ["Park", "Abbey", "Park"],
                          "lad_name": ["York", "Bath", "Leeds"]})
    options = views.ward_options(wards)
    assert list(options) == ["E2", "E3", "E1"]  # by name, then authority
    assert options["E3"] == "Park (Leeds) E3"
