"""Tables, charts, map layers and words for the Fair share page.

The page (``pages/fair_share.py``) only lays out widgets; everything it shows is prepared
here from the per-authority table (``geo.measures.lad_table``) and the arithmetic in
``geo.fair_share``, so it can be tested without a browser. No Streamlit imports here.

Colours: over/under fair share is drawn on the shared ``DIVERGING`` palette, centred on the
fair share (ratio 1), with classes roughly symmetric in log ratio (½ and 2, 0.8 and 1.25),
so "twice the fair share" is as strong a red as "half of it" is a blue.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd

from geo import fair_share as fs
from geo.render.classify import DIVERGING, NO_DATA, hex_to_rgba
from geo.text import quarter_label
from ui import layers as L
from ui.state import SHARE_MEASURES

UK_CHOICE = "UK: compare regions"
MEASURES = SHARE_MEASURES  # one list, so a link's share= names what this page compares
MEASURE_SHORT = {"supported": "people supported", "dispersed": "people in dispersed accommodation"}
MOVEMENT_QUARTERS = (4, 8)
CHART_MAX_ROWS = 40  # a ranked bar chart taller than this is unreadable: show the ends
PLANNING_AID = "This is a planning aid for a change plan, not a prediction."


# ------------------------------------------------------------------------ choices


def whole_people(values: pd.Series) -> pd.Series:
    """People as whole numbers, halves rounded up (as geo.text.people writes them): the tables
    never show 1,386.9 people. The page states the rounding (ROUNDING_NOTE)."""
    return np.floor(pd.to_numeric(values, errors="coerce") + 0.5).astype("Int64")


ROUNDING_NOTE = ("People are whole numbers: fair shares and differences are rounded to the nearest person; "
                 "limits are rounded down to whole people, as the 1:200 check is.")


def area_key(frame: pd.DataFrame) -> pd.Series:
    """The region an authority is compared within: its English region, else its nation."""
    region = frame["region"].astype(object)
    if "nation" in frame.columns:
        region = region.where(region.notna(), frame["nation"].astype(object))
    return region


def region_choices(lads: pd.DataFrame) -> list[str]:
    """'UK: compare regions', then England's regions, then the other nations, alphabetically."""
    keys = pd.DataFrame({"key": area_key(lads), "nation": lads.get("nation")}).dropna(subset=["key"])
    england = sorted({k for k, n in zip(keys["key"], keys["nation"], strict=False) if n == "England"})
    others = sorted(set(keys["key"]) - set(england))
    return [UK_CHOICE, *england, *others]


def area_rows(table: pd.DataFrame, choice: str) -> pd.DataFrame:
    """The authorities in the chosen region or nation (all of them for the UK choice)."""
    if choice == UK_CHOICE:
        return table.reset_index(drop=True)
    return table[area_key(table) == choice].reset_index(drop=True)


def comparison_group(choice: str) -> str | None:
    """Group passed to ``fair_shares``: within the region, or against the whole UK."""
    return None if choice == UK_CHOICE else "region"


def area_name(choice: str) -> str:
    return "the UK" if choice == UK_CHOICE else choice


# --------------------------------------------------------------- classes and colours


@dataclass(frozen=True)
class FairClass:
    """One class of the over/under map: words first, the ratio range second."""

    label: str
    ratio_range: str
    colour: str


def fair_classes(tolerance: float = fs.DEFAULT_TOLERANCE) -> tuple[FairClass, ...]:
    """Seven classes, the middle one being 'about fair share' (same band as the status)."""
    lo, hi = 1 - tolerance, 1 + tolerance
    pct = f"{tolerance:.0%}"
    return (
        FairClass("well below fair share", "under half", DIVERGING[0]),
        FairClass("below fair share", "half to 0.8 times", DIVERGING[1]),
        FairClass("slightly below fair share", f"0.8 to {lo:g} times", DIVERGING[2]),
        FairClass("about fair share", f"within {pct} either way", DIVERGING[3]),
        FairClass("slightly above fair share", f"{hi:g} to 1.25 times", DIVERGING[4]),
        FairClass("above fair share", "1.25 times to double", DIVERGING[5]),
        FairClass("well above fair share", "over double", DIVERGING[6]),
    )


