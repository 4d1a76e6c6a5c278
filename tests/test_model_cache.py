"""The build cache (geo.model._cached) when two server processes build the same entry at once.

Regression: every writer used the same ``<entry>.tmp`` name, so two processes starting together
(two app servers, or a server and ``python -m geo``) could write into one file and publish a
half-written parquet.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd

from geo.model import _cached


def _build() -> pd.DataFrame:
    return pd.DataFrame({"code": [f"E{i:08d}" for i in range(200_000)], "value": range(200_000)})


def _build_in_process(cache: str) -> int:
    return len(_cached(Path(cache), "thing", ["input-sha"], _build))


def test_builders_at_once_all_get_the_entry_whole(tmp_path: Path) -> None:
    """Four builders at once (threads here: the same files, without forking a process that runs
    pyarrow's thread pool) all read back the whole table, and nothing temporary is left."""
    with ThreadPoolExecutor(4) as pool:
        sizes = list(pool.map(_build_in_process, [str(tmp_path)] * 4))
    assert sizes == [200_000] * 4
    built = tmp_path / "built"
    assert not list(built.glob("*.tmp")), "a temporary file was left behind"
    assert len(list(built.glob("*.parquet"))) == 1
    again = _cached(tmp_path, "thing", ["input-sha"], lambda: (_ for _ in ()).throw(AssertionError("rebuilt")))
    assert again.equals(_build())


def test_each_writer_uses_a_name_of_its_own(tmp_path: Path, monkeypatch) -> None:
    """Each build writes to its own temporary name (the fixed ``.tmp`` name was the bug)."""
    names: list[str] = []
    real = pd.DataFrame.to_parquet

    def spy(self, path, *args, **kwargs):
        names.append(Path(path).name)
        return real(self, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", spy)
    _cached(tmp_path, "one", ["a"], _build)
    _cached(tmp_path / "other", "one", ["a"], _build)
    assert len(set(names)) == 2, names
