"""Validated loading: one bad-input test per rule, each asserting file, row and column; file-level
failures; all problems at once; other formats; mappings."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

import evaluation
from evaluation.demo import write_demo
from evaluation.problems import ValidationError
from tests.conftest import run_cli


def problems_of(folder, **kwargs):
    with pytest.raises(ValidationError) as exc:
        evaluation.load(folder, **kwargs)
    return exc.value.errors


def assert_problem(problems, file, row, column, fragment):
    """Exactly the expected location and message are among the problems, and its text names them."""
    hits = [p for p in problems if p.file == file and p.row == row and p.column == column and fragment in p.message]
    listing = "\n".join(map(str, problems))
    assert hits, f"no problem at {file}, row {row}, column {column} with '{fragment}':\n{listing}"
    text = str(hits[0])
    assert file in text and f"row {row}" in text and f"column {column}" in text


def second_detention(tables):
    """(row index of a person's earlier detention, row index of their later one) in custody_detentions."""
    d = tables["custody_detentions"]
    counts = d.person_id.value_counts()
    person = counts[counts >= 2].index[0]
    rows = d.index[d.person_id == person]
    return rows[0], rows[1]


# ---------------------------------------------------------------------------------------------- field rules


@pytest.mark.parametrize(
    "table, column, value, fragment",
    [
        ("custody_detentions", "person_id", "", "a value is required"),
        ("custody_detentions", "sex", "M", "not an allowed value; expected one of female, male, other, unknown"),
        ("custody_detentions", "ethnicity", "IC3", "not an allowed value"),
        ("custody_detentions", "age_at_arrival", "fifteen", "expected a whole number"),
        ("custody_detentions", "age_at_arrival", "9", "below the minimum 10"),
        ("custody_detentions", "age_at_arrival", "140", "above the maximum 110"),
        ("custody_detentions", "arrival_datetime", "19/10/2020 14:00", "expected a date and time like 2020-10-19 14:30"),
        ("custody_detentions", "known_to_yos", "maybe", "not an allowed value"),
        ("programme_contacts", "contact_date", "2020-13-01", "expected a date like 2020-10-19"),
        ("programme_contacts", "outcome", "Green", "[data.values.programme_contacts.outcome]"),
        ("programme_contacts", "sessions_attended", "-1", "below the minimum 0"),
        ("events", "event_type", "arrest", "not an allowed value"),
        ("costs", "amount_gbp", "£1,200", "expected a number"),
        ("costs", "amount_gbp", "-5", "below the minimum 0"),
        ("costs", "category", "salaries", "not an allowed value"),
    ],
)
def test_field_rules_name_file_row_column(broken, table, column, value, fragment):
    def edit(t):
        t[table].loc[3, column] = value

    problems = problems_of(broken(edit))
    assert_problem(problems, f"{table}.csv", 5, column, fragment)
    assert any(p.value == value for p in problems if p.column == column) or value == ""


def test_unique_ids(broken):
    def edit(t):
        t["custody_detentions"].loc[7, "detention_id"] = t["custody_detentions"].loc[2, "detention_id"]

    assert_problem(problems_of(broken(edit)), "custody_detentions.csv", 9, "detention_id", "already appears in row 4")


def test_several_contacts_at_one_detention_and_contacts_outside_custody_are_valid(demo_dir, tmp_path):
    """Issue 12: several providers meet one person at one detention (Northamptonshire), and people are met
    outside custody (voluntary attendance): neither is an error any more. A contact naming a detention that
    does not exist still is."""
    import shutil

    import pandas as pd

    import evaluation

    folder = tmp_path / "data"
    shutil.copytree(demo_dir, folder)
    c = pd.read_csv(folder / "programme_contacts.csv", dtype=str, keep_default_na=False)
    extra = c.iloc[[1]].assign(contact_id="X1")  # a second provider at the same detention
    outside = c.iloc[[2]].assign(contact_id="X2", detention_id="")  # met outside custody
    pd.concat([c, extra, outside]).to_csv(folder / "programme_contacts.csv", index=False)
    data = evaluation.load(folder)
    assert data.programme_contacts.detention_id.isna().sum() == 1
    assert data.programme_contacts.detention_id.duplicated().sum() >= 1
    ghost = pd.concat([c, c.iloc[[3]].assign(contact_id="X3", detention_id="NO-SUCH-DETENTION")])
    ghost.to_csv(folder / "programme_contacts.csv", index=False)
    with pytest.raises(evaluation.ValidationError, match="does not exist in custody_detentions"):
        evaluation.load(folder)


def test_missing_required_column(broken):
    problems = problems_of(broken(lambda t: t.__setitem__("custody_detentions", t["custody_detentions"].drop(columns="ethnicity"))))
    assert_problem(problems, "custody_detentions.csv", 1, "ethnicity", "required column is missing")


def test_unknown_columns_are_ignored_with_a_warning(broken):
    def edit(t):
        t["custody_detentions"]["surname"] = "Smith"

    data = evaluation.load(broken(edit))
    assert "surname" not in data.custody_detentions.columns
    assert any(w.column == "surname" and "ignored" in w.message for w in data.warnings)


def test_optional_columns_may_be_left_out(broken):
    def edit(t):
        t["programme_contacts"] = t["programme_contacts"].drop(columns=["pathway", "sessions_attended", "followup_date"])

    data = evaluation.load(broken(edit))
    assert data.programme_contacts.pathway.isna().all()


# ---------------------------------------------------------------------------------------------- schema x-rules


def test_release_after_arrival(broken):
    def edit(t):
        d = t["custody_detentions"]
        d.loc[10, "release_datetime"] = (pd.Timestamp(d.loc[10, "arrival_datetime"]) - pd.Timedelta(hours=2)).strftime("%Y-%m-%d %H:%M")

    assert_problem(problems_of(broken(edit)), "custody_detentions.csv", 12, "release_datetime", "is before the arrival")


def test_nothing_after_extract_date(broken):
    def edit(t):
        t["events"].loc[20, "event_date"] = "2023-01-05"
        t["programme_contacts"].loc[2, "followup_date"] = "2022-07-01"

    problems = problems_of(broken(edit))
    assert_problem(problems, "events.csv", 22, "event_date", "after the extract date (")
    assert_problem(problems, "programme_contacts.csv", 4, "followup_date", "after the extract date")


def test_costs_start_not_after_extract(broken):
    def edit(t):
        t["costs"].loc[1, "start_date"] = "2022-09-01"
        t["costs"].loc[1, "end_date"] = "2022-09-30"

    assert_problem(problems_of(broken(edit)), "costs.csv", 3, "start_date", "renewal scenario")


def test_person_sex_consistent(broken):
    holder = {}

    def edit(t):
        first, later = second_detention(t)
        d = t["custody_detentions"]
        d.loc[first, "sex"] = "male"
        d.loc[later, "sex"] = "female"
        holder["row"] = later + 2

    problems = problems_of(broken(edit))
    assert_problem(problems, "custody_detentions.csv", holder["row"], "sex", "is recorded as 'male'")


def test_person_age_consistent(broken):
    holder = {}

    def edit(t):
        first, later = second_detention(t)
        d = t["custody_detentions"]
        d.loc[later, "age_at_arrival"] = str(int(d.loc[first, "age_at_arrival"]) + 6)
        holder["rows"] = (first + 2, later + 2)

    problems = problems_of(broken(edit))
    bad = [p for p in problems if p.rule == "person_consistency" and p.column == "age_at_arrival"]
    assert len(bad) == 2 and all("no single date of birth" in p.message for p in bad), "\n".join(map(str, problems))
    assert holder["rows"][1] in {p.row for p in bad}, "the edited detention is one of the two reported"


def test_contact_detention_must_exist(broken):
    def edit(t):
        t["programme_contacts"].loc[0, "detention_id"] = "D9999999"

    assert_problem(problems_of(broken(edit)), "programme_contacts.csv", 2, "detention_id", "does not exist in custody_detentions")


def test_contact_person_matches_detention(broken):
    def edit(t):
        c = t["programme_contacts"]
        c.loc[0, "person_id"] = c.loc[1, "person_id"]

    assert_problem(problems_of(broken(edit)), "programme_contacts.csv", 2, "person_id", "differs from the person of detention")


def test_contact_not_before_arrival(broken):
    def edit(t):
        c = t["programme_contacts"]
        c.loc[4, "contact_date"] = (pd.Timestamp(c.loc[4, "contact_date"]) - pd.Timedelta(days=3)).strftime("%Y-%m-%d")

    assert_problem(problems_of(broken(edit)), "programme_contacts.csv", 6, "contact_date", "is before the detention began")


def _first_with(t, column):
    c = t["programme_contacts"]
    return c.index[c[column] != ""][0]


def test_followup_not_before_contact(broken):
    holder = {}

    def edit(t):
        i = _first_with(t, "followup_date")
        c = t["programme_contacts"]
        c.loc[i, "followup_date"] = (pd.Timestamp(c.loc[i, "contact_date"]) - pd.Timedelta(days=1)).strftime("%Y-%m-%d")
        holder["row"] = i + 2

    assert_problem(problems_of(broken(edit)), "programme_contacts.csv", holder["row"], "followup_date", "is before contact_date")


def test_intervention_start_not_before_contact(broken):
    holder = {}

    def edit(t):
        i = _first_with(t, "intervention_start_date")
        c = t["programme_contacts"]
        c.loc[i, "intervention_start_date"] = (pd.Timestamp(c.loc[i, "contact_date"]) - pd.Timedelta(days=1)).strftime("%Y-%m-%d")
        holder["row"] = i + 2

    assert_problem(problems_of(broken(edit)), "programme_contacts.csv", holder["row"], "intervention_start_date", "is before contact_date")


def test_intervention_end_not_before_start_and_needs_start(broken):
    holder = {}

    def edit(t):
        c = t["programme_contacts"]
        ended = c.index[c.intervention_end_date != ""]
        i, j = ended[0], ended[1]
        c.loc[i, "intervention_end_date"] = (pd.Timestamp(c.loc[i, "intervention_start_date"]) - pd.Timedelta(days=1)).strftime("%Y-%m-%d")
        c.loc[j, "intervention_start_date"] = ""
        holder["rows"] = (i + 2, j + 2)

    problems = problems_of(broken(edit))
    assert_problem(problems, "programme_contacts.csv", holder["rows"][0], "intervention_end_date", "is before intervention_start_date")
    assert_problem(problems, "programme_contacts.csv", holder["rows"][1], "intervention_start_date", "must have started")


def _event_row(t, event_type, **conditions):
    e = t["events"]
    mask = e.event_type == event_type
    for col, want_filled in conditions.items():
        mask &= (e[col] != "") if want_filled else (e[col] == "")
    return e.index[mask][0]


def test_offence_group_required_for_offences_and_empty_for_missing(broken):
    holder = {}

    def edit(t):
        i = _event_row(t, "offence")
        j = _event_row(t, "missing_episode")
        t["events"].loc[i, "offence_group"] = ""
        t["events"].loc[j, "offence_group"] = "theft"
        holder["rows"] = (i + 2, j + 2)

    problems = problems_of(broken(edit))
    assert_problem(problems, "events.csv", holder["rows"][0], "offence_group", "is required for event_type 'offence'")
    assert_problem(problems, "events.csv", holder["rows"][1], "offence_group", "must be empty for a missing episode")


def test_outcome_only_for_offences(broken):
    holder = {}

    def edit(t):
        i = _event_row(t, "victimisation")
        t["events"].loc[i, "proven_outcome"] = "conviction"
        holder["row"] = i + 2

    assert_problem(problems_of(broken(edit)), "events.csv", holder["row"], "proven_outcome", "offences only")


def test_proven_date_needs_outcome(broken):
    holder = {}

    def edit(t):
        i = _event_row(t, "offence", proven_date=True)
        t["events"].loc[i, "proven_outcome"] = "none"
        holder["row"] = i + 2

    assert_problem(problems_of(broken(edit)), "events.csv", holder["row"], "proven_outcome", "has a proven_date")


def test_proven_not_before_event(broken):
    holder = {}

    def edit(t):
        i = _event_row(t, "offence", proven_date=True)
        e = t["events"]
        e.loc[i, "proven_date"] = (pd.Timestamp(e.loc[i, "event_date"]) - pd.Timedelta(days=10)).strftime("%Y-%m-%d")
        holder["row"] = i + 2

    assert_problem(problems_of(broken(edit)), "events.csv", holder["row"], "proven_date", "is before event_date")


def test_event_detention_exists_and_same_person(broken):
    holder = {}

    def edit(t):
        e = t["events"]
        linked = e.index[e.detention_id != ""]
        i, j = linked[0], linked[1]
        e.loc[i, "detention_id"] = "D0000001"
        e.loc[j, "person_id"] = e.loc[i, "person_id"] if e.loc[i, "person_id"] != e.loc[j, "person_id"] else "P99999"
        holder["rows"] = (i + 2, j + 2)

    problems = problems_of(broken(edit))
    assert_problem(problems, "events.csv", holder["rows"][0], "detention_id", "does not exist in custody_detentions")
    assert_problem(problems, "events.csv", holder["rows"][1], "person_id", "differs from the person of detention")


def test_cost_end_not_before_start(broken):
    def edit(t):
        t["costs"].loc[2, "end_date"] = "2020-01-01"

    assert_problem(problems_of(broken(edit)), "costs.csv", 4, "end_date", "is before start_date")


def test_advisory_warnings_do_not_stop_the_run(broken):
    def edit(t):
        c = t["programme_contacts"]
        d = t["custody_detentions"]
        # move one contact's detention to a comparison suite: a warning, not an error
        det = c.loc[0, "detention_id"]
        d.loc[d.detention_id == det, "custody_suite"] = "Brixton"

    data = evaluation.load(broken(edit))
    assert any(w.rule == "outside_programme" and "not at a programme suite" in w.message for w in data.warnings)


# ---------------------------------------------------------------------------------------------- all at once


def test_all_problems_across_all_files_at_once(broken):
    def edit(t):
        t["custody_detentions"].loc[0, "sex"] = "X"
        t["custody_detentions"].loc[1, "age_at_arrival"] = "8"
        t["programme_contacts"].loc[0, "outcome"] = "Amber"
        t["events"].loc[0, "event_date"] = "yesterday"
        t["costs"].loc[0, "amount_gbp"] = "lots"

    problems = problems_of(broken(edit))
    assert {(p.file, p.row, p.column) for p in problems} >= {
        ("custody_detentions.csv", 2, "sex"),
        ("custody_detentions.csv", 3, "age_at_arrival"),
        ("programme_contacts.csv", 2, "outcome"),
        ("events.csv", 2, "event_date"),
        ("costs.csv", 2, "amount_gbp"),
    }


# ---------------------------------------------------------------------------------------------- file level


def test_missing_required_table(broken):
    folder = broken()
    (folder / "programme_contacts.csv").unlink()
    problems = problems_of(folder)
    assert any(p.rule == "missing_table" and "programme_contacts" in p.file for p in problems)


def test_optional_tables_may_be_missing(broken):
    folder = broken()
    (folder / "costs.csv").unlink()
    (folder / "events.csv").unlink()
    data = evaluation.load(folder)
    assert data.costs is None and data.events is None


def test_wrong_file_type(broken):
    folder = broken()
    (folder / "costs.csv").rename(folder / "costs.xls")
    problems = problems_of(folder)
    assert any(p.file == "costs.xls" and "unsupported file type" in p.message and "save it as .xlsx" in p.message for p in problems)


def test_two_files_for_one_table(broken):
    folder = broken()
    pd.read_csv(folder / "costs.csv").to_excel(folder / "costs.xlsx", index=False)
    problems = problems_of(folder)
    assert any("more than one file for table costs" in p.message for p in problems)


@pytest.mark.parametrize(
    "content, fragment",
    [
        (b"", "is empty"),
        (b"   \n\n", "is empty"),
        (b"item,category,start_date,end_date,amount_gbp,funder\n", "has a header row but no data rows"),
        (b"PK\x03\x04rest-of-a-zip", "is an Excel workbook or zip archive"),
        (b"%PDF-1.7 ...", "is a PDF document"),
        (b"\xff\xfei\x00t\x00e\x00m\x00", "UTF-16"),
    ],
)
def test_unreadable_csv_files(broken, content, fragment):
    folder = broken()
    (folder / "costs.csv").write_bytes(content)
    problems = problems_of(folder)
    hit = [p for p in problems if p.file == "costs.csv"]
    assert hit and fragment in hit[0].message, "\n".join(map(str, problems))


def test_wrong_encoding_is_explained_and_configurable(broken, demo_dir):
    folder = broken()
    path = folder / "custody_detentions.csv"
    text = path.read_text(encoding="utf-8").replace("Barnet", "Barnét", 1)
    path.write_bytes(text.encode("cp1252"))
    problems = problems_of(folder)
    p = next(p for p in problems if p.file == "custody_detentions.csv")
    assert "cannot be read as utf-8 text" in p.message and "byte 0xe9" in p.message and p.row is not None
    cfg = (folder / "evaluation.toml").read_text().replace("[data]\n", '[data]\nencoding = "cp1252"\n')
    (folder / "evaluation.toml").write_text(cfg)
    data = evaluation.load(folder)
    assert "Barnét" in set(data.custody_detentions.residence_area)


def test_excel_header_not_on_first_row(broken):
    folder = broken()
    costs = pd.read_csv(folder / "costs.csv", dtype=str)
    (folder / "costs.csv").unlink()
    with pd.ExcelWriter(folder / "costs.xlsx") as xw:
        costs.to_excel(xw, index=False, startrow=2, sheet_name="costs")
    problems = problems_of(folder)
    p = next(p for p in problems if p.file == "costs.xlsx")
    assert "the header is on row 3, not row 1: set header_row = 3" in p.message and p.row == 3


def test_not_really_excel(broken):
    folder = broken()
    (folder / "costs.csv").rename(folder / "costs.xlsx")
    problems = problems_of(folder)
    assert any(p.file == "costs.xlsx" and "not a valid Excel .xlsx workbook" in p.message for p in problems)


def test_not_really_parquet(broken):
    folder = broken()
    (folder / "events.csv").unlink()
    (folder / "events.parquet").write_bytes(b"this is not parquet")
    problems = problems_of(folder)
    assert any(p.file == "events.parquet" and "not a valid Parquet file" in p.message for p in problems)


def test_missing_folder(tmp_path):
    with pytest.raises(ValidationError, match="does not exist"):
        evaluation.load(tmp_path / "nowhere")


# ---------------------------------------------------------------------------------------------- formats & mappings


@pytest.mark.parametrize("fmt", ["xlsx", "parquet"])
def test_xlsx_and_parquet_load_the_same_as_csv(tmp_path, demo_dir, fmt):
    write_demo(tmp_path / fmt, file_format=fmt)
    a = evaluation.load(demo_dir)
    b = evaluation.load(tmp_path / fmt)
    for name in ("custody_detentions", "programme_contacts", "events", "costs"):
        pd.testing.assert_frame_equal(a.table(name), b.table(name), check_dtype=False)


def test_excel_row_numbers_match_the_sheet(tmp_path):
    write_demo(tmp_path / "x", file_format="xlsx")
    import openpyxl

    path = tmp_path / "x" / "custody_detentions.xlsx"
    wb = openpyxl.load_workbook(path)
    wb.active["G7"] = "M"  # column G is sex
    wb.save(path)
    problems = problems_of(tmp_path / "x")
    assert_problem(problems, "custody_detentions.xlsx", 7, "sex", "not an allowed value")


def test_local_column_names_codes_and_date_formats_are_mapped(broken, demo_dir):
    def edit(t):
        c = t["programme_contacts"]
        c["outcome"] = c.outcome.map(
            {"intervention_arranged": "Green", "awaiting_intervention": "Amber", "declined": "Red", "out_of_area_referral": "Blue"}
        )
        c["contact_date"] = pd.to_datetime(c.contact_date).dt.strftime("%d/%m/%Y")
        t["programme_contacts"] = c.rename(columns={"contact_date": "Date of contact"})
        for col in ("followup_date", "intervention_start_date", "intervention_end_date"):
            c[col] = c[col].map(lambda v: pd.Timestamp(v).strftime("%d/%m/%Y") if v else "")
        t["programme_contacts"] = c.rename(columns={"contact_date": "Date of contact"})
        for name in ("custody_detentions", "events", "costs"):
            frame = t[name]
            for col in frame.columns:
                if col.endswith("_date") and col != "arrival_datetime":
                    frame[col] = frame[col].map(lambda v: pd.Timestamp(v).strftime("%d/%m/%Y") if v else "")

    config = None
    folder = broken(edit)
    config = (folder / "evaluation.toml").read_text().replace("[data]\n", '[data]\ndate_format = "%d/%m/%Y"\n')
    config += (
        '\n[data.columns.programme_contacts]\n"Date of contact" = "contact_date"\n'
        '\n[data.values.programme_contacts.outcome]\nGreen = "intervention_arranged"\nAmber = "awaiting_intervention"\n'
        'Red = "declined"\nBlue = "out_of_area_referral"\n'
    )
    (folder / "evaluation.toml").write_text(config)
    data = evaluation.load(folder)
    assert data.programme_contacts.outcome.value_counts().to_dict() == {
        "intervention_arranged": 31,
        "awaiting_intervention": 26,
        "out_of_area_referral": 22,
        "declined": 14,
    }
    assert data.programme_contacts.contact_date.min() == evaluation.load(demo_dir).programme_contacts.contact_date.min()


def test_inputs_are_never_modified(demo_dir):
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in demo_dir.iterdir()}
    evaluation.load(demo_dir)
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in demo_dir.iterdir()}
    assert before == after


