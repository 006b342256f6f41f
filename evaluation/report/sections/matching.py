"""Matched comparison section: attrition, specification, sample sizes, balance, plain words."""

from __future__ import annotations

import math
from typing import AbstractSet, Iterable

import pandas as pd

from ... import disclosure as sdc
from ...config import Config
from ...disclosure import DisclosureLog
from ...results import BOTH, COMPARISON, PROGRAMME, Cohort, CohortMatch, MatchResult, engaged_quantity
from ..formatting import count, pct

TITLES = {
    "age": "Age at index",
    "sex": "Sex",
    "ethnicity": "Ethnicity",
    "arrest_offence_category": "Arrest offence",
    "arrest_offence_group": "Arrest offence group",
    "known_to_yos": "Known to YOS",
    "known_to_childrens_social_care": "Known to children's social care",
    "prior_offences_12m": "Offences in the 12 months before",
    "prior_victimisations_12m": "Victimisations in the 12 months before",
    "prior_missing_episodes_12m": "Missing episodes in the 12 months before",
    "prior_detentions_12m": "Custody detentions in the 12 months before",
}
WHY = {
    "age": "offending and the response to diversion change with age",
    "sex": "boys and girls differ in offending and victimisation",
    "ethnicity": "to compare like with like given disproportionality in arrests",
    "arrest_offence_category": "the seriousness of the index arrest predicts what follows",
    "arrest_offence_group": "the seriousness of the index arrest predicts what follows",
    "known_to_yos": "earlier youth justice contact marks higher risk",
    "known_to_childrens_social_care": "social care involvement marks vulnerability",
    "prior_offences_12m": "past offending is the strongest predictor of future offending",
    "prior_victimisations_12m": "victimisation and exploitation risk persist",
    "prior_missing_episodes_12m": "missing episodes signal exploitation risk",
    "prior_detentions_12m": "recent arrests mark the current level of police contact",
}
SOURCES = {
    "comparison_suite": "detained at a comparison suite during the programme period",
    "pre_programme_period": "detained at the programme suite before the programme began",
}


def covariate_label(name: str, covariates: list[str], link: str | None = None) -> str:
    """'arrest_offence_categoryviolence' -> 'Arrest offence: violence'."""
    if name == "distance":
        return "Propensity score" + (" (logit)" if link and link.startswith("linear") else "")
    if name in TITLES:
        return TITLES[name]
    for c in sorted(covariates, key=len, reverse=True):
        if name.startswith(c):
            return f"{TITLES.get(c, c)}: {name[len(c) :].replace('_', ' ')}"
    return name


#: Attrition steps that are the analysis groups (design counts).
DESIGN_STEPS = ("Programme group", "Both groups, at different detentions", "Comparison pool")


_STEP_STATUS = {
    "Programme group": PROGRAMME,
    "Both groups, at different detentions": BOTH,
    "Comparison pool": COMPARISON,
    "Left out": "excluded",
}


def _attrition_quantity(a: pd.DataFrame, i: int, col: str) -> str:
    if i == 0:
        return f"input[custody_detentions]:{'people' if col == 'people' else 'rows'}"
    return f"attrition[{a.step[i]}|{a.reason[i]}]:{col}"


def register_design_counts(
    cohort: Cohort, log: DisclosureLog, engaged: Iterable[str] | None = None, sample_sizes_published: bool = True
) -> set[tuple[int, str]]:
    """Register, before any table is decided, the counts the report publishes by design and what a reader can do
    with them, so that every table's suppression allows for them (call before the engagement tables).

    The attrition table's group rows are design counts, published exactly when the matched analysis is (its sample
    sizes give them anyway: programme children = programme group + both groups); a reader who knows the rows'
    definitions can also count the engaged children across them: the rows made only of children engaged in the
    period add up, with the engaged part of mixed rows, to the engagement tables' total. Returns the design cells."""
    a = cohort.attrition.reset_index(drop=True)
    design_rows = {i for i in range(len(a)) if a.step[i] in DESIGN_STEPS} if sample_sizes_published else set()
    design = {(i, col) for i in design_rows for col in ("people", "detentions")}
    for i, col in design:
        log.pub.count(_attrition_quantity(a, i, col), int(a.at[i, col]), "attrition", a.step[i], col, "shown")
    if engaged is not None:
        ids = set(engaged)
        ps = cohort.person_status
        terms: dict[str, float] = {}
        for i in range(1, len(a)):
            members = ps.person_id[(ps.status == _STEP_STATUS.get(a.step[i])) & (ps.reason == a.reason[i])]
            k = int(members.isin(ids).sum())
            if k and k == len(members):
                terms[_attrition_quantity(a, i, "people")] = 1.0
            elif k:
                terms[f"attrition[{a.step[i]}|{a.reason[i]}]:engaged"] = 1.0  # not published: unknown to a reader
        if ids - set(ps.person_id):  # engaged but in no row: met outside custody, or not in the custody extract
            terms["attrition[not in the custody extract]:engaged"] = 1.0  # not published: unknown to a reader
        log.pub.derived(engaged_quantity("Total"), terms, "attrition")
    return design


