"""A deterministic synthetic dataset in the contract, calibrated to Operation Alliance.

Operation Alliance put four youth outreach workers in Wood Green custody (Haringey & Enfield) from
19 October 2020. Its published engagement tables for 19 October – 31 December 2020 (slide deck
"Serious Organised Crime – Community Coordinator for Haringey & Enfield", pages "Engagement Rates
p1/p2") are reproduced exactly by the programme cohort generated here: children engaged per month,
residence, age band, known to YOS (Haringey and Enfield residents) and outcome.

Everything else is synthetic, generated from the documented model below, so later analyses can be
checked against a known truth:

* Who: the 93 children approached at Wood Green; children detained there in the same period but
  not approached; a few young adults; a comparison pool detained at four other Met suites in the
  same period (younger, less often known to YOS, more theft and drugs arrests); and children
  detained at Wood Green in the same weeks of 2019, a few of whom were approached a year later.
* Offending, victimisation and missing episodes follow a Poisson process per person with a
  baseline rate that depends on covariates (known to YOS or social care, age, sex, arrest offence)
  times a gamma frailty, and a *peak around the index arrest*: the rate rises into the arrest and
  decays after it, more steeply before than after. Both groups are indexed at an arrest, so both
  show the peak; a naive before/after comparison overstates any programme effect (regression to
  the mean) while a difference-in-differences against matched comparators does not.
* The planted programme effect (intention to treat, every approached child): after the index date
  the rates of the approached children are multiplied by PLANTED_EFFECTS.
* 22% of offences lead to an arrest (a new custody detention). Offences get outcomes with
  MoJ-realistic shares (convictions, cautions, youth cautions, youth conditional cautions,
  community resolutions, Outcome 22) and realistic delays; outcomes that would come after the
  extract date are not yet known (recorded as 'none').
* Costs: the four youth outreach workers at the stated £19,200 a month from 19 October 2020 to
  31 March 2021 (October pro rata by day), plus the rest of the £115,000 award as one separate line.

The default seed, DEMO_SEED, is the programme's start date written as a number (20201019), fixed in
advance and never chosen by what the analyses show on it: the report must read correctly whatever
the demo's estimates turn out to be. The published engagement tables are reproduced exactly whatever
the seed.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

SOURCE = (
    "Operation Alliance slide deck, 'Serious Organised Crime – Community Coordinator for Haringey & "
    "Enfield', Engagement Rates p1/p2 (figures for 19 Oct – 31 Dec 2020)"
)

PROGRAMME_START = dt.date(2020, 10, 19)
PROGRAMME_END = dt.date(2020, 12, 31)
PRE_PERIOD = (dt.date(2019, 10, 19), dt.date(2019, 12, 31))
EXTRACT_DATE = dt.date(2022, 6, 15)  # children indexed after mid-December 2020 lack 12 + 6 months of follow-up
OBSERVATION_START = dt.date(2017, 10, 1)
PROGRAMME_SUITE = "Wood Green"
COMPARISON_SUITES = {  # suite -> (its borough, share of the comparison pool)
    "Brixton": ("Lambeth", 0.3),
    "Croydon": ("Croydon", 0.25),
    "Lewisham": ("Lewisham", 0.25),
    "Bethnal Green": ("Tower Hamlets", 0.2),
}
HOME_AREAS = ("Enfield", "Haringey")
DEMO_SEED = 20201019  # fixed in advance: the programme's start date; never chosen by results

#: The planted intention-to-treat effect: rate ratios applied after the index date to every child
#: the programme approached. Later analyses should recover these (within their uncertainty).
PLANTED_EFFECTS: dict[str, float] = {"offence": 0.75, "victimisation": 0.85, "missing_episode": 0.80}

# The published tables the programme cohort must reproduce, per month Oct, Nov, Dec 2020.
_MONTHS = ((2020, 10), (2020, 11), (2020, 12))
_ENGAGED = (11, 53, 29)
_RESIDENCE = {"Enfield": (4, 17, 13), "Haringey": (1, 16, 7), "Other": (6, 20, 9)}
_AGE_BAND = {(11, 15): (3, 19, 7), (16, 18): (8, 34, 22)}
_YOS_YES = (2, 16, 13)  # among Haringey and Enfield residents; the rest of them are 'no'
_OUTCOME = {
    "intervention_arranged": (8, 16, 7),
    "awaiting_intervention": (0, 14, 12),
    "declined": (3, 8, 3),
    "out_of_area_referral": (0, 15, 7),
}

# Peak of each event rate around the index arrest: multiplier 1 + A·exp(-|s|/tau), s in days. Rates
# rise steeply into the arrest and fall away after it (A before > A after), so both groups' counts
# fall after the index whatever the programme does: the regression to the mean a naive before/after
# comparison mistakes for an effect. Over 12 months the before multiplier is about 1.72 for offences
# and the after one about 1.12.
_PEAK = {  # per event type: (A before, tau before, A after, tau after)
    "offence": (3.0, 90.0, 0.5, 90.0),
    "victimisation": (1.5, 90.0, 0.3, 90.0),
    "missing_episode": (2.0, 90.0, 0.4, 90.0),
}
_P_ARREST = 0.22
_OFFENCE_GROUPS = [
    "violence_with_injury",
    "violence_without_injury",
    "robbery",
    "sexual",
    "burglary",
    "theft",
    "criminal_damage",
    "drugs",
    "possession_of_weapons",
    "public_order",
    "other",
]
_ETHNICITY = ["asian", "black", "mixed", "white", "other", "unknown"]
_PATHWAYS = ["sport", "mentoring", "education_training", "employment_apprenticeship", "health_substance_misuse", "other"]
_PATHWAY_WEIGHTS = [0.38, 0.2, 0.1, 0.22, 0.05, 0.05]  # sport (boxing) most sought, then apprenticeships


@dataclass(frozen=True)
class DemoDataset:
    tables: dict[str, pd.DataFrame]
    config_toml: str
    people: pd.DataFrame | None = None  # generator internals (never written): ids, groups, index dates, rates


def _dates_in(rng: np.random.Generator, start: dt.date, end: dt.date, n: int) -> list[dt.date]:
    days = (end - start).days + 1
    return [start + dt.timedelta(days=int(d)) for d in rng.integers(0, days, n)]


def _month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    first = dt.date(year, month, 1)
    last = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
    return max(first, PROGRAMME_START), min(last, PROGRAMME_END)


def _age_on(birth: dt.date, when: dt.date) -> int:
    return when.year - birth.year - ((when.month, when.day) < (birth.month, birth.day))


def _birth_for_age(rng: np.random.Generator, age: int, when: dt.date) -> dt.date:
    """A birth date giving exactly `age` on `when`."""
    latest = dt.date(when.year - age, when.month, min(when.day, 28))
    birth = latest - dt.timedelta(days=int(rng.integers(0, 360)))
    assert _age_on(birth, when) == age
    return birth


def _arrival(rng: np.random.Generator, day: dt.date) -> dt.datetime:
    hour = int(rng.choice(24, p=_HOUR_WEIGHTS))
    return dt.datetime.combine(day, dt.time(hour, int(rng.integers(0, 60))))


_HOUR_WEIGHTS = np.array([2, 1.5, 1, 1, 0.5, 0.5, 1, 1.5, 2, 3, 3.5, 4, 4, 4.5, 5, 5.5, 6, 6, 5.5, 5, 4.5, 4, 3.5, 2.5])
_HOUR_WEIGHTS = _HOUR_WEIGHTS / _HOUR_WEIGHTS.sum()


def _treated(rng: np.random.Generator) -> pd.DataFrame:
    """The 93 approached children, month by month, with the published margins exactly."""
    rows = []
    for m, (year, month) in enumerate(_MONTHS):
        n = _ENGAGED[m]
        residence = [r for r, counts in _RESIDENCE.items() for _ in range(counts[m])]
        rng.shuffle(residence)
        others = [i for i, r in enumerate(residence) if r == "Other"]
        blue = set(rng.choice(others, _OUTCOME["out_of_area_referral"][m], replace=False).tolist())
        rest = [o for o in ("intervention_arranged", "awaiting_intervention", "declined") for _ in range(_OUTCOME[o][m])]
        rng.shuffle(rest)
        it = iter(rest)
        outcome = ["out_of_area_referral" if i in blue else next(it) for i in range(n)]
        bands = [band for band, counts in _AGE_BAND.items() for _ in range(counts[m])]
        rng.shuffle(bands)
        home = [i for i, r in enumerate(residence) if r != "Other"]
        yes = set(rng.choice(home, _YOS_YES[m], replace=False).tolist())
        first, last = _month_bounds(year, month)
        for i in range(n):
            lo, hi = bands[i]
            if (lo, hi) == (11, 15):
                age = int(rng.choice([11, 12, 13, 14, 15], p=[0.05, 0.1, 0.2, 0.3, 0.35]))
            else:  # the published 16-18 band; the demo keeps to children (16 and 17)
                age = int(rng.choice([16, 17], p=[0.45, 0.55]))
            area = residence[i]
            if area == "Other":
                area = str(rng.choice(["Barnet", "Waltham Forest", "Hackney", "Islington", "Camden", "Hertfordshire"]))
            rows.append(
                {
                    "group": "treated",
                    "age": age,
                    "residence_area": area,
                    "outcome": outcome[i],
                    "known_to_yos": ("yes" if i in yes else "no") if residence[i] != "Other" else "unknown",
                    "index_date": _dates_in(rng, first, last, 1)[0],
                    "index_suite": PROGRAMME_SUITE,
                }
            )
    return pd.DataFrame(rows)


def _pool(rng: np.random.Generator, n: int, group: str, start: dt.date, end: dt.date, suites: dict[str, tuple[str, float]]) -> pd.DataFrame:
    names = list(suites)
    suite = rng.choice(names, n, p=[suites[s][1] for s in names])
    local = rng.random(n) < 0.8
    other_areas = ["Southwark", "Wandsworth", "Bromley", "Greenwich", "Newham", "Hackney", "Enfield", "Haringey", "unknown"]
    younger = group == "other_suite"
    ages = rng.choice(np.arange(10, 18), n, p=_AGE_P_YOUNGER if younger else _AGE_P_WG)
    yos_p = 0.3 if younger else 0.45
    yos = np.where(rng.random(n) < 0.1, "unknown", np.where(rng.random(n) < yos_p, "yes", "no"))
    return pd.DataFrame(
        {
            "group": group,
            "age": ages,
            "residence_area": [suites[s][0] if loc else str(rng.choice(other_areas)) for s, loc in zip(suite, local)],
            "outcome": None,
            "known_to_yos": yos,
            "index_date": _dates_in(rng, start, end, n),
            "index_suite": suite,
        }
    )


_AGE_P_WG = np.array([0.01, 0.02, 0.04, 0.08, 0.13, 0.18, 0.24, 0.30])  # ages 10..17
_AGE_P_YOUNGER = np.array([0.02, 0.04, 0.07, 0.11, 0.15, 0.18, 0.21, 0.22])


def _offence_mix(rng: np.random.Generator, n: int, wood_green: np.ndarray) -> np.ndarray:
    wg = np.array([0.16, 0.12, 0.17, 0.02, 0.06, 0.09, 0.05, 0.14, 0.11, 0.04, 0.04])
    elsewhere = np.array([0.12, 0.12, 0.10, 0.02, 0.07, 0.19, 0.07, 0.18, 0.06, 0.04, 0.03])
    out = np.empty(n, dtype=object)
    for flag, p in ((True, wg), (False, elsewhere)):
        idx = np.flatnonzero(wood_green == flag)
        out[idx] = rng.choice(_OFFENCE_GROUPS, len(idx), p=p / p.sum())
    return out


def _people(rng: np.random.Generator, comparison_scale: float) -> pd.DataFrame:
    treated = _treated(rng)
    n_wg_missed = 27
    wg_missed = _pool(rng, n_wg_missed, "wood_green_not_approached", PROGRAMME_START, PROGRAMME_END, {PROGRAMME_SUITE: ("Haringey", 1.0)})
    wg_missed["residence_area"] = rng.choice(["Haringey", "Enfield", "Barnet", "Waltham Forest"], n_wg_missed, p=[0.45, 0.35, 0.1, 0.1])
    adults = _pool(rng, 12, "adult", PROGRAMME_START, PROGRAMME_END, {PROGRAMME_SUITE: ("Haringey", 1.0)})
    adults["age"] = rng.choice([18, 19, 20], len(adults))
    adults["known_to_yos"] = "unknown"
    other = _pool(rng, int(round(480 * comparison_scale)), "other_suite", PROGRAMME_START, PROGRAMME_END, COMPARISON_SUITES)
    pre = _pool(rng, int(round(110 * comparison_scale)), "wood_green_2019", *PRE_PERIOD, {PROGRAMME_SUITE: ("Haringey", 1.0)})
    pre["residence_area"] = rng.choice(
        ["Haringey", "Enfield", "Barnet", "Waltham Forest", "unknown"], len(pre), p=[0.42, 0.33, 0.1, 0.1, 0.05]
    )
    people = pd.concat([treated, wg_missed, adults, other, pre], ignore_index=True)
    n = len(people)
    people["sex"] = rng.choice(["male", "female", "unknown"], n, p=[0.84, 0.15, 0.01])
    wood_green = (people.index_suite == PROGRAMME_SUITE).to_numpy()
    eth_wg = np.array([0.08, 0.44, 0.13, 0.25, 0.06, 0.04])
    eth_else = np.array([0.14, 0.36, 0.11, 0.30, 0.06, 0.03])
    people["ethnicity"] = [rng.choice(_ETHNICITY, p=eth_wg if w else eth_else) for w in wood_green]
    people["arrest_offence_group"] = _offence_mix(rng, n, wood_green)
    yos_yes = (people.known_to_yos == "yes").to_numpy()
    csc_p = np.where(yos_yes, 0.4, 0.18)
    people["known_to_childrens_social_care"] = np.where(
        people.known_to_yos == "unknown",
        rng.choice(["unknown", "no", "yes"], n, p=[0.6, 0.3, 0.1]),
        np.where(rng.random(n) < csc_p, "yes", "no"),
    )
    people["birth_date"] = [_birth_for_age(rng, int(a), d) for a, d in zip(people.age, people.index_date)]
    people["person_key"] = np.arange(n)
    return people


def _rates(rng: np.random.Generator, people: pd.DataFrame) -> dict[str, np.ndarray]:
    """Baseline yearly rates per person and event type (before any peak or programme effect)."""
    age = people.age.to_numpy(dtype=float)
    yos = (people.known_to_yos == "yes").to_numpy()
    csc = (people.known_to_childrens_social_care == "yes").to_numpy()
    male = (people.sex == "male").to_numpy()
    female = (people.sex == "female").to_numpy()
    violent = people.arrest_offence_group.isin(["violence_with_injury", "robbery", "possession_of_weapons"]).to_numpy()
    n = len(people)
    frailty = rng.gamma(1.5, 1 / 1.5, n)
    offence = 1.1 * np.exp(0.5 * yos + 0.3 * csc + 0.12 * (age - 15) + 0.3 * male + 0.2 * violent) * frailty
    victim = 0.35 * np.exp(0.3 * csc + 0.2 * female) * np.sqrt(frailty) * rng.gamma(3.0, 1 / 3.0, n)
    missing = 0.22 * np.exp(1.0 * csc + 0.3 * female - 0.1 * (age - 15)) * rng.gamma(0.7, 1 / 0.7, n)
    adult = (people.group == "adult").to_numpy()
    missing[adult] = 0.0
    return {"offence": offence, "victimisation": victim, "missing_episode": missing}


def _simulate_events(rng: np.random.Generator, people: pd.DataFrame, rates: dict[str, np.ndarray]) -> pd.DataFrame:
    """Poisson events in monthly bins from OBSERVATION_START to EXTRACT_DATE around each index date."""
    obs0, obs1 = pd.Timestamp(OBSERVATION_START), pd.Timestamp(EXTRACT_DATE)
    edges = pd.date_range(obs0, obs1 + pd.offsets.MonthBegin(1), freq="MS")
    cap = (obs1 + pd.Timedelta(days=1)).to_datetime64()
    starts, ends = edges[:-1], pd.DatetimeIndex(np.minimum(edges[1:].values, cap))
    days = ((ends - starts).days).to_numpy(dtype=float)
    mid = starts + (ends - starts) / 2
    index = pd.to_datetime(people.index_date)
    s = (mid.values[None, :] - index.values[:, None]) / np.timedelta64(1, "D")  # persons x bins, days from index
    treated = (people.group == "treated").to_numpy()[:, None]
    out = []
    for kind, base in rates.items():
        a_pre, t_pre, a_post, t_post = _PEAK[kind]
        peak = np.where(s < 0, 1 + a_pre * np.exp(s / t_pre), 1 + a_post * np.exp(-s / t_post))
        effect = np.where(treated & (s > 0), PLANTED_EFFECTS[kind], 1.0)
        lam = base[:, None] * peak * effect * days[None, :] / 365.25
        counts = rng.poisson(lam)
        person, b = np.nonzero(counts)
        reps = counts[person, b]
        person, b = np.repeat(person, reps), np.repeat(b, reps)
        offset = (rng.random(len(b)) * days[b]).astype(int)
        date = starts.values[b] + offset.astype("timedelta64[D]")
        out.append(pd.DataFrame({"person_key": person, "event_type": kind, "event_date": pd.to_datetime(date).date}))
    events = pd.concat(out, ignore_index=True)
    # the index arrest's own offence is added separately, so the process skips the index day itself
    idx_day = dict(zip(people.person_key, people.index_date))
    keep = events.event_date != events.person_key.map(idx_day)
    # no offences before the age of criminal responsibility (10)
    tenth = people.birth_date.map(lambda b: dt.date(b.year + 10, b.month, min(b.day, 28)))
    keep &= (events.event_type != "offence") | (events.event_date >= events.person_key.map(dict(zip(people.person_key, tenth))))
    return events[keep].reset_index(drop=True)


_OUTCOMES = ["conviction", "caution", "youth_caution", "youth_conditional_caution", "community_resolution", "outcome_22", "none"]
_P_OUTCOME_ARRESTED = np.array([0.25, 0.0, 0.12, 0.10, 0.18, 0.05, 0.30])
_P_OUTCOME_NOT_ARRESTED = np.array([0.05, 0.0, 0.04, 0.02, 0.08, 0.01, 0.80])
_OUTCOME_LAG = {  # days from offence to outcome: (minimum, gamma shape, gamma scale)
    "conviction": (45, 2.0, 70.0),
    "caution": (7, 1.5, 20.0),
    "youth_caution": (10, 1.5, 25.0),
    "youth_conditional_caution": (14, 1.5, 30.0),
    "community_resolution": (0, 1.0, 5.0),
    "outcome_22": (21, 1.5, 25.0),
}


def _assign_outcomes(rng: np.random.Generator, offences: pd.DataFrame, ages: np.ndarray) -> pd.DataFrame:
    arrested = offences.detention_pos.notna().to_numpy()
    n = len(offences)
    u = rng.random(n)
    outcome = np.where(
        arrested,
        np.array(_OUTCOMES)[np.searchsorted(np.cumsum(_P_OUTCOME_ARRESTED), u, side="right").clip(0, 6)],
        np.array(_OUTCOMES)[np.searchsorted(np.cumsum(_P_OUTCOME_NOT_ARRESTED), u, side="right").clip(0, 6)],
    ).astype(object)
    adult = ages >= 18  # adults get (adult) cautions rather than youth cautions
    outcome[adult & np.isin(outcome, ["youth_caution", "youth_conditional_caution"])] = "caution"
    proven = np.full(n, None, dtype=object)
    extract = EXTRACT_DATE
    for i in range(n):
        o = outcome[i]
        if o == "none":
            continue
        lo, shape, scale = _OUTCOME_LAG[o]
        when = offences.event_date.iloc[i] + dt.timedelta(days=int(lo + rng.gamma(shape, scale)))
        if when > extract:  # not yet decided at the extract date
            outcome[i] = "none"
        else:
            proven[i] = when
    offences = offences.copy()
    offences["proven_outcome"] = outcome
    offences["proven_date"] = proven
    return offences


def generate(seed: int = DEMO_SEED, comparison_scale: float = 1.0, progress: Callable[[str], None] | None = None) -> DemoDataset:
    """Build the demo tables (contract values, as text-ready DataFrames) and their config."""
    say = progress or (lambda _msg: None)
    rng = np.random.default_rng(seed)
    say("people and index detentions")
    people = _people(rng, comparison_scale)

    say("offending, victimisation and missing episodes")
    rates = _rates(rng, people)
    events = _simulate_events(rng, people, rates)

    say("arrests and custody detentions")
    det = _detentions(rng, people, events)
    offences = events[events.event_type == "offence"].copy()
    offences["detention_pos"] = det.attrs.pop("offence_detention")
    offences["offence_group"] = _offence_mix(
        rng, len(offences), (offences.person_key.map(dict(zip(people.person_key, people.index_suite))) == PROGRAMME_SUITE).to_numpy()
    )
    arrested_offence = offences.detention_pos.dropna()
    det.loc[arrested_offence.astype(int).to_numpy(), "offence_group"] = offences.loc[arrested_offence.index, "offence_group"].to_numpy()

    say("ids, outcomes and dates")
    det["person_id"], det["detention_id"], pid = _identifiers(rng, people, det)
    custody = pd.DataFrame(
        {
            "detention_id": det.detention_id,
            "person_id": det.person_id,
            "custody_suite": det.suite,
            "arrival_datetime": det.arrival.map(lambda x: x.strftime("%Y-%m-%d %H:%M")),
            "release_datetime": det.release.map(lambda x: "" if pd.isna(x) else x.strftime("%Y-%m-%d %H:%M")),
            "age_at_arrival": det.age,
            "sex": det.sex,
            "ethnicity": det.ethnicity,
            "residence_area": det.residence_area,
            "arrest_offence_group": det.offence_group,
            "known_to_yos": det.known_to_yos,
            "known_to_childrens_social_care": det.known_to_childrens_social_care,
        }
    )
    # the index arrests' own offences, linked to their detention, join the simulated offences
    index_offences = pd.DataFrame(
        {
            "person_key": det.person_key,
            "event_type": "offence",
            "event_date": det.day,
            "offence_group": det.offence_group,
            "detention_pos": det.index.astype(float),
        }
    )[det.is_index.to_numpy()]
    all_offences = pd.concat(
        [index_offences, offences[["person_key", "event_type", "event_date", "offence_group", "detention_pos"]]], ignore_index=True
    )
    birth = people.birth_date.to_numpy()
    ages = np.array([_age_on(birth[int(k)], d) for k, d in zip(all_offences.person_key, all_offences.event_date)])
    all_offences = _assign_outcomes(rng, all_offences, ages)
    vict = events[events.event_type == "victimisation"].copy()
    vict["offence_group"] = rng.choice(
        ["violence_with_injury", "violence_without_injury", "robbery", "sexual", "theft", "other"],
        len(vict),
        p=[0.25, 0.3, 0.2, 0.05, 0.15, 0.05],
    )
    miss = events[events.event_type == "missing_episode"].copy()
    all_events = pd.concat([all_offences, vict, miss], ignore_index=True)
    all_events["event_id"] = [f"E{2000000 + int(x):07d}" for x in rng.permutation(len(all_events))]
    det_id = det.detention_id.to_numpy()
    events_out = pd.DataFrame(
        {
            "event_id": all_events.event_id,
            "person_id": all_events.person_key.map(pid),
            "event_date": all_events.event_date.map(lambda d: d.isoformat()),
            "event_type": all_events.event_type,
            "offence_group": all_events.offence_group.fillna(""),
            "proven_outcome": all_events.proven_outcome.where(all_events.event_type == "offence").fillna(""),
            "proven_date": all_events.proven_date.map(lambda d: d.isoformat() if isinstance(d, dt.date) else ""),
            "detention_id": all_events.detention_pos.map(lambda p: "" if pd.isna(p) else det_id[int(p)]),
        }
    )

    say("programme contacts")
    treated_index = det[det.is_index.to_numpy() & (det.group == "treated").to_numpy()]
    contacts = _contacts(rng, people, treated_index)
    contacts.insert(1, "person_id", contacts.pop("person_key").map(pid))
    tables = {
        "custody_detentions": custody.sort_values(["arrival_datetime", "detention_id"]).reset_index(drop=True),
        "programme_contacts": contacts.sort_values(["contact_date", "contact_id"]).reset_index(drop=True),
        "events": events_out.sort_values(["event_date", "event_id"]).reset_index(drop=True),
        "costs": demo_costs(),
    }
    internals = people[["person_key", "group", "index_date", "birth_date"]].assign(
        person_id=people.person_key.map(pid), offence_rate=rates["offence"]
    )
    return DemoDataset(tables=tables, config_toml=demo_config_toml(), people=internals)


_WINDOWS = {
    "treated": (PROGRAMME_START, PROGRAMME_END),
    "wood_green_not_approached": (PROGRAMME_START, PROGRAMME_END),
    "adult": (PROGRAMME_START, PROGRAMME_END),
    "other_suite": (PROGRAMME_START, PROGRAMME_END),
    "wood_green_2019": PRE_PERIOD,
}


def _detentions(rng: np.random.Generator, people: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """Index detentions plus one detention for each arrested offence, at the person's own suite.

    An arrest that would fall inside the person's eligibility window before their index date is
    skipped, so the index stays the first eligible detention. `attrs['offence_detention']` maps each
    offence (in `events` order, offences only) to its detention row, or NaN if not arrested.
    """
    rows = [
        {"person_key": r.person_key, "suite": r.index_suite, "day": r.index_date, "is_index": True, "offence_group": r.arrest_offence_group}
        for r in people.itertuples()
    ]
    offences = events[events.event_type == "offence"]
    arrested = rng.random(len(offences)) < _P_ARREST
    lag = rng.choice([0, 0, 0, 1, 2], len(offences))
    suite = dict(zip(people.person_key, people.index_suite))
    index_day = dict(zip(people.person_key, people.index_date))
    group = dict(zip(people.person_key, people.group))
    link = np.full(len(offences), np.nan)
    for pos, (k, day) in enumerate(zip(offences.person_key.to_numpy(), offences.event_date.to_numpy())):
        if not arrested[pos]:
            continue
        day = day + dt.timedelta(days=int(lag[pos]))
        w0, _w1 = _WINDOWS[group[k]]
        if day > EXTRACT_DATE or w0 <= day <= index_day[k]:
            continue
        link[pos] = len(rows)
        rows.append({"person_key": int(k), "suite": suite[k], "day": day, "is_index": False, "offence_group": None})
    det = pd.DataFrame(rows)
    det["arrival"] = [_arrival(rng, d) for d in det.day]
    hours = np.clip(rng.lognormal(np.log(9.0), 0.6, len(det)), 2.0, 36.0)
    det["release"] = [a + dt.timedelta(minutes=int(h * 60)) for a, h in zip(det.arrival, hours)]
    det.loc[det.release > pd.Timestamp(EXTRACT_DATE) + pd.Timedelta(hours=23, minutes=59), "release"] = pd.NaT
    det = det.join(
        people.set_index("person_key")[
            ["group", "birth_date", "sex", "ethnicity", "residence_area", "known_to_yos", "known_to_childrens_social_care"]
        ],
        on="person_key",
    )
    det["age"] = [_age_on(b, d) for b, d in zip(det.birth_date, det.day)]
    # at later detentions a child not known to YOS may have become known
    becomes = ~det.is_index & (det.known_to_yos == "no") & (rng.random(len(det)) < 0.3)
    det.loc[becomes, "known_to_yos"] = "yes"
    det.attrs["offence_detention"] = link
    return det


def _identifiers(rng: np.random.Generator, people: pd.DataFrame, det: pd.DataFrame):
    """Pseudonymous ids in an order unrelated to anything in the data."""
    person_order = rng.permutation(len(people))
    pid = {k: f"P{50000 + int(x):05d}" for k, x in zip(people.person_key, person_order)}
    detention_ids = [f"D{1000000 + int(x):07d}" for x in rng.permutation(len(det))]
    return det.person_key.map(pid), detention_ids, pid


def _contacts(rng: np.random.Generator, people: pd.DataFrame, index_det: pd.DataFrame) -> pd.DataFrame:
    outcome_of = dict(zip(people.person_key, people.outcome))
    rows = []
    for d in index_det.sort_values("arrival").itertuples():
        outcome = outcome_of[d.person_key]
        contact = d.day
        release = d.release.date() if not pd.isna(d.release) else contact
        follow: dt.date | None
        start: dt.date | None
        end: dt.date | None
        follow = start = end = pathway = sessions = None
        if outcome in ("intervention_arranged", "awaiting_intervention"):
            follow = release + dt.timedelta(days=int(rng.choice([0, 1, 2, 3, 4, 6], p=[0.12, 0.4, 0.25, 0.11, 0.07, 0.05])))
            if outcome == "intervention_arranged" or rng.random() < 0.7:
                pathway = str(rng.choice(_PATHWAYS, p=_PATHWAY_WEIGHTS))
        if outcome == "intervention_arranged" and rng.random() < 0.85:
            assert follow is not None  # set above for every arranged intervention
            start = follow + dt.timedelta(days=int(rng.integers(5, 41)))
            sessions = int(1 + rng.poisson(8))
            if rng.random() < 0.75:
                end = start + dt.timedelta(days=int(rng.integers(30, 201)))
        rows.append(
            {
                "contact_id": None,
                "person_key": d.person_key,
                "detention_id": d.detention_id,
                "contact_date": contact.isoformat(),
                "outcome": outcome,
                "followup_date": follow.isoformat() if follow else "",
                "pathway": pathway or "",
                "intervention_start_date": start.isoformat() if start else "",
                "intervention_end_date": end.isoformat() if end else "",
                "sessions_attended": "" if sessions is None else str(sessions),
            }
        )
    out = pd.DataFrame(rows)
    out["contact_id"] = [f"C{3000 + int(x):04d}" for x in rng.permutation(len(out))]
    return out


def demo_costs() -> pd.DataFrame:
    """The cost schedule: £19,200 a month for four youth outreach workers, 19 Oct 2020 – 31 Mar 2021
    (October pro rata by day), and the rest of the £115,000 award as a separate line."""
    monthly = 19200.0
    funder = "Metropolitan Police violent crime budget"
    rows = []
    for year, month in ((2020, 10), (2020, 11), (2020, 12), (2021, 1), (2021, 2), (2021, 3)):
        first = dt.date(year, month, 1)
        last = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
        start = max(first, PROGRAMME_START)
        amount = round(monthly * ((last - start).days + 1) / ((last - first).days + 1), 2)
        rows.append(
            {
                "item": "Youth outreach workers (4 FTE), £19,200 a month",
                "category": "staff",
                "start_date": start.isoformat(),
                "end_date": last.isoformat(),
                "amount_gbp": f"{amount:.2f}",
                "funder": funder,
            }
        )
    staff = sum(float(r["amount_gbp"]) for r in rows)
    rows.append(
        {
            "item": "Rest of the £115,000 award, not itemised in the published slides (modelled as diversionary activities)",
            "category": "activities",
            "start_date": PROGRAMME_START.isoformat(),
            "end_date": "2021-03-31",
            "amount_gbp": f"{115000.0 - staff:.2f}",
            "funder": funder,
        }
    )
    return pd.DataFrame(rows)


def demo_config_toml() -> str:
    suites = ", ".join(f'"{s}"' for s in COMPARISON_SUITES)
    return f'''# Config for the synthetic demo dataset written by `evaluation demo-data`.
# Programme: Operation Alliance, Wood Green custody suite (Haringey & Enfield), figures published
# for 19 October - 31 December 2020. Every table in this folder is synthetic.

[programme]
name = "Operation Alliance (demo data)"
suites = ["{PROGRAMME_SUITE}"]
start = {PROGRAMME_START.isoformat()}
end = {PROGRAMME_END.isoformat()}
home_areas = ["Enfield", "Haringey"]
age_min = 10
age_max = 17
description = """
Operation Alliance placed a team of four youth outreach workers in Wood Green custody suite, which serves Haringey and
Enfield, from October 2020 until March 2021. It is a partnership between the Metropolitan Police, Haringey and Enfield
councils' children's services and the charities Oasis Hadley and The Children's Society, funded with £115,000 from the
Met's violent crime budget (awarded in March 2020).

