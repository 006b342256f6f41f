"""The programme by phase: people engaged, interventions arranged, cost and throughput for each phase in the
config, with the same disclosure control as every other count (a phase that covers whole months is the sum of
those months' counts, and the phases together are the whole period's, so the model is told both)."""

from __future__ import annotations

import math

import pandas as pd

from ... import disclosure as sdc
from ...disclosure import DisclosureLog
from ...results import EVENT_OUTCOMES, EngagementResult, PhaseEffects, PhasesResult
from ...results import engaged_quantity as quantity
from ..formatting import money
from ..words import verbatim

ALL_PHASES = "All phases"
#: column -> (engagement breakdown row that counts it, or None for every person engaged)
_COUNTS = {"engaged": None, "intervention_arranged": "intervention_arranged"}


def phase_quantity(name: str, column: str) -> str:
    """The name of a phase's count in the publication model."""
    return f"phase[{name}]:{column}"


def _register_relations(ph: PhasesResult, eng: EngagementResult, log: DisclosureLog) -> None:
    """What a reader can add up: a phase covering whole months is the sum of those months' counts."""
    for r in ph.table.itertuples():
        months = ph.months_of(r.name, eng.months)
        if months is None:
            continue
        for column, outcome in _COUNTS.items():
            parts = {quantity(m) if outcome is None else quantity(m, "outcome", outcome): 1.0 for m in months}
            log.pub.derived(phase_quantity(r.name, column), parts, "phases")


def phases_published(ph: PhasesResult, eng: EngagementResult, log: DisclosureLog) -> pd.DataFrame:
    """The phase counts as published ('c' where hidden), indexed by phase (and 'All phases' when the phases cover
    the programme period, as the engagement tables' totals). Call once; the table and results.json read it."""
    _register_relations(ph, eng, log)
    values = ph.table.set_index("name")[list(_COUNTS)].astype(float)
    lines: list[list[tuple[str, str]]] = []
    if ph.covers_programme:
        values.loc[ALL_PHASES] = [
            eng.n_children if outcome is None else float(eng.tables["outcome"].loc[outcome, "Total"]) for outcome in _COUNTS.values()
        ]
        lines = [[(r, c) for r in values.index] for c in values.columns]

    def name(r, c) -> str:
        if r == ALL_PHASES:
            outcome = _COUNTS[c]
            return quantity("Total") if outcome is None else quantity("Total", "outcome", outcome)
        return phase_quantity(r, c)

    return sdc.apply(values, lines, log, "phases", quantity=name)


def phases_table(ph: PhasesResult, shown: pd.DataFrame, log: DisclosureLog) -> pd.DataFrame:
    """Phase, dates, team, budget, people engaged, interventions arranged, cost, cost per person engaged and people
    engaged per month (per member of staff): a figure made from a hidden count is hidden with it. `shown`:
    phases_published."""
    rows = []
    for r in ph.table.itertuples():
        n_shown = shown.at[r.name, "engaged"] != sdc.SYMBOL
        per_person = "–"
        if not math.isnan(r.cost_per_person_engaged):
            if n_shown:
                log.pub.ratio(r.cost, {phase_quantity(r.name, "engaged"): 1.0}, r.cost_per_person_engaged, 0, "phases")
                per_person = money(r.cost_per_person_engaged)
            else:
                per_person = sdc.SYMBOL
        rows.append(
            {
                "Phase": r.name,
                "Dates": _dates(r.start, r.end),
                "Team (FTE)": "–" if math.isnan(r.team_size) else f"{r.team_size:g}",
                "Budget": "–" if math.isnan(r.budget) else money(r.budget),
                "Cost in the phase": "–" if math.isnan(r.cost) else money(r.cost),
                "People engaged": shown.at[r.name, "engaged"],
                "Interventions arranged": shown.at[r.name, "intervention_arranged"],
                "Cost per person engaged": per_person,
                "Engaged a month (per FTE)": (
                    f"{r.engaged_per_month:.1f}"
                    + ("" if math.isnan(r.engaged_per_month_per_fte) else f" ({r.engaged_per_month_per_fte:.1f})")
                )
                if n_shown
                else sdc.SYMBOL,
            }
        )
    return pd.DataFrame(rows)


