"""Value-for-money section, written for commissioners: cost per child first, then the benefit-cost
ratio with its uncertainty in plain words, break-even, sensitivity and the renewal scenario; and
the appendix that traces every unit cost to its source."""

from __future__ import annotations

import math

import pandas as pd

from ... import disclosure as sdc
from ...disclosure import DisclosureLog
from ...results import AGENCY_LABELS, ProgrammeCosts, SpellsResult, ValueForMoney
from ...results import EVENT_OUTCOMES as OUTCOMES
from ...results import RECONCILIATION_DENOMINATOR as _RECON_COUNT
from ...results import engaged_quantity as quantity
from ..formatting import chance, money, pct

CATEGORY_LABELS = {
    "staff": "Staff",
    "management": "Management",
    "activities": "Activities",
    "overheads": "Overheads",
    "in_kind": "In kind (not paid by the funder)",
}


def _pounds(x: float) -> str:
    return money(x) if abs(x) >= 100 else money(x, 2)


def costs_headline(c: ProgrammeCosts, log: DisclosureLog) -> str:
    """What the programme cost over the period evaluated and per person reached (needs no comparison group)."""
    po = c.per_outcome.set_index("measure")
    start, end = c.period.start, c.period.end
    for measure in ("engaged", "intervention_arranged"):
        if cost_per_child_published(c, measure, log):
            for basis, amount in (("full_economic", c.period.full_economic), ("staff", c.period.of("staff"))):
                log.pub.ratio(amount, {COUNT_OF[measure]: 1.0}, po.loc[measure, basis], 0, "costs summary")
    return (
        f"Over the period evaluated ({start:%-d %B %Y} to {end:%-d %B %Y}, {c.period.days} days) the programme cost "
        f"**{money(c.period.full_economic)}**, of which staff {money(c.period.of('staff'))}. "
        + (
            f"It engaged {c.reached['engaged']:,} children: **{money(po.loc['engaged', 'full_economic'])} per child engaged** "
            f"({money(po.loc['engaged', 'staff'])} in staff costs alone)"
            if cost_per_child_published(c, "engaged", log)
            else "The number of children engaged is too small to publish a cost per child"
        )
        + (
            f" and **{money(po.loc['intervention_arranged', 'full_economic'])} per intervention arranged**"
            if cost_per_child_published(c, "intervention_arranged", log)
            else ""
        )
        + ". Cost and children are counted over the same days."
    )


def vfm_headline(v: ValueForMoney) -> str:
    """The benefit-cost ratio with its range, from the matched estimates of harm averted."""
    lo, hi = v.bcr_interval
    nouns = [OUTCOMES[o][1].lower().split(" (")[0] for o in v.effects]
    valued = nouns[0] if len(nouns) == 1 else ", ".join(nouns[:-1]) + " and " + nouns[-1]
    lines = [
        f"Valuing the {valued} the programme is estimated to have averted, every £1 spent returned "
        f"an estimated **{money(v.bcr, 2)}** in public value (fiscal, economic and social), a net present value of {money(v.npv)}. Allowing for "
        f"the uncertainty in the effect estimates and unit costs, the return lies between **{money(lo, 2)} and {money(hi, 2)}** per £1 in 95% of "
        f"{len(v.mc_bcr):,} simulations, and the chance that benefits exceed costs is **{chance(v.prob_bcr_above_1)}**. Counting only "
        f"savings to the public purse, the return is {money(v.bcr_fiscal, 2)} per £1, of which {money(v.bcr_cashable, 2)} is "
        "cashable (budget an agency could release).",
    ]
    if lo < 1 < hi:
        lines.append(
            "Because that range includes returns below £1, the evidence cannot rule out that the programme costs more than the "
            "harm it prevents; the effect estimates behind it are not statistically significant on their own."
        )
    return "\n\n".join(lines)


def period_costs_table(v: ProgrammeCosts) -> pd.DataFrame:
    lines = v.period.lines
    rows = []
    for r in lines.itertuples():
        rows.append(
            {
                "Cost line": r.item,
                "Category": CATEGORY_LABELS.get(r.category, r.category),
                "Line covers": f"{r.start_date:%-d %b %Y} to {r.end_date:%-d %b %Y}",
                "Line amount": money(r.amount_gbp, 2),
                "Days in period": f"{r.days_in_period} of {r.line_days}",
                "In the period": money(r.amount_in_period, 2),
            }
        )
    rows.append(
        {
            "Cost line": "Total (full economic cost)",
            "Category": "",
            "Line covers": "",
            "Line amount": money(lines.amount_gbp.sum(), 2),
            "Days in period": "",
            "In the period": money(v.period.full_economic, 2),
        }
    )
    return pd.DataFrame(rows)


