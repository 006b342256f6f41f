"""Example: Integrated Offender Management (seed document 003, the Met's before/during/after tool), as its records
would be kept: spells on IOM (adoption at panel to exit, some still open), prison spells, offences, and the IOM
team's budget. No custody detentions or contact log: the design is a spell design.

A generator of its own. People are adopted onto IOM at a peak of their offending (their rate rises into the
months before adoption and falls back after it), and IOM has **no effect** here: everything the report shows
as a fall is regression to the mean. A report that reads this as IOM working is wrong.

    python examples/iom_spells/generate.py OUT_FOLDER

Every number below is an assumption of this example, fixed before any report was built on it.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 3003
START, END = dt.date(2022, 4, 1), dt.date(2024, 3, 31)
EXTRACT = dt.date(2025, 3, 31)
EVENTS_FROM = dt.date(2020, 4, 1)
CASES = 160
OFFENCE_GROUPS = ["violence_with_injury", "violence_without_injury", "robbery", "burglary", "theft", "drugs", "criminal_damage"]
PEAK = 2.5  # the rate is (1 + PEAK) times the person's usual rate at adoption, decaying with a 120-day scale
PEAK_DAYS = 120.0


def generate(out: Path, seed: int = SEED) -> Path:
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    spells, custody, events = [], [], []
    first_day = pd.Timestamp(EVENTS_FROM)
    days = (pd.Timestamp(EXTRACT) - first_day).days + 1
    t = np.arange(days)
    for i in range(CASES):
        pid = f"P{i:04d}"
        adopted = pd.Timestamp(START) + pd.Timedelta(days=int(rng.integers(0, (END - START).days + 1)))
        length = int(rng.integers(150, 600))
        exit_day = adopted + pd.Timedelta(days=length)
        ongoing = exit_day > pd.Timestamp(EXTRACT)
        spells.append(
            {
                "spell_id": f"S{i:04d}",
                "person_id": pid,
                "start_date": adopted.date().isoformat(),
                "end_date": "" if ongoing else exit_day.date().isoformat(),
                "status": rng.choice(["Red", "Amber", "Green", "Blue"], p=[0.45, 0.3, 0.15, 0.1]),
                "age_at_start": int(rng.integers(18, 45)),
            }
        )
        # prison: a third serve a sentence or remand at some point around the spell
        in_custody = np.zeros(days, dtype=bool)
        if rng.random() < 0.33:
            c_start = adopted + pd.Timedelta(days=int(rng.integers(-200, 500)))
            c_end = c_start + pd.Timedelta(days=int(rng.integers(30, 270)))
            if c_start <= pd.Timestamp(EXTRACT) and c_start >= first_day:
                still = c_end > pd.Timestamp(EXTRACT)
                custody.append(
                    {"person_id": pid, "start_date": c_start.date().isoformat(), "end_date": "" if still else c_end.date().isoformat()}
                )
                lo = (c_start - first_day).days
                hi = min((c_end - first_day).days, days - 1)
                in_custody[lo : hi + 1] = True
        usual = rng.gamma(2.0, 1.6) / 365.25  # offences a day, mean about 3.2 a year
        a = (adopted - first_day).days
        rate = usual * (1 + PEAK * np.exp(-np.abs(t - a) / PEAK_DAYS))  # a peak around adoption, and no IOM effect
        rate[in_custody] = 0.0
        for day in np.flatnonzero(rng.poisson(rate) > 0):
            events.append(
                {
                    "event_id": f"E{len(events):06d}",
                    "person_id": pid,
                    "event_date": (first_day + pd.Timedelta(days=int(day))).date().isoformat(),
                    "event_type": "offence",
                    "offence_group": rng.choice(OFFENCE_GROUPS, p=[0.12, 0.2, 0.06, 0.12, 0.3, 0.12, 0.08]),
                }
            )
    pd.DataFrame(spells).to_csv(out / "spells.csv", index=False, lineterminator="\n")
    pd.DataFrame(custody, columns=["person_id", "start_date", "end_date"]).to_csv(
        out / "custody_spells.csv", index=False, lineterminator="\n"
    )
    pd.DataFrame(events).to_csv(out / "events.csv", index=False, lineterminator="\n")
    (out / "costs.csv").write_text(
        "item,category,start_date,end_date,amount_gbp,funder\n"
        f"IOM police officers (6 FTE),staff,{START},{END},620000.00,Metropolitan Police\n"
        f"IOM probation officers (3 FTE),staff,{START},{END},290000.00,Probation Service\n"
        f"Drug and alcohol workers (shared),in_kind,{START},{END},80000.00,\n",
        encoding="utf-8",
    )
    (out / "evaluation.toml").write_text(CONFIG, encoding="utf-8")
    return out


CONFIG = f"""# Example: Integrated Offender Management, a spell design (examples/iom_spells/generate.py)
[programme]
name = "Integrated Offender Management (example)"
design = "spells"
start = {START}
end = {END}
age_min = 18
age_max = 100
description = "Police and probation manage a cohort of prolific adult offenders jointly: adoption at a monthly panel, home and prison visits, referrals for housing, treatment and employment, and enforcement."
description_source = "Haringey Community Safety Partnership agenda pack, 27 June 2024, item 7 (seed document 003)"

[data]
extract_date = {EXTRACT}
events_start = {EVENTS_FROM}

[spells]
window_months = 12

[report]
title = "Integrated Offender Management before, during and after: an example evaluation"
"""


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    print(generate(Path(sys.argv[1])))
