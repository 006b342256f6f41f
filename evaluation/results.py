"""What the report layer may read from the analysis: the `Evaluation`, each stage's result type, and the
names those results use (outcome codes, groups, the names of counts in the publication model).

`evaluation.report` imports from the analysis side only through this module (tests/test_layers.py checks
it), so a stage's internals can change without the report noticing, and the report cannot compute.
"""

from __future__ import annotations

from .censoring import ApproachModel
from .cohort import BOTH, COMPARISON, PROGRAMME, Cohort
from .costs import AGENCY_LABELS, RECONCILIATION_DENOMINATOR, ProgrammeCosts, ValueForMoney
from .engagement import OUTCOMES as ENGAGEMENT_OUTCOMES
from .engagement import RATE_TERMS, EngagementResult, Note, rate_expressions
from .engagement import quantity as engaged_quantity
from .estimate import Estimate
from .matching import CohortMatch, MatchResult
from .outcomes import DID_MATCHINGS, SPECIFICATION_LABELS, BeforeAfter, OutcomesResult
from .outcomes import OUTCOMES as EVENT_OUTCOMES
from .phases import PhaseEffects, PhasesResult
from .pipeline import EXPECTED_FAILURES, Evaluation, evaluate
from .reoffending import MONTH_DAYS, Difference, Measure, ReoffendingResult
from .spells import PERIODS as SPELL_PERIODS
from .spells import SpellsResult

__all__ = [
    "BOTH",
    "COMPARISON",
    "DID_MATCHINGS",
    "MONTH_DAYS",
    "ENGAGEMENT_OUTCOMES",
    "EVENT_OUTCOMES",
    "EXPECTED_FAILURES",
    "PROGRAMME",
    "RATE_TERMS",
    "RECONCILIATION_DENOMINATOR",
    "AGENCY_LABELS",
    "SPECIFICATION_LABELS",
    "SPELL_PERIODS",
    "ApproachModel",
    "BeforeAfter",
    "Cohort",
    "CohortMatch",
    "Difference",
    "EngagementResult",
    "Estimate",
    "Evaluation",
    "MatchResult",
    "Measure",
    "Note",
    "OutcomesResult",
    "PhaseEffects",
    "PhasesResult",
    "ProgrammeCosts",
    "ReoffendingResult",
    "SpellsResult",
    "ValueForMoney",
    "engaged_quantity",
    "evaluate",
    "rate_expressions",
]
