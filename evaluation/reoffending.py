"""Reoffending: MoJ proven reoffending, re-arrest, time to event, compared as the Justice Data Lab does.

Definitions:

* Proven reoffending (Ministry of Justice): an offence committed in the 12 months after the index
  day that is proven, by conviction, caution, youth caution or youth conditional caution, by the
  end of that year plus a 6-month waiting period (MoJ, Guide to proven reoffending statistics;
  PQ 15164, 29 Feb 2024). Community resolutions and Outcome 22 do not count by default; the
  measures are also reported counting them, since diversion outcomes are what this kind of
  programme produces. The index arrest's own offence never counts. Measures: binary rate,
  frequency (proven reoffences per child), reoffences per reoffender, and days to the first
  proven reoffence among reoffenders (JDL measure 3).
* Children whose follow-up plus waiting period has not ended by the extract date leave the binary
  and frequency measures (counted, with the reason); the matching weights are recomputed on the
  pairs that remain. In the time-to-event analysis everyone stays, censored where follow-up ends
  (for incomplete follow-up: 6 months before the extract date, since later offences may not yet
  be proven).
* Re-arrest: any new custody detention within 6 or 12 months of the index day, from police data
  alone; complete when the window has ended by the extract date.

Comparison with the matched group, as the Justice Data Lab reports it: group rates with the
matching weights; the difference (programme minus comparison) with a 95% CI and p-value from a
weighted linear model with errors clustered on the matched set; Kaplan-Meier curves and a
weighted log-rank test; a Cox hazard ratio with robust errors clustered on the matched set
(lifelines). Measures resting on fewer than 30 reoffenders in the programme group are suppressed,
as the JDL does (moj-analytical-services JDL report code). Power: the minimum detectable
difference at 80% power and 5% two-sided significance (pooled normal approximation), and the
sample per group needed for given relative reductions.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ._resources import package_path
from .matching import CohortMatch, matching_weights
from .stats import Z95, linear_fit

MOJ_PROVEN_OUTCOMES: tuple[str, ...] = ("conviction", "caution", "youth_caution", "youth_conditional_caution")
DIVERSION_OUTCOMES: tuple[str, ...] = ("community_resolution", "outcome_22")
JDL_MIN_REOFFENDERS = 30


def benchmarks() -> pd.DataFrame:
    """The shipped benchmark figures (value, what it applies to, period, citation, URL, status)."""
    return pd.read_csv(package_path("data", "benchmarks.csv")).set_index("key")


# --------------------------------------------------------------------------------------------
# Per-child outcomes


def _add_months(ts: pd.Series, months: int) -> pd.Series:
    return ts + pd.DateOffset(months=months)


def proven_reoffending_by_child(data, children: pd.DataFrame, follow_up_months: int = 12, waiting_months: int = 6,
                                include_diversion: bool = False) -> pd.DataFrame:
    """Per child: complete follow-up?, proven reoffences, first reoffence day, and survival time/event.

    `children` has person_id, index_date, index_detention_id.
    """
    extract = pd.Timestamp(data.config.data.extract_date)
    idx = pd.to_datetime(children.index_date).reset_index(drop=True)
    start = idx + pd.Timedelta(days=1)
    end = _add_months(idx, follow_up_months) + pd.Timedelta(days=1)  # exclusive
    deadline = _add_months(idx, follow_up_months + waiting_months)
    complete = deadline <= extract
    counted = MOJ_PROVEN_OUTCOMES + (DIVERSION_OUTCOMES if include_diversion else ())
    ev = data.events[data.events.event_type == "offence"][["person_id", "event_date", "proven_outcome", "proven_date", "detention_id"]]
    frame = pd.DataFrame({"person_id": children.person_id.to_numpy(), "index_detention_id": children.index_detention_id.to_numpy(),
                          "start": start, "end": end, "deadline": deadline, "idx": idx})
    j = frame.merge(ev, on="person_id")
    proven = (j.event_date >= j.start) & (j.event_date < j.end) & j.proven_outcome.isin(counted) & \
        (j.proven_date <= j.deadline.clip(upper=extract)) & (j.detention_id.isna() | (j.detention_id != j.index_detention_id))
    p = j[proven]
    n = p.groupby("person_id").size()
    first_day = p.assign(day=(p.event_date - p.idx).dt.days).groupby("person_id").day.min()
    out = frame[["person_id"]].copy()
    out["complete"] = complete.to_numpy()
    out["proven_reoffences"] = out.person_id.map(n).fillna(0).astype(int)
    out["reoffended"] = out.proven_reoffences > 0
    out["days_to_first"] = out.person_id.map(first_day)
    # survival: censored at the end of follow-up, or 6 months before the extract date if that is earlier
    horizon = (end - pd.Timedelta(days=1) - idx).dt.days
    trusted = (extract - pd.DateOffset(months=waiting_months) - idx).dt.days
    censor = np.minimum(horizon, trusted).clip(lower=0)
    out["time"] = np.where(out.days_to_first.notna() & (out.days_to_first <= censor), out.days_to_first, censor).astype(float)
    out["event"] = (out.days_to_first.notna() & (out.days_to_first <= censor)).to_numpy()
    return out


def rearrest_by_child(data, children: pd.DataFrame, months: int) -> pd.DataFrame:
    """Per child: a new custody detention within `months` of the index day (complete if the window has ended)."""
    extract = pd.Timestamp(data.config.data.extract_date)
    idx = pd.to_datetime(children.index_date).reset_index(drop=True)
    end = _add_months(idx, months) + pd.Timedelta(days=1)
    det = data.custody_detentions[["person_id", "detention_id", "arrival_datetime"]]
    frame = pd.DataFrame({"person_id": children.person_id.to_numpy(), "index_detention_id": children.index_detention_id.to_numpy(),
                          "idx": idx, "end": end})
    j = frame.merge(det, on="person_id")
    later = j[(j.arrival_datetime >= j.idx + pd.Timedelta(days=1)) & (j.detention_id != j.index_detention_id)]
    first = later.assign(day=(later.arrival_datetime.dt.normalize() - later.idx).dt.days).groupby("person_id").day.min()
    out = frame[["person_id"]].copy()
    out["complete"] = (end - pd.Timedelta(days=1) <= extract).to_numpy()
    days = out.person_id.map(first)
    horizon = (end - pd.Timedelta(days=1) - idx).dt.days
    censor = np.minimum(horizon, (extract - idx).dt.days).clip(lower=0)
    out["rearrested"] = (days.notna() & (days <= horizon)).to_numpy()
    out["time"] = np.where(days.notna() & (days <= censor), days, censor).astype(float)
    out["event"] = (days.notna() & (days <= censor)).to_numpy()
    return out


# --------------------------------------------------------------------------------------------
# Weights after attrition


def restricted_weights(cm: CohortMatch, keep_person_ids: set[str]) -> pd.DataFrame:
    """Matching weights recomputed (MatchIt's rule) on the pairs whose children are all kept.

    Returns person_id, treated, weight, cluster for children with weight > 0.
    """
    r = cm.result
    data = r.data
    person = data.person_id.to_numpy()
    pos_of_label = {lab: i for i, lab in enumerate(data.index)}
    keep = np.isin(person, list(keep_person_ids))
    matches: dict[int, list[int]] = {}
    for t_label, row in r.match_matrix.iterrows():
        t = pos_of_label[t_label]
        if not keep[t]:
            continue
        cs = [pos_of_label[c] for c in row.dropna() if keep[pos_of_label[c]]]
        if cs:
            matches[t] = cs
    w = matching_weights(matches, r.treat)
    cluster = np.full(len(data), -1, dtype=np.int64)
    if r.subclass is not None:
        for t, cs in matches.items():
            cluster[t] = int(r.subclass.iloc[t])
            cluster[cs] = int(r.subclass.iloc[t])
    else:
        cluster = pd.factorize(person)[0]
    sel = w > 0
    return pd.DataFrame({"person_id": person[sel], "treated": r.treat[sel], "weight": w[sel], "cluster": cluster[sel]})


# --------------------------------------------------------------------------------------------
# Comparisons


@dataclass(frozen=True)
class Difference:
    """A JDL-style comparison of one measure: group values, difference (programme minus comparison), CI, p."""

    n_treated: int
    n_comparison: int
    treated_value: float
    comparison_value: float
    difference: float
    ci_low: float
    ci_high: float
    p_value: float

    @property
    def significant(self) -> bool:
        return self.ci_low > 0 or self.ci_high < 0


def weighted_difference(y: np.ndarray, treated: np.ndarray, weights: np.ndarray, clusters: np.ndarray) -> Difference:
    """Difference in weighted means from y ~ treated, weighted, errors clustered (sandwich::vcovCL on lm)."""
    X = np.column_stack([np.ones(len(y)), treated.astype(float)])
    fit = linear_fit(X, y.astype(float), weights.astype(float), clusters, ["(Intercept)", "treated"])
    b, lo, hi, p = fit.wald("treated")
    t = treated == 1
    return Difference(int(t.sum()), int((~t).sum()), float(np.average(y[t], weights=weights[t])),
                      float(np.average(y[~t], weights=weights[~t])), b, lo, hi, p)


@dataclass(frozen=True)
class Survival:
    """Kaplan-Meier curves by group, a weighted log-rank test and a clustered Cox hazard ratio."""

    curves: pd.DataFrame  # group, time, survival
    at_end: dict[str, float]  # share still event-free at the end of follow-up
    logrank_p: float
    hazard_ratio: float
    hr_ci_low: float
    hr_ci_high: float
    hr_p_value: float
    events: dict[str, int]


def survival_comparison(time: np.ndarray, event: np.ndarray, treated: np.ndarray, weights: np.ndarray,
                        clusters: np.ndarray) -> Survival:
    from lifelines import CoxPHFitter, KaplanMeierFitter
    from lifelines.statistics import logrank_test

    curves, at_end = [], {}
    t = treated == 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lifelines notes that non-integer weights need robust errors: we use them
        for g, sel, label in ((1, t, "programme"), (0, ~t, "comparison")):
            km = KaplanMeierFitter().fit(time[sel], event[sel], weights=weights[sel])
            sf = km.survival_function_.iloc[:, 0]
            curves.append(pd.DataFrame({"group": label, "time": sf.index.to_numpy(dtype=float), "survival": sf.to_numpy()}))
            at_end[label] = float(sf.iloc[-1])
        lr = logrank_test(time[t], time[~t], event[t], event[~t], weights_A=weights[t], weights_B=weights[~t])
        df = pd.DataFrame({"time": time, "event": event.astype(int), "treated": treated.astype(float), "w": weights, "cluster": clusters})
        cph = CoxPHFitter().fit(df, "time", "event", weights_col="w", cluster_col="cluster", robust=True)
    coef = float(cph.params_["treated"])
    se = float(cph.standard_errors_["treated"])
    return Survival(pd.concat(curves, ignore_index=True), at_end, float(lr.p_value), math.exp(coef), math.exp(coef - Z95 * se),
                    math.exp(coef + Z95 * se), float(2 * stats.norm.sf(abs(coef / se))),
                    {"programme": int(event[t].sum()), "comparison": int(event[~t].sum())})


def effective_sample_size(weights: np.ndarray) -> float:
    return float(weights.sum() ** 2 / (weights ** 2).sum()) if len(weights) else 0.0


def min_detectable_difference(p0: float, n1: float, n0: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """Smallest reduction p0 - p1 detectable with two-sided level alpha and the given power
    (pooled normal approximation for two proportions with group sizes n1 and n0)."""
    za, zb = stats.norm.ppf(1 - alpha / 2), stats.norm.ppf(power)

    def gap(p1: float) -> float:
        pbar = (n1 * p1 + n0 * p0) / (n1 + n0)
        need = za * math.sqrt(pbar * (1 - pbar) * (1 / n1 + 1 / n0)) + zb * math.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
        return (p0 - p1) - need

    if p0 <= 0 or n1 < 2 or n0 < 2 or gap(1e-9) < 0:
        return math.nan
    return p0 - optimize.brentq(gap, 1e-9, p0)


def sample_size_per_group(p0: float, relative_reduction: float, alpha: float = 0.05, power: float = 0.8) -> int:
    """Children per group needed to detect p0 -> p0 (1 - relative_reduction), equal groups."""
    p1 = p0 * (1 - relative_reduction)
    za, zb = stats.norm.ppf(1 - alpha / 2), stats.norm.ppf(power)
    pbar = (p0 + p1) / 2
    n = (za * math.sqrt(2 * pbar * (1 - pbar)) + zb * math.sqrt(p1 * (1 - p1) + p0 * (1 - p0))) ** 2 / (p0 - p1) ** 2
    return int(math.ceil(n))


# --------------------------------------------------------------------------------------------
# The whole section


@dataclass
class Measure:
    """One outcome definition (proven, proven incl. diversion, re-arrest m): comparisons and survival."""

    key: str
    label: str
    rate: Difference
    frequency: Difference | None
    survival: Survival
    per_reoffender: dict[str, float] | None  # None: suppressed (< 30 programme reoffenders)
    days_to_first: dict[str, float] | None
    reoffenders: dict[str, int]
    excluded_incomplete: dict[str, int]
    min_detectable_difference: float
    comparison_ess: float
    min_reoffenders: int = JDL_MIN_REOFFENDERS

    def to_results(self) -> dict[str, Any]:
        r = self.rate
        out = {
            "n_treated": r.n_treated, "n_comparison": r.n_comparison,
            "treated_rate": r.treated_value, "comparison_rate": r.comparison_value, "difference": r.difference,
            "ci_low": r.ci_low, "ci_high": r.ci_high, "p_value": r.p_value,
            "hazard_ratio": self.survival.hazard_ratio, "hazard_ratio_ci": [self.survival.hr_ci_low, self.survival.hr_ci_high],
            "hazard_ratio_p_value": self.survival.hr_p_value, "logrank_p_value": self.survival.logrank_p,
            "min_detectable_difference": self.min_detectable_difference,
            "excluded_incomplete_follow_up": dict(self.excluded_incomplete),
            "treated_reoffenders": self.reoffenders["programme"],
        }
        if self.frequency is not None:
            f = self.frequency
            out.update({"treated_frequency": f.treated_value, "comparison_frequency": f.comparison_value,
                        "frequency_difference": f.difference, "frequency_ci": [f.ci_low, f.ci_high], "frequency_p_value": f.p_value})
            suppressed = f"suppressed: fewer than {self.min_reoffenders} programme reoffenders"
            out["per_reoffender"] = self.per_reoffender if self.per_reoffender is not None else suppressed
            out["days_to_first_reoffence"] = self.days_to_first if self.days_to_first is not None else suppressed
        return {k: _round(v) for k, v in out.items()}


def _round(v):
    if isinstance(v, float):
        return None if math.isnan(v) else round(v, 6)
    if isinstance(v, list):
        return [_round(x) for x in v]
    if isinstance(v, dict):
        return {k: _round(x) for k, x in v.items()}
    return v


@dataclass
class ReoffendingResult:
    measures: dict[str, Measure]
    power_targets: pd.DataFrame  # key, relative_reduction, baseline, needed_per_group, citation
    benchmark: pd.Series | None
    follow_up_months: int
    waiting_months: int
    extract_date: Any
    notes: list[str] = field(default_factory=list)

    def to_results(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: m.to_results() for k, m in self.measures.items()}
        out["power_targets"] = [{"key": r.key, "relative_reduction": r.relative_reduction, "baseline_rate": _round(r.baseline),
                                 "needed_per_group": int(r.needed_per_group)} for r in self.power_targets.itertuples()]
        if self.benchmark is not None:
            out["national_benchmark"] = {"key": self.benchmark.name, "rate": float(self.benchmark.value),
                                         "period": self.benchmark.period, "like_for_like": False}
        return out


def _measure(key: str, label: str, per_child: pd.DataFrame, sample: pd.DataFrame, cm: CohortMatch, outcome: str,
             count: str | None, min_reoffenders: int) -> Measure:
    complete_ids = set(per_child.person_id[per_child.complete])
    incomplete = per_child[~per_child.complete].merge(sample[["person_id", "treated"]], on="person_id")
    excluded = {"programme": int((incomplete.treated == 1).sum()), "comparison": int((incomplete.treated == 0).sum())}
    rw = restricted_weights(cm, complete_ids).merge(per_child, on="person_id")
    y = rw[outcome].to_numpy().astype(float)
    tr, w, cl = rw.treated.to_numpy(), rw.weight.to_numpy(float), rw.cluster.to_numpy()
    rate = weighted_difference(y, tr, w, cl)
    freq = weighted_difference(rw[count].to_numpy(float), tr, w, cl) if count else None
    t = tr == 1
    reoffenders = {"programme": int(y[t].sum()), "comparison": int(y[~t].sum())}
    per_reoff = days = None
    if count and reoffenders["programme"] >= min_reoffenders:
        per_reoff, days = {}, {}
        for label_g, sel in (("programme", t), ("comparison", ~t)):
            r = sel & (y > 0)
            per_reoff[label_g] = float(np.average(rw[count].to_numpy(float)[r], weights=w[r]))
            days[label_g] = float(np.average(rw.days_to_first.to_numpy(float)[r], weights=w[r]))
    # survival on every matched child, incomplete ones censored, original weights and matched sets
    sv = sample.merge(per_child, on="person_id")
    surv = survival_comparison(sv.time.to_numpy(float), sv.event.to_numpy(bool), sv.treated.to_numpy(), sv.weight.to_numpy(float),
                               sv.cluster.to_numpy())
    ess = effective_sample_size(w[~t])
    mdd = min_detectable_difference(rate.comparison_value, int(t.sum()), ess)
    return Measure(key, label, rate, freq, surv, per_reoff, days, reoffenders, excluded, mdd, ess, min_reoffenders)


def analyse(data, cm: CohortMatch) -> ReoffendingResult:
    """Proven reoffending (both definitions), re-arrest windows, survival, power and benchmark context."""
    from .outcomes import matched_sample

    if data.events is None:
        raise ValueError("the reoffending measures need the events table (offences with their outcomes)")
    rc = data.config.reoffending
    sample = matched_sample(cm)
    measures: dict[str, Measure] = {}
    fu, wait = rc.follow_up_months, rc.waiting_months
    main_is_diversion = rc.count_diversion_outcomes
    for key, include, label in (("proven", main_is_diversion, "Proven reoffending" + (" (including community resolutions and Outcome 22)" if main_is_diversion else "")),
                                ("proven_including_diversion" if not main_is_diversion else "proven_excluding_diversion", not main_is_diversion,
                                 "Proven reoffending, " + ("counting community resolutions and Outcome 22" if not main_is_diversion else "MoJ definition (without community resolutions and Outcome 22)"))):
        per_child = proven_reoffending_by_child(data, sample, fu, wait, include_diversion=include)
        measures[key] = _measure(key, label, per_child, sample, cm, "reoffended", "proven_reoffences", rc.min_reoffenders)
    for m in rc.rearrest_windows_months:
        per_child = rearrest_by_child(data, sample, m)
        measures[f"rearrest_{m}m"] = _measure(f"rearrest_{m}m", f"Re-arrest within {m} months", per_child, sample, cm, "rearrested",
                                              None, rc.min_reoffenders)
    bm = benchmarks()
    base = measures["proven"].rate.comparison_value
    targets = pd.DataFrame([{"key": k, "relative_reduction": float(bm.loc[k, "value"]), "baseline": base,
                             "needed_per_group": sample_size_per_group(base, float(bm.loc[k, "value"])) if base > 0 else 0,
                             "citation": bm.loc[k, "citation"], "applies_to": bm.loc[k, "applies_to"], "url": bm.loc[k, "url"]}
                            for k in rc.power_targets])
    benchmark = bm.loc[rc.national_benchmark] if rc.national_benchmark else None
    notes = []
    p = measures["proven"]
    if p.excluded_incomplete["programme"] or p.excluded_incomplete["comparison"]:
        notes.append(f"{p.excluded_incomplete['programme']} programme and {p.excluded_incomplete['comparison']} comparison children are "
                     f"left out of the one-year proven measures: their {fu}-month follow-up plus the {wait}-month waiting period had not "
                     f"ended by the extract date ({data.config.data.extract_date:%-d %B %Y}). They stay, censored, in the time-to-reoffence analysis.")
    return ReoffendingResult(measures, targets, benchmark, fu, wait, data.config.data.extract_date, notes)
