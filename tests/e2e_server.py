"""Run the app with ``streamlit run`` on a free port for end-to-end tests, and stop it afterwards.

Use the ``streamlit_app`` fixture (the base URL); the server's output goes to a log file whose
tail is shown if it fails to start.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 120
# Debian's Chromium, driven by Playwright's Python package (no browser download). The flags keep it
# off the network: this machine reaches nothing but the package registries.
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
            return response.status == 200 and response.read().strip() == b"ok"
    except OSError:
        return False


@contextmanager
def running_app(root: Path = ROOT, env: dict[str, str] | None = None,
                timeout_s: float = START_TIMEOUT_S, script: str = "serve.py", *, port: int | None = None,
                args: tuple[str, ...] = (), log_path: Path | None = None) -> Iterator[str]:
    """Start ``streamlit run serve.py`` (as ``make run`` does: app.py behind the origin guard)
    headless on a free port (or ``port``); yield its base URL.

    args: more ``streamlit run`` options (``--secrets.files``); log_path: where the server's output
    goes, for a test that reads it (no traceback logged), instead of a temporary file."""
    port = port or free_port()
    base = f"http://127.0.0.1:{port}"
    log = (open(log_path, "wb") if log_path  # noqa: SIM115 (held for the server's life; closed in finally)
           else tempfile.NamedTemporaryFile(prefix="aam-streamlit-", suffix=".log", delete=False))  # noqa: SIM115
    cmd = [sys.executable, "-m", "streamlit", "run", str(root / script), "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none", *args]
    proc = subprocess.Popen(cmd, cwd=root, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                            env={**os.environ, **(env or {})})
    try:
        deadline = time.monotonic() + timeout_s
        while not _healthy(base):
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = Path(log.name).read_text(errors="replace")[-3000:]
                raise RuntimeError(f"streamlit did not become healthy on port {port}:\n{tail}")
            time.sleep(0.5)
        yield base
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # our own process group only (start_new_session)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        log.close()


@pytest.fixture(scope="session")
def streamlit_app() -> Iterator[str]:
    """One served app for every browser test module: it starts, and loads the model, once."""
    with running_app() as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()
