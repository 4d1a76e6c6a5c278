"""Sign-in for the app: who is at the browser, as a ``geo.access`` member, before any page runs.

Why in app.py and not per page: a page that forgets a check leaks. ``app.py`` calls ``gate()``
once per run; it returns the member or stops the script with a page that says why.

- With an OpenID provider in ``.streamlit/secrets.toml`` ``[auth]``: ``st.login()`` (Streamlit's
  built-in OIDC). A sign-in counts only with a verified e-mail, from the configured issuer, for
  this app, until its token expires (``geo.access.identity.verified_email``). The e-mail is then
  looked up in the memberships on every run (a revoked member is out at their next click); an
  unknown e-mail sees only "ask your administrator".
- With no provider: the single-user desktop tool. The person at the machine is the admin of a
  local organisation, and the app refuses to serve unless Streamlit is bound to loopback only.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import streamlit as st

from geo.access import audit
from geo.access.identity import desktop_mode, member_for, provider_in, provider_settings, verified_email
from geo.access.members import AccessDenied, Action, Member  # noqa: F401  (Action: app.py asks may())
from geo.errors import GeoError

LOG = logging.getLogger(__name__)
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
SESSION_KEY = "aam_member"
SIGNED_IN_KEY = "aam_signed_in_as"
SITES_DB_ENV = "AAM_SITES_DB"


def store_path() -> Path:
    """The site store that also holds memberships and the audit log (same rule as the pages use)."""
    from geo.sources import cache_dir

    env = os.environ.get(SITES_DB_ENV)
    return Path(env) if env else cache_dir() / "sites.sqlite"


def auth_section() -> Any:
    """The ``[auth]`` section of the secrets, or None (no secrets file is not an error)."""
    try:
        if not st.secrets.load_if_toml_exists():
            return None
        return st.secrets.get("auth")
    except Exception:  # an unreadable secrets file: treated as no provider (the log keeps why)
        LOG.exception("could not read the [auth] secrets")
        return None


def provider_name(auth: Any) -> str | None:
    """The named provider to pass to ``st.login`` (``[auth.NAME]``), or None for an unnamed one."""
    if auth is None or auth.get("server_metadata_url"):
        return None
    return next((k for k, v in auth.items() if hasattr(v, "get") and v.get("server_metadata_url")), None)


def bound_to_loopback() -> bool:
    return str(st.get_option("server.address") or "") in LOOPBACK


def member() -> Member | None:
    """The member of this browser session (set by ``gate``)."""
    return st.session_state.get(SESSION_KEY)


def _no_menu() -> None:
    """Take over navigation before anyone is let in: otherwise Streamlit lists the pages/ folder in the
    sidebar of the sign-in page (each page would still send the visitor back here)."""
    st.navigation([st.Page(_nothing, title="Sign in", url_path="sign-in", default=True)], position="hidden")


def _nothing() -> None:
    """The only page before sign-in; never run (the gate stops first)."""


def _stop(title: str, body: str, *, sign_out: bool = False) -> None:
    _no_menu()
    st.markdown(f"## {title}")
    st.markdown(body)
    if sign_out and st.button("Sign out", key="aam_sign_out_refused"):
        st.logout()
    st.stop()


def _record_sign_in(db: Path, who: Member) -> None:
    """One 'sign_in' row per browser session and person (desktop mode: once the store exists; viewing
    the published statistics never creates a site store)."""
    if who.organisation.kind == "local" and not db.exists():
        return
    if st.session_state.get(SIGNED_IN_KEY) != who.email:
        audit.record(db, who, "sign_in", {"provider": "oidc" if who.organisation.kind != "local" else "desktop"})
        st.session_state[SIGNED_IN_KEY] = who.email


def sign_out_control(db: Path, who: Member) -> None:
    """The signed-in person and a Sign out button, in the sidebar."""
    with st.sidebar:
        st.caption(f"Signed in as **{who.email}**, {who.role.value} of {who.organisation.name}")
        if st.button("Sign out", key="aam_sign_out", icon=":material/logout:"):
            audit.record(db, who, "sign_out", {})
            st.session_state.pop(SIGNED_IN_KEY, None)
            st.session_state.pop(SESSION_KEY, None)
            st.logout()


def gate(db: Path | None = None) -> Member:
    """The member for this run, or a page saying why not (and ``st.stop()``)."""
    db = db or store_path()
    _own_address_only()
    auth = auth_section()
    try:
        if auth is None or not provider_in(auth):
            return _desktop(db)
        return _signed_in(db, auth)
    except GeoError as exc:
        LOG.exception("sign-in failed")
        _stop("Sign-in is not available", f"{exc}")
    raise AssertionError("unreachable")  # pragma: no cover


def session_headers() -> Any:
    """The headers of this session's WebSocket upgrade (empty only when no browser is involved)."""
    return st.context.headers


