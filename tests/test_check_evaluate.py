"""The property check on real ONS wards, Asy_D11/Reg_02 and the illustrative sample's site records.

Every expected figure is computed in the test from the loaded files and the sample's records.
"""
from __future__ import annotations

from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from check_fixtures import context, inside, published_dispersed, sample_sites, ward_people
from geo import rules
from geo.check.evaluate import CONDITIONS, NO_WARD, OBJECT, SUPPORT, check_proposals
from geo.check.placement import PlacedProposals, place_table, single_proposal
from geo.check.settings import CheckSettings
from geo.errors import DataError

# Thresholds that never fire, so one rule can be looked at alone.
QUIET = dict(max_sites_nearby=10_000, max_people_nearby=10_000, conditions_headroom_share=0.0)


def _check(ctx, **proposal):
    placed = PlacedProposals(single_proposal(**proposal))
    return check_proposals(placed, ctx)


def test_ward_already_over_is_objected_to_with_the_ward_rule(model) -> None:
    wards = ward_people(model)
    over = wards[wards["population"].notna() & (wards["dispersed"] > wards["capacity"])]
    assert len(over), "the sample should put some ward over 1:200"
    ward = over.sort_values("ward_code").iloc[0]
    lat, lon = inside(model, ward["ward_code"])
    answer = _check(context(model), site_type="dispersed", people=3, latitude=lat, longitude=lon).results[0]
    assert answer["ward_code"] == ward["ward_code"]
    assert answer["ward_dispersed_now"] == ward["dispersed"]
    assert answer["ward_limit"] == ward["capacity"]
    assert answer["ward_residents"] == ward["population"]
    assert answer["ward_headroom_after"] == ward["capacity"] - ward["dispersed"] - 3
    assert answer["ward_status_now"] == rules.OVER
    assert answer["ward_status_after"] == rules.AFTER_ALREADY_OVER
    assert answer["recommendation"] == OBJECT
    assert answer["rule"].startswith("Object when the ward is already over")
    assert answer["summary"].startswith("Object:")


def test_council_figures_are_the_latest_published_quarter(model) -> None:
    wards = ward_people(model)
    ward = wards[wards["lad_code"] == "E08000025"].iloc[0]
    lat, lon = inside(model, ward["ward_code"])
    answer = _check(context(model), site_type="dispersed", people=4, latitude=lat, longitude=lon).results[0]
    residents = model.lads.set_index("lad_code").at["E08000025", "population"]
    now = published_dispersed(model, "E08000025")
    assert answer["lad_dispersed_now"] == now
    assert answer["lad_limit"] == rules.capacity(residents)
    assert answer["lad_headroom_after"] == rules.capacity(residents) - now - 4
    assert answer["lad_status_after"] == rules.status_after(now, 4, residents)
    assert answer["lad_period"] == model.latest_period.date().isoformat()
    assert answer["lad_fair_share_status_now"] in ("above fair share", "below fair share", "at fair share")


def test_ward_with_no_population_estimate(model) -> None:
    wards = ward_people(model)
    none = wards[wards["population"].isna()]
    assert len(none), "Glasgow's wards have no Census 2021 (England and Wales) estimate"
    ward = none.sort_values("ward_code").iloc[0]
    lat, lon = inside(model, ward["ward_code"])
    settings = CheckSettings(object_council_over=False, **QUIET)
    answer = _check(context(model, settings), site_type="dispersed", people=2, latitude=lat,
                    longitude=lon).results[0]
    assert answer["ward_code"] == ward["ward_code"]
    assert answer["ward_residents"] is None and answer["ward_limit"] is None
    assert answer["ward_headroom_after"] is None
    assert answer["ward_status_after"] == rules.AFTER_NO_ESTIMATE
    assert answer["recommendation"] == CONDITIONS
    assert "no population estimate" in answer["summary"]


def test_point_in_no_ward_is_rejected_with_the_reason(model) -> None:
    result = _check(context(model), site_type="dispersed", people=2, latitude=53.0, longitude=1.5)
    assert result.results == []
    assert result.rejected == [{"row": 1, "column": "position", "reason": NO_WARD}]