def attrition_table(
    cohort: Cohort, log: DisclosureLog, engaged: Iterable[str] | None = None, sample_sizes_published: bool = True
) -> pd.DataFrame:
    """Every child and detention accounted for; small groups suppressed with their complements. The group rows are
    design counts (`register_design_counts`); the first row is the custody extract's people and rows, as the inputs
    table shows them."""
    a = cohort.attrition.reset_index(drop=True)
    values = a[["people", "detentions"]].copy()
    lines = [[(i, col) for i in range(1, len(a))] + [(0, col)] for col in values.columns]
    design = register_design_counts(cohort, log, engaged, sample_sizes_published)

    def quantity(i, col):
        return _attrition_quantity(a, i, col)

    for _attempt in range(values.size + 1):  # each retry pins at least one more cell
        state = log.pub.snapshot()
        for i, col in design:
            log.pub.count(quantity(i, col), int(values.at[i, col]), "attrition", a.step[i], col, "shown")
        counted = [(i, col) for i in range(len(a)) for col in values.columns if (i, col) not in design]
        try:
            shown = sdc.apply(values, lines, log, "attrition", quantity=quantity, count_cells=counted, withhold=False)
            break
        except sdc.DisclosureControlError as exc:
            # Cells pinned by figures already published (the design counts and the engagement tables' total: children
            # approached but left out of the analysis): hiding them protects nothing, so they are shown as the design
            # counts they follow from.
            pinned = {(i, col) for i in range(1, len(a)) for col in values.columns if quantity(i, col) in exc.quantities} - design
            log.pub.restore(state)
            if not pinned:
                shown = sdc.withhold_table(
                    values, log, "attrition", {(i, col): quantity(i, col) for i in values.index for col in values.columns}
                )
                break
            design |= pinned
    else:
        shown = sdc.withhold_table(values, log, "attrition", {(i, col): quantity(i, col) for i in values.index for col in values.columns})
    return pd.DataFrame({"Step": a.step, "Reason": a.reason.replace("", "—"), "Children": shown.people, "Detentions": shown.detentions})


def specification_table(cm: CohortMatch) -> pd.DataFrame:
    s = cm.result.spec
    link = s.get("link") or ""
    if s["distance"] == "glm":
        dist = ("Propensity score from a logistic regression" if "logit" in link else "Propensity score from a probit regression") + (
            ", matched on its logit (linear predictor)" if link.startswith("linear") else ""
        )
    elif s["distance"] == "mahalanobis":
        dist = "Mahalanobis distance on the covariates"
    else:
        dist = "Distance supplied by the analyst"
    width = cm.result.caliper_widths.get("")
    if s.get("caliper") and width is not None:
        cal = (
            f"{s['caliper']} standard deviations of the distance ({width:.3f})"
            if s.get("std_caliper", True)
            else f"{width:.3f} (distance units)"
        )
    else:
        cal = "none"
    ratio = f"up to {s['ratio']} comparison children per programme child"
    if len(cm.candidates) > 1:
        ratio += f" (chosen from 1 to {int(cm.candidates.ratio.max())} for the best covariate balance)"
    order = {
        "largest": "highest propensity score first",
        "smallest": "lowest propensity score first",
        "data": "in data order",
        "random": "in random order (seeded)",
    }[s["m_order"]]
    rows = [
        ("Method", "Greedy nearest-neighbour matching (MatchIt 4.7.2 semantics), for the effect on the programme group (ATT)"),
        ("Distance", dist),
        ("Ratio", ratio),
        ("Caliper", cal),
        ("Replacement", "yes: a comparison child can be matched more than once" if s["replace"] else "no: each comparison child used once"),
        ("Exact matching on", ", ".join(TITLES.get(c, c) for c in s["exact"]) if s.get("exact") else "none"),
        ("Matching order", order),
        ("Common-support discard", s["discard"]),
        ("Covariates", ", ".join(TITLES.get(c, c) for c in cm.covariates)),
    ]
    return pd.DataFrame(rows, columns=["Setting", "Value"])


