"""Example: a youth justice service's out-of-court disposals and Turnaround support (seed document 002).

A London youth justice service (YJS) refers children to a joint decision-making panel, which decides an
out-of-court disposal: triage, community resolution, youth caution or youth conditional caution. From the
programme's start, out-of-court officers and Turnaround caseworkers offer every child given a decision voluntary
support; many take it, some decline, some are signposted to other services, some get advice only. The index event
is the panel's decision, not a custody detention, and most of these children have no custody record at all.

Written as a YJS case-management export would be: its own column names ("Decision ID", "Child ID", "Decision
date" as dd/mm/yyyy, "Disposal", "FTE" as Y/N, sex as M/F) and its own outcome codes ("Plan agreed",
"Declined", "Signposted", "Info only"), mapped in the config rather than edited. The comparison is children given a
decision at the same panel in the year before the offer began. Offending is generated with **no** effect of the
support (a null example: the report must not find one), a peak at the decision (regression to the mean), and
selection: children with more offending are less likely to take the offer up.

A generator of its own; every number below is an assumption of this example, fixed before any report was built.

    python examples/youth_oocd/generate.py OUT_FOLDER
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 2002
PRE_START, START, END = dt.date(2022, 4, 1), dt.date(2023, 4, 1), dt.date(2024, 3, 31)
EXTRACT = dt.date(2025, 9, 30)
EVENTS_FROM = dt.date(2020, 4, 1)
PANEL = "Joint decision-making panel"
CHILDREN_PER_YEAR = 260
DISPOSALS = {"Triage": 0.45, "Community resolution": 0.2, "Youth caution": 0.2, "Youth conditional caution": 0.15}
OUTCOME_CODES = {"Plan agreed": 0.5, "Declined": 0.2, "Signposted": 0.15, "Info only": 0.15}
OFFENCE_GROUPS = ["violence_without_injury", "violence_with_injury", "theft", "drugs", "possession_of_weapons", "criminal_damage"]
BASE_RATE = 0.8  # offences per child-year away from the decision, before frailty
PEAK = 1.5  # the rate is (1 + PEAK) times higher at the decision, falling away over about three months
ETHNICITY = {"B": "black", "W": "white", "A": "asian", "M": "mixed", "O": "other", "NK": "unknown"}


def _rate_multiplier(days_from_decision: np.ndarray) -> np.ndarray:
    return 1 + PEAK * np.exp(-np.abs(days_from_decision) / 90)


def _offences(rng: np.random.Generator, pid: str, decided: dt.date, frailty: float) -> list[dict]:
    """Offences over the whole events window by thinning a Poisson process (the same law before and after:
    the support has no effect)."""
    span = (EXTRACT - EVENTS_FROM).days
    top = BASE_RATE * frailty * (1 + PEAK) / 365.25
    n = rng.poisson(top * span)
    days = np.sort(rng.integers(0, span, n))
    dates = [EVENTS_FROM + dt.timedelta(days=int(d)) for d in days]
    keep = rng.random(n) < _rate_multiplier(np.array([(d - decided).days for d in dates])) / (1 + PEAK)
    out = []
    for d in (d for d, k in zip(dates, keep) if k and (d - decided).days != 0):
        proven = rng.random() < 0.45
        lag = int(rng.integers(20, 200))
        when = d + dt.timedelta(days=lag)
        proven = proven and when <= EXTRACT
        out.append(
            {
                "Offence ref": f"E{pid}{len(out):03d}",
                "Child ID": pid,
                "Offence date": d.strftime("%d/%m/%Y"),
                "Type": "offence",
                "Offence group": rng.choice(OFFENCE_GROUPS),
                "Outcome": rng.choice(["conviction", "youth_caution", "community_resolution"], p=[0.4, 0.4, 0.2]) if proven else "none",
                "Outcome date": when.strftime("%d/%m/%Y") if proven else "",
            }
        )
    return out


def generate(out: Path, seed: int = SEED) -> Path:
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    decisions, contacts, events = [], [], []
    for year, (lo, hi) in enumerate([(PRE_START, START - dt.timedelta(days=1)), (START, END)]):
        span = (hi - lo).days + 1
        for i in range(CHILDREN_PER_YEAR):
            pid = f"Y{year}{i:04d}"
            decided = lo + dt.timedelta(days=int(rng.integers(0, span)))
            frailty = float(rng.gamma(2.0, 0.5))
            age = int(np.clip(rng.normal(15.2, 1.4), 10, 17))
            disposal = rng.choice(list(DISPOSALS), p=list(DISPOSALS.values()))
            fte = rng.random() < (0.75 if disposal in ("Youth caution", "Youth conditional caution") else 0.0)
            did = f"J{pid}"
            decisions.append(
                {
                    "Decision ID": did,
                    "Child ID": pid,
                    "Panel": PANEL,
                    "Decision date": decided.strftime("%d/%m/%Y"),
                    "Age": age,
                    "Gender": "F" if rng.random() < 0.18 else "M",
                    "Ethnicity": rng.choice(list(ETHNICITY), p=[0.45, 0.25, 0.08, 0.12, 0.06, 0.04]),
                    "Home borough": "Haringey" if rng.random() < 0.9 else "Other",
                    "Offence group": rng.choice(OFFENCE_GROUPS),
                    "Known to YJS": "Y" if rng.random() < 0.2 else "N",
                    "Disposal": disposal,
                    "FTE": "Y" if fte else "N",
                }
            )
            events.extend(_offences(rng, pid, decided, frailty))
            # the offer of support, from the programme's start only; children offending more take it up less
            if year == 1 and rng.random() < 0.85 / (1 + 0.3 * frailty):
                seen = decided + dt.timedelta(days=int(rng.integers(0, 15)))
                code = rng.choice(list(OUTCOME_CODES), p=list(OUTCOME_CODES.values()))
                contacts.append(
                    {
                        "Contact ref": f"C{len(contacts):05d}",
                        "Child ID": pid,
                        "Decision ID": did,
                        "Date": seen.strftime("%d/%m/%Y"),
                        "Result": code,
                        "Worker role": "Turnaround caseworker" if disposal == "Triage" else "Out-of-court officer",
                        "Contact type": rng.choice(["Home visit", "Office appointment"], p=[0.6, 0.4]),
                    }
                )
    pd.DataFrame(decisions).to_csv(out / "custody_detentions.csv", index=False, lineterminator="\n")
    pd.DataFrame(contacts).to_csv(out / "programme_contacts.csv", index=False, lineterminator="\n")
    pd.DataFrame(events).to_csv(out / "events.csv", index=False, lineterminator="\n")
    (out / "costs.csv").write_text(
        "item,category,start_date,end_date,amount_gbp,funder\n"
        f"Turnaround caseworkers (2 FTE),staff,{START},{END},96000.00,Ministry of Justice (Turnaround)\n"
        f"Out-of-court officer time,in_kind,{START},{END},38000.00,\n"
        f"Activities and travel,activities,{START},{END},12000.00,Ministry of Justice (Turnaround)\n",
        encoding="utf-8",
    )
    (out / "evaluation.toml").write_text(CONFIG, encoding="utf-8")
    return out


CONFIG = f"""# Example: out-of-court decisions and voluntary support for children (examples/youth_oocd/generate.py)
[programme]
name = "Out-of-court support (example)"
index_events = ["out_of_court_decision"]
suites = ["{PANEL}"]
start = {START}
end = {END}
home_areas = ["Haringey"]
age_min = 10
age_max = 17
description = "Children given an out-of-court disposal by the joint decision-making panel are offered voluntary support by out-of-court officers and Turnaround caseworkers."
description_source = "HM Inspectorate of Probation, An inspection of youth justice services in Haringey (March 2025), domain three (seed document 002)"

