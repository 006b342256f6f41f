"""The object the report notebook talks to: loads the data, numbers and shows tables and charts,
and collects the machine-readable results written to results.json.

The notebook narrates; every number it shows is computed here or in the analysis modules.
"""

from __future__ import annotations

import base64
import html
import json
import math
import textwrap
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

import pandas as pd

from .. import __version__
from ..config import Config
from ..disclosure import SYMBOL as SUPPRESSED
from ..disclosure import DisclosureLog, DisclosurePolicy
from ..loading import EvaluationData, load
from ..results import Evaluation, evaluate
from .charts import svg_bytes
from .formatting import count, month_label, table_html
from .words import Vocabulary, verbatim

if TYPE_CHECKING:
    from .sections.summary import Findings


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


def reword_figure(fig: Any, reword: Callable[[str], str]) -> None:
    """A chart's own words (titles, labels, legends, tick labels) through `reword`: the programme's vocabulary, and
    text marked verbatim printed as written. Tick labels are drawn afresh from the axis's formatter at each draw,
    so changed ones are set there."""
    from matplotlib.text import Text

    for text in fig.findobj(Text):
        text.set_text(reword(text.get_text()))
    for axis in (a for ax in fig.axes for a in (ax.xaxis, ax.yaxis)):
        labels = [t.get_text() for t in axis.get_ticklabels()]
        reworded = [reword(label) for label in labels]
        if reworded != labels:
            axis.set_ticks(axis.get_ticklocs(), reworded)


