"""Issue 25: the other schemes' figures in the place-based fair share equal the published Reg_02 cells."""
from __future__ import annotations

import pandas as pd
import pytest

from conftest import SHARED, needs_shared
from geo import place_share

pytestmark = needs_shared

ODS = SHARED / "homeoffice" / "regional-and-local-authority-dataset-dec-2025.ods"


def _published() -> pd.DataFrame:
    """Reg_02 read here, by its own headings, independently of the product's reader."""
    raw = pd.read_excel(ODS, sheet_name="Reg_02", engine="calamine", header=1)
    return pd.DataFrame({
        "lad_code": raw["LTLA (ONS code)"].astype(str).str.strip(),
        "ukraine": pd.to_numeric(raw["Homes for Ukraine (arrivals)"], errors="coerce"),
        "afghan": pd.to_numeric(raw["Afghan Resettlement Programme (population)"], errors="coerce"),
        "three": pd.to_numeric(raw[next(c for c in raw.columns if "three" in str(c).lower())], errors="coerce"),
    }).dropna(subset=["lad_code"]).set_index("lad_code")


def test_other_schemes_equal_the_published_cells(model) -> None:
    period = pd.Timestamp("2025-12-31")
    request = place_share.Request(area=place_share.UK, period=period, schemes=("asylum", "ukraine", "afghan"))
    result = place_share.compute(model, request).table.set_index("lad_code")
    published = _published()
    both = result.index.intersection(published.index)
    assert len(both) >= 355  # Barnsley and Sheffield carry their 2025 codes in the file
    pd.testing.assert_series_equal(result.loc[both, "ukraine"], published.loc[both, "ukraine"].astype(float),
                                   check_names=False)
    pd.testing.assert_series_equal(result.loc[both, "afghan"], published.loc[both, "afghan"].astype(float),
                                   check_names=False)
    pd.testing.assert_series_equal(result.loc[both, "three_pathways_total"], published.loc[both, "three"].astype(float),
                                   check_names=False)  # the Home Office's own total, kept for reference
    assert published["ukraine"].sum() == 149_685 and published["afghan"].sum() == 31_021
    assert result["ukraine"].sum() == pytest.approx(149_685) and result["afghan"].sum() == pytest.approx(31_021)
    # What is shared is supported asylum + Homes for Ukraine + the Afghan programme, every council counted.
    assert result["burden"].sum() == pytest.approx(result["supported"].sum() + 149_685 + 31_021)
    assert result["fair_share"].sum() == pytest.approx(result.loc[result["population"].notna(), "burden"].sum())
