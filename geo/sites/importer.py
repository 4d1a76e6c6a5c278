"""One import path for site files, shared by the app upload and the command line.

read -> match headings -> (same file already imported? stop) -> validate and geocode ->
place in wards -> store atomically. Because the app and ``python -m geo sites import`` both
call ``import_sites``, the same file gives the same counts, rejections and stored versions.
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from geo.db.spatial import placer_for
from geo.errors import DataError
from geo.sites.chunks import CHUNK_ROWS, open_source
from geo.sites.geocode import make_geocoder
from geo.sites.join import check_ward_layer
from geo.sites.schema import match_headers
from geo.sites.store import LOCAL_MEMBER, LOCAL_ORGANISATION, SiteStore
from geo.sites.validate import duplicate_references, require_columns, text_cells, validate

log = logging.getLogger(__name__)  # counts and file names only: never the rows (OFFICIAL-SENSITIVE)


@dataclass
class ImportResult:
    """What an import did; ``to_dict()`` is exactly what the CLI prints with ``--json``."""

    read: int
    accepted: int
    rejected: int
    batch: int
    duplicate: bool
    rejections: list[dict[str, Any]]
    file_name: str = ""
    sha256: str = ""
    mapping: dict[str, str] = field(default_factory=dict)
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: int = 0
    not_in_file: list[str] = field(default_factory=list)
    outside_boundaries: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # what the reader had to assume (encoding, CRS)
    authorities: dict[str, int] = field(default_factory=dict)  # accepted sites per authority they fall in

    def to_dict(self) -> dict[str, Any]:
        """The import contract: read, accepted, rejected, batch, duplicate, rejections."""
        return {"read": self.read, "accepted": self.accepted, "rejected": self.rejected,
                "batch": self.batch, "duplicate": self.duplicate, "rejections": list(self.rejections)}

    def details(self) -> dict[str, Any]:
        """Everything, for the app's import summary."""
        return asdict(self)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


Progress = Callable[[int, int], None]