# ---------------------------------------------------------------------------------------------- the CLI


def test_cli_validate_lists_every_problem_and_writes_nothing(broken):
    def edit(t):
        t["custody_detentions"].loc[0, "sex"] = "X"
        t["programme_contacts"].loc[1, "outcome"] = "Amber"
        t["costs"].loc[0, "amount_gbp"] = "lots"

    folder = broken(edit)
    before = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.iterdir()}
    res = run_cli("validate", str(folder))
    assert res.returncode == 1
    for line in (
        "custody_detentions.csv, row 2, column sex",
        "programme_contacts.csv, row 3, column outcome",
        "costs.csv, row 2, column amount_gbp",
        "Nothing was written.",
    ):
        assert line in res.stderr, res.stderr
    assert "Traceback" not in res.stderr
    after = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.iterdir()}
    assert before == after


def test_cli_validate_summarises_a_good_folder(demo_dir):
    res = run_cli("validate", str(demo_dir))
    assert res.returncode == 0, res.stderr
    assert "all tables valid" in res.stdout and "custody_detentions.csv" in res.stdout


def test_a_file_that_matches_no_table_is_named_not_ignored(demo_dir, tmp_path):
    """Issue 12/13: a misspelled optional table (event.csv) silently dropped every outcome section. One slip away
    from a missing table's name it is an error naming the table; further away, a warning; notes are neither."""
    import shutil

    import evaluation

    folder = tmp_path / "data"
    shutil.copytree(demo_dir, folder)
    (folder / "events.csv").rename(folder / "event.csv")
    (folder / "notes.md").write_text("the evaluator's notes", encoding="utf-8")
    problems = problems_of(folder)
    assert [(p.file, p.severity) for p in problems if p.rule in ("misnamed_file", "unknown_file")] == [("event.csv", "error")]
    assert "one letter away from the table events" in problems[0].message
    (folder / "event.csv").rename(folder / "events_2019.csv")
    data = evaluation.load(folder)
    found = [w for w in data.warnings if w.rule == "unknown_file"]
    assert [w.file for w in found] == ["events_2019.csv"] and "did you mean events.csv?" in found[0].message and data.events is None


