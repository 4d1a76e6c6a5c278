"""Helpers behind the Fair share page, checked on small frames with answers worked by hand."""
from __future__ import annotations

import io
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from geo import fair_share as fs
from geo.render.classify import DIVERGING, NO_DATA
from geo.text import quarter_label, source_line
from ui import fair_share as view
from ui.layers import fit_view


def lads(rows: list[tuple]) -> pd.DataFrame:
    """rows: (code, region, nation, population, supported, dispersed, hotel)."""
    frame = pd.DataFrame(rows, columns=["lad_code", "region", "nation", "population",
                                        "supported", "dispersed", "hotel"])
    frame["lad_name"] = "Name " + frame["lad_code"]
    frame["population"] = frame["population"].astype(float)
    return frame


# Region R: A 1,000 residents / 20 supported, B 3,000 / 20, C no population / 5.
# Region total compared = 40 over 4,000 residents: fair A = 10, fair B = 30; C left out.
REGION = lads([
    ("A", "R", "England", 1000, 20, 8, 2),
    ("B", "R", "England", 3000, 20, 0, 4),
    ("C", "R", "England", np.nan, 5, 5, 0),
    ("W1", None, "Wales", 2000, 10, 10, 0),
])


def row(frame: pd.DataFrame, column: str, value) -> pd.Series:
    return frame.set_index(column).loc[value]


# ---------------------------------------------------------------------- choices


def test_region_choices_uk_first_then_english_regions_then_nations():
    frame = lads([("E1", "South East", "England", 1, 0, 0, 0),
                  ("E2", "London", "England", 1, 0, 0, 0),
                  ("S1", None, "Scotland", 1, 0, 0, 0),
                  ("W1", "Wales", "Wales", 1, 0, 0, 0)])
    assert view.region_choices(frame) == [view.UK_CHOICE, "London", "South East", "Scotland", "Wales"]


def test_area_rows_and_group():
    assert view.area_rows(REGION, "R")["lad_code"].tolist() == ["A", "B", "C"]
    assert view.area_rows(REGION, "Wales")["lad_code"].tolist() == ["W1"]  # nation fallback
    assert len(view.area_rows(REGION, view.UK_CHOICE)) == 4
    assert view.comparison_group(view.UK_CHOICE) is None
    assert view.comparison_group("R") == "region"
    assert view.area_name(view.UK_CHOICE) == "the UK"


def test_quarter_reads_as_on_every_other_screen():
    """The fair share page once wrote '30 Sep 2024' where the others wrote '30 September 2024'."""
    assert view.figure_caption("", "2024-09-30") == f"People as at {quarter_label('2024-09-30')}."
    assert view.figure_caption("", pd.Timestamp("2023-03-31")) == "People as at 31 March 2023."


# ----------------------------------------------------------------------- classes


def test_ratio_classes_symmetric_bounds_and_statuses():
    ratio = pd.Series([0.49, 0.5, 0.79, 0.8, 0.949, 0.95, 1.0, 1.05, 1.051, 1.25, 1.26, 2.0, 2.01,
                       np.nan, np.nan])
    status = pd.Series([fs.BELOW] * 5 + [fs.AT] * 3 + [fs.ABOVE] * 5 + [fs.NO_POPULATION, fs.AT])
    idx = view.ratio_class_index(ratio, status).tolist()
    assert idx == [0, 1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 5, 6, -1, 3]
    colours = view.ratio_class_colour(ratio, status)
    assert colours.iloc[0] == DIVERGING[0] and colours.iloc[-3] == DIVERGING[6]
    assert colours.iloc[6] == DIVERGING[3]  # ratio 1: the neutral centre of the palette
    assert colours.iloc[-2] == NO_DATA
    labels = view.ratio_class_label(ratio, status)
    assert labels.iloc[0] == "well below fair share"
    assert labels.iloc[6] == "about fair share"
    assert labels.iloc[-3] == "well above fair share"
    assert labels.iloc[-2] == fs.NO_POPULATION


def test_class_colour_agrees_with_status_everywhere():
    # Many ratios through fair_shares: the middle class is exactly the "at fair share" status.
    rows = [(f"L{i}", "R", "England", 1000, i, 0, 0) for i in range(0, 60)]
    out = fs.fair_shares(lads(rows))
    idx = view.ratio_class_index(out["ratio_to_fair"], out["status"])
    assert ((idx == 3) == (out["status"] == fs.AT)).all()
    assert ((idx > 3) == (out["status"] == fs.ABOVE)).all()
    assert ((idx < 3) & (idx >= 0) == (out["status"] == fs.BELOW)).all()


