"""The spell design ([programme] design = "spells"): offending before, during and after a spell on the programme
(e.g. Integrated Offender Management, from adoption to exit), per case-year at liberty, and its cost of crime.

As the Met's ID-IOM tool reports it (seed document 003: offences and "estimated cost of crime per year per IOM
case" before, during and after), with what that tool does not state made explicit:

* **Windows.** For each spell: before = the `window_months` months before the start; during = the spell (to the
  extract date while ongoing); after = the `window_months` months after the end, cut at the extract date (an
  ongoing spell has no after window). Windows are cut at the first day events are recorded ([data] events_start).
* **Exposure at liberty.** Days in custody (custody_spells: remand or sentence) are taken out of each window's
  days: a person in prison cannot offend in the community, and leaving prison time in would make any window with
  a sentence look safer. Offences dated inside a custody spell are still counted (they are rare and real).
* **Rates.** Offences per case-year at liberty = offences / years at liberty summed over the cases with any
  time at liberty in the window (a ratio estimator); 95% CIs from a Poisson model with a log-exposure offset
  and errors clustered on the person (a person with several spells is one cluster). Changes (during / before,
  after / before) are rate ratios from one model with a period term, clustered on the person.
* **Cost of crime per case-year**: each offence valued at the unit cost of its offence group (the unit-cost
  library of the value-for-money analysis, uprated to the price year), summed, divided by years at liberty.

What it cannot show: there is no comparison group. People are adopted at a peak of their offending, so offending
falls after adoption whether or not the programme works (regression to the mean); the before/during/after
change is an upper bound on nothing and a measure of nothing causal. The report says so beside the numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .engine import join_events
from .estimate import Estimate
from .stats import poisson_fit

PERIODS = ("before", "during", "after")
YEAR_DAYS = 365.25


class SpellsError(ValueError):
    """The spell analysis cannot be run on these data."""


def _custody_days(
    custody: pd.DataFrame | None, person: np.ndarray, start: np.ndarray, end: np.ndarray, extract: pd.Timestamp
) -> np.ndarray:
    """Days of each window [start, end] (inclusive) spent in custody, custody spells of the same person merged."""
    out = np.zeros(len(person))
    if custody is None or custody.empty:
        return out
    c = custody.assign(end_date=custody.end_date.fillna(extract)).sort_values(["person_id", "start_date"])
    by_person = {p: g[["start_date", "end_date"]].to_numpy() for p, g in c.groupby("person_id", sort=False)}
    for i, (p, s, e) in enumerate(zip(person, start, end)):
        spans = by_person.get(p)
        if spans is None or e < s:
            continue
        covered = np.zeros((e - s).days + 1, dtype=bool)
        for cs, ce in spans:
            lo, hi = max(cs, s), min(ce, e)
            if lo <= hi:
                covered[(lo - s).days : (hi - s).days + 1] = True
        out[i] = covered.sum()
    return out


def spell_windows(data) -> pd.DataFrame:
    """One row per spell and period: spell_id, person_id, period, start, end, days, days_in_custody,
    days_at_liberty (0 where the window is empty), offences, and the offences by offence group (for costing)."""
    cfg = data.config
    spells = data.spells
    if spells is None or spells.empty:
        raise SpellsError("the spells table is empty")
    extract = pd.Timestamp(cfg.data.extract_date)
    first = (
        pd.Timestamp(cfg.data.events_start)
        if cfg.data.events_start
        else (data.events.date_range()[0] or extract if data.events is not None else extract)
    )
    w = pd.DateOffset(months=cfg.spells.window_months)
    rows = []
    for r in spells.itertuples():
        start = pd.Timestamp(r.start_date)
        end = pd.Timestamp(r.end_date) if not pd.isna(r.end_date) else None
        windows = {
            "before": (max(start - w, first), start - pd.Timedelta(days=1)),
            "during": (start, min(end, extract) if end is not None else extract),
            "after": (end + pd.Timedelta(days=1), min(end + w, extract)) if end is not None else (extract + pd.Timedelta(days=1), extract),
        }
        for period, (lo, hi) in windows.items():
            rows.append(
                {"spell_id": r.spell_id, "person_id": r.person_id, "period": period, "start": lo, "end": hi, "ongoing": end is None}
            )
    win = pd.DataFrame(rows)
    win["days"] = np.maximum((win.end - win.start).dt.days + 1, 0)
    win["days_in_custody"] = _custody_days(data.custody_spells, win.person_id.to_numpy(), win.start.tolist(), win.end.tolist(), extract)
    win["days_at_liberty"] = np.maximum(win.days - win.days_in_custody, 0)
    # in the engine: only the offences of the spells' people come back
    offences = (
        join_events(
            pd.DataFrame({"person_id": pd.unique(spells.person_id)}),
            data.events,
            "e.event_type IN (" + ", ".join("'" + t.replace("'", "''") + "'" for t in cfg.spells.offence_types) + ")",
            ("event_date", "offence_group"),
        )
        if data.events is not None
        else None
    )
    counts = np.zeros(len(win), dtype=int)
    by_group: list[dict[str, int]] = [{} for _ in range(len(win))]
    if offences is not None and len(offences):
        grouped = {p: g for p, g in offences.groupby("person_id", sort=False)}
        for i, (p, lo, hi) in enumerate(zip(win.person_id, win.start, win.end)):
            g = grouped.get(p)
            if g is None or hi < lo:
                continue
            inside = g[(g.event_date >= lo) & (g.event_date <= hi)]
            counts[i] = len(inside)
            if len(inside):
                by_group[i] = inside.offence_group.fillna("other").value_counts().to_dict()
    win["offences"] = counts
    win["offence_groups"] = by_group
    return win


@dataclass
class SpellsResult:
    """Offending before, during and after a spell, at liberty. Record-level `windows` are never published."""

    windows: pd.DataFrame = field(repr=False)
    summary: pd.DataFrame  # period, cases, case_years_at_liberty, offences, rate, ci_low, ci_high, cost_of_crime, cost_per_case_year
    changes: pd.DataFrame  # comparison, rate_ratio, ci_low, ci_high, p_value
    flow: pd.DataFrame  # quarter, started, ended
    window_months: int
    price_year: str | None
    n_people: int
    n_spells: int
    ongoing: int
    notes: list[str] = field(default_factory=list)
    programme_cost: float | None = None  # cost lines apportioned by day to the programme period
    cases_in_period: int = 0  # spells open on any day of the programme period
    unit_costs_used: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)  # the offence unit costs, with sources

    @property
    def deflator_source(self) -> dict[str, Any]:
        from .costs import deflator_source

        return deflator_source()

    def estimates(self) -> list[Estimate]:
        out = []
        for r in self.summary.itertuples():
            out.append(
                Estimate(
                    "spells",
                    f"Offences per case-year at liberty, {r.period}",
                    "rate per case-year",
                    r.rate,
                    r.ci_low,
                    r.ci_high,
                    None,
                    int(r.cases),
                    None,
                    "offences / years at liberty; Poisson model with a log-exposure offset, errors clustered on the person",
                )
            )
        for r in self.changes.itertuples():
            out.append(
                Estimate(
                    "spells",
                    f"Offences per case-year at liberty, {r.comparison}",
                    "ratio (no comparison group: not an effect)",
                    r.rate_ratio,
                    r.ci_low,
                    r.ci_high,
                    r.p_value,
                    None,
                    None,
                    "rate ratio from one Poisson model with a period term, errors clustered on the person",
                )
            )
        return out

    def to_results(self) -> dict[str, Any]:
        """results.json's `spells` (before disclosure control)."""
        out: dict[str, Any] = {"window_months": self.window_months, "price_year": self.price_year}
        for r in self.summary.itertuples():
            out[r.period] = {
                "cases": int(r.cases),
                "case_years_at_liberty": round(float(r.case_years_at_liberty), 3),
                "offences": int(r.offences),
                "offences_per_case_year_at_liberty": _r(r.rate),
                "offences_per_case_year_ci": [_r(r.ci_low), _r(r.ci_high)],
                "cost_of_crime_per_case_year": _r(r.cost_per_case_year),
            }
        out["programme_cost"] = _r(self.programme_cost) if self.programme_cost is not None else None
        out["cases_in_period"] = self.cases_in_period
        out["cost_per_case"] = _r(self.programme_cost / self.cases_in_period) if self.programme_cost and self.cases_in_period else None
        out["changes"] = {
            r.comparison: {"rate_ratio": _r(r.rate_ratio), "ci": [_r(r.ci_low), _r(r.ci_high)], "p_value": _r(r.p_value)}
            for r in self.changes.itertuples()
        }
        return out


