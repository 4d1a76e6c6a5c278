"""The SQLite site store: batches, versions, as-at queries, atomic imports (geo.sites.store, importer)."""
from __future__ import annotations

import getpass
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from fixtures_sites import HEADER, W1, good_rows, ward_layer, write_csv
from geo.errors import DataError, GeoError
from geo.sites.importer import import_sites
from geo.sites.join import assign_wards
from geo.sites.readers import read_table
from geo.sites.schema import match_headers
from geo.sites.store import LOCAL_MEMBER, LOCAL_ORGANISATION, SiteStore
from geo.sites.validate import validate
from pg_server import store_connection

MARCH, JUNE = date(2024, 3, 31), date(2024, 6, 30)
pytestmark = pytest.mark.usefixtures("store_backend")  # every test on SQLite and on PostgreSQL (tests/pg_server.py)


def _updated_rows() -> list[list[object]]:
    rows = {r[0]: list(r) for r in good_rows()[1:]}
    rows["H1"][7], rows["H1"][8], rows["H1"][10] = 0, "Closed", "01/05/2024"   # hotel closed
    rows["D1"][7] = 6                                                           # occupancy changed
    del rows["D2"]                                                              # missing from this file
    rows["D4"] = ["D4", "Dispersed", "", "", 52.03, -1.97, 3, 2, "Open", "2024-06-01", "", "2024-05-20", ""]
    return [HEADER, *rows.values()]


@pytest.fixture
def two_imports(tmp_path: Path):
    db = tmp_path / "sites.sqlite"
    first = import_sites(write_csv(tmp_path / "march.csv", good_rows()), db, ward_layer(), as_at=MARCH,
                         imported_by="tester")
    second = import_sites(write_csv(tmp_path / "june.csv", _updated_rows()), db, ward_layer(), as_at=JUNE,
                          imported_by="tester")
    return db, first, second


def test_first_import_and_reimport_adds_nothing(tmp_path: Path) -> None:
    db = tmp_path / "sites.sqlite"
    path = write_csv(tmp_path / "march.csv", good_rows())
    first = import_sites(path, db, ward_layer())
    assert (first.read, first.accepted, first.rejected, first.batch, first.duplicate) == (5, 5, 0, 1, False)
    assert first.outside_boundaries == ["X1"]
    store = SiteStore(db)
    before = len(store.site_history())
    again = import_sites(path, db, ward_layer())
    assert again.duplicate and again.batch == first.batch
    assert again.to_dict() | {"duplicate": False} == first.to_dict()
    assert len(store.site_history()) == before and len(store.list_batches()) == 1
    batch = store.list_batches().iloc[0]
    # issue 12: never the machine's login name; the desktop mode's member and organisation are 'local'
    assert batch["imported_by"] == LOCAL_MEMBER != getpass.getuser() and batch["sha256"] == first.sha256
    assert batch["organisation"] == LOCAL_ORGANISATION
    assert batch["rows_read"] == 5 and batch["file_name"] == "march.csv"


def test_same_file_with_a_corrected_mapping_is_a_new_import(tmp_path: Path) -> None:
    db = tmp_path / "sites.sqlite"
    path = write_csv(tmp_path / "march.csv", good_rows())
    import_sites(path, db, ward_layer())
    fixed = import_sites(path, db, ward_layer(), mapping={"notes": None, "name": "Notes"})
    assert not fixed.duplicate and fixed.batch == 2


def test_updated_file_versions_sites_and_keeps_missing_ones(two_imports) -> None:
    db, first, second = two_imports
    assert second.new == ["D4"] and sorted(second.changed) == ["D1", "H1"]
    assert second.unchanged == 2 and second.not_in_file == ["D2"]
    store = SiteStore(db)
    now = store.current_sites().set_index("reference")
    assert sorted(now.index) == ["D1", "D2", "D3", "D4", "H1", "X1"]   # D2 not deleted
    assert now.loc["H1", "status"] == "closed" and now.loc["D1", "people"] == 6
    assert now.loc["D1", "first_seen"] == pd.Timestamp(MARCH)
    history = store.site_history("H1")
    assert history["status"].tolist() == ["open", "closed"]
    assert history["valid_to"].tolist()[0] == pd.Timestamp(JUNE) and pd.isna(history["valid_to"].iloc[1])
    batch = store.batch(second.batch)
    assert batch["not_in_file"] == ["D2"] and batch["changed_sites"] == 2 and batch["new_sites"] == 1


