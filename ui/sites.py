"""Frames and actions the Sites page shows, built on the site store and ``geo.sites.measures``.

No Streamlit here, so everything the page shows can be tested without a browser. The import
action (``import_file``) is ``geo.sites.importer.import_sites``, the function the command line
``python -m geo sites import`` calls, so the app and the CLI accept and reject the same rows.

The question the page answers first: how many dispersed properties were acquired in wards
that were *already* over the 1:200 limit of the 2019 memorandum (one supported asylum seeker
in dispersed accommodation per 200 residents), judged against the ward the day before.
"""
from __future__ import annotations

import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo.sites import measures
from geo.sites.export import sites_csv, sites_geojson
from geo.sites.importer import ImportResult, import_sites, rejections_csv
from geo.sites.readers import read_table
from geo.sites.sample import DEFAULT_LADS, totals_from_asy_d11, write_sample
from geo.sites.schema import FIELDS, REQUIRED, ROW, SITE_TYPES, match_headers, unmatched_columns
from geo.sites.store import SiteStore
from geo.text import number, people

ILLUSTRATIVE_LABEL = "ILLUSTRATIVE — not real sites"
NOT_USED = "(not used)"
NO_ESTIMATE = measures.NO_ESTIMATE
TYPE_LABELS = {"hotel": "Hotel", "dispersed": "Dispersed property", "initial": "Initial accommodation",
               "other_contingency": "Other contingency"}
POSITION_LABELS = {"given": "given coordinates", "postcode_centroid": "postcode centre"}
FIELD_LABELS = {
    "reference": "Site reference (required)", "site_type": "Site type (required)", "name": "Name",
    "address": "Address", "postcode": "Postcode", "latitude": "Latitude", "longitude": "Longitude",
    "easting": "OS easting", "northing": "OS northing", "bed_spaces": "Bed spaces",
    "people": "People accommodated", "provider": "Provider", "status": "Status", "opened": "Date opened",
    "closed": "Date closed", "acquired": "Date acquired", "notes": "Notes",
}
# Columns acquisitions_over_threshold reads; the rest of the history only slows its joins.
# --- illustrative records ---------------------------------------------------------------------------

def is_illustrative(value: Any) -> bool:
    """True when a file name or note carries the sample's ILLUSTRATIVE label."""
    return value is not None and not (isinstance(value, float) and np.isnan(value)) and \
        "illustrative" in str(value).lower()


def illustrative_mask(sites: pd.DataFrame) -> pd.Series:
    """Per site: its notes say ILLUSTRATIVE (every sample row does)."""
    if "notes" not in sites.columns:
        return pd.Series(False, index=sites.index)
    return sites["notes"].astype(object).map(is_illustrative).astype(bool)


@dataclass
class StoreSummary:
    """What the site store holds: its batches, and how many came from the illustrative sample."""

    path: Path
    exists: bool
    batches: pd.DataFrame
    illustrative_batches: list[str] = field(default_factory=list)

    @property
    def has_illustrative(self) -> bool:
        return bool(self.illustrative_batches)

    @property
    def real_batches(self) -> int:
        return int(len(self.batches) - len(self.illustrative_batches))


def store_summary(db: str | Path, organisations: Iterable[str] | None = None) -> StoreSummary:
    """The store's batches (of ``organisations``: None for all; empty if the file does not exist yet)."""
    path = Path(db)
    if not path.is_file():
        return StoreSummary(path, False, pd.DataFrame(columns=["id", "file_name"]))
    batches = SiteStore(path).list_batches(organisations=organisations)
    flagged = [str(n) for n in batches["file_name"] if is_illustrative(n)]
    return StoreSummary(path, True, batches, flagged)


# --- import ----------------------------------------------------------------------------------------

@dataclass
class FileHeaders:
    """A file's headings, the automatic field -> column match, and a preview of the first rows."""

    columns: list[str]
    mapping: dict[str, str]
    unmatched: list[str]
    rows: int
    preview: pd.DataFrame
    sheet: str | None = None
    header_row: int | None = None


