"""Conformance with R's MatchIt 4.7.2 (the current release; `make r-reference` installs it from
tests/reference/matchit-4.7.2/), the evaluators' reference.

1. Propensity scores equal R's glm to 1e-6.
2. The whole call: R fits its own propensity score and matches; ours fits and matches. Matched pairs,
   weights and subclasses identical, balance statistics within 1e-6, sample sizes equal, option by
   option (order, calipers on the score and on covariates, exact, discard, ratio, replacement).
3. Matching on a supplied (fractional) distance, option by option: identical.
4. Mahalanobis matching, including its tie-breaking among equally distant controls: identical.
5. Everything computed from the matches (weights, subclasses, balance, sample sizes) equals R's when given
   R's own pairs.
Datasets: MatchIt's `lalonde`, and the demo cohort (categorical covariates, so many exact ties).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import evaluation
from evaluation.cohort import build_cohort
from evaluation.matching import assemble_result, match
from tests.r_reference import matchit_env, require_matchit, run_matchit

STATS = ["means_treated", "means_control", "std_mean_diff", "var_ratio", "ecdf_mean", "ecdf_max"]
R_STATS = {
    "Means Treated": "means_treated",
    "Means Control": "means_control",
    "Std. Mean Diff.": "std_mean_diff",
    "Var. Ratio": "var_ratio",
    "eCDF Mean": "ecdf_mean",
    "eCDF Max": "ecdf_max",
}

OPTION_CASES = {
    "largest": {},
    "smallest": dict(m_order="smallest"),
    "data_order": dict(m_order="data"),
    "caliper_std": dict(caliper=0.2),
    "caliper_linear_logit": dict(caliper=0.2, link="linear.logit"),
    "caliper_raw": dict(caliper=0.02, std_caliper=False),
    "exact": dict(exact="EXACT"),
    "exact_caliper": dict(exact="EXACT", caliper=0.3),
    "discard_both": dict(discard="both"),
    "discard_control": dict(discard="control"),
    "discard_treated_caliper": dict(discard="treated", caliper=0.25),
    "covariate_caliper": dict(caliper={"": 0.5, "AGE": 2.0}, std_caliper={"": True, "AGE": False}),
    "replace": dict(replace=True),
    "replace_caliper": dict(replace=True, caliper=0.1),
    "ratio2": dict(ratio=2),
    "ratio3": dict(ratio=3),
    "ratio2_caliper": dict(ratio=2, caliper=0.1),
    "exact_ratio2_caliper": dict(exact="EXACT", ratio=2, caliper=0.3),
    "replace_ratio2": dict(replace=True, ratio=2),
}
MAHALANOBIS_CASES = {
    "mahalanobis": dict(distance="mahalanobis"),
    "mahalanobis_ratio2": dict(distance="mahalanobis", ratio=2),
    "mahalanobis_replace_ratio2": dict(distance="mahalanobis", ratio=2, replace=True),
    "mahalanobis_exact": dict(distance="mahalanobis", exact="EXACT"),
    "mahalanobis_age_caliper": dict(distance="mahalanobis", caliper={"AGE": 3.0}, std_caliper=False),
}


def _lalonde(tmp_path_factory) -> tuple[pd.DataFrame, list[str], dict[str, str]]:
    import subprocess

    rscript = require_matchit()
    path = tmp_path_factory.mktemp("lalonde") / "lalonde.csv"
    subprocess.run(
        [rscript, "-e", f'library(MatchIt); data(lalonde); write.csv(lalonde, "{path}", row.names = FALSE)'],
        check=True,
        capture_output=True,
        env=matchit_env(),
    )
    d = pd.read_csv(path, float_precision="round_trip").drop(columns="re78")  # re78 is the outcome: never a covariate
    return d, ["age", "educ", "race", "married", "nodegree", "re74", "re75"], {"EXACT": "race", "AGE": "age"}


def _demo_cohort(demo_dir) -> tuple[pd.DataFrame, list[str], dict[str, str]]:
    c = build_cohort(evaluation.load(demo_dir))
    covs = list(c.covariates)
    d = c.table[["treated"] + covs].copy()
    d["yos_yes"] = (d.known_to_yos == "yes").astype(int)
    return d, covs, {"EXACT": "known_to_yos", "AGE": "age"}


@pytest.fixture(scope="module", params=["lalonde", "demo_cohort"])
def dataset(request, tmp_path_factory, demo_dir):
    require_matchit()
    if request.param == "lalonde":
        d, covs, names = _lalonde(tmp_path_factory)
        treatment = "treat"
    else:
        d, covs, names = _demo_cohort(demo_dir)
        treatment = "treated"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ps = match(d, treatment, covs).distance.to_numpy()
    return request.param, d.assign(ps=ps), treatment, covs, names


def _resolve(case: dict, names: dict[str, str]) -> dict:
    out = {}
    for k, v in case.items():
        if k == "exact":
            out[k] = [names[v]]
        elif k in ("caliper", "std_caliper") and isinstance(v, dict):
            out[k] = {(names.get(kk, kk) if kk else ""): vv for kk, vv in v.items()}
        else:
            out[k] = v
    return out


def _mahalanobis_covariates(name: str, covs: list[str]) -> list[str]:
    """On the demo cohort, the propensity score joins the covariates as a continuous one: with whole-number
    and factor covariates only, units equally far apart in exact arithmetic are split by last-bit rounding
    that differs between R's BLAS and ours. Identical rows still tie exactly, so the tie rule is exercised."""
    return covs if name == "lalonde" else [*covs, "ps"]


