"""National overview: the four headline numbers, a choropleth of every UK council and the table.

One screen tells the story: the map with its controls on the left, the headline numbers, the
councils over 1:200 and the map key on the right. Presentation mode (``?present=1``) hides the
sidebar, keeps region and quarter as the only controls and enlarges everything.
"""
from __future__ import annotations

from dataclasses import replace
from html import escape

import pandas as pd
import streamlit as st

from geo import measures, rules, text
from geo.asylum_stats import HOTEL
from geo.render.classify import classify
from geo.render.legend import choropleth_legend
from ui import export_panel as ex
from ui import exports as ER
from ui import layers as L
from ui import present, screen, shell, tables
from ui import state as views
from ui.deck_component import deck_map
from ui.schemes import EXPORT_COLUMNS as SCHEME_EXPORT
from ui.schemes import add_schemes
from ui.schemes import panel as schemes_panel
from ui.status import status_box

PAGE = "overview"
HEADLINES = ("supported", "hotel", "dispersed", "over")
LABELS = {"supported": "People supported", "hotel": "Contingency hotels",
          "dispersed": "Dispersed housing", "over": "Councils over 1:200"}
HELP = {
    "supported": "Everyone in receipt of asylum support at the quarter end, in the selection (includes people "
                 "with no council recorded when no area filter is set).",
    "hotel": "People in contingency hotels (not other contingency sites).",
    "dispersed": "People in dispersal accommodation (houses and flats): the housing the 1:200 limit applies to.",
    "over": f"Councils with more than one person in dispersed accommodation per {rules.CLUSTER_LIMIT} residents.",
}

model = shell.require_model()
key = shell.model_key(model)
state = shell.load_state(model)
shell.chrome(state, leave_button=False)
shell.show_link_problems()
opts = shell.options(model)
if state.present:  # the whole screen is presentation mode's own (ui.present): map, four numbers, quarter
    shell.save_state(present.overview_screen(model, key, state), PAGE)
    st.stop()

# --- controls (read first; the boxes above them are filled afterwards) ----------------------------
title_box = st.container()
tcol, scol = title_box.columns([3, 1], vertical_alignment="bottom")
state = shell.filter_controls(model, state)
st.sidebar.markdown("### Map")
method = st.sidebar.radio("Colour classes", list(views.CLASS_METHODS), key=shell.bind("classes", state.classes),
                          format_func=views.CLASS_METHODS.get,
                          help="Quantiles put the same number of councils in each colour; natural "
                               "breaks group similar values together.")
state = replace(state, classes=method)
state = shell.presentation_toggle(state)
controls = st.container()
mcol, pcol = controls.columns([1.25, 1], vertical_alignment="bottom", gap="large")
measure = mcol.segmented_control("Colour the map by", list(views.MAP_MEASURES),
                                 key=shell.bind("measure", state.measure),
                                 format_func=views.SHORT_MEASURE_LABELS.get, selection_mode="single")
measure = measure or state.measure
state = replace(state, measure=measure)
state = shell.period_control(model, state, where=pcol)
body_col, side_col = st.columns([1.5, 1], gap="medium")
map_col, key_col = body_col.columns([1.9, 1], gap="small")  # the UK is tall: width to spare for the key
over_box = side_col.container()  # the over-limit box first: on a laptop screen it must not fall below the fold
head_box = side_col.container()

# --- the figures ----------------------------------------------------------------------------------
period = pd.Timestamp(state.period)
filters = state.filters()
fkey = shell.filters_key(filters)
table = shell.lad_table(key, state.period, fkey)
heads = shell.headline(key, state.period, fkey)
series = shell.national_series(key, fkey)
series = series[series["period"] <= period]
prev_q = text.quarter_short(period - pd.offsets.QuarterEnd(1))  # inside a metric card: short, never broken
prev_y = text.quarter_label(period - pd.offsets.QuarterEnd(4))
where = views.selection_label(state)
area = where.split(";")[0]
over = table[table["over_threshold"].astype("boolean").fillna(False).astype(bool)].sort_values(
    "limit_used", ascending=False)

