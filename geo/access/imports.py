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
        audit.record(store, member, "import", {"file": path.name, "sha256": result.sha256, "batch": result.batch,
                                               "read": result.read, "accepted": result.accepted,
                                               "rejected": result.rejected, "duplicate": result.duplicate,
                                               "outcome": "imported"})
        return result
    finally:
        if remove_after:
            discard(path)


def discard(path: str | Path) -> None:
    """Delete a temporary upload, and its folder when it is one of ours (``aam-upload-*``, ``aam-sample-*``)."""
    path = Path(path)
    path.unlink(missing_ok=True)
    if path.parent.name.startswith(("aam-upload-", "aam-sample-")):
        with contextlib.suppress(OSError):  # not empty: something else of the person's is there; leave it
            path.parent.rmdir()
