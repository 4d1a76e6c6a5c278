"""What a table on a page shows in a cell: a number, words or a dash, never a raw ``None`` or ``nan``.

Why: Streamlit draws every missing value as a grey "None", in text and number columns alike (a
pandas Styler's ``na_rep`` is ignored), so the fair-share movement table and the site list showed
"None" to a chief executive (issue 27). ``readable`` blanks missing text and writes a number column
that has gaps as text, in the format its column config asks for, with a dash for the gaps; such a
column then sorts as text, the price of saying "no figure" instead of "None". Columns with no gaps
stay numbers. ``dataframe`` is ``st.dataframe`` through ``readable``, for every page's tables.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

MISSING = "—"  # no figure (a number column); a text column's missing cell is left blank


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _format_of(config: Any) -> str | None:
    """The number format a column's config asks for ('localized', '%.2f', ...), if any."""
    if isinstance(config, Mapping):
        return (config.get("type_config") or {}).get("format")
    return None


def number_text(value: Any, fmt: str | None = None) -> str:
    """A number as the column config's ``fmt`` would show it ('%.2f', '%+d', 'localized'; by default
    whole numbers with thousands separators, else two places); a missing one as ``MISSING``."""
    if _missing(value):
        return MISSING
    number = float(value)
    if fmt and re.fullmatch(r"%[+,]?\.?\d*[df]", fmt):
        return fmt % (round(number) if fmt.endswith("d") else number)
    if number.is_integer():
        return f"{number:,.0f}"
    return f"{number:,.2f}"


def readable(frame: pd.DataFrame, column_config: Mapping[str, Any] | None = None
             ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """(the frame to show, its column config): missing text blank, number columns with gaps as text
    with a dash (their config turned into a text column with the same label and help)."""
    import streamlit as st

    config = dict(column_config or {})
    out = frame.copy()
    for col in out.columns:
        values = out[col]
        if not values.map(_missing).any():
            continue
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            old = config.get(col)
            out[col] = [number_text(v, _format_of(old)) for v in values]
            label = old if isinstance(old, str) else (old or {}).get("label") if isinstance(old, Mapping) else None
            helptext = old.get("help") if isinstance(old, Mapping) else None
            config[col] = st.column_config.TextColumn(label or str(col), help=helptext)
        else:
            out[col] = values.astype(object).where(~values.map(_missing), "")
    return out, config


def dataframe(where: Any, frame: pd.DataFrame, *, column_config: Mapping[str, Any] | None = None,
              **kwargs: Any) -> Any:
    """``where.dataframe`` (``st`` or a column) with ``readable`` cells."""
    shown, config = readable(frame, column_config)
    return where.dataframe(shown, column_config=config or None, **kwargs)
