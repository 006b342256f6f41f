"""End to end: `evaluation report` on the demo data, as CI and `make report` run it."""
from __future__ import annotations

import hashlib
import json
import re

import nbformat
import pytest

from tests.conftest import REPO, run_cli
from tests.test_demo import PUBLISHED


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    # a relative --out, as `make report` uses: the command is printed in the provenance appendix
    where = tmp_path_factory.mktemp("report")
    res = run_cli("report", "--out", "demo", "--quiet", cwd=where)
    assert res.returncode == 0, res.stderr
    return where / "demo"


def test_report_writes_every_output(built):
    from evaluation.report.build import OUTPUTS

    assert sorted(p.name for p in built.iterdir()) == sorted(OUTPUTS)
    assert (built / "report.pdf").read_bytes()[:5] == b"%PDF-"
    assert (built / "tables.xlsx").read_bytes()[:2] == b"PK"


def test_results_engagement_published_figures_with_disclosure_control(built):
    """Published output: every monthly figure shown equals the programme's published one; every
    published figure of 1-4 is hidden (primary), and so are enough others to protect it."""
    eng = json.loads((built / "results.json").read_text())["engagement"]
    assert eng["children_engaged"] == 93
    months = ("2020-10", "2020-11", "2020-12")
    hidden_small = 0
    for key, monthly in PUBLISHED["outcome"].items():
        assert eng[key] == sum(monthly)
        for m, published in zip(months, monthly):
            shown = eng["by_month"][m][key]
            if 0 < published < 5:
                assert shown is None, (key, m)
                hidden_small += 1
            elif shown is not None:
                assert shown == published, (key, m)
    for table in ("residence", "age_band"):
        for row, monthly in PUBLISHED[table].items():
            for m, published in zip(months, monthly):
                shown = eng["by_month"][m][table][row]
                assert shown is None if 0 < published < 5 else shown in (None, published), (table, row, m)
    for m, published in zip(months, PUBLISHED["total"]["Children engaged"]):
        assert eng["by_month"][m]["children_engaged"] == published
    assert hidden_small >= 1
    assert round(eng["intervention_arranged_rate"], 3) == round(31 / 71, 3)
    assert round(eng["refusal_rate"], 3) == round(14 / 71, 3)
    assert round(eng["known_to_yos_rate"], 3) == round(31 / 58, 3)
    assert eng["by_month"]["2020-10"]["known_to_yos_rate"] is None, "a rate on 5 children is not published"


def test_internal_qa_build_shows_every_published_figure_and_is_stamped(tmp_path):
    out = tmp_path / "qa"
    res = run_cli("report", "--out", str(out), "--quiet", "--internal-qa")
    assert res.returncode == 0, res.stderr
    results = json.loads((out / "results.json").read_text())
    assert results["meta"]["not_for_publication"] is True
    eng = results["engagement"]
    for key, monthly in PUBLISHED["outcome"].items():
        assert [eng["by_month"][m][key] for m in ("2020-10", "2020-11", "2020-12")] == list(monthly)
    assert [eng["by_month"][m]["children_engaged"] for m in ("2020-10", "2020-11", "2020-12")] == [11, 53, 29]
    assert [round(100 * eng["by_month"][m]["known_to_yos_rate"]) for m in ("2020-10", "2020-11", "2020-12")] == [40, 48, 65]
    html = (out / "report.html").read_text()
    assert html.count("NOT FOR PUBLICATION") >= 2 and "@top-center" in html


def test_results_matching_section_and_balance_on_demo(built):
    m = json.loads((built / "results.json").read_text())["matching"]
    assert m["n_treated"] == 93 and m["n_treated_matched"] >= 0.95 * m["n_treated"]
    assert m["n_control_matched"] >= 93
    assert m["max_abs_std_mean_diff_before"] > 0.1, "the demo's comparison pool differs before matching"
    assert m["max_abs_std_mean_diff_after"] < 0.1 and m["covariates_above_threshold_after"] == 0
    html = (built / "report.html").read_text()
    for heading in ("Matched comparison group", "Who is in the analysis", "Covariate balance before and after matching",
                    "Sample sizes before and after matching"):
        assert heading in html


