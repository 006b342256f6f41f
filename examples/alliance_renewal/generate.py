"""Example: Operation Alliance over two years with a changed team (seed document 001's renewal question).

A small generator of its own (not `evaluation.demo`, not the test generator), written as the records of such a
programme would be: a first year with four outreach workers seven days a week at the programme suite, then a
renewal year with two workers on weekdays, so fewer children are approached; comparison children detained at
two other suites over the same two years; offences, victimisations and missing episodes with *no* programme
effect (a null example: the report must not find one); and a budget with one staff line per phase.

    python examples/alliance_renewal/generate.py OUT_FOLDER     # writes the CSVs and evaluation.toml

Every number below is an assumption of this example, fixed before any report was built on it.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 1001
START, YEAR_1_END, END = dt.date(2021, 10, 1), dt.date(2022, 9, 30), dt.date(2023, 9, 30)
EXTRACT = dt.date(2024, 12, 31)
EVENTS_FROM = dt.date(2019, 10, 1)
SUITES = {"Wood Green": ("Haringey", "Enfield"), "Brixton": ("Lambeth",), "Lewisham": ("Lewisham",)}
PROGRAMME_SUITE = "Wood Green"
CHILDREN_PER_SUITE = 330
APPROACH = {"Year 1": 0.62, "Year 2": 0.34}  # share of eligible detentions at which a worker meets the child
OUTCOME_SHARES = {"intervention_arranged": 0.40, "awaiting_intervention": 0.22, "declined": 0.28, "out_of_area_referral": 0.10}
EVENT_RATES = {"offence": 1.1, "victimisation": 0.35, "missing_episode": 0.25}  # per child-year, before frailty
OFFENCE_GROUPS = ["violence_with_injury", "violence_without_injury", "robbery", "theft", "drugs", "possession_of_weapons", "public_order"]


def _days(rng: np.random.Generator, start: dt.date, end: dt.date, n: int) -> np.ndarray:
    span = (end - start).days + 1
    return np.array([start + dt.timedelta(days=int(d)) for d in rng.integers(0, span, n)])


def _crime_refs(ev: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """The force's crime reference (pseudonymised) on offences and victimisations, drawn apart from the rest so the
    records are those of the example without them: a fifth of offences are joined to another person's offence
    (co-suspects), a tenth of victimisations to another person's offence (a cohort member's victim), and one record
    in twenty has no reference."""
    crime = np.array([f"CR{i:06d}" for i in range(len(ev))], dtype=object)
    person = ev.person_id.to_numpy()
    offences = np.flatnonzero(ev.event_type.to_numpy() == "offence")
    for kind, share in (("offence", 0.2), ("victimisation", 0.1)):
        rows = np.flatnonzero(ev.event_type.to_numpy() == kind)
        for i in rows[rng.random(len(rows)) < share]:
            j = offences[rng.integers(len(offences))]
            if person[j] != person[i] and crime[j] not in set(crime[person == person[i]]):
                crime[i] = crime[j]
    crime[ev.event_type.to_numpy() == "missing_episode"] = ""
    crime[rng.random(len(ev)) < 0.05] = ""
    return crime


def generate(out: Path, seed: int = SEED) -> Path:
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    people, detentions, contacts, events = [], [], [], []
    for suite, areas in SUITES.items():
        for i in range(CHILDREN_PER_SUITE):
            pid = f"{suite[:2].upper()}{i:04d}"
            known_yos = rng.random() < (0.35 if suite == PROGRAMME_SUITE else 0.28)
            frailty = rng.gamma(2.0, 0.5) * (1.4 if known_yos else 1.0)
            sex = "female" if rng.random() < 0.2 else "male"
            born = pd.Timestamp(START) - pd.Timedelta(days=int(rng.integers(12 * 365, 18 * 365)))
            area = rng.choice(list(areas)) if rng.random() < 0.88 else "Other borough"
            people.append(pid)
            # one to three detentions over the two years
            for k, day in enumerate(sorted(_days(rng, START, END, int(rng.integers(1, 4))))):
                arrival = pd.Timestamp(day) + pd.Timedelta(hours=int(rng.integers(0, 24)), minutes=int(rng.integers(0, 60)))
                did = f"D{pid}{k}"
                detentions.append(
                    {
                        "detention_id": did,
                        "person_id": pid,
                        "custody_suite": suite,
                        "arrival_datetime": arrival.strftime("%Y-%m-%d %H:%M"),
                        "release_datetime": (arrival + pd.Timedelta(hours=int(rng.integers(4, 30)))).strftime("%Y-%m-%d %H:%M"),
                        "age_at_arrival": int((arrival - born).days // 365.25),
                        "sex": sex,
                        "ethnicity": rng.choice(["white", "black", "asian", "mixed", "other"], p=[0.35, 0.35, 0.12, 0.13, 0.05]),
                        "residence_area": area,
                        "arrest_offence_group": rng.choice(OFFENCE_GROUPS),
                        "known_to_yos": "yes" if known_yos else rng.choice(["no", "unknown"], p=[0.9, 0.1]),
                        "known_to_childrens_social_care": "yes" if rng.random() < 0.3 else "no",
                    }
                )
                phase = "Year 1" if day <= YEAR_1_END else "Year 2"
                weekday_only = phase == "Year 2" and arrival.dayofweek >= 5
                if (
                    suite == PROGRAMME_SUITE
                    and not weekday_only
                    and rng.random() < APPROACH[phase]
                    and not any(c["person_id"] == pid for c in contacts[-3:])
                ):
                    outcome = rng.choice(list(OUTCOME_SHARES), p=list(OUTCOME_SHARES.values()))
                    if area == "Other borough":
                        outcome = "out_of_area_referral"
                    contact = {
                        "contact_id": f"C{len(contacts):05d}",
                        "person_id": pid,
                        "detention_id": did,
                        "contact_date": day.isoformat(),
                        "outcome": outcome,
                        "followup_date": (day + dt.timedelta(days=int(rng.integers(1, 5)))).isoformat() if rng.random() < 0.7 else "",
                        "pathway": rng.choice(["sport", "mentoring", "education_training", "employment_apprenticeship"])
                        if outcome in ("intervention_arranged", "awaiting_intervention")
                        else "",
                    }
                    contacts.append(contact)
            # events: a homogeneous Poisson process per child (no programme effect, no peak)
            for event_type, rate in EVENT_RATES.items():
                years = ((EXTRACT - EVENTS_FROM).days + 1) / 365.25
                n = rng.poisson(rate * frailty * years)
                for day in _days(rng, EVENTS_FROM, EXTRACT, n):
                    events.append(
                        {
                            "event_id": f"E{len(events):06d}",
                            "person_id": pid,
                            "event_date": day.isoformat(),
                            "event_type": event_type,
                            "offence_group": rng.choice(OFFENCE_GROUPS)
                            if event_type != "missing_episode"
                            else "",  # the offence, or the crime suffered
                            "proven_outcome": (
                                rng.choice(["conviction", "caution", "none"], p=[0.25, 0.15, 0.6]) if event_type == "offence" else ""
                            ),
                        }
                    )
    ev = pd.DataFrame(events)
    proven = ev.proven_outcome.isin(["conviction", "caution"])
    delay = pd.to_timedelta(rng.integers(20, 200, len(ev)), unit="D")
    ev["proven_date"] = ""
    dates = (pd.to_datetime(ev.event_date) + delay).dt.date
    ok = proven & (dates <= EXTRACT)
    ev.loc[ok, "proven_date"] = dates[ok].map(dt.date.isoformat)
    ev.loc[proven & ~ok, "proven_outcome"] = "none"
    ev["crime_ref"] = _crime_refs(ev, np.random.default_rng(seed + 1))
    pd.DataFrame(detentions).to_csv(out / "custody_detentions.csv", index=False, lineterminator="\n")
    pd.DataFrame(contacts).to_csv(out / "programme_contacts.csv", index=False, lineterminator="\n")
    ev.to_csv(out / "events.csv", index=False, lineterminator="\n")
    (out / "costs.csv").write_text(
        "item,category,start_date,end_date,amount_gbp,funder\n"
        f"Youth outreach workers (4 FTE),staff,{START},{YEAR_1_END},230400.00,Violence Reduction Unit\n"
        f"Youth outreach workers (2 FTE weekdays),staff,{YEAR_1_END + dt.timedelta(days=1)},{END},115200.00,Violence Reduction Unit\n"
        f"Coordinator (part time),management,{START},{END},24000.00,Violence Reduction Unit\n"
        f"Custody room and police time,in_kind,{START},{END},6000.00,\n",
        encoding="utf-8",
    )
    (out / "evaluation.toml").write_text(CONFIG, encoding="utf-8")
    return out


CONFIG = f"""# Example: a custody programme over two years with a changed team (examples/alliance_renewal/generate.py)
[programme]
name = "Custody outreach, two years (example)"
suites = ["{PROGRAMME_SUITE}"]
start = {START}
end = {END}
home_areas = ["Haringey", "Enfield"]
age_min = 10
age_max = 17

[comparison]
suites = ["Brixton", "Lewisham"]

[data]
extract_date = {EXTRACT}
events_start = {EVENTS_FROM}
datetime_format = "%Y-%m-%d %H:%M"

[costs]
renewal_budget = 140000
renewal_months = 12

[[phases]]
name = "Year 1"
start = {START}
end = {YEAR_1_END}
team_size = 4
budget = 260000
description = "Four outreach workers at the suite seven days a week."

[[phases]]
name = "Year 2"
start = {YEAR_1_END + dt.timedelta(days=1)}
end = {END}
team_size = 2
budget = 140000
description = "Renewed with two workers, weekdays only: children detained at weekends are not met."

[report]
title = "Custody outreach over two years: an example evaluation"
"""


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    print(generate(Path(sys.argv[1])))
