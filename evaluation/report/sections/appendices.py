"""Appendices: methods (what was done in this run, with references), data quality (attrition flow,
missingness, validation summary) and the glossary."""

from __future__ import annotations

import math
from typing import Mapping

import pandas as pd

from ... import disclosure as sdc
from ...disclosure import DisclosureLog
from ...loading import EvaluationData
from ...schema import TABLES, table_schema
from ..formatting import count, pct
from .matching import specification_table
from .summary import Findings

#: References for the methods table. Each is a published source for the method named.
REFERENCES = {
    "wilson": "Wilson (1927), J. Am. Stat. Assoc. 22: 209-212; Brown, Cai & DasGupta (2001), Stat. Sci. 16: 101-133",
    "matchit": "Ho, Imai, King & Stuart (2011), MatchIt, J. Stat. Softw. 42(8), https://doi.org/10.18637/jss.v042.i08",
    "stuart": "Stuart (2010), Matching methods for causal inference, Stat. Sci. 25(1), https://doi.org/10.1214/09-STS313",
    "sandwich": "Zeileis, Köll & Graham (2020), clustered covariances in R, J. Stat. Softw. 95(1), https://doi.org/10.18637/jss.v095.i01",
    "daw": "Daw & Hatfield (2018), Health Serv. Res. 53(6), https://pmc.ncbi.nlm.nih.gov/articles/PMC6232434",
    "moj": "Ministry of Justice, Proven reoffending statistics: April to June 2023, https://www.gov.uk/government/statistics/"
    "proven-reoffending-statistics-april-to-june-2023/proven-reoffending-statistics-april-to-june-2023",
    "jdl": "Office for Statistics Regulation, Compliance review of Justice Data Lab statistics (2025), "
    "https://osr.statisticsauthority.gov.uk/publication/compliance-review-of-justice-data-lab-statistics/pages/2",
    "lifelines": "Davidson-Pilon (2019), lifelines, J. Open Source Softw. 4(40): 1317, https://doi.org/10.21105/joss.01317",
    "greenbook": "HM Treasury, The Green Book, https://www.gov.uk/government/publications/the-green-book-appraisal-and-evaluation-in-central-government",
    "mojsuppression": "MoJ mojSuppression (primary and secondary suppression), https://github.com/moj-analytical-services/mojSuppression",
    "target_trial": "Hernán & Robins (2016), Using big data to emulate a target trial, Am. J. Epidemiol. 183(8): 758-764, "
    "https://doi.org/10.1093/aje/kwv254",
    "risk_set": "Li, Propert & Rosenbaum (2001), Balanced risk set matching, J. Am. Stat. Assoc. 96(455): 870-882, "
    "https://doi.org/10.1198/016214501753208573",
    "ipcw": "Robins & Finkelstein (2000), Correcting for noncompliance and dependent censoring in an AIDS clinical trial with "
    "inverse probability of censoring weighted (IPCW) log-rank tests, Biometrics 56(3): 779-788, "
    "https://doi.org/10.1111/j.0006-341X.2000.00779.x",
    "evalue": "VanderWeele & Ding (2017), Sensitivity analysis in observational research: introducing the E-value, Ann. Intern. Med. "
    "167(4): 268-274, https://doi.org/10.7326/M16-2607",
    "rosenbaum": "Rosenbaum (2002), Observational Studies, 2nd ed., Springer, ch. 4, https://doi.org/10.1007/978-1-4757-3692-2",
    "zou": "Zou (2004), A modified Poisson regression approach to prospective studies with binary data, Am. J. Epidemiol. 159(7): "
    "702-706, https://doi.org/10.1093/aje/kwh090",
    "cameron_miller": "Cameron & Miller (2015), A practitioner's guide to cluster-robust inference, J. Human Resources 50(2): "
    "317-372, https://doi.org/10.3368/jhr.50.2.317",
}


