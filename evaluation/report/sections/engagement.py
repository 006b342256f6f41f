"""Engagement section: reader-facing tables and sentences built from analysis results, with
disclosure control (evaluation.disclosure) applied to every count and rate."""
from __future__ import annotations

import pandas as pd

from ... import disclosure as sdc
from ...config import Config
from ...disclosure import DisclosureLog
from ...engagement import OUTCOMES, EngagementResult
from ..formatting import count, month_label, pct, pct_ci

_TABLE_LABELS = {
    "total": "Children engaged",
    "residence": "Place of residence",
    "age_band": "Age at arrival",
    "known_to_yos": "Known to YOS",
    "outcome": "Outcome",
}
ALL = "All children engaged"


def _row_label(key: str, i: str) -> str:
    if key == "outcome":
        return OUTCOMES.get(i, i)
    if key == "age_band" and i != "Other ages":
        return "Aged " + i
    return i


def _month_cols(eng: EngagementResult) -> list[str]:
    return eng.months + ["Total"]


def _col_label(m: str) -> str:
    return month_label(m) if m != "Total" else "Total"


def engagement_monthly_shown(eng: EngagementResult, key: str, log: DisclosureLog) -> pd.DataFrame:
    """A monthly table as shown (text, 'c' where suppressed), indexed like the analysis table, with
    an 'All children engaged' row so that every suppression is protected against subtraction."""
    t = eng.tables[key][_month_cols(eng)].copy()
    if key == "total":
        return sdc.apply(t, sdc.table_lines(t, total_col="Total"), log, f"engagement_{key}")
    t.loc[ALL] = eng.tables["total"][_month_cols(eng)].iloc[0]
    shown = sdc.apply(t, sdc.table_lines(t, total_row=ALL, total_col="Total"), log, f"engagement_{key}")
    if key == "known_to_yos":
        yes, no = t.loc["Yes"], t.loc["No"]
        hidden = sdc.hidden_cells(shown)
        row = {}
        for m in _month_cols(eng):
            base = int(yes[m] + no[m])
            ok = base and log.rate_allowed(int(yes[m]), base) and ("Yes", m) not in hidden and ("No", m) not in hidden
            row[m] = pct(yes[m] / base) if ok else (sdc.SYMBOL if base else "–")
            if base and not ok:
                log.add(f"engagement_{key}", "% known to YOS", m, f"rate on a base below {log.policy.min_rate_base} or revealing a suppressed count")
        shown.loc["% known to YOS (of those checked)"] = pd.Series(row)
    return shown


def engagement_monthly_table(shown: pd.DataFrame, eng: EngagementResult, key: str) -> pd.DataFrame:
    out = pd.DataFrame({_TABLE_LABELS[key]: [_row_label(key, i) for i in shown.index]})
    for m in _month_cols(eng):
        out[_col_label(m)] = shown[m].to_numpy()
    return out


def _rate_cells(log: DisclosureLog, table: str, label: str, k: int, n: int, lo: float, hi: float, r: float, dp: int = 1):
    if not log.rate_allowed(k, n):
        log.add(table, label, "rate", f"rate on a base below {log.policy.min_rate_base} or with a small numerator or complement")
        shown_k = sdc.SYMBOL if log.policy.small(k) or log.policy.small(n - k) else count(k)
        return shown_k, count(n) if not log.policy.small(n) else sdc.SYMBOL, sdc.SYMBOL, sdc.SYMBOL
    return count(k), count(n), pct(r, dp), pct_ci(lo, hi, dp)


def engagement_rates_table(eng: EngagementResult, log: DisclosureLog) -> pd.DataFrame:
    rows = []
    for r in eng.rates.itertuples():
        k, n, rate, ci = _rate_cells(log, "engagement_rates", r.label, r.numerator, r.denominator, r.ci_low, r.ci_high, r.rate)
        rows.append({"Measure": r.label, "Children": k, "Base": n, "Rate": rate, "95% CI": ci, "Definition": r.definition})
    return pd.DataFrame(rows)


