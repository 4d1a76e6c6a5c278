"""The current selection as CSV, Excel, GeoJSON or GeoPackage, each saying where it came from.

Why one function for every format: an analyst must get the same rows and columns the table on
screen shows (plus the codes, so the file joins to anything else), the same disclosure control,
and the same sources, marking and caveats, whichever format they pick.

- CSV opens with a block of lines starting ``#`` (title, marking, period, made on, each source,
  notes), then the header and rows: ``pandas.read_csv(path, comment="#")`` skips the block and
  Excel shows it above the table, so the file still says what it is when it travels alone. The
  same and more (checksums, caveats) go in a ``<name>.sources.json`` sidecar.
- Excel has a "Data" sheet and a "Sources" sheet (file, publisher, release, sha256, licence,
  caveats, made on, marking); the marking is also in every sheet's printed header and footer.
- GeoJSON (EPSG:4326) carries marking, made on, notes, caveats and sources as top-level members
  of the FeatureCollection, and the same sidecar.
- GeoPackage has the data layer plus non-spatial ``sources`` and ``metadata`` layers.

Ward counts are suppressed (see geo.disclosure): ``[c]`` in CSV/Excel, blank plus a
``<col>_suppressed`` flag in GeoJSON/GeoPackage. Site-level records leave only for roles the
data-sharing agreement allows.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, is_dataclass
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import disclosure, gaps
from geo.caveats import CAVEATS
from geo.cells import plain_value, safe_csv, write_safe_row
from geo.disclosure import Role, Suppression
from geo.errors import GeoError
from geo.render import marking as marking_rules

FORMATS = (".csv", ".xlsx", ".geojson", ".gpkg")
LEVELS = ("lad", "ward", "site")
CODES = {"lad": ("lad_code",), "ward": ("ward_code", "lad_code"), "site": ("reference", "ward_code", "lad_code")}
# The columns the tables on screen show, in order (codes first). A caller may pass its own.
TABLE_COLUMNS = {
    "lad": ("lad_code", "lad_name", "region", "nation", "population", "population_status", "supported",
            "hotel", "contingency", "dispersed", "initial", "other_contingency", "per_1000", "capacity",
            "limit_used", "headroom", "over_by",
            "threshold_status", "share_of_region", "share_of_uk", "supported_change_q",
            "supported_change_y", "hotel_change_q", "hotel_change_y", "dispersed_change_q",
            "dispersed_change_y", "ukraine_arrivals", "ukraine_arrivals_per_10k", "ukraine_arrivals_marker",
            "afghan_people", "afghan_people_per_10k", "afghan_people_marker", "three_pathways_total",
            "three_pathways_total_per_10k", "three_pathways_total_marker", "period"),
    "ward": ("ward_code", "ward_name", "lad_code", "lad_name", "region", "population", "supported",
             "hotel", "dispersed", "per_1000", "limit_used", "headroom", "over_threshold"),
    "site": ("reference", "site_type", "name", "address", "postcode", "ward_code", "ward_name",
             "lad_code", "lad_name", "latitude", "longitude", "bed_spaces", "people", "provider",
             "status", "opened", "closed", "acquired"),
}


# ----------------------------------------------------------------------------- provenance

def _as_dict(item: Any) -> dict[str, Any]:
    if hasattr(item, "as_dict"):
        return dict(item.as_dict())
    if is_dataclass(item) and not isinstance(item, type):
        return asdict(item)
    return dict(item)


def source_rows(provenance: Mapping[str, Any] | Iterable[Any]) -> list[dict[str, str]]:
    """One row per source file: what a reader needs to find and check it."""
    items = provenance.values() if isinstance(provenance, Mapping) else provenance
    rows = []
    for item in items:
        p = _as_dict(item)
        rows.append({"source_id": str(p.get("source_id", "")), "file": str(p.get("file_name", "")),
                     "publisher": str(p.get("publisher", "")), "title": str(p.get("title", "")),
                     "release": str(p.get("release", "")), "sha256": str(p.get("sha256", "")),
                     "licence": str(p.get("licence", ""))})
    return rows


def export_metadata(*, provenance: Mapping[str, Any] | Iterable[Any], level: str, marking: str,
                    made_on: date, rows: int, notes: Sequence[str] = (),
                    caveats: Sequence[str] = CAVEATS, title: str | None = None,
                    period: str | None = None) -> dict[str, Any]:
    """Everything an export says about itself, as plain JSON-ready data.

    period: the quarter end (or the day site records were read) the rows describe."""
    return {"title": title or f"Asylum accommodation, {level} level", "marking": marking,
            "handling": marking_rules.HANDLING.get(marking, ""), "period": period or "",
            "made_on": made_on.isoformat(), "level": level, "rows": rows, "notes": list(notes),
            "caveats": list(caveats), "sources": source_rows(provenance)}


COMMENT = "#"
CSV_READING_NOTE = ("The lines starting with # (title; marking; period; sources) come before the table: "
                    "pandas reads past them with comment='#' and Excel shows them above it.")


def _comment_text(line: str) -> str:
    """One line of a CSV's leading block: no line breaks, and no commas or quotes, so Excel keeps it
    in one cell and a CSV reader that skips '#' lines sees nothing of it."""
    return " ".join(str(line).split()).replace(",", ";").replace('"', "'")


def comment_block(lines: Iterable[str]) -> str:
    """The leading '# ' lines of a CSV (CRLF, as the rows), blank lines dropped."""
    return "".join(f"{COMMENT} {_comment_text(line)}\r\n" for line in lines if str(line).strip())


def csv_header_lines(meta: Mapping[str, Any]) -> list[str]:
    """What a table CSV says about itself in its leading block: from ``export_metadata``."""
    lines = [str(meta["title"]), f"Marking: {meta['marking']}. {meta.get('handling', '')}".strip(),
             f"Period: {meta.get('period') or 'not stated'}", f"Made on: {meta['made_on']}",
             f"Rows: {meta['rows']}"]
    for src in meta["sources"]:
        lines.append("Source: " + " - ".join(v for v in (src["publisher"], src["title"] or src["source_id"],
                                                         src["release"], src["file"]) if v)
                     + (f" (licence: {src['licence']})" if src["licence"] else ""))
    lines += [f"Note: {n}" for n in meta["notes"]]
    lines.append(CSV_READING_NOTE)
    return lines


def commented_csv(frame: pd.DataFrame, lines: Iterable[str], path: Path | None = None) -> str | None:
    """Formula-safe CSV (geo.cells) after a '#' block: UTF-8 with a BOM so Excel reads accents.

    A text cell holding '#' is quoted (every text cell then is): a comment-skipping reader cuts an
    unquoted field at '#', never a quoted one."""
    import csv

    texts = frame.select_dtypes(include=["object", "string", "category"])
    hashes = any(texts[c].astype("string").str.contains(COMMENT, regex=False).any() for c in texts.columns)
    body = safe_csv(frame, index=False, quoting=csv.QUOTE_NONNUMERIC if hashes else csv.QUOTE_MINIMAL) or ""
    text = "\ufeff" + comment_block(lines) + body
    if path is None:
        return text
    Path(path).write_text(text, encoding="utf-8", newline="")
    return None


def sidecar_path(out: Path) -> Path:
    """``table.csv`` -> ``table.sources.json`` beside it."""
    return out.with_name(out.stem + ".sources.json")


# ----------------------------------------------------------------------------- table shape

def select_columns(frame: pd.DataFrame, level: str, columns: Sequence[str] | None = None) -> list[str]:
    """The screen's columns that the frame has, codes always first."""
    wanted = list(columns) if columns is not None else list(TABLE_COLUMNS[level])
    codes = [c for c in CODES[level] if c in frame.columns]
    return list(dict.fromkeys(codes + [c for c in wanted if c in frame.columns and c != "geometry"]))


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates as ISO text, so every format writes the same thing."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d")
    return out