NO_POPULATION_CLASS = FairClass(fs.NO_POPULATION, "cannot be compared", NO_DATA)


def ratio_class_index(ratio: pd.Series, status: pd.Series,
                      tolerance: float = fs.DEFAULT_TOLERANCE) -> np.ndarray:
    """Class number 0..6 per authority (3 = about fair share); -1 = no population estimate.

    Bounds: <0.5 | 0.5–<0.8 | 0.8–<lo | lo–hi | >hi–1.25 | >1.25–2 | >2, with lo/hi = 1 ∓
    tolerance inclusive in the middle class, so the colour always agrees with ``status``.
    A missing ratio with a population (fair share 0, nobody there) is 'about fair share'.
    """
    r = pd.to_numeric(ratio, errors="coerce").to_numpy(dtype=float)
    lo, hi = 1 - tolerance, 1 + tolerance
    with np.errstate(invalid="ignore"):
        idx = np.select(
            [r < 0.5, r < 0.8, r < lo, r <= hi, r <= 1.25, r <= 2.0, r > 2.0],
            [0, 1, 2, 3, 4, 5, 6], default=-1)
    status = np.asarray(status, dtype=object)
    missing = np.isnan(r)
    idx[missing & (status == fs.AT)] = 3
    idx[missing & (status == fs.ABOVE)] = 6
    idx[missing & (status == fs.BELOW)] = 0
    idx[np.isin(status, fs.NOT_COMPARED)] = -1
    return idx


def ratio_class_label(ratio: pd.Series, status: pd.Series,
                      tolerance: float = fs.DEFAULT_TOLERANCE) -> pd.Series:
    classes = fair_classes(tolerance)
    labels = [c.label for c in classes]
    idx = ratio_class_index(ratio, status, tolerance)
    # Not compared: say why in the status's own words ('not in this file', 'no population estimate').
    out = [labels[i] if i >= 0 else str(s) for i, s in zip(idx, np.asarray(status, dtype=object), strict=True)]
    return pd.Series(out, index=ratio.index, dtype=object)


def ratio_class_colour(ratio: pd.Series, status: pd.Series,
                       tolerance: float = fs.DEFAULT_TOLERANCE) -> pd.Series:
    classes = fair_classes(tolerance)
    idx = ratio_class_index(ratio, status, tolerance)
    out = [classes[i].colour if i >= 0 else NO_DATA for i in idx]
    return pd.Series(out, index=ratio.index, dtype=object)


def legend_rows(tolerance: float = fs.DEFAULT_TOLERANCE) -> list[FairClass]:
    """Legend from 'well above' (top) to 'well below', then grey for no population."""
    return [*reversed(fair_classes(tolerance)), NO_POPULATION_CLASS]


def legend_html(tolerance: float = fs.DEFAULT_TOLERANCE) -> str:
    """Small HTML legend: a colour swatch, the class in words and its ratio range."""
    rows = []
    for c in legend_rows(tolerance):
        rows.append(
            f'<div style="display:flex;align-items:center;gap:0.5em;margin:2px 0">'
            f'<span style="display:inline-block;width:1.1em;height:1.1em;background:{c.colour};'
            f'border:1px solid #888"></span><span><b>{c.label}</b> '
            f'<span style="color:#666">({c.ratio_range})</span></span></div>')
    return "".join(rows)


# ---------------------------------------------------------------- authority table


def authority_summary(area: pd.DataFrame, *, group: str | None, measure: str = "supported",
                      tolerance: float = fs.DEFAULT_TOLERANCE,
                      limit_per: int = fs.DEFAULT_LIMIT_PER) -> pd.DataFrame:
    """Fair share, headroom under the limit and participation, one row per authority.

    ``area`` is ``lad_table`` rows for the authorities being compared (one region, or the
    whole UK with ``group=None``). Fair-share attrs (people left out for want of a
    population estimate) are carried on the result.
    """
    shares = fs.fair_shares(area, group=group, measure=measure, tolerance=tolerance)
    room = fs.headroom(area, limit_per=limit_per)
    part = fs.participation(area)
    out = shares[[c for c in ("lad_code", "lad_name", "region", "nation", "group", "population",
                              measure, "fair_share_people", "difference_people",
                              "ratio_to_fair", "status") if c in shares.columns]].copy()
    out["fair_class"] = ratio_class_label(out["ratio_to_fair"], out["status"], tolerance)
    out["dispersed"] = room["counted"].to_numpy()
    out["capacity_at_limit"] = room["capacity_at_limit"].to_numpy()
    out["headroom"] = room["headroom"].to_numpy()
    out["over_limit"] = room["over_limit"].to_numpy()
    out["residents_per_person"] = room["residents_per_person"].to_numpy()
    out["participation"] = part["participation"].to_numpy()
    out["hotel_only"] = np.asarray(part["hotel_only"], dtype=bool) if "hotel_only" in part else False
    out.attrs.update(shares.attrs)
    out.attrs["limit_per"] = limit_per
    return out


