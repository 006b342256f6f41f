"""Costs and value for money: period-consistent cost per outcome, benefits from averted harm, NPV and
benefit-cost ratio with uncertainty, break-even, switching values and a renewal scenario.

Principles:

* Costs over a period: each cost line is apportioned by day to the analysis window (amount x days
  of the line inside the window / days of the line). Full economic cost includes in-kind lines; the
  cost to the funder leaves them out. Cost per outcome always divides a cost over the programme
  period by the children reached in that same period, each counted once.
* Benefits: events averted (offences, victimisations, missing episodes) come from the matched
  before/after estimates: for each outcome, programme children's observed rate after the index
  times (1 / ratio of rate ratios - 1), per child-year, for every programme child. They are split
  by type with the matched comparison group's after-window mix (what would otherwise have
  happened), valued with unit costs from evaluation/data/unit_costs.csv (or the data folder's
  unit_costs table) uprated to the price base with HM Treasury GDP deflators, and split into
  fiscal (public purse), economic and social value as the GMCA / HM Treasury CBA guidance does
  (Supporting public service transformation, 2014). Deadweight is already in the counterfactual:
  the comparison group shows what would have happened anyway. Attribution and optimism-bias
  parameters adjust the result; beyond the first year benefits are discounted at the Green Book
  rate.
* Public value = fiscal + economic + social; the financial case uses fiscal value only.
* Uncertainty: Monte Carlo (seeded, vectorised) over the effect estimates, drawn jointly (multivariate
  normal on the log rate ratios, with the covariance of the three difference-in-differences from
  their stacked estimating equations, since they rest on the same children and matched sets), and
  over the unit-cost ranges; one-way sensitivity for a tornado chart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd

from ._resources import package_path
from .engine import join_events
from .estimate import Estimate
from .outcomes import OUTCOMES, OutcomesResult
from .stats import Z95
from .validation import AGENCIES, parse_fiscal_agency

VALUE_TYPES = ("fiscal", "economic", "social")
DAYS_PER_MONTH = 365.25 / 12


class CostError(ValueError):
    """Costs cannot be computed as configured (e.g. an outcome has no unit cost)."""


# --------------------------------------------------------------------------------------------
# Unit costs and prices


def shipped_unit_costs() -> pd.DataFrame:
    return pd.read_csv(package_path("data", "unit_costs.csv"), dtype={"price_year": str}).set_index("key")


def unit_cost_library(data) -> pd.DataFrame:
    """The shipped library with the data folder's unit_costs rows replacing or adding by key."""
    lib = shipped_unit_costs()
    lib["origin"] = "package library"
    user = getattr(data, "unit_costs", None)
    if user is not None and len(user):
        u = user.copy().set_index("key")
        u["origin"] = "data folder (unit_costs)"
        u["status"] = u.status.fillna("local")
        lib = pd.concat([lib.drop(index=[k for k in u.index if k in lib.index]), u.reindex(columns=lib.columns)])
    return lib


#: The shipped benefit maps, by [costs] crime_costs.
CRIME_COST_SETS = {
    "gmca_2010_11": ("benefit_map.csv", "Home Office 2010/11 crime costs split into fiscal, economic and social value (GMCA v1.4)"),
    "rr99_2015_16": ("benefit_map_rr99.csv", "Home Office 2015/16 crime costs (RR99 totals, no split) where known, GMCA elsewhere"),
}
#: Offence groups with no direct victim (crimes against society): valued at the police and criminal-justice response only.
VICTIMLESS_GROUPS = ("drugs", "possession_of_weapons", "public_order")


def benefit_map(data, crime_costs: str | None = None) -> dict[str, str]:
    """Which unit cost values each outcome: the shipped map of the crime-cost set ([costs] crime_costs unless
    given), then the unit_costs table's applies_to, then config."""
    file = CRIME_COST_SETS[crime_costs or data.config.costs.crime_costs][0]
    mapping = dict(pd.read_csv(package_path("data", file)).set_index("applies_to").unit_cost_key)
    user = getattr(data, "unit_costs", None)
    if user is not None and "applies_to" in user:
        mapping.update({a: k for a, k in zip(user.applies_to, user.key) if isinstance(a, str) and a})
    mapping.update(dict(data.config.costs.benefit_map))
    return mapping


def deflators() -> pd.DataFrame:
    return pd.read_csv(package_path("data", "gdp_deflator.csv")).set_index("year")


def deflator_source() -> dict[str, Any]:
    """The price index used to uprate unit costs: series, base, release, citation, url, status."""
    return {k: v for k, v in deflators().iloc[0].items() if k in ("series", "base", "release", "citation", "url", "status")}


def deflator_index(label: str) -> tuple[float, bool]:
    """GDP deflator for a calendar year ('2019') or financial year ('2019/20' = 0.75 x 2019 + 0.25 x 2020).

    Years missing from the shipped series are interpolated geometrically between the nearest
    years either side; the flag says so. Years outside the series cannot be uprated.
    """
    series = deflators()["index"]
    years = series.index.to_numpy()

    def year_value(y: int) -> tuple[float, bool]:
        if y in series.index:
            return float(series[y]), False
        lower, upper = years[years < y], years[years > y]
        if not len(lower) or not len(upper):
            raise CostError(f"price year {label}: the GDP deflator series covers {years.min()} to {years.max()} only")
        a, b = int(lower.max()), int(upper.min())
        return float(series[a] * (series[b] / series[a]) ** ((y - a) / (b - a))), True

    if "/" in label:
        y = int(label[:4])
        (v1, f1), (v2, f2) = year_value(y), year_value(y + 1)
        return 0.75 * v1 + 0.25 * v2, f1 or f2
    return year_value(int(label))


def financial_year(date) -> str:
    d = pd.Timestamp(date)
    start = d.year if d.month >= 4 else d.year - 1
    return f"{start}/{str(start + 1)[2:]}"


# --------------------------------------------------------------------------------------------
# Costs over a period


def apportion(costs: pd.DataFrame, start, end) -> pd.DataFrame:
    """Each cost line's share inside [start, end] (inclusive dates), apportioned by day."""
    s, e = pd.Timestamp(start), pd.Timestamp(end)
    c = costs.copy()
    line_days = (c.end_date - c.start_date).dt.days + 1
    overlap = (c.end_date.clip(upper=e) - c.start_date.clip(lower=s)).dt.days + 1
    c["line_days"] = line_days
    c["days_in_period"] = overlap.clip(lower=0)
    c["amount_in_period"] = c.amount_gbp * c.days_in_period / c.line_days
    return c


