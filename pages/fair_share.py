"""Fair share page: is an area above or below its fair share, is the load shared fairly
within and between regions, where is there headroom under 1:200, and how would a
population-proportional, capped rule share out more places?

Thin on purpose: widgets and layout only; every table, chart and sentence comes from
``ui.fair_share`` (built on ``geo.fair_share``), which is tested without a browser. The model,
the per-quarter tables and the view in the link are the shared ones (``ui.shell``): area
(``region=``), quarter (``period=``) and measure (``share=``) travel in the URL.
"""
from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from geo import fair_share as fs
from geo import place_share, text
from geo import pressure_share as ps
from geo import pressures as pressure_files
from geo.errors import GeoError
from ui import export_panel as exports
from ui import exports as ER
from ui import fair_share as view
from ui import pressure_share as pview
from ui import shell
from ui import tables as cells
from ui.layers import fit_view

PAGE = "fair-share"
TOLERANCE = fs.DEFAULT_TOLERANCE
SOURCES = ("asy_d11", "reg02")
PRESSURE_SOURCES = pressure_files.SOURCE_IDS


def get_table(period: pd.Timestamp) -> pd.DataFrame:
    """Every authority for the quarter, unfiltered: fair shares compare whole regions."""
    return shell.lad_table(key, pd.Timestamp(period).date().isoformat(), ())


def show_table(frame: pd.DataFrame, key: str, **kwargs) -> None:
    """st.dataframe with thousands separators and ratios to two places."""
    config = {col: st.column_config.NumberColumn(format=fmt)
              for col, fmt in view.number_formats(frame).items()}
    cells.dataframe(st, frame, hide_index=True, column_config=config, key=key, **kwargs)


def seed(name: str, value: object) -> str:
    """Widget key seeded from the view (``ui.shell.bind``): a new link re-seeds it."""
    return shell.bind(name, value)


@st.cache_data(show_spinner=False, max_entries=64)
def place_based(key: str, request: place_share.Request) -> ps.PressureShare:
    """The place-based fair share: the one call the command line and the exports make too."""
    return place_share.compute(shell.get_model(), request)


@st.cache_data(show_spinner=False, max_entries=32)
def one_at_a_time(key: str, request: place_share.Request) -> pd.DataFrame:
    return place_share.sensitivity(shell.get_model(), request)


@st.cache_data(show_spinner=False, max_entries=32)
def weight_sweep(key: str, request: place_share.Request, indicator: str) -> pd.DataFrame:
    return place_share.sweep(shell.get_model(), request, indicator)


@st.cache_data(show_spinner=False, max_entries=16)
def loaded_indicators(key: str, codes: tuple[str, ...], own: str | None) -> tuple[list, dict[str, str]]:
    return place_share.indicators(shell.get_model(), list(codes), own)


def preset(weights: dict[str, float], keys: list[str]) -> None:
    """Callback: set every slider to a preset (the link then carries it)."""
    shell.set_view(weights=pview.weights_for_state({k: weights.get(k, 0.0) for k in keys}))
    for k in keys:
        st.session_state.pop(f"w_fsw_{k}", None)


model = shell.require_model()
key = shell.model_key(model)
state = shell.load_state(model)
shell.chrome(state)
shell.show_link_problems()
state = shell.presentation_toggle(state)

st.title("Fair share and the 1:200 cluster limit")
st.caption(
    "Is an area above or below its fair share, is the load shared fairly within its region "
    "and between regions, and where is there headroom under the 2019 memorandum's limit of "
    "one supported asylum seeker in dispersed accommodation per 200 residents?")

# Quarters whose file gives people in dispersed accommodation (headroom needs them): not the totals-only ones.
periods = shell.periods_publishing(model, "dispersed")
population_date = view.population_as_at(model.reg02)

# ------------------------------------------------------------------- controls

c_area, c_period, c_measure = st.columns([3, 2, 3])
choices = view.region_choices(model.lads)
linked = state.regions[0] if len(state.regions) == 1 and state.regions[0] in choices else view.UK_CHOICE
area_choice = c_area.selectbox("Region or nation", choices, key=seed("fs_area", linked),
                               help="Authorities are compared with others in their region; "
                                    "'UK: compare regions' compares every authority with the UK.")
