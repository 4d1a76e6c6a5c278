"""`python -m geo check`: single and list checks agree with the app's functions (ui.check), the
required fields are there, every way of saying where lands in the same ward, bad input is one line."""
from __future__ import annotations

import json
import shutil

import pytest

from check_fixtures import inside, sample_db, sample_sites, ward_people
from geo.commands import main
from geo.sites.grid import wgs84_to_bng
from geo.sites.store import SiteStore
from ui import check as UC

REQUIRED = ("ward_code", "lad_code", "ward_residents", "ward_dispersed_now", "ward_limit", "ward_headroom_after",
            "ward_status_after", "lad_dispersed_now", "lad_limit", "lad_headroom_after", "lad_status_after",
            "sites_within_500m", "people_within_500m", "recommendation", "rule")


@pytest.fixture
def db(model, tmp_path):
    path = tmp_path / "sites.sqlite"
    shutil.copy(sample_db(model), path)
    return path


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _app_context(model, db):
    member = UC.member_for_email(db, None)
    return UC.context(model, UC.visible_site_records(member, db))


def test_single_check_agrees_with_the_app(model, db, capsys) -> None:
    wards = ward_people(model)
    ward = wards[wards["population"].notna()].sort_values("ward_code").iloc[3]
    lat, lon = inside(model, ward["ward_code"])
    code, out, err = _run(capsys, "check", "--db", str(db), "--lat", str(lat), "--lon", str(lon), "--beds", "7",
                          "--json", "--offline")
    assert code == 0, err
    cli = json.loads(out)
    assert set(REQUIRED) <= set(cli)
    app = UC.run_single(_app_context(model, db), site_type="dispersed", people=7, latitude=lat,
                        longitude=lon).results[0]
    assert cli == json.loads(json.dumps(app, default=str))
    assert cli["ward_code"] == ward["ward_code"] and cli["ward_dispersed_now"] == ward["dispersed"]

    e, n = wgs84_to_bng([lon], [lat])
    code, out, _ = _run(capsys, "check", "--db", str(db), "--easting", f"{e[0]:.1f}", "--northing", f"{n[0]:.1f}",
                        "--beds", "7", "--json", "--offline")
    by_grid = json.loads(out)
    assert code == 0 and by_grid["ward_code"] == cli["ward_code"]
    assert by_grid["ward_headroom_after"] == cli["ward_headroom_after"]


def test_postcode_and_site_reference_place_the_proposal(model, db, tmp_path, capsys) -> None:
    wards = ward_people(model)
    ward = wards[wards["lad_code"] == "E09000017"].sort_values("ward_code").iloc[0]
    lat, lon = inside(model, ward["ward_code"])
    nspl = tmp_path / "NSPL_TEST.csv"
    nspl.write_text(f"pcd,pcds,lat,long\nUB1 1AA,UB1 1AA,{lat},{lon}\n")
    code, out, err = _run(capsys, "check", "--db", str(db), "--postcode", "ub11aa", "--postcodes", str(nspl),
                          "--beds", "3", "--json", "--offline")
    assert code == 0, err
    answer = json.loads(out)
    assert answer["ward_code"] == ward["ward_code"] and answer["position_source"] == "postcode_centroid"

    site = sample_sites(model).sort_values("reference").iloc[5]
    code, out, err = _run(capsys, "check", "--db", str(db), "--site-ref", site["reference"], "--beds", "2",
                          "--json", "--offline")
    assert code == 0, err
    answer = json.loads(out)
    assert answer["ward_code"] == site["ward_code"] and answer["position_source"] == "site_record"


