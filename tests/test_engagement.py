"""Engagement definitions on a small hand-built dataset whose answers are known."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import evaluation
from evaluation import engagement
from tests.conftest import TINY_PROGRAMME, write_tables

DETENTIONS = """detention_id,person_id,custody_suite,arrival_datetime,release_datetime,age_at_arrival,sex,ethnicity,residence_area,arrest_offence_group,known_to_yos
D1,P1,Wood Green,2020-10-20 10:00,2020-10-20 20:00,15,male,black,Haringey,robbery,yes
D2,P2,Wood Green,2020-11-02 09:00,2020-11-02 18:00,16,male,white,Enfield,theft,no
D3,P3,Wood Green,2020-11-05 12:00,2020-11-05 23:00,14,female,mixed,Barnet,drugs,unknown
D4,P1,Wood Green,2020-12-01 15:00,2020-12-02 01:00,15,male,black,Haringey,robbery,yes
D5,P4,Wood Green,2020-12-10 11:00,2020-12-10 19:00,17,male,asian,Haringey,possession_of_weapons,yes
D6,P5,Wood Green,2020-12-15 11:00,2020-12-15 19:00,13,male,black,Haringey,theft,no
D7,P6,Wood Green,2021-01-05 11:00,2021-01-05 19:00,16,male,black,Enfield,theft,no
D8,P7,Wood Green,2020-11-20 11:00,2020-11-20 19:00,19,male,white,Enfield,theft,unknown
"""
CONTACTS = """contact_id,person_id,detention_id,contact_date,outcome,followup_date,pathway,intervention_start_date,intervention_end_date,sessions_attended
C1,P1,D1,2020-10-20,intervention_arranged,2020-10-22,sport,2020-11-01,2020-12-20,6
C2,P2,D2,2020-11-02,declined,,,,,
C3,P3,D3,2020-11-05,out_of_area_referral,,,,,
C4,P1,D4,2020-12-01,awaiting_intervention,,,,,
C5,P4,D5,2020-12-10,awaiting_intervention,2020-12-15,mentoring,,,
C6,P6,D7,2021-01-05,declined,,,,,
"""
CONFIG = (
    TINY_PROGRAMME
    + """[data]
