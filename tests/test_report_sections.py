"""Pure pieces of the report's wording: effect sizes in words and compact provenance JSON."""

from __future__ import annotations

import json

from evaluation.report.sections.summary import effect_words, pounds_pence
from evaluation.report.session import compact_json


def test_effect_words_reads_the_interval_not_the_point_estimate():
    text, sig = effect_words(0.70, 0.55, 0.90, "offences")
    assert sig and "30% fewer offences" in text and "10% to 45% fewer" in text and "statistically significant" in text
    text, sig = effect_words(1.30, 1.10, 1.55, "offences")
    assert sig and "30% more offences" in text and "10% to 55% more" in text
    text, sig = effect_words(0.86, 0.67, 1.10, "offences")
    assert not sig and "best estimate 14% fewer" in text and "33% fewer to 10% more" in text and "not statistically significant" in text
    text, sig = effect_words(1.05, 0.80, 1.40, "victimisations")
    assert not sig and "best estimate 5% more" in text


def test_money_and_provenance_formatting():
    assert pounds_pence(4.4208) == "£4.42" and pounds_pence(-1.0516) == "−£1.05" and pounds_pence(1234.5) == "£1,234.50"
    from evaluation.report.formatting import is_numeric_text, money

    # issue 15: a loss reads −£40,084 everywhere (the report once had £-40,084 beside −£1.05), and stays right-aligned
    assert money(-40084.4) == "−£40,084" and money(-0.004, 2) == "£0.00" and money(12.5, 2) == "£12.50"
    assert is_numeric_text(money(-40084.4))
    value = {"a": [1, 2], "b": {"c": "x", "d": [[9, 10]]}, "e": [{"n": 1}], "f": []}
    text = compact_json(value)
    assert json.loads(text) == value and '"a": [1, 2]' in text and '"d": [[9, 10]]' in text
    # issue 15: a description of several lines prints as its lines in the config dump, never with \n escapes
    block = compact_json({"programme": {"description": "First line.\n\nSecond line."}}, text_blocks=True)
    assert "\\n" not in block and '"description": """\n' in block and "    First line.\n\n    Second line.\n" in block


def test_balance_sentence_claims_only_what_the_numbers_show(demo_dir):
    """'Alike' only on what was matched on, and any 'any prior event' share that still differs is named
    (the demo summary once said 'alike on every recorded characteristic' beside 73% against 82%)."""
    import warnings

    import numpy as np

    import evaluation
    from evaluation.cohort import build_cohort
    from evaluation.matching import match_comparison
    from evaluation.report.sections.summary import balance_sentence

    data = evaluation.load(demo_dir)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cm = match_comparison(build_cohort(data), data.config)
    text = balance_sentence(cm)
    assert "every recorded characteristic" not in text
    assert f"the {len(cm.covariates)} characteristics matched on" in text
    extra = cm.indicator_balance([c for c in cm.covariates if c.startswith("prior_")])
    off = extra[extra.std_mean_diff.abs() > cm.threshold]
    assert ("differ in the share with" in text) == bool(len(off))
    # and the check has teeth: a matched comparison group with no prior offences at all is named
    r = cm.result
    r.data = r.data.assign(prior_offences_12m=np.where(r.data.treated == 1, r.data.prior_offences_12m, 0))
    assert "any recorded offence in the year before" in balance_sentence(cm)


def test_placebo_words_follow_the_verdict():
    from evaluation.outcomes import BeforeAfter
    from evaluation.report.sections.outcomes import placebo_text

    def ba(verdict, rr=0.85, p=0.07, half=False):
        check = {"verdict": verdict, "ci90": (0.73, 0.99), "margin": 1.25, "at_least_half_the_effect": half}
        return BeforeAfter(
            "offending",
            12,
            None,
            {"rate_ratio": 0.86},
            {},
            {},
            None,
            {"rate_ratio": rr, "ci_low": 0.7, "ci_high": 1.02, "p_value": p, "log_se": 0.09},
            1.0,
            check,
        )

    assert "already differed" in placebo_text(ba("differing_trends", p=0.01), "offences")
    assert "were similar" in placebo_text(ba("parallel_supported", rr=1.0, p=0.9), "offences")
    text = placebo_text(ba("inconclusive", half=True), "offences")
    assert "cannot confirm" in text and "at least half as large as the estimated effect" in text
    assert "value near 1 supports" not in text


