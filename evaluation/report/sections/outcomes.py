"""Before/after section: rates by group and period, the naive change beside the matched estimate,
and regression to the mean explained in plain words."""
from __future__ import annotations


import pandas as pd

from ... import disclosure as sdc
from ...disclosure import DisclosureLog
from ...outcomes import OUTCOMES, BeforeAfter, OutcomesResult
from ..formatting import count, pct

NOUNS = {"offending": ("offences", "offending"), "victimisation": ("victimisations", "victimisation"),
         "missing_episodes": ("missing episodes", "missing episodes")}


def _ratio_text(rr: float, lo: float, hi: float) -> str:
    return f"{rr:.2f} ({lo:.2f} to {hi:.2f})"


def _change(rr: float) -> str:
    """Rate ratio as a signed percentage change: 0.75 -> '−25%'."""
    c = 100 * (rr - 1)
    return f"{'+' if c > 0 else '−' if c < 0 else ''}{abs(c):.0f}%"


def _p(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def before_after_table(res: OutcomesResult, outcome: str, log: DisclosureLog) -> pd.DataFrame:
    rows = []
    for window, ba in sorted(res.results[outcome].items()):
        for r in ba.summary.itertuples():
            k = round(r.share_any * r.children)
            share = pct(r.share_any) if log.rate_allowed(k, r.children) else sdc.SYMBOL
            if share == sdc.SYMBOL:
                log.add(f"before_after_{outcome}", f"{window}m {r.group} {r.period}", "With any", "share standing for a small number of children")
            rows.append({
                "Window": f"{window} months", "Group": "Programme" if r.group == "programme" else "Matched comparison",
                "Period": r.period.capitalize(), "Children": count(r.children),
                "Mean count": f"{r.mean_count:.2f}",
                "Rate per child-year (95% CI)": f"{r.rate:.2f} ({r.rate_ci_low:.2f} to {r.rate_ci_high:.2f})",
                "With any": share,
            })
    return pd.DataFrame(rows)


def estimates_table(res: OutcomesResult, outcome: str) -> pd.DataFrame:
    """Measures as rows, windows as columns: the naive change, the matched estimate and its checks."""
    columns: dict[str, list[str]] = {}
    labels = ["Programme change (naive before/after)", "Matched comparison change",
              "Matched estimate: ratio of rate ratios (95% CI)", "p-value",
              "Any event: difference in percentage points (95% CI)", "Negative-binomial check (95% CI)",
              "Placebo on two pre-periods (95% CI)"]
    with_sens = outcome in res.sensitivity
    if with_sens:
        labels.append("Matched without prior outcome counts (95% CI)")
    for window, ba in sorted(res.results[outcome].items()):
        comp = ba.rate("comparison", "after") / ba.rate("comparison", "before")
        a = ba.any_event_did
        col = [
            _change(ba.naive["rate_ratio"]), _change(comp),
            _ratio_text(ba.did["rate_ratio"], ba.did["ci_low"], ba.did["ci_high"]), _p(ba.did["p_value"]),
            f"{a['difference_pp']:+.1f} ({a['ci_low_pp']:+.1f} to {a['ci_high_pp']:+.1f})",
            _ratio_text(ba.nb_check["rate_ratio"], ba.nb_check["ci_low"], ba.nb_check["ci_high"]) if ba.nb_check
            else "not needed (no overdispersion)",
            _ratio_text(ba.placebo["rate_ratio"], ba.placebo["ci_low"], ba.placebo["ci_high"]) if ba.placebo
            else "pre-period not covered by the data",
        ]
        if with_sens:
            sv = res.sensitivity[outcome].get(window)
            col.append(_ratio_text(sv["rate_ratio"], sv["ci_low"], sv["ci_high"]) if sv else "–")
        columns[f"{window} months"] = col
    return pd.DataFrame({"Measure": labels, **columns})


def outcome_headline(res: OutcomesResult, outcome: str) -> str:
    """Regression to the mean, in plain words, with this outcome's numbers (the longest window)."""
    noun, topic = NOUNS[outcome]
    window = max(res.results[outcome])
    ba = res.get(outcome, window)
    tb, ta = ba.rate("programme", "before"), ba.rate("programme", "after")
    cb, ca = ba.rate("comparison", "before"), ba.rate("comparison", "after")
    rr, lo, hi, p = ba.did["rate_ratio"], ba.did["ci_low"], ba.did["ci_high"], ba.did["p_value"]
    lines = [
        f"In the {window} months after the arrest that brought them in, programme children had **{ta:.2f} {noun} per child-year**, "
        f"against {tb:.2f} in the {window} months before: a change of **{_change(ta / tb)}**. Taken on its own, as before/after "
        f"tables usually are, that looks like the programme's effect.",
        f"But matched comparison children, who were arrested in the same way and never approached, also changed: from {cb:.2f} to "
        f"{ca:.2f} ({_change(ca / cb)}). Children are picked up at a peak, so part of any fall after an arrest would have happened "
        f"anyway; this is regression to the mean.",
    ]
    if lo > 1 or hi < 1:
        direction = "fewer" if rr < 1 else "more"
        lines.append(f"Comparing the two changes, programme children had about **{abs(100 * (1 - rr)):.0f}% {direction} {noun}** than "
                     f"expected without the programme (ratio of rate ratios {rr:.2f}, 95% CI {lo:.2f} to {hi:.2f}, p = {_p(p)}). "
                     "This difference is statistically significant.")
    else:
        lines.append(f"Comparing the two changes gives a ratio of rate ratios of **{rr:.2f}** (95% CI {lo:.2f} to {hi:.2f}, p = {_p(p)}): "
                     f"the data are consistent with anything from {abs(100 * (1 - lo)):.0f}% fewer to {abs(100 * (hi - 1)):.0f}% "
                     f"{'more' if hi >= 1 else 'fewer'} {noun}. This is not statistically significant, which is not the same as no effect.")
    return "\n\n".join(lines)


def outcomes_cautions(res: OutcomesResult) -> str:
    out = [f"- {n}" for n in res.notes]
    out.append("- Events are police-recorded. A programme that brings children into closer contact with services can raise the "
               "recording of victimisation and missing episodes without changing what happens (a surveillance effect), which would "
               "bias those estimates upwards.")
    return "\n".join(out)


def before_after_alt(res: OutcomesResult, outcome: str) -> str:
    noun, _ = NOUNS[outcome]
    parts = []
    for window, ba in sorted(res.results[outcome].items()):
        parts.append(f"{window}-month windows: programme {ba.rate('programme', 'before'):.2f} before and {ba.rate('programme', 'after'):.2f} "
                     f"after; matched comparison {ba.rate('comparison', 'before'):.2f} before and {ba.rate('comparison', 'after'):.2f} after")
    return (f"Dot plot of {noun} per child-year with 95% confidence intervals, before and after the index arrest, for the programme "
            "and matched comparison groups. " + "; ".join(parts) + ".")


__all__ = ["before_after_table", "estimates_table", "outcome_headline", "outcomes_cautions", "before_after_alt", "OUTCOMES"]
