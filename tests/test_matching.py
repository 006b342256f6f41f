"""evaluation.matching without R: against an independent brute-force matcher on random tie-heavy
data, first-principles Mahalanobis distances, weights and balance worked by hand, refusals, memory."""

from __future__ import annotations

import tracemalloc
import warnings

import numpy as np
import pandas as pd
import pytest

import evaluation
from evaluation.cohort import COLUMN_ROLES, build_cohort
from evaluation.matching import MatchingError, mahalanobis_metric, match, match_cohort
from tests.nn_reference import ref_nn_vec


def _random_data(seed: int, n1: int = 40, n0: int = 160) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = n1 + n0
    return pd.DataFrame(
        {
            "treat": np.r_[np.ones(n1, int), np.zeros(n0, int)][rng.permutation(n)],
            "dist": rng.integers(0, 30, n).astype(float),  # many exact ties
            "age": rng.integers(10, 18, n),
            "grp": rng.choice(["a", "b", "c"], n),
        }
    )


@pytest.mark.parametrize("seed", range(60))
def test_scalar_matching_equals_brute_force_reference(seed):
    """Options drawn at random; the result must equal the O(n1*n) transcription ."""
    rng = np.random.default_rng(1000 + seed)
    d = _random_data(seed)
    ratio = int(rng.integers(1, 4))
    replace = bool(rng.random() < 0.3)
    caliper = [None, 2.0, 5.0][int(rng.integers(0, 3))]
    m_order = ["largest", "smallest", "data"][int(rng.integers(0, 3))]
    exact = "grp" if rng.random() < 0.3 else None
    age_cal = 1.0 if rng.random() < 0.25 else None
    discard = ["none", "both", "control"][int(rng.integers(0, 3))]
    cal = None
    if caliper is not None or age_cal is not None:
        cal = {**({"": caliper} if caliper is not None else {}), **({"age": age_cal} if age_cal is not None else {})}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            m = match(
                d,
                "treat",
                ["age", "grp"],
                distance=d.dist.to_numpy(),
                ratio=ratio,
                replace=replace,
                caliper=cal,
                std_caliper=False,
                m_order=m_order,
                exact=exact,
                discard=discard,
            )
        except MatchingError:
            return  # nothing matched: the reference agrees below only when there is something to compare
    treat, dist = d.treat.to_numpy(), d.dist.to_numpy()
    disc = m.discarded.to_numpy()
    strata = [np.arange(len(d))] if exact is None else [np.flatnonzero(d.grp.to_numpy() == g) for g in sorted(set(d.grp))]
    expected = set()
    for units in strata:
        tu, du = treat[units], dist[units]
        dt = du[tu == 1]
        order = {"largest": np.argsort(-dt, kind="stable"), "smallest": np.argsort(dt, kind="stable"), "data": np.arange(len(dt))}[
            "data" if replace else m_order
        ]
        cc = d[["age"]].to_numpy(float)[units] if age_cal is not None else None
        mm = ref_nn_vec(tu, du, order, ratio, disc[units], replace, caliper, None, cc, np.array([age_cal]) if age_cal is not None else None)
        rows = units[tu == 1]
        expected |= {(int(rows[i]), int(units[c])) for i, row in enumerate(mm) for c in row}
    got = {(int(t), int(c)) for t, row in m.match_matrix.iterrows() for c in row.dropna()}
    assert got == expected
    # every pair honours every caliper (MatchIt#236 is about a caliper not being enforced)
    for t, c in got:
        if caliper is not None:
            assert abs(dist[t] - dist[c]) <= caliper
        if age_cal is not None:
            assert abs(d.age[t] - d.age[c]) <= age_cal
        if exact:
            assert d.grp[t] == d.grp[c]
    if replace:
        assert all(len(set(row.dropna())) == len(row.dropna()) for _, row in m.match_matrix.iterrows()), "distinct controls per treated"