def status_counts(summary: pd.DataFrame) -> dict[str, int]:
    """How many authorities are above, below, at fair share, or have no population."""
    counts = summary["status"].value_counts()
    return {s: int(counts.get(s, 0)) for s in fs.STATUSES}


def status_sentence(summary: pd.DataFrame, area: str, measure: str) -> str:
    """One line a chief executive can read: how many above, below and about at fair share."""
    n = status_counts(summary)
    total = len(summary)
    parts = [f"{n[fs.ABOVE]} above", f"{n[fs.BELOW]} below", f"{n[fs.AT]} about at"]
    text = (f"Of {total} authorities in {area}, {', '.join(parts)} their fair share of "
            f"{MEASURE_SHORT[measure]}")
    for gap in fs.NOT_COMPARED:
        if n[gap]:
            text += f"; {n[gap]} cannot be compared ({gap})"
    return text + "."


def fair_share_display(summary: pd.DataFrame, measure: str) -> pd.DataFrame:
    """The fair-share table as shown: plain column names, most above fair share first."""
    people = MEASURES[measure]
    out = pd.DataFrame({
        "Authority": summary["lad_name"],
        "Status": summary["status"],
        people: summary[measure],
        "Fair share (people)": whole_people(summary["fair_share_people"]),
        "Difference from fair share (people)": whole_people(summary["difference_people"]),
        "Times fair share": summary["ratio_to_fair"].round(2),
        "Class": summary["fair_class"],
        "Residents": summary["population"],
        "Region": area_key(summary) if "region" in summary else None,
        "Code": summary["lad_code"],
    })
    if out["Region"].nunique() <= 1:  # one region: no need to repeat it on every row
        out = out.drop(columns=["Region"])
    order = summary["difference_people"].fillna(-np.inf).sort_values(ascending=False,
                                                                      kind="stable").index
    return out.loc[order].reset_index(drop=True)


def fair_share_export(summary: pd.DataFrame, measure: str, period: pd.Timestamp) -> pd.DataFrame:
    """Everything on the page for each authority, machine-readable names, for the CSV."""
    out = summary.copy()
    out.insert(0, "period", pd.Timestamp(period).date().isoformat())
    out.insert(1, "measure", measure)
    return out


# -------------------------------------------------------------------------- charts


def _colour_scale(tolerance: float) -> alt.Scale:
    rows = legend_rows(tolerance)
    return alt.Scale(domain=[c.label for c in rows], range=[c.colour for c in rows])


