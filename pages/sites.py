"""Sites page: councils' own records of asylum accommodation sites (hotels, dispersed properties),
placed in wards, measured against the 1:200 cluster limit, and the question councils keep
asking: are contractors still acquiring housing in wards that are already over the limit?

Thin on purpose: widgets and layout only. Every table and figure comes from
``ui.sites`` (built on ``geo.sites.measures`` and the site store) and every map layer from
``ui.site_layers``; the Import button calls ``geo.sites.importer.import_sites`` through
``ui.sites.import_file``, the same function as ``python -m geo sites import``.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from html import escape
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from geo.access.imports import import_as
from geo.access.manage import postcode_lookup
from geo.access.members import Action
from geo.access.scope import SiteScope, history_in, sites_in, visible_rejections
from geo.errors import GeoError
from geo.model import ward_vintage
from geo.sites import measures as SM
from geo.sites.readers import SUPPORTED
from geo.sites.sample import scaling_note
from geo.sites.schema import FIELDS
from ui import auth, shell, tables
from ui import export_panel as ex
from ui import exports as ER
from ui import site_access as SA
from ui import site_layers as SL
from ui import sites as SV
from ui.layers import CompactDeck, feature_collection, fit_view, make_deck
from ui.safe import markdown_text  # text from files shown as text (issue 13)

PAGE = "sites"
ALL = "__all__"
MAP_HEIGHT = 560
ONLINE_DEFAULT = "https://api.postcodes.io"
CHART_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
                 "#999999", "#882255"]

model = shell.require_model()
key = shell.model_key(model)
state = shell.load_state(model)
shell.chrome(state)
if model.wards is None:
    st.error("Site records are placed in wards, and no ward boundaries are loaded.")
    st.markdown(f"**What is missing:** {model.missing.get('ward_boundaries', 'the ward boundary file')}")
    st.stop()
db = shell.sites_db(model)
vintage = ward_vintage(model)
today = date.today()
member = auth.member() or auth.gate()
scope = SA.scope_of(member, db)  # every site row below is read within this member's scope (geo.access)
orgs = SA.scope_arg(scope)
may_import = member.may(Action.IMPORT)


# --- cached reads (keyed by the store's version, so an import refreshes them) ---------------------


@st.cache_data(show_spinner=False, max_entries=32)
def _sites(path: str, version: str, day: date | None, orgs: tuple[str, ...] | None) -> pd.DataFrame:
    frame = SM.sites_as_at(path, day, organisations=orgs)
    return pd.DataFrame(frame.drop(columns="geometry"))


@st.cache_data(show_spinner="Judging every acquisition against its ward the day before...", max_entries=8)
def _over(path: str, version: str, model_key: str, orgs: tuple[str, ...] | None, _scope: SiteScope) -> pd.DataFrame:
    """Acquisitions over the threshold within the member's scope (``orgs`` keys the shared cache;
    the rows are read through geo.access.scope, never the store directly)."""
    m = shell.get_model()
    current = pd.DataFrame(sites_in(_scope, path).drop(columns="geometry"))
    lad_population = m.lads[["lad_code", "population"]] if "population" in m.lads.columns else None
    return SV.over_threshold_acquisitions(history_in(_scope, path), m.wards,
                                          lad_population=lad_population, sites=current)


@st.cache_data(show_spinner=False, max_entries=32)
def _wards(path: str, version: str, model_key: str, day: date | None, lads: tuple[str, ...],
           orgs: tuple[str, ...] | None) -> pd.DataFrame:
    return SV.ward_measure_table(_sites(path, version, day, orgs), shell.get_model().wards, lads=lads or None,
                                 as_at=day, acquired_to=day)


def _deck(layers: list, bounds, tooltip) -> CompactDeck:
    return make_deck(layers, fit_view(bounds, width_px=900, height_px=MAP_HEIGHT, max_zoom=14.0), tooltip)


def _ward_context(lads: list[str], over_codes: set[str]) -> list:
    """Grey ward boundaries of the authorities shown, red outlines for wards over 1:200."""
    if not lads:
        return []
    web = shell.web(key, "ward")
    shown = web[web["lad_code"].isin(lads)]
    if shown.empty:
        return []
    props = pd.DataFrame({"ward_code": shown["ward_code"].to_numpy()})
    features = feature_collection(shown, props, "ward_code")
    layers = [SL.area_layer(features, layer_id="site-wards")]
    over = {"type": "FeatureCollection",
            "features": [f for f in features["features"] if f["properties"]["ward_code"] in over_codes]}
    if over["features"]:
        layers.append(SL.area_layer(over, layer_id="site-wards-over", over=True))
    return layers


def _bounds(sites: pd.DataFrame, lads: list[str]):
    found = SL.site_bounds(sites)
    if found is not None:
        return found
    web = shell.web(key, "ward")
    shown = web[web["lad_code"].isin(lads)] if lads else web
    return tuple(shown.total_bounds) if len(shown) else (-8.2, 49.9, 1.8, 60.9)


def _illustrative_note(frame: pd.DataFrame) -> None:
    if len(frame) and SV.illustrative_mask(frame).any():
        scaled = scaling_note(frame["notes"], None)  # the quarter its people match, said beside any figures
        st.markdown(f"<div class='aam-over'><b>{SV.ILLUSTRATIVE_LABEL}.</b> These rows come from the "
                    f"generated sample, not from any council.{escape(scaled)}</div>", unsafe_allow_html=True)


# --- title, sample banner and the controls every section follows ------------------------------------

summary = SV.store_summary(db, orgs if scope.may_view_sites else SA.scope_arg(scope, "aggregate_orgs"))
st.markdown("# Asylum accommodation sites")
st.markdown("<p class='aam-lede'>Councils' own records of hotels and dispersed properties, placed in "
            "wards and checked against the 1:200 cluster limit: no ward should have more than one supported "
            "asylum seeker in dispersed accommodation per 200 residents (2019 memorandum).</p>",
            unsafe_allow_html=True)
if summary.has_illustrative:
    st.error(f"**{SV.ILLUSTRATIVE_LABEL}.** This site store holds the illustrative sample "
             f"({len(summary.illustrative_batches)} batch(es): {', '.join(summary.illustrative_batches)}). "
             "Its sites are generated inside real wards to add up to the Home Office totals, but no site, "
             "address or date is real. Do not quote these figures.", icon=":material/warning:")

if not scope.may_view_sites:  # viewers: suppressed ward figures only; no site row reaches the browser
    st.info(f"As a {member.role.value}, you see ward figures built from the site records your organisation may "
            "use, with counts of 1 to 4 people shown as [c]. Site records themselves are for officers.",
            icon=":material/lock:")
    viewer_table = SA.viewer_wards(member, db, model.wards, SV.ward_measure_table)
    if viewer_table.empty:
        st.caption("No site records are available to your organisation yet.")
    else:
        tables.dataframe(st, SV.ward_display(viewer_table), hide_index=True, key="sites_viewer_wards")
    shell.save_state(state, PAGE)
    st.stop()

version = shell.store_version(db)
latest = _sites(str(db), version, None, orgs) if summary.exists else pd.DataFrame()
has_sites = not latest.empty

if has_sites:
    names = SV.authorities(latest)
    c1, c2, c3, c4 = st.columns([1.7, 1.7, 1.1, 1.8], vertical_alignment="bottom")
    # The authority and the day live in the link (lad, asat): a new link re-seeds the widgets.
    seed = (state.lad, state.as_at)
    if st.session_state.get("_sites_seed") != seed:
        st.session_state["sites_lad"] = state.lad if state.lad in names else ALL
        st.session_state["sites_as_at"] = min(date.fromisoformat(state.as_at), today) if state.as_at else today
        st.session_state["_sites_seed"] = seed
    lad_pick = c1.selectbox("Authority", [ALL, *names], key="sites_lad",
                            format_func=lambda c: "All authorities in the records" if c == ALL else names[c])
    as_at = c3.date_input("Sites as at", max_value=today, min_value=date(2000, 1, 1),
                          key="sites_as_at", format="DD/MM/YYYY",
                          help="Show the records as the store knew them on this day, and the sites housing "
                               "people then. Before a site's first import its first record stands in.")
    lads = list(names) if lad_pick == ALL else [lad_pick]
    day = None if as_at >= today else as_at
    # "All" keeps a council chosen on another page that has no records here (its link still opens it there).
    state = replace(state, lad=lad_pick if lad_pick != ALL else (None if state.lad in names else state.lad),
                    as_at=day.isoformat() if day else None)
    st.session_state["_sites_seed"] = (state.lad, state.as_at)
    sites_all = _sites(str(db), version, day, orgs)
    sites = SM.in_authorities(sites_all, lads)
    using = sites[SM.in_use(sites, as_at).to_numpy()] if len(sites) else sites
    over_all = _over(str(db), version, key, orgs, scope)
    over = SM.in_authorities(over_all[over_all["acquired"] <= pd.Timestamp(as_at)], lads)
    head = SV.over_threshold_headline(over, sites_all, as_at, lads)
    wtable = _wards(str(db), version, key, day, tuple(lads), orgs)
    where = "all authorities in the records" if lad_pick == ALL else names[lad_pick]
    SA.record_view(member, db, {"page": "sites", "authorities": lads, "as_at": as_at}, len(sites))
    c4.markdown(f"Showing **{escape(where)}** as at **{as_at.strftime('%d %B %Y')}**.")

    # With several authorities (often far apart) the maps frame one at a time: the one with the
    # most acquisitions in over-threshold wards first, then by people accommodated.
    if len(lads) > 1:
        order = SV.framing_order(lads, over, using, names)
        frame_lad = c2.selectbox("Frame the maps on", [*order, ALL], key="sites_frame",
                                 format_func=lambda c: "Everything (zoomed out)" if c == ALL else names[c],
                                 help="Starts on the authority with the most acquisitions in wards already "
                                      "over 1:200.")
    else:
        frame_lad = lads[0] if lads else ALL

    def framed(frame: pd.DataFrame) -> pd.DataFrame:
        return frame if frame_lad == ALL or frame.empty else frame[frame["lad_code"] == frame_lad]

    # --- the question first ------------------------------------------------------------------------
    m1, m2, m3, m4 = st.columns([1.7, 1, 1, 1])
    m1.metric("Acquired while the ward was already over 1:200", f"{head.ward:,}", border=True,
              help="Dispersed properties acquired on a day when their ward already had more than one person "
                   "in dispersed accommodation per 200 residents (the other sites' records the day before).")
    m1.caption(f"**{head.sentence()}**, of {head.acquisitions:,} dispersed properties acquired to "
               f"{as_at.strftime('%d %b %Y')}; {head.authority:,} while the whole authority was over.")
    authority_only = int(len(over) - head.ward)
    figures = SV.site_figures(using, wtable)
    over_codes = figures.over_codes
    m2.metric("People in hotels", f"{figures.in_hotels:,}", border=True)
    m3.metric("People in dispersed", f"{figures.in_dispersed:,}", border=True)
    m4.metric("Wards over 1:200", f"{figures.wards_over:,}", border=True,
              help="On these site records, as at the date chosen.")
    m4.caption(f"of {figures.wards:,} wards; {figures.wards_no_estimate:,} with no population estimate")
    tabs = st.tabs(["Map", "Wards and 1:200", "Acquisitions", "Acquired while over 1:200", "Site list",
                    "Import", "Batches"], default="Map", key="sites_tab")
else:
    st.info("No site records yet. Import a council's site list, or load the illustrative sample to see "
            "how the page works.", icon=":material/info:")
    tabs = [None] * 5 + list(st.tabs(["Import", "Batches"], default="Import", key="sites_tab_empty"))
    lads, over, sites, using, wtable = [], pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), pd.DataFrame()

# --- map ------------------------------------------------------------------------------------------------
if has_sites:
    with tabs[0]:
        o1, o2, o3 = st.columns([1.4, 0.8, 1.6], vertical_alignment="bottom")
        heat = o1.segmented_control("People accommodated as", ["heatmap", "hexagon", "none"], default="heatmap",
                                    key="sites_heat", format_func={"heatmap": "Heat map", "hexagon": "Hexagons",
                                                                   "none": "No heat layer"}.get)
        show_sites = o2.toggle("Show sites", value=True, key="sites_show_points")
        show_over = o3.toggle("Ring acquisitions made while over 1:200", value=True, key="sites_show_over")
        if frame_lad != ALL and len(lads) > 1:
            st.caption(f"Framed on {names[frame_lad]}; pan or zoom out for the others, or choose another "
                       "authority above.")
        layers = _ward_context(lads, over_codes) + SL.site_map_layers(
            using, over if show_over else None, heat=None if heat in (None, "none") else heat,
            show_sites=show_sites)
        map_col, key_col = st.columns([4, 1.3])
        with map_col:
            st.pydeck_chart(_deck(layers, _bounds(framed(using), lads), SL.SITE_TOOLTIP), height=MAP_HEIGHT,
                            key="sites_map", alt=f"Map of asylum accommodation sites in {where}")
        present = [t for t, n in SV.type_counts(using).items() if n]
        entries = SL.legend_entries(SV.type_counts(using), heat=heat not in (None, "none"),
                                    over=head.ward if show_over else None,
                                    over_authority=authority_only if show_over else None,
                                    over_wards=len(over_codes), types=present or None)
        key_col.markdown(SL.legend_html(entries, note=f"Sites housing people on {as_at.strftime('%d %b %Y')}. "
                                                      "Circle area grows with people accommodated."),
                         unsafe_allow_html=True)
        key_col.caption("Hover over a site for its details. A position marked 'postcode centre' came from "
                        "the postcode, so it can be a few hundred metres out.")
        unplaced = int(sites["latitude"].isna().sum()) if len(sites) else 0
        outside = int((~sites["in_boundary"].astype(bool)).sum()) if len(sites) else 0
        st.caption(f"{len(using):,} sites housing people on this day; {len(sites) - len(using):,} other records "
                   f"(planned, closed or not yet open) not drawn. {outside:,} placed outside every ward boundary"
                   f"{f'; {unplaced:,} with no position' if unplaced else ''}.")
        _illustrative_note(using)

# --- ward measures ----------------------------------------------------------------------------------
if has_sites:
    with tabs[1]:
        st.markdown(f"### Wards of {escape(where)} against 1:200, from the site records")
        st.caption("People are counted at sites housing people on the day chosen; properties acquired counts "
                   "dispersed properties acquired up to that day. Residents: Census 2021 usual residents "
                   "(ward population file). 1.00 per 200 is the limit. 'no estimate' means the ward has no "
                   "population figure, never zero.")
        only = st.toggle("Only wards with sites", value=True, key="sites_wards_only")
        shown = wtable
        if only and len(wtable):
            counted = [c for c in wtable.columns if c.endswith("_sites") or c == "properties_acquired"]
            shown = wtable[wtable[counted].sum(axis=1) > 0]
        tables.dataframe(st, SV.ward_display(shown), hide_index=True, height=460, key="sites_ward_table",
                     column_config={
                         "Ward": st.column_config.TextColumn("Ward", pinned=True),
                         "People in hotels": st.column_config.NumberColumn(format="localized"),
                         "People in dispersed": st.column_config.NumberColumn(format="localized"),
                         "Dispersed per 200 residents": st.column_config.NumberColumn(
                             format="%.2f", help="1.00 is the limit; blank when the ward has no estimate"),
                         "Room under the limit (people)": st.column_config.NumberColumn(format="%.0f"),
                     })
        _illustrative_note(sites)

# --- acquisitions over time ---------------------------------------------------------------------------
if has_sites:
    with tabs[2]:
        st.markdown("### Dispersed properties acquired per month")
        a1, a2 = st.columns([1, 2.4], vertical_alignment="bottom")
        level = a1.segmented_control("By", ["lad", "ward"], default="lad", key="sites_acq_level",
                                     format_func={"lad": "Authority", "ward": "Ward"}.get) or "lad"
        ward_pick = None
        if level == "ward":
            in_scope = sites.dropna(subset=["ward_code"]).drop_duplicates("ward_code").sort_values("ward_name")
            labels = in_scope["ward_name"] + " (" + in_scope["lad_name"] + ")"
            ward_names = dict(zip(in_scope["ward_code"], labels, strict=True))
            ward_pick = a2.multiselect("Wards", list(ward_names), default=SV.top_wards(sites, lads),
                                       format_func=ward_names.get, key="sites_acq_wards",
                                       help="Starts with the wards with the most acquisitions.")
        monthly = SV.monthly_acquisitions(sites_all, level, lads=lads, wards=ward_pick, end=as_at)
        if monthly.empty:
            st.info("No dispersed property in this selection has an acquisition date.")
        else:
            chart = alt.Chart(monthly).mark_bar().encode(
                x=alt.X("yearmonth(month):T", title="Month acquired"),
                y=alt.Y("sum(acquisitions):Q", title="Properties acquired", stack=True),
                color=alt.Color("area_name:N", title="Authority" if level == "lad" else "Ward",
                                scale=alt.Scale(range=CHART_COLOURS), legend=alt.Legend(orient="bottom", columns=3)),
                tooltip=[alt.Tooltip("yearmonth(month):T", title="Month"), alt.Tooltip("area_name:N", title="Area"),
                         alt.Tooltip("acquisitions:Q", title="Acquired")],
            ).properties(height=320)
            st.altair_chart(chart, key="sites_acq_chart")
            st.caption(f"{int(monthly['acquisitions'].sum()):,} dispersed properties with an acquisition date, "
                       f"to {as_at.strftime('%d %b %Y')}. Months with none show as gaps.")

        span = SM.acquisition_range(sites)
        if span is not None:
            st.markdown("### Where properties were acquired in a chosen window")
            lo, hi = span
            hi = min(hi, as_at) if as_at >= lo else hi
            start_default = max(lo, (pd.Timestamp(hi) - pd.DateOffset(months=12)).date())
            window = (lo, hi) if lo >= hi else st.slider(
                "Acquired between", min_value=lo, max_value=hi, value=(start_default, hi), format="DD MMM YYYY",
                key="sites_acq_window")
            inside = SM.acquisitions_in_window(sites, window[0], window[1])
            flagged = over[over["acquired"].between(pd.Timestamp(window[0]), pd.Timestamp(window[1]))]
            layers = _ward_context(lads, set()) + SL.site_map_layers(inside, flagged, heat=None)
            w1, w2 = st.columns([4, 1.3])
            with w1:
                st.pydeck_chart(_deck(layers, _bounds(framed(inside), lads), SL.SITE_TOOLTIP), height=480,
                                key="sites_acq_map", alt="Map of dispersed properties acquired in the window")
            ward_flagged = int(flagged["ward_over"].fillna(False).astype(bool).sum())
            w2.markdown(SL.legend_html(SL.legend_entries({"dispersed": len(inside)}, heat=False, over=ward_flagged,
                                                         over_authority=len(flagged) - ward_flagged,
                                                         types=["dispersed"]),
                                       title="Acquisitions in the window"), unsafe_allow_html=True)
            w2.caption(f"{len(inside):,} acquired between {window[0].strftime('%d %b %Y')} and "
                       f"{window[1].strftime('%d %b %Y')}; {len(flagged):,} of them while over 1:200.")
        _illustrative_note(sites)

# --- acquisitions in over-threshold areas ---------------------------------------------------------
if has_sites:
    with tabs[3]:
        b1, b2 = st.columns([1.7, 2.3], vertical_alignment="center")
        b1.metric("Properties acquired while the ward was already over 1:200", f"{head.ward:,}", border=True)
        b2.markdown(f"<div class='aam-over'><b>{escape(head.sentence())}</b> in {escape(where)}, to "
                    f"{as_at.strftime('%d %B %Y')}. Each acquisition is judged against its ward as it was the day "
                    f"before: the people in the ward's other dispersed properties then, per 200 residents. "
                    f"{head.authority:,} were acquired while the whole authority was over 1:200.</div>",
                    unsafe_allow_html=True)
        if over.empty:
            st.info("No property in this selection was acquired while its ward or authority was over 1:200.")
        else:
            tables.dataframe(st, SV.over_threshold_display(over), hide_index=True, height=380, key="sites_over_table")
            by_ward = (over[over["ward_over"].fillna(False).astype(bool)].groupby(["ward_name", "lad_name"])
                       .size().rename("acquired while over").sort_values(ascending=False).reset_index())
            if len(by_ward):
                top = by_ward.iloc[0]
                st.caption(f"Most in one ward: {top['ward_name']} ({top['lad_name']}), "
                           f"{int(top['acquired while over']):,}. {len(by_ward):,} wards had at least one.")
            layers = _ward_context(lads, over_codes)
            layers += SL.site_map_layers(over, over, heat=None)
            v1, v2 = st.columns([4, 1.3])
            with v1:
                st.pydeck_chart(_deck(layers, _bounds(framed(over), lads), SL.SITE_TOOLTIP), height=480,
                                key="sites_over_map", alt="Map of properties acquired while the area was over 1:200")
            v2.markdown(SL.legend_html(SL.legend_entries(None, heat=False, over=head.ward, types=["dispersed"],
                                                         over_authority=authority_only,
                                                         over_wards=len(over_codes)),
                                       title="Acquired while over 1:200"), unsafe_allow_html=True)
        procured = SV.procured_after_objection(db, over, sites_all)
        st.markdown("### Procured after the council objected")
        if procured.empty:
            st.caption("No site in this selection was procured while the council's decision on its proposal "
                       "was to object (from the proposals register on the Check page).")
        else:
            tables.dataframe(st, procured, hide_index=True, key="sites_procured_table")
            st.caption(f"{len(procured):,} site(s) procured while the council's objection stood.")
        _illustrative_note(over if "notes" in over.columns else pd.DataFrame())

# --- site list and the role-controlled download -------------------------------------------------
if has_sites:
    with tabs[4]:
        st.markdown(f"### Site records in {escape(where)} ({len(sites):,})")
        tables.dataframe(st, SV.site_table(sites), hide_index=True, height=420, key="sites_table",
                     column_config={"People": st.column_config.NumberColumn(format="localized"),
                                    "Bed spaces": st.column_config.NumberColumn(format="localized")})
        if scope.may_export_sites:  # made, stamped with the export ID and logged only when clicked
            def _full():
                full = SM.sites_as_at(db, day, organisations=orgs)
                return full[full["lad_code"].isin(lads)]

            picked = {"page": "sites", "authorities": lads, "as_at": as_at}
            marked = bool(SV.illustrative_mask(sites).any()) if len(sites) else False
            d1, d2, _ = st.columns([1, 1, 2])
            with d1:
                SA.traced_download("Download sites (CSV)", member, db, lambda: SV.export_csv(_full()), "csv",
                                   file_name="sites.csv", mime="text/csv", key="sites_dl_csv",
                                   selection=picked | {"format": "csv"}, rows=len(sites), site_level=True,
                                   illustrative=marked, icon=":material/download:")
            with d2:
                SA.traced_download("Download sites (GeoJSON)", member, db, lambda: SV.export_geojson(_full()),
                                   "geojson", file_name="sites.geojson", mime="application/geo+json",
                                   key="sites_dl_geojson", selection=picked | {"format": "geojson"},
                                   rows=len(sites), site_level=True, illustrative=marked,
                                   icon=":material/download:")
            st.caption(f"Site-level export allowed for {member.role.value}s. Each file carries an export ID, "
                       "your name and organisation, and is written to the audit log.")
        else:
            st.info(f"No site-level download for a {member.role.value}: records are on screen only. Ward and "
                    "authority figures are on the other pages.", icon=":material/lock:")
        _illustrative_note(sites)

# --- import ------------------------------------------------------------------------------------------
with tabs[5]:
    if not may_import:
        st.info(f"Imports are made by your organisation's administrators (you are a {member.role.value}).",
                icon=":material/lock:")
    st.markdown("### Load the illustrative sample")
    st.caption("Generates sites in real wards of Liverpool, Glasgow City, Birmingham and Hillingdon whose "
               "dispersed and hotel totals add up to the Home Office Asy_D11 figures for the latest quarter, "
               f"then imports them like any council file. Everything from it is labelled {SV.ILLUSTRATIVE_LABEL}.")
    ready = True
    if summary.real_batches > 0:
        ready = st.checkbox("This store also holds real records: mix the sample in anyway (it cannot be removed "
                            "later; use another store via AAM_SITES_DB for demos)", key="sites_sample_ok")
    if st.button("Load the illustrative sample", key="load_sample", type="primary",
                 disabled=not ready or not may_import, icon=":material/science:"):
        try:
            with st.spinner("Generating and importing the illustrative sample..."):
                import tempfile

                # Asy_D11's own rows: its last quarter splits out hotels (Reg_02's later one does not).
                path = SV.write_sample_file(tempfile.mkdtemp(prefix="aam-sample-"), model.wards,
                                            model.by_source.get("asy_d11", model.stats))
                result = import_as(member, path, db, model.wards, remove_after=True, boundary_vintage=vintage)
            st.session_state["sites_last_import"] = result
            st.rerun()
        except GeoError as exc:
            st.error(f"The sample could not be loaded: {exc}")

    st.markdown("### Import a council's site file")
    generation = st.session_state.get("sites_upload_generation", 0)  # a new uploader after each import
    upload = st.file_uploader("Site file", type=[s.lstrip(".") for s in SUPPORTED], disabled=not may_import,
                              key=f"sites_upload_{generation}",
                              help="CSV, Excel (.xlsx), GeoJSON or GeoPackage. Column names are matched "
                                   "automatically; check the matches below.")
    if upload is not None:
        saved = st.session_state.setdefault("sites_upload_paths", {})
        if upload.file_id not in saved:
            saved[upload.file_id] = str(SV.save_upload(upload.name, upload.getvalue()))
        path = Path(saved[upload.file_id])
        token = upload.file_id
        try:
            sheets = SV.sheets_of(path)
            sheet = st.selectbox("Sheet / layer", sheets, key=f"sites_sheet_{token}") if len(sheets) > 1 else None
            headers = SV.read_headers(path, sheet=sheet)
        except GeoError as exc:
            st.error(markdown_text(f"{upload.name} could not be read: {exc}"))
            headers = None
        if headers is not None:
            st.caption(f"{headers.rows:,} data rows; headings found on row {headers.header_row or 1}. Each field "
                       "below shows the column it will be read from: correct any that are wrong.")
            options = SV.mapping_options(headers)
            choices: dict[str, str] = {}
            grid = st.columns(3)
            for i, field_name in enumerate(FIELDS):
                default = SV.default_choice(headers, field_name)
                choices[field_name] = grid[i % 3].selectbox(SV.FIELD_LABELS[field_name], options,
                                                            index=options.index(default),
                                                            key=f"sites_map_{token}_{field_name}")
            used = set(choices.values())
            ignored = [c for c in headers.columns if c not in used]
            if ignored:
                st.caption("Columns not used: " + markdown_text(", ".join(ignored)))
            with st.expander("First rows of the file"):
                tables.dataframe(st, headers.preview, hide_index=True)
            problems = SV.mapping_problems(choices)
            for problem in problems:
                st.warning(markdown_text(problem))

            st.markdown("**Postcodes** (for rows with a postcode but no coordinates)")
            p1, p2 = st.columns(2)
            pc_upload = p1.file_uploader("ONS postcode directory (NSPL or ONSPD CSV)", type=["csv"],
                                         key="sites_postcodes")
            pc_path_text = p2.text_input("...or its path on the server", key="sites_postcodes_path",
                                         placeholder="/data/ons/NSPL_FEB_2025_UK.csv")
            lookup = postcode_lookup(db, ONLINE_DEFAULT)  # an admin setting (Admin page), https unless loopback
            online = st.checkbox(f"Allow online postcode lookup at {lookup} for postcodes not in the directory",
                                 value=False, key="sites_online",
                                 help="Off by default: postcodes are sent to this service. Admins set its address.")
            f1, f2 = st.columns(2)
            file_date = f1.date_input("Date the file describes", value=today, max_value=today,
                                      key="sites_file_date", format="DD/MM/YYYY",
                                      help="Records are kept as at this date; import files in date order.")
            f2.caption(f"Recorded as imported by **{member.email}** for {member.organisation.name}.")
            if st.button("Import", key="sites_import", type="primary", disabled=bool(problems),
                         icon=":material/upload:"):
                directory = None
                if pc_upload is not None:
                    pcs = st.session_state.setdefault("sites_postcode_paths", {})
                    if pc_upload.file_id not in pcs:
                        pcs[pc_upload.file_id] = str(SV.save_upload(pc_upload.name, pc_upload.getvalue()))
                    directory = pcs[pc_upload.file_id]
                elif pc_path_text.strip():
                    directory = pc_path_text.strip()
                imported = False
                try:
                    bar = st.progress(0.0, text=f"Importing {upload.name}...")
                    result = import_as(
                        member, path, db, model.wards,
                        mapping=SV.overrides_from_choices(choices, headers.mapping),
                        postcode_directory=directory, online_lookup=online, sheet=sheet, as_at=file_date,
                        boundary_vintage=vintage, remove_after=True,
                        on_progress=lambda done, total: bar.progress(
                            min(1.0, done / total) if total else 1.0,
                            text=f"Importing {upload.name}: {done:,} of {total:,} rows checked and placed"))
                    bar.empty()
                    st.session_state["sites_last_import"] = result
                    imported = True
                except GeoError as exc:
                    st.error(markdown_text(f"Nothing was imported: {exc}"))
                finally:  # temporary files go when the import ends, whatever the outcome
                    from geo.access.imports import discard

                    saved.pop(upload.file_id, None)
                    postcode_copy = st.session_state.get("sites_postcode_paths", {}).pop(
                        pc_upload.file_id if pc_upload is not None else None, None)
                    if postcode_copy:
                        discard(postcode_copy)
                    st.session_state["sites_upload_generation"] = generation + 1
                if imported:
                    st.rerun()

    last = st.session_state.get("sites_last_import")
    if last is not None:
        st.markdown("### Last import")
        kind, sentence = SV.import_message(last)
        getattr(st, kind)(markdown_text(sentence))  # the file name is the uploader's text
        if SV.is_illustrative(last.file_name):
            st.caption(f"{SV.ILLUSTRATIVE_LABEL}: this batch is the generated sample.")
        r1, r2, r3 = st.columns(3)
        r1.metric("Rows read", f"{last.read:,}")
        r2.metric("Accepted", f"{last.accepted:,}")
        r3.metric("Rejected", f"{last.rejected:,}")
        if last.rejections:
            st.markdown("**Rejected rows** (row numbers as in your file; fix them and import the file again)")
            tables.dataframe(st, SV.rejection_frame(last), hide_index=True, key="sites_rejections")
            if may_import:  # addresses included: the owning organisation's admins, stamped and logged
                SA.traced_download("Download the rejected rows (CSV)", member, db,
                                   lambda: SV.rejections_csv(visible_rejections(member, db, last.batch)).encode(
                                       "utf-8"), "csv",
                                   file_name=f"rejected rows - batch {last.batch} - {Path(last.file_name).stem}.csv",
                                   mime="text/csv", key="sites_dl_rejections", icon=":material/download:",
                                   selection={"page": "sites", "rejections_of_batch": last.batch},
                                   rows=last.rejected, site_level=True)

# --- batches -------------------------------------------------------------------------------------------
with tabs[6]:
    st.markdown("### Every import")
    table = SV.batch_table(summary.batches)
    if table.empty:
        st.caption("No imports yet.")
    else:
        tables.dataframe(st, table, hide_index=True, key="sites_batches")
        st.caption("The same file imported twice with the same column mapping adds nothing. A site missing from "
                   "a later file is kept (files are often partial) and counted as 'kept, not in file'.")
        with_rejections = summary.batches[summary.batches["rejected"] > 0]
        if len(with_rejections) and may_import:
            pick = st.selectbox("Rejected rows of batch", with_rejections["id"].tolist(), key="sites_batch_pick",
                                format_func=lambda b: f"{b}: {with_rejections.set_index('id').loc[b, 'file_name']}")
            SA.traced_download("Download its rejected rows (CSV)", member, db,
                               lambda: SV.rejections_csv(visible_rejections(member, db, pick)).encode("utf-8"),
                               "csv", file_name=f"rejected rows - batch {pick}.csv", mime="text/csv",
                               key="sites_dl_batch_rejections",
                               selection={"page": "sites", "rejections_of_batch": pick},
                               rows=int(with_rejections.set_index("id").loc[pick, "rejected"]), site_level=True)

# --- export: the ward measures table, site records (by role), the council's map and briefing ------
if has_sites and not state.present:
    role = member.role  # the signed-in member's role (geo.access), not a server-wide setting
    single = lad_pick != ALL
    area = ER.area_slug(lad_code=lad_pick, lad_name=names[lad_pick]) if single else "all-authorities"
    ward_cols = [c for c in SV.WARD_TABLE_LABELS if c in shown.columns and c != "residents"]
    ward_cols.insert(ward_cols.index("ward_code") if "ward_code" in ward_cols else len(ward_cols), "population")
    tables = [
        ex.ExportTable("ward-measures", f"Wards and 1:200 ({len(shown):,} wards)", shown, "ward", period=as_at,
                       area=area, columns=tuple(ward_cols), site_derived=True,
                       title=f"Wards of {where} against 1:200 from site records, as at {as_at.isoformat()}"),
        ex.ExportTable("sites", f"Site records ({len(sites):,})", sites, "site", period=as_at, area=area,
                       site_derived=True, title=f"Site records in {where}, as at {as_at.isoformat()}"),
    ]
    snap = None
    if single and day is None:  # ward maps are drawn from the records open on the day made (today)
        snap = ER.MapRequest(measure="limit_used", period=model.latest_period, made_on=ex.today(), level="ward",
                             lad_code=lad_pick, lad_name=names[lad_pick], method=state.classes)
    pack_sites, pack_note = ER.briefing_sites(role, sites if single and day is None else None)
    ex.export_panel(
        model, key="sites", snapshot=snap, tables=tables, ward_measures=wtable if snap is not None else None,
        snapshot_note="Wards coloured by dispersal against 1:200 from these records (small counts suppressed); "
                      "sites themselves are not drawn.",
        briefing=ER.BriefingRequest(period=model.latest_period, made_on=ex.today(), lad_code=lad_pick,
                                    lad_name=names[lad_pick], with_sites=pack_sites is not None,
                                    ward_figures=True) if single and day is None else None,
        briefing_sites=pack_sites, briefing_ward_measures=wtable if single and day is None else None,
        briefing_note=pack_note,
        note=None if single and day is None else
        "Choose one authority (and today's records) for a map snapshot and a briefing pack.")

# --- sources -------------------------------------------------------------------------------------------
sources = ["ward_boundaries", "ward_lad_lookup", "ward_population", "reg02"]
if summary.has_illustrative:
    sources.append("asy_d11")
note = SV.sources_note(db, summary.batches) + f" Store file: {db}. Wards joined on {vintage}."
if summary.has_illustrative:
    note += f" {SV.ILLUSTRATIVE_LABEL}: sample totals from Asy_D11, latest quarter."
shell.footer(model, tuple(s for s in sources if s in model.provenance), None, note=escape(note))
shell.save_state(state, PAGE)
