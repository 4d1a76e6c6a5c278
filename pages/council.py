"""Council view: one authority's figures, trend against the 1:200 limit, rank, share and ward map."""
from __future__ import annotations

from dataclasses import replace
from functools import partial
from html import escape

import altair as alt
import pandas as pd
import streamlit as st

from geo import measures, rules, text
from geo.measures import rank
from geo.population import WARD_COVERAGE, one_population_note
from geo.render.classify import classify
from geo.render.legend import choropleth_legend
from ui import export_panel as ex
from ui import exports as ER
from ui import layers as L
from ui import screen, shell, tables
from ui import state as views
from ui.deck_component import deck_map
from ui.schemes import add_schemes
from ui.schemes import panel as schemes_panel
from ui.status import status_box

PAGE = "council"
model = shell.require_model()
key = shell.model_key(model)
state = shell.load_state(model)
shell.chrome(state)
shell.show_link_problems()

state = shell.filter_controls(model, state, geographic=False)
state = shell.presentation_toggle(state)

lads = model.lads.sort_values("lad_name")
names = dict(zip(lads["lad_code"], lads["lad_name"] + " (" + lads["region"].fillna("") + ")", strict=False))
if state.lad is not None and state.lad not in names:
    st.warning(f"No council has the code {state.lad} in the loaded boundaries "
               f"({model.provenance['lad_boundaries'].file_name}); choose one below.")
    state = replace(state, lad=None)

title_box = st.container()  # title, council and quarter on one row: room for the ward map on a laptop
TITLE_SHARE = (2.1, 1.4, 1.5)
tcol, scol, qcol = title_box.columns(TITLE_SHARE, vertical_alignment="bottom")
lad_key = shell.bind("lad", state.lad)
lad = scol.selectbox("Council", list(names), format_func=names.get, key=lad_key,
                     placeholder="Type a council name...", index=None)
state = replace(state, lad=lad)
state = shell.period_control(model, state, where=qcol)
period = pd.Timestamp(state.period)

if lad is None:
    tcol.markdown("# Council view")
    # a line under the title, as with a council chosen: the row then stands tall enough that the
    # labels of the picker and the slider beside it clear Streamlit's header
    tcol.markdown(f"<p class='aam-lede'>One council's figures, trend and wards at "
                  f"<b>{text.quarter_label(period)}</b></p>", unsafe_allow_html=True)
    st.info("Choose a council with the box above to see its figures, its trend against the 1:200 limit and "
            "its wards, or tick one of the councils nearest the limit below.")
    nearest = shell.lad_table(key, state.period, shell.filters_key(state.filters(geographic=False)))
    nearest = nearest.dropna(subset=["limit_used"]).sort_values("limit_used", ascending=False).head(10)
    st.session_state["_nearest_codes"] = nearest["lad_code"].tolist()
    st.markdown(f"### Nearest the 1:200 limit at {text.quarter_label(period)}")
    tables.dataframe(st,
        nearest[["lad_name", "region", "dispersed", "limit_used", "headroom", "lad_code"]], hide_index=True,
        selection_mode="single-row", key="nearest_table",
        on_select=partial(shell.pick_row, "nearest_table", "_nearest_codes", "lad"),
        column_config={"lad_name": st.column_config.TextColumn("Council", pinned=True), "region": "Region",
                       "dispersed": st.column_config.NumberColumn("In dispersed", format="localized"),
                       "limit_used": st.column_config.NumberColumn("Against 1:200 (1.0 = limit)", format="%.2f"),
                       "headroom": st.column_config.NumberColumn(
                           "Room under 1:200", format="%d",  # short: the table fits 1280 px without scrolling
                           help="People who could still be placed in dispersed accommodation within the "
                                "1:200 limit (negative: over it)"),
                       "lad_code": "Code"})
    shell.footer(model, ("asy_d11", "reg02"), period)
    shell.save_state(state, PAGE)
    st.stop()

filters = state.filters(geographic=False)
fkey = shell.filters_key(filters)
table = shell.lad_table(key, state.period, fkey)
row = table.set_index("lad_code").loc[lad]
region = row["region"]
pop = row["population"]
prev_q = text.quarter_short(period - pd.offsets.QuarterEnd(1))  # inside a metric card: short, never broken
prev_y = text.quarter_label(period - pd.offsets.QuarterEnd(4))

