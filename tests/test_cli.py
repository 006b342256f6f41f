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
