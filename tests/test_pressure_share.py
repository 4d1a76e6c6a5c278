"""The place-based fair share (issue 25): the model's promises, on small in-memory frames."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo import fair_share as fs
from geo import pressure_share as ps
from geo.errors import GeoError
from geo.pressures import Indicator


def _area(n: int = 6) -> pd.DataFrame:
    pops = [300_000, 150_000, 90_000, 220_000, 120_000, 60_000][:n]
    return pd.DataFrame({
        "lad_code": [f"E0600000{i}" for i in range(1, n + 1)],
        "lad_name": [f"Council {i}" for i in range(1, n + 1)],
        "region": "North West", "nation": "England",
        "population": pops,
        "supported": [900, 200, 310, 450, 100, 40][:n],
        "dispersed": [700, 150, 250, 300, 80, 30][:n],
    })


def _indicator(key: str, values: dict[str, float], higher: bool = True, **kw) -> Indicator:
    return Indicator(key=key, label=key.title(), meaning=f"{key} test", period="2025", source=f"test {key}",
                     higher_is_more_pressure=higher, values=pd.Series(values, dtype=float), **kw)


def _deprivation(area: pd.DataFrame) -> Indicator:
    return _indicator("deprivation", dict(zip(area["lad_code"], [30.0, 25.0, 12.0, 20.0, 18.0, 10.0], strict=False)))


def test_no_pressures_gives_population_shares_adding_to_the_total() -> None:
    area = _area()
    result = ps.pressure_shares(area, [_deprivation(area)], {})
    today = fs.fair_shares(area, group="region", measure="supported")
    np.testing.assert_array_equal(result.table["fair_share"].to_numpy(), today["fair_share_people"].to_numpy())
    assert result.table["fair_share"].sum() == pytest.approx(area["supported"].sum())
    assert list(result.table["status"]) == list(today["status"])
    # All weights 0 is the same as no weights.
    zero = ps.pressure_shares(area, [_deprivation(area)], {"deprivation": 0.0})
    np.testing.assert_array_equal(zero.table["fair_share"], result.table["fair_share"])


def test_raising_one_councils_pressure_lowers_its_share_and_raises_the_others() -> None:
    area = _area()
    base_values = dict.fromkeys(area["lad_code"], 20.0) | {"E06000006": 25.0}
    before = ps.pressure_shares(area, [_indicator("deprivation", base_values)], {"deprivation": 0.5})
    raised = dict(base_values) | {"E06000003": 40.0}
    after = ps.pressure_shares(area, [_indicator("deprivation", raised)], {"deprivation": 0.5})
    b = before.table.set_index("lad_code")["fair_share"]
    a = after.table.set_index("lad_code")["fair_share"]
    assert a["E06000003"] < b["E06000003"]
    others = [c for c in a.index if c != "E06000003"]
    assert (a[others] > b[others]).all()
    assert a.sum() == pytest.approx(b.sum()) == pytest.approx(area["supported"].sum())


def test_lower_is_more_pressure_is_turned_round() -> None:
    area = _area()
    ranks = _indicator("deprivation_rank", dict(zip(area["lad_code"], [1, 2, 3, 4, 5, 6], strict=False)),
                       higher=False)
    result = ps.pressure_shares(area, [ranks], {"deprivation_rank": 1.0}).table.set_index("lad_code")
    assert result.loc["E06000001", "z_deprivation_rank"] > 0  # rank 1 = most deprived = most pressure
    assert result.loc["E06000001", "multiplier"] < 1 < result.loc["E06000006", "multiplier"]


def test_the_one_in_200_cap_binds_and_the_rest_is_passed_on() -> None:
    area = _area()
    # A large burden (near the whole area at 1:200) and a strong pressure on all but the smallest council.
    area["supported"] = [2_000, 500, 300, 800, 300, 100]  # 4,000 of 4,700 room
    values = dict(zip(area["lad_code"], [40.0, 40.0, 40.0, 40.0, 40.0, 5.0], strict=False))
    result = ps.pressure_shares(area, [_indicator("deprivation", values)], {"deprivation": 2.0})
    t = result.table.set_index("lad_code")
    assert t.loc["E06000006", "capped"]
    assert t.loc["E06000006", "fair_share"] == pytest.approx(60_000 // 200)
    assert t.loc["E06000006", "fair_share_uncapped"] > t.loc["E06000006", "limit"]
    assert (t["fair_share"] <= t["limit"] + 1e-9).all()
    assert t["fair_share"].sum() == pytest.approx(area["supported"].sum())
    assert result.unplaced == 0


def test_more_than_fits_under_the_cap_is_reported_unplaced() -> None:
    area = _area(2)
    area["supported"] = [1_500, 900]  # limits 1,500 and 750: 150 cannot fit
    result = ps.pressure_shares(area, [], {})
    assert result.table["capped"].all()
    assert result.unplaced == pytest.approx(150)


def test_a_missing_figure_is_named_and_never_read_as_zero() -> None:
    area = _area()
    values = dict(zip(area["lad_code"], [30.0, 25.0, 12.0, 20.0, 18.0, 10.0], strict=False))
    values["E06000002"] = np.nan
    homeless = _indicator("homelessness", {c: 2.0 + i for i, c in enumerate(area["lad_code"])})
    result = ps.pressure_shares(area, [_indicator("deprivation", values), homeless],
                                {"deprivation": 0.4, "homelessness": 0.2})
    t = result.table.set_index("lad_code")
    assert t.loc["E06000002", "missing"] == ["deprivation"]
    assert t.loc["E06000002", "left_out"] == ["deprivation"]
    assert pd.isna(t.loc["E06000002", "value_deprivation"])
    assert pd.isna(t.loc["E06000002", "z_deprivation"])
    # Its index rests on homelessness alone, scaled up to the full weight (0.6), not on a 0 for deprivation.
    assert t.loc["E06000002", "pressure_index"] == pytest.approx(0.6 * t.loc["E06000002", "z_homelessness"])
    # Reading the blank as 0 would make it the least deprived council and change its share.
    zero = dict(values) | {"E06000002": 0.0}
    as_zero = ps.pressure_shares(area, [_indicator("deprivation", zero), homeless],
                                 {"deprivation": 0.4, "homelessness": 0.2}).table.set_index("lad_code")
    assert as_zero.loc["E06000002", "fair_share"] != pytest.approx(t.loc["E06000002", "fair_share"])
    # The mean and spread are taken over the councils with a figure only.
    known = pd.Series(values).dropna()
    expected = (30.0 - known.mean()) / known.std(ddof=0)
    assert t.loc["E06000001", "z_deprivation"] == pytest.approx(expected)
    record = {r["lad_code"]: r for r in ps.council_records(result)}["E06000002"]
    assert record["missing"] == ["deprivation"] and record["values"]["deprivation"] is None


def test_a_withheld_scheme_figure_is_missing_not_zero() -> None:
    area = _area(3)
    schemes = pd.DataFrame({"lad_code": area["lad_code"], "period": "2025-12-31",
                            "ukraine_arrivals": [1_000, pd.NA, 300], "ukraine_arrivals_marker": [None, "[c]", None],
                            "afghan_people": [50, 20, 10], "three_pathways_total": [2, 2, 2]})
    area = area.merge(ps.scheme_figures(schemes, "2025-12-31"), on="lad_code")
    result = ps.pressure_shares(area, [], {}, schemes=("asylum", "ukraine", "afghan"))
    t = result.table.set_index("lad_code")
    assert pd.isna(t.loc["E06000002", "burden"]) and pd.isna(t.loc["E06000002", "ukraine"])
    assert t.loc["E06000002", "status"] == ps.MISSING_FIGURE
    assert t.loc["E06000002", "missing"] == ["ukraine"]  # the key, as the command line promises
    assert t.loc["E06000002", "markers"] == {"ukraine": "[c]"}  # withheld, with the published marker
    assert result.total == pytest.approx(900 + 1_000 + 50 + 310 + 300 + 10)
    assert t["fair_share"].sum() == pytest.approx(result.total)


def test_schemes_chosen_are_added_and_labelled() -> None:
    area = _area(3)
    area["ukraine"] = [1_000.0, 500.0, 300.0]
    area["afghan"] = [50.0, 20.0, 10.0]
    only_ukraine = ps.pressure_shares(area, [], {}, schemes=("ukraine",))
    assert only_ukraine.total == 1_800
    assert "cumulative arrivals" in only_ukraine.rule.words
    dispersed = ps.pressure_shares(area, [], {}, measure="dispersed", schemes=("asylum", "afghan"))
    assert dispersed.total == 700 + 150 + 250 + 80


def test_uasc_is_a_rate_per_residents() -> None:
    area = _area(3)
    uasc = _indicator("uasc", {"E06000001": 30, "E06000002": 30, "E06000003": 30}, per_residents=10_000)
    t = ps.pressure_shares(area, [uasc], {"uasc": 1.0}).table.set_index("lad_code")
    assert t.loc["E06000003", "value_uasc"] == pytest.approx(30 / 90_000 * 10_000)
    assert t.loc["E06000003", "z_uasc"] > 0 > t.loc["E06000001", "z_uasc"]


def test_rule_in_words_and_formula_names_weights() -> None:
    area = _area()
    result = ps.pressure_shares(area, [_deprivation(area)], {"deprivation": 0.3}, area_name="North West")
    assert "0.3·z_deprivation" in result.rule.formula
    assert "more pressure means a smaller share" in result.rule.words.lower()
    assert "North West" in result.rule.words
    assert "population only" in ps.pressure_shares(area, [], {}).rule.words


def test_bad_weights_and_schemes_are_refused_in_one_line() -> None:
    with pytest.raises(GeoError, match="key=a number"):
        ps.parse_weights("deprivation=-1")
    with pytest.raises(GeoError, match="not key=number"):
        ps.parse_weights("deprivation=lots")
    with pytest.raises(GeoError, match="unknown"):
        ps.parse_schemes("asylum,refugees")
    assert ps.parse_weights("homelessness=0.2, deprivation:0.3") == {"homelessness": 0.2, "deprivation": 0.3}
    assert ps.parse_schemes("ukraine,asylum") == ("asylum", "ukraine")
    with pytest.raises(GeoError, match="no indicator loaded for weight"):
        ps.pressure_shares(_area(), [], {"cohesion": 1.0})


def test_status_changes_lists_councils_that_move() -> None:
    area = _area()
    values = dict(zip(area["lad_code"], [40.0, 10.0, 10.0, 10.0, 10.0, 10.0], strict=False))
    result = ps.pressure_shares(area, [_indicator("deprivation", values)], {"deprivation": 1.0})
    moved = ps.status_changes(result)
    t = result.table.set_index("lad_code")
    expected = sorted(c for c in t.index if t.loc[c, "status"] != t.loc[c, "status_population"])
    assert sorted(moved["lad_code"]) == expected and expected


def test_scheme_figures_take_the_quarter_only() -> None:
    schemes = pd.DataFrame({"lad_code": ["E06000001", "E06000001"], "period": ["2025-09-30", "2025-12-31"],
                            "ukraine_arrivals": [10, 12], "afghan_people": [1, pd.NA],
                            "three_pathways_total": [20, 25], "source": "reg02"})
    got = ps.scheme_figures(schemes, "2025-12-31")
    assert got["ukraine"].tolist() == [12.0] and pd.isna(got["afghan"].iloc[0])
    assert ps.scheme_figures(schemes, "2024-12-31").empty


def test_a_council_the_quarters_file_lacks_leaves_both_sides() -> None:
    """As geo.fair_share does (issue 23): no people figure, so its residents leave the base too."""
    area = _area(3).assign(in_file=[True, False, True])
    area.loc[1, ["supported", "dispersed"]] = np.nan
    result = ps.pressure_shares(area, [], {})
    t = result.table.set_index("lad_code")
    today = fs.fair_shares(area, group="region").set_index("lad_code")
    assert t.loc["E06000002", "status"] == today.loc["E06000002", "status"] == fs.NOT_IN_FILE
    assert pd.isna(t.loc["E06000002", "fair_share"]) and pd.isna(t.loc["E06000002", "supported"])
    for code in ("E06000001", "E06000003"):
        assert t.loc[code, "fair_share"] == pytest.approx(today.loc[code, "fair_share_people"], rel=1e-12)
    assert result.total == 900 + 310


def test_one_weight_at_a_time_names_who_each_pressure_moves() -> None:
    area = _area()
    dep = _indicator("deprivation", dict(zip(area["lad_code"], [40.0, 10.0, 10.0, 10.0, 10.0, 10.0], strict=False)))
    flat = _indicator("rents", dict.fromkeys(area["lad_code"], 500.0))
    table = ps.one_at_a_time(area, [dep, flat], {"deprivation": 1.0, "rents": 0.5}).set_index("key")
    alone = ps.status_changes(ps.pressure_shares(area, [dep, flat], {"deprivation": 1.0}))
    assert table.loc["deprivation", "councils_changing"] == len(alone) > 0
    assert table.loc["rents", "councils_changing"] == 0  # no spread: nobody moves


def test_sweep_shows_status_and_rank_moving_as_one_weight_changes() -> None:
    area = _area()
    dep = _indicator("deprivation", dict(zip(area["lad_code"], [40.0, 10.0, 10.0, 10.0, 10.0, 10.0], strict=False)))
    table = ps.sweep(area, [dep], {}, "deprivation").set_index("lad_code")
    at_zero = ps.pressure_shares(area, [dep], {}).table.set_index("lad_code")
    at_one = ps.pressure_shares(area, [dep], {"deprivation": 1.0}).table.set_index("lad_code")
    moved = sorted(c for c in at_zero.index if at_zero.loc[c, "status"] != at_one.loc[c, "status"])
    assert set(moved) <= set(table.index) and moved
    for code in table.index:
        assert table.loc[code, "status at 0"] == at_zero.loc[code, "status"]
        assert table.loc[code, "rank at 1"] == at_one.loc[code, "rank"]
    with pytest.raises(GeoError, match="no indicator 'crime'"):
        ps.sweep(area, [dep], {}, "crime")