def ranked_difference_chart(summary: pd.DataFrame, measure: str, *,
                            tolerance: float = fs.DEFAULT_TOLERANCE,
                            max_rows: int = CHART_MAX_ROWS) -> tuple[alt.TopLevelMixin, str]:
    """Horizontal bars of difference from fair share in people, most above at the top.

    Authorities without a population estimate have no fair share and are left out (the
    note says so). Past ``max_rows`` only the most above and most below are drawn.
    Returns (chart, note).
    """
    data = summary.dropna(subset=["difference_people"]).copy()
    data = data.sort_values("difference_people", ascending=False, kind="stable")
    note = ""
    if len(data) > max_rows:
        half = max_rows // 2
        note = (f"Showing the {half} authorities furthest above and the {half} furthest below "
                f"their fair share, of {len(data)}.")
        data = pd.concat([data.head(half), data.tail(half)])
    left_out = int(summary["difference_people"].isna().sum())
    if left_out:
        note = (note + " " if note else "") + (
            f"{left_out} authorit{'y' if left_out == 1 else 'ies'} with no population estimate "
            f"not shown.")
    data = data.assign(
        difference=whole_people(data["difference_people"]),
        fair=whole_people(data["fair_share_people"]),
        ratio=data["ratio_to_fair"].round(2),
        people=data[measure],
    )[["lad_name", "difference", "fair", "ratio", "people", "fair_class", "status"]]
    order = data["lad_name"].tolist()
    chart = alt.Chart(data).mark_bar().encode(
        x=alt.X("difference:Q", title="Difference from fair share (people)"),
        y=alt.Y("lad_name:N", sort=order, title=None,
                axis=alt.Axis(labelLimit=180, labelOverlap=False)),
        color=alt.Color("fair_class:N", scale=_colour_scale(tolerance), legend=None),
        stroke=alt.value("#888"),
        strokeWidth=alt.value(0.4),
        tooltip=[alt.Tooltip("lad_name:N", title="Authority"),
                 alt.Tooltip("people:Q", title=MEASURES[measure], format=",.0f"),
                 alt.Tooltip("fair:Q", title="Fair share", format=",.1f"),
                 alt.Tooltip("difference:Q", title="Difference", format="+,.1f"),
                 alt.Tooltip("ratio:Q", title="Times fair share", format=".2f"),
                 alt.Tooltip("status:N", title="Status")],
    )
    rule = alt.Chart(pd.DataFrame({"x": [0]})).mark_rule(color="#333").encode(x="x:Q")
    return alt.layer(chart, rule).properties(height=alt.Step(18)), note


def region_display(regions: pd.DataFrame, measure: str) -> pd.DataFrame:
    """Regions against their fair share of the UK total, most above first."""
    people = MEASURES[measure]
    out = pd.DataFrame({
        "Region or nation": regions["region"],
        "Authorities": regions["authorities"],
        "Residents": regions["population"],
        people: regions["compared_people"],
        "Share of UK people": (regions["share_of_group_people"] * 100).round(1),
        "Share of UK residents": (regions["share_of_group_population"] * 100).round(1),
        "Fair share (people)": regions["fair_share_people"].round(0),
        "Difference from fair share (people)": regions["difference_people"].round(0),
        "Times fair share": regions["ratio_to_fair"].round(2),
        "Status": regions["status"],
        "People left out (no population estimate)": regions["people_without_population"],
    })
    order = regions["difference_people"].fillna(-np.inf).sort_values(ascending=False).index
    return out.loc[order].reset_index(drop=True)


def region_chart(regions: pd.DataFrame, measure: str, *, highlight: str | None = None,
                 tolerance: float = fs.DEFAULT_TOLERANCE) -> alt.TopLevelMixin:
    """Bars of each region's difference from its fair share of the UK, chosen one outlined."""
    data = regions.dropna(subset=["difference_people"]).copy()
    data["fair_class"] = ratio_class_label(data["ratio_to_fair"], data["status"], tolerance)
    data["chosen"] = data["region"] == highlight
    data = data.assign(difference=data["difference_people"].round(0),
                       ratio=data["ratio_to_fair"].round(2),
                       fair=data["fair_share_people"].round(0),
                       people=data["compared_people"])
    data = data[["region", "difference", "ratio", "fair", "people", "fair_class", "status",
                 "chosen"]].sort_values("difference", ascending=False)
    chart = alt.Chart(data).mark_bar().encode(
        x=alt.X("difference:Q", title="Difference from fair share of the UK (people)"),
        y=alt.Y("region:N", sort=data["region"].tolist(), title=None,
                axis=alt.Axis(labelLimit=200, labelOverlap=False)),
        color=alt.Color("fair_class:N", scale=_colour_scale(tolerance), legend=None),
        stroke=alt.condition("datum.chosen", alt.value("#000"), alt.value("#888")),
        strokeWidth=alt.condition("datum.chosen", alt.value(2.5), alt.value(0.4)),
        tooltip=[alt.Tooltip("region:N", title="Region or nation"),
                 alt.Tooltip("people:Q", title=MEASURES[measure], format=",.0f"),
                 alt.Tooltip("fair:Q", title="Fair share", format=",.0f"),
                 alt.Tooltip("difference:Q", title="Difference", format="+,.0f"),
                 alt.Tooltip("ratio:Q", title="Times fair share", format=".2f")],
    )
    rule = alt.Chart(pd.DataFrame({"x": [0]})).mark_rule(color="#333").encode(x="x:Q")
    return alt.layer(chart, rule).properties(height=alt.Step(26))