def test_a_table_wider_than_the_page_is_printed_in_parts_never_cut():
    """Issue 12: monthly tables of programmes longer than a year lost columns (Total included) off the PDF page."""
    import re

    import pandas as pd

    from evaluation.report.formatting import MAX_COLUMNS_PER_PART, table_html

    months = [(pd.Period("2021-04", "M") + i).strftime("%b %Y") for i in range(25)]
    frame = pd.DataFrame(
        [["Children engaged", *[str(i) for i in range(25)], "300"], ["Declined", *["c"] * 25, "40"]], columns=["", *months, "Total"]
    )
    html = table_html(frame, "Children engaged by month", notes=["A note."], source="synthetic", table_id="t", flags=[(0, "Total")])
    heads = re.findall(r'<th scope="col"[^>]*>([^<]*)</th>', html)
    assert sorted(h for h in heads if h) == sorted([*months, "Total"])  # every column once, none lost
    parts = html.count("<table>")
    assert parts == 3 and heads.count("") == parts  # the row labels repeated in each part
    assert all(len(re.findall(r'<th scope="col"', t)) <= MAX_COLUMNS_PER_PART + 1 for t in html.split("<table>")[1:])
    assert "part 3 of 3: " in html and html.count("A note.") == 1 and html.count('id="t"') == 1
    assert 'class="num flag"' in html  # the flag follows its column into the last part
    assert '<td class="num">c</td>' in html  # a suppressed cell keeps its column's alignment


def test_number_columns_are_right_aligned_whatever_else_they_hold():
    """From a print review: intervals, "a / b" pairs, a total row's empty cell and a short note in place of a
    number ("no fiscal split") left whole columns of numbers left-aligned, and a difference read "-0 (-9 to +8)"."""
    import re

    import pandas as pd

    from evaluation.report.formatting import signed, table_html

    frame = pd.DataFrame(
        {
            "Outcome": ["Offences", "Victimisations", "Total"],
            "Difference (95% CI)": [f"{signed(-4)} ({signed(-15)} to {signed(8)})", f"{signed(-0.2)} ({signed(-9)} to {signed(8)})", ""],
            "Hazard ratio": ["0.83 (0.52 to 1.31)", "c", ""],
            "Children": ["74 / 196", "93 / 301", ""],
            "Fiscal only": ["15.2", "no fiscal split", ""],
            "Note": ["as recorded", "not recorded", "all"],
        }
    )
    html = table_html(frame, "Alignment", table_id="t")
    heads = re.findall(r'<th scope="col"( class="num")?>([^<]*)</th>', html)
    assert {h: bool(c) for c, h in heads} == {
        "Outcome": False,
        "Difference (95% CI)": True,
        "Hazard ratio": True,
        "Children": True,
        "Fiscal only": True,
        "Note": False,
    }
    assert "−4 (−15 to +8)" in html and "0 (−9 to +8)" in html and "-0" not in html and "−0 " not in html
    assert 'class="report-table"' in html  # three rows: kept whole on the page
    tall = table_html(pd.concat([frame] * 3, ignore_index=True), "Tall", table_id="u")
    assert 'class="report-table long"' in tall  # may break across pages, keeping caption and notes with rows (report.css)


