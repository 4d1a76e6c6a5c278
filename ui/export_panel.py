"""The Export panel every page shows under its map or table: a map snapshot (PNG, SVG or PDF at
screen or print resolution, 16:9 or A4), the page's table (CSV, Excel, GeoJSON, GeoPackage) and
the briefing pack PDF, each exactly what the screen shows.

Only widgets live here. What is exported, the file names and the arguments of the library calls
come from ``geo.export_requests`` requests that the page builds from its own view state; the
files are made by ``geo.render.static_map``, ``geo.exports`` and ``geo.render.briefing`` in a
temporary folder, and cached by model checksum and request so a second click is instant.
A made file is offered for download only while the request that made it still matches the
screen, so a changed quarter or filter never downloads yesterday's file.
"""
from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from html import escape
from pathlib import Path

import pandas as pd
import streamlit as st

from geo.errors import GeoError
from geo.render import marking as marking_rules
from geo.text import quarter_label
from ui import exports as ER
from ui import shell

STATE = "_export_{key}_{part}"


@dataclass(frozen=True)
class ExportTable:
    """A table on the page, as it is shown (rows in screen order, the screen's columns)."""

    name: str                         # file name part: 'councils', 'wards', 'fair-share' ...
    label: str                        # what the panel calls it
    frame: pd.DataFrame
    level: str                        # 'lad', 'ward' or 'site'
    period: str | None = None
    area: str = "uk"
    columns: tuple[str, ...] | None = None
    site_derived: bool = False
    title: str | None = None
    geo: bool = True                  # offer GeoJSON and GeoPackage when the rows have codes
    notes: tuple[str, ...] = ()       # how the figures were made, written with the sources

    def request(self, *, fmt: str, made_on, role: str) -> ER.TableRequest:
        return ER.TableRequest(name=self.name, level=self.level, made_on=made_on, fmt=fmt, period=self.period,
                               area=self.area, columns=self.columns, site_derived=self.site_derived,
                               role=role, title=self.title, notes=self.notes)


# --- cached makers (keyed by the model's checksums and the request) -----------------------------

@st.cache_data(show_spinner=False, max_entries=48)
def _snapshot_files(model_key: str, request: ER.MapRequest, ward_measures: pd.DataFrame | None) -> dict[str, bytes]:
    with tempfile.TemporaryDirectory(prefix="aam-export-") as tmp:
        path = ER.make_snapshot(shell.get_model(), request, Path(tmp), ward_measures=ward_measures)
        return ER.read_files([path])


@st.cache_data(show_spinner=False, max_entries=48)
def _table_files(model_key: str, request: ER.TableRequest, frame: pd.DataFrame) -> dict[str, bytes]:
    with tempfile.TemporaryDirectory(prefix="aam-export-") as tmp:
        return ER.read_files(ER.make_table(shell.get_model(), request, frame, Path(tmp)))


@st.cache_data(show_spinner=False, max_entries=24)
def _briefing_bytes(model_key: str, request: ER.BriefingRequest, sites: pd.DataFrame | None,
                    ward_measures: pd.DataFrame | None) -> bytes:
    with tempfile.TemporaryDirectory(prefix="aam-export-") as tmp:
        path = ER.make_briefing(shell.get_model(), request, Path(tmp), sites=sites, ward_measures=ward_measures)
        return path.read_bytes()


def today() -> date:
    """The 'made on' date printed on every export (and part of each request, so caches roll over)."""
    return date.today()


# --- small pieces ---------------------------------------------------------------------------------

def marking_badge(marking: str) -> str:
    """The marking as a small banner, in the colours the printed outputs use."""
    colour = marking_rules.banner_colour(marking)
    return (f"<span class='aam-marking' title='{escape(marking_rules.HANDLING.get(marking, ''))}' "
            f"style='display:inline-block;background:{colour};color:#fff;font-weight:700;font-size:0.72rem;"
            f"letter-spacing:0.04em;padding:1px 7px;border-radius:2px'>{escape(marking)}</span>")


def _heading(where, title: str, marking: str) -> None:
    where.markdown(f"**{escape(title)}** &nbsp;{marking_badge(marking)}", unsafe_allow_html=True)


def fingerprint(*frames: pd.DataFrame | None) -> str:
    """Changes whenever a frame's rows or values do: with the request, what a made file was made from."""
    parts = []
    for frame in frames:
        if frame is None:
            parts.append("-")
            continue
        try:
            parts.append(f"{len(frame)}:{int(pd.util.hash_pandas_object(frame, index=True).sum())}")
        except (TypeError, ValueError):  # unhashable cells (lists): fall back to the text
            parts.append(f"{len(frame)}:{hash(frame.to_csv())}")
        parts.append(",".join(map(str, frame.columns)))
    return "|".join(parts)


