"""One import path for site files, shared by the app upload and the command line.

read -> match headings -> (same file already imported? stop) -> validate and geocode ->
place in wards -> store atomically. Because the app and ``python -m geo sites import`` both
call ``import_sites``, the same file gives the same counts, rejections and stored versions.
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from geo.errors import DataError
from geo.sites.geocode import make_geocoder
from geo.sites.join import assign_wards, check_ward_layer
from geo.sites.readers import read_table
from geo.sites.schema import ROW, match_headers
from geo.sites.store import LOCAL_MEMBER, LOCAL_ORGANISATION, SiteStore
from geo.sites.validate import text_cells, validate


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


def import_sites(path: str | Path, db_path: str | Path, wards_gdf, *,
                 mapping: Mapping[str, str | None] | None = None,
                 postcode_directory: str | Path | None = None,
                 online_lookup_url: str | None = None,
                 imported_by: str | None = None,
                 organisation: str = LOCAL_ORGANISATION,
                 sheet: str | None = None,
                 as_at: date | None = None,
                 boundary_vintage: str | None = None) -> ImportResult:
    """Import one site file into the store at ``db_path``.

    ``mapping`` corrects the automatic heading match (field -> column, None to unmap).
    ``postcode_directory`` (NSPL/ONSPD CSV) and, only if given, ``online_lookup_url``
    place rows that have a postcode but no coordinates. ``as_at`` is the date the file
    describes (default today); ``boundary_vintage`` defaults to ``wards_gdf.attrs['vintage']``.
    ``organisation`` owns the batch and its sites; ``imported_by`` is the signed-in member's
    e-mail (default: the desktop mode's local member, never the machine's login name).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError("file not found", file=path)
    wards = check_ward_layer(wards_gdf)
    raw = read_table(path, sheet=sheet)
    if raw.empty:
        raise DataError("the file has headings but no data rows", file=path, sheet=raw.attrs.get("sheet"))
    resolved = match_headers([c for c in raw.columns if c != ROW], overrides=mapping)
    digest = sha256_file(path)
    store = SiteStore(db_path)

    previous = store.find_batch(digest, resolved, organisation)
    if previous is not None:
        return _duplicate(store, previous, path, digest, resolved)

    checked = validate(raw, resolved, geocoder=make_geocoder(postcode_directory, online_lookup_url),
                       today=as_at)
    placed = assign_wards(checked.sites, wards)
    rejected_raw = raw.loc[checked.rejected_index]
    rejected_refs = set()
    if "reference" in resolved:
        rejected_refs = {r for r in text_cells(rejected_raw[resolved["reference"]]) if r}
    summary = store.record_import(
        file_name=path.name, sha256=digest, mapping=resolved, sites=placed, rejections=checked.rejections,
        raw_rejected=rejected_raw, rows_read=checked.rows_read,
        imported_by=imported_by or LOCAL_MEMBER, organisation=organisation,
        boundary_vintage=boundary_vintage or _vintage(wards_gdf), as_at=as_at,
        rejected_references=rejected_refs)
    if summary.duplicate:  # another import of the same file won the race
        return _duplicate(store, store.batch(summary.batch_id), path, digest, resolved)
    assert summary.accepted + summary.rejected == summary.rows_read
    return ImportResult(
        read=checked.rows_read, accepted=checked.accepted, rejected=checked.rejected, batch=summary.batch_id,
        duplicate=False, rejections=[r.as_dict() for r in checked.rejections], file_name=path.name,
        sha256=digest, mapping=resolved, new=summary.new, changed=summary.changed,
        unchanged=summary.unchanged, not_in_file=summary.not_in_file,
        outside_boundaries=placed.loc[~placed["in_boundary"], "reference"].tolist())


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

    return "\ufeff" + safe_csv(frame, index=False)