def test_before_after_recovers_the_planted_effects_and_naive_overstates(built):
    from evaluation.demo import PLANTED_EFFECTS

    ba = json.loads((built / "results.json").read_text())["before_after"]
    for outcome, event_type in (("offending", "offence"), ("victimisation", "victimisation"), ("missing_episodes", "missing_episode")):
        truth = PLANTED_EFFECTS[event_type]
        for window in ("6", "12"):
            r = ba[outcome][window]
            assert r["ci_low"] <= truth <= r["ci_high"], (outcome, window, r)
            assert r["naive_change"] < truth - 1, f"{outcome} {window}: the naive change should overstate the reduction"
            assert r["treated_after_rate"] < r["treated_before_rate"] and r["comparison_after_rate"] < r["comparison_before_rate"]
    assert ba["prior_outcomes_used_in_matching"] is True
    html = (built / "report.html").read_text()
    assert "regression to the mean" in html and "Daw &amp; Hatfield" in html


def test_reoffending_recovers_the_planted_effect_and_reports_exclusions(built, tmp_path):
    import evaluation
    from evaluation import demo, reoffending
    from evaluation.cohort import build_cohort

    reo = json.loads((built / "results.json").read_text())["reoffending"]
    for key in ("proven", "rearrest_6m", "rearrest_12m"):
        r = reo[key]
        for field in ("n_treated", "n_comparison", "treated_rate", "comparison_rate", "difference", "ci_low", "ci_high", "p_value",
                      "hazard_ratio", "hazard_ratio_ci", "min_detectable_difference"):
            assert field in r, (key, field)
    # the truth: the generator's exact expected effect among the programme children each measure includes
    generated = demo.write_demo(tmp_path / "d", return_dataset=True)
    data = evaluation.load(tmp_path / "d")
    truth = demo.expected_reoffending(generated).set_index("person_id")
    programme = build_cohort(data).table
    programme = programme[programme.treated == 1]
    for key, per_child in (("proven", reoffending.proven_reoffending_by_child(data, programme)),
                           ("rearrest_12m", reoffending.rearrest_by_child(data, programme, 12))):
        matched = set(programme.person_id)  # all but any caliper-dropped child; the truth is averaged over those measured
        kept = per_child[per_child.complete & per_child.person_id.isin(matched)].person_id
        planted = float((truth.loc[kept, f"p_{key}"] - truth.loc[kept, f"p_{key}_without_effect"]).mean())
        assert planted < -0.02, "the generator plants a reduction"
        assert reo[key]["ci_low"] <= planted <= reo[key]["ci_high"], (key, planted, reo[key])
    excluded = reo["proven"]["excluded_incomplete_follow_up"]
    assert excluded["programme"] > 0 and excluded["comparison"] > 0
    html = (built / "report.html").read_text()
    assert f"{excluded['programme']} programme and {excluded['comparison']} comparison children are left out" in html
    assert "For every 100 children in the programme group" in html and "not a like-for-like comparison" in html


def test_value_for_money_section(built):
    c = json.loads((built / "results.json").read_text())["costs"]
    for key in ("total_cost", "cost_per_child_engaged", "cost_per_intervention_arranged", "as_reported", "npv", "bcr",
                "bcr_ci_low", "bcr_ci_high", "prob_bcr_above_1", "break_even"):
        assert key in c, key
    assert 495 <= c["staff_cost_per_child_engaged"] <= 505
    stated = {a["measure"]: a for a in c["as_reported"]}
    assert stated["cost_per_child_engaged"]["reported"] == 206 and 495 <= stated["cost_per_child_engaged"]["recomputed"] <= 505
    assert c["bcr_ci_low"] < c["bcr"] < c["bcr_ci_high"] and 0 <= c["prob_bcr_above_1"] <= 1
    assert c["renewal"]["below_staff_run_rate"] is True
    html = (built / "report.html").read_text()
    assert "£206" in html and "Why they differ" in html and "Flag: the budget is below the current run-rate" in html
    assert "How many averted offences would pay for the programme" in html
    # every unit cost used is traceable in the appendix: its source and URL are printed there
    appendix = html[html.index("Appendix: unit costs and their sources"):]
    for citation in ("GMCA (New Economy) Unit Cost Database v1.4", "Shalev Greene &amp; Pakes (2012)",
                     "https://www.greatermanchester-ca.gov.uk/what-we-do/research/research-cost-benefit-analysis/"):
        assert citation in appendix


