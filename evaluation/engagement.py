"""Engagement: who the programme reached, rates with uncertainty, the funnel and timeliness.

Definitions (chosen to reproduce how Operation Alliance reported, and stated in every table):

* A child is *engaged* (the programme's word for approached) if they have a programme contact
  dated within the programme period. Each child is counted once, at their first contact in the
  period, with the attributes recorded at that contact's detention (age at arrival, residence,
  known to YOS) and that contact's outcome. Months are calendar months of the first contact.
* Rates of intervention arranged, refusal and positive engagement use the *in-area base*: all
  engaged children except out-of-area referrals, as the programme did (31/71 = 44%, 14/71 = 20%).
  Children living outside the home areas who were not referred out of area stay in that base.
* The share known to YOS is among children whose YOS status was checked (yes or no); the
  programme's checks covered Haringey and Enfield residents only.
* 95% confidence intervals are Wilson score intervals (Wilson 1927; recommended for small counts
  by Brown, Cai & DasGupta 2001), via statsmodels' `proportion_confint(method="wilson")`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Hashable

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from .estimate import Estimate
from .loading import EvaluationData

OUTCOMES: dict[str, str] = {
    "intervention_arranged": "Positively engaged, intervention arranged",
    "awaiting_intervention": "Positively engaged, awaiting intervention",
    "declined": "Would not engage",
    "out_of_area_referral": "Lives outside the area, referred to local services",
    "referred_elsewhere": "Referred to another service",
    "advice_only": "Advice or information only",
}
#: The outcomes every engagement table counts; others only when present. awaiting_intervention and
#: out_of_area_referral are always counted (the rates use them) but shown only when someone has them
#: (`EngagementResult.outcomes_shown`).
CORE_OUTCOMES = ("intervention_arranged", "awaiting_intervention", "declined", "out_of_area_referral")
SHOWN_OUTCOMES = ("intervention_arranged", "declined")
#: Breakdowns of the people engaged by what their index event records, shown when the extract records them:
#: key -> (column of the index-event table, label of the table's rows)
EVENT_BREAKDOWNS = {"event_kind": "event_kind", "disposal_type": "disposal_type", "first_time_entrant": "first_time_entrant"}
#: Children and adults apart, when the programme's ages span both (issue 12: one population, reported apart).
AGE_GROUPS = ("Under 18", "18 and over")
EVENT_KIND_LABELS = {
    "custody_detention": "Custody detention",
    "voluntary_attendance": "Voluntary attendance",
    "out_of_court_decision": "Out-of-court decision",
    "programme_adoption": "Adoption onto the scheme",
}
NOT_RECORDED = "Not recorded"
PATHWAYS: dict[str, str] = {
    "sport": "Sport",
    "mentoring": "Mentoring",
    "education_training": "Education and training",
    "employment_apprenticeship": "Employment and apprenticeships",
    "health_substance_misuse": "Health and substance misuse",
    "other": "Other",
}


def quantity(month: Hashable, table: str | None = None, row: Hashable | None = None) -> str:
    """The name of an engagement count in the publication model (evaluation.publication): children first
    contacted in `month` ('Total' for the period), optionally those in `row` of breakdown `table`."""
    return f"engaged[{month}]" if table is None else f"engaged[{month}|{table}={row}]"


#: Each rate's numerator and denominator as sums of engagement counts: (table, row) -> coefficient,
#: where (None, None) is all children engaged.
RATE_TERMS: dict[str, tuple[dict[tuple[str | None, str | None], float], dict[tuple[str | None, str | None], float]]] = {
    "intervention_arranged_rate": (
        {("outcome", "intervention_arranged"): 1.0},
        {(None, None): 1.0, ("outcome", "out_of_area_referral"): -1.0},
    ),
    "positive_engagement_rate": (
        {("outcome", "intervention_arranged"): 1.0, ("outcome", "awaiting_intervention"): 1.0},
        {(None, None): 1.0, ("outcome", "out_of_area_referral"): -1.0},
    ),
    "refusal_rate": ({("outcome", "declined"): 1.0}, {(None, None): 1.0, ("outcome", "out_of_area_referral"): -1.0}),
    "known_to_yos_rate": ({("known_to_yos", "Yes"): 1.0}, {("known_to_yos", "Yes"): 1.0, ("known_to_yos", "No"): 1.0}),
}


def rate_expressions(measure: str, month: str) -> tuple[dict[str, float], dict[str, float]]:
    """A rate's numerator and denominator over named quantities, for the publication model."""
    num, den = RATE_TERMS[measure]
    return ({quantity(month, t, r): c for (t, r), c in num.items()}, {quantity(month, t, r): c for (t, r), c in den.items()})