def is_site_level(frame: pd.DataFrame, level: str) -> bool:
    return level == "site" or marking_rules.has_site_columns(frame.columns)


def prepare(frame: pd.DataFrame, level: str, columns: Sequence[str] | None = None,
            full: pd.DataFrame | None = None) -> tuple[pd.DataFrame, Suppression | None]:
    """The exported columns, with ward suppression worked out (not yet applied).

    ``full`` is the whole ward table the rows were filtered from: suppression is computed there
    (geo.disclosure), so every export of it hides the same cells whatever its filters.
    """
    if level not in LEVELS:
        raise GeoError(f"unknown export level {level!r}; levels: {', '.join(LEVELS)}")
    missing = [c for c in CODES[level][:1] if c not in frame.columns]
    if missing:
        raise GeoError(f"a {level} export needs the column {missing[0]!r}; the table has "
                       f"{', '.join(map(str, frame.columns))}")
    table = _plain(pd.DataFrame(frame)[select_columns(frame, level, columns)]).reset_index(drop=True)
    if not disclosure.needs_suppression(level):
        return table, None
    return table, disclosure.suppress(table, full=full)


# ----------------------------------------------------------------------------- writers

def _write_csv(table: pd.DataFrame, out: Path, meta: dict[str, Any]) -> None:
    commented_csv(table, csv_header_lines(meta), out)
    meta = {**meta, "notes": [*meta["notes"], CSV_READING_NOTE]}  # the sources note says how to read it
    sidecar_path(out).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_xlsx(table: pd.DataFrame, out: Path, meta: dict[str, Any]) -> None:
    from datetime import datetime

    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    data = wb.active
    data.title = "Data"
    write_safe_row(data, list(table.columns))
    for row in table.itertuples(index=False):
        write_safe_row(data, [plain_value(v) for v in row])
    for cell in data[1]:
        cell.font = Font(bold=True)
    data.freeze_panes = "A2"
    sources = wb.create_sheet("Sources")
    bold = Font(bold=True)
    for key in ("title", "marking", "handling", "period", "made_on", "level", "rows"):
        write_safe_row(sources, [key.replace("_", " ").capitalize(), meta[key]])
        sources.cell(sources.max_row, 1).font = bold
    sources.append([])
    for heading, lines in (("Notes", meta["notes"]), ("Caveats", meta["caveats"])):
        sources.append([heading])
        sources.cell(sources.max_row, 1).font = bold
        for line in lines:
            write_safe_row(sources, ["", line])
        sources.append([])
    header = ["file", "publisher", "title", "release", "sha256", "licence", "source_id"]
    sources.append(header)
    for cell in sources[sources.max_row]:
        cell.font = bold
    for src in meta["sources"]:
        write_safe_row(sources, [src[k] for k in header])
    for sheet in (data, sources):
        sheet.oddHeader.center.text = meta["marking"]
        sheet.oddFooter.center.text = meta["marking"]
        sheet.oddFooter.left.text = f"Made on {meta['made_on']}"
    stamp = datetime.fromisoformat(meta["made_on"])
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.properties.title = meta["title"]
    wb.properties.keywords = meta["marking"]
    wb.properties.category = meta["marking"]
    wb.save(out)


