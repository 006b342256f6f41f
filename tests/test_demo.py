"""The demo dataset: deterministic, valid, and reproducing Operation Alliance's published tables exactly."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

import evaluation
from evaluation import demo, engagement
from evaluation.demo import write_demo

# Published in the Operation Alliance slide deck (Engagement Rates p1/p2), 19 Oct - 31 Dec 2020:
# October, November, December. Typed in from the source, independently of the generator.
PUBLISHED = {
    "total": {"Children engaged": (11, 53, 29)},
    "residence": {"Enfield": (4, 17, 13), "Haringey": (1, 16, 7), "Other": (6, 20, 9)},
    "age_band": {"9–10": (0, 0, 0), "11–15": (3, 19, 7), "16–18": (8, 34, 22)},
    "known_to_yos": {"Yes": (2, 16, 13), "No": (3, 17, 7)},
    "outcome": {
        "intervention_arranged": (8, 16, 7),
        "awaiting_intervention": (0, 14, 12),
        "declined": (3, 8, 3),
        "out_of_area_referral": (0, 15, 7),
    },
}
PUBLISHED_PERCENT_KNOWN_TO_YOS = (40, 48, 65, 53)


@pytest.fixture(scope="module")
def eng(demo_dir):
    return engagement.analyse(evaluation.load(demo_dir))


@pytest.mark.parametrize("table", list(PUBLISHED))
def test_demo_reproduces_published_tables_exactly(eng, table):
    t = eng.tables[table]
    for row, monthly in PUBLISHED[table].items():
        assert tuple(t.loc[row, ["2020-10", "2020-11", "2020-12"]]) == monthly, (table, row)
        assert t.loc[row, "Total"] == sum(monthly)


def test_demo_reproduces_published_rates(eng):
    assert (eng.rate("intervention_arranged_rate").numerator, eng.rate("intervention_arranged_rate").denominator) == (31, 71)
    assert round(100 * eng.rate("intervention_arranged_rate").rate) == 44
    assert (eng.rate("refusal_rate").numerator, eng.rate("refusal_rate").denominator) == (14, 71)
    assert round(100 * eng.rate("refusal_rate").rate) == 20
    monthly = eng.monthly_rates[eng.monthly_rates.measure == "known_to_yos_rate"].set_index("month").rate
    assert tuple(round(100 * monthly[m]) for m in ["2020-10", "2020-11", "2020-12", "Total"]) == PUBLISHED_PERCENT_KNOWN_TO_YOS


def test_demo_is_deterministic(tmp_path):
    write_demo(tmp_path / "a")
    write_demo(tmp_path / "b")
    for p in (tmp_path / "a").iterdir():
        assert hashlib.sha256(p.read_bytes()).digest() == hashlib.sha256((tmp_path / "b" / p.name).read_bytes()).digest(), p.name
    write_demo(tmp_path / "c", seed=7)
    assert (tmp_path / "c" / "events.csv").read_bytes() != (tmp_path / "a" / "events.csv").read_bytes()


def test_other_seeds_still_reproduce_the_published_tables(tmp_path):
    write_demo(tmp_path / "s", seed=12345)
    e = engagement.analyse(evaluation.load(tmp_path / "s"))
    assert e.tables["outcome"]["Total"].to_dict() == {
        "intervention_arranged": 31,
        "awaiting_intervention": 26,
        "declined": 14,
        "out_of_area_referral": 22,
    }


def test_comparison_pool_is_several_times_the_cohort(demo_dir):
    data = evaluation.load(demo_dir)
    cfg = data.config
    det = data.custody_detentions
    approached = set(data.programme_contacts.person_id)
    in_period = det.arrival_datetime.between(pd.Timestamp(cfg.programme.start), pd.Timestamp(cfg.programme.end) + pd.Timedelta(days=1))
    pre = det.arrival_datetime.between(
        pd.Timestamp(cfg.comparison.pre_period_start), pd.Timestamp(cfg.comparison.pre_period_end) + pd.Timedelta(days=1)
    )
    pool = det[
        ((det.custody_suite.isin(cfg.comparison.suites) & in_period) | (det.custody_suite.isin(cfg.programme.suites) & pre))
        & det.age_at_arrival.between(cfg.programme.age_min, cfg.programme.age_max)
        & ~det.person_id.isin(approached)
    ]
    assert pool.person_id.nunique() >= 4 * len(approached)
    # realistic differences: comparison children are less often known to YOS than the programme's
    first = pool.sort_values("arrival_datetime").drop_duplicates("person_id")
    treated = det[det.detention_id.isin(data.programme_contacts.detention_id)]
    checked = lambda d: (d.known_to_yos == "yes").sum() / d.known_to_yos.isin(["yes", "no"]).sum()  # noqa: E731
    assert checked(first) < checked(treated)


def test_every_child_has_histories_with_proven_outcomes(demo_dir):
    data = evaluation.load(demo_dir)
    ev = data.table("events")
    assert set(ev.event_type) == {"offence", "victimisation", "missing_episode"}
    treated = set(data.programme_contacts.person_id)
    before = ev[ev.person_id.isin(treated) & (ev.event_date < pd.Timestamp("2020-10-19"))]
    after = ev[ev.person_id.isin(treated) & (ev.event_date > pd.Timestamp("2020-12-31"))]
    assert before.person_id.nunique() > 60 and after.person_id.nunique() > 60
    proven = {"conviction", "caution", "youth_caution", "youth_conditional_caution", "community_resolution", "outcome_22"}
    assert proven <= set(ev.proven_outcome.dropna())
    # every index detention's offence is linked to it
    assert set(data.programme_contacts.detention_id) <= set(ev.detention_id.dropna())


def test_cost_schedule(demo_dir):
    costs = evaluation.load(demo_dir).costs
    staff = costs[costs.category == "staff"]
    full_months = staff[staff.start_date.dt.day == 1]
    assert (full_months.amount_gbp == 19200).all() and len(full_months) == 5  # November to March
    october = staff[staff.start_date == pd.Timestamp("2020-10-19")]
    assert october.amount_gbp.item() == pytest.approx(19200 * 13 / 31, abs=0.005)
    assert costs.amount_gbp.sum() == pytest.approx(115000, abs=0.001)
    assert staff.end_date.max() == pd.Timestamp("2021-03-31")


def test_planted_effects_are_documented():
    assert set(demo.PLANTED_EFFECTS) == {"offence", "victimisation", "missing_episode"}
    assert all(0 < v < 1 for v in demo.PLANTED_EFFECTS.values())
    assert "PLANTED_EFFECTS" in demo.__doc__
