"""Published figures as one model, and the intruder audit that attacks them before anything is written.

Every count of children the report publishes (or hides) is registered here against a *quantity*: a
name for what it counts, such as ``engaged[2020-12|outcome=intervention_arranged]``. The same
quantity in two tables is one variable, so a count hidden in one table and shown in another is found;
and once a quantity is hidden anywhere, `hidden()` says so to every later table (linked tables are
protected jointly). Besides the counts, the model keeps what else the outputs reveal about them:

* additive relations (a row or column adds up to its total; a stage equals the sum of others);
* rates as published, with their rounding (``65%`` means the numerator lies within 64.5%-65.5% of
  the denominator);
* ratios such as a cost per child beside the total cost (``£17,130.58`` per child on a known total
  pins the number of children);
* bounds published in words ("fewer than 5").

`audit()` is the intruder: for every hidden quantity it solves two linear programmes (HiGHS, via highspy)
for the smallest and largest value consistent with everything published, and reports each hidden
cell whose interval is narrower than the policy's protection (Hundepool et al. 2012, *Statistical
Disclosure Control*, §4.3 on the audit of suppression patterns and protection intervals):

* every small count shown nowhere (1 to threshold - 1 children, whether hidden by primary suppression or
  only bounded in words) must keep an interval at least ``threshold - 2`` wide: as wide as "1 to
  threshold - 1", which is all the symbol itself says. Secondary suppressions exist to protect these
  and are not sensitive themselves; zeros are published by policy.

The intruder knows what the outputs say about their symbols: a "c" in a table that prints its zeros
is at least 1 (a table that had to hide a zero says in its note that c may be 0 there); "fewer than
5" is 1 to 4; differences no output shows (between funnel stages, between nested measures) are only
known to be at least 0.

Integer values are relaxed to real numbers (the usual audit, slightly conservative for the intruder).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable, Mapping

import numpy as np
import pandas as pd
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

from .disclosure import DisclosurePolicy

#: A linear expression over quantities: quantity -> coefficient.
Expression = Mapping[str, float]


_STATE = (
    "c_may_be_zero",
    "withheld",
    "values",
    "appearances",
    "relations",
    "inequalities",
    "rates",
    "ratios",
    "linears",
    "word_bounds",
    "definitions",
    "decisions",
)


class DisclosureAuditError(RuntimeError):
    """Published figures let an intruder narrow a hidden cell below the policy's protection."""

    def __init__(self, exposures: list["Exposure"]):
        self.exposures = exposures
        lines = [f"- {e.describe()}" for e in exposures]
        super().__init__(
            "The disclosure audit failed: hidden cells could be worked out from the published figures. Nothing was "
            "written.\n" + "\n".join(lines)
        )


@dataclass(frozen=True)
class Appearance:
    """Where a quantity appears: table, row and column as the reader sees them, and whether it is shown."""

    table: str
    row: str
    column: str
    shown: bool
    status: str  # "shown" | "primary" | "secondary" | "words" | "implicit" (a difference no output shows, e.g. between funnel stages)
    reason: str = ""


@dataclass(frozen=True)
class Exposure:
    """A hidden cell narrowed by the intruder: its interval and the published figures that did it."""

    quantity: str
    appearances: tuple[Appearance, ...]
    low: float
    high: float
    required: float
    via: tuple[str, ...]

    def describe(self) -> str:
        where = "; ".join(f"table {a.table!r}, row {a.row!r}, column {a.column!r}" for a in self.appearances if not a.shown) or "(hidden)"
        width = self.high - self.low
        how = ", ".join(self.via) if self.via else "published totals"
        exact = "pinned to one value" if width < 0.5 else f"narrowed to {width:.1f} wide (at least {self.required:g} required)"
        return f"{where} [{self.quantity}]: {exact}, using {how}."


@dataclass
class _Rate:
    numerator: dict[str, float]
    denominator: dict[str, float]
    value: float
    half_width: float
    where: str