# -------------------------------------------------------- headroom and taking part


def headroom_display(summary: pd.DataFrame) -> pd.DataFrame:
    """Room under the cluster limit: residents/limit minus people in dispersed accommodation.

    Most room first; negative means over the limit; no population estimate last, blank.
    """
    limit = summary.attrs.get("limit_per", fs.DEFAULT_LIMIT_PER)
    state = np.where(summary["population"].isna() | summary["over_limit"].isna(),
                     fs.NO_POPULATION,
                     np.where(summary["over_limit"].fillna(False).astype(bool),
                              f"over 1:{limit}", f"within 1:{limit}"))
    out = pd.DataFrame({
        "Authority": summary["lad_name"],
        "Headroom (people)": whole_people(summary["headroom"]),
        "Against the limit": state,
        "In dispersed accommodation": summary["dispersed"],
        f"Limit (residents ÷ {limit})": whole_people(summary["capacity_at_limit"]),
        "Residents": summary["population"],
        "One person per … residents": summary["residents_per_person"].round(0),
        "Taking part in dispersal": summary["participation"],
    })
    order = summary["headroom"].fillna(-np.inf).sort_values(ascending=False, kind="stable").index
    return out.loc[order].reset_index(drop=True)


def headroom_totals(summary: pd.DataFrame) -> dict[str, float]:
    """Total room left among authorities under the limit, and the excess of those over it."""
    room = summary["headroom"]
    return {
        "room": float(room[room > 0].sum()),
        "over_by": float(-room[room < 0].sum()),
        "over_count": int(summary["over_limit"].fillna(False).astype(bool).sum()),
    }


def participation_display(summary: pd.DataFrame) -> tuple[int, int, pd.DataFrame]:
    """(taking part, authorities, table of those not taking part with hotel-only flagged)."""
    taking = int((summary["participation"] == "taking part").sum())
    out = summary.loc[summary["participation"] != "taking part", ["lad_name", "population"]].copy()
    out["Hosts"] = np.where(summary.loc[out.index, "hotel_only"], "hotels only", "nobody")
    out = out.rename(columns={"lad_name": "Authority", "population": "Residents"})
    out.insert(1, "Participation", "not taking part")
    return taking, len(summary), out.reset_index(drop=True)


# ------------------------------------------------------------------------ movement


def movement_periods(periods: Sequence[pd.Timestamp], period: pd.Timestamp,
                     quarters: Iterable[int] = MOVEMENT_QUARTERS) -> dict[int, pd.Timestamp | None]:
    """The quarter ``q`` quarters before ``period`` for each q, None where the series lacks it."""
    known = {pd.Timestamp(p).to_period("Q"): pd.Timestamp(p) for p in periods}
    now = pd.Timestamp(period).to_period("Q")
    return {int(q): known.get(now - int(q)) for q in quarters}


def movement_gap(model, period: pd.Timestamp, quarters: int) -> str:
    """Why there is no movement over ``quarters``: the quarter is not loaded, or its file gives no
    dispersed figure by council (not 'before the series starts' when the series has the quarter)."""
    from geo import measures

    wanted = (pd.Timestamp(period) - pd.offsets.QuarterEnd(quarters)).normalize()
    if wanted < min(model.periods):
        return f"{quarters} quarters earlier is before the series starts: no change shown."
    name = measures.source_name(model, wanted) if wanted in set(model.periods) else None
    if name is None:
        return f"{quarter_label(wanted)} ({quarters} quarters earlier) is not in the loaded files: no change shown."
    return (f"{quarter_label(wanted)} ({quarters} quarters earlier): people in dispersed accommodation "
            f"{measures.NOT_PUBLISHED} ({name}), so no change is shown.")


