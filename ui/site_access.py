"""The Sites page's link to ``geo.access``: what this member may see, the viewer's aggregate-only
view, traced downloads and imports as the signed-in member.

Why here: pages stay thin, and every site-level surface of the app (table, map, tooltips, heat
layer, downloads) is fed from ``geo.access.scope`` with the member of this browser session, so a
viewer's browser never receives a site row and each file that leaves is stamped and logged.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from geo import disclosure, text
from geo.access import tracing
from geo.access.members import Member
from geo.access.scope import SiteScope, aggregate_sites, site_scope

WARD_COUNTS = ("hotel_people", "dispersed_people", "dispersed_sites", "properties_acquired")
# Figures that give a hidden dispersed count back.
FROM_DISPERSED = ("limit_used", "headroom", "against_limit", "status")


def scope_of(member: Member, db: str | Path) -> SiteScope:
    """This member's scope today (checked on every run: an expired agreement stops access at once)."""
    return site_scope(member, db)


def scope_arg(scope: SiteScope, which: str = "site_orgs") -> tuple[str, ...] | None:
    """Organisations for a cached read (None: the desktop mode's whole file). Caches are shared by
    every user, so this must be one of the cached function's arguments."""
    return None if scope.everything else tuple(sorted(getattr(scope, which)))


def suppressed_ward_table(table: pd.DataFrame, earlier: Sequence[pd.DataFrame] = ()) -> pd.DataFrame:
    """Ward figures from site records as a viewer may see them: counts of 1 to 4 (and the next
    smallest where one alone would be hidden) shown as [c], with what gives them back. ``earlier``:
    the same table at the store's earlier dates, oldest first; a cell hidden then and unchanged
    stays hidden now (``geo.disclosure.suppress_series``), so today's table beside an earlier one
    gives nothing back."""
    if table.empty:
        return table
    counts = [c for c in WARD_COUNTS if c in table.columns]
    found = disclosure.suppress_series([*[t for t in earlier if not t.empty], table], counts=counts)[-1]
    out = found.as_text()
    if "dispersed_people" in found.mask.columns:
        hidden = found.mask["dispersed_people"]
        for col in FROM_DISPERSED:
            if col in out.columns:
                out[col] = out[col].astype(object).where(~hidden, disclosure.SUPPRESSED)
    return _text_columns(out)


def _cell_text(value: object) -> str:
    """One cell of a column that holds [c]: numbers written as the page writes them."""
    if isinstance(value, str):
        return value
    whole = value is not None and not pd.isna(value) and float(value).is_integer()  # type: ignore[arg-type]
    return text.number(value, 0 if whole else 2, missing="")


def _text_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """A column that mixes numbers and [c] goes to the browser as text (Arrow needs one type)."""
    for col in frame.columns:
        if frame[col].dtype == object and (frame[col] == disclosure.SUPPRESSED).any():
            frame[col] = frame[col].map(_cell_text)
    return frame


def viewer_wards(member: Member, db: str | Path, wards: pd.DataFrame,
                 ward_table: Callable[..., pd.DataFrame]) -> pd.DataFrame:
    """The suppressed ward table for a viewer, computed on the server from the records their
    organisation holds or receives as aggregates; no site row is returned."""
    sites = aggregate_sites(member, db)
    if sites.empty:
        return pd.DataFrame()

    def table_of(frame: pd.DataFrame) -> pd.DataFrame:
        return ward_table(pd.DataFrame(frame.drop(columns="geometry")), wards, only_with_sites=True)

    earlier = [table_of(aggregate_sites(member, db, as_at=day)) for day in store_dates(member, db)]
    return suppressed_ward_table(table_of(sites), earlier)


def store_dates(member: Member, db: str | Path) -> list[date]:
    """The dates the files imported into the member's aggregate scope describe, oldest first: each
    was once the store's current state, so its ward table was once published to viewers."""
    from geo.sites.store import SiteStore

    scope = site_scope(member, db)
    batches = SiteStore(db).list_batches(organisations=None if scope.everything else scope.aggregate_orgs)
    return sorted({date.fromisoformat(str(d)[:10]) for d in batches["data_as_at"].dropna()})


def traced_download(label: str, member: Member, db: str | Path, make: Callable[[], bytes], fmt: str, *,
                    file_name: str, mime: str, key: str, selection: dict[str, Any], rows: int,
                    site_level: bool, illustrative: bool = False, **button: Any) -> None:
    """A download button whose file is made, stamped and logged when it is clicked (not on every run)."""
    def data() -> bytes:
        return tracing.stamp_export(db, member, make(), fmt, selection=selection, rows=rows,
                                    site_level=site_level, illustrative=illustrative)

    st.download_button(label, data, file_name=file_name, mime=mime, key=key, **button)


def record_view(member: Member, db: str | Path, selection: dict[str, Any], rows: int) -> None:
    """One 'view_sites' audit row each time this session's selection of site records changes
    (not on every rerun: a widget click reruns the page without showing anything new)."""
    from geo.access import audit

    mark = (member.email, tuple(sorted((k, str(v)) for k, v in selection.items())))
    if st.session_state.get("aam_last_site_view") == mark:
        return
    audit.record(db, member, "view_sites", {"selection": selection, "rows": int(rows)})
    st.session_state["aam_last_site_view"] = mark


# Columns that identify or place a site: never sent to a member who may not view site records.
IDENTIFYING = ("reference", "name", "address", "postcode", "provider", "notes", "source_row", "version_id")
POSITION = ("latitude", "longitude", "easting", "northing")


def aggregate_only(sites: pd.DataFrame | None) -> pd.DataFrame | None:
    """Site rows reduced to what ward figures are computed from (type, people, dates, ward): no name,
    address or position, so no page can draw, name or list a site from them."""
    if sites is None:
        return None
    out = sites.drop(columns=[c for c in IDENTIFYING if c in sites.columns])
    out = out.assign(**{c: float("nan") for c in POSITION if c in out.columns})  # unplaced: never drawn
    out.attrs["aggregate_only"] = True
    return out


def scope_has_sample(member: Member, db: str | Path) -> bool:
    """Whether the records this member's figures come from include the illustrative sample, so an
    export drawn from them says so even when no site row is in it (ward figures, maps, the pack)."""
    from geo.access.tracing import ILLUSTRATIVE

    if not Path(db).is_file():
        return False
    from geo.sites.store import SiteStore

    scope = scope_of(member, db)
    batches = SiteStore(db).list_batches(organisations=scope_arg(scope, "aggregate_orgs"))
    return bool(batches["file_name"].astype(str).str.contains(ILLUSTRATIVE, regex=False).any())
