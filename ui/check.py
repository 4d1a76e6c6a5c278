"""App side of the property check: who is asking, running a check, tables, the map, exports, the register.

The page (``pages/check.py``) is widgets only; everything it shows comes from here, and every
figure from ``geo.check`` (the same functions ``python -m geo check`` runs), so the screen and the
command line agree. Site records are read only through ``geo.access.scope.visible_sites``:
officers of the council and members of its partnership under a sharing agreement see them;
viewers are refused with one line.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pydeck as pdk

from geo import text
from geo.check.evaluate import CheckContext, ListResult, build_context, check_proposals
from geo.check.placement import PlacedProposals, read_proposals, single_proposal
from geo.check.register import Register
from geo.check.settings import RADII_M, CheckSettings
from geo.errors import DataError
from geo.render import labels
from geo.render.response import around_rows, evidence_rows
from geo.sites.grid import bng_to_wgs84
from ui.layers import CompactDeck, anchors, fit_view, make_deck, outline_of, placed_layer
from ui.site_layers import type_rgba

RING_RGBA = {250: [80, 90, 95, 255], 500: [80, 90, 95, 200], 1000: [80, 90, 95, 150]}
PROPOSED_RGBA = [212, 53, 28, 255]  # GOV.UK red
WARD_RGBA = [11, 12, 12, 255]
DECISION_LABELS = {"support": "Support", "object": "Object", "support with conditions": "Support with conditions"}
TABLE_COLUMNS = {
    "row": "Row", "reference": "Reference", "type": "Type", "people": "People", "ward_name": "Ward",
    "lad_name": "Council", "ward_dispersed_now": "Ward dispersed now", "ward_limit": "Ward limit",
    "ward_headroom_after": "Ward headroom after", "ward_status_after": "Ward after",
    "lad_status_after": "Council after", "sites_within_500m": "Sites within 500 m",
    "people_within_500m": "People within 500 m", "hotels_in_ward": "Hotels in ward",
    "recommendation": "Recommendation", "rule": "Rule", "counted_together": "Counted with",
}


# --- who is asking, and what they may see --------------------------------------------------------

def member_for_email(db: str | Path, email: str | None) -> Any:
    """The member acting (``geo.access.identity.member_for``: the local admin on a desktop store)."""
    from geo.access.identity import member_for

    return member_for(db, email)


def current_member(db: str | Path) -> Any:
    """The member of this browser session (``ui.auth.gate`` in app.py), else who ``member_for`` says
    (the desktop mode's local admin when the page runs on its own)."""
    from ui import auth

    who = auth.member()
    return who if who is not None else member_for_email(db, None)


def visible_site_records(member: Any, db: str | Path) -> pd.DataFrame:
    """The site records this member may see (audited); an AccessDenied for a viewer."""
    from geo.access.scope import visible_sites

    if not Path(db).is_file():
        raise DataError("no site records loaded: import the council's site list on the Sites page first", file=db)
    return visible_sites(member, db, selection={"what": "property check"})


def context(model: Any, sites: pd.DataFrame, settings: CheckSettings | None = None,
            today: date | None = None) -> CheckContext:
    return build_context(model, sites, settings, today)


# --- running a check (the same calls as the command line) ----------------------------------------

def run_single(ctx: CheckContext, *, site_type: str, people: int, latitude: float | None = None,
               longitude: float | None = None, easting: float | None = None, northing: float | None = None,
               postcode: str | None = None, address: str | None = None, site_reference: str | None = None,
               provider: str | None = None, geocoder: Any = None) -> ListResult:
    """One proposal: a placement problem comes back as a rejected row (shown as one line), not an error."""
    try:
        proposal = single_proposal(site_type=site_type, people=people, latitude=latitude, longitude=longitude,
                                   easting=easting, northing=northing, postcode=postcode, address=address,
                                   reference=site_reference, provider=provider, geocoder=geocoder,
                                   sites=ctx.sites)
    except DataError as exc:
        return ListResult([], [{"row": 1, "column": "position", "reason": str(exc)}])
    return check_proposals(PlacedProposals(proposal), ctx)


def run_list(ctx: CheckContext, path: str | Path, *, geocoder: Any = None, default_type: str | None = None,
             sheet: str | None = None) -> ListResult:
    """A provider's list, counted together in list order."""
    return check_proposals(read_proposals(path, sheet=sheet, geocoder=geocoder, sites=ctx.sites,
                                          default_type=default_type), ctx)


# --- the one-property form ------------------------------------------------------------------------

WHERE_CHOICES = ("Latitude and longitude", "Easting and northing", "Postcode", "Existing site")


def _number(value: str, what: str) -> float:
    """A coordinate as typed; one line naming the field when it is not a number."""
    typed = (value or "").strip()
    if not typed:
        raise DataError(f"Enter the {what}.")
    try:
        return float(typed)
    except ValueError:
        hint = f" (write {typed.replace(',', '.')}, with a point)" if typed.count(",") == 1 else ""
        raise DataError(f"The {what} must be a number{hint}: {typed!r} is not.") from None


def where_from_form(how: str, first: str, second: str) -> dict[str, Any]:
    """The check's position arguments from the form, or a DataError saying what to fix. Why here: the
    page clears any earlier answer on this error, so a rejected form never sits above a stale answer."""
    if how == "Latitude and longitude":
        return {"latitude": _number(first, "latitude"), "longitude": _number(second, "longitude")}
    if how == "Easting and northing":
        return {"easting": _number(first, "easting"), "northing": _number(second, "northing")}
    if not (first or "").strip():
        raise DataError("Enter the postcode." if how == "Postcode" else "Enter the site reference.")
    return {"postcode": first.strip()} if how == "Postcode" else {"site_reference": first.strip()}


# --- presenters --------------------------------------------------------------------------------

def headline(answer: dict[str, Any]) -> tuple[str, str]:
    """(streamlit status kind, sentence): red for object, amber for conditions, green for support."""
    kind = {"object": "error", "support with conditions": "warning"}.get(answer["recommendation"], "success")
    return kind, answer["summary"]


def other_reasons(answer: dict[str, Any]) -> list[str]:
    """Every reason after the first (the headline gives the first and says how many more follow)."""
    return list(answer.get("reasons", [])[1:])


def evidence_table(answer: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(evidence_rows(answer), columns=["Measure", "Value"])


def around_table(answer: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(around_rows(answer), columns=["Within", "Sites (open or planned)", "People in them"])


def nearby_table(answer: dict[str, Any]) -> pd.DataFrame:
    rows = [{"Reference": n["reference"], "Type": n["type"], "Status": n["status"], "People": n["people"],
             "Distance (m)": n["distance_m"]} for n in answer.get("nearby", [])]
    return pd.DataFrame(rows, columns=["Reference", "Type", "Status", "People", "Distance (m)"])


def results_table(result: ListResult) -> pd.DataFrame:
    """One line per proposal with its answer (the list view and its export)."""
    frame = pd.DataFrame(result.results)
    if frame.empty:
        return pd.DataFrame(columns=list(TABLE_COLUMNS.values()))
    return frame[list(TABLE_COLUMNS)].rename(columns=TABLE_COLUMNS)


def rejected_table(result: ListResult) -> pd.DataFrame:
    return pd.DataFrame(result.rejected, columns=["row", "column", "reason"]).rename(
        columns={"row": "Row", "column": "Column", "reason": "Reason"})


def results_csv(result: ListResult) -> bytes:
    """The answers and, below them, the rejected rows: UTF-8 with BOM for Excel."""
    from geo.cells import safe_csv  # formula-safe: addresses and rejected cells come from a file (issue 13)

    body = safe_csv(results_table(result), index=False) or ""
    if result.rejected:
        body += "\nRejected rows\n" + (safe_csv(rejected_table(result), index=False) or "")
    return ("\ufeff" + body).encode("utf-8")


def results_xlsx(result: ListResult) -> bytes:
    """The answers and the rejected rows as a workbook, formula-safe (``geo.cells.safe_workbook``):
    addresses and rejected cells come from a provider's file."""
    from geo.cells import safe_workbook

    return safe_workbook({"Answers": results_table(result), "Rejected rows": rejected_table(result)})


def stamped(member: Any, db: str | Path, data: bytes, fmt: str, rows: int) -> bytes:
    """An export of check answers, traceable (``geo.access.tracing``); site-level, so analysts and admins."""
    from geo.access.tracing import stamp_export

    return stamp_export(db, member, data, fmt, selection={"what": "property check answers"}, rows=rows,
                        site_level=True)


# --- the map -----------------------------------------------------------------------------------

def _ring(easting: float, northing: float, radius: float, steps: int = 96) -> list[list[float]]:
    theta = np.linspace(0, 2 * np.pi, steps + 1)
    lon, lat = bng_to_wgs84(easting + radius * np.cos(theta), northing + radius * np.sin(theta))
    return [[round(float(x), 6), round(float(y), 6)] for x, y in zip(lon, lat, strict=True)]


def check_deck(results: list[dict[str, Any]], wards: Any, *, width_px: int = 900,
               height_px: int = 520) -> CompactDeck | None:
    """The proposed point(s), their ward(s), nearby sites and the 250 m / 500 m / 1 km rings."""
    if not results:
        return None
    layers: list[pdk.Layer] = []
    codes = list(dict.fromkeys(a["ward_code"] for a in results))
    rows = wards[wards["ward_code"].isin(codes)]
    for i, geom in enumerate(rows.geometry):
        layers.append(pdk.Layer("GeoJsonLayer", data=outline_of(geom), id=f"ward-{i}", filled=False,
                                stroked=True, get_line_color=WARD_RGBA, line_width_units="'pixels'",
                                get_line_width=2, line_width_min_pixels=2, pickable=False))
    rings = [{"path": _ring(a["easting"], a["northing"], r), "radius": f"{r:,} m", "colour": RING_RGBA[r]}
             for a in results[:25] for r in RADII_M]
    layers.append(pdk.Layer("PathLayer", data=rings, id="rings", get_path="path", get_color="colour",
                            width_units="'pixels'", get_width=1.5, pickable=False))

    seen: dict[str, dict[str, Any]] = {}
    for a in results:
        for n in a.get("nearby", []):
            if n["status"] != "proposed":
                seen.setdefault(n["reference"], n)
    sites = [{"position": [n["longitude"], n["latitude"]], "colour": type_rgba(n["type"]),
              "tip": f"{n['reference']}: {n['type']}, {n['status']}, {text.people(n['people'])} people"}
             for n in seen.values()]
    layers.append(pdk.Layer("ScatterplotLayer", data=sites, id="nearby-sites", get_position="position",
                            get_fill_color="colour", get_radius=18, radius_units="'meters'",
                            radius_min_pixels=3, pickable=True))
    points = [{"position": [a["longitude"], a["latitude"]],
               "tip": f"{a['reference']}: {a['type']}, {text.people(a['people'])} people: {a['recommendation']}"}
              for a in results]
    layers.append(pdk.Layer("ScatterplotLayer", data=points, id="proposed", get_position="position",
                            get_fill_color=PROPOSED_RGBA, get_line_color=[255, 255, 255, 255], stroked=True,
                            line_width_min_pixels=2, get_radius=9, radius_units="'pixels'", pickable=True))
    lon = [a["longitude"] for a in results]
    lat = [a["latitude"] for a in results]
    pad = 0.011  # a little over 1 km either side
    view = fit_view((min(lon) - pad * 1.6, min(lat) - pad, max(lon) + pad * 1.6, max(lat) + pad),
                    width_px=width_px, height_px=height_px, max_zoom=15)
    layers.append(_check_labels(results, wards, codes, view, (width_px, height_px)))
    return make_deck(layers, view, {"text": "{tip}"})


def _check_labels(results: list[dict[str, Any]], wards: Any, codes: list[str], view: dict[str, float],
                  frame: tuple[int, int], size: int = 13) -> pdk.Layer:
    """The first proposal's ring distances at each ring's top, then the ward names, placed so that
    none covers another or a proposed point (``geo.render.labels``): a ward's name goes beside the
    point, never over it (the key names the ward too)."""
    where = anchors(wards, "ward_code", codes)
    names = {a["ward_code"]: f"{a['ward_name']} ward" for a in results}
    step = labels.nudged(size)
    first = results[0]
    wanted = []
    for r in RADII_M:
        top = _ring(first["easting"], first["northing"], r, steps=4)[1]
        wanted.append(labels.Label(f"ring-{r}", ring_label(r), top[0], top[1], offsets=step))
    wanted += [labels.Label(c, names[c], *where[c], offsets=(*step, (0.0, -3 * step[2][1]), (0.0, 3 * step[2][1])))
               for c in codes if c in where]
    points = [labels.marker_box(a["longitude"], a["latitude"], view, 10) for a in results]
    return placed_layer(labels.place_labels(wanted, view, size, obstacles=points, frame=frame), "check-labels", size)


def ring_label(radius_m: int) -> str:
    """'250 m', '500 m', '1 km'."""
    return f"{radius_m // 1000} km" if radius_m % 1000 == 0 else f"{radius_m:,} m"


def check_legend(results: list[dict[str, Any]]) -> str:
    """The check map's key (HTML): the proposal, its ward, the rings and the nearby site types shown."""
    from ui.site_layers import legend_entries, legend_html

    types = sorted({n["type"] for a in results for n in a.get("nearby", []) if n["status"] != "proposed"})
    wards = ", ".join(dict.fromkeys(f"{a['ward_name']} ward" for a in results))
    proposed = "Proposed property" if len(results) == 1 else f"Proposed properties ({len(results)})"
    entries: list[dict[str, Any]] = [{"kind": "proposed", "key": "proposed", "label": proposed, "shape": "dot",
                "colour": "#d4351c", "count": None},
               {"kind": "ward", "key": "ward", "label": f"Outline: {wards}", "shape": "outline",
                "colour": "#0b0c0c", "width": 2, "count": None},
               {"kind": "rings", "key": "rings", "shape": "ring", "colour": "#505a5f", "width": 1.5, "count": None,
                "label": "Rings at " + ", ".join(ring_label(r) for r in RADII_M) + " (labelled on the map)"}]
    entries += legend_entries(heat=False, types=types)
    note = None if types else "No open or planned site within 1 km."
    return legend_html(entries, title="Key", note=note)


# --- the register ------------------------------------------------------------------------------

REGISTER_LABELS = {
    "id": "No.", "reference": "Reference", "provider": "Provider", "site_type": "Type", "people": "People",
    "ward_code": "Ward", "received": "Received", "deadline": "Deadline", "recommendation": "Check said",
    "decision": "Decision", "reason": "Reason", "decided_by": "Decided by", "site_reference": "Site record",
    "procured_status": "Procured as", "overdue": "Overdue", "procured_after_objection": "Procured after objection",
}


def register_table(register: Register, organisation: str, today: date | None = None,
                   wards: pd.DataFrame | None = None) -> pd.DataFrame:
    """The register as shown: the ward by name with its code (from ``wards``), gaps as blanks."""
    frame = register.proposals(organisation, today=today)
    if wards is not None and len(frame):
        names = wards.drop_duplicates("ward_code").set_index("ward_code")["ward_name"]
        frame["ward_code"] = [f"{names[c]} ({c})" if c in names.index else c for c in frame["ward_code"]]
    text_cols = [c for c in REGISTER_LABELS if c not in ("id", "people", "overdue", "procured_after_objection")]
    frame[text_cols] = frame[text_cols].astype(object).where(frame[text_cols].notna(), "")
    return frame[list(REGISTER_LABELS)].rename(columns=REGISTER_LABELS)


def keep_reference(answer: dict[str, Any], today: date | None = None) -> str:
    """What the register calls a proposal typed in without a reference: where and what it is, and the
    day it was checked ('Yardley East ward, dispersed for 6, checked 2026-12-07'), not 'proposal'."""
    from geo.check.placement import SINGLE_REFERENCE

    if answer.get("reference") and answer["reference"] != SINGLE_REFERENCE:
        return str(answer["reference"])
    place = answer.get("address") or f"{answer['ward_name']} ward"
    return f"{place}, {answer['type']} for {answer['people']}, checked {(today or date.today()).isoformat()}"


def decision_index(table: pd.DataFrame, number: int, decisions: tuple[str, ...]) -> int:
    """The decision picker starts at the decision in force, else at what the check recommended."""
    row = table.set_index("No.").loc[number]
    current = row["Decision"] or row["Check said"]
    return decisions.index(current) if current in decisions else 0


def proposal_label(table: pd.DataFrame, number: int) -> str:
    """'3: P-101 from Provider A, due 2026-11-12' for the register's proposal picker."""
    row = table.set_index("No.").loc[number]
    who = f" from {row['Provider']}" if row["Provider"] else ""
    return f"{number}: {row['Reference']}{who}, due {row['Deadline']}"


def history_table(register: Register, proposal_id: int) -> pd.DataFrame:
    """Decisions and procurements for one proposal, oldest first, in words."""
    frame = register.history(proposal_id).drop(columns="id")
    return frame.rename(columns={"event": "What happened", "what": "Decision or status", "reason": "Reason or site",
                                 "who": "By", "at": "When"})


def highlight_overdue(table: pd.DataFrame) -> Any:
    """Overdue rows (and sites procured after an objection) stand out: bold text and a coloured band,
    with the word in its own column too, so colour never carries the meaning alone."""
    def style(row: pd.Series) -> list[str]:
        if bool(row.get("Procured after objection")):
            return ["background-color: #f6d7d2; font-weight: 600"] * len(row)
        if bool(row.get("Overdue")):
            return ["background-color: #fff2cc; font-weight: 600"] * len(row)
        return [""] * len(row)

    shown = table.assign(**{"Overdue": table["Overdue"].map({True: "OVERDUE", False: ""}),
                            "Procured after objection": table["Procured after objection"].map(
                                {True: "FLAGGED", False: ""})})
    return shown.style.apply(lambda r: style(table.loc[r.name]), axis=1)


def overdue_count(table: pd.DataFrame) -> int:
    return int(table["Overdue"].astype(bool).sum()) if len(table) else 0
