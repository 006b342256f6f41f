"""One estimate shape for every stage (issue 11): `Evaluation.summary()` is one tidy table, each row read from
the stage's own result object, on a dataset from the independent generator (tests/simulation/generator.py)."""

from __future__ import annotations

import math
import warnings

import pandas as pd
import pytest

import evaluation
from evaluation.estimate import COLUMNS, Estimate
from tests.simulation.generator import Scenario, simulate


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("estimates")
    scenario = Scenario(seed=3, people_per_suite=230, programme_months=12)
    data = simulate(scenario).write(folder / "data")
    (data / "costs.csv").write_text(
        "item,category,start_date,end_date,amount_gbp,funder\n"
        f"Outreach workers,staff,{scenario.start},{scenario.end},61234.56,Test funder\n",
        encoding="utf-8",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return evaluation.evaluate(evaluation.load(data))


def test_every_stage_reports_in_one_shape(evaluated):
    table = evaluated.summary()
    assert list(table.columns) == COLUMNS
    ran = {"engagement"} | {s for s in ("before_after", "reoffending", "value_for_money") if getattr(evaluated, s) is not None}
    assert set(table.stage) == ran
    finite = table[table.estimate.map(math.isfinite)]
    assert (finite.ci_low <= finite.estimate + 1e-9).all() and (finite.estimate <= finite.ci_high + 1e-9).all()
    assert table.measure.is_unique


def test_rows_are_the_stage_results_own_numbers(evaluated):
    table = evaluated.summary().set_index("measure")
    rates = evaluated.engagement.rates
    for r in rates.itertuples():
        row = table.loc[r.label]
        assert row.estimate == r.rate and row.n_programme == r.denominator and pd.isna(row.n_comparison)
    ba = evaluated.before_after
    if ba is not None:
        rows = table[table.stage == "before_after"]
        assert len(rows) == sum(len(w) for w in ba.results.values())
        first = next(iter(ba.results))
        window = max(ba.results[first])
        did = ba.get(first, window).did
        row = rows[rows.index.str.contains(f"{window} months")].iloc[0]
        assert (row.estimate, row.ci_low, row.ci_high) == (did["rate_ratio"], did["ci_low"], did["ci_high"]) or math.isnan(
            did["rate_ratio"]
        )
    reo = evaluated.reoffending
    if reo is not None:
        m = reo.measures["proven"]
        row = table.loc[f"{m.label}: share with the event"]
        assert (row.estimate, row.p_value, row.n_programme, row.n_comparison) == (
            m.rate.difference,
            m.rate.p_value,
            m.rate.n_treated,
            m.rate.n_comparison,
        )


def test_significance_reads_the_interval_on_the_scales_null():
    def e(scale, lo, hi):
        return Estimate("s", "m", scale, (lo + hi) / 2, lo, hi, None, 1, 1, "")

    assert e("ratio of rate ratios", 0.5, 0.9).significant is True
    assert e("ratio of rate ratios", 0.5, 1.1).significant is False
    assert e("difference (programme minus comparison)", -0.2, -0.01).significant is True
    assert e("difference (programme minus comparison)", -0.2, 0.01).significant is False
    assert e("proportion", 0.2, 0.4).significant is None
    assert e("benefit-cost ratio", 1.2, 3.0).significant is None
