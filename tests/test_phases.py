"""Phases (issue 12): a programme with its own team and budget per period, on data from the independent
generator (tests/simulation/generator.py) with no comparison group, so only engagement and costs run."""

from __future__ import annotations

import datetime as dt
import json

import pytest

import evaluation
from evaluation.problems import ConfigError
from tests.notebook_inprocess import run_report_cells
from tests.simulation.generator import Scenario, simulate

SCENARIO = Scenario(seed=5, people_per_suite=260, programme_months=14, comparison="none")
YEAR_1_END = dt.date(2022, 3, 31)  # the generator's programme starts on 1 April 2021


def _phases(year_2_start: dt.date = YEAR_1_END + dt.timedelta(days=1)) -> str:
    return f"""
[[phases]]
name = "Year 1"
start = {SCENARIO.start.isoformat()}
end = {YEAR_1_END.isoformat()}
team_size = 4
budget = 230000
description = "Four outreach workers at the suite seven days a week."

[[phases]]
name = "Renewal"
start = {year_2_start.isoformat()}
end = {SCENARIO.end.isoformat()}
team_size = 2
budget = 60000
description = "Two workers, weekdays only."
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    data = simulate(SCENARIO).write(tmp_path_factory.mktemp("phases") / "data")
    (data / "costs.csv").write_text(
        "item,category,start_date,end_date,amount_gbp,funder\n"
        f"Outreach workers (4),staff,{SCENARIO.start},{YEAR_1_END},200000.00,Funder\n"
        f"Outreach workers (2),staff,{YEAR_1_END + dt.timedelta(days=1)},{SCENARIO.end},34000.00,Funder\n"
        f"Room at the suite,in_kind,{SCENARIO.start},{SCENARIO.end},2800.00,\n",
        encoding="utf-8",
    )
    config = (data / "evaluation.toml").read_text(encoding="utf-8")
    (data / "evaluation.toml").write_text(config + "\n[costs]\nrenewal_budget = 60000\nrenewal_months = 12\n" + _phases(), encoding="utf-8")
    return data


def test_phases_add_up_to_the_whole_period(folder):
    ev = evaluation.evaluate(evaluation.load(folder))
    ph = ev.phases
    assert ph is not None and ph.covers_programme and list(ph.table.name) == ["Year 1", "Renewal"]
    assert ph.table.engaged.sum() == ev.engagement.n_children
    assert ph.table.intervention_arranged.sum() == (ev.engagement.children.outcome == "intervention_arranged").sum()
    assert ph.table.cost.sum() == pytest.approx(ev.programme_costs.period.full_economic, abs=0.01)
    months = ev.engagement.months
    assert ph.months_of("Year 1", months) == months[:12] and ph.months_of("Renewal", months) == months[12:]
    # the renewal scenario continues the latest phase's team, so it is read from the latest phase's throughput
    renewal = ev.programme_costs.renewal
    latest = ph.table.iloc[-1]
    assert renewal["throughput_basis"] == "the latest phase (Renewal)"
    assert renewal["children_per_month_observed"] == pytest.approx(latest.engaged_per_month, rel=1e-9)
    assert {e.stage for e in ev.estimates()} >= {"engagement", "phases"}


def test_a_phase_inside_a_month_is_not_a_sum_of_months(folder):
    ev = evaluation.evaluate(evaluation.load(folder))
    assert ev.phases is not None
    mid = ev.phases.phases[0].__class__("Mid", dt.date(2021, 4, 10), dt.date(2021, 5, 31))
    probe = ev.phases.__class__((mid,), ev.phases.table.iloc[:0], False, ev.phases.programme_start, ev.phases.programme_end)
    assert probe.months_of("Mid", ev.engagement.months) is None


def test_the_report_shows_the_phases_under_disclosure_control(folder, tmp_path):
    ns = run_report_cells(folder, tmp_path)
    results = json.loads((tmp_path / "results.json").read_text())
    phases = results["phases"]
    assert [p["name"] for p in phases] == ["Year 1", "Renewal"]
    for p in phases:
        assert set(p) >= {"people_engaged", "cost_per_person_reached", "cost", "team_size", "budget"}
        if p["people_engaged"] is not None:
            assert p["cost_per_person_reached"] == pytest.approx(p["cost"] / p["people_engaged"], abs=0.01)
        else:
            assert p["cost_per_person_reached"] is None
    table = next(t for t in ns["report"].tables if t.key == "phases").frame
    assert list(table.Phase) == ["Year 1", "Renewal"] and "Cost per person engaged" in table
    assert results["disclosure"]["intruder_audit"]["exposed"] == 0
    assert results["costs"]["renewal"]["throughput_basis"] == "the latest phase (Renewal)"


def test_phases_that_overlap_or_leave_the_period_are_all_reported(folder, tmp_path):
    text = (folder / "evaluation.toml").read_text(encoding="utf-8")
    bad = text.replace(_phases(), _phases(year_2_start=YEAR_1_END - dt.timedelta(days=10)))
    bad = bad.replace(f"end = {SCENARIO.end.isoformat()}\nteam_size = 2", "end = 2030-01-01\nteam_size = 2")
    assert bad.count("2030-01-01") == 1
    path = tmp_path / "evaluation.toml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        evaluation.load_config(path)
    message = str(exc.value)  # both problems at once
    assert "before the phase before it (Year 1) ends" in message and "must lie inside the programme period" in message


def test_effects_by_phase_rest_on_each_phases_matched_sets(tmp_path):
    """Issue 12, effects by phase: each phase's DiD uses that phase's programme children and their own matched
    comparisons. Oracle: kept whole (every programme child), the subgroup estimate is the whole cohort's; and the
    phases' programme children add up to the matched programme group. Data from the independent generator with a
    comparison group and no effect."""
    from evaluation.outcomes import did_for_treated
    from evaluation.pipeline import evaluate

    scenario = Scenario(seed=11, people_per_suite=300, programme_months=14, comparison="both")
    data_dir = simulate(scenario).write(tmp_path / "data")
    config = (data_dir / "evaluation.toml").read_text(encoding="utf-8")
    (data_dir / "evaluation.toml").write_text(config + _phases(), encoding="utf-8")
    ev = evaluate(evaluation.load(data_dir))
    ba = ev.before_after
    assert ba is not None
    window = max(ba.results["offending"])
    every = set(ba.sample.unit_id[ba.sample.treated == 1])
    whole = did_for_treated(ba, every, window)
    for outcome, d in whole.items():
        did = ba.get(outcome, window).did
        if d["rate_ratio"] == d["rate_ratio"]:  # estimable
            assert d["rate_ratio"] == pytest.approx(did["rate_ratio"], rel=1e-6)
            assert d["ci_low"] == pytest.approx(did["ci_low"], rel=1e-6)
    pe = ev.phase_effects
    assert pe is not None and set(pe.table.phase) == {"Year 1", "Renewal"}
    offending = pe.table[pe.table.outcome == "offending"]
    assert int(offending.programme_children.sum()) == len(every)