@dataclass
class PeriodCosts:
    start: pd.Timestamp
    end: pd.Timestamp
    lines: pd.DataFrame

    @property
    def days(self) -> int:
        return int((self.end - self.start).days) + 1

    @property
    def full_economic(self) -> float:
        return float(self.lines.amount_in_period.sum())

    @property
    def to_funder(self) -> float:
        return float(self.lines[self.lines.category != "in_kind"].amount_in_period.sum())

    @property
    def in_kind(self) -> float:
        return float(self.lines[self.lines.category == "in_kind"].amount_in_period.sum())

    def of(self, basis: str) -> float:
        return self.full_economic if basis == "all" else float(self.lines[self.lines.category == basis].amount_in_period.sum())

    def by_category(self) -> pd.Series:
        return self.lines.groupby("category").amount_in_period.sum()


def children_reached(eng) -> dict[str, int]:
    """Children counted once, by how far they got, over the programme period (from the engagement analysis)."""
    kids = eng.children
    arranged = kids.outcome == "intervention_arranged"
    return {
        "engaged": len(kids),
        "positively_engaged": int(kids.outcome.isin(["intervention_arranged", "awaiting_intervention"]).sum()),
        "intervention_arranged": int(arranged.sum()),
        "intervention_started": int((arranged & kids.intervention_start_date.notna()).sum()),
    }


MEASURE_LABELS = {
    "engaged": "Child engaged (approached)",
    "positively_engaged": "Child positively engaged",
    "intervention_arranged": "Intervention arranged",
    "intervention_started": "Intervention started",
}


def cost_per_outcome(period: PeriodCosts, reached: dict[str, int]) -> pd.DataFrame:
    rows = []
    for key, n in reached.items():
        rows.append(
            {
                "measure": key,
                "label": MEASURE_LABELS[key],
                "children": n,
                "full_economic": period.full_economic / n if n else math.nan,
                "to_funder": period.to_funder / n if n else math.nan,
                "staff": period.of("staff") / n if n else math.nan,
            }
        )
    return pd.DataFrame(rows)


RECONCILIATION_DENOMINATOR = {
    "cost_per_child_engaged": "engaged",
    "cost_per_positive_outcome": "intervention_arranged",
    "cost_per_intervention_arranged": "intervention_arranged",
}


