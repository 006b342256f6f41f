"""An independent generator of custody-diversion data with a known truth, for validating the design.

Written apart from `evaluation.demo` (it imports nothing from the package) and shaped unlike the
demo, so that estimators are tested on data the package did not shape:

* **Latent offending that varies over time.** Each person has a base rate (suite x covariates x a
  lognormal frailty) times a monthly log-AR(1) process, so offending comes in spells; arrests are a
  thinning of offences, so people are arrested at peaks and regression to the mean is real.
* **Several suites with different underlying rates**, one of them the programme's; most arrests are
  at the person's home suite. Suites differ in who lives there (the shares known to YOS and to
  children's social care, and the sex mix, all recorded), and, with `suite_unobserved_sd` > 0, also
  in an unrecorded multiplier of everyone's offending (a stress test: no matching on recorded data
  can remove it from a comparison of later outcomes, while a difference-in-differences can).
* **A programme period of 3 to 24 months** at the programme suite. At each detention of an eligible,
  not-yet-approached child there, the programme approaches with a probability that depends on
  recorded covariates (selection on observables). The first contact is what makes a child a
  programme child.
* **Comparison children who are approached later**: children detained at comparison suites, or at
  the programme suite before the programme, who are later detained at the programme suite and
  approached.
* **Incomplete follow-up near the extract date**: the extract comes 6 to 24 months after the
  programme ends; outcomes decided after it are not yet known.
* **The effect** multiplies each person's offending, victimisation and missing-episode rates from
  the day after their first contact by `effect[...]` (1.0 everywhere = no effect). It is applied by
  thinning the untreated process, so every approached child's outcomes without the programme are
  known too (`Simulated.potential_outcomes`), and the truth of every estimand is exact for the
  children analysed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

SUITES = ("Northgate", "Eastbridge", "Southmoor", "Westfield")  # the first is the programme's
AREAS = {"Northgate": ("Ashby", "Brent Vale"), "Eastbridge": ("Carrow",), "Southmoor": ("Dunmere",), "Westfield": ("Elstow",)}
OFFENCE_GROUPS = (
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
)
OFFENCE_SHARES = np.array([0.12, 0.2, 0.08, 0.02, 0.05, 0.2, 0.07, 0.12, 0.06, 0.05, 0.03])
EVENT_TYPES = ("offence", "victimisation", "missing_episode")
# proven outcome of an offence (arrested, not arrested) and the delay to it in days: (minimum, gamma shape, scale)
OUTCOMES = ("conviction", "caution", "youth_caution", "youth_conditional_caution", "community_resolution", "outcome_22", "none")
P_OUTCOME_ARRESTED = np.array([0.30, 0.04, 0.14, 0.06, 0.14, 0.07, 0.25])
P_OUTCOME_NOT_ARRESTED = np.array([0.04, 0.01, 0.03, 0.01, 0.05, 0.02, 0.84])
OUTCOME_DELAY = {
    "conviction": (20, 2.0, 110.0),
    "caution": (1, 1.5, 30.0),
    "youth_caution": (3, 1.5, 45.0),
    "youth_conditional_caution": (5, 1.5, 60.0),
    "community_resolution": (0, 1.0, 10.0),
    "outcome_22": (3, 1.5, 40.0),
}
MOJ_PROVEN = ("conviction", "caution", "youth_caution", "youth_conditional_caution")


@dataclass(frozen=True)
class Scenario:
    """One replication's design. `effect` maps event type to the rate ratio after first contact."""

    seed: int
    programme_months: int = 12
    comparison: str = "both"  # "suites", "pre_period", "both" or "none" (no comparison group in the config)
    effect: dict[str, float] = field(default_factory=lambda: {t: 1.0 for t in EVENT_TYPES})
    people_per_suite: int = 1500
    approach_base: float = 0.55  # probability of approach at an eligible detention, average child
    extract_months_after: int | None = None  # None: drawn from 6 to 24
    suite_unobserved_sd: float = 0.0  # sd of an unrecorded log multiplier of each suite's offending
    approach_coefficients: tuple[float, float, float, float] = (0.7, 0.5, -0.3, 0.3)  # known to YOS, under 15, female, social care
    start: dt.date = dt.date(2021, 4, 1)

    @property
    def end(self) -> dt.date:
        return (pd.Timestamp(self.start) + pd.DateOffset(months=self.programme_months) - pd.Timedelta(days=1)).date()


