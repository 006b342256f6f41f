"""The events read and checked inside the engine give what the pandas path gives: the same problems, word for
word (file, row, column, value as written, message), and the same typed table.

The corrupted extracts are made here, by a seeded generator that breaks a copy of the demo's events in every way
a check or rule looks for (and in ways none does: values that only look odd), at random rows. Both paths read
the same files; `pandas_path` switches the engine's fast path off."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

import evaluation
from evaluation import engine_read
from evaluation.problems import ValidationError


@contextlib.contextmanager
def pandas_path():
    original = engine_read.EngineRead.open
    engine_read.EngineRead.open = classmethod(lambda cls, *a, **k: None)  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        engine_read.EngineRead.open = original  # type: ignore[method-assign]


def _load(folder: Path):
    try:
        data = evaluation.load(folder)
        return data.events.to_pandas(), sorted(map(repr, data.warnings)), []
    except ValidationError as exc:
        return None, [], sorted(map(repr, exc.problems))


def both_paths(folder: Path, expect_engine: bool | None = True):
    """(engine result, pandas result); asserts the engine's fast path took the files when `expect_engine`."""
    opened = []
    original = engine_read.EngineRead.open.__func__  # type: ignore[attr-defined]

    def spy(cls, *a, **k):
        got = original(cls, *a, **k)
        opened.append(got is not None)
        return got

    engine_read.EngineRead.open = classmethod(spy)  # type: ignore[method-assign,assignment]
    try:
        fast = _load(folder)
    finally:
        engine_read.EngineRead.open = classmethod(original)  # type: ignore[method-assign,assignment]
    assert expect_engine is None or opened == [expect_engine]
    with pandas_path():
        slow = _load(folder)
    return fast, slow


def assert_same(fast, slow) -> None:
    assert fast[2] == slow[2]  # errors, word for word
    assert fast[1] == slow[1]  # warnings
    if slow[0] is None:
        assert fast[0] is None
    else:
        pd.testing.assert_frame_equal(fast[0], slow[0])


def corrupt(events: pd.DataFrame, detentions: pd.DataFrame, rng: np.random.Generator, k: int = 6) -> pd.DataFrame:
    """`k` rows of each kind of fault, at random rows (text in, text out)."""
    ev = events.copy()
    n = len(ev)

    def rows() -> np.ndarray:
        return rng.choice(n, size=k, replace=False)

    ev.loc[rows(), "event_date"] = rng.choice(
        ["31/02/2021", "2021-02-30", "2021-1-5", "0201-05-01", "2021-03-04 00:00:00", "2021-03-04 10:30:00", "yesterday", "2021/03/04"],
        size=k,
    )
    ev.loc[rows(), "proven_date"] = rng.choice(["2019-13-01", "2030-01-01", "1 March 2021", "2021-03-04T00:00:00"], size=k)
    ev.loc[rows(), "event_type"] = rng.choice(["Offence", " OFFENCE ", "offense", "", "victimisation ", "Missing  Episode"], size=k)
    ev.loc[rows(), "offence_group"] = rng.choice(["Robbery", "arson", "", "theft"], size=k)
    ev.loc[rows(), "proven_outcome"] = rng.choice(["Caution", "fine", "none", "conviction"], size=k)
    ev.loc[rows(), "event_id"] = ev.event_id.iloc[rows()].to_numpy()  # duplicates of other rows' ids
    ev.loc[rows(), "event_id"] = ""
    ev.loc[rows(), "person_id"] = rng.choice(["", "P00000", " "], size=k)
    ev.loc[rows(), "detention_id"] = rng.choice(
        ["D999999", *detentions.detention_id.sample(3, random_state=int(rng.integers(1 << 30))).tolist()], size=k
    )
    ev.loc[rows(), "event_date"] = rng.choice(["2022-07-01", "2023-01-01", "2022-06-16"], size=k)  # after the extract
    ev["crime_ref"] = np.where(rng.random(n) < 0.3, [f"C{i % 40}" for i in range(n)], "")
    repeat = rows()
    ev = pd.concat([ev, ev.iloc[repeat].assign(event_id=[f"R{i}" for i in range(k)])], ignore_index=True)  # same crime twice
    ev.loc[rows(), "proven_date"] = "2010-01-01"  # before the event
    return ev


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_engine_finds_the_problems_pandas_finds(tmp_path, demo_dir, demo_tables, seed):
    rng = np.random.default_rng(seed)
    folder = tmp_path / "data"
    shutil.copytree(demo_dir, folder)
    corrupt(demo_tables["events"], demo_tables["custody_detentions"], rng).to_csv(folder / "events.csv", index=False, lineterminator="\n")
    fast, slow = both_paths(folder)
    assert len(slow[2]) > 20  # the corruption is found (by both)
    assert_same(fast, slow)


