"""The engine that holds and queries the events table, so that it never has to fit in pandas.

Validated events live in a Parquet file (`EventTable`); the stages that need them (prior counts, counts in
windows, proven reoffending, crime shares, spells) send SQL to DuckDB over that file and get back one row per
person, window or matched unit. Only what a stage asks for comes back to Python.
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

#: The events table's columns in the engine, in contract order, with their SQL types.
EVENT_COLUMNS: dict[str, str] = {
    "event_id": "VARCHAR",
    "person_id": "VARCHAR",
    "event_date": "TIMESTAMP",
    "event_type": "VARCHAR",
    "offence_group": "VARCHAR",
    "proven_outcome": "VARCHAR",
    "proven_date": "TIMESTAMP",
    "detention_id": "VARCHAR",
    "crime_ref": "VARCHAR",
}

#: DuckDB's memory limit per connection: with it, a large sort or join spills to the run's temporary folder
#: instead of growing with the table.
MEMORY_LIMIT = "1500MB"


class WorkFolder:
    """A temporary folder for one run's engine files, removed when nothing refers to it any more."""

    def __init__(self) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="evaluation-engine-"))
        self._finalizer = weakref.finalize(self, shutil.rmtree, str(self.path), True)

    def file(self, name: str) -> Path:
        return self.path / name


def connect(work: WorkFolder | None = None, database: str = ":memory:") -> Any:
    """A DuckDB connection that spills to `work` (deterministic results: one insertion order)."""
    import duckdb

    con = duckdb.connect(database)
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    con.execute("SET preserve_insertion_order = true")
    try:
        con.execute("SET enable_progress_bar = false")  # the command prints its own progress
    except duckdb.Error:
        pass  # in a notebook without ipywidgets DuckDB will not change it (and draws none)
    if work is not None:
        con.execute(f"SET temp_directory = '{_sql_path(work.file('spill'))}'")
    return con


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


class EventTable:
    """The validated events: a Parquet file of the contract's columns (dates as midnight timestamps) and `_order`
    (the rows' order in the input files), one row per event after the rules (repeats of a crime for one person
    left out). `relation()` is what SQL reads."""

    def __init__(self, path: Path, rows: int, work: WorkFolder | None = None, columns: tuple[str, ...] | None = None):
        self.path = Path(path)
        self.rows = int(rows)
        self._work = work  # keeps the temporary folder alive as long as the table
        self.columns = columns or tuple(EVENT_COLUMNS)
        self.manifest: Path | None = None  # what `evaluation report` hands the notebook's kernel (engine_read.HANDOFF)
        self.engine = "duckdb"  # where query() runs: "duckdb" or "spark" ([engine] in the config)
        self.spark_master = "local[2]"

    def on(self, engine: str, spark_master: str = "local[2]") -> "EventTable":
        """This table, queried by `engine` from now on."""
        self.engine, self.spark_master = engine, spark_master
        return self

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> "EventTable":
        """An events table from a typed DataFrame (tests, the XLSX reader, programmatic use)."""
        work = WorkFolder()
        path = work.file("events.parquet")
        out = pd.DataFrame(index=frame.index)
        for col, sql_type in EVENT_COLUMNS.items():
            if col in frame:
                s = frame[col]
                out[col] = pd.to_datetime(s) if sql_type == "TIMESTAMP" else s.astype(object).where(s.notna(), None)
            else:
                out[col] = pd.Series(
                    pd.NaT if sql_type == "TIMESTAMP" else None,
                    index=frame.index,
                    dtype="datetime64[ns]" if sql_type == "TIMESTAMP" else object,
                )
        con = connect(work)
        try:
            out["_order"] = range(len(out))
            con.register("frame_in", out.reset_index(drop=True))
            casts = ", ".join(f'CAST("{c}" AS {t}) AS "{c}"' for c, t in EVENT_COLUMNS.items())
            con.execute(f"COPY (SELECT {casts}, CAST(_order AS BIGINT) AS _order FROM frame_in) TO '{_sql_path(path)}' (FORMAT parquet)")
        finally:
            con.close()
        return cls(path, len(out), work)

    def __len__(self) -> int:
        return self.rows

    def relation(self) -> str:
        """The table as a SQL relation (a Parquet scan)."""
        return f"read_parquet('{_sql_path(self.path)}')"

    def query(self, sql: str, frames: Mapping[str, pd.DataFrame] | None = None) -> pd.DataFrame:
        """Run `sql` (DuckDB's dialect) in this table's engine, with the events as `events` and each of `frames`
        under its own name."""
        if self.engine == "spark":
            return spark_query(sql, self, frames, self.spark_master)
        return query(sql, self, frames)

    def to_pandas(self, columns: list[str] | None = None, where: str | None = None) -> pd.DataFrame:
        """Rows (optionally filtered in SQL) as a DataFrame: for small tables and tests, not for a whole extract."""
        cols = ", ".join(f'"{c}"' for c in (columns or self.columns))
        return _as_loaded(self.query(f"SELECT {cols} FROM events" + (f" WHERE {where}" if where else "") + " ORDER BY _order"))

    def has_values(self, column: str) -> bool:
        return bool(self.query(f'SELECT count("{column}") AS n FROM events').n.iloc[0])

    def date_range(self, column: str = "event_date") -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
        r = self.query(f'SELECT min("{column}") AS lo, max("{column}") AS hi FROM events').iloc[0]
        return (None if pd.isna(r.lo) else pd.Timestamp(r.lo)), (None if pd.isna(r.hi) else pd.Timestamp(r.hi))

    def people(self) -> int:
        return int(self.query("SELECT count(DISTINCT person_id) AS n FROM events").n.iloc[0])

    def __repr__(self) -> str:
        return f"EventTable({self.rows:,} events in {self.path.name})"


