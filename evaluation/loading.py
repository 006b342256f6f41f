"""`evaluation.load(folder, config)`: find, read and validate the extracts; return typed tables.

Nothing in the data folder is ever modified. Every problem in every file is collected before
failing (ValidationError lists them all); a table that cannot be read at all is reported and the
other tables are still checked.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pandas as pd

from . import progress
from .config import CONFIG_FILENAME, Config, SourceConfig, load_config, report_metadata_warnings
from .engine import EngineError, EventTable
from .engine_read import HANDOFF, EngineRead, TooBroken, handed_off, handoff_key, part_rows
from .problems import Problem, ValidationError
from .readers import ReadFailure, read_table
from .schema import FILE_FORMATS, REQUIRED_BY_DESIGN, REQUIRED_TABLES, TABLES, table_schema
from .validation import CheckedTable, check_table, run_rules, stack


@dataclass(frozen=True)
class InputFile:
    """Provenance of one input table: reports state the SHA-256 of every input file. A table read from several
    files (`[[data.sources]]`) has one part per file, and its sha256 is that of the parts' fingerprints."""

    table: str
    path: Path
    format: str
    sha256: str
    rows: int
    parts: tuple["InputFile", ...] = ()

    @property
    def name(self) -> str:
        """The file name(s), as the report's source lines give them."""
        return ", ".join(p.path.name for p in self.parts) if self.parts else self.path.name

    @property
    def files(self) -> tuple["InputFile", ...]:
        return self.parts or (self,)


@dataclass
class EvaluationData:
    """Validated inputs: one typed DataFrame per table (None for an optional table not supplied), except the
    events, which the engine holds (`EventTable`: a DataFrame given here is handed to it)."""

    config: Config
    folder: Path
    custody_detentions: pd.DataFrame
    programme_contacts: pd.DataFrame
    events: EventTable | None = None
    costs: pd.DataFrame | None = None
    unit_costs: pd.DataFrame | None = None
    spells: pd.DataFrame | None = None
    custody_spells: pd.DataFrame | None = None
    referrals: pd.DataFrame | None = None
    files: dict[str, InputFile] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        if isinstance(self.events, pd.DataFrame):
            self.events = EventTable.from_frame(self.events)
        if self.events is not None:
            self.events.on(self.config.engine.name, self.config.engine.spark_master)

    def supplied(self, name: str) -> bool:
        """Whether table `name` was read (an optional table may be absent)."""
        return getattr(self, name) is not None

    def missing_values(self, name: str) -> tuple[int, dict[str, int]]:
        """Rows of table `name`, and the empty cells of each of its columns (counted in the engine for the events)."""
        if name == "events" and self.events is not None:
            cols = [c for c in self.events.columns]
            got = self.events.query(
                "SELECT count(*) AS n, " + ", ".join(f'count(*) - count("{c}") AS "{c}"' for c in cols) + " FROM events"
            )
            return int(got.n.iloc[0]), {c: int(got[c].iloc[0]) for c in cols}
        frame = getattr(self, name)
        return len(frame), {str(c): int(frame[c].isna().sum()) for c in frame.columns}

    def table(self, name: str) -> pd.DataFrame | None:
        """A table as a DataFrame (the events too: for small data and tests, not for a whole extract)."""
        if name == "events":
            return self.events.to_pandas() if self.events is not None else None
        return getattr(self, name)

    def summary(self) -> pd.DataFrame:
        """What loaded: per table, the file, its format, rows, distinct people and the date range covered."""
        date_col = {
            "custody_detentions": "arrival_datetime",
            "programme_contacts": "contact_date",
            "events": "event_date",
            "costs": "start_date",
            "unit_costs": None,
            "spells": "start_date",
            "referrals": "referral_date",
            "custody_spells": "start_date",
        }
        rows = []
        for name in TABLES:
            if name == "events" and self.events is not None and name in self.files:
                lo, hi = self.events.date_range()
                f = self.files[name]
                rows.append(
                    {
                        "table": name,
                        "file": f.name,
                        "format": f.format,
                        "rows": len(self.events),
                        "people": self.events.people(),
                        "from": lo.strftime("%Y-%m-%d") if lo is not None else "",
                        "to": hi.strftime("%Y-%m-%d") if hi is not None else "",
                    }
                )
                continue
            frame = getattr(self, name)
            if frame is None or name not in self.files:
                rows.append({"table": name, "file": "(not supplied)", "format": "", "rows": 0, "people": None, "from": "", "to": ""})
                continue
            f = self.files[name]
            dates = frame[date_col[name]] if date_col[name] else pd.Series(dtype="datetime64[ns]")
            if name == "costs":  # a cost line covers start to end: the range runs to the last end date
                dates = pd.concat([frame.start_date, frame.end_date])
            rows.append(
                {
                    "table": name,
                    "file": f.name,
                    "format": f.format,
                    "rows": len(frame),
                    "people": int(frame.person_id.nunique()) if "person_id" in frame else None,
                    "from": dates.min().strftime("%Y-%m-%d") if dates.notna().any() else "",
                    "to": dates.max().strftime("%Y-%m-%d") if dates.notna().any() else "",
                }
            )
        return pd.DataFrame(rows)