@dataclass
class Simulated:
    """The tables (contract format), the config, and the generator's internals for computing the truth."""

    scenario: Scenario
    tables: dict[str, pd.DataFrame]
    config_toml: str
    extract_date: dt.date
    events_all: pd.DataFrame  # every event of the untreated process, with `kept` (observed) and `after_contact`
    first_contact: pd.Series  # person_id -> first contact date (NaT if never)
    approach_p: pd.Series | None = None  # detention_id -> the true probability of approach there (0 if not eligible)
    people: pd.DataFrame | None = None  # the generator's people (for diagnostics)

    def write(self, folder: str | Path) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for name, frame in self.tables.items():
            frame.to_csv(folder / f"{name}.csv", index=False, lineterminator="\n")
        (folder / "evaluation.toml").write_text(self.config_toml, encoding="utf-8")
        return folder

    def potential_outcomes(self, units: pd.DataFrame, follow_up_months: int = 12, waiting_months: int = 6) -> pd.DataFrame:
        """For programme units (person_id, index_date = day of first contact): proven reoffending within
        follow_up_months of the index day (MoJ counting: proven within follow-up + waiting, by the extract
        date) and re-arrest within 12 months, as observed (`y1_*`: the programme applied from the first
        contact) and without the programme (`y0_*`: the same latent process, nothing thinned)."""
        ev = self.events_all[self.events_all.event_type == "offence"]
        extract = pd.Timestamp(self.extract_date)
        u = units[["person_id", "index_date"]].copy()
        u["idx"] = pd.to_datetime(u.index_date)
        u["row"] = np.arange(len(u))
        j = u.merge(ev, on="person_id")
        start = j.idx + pd.Timedelta(days=1)
        end = j.idx + pd.DateOffset(months=follow_up_months) + pd.Timedelta(days=1)
        deadline = (j.idx + pd.DateOffset(months=follow_up_months + waiting_months)).clip(upper=extract)
        proven = (j.event_date >= start) & (j.event_date < end) & j.outcome.isin(MOJ_PROVEN) & (j.proven_date <= deadline)
        rearrest = j.arrested & (j.arrest_date >= start) & (j.arrest_date < j.idx + pd.DateOffset(months=12) + pd.Timedelta(days=1))
        out = u[["person_id", "index_date"]].copy()
        for name, flag in (("proven", proven), ("rearrest_12m", rearrest)):
            for arm, keep in (("y1", j.kept), ("y0", pd.Series(True, index=j.index))):
                hit = j[flag & keep].groupby("row").size()
                out[f"{arm}_{name}"] = (u.row.map(hit).fillna(0) > 0).to_numpy()
        return out