def reconcile(as_reported, period: PeriodCosts, reached: dict[str, int]) -> pd.DataFrame:
    """As-reported cost figures beside the period-consistent ones, with the reason for each difference."""
    rows = []
    per_day = {basis: period.of(basis) / period.days for basis in ("all", "staff")}
    for a in as_reported:
        cost = period.of(a.basis)
        if a.measure == "total_cost":
            recomputed, n = cost, None
        else:
            n = reached[RECONCILIATION_DENOMINATOR[a.measure]]
            recomputed = cost / n if n else math.nan
        reasons = []
        if a.numerator is not None and a.measure != "total_cost":
            days_covered = a.numerator / per_day[a.basis] if per_day[a.basis] else math.nan
            if abs(a.numerator - cost) > 0.01 * cost:
                reasons.append(
                    f"the cost divided (£{a.numerator:,.0f}) is about {days_covered:.0f} days of spending "
                    f"({days_covered / DAYS_PER_MONTH:.1f} months), but the children were reached over the whole "
                    f"{period.days}-day period ({period.days / DAYS_PER_MONTH:.1f} months), which cost £{cost:,.0f}"
                )
        if a.denominator is not None and n is not None and abs(a.denominator - n) > 0.5:
            reasons.append(f"the figure counts {a.denominator:g} children where the programme's own records give {n}")
        if a.numerator is not None and a.denominator:
            stated_ratio = a.numerator / a.denominator
            if abs(stated_ratio - a.value) > 0.01 * a.value:
                implied = a.numerator / a.value
                reasons.append(
                    f"£{a.numerator:,.0f} / {a.denominator:g} is £{stated_ratio:,.0f}, not £{a.value:,.0f}; "
                    f"£{a.value:,.0f} implies dividing by {implied:.1f}"
                )
        if not reasons:
            reasons.append(
                "consistent with the data"
                if abs(recomputed - a.value) <= 0.01 * a.value
                else "the stated working is not given, so the difference cannot be traced"
            )
        rows.append(
            {
                "measure": a.measure,
                "statement": a.statement,
                "source": a.source,
                "reported": a.value,
                "recomputed": recomputed,
                "basis": a.basis,
                "reasons": "; ".join(reasons),
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# Benefits


def counterfactual_mix(outcomes: OutcomesResult, data, window: int) -> dict[str, pd.Series]:
    """Share of each offence group among the offences and victimisations of the matched comparison
    group in the after-window (as observed, up to any later approach), with the matching weights: the
    mix of what the programme group would otherwise have had."""
    w = outcomes.windows
    assert outcomes.sample is not None  # compare_before_after() always keeps the matched units
    weights = outcomes.sample[outcomes.sample.treated == 0].set_index("unit_id").weight
    after = w[(w.window_months == window) & (w.period == "after") & w.unit_id.isin(weights.index)]
    # in the engine: each crime's share is taken over all its records, and only the comparison units' events in
    # their after-windows come back
    j = join_events(
        after[["unit_id", "person_id", "start", "stop", "index_detention_id"]],
        data.events,
        "e.event_date >= f.start AND e.event_date < f.stop "
        "AND (e.detention_id IS NULL OR e.detention_id IS DISTINCT FROM f.index_detention_id)",
        ("event_type", "offence_group", "share"),
        relation=CRIME_SHARES_SQL,
    )
    j = j.assign(w=lambda f: f.unit_id.map(weights))
    out = {}
    for et in ("offence", "victimisation"):
        x = j[j.event_type == et]
        s = (x.w * x.share).groupby(x.offence_group).sum()
        out[et] = s / x.w.sum() if x.w.sum() else s
    return out


#: The offences and victimisations, each with its share of its crime (see `crime_shares`), in the engine.
CRIME_SHARES_SQL = (
    "SELECT *, CASE WHEN crime_ref IS NULL THEN CAST(1 AS DOUBLE) "
    "ELSE CAST(1 AS DOUBLE) / CAST(count(*) OVER (PARTITION BY crime_ref) AS DOUBLE) END AS share "
    "FROM events WHERE event_type IN ('offence', 'victimisation')"
)


def crime_shares(events: pd.DataFrame) -> pd.Series:
    """Each offence or victimisation record's share of its crime (by event_id): 1 / the number of records with its
    crime_ref (co-suspects, a suspect who is also the victim, two cohort children in one crime), 1 without one.
    Valued this way a crime's cost is counted once however many records it has."""
    if "crime_ref" not in events or not events.crime_ref.notna().any():
        return pd.Series(1.0, index=events.event_id)
    k = events.groupby("crime_ref").event_id.transform("size")
    return pd.Series((1.0 / k).where(events.crime_ref.notna(), 1.0).to_numpy(), index=events.event_id)


@dataclass
class Valued:
    """Unit cost per outcome type (uprated), with its source row."""

    applies_to: str
    key: str
    fiscal: float
    economic: float
    social: float
    total_only: float  # a total without a split (e.g. RR99), else 0
    low_factor: float
    high_factor: float
    agency: dict[str, float] = field(default_factory=dict)  # who bears the fiscal value (shares summing to 1)

    @property
    def public_value(self) -> float:
        return self.fiscal + self.economic + self.social + self.total_only


def value_outcome_types(
    library: pd.DataFrame, mapping: dict[str, str], needed: list[str], price_year: str, uncertainty: float
) -> tuple[dict[str, Valued], pd.DataFrame]:
    """Uprated unit costs for every needed outcome type; stops naming any outcome without one."""
    missing = [a for a in needed if a not in mapping]
    unknown = [f"{a} -> {mapping[a]}" for a in needed if a in mapping and mapping[a] not in library.index]
    if missing or unknown:
        raise CostError(
            "no unit cost for: "
            + ", ".join(missing + unknown)
            + ". Add a row to the data folder's unit_costs table (with applies_to) or map the outcome in [costs] benefit_map."
        )
    target, _ = deflator_index(price_year)
    used: dict[str, dict[str, Any]]
    out, used = {}, {}
    for a in needed:
        key = mapping[a]
        row = library.loc[key]
        base, interp = deflator_index(str(row.price_year))
        factor = target / base
        vals = {v: (0.0 if pd.isna(row.get(v)) else float(row[v]) * factor) for v in VALUE_TYPES}
        has_split = any(not pd.isna(row.get(v)) for v in VALUE_TYPES)
        total_only = 0.0 if has_split or pd.isna(row.get("total")) else float(row.total) * factor
        central = sum(vals.values()) + total_only
        raw_central = central / factor if factor else 0
        if not pd.isna(row.get("low")) and not pd.isna(row.get("high")) and raw_central:
            lo, hi = float(row.low) / raw_central, float(row.high) / raw_central
        else:
            lo, hi = 1 - uncertainty, 1 + uncertainty
        agency = parse_fiscal_agency(row.get("fiscal_agency")) or {"police_criminal_justice_and_nhs": 1.0}
        out[a] = Valued(a, key, vals["fiscal"], vals["economic"], vals["social"], total_only, lo, hi, agency)
        used.setdefault(
            key,
            {
                "key": key,
                "item": row["item"],
                "price_year": row.price_year,
                "uprate_factor": factor,
                "deflator_interpolated": interp,
                "fiscal": row.get("fiscal"),
                "economic": row.get("economic"),
                "social": row.get("social"),
                "total": row.get("total"),
                "uprated_public_value": central,
                "covers": row.get("covers"),
                "citation": row.citation,
                "url": row.get("url"),
                "confidence": row.get("confidence"),
                "status": row.status,
                "notes": row.get("notes"),
                "origin": row.origin,
                "applies_to": [],
            },
        )
        used[key]["applies_to"].append(a)
    table = pd.DataFrame(list(used.values()))
    table["applies_to"] = table.applies_to.map(lambda xs: ", ".join(xs))
    return out, table


@dataclass
class Effect:
    outcome: str
    event_type: str
    log_rr: float
    log_se: float
    after_rate: float  # programme group, per child-year, observed after the index
    mix: pd.Series | None  # offence-group shares (offences, victimisations)

    def averted_per_child_year(self, log_rr: np.ndarray | float) -> np.ndarray | float:
        return self.after_rate * (np.exp(-np.asarray(log_rr)) - 1.0)


def outcome_types(effect: Effect) -> list[tuple[str, float]]:
    """The outcome types (benefit-map keys) one averted event of this outcome stands for, with their shares."""
    if effect.event_type == "missing_episode":
        return [("missing_episode", 1.0)]
    return [(f"{effect.event_type}:{g}", float(s)) for g, s in cast(pd.Series, effect.mix).items()]  # mix: offences, victimisations


def benefits_per_averted_event(effect: Effect, valued: dict[str, Valued]) -> dict[str, float]:
    """Value of one averted event of this outcome, by value type, averaged over its type mix."""
    out = {v: 0.0 for v in (*VALUE_TYPES, "unsplit")}
    for applies_to, share in outcome_types(effect):
        u = valued[applies_to]
        out["fiscal"] += share * u.fiscal
        out["economic"] += share * u.economic
        out["social"] += share * u.social
        out["unsplit"] += share * u.total_only
    return out


# --------------------------------------------------------------------------------------------
# Value for money


@dataclass
class ValueForMoney:
    period: PeriodCosts
    reached: dict[str, int]
    per_outcome: pd.DataFrame
    reconciliation: pd.DataFrame
    price_year: str
    effects: dict[str, Effect]
    valued: dict[str, Valued]
    unit_costs_used: pd.DataFrame
    n_children: int
    cost: float
    benefits: pd.DataFrame  # outcome, averted, fiscal, economic, social, unsplit, public_value (PV, adjusted)
    npv: float
    bcr: float
    bcr_fiscal: float
    roi: float
    mc_bcr: np.ndarray
    mc_bcr_fiscal: np.ndarray
    tornado: pd.DataFrame
    break_even: pd.DataFrame
    switching: dict[str, Any]
    renewal: dict[str, Any] | None
    parameters: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    fiscal_by_agency: dict[str, float] = field(default_factory=dict)  # fiscal value (PV, adjusted) by the agency bearing it
    cashable: float = 0.0  # the part of the fiscal value [costs] cashable_shares count as cashable
    evidence: dict[str, Any] = field(default_factory=dict)  # the evidence grade the renewal's optimism bias follows
    renewal_options: list[dict[str, Any]] = field(default_factory=list)
    reoffenders_avoided: float | None = None  # proven reoffenders avoided among the people credited (point estimate)

    @property
    def deflator_source(self) -> dict[str, Any]:
        return deflator_source()

    @property
    def cost_per_reoffender_avoided(self) -> float | None:
        """The full cost over the proven reoffenders the main reoffending measure says were avoided (the difference in
        the share reoffending times the people credited); None where it shows none avoided or was not estimated."""
        a = self.reoffenders_avoided
        return self.cost / a if a is not None and a > 0 else None

    @property
    def bcr_cashable(self) -> float:
        return self.cashable / self.cost

    @property
    def events_averted(self) -> dict[str, float]:
        """Events of each outcome averted over the horizon (undiscounted; the first year's times the persistence
        sum), as the point estimates say: negative where the estimate is an increase."""
        years = sum(self.parameters["persistence"] ** t for t in range(self.parameters["horizon_years"]))
        return {r.outcome: float(r.averted) * years for r in self.benefits.itertuples()}

    @property
    def cost_per_event_averted(self) -> dict[str, float | None]:
        """Cost per additional outcome: the full cost over the events each outcome's estimate says were averted;
        None where it says none were (no reduction, or an increase)."""
        return {o: self.cost / a if a > 0 else None for o, a in self.events_averted.items()}

    @property
    def payback_years(self) -> float | None:
        """Years until the discounted public value (accruing evenly within each year, falling by the persistence
        each year) equals the cost; None when that does not happen within the horizon."""
        p = self.parameters
        per_year = [(p["persistence"] ** t) / (1 + p["discount_rate"]) ** t for t in range(p["horizon_years"])]
        first = float(self.benefits.public_value.sum()) / sum(per_year) if sum(per_year) else 0.0
        paid = 0.0
        for t, f in enumerate(per_year):
            year = first * f
            if year > 0 and paid + year >= self.cost:
                return t + (self.cost - paid) / year
            paid += year
        return None

    @property
    def tornado_on_npv(self) -> bool:
        """Whether the sensitivity chart reads in net present value: when the benefits are not positive, a ratio
        misleads (a negative benefit over a larger cost is a ratio nearer zero, so 'higher cost' looks better)."""
        return float(self.benefits.public_value.sum()) <= 0

    @property
    def bcr_interval(self) -> tuple[float, float]:
        return float(np.percentile(self.mc_bcr, 2.5)), float(np.percentile(self.mc_bcr, 97.5))

    def estimates(self) -> list[Estimate]:
        """The benefit-cost ratios (public value, and fiscal only) with their Monte Carlo 95% intervals."""
        out = []
        for what, value, draws in (("public value", self.bcr, self.mc_bcr), ("fiscal only", self.bcr_fiscal, self.mc_bcr_fiscal)):
            out.append(
                Estimate(
                    "value_for_money",
                    f"Benefit-cost ratio ({what})",
                    "benefit-cost ratio",
                    float(value),
                    float(np.percentile(draws, 2.5)),
                    float(np.percentile(draws, 97.5)),
                    None,
                    self.n_children,
                    None,
                    "harm averted valued with unit costs, the three outcome effects drawn jointly (Monte Carlo)",
                    (f"prices of {self.price_year}",),
                )
            )
        return out

    @property
    def prob_bcr_above_1(self) -> float:
        return float((self.mc_bcr > 1).mean())

    def to_results(self) -> dict[str, Any]:
        lo, hi = self.bcr_interval
        r = _round4
        costs = _costs_results(self.period, self.per_outcome, self.reconciliation, self.renewal, self.price_year)
        return costs | {
            "total_cost": r(self.cost),  # with the optimism bias on costs, if any
            "benefits_public_value": r(self.benefits.public_value.sum()),
            "benefits_fiscal": r(self.benefits.fiscal.sum()),
            "npv": r(self.npv),
            "bcr": r(self.bcr),
            "bcr_fiscal": r(self.bcr_fiscal),
            "roi": r(self.roi),
            "bcr_ci_low": r(lo),
            "bcr_ci_high": r(hi),
            "prob_bcr_above_1": r(self.prob_bcr_above_1),
            "monte_carlo_draws": int(len(self.mc_bcr)),
            "break_even": {x.applies_to: r(x.averted_needed) for x in self.break_even.itertuples()},
            "switching_values": {k: r(v) if isinstance(v, float) else v for k, v in self.switching.items()},
            "payback_years": r(self.payback_years) if self.payback_years is not None else None,
            "cost_per_offence_averted": r(self.cost_per_event_averted.get("offending"))
            if self.cost_per_event_averted.get("offending")
            else None,
            "cost_per_event_averted": {o: r(v) if v is not None else None for o, v in self.cost_per_event_averted.items()},
            "cost_per_proven_reoffender_avoided": r(self.cost_per_reoffender_avoided),
            "fiscal_by_agency": {a: r(v) for a, v in self.fiscal_by_agency.items()},
            "bcr_cashable": r(self.bcr_cashable),
            "crime_costs": self.parameters["crime_costs"],
            "renewal_evidence_grade": self.evidence.get("grade"),
            "renewal_options": [
                {k: (r(v) if isinstance(v, float) else v) for k, v in o.items() if k in RENEWAL_OPTION_KEYS} for o in self.renewal_options
            ],
        }


def _round4(x: Any) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), 4)


