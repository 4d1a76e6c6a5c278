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


DISCOVERY_SUFFIX = "/.well-known/openid-configuration"
EXPIRY_LEEWAY_S = 60  # clocks of the provider and this server may differ by a minute


def provider_settings(auth: Any) -> dict[str, Any]:
    """The provider's own settings in an ``[auth]`` section: the section itself, or its named
    sub-section (``[auth.NAME]``), with the section's shared keys underneath."""
    if not hasattr(auth, "get"):
        return {}
    shared = {k: v for k, v in auth.items() if not hasattr(v, "get")}
    if auth.get("server_metadata_url"):
        return shared
    named = next((v for v in auth.values() if hasattr(v, "get") and v.get("server_metadata_url")), None)
    return {**shared, **{k: v for k, v in (named or {}).items()}}


def expected_issuer(settings: dict[str, Any]) -> str:
    """The issuer a sign-in must come from: ``issuer`` if set, else the discovery address's base."""
    issuer = str(settings.get("issuer") or "").strip()
    if not issuer:
        issuer = str(settings.get("server_metadata_url") or "").strip().removesuffix(DISCOVERY_SUFFIX)
    return issuer.rstrip("/")


def verified_email(claims: Any, settings: dict[str, Any], now: float | None = None) -> str:
    """The e-mail of a sign-in, only if its claims hold up; else AccessDenied saying which does not.

    Why here as well as in Streamlit's sign-in (Authlib checks the signature, issuer, audience,
    expiry and nonce once, at the callback): an e-mail the provider has not verified proves nothing
    (anyone can put ``officer@council`` on an account of a provider that allows it), and a sign-in
    must end when the provider's token does, not when the 30-day cookie does. The claim meaning
    "verified" is ``email_verified``; a provider that names it otherwise sets
    ``email_verified_claim`` in ``[auth]``.
    """
    import time

    now = time.time() if now is None else now
    email = str(claims.get("email") or "").strip()
    if not email:
        raise AccessDenied("your account sent no e-mail address")
    issuer, audience = expected_issuer(settings), str(settings.get("client_id") or "")
    if not issuer or str(claims.get("iss") or "").rstrip("/") != issuer:
        raise AccessDenied(f"this sign-in came from {claims.get('iss')!r}, not from the configured identity "
                           "provider")
    aud = claims.get("aud")
    audiences = [str(a) for a in aud] if isinstance(aud, list | tuple) else [str(aud or "")]
    if not audience or audience not in audiences:
        raise AccessDenied("this sign-in was issued for another application")
    try:
        expires = float(claims.get("exp"))
    except (TypeError, ValueError):
        raise AccessDenied("this sign-in has no expiry") from None
    if expires + EXPIRY_LEEWAY_S < now:
        raise AccessDenied("your sign-in has expired: sign in again")
    claim = str(settings.get("email_verified_claim") or "email_verified")
    if claims.get(claim) not in (True, "true", "True"):
        raise AccessDenied(f"your identity provider has not verified the e-mail address {email}")
    return email