#: The count each cost-per-child row divides by, in the publication model (the engagement tables' counts).
COUNT_OF = {
    "engaged": quantity("Total"),
    "positively_engaged": "positively_engaged[Total]",
    "intervention_arranged": quantity("Total", "outcome", "intervention_arranged"),
    "intervention_started": "intervention_started[Total]",
}


def _register_reached(v: ProgrammeCosts, log: DisclosureLog) -> dict[str, bool]:
    """Register the children reached at each stage; True where the count (and so its cost per child) can be shown:
    not small and not hidden in any earlier table (a cost per child on a published total reveals the count)."""
    pub = log.pub
    pub.derived(
        "positively_engaged[Total]",
        {COUNT_OF["intervention_arranged"]: 1.0, quantity("Total", "outcome", "awaiting_intervention"): 1.0},
        "costs_per_outcome",
    )
    ok = {}
    for r in v.per_outcome.itertuples():
        q = COUNT_OF[r.measure]
        show = not log.policy.small(r.children) and not pub.must_hide(q)
        if show:  # and only if that keeps every hidden count protected (the intruder audit decides)
            show = pub.count_if_safe(q, r.children, "costs_per_outcome", r.label, "children", "secondary")
        else:
            pub.count(q, r.children, "costs_per_outcome", r.label, "children", "primary" if log.policy.small(r.children) else "secondary")
        if not show:
            log.add("costs_per_outcome", r.label, "children", "small or hidden elsewhere (cost per child would reveal it)")
        ok[r.measure] = show
    return ok


def per_outcome_table(v: ProgrammeCosts, log: DisclosureLog) -> pd.DataFrame:
    """Cost per child at each stage; a count that is small or hidden in another table is suppressed, and so is
    its cost per child (cost / n reveals n)."""
    p = v.per_outcome
    ok = _register_reached(v, log)
    amounts = {"full_economic": v.period.full_economic, "to_funder": v.period.to_funder, "staff": v.period.of("staff")}
    cols = {}
    for col in amounts:
        cells = []
        for r in p.itertuples():
            x = getattr(r, col)
            if ok[r.measure] and r.children:
                log.pub.ratio(amounts[col], {COUNT_OF[r.measure]: 1.0}, x, 0 if abs(x) >= 100 else 2, "costs_per_outcome")
                cells.append(_pounds(x))
            else:
                cells.append(sdc.SYMBOL if r.children else "–")
        cols[col] = cells
    return pd.DataFrame(
        {
            "Cost per": p.label,
            "Children": [f"{n:,}" if ok[m] else sdc.SYMBOL for n, m in zip(p.children, p.measure)],
            "Full economic cost": cols["full_economic"],
            "Cost to the funder": cols["to_funder"],
            "Staff cost only": cols["staff"],
        }
    )


def cost_per_child_published(v: ProgrammeCosts | ValueForMoney, measure: str, log: DisclosureLog) -> bool:
    """Whether a cost per child at `measure` may be published: its count is registered (by the engagement tables or
    per_outcome_table), not small and hidden nowhere."""
    q = COUNT_OF[measure]
    return q in log.pub.values and not log.pub.must_hide(q) and not log.policy.small(log.pub.values[q])


def costs_results(v: ProgrammeCosts, vfm: ValueForMoney | None, log: DisclosureLog) -> dict:
    """results.json's costs section: the cost figures (and value for money where it was assessed), with each cost
    per child only where its count is published."""
    out = vfm.to_results() if vfm is not None else v.to_results()
    if out.get("renewal"):
        renewal = out["renewal"]
        for key in ("throughput_people", "throughput_days", "month_days"):
            renewal.pop(key, None)  # the count behind the throughput is published (or not) by its own table
        if not renewal_published(v, log):
            for key in (*_RENEWAL_LINEAR, *_RENEWAL_COST_PER):
                renewal[key] = None
            for option in out.get("renewal_options", [])[1:]:
                option.update(dict.fromkeys(_OPTION_FIGURES))
    for measure, key in (
        ("engaged", "cost_per_child_engaged"),
        ("engaged", "staff_cost_per_child_engaged"),
        ("positively_engaged", "cost_per_positively_engaged"),
        ("intervention_arranged", "cost_per_intervention_arranged"),
        ("intervention_started", "cost_per_intervention_started"),
    ):
        if not cost_per_child_published(v, measure, log):
            out[key] = None
    for item in out["as_reported"]:
        if item["measure"] in _RECON_COUNT and not cost_per_child_published(v, _RECON_COUNT[item["measure"]], log):
            item["recomputed"] = None
    return out


