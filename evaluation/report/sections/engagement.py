"""Engagement section: reader-facing tables and sentences built from analysis results."""
from __future__ import annotations

import pandas as pd

from ...config import Config
from ...engagement import OUTCOMES, EngagementResult
from ..formatting import count, month_label, pct, pct_ci

_TABLE_LABELS = {
    "total": "Children engaged",
    "residence": "Place of residence",
    "age_band": "Age at arrival",
    "known_to_yos": "Known to YOS",
    "outcome": "Outcome",
}


def engagement_monthly_table(eng: EngagementResult, key: str) -> pd.DataFrame:
    """One of the programme's monthly tables (residence, age band, YOS, outcome), months as columns."""
    t = eng.tables[key].copy()
    labels = [OUTCOMES.get(i, i) if key == "outcome" else ("Aged " + i if key == "age_band" and i != "Other ages" else i) for i in t.index]
    out = pd.DataFrame({_TABLE_LABELS[key]: labels})
    for m in eng.months + ["Total"]:
        out[month_label(m) if m != "Total" else "Total"] = [count(v) for v in t[m]]
    if key == "known_to_yos":
        share = eng.monthly_rates[eng.monthly_rates.measure == "known_to_yos_rate"].set_index("month").rate
        row = {_TABLE_LABELS[key]: "% known to YOS (of those checked)"}
        row.update({(month_label(m) if m != "Total" else "Total"): pct(share.get(m)) for m in eng.months + ["Total"]})
        out = pd.concat([out, pd.DataFrame([row])], ignore_index=True)
    return out


def engagement_rates_table(eng: EngagementResult) -> pd.DataFrame:
    r = eng.rates
    return pd.DataFrame({
        "Measure": r.label, "Children": r.numerator.map(count), "Base": r.denominator.map(count),
        "Rate": r.rate.map(lambda x: pct(x, 1)), "95% CI": [pct_ci(lo, hi, 1) for lo, hi in zip(r.ci_low, r.ci_high)],
        "Definition": r.definition,
    })


def engagement_monthly_rates_table(eng: EngagementResult) -> pd.DataFrame:
    mr = eng.monthly_rates
    labels = eng.rates.set_index("measure").label
    rows = []
    for measure in eng.rates.measure:
        sub = mr[mr.measure == measure].set_index("month")
        row = {"Measure": labels[measure]}
        for m in eng.months + ["Total"]:
            s = sub.loc[m]
            row[month_label(m) if m != "Total" else "Total"] = f"{pct(s.rate)} ({s.numerator}/{s.denominator})" if s.denominator else "–"
        rows.append(row)
    return pd.DataFrame(rows)


def funnel_table(eng: EngagementResult) -> pd.DataFrame:
    f = eng.funnel
    return pd.DataFrame({
        "Stage": f.stage, "Children": f.children.map(count),
        "% of previous stage": f.share_of_previous.map(pct), "% of those approached": f.share_of_approached.map(pct),
    })


def timeliness_table(eng: EngagementResult) -> pd.DataFrame:
    t = eng.timeliness
    return pd.DataFrame({
        "Measure": t.label, "Meetings": t.numerator.map(count), "Base": t.denominator.map(count),
        "Rate": t.rate.map(pct), "95% CI": [pct_ci(lo, hi) for lo, hi in zip(t.ci_low, t.ci_high)],
    })


def followup_days_table(eng: EngagementResult) -> pd.DataFrame:
    d = eng.followup_days
    return pd.DataFrame({"Follow-up meeting after release": d.days_after_release.astype(str), "Meetings": d.meetings.map(count)})


def pathways_table(eng: EngagementResult) -> pd.DataFrame:
    p = eng.pathways
    return pd.DataFrame({
        "Pathway": p.pathway, "Arranged": p.arranged.map(count), "Wanted (awaiting)": p.wanted_awaiting.map(count),
        "Total": p.total.map(count),
    })


def engagement_headline(eng: EngagementResult, config: Config) -> str:
    """Plain-English summary of engagement, every number computed."""
    p = config.programme
    n = eng.n_children
    arranged = eng.rate("intervention_arranged_rate")
    positive = eng.rate("positive_engagement_rate")
    refusal = eng.rate("refusal_rate")
    yos = eng.rate("known_to_yos_rate")
    days = sum(eng.days_in_month.values())
    per_month = n / days * 30.44 if days else float("nan")
    out_of_area = int((eng.children.outcome == "out_of_area_referral").sum())
    home = int(eng.children.residence_group.isin(p.home_areas).sum())
    lines = [
        f"Between {p.start.strftime('%-d %B %Y')} and {p.end.strftime('%-d %B %Y')} ({days} days) the programme engaged "
        f"**{n} children** at {', '.join(p.suites)}, about {per_month:.0f} a month; {home} lived in "
        f"{' or '.join(p.home_areas) if p.home_areas else 'the home areas'}.",
        f"Leaving out the {out_of_area} referred to services in their own area, **{pct(arranged.rate)}** "
        f"({arranged.numerator} of {arranged.denominator}) had an intervention arranged (95% CI {pct_ci(arranged.ci_low, arranged.ci_high)}), "
        f"**{pct(positive.rate)}** engaged positively (arranged or awaiting an intervention) and **{pct(refusal.rate)}** "
        f"({refusal.numerator}) would not engage.",
        f"Of the {yos.denominator} children whose status was checked, {pct(yos.rate)} ({yos.numerator}) were already known to the youth offending service.",
    ]
    return "\n\n".join(lines)


__all__ = ["engagement_monthly_table", "engagement_rates_table", "engagement_monthly_rates_table", "funnel_table", "timeliness_table", "followup_days_table", "pathways_table", "engagement_headline"]
