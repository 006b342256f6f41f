"""`evaluation.load(folder, config)`: find, read and validate the extracts; return typed tables.

Nothing in the data folder is ever modified. Every problem in every file is collected before
failing (ValidationError lists them all); a table that cannot be read at all is reported and the
other tables are still checked.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .config import CONFIG_FILENAME, Config, load_config
from .problems import Problem, ValidationError
from .readers import ReadFailure, read_table
from .schema import FILE_FORMATS, REQUIRED_BY_DESIGN, REQUIRED_TABLES, TABLES, table_schema
from .validation import CheckedTable, check_table, run_rules


@dataclass(frozen=True)
class InputFile:
    """Provenance of one input file: reports state the SHA-256 of every input."""

    table: str
    path: Path
    format: str
    sha256: str
    rows: int


@dataclass
class EvaluationData:
    """Validated inputs: one typed DataFrame per table (None for an optional table not supplied)."""

    config: Config
    folder: Path
    custody_detentions: pd.DataFrame
    programme_contacts: pd.DataFrame
    events: pd.DataFrame | None = None
    costs: pd.DataFrame | None = None
    unit_costs: pd.DataFrame | None = None
    spells: pd.DataFrame | None = None
    custody_spells: pd.DataFrame | None = None
    referrals: pd.DataFrame | None = None
    files: dict[str, InputFile] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)

    def table(self, name: str) -> pd.DataFrame | None:
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
            frame = self.table(name)
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
                    "file": f.path.name,
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


def find_table_files(folder: Path, required: tuple[str, ...] = REQUIRED_TABLES) -> tuple[dict[str, Path], list[Problem]]:
    """Locate `<table>.<csv|xlsx|parquet>` for each table; report wrong types, duplicates, missing tables."""
    problems: list[Problem] = []
    found: dict[str, Path] = {}
    by_stem: dict[str, list[Path]] = {}
    for p in sorted(folder.iterdir()):
        if p.is_file():
            by_stem.setdefault(p.stem.strip().lower(), []).append(p)
    known = set(TABLES) | {CONFIG_FILENAME.rsplit(".", 1)[0]}
    for stem, paths in sorted(by_stem.items()):
        if stem in known or stem.startswith((".", "~$", "readme")):
            continue
        for p in paths:
            if p.name == CONFIG_FILENAME or p.suffix.lower() in (".md", ".txt", ".toml"):
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

    paths, problems = find_table_files(folder, REQUIRED_BY_DESIGN[config.programme.design])
    checked: dict[str, CheckedTable] = {}
    files: dict[str, InputFile] = {}
    for name, path in paths.items():
        schema = table_schema(name)
        try:
            raw = read_table(path, name, schema.field_names, encoding=config.data.encoding)
        except ReadFailure as exc:
            problems.append(exc.problem)
            continue
        files[name] = InputFile(name, path, raw.format, raw.sha256, len(raw.frame))
        checked[name] = check_table(raw, schema, config)
    run_rules(checked, config)
    for t in checked.values():
        problems.extend(t.problems)
    if any(p.severity == "error" for p in problems):
        raise ValidationError(problems)
    frames = {name: t.frame for name, t in checked.items()}
    return EvaluationData(
        config=config,
        folder=folder,
        # a spell design needs no custody detentions or contact log: they are then empty tables of the contract's columns
        custody_detentions=frames["custody_detentions"] if "custody_detentions" in frames else empty_table("custody_detentions"),
        programme_contacts=frames["programme_contacts"] if "programme_contacts" in frames else empty_table("programme_contacts"),
        events=frames.get("events"),
        costs=frames.get("costs"),
        unit_costs=frames.get("unit_costs"),
        spells=frames.get("spells"),
        custody_spells=frames.get("custody_spells"),
        referrals=frames.get("referrals"),
        files=files,
        warnings=[p for p in problems if p.severity == "warning"],
    )
