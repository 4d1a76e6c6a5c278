"""Every request runs through app.py's ``st.navigation``, even a fresh server's first page link.

Why this exists: with a ``pages/`` folder beside app.py, Streamlit starts in its legacy 'pages
directory' mode and keeps it until some session calls ``st.navigation`` ("as soon as any session of
your app executes the st.navigation command, your app will ignore the pages/ directory (across all
sessions)", Streamlit's st.navigation reference). So the first visitor of a new server who opens
``/council?lad=...`` would get the page file run alone: no sign-in gate, no menu titles, no shared
chrome. Only public commands are used to put that right: app.py marks each run it routes; a page
run without that mark remembers which page it is and its link's parameters, switches to app.py
(which calls ``st.navigation``, leaving the legacy mode for good) and app.py switches back to it.
"""
from __future__ import annotations

import inspect
from pathlib import Path
from urllib.parse import urlsplit

import streamlit as st
from streamlit.errors import StreamlitAPIException

APP_FILE = "app.py"
ROUTED_KEY = "_routed_by_app"
RETURN_KEY = "_return_to_page"


def mark_routed() -> None:
    """Called by app.py at the top of every run: pages of this session are run through it."""
    st.session_state[ROUTED_KEY] = True


def ensure_app_navigation() -> None:
    """From a page: when app.py has not routed this session yet, go through it and come back."""
    if st.session_state.get(ROUTED_KEY):
        return
    params = {k: st.query_params.get_all(k) for k in st.query_params}
    st.session_state[RETURN_KEY] = (_asked_page(), params)
    try:
        st.switch_page(APP_FILE)
    except StreamlitAPIException:  # the page is the app (a test runs one page file): nothing to go through
        st.session_state.pop(RETURN_KEY, None)
        st.session_state[ROUTED_KEY] = True


def _asked_page() -> str:
    """The URL path of the page being run: its file in pages/ (url paths are file names with dashes),
    else the browser's address."""
    for frame in inspect.stack():
        path = Path(frame.filename)
        if path.parent.name == "pages" and path.suffix == ".py":
            return path.stem.replace("_", "-")
    return urlsplit(st.context.url or "").path.strip("/").split("/")[-1]


def resume(pages: list) -> None:
    """Called by app.py after ``st.navigation``: open the page a link asked for before app.py had run."""
    asked = st.session_state.pop(RETURN_KEY, None)
    if not asked:
        return
    url_path, params = asked
    target = next((page for page in pages if page.url_path == url_path), None)
    if target is not None:
        st.switch_page(target, query_params={k: v[-1] if isinstance(v, list) and len(v) == 1 else v
                                             for k, v in params.items()})