# ---------------------------------------------------------------------------------------------- index events, event types


def _config_with(demo_dir, section: str, line: str) -> str:
    """The demo config with `line` added at the top of `[section]`."""
    text = (demo_dir / "evaluation.toml").read_text(encoding="utf-8")
    assert f"[{section}]\n" in text
    return text.replace(f"[{section}]\n", f"[{section}]\n{line}\n", 1)


def test_index_event_kinds_not_configured_are_errors(broken, demo_dir):
    """Issue 12: an index event of a kind the config does not list is an error naming the row; listing it is enough."""

    def edit(t):
        t["custody_detentions"]["event_kind"] = "custody_detention"
        t["custody_detentions"].loc[3, "event_kind"] = "out_of_court_decision"

    problems = problems_of(broken(edit))
    assert_problem(problems, "custody_detentions.csv", 5, "event_kind", "[programme] index_events")
    both = _config_with(demo_dir, "programme", 'index_events = ["custody_detention", "out_of_court_decision"]')
    data = evaluation.load(broken(edit, both))
    assert (data.custody_detentions.event_kind == "out_of_court_decision").sum() == 1


def test_several_index_event_kinds_need_the_kind_column(broken, demo_dir):
    both = _config_with(demo_dir, "programme", 'index_events = ["custody_detention", "voluntary_attendance"]')
    problems = problems_of(broken(None, both))
    assert_problem(problems, "custody_detentions.csv", 1, "event_kind", "is needed when [programme] index_events lists several kinds")


