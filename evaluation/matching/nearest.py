"""Greedy nearest-neighbour matching with the options and semantics of R's MatchIt 4.7.2
`matchit(method = "nearest", ...)`, for the ATT.

    m = match(cohort.table, "treated", covariates, caliper=0.2, link="linear.logit")
    m.balance()            # MatchIt's summary(): means, std. mean diff., variance ratio, eCDF
    m.sample_sizes()       # All / Matched (ESS) / Matched / Unmatched / Discarded
    m.pairs()              # one row per treated-control pair
    m.love_plot(); m.overlap_plot()

Semantics (as MatchIt 4.7.2; Ho, Imai, King & Stuart 2011, J. Stat. Softw. 42(8)):

* distance="glm": propensity score from an unpenalised logistic (or probit) regression of the
  treatment on the covariates (statsmodels GLM, binomial); link="linear.logit" matches on the
  linear predictor. Categorical covariates enter as treatment-contrast dummies, which gives the
  same fitted scores as R's model.matrix. distance="mahalanobis": Mahalanobis distance on the
  covariates (factors expanded to all levels / sqrt(2), each column scaled, pooled within-group
  covariance, generalised inverse if singular, rows transformed by a pivoted Cholesky factor), with
  MatchIt's search and tie rule (see `_match_vectors`). A numeric vector may be given as the distance.
* Matching order: m_order "largest" (default for a propensity score), "smallest", "data"
  (default for Mahalanobis) or "random" (seeded by random_state). With replacement the order
  does not matter and "data" is used, as MatchIt does.
* k:1 matching happens in rounds: every treated unit gets its first match (in matching order),
  then its second, and so on. Each treated unit is matched to the nearest eligible control; on a
  scalar distance the search is over the sorted distances, ties going to the lower-sorted unit.
* caliper: in standard deviations of the distance (std_caliper=True; SD over non-discarded units)
  or in raw units; a mapping {covariate: width} adds covariate calipers ("" or None key = distance).
* exact: matching only within strata of these columns. discard: "none", "both", "control" or
  "treated" removes units outside the common support of the distance before matching.
* Weights (ATT): 1 for matched treated units; each control gets 1/k for every treated unit it is
  one of k matches for, then control weights are scaled to sum to the number of matched controls.
  `subclass` (pair membership) is given when matching without replacement.

Conformance: tests/test_matching_matchit.py compares every option with MatchIt 4.7.2 itself (the whole call,
a supplied fractional distance, Mahalanobis matching and its ties). Debian's MatchIt 4.5.1 differs on
fractional distances (it truncates their differences, kosukeimai/MatchIt#163) and is not the reference.

Memory stays O(n): on a scalar distance the search runs over one sorted array with "next free"
pointers (union-find with path compression), O((n1 + n0) log n0) time.
"""

from __future__ import annotations

import bisect
import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from .balance import _balance_table, max_abs_smd
from .covariates import (
    MatchingError,
    UnmatchedTreatedWarning,
    _check_columns,
    _design_matrix,
    _is_categorical,
    _levels,
    _treatment_vector,
    balance_matrix,
)

# --------------------------------------------------------------------------------------------
# Distances


