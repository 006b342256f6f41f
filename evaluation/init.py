"""`evaluation init DATA`: a first draft of `evaluation.toml` from the files as received.

Reads every CSV, XLSX and Parquet file in the folder (nothing is modified), guesses which table each holds from
its header (the contract's names, common local names, close spellings) and writes one `[[data.sources]]` entry per
file: its header row, separator and encoding where they are not the defaults, the date format its dates are
written in, its column mapping, and the local codes of every coded column with a guess where one is safe (M/F,
Y/N) and a commented line to fill in where it is not. The programme's suites, period and extract date are guessed
from the data and marked as guesses. The evaluator edits the draft; `evaluation validate` then says what is left.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .readers import ReadFailure, read_table
from .schema import FILE_FORMATS, TABLES, TableSchema, table_schema

#: Local column names seen in police, youth justice and programme exports -> the contract's names.
SYNONYMS: dict[str, str] = {
    "custodyref": "detention_id",
    "custodyrecord": "detention_id",
    "custodynumber": "detention_id",
    "decisionid": "detention_id",
    "personid": "person_id",
    "childid": "person_id",
    "nominalid": "person_id",
    "pnc": "person_id",
    "suite": "custody_suite",
    "custodysuite": "custody_suite",
    "station": "custody_suite",
    "panel": "custody_suite",
    "arrival": "arrival_datetime",
    "arrivaltime": "arrival_datetime",
    "arrivaldate": "arrival_datetime",
    "decisiondate": "arrival_datetime",
    "release": "release_datetime",
    "releasetime": "release_datetime",
    "age": "age_at_arrival",
    "ageatarrival": "age_at_arrival",
    "dob": "date_of_birth",
    "dateofbirth": "date_of_birth",
    "birthdate": "date_of_birth",
    "gender": "sex",
    "ethnicgroup": "ethnicity",
    "selfdefinedethnicity": "ethnicity",
    "borough": "residence_area",
    "homeborough": "residence_area",
    "homearea": "residence_area",
    "localauthority": "residence_area",
    "offencegroup": "arrest_offence_group",
    "arrestoffence": "arrest_offence_group",
    "yos": "known_to_yos",
    "knowntoyjs": "known_to_yos",
    "knowntoyos": "known_to_yos",
    "disposal": "disposal_type",
    "fte": "first_time_entrant",
    "contactref": "contact_id",
    "contactdate": "contact_date",
    "rag": "outcome",
    "result": "outcome",
    "followup": "followup_date",
    "crimeref": "event_id",
    "offenceref": "event_id",
    "offencedate": "event_date",
    "committeddate": "event_date",
    "type": "event_type",
    "costline": "item",
    "line": "item",
    "description": "item",
    "from": "start_date",
    "to": "end_date",
    "amount": "amount_gbp",
    "cost": "amount_gbp",
    "gbp": "amount_gbp",
}
#: Local codes with one safe reading, per contract value set.
SAFE_CODES: dict[str, str] = {"m": "male", "f": "female", "y": "yes", "n": "no", "u": "unknown", "nk": "unknown"}
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%m/%d/%Y", "%d/%m/%y")
TIME_SUFFIXES = ("", " %H:%M", " %H:%M:%S")


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.casefold())


@dataclass
class FileGuess:
    """What one file seems to hold, and how to read it."""

    path: Path
    table: str | None
    score: int
    header_row: int = 1
    delimiter: str | None = None
    encoding: str | None = None
    columns: dict[str, str] = field(default_factory=dict)  # local -> contract (only where the names differ)
    unused: list[str] = field(default_factory=list)
    date_format: str | None = None
    ambiguous_dates: list[str] = field(default_factory=list)
    codes: dict[str, dict[str, str | None]] = field(default_factory=dict)  # column -> local code -> guess
    frame: pd.DataFrame | None = None  # the values, under the contract's names (for the programme's guesses)
    note: str = ""


def _match_column(header: str, schema: TableSchema) -> str | None:
    names = schema.field_names
    if header in names:
        return header
    n = _norm(header)
    for name in names:
        if _norm(name) == n:
            return name
    if SYNONYMS.get(n) in names:
        return SYNONYMS[n]
    near = difflib.get_close_matches(n, [_norm(x) for x in names], n=1, cutoff=0.8)
    return next((x for x in names if _norm(x) == near[0]), None) if near else None


def _csv_header_row(path: Path) -> int:
    """The first of a CSV's first 30 lines with at least three filled cells (title rows above a header hold one or
    two), from the file's first 64 KB."""
    with path.open("rb") as fh:
        blob = fh.read(65536)
    try:
        text = blob.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = blob.decode("cp1252", errors="replace")
    for i, line in enumerate(text.splitlines()[:30], start=1):
        if max(sum(1 for c in line.split(sep) if c.strip()) for sep in (",", ";", "\t", "|")) >= 3:
            return i
    return 1


