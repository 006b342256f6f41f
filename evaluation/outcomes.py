"""Before/after comparisons of offending, victimisation and missing episodes for the matched sample:
difference-in-differences on counts, with regression to the mean made visible.

Windows (calendar months, configurable, default 6 and 12): *before* is the m months up to but not
including the index day; *after* starts the day after the index day and runs m months. The index
day itself (the arrest that selected the child) is in neither, and the index arrest's own offence
(linked through events.detention_id) is never counted. When the extract date cuts an after-window
short, or the start of event recording cuts a before-window short, the rate uses the days actually
observed and the window is flagged. A placebo pre-period (2m to m months before) checks trends.

Estimates, per outcome and window:
* per group and period: mean count, rate per child-year, share with any event (matching weights);
* the naive before/after change of the programme group alone (as IOM-style tables show it);
* difference-in-differences: Poisson regression of counts on group, period and their interaction
  with a log-exposure offset and the matching weights; standard errors clustered on the matched set
  (sandwich::vcovCL's HC1); the ratio of rate ratios exp(b_interaction) with 95% CI and p-value;
* a linear DiD on 'any event' (percentage points), the same weights and clustering;
* a negative-binomial (NB2) check when the Poisson fit is overdispersed;
* a placebo DiD between the two pre-periods, where data cover them.
Counting runs in DuckDB (events as a DataFrame or a Parquet file), identical to `count_events_pandas`.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .matching import CohortMatch, match_comparison
from .stats import Fit, linear_fit, nb2_alpha, poisson_fit

OUTCOMES: dict[str, tuple[str, str]] = {
    "offending": ("offence", "Offences (as suspect or accused)"),
    "victimisation": ("victimisation", "Victimisations"),
    "missing_episodes": ("missing_episode", "Missing episodes"),
}
EVENT_TYPES = [v[0] for v in OUTCOMES.values()]
PRIOR_OUTCOME_COVARIATES = ("prior_offences_12m", "prior_victimisations_12m", "prior_missing_episodes_12m")
DAYS_PER_YEAR = 365.25


# --------------------------------------------------------------------------------------------
# Windows and counts


def matched_sample(cm: CohortMatch) -> pd.DataFrame:
    """The matched children: person, index, group, matching weight and cluster (matched set)."""
    r = cm.result
    keep = r.weights > 0
    t = r.data.loc[keep]
    out = pd.DataFrame({
        "person_id": t.person_id.to_numpy(), "index_date": t.index_date.to_numpy(),
        "index_detention_id": t.index_detention_id.to_numpy(), "treated": t.treated.to_numpy().astype(int),
        "weight": r.weights[keep].to_numpy(),
    })
    if r.subclass is not None:
        out["cluster"] = r.subclass[keep].astype("int64").to_numpy()
    else:  # with replacement there are no disjoint matched sets: cluster on the child
        out["cluster"] = pd.factorize(out.person_id)[0]
    return out


def person_windows(sample: pd.DataFrame, windows_months: list[int], extract_date: dt.date, events_start: dt.date,
                   placebo: bool = True) -> pd.DataFrame:
    """One row per child x window x period with its dates (stop exclusive), observed days and a censoring flag."""
    idx = pd.to_datetime(sample.index_date)
    data_end = pd.Timestamp(extract_date) + pd.Timedelta(days=1)
    data_start = pd.Timestamp(events_start)
    one_day = pd.Timedelta(days=1)
    frames = []
    for m in windows_months:
        span = pd.DateOffset(months=m)
        periods = {"before": (idx - span, idx), "after": (idx + one_day, idx + one_day + span)}
        if placebo:
            periods["before_2"] = (idx - 2 * span, idx - span)
        for period, (start, stop) in periods.items():
            full = (stop - start).dt.days
            obs_start = start.where(start >= data_start, data_start)
            obs_stop = stop.where(stop <= data_end, data_end)
            days = (obs_stop - obs_start).dt.days.clip(lower=0)
            frames.append(pd.DataFrame({
                "person_id": sample.person_id.to_numpy(), "index_detention_id": sample.index_detention_id.to_numpy(),
                "window_months": m, "period": period, "start": obs_start.to_numpy(), "stop": obs_stop.to_numpy(),
                "days": days.to_numpy(), "censored": (days < full).to_numpy(),
            }))
    return pd.concat(frames, ignore_index=True)


_COUNT_SQL = """
SELECT w.row_id, {counts}
FROM windows AS w
LEFT JOIN {events} AS e
  ON e.person_id = w.person_id
 AND e.event_date >= w.start AND e.event_date < w.stop
 AND (e.detention_id IS NULL OR e.detention_id <> w.index_detention_id)
