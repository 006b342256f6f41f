"""Engagement section: reader-facing tables and sentences built from analysis results, with
disclosure control (evaluation.disclosure) applied to every count and rate."""

from __future__ import annotations

import pandas as pd

from ... import disclosure as sdc
from ...config import Config
from ...disclosure import DisclosureLog
from ...results import ENGAGEMENT_OUTCOMES as OUTCOMES
from ...results import EngagementResult, Note, rate_expressions
from ...results import engaged_quantity as quantity
from ..formatting import count, month_label, pct, pct_ci

_TABLE_LABELS = {
    "total": "Children engaged",
    "residence": "Place of residence",
    "age_band": "Age at arrival",
    "known_to_yos": "Known to YOS",
    "outcome": "Outcome",
    "age_group": "Age group",
    "event_kind": "Index event",
    "disposal_type": "Out-of-court disposal",
    "first_time_entrant": "First-time entrant",
}
#: Captions of the monthly tables, in the order the report shows them.
MONTHLY_CAPTIONS = {
    "total": "Children engaged by month",
    "residence": "Children engaged by place of residence",
    "age_band": "Children engaged by age at arrival",
    "known_to_yos": "Children engaged known to the youth offending service",
    "age_group": "Children engaged under 18 and aged 18 and over",
    "event_kind": "Children engaged by the kind of event they were met at",
    "disposal_type": "Children engaged by out-of-court disposal",
    "first_time_entrant": "Children engaged who were first-time entrants to the youth justice system",
    "outcome": "Engagement outcome",
}


def monthly_tables(eng: EngagementResult) -> list[str]:
    """The monthly tables this programme's data support, in the report's order."""
    return [k for k in MONTHLY_CAPTIONS if k in eng.tables]


ALL = "All children engaged"


def _row_label(key: str, i: str) -> str:
    if key == "outcome":
        return OUTCOMES.get(i, i)
    if key == "age_band" and i not in ("Other ages", ALL):
        return "Aged " + i
    return i


def _month_cols(eng: EngagementResult) -> list[str]:
    return eng.months + ["Total"]


def _col_label(m: str) -> str:
    return month_label(m) if m != "Total" else "Total"


def engagement_monthly_shown(eng: EngagementResult, key: str, log: DisclosureLog) -> pd.DataFrame:
    """A monthly table as shown (text, 'c' where suppressed), indexed like the analysis table, with
    an 'All children engaged' row so that every suppression is protected against subtraction. Each
    cell is registered against the count it shows, so the tables are protected jointly."""
    t = eng.tables[key][_month_cols(eng)].copy()
    if key == "total":
        return sdc.apply(t, sdc.table_lines(t, total_col="Total"), log, f"engagement_{key}", quantity=lambda r, m: quantity(m))
    t.loc[ALL] = eng.tables["total"][_month_cols(eng)].iloc[0]
    shown = sdc.apply(
        t,
        sdc.table_lines(t, total_row=ALL, total_col="Total"),
        log,
        f"engagement_{key}",
        quantity=lambda r, m: quantity(m) if r == ALL else quantity(m, key, r),
    )
    if key == "known_to_yos":
        yes, no = t.loc["Yes"], t.loc["No"]
        row = {}
        for m in _month_cols(eng):
            base = int(yes[m] + no[m])
            num, den = rate_expressions("known_to_yos_rate", m)
            ok = base and log.pub.publishable_rate(num, den, int(yes[m]), base)
            row[m] = pct(yes[m] / base) if ok else (sdc.SYMBOL if base else "–")
            if ok:
                log.pub.rate(num, den, yes[m] / base, 0, f"engagement_{key}")
            elif base:
                log.add(
                    f"engagement_{key}",
                    "% known to YOS",
                    m,
                    f"rate on a base below {log.policy.min_rate_base} or revealing a suppressed count",
                )
        shown.loc["% known to YOS (of those checked)"] = pd.Series(row)
    return shown


def engagement_monthly_table(shown: pd.DataFrame, eng: EngagementResult, key: str) -> pd.DataFrame:
    """The table as printed: an outcome no one had (and the programme does not use) is left out; its zeros are
    published all the same (results.json), so leaving the row out hides nothing."""
    if key == "outcome":
        shown = shown.loc[[i for i in shown.index if i in eng.outcomes_shown or i == ALL]]
    out = pd.DataFrame({_TABLE_LABELS[key]: [_row_label(key, i) for i in shown.index]})
    for m in _month_cols(eng):
        out[_col_label(m)] = shown[m].to_numpy()
    return out


