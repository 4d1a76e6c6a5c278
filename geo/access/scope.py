"""THE way site records are read: every page, export and command asks here with the member.

Why one function: a check in each widget is a check some widget forgets. ``visible_sites`` takes
the member and returns only the site records they may see (their own organisation's, and those
shared with it under an agreement in force today), and writes the audit row for the view.
Viewers get no site rows at all; ``aggregate_sites`` gives the rows a ward table is computed
from, on the server, for organisations that share aggregates.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from geo.access import audit
from geo.access.agreements import sharing_with
from geo.access.members import AccessDenied, Action, Member, require
from geo.access.storage import AccessStore
from geo.errors import GeoError

OWNER = "organisation"  # the column of every site record naming the organisation that imported it


@dataclass(frozen=True)
class SiteScope:
    """What one member may see today: site rows from ``site_orgs``, aggregates from ``aggregate_orgs``.
    ``everything`` is the desktop mode (the whole file is the person's own)."""

    member: Member
    site_orgs: frozenset[str]
    aggregate_orgs: frozenset[str]
    everything: bool = False

    @property
    def may_view_sites(self) -> bool:
        return self.member.may(Action.VIEW_SITES)

    @property
    def may_export_sites(self) -> bool:
        return self.member.may(Action.EXPORT_SITES)

    @property
    def key(self) -> tuple[str, ...]:
        """For cache keys: caches are shared by every user, so the scope must be in the arguments."""
        return ("*",) if self.everything else tuple(sorted(self.site_orgs)) + ("|",) + tuple(
            sorted(self.aggregate_orgs))


def _store(db: str | Path | AccessStore) -> AccessStore:
    return db if isinstance(db, AccessStore) else AccessStore(db)


def site_scope(member: Member, db: str | Path | AccessStore, today: date | None = None) -> SiteScope:
    """The organisations whose records ``member`` may see on ``today`` (checked at every read)."""
    today = today or date.today()
    if member.organisation.kind == "local":
        return SiteScope(member, frozenset({member.org_code}), frozenset({member.org_code}), everything=True)
    agreements = _store(db).agreements()
    own = frozenset({member.org_code})
    sites = own | sharing_with(agreements, member.org_code, "sites", today) if member.may(Action.VIEW_SITES) \
        else frozenset()
    aggregates = own | sharing_with(agreements, member.org_code, "aggregates", today)
    return SiteScope(member, sites, aggregates)


def _orgs(scope: SiteScope, which: str) -> frozenset[str] | None:
    """The organisations to read (None: all, the desktop mode's whole file)."""
    return None if scope.everything else getattr(scope, which)


def _site_store(db: str | Path):
    from geo.sites.store import SiteStore

    return SiteStore(db)


def _viewing_scope(member: Member, store: AccessStore, today: date | None,
                   selection: dict[str, Any] | None) -> SiteScope:
    """``member``'s scope for reading site rows; a refusal (viewers) is written to the log first."""
    try:
        require(member, Action.VIEW_SITES)
    except AccessDenied as exc:
        audit.record(store, member, "refused", {"what": "view_sites", "selection": selection or {},
                                                "why": str(exc)})
        raise
    return site_scope(member, store, today)


def sites_in(scope: SiteScope, db: str | Path, *, as_at: date | None = None, which: str = "site_orgs"):
    """Site rows within a scope ``site_scope`` made (``which``: its site or aggregate organisations),
    for a page's cached re-read whose view is recorded by its caller: pages read here, not the store."""
    return _site_store(db).current_sites(as_at, organisations=_orgs(scope, which))


def history_in(scope: SiteScope, db: str | Path) -> pd.DataFrame:
    """Every version of the sites within ``scope`` (acquisitions judged against their ward then)."""
    return _site_store(db).site_history(organisations=_orgs(scope, "site_orgs"))


def visible_sites(member: Member, db: str | Path, *, as_at: date | None = None, today: date | None = None,
                  selection: dict[str, Any] | None = None, record: bool = True):
    """Current (or ``as_at``) site records ``member`` may see, as a GeoDataFrame with ``organisation``.

    Raises AccessDenied for a role without site access (viewers), after writing a 'refused' row.
    Writes a 'view_sites' audit row with the selection and row count unless ``record`` is False
    (for a re-read the caller has already recorded).
    """
    store = _store(db)
    scope = _viewing_scope(member, store, today, selection)
    sites = sites_in(scope, db, as_at=as_at)
    if record:
        audit.record(store, member, "view_sites", {"selection": selection or {}, "as_at": as_at,
                                                   "rows": int(len(sites)),
                                                   "organisations": sorted(set(sites[OWNER]))})
    return sites


def visible_site_chunks(member: Member, db: str | Path, *, as_at: date | None = None, today: date | None = None,
                        selection: dict[str, Any] | None = None, rows: int | None = None) -> Iterator[pd.DataFrame]:
    """:func:`visible_sites` a chunk at a time (frames of at most ``rows`` rows, no geometry), for
    exports whose memory must not grow with the number of sites.

    The same checks and scope, made when called (a viewer is refused before any row is read); the
    'view_sites' audit row is written when the reading ends, with the rows read.
    """
    store = _store(db)
    scope = _viewing_scope(member, store, today, selection)
    site_store = _site_store(db)
    chunks = site_store.current_site_chunks(as_at, organisations=_orgs(scope, "site_orgs"),
                                            **({} if rows is None else {"rows": rows}))

    def read() -> Iterator[pd.DataFrame]:
        count, seen = 0, set()
        try:
            for chunk in chunks:
                count += len(chunk)
                seen.update(chunk[OWNER])
                yield chunk
        finally:  # a reader that stops early has still seen what it read
            audit.record(store, member, "view_sites", {"selection": selection or {}, "as_at": as_at,
                                                       "rows": count, "organisations": sorted(seen)})
    return read()


def visible_history(member: Member, db: str | Path, today: date | None = None) -> pd.DataFrame:
    """Every version of the sites ``member`` may see (for judging acquisitions against their ward then)."""
    store = _store(db)
    require(member, Action.VIEW_SITES)
    return history_in(site_scope(member, store, today), db)


def aggregate_sites(member: Member, db: str | Path, *, as_at: date | None = None, today: date | None = None):
    """Site rows for computing ward aggregates on the server (never for sending to a browser):
    the member's organisation and those sharing at least aggregates with it."""
    store = _store(db)
    scope = site_scope(member, store, today)
    return sites_in(scope, db, as_at=as_at, which="aggregate_orgs")


def visible_batches(member: Member, db: str | Path, today: date | None = None) -> pd.DataFrame:
    """The imports ``member`` may list (file names, counts, who ran them): their organisation's and
    those sharing at least aggregates with it."""
    scope = site_scope(member, _store(db), today)
    return _site_store(db).list_batches(organisations=_orgs(scope, "aggregate_orgs"))


def visible_rejections(member: Member, db: str | Path, batch_id: int) -> pd.DataFrame:
    """The rejected rows (addresses included) of one import: importers (admins) of the owning
    organisation only; the download is written to the audit log."""
    store = _store(db)
    orgs = None if member.organisation.kind == "local" else (member.org_code,)
    try:
        require(member, Action.IMPORT)
        _site_store(db).batch(batch_id, organisations=orgs)  # another organisation's batch: 'no batch'
    except GeoError as exc:
        audit.record(store, member, "refused", {"what": "rejections", "batch": int(batch_id), "why": str(exc)})
        raise AccessDenied(f"{member.email} may not download the rejected rows of batch {batch_id}: {exc}") from exc
    frame = _site_store(db).rejections(batch_id, organisations=orgs)
    audit.record(store, member, "rejections_download", {"batch": int(batch_id), "rows": int(len(frame))})
    return frame
