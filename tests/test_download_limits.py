"""Downloads are pinned, time-limited overall and size-capped (issue 13), against a local server.

The server on 127.0.0.1 serves the real Reg_02 edition (.ods), a substituted copy, a trickle (one byte
every half second, well inside any per-read timeout) and an endless body.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import SHARED, needs_shared, require_shared
from geo import download as dl
from geo import sources
from geo.errors import DownloadError, SourceMissing

REG02 = SHARED / "homeoffice" / "regional-and-local-authority-dataset-dec-2025.ods"
PORTS = range(8631, 8640)


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        body_of = {"/real.csv": lambda: REG02.read_bytes(),
                   "/substituted.csv": lambda: REG02.read_bytes()[:-1] + b"x",
                   f"/real/{REG02.name}": lambda: REG02.read_bytes(),
                   f"/substituted/{REG02.name}": lambda: REG02.read_bytes()[:-1] + b"x"}
        if self.path in body_of:
            body = body_of[self.path]()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path == "/trickle":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            try:
                for _ in range(1000):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.5)
            except OSError:
                pass
        elif self.path in ("/endless", "/big-declared"):
            self.send_response(200)
            if self.path == "/big-declared":
                self.send_header("Content-Length", str(1_500_000_000))
            self.end_headers()
            try:
                for _ in range(10_000):
                    self.wfile.write(b"y" * 65536)
            except OSError:
                pass
        else:
            self.send_error(404)


@pytest.fixture(scope="module")
def server() -> str:
    for port in PORTS:
        try:
            httpd = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
            break
        except OSError:
            continue
    else:
        pytest.skip("no free port in 8631-8639")
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    httpd.shutdown()
    httpd.server_close()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@needs_shared
def test_registry_pins_every_fixed_release() -> None:
    registry = sources.load_registry()
    pinned = 0
    for source in registry.values():
        if source.kind.startswith("arcgis"):  # paged layers have no fixed bytes
            continue
        for name in source.local_names:
            if "*" not in name:  # a named file (not a release pattern) is pinned
                assert source.pin(name), (source.id, name)
        for name, digest in (source.sha256 or {}).items():
            assert digest == _sha(SHARED / source.subdir / name), source.id  # computed from the official file
            pinned += 1
    assert pinned >= 4


@needs_shared
def test_pinned_file_downloads(server: str, tmp_path: Path) -> None:
    record = dl.download(f"{server}/real.csv", tmp_path / "r.csv", expected_sha256=_sha(REG02), retries=0,
                         progress=False)
    assert record.sha256 == _sha(REG02) and (tmp_path / "r.csv").read_bytes() == REG02.read_bytes()


@needs_shared
def test_substituted_file_refused_and_not_cached(server: str, tmp_path: Path) -> None:
    dest = tmp_path / "r.csv"
    with pytest.raises(DownloadError, match="pinned") as err:
        dl.download(f"{server}/substituted.csv", dest, expected_sha256=_sha(REG02), retries=2, backoff=0,
                    progress=False)
    assert "\n" not in str(err.value)
    assert not dest.exists() and not dl.record_path(dest).exists()
    assert list(tmp_path.iterdir()) == []  # no partial file left either


@needs_shared
def test_registry_download_is_pinned(server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression: a substituted file was accepted, cached and reused."""
    reg = sources.load_registry()
    source = reg["reg02"]
    fake = {**reg, "reg02": sources.Source(**{**source.__dict__, "download_url": f"{server}/substituted/{REG02.name}"})}
    monkeypatch.setattr(sources, "SHARED_DATA", tmp_path / "none")
    with pytest.raises(SourceMissing, match="pinned"):
        sources.resolve("reg02", cache=tmp_path / "cache", registry=fake)
    assert not any((tmp_path / "cache").rglob("*.ods"))
    good = {**reg, "reg02": sources.Source(**{**source.__dict__, "download_url": f"{server}/real/{REG02.name}"})}
    found = sources.resolve("reg02", cache=tmp_path / "cache", registry=good)
    assert found.origin == "download" and found.sha256 == _sha(REG02)


@needs_shared
def test_substituted_cached_copy_is_not_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources, "SHARED_DATA", tmp_path / "none")
    cached = tmp_path / "cache" / "downloads" / "homeoffice" / REG02.name
    cached.parent.mkdir(parents=True)
    shutil.copy(REG02, cached)
    assert sources.resolve("reg02", cache=tmp_path / "cache", allow_download=False).origin == "cache"
    cached.write_bytes(REG02.read_bytes() + b"\n")
    with pytest.raises(SourceMissing, match="pinned"):
        sources.resolve("reg02", cache=tmp_path / "cache", allow_download=False)


def test_trickle_times_out_overall(server: str, tmp_path: Path) -> None:
    """Regression: one byte every two seconds never timed out (the timeout was per read)."""
    started = time.monotonic()
    with pytest.raises(DownloadError, match="time limit"):
        dl.download(f"{server}/trickle", tmp_path / "t.bin", timeout=5, deadline=2, retries=2, backoff=0,
                    progress=False)
    assert time.monotonic() - started < 6
    assert not (tmp_path / "t.bin").exists()


def test_size_cap_while_streaming(server: str, tmp_path: Path) -> None:
    """Regression: a 1.5 GB body was accepted with no cap."""
    with pytest.raises(DownloadError, match="AAM_MAX_DOWNLOAD_MB"):
        dl.download(f"{server}/endless", tmp_path / "e.bin", max_bytes=1 << 20, retries=0, progress=False)
    assert not (tmp_path / "e.bin").exists()


def test_size_cap_from_content_length_and_setting(server: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AAM_MAX_DOWNLOAD_MB", "1")
    started = time.monotonic()
    with pytest.raises(DownloadError, match="download limit"):
        dl.download(f"{server}/big-declared", tmp_path / "b.bin", retries=0, progress=False)
    assert time.monotonic() - started < 2  # refused from the header, before the body
    monkeypatch.setenv("AAM_MAX_DOWNLOAD_MB", "a lot")
    with pytest.raises(DownloadError, match="AAM_MAX_DOWNLOAD_MB"):
        dl.download(f"{server}/real.csv", tmp_path / "r.csv", retries=0, progress=False)


def test_sidecar_is_json(server: str, tmp_path: Path) -> None:
    require_shared()
    dl.download(f"{server}/real.csv", tmp_path / "r.csv", retries=0, progress=False)
    assert json.loads(dl.record_path(tmp_path / "r.csv").read_text())["sha256"] == _sha(REG02)