tcol.markdown(f"# {row['lad_name']}")
place = str(region) if str(region) == str(row["nation"]) else f"{region}, {row['nation']}"
lede = f"{place} · code {lad} · figures at "
tcol.markdown(f"<p class='aam-lede'>{escape(lede)}<b>{text.quarter_label(period)}</b></p>", unsafe_allow_html=True)
window = screen.screen()
compact = screen.short(window)  # a laptop: no sparklines, so the ward map fits under the cards
if compact:  # and the year's change in a few words under each card ('+235 on Dec 2024')
    prev_y = text.quarter_short(period - pd.offsets.QuarterEnd(4))
title_h = screen.title_px(row["lad_name"], lede + text.quarter_label(period),
                          screen.content_width(window, state.present) * TITLE_SHARE[0] / sum(TITLE_SHARE) - 16)

# --- headline figures -----------------------------------------------------------------------------
trend = shell.lad_trend(key, lad, fkey)
upto = trend[trend["period"] <= period]


def spark(values: pd.Series) -> list | None:
    """The last three years as a card's sparkline; none on a short screen (the trend charts below show them)."""
    return None if compact else values.tolist()[-12:]


cols = st.columns(5)


def _count(column: str) -> str:
    """Whole people, or why there is no figure ('not published in this release', 'not in this file')."""
    value = row[column]
    return text.people(value) if pd.notna(value) else measures.not_shown(model, period, column).capitalize()


# Reg_02 gives hotels and other contingency sites together: show that figure, labelled, not a 0 for hotels.
hotel_col = "hotel" if pd.notna(row["hotel"]) or pd.isna(row["contingency"]) else "contingency"
hotel_label = "In hotels" if hotel_col == "hotel" else "In contingency (hotels and other)"
hotels_note = measures.hotels_alone_note(model, period) if hotel_col == "contingency" else None
mine = table[table["lad_code"] == lad]


def _why(column: str) -> dict:
    """The council's own changes by the one change rule, so a missing one says why ('not comparable: ...')."""
    area = measures.Filters(regions=(row["region"],))  # one council: people with no council are not its own
    return {span: measures.table_change(model, mine, period, column, span, area) for span in ("q", "y")}


shell.metric(cols[0], "People supported", _count("supported"), row["supported_change_q"],
          row["supported_change_y"], previous_q=prev_q, previous_y=prev_y, chart=spark(upto["supported"]),
          brief=compact, **_why("supported"))
shell.metric(cols[1], hotel_label, _count(hotel_col), row[f"{hotel_col}_change_q"], row[f"{hotel_col}_change_y"],
          previous_q=prev_q, previous_y=prev_y, chart=spark(upto[hotel_col]),
          help=f"{hotels_note} This card shows both together." if hotels_note else None,
          note=measures.HOTELS_NOT_SPLIT if hotels_note else None, brief=compact, **_why(hotel_col))
shell.metric(cols[2], "In dispersed", _count("dispersed"), row["dispersed_change_q"],
          row["dispersed_change_y"], previous_q=prev_q, previous_y=prev_y, chart=spark(upto["dispersed"]),
          brief=compact, **_why("dispersed"))
for note in measures.filter_notes(model, period, filters):
    st.info(note)
if filters.support_types:
    st.caption(measures.STATUS_NOTE)
if pd.notna(pop):
    limit = rules.capacity(pop)
    change_q = rules.limit_used(row["dispersed_change_q"], pop)
    change_y = rules.limit_used(row["dispersed_change_y"], pop)
    shell.metric(cols[3], "Against 1:200 limit",
              text.number(row["limit_used"], 2, missing=measures.not_shown(model, period, "dispersed").capitalize()),
              change_q, change_y, previous_q=prev_q,
              previous_y=prev_y, inverse=True, chart=spark(upto["limit_used"].round(3)), digits=2, brief=compact,
              help="People in dispersed accommodation divided by (residents ÷ 200): 1.00 is exactly at the limit.")
    cols[3].caption("1.00 = at the limit.")
    cols[4].metric("Residents", f"{int(pop):,}", border=True,
                   help=model.source_line("reg02"))
    cols[4].caption(f"Limit: {int(limit):,} people in dispersed accommodation")
