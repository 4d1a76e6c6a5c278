"""ui.sites presenters the Sites page shows as big numbers: worked out here from a small table."""
from __future__ import annotations

import pandas as pd

from ui import sites as SV


def test_site_figures_count_people_and_wards() -> None:
    using = pd.DataFrame({"site_type": ["hotel", "hotel", "dispersed", "dispersed", "initial"],
                          "people": [120, "not recorded", 3, 4, 40], "lad_code": ["A", "A", "A", "B", "B"]})
    wards = pd.DataFrame({"ward_code": ["W1", "W2", "W3"], "over_threshold": [True, False, None],
                          "status": ["over 1:200", "within 1:200", "no estimate"]})
    got = SV.site_figures(using, wards)
    assert (got.in_hotels, got.in_dispersed) == (120, 7)  # a count that is not a number is not counted
    assert (got.wards, got.wards_over, got.wards_no_estimate) == (3, 1, 1)
    assert got.over_codes == {"W1"}
    empty = SV.site_figures(using.iloc[0:0], wards.iloc[0:0])
    assert (empty.in_hotels, empty.wards, empty.over_codes) == (0, 0, frozenset())


def test_maps_frame_first_the_authority_with_most_acquisitions_in_wards_already_over() -> None:
    over = pd.DataFrame({"lad_code": ["B", "B", "A", "C"], "ward_over": [True, True, False, True]})
    using = pd.DataFrame({"lad_code": ["A", "C", "C"], "people": [500, 10, 10]})
    names = {"A": "Aston", "B": "Bury", "C": "Crewe", "D": "Derby"}
    assert SV.framing_order(["A", "B", "C", "D"], over, using, names) == ["B", "C", "A", "D"]