def _r(x: float) -> float | None:
    return None if x is None or not math.isfinite(float(x)) else round(float(x), 6)


def _rate_ci(y: np.ndarray, years: np.ndarray, clusters: np.ndarray) -> tuple[float, float, float]:
    """Rate with a 95% CI from an intercept-only Poisson model with offset log(years), clustered."""
    rate = y.sum() / years.sum() if years.sum() > 0 else math.nan
    if y.sum() == 0 or len(np.unique(clusters)) < 2:
        return rate, math.nan, math.nan
    fit = poisson_fit(np.ones((len(y), 1)), y.astype(float), np.log(years), np.ones(len(y)), clusters, ["(Intercept)"])
    b, lo, hi, _ = fit.wald("(Intercept)")
    return math.exp(b), math.exp(lo), math.exp(hi)


def _valued_offences(data, groups: set[str]) -> tuple[dict[str, float], str | None, list[str], pd.DataFrame]:
    """Public value (fiscal + economic + social) of one offence of each group, uprated, and the unit costs used;
    {} (with a note) if not possible."""
    from .costs import CostError, benefit_map, financial_year, unit_cost_library, value_outcome_types

    price_year = data.config.costs.price_year or financial_year(data.config.programme.start)
    try:
        valued, used = value_outcome_types(
            unit_cost_library(data),
            benefit_map(data),
            [f"offence:{g}" for g in sorted(groups)],
            price_year,
            data.config.costs.unit_cost_uncertainty,
        )
    except CostError as exc:
        return {}, None, [f"The cost of crime is not estimated: {exc}"], pd.DataFrame()
    return {k.split(":", 1)[1]: v.public_value for k, v in valued.items()}, price_year, [], used


