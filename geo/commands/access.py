"""``python -m geo access ...``: grant, revoke, organisations, agreements, personal tokens and a
listing (thin).

The member making the change is the holder of the personal token (``$AAM_TOKEN`` or ``--token``,
an admin); on a store with no members and no identity provider (a fresh install) the person at
the machine is the local admin and may add the first members.
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from geo.commands.caller import add_caller, caller


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (use YYYY-MM-DD)") from None


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``access`` and its subcommands."""
    top = subparsers.add_parser("access", help="members, organisations and sharing agreements",
                                description="Who may see what: members of organisations with roles, and "
                                            "agreements under which one organisation shares with another.")
    sub = top.add_subparsers(dest="access_command", metavar="COMMAND", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--db", type=Path, required=True, help="the site store (SQLite) holding the access tables")
        add_caller(p)

    p = sub.add_parser("grant", help="make EMAIL a member of ORG with ROLE")
    p.add_argument("email")
    p.add_argument("--org", required=True, help="organisation code (a council's LAD code creates it)")
    p.add_argument("--role", required=True, choices=("viewer", "officer", "analyst", "admin"))
    p.add_argument("--with-token", action="store_true",
                   help="also issue EMAIL a personal token (how the first admin of a fresh store gets one)")
    common(p)
    p.set_defaults(func=cmd_grant)

    p = sub.add_parser("revoke", help="end EMAIL's membership now")
    p.add_argument("email")
    common(p)
    p.set_defaults(func=cmd_revoke)

    p = sub.add_parser("org", help="add or change an organisation")
    p.add_argument("code")
    p.add_argument("--name", required=True)
    p.add_argument("--kind", required=True, choices=("council", "smp", "national"))
    p.add_argument("--lads", default="", help="comma-separated LAD codes (a council: its own)")
    p.add_argument("--region", help="an SMP's region")
    common(p)
    p.set_defaults(func=cmd_org)

    p = sub.add_parser("agree", help="record a sharing agreement")
    p.add_argument("--from", dest="from_org", required=True)
    p.add_argument("--to", dest="to_org", required=True)
    p.add_argument("--what", required=True, choices=("sites", "aggregates"))
    p.add_argument("--until", type=_date, required=True, help="last day of the agreement (YYYY-MM-DD)")
    p.add_argument("--start", type=_date, help="first day (default: today)")
    common(p)
    p.set_defaults(func=cmd_agree)

    p = sub.add_parser("end", help="end agreement ID now")
    p.add_argument("agreement", type=int)
    common(p)
    p.set_defaults(func=cmd_end)

    tok = sub.add_parser("token", help="personal tokens that prove who runs a command (admins issue, revoke)")
    tsub = tok.add_subparsers(dest="token_command", metavar="COMMAND", required=True)
    p = tsub.add_parser("issue", help="a new token for member EMAIL (shown once; only its hash is kept)")
    p.add_argument("email")
    common(p)
    p.set_defaults(func=cmd_token_issue)
    p = tsub.add_parser("revoke", help="revoke EMAIL's token ID, or all of EMAIL's tokens")
    p.add_argument("email")
    p.add_argument("--id", dest="token_id", help="the token's id (default: every token of EMAIL)")
    common(p)
    p.set_defaults(func=cmd_token_revoke)
    p = tsub.add_parser("list", help="every token's id, member, issuer and whether revoked (admins)")
    common(p)
    p.set_defaults(func=cmd_token_list)

    p = sub.add_parser("list", help="organisations, members and agreements")
    p.add_argument("--db", type=Path, required=True)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)
    return top


def _actor(args: argparse.Namespace):
    return caller(args)


def cmd_grant(args: argparse.Namespace) -> int:
    from geo.access.manage import grant

    actor = _actor(args)
    member = grant(args.db, actor, args.email, args.org, args.role)
    print(f"{member.email} is now {member.role.value} of {member.org_code}")
    if args.with_token:
        _print_token(args.db, actor, member.email)
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    from geo.access.manage import revoke

    revoke(args.db, _actor(args), args.email)
    print(f"{args.email.strip().lower()} is no longer a member")
    return 0


def cmd_org(args: argparse.Namespace) -> int:
    from geo.access.manage import put_organisation
    from geo.access.members import Organisation

    lads = tuple(c.strip().upper() for c in args.lads.split(",") if c.strip())
    org = put_organisation(args.db, _actor(args), Organisation(args.code, args.name, args.kind, lads, args.region))
    print(f"organisation {org.code} ({org.kind}): {org.name}")
    return 0


def cmd_agree(args: argparse.Namespace) -> int:
    from geo.access.manage import agree

    made = agree(args.db, _actor(args), args.from_org, args.to_org, args.what, args.until, args.start)
    print(f"agreement {made.id}: {made.from_org} shares {made.what} with {made.to_org} "
          f"from {made.valid_from} to {made.valid_until}")
    return 0


def cmd_end(args: argparse.Namespace) -> int:
    from geo.access.manage import end_agreement

    end_agreement(args.db, _actor(args), args.agreement)
    print(f"agreement {args.agreement} ended")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from geo.access.manage import listing

    found = listing(args.db)
    if args.json:
        print(json.dumps(found, ensure_ascii=False, default=str))
        return 0
    for org in found["organisations"]:
        print(f"{org['code']}  {org['kind']:<8}  {org['name']}")
    for m in found["members"]:
        print(f"  {m['email']}  {m['role']}  {m['organisation']}")
    for a in found["agreements"]:
        state = "in force" if a["in_force"] else "not in force"
        print(f"agreement {a['id']}: {a['from_org']} -> {a['to_org']} {a['what']} "
              f"{a['valid_from']}..{a['valid_until']} ({state})")
    return 0


def _print_token(db: Path, actor: Any, email: str) -> None:
    """Issue ``email`` a token: the token alone on stdout (for a pipe), what to do with it on stderr."""
    from geo.access.tokens import issue

    token_id, token = issue(db, actor, email)
    print(token)
    print(f"token {token_id} for {email.strip().lower()}: give it to them privately; it is not shown again. "
          "They set AAM_TOKEN to it.", file=sys.stderr)


def cmd_token_issue(args: argparse.Namespace) -> int:
    _print_token(args.db, _actor(args), args.email)
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    from geo.access.tokens import revoke

    count = revoke(args.db, _actor(args), args.email, args.token_id)
    print(f"{count} token{'s' if count != 1 else ''} of {args.email.strip().lower()} revoked")
    return 0


def cmd_token_list(args: argparse.Namespace) -> int:
    from geo.access.members import Action, require
    from geo.access.tokens import listing

    require(_actor(args), Action.MANAGE)
    for row in listing(args.db):
        state = f"revoked {row['revoked_at']}" if row["revoked_at"] else "in use"
        print(f"{row['token_id']}  {row['email']}  issued {row['issued_at']} by {row['issued_by']}  {state}")
    return 0
