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
    return store.append_audit(conn, email or (member.email if member else "anonymous"),
                              organisation or (member.org_code if member else ""), action,
                              json.dumps(detail or {}, sort_keys=True, ensure_ascii=False, default=str), row_hash)


def record(db: str | Path | AccessStore, member: Member | None, action: str,
           detail: dict[str, Any] | None = None, *, email: str | None = None,
           organisation: str | None = None) -> int:
    """Append one audit row in its own transaction; returns its id."""
    store = _store(db)
    return store.transaction(lambda conn: write_in(store, conn, member, action, detail, email=email,
                                                   organisation=organisation),
                             also=[o for o in (organisation or (member.org_code if member else ""),) if o])


@dataclass(frozen=True)
class Anchor:
    """The chain's last row as it stood when an admin copied it out of the store: a log cut back
    and re-chained inside the store no longer holds this row."""

    last_id: int
    last_hash: str

    def text(self) -> str:
        return json.dumps({"audit_last_id": self.last_id, "audit_last_hash": self.last_hash, "at": now_text()},
                          indent=2) + "\n"


def anchor(db: str | Path | AccessStore) -> Anchor:
    """The head of the chain now, for the admin to keep outside the store."""
    last_id, last_hash = _store(db).stored_head() or (0, GENESIS)
    return Anchor(last_id, last_hash)


def read_anchor(path: Path) -> Anchor:
    """An anchor file written by ``python -m geo audit anchor``; one clear line if it is not one."""
    from geo.errors import DataError

    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
        return Anchor(int(doc["audit_last_id"]), str(doc["audit_last_hash"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DataError(f"not an audit anchor ({exc})", file=path) from exc


def _outside(rows: list[dict[str, Any]], kept: Anchor | None, traced: int) -> Verdict | None:
    """Check the chain against what is kept outside it: the admin's anchor, and the audit row ids
    that export traces name (an export's row cannot vanish while its trace remains)."""
    last = rows[-1]["id"] if rows else 0
    if kept is not None and kept.last_id > 0:
        row = next((r for r in rows if r["id"] == kept.last_id), None)
        if row is None:
            return Verdict(False, len(rows), last + 1, f"rows after {last} were deleted (the anchor kept outside "
                                                       f"the store names row {kept.last_id})")
        if row["row_hash"] != kept.last_hash:
            return Verdict(False, len(rows), kept.last_id, "it does not match the anchor kept outside the store "
                                                           "(the log was rewritten)")
    if traced > last:
        return Verdict(False, len(rows), last + 1, f"rows after {last} were deleted (an export's trace names "
                                                   f"audit row {traced})")
    return None


def verify(db: str | Path | AccessStore, kept: Anchor | None = None) -> Verdict:
    """Walk the chain from the first row; the first row whose id, link or hash is wrong is named.
    Then the chain must still hold ``kept`` (an anchor from outside the store) and every audit row
    an export trace names."""
    store = _store(db)
    rows = store.audit_chain(row_hash)
    prev = GENESIS
    for expected_id, row in enumerate(rows, start=1):
        if row["id"] != expected_id:
            return Verdict(False, len(rows), expected_id, f"row {expected_id} is missing (next is {row['id']})")
        if row["prev_hash"] != prev:
            return Verdict(False, len(rows), row["id"], "its link to the row before does not match "
                                                        "(the row before was changed or deleted)")
        if not row["hash_ok"]:
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
    return _outside(rows, kept, store.last_traced_audit_id()) or Verdict(True, len(rows))


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