def sheets_of(path: str | Path) -> list[str]:
    """Sheet names of an .xlsx, layer names of a GeoPackage, else [] (one table only)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True)
        try:
            return list(book.sheetnames)
        finally:
            book.close()
    if suffix == ".gpkg":
        import pyogrio

        return [str(name) for name, _ in pyogrio.list_layers(path)]
    return []


def read_headers(path: str | Path, sheet: str | None = None, preview_rows: int = 5) -> FileHeaders:
    """Read a site file's headings with ``geo.sites.readers`` and match them with ``geo.sites.schema``."""
    raw = read_table(path, sheet=sheet)
    columns = [c for c in raw.columns if c != ROW]
    mapping = match_headers(columns)
    preview = raw.head(preview_rows).drop(columns=[ROW]).astype(object)
    preview = preview.where(preview.notna(), None).astype(str).replace("None", "")
    return FileHeaders(columns=columns, mapping=mapping, unmatched=unmatched_columns(columns, mapping),
                       rows=len(raw), preview=preview, sheet=raw.attrs.get("sheet"),
                       header_row=raw.attrs.get("header_row"))


def mapping_options(headers: FileHeaders) -> list[str]:
    """Choices for every field's selectbox: 'not used' then the file's columns."""
    return [NOT_USED, *headers.columns]


def default_choice(headers: FileHeaders, field_name: str) -> str:
    return headers.mapping.get(field_name, NOT_USED)


def overrides_from_choices(choices: Mapping[str, str], detected: Mapping[str, str]) -> dict[str, str | None]:
    """The user's corrections as ``import_sites(mapping=...)`` wants them: only fields whose choice
    differs from the automatic match; 'not used' becomes None (unmap). Empty when nothing changed,
    which gives exactly the mapping the command line uses without ``--map``."""
    out: dict[str, str | None] = {}
    for name in FIELDS:
        picked = choices.get(name, detected.get(name, NOT_USED))
        chosen = None if picked in (None, "", NOT_USED) else picked
        if chosen != detected.get(name):
            out[name] = chosen
    return out


def mapping_problems(choices: Mapping[str, str]) -> list[str]:
    """Plain-language problems with a mapping: a required field unmapped, a column used twice."""
    problems = [f"'{FIELD_LABELS[f]}' has no column" for f in REQUIRED if choices.get(f, NOT_USED) == NOT_USED]
    used: dict[str, list[str]] = {}
    for name, col in choices.items():
        if col and col != NOT_USED:
            used.setdefault(col, []).append(name)
    problems += [f"column '{col}' is chosen for {' and '.join(FIELD_LABELS[n] for n in names)}; "
                 "one column can feed one field" for col, names in used.items() if len(names) > 1]
    return problems


def save_upload(name: str, data: bytes, folder: str | Path | None = None) -> Path:
    """Write uploaded bytes to a fresh temporary folder under the upload's own file name, so the
    batch records the name the council gave the file."""
    safe = Path(name).name or "upload"
    where = Path(folder) if folder is not None else Path(tempfile.mkdtemp(prefix="aam-upload-"))
    where.mkdir(parents=True, exist_ok=True)
    path = where / safe
    path.write_bytes(data)
    return path


def import_file(path: str | Path, db: str | Path, wards, *, mapping: Mapping[str, str | None] | None = None,
                postcode_directory: str | Path | None = None, online_lookup_url: str | None = None,
                imported_by: str | None = None, sheet: str | None = None, as_at: date | None = None,
                boundary_vintage: str | None = None) -> ImportResult:
    """The page's Import button: ``geo.sites.importer.import_sites``, exactly as the CLI calls it."""
    return import_sites(path, db, wards, mapping=mapping or None, postcode_directory=postcode_directory,
                        online_lookup_url=online_lookup_url or None, imported_by=imported_by or None,
                        sheet=sheet, as_at=as_at, boundary_vintage=boundary_vintage)


def import_message(result: ImportResult) -> tuple[str, str]:
    """(kind, sentence) for the page: kind is 'info' for a duplicate, 'warning' with rejections."""
    if result.duplicate:
        return "info", (f"{result.file_name}: already imported as batch {result.batch}, nothing added "
                        f"({result.accepted:,} accepted and {result.rejected:,} rejected then).")
    kind = "warning" if result.rejected else "success"
    extra = ""
    if result.new or result.changed or result.unchanged or result.not_in_file:
        extra = (f" {len(result.new):,} new, {len(result.changed):,} changed, {result.unchanged:,} unchanged; "
                 f"{len(result.not_in_file):,} earlier sites not in this file are kept.")
    if result.outside_boundaries:
        extra += f" {len(result.outside_boundaries):,} placed outside every ward boundary."
    if result.warnings:  # what the reader had to assume: worth a look before the figures are used
        kind = "warning"
        extra += " " + " ".join(w.rstrip(".") + "." for w in result.warnings)
    return kind, (f"{result.file_name}: {result.read:,} rows read, {result.accepted:,} accepted, "
                  f"{result.rejected:,} rejected (batch {result.batch}).{extra}")