def _rate_cells(
    log: DisclosureLog,
    table: str,
    label: str,
    k: int,
    n: int,
    lo: float,
    hi: float,
    r: float,
    name: str,
    num: dict[str, float] | None = None,
    den: dict[str, float] | None = None,
    dp: int = 1,
):
    """Children, base, rate and CI of one rate, registered as `name:numerator` and `name:base` (defined from
    the engagement counts `num` and `den` when given). A count is shown only when it is not small and
    none of the counts it is made of is hidden; the rate only when both its counts are shown."""
    pub = log.pub
    k_name, n_name = f"{name}:numerator", f"{name}:base"
    show_k, show_n = pub.publishable_count(num or {}, k), pub.publishable_count(den or {}, n)
    for q, expr, v, shown, column in ((k_name, num, k, show_k, "children"), (n_name, den, n, show_n, "base")):
        if expr:
            pub.derived(q, expr, table)
        if shown:  # and only if that keeps every hidden count protected (the intruder audit decides)
            shown = pub.count_if_safe(q, v, table, label, column, "secondary")
        else:
            pub.count(q, v, table, label, column, "primary" if log.policy.small(v) else "secondary")
        if column == "children":
            show_k = shown
        else:
            show_n = shown
    if not pub.publishable_rate({k_name: 1.0}, {n_name: 1.0}, k, n):
        log.add(
            table,
            label,
            "rate",
            f"rate on a base below {log.policy.min_rate_base}, with a small numerator or complement, or made of a count hidden elsewhere",
        )
        return count(k) if show_k else sdc.SYMBOL, count(n) if show_n else sdc.SYMBOL, sdc.SYMBOL, sdc.SYMBOL
    pub.rate({k_name: 1.0}, {n_name: 1.0}, r, dp, table)
    return count(k), count(n), pct(r, dp), pct_ci(lo, hi, dp)


def engagement_rates_table(eng: EngagementResult, log: DisclosureLog) -> pd.DataFrame:
    rows = []
    for r in eng.rates.itertuples():
        num, den = rate_expressions(r.measure, "Total")
        k, n, rate, ci = _rate_cells(
            log, "engagement_rates", r.label, r.numerator, r.denominator, r.ci_low, r.ci_high, r.rate, f"{r.measure}[Total]", num, den
        )
        rows.append({"Measure": r.label, "Children": k, "Base": n, "Rate": rate, "95% CI": ci, "Definition": r.definition})
    return pd.DataFrame(rows)


def monthly_rate_publishable(eng: EngagementResult, measure: str, month: str, log: DisclosureLog) -> bool:
    """One rule for a monthly rate in every output: its numerator and denominator could be published."""
    s = eng.monthly_rates[(eng.monthly_rates.month == month) & (eng.monthly_rates.measure == measure)].iloc[0]
    num, den = rate_expressions(measure, month)
    return bool(s.denominator) and log.pub.publishable_rate(num, den, s.numerator, s.denominator)


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
            elif monthly_rate_publishable(eng, measure, m, log):
                num, den = rate_expressions(measure, m)
                log.pub.rate(num, den, s.rate, 0, "engagement_rates_by_month")
                text = f"{pct(s.rate)} ({s.numerator}/{s.denominator})"
            else:
                text = sdc.SYMBOL
                log.add(
                    "engagement_rates_by_month",
                    labels[measure],
                    m,
                    f"rate on a base below {log.policy.min_rate_base}, with a "
                    "small numerator or complement, or made of a count hidden elsewhere",
                )
            row[_col_label(m)] = text
        rows.append(row)
    return pd.DataFrame(rows)


def _funnel_outside(eng: EngagementResult) -> int:
    return eng.n_children - int(eng.funnel.set_index("stage_key").children.get("approached", eng.n_children))


def funnel_names(eng: EngagementResult) -> dict[str, str]:
    """The count each funnel stage shows: the engagement tables' counts when the funnel covers every engaged
    child, otherwise its own (with the children outside as the difference)."""
    if _funnel_outside(eng) == 0:
        return {
            "detained": "funnel[detained]",
            "approached": quantity("Total"),
            "positively_engaged": "positively_engaged[Total]",
            "intervention_arranged": quantity("Total", "outcome", "intervention_arranged"),
            "intervention_started": "intervention_started[Total]",
            "intervention_ended": "intervention_ended[Total]",
        }
    return {k: f"funnel[{k}]" for k in eng.funnel.stage_key}


def _funnel_quantities(eng: EngagementResult, log: DisclosureLog) -> dict[str, str]:
    names = funnel_names(eng)
    if _funnel_outside(eng) == 0:
        log.pub.derived(
            "positively_engaged[Total]",
            {quantity("Total", "outcome", "intervention_arranged"): 1.0, quantity("Total", "outcome", "awaiting_intervention"): 1.0},
            "engagement_funnel",
        )
    else:
        log.pub.relation(quantity("Total"), [names["approached"], "engaged_outside_funnel"], "engagement_funnel")
        outside = _funnel_outside(eng)
        if log.policy.small(outside):  # known before any stage is shown: the stages must then protect it
            log.pub.count("engaged_outside_funnel", outside, "engagement_funnel note", "text", "", "primary")
    return names