def test_as_at_queries_return_the_past(two_imports) -> None:
    db, _, _ = two_imports
    store = SiteStore(db)
    april = store.current_sites(date(2024, 4, 15)).set_index("reference")
    assert sorted(april.index) == ["D1", "D2", "D3", "H1", "X1"]
    assert april.loc["H1", "status"] == "open" and april.loc["D1", "people"] == 4
    assert april.loc["D1", "ward_code"] == W1 and april.crs.to_epsg() == 4326
    assert store.current_sites(date(2024, 1, 1)).empty
    assert store.current_sites(JUNE).set_index("reference").loc["H1", "status"] == "closed"


def test_files_must_be_imported_in_date_order(two_imports, tmp_path: Path) -> None:
    db, _, _ = two_imports
    rows = good_rows() + [["LATE", "Hotel", "", "", 52.05, -1.95, 1, 1, "Open", "", "", "", ""]]
    with pytest.raises(DataError, match="import files in date order"):
        import_sites(write_csv(tmp_path / "old.csv", rows), db, ward_layer(), as_at=date(2024, 1, 1))
    assert len(SiteStore(db).list_batches()) == 2


def test_a_failure_midway_leaves_nothing_behind(two_imports, tmp_path: Path) -> None:
    db, _, _ = two_imports
    store = SiteStore(db)
    history = store.site_history()
    rows = _updated_rows()
    for r in rows[1:]:
        r[7] = 9                          # every site changes, so old versions get closed first
    raw = read_table(write_csv(tmp_path / "sep.csv", rows))
    checked = validate(raw, match_headers(raw.columns))
    sites = assign_wards(checked.sites, ward_layer())
    sites.loc[sites.index[3], "site_type"] = "spaceship"   # breaks the store's CHECK on the 4th insert
    with pytest.raises(GeoError, match="nothing was saved"):
        store.record_import(file_name="sep.csv", sha256="x" * 64, mapping=checked.mapping, sites=sites,
                            rejections=[], raw_rejected=raw.iloc[0:0], rows_read=len(raw),
                            imported_by="tester", as_at=date(2024, 9, 30))
    assert len(store.list_batches()) == 2
    pd.testing.assert_frame_equal(store.site_history(), history)
    with store_connection(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM rejections").fetchone()[0] == 0


def test_rejections_download_round_trips(tmp_path: Path) -> None:
    db = tmp_path / "sites.sqlite"
    rows = good_rows() + [
        ["B1", "Flat", "", "", 52.05, -1.95, 2, -1, "Open", "", "", "", "two problems"],
        ["B2", "Hotel", "Café Royal", "", "", "", 9, 9, "Open", "", "", "", ""],
    ]
    result = import_sites(write_csv(tmp_path / "m.csv", rows), db, ward_layer())
    assert (result.read, result.accepted, result.rejected) == (7, 5, 2)
    assert [(r["row"], r["column"]) for r in result.rejections] == [(7, "Type"), (7, "Occupancy"),
                                                                   (8, "Post Code")]
    table = SiteStore(db).rejections(result.batch)
    assert list(table.columns) == ["row", "column", "reason", *HEADER]
    assert table["row"].tolist() == [7, 8]
    assert table.loc[0, "column"] == "Type; Occupancy" and "; " in table.loc[0, "reason"]
    assert table.loc[1, "Name"] == "Café Royal"
    # the user fixes the two rows in the downloaded file and imports it again
    table.loc[0, ["Type", "Occupancy"]] = ["Dispersed", "1"]
    table.loc[1, ["Lat", "Long"]] = ["52.05", "-1.85"]
    fixed = tmp_path / "fixed.csv"
    table.to_csv(fixed, index=False)
    again = import_sites(fixed, db, ward_layer())
    assert (again.accepted, again.rejected, again.new) == (2, 0, ["B1", "B2"])
    assert sorted(again.not_in_file) == ["D1", "D2", "D3", "H1", "X1"]
    with pytest.raises(DataError, match="no batch 99"):
        SiteStore(db).rejections(99)


@pytest.mark.sqlite_only
def test_not_a_store(tmp_path: Path) -> None:
    bad = tmp_path / "junk.sqlite"
    bad.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(DataError, match="not a site store"):
        SiteStore(bad)