def _costs_results(
    period: PeriodCosts, per_outcome: pd.DataFrame, reconciliation: pd.DataFrame, renewal, price_year: str
) -> dict[str, Any]:
    """results.json's cost figures (before disclosure control): the period, totals, cost per person, the
    programme's own figures reconciled, the renewal."""
    po = per_outcome.set_index("measure")
    r = _round4
    return {
        "period": {"start": period.start.date().isoformat(), "end": period.end.date().isoformat(), "days": period.days},
        "price_year": price_year,
        "total_cost": r(period.full_economic),
        "cost_to_funder": r(period.to_funder),
        "in_kind": r(period.in_kind),
        "staff_cost": r(period.of("staff")),
        "cost_per_child_engaged": r(po.loc["engaged", "full_economic"]),
        "staff_cost_per_child_engaged": r(po.loc["engaged", "staff"]),
        "cost_per_positively_engaged": r(po.loc["positively_engaged", "full_economic"]),
        "cost_per_intervention_arranged": r(po.loc["intervention_arranged", "full_economic"]),
        "cost_per_intervention_started": r(po.loc["intervention_started", "full_economic"]),
        "as_reported": [
            {"measure": x.measure, "reported": r(x.reported), "recomputed": r(x.recomputed), "basis": x.basis, "reasons": x.reasons}
            for x in reconciliation.itertuples()
        ],
        "renewal": {k: (r(v) if isinstance(v, float) else v) for k, v in renewal.items()} if renewal else None,
    }


def _discount_factor(cfg, horizon: int) -> float:
    """Sum over benefit years of persistence^t / (1 + r)^t (year 0 undiscounted)."""
    return float(sum((cfg.persistence**t) / (1 + cfg.discount_rate) ** t for t in range(horizon)))