def test_legend_in_words_from_well_above_to_grey():
    rows = view.legend_rows()
    assert [r.label for r in rows][:1] == ["well above fair share"]
    assert rows[6].label == "well below fair share"
    assert rows[-1].label == fs.NO_POPULATION and rows[-1].colour == NO_DATA
    assert [r.colour for r in rows[:7]] == list(reversed(DIVERGING))
    html = view.legend_html()
    assert "well below fair share" in html and "about fair share" in html and NO_DATA in html


# ---------------------------------------------------------------- authority table


def test_authority_summary_fair_share_headroom_and_participation():
    out = view.authority_summary(view.area_rows(REGION, "R"), group="region", measure="supported")
    a, b, c = row(out, "lad_code", "A"), row(out, "lad_code", "B"), row(out, "lad_code", "C")
    assert a["fair_share_people"] == 10 and a["difference_people"] == 10
    assert a["ratio_to_fair"] == 2.0 and a["status"] == fs.ABOVE
    assert a["fair_class"] == "above fair share"  # exactly double is in 1.25–2
    assert b["fair_share_people"] == 30 and b["status"] == fs.BELOW
    assert b["fair_class"] == "below fair share"  # 20/30 = 0.67
    assert c["status"] == fs.NO_POPULATION and np.isnan(c["fair_share_people"])
    # Headroom: A 1000/200 − 8 = −3 (over), B 3000/200 − 0 = 15.
    assert a["headroom"] == -3 and bool(a["over_limit"])
    assert b["headroom"] == 15 and not bool(b["over_limit"])
    assert (a["participation"], b["participation"]) == ("taking part", "not taking part")
    assert bool(b["hotel_only"]) and not bool(a["hotel_only"])
    assert out.attrs["people_without_population"] == 5


def test_status_sentence_counts():
    out = view.authority_summary(view.area_rows(REGION, "R"), group="region", measure="supported")
    text = view.status_sentence(out, "R", "supported")
    assert text.startswith("Of 3 authorities in R, 1 above, 1 below, 0 about at")
    assert "1 cannot be compared" in text


def test_fair_share_display_orders_most_above_first_and_no_population_last():
    out = view.authority_summary(view.area_rows(REGION, "R"), group="region", measure="supported")
    shown = view.fair_share_display(out, "supported")
    assert shown["Authority"].tolist() == ["Name A", "Name B", "Name C"]
    assert shown["Fair share (people)"].tolist()[:2] == [10.0, 30.0]
    assert "Region" not in shown.columns  # one region: no need to repeat it
    uk = view.authority_summary(REGION, group=None, measure="supported")
    assert "Region" in view.fair_share_display(uk, "supported").columns


def test_uk_comparison_uses_whole_input():
    # UK: compared people 20+20+10 = 50 over 6,000 residents → W1 fair = 50 × 2000/6000.
    out = view.authority_summary(REGION, group=None, measure="supported")
    assert row(out, "lad_code", "W1")["fair_share_people"] == pytest.approx(50 * 2000 / 6000)


# -------------------------------------------------------------------------- charts


def test_ranked_chart_leaves_out_no_population_and_trims_long_lists():
    out = view.authority_summary(view.area_rows(REGION, "R"), group="region", measure="supported")
    chart, note = view.ranked_difference_chart(out, "supported")
    bars = chart.layer[0].data
    assert bars["lad_name"].tolist() == ["Name A", "Name B"]
    assert bars["difference"].tolist() == [10.0, -10.0]
    assert "1 authority with no population estimate" in note
    chart.to_dict()  # valid Vega-Lite

    many = lads([(f"L{i:02d}", "R", "England", 1000, i, 0, 0) for i in range(50)])
    out = view.authority_summary(many, group="region", measure="supported")
    chart, note = view.ranked_difference_chart(out, "supported", max_rows=10)
    bars = chart.layer[0].data
    assert len(bars) == 10 and "of 50" in note
    assert bars["lad_name"].iloc[0] == "Name L49" and bars["lad_name"].iloc[-1] == "Name L00"


