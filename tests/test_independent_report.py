"""The whole report built from data the package did not generate: a two-year programme with no effect,
from the independent generator (tests/simulation/generator.py), with a seed fixed in advance (the
generator's programme start date as a number). The report must build, read correctly and not find
effects beyond chance: under no effect each of the five headline tests is significant with probability
0.05, so two or more of five would happen by chance about 2% of the time."""

from __future__ import annotations

import json

import pytest

from tests.simulation.generator import Scenario, simulate

SEED = 20210401  # fixed in advance: the generator's programme start date


@pytest.fixture(scope="module")
def null_report(tmp_path_factory):
    from evaluation.report import build_report

    sim = simulate(Scenario(seed=SEED, programme_months=24, comparison="both"))
    data = sim.write(tmp_path_factory.mktemp("null-data"))
    out = tmp_path_factory.mktemp("null-report") / "out"
    build_report(data_dir=data, out_dir=out, progress=False, say=lambda m: None)
    return out


@pytest.mark.slow
def test_a_two_year_programme_with_no_effect_finds_none_beyond_chance(null_report):
    r = json.loads((null_report / "results.json").read_text())
    ba, reo = r["before_after"], r["reoffending"]
    significant = [o for o in ("offending", "victimisation", "missing_episodes") if ba[o]["12"]["ci_high"] < 1 or ba[o]["12"]["ci_low"] > 1]
    significant += [
        k
        for k in ("proven", "rearrest_12m")
        if k in reo and reo[k]["ci_low"] is not None and (reo[k]["ci_high"] < 0 or reo[k]["ci_low"] > 0)
    ]
    assert len(significant) <= 1, significant
    # the summary claims exactly what the estimates support
    claimed = {k for k, v in r["summary"]["significant_reduction"].items() if v}
    for o, topic in (("offending", "offending"), ("victimisation", "victimisation"), ("missing_episodes", "missing episodes")):
        if topic in claimed:
            assert ba[o]["12"]["ci_high"] < 1
    assert r["matching"]["index_rule"].startswith("Eligibility decided at the index date")
    assert r["matching"]["comparison_later_approached"] is None or r["matching"]["comparison_later_approached"] >= 5
    for name in ("report.html", "report.pdf", "tables.xlsx", "disclosure_log.csv"):
        assert (null_report / name).stat().st_size > 0
