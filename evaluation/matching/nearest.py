"""Greedy nearest-neighbour matching with the options and semantics of R's MatchIt 4.7.2
`matchit(method = "nearest", ...)`, for the ATT.

    m = match(cohort.table, "treated", covariates, caliper=0.2, link="linear.logit")
    m.balance()            # MatchIt's summary(): means, std. mean diff., variance ratio, eCDF
    m.sample_sizes()       # All / Matched (ESS) / Matched / Unmatched / Discarded
    m.pairs()              # one row per treated-control pair
    m.love_plot(); m.overlap_plot()

Semantics (as MatchIt 4.7.2; Ho, Imai, King & Stuart 2011, J. Stat. Softw. 42(8)):

* distance="glm": propensity score from an unpenalised logistic (or probit) regression of the
  treatment on the covariates (IRLS as R's glm.fit, `propensity_score`); link="linear.logit" matches on the
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
pointers (union-find with path compression), O((n1 + n0) log n0) time, compiled with numba
(`_kernels.nn_scalar`; checked against the O(n1 * n) transcription in tests/nn_reference.py).
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


@dataclass(frozen=True)
class PropensityFit:
    """The fitted propensity model: coefficients on the design (intercept first), deviance, IRLS iterations."""

    coefficients: np.ndarray
    deviance: float
    iterations: int
    converged: bool


_EPS = float(np.finfo(float).eps)


def _binomial_link(base: str):
    """(link, inverse link, d mu / d eta) of R's binomial family, with R's bounds (logit: |eta| > 30 is held at
    eps from 0 or 1; probit: eta within qnorm(eps), d mu / d eta at least eps)."""
    from scipy.special import ndtr, ndtri

    if base == "logit":  # R's C code (family.c): exp(eta) / (1 + exp(eta)), eta held within +-30

        def inverse(eta: np.ndarray) -> np.ndarray:
            e = np.where(eta < -30, _EPS, np.where(eta > 30, 1 / _EPS, np.exp(np.clip(eta, -30, 30))))
            return e / (1 + e)

        def derivative(eta: np.ndarray) -> np.ndarray:
            e = np.exp(np.clip(eta, -30, 30))
            return np.where(np.abs(eta) > 30, _EPS, e / ((1 + e) * (1 + e)))

        return (lambda mu: np.log(mu / (1 - mu))), inverse, derivative
    thresh = -float(ndtri(_EPS))
    return (
        ndtri,
        lambda eta: ndtr(np.clip(eta, -thresh, thresh)),
        lambda eta: np.maximum(np.exp(-0.5 * eta * eta) / math.sqrt(2 * math.pi), _EPS),
    )


def _weighted_least_squares(X: np.ndarray, z: np.ndarray, w: np.ndarray) -> np.ndarray:
    """argmin_b sum(w (z - X b)^2): the normal equations on columns scaled to unit weighted norm, by Cholesky with
    one step of iterative refinement (as accurate as a QR solve for the well-conditioned designs of propensity
    models, and several times faster on large cohorts); least squares by SVD when the design is (nearly) singular."""
    from scipy.linalg import LinAlgError, cho_factor, cho_solve

    Xw = X * w[:, None]
    scale = np.sqrt(np.einsum("ij,ij->j", Xw, X))
    scale[scale == 0] = 1.0
    gram = (Xw.T @ X) / np.outer(scale, scale)
    rhs = (Xw.T @ z) / scale
    try:
        if np.linalg.cond(gram) > 1e8:
            raise LinAlgError("near-singular")
        factor = cho_factor(gram, check_finite=False)
        b = cho_solve(factor, rhs, check_finite=False)
        residual = z - X @ (b / scale)
        b = b + cho_solve(factor, (Xw.T @ residual) / scale, check_finite=False)
        return b / scale
    except LinAlgError:
        root = np.sqrt(w)
        return np.linalg.lstsq(X * root[:, None], z * root, rcond=None)[0]


def propensity_score(data: pd.DataFrame, treat: np.ndarray, covariates: Sequence[str], link: str = "logit"):
    """Fitted propensity scores from an unpenalised binomial GLM fitted as R's glm.fit does; linear.* links return
    the linear predictor. Returns (distance, PropensityFit).

    IRLS starts where R's glm does (mu = (y + 1/2) / 2), keeps mu within R's bounds and stops by R's rule,
    |change in deviance| < 1e-8 (|deviance| + 0.1), within 25 iterations, so the scores agree with R's even
    when a covariate level perfectly predicts group membership (no finite maximum exists then). A design with
    an aliased column gives the same fitted scores as R's pivoted QR (a minimum-norm solution).
    """
    linear = link.startswith("linear.")
    base = link.split(".", 1)[1] if linear else link
    if base not in ("logit", "probit"):
        raise MatchingError(f"link must be one of logit, probit, linear.logit, linear.probit; got {link!r}")
    X = np.ascontiguousarray(_design_matrix(data, covariates), dtype=float)
    y = treat.astype(float)
    linkfun, inverse, derivative = _binomial_link(base)

    def deviance(mu: np.ndarray) -> float:
        return float(-2.0 * (np.log(mu[y == 1]).sum() + np.log1p(-mu[y == 0]).sum()))

    eta = linkfun((y + 0.5) / 2)
    mu = inverse(eta)
    old = deviance(mu)
    coef = np.zeros(X.shape[1])
    converged, iterations = False, 0
    for iterations in range(1, 26):
        d = derivative(eta)
        z = eta + (y - mu) / d
        coef = _weighted_least_squares(X, z, d * d / (mu * (1 - mu)))
        # row by row in one fixed order (not BLAS's gemv, whose kernels round a block's tail rows differently):
        # identical covariate rows get identical scores, so their ties are ties, as in R
        eta = np.einsum("ij,j->i", X, coef)
        mu = inverse(eta)
        dev = deviance(mu)
        if abs(dev - old) / (abs(dev) + 0.1) < 1e-8:
            converged = True
            break
        old = dev
    return (eta if linear else mu), PropensityFit(coef, dev, iterations, converged)


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
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy NN on a scalar distance among `units` (row positions, not discarded), MatchIt's rules (the search
    itself is `_kernels.nn_scalar`). Returns the treated rows and, for each, its control rows in match order
    (-1 after the last)."""
    from ._kernels import nn_scalar

    t_rows = units[treat[units] == 1]
    c_rows = units[treat[units] == 0]
    if len(c_rows) == 0 or len(t_rows) == 0:
        return t_rows, np.full((len(t_rows), ratio), -1, dtype=np.int64)
    # controls sorted by (distance, row): the same relative order as MatchIt's stable sort of all units
    dc = dist[c_rows]
    by_distance = np.argsort(dc)  # faster than a stable sort; ties (rare with a fitted score) are then sorted stably
    if (np.diff(dc[by_distance]) == 0).any():
        by_distance = np.argsort(dc, kind="stable")  # c_rows ascend, so ties stay in row order
    c_sorted = c_rows[by_distance]
    d_sorted = np.ascontiguousarray(dist[c_sorted], dtype=float)
    t_dist = np.ascontiguousarray(dist[t_rows], dtype=float)
    # place of each treated unit among the sorted controls, ties broken by row number
    split = np.searchsorted(d_sorted, t_dist, side="left")
    for j in np.flatnonzero(d_sorted[np.minimum(split, len(d_sorted) - 1)] == t_dist):  # a control at the same distance
        hi = int(np.searchsorted(d_sorted, t_dist[j], side="right"))
        split[j] += int(np.searchsorted(c_sorted[split[j] : hi], t_rows[j], side="left"))
    k = 0 if cal_covs is None else cal_covs.shape[1]
    cov_c = np.zeros((len(c_sorted), k)) if cal_covs is None else np.ascontiguousarray(cal_covs[c_sorted], dtype=float)
    cov_t = np.zeros((len(t_rows), k)) if cal_covs is None else np.ascontiguousarray(cal_covs[t_rows], dtype=float)
    widths = np.zeros(0) if cal_widths is None else np.ascontiguousarray(cal_widths, dtype=float)
    cal = math.inf if caliper is None else float(caliper)
    places = nn_scalar(
        d_sorted, t_dist, split.astype(np.int64), np.asarray(order, dtype=np.int64), ratio, replace, cal, cov_c, cov_t, widths
    )
    return t_rows, np.where(places >= 0, c_sorted[np.maximum(places, 0)], -1)


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
        if values.min() == values.max():  # one value: no caliper to apply
            continue
        if std.get(name, True):
            width = width * float(np.std(values[~discarded], ddof=1))
        widths[name] = abs(width)
    return widths