tcol.markdown(f"# Asylum support in {'the ' if area == 'United Kingdom' else ''}{escape(area)}")
tcol.markdown(f"<p class='aam-lede'>People seeking asylum housed with Home Office support, by council, at "
              f"<b>{text.quarter_label(period)}</b>"
              + (f". Showing: {escape(where)}." if where != area else ".") + "</p>", unsafe_allow_html=True)
if not state.present:
    choices = table.sort_values("lad_name")
    labels = choices["lad_name"] + " (" + choices["region"].fillna("") + ")"
    names = dict(zip(choices["lad_code"], labels, strict=True))
    chosen = scol.selectbox("Open a council", list(names), index=None, format_func=names.get,
                            placeholder="Type a council name...", key="find_council")
    if chosen:
        shell.save_state(state, PAGE)
        shell.switch_to("council", replace(state, lad=chosen))

# --- map and legend (sent first: the browser starts fetching the map's code while the rest arrives) ---
# Hotels at a quarter whose file gives them only with other contingency sites: that figure, named.
shown_measure = measures.map_measure(model.stats, measure, period)
if not measures.published(model.stats, HOTEL, period):
    # Asy_D11 splits hotels out by council only from Dec 2022: "not published", never zero.
    table = table.assign(hotel=float("nan"), hotel_change_q=float("nan"), hotel_change_y=float("nan"))
    if measure == "hotel" or pd.isna(heads["contingency"].value):  # beside the map's key, or for a card
        key_col.caption((measures.hotels_alone_note(model, period) or "")  # that says "not published"
                        + (" The map shows contingency accommodation (hotels and other sites together) instead."
                           if shown_measure != measure else ""))
values = table[shown_measure]
classes = classify(values, method=state.classes, k=5, measure=shown_measure)
web = shell.web(key, "lad")
shown = web[web["lad_code"].isin(table["lad_code"])]
height = screen.map_height(screen.screen(), state.present)  # fits under the title at 1366x768 and up
bounds = shown.total_bounds if len(shown) else web.total_bounds
width = 600 if state.present else 560
view = L.fit_view(bounds, width_px=width, height_px=height, padding=0.03)
deck_layers, _ = L.national_layers(shown, table, shown_measure, classes, label_codes=list(over["lad_code"]),
                                   geometries=shell.geometries(key, "lad"), view=view, frame=(width, height))
deck = L.make_deck(deck_layers, view, L.LAD_TOOLTIP)
with map_col:
    deck_map(deck, height=height, key="national_map", public_geometry=True, fit=L.fit_args(bounds, padding=0.03),
             height_css=None if state.present else screen.fill_css(screen.OVERVIEW_ABOVE, screen.OVERVIEW_LEAST,
                                                                    screen.OVERVIEW_MOST),
             alt=f"Map of councils coloured by {measures.MEASURES[shown_measure].lower()}; "
                 f"councils over the 1:200 limit have a thick red outline.")
over_count, over_gap = measures.over_state(model, table)
key_col.markdown(choropleth_legend(classes, measures.MEASURES[shown_measure], over=over_gap or over_count,
                                   gaps=measures.gap_counts(model, table, shown_measure),
                                   unit=f"Councils, {text.quarter_label(period)}", large=state.present),
                 unsafe_allow_html=True)
if not state.present:
    key_col.caption("Hover over a council for its figures; open one from the search box or the table.")