def _geometry_frame(frame: pd.DataFrame, table: pd.DataFrame, layer: gpd.GeoDataFrame | None,
                    level: str) -> gpd.GeoSeries:
    """Geometry for each exported row: the frame's own, else joined from the boundary layer."""
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame.columns:
        geometry = frame.geometry.reset_index(drop=True)
    elif layer is not None:
        key = CODES[level][0] if level != "site" else "reference"
        if key not in layer.columns:
            raise GeoError(f"the boundary layer has no {key!r} column to join on")
        lookup = layer.drop_duplicates(key).set_index(key).geometry
        geometry = gpd.GeoSeries(table[key].map(lookup), crs=layer.crs)
    else:
        raise GeoError("GeoJSON and GeoPackage exports need geometry: pass a GeoDataFrame or the "
                       "boundary layer (layer=model.lads or model.wards)")
    if geometry.crs is None:
        geometry = geometry.set_crs("EPSG:4326")
    return geometry.to_crs("EPSG:4326")


def _write_geojson(table: pd.DataFrame, geometry: gpd.GeoSeries, out: Path, meta: dict[str, Any]) -> None:
    from shapely.geometry import mapping

    features = []
    for props, geom in zip(table.to_dict(orient="records"), geometry, strict=False):
        features.append({"type": "Feature", "properties": {k: plain_value(v) for k, v in props.items()},
                         "geometry": None if geom is None or geom.is_empty else mapping(geom)})
    # RFC 7946 allows foreign members: readers that do not know them ignore them.
    collection = {"type": "FeatureCollection", "name": meta["title"], "marking": meta["marking"],
                  "period": meta["period"], "made_on": meta["made_on"], "notes": meta["notes"],
                  "caveats": meta["caveats"],
                  "sources": meta["sources"], "features": features}
    out.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    sidecar_path(out).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _typed(table: pd.DataFrame) -> pd.DataFrame:
    """Numeric columns that became object through blanking go back to numbers (NULL when blank)."""
    out = table.copy()
    for col in out.columns:
        if out[col].dtype == object:
            values = out[col].dropna()
            if len(values) and values.map(lambda v: isinstance(v, (int, float, np.number)) and
                                          not isinstance(v, bool)).all():
                numbers = pd.to_numeric(out[col], errors="coerce")
                whole = numbers.dropna().apply(float.is_integer).all() if numbers.notna().any() else False
                out[col] = numbers.astype("Int64") if whole else numbers
            elif len(values) and values.map(lambda v: isinstance(v, (bool, np.bool_))).all():
                out[col] = out[col].astype("boolean")
    return out


