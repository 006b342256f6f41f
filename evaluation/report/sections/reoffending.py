"""Reoffending section, in the Justice Data Lab's manner: per-100 tables, sentences a commissioner can
read, what the analysis can and cannot support, power and national context."""

from __future__ import annotations

import math

import pandas as pd

from ... import disclosure as sdc
from ...disclosure import DisclosureLog
from ...results import MONTH_DAYS, Difference, ReoffendingResult
from ..formatting import pct, signed

VERBS = {
    "proven": "were proven to have reoffended within a year of the arrest",
    "proven_including_diversion": "had a reoffence within a year of the arrest proven or resolved out of court (including community "
    "resolutions and Outcome 22)",
    "proven_excluding_diversion": "were proven to have reoffended within a year of the arrest (without community resolutions and Outcome 22)",
    "proven_from_disposal": "were proven to have reoffended within a year of their first caution or conviction",
}


def _verb(key: str) -> str:
    if key.startswith("rearrest_"):
        return f"were arrested again within {key.split('_')[1][:-1]} months"
    return VERBS[key]


def _p(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"{p:.2f}"


def jdl_sentence(key: str, d: Difference) -> str:
    """The JDL's wording for a difference in rates, per 100 children (CI rounded to whole children)."""
    lo, hi = 100 * d.ci_low, 100 * d.ci_high
    verb = _verb(key)
    if hi < 0:
        return (
            f"For every 100 children in the programme group, between {abs(hi):.0f} and {abs(lo):.0f} fewer {verb} than would "
            "have done without the programme. This is a statistically significant result."
        )
    if lo > 0:
        return (
            f"For every 100 children in the programme group, between {lo:.0f} and {hi:.0f} more {verb} than would have done "
            "without the programme. This is a statistically significant result."
        )
    return (
        f"For every 100 children in the programme group, the number who {verb} could be lower by as many as {abs(lo):.0f} or "
        f"higher by as many as {hi:.0f} than without the programme. This is not a statistically significant result: more "
        "children would be needed to tell whether the programme changes this."
    )


def rates_allowed(d: Difference, log: DisclosureLog) -> bool:
    """Both groups' rates stand for enough children (implied counts) to publish, and so their difference."""
    return log.rate_allowed(round(d.treated_value * d.n_treated), d.n_treated) and log.rate_allowed(
        round(d.comparison_value * d.n_comparison), d.n_comparison
    )


#: Measures counting the same children with and without out-of-court outcomes: the second contains the first,
#: so their difference is a group of children (those whose only proven reoffences were resolved out of court).
NESTED = (("proven", "proven_including_diversion"), ("proven_excluding_diversion", "proven"))


#: results.json fields of a reoffending measure that are design counts (published even when its rates are not).
DESIGN_FIELDS = (
    "label",
    "definition",
    "n_treated",
    "n_comparison",
    "comparison_ess",
    "excluded_incomplete_follow_up",
    "excluded_matched_partner_left_out",
    "excluded_no_proven_disposal",
    "comparison_approached_later",
)


def survival_published(res: ReoffendingResult, key: str, log: DisclosureLog) -> bool:
    """Kaplan-Meier curves and the hazard ratio of `key` are shown only when both groups have enough events
    and the measure's rates are published (the share event-free at the end restates the rate)."""
    sv = res.measures[key].survival
    return (
        sv is not None
        and not (log.policy.small(sv.events["programme"]) or log.policy.small(sv.events["comparison"]))
        and measure_published(res, key, log)
    )


def published_curve(res: ReoffendingResult, key: str, group: str, policy: sdc.DisclosurePolicy) -> pd.DataFrame:
    """The Kaplan-Meier curve of one group as published: months since the index (whole numbers) and the
    share without the event. Drawn at every event, a curve's step heights and times give the number of
    children with an event on each day (often 1). So, as OpenSAFELY's published Kaplan-Meier curves do,
    the curve is read at month ends and only at those where at least the threshold number of events have
    happened since the last point drawn; a last stretch with fewer joins the step before it. The last
    month end is the end of follow-up (a 12-month window is 365 or 366 days; both groups end at the same
    month). With disclosure control off (internal QA) the curve is drawn at every event."""
    sv = res.measures[key].survival
    c = sv.curves[sv.curves.group == group].sort_values("time")
    if not policy.enabled:
        return pd.DataFrame({"months": c.time / MONTH_DAYS, "survival": c.survival})
    end = int(sv.at_risk.month.max())
    bounds = [m * MONTH_DAYS for m in range(1, end)] + [math.inf]
    points, pending, prev = [0], 0, -math.inf
    for m, b in enumerate(bounds, start=1):
        pending += int(c.events[(c.time > prev) & (c.time <= b)].sum())
        prev = b
        if pending >= policy.threshold:
            points.append(m)
            pending = 0
    if pending and len(points) > 1:
        points[-1] = end  # the last stretch's few events join the step before
    elif points[-1] != end and pending == 0:
        points.append(end)  # the curve runs to the end of follow-up (flat after the last step)

    def s_at(m: int) -> float:
        before = c[c.time <= (math.inf if m == end else m * MONTH_DAYS) + 1e-9]
        return float(before.survival.iloc[-1]) if len(before) else 1.0

    return pd.DataFrame({"months": points, "survival": [1.0 if m == 0 else s_at(m) for m in points]})


def risk_table_months(res: ReoffendingResult, key: str, policy: sdc.DisclosurePolicy) -> list[int]:
    """The months a risk table shows: months where both groups' published curves are read (so a number at
    risk never splits a step of the curve, which would reveal the few events on each side of it), at least
    a quarter of the follow-up apart so the numbers can be read, always with the start and the end; every
    third month with disclosure control off."""
    curves = [published_curve(res, key, g, policy).months for g in ("programme", "comparison")]
    end = int(res.measures[key].survival.at_risk.month.max())
    if not policy.enabled:
        return sorted({*range(0, end + 1, 3), end})
    common = sorted(set(int(m) for m in curves[0]) & set(int(m) for m in curves[1]) | {0, end})
    spacing = max(1, math.ceil(end / 4))
    picked = [0]
    for m in common:
        if m - picked[-1] >= spacing and end - m >= 0.75 * spacing:
            picked.append(m)
    return picked + [end]


def numbers_at_risk(res: ReoffendingResult, key: str, log: DisclosureLog) -> dict[str, pd.DataFrame]:
    """The numbers at risk under a published Kaplan-Meier curve, per group: at the months of
    `risk_table_months`, the children still followed and event-free, as text ("c" when hidden). Two numbers
    at risk differ by the children who had the event or whose follow-up ended between them (censored:
    incomplete follow-up, or a comparison child approached later). A number is shown only when, since the
    last one shown, both of those are 0 or at least the threshold, and the intruder audit agrees (each is
    registered with the publication model, and so is each difference); the first is the group's size, a
    design count."""
    pub, policy = log.pub, log.policy
    ar = res.measures[key].survival.at_risk
    months = risk_table_months(res, key, policy)
    out: dict[str, pd.DataFrame] = {}
    for group in ("programme", "comparison"):
        g = ar[ar.group == group].set_index("month")
        texts: list[str] = []
        last: int | None = None
        for m in months:
            n = int(g.at_risk[m])
            q = f"survival[{key}][{group}]:at_risk[{m}]"
            if last is None:
                pub.count(q, n, "reoffending_km", group, m, "shown")  # everyone followed: the group's size
                texts.append(f"{n:,}")
                last = m
                continue
            left = int(g.at_risk[last]) - n
            events = int(g.events[(g.index > last) & (g.index <= m)].sum())
            gap = f"survival[{key}][{group}]:left[{last}-{m}]"
            pub.derived(gap, {f"survival[{key}][{group}]:at_risk[{last}]": 1.0, q: -1.0}, "reoffending_km")
            pub.count(gap, left, "reoffending_km", group, f"{last}-{m}", "implicit")
            if policy.small(left) or policy.small(left - events) or policy.small(n):
                pub.count(q, n, "reoffending_km", group, m, "primary" if policy.small(n) else "secondary")
                log.add("reoffending_km", group, m, "number at risk: a small number of children since the last one shown")
                texts.append(sdc.SYMBOL)
            elif pub.count_if_safe(q, n, "reoffending_km", group, m, "secondary"):
                texts.append(f"{n:,}")
                last = m
            else:
                log.add("reoffending_km", group, m, "number at risk would expose a hidden count")
                texts.append(sdc.SYMBOL)
        out[group] = pd.DataFrame({"months": months, "at_risk": texts})
    return out


def measure_published(res: ReoffendingResult, key: str, log: DisclosureLog) -> bool:
    """Whether measure `key`'s group rates are published, decided once for every output (tables, sentences,
    results.json). A programme rate on n children, given to the per cent, reveals its count of reoffenders, so
    each is registered in the publication model; and of two nested measures whose counts differ by a small
    number, the second is not published (their difference would be a small group of children)."""
    pub = log.pub
    if "reoffending" in pub.decisions:
        return pub.decisions["reoffending"].get(key, False)
    decided: dict[str, bool] = {}
    counts: dict[str, int] = {}
    for k, m in res.measures.items():
        decided[k] = rates_allowed(m.rate, log)
        implied = m.rate.treated_value * m.rate.n_treated
        if math.isfinite(implied) and abs(implied - round(implied)) < 1e-6:  # unweighted programme group: an exact count
            counts[k] = int(round(implied))
    for inner, outer in NESTED:
        if inner in counts and outer in counts and res.measures[inner].rate.n_treated == res.measures[outer].rate.n_treated:
            gap = counts[outer] - counts[inner]
            gap_name = f"reoffending[{outer}-{inner}]:programme_reoffenders"
            pub.derived(
                gap_name,
                {f"reoffending[{outer}]:programme_reoffenders": 1.0, f"reoffending[{inner}]:programme_reoffenders": -1.0},
                "reoffending_per_100",
            )
            pub.count(
                gap_name,
                gap,
                "reoffending_per_100",
                res.measures[outer].label,
                "difference from the measure before",
                "implicit",
            )
            if log.policy.small(gap) and decided[inner] and decided[outer]:
                decided[outer] = False
                log.add(
                    "reoffending_per_100",
                    res.measures[outer].label,
                    "all",
                    "differs from a measure it contains by a small number of children",
                )
    for k, n_reoffenders in counts.items():
        m = res.measures[k]
        n_name, k_name = f"reoffending[{k}]:programme_children", f"reoffending[{k}]:programme_reoffenders"
        pub.count(n_name, m.rate.n_treated, "reoffending_per_100", m.label, "children (programme)", "shown")  # a design count
        status = "shown" if decided[k] else "primary" if log.policy.small(n_reoffenders) else "secondary"
        pub.count(k_name, n_reoffenders, "reoffending_per_100", m.label, "programme", status)
        if decided[k]:
            pub.rate({k_name: 1.0}, {n_name: 1.0}, m.rate.treated_value, 0, "reoffending_per_100")
    pub.decisions["reoffending"] = decided
    return decided.get(key, False)


def headline_keys(res: ReoffendingResult) -> list[str]:
    """The main proven measure and the longest re-arrest window estimated."""
    rearrest = sorted((int(k.split("_")[1][:-1]), k) for k in res.measures if k.startswith("rearrest_"))
    return ["proven"] + ([rearrest[-1][1]] if rearrest else [])


def reoffending_headline(res: ReoffendingResult, log: DisclosureLog) -> str:
    lines = []
    for key in headline_keys(res):
        m = res.measures[key]
        if not measure_published(res, key, log):
            lines.append(f"**{m.label}.** Not shown: the numbers of children are too small to publish.")
            continue
        text = (
            f"**{m.label}.** {pct(m.rate.treated_value)} of programme children {_verb(key)}, against {pct(m.rate.comparison_value)} "
            f"of matched comparison children. {jdl_sentence(key, m.rate)}"
        )
        if m.rate.significant and m.hidden_bias is not None and m.hidden_bias.e_value == m.hidden_bias.e_value:
            text += " " + m.hidden_bias.words("this difference")
        lines.append(text)
    return "\n\n".join(lines)


def per_hundred_table(res: ReoffendingResult, log: DisclosureLog) -> pd.DataFrame:
    """JDL's 'for 100 typical children' table: group values per 100, the difference with its CI."""
    rows = []

    def row(
        label: str, d: Difference, scale: float = 100.0, dp: int = 0, children: bool = False, hidden: str = "–", published: bool = True
    ):
        if children and not published:
            log.add("reoffending_per_100", label, "all", "rate standing for a small number of children")
            rows.append(
                {
                    "Measure": label,
                    "Programme": sdc.SYMBOL,
                    "Matched comparison": sdc.SYMBOL,
                    "Difference (95% CI)": sdc.SYMBOL,
                    "p": sdc.SYMBOL,
                    "Significant?": sdc.SYMBOL,
                    "E-value (estimate / CI)": sdc.SYMBOL,
                    "Children (programme / comparison)": f"{d.n_treated} / {d.n_comparison}",
                }
            )
            return
        rows.append(
            {
                "Measure": label,
                "Programme": f"{scale * d.treated_value:.{dp}f}",
                "Matched comparison": f"{scale * d.comparison_value:.{dp}f}",
                "Difference (95% CI)": f"{signed(scale * d.difference, dp)} ({signed(scale * d.ci_low, dp)} to {signed(scale * d.ci_high, dp)})",
                "p": _p(d.p_value),
                "Significant?": "yes" if d.significant else "no",
                "E-value (estimate / CI)": hidden,
                "Children (programme / comparison)": f"{d.n_treated} / {d.n_comparison}",
            }
        )

    for key, m in res.measures.items():
        hb = m.hidden_bias
        hidden = (
            f"{hb.e_value:.2f} / {hb.e_value_ci:.2f}"
            if hb is not None and math.isfinite(hb.e_value) and math.isfinite(hb.e_value_ci)
            else "–"
        )
        published = measure_published(res, key, log)
        row(f"{m.label}: children per 100", m.rate, children=True, hidden=hidden, published=published)
        if m.frequency is not None:  # reoffences of a group too small for its rate would tell of its children as much
            row(f"{m.label}: reoffences per 100 children", m.frequency, children=True, published=published)
    return pd.DataFrame(rows)


def reoffender_measures_table(res: ReoffendingResult, log: DisclosureLog) -> pd.DataFrame:
    rows = []
    for key, m in res.measures.items():
        if m.frequency is None:
            continue
        if m.per_reoffender is None:
            # the number of reoffenders restates the measure's rate: named only where that rate is published
            note = (
                f"not shown: {log.count_text(m.reoffenders['programme'])} programme reoffenders, fewer than {m.min_reoffenders}"
                if measure_published(res, key, log)
                else f"not shown: fewer than {m.min_reoffenders} programme reoffenders"
            )
            rows.append({"Measure": m.label, "Reoffences per reoffender": note, "Days to first reoffence (reoffenders)": note})
        else:
            assert m.days_to_first is not None  # computed together with per_reoffender
            rows.append(
                {
                    "Measure": m.label,
                    "Reoffences per reoffender": f"{m.per_reoffender['programme']:.2f} vs {m.per_reoffender['comparison']:.2f}",
                    "Days to first reoffence (reoffenders)": f"{m.days_to_first['programme']:.0f} vs {m.days_to_first['comparison']:.0f}",
                }
            )
    return pd.DataFrame(rows)


def survival_table(res: ReoffendingResult, log: DisclosureLog) -> pd.DataFrame:
    rows = []
    for key, m in res.measures.items():
        sv = m.survival
        if not survival_published(res, key, log):
            log.add(
                "reoffending_survival", m.label, "events", "small number of children with the event, or the measure's rates not published"
            )
            rows.append(
                {
                    "Outcome": m.label,
                    "Event-free at the end (programme / comparison)": sdc.SYMBOL,
                    "Hazard ratio (95% CI)": sdc.SYMBOL,
                    "p (Cox / log-rank)": sdc.SYMBOL,
                    "Events (programme / comparison)": sdc.SYMBOL,
                }
            )
            continue
        rows.append(
            {
                "Outcome": m.label,
                "Event-free at the end (programme / comparison)": f"{pct(sv.at_end['programme'])} / {pct(sv.at_end['comparison'])}",
                "Hazard ratio (95% CI)": f"{sv.hazard_ratio:.2f} ({sv.hr_ci_low:.2f} to {sv.hr_ci_high:.2f})"
                if math.isfinite(sv.hazard_ratio)
                else "not estimable (no event in one group)",
                "p (Cox / log-rank)": f"{_p(sv.hr_p_value) if math.isfinite(sv.hr_p_value) else '–'} / {_p(sv.logrank_p)}",
                "Events (programme / comparison)": _events_text(m, log),
            }
        )
    return pd.DataFrame(rows)


def _events_text(m, log: DisclosureLog) -> str:
    """The survival analysis counts events among every child, censored or not; the rate counts them among
    children with complete follow-up. Their difference is the number of programme children with
    incomplete follow-up who had the event, so the counts are shown only when it is not small."""
    sv, r = m.survival, m.rate
    implied = r.treated_value * r.n_treated
    exact = math.isfinite(implied) and abs(implied - round(implied)) < 1e-6
    if exact and log.policy.small(sv.events["programme"] - int(round(implied))):
        log.add("reoffending_survival", m.label, "events", "differs by a small number from the count behind the rate")
        return sdc.SYMBOL
    return f"{sv.events['programme']} / {sv.events['comparison']}"


def exclusions_text(res: ReoffendingResult, log: DisclosureLog) -> str:
    """Who each measure leaves out and why, with numbers that add up to the table's (design counts,
    published exactly: see evaluation.disclosure)."""
    m = res.measures["proven"]
    p = m.excluded_incomplete
    lines = [
        f"**Definitions.** The main measure is **{m.definition}**: an offence committed in the {res.follow_up_months} months after "
        f"the arrest that brought the child into the analysis, proven by a caution or conviction within that year or a further "
        f"{res.waiting_months} months. It follows the Ministry of Justice's counting rules but starts at the arrest, not at a "
        "caution, conviction or release as the official measure does."
    ]
    if "proven_from_disposal" in res.measures:
        d = res.measures["proven_from_disposal"]
        nd = d.excluded_no_disposal or {"programme": 0, "comparison": 0}
        gone = {g: d.excluded_incomplete[g] + d.excluded_partner()[g] for g in ("programme", "comparison")}
        lines.append(
            f"The Justice Data Lab's way, **{d.definition}**, starts the year at the first caution or conviction for an offence "
            f"committed by the time of the arrest: {nd['programme']:,} programme and {nd['comparison']:,} comparison children had "
            f"none and are left out, and {gone['programme']:,} and {gone['comparison']:,} more had not been followed for long "
            f"enough from it or lost every child they were matched with, leaving {d.rate.n_treated:,} and {d.rate.n_comparison:,}."
        )
    elif "proven_from_disposal" in res.unavailable:
        lines.append(
            f"The Justice Data Lab's way (from the first caution or conviction) could not be estimated: "
            f"{res.unavailable['proven_from_disposal']}."
        )
    partner = m.excluded_partner()
    if p["programme"] or p["comparison"] or partner["programme"] or partner["comparison"]:
        matched = m.matched or {"programme": 0, "comparison": 0}
        text = (
            f"Of the {matched['programme']:,} programme and {matched['comparison']:,} comparison children matched, "
            f"{p['programme']:,} and {p['comparison']:,} are left out of the one-year proven measures because their follow-up plus "
            f"the waiting period had not ended by the extract date ({res.extract_date:%-d %B %Y})"
        )
        if partner["programme"] or partner["comparison"]:
            text += (
                f", and {partner['programme']:,} and {partner['comparison']:,} more because every child they were matched with was left out"
            )
        lines.append(text + f", leaving {m.rate.n_treated:,} and {m.rate.n_comparison:,}.")
    if m.approached_later:
        lines.append(
            f"{log.count_text(m.approached_later).capitalize()} of those comparison children were approached by the programme "
            "during their follow-up: "
            "their follow-up stops at that approach and is weighted back as the methods appendix describes."
        )
    lines.append(
        f"In the time-to-reoffence analysis every child stays in, and one rule applies to all: an offence counts only if it was "
        f"proven within {res.waiting_months} months of being committed, and follow-up ends {res.follow_up_months} months after "
        f"the arrest or {res.waiting_months} months before the extract date, whichever comes first."
    )
    return "\n\n".join(lines)


def reoffending_results(res: ReoffendingResult, log: DisclosureLog) -> dict:
    """results.json's reoffending section with the same disclosure control as the tables."""
    out = res.to_results()
    if not measure_published(res, "proven", log):  # the power targets' baseline is the hidden comparison rate
        out["power_targets"] = [{**t, "baseline_rate": None, "needed_per_group": None} for t in out.get("power_targets", [])]
    for key, m in res.measures.items():
        r = out[key]
        if not measure_published(res, key, log):
            # only the design counts stay: every rate, ratio, frequency, E-value and detectable difference rests on
            # the hidden rates (a risk ratio or a detectable difference beside them gives them back)
            for f in list(r):
                if f not in DESIGN_FIELDS:
                    r[f] = None
        elif not survival_published(res, key, log):
            for f in ("hazard_ratio", "hazard_ratio_ci", "hazard_ratio_p_value", "logrank_p_value"):
                r[f] = None
        if log.policy.small(m.reoffenders["programme"]) or not measure_published(res, key, log):
            r["treated_reoffenders"] = None
        if log.policy.small(r.get("comparison_approached_later")):
            r["comparison_approached_later"] = None
            log.add("results_reoffending", f"{key} comparison_approached_later", "count", "small number of children")
    return out


def can_and_cannot_say(res: ReoffendingResult, log: DisclosureLog | None = None) -> str:
    d = res.measures["proven"].rate
    lo, hi = 100 * d.ci_low, 100 * d.ci_high
    if log is not None and not measure_published(res, "proven", log):
        can = (
            "Nothing about proven reoffending: too few children had complete follow-up for their rates to be published, and "
            "an estimate about so few children could not tell an effect from chance."
        )
    elif d.significant:
        word = "decreases" if d.difference < 0 else "increases"
        can = (
            f"This analysis provides evidence that, for every 100 children approached, the programme {word} the number proven to "
            f"reoffend within a year by between {min(abs(lo), abs(hi)):.0f} and {max(abs(lo), abs(hi)):.0f}."
        )
    else:
        can = (
            "The result is not statistically significant, so it is not evidence that the programme changes reoffending either "
            f"way: for every 100 children approached, it is compatible with anything from {abs(lo):.0f} fewer to {abs(hi):.0f} more "
            "children proven to reoffend within a year."
        )
    cannot = (
        "This analysis does not show that the programme increases, decreases or has no effect on its children's reoffending: "
        "the comparison group matches on what police records show, not on everything that differs between children, and "
        "children diverted without a caution or conviction are invisible to the proven-reoffending measure."
    )
    return f"> **What you can say.** {can}\n>\n> **What you cannot say.** {cannot}"


def power_statement(res: ReoffendingResult, log: DisclosureLog | None = None) -> str:
    m = res.measures["proven"]
    mdd = m.min_detectable_difference
    base = m.rate.comparison_value
    if log is not None and not measure_published(res, "proven", log):
        return (
            "The proven reoffending rates are not published (too few children), so neither is the smallest difference this "
            "evaluation could detect; with so few children it could detect only very large differences."
        )
    if math.isnan(mdd):
        head = "The sample is too small to compute a minimum detectable difference."
    else:
        head = (
            f"With {m.rate.n_treated} programme children and the equivalent of {m.comparison_ess:.0f} comparison children "
            f"(effective sample size), the smallest difference in the proven reoffending rate this evaluation could reliably "
            f"detect (80% power, 5% significance) is **{100 * mdd:.1f} percentage points** from a comparison rate of {pct(base)}: "
            f"a fall to {pct(base - mdd)}, or {100 * mdd / base:.0f}% fewer reoffenders."
        )
    items = [
        f"- Detecting a {100 * t.relative_reduction:.0f}% reduction from {pct(t.baseline)} (estimate for {t.applies_to}) would need "
        f"about **{int(t.needed_per_group):,} children per group**."
        for t in res.power_targets.itertuples()
        if not pd.isna(t.needed_per_group)
    ]
    sources = sorted({f"{t.citation}, <{t.url}>" for t in res.power_targets.itertuples()})
    tail = (
        [
            "",
            "So a result that is not statistically significant here is not evidence that the programme has no effect.",
            "",
            "*Sources: " + "; ".join(sources) + ".*",
        ]
        if sources
        else []
    )
    return "\n".join([head, "", *items, *tail])


def benchmark_statement(res: ReoffendingResult, log: DisclosureLog | None = None) -> str:
    if res.benchmark is None or (log is not None and not measure_published(res, "proven", log)):
        return ""
    b = res.benchmark
    m = res.measures["proven"]
    return (
        f"For context only: the national proven reoffending rate for {b.applies_to} was {pct(b.value, 1)} ({b.period}; {b.citation}; "
        f"{b.status} source). The programme group's rate was {pct(m.rate.treated_value, 1)}. **This is not a like-for-like "
        "comparison**: the national cohort is children cautioned, convicted or released from custody, followed from that disposal, "
        "while this cohort is every child approached at arrest, many of whom were never charged."
    )


def km_alt(res: ReoffendingResult, keys: list[str], at_risk: dict | None = None) -> str:
    parts = []
    for k in keys:
        s = res.measures[k].survival
        parts.append(
            f"{res.measures[k].label}: event-free at the end of follow-up {pct(s.at_end['programme'])} of programme and "
            f"{pct(s.at_end['comparison'])} of matched comparison children"
            + (f", hazard ratio {s.hazard_ratio:.2f}" if math.isfinite(s.hazard_ratio) else "")
        )
        if at_risk and k in at_risk:
            parts[-1] += "; numbers at risk " + ", ".join(
                f"{group} " + ", ".join(f"{t} at {m} months" for m, t in zip(f.months, f.at_risk)) for group, f in at_risk[k].items()
            )
    return "Kaplan-Meier curves of the share of children without the event over the follow-up, by group. " + "; ".join(parts) + "."


__all__ = [
    "headline_keys",
    "rates_allowed",
    "measure_published",
    "exclusions_text",
    "reoffending_results",
    "jdl_sentence",
    "reoffending_headline",
    "per_hundred_table",
    "reoffender_measures_table",
    "survival_table",
    "can_and_cannot_say",
    "power_statement",
    "survival_published",
    "published_curve",
    "numbers_at_risk",
    "risk_table_months",
    "benchmark_statement",
    "km_alt",
]