_DTYPES = {"date": "datetime64[ns]", "datetime": "datetime64[ns]", "integer": "Int64", "number": "float64", "boolean": "boolean"}


def empty_table(name: str) -> pd.DataFrame:
    """A table of the contract's columns and types with no rows (a table the design does not need)."""
    return pd.DataFrame({f.name: pd.Series(dtype=_DTYPES.get(f.type, "object")) for f in table_schema(name).fields})


def _one_edit_apart(a: str, b: str) -> bool:
    """Whether `a` becomes `b` by one insertion, deletion, substitution or swap of neighbours."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def find_table_files(
    folder: Path,
    required: tuple[str, ...] = REQUIRED_TABLES,
    claimed: frozenset[Path] = frozenset(),
    sourced: frozenset[str] = frozenset(),
) -> tuple[dict[str, Path], list[Problem]]:
    """Locate `<table>.<csv|xlsx|parquet>` for each table not read through `[[data.sources]]` (`sourced`); report
    wrong types, duplicates, missing tables, and files that match no table (`claimed` files belong to a source).
    A file one typing slip away from a missing table's name is an error naming the table, not a file left unread."""
    problems: list[Problem] = []
    found: dict[str, Path] = {}
    by_stem: dict[str, list[Path]] = {}
    for p in sorted(folder.iterdir()):
        if p.is_file() and p not in claimed:
            by_stem.setdefault(p.stem.strip().lower(), []).append(p)
    known = set(TABLES) | {CONFIG_FILENAME.rsplit(".", 1)[0]}
    for stem, paths in sorted(by_stem.items()):
        if stem in known or stem.startswith((".", "~$", "readme")):
            continue
        for p in paths:
            if p.name == CONFIG_FILENAME or p.suffix.lower() in (".md", ".txt", ".toml"):
                continue
            slip = next((t for t in TABLES if _one_edit_apart(stem, t) and t not in by_stem and t not in sourced), None)
            if slip:
                problems.append(
                    Problem(
                        file=p.name,
                        message=f"is one letter away from the table {slip}, which is missing: rename it {slip}{p.suffix} "
                        "(or name it in [[data.sources]]) so that it is read",
                        rule="misnamed_file",
                    )
                )
                continue
            near = difflib.get_close_matches(stem, TABLES, n=1, cutoff=0.6)
            problems.append(
                Problem(
                    file=p.name,
                    message="matches no table and is not read"
                    + (f": did you mean {near[0]}{p.suffix}?" if near else f"; the tables are {', '.join(TABLES)}"),
                    rule="unknown_file",
                    severity="warning",
                )
            )
    for name in TABLES:
        if name in sourced:
            for p in by_stem.get(name, []):
                problems.append(
                    Problem(
                        file=p.name,
                        message=f"is not read: [[data.sources]] names the files for table {name}",
                        rule="unknown_file",
                        severity="warning",
                    )
                )
            continue
        candidates = by_stem.get(name, [])
        supported = [p for p in candidates if p.suffix.lower().lstrip(".") in FILE_FORMATS]
        for p in candidates:
            if p not in supported:
                hint = " (save it as .xlsx)" if p.suffix.lower() in (".xls", ".xlsm", ".ods") else ""
                problems.append(
                    Problem(
                        file=p.name,
                        message=f"unsupported file type '{p.suffix}'; expected {name}.csv, {name}.xlsx or {name}.parquet{hint}",
                        rule="wrong_file_type",
                    )
                )
        if len(supported) > 1:
            problems.append(
                Problem(
                    file=", ".join(p.name for p in supported),
                    message=f"more than one file for table {name}; keep exactly one",
                    rule="duplicate_table",
                )
            )
        elif supported:
            found[name] = supported[0]
        elif name in required and not candidates:
            problems.append(
                Problem(
                    file=f"{name}.csv",
                    message=f"required table is missing from {folder}; expected {name}.csv, {name}.xlsx or {name}.parquet",
                    rule="missing_table",
                )
            )
    return found, problems