def log_column_counts(eng: EngagementResult) -> dict[str, str]:
    """The published count each optional column of the programme log may restate ("table.column" -> quantity):
    contacts with an intervention start (end) date and the funnel's started (ended) stage; follow-up dates and
    the follow-up meetings counted; pathways recorded and the pathways table's total. Read by the data-quality
    appendix, whose missing-value counts would otherwise undo these tables' suppression."""
    names = funnel_names(eng)
    out = {
        "programme_contacts.followup_date": "timeliness[followup_within_target]:base",
        "programme_contacts.pathway": "pathways[All pathways recorded|total]",
    }
    for column, stage in (("intervention_start_date", "intervention_started"), ("intervention_end_date", "intervention_ended")):
        if stage in names:
            out[f"programme_contacts.{column}"] = names[stage]
    return out


def funnel_table(eng: EngagementResult, log: DisclosureLog) -> pd.DataFrame:
    """Counts at each stage. A stage is hidden when it is small or hidden in another table; and when two
    stages shown one after the other differ by a small number (a small group of children), one of them is
    hidden too: the later one, unless another table already shows it. Stages are nested (each within the
    one before) and each small difference is registered as a count to protect, so the intruder audit
    checks all of this."""
    pub = log.pub
    f = eng.funnel.reset_index(drop=True)
    names = _funnel_quantities(eng, log)
    qs = [names[k] for k in f.stage_key]
    vals = [int(v) for v in f.children]
    hide = [log.policy.enabled and (log.policy.small(v) or pub.must_hide(q)) for q, v in zip(qs, vals)]
    changed = True
    while changed:
        changed = False
        shown_idx = [i for i in range(len(qs)) if not hide[i]]
        for j, i in zip(shown_idx, shown_idx[1:]):
            if log.policy.small(vals[j] - vals[i]):
                k = i if not pub.public(qs[i]) else j if not pub.public(qs[j]) else None
                if k is not None:
                    hide[k] = changed = True
                    break
    # what a reader knows whatever is shown: each stage lies within the one before; small differences are groups to protect
    for i, r in f.iterrows():
        if i > 0:
            pub.at_most(qs[i], qs[i - 1], "engagement_funnel")
            if log.policy.small(vals[i - 1] - vals[i]):
                gap = f"funnel_gap[{r.stage_key}]"
                pub.derived(gap, {qs[i - 1]: 1.0, qs[i]: -1.0}, "engagement_funnel")
                pub.count(gap, vals[i - 1] - vals[i], "engagement_funnel", r.stage, "difference from the stage before", "implicit")
    shown_n: list[str] = []
    for i, r in f.iterrows():
        if hide[i]:
            pub.count(qs[i], vals[i], "engagement_funnel", r.stage, "children", "primary" if log.policy.small(vals[i]) else "secondary")
        else:  # shown only if that keeps every hidden count protected
            hide[i] = not pub.count_if_safe(qs[i], vals[i], "engagement_funnel", r.stage, "children", "secondary")
        if hide[i]:
            log.add("engagement_funnel", r.stage, "children", "small count, hidden elsewhere, or a small difference from a stage shown")
            shown_n.append(sdc.SYMBOL)
        else:
            shown_n.append(count(vals[i]))
    approached = names.get("approached")
    share_prev, share_app = [], []
    for i, (x, y, s) in enumerate(zip(f.share_of_previous, f.share_of_approached, shown_n)):
        prev_ok = i > 0 and shown_n[i - 1] != sdc.SYMBOL
        if s == sdc.SYMBOL:
            share_prev.append(sdc.SYMBOL)
            share_app.append(sdc.SYMBOL)
            continue
        share_prev.append(pct(x) if prev_ok else "–")
        if prev_ok:
            pub.rate({names[f.stage_key[i]]: 1.0}, {names[f.stage_key[i - 1]]: 1.0}, x, 0, "engagement_funnel")
        ok_app = i >= 1 and approached is not None and shown_n[1] != sdc.SYMBOL
        share_app.append(pct(y) if ok_app else ("–" if i == 0 else sdc.SYMBOL))
        if ok_app and approached is not None:
            pub.rate({names[f.stage_key[i]]: 1.0}, {approached: 1.0}, y, 0, "engagement_funnel")
    return pd.DataFrame({"Stage": f.stage, "Children": shown_n, "% of previous stage": share_prev, "% of those approached": share_app})


def note_text(note: Note, log: DisclosureLog, where: str) -> str:
    """A structured note with its counts written through disclosure control."""
    return note.text.format(**{k: log.pub.words(q, v, where) for k, (q, v) in note.counts.items()})


def timeliness_table(eng: EngagementResult, log: DisclosureLog) -> pd.DataFrame:
    """Follow-up after release. The base of 'follow-up recorded' is the positively engaged children (from the
    outcome table); the meetings within the target are the first buckets of the days table that follows."""
    rows = []
    positive = {quantity("Total", "outcome", "intervention_arranged"): 1.0, quantity("Total", "outcome", "awaiting_intervention"): 1.0}
    for r in eng.timeliness.itertuples():
        den = positive if r.measure == "followup_recorded" else None
        k, n, rate, ci = _rate_cells(
            log,
            "engagement_timeliness",
            r.label,
            r.numerator,
            r.denominator,
            r.ci_low,
            r.ci_high,
            r.rate,
            f"timeliness[{r.measure}]",
            None,
            den,
            dp=0,
        )
        rows.append({"Measure": r.label, "Meetings": k, "Base": n, "Rate": rate, "95% CI": ci})
    return pd.DataFrame(rows)


