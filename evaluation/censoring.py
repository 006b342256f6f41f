"""Comparison children approached later: censoring at the first programme contact, and the weights
that keep that censoring from biasing the comparison.

A comparison child is followed from their comparison index until their first programme contact
(`approached_later_date`; the day of the contact is still observed, since the arrest that led to it
came first). Such censoring is informative: it happens at a re-arrest at a programme suite, so the
children it removes are those whose offending had flared up again. Dropping their later follow-up
would make the comparison group look better than it was and the programme worse (a false "harm"
found on independent data with no effect). Following Robins & Finkelstein (2000) and Hernán & Robins (2016, target-trial emulation),
inverse probability of censoring weights (IPCW) put that follow-up back:

* An *approachable detention* is a detention at a programme suite during the programme period of a
  child not yet approached. At each one the programme approaches the child (the comparison child is
  censored) with probability p, estimated by a logistic regression of "first contact at this
  detention" on what custody records hold at the detention (year of age, sex, ethnicity, known to
  YOS, known to children's social care, arrest offence category), fitted on every approachable
  detention in the extract of a child in the programme's age range; detentions outside the age range
  get their own pooled share; a pooled share when the model cannot be fitted. p is
  capped at `MAX_APPROACH_PROBABILITY` so that no weight exceeds 1 / (1 - cap).
* Each event a comparison child has after k approachable detentions at which they were *not*
  approached stands for 1 / prod(1 - p_j) events: the children who were approached at one of those
  detentions and whose later events (without the programme) are not observed. Summed over a
  window this gives an unbiased estimate of the count the child would have had without being
  approached (Horvitz-Thompson), so every unit keeps its full window as exposure. For a first
  event (any event, reoffended, re-arrested) the weight is the one in force at that event.
* Programme children are never censored, and a child whose later contact falls outside a window is
  not affected in it.

`mode = "ignore"` follows comparison children through their later approach instead (intention to
treat as assigned at the index): unbiased when the programme has no effect, and biased towards no
effect when it has one. It is reported beside the main estimate as a sensitivity check.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .cohort import OFFENCE_CATEGORIES

#: Approach probabilities are capped here, so that no censoring weight exceeds 1 / (1 - 0.95) = 20.
MAX_APPROACH_PROBABILITY = 0.95
_MODEL_COLUMNS = ("sex", "ethnicity", "known_to_yos", "known_to_childrens_social_care", "arrest_offence_category")


@dataclass(frozen=True)
class ApproachModel:
    """P(first programme contact at an approachable detention), and what it was fitted on."""

    detentions: pd.DataFrame  # every approachable detention: detention_id, person_id, day, approached, p
    method: str  # "logistic regression on ..." or "pooled share"
    pooled_share: float

    @property
    def n_detentions(self) -> int:
        return len(self.detentions)

    @property
    def n_approached(self) -> int:
        return int(self.detentions.approached.sum())


def _approachable(data) -> pd.DataFrame:
    """Detentions at a programme suite in the programme period of children not yet approached."""
    p = data.config.programme
    det = data.custody_detentions
    contacts = data.programme_contacts
    day = det.arrival_datetime.dt.normalize()
    in_period = det.custody_suite.isin(p.suites) & (day >= pd.Timestamp(p.start)) & (day <= pd.Timestamp(p.end))
    first = contacts.sort_values(["contact_date", "contact_id"]).drop_duplicates("person_id").set_index("person_id")
    first_day = det.person_id.map(first.contact_date)
    first_det = det.person_id.map(first.detention_id)
    not_yet = first_day.isna() | (day < first_day) | (det.detention_id == first_det)
    out = det[in_period & not_yet].copy()
    out["day"] = day[in_period & not_yet]
    out["approached"] = (out.detention_id == first_det[in_period & not_yet]).astype(int)
    return out


def fit_approach_model(data) -> ApproachModel:
    """Fit P(approach | approachable detention) on the extract (see the module docstring).

    Detentions of children in the programme's age range get a logistic regression with each year of
    age as its own level (so the age pattern is not forced into a line); detentions outside the age
    range, which the programme does not set out to approach, get their own pooled share (usually 0).
    """
    det = _approachable(data).reset_index(drop=True)
    p = data.config.programme
    pooled = float(det.approached.mean()) if len(det) else 0.0
    in_range = det.age_at_arrival.between(p.age_min, p.age_max).to_numpy()
    prob = np.zeros(len(det))
    outside = ~in_range
    if outside.any():
        prob[outside] = det.approached[outside].mean()
    inside = det[in_range]
    share = float(inside.approached.mean()) if len(inside) else 0.0
    prob[in_range] = share
    method = "pooled share"
    if len(inside) >= 50 and 10 <= inside.approached.sum() <= len(inside) - 10:
        cats = inside.assign(
            age_year=inside.age_at_arrival.astype(int).astype(str),
            arrest_offence_category=inside.arrest_offence_group.map(OFFENCE_CATEGORIES),
            known_to_childrens_social_care=inside.known_to_childrens_social_care.astype(object).where(
                inside.known_to_childrens_social_care.notna(), "unknown"
            ),
        )
        X = pd.DataFrame(index=inside.index)
        for col in ("age_year", *_MODEL_COLUMNS):
            X = X.join(pd.get_dummies(cats[col].astype(str), prefix=col, drop_first=True, dtype=float))
        X = X.loc[:, X.std() > 0] if len(X.columns) else X
        X.insert(0, "const", 1.0)
        try:
            import statsmodels.api as sm

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fit = sm.GLM(inside.approached.to_numpy(float), X.to_numpy(), family=sm.families.Binomial()).fit(maxiter=100)
            fitted = np.asarray(fit.fittedvalues)
            if np.isfinite(fitted).all():
                prob[in_range] = fitted
                method = (
                    "logistic regression on year of age, sex, ethnicity, known to YOS, known to children's social care and "
                    "arrest offence (children in the age range; others at their own share)"
                )
        except (np.linalg.LinAlgError, ValueError):
            pass
    det["p"] = np.minimum(prob, MAX_APPROACH_PROBABILITY)
    return ApproachModel(det[["detention_id", "person_id", "day", "approached", "p"]], method, pooled)


def marks(model: ApproachModel, units: pd.DataFrame) -> pd.DataFrame:
    """For each comparison unit, the approachable detentions after its index day at which it was not
    approached and before its first contact: unit_id, day, factor = 1 / (1 - p)."""
    comp = units[units.treated == 0][["unit_id", "person_id", "index_date", "censor_date"]]
    d = model.detentions[model.detentions.approached == 0]
    j = comp.merge(d[["person_id", "day", "p"]], on="person_id")
    j = j[(j.day > pd.to_datetime(j.index_date)) & (j.censor_date.isna() | (j.day < j.censor_date))]
    return pd.DataFrame({"unit_id": j.unit_id.to_numpy(), "day": j.day.to_numpy(), "factor": 1 / (1 - j.p.to_numpy())})


def segment(rows: pd.DataFrame, unit_marks: pd.DataFrame | None) -> pd.DataFrame:
    """Split rows (unit_id, start, stop; stop exclusive) where a mark's weight starts to apply (the day
    after the mark), giving each piece the cumulative censoring factor in force (`factor`) and the
    position of the row it came from (`row`)."""
    base = pd.DataFrame(
        {
            "unit_id": rows.unit_id.to_numpy(),
            "start": pd.to_datetime(rows.start).to_numpy(),
            "stop": pd.to_datetime(rows.stop).to_numpy(),
            "row": np.arange(len(rows)),
        }
    )
    if unit_marks is None or unit_marks.empty or base.empty:
        return base.assign(factor=1.0)[["unit_id", "row", "start", "stop", "factor"]]
    j = base.merge(unit_marks, on="unit_id")
    j["from_day"] = pd.to_datetime(j.day) + pd.Timedelta(days=1)
    in_force = j[j.from_day <= j.start].groupby("row").factor.prod()
    inside = j[(j.from_day > j.start) & (j.from_day < j.stop)].sort_values(["row", "from_day"], kind="stable")
    first = base.assign(factor=base.row.map(in_force).fillna(1.0).to_numpy(), order=0)
    cuts = inside.assign(
        factor=inside.groupby("row").factor.cumprod() * inside.row.map(in_force).fillna(1.0),
        order=inside.groupby("row").cumcount() + 1,
        start=inside.from_day,
    )
    pieces = (
        pd.concat(
            [first[["unit_id", "row", "start", "factor", "order"]], cuts[["unit_id", "row", "start", "factor", "order"]]], ignore_index=True
        )
        .sort_values(["row", "order"], kind="stable")
        .reset_index(drop=True)
    )
    nxt = pieces.groupby("row").start.shift(-1)
    pieces["stop"] = nxt.where(nxt.notna(), pieces.row.map(base.set_index("row").stop))
    return pieces[["unit_id", "row", "start", "stop", "factor"]]


def weighted_total(piece_counts: np.ndarray, pieces: pd.DataFrame, n_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Per original row: the IPCW count (sum of piece counts x factor) and the IPCW 'any event' (the
    factor of the first piece with an event, 0 if none)."""
    total = np.zeros(n_rows)
    np.add.at(total, pieces.row.to_numpy(), piece_counts * pieces.factor.to_numpy())
    any_ = np.zeros(n_rows)
    has = piece_counts > 0
    first = pieces[has].drop_duplicates("row")
    any_[first.row.to_numpy()] = first.factor.to_numpy()
    return total, any_


def describe(model: ApproachModel | None, mode: str | None) -> str:
    """One sentence for the methods appendix."""
    if mode == "ignore":
        return "Comparison children approached later were followed through that approach (intention to treat as assigned at the index)."
    if model is None or model.n_detentions == 0:
        return "No comparison child could be approached later: no censoring was needed."
    return (
        f"Comparison children approached later were censored at their first contact; the follow-up of those not approached at "
        f"a detention where they could have been was weighted by 1 / (1 - p) (inverse probability of censoring weights), with p "
        f"from a {model.method} over {model.n_detentions:,} approachable detentions ({100 * model.pooled_share:.0f}% approached; "
        f"p capped at {MAX_APPROACH_PROBABILITY})."
    )