def test_list_check_agrees_with_the_app_and_rejects_with_reasons(model, db, tmp_path, capsys) -> None:
    wards = ward_people(model)
    pick = wards[wards["population"].notna()].sort_values("ward_code")
    (lat1, lon1), (lat2, lon2) = inside(model, pick.iloc[0]["ward_code"]), inside(model, pick.iloc[1]["ward_code"])
    rows = ["Property ref,Accommodation type,Latitude,Longitude,Bed spaces,Provider",
            f"A1,Dispersed property,{lat1},{lon1},4,Provider A",
            f"A2,HMO,{lat1},{lon1},6,Provider A",
            "A3,Dispersed property,53.0,1.5,4,Provider A",          # North Sea: no ward
            f"A4,Dispersed property,{lat2},{lon2},,Provider A",     # no beds
            "A5,Castle,52.0,-1.0,4,Provider A",                     # unknown type
            f"A6,Hotel,{lat2},{lon2},90,Provider B"]
    path = tmp_path / "provider list.csv"
    path.write_text("\n".join(rows) + "\n")
    code, out, err = _run(capsys, "check", "--db", str(db), "--file", str(path), "--json", "--offline")
    assert code == 0, err
    cli = json.loads(out)
    assert [r["reference"] for r in cli["results"]] == ["A1", "A2", "A6"]
    assert {r["row"]: r["column"] for r in cli["rejected"]} == {4: "position", 5: "Bed spaces",
                                                                 6: "Accommodation type"}
    assert all(set(REQUIRED) <= set(r) for r in cli["results"])
    assert cli["results"][1]["ward_dispersed_now"] == cli["results"][0]["ward_dispersed_now"] + 4
    app = UC.run_list(_app_context(model, db), path)
    assert cli == json.loads(json.dumps(app.to_dict(), default=str))
    assert UC.results_table(app)["Reference"].tolist() == ["A1", "A2", "A6"]
    assert b"Rejected rows" in UC.results_csv(app)


def test_bad_input_is_one_line(model, db, tmp_path, capsys) -> None:
    code, _, err = _run(capsys, "check", "--db", str(db), "--lat", "53.0", "--lon", "1.5", "--beds", "3", "--offline")
    assert code == 2 and err.count("\n") == 1 and "lies in no ward" in err
    code, _, err = _run(capsys, "check", "--db", str(db), "--lat", "53.4", "--offline")
    assert code == 2 and "--beds is required" in err
    code, _, err = _run(capsys, "check", "--db", str(tmp_path / "none.sqlite"), "--lat", "53.4", "--lon", "-2.9",
                        "--beds", "3", "--offline")
    assert code == 2 and "no site store here" in err


def test_register_commands_keep_decisions(model, db, capsys) -> None:
    wards = ward_people(model)
    lat, lon = inside(model, wards.sort_values("ward_code").iloc[0]["ward_code"])
    code, out, err = _run(capsys, "check", "--db", str(db), "--lat", str(lat), "--lon", str(lon), "--beds", "2",
                          "--add", "--provider", "Provider C", "--received", "2026-01-02", "--deadline", "2026-01-09",
                          "--json", "--offline")
    assert code == 0, err
    pid = json.loads(out)["register_id"]
    assert _run(capsys, "proposals", "decide", "--db", str(db), "--id", str(pid), "--decision", "object",
                "--reason", "cluster", "--by", "head of housing")[0] == 0
    code, out, _ = _run(capsys, "proposals", "list", "--db", str(db), "--json")
    rows = json.loads(out)
    assert rows[0]["decision"] == "object" and rows[0]["provider"] == "Provider C"
    assert SiteStore(db).current_sites() is not None


def test_online_postcode_lookup_on_a_local_stand_in(model, db, postcode_server, capsys) -> None:
    url, handler = postcode_server
    wards = ward_people(model)
    ward = wards[wards["lad_code"] == "E08000025"].sort_values("ward_code").iloc[0]
    lat, lon = inside(model, ward["ward_code"])
    handler.known["B11AA"] = (lat, lon)
    code, out, err = _run(capsys, "check", "--db", str(db), "--postcode", "B1 1AA", "--online-lookup", url,
                          "--beds", "3", "--json", "--offline")
    assert code == 0, err
    assert json.loads(out)["ward_code"] == ward["ward_code"]
    assert handler.requests == [["B1 1AA"]]
