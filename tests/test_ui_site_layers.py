"""Map layers for site records (ui.site_layers) and the page's frames (ui.sites),
on the four-square ward fixture where every answer can be checked by hand."""
from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import pandas as pd
import pydeck as pdk
import pytest

from fixtures_sites import (  # noqa: F401
    HEADER,
    IN_W1,
    IN_W2,
    IN_W3,
    IN_W4,
    LAD_A,
    LAD_B,
    W1,
    W3,
    W4,
    ward_layer,
    ward_population,
    write_csv,
)
from geo.render.classify import OVER_THRESHOLD_OUTLINE, hex_to_rgba
from geo.sites import measures as SM
from geo.sites.importer import import_sites
from geo.sites.store import SiteStore
from ui import site_layers as SL
from ui import sites as SV


def _site(ref, kind, where, people, **extra):
    row = {"reference": ref, "site_type": kind, "longitude": where[0], "latitude": where[1], "people": people,
           "bed_spaces": None, "name": None, "status": "open", "acquired": pd.NaT, "ward_name": "Alpha",
           "lad_name": "Authority A", "in_boundary": True, "position_source": "given", "notes": None}
    row.update(extra)
    return row


@pytest.fixture
def sites() -> pd.DataFrame:
    return pd.DataFrame([
        _site("H1", "hotel", IN_W1, 100, name="Hotel <One>", bed_spaces=120),
        _site("D1", "dispersed", IN_W2, 4, position_source="postcode_centroid", acquired=pd.Timestamp("2024-03-01")),
        _site("I1", "initial", IN_W3, 25),
        _site("C1", "other_contingency", IN_W4, None, notes="ILLUSTRATIVE - not real sites"),
        _site("N1", "dispersed", (float("nan"), float("nan")), 3),          # no position: not drawn
    ])


def test_points_colour_by_type_and_size_by_people(sites: pd.DataFrame) -> None:
    points = {p["t_ref"].removeprefix("Reference: "): p for p in SL.site_points(sites)}
    assert set(points) == {"H1", "D1", "I1", "C1"}
    for ref, kind in (("H1", "hotel"), ("D1", "dispersed"), ("I1", "initial"), ("C1", "other_contingency")):
        assert points[ref]["fill"] == hex_to_rgba(SL.SITE_TYPES[kind]["hex"], SL.SITE_ALPHA)
    # Okabe-Ito: four distinct colours, none the red of the over-1:200 ring.
    colours = {s["hex"].lower() for s in SL.SITE_TYPES.values()}
    assert len(colours) == 4 and OVER_THRESHOLD_OUTLINE.lower() not in colours
    assert points["H1"]["radius_m"] == pytest.approx(SL.RADIUS_BASE_M + SL.RADIUS_PER_ROOT_PERSON_M * 10)
    assert points["D1"]["radius_m"] == pytest.approx(SL.RADIUS_BASE_M + SL.RADIUS_PER_ROOT_PERSON_M * 2)
    assert points["C1"]["radius_m"] == SL.RADIUS_BASE_M and points["C1"]["weight"] == 0.0   # no count
    assert points["H1"]["weight"] == 100.0
    assert points["H1"]["name"] == "Hotel &lt;One&gt;"                     # escaped for the tooltip html
    assert points["H1"]["t_beds"] == "Bed spaces: 120" and points["D1"]["t_beds"] == "Bed spaces: not recorded"
    assert points["D1"]["t_position"] == "Position: postcode centre"
    assert points["H1"]["t_position"] == "Position: given coordinates"
    assert points["D1"]["t_acquired"] == "Acquired: 01 Mar 2024"
    assert points["C1"]["t_illustrative"].startswith("ILLUSTRATIVE") and points["H1"]["t_illustrative"] == ""
    for p in points.values():                                             # one template fits every layer
        assert set(SL.TOOLTIP_FIELDS) <= set(p)


