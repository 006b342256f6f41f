"""The analysis cohort: the programme group, the comparison pool, their index dates and covariates,
and an attrition table that accounts for every person and detention in the input.

Definitions:

* Programme group (intention to treat): every child with a programme contact dated in the
  programme period, whatever the engagement outcome. Index detention: the detention linked to the
  child's first contact in the period. Children outside the programme's age range at that
  detention leave the cohort (with that reason).
* Comparison pool: children never approached by the programme (no contact at any date) with at
  least one *eligible* detention: at a comparison suite during the programme period, or at a
  programme suite during the configured pre-programme period; aged within the programme's age
  range at that detention; and, if `[comparison] residence_areas` is set, living in one of them.
  Index detention: their first eligible detention.
* Covariates at index: age, sex, ethnicity, arrest offence group (and its broad category,
  OFFENCE_CATEGORIES, used for matching), known to YOS, known to children's social care, and counts in the 12 months before the index date (the year up to, not including,
  the index day) of offences, victimisations, missing episodes and custody detentions. The index
  arrest's own offence is left out: it is the offence linked to the index detention in
  `events.detention_id` where that link exists; otherwise only offences dated before the index day
  count, so an index offence committed earlier than the day of arrest would be counted.

An engaged-only view (positively engaged children: intervention arranged or awaiting one) is
available for secondary analyses; it is prone to selection bias because engagement is not random.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .loading import EvaluationData

#: Broad arrest-offence categories used for matching: eleven Home Office groups are too many levels
#: for a cohort of tens or hundreds (a level held by 5% of children moves the standardised difference
#: by about 0.05 per child). The detailed group stays in the table.
OFFENCE_CATEGORIES: dict[str, str] = {
    "violence_with_injury": "violence", "violence_without_injury": "violence", "sexual": "violence",
    "robbery": "robbery_or_weapons", "possession_of_weapons": "robbery_or_weapons",
    "burglary": "acquisitive", "theft": "acquisitive", "drugs": "drugs",
    "criminal_damage": "other", "public_order": "other", "other": "other",
}
#: Covariates at index used for matching by default (the prior counts need the events table).
DEMOGRAPHIC_COVARIATES: tuple[str, ...] = (
    "age", "sex", "ethnicity", "arrest_offence_category", "known_to_yos", "known_to_childrens_social_care",
)
PRIOR_COUNT_COVARIATES: tuple[str, ...] = (
    "prior_offences_12m", "prior_victimisations_12m", "prior_missing_episodes_12m", "prior_detentions_12m",
)
#: Roles of cohort columns: matching refuses anything that is not a covariate.
COLUMN_ROLES: dict[str, str] = {
    "person_id": "identifier", "index_detention_id": "identifier", "group": "treatment", "treated": "treatment",
    "source": "design", "index_date": "design", "index_suite": "design", "residence_area": "design",
    "engagement_outcome": "post_index", "positively_engaged": "post_index",
    "arrest_offence_group": "covariate",
    **{c: "covariate" for c in DEMOGRAPHIC_COVARIATES + PRIOR_COUNT_COVARIATES},
}

PROGRAMME, COMPARISON = "programme", "comparison"


@dataclass(frozen=True)
class Cohort:
    """The cohort table (one row per child) and how everyone in the input got there or didn't.

    `table` and `person_status` are record-level and never published; `attrition` is aggregate.
    """

    table: pd.DataFrame
    attrition: pd.DataFrame
    person_status: pd.DataFrame
    detention_status: pd.DataFrame
    covariates: tuple[str, ...]
    notes: list[str] = field(default_factory=list)

    @property
    def n_programme(self) -> int:
        return int(self.table.treated.sum())

    @property
    def n_comparison(self) -> int:
        return int((~self.table.treated.astype(bool)).sum())

    def engaged_only(self) -> "Cohort":
        """Secondary view: positively engaged programme children with the same comparison pool.

        Prone to selection bias: children who engage differ from those who do not in ways the
        covariates may not capture. Label any result from it as such.
        """
        keep = ~self.table.treated.astype(bool) | self.table.positively_engaged.eq(True)
        return Cohort(self.table[keep].reset_index(drop=True), self.attrition, self.person_status, self.detention_status,
                      self.covariates, self.notes + ["Engaged-only view: programme children who did not engage positively are left out; "
                                                     "prone to selection bias."])


def _between(ts: pd.Series, start, end) -> pd.Series:
    return (ts >= pd.Timestamp(start)) & (ts < pd.Timestamp(end) + pd.Timedelta(days=1))


def prior_counts(index: pd.DataFrame, data: EvaluationData, years: int = 1) -> pd.DataFrame:
    """Counts in the `years` years before each child's index day, excluding the index arrest.

    `index` has person_id, index_date (midnight of the index day) and index_detention_id.
    """
    out = pd.DataFrame(index=index.index)
    lo = index.index_date - pd.DateOffset(years=years)
    suffix = f"_{12 * years}m"
    det = data.custody_detentions[["person_id", "detention_id", "arrival_datetime"]]
    merged = det.merge(index[["person_id", "index_date", "index_detention_id"]].assign(lo=lo), on="person_id")
    in_window = (merged.arrival_datetime >= merged.lo) & (merged.arrival_datetime < merged.index_date) & \
        (merged.detention_id != merged.index_detention_id)
    counts = merged[in_window].groupby("person_id").size()
    out[f"prior_detentions{suffix}"] = index.person_id.map(counts).fillna(0).astype(int).to_numpy()
    if data.events is None:
        return out
    ev = data.events[["person_id", "event_date", "event_type", "detention_id"]]
    merged = ev.merge(index[["person_id", "index_date", "index_detention_id"]].assign(lo=lo), on="person_id")
    in_window = (merged.event_date >= merged.lo) & (merged.event_date < merged.index_date)
    not_index_offence = merged.detention_id.isna() | (merged.detention_id != merged.index_detention_id)
    kept = merged[in_window & not_index_offence]
    for event_type, name in (("offence", "prior_offences"), ("victimisation", "prior_victimisations"),
                             ("missing_episode", "prior_missing_episodes")):
        counts = kept[kept.event_type == event_type].groupby("person_id").size()
        out[f"{name}{suffix}"] = index.person_id.map(counts).fillna(0).astype(int).to_numpy()
    return out


def build_cohort(data: EvaluationData) -> Cohort:
    """Programme group and comparison pool with index dates, covariates and full attrition accounting."""
    cfg = data.config
    p, c = cfg.programme, cfg.comparison
    det = data.custody_detentions.copy()
    contacts = data.programme_contacts
    det["day"] = det.arrival_datetime.dt.normalize()
    in_age = det.age_at_arrival.between(p.age_min, p.age_max)
    ages = f"aged {p.age_min}–{p.age_max}"

    # ---- programme group: first contact in the period
    in_period = contacts[_between(contacts.contact_date, p.start, p.end)]
    first = in_period.sort_values(["contact_date", "contact_id"]).drop_duplicates("person_id")
    first = first.merge(det[["detention_id", "age_at_arrival"]], on="detention_id", how="left")
    prog_ok = first[first.age_at_arrival.between(p.age_min, p.age_max)]
    prog_old = first[~first.age_at_arrival.between(p.age_min, p.age_max)]
    ever_approached = set(contacts.person_id)

    status: dict[str, tuple[str, str]] = {}  # person -> (group or 'excluded', reason)
    for pid in prog_ok.person_id:
        status[pid] = (PROGRAMME, "approached by the programme in the period: programme group")
    for pid in prog_old.person_id:
        status[pid] = ("excluded", f"approached in the period, but not {ages} at that detention")
    for pid in ever_approached - set(first.person_id):
        status[pid] = ("excluded", "approached by the programme only outside the evaluated period")

    # ---- comparison pool: never approached, first eligible detention
    at_comp_suite = det.custody_suite.isin(c.suites) & _between(det.arrival_datetime, p.start, p.end)
    at_pre = (det.custody_suite.isin(p.suites) & _between(det.arrival_datetime, c.pre_period_start, c.pre_period_end)
              if c.pre_period_start else pd.Series(False, index=det.index))
    design = at_comp_suite | at_pre
    area_ok = det.residence_area.isin(c.residence_areas) if c.residence_areas is not None else pd.Series(True, index=det.index)
    eligible = design & in_age & area_ok
    never = ~det.person_id.isin(ever_approached)
    cand = det[eligible & never].sort_values(["arrival_datetime", "detention_id"]).drop_duplicates("person_id")
    for pid in cand.person_id:
        status[pid] = (COMPARISON, "never approached, eligible detention in the comparison design: comparison pool")
    at_prog_in_period = det.custody_suite.isin(p.suites) & _between(det.arrival_datetime, p.start, p.end)
    for pid, g in det[never & ~det.person_id.isin(list(status))].groupby("person_id", sort=True):
        idx = g.index
        if not design[idx].any():
            if at_prog_in_period[idx].any():
                reason = "detained at the programme suite during the programme but never approached (not a comparison design)"
            else:
                reason = "no detention in the comparison design (other suites or periods)"
        elif not (design[idx] & in_age[idx]).any():
            reason = f"in the comparison design, but never {ages} there"
        else:
            reason = "in the comparison design, but living outside the comparison areas"
        status[pid] = ("excluded", reason)

    # ---- cohort table
    prog_rows = det.set_index("detention_id").loc[prog_ok.detention_id].reset_index()
    prog_rows = prog_rows.merge(prog_ok[["detention_id", "outcome"]], on="detention_id")
    prog_rows["treated"] = 1
    prog_rows["source"] = "programme"
    comp_rows = cand.copy()
    comp_rows["outcome"] = np.nan
    comp_rows["treated"] = 0
    comp_rows["source"] = np.where(comp_rows.custody_suite.isin(p.suites), "pre_programme_period", "comparison_suite")
    rows = pd.concat([prog_rows, comp_rows], ignore_index=True)
    table = pd.DataFrame({
        "person_id": rows.person_id,
        "index_detention_id": rows.detention_id,
        "treated": rows.treated.astype(int),
        "group": np.where(rows.treated == 1, PROGRAMME, COMPARISON),
        "source": rows.source,
        "index_date": rows.day,
        "index_suite": rows.custody_suite,
        "residence_area": rows.residence_area,
        "age": rows.age_at_arrival.astype(int),
        "sex": rows.sex.astype(object),
        "ethnicity": rows.ethnicity.astype(object),
        "arrest_offence_group": rows.arrest_offence_group.astype(object),
        "arrest_offence_category": rows.arrest_offence_group.map(OFFENCE_CATEGORIES).astype(object),
        "known_to_yos": rows.known_to_yos.astype(object),
        "known_to_childrens_social_care": rows.known_to_childrens_social_care.astype(object).where(
            rows.known_to_childrens_social_care.notna(), "unknown"),
        "engagement_outcome": rows.outcome.astype(object),
    })
    table["positively_engaged"] = table.engagement_outcome.isin(["intervention_arranged", "awaiting_intervention"]).where(table.treated == 1)
    counts = prior_counts(table, data)
    table = pd.concat([table, counts], axis=1)
    table = table.sort_values(["treated", "index_date", "person_id"], ascending=[False, True, True], kind="stable").reset_index(drop=True)
    table.attrs["column_roles"] = dict(COLUMN_ROLES)
    covariates = DEMOGRAPHIC_COVARIATES + tuple(col for col in PRIOR_COUNT_COVARIATES if col in table)
    notes = []
    if data.events is None:
        notes.append("No events table: prior offences, victimisations and missing episodes are not available as covariates.")
    if data.custody_detentions.known_to_childrens_social_care.isna().all():
        notes.append("known_to_childrens_social_care is not in the extract; it is 'unknown' for everyone.")

    person_status = pd.DataFrame([(pid, g, r) for pid, (g, r) in sorted(status.items())], columns=["person_id", "status", "reason"])
    det_status = _detention_status(det, table, person_status)
    return Cohort(table=table, attrition=_attrition(det, person_status, det_status), person_status=person_status,
                  detention_status=det_status, covariates=covariates, notes=notes)


def _detention_status(det: pd.DataFrame, table: pd.DataFrame, person_status: pd.DataFrame) -> pd.DataFrame:
    index_of = dict(zip(table.index_detention_id, table.group))
    status_of = dict(zip(person_status.person_id, person_status.status))
    reason_of = dict(zip(person_status.person_id, person_status.reason))
    index_date = dict(zip(table.person_id, table.index_date))
    roles = []
    for d, pid, day in zip(det.detention_id, det.person_id, det.day):
        if d in index_of:
            roles.append((f"index detention ({index_of[d]} group)", "in cohort"))
        elif status_of.get(pid) in (PROGRAMME, COMPARISON):
            when = "before" if day < index_date[pid] else "after"
            roles.append((f"another detention of a cohort child ({when} index)", "used for covariates and outcomes"))
        else:
            roles.append(("detention of a child not in the cohort", reason_of[pid]))
    out = det[["detention_id", "person_id"]].copy()
    out["role"], out["reason"] = zip(*roles) if roles else ([], [])
    return out


def _attrition(det: pd.DataFrame, person_status: pd.DataFrame, det_status: pd.DataFrame) -> pd.DataFrame:
    """Aggregate flow: every person and detention is in exactly one row below the totals."""
    rows = [{"step": "In the custody extract", "reason": "", "people": int(det.person_id.nunique()), "detentions": len(det)}]
    dets_by_person = det.groupby("person_id").size()
    for status, label in ((PROGRAMME, "Programme group"), (COMPARISON, "Comparison pool"), ("excluded", "Left out")):
        sub = person_status[person_status.status == status]
        for reason, g in sub.groupby("reason", sort=True):
            rows.append({"step": label, "reason": reason, "people": len(g),
                         "detentions": int(dets_by_person.reindex(g.person_id).fillna(0).sum())})
    # people who appear only in the contact log would not be in the custody extract: validation forbids that
    out = pd.DataFrame(rows)
    return out
