"""The spell design's report: cases, offending before, during and after a spell at liberty, cost of crime per
case-year, and plainly what a design without a comparison group cannot show. Counts of people pass the same
publication model as every other report; a period with 1 to threshold - 1 offences publishes no rate (as the
before/after section's few-events rule), and neither does any change resting on it."""

from __future__ import annotations

import math

import pandas as pd

from ... import disclosure as sdc
from ...config import Config
from ...disclosure import DisclosureLog
from ...results import SPELL_PERIODS, SpellsResult
from ..formatting import count, money
from ..words import verbatim

LABELS = {"before": "Before the spell", "during": "During the spell", "after": "After the spell"}


def cases_quantity(period: str) -> str:
    return f"spells[{period}]:cases"


def withheld(s: SpellsResult, log: DisclosureLog) -> bool:
    """Estimates about fewer than `threshold` people describe individuals: the section is not published."""
    return log.policy.small(s.n_people)


def period_published(s: SpellsResult, period: str, log: DisclosureLog) -> bool:
    """A period's rate and cost are published when it holds enough cases and its offences are not 1 to threshold - 1."""
    r = s.summary.set_index("period").loc[period]
    return not (log.policy.small(int(r.cases)) or log.policy.small(int(r.offences)) or int(r.cases) == 0)


def flow_table(s: SpellsResult, log: DisclosureLog) -> pd.DataFrame:
    """Spells started and ended by quarter, with totals; small counts suppressed with their complements."""
    f = s.flow.set_index("quarter")[["started", "ended"]].astype(float)
    f.loc["All quarters"] = f.sum()
    shown = sdc.apply(f, sdc.table_lines(f, total_row="All quarters"), log, "spells_flow", quantity=lambda r, c: f"spells[{c}|{r}]")
    return pd.DataFrame({"Quarter": shown.index, "Spells started": shown.started.to_numpy(), "Spells ended": shown.ended.to_numpy()})


def spells_table(s: SpellsResult, log: DisclosureLog) -> pd.DataFrame:
    rows = []
    for r in s.summary.itertuples():
        ok = period_published(s, r.period, log)
        cases_small = log.policy.small(int(r.cases))
        log.pub.count(cases_quantity(r.period), int(r.cases), "spells_periods", r.period, "cases", "primary" if cases_small else "shown")
        if not ok:
            log.add("spells_periods", r.period, "rate", "rests on a small number of people or offences")
        rows.append(
            {
                "Period": LABELS[r.period],
                "Cases": sdc.SYMBOL if cases_small else count(r.cases),
                "Years at liberty": f"{r.case_years_at_liberty:,.1f}" if ok else sdc.SYMBOL,
                "Offences": count(r.offences) if ok else sdc.SYMBOL,
                "Offences per case-year (95% CI)": (
                    f"{r.rate:.2f} ({r.ci_low:.2f} to {r.ci_high:.2f})" if math.isfinite(r.ci_low) else f"{r.rate:.2f}"
                )
                if ok
                else sdc.SYMBOL,
                "Cost of crime per case-year": (money(r.cost_per_case_year) if math.isfinite(r.cost_per_case_year) else "–")
                if ok
                else sdc.SYMBOL,
            }
        )
    return pd.DataFrame(rows)


def changes_table(s: SpellsResult, log: DisclosureLog) -> pd.DataFrame:
    rows = []
    for r in s.changes.itertuples():
        period = r.comparison.split()[0]
        ok = period_published(s, period, log) and period_published(s, "before", log)
        rows.append(
            {
                "Comparison": r.comparison.capitalize(),
                "Rate ratio (95% CI)": f"{r.rate_ratio:.2f} ({r.ci_low:.2f} to {r.ci_high:.2f})" if ok else sdc.SYMBOL,
                "Change": f"{100 * (r.rate_ratio - 1):+.0f}%".replace("-", "−") if ok else sdc.SYMBOL,
                "p": (f"{r.p_value:.3f}" if r.p_value >= 0.001 else "<0.001") if ok else sdc.SYMBOL,
            }
        )
    return pd.DataFrame(rows, columns=["Comparison", "Rate ratio (95% CI)", "Change", "p"])


