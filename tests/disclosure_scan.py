"""An independent scan of published outputs for what must never be published about children.

It reads the outputs as a reader (or an intruder) would, not through the package's own bookkeeping:
the HTML, the text of the PDF, every cell of the workbook, results.json and the disclosure log.

* identifiers: every identifier value in the input tables (person, detention, contact, event);
* exact dates of individual events: any date written in the outputs that is a date of a detention,
  contact, follow-up, intervention or event in the input, unless it is a date the config or the
  cost schedule sets (programme period, extract date...), which describe no child;
* small cells: whole numbers from 1 to threshold - 1 in the count columns of every workbook table,
  phrases such as "3 children" in the text, and counts in results.json;
* recoverable cells: a table line (a row with a Total column, or a column with a total row) with
  exactly one suppressed cell, which subtraction would reveal.
"""

from __future__ import annotations

import datetime as dt
import json
import numbers
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd

SYMBOL = "c"
ID_COLUMNS = ("person_id", "detention_id", "contact_id", "event_id", "crime_ref")
EVENT_DATE_COLUMNS = {
    "custody_detentions": ("arrival_datetime", "release_datetime"),
    "programme_contacts": ("contact_date", "followup_date", "intervention_start_date", "intervention_end_date"),
    "events": ("event_date", "proven_date"),
}
MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"

#: Workbook columns that hold whole numbers that are not counts of children or records (checked by
#: hand: each is a setting, a duration, a rank or a count of rows of the input files).
NOT_COUNTS = {
    ("Data used in this report", "Rows"),
    ("Validation of each input table", "Columns checked"),
    ("Days from release to the follow-up meeting", "Days after release"),
    ("Ratios tried (chosen on covariate balance; outcomes not looked at)", "Ratio"),
    # analysis sample sizes are design counts, published exactly (evaluation.disclosure explains why)
    ("Sample sizes before and after matching", "Programme"),
    ("Sample sizes before and after matching", "Comparison"),
}
#: Rows that are design counts (the analysis groups in the attrition table), published exactly by policy: the
#: sample sizes give them anyway (programme children = programme group + both groups).
NOT_COUNT_ROWS = {
    ("Who is in the analysis: every child and detention in the extract", step)
    for step in ("Programme group", "Both groups, at different detentions", "Comparison pool")
} | {  # budget lines and unit costs are not people: their record counts are shown as they are
    (caption, table)
    for caption in ("Validation of each input table", "Missing values in optional columns")
    for table in ("costs", "unit_costs")
}
#: Children approached in the period but left out of the analysis (not at their first eligible detention): the
#: engagement total minus the analysis groups, so a design count too when it is the only such row.
DESIGN_REASON = "approached in the period, but not at their first eligible detention"
#: Results keys whose whole-number values are settings, durations or design counts, not counts of
#: children in a category (design counts are published exactly: see evaluation.disclosure).
NOT_COUNT_KEYS = {
    "sms_level",  # the evidence rating: a scale, not a count
    "rating",
    "out_of",
    "ratio",
    "months",
    "days",
    "days_covered",
    "monte_carlo_draws",
    "threshold",
    "min_rate_base",
    "balance_threshold",
    "covariates_above_threshold_after",
    "suppressed_cells",
    "window_months",
    "follow_up_months",
    "waiting_months",
    "horizon_years",
    "rows",
    "needed_per_group",
    "n_treated",
    "n_comparison",
    "n_treated_matched",
    "n_control_matched",
    "n_treated_discarded",
    "n_control_pool",
    "programme",
    "comparison",
    "by_table",
    "seed",
    "discard",
    "caliper",
    "m_order",
    "reference_month",
}


def pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def workbook_tables(xlsx: Path) -> dict[str, pd.DataFrame]:
    """Every table sheet as written: caption -> DataFrame of cell values (header row 3)."""
    from openpyxl import load_workbook

    wb = load_workbook(xlsx, read_only=True)
    out = {}
    for ws in wb.worksheets:
        if ws.title == "Contents":
            continue
        # a number with a format other than a count's (a rate, money, a ratio) is not a count of people
        rows = [
            tuple(
                float(c.value)
                if isinstance(c.value, int) and getattr(c, "number_format", "General") not in ("General", "#,##0")
                else c.value
                for c in row
            )
            for row in ws.iter_rows()
        ]
        caption = re.sub(r"^Table \d+\. ", "", str(rows[0][0]))
        header = [h for h in rows[2] if h is not None]
        body = []
        for r in rows[3:]:
            if all(v is None for v in r[: len(header)]):
                break
            body.append(list(r[: len(header)]))
        out[caption] = pd.DataFrame(body, columns=header, dtype=object)  # cells exactly as written
    return out


def workbook_text(xlsx: Path) -> str:
    from openpyxl import load_workbook

    wb = load_workbook(xlsx, read_only=True)
    return "\n".join(" | ".join("" if v is None else str(v) for v in row) for ws in wb.worksheets for row in ws.iter_rows(values_only=True))


def published_texts(out: Path) -> dict[str, str]:
    html = (out / "report.html").read_text("utf-8")
    texts = {
        "report.html": html,
        "results.json": (out / "results.json").read_text("utf-8"),
        "tables.xlsx": workbook_text(out / "tables.xlsx"),
        "disclosure_log.csv": (out / "disclosure_log.csv").read_text("utf-8"),
    }
    if shutil.which("pdftotext"):
        texts["report.pdf"] = pdf_text(out / "report.pdf")
    return texts


def input_identifiers(data_dir: Path) -> set[str]:
    ids: set[str] = set()
    for path in data_dir.glob("*.csv"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        for col in ID_COLUMNS:
            if col in frame:
                ids.update(v for v in frame[col] if v)
    return ids


def identifier_hits(texts: dict[str, str], ids: set[str]) -> list[tuple[str, str]]:
    hits = []
    for name, text in texts.items():
        for token in set(re.findall(r"[A-Za-z0-9_\-]+", text)) & ids:
            hits.append((name, token))
    return sorted(hits)


def input_event_dates(data_dir: Path) -> set[dt.date]:
    dates: set[dt.date] = set()
    for table, cols in EVENT_DATE_COLUMNS.items():
        path = data_dir / f"{table}.csv"
        if not path.exists():
            continue
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        for col in cols:
            if col in frame:
                dates.update(pd.to_datetime(frame[col][frame[col] != ""].str[:10]).dt.date)
    return dates


def allowed_dates(data_dir: Path, config) -> set[dt.date]:
    """Dates set by the config or the cost schedule: they describe the design, not a child."""
    p, c, d = config.programme, config.comparison, config.data
    allowed = {p.start, p.end, d.extract_date, c.pre_period_start, c.pre_period_end, d.events_start}
    costs = data_dir / "costs.csv"
    if costs.exists():
        frame = pd.read_csv(costs, dtype=str)
        for col in ("start_date", "end_date"):
            allowed.update(pd.to_datetime(frame[col]).dt.date)
    return {x for x in allowed if x is not None}


def dates_written(text: str) -> set[dt.date]:
    found: set[dt.date] = set()
    for y, m, d in re.findall(r"\b(\d{4})-(\d{2})-(\d{2})\b", text):
        try:
            found.add(dt.date(int(y), int(m), int(d)))
        except ValueError:
            pass
    for d, m, y in re.findall(r"\b(\d{1,2})(?:st|nd|rd|th)? (" + MONTHS + r"),? (\d{4})\b", text):
        found.add(dt.datetime.strptime(f"{d} {m} {y}", "%d %B %Y").date())
    for d, m, y in re.findall(r"\b(\d{2})/(\d{2})/(\d{4})\b", text):
        try:
            found.add(dt.date(int(y), int(m), int(d)))
        except ValueError:
            pass
    return found


def event_date_hits(texts: dict[str, str], event_dates: set[dt.date], allowed: set[dt.date]) -> list[tuple[str, str]]:
    return sorted((name, day.isoformat()) for name, text in texts.items() for day in dates_written(text) & (event_dates - allowed))


def _whole(v) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _small(v, threshold: int) -> bool:
    return _whole(v) and 0 < v < threshold


def small_cells_in_workbook(xlsx: Path, threshold: int) -> list[tuple[str, str, object]]:
    hits = []
    for caption, frame in workbook_tables(xlsx).items():
        for col in frame.columns[1:]:
            if (caption, col) in NOT_COUNTS:
                continue
            reasons = frame["Reason"] if "Reason" in frame.columns else [""] * len(frame)
            for first, reason, v in zip(frame[frame.columns[0]], reasons, frame[col]):
                if _small(v, threshold) and (caption, str(first)) not in NOT_COUNT_ROWS and not str(reason).startswith(DESIGN_REASON):
                    hits.append((caption, col, v))
    return hits


def small_counts_in_text(text: str, threshold: int) -> list[str]:
    words = r"(?:programme |comparison |matched )?(?:children|child|young people|reoffenders)"
    # "(counts of) 1 to 4 children" states the rule, not a count
    return [m.group(0) for m in re.finditer(r"(?<![\d.,£])(?<!to )\b([1-9])\b " + words, text) if int(m.group(1)) < threshold]


def small_counts_in_results(results: dict, threshold: int) -> list[str]:
    hits = []

    def walk(value, path):
        if isinstance(value, dict):
            for k, v in value.items():
                if k in NOT_COUNT_KEYS or k == "meta":
                    continue
                walk(v, f"{path}.{k}")
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, f"{path}[{i}]")
        elif _small(value, threshold):
            hits.append(f"{path} = {value}")

    walk(results, "")
    return hits