def _make(key: str, part: str, request, source: str, maker, *args) -> None:
    """Button callback: make the files (cached) and keep them, or the error, for this request.

    A callback, not the button's return value, so the click survives any rerun the page makes.
    """
    kept = {"request": request, "source": source, "files": None, "error": None}
    try:
        kept["files"] = _traced(maker(*args), request, args)
    except GeoError as exc:
        kept["error"] = str(exc)
    st.session_state[STATE.format(key=key, part=part)] = kept


def _traced(files: dict[str, bytes], request, args: tuple, member=None) -> dict[str, bytes]:
    """The made file stamped with an export ID, the member, organisation and time, and written to the
    audit log with its checksum (``geo.access.tracing``): every file that leaves can be traced."""
    from geo.access.tracing import is_illustrative, stamp_files
    from ui import auth
    from ui.site_access import scope_has_sample

    frames = [a for a in args if isinstance(a, pd.DataFrame)]
    selection = {"file": request.file_name, **{k: str(v) for k, v in vars(request).items()
                                               if isinstance(v, (str, int, float, bool, date, type(None)))}}
    who, db = member or auth.acting_member(), auth.store_path()
    from_sites = getattr(request, "marking", "") != "OFFICIAL"  # drawn from site records
    sample = any(is_illustrative(f) for f in frames) or (from_sites and scope_has_sample(who, db))
    return stamp_files(db, who, files, request.file_name, request.fmt,
                       selection=selection, rows=len(frames[0]) if frames else None,
                       site_level=getattr(request, "level", None) == "site", illustrative=sample)


def _offer(where, key: str, part: str, request, source: str, failed: str) -> None:
    """The download for a made file, only while the screen still shows what it was made from."""
    kept = st.session_state.get(STATE.format(key=key, part=part))
    if not kept or kept["request"] != request or kept["source"] != source:
        return
    if kept["error"]:
        where.error(f"{failed}: {kept['error']}")
    elif kept["files"]:
        _downloads(where, key, part, request, kept["files"])


def _downloads(where, key: str, part: str, request, files: dict[str, bytes]) -> None:
    main = request.file_name
    kind = ER.SNAPSHOT_FORMATS.get(request.fmt) or ER.TABLE_FORMATS.get(request.fmt, request.fmt.upper())
    if part == "map" and request.fmt == "png":
        kind += f" ({request.dpi} dpi)"
    where.download_button(f"Download {kind}", files[main], file_name=main, mime=request.mime,
                          key=f"{key}_{part}_dl", icon=":material/download:", on_click="ignore",
                          type="primary", help=main)
    where.caption(f"{main} ({_size(len(files[main]))})")
    for name, data in files.items():
        if name != main:
            where.download_button("Its sources (JSON)", data, file_name=name, mime=ER.MIME["json"],
                                  key=f"{key}_{part}_dl_sources", on_click="ignore",
                                  help="Files, publishers, releases, checksums, licence, caveats and marking. "
                                       "Keep it with the data file.")


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{max(1, round(n / 1e3))} kB"


# --- the three parts ------------------------------------------------------------------------------

def _snapshot_part(where, model, key: str, base: ER.MapRequest, ward_measures: pd.DataFrame | None,
                   note: str | None) -> None:
    _heading(where, "Map snapshot", base.marking)
    fmt = where.radio("Format", list(ER.SNAPSHOT_FORMATS), format_func=ER.SNAPSHOT_FORMATS.get, horizontal=True,
                      key=f"{key}_map_fmt")
    resolution = where.radio("Resolution", list(ER.RESOLUTIONS), format_func=ER.RESOLUTION_LABELS.get,
                             horizontal=True, key=f"{key}_map_res",
                             help="Screen: 150 dpi for slides and web pages. Print: 300 dpi for reports. SVG "
                                  "and PDF keep the map as lines and text at any size.")
    aspect = where.radio("Shape", list(ER.ASPECTS), format_func=ER.ASPECTS.get, horizontal=True,
                         key=f"{key}_map_aspect")
    request = replace(base, fmt=fmt, resolution=resolution, aspect=aspect)
    where.caption("Shows: " + request.describe() + "." + (f" {note}" if note else ""))
    source = fingerprint(ward_measures)
    where.button("Make snapshot", key=f"{key}_map_make", icon=":material/photo_camera:", on_click=_make,
                 args=(key, "map", request, source, _snapshot_files, shell.model_key(model), request, ward_measures))
    _offer(where, key, "map", request, source, "The snapshot could not be made")