def spells_headline(s: SpellsResult, config: Config, log: DisclosureLog) -> str:
    """The summary: who, how many, what the numbers say and, in the same breath, what they cannot."""
    if withheld(s, log):
        return (
            f"Fewer than {log.policy.threshold} people had a spell on the programme, and figures about so few people would "
            "describe individuals, so none are published."
        )
    w = s.window_months
    before, after = (s.summary.set_index("period").loc[p] for p in ("before", "after"))
    parts = [
        f"**Cases.** {count(s.n_people)} people had {count(s.n_spells)} spells on {verbatim(config.programme.name)} "
        f"between {config.programme.start:%-d %B %Y} and {config.programme.end:%-d %B %Y}; {count(s.ongoing)} were still open at the "
        "extract date."
        if not log.policy.small(s.ongoing)
        else f"**Cases.** {count(s.n_people)} people had {count(s.n_spells)} spells on {verbatim(config.programme.name)}.",
    ]
    if period_published(s, "before", log) and period_published(s, "after", log):
        change = s.changes.set_index("comparison").rate_ratio.get("after against before", math.nan)
        parts.append(
            f"**Offending.** In the {w} months before their spell, people committed {before.rate:.1f} recorded offences per year at "
            f"liberty; in the {w} months after it, {after.rate:.1f} ({100 * (change - 1):+.0f}%).".replace("(-", "(−")
            + (
                f" Valued at the unit cost of each offence's group (Appendix C), that is {money(before.cost_per_case_year)} and "
                f"{money(after.cost_per_case_year)} of crime a case-year: the cost of the cohort's offending, not harm the "
                "programme prevented."
                if math.isfinite(before.cost_per_case_year) and math.isfinite(after.cost_per_case_year)
                else ""
            )
        )
    else:
        parts.append("**Offending.** The offences before or after the spells are too few to publish rates.")
    parts.append(
        "**What this can and cannot show.** There is no comparison group. People are chosen for the programme when their "
        "offending is at a peak, and offending falls back after a peak whether or not anything is done (regression to the "
        "mean), so a fall after the spell is not evidence that the programme reduced offending, and its size is not the "
        "programme's effect. These figures describe the cohort's offending; they can support how many people the programme "
        "managed and what their offending cost, not a claim of impact. A comparison with similar people not adopted onto "
        "the programme at a similar peak would be needed for that."
    )
    if s.programme_cost is not None and s.cases_in_period and not log.policy.small(s.cases_in_period):
        parts.append(
            f"**Cost of the programme.** Its cost lines come to {money(s.programme_cost)} over the period, "
            f"{money(s.programme_cost / s.cases_in_period)} for each of the {count(s.cases_in_period)} spells open in it. Set "
            "against the cost of crime above, this is not a return on the money: without a comparison group, no part of the "
            "change in offending can be credited to the programme."
        )
    return "\n\n".join(parts)


def spells_results(s: SpellsResult, log: DisclosureLog) -> dict:
    """results.json's `spells`: each period's figures where published."""
    out = s.to_results()
    if withheld(s, log):
        return {"withheld": True, "window_months": s.window_months}
    for period in SPELL_PERIODS:
        entry = out[period]
        if log.policy.small(entry["cases"]):
            entry["cases"] = None
        if not period_published(s, period, log):
            for key in (
                "case_years_at_liberty",
                "offences",
                "offences_per_case_year_at_liberty",
                "offences_per_case_year_ci",
                "cost_of_crime_per_case_year",
            ):
                entry[key] = None
    for comparison, entry in out["changes"].items():
        if not (period_published(s, comparison.split()[0], log) and period_published(s, "before", log)):
            out["changes"][comparison] = {"rate_ratio": None, "ci": [None, None], "p_value": None}
    if log.policy.small(s.cases_in_period):
        out["cases_in_period"] = out["cost_per_case"] = None
    return out


def spells_method_notes(s: SpellsResult) -> str:
    return "\n".join(
        f"- {n}"
        for n in [
            f"Before: the {s.window_months} months before the spell started; during: the spell itself (to the extract date while "
            f"open); after: the {s.window_months} months after it ended, cut at the extract date. Windows before the first day "
            "of recorded events are shortened.",
            "Years at liberty: days in each window minus days in custody (custody_spells); offences per case-year = offences / "
            "years at liberty over the cases with any time at liberty in the window.",
            "95% intervals and rate ratios: Poisson models with a log-exposure offset and errors clustered on the person.",
            "Cost of crime: each offence valued at the unit cost of its offence group (Appendix), summed and divided by the years "
            "at liberty. It is the cost of the offences recorded, not of the programme.",
            *s.notes,
        ]
    )


__all__ = [
    "changes_table",
    "flow_table",
    "period_published",
    "spells_headline",
    "spells_method_notes",
    "spells_results",
    "spells_table",
]
