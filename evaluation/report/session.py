"""The object the report notebook talks to: loads the data, numbers and shows tables and charts,
and collects the machine-readable results written to results.json.

The notebook narrates; every number it shows is computed here or in the analysis modules.
"""
from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from .. import __version__
from ..cohort import Cohort, build_cohort
from ..config import Config
from ..loading import EvaluationData, load
from ..matching import CohortMatch, match_comparison
from ..outcomes import OutcomesResult, compare_before_after
from ..costs import ValueForMoney
from ..costs import analyse as analyse_costs
from ..engagement import EngagementResult
from ..engagement import analyse as analyse_engagement
from ..reoffending import ReoffendingResult
from ..reoffending import analyse as analyse_reoffending
from .charts import png_bytes
from .formatting import count, month_label, table_html


@dataclass(frozen=True)
class PublishedTable:
    """A table as published: numbered caption, display values, notes and source line."""

    key: str
    number: int
    caption: str
    frame: pd.DataFrame
    notes: tuple[str, ...]
    source: str | None


def _display(obj: dict[str, Any]) -> None:
    from IPython.display import display

    display(obj, raw=True)


class ReportSession:
    """Load validated data once and publish tables, figures and results for the report."""

    def __init__(self, data_dir: str | Path, config_path: str | Path | None = None, out_dir: str | Path = "."):
        self.data: EvaluationData = load(data_dir, config_path)
        self.config: Config = self.data.config
        self.out_dir = Path(out_dir)
        self.tables: list[PublishedTable] = []
        self._figures = 0
        self.results: dict[str, Any] = {"meta": self._meta()}

    # ------------------------------------------------------------------ analysis stages (each computed once)
    @cached_property
    def engagement(self) -> EngagementResult:
        return analyse_engagement(self.data)

    @cached_property
    def cohort(self) -> Cohort:
        return build_cohort(self.data)

    @cached_property
    def matching(self) -> CohortMatch:
        return match_comparison(self.cohort, self.config)

    @cached_property
    def matching_engaged_only(self) -> CohortMatch:
        """Secondary view, prone to selection bias: positively engaged programme children only."""
        return match_comparison(self.cohort.engaged_only(), self.config)

    @cached_property
    def before_after(self) -> OutcomesResult | None:
        """Before/after comparisons, or None without an events table."""
        if self.data.events is None:
            return None
        return compare_before_after(self.data, self.cohort, self.matching)

    @cached_property
    def reoffending(self) -> ReoffendingResult | None:
        """Reoffending measures, or None without an events table."""
        if self.data.events is None:
            return None
        return analyse_reoffending(self.data, self.matching)

    @cached_property
    def value_for_money(self) -> ValueForMoney | None:
        """Costs and value for money, or None without a costs table or the outcome estimates."""
        if self.data.costs is None or self.before_after is None:
            return None
        return analyse_costs(self.data, self.engagement, self.before_after)

    # ------------------------------------------------------------------ provenance
    def _meta(self) -> dict[str, Any]:
        p = self.config.programme
        return {
            "title": self.config.report.title,
            "programme": p.name,
            "programme_suites": list(p.suites),
            "programme_period": {"start": p.start.isoformat(), "end": p.end.isoformat()},
            "extract_date": self.config.data.extract_date.isoformat(),
            "package_version": __version__,
            "config_sha256": self.config.sha256,
            "inputs": {name: {"file": f.path.name, "format": f.format, "rows": f.rows, "sha256": f.sha256}
                       for name, f in sorted(self.data.files.items())},
        }

    # ------------------------------------------------------------------ display
    def markdown(self, text: str) -> None:
        _display({"text/markdown": text})

    def title_block(self) -> None:
        p = self.config.programme
        period = f"{p.start.strftime('%-d %B %Y')} to {p.end.strftime('%-d %B %Y')}"
        lines = [f"# {self.config.report.title}", "",
                 f"**Programme:** {p.name}, at {', '.join(p.suites)} custody suite{'s' if len(p.suites) > 1 else ''}.  ",
                 f"**Period evaluated:** {period}.  ",
                 f"**Data extracted:** {self.config.data.extract_date.strftime('%-d %B %Y')}."]
        if self.config.report.author:
            lines.append(f"**Evaluation by:** {self.config.report.author}.")
        self.markdown("\n".join(lines))

    def table(self, key: str, frame: pd.DataFrame, caption: str, notes: Iterable[str] = (), source: str | None = None,
              flags: Iterable[tuple[int, str]] = ()) -> None:
        """Number, show and register a table (`self.tables` keeps every published table, in order)."""
        if any(t.key == key for t in self.tables):
            raise ValueError(f"table key {key!r} used twice")
        t = PublishedTable(key, len(self.tables) + 1, caption, frame.reset_index(drop=True), tuple(notes), source)
        self.tables.append(t)
        _display({"text/html": table_html(t.frame, f"Table {t.number}. {caption}", t.notes, t.source, table_id=f"table-{key}",
                                          flags=flags)})

    def figure(self, fig_and_alt: tuple[Any, str], caption: str) -> None:
        """Show a chart as a PNG with its alt text and a numbered caption."""
        fig, alt = fig_and_alt
        self._figures += 1
        data = base64.b64encode(png_bytes(fig)).decode("ascii")
        from IPython.display import display

        display({"image/png": data}, raw=True, metadata={"image/png": {"alt": alt}})
        _display({"text/markdown": f"*Figure {self._figures}. {caption}*"})

    # ------------------------------------------------------------------ results
    def record(self, section: str, values: dict[str, Any]) -> None:
        self.results[section] = values

    def inputs_table(self) -> None:
        """The data used: per table its file, rows, people and date range."""
        s = self.data.summary()
        shown = pd.DataFrame({
            "Table": s.table, "File": s.file, "Format": s.format, "Rows": s.rows.map(count),
            "People": s.people.map(count), "From": s["from"].map(month_label), "To": s["to"].map(month_label),
        })
        self.table("inputs", shown, "Data used in this report",
                   notes=["All tables passed validation against the data contract (data_schema/).",
                          "Date ranges are shown to the month: exact dates of individual events are never published."])

    def save_results(self) -> Path:
        path = self.out_dir / "results.json"
        path.write_text(json.dumps(_clean(self.results), indent=2, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")
        return path


def _clean(value: Any) -> Any:
    """JSON-safe: NaN becomes null, numpy scalars become Python numbers."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value