def test_region_display_and_chart():
    regions = fs.region_shares(REGION, measure="supported")
    shown = view.region_display(regions, "supported")
    # UK compared: R 40 (C left out) + Wales 10 = 50 over 6,000; fair R = 50 × 4000/6000.
    r = row(shown, "Region or nation", "R")
    assert r["Fair share (people)"] == round(50 * 4000 / 6000)
    assert r["People left out (no population estimate)"] == 5
    chart = view.region_chart(regions, "supported", highlight="R")
    data = chart.layer[0].data
    assert data.set_index("region").loc["R", "chosen"] and not data.set_index("region").loc["Wales", "chosen"]
    chart.to_dict()


# ------------------------------------------------------- headroom and taking part


def test_headroom_display_most_room_first_negative_when_over():
    out = view.authority_summary(view.area_rows(REGION, "R"), group="region", measure="supported")
    shown = view.headroom_display(out)
    assert shown["Authority"].tolist() == ["Name B", "Name A", "Name C"]
    assert shown["Headroom (people)"].tolist()[:2] == [15.0, -3.0]
    assert shown["Against the limit"].tolist() == ["within 1:200", "over 1:200", fs.NO_POPULATION]
    assert view.headroom_totals(out) == {"room": 15.0, "over_by": 3.0, "over_count": 1}


def test_participation_display():
    out = view.authority_summary(view.area_rows(REGION, "R"), group="region", measure="supported")
    taking, total, table = view.participation_display(out)
    assert (taking, total) == (2, 3)
    assert table["Authority"].tolist() == ["Name B"]
    assert table["Participation"].tolist() == ["not taking part"]
    assert table["Hosts"].tolist() == ["hotels only"]


# ------------------------------------------------------------------------ movement


def test_movement_periods_finds_same_quarter_back():
    periods = pd.to_datetime(["2023-09-30", "2023-12-31", "2024-06-30", "2024-09-30"])
    found = view.movement_periods(periods, pd.Timestamp("2024-09-30"))
    assert found == {4: pd.Timestamp("2023-09-30"), 8: None}


def test_movement_display_recomputes_each_quarter():
    now = lads([("A", "R", "England", 1000, 20, 8, 0), ("B", "R", "England", 3000, 20, 0, 0)])
    then = lads([("A", "R", "England", 1000, 10, 1, 0), ("B", "R", "England", 3000, 30, 2, 0)])
    history = view.movement_history({pd.Timestamp("2024-09-30"): now,
                                     pd.Timestamp("2023-09-30"): then})
    shown = view.movement_display(history, pd.Timestamp("2024-09-30"), ["A", "B"],
                                  group="region", measure="supported")
    a = row(shown, "Authority", "Name A")
    # Then: total 40, fair A 10, ratio 1.0; now ratio 2.0 → change +1.0.
    assert a["Times fair share now"] == 2.0
    assert a["Change in times fair share, 4 quarters"] == 1.0
    assert np.isnan(a["Change in times fair share, 8 quarters"])  # no quarter 8 back
    # Headroom A: now 5 − 8 = −3, then 5 − 1 = 4 → −7.
    assert a["Change in headroom, 4 quarters"] == -7.0
    b = row(shown, "Authority", "Name B")
    assert b["Participation, 4 quarters"] == "stopped"
    assert view.participation_changes(shown, 4) == {"started": 0, "stopped": 1}
    assert shown["Authority"].iloc[0] == "Name A"  # largest change first


# ---------------------------------------------------------------------- allocation


def test_allocation_display_beside_people_now():
    area = view.area_rows(REGION, "R")
    result = fs.allocate(area, 12)
    shown = view.allocation_display(result, area)
    assert shown["New places allocated"].sum() == result.placed == 12
    b = row(shown, "Authority", "Name B")
    assert b["People supported now"] == 20 and b["In hotels now"] == 4
    assert b["After allocation"] == b["In dispersed accommodation now"] + b["New places allocated"]
    assert row(shown, "Authority", "Name C")["Note"] == "no population estimate"
    assert row(shown, "Authority", "Name A")["New places allocated"] == 0  # already over 1:200
    assert view.allocation_chart(result) is not None


def test_allocation_sentence_reports_the_remainder():
    area = view.area_rows(REGION, "R")
    result = fs.allocate(area, 100)  # only B has room: 15 places
    assert (result.placed, result.unplaced) == (15, 85)
    text = view.allocation_sentence(result, 100, "R")
    assert "Only 15 of 100" in text and "85 cannot be placed" in text
    fits = view.allocation_sentence(fs.allocate(area, 5), 5, "R")
    assert fits.startswith("All 5 additional places fit")


# ----------------------------------------------------------------------------- map


