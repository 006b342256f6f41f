"""The analysis cohort: the programme group, the comparison pool, their index dates and covariates,
and an attrition table that accounts for every person and detention in the input.

The design emulates a target trial (Hernán & Robins 2016): at an *eligible index event*, a child who
has not yet been approached by the programme is either approached (programme group) or not
(comparison). Eligibility is decided at the index date, by the same rule for both groups:

* An eligible index event is a custody detention at which the child was aged within the
  programme's age range and, where `[comparison] residence_areas` is set, lived in one of those
  areas (for both groups), and which falls in the design: at a programme suite during the
  programme period *where the programme approached the child* (programme group), or at a
  comparison suite during the programme period, or at a programme suite during the configured
  pre-programme period (comparison).
* Time zero is set the same way for everyone: a child enters at their *first eligible detention* in
  each calendar window of the design, before any contact with the programme. In the programme
  period the programme's suites and the comparison suites compete for that entry: if the first
  eligible detention is at a programme suite and the programme approached the child there (their
  first contact), the child is in the programme group; if it is at a comparison suite, the child is
  a comparison child. In the pre-programme period (a window of its own), a child enters at their
  first eligible detention at the programme suite, as a comparison child. A child whose first
  eligible detention in the programme period was at the programme suite but who was not approached
  there is left out of that window (not a comparison design), even if approached later: the
  programme is not credited with a start chosen after time zero, and indexing programme children at
  a later arrest than comparison children would compare them at a different point of a spell of
  offending. A child can so hold a pre-period comparison index and, a year later, a programme (or
  comparison) index: two units (`unit_id`); standard errors cluster on the child as well as on the
  matched set.
* A comparison child who is approached later keeps the comparison index and is censored at the
  first programme contact in every outcome window and time-to-event analysis (the day of the contact
  is still observed: the arrest that led to it came first), with inverse probability of censoring
  weights (evaluation.censoring).
* Risk-set design (`[matching] comparison_design = "risk_set"`, after Li, Propert & Rosenbaum 2001):
  programme children are indexed at their first eligible detention at a programme suite in the
  period (approached there); a comparison child contributes a row at their first eligible detention
  in *each* calendar interval of the programme period before their first contact, at comparison
  suites only, and each programme child is matched within their own interval (exact matching on
  `index_period`), so every comparison is with children eligible at the same calendar time. A child
  may then hold a comparison row and, later, a programme row; standard errors cluster on the child
  as well as on the matched set.

Covariates at index: age, sex, ethnicity, arrest offence group (and its broad category,
OFFENCE_CATEGORIES, used for matching), known to YOS, known to children's social care, and counts
in the 12 months before the index date (the year up to, not including, the index day) of offences,
victimisations, missing episodes and custody detentions; and the same counts 13 to 24 months before
(for matching on an earlier window). The index arrest's own offence is left out: it is the offence
linked to the index detention in `events.detention_id` where that link exists; otherwise only
offences dated before the index day count.

An engaged-only view (positively engaged children: intervention arranged or awaiting one) is
available for secondary analyses; it is prone to selection bias because engagement is not random.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from .loading import EvaluationData

#: Broad arrest-offence categories used for matching: eleven Home Office groups are too many levels
#: for a cohort of tens or hundreds (a level held by 5% of children moves the standardised difference
#: by about 0.05 per child). The detailed group stays in the table.
OFFENCE_CATEGORIES: dict[str, str] = {
    "violence_with_injury": "violence",
    "violence_without_injury": "violence",
    "sexual": "violence",
    "rape": "violence",
    "other_sexual": "violence",
    "robbery": "robbery_or_weapons",
    "possession_of_weapons": "robbery_or_weapons",
    "burglary": "acquisitive",
    "theft": "acquisitive",
    "drugs": "drugs",
    "criminal_damage": "other",
    "public_order": "other",
    "other": "other",
}
#: Covariates at index used for matching by default (the prior counts need the events table).
DEMOGRAPHIC_COVARIATES: tuple[str, ...] = (
    "age",
    "sex",
    "ethnicity",
    "arrest_offence_category",
    "known_to_yos",
    "known_to_childrens_social_care",
)
PRIOR_COUNT_COVARIATES: tuple[str, ...] = (
    "prior_offences_12m",
    "prior_victimisations_12m",
    "prior_missing_episodes_12m",
    "prior_detentions_12m",
)
EARLIER_COUNT_COVARIATES: tuple[str, ...] = (
    "prior_offences_13_24m",
    "prior_victimisations_13_24m",
    "prior_missing_episodes_13_24m",
    "prior_detentions_13_24m",
)
#: Roles of cohort columns: matching refuses anything that is not a covariate.
COLUMN_ROLES: dict[str, str] = {
    "unit_id": "identifier",
    "person_id": "identifier",
    "index_detention_id": "identifier",
    "group": "treatment",
    "treated": "treatment",
    "source": "design",
    "index_date": "design",
    "index_suite": "design",
    "residence_area": "design",
    "index_period": "design",
    "approached_later_date": "design",
    "engagement_outcome": "post_index",
    "positively_engaged": "post_index",
    "arrest_offence_group": "covariate",
    **{c: "covariate" for c in DEMOGRAPHIC_COVARIATES + PRIOR_COUNT_COVARIATES + EARLIER_COUNT_COVARIATES},
}

PROGRAMME, COMPARISON, BOTH = "programme", "comparison", "both"
INDEX_RULES = {
    "pooled": (
        "Eligibility decided at the index date, by one rule for both groups: a child enters at their first eligible detention "
        "in each calendar window of the design (the programme period; the pre-programme period) before any contact with the "
        "programme; in the programme period, programme group if that detention was at a programme suite and the programme "
        "approached them there, comparison if it was at a comparison suite. Comparison children approached later keep that "
        "index and are censored at the first contact."
    ),
    "risk_set": (
        "Risk-set design: programme children are indexed at their first eligible detention at a programme suite in the "
        "programme period, where the programme approached them; comparison children contribute their first eligible "
        "detention at a comparison suite in each calendar interval of the programme period before any contact, and are "
        "matched within the programme child's interval; comparison children approached later are censored at the first "
        "contact."
    ),
}


@dataclass(frozen=True)
class Cohort:
    """The cohort table (one row per index event: `unit_id`) and how everyone in the input got there or didn't.

    `table` and `person_status` are record-level and never published; `attrition` is aggregate.
    `design` is "pooled" or "risk_set"; `earlier_window_observed` says whether events reach 24 months
    before every index date (needed for matching on the earlier window).
    """

    table: pd.DataFrame
    attrition: pd.DataFrame
    person_status: pd.DataFrame
    detention_status: pd.DataFrame
    covariates: tuple[str, ...]
    notes: list[str] = field(default_factory=list)
    design: str = "pooled"
    earlier_window_observed: bool = False

    @property
    def n_programme(self) -> int:
        return int(self.table.treated.sum())

    @property
    def n_comparison(self) -> int:
        return int((~self.table.treated.astype(bool)).sum())

    @property
    def n_comparison_approached_later(self) -> int:
        """Comparison rows (index events) whose child was approached by the programme after the index."""
        comp = self.table[self.table.treated == 0]
        return int(comp.approached_later_date.notna().sum())

    @property
    def index_rule(self) -> str:
        return INDEX_RULES[self.design]

    def engaged_only(self) -> "Cohort":
        """Secondary view: positively engaged programme children with the same comparison pool.

        Prone to selection bias: children who engage differ from those who do not in ways the
        covariates may not capture. Label any result from it as such.
        """
        keep = ~self.table.treated.astype(bool) | self.table.positively_engaged.eq(True)
        return replace(
            self,
            table=self.table[keep].reset_index(drop=True),
            notes=self.notes
            + ["Engaged-only view: programme children who did not engage positively are left out; prone to selection bias."],
        )


def _between(ts: pd.Series, start, end) -> pd.Series:
    return (ts >= pd.Timestamp(start)) & (ts < pd.Timestamp(end) + pd.Timedelta(days=1))


def _window_counts(index: pd.DataFrame, data: EvaluationData, months_from: int, months_to: int, suffix: str) -> pd.DataFrame:
    """Counts from `months_to` months before each index day up to (not including) `months_from` months
    before it (months_from = 0: the index day itself is left out), excluding the index arrest.

    `index` has person_id, index_date (midnight of the index day) and index_detention_id; one row per
    index event (a person may have several), counted by row.
    """
    out = pd.DataFrame(index=index.index)
    key = index[["person_id", "index_date", "index_detention_id"]].copy()
    key["row"] = np.arange(len(key))
    key["lo"] = key.index_date - pd.DateOffset(months=months_to)
    key["hi"] = key.index_date - pd.DateOffset(months=months_from) if months_from else key.index_date
    det = data.custody_detentions[["person_id", "detention_id", "arrival_datetime"]]
    merged = det.merge(key, on="person_id")
    in_window = (
        (merged.arrival_datetime >= merged.lo) & (merged.arrival_datetime < merged.hi) & (merged.detention_id != merged.index_detention_id)
    )
    counts = merged[in_window].groupby("row").size()
    out[f"prior_detentions{suffix}"] = key.row.map(counts).fillna(0).astype(int).to_numpy()
    if data.events is None:
        return out
    from .outcomes import count_events

    windows = key.rename(columns={"lo": "start", "hi": "stop"})
    counts = count_events(windows, data.events)  # in the engine: the events never come into pandas
    for event_type, name in (
        ("offence", "prior_offences"),
        ("victimisation", "prior_victimisations"),
        ("missing_episode", "prior_missing_episodes"),
    ):
        if event_type not in data.config.data.event_types_recorded:
            continue  # not in the extract: a column of zeros would say "none" where the truth is "not known"
        out[f"{name}{suffix}"] = counts[event_type].astype(int).to_numpy()
    return out


def prior_counts(index: pd.DataFrame, data: EvaluationData, years: int = 1) -> pd.DataFrame:
    """Counts in the `years` years before each index day (see `_window_counts`)."""
    return _window_counts(index, data, 0, 12 * years, f"_{12 * years}m")


def earlier_counts(index: pd.DataFrame, data: EvaluationData) -> pd.DataFrame:
    """Counts 13 to 24 months before each index day: an earlier window for matching (Daw & Hatfield 2018)."""
    return _window_counts(index, data, 12, 24, "_13_24m")


def _period_key(ts: pd.Series, interval: str) -> pd.Series:
    return ts.dt.to_period({"month": "M", "quarter": "Q"}[interval]).astype(str)


def build_cohort(data: EvaluationData) -> Cohort:
    """Programme group and comparison pool with index dates, covariates and full attrition accounting."""
    cfg = data.config
    p, c = cfg.programme, cfg.comparison
    design = getattr(cfg.matching, "comparison_design", "pooled")
    interval = getattr(cfg.matching, "risk_set_interval", "month")
    det = data.custody_detentions.copy()
    contacts = data.programme_contacts
    det["day"] = det.arrival_datetime.dt.normalize()
    first_contact = contacts.groupby("person_id").contact_date.min()
    det["first_contact"] = det.person_id.map(first_contact)
    in_age = det.age_at_arrival.between(p.age_min, p.age_max)
    area_ok = det.residence_area.isin(c.residence_areas) if c.residence_areas is not None else pd.Series(True, index=det.index)
    ages = f"aged {p.age_min}–{p.age_max}"
    not_yet = det.first_contact.isna() | (det.day < det.first_contact)

    ordered = contacts.sort_values(["contact_date", "contact_id"]).drop_duplicates("person_id")
    first = ordered.merge(det[["detention_id", "age_at_arrival", "residence_area"]], on="detention_id", how="left")
    first_det = det.person_id.map(first.set_index("person_id").detention_id)
    at_or_before_contact = not_yet | (det.detention_id == first_det)
    prog_design = det.custody_suite.isin(p.suites) & _between(det.arrival_datetime, p.start, p.end)
    at_comp_suite = det.custody_suite.isin(c.suites) & _between(det.arrival_datetime, p.start, p.end)
    at_pre = (
        det.custody_suite.isin(p.suites) & _between(det.arrival_datetime, c.pre_period_start, c.pre_period_end)
        if c.pre_period_start and design != "risk_set"  # a pre-programme period cannot be concurrent
        else pd.Series(False, index=det.index)
    )
    comp_design = at_comp_suite | at_pre
    eligible = in_age & area_ok & at_or_before_contact

    # ---- time zero: each child's first eligible detention in each calendar window of the design (the programme period;
    # the pre-programme period, comparison only). In the programme period the programme and comparison suites compete for
    # a child's entry: programme group if the first eligible detention was at a programme suite and approached there,
    # comparison if it was at a comparison suite. Risk-set design: comparison rows in every calendar interval instead.
    order = ["arrival_datetime", "detention_id"]
    if design == "risk_set":
        first_prog = det[prog_design & eligible].sort_values(order).drop_duplicates("person_id")
        rows_b = det[at_comp_suite & eligible & not_yet].sort_values(order)
        rows_b = rows_b.assign(index_period=_period_key(rows_b.arrival_datetime, interval))
        cand = rows_b.drop_duplicates(["person_id", "index_period"])
    else:
        entry_b = det[(prog_design | at_comp_suite) & eligible].sort_values(order).drop_duplicates("person_id")
        first_prog = entry_b[prog_design[entry_b.index]]
        entry_a = det[at_pre & eligible & not_yet].sort_values(order).drop_duplicates("person_id")
        cand = pd.concat([entry_a, entry_b[at_comp_suite[entry_b.index] & not_yet[entry_b.index]]]).sort_values(order)
    approached_there = first_prog.detention_id.to_numpy() == first_det[first_prog.index].to_numpy()
    prog_ok = first[first.detention_id.isin(first_prog.detention_id[approached_there])]
    programme_ids = set(prog_ok.person_id)
    comparison_ids = set(cand.person_id)
    in_period_contact = set(first.person_id[_between(first.contact_date, p.start, p.end)])
    approached_later_in_period = (set(first_prog.person_id[~approached_there]) & in_period_contact) - comparison_ids

    # ---- every person's fate
    status: dict[str, tuple[str, str]] = {}
    later = set(first_contact.index)
    for pid in sorted(programme_ids | comparison_ids):
        if pid in programme_ids and pid in comparison_ids:
            status[pid] = (
                BOTH,
                "comparison pool at an eligible detention before their first approach (censored at it), then "
                "programme group from that approach",
            )
        elif pid in programme_ids:
            status[pid] = (PROGRAMME, "approached by the programme in the period: programme group")
        elif pid in later:
            status[pid] = (
                COMPARISON,
                "comparison pool at their first eligible detention, approached by the programme later (censored at that approach)",
            )
        else:
            status[pid] = (COMPARISON, "never approached, eligible detention in the comparison design: comparison pool")
    first_by_person = first.set_index("person_id")
    entered_unapproached = set(first_prog.person_id[~approached_there])  # time zero at the programme suite, not approached
    for pid, g in det[~det.person_id.isin(list(status))].groupby("person_id", sort=True):
        idx = g.index
        if pid in approached_later_in_period:
            reason = (
                "approached in the period, but not at their first eligible detention, where time zero is set for both groups "
                "(not approached there; the programme is not credited with a later start)"
            )
        elif pid in entered_unapproached:
            reason = "first eligible detention at the programme suite during the programme, not approached there (not a comparison design)"
        elif pid in first_by_person.index:
            f = first_by_person.loc[pid]
            if not _between(pd.Series([f.contact_date]), p.start, p.end).iloc[0]:
                if (comp_design[idx] & in_age[idx] & area_ok[idx]).any():
                    reason = "approached by the programme outside the evaluated period, before any eligible comparison detention"
                else:
                    reason = "approached by the programme only outside the evaluated period"
            elif not p.age_min <= f.age_at_arrival <= p.age_max:
                reason = f"approached in the period, but not {ages} at that detention"
            elif c.residence_areas is not None and f.residence_area not in c.residence_areas:
                reason = "approached in the period, but living outside the comparison areas (applied to both groups)"
            else:
                reason = "approached in the period at a detention outside the programme's suites"
        elif not comp_design[idx].any():
            if prog_design[idx].any():
                reason = "detained at the programme suite during the programme but never approached (not a comparison design)"
            else:
                reason = "no detention in the comparison design (other suites or periods)"
        elif not (comp_design[idx] & in_age[idx]).any():
            reason = f"in the comparison design, but never {ages} there"
        else:
            reason = "in the comparison design, but living outside the comparison areas"
        status[pid] = ("excluded", reason)

    # ---- cohort table: one row per index event
    prog_rows = det.set_index("detention_id").loc[prog_ok.detention_id].reset_index()
    prog_rows = prog_rows.merge(prog_ok[["detention_id", "outcome"]], on="detention_id")
    prog_rows["treated"] = 1
    prog_rows["source"] = "programme"
    prog_rows["approached_later_date"] = pd.NaT
    comp_rows = cand.copy()
    comp_rows["outcome"] = np.nan
    comp_rows["treated"] = 0
    comp_rows["source"] = np.where(comp_rows.custody_suite.isin(p.suites), "pre_programme_period", "comparison_suite")
    comp_rows["approached_later_date"] = comp_rows.first_contact
    rows = pd.concat([prog_rows, comp_rows], ignore_index=True)
    table = pd.DataFrame(
        {
            "unit_id": rows.person_id.astype(str) + "@" + rows.detention_id.astype(str),
            "person_id": rows.person_id,
            "index_detention_id": rows.detention_id,
            "treated": rows.treated.astype(int),
            "group": np.where(rows.treated == 1, PROGRAMME, COMPARISON),
            "source": rows.source,
            "index_date": rows.day,
            "index_suite": rows.custody_suite,
            "residence_area": rows.residence_area,
            "approached_later_date": pd.to_datetime(rows.approached_later_date),
            "age": rows.age_at_arrival.astype(int),
            "sex": rows.sex.astype(object),
            "ethnicity": rows.ethnicity.astype(object),
            "arrest_offence_group": rows.arrest_offence_group.astype(object),
            "arrest_offence_category": rows.arrest_offence_group.map(OFFENCE_CATEGORIES).astype(object),
            "known_to_yos": rows.known_to_yos.astype(object),
            "known_to_childrens_social_care": rows.known_to_childrens_social_care.astype(object).where(
                rows.known_to_childrens_social_care.notna(), "unknown"
            ),
            "engagement_outcome": rows.outcome.astype(object),
        }
    )
    if design == "risk_set":
        table.insert(table.columns.get_loc("index_suite"), "index_period", _period_key(rows.arrival_datetime, interval).to_numpy())
    table["positively_engaged"] = table.engagement_outcome.isin(["intervention_arranged", "awaiting_intervention"]).where(
        table.treated == 1
    )
    table = pd.concat([table, prior_counts(table, data), earlier_counts(table, data)], axis=1)
    table = table.sort_values(
        ["treated", "index_date", "person_id", "unit_id"], ascending=[False, True, True, True], kind="stable"
    ).reset_index(drop=True)
    covariates = DEMOGRAPHIC_COVARIATES + tuple(col for col in PRIOR_COUNT_COVARIATES if col in table)
    notes = []
    if data.events is None:
        notes.append("No events table: prior offences, victimisations and missing episodes are not available as covariates.")
    if data.custody_detentions.known_to_childrens_social_care.isna().all():
        notes.append("known_to_childrens_social_care is not in the extract; it is 'unknown' for everyone.")
    earlier_ok = False
    if data.events is not None and len(table):
        from .outcomes import events_start_date

        earliest_needed = (table.index_date - pd.DateOffset(months=24)).min()
        earlier_ok = bool(earliest_needed >= pd.Timestamp(events_start_date(data)))

    person_status = pd.DataFrame([(pid, g, r) for pid, (g, r) in sorted(status.items())], columns=["person_id", "status", "reason"])
    det_status = _detention_status(det, table, person_status)
    return Cohort(
        table=table,
        attrition=_attrition(det, person_status),
        person_status=person_status,
        detention_status=det_status,
        covariates=covariates,
        notes=notes,
        design=design,
        earlier_window_observed=earlier_ok,
    )


def _detention_status(det: pd.DataFrame, table: pd.DataFrame, person_status: pd.DataFrame) -> pd.DataFrame:
    index_of = dict(zip(table.index_detention_id, table.group))
    status_of = dict(zip(person_status.person_id, person_status.status))
    reason_of = dict(zip(person_status.person_id, person_status.reason))
    first_index = table.groupby("person_id").index_date.min().to_dict()
    roles = []
    for d, pid, day in zip(det.detention_id, det.person_id, det.day):
        if d in index_of:
            roles.append((f"index detention ({index_of[d]} group)", "in cohort"))
        elif status_of.get(pid) in (PROGRAMME, COMPARISON, BOTH):
            when = "before" if day < first_index[pid] else "after"
            roles.append((f"another detention of a cohort child ({when} index)", "used for covariates and outcomes"))
        else:
            roles.append(("detention of a child not in the cohort", reason_of[pid]))
    out = det[["detention_id", "person_id"]].copy()
    out["role"], out["reason"] = zip(*roles) if roles else ([], [])
    return out


def _attrition(det: pd.DataFrame, person_status: pd.DataFrame) -> pd.DataFrame:
    """Aggregate flow: every person and detention is in exactly one row below the totals."""
    rows = [{"step": "In the custody extract", "reason": "", "people": int(det.person_id.nunique()), "detentions": len(det)}]
    dets_by_person = det.groupby("person_id").size()
    for status, label in (
        (PROGRAMME, "Programme group"),
        (BOTH, "Both groups, at different detentions"),
        (COMPARISON, "Comparison pool"),
        ("excluded", "Left out"),
    ):
        sub = person_status[person_status.status == status]
        for reason, g in sub.groupby("reason", sort=True):
            rows.append(
                {"step": label, "reason": reason, "people": len(g), "detentions": int(dets_by_person.reindex(g.person_id).fillna(0).sum())}
            )
    # people who appear only in the contact log would not be in the custody extract: validation forbids that
    return pd.DataFrame(rows)


def design_checks(data: EvaluationData, cohort: Cohort | None = None) -> list[str]:
    """Plain statements of what the data cannot support in the design (for `validate` and the report):
    no comparison children eligible, programme children with no concurrent comparison (risk-set design),
    and follow-up too short for the outcome windows or for proven reoffending."""
    cfg = data.config
    cohort = cohort or build_cohort(data)
    t = cohort.table
    out: list[str] = []
    n_prog, n_comp = cohort.n_programme, cohort.n_comparison
    if n_prog == 0:
        out.append("No programme children: no contact in the programme period falls at an eligible detention, so nothing can be compared.")
    if n_comp == 0:
        if not (cfg.comparison.suites or cfg.comparison.pre_period_start):
            out.append(
                "No comparison group: the config names no comparison suites or pre-programme period ([comparison]); only "
                "engagement and costs can be reported."
            )
        else:
            out.append(
                "No comparison children are eligible at any date: nobody has an eligible detention in the comparison design "
                "before being approached (see the attrition table for where everyone went); impact cannot be estimated."
            )
    if cohort.design == "risk_set" and n_prog and n_comp:
        prog_periods = set(t[t.treated == 1].index_period)
        comp_periods = set(t[t.treated == 0].index_period)
        lonely = sorted(prog_periods - comp_periods)
        if lonely:
            n_lonely = int(t[(t.treated == 1) & t.index_period.isin(lonely)].shape[0])
            out.append(
                f"Risk-set design: {n_lonely} programme children were indexed in a {cfg.matching.risk_set_interval} with no "
                f"eligible comparison child ({', '.join(lonely)}); they cannot be matched."
            )
    extract = pd.Timestamp(cfg.data.extract_date)
    if n_prog:
        prog = t[t.treated == 1]
        rc = cfg.reoffending
        need = prog.index_date + pd.DateOffset(months=rc.follow_up_months + rc.waiting_months)
        complete = int((need <= extract).sum())
        if complete == 0:
            last_ok = (extract - pd.DateOffset(months=rc.follow_up_months + rc.waiting_months)).date()
            out.append(
                f"Follow-up too short for proven reoffending: a child needs {rc.follow_up_months} months plus a "
                f"{rc.waiting_months}-month waiting period before the extract date ({cfg.data.extract_date:%-d %B %Y}), so only "
                f"children indexed by {last_ok:%-d %B %Y} can be counted, and no programme child was. The one-year measures "
                "cannot be estimated; a later extract would allow them."
            )
        elif complete < n_prog:
            out.append(
                f"{n_prog - complete} of {n_prog} programme children were indexed too late for {rc.follow_up_months} months "
                f"of follow-up plus the {rc.waiting_months}-month waiting period before the extract date: they are left out of "
                "the one-year proven reoffending measures (counted in the report)."
            )
        longest = max(cfg.outcomes.windows_months)
        after_end = prog.index_date + pd.DateOffset(months=longest)
        short = int((after_end > extract).sum())
        if short == n_prog:
            out.append(
                f"No programme child has a complete {longest}-month after-window before the extract date: those before/after "
                "rates rest on shortened windows."
            )
    return out