def rejection_frame(result: ImportResult | Mapping[str, Any]) -> pd.DataFrame:
    """The rejection list: row (as numbered in the user's file), column (their heading), reason."""
    items = result.rejections if isinstance(result, ImportResult) else result.get("rejections", [])
    return pd.DataFrame(list(items), columns=["row", "column", "reason"])


def rejected_rows_csv(db: str | Path, batch: int) -> str:
    """Rejected rows with their problems and original cells (``store.rejections``) as CSV text."""
    return rejections_csv(SiteStore(db).rejections(int(batch)))


def comparable(result: ImportResult | Mapping[str, Any]) -> dict[str, Any]:
    """The import contract (read, accepted, rejected, duplicate, rejections) without the batch number,
    which depends on the store, for comparing the app's import with the CLI's ``--json``."""
    data = result.to_dict() if isinstance(result, ImportResult) else dict(result)
    return {k: data[k] for k in ("read", "accepted", "rejected", "duplicate", "rejections")}


# --- the illustrative sample -----------------------------------------------------------------------

def sample_totals(stats: pd.DataFrame, period: date | str | None = None) -> pd.DataFrame:
    """Per-authority dispersed and hotel totals from Asy_D11 (latest quarter unless ``period``)."""
    return totals_from_asy_d11(stats, period)


def write_sample_file(folder: str | Path, wards, stats: pd.DataFrame, *, seed: int = 0,
                      lads: Sequence[str] = DEFAULT_LADS, messy: bool = False) -> Path:
    """The illustrative sample CSV (``geo.sites.sample.write_sample``) in ``folder``."""
    return write_sample(Path(folder), wards, sample_totals(stats), lads=tuple(lads), seed=seed, messy=messy)


def load_sample(db: str | Path, wards, stats: pd.DataFrame, folder: str | Path | None = None, *,
                seed: int = 0, lads: Sequence[str] = DEFAULT_LADS, imported_by: str | None = None,
                boundary_vintage: str | None = None) -> tuple[Path, ImportResult]:
    """Write the sample into ``folder`` (a new temporary folder by default) and import it."""
    where = Path(folder) if folder is not None else Path(tempfile.mkdtemp(prefix="aam-sample-"))
    where.mkdir(parents=True, exist_ok=True)
    path = write_sample_file(where, wards, stats, seed=seed, lads=lads)
    result = import_file(path, db, wards, imported_by=imported_by, boundary_vintage=boundary_vintage)
    return path, result


# --- batches ---------------------------------------------------------------------------------------

BATCH_LABELS = {
    "id": "Batch", "file_name": "File", "illustrative": "Illustrative sample", "sha256": "SHA-256 (first 16)",
    "imported_at": "Imported (UTC)", "data_as_at": "Data as at", "rows_read": "Rows read", "accepted": "Accepted",
    "rejected": "Rejected", "new_sites": "New", "changed_sites": "Changed", "unchanged_sites": "Unchanged",
    "not_in_file": "Kept, not in file", "imported_by": "Imported by", "boundary_vintage": "Boundary vintage",
}


def batch_table(batches: pd.DataFrame) -> pd.DataFrame:
    """Every import batch for display, newest first, with the sample's batches marked."""
    if batches.empty:
        return pd.DataFrame(columns=list(BATCH_LABELS.values()))
    out = batches.copy()
    out["illustrative"] = np.where(out["file_name"].map(is_illustrative), "ILLUSTRATIVE", "")
    out["sha256"] = out["sha256"].astype(str).str[:16]
    out["imported_at"] = out["imported_at"].astype(str).str.replace("T", " ").str.replace("+00:00", "")
    out = out[[c for c in BATCH_LABELS if c in out.columns]].sort_values("id", ascending=False)
    return out.rename(columns=BATCH_LABELS).reset_index(drop=True)


