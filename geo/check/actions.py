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

from geo.access import audit
from geo.access.members import Action, Member, require
from geo.check.register import Procured, Register


def decide(register: Register, member: Member, proposal_id: int, decision: str, reason: str, *,
           decided_by: str | None = None) -> int:
    """Record a decision for ``member`` (officers and up); the audit log says who and what."""
    require(member, Action.VIEW_SITES)
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
    done = register.procure(proposal_id, wards=wards, status=status, site_reference=site_reference,
                            procured_on=procured_on, recorded_by=member.email,
                            importer=lambda path: import_as(member, path, register.path, wards,
                                                            postcode_directory=postcode_directory))
    audit.record(register.path, member, "edit", {"what": "procured proposal", "proposal": int(proposal_id),
                                                    "site_reference": done.site_reference, "status": done.status,
                                                    "batch": done.batch, "after_objection": done.after_objection})
    return done