GROUP BY w.row_id
ORDER BY w.row_id
"""


def count_events(windows: pd.DataFrame, events: pd.DataFrame | str | Path) -> pd.DataFrame:
    """Events of each type per window row, counted in DuckDB. `events` may be the validated events
    table or the path of a Parquet file (read by DuckDB directly, so it need not fit in pandas)."""
    import duckdb

    con = duckdb.connect()
    try:
        w = windows[["person_id", "index_detention_id", "start", "stop"]].copy()
        w["row_id"] = np.arange(len(w))
        w["start"] = pd.to_datetime(w.start).dt.date
        w["stop"] = pd.to_datetime(w.stop).dt.date
        con.register("windows", w)
        if isinstance(events, (str, Path)):
            source = f"(SELECT person_id, CAST(event_date AS DATE) AS event_date, event_type, detention_id FROM read_parquet('{Path(events)}'))"
        else:
            ev = events[["person_id", "event_date", "event_type", "detention_id"]].copy()
            ev["event_date"] = pd.to_datetime(ev.event_date).dt.date
            ev["detention_id"] = ev.detention_id.astype(object).where(ev.detention_id.notna(), None)
            con.register("events_in", ev)
            source = "events_in"
        counts = ", ".join(f"count(e.event_type) FILTER (WHERE e.event_type = '{t}') AS {t}" for t in EVENT_TYPES)
        out = con.execute(_COUNT_SQL.format(counts=counts, events=source)).df()
    finally:
        con.close()
    out = out.drop(columns="row_id").astype("int64")
    out.index = windows.index
    return out


def count_events_pandas(windows: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """Reference implementation of count_events in plain pandas (for tests and small data)."""
    w = windows[["person_id", "index_detention_id", "start", "stop"]].reset_index().rename(columns={"index": "row"})
    ev = events[["person_id", "event_date", "event_type", "detention_id"]]
    j = w.merge(ev, on="person_id", how="inner")
    keep = (j.event_date >= j.start) & (j.event_date < j.stop) & (j.detention_id.isna() | (j.detention_id != j.index_detention_id))
    c = j[keep].groupby(["row", "event_type"]).size().unstack(fill_value=0)
    c = c.reindex(index=w.row, columns=EVENT_TYPES, fill_value=0).astype("int64")
    c.index = windows.index
    c.columns.name = None
    return c


# --------------------------------------------------------------------------------------------
# Estimates


@dataclass
class BeforeAfter:
    """One outcome, one window: group/period summaries and the estimates."""

    outcome: str
    window_months: int
    summary: pd.DataFrame  # group, period, children, mean_count, rate, rate_ci_low, rate_ci_high, share_any, censored
    did: dict[str, float]
    naive: dict[str, float]
    any_event_did: dict[str, float]
    nb_check: dict[str, float] | None
    placebo: dict[str, float] | None
    dispersion: float

    def rate(self, group: str, period: str) -> float:
        s = self.summary.set_index(["group", "period"])
        return float(s.loc[(group, period), "rate"])

    def to_results(self) -> dict[str, Any]:
        out = {
            "treated_before_rate": self.rate("programme", "before"), "treated_after_rate": self.rate("programme", "after"),
            "comparison_before_rate": self.rate("comparison", "before"), "comparison_after_rate": self.rate("comparison", "after"),
            "naive_change": self.naive["change"], "naive_change_ci": [self.naive["ci_low"] - 1, self.naive["ci_high"] - 1],
            "rate_ratio": self.did["rate_ratio"], "ci_low": self.did["ci_low"], "ci_high": self.did["ci_high"],
            "p_value": self.did["p_value"],
            "any_event_difference_pp": self.any_event_did["difference_pp"],
            "any_event_difference_pp_ci": [self.any_event_did["ci_low_pp"], self.any_event_did["ci_high_pp"]],
            "dispersion": self.dispersion,
        }
        if self.nb_check:
            out["negative_binomial_rate_ratio"] = self.nb_check["rate_ratio"]
            out["negative_binomial_ci"] = [self.nb_check["ci_low"], self.nb_check["ci_high"]]
        if self.placebo:
            out["placebo_rate_ratio"] = self.placebo["rate_ratio"]
            out["placebo_ci"] = [self.placebo["ci_low"], self.placebo["ci_high"]]
            out["placebo_p_value"] = self.placebo["p_value"]
        return {k: (round(v, 6) if isinstance(v, float) else [round(x, 6) for x in v] if isinstance(v, list) else v) for k, v in out.items()}


def _did_design(panel: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    t = panel.treated.to_numpy(float)
    p = panel.post.to_numpy(float)
    return np.column_stack([np.ones(len(panel)), t, p, t * p]), ["(Intercept)", "treated", "post", "treated:post"]


def _ratio(fit: Fit, name: str) -> dict[str, float]:
    b, lo, hi, p = fit.wald(name)
    return {"rate_ratio": math.exp(b), "ci_low": math.exp(lo), "ci_high": math.exp(hi), "p_value": p, "log_se": fit.se(name)}


def did_poisson(panel: pd.DataFrame, alpha: float = 0.0) -> tuple[dict[str, float], Fit]:
    """Ratio of rate ratios exp(b_treated:post) from a weighted Poisson (or NB2) DiD with log-exposure offset."""
    X, names = _did_design(panel)
    fit = poisson_fit(X, panel.y.to_numpy(float), np.log(panel.exposure_years.to_numpy()), panel.weight.to_numpy(float),
                      panel.cluster.to_numpy(), names, alpha=alpha)
    return _ratio(fit, "treated:post"), fit


def _panel(counts: pd.DataFrame, sample: pd.DataFrame, event_type: str, pre: str, post: str) -> pd.DataFrame:
    c = counts[counts.period.isin([pre, post]) & (counts.days > 0)]
    c = c.merge(sample[["person_id", "treated", "weight", "cluster"]], on="person_id")
    return pd.DataFrame({
        "person_id": c.person_id, "treated": c.treated, "post": (c.period == post).astype(int), "y": c[event_type].astype(float),
        "exposure_years": c.days / DAYS_PER_YEAR, "weight": c.weight, "cluster": c.cluster, "censored": c.censored,
    }).reset_index(drop=True)


def _group_summary(panel: pd.DataFrame) -> pd.DataFrame:
    """Per group and period: weighted mean count, rate per child-year with 95% CI (saturated weighted
    Poisson model, clustered), share with any event, children, censored windows."""
    cells = [(g, p) for g in (1, 0) for p in (0, 1)]
    X = np.column_stack([((panel.treated == g) & (panel.post == p)).to_numpy(float) for g, p in cells])
    fit = poisson_fit(X, panel.y.to_numpy(float), np.log(panel.exposure_years.to_numpy()), panel.weight.to_numpy(float),
                      panel.cluster.to_numpy(), [f"{g}{p}" for g, p in cells])
    rows = []
    for j, (g, p) in enumerate(cells):
        sel = ((panel.treated == g) & (panel.post == p)).to_numpy()
        w = panel.weight.to_numpy()[sel]
        y = panel.y.to_numpy()[sel]
        b, lo, hi, _ = fit.wald(f"{g}{p}")
        rows.append({"group": "programme" if g == 1 else "comparison", "period": "after" if p == 1 else "before",
                     "children": int(sel.sum()), "mean_count": float(np.average(y, weights=w)),
                     "rate": math.exp(b), "rate_ci_low": math.exp(lo), "rate_ci_high": math.exp(hi),
                     "share_any": float(np.average(y > 0, weights=w)), "censored": int(panel.censored.to_numpy()[sel].sum())})
    return pd.DataFrame(rows)


def before_after(counts: pd.DataFrame, sample: pd.DataFrame, outcome: str, window: int, placebo: bool = True,
                 overdispersion_threshold: float = 1.5) -> BeforeAfter:
    event_type = OUTCOMES[outcome][0]
    wc = counts[counts.window_months == window]
    panel = _panel(wc, sample, event_type, "before", "after")
    did, fit = did_poisson(panel)
    # naive: the programme group's own before/after change (children are their own clusters)
    tp = panel[panel.treated == 1]
    Xn = np.column_stack([np.ones(len(tp)), tp.post.to_numpy(float)])
    nfit = poisson_fit(Xn, tp.y.to_numpy(float), np.log(tp.exposure_years.to_numpy()), tp.weight.to_numpy(float),
                       tp.person_id.to_numpy(), ["(Intercept)", "post"])
    naive = _ratio(nfit, "post")
    naive["change"] = naive["rate_ratio"] - 1
    # linear DiD on any event
    X, names = _did_design(panel)
    lfit = linear_fit(X, (panel.y.to_numpy() > 0).astype(float), panel.weight.to_numpy(float), panel.cluster.to_numpy(), names)
    b, lo, hi, p = lfit.wald("treated:post")
    any_did = {"difference_pp": 100 * b, "ci_low_pp": 100 * lo, "ci_high_pp": 100 * hi, "p_value": p}
    nb = None
    if fit.dispersion > overdispersion_threshold:
        alpha = nb2_alpha(panel.y.to_numpy(float), fit.mu, panel.weight.to_numpy(float))
        nb, _ = did_poisson(panel, alpha=alpha)
        nb["alpha"] = alpha
    plc = None
    if placebo and (wc.period == "before_2").any():
        pp = _panel(wc, sample, event_type, "before_2", "before")
        full = pp.groupby("post").exposure_years.sum()
        if len(full) == 2 and (pp[pp.post == 0].exposure_years > 0).sum() >= 0.5 * (pp.post == 0).sum():
            plc, _ = did_poisson(pp)
    return BeforeAfter(outcome, window, _group_summary(panel), did, naive, any_did, nb, plc, fit.dispersion)


@dataclass
class OutcomesResult:
    """All outcomes x windows, plus the sensitivity check without prior outcomes in the matching."""

    results: dict[str, dict[int, BeforeAfter]]
    windows: pd.DataFrame
    counts: pd.DataFrame
    prior_outcomes_matched: bool
    sensitivity: dict[str, dict[int, dict[str, float]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    sample: pd.DataFrame | None = None  # the matched children: person_id, treated, weight, cluster

    def get(self, outcome: str, window: int) -> BeforeAfter:
        return self.results[outcome][window]

    def to_results(self) -> dict[str, Any]:
        out: dict[str, Any] = {o: {str(w): ba.to_results() for w, ba in by_w.items()} for o, by_w in self.results.items()}
        for o, by_w in self.sensitivity.items():
            for w, s in by_w.items():
                out[o][str(w)]["rate_ratio_without_prior_outcome_matching"] = round(s["rate_ratio"], 6)
                out[o][str(w)]["ci_without_prior_outcome_matching"] = [round(s["ci_low"], 6), round(s["ci_high"], 6)]
        out["prior_outcomes_used_in_matching"] = self.prior_outcomes_matched
        return out


def events_start_date(data) -> dt.date:
    """First day events are recorded: [data] events_start if set, else the earliest event date."""
    configured = getattr(data.config.data, "events_start", None)
    if configured:
        return configured
    return data.events.event_date.min().date()


def analyse(data, cm: CohortMatch, windows_months: list[int] | None = None, placebo: bool = True,
            overdispersion_threshold: float = 1.5, sensitivity: CohortMatch | None = None) -> OutcomesResult:
    """Before/after estimates for every outcome and window on the matched sample `cm`.

    `sensitivity`: the same comparison matched without prior outcome counts (Daw & Hatfield 2018);
    its DiD rate ratios are reported beside the main ones.
    """
    if data.events is None:
        raise ValueError("the before/after comparisons need the events table")
    windows_months = sorted(windows_months or [6, 12])
    start = events_start_date(data)
    sample = matched_sample(cm)
    win = person_windows(sample, windows_months, data.config.data.extract_date, start, placebo)
    counts = pd.concat([win, count_events(win, data.events)], axis=1)
    results = {o: {w: before_after(counts, sample, o, w, placebo, overdispersion_threshold) for w in windows_months} for o in OUTCOMES}
    prior = any(c in PRIOR_OUTCOME_COVARIATES for c in cm.covariates)
    notes = []
    if prior:
        notes.append("Prior counts of the outcomes were matching covariates. When the groups' underlying levels differ, matching on "
                     "pre-period outcomes can bias a difference-in-differences through regression to the mean (Daw & Hatfield 2018, "
                     "Health Services Research 53(6)); the estimate from a matching without them is shown beside the main one.")
    sens = {}
    if sensitivity is not None:
        s_sample = matched_sample(sensitivity)
        s_win = person_windows(s_sample, windows_months, data.config.data.extract_date, start, placebo=False)
        s_counts = pd.concat([s_win, count_events(s_win, data.events)], axis=1)
        for o, (event_type, _) in OUTCOMES.items():
            sens[o] = {}
            for w in windows_months:
                panel = _panel(s_counts[s_counts.window_months == w], s_sample, event_type, "before", "after")
                sens[o][w] = did_poisson(panel)[0]
    censored = int(win[(win.period == "after") & win.censored].person_id.nunique())
    if censored:
        notes.append(f"{censored} child(ren) had an after-window cut short by the extract date; their rates use the days observed.")
    return OutcomesResult(results, win, counts, prior, sens, notes, sample)


def compare_before_after(data, cohort, cm: CohortMatch) -> OutcomesResult:
    """The outcomes stage as `[outcomes]` in the config says, with the sensitivity re-match when
    prior outcome counts were matching covariates."""
    oc = data.config.outcomes
    sensitivity = None
    if oc.sensitivity_without_prior_outcomes and any(c in PRIOR_OUTCOME_COVARIATES for c in cm.covariates):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sensitivity = match_comparison(cohort, data.config, [c for c in cm.covariates if c not in PRIOR_OUTCOME_COVARIATES])
    return analyse(data, cm, list(oc.windows_months), oc.placebo, oc.overdispersion_threshold, sensitivity)
