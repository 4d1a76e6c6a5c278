"""A site file as a stream of raw chunks, so a million-row CSV never sits in memory whole.

``geo.sites.readers.read_table`` turns a file into one frame of raw cells; that is right for
spreadsheets and geometry files (their libraries read them whole anyway) but a 1,000,000-row
CSV as Python strings takes over a gigabyte. ``open_source`` reads a CSV twice instead: a
first pass counts the records and collects the reference column (so duplicates across chunks
are known before any row is judged), a second yields frames of ``chunk_rows`` records. Each
chunk has exactly the cells, headings and ``_source_row`` numbers ``read_table`` would give.
Anything the streaming path cannot promise that for (a row wider than the header, an encoding
that changes after the first 64 KB) falls back to ``read_table``.
"""
from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo import reading
from geo.errors import DataError
from geo.sites import readers
from geo.sites.schema import ROW

CHUNK_ROWS = 100_000


class _Fallback(Exception):
    """The streaming reader cannot match read_table on this file."""


@dataclass
class SiteSource:
    """A site file's headings, then (after ``scan``) its number of data rows, and its cells
    chunk by chunk."""

    path: Path
    columns: list[str]
    attrs: dict[str, Any] = field(default_factory=dict)
    frame: pd.DataFrame | None = None            # the whole table, when read whole
    plan: dict[str, Any] = field(default_factory=dict)   # how to stream a CSV: delimiter, header, names
    rows: int | None = None

    def scan(self, column: str | None = None) -> tuple[pd.Series, pd.Series]:
        """First pass: count the data rows and return (cells of ``column`` or blanks, row numbers)."""
        if self.frame is None:
            try:
                return self._scan_csv(column)
            except _Fallback:
                self.frame = readers.read_table(self.path)
                self.columns = [c for c in self.frame.columns if c != ROW]
                self.attrs = dict(self.frame.attrs)
        self.rows = len(self.frame)
        cells = self.frame[column] if column is not None else pd.Series([None] * len(self.frame), dtype=object)
        return cells, self.frame[ROW]

    def chunks(self, chunk_rows: int = CHUNK_ROWS) -> Iterator[pd.DataFrame]:
        """Raw frames of at most ``chunk_rows`` rows, in file order (``scan`` first)."""
        if self.frame is not None:
            for start in range(0, len(self.frame), chunk_rows):
                yield self.frame.iloc[start:start + chunk_rows]
            return
        names, width = self.plan["names"], len(self.plan["names"])
        data: list[list[Any]] = []
        numbers: list[int] = []
        done = 0
        for number, row in self._data_records():
            if _blank("".join(row)):
                continue
            data.append(row[:width] if len(row) >= width else row + [""] * (width - len(row)))
            numbers.append(number)
            if len(data) == chunk_rows:
                yield self._frame(data, numbers, names, done)
                done += len(data)
                data, numbers = [], []
        if data:
            yield self._frame(data, numbers, names, done)

    def _frame(self, data: list[list[str]], numbers: list[int], names: list[str], start: int) -> pd.DataFrame:
        """Cells as read_table gives them, empty cells None. (A whitespace-only cell stays as
        read: every check strips it to blank, and a rejected row's copy shows it as null.)"""
        cells = np.array(data, dtype=object).reshape(len(data), len(names))
        cells[cells == ""] = None
        frame = pd.DataFrame(cells, columns=names, dtype=object)
        frame.insert(0, ROW, np.asarray(numbers, dtype="int64"))
        frame.index = pd.RangeIndex(start, start + len(frame))
        frame.attrs.update(self.attrs)
        return frame

    def _data_records(self) -> Iterator[tuple[int, list[str]]]:
        """(record number as read_table numbers it, cells) for every record after the header."""
        stream, _, _ = _open(self.path)
        with stream:
            for i, row in enumerate(_records(stream, self.plan["delimiter"], self.path), start=1):
                if i > self.plan["header_index"] + 1:
                    yield i, row

    def _scan_csv(self, column: str | None) -> tuple[pd.Series, pd.Series]:
        width = len(self.plan["names"])
        at = self.plan["names"].index(column) if column is not None else None
        cap = reading.max_rows()
        cells: list[str | None] = []
        numbers: list[int] = []
        for number, row in self._data_records():
            if len(row) > width and not _blank("".join(row[width:])):
                raise _Fallback()   # read_table would add a column for these cells
            if _blank("".join(row)):
                continue
            numbers.append(number)
            if len(numbers) > cap:
                raise DataError(f"more than {cap:,} rows (set AAM_MAX_ROWS to allow more)", file=self.path,
                                row=number)
            if at is not None:
                cell = row[at] if at < len(row) else ""
                cells.append(None if _blank(cell) else cell)
        self.rows = len(numbers)
        out = pd.Series(cells if at is not None else [None] * len(numbers), dtype=object)
        return out, pd.Series(numbers, dtype="int64")


def open_source(path: str | Path, *, sheet: str | None = None) -> SiteSource:
    """The file as a SiteSource: a CSV is streamed (only its header is read here), anything
    else is read whole by ``read_table``."""
    path = Path(path)
    if path.suffix.lower() in readers.CSV_SUFFIXES:
        try:
            return _open_csv(path)
        except _Fallback:
            pass
    frame = readers.read_table(path, sheet=sheet)
    columns = [c for c in frame.columns if c != ROW]
    return SiteSource(path, columns, dict(frame.attrs), frame=frame, rows=len(frame))


def _open(path: Path) -> tuple[Any, reading.Decoded, str]:
    stream, probe = reading.text_stream(path, reading.SITE)
    try:
        head = stream.read(65536)
    except UnicodeDecodeError as exc:
        stream.close()
        raise _Fallback() from exc
    stream.seek(0)
    return stream, probe, reading.sniff_delimiter(head)


def _records(stream: Any, delimiter: str, path: Path) -> Iterator[list[str]]:
    reader = csv.reader(stream, delimiter=delimiter)
    try:
        yield from reader
    except csv.Error as exc:
        raise DataError(f"cannot read as CSV ({exc})", file=path, row=max(reader.line_num, 1)) from None
    except UnicodeDecodeError as exc:
        raise _Fallback() from exc


def _blank(cell: str) -> bool:
    return cell == "" or cell.isspace()


def _open_csv(path: Path) -> SiteSource:
    """The header of a CSV (found as read_table finds it), without reading further."""
    reading.check_size(path, reading.SITE)
    stream, probe, delimiter = _open(path)
    with stream:
        head: list[list[str]] = []
        for row in _records(stream, delimiter, path):
            head.append(row)
            if len(head) >= readers.HEADER_SCAN_ROWS:
                break
    if not head or all(all(_blank(c) for c in r) for r in head):
        raise _Fallback()           # empty, or blank for 20 lines: read_table says which
    h = readers._header_row(head)
    names = readers._headers(list(head[h]))
    attrs = {"file": path.name, "encoding": probe.encoding, "encoding_guessed": probe.guessed, "header_row": h + 1}
    if probe.guessed:
        attrs["warnings"] = [readers.guessed_encoding_warning(path.name, probe.encoding)]
    return SiteSource(path, names, attrs, plan={"delimiter": delimiter, "header_index": h, "names": names})
