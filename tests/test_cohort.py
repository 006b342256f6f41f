"""The analysis cohort on a hand-built dataset where every person's fate and every count is known."""

from __future__ import annotations

import pandas as pd
import pytest

import evaluation
from evaluation.cohort import OFFENCE_CATEGORIES, build_cohort
from tests.conftest import TINY_PROGRAMME, write_tables

DETENTIONS = """detention_id,person_id,custody_suite,arrival_datetime,release_datetime,age_at_arrival,sex,ethnicity,residence_area,arrest_offence_group,known_to_yos,known_to_childrens_social_care
D0,P1,Brixton,2020-03-01 10:00,2020-03-01 20:00,15,male,black,Haringey,theft,no,no
D1,P1,Wood Green,2020-11-01 10:00,2020-11-01 20:00,15,male,black,Haringey,robbery,yes,no
D2,P2,Wood Green,2020-12-01 10:00,2020-12-01 20:00,18,male,white,Enfield,theft,unknown,unknown
D3,P3,Wood Green,2021-01-10 10:00,2021-01-10 20:00,16,female,mixed,Enfield,drugs,no,no
D3b,P3,Brixton,2020-11-15 10:00,2020-11-15 20:00,16,female,mixed,Enfield,drugs,no,no
D4,P4,Brixton,2020-11-20 10:00,2020-11-20 20:00,14,male,black,Lambeth,robbery,no,yes
D4b,P4,Brixton,2020-12-10 10:00,2020-12-10 20:00,14,male,black,Lambeth,theft,yes,yes
D5,P5,Wood Green,2019-11-01 10:00,2019-11-01 20:00,13,male,asian,Haringey,violence_with_injury,no,no
D6,P6,Wood Green,2020-11-05 10:00,2020-11-05 20:00,15,male,white,Haringey,theft,no,no
D7,P7,Croydon,2020-11-05 10:00,2020-11-05 20:00,15,male,white,Croydon,theft,no,no
D8,P8,Brixton,2020-11-05 10:00,2020-11-05 20:00,19,male,black,Lambeth,theft,no,no
D9a,P9,Wood Green,2019-11-10 10:00,2019-11-10 20:00,14,female,white,Enfield,theft,no,no
D9b,P9,Wood Green,2020-11-10 10:00,2020-11-10 20:00,15,female,white,Enfield,robbery,yes,no
"""
CONTACTS = """contact_id,person_id,detention_id,contact_date,outcome
C1,P1,D1,2020-11-01,intervention_arranged
C2,P2,D2,2020-12-01,declined
C3,P3,D3,2021-01-10,declined
C4,P9,D9b,2020-11-10,awaiting_intervention
"""
EVENTS = """event_id,person_id,event_date,event_type,offence_group,proven_outcome,proven_date,detention_id
E1,P1,2020-06-01,offence,theft,,,
E2,P1,2020-11-01,offence,robbery,,,D1
E3,P1,2019-10-01,offence,theft,,,
E4,P1,2020-10-31,victimisation,robbery,,,
E5,P1,2020-11-02,missing_episode,,,,
E6,P1,2019-11-02,missing_episode,,,,
E7,P4,2020-01-01,offence,theft,,,
E8,P4,2020-11-19,missing_episode,,,,
E9,P4,2020-11-20,offence,robbery,,,D4
"""
CONFIG = (
    TINY_PROGRAMME
    + """[comparison]
suites = ["Brixton"]
pre_period_start = 2019-10-19
pre_period_end = 2019-12-31
{extra}
[data]
extract_date = 2021-12-31
"""
)


def _folder(tmp_path, extra: str = "", risk_set: bool = False):
    config = CONFIG.format(extra=extra) + ('\n[matching]\ncomparison_design = "risk_set"\n' if risk_set else "")
    return write_tables(tmp_path, config, custody_detentions=DETENTIONS, programme_contacts=CONTACTS, events=EVENTS)


@pytest.fixture
def cohort(tmp_path):
    return build_cohort(evaluation.load(_folder(tmp_path)))


