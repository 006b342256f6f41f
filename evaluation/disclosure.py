"""Statistical disclosure control for everything the report publishes about children.

Rules (configurable in `[disclosure]`; defaults follow the conventions in methods.md §7):

* Primary suppression: a count of 1 to threshold - 1 children (default 1-4) is not shown. Zeros
  are shown (mojSuppression's default).
* Secondary suppression: wherever cells add up to a total that is shown (a row or column of a
  table with totals, or the levels of one factor), a suppressed cell must not be the only one
  suppressed in that line, or it could be worked out by subtraction. The smallest other cell in
  the line is suppressed too (zeros only when nothing else is left, then the total), repeating
  until no line has exactly one suppressed cell, and the k suppressed cells of a line add up to at
  least threshold - 2 + k (each is known to be at least 1, since zeros are shown, so each could still
  be anything from 1 to threshold - 1 or more). Among candidates, cells
  whose other lines already have a suppressed cell come first, so one suppression serves several lines.
* Linked tables are protected jointly: each count is registered against the quantity it counts
  (evaluation.publication); a quantity hidden in one table is hidden in every later one, and an
  intruder audit over all published figures runs before anything is written.
* Rates and percentages are not shown on a base of fewer than `min_rate_base` children, nor when
  their numerator, or the base minus the numerator, is a suppressed count.
* Shares of a known group (e.g. covariate balance) are suppressed when the number of children they
  stand for is between 1 and threshold - 1, and so are statistics that would reveal them.
* Analysis sample sizes are design counts and are published exactly: how many children each
  estimate rests on (matched, unmatched, left out of a measure for incomplete follow-up, and the
  split of the comparison pool by source). Every estimate must state its number of children, from
  which these differences follow, so suppressing them would protect nothing; they say nothing about
  any child's characteristics or outcomes. Counts defined by a characteristic, circumstance or
  outcome (including the attrition table's reasons for leaving the analysis) are suppressed.
* Identifiers and exact dates of individual events never reach the report (the loader drops
  unknown columns; tables show months at most).

Suppressed cells show "c" (the Government Statistical Service symbol for confidential data). An
audit log records where and why, never the value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Hashable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from .publication import Publication

SYMBOL = "c"
NOTE = (
    "c: not shown to protect {p}'s confidentiality (fewer than {t} {p}, a rate on fewer than {b}, "
    "or a figure from which one of those could be worked out)."
)

Cell = tuple[Hashable, Hashable]  # (row label, column label)


@dataclass(frozen=True)
class DisclosurePolicy:
    threshold: int = 5
    min_rate_base: int = 20
    enabled: bool = True
    people: str = "children"  # the word for the people counted ("people" where adults are in scope)

    def small(self, n) -> bool:
        """A count that must not be shown on its own."""
        return bool(self.enabled and n is not None and not pd.isna(n) and 0 < float(n) < self.threshold)

    def note(self) -> str:
        return NOTE.format(t=self.threshold, b=self.min_rate_base, p=self.people)


@dataclass(frozen=True)
class Suppressed:
    table: str
    row: str
    column: str
    reason: str


@dataclass
class DisclosureLog:
    """What was suppressed and why (never the value): written beside the outputs as an audit trail."""

    policy: DisclosurePolicy
    entries: list[Suppressed] = field(default_factory=list)
    publication: "Publication | None" = None

    def __post_init__(self) -> None:
        if self.publication is None:
            from .publication import Publication

            self.publication = Publication(self.policy)

    @property
    def pub(self) -> "Publication":
        assert self.publication is not None
        return self.publication

    def add(self, table: str, row, column, reason: str) -> None:
        self.entries.append(Suppressed(table, str(row), str(column), reason))

    def frame(self) -> pd.DataFrame:
        """Every suppressed cell with the detailed reason (for the evaluator; not published)."""
        return pd.DataFrame([e.__dict__ for e in self.entries], columns=["table", "row", "column", "reason"])

    def published_frame(self) -> pd.DataFrame:
        """The audit trail as published: which cells are not shown, with one reason for all. Saying which were
        small (primary) would tell an intruder that those cells are 1 to threshold - 1."""
        f = self.frame()
        return f.assign(reason="not shown (disclosure control)").drop_duplicates(ignore_index=True)

    def count_text(self, n: int) -> str:
        """A number of children for a sentence: 'fewer than 5' when it is small."""
        if self.policy.small(n):
            return f"fewer than {self.policy.threshold}"
        return f"{int(n):,}"

    def rate_allowed(self, numerator: float, base: float) -> bool:
        p = self.policy
        if not p.enabled:
            return True
        return base >= p.min_rate_base and not p.small(numerator) and not p.small(base - numerator)


def suppress(
    values: pd.DataFrame,
    lines: Iterable[Sequence[Cell]],
    policy: DisclosurePolicy,
    count_cells: Iterable[Cell] | None = None,
    hidden_elsewhere: Iterable[Cell] = (),
    public: Iterable[Cell] = (),
    whole_group: Iterable[Cell] = (),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Primary and secondary suppression masks for a table of counts.

    `whole_group` cells are hidden as primary whatever their size: counts that are a whole group (every
    child of a group approached), which with the group's size shown would tell each child's outcome.
    `lines` are groups of cells that add up to a shown total (the total cell included); only
    `count_cells` (default: every cell) are checked for primary suppression. `hidden_elsewhere` are
    cells whose quantity another table already hides (they are hidden here too, as secondary); `public` cells
    are already shown elsewhere, so hiding them would protect nothing and they are never chosen.
    In every line, a hidden cell is never alone, and the hidden cells add up to at least the threshold
    (or every cell of the line is hidden).
    """
    primary = pd.DataFrame(False, index=values.index, columns=values.columns)
    secondary = primary.copy()
    if not policy.enabled:
        return primary, secondary
    cells = list(count_cells) if count_cells is not None else [(r, c) for r in values.index for c in values.columns]
    for r, c in cells:
        if policy.small(values.at[r, c]):
            primary.at[r, c] = True
    for cell in whole_group:
        primary.at[cell] = True
    for cell in hidden_elsewhere:
        if not primary.at[cell]:
            secondary.at[cell] = True
    lines = [list(line) for line in lines]
    totals = {cell for line in lines for cell in line[-1:]}  # by convention the total is the last cell of a line
    known = set(public)

    def is_hidden(cell: Cell) -> bool:
        return bool(primary.at[cell] or secondary.at[cell])

    lines_of: dict[Cell, list[Sequence[Cell]]] = {}
    for line in lines:
        for cell in line:
            lines_of.setdefault(cell, []).append(line)

    def _clean_lines(cell: Cell) -> int:
        """Lines through `cell` with nothing hidden yet: hiding it there would start a new problem."""
        return sum(1 for other in lines_of.get(cell, []) if not any(is_hidden(c) for c in other))

    changed = True
    while changed:
        changed = False
        for line in lines:
            hidden = [cell for cell in line if is_hidden(cell)]
            if not hidden:
                continue
            parts = [cell for cell in hidden if cell != line[-1]]
            hidden_sum = sum(float(values.at[cell]) for cell in parts)
            nonzero = sum(1 for cell in parts if float(values.at[cell]) > 0)
            # an intruder knows a hidden cell is at least 1 (zeros are shown), so k hidden cells adding to S each lie in
            # [1, S - k + 1]: that range must stay as wide as "1 to threshold - 1"
            if len(hidden) > 1 and (is_hidden(line[-1]) or hidden_sum - nonzero >= policy.threshold - 2):
                continue
            open_cells = [cell for cell in line if not is_hidden(cell) and cell not in known]
            if len(hidden) > 1:  # together too small: a zero would not help
                open_cells = [cell for cell in open_cells if cell == line[-1] or float(values.at[cell]) > 0]
            ranked = sorted(
                open_cells, key=lambda cell: (cell in totals, float(values.at[cell]) <= 0, _clean_lines(cell), float(values.at[cell]))
            )
            if ranked:
                secondary.at[ranked[0]] = True
                changed = True
    return primary, secondary


