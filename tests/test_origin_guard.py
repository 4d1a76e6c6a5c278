"""The app answers only on its own address (issue 24, finding 2): a DNS-rebinding page at
``http://evil.example:PORT`` resolving to 127.0.0.1 gets a refusal on every route, and its
WebSocket upgrade is refused, tested with a real WebSocket client against the served app."""
from __future__ import annotations

import asyncio
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from e2e_server import running_app

ROOT = Path(__file__).resolve().parents[1]
EVIL = "evil.example"


def test_own_hosts_are_loopback_on_the_port_and_the_public_address() -> None:
    from ui.origin_guard import allowed, own_hosts

    hosts = own_hosts(8501)
    assert allowed("127.0.0.1:8501", "http://127.0.0.1:8501", hosts)
    assert allowed("localhost:8501", None, hosts)                     # no Origin: not a cross-site request
    assert allowed("[::1]:8501", "http://[::1]:8501", hosts)
    assert not allowed(f"{EVIL}:8501", f"http://{EVIL}:8501", hosts)  # DNS rebinding: same-origin with itself
    assert not allowed("127.0.0.1:8501", f"http://{EVIL}:8501", hosts)
    assert not allowed("127.0.0.1:9999", None, hosts)                 # another port: another app
    assert not allowed("127.0.0.1:8501", "null", hosts)
    assert not allowed(None, None, hosts) and not allowed("", None, hosts)
    public = own_hosts(8501, ["https://map.council.gov.uk/oauth2callback"])
    assert allowed("map.council.gov.uk", "https://map.council.gov.uk", public)
    assert allowed("map.council.gov.uk:443", None, public)
    assert not allowed("map.council.gov.uk", "http://map.council.gov.uk:8080", public)
    assert not allowed(f"{EVIL}:8501", None, public)


def test_the_guard_refuses_repeated_host_headers() -> None:
    from ui.origin_guard import OriginGuard, own_hosts

    sent: list[dict] = []

    async def app(scope, receive, send) -> None:  # pragma: no cover (must not be reached)
        raise AssertionError("reached the app")

    async def send(message) -> None:
        sent.append(message)

    guard = OriginGuard(app, hosts=lambda: own_hosts(8501))
    scope = {"type": "http", "path": "/", "headers": [(b"host", b"127.0.0.1:8501"), (b"host", EVIL.encode())]}
    asyncio.run(guard(scope, None, send))  # type: ignore[arg-type]
    assert sent[0]["status"] == 403


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The app as ``make run`` starts it (desktop mode: no provider, an empty store)."""
    db = tmp_path_factory.mktemp("guard") / "sites.sqlite"
    with running_app(env={"AAM_SITES_DB": str(db)}) as base:
        yield base


def _get(base: str, path: str, host: str) -> int:
    request = urllib.request.Request(base + path, headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _websocket(base: str, name: str, origin: str | None) -> str:
    """Open Streamlit's WebSocket as ``ws://NAME:PORT`` (connecting to 127.0.0.1); 'open' or the refusal."""
    import websockets

    port = int(base.rsplit(":", 1)[1])

    async def attempt() -> str:
        try:
            async with websockets.connect(f"ws://{name}:{port}/_stcore/stream", host="127.0.0.1", port=port,
                                          origin=origin, subprotocols=["streamlit"], open_timeout=30):
                return "open"
        except websockets.InvalidStatus as exc:
            return f"refused {exc.response.status_code}"
    return asyncio.run(attempt())


def test_make_run_serves_the_app_behind_the_guard() -> None:
    assert "streamlit run serve.py" in (ROOT / "Makefile").read_text()


def test_a_foreign_host_is_refused_on_every_route(served: str) -> None:
    port = served.rsplit(":", 1)[1]
    for path in ("/", "/sites", "/admin", "/_stcore/health", "/_stcore/host-config", "/static/index.html",
                 "/media/anything.csv", "/component/x/index.html", "/oauth2callback", "/no/such/route"):
        assert _get(served, path, f"{EVIL}:{port}") == 403, path
    assert _get(served, "/_stcore/health", f"127.0.0.1:{port}") == 200
    assert _get(served, "/", f"localhost:{port}") == 200


def test_a_foreign_websocket_is_refused_and_the_own_one_opens(served: str) -> None:
    port = served.rsplit(":", 1)[1]
    assert _websocket(served, EVIL, f"http://{EVIL}:{port}") == "refused 403"     # the finding's upgrade
    assert _websocket(served, "127.0.0.1", f"http://{EVIL}:{port}") == "refused 403"
    assert _websocket(served, EVIL, None) == "refused 403"
    assert _websocket(served, "127.0.0.1", f"http://127.0.0.1:{port}") == "open"
    assert _websocket(served, "localhost", f"http://localhost:{port}") == "open"


def test_the_gate_also_stops_a_session_under_another_name(tmp_path: Path, monkeypatch) -> None:
    """``streamlit run app.py`` started by hand (no serve.py): the page itself shows nothing."""
    from streamlit.testing.v1 import AppTest

    from ui import auth, origin_guard

    monkeypatch.setenv("AAM_SITES_DB", str(tmp_path / "s.sqlite"))
    monkeypatch.setattr(origin_guard, "current_hosts", lambda: origin_guard.own_hosts(8501))
    monkeypatch.setattr(auth, "session_headers", lambda: {"Host": f"{EVIL}:8501", "Origin": f"http://{EVIL}:8501"})
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert any("only on its own address" in m.value for m in at.markdown)
    assert not at.dataframe