def movement_history(tables: dict[pd.Timestamp, pd.DataFrame]) -> pd.DataFrame:
    """Stack ``lad_table`` frames for several quarters into the history ``movement`` reads."""
    frames = []
    for period, table in tables.items():
        frame = table.copy()
        frame["period"] = pd.Timestamp(period)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def movement_display(history: pd.DataFrame, period: pd.Timestamp, codes: Iterable[str], *,
                     group: str | None, measure: str,
                     quarters: Sequence[int] = MOVEMENT_QUARTERS) -> pd.DataFrame:
    """Change in times-fair-share, headroom and participation over the last 4 and 8 quarters.

    Fair shares are recomputed within each quarter (against that quarter's totals) by
    ``geo.fair_share.movement``, then the chosen authorities are kept.
    """
    moved = fs.movement(history, periods=[pd.Timestamp(period)], quarters=quarters,
                        group=group, measure=measure)
    moved = moved[moved["lad_code"].isin(list(codes))]
    out = pd.DataFrame({"Authority": moved["lad_name"],
                        "Times fair share now": moved["ratio_to_fair"].round(2)})
    for q in quarters:
        out[f"Change in times fair share, {q} quarters"] = moved[f"ratio_to_fair_change_{q}q"].round(2)
    out["Headroom now"] = whole_people(moved["headroom"])
    for q in quarters:
        out[f"Change in headroom, {q} quarters"] = whole_people(moved[f"headroom_change_{q}q"])
    for q in quarters:
        out[f"Participation, {q} quarters"] = moved[f"participation_change_{q}q"].astype(object)
    first_change = f"Change in times fair share, {quarters[0]} quarters"
    order = out[first_change].abs().fillna(-1).sort_values(ascending=False, kind="stable").index
    return out.loc[order].reset_index(drop=True)


def participation_changes(movement_table: pd.DataFrame, q: int) -> dict[str, int]:
    col = f"Participation, {q} quarters"
    values = movement_table[col].dropna() if col in movement_table else pd.Series(dtype=object)
    return {"started": int((values == "started").sum()), "stopped": int((values == "stopped").sum())}


# ---------------------------------------------------------------------- allocation


def allocation_display(result: fs.AllocationResult, area: pd.DataFrame) -> pd.DataFrame:
    """allocate()'s table beside where people are now, most new places first."""
    t = result.table
    now = area.set_index("lad_code")
    counted = ("In dispersed accommodation or hotels now" if result.include_hotels
               else "In dispersed accommodation now")
    out = pd.DataFrame({
        "Authority": t["lad_name"],
        counted: t["counted_now"],
        "New places allocated": t["allocated"],
        "After allocation": t["counted_after"],
        "Room under the limit (whole places)": t["places_available"],
        "One person per … residents after": (t["population"] / t["counted_after"])
        .where(t["counted_after"] > 0).round(0),
        "Reached the limit": np.where(t["excluded"], "", np.where(t["capped"], "yes", "no")),
        "People supported now": t["lad_code"].map(now["supported"]).to_numpy()
        if "supported" in now else np.nan,
        "In hotels now": t["lad_code"].map(now["hotel"]).to_numpy() if "hotel" in now else np.nan,
        "Residents": t["population"],
        f"Limit (residents ÷ {result.limit_per})": whole_people(t["capacity_at_limit"]),
        "Note": t["reason"],
        "Code": t["lad_code"],
    })
    order = t.sort_values(["allocated", "places_available"], ascending=False, kind="stable").index
    return out.loc[order].reset_index(drop=True)


def allocation_chart(result: fs.AllocationResult, *, max_rows: int = 25) -> alt.Chart | None:
    """Stacked bars: people counted now plus new places, for authorities given places."""
    t = result.table[result.table["allocated"] > 0].sort_values("allocated", ascending=False)
    if t.empty:
        return None
    t = t.head(max_rows)
    order = t["lad_name"].tolist()
    long = pd.concat([
        pd.DataFrame({"lad_name": t["lad_name"], "part": "now", "people": t["counted_now"]}),
        pd.DataFrame({"lad_name": t["lad_name"], "part": "new places", "people": t["allocated"]}),
    ])
    long["order"] = long["part"].map({"now": 0, "new places": 1})
    return alt.Chart(long).mark_bar().encode(
        x=alt.X("people:Q", title="People counted against the limit", stack="zero"),
        y=alt.Y("lad_name:N", sort=order, title=None,
                axis=alt.Axis(labelLimit=180, labelOverlap=False)),
        color=alt.Color("part:N", scale=alt.Scale(domain=["now", "new places"],
                                                  range=["#bdbdbd", DIVERGING[0]]),
                        legend=alt.Legend(title=None, orient="bottom")),
        order=alt.Order("order:Q"),
        tooltip=["lad_name:N", "part:N", alt.Tooltip("people:Q", format=",.0f")],
    ).properties(height=alt.Step(18))


