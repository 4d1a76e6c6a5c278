"""Check a proposed property: before it is procured, where would its ward and council stand, what is
around it, and what should the council say? Then keep the proposal in the register and answer it.

Thin on purpose: widgets and layout only. Every figure comes from ``geo.check`` through
``ui.check`` (the same functions as ``python -m geo check``); site records are read only through
``geo.access`` (officers of the council and partnership members under a sharing agreement).
"""
from __future__ import annotations

from datetime import date, timedelta

import streamlit as st  # noqa: E402

from geo import text  # noqa: E402
from geo.access.imports import discard  # noqa: E402
from geo.access.manage import check_lookup_url, postcode_lookup  # noqa: E402
from geo.access.members import Action, require  # noqa: E402
from geo.check import actions  # noqa: E402
from geo.check.evaluate import DECISIONS  # noqa: E402
from geo.check.register import DEFAULT_RESPONSE_DAYS, Register  # noqa: E402
from geo.check.settings import PROPOSAL_TYPES, RADII_M, CheckSettings  # noqa: E402
from geo.errors import GeoError  # noqa: E402
from geo.render.response import build_response, is_illustrative_answer, trace_document  # noqa: E402
from geo.sites.geocode import make_geocoder  # noqa: E402
from geo.sites.readers import SUPPORTED  # noqa: E402
from ui import check as UC  # noqa: E402
from ui import (
    shell,  # noqa: E402
    tables,
)
from ui.sites import save_upload  # noqa: E402

MAP_HEIGHT = 520

model = shell.require_model()
state = shell.load_state(model)
shell.chrome(state)
st.title("Check a proposed property")
st.caption("Before a property or hotel is procured: its ward and council against the 1:200 limit now and "
           "with it, what is already around it, and a recommendation with the rule that produced it.")
if model.wards is None:
    st.error("The check places a property in its ward, and no ward boundaries are loaded.")
    st.stop()

db = shell.sites_db(model)
try:
    member = UC.current_member(db)
    sites = UC.visible_site_records(member, db)
except GeoError as exc:
    st.error(str(exc))
    st.stop()
register = Register(db)
organisation = member.org_code
settings = register.settings(organisation)
ctx = UC.context(model, sites, settings)
st.caption(f"Signed in as {member.email} ({organisation}). {len(sites):,} site records you may see. "
           f"Council figures {text.as_at(ctx.period)}.")

with st.sidebar.expander("Postcodes", expanded=False):
    nspl = st.text_input("ONS postcode directory (NSPL/ONSPD CSV): its path on the server", key="check_nspl")
    lookup = postcode_lookup(db, "https://api.postcodes.io")  # an admin setting, as on the Sites page
    online = st.checkbox(f"Allow online postcode lookup at {lookup}", value=False, key="check_online",
                         help="Off by default: postcodes are sent to this service. Admins set its address.")
try:
    geocoder = make_geocoder(nspl or None, check_lookup_url(lookup) if online else None)
except GeoError as exc:
    st.sidebar.error(str(exc))
    geocoder = make_geocoder(nspl or None, None)

single_tab, list_tab, register_tab, rules_tab = st.tabs(
    ["One property", "A provider's list", "Register", "Rules"])


def show_answer(answer: dict, key: str, results: list[dict] | None = None) -> None:
    kind, sentence = UC.headline(answer)
    getattr(st, kind)(sentence)
    for why in UC.other_reasons(answer):
        st.markdown(f"- **Also:** {why}")
    st.caption(f"Rule: {answer['rule']}")
    if answer["counted_together"]:
        st.caption(answer["counted_together"])
    if results:
        map_col, key_col = st.columns([4, 1])
        map_col.pydeck_chart(UC.check_deck(results, model.wards), height=MAP_HEIGHT, key=f"check_map_{key}")
        key_col.markdown(UC.check_legend(results), unsafe_allow_html=True)
    left, right = st.columns([3, 2])
    # Small tables that wrap (st.table): in a column's width a grid cut the evidence and "Distance (m)" off.
    left.table(tables.readable(UC.evidence_table(answer))[0], hide_index=True)
    right.table(tables.readable(UC.around_table(answer))[0], hide_index=True)
    right.table(tables.readable(UC.nearby_table(answer))[0], hide_index=True)
    st.caption(answer["sources"])


