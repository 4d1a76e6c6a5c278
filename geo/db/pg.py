"""A PostgreSQL connection that behaves, for the stores' purposes, like their SQLite one.

Why a thin adapter rather than a second copy of every store: the stores' SQL is plain and
already portable except for a handful of SQLite spellings, so one place translates those and the
store modules keep one implementation of every rule (versions, batches, the audit chain).

What is translated (and only this):

* ``?`` placeholders become psycopg's ``%s`` (and a literal ``%`` is escaped);
* ``BEGIN IMMEDIATE`` (SQLite's "take the write lock now") becomes ``BEGIN`` plus one
  transaction-scoped advisory lock, so writers queue as they do on SQLite while readers, under
  PostgreSQL's MVCC, never wait for them;
* ``a.x IS NOT b.x`` (SQLite's null-safe "differs") is ``IS DISTINCT FROM``;
* ``PRAGMA`` statements do nothing; ``temp.`` names the session's ``pg_temp`` schema (the
  stores' temporary tables get an explicit ``rowid`` column on PostgreSQL, see geo.sites.store);
* ``cursor.lastrowid`` is ``lastval()``: the id the last INSERT drew from its sequence.

Errors come back as the DB-API classes the stores already catch (``sqlite3.IntegrityError``,
``sqlite3.OperationalError``, ``sqlite3.DatabaseError``), with PostgreSQL's own message.

Row-level security: ``organisations`` (None: no scope, so the policies show no rows) and
``admin_of`` are signed for this database session (``geo.db.vouch``) and the token is written
with ``set_config('aam.scope', ..., is_local => true)`` at the start of every transaction; a
statement outside an explicit transaction gets its own one-statement transaction with it. The
database checks the signature (migration 0004), so a scope nobody signed is refused.
``ALL_KNOWN`` asks for every organisation the database knows of, named one by one (never ``*``).
"""
from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

ALL_KNOWN = ("\0every organisation the database knows of",)  # named one by one; see PgConnection
WRITE_LOCK = 0x4141_4D00  # pg_advisory_xact_lock key: one writer at a time, as SQLite's write lock
_PARAM = re.compile(r"'(?:[^']|'')*'|\?|%")
_TEMP = re.compile(r"\btemp\.", re.IGNORECASE)
_INDEX_TEMP = re.compile(r"(CREATE\s+(?:UNIQUE\s+)?INDEX\s+)pg_temp\.", re.IGNORECASE)
_DIFFERS = re.compile(r"(\b\w+\.\w+) IS NOT (\w+\.\w+)")


def translate(sql: str) -> str:
    """SQLite's spelling of one statement in PostgreSQL's (see the module docstring)."""
    sql = _PARAM.sub(lambda m: "%s" if m.group(0) == "?" else ("%%" if m.group(0) == "%" else m.group(0)), sql)
    sql = _TEMP.sub("pg_temp.", sql)
    sql = _INDEX_TEMP.sub(r"\1", sql)
    return _DIFFERS.sub(r"\1 IS DISTINCT FROM \2", sql)


class Row(Sequence[Any]):
    """A result row readable by position and by column name, like ``sqlite3.Row``."""

    __slots__ = ("_names", "_values")

    def __init__(self, names: tuple[str, ...], values: tuple[Any, ...]) -> None:
        self._names, self._values = names, values

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            try:
                return self._values[self._names.index(key)]
            except ValueError:
                raise IndexError(f"no column {key!r}") from None
        return self._values[key]

    def __len__(self) -> int:
        return len(self._values)

    def keys(self) -> list[str]:
        return list(self._names)

    def __repr__(self) -> str:
        return f"Row({dict(zip(self._names, self._values, strict=True))!r})"


def _error(exc: Exception) -> sqlite3.Error:
    """psycopg's error as the DB-API class the stores catch, keeping PostgreSQL's message."""
    import psycopg

    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, psycopg.IntegrityError):
        return sqlite3.IntegrityError(text)
    if isinstance(exc, psycopg.OperationalError):
        return sqlite3.OperationalError(text)
    return sqlite3.DatabaseError(text)


class Cursor:
    """The result of one statement: rows as ``Row``, ``rowcount`` and a lazy ``lastrowid``."""

    def __init__(self, conn: PgConnection, cur: Any) -> None:
        self._conn, self._cur = conn, cur
        self.rowcount = cur.rowcount if cur is not None else -1
        self.description = cur.description if cur is not None else None
        self._names = tuple(c.name for c in cur.description) if cur is not None and cur.description else ()

    @property
    def lastrowid(self) -> int | None:
        row = self._conn.execute("SELECT lastval()").fetchone()
        return int(row[0]) if row else None

    def fetchone(self) -> Row | None:
        if self._cur is None or not self._names:
            return None
        values = self._cur.fetchone()
        return None if values is None else Row(self._names, values)

    def fetchall(self) -> list[Row]:
        if self._cur is None or not self._names:
            return []
        return [Row(self._names, values) for values in self._cur.fetchall()]

    def __iter__(self) -> Iterator[Row]:
        return iter(self.fetchall())