def followup_days_table(eng: EngagementResult, log: DisclosureLog) -> pd.DataFrame:
    """Days from release to the follow-up meeting, with the subtotal within the target (the timeliness
    table's count, so the two tables are protected together)."""
    d = eng.followup_days.set_index("days_after_release")[["meetings"]]
    buckets = list(d.index)
    total = "All meetings with dates"
    t = eng.timeliness.set_index("measure")
    within_label = None
    lines = [[(r, "meetings") for r in buckets + [total]]]
    if "followup_within_target" in t.index and eng.followup_target_days < len(buckets) - 1:
        first, later = buckets[: eng.followup_target_days + 1], buckets[eng.followup_target_days + 1 :]
        within_label = t.loc["followup_within_target", "label"]
        d.loc[within_label] = d.loc[first, "meetings"].sum()
        lines += [[(r, "meetings") for r in first + [within_label]], [(r, "meetings") for r in [within_label, *later, total]]]
    d.loc[total] = d.loc[buckets, "meetings"].sum()
    names = {total: "timeliness[followup_within_target]:base", within_label: "timeliness[followup_within_target]:numerator"}
    shown = sdc.apply(d, lines, log, "engagement_followup_days", quantity=lambda r, c: names.get(r, f"followup_days[{r}]"))
    return pd.DataFrame({"Follow-up meeting after release": shown.index.astype(str), "Meetings": shown.meetings.to_numpy()})


def pathways_table(eng: EngagementResult, log: DisclosureLog) -> pd.DataFrame:
    p = eng.pathways.set_index("pathway")[["arranged", "wanted_awaiting", "total"]]
    p.loc["All pathways recorded"] = p.sum()
    shown = sdc.apply(
        p,
        sdc.table_lines(p, total_row="All pathways recorded", total_col="total"),
        log,
        "engagement_pathways",
        quantity=lambda r, c: f"pathways[{r}|{c}]",
    )
    return pd.DataFrame(
        {
            "Pathway": shown.index,
            "Arranged": shown.arranged.to_numpy(),
            "Wanted (awaiting)": shown.wanted_awaiting.to_numpy(),
            "Total": shown.total.to_numpy(),
        }
    )


def rate_published(log: DisclosureLog, measure: str) -> bool:
    """Whether the period rate of `measure` was published by its table (engagement rates, or timeliness for
    'followup_within_target'); False before that table is built."""
    name = f"timeliness[{measure}]" if measure.startswith("followup_") else f"{measure}[Total]"
    pub = log.pub
    return f"{name}:numerator" in pub.values and pub.publishable_rate(
        {f"{name}:numerator": 1.0}, {f"{name}:base": 1.0}, pub.values[f"{name}:numerator"], pub.values[f"{name}:base"]
    )


def engagement_headline(eng: EngagementResult, config: Config, log: DisclosureLog) -> str:
    """Plain-English summary of engagement, every number computed and passed through the publication model
    (call after the engagement tables, whose counts and rates it repeats)."""
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
    words = log.pub.words
    where = "engagement summary"
    if p.home_areas:
        log.pub.derived("engaged[Total|home_areas]", {quantity("Total", "residence", a): 1.0 for a in p.home_areas}, where)
    shown_n = words(quantity("Total"), n, where)
    home_n = (
        log.pub.words_or_none("engaged[Total|home_areas]", home, where, [quantity("Total", "residence", a) for a in p.home_areas])
        if p.home_areas
        else None
    )
    lines = [
        f"Between {p.start.strftime('%-d %B %Y')} and {p.end.strftime('%-d %B %Y')} ({days} days) the programme engaged "
        f"**{shown_n} children** at {', '.join(p.suites)}"
        + (f", about {per_month:.0f} a month" if shown_n[0].isdigit() else "")
        + (f"; {home_n} lived in {' or '.join(p.home_areas)}." if home_n else ".")
    ]
    ooa = log.pub.words_or_none(quantity("Total", "outcome", "out_of_area_referral"), out_of_area, where) if out_of_area else None
    parts = [
        "Of the children engaged"
        if not out_of_area
        else f"Leaving out the {ooa} referred to services in their own area"
        if ooa
        else "Leaving out those referred to services in their own area"
    ]
    if rate_published(log, "intervention_arranged_rate"):
        parts.append(
            f", **{pct(arranged.rate)}** ({arranged.numerator} of {arranged.denominator}) had an intervention arranged "
            f"(95% CI {pct_ci(arranged.ci_low, arranged.ci_high)})"
        )
    if rate_published(log, "positive_engagement_rate"):
        parts.append(f", **{pct(positive.rate)}** engaged positively (arranged or awaiting an intervention)")
    if rate_published(log, "refusal_rate"):
        parts.append(f" and **{pct(refusal.rate)}** ({refusal.numerator}) would not engage")
    if len(parts) > 1:  # no rate published: no sentence (an opening clause alone says nothing)
        lines.append("".join(parts) + ".")
    if rate_published(log, "known_to_yos_rate"):
        lines.append(
            f"Of the {yos.denominator} children whose status was checked, {pct(yos.rate)} ({yos.numerator}) were already "
            "known to the youth offending service."
        )
    return "\n\n".join(lines)


