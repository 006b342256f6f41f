"""The programme by phase (`[[phases]]` in the config): periods with their own team and budget, e.g. a first
year and a renewal with a smaller team. For each phase: the people first engaged in it (each counted once, in
the phase of their first contact in the programme period), how far they got, what the phase cost (cost lines
apportioned by day, as for the whole period), the cost per person engaged, and throughput per month and per
member of staff. And, where the before/after comparison ran, its effect estimated on each phase's programme
children and their own matched comparisons (`phase_effects`): the same matching, each phase's matched sets
kept (weights recomputed), so the phases' estimates are comparable; each rests on fewer children than the
whole, and no test of a difference between phases is made.
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


@dataclass
class PhaseEffects:
    """The before/after effect (ratio of rate ratios) for each phase and recorded outcome, at one window."""

    window: int
    table: (
        pd.DataFrame
    )  # phase, outcome, programme_children, rate_ratio, ci_low, ci_high, p_value, fewest_events, not_estimable, trends_differ

    def to_results(self) -> dict[str, dict[str, Any]]:
        """results.json's phases[i].effects (before disclosure control)."""
        out: dict[str, dict[str, Any]] = {}
        for r in self.table.itertuples():
            ok = math.isfinite(r.rate_ratio)
            out.setdefault(r.phase, {})[r.outcome] = {
                "window_months": self.window,
                "rate_ratio": round(float(r.rate_ratio), 6) if ok else None,
                "ci": [round(float(r.ci_low), 6), round(float(r.ci_high), 6)] if ok else None,
                "p_value": round(float(r.p_value), 6) if ok else None,
                "trends_differed_before": bool(r.trends_differ),
            }
        return out


def analyse_phase_effects(phases: PhasesResult, before_after, window: int | None = None) -> PhaseEffects | None:
    """Each phase's programme children (by their index date) with their own matched comparisons: the DiD for every
    recorded outcome at the longest window (or `window`)."""
    from .outcomes import did_for_treated

    sample = before_after.sample
    if sample is None:
        return None
    window = window or max(next(iter(before_after.results.values())))
    rows = []
    for ph in phases.phases:
        start, end = pd.Timestamp(ph.start), pd.Timestamp(ph.end)
        treated = sample[(sample.treated == 1) & (sample.index_date >= start) & (sample.index_date <= end)]
        if treated.empty:
            continue
        for outcome, d in did_for_treated(before_after, set(treated.unit_id), window).items():
            rows.append(
                {
                    "phase": ph.name,
                    "outcome": outcome,
                    "programme_children": d["programme_children"],
                    "rate_ratio": d["rate_ratio"],
                    "ci_low": d["ci_low"],
                    "ci_high": d["ci_high"],
                    "p_value": d.get("p_value", math.nan),
                    "fewest_events": min(d["events"].values()),
                    "not_estimable": d.get("not_estimable", ""),
                    # the whole cohort's placebo test: where trends already differed, no phase's estimate can be relied on
                    "trends_differ": (before_after.get(outcome, window).placebo_check or {}).get("verdict") == "differing_trends",
                }
            )
    return PhaseEffects(window, pd.DataFrame(rows)) if rows else None


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


__all__ = ["PhaseEffects", "PhasesResult", "analyse_phase_effects", "analyse_phases"]
