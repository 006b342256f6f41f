"""Example: Northamptonshire's multi-provider custody trial (seed document 004), as its records would be kept.

A ten-week operation in which several providers (the Youth Offending Service, CIRV, Substance2Solution,
Probation, Liaison and Diversion, OPFCC youth workers) met people of every age in custody at Northampton and
Kettering, and children attending voluntary interviews; gave on-the-spot advice; and referred people on (IAPT
counselling, the mental health hub, GPs, homeless services, Substance2Solution, the Sunflower Centre, social
services), with 24-hour welfare calls. So: many contacts per detention, contacts outside custody, adults and
children together, outcomes that are mostly advice, and a referrals table. No comparison group: the report is
engagement, referrals and cost, and says it cannot speak to impact.

A generator of its own; every number below is an assumption of this example, fixed before any report was built.

    python examples/northants_custody/generate.py OUT_FOLDER
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 4004
START, END = dt.date(2023, 6, 26), dt.date(2023, 9, 3)  # ten weeks
EXTRACT = dt.date(2023, 12, 31)
SUITES = ("Northampton", "Kettering")
AREAS = ("West Northamptonshire", "North Northamptonshire")
DETAINED = 900  # detentions at the two suites over the ten weeks
PROVIDERS = {  # provider -> (who they see, chance of meeting an eligible person at a detention)
    "Liaison and Diversion": ("all", 0.22),
    "Youth Offending Service": ("children", 0.85),
    "CIRV": ("under_25", 0.25),
    "Substance2Solution": ("adults", 0.05),
    "Probation": ("adults", 0.06),
    "OPFCC youth workers": ("under_25", 0.12),
}
REFERRALS = {  # where to, and the chance a contact leads to one
    "IAPT counselling": 0.03,
    "Mental health hub": 0.035,
    "GP": 0.02,
    "Homeless services": 0.012,
    "Substance2Solution": 0.02,
    "Social services": 0.01,
    "Sunflower Centre (domestic abuse)": 0.006,
}
OFFENCES = ["violence_with_injury", "violence_without_injury", "robbery", "theft", "drugs", "possession_of_weapons", "public_order"]


def _eligible(who: str, age: int) -> bool:
    return {"all": True, "children": age < 18, "under_25": age < 25, "adults": age >= 18}[who]


def generate(out: Path, seed: int = SEED) -> Path:
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    span = (END - START).days + 1
    detentions, contacts, referrals = [], [], []
    for i in range(DETAINED):
        pid = f"N{i:05d}"
        day = START + dt.timedelta(days=int(rng.integers(0, span)))
        arrival = pd.Timestamp(day) + pd.Timedelta(hours=int(rng.integers(0, 24)), minutes=int(rng.integers(0, 60)))
        age = int(np.clip(rng.gamma(3.0, 9.0) + 10, 10, 79))
        did = f"ND{i:05d}"
        detentions.append(
            {
                "detention_id": did,
                "person_id": pid,
                "custody_suite": rng.choice(SUITES, p=[0.6, 0.4]),
                "arrival_datetime": arrival.strftime("%Y-%m-%d %H:%M"),
                "release_datetime": (arrival + pd.Timedelta(hours=int(rng.integers(3, 36)))).strftime("%Y-%m-%d %H:%M"),
                "age_at_arrival": age,
                "sex": "female" if rng.random() < 0.17 else "male",
                "ethnicity": rng.choice(["white", "black", "asian", "mixed", "other", "unknown"], p=[0.7, 0.1, 0.07, 0.06, 0.03, 0.04]),
                "residence_area": rng.choice(AREAS) if rng.random() < 0.9 else "Outside the county",
                "arrest_offence_group": rng.choice(OFFENCES),
                "known_to_yos": ("yes" if rng.random() < 0.4 else "no") if age < 18 else "unknown",
                "event_kind": "custody_detention",
            }
        )
        for provider, (who, p) in PROVIDERS.items():
            if _eligible(who, age) and rng.random() < p:
                outcome = rng.choice(["advice_only", "intervention_arranged", "declined"], p=[0.6, 0.25, 0.15])
                contacts.append(
                    {
                        "contact_id": f"NC{len(contacts):05d}",
                        "person_id": pid,
                        "detention_id": did,
                        "contact_date": day.isoformat(),
                        "outcome": outcome,
                        "provider": provider,
                        "contact_type": "custody visit",
                    }
                )
                for kind, q in REFERRALS.items():
                    if rng.random() < q * 6:
                        taken = rng.choice(["yes", "no", "unknown"], p=[0.5, 0.2, 0.3])
                        referrals.append(
                            {
                                "referral_id": f"NR{len(referrals):05d}",
                                "person_id": pid,
                                "referral_date": day.isoformat(),
                                "referral_type": kind,
                                "provider": provider,
                                "taken_up": taken,
                            }
                        )
                if rng.random() < 0.03:  # a 24-hour welfare call after release
                    contacts.append(
                        {
                            "contact_id": f"NC{len(contacts):05d}",
                            "person_id": pid,
                            "detention_id": "",
                            "contact_date": (day + dt.timedelta(days=1)).isoformat(),
                            "outcome": "advice_only",
                            "provider": provider,
                            "contact_type": "welfare call",
                        }
                    )
    # children attending a voluntary interview at either station (no custody record, an index event of its own):
    # the YOS speaks to all of them
    for j in range(40):
        day = START + dt.timedelta(days=int(rng.integers(0, span)))
        age = int(rng.integers(12, 18))
        detentions.append(
            {
                "detention_id": f"NV{j:04d}",
                "person_id": f"V{j:04d}",
                "custody_suite": rng.choice(SUITES, p=[0.6, 0.4]),
                "arrival_datetime": day.isoformat(),  # a date alone: the interview's time is not recorded
                "release_datetime": "",
                "age_at_arrival": age,
                "sex": "female" if rng.random() < 0.25 else "male",
                "ethnicity": rng.choice(["white", "black", "asian", "mixed", "other", "unknown"], p=[0.7, 0.1, 0.07, 0.06, 0.03, 0.04]),
                "residence_area": rng.choice(AREAS),
                "arrest_offence_group": rng.choice(OFFENCES),
                "known_to_yos": "yes" if rng.random() < 0.3 else "no",
                "event_kind": "voluntary_attendance",
            }
        )
        contacts.append(
            {
                "contact_id": f"NC{len(contacts):05d}",
                "person_id": f"V{j:04d}",
                "detention_id": f"NV{j:04d}",
                "contact_date": day.isoformat(),
                "outcome": rng.choice(["advice_only", "intervention_arranged", "declined"], p=[0.5, 0.35, 0.15]),
                "provider": "Youth Offending Service",
                "contact_type": "voluntary attendance",
            }
        )
    pd.DataFrame(detentions).to_csv(out / "custody_detentions.csv", index=False, lineterminator="\n")
    pd.DataFrame(contacts).to_csv(out / "programme_contacts.csv", index=False, lineterminator="\n")
    pd.DataFrame(referrals).to_csv(out / "referrals.csv", index=False, lineterminator="\n")
    (out / "costs.csv").write_text(
        "item,category,start_date,end_date,amount_gbp,funder\n"
        f"OPFCC youth workers in custody,staff,{START},{END},18500.00,Office of the Police Fire and Crime Commissioner\n"
        f"Provider time in custody (YOS CIRV S2S Probation),in_kind,{START},{END},42000.00,\n"
        f"Custody chief inspector coordination,in_kind,{START},{END},6500.00,\n",
        encoding="utf-8",
    )
    (out / "evaluation.toml").write_text(CONFIG, encoding="utf-8")
    return out


CONFIG = f"""# Example: a multi-provider custody trial for people of every age (examples/northants_custody/generate.py)
[programme]
name = "Custody support trial (example)"
index_events = ["custody_detention", "voluntary_attendance"]
suites = ["Northampton", "Kettering"]
start = {START}
end = {END}
home_areas = ["West Northamptonshire", "North Northamptonshire"]
age_min = 10
age_max = 79
description = "For ten weeks, partners worked alongside liaison and diversion staff in both custody suites to give people who had been arrested, and children attending voluntary interviews, on-the-spot advice and referrals."
description_source = "Northamptonshire Police news release, 4 September 2023 (seed document 004)"

[data]
extract_date = {EXTRACT}
datetime_format = "%Y-%m-%d %H:%M"

[engagement]
age_bands = [[10, 17], [18, 25], [26, 79]]

[report]
title = "A multi-provider custody support trial: an example evaluation"
"""


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    print(generate(Path(sys.argv[1])))
