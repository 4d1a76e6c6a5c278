"""Where each official file comes from: the registry in data/sources.json and the resolution order.

Order: the local download cache; a folder the user names (``--data-dir`` or ``AAM_DATA_DIR``);
``../shared/data`` beside the checkout; then the publisher's own address. A council on a
locked-down network drops the official files in a folder and it works.
"""
from __future__ import annotations

import fnmatch
import json
import os
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from geo.download import sha256_file
from geo.errors import DataError, DownloadError, SourceMissing

REPO_ROOT = Path(__file__).resolve().parent.parent
REGISTRY = REPO_ROOT / "data" / "sources.json"
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
DATA_DIR_ENV = "AAM_DATA_DIR"
CACHE_DIR_ENV = "AAM_CACHE_DIR"


@dataclass(frozen=True)
class Source:
    """One official dataset as the registry describes it."""

    id: str
    title: str
    publisher: str
    licence: str
    release: str
    kind: str
    download_url: str | None
    landing_page: str | None
    subdir: str
    local_names: tuple[str, ...]
    required: bool
    population_vintage: str | None = None  # for files whose population column is an estimate of its own date
    # file name -> pinned SHA-256 of that fixed release (issue 13): downloads and cached copies must match
    sha256: dict[str, str] | None = field(default=None, hash=False, compare=False)
    # Read only from a folder the user names (never ../shared/data): a stand-in the screens must name.
    fallback: bool = False

    def pin(self, file_name: str) -> str | None:
        """The pinned checksum of a release file, if the registry pins that name."""
        return (self.sha256 or {}).get(file_name)


@dataclass(frozen=True)
class Provenance:
    """What any screen or export needs to cite a figure: file, checksum, release, licence."""

    source_id: str
    title: str
    publisher: str
    licence: str
    release: str
    path: str
    file_name: str
    origin: str  # cache | data-dir | shared | download
    sha256: str
    size_bytes: int
    url: str | None
    resolved_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def load_registry(path: Path = REGISTRY) -> dict[str, Source]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {s["id"]: Source(**{**s, "local_names": tuple(s["local_names"])}) for s in raw["sources"]}


def cache_dir(explicit: str | Path | None = None) -> Path:
    return Path(explicit or os.environ.get(CACHE_DIR_ENV) or REPO_ROOT / "cache")


_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}


