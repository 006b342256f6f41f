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
    assert sorted(p.name for p in out.iterdir()) == ["costs.csv", "custody_detentions.csv", "evaluation.toml", "events.csv", "programme_contacts.csv"]
    again = run_cli("demo-data", str(out))
    assert again.returncode == 2 and "--force" in again.stderr
    assert run_cli("demo-data", str(out), "--force").returncode == 0
    assert run_cli("validate", str(out)).returncode == 0


def test_usage_errors_exit_2():
    assert run_cli("frobnicate").returncode == 2