def keep_form(results: list[dict], key: str) -> None:
    with st.form(f"keep_{key}"):
        st.markdown("**Keep in the register**")
        c1, c2, c3 = st.columns(3)
        provider = c1.text_input("Proposed by (provider)")
        received = c2.date_input("Received", value=date.today(), format="DD/MM/YYYY")
        deadline = c3.date_input("Response due", value=date.today() + timedelta(days=DEFAULT_RESPONSE_DAYS),
                                 format="DD/MM/YYYY")
        if st.form_submit_button(f"Keep {len(results)} proposal{'s' if len(results) != 1 else ''}"):
            try:
                ids = [register.add({**a, "reference": UC.keep_reference(a)}, organisation=organisation,
                                    entered_by=member.email,
                                    provider=provider or None, received=received, deadline=deadline,
                                    settings=settings) for a in results]
                st.success(f"Kept as proposal{'s' if len(ids) != 1 else ''} {', '.join(map(str, ids))}.")
            except GeoError as exc:
                st.error(str(exc))


with single_tab:
    with st.form("check_one"):
        how = st.radio("Where", UC.WHERE_CHOICES, horizontal=True)
        c1, c2 = st.columns(2)
        first = c1.text_input("Latitude / easting / postcode / site reference", key="check_first")
        second = c2.text_input("Longitude / northing (for coordinates)", key="check_second")
        c3, c4, c5 = st.columns(3)
        site_type = c3.selectbox("Type", PROPOSAL_TYPES)
        people = c4.number_input("Bed spaces or people", min_value=1, value=4, step=1, key="check_people")
        address = c5.text_input("Address (optional)")
        asked = st.form_submit_button("Check")
    if asked:
        try:
            where = UC.where_from_form(how, first, second)
            st.session_state["check_single"] = UC.run_single(ctx, site_type=site_type, people=int(people),
                                                             address=address or None, geocoder=geocoder, **where)
        except GeoError as exc:
            st.session_state.pop("check_single", None)  # the earlier answer and its Keep form go with it
            st.error(str(exc))
    result = st.session_state.get("check_single")
    if result is not None:
        for problem in result.rejected:
            st.error(f"Cannot place this property: {problem['reason']}")
        if result.results:
            show_answer(result.results[0], "one", result.results)
            keep_form(result.results, "one")

with list_tab:
    st.markdown("Upload a provider's list (CSV or Excel). Proposals in one list are **counted together**, in "
                "list order: ten properties in one ward are judged as ten.")
    upload = st.file_uploader("Provider's list", type=[s.lstrip(".") for s in SUPPORTED if s != ".gpkg"],
                              key="check_upload")
    default_type = st.selectbox("Type for rows that give none", ["(none: reject them)", *PROPOSAL_TYPES])
    if upload is not None and st.button("Check the list"):
        path = save_upload(upload.name, upload.getvalue())
        try:
            st.session_state["check_list"] = UC.run_list(
                ctx, path, geocoder=geocoder, default_type=None if default_type.startswith("(") else default_type)
        except GeoError as exc:
            st.error(str(exc))
        finally:
            discard(path)  # a provider's list names addresses: it does not stay on the server
    listed = st.session_state.get("check_list")
    if listed is not None:
        st.write(f"{len(listed.results)} placed, {len(listed.rejected)} rejected.")
        tables.dataframe(st, UC.results_table(listed), hide_index=True, width="stretch")
        if listed.rejected:
            st.markdown("**Rows that could not be placed**")
            tables.dataframe(st, UC.rejected_table(listed), hide_index=True, width="stretch")
        if listed.results:
            st.pydeck_chart(UC.check_deck(listed.results, model.wards), height=MAP_HEIGHT, key="check_map_list")
            keep_form(listed.results, "list")
        c1, c2 = st.columns(2)
        try:
            c1.download_button("Answers (CSV)", UC.stamped(member, db, UC.results_csv(listed), "csv",
                                                           len(listed.results)),
                               file_name="property check answers.csv", mime="text/csv")
            c2.download_button("Answers (Excel)", UC.stamped(member, db, UC.results_xlsx(listed), "xlsx",
                                                             len(listed.results)),
                               file_name="property check answers.xlsx")
        except GeoError as exc:
            st.caption(f"Exports: {exc}")

