"""Before/after section: rates by group and period, the naive change beside the matched estimate,
and regression to the mean explained in plain words."""

from __future__ import annotations

import math

import pandas as pd

from ... import disclosure as sdc
from ...disclosure import DisclosureLog
from ...results import DID_MATCHINGS, SPECIFICATION_LABELS, BeforeAfter, OutcomesResult
from ...results import EVENT_OUTCOMES as OUTCOMES
from ..formatting import count, pct, signed
from .matching import published_balance

NOUNS = {
    "offending": ("offences", "offending"),
    "victimisation": ("victimisations", "victimisation"),
    "missing_episodes": ("missing episodes", "missing episodes"),
}


def _ratio_text(rr: float, lo: float, hi: float) -> str:
    if not math.isfinite(rr):
        return "not estimable (too few events)"
    return f"{rr:.2f} ({lo:.2f} to {hi:.2f})"


def _change(rr: float) -> str:
    """Rate ratio as a signed percentage change: 0.75 -> '−25%'."""
    if not math.isfinite(rr):
        return "not estimable"
    c = 100 * (rr - 1)
    return f"{'+' if c > 0 else '−' if c < 0 else ''}{abs(c):.0f}%"


def _p(p: float) -> str:
    if not math.isfinite(p):
        return "–"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def _p_is(p: float) -> str:
    """'p < 0.001' or 'p = 0.123' for a sentence."""
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def few_events(res: OutcomesResult, outcome: str, window: int, log: DisclosureLog) -> set[tuple[str, str]]:
    """The (group, period) cells of a window whose rates are not published: all four when any cell's events number 1 to
    threshold - 1 (as few children had any; with the ratio of rate ratios published, three rates would give back the
    fourth), with the any-event difference. One rule for the tables, the headline, the chart and results.json."""
    ba = res.results[outcome][window]
    cells = {(r.group, r.period) for r in ba.summary.itertuples()}
    if any(log.policy.small(round(r.mean_count * r.children, 6)) for r in ba.summary.itertuples()):
        return cells  # all four: with the ratio of rate ratios published, three rates would give back the fourth
    return set()


def before_after_table(res: OutcomesResult, outcome: str, log: DisclosureLog) -> pd.DataFrame:
    rows = []
    for window, ba in sorted(res.results[outcome].items()):
        few = few_events(res, outcome, window, log)
        for r in ba.summary.itertuples():
            k = round(r.share_any * r.children)
            hide_all = (r.group, r.period) in few
            share = pct(r.share_any) if log.rate_allowed(k, r.children) and not hide_all else sdc.SYMBOL
            if share == sdc.SYMBOL:
                log.add(
                    f"before_after_{outcome}",
                    f"{window}m {r.group} {r.period}",
                    "With any",
                    "share standing for a small number of children",
                )
            rows.append(
                {
                    "Window": f"{window} months",
                    "Group": "Programme" if r.group == "programme" else "Matched comparison",
                    "Period": r.period.capitalize(),
                    "Children": count(r.children),
                    "Mean count": sdc.SYMBOL if hide_all else f"{r.mean_count:.2f}",
                    "Rate per child-year (95% CI)": sdc.SYMBOL
                    if hide_all
                    else f"{r.rate:.2f} ({r.rate_ci_low:.2f} to {r.rate_ci_high:.2f})",
                    "With any": share,
                }
            )
    return pd.DataFrame(rows)


PLACEBO_WORDS = {
    "parallel_supported": "supports similar trends",
    "inconclusive": "cannot rule out different trends",
    "differing_trends": "trends differed",
    "not_run": "not run",
}


