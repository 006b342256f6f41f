"""Sensitivity to unobserved confounding: E-values and Rosenbaum bounds.

* **E-value** (VanderWeele & Ding 2017, Annals of Internal Medicine 167(4), 268-274): the minimum
  strength of association, on the risk-ratio scale, that an unmeasured confounder would need with
  both the treatment and the outcome, conditional on the measured covariates, to explain away an
  observed risk ratio RR: E = RR + sqrt(RR (RR - 1)) for RR >= 1 (use 1/RR below 1). For the
  confidence interval, the same formula applied to the limit nearer 1, or 1 if the interval
  includes 1. Rate ratios and ratios of rate ratios are treated as risk ratios (their eq. for rate
  ratios); a difference in proportions is first expressed as a risk ratio.
* **Rosenbaum bounds** (Rosenbaum 2002, Observational Studies, 2nd ed., ch. 4): within matched sets,
  hidden bias may make one child's odds of being the programme child up to Gamma times another's.
  For the Wilcoxon signed-rank statistic on matched-set differences (the programme child's outcome
  minus the mean of its matched comparisons; absolute differences ranked with the zeros included and
  zeros then given rank 0, as Rosenbaum does; average ranks for ties), the
  largest one-sided p-value under Gamma comes from the normal approximation with
  E = p+ sum(ranks), V = p+ (1 - p+) sum(ranks^2), p+ = Gamma / (1 + Gamma) (Rosenbaum 2002, s. 4.3.3;
  as DOS2::senWilcox, which reproduces Rosenbaum 2002 Table 4.3). `rosenbaum_gamma` is the Gamma at which that p-value reaches the
  significance level: the conclusion that there is an effect survives hidden bias up to it. With
  one comparison child per programme child and a binary outcome this is the sign test on
  discordant pairs (Rosenbaum 2002, s. 4.3.2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

#: One-sided level matching the two-sided 5% used for every confidence interval in the report.
ONE_SIDED_ALPHA = 0.025
#: Gamma is searched up to here; a result still significant there is reported as at least this.
MAX_GAMMA = 50.0


def e_value(ratio: float) -> float:
    """E-value of a risk ratio (or rate ratio): RR + sqrt(RR (RR - 1)), with RR < 1 inverted first."""
    if not ratio > 0 or math.isinf(ratio):
        return math.nan
    rr = ratio if ratio >= 1 else 1 / ratio
    return rr + math.sqrt(rr * (rr - 1))


def e_value_ci(low: float, high: float) -> float:
    """E-value of the confidence limit nearer 1; 1 when the interval includes 1."""
    if low <= 1 <= high:
        return 1.0
    return e_value(low if low > 1 else high)


def _pratt_ranks(d: np.ndarray) -> np.ndarray:
    """Ranks of |d| with the zeros ranked too and then set to 0 (Rosenbaum 2002, s. 4.3.3)."""
    return stats.rankdata(np.abs(d)) * (d != 0)


def signed_rank_upper_p(differences: np.ndarray, gamma: float) -> float:
    """Largest one-sided p-value of the Wilcoxon signed-rank test of 'differences > 0' when hidden
    bias is at most `gamma` (normal approximation; see the module docstring)."""
    d = np.asarray(differences, dtype=float)
    d = d[np.isfinite(d)]
    ranks = _pratt_ranks(d)
    if not ranks.any():
        return 1.0
    t = float(ranks[d > 0].sum())
    p_plus = gamma / (1 + gamma)
    mean = p_plus * ranks.sum()
    var = p_plus * (1 - p_plus) * (ranks**2).sum()
    return float(stats.norm.sf((t - mean) / math.sqrt(var)))


def rosenbaum_gamma(differences: np.ndarray, alpha: float = ONE_SIDED_ALPHA) -> float:
    """The Gamma at which the signed-rank test of the observed direction stops being significant at
    `alpha` (1.0 if it is not significant without hidden bias; MAX_GAMMA if still significant there)."""
    d = np.asarray(differences, dtype=float)
    d = d[np.isfinite(d)]
    ranks = _pratt_ranks(d)
    if not ranks.any():
        return 1.0
    if ranks[d < 0].sum() > ranks[d > 0].sum():
        d = -d  # test the direction the data point to
    if signed_rank_upper_p(d, 1.0) >= alpha:
        return 1.0
    if signed_rank_upper_p(d, MAX_GAMMA) < alpha:
        return MAX_GAMMA
    return float(optimize.brentq(lambda g: signed_rank_upper_p(d, g) - alpha, 1.0, MAX_GAMMA, xtol=1e-6))


def gamma_if_significant(ci: tuple[float, float], null: float, differences: np.ndarray | None) -> float | None:
    """Rosenbaum's Gamma for an estimate whose confidence interval `ci` excludes `null`; 1.0 when it does
    not (no hidden bias is needed to explain away a result that is not significant); None without
    matched sets."""
    if differences is None:
        return None
    if ci[0] <= null <= ci[1]:
        return 1.0
    return rosenbaum_gamma(differences)


def matched_set_differences(frame: pd.DataFrame, value: str) -> np.ndarray:
    """Per matched set (`subclass`), the programme child's `value` minus the weighted mean of its
    comparison children's (sets without both groups are left out)."""
    f = frame[frame.subclass.notna()]
    t = f[f.treated == 1].groupby("subclass")[value].mean()
    c = f[f.treated == 0]
    cw = (c[value] * c.weight).groupby(c.subclass).sum() / c.weight.groupby(c.subclass).sum()
    both = t.index.intersection(cw.index)
    return (t.loc[both] - cw.loc[both]).to_numpy(dtype=float)