def test_minus_signs_and_wrapped_phrases_read_right():
    """From a print review: number columns printed "-0.10 (-0.64 to 0.75)" with hyphens; "the index arrest" split
    over two lines of a notebook cell read "the index index event"; a chart label wrapped mid-phrase kept "detained
    at the programme suite" for a programme of out-of-court decisions."""
    from types import SimpleNamespace

    import pandas as pd

    from evaluation.report.formatting import table_html
    from evaluation.report.session import ReportSession
    from evaluation.report.words import MIXED_EVENTS, Vocabulary

    frame = pd.DataFrame({"Measure": ["a", "b"], "Ratio": ["-0.10 (-0.64 to 0.75)", "-110%"], "Month": ["2020-10", "2020-11"]})
    html = table_html(frame, "Minus", table_id="m")
    assert "−0.10 (−0.64 to 0.75)" in html and "−110%" in html and "2020-10" in html
    words = Vocabulary("people", "person", MIXED_EVENTS)
    assert words.apply("reoffending from the index\narrest") == "reoffending from the index event"
    session = SimpleNamespace(words=words)
    label = ReportSession.reword(session, "Children aged 10–79 detained\nat the programme suite")  # type: ignore[arg-type]
    assert " ".join(label.split()) == "People aged 10–79 with an index event at the programme site"
    from matplotlib.figure import Figure

    from evaluation.report.session import reword_figure

    fig = Figure()
    ax = fig.subplots()
    ax.set_yticks([0, 1], ["Children aged 10–79 detained at the programme suite", "Approached"])  # a funnel's rows
    reword_figure(fig, lambda t: ReportSession.reword(session, t))  # type: ignore[arg-type]
    assert [t.get_text() for t in ax.get_yticklabels()][0] == "People aged 10–79 with an index event at the programme site"


def test_the_report_speaks_of_people_when_adults_are_in_scope():
    """Issue 12: a programme that sees adults read '900 children … aged 10 to 79'."""
    from types import SimpleNamespace

    from evaluation.report.words import Vocabulary

    def config(age_max, design="custody_contacts", population=None):
        return SimpleNamespace(programme=SimpleNamespace(age_max=age_max, design=design, population=population))

    assert Vocabulary.for_config(config(17)).plural == "children"
    people = Vocabulary.for_config(config(79))
    assert people.plural == "people" and Vocabulary.for_config(config(100, "spells")).plural == "people"
    text = "Children engaged: 900 children; each child's first contact. Known to children's social care: 12. Children and families pathway."
    assert people.apply(text) == (
        "People engaged: 900 people; each person's first contact. Known to children's social care: 12. Children and families pathway."
    )
    assert Vocabulary.for_config(config(17)).apply(text) == text
    young = Vocabulary.for_config(config(24, population="young people"))
    assert young.apply("A child, two children.") == "A young person, two young people."
    assert people.apply(people.apply(text)) == people.apply(text)  # idempotent: built tables pass through twice


def test_the_report_speaks_of_the_programmes_own_index_events():
    """Issue 12: a programme that meets children at out-of-court decisions does not read of detentions at custody
    suites or of arrests; identifiers, table names and re-arrest (a measure from custody records) are kept."""
    from types import SimpleNamespace

    from evaluation.report.words import Vocabulary

    def config(*kinds):
        return SimpleNamespace(programme=SimpleNamespace(age_max=17, design="custody_contacts", population=None, index_events=kinds))

    text = (
        "Children aged 10-17 detained at the programme suite, at Wood Green custody suite. Every child and every custody "
        "detention; a detention at a custody suite. Custody detentions in the 12 months before. Offending in the 12 "
        "months after arrest, at the moment of arrest; children who were arrested in the same way. Re-arrest within 6 "
        "months. custody_detentions.csv, detention_id, arrest_offence_group. Age at arrival."
    )
    oocd = Vocabulary.for_config(config("out_of_court_decision"))
    assert oocd.apply(text) == (
        "Children aged 10-17 given an out-of-court decision at the programme panel, at Wood Green panel. Every child and "
        "every out-of-court decision; an out-of-court decision at a panel. Out-of-court decisions in the 12 months before. "
        "Offending in the 12 months after the out-of-court decision, at the moment of the out-of-court decision; children "
        "who were given an out-of-court decision in the same way. Re-arrest within 6 months. custody_detentions.csv, "
        "detention_id, arrest_offence_group. Age at the out-of-court decision."
    )
    assert oocd.apply(oocd.apply(text)) == oocd.apply(text)
    assert Vocabulary.for_config(config("custody_detention")).apply(text) == text
    mixed = Vocabulary.for_config(config("custody_detention", "voluntary_attendance"))
    assert mixed.apply("Every custody detention at a custody suite.") == "Every index event at a site."
    assert oocd.apply("Joint decision-making panel custody suite") == "Joint decision-making panel"
    assert oocd.apply("Detained (eligible)") == "Given an out-of-court decision (eligible)"  # a column heading too


