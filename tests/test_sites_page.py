"""The Sites page run headless on the real official files (skipped without them), and the app's
import action against the command line.

* The sample button imports: the accepted count the page shows equals what ``import_sites``
  returns here for the same generated file, and the over-1:200 list and number render and agree
  with ``geo.sites.measures`` worked out here.
* App and CLI give the same rows: a messy file imported through the page's import function
  (``ui.sites.import_file`` with the mapping the selectboxes give) accepts and rejects the
  same rows as ``python -m geo sites import FILE --db OTHER --json`` in a subprocess.
"""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd

from conftest import needs_shared

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
PAGE = ROOT / "pages" / "sites.py"

pytestmark = needs_shared


def _metric(at, label: str) -> int:
    for m in at.metric:
        if m.label == label:
            return int(str(m.value).replace(",", ""))
    raise AssertionError(f"no metric {label!r}; metrics: {[m.label for m in at.metric]}")


def _frame_with(at, column: str) -> pd.DataFrame:
    for element in at.dataframe:
        if column in element.value.columns:
            return element.value
    raise AssertionError(f"no table with column {column!r}")


def test_sample_button_imports_and_over_threshold_list_renders(model, tmp_path: Path, monkeypatch) -> None:
    from streamlit.testing.v1 import AppTest

    from geo.sites.importer import import_sites
    from geo.sites.measures import acquisitions_over_threshold
    from geo.sites.sample import totals_from_asy_d11, write_sample
    from geo.sites.store import SiteStore

    db = tmp_path / "page.sqlite"
    monkeypatch.setenv("AAM_SITES_DB", str(db))

    at = AppTest.from_file(str(PAGE), default_timeout=180).run()
    assert not at.exception, at.exception
    assert any("No site records yet" in i.value for i in at.info)
    at.button(key="load_sample").click().run()
    assert not at.exception, at.exception

    # The same file, generated and imported here into another store.
    (tmp_path / "mine").mkdir()
    expected = import_sites(write_sample(tmp_path / "mine", model.wards,
                                         totals_from_asy_d11(model.by_source["asy_d11"])),
                            tmp_path / "mine.sqlite", model.wards)
    assert expected.accepted > 1000 and expected.rejected == 0
    assert _metric(at, "Accepted") == expected.accepted
    assert _metric(at, "Rows read") == expected.read and _metric(at, "Rejected") == expected.rejected
    assert any("ILLUSTRATIVE" in e.value and "not real sites" in e.value for e in at.error)   # the banner

    # Over-threshold acquisitions: the big number and the list, against measures worked out here.
    store = SiteStore(db)
    population = model.wards[["ward_code", "lad_code", "population"]]
    direct = acquisitions_over_threshold(store.site_history(), population,
                                         lad_population=model.lads[["lad_code", "population"]])
    ward_over = int(direct["ward_over"].fillna(False).astype(bool).sum())
    assert ward_over > 0
    assert _metric(at, "Acquired while the ward was already over 1:200") == ward_over
    assert _metric(at, "Properties acquired while the ward was already over 1:200") == ward_over
    listed = _frame_with(at, "Over 1:200 in")
    assert len(listed) == len(direct) and set(listed["Reference"]) == set(direct["reference"])
    assert (listed["Over 1:200 in"].str.contains("ward") == listed["Reference"].isin(
        direct.loc[direct["ward_over"].fillna(False).astype(bool), "reference"])).all()
    assert any(f"{ward_over:,} properties acquired while the ward was already over 1:200" in m.value
               for m in at.markdown)

    # No identity provider and no members: the person at the machine is the local admin (geo.access), so
    # the site downloads are offered (roles per member: tests/test_auth_sites_page.py).
    assert [b for b in at.get("download_button") if str(b.proto.label).startswith("Download sites")]

    # As at an earlier day: fewer people in dispersed accommodation, and only earlier acquisitions.
    now_dispersed = _metric(at, "People in dispersed")
    at.date_input(key="sites_as_at").set_value(date(2023, 1, 1)).run()
    assert not at.exception, at.exception
    assert 0 < _metric(at, "People in dispersed") < now_dispersed
    before = direct[(direct["acquired"] <= pd.Timestamp("2023-01-01"))]
    assert _metric(at, "Acquired while the ward was already over 1:200") == int(
        before["ward_over"].fillna(False).astype(bool).sum())
    at.date_input(key="sites_as_at").set_value(date.today()).run()

    # Clicking again adds nothing.
    at.button(key="load_sample").click().run()
    assert any("already imported as batch 1, nothing added" in i.value for i in at.info)
    assert len(store.list_batches()) == 1


