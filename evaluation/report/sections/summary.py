"""The one-page executive summary: what the programme did, whom it reached, what it is estimated to
have achieved (with the uncertainty in words), what it cost, whether it is value for money, and how
far the evidence can carry the renewal decision. Every sentence is built from the analysis results;
a part whose analysis could not run says so."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

from ...config import Config
from ...disclosure import DisclosureLog, DisclosurePolicy
from ...results import (
    Cohort,
    CohortMatch,
    EngagementResult,
    OutcomesResult,
    PhasesResult,
    ProgrammeCosts,
    ReoffendingResult,
    ValueForMoney,
    engaged_quantity,
)
from ..formatting import chance, money, pct
from ..words import verbatim
from .costs import COUNT_OF, cost_per_child_published
from .engagement import funnel_names, rate_published
from .matching import published_balance
from .outcomes import NOUNS, few_events
from .reoffending import measure_published

#: The chance that benefits exceed costs needed before the summary calls the programme good value
#: "with confidence" (a one-sided 95% level, matching the 5% significance used for the effects).
CONFIDENT_VALUE = 0.95


@dataclass(frozen=True)
class Findings:
    """The analysis results the summary and limitations read; None where a stage could not run."""

    config: Config
    engagement: EngagementResult
    cohort: Cohort
    matching: CohortMatch | None
    before_after: OutcomesResult | None
    reoffending: ReoffendingResult | None
    value_for_money: ValueForMoney | None
    unavailable: Mapping[str, str]
    design_notes: tuple[str, ...] = ()  # what the data cannot support in the design (evaluation.cohort.design_checks)
    programme_costs: ProgrammeCosts | None = None  # cost per person: needs no comparison group
    phases: PhasesResult | None = None  # periods with their own team and budget ([[phases]])


def _number_word(n: int) -> str:
    words = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
    return words[n] if 0 <= n < len(words) else f"{n:,}"


def _join(items: list[str], word: str) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {word} " + items[-1]


def _or(items: list[str]) -> str:
    return _join(items, "or")


def _and(items: list[str]) -> str:
    return _join(items, "and")


def pounds_pence(x: float) -> str:
    """£1.05, or −£1.05 for a loss."""
    return money(x, 2)


def _rate(eng: EngagementResult, table: str, measure: str):
    frame = getattr(eng, table)
    row = frame[frame.measure == measure]
    return None if row.empty else row.iloc[0]


def _period(config: Config) -> str:
    p = config.programme
    return f"{p.start:%-d %B %Y} to {p.end:%-d %B %Y}"


def effect_words(rr: float, lo: float, hi: float, noun: str) -> tuple[str, bool]:
    """A ratio of rate ratios in words, and whether it is statistically significant (CI excludes 1)."""
    if not math.isfinite(rr):
        return f"**not estimable**: too few {noun} in a group before or after the arrest", False
    if hi < 1:
        return (
            f"an estimated **{100 * (1 - rr):.0f}% fewer {noun}** than expected without the programme "
            f"(95% CI {100 * (1 - hi):.0f}% to {100 * (1 - lo):.0f}% fewer): statistically significant",
            True,
        )
    if lo > 1:
        return (
            f"an estimated **{100 * (rr - 1):.0f}% more {noun}** than expected without the programme "
            f"(95% CI {100 * (lo - 1):.0f}% to {100 * (hi - 1):.0f}% more): statistically significant",
            True,
        )
    point = f"{100 * (1 - rr):.0f}% fewer" if rr <= 1 else f"{100 * (rr - 1):.0f}% more"
    return (
        f"best estimate {point} {noun}, but the data are consistent with anything from {100 * (1 - lo):.0f}% fewer to "
        f"{100 * (hi - 1):.0f}% more: **not statistically significant**",
        False,
    )


def _programme_paragraph(f: Findings, log: DisclosureLog) -> str:
    p = f.config.programme
    funnel = f.engagement.funnel.set_index("stage_key").children
    names = funnel_names(f.engagement)
    suites = ", ".join(p.suites)
    where = "executive summary"
    text = (
        f"**The programme.** {verbatim(p.name)} works with children aged {p.age_min} to {p.age_max} at {suites} custody "
        f"suite{'s' if len(p.suites) > 1 else ''}. In the period evaluated ({_period(f.config)}), "
        f"{log.pub.words(names['detained'], funnel['detained'], where)} children of that age were detained there; the programme approached "
        f"**{log.pub.words(names['approached'], funnel['approached'], where)}**"
    )
    num, den = {names["approached"]: 1.0}, {names["detained"]: 1.0}
    if funnel["detained"] and log.pub.publishable_rate(num, den, funnel["approached"], funnel["detained"]):
        log.pub.rate(num, den, funnel["approached"] / funnel["detained"], 0, where)
        text += f" ({pct(funnel['approached'] / funnel['detained'])})"
    outside = f.engagement.n_children - int(funnel["approached"])
    if outside > 0:  # "engaged" counts every child in the contact log: say why it is more than those approached
        total = log.pub.words_or_none(engaged_quantity("Total"), f.engagement.n_children, where)
        other = log.pub.words_or_none("engaged_outside_funnel", outside, where)
        if total and other:
            text += (
                f". Counted as *engaged* below are all **{total}** children in its contact log for the period, {other} of them "
                "met other than at such a detention (outside the age range, at another suite, or with no detention recorded)"
            )
    return text + "."


def _engagement_paragraph(f: Findings, log: DisclosureLog) -> str:
    eng = f.engagement
    parts = []
    arranged = _rate(eng, "rates", "intervention_arranged_rate")
    refused = _rate(eng, "rates", "refusal_rate")
    if arranged is not None and rate_published(log, "intervention_arranged_rate"):
        parts.append(
            (
                f"of the {arranged.denominator:,} not referred to services in their own area, "
                if (eng.children.outcome == "out_of_area_referral").any()
                else f"of the {arranged.denominator:,} engaged, "
            )
            + f"**{pct(arranged.rate)} had an "
            f"intervention arranged** (95% CI {pct(arranged.ci_low)} to {pct(arranged.ci_high)})"
        )
    if refused is not None and rate_published(log, "refusal_rate"):
        parts.append(f"{pct(refused.rate)} would not engage")
    timely = _rate(eng, "timeliness", "followup_within_target")
    if timely is not None and timely.denominator and rate_published(log, "followup_within_target"):
        parts.append(
            f"{pct(timely.rate)} of follow-up meetings took place within {f.config.engagement.followup_within_hours} hours of release"
        )
    if not parts:
        return "**Engagement.** The numbers of children are too small to publish engagement rates."
    text = "; ".join(parts)
    return "**Engagement.** " + text[0].upper() + text[1:] + "."


def _impact_lines(f: Findings, log: DisclosureLog) -> tuple[list[str], dict[str, bool]]:
    """Bullet lines on each outcome, and which outcomes showed a statistically significant effect."""
    lines: list[str] = []
    significant: dict[str, bool] = {}
    ba = f.before_after
    if ba is None:
        lines.append(f"- Offending, victimisation and missing episodes: not estimated ({f.unavailable.get('before_after', 'not run')}).")
    else:
        for outcome, (noun, topic) in NOUNS.items():
            if outcome in ba.not_recorded:
                continue
            window = max(ba.results[outcome])
            r = ba.get(outcome, window)
            words, sig = effect_words(r.did["rate_ratio"], r.did["ci_low"], r.did["ci_high"], noun)
            trends_differ = (r.placebo_check or {}).get("verdict") == "differing_trends"
            significant[topic] = sig and r.did["rate_ratio"] < 1 and not trends_differ
            if sig and trends_differ:
                words += ", but the groups' trends already differed before the arrest, so it cannot be relied on"
            elif sig and r.hidden_bias is not None:
                words += f" (E-value {r.hidden_bias.e_value:.1f}: how strong a hidden factor would have to be; see the section)"
            lines.append(f"- **{topic.capitalize()}** in the {window} months after arrest: {words}.")
        if ba.not_recorded:
            left_out = " and ".join(NOUNS[o][1] for o in ba.not_recorded)
            lines.append(f"- {left_out[0].upper() + left_out[1:]}: not in the data extract, so not assessed.")
        off = ba.get("offending", max(ba.results["offending"]))
        if (
            "offending" not in ba.not_recorded
            and off.naive["change"] < 0
            and not few_events(ba, "offending", max(ba.results["offending"]), log)
        ):  # the programme group's own before/after change, as a proportion
            lines.append(
                f"- A simple before/after count would show offending falling by {-100 * off.naive['change']:.0f}%; most of such a "
                "fall also happens to similar children the programme had not approached (regression to the mean)."
            )
    reo = f.reoffending
    if reo is None:
        lines.append(f"- Reoffending: not estimated ({f.unavailable.get('reoffending', 'not run')}).")
    else:
        m = reo.measures["proven"]
        d = m.rate
        if measure_published(reo, "proven", log):
            lo, hi = 100 * d.ci_low, 100 * d.ci_high
            if d.significant:
                word = "fewer" if d.difference < 0 else "more"
                rng = f"between {min(abs(lo), abs(hi)):.0f} and {max(abs(lo), abs(hi)):.0f} {word} per 100 children: statistically significant"
            else:
                rng = (
                    f"per 100 children, anything from {abs(lo):.0f} fewer to {hi:.0f} more proven reoffenders: "
                    "**not statistically significant**"
                )
            significant["proven reoffending"] = d.significant and d.difference < 0
            lines.append(
                f"- **Proven reoffending** within a year of the arrest (MoJ counting rules): {pct(d.treated_value)} of programme "
                f"children against {pct(d.comparison_value)} of matched comparison children; {rng}."
            )
        else:
            lines.append("- Proven reoffending: the numbers of children are too small to publish.")
    return lines, significant


def _phases_paragraph(f: Findings, log: DisclosureLog) -> str | None:
    """Throughput and cost per person for each phase, as the phases table published them (a phase whose count is
    hidden is named without its figures)."""
    ph = f.phases
    if ph is None:
        return None
    from .phases import phase_quantity

    items = []
    for r in ph.table.itertuples():
        q = phase_quantity(r.name, "engaged")
        shown = q in log.pub.values and log.pub.published(q) is not None
        team = "" if math.isnan(r.team_size) else f", {r.team_size:g} staff"
        if shown:
            per = ""
            if not math.isnan(r.cost_per_person_engaged):
                log.pub.ratio(r.cost, {q: 1.0}, r.cost_per_person_engaged, 0, "executive summary")
                per = f", {money(r.cost_per_person_engaged)} per child engaged"
            items.append(f"{verbatim(r.name)}{team}: {r.engaged_per_month:.1f} children engaged a month{per}")
        else:
            items.append(f"{verbatim(r.name)}{team}: figures not published (small numbers)")
    return "**By phase.** " + "; ".join(items) + " (see By phase)."


def _cost_paragraph(f: Findings, log: DisclosureLog) -> str:
    v, c = f.value_for_money, f.programme_costs
    if c is None:
        return f"**Cost and value for money.** Not assessed: {f.unavailable.get('programme_costs', 'not run')}."
    po = c.per_outcome.set_index("measure")
    per = [
        f"**{money(po.loc[m, 'full_economic'])} per {label}**"
        for m, label in (("engaged", "child engaged"), ("intervention_arranged", "intervention arranged"))
        if cost_per_child_published(c, m, log)
    ]
    for m in ("engaged", "intervention_arranged"):
        if cost_per_child_published(c, m, log):
            log.pub.ratio(c.period.full_economic, {COUNT_OF[m]: 1.0}, po.loc[m, "full_economic"], 0, "executive summary")
    text = (
        f"**Cost.** {money(c.period.full_economic)} over the period"
        + (": " + " and ".join(per) if per else " (too few children to publish a cost per child)")
        + "."
    )
    stated = [r for r in c.reconciliation.itertuples() if r.measure == "cost_per_child_engaged"]
    if stated:
        r = stated[0]
        like_for_like = (
            f", counting staff costs only: on that basis, over the same days, it is {money(r.recomputed)}"
            if r.basis == "staff" and cost_per_child_published(c, "engaged", log)
            else ""
        )
        if like_for_like:
            log.pub.ratio(c.period.of("staff"), {COUNT_OF["engaged"]: 1.0}, r.recomputed, 0, "executive summary")
        text += (
            f" (The programme's own figure was {money(r.reported)} per child{like_for_like}; the Value for money section "
            "explains the difference.)"
        )
    if v is None:
        return text + f"\n\n**Value for money.** Not assessed: {f.unavailable.get('value_for_money', 'not run')}."
    lo, hi = v.bcr_interval
    text += (
        f"\n\n**Value for money.** Each £1 spent is estimated to return **{pounds_pence(v.bcr)}** in public value, but the 95% range "
        f"runs from {pounds_pence(lo)} to {pounds_pence(hi)}; the chance that benefits exceed costs is **{chance(v.prob_bcr_above_1)}**."
    )
    return text


def balance_sentence(cm: CohortMatch, policy: DisclosurePolicy | None = None) -> str:
    """What the balance numbers support, and nothing more: alike on the characteristics matched on (if
    every standardised difference is under the threshold), and any 'any event in the year before'
    indicator that still differs. With a disclosure policy, the balance figures are over the rows the
    balance table shows (see sections.matching.published_balance)."""
    r = cm.to_results() if policy is None else cm.to_results() | published_balance(cm, policy)
    n = len(cm.covariates)
    if r["covariates_above_threshold_after"] == 0:
        text = (
            f"The matched groups are alike on the {n} characteristics matched on (largest standardised difference "
            f"{r['max_abs_std_mean_diff_after']:.2f})"
        )
    else:
        text = (
            f"The matched groups still differ on {r['covariates_above_threshold_after']} of the characteristics matched on, which "
            "weakens the comparison"
        )
    extra = cm.indicator_balance([c for c in cm.covariates if c.startswith("prior_")])
    off = extra[extra.std_mean_diff.abs() > cm.threshold]
    if len(off):
        names = [INDICATOR_NAMES.get(c, c) for c in off.covariate]
        joiner = ", but differ in" if r["covariates_above_threshold_after"] == 0 else "; they also differ in"
        text += f"{joiner} the share with {_or(names)} (standardised difference {off.std_mean_diff.abs().max():.2f})"
    return text + "."


INDICATOR_NAMES = {
    "prior_offences_12m": "any recorded offence in the year before",
    "prior_victimisations_12m": "any victimisation in the year before",
    "prior_missing_episodes_12m": "any missing episode in the year before",
    "prior_detentions_12m": "any detention in the year before",
    "prior_offences_13_24m": "any offence 13 to 24 months before",
    "prior_victimisations_13_24m": "any victimisation 13 to 24 months before",
    "prior_missing_episodes_13_24m": "any missing episode 13 to 24 months before",
    "prior_detentions_13_24m": "any detention 13 to 24 months before",
}


#: the largest share of the programme's children the impact analysis may leave out before the rating drops a step
ATTRITION_LIMIT = 0.2
#: the largest minimum detectable difference in proven reoffending (percentage points) before the rating drops a step
MDD_LIMIT = 0.15


def evidence_rating(f: Findings, policy: DisclosurePolicy | None = None) -> dict:
    """A stated rating of the evidence with its reasons: the Maryland Scientific Methods Scale level of the design
    (Sherman et al. 1998, as the Magenta Book uses it), and a rating out of 5 in the style of the Youth Endowment
    Fund's evidence-strength padlocks, built by stated rules from this run's diagnostics (ours, not YEF's own
    rating): the design sets the most it can reach (a matched comparison before and after: 3), and each of sample
    size, attrition, balance and pre-trends that falls short takes one step off, to no less than 1."""
    cm = f.matching
    if cm is None:
        return {
            "sms_level": 1,
            "rating": 0,
            "out_of": 5,
            "criteria": [{"criterion": "Design", "finding": "no comparison group: engagement figures only", "step": "no impact estimate"}],
        }
    r = cm.to_results() if policy is None else cm.to_results() | published_balance(cm, policy)
    criteria = [
        {
            "criterion": "Design",
            "finding": "matched comparison group, before and after the arrest (quasi-experimental)",
            "step": "Maryland level 3: at most 3",
        }
    ]
    down = 0

    def judge(name: str, short: bool, finding: str) -> None:
        nonlocal down
        down += short
        criteria.append({"criterion": name, "finding": finding, "step": "−1" if short else "none"})

    reo = f.reoffending
    mdd = reo.measures["proven"].min_detectable_difference if reo is not None else float("nan")
    if mdd == mdd:
        judge(
            "Sample size",
            mdd > MDD_LIMIT,
            f"{r['n_treated_matched']:,} programme children matched; the smallest fall in proven reoffending the study could "
            f"reliably detect is {100 * mdd:.0f} percentage points (limit {100 * MDD_LIMIT:.0f})",
        )
    else:
        judge("Sample size", r["n_treated_matched"] < 100, f"{r['n_treated_matched']:,} programme children matched (limit 100)")
    engaged = f.engagement.n_children
    left = 1 - r["n_treated_matched"] / engaged if engaged else 0.0
    judge(
        "Attrition",
        left > ATTRITION_LIMIT,
        f"{pct(max(left, 0.0))} of the children engaged are not in the matched comparison (limit {pct(ATTRITION_LIMIT)})",
    )
    judge(
        "Balance",
        r["covariates_above_threshold_after"] > 0,
        f"largest standardised difference after matching {r['max_abs_std_mean_diff_after']:.2f} (limit {cm.threshold:g})",
    )
    ba = f.before_after
    verdicts = [(ba.get(o, max(ba.results[o])).placebo_check or {"verdict": "not_run"})["verdict"] for o in ba.recorded] if ba else []
    if not verdicts or all(v == "not_run" for v in verdicts):
        judge("Pre-trends", True, "no placebo test: the data do not reach far enough back")
    else:
        # the design rests on similar trends before the arrest: a placebo test that cannot confirm them falls short too
        judge(
            "Pre-trends",
            "differing_trends" in verdicts or "inconclusive" in verdicts,
            "the groups' trends differed before the arrest for at least one outcome"
            if "differing_trends" in verdicts
            else "the placebo test cannot confirm similar trends before the arrest for at least one outcome"
            if "inconclusive" in verdicts
            else "the groups' trends were similar before the arrest (placebo tests)",
        )
    return {"sms_level": 3, "rating": max(3 - down, 1), "out_of": 5, "criteria": criteria}


def evidence_rating_sentence(rating: dict) -> str:
    if rating["rating"] == 0:
        return "**Rating: no impact evidence** (no comparison group; Maryland Scientific Methods Scale level 1)."
    return (
        f"**Rating: {rating['rating']} of {rating['out_of']}** (Maryland Scientific Methods Scale level {rating['sms_level']}; "
        "a matched design reaches 3 at most here, see Limitations)."
    )


def evidence_rating_table(rating: dict):
    import pandas as pd

    return pd.DataFrame(
        {
            "Criterion": [c["criterion"] for c in rating["criteria"]],
            "This evaluation": [c["finding"] for c in rating["criteria"]],
            "Effect on the rating": [c["step"] for c in rating["criteria"]],
        }
    )


def evidence_strength(f: Findings, policy: DisclosurePolicy | None = None) -> list[str]:
    """What supports the estimates and what weakens them, from this run's diagnostics."""
    out: list[str] = []
    cm = f.matching
    if cm is None:
        out.append("There is no comparison group, so no estimate of impact: only the engagement figures can be used.")
        return out
    out.append(
        "Design: a matched comparison before and after the arrest (quasi-experimental), each child's group decided at the "
        "arrest; it deals with regression to the mean and recorded differences, not with what records do not show."
    )
    out.append(balance_sentence(cm, policy))
    ba = f.before_after
    if ba is not None:
        verdicts = {NOUNS[o][1]: (ba.get(o, max(ba.results[o])).placebo_check or {"verdict": "not_run"})["verdict"] for o in ba.recorded}
        differ = [k for k, v in verdicts.items() if v == "differing_trends"]
        unsure = [k for k, v in verdicts.items() if v == "inconclusive"]
        if all(v == "not_run" for v in verdicts.values()):
            out.append("The data do not reach far enough back for a placebo test of the groups' earlier trends.")
        else:
            if differ:
                out.append(
                    "Before the arrest, the groups' trends already differed for "
                    + _and(differ)
                    + " (placebo test), so those estimates are not trustworthy."
                )
            if unsure:
                out.append(
                    "For " + _and(unsure) + ", the placebo test cannot confirm similar trends before the arrest, so differing "
                    "trends could explain effects of the size estimated."
                )
            if not differ and not unsure:
                out.append("Before the arrest, the two groups' trends were similar (placebo tests), as the design assumes.")
    reo = f.reoffending
    if reo is not None:
        m = reo.measures["proven"]
        mdd, base = m.min_detectable_difference, m.rate.comparison_value
        if mdd == mdd and base > 0:  # not NaN
            text = (
                f"The study is small: it could reliably detect only a fall in proven reoffending of {100 * mdd:.0f} percentage points "
                f"({100 * mdd / base:.0f}% fewer reoffenders) or more"
            )
            targets = reo.power_targets
            if len(targets):
                lo, hi = 100 * targets.relative_reduction.min(), 100 * targets.relative_reduction.max()
                span = f"{lo:.0f}%" if lo == hi else f"{lo:.0f}% to {hi:.0f}%"
                text += f"; published estimates for diversion are {span} fewer (see Reoffending)"
            out.append(text + ".")
    n_other = len(f.config.report.co_interventions)
    if n_other:
        out.append(
            f"{_number_word(n_other).capitalize()} other scheme{'s' if n_other > 1 else ''} ran in or around the same custody "
            "suite; their effects cannot be separated from the programme's."
        )
    return out