def test_what_the_evaluator_wrote_is_printed_as_written():
    from evaluation.report.words import Vocabulary, verbatim

    people = Vocabulary("people", "person")
    text = f"Each child met. {verbatim('The YOS speaks to all children attending voluntary interviews.')} Two children."
    assert people.apply(text) == "Each person met. The YOS speaks to all children attending voluntary interviews. Two people."
    assert Vocabulary().apply(text) == "Each child met. The YOS speaks to all children attending voluntary interviews. Two children."


def test_the_outcomes_are_explained_in_the_programmes_own_names(demo_dir):
    """Alliance's Green/Amber/Red/Blue come from its config, not from the code: a programme without them gets
    the outcomes it records, and contacts outside custody are named when the log has them."""
    import dataclasses

    import evaluation
    from evaluation.engagement import analyse
    from evaluation.report.sections.engagement import engagement_intro

    data = evaluation.load(demo_dir)
    eng = analyse(data)
    text = engagement_intro(eng, data.config)
    assert all(f'("{c}")' in text for c in ("Green", "Amber", "Red", "Blue"))
    assert "during the period (at a detention)" in text and "advice" not in text
    plain = dataclasses.replace(data.config, engagement=dataclasses.replace(data.config.engagement, outcome_labels={}))
    outside = dataclasses.replace(eng, without_detention=3)
    text = engagement_intro(outside, plain)
    assert "Green" not in text and "with no detention recorded" in text and "an intervention arranged, " in text


