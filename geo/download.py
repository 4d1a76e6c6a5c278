"""Fetch publishers' files over HTTP without ever leaving a half-written file behind.

Every download streams into a temporary file beside its destination and is renamed
into place only once complete, so a crash, a dropped connection or Ctrl-C leaves the
previous copy (or nothing) rather than a truncated file that later looks valid.
Each finished file gets a JSON sidecar (``<dest>.json``) recording where it came
from, when, its size and SHA-256, so provenance survives alongside the data.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from time import monotonic  # not via `time`: tests replace time.sleep to skip backoff waits
from typing import Any, BinaryIO, TypeVar

import requests
from tqdm import tqdm

from geo.errors import DownloadError

T = TypeVar("T")
log = logging.getLogger(__name__)

CHUNK_SIZE = 1 << 16
# Bounds on every download, as settings: an overall time limit (not per read, so a server
# trickling one byte every two seconds still ends) and a size cap.
DEADLINE_ENV, DEADLINE_DEFAULT_S = "AAM_DOWNLOAD_DEADLINE_S", 900.0
MAX_MB_ENV, MAX_MB_DEFAULT = "AAM_MAX_DOWNLOAD_MB", 2048.0
USER_AGENT = "asylum-accommodation-map (+https://geoportal.statistics.gov.uk)"
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class DownloadRecord:
    """Provenance of one fetched file: enough to cite it and to detect it changing."""

    url: str
    path: Path
    size_bytes: int
    sha256: str
    downloaded_at: str  # ISO 8601, UTC

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the path as a string)."""
        return {**asdict(self), "path": str(self.path)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DownloadRecord:
        """Rebuild a record read back from a sidecar."""
        return cls(
            url=str(data["url"]),
            path=Path(data["path"]),
            size_bytes=int(data["size_bytes"]),
            sha256=str(data["sha256"]),
            downloaded_at=str(data["downloaded_at"]),
        )


class _Transient(Exception):
    """A failure worth another attempt (5xx, throttling, a body that arrived broken)."""


class _Permanent(Exception):
    """A failure that retrying cannot fix (4xx, a service saying the request is wrong)."""


# --------------------------------------------------------------------------- public


def download(
    url: str,
    dest: Path,
    *,
    timeout: float = 60,
    retries: int = 3,
    backoff: float = 1.0,
    progress: bool = True,
    session: requests.Session | None = None,
    expected_sha256: str | None = None,
    max_bytes: int | None = None,
    deadline: float | None = None,
) -> DownloadRecord:
    """Stream ``url`` to ``dest`` atomically and write its provenance sidecar.

    ``retries`` is how many further attempts follow a failed first one; waits between
    attempts are ``backoff``, ``2*backoff``, ``4*backoff``... seconds. Only connection
    errors, timeouts, 429 and 5xx answers are retried. Raises DownloadError naming
    the URL and the last error.

    ``expected_sha256`` pins the file (the registry's checksum of a fixed release): a body
    with another checksum is refused and nothing is written, so it is never cached.
    ``deadline`` (seconds, whole download including retries; default AAM_DOWNLOAD_DEADLINE_S)
    and ``max_bytes`` (default AAM_MAX_DOWNLOAD_MB) bound the time and size.
    """
    dest = Path(dest)
    limits = _Limits.make(deadline, max_bytes)
    log.info("downloading %s to %s", url, dest)
    started = monotonic()
    with _session(session) as sess:

        def attempt() -> tuple[int, str]:
            with _atomic_path(dest) as tmp:
                size, digest = _stream_to(sess, url, tmp, timeout=timeout, progress=progress, label=dest.name,
                                          limits=limits)
                _check_pin(digest, expected_sha256)
                return size, digest

        size, digest = _with_retries(attempt, url, retries=retries, backoff=backoff, limits=limits)
    log.info("downloaded %s: %s bytes in %.1f s, sha256 %s", dest.name, f"{size:,}", monotonic() - started,
             digest)
    return finish_record(url, dest, size, digest)


def safe_name(name_or_url: str | None) -> str:
    """A file name from a publisher or an API reduced to a plain base name, never a path (issue 24).

    Only the last part of a path or URL is kept (either slash, and URL-escaped slashes), then
    anything but letters, digits, dot, dash and underscore becomes '_'; a name that is empty or
    only dots after that is refused."""
    from urllib.parse import unquote, urlsplit

    text = str(name_or_url or "")
    if "://" in text:
        text = urlsplit(text).path
    for _ in range(3):  # %252F decodes in two steps
        text = unquote(text)
    base = re.split(r"[\\/]", text)[-1].strip()
    base = re.sub(r"[^A-Za-z0-9._-]", "_", base)[:200]
    if not base.strip("._"):
        raise DownloadError(f"{str(name_or_url)[:120]!r} gives no usable file name")
    return base


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks so large files don't fill memory."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK_SIZE), b""):
            h.update(chunk)
    return h.hexdigest()


def record_path(dest: Path) -> Path:
    """Where the provenance sidecar of ``dest`` lives: ``dest`` + ``.json``."""
    dest = Path(dest)
    return dest.with_suffix(dest.suffix + ".json")


def read_record(dest: Path) -> DownloadRecord | None:
    """The sidecar record of ``dest``, or None when there is none (or it is unreadable)."""
    try:
        return DownloadRecord.from_dict(json.loads(record_path(dest).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def finish_record(url: str, dest: Path, size: int, digest: str) -> DownloadRecord:
    """Build the record for a file now in place at ``dest`` and write its sidecar."""
    record = DownloadRecord(
        url=url,
        path=Path(dest),
        size_bytes=size,
        sha256=digest,
        downloaded_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    text = json.dumps(record.to_dict(), indent=2, ensure_ascii=False) + "\n"
    write_bytes_atomic(record_path(dest), text.encode("utf-8"))
    return record


def write_bytes_atomic(dest: Path, data: bytes) -> None:
    """Replace ``dest`` with ``data`` in one rename, so readers never see a partial file."""
    with _atomic_path(Path(dest)) as tmp, open(tmp, "wb") as f:
        f.write(data)
        _sync(f)


# --------------------------------------------------------------------------- retry core


def _get_json(
    session: requests.Session,
    url: str,
    params: Mapping[str, Any] | None,
    timeout: float,
    retries: int,
    *,
    backoff: float = 1.0,
    check: Callable[[Any], None] | None = None,
) -> Any:
    """GET ``url`` and parse JSON, with the same retry policy as download().

    ``check`` sees the parsed body and may raise _Transient (retry) or _Permanent
    (fail now), for services such as ArcGIS that report errors inside HTTP 200.
    """

    def attempt() -> Any:
        log.debug("GET %s %s", url, dict(params or {}))
        resp = session.get(url, params=params, timeout=timeout, headers={"User-Agent": USER_AGENT})
        with resp:
            _raise_for_status(resp)
            try:
                body = resp.json()
            except ValueError as exc:  # truncated or an HTML error page from a proxy
                raise _Transient(f"response was not JSON ({_one_line(exc)})") from exc
        if check is not None:
            check(body)
        return body

    return _with_retries(attempt, url, retries=retries, backoff=backoff)


def _with_retries(attempt: Callable[[], T], url: str, *, retries: int, backoff: float,
                  limits: _Limits | None = None) -> T:
    """Run ``attempt`` until it succeeds, retrying transient failures with exponential backoff."""
    attempts = max(0, retries) + 1
    last: BaseException | None = None
    for n in range(attempts):
        if n and backoff > 0:
            wait = backoff * 2 ** (n - 1)
            if limits is not None and limits.left() < wait:
                raise DownloadError(f"download failed for {url}: over the time limit of "
                                    f"{limits.deadline:,.0f} s ({DEADLINE_ENV}) after {n} attempts: "
                                    f"{_describe(last)}") from last
            time.sleep(wait)
        try:
            return attempt()
        except _Permanent as exc:
            raise DownloadError(f"download failed for {url}: {exc}") from exc
        except (_Transient, requests.ConnectionError, requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError) as exc:
            last = exc
            if n + 1 < attempts:
                wait = backoff * 2 ** n if backoff > 0 else 0.0
                log.warning("attempt %d of %d for %s failed (%s); retrying in %.1f s", n + 1, attempts, url,
                            _describe(exc), wait)
        except requests.RequestException as exc:  # malformed URL, too many redirects...
            raise DownloadError(f"download failed for {url}: {_describe(exc)}") from exc
    tries = "attempt" if attempts == 1 else "attempts"
    raise DownloadError(f"download failed for {url} after {attempts} {tries}: {_describe(last)}") from last


def _raise_for_status(resp: requests.Response) -> None:
    """Turn an HTTP error status into _Transient (worth retrying) or _Permanent."""
    if resp.status_code < 400:
        return
    msg = f"HTTP {resp.status_code} {resp.reason or ''}".strip()
    raise (_Transient if resp.status_code in _RETRY_STATUS else _Permanent)(msg)


# --------------------------------------------------------------------------- helpers


@dataclass
class _Limits:
    """The overall deadline and size cap of one download call."""

    deadline: float
    max_bytes: int
    ends_at: float

    @classmethod
    def make(cls, deadline: float | None, max_bytes: int | None) -> _Limits:
        deadline = float(deadline if deadline is not None else _env_number(DEADLINE_ENV, DEADLINE_DEFAULT_S))
        cap = int(max_bytes if max_bytes is not None else _env_number(MAX_MB_ENV, MAX_MB_DEFAULT) * (1 << 20))
        return cls(deadline, cap, monotonic() + deadline)

    def left(self) -> float:
        return self.ends_at - monotonic()

    def check_time(self) -> None:
        if self.left() <= 0:
            raise _Permanent(f"over the time limit of {self.deadline:,.0f} s for the whole download "
                             f"(set {DEADLINE_ENV} to allow longer)")

    def check_size(self, size: int) -> None:
        if size > self.max_bytes:
            raise _Permanent(f"the file is over the {self.max_bytes / (1 << 20):,.1f} MB download limit "
                             f"(set {MAX_MB_ENV} to allow larger files)")


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    try:
        value = float(raw) if raw else default
    except ValueError:
        raise DownloadError(f"setting {name}={raw!r} is not a number") from None
    if value <= 0:
        raise DownloadError(f"setting {name}={raw!r} must be above zero")
    return value


def _check_pin(digest: str, expected: str | None) -> None:
    """Refuse a body whose SHA-256 is not the pinned one (raised before the file is put in place)."""
    if expected and digest.lower() != expected.lower():
        raise _Permanent(f"the file's SHA-256 {digest} is not the pinned {expected.lower()} of this "
                         "release: it was refused and not cached (the file at that address has changed "
                         "or was substituted)")


def _chunks(resp: requests.Response, limits: _Limits) -> Iterator[bytes]:
    """The body in pieces as they arrive, checking the deadline between pieces.

    ``read1`` returns whatever one socket read gives, so a server sending a byte every two
    seconds is checked every two seconds (``iter_content`` would wait for a full chunk).
    """
    raw = resp.raw
    if not hasattr(raw, "read1"):  # urllib3 < 2: fall back to whole chunks
        for chunk in resp.iter_content(CHUNK_SIZE):
            limits.check_time()
            yield chunk
        return
    while True:
        limits.check_time()
        try:
            chunk = raw.read1(CHUNK_SIZE, decode_content=True)
        except Exception as exc:  # urllib3 errors: a broken body is worth another attempt
            raise _Transient(f"connection broke while reading ({_one_line(exc)})") from exc
        if not chunk:
            return
        yield chunk


def _stream_to(
    session: requests.Session, url: str, tmp: Path, *, timeout: float, progress: bool, label: str,
    limits: _Limits | None = None,
) -> tuple[int, str]:
    """One attempt: stream the body into ``tmp``, hashing as we go; returns (size, sha256)."""
    limits = limits or _Limits.make(None, None)
    h = hashlib.sha256()
    size = 0
    limits.check_time()
    per_read = max(0.1, min(timeout, limits.left()))
    resp = session.get(url, stream=True, timeout=per_read, headers={"User-Agent": USER_AGENT})
    with resp:
        _raise_for_status(resp)
        expected = _expected_length(resp)
        if expected is not None:
            limits.check_size(expected)
        with open(tmp, "wb") as f, _progress_bar(expected, label, progress) as bar:
            for chunk in _chunks(resp, limits):
                size += len(chunk)
                limits.check_size(size)
                f.write(chunk)
                h.update(chunk)
                bar.update(len(chunk))
            _sync(f)
    if expected is not None and size != expected:
        raise _Transient(f"connection closed after {size} of {expected} bytes")
    return size, h.hexdigest()


def _expected_length(resp: requests.Response) -> int | None:
    """Content-Length when it describes the bytes we will see (not when the body is compressed)."""
    if resp.headers.get("Content-Encoding", "identity").lower() not in ("", "identity"):
        return None
    try:
        return int(resp.headers["Content-Length"])
    except (KeyError, ValueError):
        return None


def _progress_bar(total: int | None, label: str, enabled: bool) -> tqdm:
    """A byte progress bar on stderr, silent when unwanted or when stderr is not a terminal."""
    return tqdm(
        total=total, desc=label, unit="B", unit_scale=True, unit_divisor=1024,
        file=sys.stderr, leave=False, disable=not (enabled and _stderr_is_tty()),
    )


def _stderr_is_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


@contextmanager
def _atomic_path(dest: Path) -> Iterator[Path]:
    """Yield a fresh temp path beside ``dest``; rename it over ``dest`` on success, delete it on failure."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:12]}.part")
    try:
        yield tmp
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def _session(session: requests.Session | None) -> Iterator[requests.Session]:
    """Use the caller's session, or a private one that is closed afterwards."""
    if session is not None:
        yield session
        return
    with requests.Session() as own:
        yield own


def _sync(f: BinaryIO) -> None:
    """Flush to disk before the rename, so a power cut can't publish an empty file."""
    f.flush()
    os.fsync(f.fileno())


def _describe(exc: BaseException | None) -> str:
    """A short, single-line reason for an error (requests' own messages are long and nested)."""
    if exc is None:
        return "unknown error"
    if isinstance(exc, requests.Timeout) or "timed out" in str(exc).lower():
        return "timed out"
    if isinstance(exc, requests.ConnectionError):
        errno = re.search(r"\[Errno -?\d+\][^'\")]*", str(exc))
        return f"connection failed: {errno.group(0).strip()}" if errno else "connection failed"
    return _one_line(exc)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."