@dataclass(frozen=True)
class Note:
    """A note for a table, by topic; `{name}` placeholders in `text` are counts (quantity, value) that
    the report writes through disclosure control."""

    topic: str
    text: str
    counts: dict[str, tuple[str, int]] = field(default_factory=dict)


def wilson_interval(successes: int, trials: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion; (nan, nan) when there are no trials."""
    if trials <= 0:
        return (math.nan, math.nan)
    lo, hi = proportion_confint(successes, trials, alpha=alpha, method="wilson")
    return float(lo), float(hi)


@dataclass(frozen=True)
class EngagementResult:
    """Everything the engagement section shows. `children` is record-level and never published."""

    children: pd.DataFrame
    months: list[str]
    days_in_month: dict[str, int]
    tables: dict[str, pd.DataFrame]
    rates: pd.DataFrame
    monthly_rates: pd.DataFrame
    funnel: pd.DataFrame
    timeliness: pd.DataFrame
    followup_days: pd.DataFrame
    pathways: pd.DataFrame
    notes: tuple[Note, ...] = ()
    contacts_in_period: int = 0
    followup_target_days: int = 2
    providers: pd.DataFrame | None = None  # provider, people (first reached by it in the period), contacts
    referrals: pd.DataFrame | None = None  # referral_type, referrals, people, taken_up, not_taken_up, unknown
    without_detention: int = 0  # people whose first contact in the period was outside custody (no detention)
    equalities: pd.DataFrame | None = None  # the funnel's first stages by sex, ethnicity and age band (see _equalities)
    delivery: Delivery | None = None  # what the contact log records about delivery after the first contact

    def estimates(self) -> list[Estimate]:
        """The engagement rates in the shared estimate shape (Wilson 95% intervals; no comparison group)."""
        return [
            Estimate(
                "engagement",
                r.label,
                "proportion",
                float(r.rate),
                float(r.ci_low),
                float(r.ci_high),
                None,
                int(r.denominator),
                None,
                "share of children with a Wilson score interval",
                (r.definition,),
            )
            for r in self.rates.itertuples()
        ]

    @property
    def outcomes_shown(self) -> list[str]:
        """The outcomes the report shows: the programme's core three, and any other that someone has."""
        t = self.tables["outcome"]
        return [k for k in t.index if k in SHOWN_OUTCOMES or int(t.loc[k, "Total"]) > 0]

    @property
    def event_breakdowns(self) -> list[str]:
        """The optional breakdowns present in `tables`: children and adults apart, and by index event (event kind,
        disposal type, first-time entrant)."""
        return [k for k in ("age_group", *EVENT_BREAKDOWNS) if k in self.tables]

    def notes_for(self, topic: str) -> tuple[Note, ...]:
        """The notes that belong under one table ('months', 'funnel', 'repeat_contacts')."""
        return tuple(n for n in self.notes if n.topic == topic)

    @property
    def n_children(self) -> int:
        return len(self.children)

    def first_engaged_between(self, start, end) -> pd.Series:
        """Which children had their first contact of the period between `start` and `end` (inclusive days)."""
        first = pd.to_datetime(self.children.contact_date).dt.normalize()
        return (first >= pd.Timestamp(start)) & (first <= pd.Timestamp(end))

    def rate(self, measure: str) -> pd.Series:
        return self.rates.set_index("measure").loc[measure]

    def to_results(self) -> dict:
        """Headline figures for results.json (machine-readable, nested by section)."""
        counts = self.children.outcome.value_counts()
        out: dict = {"children_engaged": self.n_children, "contacts_in_period": self.contacts_in_period}
        for key in self.tables["outcome"].index:
            out[key] = int(counts.get(key, 0))
        for r in self.rates.itertuples():
            out[r.measure] = _num(r.rate)
            out[f"{r.measure}_ci"] = [_num(r.ci_low), _num(r.ci_high)]
            out[f"{r.measure}_base"] = int(r.denominator)
        by_month = {}
        for m in self.months:
            kids = self.children[self.children.month == m]
            c = kids.outcome.value_counts()
            entry: dict[str, Any] = {"days_covered": self.days_in_month[m], "children_engaged": len(kids)}
            entry.update({key: int(c.get(key, 0)) for key in self.tables["outcome"].index})
            entry["residence"] = {k: int(v) for k, v in self.tables["residence"][m].items()}
            entry["age_band"] = {k: int(v) for k, v in self.tables["age_band"][m].items()}
            entry["known_to_yos"] = {k: int(v) for k, v in self.tables["known_to_yos"][m].items()}
            for key in self.event_breakdowns:
                entry[key] = {str(k): int(v) for k, v in self.tables[key][m].items()}
            for r in self.monthly_rates[self.monthly_rates.month == m].itertuples():
                entry[r.measure] = _num(r.rate)
            by_month[m] = entry
        out["by_month"] = by_month
        out["funnel"] = {r.stage_key: int(r.children) for r in self.funnel.itertuples()}
        t = self.timeliness.set_index("measure")
        if "followup_within_target" in t.index:
            row = t.loc["followup_within_target"]
            out["followup_within_target_rate"] = _num(row.rate)
            out["followup_within_target_base"] = int(row.denominator)
        out["pathway_demand"] = {r.pathway_key: int(r.total) for r in self.pathways.itertuples()}
        return out


def _num(x) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), 6)


