"""Reoffending definitions on hand-built data, weights after attrition, power, JDL wording, benchmarks."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest

import evaluation
from evaluation import reoffending
from evaluation.cohort import build_cohort
from evaluation.matching import CohortMatch, assemble_result, match_comparison
from evaluation.reoffending import Difference
from evaluation.report.sections.reoffending import jdl_sentence
from tests.conftest import TINY_PROGRAMME, write_tables

DETENTIONS = """detention_id,person_id,custody_suite,arrival_datetime,release_datetime,age_at_arrival,sex,ethnicity,residence_area,arrest_offence_group,known_to_yos
DA,A,Wood Green,2020-11-01 10:00,2020-11-01 20:00,15,male,black,Haringey,robbery,yes
DA2,A,Wood Green,2021-04-10 10:00,2021-04-10 20:00,15,male,black,Haringey,theft,yes
DB,B,Brixton,2020-12-20 10:00,2020-12-20 20:00,15,male,black,Lambeth,robbery,no
DC,C,Wood Green,2020-12-30 10:00,2020-12-30 20:00,16,male,white,Enfield,theft,no
"""
CONTACTS = """contact_id,person_id,detention_id,contact_date,outcome
C1,A,DA,2020-11-01,intervention_arranged
C2,C,DC,2020-12-30,declined
"""
EVENTS = """event_id,person_id,event_date,event_type,offence_group,proven_outcome,proven_date,detention_id
E1,A,2020-11-01,offence,robbery,conviction,2021-03-01,DA
E2,A,2020-12-01,offence,theft,conviction,2021-06-01,
E3,A,2021-02-01,offence,theft,community_resolution,2021-02-05,
E4,A,2021-10-31,offence,theft,conviction,2022-04-30,
E5,A,2021-09-01,offence,theft,youth_caution,2022-05-10,
E6,A,2021-11-05,offence,theft,conviction,2022-01-10,
E7,C,2021-12-20,offence,theft,conviction,2022-03-01,
"""
CONFIG = (
    TINY_PROGRAMME
    + """[comparison]