wanted = pd.Timestamp(state.period)
period = c_period.selectbox("Quarter", periods, key=seed("fs_quarter", wanted if wanted in periods else periods[-1]),
                            format_func=text.quarter_label)
measure = c_measure.radio("Measure", list(view.MEASURES), format_func=view.MEASURES.get,
                          horizontal=True, key=seed("fs_measure", state.share))
state = replace(state, regions=() if area_choice == view.UK_CHOICE else (area_choice,),
                period=pd.Timestamp(period).date().isoformat(), share=measure)
period = pd.Timestamp(period)
group = view.comparison_group(area_choice)
place = view.area_name(area_choice)

table = get_table(period)
area = view.area_rows(table, area_choice)
summary = view.authority_summary(area, group=group, measure=measure, tolerance=TOLERANCE)
# Each section names its sources briefly; the files and releases are said once, at the page's foot.
caption = view.figure_caption(text.short_source_line(model.provenance, SOURCES), period, view.ROUNDING_NOTE)

if measure == "supported" and period < pd.Timestamp("2022-12-31"):
    st.warning("Before December 2022 people on Section 98 support were not assigned to any "
               "authority, so 'people supported' here leaves them out. See Method and limits.")

# ------------------------------------------------------ above or below fair share

st.header(f"Above or below fair share: {place}, {text.quarter_label(period)}")
st.markdown(view.status_sentence(summary, place, measure))
counts = view.status_counts(summary)
m1, m2, m3, m4 = st.columns(4)
m1.metric("Above fair share", counts[fs.ABOVE])
m2.metric("About at fair share", counts[fs.AT])
m3.metric("Below fair share", counts[fs.BELOW])
m4.metric("No population estimate", counts[fs.NO_POPULATION])

map_col, legend_col = st.columns([3, 1])
with map_col:
    layer = shell.web(key, "lad")
    chosen = layer[layer["lad_code"].isin(summary["lad_code"])]
    features = view.map_features(chosen, summary, measure, tolerance=TOLERANCE)
    frame = fit_view(chosen.total_bounds, width_px=700, height_px=480)
    st.pydeck_chart(view.build_deck(features, frame, measure), height=480)
    st.caption(view.figure_caption(text.short_source_line(model.provenance, (*SOURCES, "lad_boundaries")),
                                   period, "Colour shows people against fair share."))
with legend_col:
    st.markdown("**Against fair share**")
    st.markdown(view.legend_html(TOLERANCE), unsafe_allow_html=True)
    st.caption(view.excluded_sentence(summary, measure))

chart_col, table_col = st.columns([2, 3])
with chart_col:
    st.subheader("Difference from fair share (people)")
    chart, note = view.ranked_difference_chart(summary, measure, tolerance=TOLERANCE)
    st.altair_chart(chart, width="stretch")
    st.caption(f"{caption} {note}".strip())
with table_col:
    st.subheader("Fair-share table")
    show_table(view.fair_share_display(summary, measure), "fs_table", height=520)
    st.caption(caption + " Export it with the Export panel under the allocation.")

# ------------------------------------------------------ headroom and taking part

st.header("Headroom under 1:200 and who is taking part")
totals = view.headroom_totals(summary)
taking, total, not_taking = view.participation_display(summary)
h1, h2, h3 = st.columns(3)
h1.metric("Room left under 1:200 (people)", f"{totals['room']:,.0f}",
          help="Sum of residents ÷ 200 minus people in dispersed accommodation, over authorities "
               "still under the limit.")
h2.metric("Authorities over 1:200", totals["over_count"],
          help=f"Together {totals['over_by']:,.0f} people over their limits.")
h3.metric("Taking part in dispersal", f"{taking} of {total}")
room_col, part_col = st.columns([3, 2])
with room_col:
    st.subheader("Headroom to 1:200")
    show_table(view.headroom_display(summary), "fs_headroom", height=420)
    st.caption(caption + " Headroom = residents ÷ 200 − people in dispersed accommodation; "
               "negative when over the limit.")
with part_col:
    st.subheader("Not taking part")
    if not_taking.empty:
        st.markdown(f"Every authority in {place} has people in dispersed accommodation.")
    else:
        show_table(not_taking, "fs_not_taking", height=420)
    st.caption(caption + " Not taking part = nobody in dispersed accommodation.")

