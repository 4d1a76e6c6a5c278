"""A small in-memory model with the situations issue 23's findings were made in.

Built at test time, so no test needs the hand-made totals file (which is being removed):

- Asy_D11 from September 2022 to September 2024, by support and accommodation type, with hotels
  split out by council only from December 2022 and people with no council recorded;
- the quarterly totals series from March 2014 to September 2025 (total supported only), with no
  Barnsley or Sheffield rows at all, agreeing with Asy_D11 where they overlap;
- Reg_02 at 31 December 2025, with hotels and other contingency sites together, every council.

Glasgow City has 650,300 residents (limit 3,251, never 3,252); Liverpool 508,961 (2,544); the Isle
of Anglesey has no population estimate.
"""
from __future__ import annotations

from datetime import UTC, datetime

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from geo import period_table
from geo.asylum_stats import DISPERSED, HOTEL, INITIAL, OTHER_CONTINGENCY, SUBSISTENCE_ONLY
from geo.codes import nation_of
from geo.model import Model
from geo.sources import Provenance

# code, name, region, residents (NaN: no estimate), base people supported
COUNCILS = [
    ("E08000016", "Barnsley", "Yorkshire and The Humber", 250_000.0, 600),
    ("E08000019", "Sheffield", "Yorkshire and The Humber", 560_000.0, 1_900),
    ("E08000035", "Leeds", "Yorkshire and The Humber", 820_000.0, 2_400),
    ("E08000012", "Liverpool", "North West", 508_961.0, 2_700),
    ("E08000003", "Manchester", "North West", 568_000.0, 3_100),
    ("S12000049", "Glasgow City", "Scotland", 650_300.0, 4_300),
    ("W06000001", "Isle of Anglesey", "Wales", float("nan"), 40),
]
GLASGOW = "S12000049"
GLASGOW_LIMIT = "3,251"
NOT_IN_TOTALS = ("E08000016", "E08000019")  # Barnsley and Sheffield
D11_QUARTERS = pd.date_range("2022-09-30", "2024-09-30", freq="QE")
TOTALS_QUARTERS = pd.date_range("2014-03-31", "2025-09-30", freq="QE")
REG02_QUARTER = pd.Timestamp("2025-12-31")
HOTELS_FROM = pd.Timestamp("2022-12-31")


