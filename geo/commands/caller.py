"""Who is calling a command: the one place every command asks (``--token`` / ``$AAM_TOKEN``).

Why one helper: each command that reads or changes site records, memberships or the audit log
must authenticate its caller the same way (``geo.access.identity.cli_member``): a personal token
on a store with members, the local admin on a desktop store with none. An e-mail typed on the
command line is never trusted.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from geo.access.members import Member

TOKEN_ARG_HELP = ("your personal token (default: $AAM_TOKEN, which keeps it out of the process list); "
                  "not needed on a desktop store with no members")


def add_caller(parser: argparse.ArgumentParser) -> None:
    """The ``--token`` option of a command that acts as a member."""
    parser.add_argument("--token", metavar="TOKEN", help=TOKEN_ARG_HELP)


def caller(args: argparse.Namespace, db: str | Path | None = None) -> Member:
    """The authenticated member running this command (AccessDenied, one line, if none)."""
    from geo.access.identity import cli_member

    return cli_member(db if db is not None else args.db, getattr(args, "token", None))
