"""An independent, line-by-line transcription of MatchIt's nearest-neighbour loop on a scalar distance
(src/nn_matchC_vec.cpp) in plain Python, O(n1 * n), for tests only: a brute-force reference for
evaluation.matching's O(n log n) search on random options and data with many ties. (MatchIt 4.7.2 itself
is the reference in test_matching_matchit.py.)
"""

import math

import numpy as np


def ref_nn_vec(treat, dist, ord_, ratio, discarded, replace, caliper=None, exact=None, cal_covs=None, cal_widths=None):
    """Matches {treated position among treated: [control row, ...]} as MatchIt computes them.

    Units are sorted by distance (stable); treated units are visited in `ord_`, round by round; for
    each, the nearest eligible control to the left and to the right in sorted order is found and the
    closer one kept, ties to the left.
    """
    fabs = abs
    n = len(treat)
    d_ord = np.argsort(dist, kind="stable")
    t = treat[d_ord]
    d = dist[d_ord]
    disc = discarded[d_ord]
    ex = None if exact is None else exact[d_ord]
    cc = None if cal_covs is None else cal_covs[d_ord]
    pos_of_orig = np.empty(n, int)
    pos_of_orig[d_ord] = np.arange(n)
    t_orig = np.flatnonzero(treat == 1)  # treated units in data order
    reuse_max = 10**9 if replace else 1
    can_be_matched = (~disc) & (t != 1)
    times = np.zeros(n, int)
    mm = [[] for _ in t_orig]  # original 0-based row numbers of the controls
    cal = math.inf if caliper is None else caliper

    def check(ii, k, r, row):
        if t[k] == 1:
            return "skip"
        if r > 0:
            if d_ord[k] in set(row):
                return "skip"
        if not can_be_matched[k]:
            return "skip"
        if fabs(d[ii] - d[k]) > cal:
            return "stop"
        if ex is not None and ex[ii] != ex[k]:
            return "skip"
        if cc is not None and np.any(np.abs(cc[ii] - cc[k]) > cal_widths):
            return "skip"
        return "ok"

    def nearest(ii, step, r, row):
        k = ii + step
        while 0 <= k < n:
            status = check(ii, k, r, row)
            if status == "ok":
                return k
            if status == "stop":
                return -1
            k += step
        return -1

    for r in range(ratio):
        for i in ord_:
            ii = pos_of_orig[t_orig[i]]
            if disc[ii]:
                continue
            kl, kr = nearest(ii, -1, r, mm[i]), nearest(ii, +1, r, mm[i])
            if kl >= 0 and kr >= 0:
                k = kl if fabs(d[kl] - d[ii]) <= fabs(d[kr] - d[ii]) else kr
            elif kl >= 0 or kr >= 0:
                k = max(kl, kr)
            else:
                continue
            mm[i].append(int(d_ord[k]))
            times[k] += 1
            if times[k] >= reuse_max:
                can_be_matched[k] = False
            if not can_be_matched.any():
                return mm
    return mm
