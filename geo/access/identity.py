"""Who is asking: a signed-in e-mail looked up in the memberships, the holder of a personal token
(the command line), or the desktop mode's local admin.

Why here and not in the app: the command line and the app must answer the same way. The desktop
mode (the person at the machine is the admin of a local organisation) applies only when no
identity provider is configured *and* the store has no members, so a server that has members
can never fall back to it. The app trusts an e-mail only from a verified sign-in
(``verified_email``); the command line trusts only a token (``cli_member``), never a typed e-mail.
"""
from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from geo.access.members import AccessDenied, Member, local_admin, normalise_email
from geo.access.storage import AccessStore
from geo.db import store_exists

ROOT = Path(__file__).resolve().parents[2]
TOKEN_ENV = "AAM_TOKEN"
TOKEN_HELP = ("prove who you are with your personal token: set AAM_TOKEN (or pass --token); an admin issues "
              "one with `python -m geo access token issue EMAIL`")
SECRETS = (ROOT / ".streamlit" / "secrets.toml", Path.home() / ".streamlit" / "secrets.toml")


def provider_in(auth: Any) -> bool:
    """Whether an ``[auth]`` section names an OpenID provider (``server_metadata_url`` directly or in a
    named provider sub-section)."""
    if not hasattr(auth, "get"):
        return False
    if auth.get("server_metadata_url"):
        return True
    return any(hasattr(v, "get") and v.get("server_metadata_url") for v in auth.values())


def provider_configured(files: tuple[Path, ...] = SECRETS) -> bool:
    """Whether a secrets.toml the app would read configures an identity provider."""
    for path in files:
        if path.is_file():
            try:
                with open(path, "rb") as handle:
                    if provider_in(tomllib.load(handle).get("auth", {})):
                        return True
            except (OSError, tomllib.TOMLDecodeError):
                continue
    return False


def desktop_mode(db: str | Path | AccessStore, has_provider: bool) -> bool:
    """No provider and no members (a store not created yet has none; asking does not create it)."""
    if has_provider:
        return False
    if not isinstance(db, AccessStore) and not store_exists(db):  # PostgreSQL: the server is the store
        return True
    store = db if isinstance(db, AccessStore) else AccessStore(db)
    return store.member_count() == 0


def member_for(db: str | Path | AccessStore, email: str | None, *, has_provider: bool | None = None) -> Member:
    """The member acting: ``email``'s membership, or the local admin in the desktop mode.

    Raises AccessDenied (one line) for an unknown e-mail, or for no e-mail outside the desktop mode.
    """
    has_provider = provider_configured() if has_provider is None else has_provider
    if not email:
        if desktop_mode(db, has_provider):
            return local_admin()
        raise AccessDenied("no one is signed in, and this store has members"
                           f"{' and an identity provider is configured' if has_provider else ''}")
    store = db if isinstance(db, AccessStore) else AccessStore(db)
    found = store.member(normalise_email(email))
    if found is None:
        raise AccessDenied(f"{normalise_email(email)} is not a member of any organisation here; "
                           "ask your administrator")
    return found


def cli_member(db: str | Path | AccessStore, token: str | None = None, *, has_provider: bool | None = None) -> Member:
    """The authenticated caller of a command: the holder of ``token`` (or of ``$AAM_TOKEN``); with
    neither, the local admin in the desktop mode (no provider, no members: a fresh store, whose
    first admin the person at the machine adds). Anything else is refused (AccessDenied, one line).
    """
    from geo.access.tokens import holder

    token = (token or os.environ.get(TOKEN_ENV) or "").strip()
    if token:
        return holder(db, token)
    has_provider = provider_configured() if has_provider is None else has_provider
    if desktop_mode(db, has_provider):
        return local_admin()
    raise AccessDenied(f"this store has members, so the command line needs to know who you are: {TOKEN_HELP}")