def _own_address_only() -> None:
    """Stop a page reached under another name (``ui.origin_guard``; serve.py refuses it earlier)."""
    from ui.origin_guard import allowed, current_hosts

    headers = session_headers()
    if headers and not allowed(headers.get("Host"), headers.get("Origin"), current_hosts()):
        LOG.warning("refused a session with Host %r and Origin %r", headers.get("Host"), headers.get("Origin"))
        _stop("This app answers only on its own address", "Open it at the address it was started on.")


def _desktop(db: Path) -> Member:
    if not bound_to_loopback():
        _stop("This app is not set up to be shared",
              "It has no sign-in (no identity provider in `.streamlit/secrets.toml`), so it serves only this "
              "computer: start it with `server.address = \"127.0.0.1\"` (as `make run` does), or configure an "
              "identity provider (README: *Running it for your council*).")
    if not desktop_mode(db, has_provider=False):
        _stop("Sign-in needed",
              "This site store has members, so the person at the machine is no longer its administrator. "
              "Configure the identity provider in `.streamlit/secrets.toml` (README: *Running it for your "
              "council*).")
    who = member_for(db, None, has_provider=False)
    st.session_state[SESSION_KEY] = who
    _record_sign_in(db, who)
    return who


def _refused(db: Path, email: str, why: str) -> None:
    """Forget any member of this session and log the refusal once per browser session and reason."""
    st.session_state.pop(SESSION_KEY, None)
    if st.session_state.get("aam_refused_logged") != (email, why):
        audit.record(db, None, "refused", {"what": "sign_in", "why": why}, email=email, organisation="")
        st.session_state["aam_refused_logged"] = (email, why)


def _signed_in(db: Path, auth: Any) -> Member:
    if not st.user.is_logged_in:
        st.session_state.pop(SESSION_KEY, None)
        _no_menu()
        st.markdown("## Asylum accommodation map")
        st.markdown("Sign in with your organisation's account to continue.")
        if st.button("Sign in", key="aam_sign_in", type="primary", icon=":material/login:"):
            name = provider_name(auth)
            st.login(name) if name else st.login()
        st.stop()
    try:
        email = verified_email(st.user, provider_settings(auth))
    except AccessDenied as why:  # unverified e-mail, another issuer or audience, expired: not signed in
        _refused(db, str(st.user.get("email") or "unknown"), str(why))
        _stop("Sign-in refused", f"{why}.", sign_out=True)
        raise AssertionError("unreachable") from None  # pragma: no cover
    try:
        who = member_for(db, email, has_provider=True)
    except AccessDenied:  # st.stop() below ends the run
        _refused(db, email, "not a member")
        _stop("You do not have access yet",
              f"You are signed in as **{email}**, which is not a member "
              "of any organisation here. Please ask your administrator to add you.", sign_out=True)
        raise AssertionError("unreachable") from None  # pragma: no cover
    st.session_state[SESSION_KEY] = who
    _record_sign_in(db, who)
    sign_out_control(db, who)
    return who


def acting_member(db: Path | None = None) -> Member:
    """The member of this session, or (a page run without app.py, e.g. in tests) the desktop mode's
    local admin when that applies; AccessDenied otherwise."""
    found = member()
    if found is not None:
        return found
    auth = auth_section()
    return member_for(db or store_path(), None, has_provider=auth is not None and provider_in(auth))
