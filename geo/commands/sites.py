"""``sites`` commands for ``python -m geo``: import, export, batches, rejections, sample.

``register(subparsers)`` plugs them into the main parser; each subcommand sets
``args.func(args) -> int`` (exit code). ``main(argv)`` runs them on their own, for tests and
for use before the main CLI exists. Errors are raised as ``GeoError``/``DataError`` for the
caller to print as one line. Heavy imports happen inside the commands so ``--help`` is quick.
"""
from __future__ import annotations

import argparse
import codecs
import json
import sys
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from geo.commands.caller import add_caller, caller
from geo.errors import DataError, GeoError


def _date(text: str) -> date:
    from geo.sites.validate import parse_date

    found = parse_date(text)
    if not isinstance(found, date):
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (use YYYY-MM-DD or DD/MM/YYYY)")
    return found


def _mapping(items: list[str] | None) -> dict[str, str | None] | None:
    if not items:
        return None
    out: dict[str, str | None] = {}
    for item in items:
        field, sep, column = item.partition("=")
        if not sep:
            raise DataError(f"--map expects FIELD=COLUMN, got '{item}'")
        out[field.strip()] = column.strip() or None
    return out


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``sites`` command and its subcommands to an argparse subparsers object."""
    sites = subparsers.add_parser("sites", help="council site records: import, export, history, samples",
                                  description="Load councils' own site records, place them in wards and "
                                              "keep their history.")
    sub = sites.add_subparsers(dest="sites_command", metavar="COMMAND", required=True)

    p = sub.add_parser("import", help="import a CSV, Excel, GeoJSON or GeoPackage file of sites")
    p.add_argument("path", type=Path, metavar="PATH")
    p.add_argument("--db", type=Path, required=True, help="SQLite site store (created if missing)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--postcodes", type=Path, help="ONS postcode directory CSV (NSPL or ONSPD layout)")
    p.add_argument("--online-lookup", metavar="URL",
                   help="allow a postcodes.io-style lookup at URL for postcodes not in the directory")
    p.add_argument("--wards", type=Path, help="ward GeoJSON/GeoPackage with ward_code, ward_name, lad_code, "
                                              "lad_name (default: the ONS ward layer)")
    p.add_argument("--data-dir", type=Path, help="folder with the official data files")
    p.add_argument("--sheet", help="Excel sheet or GeoPackage layer (default: the first)")
    p.add_argument("--map", action="append", metavar="FIELD=COLUMN",
                   help="use COLUMN for FIELD (repeatable; FIELD= to ignore a column)")
    p.add_argument("--as-at", type=_date, help="date the file describes (default: today)")
    p.add_argument("--imported-by", help="name recorded with the batch in the desktop mode (no members)")
    add_caller(p)  # the member importing (an admin); the batch belongs to their organisation
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", help="write every current site with its ward and authority to stdout")
    p.add_argument("--db", type=Path, required=True)
    p.add_argument("--format", choices=("csv", "geojson"), default="csv")
    p.add_argument("--as-at", type=_date, help="the sites as the store knew them on this date")
    add_caller(p)  # the member exporting (an analyst or admin)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("batches", help="list imports (yours, and those shared with your organisation)")
    p.add_argument("--db", type=Path, required=True)
    add_caller(p)  # the member asking
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_batches)

    p = sub.add_parser("rejections", help="rejected rows of one import as CSV (fix and re-import)")
    p.add_argument("--db", type=Path, required=True)
    p.add_argument("--batch", type=int, required=True)
    add_caller(p)  # an admin of the batch's organisation
    p.set_defaults(func=cmd_rejections)

    p = sub.add_parser("sample", help="write an ILLUSTRATIVE sample site file for demos")
    p.add_argument("--out", type=Path, required=True, help="CSV file (or folder) to write")
    p.add_argument("--lads", help="comma-separated authority codes (default: Liverpool, Glasgow City, "
                                  "Birmingham, Hillingdon)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--messy", action="store_true", help="add rows with typical mistakes")
    p.add_argument("--totals", type=Path, help="CSV with lad_code, dispersed_people, hotel_people "
                                               "(default: latest quarter of the Home Office Asy_D11 file)")
    p.add_argument("--wards", type=Path, help="ward file with the contract columns (default: ONS wards)")
    p.add_argument("--data-dir", type=Path, help="folder with the official data files")
    p.set_defaults(func=cmd_sample)
    return sites


def load_wards(path: Path | None, data_dir: Path | None = None):
    """The ward layer: a file with the contract columns, else ``geo.model.load_ward_layer``."""
    if path is not None:
        import geopandas as gpd

        from geo.sites.join import check_ward_layer

        if not path.is_file():
            raise DataError("ward file not found", file=path)
        try:
            wards = gpd.read_file(path)
        except Exception as exc:  # pyogrio errors
            raise DataError(f"cannot read the ward file ({exc.__class__.__name__}: {exc})", file=path) from exc
        return check_ward_layer(wards)
    try:
        from geo.model import load_ward_layer
    except ImportError as exc:
        raise GeoError("no ward boundary loader available: pass --wards FILE") from exc
    return load_ward_layer(data_dir)


def _existing_store(path: Path):
    from geo.db import store_exists
    from geo.sites.store import SiteStore

    if not store_exists(path):  # on PostgreSQL (AAM_DATABASE_URL) the server is the store
        raise DataError("no site store here (import a file first)", file=path)
    return SiteStore(path)


def cmd_import(args: argparse.Namespace) -> int:
    from geo.access.imports import import_as
    from geo.sites.importer import import_sites, progress_bar

    member = caller(args)  # the desktop mode's local admin on a store without members
    wards = load_wards(args.wards, getattr(args, "data_dir", None))
    with progress_bar(f"importing {Path(args.path).name}") as on_progress:  # on a terminal only
        if member.organisation.kind == "local" and args.imported_by:  # desktop mode: the name given
            from geo.access import audit

            result = import_sites(args.path, args.db, wards, mapping=_mapping(args.map),
                                  postcode_directory=args.postcodes, online_lookup_url=args.online_lookup,
                                  imported_by=args.imported_by, sheet=args.sheet, as_at=args.as_at,
                                  on_progress=on_progress)
            audit.record(args.db, member, "import", {"file": result.file_name, "batch": result.batch,
                                                     "recorded_as": args.imported_by, "read": result.read,
                                                     "accepted": result.accepted, "rejected": result.rejected})
        else:
            result = import_as(member, args.path, args.db, wards, mapping=_mapping(args.map),
                               postcode_directory=args.postcodes, online_lookup_url=args.online_lookup,
                               sheet=args.sheet, as_at=args.as_at, on_progress=on_progress)
    for warning in result.warnings:   # what the reader assumed: on stderr, so --json stays the contract
        print(f"warning: {warning}", file=sys.stderr)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False))
        return 0
    if result.duplicate:
        print(f"{result.file_name}: already imported as batch {result.batch}; nothing added.")
    else:
        print(f"{result.file_name}: {result.read} rows read, {result.accepted} accepted, "
              f"{result.rejected} rejected (batch {result.batch}).")
        print(f"  {len(result.new)} new, {len(result.changed)} changed, {result.unchanged} unchanged, "
              f"{len(result.not_in_file)} kept but not in this file, "
              f"{len(result.outside_boundaries)} outside the ward boundaries.")
    for r in result.rejections:
        print(f"  row {r['row']}, column '{r['column']}': {r['reason']}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    # Through geo.access: only what the caller may see, stamped and written to the audit log.
    from geo.access.members import Action, require
    from geo.access.scope import visible_sites
    from geo.access.tracing import is_illustrative, stamp_export

    _existing_store(args.db)
    member = require(caller(args), Action.EXPORT_SITES)
    selection = {"command": "sites export", "as_at": args.as_at, "format": args.format}
    if args.format == "csv":
        return _export_csv(args, member, selection)
    sites = visible_sites(member, args.db, as_at=args.as_at, selection=selection)
    from geo.sites.export import sites_geojson

    out = stamp_export(args.db, member, (sites_geojson(sites) + "\n").encode("utf-8"), args.format,
                       selection=selection, rows=len(sites), site_level=True, illustrative=is_illustrative(sites))
    sys.stdout.write(out.decode("utf-8"))
    return 0


def _export_csv(args: argparse.Namespace, member: Any, selection: dict[str, Any]) -> int:
    """The CSV read a chunk of sites at a time and spooled to a temporary file, so memory does not
    grow with the number of sites; the stamp line (which says whether any row is illustrative)
    goes first, so the file is checksummed and recorded before it is written out."""
    import tempfile

    from geo.access.scope import visible_site_chunks
    from geo.access.tracing import is_illustrative, stamp_csv_file
    from geo.sites.export import sites_csv_parts

    chunks = visible_site_chunks(member, args.db, as_at=args.as_at, selection=selection)
    rows, illustrative = 0, False

    def counted() -> Iterator[Any]:
        nonlocal rows, illustrative
        for chunk in chunks:
            rows += len(chunk)
            illustrative = illustrative or is_illustrative(chunk)
            yield chunk

    with tempfile.TemporaryFile(prefix="aam-export-") as body:
        for text in sites_csv_parts(counted()):
            body.write(text.encode("utf-8"))
        sys.stdout.flush()
        stamp_csv_file(args.db, member, body, _stdout_bytes(), selection=selection, rows=rows, site_level=True,
                       illustrative=illustrative)
    sys.stdout.flush()
    return 0


def _stdout_bytes() -> Callable[[bytes], Any]:
    """Write bytes to standard output: to its buffer, else decoded (a text-only stand-in)."""
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is not None:
        return buffer.write
    decoder = codecs.getincrementaldecoder("utf-8")()
    return lambda block: sys.stdout.write(decoder.decode(block))


def cmd_batches(args: argparse.Namespace) -> int:
    from geo.access.scope import visible_batches

    _existing_store(args.db)
    table = visible_batches(caller(args), args.db)
    if args.json:
        print(json.dumps(table.to_dict("records"), default=str, ensure_ascii=False))
    else:
        sys.stdout.write(table.to_string(index=False) + "\n" if len(table) else "no imports yet\n")
    return 0


def cmd_rejections(args: argparse.Namespace) -> int:
    from geo.access.scope import visible_rejections
    from geo.cells import safe_csv  # formula-safe: rejected cells are raw text from the file

    _existing_store(args.db)
    frame = visible_rejections(caller(args), args.db, args.batch)
    sys.stdout.write(safe_csv(frame, index=False) or "")  # no path given: the CSV text
    return 0


def _totals(args: argparse.Namespace):
    import pandas as pd

    from geo.sites.sample import totals_from_asy_d11

    if args.totals is not None:
        if not args.totals.is_file():
            raise DataError("totals file not found", file=args.totals)
        table = pd.read_csv(args.totals, encoding="utf-8-sig", dtype={"lad_code": str})
        missing = {"lad_code", "dispersed_people", "hotel_people"} - set(table.columns)
        if missing:
            raise DataError(f"totals need columns {sorted(missing)}", file=args.totals)
        return table
    from geo.asylum_stats import read_asy_d11
    from geo.sources import resolve

    found = resolve("asy_d11", data_dir=args.data_dir, allow_download=False)
    return totals_from_asy_d11(read_asy_d11(found.path).table)


def cmd_sample(args: argparse.Namespace) -> int:
    from geo.sites.sample import DEFAULT_LADS, write_sample

    lads = tuple(c.strip() for c in args.lads.split(",") if c.strip()) if args.lads else DEFAULT_LADS
    wards = load_wards(args.wards, args.data_dir)
    written = write_sample(args.out, wards, _totals(args), lads=lads, seed=args.seed, messy=args.messy)
    print(written)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run ``sites ...`` on its own (argv excludes the program name, e.g. ['sites', 'import', ...])."""
    parser = argparse.ArgumentParser(prog="python -m geo")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    try:
        raise SystemExit(main())
    except GeoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