else:
    cols[3].metric("Against 1:200 limit", "No estimate", border=True)
    cols[3].caption("There is no population figure for this council, so the 1:200 check cannot be made.")
    cols[4].metric("Residents", "No estimate", border=True)

# --- one laptop screen: the 1:200 status and the map's key beside the ward map ---------------------
status = None  # the 1:200 status box (none without a population figure: the cards say why)
if pd.notna(pop):
    limit = rules.capacity(pop)
    every = row["dispersed_all"]  # the status is judged on every support type, whatever the filter
    if pd.isna(every):
        status = status_box(f"<b>1:200 status not known for {text.quarter_label(period)}.</b> People in "
                            f"dispersed accommodation: {measures.not_shown(model, period, 'dispersed')}.",
                            rules.NO_ESTIMATE)
    elif bool(row["over_threshold"]):
        status = status_box(f"<b>Over the 1:200 limit.</b> {text.people(every)} people in dispersed "
                            f"accommodation against a limit of {text.people(limit)} ({text.people(pop)} "
                            f"residents ÷ {rules.CLUSTER_LIMIT}): {text.people(rules.over_by(every, pop))} "
                            "over.", rules.OVER)
    else:
        status = status_box(f"<b>Within the 1:200 limit.</b> {text.people(every)} people in dispersed "
                            f"accommodation against a limit of {text.people(limit)} ({text.people(pop)} "
                            f"residents ÷ {rules.CLUSTER_LIMIT}): room for "
                            f"{text.people(rules.headroom(every, pop))} more.", rules.WITHIN)
mcol, kcol = st.columns(screen.MAP_COLUMNS, gap="medium")  # the map; the status box and the key beside it
if status:
    kcol.markdown(status, unsafe_allow_html=True)
wards = model.wards[model.wards["lad_code"] == lad] if model.wards is not None else None
lad_sites = measures_by_ward = ward_listing = None
by = "population"
if wards is None or wards.empty:
    mcol.info("No ward boundaries are loaded for this council.")
else:
    sites, site_note = shell.site_records(model)
    lad_sites = sites[sites["lad_code"] == lad] if sites is not None and "lad_code" in sites.columns else None
    ward_frame = pd.DataFrame(wards.drop(columns="geometry"))
    measures_by_ward = None
    if lad_sites is not None and not lad_sites.empty:
        measures_by_ward = shell.ward_site_measures(model, lad_sites, ward_frame)
        from ui.disclosure import session_may_view_sites, ward_values  # [c] without site access (issue 13)

        measures_by_ward = ward_values(measures_by_ward, may_view_sites=session_may_view_sites())
    # Something about asylum first: dispersed people per resident where site records give ward figures.
    # The Home Office publishes by council only, so without them residents (the 1:200 limit's base) it is.
    colour_options = {"population": "Residents"}
    if measures_by_ward is not None:
        colour_options = {"dispersal_ratio": "Dispersed people per resident (site records)", **colour_options}
    by = kcol.radio("Colour wards by", list(colour_options), format_func=colour_options.get,
                    key="ward_colour") if len(colour_options) > 1 else "population"
    if measures_by_ward is not None:
        ward_frame = ward_frame.merge(
            measures_by_ward[["ward_code", "dispersed_people", "dispersal_ratio", "over_threshold", "status"]],
            on="ward_code", how="left")
    values = ward_frame[by]
    classes = classify(values, method=state.classes, k=5, measure=by)
    extra = None
    if measures_by_ward is not None:
        extra = {"l4": [f"Dispersed people (site records): {int(d):,}; {st_}" if pd.notna(d) else ""
                        for d, st_ in zip(ward_frame["dispersed_people"], ward_frame["status"], strict=False)]}
    props = L.ward_properties(ward_frame, classes, value=by, value_label=colour_options[by], extra=extra)
    ward_web = shell.web(key, "ward")
    shown = ward_web[ward_web["lad_code"] == lad]
    lad_geom = model.lads.loc[model.lads["lad_code"] == lad, "geometry"].iloc[0]
    points = L.site_points(lad_sites) if lad_sites is not None else []
    deck_layers = L.ward_layers(shown, props, authority_outline=L.outline_of(lad_geom), sites=points)
    height = screen.council_map_height(window, compact, title_h)  # ends at the window's bottom on a laptop
    view = L.fit_view(shown.total_bounds, height_px=height, width_px=screen.map_width(window, state.present))
    with mcol:
        deck_map(L.make_deck(deck_layers, view, L.WARD_TOOLTIP), height=height, key="council_map",
                 public_geometry=True, fit=L.fit_args(shown.total_bounds),
                 height_css=screen.fill_css(screen.council_map_above(compact, title_h)),
                 alt=f"Map of the wards of {row['lad_name']} coloured by {colour_options[by].lower()}")
    no_est = int(values.isna().sum())
    over_wards = None
    if measures_by_ward is not None:
        over_wards = int(ward_frame["over_threshold"].astype("boolean").fillna(False).sum())
    kcol.markdown(choropleth_legend(classes, colour_options[by], no_estimate=no_est, over=over_wards,
                                    over_text="Ward over the 1:200 limit (site records)",
                                    unit=f"{len(ward_frame):,} wards"), unsafe_allow_html=True)
    if points:
        kcol.markdown(L.sites_legend(lad_sites), unsafe_allow_html=True)
    shell.site_note(kcol, site_note)
    if no_est:
        kcol.caption(f"{no_est} ward{'s' if no_est != 1 else ''} ha{'ve' if no_est != 1 else 's'} no residents "
                     f"figure and show grey. {WARD_COVERAGE}")
    kcol.caption("Hover over a ward for its figures; tick one in the table of wards below to open it.")

    listing = ward_frame.assign(limit=rules.capacity(ward_frame["population"])).sort_values("ward_name")
    ward_cols = ["ward_name", "population", "limit", "ward_code"]
    config = {"ward_name": st.column_config.TextColumn("Ward", pinned=True),
              "population": st.column_config.NumberColumn("Residents", format="localized"),
              "limit": st.column_config.NumberColumn("1:200 limit (people)", format="localized"),
              "ward_code": "Code"}
    if measures_by_ward is not None:
        ward_cols[3:3] = ["dispersed_people", "status"]
        config["dispersed_people"] = st.column_config.NumberColumn("Dispersed (site records)", format="localized")
        config["status"] = "1:200 status"
    ward_listing = listing[ward_cols]