def reconciliation_table(v: ProgrammeCosts, log: DisclosureLog) -> pd.DataFrame:
    """As-reported cost figures beside the same figures recomputed over the period; a recomputed cost per child
    only where its count is published."""
    r = v.reconciliation
    recomputed = []
    for x in r.itertuples():
        count_of = _RECON_COUNT.get(x.measure)
        if count_of is not None and not cost_per_child_published(v, count_of, log):
            log.add("costs_reconciliation", x.statement, "recomputed", "its number of children is not published")
            recomputed.append(sdc.SYMBOL)
            continue
        if count_of is not None:
            log.pub.ratio(
                v.period.of(x.basis), {COUNT_OF[count_of]: 1.0}, x.recomputed, 0 if abs(x.recomputed) >= 100 else 2, "costs_reconciliation"
            )
        recomputed.append(f"{_pounds(x.recomputed)} ({'staff' if x.basis == 'staff' else 'all costs'})")
    return pd.DataFrame(
        {"As stated": r.statement, "Stated": r.reported.map(_pounds), "Recomputed, same period": recomputed, "Why they differ": r.reasons}
    )


def benefits_table(v: ValueForMoney) -> pd.DataFrame:
    b = v.benefits
    rows = []
    for r in b.itertuples():
        e = v.effects[r.outcome]
        rows.append(
            {
                "Outcome": OUTCOMES[r.outcome][1],
                "Rate ratio used": f"{math.exp(e.log_rr):.2f}",
                "Events averted (a year, all programme children)": f"{r.averted:,.1f}",
                "Fiscal": money(r.fiscal),
                "Economic": money(r.economic),
                "Social": money(r.social + r.unsplit),
                "Public value": money(r.public_value),
            }
        )
    rows.append(
        {
            "Outcome": "Total",
            "Rate ratio used": "",
            "Events averted (a year, all programme children)": "",
            "Fiscal": money(b.fiscal.sum()),
            "Economic": money(b.economic.sum()),
            "Social": money((b.social + b.unsplit).sum()),
            "Public value": money(b.public_value.sum()),
        }
    )
    return pd.DataFrame(rows)


def vfm_table(v: ValueForMoney) -> pd.DataFrame:
    lo, hi = v.bcr_interval
    flo, fhi = float(pd.Series(v.mc_bcr_fiscal).quantile(0.025)), float(pd.Series(v.mc_bcr_fiscal).quantile(0.975))
    rows = [
        ("Cost (full economic, period evaluated)", money(v.cost)),
        ("Benefits, public value", money(v.benefits.public_value.sum())),
        ("Net present value", money(v.npv)),
        ("Benefit-cost ratio, public value (95% range)", f"{v.bcr:.2f} ({lo:.2f} to {hi:.2f})"),
        ("Chance the benefit-cost ratio is above 1", chance(v.prob_bcr_above_1)),
        ("Benefit-cost ratio, fiscal only (95% range)", f"{v.bcr_fiscal:.2f} ({flo:.2f} to {fhi:.2f})"),
        ("Benefit-cost ratio, cashable only", f"{v.bcr_cashable:.2f}"),
        ("Return on investment, public value", pct(v.roi)),
        (
            "Payback period",
            f"{v.payback_years:.1f} years"
            if v.payback_years is not None
            else f"not within the {v.parameters['horizon_years']}-year horizon",
        ),
    ]
    for o, c in v.cost_per_event_averted.items():
        noun = OUTCOMES[o][1].lower().split(" (")[0]
        rows.append((f"Cost per {noun[:-1] if noun.endswith('s') else noun} averted (point estimate)", money(c) if c else "none averted"))
    if v.reoffenders_avoided is not None:
        c = v.cost_per_reoffender_avoided
        rows.append(("Cost per proven reoffender avoided (point estimate)", money(c) if c else "none avoided"))
    rows.append(("Price base", f"{v.price_year} prices"))
    return pd.DataFrame(rows, columns=["Measure", "Value"])