def test_weights_worked_by_hand():
    # treated A gets controls x, y; treated B gets x (with replacement, ratio 2, B has one eligible control)
    d = pd.DataFrame({"treat": [1, 1, 0, 0, 0], "dist": [0.0, 10.0, 0.1, -0.2, 9.0], "z": [1, 2, 3, 4, 5]})
    m = match(d, "treat", ["z"], distance=d.dist.to_numpy(), ratio=2, replace=True, caliper=1.5, std_caliper=False)
    pairs = m.pairs()
    assert set(zip(pairs.treated, pairs.control)) == {(0, 2), (0, 3), (1, 4)}
    # raw control weights: x=1/2, y=1/2, w=1 -> sum 2, scaled to the 3 matched controls: x 0.75, y 0.75, w 1.5
    np.testing.assert_allclose(m.weights.to_numpy(), [1, 1, 0.75, 0.75, 1.5])
    sizes = m.sample_sizes()
    assert sizes.loc["Matched", "Control"] == 3 and sizes.loc["Matched", "Treated"] == 2


def test_balance_worked_by_hand():
    d = pd.DataFrame({"treat": [1, 1, 1, 0, 0, 0, 0], "x": [1.0, 2.0, 6.0, 1.0, 2.0, 3.0, 10.0], "b": [1, 1, 0, 0, 1, 0, 0]})
    m = match(d, "treat", ["x", "b"], distance=d.x.to_numpy())
    b = m.balance(un=True)
    sd_treated_x = np.std([1.0, 2.0, 6.0], ddof=1)
    assert b.loc["x", "std_mean_diff_un"] == pytest.approx((3.0 - 4.0) / sd_treated_x)
    p = 2 / 3  # binary: sqrt(p(1-p)) of the treated, not the sample SD
    assert b.loc["b", "std_mean_diff_un"] == pytest.approx((p - 0.25) / np.sqrt(p * (1 - p)))
    assert np.isnan(b.loc["b", "var_ratio_un"]) and b.loc["b", "ecdf_max_un"] == pytest.approx(abs(p - 0.25))
    matched_controls = m.weights[(d.treat == 0) & (m.weights > 0)].index
    mean_c = d.x[matched_controls].mean()
    assert b.loc["x", "std_mean_diff"] == pytest.approx((3.0 - mean_c) / sd_treated_x), "denominator fixed before matching"


def test_mahalanobis_distance_from_first_principles():
    """Full-rank covariance: scaled columns, pooled within-group covariance, its inverse. (With a singular one
    MatchIt factors the generalised inverse with a pivoted Cholesky that stops at its rank; the transformed
    rows then equal R's: test_matching_matchit.test_mahalanobis_rows_equal_matchit.)"""
    rng = np.random.default_rng(5)
    n = 300
    treat = (rng.random(n) < 0.3).astype(int)
    a = rng.normal(size=n) + treat
    t = pd.DataFrame({"treat": treat, "a": a, "b": 0.6 * a + rng.normal(size=n), "c": rng.poisson(2, n).astype(float)})
    metric = mahalanobis_metric(t, treat, ["a", "b", "c"], np.zeros(n, bool))
    X = t[["a", "b", "c"]].to_numpy()
    Z = (X - X.mean(axis=0)) / X.std(axis=0, ddof=1)
    C = Z.copy()
    for g in (0, 1):
        C[treat == g] -= C[treat == g].mean(axis=0)
    P = np.linalg.inv(C.T @ C / (n - 2))
    for i, j in rng.integers(0, n, size=(50, 2)):
        delta = Z[i] - Z[j]
        assert metric.distances(i, np.array([j]))[0] == pytest.approx(np.sqrt(delta @ P @ delta), rel=1e-8, abs=1e-10)


def test_mahalanobis_ties_break_by_data_order():
    # controls 1 and 3 are equally far from the treated unit (ages 15 and 17 around 16): the first wins
    d = pd.DataFrame({"treat": [1, 0, 0, 0], "age": [16, 15, 20, 17], "n": [2, 2, 2, 2]})
    d.loc[2, "n"] = 3
    m = match(d, "treat", ["age", "n"], distance="mahalanobis")
    assert m.match_matrix.loc[0, 1] == 1