class ReportSession:
    """Load validated data once and publish tables, figures and results for the report."""

    def __init__(
        self,
        data_dir: str | Path,
        config_path: str | Path | None = None,
        out_dir: str | Path = ".",
        internal_qa: bool = False,
        command: str | None = None,
        data_label: str | None = None,
    ):
        self.data: EvaluationData = load(data_dir, config_path)
        self.config: Config = self.data.config
        self.evaluation: Evaluation = evaluate(self.data)
        self.out_dir = Path(out_dir)
        self.internal_qa = bool(internal_qa)
        self.command = command or "evaluation report"
        self.data_label = data_label or f"data folder '{Path(data_dir).name}'"
        dc = self.config.disclosure
        self.words = Vocabulary.for_config(self.config)  # "children", "young people" or "people" in every sentence
        self.sdc = DisclosureLog(DisclosurePolicy(dc.threshold, dc.min_rate_base, enabled=not self.internal_qa, people=self.words.plural))
        self.tables: list[PublishedTable] = []
        self._figures = 0
        self.results: dict[str, Any] = {"meta": self._meta()}

    # ------------------------------------------------------------------ analysis (read from the Evaluation)
    #: Stages whose results rest on the matched programme group: withheld when it is a handful of children.
    _RESTS_ON_MATCHING = ("matching", "matching_engaged_only", "before_after", "reoffending", "value_for_money")

    @property
    def unavailable(self) -> dict[str, str]:
        return {**self.evaluation.unavailable, **self._withheld}

    @cached_property
    def _withheld(self) -> dict[str, str]:
        """Disclosure control of whole sections: estimates about fewer than `threshold` matched programme children
        would describe individuals (each group mean is a child's own outcome), so the matched comparison and every
        stage resting on it are withheld from a publishable report (internal QA shows them)."""
        m = self.evaluation.matching
        policy = self.sdc.policy
        if m is None or not policy.enabled:
            return {}
        if policy.small(m.result.n_treated_matched):
            why = (
                f"fewer than {policy.threshold} programme children were matched, and estimates about so few children would "
                "describe individuals, so they are not published"
            )
            return {name: why for name in self._RESTS_ON_MATCHING}
        return self._few_events_behind_value_for_money()

    def _few_events_behind_value_for_money(self) -> dict[str, str]:
        """The harm averted is each outcome's rate after the arrest times the effect, valued at a published unit cost:
        with the ratio of rate ratios and the programme size published, it gives that rate back. Where an outcome's
        rates are not published (1 to threshold - 1 events in a group, sections.outcomes.few_events), neither is
        the value for money."""
        from .sections.outcomes import few_events

        ba, v = self.evaluation.before_after, self.evaluation.value_for_money
        if ba is None or v is None:
            return {}
        window = int(v.parameters.get("window_months", 0)) or self.config.costs.window_months or max(next(iter(ba.results.values())))
        few = [o for o in ba.recorded if window in ba.results[o] and few_events(ba, o, window, self.sdc)]
        left_out = v.reached["engaged"] - v.n_children  # engaged outside the eligible ages: not credited with benefits
        if not few and self.sdc.policy.small(left_out):
            return {
                "value_for_money": (
                    f"the benefits are credited to the people engaged within the eligible ages, fewer than "
                    f"{self.sdc.policy.threshold} short of everyone engaged: published, they would give that small number back"
                )
            }
        if not few:
            return {}
        return {
            "value_for_money": (
                f"the harm averted would be valued from before/after rates resting on fewer than {self.sdc.policy.threshold} "
                "events in a group, which are not published (the benefits would give them back)"
            )
        }

    def _stage_result(self, name: str):
        return None if name in self._withheld else getattr(self.evaluation, name)

    def why_not(self, name: str) -> str:
        """A sentence for the reader: why section `name` is not in the report."""
        return f"*This analysis is not in the report: {self.unavailable.get(name, 'it was not run')}.*"

    engagement = property(lambda self: self.evaluation.engagement)
    cohort = property(lambda self: self.evaluation.cohort)
    matching = property(lambda self: self._stage_result("matching"))
    matching_engaged_only = property(lambda self: self._stage_result("matching_engaged_only"))
    approach_model = property(lambda self: self.evaluation.approach_model)
    before_after = property(lambda self: self._stage_result("before_after"))
    reoffending = property(lambda self: self._stage_result("reoffending"))
    value_for_money = property(lambda self: self._stage_result("value_for_money"))
    programme_costs = property(lambda self: self.evaluation.programme_costs)  # rests on no matching: never withheld
    phases = property(lambda self: self.evaluation.phases)
    phase_effects = property(lambda self: None if "before_after" in self._withheld else self.evaluation.phase_effects)
    spells = property(lambda self: self.evaluation.spells)

    # ------------------------------------------------------------------ provenance
    def _meta(self) -> dict[str, Any]:
        p = self.config.programme
        return {
            "title": self.config.report.title,
            "programme": p.name,
            "programme_suites": list(p.suites),
            "programme_period": {"start": p.start.isoformat(), "end": p.end.isoformat()},
            "extract_date": self.config.data.extract_date.isoformat(),
            "author": self.config.report.author,
            "commissioner": self.config.report.commissioner,
            "version": self.config.report.version,
            "report_date": self.config.report.report_date.isoformat() if self.config.report.report_date else None,
            "decision_date": self.config.report.decision_date.isoformat() if self.config.report.decision_date else None,
            "package_version": __version__,
            "not_for_publication": self.internal_qa,
            "config_sha256": self.config.sha256,
            "inputs": {
                name: {"file": f.name, "format": f.format, "rows": f.rows, "sha256": f.sha256}
                | ({"files": [{"file": p.path.name, "rows": p.rows, "sha256": p.sha256} for p in f.parts]} if f.parts else {})
                for name, f in sorted(self.data.files.items())
            },
        }

    # ------------------------------------------------------------------ display
    def markdown(self, text: str) -> None:
        _display({"text/markdown": self.words.apply(text)})

    def title_block(self) -> None:
        p = self.config.programme
        period = f"{p.start.strftime('%-d %B %Y')} to {p.end.strftime('%-d %B %Y')}"
        lines = [
            f"# {verbatim(self.config.report.title)}",
            "",
            f"**Programme:** {verbatim(p.name)}"
            + (f", at {', '.join(p.suites)} custody suite{'s' if len(p.suites) > 1 else ''}.  " if p.suites else ".  "),
            f"**Period evaluated:** {period}"
            + (f" ({verbatim(self.config.report.period_reason.rstrip('.'))}).  " if self.config.report.period_reason else ".  "),
            f"**Data extracted:** {self.config.data.extract_date.strftime('%-d %B %Y')}.",
        ]
        r = self.config.report
        lines[-1] += "  "
        for label, value in (
            ("Evaluation by", r.author),
            ("Commissioned by", r.commissioner),
            ("Version", r.version),
            ("Report date", r.report_date.strftime("%-d %B %Y") if r.report_date else None),
        ):
            if value:
                lines.append(f"**{label}:** {verbatim(value)}.  ")
        lines[-1] = lines[-1].rstrip()
        if r.decision_date:
            lines += ["", decision_timing(self.config)]
        self.markdown("\n".join(lines))

    def table(
        self,
        key: str,
        frame: pd.DataFrame,
        caption: str,
        notes: Iterable[str] = (),
        source: str | None = None,
        flags: Iterable[tuple[int, str]] = (),
    ) -> None:
        """Number, show and register a table (`self.tables` keeps every published table, in order)."""
        if any(t.key == key for t in self.tables):
            raise ValueError(f"table key {key!r} used twice")
        notes = list(notes)
        source = source or self.default_source(key)
        if key in self.sdc.pub.withheld:  # no suppression pattern protects every hidden count: a statement instead
            frame = pd.DataFrame({"Not published": [f"This table is not published: {self.sdc.pub.withheld[key]}."]})
            notes, flags = [], ()
        elif (frame.astype(str) == SUPPRESSED).any().any():
            notes.append(self.sdc.policy.note())
            if key in self.sdc.pub.c_may_be_zero:
                notes.append("In this table c may also stand for 0: every cell that could reveal a small number is hidden.")
        w = self.words.apply
        caption, notes, flags = w(caption), [w(n) for n in notes], [(i, w(c)) for i, c in flags]
        frame = frame.rename(columns=lambda c: w(c) if isinstance(c, str) else c).map(lambda v: w(v) if isinstance(v, str) else v)
        t = PublishedTable(key, len(self.tables) + 1, caption, frame.reset_index(drop=True), tuple(notes), source)
        self.tables.append(t)
        _display(
            {"text/html": table_html(t.frame, f"Table {t.number}. {caption}", t.notes, t.source, table_id=f"table-{key}", flags=flags)}
        )

    #: Which inputs each table is computed from, by table-key prefix (first match wins).
    SOURCES = (
        ("engagement", ("programme_contacts", "custody_detentions")),
        ("attrition", ("custody_detentions", "programme_contacts")),
        ("matching", ("custody_detentions", "programme_contacts", "events")),
        ("balance", ("custody_detentions", "programme_contacts", "events")),
        ("before_after", ("events", "custody_detentions", "programme_contacts")),
        ("reoffending", ("events", "custody_detentions", "programme_contacts")),
        ("costs", ("costs", "programme_contacts", "events", "unit_costs")),
        ("phases", ("programme_contacts", "costs")),
        ("spells", ("spells", "custody_spells", "events", "costs", "unit_costs")),
        ("appendix_unit_costs", ("unit_costs",)),
        ("appendix_methods", ()),
        ("inputs", None),
        ("data_quality", None),
        ("glossary", ()),
    )

    def default_source(self, key: str) -> str | None:
        """The source line of a table: the input files it is computed from, the data and the package version."""
        tables = next((t for prefix, t in self.SOURCES if key.startswith(prefix)), None)
        if tables == ():
            return f"this report's config; evaluation {__version__}." if key == "appendix_methods" else None
        if tables == ("unit_costs",) and "unit_costs" not in self.data.files:
            return (
                f"evaluation/data/unit_costs.csv and gdp_deflator.csv, shipped with evaluation {__version__}; each unit cost's "
                "own source is in the table."
            )
        files = [self.data.files[t].name for t in (tables or sorted(self.data.files)) if t in self.data.files]
        if "unit_costs" in (tables or ()) and "unit_costs" not in self.data.files:
            files.append("the unit costs shipped with evaluation (evaluation/data/unit_costs.csv)")
        if not files:
            return None
        return f"{', '.join(files)} ({self.data_label}); evaluation {__version__}."

    def published(self, key: str) -> PublishedTable | None:
        """A table already shown (as published: after disclosure control), or None."""
        return next((t for t in self.tables if t.key == key), None)

    def findings(self) -> "Findings":
        """Every stage's result (None where it could not run), for the summary, limitations and appendices."""
        from .sections.summary import Findings

        ev = self.evaluation
        return Findings(
            self.config,
            ev.engagement,
            ev.cohort,
            self.matching,
            self.before_after,
            self.reoffending,
            self.value_for_money,
            self.unavailable,
            ev.design_checks,
            programme_costs=self.programme_costs,
            phases=self.phases,
        )

    def reword(self, text: str) -> str:
        """A chart's text in the programme's words. A label wrapped over lines is reworded whole (a phrase such as
        "programme suite" may be split by the wrap) and wrapped again to its widest line."""
        if "\n" not in text:
            return self.words.apply(text)
        whole = " ".join(text.split())
        new = self.words.apply(whole)
        return text if new == whole else textwrap.fill(new, max(len(line) for line in text.splitlines()))

    def figure(self, fig_and_alt: tuple[Any, str], caption: str) -> None:
        """Show a chart as vector graphics (SVG) with its alt text and a numbered caption."""
        fig, alt = fig_and_alt
        self._figures += 1
        reword_figure(fig, self.reword)
        # vector graphics in an <img> (so it keeps its alt text): sharp on screen, vector in the PDF; the caption in the
        # same <figure>, which is never split across pages (a caption once sat alone at the top of the next page)
        data = base64.b64encode(svg_bytes(fig)).decode("ascii")
        alt_text = html.escape(self.words.apply(alt), quote=True)
        _display(
            {
                "text/html": f'<figure class="chart"><img src="data:image/svg+xml;base64,{data}" alt="{alt_text}">'
                f"<figcaption>Figure {self._figures}. {html.escape(self.words.apply(caption))}</figcaption></figure>"
            }
        )

    # ------------------------------------------------------------------ results
    def record(self, section: str, values: Any) -> None:
        self.results[section] = values

    def inputs_table(self) -> None:
        """The data used: per table its file, rows, people and date range."""
        from .sections.appendices import input_count

        s = self.data.summary()
        shown = pd.DataFrame(
            {
                "Table": s.table,
                "File": s.file,
                "Format": s.format,
                "Rows": [
                    input_count(self.sdc, t, "rows", n, "inputs", t) if f != "(not supplied)" else count(n)
                    for t, f, n in zip(s.table, s.file, s.rows)
                ],
                "People": [input_count(self.sdc, t, "people", n, "inputs", t) for t, n in zip(s.table, s.people)],
                "From": s["from"].map(month_label),
                "To": s["to"].map(month_label),
            }
        )
        self.table(
            "inputs",
            shown,
            "Data used in this report",
            notes=[
                "All tables passed validation against the data contract (data_schema/).",
                "Date ranges are shown to the month: exact dates of individual events are never published.",
            ],
        )

    def provenance(self) -> dict[str, Any]:
        """What a reader needs to rebuild this report: inputs (SHA-256), software versions, config, command."""
        import platform
        from importlib.metadata import version

        packages = [
            "evaluation",
            "pandas",
            "numpy",
            "scipy",
            "statsmodels",
            "matplotlib",
            "duckdb",
            "lifelines",
            "openpyxl",
            "weasyprint",
            "nbconvert",
            "nbclient",
            "papermill",
            "jsonschema",
        ]
        return {
            "command": self.command,
            "data": self.data_label,
            "inputs": {
                f"{name}" if len(f.files) == 1 else f"{name} ({k + 1} of {len(f.files)})": {
                    "file": p.path.name,
                    "rows": p.rows,
                    "sha256": p.sha256,
                }
                for name, f in sorted(self.data.files.items())
                for k, p in enumerate(f.files)
            },
            "config_sha256": self.config.sha256,
            "config": self.config.as_dict(),
            "python": platform.python_version(),
            "packages": {p: version(p) for p in packages},
            "disclosure_control": "off (internal QA: NOT FOR PUBLICATION)"
            if self.internal_qa
            else f"on: counts below {self.sdc.policy.threshold} and rates on fewer than {self.sdc.policy.min_rate_base} children suppressed",
        }

    def provenance_markdown(self) -> str:
        p = self.provenance()
        rows = "\n".join(f"| {name} | {v['file']} | {v['rows']:,} | `{v['sha256']}` |" for name, v in p["inputs"].items())
        pk = ", ".join(f"{k} {v}" for k, v in p["packages"].items())
        return (
            f"Built by `{p['command']}` from the {p['data']}, with Python {p['python']} and {pk}. "
            f"Disclosure control: {p['disclosure_control']}.\n\n"
            "| Table | File | Rows | SHA-256 |\n|---|---|--:|---|\n"
            + rows
            + f"\n\nConfig (SHA-256 `{p['config_sha256']}`), with defaults filled in:\n\n```\n"
            + verbatim(compact_json(_clean(p["config"]), text_blocks=True))
            + "\n```"
        )

    def save_results(self) -> Path:
        """Write results.json, tables.xlsx and the disclosure audit log into the output folder."""
        from ..publication import DisclosureAuditError
        from .workbook import write_workbook

        exposures = self.sdc.pub.audit()  # the intruder: every hidden cell against everything published
        if exposures:
            raise DisclosureAuditError(exposures)
        log = pd.concat([self.sdc.published_frame(), self.sdc.pub.audit_frame(exposures)], ignore_index=True)
        self.results["meta"]["provenance"] = {k: v for k, v in self.provenance().items() if k != "config"}
        self.results["disclosure"] = {
            "enabled": self.sdc.policy.enabled,
            "threshold": self.sdc.policy.threshold,
            "min_rate_base": self.sdc.policy.min_rate_base,
            "suppressed_cells": int(len(self.sdc.frame())),
            "by_table": {k: int(v) for k, v in self.sdc.frame().groupby("table").size().items()},
            "intruder_audit": {
                "hidden_counts_audited": len(self.sdc.pub.protected()),
                "exposed": 0,
                "protection": f"a hidden count of 1 to {self.sdc.policy.threshold - 1} keeps a range at least "
                f"{max(self.sdc.policy.threshold - 2, 1)} wide; no hidden count can be worked out exactly",
            },
        }
        path = self.out_dir / "results.json"
        path.write_text(json.dumps(_clean(self.results), indent=2, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")
        log.to_csv(self.out_dir / "disclosure_log.csv", index=False, lineterminator="\n")
        front = [
            f"Programme: {self.config.programme.name}",
            f"Period evaluated: {self.config.programme.start:%-d %B %Y} to {self.config.programme.end:%-d %B %Y}",
            "Every table in the report, one per sheet, with its notes and sources.",
            self.sdc.policy.note()
            if self.sdc.policy.enabled
            else "NOT FOR PUBLICATION: internal quality assurance, disclosure control off.",
        ]
        title = ("NOT FOR PUBLICATION: " if self.internal_qa else "") + self.config.report.title
        write_workbook(self.tables, self.out_dir / "tables.xlsx", title, front)
        return path


def compact_json(value: Any, indent: int = 0, text_blocks: bool = False) -> str:
    """JSON with objects one key per line and lists of plain values on one line (readable in print). With
    `text_blocks`, a string of several lines is printed as its lines between triple quotes (for reading: a printed
    "\\n" is noise), which is no longer JSON."""
    if text_blocks and isinstance(value, str) and "\n" in value:
        inner = " " * (indent + 2)
        return '"""\n' + "\n".join(inner + line if line else "" for line in value.splitlines()) + "\n" + inner + '"""'
    pad = " " * (indent + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{pad}{json.dumps(str(k))}: {compact_json(v, indent + 1, text_blocks)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    if isinstance(value, list) and any(isinstance(v, dict) for v in value):
        return "[\n" + ",\n".join(pad + compact_json(v, indent + 1, text_blocks) for v in value) + "\n" + " " * indent + "]"
    return json.dumps(value, ensure_ascii=False)


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


def decision_timing(config) -> str:
    """One sentence relating the decision's date to the data: how long before it the extract was taken, and what the
    latest outcomes can and cannot show by then."""
    r, d, p = config.report, config.data, config.programme
    months = (r.decision_date.year - d.extract_date.year) * 12 + r.decision_date.month - d.extract_date.month
    when = (
        f"{months} month{'s' if months != 1 else ''} before it"
        if months > 0
        else "in the same month"
        if months == 0
        else f"{-months} month{'s' if months != -1 else ''} after it"
    )
    return (
        f"**The decision** is due on {r.decision_date.strftime('%-d %B %Y')}. The data were extracted on "
        f"{d.extract_date.strftime('%-d %B %Y')}, {when}; the programme period evaluated ends on {p.end.strftime('%-d %B %Y')}, "
        "so nothing after the extract is in this report, and the people reached last have the shortest follow-up."
    )