# --- headline numbers -----------------------------------------------------------------------------
with head_box:
    grid = [c for _ in range(2) for c in st.columns(2)]
    shown_keys: list[str] = []
    for col, name in zip(grid, HEADLINES, strict=False):
        h, label, line = heads[name], LABELS[name], name
        tip, card_note = HELP[name], None
        if name == "hotel" and pd.isna(h.value) and pd.notna(heads["contingency"].value):
            # Reg_02 gives hotels and other contingency sites together: that figure, labelled, never a 0,
            # and the card's help says why the label is not the one other quarters show.
            h, label, line = heads["contingency"], measures.CONTINGENCY_LABEL, "contingency"
            tip = f"{measures.hotels_alone_note(model, period)} This card shows both together."
            card_note = measures.HOTELS_NOT_SPLIT
        value = measures.not_shown(model, period, line).capitalize() if pd.isna(h.value) else text.people(h.value)
        compact = screen.short(screen.screen())  # no sparklines, so numbers and the over box fit one screen
        shell.metric(col, label, value, h.change_q, h.change_y, previous_q=prev_q,
                  previous_y=text.quarter_short(period - pd.offsets.QuarterEnd(4)) if compact else prev_y,
                  inverse=(name == "over"), brief=compact, note=card_note,
                  chart=None if state.present or compact or line not in series else series[line].tolist()[-12:],
                  help=tip if card_note else HELP[name] if pd.notna(h.value) else measures.gap_help(
                      model, period, line if line != "over" else "dispersed"),
                  q=h.q, y=h.y)
        shown_keys.append(line)
    for note in measures.change_notes(heads, shown_keys, not_comparable=False):
        st.caption(note)  # the like-for-like rule, said where the comparison is not plain (geo.changes)
    for note in measures.filter_notes(model, period, filters):
        st.info(note)
    if filters.support_types:
        st.caption(measures.STATUS_NOTE)

laptop = screen.short(screen.screen())  # a laptop's window: the words that fit it (the table has the rest)
if len(over):
    names = [f"<b>{escape(r.lad_name)}</b> ({r.limit_used:.2f} times the limit: {int(r.dispersed):,} people in "
             f"dispersed accommodation, limit {int(rules.capacity(r.population)):,})"
             for r in over.head(5).itertuples()]
    more = f", and {len(over) - 5} more" if len(over) > 5 else ""
    verb = "is" if len(over) == 1 else "are"
    outline = "" if laptop else " (red outline on the map)"  # the key says so too
    over_box.markdown(status_box(f"<b>{len(over)} council{'s' if len(over) != 1 else ''} {verb} over the "
                                 f"1:200 limit</b>{outline}: " + "; ".join(names) + more + ".",
                                 rules.OVER), unsafe_allow_html=True)
elif over_gap:  # no dispersed figure this quarter: nobody can be said to be over, or within
    over_box.markdown(status_box(escape(measures.over_gap_sentence(model, period, over_gap)), over_gap),
                      unsafe_allow_html=True)
else:
    over_box.markdown(status_box(f"No council in this selection is over the 1:200 limit at "
                                 f"{text.quarter_label(period)}.", rules.WITHIN), unsafe_allow_html=True)

# On a laptop the source goes under the key, which has room, not under the cards (below the window).
(key_col if laptop else side_col).caption(
    f"{model.short_source(model.period_source(period) or 'asy_d11')}. As at {text.quarter_label(period)}. "
    "Provisional. " + ("Each box: change on the previous quarter and on a year earlier." if laptop
                       else "Each box: change on the previous quarter, the last three years as a line, and the "
                            "change on a year earlier beneath."))
if not state.present:  # on a laptop under the map's row, not below the window in the side column
    schemes_panel(st if laptop else side_col, model, period, list(table["lad_code"]))

