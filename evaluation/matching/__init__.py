"""Matching: the MatchIt 4.7.2 port (`nearest`), balance statistics (`balance`), diagnostic plots (`plots`),
covariate handling and errors (`covariates`), and the evaluation's matching stage (`stage`).

    m = match(cohort.table, "treated", covariates, caliper=0.2, link="linear.logit")
    m.balance(); m.sample_sizes(); m.pairs(); m.love_plot(); m.overlap_plot()
    cm = match_comparison(cohort, config)      # the stage: ratios tried, the one with the best balance kept
"""

from __future__ import annotations

from .balance import balance_summary, max_abs_smd
from .covariates import MatchingError, UnmatchedTreatedWarning, balance_matrix
from .nearest import (
    MahalanobisMetric,
    MatchResult,
    _calipers,
    assemble_result,
    mahalanobis_metric,
    match,
    matching_weights,
    propensity_score,
)
from .stage import CohortMatch, match_cohort, match_comparison

__all__ = [
    "CohortMatch",
    "MahalanobisMetric",
    "MatchResult",
    "MatchingError",
    "UnmatchedTreatedWarning",
    "_calipers",
    "assemble_result",
    "balance_matrix",
    "balance_summary",
    "mahalanobis_metric",
    "match",
    "match_cohort",
    "match_comparison",
    "matching_weights",
    "max_abs_smd",
    "propensity_score",
]