def test_every_person_has_the_expected_fate(cohort):
    status = cohort.person_status.set_index("person_id")
    assert status.status.to_dict() == {
        "P1": "programme",
        "P2": "excluded",
        "P3": "comparison",
        "P4": "comparison",
        "P5": "comparison",
        "P6": "excluded",
        "P7": "excluded",
        "P8": "excluded",
        "P9": "both",
    }
    r = status.reason
    assert "not aged 10–17" in r.P2
    # eligibility is decided at the index date: P3 was a comparison child at Brixton before the programme approached them
    assert "approached by the programme later" in r.P3 and "censored" in r.P3
    assert "not approached there (not a comparison design)" in r.P6
    assert "no detention in the comparison design" in r.P7
    assert "never aged 10–17 there" in r.P8


def test_a_child_approached_later_keeps_the_earlier_comparison_index_and_is_censored(cohort):
    t = cohort.table
    p3 = t[t.person_id == "P3"].iloc[0]
    assert p3.treated == 0 and p3.index_detention_id == "D3b" and p3.approached_later_date == pd.Timestamp("2021-01-10")
    # P9: a comparison child at Wood Green in the pre-programme window, then a programme child at their first eligible
    # detention in the programme window: time zero set in each window the same way; two index events, two units
    p9 = t[t.person_id == "P9"].set_index("treated")
    assert p9.loc[0, "index_detention_id"] == "D9a" and p9.loc[0, "approached_later_date"] == pd.Timestamp("2020-11-10")
    assert p9.loc[1, "index_detention_id"] == "D9b" and pd.isna(p9.loc[1, "approached_later_date"])
    assert t.unit_id.is_unique and cohort.n_comparison_approached_later == 2
    assert "Eligibility decided at the index date" in cohort.index_rule


def test_index_detentions_and_sources(cohort):
    t = cohort.table.set_index("person_id")
    assert t.loc["P1", "index_detention_id"] == "D1" and t.loc["P1", "treated"] == 1 and t.loc["P1", "source"] == "programme"
    assert t.loc["P4", "index_detention_id"] == "D4", "the first eligible detention"
    assert t.loc["P4", "source"] == "comparison_suite" and t.loc["P5", "source"] == "pre_programme_period"
    assert t.loc["P4", "known_to_yos"] == "no", "covariates as recorded at the index detention"
    assert t.loc["P1", "arrest_offence_category"] == OFFENCE_CATEGORIES["robbery"] == "robbery_or_weapons"
    assert t.loc["P1", "engagement_outcome"] == "intervention_arranged" and bool(t.loc["P1", "positively_engaged"])


def test_prior_counts_cover_the_year_before_index_and_leave_out_the_index_offence(cohort):
    t = cohort.table.set_index("person_id")
    # P1: E1 counts; E2 is the index offence (linked to D1); E3 is more than a year before; E4 counts;
    # E5 is after the index; E6 (2019-11-02) is within a year of 2020-11-01; D0 is a prior detention
    assert t.loc[
        "P1", ["prior_offences_12m", "prior_victimisations_12m", "prior_missing_episodes_12m", "prior_detentions_12m"]
    ].tolist() == [1, 1, 1, 1]
    # P4: E7 counts, E8 counts, E9 is the index offence; D4b is after the index
    assert t.loc["P4", ["prior_offences_12m", "prior_missing_episodes_12m", "prior_detentions_12m"]].tolist() == [1, 1, 0]


def test_attrition_accounts_for_every_person_and_detention(cohort):
    a = cohort.attrition
    total = a.iloc[0]
    assert (total.people, total.detentions) == (9, 13)
    assert a.iloc[1:].people.sum() == 9 and a.iloc[1:].detentions.sum() == 13
    assert "Both groups, at different detentions" in set(a.step)
    roles = cohort.detention_status.set_index("detention_id").role
    assert roles.D1 == "index detention (programme group)" and roles.D4 == "index detention (comparison group)"
    assert roles.D0.startswith("another detention of a cohort child (before") and roles.D4b.startswith(
        "another detention of a cohort child (after"
    )
    assert roles.D6 == "detention of a child not in the cohort"


def test_residence_areas_restrict_the_comparison_pool(tmp_path):
    c = build_cohort(evaluation.load(_folder(tmp_path, 'residence_areas = ["Lambeth"]')))
    status = c.person_status.set_index("person_id")
    assert status.status.P4 == "comparison"
    assert status.status.P5 == "excluded" and "outside the comparison areas" in status.reason.P5


