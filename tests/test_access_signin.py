"""A sign-in counts only when its claims hold up (issue 24, finding 1): an e-mail the provider
verified, from the configured issuer, for this app, not expired. Each flawed id_token is minted and
signed by the test provider (tests/oidc_provider.py) and decoded as Streamlit's sign-in does."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from access_fixtures import OFFICER_A, two_councils
from oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider

ROOT = Path(__file__).resolve().parents[1]
ISSUER = "http://127.0.0.1:9999"


def _claims(flaw: str | None) -> dict:
    """The claims of a signed id_token for OFFICER_A with ``flaw``, checked against the key as Authlib does."""
    from joserfc import jwt

    provider = Provider([OFFICER_A], {OFFICER_A: flaw} if flaw else None)
    provider.issuer = ISSUER
    return dict(jwt.decode(provider.id_token(OFFICER_A, "n0nce"), provider.key).claims)


def _settings(**extra: str) -> dict:
    return {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
            "server_metadata_url": f"{ISSUER}/.well-known/openid-configuration", **extra}


def test_a_verified_sign_in_from_the_configured_provider_counts() -> None:
    from geo.access.identity import verified_email

    assert verified_email(_claims(None), _settings()) == OFFICER_A


@pytest.mark.parametrize(("flaw", "why"), [
    ("unverified", "has not verified the e-mail"),
    ("no_verified_claim", "has not verified the e-mail"),
    ("wrong_issuer", "not from the configured identity provider"),
    ("wrong_audience", "issued for another application"),
    ("expired", "expired"),
])
def test_each_flawed_sign_in_is_refused_for_what_it_is(flaw: str, why: str) -> None:
    from geo.access.identity import verified_email
    from geo.access.members import AccessDenied

    with pytest.raises(AccessDenied, match=why):
        verified_email(_claims(flaw), _settings())


def test_a_provider_naming_its_verified_claim_otherwise_is_asked_for_that_claim() -> None:
    from geo.access.identity import verified_email
    from geo.access.members import AccessDenied

    claims = {**_claims("no_verified_claim"), "xms_edov": True}
    assert verified_email(claims, _settings(email_verified_claim="xms_edov")) == OFFICER_A
    with pytest.raises(AccessDenied):
        verified_email(claims, _settings())
    assert verified_email(_claims(None), _settings(issuer=ISSUER + "/")) == OFFICER_A  # an explicit issuer


def test_a_sign_in_ends_when_its_token_does() -> None:
    from geo.access.identity import EXPIRY_LEEWAY_S, verified_email
    from geo.access.members import AccessDenied

    claims = _claims(None)
    verified_email(claims, _settings(), now=claims["exp"] + EXPIRY_LEEWAY_S - 1)
    with pytest.raises(AccessDenied, match="expired"):
        verified_email(claims, _settings(), now=claims["exp"] + EXPIRY_LEEWAY_S + 1)


def test_the_app_refuses_an_unverified_email_and_logs_it(tmp_path: Path, monkeypatch) -> None:
    """The gate in app.py: a member's e-mail, signed in but unverified, gets no page (AppTest seeds
    st.user as Streamlit's cookie would)."""
    from streamlit.testing.v1 import AppTest

    from geo.access import audit

    store = two_councils(tmp_path)
    monkeypatch.setenv("AAM_SITES_DB", str(store.db))
    seen = {}
    for flaw in (None, "unverified"):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.secrets["auth"] = {**_settings(), "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
                              "cookie_secret": "x" * 32}
        at.user = {**_claims(flaw), "is_logged_in": True, "exp": time.time() + 600}
        at.run()
        seen[flaw] = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    assert f"Signed in as **{OFFICER_A}**" in seen[None]
    assert "Sign-in refused" in seen["unverified"] and "has not verified" in seen["unverified"]
    assert "Signed in as" not in seen["unverified"]
    assert audit.read(store.db, member=OFFICER_A, action="refused")
