"""Every example programme in examples/ (issue 12): its own generator writes records as such a programme would
keep them, the data validate, and the report builds and reads right. Each example is a folder with generate.py
(`generate(out)` writes the CSVs and evaluation.toml) and a README."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
from pathlib import Path

import pytest

import evaluation
from evaluation.report import build_report

EXAMPLES = sorted(p.parent for p in (Path(__file__).resolve().parents[1] / "examples").glob("*/generate.py"))


def _generator(folder: Path):
    spec = importlib.util.spec_from_file_location(f"example_{folder.name}", folder / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module", params=EXAMPLES, ids=[p.name for p in EXAMPLES])
def example(request, tmp_path_factory):
    folder = request.param
    tmp = tmp_path_factory.mktemp(folder.name)
    data = _generator(folder).generate(tmp / "data")
    out = tmp / "out"
    build_report(data, out_dir=out, progress=False, say=lambda _: None)
    return folder, data, out


def test_every_example_has_a_readme_and_a_generator_of_its_own():
    assert EXAMPLES, "no examples"
    for folder in EXAMPLES:
        assert (folder / "README.md").exists(), folder
        source = (folder / "generate.py").read_text(encoding="utf-8")
        imports = re.findall(r"^\s*(?:from|import)\s+([\w.]+)", source, flags=re.M)
        assert not [m for m in imports if m.split(".")[0] in ("evaluation", "tests")], f"{folder.name} must not reuse another generator"


def test_example_validates_and_builds(example):
    folder, data, out = example
    loaded = evaluation.load(data)
    assert not [w for w in loaded.warnings if w.rule == "unknown_file"]
    for name in ("report.html", "report.pdf", "tables.xlsx", "results.json", "disclosure_log.csv"):
        assert (out / name).stat().st_size > 0, name
    results = json.loads((out / "results.json").read_text())
    assert results["disclosure"]["intruder_audit"]["exposed"] == 0


def test_example_pdf_keeps_every_word_on_the_page(example):
    folder, data, out = example
    pdftotext = subprocess.run(["which", "pdftotext"], capture_output=True, text=True).stdout.strip()
    if not pdftotext:
        pytest.skip("poppler not installed")
    bbox = subprocess.run([pdftotext, "-bbox", str(out / "report.pdf"), "-"], capture_output=True, text=True, check=True).stdout
    for n, (w, h, body) in enumerate(re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', bbox, flags=re.S), start=1):
        for x0, y0, x1, y1, word in re.findall(
            r'<word xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" yMax="([\d.-]+)">([^<]*)</word>', body
        ):
            assert float(x0) >= 0 and float(x1) <= float(w) - 20 and float(y1) <= float(h), f"{folder.name} page {n}: '{word}' off the page"


def test_example_summary_fits_on_its_page(example):
    """Issue 15: the one-page summary spilled onto a nearly blank page; on every example's data it ends on its page
    (its last paragraph is there and the next page starts the next section)."""
    folder, data, out = example
    pdftotext = subprocess.run(["which", "pdftotext"], capture_output=True, text=True).stdout.strip()
    if not pdftotext:
        pytest.skip("poppler not installed")
    pages = subprocess.run([pdftotext, "-layout", str(out / "report.pdf"), "-"], capture_output=True, text=True, check=True).stdout.split(
        "\f"
    )
    i = next(i for i, t in enumerate(pages) if t.lstrip().startswith("Summary"))
    if folder.name != "iom_spells":  # the spell design's summary has its own shape
        assert "What the numbers support." in pages[i], folder.name
    assert pages[i + 1].lstrip().startswith("The programme"), (folder.name, pages[i + 1][:80])


def test_example_outputs_hold_no_identifier_from_its_inputs(example):
    """Person, detention, contact and event identifiers, and crime references: none reaches any published output."""
    from tests.disclosure_scan import ID_COLUMNS, identifier_hits, published_texts

    folder, data, out = example
    loaded = evaluation.load(data)  # read through the config's column mappings: each extract names them its own way
    frames = [loaded.custody_detentions, loaded.programme_contacts, loaded.table("events"), loaded.spells, loaded.referrals]
    ids = {str(v) for f in frames if f is not None for c in ID_COLUMNS if c in f for v in f[c].dropna()}
    assert ids and identifier_hits(published_texts(out), ids) == []


def test_alliance_renewal_values_each_crime_once_and_appraises_the_options(example):
    """Issue 14 on an extract the package did not write: its crime references (co-suspects, a cohort member's victim)
    share each crime's cost, and the renewal is appraised as options."""
    folder, data, out = example
    if folder.name != "alliance_renewal":
        pytest.skip("phases example only")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "so each crime is valued once" in html and "The extract gives no crime reference" not in html
    options = json.loads((out / "results.json").read_text())["costs"]["renewal_options"]
    assert [o["name"] for o in options] == ["Stop (do nothing)", "Renew at the offered budget", "Renew at the current run-rate"]
    assert "The renewal's options" in html


def test_alliance_renewal_reports_each_phase_and_the_renewal_from_the_latest(example):
    folder, data, out = example
    if folder.name != "alliance_renewal":
        pytest.skip("phases example only")
    results = json.loads((out / "results.json").read_text())
    phases = results["phases"]
    assert [p["name"] for p in phases] == ["Year 1", "Year 2"]
    assert [p["team_size"] for p in phases] == [4, 2]
    assert results["costs"]["renewal"]["throughput_basis"] == "the latest phase (Year 2)"
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "The programme by phase" in html and "part 3 of 3" in html  # 24 months: monthly tables in parts, none cut
    assert "Sep 2023" in html and "Total" in html
    assert "Effect by phase" in html  # effects by phase, on each phase's matched sets
    for p in phases:
        effect = p["effects"]["offending"]
        assert effect["window_months"] == 12 and set(effect) == {"window_months", "rate_ratio", "ci", "p_value", "trends_differed_before"}
    verdicts = {
        o: results["before_after"][o]["12"]["placebo_verdict"] == "differing_trends"
        for o in ("offending", "victimisation", "missing_episodes")
    }
    for p in phases:  # a phase's estimate carries the whole cohort's placebo verdict: trends that differed are flagged
        assert {o: e["trends_differed_before"] for o, e in p["effects"].items()} == verdicts
        if effect["rate_ratio"] is not None:
            assert effect["ci"][0] < effect["rate_ratio"] < effect["ci"][1]


def test_northants_reports_providers_referrals_and_contacts_outside_custody(example):
    folder, data, out = example
    if folder.name != "northants_custody":
        pytest.skip("multi-provider example only")
    results = json.loads((out / "results.json").read_text())
    eng = results["engagement"]
    contacts = evaluation.load(data).programme_contacts
    in_period = contacts[(contacts.contact_date >= "2023-06-26") & (contacts.contact_date <= "2023-09-03")]
    truth = in_period.groupby("provider").person_id.nunique()
    assert set(eng["by_provider"]) == set(truth.index)
    for provider, n in eng["by_provider"].items():
        assert n is None or n == truth[provider]
    assert set(eng["referrals_by_type"]) >= {"IAPT counselling", "Mental health hub", "GP"}
    for entry in eng["referrals_by_type"].values():
        parts = [entry[k] for k in ("taken_up", "not_taken_up", "unknown")]
        if None not in parts and entry["referrals"] is not None:
            assert sum(parts) == entry["referrals"]
    assert eng["advice_only"] is not None and eng["advice_only"] > 0  # the outcome appears when the data hold it
    assert "costs" in results and results["costs"]["total_cost"] == pytest.approx(67000.0)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "People reached by each provider" in html and "Referrals made in the period" in html
    assert "Voluntary attendance" in html and "index event" in html  # two kinds of index event, named as such
    assert "People engaged under 18 and aged 18 and over" in html  # children and adults apart
    groups = {k for m in results["engagement"]["by_month"].values() for k in m["age_group"]}
    assert groups == {"Under 18", "18 and over"}
    assert "Sites: Northampton, Kettering." in html  # the places, in the words for both kinds of event
    kinds = sum(
        results["engagement"]["by_month"][m]["event_kind"].get("Voluntary attendance") or 0 for m in results["engagement"]["by_month"]
    )
    assert kinds <= 40


def test_youth_oocd_reports_out_of_court_decisions_not_detentions(example):
    """Seed 002: children given out-of-court decisions by a panel, from a YJS export with its own column names and
    codes (mapped in the config, not edited), offences only, and no programme effect in the generator."""
    folder, data, out = example
    if folder.name != "youth_oocd":
        pytest.skip("out-of-court example only")
    results = json.loads((out / "results.json").read_text())
    html = (out / "report.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", " ", html)
    body = text[: text.rindex("Appendix E")]  # the config dump names the columns it maps
    for word in ("custody suite", "detained", "detention at", " arrested"):
        assert word not in body.lower(), word
    assert "out-of-court decision" in body and "Children engaged by out-of-court disposal" in body
    eng = results["engagement"]
    assert "disposal_type" in next(iter(eng["by_month"].values())) and "first_time_entrant" in next(iter(eng["by_month"].values()))
    assert eng["referred_elsewhere"] is not None and eng["advice_only"] is not None  # the programme's own codes, mapped to roles
    assert "Positively engaged, awaiting intervention" not in body  # a role the programme does not use is not a row of zeros
    ba = results["before_after"]
    assert ba["not_recorded"] == ["victimisation", "missing_episodes"]
    assert "does not record victimisation" in body
    assert "custody detentions" in results["reoffending"]["not_estimated"]["rearrest_6m"]
    assert results["costs"]["bcr"] is not None  # value for money values the offences recorded, and says what it leaves out
    assert "does not record victimisation and missing episodes" in body