def release_date(name: str) -> date | None:
    """The date a file name states: '2025-12-31', 'dec-2025' (the month's end) or a closing year ('2014-2025')."""
    import calendar

    stem = Path(name).stem.lower()
    iso = re.findall(r"(\d{4})-(\d{2})-(\d{2})", stem)
    if iso:
        y, m, d = (int(v) for v in iso[-1])
        return date(y, m, d)
    month = re.findall(r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*[-_ ]?(\d{4})", stem)
    if month:
        mon, year = month[-1]
        y, m = int(year), _MONTHS[mon]
        return date(y, m, calendar.monthrange(y, m)[1])
    years = re.findall(r"(?<!\d)(20\d{2})(?!\d)", stem)
    return date(int(years[-1]), 12, 31) if years else None


def _edition_key(path: Path) -> tuple[date, int, str]:
    """Sort key: editions by the date their name states (mar-2026 after dec-2025); two of one date (a
    re-release) by when the file arrived, the later last; then by name."""
    try:
        arrived = path.stat().st_mtime_ns
    except OSError:
        arrived = 0
    return (release_date(path.name) or date.min, arrived, path.name)


def _find_all_in(folder: Path, source: Source) -> list[Path]:
    """Every file in folder/subdir or folder itself whose name matches one of the registry's names."""
    hits: dict[str, Path] = {}
    for where in (folder / source.subdir, folder):
        if not where.is_dir():
            continue
        for path in where.iterdir():
            if path.is_file() and path.name not in hits and any(
                    fnmatch.fnmatch(path.name, pattern) for pattern in source.local_names):
                hits[path.name] = path
    return sorted(hits.values(), key=_edition_key)


def _find_in(folder: Path, source: Source) -> Path | None:
    """The newest matching file in a folder (see _find_all_in)."""
    found = _find_all_in(folder, source)
    return found[-1] if found else None


def candidate_folders(data_dir: str | Path | None = None,
                      cache: str | Path | None = None) -> list[tuple[str, Path]]:
    """(origin, folder) in resolution order."""
    folders = [("cache", cache_dir(cache) / "downloads")]
    user = data_dir or os.environ.get(DATA_DIR_ENV)
    if user:
        folders.append(("data-dir", Path(user)))
    if SHARED_DATA.is_dir():
        folders.append(("shared", SHARED_DATA))
    return folders


def _download(source: Source, dest_dir: Path) -> Path:
    from geo import arcgis, download

    if not source.download_url:
        raise DownloadError(f"{source.id} has no direct download address")
    dest_dir.mkdir(parents=True, exist_ok=True)
    name = source.local_names[0]
    if "*" in name:  # a release pattern: the file keeps the name the publisher gives it, reduced to a base name
        name = download.safe_name(source.download_url)
    dest = dest_dir / source.subdir / name
    dest.parent.mkdir(parents=True, exist_ok=True)
    if source.kind == "arcgis":
        arcgis.fetch_layer(source.download_url, dest)
    elif source.kind == "arcgis_table":
        arcgis.fetch_layer(source.download_url, dest, geometry=False)
    else:
        download.download(source.download_url, dest, expected_sha256=source.pin(name))
    return dest


def missing_message(source: Source, folders: list[tuple[str, Path]]) -> str:
    where = source.download_url or source.landing_page or "the publisher"
    looked = "; ".join(str(f) for _, f in folders)
    name = source.local_names[0]
    if "*" in name:
        name = f"a file named {name} (the * is the release, as GOV.UK names it)"
    return (f"{source.title} ({source.id}) is missing: put {name} in a folder and "
            f"pass --data-dir (or set {DATA_DIR_ENV}); it comes from {source.publisher}, {where}. "
            f"Looked in: {looked}")


def resolve(source_id: str, *, data_dir: str | Path | None = None, cache: str | Path | None = None,
            allow_download: bool = True, registry: dict[str, Source] | None = None) -> Provenance:
    """Find one official file (its newest edition), downloading it into the cache only when no local
    copy exists."""
    source = (registry or load_registry())[source_id]
    found = resolve_editions(source_id, data_dir=data_dir, cache=cache, registry=registry)
    if found:
        return found[-1]
    folders = candidate_folders(data_dir, cache)
    if allow_download and source.download_url:
        try:
            path = _download(source, folders[0][1])
        except DownloadError as exc:
            raise SourceMissing(f"{missing_message(source, folders)}. Download failed: {exc}") from exc
        return _provenance(source, path, "download")
    raise SourceMissing(missing_message(source, folders))


def resolve_editions(source_id: str, *, data_dir: str | Path | None = None, cache: str | Path | None = None,
                     registry: dict[str, Source] | None = None) -> list[Provenance]:
    """Every local edition of a source, oldest first; a name found in several folders is taken from
    the first in resolution order. Each file must hold the table it is named for (geo.identify)."""
    from geo.identify import check_workbook

    source = (registry or load_registry())[source_id]
    seen: dict[str, Provenance] = {}
    for origin, folder in candidate_folders(data_dir, cache):
        if source.fallback and origin == "shared":
            continue  # a stand-in is used only when the user hands it over
        for path in _find_all_in(folder, source):
            if path.name in seen:
                continue
            try:
                check_workbook(path, source_id)
            except DataError as exc:
                raise SourceMissing(f"{source.title}: {exc}") from None
            provenance = _provenance(source, path, origin)
            pinned = source.pin(path.name)
            if origin == "cache" and pinned and provenance.sha256 != pinned:  # issue 13: never reuse
                raise SourceMissing(f"the cached {path.name} has SHA-256 {provenance.sha256}, not the pinned "
                                    f"{pinned} of {source.release}: it was refused; delete {path} to fetch "
                                    "it again")
            seen[path.name] = provenance
    return sorted(seen.values(), key=lambda p: _edition_key(Path(p.path)))


def _provenance(source: Source, path: Path, origin: str) -> Provenance:
    return Provenance(
        source_id=source.id, title=source.title, publisher=source.publisher, licence=source.licence,
        release=source.release, path=str(path), file_name=path.name, origin=origin,
        sha256=sha256_file(path), size_bytes=path.stat().st_size, url=source.download_url,
    )
