"""Local pressures per council: the published files in ``pressures/`` and a partnership's own CSV.

Why: the 2019 memorandum asks for dispersal "taking account of local pressures ... such as
homelessness, deprivation, cohesion". The place-based fair share (``geo.pressure_share``) weighs
those pressures; this module only reads them, one ``Indicator`` per pressure, keyed by ``lad_code``.

Rules every reader follows:

- A blank cell, or a publisher's marker (``c`` suppressed, ``z`` not applicable, ``x`` not
  available, ``..``, ``-``, ``*``, ``[c]``...), is **missing** (NaN, marker kept), never 0.
- Any other text where a number belongs is refused with one line naming file, row and column
  (rows are counted as a spreadsheet shows them: the header is row 1).
- Each indicator says what it is, its period, its source file and release, and whether a higher
  value means more pressure, so every screen and export can name it.

A partnership's own indicators are a CSV keyed by ``lad_code`` with a JSON sidecar describing each
column (see docs/fair-share.md); they are validated the same way.
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from geo import sources
from geo.errors import DataError, GeoError, SourceMissing

LAD_CODE = re.compile(r"^[EWSN]\d{8}$")
MARKERS = frozenset({"c", "z", "x", "..", "-", "*", ":", "[c]", "[x]", "[z]", "[u]", "[low]"})
KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
SIDECAR_FIELDS = ("meaning", "period", "source", "higher_is_more_pressure")


@dataclass(frozen=True, eq=False)
class Indicator:
    """One pressure per council: values (NaN = missing), what it means and where it came from."""

    key: str
    label: str
    meaning: str
    period: str
    source: str  # publisher, release and file, as a screen cites it
    higher_is_more_pressure: bool
    values: pd.Series  # float, indexed by lad_code; NaN = no figure
    markers: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))  # lad_code -> marker
    per_residents: int | None = None  # the model divides by population (x per N residents) when set
    note: str = ""

    def value(self, lad_code: str) -> float:
        return float(self.values.get(lad_code, np.nan))


@dataclass(frozen=True)
class PressureFile:
    """Where a registered pressure comes from: the registry id, the column read, and its meaning."""

    key: str
    source_id: str
    column: str
    label: str
    meaning: str
    higher_is_more_pressure: bool = True
    per_residents: int | None = None
    note: str = ""


# The published pressures (../shared/data/pressures, registered in data/sources.json).
DEPRIVATION_ENGLAND = PressureFile(
    "deprivation", "iod2025", "imd_average_score", "Deprivation (English IoD 2025)",
    "Index of Multiple Deprivation 2025, average score of the council's small areas (higher = more deprived)")
DEPRIVATION_UK = PressureFile(
    "deprivation", "uk_composite_imd", "uk_composite_deprivation_score", "Deprivation (UK composite index)",
    "mySociety composite UK deprivation score, population-weighted (higher = more deprived); England-anchored, "
    "so read Northern Ireland with care")
PUBLISHED: dict[str, PressureFile] = {
    "homelessness": PressureFile(
        "homelessness", "homelessness_ta_rate", "ta_households_per_1000_households",
        "Homelessness (temporary accommodation)",
        "Households in temporary accommodation per 1,000 households (MHCLG TA1)"),
    "affordability": PressureFile(
        "affordability", "affordability_ratio", "ratio_median_price_to_median_workplace_earnings_2024",
        "Housing affordability", "Median house price to median workplace-based earnings (ONS)"),
    "rents": PressureFile(
        "rents", "private_rents", "rent_median_all", "Private rents",
        "Median private rent, all categories, GBP a month (ONS PRMS)",
        note="ONS warns these rents are not survey-based and should not be compared across areas or time"),
    "uasc": PressureFile(
        "uasc", "uasc_looked_after", "uasc_looked_after_31mar_2025",
        "Unaccompanied children looked after",
        "Unaccompanied asylum-seeking children looked after at 31 March 2025 per 10,000 residents (DfE), "
        "by children's services authority (county areas have no district figure)", per_residents=10_000),
    "resettlement": PressureFile(
        "resettlement", "resettlement_lad", "resettled_arrivals_cumulative_repo_sum",
        "Resettlement arrivals (lower bound)",
        "Resettlement arrivals since 2014 per 10,000 residents, summed over quarters of Res_D01: "
        "a lower bound (the councils sum to 24,367 against 30,975 nationally)", per_residents=10_000),
}
PRESSURE_KEYS = ("deprivation", *PUBLISHED)


# --------------------------------------------------------------------------- parsing


def _cell_number(text: str, *, file: Path | str, row: int, column: str) -> tuple[float, str | None]:
    """(value, marker): blank or a marker is (NaN, marker); other text is refused, naming the cell."""
    raw = text.strip()
    if raw == "":
        return np.nan, None
    if raw.lower() in MARKERS:
        return np.nan, raw
    try:
        value = float(raw.replace(",", ""))
    except ValueError:
        raise DataError(f"{raw!r} is not a number (leave the cell blank when there is no figure)",
                        file=file, row=row, column=column) from None
    if not np.isfinite(value):
        raise DataError(f"{raw!r} is not a finite number", file=file, row=row, column=column)
    return value, None


def _read_text(path: Path) -> pd.DataFrame:
    """Every cell as text ('' for blank), so nothing is guessed and markers survive."""
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig", comment=None)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read as CSV ({exc})", file=path) from None
    except pd.errors.EmptyDataError:
        raise DataError("the file is empty", file=path) from None


def _numbers(frame: pd.DataFrame, column: str, path: Path, codes_column: str = "lad_code"
             ) -> tuple[pd.Series, pd.Series]:
    """A text column as floats and markers, indexed by code; rows without a code are skipped."""
    values: dict[str, float] = {}
    markers: dict[str, str] = {}
    for i, (code, text) in enumerate(zip(frame[codes_column], frame[column], strict=True)):
        code = code.strip()
        if not code:
            continue
        value, marker = _cell_number(text, file=path, row=i + 2, column=column)
        values[code] = value
        if marker is not None:
            markers[code] = marker
    return pd.Series(values, dtype=float), pd.Series(markers, dtype=object)


def _check_codes(frame: pd.DataFrame, path: Path, *, allow_blank: bool) -> None:
    if "lad_code" not in frame.columns:
        raise DataError(f"no 'lad_code' column; the columns are {', '.join(frame.columns)}", file=path,
                        row=1, column="lad_code")
    seen: set[str] = set()
    for i, code in enumerate(frame["lad_code"]):
        code = code.strip()
        if not code and allow_blank:
            continue
        if not LAD_CODE.match(code):
            raise DataError(f"{code!r} is not a local authority code (like E08000012)", file=path,
                            row=i + 2, column="lad_code")
        if code in seen:
            raise DataError(f"{code} appears twice", file=path, row=i + 2, column="lad_code")
        seen.add(code)


def _period(frame: pd.DataFrame) -> str:
    if "period" not in frame.columns:
        return ""
    periods = [p for p in frame["period"].unique() if p.strip()]
    return periods[0] if len(periods) == 1 else "; ".join(periods[:3])


def cite(prov: sources.Provenance) -> str:
    """'MHCLG ..., release ... (file.csv)': how a screen names an indicator's source."""
    return f"{prov.publisher}, {prov.release} ({prov.file_name})"