st.subheader("Movement over the last 4 and 8 quarters")
earlier = view.movement_periods(periods, period)
tables = {period: table}
tables.update({p: get_table(p) for p in earlier.values() if p is not None})
moved = view.movement_display(view.movement_history(tables), period, summary["lad_code"],
                              group=group, measure=measure)
lines = []
for q, p in earlier.items():
    if p is None:
        lines.append(view.movement_gap(model, period, q))
    else:
        ch = view.participation_changes(moved, q)
        lines.append(f"Since {text.quarter_label(p)} ({q} quarters): {ch['started']} started and "
                     f"{ch['stopped']} stopped taking part.")
st.markdown("  \n".join(lines))
show_table(moved, "fs_movement", height=360)
st.caption(caption + " Times fair share is recomputed within each quarter, then differenced; "
           "largest 4-quarter change first.")

# --------------------------------------------------------------- between regions

st.header("Between regions: each region against its fair share of the UK")
regions = fs.region_shares(table, measure=measure, tolerance=TOLERANCE)
reg_chart_col, reg_table_col = st.columns([2, 3])
with reg_chart_col:
    st.altair_chart(view.region_chart(regions, measure, highlight=area_choice, tolerance=TOLERANCE),
                    width="stretch")
    st.caption(caption + (f" {area_choice} outlined." if area_choice != view.UK_CHOICE else ""))
with reg_table_col:
    show_table(view.region_display(regions, measure), "fs_regions", height=460)
    st.caption(caption)

# --------------------------------------------------------------------- allocation

st.header(f"Allocation: where could more places go in {place}?")
st.info(view.PLANNING_AID + " It shows what a population-proportional rule capped at the "
        "cluster limit would do with the places you type, from where people are now.")
a1, a2, a3 = st.columns([2, 2, 2])
additional = int(a1.number_input(f"Additional bed spaces for {place}", min_value=0,
                                 max_value=1_000_000, value=500, step=50, key="fs_additional"))
limit = int(a2.number_input("Limit: one person per … residents", min_value=1, max_value=100_000,
                            value=fs.DEFAULT_LIMIT_PER, step=10, key="fs_limit"))
a2.caption(f"1 per {limit:,} residents")
hotels = a3.checkbox("Count people in hotels against the limit", value=False, key="fs_hotels",
                     help="The memorandum's limit is about dispersed accommodation; tick to count "
                          "contingency hotels too.")

result = fs.allocate(area, additional, limit_per=limit, include_hotels=hotels)
sentence = view.allocation_sentence(result, additional, place)
p1, p2, p3 = st.columns(3)
p1.metric("Asked for", f"{additional:,}")
p2.metric("Placed", f"{result.placed:,}")
p3.metric("Not placed", f"{result.unplaced:,}")
if result.unplaced > 0:
    st.error(sentence)
else:
    st.success(sentence)
st.markdown(f"**The rule.** {result.rule}")

alloc_table = view.allocation_display(result, area)
alloc_col, alloc_chart_col = st.columns([3, 2])
with alloc_col:
    show_table(alloc_table, "fs_allocation", height=420)
    st.caption(caption)
with alloc_chart_col:
    alloc_chart = view.allocation_chart(result)
    if alloc_chart is not None:
        st.altair_chart(alloc_chart, width="stretch")
        st.caption(caption + " Grey: counted now; blue: new places (authorities given most, "
                   "up to 25).")

# ------------------------------------------------------------ place-based fair share

st.header(f"Place-based fair share: {place}, {text.quarter_label(period)}")
st.caption("The 2019 memorandum asks for dispersal that takes account of local pressures and other Home Office "
           "programmes. Here each council's population share is adjusted by the pressures you weigh: more pressure, "
           "smaller share; nobody's fair share goes above 1:200. All weights 0 gives the population shares above.")
