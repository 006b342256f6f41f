"""Before/after comparisons of offending, victimisation and missing episodes for the matched sample:
difference-in-differences on counts, with regression to the mean made visible.

Windows (calendar months, configurable, default 6 and 12): *before* is the m months up to but not
including the index day; *after* starts the day after the index day and runs m months. The index
day itself (the arrest that selected the child) is in neither, and the index arrest's own offence
(linked through events.detention_id) is never counted. When the extract date cuts an after-window
short, or the start of event recording cuts a before-window short, the rate uses the days actually
observed and the window is flagged. Comparison children approached by the programme later are
censored at that contact, with inverse probability of censoring weights (evaluation.censoring). A
placebo pre-period (2m to m months before) checks trends, and its result is read from its numbers:
an equivalence test against `[outcomes] placebo_equivalence_margin` and a comparison with the
size of the estimated effect.

Estimates, per outcome and window:
* per group and period: mean count, rate per child-year, share with any event (matching weights);
* the naive before/after change of the programme group alone (as IOM-style tables show it);
* difference-in-differences: Poisson regression of counts on group, period and their interaction
  with a log-exposure offset and the matching weights; standard errors clustered on the matched set
  joined with the child (a child can hold two index events); the ratio of rate ratios
  exp(b_interaction) with 95% CI and p-value;
* a linear DiD on 'any event' (percentage points), the same weights and clustering;
* a negative-binomial (NB2) check when the Poisson fit is overdispersed;
* a placebo DiD between the two pre-periods, where data cover them;
* E-values and Rosenbaum bounds (evaluation.sensitivity).

Matching for the DiD (`[outcomes] did_matching`, after Daw & Hatfield 2018, Health Services Research
53(6)): by default the matching leaves out the children's earlier offending, victimisation, missing
episodes and detentions, since the DiD already allows for differences in the groups' earlier
levels and matching on the very counts it compares can create regression to the mean when the
groups' underlying levels differ. The estimates matching on the 12 months before (as the main
matching does) and on an earlier window (13 to 24 months before) are reported beside it, with the
estimate that follows comparison children through a later approach (no censoring).
Counting runs in DuckDB (events as a DataFrame or a Parquet file), identical to `count_events_pandas`.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard, cast

import numpy as np
import pandas as pd

from . import censoring
from .estimate import Estimate
from .matching import CohortMatch, MatchingError, match_comparison
from .sensitivity import HiddenBias, e_value, e_value_ci, gamma_if_significant, matched_set_differences
from .stats import Fit, linear_fit, nb2_alpha, poisson_fit

if TYPE_CHECKING:
    from .engine import EventTable

OUTCOMES: dict[str, tuple[str, str]] = {
    "offending": ("offence", "Offences (as suspect or accused)"),
    "victimisation": ("victimisation", "Victimisations"),
    "missing_episodes": ("missing_episode", "Missing episodes"),
}
EVENT_TYPES = [v[0] for v in OUTCOMES.values()]
PRIOR_OUTCOME_COVARIATES = ("prior_offences_12m", "prior_victimisations_12m", "prior_missing_episodes_12m")
#: Earlier counts that proxy the outcome: left out of the DiD's default matching with the outcomes themselves.
PRIOR_PROXY_COVARIATES = PRIOR_OUTCOME_COVARIATES + ("prior_detentions_12m",)
EARLIER_WINDOW_COVARIATES = (
    "prior_offences_13_24m",
    "prior_victimisations_13_24m",
    "prior_missing_episodes_13_24m",
    "prior_detentions_13_24m",
)
DAYS_PER_YEAR = 365.25
#: The matchings a DiD can rest on, in the order they are reported.
DID_MATCHINGS: dict[str, str] = {
    "without_prior_outcomes": "Matched without earlier outcome counts or detentions",
    "with_prior_outcomes": "Matched also on the 12 months before (outcome counts and detentions)",
    "earlier_window": "Matched on an earlier window (13 to 24 months before) instead",
}
FOLLOWED_THROUGH = "followed_through_later_approach"
SPECIFICATION_LABELS = {**DID_MATCHINGS, FOLLOWED_THROUGH: "Comparison children followed through a later approach (no censoring)"}


# --------------------------------------------------------------------------------------------
# The matched sample, windows and counts


def joined_clusters(groups: np.ndarray, person: np.ndarray) -> np.ndarray:
    """Cluster labels: units are in one cluster when they share a matched set (`groups`) or a child
    (connected components), so standard errors allow for a child who holds two index events."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(groups)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    g = pd.factorize(pd.Series(groups, dtype=object).astype(str))[0]
    p = pd.factorize(pd.Series(person, dtype=object).astype(str))[0]
    n_g = int(g.max()) + 1
    rows = np.concatenate([np.arange(n), np.arange(n)])
    cols = np.concatenate([n + g, n + n_g + p])
    size = n + n_g + int(p.max()) + 1
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(size, size))
    _, labels = connected_components(graph, directed=False)
    return pd.factorize(labels[:n])[0].astype(np.int64)


