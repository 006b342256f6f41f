"""Compiled inner loops of nearest-neighbour matching (numba; compiled once per machine and cached on disk).

`nn_scalar` is MatchIt's greedy search on a scalar distance (src/nn_matchC_vec.cpp, 4.7.2) over the
controls of one stratum sorted by distance: for each treated unit, in matching order and round by round
(k:1), the nearest usable control on the left and on the right of its place among the sorted controls,
the closer kept, ties to the left. Without replacement a used control leaves the sorted array, found in
O(log n) by "next free" pointers in both directions (union-find with path compression), so memory stays
O(n) and time O((n1 + n0) log n0). evaluation.matching.nearest prepares the arrays and reads the result;
tests/nn_reference.py is an independent O(n1 * n) transcription it is checked against.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _next_right(right: np.ndarray, p: int) -> int:
    root = p
    while right[root] != root:
        root = right[root]
    while right[p] != root:
        nxt = right[p]
        right[p] = root
        p = nxt
    return root


@njit(cache=True)
def _next_left(left: np.ndarray, p: int) -> int:
    q = p + 1
    root = q
    while left[root] != root:
        root = left[root]
    while left[q] != root:
        nxt = left[q]
        left[q] = root
        q = nxt
    return root - 1


@njit(cache=True)
def _usable(c: int, t: int, row: np.ndarray, found: int, replace: bool, cov_c: np.ndarray, cov_t: np.ndarray, widths: np.ndarray) -> bool:
    if replace:
        for j in range(found):
            if row[j] == c:
                return False
    for k in range(widths.shape[0]):
        if abs(cov_c[c, k] - cov_t[t, k]) > widths[k]:
            return False
    return True


@njit(cache=True)
def _side(
    d_sorted: np.ndarray,
    start: int,
    step: int,
    dt: float,
    cal: float,
    t: int,
    row: np.ndarray,
    found: int,
    replace: bool,
    right: np.ndarray,
    left: np.ndarray,
    cov_c: np.ndarray,
    cov_t: np.ndarray,
    widths: np.ndarray,
) -> int:
    """The nearest usable control from sorted place `start` walking in direction `step`; -1 if none."""
    n0 = d_sorted.shape[0]
    p = start
    while True:
        if not replace:  # the next control not yet used (p runs from -1 to n0, the sentinels)
            p = _next_right(right, p) if step > 0 else _next_left(left, p)
        if p < 0 or p >= n0:
            return -1
        if abs(dt - d_sorted[p]) > cal:
            return -1  # sorted: everything further is further away
        if _usable(p, t, row, found, replace, cov_c, cov_t, widths):
            return p
        p += step


@njit(cache=True)
def nn_scalar(
    d_sorted: np.ndarray,
    t_dist: np.ndarray,
    t_split: np.ndarray,
    order: np.ndarray,
    ratio: int,
    replace: bool,
    cal: float,
    cov_c: np.ndarray,
    cov_t: np.ndarray,
    widths: np.ndarray,
) -> np.ndarray:
    """Matches as places among the sorted controls: row i (treated unit i) holds its controls in match order, -1
    after the last. `t_split` is each treated unit's place among the sorted controls (ties broken by row number),
    `order` the matching order; `cov_c` / `cov_t` the covariates with calipers of `widths` (0 columns for none)."""
    n1 = t_dist.shape[0]
    n0 = d_sorted.shape[0]
    mm = np.full((n1, ratio), -1, dtype=np.int64)
    found = np.zeros(n1, dtype=np.int64)
    right = np.arange(n0 + 1)
    left = np.arange(n0 + 1)
    free = n0
    for r in range(ratio):
        for i in range(order.shape[0]):
            t = order[i]
            if r > 0 and found[t] < r:
                continue  # found nothing in an earlier round: nothing nearer now either
            dt = t_dist[t]
            s = t_split[t]
            row = mm[t]
            best = _side(d_sorted, s - 1, -1, dt, cal, t, row, found[t], replace, right, left, cov_c, cov_t, widths)
            other = _side(d_sorted, s, 1, dt, cal, t, row, found[t], replace, right, left, cov_c, cov_t, widths)
            if best < 0 or (other >= 0 and abs(d_sorted[other] - dt) < abs(d_sorted[best] - dt)):
                best = other
            if best < 0:
                continue
            mm[t, found[t]] = best
            found[t] += 1
            if not replace:
                right[best] = best + 1
                left[best + 1] = best
                free -= 1
        if not replace and free == 0:
            break
    return mm
