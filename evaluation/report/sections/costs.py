"""Value-for-money section, written for commissioners: cost per child first, then the benefit-cost
ratio with its uncertainty in plain words, break-even, sensitivity and the renewal scenario; and
the appendix that traces every unit cost to its source."""
from __future__ import annotations

import math

import pandas as pd

from ... import disclosure as sdc
from ...costs import ValueForMoney
from ...disclosure import DisclosureLog
from ...outcomes import OUTCOMES
from ..formatting import money, pct

CATEGORY_LABELS = {"staff": "Staff", "management": "Management", "activities": "Activities", "overheads": "Overheads",
                   "in_kind": "In kind (not paid by the funder)"}


def _pounds(x: float) -> str:
    return money(x) if abs(x) >= 100 else f"£{x:,.2f}"


def costs_headline(v: ValueForMoney, log: DisclosureLog) -> str:
    po = v.per_outcome.set_index("measure")
    start, end = v.period.start, v.period.end
    lo, hi = v.bcr_interval
    lines = [
        f"Over the period evaluated ({start:%-d %B %Y} to {end:%-d %B %Y}, {v.period.days} days) the programme cost "
        f"**{money(v.period.full_economic)}**, of which staff {money(v.period.of('staff'))}. It engaged {log.count_text(v.reached['engaged'])} children: "
        f"**{money(po.loc['engaged', 'full_economic'])} per child engaged** ({money(po.loc['engaged', 'staff'])} in staff costs alone) and "
        f"**{money(po.loc['intervention_arranged', 'full_economic'])} per intervention arranged**. Cost and children are counted over the "
        "same days.",
        f"Valuing the offences, victimisations and missing episodes the programme is estimated to have averted, every £1 spent returned "
        f"an estimated **£{v.bcr:.2f}** in public value (fiscal, economic and social), a net present value of {money(v.npv)}. Allowing for "
        f"the uncertainty in the effect estimates and unit costs, the return lies between **£{lo:.2f} and £{hi:.2f}** per £1 in 95% of "
        f"{len(v.mc_bcr):,} simulations, and the chance that benefits exceed costs is **{pct(v.prob_bcr_above_1)}**. Counting only "
        f"savings to the public purse, the return is £{v.bcr_fiscal:.2f} per £1.",
    ]
    if lo < 1 < hi:
        lines.append("Because that range includes returns below £1, the evidence cannot rule out that the programme costs more than the "
                     "harm it prevents; the effect estimates behind it are not statistically significant on their own.")
    return "\n\n".join(lines)


def period_costs_table(v: ValueForMoney) -> pd.DataFrame:
    lines = v.period.lines
    rows = []
    for r in lines.itertuples():
        rows.append({"Cost line": r.item, "Category": CATEGORY_LABELS.get(r.category, r.category),
                     "Line covers": f"{r.start_date:%-d %b %Y} to {r.end_date:%-d %b %Y}", "Line amount": money(r.amount_gbp, 2),
                     "Days in period": f"{r.days_in_period} of {r.line_days}", "In the period": money(r.amount_in_period, 2)})
    rows.append({"Cost line": "Total (full economic cost)", "Category": "", "Line covers": "", "Line amount": money(lines.amount_gbp.sum(), 2),
                 "Days in period": "", "In the period": money(v.period.full_economic, 2)})
    return pd.DataFrame(rows)


def per_outcome_table(v: ValueForMoney, log: DisclosureLog) -> pd.DataFrame:
    """Cost per child at each stage; a small count is suppressed, and so its cost per child (cost / n reveals n)."""
    p = v.per_outcome
    small = p.children.map(log.policy.small)
    for label in p.label[small]:
        log.add("costs_per_outcome", label, "children", "small number of children (cost per child would reveal it)")
    money_or_c = lambda col: [sdc.SYMBOL if sm else _pounds(x) for x, sm in zip(p[col], small)]  # noqa: E731
    return pd.DataFrame({"Cost per": p.label, "Children": [sdc.SYMBOL if sm else f"{n:,}" for n, sm in zip(p.children, small)],
                         "Full economic cost": money_or_c("full_economic"), "Cost to the funder": money_or_c("to_funder"),
                         "Staff cost only": money_or_c("staff")})


def reconciliation_table(v: ValueForMoney) -> pd.DataFrame:
    r = v.reconciliation
    return pd.DataFrame({"As stated": r.statement, "Stated": r.reported.map(_pounds),
                         "Recomputed, same period": [f"{_pounds(x)} ({'staff' if b == 'staff' else 'all costs'})" for x, b in zip(r.recomputed, r.basis)],
                         "Why they differ": r.reasons})


def benefits_table(v: ValueForMoney) -> pd.DataFrame:
    b = v.benefits
    rows = []
    for r in b.itertuples():
        e = v.effects[r.outcome]
        rows.append({"Outcome": OUTCOMES[r.outcome][1], "Rate ratio used": f"{math.exp(e.log_rr):.2f}",
                     "Events averted (a year, all programme children)": f"{r.averted:,.1f}",
                     "Fiscal": money(r.fiscal), "Economic": money(r.economic), "Social": money(r.social + r.unsplit),
                     "Public value": money(r.public_value)})
    rows.append({"Outcome": "Total", "Rate ratio used": "", "Events averted (a year, all programme children)": "",
                 "Fiscal": money(b.fiscal.sum()), "Economic": money(b.economic.sum()), "Social": money((b.social + b.unsplit).sum()),
                 "Public value": money(b.public_value.sum())})
    return pd.DataFrame(rows)