st.caption(f"{model.short_source(model.period_source(period) or 'asy_d11')}, as at {text.quarter_label(period)}. "
           f"Residents: {model.population_label()}, applied to every quarter. {text.PEOPLE_ROUNDING} "
           "Files and releases at the foot of the page.")

schemes_panel(st, model, period, council=lad)

# --- rank and share -------------------------------------------------------------------------------
left, right = st.columns([1.3, 1])
with left:
    st.markdown("### How it compares")
    rows = []
    in_region = table[table["region"] == region]
    # Hotels where the quarter's file gives them, else Reg_02's contingency (hotels and other), labelled.
    contingency_only = pd.isna(row["hotel"]) and "contingency" in table.columns and pd.notna(row["contingency"])
    housing = (("contingency", "In contingency (hotels and other)") if contingency_only
               else ("hotel", "In contingency hotels"))
    for measure, label in (("per_1000", "People supported per 1,000 residents"), ("supported", "People supported"),
                           housing, ("dispersed", "In dispersed accommodation"),
                           ("limit_used", "Against the 1:200 limit")):
        value = row[measure]
        if pd.isna(value):
            why = "not published in this release" if table[measure].isna().all() else text.NO_ESTIMATE
            # an em dash: a lone hyphen in a table cell is read as a Markdown list bullet
            rows.append({"Measure": label, "Value": why, f"Rank in {region}": "—", "Rank in UK": "—"})
            continue
        ranked = table.dropna(subset=[measure])
        rows.append({"Measure": label, "Value": L.measure_text(measure, value),
                     f"Rank in {region}": text.rank_text(*rank(ranked, lad, measure, within="region")),
                     "Rank in UK": text.rank_text(*rank(ranked, lad, measure))})
    st.table(pd.DataFrame(rows), hide_index=True)  # wraps at any width: no cut-off "Rank in UK" column
    st.caption("Rank 1st = highest; '=' marks a place shared with another council. "
               "Councils with no population figure are left out of per-resident ranks.")