def break_even_table(v: ValueForMoney) -> pd.DataFrame:
    b = v.break_even
    return pd.DataFrame(
        {
            "Offence group": b.offence_group.str.replace("_", " "),
            "Public value per offence": b.unit_public_value.map(money),
            "Offences averted to pay for the programme": b.averted_needed.map(lambda x: f"{x:,.1f}"),
            "…counting fiscal savings only": b.averted_needed_fiscal.map(lambda x: f"{x:,.1f}" if math.isfinite(x) else "no fiscal split"),
        }
    )


def switching_text(v: ValueForMoney) -> str:
    s = v.switching
    if not math.isfinite(s["unit_cost_scale"]):  # the estimated benefits are zero or negative
        lines = [
            "- No scaling of the unit costs, and no share of the effect attributed to the programme, would make benefits equal "
            "costs: at the central estimates the harm the programme averted is outweighed by the harm estimated where the "
            "effects point the other way, so the net benefit is below zero."
        ]
    else:
        lines = [
            f"- All unit costs would have to be **{100 * s['unit_cost_scale']:.0f}%** of the values used for benefits just to equal costs."
        ]
    if v.parameters["attribution"] > 0 and math.isfinite(s["attribution"]):
        lines.append(
            f"- Equivalently, the programme would need to be responsible for only **{100 * s['attribution']:.0f}%** of the "
            "estimated effect (the rest due to other schemes) for benefits to equal costs."
        )
    for o in v.effects:
        val = s.get(f"rate_ratio_{o}")
        noun = OUTCOMES[o][1].lower()
        if val is None:
            lines.append(f"- The benefits exceed the costs whatever the effect on {noun}, given the other estimates.")
        else:
            lines.append(
                f"- Holding the rest fixed, the effect on {noun} would have to be a rate ratio of **{val:.2f}** for benefits to "
                f"equal costs (estimate: {math.exp(v.effects[o].log_rr):.2f})."
            )
    return "Switching values (the value at which benefits would equal costs):\n\n" + "\n".join(lines)


#: renewal figures that are multiples of the people counted over the throughput's basis (people / days)
_RENEWAL_LINEAR = ("children_per_month_observed", "children_if_current_team", "children_if_staffing_scaled")
_RENEWAL_COST_PER = {
    "cost_per_child_if_current_team": "children_if_current_team",
    "cost_per_child_if_staffing_scaled": "children_if_staffing_scaled",
}
#: what each cost per child divides: today's team at today's costs, or the offered budget
_RENEWAL_SPEND = {"cost_per_child_if_current_team": "funder_run_rate", "cost_per_child_if_staffing_scaled": "budget"}


def renewal_published(c: ProgrammeCosts, log: DisclosureLog) -> bool:
    """Whether the renewal's throughput figures may be published, decided once for the text and results.json. Each
    is a fixed multiple of the people counted over its basis (the whole period, or the latest phase), so with the
    basis's length known it pins that count: they are registered as such, and shown only if the count is not
    small and the audit stays clean."""
    pub, r = log.pub, c.renewal
    if r is None:
        return False
    if "renewal" in pub.decisions:
        return pub.decisions["renewal"]["figures"]
    from .phases import phase_quantity

    q = quantity("Total") if r["throughput_phase"] is None else phase_quantity(r["throughput_phase"], "engaged")
    per_person = r["month_days"] / r["throughput_days"]  # people a month for each person counted
    factor = {
        "children_per_month_observed": per_person,
        "children_if_current_team": per_person * r["months"],
        "children_if_staffing_scaled": per_person * r["months"] * (r["children_if_staffing_scaled"] / r["children_if_current_team"])
        if r["children_if_current_team"]
        else 0.0,
    }

    def register() -> None:
        for key in _RENEWAL_LINEAR:
            pub.linear({q: factor[key]}, r[key], 1 if key == "children_per_month_observed" else 0, "renewal")
        for key, of in _RENEWAL_COST_PER.items():
            if factor[of] and math.isfinite(r[key]):
                pub.ratio(r[_RENEWAL_SPEND[key]], {q: factor[of]}, r[key], 0, "renewal")

    ok = q in pub.values and not log.policy.small(r["throughput_people"]) and pub.safe_to_show(register)
    if ok:
        register()
    else:
        log.add("renewal", "throughput", "people a month", "rests on a count that is small or hidden")
    pub.decisions["renewal"] = {"figures": ok}
    return ok


