"""Issue 13's store findings, each as a regression test (geo.sites.store, importer, validate):
readers never wait for an import, a busy store says so, the file is owner-only, an unmapped
column keeps its field, huge counts are rejected rows; and a chunked import equals a whole one."""
from __future__ import annotations

import sqlite3
import stat
import threading
import time
from datetime import date
from pathlib import Path

import pytest

import geo.sites.store as store_module
from fixtures_sites import IN_W1, good_rows, ward_layer, write_csv
from geo.errors import GeoError
from geo.sites.importer import import_sites
from geo.sites.store import SiteStore

MARCH, JUNE = date(2024, 3, 31), date(2024, 6, 30)


def _more_rows(n: int, prefix: str = "N") -> list[list[object]]:
    return [[f"{prefix}{i}", "Dispersed", "", "", IN_W1[1] + i * 1e-4, IN_W1[0], 3, 2, "Open", "", "", "", ""]
            for i in range(n)]


class _PausedImport:
    """A real import_sites in a thread, held inside its transaction after its first chunk."""

    def __init__(self, path: Path, db: Path, **options) -> None:
        self.staged, self.release = threading.Event(), threading.Event()
        self.result, self.error = None, None

        def pause(done: int, total: int) -> None:
            if not self.staged.is_set():
                self.staged.set()
                self.release.wait(30)

        def run() -> None:
            try:
                self.result = import_sites(path, db, ward_layer(), chunk_rows=3, on_progress=pause, **options)
            except BaseException as exc:  # reported to the test thread
                self.error = exc
                self.staged.set()

        self.thread = threading.Thread(target=run, daemon=True)

    def __enter__(self) -> _PausedImport:
        self.thread.start()
        assert self.staged.wait(30), "the import never reached its first chunk"
        assert self.error is None, self.error
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.thread.join(60)