def test_charts_speak_of_people_too(capsys):
    """The words inside a chart (axis labels, ticks, titles) follow the programme's vocabulary, as its caption does."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    from evaluation.report.session import ReportSession
    from evaluation.report.words import Vocabulary

    session = ReportSession.__new__(ReportSession)
    session.words, session._figures = Vocabulary("people", "person"), 0
    fig = Figure()
    ax = fig.subplots()
    ax.set_ylabel("Children engaged")
    ax.set_title("Flow of children through the analysis")
    session.figure((fig, "Bars of children engaged"), "Children engaged by month")
    texts = [t.get_text() for t in fig.findobj(Text) if t.get_text()]
    assert "People engaged" in texts and "Flow of people through the analysis" in texts
    assert not any("hild" in t for t in texts)


def test_workbook_stores_numbers_as_numbers_for_analysts(tmp_path):
    """Issue 15: every rate, interval, £ figure and estimate was text ('43.7%', '0.86 (0.67 to 1.10)'); now numbers
    with a number format showing them as published, estimates and bounds in columns of their own, frozen headers,
    and suppressed cells still 'c'."""
    import pandas as pd
    from openpyxl import load_workbook

    from evaluation.report.session import PublishedTable
    from evaluation.report.workbook import write_workbook

    frame = pd.DataFrame(
        {
            "Measure": ["A", "B", "C"],
            "Children": ["1,234", "c", "57"],
            "Share": ["43.7%", "c", "12%"],
            "Cost": ["−£40,084", "£12.50", "–"],
            "Ratio (95% CI)": ["0.86 (0.67 to 1.10)", "c", "1.20 (0.90 to 1.61)"],
            "Difference": ["+8", "-4", "0.25"],
            "Note": ["words", "more words", "2 (of 3)"],
        }
    )
    write_workbook([PublishedTable("t", 1, "Planted", frame, (), None)], tmp_path / "t.xlsx", "t", [])
    ws = load_workbook(tmp_path / "t.xlsx")["T01 Planted"]
    header = [c.value for c in ws[3]]
    assert header == [
        "Measure",
        "Children",
        "Share",
        "Cost",
        "Ratio (95% CI)",
        "Ratio (95% CI): low",
        "Ratio (95% CI): high",
        "Difference",
        "Note",
    ]
    row = {h: ws.cell(row=4, column=j + 1) for j, h in enumerate(header)}
    assert row["Children"].value == 1234 and row["Children"].number_format == "#,##0"
    assert abs(row["Share"].value - 0.437) < 1e-12 and row["Share"].number_format.startswith("0.0%")
    assert row["Cost"].value == -40084 and row["Cost"].number_format.startswith("£#,##0")
    assert (row["Ratio (95% CI)"].value, row["Ratio (95% CI): low"].value, row["Ratio (95% CI): high"].value) == (0.86, 0.67, 1.10)
    assert row["Difference"].value == 8 and row["Difference"].number_format.startswith("+")
    assert [ws.cell(row=5, column=j).value for j in (2, 3, 5, 6, 7)] == ["c"] * 5  # suppressed stays suppressed
    assert ws.cell(row=6, column=9).value == "2 (of 3)" and ws.freeze_panes == "B4"


def test_a_non_significant_reoffending_result_is_not_read_as_evidence_of_an_effect():
    """Issue 15: the JDL-style sentence for a non-significant difference read as a positive finding ('provides
    evidence that ... may decrease ... or may increase')."""
    from types import SimpleNamespace

    from evaluation.reoffending import Difference
    from evaluation.report.sections.reoffending import can_and_cannot_say

    for lo, hi, significant in ((-0.15, 0.08, False), (-0.20, -0.05, True)):
        d = Difference(90, 300, 0.27, 0.31, (lo + hi) / 2, lo, hi, 0.5 if not significant else 0.01)
        text = can_and_cannot_say(SimpleNamespace(measures={"proven": SimpleNamespace(rate=d)}))
        assert ("provides evidence" in text) is significant
        if not significant:
            assert "not statistically significant" in text and "15 fewer to 8 more" in text


def test_the_decision_reading_never_claims_more_than_the_numbers():
    """Issue 15: 'what the numbers support' follows the chance that renewing beats stopping and the evidence grade;
    only both together support renewing, and a low chance never reads as support."""
    from types import SimpleNamespace

    from evaluation.report.sections.decision import decision_reading

    def reading(chance, grade, vfm=True):
        options = [{"name": "Stop (do nothing)", "cost": 0.0, "prob_better_than_nothing": None, "npv": 0.0}] + [
            {"name": "Renew at the offered budget", "cost": 1.0, "prob_better_than_nothing": chance, "npv": chance - 0.5}
        ]
        v = SimpleNamespace(renewal_options=options, evidence={"grade": grade}, prob_bcr_above_1=chance, npv=chance - 0.5) if vfm else None
        return decision_reading(SimpleNamespace(value_for_money=v, programme_costs=None))

    assert "the numbers support renewing" in reading(0.99, "strong")
    for chance, grade in ((0.99, "moderate"), (0.99, "weak"), (0.60, "strong"), (0.10, "weak")):
        text = reading(chance, grade)
        assert "support renewing" not in text and "renewing at the offered budget beats stopping" in text
        assert ("do not show that renewing would be worth its cost" in text) is (chance < 0.95)
    assert "cannot say whether renewing would be worth its cost" in reading(0.5, "weak", vfm=False)
    # where the renewal's figures are not published, the chance read is the evaluated period's, not the renewal's
    from evaluation.disclosure import DisclosureLog, DisclosurePolicy

    v = SimpleNamespace(
        renewal_options=[{"name": "Renew at the offered budget", "cost": 1.0, "prob_better_than_nothing": 0.99, "npv": 5.0}],
        evidence={"grade": "weak"},
        prob_bcr_above_1=0.40,
        npv=-1.0,
    )
    hidden = decision_reading(SimpleNamespace(value_for_money=v, programme_costs=None), DisclosureLog(DisclosurePolicy()))
    assert "the programme's benefits exceeded its costs is only 40%" in hidden and "99%" not in hidden
    assert "the central estimates point to costs above benefits" in hidden  # a net cost is said, not just 'not shown'
    assert "beats stopping is under 1%" in reading(0.001, "weak") and "over 99%" in reading(0.999, "strong")  # never '0%' or '100%'
    assert "cannot rule out the reverse" not in reading(0.001, "weak")  # under 1% is not 'cannot rule out'


def test_evidence_rating_follows_its_stated_rules():
    """Issue 15: a stated evidence rating: Maryland level of the design, and out of 5 with one step off for each of
    sample size, attrition, balance and pre-trends that falls short (never below 1; 0 without a comparison)."""
    from types import SimpleNamespace

    from evaluation.report.sections.summary import evidence_rating

    def rating(matched=300, engaged=310, above=0, verdict="parallel_supported", mdd=0.10, comparison=True):
        cm = SimpleNamespace(
            to_results=lambda: {
                "n_treated_matched": matched,
                "covariates_above_threshold_after": above,
                "max_abs_std_mean_diff_after": 0.05,
            },
            threshold=0.1,
        )
        ba = SimpleNamespace(
            recorded=["offending"], results={"offending": {12: None}}, get=lambda o, w: SimpleNamespace(placebo_check={"verdict": verdict})
        )
        reo = SimpleNamespace(measures={"proven": SimpleNamespace(min_detectable_difference=mdd)})
        f = SimpleNamespace(
            matching=cm if comparison else None, reoffending=reo, engagement=SimpleNamespace(n_children=engaged), before_after=ba
        )
        return evidence_rating(f)

    assert rating()["rating"] == 3 and rating()["sms_level"] == 3 and len(rating()["criteria"]) == 5
    assert rating(mdd=0.2)["rating"] == 2  # too small to detect a plausible effect
    assert rating(matched=200)["rating"] == 2  # a third of the children engaged are not in the comparison
    assert rating(above=2)["rating"] == 2
    assert rating(verdict="differing_trends")["rating"] == 2 and rating(verdict="not_run")["rating"] == 2
    assert rating(verdict="inconclusive")["rating"] == 2  # similar trends, the design's assumption, not shown
    assert rating(mdd=0.3, matched=100, above=1, verdict="differing_trends")["rating"] == 1  # never below 1
    assert rating(comparison=False)["rating"] == 0


def test_the_logic_model_marks_what_this_report_measures():
    """Issue 15: the theory of change from inputs to impacts, each box marked measured or not by what this run could
    estimate: an offences-only extract with no reoffending analysis measures less offending and nothing else of the
    outcomes; long-run impacts are never measured here."""
    from types import SimpleNamespace

    import pandas as pd

    from evaluation.report import charts
    from evaluation.report.sections.context import LOGIC_STAGES, logic_model

    eng = SimpleNamespace(
        pathways=pd.DataFrame({"pathway": ["Sport"], "pathway_key": ["sport"], "total": [3]}),
        funnel=pd.DataFrame({"stage_key": ["detained", "approached"]}),
        referrals=None,
        outcomes_shown=["intervention_arranged", "declined"],
        children=pd.DataFrame({"followup_date": [pd.NaT]}),
    )
    f = SimpleNamespace(
        config=SimpleNamespace(
            programme=SimpleNamespace(suites=("Wood Green",)),
            engagement=SimpleNamespace(followup_within_hours=48),
            report=SimpleNamespace(logic_model={"outcomes": ("Back in education",)}),
        ),
        engagement=eng,
        before_after=SimpleNamespace(recorded=["offending"]),
        reoffending=None,
        value_for_money=None,
        programme_costs=object(),
    )
    model = dict(logic_model(f))
    assert tuple(model) == LOGIC_STAGES
    outcomes = dict(model["Outcomes"])
    assert outcomes["Less offending"] and not outcomes["Fewer victimisations"] and not outcomes["Less proven reoffending"]
    assert not any(dict(model["Impacts"]).values())  # no value for money here, and the long run never
    assert dict(model["Activities"])["Arrange diversionary pathways (1 kind recorded)"]
    assert not dict(model["Activities"])["Follow-up within 48 hours of release"]
    fig, alt = charts.logic_model(list(model.items()))
    assert "Less offending (measured here)" in alt and "Fewer victimisations (not measured here)" in alt
    # the programme's own boxes from [report.logic_model]: printed as written, never marked measured
    (added,) = [(text, measured) for text, measured in model["Outcomes"] if "Back in education" in text]
    assert added[1] is False