def import_sites(path: str | Path, db_path: str | Path, wards_gdf, *,
                 mapping: Mapping[str, str | None] | None = None,
                 postcode_directory: str | Path | None = None,
                 online_lookup_url: str | None = None,
                 imported_by: str | None = None,
                 organisation: str = LOCAL_ORGANISATION,
                 sheet: str | None = None,
                 as_at: date | None = None,
                 boundary_vintage: str | None = None,
                 on_progress: Progress | None = None,
                 chunk_rows: int = CHUNK_ROWS) -> ImportResult:
    """Import one site file into the store at ``db_path``.

    ``mapping`` corrects the automatic heading match (field -> column, None to unmap).
    ``postcode_directory`` (NSPL/ONSPD CSV) and, only if given, ``online_lookup_url``
    place rows that have a postcode but no coordinates. ``as_at`` is the date the file
    describes (default today); ``boundary_vintage`` defaults to ``wards_gdf.attrs['vintage']``.
    ``organisation`` owns the batch and its sites; ``imported_by`` is the signed-in member's
    e-mail (default: the desktop mode's local member, never the machine's login name).

    The file is read, checked, placed and staged ``chunk_rows`` rows at a time inside one
    transaction (all of it lands or none); ``on_progress(done, total)`` is called after each
    chunk with rows done and rows in the file.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError("file not found", file=path)
    wards = check_ward_layer(wards_gdf)
    source = open_source(path, sheet=sheet)
    resolved = match_headers(source.columns, overrides=mapping)
    ref_cells, ref_rows = source.scan(resolved.get("reference"))
    resolved = match_headers(source.columns, overrides=mapping)   # a fallback may rename columns
    if not source.rows:
        raise DataError("the file has headings but no data rows", file=path, sheet=source.attrs.get("sheet"))
    digest = sha256_file(path)
    store = SiteStore(db_path)

    previous = store.find_batch(digest, resolved, organisation)
    if previous is not None:
        log.info("%s was already imported as batch %s: nothing added", path.name, previous["id"])
        return _duplicate(store, previous, path, digest, resolved)
    log.info("importing %s (%s rows, sha256 %s)", path.name, f"{int(source.rows):,}", digest[:12])

    require_columns(resolved, source.columns)
    duplicates = duplicate_references(text_cells(ref_cells), ref_rows) if "reference" in resolved else {}
    geocoder = make_geocoder(postcode_directory, online_lookup_url)
    total, done = int(source.rows), 0
    rejections: list[dict[str, Any]] = []
    outside: list[str] = []
    authorities: dict[str, int] = {}
    with store.importing(file_name=path.name, sha256=digest, mapping=resolved, organisation=organisation,
                         imported_by=imported_by or LOCAL_MEMBER, as_at=as_at,
                         boundary_vintage=boundary_vintage or _vintage(wards_gdf)) as batch:
        if batch.duplicate is not None:   # another import of the same file won the race
            return _duplicate(store, store.batch(batch.duplicate.batch_id), path, digest, resolved)
        placer = placer_for(db_path, wards)   # PostGIS when the PostgreSQL store holds the wards, else in-process
        for raw in source.chunks(chunk_rows):
            checked = validate(raw, resolved, geocoder=geocoder, today=as_at, duplicates=duplicates)
            placed = placer(checked.sites)
            rejected_raw = raw.loc[checked.rejected_index]
            refs = text_cells(rejected_raw[resolved["reference"]]) if "reference" in resolved else []
            batch.add(placed, checked.rejections, rejected_raw, [r for r in refs if r])
            rejections += [r.as_dict() for r in checked.rejections]
            outside += placed.loc[~placed["in_boundary"].to_numpy(dtype=bool), "reference"].tolist()
            for lad, n in placed["lad_code"].dropna().astype(str).value_counts().items():
                authorities[str(lad)] = authorities.get(str(lad), 0) + int(n)
            done += len(raw)
            if on_progress is not None:
                on_progress(done, total)
        summary = batch.finish(done)
        if summary.duplicate:             # the same file was imported while this one was staged
            return _duplicate(store, store.batch(summary.batch_id), path, digest, resolved)
    assert summary.accepted + summary.rejected == summary.rows_read == total
    log.info("imported %s as batch %d: %d read, %d accepted, %d rejected; %d new, %d changed, %d unchanged",
             path.name, summary.batch_id, summary.rows_read, summary.accepted, summary.rejected,
             len(summary.new), len(summary.changed), summary.unchanged)
    return ImportResult(
        read=summary.rows_read, accepted=summary.accepted, rejected=summary.rejected, batch=summary.batch_id,
        duplicate=False, rejections=rejections, file_name=path.name,
        sha256=digest, mapping=resolved, new=summary.new, changed=summary.changed,
        unchanged=summary.unchanged, not_in_file=summary.not_in_file, outside_boundaries=outside,
        authorities=authorities,
        warnings=list(source.attrs.get("warnings", [])))


@contextmanager
def progress_bar(label: str) -> Iterator[Progress]:
    """A tqdm bar on stderr (shown only on a terminal) as an ``on_progress`` callback."""
    from tqdm import tqdm

    bar = tqdm(total=0, desc=label, unit="rows", unit_scale=True, disable=None, leave=False)
    try:
        def update(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        yield update
    finally:
        bar.close()


def _vintage(wards: Any) -> str | None:
    value = getattr(wards, "attrs", {}).get("vintage")
    return str(value) if value else None


def _duplicate(store: SiteStore, batch: dict[str, Any], path: Path, digest: str,
               resolved: dict[str, str]) -> ImportResult:
    detail = store.batch(int(batch["id"]))
    return ImportResult(
        read=int(detail["rows_read"]), accepted=int(detail["accepted"]), rejected=int(detail["rejected"]),
        batch=int(detail["id"]), duplicate=True, rejections=store.rejection_list(int(detail["id"])),
        file_name=path.name, sha256=digest, mapping=resolved,
        new=[], changed=[], unchanged=0, not_in_file=[])


def rejections_csv(frame: pd.DataFrame) -> str:
    """The rejection download as CSV text (UTF-8 with BOM so Excel shows accents correctly)."""
    from geo.cells import safe_csv  # formula-safe: rejected cells are raw text from the file

    return "\ufeff" + (safe_csv(frame, index=False) or "")
