import pytest

from tests.conftest import run_cli


@pytest.mark.parametrize("args", [[], ["validate"], ["demo-data"], ["report"], ["data-dictionary"]])
def test_help_for_every_command(args):
    res = run_cli(*args, "--help")
    assert res.returncode == 0 and "usage: evaluation" in res.stdout


def test_demo_data_writes_the_contract_and_refuses_to_overwrite(tmp_path):
    out = tmp_path / "demo"
    res = run_cli("demo-data", str(out))
    assert res.returncode == 0, res.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "costs.csv",
        "custody_detentions.csv",
        "evaluation.toml",
        "events.csv",
        "programme_contacts.csv",
    ]
    again = run_cli("demo-data", str(out))
    assert again.returncode == 2 and "--force" in again.stderr
    assert run_cli("demo-data", str(out), "--force").returncode == 0
    assert run_cli("validate", str(out)).returncode == 0


def test_usage_errors_exit_2():
    assert run_cli("frobnicate").returncode == 2


def test_validate_says_what_the_data_cannot_support_in_the_design(tmp_path):
    """A programme whose extract comes too soon for proven reoffending, and a config without comparison
    sources: validate passes (no errors in the data) and says so in plain words, before anything is built."""
    from tests.conftest import TINY_PROGRAMME, write_tables
    from tests.test_cohort import CONTACTS, DETENTIONS, EVENTS

    config = TINY_PROGRAMME + "[data]\nextract_date = 2021-03-31\n"
    folder = write_tables(tmp_path, config, custody_detentions=DETENTIONS, programme_contacts=CONTACTS, events=EVENTS)
    res = run_cli("validate", str(folder))
    assert res.returncode == 0, res.stderr
    assert "cannot support in the design" in res.stdout
    assert "No comparison group: the config names no comparison suites or pre-programme period" in res.stdout
    assert "Follow-up too short for proven reoffending" in res.stdout


@pytest.mark.parametrize("case", ["out_is_a_file", "parent_is_a_file", "output_name_is_a_folder"])
def test_report_outputs_that_cannot_be_written_fail_at_once_with_a_sentence(tmp_path, demo_dir, case):
    """Issue 13: an --out that cannot hold the outputs fails before the build, with exit status 3 and no traceback."""
    target = tmp_path / "out"
    if case == "out_is_a_file":
        target.write_text("an earlier report.html")
    elif case == "parent_is_a_file":
        (tmp_path / "reports").write_text("not a folder")
        target = tmp_path / "reports" / "out"
    else:
        (target / "report.pdf").mkdir(parents=True)
    res = run_cli("report", "--data", str(demo_dir), "--out", str(target), "--quiet")
    assert res.returncode == 3, res.stderr
    assert "Traceback" not in res.stderr and "Report build failed" in res.stderr
    assert {"out_is_a_file": "is a file", "parent_is_a_file": "is a file", "output_name_is_a_folder": "is a folder"}[case] in res.stderr


def test_unwritable_output_folder_is_a_sentence(tmp_path, monkeypatch):
    """A read-only folder (simulated: tests may run as root, who can write anywhere)."""
    import tempfile

    from evaluation.report.build import ReportBuildError, check_output_folder

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(kwargs.get("dir", "")))

    monkeypatch.setattr(tempfile, "NamedTemporaryFile", refuse)
    with pytest.raises(ReportBuildError, match="cannot write the report to .*Permission denied"):
        check_output_folder(tmp_path / "out")


def test_unexpected_errors_and_interrupts_are_sentences_unless_debug(monkeypatch, capsys):
    """Never a traceback without --debug: an unexpected error is one line and exit status 3; Ctrl-C is 130."""
    from evaluation import cli

    def boom(args):
        raise RuntimeError("something the package did not expect")

    def interrupt(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_cmd_dictionary", boom)
    assert cli.main(["data-dictionary"]) == 3
    err = capsys.readouterr().err
    assert "data-dictionary failed: RuntimeError: something the package did not expect" in err and "--debug" in err
    with pytest.raises(RuntimeError):
        cli.main(["data-dictionary", "--debug"])
    with pytest.raises(RuntimeError):
        cli.main(["--debug", "data-dictionary"])
    monkeypatch.setattr(cli, "_cmd_dictionary", interrupt)
    assert cli.main(["data-dictionary"]) == 130
    assert "Interrupted" in capsys.readouterr().err


def test_init_drafts_a_config_from_the_files_as_received(tmp_path, demo_dir):
    """Issue 13: `evaluation init` reads the files an evaluator received (local names, a title row, semicolons,
    day-first dates, local codes, a workbook: the walkthrough's folder), guesses each table and writes a draft
    that needs only the decisions a person must make; nothing in the folder is modified and a config is never
    overwritten without --force. (tests/test_walkthrough.py checks the draft loads the demo's tables.)"""
    import hashlib

    from tests.test_walkthrough import _as_received

    data = tmp_path / "received"
    data.mkdir()
    _as_received(demo_dir, data)
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in data.iterdir()}
    res = run_cli("init", str(data))
    assert res.returncode == 0, res.stderr
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in data.iterdir() if p.name != "evaluation.toml"} == before
    draft = (data / "evaluation.toml").read_text(encoding="utf-8")
    assert 'suites = ["Wood Green"]' in draft and "header_row = 2" in draft and 'delimiter = ";"' in draft
    assert '"Custody Ref" = "detention_id"' in draft and '"M" = "male"' in draft and 'date_format = "%d/%m/%Y"' in draft
    assert '# "Green" = ""  # FILL IN' in draft and "start = 2020-10-19  # GUESS" in draft
    assert run_cli("init", str(data)).returncode == 2  # never overwrites without --force
    assert run_cli("init", str(data), "--out", str(tmp_path / "draft.toml")).returncode == 0


def test_the_recorded_command_carries_no_local_paths():
    """Issue 13: `--out /home/…/reports` was printed as typed in the provenance appendix."""
    from evaluation.cli import portable_command

    argv = [
        "report",
        "--data",
        "/home/alice/cases/alliance/data",
        "--out=/home/alice/reports/alliance",
        "--config",
        "/tmp/x/eval.toml",
        "--quiet",
    ]
    assert portable_command(argv) == "evaluation report --data data --out=alliance --config eval.toml"


def test_init_finds_a_workbooks_header_below_its_title(tmp_path, demo_dir):
    """A workbook with a title above its header: init finds the header row and says so in the draft."""
    import pandas as pd

    data = tmp_path / "received"
    data.mkdir()
    costs = pd.read_csv(demo_dir / "costs.csv", dtype=str, keep_default_na=False)
    with pd.ExcelWriter(data / "budget.xlsx") as xw:
        pd.DataFrame([["Programme budget 2020-21"]]).to_excel(xw, index=False, header=False, sheet_name="Budget")
        costs.to_excel(xw, index=False, startrow=2, sheet_name="Budget")
    assert run_cli("init", str(data)).returncode == 0
    draft = (data / "evaluation.toml").read_text(encoding="utf-8")
    assert 'table = "costs"' in draft and "header_row = 3" in draft
