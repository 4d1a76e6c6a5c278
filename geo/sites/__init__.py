"""Councils' own asylum accommodation site records: read, check, place in wards, store with history,
and measure against the 1:200 dispersal limit. Library code only (no Streamlit).

Modules, one job each: ``schema`` (fields, heading and value spellings), ``readers`` (files to raw
cells), ``validate`` (accept/reject every row), ``geocode`` (postcodes to positions), ``grid``
(OS grid and UK box), ``join`` (ward and LAD by point-in-polygon), ``store`` (SQLite history),
``importer`` (the one import path), ``measures`` (ward/LAD measures), ``sample`` (illustrative
files), ``cli`` (``python -m geo sites ...``). Names below are imported lazily.
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "import_sites": "importer", "ImportResult": "importer",
    "SiteStore": "store",
    "read_table": "readers",
    "match_headers": "schema", "normalise_site_type": "schema", "normalise_status": "schema",
    "validate": "validate", "Rejection": "validate",
    "make_geocoder": "geocode", "normalise_postcodes": "geocode", "read_postcode_directory": "geocode",
    "assign_wards": "join",
    "ward_measures": "measures", "lad_measures": "measures", "acquisitions_by_month": "measures",
    "acquisitions_over_threshold": "measures",
    "generate_sample": "sample", "write_sample": "sample",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(f"geo.sites.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'geo.sites' has no attribute {name!r}")