def test_layers_heat_sites_and_sizes(sites: pd.DataFrame) -> None:
    points = SL.site_points(sites)
    heat = SL.heat_layer(points)
    assert heat.type == "HeatmapLayer" and len(heat.data) == 3            # sites with no count weigh nothing
    assert sorted(d["weight"] for d in heat.data) == [4.0, 25.0, 100.0]
    hexes = SL.heat_layer(points, kind="hexagon")
    assert hexes.type == "HexagonLayer"
    with pytest.raises(ValueError):
        SL.heat_layer(points, kind="contour")
    assert SL.heat_layer([]) is None and SL.site_layer([]) is None and SL.over_threshold_layer([]) is None

    layer = SL.site_layer(points)
    assert layer.type == "ScatterplotLayer" and layer.pickable
    spec = json.loads(pdk.Deck(layers=[layer], map_provider=None).to_json())["layers"][0]
    assert spec["radiusUnits"] == "meters"
    assert spec["radiusMinPixels"] == SL.RADIUS_MIN_PX and spec["radiusMaxPixels"] == SL.RADIUS_MAX_PX
    radii = [d["radius_m"] for d in layer.data]
    assert radii == sorted(radii, reverse=True)                           # small sites drawn on top

    layers = SL.site_map_layers(sites)
    assert [type_.type for type_ in layers] == ["HeatmapLayer", "ScatterplotLayer"]
    assert [x.type for x in SL.site_map_layers(sites, heat=None)] == ["ScatterplotLayer"]
    assert SL.site_bounds(sites) == pytest.approx((-1.96, 52.04, -1.84, 52.16))


def test_legend_entries_and_html() -> None:
    entries = SL.legend_entries({"hotel": 2, "dispersed": 10}, over=3, over_authority=5, over_wards=1)
    kinds = [e["kind"] for e in entries]
    assert kinds == ["heat", "site", "site", "site", "site", "over", "over_authority", "ward_over"]
    by_key = {e["key"]: e for e in entries}
    assert by_key["hotel"]["colour"] == SL.SITE_TYPES["hotel"]["hex"] and by_key["hotel"]["count"] == 2
    assert by_key["initial"]["count"] == 0 and by_key["dispersed"]["label"] == "Dispersed property (D)"
    assert by_key["over_threshold"]["shape"] == "ring" and by_key["over_threshold"]["colour"] == OVER_THRESHOLD_OUTLINE
    assert by_key["over_threshold"]["count"] == 3 and by_key["over_threshold_authority"]["count"] == 5
    assert by_key["over_threshold_authority"]["colour"] == SL.AUTHORITY_RING_HEX
    assert by_key["over_threshold_authority"]["width"] < by_key["over_threshold"]["width"]
    only = SL.legend_entries(None, heat=False, types=["dispersed"])
    assert [e["key"] for e in only] == ["dispersed"] and only[0]["count"] is None
    html = SL.legend_html(entries, note="A & B")
    assert "Red ring: acquired while the ward was already over 1:200" in html and "(10)" in html
    assert "Thin grey ring: acquired while only the authority was over 1:200" in html
    assert "A &amp; B" in html and "linear-gradient" in html