def renewal_can_cannot(f: Findings, significant: Mapping[str, bool], log: DisclosureLog) -> tuple[list[str], list[str]]:
    """What the evidence can and cannot support for the renewal decision."""
    can: list[str] = []
    cannot: list[str] = []
    funnel = f.engagement.funnel.set_index("stage_key").children
    approached = log.pub.words(funnel_names(f.engagement)["approached"], funnel["approached"], "executive summary")
    can.append(
        f"that the programme reaches children at the moment of arrest ({approached} approached in "
        f"{(f.config.programme.end - f.config.programme.start).days + 1} days) and how many go on to an intervention"
    )
    v, pc = f.value_for_money, f.programme_costs
    if pc is not None:
        po = pc.per_outcome.set_index("measure")
        if cost_per_child_published(pc, "engaged", log):
            can.append(
                f"what a child engaged costs when cost and children are counted over the same days "
                f"({money(po.loc['engaged', 'full_economic'])})"
            )
    found = [k for k, s in significant.items() if s]
    if found:
        ba = f.before_after
        unsure = [
            NOUNS[o][1]
            for o in (ba.recorded if ba is not None else [])
            if ba is not None
            and NOUNS[o][1] in found
            and (ba.get(o, max(ba.results[o])).placebo_check or {}).get("verdict") == "inconclusive"
        ]
        can.append(
            "a reduction in "
            + _and(found)
            + " against the matched comparison group"
            + (" (for " + _and(unsure) + ", if earlier trends were similar: the placebo test cannot confirm it)" if unsure else "")
        )
    not_found = [k for k, s in significant.items() if not s]
    if not_found:
        cannot.append(
            "a claim that the programme reduced " + _or(not_found) + ": the estimates are too uncertain either way "
            "(which is not evidence of no effect)"
        )
    if v is not None:
        if v.prob_bcr_above_1 >= CONFIDENT_VALUE and v.bcr_interval[0] > 1:
            can.append(f"that benefits are likely to exceed costs (chance {chance(v.prob_bcr_above_1)})")
        else:
            cannot.append(f"a confident claim of value for money: the chance that benefits exceed costs is {chance(v.prob_bcr_above_1)}")
    if pc is not None and pc.renewal and (pc.renewal["below_run_rate"] or pc.renewal["below_staff_run_rate"]):
        cannot.append(
            f"the renewal budget at today's staffing: {money(pc.renewal['budget'])} for {pc.renewal['months']} months is below "
            f"the current staff run-rate of {money(pc.renewal['staff_run_rate'])}"
        )
    if f.matching is None:
        cannot.append("any claim about impact: there is no comparison group")
    cannot.append("claims about effects beyond the follow-up observed, or about children the programme did not reach")
    return can, cannot