def _source_files(folder: Path, config: Config) -> tuple[list[tuple[SourceConfig, list[Path]]], list[Problem]]:
    """The files each `[[data.sources]]` entry names (a name or a glob); one matching nothing is an error, and so
    is a file claimed by two entries."""
    out: list[tuple[SourceConfig, list[Path]]] = []
    problems: list[Problem] = []
    owner: dict[Path, str] = {}
    for i, s in enumerate(config.data.sources):
        key = f"[[data.sources]] {i + 1} ({s.table})"
        matched = sorted(p for p in folder.glob(s.file) if p.is_file() and p.suffix.lower().lstrip(".") in FILE_FORMATS)
        if not matched:
            present = ", ".join(sorted(p.name for p in folder.iterdir() if p.is_file())[:12])
            problems.append(
                Problem(
                    file=s.file,
                    column=key,
                    message=f"matches no CSV, XLSX or Parquet file in {folder}; the folder holds: {present}",
                    rule="missing_table",
                    column_label="key",
                )
            )
        for p in matched:
            if p in owner:
                problems.append(
                    Problem(
                        file=p.name,
                        column=key,
                        message=f"is named by two sources ({owner[p]} too)",
                        rule="duplicate_table",
                        column_label="key",
                    )
                )
            owner.setdefault(p, key)
        out.append((s, [p for p in matched if owner[p] == key]))
    return out, problems


@contextlib.contextmanager
def handing_over(data) -> Iterator[None]:
    """The notebook's kernel loads the data again: it is handed the events this process has just checked (for
    the same inputs; see engine_read.handed_off), so a large extract is not checked twice."""
    manifest = getattr(data.events, "manifest", None)
    saved = os.environ.get(HANDOFF)
    if manifest is not None:
        os.environ[HANDOFF] = str(manifest)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(HANDOFF, None)
        else:
            os.environ[HANDOFF] = saved


def _input_file(name: str, inputs: list[InputFile]) -> InputFile:
    """The provenance of a table read from one file or several."""
    if len(inputs) == 1:
        return inputs[0]
    return InputFile(
        name,
        inputs[0].path,
        "+".join(dict.fromkeys(i.format for i in inputs)),
        hashlib.sha256("".join(i.sha256 for i in inputs).encode()).hexdigest(),
        sum(i.rows for i in inputs),
        tuple(inputs),
    )


def _read_in_engine(
    name: str,
    reads: list[tuple[Path, SourceConfig | None]],
    schema,
    config: Config,
    checked: dict[str, CheckedTable],
    problems: list[Problem],
) -> tuple[EngineRead, list[CheckedTable]] | None:
    """Read and check a table inside the engine (evaluation.engine_read): its files' explained rows, or None when
    the table is read by the pandas path (not the events, or a file the engine's fast path does not take)."""
    if name != "events":
        return None
    expected = [[*schema.field_names, *config.data.columns.get(name, {}), *(s.columns if s else {})] for _, s in reads]
    label = ", ".join(p.name for p, _ in reads)
    with progress.stage(f"reading {label} into the engine"):
        engine = EngineRead.open(name, reads, schema, config, expected)
    if engine is None:
        return None
    import duckdb

    rows = sum(r for *_, r in part_rows(engine))
    with progress.stage(f"checking {name} ({rows:,} rows) in the engine"):
        detentions = checked["custody_detentions"].frame if "custody_detentions" in checked else None
        try:
            engine.screen(detentions)
            return engine, engine.explain()
        except TooBroken as exc:
            engine.close()
            problems.append(exc.problem)
            return engine, []
        except duckdb.Error as exc:  # out of disk for the spill files, say: one sentence, not DuckDB's report
            engine.close()
            raise EngineError(f"checking {label} in DuckDB failed: {str(exc).strip().splitlines()[0][:300]}") from exc