@dataclass
class ProgrammeCosts:
    """What the programme cost over the period evaluated and per person reached: needs the budget and the
    engagement analysis only, never a comparison group (a cost per person is a count, not an effect)."""

    period: PeriodCosts
    reached: dict[str, int]
    per_outcome: pd.DataFrame
    reconciliation: pd.DataFrame
    renewal: dict[str, Any] | None
    price_year: str

    def to_results(self) -> dict[str, Any]:
        return _costs_results(self.period, self.per_outcome, self.reconciliation, self.renewal, self.price_year)


def analyse_programme_costs(data, eng) -> ProgrammeCosts:
    """Costs apportioned by day to the programme period, cost per person by how far they got, the programme's
    own figures reconciled, and the renewal's throughput at today's run-rate."""
    cfg = data.config
    cc = cfg.costs
    if data.costs is None:
        raise CostError("the cost analysis needs the costs table")
    period = PeriodCosts(
        pd.Timestamp(cfg.programme.start), pd.Timestamp(cfg.programme.end), apportion(data.costs, cfg.programme.start, cfg.programme.end)
    )
    reached = children_reached(eng)
    people, days, phase, basis = reached["engaged"], period.days, None, "the whole period evaluated"
    if cfg.phases:  # the renewal continues the latest phase's team, so it is read from that phase's throughput
        latest = cfg.phases[-1]
        people = int(eng.first_engaged_between(latest.start, latest.end).sum())
        days, phase, basis = latest.days, latest.name, f"the latest phase ({latest.name})"
    per_day = people / days
    return ProgrammeCosts(
        period,
        reached,
        cost_per_outcome(period, reached),
        reconcile(cc.as_reported, period, reached),
        _renewal(data, per_day, basis, cc) | {"throughput_people": people, "throughput_days": days, "throughput_phase": phase}
        if cc.renewal_budget
        else None,
        cc.price_year or financial_year(cfg.programme.start),
    )


def analyse(data, eng, outcomes: OutcomesResult, programme_costs: ProgrammeCosts | None = None, reoffending=None) -> ValueForMoney:
    """Benefits and value for money, on the costs of `analyse_programme_costs` (computed here if not given); with the
    reoffending analysis, also the cost per proven reoffender avoided."""
    cfg = data.config
    cc = cfg.costs
    pc = programme_costs if programme_costs is not None else analyse_programme_costs(data, eng)
    period, reached, per_outcome, recon, price_year = pc.period, pc.reached, pc.per_outcome, pc.reconciliation, pc.price_year
    window = cc.window_months or max(outcomes.results["offending"])

    mix = counterfactual_mix(outcomes, data, window)
    effects: dict[str, Effect] = {}
    for outcome in outcomes.recorded:
        event_type = OUTCOMES[outcome][0]
        ba = outcomes.get(outcome, window)
        if not math.isfinite(ba.did["rate_ratio"]):
            raise CostError(
                f"the effect on {OUTCOMES[outcome][1].lower()} could not be estimated "
                f"({ba.did.get('not_estimable', 'too few events')}), so the harm averted cannot be valued"
            )
        effects[outcome] = Effect(
            outcome, event_type, math.log(ba.did["rate_ratio"]), ba.did["log_se"], ba.rate("programme", "after"), mix.get(event_type)
        )
    valued_types = {e.event_type for e in effects.values()}
    needed = (["missing_episode"] if "missing_episode" in valued_types else []) + [
        f"{et}:{g}" for et in ("offence", "victimisation") if et in valued_types for g in (mix.get(et, pd.Series(dtype=float)).index)
    ]
    library = unit_cost_library(data)
    valued, used = value_outcome_types(library, benefit_map(data), needed, price_year, cc.unit_cost_uncertainty)
    other_set = next(k for k in CRIME_COST_SETS if k != cc.crime_costs)
    valued_other, _ = value_outcome_types(library, benefit_map(data, other_set), needed, price_year, cc.unit_cost_uncertainty)

    # one population: the harm averted is credited to the people the matched comparison describes (engaged within
    # the eligible ages at an index event), not to everyone the programme met
    age = eng.children.age_at_arrival.astype(float)
    n = int(age.between(cfg.programme.age_min, cfg.programme.age_max).sum())
    adjust = cc.attribution * (1 - cc.optimism_bias_benefits) * _discount_factor(cc, cc.horizon_years)
    cost = period.full_economic * (1 + cc.optimism_bias_costs)
    per_event = {o: benefits_per_averted_event(e, valued) for o, e in effects.items()}
    rows = []
    for o, e in effects.items():
        averted: np.ndarray | float = n * float(e.averted_per_child_year(e.log_rr))
        vals = {k: averted * v * adjust for k, v in per_event[o].items()}
        rows.append({"outcome": o, "averted": averted, **vals, "public_value": sum(vals.values())})
    benefits = pd.DataFrame(rows)
    total_pv = float(benefits.public_value.sum())
    total_fiscal = float(benefits.fiscal.sum())
    bcr = total_pv / cost
    fiscal_by_agency = _fiscal_by_agency(effects, valued, n, adjust)
    cashable = sum(v * cc.cashable_shares.get(a, 0.0) for a, v in fiscal_by_agency.items())
    # Monte Carlo: the three effects drawn jointly (multivariate normal on the log scale with the stacked-sandwich
    # covariance: they rest on the same children and matched sets); unit costs uniform over their ranges
    rng = np.random.default_rng(cfg.report.seed)
    draws = cc.monte_carlo_draws
    keys = sorted({v.key for v in valued.values()})
    lo_hi = {v.key: (v.low_factor, v.high_factor) for v in valued.values()}
    mult = {k: rng.uniform(lo_hi[k][0], lo_hi[k][1], draws) for k in keys}
    effect_draws = joint_effect_draws(outcomes, effects, window, rng, draws)
    mc_pv = np.zeros(draws)
    mc_fiscal = np.zeros(draws)
    for o, e in effects.items():
        averted = n * e.averted_per_child_year(effect_draws[o])
        for applies_to, share in outcome_types(e):
            u = valued[applies_to]
            m = mult[u.key]
            mc_pv += averted * share * u.public_value * m * adjust
            mc_fiscal += averted * share * u.fiscal * m * adjust
    mc_bcr, mc_bcr_fiscal = mc_pv / cost, mc_fiscal / cost

    tornado = _tornado(effects, valued, per_event, n, adjust, cost, cc, valued_other, other_set)
    break_even = _break_even(valued, cost)
    switching = _switching(effects, per_event, n, adjust, cost, total_pv, cc)
    renewal = pc.renewal
    notes = [
        "Deadweight is already in the counterfactual: the matched comparison group shows what would have happened without the programme.",
        "Unit costs are averages per crime including unreported crime; applied to police-recorded events without a multiplier for "
        "unreported crime, so benefits are conservative in that respect (Home Office RR99, section 3.3).",
        "Proven reoffences are a subset of the offences counted, so their criminal justice costs are not added again.",
    ]
    if n < reached["engaged"]:
        notes.append(
            "The harm averted is credited only to the people engaged within the eligible ages, whom the matched comparison "
            "describes; people the programme met outside those ages, or with no index event recorded, are credited with none."
        )
    if outcomes.not_recorded:
        left_out = " and ".join(OUTCOMES[o][1].lower() for o in outcomes.not_recorded)
        notes.append(
            f"The extract does not record {left_out} ([data] event_types_recorded), so any change in them is not valued: "
            "the benefits are understated by whatever the programme did for them."
        )
    differed = [
        OUTCOMES[o][1].lower() for o in effects if (outcomes.get(o, window).placebo_check or {}).get("verdict") == "differing_trends"
    ]
    if differed:
        notes.append(
            f"The effect on {' and '.join(differed)} is valued although the groups' trends already differed before the index "
            "event (placebo test), so the part of the benefits resting on it cannot be relied on; the tornado chart shows how "
            "far the ratio moves with it."
        )
    notes += _valuation_notes(data, valued, cc)
    notes.append(
        "The value for money counts the programme's own cost over the period evaluated; the support the people it referred "
        "went on to receive (from youth services, mentoring or other agencies) is not costed, and neither are its benefits "
        "beyond what the matched estimates measure."
    )
    if used.deflator_interpolated.any():
        notes.append(
            "Some price years fall between years of the shipped GDP deflator series; their deflators are interpolated "
            "geometrically (marked in the appendix)."
        )
    params = {
        "attribution": cc.attribution,
        "optimism_bias_costs": cc.optimism_bias_costs,
        "optimism_bias_benefits": cc.optimism_bias_benefits,
        "discount_rate": cc.discount_rate,
        "horizon_years": cc.horizon_years,
        "persistence": cc.persistence,
        "unit_cost_uncertainty": cc.unit_cost_uncertainty,
        "window_months": window,
        "monte_carlo_draws": draws,
        "seed": cfg.report.seed,
        "crime_costs": cc.crime_costs,
        "cashable_shares": dict(cc.cashable_shares),
    }
    proven = reoffending.measures.get("proven") if reoffending is not None else None
    # proven reoffenders avoided among the people credited: the main measure's difference in the share reoffending
    reoffenders_avoided = (proven.rate.comparison_value - proven.rate.treated_value) * n if proven is not None else None
    evidence = renewal_evidence_grade(outcomes, effects, window)
    options = renewal_options(pc.renewal, mc_pv, total_pv, n, reached["engaged"], cc, evidence) if pc.renewal else []
    return ValueForMoney(
        period,
        reached,
        per_outcome,
        recon,
        price_year,
        effects,
        valued,
        used,
        n,
        cost,
        benefits,
        total_pv - cost,
        bcr,
        total_fiscal / cost,
        (total_pv - cost) / cost,
        mc_bcr,
        mc_bcr_fiscal,
        tornado,
        break_even,
        switching,
        renewal,
        params,
        notes,
        fiscal_by_agency,
        cashable,
        evidence,
        options,
        reoffenders_avoided,
    )


