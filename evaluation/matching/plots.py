"""Diagnostic plots of a matching (MatchIt's love plot of standardised differences and the distance's overlap)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .covariates import MatchingError

if TYPE_CHECKING:
    from .nearest import MatchResult


def love_plot(result: MatchResult, threshold: float = 0.1, ax=None):
    """Absolute standardised mean differences before and after matching, per covariate."""
    import matplotlib.pyplot as plt

    b = result.balance(un=True)
    b = b.drop(index="distance", errors="ignore")
    if ax is None:
        _, ax = plt.subplots(figsize=(6.3, 0.22 * len(b) + 1.2))
    y = np.arange(len(b))[::-1]
    ax.scatter(b.std_mean_diff_un.abs(), y, facecolors="none", edgecolors="#888888", label="Before matching", zorder=3)
    ax.scatter(b.std_mean_diff.abs(), y, color="#1f5fa8", label="After matching", zorder=4)
    ax.axvline(threshold, color="#c62828", linestyle="--", linewidth=1)
    ax.set_yticks(y, b.index)
    ax.set_xlabel("Absolute standardised mean difference")
    ax.legend(frameon=False, loc="lower right")
    ax.grid(axis="x", color="#dddddd")
    return ax


def overlap_plot(result: MatchResult, ax=None):
    """Distribution of the distance (propensity score) by group, before and after matching."""
    import matplotlib.pyplot as plt

    if result.distance is None:
        raise MatchingError("no scalar distance to plot (Mahalanobis matching)")
    if ax is None:
        _, ax = plt.subplots(1, 2, figsize=(6.3, 2.6), sharex=True, sharey=True)
    d = result.distance.to_numpy()
    w = result.weights.to_numpy()
    bins = np.linspace(d.min(), d.max(), 25)
    for a, (title, weights) in zip(ax, (("Before matching", np.ones_like(w)), ("After matching", w))):
        for g, colour, label in ((1, "#1f5fa8", "Programme"), (0, "#f2a900", "Comparison")):
            sel = (result.treat == g) & (weights > 0)
            if sel.any():
                a.hist(d[sel], bins=bins, weights=weights[sel] / weights[sel].sum(), alpha=0.55, color=colour, label=label)
        a.set_title(title, fontsize=9)
        a.set_xlabel("Propensity score" if not str(result.spec.get("link", "")).startswith("linear") else "Linear propensity score")
    ax[0].set_ylabel("Share of group")
    ax[0].legend(frameon=False, fontsize=8)
    return ax
