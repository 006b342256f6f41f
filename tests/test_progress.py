"""The command line reports each long stage (reading, checking, analysis stages in the notebook's kernel, PDF)."""

from __future__ import annotations

import subprocess
import sys

from evaluation import progress


def test_stages_report_to_the_caller_and_stay_quiet_otherwise(monkeypatch):
    monkeypatch.delenv(progress.ENV, raising=False)
    lines: list[str] = []
    with progress.stage("quiet"):  # library use: nothing set up, nothing said
        pass
    with progress.reporting(lines.append):
        with progress.stage("reading events.csv"):
            pass
        progress.note("5,000,000 rows")
    assert lines == ["reading events.csv…", "5,000,000 rows"]


def test_a_child_process_reports_through_the_file(tmp_path):
    """The report notebook's kernel is another process: its stages reach the command through the file named in
    the environment, printed as they come."""
    said: list[str] = []
    child = "from evaluation import progress\nwith progress.stage('matching'):\n    pass\nprogress.note('matched 93')\n"
    with progress.follow(tmp_path / "progress", said.append, every=0.05):
        subprocess.run([sys.executable, "-c", child], check=True)
    assert said == ["  matching…", "  matched 93"]
