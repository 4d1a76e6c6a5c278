"""The app refuses to serve on a shared store whose schema is older (or newer) than its code.

Why at start: several app servers share one PostgreSQL store; one upgraded before the database
(or the database upgraded past an old server) would half-work against tables it does not know.
Every page load checks once per process (geo.db.migrate caches the answer) and, when the schema
does not match, shows one line naming the command to run and stops. SQLite stores are created
and adopted by the code itself, so there is nothing to check in the desktop mode.
"""
from __future__ import annotations

import streamlit as st

from geo.db import database_url
from geo.errors import GeoError


def problem() -> str | None:
    """Why the shared store cannot be used by this code (schema, connection), or None."""
    url = database_url()
    if not url:
        return None
    from geo.db.migrate import require_current

    try:
        require_current(url)
    except GeoError as exc:
        return str(exc)
    return None


def require_current_schema() -> None:
    """Stop the page with one line when the shared store's schema does not match the code."""
    why = problem()
    if why:
        st.error(f"This server cannot open its store: {why}.", icon=":material/database:")
        st.stop()