def test_over_threshold_marker_on_a_hand_made_case(tmp_path: Path) -> None:
    """W3 has 400 residents, so its limit is 2 people. A 3-person house there since 2023 puts it
    over; a house acquired there on 1 March 2024 is flagged (3 per 400 = 1.50 per 200). A house
    acquired in W1 (1,000 residents, 1 person before) is not; W4 has no estimate and is never flagged."""
    rows = [HEADER,
            ["E1", "Dispersed", "", "", IN_W3[1], IN_W3[0], 4, 3, "Open", "01/01/2023", "", "01/12/2022", ""],
            ["N1", "Dispersed", "", "", IN_W3[1] + 0.01, IN_W3[0], 3, 2, "Open", "15/03/2024", "", "01/03/2024", ""],
            ["E2", "Dispersed", "", "", IN_W1[1], IN_W1[0], 2, 1, "Open", "01/01/2023", "", "01/12/2022", ""],
            ["N2", "Dispersed", "", "", IN_W1[1] + 0.01, IN_W1[0], 2, 2, "Open", "15/03/2024", "", "01/03/2024", ""],
            ["E4", "Dispersed", "", "", IN_W4[1], IN_W4[0], 9, 9, "Open", "01/01/2023", "", "01/12/2022", ""],
            ["N4", "Dispersed", "", "", IN_W4[1] + 0.01, IN_W4[0], 2, 2, "Open", "15/03/2024", "", "01/03/2024", ""]]
    db = tmp_path / "s.sqlite"
    result = import_sites(write_csv(tmp_path / "hand.csv", rows), db, ward_layer(), as_at=date(2024, 6, 30))
    assert result.accepted == 6
    store = SiteStore(db)
    wards = ward_layer().merge(ward_population()[["ward_code", "population"]], on="ward_code", how="left")
    current = pd.DataFrame(store.current_sites().drop(columns="geometry"))
    table = SV.over_threshold_acquisitions(store.site_history(), wards, sites=current)
    flagged = table[table["ward_over"].fillna(False).astype(bool)]
    assert flagged["reference"].tolist() == ["N1"]                           # E* acquired before anything else
    row = flagged.iloc[0]
    assert row["ward_dispersed_before"] == 3 and row["ward_limit_used"] == pytest.approx(1.5)
    assert row["level"] in ("ward", "ward and authority")
    assert SV.over_threshold_headline(table).ward == 1

    points = SL.over_threshold_points(flagged)
    assert len(points) == 1 and points[0]["position"] == [round(IN_W3[0], 5), round(IN_W3[1] + 0.01, 5)]
    assert points[0]["level"] == "ward" and SL.over_threshold_layer(points, level="authority") is None
    assert "01 Mar 2024" in points[0]["t_flag"] and "1.50 per 200 residents" in points[0]["t_flag"]
    assert set(SL.TOOLTIP_FIELDS) <= set(points[0])
    ring = SL.over_threshold_layer(points)
    spec = json.loads(pdk.Deck(layers=[ring], map_provider=None).to_json())["layers"][0]
    assert spec["@@type"] == "ScatterplotLayer" and spec["filled"] is False and spec["stroked"] is True
    assert spec["getLineColor"] == hex_to_rgba(OVER_THRESHOLD_OUTLINE, 255)
    assert spec["radiusUnits"] == "pixels" and spec["lineWidthMinPixels"] == SL.OVER_RING_PX

    # N4 sits in W4 (no estimate: never flagged as a ward) but authority B was over: a thin grey ring.
    n4 = table[table["reference"] == "N4"]
    assert n4["ward_over"].isna().all() and bool(n4["lad_over"].iloc[0])
    grey = SL.over_threshold_points(n4)
    assert grey[0]["level"] == "authority" and "authority already at" in grey[0]["t_flag"]
    thin = SL.over_threshold_layer(grey, level="authority")
    assert thin.get_line_color == hex_to_rgba(SL.AUTHORITY_RING_HEX, 255) and SL.over_threshold_layer(grey) is None
    both = SL.site_map_layers(current, table, heat=None)
    assert [layer.id for layer in both] == ["sites", "acquired-over-threshold-authority",
                                            "acquired-over-threshold-ward"]

    # The ward table from the same records: W3 over, W4 'no estimate', never zero.
    wt = SV.ward_measure_table(current, wards, as_at=date(2024, 6, 30)).set_index("ward_code")
    assert wt.loc[W3, "dispersed_people"] == 5 and wt.loc[W3, "against_limit"].startswith("2.50 per 200 (over")
    assert wt.loc[W4, "against_limit"] == SV.NO_ESTIMATE and math.isnan(wt.loc[W4, "limit_used"])
    assert wt.loc[W1, "properties_acquired"] == 2

    monthly = SV.monthly_acquisitions(current, "lad")
    assert monthly.groupby("area_code")["acquisitions"].sum().to_dict() == {LAD_A: 2, LAD_B: 4}
    assert len(monthly["month"].unique()) == 16                              # Dec 2022 .. Mar 2024, gaps filled
    window = SM.acquisitions_in_window(current, date(2024, 1, 1), date(2024, 12, 31))
    assert sorted(window["reference"]) == ["N1", "N2", "N4"]

    # As at a day before the first import: each site's first record stands in, and only the
    # sites already housing people that day are in use.
    past = SM.sites_as_at(db, date(2023, 6, 1))
    assert sorted(past["reference"]) == ["E1", "E2", "E4", "N1", "N2", "N4"]
    assert sorted(past.loc[SM.in_use(past, date(2023, 6, 1)).to_numpy(), "reference"]) == ["E1", "E2", "E4"]
    assert len(SM.sites_as_at(db, None)) == 6


def test_mapping_overrides() -> None:
    detected = {"reference": "Ref", "site_type": "Type", "notes": "Notes"}
    same = {"reference": "Ref", "site_type": "Type", "notes": "Notes", "name": SV.NOT_USED}
    assert SV.overrides_from_choices(same, detected) == {}                  # untouched: the CLI's mapping
    changed = dict(same, notes=SV.NOT_USED, name="Notes")
    assert SV.overrides_from_choices(changed, detected) == {"name": "Notes", "notes": None}
    assert SV.mapping_problems(dict(same, site_type=SV.NOT_USED)) == ["'Site type (required)' has no column"]
    assert "one column can feed one field" in SV.mapping_problems(dict(same, name="Ref"))[0]
