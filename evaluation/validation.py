"""Check input tables against the contract in `data_schema/` and return typed tables.

Field checks (type, required, allowed values, range, uniqueness) are driven by the Table Schemas;
the rules each schema declares under `x-rules` are implemented here, one function per rule, and
registered by id (a test checks every declared rule has an implementation). All checks run, and
every problem is collected, before anything fails. Checks are vectorised so extracts of millions
of rows validate in seconds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from .config import Config, SourceConfig
from .problems import Problem
from .readers import RawTable
from .schema import FieldSpec, TableSchema

# --------------------------------------------------------------------------------------------
# Checked tables


@dataclass
class CheckedTable:
    """A table after field checks: typed values (invalid ones set missing) plus where they came from."""

    name: str
    file: str
    frame: pd.DataFrame
    row_numbers: np.ndarray
    row_label: str
    problems: list[Problem]
    row_files: np.ndarray | None = None  # the file of each row, when the table was read from several
    written: pd.DataFrame | None = None  # each contract column's values as written in the file (problems quote these)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)  # file -> contract column -> the file's own name
    repeats: np.ndarray | None = None  # rows a rule found to repeat an earlier row (warned about; left out of the analysis)
    # when `frame` holds only the rows the engine found worth explaining: the whole table's size and the distinct
    # values of the columns a rule reads as a whole
    rows_in_table: int | None = None
    values_in_table: dict[str, frozenset[str]] = field(default_factory=dict)

    def distinct(self, column: str) -> frozenset[str]:
        """The distinct values of `column` in the whole table."""
        if column in self.values_in_table:
            return self.values_in_table[column]
        return frozenset(self.frame[column].dropna())

    @property
    def table_rows(self) -> int:
        return len(self.frame) if self.rows_in_table is None else self.rows_in_table

    def problems_at(self, mask, column: str | None, message, rule: str, values=None, severity="error") -> None:
        """Add one problem for every row where `mask` is true. `message` may be a callable of the row position."""
        idx = np.flatnonzero(np.asarray(mask, dtype=bool))
        for i in idx:
            msg = message(i) if callable(message) else message
            value = None
            if values is not None:
                as_written = self.written is not None and column in self.written and (self.written[column].iloc[i] != "")
                v = self.written[column].iloc[i] if as_written else values.iloc[i] if isinstance(values, pd.Series) else values[i]  # type: ignore[index]
                value = None if _missing(v) else _show(v)
            file = self.file if self.row_files is None else str(self.row_files[i])
            self.problems.append(
                Problem(
                    file=file,
                    row=int(self.row_numbers[i]),
                    column=self.headers.get(file, {}).get(column, column) if column else column,
                    value=value,
                    message=msg,
                    rule=rule,
                    severity=severity,
                    row_label=self.row_label,
                )
            )


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT or v is pd.NA


def _show(v) -> str:
    if isinstance(v, pd.Timestamp):
        return v.strftime("%Y-%m-%d") if v == v.normalize() else v.strftime("%Y-%m-%d %H:%M")
    return str(v)


# --------------------------------------------------------------------------------------------
# Field parsing


_ISO_DATETIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")  # a date alone is midnight


def _parse_first(text: pd.Series, formats: list[str], whole_days: bool = False) -> pd.Series:
    """Each value read by the first of `formats` that reads it (NaT where none does, or where `whole_days` and
    the value has a time of day)."""
    present = text != ""
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    for fmt in formats:
        retry = present & out.isna()
        if not retry.any():
            break
        got = pd.to_datetime(text.where(retry), format=fmt, errors="coerce")
        if whole_days:
            got = got.where(got == got.dt.normalize())
        out = out.where(~(retry & got.notna()), got)
    return out


def _parse_dates(text: pd.Series, fmt: str) -> pd.Series:
    """Dates in the config's format; ISO dates (YYYY-MM-DD, which no day-first or month-first format can be
    confused with) and Excel/Parquet dates ('YYYY-MM-DD 00:00:00') are read whatever the format."""
    return _parse_first(text, [fmt, "%Y-%m-%d", "%Y-%m-%d %H:%M:%S"], whole_days=True)


def _parse_datetimes(text: pd.Series, fmt: str | None, date_fmt: str = "%Y-%m-%d") -> pd.Series:
    """Dates and times in the config's datetime format, else ISO; a date alone (in the date format) is midnight."""
    norm = text.str.replace("T", " ", n=1, regex=False)
    return _parse_first(norm, ([fmt] if fmt else []) + list(_ISO_DATETIME_FORMATS) + [date_fmt])


def _example(fmt: str, with_time: bool) -> str:
    when = dt.datetime(2020, 10, 19, 14, 30)
    return when.strftime(fmt) if fmt else when.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


