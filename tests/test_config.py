import datetime as dt
import tomllib

import pytest

import evaluation
from evaluation.config import config_from_dict, load_config
from evaluation.demo import demo_config_toml
from evaluation.problems import ConfigError


def demo_raw():
    return tomllib.loads(demo_config_toml())


def test_demo_config_loads_with_defaults():
    cfg = config_from_dict(demo_raw(), source="evaluation.toml")
    assert cfg.programme.start == dt.date(2020, 10, 19)
    assert cfg.programme.suites == ("Wood Green",)
    assert cfg.comparison.pre_period_end == dt.date(2019, 12, 31)
    assert cfg.data.date_format == "%Y-%m-%d"  # default filled
    assert cfg.engagement.age_bands == ((9, 10), (11, 15), (16, 18))
    assert cfg.as_dict()["data"]["encoding"] == "utf-8"


def test_every_config_problem_reported_at_once_with_its_key():
    raw = demo_raw()
    raw["programme"]["start"] = "19/10/2020"
    raw["programme"]["colour"] = "blue"
    del raw["programme"]["suites"]
    raw["data"]["extract_date"] = dt.datetime(2022, 6, 30, 12, 0)
    with pytest.raises(ConfigError) as exc:
        config_from_dict(raw, source="evaluation.toml")
    text = exc.value.format()
    assert len(exc.value.errors) == 4, text
    assert "[programme] start" in text and "expected a date written as YYYY-MM-DD" in text
    assert "unknown key(s) 'colour'" in text
    assert "missing required key 'suites'" in text
    assert "[data] extract_date" in text


@pytest.mark.parametrize(
    "edit, key, fragment",
    [
        (lambda r: r["programme"].update(end=dt.date(2020, 1, 1)), "[programme] end", "ends (2020-01-01) before it starts"),
        (lambda r: r["programme"].update(age_min=15, age_max=12), "[programme] age_max", "below age_min"),
        (
            lambda r: r["comparison"].update(pre_period_end=dt.date(2020, 11, 1)),
            "[comparison] pre_period_end",
            "must end before the programme starts",
        ),
        (lambda r: r["comparison"].update(suites=["Wood Green"]), "[comparison] suites", "is a programme suite"),
        (lambda r: r["engagement"].update(age_bands=[[10, 15], [14, 17]]), "[engagement] age_bands", "overlap"),
        (lambda r: r["data"].update(extract_date=dt.date(2019, 1, 1)), "[data] extract_date", "before the programme started"),
        (lambda r: r["data"].update(date_format="dd/mm/yyyy"), "[data] date_format", "not a strftime format"),
        (lambda r: r["data"].update(values={"custodies": {}}), "[data] values", "is not a table"),
    ],
)
def test_config_logic_errors_name_the_key(edit, key, fragment):
    raw = demo_raw()
    edit(raw)
    with pytest.raises(ConfigError) as exc:
        config_from_dict(raw, source="evaluation.toml")
    assert any(p.column.startswith(key) and fragment in p.message for p in exc.value.problems), exc.value.format()


def test_unreadable_config_files(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")
    bad = tmp_path / "evaluation.toml"
    bad.write_text("[programme\nname = 1", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)


def test_report_metadata_is_printed_and_its_absence_warned_about(broken, demo_dir):
    """Issue 15: title, evaluator, commissioner, version, report date and the decision's date from the config; a
    config without them gets a warning naming each key; a malformed date is an error naming its key."""
    from evaluation.report.session import decision_timing

    text = (demo_dir / "evaluation.toml").read_text(encoding="utf-8")
    data = evaluation.load(demo_dir)
    assert not [w for w in data.warnings if w.rule == "report_metadata"]
    import dataclasses

    config = data.config
    assert config.report.decision_date is None  # the demo's renewal decision came before its extract: none is claimed
    decided = dataclasses.replace(config, report=dataclasses.replace(config.report, decision_date=dt.date(2022, 9, 30)))
    sentence = decision_timing(decided)
    assert "due on 30 September 2022" in sentence and "15 June 2022, 3 months before it" in sentence
    bare = "\n".join(
        line for line in text.splitlines() if not line.startswith(("author =", "commissioner =", "version =", "report_date ="))
    )
    warned = evaluation.load(broken(config_text=bare)).warnings
    assert sorted(w.column for w in warned if w.rule == "report_metadata") == [
        "[report] author",
        "[report] commissioner",
        "[report] report_date",
        "[report] version",
    ]
    with pytest.raises(evaluation.ConfigError) as exc:
        evaluation.load(broken(config_text=text.replace("report_date = 2022-07-01", 'report_date = "2022-13-01"')))
    assert [p.column for p in exc.value.problems] == ["[report] report_date"]
