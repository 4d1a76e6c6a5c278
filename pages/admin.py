"""Admin page: members, organisations, sharing agreements and settings (admins only).

Thin: every change goes through ``geo.access.manage`` (which checks the member again and writes
the audit row); tables come from ``ui.access_view``.
"""
from __future__ import annotations

from datetime import date, timedelta

import streamlit as st

from geo.access import manage
from geo.access.members import KINDS, Action
from geo.disclosure import Role
from geo.errors import GeoError
from ui import access_view as AV
from ui import auth, tables

me = auth.member()
db = auth.store_path()
if me is None or not me.may(Action.MANAGE):
    st.error("This page is for administrators.")
    st.stop()


def _done(action, *args, ok: str) -> None:
    """Run one change; one line on failure (the server log keeps any traceback)."""
    try:
        action(db, me, *args)
    except GeoError as exc:
        st.error(str(exc))
    else:
        st.success(ok)


st.markdown("# Administration")
st.caption(f"You are an admin of {me.organisation.name} ({me.org_code}). Every change here is written to the "
           "audit log.")
members_tab, orgs_tab, agreements_tab, settings_tab = st.tabs(["Members", "Organisations", "Agreements",
                                                               "Settings"])

with members_tab:
    with st.form("aam_grant", clear_on_submit=True):
        c1, c2, c3 = st.columns([2, 1.2, 1])
        email = c1.text_input("E-mail (as the identity provider sends it)")
        org = c2.text_input("Organisation code", value=me.org_code if me.organisation.kind != "local" else "")
        role = c3.selectbox("Role", [r.value for r in Role], index=0)
        if st.form_submit_button("Add or change member", type="primary"):
            _done(manage.grant, email, org.strip(), role, ok=f"{email} is now {role} of {org}.")
    table = AV.members_table(db, me)
    tables.dataframe(st, table, hide_index=True, key="aam_members")
    if len(table):
        r1, r2 = st.columns([2, 1], vertical_alignment="bottom")
        gone = r1.selectbox("Remove member", table["email"].tolist(), key="aam_revoke_pick")
        if r2.button("Remove now", key="aam_revoke"):
            _done(manage.revoke, gone, ok=f"{gone} no longer has access.")

with orgs_tab:
    tables.dataframe(st, AV.organisations_table(db), hide_index=True, key="aam_orgs")
    with st.form("aam_org", clear_on_submit=True):
        c1, c2, c3 = st.columns([1, 2, 1])
        code = c1.text_input("Code (a council: its LAD code)")
        name = c2.text_input("Name")
        kind = c3.selectbox("Kind", [k for k in KINDS if k != "local"])
        c4, c5 = st.columns(2)
        lads = c4.text_input("LAD codes (comma-separated)")
        region = c5.text_input("Region (an SMP)")
        if st.form_submit_button("Add or change organisation"):
            from geo.access.members import Organisation

            try:
                org_ = Organisation(code.strip(), name.strip(), kind,
                                    tuple(c.strip().upper() for c in lads.split(",") if c.strip()),
                                    region.strip() or None)
            except GeoError as exc:
                st.error(str(exc))
            else:
                _done(manage.put_organisation, org_, ok=f"Organisation {code} saved.")

with agreements_tab:
    st.caption("An agreement lets another organisation see this one's site records (or only ward aggregates) "
               "until its last day. It stops at once when it expires or is ended.")
    table = AV.agreements_table(db, me)
    tables.dataframe(st, table, hide_index=True, key="aam_agreements")
    with st.form("aam_agree", clear_on_submit=True):
        c1, c2, c3, c4 = st.columns(4)
        from_org = c1.text_input("From (shares)", value=me.org_code if me.organisation.kind != "local" else "")
        to_org = c2.text_input("To (receives)")
        what = c3.selectbox("What", ["sites", "aggregates"])
        until = c4.date_input("Last day", value=date.today() + timedelta(days=365), min_value=date.today(),
                              format="DD/MM/YYYY")
        if st.form_submit_button("Record agreement"):
            _done(manage.agree, from_org.strip(), to_org.strip(), what, until, ok="Agreement recorded.")
    in_force = table[table["in_force"].astype(bool)] if len(table) else table
    if len(in_force):
        e1, e2 = st.columns([2, 1], vertical_alignment="bottom")
        pick = e1.selectbox("End an agreement now", in_force["id"].tolist(), key="aam_end_pick",
                            format_func=lambda i: "{from_org} -> {to_org} ({what})".format(
                                **in_force.set_index("id").loc[i].to_dict()))
        if e2.button("End now", key="aam_end"):
            _done(manage.end_agreement, int(pick), ok=f"Agreement {pick} ended.")

with settings_tab, st.form("aam_settings"):
    url = st.text_input("Online postcode lookup address", value=manage.postcode_lookup(db),
                        help="Postcodes are sent here only when an import allows online lookup. Must be https "
                             "(or on this computer).")
    if st.form_submit_button("Save"):
        _done(manage.set_postcode_lookup, url, ok="Saved.")