def _table_part(where, model, key: str, tables: Sequence[ExportTable], made_on, role) -> None:
    choices = {t.name: t for t in tables}
    heading = where.container()  # filled once the table (and so its marking) is known
    if len(tables) > 1:
        pick = where.selectbox("Table", list(choices), format_func=lambda n: choices[n].label, key=f"{key}_table_pick")
        table = choices[pick]
    else:
        table = tables[0]
    probe = table.request(fmt="csv", made_on=made_on, role=role.value)
    _heading(heading, "Table", probe.marking)
    allowed, why = probe.allowed
    if not allowed:
        where.info(f"No download of this table: {why}.", icon=":material/lock:")
        return
    formats = ER.table_formats(table.frame, table.level, geo=table.geo)
    fmt = where.radio("Format", formats, format_func=ER.TABLE_FORMATS.get, horizontal=True, key=f"{key}_table_fmt")
    request = table.request(fmt=fmt, made_on=made_on, role=role.value)
    rows = f"{len(table.frame):,} row{'s' if len(table.frame) != 1 else ''}"
    extra = (" Ward counts of 1 to 4 people show as [c] (suppressed)."
             if table.level == "ward" and table.site_derived else "")
    extra += " Boundaries in WGS84 (EPSG:4326)." if fmt in ER.GEO_FORMATS else ""
    extra += " Sources on a second sheet." if fmt == "xlsx" else ""
    where.caption(f"As shown: {rows}, the same columns plus codes.{extra}")
    source = fingerprint(table.frame)
    where.button("Export table", key=f"{key}_table_make", icon=":material/table_view:", on_click=_make,
                 args=(key, "table", request, source, _table_files, shell.model_key(model), request, table.frame))
    _offer(where, key, "table", request, source, "The table could not be exported")


def _briefing_part(where, model, key: str, request: ER.BriefingRequest, sites: pd.DataFrame | None,
                   ward_measures: pd.DataFrame | None, note: str | None) -> None:
    _heading(where, "Briefing pack", request.marking)
    where.caption(f"A4 landscape PDF for {request.place}, {quarter_label(request.period)}: map, "
                  "headline figures, areas over 1:200, fair share and sources. Published figures, no "
                  "filters." + (f" {note}" if note else ""))
    model_key = shell.model_key(model)
    from ui import auth

    who = auth.acting_member()  # here: build() runs on another thread, without the session

    def build() -> bytes:  # runs when the button is pressed, so the PDF costs nothing until asked for
        data = _briefing_bytes(model_key, request, sites, ward_measures)
        return _traced({request.file_name: data}, request, (sites,) if sites is not None else (), who)[
            request.file_name]

    where.download_button("Briefing pack (PDF)", build, file_name=request.file_name, mime=request.mime,
                          key=f"{key}_brief_dl", icon=":material/picture_as_pdf:", on_click="ignore",
                          help=f"Saves {request.file_name}. Takes a few seconds the first time.")


# --- the panel ------------------------------------------------------------------------------------

def export_panel(model, *, key: str, snapshot: ER.MapRequest | None = None,
                 tables: Sequence[ExportTable] = (), briefing: ER.BriefingRequest | None = None,
                 ward_measures: pd.DataFrame | None = None, briefing_sites: pd.DataFrame | None = None,
                 briefing_ward_measures: pd.DataFrame | None = None, snapshot_note: str | None = None,
                 briefing_note: str | None = None, note: str | None = None,
                 label: str = "Export: map, table, briefing pack", expanded: bool = False) -> None:
    """Draw the panel (an expander) with whichever of the three parts the page has.

    snapshot: the map as the page shows it (format, resolution and aspect are chosen here);
    tables: the page's tables as shown; briefing: the pack for the page's council or region.
    """
    parts = [p for p, on in (("map", snapshot is not None), ("table", bool(tables)),
                             ("brief", briefing is not None)) if on]
    if not parts:
        return
    from ui import auth

    role = auth.acting_member().role  # the signed-in member's role (geo.access)
    made_on = snapshot.made_on if snapshot is not None else today()
    with st.expander(label, expanded=expanded, icon=":material/download:"):
        st.caption(f"Made from this view as it is shown: the same quarter, measure, colour classes, filters and "
                   f"area. Your role: **{role.value}**. Each file carries an export ID with your name and "
                   "organisation, and is written to the audit log.")
        if note:
            st.caption(note)
        cols = st.columns(len(parts), gap="large")
        for col, part in zip(cols, parts, strict=True):
            with col:
                if part == "map" and snapshot is not None:
                    _snapshot_part(st, model, key, snapshot, ward_measures, snapshot_note)
                elif part == "table":
                    _table_part(st, model, key, tables, made_on, role)
                elif briefing is not None:
                    _briefing_part(st, model, key, briefing, briefing_sites, briefing_ward_measures, briefing_note)