def analyse_spells(data) -> SpellsResult:
    """Before / during / after windows of every spell, offences per case-year at liberty and cost of crime."""
    win = spell_windows(data)
    groups = {g for d in win.offence_groups for g in d}
    unit, price_year, notes, used = _valued_offences(data, groups)
    win["cost_of_crime"] = [sum(n * unit.get(g, math.nan) for g, n in d.items()) if unit else math.nan for d in win.offence_groups]
    live = win[win.days_at_liberty > 0].copy()
    live["years"] = live.days_at_liberty / YEAR_DAYS
    rows = []
    for period in PERIODS:
        p = live[live.period == period]
        rate, lo, hi = _rate_ci(p.offences.to_numpy(), p.years.to_numpy(), p.person_id.to_numpy()) if len(p) else (math.nan,) * 3
        cost = float(p.cost_of_crime.sum()) if unit and len(p) else math.nan
        rows.append(
            {
                "period": period,
                "cases": int(p.spell_id.nunique()),
                "people": int(p.person_id.nunique()),
                "case_years_at_liberty": float(p.years.sum()),
                "offences": int(p.offences.sum()),
                "rate": rate,
                "ci_low": lo,
                "ci_high": hi,
                "cost_of_crime": cost,
                "cost_per_case_year": cost / p.years.sum() if len(p) and p.years.sum() > 0 else math.nan,
            }
        )
    summary = pd.DataFrame(rows)
    changes = []
    both = live[live.period.isin(PERIODS)]
    if both.offences.sum() > 0 and both.person_id.nunique() > 1:
        X = np.column_stack([np.ones(len(both))] + [(both.period == p).to_numpy(float) for p in ("during", "after")])
        present = [True, (both.period == "during").any(), (both.period == "after").any()]
        names = ["(Intercept)", "during", "after"]
        X = X[:, present]
        names = [n for n, keep in zip(names, present) if keep]
        fit = poisson_fit(
            X, both.offences.to_numpy(float), np.log(both.years.to_numpy()), np.ones(len(both)), both.person_id.to_numpy(), names
        )
        for name in names[1:]:
            b, lo, hi, pv = fit.wald(name)
            changes.append(
                {
                    "comparison": f"{name} against before",
                    "rate_ratio": math.exp(b),
                    "ci_low": math.exp(lo),
                    "ci_high": math.exp(hi),
                    "p_value": pv,
                }
            )
    spells = data.spells
    q_start = spells.start_date.dt.to_period("Q").astype(str)
    q_end = spells.end_date.dropna().dt.to_period("Q").astype(str)
    quarters = sorted(set(q_start) | set(q_end))
    flow = pd.DataFrame(
        {
            "quarter": quarters,
            "started": [int((q_start == q).sum()) for q in quarters],
            "ended": [int((q_end == q).sum()) for q in quarters],
        }
    )
    ongoing = int(spells.end_date.isna().sum())
    if not (data.custody_spells is not None and len(data.custody_spells)):
        notes.append(
            "No custody spells were supplied, so time in prison is counted as time at liberty: rates after a sentence look lower than they are."
        )
    cfg = data.config.programme
    lo, hi = pd.Timestamp(cfg.start), pd.Timestamp(cfg.end)
    open_in_period = (spells.start_date <= hi) & (spells.end_date.fillna(pd.Timestamp(data.config.data.extract_date)) >= lo)
    programme_cost = None
    if data.costs is not None:
        from .costs import apportion

        programme_cost = float(apportion(data.costs, cfg.start, cfg.end).amount_in_period.sum())
    return SpellsResult(
        win,
        summary,
        pd.DataFrame(changes, columns=["comparison", "rate_ratio", "ci_low", "ci_high", "p_value"]),
        flow,
        data.config.spells.window_months,
        price_year,
        int(spells.person_id.nunique()),
        len(spells),
        ongoing,
        notes,
        programme_cost,
        int(open_in_period.sum()),
        used,
    )


__all__ = ["PERIODS", "SpellsError", "SpellsResult", "analyse_spells", "spell_windows"]