def test_warnings_only_give_the_same_table(tmp_path, demo_dir, demo_tables):
    """Folded values, mapped local codes, a renamed and an unknown column, repeated crimes: the run goes on, and
    the engine's typed table (repeats left out) is pandas's."""
    folder = tmp_path / "data"
    shutil.copytree(demo_dir, folder)
    ev = demo_tables["events"].copy()
    rng = np.random.default_rng(7)
    offences = np.flatnonzero(ev.event_type == "offence")
    ev.loc[rng.choice(offences, 40, replace=False), "event_type"] = "Offence"
    ev.loc[ev.event_type == "missing_episode", "event_type"] = "MISS"
    ev["crime_ref"] = np.where(rng.random(len(ev)) < 0.2, [f"C{i % 25}" for i in range(len(ev))], "")
    ev = pd.concat([ev, ev[ev.crime_ref != ""].head(5).assign(event_id=lambda f: "X" + f.event_id)], ignore_index=True)
    ev = ev.rename(columns={"offence_group": "Offence Group"}).assign(force_note="x")
    ev.to_csv(folder / "events.csv", index=False, lineterminator="\n")
    with (folder / "evaluation.toml").open("a") as config:
        config.write('\n[data.columns.events]\n"Offence Group" = "offence_group"\n')
        config.write('\n[data.values.events.event_type]\nMISS = "missing_episode"\nNEVER = "offence"\n')
    fast, slow = both_paths(folder)
    assert slow[0] is not None, slow[2][:3]
    assert any("values_folded" in w for w in slow[1]) and any("unused_mapping" in w for w in slow[1])
    assert any("crime_ref_once_per_person" in w for w in slow[1])
    assert_same(fast, slow)


def test_parquet_and_several_files(tmp_path, demo_dir, demo_tables):
    """Events in two files (one CSV with semicolons, one Parquet) with an id in both: read by the engine as by pandas."""
    folder = tmp_path / "data"
    shutil.copytree(demo_dir, folder)
    (folder / "events.csv").unlink()
    ev = demo_tables["events"]
    half = len(ev) // 2
    ev.iloc[:half].to_csv(folder / "events_a.csv", index=False, sep=";", lineterminator="\n")
    second = ev.iloc[half:].copy()
    second.iloc[3, 0] = ev.iloc[10, 0]  # an event_id also in the first file
    second = second.assign(event_date=pd.to_datetime(second.event_date), proven_date=pd.to_datetime(second.proven_date.replace("", None)))
    con = duckdb.connect()
    con.register("second", second)
    con.execute(f"COPY second TO '{folder / 'events_b.parquet'}' (FORMAT parquet)")
    con.close()
    config = (folder / "evaluation.toml").read_text() + '\n[[data.sources]]\ntable = "events"\nfile = "events_*"\n'
    (folder / "evaluation.toml").write_text(config)
    fast, slow = both_paths(folder)
    assert any("unique across" in e for e in slow[2]), slow[2][:3]
    assert_same(fast, slow)