def renewal_text(v: ProgrammeCosts, log: DisclosureLog) -> str:
    r = v.renewal
    if not r:
        return ""
    shown = renewal_published(v, log)
    basis = r.get("throughput_basis", "the period evaluated")
    lines = [
        f"**Renewal scenario: {money(r['budget'])} over {r['months']} months.** "
        + (
            f"At the throughput observed over {basis} ({r['children_per_month_observed']:.1f} children a month), today's team "
            f"would engage about {r['children_if_current_team']:,.0f} children in {r['months']} months, at today's costs "
            f"({money(r['funder_run_rate'])}) {money(r['cost_per_child_if_current_team'])} each."
            if shown
            else f"The throughput observed over {basis} rests on too few children to publish what the team would achieve."
        )
    ]
    if r["budget"] > r["funder_run_rate"]:
        lines.append(
            f"**The budget is above the current run-rate** ({money(r['funder_run_rate'])} for {r['months']} months at the rate of "
            f"{pd.Period(r['reference_month']).strftime('%B %Y')}): at today's costs the extra {money(r['budget'] - r['funder_run_rate'])} "
            "reaches no more people unless the team grows or costs rise."
        )
    if r["below_run_rate"] or r["below_staff_run_rate"]:
        lines.append(
            f"**Flag: the budget is below the current run-rate.** The staff alone cost {money(r['staff_run_rate'])} for "
            f"{r['months']} months at the rate of {pd.Period(r['reference_month']).strftime('%B %Y')}, and everything the funder "
            f"paid for {money(r['funder_run_rate'])}. Either the team shrinks, or costs are left out of the budget."
            + (
                f" If staffing is scaled to the budget and throughput with it, about {r['children_if_staffing_scaled']:,.0f} children "
                f"would be engaged, at {money(r['cost_per_child_if_staffing_scaled'])} each."
                if shown
                else ""
            )
        )
    return "\n\n".join(lines)


#: the renewal options' figures that rest on the throughput count (hidden with the renewal's own figures)
_OPTION_FIGURES = ("people_reached", "cost_per_person", "benefits", "npv", "bcr", "prob_better_than_nothing")
EVIDENCE_WORDS = {
    "strong": "strong (a statistically significant reduction, with the pre-period trends agreeing)",
    "moderate": "moderate (a reduction whose range includes no change, or a trend check that cannot confirm parallel trends)",
    "weak": "weak (no reduction, or trends that already differed before the arrest)",
}


def renewal_options_table(v: ValueForMoney, c: ProgrammeCosts, log: DisclosureLog) -> pd.DataFrame:
    """The renewal as an options appraisal, one row per option; the figures resting on the throughput count are shown
    only where the renewal's own figures are."""
    shown = renewal_published(c, log)
    rows = []
    for o in v.renewal_options:
        stop = o["bcr"] is None and not o["cost"]

        def cell(key: str, fmt) -> str:
            if stop:
                return "–"
            if not shown and key in _OPTION_FIGURES:
                return sdc.SYMBOL
            x = o[key]
            return "–" if x is None else fmt(x)

        rows.append(
            {
                "Option": o["name"],
                "What it buys": o["basis"],
                "Cost (present value)": money(o["cost"]) if o["cost"] else "£0",
                "People reached": cell("people_reached", lambda x: f"{x:,.0f}"),
                "Cost per person": cell("cost_per_person", money),
                "Benefits (public value)": cell("benefits", money),
                "Net present value": cell("npv", money),
                "Benefit-cost ratio": cell("bcr", lambda x: f"{x:.2f}"),
                "Chance it beats stopping": cell("prob_better_than_nothing", chance),
            }
        )
    return pd.DataFrame(rows)


def renewal_options_text(v: ValueForMoney) -> str:
    """How the options were appraised: the horizon, ramp-up, discounting, and the optimism bias for this evidence."""
    if not v.renewal_options:
        return ""
    e, p = v.evidence, v.parameters
    o = v.renewal_options[1]
    years = p["horizon_years"]
    harm = o["benefits"] <= 0
    bias = (
        "with no optimism bias taken off, as the evaluated effect is a net harm and a bias correction would only shrink it "
        f"(the evidence is {EVIDENCE_WORDS[e['grade']]})"
        if harm
        else f"less an optimism bias of **{100 * o['optimism_bias_benefits']:.0f}%** because the evidence is {EVIDENCE_WORDS[e['grade']]}"
    )
    ramp = o["ramp_up_months"]
    return (
        f"Each renewal option's people bring the public value per person this evaluation estimated, over {years} "
        f"year{'s' if years != 1 else ''} of benefits, {bias}; costs carry an optimism bias of "
        f"{100 * p['optimism_bias_costs']:.0f}%. A new period loses half of its first {ramp:g} month{'s' if ramp != 1 else ''} "
        f"of people to ramp-up, and costs and benefits are discounted at {100 * p['discount_rate']:.1f}% from the middle of the "
        "renewal, so the cost per person here is above the cost per child engaged in the period evaluated. "
        "The chance an option beats stopping is the share of the simulations (effects and unit costs drawn together) in which "
        "its net present value is positive. These are the evaluated effects carried forward: they assume the renewed team "
        "works as the evaluated one did, with people like those it met."
    )


