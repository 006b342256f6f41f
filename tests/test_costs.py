"""Costs and value for money: apportioning, period-consistent unit costs, the reconciliation, the
unit-cost library and deflators, benefits arithmetic, Monte Carlo, break-even, switching values, renewal."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

import evaluation
from evaluation import costs, engagement, outcomes
from evaluation.cohort import build_cohort
from evaluation.matching import match_comparison


@pytest.fixture(scope="module")
def demo_vfm(demo_dir):
    data = evaluation.load(demo_dir)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cohort = build_cohort(data)
        cm = match_comparison(cohort, data.config)
        oc = outcomes.compare_before_after(data, cohort, cm)
    return data, oc, costs.analyse(data, engagement.analyse(data), oc)


def test_apportioning_by_day():
    c = pd.DataFrame(
        {
            "item": ["a", "b"],
            "category": ["staff", "in_kind"],
            "amount_gbp": [310.0, 100.0],
            "start_date": pd.to_datetime(["2020-10-01", "2020-01-01"]),
            "end_date": pd.to_datetime(["2020-10-31", "2020-01-10"]),
        }
    )
    a = costs.apportion(c, "2020-10-19", "2020-12-31")
    assert a.days_in_period.tolist() == [13, 0] and a.amount_in_period.tolist() == [130.0, 0.0]


def test_period_consistent_cost_per_child(demo_vfm):
    _, _, v = demo_vfm
    po = v.per_outcome.set_index("measure")
    # staff: October pro rata (13 of 31 days of £19,200) + November + December, over the 93 children engaged
    staff = 19200 * 13 / 31 + 2 * 19200
    assert po.loc["engaged", "staff"] == pytest.approx(round(19200 * 13 / 31, 2) / 93 + 2 * 19200 / 93, abs=0.01)
    assert 495 <= po.loc["engaged", "staff"] <= 505 and staff / 93 == pytest.approx(po.loc["engaged", "staff"], abs=0.01)
    assert po.loc["engaged", "children"] == 93 and po.loc["intervention_arranged", "children"] == 31
    assert po.loc["intervention_arranged", "full_economic"] == pytest.approx(v.period.full_economic / 31)


def test_reconciliation_explains_the_stated_figures(demo_vfm):
    _, _, v = demo_vfm
    r = v.reconciliation.set_index("measure")
    per_child = r.loc["cost_per_child_engaged"]
    assert per_child.reported == 206 and 495 <= per_child.recomputed <= 505
    assert "31 days of spending" in per_child.reasons and "74-day period" in per_child.reasons
    positive = r.loc["cost_per_positive_outcome"]
    assert "counts 33 children where the programme's own records give 31" in positive.reasons
    assert "implies dividing by 31.0" in positive.reasons
    assert positive.recomputed == pytest.approx(v.period.of("staff") / 31)


def test_deflators_and_uprating():
    fy, interpolated = costs.deflator_index("2015/16")
    assert fy == pytest.approx(0.75 * 75.15 + 0.25 * 76.46) and not interpolated
    v2011, interp = costs.deflator_index("2011")
    assert interp and v2011 == pytest.approx(69.12 * (73.48 / 69.12) ** (1 / 3))
    with pytest.raises(costs.CostError, match="covers 2008 to 2024"):
        costs.deflator_index("2002/03")
    assert costs.financial_year("2020-10-19") == "2020/21" and costs.financial_year("2021-03-31") == "2020/21"


def test_unit_cost_library_is_sourced_and_complete():
    lib = costs.shipped_unit_costs()
    assert lib.citation.str.len().min() > 20 and lib.url.notna().all()
    assert set(lib.status) <= {"primary", "secondary"}
    assert not lib.notes.fillna("").str.contains("not found|unverified", case=False).any()
    values = lib[["fiscal", "economic", "social", "total"]]
    assert values.notna().any(axis=1).all()
    gmca = lib[lib.index.str.startswith("gmca_cr8")]
    assert gmca[["fiscal", "economic", "social"]].notna().all().all() and len(gmca) >= 8
    assert lib.loc["gmca_cr8_6_robbery", ["fiscal", "economic", "social"]].tolist() == [3674, 1344, 3789]
    bmap = pd.read_csv(costs.package_path("data", "benefit_map.csv"))
    assert set(bmap.unit_cost_key) <= set(lib.index)
    for year in lib.price_year:
        costs.deflator_index(year)  # every shipped price year can be uprated


def test_benefits_arithmetic_and_ratios(demo_vfm):
    data, oc, v = demo_vfm
    ba = oc.get("offending", 12)
    expected_averted = 93 * ba.rate("programme", "after") * (1 / ba.did["rate_ratio"] - 1)
    assert v.benefits.set_index("outcome").loc["offending", "averted"] == pytest.approx(expected_averted)
    assert v.bcr == pytest.approx(v.benefits.public_value.sum() / v.cost)
    assert v.npv == pytest.approx(v.benefits.public_value.sum() - v.cost)
    assert v.bcr_fiscal == pytest.approx(v.benefits.fiscal.sum() / v.cost)


def test_monte_carlo_is_seeded_vectorised_and_centred(demo_vfm, demo_dir):
    data, oc, v = demo_vfm
    assert len(v.mc_bcr) >= 10_000
    again = costs.analyse(data, engagement.analyse(data), oc)
    np.testing.assert_array_equal(v.mc_bcr, again.mc_bcr)
    lo, hi = v.bcr_interval
    assert lo < v.bcr < hi and v.prob_bcr_above_1 == pytest.approx(float((v.mc_bcr > 1).mean()))
    # the median of the simulated ratios sits near the point estimate (effects are symmetric on the log scale)
    assert abs(np.median(v.mc_bcr) - v.bcr) < 0.35 * v.bcr


def test_monte_carlo_draws_the_three_effects_jointly(demo_vfm):
    """The effects rest on the same children and matched sets: their draws carry the stacked-sandwich
    covariance, not independence."""
    _, oc, _ = demo_vfm
    rng = np.random.default_rng(1)
    effects = {
        o: costs.Effect(o, et, math.log(oc.get(o, 12).did["rate_ratio"]), oc.get(o, 12).did["log_se"], 1.0, None)
        for o, (et, _) in outcomes.OUTCOMES.items()
    }
    draws = costs.joint_effect_draws(oc, effects, 12, rng, 200_000)
    sample_cov = np.cov(np.vstack([draws[o] for o in effects]))
    np.testing.assert_allclose(sample_cov, oc.joint_log_rr_vcov(12), atol=0.004)


def test_break_even_and_switching_values(demo_vfm):
    _, _, v = demo_vfm
    be = v.break_even.set_index("offence_group")
    assert be.loc["robbery", "averted_needed"] == pytest.approx(v.cost / v.valued["offence:robbery"].public_value)
    s = v.switching
    assert s["unit_cost_scale"] == pytest.approx(1 / v.bcr)
    rr = s["rate_ratio_offending"]
    if rr is not None:  # at the switching value the benefit-cost ratio is exactly 1
        bcr = costs._bcr_with(
            v.effects,
            v.valued,
            {o: costs.benefits_per_averted_event(e, v.valued) for o, e in v.effects.items()},
            v.n_children,
            1.0,
            v.cost,
            {"offending": math.log(rr)},
        )
        assert bcr == pytest.approx(1.0, abs=1e-9)


def test_renewal_flags_a_budget_below_the_run_rate(demo_vfm):
    _, _, v = demo_vfm
    r = v.renewal
    assert r["staff_run_rate"] == pytest.approx(230400) and r["below_staff_run_rate"] and r["reference_month"] == "2021-03"
    assert r["cost_per_child_if_current_team"] == pytest.approx(200000 / r["children_if_current_team"])


def test_a_local_unit_cost_overrides_and_a_missing_one_stops_the_run(broken, demo_dir):
    def edit(t):
        t["unit_costs"] = pd.DataFrame(
            [
                {
                    "key": "gmca_cr8_6_robbery",
                    "item": "Robbery (local estimate)",
                    "fiscal": "5000",
                    "economic": "",
                    "social": "",
                    "total": "",
                    "price_year": "2020/21",
                    "citation": "Borough finance team, 2021",
                    "status": "local",
                }
            ]
        )

    folder = broken(edit)
    data = evaluation.load(folder)
    lib = costs.unit_cost_library(data)
    assert lib.loc["gmca_cr8_6_robbery", "fiscal"] == 5000 and lib.loc["gmca_cr8_6_robbery", "origin"].startswith("data folder")
    mapping = costs.benefit_map(data)
    mapping["offence:drugs"] = "no_such_cost"
    with pytest.raises(costs.CostError, match="offence:drugs -> no_such_cost"):
        costs.value_outcome_types(lib, mapping, ["offence:drugs"], "2020/21", 0.25)
    del mapping["offence:drugs"]
    with pytest.raises(costs.CostError, match="no unit cost for: offence:drugs"):
        costs.value_outcome_types(lib, mapping, ["offence:drugs"], "2020/21", 0.25)


def test_unit_costs_table_rules(broken):
    def edit(t):
        t["unit_costs"] = pd.DataFrame(
            [{"key": "x", "item": "X", "fiscal": "", "price_year": "20/21", "citation": "somewhere", "low": "9", "high": "3"}]
        )

    with pytest.raises(evaluation.ValidationError) as exc:
        evaluation.load(broken(edit))
    rules = {(p.column, p.rule) for p in exc.value.errors if p.file == "unit_costs.csv"}
    assert {("total", "conditional_required"), ("price_year", "type"), ("low", "range")} <= rules


def test_tornado_uses_the_configured_optimism_bias(demo_vfm):
    """Issue 14: the tornado said '+20% optimism bias' whatever the config said."""
    import dataclasses

    data, oc, v = demo_vfm
    assert "Programme cost +20% (optimism bias)" in set(v.tornado.parameter)  # none configured: the usual +20%
    cfg = dataclasses.replace(data.config, costs=dataclasses.replace(data.config.costs, optimism_bias_costs=0.44))
    biased = costs.analyse(dataclasses.replace(data, config=cfg), engagement.analyse(data), oc)
    row = biased.tornado.set_index("parameter").loc["Programme cost +44% (optimism bias)"]
    assert row.low == pytest.approx(row.base / 1.44)


def test_benefits_are_credited_to_the_eligible_people_engaged(demo_vfm):
    """Issue 12, one population: the harm averted is extrapolated to the people engaged within the eligible ages
    (whom the matched comparison describes), not to everyone the programme met."""
    import dataclasses

    data, oc, v = demo_vfm
    eng = engagement.analyse(data)
    assert v.n_children == eng.n_children and not any("eligible ages" in n for n in v.notes)  # the demo: all within 10-17
    narrower = dataclasses.replace(data.config, programme=dataclasses.replace(data.config.programme, age_max=16))
    older = int((eng.children.age_at_arrival > 16).sum())
    assert older > 0
    w = costs.analyse(dataclasses.replace(data, config=narrower), eng, oc)
    assert w.n_children == eng.n_children - older and any("eligible ages" in n for n in w.notes)
    assert w.benefits.public_value.sum() == pytest.approx(v.benefits.public_value.sum() * w.n_children / v.n_children)


def test_payback_and_cost_per_event_averted_follow_from_the_benefits(demo_vfm):
    """Issue 14: the payback period and the cost per additional outcome, checked by hand on the demo's figures
    (one year with the configured horizon; three years with half the effect persisting, discounted)."""
    import dataclasses

    data, oc, v = demo_vfm
    annual = float(v.benefits.public_value.sum())  # horizon 1: the year's benefits
    assert v.payback_years == (pytest.approx(v.cost / annual) if annual >= v.cost else None)
    for r in v.benefits.itertuples():
        expected = v.cost / r.averted if r.averted > 0 else None
        assert v.cost_per_event_averted[r.outcome] == (pytest.approx(expected) if expected else None)
    # three years, half persisting, 3.5% discount: benefits B0 (1 + 0.5/1.035 + 0.25/1.035^2) in all
    params = {**v.parameters, "horizon_years": 3, "persistence": 0.5, "discount_rate": 0.035}
    factors = [1.0, 0.5 / 1.035, 0.25 / 1.035**2]
    b0 = v.cost / 1.2  # the first year pays back 1/1.2 of the cost; the rest within the second year
    benefits = v.benefits.assign(public_value=v.benefits.public_value * (b0 * sum(factors)) / annual)
    w = dataclasses.replace(v, parameters=params, benefits=benefits)
    assert w.payback_years == pytest.approx(1 + (v.cost - b0) / (b0 * factors[1]))
    short = dataclasses.replace(w, benefits=v.benefits.assign(public_value=v.benefits.public_value * 0.1 * v.cost / annual))
    assert short.payback_years is None
    assert sum(w.events_averted.values()) == pytest.approx(sum(v.events_averted.values()) * 1.75)