def test_files_the_fast_path_does_not_take_go_to_pandas(tmp_path, demo_dir, demo_tables):
    """A blank line, a record over two lines, Windows-1252 text: the pandas path reads them, with its row numbers."""
    folder = tmp_path / "data"
    shutil.copytree(demo_dir, folder)
    text = (demo_dir / "events.csv").read_text().splitlines(keepends=True)
    text.insert(5, "\n")
    text[9] = text[9].replace("2018-", "31/02/", 1)
    (folder / "events.csv").write_text("".join(text))
    fast, slow = both_paths(folder, expect_engine=False)
    assert_same(fast, slow)
    assert any("row 11" in e for e in slow[2]) or not slow[2]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_clean_extract_is_checked_in_the_engine_alone(tmp_path, demo_dir, demo_tables, fmt):
    """No row of a clean extract comes back to pandas (memory does not grow with the table), CSV or Parquet with
    real date columns; and the table is the one pandas types."""
    folder = tmp_path / "data"
    shutil.copytree(demo_dir, folder)
    if fmt == "parquet":
        (folder / "events.csv").unlink()
        ev = demo_tables["events"].assign(
            event_date=lambda f: pd.to_datetime(f.event_date).dt.date,
            proven_date=lambda f: pd.to_datetime(f.proven_date.replace("", None)).dt.date,
        )
        con = duckdb.connect()
        con.register("ev", ev)
        con.execute(f"COPY ev TO '{folder / 'events.parquet'}' (FORMAT parquet)")
        con.close()
    marked = []
    original = engine_read.EngineRead.explain

    def spy(self):
        got = original(self)
        marked.append(self.marked)
        return got

    engine_read.EngineRead.explain = spy  # type: ignore[method-assign]
    try:
        fast, slow = both_paths(folder)
    finally:
        engine_read.EngineRead.explain = original  # type: ignore[method-assign]
    assert marked == [0]
    assert_same(fast, slow)


def test_the_report_kernel_is_handed_the_checked_events(tmp_path, demo_dir, monkeypatch):
    """`evaluation report` checks the events, then its notebook's kernel loads the data again: it takes the
    checked table for the same inputs (not checking 50 million rows twice), and checks afresh when they differ."""
    folder = tmp_path / "data"
    shutil.copytree(demo_dir, folder)
    first = evaluation.load(folder)
    assert first.events.manifest is not None
    monkeypatch.setenv(engine_read.HANDOFF, str(first.events.manifest))
    opened = []
    original = engine_read.EngineRead.open.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(engine_read.EngineRead, "open", classmethod(lambda cls, *a, **k: opened.append(1) or original(cls, *a, **k)))
    again = evaluation.load(folder)
    assert opened == [] and again.events.path == first.events.path
    assert again.warnings == first.warnings and again.files == first.files
    pd.testing.assert_frame_equal(again.summary(), first.summary())
    with (folder / "events.csv").open("a") as f:  # the extract changed: checked afresh
        f.write("E_NEW,P50328,2019-01-01,missing_episode,,,,\n")
    changed = evaluation.load(folder)
    assert opened == [1] and len(changed.events) == len(first.events) + 1


def test_an_engine_failure_is_one_sentence(demo_dir):
    """A query DuckDB cannot run fails with what failed, in one line, not DuckDB's multi-line report."""
    from evaluation.engine import EngineError

    data = evaluation.load(demo_dir)
    with pytest.raises(EngineError) as caught:
        data.events.query("SELECT no_such_column FROM events")
    assert str(caught.value).startswith("a query in DuckDB failed: Binder Error") and "\n" not in str(caught.value)


def test_windows_line_ends_and_a_byte_order_mark(tmp_path, demo_dir):
    """Excel's 'CSV UTF-8': a byte-order mark and CRLF line ends, with a bad date, read by the engine as by pandas."""
    folder = tmp_path / "data"
    shutil.copytree(demo_dir, folder)
    text = (demo_dir / "events.csv").read_text().replace("2018-03-0", "2018-13-0", 1)
    (folder / "events.csv").write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    fast, slow = both_paths(folder)
    assert len(slow[2]) == 1 and "2018-13-0" in slow[2][0]
    assert_same(fast, slow)


