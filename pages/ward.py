"""Ward view: find any of the UK's wards, see it with its neighbours, its residents, its 1:200 limit,
its council's figures and, when site records are loaded, its own sites and 1:200 status."""
from __future__ import annotations

from dataclasses import replace
from functools import partial
from html import escape

import pandas as pd
import streamlit as st
from shapely.geometry import box

from geo import measures, rules, text
from geo.population import WARD_COVERAGE
from geo.render.classify import classify
from geo.render.legend import choropleth_legend, outline_swatch
from ui import export_panel as ex
from ui import exports as ER
from ui import layers as L
from ui import screen, shell, tables
from ui import state as views
from ui.deck_component import deck_map
from ui.status import status_box
from ui.ward_search import ward_finder

PAGE = "ward"
FINDER_COLS = ["ward_name", "lad_name", "population", "limit", "council_status", "ward_code"]
model = shell.require_model()
key = shell.model_key(model)
state = shell.load_state(model)
shell.chrome(state)
shell.show_link_problems()

if model.wards is None:
    st.error("No ward boundaries are loaded, so the ward view has nothing to show. See the Sources page.")
    st.stop()

state = shell.period_control(model, state, where=st.sidebar, label="Quarter (council figures)")
state = shell.presentation_toggle(state)
period = pd.Timestamp(state.period)
table = shell.lad_table(key, state.period, shell.filters_key(state.filters(geographic=False)))
lad_rows = table.set_index("lad_code")
wards = model.wards
ward_frame = pd.DataFrame(wards.drop(columns="geometry"))
sites, site_note = shell.site_records(model)
site_measures = shell.ward_site_measures(model, sites, ward_frame) if sites is not None else None
if site_measures is not None:  # members without site access see the exports' [c] cells (issue 13)
    from ui.disclosure import session_may_view_sites, ward_figures

    site_measures = ward_figures(site_measures, may_view_sites=session_may_view_sites())

title_box = st.container()  # the ward's name once the finder has said which ward
labels = shell.ward_options(key)
if state.ward is not None and state.ward not in labels:
    st.warning(f"No ward has the code {state.ward} in the loaded boundaries "
               f"({model.provenance['ward_boundaries'].file_name}).")
    state = replace(state, ward=None)
ward = ward_finder(labels, state.ward)  # sends only the wards that match what is typed
state = replace(state, ward=ward)

# --- finder ---------------------------------------------------------------------------------------
with st.expander("Find wards by council, 1:200 status or residents", expanded=ward is None):
    f1, f2, f3, f4 = st.columns([2, 2, 1, 1])
    by_name = model.lads.sort_values("lad_name")
    lad_names = dict(zip(by_name["lad_code"], by_name["lad_name"], strict=True))
    lad_key = shell.bind("lad", state.lad if state.lad in lad_names else None)
    lad = f1.selectbox("Council", list(lad_names), format_func=lad_names.get, index=None, key=lad_key,
                       placeholder="All councils")
    status_label = "Ward 1:200 status (site records)" if site_measures is not None else "Council's 1:200 status"
    status = f2.multiselect(status_label, list(views.STATUSES), format_func=views.STATUSES.get,
                            key=shell.bind("status", list(state.status)), placeholder="Any status")
    popmin = f3.number_input("Residents from", min_value=0, step=500, value=None,
                             key=shell.bind("popmin", state.popmin), placeholder="any")
    popmax = f4.number_input("Residents to", min_value=0, step=500, value=None,
                             key=shell.bind("popmax", state.popmax), placeholder="any")
    state = replace(state, lad=lad, status=tuple(status), popmin=None if popmin is None else int(popmin),
                    popmax=None if popmax is None else int(popmax))
    found = ward_frame
    if lad:
        found = found[found["lad_code"] == lad]
    if status:
        wanted = {views.STATUSES[s] for s in status}
        if site_measures is not None:
            found = found.merge(site_measures[["ward_code", "status"]], on="ward_code", how="left")
            found = found[found["status"].fillna("no estimate").isin(wanted)]
        else:
            found = found[found["lad_code"].map(lad_rows["threshold_status"]).isin(wanted)]
    pop = pd.to_numeric(found["population"], errors="coerce")
    if popmin is not None:
        found = found[pop >= popmin]
        pop = pop[pop >= popmin]
    if popmax is not None:
        found = found[pd.to_numeric(found["population"], errors="coerce") <= popmax]
    found = found.assign(limit=rules.capacity(found["population"]),
                         council_status=found["lad_code"].map(lad_rows["threshold_status"]))
    found = found.sort_values(["lad_name", "ward_name"])
    listed = bool(lad or status or popmin is not None or popmax is not None)  # no 8,441-row table unasked
    st.caption((f"{len(found):,} ward{'s' if len(found) != 1 else ''} match. Tick one to open it. "
                "Residents with no estimate are left out when a residents range is set. " + views.NO_ESTIMATE_NOTE)
               if listed else f"Choose a council, a status or a residents range to list wards ({len(found):,} in all).")
    st.session_state["_finder_codes"] = found["ward_code"].tolist()
    if listed:
        tables.dataframe(st,
            found[FINDER_COLS],
            hide_index=True, height=260, selection_mode="single-row", key="ward_finder",
            on_select=partial(shell.pick_row, "ward_finder", "_finder_codes", "ward"),
            column_config={"ward_name": st.column_config.TextColumn("Ward", pinned=True), "lad_name": "Council",
                           "population": st.column_config.NumberColumn("Residents", format="localized"),
                           "limit": st.column_config.NumberColumn("1:200 limit (people)", format="localized"),
                           "council_status": "Council 1:200 status", "ward_code": "Code"})