suites = ["Brixton"]
[data]
extract_date = 2022-06-25
"""
)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reoff")
    return evaluation.load(write_tables(folder, CONFIG, custody_detentions=DETENTIONS, programme_contacts=CONTACTS, events=EVENTS))


@pytest.fixture(scope="module")
def children(data):
    return build_cohort(data).table[["person_id", "index_date", "index_detention_id"]]


def test_proven_reoffending_follows_the_moj_definition(data, children):
    p = reoffending.proven_reoffending_by_child(data, children).set_index("person_id")
    # A: E1 is the index offence; E2 and E4 count (offence within 12 months, proven within 12 + 6 months);
    # E3 is a community resolution; E5 was proven after the waiting period; E6 was committed after 12 months
    assert p.loc["A", "proven_reoffences"] == 2 and p.loc["A", "complete"]
    assert p.loc["A", "days_to_first"] == 30 and p.loc["A", "event"] and p.loc["A", "time"] == 30
    assert p.loc["B", "proven_reoffences"] == 0 and p.loc["B", "complete"]
    assert p.loc["B", "time"] == (pd.Timestamp("2021-12-20") - pd.Timestamp("2020-12-20")).days and not p.loc["B", "event"]
    with_diversion = reoffending.proven_reoffending_by_child(data, children, include_diversion=True).set_index("person_id")
    assert with_diversion.loc["A", "proven_reoffences"] == 3


def test_incomplete_follow_up_leaves_the_binary_measure_and_is_censored(data, children):
    p = reoffending.proven_reoffending_by_child(data, children).set_index("person_id")
    # C: indexed 30 Dec 2020, so 12 + 6 months end 30 Jun 2022, after the 25 Jun extract
    assert not p.loc["C", "complete"]
    # in the time-to-event data C is followed to 6 months before the extract (360 days); its offence on day 355 counts
    assert p.loc["C", "event"] and p.loc["C", "time"] == 355


def test_time_to_event_uses_one_ascertainment_rule_for_everyone(tmp_path):
    """An offence proven 8 months after it was committed counts in the one-year measure (proven within
    12 + 6 months of the index) but not in the time-to-event data, where an offence counts only if proven
    within the 6-month waiting period of being committed, for complete and incomplete children alike."""
    events = EVENTS + "E8,B,2021-01-20,offence,theft,conviction,2021-09-25,\n"
    folder = write_tables(tmp_path, CONFIG, custody_detentions=DETENTIONS, programme_contacts=CONTACTS, events=events)
    d = evaluation.load(folder)
    kids = build_cohort(d).table[["person_id", "index_date", "index_detention_id"]]
    p = reoffending.proven_reoffending_by_child(d, kids).set_index("person_id")
    assert p.loc["B", "reoffended"] and p.loc["B", "proven_reoffences"] == 1
    assert not p.loc["B", "event"], "proven more than 6 months after the offence: not in the time-to-event data"


def test_jdl_comparable_index_is_the_first_proven_disposal(data, children):
    d = reoffending.first_disposal_index(data, children).set_index("person_id")
    # A: the index offence E1 (1 Nov 2020) was convicted on 1 Mar 2021; B and C had no disposal for an offence by their arrest
    assert d.index.tolist() == ["A"]
    assert d.loc["A", "index_date"] == pd.Timestamp("2021-03-01") and d.loc["A", "arrest_date"] == pd.Timestamp("2020-11-01")


def test_rearrest_windows(data, children):
    r6 = reoffending.rearrest_by_child(data, children, 6).set_index("person_id")
    assert r6.loc["A", "rearrested"] and r6.loc["A", "time"] == (pd.Timestamp("2021-04-10") - pd.Timestamp("2020-11-01")).days
    assert not r6.loc["B", "rearrested"] and r6.loc["B", "complete"]


def test_weights_are_recomputed_on_the_pairs_that_remain():
    d = pd.DataFrame({"person_id": ["t0", "t1", "c2", "c3", "c4"], "treated": [1, 1, 0, 0, 0], "z": [0, 1, 0, 1, 2]})
    spec = {"ratio": 2, "replace": False}
    res = assemble_result(d, "treated", ["z"], spec, d.treated.to_numpy(), None, np.zeros(5, bool), {0: [2, 3], 1: [4]}, {})
    cm = CohortMatch(result=res, candidates=pd.DataFrame(), covariates=["z"], threshold=0.1)
    np.testing.assert_allclose(res.weights, [1, 1, 0.75, 0.75, 1.5])  # raw 1/2, 1/2, 1 (sum 2) scaled to sum to 3 controls
    w = reoffending.restricted_weights(cm, {"t0", "t1", "c2", "c4"}).set_index("person_id").weight
    assert w.to_dict() == {"t0": 1.0, "t1": 1.0, "c2": 1.0, "c4": 1.0}
    w = reoffending.restricted_weights(cm, {"t0", "c2", "c3", "c4"}).set_index("person_id").weight
    assert set(w.index) == {"t0", "c2", "c3"}, "a programme child who leaves takes its matched set with it"


@pytest.mark.parametrize(
    "p0, n, expected_p1",
    [(0.33, 100, 0.161), (0.33, 200, 0.206), (0.33, 400, 0.241), (0.33, 800, 0.266), (0.20, 200, 0.100), (0.45, 200, 0.314)],
)
def test_minimum_detectable_difference_reproduces_the_methods_table(p0, n, expected_p1):
    # ../shared/reference/methods.md, section 6 (pooled normal approximation, 80% power, 5% two-sided)
    assert p0 - reoffending.min_detectable_difference(p0, n, n) == pytest.approx(expected_p1, abs=0.0006)


def test_sample_size_per_group_reproduces_the_methods_table():
    assert reoffending.sample_size_per_group(0.33, 0.13) == 1819
    assert reoffending.sample_size_per_group(0.33, 0.30) == 323


@pytest.mark.parametrize(
    "lo, hi, expected",
    [
        (
            -0.20,
            -0.05,
            "between 5 and 20 fewer were proven to have reoffended within a year of the arrest than would have done without the "
            "programme. This is a statistically significant result.",
        ),
        (0.02, 0.11, "between 2 and 11 more were proven to have reoffended"),
        (
            -0.18,
            0.07,
            "could be lower by as many as 18 or higher by as many as 7 than without the programme. This is not a statistically significant result",
        ),
    ],
)
def test_jdl_wording(lo, hi, expected):
    d = Difference(90, 300, 0.3, 0.35, (lo + hi) / 2, lo, hi, 0.2)
    assert expected in jdl_sentence("proven", d)


def test_measures_on_fewer_than_30_reoffenders_are_suppressed(demo_dir):
    data = evaluation.load(demo_dir)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = reoffending.analyse(data, match_comparison(build_cohort(data), data.config))
    proven = res.measures["proven"]
    assert proven.reoffenders["programme"] < 30 and proven.per_reoffender is None and proven.days_to_first is None
    out = res.to_results()["proven"]
    assert out["per_reoffender"].startswith("suppressed") and out["days_to_first_reoffence"].startswith("suppressed")
    assert "per_reoffender" not in res.to_results()["rearrest_12m"]
    assert json.dumps(res.to_results())  # serialisable


def test_benchmarks_are_sourced_and_match_the_config_schema():
    bm = reoffending.benchmarks()
    assert bm.citation.str.len().min() > 20 and bm.url.str.startswith("https://").all()
    assert set(bm.status) <= {"primary", "secondary"}
    from evaluation.schema import config_schema

    props = config_schema()["properties"]["reoffending"]["properties"]
    assert set(props["national_benchmark"]["enum"]) | set(props["power_targets"]["items"]["enum"]) == set(bm.index)
    assert math.isclose(bm.loc["juvenile_proven_reoffending_2022", "value"], 0.333)