# --- sites as at a date ----------------------------------------------------------------------------

def authorities(sites: pd.DataFrame) -> dict[str, str]:
    """lad_code -> lad_name of the authorities holding sites, sorted by name."""
    if sites.empty:
        return {}
    pairs = sites.dropna(subset=["lad_code"]).drop_duplicates("lad_code")
    pairs = pairs.sort_values("lad_name")
    return dict(zip(pairs["lad_code"].astype(str), pairs["lad_name"].astype(str), strict=False))


def type_counts(sites: pd.DataFrame) -> dict[str, int]:
    if sites.empty:
        return {t: 0 for t in SITE_TYPES}
    counts = sites["site_type"].value_counts()
    return {t: int(counts.get(t, 0)) for t in SITE_TYPES}


SITE_TABLE_LABELS = {
    "reference": "Reference", "site_type": "Type", "name": "Name", "ward_name": "Ward", "lad_name": "Authority",
    "people": "People", "bed_spaces": "Bed spaces", "status": "Status", "acquired": "Acquired",
    "opened": "Opened", "closed": "Closed", "provider": "Provider", "postcode": "Postcode",
    "position_source": "Position", "illustrative": "Illustrative", "valid_from": "Record from",
}


def site_table(sites: pd.DataFrame) -> pd.DataFrame:
    """Sites for display: readable type and position source, dates as dates, ILLUSTRATIVE marked."""
    frame = pd.DataFrame(sites).drop(columns="geometry", errors="ignore")
    out = pd.DataFrame(index=frame.index)
    for col in SITE_TABLE_LABELS:
        if col == "illustrative":
            out[col] = np.where(illustrative_mask(frame), "ILLUSTRATIVE", "")
        elif col in frame.columns:
            out[col] = frame[col]
    out["site_type"] = out["site_type"].map(TYPE_LABELS).fillna(out["site_type"])
    out["position_source"] = out["position_source"].map(POSITION_LABELS).fillna(out["position_source"])
    out["ward_name"] = out["ward_name"].where(frame["in_boundary"].astype(bool), "outside the ward boundaries")
    for col in ("acquired", "opened", "closed", "valid_from"):
        if col in out.columns:  # ISO text sorts as dates and shows blank, not 'None', when unknown
            out[col] = pd.to_datetime(out[col]).dt.strftime("%Y-%m-%d").fillna("")
    out = out.sort_values(["lad_name", "ward_name", "reference"], na_position="last")
    for col in ("name", "provider", "postcode", "status", "ward_name", "lad_name"):
        if col in out.columns:
            out[col] = out[col].astype(object).where(out[col].notna(), "")
    return out.rename(columns=SITE_TABLE_LABELS).reset_index(drop=True)


# --- the page's big numbers ------------------------------------------------------------------------

@dataclass(frozen=True)
class SiteFigures:
    """The Sites page's headline counts for the sites in use and their ward table."""

    in_hotels: int
    in_dispersed: int
    wards: int
    wards_over: int
    wards_no_estimate: int
    over_codes: frozenset[str]


def _people(sites: pd.DataFrame, site_type: str) -> int:
    return int(pd.to_numeric(sites.loc[sites["site_type"] == site_type, "people"], errors="coerce").fillna(0).sum())


def site_figures(using: pd.DataFrame, ward_table: pd.DataFrame) -> SiteFigures:
    """People in hotels and dispersed sites in use, and the wards over 1:200 (or with no estimate)."""
    over = ward_table["over_threshold"].fillna(False).astype(bool) if len(ward_table) else pd.Series(dtype=bool)
    return SiteFigures(
        in_hotels=_people(using, "hotel") if len(using) else 0,
        in_dispersed=_people(using, "dispersed") if len(using) else 0,
        wards=len(ward_table),
        wards_over=int(over.sum()),
        wards_no_estimate=int((ward_table["status"] == NO_ESTIMATE).sum()) if len(ward_table) else 0,
        over_codes=frozenset(ward_table.loc[over, "ward_code"]) if len(ward_table) else frozenset(),
    )


