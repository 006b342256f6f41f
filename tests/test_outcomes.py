"""Before/after outcomes: windows and counts on hand-built data, DuckDB against the pandas reference,
and the difference-in-differences estimator's bias and coverage in simulation."""

from __future__ import annotations

import datetime as dt
import math
import warnings

import numpy as np
import pandas as pd
import pytest

import evaluation
from evaluation import demo, outcomes
from evaluation.cohort import build_cohort
from evaluation.matching import match_comparison
from evaluation.outcomes import count_events, count_events_pandas, did_poisson, person_windows


def _sample():
    return pd.DataFrame(
        {
            "person_id": ["A", "B"],
            "index_date": pd.to_datetime(["2021-03-15", "2021-12-01"]),
            "index_detention_id": ["DA", "DB"],
            "treated": [1, 0],
            "weight": [1.0, 1.0],
            "cluster": [1, 1],
        }
    )


def _events():
    rows = [
        ("A", "2021-03-14", "offence", None),  # last day before the index: counts before
        ("A", "2021-03-15", "offence", None),  # the index day itself: never counted
        ("A", "2021-03-13", "offence", "DA"),  # the index arrest's own offence (linked): never counted
        ("A", "2021-03-16", "victimisation", None),  # first day after: counts after
        ("A", "2020-09-15", "offence", None),  # exactly 6 months before: counts in the 6-month before-window
        ("A", "2020-09-14", "missing_episode", None),  # a day earlier: only in the 12-month window
        ("A", "2021-09-16", "offence", None),  # the after-window (16 Mar to 15 Sep) has ended: not counted
        ("B", "2022-02-01", "missing_episode", None),
    ]
    return pd.DataFrame(rows, columns=["person_id", "event_date", "event_type", "detention_id"]).assign(
        event_date=lambda f: pd.to_datetime(f.event_date)
    )


def test_windows_exclude_the_index_day_and_offence_and_flag_censoring():
    win = person_windows(_sample(), [6, 12], extract_date=dt.date(2022, 3, 31), events_start=dt.date(2020, 6, 1))
    counts = pd.concat([win, count_events(win, _events())], axis=1).set_index(["person_id", "window_months", "period"])
    a6b, a6a = counts.loc[("A", 6, "before")], counts.loc[("A", 6, "after")]
    assert (a6b.offence, a6b.missing_episode) == (2, 0)
    assert (a6a.offence, a6a.victimisation) == (0, 1)
    assert counts.loc[("A", 12, "before")].missing_episode == 1
    assert a6b.days == (pd.Timestamp("2021-03-15") - pd.Timestamp("2020-09-15")).days and not a6b.censored
    # B's 12-month after-window runs past the extract date: cut short and flagged
    b12 = counts.loc[("B", 12, "after")]
    assert b12.censored and b12.days == (pd.Timestamp("2022-04-01") - pd.Timestamp("2021-12-02")).days
    # A's 12-month placebo pre-period starts before events are recorded: cut short and flagged
    a_pre2 = counts.loc[("A", 12, "before_2")]
    assert a_pre2.censored and pd.Timestamp(a_pre2.start) == pd.Timestamp("2020-06-01")


def test_duckdb_counts_equal_the_pandas_reference(demo_dir, tmp_path):
    data = evaluation.load(demo_dir)
    cm = match_comparison(build_cohort(data), data.config)
    win = person_windows(outcomes.matched_sample(cm), [3, 6, 12], data.config.data.extract_date, outcomes.events_start_date(data))
    duck = count_events(win, data.events)
    pd.testing.assert_frame_equal(duck, count_events_pandas(win, data.table("events")))
    pd.testing.assert_frame_equal(count_events(win, data.table("events")), duck)  # a DataFrame, registered
    assert duck.to_numpy().sum() > 1000
    # from a Parquet file, read by DuckDB directly
    import duckdb

    path = tmp_path / "events.parquet"
    con = duckdb.connect()
    frame = data.table("events")
    con.register("ev", frame.assign(event_date=frame.event_date.dt.date))
    con.execute(f"COPY ev TO '{path}' (FORMAT PARQUET)")
    con.close()
    pd.testing.assert_frame_equal(count_events(win, path), duck)