def matched_sample(cm: CohortMatch) -> pd.DataFrame:
    """The matched units: unit (index event), child, index, group, matching weight, matched set
    (`subclass`, None with replacement), cluster, and the censoring date (first later contact)."""
    r = cm.result
    keep = (r.weights > 0).to_numpy()
    t = r.data.loc[keep]
    unit = t.unit_id.to_numpy() if "unit_id" in t else t.person_id.to_numpy()
    censor = (
        pd.to_datetime(t.approached_later_date).to_numpy()
        if "approached_later_date" in t
        else np.full(len(t), np.datetime64("NaT"), dtype="datetime64[ns]")
    )
    subclass = r.subclass[keep].astype("float").to_numpy() if r.subclass is not None else np.full(len(t), np.nan)
    out = pd.DataFrame(
        {
            "unit_id": unit,
            "person_id": t.person_id.to_numpy(),
            "index_date": pd.to_datetime(t.index_date).to_numpy(),
            "index_detention_id": t.index_detention_id.to_numpy(),
            "treated": t.treated.to_numpy().astype(int),
            "weight": r.weights[keep].to_numpy(),
            "subclass": subclass,
        }
    )
    out["censor_date"] = pd.to_datetime(censor)
    groups = np.where(np.isnan(subclass), out.unit_id.astype(str), subclass.astype(str))  # with replacement: the unit
    out["cluster"] = joined_clusters(groups, out.person_id.to_numpy())
    return out