def engagement_monthly_rates_table(eng: EngagementResult, log: DisclosureLog) -> pd.DataFrame:
    mr = eng.monthly_rates
    labels = eng.rates.set_index("measure").label
    rows = []
    for measure in eng.rates.measure:
        sub = mr[mr.measure == measure].set_index("month")
        row = {"Measure": labels[measure]}
        for m in _month_cols(eng):
            s = sub.loc[m]
            if not s.denominator:
                text = "–"
            elif log.rate_allowed(s.numerator, s.denominator):
                text = f"{pct(s.rate)} ({s.numerator}/{s.denominator})"
            else:
                text = sdc.SYMBOL
                log.add("engagement_rates_by_month", labels[measure], m, f"rate on a base below {log.policy.min_rate_base} or with a small numerator or complement")
            row[_col_label(m)] = text
        rows.append(row)
    return pd.DataFrame(rows)


def funnel_table(eng: EngagementResult, log: DisclosureLog) -> pd.DataFrame:
    """Counts at each stage; a stage that differs from the one before by a small number is not shown
    (the difference would be a small group of children)."""
    f = eng.funnel.reset_index(drop=True)
    shown_n, prev_shown = [], None
    for i, r in f.iterrows():
        small = log.policy.small(r.children)
        diff_small = i > 0 and log.policy.small(f.children[i - 1] - r.children) and prev_shown is not None
        if small or diff_small:
            log.add("engagement_funnel", r.stage, "children", "small count or a small difference from the stage before")
            shown_n.append(sdc.SYMBOL)
            prev_shown = None
        else:
            shown_n.append(count(r.children))
            prev_shown = r.children
    share_prev = [pct(x) if s != sdc.SYMBOL and (i == 0 or shown_n[i - 1] != sdc.SYMBOL) else (sdc.SYMBOL if s == sdc.SYMBOL else "–")
                  for i, (x, s) in enumerate(zip(f.share_of_previous, shown_n))]
    share_app = [pct(x) if s != sdc.SYMBOL else sdc.SYMBOL for x, s in zip(f.share_of_approached, shown_n)]
    return pd.DataFrame({"Stage": f.stage, "Children": shown_n, "% of previous stage": share_prev, "% of those approached": share_app})


def timeliness_table(eng: EngagementResult, log: DisclosureLog) -> pd.DataFrame:
    rows = []
    for r in eng.timeliness.itertuples():
        k, n, rate, ci = _rate_cells(log, "engagement_timeliness", r.label, r.numerator, r.denominator, r.ci_low, r.ci_high, r.rate, dp=0)
        rows.append({"Measure": r.label, "Meetings": k, "Base": n, "Rate": rate, "95% CI": ci})
    return pd.DataFrame(rows)


def followup_days_table(eng: EngagementResult, log: DisclosureLog) -> pd.DataFrame:
    d = eng.followup_days.set_index("days_after_release")[["meetings"]]
    d.loc["All meetings with dates"] = d.meetings.sum()
    shown = sdc.apply(d, [[(r, "meetings") for r in d.index]], log, "engagement_followup_days")
    return pd.DataFrame({"Follow-up meeting after release": shown.index.astype(str), "Meetings": shown.meetings.to_numpy()})


def pathways_table(eng: EngagementResult, log: DisclosureLog) -> pd.DataFrame:
    p = eng.pathways.set_index("pathway")[["arranged", "wanted_awaiting", "total"]]
    p.loc["All pathways recorded"] = p.sum()
    shown = sdc.apply(p, sdc.table_lines(p, total_row="All pathways recorded", total_col="total"), log, "engagement_pathways")
    return pd.DataFrame({"Pathway": shown.index, "Arranged": shown.arranged.to_numpy(),
                         "Wanted (awaiting)": shown.wanted_awaiting.to_numpy(), "Total": shown.total.to_numpy()})


