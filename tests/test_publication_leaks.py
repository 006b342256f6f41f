"""Leaks the intruder audit does not see by itself, closed where the figures are made: the largest |SMD| taken
over hidden balance rows, Kaplan-Meier steps of one child, missing-value counts that restate a hidden funnel
stage, and reasons for a missing analysis that quote counts. Every dataset here is made in the test."""

from __future__ import annotations

import warnings
from types import SimpleNamespace

import numpy as np
import pandas as pd

from evaluation import disclosure as sdc
from evaluation.disclosure import DisclosureLog, DisclosurePolicy

POLICY = DisclosurePolicy(threshold=5, min_rate_base=20)


def _matched_with_a_rare_level(seed: int = 3):
    """A comparison pool where one level of a factor holds 2 programme children and none of the comparison
    children: its share is hidden, and its SMD is the largest of all."""
    from evaluation.matching import match_cohort

    rng = np.random.default_rng(seed)
    n_t, n_c = 60, 400
    area = np.r_[["rare"] * 2, rng.choice(["north", "south"], n_t - 2), rng.choice(["north", "south"], n_c)]
    table = pd.DataFrame(
        {
            "treated": np.r_[np.ones(n_t, int), np.zeros(n_c, int)],
            "age": np.r_[rng.normal(15, 1.2, n_t), rng.normal(14.6, 1.5, n_c)],
            "area": pd.Categorical(area),
        }
    )
    table["person_id"] = [f"p{i}" for i in range(len(table))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return match_cohort(table, ["age", "area"], ratio="auto", max_ratio=3, random_state=1, caliper=None)


def test_the_largest_smd_is_taken_over_the_rows_shown():
    from evaluation.matching import max_abs_smd
    from evaluation.report.sections.matching import balance_table, candidates_table, hidden_balance, published_balance

    cm = _matched_with_a_rare_level()
    hidden = set().union(*hidden_balance(cm, POLICY).values())
    assert "arearare" in hidden
    b = cm.result.balance(un=True).drop(index="distance")
    assert b.std_mean_diff.abs().idxmax() == "arearare"  # the exact maximum is the hidden row's SMD
    shown = published_balance(cm, POLICY)
    assert shown["rows_left_out"] == len(hidden)
    assert shown["max_abs_std_mean_diff_after"] == round(b.drop(index=list(hidden)).std_mean_diff.abs().max(), 6)
    assert shown["max_abs_std_mean_diff_after"] < max_abs_smd(cm.result)
    table, _ = balance_table(cm, DisclosureLog(POLICY))
    smds = pd.to_numeric(table["SMD after"].str.replace(" †", ""), errors="coerce").abs()
    assert round(smds.max(), 3) == round(shown["max_abs_std_mean_diff_after"], 3)  # the summary is the table's own maximum
    cands = candidates_table(cm, POLICY)
    assert (
        cands.loc[cm.candidates.chosen.to_numpy(), "Largest |SMD| after matching"].item() == f"{shown['max_abs_std_mean_diff_after']:.3f}"
    )
    off = published_balance(cm, DisclosurePolicy(enabled=False))
    assert off["rows_left_out"] == 0 and off["max_abs_std_mean_diff_after"] == round(max_abs_smd(cm.result), 6)


def _survival(seed: int):
    from evaluation.reoffending import survival_comparison

    rng = np.random.default_rng(seed)
    n = 120
    treated = np.r_[np.ones(40, int), np.zeros(n - 40, int)]
    time = np.minimum(rng.exponential(300, n).round() + 1, 365.0)
    event = (time < 365).astype(int)
    return survival_comparison(time, event, treated, np.ones(n), np.arange(n))


def test_kaplan_meier_steps_each_hold_at_least_the_threshold_of_events():
    from evaluation.report.sections.reoffending import MONTH_DAYS, published_curve

    for seed in range(5):
        sv = _survival(seed)
        res = SimpleNamespace(measures={"k": SimpleNamespace(survival=sv)})
        for group in ("programme", "comparison"):
            c = published_curve(res, "k", group, POLICY)  # type: ignore[arg-type]
            full = sv.curves[sv.curves.group == group]
            months = c.months.tolist()
            end = round(full.time.max() / MONTH_DAYS)
            assert months[0] == 0 and all(float(m).is_integer() for m in months) and months == sorted(months)
            assert months[-1] == end == sv.at_risk.month.max()  # a 12-month window ends at month 12
            for lo, hi, s in zip(months, months[1:], c.survival.iloc[1:]):
                top = np.inf if hi == end else hi * MONTH_DAYS
                inside = full[(full.time > lo * MONTH_DAYS) & (full.time <= top)]
                assert inside.events.sum() >= POLICY.threshold or inside.events.sum() == 0
                assert s == full[full.time <= top + 1e-9].survival.iloc[-1]  # the KM value there, unchanged
            every = published_curve(res, "k", group, DisclosurePolicy(enabled=False))  # type: ignore[arg-type]
            assert len(every) == len(full)  # internal QA: every step


def test_numbers_at_risk_count_children_followed_and_event_free():
    """By hand: six children, one with two pieces of follow-up (a weight change at day 100), windows of 365 and
    366 days (a leap year), one censored at day 50, events on days 20, 130 and 366."""
    from evaluation.reoffending import numbers_at_risk

    entry = np.array([0, 0, 0, 0, 100, 0, 0], float)
    exit_ = np.array([20, 50, 365, 100, 130, 366, 366], float)
    event = np.array([1, 0, 0, 0, 1, 1, 0], bool)
    ar = numbers_at_risk(entry, exit_, event, 366.0).set_index("month")
    assert ar.index.max() == 12
    assert ar.at_risk[0] == 6 and ar.at_risk[1] == 5 and ar.at_risk[2] == 4  # the day-20 event, the day-50 censoring
    assert ar.at_risk[4] == 4 and ar.at_risk[5] == 3  # one child over two pieces counted once, then the day-130 event
    assert ar.at_risk[12] == 2  # completed the 365- or 366-day window event-free; the day-366 event is taken off
    assert ar.events.sum() == 3 and ar.events[12] == 1 and ar.events[1] == 1 and ar.events[5] == 1


def test_numbers_at_risk_shown_reveal_no_small_group():
    """Between two numbers at risk shown, the children who left (event or censored) and those censored are each 0
    or at least the threshold, every shown number sits where both curves are read, and the audit finds nothing."""
    from evaluation.report.sections.reoffending import numbers_at_risk, published_curve

    later = 0
    for seed in range(6):
        rng = np.random.default_rng(100 + seed)
        n = 160
        treated = np.r_[np.ones(50, int), np.zeros(n - 50, int)]
        time = np.minimum(rng.exponential(500, n).round() + 1, rng.choice([365.0, 366.0], n))
        censored = rng.random(n) < 0.1
        time[censored] = rng.integers(30, 360, censored.sum())
        event = ((time < 365) & ~censored).astype(int)
        from evaluation.reoffending import survival_comparison

        sv = survival_comparison(time, event, treated, np.ones(n), np.arange(n))
        res = SimpleNamespace(measures={"k": SimpleNamespace(survival=sv)})
        log = DisclosureLog(POLICY)
        table = numbers_at_risk(res, "k", log)  # type: ignore[arg-type]
        assert not log.pub.audit()
        for group, f in table.items():
            ar = sv.at_risk[sv.at_risk.group == group].set_index("month")
            read = set(published_curve(res, "k", group, POLICY).months)  # type: ignore[arg-type]
            shown = [(m, int(t.replace(",", ""))) for m, t in zip(f.months, f.at_risk) if t != sdc.SYMBOL]
            assert shown[0] == (0, int((treated == (group == "programme")).sum()))
            for (a, na), (b, nb) in zip(shown, shown[1:]):
                assert b in read and nb == ar.at_risk[b]
                left = na - nb
                events = int(ar.events[(ar.index > a) & (ar.index <= b)].sum())
                assert not POLICY.small(left) and not POLICY.small(left - events)
            later += len(shown) - 1
    assert later > 10  # the rule leaves most numbers readable


def _contacts(n: int, end_missing: int) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    end = pd.Series(pd.to_datetime("2021-01-01") + pd.to_timedelta(rng.integers(0, 90, n), unit="D"))
    end.iloc[:end_missing] = pd.NaT
    return pd.DataFrame({"contact_id": range(n), "intervention_end_date": end})


def test_a_missing_value_count_that_restates_a_hidden_funnel_stage_is_hidden():
    """Demo, last round: the funnel hid 'intervention ended' (21, four short of 'started'), while the data-quality
    table gave 93 contacts and 72 missing end dates."""
    from evaluation.report.sections.appendices import missingness_table

    contacts = _contacts(93, 72)
    data = SimpleNamespace(
        supplied=lambda name: name == "programme_contacts",
        missing_values=lambda name: (len(contacts), {str(c): int(contacts[c].isna().sum()) for c in contacts.columns}),
        files={"programme_contacts": "programme_contacts.csv"},
    )
    for funnel_hidden in (True, False):
        log = DisclosureLog(POLICY)
        pub = log.pub
        started = 25 if funnel_hidden else 40  # 4 more than ended: ended is hidden in the funnel; 19 more: shown
        pub.count("intervention_started[Total]", started, "engagement_funnel", "started", "children", "shown")
        pub.count("intervention_ended[Total]", 21, "engagement_funnel", "ended", "children", "secondary" if funnel_hidden else "shown")
        pub.derived("funnel_gap[ended]", {"intervention_started[Total]": 1.0, "intervention_ended[Total]": -1.0}, "engagement_funnel")
        pub.count("funnel_gap[ended]", started - 21, "engagement_funnel", "ended", "difference", "implicit")
        assert pub.audit() == []
        t = missingness_table(data, log, {"programme_contacts.intervention_end_date": "intervention_ended[Total]"})  # type: ignore[arg-type]
        row = t[t.Column == "intervention_end_date"].iloc[0]
        assert row.Records == "93"
        assert (row.Missing == sdc.SYMBOL) == funnel_hidden
        assert pub.audit() == []


def test_a_reoffending_measure_that_cannot_be_estimated_says_so_without_counts():
    """The reason reaches the report (why_not): it names no count of children, which are disclosure-controlled."""
    import pytest

    from evaluation.reoffending import ReoffendingError, _measure

    cm = _matched_with_a_rare_level()
    d = cm.result.data
    sample = pd.DataFrame({"unit_id": d.person_id, "treated": d.treated})
    complete = (d.treated == 0) | (d.person_id == d.person_id[d.treated == 1].iloc[0])  # one programme child complete
    per_child = pd.DataFrame(
        {"unit_id": d.person_id, "person_id": d.person_id, "complete": complete, "reoffended": False, "reoffended_ipcw": 0.0}
    )
    with pytest.raises(ReoffendingError) as exc:
        _measure("proven", "Proven reoffending", per_child, sample, cm, "reoffended", None, 20)
    assert "too few" in str(exc.value) and not any(ch.isdigit() for ch in str(exc.value))


def test_value_for_money_is_withheld_when_it_would_give_back_a_few_people_outside_the_ages(broken, tmp_path):
    """The benefits are credited to the people engaged within the eligible ages. Published beside the number
    engaged, they give back how many were outside those ages; when that is 1 to threshold - 1, value for money is
    withheld with the reason (the costs per person stay)."""
    import json

    from tests.notebook_inprocess import run_report_cells

    def two_adults(t):
        d, c = t["custody_detentions"], t["programme_contacts"]
        once = d.person_id.value_counts()
        engaged = [p for p in c.person_id.unique() if once.get(p) == 1][:2]
        d.loc[d.person_id.isin(engaged), "age_at_arrival"] = "18"

    folder = broken(two_adults)
    out = tmp_path / "out"
    out.mkdir()
    run_report_cells(folder, out)
    results = json.loads((out / "results.json").read_text())
    assert results["costs"].get("bcr") is None and results["costs"]["cost_per_child_engaged"] is not None
    assert "fewer than 5 short of everyone engaged" in results["summary"]["not_run"]["value_for_money"]
