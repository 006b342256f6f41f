"""The spell design (issue 12, IOM): windows, exposure at liberty and rates checked by hand on records written
here, and bad spells reported with file, row and column, all at once."""

from __future__ import annotations

import json
import math

import pytest

import evaluation
from evaluation.problems import ValidationError
from evaluation.spells import analyse_spells, spell_windows

CONFIG = """[programme]
name = "Spells by hand"
design = "spells"
start = 2022-01-01
end = 2022-12-31
age_min = 18
age_max = 100

[data]
extract_date = 2023-12-31
events_start = 2020-01-01

[spells]
window_months = 12
"""


def _write(folder, spells: str, custody: str, events: str):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "evaluation.toml").write_text(CONFIG, encoding="utf-8")
    (folder / "spells.csv").write_text("spell_id,person_id,start_date,end_date\n" + spells, encoding="utf-8")
    (folder / "custody_spells.csv").write_text("person_id,start_date,end_date\n" + custody, encoding="utf-8")
    (folder / "events.csv").write_text("event_id,person_id,event_date,event_type,offence_group\n" + events, encoding="utf-8")
    return folder


@pytest.fixture
def by_hand(tmp_path):
    # A: adopted 1 Mar 2022, exit 31 Aug 2022; 30 days in prison in the after window (1-30 Nov 2022).
    # B: adopted 1 Jul 2022, still open at the extract (no after window).
    return _write(
        tmp_path / "data",
        "S1,A,2022-03-01,2022-08-31\nS2,B,2022-07-01,\n",
        "A,2022-11-01,2022-11-30\n",
        "E1,A,2021-06-01,offence,theft\nE2,A,2021-12-31,offence,theft\nE3,A,2022-05-05,offence,robbery\n"
        "E4,A,2022-11-15,offence,theft\nE5,A,2023-02-01,offence,theft\nE6,B,2022-01-10,offence,drugs\n"
        "E7,B,2023-03-03,offence,theft\nE8,B,2021-06-30,victimisation,theft\n",
    )


def test_windows_and_exposure_at_liberty_by_hand(by_hand):
    data = evaluation.load(by_hand)
    assert data.custody_detentions.empty and data.programme_contacts.empty  # not needed by a spell design
    w = spell_windows(data).set_index(["spell_id", "period"])
    a_before, a_during, a_after = w.loc[("S1", "before")], w.loc[("S1", "during")], w.loc[("S1", "after")]
    assert (str(a_before.start.date()), str(a_before.end.date())) == ("2021-03-01", "2022-02-28") and a_before.days == 365
    assert a_before.offences == 2  # 1 Jun and 31 Dec 2021
    assert a_during.days == 184 and a_during.offences == 1  # 1 Mar to 31 Aug 2022
    assert (str(a_after.start.date()), str(a_after.end.date())) == ("2022-09-01", "2023-08-31")
    assert a_after.days == 365 and a_after.days_in_custody == 30 and a_after.days_at_liberty == 335
    assert a_after.offences == 2  # the offence in prison (15 Nov) still counts
    b_during, b_after = w.loc[("S2", "during")], w.loc[("S2", "after")]
    assert b_during.days == (365 + 184) and b_during.offences == 1  # 1 Jul 2022 to the extract, 31 Dec 2023
    assert b_after.days == 0  # open at the extract: no after window
    assert w.loc[("S2", "before")].offences == 1  # the victimisation is not an offence
    s = analyse_spells(data).summary.set_index("period")
    assert s.loc["after", "cases"] == 1 and s.loc["after", "rate"] == pytest.approx(2 / (335 / 365.25))
    assert s.loc["before", "rate"] == pytest.approx(3 / (730 / 365.25))


def test_bad_spells_are_all_reported_with_row_and_column(tmp_path):
    folder = _write(
        tmp_path / "bad",
        "S1,A,2022-03-01,2022-02-01\nS2,B,2022-01-01,2022-06-30\nS3,B,2022-06-01,2022-09-30\n",
        "A,2022-11-30,2022-11-01\n",
        "E1,A,2021-06-01,offence,theft\n",
    )
    with pytest.raises(ValidationError) as exc:
        evaluation.load(folder)
    text = str(exc.value)
    assert "spells.csv, row 2, column end_date" in text and "is before start_date" in text
    assert "spells.csv, row 4, column start_date" in text and "overlaps the same person's spell in row 3" in text
    assert "custody_spells.csv, row 2, column end_date" in text


def test_a_spell_design_needs_its_spells_table(tmp_path):
    folder = _write(tmp_path / "none", "", "", "E1,A,2021-06-01,offence,theft\n")
    (folder / "spells.csv").unlink()
    with pytest.raises(ValidationError, match="spells.csv: required table is missing"):
        evaluation.load(folder)


def test_the_example_report_says_what_a_spell_design_cannot_show(tmp_path):
    import importlib.util
    from pathlib import Path

    from evaluation.report import build_report

    path = Path(__file__).resolve().parents[1] / "examples" / "iom_spells" / "generate.py"
    spec = importlib.util.spec_from_file_location("iom_example", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    data = module.generate(tmp_path / "data")
    build_report(data, out_dir=tmp_path / "out", progress=False, say=lambda _: None)
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    spells = results["spells"]
    for period in ("before", "during", "after"):
        entry = spells[period]
        assert set(entry) >= {"cases", "offences_per_case_year_at_liberty", "cost_of_crime_per_case_year"}
        assert entry["offences_per_case_year_at_liberty"] is None or math.isfinite(entry["offences_per_case_year_at_liberty"])
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "There is no comparison group" in html and "regression to the" in html
    assert "custody suite" not in html.split("Appendix")[0]  # nothing written for a custody programme
    assert results["disclosure"]["intruder_audit"]["exposed"] == 0


def test_custody_spells_that_overlap_or_hold_an_arrest_are_errors(by_hand):
    """Issue 12's bad input: overlapping prison spells, and an arrest in the community while in prison."""
    (by_hand / "custody_spells.csv").write_text(
        "person_id,start_date,end_date\nA,2022-11-01,2022-11-30\nA,2022-11-20,2022-12-31\n", encoding="utf-8"
    )
    (by_hand / "custody_detentions.csv").write_text(
        "detention_id,person_id,custody_suite,arrival_datetime,age_at_arrival,sex,ethnicity,residence_area,arrest_offence_group,known_to_yos\n"
        "D1,A,Northampton,2022-11-10 10:00,30,male,white,X,theft,unknown\n"
        "D2,A,Northampton,2023-02-01 10:00,30,male,white,X,theft,unknown\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationError) as exc:
        evaluation.load(by_hand)
    text = str(exc.value)
    assert "custody_spells.csv, row 3, column start_date" in text and "overlaps the same person's custody spell in row 2" in text
    assert "custody_detentions.csv, row 2, column arrival_datetime" in text and "custody_spells.csv row 2" in text
    assert "custody_detentions.csv, row 3" not in text  # after release: a real arrest
