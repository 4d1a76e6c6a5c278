"""Current sites as CSV or GeoJSON text: one serialisation for the command line and the app."""
from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import pandas as pd

from geo.cells import safe_csv
from geo.sites.store import VERSION_FIELDS

_INTERNAL = ("version_id", "valid_from_batch", "valid_to_batch", "valid_to", "source_row")


def export_frame(sites: pd.DataFrame) -> pd.DataFrame:
    """Every stored field plus ward and authority codes, in the store's column order."""
    cols = [c for c in (*VERSION_FIELDS, "valid_from", "first_seen") if c in sites.columns]
    return pd.DataFrame(sites)[cols].copy()


def iso_dates(frame: pd.DataFrame) -> pd.DataFrame:
    """Date columns as ``YYYY-MM-DD`` text, a missing date as a gap.

    Why: ``to_csv(date_format=...)`` formats every date cell one by one, about a tenth of a
    million-site export; NumPy formats a whole column at once, with the same text.
    """
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype.kind == "M":  # naive datetime64 (the store's dates carry no time zone)
            days = out[col].to_numpy(dtype="datetime64[D]")
            text = np.datetime_as_string(days, unit="D").astype(object)
            text[np.isnat(days)] = None
            out[col] = pd.Series(text, index=out.index, dtype=object)  # not inferred as str: no copy
    return out


def sites_csv_parts(chunks: Iterable[pd.DataFrame]) -> Iterator[str]:
    """:func:`sites_csv`'s text a chunk of sites at a time (the header with the first): the same
    bytes, at the memory of one chunk. Formula-safe (geo.cells): names and addresses come from
    councils' files.

    Dates are ISO text before the writer sees them (``iso_dates``), so it is given no
    ``date_format``: with one, pandas calls Python for every text cell to look for dates.
    """
    header = True
    for chunk in chunks:
        text = safe_csv(iso_dates(export_frame(chunk)), index=False, header=header)
        assert text is not None  # no path given, so the CSV comes back as text
        header = False
        yield text


def sites_csv(sites: pd.DataFrame) -> str:
    """Formula-safe CSV of ``sites`` (see :func:`sites_csv_parts`)."""
    return "".join(sites_csv_parts([sites]))


def sites_geojson(sites) -> str:
    """Points in WGS84 with dates as ISO text (GeoJSON has no date type)."""
    out = sites[[c for c in sites.columns if c not in _INTERNAL]].copy()
    for col in out.columns:
        if str(out[col].dtype).startswith("datetime"):
            out[col] = out[col].dt.strftime("%Y-%m-%d")
    return out.to_json(na="null", drop_id=True)
