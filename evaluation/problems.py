"""Problems found in the inputs, reported all at once.

Every problem names the file, the row (as a spreadsheet shows it: the header is row 1), the
column, the value found and what was expected. Loading collects every problem before failing,
so an evaluator fixes a whole extract in one pass rather than one error per run.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One problem in one place of one input file (or the config)."""

    file: str
    message: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    rule: str = ""
    severity: Severity = "error"
    row_label: str = "row"
    column_label: str = "column"  # "key" for config problems

    def location(self) -> str:
        parts = [self.file]
        if self.row is not None:
            parts.append(f"{self.row_label} {self.row}")
        if self.column:
            parts.append(f"{self.column_label} {self.column}")
        return ", ".join(parts)

    def __str__(self) -> str:
        value = "" if self.value is None else f"value {_quote(self.value)}: "
        return f"{self.location()}: {value}{self.message}"


def _quote(value: str, limit: int = 60) -> str:
    text = value if len(value) <= limit else value[: limit - 1] + "…"
    return "'" + text.replace("\n", "\\n") + "'"


class InputError(Exception):
    """The inputs (data or config) have problems; nothing was written."""

    def __init__(self, problems: Iterable[Problem], what: str = "input"):
        self.problems = list(problems)
        self.what = what
        super().__init__(self.format(max_per_rule=20))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def format(self, max_per_rule: int = 50) -> str:
        return format_problems(self.problems, max_per_rule=max_per_rule, what=self.what)


class ConfigError(InputError):
    """The config file has problems."""

    def __init__(self, problems: Iterable[Problem]):
        super().__init__(problems, what="config")


class ValidationError(InputError):
    """The data extracts have problems."""

    def __init__(self, problems: Iterable[Problem]):
        super().__init__(problems, what="data")


def format_problems(problems: list[Problem], max_per_rule: int = 50, what: str = "input") -> str:
    """Human-readable list, errors first; at most `max_per_rule` lines per (file, column, rule).

    `max_per_rule=0` lists every problem.
    """
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity == "warning"]
    lines: list[str] = []
    for label, group in (("error", errors), ("warning", warnings)):
        if not group:
            continue
        noun = label if len(group) == 1 else label + "s"
        lines.append(f"{len(group)} {noun} in the {what}:")
        shown: Counter = Counter()
        hidden: Counter = Counter()
        for p in group:
            key = (p.file, p.column, p.rule)
            if max_per_rule and shown[key] >= max_per_rule:
                hidden[key] += 1
                continue
            shown[key] += 1
            lines.append(f"  - {p}")
        for (file, column, rule), n in hidden.items():
            where = f"{file}, column {column}" if column else file
            lines.append(f"  … and {n} more like this in {where} ({rule}); use --all to list them")
    return "\n".join(lines)
