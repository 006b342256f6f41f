"""The programme by phase (`[[phases]]` in the config): periods with their own team and budget, e.g. a first
year and a renewal with a smaller team. For each phase: the people first engaged in it (each counted once, in
the phase of their first contact in the programme period), how far they got, what the phase cost (cost lines
apportioned by day, as for the whole period), the cost per person engaged, and throughput per month and per
member of staff. Effects by phase are not estimated: the matched comparison rests on the whole cohort.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .config import PhaseConfig
from .costs import DAYS_PER_MONTH, apportion
from .engagement import EngagementResult, wilson_interval
from .estimate import Estimate


@dataclass
class PhasesResult:
    """One row per phase (`table`) and the phases' configuration; record-free (counts and money only)."""

    phases: tuple[PhaseConfig, ...]
    table: pd.DataFrame  # name, start, end, days, team_size, budget, engaged, positively_engaged, intervention_arranged, cost, cost_to_funder, cost_per_person_engaged, engaged_per_month, engaged_per_month_per_fte
    covers_programme: bool  # the phases together cover every day of the programme period
    programme_start: pd.Timestamp
    programme_end: pd.Timestamp
    notes: list[str] = field(default_factory=list)

    @property
    def latest(self) -> pd.Series:
        return self.table.iloc[-1]

    def months_of(self, name: str, months: list[str]) -> list[str] | None:
        """The programme's months (YYYY-MM, as the engagement tables count them) a phase covers exactly, or None
        when it starts or ends inside a month other than at the programme's own start or end (then its counts are
        not sums of monthly counts)."""
        ph = next(p for p in self.phases if p.name == name)
        start, end = pd.Timestamp(ph.start), pd.Timestamp(ph.end)
        starts_clean = start.day == 1 or start == self.programme_start
        ends_clean = end.is_month_end or end == self.programme_end
        if not (starts_clean and ends_clean):
            return None
        return [m for m in months if start.strftime("%Y-%m") <= m <= end.strftime("%Y-%m")]

    def estimates(self) -> list[Estimate]:
        """The share of people engaged in each phase whose intervention was arranged (Wilson 95% interval)."""
        out = []
        for r in self.table.itertuples():
            lo, hi = wilson_interval(int(r.intervention_arranged), int(r.engaged))
            out.append(
                Estimate(
                    "phases",
                    f"Intervention arranged, {r.name}",
                    "proportion",
                    r.intervention_arranged / r.engaged if r.engaged else math.nan,
                    lo,
                    hi,
                    None,
                    int(r.engaged),
                    None,
                    "share of people first engaged in the phase, Wilson score interval",
                )
            )
        return out

    def to_results(self) -> list[dict[str, Any]]:
        """results.json's `phases` (before disclosure control)."""
        out = []
        for r in self.table.itertuples():
            out.append(
                {
                    "name": r.name,
                    "start": r.start.date().isoformat(),
                    "end": r.end.date().isoformat(),
                    "days": int(r.days),
                    "team_size": None if pd.isna(r.team_size) else float(r.team_size),
                    "budget": None if pd.isna(r.budget) else float(r.budget),
                    "people_engaged": int(r.engaged),
                    "intervention_arranged": int(r.intervention_arranged),
                    "cost": None if pd.isna(r.cost) else round(float(r.cost), 2),
                    "cost_per_person_reached": None if pd.isna(r.cost_per_person_engaged) else round(float(r.cost_per_person_engaged), 2),
                    "engaged_per_month": round(float(r.engaged_per_month), 3),
                }
            )
        return out


def analyse_phases(data, eng: EngagementResult) -> PhasesResult | None:
    """Engagement, cost and throughput for each configured phase; None when the config names no phases."""
    phases = data.config.phases
    if not phases:
        return None
    kids = eng.children
    rows = []
    for ph in phases:
        start, end = pd.Timestamp(ph.start), pd.Timestamp(ph.end)
        sel = eng.first_engaged_between(start, end)
        outcome = kids.outcome[sel]
        engaged = int(sel.sum())
        cost = to_funder = math.nan
        if data.costs is not None:
            lines = apportion(data.costs, ph.start, ph.end)
            cost = float(lines.amount_in_period.sum())
            to_funder = float(lines[lines.category != "in_kind"].amount_in_period.sum())
        months = ph.days / DAYS_PER_MONTH
        rows.append(
            {
                "name": ph.name,
                "start": start,
                "end": end,
                "days": ph.days,
                "team_size": ph.team_size if ph.team_size is not None else math.nan,
                "budget": ph.budget if ph.budget is not None else math.nan,
                "engaged": engaged,
                "positively_engaged": int(outcome.isin(["intervention_arranged", "awaiting_intervention"]).sum()),
                "intervention_arranged": int((outcome == "intervention_arranged").sum()),
                "cost": cost,
                "cost_to_funder": to_funder,
                "cost_per_person_engaged": cost / engaged if engaged and not math.isnan(cost) else math.nan,
                "engaged_per_month": engaged / months,
                "engaged_per_month_per_fte": engaged / months / ph.team_size if ph.team_size else math.nan,
            }
        )
    table = pd.DataFrame(rows)
    cfg = data.config.programme
    covered = sum(ph.days for ph in phases)
    covers = covered == (cfg.end - cfg.start).days + 1
    notes = []
    if not covers:
        notes.append(
            f"The phases cover {covered} of the programme period's {(cfg.end - cfg.start).days + 1} days; people first engaged "
            "outside them are in no phase."
        )
    return PhasesResult(tuple(phases), table, covers, pd.Timestamp(cfg.start), pd.Timestamp(cfg.end), notes)


__all__ = ["PhasesResult", "analyse_phases"]
