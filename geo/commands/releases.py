"""`python -m geo releases check|fetch|diff`: new Home Office releases found, loaded and compared."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from geo import releases


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("releases", help="find, fetch and compare Home Office releases on GOV.UK")
    actions = parser.add_subparsers(dest="action", required=True)
    for name, helptext, func in (("check", "list releases newer than those loaded", cmd_check),
                                 ("fetch", "download, check and load newer releases, then rebuild", cmd_fetch)):
        p = actions.add_parser(name, help=helptext)
        p.add_argument("--data-dir", type=Path, help="folder holding the official files")
        p.add_argument("--cache-dir", type=Path, help="where the cache lives (default ./cache)")
        p.add_argument("--json", action="store_true", help="print one JSON object")
        p.set_defaults(func=func)
    d = actions.add_parser("diff", help="revisions between two files of one source")
    d.add_argument("old", type=Path)
    d.add_argument("new", type=Path)
    d.add_argument("--json", action="store_true")
    d.set_defaults(func=cmd_diff)


def _loaded(args: argparse.Namespace) -> dict:
    from geo.model import resolve_all

    found, _ = resolve_all(args.data_dir, args.cache_dir, allow_download=False)
    return found


def cmd_check(args: argparse.Namespace) -> int:
    found = releases.check(_loaded(args))
    releases.save_check(found, args.cache_dir)
    if args.json:
        print(json.dumps({"new": [r.as_dict() for r in found]}))
    elif not found:
        print("No release newer than the files loaded.")
    for r in found if not args.json else ():
        print(f"{r.source_id}: {r.title} | {r.filename} | {r.url} | {r.date or 'undated'}")
    return 0


def cmd_fetch(args: argparse.Namespace) -> int:
    from geo.model import load_model

    loaded = _loaded(args)
    found = releases.check(loaded)
    result = releases.fetch(found, loaded, cache=args.cache_dir, progress=not args.json)
    model = load_model(args.data_dir, args.cache_dir, allow_download=False)
    releases.save_check(releases.check(_loaded(args)), args.cache_dir)
    result["latest_period"] = model.latest_period.date().isoformat()
    result["loaded"] = {sid: model.provenance[sid].file_name for sid in releases.RELEASE_SOURCES
                        if sid in model.provenance}
    if args.json:
        print(json.dumps(result, default=str))
    else:
        print(f"Fetched {len(result['fetched'])} file(s); {len(result['revisions'])} revised figure(s); "
              f"latest quarter {result['latest_period']}.")
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    table = releases.diff(args.old, args.new)
    if args.json:
        print(json.dumps({"revisions": table.to_dict(orient="records")}, default=str))
    else:
        print(table.to_string(index=False) if not table.empty else "No revisions.")
    return 0