def _month_key(ts: pd.Series) -> pd.Series:
    return ts.dt.strftime("%Y-%m")


def _months(start: pd.Timestamp, end: pd.Timestamp) -> tuple[list[str], dict[str, int]]:
    months = pd.period_range(start, end, freq="M")
    days = {}
    for p in months:
        lo = max(p.start_time.normalize(), start)
        hi = min(p.end_time.normalize(), end)
        days[p.strftime("%Y-%m")] = int((hi - lo).days) + 1
    return [p.strftime("%Y-%m") for p in months], days


def engaged_children(data: EvaluationData) -> pd.DataFrame:
    """One row per child with a contact in the programme period: first contact, its detention's attributes."""
    cfg = data.config.programme
    start, end = pd.Timestamp(cfg.start), pd.Timestamp(cfg.end)
    contacts = data.programme_contacts
    in_period = contacts[(contacts.contact_date >= start) & (contacts.contact_date <= end)]
    first = in_period.sort_values(["contact_date", "contact_id"]).drop_duplicates("person_id", keep="first")
    det = data.custody_detentions.set_index("detention_id")[
        ["arrival_datetime", "release_datetime", "custody_suite", "age_at_arrival", "residence_area", "known_to_yos", "sex"]
        + [c for c in EVENT_BREAKDOWNS.values() if c in data.custody_detentions]
    ]
    kids = first.join(det, on="detention_id")
    kids["month"] = _month_key(kids.contact_date)
    home = list(cfg.home_areas)
    area = kids.residence_area.fillna("unknown")
    kids["residence_group"] = np.where(area.isin(home), area, np.where(area.str.lower() == "unknown", "Unknown", "Other"))
    kids["age_band"] = _age_band(kids.age_at_arrival, data.config.engagement.age_bands)
    kids.loc[kids.age_at_arrival.isna(), "age_band"] = AGE_NOT_RECORDED  # met outside custody: no detention, no age
    return kids.reset_index(drop=True)


AGE_NOT_RECORDED = "Age not recorded"


def _providers(data: EvaluationData) -> pd.DataFrame | None:
    """People reached by each provider in the period (a person met by two providers counts under both) and contacts."""
    contacts = data.programme_contacts
    if "provider" not in contacts or contacts.provider.isna().all():
        return None
    cfg = data.config.programme
    c = contacts[(contacts.contact_date >= pd.Timestamp(cfg.start)) & (contacts.contact_date <= pd.Timestamp(cfg.end))]
    c = c.assign(provider=c.provider.fillna("Not recorded"))
    g = c.groupby("provider", sort=True)
    out = pd.DataFrame({"provider": list(g.groups), "people": g.person_id.nunique().to_numpy(), "contacts": g.size().to_numpy()})
    return out.sort_values(["people", "provider"], ascending=[False, True], kind="stable").reset_index(drop=True)


