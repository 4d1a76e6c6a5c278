"""Fixtures for the property check tests: the illustrative sample imported into a store, built once.

Expected figures are computed here from the loaded files (real ONS wards, Asy_D11, Reg_02) and
the sample's own site records, never typed in, so a change in the data or a bug in the check
shows up as a failure.
"""
from __future__ import annotations

import shutil
import tempfile
from datetime import date
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo import rules
from geo.check.evaluate import CheckContext, build_context
from geo.check.settings import CheckSettings
from geo.sites.measures import occupied

LIVERPOOL = "E08000012"
SAMPLE_LADS = ("E08000012", "S12000049", "E08000025", "E09000017")


@lru_cache(maxsize=1)
def _folder() -> Path:
    return Path(tempfile.mkdtemp(prefix="aam-check-"))


_DBS: dict[int, Path] = {}


def sample_db(model) -> Path:
    """The illustrative sample for the four default councils, imported into a fresh store (once per model)."""
    if id(model) not in _DBS:
        _DBS[id(model)] = _build_sample_db(model)
    return _DBS[id(model)]


def sample_store_copy(model, tmp_path: Path, monkeypatch) -> Path:
    """A copy of the sample store of the test's own, which the app under test is pointed at."""
    path = tmp_path / "sites.sqlite"
    shutil.copy(sample_db(model), path)
    monkeypatch.setenv("AAM_SITES_DB", str(path))
    return path


def check_page():
    """The Check page after its first run, with no exception."""
    from streamlit.testing.v1 import AppTest

    from conftest import ROOT

    at = AppTest.from_file(str(ROOT / "pages" / "check.py"), default_timeout=240)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _build_sample_db(model) -> Path:
    import os

    saved = os.environ.pop("AAM_DATABASE_URL", None)  # the cached copy is always a SQLite file
    try:
        return import_sample(model, _folder() / "sites.sqlite")
    finally:
        if saved is not None:
            os.environ["AAM_DATABASE_URL"] = saved


def import_sample(model, db: Path) -> Path:
    """Import the illustrative sample into the store at ``db`` (or AAM_DATABASE_URL's database)."""
    from geo.sites.importer import import_sites
    from geo.sites.sample import totals_from_asy_d11, write_sample

    path = write_sample(db.parent, model.wards, totals_from_asy_d11(model.stats), lads=SAMPLE_LADS)
    import_sites(path, db, model.wards.copy(), imported_by="test")
    return db


def sample_sites(model) -> gpd.GeoDataFrame:
    from geo.sites.store import SiteStore

    return SiteStore(sample_db(model)).current_sites()


def context(model, settings: CheckSettings | None = None, today: date | None = None) -> CheckContext:
    return build_context(model, sample_sites(model), settings, today)


def ward_people(model, today: date | None = None) -> pd.DataFrame:
    """Per ward of the sample: dispersed people in occupied sites, hotels, residents and capacity."""
    sites = pd.DataFrame(sample_sites(model))
    live = occupied(sites, today or date.today())
    people = pd.to_numeric(sites["people"], errors="coerce").fillna(0)
    disp = people[live & (sites["site_type"] == "dispersed")].groupby(sites["ward_code"]).sum()
    hotels = sites[(sites["site_type"] == "hotel") & (live | (sites["status"] == "planned"))].groupby(
        "ward_code").size()
    wards = pd.DataFrame(model.wards.drop(columns="geometry"))
    wards = wards[wards["lad_code"].isin(SAMPLE_LADS)].copy()
    wards["dispersed"] = wards["ward_code"].map(disp).fillna(0).astype(int)
    wards["hotels"] = wards["ward_code"].map(hotels).fillna(0).astype(int)
    wards["capacity"] = rules.capacity(wards["population"])
    return wards.reset_index(drop=True)


def inside(model, ward_code: str) -> tuple[float, float]:
    """(latitude, longitude) of a point certainly inside the ward."""
    geom = model.wards.loc[model.wards["ward_code"] == ward_code, "geometry"].iloc[0]
    point = geom.representative_point()
    return point.y, point.x


def published_dispersed(model, lad_code: str) -> int:
    """Dispersed people for the council at the model's latest quarter, summed from the tidy table."""
    stats = model.stats
    rows = stats[(stats["period"] == model.latest_period) & (stats["lad_code"] == lad_code)
                 & (stats["accommodation_type"] == "Dispersal Accommodation")]
    if "allocated" in rows.columns:
        rows = rows[rows["allocated"]]
    return int(rows["people"].sum())
