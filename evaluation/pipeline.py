"""The whole analysis, once: load & validate → cohort → match → outcomes → reoffending → costs.

`evaluate(data)` returns an `Evaluation` holding each stage's result object. Stages run on first
use and once only; a stage the data cannot support is None, with the reason in `unavailable` (an
input table not supplied, an earlier stage that could not run, or a data-driven failure such as
nothing to match). Anything else is a bug and is raised. The report layer reads an `Evaluation`
and never computes; this module never imports the report layer.

    >>> import evaluation
    >>> ev = evaluation.evaluate(evaluation.load("path/to/extracts"))
    >>> ev.summary()                                   # every estimate, one tidy table
    >>> ev.before_after.estimates() if ev.before_after else ev.unavailable["before_after"]
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, Callable, Iterable, Mapping

import numpy as np
import pandas as pd

from . import progress
from .censoring import ApproachModel, fit_approach_model
from .cohort import Cohort, build_cohort, design_checks
from .config import Config
from .costs import CostError, ProgrammeCosts, ValueForMoney, analyse_programme_costs
from .costs import analyse as analyse_costs
from .engagement import EngagementResult
from .engagement import analyse as analyse_engagement
from .estimate import Estimate, estimates_frame
from .loading import EvaluationData
from .matching import CohortMatch, MatchingError, match_comparison
from .outcomes import OutcomesResult, compare_before_after
from .phases import PhaseEffects, PhasesResult, analyse_phase_effects, analyse_phases
from .reoffending import ReoffendingError, ReoffendingResult
from .reoffending import analyse as analyse_reoffending
from .spells import SpellsError, SpellsResult, analyse_spells

#: Failures that mean "these data cannot support this analysis" (reported), not bugs (raised).
EXPECTED_FAILURES: tuple[type[BaseException], ...] = (MatchingError, CostError, ReoffendingError, SpellsError, np.linalg.LinAlgError)


#: what the command line prints while a stage runs (progress.stage)
STAGE_LABELS = {
    "matching": "matching",
    "before_after": "before and after: counting events in each window and the estimates",
    "reoffending": "reoffending and re-arrest",
    "value_for_money": "value for money (Monte Carlo)",
}


class Evaluation:
    """Every stage's result for one dataset and config, computed on first use and kept."""

    def __init__(self, data: EvaluationData):
        self.data = data
        self.config: Config = data.config
        #: stage name -> why it is not available (a sentence fragment for the reader)
        self.unavailable: dict[str, str] = {}

    def _stage(self, name: str, compute: Callable[[], Any], needs: Iterable[str] = (), tables: Mapping[str, str] | None = None) -> Any:
        for table, holds in (tables or {}).items():
            if not self.data.supplied(table):
                self.unavailable[name] = f"it needs the {table} table ({holds}), which was not supplied"
                return None
        for need in needs:
            if getattr(self, need) is None:
                self.unavailable[name] = self.unavailable.get(need, f"needs {need.replace('_', ' ')}, which could not be computed")
                return None
        try:
            with progress.stage(STAGE_LABELS.get(name, name.replace("_", " "))):
                return compute()
        except EXPECTED_FAILURES as exc:
            self.unavailable[name] = f"the analysis could not be run on these data: {exc}"
            return None

    @cached_property
    def engagement(self) -> EngagementResult:
        with progress.stage("engagement"):
            return analyse_engagement(self.data)

    @cached_property
    def cohort(self) -> Cohort:
        with progress.stage("cohort: index events, comparison pool and covariates"):
            return build_cohort(self.data)

    @cached_property
    def design_checks(self) -> tuple:
        return tuple(design_checks(self.data, self.cohort))

    @cached_property
    def matching(self) -> CohortMatch | None:
        """The matched comparison group, or None (with the reason) when there is nothing to match."""
        c = self.cohort
        if c.n_programme == 0 or c.n_comparison == 0:
            missing = "programme children" if c.n_programme == 0 else "comparison children"
            hint = (
                "the config names no comparison suites or pre-period in [comparison]"
                if missing == "comparison children" and not (self.config.comparison.suites or self.config.comparison.pre_period_start)
                else "the attrition table shows where every child went"
            )
            self.unavailable["matching"] = f"the cohort has no {missing}: {hint}"
            return None
        return self._stage("matching", lambda: match_comparison(c, self.config))

    @cached_property
    def matching_engaged_only(self) -> CohortMatch | None:
        """Secondary view, prone to selection bias: positively engaged programme children only."""
        c = self.cohort.engaged_only()
        if c.n_programme == 0 or c.n_comparison == 0:
            self.unavailable["matching_engaged_only"] = "no positively engaged programme children or no comparison children"
            return None
        return self._stage("matching_engaged_only", lambda: match_comparison(c, self.config), needs=("matching",))

    @cached_property
    def approach_model(self) -> ApproachModel:
        """P(approach) at each detention where a comparison child could have been approached (censoring weights)."""
        return fit_approach_model(self.data)

    @cached_property
    def before_after(self) -> OutcomesResult | None:
        def compute() -> OutcomesResult:
            assert self.matching is not None  # _stage computes this only when its needs are met
            return compare_before_after(self.data, self.cohort, self.matching, self.approach_model)

        return self._stage(
            "before_after",
            compute,
            needs=("matching",),
            tables={"events": "offences, victimisations and missing episodes"},
        )

    @cached_property
    def reoffending(self) -> ReoffendingResult | None:
        def compute() -> ReoffendingResult:
            assert self.matching is not None  # _stage computes this only when its needs are met
            return analyse_reoffending(self.data, self.matching, self.approach_model)

        return self._stage(
            "reoffending",
            compute,
            needs=("matching",),
            tables={"events": "offences and their outcomes"},
        )

    @cached_property
    def phase_effects(self) -> PhaseEffects | None:
        """The before/after effect on each phase's programme children and their own matched comparisons; None without
        phases or without the before/after comparison."""
        if self.phases is None or self.before_after is None:
            return None
        return analyse_phase_effects(self.phases, self.before_after, self.config.costs.window_months)

    @cached_property
    def phases(self) -> PhasesResult | None:
        """Engagement, cost and throughput by phase ([[phases]] in the config); None when it names none."""
        if not self.config.phases:
            return None  # an option not chosen, not an analysis that could not run
        return analyse_phases(self.data, self.engagement)

    @cached_property
    def programme_costs(self) -> ProgrammeCosts | None:
        """Cost over the period and per person reached: the budget and the engagement analysis, no comparison."""
        return self._stage(
            "programme_costs",
            lambda: analyse_programme_costs(self.data, self.engagement),
            tables={"costs": "the programme's budget lines"},
        )

    @cached_property
    def value_for_money(self) -> ValueForMoney | None:
        def compute() -> ValueForMoney:
            assert self.before_after is not None  # _stage computes this only when its needs are met
            return analyse_costs(self.data, self.engagement, self.before_after, self.programme_costs, self.reoffending)

        return self._stage(
            "value_for_money",
            compute,
            needs=("programme_costs", "before_after"),
            tables={"costs": "the programme's budget lines"},
        )

    @cached_property
    def spells(self) -> SpellsResult | None:
        """The spell design: offending before, during and after a spell on the programme, at liberty."""
        return self._stage(
            "spells",
            lambda: analyse_spells(self.data),
            tables={"spells": "the programme's spells", "events": "offences"},
        )

    def run_all(self) -> "Evaluation":
        """Compute every stage the design uses now (the report then only reads)."""
        if self.config.programme.design == "spells":
            self.spells
            return self
        for name in (
            "engagement",
            "cohort",
            "design_checks",
            "matching",
            "matching_engaged_only",
            "before_after",
            "reoffending",
            "programme_costs",
            "phases",
            "value_for_money",
        ):
            getattr(self, name)
        return self

    def estimates(self) -> list[Estimate]:
        """Every stage's estimates in the shared shape (evaluation.estimate), stages that ran only."""
        if self.config.programme.design == "spells":
            return self.spells.estimates() if self.spells is not None else []
        out = list(self.engagement.estimates())
        for stage in (self.phases, self.before_after, self.reoffending, self.value_for_money):
            if stage is not None:
                out += stage.estimates()
        return out

    def summary(self) -> pd.DataFrame:
        """One tidy table of every estimate: stage, measure, scale, estimate, 95% CI, p, n per group, method,
        notes. The analysis's own numbers, before disclosure control (never publish this table as it is)."""
        return estimates_frame(self.estimates())

    def why_not(self, name: str) -> str:
        """Why stage `name` is not available, as a clause for the reader."""
        return self.unavailable.get(name, "it was not run")


def evaluate(data: EvaluationData, run: bool = True) -> Evaluation:
    """Run every stage of the evaluation on validated data (`evaluation.load`) and return the results."""
    ev = Evaluation(data)
    return ev.run_all() if run else ev


__all__ = ["EXPECTED_FAILURES", "Evaluation", "evaluate"]
