"""One expression, two engines: the stages that read the events give identical results on DuckDB and on Apache
Spark (local mode). The SQL is written once, in DuckDB's dialect, and translated for Spark by sqlglot.

Without PySpark or Java these tests skip and say why; in CI (EVALUATION_REQUIRE_SPARK=1) they must run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import evaluation
from evaluation.engine import EngineError, spark_query
from evaluation.outcomes import count_events, events_start_date, matched_sample, person_windows
from evaluation.pipeline import evaluate

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.spark


def _spark_missing() -> str | None:
    try:
        import pyspark  # noqa: F401
        import sqlglot  # noqa: F401
    except ImportError as exc:
        return f"PySpark or sqlglot is not installed ({exc.name}): pip install 'evaluation[spark]'"
    if shutil.which("java") is None:
        return "Java is not installed (Spark needs Java 17 or later: apt-get install openjdk-17-jre-headless)"
    return None


@pytest.fixture(scope="module", autouse=True)
def need_spark():
    reason = _spark_missing()
    if reason:
        if os.environ.get("EVALUATION_REQUIRE_SPARK") == "1":
            pytest.fail(f"{reason}; EVALUATION_REQUIRE_SPARK=1 (CI) needs Spark")
        pytest.skip(reason)


def _on(folder: Path, engine: str):
    data = evaluation.load(folder)
    data.events.on(engine)
    return data


def test_the_whole_evaluation_is_identical_on_spark(demo_dir):
    """Every estimate (the figures the report publishes, before disclosure control), the cohort's covariates
    (prior counts from the events) and the person-window counts: identical, not merely close."""
    duck, spark = _on(demo_dir, "duckdb"), _on(demo_dir, "spark")
    a, b = evaluate(duck), evaluate(spark)
    pd.testing.assert_frame_equal(a.summary(), b.summary())
    pd.testing.assert_frame_equal(a.cohort.table, b.cohort.table)
    assert a.summary().shape[0] > 20 and a.cohort.table.prior_offences_12m.sum() > 100  # the events were really read
    win = person_windows(matched_sample(a.matching), [3, 12], duck.config.data.extract_date, events_start_date(duck))
    pd.testing.assert_frame_equal(count_events(win, duck.events), count_events(win, spark.events))


def test_the_spell_design_is_identical_on_spark(tmp_path):
    """A programme of another shape (IOM spells, from its own generator): the spells' offence counts and rates."""
    folder = tmp_path / "iom"
    subprocess.run([sys.executable, str(REPO / "examples" / "iom_spells" / "generate.py"), str(folder)], check=True, capture_output=True)
    a, b = evaluate(_on(folder, "duckdb")), evaluate(_on(folder, "spark"))
    assert a.spells is not None and a.spells.summary.offences.sum() > 0
    pd.testing.assert_frame_equal(a.spells.windows.drop(columns="offence_groups"), b.spells.windows.drop(columns="offence_groups"))
    assert a.spells.windows.offence_groups.tolist() == b.spells.windows.offence_groups.tolist()
    pd.testing.assert_frame_equal(a.summary(), b.summary())


def test_a_spark_failure_is_one_sentence(demo_dir):
    """A query Spark cannot run fails with what failed, not a JVM stack trace."""
    data = _on(demo_dir, "spark")
    with pytest.raises(EngineError) as caught:
        spark_query("SELECT no_such_column FROM events", data.events, None)
    message = str(caught.value)
    assert message.startswith("a query on Spark failed:") and "\n" not in message and "at org.apache" not in message
