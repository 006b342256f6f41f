"""Read and validate a large table inside the engine (DuckDB), so that it never has to fit in pandas.

How: the file is loaded as text into an on-disk DuckDB table, typed there by SQL, and *screened*: every row that a
field check or a rule could find fault with is marked. Only the marked rows come back to pandas, where the same
`check_table` and rules as the small-table path explain them, so messages (file, row, column, value as written,
what was expected) are the same word for word. Unmarked rows keep the engine's typed values; marked rows take
pandas's. The screen may mark too many rows (pandas then finds nothing wrong with them), never too few: the
parity tests (tests/test_engine_read.py) check both paths give the same problems and the same typed table.

The fast path takes UTF-8 CSV with the header on the first line, one record per line, and Parquet of text,
date, timestamp and integer columns. Anything else (another encoding, blank or multi-line records, ragged rows,
total rows, a header further down) is read by the pandas path, which has the messages for it.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .config import Config, SourceConfig
from .engine import EVENT_COLUMNS, EventTable, WorkFolder, _sql_path, connect
from .problems import Problem
from .readers import TOTAL_WORDS, RawTable, _sniff_binary, csv_separator
from .schema import TableSchema
from .validation import CheckedTable, _fold, check_table, code_map

#: Every character Python's str.strip() removes (the pandas path strips values with it).
_WHITESPACE = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
#: pandas' datetime64[ns] range: a date outside it cannot be typed by the pandas path, so the engine marks it.
_YEARS = (1678, 2261)
#: The directives the engine reads itself: whole days only (a format with a time of day is left to pandas, which
#: accepts only midnight for a date).
_DIRECTIVES = {"%Y": r"\d{4}", "%m": r"\d{2}", "%d": r"\d{2}"}
#: Row numbers of one file stay below this: a row's place in the table is part * stride + row.
_PART_STRIDE = 1 << 40
#: How many marked rows are explained at most; beyond this the table is too broken to list row by row.
MAX_EXPLAINED = 500_000


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _format_regex(fmt: str) -> str | None:
    """A regular expression for values written exactly in `fmt` (zero-padded numbers), or None when the format
    has a directive the engine does not read (those values are all explained by pandas)."""
    out, i = [], 0
    while i < len(fmt):
        if fmt[i] == "%":
            d = fmt[i : i + 2]
            if d not in _DIRECTIVES:
                return None
            out.append(_DIRECTIVES[d])
            i += 2
        else:
            out.append(re.escape(fmt[i]))
            i += 1
    return "".join(out)


@dataclass
class _Part:
    """One input file of the table, loaded as text into the DuckDB table `raw_<k>` (columns c0, c1, …, in the
    file's order: a record's row number is its rowid + `first_row`)."""

    path: Path
    source: SourceConfig | None
    format: str
    sha256: str
    header: list[str]
    row_label: str
    first_row: int
    rows: int = 0
    notes: list[Problem] = field(default_factory=list)
    renames: dict[str, str] = field(default_factory=dict)


def _stripped(n: int) -> str:
    """Columns c0 … c(n-1) as the pandas readers give values: text stripped as str.strip() strips it, '' if empty.
    (Values without whitespace at either end, nearly all, are taken as they are, without the trim's cost.)"""
    edge = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in _WHITESPACE) + "]"
    return ", ".join(
        f"CASE WHEN c{i} IS NULL THEN '' WHEN regexp_matches(c{i}, '^{edge}|{edge}$') THEN trim(c{i}, {_lit(_WHITESPACE)}) "
        f"ELSE c{i} END AS c{i}"
        for i in range(n)
    )


#: Text the two CSV readers read differently: a quote after spaces at the start of a field (Python's csv keeps it
#: as text; DuckDB opens a quoted field), and a carriage return not followed by a line feed (Python's csv ends a
#: record there; DuckDB does not). A file holding either is read by the pandas path.
_AMBIGUOUS = re.compile(rb'(?:^|[,;\t|\n])[ \t]+"|\r(?!\n)')