@pytest.fixture(scope="module")
def r_results(dataset, tmp_path_factory):
    name, d, treatment, covs, names = dataset
    cases = {}
    for case, kw in OPTION_CASES.items():
        cases[f"glm_{case}"] = {"treatment": treatment, "covariates": covs, **_resolve(kw, names)}
        if "link" not in kw:
            cases[f"user_{case}"] = {
                "treatment": treatment,
                "covariates": covs,
                "distance": "user",
                "user_distance_column": "ps",
                **_resolve(kw, names),
            }
    for case, kw in MAHALANOBIS_CASES.items():
        cases[case] = {"treatment": treatment, "covariates": _mahalanobis_covariates(name, covs), **_resolve(kw, names)}
    for link in ("logit", "linear.logit", "probit"):
        cases[f"ps_{link}"] = {"treatment": treatment, "covariates": covs, "link": link}
    return run_matchit(d, cases, tmp_path_factory.mktemp(f"r_{name}"))


def _r_pairs(r) -> set[tuple[int, int]]:
    return {(int(row[0]) - 1, int(c) - 1) for row in r["mm"].itertuples(index=False) for c in row[1:] if not pd.isna(c)}


def _our_pairs(m) -> set[tuple[int, int]]:
    return {(int(t), int(c)) for t, row in m.match_matrix.iterrows() for c in row.dropna()}


def _assert_identical(m, r):
    assert _our_pairs(m) == _r_pairs(r), "matched pairs differ"
    np.testing.assert_allclose(m.weights.to_numpy(), r["units"].weights.to_numpy(), rtol=0, atol=1e-12)
    if m.subclass is not None:
        np.testing.assert_array_equal(m.subclass.fillna(-1).to_numpy(dtype=float), r["units"].subclass.fillna(-1).to_numpy(dtype=float))
    ours = m.balance(un=True)
    for suffix, table in (("", r["bal_matched"]), ("_un", r["bal_all"])):
        theirs = table.rename(columns=R_STATS)[STATS]
        assert set(theirs.index) == set(ours.index), "balance rows differ"
        diff = (ours[[s + suffix for s in STATS]].set_axis(STATS, axis=1) - theirs.loc[ours.index]).abs()
        both_nan = ours[[s + suffix for s in STATS]].isna().to_numpy() & theirs.loc[ours.index].isna().to_numpy()
        assert np.nanmax(np.where(both_nan, 0, diff.to_numpy())) < 1e-6, f"balance{suffix} differs"
    np.testing.assert_allclose(m.sample_sizes().to_numpy(dtype=float), r["nn"].to_numpy(dtype=float), atol=1e-9)


@pytest.mark.needs_r
@pytest.mark.parametrize("link", ["logit", "linear.logit", "probit"])
def test_propensity_scores_equal_matchit(dataset, r_results, link):
    _, d, treatment, covs, _ = dataset
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = match(d, treatment, covs, link=link).distance.to_numpy()
    np.testing.assert_allclose(ours, r_results[f"ps_{link}"]["units"].distance.to_numpy(), rtol=0, atol=1e-6)


@pytest.mark.needs_r
@pytest.mark.parametrize("case", list(OPTION_CASES))
def test_whole_call_identical_to_matchit(dataset, r_results, case):
    """Propensity model and matching: each side fits its own score (equal to 1e-6, not to the last bit)."""
    _, d, treatment, covs, names = dataset
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = match(d, treatment, covs, **_resolve(OPTION_CASES[case], names))
    _assert_identical(m, r_results[f"glm_{case}"])


@pytest.mark.needs_r
@pytest.mark.parametrize("case", [c for c, kw in OPTION_CASES.items() if "link" not in kw])
def test_supplied_distance_matching_identical_to_matchit(dataset, r_results, case):
    _, d, treatment, covs, names = dataset
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = match(d, treatment, covs, distance=d.ps.to_numpy(), **_resolve(OPTION_CASES[case], names))
    _assert_identical(m, r_results[f"user_{case}"])


@pytest.fixture(scope="module")
def r_mahalanobis_rows(dataset, tmp_path_factory):
    """R's own Mahalanobis-transformed rows (MatchIt:::transform_covariates, as matchit() computes them)."""
    import subprocess

    name, d, treatment, covs, _ = dataset
    work = tmp_path_factory.mktemp(f"mahal_{name}")
    d.to_csv(work / "data.csv", index=False)
    formula = "~ " + " + ".join(_mahalanobis_covariates(name, covs))
    script = (
        f'd <- read.csv("{work / "data.csv"}", stringsAsFactors = FALSE)\n'
        f'stopifnot(packageVersion("MatchIt") == "4.7.2")\n'
        f'X <- MatchIt:::transform_covariates({formula}, data = d, method = "mahalanobis", treat = d${treatment}, '
        "discarded = rep(FALSE, nrow(d)))\n"
        f'write.csv(apply(X, 2, sprintf, fmt = "%.17g"), "{work / "rows.csv"}", row.names = FALSE)\n'
    )
    (work / "run.R").write_text(script)
    subprocess.run([require_matchit(), str(work / "run.R")], check=True, capture_output=True, env=matchit_env())
    return pd.read_csv(work / "rows.csv", float_precision="round_trip").to_numpy()


