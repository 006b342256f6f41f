"""Balance statistics as MatchIt's summary() computes them (means, standardised mean differences with the
treated group's SD before matching, variance ratios, eCDF statistics), and the summaries a report quotes."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Iterable

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from .nearest import MatchResult


def _div(a: float, b: float) -> float:
    """Division as R does it: x/0 is Inf, 0/0 is NaN."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.float64(a) / np.float64(b))


def _wvar(x: np.ndarray, w: np.ndarray, binary: bool) -> float:
    w = w / w.sum()
    m = float((w * x).sum())
    if binary:
        return m * (1 - m)
    return _div((w * (x - m) ** 2).sum(), 1 - (w**2).sum())


def _ecdf_stats(x: np.ndarray, t: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Mean and max absolute difference of the weighted eCDFs (MatchIt's qqsum, standardize=TRUE)."""
    w = w.astype(float).copy()
    for g in (0, 1):
        w[t == g] = w[t == g] / w[t == g].sum()
    order = np.argsort(x, kind="stable")
    xo, wo, to = x[order], w[order], t[order]
    signed = np.where(to == to[0], -wo, wo)
    cum = np.abs(np.cumsum(signed))
    last_of_value = np.append(np.diff(xo) != 0, True)
    e = cum[last_of_value]
    return float(e.mean()), float(e.max())


def _balance_table(X: pd.DataFrame, t: np.ndarray, weights: np.ndarray | None) -> pd.DataFrame:
    """MatchIt's bal1var for every column: standardised with the treated SD of the full sample."""
    eps = math.sqrt(np.finfo(float).eps)
    ww = np.ones(len(t)) if weights is None else weights.astype(float)
    i1, i0 = t == 1, t == 0
    rows = {}
    for name in X.columns:
        x = X[name].to_numpy(dtype=float)
        binary = bool(np.all((x == 0) | (x == 1)))
        too_small = (ww[i1] != 0).sum() < 2 and (ww[i0] != 0).sum() < 2
        m1 = _div((x[i1] * ww[i1]).sum(), ww[i1].sum())
        m0 = _div((x[i0] * ww[i0]).sum(), ww[i0].sum())
        diff = m1 - m0
        smd = diff
        if abs(diff) > eps and not too_small:
            sd = math.sqrt(_wvar(x[i1], np.ones(i1.sum()), binary))
            if not math.isfinite(sd) or sd < eps:
                sd = _pooled_sd(x, t, binary)
            smd = diff / sd
        if binary:
            vr = math.nan
            ecdf_mean = ecdf_max = abs(diff)
        elif not too_small:
            vr = _div(_wvar(x[i1], ww[i1], False), _wvar(x[i0], ww[i0], False))
            ecdf_mean, ecdf_max = _ecdf_stats(x, t, ww)
        else:
            vr = ecdf_mean = ecdf_max = math.nan
        rows[name] = {
            "means_treated": m1,
            "means_control": m0,
            "std_mean_diff": smd,
            "var_ratio": vr,
            "ecdf_mean": ecdf_mean,
            "ecdf_max": ecdf_max,
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "covariate"
    return out


def _pooled_sd(x: np.ndarray, t: np.ndarray, binary: bool) -> float:
    """MatchIt's fallback when the treated SD is zero: pooled SD with groups weighted by size."""
    n = len(x)
    if binary:
        return math.sqrt(sum(x[t == g].sum() * (1 - x[t == g].sum() / (t == g).sum()) for g in (0, 1)) / n)
    centred = x.astype(float).copy()
    for g in (0, 1):
        centred[t == g] -= centred[t == g].mean()
    return math.sqrt(float((centred**2).sum() / (n - 1)))


def max_abs_smd(result: MatchResult, after: bool = True, exclude: Iterable[str] = ()) -> float:
    """Largest absolute standardised mean difference over the covariates (not the distance), leaving out
    the balance rows named in `exclude` (e.g. factor levels whose shares are not published)."""
    b = result.balance(un=True).drop(index=["distance", *exclude], errors="ignore")
    return float(b["std_mean_diff" if after else "std_mean_diff_un"].abs().max()) if len(b) else float("nan")


def balance_summary(result: MatchResult, threshold: float, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """The balance figures a summary quotes: the largest |SMD| before and after matching and how many
    balance rows stay above `threshold` after it, over the rows not in `exclude`; `rows_left_out` says
    how many were left out (the figures then describe the rows shown, not every row)."""
    exclude = set(exclude)
    after = result.balance(un=False).drop(index=["distance", *exclude], errors="ignore").std_mean_diff.abs()
    return {
        "max_abs_std_mean_diff_before": round(max_abs_smd(result, after=False, exclude=exclude), 6),
        "max_abs_std_mean_diff_after": round(max_abs_smd(result, after=True, exclude=exclude), 6),
        "covariates_above_threshold_after": int((after > threshold).sum()),
        "rows_left_out": len(exclude),
    }
