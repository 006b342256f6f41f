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


def _as_received(demo_dir, folder):
    """The demo extracts as the walkthrough's step 2 describes the files received."""
    det = pd.read_csv(demo_dir / "custody_detentions.csv", dtype=str, keep_default_na=False)
    local = {
        "detention_id": "Custody Ref",
        "person_id": "Person ID",
        "custody_suite": "Suite",
        "arrival_datetime": "Arrival",
        "release_datetime": "Release",
        "age_at_arrival": "Age",
        "sex": "Gender",
    }
    det = det.rename(columns=local)
    det["Gender"] = det["Gender"].map({"male": "M", "female": "F"}).fillna("U")
    for c in ("Arrival", "Release"):
        det[c] = pd.to_datetime(det[c]).dt.strftime("%d/%m/%Y %H:%M").fillna("")
    body = det.to_csv(index=False, sep=";", lineterminator="\r\n")
    (folder / "custody export.csv").write_bytes(("Custody records, extracted 15/06/2022\r\n" + body).encode("cp1252"))
    con = pd.read_csv(demo_dir / "programme_contacts.csv", dtype=str, keep_default_na=False)
    rag = {"intervention_arranged": "Green", "awaiting_intervention": "Amber", "declined": "Red", "out_of_area_referral": "Blue"}
    con["outcome"] = con.outcome.map(rag)
    for c in ("contact_date", "followup_date", "intervention_start_date", "intervention_end_date"):
        con[c] = pd.to_datetime(con[c]).dt.strftime("%d/%m/%Y").fillna("")
    con.rename(columns={"outcome": "RAG", "person_id": "Person ID", "detention_id": "Custody Ref"}).to_excel(
        folder / "log.xlsx", index=False
    )
    (folder / "police events.csv").write_bytes((demo_dir / "events.csv").read_bytes())
    (folder / "budget.csv").write_bytes((demo_dir / "costs.csv").read_bytes())
    return {v: k for k, v in rag.items()}


def test_walkthrough_init_writes_the_draft_shown(demo_dir, tmp_path):
    """Step 2's `evaluation init` on the files it describes writes the custody source it quotes, and the draft,
    once the codes it asks for are filled in, loads the same tables as the demo."""
    from tests.conftest import run_cli

    folder = tmp_path / "my-extracts"
    folder.mkdir()
    codes = _as_received(demo_dir, folder)
    res = run_cli("init", str(folder))
    assert res.returncode == 0, res.stderr
    draft = (folder / "evaluation.toml").read_text(encoding="utf-8")
    text = DOC.read_text("utf-8")
    quoted = re.search(r"```toml\n(.*?)```", text[text.index("<!-- walkthrough-init -->") :], flags=re.S).group(1)
    assert quoted in draft
    for code, role in codes.items():
        assert f'# "{code}" = ""  # FILL IN' in draft
        draft = draft.replace(f'# "{code}" = ""  # FILL IN', f'"{code}" = "{role}"')
    (folder / "evaluation.toml").write_text(draft, encoding="utf-8")
    mapped, reference = evaluation.load(folder), evaluation.load(demo_dir)
    for name in ("custody_detentions", "programme_contacts", "events", "costs"):
        pd.testing.assert_frame_equal(mapped.table(name), reference.table(name), obj=name)