def _roomy_ward(model, people: int) -> pd.Series:
    """A sample ward within 1:200 with room for `people` once but not three times, no hotels nearby."""
    wards = ward_people(model)
    room = wards["capacity"] - wards["dispersed"]
    pick = wards[wards["population"].notna() & (room >= people) & (room < 3 * people) & (wards["hotels"] == 0)]
    assert len(pick), "no suitable ward in the sample"
    return pick.sort_values("ward_code").iloc[0]


def test_a_list_takes_a_ward_over_only_when_counted_together(model, tmp_path) -> None:
    people = 6
    ward = _roomy_ward(model, people)
    room = int(ward["capacity"] - ward["dispersed"])
    lat, lon = inside(model, ward["ward_code"])
    rows = ["Ref,Type,Latitude,Longitude,Beds"] + [f"P{i},dispersed,{lat},{lon},{people}" for i in range(1, 4)]
    (tmp_path / "list.csv").write_text("\n".join(rows) + "\n")
    from geo.sites.readers import read_table

    ctx = context(model, CheckSettings(object_council_over=False, **QUIET))
    together = check_proposals(place_table(read_table(tmp_path / "list.csv")), ctx).results
    alone = [_check(ctx, site_type="dispersed", people=people, latitude=lat, longitude=lon).results[0]
             for _ in range(3)]
    assert all(a["ward_status_after"] == rules.AFTER_WITHIN for a in alone)
    assert [a["ward_dispersed_now"] for a in together] == [ward["dispersed"] + i * people for i in range(3)]
    expected = [rules.status_after(ward["dispersed"] + i * people, people, ward["population"]) for i in range(3)]
    assert [a["ward_status_after"] for a in together] == expected
    assert rules.AFTER_WOULD_GO_OVER in expected or rules.AFTER_ALREADY_OVER in expected
    first_over = next(i for i in range(3) if (i + 1) * people > room)
    assert together[first_over]["recommendation"] == OBJECT
    assert together[0]["recommendation"] == SUPPORT
    assert together[2]["earlier_in_list_same_ward"] == 2
    assert "Counted with 2 earlier proposals" in together[2]["counted_together"]
    assert together[2]["earlier_proposals_within_250m"] == 2


def test_sites_within_each_radius_match_a_brute_force_distance(model) -> None:
    sites = sample_sites(model)
    live = sites[(sites["status"] == "open")]
    probe = live[live["site_type"] == "dispersed"].sort_values("reference").iloc[10]
    answer = _check(context(model), site_type="other", people=5, latitude=probe["latitude"],
                    longitude=probe["longitude"]).results[0]
    pts = gpd.GeoSeries(gpd.points_from_xy(live["longitude"], live["latitude"]), crs="EPSG:4326").to_crs(27700)
    here = gpd.GeoSeries(gpd.points_from_xy([probe["longitude"]], [probe["latitude"]]), crs="EPSG:4326").to_crs(27700)
    dist = pts.distance(here.iloc[0]).to_numpy()
    people = pd.to_numeric(live["people"], errors="coerce").fillna(0).to_numpy()
    for r in (250, 500, 1000):
        near = dist <= r
        assert answer[f"sites_within_{r}m"] == int(near.sum())
        assert answer[f"people_within_{r}m"] == int(people[near].sum())
    assert answer["added_to_limit"] == 0  # "other" does not count toward 1:200 by default
    assert [n["distance_m"] for n in answer["nearby"]] == sorted(n["distance_m"] for n in answer["nearby"])


def test_a_hotel_in_a_ward_with_a_hotel_is_objected_to(model) -> None:
    wards = ward_people(model)
    ward = wards[wards["hotels"] > 0].sort_values("ward_code").iloc[0]
    lat, lon = inside(model, ward["ward_code"])
    settings = CheckSettings(object_ward_over=False, object_council_over=False, **QUIET)
    answer = _check(context(model, settings), site_type="hotel", people=80, latitude=lat,
                    longitude=lon).results[0]
    assert answer["hotels_in_ward"] == ward["hotels"]
    assert answer["recommendation"] == OBJECT
    assert answer["rule"] == "Object to a hotel in a ward that already has one."
    assert answer["ward_headroom_after"] == answer["ward_headroom_now"]