def test_engaged_only_view_is_labelled(cohort):
    e = cohort.engaged_only()
    assert set(e.table[e.table.treated == 1].person_id) == {"P1", "P9"}
    assert set(e.table[e.table.treated == 0].person_id) == {"P3", "P4", "P5", "P9"}
    assert any("selection bias" in n for n in e.notes)


def test_without_events_the_prior_event_counts_are_absent(tmp_path):
    folder = _folder(tmp_path)
    (folder / "events.csv").unlink()
    c = build_cohort(evaluation.load(folder))
    assert "prior_offences_12m" not in c.covariates and "prior_detentions_12m" in c.covariates
    assert any("No events table" in n for n in c.notes)


def test_demo_cohort_accounts_for_everyone(demo_dir):
    data = evaluation.load(demo_dir)
    c = build_cohort(data)
    assert c.n_programme == 93
    assert c.attrition.iloc[1:].people.sum() == data.custody_detentions.person_id.nunique()
    assert c.attrition.iloc[1:].detentions.sum() == len(data.custody_detentions)
    assert len(c.detention_status) == len(data.custody_detentions)
    assert pd.Index(c.table.unit_id).is_unique


def test_residence_areas_apply_to_both_groups(tmp_path):
    c = build_cohort(evaluation.load(_folder(tmp_path, 'residence_areas = ["Lambeth", "Enfield"]')))
    status = c.person_status.set_index("person_id")
    assert status.status.P4 == "comparison"  # Lambeth
    assert status.status.P1 == "excluded" and "applied to both groups" in status.reason.P1  # Haringey


def test_risk_set_design_indexes_comparison_children_in_each_month(tmp_path):
    c = build_cohort(evaluation.load(_folder(tmp_path, risk_set=True)))
    t = c.table
    assert c.design == "risk_set" and "index_period" in t
    # P4 was eligible at Brixton in November and in December 2020: one comparison row each month
    p4 = t[t.person_id == "P4"].sort_values("index_date")
    assert p4.index_detention_id.tolist() == ["D4", "D4b"] and p4.index_period.tolist() == ["2020-11", "2020-12"]
    # the pre-programme period cannot be concurrent: P5 is not in a risk-set design, and P9 is a programme child only
    assert "P5" not in set(t.person_id)
    assert t[t.person_id == "P9"].treated.tolist() == [1]


def test_design_checks_say_when_follow_up_is_too_short(tmp_path):
    from evaluation.cohort import design_checks

    folder = _folder(tmp_path)
    cfg = (folder / "evaluation.toml").read_text().replace("extract_date = 2021-12-31", "extract_date = 2021-02-28")
    (folder / "evaluation.toml").write_text(cfg)
    checks = " ".join(design_checks(evaluation.load(folder)))
    assert "Follow-up too short for proven reoffending" in checks and "no programme child was" in checks


def test_time_zero_is_the_first_eligible_detention_in_the_programme_window(tmp_path):
    """A child first detained at a comparison suite and approached later at the programme suite in the same window is a
    comparison child only (entered at the comparison suite); a child not approached at their first eligible detention at
    the programme suite is left out even if approached at a later one."""
    dets = DETENTIONS + (
        "DX1,PX,Brixton,2020-10-25 10:00,2020-10-25 20:00,15,male,black,Lambeth,theft,no,no\n"
        "DX2,PX,Wood Green,2020-11-25 10:00,2020-11-25 20:00,15,male,black,Lambeth,theft,no,no\n"
        "DY1,PY,Wood Green,2020-10-26 10:00,2020-10-26 20:00,15,male,white,Enfield,theft,no,no\n"
        "DY2,PY,Wood Green,2020-11-26 10:00,2020-11-26 20:00,15,male,white,Enfield,theft,no,no\n"
    )
    contacts = CONTACTS + "C8,PX,DX2,2020-11-25,declined\nC9,PY,DY2,2020-11-26,declined\n"
    folder = write_tables(tmp_path, CONFIG.format(extra=""), custody_detentions=dets, programme_contacts=contacts, events=EVENTS)
    c = build_cohort(evaluation.load(folder))
    status = c.person_status.set_index("person_id")
    assert status.status.PX == "comparison" and c.table[c.table.person_id == "PX"].index_detention_id.tolist() == ["DX1"]
    assert status.status.PY == "excluded" and "not at their first eligible detention" in status.reason.PY
