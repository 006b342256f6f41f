"""Read one input table from CSV, XLSX or Parquet into text columns, without modifying the file.

Every value is returned as a stripped string ('' = missing) with the file's own row number, so
validation can report problems exactly where the evaluator will look for them. Files that cannot
be read at all (wrong type, empty, wrong encoding, header not on the first row) raise ReadFailure
with a message saying what is wrong and how to fix it; never a traceback.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from .problems import Problem


class ReadFailure(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(str(problem))


@dataclass
class RawTable:
    """A table as read: text values, the file's row numbers, and the file's fingerprint."""

    name: str
    path: Path
    format: str
    frame: pd.DataFrame  # all columns str, '' for missing
    row_numbers: np.ndarray  # the row number a reader sees for each record
    row_label: str  # "row" (CSV/XLSX, header is row 1) or "record" (Parquet)
    sha256: str
    notes: list[Problem]

    @property
    def file(self) -> str:
        return self.path.name


def _fail(path: Path, message: str, rule: str = "unreadable_file", row: int | None = None) -> ReadFailure:
    return ReadFailure(Problem(file=path.name, message=message, rule=rule, row=row))


def _sniff_binary(path: Path, head: bytes) -> str | None:
    if head.startswith(b"PK\x03\x04"):
        return "is an Excel workbook or zip archive, not CSV text; if it is a workbook, name it .xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "is an old-style Excel (.xls) workbook, not CSV text; save it as .xlsx or CSV UTF-8"
    if head.startswith(b"%PDF"):
        return "is a PDF document, not CSV text"
    if head.startswith(b"PAR1"):
        return "is a Parquet file, not CSV text; name it .parquet"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "is UTF-16 text; save it as 'CSV UTF-8 (comma delimited)'"
    if b"\x00" in head:
        return "contains binary data (NUL bytes), not CSV text"
    return None


def _text_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (dt.datetime, pd.Timestamp)):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


TOTAL_WORDS = frozenset({"total", "totals", "grand total", "sub-total", "subtotal", "sub total"})


def _decode(path: Path, blob: bytes, encoding: str) -> tuple[str, list[Problem]]:
    """The file's text. encoding 'auto': UTF-8 when the bytes are valid UTF-8, else Windows-1252 (with a warning),
    else an error saying the encoding cannot be told."""
    notes: list[Problem] = []
    if encoding.lower() == "auto":
        try:
            return blob.decode("utf-8-sig"), notes
        except UnicodeDecodeError:
            pass
        try:
            text = blob.decode("cp1252")
        except UnicodeDecodeError as exc:
            line = blob[: exc.start].count(b"\n") + 1
            raise _fail(
                path,
                f"the text encoding cannot be told: it is not UTF-8, and byte 0x{blob[exc.start]:02x} on line {line} is not "
                'Windows-1252 either; set encoding for this file ([[data.sources]] or [data] encoding), e.g. "latin-1"',
                "encoding",
                row=line,
            ) from None
        notes.append(
            Problem(
                file=path.name,
                message="is not UTF-8; read as Windows-1252 (cp1252, older Excel's 'CSV'). If accented letters look wrong in "
                "the report, set its encoding in the config",
                rule="encoding_detected",
                severity="warning",
            )
        )
        return text, notes
    enc = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        return blob.decode(enc), notes
    except UnicodeDecodeError as exc:
        line = blob[: exc.start].count(b"\n") + 1
        raise _fail(
            path,
            f"cannot be read as {encoding} text: byte 0x{blob[exc.start]:02x} on line {line} is not valid {encoding}. "
            'Save the file as \'CSV UTF-8 (comma delimited)\', or set [data] encoding (e.g. "cp1252", or "auto") in the config '
            "if it was saved by older Excel.",
            "encoding",
            row=line,
        ) from None
    except LookupError:
        raise _fail(path, f"unknown text encoding {encoding!r} in the config", "encoding") from None


def _read_csv(
    path: Path, blob: bytes, encoding: str, delimiter: str | None = None, header_row: int = 1
) -> tuple[list[str], list[list[str]], list[int], list[Problem]]:
    what = _sniff_binary(path, blob[:4096])
    if what:
        raise _fail(path, what, "wrong_file_type")
    text, notes = _decode(path, blob, encoding)
    if not text.strip():
        raise _fail(path, "is empty; expected a header row and at least one data row", "empty_file")
    lines = text.splitlines()
    if header_row > len(lines):
        raise _fail(path, f"has {len(lines)} line(s); the config puts the header on row {header_row}", "csv_header_row")
    sep, sniffed = csv_separator(path, lines[header_row - 1], delimiter, header_row)
    notes += sniffed
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise _fail(path, f"is not valid CSV ({exc}) near line {reader.line_num}", "csv_syntax", row=reader.line_num) from None
    if header_row > len(rows):
        raise _fail(path, f"has {len(rows)} record(s); the config puts the header on row {header_row}", "csv_header_row")
    header = [h.strip() for h in rows[header_row - 1]]
    body, numbers = [], []
    for i, r in enumerate(rows[header_row:], start=header_row + 1):
        if not any(cell.strip() for cell in r):
            continue  # blank lines
        body.append(r)
        numbers.append(i)
    return header, body, numbers, notes


def csv_separator(path: Path, header: str, delimiter: str | None, header_row: int = 1) -> tuple[str, list[Problem]]:
    """The separator: the config's, else a comma, else the first of ; tab | in a header without commas (with a
    warning saying so)."""
    if delimiter:
        return delimiter, []
    found = [s for s in (";", "\t", "|") if s in header]
    if "," in header or not found:
        return ",", []
    return found[0], [
        Problem(
            file=path.name,
            row=header_row,
            message=f"separates its columns with {found[0]!r}, not commas; read that way (set delimiter in [[data.sources]] to say so)",
            rule="csv_separator",
            severity="warning",
        )
    ]


def _header_elsewhere(path: Path, rows: list[tuple[int, list[str]]], expected: Sequence[str], where: str) -> ReadFailure | None:
    """When the header row holds none of the expected names but a later row does: an error saying which row."""
    wanted = set(expected)
    for i, r in rows[:30]:
        if len(wanted & {c.strip() for c in r}) >= 2:
            return _fail(
                path,
                f"{where}the header is on row {i}, not row 1: set header_row = {i} for this file in [[data.sources]] "
                f"(the {i - 1} row(s) above it are then skipped)",
                "header_row",
                row=i,
            )
    return None


def _read_xlsx(
    path: Path, blob: bytes, expected: Sequence[str], table: str, sheet_name: str | None = None, header_row: int = 1
) -> tuple[list[str], list[list[str]], list[int], list[Problem]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    notes: list[Problem] = []
    if not blob:
        raise _fail(path, "is empty (0 bytes); expected an Excel workbook", "empty_file")
    if not zipfile.is_zipfile(io.BytesIO(blob)):
        what = (
            "is an old-style Excel (.xls) workbook; save it as .xlsx"
            if blob.startswith(b"\xd0\xcf\x11\xe0")
            else "is not a valid Excel .xlsx workbook"
        )
        raise _fail(path, what, "wrong_file_type")
    try:
        wb = openpyxl.load_workbook(io.BytesIO(blob), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise _fail(path, f"is not a valid Excel .xlsx workbook ({exc.__class__.__name__})", "wrong_file_type") from None
    try:
        names = wb.sheetnames
        if sheet_name is not None:
            sheet = next((n for n in names if n.strip().lower() == sheet_name.strip().lower()), None)
            if sheet is None:
                raise _fail(path, f"has no sheet named '{sheet_name}'; its sheets are {', '.join(repr(n) for n in names)}", "xlsx_sheet")
        else:
            sheet = next((n for n in names if n.strip().lower() == table), names[0])
            if len(names) > 1 and sheet == names[0] and names[0].strip().lower() != table:
                notes.append(
                    Problem(
                        file=path.name,
                        message=f"has {len(names)} sheets and none is named '{table}'; reading the first sheet, '{sheet}' "
                        "(name the sheet in [[data.sources]] to choose another)",
                        rule="xlsx_sheet",
                        severity="warning",
                    )
                )
        rows = [[_text_value(v) for v in r] for r in wb[sheet].iter_rows(values_only=True)]
    finally:
        wb.close()
    rows_nonblank = [(i, r) for i, r in enumerate(rows, start=1) if any(c for c in r)]
    if not rows_nonblank:
        raise _fail(path, f"sheet '{sheet}' is empty; expected a header row and at least one data row", "empty_file")
    first = rows[header_row - 1] if len(rows) >= header_row else []
    if expected and not set(expected) & {c.strip() for c in first}:
        if header_row == 1:
            elsewhere = _header_elsewhere(path, rows_nonblank, expected, f"sheet '{sheet}': ")
            if elsewhere:
                raise elsewhere
        raise _fail(
            path,
            f"sheet '{sheet}': row {header_row} does not hold the column names; expected a header such as "
            f"{', '.join(list(expected)[:4])}, …",
            "header_row",
            row=header_row,
        )
    header = [c.strip() for c in first]
    while header and header[-1] == "":
        header.pop()
    body, numbers = [], []
    for i, r in rows_nonblank:
        if i <= header_row:
            continue
        body.append(r)
        numbers.append(i)
    return header, body, numbers, notes


_WHOLE_NUMBER_TYPES = frozenset({"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"})


def _read_parquet(path: Path, blob: bytes) -> pd.DataFrame:
    import duckdb

    if not blob.startswith(b"PAR1"):
        raise _fail(path, "is not a valid Parquet file", "wrong_file_type")
    try:
        con = duckdb.connect()
        described = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
        # whole numbers as text in DuckDB: pandas would make a column with an empty cell float, and lose digits
        cols = ", ".join(
            f'CAST("{n}" AS VARCHAR) AS "{n}"' if str(t) in _WHOLE_NUMBER_TYPES else f'"{n}"'
            for n, t, *_ in ((str(d[0]).replace('"', '""'), d[1]) for d in described)
        )
        frame = con.execute(f"SELECT {cols} FROM read_parquet(?)", [str(path)]).df()
        con.close()
    except duckdb.Error as exc:
        raise _fail(path, f"cannot be read as Parquet: {str(exc).splitlines()[0]}", "wrong_file_type") from None
    return frame


def _parquet_to_text(frame: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            text = s.dt.strftime("%Y-%m-%d %H:%M:%S")
        elif pd.api.types.is_float_dtype(s):
            text = s.map(_text_value)
        else:
            text = s.map(_text_value)
        out[str(col)] = text.fillna("").astype(str)
    return pd.DataFrame(out, index=frame.index)


def read_table(
    path: Path,
    table: str,
    expected_columns: Sequence[str],
    encoding: str = "utf-8",
    delimiter: str | None = None,
    header_row: int = 1,
    sheet: str | None = None,
    total_rows: str = "error",
) -> RawTable:
    """Read `path` as table `table`. Raises ReadFailure when the file cannot be read at all. Rows that are totals
    are left out: with `total_rows` "error" each is an error, with "skip" one warning lists them."""
    fmt = path.suffix.lower().lstrip(".")
    blob = path.read_bytes()
    digest = hashlib.sha256(blob).hexdigest()
    notes: list[Problem] = []
    if fmt == "parquet":
        frame = _parquet_to_text(_read_parquet(path, blob))
        if frame.empty:
            raise _fail(path, "has no rows; expected at least one", "empty_file")
        frame = frame.apply(lambda s: s.str.strip())
        return RawTable(table, path, fmt, frame.reset_index(drop=True), np.arange(1, len(frame) + 1), "record", digest, notes)
    if fmt == "csv":
        if not blob:
            raise _fail(path, "is empty (0 bytes); expected a header row and at least one data row", "empty_file")
        header, body, numbers, notes = _read_csv(path, blob, encoding, delimiter, header_row)
        if header_row == 1 and expected_columns and not set(expected_columns) & set(header):
            elsewhere = _header_elsewhere(path, list(zip(numbers, body)), expected_columns, "")
            if elsewhere:
                raise elsewhere
    elif fmt == "xlsx":
        header, body, numbers, notes = _read_xlsx(path, blob, expected_columns, table, sheet, header_row)
    else:  # pragma: no cover - callers only pass supported suffixes
        raise _fail(path, f"unsupported file type .{fmt}", "wrong_file_type")
    totals = [k for k, r in enumerate(body) if any(c.strip().casefold() in TOTAL_WORDS for c in r)]
    if totals:
        if total_rows == "skip":
            notes.append(
                Problem(
                    file=path.name,
                    message=f"row(s) {', '.join(str(numbers[k]) for k in totals)} are totals and were left out",
                    rule="total_row",
                    severity="warning",
                )
            )
        else:
            for k in totals:
                j = next(j for j, c in enumerate(body[k]) if c.strip().casefold() in TOTAL_WORDS)
                notes.append(
                    Problem(
                        file=path.name,
                        row=numbers[k],
                        column=header[j] if j < len(header) else f"#{j + 1}",
                        value=body[k][j].strip(),
                        message="looks like a total row: counted as a record it would add what it sums again. Set "
                        'total_rows = "skip" for this file in [[data.sources]] to leave such rows out',
                        rule="total_row",
                    )
                )
        keep = sorted(set(range(len(body))) - set(totals))
        body, numbers = [body[k] for k in keep], [numbers[k] for k in keep]
    if not body:
        raise _fail(path, "has a header row but no data rows", "empty_file")
    width = len(header)
    problems_wide = [n for r, n in zip(body, numbers) if len(r) > width and any(c.strip() for c in r[width:])]
    if problems_wide:
        notes.append(
            Problem(
                file=path.name,
                row=problems_wide[0],
                message=f"{len(problems_wide)} row(s) have more values than the header has columns; the extra values are ignored",
                rule="ragged_rows",
                severity="warning",
                row_label="row",
            )
        )
    cells = [[c.strip() for c in (r + [""] * width)[:width]] for r in body]
    frame = pd.DataFrame(cells, columns=range(width), dtype=object)
    frame.columns = header
    return RawTable(table, path, fmt, frame, np.asarray(numbers), "row", digest, notes)