def engagement_results(eng: EngagementResult, log: DisclosureLog) -> dict:
    """results.json's engagement section, read from the publication model: a count is there only as the
    tables published it (null where hidden), and a rate only where its table showed it."""
    pub = log.pub
    out: dict = {"children_engaged": pub.published(quantity("Total")), "contacts_in_period": None}
    repeat = "repeat_contacts"
    if repeat in pub.values and pub.published(repeat) is not None and out["children_engaged"] is not None:
        out["contacts_in_period"] = int(out["children_engaged"] + pub.published(repeat))
    elif repeat not in pub.values:
        out["contacts_in_period"] = out["children_engaged"]
    for key in eng.tables["outcome"].index:
        out[key] = pub.published(quantity("Total", "outcome", key))
    for r in eng.rates.itertuples():
        ok = rate_published(log, r.measure)
        out[r.measure] = round(float(r.rate), 6) if ok else None
        out[f"{r.measure}_ci"] = [round(float(r.ci_low), 6), round(float(r.ci_high), 6)] if ok else None
        out[f"{r.measure}_base"] = pub.published(f"{r.measure}[Total]:base")
    if eng.providers is not None:
        out["by_provider"] = providers_results(eng, log)
    if eng.referrals is not None:
        out["referrals_by_type"] = referrals_results(eng, log)
    by_month = {}
    for m in eng.months:
        entry: dict = {"days_covered": eng.days_in_month[m], "children_engaged": pub.published(quantity(m))}
        for key in eng.tables["outcome"].index:
            entry[key] = pub.published(quantity(m, "outcome", key))
        for table in ("residence", "age_band", "known_to_yos", *eng.event_breakdowns):
            entry[table] = {str(r): pub.published(quantity(m, table, r)) for r in eng.tables[table].index}
        for measure in eng.rates.measure:
            s = eng.monthly_rates[(eng.monthly_rates.month == m) & (eng.monthly_rates.measure == measure)].iloc[0]
            entry[measure] = round(float(s.rate), 6) if monthly_rate_publishable(eng, measure, m, log) else None
        by_month[m] = entry
    out["by_month"] = by_month
    names = funnel_names(eng)
    out["funnel"] = {k: pub.published(names[k]) for k in eng.funnel.stage_key}
    out["pathway_demand"] = {
        k: pub.published(f"pathways[{label}|total]") for k, label in zip(eng.pathways.pathway_key, eng.pathways.pathway)
    }
    t = eng.timeliness.set_index("measure")
    if "followup_within_target" in t.index:
        name = "timeliness[followup_within_target]"
        ok = rate_published(log, "followup_within_target")
        out["followup_within_target_rate"] = round(float(t.loc["followup_within_target"].rate), 6) if ok else None
        out["followup_within_target_base"] = pub.published(f"{name}:base")
    return out


#: What each outcome means, for the section's opening paragraph.
OUTCOME_MEANINGS = {
    "intervention_arranged": "an intervention arranged",
    "awaiting_intervention": "positive engagement while a pathway is found",
    "declined": "refusal",
    "out_of_area_referral": "referral to services in their home area for children living outside the programme's areas",
    "referred_elsewhere": "referral to another service",
    "advice_only": "advice or information only",
}


def engagement_intro(eng: EngagementResult, config: Config) -> str:
    """What 'engaged' means and the outcomes this programme records, with its own names for them."""
    labels = config.engagement.outcome_labels
    parts = [OUTCOME_MEANINGS[k] + (f' ("{labels[k]}")' if k in labels else "") for k in eng.outcomes_shown if k in OUTCOME_MEANINGS]
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + ", and " + parts[-1]
    where = "at a detention, or with no detention recorded" if eng.without_detention else "at a detention"
    return (
        "Who did the programme reach, and what happened next? A child counts as *engaged* when the programme's contact log "
        f"records an approach during the period ({where}); each child is counted once, at their first contact. Outcomes follow "
        f"the programme's own categories: {listed}."
    )


def rates_intro(eng: EngagementResult) -> str:
    """What the engagement rates are rates of."""
    base = (
        "Rates use the programme's own base: children engaged, leaving out those referred to services in their home area, "
        "who were not offered the programme's pathways."
        if "out_of_area_referral" in eng.outcomes_shown
        else "Rates are shares of all children engaged."
    )
    return (
        f"{base} The 95% confidence intervals (Wilson score method) show how much the rates could differ by chance alone "
        "with this many children: a programme that engages a few dozen children a month cannot pin a rate down to within "
        "a few percentage points."
    )