def framing_order(lads: Sequence[str], over: pd.DataFrame, using: pd.DataFrame,
                  names: Mapping[str, str]) -> list[str]:
    """Authorities to frame the maps on: most acquisitions in wards already over 1:200 first, then
    most people accommodated, then by name."""
    ward_hits = over.loc[over["ward_over"].fillna(False).astype(bool), "lad_code"].value_counts()
    people = pd.to_numeric(using["people"], errors="coerce").groupby(using["lad_code"]).sum()
    return sorted(lads, key=lambda c: (-int(ward_hits.get(c, 0)), -float(people.get(c, 0)), names[c]))


# --- ward measures ---------------------------------------------------------------------------------

WARD_TABLE_LABELS = {
    "ward_name": "Ward", "lad_name": "Authority", "status": "1:200 status",
    "limit_used": "Dispersed per 200 residents", "dispersed_people": "People in dispersed",
    "properties_acquired": "Properties acquired", "residents": "Residents", "hotel_people": "People in hotels",
    "dispersed_sites": "Dispersed properties in use", "headroom": "Room under the limit (people)",
    "ward_code": "Ward code",
}


def ward_measure_table(sites: pd.DataFrame, wards: pd.DataFrame, *, lads: Iterable[str] | None = None,
                       as_at: date | None = None, acquired_from: date | None = None,
                       acquired_to: date | None = None, only_with_sites: bool = False) -> pd.DataFrame:
    """Per ward of the authorities holding sites: people in hotels and dispersed accommodation,
    properties acquired, residents and the ward dispersal ratio against 1:200.

    Population comes from ``wards`` (Census 2021 usual residents on the model's ward layer). A
    ward with no estimate keeps NaN in the numeric columns and reads 'no estimate' in the text
    ones, never zero. Sorted with the wards furthest over the limit first.
    """
    frame = pd.DataFrame(sites)
    if frame.empty:
        return pd.DataFrame(columns=[*WARD_TABLE_LABELS, "over_threshold"])
    wanted = list(lads or []) or sorted(frame["lad_code"].dropna().unique())
    base = pd.DataFrame(wards.drop(columns="geometry", errors="ignore"))
    base = base[base["lad_code"].isin(wanted)]
    frame = measures.in_authorities(frame, wanted)
    table = measures.ward_measures(frame, base, as_at=as_at, acquired_from=acquired_from,
                                   acquired_to=acquired_to)
    table = table[table["lad_code"].isin(wanted)]
    if only_with_sites:
        counts = [c for c in table.columns if c.endswith("_sites") or c == "properties_acquired"]
        table = table[table[counts].sum(axis=1) > 0]
    table = table.assign(
        residents=[people(p) for p in table["population"]],
        against_limit=[NO_ESTIMATE if pd.isna(over) else
                       f"{number(used, 2)} per 200 ({'over' if over else 'within'})"
                       for used, over in zip(table["limit_used"], table["over_threshold"], strict=False)],
    )
    table = table.sort_values(["limit_used", "dispersed_people"], ascending=[False, False], na_position="last")
    return table.reset_index(drop=True)


def ward_display(table: pd.DataFrame) -> pd.DataFrame:
    """``ward_measure_table`` with the page's column names (numbers stay numbers for sorting)."""
    cols = [c for c in WARD_TABLE_LABELS if c in table.columns]
    return table[cols].rename(columns=WARD_TABLE_LABELS)


# --- acquisitions ----------------------------------------------------------------------------------