def _write_gpkg(table: pd.DataFrame, geometry: gpd.GeoSeries, out: Path, meta: dict[str, Any],
                layer_name: str) -> None:
    import pyogrio

    if out.exists():
        out.unlink()  # a stale file would keep old layers next to the new ones
    data = gpd.GeoDataFrame(_typed(table), geometry=geometry.to_numpy(), crs="EPSG:4326")
    data.to_file(out, layer=layer_name, driver="GPKG")
    pyogrio.write_dataframe(pd.DataFrame(meta["sources"]), out, layer="sources", driver="GPKG",
                            append=False)
    rows = [("title", meta["title"]), ("marking", meta["marking"]), ("handling", meta["handling"]),
            ("period", meta["period"]), ("made_on", meta["made_on"]), ("level", meta["level"]),
            ("rows", str(meta["rows"]))]
    rows += [("note", n) for n in meta["notes"]] + [("caveat", c) for c in meta["caveats"]]
    pyogrio.write_dataframe(pd.DataFrame(rows, columns=["key", "value"]), out, layer="metadata",
                            driver="GPKG")


def _said_gaps(table: pd.DataFrame, gap_cells: pd.DataFrame | None) -> pd.DataFrame | None:
    """The gap states of the exported cells that are blank (same rows and columns as ``table``)."""
    if gap_cells is None:
        return None
    cells = gap_cells.reset_index(drop=True).reindex(columns=table.columns).astype(object).fillna("")
    blank = table.isna().reset_index(drop=True)
    return cells.where(blank, "")


def _with_gap_words(table: pd.DataFrame, said: pd.DataFrame | None) -> pd.DataFrame:
    """CSV and Excel: the state's words in each blank cell ('not in this file'), like '[c]'."""
    if said is None or not (said != "").any().any():
        return table
    out = table.astype(object).copy()
    for col in said.columns:
        words = said[col] != ""
        if words.any():
            out.loc[words.to_numpy(), col] = said.loc[words, col].to_numpy()
    return out