def test_one_index_event_kind_is_the_default(broken, demo_dir):
    """Without the column, every row is the programme's one kind of index event (custody by default)."""
    data = evaluation.load(broken())
    assert (data.custody_detentions.event_kind == "custody_detention").all()
    oocd = _config_with(demo_dir, "programme", 'index_events = ["out_of_court_decision"]')
    data = evaluation.load(broken(None, oocd))
    assert (data.custody_detentions.event_kind == "out_of_court_decision").all()


def test_a_date_alone_is_a_datetime_at_midnight_and_iso_dates_read_whatever_the_format(broken, demo_dir):
    """An out-of-court decision has a date, not a time; a budget from another system may write ISO dates
    while the police extract writes day-first ones. Neither is ambiguous, so neither is an error."""

    day = {}

    def edit(t):
        d = t["custody_detentions"]
        day["value"] = str(d.loc[3, "arrival_datetime"])[:10]
        d.loc[3, "arrival_datetime"] = day["value"]
        d.loc[3, "release_datetime"] = ""

    data = evaluation.load(broken(edit))
    assert data.custody_detentions.arrival_datetime.iloc[3] == pd.Timestamp(day["value"])
    dayfirst = _config_with(demo_dir, "data", 'date_format = "%d/%m/%Y"')

    def to_dayfirst(t):
        c = t["programme_contacts"]
        for col in ("contact_date", "followup_date", "intervention_start_date", "intervention_end_date"):
            c[col] = pd.to_datetime(c[col]).dt.strftime("%d/%m/%Y").fillna("")
        c.loc[2, "contact_date"] = "2021-13-01"  # not a date in any format: still an error

    problems = problems_of(broken(to_dayfirst, dayfirst))
    assert_problem(problems, "programme_contacts.csv", 4, "contact_date", "expected a date like 19/10/2020")
    assert {p.file for p in problems} == {"programme_contacts.csv"}  # the ISO costs and events are read


