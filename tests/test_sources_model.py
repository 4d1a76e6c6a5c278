"""Source resolution (cache, user folder, shared, publisher), the model and its measures."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import published_files
from conftest import ROOT, SHARED, needs_shared
from geo import sources
from geo.errors import SourceMissing
from geo.measures import Filters, headline, lad_table, lad_trend
from geo.model import web_layer


def _registry_with(url: str | None, kind: str = "arcgis") -> dict[str, sources.Source]:
    registry = sources.load_registry()
    registry["lad_boundaries"] = replace(registry["lad_boundaries"], download_url=url, kind=kind)
    return registry


def test_missing_file_message_names_file_publisher_and_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "SHARED_DATA", tmp_path / "nowhere")
    with pytest.raises(SourceMissing) as err:
        sources.resolve("ward_population", data_dir=tmp_path, cache=tmp_path / "cache", allow_download=True)
    message = str(err.value)
    assert "ward_population_census2021_wd23.csv" in message and "--data-dir" in message
    assert "Office for National Statistics" in message and str(tmp_path) in message


@needs_shared
def test_user_folder_beats_shared_and_cache_beats_both(tmp_path, monkeypatch):
    monkeypatch.delenv(sources.DATA_DIR_ENV, raising=False)
    user = tmp_path / "council_drop"
    user.mkdir()
    shutil.copy(published_files.ODS, user)
    found = sources.resolve("reg02", data_dir=user, cache=tmp_path / "cache")
    assert found.origin == "data-dir" and found.path == str(user / published_files.ODS.name)
    assert found.sha256 == sources.sha256_file(published_files.ODS)
    assert sources.resolve("reg02", cache=tmp_path / "cache").origin == "shared"
    monkeypatch.setenv(sources.DATA_DIR_ENV, str(user))
    assert sources.resolve("reg02", cache=tmp_path / "cache").origin == "data-dir"
    cached = tmp_path / "cache" / "downloads" / "homeoffice"
    cached.mkdir(parents=True)
    shutil.copy(user / published_files.ODS.name, cached)
    assert sources.resolve("reg02", data_dir=user, cache=tmp_path / "cache").origin == "cache"


@needs_shared
def test_download_from_a_paging_server_when_nothing_is_local(tmp_path, monkeypatch):
    from arcgis_server import ArcGISServer

    monkeypatch.setattr(sources, "SHARED_DATA", tmp_path / "nowhere")
    monkeypatch.delenv(sources.DATA_DIR_ENV, raising=False)
    lads = SHARED / "ons" / "Local_Authority_Districts_May_2023_UK_BUC.geojson"
    with ArcGISServer(lads, max_record_count=100) as server:
        registry = _registry_with(server.query_url)
        found = sources.resolve("lad_boundaries", cache=tmp_path / "cache", registry=registry)
        assert server.request_count >= 4  # 361 features at 100 a page
    assert found.origin == "download"
    from geo.boundaries import read_boundaries

    layer = read_boundaries(found.path)
    assert layer.features == 361
    # Second resolve is served from the cache, not the network.
    again = sources.resolve("lad_boundaries", cache=tmp_path / "cache", registry=_registry_with("http://127.0.0.1:9/x"))
    assert again.origin == "cache" and again.sha256 == found.sha256


def test_unreachable_publisher_says_what_is_missing(tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "SHARED_DATA", tmp_path / "nowhere")
    monkeypatch.delenv(sources.DATA_DIR_ENV, raising=False)
    registry = _registry_with("http://127.0.0.1:9/arcgis/rest/services/X/FeatureServer/0/query")
    with pytest.raises(SourceMissing) as err:
        sources.resolve("lad_boundaries", cache=tmp_path / "cache", registry=registry)
    assert "Local_Authority_Districts_May_2023_UK_BUC.geojson" in str(err.value)
    assert "Download failed" in str(err.value)


def test_model_layers_populations_and_provenance(model):
    assert len(model.lads) == 361 and model.lads["region"].notna().all()
    assert len(model.wards) == 8441 and model.wards["lad_code"].notna().all()
    raw_pop = pd.read_csv(SHARED / "ons" / "ward_population_census2021_wd23.csv")
    ni_pop = pd.read_csv(SHARED / "pressures" / "ni_ward_population_census2021.csv")
    with_estimate = model.wards[model.wards["population"].notna()]
    assert len(with_estimate) == len(raw_pop) + len(ni_pop)
    no_estimate = model.wards[model.wards["population"].isna()]
    assert (no_estimate["population_status"] == "no estimate").all()
    assert len(no_estimate) == 8441 - len(raw_pop) - len(ni_pop)
    assert model.provenance["asy_d11"].sha256 == sources.sha256_file(published_files.D11)
    assert model.stats_release == "Immigration system statistics, year ending September 2024"
    assert len(web_layer(model, "ward")) == 8441


def test_lad_measures_follow_their_definitions(model):
    table = lad_table(model, "2024-09-30").set_index("lad_code")  # Asy_D11's last quarter
    reg02 = published_files.reg02().set_index("lad_code")
    raw = published_files.asy_d11()
    sep = raw[(raw["Date (as at…)"] == "30 Sep 2024") & (raw["LAD Code"] == "E08000012")]
    dispersed = sep.loc[sep["Accommodation Type"] == "Dispersal Accommodation", "People"].sum()
    row = table.loc["E08000012"]
    assert row["dispersed"] == dispersed and row["supported"] == sep["People"].sum()
    assert row["limit_used"] == pytest.approx(dispersed / (reg02.at["E08000012", "population"] / 200))
    assert row["over_threshold"] == (dispersed > reg02.at["E08000012", "population"] / 200)
    assert table["share_of_uk"].sum() == pytest.approx(1.0)
    no_pop = table[table["population"].isna()]
    assert (no_pop["threshold_status"] == "no estimate").all()
    jun = lad_table(model, "2024-06-30").set_index("lad_code")
    assert row["supported_change_q"] == row["supported"] - jun.at["E08000012", "supported"]


def test_headline_reconciles_with_the_file(model):
    figures = headline(model, "2023-03-31")
    raw = published_files.asy_d11()
    march = raw[raw["Date (as at…)"] == "31 Mar 2023"]
    assert figures["supported"].value == march["People"].sum()
    assert figures["hotel"].value == march.loc[
        march["Accommodation Type"] == "Contingency Accommodation - Hotel", "People"].sum()
    # The one change rule (issue 23): over the councils in both quarters, the councils' own changes summed;
    # people with no council recorded are in the totals, not in the change, and the words say so.
    councils = lad_table(model, "2023-03-31")
    assert figures["supported"].change_q == councils["supported_change_q"].sum()
    assert "no council recorded" in figures["supported"].q.words()
    assert headline(model, model.periods[0])["supported"].change_q is None  # no earlier quarter
    regional = headline(model, "2023-03-31", Filters(regions=("North West",)))
    nw = march[march["UK Region"] == "North West"]
    assert regional["supported"].value == nw["People"].sum()


def test_trend_has_every_quarter(model):
    trend = lad_trend(model, "E08000012")
    assert len(trend) == len(model.periods)
    with_dispersed = trend[trend["source"] != "quarterly_totals"]  # the totals series gives no dispersed figure
    assert np.isfinite(with_dispersed["limit_used"]).all()
    assert trend.loc[trend["source"] == "quarterly_totals", "limit_used"].isna().all()


@needs_shared
def test_cli_build_reports_sources(tmp_path):
    out = subprocess.run([sys.executable, "-m", "geo", "build", "--cache-dir", str(tmp_path), "--offline", "--json"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["used"]["asy_d11"]["origin"] == "shared"
    assert result["used"]["asy_d11"]["file"] == published_files.D11.name
    assert result["used"]["reg02"]["file"] == published_files.ODS.name
    assert set(result["missing"]) <= {"res_d01", "quarterly_totals"}  # optional: not held in ../shared
    assert any(p.suffix == ".parquet" for p in (tmp_path / "built").iterdir())


def test_every_reg02_authority_lands_on_a_boundary(model):
    """Reg_02 uses Barnsley's and Sheffield's April 2024 codes; the May 2023 boundaries the old ones."""
    raw = published_files.reg02()
    code_col = "lad_code"
    assert not (set(raw[code_col]) <= set(model.lads["lad_code"])), "the files no longer differ in vintage"
    assert model.lads["population"].notna().all()
    assert set(model.reg02["lad_code"]) <= set(model.lads["lad_code"])
    moved = model.code_moves["reg02"]
    for new_code, old_code in moved.items():
        want = float(raw.loc[raw[code_col] == new_code, "population"].iloc[0])
        assert model.lads.set_index("lad_code").loc[old_code, "population"] == want
