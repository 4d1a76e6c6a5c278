"""The register of proposed properties: every proposal, every decision, every procurement, never overwritten.

A council has to show, months later, what it was told, what the check said then, what it
answered and who decided. So proposals are stored with the check's answer as JSON as it stood
on the day; decisions and procurements are appended, never updated, and the current decision is
simply the latest. A proposal that is procured becomes a site record through the site store's
own import (``geo.sites.importer.import_sites``), so it gets the same validation, ward join and
history as every other site. A site procured after the council objected is flagged.

Tables live in the same SQLite file as the site store (``AAM_SITES_DB``). All SQL is in this
module and kept plain (no SQLite-only upserts or JSON functions) so it ports to PostgreSQL.
"""
from __future__ import annotations

import csv
import json
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from geo.check.evaluate import DECISIONS, OBJECT
from geo.check.placement import has_own_reference
from geo.check.settings import CheckSettings
from geo.db import open_connection, open_location
from geo.errors import DataError, GeoError

DEFAULT_RESPONSE_DAYS = 10  # working practice: providers ask for an answer within two weeks
PROCURED_STATUSES = ("planned", "open")
PROCURED_AFTER_OBJECTION = "procured after the council objected"

SCHEMA = """
CREATE TABLE IF NOT EXISTS check_proposals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation TEXT NOT NULL,
    reference TEXT NOT NULL,
    provider TEXT,
    site_type TEXT NOT NULL,
    people INTEGER NOT NULL CHECK (people >= 0),
    address TEXT,
    postcode TEXT,
    latitude REAL NOT NULL,
    longitude REAL NOT NULL,
    ward_code TEXT,
    lad_code TEXT,
    received TEXT NOT NULL,
    deadline TEXT NOT NULL,
    recommendation TEXT NOT NULL,
    check_json TEXT NOT NULL,
    settings_json TEXT NOT NULL,
    entered_by TEXT NOT NULL,
    entered_at TEXT NOT NULL,
    CHECK (deadline >= received)
);
CREATE INDEX IF NOT EXISTS check_proposals_org ON check_proposals(organisation, received);
CREATE TABLE IF NOT EXISTS check_decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    proposal_id INTEGER NOT NULL REFERENCES check_proposals(id),
    decision TEXT NOT NULL CHECK (decision IN ('support', 'object', 'support with conditions')),
    reason TEXT NOT NULL CHECK (reason <> ''),
    decided_by TEXT NOT NULL,
    decided_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS check_decisions_proposal ON check_decisions(proposal_id, id);
CREATE TABLE IF NOT EXISTS check_procurements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    proposal_id INTEGER NOT NULL REFERENCES check_proposals(id),
    site_reference TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('planned', 'open')),
    procured_on TEXT NOT NULL,
    batch_id INTEGER,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS check_procurements_proposal ON check_procurements(proposal_id, id);
CREATE TABLE IF NOT EXISTS check_settings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation TEXT NOT NULL,
    settings_json TEXT NOT NULL,
    saved_by TEXT NOT NULL,
    saved_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS check_settings_org ON check_settings(organisation, id);
"""

REGISTER_COLUMNS = ("id", "organisation", "reference", "provider", "site_type", "people", "address", "postcode",
                    "ward_code", "lad_code", "received", "deadline", "recommendation", "decision", "reason",
                    "decided_by", "decided_at", "site_reference", "procured_status", "overdue",
                    "procured_after_objection")


def _row_id(cursor: sqlite3.Cursor) -> int:
    """The id of the row an INSERT just wrote."""
    if cursor.lastrowid is None:
        raise GeoError("the register did not return the new row's id")
    return int(cursor.lastrowid)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _day(value: date | str | None, default: date | None = None) -> str:
    if value is None or value == "":
        if default is None:
            raise DataError("a date is required")
        return default.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(str(value)[:10]).isoformat()
    except ValueError as exc:
        raise DataError(f"{value!r} is not a date (use YYYY-MM-DD)") from exc


@dataclass(frozen=True)
class Procured:
    """What recording a procurement did: the register row and the site import batch."""

    proposal_id: int
    site_reference: str
    status: str
    batch: int
    after_objection: bool


