"""geo.render.breaks gives mapclassify's own bins, and the map classes no longer import mapclassify.

Issue 17: ``import mapclassify`` (scipy, scikit-learn, matplotlib.pyplot) cost a fresh server 3.3 s
and 112 MB before its first map; the classes must stay exactly what mapclassify would give.
"""
from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, needs_shared
from geo.render.breaks import fisher_jenks_bins, quantile_bins

mapclassify = pytest.importorskip("mapclassify")


def _reference(values: np.ndarray, k: int, method: str) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ties and "numba not installed"
        if method == "natural_breaks":
            return np.asarray(mapclassify.FisherJenks(values, k=k).bins)
        return np.unique(mapclassify.Quantiles(values, k=k).bins)


def _ours(values: np.ndarray, k: int, method: str) -> np.ndarray:
    return fisher_jenks_bins(values, k) if method == "natural_breaks" else quantile_bins(values, k)


def _built_cases() -> list[tuple[str, np.ndarray, int]]:
    """Skewed, tied, integer, negative and tiny inputs built here (seeded)."""
    rng = np.random.default_rng(17)
    cases = []
    for i in range(40):
        n = int(rng.integers(6, 200))
        y = [rng.lognormal(size=n), rng.integers(0, 6, size=n).astype(float),
             np.round(rng.exponential(4, size=n), 1), rng.normal(size=n) * 1000][i % 4]
        k = int(min(rng.integers(2, 8), np.unique(y).size))
        if k >= 2:
            cases.append((f"built-{i}", y, k))
    cases.append(("many zeros", np.r_[np.zeros(300), np.arange(1, 62, dtype=float)], 5))
    return cases


@pytest.mark.parametrize("method", ["quantiles", "natural_breaks"])
def test_same_bins_as_mapclassify_on_built_data(method: str) -> None:
    for name, values, k in _built_cases():
        assert np.array_equal(_ours(values, k, method), _reference(values, k, method)), (name, method, k)


@needs_shared
@pytest.mark.parametrize("method", ["quantiles", "natural_breaks"])
def test_same_bins_as_mapclassify_on_every_map_measure(model, method: str) -> None:
    """Every measure the overview can colour by, for the first, a middle and the latest quarter."""
    from geo.measures import lad_table

    periods = model.periods
    checked = 0
    for period in (periods[0], periods[len(periods) // 2], periods[-1]):
        table = lad_table(model, period)
        for measure in ("per_1000", "supported", "hotel", "dispersed"):
            values = pd.to_numeric(table[measure], errors="coerce").dropna().astype(float).to_numpy()
            k = int(min(5, np.unique(values).size))
            if k < 2:
                continue
            assert np.array_equal(_ours(values, k, method), _reference(values, k, method)), (period, measure)
            checked += 1
    assert checked >= 6


def test_fewer_distinct_values_than_classes_is_refused_like_mapclassify() -> None:
    with pytest.raises(ValueError):
        fisher_jenks_bins(np.array([1.0, 1.0, 2.0]), 3)


def test_classing_a_map_does_not_import_mapclassify_or_scipy() -> None:
    code = ("import sys, pandas as pd\n"
            "from geo.render.classify import classify\n"
            "s = pd.Series([0.1, 0.5, 2.0, 3.5, 7.0, 9.0, 12.0, 40.0])\n"
            "classify(s, 'quantiles'); classify(s, 'natural_breaks')\n"
            "print(sorted(m for m in ('mapclassify', 'scipy', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
