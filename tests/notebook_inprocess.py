"""Run the report notebook's code cells in this process, with display switched off: the analysis, the
published-figures model, its intruder audit and results.json / tables.xlsx / disclosure_log.csv, without
papermill, HTML or PDF (those are tested on the demo in test_report.py). Fast enough for several datasets."""

from __future__ import annotations

import json
from pathlib import Path
from unittest import mock

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "report.ipynb"


def run_report_cells(data_dir: Path, out_dir: Path, internal_qa: bool = False) -> dict:
    """Execute every code cell as papermill would (parameters replaced); returns the cells' namespace.
    Any exception (a DisclosureAuditError included) propagates."""
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    cells = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    namespace: dict = {"__name__": "__report__"}
    exec(cells[0], namespace)  # the parameters cell
    namespace.update(data_dir=str(data_dir), config_path=None, out_dir=str(out_dir), internal_qa=internal_qa)
    with mock.patch("IPython.display.display", lambda *a, **k: None):
        for source in cells[1:]:
            exec(compile(source, "report.ipynb", "exec"), namespace)
    return namespace
