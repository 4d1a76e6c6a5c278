"""Fair share, headroom and allocation checked against answers worked out by hand."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from geo.errors import DataError
from geo.fair_share import (
    ABOVE,
    AT,
    BELOW,
    NO_POPULATION,
    AllocationResult,
    allocate,
    fair_shares,
    headroom,
    movement,
    participation,
    region_shares,
)


def lads(rows: list[tuple]) -> pd.DataFrame:
    """rows: (code, region, population, supported, dispersed, hotel)."""
    frame = pd.DataFrame(rows, columns=["lad_code", "region", "population", "supported",
                                        "dispersed", "hotel"])
    frame["lad_name"] = "Name " + frame["lad_code"]
    frame["nation"] = "England"
    frame["population"] = frame["population"].astype(float)
    return frame


def row(frame: pd.DataFrame, code: str) -> pd.Series:
    return frame.set_index("lad_code").loc[code]


# ------------------------------------------------------------------ fair_shares


def test_equal_populations_equal_people_are_at_fair_share():
    # Two authorities of 1,000 people each, 10 supported each: group total 20 over 2,000
    # residents, so each fair share is 20 × 1000/2000 = 10 = actual; ratio 1.
    out = fair_shares(lads([("A", "R", 1000, 10, 0, 0), ("B", "R", 1000, 10, 0, 0)]))
    assert out["fair_share_people"].tolist() == [10.0, 10.0]
    assert out["ratio_to_fair"].tolist() == [1.0, 1.0]
    assert out["status"].tolist() == [AT, AT]
    assert out["share_of_group_people"].tolist() == [0.5, 0.5]


def test_unequal_populations():
    # A 1,000 residents, B 3,000; 20 supported each, group total 40 over 4,000 residents.
    # Fair A = 40 × 1000/4000 = 10, fair B = 40 × 3000/4000 = 30.
    # A: difference +10, ratio 2.0 (above); B: difference −10, ratio 20/30 (below).
    out = fair_shares(lads([("A", "R", 1000, 20, 0, 0), ("B", "R", 3000, 20, 0, 0)]))
    a, b = row(out, "A"), row(out, "B")
    assert a["share_of_group_population"] == 0.25 and b["share_of_group_population"] == 0.75
    assert a["share_of_group_people"] == 0.5 and b["share_of_group_people"] == 0.5
    assert a["fair_share_people"] == 10 and b["fair_share_people"] == 30
    assert a["difference_people"] == 10 and b["difference_people"] == -10
    assert a["ratio_to_fair"] == 2.0 and b["ratio_to_fair"] == pytest.approx(2 / 3)
    assert (a["status"], b["status"]) == (ABOVE, BELOW)
    # Fair shares always add back up to the people compared.
    assert out["fair_share_people"].sum() == out["supported"].sum()


def test_tolerance_band():
    # Equal populations, 10.4 vs 9.6 people: fair 10 each, ratios 1.04 and 0.96 are
    # within ±5% ("at"); with a 2% tolerance they are above / below.
    frame = lads([("A", "R", 1000, 10.4, 0, 0), ("B", "R", 1000, 9.6, 0, 0)])
    assert fair_shares(frame)["status"].tolist() == [AT, AT]
    assert fair_shares(frame, tolerance=0.02)["status"].tolist() == [ABOVE, BELOW]


def test_groups_are_separate_and_measure_selectable():
    # Region R: A(1000, dispersed 2) and B(1000, dispersed 6) → fair 4 each.
    # Region S: C alone → always exactly its own fair share.
    frame = lads([("A", "R", 1000, 9, 2, 0), ("B", "R", 1000, 9, 6, 0),
                  ("C", "S", 5000, 1, 1, 0)])
    out = fair_shares(frame, measure="dispersed")
    assert out["fair_share_people"].tolist() == [4.0, 4.0, 1.0]
    assert out["status"].tolist() == [BELOW, ABOVE, AT]
    # group=None compares against the whole input: total 9 dispersed over 7,000 residents,
    # so C's fair share is 9 × 5000/7000.
    uk = fair_shares(frame, group=None, measure="dispersed")
    assert row(uk, "C")["fair_share_people"] == pytest.approx(9 * 5000 / 7000)


def test_no_population_estimate_is_kept_reported_and_excluded_from_base():
    # Same as the unequal case plus C with no estimate holding 7 people. C is kept with
    # its 7 people shown, status "no population estimate", NaN shares; A and B are
    # compared exactly as before (fair 10 and 30), and the 7 are reported.
    frame = lads([("A", "R", 1000, 20, 0, 0), ("B", "R", 3000, 20, 0, 0),
                  ("C", "R", np.nan, 7, 0, 0)])
    out = fair_shares(frame)
    assert len(out) == 3
    c = row(out, "C")
    assert c["status"] == NO_POPULATION
    assert c["supported"] == 7
    assert math.isnan(c["fair_share_people"]) and math.isnan(c["ratio_to_fair"])
    assert row(out, "A")["fair_share_people"] == 10 and row(out, "B")["fair_share_people"] == 30
    assert out["group_people_without_population"].tolist() == [7.0, 7.0, 7.0]
    assert out.attrs["people_without_population"] == 7
    assert out.attrs["authorities_without_population"] == ["C"]


def test_zero_people_in_group_is_at_fair_share_not_nan_status():
    out = fair_shares(lads([("A", "R", 1000, 0, 0, 0), ("B", "R", 3000, np.nan, 0, 0)]))
    # Missing counts read as 0; fair share 0 → ratio NaN but both 0 is "at fair share".
    assert out["fair_share_people"].tolist() == [0.0, 0.0]
    assert out["ratio_to_fair"].isna().all()
    assert out["status"].tolist() == [AT, AT]


def test_bad_inputs_named():
    with pytest.raises(DataError, match="population"):
        fair_shares(pd.DataFrame({"lad_code": ["A"], "supported": [1]}))
    with pytest.raises(ValueError):
        fair_shares(lads([("A", "R", 1000, 1, 1, 0)]), measure="asylum")


# ---------------------------------------------------------------- region_shares


def test_region_shares_against_uk_sum_to_one():
    # Region X = A(1000, 20) + B(3000, 20): 40 people, 4,000 residents.
    # Region Y = C(4000, 10): 10 people, 4,000 residents. UK: 50 people, 8,000 residents.
    # Fair X = 50 × 4000/8000 = 25 (actual 40, ratio 1.6); fair Y = 25 (actual 10, 0.4).
    frame = lads([("A", "X", 1000, 20, 0, 0), ("B", "X", 3000, 20, 0, 0),
                  ("C", "Y", 4000, 10, 0, 0)])
    out = region_shares(frame).set_index("region")
    assert out.loc["X", "fair_share_people"] == 25 and out.loc["Y", "fair_share_people"] == 25
    assert out.loc["X", "ratio_to_fair"] == 1.6 and out.loc["Y", "ratio_to_fair"] == 0.4
    assert (out.loc["X", "status"], out.loc["Y", "status"]) == (ABOVE, BELOW)
    assert out["share_of_group_people"].sum() == pytest.approx(1.0)
    assert out["share_of_group_population"].sum() == pytest.approx(1.0)
    assert out.loc["X", "authorities"] == 2


def test_region_shares_with_missing_population_and_devolved_nation():
    # D has no estimate: its 5 people are reported for region X, not compared.
    # W has no English region, so its nation (Wales) stands in as its "region".
    frame = lads([("A", "X", 1000, 20, 0, 0), ("B", "X", 3000, 20, 0, 0),
                  ("D", "X", np.nan, 5, 0, 0), ("C", "Y", 4000, 10, 0, 0),
                  ("W", None, 2000, 5, 0, 0)])
    frame.loc[frame["lad_code"] == "W", "nation"] = "Wales"
    out = region_shares(frame).set_index("region")
    assert set(out.index) == {"X", "Y", "Wales"}
    assert out.loc["X", "supported"] == 45 and out.loc["X", "people_without_population"] == 5
    assert out.loc["X", "compared_people"] == 40
    # UK compared: 55 people over 10,000 → X fair = 55 × 4000/10000 = 22.
    assert out.loc["X", "fair_share_people"] == pytest.approx(22)
    assert out["share_of_group_people"].sum() == pytest.approx(1.0)
    assert out["share_of_group_population"].sum() == pytest.approx(1.0)
    assert out.attrs["people_without_population"] == 5


# --------------------------------------------------------------------- headroom


def test_headroom_and_include_hotels():
    # A: 2,000 residents → capacity 2000/200 = 10; dispersed 4 → headroom 6.
    #    With hotels (3) counted → 7 counted, headroom 3.
    # B: 1,000 residents → capacity 5; dispersed 8 → headroom −3, over the limit.
    # C: no estimate → NaN capacity/headroom, over_limit NA.
    frame = lads([("A", "R", 2000, 7, 4, 3), ("B", "R", 1000, 8, 8, 0),
                  ("C", "R", np.nan, 1, 1, 0)])
    out = headroom(frame)
    assert out["capacity_at_limit"].tolist()[:2] == [10.0, 5.0]
    assert out["headroom"].tolist()[:2] == [6.0, -3.0]
    assert out["over_limit"].tolist()[:2] == [False, True]
    assert pd.isna(out["over_limit"].iloc[2]) and math.isnan(out["headroom"].iloc[2])
    assert out["ratio_per_resident"].iloc[0] == 4 / 2000
    assert out["residents_per_person"].iloc[0] == 500
    with_hotels = headroom(frame, include_hotels=True)
    assert with_hotels["counted"].iloc[0] == 7 and with_hotels["headroom"].iloc[0] == 3
    # A different limit: 1 per 500 → A capacity 4, headroom 0, not over (exactly at limit).
    at500 = headroom(frame, limit_per=500)
    assert at500["headroom"].iloc[0] == 0 and not at500["over_limit"].iloc[0]


# ---------------------------------------------------------------- participation


def test_participation():
    frame = lads([("A", "R", 2000, 7, 4, 3), ("B", "R", 1000, 3, 0, 3),
                  ("C", "R", 1000, 0, 0, 0)])
    out = participation(frame)
    assert out["participating"].tolist() == [True, False, False]
    assert out["hotel_only"].tolist() == [False, True, False]
    assert out["participation"].tolist() == ["taking part", "not taking part", "not taking part"]


# --------------------------------------------------------------------- movement


def _history() -> pd.DataFrame:
    # Region R: A and B, 2,000 residents each (capacity 10 at 1:200). supported = dispersed.
    # 2024 Q4 (latest): A 6, B 2 → fair 4 each → ratios 1.5, 0.5; headroom 4, 8.
    # 2023 Q4 (4q ago): A 4, B 4 → ratios 1, 1; headroom 6, 6.
    # 2022 Q4 (8q ago, dated 30 Nov to show matching is by quarter): A 5, B 0 →
    #   fair 2.5 each → ratios 2, 0; headroom 5, 10; B not taking part then.
    # Region S: C appears only in the latest period (a new code) → NaN changes.
    rows = []
    for period, a, b in [("2024-12-31", 6, 2), ("2023-12-31", 4, 4), ("2022-11-30", 5, 0)]:
        rows += [(period, "A", "R", 2000, a, a, 0), (period, "B", "R", 2000, b, b, 0)]
    rows.append(("2024-12-31", "C", "S", 1000, 1, 1, 0))
    frame = pd.DataFrame(rows, columns=["period", "lad_code", "region", "population",
                                        "supported", "dispersed", "hotel"])
    frame["period"] = pd.to_datetime(frame["period"])
    frame["lad_name"] = frame["lad_code"]
    frame["nation"] = "England"
    return frame


def test_movement_over_4_and_8_quarters():
    history = _history()
    periods = sorted(history["period"].unique())
    out = movement(history, periods=periods).set_index("lad_code")
    assert out.loc["A", "ratio_to_fair"] == 1.5 and out.loc["B", "ratio_to_fair"] == 0.5
    assert out.loc["A", "ratio_to_fair_change_4q"] == pytest.approx(0.5)
    assert out.loc["B", "ratio_to_fair_change_4q"] == pytest.approx(-0.5)
    assert out.loc["A", "headroom_change_4q"] == -2 and out.loc["B", "headroom_change_4q"] == 2
    assert out.loc["A", "participation_change_4q"] == "unchanged"
    assert out.loc["A", "ratio_to_fair_change_8q"] == pytest.approx(-0.5)
    assert out.loc["B", "ratio_to_fair_change_8q"] == pytest.approx(0.5)
    assert out.loc["A", "headroom_change_8q"] == -1 and out.loc["B", "headroom_change_8q"] == -2
    assert out.loc["B", "participation_change_8q"] == "started"
    assert not out.loc["B", "participating_8q_ago"]
    # C did not exist earlier: every change is missing, not zero.
    assert math.isnan(out.loc["C", "ratio_to_fair_change_4q"])
    assert math.isnan(out.loc["C", "headroom_change_8q"])
    assert pd.isna(out.loc["C", "participation_change_4q"])
    assert out.attrs["compared_periods"][4] == pd.Timestamp("2023-12-31")


def test_movement_missing_earlier_period_and_latest_from_periods():
    history = _history()
    # 12 quarters back is not in the history: NaN throughout.
    out = movement(history, periods=list(history["period"].unique()), quarters=(4, 12))
    assert out["ratio_to_fair_change_12q"].isna().all()
    assert out["participation_change_12q"].isna().all()
    assert out.attrs["compared_periods"][12] is None
    # The latest period comes from `periods`, not the history: treat 2023 Q4 as "now",
    # so 4 quarters back (2022 Q4) exists and 8 back does not.
    out = movement(history, periods=[pd.Timestamp("2023-12-31")]).set_index("lad_code")
    assert set(out.index) == {"A", "B"}
    assert out.loc["A", "ratio_to_fair_change_4q"] == pytest.approx(1 - 2)
    assert out["headroom_change_8q"].isna().all()
    with pytest.raises(DataError):
        movement(history, periods=[pd.Timestamp("2030-03-31")])


# --------------------------------------------------------------------- allocate


def alloc_frame(rows: list[tuple]) -> pd.DataFrame:
    """rows: (code, population, dispersed, hotel)."""
    return lads([(c, "R", p, d + h, d, h) for c, p, d, h in rows])


def allocated(result: AllocationResult) -> dict[str, int]:
    return dict(zip(result.table["lad_code"], result.table["allocated"], strict=True))


def test_allocate_equal_populations():
    # Two authorities of 20,000 (room for 100 each), none counted: 10 new → 5 and 5.
    r = allocate(alloc_frame([("A", 20000, 0, 0), ("B", 20000, 0, 0)]), 10)
    assert allocated(r) == {"A": 5, "B": 5}
    assert (r.placed, r.unplaced) == (10, 0)
    assert not r.table["capped"].any()


def test_allocate_unequal_populations():
    # 30,000 and 10,000 residents → 3:1. 20 new → 15 and 5.
    r = allocate(alloc_frame([("A", 30000, 0, 0), ("B", 10000, 0, 0)]), 20)
    assert allocated(r) == {"A": 15, "B": 5}
    assert r.table["counted_after"].tolist() == [15, 5]
    assert r.table["ratio_after"].tolist() == [15 / 30000, 5 / 10000]


def test_allocate_rounding_sums_exactly():
    # Three equal authorities, 10 new → 3⅓ each. Floors give 3+3+3 = 9; the one left goes
    # to the largest remainder; remainders tie, populations tie, so the code decides: A.
    r = allocate(alloc_frame([("A", 10000, 0, 0), ("B", 10000, 0, 0), ("C", 10000, 0, 0)]), 10)
    assert allocated(r) == {"A": 4, "B": 3, "C": 3}
    assert r.placed == 10 and r.table["allocated"].sum() == 10
    # Unequal 1:2:7 (10,000/20,000/70,000 residents). 7 new → 0.7, 1.4, 4.9.
    # Floors 0+1+4 = 5; two left go to remainders 0.9 (C) and 0.7 (A) → 1, 1, 5.
    r = allocate(alloc_frame([("A", 10000, 0, 0), ("B", 20000, 0, 0), ("C", 70000, 0, 0)]), 7)
    assert allocated(r) == {"A": 1, "B": 1, "C": 5}


def test_allocate_authority_already_over_gets_nothing_and_excess_passes_on():
    # A: 10,000 residents → capacity 50, already 60 counted → over, gets 0 (capped).
    # B: 10,000 → 50 places; C: 30,000 → 150 places. 40 new.
    # First round by population 1:1:3 → 8, 8, 24; A cannot take its 8, so the 40 are shared
    # between B and C in proportion 1:3 → 10 and 30.
    r = allocate(alloc_frame([("A", 10000, 60, 0), ("B", 10000, 0, 0), ("C", 30000, 0, 0)]), 40)
    assert allocated(r) == {"A": 0, "B": 10, "C": 30}
    t = r.table.set_index("lad_code")
    assert t.loc["A", "headroom_before"] == -10 and bool(t.loc["A", "capped"])
    assert not t.loc["B", "capped"] and not t.loc["C", "capped"]


def test_allocate_cap_then_hand_on():
    # A: 10,000 residents, 45 counted → 5 places. B: 10,000, none counted → 50 places.
    # 30 new: 15 each by population; A is capped at 5, the other 10 pass to B → 5 and 25.
    r = allocate(alloc_frame([("A", 10000, 45, 0), ("B", 10000, 0, 0)]), 30)
    assert allocated(r) == {"A": 5, "B": 25}
    assert r.table["capped"].tolist() == [True, False]
    assert r.table["counted_after"].tolist() == [50, 25]


def test_allocate_cannot_all_fit_remainder_reported():
    # A: 10,000 residents, 48 counted → 2 places. B: 2,000 residents → 10 places.
    # 20 new: only 12 fit under 1:200, so 12 placed and 8 reported as not placed.
    r = allocate(alloc_frame([("A", 10000, 48, 0), ("B", 2000, 0, 0)]), 20)
    assert allocated(r) == {"A": 2, "B": 10}
    assert (r.placed, r.unplaced) == (12, 8)
    assert r.table["capped"].all()
    assert "200" in r.rule and "not placed" in r.rule


def test_allocate_whole_places_under_fractional_capacity():
    # 10,100 residents → capacity 50.5; a 51st person would break the limit, so 50 places.
    r = allocate(alloc_frame([("A", 10100, 0, 0)]), 60)
    assert (r.placed, r.unplaced) == (50, 10)
    assert r.table["headroom_before"].iloc[0] == 50
    assert r.table["capacity_at_limit"].iloc[0] == 50  # rounded down, as geo.rules.capacity


def test_allocate_no_population_excluded_with_reason():
    # C has no estimate: 0 allocated, listed as excluded; A and B share 10 by 1:1.
    r = allocate(alloc_frame([("A", 10000, 0, 0), ("B", 10000, 0, 0), ("C", np.nan, 3, 0)]), 10)
    assert allocated(r) == {"A": 5, "B": 5, "C": 0}
    assert r.excluded["lad_code"].tolist() == ["C"]
    assert r.excluded["reason"].tolist() == ["no population estimate"]
    assert not r.table.set_index("lad_code").loc["C", "capped"]


def test_allocate_include_hotels_changes_room():
    # A: 10,000 residents (capacity 50), 40 dispersed + 8 in hotels.
    # Dispersed only: 10 places → all 10 new fit. With hotels: 2 places → 2 placed, 8 not.
    frame = alloc_frame([("A", 10000, 40, 8)])
    assert allocate(frame, 10).placed == 10
    r = allocate(frame, 10, include_hotels=True)
    assert (r.placed, r.unplaced) == (2, 8)
    assert "hotels" in r.rule
    assert headroom(frame, include_hotels=True)["headroom"].iloc[0] == 2


def test_allocate_zero_and_bad_input():
    r = allocate(alloc_frame([("A", 10000, 0, 0)]), 0)
    assert (r.placed, r.unplaced) == (0, 0) and not r.table["capped"].any()
    with pytest.raises(ValueError):
        allocate(alloc_frame([("A", 10000, 0, 0)]), -1)
    with pytest.raises(ValueError):
        allocate(alloc_frame([("A", 10000, 0, 0)]), 2.5)
    with pytest.raises(DataError):
        allocate(alloc_frame([("A", 10000, 0, 0), ("A", 10000, 0, 0)]), 1)


def test_allocate_property_random_inputs():
    rng = np.random.default_rng(20190101)
    for _ in range(300):
        n = int(rng.integers(1, 15))
        population = rng.integers(500, 400_000, n).astype(float)
        population[rng.random(n) < 0.15] = np.nan
        dispersed = rng.integers(0, 2500, n)
        hotel = rng.integers(0, 300, n)
        frame = alloc_frame([(f"E{i:03d}", population[i], int(dispersed[i]), int(hotel[i]))
                             for i in range(n)])
        additional = int(rng.integers(0, 3000))
        limit = int(rng.choice([100, 200, 350]))
        include = bool(rng.integers(0, 2))
        r = allocate(frame, additional, limit_per=limit, include_hotels=include)
        t = r.table
        assert r.placed + r.unplaced == additional
        assert (t["allocated"] >= 0).all()
        assert (t["allocated"] <= t["places_available"]).all()
        eligible = ~t["excluded"]
        assert (t.loc[eligible, "allocated"] <= t.loc[eligible, "headroom_before"].clip(lower=0)
                + 1e-9).all()
        assert (t.loc[eligible, "counted_after"]
                <= t.loc[eligible, "capacity_at_limit"].clip(lower=t.loc[eligible, "counted_now"])
                + 1e-9).all()
        assert (t.loc[~eligible, "allocated"] == 0).all()
        assert r.placed == min(additional, int(t["places_available"].sum()))
        if r.unplaced:  # nothing left over while somewhere still had room
            assert (t["allocated"] == t["places_available"]).all()
        # Proportional: among uncapped authorities, allocation / population is the same
        # up to one person of rounding.
        free = t[eligible & ~t["capped"]]
        if len(free) > 1 and r.placed:
            lam = free["allocated"].sum() / free["population"].sum()
            assert (abs(free["allocated"] - lam * free["population"]) <= 1 + 1e-9).all()


def test_fair_shares_property_sum_to_compared_people():
    rng = np.random.default_rng(7)
    for _ in range(100):
        n = int(rng.integers(1, 20))
        population = rng.integers(1000, 500_000, n).astype(float)
        population[rng.random(n) < 0.2] = np.nan
        frame = lads([(f"E{i}", f"R{rng.integers(0, 3)}", population[i], int(s), 0, 0)
                      for i, s in enumerate(rng.integers(0, 900, n))])
        out = fair_shares(frame)
        has = out["population"].notna()
        for _, g in out[has].groupby("group"):
            assert g["fair_share_people"].sum() == pytest.approx(g["supported"].sum())
        assert out.attrs["people_without_population"] == out.loc[~has, "supported"].sum()
        assert (out.loc[~has, "status"] == NO_POPULATION).all()
        assert len(out) == n