with right:
    st.markdown(f"### Share of {region}")
    compared = in_region[in_region["supported"].notna()]  # the councils the quarter's file gives, both shares
    reg_pop = compared["population"].sum(min_count=1)
    share_people = row["share_of_region"]
    share_res = pop / reg_pop if pd.notna(pop) and pd.notna(reg_pop) and reg_pop > 0 else None
    what = ["Supported asylum seekers", "Residents"]
    shares = pd.DataFrame({"what": what, "share": [share_people, share_res]})  # a gap is no bar, never 0
    bars = alt.Chart(shares).mark_bar(size=24).encode(
        y=alt.Y("what:N", title=None, sort=what, axis=alt.Axis(labelFontSize=13, labelLimit=220)),
        x=alt.X("share:Q", title=f"Share of {region}", axis=alt.Axis(format="%")),
        color=alt.Color("what:N", legend=None, scale=alt.Scale(domain=what, range=["#1d70b8", "#b1b4b6"])),
    )
    share_labels = bars.mark_text(align="left", dx=4, fontSize=13).encode(
        text=alt.Text("share:Q", format=".1%"), color=alt.value("#0b0c0c"))
    st.altair_chart((bars + share_labels).properties(height=120), width="stretch")
    st.markdown(measures.share_sentence(model, table, lad))

# --- trend ----------------------------------------------------------------------------------------
# A quarter whose file does not publish a measure is a null in the chart's data, and Vega-Lite breaks
# the line there, rather than drawing a straight line across quarters nobody published (issue 27).
BREAK_AT_GAPS = "break-paths-show-domains"
st.markdown("### Over time")
# Every quarter end in the span: one no loaded file publishes for this council is a gap (nulls), not joined over.
known = pd.to_datetime(trend["period"])
quarters = pd.date_range(known.min(), known.max(), freq=pd.offsets.QuarterEnd()) if len(known) else known
series = trend.set_index("period").reindex(quarters).rename_axis("period").reset_index()
series["quarter"] = series["period"]
long = series.melt(id_vars=["quarter"], value_vars=["supported", "hotel", "dispersed"], var_name="series",
                   value_name="people")
NAMES = {"supported": "All supported", "hotel": "Hotels", "dispersed": "Dispersed"}
long["series"] = long["series"].map(NAMES)
now = pd.DataFrame({"quarter": [period], "label": [text.quarter_label(period)]})
lines = alt.Chart(long).mark_line(strokeWidth=2.5, point=alt.OverlayMarkDef(size=14),
                                  invalid=BREAK_AT_GAPS).encode(
    x=alt.X("quarter:T", title=None),
    y=alt.Y("people:Q", title="People"),
    color=alt.Color("series:N", title=None, scale=alt.Scale(domain=list(NAMES.values()),
                                                             range=["#0b0c0c", "#d4351c", "#1d70b8"]),
                    legend=alt.Legend(orient="top", symbolStrokeWidth=3, labelFontSize=12)),
    strokeDash=alt.StrokeDash("series:N", title=None, scale=alt.Scale(domain=list(NAMES.values()),
                                                                      range=[[1, 0], [6, 3], [2, 2]])),
    tooltip=[alt.Tooltip("quarter:T", format="%b %Y", title="Quarter"), "series:N",
             alt.Tooltip("people:Q", format=",")],
)
marker = alt.Chart(now).mark_rule(color="#505a5f", strokeDash=[3, 3]).encode(x="quarter:T")
c1, c2 = st.columns(2)
c1.markdown("**People by accommodation type**")
c1.altair_chart((lines + marker).properties(height=280), width="stretch")
if pd.notna(pop):
    lim = series[["quarter", "limit_used"]]  # a quarter without dispersal stays, as a null: the line breaks there
    line = alt.Chart(lim).mark_line(color="#1d70b8", strokeWidth=2.5, point=alt.OverlayMarkDef(size=18),
                                    invalid=BREAK_AT_GAPS).encode(
        x=alt.X("quarter:T", title=None),
        y=alt.Y("limit_used:Q", title="Dispersed ÷ (residents ÷ 200)",
                scale=alt.Scale(domainMin=0, domainMax=max(1.2, float(lim["limit_used"].max()) * 1.1))),
        tooltip=[alt.Tooltip("quarter:T", format="%b %Y", title="Quarter"),
                 alt.Tooltip("limit_used:Q", format=".2f", title="Against the limit")],
    )
    rule = alt.Chart(pd.DataFrame({"y": [1.0]})).mark_rule(color="#d4351c", strokeWidth=2, strokeDash=[6, 3]).encode(
        y="y:Q")
    rule_text = alt.Chart(pd.DataFrame({"y": [1.0], "t": ["1:200 limit (1.0)"]})).mark_text(
        align="left", dx=4, dy=-8, color="#d4351c", fontWeight="bold").encode(y="y:Q", text="t:N",
                                                                          x=alt.value(4))
    c2.markdown("**Dispersal against the 1:200 limit**")
    c2.altair_chart((line + rule + rule_text + marker).properties(height=280), width="stretch")
    c2.caption(f"Uses one residents figure for every quarter: the {model.population_label()}.")
