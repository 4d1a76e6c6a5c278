"""Exceptions that carry where bad input came from, so every message names file, sheet, row and column."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class GeoError(Exception):
    """Base for every error the command line turns into one clear line (never a traceback)."""


@dataclass
class DataError(GeoError):
    """Input that cannot be read as the layout promises."""

    message: str
    file: str | Path | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.file is not None:
            where.append(f"file {Path(self.file).name}")
        if self.sheet is not None:
            where.append(f"sheet '{self.sheet}'")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class SourceMissing(GeoError):
    """An official file was found nowhere: not cached, not in a local folder, not downloadable."""


class DownloadError(GeoError):
    """A publisher's address did not give us the file after retries."""