def test_event_types_not_recorded(broken, demo_dir):
    """Issue 12: an extract that records offences only says so; an event of another type is then an error, and a
    listed type with no event at all is a warning (is it really recorded?)."""
    offences_only = _config_with(demo_dir, "data", 'event_types_recorded = ["offence"]')
    problems = problems_of(broken(None, offences_only))
    assert any(p.column == "event_type" and "event_types_recorded" in p.message and p.file == "events.csv" for p in problems)

    def drop_missing(t):
        t["events"] = t["events"][t["events"].event_type != "missing_episode"]

    data = evaluation.load(broken(drop_missing))
    assert any(w.rule == "event_type_recorded" and "missing_episode" in w.message for w in data.warnings)


# ---------------------------------------------------------------------------------------------- extracts as they arrive (issue 13)


def _with_sources(demo_dir, text: str) -> str:
    return (demo_dir / "evaluation.toml").read_text(encoding="utf-8") + "\n" + text


def test_a_police_export_read_as_it_arrives(broken, demo_dir):
    """A semicolon-separated Windows-1252 custody export with a title row, its own column names and codes in
    mixed case, events from two systems with their own mappings, and a budget workbook with a Total row: read
    with [[data.sources]], nothing edited; every fold and every skipped row is a warning."""
    folder = broken()
    det = pd.read_csv(folder / "custody_detentions.csv", dtype=str, keep_default_na=False)
    (folder / "custody_detentions.csv").unlink()
    det = det.rename(columns={"detention_id": "Custody Ref", "custody_suite": "Suite"})
    det.loc[0, "residence_area"] = "Barnét"
    det["sex"] = det["sex"].str.upper()  # MALE, FEMALE: the contract's values in another case
    body = det.to_csv(index=False, sep=";", lineterminator="\r\n")
    (folder / "custody export (Wood Green).csv").write_bytes(("Custody records extract; run 2021-06-30\r\n" + body).encode("cp1252"))
    ev = pd.read_csv(folder / "events.csv", dtype=str, keep_default_na=False)
    (folder / "events.csv").unlink()
    crimes, missing = ev[ev.event_type != "missing_episode"], ev[ev.event_type == "missing_episode"]
    crimes.to_csv(folder / "crime_system.csv", index=False)
    missing.rename(columns={"event_id": "MissingRef"}).assign(event_type="MISPER").to_csv(folder / "misper_system.csv", index=False)
    costs = pd.read_csv(folder / "costs.csv", dtype=str, keep_default_na=False)
    (folder / "costs.csv").unlink()
    total = {c: "" for c in costs.columns} | {"item": "Total", "amount_gbp": str(costs.amount_gbp.astype(float).sum())}
    with pd.ExcelWriter(folder / "budget.xlsx") as xw:
        pd.concat([costs, pd.DataFrame([total])]).to_excel(xw, index=False, sheet_name="Budget 2020-21")
    config = _with_sources(
        demo_dir,
        """[[data.sources]]
table = "custody_detentions"
file = "custody export*.csv"
header_row = 2
encoding = "auto"
columns = { "Custody Ref" = "detention_id", "Suite" = "custody_suite" }

[[data.sources]]
table = "events"
file = "crime_system.csv"

[[data.sources]]
table = "events"
file = "misper_system.csv"
columns = { "MissingRef" = "event_id" }
values = { event_type = { misper = "missing_episode" } }

[[data.sources]]
table = "costs"
file = "budget.xlsx"
sheet = "Budget 2020-21"
total_rows = "skip"
""",
    )
    (folder / "evaluation.toml").write_text(config, encoding="utf-8")
    data = evaluation.load(folder)
    assert "Barnét" in set(data.custody_detentions.residence_area)
    assert set(data.custody_detentions.sex) <= {"male", "female", "other", "unknown"}
    events = data.table("events")
    assert (events.event_type == "missing_episode").sum() == len(missing) and len(events) == len(ev)
    assert len(data.costs) == len(costs)
    rules = {w.rule for w in data.warnings}
    assert {"encoding_detected", "csv_separator", "values_folded", "total_row"} <= rules
    folds = [w for w in data.warnings if w.rule == "values_folded"]
    assert any("'MALE' as 'male'" in w.message for w in folds) and any("'MISPER' as 'misper'" in w.message for w in folds)
    assert data.files["events"].name == "crime_system.csv, misper_system.csv" and len(data.files["events"].parts) == 2
    # a problem names the file and that file's own row
    missing.rename(columns={"event_id": "MissingRef"}).assign(event_type="MISPER", event_date="soon").to_csv(
        folder / "misper_system.csv", index=False
    )
    problems = problems_of(folder)
    assert_problem(problems, "misper_system.csv", 2, "event_date", "expected a date")