def match_matrix_rows(matches: Mapping[int, Sequence[int]], treat: np.ndarray, ratio: int) -> np.ndarray:
    """{treated row: [control rows]} as a matrix: one row per treated unit in data order, its control rows in match
    order, -1 after the last."""
    t_rows = np.flatnonzero(treat == 1)
    row_of = np.full(len(treat), -1)
    row_of[t_rows] = np.arange(len(t_rows))
    mm = np.full((len(t_rows), ratio), -1, dtype=np.int64)
    for t, cs in matches.items():
        mm[row_of[t], : len(cs)] = cs
    return mm


def _subclasses(mm: np.ndarray, treat: np.ndarray) -> np.ndarray:
    """Pair membership numbered as MatchIt 4.7.2 does (mm2subclassC): 1, 2, ... over the matched treated
    units in data order (-1: in no pair)."""
    t_rows = np.flatnonzero(treat == 1)
    sub = np.full(len(treat), -1, dtype=np.int64)
    matched = mm[:, 0] >= 0
    numbers = np.cumsum(matched)
    sub[t_rows[matched]] = numbers[matched]
    filled = mm >= 0
    sub[mm[filled]] = np.broadcast_to(numbers[:, None], mm.shape)[filled]
    return sub


def matching_weights(mm: np.ndarray | Mapping[int, Sequence[int]], treat: np.ndarray) -> np.ndarray:
    """MatchIt's ATT weights from the matches (their matrix, `match_matrix_rows`, or {treated row: [control
    rows]}): 1 for each matched treated unit; each control gets 1/k per treated unit it is one of k matches for;
    control weights are then scaled to sum to the number of matched controls."""
    if not isinstance(mm, np.ndarray):
        mm = match_matrix_rows(mm, treat, max([len(cs) for cs in mm.values()], default=1))
    weights = np.zeros(len(treat))
    filled = mm >= 0
    k = filled.sum(axis=1)
    weights[np.flatnonzero(treat == 1)[k > 0]] = 1.0
    np.add.at(weights, mm[filled], np.broadcast_to((1.0 / np.maximum(k, 1))[:, None], mm.shape)[filled])
    controls = treat == 0
    if weights[controls].sum() > 0:
        weights[controls] *= (weights[controls] > 0).sum() / weights[controls].sum()
    return weights


