"""Reoffending: proven reoffending, re-arrest, time to event, compared as the Justice Data Lab does.

Definitions (each analysis uses one rule for every child in it):

* **Proven reoffending from the index arrest (MoJ counting rules).** An offence committed in the
  12 months after the index day that is proven, by conviction, caution, youth caution or youth
  conditional caution, by the end of that year plus a 6-month waiting period (MoJ, Guide to proven
  reoffending statistics; PQ 15164, 29 Feb 2024). It follows the MoJ's counting rules but not its
  index event: the MoJ follows people from a caution, conviction or release, this measure from the
  arrest at which the programme met the child. Community resolutions and Outcome 22 do not count by
  default; the measures are also reported counting them, since diversion outcomes are what this kind
  of programme produces. The index arrest's own offence never counts. Measures: binary rate,
  frequency (proven reoffences per child), reoffences per reoffender, and days to the first proven
  reoffence among reoffenders (JDL measure 3). Children whose follow-up plus waiting period had not
  ended by the extract date leave the binary and frequency measures (counted, with the reason); the
  matching weights are recomputed on the matched sets that remain.
* **Proven reoffending from the first proven disposal (JDL-comparable).** As the Justice Data Lab
  indexes people: follow-up starts on the date of the first caution or conviction given on or after
  the index day for an offence committed on or before it; children whose arrest led to no proven
  disposal are left out (counted), with those whose follow-up from the disposal is incomplete.
* **Time to the first proven reoffence** (Kaplan-Meier, log-rank, Cox): for every child, complete
  follow-up or not, an offence counts only if it was proven within the waiting period (6 months) of
  being committed, and follow-up ends 12 months after the index day or the waiting period before the
  extract date, whichever is earlier. So children followed for long and short periods are measured
  the same way.
* **Re-arrest**: any new custody detention within 6 or 12 months of the index day, from police data
  alone; complete when the window has ended by the extract date.
* **Comparison children approached later** are censored at the first contact and the follow-up of
  the rest is weighted for it (evaluation.censoring): each outcome counted for a comparison child
  stands for 1 / prod(1 - p) such outcomes, p the chance of being approached at each earlier
  detention where the child could have been. For time to event the weights change over follow-up
  (counting-process data with entry times).

Comparison with the matched group, as the Justice Data Lab reports it: group rates with the
matching weights; the difference (programme minus comparison) with a 95% CI and p-value from a
weighted linear model with errors clustered on the matched set (joined with the child); the risk
ratio from a weighted Poisson model (Zou 2004) with the same clustering, for E-values; Rosenbaum
bounds on the matched-set differences; Kaplan-Meier curves and a weighted log-rank test; a Cox
hazard ratio with robust errors clustered on the matched set (lifelines). Measures resting on fewer
than 30 reoffenders in the programme group are suppressed, as the JDL does (moj-analytical-services
JDL report code). Power: the minimum detectable difference at 80% power and 5% two-sided
significance (pooled normal approximation), and the sample per group needed for given relative
reductions.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from . import censoring
from ._resources import package_path
from .engine import join_events
from .estimate import Estimate
from .matching import CohortMatch, matching_weights
from .sensitivity import HiddenBias, e_value, e_value_ci, gamma_if_significant, matched_set_differences
from .stats import Z95, linear_fit, poisson_fit

MOJ_PROVEN_OUTCOMES: tuple[str, ...] = ("conviction", "caution", "youth_caution", "youth_conditional_caution")
DIVERSION_OUTCOMES: tuple[str, ...] = ("community_resolution", "outcome_22")
JDL_MIN_REOFFENDERS = 30
FROM_ARREST = "proven reoffending from the index arrest (MoJ counting rules)"
FROM_DISPOSAL = "proven reoffending from the first proven disposal (JDL-comparable)"


class ReoffendingError(ValueError):
    """A reoffending measure cannot be estimated on these data (e.g. no child has complete follow-up)."""


def benchmarks() -> pd.DataFrame:
    """The shipped benchmark figures (value, what it applies to, period, citation, URL, status)."""
    return pd.read_csv(package_path("data", "benchmarks.csv")).set_index("key")


# --------------------------------------------------------------------------------------------
# Per-unit outcomes


def _add_months(ts: pd.Series, months: int) -> pd.Series:
    return ts + pd.DateOffset(months=months)


def _units(children: pd.DataFrame) -> pd.DataFrame:
    """unit_id, person_id, idx (index day), index_detention_id, censor_stop (exclusive; NaT if never)."""
    out = pd.DataFrame(
        {
            "unit_id": (children.unit_id if "unit_id" in children else children.person_id).to_numpy(),
            "person_id": children.person_id.to_numpy(),
            "idx": pd.to_datetime(children.index_date).to_numpy(),
            "index_detention_id": children.index_detention_id.to_numpy(),
        }
    )
    censor = pd.to_datetime(children.censor_date).to_numpy() if "censor_date" in children else np.full(len(out), np.datetime64("NaT", "ns"))
    out["censor_stop"] = pd.to_datetime(censor) + pd.Timedelta(days=1)
    return out


def _sql_list(values: tuple[str, ...]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _factor_at(events: pd.DataFrame, unit_marks: pd.DataFrame | None) -> np.ndarray:
    """For events (unit_id, event_date): the censoring weight in force that day (marks before it)."""
    if unit_marks is None or unit_marks.empty or events.empty:
        return np.ones(len(events))
    e = events[["unit_id", "event_date"]].reset_index(drop=True).assign(row=lambda f: np.arange(len(f)))
    j = e.merge(unit_marks, on="unit_id")
    prod = j[pd.to_datetime(j.day) + pd.Timedelta(days=1) <= j.event_date].groupby("row").factor.prod()
    return e.row.map(prod).fillna(1.0).to_numpy()


def _first_and_count(per: pd.DataFrame, hits: pd.DataFrame, day_col: str) -> None:
    """Fill per-unit observed count, censoring-weighted count and weighted first event from `hits`
    (rows: unit_id, <day_col>, factor), in place."""
    hits = hits.sort_values(["unit_id", day_col], kind="stable")
    per["observed_count"] = per.unit_id.map(hits.groupby("unit_id").size()).fillna(0).astype(int)
    per["count_ipcw"] = per.unit_id.map(hits.groupby("unit_id").factor.sum()).fillna(0.0)
    first = hits.drop_duplicates("unit_id").set_index("unit_id")
    per["any_ipcw"] = per.unit_id.map(first.factor).fillna(0.0)
    per["first_date"] = per.unit_id.map(first[day_col])


def proven_reoffending_by_child(
    data,
    children: pd.DataFrame,
    follow_up_months: int = 12,
    waiting_months: int = 6,
    include_diversion: bool = False,
    unit_marks: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per unit: complete follow-up?, proven reoffences (MoJ counting rules from the index day), first
    reoffence day, the censoring-weighted versions, and the time-to-event data (one rule for all).

    `children` has person_id, index_date, index_detention_id (and unit_id, censor_date where a child
    may be censored at a later approach; `unit_marks` from evaluation.censoring.marks weights for it).
    Columns: unit_id, person_id, complete, proven_reoffences, reoffended, days_to_first,
    proven_reoffences_ipcw, reoffended_ipcw, approached_later, time, event, idx.
    """
    extract = pd.Timestamp(data.config.data.extract_date)
    u = _units(children)
    start = u.idx + pd.Timedelta(days=1)
    end = _add_months(u.idx, follow_up_months) + pd.Timedelta(days=1)  # exclusive
    deadline = _add_months(u.idx, follow_up_months + waiting_months)
    counted = MOJ_PROVEN_OUTCOMES + (DIVERSION_OUTCOMES if include_diversion else ())
    frame = u.assign(start=start, end=end, deadline=deadline)
    # in the engine: only each unit's offences in its follow-up with a counted outcome come back (the filters below
    # keep only those, so the result is the same as joining every offence)
    j = join_events(
        frame,
        data.events,
        f"e.event_type = 'offence' AND e.proven_outcome IN ({_sql_list(counted)}) AND e.event_date >= f.start "
        'AND e.event_date < f."end" AND (e.detention_id IS NULL OR e.detention_id IS DISTINCT FROM f.index_detention_id) '
        "AND (f.censor_stop IS NULL OR e.event_date < f.censor_stop)",
        ("event_date", "proven_outcome", "proven_date", "detention_id"),
    )
    not_index = j.detention_id.isna() | (j.detention_id != j.index_detention_id)
    observed = j.censor_stop.isna() | (j.event_date < j.censor_stop)
    in_fu = (j.event_date >= j.start) & (j.event_date < j.end) & not_index & observed
    proven = in_fu & j.proven_outcome.isin(counted) & (j.proven_date <= j.deadline.clip(upper=extract))
    hits = j[proven].copy()
    hits["factor"] = _factor_at(hits, unit_marks)
    out = u[["unit_id", "person_id", "idx"]].copy()
    _first_and_count(out, hits, "event_date")
    out["complete"] = (deadline <= extract).to_numpy()
    out["proven_reoffences"] = out.pop("observed_count")
    out["reoffended"] = out.proven_reoffences > 0
    out["days_to_first"] = (out.pop("first_date") - out.idx).dt.days
    out["proven_reoffences_ipcw"] = out.pop("count_ipcw")
    out["reoffended_ipcw"] = out.pop("any_ipcw")
    out["approached_later"] = (u.censor_stop.notna() & (u.censor_stop < end)).to_numpy()
    # time to event: one ascertainment rule for every child (see the module docstring)
    lag_ok = j.proven_date <= _add_months(j.event_date, waiting_months)
    timely = j[in_fu & j.proven_outcome.isin(counted) & lag_ok]
    first_timely = out.unit_id.map(timely.assign(d=(timely.event_date - timely.idx).dt.days).groupby("unit_id").d.min())
    horizon = (end - pd.Timedelta(days=1) - u.idx).dt.days
    trusted = (extract - pd.DateOffset(months=waiting_months) - u.idx).dt.days
    cut = (u.censor_stop - pd.Timedelta(days=1) - u.idx).dt.days
    limit = np.fmin(np.minimum(horizon, trusted), cut.astype(float)).clip(lower=0)
    hit = first_timely.notna() & (first_timely <= limit)
    out["time"] = np.where(hit, first_timely, limit).astype(float)
    out["event"] = hit.to_numpy()
    return out


