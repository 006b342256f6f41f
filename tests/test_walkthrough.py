"""The walkthrough's example is true: the demo data rewritten in the local form it describes, with the
`[data]` section it shows, loads to exactly the tables the demo itself loads to."""

from __future__ import annotations

import re

import pandas as pd

import evaluation
from tests.conftest import REPO

DOC = REPO / "docs" / "walkthrough.md"


def _config_block() -> str:
    text = DOC.read_text("utf-8")
    after = text[text.index("<!-- walkthrough-config -->") :]
    return re.search(r"```toml\n(.*?)```", after, flags=re.S).group(1)


def _to_local(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The demo extracts as the walkthrough's local systems would write them."""
    import tomllib

    data = tomllib.loads(_config_block())["data"]
    out = {k: v.copy() for k, v in tables.items()}
    for table, mapping in data["values"].items():
        for column, codes in mapping.items():
            back = {contract: local for local, contract in codes.items()}
            out[table][column] = out[table][column].map(lambda v: back.get(v, v))
    det = out["custody_detentions"]
    for col in ("arrival_datetime", "release_datetime"):
        det[col] = pd.to_datetime(det[col]).dt.strftime("%d/%m/%Y %H:%M")
    for table, cols in {
        "programme_contacts": ("contact_date", "followup_date", "intervention_start_date", "intervention_end_date"),
        "events": ("event_date", "proven_date"),
        "costs": ("start_date", "end_date"),
    }.items():
        for col in cols:
            filled = out[table][col] != ""
            out[table].loc[filled, col] = pd.to_datetime(out[table].loc[filled, col]).dt.strftime("%d/%m/%Y")
    for table, renames in data["columns"].items():
        out[table] = out[table].rename(columns={contract: local for local, contract in renames.items()})
    return out


def test_walkthrough_mapping_loads_local_extracts_exactly_as_the_demo(broken, demo_dir, demo_tables):
    config = (demo_dir / "evaluation.toml").read_text("utf-8")
    start, end = config.index("[data]"), config.index("[engagement]")
    local_config = config[:start] + _config_block() + "\n" + config[end:]

    def rewrite(t):
        t.update(_to_local(t))

    folder = broken(rewrite, config_text=local_config)
    local = pd.read_csv(folder / "custody_detentions.csv", dtype=str, nrows=3)
    assert "Custody Ref" in local.columns and local["Gender"].isin(["M", "F", "U"]).all()
    contacts = pd.read_csv(folder / "programme_contacts.csv", dtype=str)
    assert set(contacts.RAG) <= {"Green", "Amber", "Red", "Blue"} and "/" in contacts["Date of contact"].iloc[0]

    mapped, reference = evaluation.load(folder), evaluation.load(demo_dir)
    for name in ("custody_detentions", "programme_contacts", "events", "costs"):
        pd.testing.assert_frame_equal(mapped.table(name), reference.table(name), check_like=False, obj=name)


def test_walkthrough_validation_example_is_what_validate_prints(broken, tmp_path):
    """The validation output quoted in the walkthrough is the command's real output."""
    from tests.conftest import run_cli

    def edit(t):
        t["programme_contacts"].loc[2, "outcome"] = "Green"
        t["programme_contacts"].loc[6, "contact_date"] = "31/11/2020"

    folder = broken(edit)
    res = run_cli("validate", str(folder))
    assert res.returncode == 1
    quoted = re.search(r"```text\n(.*?)```", DOC.read_text("utf-8"), flags=re.S).group(1).strip()
    assert res.stderr.strip() == quoted