def test_settings_refuse_unknown_names_and_bad_values() -> None:
    with pytest.raises(DataError, match="unknown check settings"):
        CheckSettings.from_dict({"max_site_nearby": 3})
    with pytest.raises(DataError, match="radius"):
        CheckSettings(concentration_radius_m=300)
    assert CheckSettings.from_dict({"max_sites_nearby": "3"}).max_sites_nearby == 3
    assert CheckSettings.from_dict(CheckSettings().to_dict()) == CheckSettings()


def test_ward_dispersed_now_counts_only_sites_occupied_on_the_day(model) -> None:
    wards = ward_people(model, date(2020, 1, 1))
    ward = wards.sort_values("ward_code").iloc[0]
    lat, lon = inside(model, ward["ward_code"])
    answer = _check(context(model, today=date(2020, 1, 1)), site_type="dispersed", people=1, latitude=lat,
                    longitude=lon).results[0]
    assert answer["ward_dispersed_now"] == ward["dispersed"]
    assert np.isfinite(answer["easting"]) and np.isfinite(answer["northing"])


def test_fair_share_position_with_the_property_matches_fair_shares(model) -> None:
    from geo import fair_share as fs
    from geo.measures import lad_table

    wards = ward_people(model)
    ward = wards[wards["lad_code"] == "E09000017"].sort_values("ward_code").iloc[0]
    lat, lon = inside(model, ward["ward_code"])
    answers = _check(context(model), site_type="dispersed", people=400, latitude=lat, longitude=lon).results
    table = lad_table(model, model.latest_period)
    table.loc[table["lad_code"] == "E09000017", "dispersed"] += 400
    expected = fs.fair_shares(table, group="region", measure="dispersed").set_index("lad_code").loc["E09000017"]
    assert answers[0]["lad_fair_share_status_after"] == expected["status"]
    assert answers[0]["lad_fair_share_people"] == round(float(expected["fair_share_people"]), 1)


def test_an_excel_list_gives_the_same_answers_as_the_csv(model, tmp_path) -> None:
    from geo.check.placement import read_proposals

    wards = ward_people(model)
    pick = wards[wards["population"].notna()].sort_values("ward_code")
    points = [inside(model, code) for code in pick["ward_code"].iloc[:3]]
    frame = pd.DataFrame({"Ref": ["E1", "E2", "E3"], "Type": ["dispersed", "hotel", "other"],
                          "Latitude": [p[0] for p in points], "Longitude": [p[1] for p in points],
                          "Beds": [3, 60, 4]})
    frame.to_csv(tmp_path / "list.csv", index=False)
    frame.to_excel(tmp_path / "list.xlsx", index=False)
    ctx = context(model)
    from_csv = check_proposals(read_proposals(tmp_path / "list.csv"), ctx).to_dict()
    from_xlsx = check_proposals(read_proposals(tmp_path / "list.xlsx"), ctx).to_dict()
    assert from_csv == from_xlsx
    assert [r["type"] for r in from_csv["results"]] == ["dispersed", "hotel", "other"]
    assert [r["added_to_limit"] for r in from_csv["results"]] == [3, 0, 0]


def test_two_hotels_in_one_list_and_ward_count_together(model, tmp_path) -> None:
    from geo.check.placement import read_proposals

    wards = ward_people(model)
    ward = wards[(wards["hotels"] == 0) & wards["population"].notna()].sort_values("ward_code").iloc[0]
    lat, lon = inside(model, ward["ward_code"])
    (tmp_path / "hotels.csv").write_text(f"Ref,Type,Latitude,Longitude,Beds\nH1,hotel,{lat},{lon},80\n"
                                         f"H2,hotel,{lat},{lon},50\n")
    settings = CheckSettings(object_ward_over=False, object_council_over=False, **QUIET)
    first, second = check_proposals(read_proposals(tmp_path / "hotels.csv"), context(model, settings)).results
    assert first["hotels_in_ward"] == 0 and first["recommendation"] == SUPPORT
    assert second["hotels_in_ward"] == 1 and second["hotels_in_ward_people"] == 80
    assert second["hotel_references"] == ["H1"] and second["recommendation"] == OBJECT
