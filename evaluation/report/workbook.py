"""The Excel workbook: every published table on a sheet of its own, with its caption, notes and
source lines, and a contents sheet. Written byte-for-byte reproducibly: fixed document
properties and fixed timestamps inside the zip."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import zipfile
from pathlib import Path
from typing import Any, Iterable

from .formatting import is_numeric_text

_INT = re.compile(r"^\d{1,3}(,\d{3})*$|^\d+$")
_DECIMAL = re.compile(r"^[-−]?\d+\.(\d+)$")
_PERCENT = re.compile(r"^([-−]?\d+(?:\.(\d+))?)%$")
_MONEY = re.compile(r"^([-−])?£(\d{1,3}(?:,\d{3})*|\d+)(?:\.(\d+))?$")
_ESTIMATE = re.compile(r"^(\S+) \((\S+) to (\S+)\)$")
#: the number format of a whole number, a count: everything else published as a number carries its own format
COUNT_FORMAT = "#,##0"
SIGNED_FORMAT = "+#,##0;−#,##0;0"


def _number(text: str) -> tuple[Any, str | None]:
    """A published cell as Excel should hold it: (value, number format). Counts, decimals, percentages and money
    become numbers with a format that shows them as published; anything else ('c', '–', words) stays text."""
    s = text.strip()
    if _INT.match(s):
        return int(s.replace(",", "")), COUNT_FORMAT
    if s[:1] in "+-−" and _INT.match(s[1:]):  # a signed whole number is a difference, not a count: shown with its sign
        return (-1 if s[0] != "+" else 1) * int(s[1:].replace(",", "")), SIGNED_FORMAT
    signed = s[:1] in "+-−"

    def fmt(body: str) -> str:  # a value written with its sign keeps it: +0.25, −0.25
        return f"+{body};−{body};{body}" if signed else f"{body};−{body}"

    s = s.lstrip("+")
    if m := _DECIMAL.match(s):
        return float(s.replace("−", "-")), fmt("0." + "0" * len(m.group(1)))
    if m := _PERCENT.match(s):
        places = len(m.group(2) or "")
        return round(float(m.group(1).replace("−", "-")) / 100, places + 2), fmt("0" + ("." + "0" * places if places else "") + "%")
    if m := _MONEY.match(s):
        places = len(m.group(3) or "")
        value = float(m.group(2).replace(",", "") + ("." + m.group(3) if places else ""))
        return (-value if m.group(1) else value), "£#,##0" + ("." + "0" * places if places else "") + ";−£#,##0" + (
            "." + "0" * places if places else ""
        )
    return text, None


def _cell_value(text: Any):
    """The value stored for a published cell (see `_number`)."""
    return _number("" if text is None else str(text))[0]


def _split_estimates(frame):
    """Columns whose every published cell is 'estimate (low to high)' become three columns, estimate, low and high,
    so an analyst can sort, chart and recompute; a column with any other cell stays as it is."""
    import pandas as pd

    out = {}
    for j, col in enumerate(frame.columns):
        cells = frame[col].astype(str).str.strip()
        shown = cells[~cells.isin(["", "–", "c"])]
        parts = shown.str.extract(_ESTIMATE.pattern)
        if j == 0 or shown.empty or parts.isna().any().any():
            out[col] = frame[col]
            continue
        split = cells.str.extract(_ESTIMATE.pattern)
        out[col] = split[0].fillna(cells)
        out[f"{col}: low"] = split[1].fillna(cells)
        out[f"{col}: high"] = split[2].fillna(cells)
    return pd.DataFrame(out, index=frame.index)


def _build_time() -> dt.datetime:
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "1603065600"))
    return dt.datetime.fromtimestamp(epoch, tz=dt.timezone.utc).replace(tzinfo=None)


def _sheet_name(number: int, caption: str, used: set[str]) -> str:
    base = f"T{number:02d} " + re.sub(r"[\[\]:*?/\\]", "", caption)
    name = base[:31].rstrip()
    i = 2
    while name in used:
        name = f"{base[:28].rstrip()} {i}"
        i += 1
    used.add(name)
    return name


def write_workbook(tables: Iterable, path: Path, title: str, front_matter: list[str]) -> None:
    """`tables`: the report's PublishedTable objects, in order."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    tables = list(tables)
    wb = Workbook()
    when = _build_time()
    wb.properties.creator = "evaluation"
    wb.properties.lastModifiedBy = "evaluation"
    wb.properties.title = title
    wb.properties.created = when
    wb.properties.modified = when
    contents = wb.active
    contents.title = "Contents"
    contents["A1"] = title
    contents["A1"].font = Font(bold=True, size=14)
    row = 3
    for line in front_matter:
        contents.cell(row=row, column=1, value=line)
        row += 1
    row += 1
    contents.cell(row=row, column=1, value="Sheet").font = Font(bold=True)
    contents.cell(row=row, column=2, value="Table").font = Font(bold=True)
    used: set[str] = {"Contents"}
    names = [_sheet_name(t.number, t.caption, used) for t in tables]
    for t, name in zip(tables, names):
        row += 1
        contents.cell(row=row, column=1, value=name)
        contents.cell(row=row, column=2, value=f"Table {t.number}. {t.caption}")
    contents.column_dimensions["A"].width = 34
    contents.column_dimensions["B"].width = 90
    for t, name in zip(tables, names):
        ws = wb.create_sheet(name)
        ws["A1"] = f"Table {t.number}. {t.caption}"
        ws["A1"].font = Font(bold=True)
        header_row = 3
        frame = _split_estimates(t.frame)
        for j, col in enumerate(frame.columns, start=1):
            c = ws.cell(row=header_row, column=j, value=str(col))
            c.font = Font(bold=True)
            c.alignment = Alignment(wrap_text=True, vertical="top")
        for i, values in enumerate(frame.itertuples(index=False), start=header_row + 1):
            for j, v in enumerate(values, start=1):
                value, number_format = _number("" if v is None else str(v)) if j > 1 else (_cell_value(v), None)
                c = ws.cell(row=i, column=j, value=value)
                if number_format:
                    c.number_format = number_format
                elif j > 1 and is_numeric_text(str(v).rstrip(" †")):
                    c.alignment = Alignment(horizontal="right")
        ws.freeze_panes = ws.cell(row=header_row + 1, column=2)  # the header row and first column stay in view
        r = header_row + len(frame) + 2
        for note in t.notes:
            ws.cell(row=r, column=1, value=note)
            r += 1
        if t.source:
            ws.cell(row=r, column=1, value=f"Source: {t.source}")
        ws.column_dimensions["A"].width = 44
        for j in range(2, len(frame.columns) + 1):
            ws.column_dimensions[ws.cell(row=header_row, column=j).column_letter].width = 18
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(fixed_zip(buf.getvalue(), when))


def fixed_zip(blob: bytes, when: dt.datetime) -> bytes:
    """Rewrite a zip (xlsx) with every member's timestamp fixed, in the original order.

    openpyxl stamps the save time into docProps/core.xml whatever the workbook says; that is fixed too.
    """
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    fixed_time = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode("ascii")
    src = zipfile.ZipFile(io.BytesIO(blob))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rb"\g<1>" + fixed_time + rb"\g<2>", data)
            zi = zipfile.ZipInfo(info.filename, date_time=stamp)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, data)
    return out.getvalue()
