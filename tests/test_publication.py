"""The publication model and its intruder audit: known attacks are found, planted leaks are found, and the
report's own suppression passes the audit on small cohorts it did not shape (tests/simulation/generator.py)."""

from __future__ import annotations

import pandas as pd
import pytest

from evaluation import disclosure as sdc
from evaluation.disclosure import DisclosureLog, DisclosurePolicy
from evaluation.publication import DisclosureAuditError, Publication

POLICY = DisclosurePolicy(threshold=5, min_rate_base=20)
MONTHS = ["2020-10", "2020-11", "2020-12"]


def _outcome_table() -> pd.DataFrame:
    """Children by outcome and month of first contact, shaped like the demo's Table 5 in the round that leaked:
    October's 'arranged' is 2 and December's 13 is suppressed beside it (secondary)."""
    t = pd.DataFrame(
        {"2020-10": [2, 6, 3, 9], "2020-11": [15, 7, 8, 10], "2020-12": [13, 5, 2, 2]},
        index=["intervention_arranged", "awaiting_intervention", "declined", "out_of_area_referral"],
    )
    t["Total"] = t.sum(axis=1)
    t.loc["All"] = t.sum()
    return t


def _publish_outcomes(log: DisclosureLog) -> pd.DataFrame:
    t = _outcome_table()
    return sdc.apply(
        t,
        sdc.table_lines(t, total_row="All", total_col="Total"),
        log,
        "engagement_outcome",
        quantity=lambda r, m: f"engaged[{m}]" if r == "All" else f"engaged[{m}|outcome={r}]",
    )


def test_the_december_attack_is_found():
    """Fixture of the leak reported in issue 11: the by-month rates table published December's arranged rate
    with its numerator and base ('65% (13/20)') while the outcome table hid December's 13, so October's 2
    followed from the row total."""
    log = DisclosureLog(POLICY)
    shown = _publish_outcomes(log)
    assert shown.at["intervention_arranged", "2020-10"] == sdc.SYMBOL
    assert shown.at["intervention_arranged", "2020-12"] == sdc.SYMBOL  # the secondary that protected October
    pub = log.pub
    # What the old table did: '65% (13/20)', numerator and base as exact counts beside the rate.
    num = {"engaged[2020-12|outcome=intervention_arranged]": 1.0}
    den = {"engaged[2020-12]": 1.0, "engaged[2020-12|outcome=out_of_area_referral]": -1.0}
    pub.derived("rate_numerator", num, "engagement_rates_by_month")
    pub.count("rate_numerator", 13, "engagement_rates_by_month", "Intervention arranged", "2020-12", "shown")
    pub.rate(num, den, 13 / 20, 0, "engagement_rates_by_month")
    exposures = pub.audit()
    exposed = {e.quantity for e in exposures}
    assert "engaged[2020-10|outcome=intervention_arranged]" in exposed
    message = str(DisclosureAuditError(exposures))
    assert "engagement_outcome" in message and "2020-10" in message and "engagement_rates_by_month" in message


def test_the_rates_rule_now_refuses_that_rate_and_the_audit_passes():
    log = DisclosureLog(POLICY)
    _publish_outcomes(log)
    num = {"engaged[2020-12|outcome=intervention_arranged]": 1.0}
    den = {"engaged[2020-12]": 1.0, "engaged[2020-12|outcome=out_of_area_referral]": -1.0}
    assert not log.pub.publishable_rate(num, den, 13, 20)  # its numerator is hidden in the outcome table
    assert log.pub.audit() == []


def test_a_rounded_rate_alone_can_pin_a_small_count():
    """No counts beside it: '10%' on a published base of 20 still means 2 (1.9 to 2.1)."""
    pub = Publication(POLICY)
    pub.count("base", 20, "t", "base", "n", "shown")
    pub.count("k", 2, "t", "k", "n", "primary")
    pub.rate({"k": 1.0}, {"base": 1.0}, 0.10, 0, "t")
    assert [e.quantity for e in pub.audit()] == ["k"]


def test_a_cost_per_child_beside_the_total_cost_reveals_the_count():
    """The cost-per-started leak: £17,130.58 per child on a published total of £51,391.74 means 3 children."""
    pub = Publication(POLICY)
    pub.count("started", 3, "costs_per_outcome", "Intervention started", "children", "primary")
    pub.ratio(51391.74, {"started": 1.0}, 17130.58, 2, "results.json costs")
    (e,) = pub.audit()
    assert e.quantity == "started" and e.high - e.low < 0.01 and "results.json costs" in e.via


def test_a_line_with_one_hidden_cell_is_found():
    pub = Publication(POLICY)
    for q, v, st in (("a", 3, "primary"), ("b", 40, "shown"), ("total", 43, "shown")):
        pub.count(q, v, "t", q, "c", st)
    pub.relation("total", ["a", "b"], "t")
    assert [e.quantity for e in pub.audit()] == ["a"]


def test_a_funnel_stage_one_child_short_of_the_one_before_is_found():
    pub = Publication(POLICY)
    pub.count("arranged", 30, "funnel", "arranged", "children", "shown")
    pub.count("started", 29, "funnel", "started", "children", "shown")
    pub.derived("gap", {"arranged": 1.0, "started": -1.0}, "funnel")
    pub.count("gap", 1, "funnel", "started", "difference", "primary")
    assert [e.quantity for e in pub.audit()] == ["gap"]


