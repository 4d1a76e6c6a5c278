"""Register changes made by a member: checked against their role and written to the audit log.

The app and the command line both call these, so nobody can record a decision or a procurement
without the right role, and every change leaves an audit row naming who made it. Deciding needs
site access (officers and up); recording a procurement imports a site record, so it needs the
import role, exactly as a site file import does.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from geo.access import audit
from geo.access.members import AccessDenied, Action, Member, require
from geo.check.register import Procured, Register


def _everything(member: Member) -> bool:
    """The desktop mode's local admin: the whole store is theirs."""
    return member.organisation.kind == "local"


def require_own_register(member: Member, organisation: str) -> str:
    """A member adds to, and changes, their own organisation's register only."""
    if not _everything(member) and organisation != member.org_code:
        raise AccessDenied(f"{member.email} may not add to {organisation}'s register (only {member.org_code}'s)")
    return organisation


def own_proposal(register: Register, member: Member, proposal_id: int, what: str) -> dict[str, Any]:
    """The proposal, if it is in ``member``'s organisation's register; otherwise refused (and the
    refusal audited) in words that do not say whether another organisation has it."""
    try:
        found = register.proposal(proposal_id)
        if not _everything(member) and found["organisation"] != member.org_code:
            raise AccessDenied("another organisation's")
    except Exception as exc:
        audit.record(register.path, member, "refused", {"what": what, "proposal": int(proposal_id), "why": str(exc)})
        raise AccessDenied(f"no proposal {proposal_id} in {member.org_code}'s register") from exc
    return found


def visible_proposals(register: Register, member: Member, organisation: str | None = None,
                      today: date | None = None) -> pd.DataFrame:
    """The register a member may read (addresses included): their own organisation's, or one
    sharing site records with it, for members with site access (officers and up)."""
    from geo.access.scope import site_scope

    require(member, Action.VIEW_SITES)
    wanted = organisation or member.org_code
    if not _everything(member) and wanted not in site_scope(member, register.path).site_orgs:
        raise AccessDenied(f"{member.email} may not read {wanted}'s register")
    return register.proposals(wanted, today=today)


def decide(register: Register, member: Member, proposal_id: int, decision: str, reason: str, *,
           decided_by: str | None = None) -> int:
    """Record a decision for ``member`` (officers and up); the audit log says who and what."""
    require(member, Action.VIEW_SITES)
    own_proposal(register, member, proposal_id, "decide on")
    decision_id = register.decide(proposal_id, decision, reason, decided_by or member.email)
    audit.record(register.path, member, "edit", {"what": "proposal decision", "proposal": int(proposal_id),
                                                  "decision": decision, "decided_by": decided_by or member.email})
    return decision_id


def procure(register: Register, member: Member, proposal_id: int, *, wards: Any, status: str = "planned",
            site_reference: str | None = None, procured_on: date | None = None,
            postcode_directory: str | Path | None = None) -> Procured:
    """Record a procurement as a site record, imported as ``member`` (the import role); audited."""
    from geo.access.imports import import_as

    require(member, Action.IMPORT)
    own_proposal(register, member, proposal_id, "procure")
    done = register.procure(proposal_id, wards=wards, status=status, site_reference=site_reference,
                            procured_on=procured_on, recorded_by=member.email,
                            importer=lambda path: import_as(member, path, register.path, wards,
                                                            postcode_directory=postcode_directory))
    audit.record(register.path, member, "edit", {"what": "procured proposal", "proposal": int(proposal_id),
                                                    "site_reference": done.site_reference, "status": done.status,
                                                    "batch": done.batch, "after_objection": done.after_objection})
    return done
