"""Formatting numbers and tables for readers, and rendering tables as accessible HTML."""

from __future__ import annotations

import html
import math
import re
from typing import Iterable

import pandas as pd


def pct(x: float | None, dp: int = 0) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{100 * x:.{dp}f}%"


def chance(x: float | None) -> str:
    """A probability from simulations: 'over 99%' / 'under 1%' at the ends (a simulated 100% is not certainty: it
    reflects only the uncertainty simulated), otherwise a whole percentage."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return "over 99%" if x > 0.99 else "under 1%" if x < 0.01 else pct(x)


def pct_ci(lo: float | None, hi: float | None, dp: int = 0) -> str:
    if lo is None or hi is None or (isinstance(lo, float) and math.isnan(lo)):
        return "–"
    return f"{pct(lo, dp)} to {pct(hi, dp)}"


def count(n) -> str:
    if n is None or (isinstance(n, float) and math.isnan(n)):
        return "–"
    return f"{int(n):,}"


def money(x: float | None, dp: int = 0) -> str:
    """£1,234 (or £1.05 with dp=2); a loss as −£1,234 with a true minus sign, never £-1,234."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    text = f"£{abs(x):,.{dp}f}"
    return f"−{text}" if x < 0 and text.strip("£0.,") else text


def month_label(key: str) -> str:
    """'2020-10' or '2020-10-19' -> 'Oct 2020'; other labels (and '') pass through."""
    if not key:
        return key
    try:
        return pd.Period(key[:7], freq="M").strftime("%b %Y")
    except (ValueError, TypeError):
        return key


_NUMBER = r"[-−+]?£?\d[\d,]*(?:\.\d+)?%?"
#: a number; a number with its interval "(a to b)" or a share "(12%)"; "a to b"; "a / b"
_NUMERIC = re.compile(rf"^(–|{_NUMBER}(?: \((?:{_NUMBER} to {_NUMBER}|[\d,./%]+)\))?|{_NUMBER} to {_NUMBER}|{_NUMBER} / {_NUMBER})$")


def signed(x: float, dp: int = 0) -> str:
    """A difference with its sign and a true minus (+3, −4, never −0 or +0)."""
    text = f"{x:+.{dp}f}"
    return f"{0:.{dp}f}" if float(text) == 0 else text.replace("-", "−")


_LONG_WORD = re.compile(r"\S{28,}")
#: a hyphen standing for a minus sign: before a digit, a point or £, not inside a word or a range
_MINUS = re.compile(r"(?<![\w.)])-(?=[£\d.])")


def is_numeric_text(text: str) -> bool:
    """Cells that read as numbers (counts, money, percentages, intervals) are right-aligned."""
    return bool(_NUMERIC.match(text.strip()))


#: Data columns a table shows side by side on an A4 page; wider tables (e.g. a programme of more than a year
#: by month) are printed in parts of at most this many, the first column repeated, never cut at the margin.
MAX_COLUMNS_PER_PART = 12
_SUPPRESSED = "c"


def column_parts(columns: list, max_columns: int = MAX_COLUMNS_PER_PART) -> list[list]:
    """Split a table's columns into parts that fit the page: the first (row label) column in every part and
    at most `max_columns` others, in order, as evenly as possible (a Total column stays with the last months)."""
    first, rest = columns[:1], columns[1:]
    if len(rest) <= max_columns:
        return [columns]
    n = math.ceil(len(rest) / max_columns)
    size = math.ceil(len(rest) / n)
    return [first + rest[i : i + size] for i in range(0, len(rest), size)]