def recoverable_cells(xlsx: Path) -> list[tuple[str, str]]:
    """Lines of a table with a total where exactly one cell is suppressed: subtraction reveals it."""
    hits = []
    for caption, frame in workbook_tables(xlsx).items():
        cols = list(frame.columns)
        total_col = next((c for c in cols if str(c).strip().lower() == "total"), None)
        first = frame[cols[0]].astype(str)
        total_rows = frame.index[first.str.match(r"^(All\b|Total\b)")]
        if total_col is not None:
            parts = [c for c in cols[1:] if c != total_col]
            for i in frame.index:
                if str(frame.at[i, cols[0]]).startswith("%"):
                    continue
                line = [frame.at[i, c] for c in parts + [total_col]]
                if sum(v == SYMBOL for v in line) == 1 and all(_whole(v) or v == SYMBOL for v in line):
                    hits.append((caption, f"row {first[i]}"))
        for t in total_rows:
            body = [i for i in frame.index if i not in total_rows and not first[i].startswith("%")]
            for c in cols[1:]:
                line = [frame.at[i, c] for i in body] + [frame.at[t, c]]
                if sum(v == SYMBOL for v in line) == 1 and all(_whole(v) or v == SYMBOL for v in line):
                    hits.append((caption, f"column {c}"))
    return hits


def scan(out: Path, data_dir: Path, config, threshold: int) -> dict[str, list]:
    """Everything the scan found, by kind (all empty for a publishable build)."""
    texts = published_texts(out)
    visible = texts.get("report.pdf", "") + "\n" + re.sub(r"<[^>]+>", " ", texts["report.html"])
    return {
        "identifiers": identifier_hits(texts, input_identifiers(data_dir)),
        "event_dates": event_date_hits(texts, input_event_dates(data_dir), allowed_dates(data_dir, config)),
        "small_cells": small_cells_in_workbook(out / "tables.xlsx", threshold),
        "small_counts_in_text": small_counts_in_text(visible, threshold),
        "small_counts_in_results": small_counts_in_results(json.loads(texts["results.json"]), threshold),
        "recoverable_cells": recoverable_cells(out / "tables.xlsx"),
    }