def _xlsx_header_row(path: Path) -> int:
    """The same for a workbook's first sheet (the one the reader reads), from its first 30 rows."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - an unreadable workbook is reported when it is read
        return 1
    try:
        for i, cells in enumerate(wb[wb.sheetnames[0]].iter_rows(max_row=30, values_only=True), start=1):
            if sum(1 for c in cells if c is not None and str(c).strip()) >= 3:
                return i
    finally:
        wb.close()
    return 1


def _date_format(values: pd.Series, with_time: bool) -> tuple[str | None, bool]:
    """The format every value is written in, and whether another format reads them all too (day/month order)."""
    sample = values[values != ""].head(500)
    if sample.empty:
        return None, False
    fits = []
    for d in DATE_FORMATS:
        for t in TIME_SUFFIXES if with_time else ("", " %H:%M:%S"):
            fmt = d + t
            if pd.to_datetime(sample, format=fmt, errors="coerce").notna().all():
                fits.append(fmt)
    if not fits:
        return None, False
    days_first = [f for f in fits if f.startswith(("%d", "%Y"))]
    best = days_first[0] if days_first else fits[0]
    ambiguous = any(f.startswith("%m") for f in fits) and any(f.startswith("%d") for f in fits)
    return best, ambiguous


def guess_file(path: Path) -> FileGuess:
    """Which table `path` holds (the best-scoring contract), and how to read and map it."""
    suffix = path.suffix.lower()
    header_row = _csv_header_row(path) if suffix == ".csv" else _xlsx_header_row(path) if suffix == ".xlsx" else 1
    try:
        raw = read_table(path, "guess", [], encoding="auto", header_row=header_row, total_rows="skip")
    except ReadFailure as exc:
        return FileGuess(path, None, 0, note=f"cannot be read: {exc.problem.message}")
    headers = [str(c) for c in raw.frame.columns if str(c).strip()]
    best: tuple[int, str | None] = (0, None)
    for name in TABLES:
        schema = table_schema(name)
        matched = {_match_column(h, schema) for h in headers} - {None}
        required = {f.name for f in schema.fields if not f.optional_column}
        score = 2 * len(matched & required) + len(matched - required) - 2 * len(required - matched)
        if score > best[0]:
            best = (score, name)
    g = FileGuess(path, best[1], best[0], header_row=header_row)
    for note in raw.notes:
        separator = re.search(r"with '(.)'", note.message) if note.rule == "csv_separator" else None
        if separator:
            g.delimiter = separator.group(1)
        if note.rule == "encoding_detected":
            g.encoding = "cp1252"
    if g.table is None:
        g.note = "matches no table well enough to guess"
        return g
    schema = table_schema(g.table)
    frame = pd.DataFrame(index=raw.frame.index)
    for h in raw.frame.columns:
        contract = _match_column(str(h), schema) if str(h).strip() else None
        if contract is None or contract in frame:
            if str(h).strip():
                g.unused.append(str(h))
            continue
        if contract != h:
            g.columns[str(h)] = contract
        frame[contract] = raw.frame[h].astype(str)
    g.frame = frame
    formats = []
    for f in schema.fields:
        if f.name in frame and f.type in ("date", "datetime"):
            fmt, ambiguous = _date_format(frame[f.name], f.type == "datetime")
            if fmt:
                formats.append(fmt.split(" ")[0])
            if ambiguous:
                g.ambiguous_dates.append(f.name)
        if f.name in frame and f.enum:
            allowed = {v.casefold() for v in f.enum}
            local = sorted({v for v in frame[f.name] if v and v.casefold() not in allowed})
            if local:
                g.codes[f.name] = {v: SAFE_CODES.get(v.casefold()) if SAFE_CODES.get(v.casefold()) in f.enum else None for v in local}
    if formats:
        g.date_format = max(set(formats), key=formats.count)
    return g


def _toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _dates(frame: pd.DataFrame | None, column: str, fmt: str | None) -> pd.Series:
    if frame is None or column not in frame:
        return pd.Series(dtype="datetime64[ns]")
    text = frame[column].str.slice(0, 10)
    out = pd.to_datetime(text, format=fmt or "%Y-%m-%d", errors="coerce")
    return out.where(out.notna(), pd.to_datetime(text, format="%Y-%m-%d", errors="coerce"))


def draft_config(folder: Path) -> tuple[str, list[FileGuess]]:
    """The draft config's text and the guess behind each file."""
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower().lstrip(".") in FILE_FORMATS)
    guesses = [guess_file(p) for p in files]
    by_table = {g.table: g for g in guesses if g.table}
    det, con = by_table.get("custody_detentions"), by_table.get("programme_contacts")
    suites, start, end = [], None, None
    if det is not None and det.frame is not None and "custody_suite" in det.frame:
        suites_all = det.frame.custody_suite.value_counts()
        if con is not None and con.frame is not None and {"detention_id"} <= set(con.frame) and "detention_id" in det.frame:
            at = det.frame.set_index("detention_id").custody_suite.reindex(con.frame.detention_id).value_counts()
            suites = [str(s) for s in at.index[:3]]
        others = [str(s) for s in suites_all.index if s not in suites]
    else:
        others = []
    if con is not None:
        when = _dates(con.frame, "contact_date", con.date_format).dropna()
        if not when.empty:
            start, end = when.min().date(), when.max().date()
    latest = max(
        (
            d
            for g in guesses
            for col in ("contact_date", "event_date", "arrival_datetime")
            for d in _dates(g.frame, col, g.date_format).dropna()
        ),
        default=None,
    )
    extract = latest.date() if latest is not None else dt.date.today()
    lines = [
        f"# Draft written by `evaluation init` from the {len(files)} file(s) in {folder.name}/ on {dt.date.today():%Y-%m-%d}.",
        "# Every value marked GUESS is read from the data: check it. Then run `evaluation validate` on the folder.",
        "",
        "[programme]",
        'name = "My programme"  # the name the report uses',
        f"suites = [{', '.join(_toml_str(s) for s in suites)}]  # GUESS: where the contact log's people were met"
        + (f"; other suites in the data: {', '.join(others[:6])}" if others else ""),
        f"start = {start or '2020-01-01'}  # GUESS: the first contact" + ("" if start else " (no contact log found)"),
        f"end = {end or '2020-12-31'}  # GUESS: the last contact",
        "home_areas = []  # the areas the programme serves, as written in residence_area",
        "age_min = 10",
        "age_max = 17",
        "",
        "[comparison]",
        f"# suites = [{', '.join(_toml_str(s) for s in others[:6])}]  # people detained elsewhere in the same period, or",
        "# pre_period_start = 2019-01-01  # the programme's suites before it began",
        "# pre_period_end = 2019-12-31",
        "",
        "[data]",
        f"extract_date = {extract}  # GUESS: the latest date in the files",
        "",
    ]
    for g in guesses:
        if g.table is None:
            lines += [f"# {g.path.name}: {g.note or 'not a table of the contract'}; not read.", ""]
            continue
        lines += ["[[data.sources]]", f"table = {_toml_str(g.table)}  # GUESS (header score {g.score})", f"file = {_toml_str(g.path.name)}"]
        if g.header_row != 1:
            lines.append(f"header_row = {g.header_row}  # the rows above are titles")
        if g.delimiter:
            lines.append(f"delimiter = {_toml_str(g.delimiter)}")
        if g.encoding:
            lines.append(f"encoding = {_toml_str(g.encoding)}  # not UTF-8")
        if g.date_format and g.date_format != "%Y-%m-%d":
            lines.append(
                f"date_format = {_toml_str(g.date_format)}"
                + (f"  # CHECK: {', '.join(g.ambiguous_dates)} read day-first and month-first alike" if g.ambiguous_dates else "")
            )
            if g.table in ("custody_detentions", "spells", "custody_spells"):
                lines.append(f"datetime_format = {_toml_str(g.date_format + ' %H:%M')}  # CHECK against the file")
        if g.columns:
            lines.append("[data.sources.columns]")
            lines += [f"{_toml_str(k)} = {_toml_str(v)}" for k, v in g.columns.items()]
        for col, codes in g.codes.items():
            allowed = ", ".join(table_schema(g.table).field(col).enum or ())
            lines.append(f"[data.sources.values.{col}]  # one of: {allowed}")
            for code, to in codes.items():
                lines.append(f"{_toml_str(code)} = {_toml_str(to)}" if to else f'# {_toml_str(code)} = ""  # FILL IN')
        if g.unused:
            lines.append(f"# not in the contract, not read: {', '.join(g.unused)}")
        lines.append("")
    lines += [
        "[report]",
        "# who wrote it, for whom, which version, its date and the decision it informs (each printed on the title page)",
        '# author = "…"',
        '# commissioner = "…"',
        '# version = "0.1 (draft)"',
        "# report_date = 2021-04-30",
        "# decision_date = 2021-05-31",
        "",
    ]
    return "\n".join(lines), guesses


__all__ = ["FileGuess", "draft_config", "guess_file"]
