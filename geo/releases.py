"""New Home Office releases: find them on GOV.UK, fetch and check them, load them, list revisions.

- ``check`` asks the Content API for each Home Office source's page and lists attachments of that
  source (by the registry's file names) dated later than the file loaded now;
- ``fetch`` downloads them to a staging folder, reads each with its own reader (a bad file stops
  the fetch with one line and leaves the loaded files untouched), then moves all of them into the
  download cache at once, records what the new files revise, and rebuilds the model cache;
- ``diff`` compares two files of one source: every figure for a quarter both give that changed.

What was found and revised is kept under ``cache/releases`` so the Sources page can show it.
"""
from __future__ import annotations

import dataclasses
import fnmatch
import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from geo import govuk, period_table, sources
from geo.asylum_stats import read_asy_d11, read_quarterly_totals, read_reg02
from geo.download import download, finish_record, safe_name
from geo.errors import DataError, DownloadError, GeoError
from geo.regional import read_res_d01

RELEASE_SOURCES = ("asy_d11", "reg02", "res_d01")
release_date = sources.release_date  # the date a release's file name states
REVISION_COLUMNS = ["quarter", "lad_code", "authority", "measure", "was", "now", "release"]


@dataclass(frozen=True)
class NewRelease:
    """A published file later than the one loaded for its source."""

    source_id: str
    title: str
    filename: str
    url: str
    date: str | None  # the release date read from the file name (ISO)
    page_updated_at: str | None
    loaded_file: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def source_of(filename: str, registry: dict[str, sources.Source] | None = None) -> str | None:
    """Which Home Office source a file name belongs to, by the registry's file names."""
    registry = registry or sources.load_registry()
    for sid in RELEASE_SOURCES:
        src = registry.get(sid)
        if src and any(fnmatch.fnmatch(filename, pattern) for pattern in src.local_names):
            return sid
    return None


def _pages(registry: dict[str, sources.Source]) -> dict[str, list[str]]:
    """GOV.UK page path -> the sources it publishes (one request per page)."""
    pages: dict[str, list[str]] = {}
    for sid in RELEASE_SOURCES:
        src = registry.get(sid)
        if src and src.landing_page and "gov.uk/" in src.landing_page:
            pages.setdefault(govuk.page_path(src.landing_page), []).append(sid)
    return pages


def check(loaded: dict[str, sources.Provenance], *, base: str | None = None) -> list[NewRelease]:
    """Attachments on the Home Office pages newer than the loaded file of the same source."""
    registry = sources.load_registry()
    found: dict[str, NewRelease] = {}
    for page, ids in _pages(registry).items():
        for item in govuk.attachments(page, base=base):
            sid = source_of(item.filename, registry)
            if sid not in ids:
                continue
            current = loaded.get(sid)
            when = release_date(item.filename)
            if current is not None:
                if item.filename == current.file_name:
                    continue
                have = release_date(current.file_name)
                if when is None or (have is not None and when <= have):
                    continue
            key = f"{sid}:{item.filename}"
            found[key] = NewRelease(sid, item.title, item.filename, item.url,
                                    when.isoformat() if when else None, item.page_updated_at,
                                    current.file_name if current else None)
    return sorted(found.values(), key=lambda r: (r.source_id, r.date or ""))


# --- reading any release into the period table's long form ------------------------------------

READERS: dict[str, Callable[[Path], Any]] = {
    "asy_d11": read_asy_d11, "reg02": read_reg02, "quarterly_totals": read_quarterly_totals,
}


def _detect(path: Path) -> str:
    """The source a file holds: by its published name, else by its content (sheets or CSV header)."""
    sid = source_of(path.name)
    if sid:
        return sid
    if path.suffix.lower() in {".xlsx", ".xls", ".ods"}:
        from geo import reading
        from geo.identify import refuse_other, tables_in

        names = list(reading.open_workbook(path, reading.DATA).sheet_names)
        ours, _ = tables_in(names)
        if ours & {"asy_d11", "reg02"}:
            return sorted(ours & {"asy_d11", "reg02"})[0]
        refuse_other(path, "asy_d11", names)
        return "asy_d11"  # no telling sheet name: the Asy_D11 reader looks for its header row
    head = pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns.str.strip().str.lower()
    if "dispersal_accommodation" in head:
        return "reg02"
    if "supported_asylum" in head:
        return "quarterly_totals"
    raise DataError("not a Home Office release this product reads (Asy_D11, Reg_02 or the quarterly "
                    "totals)", file=path)


def read_release(path: str | Path, source_id: str | None = None) -> tuple[str, pd.DataFrame]:
    """(source id, tidy rows) for any release file; DataError naming file, row and column if bad."""
    path = Path(path)
    if not path.exists():
        raise DataError("file not found", file=path)
    sid = source_id or _detect(path)
    if sid == "asy_d11":
        d11 = read_asy_d11(path)
        return sid, d11.table.assign(release=d11.release or path.name, source=sid)
    if sid == "reg02":
        return sid, period_table.reg02_rows(read_reg02(path), path.name)
    return sid, period_table.quarterly_rows(read_quarterly_totals(path), path.name)