class PgConnection:
    """One PostgreSQL session used the way the stores use an autocommit SQLite connection:
    statements outside ``BEGIN ... COMMIT`` commit on their own."""

    dialect = "postgresql"

    def __init__(self, url: str, *, organisations: Iterable[str] | None = None, admin_of: Iterable[str] = (),
                 member: str = "", read_only: bool = False) -> None:
        import psycopg

        from geo.db.vouch import Vouch

        try:
            self._conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise _error(exc) from exc
        if organisations is not None and tuple(organisations)[:1] == ALL_KNOWN:  # known ones and any named after
            known = self._raw("SELECT aam_known_organisations()").fetchone()[0] or ()
            organisations = (*known, *tuple(organisations)[1:])
        self.scope = None if organisations is None else Vouch(tuple(organisations), tuple(admin_of), member)
        self.read_only = read_only
        self.row_factory: Any = None  # ignored: rows are always readable by name and position

    # --- transactions --------------------------------------------------------------------

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return self._conn.info.transaction_status != TransactionStatus.IDLE

    def _begin(self, write_lock: bool) -> None:
        self._raw("BEGIN READ ONLY" if self.read_only else "BEGIN")
        self._set_scope()
        if write_lock:
            self._raw("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))

    def _set_scope(self) -> None:
        """Sign the scope for this session now (a bound parameter: it never appears in query text
        another session could read in pg_stat_activity)."""
        if self.scope is not None:
            from geo.db.vouch import SETTING, token

            self._raw(f"SELECT set_config('{SETTING}', %s, true)", (token(self.scope, self._conn.info.backend_pid),))

    # --- statements ----------------------------------------------------------------------

    def _raw(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        import psycopg

        try:
            return self._conn.execute(sql, params, prepare=False)
        except psycopg.Error as exc:
            raise _error(exc) from exc

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        statement = sql.strip().rstrip(";").strip()
        word = statement.split(None, 1)[0].upper() if statement else ""
        if word == "PRAGMA" or not statement:
            return Cursor(self, None)
        if word == "BEGIN":
            self._begin(write_lock="IMMEDIATE" in statement.upper() or "EXCLUSIVE" in statement.upper())
            return Cursor(self, None)
        if word in ("COMMIT", "ROLLBACK", "END"):
            return Cursor(self, self._raw("COMMIT" if word == "END" else word))
        text = translate(statement)
        if self.in_transaction or self.scope is None:
            return Cursor(self, self._client(text, params))
        # one statement in its own transaction, with the member's scope set for it
        self._begin(write_lock=False)
        try:
            out = Cursor(self, self._client(text, params))
            self._raw("COMMIT")
            return out
        finally:
            if self.in_transaction:
                self._raw("ROLLBACK")

    def _client(self, sql: str, params: Sequence[Any]) -> Any:
        """Client-side binding: works for DDL too (``CREATE TEMP TABLE ... AS SELECT ... %s``)."""
        import psycopg

        cur = psycopg.ClientCursor(self._conn)
        try:
            cur.execute(sql, tuple(params))  # always formatted, so the escaped '%%' is one '%' again
        except psycopg.Error as exc:
            raise _error(exc) from exc
        return cur

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Cursor:
        import psycopg

        text = translate(sql.strip())
        cur = self._conn.cursor()
        try:
            cur.executemany(text, list(rows))
        except psycopg.Error as exc:
            raise _error(exc) from exc
        return Cursor(self, None)

    def executescript(self, script: str) -> None:
        for statement in script.split(";"):
            if statement.strip():
                self.execute(statement)

    def copy_rows(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """Bulk-load rows with COPY (PostgreSQL's fast path for staging an import)."""
        import psycopg

        try:
            with self._conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        except psycopg.Error as exc:
            raise _error(exc) from exc

    def close(self) -> None:
        self._conn.close()


def connect(url: str, *, organisations: Iterable[str] | None = None, admin_of: Iterable[str] = (),
            member: str = "", read_only: bool = False) -> PgConnection:
    """A session on ``url``; ``organisations`` (and ``admin_of``) is the scope row-level security
    reads, signed for this session."""
    return PgConnection(url, organisations=organisations, admin_of=admin_of, member=member, read_only=read_only)
