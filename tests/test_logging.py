"""Downloads, cache builds and imports say what they do through `logging` (they were silent)."""
from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from fixtures_sites import ROOT, good_rows, ward_layer, write_csv
from geo import logs
from geo.arcgis import fetch_layer
from geo.download import download
from geo.model import _cached
from geo.sites.importer import import_sites


def _messages(caplog: pytest.LogCaptureFixture, logger: str, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == logger and r.levelno == level]


def _tiny_layer(path: Path, n: int = 7) -> Path:
    feats = [{"type": "Feature", "properties": {"FID": i + 1, "CODE": f"X{i:03d}"},
              "geometry": {"type": "Point", "coordinates": [-1.5 + i / 100, 52.0]}} for i in range(n)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")
    return path


def test_each_retry_is_a_warning_naming_the_url_and_the_error(arcgis_server, tmp_path, caplog) -> None:
    source = tmp_path / "source.bin"
    source.write_bytes(b"x" * 5000)
    srv = arcgis_server(files={"f.bin": source}, flaky=2)
    url = srv.file_url("f.bin")
    caplog.set_level(logging.INFO, logger="geo.download")

    download(url, tmp_path / "f.bin", retries=3, backoff=0, progress=False)

    warnings = _messages(caplog, "geo.download", logging.WARNING)
    assert len(warnings) == 2
    assert all(url in w and "503" in w and "retrying" in w for w in warnings)
    assert warnings[0].startswith("attempt 1 of 4") and warnings[1].startswith("attempt 2 of 4")
    done = _messages(caplog, "geo.download", logging.INFO)
    assert any(m.startswith("downloaded f.bin: 5,000 bytes") for m in done), done


def test_a_download_that_works_first_time_logs_no_warning(arcgis_server, tmp_path, caplog) -> None:
    source = tmp_path / "source.bin"
    source.write_bytes(b"y" * 10)
    srv = arcgis_server(files={"f.bin": source})
    caplog.set_level(logging.INFO, logger="geo.download")

    download(srv.file_url("f.bin"), tmp_path / "f.bin", retries=3, backoff=0, progress=False)

    assert _messages(caplog, "geo.download", logging.WARNING) == []


def test_layer_paging_logs_pages_and_the_total(arcgis_server, tmp_path, caplog) -> None:
    srv = arcgis_server(_tiny_layer(tmp_path / "tiny.geojson", n=7), max_record_count=3)
    caplog.set_level(logging.DEBUG, logger="geo.arcgis")

    fetch_layer(srv.query_url, tmp_path / "out.geojson", progress=False, backoff=0)

    pages = [m for m in _messages(caplog, "geo.arcgis", logging.DEBUG) if m.startswith("page ")]
    assert pages == ["page 1: 3 features (3 so far)", "page 2: 3 features (6 so far)", "page 3: 1 features (7 so far)"]
    assert any(m.startswith("fetched out.geojson: 7 features") for m in _messages(caplog, "geo.arcgis", logging.INFO))


def test_cache_build_read_back_and_damaged_entry(tmp_path, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="geo.model")
    built: list[int] = []

    def build() -> pd.DataFrame:
        built.append(1)
        return pd.DataFrame({"a": [1, 2, 3]})

    _cached(tmp_path, "thing", ["input-sha"], build)
    infos = _messages(caplog, "geo.model", logging.INFO)
    assert infos[0].startswith("building thing") and infos[1].startswith("built thing in ") and "3 rows" in infos[1]

    caplog.clear()
    _cached(tmp_path, "thing", ["input-sha"], build)
    assert len(built) == 1 and _messages(caplog, "geo.model", logging.INFO) == []
    assert any("read from the build cache" in m for m in _messages(caplog, "geo.model", logging.DEBUG))

    caplog.clear()
    entry = next((tmp_path / "built").glob("thing-*.parquet"))
    entry.write_bytes(b"not parquet")
    _cached(tmp_path, "thing", ["input-sha"], build)
    assert len(built) == 2
    warning = _messages(caplog, "geo.model", logging.WARNING)
    assert len(warning) == 1 and str(entry) in warning[0] and "rebuilding" in warning[0]


def test_import_logs_counts_never_the_rows(tmp_path, caplog) -> None:
    caplog.set_level(logging.INFO, logger="geo.sites.importer")
    path = write_csv(tmp_path / "council sites.csv", good_rows())
    result = import_sites(path, tmp_path / "s.sqlite", ward_layer())

    infos = _messages(caplog, "geo.sites.importer", logging.INFO)
    assert infos[-1].startswith(f"imported council sites.csv as batch {result.batch}: {result.read} read, "
                                f"{result.accepted} accepted, {result.rejected} rejected")
    assert "Hotel One" not in caplog.text  # a site's name is OFFICIAL-SENSITIVE: never in a log

    caplog.clear()
    import_sites(path, tmp_path / "s.sqlite", ward_layer())
    assert _messages(caplog, "geo.sites.importer", logging.INFO) == [
        f"council sites.csv was already imported as batch {result.batch}: nothing added"]


def test_configure_is_idempotent_and_reads_the_level(monkeypatch) -> None:
    before = list(logging.getLogger("geo").handlers)
    try:
        logs.configure("INFO")
        logs.configure("INFO")  # a Streamlit rerun
        ours = [h for h in logging.getLogger("geo").handlers if h.get_name() == "aam"]
        assert len(ours) == 1 and logging.getLogger("geo").level == logging.INFO
        monkeypatch.setenv(logs.LEVEL_ENV, "debug")
        assert logs.level_for(0) == logging.DEBUG
        monkeypatch.delenv(logs.LEVEL_ENV)
        assert (logs.level_for(0), logs.level_for(1), logs.level_for(2)) == (logging.WARNING, logging.INFO,
                                                                           logging.DEBUG)
        assert logs.level_for(0, default="INFO") == logging.INFO
    finally:
        for name in logs.PROJECT_LOGGERS:
            logger = logging.getLogger(name)
            for h in [h for h in logger.handlers if h.get_name() == "aam" and h not in before]:
                logger.removeHandler(h)
            logger.setLevel(logging.NOTSET)


def test_cli_verbose_flag_shows_the_import_on_stderr(tmp_path, wards_file) -> None:
    path = write_csv(tmp_path / "council sites.csv", good_rows())
    argv = ["sites", "import", str(path), "--db", str(tmp_path / "s.sqlite"), "--json", "--wards", str(wards_file)]

    import_sites(path, tmp_path / "s.sqlite", ward_layer())  # so the CLI's import is the duplicate
    loud = subprocess.run([sys.executable, "-m", "geo", "--verbose", *argv], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert loud.returncode == 0, loud.stderr
    assert "INFO geo.sites.importer: council sites.csv was already imported as batch 1" in loud.stderr
    assert json.loads(loud.stdout)["duplicate"] is True  # logs never mix into the JSON on stdout
    # Without --verbose the level is WARNING (test_configure_is_idempotent_and_reads_the_level): imports are quiet.