def diff(old: str | Path, new: str | Path, release: str | None = None) -> pd.DataFrame:
    """Revisions: every figure both files give for a quarter that changed (quarter, authority,
    measure, was, now, release). New quarters are additions, not revisions, and are left out."""
    sid_old, rows_old = read_release(old)
    sid_new, rows_new = read_release(new)
    a = period_table.long_table(rows_old, sid_old)
    b = period_table.long_table(rows_new, sid_new)
    joined = a.merge(b, on=["period", "lad_code", "measure"], suffixes=("_was", "_now"))
    changed = joined[joined["value_was"] != joined["value_now"]]
    names = rows_new.dropna(subset=["lad_code"]).drop_duplicates("lad_code").set_index("lad_code")["lad_name"]
    out = pd.DataFrame({
        "quarter": pd.to_datetime(changed["period"]).dt.date.astype(str),
        "lad_code": changed["lad_code"],
        "authority": changed["lad_code"].map(names),
        "measure": changed["measure"].map(period_table.MEASURE_LABELS),
        "was": changed["value_was"].astype("int64"),
        "now": changed["value_now"].astype("int64"),
        "release": release or Path(new).name,
    }, columns=REVISION_COLUMNS)
    return out.sort_values(["quarter", "lad_code", "measure"]).reset_index(drop=True)


# --- fetching ----------------------------------------------------------------------------------

def releases_dir(cache: str | Path | None = None) -> Path:
    return sources.cache_dir(cache) / "releases"


def _write_json(path: Path, payload: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload, indent=1, default=str), encoding="utf-8")
    tmp.replace(path)


def save_check(found: list[NewRelease], cache: str | Path | None = None) -> None:
    _write_json(releases_dir(cache) / "check.json",
                {"checked_at": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
                 "new": [r.as_dict() for r in found]})


def last_check(cache: str | Path | None = None) -> dict[str, Any] | None:
    """What the last check found ({'checked_at', 'new': [...]}), or None if never checked."""
    path = releases_dir(cache) / "check.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def saved_revisions(cache: str | Path | None = None) -> pd.DataFrame:
    """Every revision recorded by past fetches (the Sources page's table)."""
    path = releases_dir(cache) / "revisions.json"
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        rows = []
    return pd.DataFrame(rows, columns=REVISION_COLUMNS)


def fetch(found: list[NewRelease], loaded: dict[str, sources.Provenance], *,
          cache: str | Path | None = None, progress: bool = False) -> dict[str, Any]:
    """Download, check, then load every new release together; nothing moves if any file is bad."""
    registry = sources.load_registry()
    target = sources.cache_dir(cache) / "downloads"
    done: list[dict[str, Any]] = []
    revisions: list[pd.DataFrame] = []
    with tempfile.TemporaryDirectory(prefix="releases-", dir=_staging_parent(cache)) as tmp:
        staged: list[tuple[NewRelease, Path]] = []
        for item in found:
            item = dataclasses.replace(item, filename=safe_name(item.filename))  # never a path (issue 24)
            if not govuk.on_asset_host(item.url):
                raise DownloadError(f"{item.url} is not on GOV.UK's asset host ({govuk.ASSETS_ENV}): not fetched")
            path = Path(tmp) / item.filename
            record = download(item.url, path, progress=progress)
            try:
                if item.source_id == "res_d01":
                    read_res_d01(path)  # arrivals by quarter: read to check, not compared
                else:
                    read_release(path, item.source_id)
            except GeoError as exc:
                raise DataError(f"the new release from {item.url} could not be read, so nothing was "
                                f"loaded: {exc}") from exc
            staged.append((item, path))
            done.append({**item.as_dict(), "sha256": record.sha256, "size_bytes": record.size_bytes})
        for item, path in staged:
            old = loaded.get(item.source_id)
            if old is not None and item.source_id != "res_d01":
                revisions.append(diff(old.path, path, release=item.filename))
        for item, path in staged:
            dest = target / registry[item.source_id].subdir / item.filename
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(path), dest)
            got = next(d for d in done if d["filename"] == item.filename)
            finish_record(item.url, dest, got["size_bytes"], got["sha256"])  # sidecar names its new place
    added = pd.concat(revisions, ignore_index=True) if revisions else pd.DataFrame(columns=REVISION_COLUMNS)
    if not added.empty:
        kept = pd.concat([saved_revisions(cache), added], ignore_index=True).drop_duplicates()
        _write_json(releases_dir(cache) / "revisions.json", kept.to_dict(orient="records"))
    return {"fetched": done, "revisions": added.to_dict(orient="records")}


def _staging_parent(cache: str | Path | None) -> str:
    """Stage beside the cache so the final move is a rename on the same disk."""
    parent = releases_dir(cache) / "staging"
    parent.mkdir(parents=True, exist_ok=True)
    return str(parent)