def followup_recorded(eng: EngagementResult) -> bool:
    """Whether the contact log records any follow-up meeting (the timeliness tables say nothing otherwise)."""
    return bool(eng.children.followup_date.notna().any()) if "followup_date" in eng.children else False


def timeliness_intro(eng: EngagementResult, config: Config) -> str:
    """The follow-up target as configured (`[engagement] followup_within_hours`), or why there is no table."""
    if not followup_recorded(eng):
        return "*The contact log records no follow-up meeting after release, so the timeliness of follow-up cannot be shown.*"
    hours, days = config.engagement.followup_within_hours, eng.followup_target_days
    return (
        f"The programme aims to meet each child (and, for a child, their parents or carers) again within {hours} hours of "
        f'release (`[engagement] followup_within_hours`). Follow-up dates are recorded as days, so "within {hours} hours" is '
        f"read as no later than {days} day{'s' if days != 1 else ''} after the day of release."
    )


def provider_quantity(provider: str) -> str:
    return f"provider[{provider}]:people"


def providers_table(eng: EngagementResult, log: DisclosureLog) -> pd.DataFrame:
    """People reached by each provider and their contacts. A person met by two providers counts under both, so the
    rows are not parts of the total; but each is at most the people engaged, and where it falls short by a small
    number that shortfall is a small group of people (those the provider did not meet), so it is hidden like a
    funnel stage one step short of the last."""
    pub = log.pub
    p = eng.providers
    assert p is not None
    total_q, total = quantity("Total"), eng.n_children
    people, contacts = [], []
    for r in p.itertuples():
        q = provider_quantity(r.provider)
        pub.at_most(q, total_q, "engagement_providers")
        gap = f"provider[{r.provider}]:not_reached"
        pub.derived(gap, {total_q: 1.0, q: -1.0}, "engagement_providers")
        pub.count(gap, total - r.people, "engagement_providers", r.provider, "people not reached", "implicit")
        hide = log.policy.small(r.people) or pub.must_hide(q) or (log.policy.small(total - r.people) and not pub.must_hide(total_q))
        if hide:
            pub.count(q, r.people, "engagement_providers", r.provider, "people", "primary" if log.policy.small(r.people) else "secondary")
        else:
            hide = not pub.count_if_safe(q, r.people, "engagement_providers", r.provider, "people", "secondary")
        if hide:
            log.add("engagement_providers", r.provider, "people", "small, or a small number short of everyone engaged")
        people.append(sdc.SYMBOL if hide else count(r.people))
        small_contacts = log.policy.small(r.contacts) or hide  # contacts of a hidden provider would hint at its people
        contacts.append(sdc.SYMBOL if small_contacts else count(r.contacts))
        if small_contacts:
            log.add("engagement_providers", r.provider, "contacts", "small number, or its provider's people are hidden")
    return pd.DataFrame({"Provider": p.provider, "People reached": people, "Contacts": contacts})


def referrals_table(eng: EngagementResult, log: DisclosureLog) -> pd.DataFrame:
    """Referrals by where to: referrals, whether taken up (which add up to the referrals) and people referred."""
    r = eng.referrals
    assert r is not None
    cols = ["referrals", "taken_up", "not_taken_up", "unknown"]
    values = r.set_index("referral_type")[cols].astype(float)
    values.loc["All referrals"] = values.sum()
    lines = [[(i, c) for c in cols[1:]] + [(i, "referrals")] for i in values.index]
    lines += [[(i, c) for i in values.index] for c in cols]
    shown = sdc.apply(values, lines, log, "engagement_referrals", quantity=lambda i, c: f"referrals[{i}|{c}]")
    people = [sdc.SYMBOL if log.policy.small(n) else count(n) for n in r.people]
    for kind, n in zip(r.referral_type, r.people):
        log.pub.at_most(f"referrals[{kind}|people]", f"referrals[{kind}|referrals]", "engagement_referrals")
        log.pub.count(f"referrals[{kind}|people]", n, "engagement_referrals", kind, "people", "primary" if log.policy.small(n) else "shown")
    return pd.DataFrame(
        {
            "Referred to": list(shown.index),
            "Referrals": shown.referrals.to_numpy(),
            "People": people + ["–"],
            "Taken up": shown.taken_up.to_numpy(),
            "Not taken up": shown.not_taken_up.to_numpy(),
            "Not known": shown.unknown.to_numpy(),
        }
    )


def providers_results(eng: EngagementResult, log: DisclosureLog) -> dict[str, int | float | None] | None:
    """results.json's engagement.by_provider: people reached by each provider, as the table published them."""
    if eng.providers is None:
        return None
    return {r.provider: log.pub.published(provider_quantity(r.provider)) for r in eng.providers.itertuples()}