def propensity_score(data: pd.DataFrame, treat: np.ndarray, covariates: Sequence[str], link: str = "logit"):
    """Fitted propensity scores from an unpenalised binomial GLM (statsmodels); linear.* links
    return the linear predictor. Returns (distance, fitted model).

    IRLS starts where R's glm does (mu = (y + 1/2) / 2) and stops by R's rule, |change in
    deviance| < 1e-8 (|deviance| + 0.1), within 25 iterations, so the scores agree with R's even
    when a covariate level perfectly predicts group membership (no finite maximum exists then).
    """
    import statsmodels.api as sm

    linear = link.startswith("linear.")
    base = link.split(".", 1)[1] if linear else link
    links = {"logit": sm.families.links.Logit(), "probit": sm.families.links.Probit()}
    if base not in links:
        raise MatchingError(f"link must be one of logit, probit, linear.logit, linear.probit; got {link!r}")
    X = _design_matrix(data, covariates)
    model = sm.GLM(treat.astype(float), X, family=sm.families.Binomial(link=links[base]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # perfect prediction and convergence notes: judged by balance
        fit = model.fit(method="IRLS", maxiter=25, tol_criterion="deviance", atol=1e-9, rtol=1e-8)
    # row by row in one fixed order (not BLAS's gemv, whose kernels round a block's tail rows differently):
    # identical covariate rows get identical scores, so their ties are ties, as in R
    eta = np.einsum("ij,j->i", np.asarray(X, dtype=float), np.asarray(fit.params, dtype=float))
    return (eta if linear else fit.family.link.inverse(eta)), fit


def _one_group_levels(data: pd.DataFrame, treat: np.ndarray, covariates: Sequence[str]) -> list[tuple[str, object, int, int]]:
    """Factor levels present in one group only: (covariate, level, treated count, control count)."""
    out = []
    for col in covariates:
        s = data[col]
        if _is_categorical(s):
            for lev in _levels(s):
                has = s == lev
                n1, n0 = int((has & (treat == 1)).sum()), int((has & (treat == 0)).sum())
                if n1 == 0 or n0 == 0:
                    out.append((col, lev, n1, n0))
    return out


def _separated_levels(data: pd.DataFrame, treat: np.ndarray, covariates: Sequence[str]) -> list[str]:
    """Factor levels present in one group only, as 'covariate = level'."""
    return [f"{col} = {lev}" for col, lev, _, _ in _one_group_levels(data, treat, covariates)]


def _separation_notes(data: pd.DataFrame, treat: np.ndarray, covariates: Sequence[str]) -> list[str]:
    """Levels found in only one group: they predict group membership perfectly (no finite MLE)."""
    found = [f"{col} = {lev} ({n1} treated, {n0} control)" for col, lev, n1, n0 in _one_group_levels(data, treat, covariates)]
    if not found:
        return []
    return [
        "Some covariate levels occur in one group only, so they predict group membership perfectly and their "
        "propensity scores are pushed towards 0 or 1: " + "; ".join(found) + ". Consider combining rare levels."
    ]


@dataclass(frozen=True)
class MahalanobisMetric:
    """MatchIt 4.7.2's Mahalanobis distance (transform_covariates, method "mahalanobis"): covariates with
    factors expanded to all levels (/ sqrt(2)), constant columns dropped, each column scaled (mean and SD
    over all units), the pooled within-group covariance of the non-discarded units, its inverse (the
    SVD generalised inverse when the determinant is at most 1e-8), and each row multiplied by the
    pivoted Cholesky factor of that inverse (LAPACK dpstrf, as R's chol(pivot = TRUE)). Euclidean
    distances between transformed rows are then Mahalanobis distances; with a singular covariance the
    factor keeps dpstrf's unfactored trailing block, as R does, so the distances are R's."""

    Y: np.ndarray  # transformed rows (units x columns)

    def distances(self, t: int, controls: np.ndarray) -> np.ndarray:
        return np.sqrt(((self.Y[controls] - self.Y[t]) ** 2).sum(axis=1))


def mahalanobis_metric(data: pd.DataFrame, treat: np.ndarray, covariates: Sequence[str], discarded: np.ndarray) -> MahalanobisMetric:
    from scipy.linalg import lapack

    cols = []
    for col in covariates:
        s = data[col]
        if s.dtype == bool:
            cols.append(s.astype(float).to_numpy())
        elif _is_categorical(s):
            cols.extend((s == lev).astype(float).to_numpy() / math.sqrt(2) for lev in _levels(s))
        else:
            cols.append(s.astype(float).to_numpy())
    X = np.column_stack(cols)
    keep = np.abs(X.max(axis=0) - X.min(axis=0)) >= math.sqrt(np.finfo(float).eps)
    if not keep.any():  # MatchIt falls back to Euclidean distance on the first column
        return MahalanobisMetric(X[:, :1].copy())
    X = X[:, keep]
    Z = (X - X.mean(axis=0)) / X.std(axis=0, ddof=1)
    Zk, tk = Z[~discarded], treat[~discarded]
    centred = Zk.copy()
    groups = np.unique(tk)
    for g in groups:
        centred[tk == g] -= centred[tk == g].mean(axis=0)
    cov = (centred.T @ centred) / (len(Zk) - len(groups))
    inv = None
    if np.linalg.det(cov) > 1e-8:
        try:
            inv = np.linalg.solve(cov, np.eye(len(cov)))
        except np.linalg.LinAlgError:
            inv = None
    if inv is None:
        u, dvals, vt = np.linalg.svd(cov)
        pos = dvals > max(1e-8 * dvals[0], 0)
        inv = vt[pos].T @ (dvals[pos, None] ** -1 * u[:, pos].T)
    chol, piv, _, _ = lapack.dpstrf(inv, tol=-1.0, lower=0)
    chol = np.triu(chol)  # R zeroes the lower triangle
    factor = chol[:, np.argsort(piv - 1)]
    return MahalanobisMetric(Z @ factor.T)


# --------------------------------------------------------------------------------------------
# The greedy matchers


class _Pointers:
    """'Next available position' in both directions over 0..n-1 (union-find with path compression).

    right[p] == p means position p is available (p == n is the 'none' sentinel); left[q] == q means
    position q - 1 is available (q == 0 is the 'none' sentinel, giving -1).
    """

    def __init__(self, n: int):
        self.right = list(range(n + 1))
        self.left = list(range(n + 1))

    def next_right(self, p: int) -> int:
        r = self.right
        root = p
        while r[root] != root:
            root = r[root]
        while r[p] != root:
            r[p], p = root, r[p]
        return root

    def next_left(self, p: int) -> int:
        l = self.left  # noqa: E741
        q = root = p + 1
        while l[root] != root:
            root = l[root]
        while l[q] != root:
            l[q], q = root, l[q]
        return root - 1

    def remove(self, p: int) -> None:
        self.right[p] = p + 1
        self.left[p + 1] = p


def _order(dist_t: np.ndarray, m_order: str, rng: np.random.Generator) -> np.ndarray:
    n1 = len(dist_t)
    if m_order == "largest":
        return np.argsort(-dist_t, kind="stable")
    if m_order == "smallest":
        return np.argsort(dist_t, kind="stable")
    if m_order == "random":
        return rng.permutation(n1)
    return np.arange(n1)


def _match_scalar(
    treat: np.ndarray,
    dist: np.ndarray,
    units: np.ndarray,
    order: np.ndarray,
    ratio: int,
    replace: bool,
    caliper: float | None,
    cal_covs: np.ndarray | None,
    cal_widths: np.ndarray | None,
) -> dict[int, list[int]]:
    """Greedy NN on a scalar distance among `units` (row positions, not discarded), MatchIt's rules.

    Returns {treated row: [control rows in match order]}.
    """
    t_rows = units[treat[units] == 1]
    c_rows = units[treat[units] == 0]
    if len(c_rows) == 0 or len(t_rows) == 0:
        return {}
    # controls sorted by (distance, row): the same relative order as MatchIt's stable sort of all units
    c_order = np.lexsort((c_rows, dist[c_rows]))
    c_sorted = c_rows[c_order]
    d_sorted = dist[c_sorted]
    # split point of each treated unit among the sorted controls, ties broken by row number
    split = np.searchsorted(d_sorted, dist[t_rows], side="left")
    hi = np.searchsorted(d_sorted, dist[t_rows], side="right")
    tie = hi > split
    if tie.any():
        for j in np.flatnonzero(tie):
            block = c_sorted[split[j] : hi[j]]
            split[j] += int(np.searchsorted(block, t_rows[j], side="left"))
    pos_of = dict(zip(t_rows.tolist(), split.tolist()))
    ptr = None if replace else _Pointers(len(c_sorted))
    d_list, c_list = d_sorted.tolist(), c_sorted.tolist()
    matches: dict[int, list[int]] = {}
    t_order = t_rows[order]
    cal = math.inf if caliper is None else caliper
    n0 = len(c_sorted)
    for r in range(ratio):
        for t in t_order.tolist():
            row = matches.get(t)
            if r > 0 and (row is None or len(row) < r):
                continue  # found nothing in an earlier round: nothing nearer now either
            dt = float(dist[t])
            s = pos_of[t]
            taken = set(row) if (row and replace) else ()
            best = _side(d_list, c_list, s - 1, -1, dt, cal, taken, ptr, cal_covs, cal_widths, t, n0)
            right = _side(d_list, c_list, s, +1, dt, cal, taken, ptr, cal_covs, cal_widths, t, n0)
            if best < 0 or (right >= 0 and abs(d_list[right] - dt) < abs(d_list[best] - dt)):
                best = right
            if best < 0:
                continue
            matches.setdefault(t, []).append(c_list[best])
            if ptr is not None:
                ptr.remove(best)
        if ptr is not None and ptr.next_right(0) >= n0:
            break
    return matches


def _side(d_sorted, c_sorted, start, step, dt, cal, taken, ptr, cal_covs, cal_widths, t, n0) -> int:
    """Nearest usable control from sorted position `start` walking in direction `step`; -1 if none."""
    p = start
    while True:
        if ptr is not None:
            p = ptr.next_right(p) if step > 0 else ptr.next_left(p)
        if p < 0 or p >= n0:
            return -1
        if abs(dt - d_sorted[p]) > cal:
            return -1  # sorted: everything further is further away
        c = c_sorted[p]
        if (taken and c in taken) or (cal_covs is not None and np.any(np.abs(cal_covs[c] - cal_covs[t]) > cal_widths)):
            p += step
            continue
        return p


def _affine_slope(x: np.ndarray, y: np.ndarray, tol: float = 1e-9) -> float:
    """MatchIt's get_affine_transformation: the slope a when y = a x + b holds within `tol` at every unit, else 0."""
    if len(x) < 2:
        return 0.0
    dx, dy = x - x.mean(), y - y.mean()
    num, den = float(dx @ dy), float(dx @ dx)
    if abs(den) < tol or abs(num) < tol:
        return 0.0
    a = num / den
    b = y.mean() - a * x.mean()
    return a if bool(np.all(np.abs(a * x + b - y) <= tol)) else 0.0


def _match_vectors(
    treat: np.ndarray,
    metric: MahalanobisMetric,
    units: np.ndarray,
    discarded: np.ndarray,
    order: np.ndarray,
    ratio: int,
    replace: bool,
    cal_covs: np.ndarray | None,
    cal_widths: np.ndarray | None,
) -> dict[int, list[int]]:
    """Greedy NN on the Mahalanobis-transformed rows, as MatchIt 4.7.2's nn_matchC_mahcovs and
    find_control_mahcovs (src/internal.cpp). `units` are all the units of one exact stratum, discarded ones
    included (they hold places in the search). Units are sorted (stably) on one transformed column, the
    first unless a covariate with a caliper is an affine function of one (then that one, so its caliper
    can stop the search). For each treated unit the search steps outward from it, alternately one place
    to the left and one to the right, skipping ineligible units; a side stops at its end, when the gap on
    the sorting column exceeds that caliper, or when its square exceeds the worst kept distance. Kept
    controls are ordered by squared distance (summed over columns in order); a control no farther than
    the worst kept one replaces it, and among equal distances the one found later goes first. So ties
    between equally distant controls are broken by the order of the search, exactly as in R. Without
    replacement, matching runs in rounds (each treated unit's first control, then its second); with
    replacement each treated unit takes its `ratio` nearest at once."""
    Y = metric.Y[units]
    tr = treat[units]
    n = len(units)
    cc = None if cal_covs is None else cal_covs[units].copy()
    widths = None if cal_widths is None else np.asarray(cal_widths, dtype=float).copy()
    match_var, mv_caliper = None, math.inf
    if cc is not None and widths is not None:
        for mci in range(Y.shape[1]):
            for cci in range(cc.shape[1]):
                if match_var is None and widths[cci] >= 0:
                    a = _affine_slope(cc[:, cci], Y[:, mci])
                    if abs(a) > 1e-10:
                        cc[:, cci] = Y[:, mci]
                        widths[cci] *= abs(a)
                        match_var, mv_caliper = Y[:, mci], float(widths[cci])
    if match_var is None:
        match_var = Y[:, 0]
    sorted_at = np.argsort(match_var, kind="stable")
    place = np.empty(n, dtype=np.int64)
    place[sorted_at] = np.arange(n)
    mv = match_var.tolist()
    at = sorted_at.tolist()
    eligible = (~discarded[units]).tolist()
    is_control = (tr == 0).tolist()
    treated = np.flatnonzero(tr == 1)
    n_free = int(sum(e and c for e, c in zip(eligible, is_control)))

    def find(ti: int, r: int, row: list[int], k: int) -> list[int]:
        lo = hi = int(place[ti])
        l_stop = r_stop = left = False
        kept: list[tuple[float, int]] = []  # (squared distance, unit), nearest first
        while not (l_stop and r_stop):
            left = False if l_stop else True if r_stop else not left
            if left:
                if lo <= 0:
                    l_stop = True
                    continue
                lo -= 1
                iz = at[lo]
            else:
                if hi >= n - 1:
                    r_stop = True
                    continue
                hi += 1
                iz = at[hi]
            if not eligible[iz] or not is_control[iz] or (r > 1 and iz in row):
                continue
            gap = abs(mv[ti] - mv[iz])
            if gap > mv_caliper or (len(kept) == k and kept[-1][0] < gap * gap):
                if left:
                    l_stop = True
                else:
                    r_stop = True
                continue
            if cc is not None and widths is not None and bool(np.any((np.abs(cc[ti] - cc[iz]) > widths) & (widths >= 0))):
                continue
            d = float(np.cumsum((Y[ti] - Y[iz]) ** 2)[-1])  # summed in column order, as euc_dist_sq
            if not math.isfinite(d):
                continue
            if not kept:
                kept.append((d, iz))
            elif d > kept[-1][0]:
                if len(kept) < k:
                    kept.append((d, iz))
            elif k == 1:
                kept[0] = (d, iz)
            else:
                if len(kept) == k:
                    kept.pop()
                if d > kept[-1][0]:
                    kept.append((d, iz))
                else:
                    kept.insert(bisect.bisect_left([x[0] for x in kept], d), (d, iz))
        return [iz for _, iz in kept]

    mm: list[list[int]] = [[] for _ in treated]
    if not replace and len(treated) > 1:  # MatchIt's reuse_max (1) < number of treated: rounds
        times = [0] * n
        for r in range(1, ratio + 1):
            for t in order.tolist():
                if n_free == 0:
                    break
                ti = int(treated[t])
                if not eligible[ti]:
                    continue
                found = find(ti, r, mm[t], 1)
                if not found:
                    eligible[ti] = False
                    continue
                mm[t].append(found[0])
                for ck, allowed in ((found[0], 1), (ti, ratio)):
                    if eligible[ck]:
                        times[ck] += 1
                        if times[ck] >= allowed:
                            eligible[ck] = False
                            n_free -= int(is_control[ck])
    else:
        for t in order.tolist():
            ti = int(treated[t])
            if eligible[ti]:
                mm[t] = find(ti, 1, mm[t], ratio if replace or len(treated) <= 1 else 1)
    return {int(units[treated[t]]): [int(units[c]) for c in row] for t, row in enumerate(mm) if row}


# --------------------------------------------------------------------------------------------
# Result


@dataclass
class MatchResult:
    """Everything MatchIt's matchit object holds, aligned to the input rows."""

    data: pd.DataFrame
    treatment: str
    covariates: list[str]
    spec: dict[str, Any]
    treat: np.ndarray
    distance: pd.Series | None
    discarded: pd.Series
    weights: pd.Series
    subclass: pd.Series | None
    match_matrix: pd.DataFrame
    caliper_widths: dict[str, float]
    model: Any = None
    warnings: list[str] = field(default_factory=list)
    #: treated units left unmatched (caliper, exact strata or discard): the estimand is no longer the ATT
    n_treated_unmatched: int = 0
    unmatched_note: str = ""
    separation_note: str = ""
    #: "covariate = level" for factor levels found in one group only (perfect prediction)
    separated_levels: list[str] = field(default_factory=list)

    # ------------------------------------------------------------------ tables
    def pairs(self) -> pd.DataFrame:
        """One row per (treated, control) match: row labels, match number, subclass, distance gap."""
        long = self.match_matrix.rename_axis("treated").reset_index().melt(id_vars="treated", var_name="match_number", value_name="control")
        out = long[long.control.notna()].sort_values(["treated", "match_number"], kind="stable")[["treated", "control", "match_number"]]
        out = out.reset_index(drop=True)
        if self.subclass is not None and len(out):
            out["subclass"] = self.subclass.loc[out.treated].to_numpy()
        if self.distance is not None and len(out):
            out["distance_gap"] = np.abs(self.distance.loc[out.treated].to_numpy() - self.distance.loc[out.control].to_numpy())
        return out

    def sample_sizes(self) -> pd.DataFrame:
        """MatchIt's sample-size table: rows All (ESS), All, Matched (ESS), Matched, Unmatched, Discarded."""
        t = self.treat
        w = self.weights.to_numpy()
        d = self.discarded.to_numpy()

        def ess(x):
            return float(x.sum() ** 2 / (x**2).sum()) if (x**2).sum() > 0 else 0.0

        rows = {
            "All (ESS)": [ess(np.ones((t == 0).sum())), ess(np.ones((t == 1).sum()))],
            "All": [int((t == 0).sum()), int((t == 1).sum())],
            "Matched (ESS)": [ess(w[t == 0]), ess(w[t == 1])],
            "Matched": [int(((t == 0) & (w > 0)).sum()), int(((t == 1) & (w > 0)).sum())],
            "Unmatched": [int(((t == 0) & (w == 0) & ~d).sum()), int(((t == 1) & (w == 0) & ~d).sum())],
            "Discarded": [int(((t == 0) & d).sum()), int(((t == 1) & d).sum())],
        }
        return pd.DataFrame(rows, index=["Control", "Treated"]).T

    @property
    def n_treated_matched(self) -> int:
        return int(((self.treat == 1) & (self.weights.to_numpy() > 0)).sum())

    @property
    def n_control_matched(self) -> int:
        return int(((self.treat == 0) & (self.weights.to_numpy() > 0)).sum())

    def balance(self, un: bool = True) -> pd.DataFrame:
        """MatchIt's summary() balance table, indexed by covariate (factor levels as <column><level>).

        Columns means_treated, means_control, std_mean_diff, var_ratio, ecdf_mean, ecdf_max (after
        matching), and with un=True the same before matching with the suffix _un. The standardised
        mean difference divides by the treated group's SD in the full sample (ATT), fixed before
        matching; binary covariates use sqrt(p(1-p)); variance ratios are not given for binary ones.
        """
        cols = list(self.covariates) + [c for c in self.spec.get("exact") or [] if c not in self.covariates]
        cols += [c for c in self.caliper_widths if c and c not in cols]
        X = balance_matrix(self.data, cols)
        if self.distance is not None:
            X.insert(0, "distance", self.distance.to_numpy())
        after = _balance_table(X, self.treat, self.weights.to_numpy())
        if not un:
            return after
        before = _balance_table(X, self.treat, None)
        return after.join(before.add_suffix("_un"))

    # ------------------------------------------------------------------ plots
    def max_abs_smd(self, after: bool = True, exclude: Iterable[str] = ()) -> float:
        """Largest |standardised mean difference| over the covariates, without the rows in `exclude`."""
        return max_abs_smd(self, after, exclude)

    def love_plot(self, threshold: float = 0.1, ax=None):
        """Absolute standardised mean differences before and after matching, per covariate."""
        from .plots import love_plot

        return love_plot(self, threshold, ax)

    def overlap_plot(self, ax=None):
        """Distribution of the distance (propensity score) by group, before and after matching."""
        from .plots import overlap_plot

        return overlap_plot(self, ax)


# --------------------------------------------------------------------------------------------
# match()


def _discard(treat: np.ndarray, dist: np.ndarray | None, option: str) -> np.ndarray:
    if option == "none":
        return np.zeros(len(treat), dtype=bool)
    if dist is None:
        raise MatchingError("discard needs a scalar distance (a propensity score); it cannot be used with Mahalanobis matching")
    d0, d1 = dist[treat == 0], dist[treat == 1]
    if option == "both":
        return (dist < max(d0.min(), d1.min())) | (dist > min(d0.max(), d1.max()))
    if option == "control":
        return (dist < d1.min()) | (dist > d1.max())
    if option == "treated":
        return (dist < d0.min()) | (dist > d0.max())
    raise MatchingError(f"discard must be none, both, control or treated; got {option!r}")


def _calipers(caliper, std_caliper, data, dist, discarded, is_scalar) -> dict[str, float]:
    if caliper is None:
        return {}
    spec = (
        {"": float(caliper)} if isinstance(caliper, (int, float)) else {("" if k is None else str(k)): float(v) for k, v in caliper.items()}
    )
    std = std_caliper if isinstance(std_caliper, Mapping) else {k: bool(std_caliper) for k in spec}
    widths = {}
    for name, width in spec.items():
        if not math.isfinite(width):
            continue
        if name == "":
            if not is_scalar:
                raise MatchingError("a caliper on the distance needs a propensity score; name covariate calipers instead")
            values = dist
        else:
            if name not in data.columns:
                raise MatchingError(f"caliper variable {name!r} is not in the data")
            values = data[name].to_numpy()
            if _is_categorical(data[name]) or len(np.unique(values)) == 2:
                raise MatchingError(f"calipers cannot be used with binary or categorical variables: {name}")
            values = values.astype(float)
        if len(np.unique(values)) <= 1:
            continue
        if std.get(name, True):
            width = width * float(np.std(values[~discarded], ddof=1))
        widths[name] = abs(width)
    return widths


def _subclasses(matches: Mapping[int, Sequence[int]], n: int) -> np.ndarray:
    """Pair membership numbered as MatchIt 4.7.2 does (mm2subclassC): 1, 2, ... over the matched treated
    units in data order."""
    sub = np.full(n, -1, dtype=np.int64)
    keys = sorted(t for t in matches if matches[t])
    for s, t in enumerate(keys, start=1):
        sub[t] = s
        for c in matches[t]:
            sub[c] = s
    return sub


def matching_weights(matches: Mapping[int, Sequence[int]], treat: np.ndarray) -> np.ndarray:
    """MatchIt's ATT weights from the matches {treated row: [control rows]}: 1 for each matched
    treated unit; each control gets 1/k per treated unit it is one of k matches for; control
    weights are then scaled to sum to the number of matched controls."""
    weights = np.zeros(len(treat))
    for t, cs in matches.items():
        if not cs:
            continue
        weights[t] = 1.0
        for c in cs:
            weights[c] += 1.0 / len(cs)
    controls = treat == 0
    if weights[controls].sum() > 0:
        weights[controls] *= (weights[controls] > 0).sum() / weights[controls].sum()
    return weights


def _match_array(matches: Mapping[int, Sequence[int]], treat: np.ndarray, ratio: int, labels: pd.Index) -> np.ndarray:
    """Control labels per treated unit (rows in data order, one column per match; None if unmatched)."""
    t_rows = np.flatnonzero(treat == 1)
    row_of = np.full(len(treat), -1)
    row_of[t_rows] = np.arange(len(t_rows))
    pos = np.full((len(t_rows), ratio), -1, dtype=np.int64)
    for t, cs in matches.items():
        pos[row_of[t], : len(cs)] = cs
    out = np.full(pos.shape, None, dtype=object)
    filled = pos >= 0
    out[filled] = np.asarray(labels, dtype=object)[pos[filled]]
    return out


def assemble_result(
    data: pd.DataFrame,
    treatment: str,
    covariates: list[str],
    spec: dict[str, Any],
    treat: np.ndarray,
    dist: np.ndarray | None,
    discarded: np.ndarray,
    matches: Mapping[int, Sequence[int]],
    widths: dict[str, float],
    model: Any = None,
) -> MatchResult:
    """The result object from matches {treated row position: [control row positions]}: weights,
    subclasses (without replacement), match matrix. Used by match(); tests feed it R's matches."""
    n = len(data)
    labels = data.index
    ratio = int(spec.get("ratio", 1))
    mm = pd.DataFrame(_match_array(matches, treat, ratio, labels), index=labels[treat == 1], columns=range(1, ratio + 1))
    subclass = None
    if not spec.get("replace"):
        sub = _subclasses(matches, n)
        subclass = pd.Series(pd.array(np.where(sub > 0, sub, 0), dtype="Int64"), index=labels).where(sub > 0)
    return MatchResult(
        data=data,
        treatment=treatment,
        covariates=covariates,
        spec=spec,
        treat=treat,
        distance=pd.Series(dist, index=labels, name="distance") if dist is not None else None,
        discarded=pd.Series(discarded, index=labels, name="discarded"),
        weights=pd.Series(matching_weights(matches, treat), index=labels, name="weights"),
        subclass=subclass,
        match_matrix=mm,
        caliper_widths=widths,
        model=model,
    )


def match(
    data: pd.DataFrame,
    treatment: str,
    covariates: Sequence[str],
    method: str = "nearest",
    distance: str | Iterable[float] = "glm",
    link: str = "logit",
    ratio: int = 1,
    caliper: float | Mapping[str | None, float] | None = None,
    std_caliper: bool | Mapping[str, bool] = True,
    replace: bool = False,
    exact: str | Sequence[str] | None = None,
    m_order: str | None = None,
    discard: str = "none",
    random_state: int | np.random.Generator | None = None,
    column_roles: Mapping[str, str] | None = None,
) -> MatchResult:
    """Nearest-neighbour matching for the ATT with MatchIt 4.7.2's options and semantics (see module docs).
    `column_roles` (column -> 'identifier', 'outcome', 'post_index', ...; evaluation.cohort.COLUMN_ROLES for a
    cohort table) lets the propensity model refuse columns that are not pre-index covariates."""
    if method != "nearest":
        raise MatchingError(f"only method='nearest' is implemented; got {method!r}")
    covariates = list(covariates)
    if not covariates:
        raise MatchingError("give at least one covariate")
    _check_columns(data, treatment, covariates, column_roles)
    treat = _treatment_vector(data, treatment)
    if int(ratio) != ratio or ratio < 1:
        raise MatchingError("ratio must be a whole number, 1 or more")
    ratio = int(ratio)
    exact_cols = [exact] if isinstance(exact, str) else list(exact or [])
    for col in exact_cols:
        if col not in data.columns:
            raise MatchingError(f"exact variable {col!r} is not in the data")
    rng = random_state if isinstance(random_state, np.random.Generator) else np.random.default_rng(random_state)
    n = len(data)

    model = None
    metric = None
    notes: list[str] = []
    separation: list[str] = []
    if isinstance(distance, str):
        if distance == "glm":
            dist, model = propensity_score(data, treat, covariates, link)
            separation = _separation_notes(data, treat, covariates)
            notes += separation
        elif distance == "mahalanobis":
            dist = None
        else:
            raise MatchingError(f"distance must be 'glm', 'mahalanobis' or a numeric vector; got {distance!r}")
    else:
        dist = np.asarray(list(distance), dtype=float)
        if dist.shape != (n,) or not np.isfinite(dist).all():
            raise MatchingError("a distance vector must have one finite value per row of data")
    is_scalar = dist is not None
    discarded = _discard(treat, dist, discard)
    widths = _calipers(caliper, std_caliper, data, dist, discarded, is_scalar)
    cal_names = [k for k in widths if k]
    cal_covs = data[cal_names].to_numpy(dtype=float) if cal_names else None
    cal_widths = np.array([widths[k] for k in cal_names]) if cal_names else None
    if dist is None:
        metric = mahalanobis_metric(data, treat, covariates, discarded)

    if m_order is None:
        m_order = "largest" if is_scalar else "data"
    allowed_orders = ("largest", "smallest", "random", "data") if is_scalar else ("data", "random")
    if m_order not in allowed_orders:
        raise MatchingError(f"m_order must be one of {', '.join(allowed_orders)} with this distance; got {m_order!r}")
    if replace:
        m_order = "data"

    if metric is not None and metric.Y.shape[1] == 1:  # one column: MatchIt matches on it as a scalar distance
        is_scalar, dist_used = True, metric.Y[:, 0]
    else:
        dist_used = dist
    if exact_cols:
        keys = data[exact_cols].astype(str).agg("\x1f".join, axis=1).to_numpy()
        strata = [np.flatnonzero(keys == k) for k in sorted(set(keys))]
    else:
        strata = [np.arange(n)]
    matches: dict[int, list[int]] = {}
    for stratum in strata:
        if is_scalar:
            units = stratum[~discarded[stratum]]
            t_units = units[treat[units] == 1]
            if len(t_units):
                order = _order(dist_used[t_units], m_order, rng)
                matches.update(_match_scalar(treat, dist_used, units, order, ratio, replace, widths.get(""), cal_covs, cal_widths))
        else:
            assert metric is not None  # set above whenever there is no scalar distance
            t_all = stratum[treat[stratum] == 1]  # discarded units keep their places in MatchIt's search
            if len(t_all) and (~discarded[t_all]).any():
                order = _order(np.zeros(len(t_all)), m_order, rng)
                matches.update(_match_vectors(treat, metric, stratum, discarded, order, ratio, replace, cal_covs, cal_widths))

    if not matches:
        raise MatchingError("no treated unit found a match")
    spec = {
        "method": method,
        "distance": distance if isinstance(distance, str) else "user",
        "link": link if isinstance(distance, str) and distance == "glm" else None,
        "ratio": ratio,
        "caliper": caliper,
        "std_caliper": std_caliper,
        "replace": replace,
        "exact": exact_cols or None,
        "m_order": m_order,
        "discard": discard,
        "estimand": "ATT",
        "covariates": covariates,
    }
    result = assemble_result(data, treatment, covariates, spec, treat, dist, discarded, matches, widths, model)
    result.warnings.extend(notes)
    result.separation_note = separation[0] if separation else ""
    result.separated_levels = _separated_levels(data, treat, covariates) if separation else []
    n_t = int((treat == 1).sum())
    dropped = n_t - result.n_treated_matched
    result.n_treated_unmatched = int(dropped)
    if dropped:
        causes = [
            name
            for name, on in (("a caliper", bool(widths)), ("exact strata", bool(exact_cols)), ("common-support discard", discard != "none"))
            if on
        ] or ["too few controls"]
        msg = (
            f"{dropped} of {n_t} treated units were not matched ({', '.join(causes)}): the estimate now describes the "
            f"matched treated units, not all of them (the estimand changes from the ATT)."
        )
        result.warnings.append(msg)
        result.unmatched_note = msg
        warnings.warn(msg, UnmatchedTreatedWarning, stacklevel=2)
    return result