class Register:
    """Proposals, decisions, procurements and settings in the site store's SQLite file."""

    def __init__(self, path: str | Path) -> None:
        self.url, self.path = open_location(path)
        if self.url:  # PostgreSQL: the tables are the migrations' (`python -m geo db upgrade`)
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            try:
                conn.executescript(SCHEMA)
            except sqlite3.DatabaseError as exc:
                raise DataError(f"not a register database ({exc})", file=self.path) from exc

    @contextmanager
    def _connect(self, organisation: str | None = None) -> Iterator[sqlite3.Connection]:
        """On PostgreSQL the scope is ``organisation`` (None: every one the database knows of)."""
        from geo.db.pg import ALL_KNOWN

        orgs = ALL_KNOWN if organisation is None else (organisation,)
        with open_connection(self.url, self.path, what="register", organisations=orgs) as conn:
            yield conn

    @contextmanager
    def _transaction(self, what: str, organisation: str | None = None) -> Iterator[sqlite3.Connection]:
        with self._connect(organisation) as conn:
            try:
                conn.execute("BEGIN IMMEDIATE")
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise GeoError(f"could not save {what}; nothing was saved ({exc})") from exc
                raise

    # --- settings --------------------------------------------------------------------------

    def save_settings(self, organisation: str, settings: CheckSettings, saved_by: str) -> None:
        """Store an organisation's rules; earlier versions are kept (the latest is in force)."""
        with self._transaction("the check settings", organisation) as conn:
            conn.execute("INSERT INTO check_settings (organisation, settings_json, saved_by, saved_at)"
                         " VALUES (?, ?, ?, ?)", (organisation, json.dumps(settings.to_dict()), saved_by, _now()))

    def settings(self, organisation: str) -> CheckSettings:
        """The organisation's rules in force (the defaults when it has saved none)."""
        with self._connect(organisation) as conn:
            row = conn.execute("SELECT settings_json FROM check_settings WHERE organisation = ?"
                               " ORDER BY id DESC LIMIT 1", (organisation,)).fetchone()
        return CheckSettings.from_dict(json.loads(row["settings_json"])) if row else CheckSettings()

    # --- proposals -------------------------------------------------------------------------

    def add(self, answer: dict[str, Any], *, organisation: str, entered_by: str, provider: str | None = None,
            received: date | str | None = None, deadline: date | str | None = None,
            settings: CheckSettings | None = None) -> int:
        """Keep one proposal with the check's answer as it stands today; returns its id."""
        got = _day(received, date.today())
        due = _day(deadline, date.fromisoformat(got) + timedelta(days=DEFAULT_RESPONSE_DAYS))
        if due < got:
            raise DataError(f"the response deadline {due} is before the date received {got}")
        rules = settings.to_dict() if settings else {"rules_applied": answer.get("rules_applied", [])}
        with self._transaction("the proposal", organisation) as conn:
            cur = conn.execute(
                "INSERT INTO check_proposals (organisation, reference, provider, site_type, people, address,"
                " postcode, latitude, longitude, ward_code, lad_code, received, deadline, recommendation,"
                " check_json, settings_json, entered_by, entered_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (organisation, str(answer["reference"]), provider or answer.get("provider"), answer["type"],
                 int(answer["people"]), answer.get("address"), answer.get("postcode"), float(answer["latitude"]),
                 float(answer["longitude"]), answer.get("ward_code"), answer.get("lad_code"), got, due,
                 answer["recommendation"], json.dumps(answer, default=str, ensure_ascii=False),
                 json.dumps(rules), entered_by, _now()))
            return _row_id(cur)

    def answer(self, proposal_id: int) -> dict[str, Any]:
        """The check's answer exactly as it was stored when the proposal came in."""
        return json.loads(self._proposal(proposal_id)["check_json"])

    def proposal(self, proposal_id: int) -> dict[str, Any]:
        """One proposal as stored (its ``organisation`` says whose register it is in)."""
        return self._proposal(proposal_id)

    def _proposal(self, proposal_id: int) -> dict[str, Any]:
        with self._connect() as conn:
            row = conn.execute("SELECT * FROM check_proposals WHERE id = ?", (int(proposal_id),)).fetchone()
        if row is None:
            raise DataError(f"no proposal {proposal_id} in the register", file=self.path)
        return dict(row)

    def decide(self, proposal_id: int, decision: str, reason: str, decided_by: str,
               decided_at: datetime | str | None = None) -> int:
        """Record a decision (support, object, support with conditions); earlier ones stay in the history."""
        if decision not in DECISIONS:
            raise DataError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}", column="decision")
        if not str(reason or "").strip():
            raise DataError("a decision needs a reason", column="reason")
        self._proposal(proposal_id)
        when = decided_at.isoformat(timespec="seconds") if isinstance(decided_at, datetime) else (decided_at or _now())
        with self._transaction("the decision") as conn:
            cur = conn.execute("INSERT INTO check_decisions (proposal_id, decision, reason, decided_by, decided_at)"
                               " VALUES (?, ?, ?, ?, ?)", (int(proposal_id), decision, reason.strip(), decided_by,
                                                           str(when)))
            return _row_id(cur)

    def history(self, proposal_id: int) -> pd.DataFrame:
        """Every decision and procurement for one proposal, oldest first."""
        self._proposal(proposal_id)
        with self._connect() as conn:
            decisions = conn.execute("SELECT 'decision' AS event, decision AS what, reason, decided_by AS who,"
                                     " decided_at AS at, id FROM check_decisions WHERE proposal_id = ?",
                                     (int(proposal_id),)).fetchall()
            procured = conn.execute("SELECT 'procured' AS event, status AS what, site_reference AS reason,"
                                    " recorded_by AS who, recorded_at AS at, id FROM check_procurements"
                                    " WHERE proposal_id = ?", (int(proposal_id),)).fetchall()
        frame = pd.DataFrame([dict(r) for r in [*decisions, *procured]],
                             columns=["event", "what", "reason", "who", "at", "id"])
        return frame.sort_values(["at", "event", "id"], kind="stable").reset_index(drop=True)

    def proposals(self, organisation: str | None = None, today: date | None = None) -> pd.DataFrame:
        """The register: one row per proposal with its latest decision and procurement, overdue flagged.

        Overdue: no decision yet and the deadline has passed.
        """
        today_s = (today or date.today()).isoformat()
        where, args = ("WHERE p.organisation = ?", (organisation,)) if organisation else ("", ())
        sql = f"""
            SELECT p.id, p.organisation, p.reference, p.provider, p.site_type, p.people, p.address, p.postcode,
                   p.ward_code, p.lad_code, p.received, p.deadline, p.recommendation,
                   d.decision, d.reason, d.decided_by, d.decided_at,
                   c.site_reference, c.status AS procured_status, c.procured_on,
                   (SELECT x.decision FROM check_decisions x WHERE x.proposal_id = p.id
                      AND x.decided_at <= c.recorded_at ORDER BY x.decided_at DESC, x.id DESC LIMIT 1)
                      AS decision_when_procured
            FROM check_proposals p
            LEFT JOIN check_decisions d ON d.id = (SELECT MAX(id) FROM check_decisions WHERE proposal_id = p.id)
            LEFT JOIN check_procurements c ON c.id = (SELECT MAX(id) FROM check_procurements WHERE proposal_id = p.id)
            {where} ORDER BY p.deadline, p.id"""
        with self._connect() as conn:
            rows = [dict(r) for r in conn.execute(sql, args).fetchall()]
        frame = pd.DataFrame(rows, columns=[*REGISTER_COLUMNS[:-2], "procured_on", "decision_when_procured"])
        frame["overdue"] = frame["decision"].isna() & (frame["deadline"] < today_s)
        frame["procured_after_objection"] = frame["site_reference"].notna() & frame["decision_when_procured"].eq(OBJECT)
        return frame[list(REGISTER_COLUMNS) + ["procured_on"]].reset_index(drop=True)

    # --- procurement -----------------------------------------------------------------------

    def procure(self, proposal_id: int, *, db_sites: str | Path | None = None, wards: Any,
                status: str = "planned", site_reference: str | None = None, procured_on: date | None = None,
                recorded_by: str, postcode_directory: str | Path | None = None,
                importer: Callable[[Path], Any] | None = None) -> Procured:
        """Make a procured proposal a site record (planned, then open) through the site store's import.

        ``importer`` (path -> ImportResult) replaces the plain ``import_sites`` call, so the app and
        the command line import as the member (``geo.access.imports.import_as``). The site import is
        its own transaction (all or nothing); the register row is written only after it succeeded,
        so a failed import leaves no half-procured proposal.
        """
        from geo.sites.importer import import_sites

        if status not in PROCURED_STATUSES:
            raise DataError(f"a procured site is {' or '.join(PROCURED_STATUSES)}, not {status!r}", column="status")
        prop = self._proposal(proposal_id)
        ref = site_reference or (prop["reference"] if has_own_reference(prop["reference"])
                                 else f"proposal-{proposal_id}")
        day = procured_on or date.today()
        row = {"Site ID": ref, "Site type": prop["site_type"] if prop["site_type"] != "other" else "other contingency",
               "Address": prop["address"] or "", "Post Code": prop["postcode"] or "",
               "Latitude": prop["latitude"], "Longitude": prop["longitude"], "Bed spaces": prop["people"],
               "People accommodated": prop["people"] if status == "open" else "",
               "Provider": prop["provider"] or "", "Status": status,
               "Date opened": day.isoformat() if status == "open" else "", "Date acquired": day.isoformat(),
               "Notes": f"from proposal {proposal_id} in the register"}
        with tempfile.TemporaryDirectory(prefix="aam-procure-") as folder:
            path = Path(folder) / f"proposal-{proposal_id}-{status}.csv"
            with open(path, "w", newline="", encoding="utf-8") as handle:
                writer = csv.DictWriter(handle, fieldnames=list(row))
                writer.writeheader()
                writer.writerow(row)
            if importer is not None:
                result = importer(path)
            else:
                result = import_sites(path, db_sites or self.path, wards, imported_by=recorded_by,
                                      organisation=prop["organisation"], postcode_directory=postcode_directory)
        if result.rejected:
            raise DataError("the procured site could not be recorded: " + "; ".join(
                f"{r['column']}: {r['reason']}" for r in result.rejections))
        with self._transaction("the procurement") as conn:
            conn.execute("INSERT INTO check_procurements (proposal_id, site_reference, status, procured_on, batch_id,"
                         " recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (int(proposal_id), ref, status, day.isoformat(), result.batch, recorded_by, _now()))
        flagged = bool(self.procured_after_objection()["proposal_id"].eq(int(proposal_id)).any())
        return Procured(int(proposal_id), ref, status, result.batch, flagged)

    def procured_after_objection(self) -> pd.DataFrame:
        """Sites procured while the council's decision in force was to object.

        The decision in force is the latest one recorded before the procurement: an objection later
        withdrawn (support with conditions, say) does not flag the site. One row per site:
        site_reference, proposal_id, objected_at, objection (reason), objected_by, procured_on, flag.
        Shown beside "acquired while over 1:200" (``geo.sites.measures``).
        """
        sql = """
            SELECT c.site_reference, c.proposal_id, o.decided_at AS objected_at, o.reason AS objection,
                   o.decided_by AS objected_by, c.procured_on
            FROM check_procurements c
            JOIN check_decisions o ON o.id = (
                SELECT x.id FROM check_decisions x WHERE x.proposal_id = c.proposal_id
                AND x.decided_at <= c.recorded_at ORDER BY x.decided_at DESC, x.id DESC LIMIT 1)
            WHERE o.decision = ?
            ORDER BY c.site_reference, c.id"""
        with self._connect() as conn:
            rows = [dict(r) for r in conn.execute(sql, (OBJECT,)).fetchall()]
        frame = pd.DataFrame(rows, columns=["site_reference", "proposal_id", "objected_at", "objection",
                                            "objected_by", "procured_on"])
        frame = frame.drop_duplicates("site_reference", keep="first").reset_index(drop=True)
        frame["flag"] = PROCURED_AFTER_OBJECTION
        return frame


def site_flags(register: Register, over_threshold: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per site reference: procured after the council objected, beside acquired while over 1:200.

    ``over_threshold`` is ``geo.sites.measures.acquisitions_over_threshold(...)`` (reference column);
    either flag alone puts a site in the table.
    """
    objected = register.procured_after_objection()[["site_reference", "proposal_id", "objected_at", "objection"]]
    objected = objected.rename(columns={"site_reference": "reference"}).assign(procured_after_objection=True)
    if over_threshold is None or over_threshold.empty:
        over = pd.DataFrame({"reference": pd.Series(dtype=object)})
    else:
        over = pd.DataFrame(over_threshold)[["reference"]].drop_duplicates()
    over = over.assign(acquired_while_over=True)
    out = objected.merge(over, on="reference", how="outer")
    out["procured_after_objection"] = out["procured_after_objection"].astype("boolean").fillna(False).astype(bool)
    out["acquired_while_over"] = out["acquired_while_over"].astype("boolean").fillna(False).astype(bool)
    return out.sort_values("reference").reset_index(drop=True)
