"""Audit page: read, filter and download the audit log; check its hash chain (admins only)."""
from __future__ import annotations

from datetime import date, timedelta

import streamlit as st

from geo.access import audit
from geo.access.members import Action
from geo.access.tracing import stamp_export
from geo.cells import safe_csv
from ui import access_view as AV
from ui import auth, tables

me = auth.member()
db = auth.store_path()
if me is None or not me.may(Action.READ_AUDIT):
    st.error("This page is for administrators.")
    st.stop()

st.markdown("# Audit log")
verdict = audit.verify(db)
(st.success if verdict.ok else st.error)(verdict.sentence()[:1].upper() + verdict.sentence()[1:] + ".")
everything = AV.audit_table(db, me)
c1, c2, c3, c4 = st.columns(4)
who = c1.selectbox("Member", ["", *sorted(everything["member"].unique())], key="aam_audit_member",
                   format_func=lambda v: v or "Everyone")
org = c2.selectbox("Organisation", ["", *sorted(everything["organisation"].unique())], key="aam_audit_org",
                   format_func=lambda v: v or "Every organisation", disabled=not AV.sees_all(me))
action = c3.selectbox("Action", ["", *audit.ACTIONS], key="aam_audit_action", format_func=lambda v: v or "Any action")
days = c4.date_input("Between", value=(date.today() - timedelta(days=30), date.today()), key="aam_audit_days",
                     format="DD/MM/YYYY")
start, end = (days[0], days[-1]) if isinstance(days, tuple) and days else (None, None)
rows = AV.audit_table(db, me, who=who or None, organisation=org or None, action=action or None, start=start, end=end)
st.caption(f"{len(rows):,} rows, newest first.")
shown = rows[list(AV.AUDIT_LABELS)].rename(columns=AV.AUDIT_LABELS)
tables.dataframe(st, shown, hide_index=True, key="aam_audit_table", height=520)
if st.button("Prepare a download of these rows (CSV)", key="aam_audit_prepare"):
    data = stamp_export(db, me, safe_csv(rows, index=False).encode("utf-8"), "csv",
                        selection={"page": "audit", "member": who, "organisation": org, "action": action,
                                   "start": start, "end": end}, rows=len(rows))
    st.download_button("Download the audit rows (CSV)", data, file_name="audit-log.csv", mime="text/csv",
                       key="aam_audit_download", icon=":material/download:")