An outreach worker makes the first contact with any child brought into the suite, to understand their circumstances,
motivations and support networks and to pick up signs of exploitation and grooming. Within 24 to 48 hours of release the
worker meets the child and their parents or carers again and offers diversionary options tailored to the child's
interests: education, mentoring, sports clubs or other opportunities through local partners. Children living outside
Haringey and Enfield are engaged and referred to the multi-agency safeguarding hub (MASH) of their home area.

The partnership asked for £200,000 to continue the programme from April 2021 to March 2022; this evaluation informs that
decision. (The data in this demonstration are synthetic; the description is the real programme's.)
"""
description_source = "London999 news item announcing the launch (October 2020); Operation Alliance slide deck, 'Serious Organised Crime - Community Coordinator for Haringey & Enfield' (funding, engagement rates and costs)."

[comparison]
# children detained at other Met suites in the programme period, and at Wood Green a year earlier
suites = [{suites}]
pre_period_start = {PRE_PERIOD[0].isoformat()}
pre_period_end = {PRE_PERIOD[1].isoformat()}

[data]
extract_date = {EXTRACT_DATE.isoformat()}

[engagement]
# the age bands of the programme's own published tables
age_bands = [[9, 10], [11, 15], [16, 18]]
followup_within_hours = 48
# the programme's own names for its outcomes (its RAG+B codes)
outcome_labels = {{ intervention_arranged = "Green", awaiting_intervention = "Amber", declined = "Red", out_of_area_referral = "Blue" }}

[costs]
# the renewal the programme asked for: £200,000 for April 2021 - March 2022
renewal_budget = 200000
renewal_months = 12

# cost figures as the programme's slides stated them (Costs slide, Engagement Rates p2)
[[costs.as_reported]]
measure = "cost_per_child_engaged"
value = 206
numerator = 19200
denominator = 93
basis = "staff"
statement = "4 x Youth Outreach workers funded for 5.5 months = Project cost is £19,200 per month. 93 engagements = £206 per child"
source = "Operation Alliance slide deck, Engagement Rates p2 (Costs)"

[[costs.as_reported]]
measure = "cost_per_positive_outcome"
value = 620
numerator = 19200
denominator = 33
basis = "staff"
statement = "33 Positive Outcomes at a cost of £620 per child"
source = "Operation Alliance slide deck, Engagement Rates p2 (Costs)"

[report]
title = "Operation Alliance: evaluation report (demo data)"
author = "Demonstration evaluator (synthetic data)"
commissioner = "Metropolitan Police, violent crime budget (demonstration)"
version = "demo"
report_date = 2022-07-01
period_reason = "the programme ran to March 2021; the evaluation stops at December 2020 so that most children contacted can be followed for the year and six months proven reoffending needs before the extract"
seed = 20201019

# other schemes in or around Wood Green custody (named in the limitations)
[[report.co_interventions]]
name = "Project Guardian"
description = "A Met / College of Policing randomised controlled trial at Wood Green and two other custody suites from August 2020: in the treatment arm the detained child's parent or guardian saw a video, spoke with a detention officer and later received follow-up texts or emails; arrest rates to be compared at 6 and 12 months. It ran in the programme's suite during the programme period; the source does not name the other two suites, so it may also have reached comparison children."
source = "College of Policing, What Works research map, project 896"
url = "https://whatworks.college.police.uk/Research/Research-Map/Pages/ResearchProject.aspx?projectid=896"

[[report.co_interventions]]
name = "DIVERT"
description = "Met custody intervention coaches for 18 to 25-year-olds, operating at Wood Green in 2019. It overlaps the pre-programme comparison period at Wood Green and children who turn 18 during follow-up."
source = "Police Federation news, 2019: 'Custody intervention programme sees just 7% of youths reoffend'"
url = "https://www.polfed.org/news/latest-news/2019/custody-intervention-programme-sees-just-7-of-youths-reoffend/"

[[report.co_interventions]]
name = "Child-first custody suite and the ChiIRP pilot"
description = "Haringey youth justice service contributed to a child-first, trauma-informed custody suite at Wood Green, and a child-first custody training and research pilot (ChiIRP) ran there; the inspection does not give its dates."
source = "HM Inspectorate of Probation, An inspection of youth justice services in Haringey, March 2025"
'''


def write_demo(
    out: str | Path,
    seed: int = DEMO_SEED,
    file_format: str = "csv",
    comparison_scale: float = 1.0,
    progress: Callable[[str], None] | None = None,
    return_dataset: bool = False,
):
    """Write the demo dataset and its evaluation.toml into folder `out`; returns the files written
    (or, with return_dataset=True, the DemoDataset with the generator's internals)."""
    out = Path(out)
    data = generate(seed=seed, comparison_scale=comparison_scale, progress=progress)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for name, frame in data.tables.items():
        path = out / f"{name}.{file_format}"
        if file_format == "csv":
            frame.to_csv(path, index=False, lineterminator="\n")
        elif file_format == "xlsx":
            frame.to_excel(path, index=False, sheet_name=name)
        elif file_format == "parquet":
            import duckdb

            con = duckdb.connect()
            con.register("frame", frame)
            con.execute(f"COPY frame TO '{path}' (FORMAT PARQUET)")
            con.close()
        else:
            raise ValueError(f"unknown format {file_format!r}; expected csv, xlsx or parquet")
        written[name] = path
    cfg = out / "evaluation.toml"
    cfg.write_text(data.config_toml, encoding="utf-8")
    written["config"] = cfg
    return data if return_dataset else written


# --------------------------------------------------------------------------------------------
# The planted reoffending effect, exactly


def _lag_cdf(outcome: str, days_available: np.ndarray) -> np.ndarray:
    """P(an outcome of this type is given within `days_available` days of the offence), for the
    generator's lag: int(minimum + Gamma(shape, scale)) days."""
    from scipy import stats as st

    lo, shape, scale = _OUTCOME_LAG[outcome]
    return st.gamma.cdf(days_available + 1 - lo, shape, scale=scale)


def expected_reoffending(
    dataset: DemoDataset,
    follow_up_months: int = 12,
    waiting_months: int = 6,
    rearrest_months: tuple[int, ...] = (6, 12),
    extract_date: dt.date = EXTRACT_DATE,
) -> pd.DataFrame:
    """Per programme child, the generator's exact expected probability of each reoffending outcome
    with the planted effect (as generated) and without it (the counterfactual), so analyses can be
    checked against the truth.

    Offences after the index day follow the child's monthly Poisson rate (base x peak x effect); each
    is arrested with probability 0.22 (a re-arrest 0-2 days later) and gets an outcome and delay as
    the generator draws them, so proven reoffences and re-arrests are independent thinnings of that
    process and P(at least one) = 1 - exp(-expected count). Columns: person_id, and for each outcome
    p_<outcome> and p_<outcome>_without_effect (proven, proven_including_diversion, rearrest_<m>m).
    """
    assert dataset.people is not None  # generate() always keeps the generator internals
    people = dataset.people[dataset.people.group == "treated"].reset_index(drop=True)
    obs0 = pd.Timestamp(OBSERVATION_START)
    extract = pd.Timestamp(extract_date)
    a_pre, t_pre, a_post, t_post = _PEAK["offence"]
    theta = PLANTED_EFFECTS["offence"]
    rows = []
    for r in people.itertuples():
        idx = pd.Timestamp(r.index_date)
        end = idx + pd.DateOffset(months=max(follow_up_months, *rearrest_months))
        days = pd.date_range(idx + pd.Timedelta(days=1), end, freq="D")
        # the generator's rate is constant within each calendar month, evaluated at the bin's midpoint
        bin_start = days.to_period("M").to_timestamp()
        bin_end = (bin_start + pd.offsets.MonthBegin(1)).where(
            bin_start + pd.offsets.MonthBegin(1) <= extract + pd.Timedelta(days=1), extract + pd.Timedelta(days=1)
        )
        bin_start = bin_start.where(bin_start >= obs0, obs0)
        s = ((bin_start + (bin_end - bin_start) / 2) - idx) / pd.Timedelta(days=1)
        peak = np.where(s < 0, 1 + a_pre * np.exp(s / t_pre), 1 + a_post * np.exp(-s / t_post))
        base_daily = r.offence_rate * peak / 365.25
        effect = np.where(s > 0, theta, 1.0)
        d = np.arange(1, len(days) + 1)
        age = np.array([_age_on(r.birth_date, x.date()) for x in days])
        adult = age >= 18
        deadline = min(idx + pd.DateOffset(months=follow_up_months + waiting_months), extract)
        available = (deadline - days).days.to_numpy()
        in_follow_up = days < idx + pd.DateOffset(months=follow_up_months) + pd.Timedelta(days=1)

        def proven_q(include_diversion: bool) -> np.ndarray:
            q = np.zeros(len(days))
            for arrested, probs in ((True, _P_OUTCOME_ARRESTED), (False, _P_OUTCOME_NOT_ARRESTED)):
                share = _P_ARREST if arrested else 1 - _P_ARREST
                p = dict(zip(_OUTCOMES, probs))
                for o in ("conviction", "youth_caution", "youth_conditional_caution", "caution"):
                    lag_kind = np.where(adult & (o in ("youth_caution", "youth_conditional_caution")), "caution", o)
                    cdf = np.where(lag_kind == "caution", _lag_cdf("caution", available), _lag_cdf(o, available))
                    q += share * p[o] * cdf
                if include_diversion:
                    for o in DIVERSION:
                        q += share * p[o] * _lag_cdf(o, available)
            return q * in_follow_up

        row = {"person_id": r.person_id}
        for name, q in (("proven", proven_q(False)), ("proven_including_diversion", proven_q(True))):
            for suffix, eff in (("", effect), ("_without_effect", 1.0)):
                row[f"p_{name}{suffix}"] = 1 - math.exp(-float((base_daily * eff * q).sum()))
        for m in rearrest_months:
            window_days = (idx + pd.DateOffset(months=m) - idx).days
            lag_ok = sum(w * (d + lag <= window_days) for lag, w in ((0, 0.6), (1, 0.2), (2, 0.2)))
            q = _P_ARREST * lag_ok
            for suffix, eff in (("", effect), ("_without_effect", 1.0)):
                row[f"p_rearrest_{m}m{suffix}"] = 1 - math.exp(-float((base_daily * eff * q).sum()))
        rows.append(row)
    return pd.DataFrame(rows)


DIVERSION = ("community_resolution", "outcome_22")