extract_date = 2021-06-30
"""
)


@pytest.fixture(scope="module")
def eng(tmp_path_factory):
    folder: Path = tmp_path_factory.mktemp("tiny")
    return engagement.analyse(evaluation.load(write_tables(folder, CONFIG, custody_detentions=DETENTIONS, programme_contacts=CONTACTS)))


def test_children_counted_once_at_first_contact_in_period(eng):
    assert eng.n_children == 4
    assert eng.tables["total"].loc["Children engaged"].to_dict() == {"2020-10": 1, "2020-11": 2, "2020-12": 1, "Total": 4}
    p1 = eng.children.set_index("person_id").loc["P1"]
    assert p1.outcome == "intervention_arranged" and p1.month == "2020-10"
    (repeat,) = [n for n in eng.notes_for("months") if "repeat approaches" in n.text]
    assert repeat.counts["repeat"] == ("repeat_contacts", 1)  # a count for disclosure control, not typed into the text
    assert not any("repeat" in n.text for n in eng.notes_for("funnel"))  # notes found by topic, not by position


def test_residence_and_age_bands(eng):
    assert eng.tables["residence"]["Total"].to_dict() == {"Enfield": 1, "Haringey": 2, "Other": 1}
    assert eng.tables["age_band"]["Total"].to_dict() == {"10–14": 1, "15–17": 3}


def test_rates_use_the_in_area_base_and_wilson_intervals(eng):
    r = eng.rates.set_index("measure")
    assert (r.loc["intervention_arranged_rate", "numerator"], r.loc["intervention_arranged_rate", "denominator"]) == (1, 3)
    assert (r.loc["positive_engagement_rate", "numerator"], r.loc["refusal_rate", "numerator"]) == (2, 1)
    assert (r.loc["known_to_yos_rate", "numerator"], r.loc["known_to_yos_rate", "denominator"]) == (2, 3)
    lo, hi = engagement.wilson_interval(1, 3)
    assert (r.loc["intervention_arranged_rate", "ci_low"], r.loc["intervention_arranged_rate", "ci_high"]) == (lo, hi)


@pytest.mark.parametrize("k, n", [(31, 71), (0, 12), (12, 12), (1, 3)])
def test_wilson_interval_matches_its_closed_form(k, n):
    z = 1.959963984540054
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    lo, hi = engagement.wilson_interval(k, n)
    assert lo == pytest.approx(centre - half, abs=1e-12) and hi == pytest.approx(centre + half, abs=1e-12)
    assert math.isnan(engagement.wilson_interval(0, 0)[0])


def test_funnel_is_nested_and_counts_children(eng):
    f = eng.funnel.set_index("stage_key").children.to_dict()
    # P1-P5 detained at the suite in the period aged 10-17 (P6 after the period, P7 is 19)
    assert f == {
        "detained": 5,
        "approached": 4,
        "positively_engaged": 2,
        "intervention_arranged": 1,
        "intervention_started": 1,
        "intervention_ended": 1,
    }


def test_timeliness_within_48_hours(eng):
    t = eng.timeliness.set_index("measure")
    # P1: released 20 Oct, met 22 Oct (2 days: within); P4: released 10 Dec, met 15 Dec (5 days: late)
    assert (t.loc["followup_within_target", "numerator"], t.loc["followup_within_target", "denominator"]) == (1, 2)
    assert eng.followup_days.set_index("days_after_release").meetings.to_dict() == {
        "Same day": 0,
        "1 day": 0,
        "2 days": 1,
        "3 days": 0,
        "4 or more days": 1,
    }


def test_pathway_demand(eng):
    p = eng.pathways.set_index("pathway_key")
    assert p.loc["sport", "arranged"] == 1 and p.loc["mentoring", "wanted_awaiting"] == 1 and p.total.sum() == 2


def test_results_json_section(eng):
    res = eng.to_results()
    assert res["children_engaged"] == 4 and res["contacts_in_period"] == 5
    assert res["by_month"]["2020-11"]["children_engaged"] == 2
    assert res["by_month"]["2020-10"]["days_covered"] == 13
    assert res["intervention_arranged_rate"] == pytest.approx(1 / 3, abs=1e-6)


def test_equalities_break_the_funnel_down_by_sex_ethnicity_and_age(eng):
    """Issue 15: the funnel's first stages by group, counted by hand from the tiny extract: P1-P5 detained (P1 twice,
    counted at the first), P1-P4 approached, P1 with an intervention arranged."""
    e = eng.equalities.set_index(["characteristic", "level"])
    assert e.loc[("sex", "male")].tolist() == [4, 3, 1] and e.loc[("sex", "female")].tolist() == [1, 1, 0]
    assert e.loc[("ethnicity", "black")].tolist() == [2, 1, 1]  # P1 (approached, arranged), P5 (not approached)
    assert e.loc[("ethnicity", "white")].tolist() == [1, 1, 0] and e.loc[("ethnicity", "asian")].tolist() == [1, 1, 0]
    funnel = eng.funnel.set_index("stage_key").children
    for characteristic, g in eng.equalities.groupby("characteristic"):  # every characteristic adds up to the funnel
        assert g[["detained", "approached", "arranged"]].sum().tolist() == [
            funnel["detained"],
            funnel["approached"],
            funnel["intervention_arranged"],
        ], characteristic


def test_equalities_table_protects_small_groups_and_their_differences(eng):
    from evaluation.disclosure import SYMBOL, DisclosureLog, DisclosurePolicy
    from evaluation.report import sections

    log = DisclosureLog(DisclosurePolicy(threshold=5, min_rate_base=20))
    sections.funnel_table(eng, log)
    table = sections.equalities_table(eng, log)
    assert table is not None and table.Group.iloc[0] == "All children"
    counts = table.drop(columns="Group")
    # five children in all: every group is small, so nothing but perhaps the total row may show, and no rate on so few
    assert (counts.iloc[1:] == SYMBOL).all().all()
    assert not log.pub.audit()


def test_equalities_table_hides_a_count_that_is_a_whole_group(eng):
    """Issue 15: '7 of 7 approached' told what happened to each child of that group. By hand from the tiny extract,
    with the size rule off (threshold 1) so only this rule acts: one white child detained and approached, one black
    child approached with an intervention arranged (of two detained). (With the real threshold, a whole group shown as
    c keeps a range of at least 1 to 5, since such groups are not small.)"""
    from evaluation.disclosure import SYMBOL, DisclosureLog, DisclosurePolicy
    from evaluation.report import sections

    log = DisclosureLog(DisclosurePolicy(threshold=1, min_rate_base=1))
    sections.funnel_table(eng, log)
    table = sections.equalities_table(eng, log).set_index("Group")
    assert table.at["Ethnicity: White", "Approached"] == SYMBOL
    assert table.at["Ethnicity: Black", "Intervention arranged"] == SYMBOL
    assert (log.frame().reason == "primary: a whole group (everyone in it)").sum() >= 2
    assert not log.pub.audit()


def test_delivery_after_the_first_contact_from_the_log_only(eng):
    """Issue 15, process: from the tiny log by hand: P1's intervention started 12 days after first contact, with 6
    sessions and an end date; P4 is recorded as awaiting. Figures over fewer than the rate base are not shown, and
    what the log does not record is said."""
    from evaluation.disclosure import SYMBOL, DisclosureLog, DisclosurePolicy
    from evaluation.report import sections

    d = eng.delivery
    assert d.days_to_start.tolist() == [12] and d.sessions.tolist() == [6] and (d.started, d.ended, d.awaiting) == (1, 1, 1)
    open_log = DisclosureLog(DisclosurePolicy(enabled=False))
    sections.publish_engagement(eng, open_log)
    table = sections.delivery_table(eng, open_log).set_index("Measure")["This programme"]
    assert table["From first contact to the intervention's start"].startswith("median 12 days")
    assert table["Detained at the programme's suite in the period but not approached"] == "1"  # P5
    log = DisclosureLog(DisclosurePolicy(threshold=5, min_rate_base=20))
    sections.publish_engagement(eng, log)
    shown = sections.delivery_table(eng, log)
    assert shown.set_index("Measure")["This programme"]["Sessions attended"] == SYMBOL
    assert "why is not recorded" in shown["What it rests on"].iloc[0]