def test_refuses_identifiers_outcomes_and_post_index_columns(demo_dir):
    t = build_cohort(evaluation.load(demo_dir)).table
    for bad in (["person_id"], ["engagement_outcome"], ["positively_engaged"]):
        with pytest.raises(MatchingError, match="refused"):
            match(t, "treated", ["age", *bad], column_roles=COLUMN_ROLES)
    d = t.assign(reoffended_12m=0, case_id=1)
    for bad in ("reoffended_12m", "case_id"):
        with pytest.raises(MatchingError, match="refused"):
            match(d, "treated", ["age", bad])
    with pytest.raises(MatchingError, match="cannot also be a covariate"):
        match(t, "treated", ["age", "treated"])


def test_bad_specifications_are_explained():
    d = _random_data(1)
    with pytest.raises(MatchingError, match="0/1"):
        match(d.assign(treat=d.treat * 2), "treat", ["age"])
    with pytest.raises(MatchingError, match="not in the data"):
        match(d, "treat", ["nope"])
    with pytest.raises(MatchingError, match="needs a propensity score"):
        match(d, "treat", ["age"], distance="mahalanobis", caliper=0.2)
    with pytest.raises(MatchingError, match="binary or categorical"):
        match(d, "treat", ["age"], caliper={"grp": 1.0})
    with pytest.raises(MatchingError, match="m_order"):
        match(d, "treat", ["age"], m_order="closest")


def test_treated_units_dropped_by_a_caliper_are_reported():
    d = _random_data(3)
    dist = np.random.default_rng(3).normal(size=len(d))  # continuous: no exact-distance partners
    with pytest.warns(UserWarning, match="estimand changes"):
        m = match(d, "treat", ["age"], distance=dist, caliper=0.0001, std_caliper=False)
    assert any("not matched (a caliper)" in w for w in m.warnings)


def test_separation_is_flagged():
    d = _random_data(4)
    d["rare"] = np.where(d.treat == 0, "x", "y")
    d.loc[d.index[d.treat == 0][:3], "rare"] = "z"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = match(d, "treat", ["age", "rare"])
    assert any("rare = z (0 treated, 3 control)" in w for w in m.warnings)


def test_memory_does_not_grow_with_treated_times_controls():
    rng = np.random.default_rng(0)
    n1, n0 = 5_000, 200_000  # a treated x controls matrix of doubles would need 8 GB
    d = pd.DataFrame({"treat": np.r_[np.ones(n1, int), np.zeros(n0, int)], "z": rng.normal(size=n1 + n0)})
    dist = rng.normal(size=n1 + n0)
    tracemalloc.start()
    match(d, "treat", ["z"], distance=dist, caliper=0.2)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 200e6, f"peak traced memory {peak / 1e6:.0f} MB"


def test_auto_ratio_keeps_the_best_balanced_candidate(demo_dir):
    c = build_cohort(evaluation.load(demo_dir))
    cm = match_cohort(c.table, c.covariates, ratio="auto", max_ratio=4, caliper=0.2, link="linear.logit")
    cand = cm.candidates
    qualifying = cand[cand.treated_matched >= 0.95 * c.n_programme]
    assert cand.chosen.sum() == 1
    assert cand[cand.chosen].max_abs_std_mean_diff.item() == qualifying.max_abs_std_mean_diff.min()
    res = cm.to_results()
    assert res["max_abs_std_mean_diff_after"] < res["max_abs_std_mean_diff_before"]
    assert res["n_treated"] == c.n_programme == 93


def test_love_and_overlap_plots(demo_dir):
    import matplotlib

    matplotlib.use("Agg")
    c = build_cohort(evaluation.load(demo_dir))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = match(c.table, "treated", c.covariates, caliper=0.2, link="linear.logit")
    ax = m.love_plot()
    assert len(ax.collections) == 2 and len(ax.get_yticklabels()) == len(m.balance().index) - 1
    axes = m.overlap_plot()
    assert all(len(a.patches) > 0 for a in axes)