by_site_status = bool(status) and site_measures is not None  # rows chosen by site-derived status


def finder_table() -> ex.ExportTable:
    return ex.ExportTable("wards", f"Wards found ({len(found):,})", found[FINDER_COLS + ["lad_code"]], "ward",
                          period=state.period, area=ER.area_slug(lad_code=lad, lad_name=lad_names.get(lad)),
                          columns=tuple(FINDER_COLS), site_derived=by_site_status,
                          title="Wards found" + (f" in {lad_names[lad]}" if lad else ""))


if ward is None:
    title_box.markdown("# Ward view")
    if not state.present:
        ex.export_panel(model, key="ward", tables=[finder_table()], label="Export: wards found")
    shell.footer(model, ("ward_boundaries", "ward_population", "ward_lad_lookup", "asy_d11"), period)
    shell.save_state(state, PAGE)
    st.stop()

# --- the selected ward ----------------------------------------------------------------------------
me = ward_frame.set_index("ward_code").loc[ward]
pop = me["population"]
lad_code = me["lad_code"]
council = lad_rows.loc[lad_code] if lad_code in lad_rows.index else None
# The ward's name is the page's title (as a council's is its view's); where it is follows on the same
# line, or under it when the name is long: a line of the laptop screen saved for the map.
where = f", {me['region']} · code {ward}"
title_box.markdown(f"<div style='display:flex;flex-wrap:wrap;align-items:baseline;column-gap:1.2rem'>"
                   f"<h1>{escape(str(me['ward_name']))}</h1><p class='aam-lede'>Ward in "
                   f"<b>{escape(str(me['lad_name']))}</b>{escape(where)}</p></div>", unsafe_allow_html=True)
window = screen.screen()
title_h = screen.title_px(str(me["ward_name"]), f"Ward in {me['lad_name']}{where}",
                          screen.content_width(window, state.present), beside=True)

mine = site_measures.set_index("ward_code").loc[ward] if (
    site_measures is not None and ward in set(site_measures["ward_code"])) else None
cols = st.columns(4)
if pd.notna(pop):
    cols[0].metric("Residents", f"{int(pop):,}", border=True, help=model.source_line("ward_population"))
    cols[0].caption("Census 2021 usual residents")
    cols[1].metric("1:200 limit for this ward", f"{int(rules.capacity(pop)):,}", border=True,
                   help="The most people in dispersed accommodation the ward can hold within the 2019 "
                        "memorandum's limit: residents ÷ 200.")
    cols[1].caption("people in dispersed accommodation")
else:
    cols[0].metric("Residents", "No estimate", border=True)
    cols[0].caption(f"No residents figure for this ward, so no 1:200 limit can be set. {WARD_COVERAGE}")
    cols[1].metric("1:200 limit for this ward", "No estimate", border=True)
if mine is not None:
    cols[2].metric("Ward 1:200 status", str(mine["status"]).capitalize(), border=True)
    dispersed_here = mine["dispersed_people"]  # '[c]' when suppressed for this member
    cols[2].caption(f"{dispersed_here if isinstance(dispersed_here, str) else f'{int(dispersed_here):,}'} "
                    "people in dispersed sites (site records)")
else:
    cols[2].metric("Ward 1:200 status", "Not known", border=True,
                   help="The Home Office publishes figures by council, not by ward. A ward's own check needs "
                        "the council's site list.")
    shell.site_note(cols[2], site_note)
if council is not None and pd.notna(council["limit_used"]):
    cols[3].metric("Council vs 1:200 limit", f"{council['limit_used']:.2f}", border=True,
                   help=f"{me['lad_name']} at {text.quarter_label(period)}: 1.00 = at the limit.")
    cols[3].caption(f"{me['lad_name']}: {council['threshold_status']}, {text.quarter_label(period)}")
