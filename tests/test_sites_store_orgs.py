"""Batches belong to the organisation that imported them; reads can be limited to organisations;
version-1 stores migrate with their batches given to the local organisation (geo.sites.store)."""
from __future__ import annotations

import sqlite3
import stat
from datetime import date
from pathlib import Path

import pytest

from fixtures_sites import HEADER, IN_W2, good_rows, ward_layer, write_csv
from geo.errors import DataError
from geo.sites.importer import import_sites
from geo.sites.store import LOCAL_ORGANISATION, SCHEMA_VERSION, SiteStore
from site_store_v1 import write_v1_store

pytestmark = pytest.mark.usefixtures("store_backend")  # on SQLite and on PostgreSQL (tests/pg_server.py)

MARCH, JUNE = date(2024, 3, 31), date(2024, 6, 30)


def _bad_row() -> list[object]:
    return ["B1", "Spaceship", "", "", 52.05, -1.95, 1, 1, "Open", "", "", "", "Flat 2, 3 Secret Street"]


@pytest.fixture
def two_councils(tmp_path: Path):
    """Council A and council B each import a file; both files hold a site 'D1'."""
    db = tmp_path / "s.sqlite"
    a = import_sites(write_csv(tmp_path / "a.csv", good_rows()), db, ward_layer(), as_at=MARCH,
                     organisation="A", imported_by="officer@a.gov.uk")
    b_rows = [HEADER, ["D1", "Hotel", "B's hotel", "", IN_W2[1], IN_W2[0], 80, 70, "Open", "", "", "", ""],
              _bad_row()]
    b = import_sites(write_csv(tmp_path / "b.csv", b_rows), db, ward_layer(), as_at=JUNE,
                     organisation="B", imported_by="officer@b.gov.uk")
    return db, a, b


def test_each_batch_records_its_organisation_and_member(two_councils) -> None:
    db, a, b = two_councils
    batches = SiteStore(db).list_batches().set_index("id")
    assert batches.loc[a.batch, ["organisation", "imported_by"]].tolist() == ["A", "officer@a.gov.uk"]
    assert batches.loc[b.batch, ["organisation", "imported_by"]].tolist() == ["B", "officer@b.gov.uk"]
    # B's file did not make A's sites "not in this file", nor change A's D1
    assert b.new == ["D1"] and b.changed == [] and b.not_in_file == []
    assert SiteStore(db).list_batches(organisations=["B"])["id"].tolist() == [b.batch]
    assert SiteStore(db).stamp() == f"{b.batch}:2"          # changes with every import that lands


def test_reads_are_limited_to_the_organisations_asked_for(two_councils) -> None:
    db, a, b = two_councils
    store = SiteStore(db)
    every = store.current_sites()
    assert sorted(zip(every["organisation"], every["reference"], strict=True)) == sorted(
        [("A", r) for r in ("D1", "D2", "D3", "H1", "X1")] + [("B", "D1")])
    only_b = store.current_sites(organisations={"B"})
    assert only_b["reference"].tolist() == ["D1"] and only_b["name"].tolist() == ["B's hotel"]
    assert only_b["first_seen"].tolist() == [only_b["valid_from"].iloc[0]]
    assert set(store.current_sites(JUNE, organisations=["A"])["organisation"]) == {"A"}
    assert store.current_sites(MARCH, organisations=["B"]).empty          # B had nothing in March
    assert store.current_sites(organisations=[]).empty                    # no organisation: nothing
    assert set(store.site_history(organisations=["A"])["organisation"]) == {"A"}
    # B's rejected row (an address) is B's alone: to A the batch does not exist
    assert store.rejections(b.batch, organisations=["B"])["row"].tolist() == [3]
    for read in (store.rejections, store.rejection_list, store.batch):
        with pytest.raises(DataError, match=f"no batch {b.batch}"):
            read(b.batch, organisations=["A"])


def test_the_same_file_from_two_organisations_is_two_imports(tmp_path: Path) -> None:
    db, path = tmp_path / "s.sqlite", write_csv(tmp_path / "a.csv", good_rows())
    first = import_sites(path, db, ward_layer(), organisation="A", as_at=JUNE)
    again = import_sites(path, db, ward_layer(), organisation="A", as_at=JUNE)
    # B's copy is B's own import, and date order is per organisation: March after A's June is fine
    other = import_sites(path, db, ward_layer(), organisation="B", as_at=MARCH)
    assert again.duplicate and again.batch == first.batch
    assert not other.duplicate and other.new == first.new
    with pytest.raises(DataError, match="import files in date order"):
        import_sites(write_csv(tmp_path / "o.csv", good_rows()[:2]), db, ward_layer(), organisation="A",
                     as_at=MARCH)


@pytest.mark.sqlite_only
def test_a_version_1_store_migrates_to_the_local_organisation(tmp_path: Path) -> None:
    db = write_v1_store(tmp_path / "old.sqlite")
    store = SiteStore(db)
    assert store.list_batches()["organisation"].tolist() == [LOCAL_ORGANISATION] * 2
    now = store.current_sites().set_index("reference")
    assert now.loc["D1", "people"] == 6 and now.loc["D1", "first_seen"].date() == MARCH
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    # the local organisation's next file versions the migrated sites (H1 is kept, not duplicated)
    rows = [HEADER, ["D1", "Dispersed", "", "", 52.05, -1.95, 6, 7, "Open", "", "", "", ""]]
    result = import_sites(write_csv(tmp_path / "sep.csv", rows), db, ward_layer(), as_at=date(2024, 9, 30))
    assert result.changed == ["D1"] and result.not_in_file == ["H1"]
    assert SiteStore(db).current_sites().set_index("reference").loc["D1", "people"] == 7