def vfm_table(v: ValueForMoney) -> pd.DataFrame:
    lo, hi = v.bcr_interval
    flo, fhi = float(pd.Series(v.mc_bcr_fiscal).quantile(0.025)), float(pd.Series(v.mc_bcr_fiscal).quantile(0.975))
    rows = [
        ("Cost (full economic, period evaluated)", money(v.cost)),
        ("Benefits, public value", money(v.benefits.public_value.sum())),
        ("Net present value", money(v.npv)),
        ("Benefit-cost ratio, public value (95% range)", f"{v.bcr:.2f} ({lo:.2f} to {hi:.2f})"),
        ("Chance the benefit-cost ratio is above 1", pct(v.prob_bcr_above_1)),
        ("Benefit-cost ratio, fiscal only (95% range)", f"{v.bcr_fiscal:.2f} ({flo:.2f} to {fhi:.2f})"),
        ("Return on investment, public value", pct(v.roi)),
        ("Price base", f"{v.price_year} prices"),
    ]
    return pd.DataFrame(rows, columns=["Measure", "Value"])


def break_even_table(v: ValueForMoney) -> pd.DataFrame:
    b = v.break_even
    return pd.DataFrame({"Offence group": b.offence_group.str.replace("_", " "), "Public value per offence": b.unit_public_value.map(money),
                         "Offences averted to pay for the programme": b.averted_needed.map(lambda x: f"{x:,.1f}"),
                         "…counting fiscal savings only": b.averted_needed_fiscal.map(lambda x: f"{x:,.1f}")})


def switching_text(v: ValueForMoney) -> str:
    s = v.switching
    lines = [f"- All unit costs would have to be **{100 * s['unit_cost_scale']:.0f}%** of the values used for benefits just to equal costs."]
    if v.parameters["attribution"] > 0:
        lines.append(f"- Equivalently, the programme would need to be responsible for only **{100 * s['attribution']:.0f}%** of the "
                     "estimated effect (the rest due to other schemes) for benefits to equal costs.")
    for o in OUTCOMES:
        val = s.get(f"rate_ratio_{o}")
        noun = OUTCOMES[o][1].lower()
        if val is None:
            lines.append(f"- The benefits exceed the costs whatever the effect on {noun}, given the other estimates.")
        else:
            lines.append(f"- Holding the rest fixed, the effect on {noun} would have to be a rate ratio of **{val:.2f}** for benefits to "
                         f"equal costs (estimate: {math.exp(v.effects[o].log_rr):.2f}).")
    return "Switching values (the value at which benefits would equal costs):\n\n" + "\n".join(lines)


def renewal_text(v: ValueForMoney) -> str:
    r = v.renewal
    if not r:
        return ""
    lines = [f"**Renewal scenario: {money(r['budget'])} over {r['months']} months.** At the throughput observed "
             f"({r['children_per_month_observed']:.0f} children a month), the current team would engage about "
             f"{r['children_if_current_team']:,.0f} children, {money(r['cost_per_child_if_current_team'])} each."]
    if r["below_run_rate"] or r["below_staff_run_rate"]:
        lines.append(f"**Flag: the budget is below the current run-rate.** The staff alone cost {money(r['staff_run_rate'])} for "
                     f"{r['months']} months at the rate of {pd.Period(r['reference_month']).strftime('%B %Y')}, and everything the funder "
                     f"paid for {money(r['funder_run_rate'])}. Either the team shrinks, or costs are left out of the budget. If staffing "
                     f"is scaled to the budget and throughput with it, about {r['children_if_staffing_scaled']:,.0f} children would be "
                     f"engaged, at {money(r['cost_per_child_if_staffing_scaled'])} each.")
    return "\n\n".join(lines)


def unit_cost_appendix(v: ValueForMoney) -> pd.DataFrame:
    u = v.unit_costs_used
    def orig(r):
        parts = [f"{t} £{float(getattr(r, t)):,.2f}" for t in ("fiscal", "economic", "social") if not pd.isna(getattr(r, t))]
        if not parts and not pd.isna(r.total):
            parts = [f"total £{float(r.total):,.2f}"]
        return "; ".join(parts)
    return pd.DataFrame({
        "Unit cost": u["item"],
        "Original values (price year)": [f"{orig(r)} ({r.price_year}{', deflator interpolated' if r.deflator_interpolated else ''})"
                                         for r in u.itertuples()],
        f"Public value in {v.price_year} prices": u.uprated_public_value.map(lambda x: f"£{x:,.2f}"),
        "Used for": u.applies_to.str.replace("offence:", "offences: ").str.replace("victimisation:", "victimisations: ").str.replace("_", " "),
        "Source (status)": u.citation + u.url.map(lambda x: f" ({x})" if isinstance(x, str) else "") + " [" + u.status
                           + u.confidence.map(lambda x: f"; {x}" if isinstance(x, str) else "") + "]",
    })


def deflator_note() -> str:
    from ...costs import deflators

    d = deflators().iloc[0]
    return (f"Prices are uprated with the {d.series} ({d.base}), {d.release}: {d.citation} ({d.url}); {d.status} source. Financial "
            "years are taken as three quarters of their first calendar year and one quarter of the next.")


def tornado_alt(v: ValueForMoney) -> str:
    t = v.tornado
    parts = "; ".join(f"{r.parameter}: {r.low:.2f} to {r.high:.2f}" for r in t.itertuples())
    return f"Tornado chart of the benefit-cost ratio (base {t.base.iloc[0]:.2f}) as each input varies over its range: {parts}."


__all__ = ["costs_headline", "period_costs_table", "per_outcome_table", "reconciliation_table", "benefits_table", "vfm_table",
           "break_even_table", "switching_text", "renewal_text", "unit_cost_appendix", "deflator_note", "tornado_alt"]