def monthly_acquisitions(sites: pd.DataFrame, level: str = "lad", *, lads: Iterable[str] | None = None,
                         wards: Iterable[str] | None = None, start: date | None = None,
                         end: date | None = None) -> pd.DataFrame:
    """Dispersed properties acquired per month per authority (``level='lad'``) or ward, with
    zero months filled in so a chart shows the gaps: month (first day, datetime), area_code,
    area_name, lad_name, acquisitions."""
    frame = measures.in_authorities(pd.DataFrame(sites), lads)
    cols = ["month", "area_code", "area_name", "lad_name", "acquisitions"]
    if frame.empty:
        return pd.DataFrame(columns=cols)
    table = measures.acquisitions_by_month(frame, level, start=start, end=end)
    code, name = ("lad_code", "lad_name") if level == "lad" else ("ward_code", "ward_name")
    if wards is not None and level == "ward":
        table = table[table["ward_code"].isin(list(wards))]
    if table.empty:
        return pd.DataFrame(columns=cols)
    table = table.assign(month=pd.PeriodIndex(table["month"], freq="M").to_timestamp())
    months = pd.date_range(table["month"].min(), table["month"].max(), freq="MS")
    areas = table[[code, name, "lad_name"]].drop_duplicates(code) if level == "ward" else \
        table[[code, name]].drop_duplicates(code).assign(_lad=lambda d: d[name])
    areas = areas.rename(columns={code: "area_code", name: "area_name", "_lad": "lad_name"})
    repeated = areas["area_name"].duplicated(keep=False)
    areas.loc[repeated, "area_name"] = areas.loc[repeated, "area_name"] + " (" + areas.loc[repeated, "lad_name"] + ")"
    grid = areas.merge(pd.DataFrame({"month": months}), how="cross")
    counts = table.rename(columns={code: "area_code"})[["month", "area_code", "acquisitions"]]
    out = grid.merge(counts, on=["month", "area_code"], how="left")
    out["acquisitions"] = out["acquisitions"].fillna(0).astype("int64")
    return out[cols].sort_values(["month", "area_name"]).reset_index(drop=True)


def top_wards(sites: pd.DataFrame, lads: Iterable[str] | None = None, n: int = 6) -> list[str]:
    """The ``n`` wards with the most dispersed acquisitions (for the ward chart's default)."""
    frame = measures.in_authorities(pd.DataFrame(sites), lads)
    disp = frame[(frame["site_type"] == "dispersed") & frame["acquired"].notna() & frame["ward_code"].notna()]
    return disp["ward_code"].value_counts().head(n).index.astype(str).tolist()


def over_threshold_acquisitions(history: pd.DataFrame, wards: pd.DataFrame, *,
                                lad_population: pd.DataFrame | None = None,
                                sites: pd.DataFrame | None = None, as_at: date | None = None,
                                lads: Iterable[str] | None = None) -> pd.DataFrame:
    """Dispersed properties acquired while their ward (or authority) was already over 1:200.

    ``measures.acquisitions_over_threshold`` on the store's history, judged against each area
    the day before the acquisition, with ward populations from ``wards`` and authority
    populations from ``lad_population`` (else the sum of the wards). Adds the site's position
    and type from ``sites`` (the current records) for the map, ``level`` (ward, authority or
    both) and ``ward_limit_used``/``lad_limit_used`` (people per 200 residents). Acquisitions after
    ``as_at`` are left out.
    """
    if history.empty:
        return pd.DataFrame(columns=["reference", "acquired", "ward_code", "ward_name", "lad_code", "lad_name",
                                     "ward_over", "lad_over", "level", "ward_limit_used",
                                     "lad_limit_used"])
    population = pd.DataFrame(wards.drop(columns="geometry", errors="ignore"))[["ward_code", "lad_code",
                                                                                 "population"]]
    table = measures.acquisitions_over_threshold(history, population, lad_population=lad_population)
    if as_at is not None:
        table = table[table["acquired"] <= pd.Timestamp(as_at)]
    table = measures.in_authorities(table, lads)
    ward_over = table["ward_over"].fillna(False).astype(bool)
    lad_over = table["lad_over"].fillna(False).astype(bool)
    table = table.assign(
        level=np.select([ward_over & lad_over, ward_over, lad_over], ["ward and authority", "ward", "authority"],
                        default=""))
    if sites is not None and not pd.DataFrame(sites).empty:
        extra = [c for c in ("latitude", "longitude", "site_type", "name", "people", "bed_spaces", "status",
                             "position_source", "notes", "in_boundary") if c in sites.columns]
        where = pd.DataFrame(sites)[["reference", *extra]].drop_duplicates("reference")
        table = table.merge(where, on="reference", how="left")
    return table.reset_index(drop=True)


@dataclass(frozen=True)
class OverThresholdHeadline:
    ward: int        # acquired while the ward was already over 1:200
    authority: int   # acquired while the authority was already over 1:200
    either: int
    acquisitions: int  # all dispersed acquisitions with a date, for scale

    def sentence(self) -> str:
        noun = "property" if self.ward == 1 else "properties"
        return f"{self.ward:,} {noun} acquired while the ward was already over 1:200"


