"""Map snapshots from the real model: sizes, dpi, XML, PDF pages, classes, sources, marking."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from geo.errors import DataError, GeoError
from geo.measures import MEASURES, lad_table
from geo.render import marking
from geo.render import static_map as sm
from geo.render.classify import classify
from pdf_tools import pdf_pages, pdf_text

MADE_ON = date(2025, 3, 12)
LIVERPOOL = "E08000012"




def fake_sites(model, lad_code: str = LIVERPOOL) -> pd.DataFrame:
    """Made-up dispersed properties at ward centres (never real addresses): some wards small."""
    wards = model.wards[model.wards["lad_code"] == lad_code].sort_values("ward_code").reset_index(drop=True)
    points = wards.geometry.representative_point()
    people = [2, 40, 3, 0, 120, 7, 1, 60]
    return pd.DataFrame({"reference": [f"S{i}" for i in range(len(wards))], "site_type": "dispersed",
                         "status": "open", "latitude": points.y, "longitude": points.x,
                         "people": [people[i % len(people)] for i in range(len(wards))]})


def hotel_period(model) -> pd.Timestamp:
    """The latest quarter whose source gives hotels by authority (Reg_02's later quarters do not)."""
    from geo.asylum_stats import HOTEL
    from geo.measures import published

    return max(p for p in model.periods if published(model.stats, HOTEL, p))


def svg_text(path) -> str:
    root = ET.parse(path).getroot()  # parses as XML, or raises
    return " ".join(t for t in root.itertext())


def test_png_screen_and_print_dpi(model, tmp_path) -> None:
    screen = sm.snapshot(model, measure="per_1000", region="Wales", dpi=150, out=tmp_path / "s.png",
                         made_on=MADE_ON)
    with Image.open(screen) as im:
        assert im.size == (2000, 1125)  # 16:9 at 150 dpi
        assert [round(v) for v in im.info["dpi"]] == [150, 150]
        grey = np.asarray(im.convert("L"), dtype=float)
        assert grey.std() > 20  # a map, not a blank page
    printed = sm.snapshot(model, measure="per_1000", region="Wales", dpi=300, aspect="A4",
                          out=tmp_path / "p.png", made_on=MADE_ON)
    with Image.open(printed) as im:
        assert im.size == (3507, 2481)  # A4 landscape at 300 dpi
        assert [round(v) for v in im.info["dpi"]] == [300, 300]


def test_svg_carries_title_classes_sources_marking(model, tmp_path) -> None:
    period = hotel_period(model)
    out = sm.snapshot(model, measure="hotel", region="North West", method="natural_breaks", dpi=72,
                      period=period, out=tmp_path / "m.svg", made_on=MADE_ON)
    text = svg_text(out)
    assert MEASURES["hotel"] in text
    assert f"Quarter ending {period.day} {period:%B %Y}" in text
    table = lad_table(model, period)
    classes = classify(table.loc[table["region"] == "North West", "hotel"], "natural_breaks", 5)
    for label in classes.labels:
        assert label in text
    assert "Natural breaks" in text and "Over the 1:200 limit" in text
    assert "No estimate" not in text  # a hotel count is never missing, so no grey key entry
    assert model.provenance["asy_d11"].release in text and "Contains OS data" in text
    assert "12 March 2025" in text
    assert text.count(marking.OFFICIAL) >= 2  # banner top and bottom
    assert "British National Grid" in text and "N" in text


def test_pdf_snapshot_opens_with_one_page(model, tmp_path) -> None:
    out = sm.snapshot(model, measure="limit_used", lad_code=LIVERPOOL, aspect="A4", dpi=72,
                      out=tmp_path / "m.pdf", made_on=MADE_ON)
    assert pdf_pages(out) == 1
    text = pdf_text(out)
    assert "Liverpool" in text and marking.OFFICIAL in text


def test_same_inputs_same_bytes(model, tmp_path) -> None:
    for ext in ("png", "svg", "pdf"):
        a = sm.snapshot(model, measure="dispersed", region="Wales", dpi=60, out=tmp_path / f"a.{ext}",
                        made_on=MADE_ON)
        b = sm.snapshot(model, measure="dispersed", region="Wales", dpi=60, out=tmp_path / f"b.{ext}",
                        made_on=MADE_ON)
        assert a.read_bytes() == b.read_bytes(), ext


def test_ward_map_needs_sites_and_is_sensitive(model, tmp_path) -> None:
    with pytest.raises(GeoError, match="site records"):
        sm.snapshot(model, level="ward", measure="dispersed", lad_code=LIVERPOOL, out=tmp_path / "w.svg",
                    made_on=MADE_ON)
    sites = fake_sites(model)
    out = sm.snapshot(model, level="ward", measure="dispersed", lad_code=LIVERPOOL, dpi=72, sites=sites,
                      out=tmp_path / "w.svg", made_on=MADE_ON)
    text = svg_text(out)
    assert marking.OFFICIAL_SENSITIVE in text and "Liverpool by ward" in text
    assert "[c] Withheld (fewer than 5)" in text  # geo.gaps.WITHHELD, the one word for it (issue 23)
    top = sites.sort_values("people", ascending=False).iloc[0]
    ward = model.wards.set_index("ward_code")
    content = sm.map_content(model, level="ward", measure="dispersed", lad_code=LIVERPOOL,
                             ward_measures=sm.ward_measures_from_sites(model, sites, as_at=MADE_ON))
    assert len(content.areas) == int((model.wards["lad_code"] == LIVERPOOL).sum())
    assert content.areas.crs.to_epsg() == 27700
    assert content.label_codes and len(content.label_codes) <= sm.MAX_LABELS + 3
    labelled = set(ward.loc[content.label_codes, "ward_name"])
    assert labelled <= set(content.areas["name"])
    assert top["people"] == content.areas["value"].max()
    with pytest.raises(GeoError, match="too low"):
        sm.snapshot(model, level="ward", measure="dispersed", lad_code=LIVERPOOL, sites=sites, dpi=60,
                    out=tmp_path / "x.png", made_on=MADE_ON, marking="OFFICIAL")


def test_selection_errors_name_the_choices(model, tmp_path) -> None:
    with pytest.raises(GeoError, match="per_1000"):
        sm.snapshot(model, measure="per1000", out=tmp_path / "x.png", made_on=MADE_ON)
    with pytest.raises(GeoError, match="E08000012 Liverpool"):
        sm.snapshot(model, measure="hotel", lad_code="Liverpol", out=tmp_path / "x.png", made_on=MADE_ON)
    with pytest.raises(GeoError, match="North West"):
        sm.snapshot(model, measure="hotel", region="Nowhere", out=tmp_path / "x.png", made_on=MADE_ON)
    with pytest.raises(DataError, match="not in the statistics"):
        sm.snapshot(model, measure="hotel", period="2024-09-29", out=tmp_path / "x.png", made_on=MADE_ON)
    with pytest.raises(GeoError, match=".png"):
        sm.snapshot(model, measure="hotel", out=tmp_path / "x.jpg", made_on=MADE_ON)
    assert sm.check_lad(model, "liverpool") == LIVERPOOL


def test_over_threshold_and_scale_bar(model) -> None:
    content = sm.map_content(model, measure="limit_used")
    table = lad_table(model, model.latest_period)
    assert content.over_count == int(table["over_threshold"].fillna(False).astype(bool).sum())
    over_codes = set(table.loc[table["over_threshold"].fillna(False).astype(bool), "lad_code"])
    assert over_codes <= set(content.label_codes)  # areas over the limit are always called out
    assert sm._nice_length(700_000, 4.0) == 100_000
    assert sm._nice_length(30_000, 4.0) == 5_000


def test_no_estimate_key_entry_only_when_an_area_is_grey(model) -> None:
    content = sm.map_content(model, measure="per_1000", region="North West")
    def grey(content) -> list[str]:  # the grey entries now say how many areas each covers (issue 23)
        return [h.get_label() for h in sm.legend_handles(content) if h.get_label().startswith("No estimate")]

    assert bool(grey(content)) == bool(content.areas["value"].isna().any())
    content.areas.loc[content.areas.index[0], "value"] = np.nan  # one authority loses its population
    assert grey(content) == ["No estimate (1 authority)"]