H = "event_id,person_id,event_date,event_type,offence_group,proven_outcome,proven_date,detention_id\n"
OK = "E1,P50328,2017-10-01,offence,theft,none,,\n"
PARQUET = (
    "SELECT * FROM (VALUES ('E1','P50328',DATE '2017-10-01','offence','theft','none',NULL::VARCHAR,NULL::VARCHAR),"
    "('E2','P50328',DATE '2017-10-02','offence','theft','none',NULL,NULL)) "
    "t(event_id,person_id,event_date,event_type,offence_group,proven_outcome,proven_date,detention_id)"
)

#: Inputs an independent attack found the two paths reading differently (session 23), each now read alike:
#: (events file name, its content or a DuckDB query for Parquet, config added, whether the engine takes it).
ATTACKS = {
    "a code mapped to empty in a required column": (
        "events.csv",
        H + OK + "E2,UNKNOWN,2017-10-01,offence,theft,none,,\n",
        '[data.values.events.person_id]\nUNKNOWN = ""\n',
        True,
    ),
    "a date format with a time of day": (
        "events.csv",
        H + OK + "E2,P50328,01/02/2018 13:45,offence,theft,none,,\n",
        "[data]\ndate_format = '%d/%m/%Y %H:%M'\n",
        True,
    ),
    "a mapped date": (
        "events.csv",
        H + OK + "E2,P50328,1901-01-01,offence,theft,none,,\n",
        '[data.values.events.event_date]\n"1901-01-01" = "2018-05-05"\n',
        True,
    ),
    "a quote after a space": ("events.csv", H + OK + 'E2,P50328,2017-10-01, "offence",theft,none,,\n', "", False),
    "a Parquet column name with a space": (
        "events.parquet",
        f'SELECT event_id AS "event_id ", * EXCLUDE (event_id) FROM ({PARQUET})',
        "",
        True,
    ),
    "a Parquet whole number with an empty cell": (
        "events.parquet",
        f"SELECT * REPLACE (CASE WHEN event_id='E1' THEN 9007199254740993 END AS detention_id) FROM ({PARQUET})",
        "",
        True,
    ),
    "a header and blank rows only": ("events.csv", H + ",,,,,,,\n", "", False),
    "a column renamed to nothing": (
        "events.csv",
        H.rstrip() + ",Notes\n" + OK.rstrip() + ",hello\n",
        '[data.columns.events]\nNotes = ""\n',
        True,
    ),
    "a carriage return alone": ("events.csv", H + "\rE3,P50328,2017-10-01,offenze,theft,none,,\n" + OK, "", False),
    "a total written with a long s": ("events.csv", H + OK + "ſubtotal,P50328,2017-10-01,offence,theft,none,,\n", "", False),
    "a file name with brackets": ("events[1].csv", H + OK, "", False),
}


@pytest.mark.parametrize("case", list(ATTACKS))
def test_inputs_an_attack_found_read_alike(tmp_path, demo_dir, case):
    name, content, config, engine_takes_it = ATTACKS[case]
    folder = tmp_path / "data"
    shutil.copytree(demo_dir, folder)
    (folder / "events.csv").unlink()
    if name.endswith(".parquet"):
        con = duckdb.connect()
        con.execute(f"COPY ({content}) TO '{folder / name}' (FORMAT parquet)")
        con.close()
    else:
        (folder / name).write_text(content, encoding="utf-8", newline="")
    text = (folder / "evaluation.toml").read_text()
    if config.startswith("[data]\n"):
        text = text.replace("[data]\n", config, 1)
    else:
        text += "\n" + config
    if name.startswith("events["):
        text += '\n[[data.sources]]\ntable = "events"\nfile = "events?1?.csv"\n'
    (folder / "evaluation.toml").write_text(text)
    fast, slow = both_paths(folder, expect_engine=engine_takes_it)
    assert_same(fast, slow)