def _referrals(data: EvaluationData) -> pd.DataFrame | None:
    """Referrals made in the period by type: referrals, people referred, and whether they were taken up."""
    r = data.referrals
    if r is None:
        return None
    cfg = data.config.programme
    r = r[(r.referral_date >= pd.Timestamp(cfg.start)) & (r.referral_date <= pd.Timestamp(cfg.end))]
    taken = r.taken_up.fillna("unknown") if "taken_up" in r else pd.Series("unknown", index=r.index)
    rows = []
    for kind, sub in r.groupby("referral_type", sort=True):
        t = taken[sub.index]
        rows.append(
            {
                "referral_type": kind,
                "referrals": len(sub),
                "people": sub.person_id.nunique(),
                "taken_up": int((t == "yes").sum()),
                "not_taken_up": int((t == "no").sum()),
                "unknown": int((t == "unknown").sum()),
            }
        )
    out = pd.DataFrame(rows, columns=["referral_type", "referrals", "people", "taken_up", "not_taken_up", "unknown"])
    return out.sort_values(["referrals", "referral_type"], ascending=[False, True], kind="stable").reset_index(drop=True)


def _band_label(lo: int, hi: int) -> str:
    return f"{lo}–{hi}" if lo != hi else str(lo)


def _age_band(age: pd.Series, bands) -> pd.Series:
    out = pd.Series("Other ages", index=age.index, dtype=object)
    for lo, hi in bands:
        out[(age >= lo) & (age <= hi)] = _band_label(lo, hi)
    return out


def _crosstab(kids: pd.DataFrame, column: str, categories: list[str], months: list[str]) -> pd.DataFrame:
    table = pd.crosstab(kids[column], kids.month).reindex(index=categories, columns=months, fill_value=0)
    table = table.fillna(0).astype(int)
    table["Total"] = table.sum(axis=1)
    table.index.name = column
    table.columns.name = None
    return table


def _rate_row(measure: str, label: str, k: int, n: int, definition: str) -> dict:
    lo, hi = wilson_interval(k, n)
    return {
        "measure": measure,
        "label": label,
        "numerator": int(k),
        "denominator": int(n),
        "rate": k / n if n else math.nan,
        "ci_low": lo,
        "ci_high": hi,
        "definition": definition,
    }


def _rates(kids: pd.DataFrame) -> list[dict]:
    outcome = kids.outcome
    in_area = outcome != "out_of_area_referral"
    base = int(in_area.sum())
    arranged = int((outcome == "intervention_arranged").sum())
    awaiting = int((outcome == "awaiting_intervention").sum())
    declined = int((outcome == "declined").sum())
    yos_yes = int((kids.known_to_yos == "yes").sum())
    yos_checked = int(kids.known_to_yos.isin(["yes", "no"]).sum())
    base_text = "children engaged, excluding out-of-area referrals" if (~in_area).any() else "children engaged"
    return [
        _rate_row("intervention_arranged_rate", "Intervention arranged", arranged, base, f"intervention arranged / {base_text}"),
        _rate_row(
            "positive_engagement_rate",
            "Positively engaged (arranged or awaiting)",
            arranged + awaiting,
            base,
            f"(intervention arranged + awaiting intervention) / {base_text}",
        ),
        _rate_row("refusal_rate", "Would not engage", declined, base, f"would not engage / {base_text}"),
        _rate_row(
            "known_to_yos_rate", "Known to YOS", yos_yes, yos_checked, "known to YOS / children whose YOS status was checked (yes or no)"
        ),
    ]


def _contacts_in_period(data: EvaluationData) -> int:
    cfg = data.config.programme
    c = data.programme_contacts.contact_date
    return int(((c >= pd.Timestamp(cfg.start)) & (c <= pd.Timestamp(cfg.end))).sum())


def _eligible_detentions(data: EvaluationData) -> pd.DataFrame:
    """Detentions at the programme suites in the period, of people within the eligible ages: the funnel's first stage."""
    cfg = data.config.programme
    start, end = pd.Timestamp(cfg.start), pd.Timestamp(cfg.end) + pd.Timedelta(days=1)
    det = data.custody_detentions
    return det[
        det.custody_suite.isin(cfg.suites)
        & (det.arrival_datetime >= start)
        & (det.arrival_datetime < end)
        & det.age_at_arrival.between(cfg.age_min, cfg.age_max)
    ]