def methods_table(f: Findings, log: DisclosureLog) -> pd.DataFrame:
    """One row per step: what was done in this run (settings from the config) and its reference."""
    cfg = f.config
    p, c = cfg.programme, cfg.comparison
    designs = []
    if c.suites:
        designs.append(f"at {', '.join(c.suites)} in the same period")
    if c.pre_period_start:
        designs.append(f"at {', '.join(p.suites)} from {c.pre_period_start:%-d %B %Y} to {c.pre_period_end:%-d %B %Y}")
    areas = f", living in {', '.join(c.residence_areas)} (applied to both groups)" if c.residence_areas is not None else ""
    pool = (
        f"Comparison: children whose first eligible detention in a window was {' or '.join(designs)}. A comparison child "
        "approached later keeps that index and is censored at the first contact."
        if designs
        else "Comparison pool: none (the config names no comparison suites or pre-period)."
    )
    rows = [
        (
            "Cohort (target-trial emulation)",
            f"Eligibility is decided at the index date, by one rule for both groups: a custody detention at which the child was aged "
            f"{p.age_min}–{p.age_max}{areas} and had not yet been approached; each child enters at their first such detention in "
            f"each calendar window of the design. Programme group: children whose first eligible detention between "
            f"{p.start:%-d %B %Y} and {p.end:%-d %B %Y} was at {', '.join(p.suites)} and who were approached there (intention to "
            "treat; a child approached only at a later detention is left out and counted). " + pool,
            REFERENCES["target_trial"],
        ),
        (
            "Engagement rates",
            "Shares of children with Wilson score 95% confidence intervals; the base leaves out children referred "
            "to services in their home area.",
            REFERENCES["wilson"],
        ),
    ]
    cm = f.matching
    if cm is not None:
        spec = specification_table(cm).set_index("Setting").Value
        settings = "; ".join(
            f"{k.lower()}: {spec[k]}" for k in ("Distance", "Ratio", "Caliper", "Replacement", "Matching order") if k in spec
        )
        design = cfg.matching.comparison_design
        why = (
            'Risk-set matching (comparison_design = "risk_set"): each programme child was matched only with children eligible in '
            f"the same calendar {cfg.matching.risk_set_interval}, so that practice, policing and season are the same for both. "
            if design == "risk_set"
            else "Pooled design (the default): every comparison child's first eligible detention, from every comparison source, matched "
            'on characteristics; risk-set matching within calendar intervals is available (comparison_design = "risk_set") '
            "where concurrent comparison suites are large enough to match within each interval. "
        )
        rows.append(
            (
                "Matching",
                why + 'Greedy nearest-neighbour matching with R\'s MatchIt semantics (matchit(method = "nearest")), '
                f"weights for the effect on the programme group (ATT). {settings[:1].upper() + settings[1:]}.",
                REFERENCES["matchit"] + ("; " + REFERENCES["risk_set"] if design == "risk_set" else ""),
            )
        )
        rows.append(
            (
                "Balance",
                f"Standardised mean differences with the programme group's standard deviation before matching; "
                f"|SMD| below {cm.threshold} counts as balanced.",
                REFERENCES["stuart"],
            )
        )
    ba = f.before_after
    if ba is not None:
        windows = ", ".join(str(w) for w in sorted(ba.results["offending"]))
        rows.append(
            (
                "Before and after",
                f"Events counted in {windows}-month windows before and after the index day (the index arrest "
                "excluded); difference-in-differences by weighted Poisson regression with a log-exposure offset, standard errors "
                "clustered on the matched set joined with the child, intervals from Student's t with (clusters - 1) degrees of "
                "freedom. Main estimate on the matching "
                f"'{ba.primary.replace('_', ' ')}' ([outcomes] did_matching), with the other matchings and the estimate without "
                "censoring beside it. Placebo test on two pre-periods, read as supporting similar trends only when its 90% CI lies "
                f"within ±{100 * (cfg.outcomes.placebo_equivalence_margin - 1):.0f}% and, beside a statistically significant effect, it "
                "is under half that effect.",
                REFERENCES["sandwich"] + "; " + REFERENCES["daw"] + "; " + REFERENCES["cameron_miller"],
            )
        )
        if ba.censoring_method:
            rows.append(("Comparison children approached later", ba.censoring_method, REFERENCES["ipcw"]))
    reo = f.reoffending
    if reo is not None:
        rows.append(
            (
                "Reoffending",
                f"Proven reoffending from the index arrest (MoJ counting rules): an offence in the "
                f"{reo.follow_up_months} months after the index arrest proven by caution or conviction within that time or a "
                f"further {reo.waiting_months} months; also counting out-of-court outcomes; and from the first proven disposal "
                "(JDL-comparable). Re-arrest from custody records. Differences per 100 children from a weighted linear model with "
                "clustered errors, as the Justice Data Lab reports them; risk ratios from a weighted Poisson model.",
                REFERENCES["moj"] + "; " + REFERENCES["jdl"] + "; " + REFERENCES["zou"],
            )
        )
        rows.append(
            (
                "Time to reoffence",
                "Kaplan-Meier curves, log-rank test and a weighted Cox model with robust errors clustered on "
                f"the matched set. One rule for every child: an offence counts if proven within {reo.waiting_months} months of "
                f"being committed; follow-up ends after {reo.follow_up_months} months or {reo.waiting_months} months before the "
                "extract date.",
                REFERENCES["lifelines"],
            )
        )
        rows.append(
            (
                "Power",
                "Minimum detectable difference between two proportions (80% power, two-sided 5% level), normal "
                "approximation, with the comparison group's effective sample size.",
                "",
            )
        )
    if ba is not None or reo is not None:
        rows.append(
            (
                "Hidden bias",
                "E-values for every headline ratio and its confidence limit nearer 1 (a difference in proportions "
                "as a risk ratio); Rosenbaum's Gamma for the Wilcoxon signed-rank test on matched-set differences (one-sided "
                "2.5%), for results that are statistically significant.",
                REFERENCES["evalue"] + "; " + REFERENCES["rosenbaum"],
            )
        )
    v = f.value_for_money
    if v is not None:
        cc = cfg.costs
        rows.append(
            (
                "Costs",
                "Cost lines apportioned by day to the period evaluated; cost per child over the same days as the children counted.",
                "",
            )
        )
        rows.append(
            (
                "Value for money",
                f"Events averted valued at published unit costs uprated to {v.price_year} prices with the GDP deflator; benefits over "
                f"{cc.horizon_years} year(s), persistence {cc.persistence:g}, discounted at {100 * cc.discount_rate:g}% a year; "
                f"attribution {cc.attribution:g}; optimism bias {100 * cc.optimism_bias_costs:g}% on costs and "
                f"{100 * cc.optimism_bias_benefits:g}% on benefits; {cc.monte_carlo_draws:,} Monte Carlo draws (seed "
                f"{cfg.report.seed}), the three effects drawn jointly with the covariance of their estimates.",
                REFERENCES["greenbook"],
            )
        )
    pol = log.policy
    rows.append(
        (
            "Disclosure control",
            f"Counts of 1 to {pol.threshold - 1} {pol.people} suppressed, with secondary suppression so none can be worked out from "
            f"totals or from any other published figure (an intruder audit checks every build); rates on fewer than "
            f"{pol.min_rate_base} {pol.people} not shown; no identifiers or dates of individual events. One exception: the sizes of "
            "the groups each estimate rests on (matched, analysed, and the numbers left out between them) are published exactly, "
            "as every estimate must state its numbers, so a number left out can be small."
            if pol.enabled
            else "Off: internal quality-assurance build, not for publication.",
            REFERENCES["mojsuppression"],
        )
    )
    return pd.DataFrame(rows, columns=["Step", "What was done", "Reference"])


