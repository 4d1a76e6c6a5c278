"""The 1:200 cluster limit of the 2019 memorandum, and its rounding: the one place it is written.

The memorandum between local government and the Home Office says no area should hold more than
one supported asylum seeker in dispersed accommodation per 200 residents. People are whole, so an
area's *capacity* is the largest whole number of people within that limit: ``floor(residents /
200)``. Everything else follows from it and is computed here only:

- ``over_threshold``: dispersed > capacity (the same as dispersed > residents / 200 for whole people);
- ``headroom``: capacity - dispersed (negative when over; "over by" is its negation);
- ``limit_used``: dispersed / (residents / 200), the exact ratio (1.0 = at the limit), for colouring.

An area with no population estimate has no capacity, no status and no ratio: "no estimate",
never zero. Every screen, snapshot, export, briefing pack and check calls these functions; a search
for the divisor anywhere else should find nothing.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

CLUSTER_LIMIT = 200  # residents per supported asylum seeker in dispersed accommodation
LIMIT_RATIO = 1 / CLUSTER_LIMIT  # dispersed people per resident at the limit (0.5%)
LIMIT_NAME = f"1:{CLUSTER_LIMIT}"

OVER = f"over {LIMIT_NAME}"
WITHIN = f"within {LIMIT_NAME}"
NO_ESTIMATE = "no estimate"

# Status of an area once a proposed property is added (the property check's answer).
AFTER_WITHIN = "within"
AFTER_WOULD_GO_OVER = "would go over"
AFTER_ALREADY_OVER = "already over"
AFTER_NO_ESTIMATE = NO_ESTIMATE

Number = float | int


def _residents(residents: Any) -> Any:
    """Residents as floats, with a missing or non-positive population as NaN (no estimate)."""
    if isinstance(residents, pd.Series):
        values = pd.to_numeric(residents, errors="coerce").astype("float64")
        return values.where(values > 0)
    if residents is None:
        return float("nan")
    try:
        value = float(residents)
    except (TypeError, ValueError):
        return float("nan")
    return value if value > 0 else float("nan")


def capacity(residents: Any, per: int = CLUSTER_LIMIT) -> Any:
    """Most people in dispersed accommodation within 1:per: floor(residents / per); NaN if unknown.

    `per` is 200 by the memorandum; the fair-share page lets a partnership try another limit.
    """
    if not (isinstance(per, (int, np.integer)) and per > 0):
        raise ValueError(f"the limit must be one person per a positive whole number of residents, got {per!r}")
    values = _residents(residents)
    return np.floor(values / per)


def limit_used(dispersed: Any, residents: Any) -> Any:
    """Dispersed people against the exact limit (residents / 200): 1.0 is exactly at it."""
    return dispersed / (_residents(residents) / CLUSTER_LIMIT)


def headroom(dispersed: Any, residents: Any) -> Any:
    """Whole people that could still be placed within the limit (negative when over)."""
    return capacity(residents) - dispersed


def over_by(dispersed: Any, residents: Any) -> Any:
    """Whole people above the limit (0 or negative when within)."""
    return dispersed - capacity(residents)


def over_threshold(dispersed: Any, residents: Any) -> Any:
    """True over the limit, False within, NA (Series) or None (scalar) with no population estimate
    or no dispersed figure."""
    cap = capacity(residents)
    if isinstance(cap, pd.Series) or isinstance(dispersed, pd.Series):
        cap_s = cap if isinstance(cap, pd.Series) else pd.Series(cap, index=dispersed.index)
        people = pd.to_numeric(pd.Series(dispersed, index=cap_s.index), errors="coerce")
        result = (people > cap_s).astype("boolean")
        return result.mask(cap_s.isna() | people.isna())  # no figure is no status, never "within"
    if pd.isna(cap) or dispersed is None or pd.isna(dispersed):
        return None
    return bool(dispersed > cap)


def status(dispersed: Any, residents: Any) -> Any:
    """'over 1:200', 'within 1:200' or 'no estimate', for a scalar or a Series."""
    over = over_threshold(dispersed, residents)
    if isinstance(over, pd.Series):
        return over.map({True: OVER, False: WITHIN}).astype("object").where(over.notna(), NO_ESTIMATE)
    return NO_ESTIMATE if over is None else (OVER if over else WITHIN)


def status_after(dispersed_now: Any, added: Any, residents: Any) -> Any:
    """Where an area stands once `added` people are placed: within, would go over, already over."""
    cap = capacity(residents)
    now_over = over_threshold(dispersed_now, residents)
    if isinstance(now_over, pd.Series):
        after = pd.Series(dispersed_now, index=now_over.index) + added
        out = pd.Series(AFTER_WITHIN, index=now_over.index, dtype="object")
        out[after > cap] = AFTER_WOULD_GO_OVER
        out[now_over.fillna(False).astype(bool)] = AFTER_ALREADY_OVER
        out[now_over.isna()] = AFTER_NO_ESTIMATE
        return out
    if now_over is None:
        return AFTER_NO_ESTIMATE
    if now_over:
        return AFTER_ALREADY_OVER
    return AFTER_WOULD_GO_OVER if dispersed_now + added > cap else AFTER_WITHIN