def test_total_rows_are_errors_unless_skipped(broken):
    def edit(t):
        c = t["costs"]
        t["costs"] = pd.concat([c, pd.DataFrame([{**{k: "" for k in c.columns}, "item": "Grand total", "amount_gbp": "1"}])])

    folder = broken(edit)
    n = len(pd.read_csv(folder / "costs.csv"))
    assert_problem(problems_of(folder), "costs.csv", n + 1, "item", "looks like a total row")


def test_sources_that_match_nothing_or_clash(broken, demo_dir):
    folder = broken()
    text = _with_sources(demo_dir, '[[data.sources]]\ntable = "events"\nfile = "crime_*.csv"\n')
    (folder / "evaluation.toml").write_text(text, encoding="utf-8")
    problems = problems_of(folder)
    assert any(p.file == "crime_*.csv" and "matches no CSV, XLSX or Parquet file" in p.message for p in problems)


def test_excel_header_with_the_extracts_own_names(broken, demo_dir):
    """Issue 13's reader bug: an XLSX whose header uses only local names (mapped in the config) is read."""
    folder = broken()
    costs = pd.read_csv(folder / "costs.csv", dtype=str, keep_default_na=False)
    (folder / "costs.csv").unlink()
    local = {"item": "Line", "category": "Type", "start_date": "From", "end_date": "To", "amount_gbp": "GBP", "funder": "Paid by"}
    costs.rename(columns=local).to_excel(folder / "costs.xlsx", index=False, sheet_name="costs")
    text = (
        (demo_dir / "evaluation.toml").read_text(encoding="utf-8")
        + "\n[data.columns.costs]\n"
        + "".join(f'"{v}" = "{k}"\n' for k, v in local.items())
    )
    (folder / "evaluation.toml").write_text(text.replace("[data]\n", "[data]\n", 1), encoding="utf-8")
    data = evaluation.load(folder)
    assert len(data.costs) == len(costs)


