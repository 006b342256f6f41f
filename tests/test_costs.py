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
    # every year from 2000 is shipped (HM Treasury's series as transcribed), so none is interpolated
    for year in range(2000, 2025):
        assert not costs.deflator_index(str(year))[1]
    assert costs.deflator_index("2011")[0] == pytest.approx(70.83)
    with pytest.raises(costs.CostError, match="covers 2000 to 2024"):
        costs.deflator_index("1998/99")
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
    # issue 14: today's team is costed at today's run-rate, not at the smaller budget offered
    assert r["cost_per_child_if_current_team"] == pytest.approx(r["funder_run_rate"] / r["children_if_current_team"])
    assert r["cost_per_child_if_staffing_scaled"] == pytest.approx(200000 / r["children_if_staffing_scaled"])


VALUED_GROUPS = (
    "violence_with_injury", "violence_without_injury", "robbery", "sexual", "rape", "other_sexual", "burglary", "theft",
    "criminal_damage", "drugs", "possession_of_weapons", "public_order", "other",
)  # fmt: skip


@pytest.mark.parametrize("crime_costs", sorted(costs.CRIME_COST_SETS))
def test_each_outcome_is_valued_with_a_cost_meant_for_it(demo_dir, crime_costs):
    """Issue 14: victimless offences at the response cost only (never the all-crime average, 56% victim harm), an
    unsplit sexual offence at the lower 'other sexual' cost (never a rape-dominated average), one row per outcome."""
    lib = costs.shipped_unit_costs()
    bmap = pd.read_csv(costs.package_path("data", costs.CRIME_COST_SETS[crime_costs][0]))
    assert not bmap.applies_to.duplicated().any()
    expected = {"missing_episode", *(f"{et}:{g}" for et in ("offence", "victimisation") for g in VALUED_GROUPS)}
    assert set(bmap.applies_to) == expected and set(bmap.unit_cost_key) <= set(lib.index)
    m = bmap.set_index("applies_to").unit_cost_key
    for et in ("offence", "victimisation"):
        for g in costs.VICTIMLESS_GROUPS:
            row = lib.loc[m[f"{et}:{g}"]]
            assert row.fiscal > 0 and pd.isna(row.economic) and pd.isna(row.social) and pd.isna(row.total)
        assert m[f"{et}:sexual"] == m[f"{et}:other_sexual"] == "rr99_other_sexual"
        assert m[f"{et}:rape"] in ("rr99_rape", "gmca_cr8_4_sexual_offences")
    mp = lib.loc[m["missing_episode"]]
    assert mp.fiscal == pytest.approx(1325.44) and (mp.low, mp.high) == (pytest.approx(1325.44), pytest.approx(2415.80))


def test_a_crime_with_several_records_is_valued_once():
    """Issue 14, double counting: records sharing a crime_ref share its cost; without one each is a crime."""
    ev = pd.DataFrame(
        {
            "event_id": ["a", "b", "c", "d", "e"],
            "crime_ref": ["K1", "K1", "K2", None, "K1"],
            "event_type": ["offence", "offence", "offence", "offence", "victimisation"],
        }
    )
    shares = costs.crime_shares(ev)
    assert shares.to_dict() == pytest.approx({"a": 1 / 3, "b": 1 / 3, "c": 1.0, "d": 1.0, "e": 1 / 3})
    assert (costs.crime_shares(ev.drop(columns="crime_ref")) == 1.0).all()