AGENCY_CASHABLE_NOTE = "Cashable: the share [costs] cashable_shares counts as budget an agency could actually release."


def fiscal_by_agency_table(v: ValueForMoney) -> pd.DataFrame:
    shares = v.parameters["cashable_shares"]
    rows = [
        {
            "Agency": AGENCY_LABELS[a],
            "Fiscal value": money(x),
            "Cashable share": pct(shares.get(a, 0.0)),
            "Cashable value": money(x * shares.get(a, 0.0)),
        }
        for a, x in v.fiscal_by_agency.items()
        if abs(x) >= 0.5
    ]
    total = sum(v.fiscal_by_agency.values())
    rows.append({"Agency": "Total", "Fiscal value": money(total), "Cashable share": "", "Cashable value": money(v.cashable)})
    return pd.DataFrame(rows)


def unit_cost_appendix(v: ValueForMoney | SpellsResult) -> pd.DataFrame:
    u = v.unit_costs_used

    def orig(r):
        parts = [f"{t} £{float(getattr(r, t)):,.2f}" for t in ("fiscal", "economic", "social") if not pd.isna(getattr(r, t))]
        if not parts and not pd.isna(r.total):
            parts = [f"total £{float(r.total):,.2f}"]
        return "; ".join(parts)

    return pd.DataFrame(
        {
            "Unit cost": u["item"],
            "Original values (price year)": [
                f"{orig(r)} ({r.price_year}{', deflator interpolated' if r.deflator_interpolated else ''})" for r in u.itertuples()
            ],
            f"Public value in {v.price_year} prices": u.uprated_public_value.map(lambda x: f"£{x:,.2f}"),
            "Used for": u.applies_to.str.replace("offence:", "offences: ")
            .str.replace("victimisation:", "victimisations: ")
            .str.replace("_", " "),
            "Source (status)": u.citation
            + u.url.map(lambda x: f" ({x})" if isinstance(x, str) else "")
            + " ["
            + u.status
            + u.confidence.map(lambda x: f"; {x}" if isinstance(x, str) else "")
            + "]",
        }
    )


def deflator_note(v: ValueForMoney | SpellsResult) -> str:
    d = v.deflator_source
    return (
        f"Prices are uprated with the {d['series']} ({d['base']}), {d['release']}: {d['citation']} ({d['url']}); {d['status']} source. "
        "HM Treasury's financial-year series was not available here, so a financial year is taken as three quarters of its "
        "first calendar year and one quarter of the next."
    )


def tornado_alt(v: ValueForMoney) -> str:
    t = v.tornado
    if v.tornado_on_npv:
        parts = "; ".join(f"{r.parameter}: {money(r.npv_low)} to {money(r.npv_high)}" for r in t.itertuples())
        return (
            f"Tornado chart of the net present value (base {money(t.base_npv.iloc[0])}; benefits are negative, so a ratio "
            f"would mislead) as each input varies over its range: {parts}."
        )
    parts = "; ".join(f"{r.parameter}: {r.low:.2f} to {r.high:.2f}" for r in t.itertuples())
    return f"Tornado chart of the benefit-cost ratio (base {t.base.iloc[0]:.2f}) as each input varies over its range: {parts}."


__all__ = [
    "costs_headline",
    "vfm_headline",
    "period_costs_table",
    "per_outcome_table",
    "cost_per_child_published",
    "costs_results",
    "reconciliation_table",
    "benefits_table",
    "vfm_table",
    "break_even_table",
    "switching_text",
    "renewal_text",
    "renewal_published",
    "renewal_options_table",
    "renewal_options_text",
    "fiscal_by_agency_table",
    "AGENCY_CASHABLE_NOTE",
    "unit_cost_appendix",
    "deflator_note",
    "tornado_alt",
]
