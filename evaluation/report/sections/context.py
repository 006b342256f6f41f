"""The programme description and the limitations section: what the config says the programme is,
what the data record of its delivery, and what this evaluation cannot rule out (design, power, data
gaps, other schemes in the same custody suite)."""

from __future__ import annotations

import pandas as pd

from ...disclosure import DisclosureLog
from ...results import engaged_quantity as quantity
from ..formatting import money
from ..words import verbatim
from .matching import SOURCES, TITLES
from .summary import Findings


def _lower_first(text: str) -> str:
    """'Known to YOS' -> 'known to YOS'; acronyms ('YOS status') stay as they are."""
    return text if len(text) > 1 and text[1].isupper() else text[:1].lower() + text[1:]


LOGIC_STAGES = ("Inputs", "Activities", "Outputs", "Outcomes", "Impacts")


def logic_model(f: Findings) -> list[tuple[str, list[tuple[str, bool]]]]:
    """The programme's theory of change as a logic model, inputs to impacts, from the config and what this run could
    measure: each box with whether this report gives a figure for it (True) or not (False)."""
    p, eng = f.config.programme, f.engagement
    from .engagement import followup_recorded

    pathways = [r.pathway.lower() for r in eng.pathways.itertuples() if r.total > 0 and r.pathway_key != "other"]
    ba, reo, v = f.before_after, f.reoffending, f.value_for_money
    recorded = set(ba.recorded) if ba is not None else set()
    started = "intervention_started" in set(eng.funnel.stage_key)
    place = ", ".join(p.suites) if p.suites else "the programme's sites"
    stages = [
        (
            "Inputs",
            [
                ("Funding and staff (the budget lines)", f.programme_costs is not None),
                (f"A team at {place}", f.programme_costs is not None),
            ],
        ),
        (
            "Activities",
            [
                ("Approach people at the moment of arrest", True),
                (f"Follow-up within {f.config.engagement.followup_within_hours} hours of release", followup_recorded(eng)),
                (
                    "Arrange diversionary pathways"
                    + (f" ({len(pathways)} kind{'s' if len(pathways) != 1 else ''} recorded)" if pathways else ""),
                    bool(pathways),
                ),
            ],
        ),
        (
            "Outputs",
            [
                ("Children engaged", True),
                ("Interventions arranged", True),
                ("Interventions started and completed", started),
                (
                    "Referrals to other services",
                    eng.referrals is not None or bool({"out_of_area_referral", "referred_elsewhere"} & set(eng.outcomes_shown)),
                ),
            ],
        ),
        (
            "Outcomes",
            [
                ("Less offending", "offending" in recorded),
                ("Fewer victimisations", "victimisation" in recorded),
                ("Fewer missing episodes", "missing_episodes" in recorded),
                ("Less proven reoffending", reo is not None),
                ("Education, training and safety (exploitation)", False),
            ],
        ),
        (
            "Impacts",
            [
                ("Harm averted and its value to the public", v is not None),
                ("Safer children and communities in the long run", False),
            ],
        ),
    ]
    extra = f.config.report.logic_model  # the programme's own boxes, as written: this report gives no figure for them
    return [(stage, boxes + [(verbatim(text), False) for text in extra.get(stage.lower(), ())]) for stage, boxes in stages]


def logic_model_text(model: list[tuple[str, list[tuple[str, bool]]]]) -> str:
    """The logic model in words (the diagram's alt text and the table beside it)."""
    return " ".join(
        f"{stage}: " + "; ".join(f"{text} ({'measured here' if measured else 'not measured here'})" for text, measured in boxes) + "."
        for stage, boxes in model
    )