def _dates(start: pd.Timestamp, end: pd.Timestamp) -> str:
    """A phase's dates (the programme's, not any person's): months when it runs whole months, else days."""
    if start.day == 1 and end.is_month_end:
        return f"{start:%b %Y} to {end:%b %Y}"
    return f"{start:%-d %b %Y} to {end:%-d %b %Y}"


def phases_results(ph: PhasesResult, log: DisclosureLog) -> list[dict]:
    """results.json's `phases`: each count read from the publication model (after phases_published), a figure
    made from it only where it is shown."""
    out = []
    for item in ph.to_results():
        n = log.pub.published(phase_quantity(item["name"], "engaged"))
        item["people_engaged"] = n
        item["intervention_arranged"] = log.pub.published(phase_quantity(item["name"], "intervention_arranged"))
        if n is None:
            item["cost_per_person_reached"] = item["engaged_per_month"] = None
        out.append(item)
    return out


def phases_text(ph: PhasesResult) -> str:
    """What the phases are and what the table can and cannot say."""
    lines = [
        "Each person is counted once, in the phase of their first contact in the period. Costs are the cost lines "
        "apportioned by day to each phase."
    ]
    described = [f"- **{verbatim(p.name)}**: {verbatim(p.description)}" for p in ph.phases if p.description]
    if described:
        lines.append("\n".join(described))
    lines += ph.notes
    return "\n\n".join(lines)


def phase_effect_published(r, log: DisclosureLog) -> bool:
    """A phase's effect is shown when it is estimable on at least `min_rate_base` programme children with at least
    the threshold number of events in each group and period (the whole cohort's rule for its rates)."""
    return bool(math.isfinite(r.rate_ratio) and r.programme_children >= log.policy.min_rate_base and not log.policy.small(r.fewest_events))


def phase_effects_table(pe: PhaseEffects, log: DisclosureLog) -> pd.DataFrame:
    """Each phase's ratio of rate ratios with its interval, or why it is not shown."""
    rows = []
    for r in pe.table.itertuples():
        shown = phase_effect_published(r, log)
        if not shown:
            log.add("phase_effects", f"{r.phase}: {r.outcome}", "ratio of rate ratios", "too few children or events in the phase")
        rows.append(
            {
                "Phase": verbatim(r.phase),
                "Outcome": EVENT_OUTCOMES[r.outcome][1],
                f"Ratio of rate ratios, {pe.window} months (95% CI)": f"{r.rate_ratio:.2f} ({r.ci_low:.2f} to {r.ci_high:.2f})"
                + (" †" if r.trends_differ else "")
                if shown
                else "too few to estimate",
                "p": f"{r.p_value:.3f}" if shown else "–",
            }
        )
    return pd.DataFrame(rows)


def phase_effects_results(pe: PhaseEffects, log: DisclosureLog) -> dict[str, dict]:
    """results.json's phases[i].effects, with what is not shown left out (None)."""
    out = pe.to_results()
    for r in pe.table.itertuples():
        if not phase_effect_published(r, log):
            out[r.phase][r.outcome] = {
                "window_months": pe.window,
                "rate_ratio": None,
                "ci": None,
                "p_value": None,
                "trends_differed_before": bool(r.trends_differ),
            }
    return out


def phase_effects_text(pe: PhaseEffects) -> str:
    text = (
        "The same before/after comparison on each phase's programme children and their own matched comparison children "
        "(the same matching, each phase's matched sets kept). Each phase rests on fewer children than the whole, so its "
        "interval is wider; the phases' estimates are not tested against each other, and overlapping intervals are not "
        "evidence that the phases did equally well. With several phases and outcomes, one statistically significant "
        "result can arise by chance."
    )
    if pe.table.trends_differ.any():
        text += (
            " † The groups' trends already differed before the index event for this outcome (the whole cohort's placebo "
            "test), so its estimates cannot be relied on, in any phase."
        )
    return text


__all__ = [
    "phase_quantity",
    "phases_published",
    "phases_table",
    "phases_results",
    "phases_text",
    "phase_effects_table",
    "phase_effects_results",
    "phase_effects_text",
]