def test_crime_ref_shares_lower_the_value_and_a_repeat_is_counted_once(broken, demo_vfm):
    data, oc, v = demo_vfm
    events = data.events

    def edit(t):
        e = t["events"]
        # records in pairs become one crime (co-suspects, or a suspect and a victim), unless the pair is one person's
        crime = pd.Series([f"K{i // 2}" for i in range(len(e))], index=e.index)
        same = (e.person_id == e.person_id.shift()) & (crime == crime.shift())
        crime = crime.where(~same, crime + "b")
        e["crime_ref"] = np.where(e.event_type != "missing_episode", crime, "")
        repeat = e[e.event_type == "offence"].iloc[[0]].assign(event_id="repeat-1")
        t["events"] = pd.concat([e, repeat], ignore_index=True)

    shared = evaluation.load(broken(edit))
    assert len(shared.events) == len(events) + 1 - 1  # the repeat is warned about and counted once
    w = [p for p in shared.warnings if p.rule == "crime_ref_once_per_person"]
    assert len(w) == 1 and w[0].row == len(events) + 2 and "counted once" in w[0].message
    mix = costs.counterfactual_mix(oc, shared, max(oc.results["offending"]))
    plain = costs.counterfactual_mix(oc, data, max(oc.results["offending"]))
    assert mix["offence"].sum() < 1 and plain["offence"].sum() == pytest.approx(1)
    frame = shared.table("events")
    shares = costs.crime_shares(frame[frame.event_type.isin(["offence", "victimisation"])])
    assert shares.min() < 1 and shares.groupby(frame.crime_ref).sum().round(9).eq(1).all()
    # the engine's shares (CRIME_SHARES_SQL) are the pandas reference's, record by record
    in_engine = shared.events.query(f"SELECT event_id, share FROM ({costs.CRIME_SHARES_SQL})").set_index("event_id").share
    pd.testing.assert_series_equal(in_engine.reindex(shares.index), shares, check_names=False)


def test_fiscal_value_by_agency_and_the_cashable_ratio(demo_vfm):
    import dataclasses

    data, oc, v = demo_vfm
    assert sum(v.fiscal_by_agency.values()) == pytest.approx(v.benefits.fiscal.sum())
    assert v.fiscal_by_agency["police"] > 0 and v.bcr_cashable == 0  # none cashable unless the config says so
    cfg = dataclasses.replace(data.config, costs=dataclasses.replace(data.config.costs, cashable_shares={"police": 0.5}))
    w = costs.analyse(dataclasses.replace(data, config=cfg), engagement.analyse(data), oc)
    assert w.bcr_cashable == pytest.approx(0.5 * v.fiscal_by_agency["police"] / v.cost)
    # the arrest cost's own split (police 342, duty solicitor 245, YOS 6 of 593) reaches the table
    arrest = costs.parse_fiscal_agency(costs.shipped_unit_costs().loc["gmca_cr7_0_arrest_detained", "fiscal_agency"])
    assert arrest == pytest.approx({"police": 342 / 593, "criminal_justice": 245 / 593, "local_authority": 6 / 593})


def test_tornado_shows_the_valuation_choices(demo_vfm):
    data, oc, v = demo_vfm
    t = v.tornado.set_index("parameter")
    zero = t.loc["Offences with no direct victim: response cost or zero"]
    assert zero.low < zero.high == pytest.approx(zero.base)
    drop = t.loc["Victimisations averted: counted or left out"]
    victim_share = v.benefits.set_index("outcome").public_value["victimisation"] / v.benefits.public_value.sum()
    assert drop.low == pytest.approx(drop.base * (1 - victim_share))
    other = [p for p in t.index if p.startswith("Crime costs:")]
    assert other == ["Crime costs: Home Office 2015/16 (RR99 totals) instead"]