def _with_gap_columns(table: pd.DataFrame, said: pd.DataFrame | None) -> pd.DataFrame:
    """GeoJSON and GeoPackage: the cell stays null (numbers stay numbers); ``<col>_gap`` says why."""
    if said is None:
        return table
    out = table.copy()
    for col in said.columns:
        if (said[col] != "").any():
            out[f"{col}_gap"] = said[col].replace("", None).to_numpy()
    return out


def scheme_notes(columns: Iterable[str]) -> list[str]:
    """What each other-scheme column counts (they measure different things), for a file that has them."""
    from geo.regional import MEANINGS

    have = set(columns)
    lines = [f"{key}: {meaning} (Home Office, Reg_02); {key}_per_10k per 10,000 residents; {key}_marker the "
             "file's marker where the figure is withheld or not available (the figure is then blank, never 0)"
             for key, meaning in MEANINGS.items() if key in have]
    return lines


def export_table(frame: pd.DataFrame, out: Path, *, provenance: Mapping[str, Any] | Iterable[Any],
                 level: str, made_on: date, marking: str | None = None,
                 columns: Sequence[str] | None = None, layer: gpd.GeoDataFrame | None = None,
                 role: Role | str = Role.VIEWER, site_derived: bool | None = None,
                 caveats: Sequence[str] = CAVEATS, title: str | None = None,
                 full: pd.DataFrame | None = None, notes: Sequence[str] = (),
                 period: str | None = None, gap_cells: pd.DataFrame | None = None) -> Path:
    """Write the table in the format its extension names (.csv, .xlsx, .geojson, .gpkg).

    level: "lad", "ward" or "site". Ward figures are suppressed; site-level rows need a role
    allowed by the data-sharing agreement (else DisclosureError). The marking defaults to what the
    content needs and may be raised, never lowered. layer supplies geometry (joined on the code)
    when the frame has none. full: the unfiltered ward table (see ``prepare``). notes: lines the
    file must carry about how its figures were made (a rule, a formula, weights), written with the
    sources (the CSV's leading block and sidecar, the Excel Sources sheet). period: the quarter end
    (or 'as at' day) the rows describe, written into every format. gap_cells: per blank cell, why
    it is blank (geo.measures.gap_frame); CSV and Excel write the words in the cell, GeoJSON and
    GeoPackage leave it null with a ``<col>_gap`` property, and the notes say what each state
    means, so a blank never stands for two things.
    """
    out = Path(out)
    fmt = out.suffix.lower()
    if fmt not in FORMATS:
        raise GeoError(f"cannot export {out.name}: use one of {', '.join(FORMATS)}")
    site_level = is_site_level(frame, level)
    if site_level:
        disclosure.require_site_export(role)
    derived = level == "ward" if site_derived is None else site_derived
    chosen = marking_rules.check_marking(marking, marking_rules.marking_for(site_level=site_level,
                                                                           site_derived=derived))
    table, suppression = prepare(frame, level, columns, full=full)
    notes = [*notes, *([suppression.note] if suppression is not None and suppression.any else [])]
    said = _said_gaps(table, gap_cells)
    notes += gaps.note_lines(set(said.stack()) - {""}) if said is not None else []
    notes += scheme_notes(table.columns)
    meta = export_metadata(provenance=provenance, level=level, marking=chosen, made_on=made_on,
                           rows=len(table), notes=notes, caveats=caveats, title=title, period=period)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt in (".csv", ".xlsx"):
        shown = suppression.as_text() if suppression is not None else table
        (_write_csv if fmt == ".csv" else _write_xlsx)(_with_gap_words(shown, said), out, meta)
        return out
    geometry = _geometry_frame(frame, table, layer, level)
    shown = suppression.as_flagged() if suppression is not None else table
    shown = _with_gap_columns(shown, said)
    if fmt == ".geojson":
        _write_geojson(shown, geometry, out, meta)
    else:
        _write_gpkg(shown, geometry, out, meta, layer_name=level)
    return out
