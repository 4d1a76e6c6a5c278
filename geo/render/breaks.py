"""Quantile and Fisher-Jenks class breaks in NumPy, giving mapclassify's exact bins.

Why not import mapclassify here: it pulls in scipy, scikit-learn and matplotlib.pyplot, which cost
a fresh app server over 3 s and 110 MB before its first map (measured by ``bench/pages.py``), for
two small algorithms on a few hundred values. These follow mapclassify 2.x line by line where it
matters for the result (SciPy's ``scoreatpercentile`` interpolation; the float32 running sums and
the ``>=`` tie rule of ``_fisher_jenks_means``), and ``tests/test_breaks.py`` checks them against
mapclassify itself on the loaded figures and on data built to have ties.
"""
from __future__ import annotations

import numpy as np


def quantile_bins(values: np.ndarray, k: int) -> np.ndarray:
    """Upper bounds of k quantile classes (``mapclassify.Quantiles(values, k).bins``); repeated
    bounds collapse, so ties can give fewer classes."""
    data = np.sort(np.asarray(values, dtype=float).ravel())
    step = 100.0 / k
    pcts = np.arange(step, 100 + step, step)
    if pcts[-1] > 100.0:
        pcts[-1] = 100.0
    return np.unique(np.array([_score_at(data, p) for p in pcts]))


def _score_at(sorted_: np.ndarray, per: float) -> float:
    """SciPy's ``scoreatpercentile`` with 'fraction' interpolation, on sorted values."""
    idx = per / 100.0 * (sorted_.size - 1)
    i = int(idx)
    if i == idx:
        return float(sorted_[i])
    weights = np.array([(i + 1 - idx), (idx - i)], float)
    return float(np.add.reduce(sorted_[i:i + 2] * weights) / weights.sum())


def fisher_jenks_bins(values: np.ndarray, k: int) -> np.ndarray:
    """Upper bounds of k Fisher-Jenks natural-break classes (``mapclassify.FisherJenks(values, k)
    .bins``). The inner loop of the dynamic programme is vectorised; sums stay float32 and in the
    same order as mapclassify's, so every comparison, and so every break, comes out the same."""
    x = np.sort(np.asarray(values, dtype=float).ravel())
    n = x.size
    if np.unique(x).size < k:
        raise ValueError(f"Fewer unique values ({np.unique(x).size}) than specified classes ({k}).")
    lower = np.zeros((n + 1, k + 1), dtype=np.int32)  # mapclassify's mat1: first index of the last class
    cost = np.zeros((n + 1, k + 1), dtype=np.float32)  # mat2: least within-class variance so far
    lower[1, 1:] = 1
    cost[2:, 1:] = np.inf
    x32 = x.astype(np.float32)
    for last in range(2, n + 1):
        tail = x32[:last][::-1]  # values[last-1], values[last-2], ... as m runs 1..last
        s1 = np.cumsum(tail, dtype=np.float32)
        s2 = np.cumsum(tail * tail, dtype=np.float32)
        w = np.arange(1, last + 1, dtype=np.float32)
        v = (s2 - (s1 * s1) / w).astype(np.float32)
        first = last - np.arange(1, last - 1 + 1) + 1  # i3 for each m that has a class before it (i4 != 0)
        cand = (v[:-1, None] + cost[first - 1, 1:k]).astype(np.float32)  # m by class j = 2..k
        if cand.size:
            best = cand.min(axis=0)
            pick = cand.shape[0] - 1 - np.argmin(cand[::-1], axis=0)  # '>=': the last of equal minima wins
            take = cost[last, 2:] >= best
            lower[last, 2:] = np.where(take, first[pick], lower[last, 2:])
            cost[last, 2:] = np.where(take, best, cost[last, 2:])
        lower[last, 1] = 1
        cost[last, 1] = v[-1]
    breaks = np.zeros(k + 1, dtype=x.dtype)
    breaks[k] = x[n - 1]
    breaks[0] = x[0]
    row = n
    for count in range(k, 1, -1):
        pivot = lower[row, count]
        breaks[count - 1] = x[int(pivot - 2)]
        row = int(pivot - 1)
    return np.delete(breaks, 0)