def test_map_features_colours_and_plain_json():
    area = view.area_rows(REGION, "R")
    out = view.authority_summary(area, group="region", measure="supported")
    layer = gpd.GeoDataFrame({"lad_code": ["A", "B", "C"]},
                             geometry=[box(0, 50, 1, 51), box(1, 50, 2, 51), box(2, 50, 3, 51)],
                             crs="EPSG:4326")
    features = view.map_features(layer, out, "supported")
    json.dumps(features, allow_nan=False)
    props = {f["properties"]["lad_code"]: f["properties"] for f in features["features"]}
    assert props["A"]["fill"][:3] == [int(DIVERGING[5][i:i + 2], 16) for i in (1, 3, 5)]
    assert props["C"]["fill"][:3] == [0xd9, 0xd9, 0xd9] and props["C"]["fair"] == "n/a"
    assert props["A"]["difference"] == "+10.0"
    v = fit_view(layer.total_bounds, width_px=700, height_px=480)  # the app's one viewport fitter
    assert v["longitude"] == 1.5 and v["latitude"] == pytest.approx(50.5, abs=0.01) and v["zoom"] > 5
    deck = view.build_deck(features, v, "supported")
    spec = json.loads(deck.to_json())  # no basemap: pydeck's style sentinel with no tile provider
    assert spec["mapStyle"] == "__MAP_STYLE__" and spec.get("mapProvider") is None
    assert "GeoJsonLayer" in deck.to_json()


# ----------------------------------------------------------- words, sources, files


def test_csv_with_sources_reads_back():
    data = view.csv_with_sources(pd.DataFrame({"a": [1, 2]}), ["Source: X (file.xlsx; 2024)", ""])
    text = data.decode("utf-8")
    assert text.startswith("\ufeff# Source: X (file.xlsx; 2024)\r\n")
    assert pd.read_csv(io.StringIO(text), comment="#")["a"].tolist() == [1, 2]


def test_caption_and_population_date():
    from types import SimpleNamespace as Prov  # only the fields a caption reads

    reg02 = pd.DataFrame({"as_at": pd.to_datetime(["2025-12-31"])})
    # issue 14: residents are dated by their own vintage, never by the Reg_02 quarter
    assert view.population_as_at(reg02) == "ONS mid-2024 estimate, as used by the Home Office in Reg_02"
    assert view.population_as_at(None) is None
    prov = {
        "asy_d11": Prov(title="Asy_D11: Asylum seekers in receipt of support", publisher="Home Office",
                        release="year ending September 2024", file_name="d11.xlsx"),
        "lad_boundaries": Prov(title="LAD (May 2023) BUC", publisher="Office for National Statistics",
                               release="May 2023", file_name="lad.geojson"),
    }
    sources = source_line(prov, ["asy_d11", "missing", "lad_boundaries"])  # the one source-line builder
    assert sources == ("Source: Home Office, Asy_D11: Asylum seekers in receipt of support (d11.xlsx; year ending "
                       "September 2024); Office for National Statistics, LAD (May 2023) BUC (lad.geojson; May 2023)")
    text = view.figure_caption(sources, pd.Timestamp("2024-09-30"), "Note.")
    assert text == sources + ". People as at 30 September 2024. Note."


def test_number_formats():
    frame = pd.DataFrame({"Authority": ["a"], "Residents": [1000.0], "Times fair share": [1.234],
                          "Change in times fair share, 4 quarters": [0.1], "flag": [True]})
    assert view.number_formats(frame) == {"Residents": "localized", "Times fair share": "%.2f",
                                          "Change in times fair share, 4 quarters": "%.2f"}


def test_method_states_its_limits():
    out = view.authority_summary(view.area_rows(REGION, "R"), group="region", measure="supported")
    text = view.method_markdown(measure="supported", tolerance=0.05, limit_per=200,
                                period=pd.Timestamp("2024-09-30"), population_date="31 Dec 2025",
                                population_file="reg02.csv", boundaries="LAD May 2023",
                                excluded=view.excluded_sentence(out, "supported"))
    for phrase in ("Section 98", "December 2022", "boundaries change", "31 Dec 2025", "reg02.csv",
                   "excluded from the base", "Name C", "planning", "not a prediction", "5%"):
        assert phrase in text, phrase
    assert view.excluded_sentence(view.authority_summary(view.area_rows(REGION, "Wales"),
                                                         group="region"), "supported") == \
        "Every authority here has a population estimate."