@dataclass
class _Ratio:
    amount: float
    denominator: dict[str, float]
    value: float
    half_width: float
    where: str


@dataclass
class Publication:
    """Every published count with its status, and what else the outputs reveal about the counts."""

    policy: DisclosurePolicy
    values: dict[str, float] = field(default_factory=dict)
    appearances: dict[str, list[Appearance]] = field(default_factory=dict)
    relations: list[tuple[dict[str, float], str]] = field(default_factory=list)
    inequalities: list[tuple[dict[str, float], str]] = field(default_factory=list)  # expr <= 0
    rates: list[_Rate] = field(default_factory=list)
    ratios: list[_Ratio] = field(default_factory=list)
    #: (expression, value, half-width, where): a figure that is a fixed multiple of counts, published rounded
    linears: list[tuple[dict[str, float], float, float, str]] = field(default_factory=list)
    word_bounds: dict[str, tuple[float, float]] = field(default_factory=dict)
    #: tables whose note says a "c" may also stand for 0 (an intruder cannot assume a hidden cell is at least 1 there)
    c_may_be_zero: set[str] = field(default_factory=set)
    #: tables not published at all (no suppression pattern protects every hidden count) -> why, for the reader
    withheld: dict[str, str] = field(default_factory=dict)
    #: name -> its definition from other quantities (`derived`)
    definitions: dict[str, dict[str, float]] = field(default_factory=dict)
    #: decisions made once for a section and read by every output of it (e.g. which reoffending measures are published)
    decisions: dict[str, dict[str, bool]] = field(default_factory=dict)

    # ---------------------------------------------------------------- registering
    def count_if_safe(self, quantity: str, value: float, table: str, row: object, column: object, hidden_status: str) -> bool:
        """Register a count as shown if that keeps every hidden count protected, else as hidden (`hidden_status`).
        Returns whether it is shown."""
        ok = self.public(quantity) or self.safe_to_show(lambda: self.count(quantity, value, table, row, column, "shown"))
        self.count(quantity, value, table, row, column, "shown" if ok else hidden_status)
        return ok

    def count(self, quantity: str, value: float, table: str, row: object, column: object, status: str, reason: str = "") -> None:
        """A count cell as published: status 'shown', 'primary' or 'secondary' (hidden)."""
        self._value(quantity, value)
        self.appearances.setdefault(quantity, []).append(Appearance(table, str(row), str(column), status == "shown", status, reason))

    def words(self, quantity: str, value: float, where: str, parts: Iterable[str] = ()) -> str:
        """A count for a sentence: the number, or 'fewer than t' (registered as a bound) when small, or a pointer
        to the tables when it (or any count it is the sum of, `parts`) is hidden."""
        self._value(quantity, value)
        t = self.policy.threshold
        if self.policy.enabled and (self.policy.small(value) or self.hidden(quantity) or any(self.hidden(p) for p in parts)):
            words = Appearance(where, "text", "", False, "words", f"fewer than {t}")

            def bound() -> None:
                self.word_bounds[quantity] = (1.0, float(t - 1))
                self.appearances.setdefault(quantity, []).append(words)

            if self.policy.small(value) and (quantity in self.word_bounds or self.safe_to_show(bound)):
                bound()
                return f"fewer than {t}"
            self.appearances.setdefault(quantity, []).append(Appearance(where, "text", "", False, "secondary", "hidden in a table"))
            return "a number not shown (see the tables)"
        shown = Appearance(where, "text", "", True, "shown")
        if not self.public(quantity) and not self.safe_to_show(lambda: self.appearances.setdefault(quantity, []).append(shown)):
            self.appearances.setdefault(quantity, []).append(
                Appearance(where, "text", "", False, "secondary", "would expose a hidden count")
            )
            return "a number not shown (see the tables)"
        self.appearances.setdefault(quantity, []).append(shown)
        return f"{int(value):,}"

    def words_or_none(self, quantity: str, value: float, where: str, parts: Iterable[str] = ()) -> str | None:
        """As `words`, but None (leave the clause out) when the count is hidden in a table."""
        if self.policy.enabled and not self.policy.small(value) and (self.hidden(quantity) or any(self.hidden(p) for p in parts)):
            self._value(quantity, value)
            self.appearances.setdefault(quantity, []).append(Appearance(where, "text", "", False, "secondary", "hidden in a table"))
            return None
        text = self.words(quantity, value, where, parts)
        return None if text.startswith("a number not shown") else text

    def relation(self, total: str, parts: Iterable[str], where: str) -> None:
        """total = sum(parts), as a reader can see from a table's margins or a definition."""
        expr: dict[str, float] = {total: -1.0}
        for p in parts:
            expr[p] = expr.get(p, 0.0) + 1.0
        self.relations.append((expr, where))

    def derived(self, name: str, expression: Expression, where: str) -> None:
        """name = sum(coefficient x quantity): a count defined from others (a rate's base, a funnel stage)."""
        self.definitions.setdefault(name, dict(expression))
        expr = {q: float(c) for q, c in expression.items()}
        expr[name] = expr.get(name, 0.0) - 1.0
        self.relations.append((expr, where))

    def at_most(self, a: str, b: str, where: str) -> None:
        """a <= b, as a reader knows of nested groups (a funnel's later stage is within the earlier one)."""
        self.inequalities.append(({a: 1.0, b: -1.0}, where))

    def rate(self, numerator: Expression, denominator: Expression, value: float, decimals: int, where: str, percent: bool = True) -> None:
        """A rate published to `decimals` places (of a percentage when `percent`)."""
        scale = 100.0 if percent else 1.0
        if not math.isfinite(float(value)):
            return  # nothing was published
        self.rates.append(_Rate(dict(numerator), dict(denominator), float(value), 0.5 * 10.0 ** (-decimals) / scale, where))

    def ratio(self, amount: float, denominator: Expression, value: float, decimals: int, where: str) -> None:
        """amount / denominator published to `decimals` places, with `amount` itself published."""
        if not (math.isfinite(float(value)) and math.isfinite(float(amount))):
            return
        self.ratios.append(_Ratio(float(amount), dict(denominator), float(value), 0.5 * 10.0 ** (-decimals), where))

    def linear(self, expression: Expression, value: float, decimals: int, where: str) -> None:
        """A figure equal to sum(coefficient x count), published to `decimals` places (e.g. people a month over a
        phase of known length: n x 30.4 / days)."""
        if math.isfinite(float(value)):
            self.linears.append(({q: float(c) for q, c in expression.items()}, float(value), 0.5 * 10.0 ** (-decimals), where))

    def _value(self, quantity: str, value: float) -> None:
        v = float(value)
        old = self.values.get(quantity)
        if old is not None and not math.isclose(old, v):
            raise ValueError(f"quantity {quantity!r} registered as {old} and as {v}: two different counts share a name")
        self.values[quantity] = v

    def snapshot(self) -> dict:
        """Everything registered so far (to try an output and take it back)."""
        import copy

        return copy.deepcopy({k: getattr(self, k) for k in _STATE})

    def restore(self, state: dict) -> None:
        import copy

        for k, v in copy.deepcopy(state).items():
            setattr(self, k, v)

    def safe_to_show(self, register) -> bool:
        """Whether registering an output (the callable registers it as shown) keeps every hidden count protected;
        the model is left as it was either way."""
        if not self.policy.enabled:
            return True
        state = self.snapshot()
        register()
        ok = not self.audit()
        self.restore(state)
        return ok

    # ---------------------------------------------------------------- reading
    def public(self, quantity: str) -> bool:
        """Shown somewhere already (exactly): every intruder knows it, so hiding it elsewhere protects nothing."""
        return any(a.shown for a in self.appearances.get(quantity, ()))

    def hidden(self, quantity: str) -> bool:
        """Hidden by an earlier output (and shown by none), or bounded in words:
        every later output must hide it too (linked tables are protected jointly)."""
        if not self.policy.enabled:
            return False
        if quantity in self.word_bounds:
            return True
        apps = self.appearances.get(quantity, ())
        return bool(apps) and not any(a.shown for a in apps)

    def must_hide(self, quantity: str) -> bool:
        """Hidden already, or defined from a count that is hidden (and not itself public): showing it would
        undo that suppression. A count whose parts are all shown may be shown."""
        if self.hidden(quantity):
            return True
        if self.public(quantity):
            return False
        return any(self.must_hide(q) for q in self.definitions.get(quantity, {}))

    def publishable_rate(self, numerator: Expression, denominator: Expression, n: float, d: float) -> bool:
        """A rate is published only when its numerator and denominator could be: every count they are made
        of registered and hidden nowhere, and the rate rule (base, small numerator or complement) met."""
        p = self.policy
        if not p.enabled:
            return True
        parts = [*numerator, *denominator]
        return (
            d >= p.min_rate_base and not p.small(n) and not p.small(d - n) and all(q in self.values and not self.hidden(q) for q in parts)
        )

    def publishable_count(self, parts: Iterable[str], value: float) -> bool:
        """A count made of registered counts is shown only when it is not small and none of its parts is hidden."""
        if not self.policy.enabled:
            return True
        return not self.policy.small(value) and all(q in self.values and not self.hidden(q) for q in parts)

    def published(self, quantity: str) -> int | float | None:
        """The value as published (None when hidden). Every machine-readable figure is read through here, so
        a count that was never registered (never passed disclosure control) is an error, not a leak."""
        if quantity not in self.values:
            raise KeyError(f"{quantity!r} was never registered with disclosure control")
        if not self.public(quantity):
            return None
        v = self.values[quantity]
        return int(v) if float(v).is_integer() else v

    # ---------------------------------------------------------------- the intruder
    def _tables_hiding_a_zero(self) -> set[str]:
        return {a.table for q, apps in self.appearances.items() if self.values.get(q, 1.0) == 0 for a in apps if not a.shown}

    def _known_at_least_one(self, quantity: str, hides_zero: set[str]) -> bool:
        """Whether a reader knows this hidden count is at least 1: it is a "c" in some table that shows its zeros
        (hides none and does not say its c may be 0)."""
        tables = {a.table for a in self.appearances.get(quantity, ()) if not a.shown and a.status in ("primary", "secondary")}
        return any(t not in self.c_may_be_zero and t not in hides_zero for t in tables)

    def protected(self) -> list[str]:
        """The counts the audit protects: small (1 to threshold - 1 children) and shown nowhere. Other hidden
        cells (secondary suppressions) exist to protect these and are not sensitive themselves."""
        return [q for q in self.values if not self.public(q) and self.policy.small(self.values[q])]

    def audit(self) -> list[Exposure]:
        """The hidden small counts an intruder can narrow below the required width, given everything published."""
        if not self.policy.enabled:
            return []
        required = max(self.policy.threshold - 2, 1)
        exposures = []
        for q, (low, high) in self.intervals().items():
            if high - low < required - 1e-6:
                via = tuple(
                    sorted(
                        {r.where for r in self.rates if q in r.numerator or q in r.denominator}
                        | {r.where for r in self.ratios if q in r.denominator}
                        | {w for e, w in self.relations if q in e}
                        | {w for e, _, _, w in self.linears if q in e}
                    )
                )
                exposures.append(Exposure(q, tuple(self.appearances.get(q, ())), low, high, required, via))
        return exposures

    def _programme(self) -> tuple[list[str], np.ndarray, np.ndarray, csr_matrix, np.ndarray, np.ndarray]:
        """The intruder's linear programme: names, column bounds (lower, upper), and constraint rows with their
        bounds (row_lower <= A x <= row_upper), from every relation, inequality, rate and ratio published."""
        names = sorted(
            set(self.values)
            | {q for e, _ in self.relations for q in e}
            | {q for e, _ in self.inequalities for q in e}
            | {q for r in self.rates for q in (*r.numerator, *r.denominator)}
            | {q for r in self.ratios for q in r.denominator}
            | {q for e, _, _, _ in self.linears for q in e}
        )
        idx = {q: i for i, q in enumerate(names)}
        lower, upper = np.zeros(len(names)), np.full(len(names), np.inf)
        hides_zero = self._tables_hiding_a_zero()
        for q, i in idx.items():
            if q in self.values and self.public(q):
                lower[i] = upper[i] = self.values[q]
            elif q in self.word_bounds:
                lower[i], upper[i] = self.word_bounds[q]
            elif q in self.values and self.values[q] >= 1 and self._known_at_least_one(q, hides_zero):
                lower[i] = 1.0  # a hidden count is known to be at least 1 where zeros are shown
        data: list[float] = []
        cols: list[int] = []
        ptr = [0]
        row_lower: list[float] = []
        row_upper: list[float] = []

        def add(expr: Mapping[str, float], lo: float, hi: float) -> None:
            merged: dict[int, float] = {}
            for q, c in expr.items():
                merged[idx[q]] = merged.get(idx[q], 0.0) + c
            cols.extend(merged)
            data.extend(merged.values())
            ptr.append(len(cols))
            row_lower.append(lo)
            row_upper.append(hi)

        def combine(a: Mapping[str, float], b: Mapping[str, float], scale: float) -> dict[str, float]:
            out = dict(a)
            for q, c in b.items():
                out[q] = out.get(q, 0.0) - c * scale
            return out

        for expr, _ in self.relations:
            add(expr, 0.0, 0.0)
        for expr, _ in self.inequalities:
            add(expr, -np.inf, 0.0)
        for r in self.rates:  # (v - h) * den <= num <= (v + h) * den
            add(combine(r.numerator, r.denominator, r.value + r.half_width), -np.inf, 0.0)
            add(combine(r.numerator, r.denominator, r.value - r.half_width), 0.0, np.inf)
        for ratio in self.ratios:  # amount / (v + h) <= den <= amount / (v - h)
            if ratio.value - ratio.half_width > 0:
                add(ratio.denominator, ratio.amount / (ratio.value + ratio.half_width), ratio.amount / (ratio.value - ratio.half_width))
        for expr, value, half, _ in self.linears:
            add(expr, value - half, value + half)
        a = csr_matrix((data, cols, ptr), shape=(len(ptr) - 1, len(names)))
        return names, lower, upper, a, np.array(row_lower), np.array(row_upper)

    def intervals(self, reference: bool = False) -> dict[str, tuple[float, float]]:
        """The interval each hidden small count could take given every published count, relation, rate (with its
        rounding), ratio and bound: its minimum and maximum over the intruder's linear programme, solved by HiGHS.
        The programme is built once and re-solved for each count with only the objective changed, so each solve
        starts from the last one's basis (highspy). `reference=True` solves each from scratch with
        scipy.optimize.linprog instead: the same intervals, several times slower (tests and
        benchmarks/audit_scale.py compare the two)."""
        hidden = self.protected()
        if not hidden:
            return {}
        names, lower, upper, a, row_lower, row_upper = self._programme()
        idx = {q: i for i, q in enumerate(names)}
        solve = _cold_solver if reference else _warm_solver
        out = solve(lower, upper, a, row_lower, row_upper, [idx[q] for q in hidden])
        for q, (low, high) in zip(hidden, out):
            if math.isnan(low) or math.isnan(high):
                raise RuntimeError(f"the published figures are inconsistent with the counts behind them (quantity {q!r}): a bug")
        return dict(zip(hidden, out))

    def audit_frame(self, exposures: list[Exposure] | None = None) -> pd.DataFrame:
        """The audit as one row for disclosure_log.csv: how many hidden small counts were attacked, and that none
        could be narrowed (naming them would say which cells are small). Exposures fail the build instead."""
        exposures = self.audit() if exposures is None else exposures
        n = len(self.protected())
        reason = (
            (
                f"audited {n} hidden counts against every published figure: none can be narrowed below "
                f"{max(self.policy.threshold - 2, 1)} wide"
            )
            if not exposures
            else f"EXPOSED: {len(exposures)} hidden counts"
        )
        return pd.DataFrame(
            [{"table": "(intruder audit)", "row": "", "column": "", "reason": reason}], columns=["table", "row", "column", "reason"]
        )