with register_tab:
    table = UC.register_table(register, organisation, wards=model.wards)
    overdue = UC.overdue_count(table)
    if overdue:
        st.warning(f"{overdue} proposal{'s are' if overdue != 1 else ' is'} overdue: the response date has passed "
                   "with no decision.")
    if table.empty:
        st.info("No proposals kept yet. Check a property and keep it.")
    else:
        st.dataframe(UC.highlight_overdue(table), hide_index=True, width="stretch")
        chosen = st.selectbox("Proposal", table["No."].tolist(), key="check_register_pick",
                              format_func=lambda n: UC.proposal_label(table, n))
        with st.form("decide"):
            c1, c2 = st.columns([1, 3])
            decision = c1.selectbox("Decision", DECISIONS, index=UC.decision_index(table, chosen, DECISIONS),
                                    key=f"check_decision_{chosen}")
            reason = c2.text_input("Reason")
            if st.form_submit_button("Record the decision"):
                try:
                    actions.decide(register, member, int(chosen), decision, reason)
                    st.success("Recorded. Earlier decisions stay in the history.")
                except GeoError as exc:
                    st.error(str(exc))
        tables.dataframe(st, UC.history_table(register, int(chosen)), hide_index=True, width="stretch")
        c1, c2, c3 = st.columns(3)
        status = c1.selectbox("Procured as", ["planned", "open"])
        if c1.button("Record as procured (becomes a site record)"):
            try:
                done = actions.procure(register, member, int(chosen), wards=model.wards, status=status)
                message = f"Site {done.site_reference} recorded as {done.status}."
                (st.error if done.after_objection else st.success)(
                    message + (" Flagged: procured after the council objected." if done.after_objection else ""))
            except GeoError as exc:
                st.error(str(exc))
        for fmt, label, col in (("pdf", "Response (PDF)", c2), ("docx", "Response (Word)", c3)):
            try:
                data = trace_document(build_response(register, int(chosen), model.wards, fmt, made_by=member.email),
                                      fmt, member=member, db=db, proposal_id=int(chosen),
                                      illustrative=is_illustrative_answer(register, int(chosen))) \
                    if col.button(f"Make {label}", key=f"make_{fmt}") else None
            except GeoError as exc:
                col.caption(str(exc))
                data = None
            if data:
                col.download_button(f"Download {label}", data, file_name=f"consultation response {chosen}.{fmt}")

with rules_tab:
    st.markdown("The rules this council applies, in order. They are kept per organisation; earlier versions "
                "stay on record.")
    for line in settings.describe():
        st.markdown(f"- {line}")
    with st.form("rules"):
        c1, c2 = st.columns(2)
        values = {
            "object_ward_over": c1.checkbox("Object when the ward is or would go over 1:200",
                                            settings.object_ward_over),
            "object_council_over": c1.checkbox("Object when the council is or would go over 1:200",
                                               settings.object_council_over),
            "object_hotel_in_ward": c1.checkbox("Object to a hotel in a ward with a hotel",
                                                settings.object_hotel_in_ward),
            "conditions_no_estimate": c1.checkbox("Conditions where the ward has no population estimate",
                                                  settings.conditions_no_estimate),
            "count_all_types": c1.checkbox("Count every type toward 1:200 (not only dispersed)",
                                           settings.count_all_types),
            "concentration_radius_m": c2.selectbox("Concentration radius (m)", RADII_M,
                                                   index=RADII_M.index(settings.concentration_radius_m)),
            "max_sites_nearby": c2.number_input("Most sites within the radius", 0, 1000, settings.max_sites_nearby),
            "max_people_nearby": c2.number_input("Most people within the radius", 0, 10000,
                                                 settings.max_people_nearby),
            "conditions_headroom_share": c2.slider("Conditions when less than this share of the ward limit is left",
                                                   0.0, 0.5, float(settings.conditions_headroom_share), 0.05),
        }
        if st.form_submit_button("Save the rules"):
            try:
                require(member, Action.SETTINGS)
                register.save_settings(organisation, CheckSettings.from_dict(values), member.email)
                st.success("Saved. New checks use these rules; answers already kept keep the rules of their day.")
            except GeoError as exc:
                st.error(str(exc))