def read_published(spec: PressureFile, prov: sources.Provenance) -> Indicator:
    """One published pressure file as an Indicator (blank and markers missing, never 0)."""
    path = Path(prov.path)
    frame = _read_text(path)
    # UASC rows for county councils carry no lad_code (a county covers several districts).
    _check_codes(frame, path, allow_blank=spec.source_id == "uasc_looked_after")
    if spec.column not in frame.columns:
        raise DataError(f"no column '{spec.column}' ({spec.label}); the columns are {', '.join(frame.columns)}",
                        file=path, row=1, column=spec.column)
    values, markers = _numbers(frame, spec.column, path)
    return Indicator(key=spec.key, label=spec.label, meaning=spec.meaning, period=_period(frame),
                     source=cite(prov), higher_is_more_pressure=spec.higher_is_more_pressure,
                     values=values, markers=markers, per_residents=spec.per_residents, note=spec.note)


def deprivation_spec(codes: list[str] | pd.Series) -> PressureFile:
    """English IoD 2025 when every council compared is in England, else the UK composite index.

    IoD 2025 is the official English index; it has no figure for Wales, Scotland or Northern
    Ireland, so an area that reaches beyond England is compared on the one index covering all four.
    """
    english = all(str(c).startswith("E") for c in codes)
    return DEPRIVATION_ENGLAND if english else DEPRIVATION_UK


def published_indicators(provenance: Mapping[str, sources.Provenance], codes: list[str] | pd.Series,
                         keys: tuple[str, ...] = PRESSURE_KEYS) -> tuple[list[Indicator], dict[str, str]]:
    """The published pressures that are loaded, and why each absent one is absent."""
    found: list[Indicator] = []
    absent: dict[str, str] = {}
    for key in keys:
        spec = deprivation_spec(codes) if key == "deprivation" else PUBLISHED[key]
        prov = provenance.get(spec.source_id)
        if prov is None:
            absent[key] = f"{spec.label}: file not loaded ({spec.source_id})"
            continue
        found.append(read_published(spec, prov))
    return found, absent


