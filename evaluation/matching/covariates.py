"""Covariates as MatchIt reads them (model.matrix conventions: factors as treatment-contrast dummies for the
propensity model, all levels for balance), the checks on what may be matched on, and the errors and warnings
of the matching package."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

NUMERIC_KINDS = "biuf"
_REFUSED_NAME_PARTS = ("reoffend", "rearrest", "re_arrest", "outcome", "post_index", "followup", "after_index")


class UnmatchedTreatedWarning(UserWarning):
    """Some treated units found no match: the estimate describes the matched ones (not the ATT)."""


class MatchingError(ValueError):
    """The matching specification or data cannot be used."""


# --------------------------------------------------------------------------------------------
# Covariate handling (MatchIt's model.matrix conventions)


def _is_categorical(s: pd.Series) -> bool:
    return not (s.dtype.kind in NUMERIC_KINDS and s.dtype != bool) or s.dtype == bool


def _levels(s: pd.Series) -> list:
    return sorted(pd.unique(s.dropna()), key=lambda v: str(v)) if s.dtype != bool else [False, True]


def balance_matrix(data: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Covariates as MatchIt's summary() sees them: numeric columns as they are, factors as one
    0/1 column per level present, named <column><level> (e.g. sexmale); logicals as <column>TRUE."""
    out = {}
    for col in columns:
        s = data[col]
        if s.dtype == bool:
            out[f"{col}TRUE"] = s.astype(float).to_numpy()
        elif _is_categorical(s):
            for lev in _levels(s):
                out[f"{col}{lev}"] = (s == lev).astype(float).to_numpy()
        else:
            out[col] = s.astype(float).to_numpy()
    return pd.DataFrame(out, index=data.index)


def _design_matrix(data: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """Intercept plus treatment-contrast dummies (first level dropped), as R's glm design."""
    parts = [np.ones((len(data), 1))]
    for col in columns:
        s = data[col]
        if s.dtype == bool:
            parts.append(s.astype(float).to_numpy()[:, None])
        elif _is_categorical(s):
            levs = _levels(s)
            if len(levs) > 1:
                parts.append(np.column_stack([(s == lev).astype(float).to_numpy() for lev in levs[1:]]))
        else:
            parts.append(s.astype(float).to_numpy()[:, None])
    return np.hstack(parts)


def _check_columns(data: pd.DataFrame, treatment: str, covariates: Sequence[str], column_roles: Mapping[str, str] | None = None) -> None:
    missing = [c for c in [treatment, *covariates] if c not in data.columns]
    if missing:
        raise MatchingError(f"column(s) not in the data: {', '.join(missing)}")
    if treatment in covariates:
        raise MatchingError(f"the treatment column {treatment!r} cannot also be a covariate")
    roles = dict(column_roles or {})
    refused = []
    for c in covariates:
        role = roles.get(c)
        low = c.lower()
        if role in ("identifier", "outcome", "post_index", "treatment"):
            refused.append(f"{c} ({role.replace('_', '-')} column)")
        elif low == "id" or low.endswith("_id") or low.endswith("id_"):
            refused.append(f"{c} (looks like an identifier)")
        elif any(part in low for part in _REFUSED_NAME_PARTS):
            refused.append(f"{c} (looks like an outcome or post-index measure)")
    if refused:
        raise MatchingError("the propensity model only takes pre-index covariates; refused: " + "; ".join(refused))
    bad = [c for c in covariates if data[c].isna().any() or (data[c].dtype.kind == "f" and not np.isfinite(data[c]).all())]
    if bad:
        raise MatchingError(f"missing or non-finite values in covariate(s): {', '.join(bad)}")


def _treatment_vector(data: pd.DataFrame, treatment: str) -> np.ndarray:
    t = data[treatment]
    values = set(pd.unique(t.dropna()))
    if t.isna().any() or not values <= {0, 1, True, False} or len(values) != 2:
        raise MatchingError(f"the treatment {treatment!r} must be 0/1 (or False/True) with both values present and no missing values")
    return t.astype(int).to_numpy()