def person_windows(
    sample: pd.DataFrame, windows_months: list[int], extract_date: dt.date, events_start: dt.date, placebo: bool = True, censor: bool = True
) -> pd.DataFrame:
    """One row per unit x window x period: dates observed (`start`, `stop`; stop exclusive), the days
    that count as exposure (`days`: cut by the data's coverage, not by censoring, since censored
    follow-up is weighted back), whether coverage cut it (`censored`) and whether the unit's later
    approach cut it (`approached_later`)."""
    idx = pd.to_datetime(sample.index_date)
    data_end = pd.Timestamp(extract_date) + pd.Timedelta(days=1)
    data_start = pd.Timestamp(events_start)
    one_day = pd.Timedelta(days=1)
    censor_stop = (
        pd.to_datetime(sample.censor_date) + one_day if ("censor_date" in sample and censor) else pd.Series(pd.NaT, index=sample.index)
    )
    unit = sample.unit_id if "unit_id" in sample else sample.person_id
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
            cut = (censor_stop < obs_stop) if period == "after" else pd.Series(False, index=sample.index)
            cut = cut.fillna(False).astype(bool)
            frames.append(
                pd.DataFrame(
                    {
                        "unit_id": unit.to_numpy(),
                        "person_id": sample.person_id.to_numpy(),
                        "index_detention_id": sample.index_detention_id.to_numpy(),
                        "window_months": m,
                        "period": period,
                        "start": obs_start.to_numpy(),
                        "stop": obs_stop.where(~cut, censor_stop).where(lambda s: s > obs_start, obs_start).to_numpy(),
                        "days": days.to_numpy(),
                        "full_days": full.to_numpy(),
                        "censored": (days < full).to_numpy(),
                        "approached_later": cut.to_numpy(),
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


_COUNT_SQL = """
SELECT w.row_id, {counts}
FROM windows AS w
LEFT JOIN {events} AS e
  ON e.person_id = w.person_id
 AND e.event_date >= w.start AND e.event_date < w.stop
 AND (e.detention_id IS NULL OR e.detention_id IS DISTINCT FROM w.index_detention_id)
GROUP BY w.row_id
ORDER BY w.row_id
"""


def count_events(windows: pd.DataFrame, events: "EventTable | pd.DataFrame | str | Path") -> pd.DataFrame:
    """Events of each type per window row [start, stop), leaving out the window's own index offence, counted in
    DuckDB. `events` is the engine's events table, a DataFrame of events, or the path of a Parquet file (read by
    DuckDB directly, so it need not fit in pandas)."""
    import duckdb

    from .engine import EventTable

    con = duckdb.connect()
    try:
        w = windows[["person_id", "index_detention_id", "start", "stop"]].copy()
        w["row_id"] = np.arange(len(w))
        w["start"] = pd.to_datetime(w.start).dt.date
        w["stop"] = pd.to_datetime(w.stop).dt.date
        con.register("windows", w)
        if isinstance(events, (str, Path, EventTable)):
            relation = events.relation() if isinstance(events, EventTable) else f"read_parquet('{Path(events)}')"
            source = f"(SELECT person_id, CAST(event_date AS DATE) AS event_date, event_type, detention_id FROM {relation})"
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


def weighted_counts(windows: pd.DataFrame, events, unit_marks: pd.DataFrame | None) -> pd.DataFrame:
    """Per window row and event type: the count observed (`<type>`), the count weighted for censoring at
    a later approach (`<type>_ipcw`) and the weighted 'any event' (`<type>_any_ipcw`); see evaluation.censoring."""
    pieces = censoring.segment(windows, unit_marks)
    pieces = pieces.join(windows[["person_id", "index_detention_id"]].reset_index(drop=True), on="row")
    raw = count_events(pieces, events)
    out = pd.DataFrame(index=windows.index)
    for t in EVENT_TYPES:
        c = raw[t].to_numpy(float)
        total, any_ = censoring.weighted_total(c, pieces, len(windows))
        observed = np.zeros(len(windows))
        np.add.at(observed, pieces.row.to_numpy(), c)
        out[t] = observed.astype("int64")
        out[f"{t}_ipcw"] = total
        out[f"{t}_any_ipcw"] = any_
    return out


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
    placebo_check: dict[str, Any] | None = None
    hidden_bias: HiddenBias | None = None
    fit: Fit | None = field(default=None, repr=False)

    def rate(self, group: str, period: str) -> float:
        s = self.summary.set_index(["group", "period"])
        return float(s.loc[(group, period), "rate"])

    def to_results(self) -> dict[str, Any]:
        out = {
            "treated_before_rate": self.rate("programme", "before"),
            "treated_after_rate": self.rate("programme", "after"),
            "comparison_before_rate": self.rate("comparison", "before"),
            "comparison_after_rate": self.rate("comparison", "after"),
            "naive_change": self.naive["change"],
            "naive_change_ci": [self.naive["ci_low"] - 1, self.naive["ci_high"] - 1],
            "rate_ratio": self.did["rate_ratio"],
            "ci_low": self.did["ci_low"],
            "ci_high": self.did["ci_high"],
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
        if self.placebo_check:
            out["placebo_verdict"] = self.placebo_check["verdict"]
        if self.hidden_bias is not None:
            out.update(self.hidden_bias.to_results())
        return {
            k: (round(v, 6) if isinstance(v, float) else [round(x, 6) for x in v] if isinstance(v, list) else v) for k, v in out.items()
        }


def _did_design(panel: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    t = panel.treated.to_numpy(float)
    p = panel.post.to_numpy(float)
    return np.column_stack([np.ones(len(panel)), t, p, t * p]), ["(Intercept)", "treated", "post", "treated:post"]


def _ratio(fit: Fit, name: str) -> dict[str, float]:
    b, lo, hi, p = fit.wald(name)
    return {"rate_ratio": math.exp(b), "ci_low": math.exp(lo), "ci_high": math.exp(hi), "p_value": p, "log_se": fit.se(name)}


def not_estimable(reason: str) -> dict[str, Any]:
    """A ratio that cannot be estimated (e.g. no events in one group and period), with the reason."""
    nan = float("nan")
    return {"rate_ratio": nan, "ci_low": nan, "ci_high": nan, "p_value": nan, "log_se": nan, "not_estimable": reason}


def estimable(est: dict[str, Any] | None) -> TypeGuard[dict[str, Any]]:
    return est is not None and "not_estimable" not in est and math.isfinite(est["rate_ratio"])


def _empty_cells(panel: pd.DataFrame) -> list[str]:
    """Group x period cells with no events (weighted): a ratio of rates with a zero in it has no estimate."""
    out = []
    for g, gname in ((1, "programme"), (0, "comparison")):
        for q, qname in ((0, "before"), (1, "after")):
            sel = (panel.treated == g) & (panel.post == q)
            if not (panel.y[sel] * panel.weight[sel]).sum() > 0:
                out.append(f"{gname} group {qname}" if len(panel[sel]) else f"{gname} group {qname} (no children)")
    return out


def did_poisson(panel: pd.DataFrame, alpha: float = 0.0) -> tuple[dict[str, Any], Fit | None]:
    """Ratio of rate ratios exp(b_treated:post) from a weighted Poisson (or NB2) DiD with log-exposure offset;
    not estimable (NaN, with the reason) when a group and period has no events."""
    empty = _empty_cells(panel)
    if empty:
        return not_estimable("no events in the " + " or ".join(empty)), None
    X, names = _did_design(panel)
    fit = poisson_fit(
        X,
        panel.y.to_numpy(float),
        np.log(panel.exposure_years.to_numpy()),
        panel.weight.to_numpy(float),
        panel.cluster.to_numpy(),
        names,
        alpha=alpha,
    )
    return _ratio(fit, "treated:post"), fit


def _panel(counts: pd.DataFrame, sample: pd.DataFrame, event_type: str, pre: str, post: str) -> pd.DataFrame:
    """Rows unit x period with y (the censoring-weighted count), any (weighted 'any event'), exposure."""
    c = counts[counts.period.isin([pre, post]) & (counts.days > 0)]
    key = "unit_id" if "unit_id" in sample and "unit_id" in c else "person_id"
    cols = [key] + [x for x in ("treated", "weight", "cluster", "subclass") if x in sample]
    c = c.merge(sample[cols], on=key)
    y = c[f"{event_type}_ipcw"] if f"{event_type}_ipcw" in c else c[event_type].astype(float)
    any_ = c[f"{event_type}_any_ipcw"] if f"{event_type}_any_ipcw" in c else (c[event_type] > 0).astype(float)
    return pd.DataFrame(
        {
            "unit_id": c[key],
            "treated": c.treated,
            "post": (c.period == post).astype(int),
            "y": y.astype(float),
            "any": any_.astype(float),
            "observed": c[event_type].astype(float),
            "exposure_years": c.days / DAYS_PER_YEAR,
            "weight": c.weight,
            "cluster": c.cluster,
            "censored": c.censored,
            "approached_later": c.get("approached_later", pd.Series(False, index=c.index)),
            "subclass": c.subclass if "subclass" in c else np.nan,
        }
    ).reset_index(drop=True)


def _group_summary(panel: pd.DataFrame) -> pd.DataFrame:
    """Per group and period: weighted mean count, rate per child-year with 95% CI (saturated weighted
    Poisson model, clustered), share with any event, children, censored windows."""
    cells = [(g, p) for g in (1, 0) for p in (0, 1)]
    has_events = [bool((panel.y * panel.weight)[(panel.treated == g) & (panel.post == p)].sum() > 0) for g, p in cells]
    fitted = [c for c, ok in zip(cells, has_events) if ok]
    fit = None
    if fitted:
        keep = np.zeros(len(panel), dtype=bool)
        for g, p in fitted:
            keep |= ((panel.treated == g) & (panel.post == p)).to_numpy()
        sub = panel[keep]
        X = np.column_stack([((sub.treated == g) & (sub.post == p)).to_numpy(float) for g, p in fitted])
        fit = poisson_fit(
            X,
            sub.y.to_numpy(float),
            np.log(sub.exposure_years.to_numpy()),
            sub.weight.to_numpy(float),
            sub.cluster.to_numpy(),
            [f"{g}{p}" for g, p in fitted],
        )
    rows = []
    for j, (g, p) in enumerate(cells):
        sel = ((panel.treated == g) & (panel.post == p)).to_numpy()
        w = panel.weight.to_numpy()[sel]
        b, lo, hi, _ = fit.wald(f"{g}{p}") if has_events[j] and fit is not None else (-math.inf, -math.inf, math.nan, math.nan)
        rows.append(
            {
                "group": "programme" if g == 1 else "comparison",
                "period": "after" if p == 1 else "before",
                "children": int(sel.sum()),
                "mean_count": float(np.average(panel.y.to_numpy()[sel], weights=w)) if sel.any() else 0.0,
                "rate": math.exp(b),
                "rate_ci_low": math.exp(lo),
                "rate_ci_high": math.exp(hi) if math.isfinite(hi) else math.nan,
                "share_any": float(np.average(panel["any"].to_numpy()[sel], weights=w)) if sel.any() else 0.0,
                "censored": int(panel.censored.to_numpy()[sel].sum()),
                "approached_later": int(panel.approached_later.to_numpy()[sel].sum()),
            }
        )
    return pd.DataFrame(rows)


def placebo_verdict(placebo: dict[str, float] | None, did: dict[str, float], margin: float) -> dict[str, Any]:
    """Read the placebo from its numbers. 'differing_trends': the placebo itself is significant (p <= 0.05);
    'parallel_supported': its 90% CI lies within [1/margin, margin] (two one-sided tests at 5%) and, when the
    estimated effect is statistically significant, the placebo is less than half its size on the log scale or
    points the other way; otherwise 'inconclusive' (the check cannot rule out a pre-existing difference in trends
    as large as the effect, or as large as the margin)."""
    if not estimable(placebo) or not estimable(did):
        return {"verdict": "not_run"}
    b, se = math.log(placebo["rate_ratio"]), placebo["log_se"]
    z90 = 1.6448536269514722
    lo90, hi90 = math.exp(b - z90 * se), math.exp(b + z90 * se)
    equivalent = lo90 >= 1 / margin and hi90 <= margin
    effect = math.log(did["rate_ratio"])
    effect_significant = did["ci_low"] > 1 or did["ci_high"] < 1 if "ci_low" in did else False
    as_large = bool(effect_significant and b * effect > 0 and abs(b) >= 0.5 * abs(effect))
    if placebo["p_value"] <= 0.05:
        verdict = "differing_trends"
    elif equivalent and not as_large:
        verdict = "parallel_supported"
    else:
        verdict = "inconclusive"
    return {"verdict": verdict, "equivalent": equivalent, "ci90": (lo90, hi90), "margin": margin, "at_least_half_the_effect": as_large}


def _hidden_bias(panel: pd.DataFrame, did: dict[str, float]) -> HiddenBias | None:
    """E-values for the ratio of rate ratios; Rosenbaum's Gamma for the matched-set differences in the
    change of the rate per child-year (after minus before). None when the ratio is not estimable."""
    if not estimable(did):
        return None
    diffs = None
    if panel.subclass.notna().any():
        rate = panel.assign(r=panel.y / panel.exposure_years)
        wide = rate.pivot_table(index="unit_id", columns="post", values="r", aggfunc="first")
        if {0, 1} <= set(wide.columns):
            change = (wide[1] - wide[0]).rename("change")
            units = panel.drop_duplicates("unit_id").set_index("unit_id")[["treated", "weight", "subclass"]].join(change, how="inner")
            diffs = matched_set_differences(units.dropna(subset=["change"]).reset_index(), "change")
    return HiddenBias(
        did["rate_ratio"],
        (did["ci_low"], did["ci_high"]),
        e_value(did["rate_ratio"]),
        e_value_ci(did["ci_low"], did["ci_high"]),
        gamma_if_significant((did["ci_low"], did["ci_high"]), 1.0, diffs),
        "ratio of rate ratios",
    )


def before_after(
    counts: pd.DataFrame,
    sample: pd.DataFrame,
    outcome: str,
    window: int,
    placebo: bool = True,
    overdispersion_threshold: float = 1.5,
    equivalence_margin: float = 1.25,
) -> BeforeAfter:
    event_type = OUTCOMES[outcome][0]
    wc = counts[counts.window_months == window]
    panel = _panel(wc, sample, event_type, "before", "after")
    did, fit = did_poisson(panel)
    # naive: the programme group's own before/after change (children are their own clusters)
    tp = panel[panel.treated == 1]
    if (tp.y[tp.post == 0] * tp.weight[tp.post == 0]).sum() > 0 and (tp.y[tp.post == 1] * tp.weight[tp.post == 1]).sum() > 0:
        Xn = np.column_stack([np.ones(len(tp)), tp.post.to_numpy(float)])
        nfit = poisson_fit(
            Xn,
            tp.y.to_numpy(float),
            np.log(tp.exposure_years.to_numpy()),
            tp.weight.to_numpy(float),
            tp.unit_id.to_numpy(),
            ["(Intercept)", "post"],
        )
        naive = _ratio(nfit, "post")
    else:
        naive = not_estimable("no events in the programme group before or after")
    naive["change"] = naive["rate_ratio"] - 1
    # linear DiD on any event
    X, names = _did_design(panel)
    lfit = linear_fit(X, panel["any"].to_numpy(float), panel.weight.to_numpy(float), panel.cluster.to_numpy(), names)
    b, lo, hi, p = lfit.wald("treated:post")
    any_did = {"difference_pp": 100 * b, "ci_low_pp": 100 * lo, "ci_high_pp": 100 * hi, "p_value": p}
    nb = None
    if fit is not None and fit.dispersion > overdispersion_threshold:
        alpha = nb2_alpha(panel.y.to_numpy(float), fit.mu, panel.weight.to_numpy(float))
        nb, _ = did_poisson(panel, alpha=alpha)
        nb["alpha"] = alpha
    plc = None
    b2 = wc[wc.period == "before_2"]
    # the placebo needs the earlier pre-period observed for at least half of its child-days
    if placebo and len(b2) and b2.days.sum() >= 0.5 * b2.full_days.sum():
        plc, _ = did_poisson(_panel(wc, sample, event_type, "before_2", "before"))
        plc = plc if estimable(plc) else None
    return BeforeAfter(
        outcome,
        window,
        _group_summary(panel),
        did,
        naive,
        any_did,
        nb,
        plc,
        fit.dispersion if fit else math.nan,
        placebo_verdict(plc, did, equivalence_margin) if placebo else None,
        _hidden_bias(panel, did),
        fit,
    )


@dataclass
class OutcomesResult:
    """All outcomes x windows on the primary matching, and the same DiD under the other specifications."""

    results: dict[str, dict[int, BeforeAfter]]
    windows: pd.DataFrame
    counts: pd.DataFrame
    prior_outcomes_matched: bool
    sensitivity: dict[str, dict[int, dict[str, float]]] = field(default_factory=dict)  # kept: without prior outcomes
    notes: list[str] = field(default_factory=list)
    sample: pd.DataFrame | None = None  # the matched units: unit_id, person_id, treated, weight, cluster
    primary: str = "without_prior_outcomes"
    specifications: dict[str, dict[str, dict[int, dict[str, float]]]] = field(default_factory=dict)
    matchings: dict[str, dict[str, Any]] = field(default_factory=dict)  # specification -> matching summary
    matched: dict[str, CohortMatch] = field(default_factory=dict, repr=False)  # specification -> the matching itself
    unavailable_specifications: dict[str, str] = field(default_factory=dict)
    censoring_method: str = ""
    approached_later: int = 0  # matched comparison units censored at a later contact in the longest after-window
    not_recorded: tuple[str, ...] = ()  # outcomes whose events the extract does not record ([data] event_types_recorded)

    def get(self, outcome: str, window: int) -> BeforeAfter:
        return self.results[outcome][window]

    @property
    def recorded(self) -> list[str]:
        """The outcomes the extract records, in the order of OUTCOMES."""
        return [o for o in OUTCOMES if o not in self.not_recorded]

    def estimates(self) -> list[Estimate]:
        """The difference-in-differences estimates (primary matching) in the shared estimate shape."""
        out = []
        for outcome, by_window in self.results.items():
            for window, ba in by_window.items():
                n = ba.summary[ba.summary.period == "before"].set_index("group").children
                notes = (str(ba.did["not_estimable"]),) if "not_estimable" in ba.did else ()
                out.append(
                    Estimate(
                        "before_after",
                        f"{OUTCOMES[outcome][1]}, {window} months before and after",
                        "ratio of rate ratios",
                        ba.did["rate_ratio"],
                        ba.did["ci_low"],
                        ba.did["ci_high"],
                        ba.did["p_value"],
                        float(n.get("programme", math.nan)),
                        float(n.get("comparison", math.nan)),
                        "difference in differences: weighted Poisson with a log-exposure offset, errors clustered on the "
                        f"matched set ({DID_MATCHINGS.get(self.primary, self.primary)})",
                        notes,
                    )
                )
        return out

    def joint_log_rr_vcov(self, window: int) -> np.ndarray:
        """Covariance of the three outcomes' log ratios of rate ratios (stacked sandwich: the fits share
        the units and clusters), for the outcomes recorded in the order of OUTCOMES."""
        from .stats import joint_vcov

        # every BeforeAfter from analyse() carries its fit; joint_vcov raises on one without scores
        return joint_vcov(cast("list[Fit]", [self.get(o, window).fit for o in self.recorded]), "treated:post")

    def to_results(self) -> dict[str, Any]:
        out: dict[str, Any] = {o: {str(w): ba.to_results() for w, ba in by_w.items()} for o, by_w in self.results.items()}
        for o, by_w in self.sensitivity.items():
            for w, s in by_w.items():
                out[o][str(w)]["rate_ratio_without_prior_outcome_matching"] = round(s["rate_ratio"], 6)
                out[o][str(w)]["ci_without_prior_outcome_matching"] = [round(s["ci_low"], 6), round(s["ci_high"], 6)]
        for name, by_o in self.specifications.items():
            for o, by_w in by_o.items():
                for w, s in by_w.items():
                    out[o][str(w)].setdefault("specifications", {})[name] = {
                        "rate_ratio": round(s["rate_ratio"], 6),
                        "ci": [round(s["ci_low"], 6), round(s["ci_high"], 6)],
                        "p_value": round(s["p_value"], 6),
                    }
        out["prior_outcomes_used_in_matching"] = self.prior_outcomes_matched
        out["not_recorded"] = list(self.not_recorded)
        out["primary_specification"] = self.primary
        out["specifications_not_available"] = dict(self.unavailable_specifications)
        out["comparison_approached_later"] = self.approached_later
        return out


def events_start_date(data) -> dt.date:
    """First day events are recorded: [data] events_start if set, else the earliest event date."""
    configured = getattr(data.config.data, "events_start", None)
    if configured:
        return configured
    first = data.events.date_range("event_date")[0]
    return first.date() if first is not None else data.config.data.extract_date


def _windows_and_counts(
    data, sample: pd.DataFrame, windows_months: list[int], placebo: bool, mode: str, model: censoring.ApproachModel | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    start = events_start_date(data)
    censor = mode == "censor"
    if censor and model is None:
        model = censoring.fit_approach_model(data)
    win = person_windows(sample, windows_months, data.config.data.extract_date, start, placebo, censor=censor)
    unit_marks = censoring.marks(model, sample) if (censor and model is not None) else None
    counts = pd.concat([win, weighted_counts(win, data.events, unit_marks)], axis=1)
    return win, counts


def did_for_treated(res: OutcomesResult, treated_units: set[str], window: int) -> dict[str, dict[str, Any]]:
    """The DiD ratio of rate ratios for each recorded outcome on the matched sets of `treated_units` alone (a
    subgroup of the programme group, e.g. one phase), on the primary matching with its weights recomputed by
    MatchIt's rule for the sets kept; with the programme children kept and the observed events per group and
    period (which decide whether the estimate can be published)."""
    from .reoffending import restricted_weights

    cm = res.matched.get(res.primary)
    if cm is None or res.sample is None:
        return {}
    comparison = set(res.sample.unit_id[res.sample.treated == 0])
    w = restricted_weights(cm, comparison | set(treated_units))
    counts = res.counts[res.counts.window_months == window]
    out: dict[str, dict[str, Any]] = {}
    for o in res.recorded:
        panel = _panel(counts, w, OUTCOMES[o][0], "before", "after")
        did, _ = did_poisson(panel)
        events = {
            f"{'programme' if g else 'comparison'} {'after' if p else 'before'}": int(
                panel.observed[(panel.treated == g) & (panel.post == p)].sum()
            )
            for g in (1, 0)
            for p in (0, 1)
        }
        out[o] = {**did, "events": events, "programme_children": int((w.treated == 1).sum())}
    return out


def did_only(
    data, cm: CohortMatch, windows_months: list[int], mode: str = "censor", model: censoring.ApproachModel | None = None
) -> dict[str, dict[int, dict[str, float]]]:
    """The DiD ratio of rate ratios for every outcome and window on matching `cm` (no summaries)."""
    sample = matched_sample(cm)
    _, counts = _windows_and_counts(data, sample, windows_months, False, mode, model)
    return {
        o: {w: did_poisson(_panel(counts[counts.window_months == w], sample, et, "before", "after"))[0] for w in windows_months}
        for o, (et, _) in OUTCOMES.items()
    }


def analyse(
    data,
    cm: CohortMatch,
    windows_months: list[int] | None = None,
    placebo: bool = True,
    overdispersion_threshold: float = 1.5,
    sensitivity: CohortMatch | None = None,
    mode: str = "censor",
    model: censoring.ApproachModel | None = None,
    equivalence_margin: float = 1.25,
) -> OutcomesResult:
    """Before/after estimates for every outcome and window on the matched sample `cm`.

    `sensitivity`: the same comparison matched without prior outcome counts (Daw & Hatfield 2018);
    its DiD rate ratios are reported beside the main ones. `mode` and `model`: censoring at a later
    approach (evaluation.censoring); without a model, none is weighted.
    """
    if data.events is None:
        raise ValueError("the before/after comparisons need the events table")
    windows_months = sorted(windows_months or [6, 12])
    sample = matched_sample(cm)
    win, counts = _windows_and_counts(data, sample, windows_months, placebo, mode, model)
    results = {
        o: {w: before_after(counts, sample, o, w, placebo, overdispersion_threshold, equivalence_margin) for w in windows_months}
        for o in OUTCOMES
    }
    prior = any(c in PRIOR_OUTCOME_COVARIATES for c in cm.covariates)
    notes = []
    if prior:
        notes.append(
            "Prior counts of the outcomes were matching covariates. When the groups' underlying levels differ, matching on "
            "pre-period outcomes can bias a difference-in-differences through regression to the mean (Daw & Hatfield 2018, "
            "Health Services Research 53(6)); the estimate from a matching without them is shown beside the main one."
        )
    sens = did_only(data, sensitivity, windows_months, mode, model) if sensitivity is not None else {}
    censored = int(win[(win.period == "after") & win.censored].unit_id.nunique())
    if censored:
        notes.append(f"{censored} child(ren) had an after-window cut short by the extract date; their rates use the days observed.")
    longest = win[(win.window_months == max(windows_months)) & (win.period == "after")]
    later = int(longest.approached_later.sum())
    recorded = data.config.data.event_types_recorded
    return OutcomesResult(
        results,
        win,
        counts,
        prior,
        sens,
        notes,
        sample,
        approached_later=later,
        censoring_method=censoring.describe(model, mode),
        not_recorded=tuple(o for o, (et, _) in OUTCOMES.items() if et not in recorded),
    )


def _did_matching(data, cohort, cm: CohortMatch, name: str) -> CohortMatch | str:
    """The matching for DiD specification `name`, or why it cannot be made."""
    base = [c for c in cm.covariates if c not in PRIOR_PROXY_COVARIATES and c not in EARLIER_WINDOW_COVARIATES]
    if name == "with_prior_outcomes":
        if not any(c in PRIOR_PROXY_COVARIATES for c in cm.covariates):
            return "the main matching does not use the 12 months before"
        return cm
    if name == "without_prior_outcomes":
        if base == list(cm.covariates):
            return cm
        covs = base
    else:
        if not cohort.earlier_window_observed:
            return "events are not recorded far enough back (24 months before every index date)"
        covs = base + [c for c in EARLIER_WINDOW_COVARIATES if c in cohort.table]
    if not covs:
        return "no covariates are left to match on"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return match_comparison(cohort, data.config, covs)
        except MatchingError as exc:
            return f"the matching could not be made: {exc}"


def compare_before_after(data, cohort, cm: CohortMatch, model: censoring.ApproachModel | None = None) -> OutcomesResult:
    """The outcomes stage as `[outcomes]` in the config says: the DiD on the primary matching, and the
    same DiD under the other matchings and with comparison children followed through a later approach."""
    oc = data.config.outcomes
    windows = list(oc.windows_months)
    mode = getattr(oc, "later_approach", "censor")
    if model is None and mode == "censor":
        model = censoring.fit_approach_model(data)
    matchings: dict[str, CohortMatch] = {}
    unavailable: dict[str, str] = {}
    for name in DID_MATCHINGS:
        m = _did_matching(data, cohort, cm, name)
        if isinstance(m, str):
            unavailable[name] = m
        else:
            matchings[name] = m
    primary = getattr(oc, "did_matching", "without_prior_outcomes")
    if primary not in matchings:
        primary = next(iter(matchings), None) or "with_prior_outcomes"
        matchings.setdefault(primary, cm)
    chosen = matchings[primary]
    res = analyse(
        data, chosen, windows, oc.placebo, oc.overdispersion_threshold, None, mode, model, getattr(oc, "placebo_equivalence_margin", 1.25)
    )
    res.primary = primary
    res.prior_outcomes_matched = any(c in PRIOR_OUTCOME_COVARIATES for c in chosen.covariates)
    for name, m in matchings.items():
        res.matchings[name] = m.to_results() | {"covariates": list(m.covariates)}
        res.matched[name] = m
        if name != primary:
            res.specifications[name] = did_only(data, m, windows, mode, model)
    without = "without_prior_outcomes"
    res.sensitivity = (
        {o: {w: ba.did for w, ba in by_w.items()} for o, by_w in res.results.items()}
        if primary == without
        else res.specifications.get(without, {})
    )
    if mode == "censor":
        res.specifications[FOLLOWED_THROUGH] = did_only(data, chosen, windows, "ignore", None)
    res.unavailable_specifications = unavailable
    return res