def query(sql: str, events: EventTable | None = None, frames: Mapping[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Run `sql` in DuckDB. `events` is visible as the view `events`; each DataFrame in `frames` under its own name."""
    import duckdb

    con = connect(events._work if events is not None else None)
    try:
        if events is not None:
            con.execute(f"CREATE VIEW events AS SELECT * FROM {events.relation()}")
        for name, frame in (frames or {}).items():
            con.register(name, frame)
        return con.execute(sql).df()
    except duckdb.Error as exc:
        raise EngineError(f"a query in DuckDB failed: {_first_line(exc)}") from exc
    finally:
        con.close()


def _as_loaded(frame: pd.DataFrame) -> pd.DataFrame:
    """Event columns as the loader types them in pandas: dates datetime64[ns], text object with NaN for empty."""
    for c in frame.columns:
        if EVENT_COLUMNS.get(c) == "TIMESTAMP":
            frame[c] = pd.to_datetime(frame[c]).astype("datetime64[ns]")
        elif c in EVENT_COLUMNS:
            frame[c] = frame[c].astype(object).where(frame[c].notna(), float("nan"))
    return frame


class EngineError(Exception):
    """The engine failed: what failed and where, in one line (the JVM's stack trace only with --debug)."""


_SPARK: dict[str, Any] = {}


def spark_session(master: str = "local[2]") -> Any:
    """One Spark session per process (starting one takes seconds), in UTC, with timestamps without time zone."""
    if master in _SPARK:
        return _SPARK[master]
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise EngineError("[engine] name = \"spark\" needs PySpark: pip install 'evaluation[spark]' (and Java 17 or later)") from None
    import os

    if master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # no network lookups for a Spark in this process
    try:
        spark = (
            SparkSession.builder.master(master)
            .appName("evaluation")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.timestampType", "TIMESTAMP_NTZ")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.ansi.enabled", "false")
            .getOrCreate()
        )
    except Exception as exc:  # noqa: BLE001 - py4j and the JVM raise many kinds; one clear message
        raise EngineError(f"Spark did not start at {master}: {_first_line(exc)} (is Java 17 or later installed?)") from exc
    spark.sparkContext.setLogLevel("ERROR")
    _SPARK[master] = spark
    return spark


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else exc.__class__.__name__


def _spark_frame(spark: Any, frame: pd.DataFrame) -> Any:
    """A pandas frame as a Spark DataFrame, with its types stated (Spark cannot infer an empty or all-null column)."""
    import datetime as dt

    from pyspark.sql import types as T

    fields, columns = [], {}
    for name in frame.columns:
        s = frame[name]
        if pd.api.types.is_datetime64_any_dtype(s):
            kind: Any = T.TimestampNTZType()
            values = [None if pd.isna(v) else v.to_pydatetime() for v in s]
        elif pd.api.types.is_bool_dtype(s):
            kind, values = T.BooleanType(), [None if pd.isna(v) else bool(v) for v in s]
        elif pd.api.types.is_integer_dtype(s):
            kind, values = T.LongType(), [None if pd.isna(v) else int(v) for v in s]
        elif pd.api.types.is_float_dtype(s):
            kind, values = T.DoubleType(), [None if pd.isna(v) else float(v) for v in s]
        else:
            present = [v for v in s if v is not None and not (isinstance(v, float) and v != v)]
            if present and all(isinstance(v, dt.date) and not isinstance(v, dt.datetime) for v in present):
                kind = T.DateType()
            else:
                kind = T.StringType()
                present = None  # type: ignore[assignment]
            values = [None if (v is None or (isinstance(v, float) and v != v) or v is pd.NaT) else (v if present else str(v)) for v in s]
        fields.append(T.StructField(str(name), kind, True))
        columns[name] = values
    rows = list(zip(*columns.values())) if columns else []
    return spark.createDataFrame(rows, T.StructType(fields))


def spark_query(sql: str, events: EventTable | None, frames: Mapping[str, pd.DataFrame] | None, master: str = "local[2]") -> pd.DataFrame:
    """Run `sql`, written in DuckDB's dialect, on Spark: translated by sqlglot (as Splink does), with the events
    read from their Parquet file and each frame sent as a view."""
    import sqlglot

    spark = spark_session(master)
    try:
        if events is not None:
            spark.read.parquet(str(events.path)).createOrReplaceTempView("events")
        for name, frame in (frames or {}).items():
            _spark_frame(spark, frame).createOrReplaceTempView(name)
        translated = sqlglot.transpile(sql, read="duckdb", write="spark")[0]
        result = spark.sql(translated)
        rows, columns = result.collect(), result.columns
    except EngineError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise EngineError(f"a query on Spark failed: {_first_line(exc)}") from exc
    return pd.DataFrame([tuple(r) for r in rows], columns=columns)


def join_events(
    frame: pd.DataFrame, events: EventTable, condition: str, columns: tuple[str, ...], relation: str = "events"
) -> pd.DataFrame:
    """Each row of `frame` joined, in the engine, to the events of its person that `condition` keeps (SQL over
    `f.<frame column>` and `e.<event column>`): `frame`'s columns and the events' `columns`, in frame order and
    then the events' order, as `frame.merge(events, on="person_id")` would give them. What comes back is only
    the matching events of the frame's people, never the table. `relation` may be a query over `events` that
    adds columns (it keeps `person_id` and `_order`)."""
    keys = frame.reset_index(drop=True)
    sent = pd.DataFrame({"_row": range(len(keys))})
    for c in keys.columns:
        s = keys[c]
        sent[c] = s.astype(object).where(s.notna(), None) if s.dtype == object else s
    cols = ", ".join(f'e."{c}"' for c in columns)
    got = events.query(
        f"SELECT f._row, {cols} FROM frame_in f JOIN ({relation}) e ON e.person_id = f.person_id AND ({condition}) "
        "ORDER BY f._row, e._order",
        {"frame_in": sent},
    )
    got = _as_loaded(got)
    out = keys.iloc[got._row.to_numpy()].reset_index(drop=True)
    for c in columns:
        out[c] = got[c].to_numpy()
    return out
