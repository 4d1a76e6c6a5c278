"""geo.views: URL state round trip and checking, labels, map framing, neighbours, national series."""
from __future__ import annotations

import math
from dataclasses import replace

import pandas as pd
import pytest

from geo import views
from geo.views import ViewState
from conftest import SHARED

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
    for word in ("wealth", "Mar 2031", "Atlantis", "Liverpool", "maybe", "lots", "jenks", "s7"):
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
    assert views.quarter_label("2024-09-30") == "Sep 2024"
    assert views.as_at_label("2023-03-31") == "31 March 2023"
    assert views.signed(1234) == "+1,234" and views.signed(-5) == "-5" and views.signed(0) == "no change"
    assert views.signed(None) == "not available"
    assert [views.ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111)] == \
        ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st", "111th"]
    assert views.ward_label("Ainsdale", "Sefton", "E05000932") == "Ainsdale (Sefton) E05000932"
    assert views.ward_label("Somewhere", None, "S13000001") == "Somewhere (authority not known) S13000001"
    assert views.selection_label(replace(ViewState(), regions=("London",), support=("Section 95",))) == \
        "London; support: Section 95"


def test_fit_view_contains_the_bounds() -> None:
    uk = (-8.65, 49.86, 1.77, 60.86)
    view = views.fit_view(uk, width_px=600, height_px=700)
    # Half the visible span at this zoom must cover half the bounds in both directions.
    world_px = 512 * 2 ** view["zoom"]
    half_lon = 300 / world_px * 360
    assert half_lon >= (uk[2] - uk[0]) / 2 * 0.99
    assert uk[1] < view["latitude"] < uk[3]
    small = views.fit_view((-3.01, 53.40, -2.98, 53.42), width_px=600, height_px=600)
    assert small["zoom"] > view["zoom"] + 5
    assert views.fit_view((0, 0, 0, 0))["zoom"] == 13.0  # a point gets the maximum zoom


def test_ward_options_cover_every_ward() -> None:
    wards = pd.DataFrame({"ward_code": ["E1", "E2", "E3"], "ward_name": ["Park", "Abbey", "Park"],
                          "lad_name": ["York", "Bath", "Leeds"]})
    options = views.ward_options(wards)
    assert list(options) == ["E2", "E3", "E1"]  # by name, then authority
    assert options["E3"] == "Park (Leeds) E3"


# --- with the official files ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def model():
    if not SHARED.is_dir():
        pytest.skip("../shared/data (the official files) is not beside this checkout")
    from geo.model import load_model

    return load_model(allow_download=False)


def test_neighbours_touch_and_are_mutual(model) -> None:
    wards = model.wards
    code = wards.loc[wards["ward_name"] == "Ainsdale", "ward_code"].iloc[0]
    near = views.neighbours(wards, code)
    assert 2 <= len(near) <= 15
    assert code not in set(near["ward_code"])
    assert (near["shared_m"] > 0).all()
    own = wards.loc[wards["ward_code"] == code, "geometry"].iloc[0]
    for geom in wards.set_index("ward_code").loc[near["ward_code"], "geometry"]:
        assert own.buffer(0.001).intersects(geom)  # within about 60 m (degrees)
    for other in near["ward_code"]:
        assert code in set(views.neighbours(wards, other)["ward_code"])
    far = wards[~wards.intersects(own.buffer(0.05))]
    assert not set(far["ward_code"]) & set(near["ward_code"])


def test_neighbours_of_unknown_ward(model) -> None:
    with pytest.raises(KeyError):
        views.neighbours(model.wards, "E05999999")


def test_national_series_matches_headline_every_quarter(model) -> None:
    from geo.measures import Filters, headline

    for filters in (Filters(), Filters(regions=("London",)), Filters(support_types=("Section 4",)),
                    Filters(accommodation_types=("Dispersal Accommodation",), nations=("Wales",))):
        series = views.national_series(model, filters).set_index("period")
        assert list(series.index) == model.periods
        for period in model.periods[::6] + [model.latest_period]:
            heads = headline(model, period, filters)
            for name in ("supported", "hotel", "dispersed", "over"):
                got, want = series.at[period, name], heads[name].value
                assert got == want or (pd.isna(got) and pd.isna(want)), (filters, period, name)


def test_national_series_uk_totals_are_the_file_totals(model) -> None:
    from geo.asylum_stats import read_asy_d11

    table = read_asy_d11(model.provenance["asy_d11"].path).table
    series = views.national_series(model).set_index("period")
    for period, rows in table.groupby("period"):
        assert series.at[period, "supported"] == rows["people"].sum()
        assert series.at[period, "dispersed"] == \
            rows.loc[rows["accommodation_type"] == "Dispersal Accommodation", "people"].sum()
        hotel = rows.loc[rows["accommodation_type"] == "Contingency Accommodation - Hotel", "people"]
        if period < table.loc[table["accommodation_type"] == "Contingency Accommodation - Hotel", "period"].min():
            assert hotel.empty and math.isnan(series.at[period, "hotel"])  # not published, not zero
        else:
            assert series.at[period, "hotel"] == hotel.sum()
    assert not math.isnan(series["over"].sum())