[comparison]
# children given a decision at the same panel in the year before the offer began
pre_period_start = {PRE_START}
pre_period_end = {START - dt.timedelta(days=1)}

[data]
extract_date = {EXTRACT}
date_format = "%d/%m/%Y"
events_start = {EVENTS_FROM}
# the YJS export holds offences only: no victimisations or missing episodes
event_types_recorded = ["offence"]

[data.columns.custody_detentions]
"Decision ID" = "detention_id"
"Child ID" = "person_id"
"Panel" = "custody_suite"
"Decision date" = "arrival_datetime"
"Age" = "age_at_arrival"
"Gender" = "sex"
"Ethnicity" = "ethnicity"
"Home borough" = "residence_area"
"Offence group" = "arrest_offence_group"
"Known to YJS" = "known_to_yos"
"Disposal" = "disposal_type"
"FTE" = "first_time_entrant"

[data.values.custody_detentions.sex]
M = "male"
F = "female"

[data.values.custody_detentions.ethnicity]
B = "black"
W = "white"
A = "asian"
M = "mixed"
O = "other"
NK = "unknown"

[data.values.custody_detentions.known_to_yos]
Y = "yes"
N = "no"

[data.values.custody_detentions.first_time_entrant]
Y = "yes"
N = "no"

[data.columns.programme_contacts]
"Contact ref" = "contact_id"
"Child ID" = "person_id"
"Decision ID" = "detention_id"
"Date" = "contact_date"
"Result" = "outcome"
"Worker role" = "provider"
"Contact type" = "contact_type"

[data.values.programme_contacts.outcome]
"Plan agreed" = "intervention_arranged"
"Declined" = "declined"
"Signposted" = "referred_elsewhere"
"Info only" = "advice_only"

[data.columns.events]
"Offence ref" = "event_id"
"Child ID" = "person_id"
"Offence date" = "event_date"
"Type" = "event_type"
"Offence group" = "offence_group"
"Outcome" = "proven_outcome"
"Outcome date" = "proven_date"

[engagement]
age_bands = [[10, 14], [15, 17]]
outcome_labels = {{ intervention_arranged = "Plan agreed", declined = "Declined", referred_elsewhere = "Signposted", advice_only = "Info only" }}

[report]
title = "Out-of-court decisions and voluntary support: an example evaluation"
"""


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    print(generate(Path(sys.argv[1])))