def over_threshold_headline(table: pd.DataFrame, sites: pd.DataFrame | None = None,
                            as_at: date | None = None, lads: Iterable[str] | None = None) -> OverThresholdHeadline:
    ward = int(table["ward_over"].fillna(False).astype(bool).sum()) if len(table) else 0
    lad = int(table["lad_over"].fillna(False).astype(bool).sum()) if len(table) else 0
    either = int(len(table))
    total = 0
    if sites is not None and not pd.DataFrame(sites).empty:
        window = measures.acquisitions_in_window(sites, None, as_at, lads=lads)
        total = int(len(window))
    return OverThresholdHeadline(ward, lad, either, total)


OVER_TABLE_LABELS = {
    "acquired": "Acquired", "reference": "Reference", "ward_name": "Ward", "lad_name": "Authority",
    "level": "Over 1:200 in", "ward_then": "Ward the day before", "lad_then": "Authority the day before",
    "ward_dispersed_before": "Ward: people in dispersed then", "ward_residents": "Ward residents",
    "people": "People there now", "ward_code": "Ward code",
}


def _per_200_text(values: pd.Series) -> list[str]:
    return [f"{number(v, 2)} per 200" if pd.notna(v) else NO_ESTIMATE for v in values]


def over_threshold_display(table: pd.DataFrame) -> pd.DataFrame:
    """The over-threshold list for display, newest acquisition first; ratios read as 'x.xx per 200'
    and a ward with no population estimate reads 'no estimate'."""
    if table.empty:
        return pd.DataFrame(columns=list(OVER_TABLE_LABELS.values()))
    out = table.sort_values(["acquired", "reference"], ascending=[False, True]).copy()
    out["acquired"] = pd.to_datetime(out["acquired"]).dt.date
    out["ward_then"] = _per_200_text(out["ward_limit_used"])
    out["lad_then"] = _per_200_text(out["lad_limit_used"])
    out["ward_residents"] = [people(p) for p in out["ward_population"]]
    cols = [c for c in OVER_TABLE_LABELS if c in out.columns]
    return out[cols].rename(columns=OVER_TABLE_LABELS).reset_index(drop=True)


# --- site-level export files (who may take them is geo.access's decision) -------------------------

def export_csv(sites: pd.DataFrame) -> bytes:
    """The CLI's CSV with a BOM, so Excel opens accented names correctly."""
    return ("\ufeff" + sites_csv(sites)).encode("utf-8")


def export_geojson(sites) -> bytes:
    return sites_geojson(sites).encode("utf-8")


# --- sources ---------------------------------------------------------------------------------------

def sources_note(db: str | Path, batches: pd.DataFrame, limit: int = 6) -> str:
    """'Site records: <store> (batches: a.csv, b.xlsx ...)' for the page footer."""
    path = Path(db)
    if batches is None or batches.empty:
        return f"Site records: none imported yet (store {path.name})."
    names = [f"{n}{' [ILLUSTRATIVE]' if is_illustrative(n) else ''}" for n in batches["file_name"].astype(str)]
    shown = ", ".join(dict.fromkeys(names[-limit:]))
    more = f" and {len(names) - limit} earlier" if len(names) > limit else ""
    return f"Site records: {path.name}, {len(batches):,} import batch(es): {shown}{more}."


# --- procured after the council objected (the proposals register, geo.check) -----------------------

PROCURED_LABELS = {"reference": "Reference", "proposal_id": "Proposal", "objected_at": "Council objected on",
                   "objection": "Reason given", "procured_on": "Procured on",
                   "acquired_while_over": "Also acquired while over 1:200"}


def procured_after_objection(db: str | Path, over: pd.DataFrame, in_scope: pd.DataFrame) -> pd.DataFrame:
    """Sites in the member's scope procured while the council's decision in force was to object,
    with whether they were also acquired while the ward or authority was over 1:200."""
    from geo.check.register import Register, site_flags

    if in_scope.empty or "reference" not in in_scope.columns:
        return pd.DataFrame(columns=list(PROCURED_LABELS.values()))
    flags = site_flags(Register(db), over if not over.empty else None)
    flags = flags[flags["procured_after_objection"] & flags["reference"].isin(set(in_scope["reference"]))]
    cols = [c for c in PROCURED_LABELS if c in flags.columns]
    return flags[cols].rename(columns=PROCURED_LABELS).reset_index(drop=True)