def attrition_flow(attrition_shown: pd.DataFrame, sizes_shown: pd.DataFrame | None) -> list[tuple[str, str]]:
    """The boxes of the attrition flow chart as (label, shown count) pairs, from tables already
    through disclosure control (so the chart can reveal nothing the tables do not)."""
    boxes = []
    # read by position: the published headers are in the programme's vocabulary ("Children" or "People")
    attrition_shown = attrition_shown.set_axis(["Step", "Reason", "Children", "Detentions"], axis=1)
    for r in attrition_shown.itertuples():
        reason = r.Reason.removesuffix(f": {r.Step.lower()}")
        boxes.append((r.Step if reason in ("—", "") else f"{r.Step}: {reason}", r.Children))
    # the whole extract, then who left it, then the groups that remain
    boxes = boxes[:1] + [b for b in boxes[1:] if b[0].startswith("Left out")] + [b for b in boxes[1:] if not b[0].startswith("Left out")]
    if sizes_shown is not None:
        sizes_shown = sizes_shown.set_axis(["Sample", "Programme", "Comparison"], axis=1)
        matched = sizes_shown[sizes_shown.Sample == "Matched"]
        if len(matched):
            boxes.append(("Programme children matched", matched.Programme.iloc[0]))
            boxes.append(("Comparison children matched", matched.Comparison.iloc[0]))
    return boxes