def engagement_headline(eng: EngagementResult, config: Config, log: DisclosureLog) -> str:
    """Plain-English summary of engagement, every number computed and disclosure-checked."""
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
    c = log.count_text
    lines = [
        f"Between {p.start.strftime('%-d %B %Y')} and {p.end.strftime('%-d %B %Y')} ({days} days) the programme engaged "
        f"**{c(n)} children** at {', '.join(p.suites)}, about {per_month:.0f} a month; {c(home)} lived in "
        f"{' or '.join(p.home_areas) if p.home_areas else 'the home areas'}."]
    parts = [f"Leaving out the {c(out_of_area)} referred to services in their own area"]
    if log.rate_allowed(arranged.numerator, arranged.denominator):
        parts.append(f", **{pct(arranged.rate)}** ({arranged.numerator} of {arranged.denominator}) had an intervention arranged "
                     f"(95% CI {pct_ci(arranged.ci_low, arranged.ci_high)})")
    if log.rate_allowed(positive.numerator, positive.denominator):
        parts.append(f", **{pct(positive.rate)}** engaged positively (arranged or awaiting an intervention)")
    if log.rate_allowed(refusal.numerator, refusal.denominator):
        parts.append(f" and **{pct(refusal.rate)}** ({refusal.numerator}) would not engage")
    lines.append("".join(parts) + ".")
    if log.rate_allowed(yos.numerator, yos.denominator):
        lines.append(f"Of the {yos.denominator} children whose status was checked, {pct(yos.rate)} ({yos.numerator}) were already "
                     "known to the youth offending service.")
    return "\n\n".join(lines)


def engagement_results(eng: EngagementResult, shown: dict[str, pd.DataFrame], log: DisclosureLog) -> dict:
    """results.json's engagement section, with exactly the suppression the published tables have."""
    out = eng.to_results()

    def value(table: str, row: str, col: str):
        v = shown[table].at[row, col]
        return None if v == sdc.SYMBOL else int(str(v).replace(",", ""))

    for key in ("intervention_arranged", "awaiting_intervention", "declined", "out_of_area_referral"):
        out[key] = value("outcome", key, "Total")
    out["children_engaged"] = value("total", "Children engaged", "Total")
    for r in eng.rates.itertuples():
        if not log.rate_allowed(r.numerator, r.denominator):
            out[r.measure] = out[f"{r.measure}_ci"] = None
    for m, entry in out["by_month"].items():
        entry["children_engaged"] = value("total", "Children engaged", m)
        for key in OUTCOMES:
            entry[key] = value("outcome", key, m)
        for table, field in (("residence", "residence"), ("age_band", "age_band")):
            entry[field] = {r: value(table, r, m) for r in eng.tables[table].index}
        entry["known_to_yos"] = {r: value("known_to_yos", r, m) for r in ("Yes", "No", "Not checked")}
        sub = eng.monthly_rates[(eng.monthly_rates.month == m)].set_index("measure")
        for measure in eng.rates.measure:
            if not log.rate_allowed(sub.at[measure, "numerator"], sub.at[measure, "denominator"]):
                entry[measure] = None
    funnel = dict(zip(eng.funnel.stage_key, shown["funnel"].Children))
    out["funnel"] = {k: (None if funnel[k] == sdc.SYMBOL else v) for k, v in out["funnel"].items()}
    label_of = dict(zip(eng.pathways.pathway_key, eng.pathways.pathway))
    pathways = dict(zip(shown["pathways"].Pathway, shown["pathways"].Total))
    out["pathway_demand"] = {k: (None if pathways[label_of[k]] == sdc.SYMBOL else v) for k, v in out["pathway_demand"].items()}
    if "followup_within_target_base" in out:
        t = eng.timeliness.set_index("measure").loc["followup_within_target"]
        if not log.rate_allowed(t.numerator, t.denominator):
            out["followup_within_target_rate"] = None
    return out


__all__ = ["engagement_monthly_shown", "engagement_monthly_table", "engagement_rates_table", "engagement_monthly_rates_table",
           "funnel_table", "timeliness_table", "followup_days_table", "pathways_table", "engagement_headline", "engagement_results"]