Bounds = list[tuple[float, float]]


def _quiet(make):
    """Call `make()` with the process's standard output silenced at the file-descriptor level: HiGHS prints
    its banner from C++ on the first model of a process, which would otherwise land in the report's cells."""
    import os
    import sys

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
            return make()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _warm_solver(lower, upper, a, row_lower, row_upper, targets: list[int]) -> Bounds:
    """min and max of each target column over {lower <= x <= upper, row_lower <= A x <= row_upper}: one HiGHS
    model, re-solved with the objective changed (warm start). NaN for an infeasible programme (a bug)."""
    import highspy

    inf = highspy.kHighsInf
    h = _quiet(highspy.Highs)
    h.setOptionValue("output_flag", False)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = a.shape[1], a.shape[0]
    lp.col_cost_ = np.zeros(a.shape[1])
    lp.col_lower_, lp.col_upper_ = lower, np.where(np.isinf(upper), inf, upper)
    lp.row_lower_ = np.where(np.isinf(row_lower), -inf, row_lower)
    lp.row_upper_ = np.where(np.isinf(row_upper), inf, row_upper)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = a.indptr, a.indices, a.data
    h.passModel(lp)
    status = highspy.HighsModelStatus
    out: Bounds = []
    previous = None
    for j in targets:
        if previous is not None:
            h.changeColCost(previous, 0.0)
        h.changeColCost(j, 1.0)
        previous = j
        ends = []
        for sense, unbounded in ((highspy.ObjSense.kMinimize, 0.0), (highspy.ObjSense.kMaximize, math.inf)):
            h.changeObjectiveSense(sense)
            h.run()
            st = h.getModelStatus()
            if st == status.kOptimal:
                ends.append(h.getInfo().objective_function_value)
            elif st in (status.kUnbounded, status.kUnboundedOrInfeasible):
                ends.append(unbounded)
            else:
                ends.append(math.nan)
        out.append((ends[0], ends[1]))
    return out