#: The characteristics the equalities table breaks the funnel's first stages down by, with their levels' order.
EQUALITY_CHARACTERISTICS = {
    "sex": ("female", "male", "other", "unknown"),
    "ethnicity": ("asian", "black", "mixed", "white", "other", "unknown"),
    "age_band": (),  # the configured age bands, in order
}


def _equalities(data: EvaluationData, kids: pd.DataFrame, eligible: pd.DataFrame) -> pd.DataFrame:
    """The people detained at the programme suites in the period within the eligible ages (the funnel's first stage),
    by sex, ethnicity and age band at their first such detention: how many, how many the programme approached and how
    many of those had an intervention arranged (characteristic, level, detained, approached, arranged)."""
    first = eligible.sort_values(["arrival_datetime", "detention_id"]).drop_duplicates("person_id")
    first = first.assign(
        age_band=_age_band(first.age_at_arrival, data.config.engagement.age_bands),
        approached=first.person_id.isin(kids.person_id),
        arranged=first.person_id.map(kids.set_index("person_id").outcome).eq("intervention_arranged"),
    )
    bands = [_band_label(lo, hi) for lo, hi in data.config.engagement.age_bands] + ["Other ages"]
    rows = []
    for characteristic, order in EQUALITY_CHARACTERISTICS.items():
        counts = first.groupby(characteristic).agg(
            detained=("person_id", "size"), approached=("approached", "sum"), arranged=("arranged", "sum")
        )
        levels = [x for x in (order or bands) if x in counts.index] + sorted(set(counts.index) - set(order or bands))
        rows += [{"characteristic": characteristic, "level": lv, **{k: int(v) for k, v in counts.loc[lv].items()}} for lv in levels]
    return pd.DataFrame(rows, columns=["characteristic", "level", "detained", "approached", "arranged"])


@dataclass(frozen=True)
class Delivery:
    """What the contact log records about delivery after the first contact (None where it does not record it): days
    from first contact to the intervention's start, sessions attended, and who is recorded as awaiting one."""

    days_to_start: pd.Series | None  # one value per child whose intervention start is recorded
    sessions: pd.Series | None  # one value per child with an intervention started and sessions recorded
    started: int
    ended: int | None  # None: no end dates recorded at all
    awaiting: int


def _delivery(kids: pd.DataFrame) -> Delivery:
    arranged = kids.outcome == "intervention_arranged"
    started = arranged & kids.intervention_start_date.notna()
    days = (kids.intervention_start_date[started] - kids.contact_date[started]).dt.days
    sessions = None
    if "sessions_attended" in kids and kids.sessions_attended[started].notna().any():
        sessions = pd.to_numeric(kids.sessions_attended[started], errors="coerce").dropna()
    ends = kids.intervention_end_date.notna() if "intervention_end_date" in kids else pd.Series(False, index=kids.index)
    return Delivery(
        days_to_start=days if started.any() else None,
        sessions=sessions,
        started=int(started.sum()),
        ended=int((started & ends).sum()) if ends.any() else None,
        awaiting=int((kids.outcome == "awaiting_intervention").sum()),
    )


def _funnel(data: EvaluationData, kids: pd.DataFrame, in_suite: pd.DataFrame) -> tuple[pd.DataFrame, list[Note]]:
    cfg = data.config.programme
    detained = set(in_suite.person_id)
    approached = kids[kids.person_id.isin(detained)]
    notes: list[Note] = []
    outside = len(kids) - len(approached)
    if outside:
        notes.append(
            Note(
                "funnel",
                "{outside} engaged children are not in the first stage (no detention at the programme suite in the "
                f"period within ages {cfg.age_min}–{cfg.age_max}) and are left out of the funnel.",
                {"outside": ("engaged_outside_funnel", outside)},
            )
        )
    positive = approached.outcome.isin(["intervention_arranged", "awaiting_intervention"])
    arranged = approached.outcome == "intervention_arranged"
    started = arranged & approached.intervention_start_date.notna()
    ended = started & approached.intervention_end_date.notna()
    stages = [
        ("detained", f"Children aged {cfg.age_min}–{cfg.age_max} detained at the programme suite", len(detained)),
        ("approached", "Approached by the programme", len(approached)),
        ("positively_engaged", "Positively engaged", int(positive.sum())),
        ("intervention_arranged", "Intervention arranged", int(arranged.sum())),
        ("intervention_started", "Intervention started (start date recorded)", int(started.sum())),
        ("intervention_ended", "Intervention ended (end date recorded)", int(ended.sum())),
    ]
    if approached.intervention_start_date.notna().sum() == 0:
        notes.append(
            Note("funnel", "No intervention start dates are recorded, so the last stages of the funnel cannot be shown from the data.")
        )
        stages = stages[:4]
    f = pd.DataFrame(stages, columns=["stage_key", "stage", "children"])
    f["share_of_previous"] = f.children / f.children.shift(1)
    f["share_of_approached"] = np.where(f.index >= 1, f.children / max(len(approached), 1), np.nan)
    return f, notes