def candidates_table(cm: CohortMatch, policy: sdc.DisclosurePolicy) -> pd.DataFrame:
    """The ratios tried; each one's largest |SMD| over the balance rows its own table would show."""
    c = cm.candidates
    results: list[MatchResult | None] = list(cm.candidate_results) or [cm.result if chosen else None for chosen in c.chosen]
    largest = [published_balance(cm, policy, r)["max_abs_std_mean_diff_after"] if r is not None else float("nan") for r in results]
    return pd.DataFrame(
        {
            "Ratio": c.ratio.map(lambda k: f"{k}:1"),
            "Programme children matched": c.treated_matched.map(count),
            "Comparison children matched": c.controls_matched.map(count),
            "Largest |SMD| after matching": ["–" if math.isnan(x) else f"{x:.3f}" for x in largest],
            "Chosen": c.chosen.map({True: "chosen", False: ""}),
        }
    )


def sample_size_table(cm: CohortMatch) -> pd.DataFrame:
    """Analysis sample sizes: design counts, published exactly (see evaluation.disclosure)."""
    s = cm.result.sample_sizes()
    rows = []
    for r in s.index:
        if "ESS" in r:
            rows.append((r, f"{s.at[r, 'Treated']:,.1f}", f"{s.at[r, 'Control']:,.1f}"))
        else:
            rows.append((r, count(s.at[r, "Treated"]), count(s.at[r, "Control"])))
    return pd.DataFrame(
        {
            "Sample": [r[0].replace("ESS", "effective sample size") for r in rows],
            "Programme": [r[1] for r in rows],
            "Comparison": [r[2] for r in rows],
        }
    )


def _value(x: float, binary: bool) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return pct(x) if binary else f"{x:.2f}"


def hidden_balance(cm: CohortMatch, policy: sdc.DisclosurePolicy, result: MatchResult | None = None) -> dict[str, set[str]]:
    """Balance cells not to publish: shares of a factor level standing for 1 to threshold-1 children,
    with complements within the factor (its levels add up to 100%), per column. `result` is one of the
    candidate matchings of `cm` (default: the chosen one)."""
    result = cm.result if result is None else result
    b = result.balance(un=True)
    sizes = result.sample_sizes()
    n = {
        "means_treated": sizes.at["Matched", "Treated"],
        "means_control_un": sizes.at["All", "Control"],
        "means_control": sizes.at["Matched", "Control"],
    }
    hidden: dict[str, set[str]] = {col: set() for col in n}
    if not policy.enabled:
        return hidden
    for cov in cm.covariates:
        levels = [r for r in b.index if r.startswith(cov) and r != cov and r not in cm.covariates]
        if not levels:
            continue
        counts = pd.DataFrame({col: (b.loc[levels, col] * size).round() for col, size in n.items()})
        counts.loc["__total__"] = [n[c] for c in counts.columns]
        lines = [[(lev, col) for lev in levels] + [("__total__", col)] for col in counts.columns]
        primary, secondary = sdc.suppress(counts, lines, policy, [(lev, col) for lev in levels for col in counts.columns])
        for col in counts.columns:
            hidden[col] |= {lev for lev in levels if primary.at[lev, col] or secondary.at[lev, col]}
    return hidden


def published_balance(cm: CohortMatch, policy: sdc.DisclosurePolicy, result: MatchResult | None = None) -> dict:
    """The balance summary (largest |SMD| before and after, rows above the threshold) over the rows the
    balance table shows: an exact largest |SMD| taken over a hidden level would narrow that level's
    hidden shares (it is one more equation in them)."""
    hidden = set().union(*hidden_balance(cm, policy, result).values())
    return cm.balance_summary(hidden, result)


