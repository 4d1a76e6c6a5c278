"""Imports made by a member: allowed for admins, recorded against the member and their organisation
(never the server's login), written to the audit log whatever the outcome, and the uploaded file
removed afterwards when it was a temporary upload.
"""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from geo.access import audit
from geo.access.manage import check_lookup_url, postcode_lookup
from geo.access.members import AccessDenied, Action, Member, require
from geo.access.storage import AccessStore
from geo.errors import GeoError


def import_as(member: Member, path: str | Path, db: str | Path, wards, *, online_lookup: bool = False,
              online_lookup_url: str | None = None, remove_after: bool = False, **kwargs: Any):
    """``geo.sites.importer.import_sites`` as ``member``; the batch belongs to their organisation.

    ``online_lookup`` uses the admin-set postcode lookup address, ``online_lookup_url`` (the command
    line's) another; either must be https unless on loopback.
    ``remove_after`` deletes ``path`` when the import ends, whatever the outcome (uploads).
    """
    from geo.sites.importer import import_sites

    path = Path(path)
    store = AccessStore(db)
    try:
        try:
            require(member, Action.IMPORT)
        except AccessDenied as exc:
            audit.record(store, member, "refused", {"what": "import", "file": path.name, "why": str(exc)})
            raise
        url = online_lookup_url or (postcode_lookup(store) if online_lookup else None)
        url = check_lookup_url(url) if url else None
        try:
            result = import_sites(path, db, wards, imported_by=member.email, organisation=member.org_code,
                                  online_lookup_url=url, **kwargs)
        except GeoError as exc:
            audit.record(store, member, "import", {"file": path.name, "outcome": "failed", "why": str(exc)})
            raise
        elsewhere = outside_own_area(member, result.authorities)
        if elsewhere:
            result.warnings.append(elsewhere)
        audit.record(store, member, "import", {"file": path.name, "sha256": result.sha256, "batch": result.batch,
                                               "read": result.read, "accepted": result.accepted,
                                               "rejected": result.rejected, "duplicate": result.duplicate,
                                               "outcome": "imported", **({"warning": elsewhere} if elsewhere else {})})
        return result
    finally:
        if remove_after:
            discard(path)


def outside_own_area(member: Member, authorities: dict[str, int]) -> str | None:
    """A warning when a council's import placed records in other councils' areas: they are recorded
    under the importing council's name, so an admin importing another council's file (or a file with
    wrong coordinates) is told at once, and the audit row keeps it. Other organisations cover areas
    not listed by authority, so nothing is said for them."""
    own = set(member.organisation.lad_codes)
    if member.organisation.kind != "council" or not own:
        return None
    others = {lad: n for lad, n in sorted(authorities.items()) if lad not in own}
    if not others:
        return None
    total = sum(others.values())
    return (f"{total:,} record{'s' if total != 1 else ''} of this file lie outside {member.organisation.name}'s "
            f"area (in {', '.join(f'{lad}: {n:,}' for lad, n in others.items())}) but are recorded under "
            f"{member.org_code}: check that the file is yours and its positions are right")


def discard(path: str | Path) -> None:
    """Delete a temporary upload, and its folder when it is one of ours (``aam-upload-*``, ``aam-sample-*``)."""
    path = Path(path)
    path.unlink(missing_ok=True)
    if path.parent.name.startswith(("aam-upload-", "aam-sample-")):
        with contextlib.suppress(OSError):  # not empty: something else of the person's is there; leave it
            path.parent.rmdir()