def _scan(path: Path) -> tuple[str, int, bytes, bytes, bool]:
    """SHA-256, newline count, first bytes and last byte of a file, and whether it holds text the two CSV readers
    read differently (`_AMBIGUOUS`), read in blocks (never whole)."""
    h = hashlib.sha256()
    newlines, head, last, ambiguous, tail = 0, b"", b"", False, b""
    with path.open("rb") as fh:
        while block := fh.read(1 << 24):
            h.update(block)
            newlines += block.count(b"\n")
            if len(head) < 65536:
                head += block[: 65536 - len(head)]
            ambiguous = ambiguous or _AMBIGUOUS.search(tail + block) is not None
            tail, last = block[-64:], block[-1:]
    ambiguous = ambiguous or last == b"\r"
    return h.hexdigest(), newlines, head, last, ambiguous


def _csv_part(con: Any, k: int, path: Path, source: SourceConfig | None, cfg: Config, expected: list[str]) -> _Part | None:
    encoding = (source.encoding if source and source.encoding else cfg.data.encoding).lower().replace("_", "-")
    if encoding not in ("utf-8", "utf8", "auto") or (source is not None and source.header_row != 1):
        return None
    if any(c in str(path) for c in "*?[{"):
        return None  # DuckDB would read the name as a pattern
    digest, newlines, head, last, ambiguous = _scan(path)
    if not head or ambiguous or _sniff_binary(path, head[:4096]):
        return None
    first = head.split(b"\n", 1)[0]
    try:
        line = first.decode("utf-8-sig").rstrip("\r")
    except UnicodeDecodeError:
        return None
    sep, notes = csv_separator(path, line, source.delimiter if source else None)
    try:
        rows = list(csv.reader([line], delimiter=sep))
    except csv.Error:
        return None
    if len(rows) != 1 or line.count('"') % 2:
        return None
    header = [h.strip() for h in rows[0]]
    if expected and not set(expected) & set(header):
        return None  # the pandas path says where the header is
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header))) + "}"
    import duckdb

    try:
        con.execute(
            f"CREATE TABLE raw_{k} AS SELECT {_stripped(len(header))} FROM read_csv({_lit(str(path))}, header = false, "
            f"skip = 1, auto_detect = false, columns = {columns}, delim = {_lit(sep)}, quote = '\"', escape = '\"', "
            "strict_mode = true, null_padding = false, all_varchar = true)"
        )
    except duckdb.Error:
        return None
    records = con.execute(f"SELECT count(*) FROM raw_{k}").fetchone()[0]
    lines = newlines + (1 if last != b"\n" else 0)
    if records == 0 or records + 1 != lines:
        con.execute(f"DROP TABLE raw_{k}")
        return None  # blank lines or records over several lines: the pandas path numbers those rows
    words = ", ".join(_lit(w) for w in sorted(TOTAL_WORDS))
    shortest, longest = min(map(len, TOTAL_WORDS)), max(map(len, TOTAL_WORDS))
    # lower() and the long s: Python's casefold() also reads 'ſubtotal' as a total
    totals = " OR ".join(
        f"(length(c{i}) BETWEEN {shortest} AND {longest} AND replace(lower(c{i}), 'ſ', 's') IN ({words}))" for i in range(len(header))
    )
    blank = " AND ".join(f"c{i} = ''" for i in range(len(header)))
    found, filled = con.execute(f"SELECT count(*) FILTER (WHERE {totals}), count(*) FILTER (WHERE NOT ({blank})) FROM raw_{k}").fetchone()
    if found or not filled:
        con.execute(f"DROP TABLE raw_{k}")
        return None  # total rows, or no row with a value: the pandas path reports them
    return _Part(path, source, "csv", digest, header, "row", 2, records, notes)


_PARQUET_TEXT = {
    "VARCHAR": "{c}",
    "DATE": "strftime(CAST({c} AS TIMESTAMP), '%Y-%m-%d %H:%M:%S')",
    "TIMESTAMP": "strftime({c}, '%Y-%m-%d %H:%M:%S')",
    "TIMESTAMP_NS": "strftime(CAST({c} AS TIMESTAMP), '%Y-%m-%d %H:%M:%S')",
    "BIGINT": "CAST({c} AS VARCHAR)",
    "INTEGER": "CAST({c} AS VARCHAR)",
    "SMALLINT": "CAST({c} AS VARCHAR)",
    "TINYINT": "CAST({c} AS VARCHAR)",
}