def balance_table(cm: CohortMatch, log: DisclosureLog) -> tuple[pd.DataFrame, list[tuple[int, str]]]:
    """Means (shares for categories) and |SMD| before and after matching; cells above the threshold
    flagged (†); shares that would disclose small groups, and the SMDs that would reveal them, shown as 'c'."""
    b = cm.result.balance(un=True)
    link = cm.result.spec.get("link")
    hidden = hidden_balance(cm, log.policy)
    for col, levels in hidden.items():
        for lev in sorted(levels):
            log.add("balance", lev, col, "share standing for fewer than the threshold of children, or its complement")
    rows, flags = [], []
    thr = cm.threshold
    for i, (name, r) in enumerate(b.iterrows()):
        binary = name != "distance" and name not in cm.covariates  # factor levels are shares
        smd_un, smd = r.std_mean_diff_un, r.std_mean_diff
        before_hidden = name in hidden["means_treated"] or name in hidden["means_control_un"]
        after_hidden = name in hidden["means_treated"] or name in hidden["means_control"]

        def smd_text(x: float, col: str, hide: bool) -> str:
            if hide:
                return sdc.SYMBOL
            if abs(x) > thr and name != "distance":
                flags.append((i, col))
                return f"{x:.3f} †"
            return f"{x:.3f}"

        def share(col: str, x: float) -> str:
            return sdc.SYMBOL if name in hidden.get(col, set()) else _value(x, binary)

        rows.append(
            {
                "Covariate": covariate_label(name, cm.covariates, link),
                "Programme": share("means_treated", r.means_treated),
                "Comparison, all": share("means_control_un", r.means_control_un),
                "SMD before": smd_text(smd_un, "SMD before", before_hidden),
                "Comparison, matched": share("means_control", r.means_control),
                "SMD after": smd_text(smd, "SMD after", after_hidden),
                "Variance ratio after": "–" if math.isnan(r.var_ratio) else f"{r.var_ratio:.2f}",
            }
        )
    return pd.DataFrame(rows), flags


def matching_headline(cm: CohortMatch, cohort: Cohort, config: Config, log: DisclosureLog) -> str:
    res = cm.to_results() | published_balance(cm, log.policy)
    src = cohort.table[cohort.table.treated == 0].source.value_counts()
    pool = "; ".join(f"{n:,} {SOURCES.get(k, k)}" for k, n in src.items())  # design counts: see evaluation.disclosure
    after, before = res["max_abs_std_mean_diff_after"], res["max_abs_std_mean_diff_before"]
    above = res["covariates_above_threshold_after"]
    units = "index events" if cohort.design == "risk_set" else "children"
    lines = [
        f"The comparison pool holds **{count(res['n_control_pool'])} {units}**: children who had not been approached by the programme "
        f"when they were arrested ({pool}). Each of the **{count(res['n_treated'])} programme children** was matched to similar "
        f"children from that pool; **{count(res['n_treated_matched'])}** found matches, with **{count(res['n_control_matched'])}** "
        "comparison children in all.",
        f"Before matching, the groups differed by up to **{before:.2f}** standard deviations on a covariate; after matching the largest "
        f"standardised difference is **{after:.3f}**"
        + (
            f", below the {cm.threshold} threshold on every covariate"
            if above == 0
            else f"; {above} covariate(s) remain above the {cm.threshold} threshold (marked †)"
        )
        + (
            " shown (categories standing for very few children are not shown, and these figures leave them out)."
            if res["rows_left_out"]
            else "."
        ),
    ]
    # the matched count only: the pool's count is a sum of attrition rows, which disclosure control may hide
    later = res["comparison_later_approached"]
    if later:
        lines.append(
            f"Whether a child could be a comparison was decided at their arrest, as it was for the programme children. "
            f"{log.count_text(later).capitalize()} of the matched comparison children were approached by the programme later: "
            "they stay in the comparison group, followed only until that approach, and similar children who could have been "
            "approached but were not count for them. Leaving them out instead would drop exactly the children who were "
            "arrested again, and make the comparison group look better than it was."
        )
    if cohort.design == "risk_set":
        lines.append(
            "Each programme child was matched only with children eligible in the same calendar "
            f"{config.matching.risk_set_interval} (risk-set matching), so a comparison child can appear at more than one arrest."
        )
    return "\n\n".join(lines)