def estimates_table(res: OutcomesResult, outcome: str, log: DisclosureLog | None = None) -> pd.DataFrame:
    """Measures as rows, windows as columns: the naive change, the matched estimate and its checks, and
    the same estimate under the other specifications."""
    columns: dict[str, list[str]] = {}
    labels = [
        "Programme change (naive before/after)",
        "Matched comparison change",
        f"Matched estimate: ratio of rate ratios (95% CI) [{DID_MATCHINGS.get(res.primary, res.primary).lower()}]",
        "p-value",
        "Any event: difference in percentage points (95% CI)",
        "Negative-binomial check (95% CI)",
        "Placebo on two pre-periods (95% CI)",
        "Placebo verdict",
        "E-value (estimate / CI limit nearer 1)",
        "Rosenbaum's Gamma",
    ]
    others = [name for name in SPECIFICATION_LABELS if name in res.specifications]
    labels += [f"{SPECIFICATION_LABELS[name]} (95% CI)" for name in others]
    missing = [name for name in DID_MATCHINGS if name in res.unavailable_specifications]
    labels += [f"{SPECIFICATION_LABELS[name]}" for name in missing]
    for window, ba in sorted(res.results[outcome].items()):
        before = ba.rate("comparison", "before")
        comp = ba.rate("comparison", "after") / before if before > 0 else math.nan  # no events before: no ratio
        a = ba.any_event_did
        hb = ba.hidden_bias
        few = log is not None and bool(few_events(res, outcome, window, log))
        col = [
            sdc.SYMBOL if few else _change(ba.naive["rate_ratio"]),
            sdc.SYMBOL if few else _change(comp),
            _ratio_text(ba.did["rate_ratio"], ba.did["ci_low"], ba.did["ci_high"]),
            _p(ba.did["p_value"]),
            f"{signed(a['difference_pp'], 1)} ({signed(a['ci_low_pp'], 1)} to {signed(a['ci_high_pp'], 1)})"
            if log is None or not few_events(res, outcome, window, log)
            else sdc.SYMBOL,
            _ratio_text(ba.nb_check["rate_ratio"], ba.nb_check["ci_low"], ba.nb_check["ci_high"])
            if ba.nb_check
            else "not needed (no overdispersion)",
            _ratio_text(ba.placebo["rate_ratio"], ba.placebo["ci_low"], ba.placebo["ci_high"])
            if ba.placebo
            else "pre-period not covered by the data",
            PLACEBO_WORDS[(ba.placebo_check or {"verdict": "not_run"})["verdict"]],
            f"{hb.e_value:.2f} / {hb.e_value_ci:.2f}" if hb is not None else "–",
            (f"{hb.rosenbaum_gamma:.2f}" if hb is not None and hb.rosenbaum_gamma is not None else "– (no matched sets)"),
        ]
        for name in others:
            sv = res.specifications[name][outcome].get(window)
            col.append(_ratio_text(sv["rate_ratio"], sv["ci_low"], sv["ci_high"]) if sv else "–")
        col += [f"not available: {res.unavailable_specifications[name]}" for name in missing]
        columns[f"{window} months"] = col
    return pd.DataFrame({"Measure": labels, **columns})


def outcomes_results(res: OutcomesResult, log: DisclosureLog) -> dict:
    """results.json's before/after section with the same disclosure control as the text."""
    out = res.to_results()
    fields = {
        ("programme", "before"): "treated_before_rate",
        ("programme", "after"): "treated_after_rate",
        ("comparison", "before"): "comparison_before_rate",
        ("comparison", "after"): "comparison_after_rate",
    }
    for outcome, by_window in res.results.items():
        for window in by_window:
            few = few_events(res, outcome, window, log)
            entry = out[outcome][str(window)]
            for cell in few:
                entry[fields[cell]] = None
            if few:  # as the estimates table: the naive change and the any-event difference go with the rates
                entry["any_event_difference_pp"] = entry["any_event_difference_pp_ci"] = None
                entry["naive_change"] = entry["naive_change_ci"] = None
            elif entry.get("any_event_difference_pp") is not None:  # to the table's precision
                entry["any_event_difference_pp"] = round(entry["any_event_difference_pp"], 1)
                entry["any_event_difference_pp_ci"] = [round(x, 1) for x in entry["any_event_difference_pp_ci"]]
    if log.policy.small(out.get("comparison_approached_later")):
        out["comparison_approached_later"] = None
        log.add("results_before_after", "comparison_approached_later", "count", "small number of children")
    return out