scheme_quarters = ps.scheme_periods(place_share.scheme_table(model))
schemes_here = period in set(scheme_quarters)
s_col, w_col = st.columns([2, 3])
with s_col:
    chosen_schemes = st.multiselect(
        "Burden shared", list(pview.SCHEME_LABELS), format_func=pview.SCHEME_LABELS.get,
        key=seed("fs_schemes", [s for s in state.schemes if s == "asylum" or schemes_here]),
        disabled=not schemes_here and state.schemes == ("asylum",),
        help="Supported asylum is people at the date; Homes for Ukraine is cumulative arrivals; the Afghan "
             "programme is people at the date. They measure different things.")
    if not schemes_here:
        st.caption("Homes for Ukraine and the Afghan programme come from Reg_02, loaded for "
                   + (", ".join(text.quarter_label(q) for q in scheme_quarters) or "no quarter") + ".")
    places_asked = int(st.number_input("Extra places to allocate on these shares", min_value=0, max_value=1_000_000,
                                       step=50, key=seed("fs_places", state.places)))
    uploads = st.file_uploader("Your own indicators: a CSV keyed by lad_code and its JSON sidecar",
                               type=["csv", "json"], accept_multiple_files=True, key="fs_own_indicators",
                               help="The format is in docs/fair-share.md: each column's meaning, period, source "
                                    "and whether higher means more pressure.")
own_file = None
if uploads:
    try:
        own_file = str(pview.save_upload([(u.name, u.getvalue()) for u in uploads]))
        loaded_indicators(key, (), own_file)  # refuse a bad file here, with its row and column named
    except GeoError as exc:
        st.error(f"Your indicators were not used: {exc}")
        own_file = None
codes = tuple(area["lad_code"])
found, absent = loaded_indicators(key, codes, own_file)
keys = [i.key for i in found]
with w_col:
    start = pview.weights_from_state(state.weights, keys)
    b1, b2 = st.columns(2)
    b1.button("Preset: population only", on_click=preset, args=({}, keys), key="fs_preset_pop")
    b2.button("Preset: memorandum pressures", on_click=preset, args=(ps.MEMORANDUM_WEIGHTS, keys),
              key="fs_preset_memo", help="The documented defaults: "
              + ", ".join(f"{k} {w:g}" for k, w in ps.MEMORANDUM_WEIGHTS.items()) + "; the others 0.")
    weights = {}
    for ind in found:
        weights[ind.key] = st.slider(
            ind.label, 0.0, pview.SLIDER_MAX, step=pview.SLIDER_STEP, key=seed(f"fsw_{ind.key}", start[ind.key]),
            help=f"{ind.meaning}. {ind.period}. Source: {ind.source}. Default "
                 f"{ps.MEMORANDUM_WEIGHTS.get(ind.key, 0.0):g}. A weight w multiplies the share of a council one "
                 f"standard deviation above the mean by exp(−w).")
    for why in absent.values():
        st.caption(f"Not available: {why}.")
state = replace(state, weights=pview.weights_for_state(weights), schemes=tuple(chosen_schemes) or ("asylum",),
                places=places_asked)
request = place_share.Request(area=place_share.UK if area_choice == view.UK_CHOICE else area_choice,
                              period=period, measure=measure, schemes=state.schemes,
                              weights=tuple(sorted(weights.items())), indicators_file=own_file)
try:
    weighted = place_based(key, request)
except GeoError as exc:
    st.error(str(exc))
    weighted = None