def _people(i: int, base: int, period: pd.Timestamp) -> dict[str, int]:
    """Deterministic counts by accommodation type for council i at a quarter (all support types)."""
    step = (period.year - 2014) * 4 + (period.month // 3)
    total = base + 7 * step + 3 * i * (step % 5)
    hotel = total // 5 + i
    dispersed = total - hotel - 30 - i
    if i == 5:  # Glasgow City: over its limit of 3,251 whenever the dispersed figure is published
        dispersed = 3_600 + step
        total = dispersed + hotel + 30 + i
    return {DISPERSED: dispersed, HOTEL: hotel, OTHER_CONTINGENCY: 10, INITIAL: 15, SUBSISTENCE_ONLY: 5 + i}


def _asy_d11() -> pd.DataFrame:
    rows = []
    for period in D11_QUARTERS:
        for i, (code, name, region, _, base) in enumerate(COUNCILS):
            counts = _people(i, base, period)
            if period < HOTELS_FROM:  # before December 2022 hotels are not split out by council
                counts = {DISPERSED: counts[DISPERSED], SUBSISTENCE_ONLY: counts[SUBSISTENCE_ONLY]}
            for acc, people in counts.items():
                # Two support types, so a support filter has something to split.
                s95 = people * 3 // 4
                for support, n in (("Section 95", s95), ("Section 4", people - s95)):
                    rows.append({"period": period, "support_type": support, "accommodation_type": acc,
                                 "lad_code": code, "lad_name": name, "region": region,
                                 "nation": nation_of(code), "unallocated_reason": None, "people": n,
                                 "source_lad_codes": code, "allocated": True})
        rows.append({"period": period, "support_type": "Section 95", "accommodation_type": DISPERSED,
                     "lad_code": None, "lad_name": None, "region": None, "nation": None,
                     "unallocated_reason": "no local authority recorded", "people": 250,
                     "source_lad_codes": None, "allocated": False})
    frame = pd.DataFrame(rows)
    frame["people"] = frame["people"].astype("int64")
    return frame.assign(release="Asy_D11, fixture, September 2024", sheet="Data_Asy_D11", source="asy_d11")


def _totals() -> pd.DataFrame:
    rows = []
    for period in TOTALS_QUARTERS:
        for i, (code, name, _, _, base) in enumerate(COUNCILS):
            if code in NOT_IN_TOTALS:
                continue
            rows.append({"period": period, "lad_code": code, "lad_name": name,
                         "supported": sum(_people(i, base, period).values())})
    return pd.DataFrame(rows)


def _reg02() -> pd.DataFrame:
    rows = []
    for i, (code, name, region, residents, base) in enumerate(COUNCILS):
        c = _people(i, base, REG02_QUARTER)
        rows.append({"lad_code": code, "lad_name": name, "region": region, "nation": nation_of(code),
                     "as_at": REG02_QUARTER, "population": residents,
                     "supported_asylum": sum(c.values()), "dispersal_accommodation": c[DISPERSED],
                     "contingency_accommodation": c[HOTEL] + c[OTHER_CONTINGENCY],
                     "initial_accommodation": c[INITIAL], "other_accommodation": 0,
                     "subsistence_only": c[SUBSISTENCE_ONLY]})
    return pd.DataFrame(rows)


def _provenance(sid: str, title: str, file_name: str, release: str) -> Provenance:
    return Provenance(source_id=sid, title=title, publisher="Home Office" if sid != "lad_boundaries" else "ONS",
                      licence="Open Government Licence v3.0", release=release, path=f"/fixture/{file_name}",
                      file_name=file_name, origin="shared", sha256="0" * 64, size_bytes=1, url=None,
                      resolved_at=datetime(2026, 1, 1, tzinfo=UTC).isoformat())


def _lads() -> gpd.GeoDataFrame:
    shapes = [box(-3.0 + 0.3 * i, 53.0, -2.8 + 0.3 * i, 53.2) for i in range(len(COUNCILS))]
    return gpd.GeoDataFrame({
        "lad_code": [c[0] for c in COUNCILS], "lad_name": [c[1] for c in COUNCILS],
        "region": [c[2] for c in COUNCILS], "nation": [nation_of(c[0]) for c in COUNCILS],
        "population": np.array([c[3] for c in COUNCILS], dtype="float64"),
    }, geometry=shapes, crs="EPSG:4326")


def figures_model() -> Model:
    """The model the screens read, built from the three fixture sources above."""
    lads = _lads()
    reg02 = _reg02()
    totals = _totals()
    prov = {
        "asy_d11": _provenance("asy_d11", "Asylum support by local authority (Asy_D11)",
                               "asylum-support-fixture-sep-2024.xlsx", "Asy_D11, fixture, September 2024"),
        "reg02": _provenance("reg02", "Regional and local authority data (Reg_02)", "reg-02-fixture-dec-2025.ods",
                             "Reg_02, fixture, December 2025"),
        "quarterly_totals": _provenance("quarterly_totals", "Supported asylum seekers by local authority, quarterly",
                                        "quarterly-totals-fixture.csv", "quarterly totals, fixture, to September 2025"),
        "lad_boundaries": _provenance("lad_boundaries", "Local Authority Districts (May 2023)", "lads-fixture.geojson",
                                      "May 2023"),
    }
    names = lads.set_index("lad_code")["lad_name"]
    qrows = period_table.quarterly_rows(totals, prov["quarterly_totals"].release, names)
    qrows["region"] = qrows["lad_code"].map(lads.set_index("lad_code")["region"])
    qrows["nation"] = qrows["lad_code"].map(nation_of)
    by_source = {"asy_d11": _asy_d11(), "reg02": period_table.reg02_rows(reg02, prov["reg02"].release),
                 "quarterly_totals": qrows}
    return Model(stats=period_table.combine(by_source), stats_release=prov["asy_d11"].release, lads=lads,
                 wards=None, reg02=reg02, quarterly=totals, provenance=prov, by_source=by_source)