def test_renewal_options_follow_from_the_evaluation_by_hand(demo_vfm):
    """Issue 14: the renewal appraised as options: stop, the offered budget, today's run-rate; each with its cost,
    people, NPV, BCR and the chance it beats stopping, recomputed here from the evaluation's own figures."""
    data, oc, v = demo_vfm
    cc, r = data.config.costs, v.renewal
    stop, budget, run = v.renewal_options
    assert stop["cost"] == stop["npv"] == 0 and stop["bcr"] is None
    e = v.evidence
    assert e["grade"] in ("strong", "moderate", "weak")
    ba = oc.get("offending", v.parameters["window_months"])
    if ba.did["rate_ratio"] >= 1:
        assert e["grade"] == "weak"
    bias = cc.renewal_benefit_bias[e["grade"]]
    timing = 1 / (1 + cc.discount_rate) ** (r["months"] / 24)
    per_person = v.benefits.public_value.sum() / v.n_children / (1 - cc.optimism_bias_benefits)
    per_person *= (1 - bias) if per_person > 0 else 1  # the bias shrinks a benefit, never a harm
    for option, spend, team in (
        (budget, r["budget"], "children_if_staffing_scaled"),
        (run, r["funder_run_rate"], "children_if_current_team"),
    ):
        people = r[team] * (1 - cc.renewal_ramp_up_months / (2 * r["months"]))
        cost = spend * (1 + cc.optimism_bias_costs) * timing
        benefit = people * (v.n_children / v.reached["engaged"]) * per_person * timing
        assert option["people_reached"] == pytest.approx(people) and option["cost"] == pytest.approx(cost)
        assert option["npv"] == pytest.approx(benefit - cost) and option["bcr"] == pytest.approx(benefit / cost)
        assert 0 <= option["prob_better_than_nothing"] <= 1
    out = v.to_results()
    assert [o["name"] for o in out["renewal_options"]] == [o["name"] for o in v.renewal_options]
    assert set(out["renewal_options"][1]) == set(costs.RENEWAL_OPTION_KEYS)
    assert {"fiscal_by_agency", "bcr_cashable", "payback_years", "cost_per_offence_averted"} <= set(out)


def test_cost_inputs_with_no_source_year_or_one_outcome_twice_are_errors_all_at_once(broken):
    """Issue 14, bad input: a unit cost whose price year cannot be uprated, two costs for one outcome (in the table,
    or the table against [costs] benefit_map), an outcome the package does not value, a malformed agency split, and a
    benefit map pointing at no cost: each an error naming the row or key, all in one run."""
    base = {"item": "X", "fiscal": "100", "price_year": "2019/20", "citation": "Borough finance team, 2021"}

    def edit(t):
        t["unit_costs"] = pd.DataFrame(
            [
                base | {"key": "old", "price_year": "1985/86", "applies_to": "offence:theft"},
                base | {"key": "twice", "applies_to": "offence:theft"},
                base | {"key": "nowhere", "applies_to": "offence:knife_crime"},
                base | {"key": "split", "fiscal_agency": "police:2;army:1"},
                base | {"key": "clash", "applies_to": "offence:robbery"},
            ]
        )

    text = (broken() / "evaluation.toml").read_text(encoding="utf-8")
    config = text + '\n[costs.benefit_map]\n"offence:robbery" = "gmca_cr8_6_robbery"\n"offence:drugs" = "no_such_cost"\n'
    with pytest.raises(evaluation.ValidationError) as exc:
        evaluation.load(broken(edit, config_text=config))
    found = {(p.row, p.column, p.rule) for p in exc.value.errors}
    assert (2, "price_year", "unit_cost_price_year_known") in found
    assert (3, "applies_to", "unit_cost_applies_to") in found  # the second cost for offence:theft
    assert (4, "applies_to", "unit_cost_applies_to") in found
    assert (5, "fiscal_agency", "unit_cost_fiscal_agency") in found
    assert (6, "applies_to", "unit_cost_applies_to") in found  # the benefit map already maps offence:robbery
    assert (None, "[costs.benefit_map] offence:drugs", "benefit_map_resolves") in found
    twice = next(p for p in exc.value.errors if p.row == 3 and p.rule == "unit_cost_applies_to")
    assert "row 2 already values it" in twice.message and twice.value == "offence:theft"


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


def test_cost_per_proven_reoffender_avoided(demo_vfm):
    """Issue 14: the cost per additional outcome includes the proven reoffender avoided (the main reoffending
    measure's difference in the share reoffending, times the people credited)."""
    from types import SimpleNamespace

    data, oc, v = demo_vfm
    assert v.reoffenders_avoided is None and v.to_results()["cost_per_proven_reoffender_avoided"] is None
    fake = SimpleNamespace(measures={"proven": SimpleNamespace(rate=SimpleNamespace(comparison_value=0.40, treated_value=0.30))})
    w = costs.analyse(data, engagement.analyse(data), oc, reoffending=fake)
    assert w.reoffenders_avoided == pytest.approx(0.1 * w.n_children)
    assert w.cost_per_reoffender_avoided == pytest.approx(w.cost / (0.1 * w.n_children))
    worse = SimpleNamespace(measures={"proven": SimpleNamespace(rate=SimpleNamespace(comparison_value=0.30, treated_value=0.40))})
    assert costs.analyse(data, engagement.analyse(data), oc, reoffending=worse).cost_per_reoffender_avoided is None


