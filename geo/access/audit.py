"""The audit trail: who did what, from which organisation, when: append-only and hash-chained.

Why a chain: a log kept in a file the server can write is only worth something if an edit or a
deleted row shows. Each row stores the hash of the row before and its own hash over its content,
and a head row keeps the last id and hash, so ``verify`` names the first row that does not fit:
a changed row, a gap (deleted row) or a missing tail.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from geo.access.members import Member
from geo.access.storage import GENESIS, AccessStore

# Every action the log records (the Audit page filters on these).
ACTIONS = ("sign_in", "sign_out", "view_sites", "import", "edit", "export", "rejections_download",
           "member_grant", "member_revoke", "organisation_put", "agreement_add", "agreement_end",
           "setting_change", "refused", "token_issue", "token_revoke")


@dataclass(frozen=True)
class Verdict:
    """What ``verify`` found: ``ok``, the rows checked, and the first bad row with why."""

    ok: bool
    rows: int
    bad_row: int | None = None
    reason: str = ""

    def sentence(self) -> str:
        if self.ok:
            return f"audit log intact: {self.rows:,} rows, every hash matches"
        return f"audit log broken at row {self.bad_row}: {self.reason}"


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def row_hash(prev_hash: str, row: dict[str, Any]) -> str:
    """SHA-256 over the previous hash and this row's content (canonical JSON)."""
    body = json.dumps([row["id"], row["at"], row["member"], row["organisation"], row["action"], row["detail"]],
                      ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def _store(db: str | Path | AccessStore) -> AccessStore:
    return db if isinstance(db, AccessStore) else AccessStore(db)


def write_in(store: AccessStore, conn, member: Member | None, action: str, detail: dict[str, Any] | None = None,
             *, email: str | None = None, organisation: str | None = None) -> int:
    """Append one row inside an open transaction (so the change and its audit row land together)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    last_id, last_hash = store.audit_head(conn)
    row: dict[str, Any] = {"id": last_id + 1, "at": now_text(),
           "member": email or (member.email if member else "anonymous"),
           "organisation": organisation or (member.org_code if member else ""),
           "action": action, "detail": json.dumps(detail or {}, sort_keys=True, ensure_ascii=False, default=str)}
    row["prev_hash"] = last_hash
    row["row_hash"] = row_hash(last_hash, row)
    store.insert_audit(conn, row)
    return int(row["id"])


def record(db: str | Path | AccessStore, member: Member | None, action: str,
           detail: dict[str, Any] | None = None, *, email: str | None = None,
           organisation: str | None = None) -> int:
    """Append one audit row in its own transaction; returns its id."""
    store = _store(db)
    return store.transaction(lambda conn: write_in(store, conn, member, action, detail, email=email,
                                                   organisation=organisation))


def verify(db: str | Path | AccessStore) -> Verdict:
    """Walk the chain from the first row; the first row whose id, link or hash is wrong is named."""
    store = _store(db)
    rows = store.audit_rows()
    prev = GENESIS
    for expected_id, row in enumerate(rows, start=1):
        if row["id"] != expected_id:
            return Verdict(False, len(rows), expected_id, f"row {expected_id} is missing (next is {row['id']})")
        if row["prev_hash"] != prev:
            return Verdict(False, len(rows), row["id"], "its link to the row before does not match "
                                                        "(the row before was changed or deleted)")
        if row_hash(prev, row) != row["row_hash"]:
            return Verdict(False, len(rows), row["id"], "its content does not match its hash (it was changed)")
        prev = row["row_hash"]
    head = store.stored_head()
    last = (rows[-1]["id"], rows[-1]["row_hash"]) if rows else None
    if head != last:
        if head is None:
            return Verdict(False, len(rows), 1, "the log's head record is missing")
        if last is None or head[0] > last[0]:
            return Verdict(False, len(rows), (last[0] + 1) if last else 1,
                           f"rows after {last[0] if last else 0} were deleted (the log had {head[0]})")
        return Verdict(False, len(rows), head[0], "the log's head record does not match its last row")
    return Verdict(True, len(rows))


def read(db: str | Path | AccessStore, *, member: str | None = None, organisation: str | None = None,
         action: str | None = None, start: date | None = None, end: date | None = None) -> list[dict[str, Any]]:
    """Audit rows filtered by member, organisation, action and date range (days included), oldest first."""
    clauses, args = [], []
    if member:
        clauses.append("member = ?")
        args.append(member.strip().lower())
    if organisation:
        clauses.append("organisation = ?")
        args.append(organisation)
    if action:
        clauses.append("action = ?")
        args.append(action)
    if start:
        clauses.append("substr(at, 1, 10) >= ?")
        args.append(start.isoformat())
    if end:
        clauses.append("substr(at, 1, 10) <= ?")
        args.append(end.isoformat())
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    return _store(db).audit_rows(where, tuple(args))