def referrals_results(eng: EngagementResult, log: DisclosureLog) -> dict[str, dict] | None:
    """results.json's engagement.referrals_by_type, as the table published it."""
    if eng.referrals is None:
        return None
    out = {}
    for r in eng.referrals.itertuples():
        entry = {c: log.pub.published(f"referrals[{r.referral_type}|{c}]") for c in ("referrals", "taken_up", "not_taken_up", "unknown")}
        entry["people"] = log.pub.published(f"referrals[{r.referral_type}|people]")
        out[r.referral_type] = entry
    return out


EQUALITY_LABELS = {"sex": "Sex", "ethnicity": "Ethnicity", "age_band": "Age"}
_EQ_ALL = "All children"
_EQ_COLUMNS = ("detained", "not_approached", "approached", "arranged", "not_arranged")


def _equality_row(characteristic: str, level: str) -> str:
    word = str(level).replace("_", " ")
    return f"{EQUALITY_LABELS[characteristic]}: {word[:1].upper() + word[1:]}"


def equalities_table(eng: EngagementResult, log: DisclosureLog) -> pd.DataFrame | None:
    """Who was detained, approached and had an intervention arranged, by sex, ethnicity and age band, beside the
    eligible detained population (the funnel's first stage). Every group of each characteristic adds up to all
    children, and within a row detained = approached + not approached and approached = arranged + not arranged: all
    of it is registered with the publication model, the totals as the funnel's own counts, so the intruder audit
    sees every way a hidden cell could be worked out. Rates need both counts shown and a base of min_rate_base. A count
    that is a whole group (all 7 of 7 approached) is hidden as a small one is."""
    e = eng.equalities
    if e is None or e.empty:
        return None
    names = funnel_names(eng)
    rows = [_EQ_ALL] + [_equality_row(c, lv) for c, lv in zip(e.characteristic, e.level)]
    totals = e[e.characteristic == e.characteristic.iloc[0]][["detained", "approached", "arranged"]].sum()
    frame = pd.concat([totals.to_frame().T, e[["detained", "approached", "arranged"]]], ignore_index=True).astype(float)
    frame.index = pd.Index(rows)
    frame["not_approached"] = frame.detained - frame.approached
    frame["not_arranged"] = frame.approached - frame.arranged
    values = frame[list(_EQ_COLUMNS)]
    lines = [[(r, "approached"), (r, "not_approached"), (r, "detained")] for r in rows]
    lines += [[(r, "arranged"), (r, "not_arranged"), (r, "approached")] for r in rows]
    for characteristic in dict.fromkeys(e.characteristic):
        group = [_equality_row(characteristic, lv) for lv in e[e.characteristic == characteristic].level]
        lines += [[(r, c) for r in group] + [(_EQ_ALL, c)] for c in _EQ_COLUMNS]
    total_names = {"detained": names["detained"], "approached": names["approached"], "arranged": names["intervention_arranged"]}

    def name(r, c) -> str:
        return total_names[c] if r == _EQ_ALL and c in total_names else f"equalities[{r}|{c}]"

    # a group all of whose children were approached (or all of whose approached children had an intervention
    # arranged): with the group's size beside it, the count says what happened to each of them (group disclosure)
    whole = [
        (r, count)
        for r in rows[1:]
        for count, rest in (("approached", "not_approached"), ("arranged", "not_arranged"))
        if values.at[r, count] > 0 and values.at[r, rest] == 0
    ]
    shown = sdc.apply(values, lines, log, "engagement_equalities", quantity=name, whole_group=whole)
    if "engagement_equalities" in log.pub.withheld:  # the report prints why in its place; no rate is registered
        return pd.DataFrame({"Group": rows})

    def rate(r, num: str, den: str) -> str:
        if shown.at[r, num] == sdc.SYMBOL or shown.at[r, den] == sdc.SYMBOL:
            return sdc.SYMBOL
        n, d = float(values.at[r, num]), float(values.at[r, den])
        if not d or not log.pub.publishable_rate({name(r, num): 1.0}, {name(r, den): 1.0}, n, d):
            return sdc.SYMBOL if d else "–"
        log.pub.rate({name(r, num): 1.0}, {name(r, den): 1.0}, n / d, 0, "engagement_equalities")
        return pct(n / d)

    return pd.DataFrame(
        {
            "Group": rows,
            "Detained (eligible)": list(shown.detained),
            "Approached": list(shown.approached),
            "Approached (% of detained)": [rate(r, "approached", "detained") for r in rows],
            "Intervention arranged": list(shown.arranged),
            "Arranged (% of approached)": [rate(r, "arranged", "approached") for r in rows],
        }
    )


def equalities_intro(eng: EngagementResult, config: Config) -> str:
    p = config.programme
    return (
        f"Children aged {p.age_min} to {p.age_max} detained at the programme's suite in the period, by sex, ethnicity and age "
        "at their first such detention, with how many the programme approached and how many of those had an intervention "
        "arranged. A gap between groups' rates is a question for the programme (who is on shift, when children are "
        "detained, who declines), not evidence of unfair treatment by itself; later outcomes are not broken down by group, "
        "as the groups are too small to compare. A group recorded as 'unknown' is shown as such."
    )


