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

_INT = re.compile(r"^-?\d{1,3}(,\d{3})*$|^-?\d+$")


def _cell_value(text: Any):
    """Whole numbers become numbers; everything else (percentages, money, 'c', ranges) stays as published."""
    s = "" if text is None else str(text)
    if _INT.match(s.strip()):
        return int(s.replace(",", ""))
    return s


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
        for j, col in enumerate(t.frame.columns, start=1):
            c = ws.cell(row=header_row, column=j, value=str(col))
            c.font = Font(bold=True)
            c.alignment = Alignment(wrap_text=True, vertical="top")
        for i, values in enumerate(t.frame.itertuples(index=False), start=header_row + 1):
            for j, v in enumerate(values, start=1):
                c = ws.cell(row=i, column=j, value=_cell_value(v))
                if j > 1 and is_numeric_text(str(v).rstrip(" †")):
                    c.alignment = Alignment(horizontal="right")
        r = header_row + len(t.frame) + 2
        for note in t.notes:
            ws.cell(row=r, column=1, value=note)
            r += 1
        if t.source:
            ws.cell(row=r, column=1, value=f"Source: {t.source}")
        ws.column_dimensions["A"].width = 44
        for j in range(2, len(t.frame.columns) + 1):
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