def _months(start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    return pd.date_range(start, end, freq="MS")


def _logistic(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def simulate(s: Scenario) -> Simulated:
    rng = np.random.default_rng(s.seed)
    start, end = pd.Timestamp(s.start), pd.Timestamp(s.end)
    extract_after = s.extract_months_after if s.extract_months_after is not None else int(rng.integers(6, 25))
    extract = end + pd.DateOffset(months=extract_after)
    pre_len = min(s.programme_months, 12)
    pre_start, pre_end = start - pd.DateOffset(months=pre_len), start - pd.Timedelta(days=1)
    obs_start = pd.Timestamp(start.year - 4, 1, 1)
    months = _months(obs_start, extract)
    n_m = len(months)
    days_in = np.array([(min(m + pd.offsets.MonthBegin(1), extract + pd.Timedelta(days=1)) - m).days for m in months], dtype=float)

    # ---- people: suites differ in their underlying rates (through recorded characteristics, and optionally not)
    suite_mult = dict(zip(SUITES, np.exp(rng.normal(0, s.suite_unobserved_sd, len(SUITES)))))
    yos_share = dict(zip(SUITES, rng.uniform(0.15, 0.45, len(SUITES))))
    csc_share = dict(zip(SUITES, rng.uniform(0.1, 0.3, len(SUITES))))
    female_share = dict(zip(SUITES, rng.uniform(0.12, 0.28, len(SUITES))))
    rows = []
    for k, suite in enumerate(SUITES):
        n = int(rng.poisson(s.people_per_suite))
        birth = start - pd.to_timedelta(rng.uniform(9.0, 20.0, n) * 365.25, unit="D")
        female = rng.random(n) < female_share[suite]
        eth = rng.choice(["white", "black", "asian", "mixed", "other", "unknown"], n, p=[0.35, 0.3, 0.12, 0.13, 0.05, 0.05])
        yos = rng.random(n) < yos_share[suite]
        csc = rng.random(n) < csc_share[suite] + 0.2 * yos
        area = rng.choice(AREAS[suite], n)
        frailty = rng.normal(0, 0.7, n)
        base = suite_mult[suite] * np.exp(np.log(1.2) + 0.6 * yos - 0.5 * female + 0.3 * csc + frailty)
        rows.append(
            pd.DataFrame(
                {
                    "person_id": [f"S{k}P{i:05d}" for i in range(n)],
                    "home_suite": suite,
                    "birth": birth,
                    "female": female,
                    "ethnicity": eth,
                    "yos": yos,
                    "csc": csc,
                    "area": area,
                    "base": base,
                    "vict_base": 0.35 * np.exp(0.5 * frailty + rng.normal(0, 0.5, n)) * (1 + 0.4 * csc),
                    "miss_base": 0.25 * np.exp(rng.normal(0, 0.9, n)) * (1 + 1.5 * csc),
                }
            )
        )
    people = pd.concat(rows, ignore_index=True)
    n = len(people)
    # age at each month decides whether offending has started (from 10) and how it peaks (around 16)
    age_m = (months.to_numpy()[None, :] - people.birth.to_numpy()[:, None]) / np.timedelta64(1, "D") / 365.25
    age_shape = np.where(age_m < 10, 0.0, np.exp(-((age_m - 16.5) ** 2) / (2 * 3.5**2)))
    # latent monthly log-AR(1): spells of heavier offending
    rho, sd = 0.85, 0.45
    z = np.zeros((n, n_m))
    z[:, 0] = rng.normal(0, sd / np.sqrt(1 - rho**2), n)
    eps = rng.normal(0, sd, (n, n_m))
    for m in range(1, n_m):
        z[:, m] = rho * z[:, m - 1] + eps[:, m]
    level = np.exp(z - sd**2 / (2 * (1 - rho**2)))
    own = np.exp(rng.normal(0, 0.4, (n, n_m)))

    events = []
    for etype, base, latent in (
        ("offence", people.base.to_numpy(), level),
        ("victimisation", people.vict_base.to_numpy(), np.sqrt(level) * own),
        ("missing_episode", people.miss_base.to_numpy(), np.sqrt(level)),
    ):
        lam = base[:, None] * latent * age_shape * days_in[None, :] / 365.25
        counts = rng.poisson(lam)
        pi, mi = np.nonzero(counts)
        reps = counts[pi, mi]
        pi, mi = np.repeat(pi, reps), np.repeat(mi, reps)
        day = np.floor(rng.random(len(pi)) * days_in[mi]).astype(int)
        date = months.to_numpy()[mi] + day.astype("timedelta64[D]")
        events.append(pd.DataFrame({"p": pi, "event_type": etype, "event_date": date}))
    ev = pd.concat(events, ignore_index=True)
    ev = ev[ev.event_date <= extract].reset_index(drop=True)
    ev["u_effect"] = rng.random(len(ev))
    off = ev.event_type == "offence"
    ev["offence_group"] = None
    ev.loc[off | (ev.event_type == "victimisation"), "offence_group"] = rng.choice(
        OFFENCE_GROUPS, int((off | (ev.event_type == "victimisation")).sum()), p=OFFENCE_SHARES / OFFENCE_SHARES.sum()
    )
    # arrests: a thinning of offences, at the home suite mostly
    ev["arrested"] = off & (rng.random(len(ev)) < 0.3)
    ev["arrest_date"] = ev.event_date + pd.to_timedelta(rng.choice([0, 0, 0, 1, 2], len(ev)), unit="D")
    ev.loc[~ev.arrested, "arrest_date"] = pd.NaT
    home = people.home_suite.to_numpy()[ev.p.to_numpy()]
    elsewhere = rng.choice(SUITES, len(ev))
    ev["suite"] = np.where(rng.random(len(ev)) < 0.85, home, elsewhere)
    ev.loc[ev.arrested & (ev.arrest_date > extract), "arrested"] = False
    ev.loc[~ev.arrested, "suite"] = None

    # ---- the programme: approach at eligible detentions at the programme suite during the period
    arr = ev[ev.arrested].copy()
    age_at = ((arr.arrest_date - people.birth.to_numpy()[arr.p.to_numpy()]).dt.days / 365.25).to_numpy()
    arr["age"] = np.floor(age_at).astype(int)
    eligible = (arr.suite == SUITES[0]) & (arr.arrest_date >= start) & (arr.arrest_date <= end) & arr.age.between(10, 17)
    pp = people.iloc[arr.p.to_numpy()]
    b_yos, b_young, b_female, b_csc = s.approach_coefficients
    logit = (
        np.log(s.approach_base / (1 - s.approach_base))
        + b_yos * pp.yos.to_numpy()
        + b_young * (arr.age.to_numpy() < 15)
        + b_female * pp.female.to_numpy()
        + b_csc * pp.csc.to_numpy()
    )
    arr["p_approach"] = np.where(eligible.to_numpy(), _logistic(logit), 0.0)
    arr["approached"] = eligible.to_numpy() & (rng.random(len(arr)) < arr.p_approach.to_numpy())
    first = arr[arr.approached].groupby("p").arrest_date.min()
    contact_date = pd.Series(pd.NaT, index=np.arange(n), dtype="datetime64[ns]")
    contact_date.loc[first.index] = first.to_numpy()
    # the effect: events from the day of first contact are kept with probability effect[type]
    c = contact_date.to_numpy()[ev.p.to_numpy()]
    ev["after_contact"] = ~pd.isna(c) & (ev.event_date.to_numpy() > c)  # from the day after the contact: the offence that led to it stays
    theta = ev.event_type.map(s.effect).to_numpy()
    ev["kept"] = ~ev.after_contact | (ev.u_effect < theta)
    # the contact's own detention comes from an offence before it: always kept
    # outcomes of offences (drawn for every offence, kept or not, so both worlds share them)
    n_ev = len(ev)
    u_out = rng.random(n_ev)
    cum_a, cum_n = np.cumsum(P_OUTCOME_ARRESTED), np.cumsum(P_OUTCOME_NOT_ARRESTED)
    k = np.where(ev.arrested, np.searchsorted(cum_a, u_out * cum_a[-1]), np.searchsorted(cum_n, u_out * cum_n[-1]))
    outcome = np.array(OUTCOMES)[np.minimum(k, len(OUTCOMES) - 1)]
    outcome = np.where(off, outcome, None)
    delay = np.zeros(n_ev)
    for o, (lo, shape, scale) in OUTCOME_DELAY.items():
        sel = outcome == o
        delay[sel] = lo + rng.gamma(shape, scale, int(sel.sum()))
    ev["outcome"] = outcome
    ev["proven_date"] = ev.event_date + pd.to_timedelta(np.floor(delay), unit="D")
    ev.loc[(ev.outcome == "none") | ev.outcome.isna(), "proven_date"] = pd.NaT

    # ---- detentions (observed: arrests of kept offences)
    ev["detention_id"] = None
    is_det = ev.arrested & ev.kept
    ev.loc[is_det, "detention_id"] = [f"D{i:07d}" for i in range(int(is_det.sum()))]
    det = ev[is_det]
    dp = people.iloc[det.p.to_numpy()]
    age_det = np.floor((det.arrest_date - dp.birth.to_numpy()).dt.days / 365.25).astype(int).to_numpy()
    hours = rng.integers(0, 24, len(det))
    release = det.arrest_date + pd.to_timedelta(hours + rng.integers(4, 30, len(det)), unit="h")
    release = release.where(release < extract + pd.Timedelta(days=1))  # still in custody at the extract: not recorded
    yos_txt = np.where(dp.yos.to_numpy(), "yes", "no")
    yos_txt = np.where(rng.random(len(det)) < 0.04, "unknown", yos_txt)
    custody = pd.DataFrame(
        {
            "detention_id": det.detention_id.to_numpy(),
            "person_id": dp.person_id.to_numpy(),
            "custody_suite": det.suite.to_numpy(),
            "arrival_datetime": (det.arrest_date + pd.to_timedelta(hours, unit="h")).dt.strftime("%Y-%m-%d %H:%M").to_numpy(),
            "release_datetime": release.dt.strftime("%Y-%m-%d %H:%M").to_numpy(),
            "age_at_arrival": age_det,
            "sex": np.where(dp.female.to_numpy(), "female", "male"),
            "ethnicity": dp.ethnicity.to_numpy(),
            "residence_area": dp.area.to_numpy(),
            "arrest_offence_group": det.offence_group.to_numpy(),
            "known_to_yos": yos_txt,
            "known_to_childrens_social_care": np.where(dp.csc.to_numpy(), "yes", "no"),
        }
    )
    custody = custody[age_det >= 10].reset_index(drop=True)

    # ---- contacts: the first contact (and, for some, a second at a later detention)
    firsts = arr[arr.approached].sort_values("arrest_date").drop_duplicates("p")
    firsts = firsts.merge(ev[["detention_id"]], left_index=True, right_index=True, suffixes=("_x", ""))
    out_codes = rng.choice(
        ["intervention_arranged", "awaiting_intervention", "declined", "out_of_area_referral"], len(firsts), p=[0.35, 0.25, 0.25, 0.15]
    )
    contacts = pd.DataFrame(
        {
            "contact_id": [f"C{i:06d}" for i in range(len(firsts))],
            "person_id": people.person_id.to_numpy()[firsts.p.to_numpy()],
            "detention_id": firsts.detention_id.to_numpy(),
            "contact_date": firsts.arrest_date.dt.strftime("%Y-%m-%d").to_numpy(),
            "outcome": out_codes,
        }
    )

    # ---- events table (observed: kept events, outcomes known by the extract date)
    obs = ev[ev.kept].copy()
    known = obs.proven_date <= extract
    obs_out = np.where(obs.event_type == "offence", np.where(known, obs.outcome, "none"), None)
    events = pd.DataFrame(
        {
            "event_id": [f"E{i:07d}" for i in range(len(obs))],
            "person_id": people.person_id.to_numpy()[obs.p.to_numpy()],
            "event_date": obs.event_date.dt.strftime("%Y-%m-%d").to_numpy(),
            "event_type": obs.event_type.to_numpy(),
            "offence_group": obs.offence_group.to_numpy(),
            "proven_outcome": obs_out,
            "proven_date": obs.proven_date.where(known & (obs.event_type == "offence")).dt.strftime("%Y-%m-%d").to_numpy(),
            "detention_id": obs.detention_id.to_numpy(),
        }
    )
    keep_det = set(custody.detention_id)
    events.loc[~events.detention_id.isin(keep_det), "detention_id"] = None
    contacts = contacts[contacts.detention_id.isin(keep_det)].reset_index(drop=True)

    approach_p = pd.Series(arr.p_approach.to_numpy(), index=ev.loc[arr.index, "detention_id"].to_numpy())
    approach_p = approach_p[approach_p.index.notna()]
    # internals for the truth: every event of the untreated process, whether it was observed (kept), arrests and outcomes
    allv = ev[["p", "event_type", "event_date", "arrested", "arrest_date", "outcome", "proven_date", "kept", "after_contact"]].copy()
    allv["person_id"] = people.person_id.to_numpy()[allv.p.to_numpy()]
    contact_by_person = pd.Series(contact_date.to_numpy(), index=people.person_id.to_numpy())
    config = _config(s, extract, pre_start, pre_end, obs_start)
    return Simulated(
        s,
        {"custody_detentions": custody, "programme_contacts": contacts, "events": events},
        config,
        extract.date(),
        allv,
        contact_by_person,
        approach_p,
        people,
    )


def _config(s: Scenario, extract: pd.Timestamp, pre_start: pd.Timestamp, pre_end: pd.Timestamp, obs_start: pd.Timestamp) -> str:
    comp = []
    if s.comparison in ("suites", "both"):
        comp.append("suites = [" + ", ".join(f'"{x}"' for x in SUITES[1:]) + "]")
    if s.comparison in ("pre_period", "both"):
        comp.append(f"pre_period_start = {pre_start.date().isoformat()}\npre_period_end = {pre_end.date().isoformat()}")
    return f"""# Simulated data (tests/simulation/generator.py), scenario seed {s.seed}
[programme]
name = "Simulated programme"
suites = ["{SUITES[0]}"]
start = {s.start.isoformat()}
end = {s.end.isoformat()}
home_areas = {list(AREAS[SUITES[0]])!r}
age_min = 10
age_max = 17

[comparison]
{chr(10).join(comp)}

[data]
extract_date = {extract.date().isoformat()}
events_start = {obs_start.date().isoformat()}

[engagement]
age_bands = [[10, 14], [15, 17]]

[report]
seed = {s.seed}
""".replace("'", '"')
