"""Shared fixtures: the demo dataset (generated once per session) and helpers to break copies of it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from evaluation.demo import write_demo

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    """The demo dataset as CSV, written once per test session. Tests must not modify it."""
    out = tmp_path_factory.mktemp("demo")
    write_demo(out)
    return out


@pytest.fixture(scope="session")
def demo_tables(demo_dir) -> dict[str, pd.DataFrame]:
    """The demo CSVs read back as text (as a user's files would be)."""
    return {p.stem: pd.read_csv(p, dtype=str, keep_default_na=False) for p in demo_dir.glob("*.csv")}


@pytest.fixture
def broken(tmp_path, demo_dir, demo_tables):
    """Copy the demo to a fresh folder, letting a test edit tables (as text) first.

    Usage: folder = broken(lambda t: t["custody_detentions"].loc[4, "sex"] = "M")
    Row i of a DataFrame is spreadsheet row i + 2 (the header is row 1).
    """

    def make(edit=None, config_text: str | None = None) -> Path:
        folder = tmp_path / "data"
        folder.mkdir(exist_ok=True)
        tables = {k: v.copy() for k, v in demo_tables.items()}
        if edit is not None:
            edit(tables)
        for name, frame in tables.items():
            if frame is not None:
                frame.to_csv(folder / f"{name}.csv", index=False, lineterminator="\n")
        shutil.copy(demo_dir / "evaluation.toml", folder / "evaluation.toml")
        if config_text is not None:
            (folder / "evaluation.toml").write_text(config_text, encoding="utf-8")
        return folder

    return make


#: The [programme] section of the small hand-made test datasets: Operation Alliance's suite, period and areas.
TINY_PROGRAMME = """[programme]
name = "Test"
suites = ["Wood Green"]
start = 2020-10-19
end = 2020-12-31
home_areas = ["Enfield", "Haringey"]
"""


def write_tables(folder: Path, config: str, **tables: str) -> Path:
    """Write a small hand-made dataset: one CSV per table (given as text) and its evaluation.toml."""
    for name, text in tables.items():
        (folder / f"{name}.csv").write_text(text)
    (folder / "evaluation.toml").write_text(config)
    return folder


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the `evaluation` console command as a user would."""
    exe = Path(sys.executable).parent / "evaluation"
    return subprocess.run([str(exe), *args], capture_output=True, text=True, cwd=cwd, env={**os.environ, **(env or {})}, timeout=600)
