"""Where each official file comes from: the registry in data/sources.json and the resolution order.

Order: the local download cache; a folder the user names (``--data-dir`` or ``AAM_DATA_DIR``);
``../shared/data`` beside the checkout; then the publisher's own address. A council on a
locked-down network drops the official files in a folder and it works.
"""
from __future__ import annotations

import fnmatch
import json
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from geo.download import sha256_file
from geo.errors import DownloadError, SourceMissing

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


def _find_in(folder: Path, source: Source) -> Path | None:
    """A file in folder/subdir or folder itself whose name matches one of the registry's names."""
    for where in (folder / source.subdir, folder):
        if not where.is_dir():
            continue
        names = sorted(p.name for p in where.iterdir() if p.is_file())
        for pattern in source.local_names:
            hits = [n for n in names if fnmatch.fnmatch(n, pattern)]
            if hits:
                return where / sorted(hits)[-1]  # newest release sorts last by its dated name
    return None


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
    return (f"{source.title} ({source.id}) is missing: put {source.local_names[0]} in a folder and "
            f"pass --data-dir (or set {DATA_DIR_ENV}); it comes from {source.publisher}, {where}. "
            f"Looked in: {looked}")


def resolve(source_id: str, *, data_dir: str | Path | None = None, cache: str | Path | None = None,
            allow_download: bool = True, registry: dict[str, Source] | None = None) -> Provenance:
    """Find one official file, downloading it into the cache only when no local copy exists."""
    source = (registry or load_registry())[source_id]
    folders = candidate_folders(data_dir, cache)
    for origin, folder in folders:
        found = _find_in(folder, source)
        if found is not None:
            provenance = _provenance(source, found, origin)
            pinned = source.pin(found.name)
            if origin == "cache" and pinned and provenance.sha256 != pinned:  # issue 13: never reuse
                raise SourceMissing(f"the cached {found.name} has SHA-256 {provenance.sha256}, not the pinned "
                                    f"{pinned} of {source.release}: it was refused; delete {found} to fetch "
                                    "it again")
            return provenance
    if allow_download and source.download_url:
        try:
            path = _download(source, folders[0][1])
        except DownloadError as exc:
            raise SourceMissing(f"{missing_message(source, folders)}. Download failed: {exc}") from exc
        return _provenance(source, path, "download")
    raise SourceMissing(missing_message(source, folders))


def _provenance(source: Source, path: Path, origin: str) -> Provenance:
    return Provenance(
        source_id=source.id, title=source.title, publisher=source.publisher, licence=source.licence,
        release=source.release, path=str(path), file_name=path.name, origin=origin,
        sha256=sha256_file(path), size_bytes=path.stat().st_size, url=source.download_url,
    )