CRIME_COST_LABELS = {"gmca_2010_11": "Home Office 2010/11 (GMCA)", "rr99_2015_16": "Home Office 2015/16 (RR99 totals)"}
AGENCY_LABELS = {
    "police": "Police",
    "criminal_justice": "Courts, legal aid and prisons",
    "nhs": "NHS",
    "local_authority": "Local authority (youth offending, children's services)",
    "police_criminal_justice_and_nhs": "Police, criminal justice and NHS together (the source gives no split)",
}
#: results.json keys of each renewal option
RENEWAL_OPTION_KEYS = ("name", "cost", "people_reached", "cost_per_person", "benefits", "npv", "bcr", "prob_better_than_nothing")


def _fiscal_by_agency(effects: dict[str, Effect], valued: dict[str, Valued], n: int, adjust: float) -> dict[str, float]:
    """The fiscal value (present value, after attribution and optimism bias) split by the agency that bears it,
    with each unit cost's own shares (`fiscal_agency`); a cost without a split is one line of its own."""
    out = dict.fromkeys(AGENCIES, 0.0)
    for e in effects.values():
        averted = n * float(e.averted_per_child_year(e.log_rr))
        for applies_to, share in outcome_types(e):
            u = valued[applies_to]
            for agency, part in u.agency.items():
                out[agency] += averted * share * u.fiscal * part * adjust
    return out


def renewal_evidence_grade(outcomes: OutcomesResult, effects: dict[str, Effect], window: int) -> dict[str, Any]:
    """A grade for how far the evaluated effect can be carried into a renewal, read from the main outcome (offending
    where valued): 'strong' when its reduction is statistically significant and the placebo supports parallel
    trends; 'weak' when it shows no reduction or the trends already differed before; 'moderate' otherwise."""
    outcome = "offending" if "offending" in effects else next(iter(effects))
    ba = outcomes.get(outcome, window)
    did = ba.did
    verdict = (ba.placebo_check or {}).get("verdict", "not_run")
    reduction, significant = did["rate_ratio"] < 1, did["ci_high"] < 1
    if not reduction or verdict == "differing_trends":
        grade = "weak"
    elif significant and verdict == "parallel_supported":
        grade = "strong"
    else:
        grade = "moderate"
    return {
        "grade": grade,
        "outcome": outcome,
        "rate_ratio": did["rate_ratio"],
        "ci_low": did["ci_low"],
        "ci_high": did["ci_high"],
        "placebo_verdict": verdict,
    }


