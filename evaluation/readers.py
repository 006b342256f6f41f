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


def _read_csv(path: Path, blob: bytes, encoding: str) -> tuple[list[str], list[list[str]], list[int]]:
    what = _sniff_binary(path, blob[:4096])
    if what:
        raise _fail(path, what, "wrong_file_type")
    enc = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        text = blob.decode(enc)
    except UnicodeDecodeError as exc:
        line = blob[: exc.start].count(b"\n") + 1
        raise _fail(
            path,
            f"cannot be read as {encoding} text: byte 0x{blob[exc.start]:02x} on line {line} is not valid {encoding}. "
            "Save the file as 'CSV UTF-8 (comma delimited)', or set [data] encoding (e.g. \"cp1252\") in the config "
            "if it was saved by older Excel.",
            "encoding",
            row=line,
        ) from None
    except LookupError:
        raise _fail(path, f"unknown text encoding {encoding!r} in [data] encoding", "encoding") from None
    if not text.strip():
        raise _fail(path, "is empty; expected a header row and at least one data row", "empty_file")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise _fail(path, f"is not valid CSV ({exc}) near line {reader.line_num}", "csv_syntax", row=reader.line_num) from None
    # line number where each record starts (quoted fields may span lines)
    header = [h.strip() for h in rows[0]]
    if len(header) == 1 and any(sep in header[0] for sep in (";", "\t", "|")):
        sep = next(s for s in (";", "\t", "|") if s in header[0])
        raise _fail(
            path, f"uses {sep!r} to separate columns; expected commas (save as 'CSV UTF-8 (comma delimited)')", "csv_separator", row=1
        )
    body, numbers = [], []
    for i, r in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in r):
            continue  # blank lines
        body.append(r)
        numbers.append(i)
    return header, body, numbers


def _read_xlsx(path: Path, blob: bytes, expected: Sequence[str], table: str) -> tuple[list[str], list[list[str]], list[int], list[Problem]]:
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
        sheet = next((n for n in names if n.strip().lower() == table), names[0])
        if len(names) > 1 and sheet == names[0] and names[0].strip().lower() != table:
            notes.append(
                Problem(
                    file=path.name,
                    message=f"has {len(names)} sheets and none is named '{table}'; reading the first sheet, '{sheet}'",
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
    wanted = set(expected)
    first = rows[0] if rows else []
    if not wanted & {c.strip() for c in first}:
        for i, r in rows_nonblank[:30]:
            if len(wanted & {c.strip() for c in r}) >= 2:
                raise _fail(
                    path,
                    f"sheet '{sheet}': the header is on row {i}, but it must be on row 1; delete the {i - 1} row(s) above it",
                    "xlsx_header_row",
                    row=i,
                )
        raise _fail(
            path,
            f"sheet '{sheet}': row 1 does not hold the column names; expected a header such as {', '.join(list(expected)[:4])}, …",
            "xlsx_header_row",
            row=1,
        )
    header = [c.strip() for c in first]
    while header and header[-1] == "":
        header.pop()
    body, numbers = [], []
    for i, r in rows_nonblank:
        if i == 1:
            continue
        body.append(r)
        numbers.append(i)
    return header, body, numbers, notes


def _read_parquet(path: Path, blob: bytes) -> pd.DataFrame:
    import duckdb

    if not blob.startswith(b"PAR1"):
        raise _fail(path, "is not a valid Parquet file", "wrong_file_type")
    try:
        con = duckdb.connect()
        frame = con.execute("SELECT * FROM read_parquet(?)", [str(path)]).df()
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


def read_table(path: Path, table: str, expected_columns: Sequence[str], encoding: str = "utf-8") -> RawTable:
    """Read `path` as table `table`. Raises ReadFailure when the file cannot be read at all."""
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
        header, body, numbers = _read_csv(path, blob, encoding)
    elif fmt == "xlsx":
        header, body, numbers, notes = _read_xlsx(path, blob, expected_columns, table)
    else:  # pragma: no cover - callers only pass supported suffixes
        raise _fail(path, f"unsupported file type .{fmt}", "wrong_file_type")
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
