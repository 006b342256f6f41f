"""Shared estimation helpers: weighted GLMs with cluster-robust (sandwich) standard errors.

Wald intervals and p-values use Student's t with (clusters - 1) degrees of freedom.

The sandwich is written out so it can be checked against R's sandwich::vcovCL (Zeileis, Köll &
Graham 2020, J. Stat. Softw. 95(1)): for a GLM with log link, the score of row i is
w_i (y_i - mu_i) / V(mu_i) * mu_i * x_i and the bread is X' diag(w mu^2 / V(mu)) X; the meat sums
scores within clusters; the result is scaled by G/(G-1) (cadjust = TRUE) and, for linear models
only, also by (n-1)/(n-k): vcovCL's defaults are type "HC0" for glm fits and "HC1" for lm fits.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

Z95 = float(stats.norm.ppf(0.975))


@dataclass(frozen=True)
class Fit:
    """A fitted model: coefficients with cluster-robust covariance."""

    names: list[str]
    params: np.ndarray
    vcov: np.ndarray
    mu: np.ndarray
    n_obs: int
    n_clusters: int
    dispersion: float  # Pearson chi-square / (n - k): > 1 means overdispersion for a count model
    scores: np.ndarray | None = None  # per-row estimating-function contributions (n x k), for joint covariances
    bread_inv: np.ndarray | None = None
    clusters: np.ndarray | None = None

    def se(self, name: str) -> float:
        i = self.names.index(name)
        return float(math.sqrt(max(self.vcov[i, i], 0.0)))  # a variance of zero can come out as -1e-17

    def coef(self, name: str) -> float:
        return float(self.params[self.names.index(name)])

    def wald(self, name: str) -> tuple[float, float, float, float]:
        """(estimate, ci_low, ci_high, two-sided p) on the coefficient's own scale. The reference is
        Student's t with G - 1 degrees of freedom, G the number of clusters, as recommended for
        cluster-robust inference with a modest number of clusters (Cameron & Miller 2015, J. Human
        Resources 50(2), s. VI.C; Stata's default); the normal when clusters are many."""
        b, se = self.coef(name), self.se(name)
        df = max(self.n_clusters - 1, 1)
        crit = float(stats.t.ppf(0.975, df))
        z = b / se if se > 0 else math.inf
        return b, b - crit * se, b + crit * se, float(2 * stats.t.sf(abs(z), df))


def cluster_vcov(X: np.ndarray, scores: np.ndarray, bread_matrix: np.ndarray, clusters: np.ndarray, hc1: bool = True) -> np.ndarray:
    """Cluster-robust covariance: B^-1 (sum_g s_g s_g') B^-1 * G/(G-1) [* (n-1)/(n-k) if hc1]."""
    n, k = X.shape
    _, codes = np.unique(clusters, return_inverse=True)
    G = int(codes.max()) + 1
    summed = np.zeros((G, k))
    np.add.at(summed, codes, scores)
    meat = summed.T @ summed
    inv = np.linalg.pinv(bread_matrix)
    v = inv @ meat @ inv * (G / (G - 1))
    if hc1:
        v *= (n - 1) / (n - k)
    return v


def poisson_fit(
    X: np.ndarray, y: np.ndarray, offset: np.ndarray, weights: np.ndarray, clusters: np.ndarray, names: list[str], alpha: float = 0.0
) -> Fit:
    """Weighted Poisson (alpha = 0) or NB2 (fixed alpha > 0) GLM, log link, by statsmodels IRLS;
    cluster-robust covariance as sandwich::vcovCL on a glm (HC0 with the G/(G-1) adjustment)."""
    import statsmodels.api as sm

    family = sm.families.Poisson() if alpha == 0 else sm.families.NegativeBinomial(alpha=alpha)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sm.GLM(y, X, family=family, offset=offset, var_weights=weights).fit(method="IRLS", maxiter=100, tol=1e-12)
    mu = res.fittedvalues
    var = mu + alpha * mu**2
    scores = (weights * (y - mu) * mu / var)[:, None] * X
    bread = X.T @ (X * (weights * mu**2 / var)[:, None])
    pearson = float((weights * (y - mu) ** 2 / var).sum() / max(len(y) - X.shape[1], 1))
    return Fit(
        names,
        np.asarray(res.params),
        cluster_vcov(X, scores, bread, clusters, hc1=False),
        np.asarray(mu),
        len(y),
        len(np.unique(clusters)),
        pearson,
        scores,
        np.linalg.pinv(bread),
        np.asarray(clusters),
    )


def linear_fit(X: np.ndarray, y: np.ndarray, weights: np.ndarray, clusters: np.ndarray, names: list[str]) -> Fit:
    """Weighted least squares with cluster-robust covariance (HC1) as sandwich::vcovCL on lm."""
    W = weights[:, None]
    bread = X.T @ (X * W)
    params = np.linalg.pinv(bread) @ (X.T @ (weights * y))
    fitted = X @ params
    scores = (weights * (y - fitted))[:, None] * X
    resid_var = float((weights * (y - fitted) ** 2).sum() / max(len(y) - X.shape[1], 1))
    return Fit(names, params, cluster_vcov(X, scores, bread, clusters), fitted, len(y), len(np.unique(clusters)), resid_var)


def joint_vcov(fits: list[Fit], name: str) -> np.ndarray:
    """Covariance of coefficient `name` across GLM fits that share clusters (stacked estimating
    equations): entry (j, k) is sum over clusters of psi_j psi_k x G/(G-1), where psi_j is the cluster's
    summed score times the inverse bread of fit j (for a single fit this is `cluster_vcov`, HC0)."""
    labels = np.unique(np.concatenate([f.clusters for f in fits]))
    G = len(labels)
    psi = np.zeros((G, len(fits)))
    for j, f in enumerate(fits):
        if f.scores is None or f.bread_inv is None or f.clusters is None:
            raise ValueError("a fit without its scores cannot enter a joint covariance")
        codes = np.searchsorted(labels, f.clusters)
        summed = np.zeros((G, f.scores.shape[1]))
        np.add.at(summed, codes, f.scores)
        psi[:, j] = summed @ f.bread_inv[f.names.index(name)]
    return psi.T @ psi * (G / (G - 1))


def nb2_alpha(y: np.ndarray, mu: np.ndarray, weights: np.ndarray) -> float:
    """Moment estimate of the NB2 overdispersion, from E[(y - mu)^2 - y] = alpha mu^2 (Cameron & Trivedi 2013, s. 3.2)."""
    num = float((weights * ((y - mu) ** 2 - y)).sum())
    den = float((weights * mu**2).sum())
    return max(num / den, 1e-8) if den > 0 else 1e-8