def _cold_solver(lower, upper, a, row_lower, row_upper, targets: list[int]) -> Bounds:
    """As _warm_solver, each programme solved from scratch by scipy.optimize.linprog (the reference)."""
    eq = row_lower == row_upper
    a_ub = np.vstack([a[~eq & np.isfinite(row_upper)].toarray(), -a[~eq & np.isfinite(row_lower)].toarray()])
    b_ub = np.concatenate([row_upper[~eq & np.isfinite(row_upper)], -row_lower[~eq & np.isfinite(row_lower)]])
    kw = dict(
        A_eq=a[eq].toarray() if eq.any() else None,
        b_eq=row_lower[eq] if eq.any() else None,
        A_ub=a_ub if len(b_ub) else None,
        b_ub=b_ub if len(b_ub) else None,
        bounds=[(lo, None if math.isinf(hi) else hi) for lo, hi in zip(lower, upper)],
        method="highs",
    )
    out: Bounds = []
    for j in targets:
        c = np.zeros(a.shape[1])
        c[j] = 1.0
        lo, hi = linprog(c, **kw), linprog(-c, **kw)
        if lo.status == 2 or hi.status == 2:
            out.append((math.nan, math.nan))
            continue
        out.append((lo.fun if lo.status == 0 else 0.0, -hi.fun if hi.status == 0 else math.inf))
    return out


__all__ = ["Appearance", "DisclosureAuditError", "Exposure", "Publication"]