def _parquet_part(con: Any, k: int, path: Path, source: SourceConfig | None) -> _Part | None:
    import duckdb

    if any(c in str(path) for c in "*?[{"):
        return None  # DuckDB would read the name as a pattern
    digest, _, head, _, _ = _scan(path)
    if not head.startswith(b"PAR1"):
        return None
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM read_parquet({_lit(str(path))})").fetchall()
    except duckdb.Error:
        return None
    texts = []
    for i, (name, sql_type, *_) in enumerate(described):
        template = _PARQUET_TEXT.get(str(sql_type))
        if template is None:
            return None  # other types are read by the pandas path, which writes them as text its own way
        texts.append(template.format(c=_q(name)) + f" AS c{i}")
    con.execute(
        f"CREATE TABLE raw_{k} AS SELECT {_stripped(len(texts))} FROM (SELECT {', '.join(texts)} FROM read_parquet({_lit(str(path))}))"
    )
    records = con.execute(f"SELECT count(*) FROM raw_{k}").fetchone()[0]
    if records == 0:
        return None
    return _Part(path, source, "parquet", digest, [str(d[0]) for d in described], "record", 1, records)


class EngineRead:
    """A table loaded into DuckDB: typed and screened there, with only the marked rows explained in pandas."""

    def __init__(self, name: str, schema: TableSchema, cfg: Config, parts: list[_Part], con: Any, work: WorkFolder):
        self.name, self.schema, self.cfg, self.parts, self.con, self.work = name, schema, cfg, parts, con, work
        self._keys: pd.DataFrame | None = None  # (part, row) of the explained rows, in the stacked table's order
        self.marked = 0  # rows explained by pandas
        self.key: str | None = None  # what the checked table depends on (see `handoff_key`)

    # -- opening ---------------------------------------------------------------------------------------------

    @classmethod
    def open(
        cls, name: str, reads: list[tuple[Path, SourceConfig | None]], schema: TableSchema, cfg: Config, expected: list[list[str]]
    ) -> "EngineRead | None":
        """Load every file of the table, or None when one of them needs the pandas path."""
        if name != "events" or not reads or any(f.type not in ("string", "date") for f in schema.fields):
            return None
        work = WorkFolder()
        con = connect(work)  # in memory, spilling to the work folder beyond the memory limit
        parts: list[_Part] = []
        for k, (path, source) in enumerate(reads):
            fmt = path.suffix.lower().lstrip(".")
            part = (
                _csv_part(con, k, path, source, cfg, expected[k])
                if fmt == "csv"
                else _parquet_part(con, k, path, source)
                if fmt == "parquet"
                else None
            )
            if part is None:
                con.close()
                return None
            parts.append(part)
        return cls(name, schema, cfg, parts, con, work)

    # -- typing and screening ----------------------------------------------------------------------------------

    def _positions(self, part: _Part) -> dict[str, int]:
        """Contract column -> the file's column position (its first, when the header repeats a name)."""
        renames = {**self.cfg.data.columns.get(self.name, {}), **(part.source.columns if part.source else {})}
        out: dict[str, int] = {}
        for pos, c in enumerate(part.header):
            out.setdefault(renames.get(c, c), pos)
        return {c: p for c, p in out.items() if c in self.schema.field_names}

    def _value_maps(self, part: _Part) -> dict[str, dict[str, str]]:
        maps = {k: dict(v) for k, v in self.cfg.data.values.get(self.name, {}).items()}
        for column, extra in (part.source.values if part.source else {}).items():
            maps[column] = {**maps.get(column, {}), **extra}
        return maps

    def _text(self, k: int, part: _Part) -> str:
        """The part's contract columns as stripped text ('' when empty or absent), with its row number, as SQL."""
        pos = self._positions(part)
        cols = [f"{k} AS part", f"rowid + {part.first_row} AS row"]
        for f in self.schema.fields:
            cols.append(f"c{pos[f.name]} AS {_q(f.name)}" if f.name in pos else f"'' AS {_q(f.name)}")
        renames = {**self.cfg.data.columns.get(self.name, {}), **(part.source.columns if part.source else {})}
        blank = [i for i, h in enumerate(part.header) if renames.get(h, h) == ""]
        flag = " OR ".join(f"c{i} <> ''" for i in blank) or "false"
        cells = " AND ".join(f"c{i} = ''" for i in range(len(part.header)))
        where = f" WHERE NOT ({cells})" if part.format == "csv" else ""  # the CSV reader skips blank records
        return f"SELECT {', '.join(cols)}, ({flag}) AS blank_header_value FROM raw_{k}{where}"

    def _counts(self, part_index: int, column: str) -> pd.Series:
        got = self.con.execute(f"SELECT {_q(column)} AS v, count(*) AS n FROM text WHERE part = {part_index} GROUP BY 1").df()
        return pd.Series(got.n.to_numpy(), index=got.v.to_numpy()).sort_values(ascending=False, kind="stable")

    def _typed_part(self, k: int, part: _Part) -> str:
        """SQL typing part k's text: (part, row, each contract column typed, field_suspect)."""
        cfg = self.cfg
        date_fmt = (part.source.date_format if part.source and part.source.date_format else None) or cfg.data.date_format
        maps = self._value_maps(part)
        cols, suspects, joins = [], ["blank_header_value"], []
        for f in self.schema.fields:
            c = f"t.{_q(f.name)}"
            if f.required:
                suspects.append(f"{c} = ''")
            if f.type == "string" and (f.enum or f.name in maps):
                counts = self._counts(k, f.name)
                out_map = code_map(counts, maps[f.name])[0] if f.name in maps else {}
                allowed = {_fold(v): v for v in f.enum or ()}
                rows = []
                for raw in counts.index:
                    mapped = out_map.get(raw, raw)
                    canon = (allowed.get(_fold(mapped)) if f.enum else mapped) if mapped != "" else None
                    bad = (mapped != "" and (canon is None or canon != mapped)) or (mapped == "" and raw != "")
                    rows.append((raw, canon, bad))
                table = f"map_{k}_{f.name}"
                self.con.execute(f"CREATE OR REPLACE TEMP TABLE {table} (raw VARCHAR, typed VARCHAR, bad BOOLEAN)")
                if rows:
                    self.con.executemany(f"INSERT INTO {table} VALUES (?, ?, ?)", rows)
                joins.append(f"LEFT JOIN {table} ON {table}.raw = {c}")
                cols.append(f"{table}.typed AS {_q(f.name)}")
                suspects.append(f"coalesce({table}.bad, true)")
            elif f.type == "string":
                cols.append(f"nullif({c}, '') AS {_q(f.name)}")
            else:  # date: the config's format first, then ISO, as the pandas path reads them
                exprs = []
                # a date column with mapped values: every value is typed (after the mapping) by pandas
                for fmt in [] if f.name in maps else dict.fromkeys([date_fmt, "%Y-%m-%d", "%Y-%m-%d 00:00:00"]):
                    regex = _format_regex(fmt)
                    if regex is not None:
                        exprs.append(f"WHEN regexp_full_match({c}, {_lit(regex)}) THEN try_strptime({c}, {_lit(fmt)})")
                typed = f"(CASE {' '.join(exprs)} END)" if exprs else "CAST(NULL AS TIMESTAMP)"
                cols.append(f"{typed} AS {_q(f.name)}")
                suspects.append(f"({c} <> '' AND coalesce(NOT (year({typed}) BETWEEN {_YEARS[0]} AND {_YEARS[1]}), true))")
        return (
            f"SELECT t.part, t.row, {', '.join(cols)}, ({' OR '.join(suspects)}) AS suspect "
            f"FROM ({self._text(k, part)}) t {' '.join(joins)}"
        )

    def screen(self, detentions: pd.DataFrame | None) -> None:
        """Type every row and mark those a check or rule could fault (see the module docstring)."""
        con = self.con
        con.execute("CREATE VIEW text AS " + " UNION ALL ".join(self._text(k, p) for k, p in enumerate(self.parts)))
        con.execute("CREATE TABLE typed AS " + " UNION ALL ".join(self._typed_part(k, p) for k, p in enumerate(self.parts)))
        for k, n in con.execute("SELECT part, count(*) FROM typed GROUP BY part").fetchall():
            self.parts[k].rows = int(n)  # records with a value (the CSV reader skips blank ones)
        cfg = self.cfg
        limit = (pd.Timestamp(cfg.data.extract_date) + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
        recorded = ", ".join(_lit(v) for v in cfg.data.event_types_recorded)
        # identifiers and crimes that repeat: few, found by grouping, then joined back
        con.execute(
            "CREATE TEMP TABLE repeated_ids AS SELECT event_id AS r_id FROM typed WHERE event_id IS NOT NULL GROUP BY 1 HAVING count(*) > 1"
        )
        con.execute(
            "CREATE TEMP TABLE repeated_crimes AS SELECT person_id AS r_person, event_type AS r_type, crime_ref AS r_crime FROM typed "
            "WHERE crime_ref IS NOT NULL AND person_id IS NOT NULL AND event_type IS NOT NULL GROUP BY 1, 2, 3 HAVING count(*) > 1"
        )
        marks = [
            "suspect",
            "r_id IS NOT NULL",
            "r_crime IS NOT NULL",
            f"(event_type IS NOT NULL AND event_type NOT IN ({recorded}))",
            "(event_type IN ('offence', 'victimisation') AND offence_group IS NULL)",
            "(event_type = 'missing_episode' AND offence_group IS NOT NULL)",
            "(event_type IS NOT NULL AND event_type <> 'offence' AND "
            "(proven_outcome IS NOT NULL OR proven_date IS NOT NULL OR detention_id IS NOT NULL))",
            "(event_type = 'offence' AND proven_date IS NOT NULL AND (proven_outcome IS NULL OR proven_outcome = 'none'))",
            "(proven_date < event_date)",
            f"(event_date >= TIMESTAMP '{limit}' OR proven_date >= TIMESTAMP '{limit}')",
        ]
        joins = [
            "LEFT JOIN repeated_ids ON r_id = event_id",
            "LEFT JOIN repeated_crimes ON r_person = person_id AND r_type = event_type AND r_crime = crime_ref",
        ]
        if detentions is not None:
            det = detentions[["detention_id", "person_id"]].dropna(subset=["detention_id"]).drop_duplicates("detention_id")
            det = det.astype(object).where(det.notna(), None).set_axis(["d_id", "d_person"], axis=1)
            con.register("detentions_in", det)
            joins.append("LEFT JOIN detentions_in ON d_id = detention_id")
            marks.append("(detention_id IS NOT NULL AND (d_person IS NULL OR d_person <> person_id))")
        columns = ", ".join(["part", "row", *(_q(f.name) for f in self.schema.fields)])
        con.execute(
            f"CREATE VIEW screened AS SELECT {columns}, coalesce({' OR '.join(marks)}, false) AS marked FROM typed {' '.join(joins)}"
        )

    # -- explaining ----------------------------------------------------------------------------------------------

    def explain(self) -> list[CheckedTable]:
        """Each file's marked rows, checked by `check_table` with the file's whole-column counts."""
        con = self.con
        con.execute("CREATE TEMP TABLE marked_rows AS SELECT part, row FROM screened WHERE marked")
        marked = self.marked = con.execute("SELECT count(*) FROM marked_rows").fetchone()[0]
        if marked > MAX_EXPLAINED:
            raise TooBroken(self, marked)
        out, keys = [], []
        for k, part in enumerate(self.parts):
            cols = ", ".join(f"r.c{i}" for i in range(len(part.header)))
            got = con.execute(
                f"SELECT r.rowid + {part.first_row} AS row, {cols} FROM raw_{k} r SEMI JOIN "
                f"(SELECT row FROM marked_rows WHERE part = {k}) s ON s.row = r.rowid + {part.first_row} ORDER BY 1"
            ).df()
            frame = got.drop(columns="row")
            frame.columns = part.header
            raw = RawTable(
                self.name,
                part.path,
                part.format,
                frame.reset_index(drop=True),
                got.row.to_numpy(),
                part.row_label,
                part.sha256,
                list(part.notes),
            )
            maps = self._value_maps(part)
            counts = {c: self._counts(k, c) for c in maps if c in self.schema.field_names}
            checked = check_table(raw, self.schema, self.cfg, part.source, counts)
            out.append(checked)
            keys.append(pd.DataFrame({"part": k, "row": got.row.to_numpy()}))
        self._keys = pd.concat(keys, ignore_index=True)
        return out

    def whole_table_facts(self, table: CheckedTable) -> None:
        """What the rules read of the whole table, set on the stacked table of explained rows."""
        n = self.con.execute("SELECT count(*) FROM screened").fetchone()[0]
        values = self.con.execute("SELECT DISTINCT event_type FROM screened WHERE event_type IS NOT NULL").fetchall()
        table.rows_in_table = int(n)
        table.values_in_table = {"event_type": frozenset(v[0] for v in values)}

    # -- writing -------------------------------------------------------------------------------------------------

    def finish(self, table: CheckedTable) -> EventTable:
        """The validated table as Parquet: the engine's typed rows, and pandas's for the explained ones; rows a rule
        found to repeat an earlier row are left out, as the pandas path leaves them out."""
        assert self._keys is not None, "explain() first"
        con = self.con
        explained = table.frame.copy()
        explained["part"] = self._keys.part.to_numpy()
        explained["row"] = self._keys.row.to_numpy()
        if table.repeats is not None:
            explained = explained[~table.repeats]
        cols = [c for c in EVENT_COLUMNS]
        for c in cols:
            if c not in explained:
                explained[c] = None
            elif EVENT_COLUMNS[c] != "TIMESTAMP":
                explained[c] = explained[c].astype(object).where(explained[c].notna(), None)
        con.register("explained_in", explained[["part", "row", *cols]].reset_index(drop=True))
        casts = ", ".join(f"CAST({_q(c)} AS {EVENT_COLUMNS[c]}) AS {_q(c)}" for c in cols)
        path = self.work.file("events.parquet")
        # _order keeps the files' row order (file, then row) without sorting the table
        con.execute(
            f"COPY (SELECT {', '.join(_q(c) for c in cols)}, CAST(part AS BIGINT) * {_PART_STRIDE} + row AS _order FROM ("
            f"SELECT part, row, {casts} FROM screened WHERE NOT marked "
            f"UNION ALL SELECT part, row, {casts} FROM explained_in)) TO '{_sql_path(path)}' (FORMAT parquet)"
        )
        rows = con.execute(f"SELECT count(*) FROM read_parquet('{_sql_path(path)}')").fetchone()[0]
        self.close()
        events = EventTable(path, rows, self.work)
        if self.key is not None:
            manifest = {
                "key": self.key,
                "parquet": str(path),
                "rows": int(rows),
                "problems": [dataclasses.asdict(p) for p in table.problems],
                "inputs": [[str(p.path), p.format, p.sha256, p.rows] for p in self.parts],
            }
            events.manifest = self.work.file("checked.json")
            events.manifest.write_text(json.dumps(manifest))
        return events

    def close(self) -> None:
        try:
            self.con.close()
        except Exception:  # noqa: BLE001 - closing twice is harmless
            pass


#: The environment variable through which `evaluation report` hands its checked events to the notebook's kernel.
HANDOFF = "EVALUATION_CHECKED_EVENTS"


def handoff_key(reads: list[tuple[Path, SourceConfig | None]], cfg: Config, detentions_sha256: str | None) -> str | None:
    """What a checked events table depends on: the config file, the custody detentions (the rules look up
    detention ids there) and each events file as it is on disk (path, size, modification time). None when the
    config was not read from a file."""
    if cfg.sha256 is None:
        return None
    files = []
    for path, _ in reads:
        st = path.stat()
        files.append([str(path.resolve()), st.st_size, st.st_mtime_ns])
    return hashlib.sha256(json.dumps([cfg.sha256, detentions_sha256, files]).encode()).hexdigest()


def handed_off(key: str | None) -> tuple[EventTable, list[Problem], list[tuple[Path, str, str, int]]] | None:
    """The events `evaluation report` already read and checked for these same inputs (the notebook's kernel
    loads the data again: this spares it checking the events twice), or None."""
    manifest_path = os.environ.get(HANDOFF)
    if key is None or not manifest_path or not Path(manifest_path).is_file():
        return None
    manifest = json.loads(Path(manifest_path).read_text())
    if manifest.get("key") != key or not Path(manifest["parquet"]).is_file():
        return None
    problems = [Problem(**p) for p in manifest["problems"]]
    inputs = [(Path(p), fmt, sha, int(rows)) for p, fmt, sha, rows in manifest["inputs"]]
    return EventTable(Path(manifest["parquet"]), manifest["rows"]), problems, inputs


class TooBroken(Exception):
    """More rows need explaining than can be listed: the problem is the whole extract, not some of its rows."""

    def __init__(self, read: EngineRead, marked: int):
        self.problem = Problem(
            file=", ".join(p.path.name for p in read.parts),
            message=f"{marked:,} rows fail a check (more than {MAX_EXPLAINED:,} are not listed one by one): check the "
            "column mappings, the date format and the value mappings in the config, then run `evaluation validate` on a sample",
            rule="too_many_problems",
        )
        super().__init__(str(self.problem))


def part_rows(read: EngineRead) -> list[tuple[Path, str, str, int]]:
    """(path, format, sha256, rows) of each file, for the provenance table."""
    return [(p.path, p.format, p.sha256, p.rows) for p in read.parts]
