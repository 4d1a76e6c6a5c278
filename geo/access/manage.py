"""Changing who may do what: grant, revoke, organisations, agreements, settings, each with its
audit row written in the same transaction (so no change is ever made without a record).

Used by the admin page and ``python -m geo access``; both pass the member making the change,
who must be an admin (``Action.MANAGE``/``Action.SETTINGS``).
"""
from __future__ import annotations

from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from geo.access import audit
from geo.access.agreements import Agreement
from geo.access.members import AccessDenied, Action, Member, Organisation, looks_like_lad_code, normalise_email, require
from geo.access.storage import AccessStore
from geo.disclosure import Role
from geo.errors import GeoError

POSTCODE_LOOKUP_SETTING = "postcode_lookup_url"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _store(db: str | Path | AccessStore) -> AccessStore:
    return db if isinstance(db, AccessStore) else AccessStore(db)


def require_over(by: Member, org_code: str) -> None:
    """Council and SMP admins manage their own organisation only; a national (hosting) body's admins,
    and the desktop mode's local admin, manage any."""
    require(by, Action.MANAGE)
    if by.organisation.kind not in ("national", "local") and by.org_code != org_code:
        raise AccessDenied(f"{by.email} is an admin of {by.org_code} and may not manage {org_code}")


def put_organisation(db: str | Path | AccessStore, by: Member, org: Organisation) -> Organisation:
    """Add or change an organisation."""
    require_over(by, org.code)
    store = _store(db)

    def work(conn):
        store.put_organisation(conn, org)
        audit.write_in(store, conn, by, "organisation_put", asdict(org))
    store.transaction(work, admin_of=(org.code,), also=(by.org_code,))
    return org


def _organisation_for(store: AccessStore, code: str) -> tuple[Organisation, bool]:
    """The organisation ``code``; a council is created from a LAD code on first use."""
    found = store.organisation(code)
    if found is not None:
        return found, False
    if looks_like_lad_code(code):
        code = code.strip().upper()
        return Organisation(code, code, "council", (code,)), True
    raise GeoError(f"no organisation {code!r}: add it first (python -m geo access org {code} --name NAME "
                   "--kind council|smp|national), or use a council's LAD code")


def grant(db: str | Path | AccessStore, by: Member, email: str, org_code: str, role: Role | str) -> Member:
    """Make ``email`` a member of ``org_code`` with ``role`` (replacing any earlier membership)."""
    store = _store(db)
    org, new = _organisation_for(store, org_code)
    require_over(by, org.code)
    member = Member(normalise_email(email), org, Role.parse(role))
    current = store.member(member.email)
    moving = current.org_code if current is not None and current.org_code != org.code else None
    if moving:  # taking someone out of another organisation is that organisation's admins' call too
        require_over(by, moving)

    def work(conn):
        if new:
            store.put_organisation(conn, org)
            audit.write_in(store, conn, by, "organisation_put", asdict(org))
        store.put_member(conn, member, audit.now_text(), by.email)
        audit.write_in(store, conn, by, "member_grant", {"email": member.email, "organisation": org.code,
                                                          "role": member.role.value})
    store.transaction(work, admin_of=(org.code, *((moving,) if moving else ())), also=(by.org_code,))
    return member


def revoke(db: str | Path | AccessStore, by: Member, email: str) -> None:
    """End a membership at once (the next page view of that person finds no membership)."""
    store = _store(db)
    email = normalise_email(email)
    current = store.member(email)
    require_over(by, current.org_code if current else by.org_code)

    def work(conn):
        if not store.delete_member(conn, email):
            raise GeoError(f"{email} is not a member")
        audit.write_in(store, conn, by, "member_revoke", {"email": email})
    store.transaction(work, admin_of=(current.org_code if current else by.org_code,), also=(by.org_code,))


def agree(db: str | Path | AccessStore, by: Member, from_org: str, to_org: str, what: str,
          valid_until: date, valid_from: date | None = None) -> Agreement:
    """Record that ``from_org`` shares ``what`` with ``to_org`` until ``valid_until`` (included).
    Only the sharing organisation's admins (or the hosting body's) may."""
    require_over(by, from_org)
    store = _store(db)
    for code in (from_org, to_org):
        if store.organisation(code) is None:
            raise GeoError(f"no organisation {code!r} (add it, or grant someone in it, first)")
    agreement = Agreement(from_org, to_org, what, valid_from or date.today(), valid_until)

    def work(conn):
        new_id = store.put_agreement(conn, agreement, audit.now_text(), by.email)
        audit.write_in(store, conn, by, "agreement_add", {"id": new_id, **asdict(agreement)})
        return new_id
    new_id = store.transaction(work, admin_of=(from_org,), also=(by.org_code,))
    return Agreement(agreement.from_org, agreement.to_org, agreement.what, agreement.valid_from,
                     agreement.valid_until, id=new_id)


def end_agreement(db: str | Path | AccessStore, by: Member, agreement_id: int, on_day: date | None = None) -> None:
    """End an agreement from ``on_day`` (default today: access stops at once)."""
    on_day = on_day or date.today()
    store = _store(db)
    found = next((a for a in store.agreements() if a.id == int(agreement_id)), None)
    if found is None:
        raise GeoError(f"no agreement {agreement_id}")
    receiving = by.org_code == found.to_org
    if not receiving:  # the receiving side may always give access up
        require_over(by, found.from_org)

    def work(conn):
        if not store.end_agreement(conn, agreement_id, on_day):
            raise GeoError(f"no agreement {agreement_id}")
        audit.write_in(store, conn, by, "agreement_end", {"id": agreement_id, "ended_on": on_day.isoformat()})
    store.transaction(work, admin_of=(found.to_org if receiving else found.from_org,), also=(by.org_code,))


def check_lookup_url(url: str) -> str:
    """The online postcode lookup address: https, or http only on this machine (loopback)."""
    text = url.strip()
    parsed = urlparse(text)
    if parsed.scheme == "https" and parsed.hostname:
        return text
    if parsed.scheme == "http" and parsed.hostname in LOOPBACK:
        return text
    raise GeoError(f"the postcode lookup address must use https (or be on this machine): {text!r}")


def set_postcode_lookup(db: str | Path | AccessStore, by: Member, url: str) -> str:
    """Admins choose the online postcode lookup address; everyone else only uses it."""
    require(by, Action.SETTINGS)
    checked = check_lookup_url(url)
    store = _store(db)

    def work(conn):
        store.put_setting(conn, POSTCODE_LOOKUP_SETTING, checked, audit.now_text(), by.email)
        audit.write_in(store, conn, by, "setting_change", {"key": POSTCODE_LOOKUP_SETTING, "value": checked})
    store.transaction(work, admin_of=(by.org_code,), also=(by.org_code,))
    return checked


def postcode_lookup(db: str | Path | AccessStore, default: str = "https://api.postcodes.io") -> str:
    return _store(db).setting(POSTCODE_LOOKUP_SETTING) or default


def listing(db: str | Path | AccessStore, today: date | None = None) -> dict[str, Any]:
    """Organisations, members and agreements (with whether each is in force today), for --json."""
    store = _store(db)
    today = today or date.today()
    return {
        "organisations": [asdict(o) | {"lad_codes": list(o.lad_codes)} for o in store.organisations()],
        "members": store.members(),
        "agreements": [asdict(a) | {"valid_from": a.valid_from.isoformat(), "valid_until": a.valid_until.isoformat(),
                                    "ended_on": a.ended_on.isoformat() if a.ended_on else None,
                                    "in_force": a.in_force(today)} for a in store.agreements()],
    }