def programme_description(f: Findings, log: DisclosureLog) -> str:
    """The evaluator's description (config), then the facts the data record about delivery."""
    p = f.config.programme
    out = []
    if p.description:
        out.append(verbatim(p.description.strip()))
        if p.description_source:
            out.append(f"*Source: {verbatim(p.description_source)}*")
    else:
        out.append(
            "*The config gives no description of the programme (`[programme] description`); only what the data record is shown here.*"
        )
    facts = [
        f"Custody suite{'s' if len(p.suites) > 1 else ''}: {', '.join(p.suites)}.",
        f"Period evaluated: {p.start:%-d %B %Y} to {p.end:%-d %B %Y} ({(p.end - p.start).days + 1} days).",
        f"Children eligible: aged {p.age_min} to {p.age_max} when detained"
        + (
            f"; pathways for those living in {', '.join(p.home_areas)}, referral elsewhere for others."
            if p.home_areas and "out_of_area_referral" in f.engagement.outcomes_shown
            else f"; the programme's areas: {', '.join(p.home_areas)}."
            if p.home_areas
            else "."
        ),
    ]
    pw = f.engagement.pathways
    used = [r.pathway for r in pw.itertuples() if r.total > 0 and r.pathway_key != "other"]
    if used:
        facts.append("Diversionary pathways recorded in the contact log: " + ", ".join(used).lower() + ".")
    pc = f.programme_costs
    if pc is not None:
        lines = pc.period.lines
        items = lines.groupby(["item", "category"], sort=False).amount_in_period.sum().reset_index()
        facts.append("Cost lines in the period: " + "; ".join(f"{r.item} ({money(r.amount_in_period)})" for r in items.itertuples()) + ".")
        funders = sorted(set(lines.funder.dropna())) if "funder" in lines else []
        if funders:
            facts.append("Funded by: " + ", ".join(funders) + ".")
    out.append("**What the data record about delivery:**\n\n" + "\n".join(f"- {x}" for x in facts))
    return "\n\n".join(out)