def test_analyst_may_download_sites(model, tmp_path: Path, monkeypatch) -> None:
    from streamlit.testing.v1 import AppTest

    from geo.sites.sample import totals_from_asy_d11, write_sample
    from ui import sites as SV

    db = tmp_path / "analyst.sqlite"
    path = write_sample(tmp_path, model.wards, totals_from_asy_d11(model.stats), lads=("E09000017",))
    SV.import_file(path, db, model.wards)
    monkeypatch.setenv("AAM_SITES_DB", str(db))
    # no identity provider and no members: the desktop mode, whose local person is an admin
    at = AppTest.from_file(str(PAGE), default_timeout=180).run()
    assert not at.exception, at.exception
    labels = [str(b.proto.label) for b in at.get("download_button")]
    assert "Download sites (CSV)" in labels and "Download sites (GeoJSON)" in labels
    assert not any("your role does not allow" in i.value for i in at.info)


def _cli(path: Path, db: Path, *extra: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "geo", "sites", "import", str(path), "--db", str(db), "--json",
                           *extra], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _stored(db: Path) -> pd.DataFrame:
    from geo.sites.store import SiteStore

    frame = SiteStore(db).current_sites()
    return pd.DataFrame(frame[["reference", "site_type", "people", "ward_code", "lad_code", "position_source"]]
                        ).sort_values("reference").reset_index(drop=True)


def test_app_and_cli_give_the_same_rows(model, tmp_path: Path) -> None:
    from geo.model import ward_vintage
    from geo.sites.sample import totals_from_asy_d11, write_sample
    from geo.sites.store import SiteStore
    from ui import sites as SV

    path = write_sample(tmp_path / "messy council file.csv", model.wards, totals_from_asy_d11(model.stats),
                        lads=("E09000017",), messy=True, seed=3)
    headers = SV.read_headers(path)
    untouched = {f: SV.default_choice(headers, f) for f in headers.mapping} | {
        f: SV.NOT_USED for f in SV.FIELD_LABELS if f not in headers.mapping}
    assert SV.mapping_problems(untouched) == []

    app = SV.import_file(path, tmp_path / "app.sqlite", model.wards,
                         mapping=SV.overrides_from_choices(untouched, headers.mapping),
                         boundary_vintage=ward_vintage(model))
    cli = _cli(path, tmp_path / "cli.sqlite")
    assert SV.comparable(app) == SV.comparable(cli)
    assert app.rejected == 4 and {r["row"] for r in cli["rejections"]} == {r["row"] for r in app.rejections}
    pd.testing.assert_frame_equal(_stored(tmp_path / "app.sqlite"), _stored(tmp_path / "cli.sqlite"))
    assert (SiteStore(tmp_path / "app.sqlite").rejections(app.batch).to_csv(index=False)
            == SiteStore(tmp_path / "cli.sqlite").rejections(cli["batch"]).to_csv(index=False))

    # A correction in the selectboxes is the CLI's --map: notes ignored, bed spaces read as people.
    corrected = untouched | {"notes": SV.NOT_USED, "people": "Bed spaces", "bed_spaces": SV.NOT_USED}
    overrides = SV.overrides_from_choices(corrected, headers.mapping)
    assert overrides == {"bed_spaces": None, "people": "Bed spaces", "notes": None}
    app2 = SV.import_file(path, tmp_path / "app2.sqlite", model.wards, mapping=overrides)
    cli2 = _cli(path, tmp_path / "cli2.sqlite", "--map", "bed_spaces=", "--map", "people=Bed spaces",
                "--map", "notes=")
    assert SV.comparable(app2) == SV.comparable(cli2)
    pd.testing.assert_frame_equal(_stored(tmp_path / "app2.sqlite"), _stored(tmp_path / "cli2.sqlite"))
    assert not _stored(tmp_path / "app2.sqlite")["people"].equals(_stored(tmp_path / "app.sqlite")["people"])
