"""The matching stage: a cohort matched as the config says, the ratios tried, and what the report reads."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from .balance import balance_summary, max_abs_smd
from .covariates import MatchingError, UnmatchedTreatedWarning
from .nearest import MatchResult, match


@dataclass
class CohortMatch:
    """The matched comparison: the chosen MatchResult, the candidates tried, and notes for readers."""

    result: MatchResult
    candidates: pd.DataFrame
    covariates: list[str]
    threshold: float
    notes: list[str] = field(default_factory=list)
    index_rule: str = ""
    #: the MatchResult of each row of `candidates`, in order (the chosen one is `result`)
    candidate_results: list[MatchResult] = field(default_factory=list, repr=False)

    def to_results(self) -> dict[str, Any]:
        sizes = self.result.sample_sizes()
        return {
            "index_rule": self.index_rule,
            "comparison_later_approached": self.comparison_approached_later(),
            "n_treated": int(sizes.loc["All", "Treated"]),
            "n_control_pool": int(sizes.loc["All", "Control"]),
            "n_treated_matched": self.result.n_treated_matched,
            "n_control_matched": self.result.n_control_matched,
            "n_treated_discarded": int(sizes.loc["Discarded", "Treated"]),
            **{k: v for k, v in balance_summary(self.result, self.threshold).items() if k != "rows_left_out"},
            "balance_threshold": self.threshold,
            "specification": {k: v for k, v in self.result.spec.items() if k != "covariates"},
        }

    def balance_summary(self, exclude: Iterable[str] = (), result: MatchResult | None = None) -> dict[str, Any]:
        """`balance_summary` of the chosen matching (or of one of `candidate_results`) without the rows in `exclude`."""
        return balance_summary(self.result if result is None else result, self.threshold, exclude)

    def indicator_balance(self, columns: Sequence[str]) -> pd.DataFrame:
        """Balance after matching of 'any' indicators of count columns (e.g. any offence in the year before),
        which the means of the counts can hide: weighted shares and the standardised difference (treated SD
        before matching, as for the other covariates)."""
        r = self.result
        rows = []
        w = r.weights.to_numpy()
        t = r.treat == 1
        for col in columns:
            if col not in r.data:
                continue
            x = (r.data[col].to_numpy(dtype=float) > 0).astype(float)
            p_t, p_c = np.average(x[t], weights=w[t]), np.average(x[~t & (w > 0)], weights=w[~t & (w > 0)])
            sd = math.sqrt(x[t].mean() * (1 - x[t].mean()))
            rows.append(
                {"covariate": col, "share_treated": p_t, "share_control": p_c, "std_mean_diff": (p_t - p_c) / sd if sd > 0 else 0.0}
            )
        return pd.DataFrame(rows, columns=["covariate", "share_treated", "share_control", "std_mean_diff"])

    def comparison_approached_later(self) -> int:
        """Matched comparison units whose child was approached by the programme after the index (censored there)."""
        d = self.result.data
        if "approached_later_date" not in d:
            return 0
        matched = (self.result.weights > 0).to_numpy() & (self.result.treat == 0)
        return int(d.approached_later_date.notna().to_numpy()[matched].sum())


def match_cohort(
    table: pd.DataFrame,
    covariates: Sequence[str],
    ratio: int | str = "auto",
    max_ratio: int = 5,
    min_treated_share: float = 0.95,
    balance_threshold: float = 0.1,
    random_state: int | None = None,
    **options: Any,
) -> CohortMatch:
    """Match the comparison pool to the programme group (`treated` column) on `covariates`.

    With ratio="auto", ratios 1..max_ratio are tried with the same other options, and the one kept
    has the smallest maximum |standardised mean difference| among those matching at least
    `min_treated_share` of the programme group (if none does, the one matching the most). Only
    covariate balance is looked at, never outcomes (Ho, Imai, King & Stuart 2007; Stuart 2010).
    """
    ratios = list(range(1, max_ratio + 1)) if ratio == "auto" else [int(ratio)]
    tried, rows = [], []
    n_treated = int(table.treated.sum())
    for k in ratios:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = match(table, "treated", covariates, ratio=k, random_state=random_state, **options)
        worst = max_abs_smd(m)
        tried.append(m)
        rows.append(
            {"ratio": k, "treated_matched": m.n_treated_matched, "controls_matched": m.n_control_matched, "max_abs_std_mean_diff": worst}
        )
    cand = pd.DataFrame(rows)
    ok = cand.treated_matched >= min_treated_share * n_treated
    pick = (
        cand[ok].max_abs_std_mean_diff.idxmin()
        if ok.any()
        else cand.sort_values(["treated_matched", "max_abs_std_mean_diff"], ascending=[False, True]).index[0]
    )
    cand["chosen"] = cand.index == pick
    chosen = tried[pick]
    notes = list(dict.fromkeys(chosen.warnings))
    if chosen.n_treated_unmatched:
        warnings.warn(chosen.unmatched_note, UnmatchedTreatedWarning, stacklevel=2)
    return CohortMatch(
        result=chosen, candidates=cand, covariates=list(covariates), threshold=balance_threshold, notes=notes, candidate_results=tried
    )


def match_comparison(cohort, config, covariates: Sequence[str] | None = None) -> CohortMatch:
    """Match the cohort's comparison pool to its programme group as `[matching]` in the config says
    (`covariates` overrides the config's, e.g. for a sensitivity analysis)."""
    mc = config.matching
    if covariates is None:
        covariates = list(mc.covariates) if mc.covariates else list(cohort.covariates)
    covariates = list(covariates)
    missing = [c for c in covariates if c not in cohort.table.columns]
    if missing:
        raise MatchingError(
            f"[matching] covariates not available in this cohort: {', '.join(missing)}"
            + (" (the events table is needed for prior event counts)" if any(c.startswith("prior_") for c in missing) else "")
        )
    exact = list(mc.exact)
    if "index_period" in cohort.table and "index_period" not in exact:
        exact.append("index_period")  # risk-set design: match within the calendar interval of the programme child's index
    options = dict(
        distance=mc.distance,
        link=mc.link,
        caliper=mc.caliper,
        std_caliper=mc.std_caliper,
        replace=mc.replace,
        exact=exact or None,
        m_order=mc.m_order,
        discard=mc.discard,
    )
    from ..cohort import COLUMN_ROLES

    cm = match_cohort(
        cohort.table,
        covariates,
        ratio=mc.ratio,
        max_ratio=mc.max_ratio,
        min_treated_share=mc.min_treated_share,
        balance_threshold=mc.balance_threshold,
        random_state=config.report.seed,
        column_roles=COLUMN_ROLES,
        **options,
    )
    cm.index_rule = getattr(cohort, "index_rule", "")
    return cm