else:
    why = "No estimate" if council is None or pd.isna(council["population"]) else \
        measures.not_shown(model, period, "dispersed").capitalize()
    cols[3].metric("Council vs 1:200 limit", why, border=True)


def ward_status() -> str:
    """The 1:200 status in words, in the box the overview and council views use (``aam-over``): the
    ward's own from site records, else its council's, since the Home Office publishes by council."""
    if mine is not None:
        status, here = str(mine["status"]), mine["dispersed_people"]  # '[c]' when withheld from this member
        words = {rules.OVER: "Ward over the 1:200 limit", rules.WITHIN: "Ward within the 1:200 limit"}.get(
            status, f"Ward 1:200 status: {status}")
        if isinstance(here, str) or pd.isna(pop):
            why = ("Small counts are withheld ([c]) from members who may not view site records."
                   if isinstance(here, str) else "There is no residents figure, so no limit can be set.")
            return status_box(f"<b>{escape(words)}</b> (site records). {why}", status)
        limit = rules.capacity(pop)
        gap = (f"{text.people(rules.over_by(here, pop))} over" if status == rules.OVER else
               f"room for {text.people(rules.headroom(here, pop))} more")
        return status_box(f"<b>{words}</b> (site records). {text.people(here)} people in dispersed sites "
                          f"against a limit of {text.people(limit)} ({text.people(pop)} residents ÷ "
                          f"{rules.CLUSTER_LIMIT}): {gap}.", status)
    unknown = ("This ward's own status is not known: the Home Office publishes figures by council, and a "
               "ward's check needs the council's site list.")
    if council is None or pd.isna(council["limit_used"]):
        return status_box(f"<b>Ward 1:200 status not known.</b> {unknown}", rules.NO_ESTIMATE)
    status = str(council["threshold_status"])
    return status_box(f"<b>{escape(str(me['lad_name']))}: {escape(status)}</b> at {text.quarter_label(period)} "
                      f"({council['limit_used']:.2f} of the limit). {unknown}", status)


# --- map: the ward and its neighbours -------------------------------------------------------------
near = shell.neighbours(key, ward)
codes = [ward, *near["ward_code"].tolist()]
ward_web = shell.web(key, "ward")
shown = ward_web[ward_web["ward_code"].isin(codes)]
subset = ward_frame.set_index("ward_code").loc[codes].reset_index()
classes = classify(subset["population"], method=state.classes, k=min(5, max(len(subset) - 1, 1)))
extra = {"l4": ["This ward" if c == ward else "Neighbouring ward" for c in subset["ward_code"]]}
props = L.ward_properties(subset, classes, extra=extra)
ward_sites, nearby_sites = [], None
if sites is not None and "ward_code" in sites.columns:
    nearby_sites = sites[sites["ward_code"].isin(codes)]
    ward_sites = L.site_points(nearby_sites)
minx, miny, maxx, maxy = shown.total_bounds
padx = pady = max(maxx - minx, maxy - miny) * 1.2  # past the map's edges at any window shape
around = ward_web.iloc[ward_web.sindex.query(box(minx - padx, miny - pady, maxx + padx, maxy + pady),
                                             predicate="intersects")]
height = screen.ward_map_height(window, title_h)  # ends at the window's bottom on a laptop
map_w = screen.map_width(window, state.present)
view = L.fit_view(shown.total_bounds, height_px=height, padding=0.12, width_px=map_w)
deck_layers = L.ward_layers(shown, props, focus=ward, neighbours=near["ward_code"], label_codes=codes,
                            sites=ward_sites, context=around, view=view, frame=(map_w, height))
mcol, kcol = st.columns(screen.MAP_COLUMNS, gap="medium")  # the map; the 1:200 box and the key beside it
kcol.markdown(ward_status(), unsafe_allow_html=True)
with mcol:
    deck_map(L.make_deck(deck_layers, view, L.WARD_TOOLTIP), height=height, key=shell.map_key("ward_map"),
             fit=L.fit_args(shown.total_bounds, padding=0.12),
             height_css=screen.fill_css(screen.ward_map_above(title_h)),
             on_select=partial(shell.pick_area, "ward_map", "wards", "ward_code", "ward"), public_geometry=True,
             alt=f"Map of {me['ward_name']} and its {len(near)} neighbouring wards; click a ward to open it")
kcol.markdown(choropleth_legend(classes, "Residents", no_estimate=int(subset["population"].isna().sum()),
                                unit=f"{me['ward_name']} and its neighbours",
                                extra=[(outline_swatch("#0b0c0c", 4), f"<b>{escape(str(me['ward_name']))}</b> "
                                        "(black outline)"),
                                       (outline_swatch("#1d70b8", 2), "Neighbouring ward (blue outline)"),
                                       ("<span style='display:inline-block;width:22px;height:16px;margin-right:8px;"
                                        "vertical-align:middle;background:#e8e8e6;border:1px solid #b1b4b6'></span>",
                                        "Other wards (not shaded)")]),
              unsafe_allow_html=True)