def input_count(log: DisclosureLog, table: str, what: str, n, where: str, row: str) -> str:
    """A count of an input table's records or people (for the data appendices): a small one is a small group
    of children's records, so it is hidden like any other and registered in the publication model."""
    if n is None or (isinstance(n, float) and math.isnan(n)):
        return "–"
    if table in ("costs", "unit_costs"):  # budget lines and unit costs are not people: their rows are shown as they are
        return count(int(n))
    q = f"input[{table}]:{what}"
    small = log.policy.small(int(n))
    if small:
        log.pub.count(q, int(n), where, row, what, "primary")
    elif not log.pub.count_if_safe(q, int(n), where, row, what, "secondary"):
        log.add(where, row, what, "secondary: would let a hidden count be worked out")
        return sdc.SYMBOL
    if small:
        log.add(where, row, what, f"primary: fewer than {log.policy.threshold} records")
        return sdc.SYMBOL
    return count(int(n))


def missingness_table(data: EvaluationData, log: DisclosureLog, links: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Missing values per column of every table supplied (columns the contract requires are never missing).

    Each missing count is registered in the publication model with `records = missing + present`. The
    programme log's present counts are often the very counts the engagement tables and the funnel publish
    (e.g. contacts with an intervention start date = children whose intervention started): `links` maps
    "table.column" to the count it may restate (sections.log_column_counts), and wherever the two are
    equal the model assumes a reader knows they are the same (the strongest reading); a missing count that
    would then undo a suppression is hidden too."""
    rows = []
    pub = log.pub
    for name in TABLES:
        if not data.supplied(name) or name not in data.files:
            continue
        schema = table_schema(name)
        n, empty = data.missing_values(name)
        records = input_count(log, name, "rows", n, "data_quality_missing", name)
        for fld in schema.fields:
            if fld.name not in empty or fld.required or fld.default is not None or fld.name == "age_at_arrival":
                continue  # never missing: required, filled with a default, or (an age) computed from the date of birth
            missing = empty[fld.name]
            q_missing, q_present = f"input[{name}.{fld.name}]:missing", f"input[{name}.{fld.name}]:present"
            pub.count(q_present, n - missing, "data_quality_missing", f"{name}.{fld.name}", "present", "implicit")
            pub.relation(f"input[{name}]:rows", [q_missing, q_present], "data_quality_missing")
            linked = (links or {}).get(f"{name}.{fld.name}")
            if linked is not None and pub.values.get(linked) == n - missing:
                pub.derived(q_present, {linked: 1.0}, "data_quality_missing")
            row = f"{name}.{fld.name}"
            if log.policy.small(missing) or log.policy.small(n - missing):
                pub.count(q_missing, missing, "data_quality_missing", row, "missing", "primary")
                log.add("data_quality_missing", row, "missing", f"primary: fewer than {log.policy.threshold} records")
                shown = share = sdc.SYMBOL
            elif records == sdc.SYMBOL or not pub.count_if_safe(q_missing, missing, "data_quality_missing", row, "missing", "secondary"):
                log.add("data_quality_missing", row, "missing", "secondary: would let a hidden count be worked out")
                shown = share = sdc.SYMBOL
            else:
                shown, share = count(missing), pct(missing / n, 1) if n else "–"
                if n:
                    pub.rate({q_missing: 1.0}, {f"input[{name}]:rows": 1.0}, missing / n, 1, "data_quality_missing")
            rows.append({"Table": name, "Column": fld.name, "Records": records, "Missing": shown, "Share missing": share})
    return pd.DataFrame(rows, columns=["Table", "Column", "Records", "Missing", "Share missing"])


def validation_table(data: EvaluationData, log: DisclosureLog) -> pd.DataFrame:
    """What was checked on each table and what it found (errors stop the build, so only warnings remain)."""
    warn = pd.Series([w.file.split(".")[0] if w.file else "" for w in data.warnings], dtype=object)
    rules = pd.Series([w.rule for w in data.warnings], dtype=object)
    rows = []
    for name in TABLES:
        if not data.supplied(name) or name not in data.files:  # not supplied (or not needed by the design)
            rows.append(
                {
                    "Table": name,
                    "Records": "–",
                    "Columns checked": "–",
                    "Cross-field rules": "(not supplied)",
                    "Errors": "–",
                    "Warnings": "–",
                }
            )
            continue
        schema = table_schema(name)
        mine = rules[warn == name]
        parts = []
        for rule_id, n in mine.value_counts().sort_index().items():
            if log.policy.small(int(n)):
                log.add("data_quality_validation", name, rule_id, f"primary: fewer than {log.policy.threshold} records")
            parts.append(f"{log.count_text(int(n))} {rule_id}")
        rows.append(
            {
                "Table": name,
                "Records": input_count(log, name, "rows", data.files[name].rows, "data_quality_validation", name),
                "Columns checked": str(len(schema.fields)),
                "Cross-field rules": ", ".join(r for r, _ in schema.rules) or "none",
                "Errors": "0",
                "Warnings": "; ".join(parts) or "0",
            }
        )
    return pd.DataFrame(rows)


GLOSSARY: list[tuple[str, str]] = [
    (
        "ATT",
        "Average treatment effect on the treated: the programme's effect on the children it reached, the quantity matching estimates here.",
    ),
    ("Attrition", "Children or records that leave the analysis at a step, with the reason."),
    ("Benefit-cost ratio (BCR)", "The value of the harm averted divided by the programme's cost; above 1 means benefits exceed costs."),
    ("Caliper", "The largest difference in propensity score allowed between matched children."),
    (
        "Censoring at a later approach",
        "A comparison child approached by the programme after their index arrest is followed only until "
        "that approach; similar children who could have been approached but were not count for them (inverse probability of censoring weights).",
    ),
    (
        "Confidence interval (95% CI)",
        "The range of values compatible with the data; a different sample would give a somewhat different range.",
    ),
    ("Difference-in-differences (DiD)", "The programme group's change from before to after, minus the comparison group's change."),
    ("Disclosure control", "Hiding small numbers (shown as 'c') so no child can be identified from a published table."),
    (
        "E-value",
        "How strongly an unmeasured factor would have to be linked both to being in the programme group and to the outcome "
        "(as a risk ratio, over and above what was matched on) to explain an estimate away; 1 means no such factor is needed.",
    ),
    ("Effective sample size", "The number of equally weighted children that carries the same information as a weighted group."),
    (
        "Eligible at the index date",
        "Whether a child could be in the analysis is decided at the arrest, with what was known then, by one "
        "rule for both groups; nothing that happened afterwards decides it (target-trial emulation).",
    ),
    ("Intention to treat", "Counting every child approached, whether or not they went on to take part."),
    (
        "Kaplan-Meier curve",
        "The share of children without the event at each point of the follow-up, allowing for children followed for less time.",
    ),
    ("Matching", "Choosing, for each programme child, comparison children who were similar at the time of arrest."),
    ("Minimum detectable difference", "The smallest true effect the study had an 80% chance of detecting at the 5% level."),
    ("Net present value (NPV)", "Benefits minus costs, with future values discounted to today's."),
    (
        "Outcome 22",
        "A police outcome recording that diversionary, educational or intervention activity was undertaken and no further action taken.",
    ),
    ("Placebo test", "The same comparison run on two periods before the programme, where no effect should appear."),
    ("Propensity score", "A child's estimated chance of being in the programme group, given what was recorded at arrest."),
    (
        "Proven reoffending from the index arrest",
        "An offence committed within a year of the arrest that leads to a conviction or "
        "caution within that year or a further six months (the MoJ's counting rules, starting at the arrest).",
    ),
    (
        "Proven reoffending from the first proven disposal",
        "The same, starting at the first caution or conviction after the arrest, as "
        "the Justice Data Lab does; children without one are left out.",
    ),
    (
        "Rate ratio / ratio of rate ratios",
        "How many times as many events; a ratio of rate ratios of 0.80 means 20% fewer events than expected without the programme.",
    ),
    (
        "Rosenbaum's Gamma",
        "How much hidden bias within matched sets (one child up to Gamma times as likely as another to be the "
        "programme child) it would take before a statistically significant result stopped being significant.",
    ),
    (
        "Regression to the mean",
        "Children picked up at a peak of offending tend to offend less afterwards whatever is done, so before/after comparisons flatter a programme.",
    ),
    (
        "Standardised mean difference (SMD)",
        "The difference between the groups' means in standard deviations; below 0.1 is usually taken as balanced.",
    ),
    (
        "Statistically significant",
        "Unlikely to be a chance difference (the 95% CI excludes no effect); not significant is not the same as no effect.",
    ),
    (
        "Cashable",
        "A saving an agency could actually release from its budget; fewer crimes mostly free police, court and NHS time, "
        "which is redeployed rather than returned (non-cashable).",
    ),
    ("Cox model", "A survival model comparing how soon events happen in two groups; it gives the hazard ratio."),
    ("Deadweight", "What would have happened anyway, without the programme; here the matched comparison group shows it."),
    ("Discounting", "Valuing a future £1 at less than £1 today, at the Green Book rate (3.5% a year), so years can be added up."),
    (
        "Engaged",
        "Approached by the programme's workers: a contact was recorded, whatever came of it. 'Positively engaged' means an "
        "intervention was arranged or awaited.",
    ),
    (
        "Fiscal, economic and social value",
        "Savings to public services; gains in earnings and output; and wider gains such as less harm to victims.",
    ),
    ("GDP deflator", "HM Treasury's price index, used to bring costs from different years to one year's prices."),
    (
        "Hazard ratio",
        "How much faster (above 1) or slower (below 1) the first event comes in the programme group than in the comparison group.",
    ),
    ("Log-rank test", "A test of whether two Kaplan-Meier curves differ by more than chance."),
    ("MASH", "Multi-Agency Safeguarding Hub: where police, children's services and health share concerns about a child."),
    ("Monte Carlo simulation", "Repeating a calculation many times with inputs drawn from their uncertainty, to see the range of results."),
    ("Optimism bias", "The tendency of appraisals to overstate benefits and understate costs; corrected by a stated percentage."),
    ("Overdispersion", "More variation in counts than a Poisson model assumes; checked here with a negative binomial model."),
    ("Payback period", "How long the discounted benefits take to add up to the programme's cost."),
    ("Poisson model", "A model for counts of events over time at risk; it gives rate ratios."),
    (
        "p-value",
        "How often a difference at least this large would arise by chance if the programme had no effect; below 0.05 is "
        "called statistically significant.",
    ),
    ("Public value", "Fiscal, economic and social value added together: the whole value to society of the harm averted."),
    ("Run-rate", "What a month of the programme costs now, times the months of a renewal: the cost of carrying on as today."),
    ("Switching value", "The value an input would need to take for benefits to equal costs exactly."),
    ("Variance ratio", "The ratio of a covariate's variance in the two groups; near 1 (0.5 to 2) is usually taken as balanced."),
    ("YOS / YOT", "Youth offending service (or team): the local authority service for children in the youth justice system."),
]
GLOSSARY.sort(key=lambda item: item[0].lower())


def glossary_table() -> pd.DataFrame:
    return pd.DataFrame(GLOSSARY, columns=["Term", "Meaning"])


__all__ = [
    "input_count",
    "REFERENCES",
    "methods_table",
    "attrition_flow",
    "missingness_table",
    "validation_table",
    "glossary_table",
    "GLOSSARY",
]