if weighted is not None:
    with st.expander("The rule, in words and as a formula", expanded=False):
        st.markdown(weighted.rule.words)
        st.code(weighted.rule.formula, language=None)
        show_table(pview.weights_display(weighted), "fs_weights")
    st.markdown(pview.change_sentence(weighted, place) + " " + pview.missing_sentence(weighted))
    pmap_col, plegend_col = st.columns([3, 1])
    with pmap_col:
        features = view.map_features(chosen, pview.summary_frame(weighted, TOLERANCE), "burden", tolerance=TOLERANCE)
        st.pydeck_chart(view.build_deck(features, frame, measure, label=pview.burden_label(weighted)), height=480)
        st.caption(view.figure_caption(text.short_source_line(model.provenance, (*SOURCES, "lad_boundaries")),
                                       period, "Colour shows the burden against the pressure-weighted fair share. "
                                       + pview.sources_sentence(weighted)))
    with plegend_col:
        st.markdown("**Against the pressure-weighted fair share**")
        st.markdown(view.legend_html(TOLERANCE), unsafe_allow_html=True)
    st.subheader("What if: councils whose status changes from population only")
    show_table(pview.changes_display(weighted), "fs_changes")
    st.caption("Each weight alone (the others at 0): how many councils it moves from their population-only status.")
    show_table(pview.sensitivity_display(one_at_a_time(key, request)), "fs_sensitivity")
    labels = {i.key: i.label for i in weighted.indicators}
    varied = st.selectbox("Step one weight from 0 to 1 (the others as set above)", list(labels),
                          format_func=labels.get, key="fs_sweep")
    stepped = weight_sweep(key, request, varied)
    if stepped.empty:
        st.caption(f"No council's status changes as {labels[varied].lower()} goes from 0 to 1.")
    else:
        show_table(pview.sweep_display(stepped), "fs_sweep_table")
        st.caption("Status and rank (by times fair share, 1 = furthest above) at each weight, for the councils "
                   "whose status changes somewhere along the way.")
    st.subheader("Each council's factors and fair share")
    show_table(pview.factors_display(weighted), "fs_factors", height=460)
    st.caption(f"{caption} Total shared: {weighted.total:,.0f}"
               + (f"; {weighted.unplaced:,.0f} cannot fit under the limit." if weighted.unplaced else ".")
               + " " + pview.sources_sentence(weighted))
    st.subheader(f"Allocating {places_asked:,} extra places on the pressure-weighted shares")
    weighted_alloc = ps.allocate(weighted, places_asked)
    st.markdown(view.allocation_sentence(weighted_alloc, places_asked, place) + f" **The rule.** {weighted_alloc.rule}")
    weighted_alloc_table = view.allocation_display(weighted_alloc, area)
    show_table(weighted_alloc_table, "fs_weighted_allocation", height=360)

# --------------------------------------------------------------------- export

if not state.present:
    fs_area = "uk" if area_choice == view.UK_CHOICE else ER.slug(area_choice)
    fair_frame = view.fair_share_display(summary, measure).rename(columns={"Code": "lad_code"})
    alloc_frame = alloc_table.rename(columns={"Code": "lad_code"})
    exports.export_panel(
        model, key="fair_share",
        tables=[exports.ExportTable("fair-share", f"Fair-share table ({len(fair_frame):,})", fair_frame, "lad",
                                    period=period, area=fs_area, columns=tuple(fair_frame.columns),
                                    title=f"Fair share: {place}, {text.quarter_label(period)}, "
                                          f"{view.MEASURES[measure].lower()}"),
                exports.ExportTable(f"allocation-{additional}", f"Allocation of {additional:,} places "
                                    f"({len(alloc_frame):,})", alloc_frame, "lad", period=period, area=fs_area,
                                    columns=tuple(alloc_frame.columns),
                                    title=f"Allocation of {additional:,} places in {place} (one per {limit:,} "
                                          f"residents{', hotels counted' if hotels else ''}): "
                                          f"{view.PLANNING_AID}")]
        + ([] if weighted is None else [
            exports.ExportTable("fair-share-place-based", f"Place-based fair share ({len(weighted.table):,})",
                                pview.export_frame(weighted, period), "lad", period=period, area=fs_area,
                                columns=tuple(pview.export_frame(weighted, period).columns),
                                title=f"Place-based fair share: {place}, {text.quarter_label(period)}",
                                notes=tuple(pview.method_lines(weighted)))]),
        briefing=ER.BriefingRequest(period=period, made_on=exports.today(),
                                    region=None if area_choice == view.UK_CHOICE else area_choice,
                                    place_weights=tuple(sorted(weights.items())), place_schemes=state.schemes),
        label="Export: fair-share and allocation tables, briefing pack")

# ------------------------------------------------------------------ method

st.header("Method and limits")
st.markdown(view.method_markdown(
    measure=measure, tolerance=TOLERANCE, limit_per=fs.DEFAULT_LIMIT_PER, period=period,
    population_date=population_date,
    population_file=model.provenance["reg02"].file_name if "reg02" in model.provenance else None,
    boundaries=model.provenance["lad_boundaries"].title if "lad_boundaries" in model.provenance
    else None,
    excluded=view.excluded_sentence(summary, measure)))
shell.footer(model, (*SOURCES, "lad_boundaries", *PRESSURE_SOURCES), period)
shell.save_state(state, PAGE)
