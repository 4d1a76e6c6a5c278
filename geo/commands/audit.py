"""``python -m geo audit verify|trace|log``: check the audit chain, trace an exported file (thin)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from geo.commands.caller import add_caller, caller


def register(subparsers: Any) -> argparse.ArgumentParser:
    top = subparsers.add_parser("audit", help="verify the audit log; trace an exported file to who made it")
    sub = top.add_subparsers(dest="audit_command", metavar="COMMAND", required=True)

    p = sub.add_parser("verify", help="check every row's hash chain; exit 1 naming the first bad row")
    p.add_argument("--db", type=Path, required=True)
    p.add_argument("--anchor", type=Path, help="an anchor file from `audit anchor`: the chain must still hold it")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("anchor", help="write the chain's head to FILE, to keep outside the store "
                                      "(verify --anchor FILE then catches a cut-back log)")
    p.add_argument("--db", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(func=cmd_anchor)

    p = sub.add_parser("trace", help="who exported FILE, when, from which organisation, what selection")
    p.add_argument("file", type=Path)
    p.add_argument("--db", type=Path, required=True)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_trace)

    p = sub.add_parser("log", help="print the audit log (admins)")
    p.add_argument("--db", type=Path, required=True)
    add_caller(p)
    p.add_argument("--member")
    p.add_argument("--org")
    p.add_argument("--action")
    p.set_defaults(func=cmd_log)
    return top


def _existing(path: Path) -> Path:
    from geo.db import store_exists
    from geo.errors import DataError

    if not store_exists(path):  # on PostgreSQL (AAM_DATABASE_URL) the server is the store
        raise DataError("no store here", file=path)
    return path


def cmd_verify(args: argparse.Namespace) -> int:
    from geo.access.audit import read_anchor, verify

    verdict = verify(_existing(args.db), read_anchor(args.anchor) if args.anchor else None)
    print(verdict.sentence(), file=sys.stdout if verdict.ok else sys.stderr)
    return 0 if verdict.ok else 1


def cmd_anchor(args: argparse.Namespace) -> int:
    from geo.access.audit import anchor

    kept = anchor(_existing(args.db))
    args.out.write_text(kept.text(), encoding="utf-8")
    print(f"audit anchor at row {kept.last_id} written to {args.out}; keep it outside the store")
    return 0


def cmd_trace(args: argparse.Namespace) -> int:
    from geo.access.tracing import trace
    from geo.errors import DataError

    if not args.file.is_file():
        raise DataError("file not found", file=args.file)
    found = trace(args.file.read_bytes(), _existing(args.db))
    if args.json:
        print(json.dumps(found, ensure_ascii=False, default=str))
    elif found["ambiguous"]:
        print(f"{args.file.name}: its {found['found_by']} matches {len(found['candidates'])} exports by different "
              "members; this copy cannot say which it came from:")
        for c in found["candidates"]:
            print(f"  export {c['export_id']} by {c['member']} ({c['organisation']}) at {c['made_at']}, "
                  f"{c['format']}, {c['rows']} rows")
    else:
        print(f"{args.file.name}: export {found['export_id']} by {found['member']} ({found['organisation']}) at "
              f"{found['made_at']}, {found['format']}, {found['rows']} rows; found by {found['found_by']}")
    return 0


def cmd_log(args: argparse.Namespace) -> int:
    from geo.access import audit
    from geo.access.members import Action, require

    require(caller(args, _existing(args.db)), Action.READ_AUDIT)
    for row in audit.read(args.db, member=args.member, organisation=args.org, action=args.action):
        print(f"{row['id']}\t{row['at']}\t{row['member']}\t{row['organisation']}\t{row['action']}\t{row['detail']}")
    return 0
