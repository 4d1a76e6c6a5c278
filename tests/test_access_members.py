"""The one table of what each role may do, members, identity resolution and the lookup address rule."""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

pytestmark = pytest.mark.usefixtures("store_backend")  # on SQLite and on PostgreSQL (tests/pg_server.py)


def test_the_role_table_is_monotonic_and_matches_the_issue() -> None:
    from geo.access.members import PERMISSIONS, Action
    from geo.disclosure import Role

    order = [Role.VIEWER, Role.OFFICER, Role.ANALYST, Role.ADMIN]
    for lower, higher in zip(order, order[1:], strict=False):
        assert PERMISSIONS[lower] < PERMISSIONS[higher]
    assert Action.VIEW_SITES not in PERMISSIONS[Role.VIEWER]
    assert Action.EXPORT_SITES not in PERMISSIONS[Role.OFFICER]
    assert Action.IMPORT not in PERMISSIONS[Role.ANALYST] and Action.IMPORT in PERMISSIONS[Role.ADMIN]


def test_require_names_who_and_what() -> None:
    from geo.access.members import AccessDenied, Action, Member, Organisation, require

    member = Member("Officer@A.gov.uk ", Organisation("E06000901", "A", "council", ("E06000901",)), "officer")
    assert member.email == "officer@a.gov.uk"
    with pytest.raises(AccessDenied, match="officer@a.gov.uk.*may not export"):
        require(member, Action.EXPORT_SITES)
    with pytest.raises(AccessDenied, match="needs a member"):
        require(None, Action.VIEW_SITES)


def test_desktop_mode_only_without_provider_and_members(tmp_path: Path) -> None:
    from geo.access.identity import member_for
    from geo.access.manage import grant
    from geo.access.members import LOCAL_EMAIL, AccessDenied

    db = tmp_path / "s.sqlite"
    assert member_for(db, None, has_provider=False).email == LOCAL_EMAIL
    with pytest.raises(AccessDenied):
        member_for(db, None, has_provider=True)
    grant(db, member_for(db, None, has_provider=False), "boss@a.gov.uk", "E06000901", "admin")
    with pytest.raises(AccessDenied, match="has members"):
        member_for(db, None, has_provider=False)
    with pytest.raises(AccessDenied, match="ask your administrator"):
        member_for(db, "stranger@else.where", has_provider=False)
    assert member_for(db, "BOSS@a.gov.uk", has_provider=False).role.value == "admin"


@pytest.mark.sqlite_only
def test_store_file_is_private(tmp_path: Path) -> None:
    from geo.access.storage import AccessStore

    path = tmp_path / "new.sqlite"
    AccessStore(path)
    assert path.stat().st_mode & 0o077 == 0


def test_provider_configured_reads_the_auth_section(tmp_path: Path) -> None:
    from geo.access.identity import provider_configured

    none = tmp_path / "none.toml"
    none.write_text("[other]\nx = 1\n")
    named = tmp_path / "named.toml"
    named.write_text('[auth]\nredirect_uri = "http://x/oauth2callback"\ncookie_secret = "s"\n'
                     '[auth.entra]\nserver_metadata_url = "https://login.example/.well-known/openid-configuration"\n')
    assert not provider_configured((none,)) and provider_configured((none, named))


def test_lookup_address_must_be_https_unless_loopback(tmp_path: Path) -> None:
    from geo.access.identity import member_for
    from geo.access.manage import check_lookup_url, grant, postcode_lookup, set_postcode_lookup
    from geo.access.members import AccessDenied
    from geo.errors import GeoError

    assert check_lookup_url("https://api.postcodes.io") == "https://api.postcodes.io"
    assert check_lookup_url("http://127.0.0.1:9999") == "http://127.0.0.1:9999"
    with pytest.raises(GeoError, match="https"):
        check_lookup_url("http://api.postcodes.io")
    db = tmp_path / "s.sqlite"
    local = member_for(db, None, has_provider=False)
    grant(db, local, "officer@a.gov.uk", "E06000901", "officer")
    with pytest.raises(AccessDenied):
        set_postcode_lookup(db, member_for(db, "officer@a.gov.uk"), "https://evil.example")
    grant(db, _host(), "admin@a.gov.uk", "E06000901", "admin")
    set_postcode_lookup(db, member_for(db, "admin@a.gov.uk", has_provider=False), "https://lookup.example")
    assert postcode_lookup(db) == "https://lookup.example"


def _host():
    """A hosting body's admin (national organisations' admins manage any organisation)."""
    from geo.access.members import Member, Organisation

    return Member("host@national.example", Organisation("HOST", "Host", "national"), "admin")


def test_agreement_in_force_by_day() -> None:
    from geo.access.agreements import Agreement, sharing_with

    today = date(2026, 6, 1)
    a = Agreement("E06000901", "SMP", "sites", today, today + timedelta(days=10))
    assert a.in_force(today) and a.in_force(today + timedelta(days=10))
    assert not a.in_force(today + timedelta(days=11)) and not a.in_force(today - timedelta(days=1))
    agg = Agreement("E06000902", "SMP", "aggregates", today, today)
    assert sharing_with([a, agg], "SMP", "sites", today) == {"E06000901"}
    assert sharing_with([a, agg], "SMP", "aggregates", today) == {"E06000901", "E06000902"}


def test_online_lookup_refuses_plain_http_before_sending(monkeypatch) -> None:
    import pandas as pd

    from geo.errors import GeoError
    from geo.sites.geocode import lookup_online

    sent = []

    class Recorder:
        def post(self, *args, **kwargs):
            sent.append(args)
            raise AssertionError("nothing may be sent")

    with pytest.raises(GeoError, match="https"):
        lookup_online(pd.Series(["AB1 2CD"]), "http://postcodes.example", session=Recorder())
    assert not sent