def design_text(res: OutcomesResult, log: DisclosureLog) -> str:
    """Which matching the before/after comparison rests on, and why, in plain words."""
    m = res.matchings.get(res.primary, {})
    if res.primary in res.matched:  # the balance figure over the rows a balance table would show
        m = m | published_balance(res.matched[res.primary], log.policy)
    label = DID_MATCHINGS.get(res.primary, res.primary)
    why = {
        "without_prior_outcomes": (
            "the comparison of changes already allows for the groups starting at different levels, and "
            "matching on the very counts it compares can manufacture a change through regression to the mean "
            "when the groups' underlying levels differ (Daw & Hatfield 2018)"
        ),
        "with_prior_outcomes": "the config asks for it ([outcomes] did_matching)",
        "earlier_window": (
            "matching on a window the comparison does not use balances the children's longer-run level of offending "
            "without matching on the peak just before the arrest"
        ),
    }.get(res.primary, "the config asks for it")
    text = (
        f"**How the groups were compared.** {label}: children are matched on what was recorded at the arrest "
        f"({count(m.get('n_treated_matched', 0))} programme children with {count(m.get('n_control_matched', 0))} comparison "
        f"children; largest standardised difference {m.get('max_abs_std_mean_diff_after', float('nan')):.2f}). This is the "
        f"main estimate because {why}. The tables also show the estimate when children are matched on the 12 months before "
        "the arrest (as for reoffending), on an earlier window (13 to 24 months before) where the data reach that far, and "
        "when comparison children later approached by the programme are followed through that approach."
    )
    if res.approached_later:
        text += (
            f" {log.count_text(res.approached_later).capitalize()} matched comparison children were approached by the programme during the "
            f"{max(res.results['offending'])}-month follow-up; their follow-up stops at that approach, and similar children who "
            "could have been approached but were not count for them (inverse probability of censoring weights), so the "
            "comparison still shows what would have happened without the programme."
        )
    return text


def outcome_headline(res: OutcomesResult, outcome: str, log: DisclosureLog | None = None) -> str:
    """Regression to the mean, in plain words, with this outcome's numbers (the longest window)."""
    noun, topic = NOUNS[outcome]
    window = max(res.results[outcome])
    ba = res.get(outcome, window)
    if log is not None and few_events(res, outcome, window, log):
        rr, lo, hi = ba.did["rate_ratio"], ba.did["ci_low"], ba.did["ci_high"]
        est = (
            f" The ratio of rate ratios is {rr:.2f} (95% CI {lo:.2f} to {hi:.2f}); on so few events it cannot tell an effect from chance."
            if math.isfinite(rr)
            else ""
        )
        return (
            f"Fewer than {log.policy.threshold} {noun} were recorded for one of the groups in one of the periods, so the "
            f"groups' rates are not published (they would describe individual children).{est}"
        )
    tb, ta = ba.rate("programme", "before"), ba.rate("programme", "after")
    cb, ca = ba.rate("comparison", "before"), ba.rate("comparison", "after")
    rr, lo, hi, p = ba.did["rate_ratio"], ba.did["ci_low"], ba.did["ci_high"], ba.did["p_value"]
    if not math.isfinite(rr):
        return (
            f"The programme's effect on {topic} cannot be estimated from these data: there were "
            f"{ba.did.get('not_estimable', 'too few events')}. A ratio of rates needs events in both groups before and after."
        )
    both_fell, both_rose = ta < tb and ca < cb, ta > tb and ca > cb
    if both_fell:
        why = (
            "Children are picked up at a peak, so part of any fall after an arrest would have happened anyway; this is regression "
            "to the mean."
        )
    elif both_rose:
        why = (
            "Children's offending, victimisation and missing episodes change with age and circumstances whatever a programme "
            "does, so a rise after an arrest is no more the programme's doing than a fall would be."
        )
    else:
        why = "The two groups moved in different directions; only the comparison of the two changes estimates the programme's effect."
    lines = [
        f"In the {window} months after the arrest that brought them in, programme children had **{ta:.2f} {noun} per child-year**, "
        f"against {tb:.2f} in the {window} months before: a change of **{_change(ta / tb)}**. Taken on its own, as before/after "
        f"tables usually are, that would be read as the programme's effect.",
        f"But matched comparison children, who were arrested in the same way but not approached, also changed: from {cb:.2f} to "
        f"{ca:.2f} ({_change(ca / cb)}). " + why,
    ]
    if lo > 1 or hi < 1:
        direction = "fewer" if rr < 1 else "more"
        lines.append(
            f"Comparing the two changes, programme children had about **{abs(100 * (1 - rr)):.0f}% {direction} {noun}** than "
            f"expected without the programme (ratio of rate ratios {rr:.2f}, 95% CI {lo:.2f} to {hi:.2f}, {_p_is(p)}). "
            "This difference is statistically significant."
        )
    else:
        lines.append(
            f"Comparing the two changes gives a ratio of rate ratios of **{rr:.2f}** (95% CI {lo:.2f} to {hi:.2f}, {_p_is(p)}): "
            f"the data are consistent with anything from {abs(100 * (1 - lo)):.0f}% fewer to {abs(100 * (hi - 1)):.0f}% "
            f"{'more' if hi >= 1 else 'fewer'} {noun}. This is not statistically significant, which is not the same as no effect."
        )
    lines.append(placebo_text(ba, noun))
    if ba.hidden_bias is not None and (lo > 1 or hi < 1):
        lines.append(ba.hidden_bias.words(f"the difference in {noun}"))
    return "\n\n".join(lines)