def _check_field(t: CheckedTable, text: pd.Series, f: FieldSpec, cfg: Config) -> pd.Series:
    present = (text != "").to_numpy()
    where = f"[data.values.{t.name}.{f.name}]"
    if f.required:
        t.problems_at(~present, f.name, "a value is required here", "required")
    if f.type in ("string",):
        if f.enum:
            allowed = {_fold(v): v for v in f.enum}
            canon = text.map({u: allowed.get(_fold(u)) for u in text.unique()})  # folded once per distinct value
            bad = present & canon.isna().to_numpy()
            folded = present & canon.notna().to_numpy() & (canon != text).to_numpy()
            if folded.any():
                counts = text[folded].value_counts()
                _folding_warning(t, f.name, {v: str(allowed[_fold(v)]) for v in counts.index}, counts, "the contract's values")
            t.problems_at(
                bad,
                f.name,
                f"not an allowed value; expected one of {', '.join(f.enum)} "
                f"(local codes can be mapped to these with {where} in the config)",
                "allowed_values",
                text,
            )
            typed = canon.astype(object)
        else:
            typed = text.astype(object).where(present, np.nan)
    elif f.type == "integer":
        ok = text.str.fullmatch(r"[+-]?\d+").fillna(False).to_numpy()
        t.problems_at(present & ~ok, f.name, "expected a whole number", "type", text)
        typed = pd.to_numeric(text.where(present & ok), errors="coerce").astype("Int64")
    elif f.type == "number":
        num = pd.to_numeric(text.where(present), errors="coerce")
        ok = num.notna().to_numpy() & np.isfinite(num.to_numpy(dtype=float, na_value=np.nan))
        t.problems_at(present & ~ok, f.name, "expected a number (digits, optional decimal point, no £ sign or commas)", "type", text)
        typed = num.where(ok).astype(float)
    elif f.type == "date":
        typed = _parse_dates(text, cfg.data.date_format)
        t.problems_at(
            present & typed.isna().to_numpy(),
            f.name,
            f"expected a date like {_example(cfg.data.date_format, False)} (format {cfg.data.date_format}; "
            "set [data] date_format in the config if your extract writes dates differently)",
            "type",
            text,
        )
    elif f.type == "datetime":
        typed = _parse_datetimes(text, cfg.data.datetime_format, cfg.data.date_format)
        fmt = (cfg.data.datetime_format or "YYYY-MM-DD HH:MM[:SS]") + f", or a date alone ({cfg.data.date_format})"
        t.problems_at(
            present & typed.isna().to_numpy(),
            f.name,
            f"expected a date and time like {_example(cfg.data.datetime_format or '', True)} ({fmt}; "
            "set [data] datetime_format in the config if your extract writes them differently)",
            "type",
            text,
        )
    else:  # pragma: no cover - schema types are fixed
        raise ValueError(f"unsupported field type {f.type}")
    if f.minimum is not None or f.maximum is not None:
        num = typed.astype(float)
        if f.minimum is not None:
            t.problems_at((num < f.minimum).fillna(False).to_numpy(), f.name, f"is below the minimum {f.minimum:g}", "range", text)
        if f.maximum is not None:
            t.problems_at((num > f.maximum).fillna(False).to_numpy(), f.name, f"is above the maximum {f.maximum:g}", "range", text)
    if f.unique:
        valid = pd.Series(text.where(present)).reset_index(drop=True)
        dup = valid.duplicated(keep="first") & valid.notna()
        if dup.any():
            first_row: dict[Any, int] = {}
            for i, v in zip(valid.index[valid.notna()], valid[valid.notna()]):
                first_row.setdefault(v, int(t.row_numbers[i]))
            t.problems_at(
                dup.to_numpy(),
                f.name,
                lambda i: f"must be unique, but it already appears in {t.row_label} {first_row[valid.iloc[i]]}",
                "unique",
                text,
            )
    return typed


def check_table(
    raw: RawTable, schema: TableSchema, cfg: Config, source: SourceConfig | None = None, counts: Mapping[str, pd.Series] | None = None
) -> CheckedTable:
    """Column and field checks of one table (or one of its files, read as `source` says); returns typed values and
    the problems found. A source's column and value mappings add to [data.columns] and [data.values]; its date
    formats replace [data]'s for this file. `counts` (contract column -> value counts of the whole file) are given
    when `raw` holds only some of the file's rows."""
    if source is not None and (source.date_format or source.datetime_format):
        cfg = replace(
            cfg,
            data=replace(
                cfg.data,
                date_format=source.date_format or cfg.data.date_format,
                datetime_format=source.datetime_format or cfg.data.datetime_format,
            ),
        )
    t = CheckedTable(raw.name, raw.file, pd.DataFrame(index=raw.frame.index), raw.row_numbers, raw.row_label, list(raw.notes))
    frame = raw.frame
    header_problem = lambda column, message, rule, severity="error": t.problems.append(  # noqa: E731
        Problem(file=t.file, row=1 if raw.row_label == "row" else None, column=column, message=message, rule=rule, severity=severity)
    )

    renames = {**cfg.data.columns.get(schema.name, {}), **(source.columns if source else {})}
    for local, contract in renames.items():
        if contract not in schema.field_names:
            header_problem(
                local,
                f"[data.columns.{schema.name}] maps it to '{contract}', which is not a column of the contract "
                f"(columns: {', '.join(schema.field_names)})",
                "config_mapping",
            )
    cols = [renames.get(c, c) for c in frame.columns]
    t.headers[t.file] = {renames[c]: c for c in frame.columns if c in renames and renames[c] in schema.field_names}
    seen: dict[str, int] = {}
    for pos, c in enumerate(cols):
        if c == "":
            if (frame.iloc[:, pos] != "").any():
                header_problem(f"#{pos + 1}", "has values but no column name; it is ignored", "blank_header", "warning")
            continue
        if c in seen:
            header_problem(c, f"appears twice in the header (columns {seen[c] + 1} and {pos + 1})", "duplicate_column")
        seen.setdefault(c, pos)
    missing = [f.name for f in schema.fields if not f.optional_column and f.name not in seen]
    for name in missing:
        header_problem(name, f"required column is missing; the header has: {', '.join(c for c in cols if c)}", "missing_column")
    unknown = [c for c in seen if c not in schema.field_names]
    if unknown:
        header_problem(", ".join(unknown), "not in the contract; ignored (and never copied into any output)", "unknown_column", "warning")

    value_maps = {k: dict(v) for k, v in cfg.data.values.get(schema.name, {}).items()}
    for column, extra in (source.values if source else {}).items():
        value_maps[column] = {**value_maps.get(column, {}), **extra}
    for column in value_maps:
        if column not in schema.field_names:
            header_problem(
                column, f"[data.values.{schema.name}.{column}] maps values of a column that is not in the contract", "config_mapping"
            )

    t.written = pd.DataFrame(index=frame.index)
    for f in schema.fields:
        if f.name in seen:
            text = frame.iloc[:, seen[f.name]].astype(str)
            t.written[f.name] = text
            mapping = value_maps.get(f.name)
            if mapping:
                text = _map_codes(t, text, f.name, mapping, f"[data.values.{schema.name}.{f.name}]", (counts or {}).get(f.name))
            t.frame[f.name] = _check_field(t, text, f, cfg).to_numpy()
        else:
            t.frame[f.name] = _empty_typed(f, len(frame))
        default = _default(f, schema, cfg)
        if default is not None:
            t.frame[f.name] = t.frame[f.name].fillna(default)
    if schema.name == "custody_detentions" and "event_kind" not in seen and len(cfg.programme.index_events) > 1:
        header_problem(
            "event_kind",
            f"is needed when [programme] index_events lists several kinds ({', '.join(cfg.programme.index_events)}): "
            "it says which each row is; the header has: " + ", ".join(c for c in cols if c),
            "missing_column",
        )
    return t


def _default(f: FieldSpec, schema: TableSchema, cfg: Config) -> str | None:
    """The value of an empty cell (x-default); an index event's kind is the programme's one kind when it has one."""
    if schema.name == "custody_detentions" and f.name == "event_kind" and len(cfg.programme.index_events) == 1:
        return cfg.programme.index_events[0]
    return f.default