def _match_frame(mm: np.ndarray, labels: pd.Index, treat: np.ndarray) -> pd.DataFrame:
    """Control labels per treated unit (rows in data order, one column per match; missing if unmatched). Whole-number
    labels in nullable integer columns (fast to build for a large cohort), others as objects with None."""
    filled = mm >= 0
    index = labels[treat == 1]
    if pd.api.types.is_integer_dtype(labels.dtype):
        values = np.asarray(labels)[np.maximum(mm, 0)]
        cols = {j + 1: pd.arrays.IntegerArray(values[:, j].astype(np.int64), ~filled[:, j]) for j in range(mm.shape[1])}
        return pd.DataFrame(cols, index=index)
    out = np.full(mm.shape, None, dtype=object)
    out[filled] = np.asarray(labels, dtype=object)[mm[filled]]
    return pd.DataFrame(out, index=index, columns=range(1, mm.shape[1] + 1))


def assemble_result(
    data: pd.DataFrame,
    treatment: str,
    covariates: list[str],
    spec: dict[str, Any],
    treat: np.ndarray,
    dist: np.ndarray | None,
    discarded: np.ndarray,
    matches: Mapping[int, Sequence[int]] | np.ndarray,
    widths: dict[str, float],
    model: Any = None,
) -> MatchResult:
    """The result object from the matches, {treated row position: [control row positions]} or their matrix
    (`match_matrix_rows`): weights, subclasses (without replacement), match matrix. Used by match(); tests
    feed it R's matches."""
    labels = data.index
    ratio = int(spec.get("ratio", 1))
    rows = matches if isinstance(matches, np.ndarray) else match_matrix_rows(matches, treat, ratio)
    mm = _match_frame(rows, labels, treat)
    subclass = None
    if not spec.get("replace"):
        sub = _subclasses(rows, treat)
        subclass = pd.Series(pd.array(np.where(sub > 0, sub, 0), dtype="Int64"), index=labels).where(sub > 0)
    return MatchResult(
        data=data,
        treatment=treatment,
        covariates=covariates,
        spec=spec,
        treat=treat,
        distance=pd.Series(dist, index=labels, name="distance") if dist is not None else None,
        discarded=pd.Series(discarded, index=labels, name="discarded"),
        weights=pd.Series(matching_weights(rows, treat), index=labels, name="weights"),
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
        dist = np.asarray(distance if isinstance(distance, (np.ndarray, pd.Series)) else list(distance), dtype=float)
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
    rows = np.full((int((treat == 1).sum()), ratio), -1, dtype=np.int64)  # control rows per treated unit, in data order
    row_of = np.cumsum(treat == 1) - 1
    for stratum in strata:
        if is_scalar:
            units = stratum[~discarded[stratum]]
            t_units = units[treat[units] == 1]
            if len(t_units):
                order = _order(dist_used[t_units], m_order, rng)
                t_rows, found = _match_scalar(treat, dist_used, units, order, ratio, replace, widths.get(""), cal_covs, cal_widths)
                rows[row_of[t_rows]] = found
        else:
            assert metric is not None  # set above whenever there is no scalar distance
            t_all = stratum[treat[stratum] == 1]  # discarded units keep their places in MatchIt's search
            if len(t_all) and (~discarded[t_all]).any():
                order = _order(np.zeros(len(t_all)), m_order, rng)
                for t, cs in _match_vectors(treat, metric, stratum, discarded, order, ratio, replace, cal_covs, cal_widths).items():
                    rows[row_of[t], : len(cs)] = cs

    if not (rows >= 0).any():
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
    result = assemble_result(data, treatment, covariates, spec, treat, dist, discarded, rows, widths, model)
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