def executive_summary(f: Findings, log: DisclosureLog) -> str:
    """Markdown for the one-page summary."""
    from .decision import decision_reading

    impact, significant = _impact_lines(f, log)
    strength = evidence_strength(f, log.policy)
    can, cannot = renewal_can_cannot(f, significant, log)
    parts = [
        "## Summary",
        _programme_paragraph(f, log) + " " + _engagement_paragraph(f, log),
        "**Impact**, compared with similar children the programme had not approached when arrested:",
        "\n".join(impact),
        _cost_paragraph(f, log),
        *([p] if (p := _phases_paragraph(f, log)) else []),
        "**How strong is the evidence?** " + evidence_rating_sentence(evidence_rating(f, log.policy)) + " " + " ".join(strength),
        "**For the renewal decision**, this evidence can support:\n\n" + "\n".join(f"- {x};" for x in can)[:-1] + ".",
        "It cannot support:\n\n" + "\n".join(f"- {x};" for x in cannot)[:-1] + ".",
        "**What the numbers support.** " + decision_reading(f, log) + " (The options and conditions: *What this means for the decision*.)",
    ]
    return "\n\n".join(parts)


def summary_results(f: Findings, log: DisclosureLog) -> dict:
    """The summary's judgements for results.json: which effects were significant, what the evidence can
    and cannot support, and which analyses could not run (and why)."""
    _, significant = _impact_lines(f, log)
    can, cannot = renewal_can_cannot(f, significant, log)
    return {
        "evidence_strength": evidence_rating(f, log.policy),
        "significant_reduction": dict(significant),
        "can_support": can,
        "cannot_support": cannot,
        "not_run": dict(sorted(f.unavailable.items())),
    }


__all__ = [
    "Findings",
    "executive_summary",
    "summary_results",
    "effect_words",
    "evidence_strength",
    "evidence_rating",
    "evidence_rating_table",
    "renewal_can_cannot",
    "CONFIDENT_VALUE",
]