def _hold_write_lock(db: Path) -> sqlite3.Connection:
    """What an import holds while it applies its file: the store's write lock, changes uncommitted."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("UPDATE site_versions SET people = 99")
    return conn


def _read_everything(db: Path) -> tuple[float, tuple[int, ...]]:
    start = time.perf_counter()
    store = SiteStore(db)                           # opening: no write, so no wait
    sizes = (len(store.current_sites()), len(store.list_batches()), len(store.site_history()),
             len(store.current_sites(MARCH)), len(store.rejections(1)))
    return time.perf_counter() - start, sizes


def test_a_reader_is_never_blocked_by_an_import(tmp_path: Path) -> None:
    """Was: opening the store always wrote, so a reader waited behind an import (17.6 s behind
    200,000 rows) and after 30 s failed with 'not a site store (database is locked)'."""
    db = tmp_path / "s.sqlite"
    import_sites(write_csv(tmp_path / "march.csv", good_rows()), db, ward_layer(), as_at=MARCH)
    june = write_csv(tmp_path / "june.csv", good_rows() + _more_rows(12))
    with _PausedImport(june, db, as_at=JUNE) as running:       # an import checking its chunks
        elapsed, sizes = _read_everything(db)
        assert running.thread.is_alive()
    assert elapsed < 5, f"reads took {elapsed:.1f} s while an import was running"
    assert sizes == (5, 1, 5, 5, 0)                              # the store as it was before
    assert running.error is None and running.result.accepted == 17
    lock = _hold_write_lock(db)                                  # an import applying its file
    try:
        elapsed, sizes = _read_everything(db)
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert elapsed < 5, f"reads took {elapsed:.1f} s while an import held the write lock"
    assert sizes == (17, 2, 17, 5, 0)
    assert set(SiteStore(db).current_sites()["people"]) != {99}


def test_a_busy_store_says_busy_never_not_a_site_store(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(store_module, "BUSY_SECONDS", 0.2)
    db = tmp_path / "s.sqlite"
    import_sites(write_csv(tmp_path / "a.csv", good_rows()), db, ward_layer(), as_at=MARCH)
    lock = _hold_write_lock(db)
    try:
        with pytest.raises(GeoError, match="busy, try again") as caught:
            import_sites(write_csv(tmp_path / "b.csv", good_rows()[:3]), db, ward_layer(), as_at=JUNE)
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert "not a site store" not in str(caught.value)
    assert len(SiteStore(db).list_batches()) == 1
    again = import_sites(write_csv(tmp_path / "b.csv", good_rows()[:3]), db, ward_layer(), as_at=JUNE)
    assert not again.duplicate and again.batch == 2            # "try again" works


def test_two_imports_of_one_file_at_once_add_it_once(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    import_sites(write_csv(tmp_path / "a.csv", good_rows()), db, ward_layer(), as_at=MARCH)
    june = write_csv(tmp_path / "june.csv", good_rows() + _more_rows(12))
    with _PausedImport(june, db, as_at=JUNE) as running:
        first = import_sites(june, db, ward_layer(), as_at=JUNE)
    assert running.error is None and not first.duplicate
    assert running.result.duplicate and running.result.batch == first.batch
    assert len(SiteStore(db).list_batches()) == 2


def test_the_store_is_created_readable_by_its_owner_only(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    import_sites(write_csv(tmp_path / "a.csv", good_rows()), db, ward_layer())
    for path in [db, *tmp_path.glob("s.sqlite-*")]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_an_unmapped_column_leaves_the_field_as_it_was(tmp_path: Path) -> None:
    """Was: re-importing with one column left unmapped blanked it for every site, as a change."""
    db = tmp_path / "s.sqlite"
    import_sites(write_csv(tmp_path / "march.csv", good_rows()), db, ward_layer(), as_at=MARCH)
    again = import_sites(write_csv(tmp_path / "june.csv", good_rows()), db, ward_layer(), as_at=JUNE,
                         mapping={"name": None, "acquired": None})
    assert again.changed == [] and again.unchanged == 5
    store = SiteStore(db)
    now = store.current_sites().set_index("reference")
    assert now.loc["H1", "name"] == "Hotel One" and str(now.loc["D2", "acquired"].date()) == "2024-03-01"
    assert len(store.site_history("H1")) == 1
    # a file without the column at all is the same; a mapped column with a blank cell is a change
    no_name = [[c for i, c in enumerate(r) if i != 2] for r in good_rows()]
    third = import_sites(write_csv(tmp_path / "sep.csv", no_name), db, ward_layer(), as_at=date(2024, 9, 30))
    assert third.changed == []
    rows = good_rows()
    rows[1][2] = ""
    fourth = import_sites(write_csv(tmp_path / "dec.csv", rows), db, ward_layer(), as_at=date(2024, 12, 31))
    assert fourth.changed == ["H1"]
    assert SiteStore(db).current_sites().set_index("reference").loc["H1", "name"] is None


@pytest.mark.parametrize("people", ["1e19", "99999999999999999999", "1000000", "2.5e6"])
def test_a_huge_count_is_a_rejected_row_naming_row_and_column(tmp_path: Path, people: str) -> None:
    """Was: people of 1e19 or more ended in a TypeError traceback naming nothing."""
    rows = good_rows()
    rows[3][7] = people
    result = import_sites(write_csv(tmp_path / "a.csv", rows), tmp_path / "s.sqlite", ward_layer())
    assert (result.read, result.accepted, result.rejected) == (5, 4, 1)
    assert [(r["row"], r["column"]) for r in result.rejections] == [(4, "Occupancy")]
    assert people in result.rejections[0]["reason"] and "too large" in result.rejections[0]["reason"]


def test_a_chunked_import_is_the_same_as_a_whole_one(tmp_path: Path) -> None:
    """Chunks of 2 rows: a duplicate reference split across chunks, blank lines, bad rows."""
    rows = good_rows() + [
        ["D1", "Dispersed", "", "", 52.06, -1.96, 1, 1, "Open", "", "", "", "same reference as row 3"],
        ["", "", "", "", "", "", "", "", "", "", "", "", ""],                     # a blank line
        ["B1", "Flat", "  ", "", 52.05, -1.95, 2, -1, "Open", "", "", "", "two problems"],
        *_more_rows(5),
    ]
    path = write_csv(tmp_path / "a.csv", rows)
    calls: list[tuple[int, int]] = []
    small = import_sites(path, tmp_path / "small.sqlite", ward_layer(), chunk_rows=2,
                         on_progress=lambda done, total: calls.append((done, total)))
    whole = import_sites(path, tmp_path / "whole.sqlite", ward_layer())
    assert small.details() == whole.details()
    assert (whole.read, whole.accepted, whole.rejected) == (12, 9, 3)
    assert [r["row"] for r in whole.rejections if "duplicate" in r["reason"]] == [3, 7]
    assert calls == [(min(i, 12), 12) for i in range(2, 13, 2)]
    a, b = SiteStore(tmp_path / "small.sqlite"), SiteStore(tmp_path / "whole.sqlite")
    assert a.rejections(1).equals(b.rejections(1))
    assert a.site_history().drop(columns="version_id").equals(b.site_history().drop(columns="version_id"))
    assert a.rejections(1).set_index("row").loc[9, "Name"] is None                # '  ' shown as blank


def test_streamed_csv_reads_as_the_whole_file_reader_does(tmp_path: Path) -> None:
    """The chunked reader falls back to read_table when it cannot promise the same cells: a
    cp1252 byte after the first 64 KB, a row wider than the header; UTF-16 streams as is."""
    from geo.sites.chunks import open_source
    from geo.sites.readers import read_table

    filler = [[f"F{i}", "Dispersed", "", "", 52.05, -1.95, 3, 2, "Open", "", "", "", "x" * 40] for i in range(900)]
    late_accent = good_rows() + filler + [["E1", "Hotel", "Café", "", 52.05, -1.95, 3, 2, "Open", "", "", "", ""]]
    text = "\n".join(",".join(str(c) for c in r) for r in late_accent) + "\n"
    cp1252 = tmp_path / "late.csv"
    cp1252.write_bytes(text.encode("cp1252"))
    assert len(text.encode("cp1252").split("Café".encode("cp1252"))[0]) > 65536
    wide = write_csv(tmp_path / "wide.csv", good_rows()[:3] + [[*good_rows()[3], "extra cell"]])
    utf16 = write_csv(tmp_path / "u16.csv", good_rows(), encoding="utf-16")
    for path in (cp1252, wide, utf16):
        source = open_source(path)
        source.scan("Ref")
        chunks = list(source.chunks(2))
        whole = read_table(path)
        streamed = __import__("pandas").concat(chunks)
        assert list(streamed.columns) == list(whole.columns), path.name
        assert streamed.astype(object).where(streamed.notna(), None).values.tolist() == \
            whole.astype(object).where(whole.notna(), None).values.tolist(), path.name
    result = import_sites(cp1252, tmp_path / "s.sqlite", ward_layer())
    assert result.accepted == len(late_accent) - 1
    assert SiteStore(tmp_path / "s.sqlite").current_sites().set_index("reference").loc["E1", "name"] == "Café"
