"""Tables for the Admin and Audit pages, built from ``geo.access`` (no widgets here).

Why separate from the pages: the pages stay thin and these are testable without a browser.
Council and SMP admins see their own organisation's members, agreements and log rows; a
national (hosting) body's admins and the desktop mode's local admin see everything.
"""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd

from geo.access import audit
from geo.access.manage import listing
from geo.access.members import Member

AUDIT_LABELS = {"id": "Row", "at": "When (UTC)", "member": "Member", "organisation": "Organisation",
                "action": "Action", "detail": "What"}


def sees_all(member: Member) -> bool:
    return member.organisation.kind in ("national", "local")


def members_table(db: str | Path, member: Member) -> pd.DataFrame:
    rows = pd.DataFrame(listing(db)["members"], columns=["email", "organisation", "role", "granted_at", "granted_by"])
    if not sees_all(member):
        rows = rows[rows["organisation"] == member.org_code]
    return rows.reset_index(drop=True)


def organisations_table(db: str | Path) -> pd.DataFrame:
    rows = pd.DataFrame(listing(db)["organisations"], columns=["code", "name", "kind", "lad_codes", "region"])
    rows["lad_codes"] = rows["lad_codes"].map(lambda v: ", ".join(v) if isinstance(v, list) else v)
    return rows


def agreements_table(db: str | Path, member: Member, today: date | None = None) -> pd.DataFrame:
    cols = ["id", "from_org", "to_org", "what", "valid_from", "valid_until", "ended_on", "in_force"]
    rows = pd.DataFrame(listing(db, today)["agreements"], columns=cols)
    if not sees_all(member):
        rows = rows[(rows["from_org"] == member.org_code) | (rows["to_org"] == member.org_code)]
    return rows.reset_index(drop=True)


def audit_table(db: str | Path, member: Member, *, who: str | None = None, organisation: str | None = None,
                action: str | None = None, start: date | None = None, end: date | None = None) -> pd.DataFrame:
    """Log rows for the Audit page, newest first, limited to the admin's organisation unless they see all."""
    if not sees_all(member):
        organisation = member.org_code
    rows = pd.DataFrame(audit.read(db, member=who, organisation=organisation, action=action, start=start, end=end),
                        columns=[*AUDIT_LABELS, "prev_hash", "row_hash"])
    rows["detail"] = rows["detail"].map(_detail_text)
    return rows.iloc[::-1].reset_index(drop=True)


def _detail_text(detail: str) -> str:
    """The JSON detail as 'key: value; ...' for reading on screen."""
    try:
        found = json.loads(detail)
    except (TypeError, ValueError):
        return str(detail)
    return "; ".join(f"{k}: {v}" for k, v in found.items() if v not in (None, "", {}, []))
