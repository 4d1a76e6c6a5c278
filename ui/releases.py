"""The Sources page's releases panel: is a newer Home Office release out, fetch it (admins), revisions.

The work is in ``geo.releases``; this module only draws it. Checking asks GOV.UK (or the address in
AAM_GOVUK_API) when the user presses the button, never on page load, so the page opens offline.
"""
from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from geo import releases
from geo.errors import GeoError
from ui import tables

REVISION_HEADERS = {"quarter": "Quarter", "lad_code": "Code", "authority": "Authority", "measure": "Measure",
                    "was": "Was", "now": "Now", "release": "Release"}


def is_admin() -> bool:
    """Whether this session's member is an admin (ui.auth's gate); no member means not an admin."""
    from ui.auth import member

    who = member()
    return bool(who is not None and str(getattr(who.role, "value", who.role)) == "admin")


def _newer_table(found: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame([{"Dataset": r["source_id"], "Title": r["title"], "File": r["filename"],
                          "Date": r.get("date") or "undated", "Address": r["url"],
                          "Replaces": r.get("loaded_file") or "-"} for r in found])


_MESSAGES = "_releases_messages"


def _say(kind: str, message: str) -> None:
    st.session_state.setdefault(_MESSAGES, []).append((kind, message))


def _check(model: Any, cache: Any) -> None:
    try:
        releases.save_check(releases.check(model.provenance if model is not None else {}), cache)
    except GeoError as exc:
        _say("error", f"Could not ask GOV.UK: {exc}")


def _fetch(model: Any, cache: Any, new: list[dict[str, Any]]) -> None:
    """Fetch, check and load (admins only reach this button); one clear line if anything is wrong."""
    try:
        result = releases.fetch([releases.NewRelease(**r) for r in new], model.provenance, cache=cache)
    except GeoError as exc:
        _say("error", f"Nothing was loaded: {exc}")
        return
    releases.save_check([], cache)
    st.cache_data.clear()
    st.cache_resource.clear()  # the next run loads the model again, from the new files
    _say("success", f"Loaded {len(result['fetched'])} file(s); {len(result['revisions'])} earlier figure(s) "
                    "revised.")


def panel(model: Any, *, admin: bool) -> None:
    """Draw the panel: last check, a check button, an admin-only fetch button, the revisions table."""
    cache = model.cache_dir if model is not None else None
    st.markdown("### New releases")
    # Callbacks, not `if st.button(...)`: they run before the page, so a rerun cannot lose the click.
    st.button("Check GOV.UK for newer releases", key="releases_check", on_click=_check, args=(model, cache))
    for kind, message in st.session_state.pop(_MESSAGES, []):
        getattr(st, kind)(message)
    last = releases.last_check(cache)
    if last is None:
        st.caption("Not checked yet: press the button to ask GOV.UK's Content API for newer Home Office files.")
    elif not last.get("new"):
        st.success(f"No release newer than the loaded files (checked {last['checked_at']}).")
    else:
        st.warning(f"{len(last['new'])} newer release file(s) on GOV.UK (checked {last['checked_at']}):")
        tables.dataframe(st, _newer_table(last["new"]), hide_index=True, width="stretch")
        if not admin:
            st.caption("An administrator can fetch and load them here, or run `python -m geo releases fetch`.")
        else:
            st.button("Fetch, check and load them", key="releases_fetch", type="primary", on_click=_fetch,
                      args=(model, cache, last["new"]))
    revised = releases.saved_revisions(cache)
    st.markdown("### Revisions")
    if revised.empty:
        st.caption("No loaded release has revised an earlier quarter.")
    else:
        st.markdown(f"{len(revised):,} figure(s) changed by a later release:")
        tables.dataframe(st, revised.rename(columns=REVISION_HEADERS), hide_index=True, width="stretch")