def _spread(values: pd.Series | None, log: DisclosureLog, unit: str) -> str:
    """Median and interquartile range of a per-child measure, only over at least min_rate_base children (a summary of
    fewer could describe one child)."""
    if values is None or not len(values):
        return "not recorded"
    if log.policy.enabled and len(values) < log.policy.min_rate_base:
        return sdc.SYMBOL
    q1, med, q3 = values.quantile([0.25, 0.5, 0.75])
    return f"median {med:g} {unit} (middle half {q1:g} to {q3:g})"


def delivery_table(eng: EngagementResult, log: DisclosureLog) -> pd.DataFrame | None:
    """What happened after the first contact, only from what the contact log records, saying where it records
    nothing: who was not approached (and that why is not recorded), time to an intervention's start, sessions,
    completion, and who was waiting. Counts are the funnel's and the engagement tables' own (read as published)."""
    d = eng.delivery
    if d is None:
        return None
    names = funnel_names(eng)
    pub = log.pub

    def shown(q: str) -> float | None:
        return pub.published(q) if q in pub.values else None

    detained, approached = shown(names["detained"]), shown(names["approached"])
    rows = [
        (
            "Detained at the programme's suite in the period but not approached",
            count(detained - approached) if detained is not None and approached is not None else sdc.SYMBOL,
            "why is not recorded: the contact log records approaches, not the children missed",
        ),
        (
            "From first contact to the intervention's start",
            _spread(d.days_to_start, log, "days"),
            "children whose intervention start date is recorded"
            + (f" ({count(started)})" if (started := shown(names.get("intervention_started", ""))) is not None else ""),
        ),
        (
            "Sessions attended",
            _spread(d.sessions, log, "sessions"),
            "children with an intervention started and sessions recorded" if d.sessions is not None else "the log has no sessions recorded",
        ),
    ]
    if d.ended is None or "intervention_ended" not in names or "intervention_started" not in names:
        rows.append(("Interventions completed", "not recorded", "the log records no intervention end dates"))
    else:
        num, den = {names["intervention_ended"]: 1.0}, {names["intervention_started"]: 1.0}
        ok = d.started and pub.publishable_rate(num, den, d.ended, d.started)
        if ok:
            pub.rate(num, den, d.ended / d.started, 0, "engagement_delivery")
        rows.append(("Interventions completed (end date recorded)", pct(d.ended / d.started) if ok else sdc.SYMBOL, "of those started"))
    awaiting = shown(quantity("Total", "outcome", "awaiting_intervention"))
    rows.append(
        (
            "Recorded as awaiting an intervention",
            count(awaiting) if awaiting is not None else sdc.SYMBOL,
            "how long they waited is not recorded: the log keeps no later start for them",
        )
    )
    return pd.DataFrame(rows, columns=["Measure", "This programme", "What it rests on"])


def publish_engagement(eng: EngagementResult, log: DisclosureLog) -> dict[str, pd.DataFrame | list[str]]:
    """Every engagement table and note as published, built before anything is shown (so that sentences
    anywhere in the report, the summary included, read the same disclosure decisions)."""
    shown: dict[str, pd.DataFrame | list[str]] = {key: engagement_monthly_shown(eng, key, log) for key in monthly_tables(eng)}
    shown["rates"] = engagement_rates_table(eng, log)
    shown["rates_by_month"] = engagement_monthly_rates_table(eng, log)
    shown["funnel"] = funnel_table(eng, log)
    shown["timeliness"] = timeliness_table(eng, log)
    shown["followup_days"] = followup_days_table(eng, log)
    shown["pathways"] = pathways_table(eng, log)
    if eng.providers is not None:
        shown["providers"] = providers_table(eng, log)
    if eng.referrals is not None:
        shown["referrals"] = referrals_table(eng, log)
    equalities = equalities_table(eng, log)
    if equalities is not None:
        shown["equalities"] = equalities
    for topic in ("months", "funnel"):
        shown[f"notes:{topic}"] = [note_text(n, log, f"engagement_{topic} note") for n in eng.notes_for(topic)]
    return shown


__all__ = [
    "MONTHLY_CAPTIONS",
    "delivery_table",
    "equalities_table",
    "equalities_intro",
    "rates_intro",
    "followup_recorded",
    "timeliness_intro",
    "monthly_tables",
    "engagement_intro",
    "log_column_counts",
    "providers_table",
    "referrals_table",
    "providers_results",
    "referrals_results",
    "engagement_monthly_shown",
    "engagement_monthly_table",
    "engagement_rates_table",
    "engagement_monthly_rates_table",
    "funnel_table",
    "monthly_rate_publishable",
    "note_text",
    "funnel_names",
    "rate_published",
    "publish_engagement",
    "timeliness_table",
    "followup_days_table",
    "pathways_table",
    "engagement_headline",
    "engagement_results",
]