def _timeliness(kids: pd.DataFrame, hours: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    target_days = math.ceil(hours / 24)
    positive = kids.outcome.isin(["intervention_arranged", "awaiting_intervention"])
    has_follow = kids.followup_date.notna()
    both = has_follow & kids.release_datetime.notna()
    days = (kids.followup_date[both] - kids.release_datetime[both].dt.normalize()).dt.days
    within = int((days <= target_days).sum())
    rows = [
        _rate_row(
            "followup_recorded",
            "Positively engaged children with a follow-up meeting recorded",
            int((positive & has_follow).sum()),
            int(positive.sum()),
            "follow-up date recorded / positively engaged children",
        ),
        _rate_row(
            "followup_within_target",
            f"Follow-up meetings within {hours} hours of release",
            within,
            int(both.sum()),
            f"meetings no later than {target_days} day(s) after the day of release / meetings with follow-up and release dates",
        ),
    ]
    table = pd.DataFrame(rows)
    labels = ["Same day", "1 day", "2 days", "3 days", "4 or more days"]
    bucket = pd.cut(days, bins=[-1, 0, 1, 2, 3, np.inf], labels=labels)
    dist = bucket.value_counts().reindex(labels, fill_value=0).rename_axis("days_after_release").reset_index(name="meetings")
    return table, dist


def _pathways(kids: pd.DataFrame) -> pd.DataFrame:
    rec = kids[kids.pathway.notna() & kids.outcome.isin(["intervention_arranged", "awaiting_intervention"])]
    t = pd.crosstab(rec.pathway, rec.outcome).reindex(
        index=list(PATHWAYS), columns=["intervention_arranged", "awaiting_intervention"], fill_value=0
    )
    t = t.fillna(0).astype(int)
    out = pd.DataFrame(
        {
            "pathway_key": t.index,
            "pathway": [PATHWAYS[k] for k in t.index],
            "arranged": t["intervention_arranged"].to_numpy(),
            "wanted_awaiting": t["awaiting_intervention"].to_numpy(),
        }
    )
    out["total"] = out.arranged + out.wanted_awaiting
    return out.sort_values(["total", "pathway_key"], ascending=[False, True], kind="stable").reset_index(drop=True)


def _event_breakdowns(kids: pd.DataFrame, cfg, months: list[str]) -> dict[str, pd.DataFrame]:
    """People engaged by the kind of their index event (when the programme has several), by out-of-court disposal
    and by first-time-entrant status (when the extract records them). People met with no index event are 'Not
    recorded'."""
    out: dict[str, pd.DataFrame] = {}
    p = cfg.programme
    if p.age_min < 18 <= p.age_max:
        age = kids.age_at_arrival.astype(float)
        group = np.where(age.isna(), AGE_NOT_RECORDED, np.where(age < 18, AGE_GROUPS[0], AGE_GROUPS[1]))
        k = kids.assign(age_group=group)
        out["age_group"] = _crosstab(k, "age_group", list(AGE_GROUPS) + ([AGE_NOT_RECORDED] if age.isna().any() else []), months)
    kinds = list(cfg.programme.index_events)
    if len(kinds) > 1 and "event_kind" in kids:
        k = kids.assign(kind=kids.event_kind.map(EVENT_KIND_LABELS).fillna(NOT_RECORDED))
        cats = [EVENT_KIND_LABELS[x] for x in kinds] + ([NOT_RECORDED] if (k.kind == NOT_RECORDED).any() else [])
        out["event_kind"] = _crosstab(k, "kind", cats, months)
    if "disposal_type" in kids and kids.disposal_type.notna().any():
        k = kids.assign(disposal=kids.disposal_type.fillna(NOT_RECORDED))
        cats = sorted(set(k.disposal) - {NOT_RECORDED}) + ([NOT_RECORDED] if (k.disposal == NOT_RECORDED).any() else [])
        out["disposal_type"] = _crosstab(k, "disposal", cats, months)
    if "first_time_entrant" in kids and kids.first_time_entrant.isin(["yes", "no"]).any():
        k = kids.assign(fte=kids.first_time_entrant.map({"yes": "Yes", "no": "No"}).fillna(NOT_RECORDED))
        out["first_time_entrant"] = _crosstab(k, "fte", ["Yes", "No"] + ([NOT_RECORDED] if (k.fte == NOT_RECORDED).any() else []), months)
    return out


def analyse(data: EvaluationData) -> EngagementResult:
    """Engagement tables, rates (Wilson 95% CIs), funnel, timeliness and pathway demand."""
    cfg = data.config
    kids = engaged_children(data)
    months, days = _months(pd.Timestamp(cfg.programme.start), pd.Timestamp(cfg.programme.end))
    residence_cats = list(cfg.programme.home_areas) + ["Other"] + (["Unknown"] if (kids.residence_group == "Unknown").any() else [])
    band_cats = (
        [_band_label(lo, hi) for lo, hi in cfg.engagement.age_bands]
        + (["Other ages"] if (kids.age_band == "Other ages").any() else [])
        + ([AGE_NOT_RECORDED] if (kids.age_band == AGE_NOT_RECORDED).any() else [])
    )
    outcomes = [k for k in OUTCOMES if k in CORE_OUTCOMES or (kids.outcome == k).any()]
    yos = kids.assign(yos=kids.known_to_yos.map({"yes": "Yes", "no": "No", "unknown": "Not checked"}).fillna("Not checked"))
    tables = {
        "total": _crosstab(kids.assign(all="Children engaged"), "all", ["Children engaged"], months),
        "residence": _crosstab(kids, "residence_group", residence_cats, months),
        "age_band": _crosstab(kids, "age_band", band_cats, months),
        "known_to_yos": _crosstab(yos, "yos", ["Yes", "No", "Not checked"], months),
        "outcome": _crosstab(kids, "outcome", outcomes, months),
    }
    tables["outcome"].index = pd.Index(outcomes, name="outcome")
    tables.update(_event_breakdowns(kids, cfg, months))
    rates = pd.DataFrame(_rates(kids))
    monthly = []
    for m in months + ["Total"]:
        sub = kids if m == "Total" else kids[kids.month == m]
        for r in _rates(sub):
            monthly.append({"month": m, **r})
    monthly_rates = pd.DataFrame(monthly)
    eligible = _eligible_detentions(data)  # the funnel's first stage, read once for the funnel and the equalities table
    funnel, notes = _funnel(data, kids, eligible)
    timeliness, follow_days = _timeliness(kids, cfg.engagement.followup_within_hours)
    partial = [m for m in months if days[m] < pd.Period(m).days_in_month]
    if partial:
        notes.append(
            Note(
                "months",
                "Months are not comparable: " + ", ".join(f"{pd.Period(m).strftime('%B %Y')} covers {days[m]} days" for m in partial) + ".",
            )
        )
    contacts = _contacts_in_period(data)
    repeat = contacts - len(kids)
    if repeat:
        notes.append(
            Note(
                "months",
                "{repeat} contacts in the period were repeat approaches to a child already counted; each child is counted once.",
                {"repeat": ("repeat_contacts", repeat)},
            )
        )
    return EngagementResult(
        children=kids,
        months=months,
        days_in_month=days,
        tables=tables,
        rates=rates,
        monthly_rates=monthly_rates,
        funnel=funnel,
        timeliness=timeliness,
        followup_days=follow_days,
        pathways=_pathways(kids),
        notes=tuple(notes),
        contacts_in_period=contacts,
        followup_target_days=math.ceil(cfg.engagement.followup_within_hours / 24),
        providers=_providers(data),
        referrals=_referrals(data),
        equalities=_equalities(data, kids, eligible) if len(data.custody_detentions) else None,
        delivery=_delivery(kids),
        without_detention=int(kids.detention_id.isna().sum()),
    )
