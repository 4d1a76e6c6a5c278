"""Personal tokens: how a command-line caller proves which member they are on a shared store.

Why: an e-mail typed on the command line (the old ``--as EMAIL``) proves nothing; anyone who can
open the store could claim to be its admin. An admin issues a token to a member; the token is
shown once and only its SHA-256 is kept (a copy of the store gives nobody a usable token); the
admin, or the hosting body's admin, can revoke it, and revoking the membership makes every
token of that member useless at once (each use looks the membership up again).

The tokens are 256 random bits, so a plain SHA-256 (not a slow password hash) is enough: nobody
can guess one from its hash.
"""
from __future__ import annotations

import hashlib
import secrets
from pathlib import Path
from typing import Any

from geo.access import audit
from geo.access.manage import require_over
from geo.access.members import AccessDenied, Member, normalise_email
from geo.access.storage import AccessStore
from geo.errors import GeoError

PREFIX = "aam_"


def digest(token: str) -> str:
    """What the store keeps of a token (never the token itself)."""
    return hashlib.sha256(token.strip().encode()).hexdigest()


def _store(db: str | Path | AccessStore) -> AccessStore:
    return db if isinstance(db, AccessStore) else AccessStore(db)


def issue(db: str | Path | AccessStore, by: Member, email: str) -> tuple[str, str]:
    """A new token for the member ``email``: (its id, the token). The token is returned once only."""
    store = _store(db)
    email = normalise_email(email)
    holder = store.member(email)
    if holder is None:
        raise GeoError(f"{email} is not a member: grant a role first (python -m geo access grant)")
    require_over(by, holder.org_code)
    token_id = secrets.token_hex(4)
    token = f"{PREFIX}{token_id}_{secrets.token_urlsafe(32)}"

    def work(conn: Any) -> None:
        store.put_token(conn, token_id, digest(token), email, audit.now_text(), by.email)
        audit.write_in(store, conn, by, "token_issue", {"email": email, "token_id": token_id})
    store.transaction(work, admin_of=(holder.org_code,), also=(by.org_code,))
    return token_id, token


def revoke(db: str | Path | AccessStore, by: Member, email: str, token_id: str | None = None) -> int:
    """Revoke ``email``'s token ``token_id`` (or all of that member's tokens); returns how many."""
    store = _store(db)
    email = normalise_email(email)
    holder = store.member(email)
    require_over(by, holder.org_code if holder else by.org_code)

    def work(conn: Any) -> int:
        count = store.revoke_tokens(conn, email, token_id, audit.now_text())
        if count == 0:
            raise GeoError(f"{email} has no token {token_id or ''} in use".replace("  ", " "))
        audit.write_in(store, conn, by, "token_revoke", {"email": email, "token_id": token_id or "all"})
        return count
    return store.transaction(work, admin_of=(holder.org_code if holder else by.org_code,), also=(by.org_code,))


def holder(db: str | Path | AccessStore, token: str) -> Member:
    """The member a token belongs to, looked up now (so a revoked membership or token is refused)."""
    store = _store(db)
    found = store.token(digest(token))
    if found is None or found["revoked_at"]:
        raise AccessDenied("this token is not valid here (unknown, or revoked): ask your administrator for one")
    member = store.member(found["email"])
    if member is None:
        raise AccessDenied(f"{found['email']} is no longer a member; their tokens no longer work")
    return member


def listing(db: str | Path | AccessStore) -> list[dict[str, Any]]:
    """Every token's id, member, who issued it and when, and whether it is revoked (no hashes)."""
    return _store(db).tokens()
