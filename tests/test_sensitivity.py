"""E-values and Rosenbaum bounds against the published worked examples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation.sensitivity import (
    HiddenBias,
    e_value,
    e_value_ci,
    gamma_if_significant,
    matched_set_differences,
    rosenbaum_gamma,
    signed_rank_upper_p,
)

# Morton et al. (1982) blood lead: 33 exposed children and their matched controls, as in Rosenbaum (2002), s. 4.3.3
LEAD_EXPOSED = [
    38,
    23,
    41,
    18,
    37,
    36,
    23,
    62,
    31,
    34,
    24,
    14,
    21,
    17,
    16,
    20,
    15,
    10,
    45,
    39,
    22,
    35,
    49,
    48,
    44,
    35,
    43,
    39,
    34,
    13,
    73,
    25,
    27,
]
LEAD_CONTROL = [
    16,
    18,
    18,
    24,
    19,
    11,
    10,
    15,
    16,
    18,
    18,
    13,
    19,
    10,
    16,
    16,
    24,
    13,
    9,
    14,
    21,
    19,
    7,
    18,
    19,
    12,
    11,
    22,
    25,
    16,
    13,
    11,
    13,
]


def test_e_value_reproduces_vanderweele_and_ding_worked_example():
    # VanderWeele & Ding (2017), Ann. Intern. Med.: RR 3.9 (95% CI 1.8 to 8.7) -> E-values 7.26 and 3.0
    assert e_value(3.9) == pytest.approx(7.26, abs=0.005)
    assert e_value_ci(1.8, 8.7) == pytest.approx(3.0, abs=1e-9)
    # protective estimates use 1/RR; an interval that includes 1 needs no confounding
    assert e_value(1 / 3.9) == pytest.approx(e_value(3.9))
    assert e_value_ci(0.8, 1.2) == 1.0
    assert e_value_ci(0.5, 0.9) == pytest.approx(e_value(1 / 0.9))


def test_rosenbaum_bounds_reproduce_table_4_3_of_observational_studies():
    # Rosenbaum (2002), Observational Studies, 2nd ed., s. 4.3.3, Table 4.3: upper bounds on the one-sided P-value of
    # Wilcoxon's signed-rank test for the lead data: 0.0018 (Gamma 2), 0.0136 (3), 0.0388 (4), 0.0468 (4.25)
    d = np.array(LEAD_EXPOSED) - np.array(LEAD_CONTROL)
    for gamma, expected in ((2, 0.0018), (3, 0.0136), (4, 0.0388), (4.25, 0.0468)):
        assert signed_rank_upper_p(d, gamma) == pytest.approx(expected, abs=0.00005)
    assert signed_rank_upper_p(d, 1) < 0.0001
    # the Gamma at which the 5% one-sided test stops being significant lies between 4.25 and 5 (Table 4.3)
    g = rosenbaum_gamma(d, alpha=0.05)
    assert 4.25 < g < 5 and signed_rank_upper_p(d, g) == pytest.approx(0.05, abs=1e-6)
    # the direction follows the data
    assert rosenbaum_gamma(-d, alpha=0.05) == pytest.approx(g)


def test_rosenbaum_gamma_is_one_without_a_significant_result():
    rng = np.random.default_rng(1)
    d = rng.normal(0, 1, 40)
    assert rosenbaum_gamma(np.r_[d, -d]) == 1.0  # perfectly balanced signs
    assert gamma_if_significant((-0.1, 0.2), 0.0, np.full(50, 1.0)) == 1.0  # the main CI decides
    assert gamma_if_significant((0.1, 0.2), 0.0, None) is None
    assert gamma_if_significant((0.1, 0.2), 0.0, np.full(50, 1.0)) > 1


def test_matched_set_differences_use_the_weighted_comparison_mean():
    f = pd.DataFrame(
        {
            "subclass": [1, 1, 1, 2, 2, np.nan],
            "treated": [1, 0, 0, 1, 0, 0],
            "weight": [1, 0.5, 0.5, 1, 1, 1],
            "v": [3.0, 1.0, 2.0, 0.0, 4.0, 9.0],
        }
    )
    assert matched_set_differences(f, "v").tolist() == [1.5, -4.0]


def test_hidden_bias_words_follow_the_numbers():
    sig = HiddenBias(0.6, (0.45, 0.8), e_value(0.6), e_value_ci(0.45, 0.8), 1.8, "ratio of rate ratios")
    text = sig.words("the fall in offending")
    assert f"{e_value(0.6):.1f}" in text and "1.80" in text and "Gamma" in text
    null = HiddenBias(0.9, (0.7, 1.2), e_value(0.9), 1.0, 1.0, "ratio of rate ratios")
    assert "no unmeasured factor is needed" in null.words("the estimate")