def test_codes_in_another_case_map_with_a_warning(broken, demo_dir):
    def edit(t):
        c = t["programme_contacts"]
        codes = {"intervention_arranged": "Green", "awaiting_intervention": "Amber", "declined": "Red", "out_of_area_referral": "Blue"}
        c["outcome"] = c["outcome"].map(codes).str.upper()

    text = (demo_dir / "evaluation.toml").read_text(encoding="utf-8") + (
        '\n[data.values.programme_contacts.outcome]\nGreen = "intervention_arranged"\nAmber = "awaiting_intervention"\n'
        'Red = "declined"\nBlue = "out_of_area_referral"\nPurple = "declined"\n'
    )
    data = evaluation.load(broken(edit, text))
    unused = next(w for w in data.warnings if w.rule == "unused_mapping")
    assert "'Purple'" in unused.message and "Green" not in unused.message
    assert set(data.programme_contacts.outcome) <= {"intervention_arranged", "awaiting_intervention", "declined", "out_of_area_referral"}
    w = next(w for w in data.warnings if w.rule == "values_folded" and w.column == "outcome")
    assert "'GREEN' as 'Green'" in w.message


def test_suites_and_areas_in_the_config_must_appear_in_the_data(broken, demo_dir):
    """Issue 13: 'Wood Green' in the config and 'WOOD GREEN' in the data gave '0 approached' beside 'engaged 330',
    exit 0. Now another case or spacing is read as the config's spelling (with a warning), and a name that
    appears nowhere is an error naming the closest values that do."""

    def shout(t):
        d = t["custody_detentions"]
        d["custody_suite"] = d["custody_suite"].str.upper()
        d["residence_area"] = d["residence_area"].str.upper()

    data = evaluation.load(broken(shout))
    assert "Wood Green" in set(data.custody_detentions.custody_suite) and "Haringey" in set(data.custody_detentions.residence_area)
    folds: dict[str, str] = {}
    for w in data.warnings:
        if w.rule == "values_folded":
            folds[w.column] = folds.get(w.column, "") + w.message
    assert "'WOOD GREEN' as 'Wood Green'" in folds["custody_suite"] and "'HARINGEY' as 'Haringey'" in folds["residence_area"]
    text = (demo_dir / "evaluation.toml").read_text(encoding="utf-8").replace('"Wood Green"', '"Wood Gren"', 1)
    problems = problems_of(broken(None, text))
    p = next(p for p in problems if p.rule == "config_names_in_data")
    assert p.file == "evaluation.toml" and p.column == "[programme] suites" and p.value == "Wood Gren"
    assert "appears nowhere in custody_detentions.csv" in p.message and "'Wood Green'" in p.message