def renewal_options(
    renewal: dict[str, Any],
    mc_pv: np.ndarray,
    total_pv: float,
    n: int,
    engaged: int,
    cc,
    evidence: dict[str, Any],
) -> list[dict[str, Any]]:
    """The renewal as an options appraisal: stop; renew at the offered budget; renew at the current run-rate.

    Each renewal option reaches the people its team would (the observed throughput, scaled to the staffing the money
    buys), less half of the ramp-up months' people; each person reached within the eligible ages brings the
    evaluated public value per credited person (over the same horizon), with the evaluated optimism bias replaced by
    the one for this evaluation's evidence grade (shrinking a benefit, never a harm); costs carry the costs' optimism
    bias. Costs and benefits are discounted from the middle of the renewal. The probability of beating stopping is the
    share of the Monte Carlo draws (the joint effect and unit-cost draws) with a positive net present value.
    """
    months = renewal["months"]
    ramp = min(float(cc.renewal_ramp_up_months), float(months))
    bias = cc.renewal_benefit_bias[evidence["grade"]]
    unbias = 1 / (1 - cc.optimism_bias_benefits) if cc.optimism_bias_benefits < 1 else 0.0

    def biased(value):  # optimism bias shrinks a benefit, never a harm (a harm shrunk would be optimism itself)
        value = np.asarray(value, dtype=float) * unbias
        return np.where(value > 0, value * (1 - bias), value)

    per_person = float(biased(total_pv / n)) if n else 0.0
    per_person_draws = biased(mc_pv / n) if n else np.zeros_like(mc_pv)
    eligible = n / engaged if engaged else 0.0
    timing = 1 / (1 + cc.discount_rate) ** (months / 24)
    options: list[dict[str, Any]] = [
        {
            "name": "Stop (do nothing)",
            "cost": 0.0,
            "people_reached": 0.0,
            "cost_per_person": None,
            "benefits": 0.0,
            "npv": 0.0,
            "bcr": None,
            "prob_better_than_nothing": None,
            "basis": "nothing",
        },
    ]
    for name, amount, people_key, basis in (
        ("Renew at the offered budget", renewal["budget"], "children_if_staffing_scaled", "the team it pays for"),
        ("Renew at the current run-rate", renewal["funder_run_rate"], "children_if_current_team", "today's team"),
    ):
        people = float(renewal[people_key]) * (1 - ramp / (2 * months)) if math.isfinite(renewal[people_key]) else 0.0
        cost = float(amount) * (1 + cc.optimism_bias_costs) * timing
        benefit = people * eligible * per_person * timing
        draws = people * eligible * per_person_draws * timing - cost
        options.append(
            {
                "name": name,
                "cost": cost,
                "people_reached": people,
                "cost_per_person": cost / people if people else None,
                "benefits": benefit,
                "npv": benefit - cost,
                "bcr": benefit / cost if cost else None,
                "prob_better_than_nothing": float((draws > 0).mean()),
                "basis": basis,
                "optimism_bias_benefits": bias,
                "ramp_up_months": ramp,
            }
        )
    return options


def _valuation_notes(data, valued: dict[str, Valued], cc) -> list[str]:
    """What the valuation did with victimless offences, unsplit sexual offences, shared crimes, missing episodes and
    cashability, in one sentence each."""
    notes = []
    groups = {a.split(":", 1)[1] for a in valued if ":" in a}
    if groups & set(VICTIMLESS_GROUPS):
        notes.append(
            "Offences with no direct victim (drugs, possession of weapons, public order) are valued at the police and "
            "criminal-justice response to an arrest only (GMCA CR7.0), as the Home Office leaves crimes against society out of "
            "its costs of crime (RR99); the tornado chart shows them at zero too, and where another supplier replaces a drug "
            "dealer even that response is not saved."
        )
    if "sexual" in groups:
        notes.append(
            "Sexual offences recorded without saying whether they were rape are valued as other sexual offences (RR99), the "
            "lower cost: giving offence_group rape or other_sexual values them apart."
        )
    if "burglary" in groups and any(v.key == "gmca_cr8_7_burglary_dwelling" for v in valued.values()):
        notes.append(
            "Burglary is valued as burglary in a dwelling, the only burglary cost GMCA gives: burglary of other buildings is valued the same."
        )
    if any(v.key == "gmca_cr8_0_all_crime" for v in valued.values()):
        notes.append(
            "Offences in the 'other' group have no specific unit cost and are valued at the GMCA average across all crime: a proxy."
        )
    if data.events.has_values("crime_ref"):
        notes.append(
            "Records sharing a crime reference (co-suspects, a suspect who is also recorded as the victim, two cohort children "
            "in one crime) each carry an equal share of the crime's cost, so each crime is valued once."
        )
    else:
        notes.append(
            "The extract gives no crime reference, so a crime with several recorded suspects, or whose suspect is also recorded "
            "as its victim, is valued once for each record: the benefits may be overstated (add crime_ref to the events table)."
        )
    if "missing_episode" in valued:
        notes.append(
            "A missing episode is valued at the police investigation only; the local authority's return-home interview is not "
            "added, as no sourced unit cost for it was found."
        )
    if not any(cc.cashable_shares.values()):
        notes.append(
            "None of the fiscal value is counted as cashable: fewer crimes free police, court and NHS time, which is redeployed "
            "rather than returned as budget. An agency's own cashability assessment can set [costs] cashable_shares."
        )
    return notes


def joint_effect_draws(
    outcomes: OutcomesResult, effects: dict[str, "Effect"], window: int, rng: np.random.Generator, draws: int
) -> dict[str, np.ndarray]:
    """Log ratios of rate ratios for every outcome, drawn jointly from a multivariate normal with the
    stacked-sandwich covariance of the three DiD fits (they share units and clusters)."""
    names = list(effects)
    mean = np.array([effects[o].log_rr for o in names])
    try:
        cov = outcomes.joint_log_rr_vcov(window)
    except (AttributeError, ValueError):  # fits without scores (e.g. built by hand): independent draws
        cov = np.diag([effects[o].log_se ** 2 for o in names])
    x = rng.multivariate_normal(mean, cov, size=draws, method="eigh")
    return {o: x[:, i] for i, o in enumerate(names)}


def _bcr_with(effects, valued, per_event, n, adjust, cost, log_rr=None, unit_mult=1.0) -> float:
    total = 0.0
    for o, e in effects.items():
        lr = (log_rr or {}).get(o, e.log_rr)
        averted = n * float(e.averted_per_child_year(lr))
        total += averted * sum(per_event[o].values()) * unit_mult * adjust
    return total / cost


def _per_event_where(effects, valued, keep) -> dict[str, dict[str, float]]:
    """Value of one averted event of each outcome, counting only the outcome types `keep(applies_to)` accepts."""
    kept = {a: (v if keep(a) else Valued(a, v.key, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0)) for a, v in valued.items()}
    return {o: benefits_per_averted_event(e, kept) for o, e in effects.items()}


