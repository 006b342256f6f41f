"""What the results mean for the decision: the options (from the value-for-money options appraisal where it was
made; otherwise renew, renew with conditions, stop), what the numbers support, and the conditions the evidence
points to (data fixes, and the sample a conclusive evaluation needs with the time to reach it). Every sentence is
built from the results; none recommends more than the numbers show."""

from __future__ import annotations

import math

from ...disclosure import DisclosureLog
from ..formatting import chance, money
from .costs import renewal_published
from .summary import CONFIDENT_VALUE, Findings


def _options(f: Findings, log: DisclosureLog) -> list[str]:
    v, pc = f.value_for_money, f.programme_costs
    if v is not None and v.renewal_options and pc is not None:
        shown = renewal_published(pc, log)
        lines = []
        for o in v.renewal_options:
            if not o["cost"]:
                lines.append(f"- **{o['name']}**: no cost, and none of the effects estimated here, for better or worse.")
                continue
            figures = (
                f"about {o['people_reached']:,.0f} people reached, {money(o['cost_per_person'])} each; net present value "
                f"{money(o['npv'])}, and the chance it beats stopping is {chance(o['prob_better_than_nothing'])}"
                if shown
                else "the people it would reach rest on too few to publish"
            )
            lines.append(f"- **{o['name']}** ({money(o['cost'])} in present value): {figures}.")
        return lines
    lines = ["- **Stop**: no cost."]
    if pc is not None and pc.renewal:
        r = pc.renewal
        lines.append(f"- **Renew** at the offered {money(r['budget'])} for {r['months']} months.")
    else:
        lines.append("- **Renew** as now (no renewal budget was given in the config).")
    lines.append("- **Renew with conditions**: the data and evaluation conditions below, so the next decision can rest on more.")
    return lines


def decision_reading(f: Findings, log: DisclosureLog | None = None) -> str:
    """One paragraph on what the numbers support: never more than the chance the renewal beats stopping and the
    strength of the evidence behind it allow. Where the renewal's figures rest on a count too small to publish, the
    chance read is the evaluated period's (benefits exceeded costs), which does not rest on that count."""
    v, pc = f.value_for_money, f.programme_costs
    if v is None:
        return (
            "Without an estimate of the harm averted, the numbers cannot say whether renewing would be worth its cost: "
            "the decision rests on what the programme reaches and what each person costs."
        )
    renewals = [o for o in v.renewal_options if o["cost"]]
    if renewals and log is not None and (pc is None or not renewal_published(pc, log)):
        renewals = []
    grade = v.evidence.get("grade", "weak")
    if not renewals:
        p, what, net = v.prob_bcr_above_1, "the programme's benefits exceeded its costs", v.npv
    else:
        best = max(renewals, key=lambda o: -math.inf if o["prob_better_than_nothing"] is None else o["prob_better_than_nothing"])
        p, what, net = best["prob_better_than_nothing"], best["name"].replace("Renew", "renewing", 1) + " beats stopping", best["npv"]
    if p >= CONFIDENT_VALUE and grade == "strong":
        return f"On these estimates the chance that {what} is {chance(p)}, on strong evidence: the numbers support renewing."
    if p >= CONFIDENT_VALUE:
        return (
            f"On these estimates the chance that {what} is {chance(p)}, but the evidence behind them is {grade}: the numbers "
            "fit renewing with conditions better than renewing on trust."
        )
    lean = (
        "the central estimates point to costs above benefits"
        + (", though the uncertainty cannot rule out the reverse" if p >= 0.05 else "")
        if net < 0
        else "nor do they show that the programme fails"
    )
    said = chance(p)
    return (
        f"On these estimates the chance that {what} is {said if said.startswith('under') else 'only ' + said}: the numbers do not show that renewing would be "
        f"worth its cost, and {lean}; a renewal, if chosen, would rest on the conditions below."
    )


def _conditions(f: Findings, log: DisclosureLog) -> list[str]:
    out = []
    v, pc, res = f.value_for_money, f.programme_costs, f.reoffending
    if v is not None and any("no crime reference" in n for n in v.notes):
        out.append("record a pseudonymised crime reference on each event, so a crime with several records is valued once")
    if f.before_after is not None and f.before_after.not_recorded:
        out.append("extract the event types not recorded now, so their changes can be measured and valued")
    if pc is not None and pc.renewal and (pc.renewal["below_run_rate"] or pc.renewal["below_staff_run_rate"]):
        out.append("a budget that matches the team it expects, or a stated smaller team and the throughput that goes with it")
    if res is not None and len(res.power_targets):
        per_month = pc.renewal["children_per_month_observed"] if pc is not None and pc.renewal and renewal_published(pc, log) else None
        months = pc.renewal["months"] if pc is not None and pc.renewal else 12
        sizes = []
        for t in res.power_targets.dropna(subset=["needed_per_group"]).itertuples():
            text = f"a {100 * t.relative_reduction:.0f}% reduction needs about {int(t.needed_per_group):,} programme children"
            if per_month:
                take = math.ceil(t.needed_per_group / per_month)
                text += f" (about {take} months at the throughput observed" + (
                    ": far longer than a renewal, so only a pooled, multi-site evaluation could reach it)" if take > 3 * months else ")"
                )
            sizes.append(text)
        if sizes:
            out.append(
                "an evaluation sized to detect the effects found for similar diversion schemes in proven reoffending, with a "
                "year's follow-up each: " + "; ".join(sizes)
            )
    out.append("the same extract, matching and definitions next time, so the next estimate can be set beside this one")
    return out


def decision_section(f: Findings, log: DisclosureLog) -> str:
    """Markdown for 'What this means for the decision'."""
    conditions = _conditions(f, log)
    return "\n\n".join(
        [
            "The options, with what each buys on this evaluation's estimates (the value-for-money section shows how they were appraised):",
            "\n".join(_options(f, log)),
            "**What the numbers support.** " + decision_reading(f, log),
            "**Conditions the evidence points to:**\n\n" + "\n".join(f"- {c};" for c in conditions)[:-1] + ".",
        ]
    )


__all__ = ["decision_section", "decision_reading"]