@dataclass(frozen=True)
class HiddenBias:
    """How strong unmeasured confounding would have to be to explain an estimate away."""

    ratio: float  # the estimate as a ratio (rate ratio, ratio of rate ratios, or risk ratio)
    ratio_ci: tuple[float, float]
    e_value: float
    e_value_ci: float
    rosenbaum_gamma: float | None  # None where no matched-set test exists (e.g. matching with replacement)
    scale: str  # what the ratio is

    def to_results(self) -> dict[str, float | None | str]:
        return {
            "e_value": round(self.e_value, 6) if math.isfinite(self.e_value) else None,
            "e_value_ci": round(self.e_value_ci, 6) if math.isfinite(self.e_value_ci) else None,
            "rosenbaum_gamma": None if self.rosenbaum_gamma is None else round(self.rosenbaum_gamma, 6),
            "e_value_scale": self.scale,
        }

    def words(self, what: str) -> str:
        """Plain words: how strong an unmeasured factor would have to be."""
        if self.e_value_ci <= 1:
            return (
                f"Because the confidence interval for {what} includes no effect, no unmeasured factor is needed to explain the "
                f"estimate away; to move the point estimate ({self.ratio:.2f}) to no effect, an unmeasured factor would need to "
                f"make children about {self.e_value:.1f} times as likely to be in the programme group and also about "
                f"{self.e_value:.1f} times as likely to have the outcome."
            )
        text = (
            f"To explain away {what}, an unmeasured factor would need to make children about {self.e_value:.1f} times as likely "
            f"to be in the programme group and also about {self.e_value:.1f} times as likely to have the outcome, over and "
            f"above everything matched on; to move the confidence interval to include no effect, {self.e_value_ci:.1f} times each "
            "(E-values)."
        )
        if self.rosenbaum_gamma is not None and self.rosenbaum_gamma > 1:
            g = self.rosenbaum_gamma
            text += (
                f" Within matched sets, the result stays statistically significant unless hidden bias makes one child's odds of "
                f"being the programme child {'at least ' if g >= MAX_GAMMA else ''}{g:.2f} times another's (Rosenbaum's Gamma)."
            )
        return text