def load(folder: str | Path, config: Config | str | Path | None = None) -> EvaluationData:
    """Read and validate every table in `folder` against the contract.

    `config` is a Config, a path to a TOML file, or None for `<folder>/evaluation.toml`.
    Raises ConfigError or ValidationError listing every problem found; returns EvaluationData
    (with warnings attached) otherwise.
    """
    folder = Path(folder)
    if not folder.is_dir():
        what = "does not exist" if not folder.exists() else "is a file, not a folder"
        raise ValidationError([Problem(file=str(folder), message=f"data folder {what}", rule="missing_folder")])
    if not isinstance(config, Config):
        config = load_config(Path(config) if config is not None else folder / CONFIG_FILENAME)

    sources, problems = _source_files(folder, config)
    claimed = frozenset(p for _, paths in sources for p in paths)
    sourced = frozenset(s.table for s, _ in sources)
    paths, found_problems = find_table_files(folder, REQUIRED_BY_DESIGN[config.programme.design], claimed, sourced)
    problems += found_problems
    reads: dict[str, list[tuple[Path, SourceConfig | None]]] = {name: [(path, None)] for name, path in paths.items()}
    for src, matched in sources:
        reads.setdefault(src.table, []).extend((p, src) for p in matched)
    checked: dict[str, CheckedTable] = {}
    files: dict[str, InputFile] = {}
    in_engine: dict[str, EngineRead] = {}
    handed: EventTable | None = None
    handed_problems: list[Problem] = []
    key: str | None = None
    for name in [t for t in TABLES if t in reads]:
        schema = table_schema(name)
        parts: list[CheckedTable] = []
        inputs: list[InputFile] = []
        if name == "events":
            key = handoff_key(reads[name], config, files["custody_detentions"].sha256 if "custody_detentions" in files else None)
            reused = handed_off(key)
            if reused is not None:  # checked moments ago by `evaluation report`, for these same inputs
                handed, handed_problems, handed_inputs = reused
                inputs = [InputFile(name, path, fmt, digest, rows) for path, fmt, digest, rows in handed_inputs]
                files[name] = _input_file(name, inputs)
                continue
        engine_read = _read_in_engine(name, reads[name], schema, config, checked, problems)
        if engine_read is not None:
            engine_read[0].key = key
            engine, parts = engine_read
            in_engine[name] = engine
            inputs = [InputFile(name, path, fmt, digest, rows) for path, fmt, digest, rows in part_rows(engine)]
        for path, source in [] if engine_read is not None else reads[name]:
            # the header may use the extract's own names: the mappings say which, before any header check
            expected = [*schema.field_names, *config.data.columns.get(name, {}), *(source.columns if source else {})]
            try:
                with progress.stage(f"reading {path.name}"):
                    raw = read_table(
                        path,
                        name,
                        expected,
                        encoding=(source.encoding if source and source.encoding else config.data.encoding),
                        delimiter=source.delimiter if source else None,
                        header_row=source.header_row if source else 1,
                        sheet=source.sheet if source else None,
                        total_rows=source.total_rows if source else "error",
                    )
            except ReadFailure as exc:
                problems.append(exc.problem)
                continue
            inputs.append(InputFile(name, path, raw.format, raw.sha256, len(raw.frame)))
            with progress.stage(f"checking {name} ({len(raw.frame):,} rows)"):
                parts.append(check_table(raw, schema, config, source))
        if not parts:
            continue
        checked[name] = stack(parts, schema)
        if name in in_engine:
            in_engine[name].whole_table_facts(checked[name])
        files[name] = _input_file(name, inputs)
    with progress.stage("checking the rules across tables"):
        run_rules(checked, config)
    for name in TABLES:
        problems.extend(checked[name].problems if name in checked else handed_problems if name == "events" else [])
    problems.extend(report_metadata_warnings(config))
    if any(p.severity == "error" for p in problems):
        for engine in in_engine.values():
            engine.close()
        raise ValidationError(problems)
    # rows a rule found repeated (warned about) are counted once; the input files are untouched
    frames = {
        name: t.frame if t.repeats is None else t.frame[~t.repeats].reset_index(drop=True)
        for name, t in checked.items()
        if name not in in_engine
    }
    if "events" in in_engine:
        with progress.stage("writing the checked events for the engine"):
            events: EventTable | None = in_engine["events"].finish(checked["events"])
    elif "events" in files and "events" not in checked:
        events = handed  # handed over by `evaluation report` (handed_off)
    else:
        events = EventTable.from_frame(frames["events"]) if "events" in frames else None
    return EvaluationData(
        config=config,
        folder=folder,
        # a spell design needs no custody detentions or contact log: they are then empty tables of the contract's columns
        custody_detentions=frames["custody_detentions"] if "custody_detentions" in frames else empty_table("custody_detentions"),
        programme_contacts=frames["programme_contacts"] if "programme_contacts" in frames else empty_table("programme_contacts"),
        events=events,
        costs=frames.get("costs"),
        unit_costs=frames.get("unit_costs"),
        spells=frames.get("spells"),
        custody_spells=frames.get("custody_spells"),
        referrals=frames.get("referrals"),
        files=files,
        warnings=[p for p in problems if p.severity == "warning"],
    )