def rearrest_by_child(data, children: pd.DataFrame, months: int, unit_marks: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per unit: a new custody detention within `months` of the index day (complete if the window has
    ended), its censoring-weighted version, and time-to-event data."""
    extract = pd.Timestamp(data.config.data.extract_date)
    u = _units(children)
    end = _add_months(u.idx, months) + pd.Timedelta(days=1)
    det = data.custody_detentions
    det = det.loc[det.event_kind == "custody_detention", ["person_id", "detention_id", "arrival_datetime"]]
    j = u.assign(end=end).merge(det, on="person_id")
    j["event_date"] = j.arrival_datetime.dt.normalize()
    observed = j.censor_stop.isna() | (j.event_date < j.censor_stop)
    later = j[
        (j.event_date >= j.idx + pd.Timedelta(days=1)) & (j.event_date < j.end) & (j.detention_id != j.index_detention_id) & observed
    ].copy()
    later["factor"] = _factor_at(later, unit_marks)
    out = u[["unit_id", "person_id", "idx"]].copy()
    _first_and_count(out, later, "event_date")
    days = (out.pop("first_date") - out.idx).dt.days
    out["complete"] = (end - pd.Timedelta(days=1) <= extract).to_numpy()
    out["rearrested"] = days.notna().to_numpy()
    out["rearrested_ipcw"] = out.pop("any_ipcw")
    out = out.drop(columns=["observed_count", "count_ipcw"])
    out["approached_later"] = (u.censor_stop.notna() & (u.censor_stop < end)).to_numpy()
    horizon = (end - pd.Timedelta(days=1) - u.idx).dt.days
    cut = (u.censor_stop - pd.Timedelta(days=1) - u.idx).dt.days
    limit = np.fmin(np.minimum(horizon, (extract - u.idx).dt.days), cut.astype(float)).clip(lower=0)
    hit = days.notna() & (days <= limit)
    out["time"] = np.where(hit, days, limit).astype(float)
    out["event"] = hit.to_numpy()
    return out


def first_disposal_index(data, children: pd.DataFrame) -> pd.DataFrame:
    """For each unit, the JDL-comparable index: the first caution or conviction (MoJ proven outcome)
    dated on or after the index day, for an offence committed on or before it. Units without one are
    dropped. Returns `children`'s columns with index_date replaced and `arrest_date` kept."""
    u = _units(children)
    j = join_events(
        u[["unit_id", "person_id", "idx"]],
        data.events,
        f"e.event_type = 'offence' AND e.proven_outcome IN ({_sql_list(MOJ_PROVEN_OUTCOMES)}) AND e.event_date <= f.idx "
        "AND e.proven_date >= f.idx",
        ("event_date", "proven_date"),
    )
    first = j.groupby("unit_id").proven_date.min()
    key = children.unit_id if "unit_id" in children else children.person_id
    keep = key.isin(first.index).to_numpy()
    out = children[keep].copy()
    out["arrest_date"] = out.index_date
    out["index_date"] = key[keep].map(first).to_numpy()
    return out


# --------------------------------------------------------------------------------------------
# Weights after attrition


def restricted_weights(cm: CohortMatch, keep_units: set[str]) -> pd.DataFrame:
    """Matching weights recomputed (MatchIt's rule) on the matched sets whose units are kept.

    Returns unit_id, person_id, treated, weight, subclass, cluster for units with weight > 0.
    """
    from .outcomes import joined_clusters

    r = cm.result
    data = r.data
    unit = (data.unit_id if "unit_id" in data else data.person_id).to_numpy()
    person = data.person_id.to_numpy()
    pos_of_label = {lab: i for i, lab in enumerate(data.index)}
    keep = np.isin(unit, list(keep_units))
    matches: dict[int, list[int]] = {}
    for t_label, row in r.match_matrix.iterrows():
        t = pos_of_label[t_label]
        if not keep[t]:
            continue
        cs = [pos_of_label[c] for c in row.dropna() if keep[pos_of_label[c]]]
        if cs:
            matches[t] = cs
    w = matching_weights(matches, r.treat)
    subclass = np.full(len(data), np.nan)
    if r.subclass is not None:
        for t, cs in matches.items():
            subclass[[t, *cs]] = float(r.subclass.iloc[t])
    sel = w > 0
    groups = np.where(np.isnan(subclass[sel]), unit[sel].astype(str), subclass[sel].astype(str))
    return pd.DataFrame(
        {
            "unit_id": unit[sel],
            "person_id": person[sel],
            "treated": r.treat[sel],
            "weight": w[sel],
            "subclass": subclass[sel],
            "cluster": joined_clusters(groups, person[sel]),
        }
    )


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
    return Difference(
        int(t.sum()),
        int((~t).sum()),
        float(np.average(y[t], weights=weights[t])),
        float(np.average(y[~t], weights=weights[~t])),
        b,
        lo,
        hi,
        p,
    )


def weighted_risk_ratio(y: np.ndarray, treated: np.ndarray, weights: np.ndarray, clusters: np.ndarray) -> tuple[float, float, float]:
    """Risk ratio (programme / comparison) with 95% CI from a weighted Poisson model with clustered
    errors (modified Poisson, Zou 2004); NaN when either group has no events."""
    t = treated == 1
    if not (y[t] > 0).any() or not (y[~t] > 0).any():
        return math.nan, math.nan, math.nan
    X = np.column_stack([np.ones(len(y)), treated.astype(float)])
    fit = poisson_fit(X, y.astype(float), np.zeros(len(y)), weights.astype(float), clusters, ["(Intercept)", "treated"])
    b, lo, hi, _ = fit.wald("treated")
    return math.exp(b), math.exp(lo), math.exp(hi)


@dataclass(frozen=True)
class Survival:
    """Kaplan-Meier curves by group, a weighted log-rank test and a clustered Cox hazard ratio."""

    curves: pd.DataFrame  # group, time, survival, events (unweighted number of events at that time)
    #: group, month, at_risk, events: at each month end, the children still followed and event-free (unweighted),
    #: and the events since the month before (see `numbers_at_risk`)
    at_risk: pd.DataFrame
    at_end: dict[str, float]  # share still event-free at the end of follow-up
    logrank_p: float
    hazard_ratio: float
    hr_ci_low: float
    hr_ci_high: float
    hr_p_value: float
    events: dict[str, int]


#: The length of a month in days (a Julian year over 12): Kaplan-Meier curves are published at month ends.
MONTH_DAYS = 30.4375


def follow_up_months(t_max: float) -> int:
    """Follow-up in whole months, as the windows are set (a 12-month window is 365 or 366 days)."""
    return max(1, round(t_max / MONTH_DAYS))


def numbers_at_risk(entry: np.ndarray, exit: np.ndarray, event: np.ndarray, t_max: float) -> pd.DataFrame:
    """Children still followed and event-free at each month end m = 0, 1, ... `follow_up_months(t_max)`,
    from (entry, exit] pieces of follow-up (a child's pieces are contiguous, so each is counted once; a
    child has at most one event, which ends follow-up): those followed beyond day b = m x MONTH_DAYS. At
    the last month, b is the end of follow-up less a day and a half (windows of 12 months run to day 365
    or 366) and children with an event after b are taken off, so it counts those who completed follow-up
    without the event. Unweighted: the number of children, as under published survival curves (e.g.
    survminer's risk table). `events` counts events in (previous month end, b], at the last month all
    remaining ones."""
    end = follow_up_months(t_max)
    rows, prev = [], -math.inf
    for m in range(end + 1):
        last = m == end
        b = min(end * MONTH_DAYS - 1.5, t_max - 0.5) if last else m * MONTH_DAYS
        followed = int(((entry <= b) & (exit > b)).sum()) - (int((event & (exit > b)).sum()) if last else 0)
        upto = math.inf if last else b
        rows.append({"month": m, "at_risk": followed, "events": int((event & (exit > prev) & (exit <= upto)).sum())})
        prev = b
    return pd.DataFrame(rows, columns=["month", "at_risk", "events"])


def weighted_logrank(entry: np.ndarray, exit: np.ndarray, event: np.ndarray, treated: np.ndarray, weights: np.ndarray) -> float:
    """Two-sided p-value of the weighted log-rank test on counting-process data (entry, exit]: at each
    event time, observed minus expected weighted events in the programme group, with the
    hypergeometric variance on weighted counts (as lifelines' weighted logrank_test without entry)."""
    times = np.unique(exit[event])
    o_e = var = 0.0
    t1 = treated == 1
    for t in times:
        at_risk = (entry < t) & (exit >= t)
        n = weights[at_risk].sum()
        n1 = weights[at_risk & t1].sum()
        died = at_risk & event & (exit == t)
        d = weights[died].sum()
        d1 = weights[died & t1].sum()
        if n <= 0:
            continue
        o_e += d1 - d * n1 / n
        if n > 1:
            var += d * (n1 / n) * (1 - n1 / n) * (n - d) / (n - 1)
    if var <= 0:
        return math.nan
    return float(stats.chi2.sf(o_e**2 / var, 1))


def survival_comparison(
    time: np.ndarray, event: np.ndarray, treated: np.ndarray, weights: np.ndarray, clusters: np.ndarray, entry: np.ndarray | None = None
) -> Survival:
    """Kaplan-Meier by group, weighted log-rank and clustered Cox HR. With `entry`, rows are pieces of
    follow-up (entry, time] with their own weights (time-varying censoring weights)."""
    from lifelines import CoxPHFitter, KaplanMeierFitter
    from lifelines.exceptions import ConvergenceError
    from lifelines.statistics import logrank_test

    curves, at_risk, at_end = [], [], {}
    t = treated == 1
    starts = np.zeros(len(time)) if entry is None else entry
    t_max = float(time.max()) if len(time) else 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lifelines notes that non-integer weights need robust errors: we use them
        for g, sel, label in ((1, t, "programme"), (0, ~t, "comparison")):
            km = KaplanMeierFitter().fit(time[sel], event[sel], weights=weights[sel], entry=None if entry is None else entry[sel])
            sf = km.survival_function_.iloc[:, 0]
            ev_times, ev_counts = np.unique(time[sel & (event == 1)], return_counts=True)
            at = dict(zip(ev_times.astype(float), ev_counts))
            times = sf.index.to_numpy(dtype=float)
            curves.append(
                pd.DataFrame({"group": label, "time": times, "survival": sf.to_numpy(), "events": [int(at.get(x, 0)) for x in times]})
            )
            at_end[label] = float(sf.iloc[-1])
            at_risk.append(numbers_at_risk(starts[sel], time[sel], event[sel].astype(bool), t_max).assign(group=label))
        if entry is None or not (entry > 0).any():
            lr_p = float(logrank_test(time[t], time[~t], event[t], event[~t], weights_A=weights[t], weights_B=weights[~t]).p_value)
        else:
            lr_p = weighted_logrank(entry, time, event.astype(bool), treated, weights)
        df = pd.DataFrame({"time": time, "event": event.astype(int), "treated": treated.astype(float), "w": weights, "cluster": clusters})
        coef = se = math.nan  # no hazard ratio when a group has no event: its estimate is 0 or infinite
        if event[t].any() and event[~t].any():
            kw = {"entry_col": "entry"} if entry is not None and (entry > 0).any() else {}
            if kw:
                df["entry"] = entry
            try:
                cph = CoxPHFitter().fit(df, "time", "event", weights_col="w", cluster_col="cluster", robust=True, **kw)
                coef, se = float(cph.params_["treated"]), float(cph.standard_errors_["treated"])
            except ConvergenceError:
                pass
    return Survival(
        pd.concat(curves, ignore_index=True),
        pd.concat(at_risk, ignore_index=True)[["group", "month", "at_risk", "events"]],
        at_end,
        lr_p,
        math.exp(coef),
        math.exp(coef - Z95 * se),
        math.exp(coef + Z95 * se),
        float(2 * stats.norm.sf(abs(coef / se))),
        {"programme": int(event[t].sum()), "comparison": int(event[~t].sum())},
    )


def survival_pieces(per_unit: pd.DataFrame, unit_marks: pd.DataFrame | None) -> pd.DataFrame:
    """Split each unit's follow-up (0, time] where its censoring weight changes: unit_id, entry, time,
    event (on the last piece only), factor."""
    rows = pd.DataFrame(
        {
            "unit_id": per_unit.unit_id.to_numpy(),
            "start": per_unit.idx + pd.Timedelta(days=1),
            "stop": per_unit.idx + pd.to_timedelta(per_unit.time.to_numpy() + 1, unit="D"),
        }
    )
    pieces = censoring.segment(rows, unit_marks)
    idx = per_unit.idx.to_numpy()[pieces.row.to_numpy()]
    out = pd.DataFrame(
        {
            "unit_id": pieces.unit_id.to_numpy(),
            "entry": ((pieces.start.to_numpy() - idx) / np.timedelta64(1, "D")).astype(float) - 1,
            "time": ((pieces.stop.to_numpy() - idx) / np.timedelta64(1, "D")).astype(float) - 1,
            "factor": pieces.factor.to_numpy(),
        }
    )
    last = ~pieces.row.duplicated(keep="last").to_numpy()
    out["event"] = last & per_unit.event.to_numpy()[pieces.row.to_numpy()]
    return out[(out.time > out.entry) | out.event].reset_index(drop=True)


def effective_sample_size(weights: np.ndarray) -> float:
    return float(weights.sum() ** 2 / (weights**2).sum()) if len(weights) else 0.0


def min_detectable_difference(p0: float, n1: float, n0: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """Smallest reduction p0 - p1 detectable with two-sided level alpha and the given power
    (pooled normal approximation for two proportions with group sizes n1 and n0)."""
    za, zb = stats.norm.ppf(1 - alpha / 2), stats.norm.ppf(power)

    def gap(p1: float) -> float:
        pbar = (n1 * p1 + n0 * p0) / (n1 + n0)
        need = za * math.sqrt(pbar * (1 - pbar) * (1 / n1 + 1 / n0)) + zb * math.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
        return (p0 - p1) - need

    if not 0 < p0 < 1 or n1 < 2 or n0 < 2 or gap(1e-9) < 0:
        return math.nan
    return p0 - optimize.brentq(gap, 1e-9, p0)


def sample_size_per_group(p0: float, relative_reduction: float, alpha: float = 0.05, power: float = 0.8) -> int:
    """Children per group needed to detect p0 -> p0 (1 - relative_reduction), equal groups (0 < p0 < 1)."""
    if not 0 < p0 < 1 or not 0 < relative_reduction < 1:
        raise ValueError(f"a baseline proportion in (0, 1) and a reduction in (0, 1) are needed, not {p0} and {relative_reduction}")
    p1 = p0 * (1 - relative_reduction)
    za, zb = stats.norm.ppf(1 - alpha / 2), stats.norm.ppf(power)
    pbar = (p0 + p1) / 2
    n = (za * math.sqrt(2 * pbar * (1 - pbar)) + zb * math.sqrt(p1 * (1 - p1) + p0 * (1 - p0))) ** 2 / (p0 - p1) ** 2
    return int(math.ceil(n))


# --------------------------------------------------------------------------------------------
# The whole section


@dataclass
class Measure:
    """One outcome definition (proven from the arrest, from the disposal, re-arrest m): comparisons and survival."""

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
    hidden_bias: HiddenBias | None = None
    approached_later: int = 0  # comparison units censored at a later contact within the follow-up
    excluded_no_disposal: dict[str, int] | None = None  # JDL-comparable measure only
    definition: str = ""
    matched: dict[str, int] | None = None  # units entering the measure before exclusions, by group
    units: pd.DataFrame | None = field(default=None, repr=False)  # record-level: unit_id, treated, weight, y (never published)

    def excluded_partner(self) -> dict[str, int]:
        """Units with complete follow-up left out because every child they were matched with was left out."""
        m = self.matched or {"programme": 0, "comparison": 0}
        return {
            "programme": m["programme"] - self.excluded_incomplete["programme"] - self.rate.n_treated,
            "comparison": m["comparison"] - self.excluded_incomplete["comparison"] - self.rate.n_comparison,
        }

    def to_results(self) -> dict[str, Any]:
        r = self.rate
        out = {
            "definition": self.definition,
            "n_treated": r.n_treated,
            "n_comparison": r.n_comparison,
            "treated_rate": r.treated_value,
            "comparison_rate": r.comparison_value,
            "difference": r.difference,
            "ci_low": r.ci_low,
            "ci_high": r.ci_high,
            "p_value": r.p_value,
            "hazard_ratio": self.survival.hazard_ratio,
            "hazard_ratio_ci": [self.survival.hr_ci_low, self.survival.hr_ci_high],
            "hazard_ratio_p_value": self.survival.hr_p_value,
            "logrank_p_value": self.survival.logrank_p,
            "min_detectable_difference": self.min_detectable_difference,
            "excluded_incomplete_follow_up": dict(self.excluded_incomplete),
            "excluded_matched_partner_left_out": self.excluded_partner(),
            "comparison_approached_later": self.approached_later,
            "treated_reoffenders": self.reoffenders["programme"],
        }
        if self.excluded_no_disposal is not None:
            out["excluded_no_proven_disposal"] = dict(self.excluded_no_disposal)
        if self.hidden_bias is not None:
            out["risk_ratio"] = self.hidden_bias.ratio
            out["risk_ratio_ci"] = list(self.hidden_bias.ratio_ci)
            out.update(self.hidden_bias.to_results())
        if self.frequency is not None:
            f = self.frequency
            out.update(
                {
                    "treated_frequency": f.treated_value,
                    "comparison_frequency": f.comparison_value,
                    "frequency_difference": f.difference,
                    "frequency_ci": [f.ci_low, f.ci_high],
                    "frequency_p_value": f.p_value,
                }
            )
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
    censoring_method: str = ""
    unavailable: dict[str, str] = field(default_factory=dict)  # measure -> why it could not be estimated

    def estimates(self) -> list[Estimate]:
        """Each measure's difference in the share reoffending (and in reoffences per child, and the hazard ratio)
        in the shared estimate shape; measures that could not be estimated are in `unavailable`."""
        out = []
        for m in self.measures.values():
            method = "weighted linear model, errors clustered on the matched set (Justice Data Lab)"
            parts = [("share with the event", m.rate, method)]
            if m.frequency is not None:
                parts.append(("events per child", m.frequency, method))
            for what, d, how in parts:
                out.append(
                    Estimate(
                        "reoffending",
                        f"{m.label}: {what}",
                        "difference (programme minus comparison)",
                        d.difference,
                        d.ci_low,
                        d.ci_high,
                        d.p_value,
                        d.n_treated,
                        d.n_comparison,
                        how,
                        (m.definition,) if m.definition else (),
                    )
                )
            if m.survival is not None:
                sv = m.survival
                out.append(
                    Estimate(
                        "reoffending",
                        f"{m.label}: time to the first event",
                        "ratio (hazard)",
                        sv.hazard_ratio,
                        sv.hr_ci_low,
                        sv.hr_ci_high,
                        sv.hr_p_value,
                        m.rate.n_treated,
                        m.rate.n_comparison,
                        "Cox model with the matching weights, errors clustered on the matched set",
                    )
                )
        return out

    def to_results(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: m.to_results() for k, m in self.measures.items()}
        if self.unavailable:
            out["not_estimated"] = dict(self.unavailable)
        out["power_targets"] = [
            {
                "key": r.key,
                "relative_reduction": r.relative_reduction,
                "baseline_rate": _round(r.baseline),
                "needed_per_group": None if pd.isna(r.needed_per_group) else int(r.needed_per_group),
            }
            for r in self.power_targets.itertuples()
        ]
        if self.benchmark is not None:
            out["national_benchmark"] = {
                "key": self.benchmark.name,
                "rate": float(self.benchmark.value),
                "period": self.benchmark.period,
                "like_for_like": False,
            }
        return out


def _measure(
    key: str,
    label: str,
    per_child: pd.DataFrame,
    sample: pd.DataFrame,
    cm: CohortMatch,
    outcome: str,
    count: str | None,
    min_reoffenders: int,
    unit_marks: pd.DataFrame | None = None,
    definition: str = "",
) -> Measure:
    """Compare one outcome: `outcome` and `count` name per-unit columns whose `_ipcw` versions carry the
    censoring weights; the observed versions decide suppression."""
    complete_ids = set(per_child.unit_id[per_child.complete])
    incomplete = per_child[~per_child.complete].merge(sample[["unit_id", "treated"]], on="unit_id")
    excluded = {"programme": int((incomplete.treated == 1).sum()), "comparison": int((incomplete.treated == 0).sum())}
    rw = restricted_weights(cm, complete_ids).merge(per_child.drop(columns="person_id"), on="unit_id")
    if (rw.treated == 1).sum() < 2 or (rw.treated == 0).sum() < 2:
        # The sentence reaches the report, so it names no count (the counts of children are disclosure-controlled).
        raise ReoffendingError(
            f"too few matched programme or comparison children have complete follow-up for {label.lower()} by the extract date"
        )
    if not rw[outcome].to_numpy().astype(bool).any():
        raise ReoffendingError(f"no matched child in either group had {label[0].lower() + label[1:]}, so there is nothing to compare")
    y = rw[f"{outcome}_ipcw"].to_numpy(float)
    tr, w, cl = rw.treated.to_numpy(), rw.weight.to_numpy(float), rw.cluster.to_numpy()
    rate = weighted_difference(y, tr, w, cl)
    freq = weighted_difference(rw[f"{count}_ipcw"].to_numpy(float), tr, w, cl) if count else None
    t = tr == 1
    observed = rw[outcome].to_numpy().astype(bool)
    reoffenders = {"programme": int(observed[t].sum()), "comparison": int(observed[~t].sum())}
    per_reoff = days = None
    if count and reoffenders["programme"] >= min_reoffenders and freq is not None:
        per_reoff, days = {}, {}
        for label_g, sel in (("programme", t), ("comparison", ~t)):
            share = np.average(y[sel], weights=w[sel])
            per_reoff[label_g] = float(np.average(rw[f"{count}_ipcw"].to_numpy(float)[sel], weights=w[sel]) / share) if share else math.nan
            wy = w[sel] * y[sel]
            d = rw.days_to_first.to_numpy(float)[sel]
            ok = wy > 0
            days[label_g] = float(np.average(d[ok], weights=wy[ok])) if ok.any() else math.nan
    rr = weighted_risk_ratio(y, tr, w, cl)
    diffs = matched_set_differences(rw.assign(v=y), "v") if rw.subclass.notna().any() else None
    gamma = gamma_if_significant((rate.ci_low, rate.ci_high), 0.0, diffs)
    hidden = HiddenBias(
        rr[0], (rr[1], rr[2]), e_value(rr[0]), e_value_ci(rr[1], rr[2]) if math.isfinite(rr[1]) else math.nan, gamma, "risk ratio"
    )
    # survival on every matched unit, incomplete ones censored, original weights and matched sets
    sv = sample.merge(per_child.drop(columns="person_id"), on="unit_id")
    pieces = survival_pieces(sv, unit_marks).merge(sv[["unit_id", "treated", "weight", "cluster"]], on="unit_id")
    surv = survival_comparison(
        pieces.time.to_numpy(float),
        pieces.event.to_numpy(bool),
        pieces.treated.to_numpy(),
        (pieces.weight * pieces.factor).to_numpy(float),
        pieces.cluster.to_numpy(),
        pieces.entry.to_numpy(float),
    )
    ess = effective_sample_size(w[~t])
    mdd = min_detectable_difference(rate.comparison_value, int(t.sum()), ess)
    later = int((rw.approached_later & (rw.treated == 0)).sum())
    units = rw[["unit_id", "treated", "weight"]].assign(y=y)
    matched = {"programme": int((sample.treated == 1).sum()), "comparison": int((sample.treated == 0).sum())}
    return Measure(
        key,
        label,
        rate,
        freq,
        surv,
        per_reoff,
        days,
        reoffenders,
        excluded,
        mdd,
        ess,
        min_reoffenders,
        hidden,
        later,
        definition=definition,
        units=units,
        matched=matched,
    )


def analyse(data, cm: CohortMatch, model: censoring.ApproachModel | None = None, mode: str | None = None) -> ReoffendingResult:
    """Proven reoffending (both definitions, from the arrest and from the first proven disposal),
    re-arrest windows, survival, power and benchmark context."""
    from .outcomes import matched_sample

    if data.events is None:
        raise ValueError("the reoffending measures need the events table (offences with their outcomes)")
    rc = data.config.reoffending
    mode = mode or getattr(data.config.outcomes, "later_approach", "censor")
    sample = matched_sample(cm)
    if mode == "ignore":
        sample = sample.assign(censor_date=pd.NaT)
        unit_marks = None
    else:
        model = model or censoring.fit_approach_model(data)
        unit_marks = censoring.marks(model, sample)
    measures: dict[str, Measure] = {}
    unavailable: dict[str, str] = {}
    fu, wait = rc.follow_up_months, rc.waiting_months
    main_is_diversion = rc.count_diversion_outcomes
    arrest = "Proven reoffending from the index arrest (MoJ counting rules)"
    for key, include, label in (
        (("proven", main_is_diversion, arrest + (", including community resolutions and Outcome 22" if main_is_diversion else ""))),
        (
            "proven_including_diversion" if not main_is_diversion else "proven_excluding_diversion",
            not main_is_diversion,
            arrest
            + (
                ", counting community resolutions and Outcome 22"
                if not main_is_diversion
                else ", without community resolutions and Outcome 22"
            ),
        ),
    ):
        per_child = proven_reoffending_by_child(data, sample, fu, wait, include_diversion=include, unit_marks=unit_marks)
        measures[key] = _measure(
            key, label, per_child, sample, cm, "reoffended", "proven_reoffences", rc.min_reoffenders, unit_marks, FROM_ARREST
        )  # the main measure: if it cannot be estimated, the section says why
    # JDL-comparable: from the first proven disposal
    disposed = first_disposal_index(data, sample)
    none = sample[~sample.unit_id.isin(disposed.unit_id)]
    try:
        per_child = proven_reoffending_by_child(data, disposed, fu, wait, include_diversion=main_is_diversion, unit_marks=unit_marks)
        m = _measure(
            "proven_from_disposal",
            "Proven reoffending from the first proven disposal (JDL-comparable)",
            per_child,
            disposed,
            cm,
            "reoffended",
            "proven_reoffences",
            rc.min_reoffenders,
            unit_marks,
            FROM_DISPOSAL,
        )
        m.excluded_no_disposal = {"programme": int((none.treated == 1).sum()), "comparison": int((none.treated == 0).sum())}
        measures["proven_from_disposal"] = m
    except ReoffendingError as exc:
        unavailable["proven_from_disposal"] = str(exc)
    for m_ in rc.rearrest_windows_months:
        if not (data.custody_detentions.event_kind == "custody_detention").any():
            unavailable[f"rearrest_{m_}m"] = (
                "re-arrest is counted from custody detentions, and the index-event table holds none "
                f"(only {', '.join(k.replace('_', ' ').replace('out of court', 'out-of-court') + 's' for k in data.config.programme.index_events)})"
            )
            continue
        per_child = rearrest_by_child(data, sample, m_, unit_marks)
        try:
            measures[f"rearrest_{m_}m"] = _measure(
                f"rearrest_{m_}m",
                f"Re-arrest within {m_} months",
                per_child,
                sample,
                cm,
                "rearrested",
                None,
                rc.min_reoffenders,
                unit_marks,
                f"any new custody detention within {m_} months of the index day",
            )
        except ReoffendingError as exc:
            unavailable[f"rearrest_{m_}m"] = str(exc)
    bm = benchmarks()
    base = measures["proven"].rate.comparison_value
    targets = pd.DataFrame(
        [
            {
                "key": k,
                "relative_reduction": float(bm.loc[k, "value"]),
                "baseline": base,
                "needed_per_group": sample_size_per_group(base, float(bm.loc[k, "value"])) if 0 < base < 1 else None,
                "citation": bm.loc[k, "citation"],
                "applies_to": bm.loc[k, "applies_to"],
                "url": bm.loc[k, "url"],
            }
            for k in rc.power_targets
        ]
    )
    benchmark = bm.loc[rc.national_benchmark] if rc.national_benchmark else None
    notes = []
    p = measures["proven"]
    if p.excluded_incomplete["programme"] or p.excluded_incomplete["comparison"]:
        notes.append(
            f"{p.excluded_incomplete['programme']} programme and {p.excluded_incomplete['comparison']} comparison children are "
            f"left out of the one-year proven measures: their {fu}-month follow-up plus the {wait}-month waiting period had not "
            f"ended by the extract date ({data.config.data.extract_date:%-d %B %Y}). They stay, censored, in the time-to-reoffence analysis."
        )
    return ReoffendingResult(
        measures,
        targets,
        benchmark,
        fu,
        wait,
        data.config.data.extract_date,
        notes,
        censoring.describe(model if mode != "ignore" else None, mode),
        unavailable,
    )
