"""One shape for every estimate a stage makes (lifelines-style tidy summaries): what is estimated, on which
scale, the estimate with its 95% interval and p-value, the numbers in each group, the method, and notes.

Each stage result has `estimates() -> list[Estimate]`; `estimates_frame` makes the tidy table, and
`Evaluation.summary()` stacks every stage's. These are the analysis's own numbers, before disclosure
control: the report publishes them only through the publication model.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Iterable

import pandas as pd


@dataclass(frozen=True)
class Estimate:
    """One estimate. `n_programme` / `n_comparison`: the children (or units) each group contributes (None where
    there is no comparison, or where the figure is not about children); `p_value` None where no test is made."""

    stage: str
    measure: str
    scale: str
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float | None
    n_programme: float | None
    n_comparison: float | None
    method: str
    notes: tuple[str, ...] = ()

    @property
    def significant(self) -> bool | None:
        """Whether the 95% interval excludes the null (1 on a ratio scale, 0 on a difference scale); None where
        the scale has no null (a proportion, a cost)."""
        null = {"ratio": 1.0, "difference": 0.0}.get(self.scale.split()[0])
        if null is None or math.isnan(self.ci_low) or math.isnan(self.ci_high):
            return None
        return self.ci_low > null or self.ci_high < null


COLUMNS = [
    "stage",
    "measure",
    "scale",
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "n_programme",
    "n_comparison",
    "method",
    "notes",
]


def estimates_frame(estimates: Iterable[Estimate]) -> pd.DataFrame:
    """The tidy table: one row per estimate, the same columns for every stage."""
    rows = [asdict(e) | {"notes": "; ".join(e.notes)} for e in estimates]
    return pd.DataFrame(rows, columns=COLUMNS)


__all__ = ["COLUMNS", "Estimate", "estimates_frame"]