def table_lines(
    frame: pd.DataFrame,
    total_row: Hashable | None = None,
    total_col: Hashable | None = None,
    rows: Sequence[Hashable] | None = None,
    cols: Sequence[Hashable] | None = None,
) -> list[list[Cell]]:
    """Lines of a cross-table with margins: each row with its total column, each column with its total row."""
    rows = list(rows if rows is not None else [r for r in frame.index if r != total_row])
    cols = list(cols if cols is not None else [c for c in frame.columns if c != total_col])
    lines: list[list[Cell]] = []
    if total_col is not None:
        for r in rows + ([total_row] if total_row is not None else []):
            lines.append([(r, c) for c in cols] + [(r, total_col)])
    if total_row is not None:
        for c in cols + ([total_col] if total_col is not None else []):
            lines.append([(r, c) for r in rows] + [(total_row, c)])
    return lines


def apply(
    values: pd.DataFrame,
    lines: Iterable[Sequence[Cell]],
    log: DisclosureLog,
    table: str,
    fmt=lambda v: f"{int(v):,}",
    count_cells: Iterable[Cell] | None = None,
    quantity: Callable[[Hashable, Hashable], str | None] | None = None,
    withhold: bool = True,
    whole_group: Iterable[Cell] = (),
) -> pd.DataFrame:
    """Suppress a count table and format it for display ('c' where suppressed), logging each cell.

    With `quantity` (cell -> the name of what it counts, or None), every cell and every line's sum is
    registered in the publication model, and cells whose quantity is already hidden elsewhere are
    hidden here too. When no pattern protects every hidden count (even with every cell hidden, what the
    table's margins add to the figures published elsewhere narrows one), the table is withheld: nothing
    of it is registered, `pub.withheld` says why and the report prints that instead of the table (with
    `withhold=False`, DisclosureControlError is raised for the caller to handle). `whole_group`: see `suppress`."""
    lines = [list(line) for line in lines]
    whole_group = [cell for cell in whole_group if log.policy.enabled]
    pub = log.pub
    keys = {(r, c): quantity(r, c) for r in values.index for c in values.columns} if quantity else {}
    elsewhere = [cell for cell, q in keys.items() if q is not None and pub.hidden(q)]
    public = [cell for cell, q in keys.items() if q is not None and pub.public(q)]
    snapshot = pub.snapshot() if keys else None
    start = snapshot  # the model as it was before this table (kept: `snapshot` moves on if every cell is hidden)
    audit = bool(keys) and log.policy.enabled
    already = {e.quantity for e in pub.audit()} if audit else set()  # exposed before this table: not this table's doing
    extra: list[Cell] = []
    while True:
        primary, secondary = suppress(values, lines, log.policy, count_cells, elsewhere + extra, public, whole_group)
        _register(values, lines, keys, primary, secondary, pub, table)
        exposures = [e for e in pub.audit() if e.quantity not in already] if audit else []
        if not exposures:
            break
        # The intruder audit narrowed a hidden count: suppress one more cell of this table and try again
        # (in a line through an exposed cell where there is one; the smallest open cell that is not already public).
        assert snapshot is not None
        pub.restore(snapshot)
        exposed = {e.quantity for e in exposures}
        hidden_now = primary | secondary
        near = [line for line in lines if any(keys.get(cell) in exposed for cell in line)] or lines
        candidates = [
            cell for line in near for cell in line if not hidden_now.at[cell] and cell not in public and float(values.at[cell]) > 0
        ]
        if not candidates:
            # Last resort: every cell not shown elsewhere is hidden, zeros included (then a hidden cell may be 0).
            rest = [
                (r, c)
                for r in values.index
                for c in values.columns
                if not hidden_now.at[r, c] and (r, c) not in public and not pd.isna(values.at[r, c])
            ]
            if not rest and table in pub.c_may_be_zero:
                if not withhold:
                    raise DisclosureControlError(table, [e.describe() for e in exposures], [e.quantity for e in exposures])
                assert start is not None  # the audit (and so this branch) runs only with quantities
                pub.restore(start)
                return withhold_table(values, log, table, keys)
            extra.extend(rest)
            pub.c_may_be_zero.add(table)  # and the table's note says so: a "c" here may also be 0
            snapshot = pub.snapshot()
            continue
        ends = {line[-1] for line in lines}
        extra.append(min(candidates, key=lambda cell: (cell in ends, float(values.at[cell]))))
    shown = values.astype(object).map(lambda v: "–" if v is None or (isinstance(v, float) and np.isnan(v)) else fmt(v))
    for mask, reason in (
        (primary, f"primary: fewer than {log.policy.threshold} children"),
        (secondary, "secondary: would let a suppressed cell be worked out from published figures, or hidden in a linked table"),
    ):
        for r, c in zip(*np.nonzero(mask.to_numpy())):
            shown.iat[r, c] = SYMBOL
            cell = (values.index[r], values.columns[c])
            log.add(table, *cell, "primary: a whole group (everyone in it)" if cell in whole_group else reason)
    return shown