kcol.caption("Hover over a ward for its figures; click a neighbouring ward to open it.")
if ward_sites:
    kcol.markdown(L.sites_legend(nearby_sites), unsafe_allow_html=True)

# --- neighbours and council -----------------------------------------------------------------------
left, right = st.columns([1.7, 1])  # room for the neighbours table without sideways scrolling
with left:
    st.markdown(f"### Neighbouring wards ({len(near)})")
    nb = near.assign(limit=rules.capacity(near["population"]),
                     shared_km=near["shared_m"] / 1000)
    st.session_state["_neighbour_codes"] = nb["ward_code"].tolist()
    tables.dataframe(st,
        nb[["ward_name", "lad_name", "population", "limit", "shared_km", "ward_code"]], hide_index=True,
        selection_mode="single-row", key="neighbour_table",
        column_order=("ward_name", "lad_name", "population", "limit", "shared_km"),  # codes: in the export
        on_select=partial(shell.pick_row, "neighbour_table", "_neighbour_codes", "ward"),
        column_config={"ward_name": "Ward", "lad_name": "Council",
                       "population": st.column_config.NumberColumn("Residents", format="localized"),
                       "limit": st.column_config.NumberColumn("1:200 limit", format="localized"),
                       "shared_km": st.column_config.NumberColumn("Shared km", format="%.1f"),
                       "ward_code": "Code"})
    st.caption("Wards whose boundary touches this one (within 25 m, as the published boundaries are "
               "generalised). Tick one to open it. " + views.NO_ESTIMATE_NOTE)
with right:
    st.markdown(f"### {escape(str(me['lad_name']))}")

    def figure(column: str) -> str:
        """Whole people, or why the quarter's file gives none (never 'no estimate' for a count)."""
        return measures.figure_or_gap(model, council, column)
    if council is not None:
        st.markdown(
            f"At {text.quarter_label(period)}: **{figure('supported')}** people supported, "
            f"{measures.contingency_phrase(model, council)} and **{figure('dispersed')}** in dispersed "
            f"accommodation. "
            + (f"Dispersal is **{council['limit_used']:.2f}** of the 1:200 limit ({council['threshold_status']})."
               if pd.notna(council["limit_used"]) else "No population figure, so no 1:200 check."
               if pd.isna(council["population"]) else "No 1:200 check: dispersed accommodation is "
               f"{measures.not_shown(model, period, 'dispersed')}."))
        st.caption(model.short_source(model.period_source(period) or "asy_d11"))
        if st.button(f"Open the council view for {me['lad_name']}", key="open_council"):
            shell.save_state(state, PAGE)
            shell.switch_to("council", replace(state, lad=lad_code))
# Across the page: beside the council's figures its five columns needed sideways scrolling.
if sites is not None and "ward_code" in sites.columns and not sites.attrs.get("aggregate_only"):
    here = sites[sites["ward_code"] == ward]  # members who may view site records (geo.access) only
    st.markdown(f"**Site records in this ward: {len(here):,}**")
    shell.site_note(st, site_note)
    if len(here):
        show = [c for c in ("reference", "site_type", "name", "people", "status") if c in here.columns]
        tables.dataframe(st, here[show], hide_index=True,
                     column_config={"reference": "Reference", "site_type": "Type", "name": "Name",
                                    "people": st.column_config.NumberColumn("People", format="localized"),
                                    "status": "Status"})

# --- export: the wards found, the neighbours table and the council's briefing pack ----------------
if not state.present:
    NEIGHBOUR_COLS = ["ward_name", "lad_name", "population", "limit", "shared_km", "ward_code"]
    neighbours_table = ex.ExportTable(
        "neighbours", f"Neighbouring wards of {me['ward_name']} ({len(nb):,})",
        nb[NEIGHBOUR_COLS + [c for c in ("lad_code",) if c in nb.columns]], "ward", period=state.period,
        area=ER.slug(f"{ward} {me['ward_name']}"), columns=tuple(NEIGHBOUR_COLS),
        title=f"Wards neighbouring {me['ward_name']} ({ward})")
    ex.export_panel(
        model, key="ward", tables=[neighbours_table, finder_table()],
        briefing=ER.BriefingRequest(period=state.period, made_on=ex.today(), lad_code=lad_code,
                                    lad_name=str(me["lad_name"])) if council is not None else None,
        label="Export: wards, briefing pack",
        note="The ward map has no static snapshot (it shows residents of a ward and its neighbours); the "
             "council view exports its map.")

shell.footer(model, ("ward_boundaries", "ward_population", "ward_lad_lookup", "asy_d11"), period)
shell.save_state(state, PAGE)
