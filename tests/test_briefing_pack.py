"""Briefing packs for an authority (with site records) and a region: pages, figures, greyscale."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from geo.errors import GeoError
from geo.fair_share import fair_shares
from geo.measures import headline, lad_table
from geo.render import marking
from geo.render.briefing import WARD_NEEDS_SITES, briefing_pack
from geo.text import signed
from pdf_tools import pdf_page_gray, pdf_pages, pdf_text

MADE_ON = date(2025, 3, 12)
LIVERPOOL = "E08000012"




def fake_sites(model, lad_code: str = LIVERPOOL) -> pd.DataFrame:
    """Made-up sites at ward centres (never real addresses): dispersed homes and three hotels."""
    wards = model.wards[model.wards["lad_code"] == lad_code].sort_values("ward_code").reset_index(drop=True)
    points = wards.geometry.representative_point()
    frame = pd.DataFrame({"reference": [f"S{i}" for i in range(len(wards))], "site_type": "dispersed",
                          "status": "open", "latitude": points.y, "longitude": points.x,
                          "people": [[2, 40, 3, 0, 120, 7][i % 6] for i in range(len(wards))],
                          "acquired": "2024-08-01"})
    hotels = frame.head(3).assign(reference=["H1", "H2", "H3"], site_type="hotel", people=[80, 0, 150],
                                  bed_spaces=[100, 60, 200], status=["open", "planned", "open"],
                                  opened=["2024-07-15", None, "2023-01-10"], acquired=None)
    return pd.concat([frame, hotels], ignore_index=True)


def pages(path) -> int:
    return pdf_pages(path)


def page_png(path, page: int, tmp_path) -> np.ndarray:
    return pdf_page_gray(path, page, dpi=40)


@pytest.fixture(scope="module")
def liverpool_pack(model, tmp_path_factory):
    out = tmp_path_factory.mktemp("brief") / "liverpool.pdf"
    return briefing_pack(model, lad_code=LIVERPOOL, out=out, made_on=MADE_ON, sites=fake_sites(model))


def test_authority_pack_pages_and_figures(model, liverpool_pack, tmp_path) -> None:
    n = pages(liverpool_pack)
    assert n >= 7  # cover, map, council, over-threshold, hotels, fair share, sources
    text = pdf_text(liverpool_pack)
    table = lad_table(model, model.latest_period)
    row = table.set_index("lad_code").loc[LIVERPOOL]
    assert f"{int(row['supported']):,}" in text and f"{int(row['dispersed']):,}" in text
    assert signed(row["supported_change_q"]) in text and signed(row["supported_change_y"]) in text
    for heading in ("Asylum accommodation briefing", "Headline figures", "Over the 1:200 cluster limit",
                    "Wards over the limit", "Hotel use and acquisitions", "Fair share within North West",
                    "Sources and caveats", "Section 98", "provisional", "2019 memorandum"):
        assert heading in text, heading
    assert text.count(marking.OFFICIAL_SENSITIVE) >= 2 * n  # banner top and bottom of every page
    shares = fair_shares(table, group="region")
    mine = shares.set_index("lad_code").loc[LIVERPOOL]
    assert f"{mine['fair_share_people']:,.0f}" in text
    assert model.provenance["asy_d11"].sha256[:24] in text  # the checksum is printed (wrapped)
    for page in (2, 3):  # the maps print with ink on them
        assert page_png(liverpool_pack, page, tmp_path).std() > 25


def test_region_pack_without_sites(model, tmp_path) -> None:
    out = briefing_pack(model, region="Wales", out=tmp_path / "wales.pdf", made_on=MADE_ON)
    assert pages(out) >= 4
    text = pdf_text(out)
    assert WARD_NEEDS_SITES.split(";")[0] in text
    assert "Hotel use and acquisitions" not in text
    assert marking.OFFICIAL_SENSITIVE not in text and marking.OFFICIAL in text
    heads = headline(model, model.latest_period, __import__("geo.measures", fromlist=["Filters"]).Filters(
        regions=("Wales",)))
    assert f"{int(heads['supported'].value):,}" in text
    assert "Fair share within Wales" in text
    assert page_png(out, 2, tmp_path).std() > 25


def test_pack_rejects_both_selections(model, tmp_path) -> None:
    with pytest.raises(GeoError, match="not both"):
        briefing_pack(model, lad_code=LIVERPOOL, region="Wales", out=tmp_path / "x.pdf", made_on=MADE_ON)