def placebo_text(ba: BeforeAfter, noun: str) -> str:
    """The placebo check in words that follow its numbers."""
    check = ba.placebo_check or {"verdict": "not_run"}
    verdict = check["verdict"]
    if verdict == "not_run" or ba.placebo is None:
        return (
            f"The data do not reach far enough back to compare the groups' trends in {noun} before the arrest (placebo test), "
            "so the assumption that they would have moved alike cannot be checked here."
        )
    pl = ba.placebo
    est = f"{pl['rate_ratio']:.2f} (95% CI {pl['ci_low']:.2f} to {pl['ci_high']:.2f})"
    if verdict == "differing_trends":
        return (
            f"**Before the arrest the groups' trends in {noun} already differed** (placebo ratio {est}, {_p_is(pl['p_value'])}): "
            "the comparison of changes rests on the groups moving alike, so this estimate is not trustworthy."
        )
    lo90, hi90 = check["ci90"]
    if verdict == "parallel_supported":
        return (
            f"Before the arrest the groups' trends in {noun} were similar: the placebo ratio, {est}, is within "
            f"{100 * (check['margin'] - 1):.0f}% of no difference (90% CI {lo90:.2f} to {hi90:.2f}) and well short of the estimated effect."
        )
    reason = (
        "it is at least half as large as the estimated effect, in the same direction"
        if check.get("at_least_half_the_effect")
        else f"its 90% interval ({lo90:.2f} to {hi90:.2f}) reaches beyond ±{100 * (check['margin'] - 1):.0f}%"
    )
    return (
        f"The placebo test cannot confirm that the groups' trends in {noun} were similar before the arrest: its ratio is {est} and "
        f"{reason}. A difference in trends of that size would be enough to produce or hide an effect like the one estimated."
    )


def outcomes_cautions(res: OutcomesResult) -> str:
    out = [f"- {n}" for n in res.notes]
    out.append(
        "- Events are police-recorded. A programme that brings children into closer contact with services can raise the "
        "recording of victimisation and missing episodes without changing what happens (a surveillance effect), which would "
        "bias those estimates upwards."
    )
    return "\n".join(out)


def before_after_alt(res: OutcomesResult, outcome: str, log: DisclosureLog | None = None) -> str:
    noun, _ = NOUNS[outcome]
    parts = []
    for window, ba in sorted(res.results[outcome].items()):
        if log is not None and few_events(res, outcome, window, log):
            parts.append(f"{window}-month windows: not shown (too few events)")
            continue
        parts.append(
            f"{window}-month windows: programme {ba.rate('programme', 'before'):.2f} before and {ba.rate('programme', 'after'):.2f} "
            f"after; matched comparison {ba.rate('comparison', 'before'):.2f} before and {ba.rate('comparison', 'after'):.2f} after"
        )
    return (
        f"Dot plot of {noun} per child-year with 95% confidence intervals, before and after the index arrest, for the programme "
        "and matched comparison groups. " + "; ".join(parts) + "."
    )


def outcome_recorded(res: OutcomesResult, outcome: str) -> bool:
    """Whether the extract records this outcome's events ([data] event_types_recorded)."""
    return outcome not in res.not_recorded


def not_recorded_text(outcome: str) -> str:
    """The sentence in place of an outcome's section when the extract does not record its events."""
    return (
        f"*The data extract does not record {NOUNS[outcome][1]} (`[data] event_types_recorded`), so the programme's effect on "
        "them is not assessed: that is not evidence of no effect.*"
    )


__all__ = [
    "outcome_recorded",
    "not_recorded_text",
    "few_events",
    "before_after_table",
    "estimates_table",
    "outcome_headline",
    "outcomes_cautions",
    "before_after_alt",
    "OUTCOMES",
    "design_text",
    "placebo_text",
    "outcomes_results",
]