def _tornado(effects, valued, per_event, n, adjust, cost, cc, valued_other=None, other_set=None) -> pd.DataFrame:
    base = _bcr_with(effects, valued, per_event, n, adjust, cost)
    rows = []
    if any(a.split(":")[-1] in VICTIMLESS_GROUPS for a in valued):
        zero = _per_event_where(effects, valued, lambda a: a.split(":")[-1] not in VICTIMLESS_GROUPS)
        rows.append(
            {
                "parameter": "Offences with no direct victim: response cost or zero",
                "low": _bcr_with(effects, valued, zero, n, adjust, cost),
                "high": base,
            }
        )
    if any(e.event_type == "victimisation" for e in effects.values()):
        without = _per_event_where(effects, valued, lambda a: not a.startswith("victimisation:"))
        rows.append(
            {
                "parameter": "Victimisations averted: counted or left out",
                "low": _bcr_with(effects, valued, without, n, adjust, cost),
                "high": base,
            }
        )
    if valued_other is not None:
        other = _bcr_with(
            effects, valued_other, {o: benefits_per_averted_event(e, valued_other) for o, e in effects.items()}, n, adjust, cost
        )
        rows.append(
            {"parameter": f"Crime costs: {CRIME_COST_LABELS[other_set]} instead", "low": min(base, other), "high": max(base, other)}
        )
    for o, e in effects.items():
        lo = _bcr_with(effects, valued, per_event, n, adjust, cost, {o: e.log_rr + Z95 * e.log_se})
        hi = _bcr_with(effects, valued, per_event, n, adjust, cost, {o: e.log_rr - Z95 * e.log_se})
        rows.append({"parameter": f"Effect on {OUTCOMES[o][1].lower()} (95% CI)", "low": lo, "high": hi})
    u = cc.unit_cost_uncertainty
    rows.append({"parameter": f"All unit costs ±{100 * u:.0f}%", "low": base * (1 - u), "high": base * (1 + u)})
    rows.append(
        {
            "parameter": "Attribution to this programme: 50% to 100%",
            "low": base * 0.5 / cc.attribution if cc.attribution else 0,
            "high": base / cc.attribution if cc.attribution else 0,
        }
    )
    bias = cc.optimism_bias_costs if cc.optimism_bias_costs > 0 else 0.2  # the configured bias, else the tornado's usual +20%
    rows.append({"parameter": f"Programme cost +{100 * bias:.0f}% (optimism bias)", "low": base / (1 + bias), "high": base})
    t = pd.DataFrame(rows)
    # the same on the net-present-value scale (benefits minus costs), which reads right when benefits are negative: a
    # ratio of a negative benefit rises as costs rise. Every row keeps the cost but the last, which raises it.
    t["npv_low"], t["npv_high"] = t.low * cost - cost, t.high * cost - cost
    last = t.index[-1]
    t.loc[last, "npv_low"] = base * cost - cost * (1 + bias)
    t["swing"] = (t.high - t.low).abs()
    return t.sort_values("swing", ascending=False).reset_index(drop=True).assign(base=base, base_npv=base * cost - cost)


def _break_even(valued: dict[str, Valued], cost: float) -> pd.DataFrame:
    rows = []
    for a, v in sorted(valued.items()):
        if a.startswith("offence:"):
            rows.append(
                {
                    "applies_to": a,
                    "offence_group": a.split(":", 1)[1],
                    "unit_public_value": v.public_value,
                    "averted_needed": cost / v.public_value if v.public_value else math.inf,
                    "averted_needed_fiscal": cost / v.fiscal if v.fiscal else math.inf,
                }
            )
    return pd.DataFrame(rows).sort_values("averted_needed").reset_index(drop=True)


def _switching(effects, per_event, n, adjust, cost, total_pv, cc) -> dict[str, Any]:
    """Values at which the benefit-cost ratio would be exactly 1, one parameter at a time."""
    out: dict[str, Any] = {"unit_cost_scale": cost / total_pv if total_pv > 0 else math.inf}
    out["attribution"] = cc.attribution * cost / total_pv if total_pv > 0 else math.inf
    for o, e in effects.items():
        other = total_pv - n * float(e.averted_per_child_year(e.log_rr)) * sum(per_event[o].values()) * adjust
        k = n * e.after_rate * sum(per_event[o].values()) * adjust  # benefits = other + k (1/RR - 1)
        if k <= 0:
            out[f"rate_ratio_{o}"] = None
            continue
        needed = (cost - other) / k  # = 1/RR - 1
        out[f"rate_ratio_{o}"] = 1 / (1 + needed) if needed > -1 else None
    return out


def last_complete_month(costs: pd.DataFrame) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of the last calendar month the cost schedule fully covers."""
    last = costs.end_date.max()
    month_end = last if last == last + pd.offsets.MonthEnd(0) else (last - pd.offsets.MonthBegin(1)) - pd.Timedelta(days=1)
    month_end = month_end + pd.offsets.MonthEnd(0) if month_end != month_end + pd.offsets.MonthEnd(0) else month_end
    return month_end.replace(day=1), month_end


def _renewal(data, per_day: float, basis: str, cc) -> dict[str, Any]:
    """Expected throughput and cost per child for a proposed budget, and the run-rate check.

    Throughput is people engaged per day over `basis` (the whole period, or the latest phase where the config
    names phases). Run-rates are the last complete month of the cost schedule times the renewal length: staff
    lines alone, and everything the funder pays for.
    """
    first, last = last_complete_month(data.costs)
    month = apportion(data.costs, first, last)
    staff_month = float(month[month.category == "staff"].amount_in_period.sum())
    funder_month = float(month[month.category != "in_kind"].amount_in_period.sum())
    months = cc.renewal_months
    budget = float(cc.renewal_budget)
    staff_run = staff_month * months
    funder_run = funder_month * months
    same_team = per_day * months * 365.25 / 12
    scaled = same_team * min(budget / funder_run, 1.0) if funder_run else math.nan
    return {
        "budget": budget,
        "months": months,
        "reference_month": first.strftime("%Y-%m"),
        "staff_run_rate": staff_run,
        "funder_run_rate": funder_run,
        "below_staff_run_rate": bool(budget < staff_run),
        "below_run_rate": bool(budget < funder_run),
        "month_days": DAYS_PER_MONTH,
        "children_per_month_observed": per_day * DAYS_PER_MONTH,
        "throughput_basis": basis,
        "children_if_current_team": same_team,
        "cost_per_child_if_current_team": funder_run / same_team if same_team else math.nan,  # the team at today's costs
        "children_if_staffing_scaled": scaled,
        "cost_per_child_if_staffing_scaled": budget / scaled if scaled else math.nan,
    }