def matching_results(cm: CohortMatch, log: DisclosureLog) -> dict:
    """results.json's matching section with the same disclosure control as the text."""
    out = cm.to_results() | published_balance(cm, log.policy)
    out["balance_figures_leave_out_hidden_rows"] = bool(out.pop("rows_left_out"))  # the largest |SMD| is over the rows shown
    if log.policy.small(out["comparison_later_approached"]):
        out["comparison_later_approached"] = None
        log.add("results_matching", "comparison_later_approached", "count", "small number of children")
    return out


def matching_why(cm: CohortMatch) -> str:
    items = "\n".join(f"- **{TITLES.get(c, c)}**: {WHY.get(c, 'chosen by the evaluator')}." for c in cm.covariates)
    return (
        "Children were matched on characteristics recorded at or before the arrest that brought them into the analysis, "
        "never on anything that happened afterwards:\n\n" + items
    )


def matching_cautions(cm: CohortMatch, engaged: CohortMatch | None = None, log: DisclosureLog | None = None) -> str:
    out = []
    unmatched, separation = cm.result.unmatched_note, cm.result.separation_note
    if log is not None and cm.result.n_treated_unmatched:
        sizes = cm.result.sample_sizes()
        out.append(
            f"- {cm.result.n_treated_unmatched:,} of the {count(sizes.at['All', 'Treated'])} programme children found no "
            "match within the caliper: the estimates describe the matched programme children, not all of them."
        )
    if log is not None and log.policy.enabled and cm.result.separated_levels:
        # the analysis note names levels with their exact (often small) counts: say it without them
        out.append(
            "- Some covariate levels occur in one group only, so they predict group membership perfectly and push those "
            "children's propensity scores towards 0 or 1; combining rare levels would help."
        )
    for w in cm.notes:
        if log is not None and (w == unmatched or (log.policy.enabled and w == separation)):
            continue
        out.append(f"- {w}")
    if any(c.startswith("prior_") for c in cm.covariates):
        out.append(
            "- This matching includes the children's earlier offences, victimisations, missing episodes and detentions, as a "
            "comparison of later outcomes (reoffending) needs. The before/after comparisons rest by default on a matching "
            "without them, since matching on the very counts a before/after comparison uses can bias it through regression to "
            "the mean when the groups' underlying levels differ (Daw & Hatfield 2018); the section shows both."
        )
    if engaged is not None and log is not None and log.policy.small(engaged.result.n_treated_matched):
        out.append(
            f"- A secondary view matching only the positively engaged children is not shown: fewer than {log.policy.threshold} "
            "of them were matched, and estimates about so few children would describe individuals."
        )
    elif engaged is not None:
        r = engaged.to_results() | (published_balance(engaged, log.policy) if log is not None else {})
        # no counts here: the positively engaged children of the cohort are often the funnel's stage, which its table may hide
        out.append(
            "- Secondary view, prone to selection bias: matching only the positively engaged children gives a matched group with "
            f"largest |SMD| {r['max_abs_std_mean_diff_after']:.3f}. Children who engage differ from those who do not in ways the "
            "data may not record, so this view cannot support claims about the programme's effect on its own."
        )
    return "\n".join(out)


def balance_alt_text(cm: CohortMatch, drop: AbstractSet[str] = frozenset()) -> str:
    b = cm.result.balance(un=True).drop(index=["distance", *drop], errors="ignore")
    link = cm.result.spec.get("link")
    worst = b.std_mean_diff_un.abs().sort_values(ascending=False).head(3)
    parts = ", ".join(
        f"{covariate_label(n, cm.covariates, link)} {abs(b.loc[n, 'std_mean_diff_un']):.2f} before and "
        f"{abs(b.loc[n, 'std_mean_diff']):.2f} after"
        for n in worst.index
    )
    return (
        f"Dot plot of absolute standardised mean differences for {len(b)} covariates before (open circles) and after "
        f"(filled) matching, with a dashed line at {cm.threshold}. Largest before matching: {parts}. After matching the largest is "
        f"{cm.result.max_abs_smd(exclude=drop):.3f}."
    )


__all__ = [
    "register_design_counts",
    "matching_results",
    "hidden_balance",
    "published_balance",
    "covariate_label",
    "attrition_table",
    "specification_table",
    "candidates_table",
    "sample_size_table",
    "balance_table",
    "matching_headline",
    "matching_why",
    "matching_cautions",
    "balance_alt_text",
]