def allocation_sentence(result: fs.AllocationResult, requested: int, area: str) -> str:
    limit = f"one person per {result.limit_per:,} residents"
    if requested == 0:
        return "Type a number of additional bed spaces to see how the rule would share them."
    if result.unplaced == 0:
        return (f"All {requested:,} additional places fit in {area} under {limit}: "
                f"{result.placed:,} placed, 0 not placed.")
    return (f"Only {result.placed:,} of {requested:,} additional places fit in {area} under "
            f"{limit}; {result.unplaced:,} cannot be placed without going over the limit.")


# ----------------------------------------------------------------------------- map


def map_features(layer, summary: pd.DataFrame, measure: str, *,
                 tolerance: float = fs.DEFAULT_TOLERANCE, alpha: int = 210) -> dict:
    """GeoJSON FeatureCollection of the chosen authorities with fill colour and tooltip text.

    ``layer`` is a (simplified) GeoDataFrame with ``lad_code`` and WGS84 geometry.
    Properties are plain JSON (no NaN) so the browser draws them as is.
    """
    geo = layer[["lad_code", "geometry"]].merge(summary, on="lad_code", how="inner")
    colours = ratio_class_colour(geo["ratio_to_fair"], geo["status"], tolerance)

    def fmt(value: float, spec: str) -> str:
        return "n/a" if value is None or pd.isna(value) else format(value, spec)

    features = []
    for (_, row), colour in zip(geo.iterrows(), colours, strict=False):
        if row.geometry is None or row.geometry.is_empty:
            continue
        props = {
            "lad_code": row["lad_code"],
            "lad_name": row["lad_name"],
            "fill": hex_to_rgba(colour, alpha),
            "class": row["fair_class"],
            "people": fmt(row[measure], ",.0f"),
            "fair": fmt(row["fair_share_people"], ",.1f"),
            "difference": fmt(row["difference_people"], "+,.1f"),
            "ratio": fmt(row["ratio_to_fair"], ".2f"),
            "headroom": fmt(row["headroom"], "+,.1f"),
        }
        features.append({"type": "Feature", "geometry": row.geometry.__geo_interface__,
                         "properties": props})
    return {"type": "FeatureCollection", "features": features}


def build_deck(features: dict, view: dict[str, float], measure: str, label: str | None = None):
    """The fair-share map: the app's one deck builder (no basemap tiles, so it works offline).

    ``label`` names what is compared when it is not one of the page's measures (the place-based
    fair share may share several schemes)."""
    layer = L.area_layer(features, "fair-share", line_rgba=(90, 90, 90, 255), line_px=0.6)
    tooltip = {
        "html": ("<b>{lad_name}</b><br/>{class}<br/>" + (label or MEASURE_SHORT[measure].capitalize())
                 + ": {people}<br/>Fair share: {fair} (difference {difference})<br/>"
                 "Times fair share: {ratio}<br/>Headroom to 1:200: {headroom}"),
        "style": {"backgroundColor": "white", "color": "black", "fontSize": "12px"},
    }
    return L.make_deck([layer], view, tooltip)


# ----------------------------------------------------------- words, sources, files


def population_as_at(reg02: pd.DataFrame | None) -> str | None:
    """The residents' own vintage, 'ONS mid-2024 estimate, as used by the Home Office in Reg_02'.

    Not the Reg_02 quarter (31 December 2025): its population column is an older ONS estimate,
    and it is applied to every quarter shown (issue 14)."""
    if reg02 is None:
        return None
    from geo import sources
    from geo.population import lad_population_label

    source = sources.load_registry().get("reg02")
    return lad_population_label(source.population_vintage if source else None)


def figure_caption(sources: str, period: pd.Timestamp, extra: str = "") -> str:
    """'Source: … People as at 30 September 2024.' plus any note about the figure.

    ``sources`` is ``geo.text.source_line`` for the figure's files."""
    line = f"People as at {quarter_label(period)}."
    return f"{f'{sources}. ' if sources else ''}{line} {extra}".strip()