def table_html(
    frame: pd.DataFrame,
    caption: str,
    notes: Iterable[str] = (),
    source: str | None = None,
    row_header: bool = True,
    table_id: str | None = None,
    flags: Iterable[tuple[int, str]] = (),
) -> str:
    """A plain, accessible HTML table: caption, column headers with scope, first column as row headers.

    Columns whose every cell reads as a number are right-aligned (class "num"); text stays left-aligned.
    `flags` marks cells (row position, column name) to highlight (class "flag"); the cell text itself
    should carry a visible marker too, so the highlight does not rely on colour alone.
    """
    e = html.escape
    parts = column_parts(list(frame.columns))
    if len(parts) > 1:  # too wide for the page: the same table in parts, one caption, notes after the last
        flags = list(flags)
        blocks = [
            table_html(
                frame[cols],
                f"{caption} (part {k} of {len(parts)}: {cols[1]} to {cols[-1]})",
                (),
                None,
                row_header,
                None,
                [(i, c) for i, c in flags if c in cols],
            )
            for k, cols in enumerate(parts, start=1)
        ]
        inner = "\n".join(
            b.removeprefix('<figure class="report-table">').removeprefix('<figure class="report-table long">').removesuffix("</figure>")
            for b in blocks
        )
        ident = f' id="{e(table_id)}"' if table_id else ""
        tail = [e(n) for n in notes] + (["Source: " + e(source)] if source else [])
        caption_html = "<figcaption>" + "".join(f"<p>{n}</p>" for n in tail) + "</figcaption>" if tail else ""
        return f'<figure class="report-table long parts"{ident}>\n{inner}\n{caption_html}</figure>'
    cols = list(frame.columns)
    text = [["" if v is None else str(v) for v in row] for row in frame.itertuples(index=False)]

    # a column of numbers stays right-aligned when some of its cells are suppressed ("c"), not applicable ("–"),
    # empty (a total row) or a short note in place of a number ("no fiscal split"), as long as most are numbers
    def numeric_column(j: int) -> bool:
        cells = [r[j].rstrip(" †").strip() for r in text]
        filled = [v for v in cells if v not in ("", "–", _SUPPRESSED)]
        numbers = [v for v in filled if is_numeric_text(v)]
        if j == 0 or not filled:
            return j > 0 and _SUPPRESSED in cells  # a column of numbers all suppressed
        return 2 * len(numbers) >= len(filled) and all(is_numeric_text(v) or len(v) <= 20 for v in filled)

    numeric = [numeric_column(j) for j in range(len(cols))]
    flagged = {(i, cols.index(c)) for i, c in flags}

    def num(j: int, i: int | None = None) -> str:
        long_word = i is not None and bool(_LONG_WORD.search(text[i][j]))  # URLs and the like may break anywhere
        classes = (["num"] if numeric[j] else []) + (["flag"] if (i, j) in flagged else []) + (["wrap"] if long_word else [])
        return f' class="{" ".join(classes)}"' if classes else ""

    ident = f' id="{e(table_id)}"' if table_id else ""
    # a long table may break across pages (its header repeats, its caption keeps its first rows and its notes
    # its last; see report.css); a short one is kept whole. Kept whole, a table of a third of a page or more
    # left most of the page before it blank.
    long_table = len(text) > 6 or sum(len(v) for row in text for v in row) > 600
    out = [
        f'<figure class="report-table{" long" if long_table else ""}"{ident}>',
        "<table>",
        f"<caption>{e(caption)}</caption>",
        "<thead><tr>",
    ]
    out += [f'<th scope="col"{num(j)}>{e(str(c))}</th>' for j, c in enumerate(cols)]
    out.append("</tr></thead><tbody>")
    for i, row in enumerate(text):
        cells = []
        for j, v in enumerate(row):
            if j == 0 and row_header:
                cells.append(f'<th scope="row">{e(v)}</th>')
            else:  # a number column prints its minus signs as true minus signs (−0.10, not -0.10)
                cells.append(f"<td{num(j, i)}>{e(_MINUS.sub('−', v) if numeric[j] else v)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    extra = [e(n) for n in notes]
    if source:
        extra.append("Source: " + e(source))
    if extra:
        out.append("<figcaption>" + "".join(f"<p>{n}</p>" for n in extra) + "</figcaption>")
    out.append("</figure>")
    return "\n".join(out)