def test_cost_lines_counted_twice_or_missing_are_errors(broken, demo_dir):
    """Issue 13: overlapping cost lines raised the cost from £288,960 to £500,560 and a missing quarter understated
    it by 19%, both without a word. A repeated line, a total under another name and a staff gap are errors, or
    warnings when the config says they are intended."""
    base = {}

    def repeat_and_total(t):
        c = t["costs"]
        base["n"] = len(c)
        staff = c[c.category == "staff"]
        total = {
            **staff.iloc[0].to_dict(),
            "item": "Outreach team, whole period",
            "start_date": staff.start_date.min(),
            "end_date": staff.end_date.max(),
            "amount_gbp": f"{staff.amount_gbp.astype(float).sum():.2f}",
        }
        t["costs"] = pd.concat([c, pd.DataFrame([staff.iloc[1].to_dict(), total])], ignore_index=True)

    problems = problems_of(broken(repeat_and_total))
    n = base["n"]
    assert_problem(problems, "costs.csv", n + 2, "start_date", "overlaps row 3, a line of the same item and category: counted twice")
    assert_problem(problems, "costs.csv", n + 3, "amount_gbp", "equals the sum of rows")
    intended = _config_with(demo_dir, "costs", "overlapping_lines_intended = true")
    data = evaluation.load(broken(repeat_and_total, intended))
    assert {w.rule for w in data.warnings} >= {"cost_overlap"}

    def drop_november(t):
        c = t["costs"]
        t["costs"] = c[~((c.category == "staff") & (c.start_date.str.startswith("2020-11")))]

    problems = problems_of(broken(drop_november))
    gap = next(p for p in problems if p.rule == "staff_gap")
    assert gap.file == "costs.csv" and "30 day(s)" in gap.message and "2020-11-01 to 2020-11-30" in gap.message
    data = evaluation.load(broken(drop_november, _config_with(demo_dir, "costs", "staff_gaps_intended = true")))
    assert any(w.rule == "staff_gap" for w in data.warnings)


def test_problems_quote_the_value_as_written(broken, demo_dir):
    """A day-first extract's dates are quoted as the evaluator will find them in the file, not as parsed."""
    dayfirst = _config_with(demo_dir, "data", 'date_format = "%d/%m/%Y"')

    def edit(t):
        c = t["programme_contacts"]
        for col in ("contact_date", "followup_date", "intervention_start_date", "intervention_end_date"):
            c[col] = pd.to_datetime(c[col]).dt.strftime("%d/%m/%Y").fillna("")
        c.loc[3, "followup_date"] = "01/01/2019"  # before the contact: a rule on parsed dates

    problems = problems_of(broken(edit, dayfirst))
    p = next(p for p in problems if p.column == "followup_date" and p.row == 5)
    assert p.value == "01/01/2019"


def test_age_from_date_of_birth_which_never_travels_further(broken):
    """Issue 13: an extract with dates of birth instead of ages: the age at each arrival is computed, a given age
    that disagrees is an error, and the date of birth is dropped by the loader."""
    born = {}

    def to_dob(t):
        d = t["custody_detentions"]
        arrival = pd.to_datetime(d.arrival_datetime)
        dob = arrival - pd.to_timedelta(d.age_at_arrival.astype(int) * 365.25 + 100, unit="D")
        d["date_of_birth"] = dob.dt.strftime("%Y-%m-%d")
        born["ages"] = d.age_at_arrival.astype(int).tolist()
        d["age_at_arrival"] = ""
        d.loc[5, "age_at_arrival"] = str(born["ages"][5] + 3)  # disagrees with the date of birth

    problems = problems_of(broken(to_dob))
    assert_problem(
        problems, "custody_detentions.csv", 7, "age_at_arrival", "does not match the age at arrival computed from the date of birth"
    )

    def to_dob_only(t):
        to_dob(t)
        t["custody_detentions"] = t["custody_detentions"].drop(columns="age_at_arrival")

    data = evaluation.load(broken(to_dob_only))
    assert "date_of_birth" not in data.custody_detentions.columns
    computed = data.custody_detentions.age_at_arrival.astype(int).tolist()
    assert sum(a != b for a, b in zip(computed, born["ages"])) == 0


def test_problems_name_the_files_own_column(broken, demo_dir):
    """Issue 13: a problem names the column as the file spells it (the evaluator's header), not the contract's."""

    def edit(t):
        c = t["programme_contacts"].rename(columns={"contact_date": "Date of contact"})
        c.loc[3, "Date of contact"] = "next Tuesday"
        t["programme_contacts"] = c

    text = (demo_dir / "evaluation.toml").read_text(
        encoding="utf-8"
    ) + '\n[data.columns.programme_contacts]\n"Date of contact" = "contact_date"\n'
    assert_problem(problems_of(broken(edit, text)), "programme_contacts.csv", 5, "Date of contact", "expected a date")


def test_an_identifier_repeated_across_a_tables_files_is_an_error(broken, demo_dir):
    """Two files for one table are one table: an event_id in both is named, with the file and row it first appears in."""
    folder = broken()
    ev = pd.read_csv(folder / "events.csv", dtype=str, keep_default_na=False)
    (folder / "events.csv").unlink()
    half = len(ev) // 2
    ev.iloc[:half].to_csv(folder / "events_a.csv", index=False)
    later = ev.iloc[half:].copy()
    later.iloc[0, later.columns.get_loc("event_id")] = ev.event_id.iloc[3]
    later.to_csv(folder / "events_b.csv", index=False)
    (folder / "evaluation.toml").write_text(_with_sources(demo_dir, '[[data.sources]]\ntable = "events"\nfile = "events_*.csv"\n'))
    assert_problem(problems_of(folder), "events_b.csv", 2, "event_id", "already appears in events_a.csv, row 5")