def _fold(value: str) -> str:
    return " ".join(value.split()).casefold()


def _folding_warning(t: CheckedTable, column: str, folds: dict[str, str], counts: pd.Series, what: str) -> None:
    """One warning per column listing the values matched ignoring case and spaces, so nothing is folded unseen."""
    listed = "; ".join(f"{v!r} as {to!r} ({int(counts[v])} row{'s' if counts[v] != 1 else ''})" for v, to in sorted(folds.items())[:8])
    more = f"; and {len(folds) - 8} more" if len(folds) > 8 else ""
    t.problems.append(
        Problem(
            file=t.file,
            column=t.headers.get(t.file, {}).get(column, column),
            message=f"values matched {what} ignoring case and spaces: {listed}{more}",
            rule="values_folded",
            severity="warning",
        )
    )


def code_map(counts: pd.Series, mapping: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """For the distinct values of a column (`counts`: value -> rows), the contract value each local code maps to,
    and the codes matched only ignoring case and spacing (value -> the config's code)."""
    exact = {k.strip(): v.strip() for k, v in mapping.items()}
    folded = {_fold(k): (k.strip(), v.strip()) for k, v in mapping.items()}
    out_map, folds = {}, {}
    for value in counts.index:
        if value in exact:
            out_map[value] = exact[value]
        elif _fold(value) in folded and value != "":
            key, to = folded[_fold(value)]
            out_map[value] = to
            folds[value] = key
    return out_map, folds


def _map_codes(
    t: CheckedTable, text: pd.Series, column: str, mapping: Mapping[str, str], where: str, counts: pd.Series | None = None
) -> pd.Series:
    """Local codes replaced by the contract's values. A code written in another case or spacing than in the config
    (GREEN, 'Green ', 'Plan  agreed') still maps, and a warning lists each such code. `counts` are the column's
    value counts when `text` holds only some of its rows (the engine's rows to explain)."""
    counts = text.value_counts() if counts is None else counts
    out_map, folds = code_map(counts, mapping)
    if folds:
        _folding_warning(t, column, folds, counts, f"to the codes in {where}")
    used = {_fold(v) for v in out_map}
    unused = [k for k in mapping if _fold(k) not in used]
    if unused:
        t.problems.append(
            Problem(
                file=t.file,
                column=column,
                message=f"{where} maps {', '.join(map(repr, unused))}, which appear{'s' if len(unused) == 1 else ''} nowhere in "
                "the column: a misspelt code, or one this extract does not use",
                rule="unused_mapping",
                severity="warning",
            )
        )
    return text.map(lambda v: out_map.get(v, v))


def stack(tables: list[CheckedTable], schema: TableSchema) -> CheckedTable:
    """One table from its files, each row keeping its own file and row number; identifiers that must be unique
    are checked across the files too."""
    if len(tables) == 1:
        return tables[0]
    frame = pd.concat([t.frame for t in tables], ignore_index=True)
    files = np.concatenate([np.full(len(t.frame), t.file, dtype=object) for t in tables])
    rows = np.concatenate([t.row_numbers for t in tables])
    label = "row" if any(t.row_label == "row" for t in tables) else "record"
    written = pd.concat([t.written if t.written is not None else pd.DataFrame(index=t.frame.index) for t in tables], ignore_index=True)
    out = CheckedTable(schema.name, ", ".join(dict.fromkeys(t.file for t in tables)), frame, rows, label, [], files, written.fillna(""))
    for t in tables:
        out.problems.extend(t.problems)
        out.headers.update(t.headers)
    for f in schema.fields:
        if f.unique:
            s = frame[f.name]
            ids = pd.DataFrame({"v": s, "file": files, "row": rows})[s.notna().to_numpy()]
            firsts = ids.drop_duplicates("v").set_index("v")  # within a file, duplicates were reported by its own check
            first_file = ids.v.map(firsts.file)
            dup = np.zeros(len(s), dtype=bool)
            dup[ids.index[(ids.file != first_file).to_numpy()]] = True
            out.problems_at(
                dup,
                f.name,
                lambda i: (
                    f"already appears in {firsts.file[s.iloc[i]]}, row {int(firsts.row[s.iloc[i]])}; it must be unique across "
                    "the table's files"
                ),
                "unique",
                s,
            )
    return out


def _empty_typed(f: FieldSpec, n: int) -> pd.Series:
    if f.type in ("date", "datetime"):
        return pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    if f.type == "integer":
        return pd.Series(pd.NA, index=range(n), dtype="Int64")
    if f.type == "number":
        return pd.Series(np.nan, index=range(n), dtype=float)
    return pd.Series(np.nan, index=range(n), dtype=object)


# --------------------------------------------------------------------------------------------
# Rules declared in the schemas (x-rules)

Tables = dict[str, CheckedTable]
RULES: dict[str, tuple[Callable[[Tables, Config], None], tuple[str, ...]]] = {}


def rule(rule_id: str, *needs: str):
    """Register the implementation of schema rule `rule_id`; it runs when the tables it needs loaded."""

    def register(fn):
        RULES[rule_id] = (fn, needs)
        return fn

    return register


def _day(s: pd.Series) -> pd.Series:
    return s.dt.normalize()


def _date_text(ts) -> str:
    return pd.Timestamp(ts).strftime("%Y-%m-%d")


@rule("release_after_arrival", "custody_detentions")
def _release_after_arrival(tables: Tables, cfg: Config) -> None:
    t = tables["custody_detentions"]
    f = t.frame
    t.problems_at(
        (f.release_datetime < f.arrival_datetime).to_numpy(),
        "release_datetime",
        lambda i: f"is before the arrival ({_show(f.arrival_datetime.iloc[i])})",
        "date_order",
        f.release_datetime,
    )


@rule("not_after_extract")
def _not_after_extract(
    tables: Tables, cfg: Config, names: tuple[str, ...] = ("custody_detentions", "programme_contacts", "events")
) -> None:
    """Every date (or date and time) in these tables is on or before the extract date."""
    limit = pd.Timestamp(cfg.data.extract_date) + pd.Timedelta(days=1)
    for name in names:
        t = tables.get(name)
        if t is None:
            continue
        for col in t.frame.columns:
            s = t.frame[col]
            if pd.api.types.is_datetime64_any_dtype(s):
                t.problems_at((s >= limit).to_numpy(), col, f"is after the extract date ({cfg.data.extract_date})", "after_extract", s)


@rule("costs_start_not_after_extract", "costs")
def _costs_start(tables: Tables, cfg: Config) -> None:
    t = tables.get("costs")
    if t is not None:
        s = t.frame.start_date
        t.problems_at(
            (s > pd.Timestamp(cfg.data.extract_date)).to_numpy(),
            "start_date",
            f"is after the extract date ({cfg.data.extract_date}); planned spending belongs in the renewal scenario, not the costs table",
            "after_extract",
            s,
        )


@rule("config_names_in_data", "custody_detentions")
def _config_names_in_data(tables: Tables, cfg: Config) -> None:
    """Every suite and area the config names appears in the data. Written in another case or spacing ('WOOD
    GREEN'), the data's spelling is read as the config's, with a warning; appearing nowhere, it is an error
    naming the closest values that do appear (a misspelt suite silently empties the programme group)."""
    import difflib

    t = tables["custody_detentions"]
    p, c = cfg.programme, cfg.comparison
    checks = (
        ("custody_suite", "[programme] suites", p.suites),
        ("custody_suite", "[comparison] suites", c.suites),
        ("residence_area", "[programme] home_areas", p.home_areas),
        ("residence_area", "[comparison] residence_areas", c.residence_areas or ()),
    )
    config_file = Path(cfg.source).name if cfg.source != "<dict>" else "evaluation.toml"
    for column, key, names in checks:
        s = t.frame[column]
        present = set(s.dropna())
        by_fold: dict[str, list[str]] = {}
        for v in present:
            by_fold.setdefault(_fold(v), []).append(v)
        renames: dict[str, str] = {}
        for name in names:
            if name in present:
                continue
            spelt = [v for v in by_fold.get(_fold(name), []) if v != name]
            if spelt:
                renames.update({v: name for v in spelt})
                continue
            near = difflib.get_close_matches(_fold(name), list(by_fold), n=3, cutoff=0.5)
            closest = [v for f in near for v in sorted(by_fold[f])]
            t.problems.append(
                Problem(
                    file=config_file,
                    column=key,
                    value=name,
                    message=f"appears nowhere in {t.file}, column {column}"
                    + (
                        f"; the closest values there: {', '.join(map(repr, closest))}"
                        if closest
                        else f"; it holds {len(present)} other value(s)"
                    ),
                    rule="config_names_in_data",
                    column_label="key",
                )
            )
        if renames:
            counts = s.value_counts()
            t.frame[column] = s.replace(renames)
            _folding_warning(t, column, renames, counts, f"to the names in {key}")


@rule("event_kind_configured", "custody_detentions")
def _event_kind(tables: Tables, cfg: Config) -> None:
    t = tables["custody_detentions"]
    kinds = cfg.programme.index_events
    s = t.frame.event_kind
    t.problems_at(
        (~s.isin(kinds)).to_numpy(),
        "event_kind",
        f"is a kind of index event the config does not list ([programme] index_events = {list(kinds)}); "
        "add it there if the programme meets people at such events",
        "index_event_kind",
        s,
    )


@rule("event_type_recorded", "events")
def _event_type_recorded(tables: Tables, cfg: Config) -> None:
    t = tables["events"]
    recorded = cfg.data.event_types_recorded
    s = t.frame.event_type
    t.problems_at(
        (s.notna() & ~s.isin(recorded)).to_numpy(),
        "event_type",
        f"is a kind of event the config says the extract does not record ([data] event_types_recorded = {list(recorded)})",
        "event_type_recorded",
        s,
    )
    present = t.distinct("event_type")
    for kind in recorded:
        if t.table_rows and kind not in present:
            t.problems.append(
                Problem(
                    file=t.file,
                    column="event_type",
                    message=f"holds no '{kind}' event at all: if the extract does not record them, leave '{kind}' out of "
                    "[data] event_types_recorded, or the report reads 'none' as 'no change'",
                    rule="event_type_recorded",
                    severity="warning",
                )
            )


@rule("crime_ref_once_per_person", "events")
def _crime_ref_once(tables: Tables, cfg: Config) -> None:
    """A person's second record of the same crime and type (same crime_ref) is the same event recorded twice: a
    warning naming the row it repeats, and counted once."""
    t = tables["events"]
    if "crime_ref" not in t.frame or not t.frame.crime_ref.notna().any():
        return
    f = t.frame[["person_id", "event_type", "crime_ref"]]
    keyed = f.crime_ref.notna() & f.person_id.notna() & f.event_type.notna()
    dup = (f.duplicated(keep="first") & keyed).to_numpy()
    if not dup.any():
        return
    first = f[keyed].reset_index(drop=True).assign(pos=np.flatnonzero(keyed.to_numpy()))
    first_pos = first.drop_duplicates(["person_id", "event_type", "crime_ref"]).set_index(["person_id", "event_type", "crime_ref"]).pos
    rows = t.row_numbers

    def message(i: int) -> str:
        k = tuple(f.iloc[i])
        return f"repeats {t.row_label} {rows[int(first_pos[k])]} (same person, event type and crime_ref): counted once"

    t.problems_at(dup, "crime_ref", message, "crime_ref_once_per_person", f.crime_ref, severity="warning")
    t.repeats = dup


@rule("person_sex_consistent", "custody_detentions")
def _person_sex(tables: Tables, cfg: Config) -> None:
    t = tables["custody_detentions"]
    f = t.frame[["person_id", "sex"]].copy()
    f["pos"] = np.arange(len(f))
    known = f[f.sex.notna() & (f.sex != "unknown") & f.person_id.notna()]
    first = known.groupby("person_id", sort=False).first()
    merged = known.merge(first, left_on="person_id", right_index=True, suffixes=("", "_first"), how="left")
    bad = merged[merged.sex != merged.sex_first]
    mask = np.zeros(len(f), dtype=bool)
    mask[bad.pos.to_numpy()] = True
    lookup = dict(zip(bad.pos, zip(bad.person_id, bad.sex_first, bad.pos_first)))
    t.problems_at(
        mask,
        "sex",
        lambda i: f"person {lookup[i][0]} is recorded as '{lookup[i][1]}' in {t.row_label} {t.row_numbers[lookup[i][2]]}",
        "person_consistency",
        f.sex,
    )


def age_on(born: pd.Series, on: pd.Series) -> pd.Series:
    """Age in completed years on each date (a birthday counts from the day itself)."""
    years = on.dt.year - born.dt.year
    before_birthday = (on.dt.month < born.dt.month) | ((on.dt.month == born.dt.month) & (on.dt.day < born.dt.day))
    return (years - before_birthday.astype(int)).astype("Int64")


@rule("age_from_date_of_birth", "custody_detentions")
def _age_from_dob(tables: Tables, cfg: Config) -> None:
    """Ages computed from dates of birth where the extract gives them; then the dates of birth are dropped, so
    that they never travel further than the loader."""
    t = tables["custody_detentions"]
    f = t.frame
    dob = f.pop("date_of_birth") if "date_of_birth" in f else pd.Series(pd.NaT, index=f.index)
    if t.written is not None and "date_of_birth" in t.written:
        t.written = t.written.drop(columns="date_of_birth")
    computed = age_on(dob, f.arrival_datetime)
    given = f.age_at_arrival
    t.problems_at(
        (given.isna() & computed.isna()).to_numpy(),
        "age_at_arrival",
        "a value is required here (or a date_of_birth to compute it from)",
        "required",
    )
    differ = (given.notna() & computed.notna() & (given != computed)).fillna(False).to_numpy()
    t.problems_at(
        differ,
        "age_at_arrival",
        lambda i: f"does not match the age at arrival computed from the date of birth ({int(computed.iloc[i])})",
        "age_from_date_of_birth",
        given,
    )
    t.problems_at(
        (computed.notna() & ((computed < 10) | (computed > 110))).fillna(False).to_numpy(),
        "age_at_arrival",
        lambda i: f"computed from the date of birth as {int(computed.iloc[i])}, outside 10 to 110",
        "range",
    )
    f["age_at_arrival"] = given.fillna(computed)


@rule("person_age_consistent", "custody_detentions")
def _person_age(tables: Tables, cfg: Config) -> None:
    t = tables["custody_detentions"]
    f = t.frame[["person_id", "arrival_datetime", "age_at_arrival"]].copy()
    f["pos"] = np.arange(len(f))
    f = f.dropna()
    if f.empty:
        return
    a = f.arrival_datetime
    year_len = np.where(a.dt.is_leap_year, 366.0, 365.0)
    when = a.dt.year + (a.dt.day_of_year - 1) / year_len
    age = f.age_at_arrival.astype(float)
    f["born_after"] = when - age - 1  # birth is after this (decimal years)
    f["born_by"] = when - age  # and not after this
    g = f.groupby("person_id", sort=False)
    latest_after = f.loc[g.born_after.idxmax()].set_index("person_id")
    earliest_by = f.loc[g.born_by.idxmin()].set_index("person_id")
    tol = 2 / 365.0
    bad = latest_after.born_after > earliest_by.born_by + tol
    mask = np.zeros(len(t.frame), dtype=bool)
    other = {}  # row position -> (age, date, row number) of the detention it conflicts with
    for person in bad[bad].index:
        a_row, b_row = latest_after.loc[person], earliest_by.loc[person]
        for this, that in ((a_row, b_row), (b_row, a_row)):
            mask[int(this.pos)] = True
            other[int(this.pos)] = (int(that.age_at_arrival), _date_text(that.arrival_datetime), int(t.row_numbers[int(that.pos)]))
    t.problems_at(
        mask,
        "age_at_arrival",
        lambda i: (
            f"does not fit the same person's age {other[i][0]} on {other[i][1]} ({t.row_label} {other[i][2]}): "
            "no single date of birth gives both"
        ),
        "person_consistency",
        t.frame.age_at_arrival,
    )


def _foreign(t: CheckedTable, tables: Tables, column: str) -> pd.DataFrame:
    """Join a table's detention_id to custody_detentions; report ids that do not exist."""
    det = tables["custody_detentions"].frame[["detention_id", "person_id", "arrival_datetime"]]
    det = det.dropna(subset=["detention_id"]).drop_duplicates("detention_id").set_index("detention_id")
    ids = t.frame[column]
    joined = det.reindex(ids.to_numpy())
    joined.index = t.frame.index
    unknown = ids.notna() & joined.person_id.isna() & ~ids.isin(det.index[det.person_id.isna()])
    t.problems_at(unknown.to_numpy(), column, "does not exist in custody_detentions", "foreign_key", ids)
    return joined


def _person_matches_detention(t, tables: Tables) -> None:
    """A row's person must be the person of the detention it names."""
    det = _foreign(t, tables, "detention_id")
    bad = t.frame.person_id.notna() & det.person_id.notna() & (t.frame.person_id != det.person_id)
    t.problems_at(
        bad.to_numpy(),
        "person_id",
        lambda i: f"differs from the person of detention {t.frame.detention_id.iloc[i]} ('{det.person_id.iloc[i]}' in custody_detentions)",
        "person_consistency",
        t.frame.person_id,
    )


@rule("contact_person_matches_detention", "custody_detentions", "programme_contacts")
def _contact_person(tables: Tables, cfg: Config) -> None:
    _person_matches_detention(tables["programme_contacts"], tables)


@rule("contact_not_before_arrival", "custody_detentions", "programme_contacts")
def _contact_after_arrival(tables: Tables, cfg: Config) -> None:
    t = tables["programme_contacts"]
    det = tables["custody_detentions"].frame.dropna(subset=["detention_id"]).drop_duplicates("detention_id").set_index("detention_id")
    arrival = det.arrival_datetime.reindex(t.frame.detention_id.to_numpy()).to_numpy()
    arrival = pd.Series(arrival, index=t.frame.index)
    bad = t.frame.contact_date < _day(arrival)
    t.problems_at(
        bad.to_numpy(),
        "contact_date",
        lambda i: f"is before the detention began ({_date_text(arrival.iloc[i])})",
        "date_order",
        t.frame.contact_date,
    )


def _not_before(t: CheckedTable, later: str, earlier: str, rule_id: str) -> None:
    f = t.frame
    t.problems_at(
        (f[later] < f[earlier]).to_numpy(), later, lambda i: f"is before {earlier} ({_show(f[earlier].iloc[i])})", "date_order", f[later]
    )


@rule("followup_not_before_contact", "programme_contacts")
def _followup(tables: Tables, cfg: Config) -> None:
    _not_before(tables["programme_contacts"], "followup_date", "contact_date", "followup_not_before_contact")


@rule("intervention_start_not_before_contact", "programme_contacts")
def _start(tables: Tables, cfg: Config) -> None:
    _not_before(tables["programme_contacts"], "intervention_start_date", "contact_date", "intervention_start_not_before_contact")


@rule("intervention_end_not_before_start", "programme_contacts")
def _end(tables: Tables, cfg: Config) -> None:
    t = tables["programme_contacts"]
    _not_before(t, "intervention_end_date", "intervention_start_date", "intervention_end_not_before_start")
    f = t.frame
    t.problems_at(
        (f.intervention_end_date.notna() & f.intervention_start_date.isna()).to_numpy(),
        "intervention_start_date",
        "is empty, but the row has an intervention_end_date; an intervention that ended must have started",
        "date_order",
    )


@rule("offence_group_required", "events")
def _offence_group(tables: Tables, cfg: Config) -> None:
    t = tables.get("events")
    if t is None:
        return
    f = t.frame
    needs = f.event_type.isin(["offence", "victimisation"])
    t.problems_at(
        (needs & f.offence_group.isna()).to_numpy(),
        "offence_group",
        lambda i: f"is required for event_type '{f.event_type.iloc[i]}'",
        "conditional_required",
    )
    t.problems_at(
        ((f.event_type == "missing_episode") & f.offence_group.notna()).to_numpy(),
        "offence_group",
        "must be empty for a missing episode",
        "conditional_required",
        f.offence_group,
    )


@rule("outcome_only_for_offences", "events")
def _outcome_only(tables: Tables, cfg: Config) -> None:
    t = tables.get("events")
    if t is None:
        return
    f = t.frame
    not_offence = f.event_type.notna() & (f.event_type != "offence")
    for col in ("proven_outcome", "proven_date", "detention_id"):
        t.problems_at(
            (not_offence & f[col].notna()).to_numpy(),
            col,
            lambda i: f"must be empty for event_type '{f.event_type.iloc[i]}' (offences only)",
            "conditional_required",
            f[col],
        )


@rule("proven_date_needs_outcome", "events")
def _proven_needs_outcome(tables: Tables, cfg: Config) -> None:
    t = tables.get("events")
    if t is None:
        return
    f = t.frame
    bad = (f.event_type == "offence") & f.proven_date.notna() & (f.proven_outcome.isna() | (f.proven_outcome == "none"))
    t.problems_at(
        bad.to_numpy(), "proven_outcome", "is empty or 'none', but the row has a proven_date", "conditional_required", f.proven_outcome
    )


@rule("proven_not_before_event", "events")
def _proven_order(tables: Tables, cfg: Config) -> None:
    t = tables.get("events")
    if t is not None:
        _not_before(t, "proven_date", "event_date", "proven_not_before_event")


@rule("event_person_matches_detention", "custody_detentions", "events")
def _event_person(tables: Tables, cfg: Config) -> None:
    t = tables.get("events")
    if t is not None:
        _person_matches_detention(t, tables)


@rule("end_not_before_start", "costs")
def _cost_order(tables: Tables, cfg: Config) -> None:
    t = tables.get("costs")
    if t is not None:
        _not_before(t, "end_date", "start_date", "end_not_before_start")


@rule("cost_lines_consistent", "costs")
def _cost_lines(tables: Tables, cfg: Config) -> None:
    """A budget double-counts when a line repeats another (same item and category, overlapping days) or is the sum
    of the same category's lines inside its period (a total row under another name); it understates when days of
    the programme have no staff line (a missing quarter). Errors, unless the config says they are intended."""
    t = tables["costs"]
    f = t.frame
    ok = f.start_date.notna() & f.end_date.notna() & f.amount_gbp.notna() & (f.end_date >= f.start_date)
    severity = "warning" if cfg.costs.overlapping_lines_intended else "error"
    why = " (set [costs] overlapping_lines_intended = true if they are separate costs)"
    item = f.item.fillna("").map(_fold)
    seen: dict[tuple[str, str], list[int]] = {}
    repeats = np.zeros(len(f), dtype=bool)
    first_of: dict[int, int] = {}
    rows_ok = [int(i) for i in np.flatnonzero(ok.to_numpy())]
    for i in rows_ok:
        key = (item.iloc[i], str(f.category.iloc[i]))
        for j in seen.get(key, []):
            if f.start_date.iloc[i] <= f.end_date.iloc[j] and f.start_date.iloc[j] <= f.end_date.iloc[i]:
                repeats[i], first_of[i] = True, j
                break
        seen.setdefault(key, []).append(i)
    t.problems_at(
        repeats,
        "start_date",
        lambda i: f"overlaps row {int(t.row_numbers[first_of[i]])}, a line of the same item and category: counted twice{why}",
        "cost_overlap",
        f.start_date,
        severity=severity,
    )
    sums = np.zeros(len(f), dtype=bool)
    parts_of: dict[int, list[int]] = {}
    for i in rows_ok:
        inside = [
            j
            for j in rows_ok
            if j != i
            and not repeats[j]
            and f.category.iloc[j] == f.category.iloc[i]
            and f.start_date.iloc[j] >= f.start_date.iloc[i]
            and f.end_date.iloc[j] <= f.end_date.iloc[i]
        ]
        total = float(f.amount_gbp.iloc[inside].sum()) if inside else 0.0
        if len(inside) >= 2 and total > 0 and abs(total - float(f.amount_gbp.iloc[i])) <= 0.005 * total:
            sums[i], parts_of[i] = True, inside
    t.problems_at(
        sums,
        "amount_gbp",
        lambda i: (
            "equals the sum of rows "
            + ", ".join(str(int(t.row_numbers[j])) for j in parts_of[i][:6])
            + (" …" if len(parts_of[i]) > 6 else "")
            + f" (the same category, inside its period): a total counted as a cost{why}"
        ),
        "cost_overlap",
        f.amount_gbp,
        severity=severity,
    )
    staff = f[ok & (f.category == "staff")]
    p = cfg.programme
    last = min(pd.Timestamp(p.end), pd.Timestamp(cfg.data.extract_date))
    days = pd.date_range(pd.Timestamp(p.start), last, freq="D")
    if staff.empty or days.empty:
        return
    covered = np.zeros(len(days), dtype=bool)
    for s, e in zip(staff.start_date, staff.end_date):
        covered |= (days >= s) & (days <= e)
    if covered.all():
        return
    gaps, k = [], 0
    while k < len(days):
        if covered[k]:
            k += 1
            continue
        j = k
        while j + 1 < len(days) and not covered[j + 1]:
            j += 1
        gaps.append((days[k], days[j]))
        k = j + 1
    listed = "; ".join(f"{a:%Y-%m-%d} to {b:%Y-%m-%d}" if a != b else f"{a:%Y-%m-%d}" for a, b in gaps[:4])
    t.problems.append(
        Problem(
            file=t.file,
            column="start_date",
            message=f"no staff line covers {int((~covered).sum())} day(s) of the programme period ({listed}"
            + ("; …" if len(gaps) > 4 else "")
            + "): the cost per person would be understated (set [costs] staff_gaps_intended = true if no one was paid then)",
            rule="staff_gap",
            severity="warning" if cfg.costs.staff_gaps_intended else "error",
        )
    )


@rule("spell_end_not_before_start", "spells")
def _spell_order(tables: Tables, cfg: Config) -> None:
    _not_before(tables["spells"], "end_date", "start_date", "spell_end_not_before_start")


@rule("custody_end_not_before_start", "custody_spells")
def _custody_order(tables: Tables, cfg: Config) -> None:
    _not_before(tables["custody_spells"], "end_date", "start_date", "custody_end_not_before_start")


@rule("referrals_not_after_extract", "referrals")
def _referrals_extract(tables: Tables, cfg: Config) -> None:
    _not_after_extract(tables, cfg, ("referrals",))


@rule("spells_not_after_extract", "spells")
def _spells_extract(tables: Tables, cfg: Config) -> None:
    _not_after_extract(tables, cfg, ("spells", "custody_spells"))


@rule("custody_spells_do_not_overlap", "custody_spells")
def _custody_overlap(tables: Tables, cfg: Config) -> None:
    _no_overlap(tables["custody_spells"], cfg, "custody spell")


@rule("no_detention_inside_custody", "custody_spells", "custody_detentions")
def _detention_in_custody(tables: Tables, cfg: Config) -> None:
    """An arrest in the community cannot fall strictly inside the same person's prison spell."""
    t = tables["custody_detentions"]
    c = tables["custody_spells"]
    spells = c.frame[["person_id", "start_date", "end_date"]].copy()
    spells["row"] = c.row_numbers
    spells["end_date"] = spells.end_date.fillna(pd.Timestamp(cfg.data.extract_date))
    det = t.frame[["person_id", "arrival_datetime"]].copy()
    det["pos"] = np.arange(len(det))
    m = det.dropna().merge(spells.dropna(subset=["person_id", "start_date"]), on="person_id")
    day = m.arrival_datetime.dt.normalize()
    inside = m[(day > m.start_date) & (day < m.end_date)].drop_duplicates("pos")
    mask = np.zeros(len(det), dtype=bool)
    mask[inside.pos.to_numpy()] = True
    where = dict(zip(inside.pos, inside.row))
    t.problems_at(
        mask,
        "arrival_datetime",
        lambda i: (
            f"falls inside the same person's custody spell (custody_spells.csv {c.row_label} {where[i]}): a person in prison is not arrested in the community"
        ),
        "date_order",
        t.frame.arrival_datetime,
    )


def _no_overlap(t: CheckedTable, cfg: Config, what: str, why: str = "") -> None:
    """A person's rows in start order: each starts after the one before ends (an open row ends at the extract)."""
    f = t.frame[["person_id", "start_date", "end_date"]].copy()
    f["pos"] = np.arange(len(f))
    f = f.dropna(subset=["person_id", "start_date"]).sort_values(["person_id", "start_date", "pos"], kind="stable")
    open_end = f.end_date.fillna(pd.Timestamp(cfg.data.extract_date))
    prev_end = open_end.groupby(f.person_id).shift(1)
    prev_pos = f.pos.groupby(f.person_id).shift(1)
    clash = (f.start_date <= prev_end).fillna(False).to_numpy()
    mask = np.zeros(len(t.frame), dtype=bool)
    mask[f.pos.to_numpy()[clash]] = True
    other = dict(zip(f.pos.to_numpy()[clash], prev_pos.to_numpy()[clash]))
    t.problems_at(
        mask,
        "start_date",
        lambda i: f"overlaps the same person's {what} in {t.row_label} {t.row_numbers[int(other[i])]}{why}",
        "overlap",
        t.frame.start_date,
    )


@rule("spells_do_not_overlap", "spells")
def _spells_overlap(tables: Tables, cfg: Config) -> None:
    """A person's spells in start order: each starts after the one before ends (an ongoing spell ends at the extract)."""
    _no_overlap(tables["spells"], cfg, "spell", " (a person is on the programme once at a time)")


@rule("unit_cost_has_value", "unit_costs")
def _unit_cost_value(tables: Tables, cfg: Config) -> None:
    t = tables["unit_costs"]
    f = t.frame
    none = f[["fiscal", "economic", "social", "total"]].isna().all(axis=1)
    t.problems_at(
        none.to_numpy(), "total", "no cost given: fill fiscal, economic, social (or total if no split is known)", "conditional_required"
    )


@rule("unit_cost_price_year", "unit_costs")
def _unit_cost_year(tables: Tables, cfg: Config) -> None:
    t = tables["unit_costs"]
    py = t.frame.price_year
    ok = py.astype(str).str.fullmatch(r"\d{4}(/\d{2})?") | py.isna()
    t.problems_at((~ok).to_numpy(), "price_year", "expected a financial year like 2019/20 or a calendar year like 2019", "type", py)


@rule("unit_cost_range", "unit_costs")
def _unit_cost_range(tables: Tables, cfg: Config) -> None:
    t = tables["unit_costs"]
    f = t.frame
    t.problems_at((f.low > f.high).to_numpy(), "low", lambda i: f"is above high ({f.high.iloc[i]:g})", "range", f.low)


def _deflator_years() -> tuple[int, int]:
    from .costs import deflators

    years = deflators().index
    return int(years.min()), int(years.max())


@rule("unit_cost_price_year_known", "unit_costs")
def _unit_cost_year_known(tables: Tables, cfg: Config) -> None:
    t = tables["unit_costs"]
    py = t.frame.price_year.astype("string")
    first, last = _deflator_years()
    start = pd.to_numeric(py.str.extract(r"^(\d{4})", expand=False), errors="coerce")
    end = start + py.str.contains("/", regex=False).fillna(False).astype(int)
    outside = (start < first) | (end > last)
    t.problems_at(
        outside.fillna(False).to_numpy(),
        "price_year",
        f"is outside the GDP deflator series shipped ({first} to {last}), so the cost cannot be uprated",
        "unit_cost_price_year_known",
        t.frame.price_year,
    )


#: The outcomes value for money values: offence:<group>, victimisation:<group> or missing_episode.
def _valued_outcomes() -> set[str]:
    from .schema import table_schema

    groups = next(f for f in table_schema("events").fields if f.name == "offence_group").enum or ()
    return {"missing_episode", *(f"{et}:{g}" for et in ("offence", "victimisation") for g in groups)}


@rule("unit_cost_applies_to", "unit_costs")
def _unit_cost_applies_to(tables: Tables, cfg: Config) -> None:
    """applies_to names a valued outcome, once in the table, and no [costs] benefit_map entry maps it elsewhere
    (two costs for one outcome)."""
    t = tables["unit_costs"]
    if "applies_to" not in t.frame:
        return
    a = t.frame.applies_to
    known = _valued_outcomes()
    t.problems_at(
        (a.notna() & ~a.isin(known)).to_numpy(),
        "applies_to",
        "is not an outcome the package values: expected offence:<offence group>, victimisation:<offence group> or missing_episode",
        "unit_cost_applies_to",
        a,
    )
    positions = pd.Series(np.arange(len(a)), index=a.index)
    first = positions.groupby(a).transform("min")
    dup = (a.notna() & a.duplicated(keep="first")).to_numpy()
    rows = t.row_numbers
    t.problems_at(
        dup,
        "applies_to",
        lambda i: f"two unit costs for one outcome: {t.row_label} {rows[int(first.iloc[i])]} already values it",
        "unit_cost_applies_to",
        a,
    )
    mapped = cfg.costs.benefit_map
    clash = (a.notna() & a.map(lambda x: x in mapped) & (a.map(mapped.get) != t.frame.key)).to_numpy()
    t.problems_at(
        clash,
        "applies_to",
        lambda i: f"two unit costs for one outcome: [costs] benefit_map maps it to {mapped[a.iloc[i]]!r}",
        "unit_cost_applies_to",
        a,
    )


@rule("benefit_map_resolves", "events")
def _benefit_map_resolves(tables: Tables, cfg: Config) -> None:
    """Every [costs] benefit_map entry maps a valued outcome to a unit cost that exists (shipped or in the data
    folder's unit_costs table)."""
    from .costs import shipped_unit_costs

    mapped = cfg.costs.benefit_map
    if not mapped:
        return
    t = tables["events"]
    keys = set(shipped_unit_costs().index)
    if "unit_costs" in tables:
        keys |= set(tables["unit_costs"].frame.key.dropna())
    known = _valued_outcomes()
    config_file = Path(cfg.source).name if cfg.source != "<dict>" else "evaluation.toml"
    for outcome, key in mapped.items():
        problem = (
            "is not an outcome the package values: expected offence:<offence group>, victimisation:<offence group> or missing_episode"
            if outcome not in known
            else f"maps to {key!r}, which is neither a shipped unit cost nor a key in the data folder's unit_costs table"
            if key not in keys
            else None
        )
        if problem:
            t.problems.append(
                Problem(
                    file=config_file,
                    column=f"[costs.benefit_map] {outcome}",
                    value=key,
                    message=problem,
                    rule="benefit_map_resolves",
                    column_label="key",
                )
            )


AGENCIES = ("police", "criminal_justice", "nhs", "local_authority", "police_criminal_justice_and_nhs")


def parse_fiscal_agency(text: object) -> dict[str, float] | None:
    """'police:342;criminal_justice:245' -> shares summing to 1; None if empty; ValueError if malformed."""
    if text is None or (isinstance(text, float) and np.isnan(text)) or str(text).strip() == "":
        return None
    weights: dict[str, float] = {}
    for part in str(text).split(";"):
        agency, _, weight = part.strip().partition(":")
        w = float(weight) if weight.strip() else 1.0
        if agency.strip() not in AGENCIES or not w > 0:
            raise ValueError(part)
        weights[agency.strip()] = weights.get(agency.strip(), 0.0) + w
    total = sum(weights.values())
    return {k: v / total for k, v in weights.items()}


@rule("unit_cost_fiscal_agency", "unit_costs")
def _unit_cost_agency(tables: Tables, cfg: Config) -> None:
    t = tables["unit_costs"]
    if "fiscal_agency" not in t.frame:
        return
    s = t.frame.fiscal_agency

    def bad(x: object) -> bool:
        try:
            parse_fiscal_agency(x)
            return False
        except ValueError:
            return True

    t.problems_at(
        s.map(bad).to_numpy(dtype=bool),
        "fiscal_agency",
        f"expected agency:weight pairs separated by semicolons, with agencies from {', '.join(AGENCIES)} and positive weights",
        "unit_cost_fiscal_agency",
        s,
    )


def advisories(tables: Tables, cfg: Config) -> None:
    """Warnings, not errors: things an evaluator should know that do not stop the run."""
    t = tables["programme_contacts"]
    f = t.frame
    p = cfg.programme
    outside = (f.contact_date < pd.Timestamp(p.start)) | (f.contact_date > pd.Timestamp(p.end))
    t.problems_at(
        outside.to_numpy(),
        "contact_date",
        f"is outside the programme period {p.start} to {p.end}; the contact is left out of the engagement tables",
        "outside_programme",
        f.contact_date,
        severity="warning",
    )
    det = tables["custody_detentions"].frame.dropna(subset=["detention_id"]).drop_duplicates("detention_id").set_index("detention_id")
    suite = pd.Series(det.custody_suite.reindex(f.detention_id.to_numpy()).to_numpy(), index=f.index)
    off_suite = suite.notna() & ~suite.isin(p.suites)
    t.problems_at(
        off_suite.to_numpy(),
        "detention_id",
        lambda i: f"is a detention at {suite.iloc[i]}, not at a programme suite ({', '.join(p.suites)})",
        "outside_programme",
        f.detention_id,
        severity="warning",
    )


def run_rules(tables: Tables, cfg: Config) -> None:
    """Run every registered rule whose tables are present, then the advisories."""
    for rule_fn, needs in RULES.values():
        if all(name in tables for name in needs):
            rule_fn(tables, cfg)
    if "custody_detentions" in tables and "programme_contacts" in tables:
        advisories(tables, cfg)