else:
    c2.info("No population figure for this council, so its dispersal cannot be set against the 1:200 limit.")
st.caption("Section 98 support has local geography only from December 2022; subsistence-only support had none "
           "from December 2023 to September 2024, so those people are missing from council lines then. "
           "Section 4 support had no local authority before March 2018, so every council steps up then. "
           "Quarters from the totals series give only people supported; Reg_02's quarter gives hotels and other "
           "contingency together. " + one_population_note(model.population_label().split(",")[0]))

# --- wards: the table under the map's fold (tick one to open the ward view) ------------------------
if ward_listing is not None:
    st.markdown("### Wards")
    st.caption("Tick a ward to open the ward view. " + views.NO_ESTIMATE_NOTE)
    pick = tables.dataframe(st, ward_listing, hide_index=True, height=300, key="ward_table",
                        on_select="rerun", selection_mode="single-row", column_config=config)
    picked = pick.selection.rows if pick is not None else []
    if picked:
        shell.save_state(state, PAGE)
        shell.switch_to("ward", replace(state, ward=ward_listing.iloc[picked[0]]["ward_code"]))

# --- export: the council's map, its wards table and its briefing pack ------------------------------
if not state.present:
    from ui import auth

    role = auth.acting_member().role  # the signed-in member's role (geo.access), not a server setting
    ward_map = measures_by_ward is not None and by == "dispersal_ratio"
    snap = ER.map_request(state, made_on=ex.today(), geographic=False, lad_code=lad, lad_name=row["lad_name"],
                          level="ward" if ward_map else "lad", measure="limit_used" if ward_map else None)
    area = ER.area_slug(lad_code=lad, lad_name=row["lad_name"])
    council_row = add_schemes(table[table["lad_code"] == lad], model, period)
    tables = [ex.ExportTable("council", f"{row['lad_name']}: council figures", council_row, "lad",
                             period=state.period, area=area,
                             title=f"Asylum support in {row['lad_name']}, {text.quarter_label(period)}")]
    if ward_listing is not None:
        tables.insert(0, ex.ExportTable("wards", f"Wards of {row['lad_name']} ({len(ward_listing):,})",
                                        ward_listing.assign(lad_code=lad),
                                        "ward", period=state.period if measures_by_ward is None else ex.today(),
                                        area=area, columns=tuple(ward_listing.columns),
                                        site_derived=measures_by_ward is not None,
                                        title=f"Wards of {row['lad_name']}"))
    pack_sites, pack_note = ER.briefing_sites(role, lad_sites if measures_by_ward is not None else None)
    ex.export_panel(
        model, key="council", snapshot=snap, tables=tables, ward_measures=measures_by_ward if ward_map else None,
        snapshot_note=("Wards coloured by dispersal against 1:200 from the site records (small counts "
                       "suppressed)." if ward_map else
                       f"{row['lad_name']} outlined among the councils of {region}."),
        briefing=ER.BriefingRequest(period=state.period, made_on=snap.made_on, lad_code=lad,
                                    lad_name=row["lad_name"], with_sites=pack_sites is not None,
                                    ward_figures=measures_by_ward is not None),
        briefing_sites=pack_sites, briefing_ward_measures=measures_by_ward, briefing_note=pack_note)

shell.footer(model, ("asy_d11", "reg02", "lad_boundaries", "ward_boundaries", "ward_population"), period)
shell.save_state(state, PAGE)