def number_formats(frame: pd.DataFrame) -> dict[str, str]:
    """Display format per numeric column: thousands separated ('localized'); ratios to 2 dp."""
    out = {}
    for col in frame.columns:
        if pd.api.types.is_numeric_dtype(frame[col]) and not pd.api.types.is_bool_dtype(frame[col]):
            out[col] = "%.2f" if col.startswith("Times fair share") or "times fair share" in col \
                else "localized"
    return out


def csv_with_sources(frame: pd.DataFrame, lines: Iterable[str]) -> bytes:
    """CSV text with '# '-prefixed source lines first, so the file carries its provenance."""
    from geo.exports import commented_csv  # the one leading-block, formula-safe CSV writer

    return (commented_csv(frame, lines) or "").encode("utf-8")


def excluded_sentence(summary: pd.DataFrame, measure: str) -> str:
    """Who sits outside the population base, and how many people that leaves out."""
    codes = summary.attrs.get("authorities_without_population", [])
    if not codes:
        return "Every authority here has a population estimate."
    names = summary.loc[summary["lad_code"].isin(codes), "lad_name"].tolist()
    people = summary.attrs.get("people_without_population", 0.0)
    return (f"No population estimate for {', '.join(names)}: their {people:,.0f} "
            f"{MEASURE_SHORT[measure]} are shown but left out of the fair-share base.")


def method_markdown(*, measure: str, tolerance: float, limit_per: int, period: pd.Timestamp,
                    population_date: str | None, population_file: str | None,
                    boundaries: str | None, excluded: str) -> str:
    """The method and its limits in plain English, as shown at the foot of the page."""
    pct = f"{tolerance:.0%}"
    pop_source = (f"the population figures the Home Office publishes in its Reg_02 table "
                  f"({population_file or 'Reg_02'}: the {population_date or 'ONS estimate it uses'})")
    return f"""
**Fair share.** An authority's fair share is its region's total of {MEASURE_SHORT[measure]}
multiplied by the authority's share of the region's residents. If a region of 1,000,000
residents supports 2,000 people, an authority with 100,000 residents has a fair share of 200.
"About fair share" means within {pct} either way; "above" and "below" are outside that band.
For "UK: compare regions" every authority is compared with the whole UK instead.
Between regions, each region's total is compared with its share of UK residents in the same way.

**Headroom to the cluster limit.** The 2019 memorandum between local government and the
Home Office sets a limit of one supported asylum seeker in dispersed accommodation per
{limit_per} residents. Headroom is residents ÷ {limit_per} minus people in dispersed
accommodation: negative means over the limit. An authority with nobody in dispersed
accommodation is shown as **not taking part** (dispersal is voluntary); some of these still
host people in contingency hotels.

**Movement.** Fair shares and headroom are worked out again for the quarter 4 and 8
quarters earlier, against that quarter's totals, and the difference is shown.

**Allocation.** New places are shared in proportion to residents, no authority is taken over
the limit, and places that cannot fit anywhere are reported as not placed. It is a planning
aid for a change plan, not a prediction of where people will be housed.

**Limits of these figures.**
- Residents are {pop_source}, one figure per authority used for every quarter, so earlier
  quarters are compared with today's population, not the population at the time.
- {excluded} People in authorities without a population estimate are excluded from the base.
- Authority boundaries change. Everything is shown on today's authorities
  ({boundaries or 'current boundaries'}); figures published for earlier, since-merged
  councils (for example Somerset's or North Yorkshire's former districts) are added together
  onto the authority that replaced them.
- Section 98 support (temporary support for people who appear destitute while their
  application for asylum support is considered) has local authority figures only from
  December 2022. Before then those people are counted in no authority,
  so totals of people supported before December 2022 are lower, and changes over 8 quarters
  that reach back before then partly reflect that change in counting.
- From December 2023 to September 2024 some people on subsistence-only support are not
  assigned to an authority and are not counted here.
- Figures are quarter-end snapshots (this page: {quarter_label(period)}) at authority level;
  the memorandum's limit also applies to wards, which this page does not assess.
""".strip()