def limitations(f: Findings, log: DisclosureLog) -> str:
    """Markdown: design, power, data gaps and other schemes, each from this run's data and config."""
    cfg = f.config
    sections: list[str] = []

    design = []
    cm = f.matching
    if cm is None:
        design.append(
            f"There is no comparison group, so nothing in this report estimates the programme's effect: changes in the "
            "programme children's offending after arrest would be mostly regression to the mean. Why: "
            f"{f.unavailable.get('matching', 'matching did not run')}."
        )
    else:
        covs = ", ".join(_lower_first(TITLES.get(c, c)) for c in cm.covariates)
        design.append(
            "This is an observational study, not a trial. Matching makes the groups alike on what the records show "
            f"({covs}), but children who are approached may still differ in what records do not show: family support, "
            "motivation, exploitation, school. Any such difference is credited to, or held against, the programme."
        )
        sources = f.cohort.table[f.cohort.table.treated == 0].source.value_counts()
        if len(sources):
            where = [SOURCES.get(k, k) for k in sources.index]
            design.append(
                "The comparison children were " + ("either " + " or ".join(where) if len(where) > 1 else where[0]) + ". "
                "Children at other suites live under other local services and policing; children at the programme's suite "
                "before it started were arrested at a different time, when practice, recording and public-health restrictions "
                "may have differed."
            )
        design.append(
            "Estimates are for every child approached, whether or not they took part (intention to treat). They do not "
            "say what the programme does for a child who completes an intervention; comparing only those who engaged would "
            "compare children who chose to engage with children who were never asked."
        )
        if cm.result.n_treated_matched < len(cm.result.data[cm.result.data.treated == 1]):
            design.append("Some programme children found no match, so the estimates describe the matched programme children only.")
    sections.append("### Design\n\n" + " ".join(design) + "".join(f"\n\n- {n}" for n in f.design_notes))

    power = []
    reo = f.reoffending
    if reo is not None:
        m = reo.measures["proven"]
        if m.min_detectable_difference == m.min_detectable_difference:
            power.append(
                f"With {m.rate.n_treated} programme children with complete follow-up, the smallest change in proven reoffending "
                f"this evaluation can reliably detect is {100 * m.min_detectable_difference:.0f} percentage points. "
                "Effects of the size published for diversion schemes would need far more children (see Reoffending)."
            )
    ba = f.before_after
    if ba is not None:
        off = ba.get("offending", max(ba.results["offending"]))
        if off.did["ci_low"] == off.did["ci_low"]:  # estimable
            power.append(
                f"The 95% confidence interval for the effect on offending runs from {off.did['ci_low']:.2f} to "
                f"{off.did['ci_high']:.2f} (ratio of rate ratios)"
                + ("; victimisation and missing episodes are rarer and their intervals wider." if len(ba.recorded) > 1 else ".")
            )
    power.append(
        "Monthly engagement figures rest on a few dozen children and are shown with that in mind. Several outcomes and "
        "windows are estimated; with that many comparisons, one statistically significant result can arise by chance."
    )
    sections.append("### Power\n\n" + " ".join(power))

    gaps = [
        "Offending, victimisation and missing episodes are what the police recorded. Unreported events are not counted, and "
        "closer contact with services can raise the recording of victimisation and missing episodes without any change in what "
        "happens."
    ]
    if ba is not None and ba.not_recorded:
        left_out = " and ".join(o.replace("_", " ") for o in ba.not_recorded)
        gaps.append(
            f"The data extract does not record {left_out}, so the programme's effect on them is neither estimated nor valued; "
            "for a programme that works on safeguarding, that may be much of what it does."
        )
    if reo is not None:
        ex = reo.measures["proven"].excluded_incomplete
        total = sum(ex.values())
        if total:
            gaps.append(
                f"Children arrested too late for {reo.follow_up_months} months of follow-up plus the {reo.waiting_months}-month "
                f"waiting period before the extract date ({cfg.data.extract_date:%-d %B %Y}) are left out of the proven "
                "reoffending measures: "
                f"{ex.get('programme', 0):,} programme and {ex.get('comparison', 0):,} comparison "
                "children."
            )
        gaps.append(
            "Proven reoffending counted by the MoJ's rules does not count community resolutions or Outcome 22, which is what "
            "diversion often produces; the report shows the measure both ways."
        )
    yos = f.engagement.tables.get("known_to_yos")
    if yos is not None and "Not checked" in yos.index and yos.loc["Not checked", "Total"] > 0:
        not_checked = log.pub.words(quantity("Total", "known_to_yos", "Not checked"), yos.loc["Not checked", "Total"], "limitations")
        gaps.append(f"Youth offending service status was not checked for {not_checked} of the children engaged.")
    funnel = f.engagement.funnel.set_index("stage_key").children
    if (
        "intervention_started" in funnel
        and not pd.isna(funnel["intervention_started"])
        and funnel["intervention_started"] < funnel["intervention_arranged"]
    ):
        gaps.append("Not every arranged intervention has a start date in the contact log, so whether it started is unknown.")
    v = f.value_for_money
    if v is not None:
        proxies = v.unit_costs_used[v.unit_costs_used.status.ne("primary")] if "status" in v.unit_costs_used else v.unit_costs_used.iloc[:0]
        if len(proxies):
            n = len(proxies)
            gaps.append(
                f"{n} of the {len(v.unit_costs_used)} unit costs used {'is' if n == 1 else 'are'} from a secondary or local "
                "source rather than the publisher's own document (see the unit-cost appendix)."
            )
    if cfg.data.extract_date:
        gaps.append(
            f"Records run to the extract date, {cfg.data.extract_date:%-d %B %Y}; windows cut short by it use the days "
            "observed and are flagged."
        )
    sections.append("### Data gaps\n\n" + "\n".join(f"- {g}" for g in gaps))

    others = cfg.report.co_interventions
    if others:
        items = []
        for ci in others:
            src = ""
            if ci.source or ci.url:
                src = (
                    " *Source: " + (ci.source or "") + (f", <{ci.url}>" if ci.url and ci.source else f"<{ci.url}>" if ci.url else "") + ".*"
                )
            items.append(f"- **{verbatim(ci.name)}.** {verbatim(ci.description)}{src}")
        text = (
            "Other schemes ran in or around the programme's custody suite. Where they reached programme children, comparison "
            "children or both, their effects are mixed into the estimates and cannot be separated from the programme's:\n\n"
            + "\n".join(items)
        )
    else:
        text = (
            "The config lists no other schemes at the programme's custody suite(s) (`[report] co_interventions`). That is not "
            "evidence that there were none: any scheme that reached the programme's children and not the comparison group's "
            "would have its effect credited to the programme."
        )
    sections.append("### Other schemes in the same custody suite\n\n" + text)
    return "\n\n".join(sections)


__all__ = ["logic_model", "logic_model_text", "programme_description", "limitations"]