def test_small_counts_in_words_are_bounds_not_values():
    pub = Publication(POLICY)
    assert pub.words("x", 3, "summary") == "fewer than 5"
    assert pub.words("y", 12, "summary") == "12"
    pub.count("total", 15, "t", "total", "c", "shown")
    pub.relation("total", ["x", "y"], "t")
    assert [e.quantity for e in pub.audit()] == ["x"]  # 15 - 12 = 3


def test_a_count_hidden_in_one_table_is_hidden_in_the_next():
    log = DisclosureLog(POLICY)
    _publish_outcomes(log)
    t = pd.DataFrame({"Total": [13, 5]}, index=["intervention_arranged", "awaiting_intervention"])
    shown = sdc.apply(t, [], log, "another", quantity=lambda r, c: f"engaged[2020-12|outcome={r}]")
    assert shown.at["intervention_arranged", "Total"] == sdc.SYMBOL  # December's arranged, hidden in the outcome table


def test_hidden_cells_of_a_line_add_up_to_the_threshold():
    """Two hidden cells of 1 and 1 beside a shown total would be known to be 0-2 each: a third is hidden."""
    t = pd.DataFrame({"n": [1, 1, 9, 14, 25]}, index=["a", "b", "c", "d", "total"])
    primary, secondary = sdc.suppress(t, [[(r, "n") for r in t.index]], POLICY)
    hidden = primary.n | secondary.n
    assert hidden.sum() == 3 and hidden["c"] and t.n[hidden].sum() >= 5


def test_disabled_policy_publishes_everything_and_audits_nothing():
    pub = Publication(DisclosurePolicy(enabled=False))
    pub.count("k", 2, "t", "k", "n", "primary")
    assert pub.audit() == [] and not pub.hidden("k")


def test_results_figures_must_have_passed_control():
    pub = Publication(POLICY)
    with pytest.raises(KeyError, match="never registered"):
        pub.published("engaged[Total]")


def test_a_table_no_pattern_can_protect_is_withheld_with_a_statement_not_a_crash():
    """Earlier tables show P = 12 and Z = 5, and hide a = 3 and b = 7 beside their total 10. A new table whose
    rows are b and Z with P as their total pins b = 7 (so a = 3) whatever it hides: it is withheld."""
    log = DisclosureLog(POLICY)
    pub = log.pub
    pub.count("a", 3, "t1", "a", "n", "primary")
    pub.count("b", 7, "t1", "b", "n", "secondary")
    pub.count("ab", 10, "t1", "total", "n", "shown")
    pub.relation("ab", ["a", "b"], "t1")
    pub.count("P", 12, "t0", "P", "n", "shown")
    pub.count("Z", 5, "t0", "Z", "n", "shown")
    assert pub.audit() == []
    t = pd.DataFrame({"n": [7, 5, 12]}, index=["b", "Z", "P"])
    shown = sdc.apply(t, [[("b", "n"), ("Z", "n"), ("P", "n")]], log, "t2", quantity=lambda r, c: r)
    assert (shown.n == sdc.SYMBOL).all()
    assert "t2" in pub.withheld and "worked out" in pub.withheld["t2"]
    assert pub.audit() == []  # the table's margin was never registered
    assert log.frame().query("table == 't2'").reason.str.contains("withheld").any()
    with pytest.raises(sdc.DisclosureControlError, match="t2"):
        sdc.apply(
            t, [[("b", "n"), ("Z", "n"), ("P", "n")]], DisclosureLog(POLICY, publication=pub), "t2", quantity=lambda r, c: r, withhold=False
        )


def test_the_report_prints_a_statement_in_place_of_a_withheld_table():
    from evaluation.report.session import ReportSession

    session = ReportSession.__new__(ReportSession)  # only the publishing half: no data needed
    from evaluation.report.words import Vocabulary

    session.sdc, session.tables, session.words = DisclosureLog(POLICY), [], Vocabulary()
    session.sdc.pub.withheld["t2"] = sdc.WITHHELD_REASON
    session.table("t2", pd.DataFrame({"n": [sdc.SYMBOL] * 3}), "A withheld table", notes=["a note"], source="synthetic")
    (published,) = session.tables
    assert list(published.frame.columns) == ["Not published"] and published.notes == ()
    assert published.frame.iat[0, 0].startswith("This table is not published: even with every cell hidden")


def test_a_figure_that_is_a_multiple_of_a_hidden_count_is_found():
    """The renewal's 'children a month' over a phase of known length is n x 30.4 / days: it pins n."""
    pub = Publication(POLICY)
    pub.count("phase[Renewal]:engaged", 3, "phases", "Renewal", "people", "primary")
    assert pub.audit() == []
    pub.linear({"phase[Renewal]:engaged": 30.4375 / 61}, 3 * 30.4375 / 61, 1, "renewal")
    (exposed,) = pub.audit()
    assert exposed.quantity == "phase[Renewal]:engaged" and exposed.high - exposed.low < 1 and exposed.via == ("renewal",)
