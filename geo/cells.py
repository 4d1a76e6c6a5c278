"""Cells that no spreadsheet will run: the one guard every CSV, Excel and ODS writer uses.

Why: whatever leaves the app may be opened in Excel or LibreOffice, and a text cell that begins
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return can be taken as a formula there
(OWASP, "CSV injection"). Council site names and addresses come from files we do not control,
so every text cell written is passed through :func:`safe_cell`: a risky one gets a leading
single quote, which spreadsheets show as text. The leading tab or carriage return is kept
after the quote (``"\\t=1+1"`` becomes ``"'\\t=1+1"``), so nothing is lost and nothing runs.
Numbers stay numbers: only text is ever changed.
"""
from __future__ import annotations

import io
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

# OWASP's list: formula starters plus the characters some importers strip before them.
RISKY_FIRST = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
QUOTE = "'"
_RISKY_CHARS = np.array(RISKY_FIRST)
assert all(len(c) == 1 for c in RISKY_FIRST)  # the first-character test relies on it


def is_risky(value: Any) -> bool:
    """Whether a text cell would be read as a formula (numbers never are)."""
    return isinstance(value, str) and value.startswith(RISKY_FIRST)


def safe_cell(value: Any) -> Any:
    """The value to write: risky text gets a leading single quote; anything else is unchanged."""
    return QUOTE + value if is_risky(value) else value


def _risky_mask(values: np.ndarray) -> np.ndarray:
    """True where a cell of an object array is risky text.

    Why this way: casting to one-character strings takes every cell's first character in C, and
    only the few cells whose first character is risky are then checked for being text (a number
    such as -2 begins with "-" too, and numbers are never changed). About five times faster on a
    million cells than ``str.startswith``, which calls Python per cell.
    """
    candidates = np.flatnonzero(np.isin(values.astype("U1"), _RISKY_CHARS))
    mask = np.zeros(len(values), dtype=bool)
    mask[candidates] = [isinstance(values[i], str) for i in candidates]
    return mask


def safe_series(series: pd.Series) -> pd.Series:
    """``series`` with :func:`safe_cell` applied to every text value, the whole column at once
    (a Python call per cell made most of a million-site export's time)."""
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_datetime64_any_dtype(series) \
            or pd.api.types.is_bool_dtype(series):
        return series
    values = series.to_numpy(dtype=object)  # gaps stay as they are: str(NaN) and str(NA) are never risky
    risky = _risky_mask(values)
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object)
    if not risky.any():
        return series
    out = series.copy()
    out[risky] = [QUOTE + v for v in values[risky]]
    return out


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells and column names are safe; numeric columns are untouched."""
    out = frame.copy()
    for i in range(out.shape[1]):
        out.isetitem(i, safe_series(out.iloc[:, i]))
    out.columns = [safe_cell(c) for c in out.columns]
    return out


def safe_csv(frame: pd.DataFrame, path: Any = None, **to_csv: Any) -> str | None:
    """``frame.to_csv`` with every text cell made safe (the one way this product writes CSV).

    Lines end in CRLF (RFC 4180) unless the caller says otherwise: Python's csv writer quotes a
    field holding a bare carriage return only when the line terminator contains one, and an
    unquoted CR would split the row in a spreadsheet.
    """
    to_csv.setdefault("lineterminator", "\r\n")
    return safe_frame(frame).to_csv(path, **to_csv)


def write_safe_row(sheet: Any, values: list[Any]) -> None:
    """Append a row to an openpyxl sheet so that no cell becomes a formula.

    openpyxl turns any string beginning with ``=`` into a formula cell; the cell is reset to
    a string after writing, and risky text also carries the quote so other programs reading
    the file as text do not run it either.
    """
    sheet.append([safe_cell(v) for v in values])
    for cell in sheet[sheet.max_row]:
        if cell.data_type == "f":
            cell.data_type = "s"


def plain_value(value: Any) -> Any:
    """A JSON- and openpyxl-safe scalar: numpy to Python, NaN/NA to None, a timestamp to its ISO date."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        return None if math.isnan(float(value)) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return value


def safe_workbook(sheets: Mapping[str, pd.DataFrame]) -> bytes:
    """An .xlsx holding each table (sheet name -> table) in which no cell is a formula: the one way
    this product turns tables into a workbook (``DataFrame.to_excel`` writes ``=...`` text as a live
    formula, so a provider's cell ``=HYPERLINK(...)`` would run in the reader's Excel)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for name, frame in sheets.items():
        sheet = book.create_sheet(name)
        write_safe_row(sheet, [str(c) for c in frame.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in frame.itertuples(index=False):
            write_safe_row(sheet, [plain_value(v) for v in row])
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