@pytest.fixture(scope="module")
def demo_outcomes(demo_dir):
    data = evaluation.load(demo_dir)
    cohort = build_cohort(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cm = match_comparison(cohort, data.config)
        return outcomes.compare_before_after(data, cohort, cm)


def test_results_json_section_and_the_matchings_beside_the_main_one(demo_outcomes):
    res = demo_outcomes
    out = res.to_results()
    for o in ("offending", "victimisation", "missing_episodes"):
        for w in ("6", "12"):
            keys = {
                "treated_before_rate",
                "treated_after_rate",
                "comparison_before_rate",
                "comparison_after_rate",
                "naive_change",
                "rate_ratio",
                "ci_low",
                "ci_high",
                "p_value",
            }
            assert keys <= set(out[o][w])
            assert out[o][w]["ci_low"] < out[o][w]["rate_ratio"] < out[o][w]["ci_high"]
            assert {"e_value", "e_value_ci", "rosenbaum_gamma", "placebo_verdict"} <= set(out[o][w])
            assert out[o][w]["e_value"] >= 1 and out[o][w]["e_value_ci"] >= 1
    # the main DiD rests on the matching without earlier outcome counts (Daw & Hatfield 2018); the others are beside it
    assert out["primary_specification"] == "without_prior_outcomes" and out["prior_outcomes_used_in_matching"] is False
    specs = out["offending"]["12"]["specifications"]
    assert {"with_prior_outcomes", "followed_through_later_approach"} <= set(specs)
    assert "earlier_window" in specs or "earlier_window" in out["specifications_not_available"]
    assert out["offending"]["12"]["rate_ratio_without_prior_outcome_matching"] == out["offending"]["12"]["rate_ratio"]
    assert set(res.matchings["without_prior_outcomes"]["covariates"]).isdisjoint(outcomes.PRIOR_PROXY_COVARIATES)


def simulate_matched_panel(rng: np.random.Generator, n_sets: int = 200, k: int = 2, theta: float = 0.75) -> pd.DataFrame:
    """Matched sets of one treated and k controls, selected at a peak: every child's rate is 1.7x its
    baseline in the year before the index and 1.1x in the year after; the programme multiplies the
    treated children's after-rate by theta. 10% of after-windows are cut short (censoring)."""
    base = rng.gamma(2.0, 1.0, n_sets)
    rows = []
    for s in range(n_sets):
        for member in range(k + 1):
            treated = int(member == 0)
            lam = base[s] * rng.gamma(4.0, 0.25)
            exposure_after = 1.0 if rng.random() > 0.1 else rng.uniform(0.2, 1.0)
            y_before = rng.poisson(lam * 1.7)
            y_after = rng.poisson(lam * 1.1 * (theta if treated else 1.0) * exposure_after)
            w = 1.0 if treated else 1.0 / k
            rows.append((f"{s}-{member}", treated, 0, y_before, 1.0, w, s))
            rows.append((f"{s}-{member}", treated, 1, y_after, exposure_after, w, s))
    return pd.DataFrame(rows, columns=["person_id", "treated", "post", "y", "exposure_years", "weight", "cluster"])


@pytest.mark.slow
def test_did_is_unbiased_with_nominal_coverage_and_naive_overstates():
    theta = 0.75
    rng = np.random.default_rng(20201019)
    reps = 500
    log_rr, covered, naive = [], 0, []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(reps):
            panel = simulate_matched_panel(rng, theta=theta)
            est, _ = did_poisson(panel)
            log_rr.append(math.log(est["rate_ratio"]))
            covered += est["ci_low"] <= theta <= est["ci_high"]
            tp = panel[panel.treated == 1]
            rate = tp.groupby("post").y.sum() / tp.groupby("post").exposure_years.sum()
            naive.append(rate[1] / rate[0])
    coverage = covered / reps
    assert abs(np.mean(log_rr) - math.log(theta)) < 0.02, f"bias on the log scale {np.mean(log_rr) - math.log(theta):.3f}"
    assert 0.93 <= coverage <= 0.97, f"95% CI coverage {coverage:.3f}"
    assert np.exp(np.mean(np.log(naive))) < theta * 0.75, "the naive before/after change overstates the effect"


@pytest.mark.slow
def test_pipeline_recovers_planted_effects_across_demo_seeds(tmp_path):
    """Whole pipeline (demo data, cohort, matching, DiD) on 16 seeds: no systematic bias, intervals cover."""
    hits, logs = [], {o: [] for o in outcomes.OUTCOMES}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for seed in range(1, 17):
            folder = tmp_path / str(seed)
            demo.write_demo(folder, seed=seed)
            data = evaluation.load(folder)
            cm = match_comparison(build_cohort(data), data.config)
            res = outcomes.analyse(data, cm, [12], placebo=False)
            for o, (event_type, _) in outcomes.OUTCOMES.items():
                ba = res.get(o, 12)
                truth = demo.PLANTED_EFFECTS[event_type]
                hits.append(ba.did["ci_low"] <= truth <= ba.did["ci_high"])
                logs[o].append(math.log(ba.did["rate_ratio"]) - math.log(truth))
    assert np.mean(hits) >= 0.85, f"coverage across seeds {np.mean(hits):.2f}"
    for o, errors in logs.items():
        assert abs(np.mean(errors)) < 0.15, f"{o}: mean log error {np.mean(errors):.3f}"


def test_placebo_verdict_follows_its_numbers():
    from evaluation.outcomes import placebo_verdict

    did = {"rate_ratio": 0.80, "ci_low": 0.65, "ci_high": 0.98}
    # significant on its own: the trends differed
    assert placebo_verdict({"rate_ratio": 0.7, "log_se": 0.1, "p_value": 0.0004}, did, 1.25)["verdict"] == "differing_trends"
    # tight around 1 and far smaller than the effect: supports similar trends
    assert placebo_verdict({"rate_ratio": 1.01, "log_se": 0.05, "p_value": 0.84}, did, 1.25)["verdict"] == "parallel_supported"
    # the demo's old case: a placebo of 0.85 beside an effect of 0.86 was read as support; its 90% CI reaches past -25%
    v = placebo_verdict({"rate_ratio": 0.85, "log_se": 0.09, "p_value": 0.07}, {"rate_ratio": 0.86, "ci_low": 0.67, "ci_high": 1.10}, 1.25)
    assert v["verdict"] == "inconclusive" and not v["equivalent"]
    # within the margin, but at least half as large as a significant effect, in the same direction
    v = placebo_verdict({"rate_ratio": 0.94, "log_se": 0.05, "p_value": 0.22}, {"rate_ratio": 0.90, "ci_low": 0.82, "ci_high": 0.99}, 1.25)
    assert v["verdict"] == "inconclusive" and v["equivalent"] and v["at_least_half_the_effect"]
    # beside an effect that is not significant, a small placebo within the margin supports similar trends
    v = placebo_verdict({"rate_ratio": 1.03, "log_se": 0.09, "p_value": 0.74}, {"rate_ratio": 1.06, "ci_low": 0.82, "ci_high": 1.37}, 1.25)
    assert v["verdict"] == "parallel_supported"
    # too wide to say
    assert placebo_verdict({"rate_ratio": 1.05, "log_se": 0.3, "p_value": 0.87}, did, 1.25)["verdict"] == "inconclusive"
    assert placebo_verdict(None, did, 1.25)["verdict"] == "not_run"


def test_placebo_needs_the_earlier_pre_period_observed(demo_dir, tmp_path):
    """The placebo runs only where events cover at least half of the earlier pre-period's child-days (the
    old condition counted rows already filtered to observed days, so it could never fail)."""
    import shutil

    from evaluation.cohort import build_cohort
    from evaluation.matching import match_comparison

    folder = tmp_path / "late_events"
    shutil.copytree(demo_dir, folder)
    cfg = (folder / "evaluation.toml").read_text().replace("[data]\n", "[data]\nevents_start = 2019-09-01\n")
    (folder / "evaluation.toml").write_text(cfg)
    data = evaluation.load(folder)
    cohort = build_cohort(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cm = match_comparison(cohort, data.config)
        res = outcomes.analyse(data, cm, [12])
    assert res.get("offending", 12).placebo is None
    assert res.get("offending", 12).placebo_check["verdict"] == "not_run"


def test_joint_covariance_of_the_three_effects_has_each_fits_variance_on_its_diagonal(demo_outcomes):
    res = demo_outcomes
    v = res.joint_log_rr_vcov(12)
    ses = [res.get(o, 12).did["log_se"] for o in outcomes.OUTCOMES]
    np.testing.assert_allclose(np.sqrt(np.diag(v)), ses, rtol=1e-10)
    corr = v / np.sqrt(np.outer(np.diag(v), np.diag(v)))
    assert np.all(np.abs(corr) <= 1 + 1e-12) and np.linalg.eigvalsh(v).min() > -1e-12


def test_risk_set_design_matches_each_programme_child_within_its_calendar_month(demo_dir, tmp_path):
    import shutil

    folder = tmp_path / "risk_set"
    shutil.copytree(demo_dir, folder)
    with open(folder / "evaluation.toml", "a") as f:
        f.write('\n[matching]\ncomparison_design = "risk_set"\nrisk_set_interval = "month"\n')
    data = evaluation.load(folder)
    cohort = build_cohort(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cm = match_comparison(cohort, data.config)
        res = outcomes.compare_before_after(data, cohort, cm)
    period = cm.result.data.index_period
    pairs = cm.result.pairs()
    assert len(pairs) and (period.loc[pairs.treated].to_numpy() == period.loc[pairs.control].to_numpy()).all()
    assert cohort.table[cohort.table.treated == 0].person_id.duplicated().any()  # a child can be eligible in several months
    assert "index_period" in cm.result.spec["exact"]
    assert 0 < res.get("offending", 12).did["rate_ratio"] < 10


def test_a_group_without_events_gives_no_estimate_and_says_why():
    """No missing episodes at all in the comparison group after the arrest: a ratio of rates with a zero in it has
    no estimate. The analysis says so instead of failing or printing an infinite ratio."""
    from evaluation.outcomes import before_after, estimable
    from evaluation.report.sections.outcomes import estimates_table, outcome_headline

    sample = pd.DataFrame(
        {
            "unit_id": ["a", "b", "c", "d"],
            "person_id": ["a", "b", "c", "d"],
            "treated": [1, 1, 0, 0],
            "weight": 1.0,
            "cluster": [1, 2, 1, 2],
            "subclass": [1.0, 2.0, 1.0, 2.0],
        }
    )
    rows = []
    for u, t in zip(sample.unit_id, sample.treated):
        for period, y in (("before", 2), ("after", 1 if t else 0), ("before_2", 1)):
            rows.append(
                {
                    "unit_id": u,
                    "person_id": u,
                    "window_months": 12,
                    "period": period,
                    "days": 365,
                    "full_days": 365,
                    "censored": False,
                    "approached_later": False,
                    "offence": y,
                    "victimisation": y,
                    "missing_episode": y,
                }
            )
    ba = before_after(pd.DataFrame(rows), sample, "missing_episodes", 12)
    assert not estimable(ba.did) and "comparison group after" in ba.did["not_estimable"]
    assert ba.hidden_bias is None and ba.placebo_check["verdict"] == "not_run"
    res = outcomes.OutcomesResult({"missing_episodes": {12: ba}}, pd.DataFrame(), pd.DataFrame(), False)
    assert "not estimable" in estimates_table(res, "missing_episodes").iloc[2, 1]
    assert "cannot be estimated" in outcome_headline(res, "missing_episodes")