# --- table ----------------------------------------------------------------------------------------
if not state.present:
    listing = add_schemes(table, model, period).assign(status=table["threshold_status"].map(
        {"over 1:200": "Over 1:200", "within 1:200": "Within", "no estimate": "No estimate"})
        .fillna(table["threshold_status"])  # a gap keeps its own words ('not published in this release')
    ).sort_values(measure, ascending=False, na_position="last")
    # Hotels where the quarter's file gives them; else Reg_02's contingency (hotels and other), labelled.
    hotel_col = "hotel" if table["hotel"].notna().any() or "contingency" not in table.columns else "contingency"
    cols = ["lad_name", "region", "population", "supported", "per_1000", hotel_col, "dispersed", "limit_used",
            "status", "supported_change_q", "supported_change_y", *SCHEME_EXPORT, "lad_code"]

    # --- export: the map, the table below and the briefing pack, exactly as shown ---------------------
    snap = ER.map_request(state, made_on=ex.today(), measure=shown_measure)  # the measure the map shows
    single, brief_region = ER.briefing_area(state, opts["regions"])
    ex.export_panel(
        model, key="overview", snapshot=snap,
        tables=[ex.ExportTable("councils", f"All councils in the selection ({len(listing):,})", listing[cols],
                               "lad", period=state.period, area=snap.area, columns=tuple(cols),
                               title=f"Asylum support by council: {where}, {text.quarter_label(period)}")],
        briefing=ER.BriefingRequest(period=state.period, made_on=snap.made_on, region=brief_region)
        if single else None,
        note=None if single else "Briefing packs cover one region or nation, or the whole UK: choose a single "
                                 "region (or no area filter) for one.")

    st.markdown(f"### All councils in the selection ({len(table):,})")
    st.caption("Click a column heading to sort; tick a row to open that council. Export it as CSV, Excel, "
               "GeoJSON or GeoPackage with the Export panel above.")
    shown_as = {"population": "Residents", "supported": "Supported", "per_1000": "Per 1,000", "hotel": "Hotels",
                "contingency": "Contingency", "dispersed": "Dispersed", "limit_used": "vs 1:200",
                "supported_change_q": f"± {text.quarter_short(period - pd.offsets.QuarterEnd(1))}",
                "supported_change_y": f"± {text.quarter_short(period - pd.offsets.QuarterEnd(4))}"}
    for note in measures.blank_notes(model, table, [c for c in cols if c != "status"], shown_as):
        st.caption(note)  # a blank cell on screen is never unexplained (the export writes the words in it)
    pick = tables.dataframe(st,
        listing[cols], hide_index=True, height=420, on_select="rerun", selection_mode="single-row",
        key="council_table",
        # On screen, the columns that fit a laptop without sideways scrolling (short headings, the full
        # wording in each heading's help); region, status and code are in the export and the tooltip.
        column_order=[c for c in cols if c not in ("region", "status", "lad_code", *SCHEME_EXPORT)],
        column_config={
            "lad_name": st.column_config.TextColumn("Council", pinned=True),
            "region": "Region",
            "population": st.column_config.NumberColumn("Residents", format="localized"),
            "supported": st.column_config.NumberColumn("Supported", format="localized"),
            "per_1000": st.column_config.NumberColumn("Per 1,000", format="%.2f", help="Per 1,000 residents"),
            "hotel": st.column_config.NumberColumn("Hotels", format="localized", help="In contingency hotels"),
            "contingency": st.column_config.NumberColumn(
                "Contingency", format="localized",
                help="In contingency accommodation, hotels and other sites together: this quarter's file "
                     "does not give hotels alone"),
            "dispersed": st.column_config.NumberColumn("Dispersed", format="localized",
                                                       help="In dispersed accommodation"),
            "limit_used": st.column_config.NumberColumn("vs 1:200", format="%.2f",
                                                        help="Against the 1:200 limit (1.00 = at the limit)"),
            "status": "1:200 status",
            "supported_change_q": st.column_config.NumberColumn(
                f"± {text.quarter_short(period - pd.offsets.QuarterEnd(1))}", format="%+d",
                help=f"Change in people supported on {prev_q}"),
            "supported_change_y": st.column_config.NumberColumn(
                f"± {text.quarter_short(period - pd.offsets.QuarterEnd(4))}", format="%+d",
                help=f"Change in people supported on {prev_y}"),
            "lad_code": "Code",
        })
    rows = pick.selection.rows if pick is not None else []
    if rows:
        shell.save_state(state, PAGE)
        shell.switch_to("council", replace(state, lad=listing.iloc[rows[0]]["lad_code"]))
    with st.expander("About these figures"):
        for line in shell.CAVEATS:
            st.markdown(f"- {line}")
else:
    side_col.button("Leave presentation mode", key="leave_present", on_click=shell.set_view,
                    kwargs={"present": False})

shell.footer(model, ("asy_d11", "reg02", "lad_boundaries"), period)
shell.save_state(state, PAGE)