def test_html_is_self_contained_and_accessible(built):
    html = (built / "report.html").read_text()
    assert "<script" not in html
    # nothing the page loads comes from the network (links to cited sources are fine: they load nothing)
    assert not re.search(r"""\bsrc\s*=\s*["']?(https?:|//)""", html), "no remote images or scripts"
    assert not re.search(r"""<link[^>]+href\s*=\s*["']?(https?:|//)""", html), "no remote stylesheets"
    assert not re.search(r"""url\(\s*["']?(https?:|//)""", html), "no remote fonts or CSS resources"
    assert "cdnjs" not in html and "@import" not in html
    imgs = re.findall(r"<img[^>]*>", html)
    assert len(imgs) >= 11
    for img in imgs:
        alt = re.search(r'alt="([^"]*)"', img)
        assert alt and len(alt.group(1)) > 40 and "No description has been provided" not in alt.group(1)
    assert "Operation Alliance" in html and "Table 1." in html
    assert "PublishedTable(" not in html and "Traceback" not in html


def test_no_identifiers_or_event_dates_in_outputs(built, demo_dir):
    """Pseudonymous ids never reach the report (a full disclosure scan comes with the report issue)."""
    import pandas as pd

    text = (built / "report.html").read_text() + (built / "results.json").read_text()
    det = pd.read_csv(demo_dir / "custody_detentions.csv", dtype=str)
    for value in list(det.person_id.unique()[:200]) + list(det.detention_id.unique()[:200]):
        assert value not in text


def test_second_build_is_byte_identical(built, tmp_path):
    """Same inputs and command, another folder and another process: every output identical to the byte."""
    from evaluation.report.build import OUTPUTS

    res = run_cli("report", "--out", "demo", "--quiet", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    for name in OUTPUTS:
        assert hashlib.sha256((built / name).read_bytes()).hexdigest() == hashlib.sha256((tmp_path / "demo" / name).read_bytes()).hexdigest(), name


def test_report_on_bad_data_writes_nothing(broken, tmp_path):
    def edit(t):
        t["custody_detentions"].loc[0, "sex"] = "X"
    folder = broken(edit)
    out = tmp_path / "reports" / "never"
    res = run_cli("report", "--data", str(folder), "--out", str(out), "--quiet")
    assert res.returncode == 1
    assert "custody_detentions.csv, row 2, column sex" in res.stderr
    assert not (tmp_path / "reports").exists()
    assert not list(tmp_path.glob(".build-*")), "no staging folder left behind"


def test_committed_notebook_has_no_outputs():
    nb = nbformat.read(REPO / "notebooks" / "report.ipynb", as_version=4)
    assert nb.metadata.kernelspec.name == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def _visible_text(html_path, tmp_path) -> str:
    """The text a reader sees: the page printed by headless Chromium, then extracted by pdftotext."""
    import os
    import shutil
    import subprocess

    chromium, pdftotext = shutil.which("chromium"), shutil.which("pdftotext")
    if not chromium or not pdftotext:
        if os.environ.get("EVALUATION_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium and pdftotext are needed (apt-get install chromium poppler-utils)")
        pytest.skip("chromium or pdftotext not installed")
    pdf = tmp_path / "page.pdf"
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
                    html_path.as_uri()], capture_output=True, timeout=120)
    return subprocess.run([pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


@pytest.mark.browser
def test_narrative_headings_are_visible_to_readers(built, tmp_path):
    text = _visible_text(built / "report.html", tmp_path)
    for heading in ("About this report", "Engagement", "Matched comparison group", "Balance: are the matched groups alike?",
                    "Offending, victimisation and missing episodes, before and after", "Missing episodes"):
        assert heading in text, f"'{heading}' is not visible on the printed page"
