"""The design on data it did not shape: a CI-sized run of the simulation study (tests/simulation/).

The full study (500 replications per arm, `make validation`) is documented in docs/validation.md. This
run uses the same generator and pipeline on fewer replications, with limits fixed before looking at
any result: under no effect, the number of the 5 headline tests that are significant across all
replications must not exceed the 99.9% point of a Binomial(n, 0.05), which a correct 5% test passes
with probability 0.999 and the original comparison-pool rule (a false 'significant harm') fails; with
a planted effect, the 95% intervals must cover the truth at least as often as the 0.1% point of a
Binomial(n, 0.95) allows; the mean error of each DiD (log scale) must be within 3 standard errors of 0.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from tests.simulation import study

REPLICATIONS = 24
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def results():
    return study.run(REPLICATIONS, workers=2, progress=False)


def _headlines(results, planted: bool):
    r = results[(results.planted == planted) & results.estimate.isin(study.HEADLINES) & results.value.notna()]
    return r.assign(significant=(r.p_value <= 0.05), covered=(r.ci_low <= r.truth) & (r.truth <= r.ci_high))


def test_no_replication_fails(results):
    assert "error" not in results or results.error.isna().all(), results[results.estimate == "(error)"].error.tolist()


def test_no_effect_is_found_where_there_is_none_beyond_chance(results):
    r = _headlines(results, planted=False)
    n = len(r)
    assert n >= 3 * REPLICATIONS  # most replications estimate every headline
    limit = stats.binom.ppf(0.999, n, 0.05)
    assert r.significant.sum() <= limit, r.groupby("estimate").significant.mean().to_dict()


def test_intervals_cover_a_planted_effect(results):
    r = _headlines(results, planted=True)
    n = len(r)
    floor = stats.binom.ppf(0.001, n, 0.95)
    assert r.covered.sum() >= floor, r.groupby("estimate").covered.mean().to_dict()


@pytest.mark.parametrize("estimate", ["did_offending_12m", "did_victimisation_12m", "did_missing_episodes_12m"])
def test_difference_in_differences_is_not_biased(results, estimate):
    r = results[(results.estimate == estimate) & results.value.notna()]
    err = np.log(r.value) - np.log(r.truth)
    se = err.std() / np.sqrt(len(err))
    assert abs(err.mean()) < 3 * se + 0.02, (err.mean(), se)
