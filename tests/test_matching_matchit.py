"""Conformance with R's MatchIt 4.5.1 (Debian r-cran-matchit), the evaluators' reference.

Three legs:
1. Propensity scores equal R's glm to 1e-6.
2. Direct identity with MatchIt, option by option: matched pairs, weights and subclasses identical,
   balance statistics within 1e-6, sample sizes equal. On a scalar distance the distance given to
   both is a vector of whole numbers (the propensity score in millionths): MatchIt 4.5.1 truncates
   distance differences to integers (#163), which is harmless for whole numbers, so R then does
   what the algorithm intends. Mahalanobis matching needs no such care.
3. With R's own (fractional) propensity scores, a line-by-line transcription of MatchIt 4.5.1's loop
   reproduces R exactly with its two known bugs switched on, and equals evaluation.matching with
   them switched off: the bugs are the only difference.
Datasets: MatchIt's `lalonde`, and the demo cohort (categorical covariates, so many exact ties).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import evaluation
from evaluation.cohort import build_cohort
from evaluation.matching import _calipers, assemble_result, match
from tests.matchit451_reference import ref_nn_vec
from tests.r_reference import require_r, run_matchit

STATS = ["means_treated", "means_control", "std_mean_diff", "var_ratio", "ecdf_mean", "ecdf_max"]
R_STATS = {
    "Means Treated": "means_treated",
    "Means Control": "means_control",
    "Std. Mean Diff.": "std_mean_diff",
    "Var. Ratio": "var_ratio",
    "eCDF Mean": "ecdf_mean",
    "eCDF Max": "ecdf_max",
}

SCALAR_CASES = {  # 1:1 on a whole-number distance: R 4.5.1 does what it intends, so pairs must be identical
    "largest": {},
    "smallest": dict(m_order="smallest"),
    "data_order": dict(m_order="data"),
    "caliper_std": dict(caliper=0.2),
    "caliper_raw": dict(caliper=20000.0, std_caliper=False),
    "exact": dict(exact="EXACT"),
    "exact_caliper": dict(exact="EXACT", caliper=0.3),
    "discard_both": dict(discard="both"),
    "discard_control": dict(discard="control"),
    "discard_treated_caliper": dict(discard="treated", caliper=0.25),
    "covariate_caliper": dict(caliper={"": 0.5, "AGE": 2.0}, std_caliper={"": True, "AGE": False}),
    "replace": dict(replace=True),
    "replace_caliper": dict(replace=True, caliper=0.1),
}
RATIO_CASES = {  # k:1 on a whole-number distance: 4.5.1's 0/1-based 'already matched' check can skip a control
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
BUG_CASES = {  # R's own glm distance: fractional, so 4.5.1's bugs show
    "largest": {},
    "smallest": dict(m_order="smallest"),
    "ratio2": dict(ratio=2),
    "caliper": dict(caliper=0.2, link="linear.logit"),
    "exact_caliper": dict(exact="EXACT", caliper=0.3),
    "replace_ratio2": dict(replace=True, ratio=2),
    "discard_caliper": dict(discard="control", caliper=0.1),
}


def _lalonde(tmp_path_factory) -> tuple[pd.DataFrame, list[str], dict[str, str]]:
    rscript = require_r("MatchIt")
    import subprocess

    path = tmp_path_factory.mktemp("lalonde") / "lalonde.csv"
    subprocess.run(
        [rscript, "-e", f'library(MatchIt); data(lalonde); write.csv(lalonde, "{path}", row.names = FALSE)'],
        check=True,
        capture_output=True,
    )
    d = pd.read_csv(path).drop(columns="re78")  # re78 is the outcome: never a covariate
    return d, ["age", "educ", "race", "married", "nodegree", "re74", "re75"], {"EXACT": "race", "AGE": "age"}


def _demo_cohort(demo_dir) -> tuple[pd.DataFrame, list[str], dict[str, str]]:
    c = build_cohort(evaluation.load(demo_dir))
    covs = list(c.covariates)
    d = c.table[["treated"] + covs].copy()
    d["yos_yes"] = (d.known_to_yos == "yes").astype(int)
    # exact on a variable with treated children in every stratum: MatchIt 4.5.1 fails otherwise (#151)
    return d, covs, {"EXACT": "known_to_yos", "AGE": "age"}


@pytest.fixture(scope="module", params=["lalonde", "demo_cohort"])
def dataset(request, tmp_path_factory, demo_dir):
    require_r("MatchIt")
    if request.param == "lalonde":
        d, covs, names = _lalonde(tmp_path_factory)
        treatment = "treat"
    else:
        d, covs, names = _demo_cohort(demo_dir)
        treatment = "treated"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ps = match(d, treatment, covs).distance.to_numpy()
    d = d.assign(ps=ps, ps_int=np.round(ps * 1e6))  # whole numbers: immune to MatchIt 4.5.1's integer abs
    return request.param, d, treatment, covs, names


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


@pytest.fixture(scope="module")
def r_results(dataset, tmp_path_factory):
    name, d, treatment, covs, names = dataset
    cases = {}
    for case, kw in {**SCALAR_CASES, **RATIO_CASES}.items():
        cases[f"scalar_{case}"] = {
            "treatment": treatment,
            "covariates": covs,
            "distance": "user",
            "user_distance_column": "ps_int",
            **_resolve(kw, names),
        }
    for case, kw in MAHALANOBIS_CASES.items():
        cases[case] = {"treatment": treatment, "covariates": _mahalanobis_covariates(name, covs), **_resolve(kw, names)}
    for case, kw in BUG_CASES.items():
        cases[f"glm_{case}"] = {"treatment": treatment, "covariates": covs, **_resolve(kw, names)}
    for link in ("logit", "linear.logit"):
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
@pytest.mark.parametrize("link", ["logit", "linear.logit"])
def test_propensity_scores_equal_matchit(dataset, r_results, link):
    _, d, treatment, covs, _ = dataset
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = match(d, treatment, covs, link=link).distance.to_numpy()
    np.testing.assert_allclose(ours, r_results[f"ps_{link}"]["units"].distance.to_numpy(), rtol=0, atol=1e-6)


@pytest.mark.needs_r
@pytest.mark.parametrize("case", list(SCALAR_CASES))
def test_scalar_distance_matching_identical_to_matchit(dataset, r_results, case):
    _, d, treatment, covs, names = dataset
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = match(d, treatment, covs, distance=d.ps_int.to_numpy(), **_resolve(SCALAR_CASES[case], names))
    _assert_identical(m, r_results[f"scalar_{case}"])


def _mahalanobis_covariates(name: str, covs: list[str]) -> list[str]:
    """On the demo cohort, numeric covariates only: with several factors expanded to all levels the
    covariance is singular, and MatchIt 4.5.1's pivoted Cholesky of the generalised inverse keeps a
    non-negligible unfactored block (later versions replaced it), so R's distances are then not
    Mahalanobis distances (test_matching checks ours from first principles). The propensity score
    joins them as a continuous covariate: with whole-number covariates only, units equally far apart
    in exact arithmetic are split by last-bit rounding that differs between R's BLAS and ours;
    identical rows still tie exactly, so the tie rule is still exercised."""
    if name == "lalonde":
        return covs
    return ["age", "yos_yes", "prior_offences_12m", "prior_victimisations_12m", "prior_missing_episodes_12m", "prior_detentions_12m", "ps"]


@pytest.mark.needs_r
@pytest.mark.parametrize("case", list(MAHALANOBIS_CASES))
def test_mahalanobis_matching_identical_to_matchit(dataset, r_results, case):
    name, d, treatment, covs, names = dataset
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = match(d, treatment, _mahalanobis_covariates(name, covs), **_resolve(MAHALANOBIS_CASES[case], names))
    _assert_identical(m, r_results[case])


def _r_matches(r) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for row in r["mm"].itertuples(index=False):
        cs = [int(c) - 1 for c in row[1:] if not pd.isna(c)]
        if cs:
            out[int(row[0]) - 1] = cs
    return out


@pytest.mark.needs_r
@pytest.mark.parametrize("case", list(SCALAR_CASES) + list(RATIO_CASES))
def test_weights_subclasses_and_balance_from_matchit_pairs_equal_matchit(dataset, r_results, case):
    """Everything computed from the matches (weights, subclasses, balance, sample sizes) equals R's,
    including for the k:1 cases, when given R's own pairs."""
    _, d, treatment, covs, names = dataset
    r = r_results[f"scalar_{case}"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = match(d, treatment, covs, distance=d.ps_int.to_numpy(), **_resolve({**SCALAR_CASES, **RATIO_CASES}[case], names))
    from_r = assemble_result(
        m.data, m.treatment, m.covariates, m.spec, m.treat, m.distance.to_numpy(), m.discarded.to_numpy(), _r_matches(r), m.caliper_widths
    )
    _assert_identical(from_r, r)


def _transcription(d, treat, dist, disc, kw, bugs: bool) -> set[tuple[int, int]]:
    m_order = "data" if kw.get("replace") else kw.get("m_order", "largest")
    widths = _calipers(kw.get("caliper"), kw.get("std_caliper", True), d, dist, disc, True)
    cal_names = [k for k in widths if k]
    cal_covs = d[cal_names].to_numpy(float) if cal_names else None
    cal_widths = np.array([widths[k] for k in cal_names]) if cal_names else None
    strata = (
        [np.arange(len(d))]
        if not kw.get("exact")
        else [np.flatnonzero(d[kw["exact"][0]].to_numpy() == v) for v in sorted(set(d[kw["exact"][0]]))]
    )
    pairs = set()
    for units in strata:
        tu, du = treat[units], dist[units]
        dt = du[tu == 1]
        order = {"largest": np.argsort(-dt, kind="stable"), "smallest": np.argsort(dt, kind="stable"), "data": np.arange(len(dt))}[m_order]
        mm = ref_nn_vec(
            tu,
            du,
            order,
            kw.get("ratio", 1),
            disc[units],
            kw.get("replace", False),
            widths.get(""),
            None,
            None if cal_covs is None else cal_covs[units],
            cal_widths,
            bugs=bugs,
        )
        treated_rows = units[tu == 1]
        pairs |= {(int(treated_rows[i]), int(units[c])) for i, row in enumerate(mm) for c in row}
    return pairs


@pytest.mark.needs_r
@pytest.mark.parametrize("case", [f"glm_{c}" for c in BUG_CASES] + [f"scalar_{c}" for c in RATIO_CASES])
def test_known_matchit_451_bugs_are_the_only_difference(dataset, r_results, case):
    _, d, treatment, covs, names = dataset
    kw = _resolve(BUG_CASES[case[4:]] if case.startswith("glm_") else RATIO_CASES[case[7:]], names)
    r = r_results[case]
    dist = r["units"].distance.to_numpy()
    treat = d[treatment].to_numpy()
    disc = r["units"].discarded.to_numpy().astype(bool)
    assert _transcription(d, treat, dist, disc, kw, bugs=True) == _r_pairs(r), "the transcription with 4.5.1's bugs reproduces R"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = match(d, treatment, covs, distance=dist, **{k: v for k, v in kw.items() if k != "link"})
    assert _our_pairs(ours) == _transcription(d, treat, dist, disc, kw, bugs=False), (
        "evaluation.matching is the transcription without the bugs"
    )