def test_renewal_optimism_bias_shrinks_benefits_never_harms():
    """A renewal of a programme whose evaluated effect was harmful keeps the whole harm: shrinking it would be the
    optimism the bias is meant to correct."""
    from types import SimpleNamespace

    cc = SimpleNamespace(
        renewal_ramp_up_months=0,
        renewal_benefit_bias={"strong": 0.1, "moderate": 0.25, "weak": 0.4},
        optimism_bias_benefits=0.0,
        optimism_bias_costs=0.0,
        discount_rate=0.0,
    )
    renewal = {
        "months": 12,
        "budget": 1000.0,
        "funder_run_rate": 1000.0,
        "children_if_staffing_scaled": 10.0,
        "children_if_current_team": 10.0,
    }
    draws = np.array([-200.0, 100.0])
    for total, expected in ((-50.0, -50.0), (50.0, 50.0 * 0.6)):
        _, budget, _ = costs.renewal_options(renewal, draws, total, 1, 1, cc, {"grade": "weak"})
        assert budget["benefits"] == pytest.approx(10 * expected)
        assert budget["prob_better_than_nothing"] == 0.0  # -2000 - 1000 and 600 - 1000: neither beats stopping


def test_renewal_options_are_hidden_with_the_throughput_they_rest_on(demo_vfm):
    """Every option's people, cost per person, benefits, NPV, ratio and chance scale with the throughput count: where
    the renewal's own figures are withheld (a small or hidden count), so are these, in the table and results.json."""
    from evaluation.disclosure import SYMBOL, DisclosureLog, DisclosurePolicy
    from evaluation.report import sections

    data, oc, v = demo_vfm
    pc = costs.analyse_programme_costs(data, engagement.analyse(data))
    log = DisclosureLog(DisclosurePolicy(threshold=5))
    log.pub.decisions["renewal"] = {"figures": False}  # as renewal_published decides for a small count
    table = sections.renewal_options_table(v, pc, log)
    assert (table.loc[1:, ["People reached", "Net present value", "Benefit-cost ratio", "Chance it beats stopping"]] == SYMBOL).all().all()
    assert table.loc[1:, "Cost (present value)"].str.startswith("£").all()  # the money spent is the budget's, shown
    out = sections.costs_results(pc, v, log)
    for option in out["renewal_options"][1:]:
        assert option["people_reached"] is None and option["npv"] is None and option["bcr"] is None and option["cost"] > 0


def test_the_tornado_reads_in_net_present_value_when_benefits_are_negative(demo_vfm):
    """Issue 15: on a programme whose estimated benefits are negative, the ratio tornado read backwards ('programme cost
    +20%' and 'attribution 50%' both raised the ratio). The same rows on the NPV scale always read the right way."""
    import dataclasses

    from evaluation.report import charts

    data, oc, v = demo_vfm
    t = v.tornado.set_index("parameter")
    cost_row = next(p for p in t.index if p.startswith("Programme cost +"))
    assert t.loc[cost_row, "npv_low"] == pytest.approx(v.bcr * v.cost - v.cost * 1.2)  # +20%: the cost itself rises
    others = t.drop(index=cost_row)
    assert np.allclose(others.npv_low, others.low * v.cost - v.cost) and not v.tornado_on_npv
    harm = dataclasses.replace(v, benefits=v.benefits.assign(public_value=-v.benefits.public_value.abs()))
    assert harm.tornado_on_npv
    fig, alt = charts.tornado(harm)
    assert "net present value" in alt and "What moves the net present value" in [a.get_title(loc="left") for a in fig.axes]
    assert t.loc[cost_row, "npv_low"] < t.loc[cost_row, "npv_high"]  # higher cost, lower NPV, whatever the benefits