def _register(values, lines, keys, primary, secondary, pub, table) -> None:
    for (r, c), q in keys.items():
        v = values.at[r, c]
        if q is None or v is None or (isinstance(v, float) and np.isnan(v)):
            continue
        status = "primary" if primary.at[r, c] else "secondary" if secondary.at[r, c] else "shown"
        pub.count(q, float(v), table, r, c, status)
    for line in lines:
        qs = [keys.get(cell) for cell in line]
        if qs and all(q is not None for q in qs):
            pub.relation(qs[-1], qs[:-1], table)


WITHHELD_REASON = (
    "even with every cell hidden, what the table adds up to would let a small number of children be worked out from "
    "figures published elsewhere in the report"
)


def withhold_table(
    values: pd.DataFrame,
    log: DisclosureLog,
    table: str,
    keys: Mapping[Cell, str | None] | None = None,
    reason: str = WITHHELD_REASON,
) -> pd.DataFrame:
    """Withhold a whole table: nothing of it is published (every cell 'c'), the log says so once and the
    report prints a statement in its place (ReportSession.table reads `pub.withheld`). Its cells' counts
    (`keys`: cell -> quantity) are registered as hidden, without the table's margins, so that every other
    output hides them too and machine-readable outputs read them as not published."""
    for (r, c), q in (keys or {}).items():
        v = values.at[r, c]
        if q is not None and v is not None and not (isinstance(v, float) and np.isnan(v)) and not log.pub.public(q):
            log.pub.count(q, float(v), table, r, c, "secondary", "table withheld")
    log.pub.withheld[table] = reason
    log.add(table, "(every cell)", "(every column)", f"table withheld: {reason}")
    return values.astype(object).map(lambda v: "–" if v is None or (isinstance(v, float) and np.isnan(v)) else SYMBOL)


class DisclosureControlError(RuntimeError):
    """No suppression pattern of this table protects every hidden count (the report says so instead of publishing it)."""

    def __init__(self, table: str, details: list[str], quantities: list[str] | None = None):
        self.table = table
        self.quantities = list(quantities or [])
        super().__init__(f"table {table!r} cannot be published with every hidden count protected: " + "; ".join(details))