SOURCE_IDS = (DEPRIVATION_ENGLAND.source_id, DEPRIVATION_UK.source_id, *(s.source_id for s in PUBLISHED.values()))


def resolve_pressures(data_dir: str | Path | None = None, cache: str | Path | None = None
                      ) -> dict[str, sources.Provenance]:
    """Provenance of every registered pressure file that can be found locally (never downloaded)."""
    found: dict[str, sources.Provenance] = {}
    for sid in SOURCE_IDS:
        try:
            found[sid] = sources.resolve(sid, data_dir=data_dir, cache=cache, allow_download=False)
        except (SourceMissing, KeyError):
            continue
    return found


# ------------------------------------------------------------- a partnership's own file


def sidecar_for(path: Path) -> Path:
    """``indicators.csv`` -> ``indicators.json`` beside it."""
    return path.with_suffix(".json")


def _sidecar(path: Path) -> dict[str, dict[str, object]]:
    side = sidecar_for(path)
    if not side.exists():
        raise DataError(f"no sidecar {side.name} beside it describing each column (see docs/fair-share.md)",
                        file=path)
    try:
        raw = json.loads(side.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"not valid JSON ({exc})", file=side) from None
    columns = raw.get("columns") if isinstance(raw, dict) else None
    if not isinstance(columns, dict) or not columns:
        raise DataError("needs a 'columns' object with one entry per indicator column", file=side)
    for name, spec in columns.items():
        if not isinstance(spec, dict):
            raise DataError("must be an object with " + ", ".join(SIDECAR_FIELDS), file=side, column=name)
        for key in SIDECAR_FIELDS:
            if key not in spec:
                raise DataError(f"missing '{key}' (each column needs {', '.join(SIDECAR_FIELDS)})",
                                file=side, column=name)
        if not isinstance(spec["higher_is_more_pressure"], bool):
            raise DataError("'higher_is_more_pressure' must be true or false", file=side, column=name)
        for key in ("meaning", "period", "source"):
            if not isinstance(spec[key], str) or not spec[key].strip():
                raise DataError(f"'{key}' must be a non-empty text", file=side, column=name)
    return columns


def read_partnership(path: str | Path) -> list[Indicator]:
    """A partnership's own indicators: CSV keyed by ``lad_code`` plus its JSON sidecar.

    Every column other than ``lad_code`` (and an optional ``lad_name``) is an indicator the
    sidecar must describe; the column name is its key in weights (lower case, letters, digits,
    underscores). Refused with file, row and column named: a missing or repeated code, a column
    the sidecar does not describe (or the reverse), text where a number belongs.
    """
    path = Path(path)
    if not path.exists():
        raise DataError("no such file", file=path)
    frame = _read_text(path)
    _check_codes(frame, path, allow_blank=False)
    columns = _sidecar(path)
    data_columns = [c for c in frame.columns if c not in ("lad_code", "lad_name")]
    if not data_columns:
        raise DataError("no indicator columns besides lad_code", file=path, row=1)
    side = sidecar_for(path)
    for name in data_columns:
        if name not in columns:
            raise DataError(f"the sidecar {side.name} does not describe this column", file=path, row=1,
                            column=name)
        if not KEY.match(name):
            raise DataError("a column name must be lower case letters, digits and underscores (it is the "
                            "weight's key)", file=path, row=1, column=name)
        if name in PRESSURE_KEYS:
            raise DataError(f"'{name}' is a published pressure's key; name your own column differently",
                            file=path, row=1, column=name)
    for name in columns:
        if name not in data_columns:
            raise DataError("described in the sidecar but not a column of the CSV", file=side, column=name)
    out = []
    for name in data_columns:
        spec = columns[name]
        values, markers = _numbers(frame, name, path)
        out.append(Indicator(key=name, label=str(spec.get("label") or name.replace("_", " ").capitalize()),
                             meaning=str(spec["meaning"]), period=str(spec["period"]),
                             source=f"{spec['source']} ({path.name})",
                             higher_is_more_pressure=bool(spec["higher_is_more_pressure"]),
                             values=values, markers=markers))
    return out


def check_keys(weights: Mapping[str, float], indicators: list[Indicator]) -> None:
    """A weight for an indicator that is not loaded is an error, not a silently ignored number."""
    known = {i.key for i in indicators}
    unknown = sorted(k for k, w in weights.items() if k not in known and w)
    if unknown:
        raise GeoError(f"no indicator loaded for weight(s) {', '.join(unknown)}; loaded: "
                       f"{', '.join(sorted(known)) or 'none'}")