@pytest.mark.needs_r
def test_mahalanobis_rows_equal_matchit(dataset, r_mahalanobis_rows):
    """The transformation (scaling, pooled covariance, its (generalised) inverse, pivoted Cholesky) equals R's
    to rounding, also with a singular covariance (the demo cohort's factors expanded to all levels)."""
    from evaluation.matching import mahalanobis_metric

    name, d, treatment, covs, _ = dataset
    ours = mahalanobis_metric(d, d[treatment].to_numpy(), _mahalanobis_covariates(name, covs), np.zeros(len(d), bool)).Y
    assert ours.shape == r_mahalanobis_rows.shape
    np.testing.assert_allclose(ours, r_mahalanobis_rows, rtol=0, atol=1e-10)


@pytest.mark.needs_r
@pytest.mark.parametrize("case", list(MAHALANOBIS_CASES))
def test_mahalanobis_search_and_ties_identical_to_matchit(dataset, r_results, r_mahalanobis_rows, case, monkeypatch):
    """Given R's own transformed rows (so the same floating-point distances), the search, its stopping rules
    and its tie-breaking among equally distant controls reproduce R exactly."""
    import evaluation.matching.nearest as nearest

    name, d, treatment, covs, names = dataset
    monkeypatch.setattr(nearest, "mahalanobis_metric", lambda *a, **k: nearest.MahalanobisMetric(r_mahalanobis_rows))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = match(d, treatment, _mahalanobis_covariates(name, covs), **_resolve(MAHALANOBIS_CASES[case], names))
    _assert_identical(m, r_results[case])


@pytest.mark.needs_r
@pytest.mark.parametrize("case", list(MAHALANOBIS_CASES))
def test_mahalanobis_matching_identical_to_matchit(dataset, r_results, case):
    """The whole call. Where two controls are equally far from a treated unit in exact arithmetic but not
    identical (on lalonde: ages 19 and 23 around 21, all else equal), which one R takes depends on the last
    bit of its reference BLAS's rounding, not on MatchIt's rules; ours can differ there. So: identical, or
    the first point where the two differ (in matching order, where both have the same controls left) is such
    a tie, and nothing differs before it."""
    name, d, treatment, covs, names = dataset
    kw = _resolve(MAHALANOBIS_CASES[case], names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = match(d, treatment, _mahalanobis_covariates(name, covs), **kw)
    r = r_results[case]
    if _our_pairs(m) == _r_pairs(r) or name == "demo_cohort":
        _assert_identical(m, r)
        return
    from evaluation.matching import mahalanobis_metric

    ours, theirs = _r_matches_ordered(m.match_matrix), _r_matches(r)
    rounds = 1 if kw.get("replace") else kw.get("ratio", 1)
    t, k = next(
        (t, k) for k in range(rounds) for t in sorted(set(ours) | set(theirs)) if ours.get(t, [])[k : k + 1] != theirs.get(t, [])[k : k + 1]
    )
    a, b = ours[t][k], theirs[t][k]
    metric = mahalanobis_metric(d, d[treatment].to_numpy(), _mahalanobis_covariates(name, covs), m.discarded.to_numpy())
    da, db = metric.distances(t, np.array([a, b]))
    assert da == pytest.approx(db, rel=1e-12), f"treated {t}: ours {a} at {da}, R's {b} at {db} is not a tie"


def _r_matches_ordered(match_matrix) -> dict[int, list[int]]:
    return {int(t): [int(c) for c in row.dropna()] for t, row in match_matrix.iterrows() if len(row.dropna())}


def _r_matches(r) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for row in r["mm"].itertuples(index=False):
        cs = [int(c) - 1 for c in row[1:] if not pd.isna(c)]
        if cs:
            out[int(row[0]) - 1] = cs
    return out


@pytest.mark.needs_r
@pytest.mark.parametrize("case", [c for c, kw in OPTION_CASES.items() if "link" not in kw])
def test_weights_subclasses_and_balance_from_matchit_pairs_equal_matchit(dataset, r_results, case):
    """Everything computed from the matches (weights, subclasses, balance, sample sizes) equals R's when
    given R's own pairs, apart from the matching itself."""
    _, d, treatment, covs, names = dataset
    r = r_results[f"user_{case}"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = match(d, treatment, covs, distance=d.ps.to_numpy(), **_resolve(OPTION_CASES[case], names))
    from_r = assemble_result(
        m.data, m.treatment, m.covariates, m.spec, m.treat, m.distance.to_numpy(), m.discarded.to_numpy(), _r_matches(r), m.caliper_widths
    )
    _assert_identical(from_r, r)
