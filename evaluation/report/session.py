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
from ..disclosure import SYMBOL as SUPPRESSED
from ..disclosure import DisclosureLog, DisclosurePolicy
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

    def __init__(self, data_dir: str | Path, config_path: str | Path | None = None, out_dir: str | Path = ".",
                 internal_qa: bool = False, command: str | None = None, data_label: str | None = None):
        self.data: EvaluationData = load(data_dir, config_path)
        self.config: Config = self.data.config
        self.out_dir = Path(out_dir)
        self.internal_qa = bool(internal_qa)
        self.command = command or "evaluation report"
        self.data_label = data_label or f"data folder '{Path(data_dir).name}'"
        dc = self.config.disclosure
        self.sdc = DisclosureLog(DisclosurePolicy(dc.threshold, dc.min_rate_base, enabled=not self.internal_qa))
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
            "not_for_publication": self.internal_qa,
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
        notes = list(notes)
        if (frame.astype(str) == SUPPRESSED).any().any():
            notes.append(self.sdc.policy.note())
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

    def provenance(self) -> dict[str, Any]:
        """What a reader needs to rebuild this report: inputs (SHA-256), software versions, config, command."""
        from importlib.metadata import version
        import platform

        packages = ["evaluation", "pandas", "numpy", "scipy", "statsmodels", "matplotlib", "duckdb", "lifelines", "openpyxl",
                    "weasyprint", "nbconvert", "nbclient", "papermill", "jsonschema"]
        return {
            "command": self.command,
            "data": self.data_label,
            "inputs": {name: {"file": f.path.name, "rows": f.rows, "sha256": f.sha256} for name, f in sorted(self.data.files.items())},
            "config_sha256": self.config.sha256,
            "config": self.config.as_dict(),
            "python": platform.python_version(),
            "packages": {p: version(p) for p in packages},
            "disclosure_control": "off (internal QA: NOT FOR PUBLICATION)" if self.internal_qa else
                                  f"on: counts below {self.sdc.policy.threshold} and rates on fewer than {self.sdc.policy.min_rate_base} children suppressed",
        }

    def provenance_markdown(self) -> str:
        p = self.provenance()
        rows = "\n".join(f"| {name} | {v['file']} | {v['rows']:,} | `{v['sha256']}` |" for name, v in p["inputs"].items())
        pk = ", ".join(f"{k} {v}" for k, v in p["packages"].items())
        return (f"Built by `{p['command']}` from the {p['data']}, with Python {p['python']} and {pk}. "
                f"Disclosure control: {p['disclosure_control']}.\n\n"
                "| Table | File | Rows | SHA-256 |\n|---|---|---|---|\n" + rows +
                f"\n\nConfig (SHA-256 `{p['config_sha256']}`), with defaults filled in:\n\n```\n"
                + json.dumps(_clean(p["config"]), indent=1, ensure_ascii=False) + "\n```")

    def save_results(self) -> Path:
        """Write results.json, tables.xlsx and the disclosure audit log into the output folder."""
        from .workbook import write_workbook

        log = self.sdc.frame()
        self.results["meta"]["provenance"] = {k: v for k, v in self.provenance().items() if k != "config"}
        self.results["disclosure"] = {
            "enabled": self.sdc.policy.enabled, "threshold": self.sdc.policy.threshold, "min_rate_base": self.sdc.policy.min_rate_base,
            "suppressed_cells": int(len(log)), "by_table": {k: int(v) for k, v in log.groupby("table").size().items()},
        }
        path = self.out_dir / "results.json"
        path.write_text(json.dumps(_clean(self.results), indent=2, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")
        log.to_csv(self.out_dir / "disclosure_log.csv", index=False, lineterminator="\n")
        front = [f"Programme: {self.config.programme.name}",
                 f"Period evaluated: {self.config.programme.start:%-d %B %Y} to {self.config.programme.end:%-d %B %Y}",
                 "Every table in the report, one per sheet, with its notes and sources.",
                 self.sdc.policy.note() if self.sdc.policy.enabled else "NOT FOR PUBLICATION: internal quality assurance, disclosure control off."]
        title = ("NOT FOR PUBLICATION: " if self.internal_qa else "") + self.config.report.title
        write_workbook(self.tables, self.out_dir / "tables.xlsx", title, front)
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
