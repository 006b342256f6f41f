"""End to end: `evaluation report` on the demo data, as CI and `make report` run it."""

from __future__ import annotations

import hashlib
import json
import re

import nbformat
import pandas as pd
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


@pytest.fixture(scope="module")
def built_qa(tmp_path_factory):
    where = tmp_path_factory.mktemp("report-qa")
    res = run_cli("report", "--out", "qa", "--quiet", "--internal-qa", cwd=where)
    assert res.returncode == 0, res.stderr
    return where / "qa"


def test_internal_qa_build_shows_every_published_figure_and_is_stamped(built_qa, tmp_path):
    out = built_qa
    results = json.loads((out / "results.json").read_text())
    assert results["meta"]["not_for_publication"] is True
    eng = results["engagement"]
    for key, monthly in PUBLISHED["outcome"].items():
        assert [eng["by_month"][m][key] for m in ("2020-10", "2020-11", "2020-12")] == list(monthly)
    assert [eng["by_month"][m]["children_engaged"] for m in ("2020-10", "2020-11", "2020-12")] == [11, 53, 29]
    assert [round(100 * eng["by_month"][m]["known_to_yos_rate"]) for m in ("2020-10", "2020-11", "2020-12")] == [40, 48, 65]
    html = (out / "report.html").read_text()
    assert html.count("NOT FOR PUBLICATION") >= 2 and "@top-center" in html
    # every page of the PDF carries the stamp, and the workbook says so on its contents sheet
    if _tool("pdftotext"):
        pages = _pdf_pages_text(out / "report.pdf")
        assert pages and all("NOT FOR PUBLICATION" in page for page in pages), [
            i + 1 for i, t in enumerate(pages) if "NOT FOR PUBLICATION" not in t
        ]
    from openpyxl import load_workbook

    contents = load_workbook(out / "tables.xlsx", read_only=True)["Contents"]
    assert str(contents["A1"].value).startswith("NOT FOR PUBLICATION")


def test_results_matching_section_and_balance_on_demo(built):
    m = json.loads((built / "results.json").read_text())["matching"]
    assert m["n_treated"] == 93 and m["n_treated_matched"] >= 0.95 * m["n_treated"]
    assert m["n_control_matched"] >= 93
    assert m["max_abs_std_mean_diff_before"] > 0.1, "the demo's comparison pool differs before matching"
    assert m["max_abs_std_mean_diff_after"] < 0.1 and m["covariates_above_threshold_after"] == 0
    html = (built / "report.html").read_text()
    for heading in (
        "Matched comparison group",
        "Who is in the analysis",
        "Covariate balance before and after matching",
        "Sample sizes before and after matching",
    ):
        assert heading in html


def test_before_after_section_states_the_design_and_its_checks(built):
    """Read as the report must read whatever the demo shows: whether each interval covers the demo's planted
    effect is one draw of a random event, checked across many datasets by the simulation study instead."""
    ba = json.loads((built / "results.json").read_text())["before_after"]
    for outcome in ("offending", "victimisation", "missing_episodes"):
        for window in ("6", "12"):
            r = ba[outcome][window]
            assert r["ci_low"] < r["rate_ratio"] < r["ci_high"]
            assert r["placebo_verdict"] in ("parallel_supported", "inconclusive", "differing_trends", "not_run")
            assert r["e_value"] >= 1 and r["e_value_ci"] >= 1
    assert ba["primary_specification"] == "without_prior_outcomes" and ba["prior_outcomes_used_in_matching"] is False
    html = (built / "report.html").read_text()
    assert "regression to the mean" in html and "Daw &amp; Hatfield" in html and "How the groups were compared" in html
    assert "value near 1 supports" not in html  # the placebo is read from its numbers


def test_reoffending_recovers_the_planted_effect_and_reports_exclusions(built, tmp_path):
    import evaluation
    from evaluation import demo, reoffending
    from evaluation.cohort import build_cohort

    reo = json.loads((built / "results.json").read_text())["reoffending"]
    for key in ("proven", "rearrest_6m", "rearrest_12m"):
        r = reo[key]
        for field in (
            "n_treated",
            "n_comparison",
            "treated_rate",
            "comparison_rate",
            "difference",
            "ci_low",
            "ci_high",
            "p_value",
            "hazard_ratio",
            "hazard_ratio_ci",
            "min_detectable_difference",
        ):
            assert field in r, (key, field)
    # the generator plants a reduction (its exact expected effect); whether one demo's interval covers it is a random
    # event, checked across datasets by the simulation study (tests/test_simulation_study.py)
    generated = demo.write_demo(tmp_path / "d", return_dataset=True)
    data = evaluation.load(tmp_path / "d")
    truth = demo.expected_reoffending(generated).set_index("person_id")
    programme = build_cohort(data).table
    programme = programme[programme.treated == 1]
    per_child = reoffending.proven_reoffending_by_child(data, programme)
    kept = per_child[per_child.complete].person_id
    assert float((truth.loc[kept, "p_proven"] - truth.loc[kept, "p_proven_without_effect"]).mean()) < -0.02
    # exclusions reconcile: matched = analysed + incomplete + left with their matched set
    p = reo["proven"]
    for group, n in (("programme", "n_treated"), ("comparison", "n_comparison")):
        parts = p[n] + p["excluded_incomplete_follow_up"][group] + p["excluded_matched_partner_left_out"][group]
        assert (
            parts
            == json.loads((built / "results.json").read_text())["matching"][
                "n_treated_matched" if group == "programme" else "n_control_matched"
            ]
        )
    assert reo["proven"]["definition"] == reoffending.FROM_ARREST
    assert {"e_value", "e_value_ci", "rosenbaum_gamma"} <= set(reo["proven"])
    excluded = reo["proven"]["excluded_incomplete_follow_up"]
    assert excluded["programme"] > 0 and excluded["comparison"] > 0
    html = (built / "report.html").read_text()
    assert "are left out of the one-year proven measures" in html and "proven reoffending from the index arrest" in html
    assert "For every 100 children in the programme group" in html and "not a like-for-like comparison" in html


def test_value_for_money_section(built):
    c = json.loads((built / "results.json").read_text())["costs"]
    for key in (
        "total_cost",
        "cost_per_child_engaged",
        "cost_per_intervention_arranged",
        "as_reported",
        "npv",
        "bcr",
        "bcr_ci_low",
        "bcr_ci_high",
        "prob_bcr_above_1",
        "break_even",
    ):
        assert key in c, key
    assert 495 <= c["staff_cost_per_child_engaged"] <= 505
    # issue 15: the summary sets the programme's staff-only figure beside the staff-only cost, like for like
    summary = (built / "report.html").read_text()
    like = f"counting staff costs only: on that basis, over the same days, it is £{c['staff_cost_per_child_engaged']:,.0f}"
    assert like in summary
    stated = {a["measure"]: a for a in c["as_reported"]}
    assert stated["cost_per_child_engaged"]["reported"] == 206 and 495 <= stated["cost_per_child_engaged"]["recomputed"] <= 505
    assert c["bcr_ci_low"] < c["bcr"] < c["bcr_ci_high"] and 0 <= c["prob_bcr_above_1"] <= 1
    assert c["renewal"]["below_staff_run_rate"] is True
    html = (built / "report.html").read_text()
    assert "£206" in html and "Why they differ" in html and "Flag: the budget is below the current run-rate" in html
    assert "How many averted offences would pay for the programme" in html
    # every unit cost used is traceable in the appendix: its source and URL are printed there
    appendix = html[html.index("Appendix C: unit costs and their sources") :]
    for citation in (
        "GMCA (New Economy) Unit Cost Database v1.4",
        "Shalev Greene &amp; Pakes (2012)",
        "https://www.greatermanchester-ca.gov.uk/what-we-do/research/research-cost-benefit-analysis/",
    ):
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
    assert "£-" not in html and "£−" not in html  # a loss is −£x, never £-x
    assert not re.search(r">\*Sources?:|\.\*</a>|\.\*\">", html), "markdown emphasis shown as literal asterisks (or swallowed by a link)"


def test_disclosure_scan_of_every_published_output_finds_nothing(built, demo_dir):
    """HTML, PDF text, every workbook cell, results.json and the log: no identifier from the inputs, no
    exact date of an individual event, no small count and no cell recoverable from a total."""
    from evaluation.config import load_config
    from tests.disclosure_scan import scan

    _tool("pdftotext")
    config = load_config(demo_dir / "evaluation.toml")
    found = scan(built, demo_dir, config, config.disclosure.threshold)
    assert found == {k: [] for k in found}, {k: v[:10] for k, v in found.items() if v}


def test_disclosure_scan_sees_small_cells_when_control_is_off(built_qa, demo_dir):
    """The scan is not vacuous: in the internal-QA build (suppression off) it finds the small cells; it
    still finds no identifiers or event dates, which no build ever writes."""
    from evaluation.config import load_config
    from tests.disclosure_scan import scan

    config = load_config(demo_dir / "evaluation.toml")
    found = scan(built_qa, demo_dir, config, config.disclosure.threshold)
    assert len(found["small_cells"]) >= 5 and len(found["small_counts_in_results"]) >= 5
    assert found["identifiers"] == [] and found["event_dates"] == []


def test_disclosure_scan_detects_identifiers_dates_and_recoverable_cells(tmp_path, demo_dir):
    """The scan's own detectors, on planted leaks."""
    from evaluation.report.session import PublishedTable
    from evaluation.report.workbook import write_workbook
    from tests import disclosure_scan as ds

    ids = ds.input_identifiers(demo_dir)
    person = sorted(i for i in ids if i.startswith("P"))[0]
    assert ds.identifier_hits({"x": f"child {person} was seen"}, ids) == [("x", person)]
    day = sorted(ds.input_event_dates(demo_dir))[100]
    text = f"arrested on {day:%-d %B %Y}, again {day.isoformat()} and {day:%d/%m/%Y}"
    assert {d for d in ds.dates_written(text)} == {day}
    assert ds.event_date_hits({"x": text}, {day}, set()) == [("x", day.isoformat())]
    assert ds.event_date_hits({"x": text}, {day}, {day}) == []
    frame = pd.DataFrame({"Group": ["A", "B", "All"], "Oct": ["c", "c", 11], "Nov": ["c", 30, 33], "Total": [9, 35, 44]})
    write_workbook([PublishedTable("t", 1, "Planted", frame, (), None)], tmp_path / "t.xlsx", "t", [])
    assert sorted(ds.recoverable_cells(tmp_path / "t.xlsx")) == [("Planted", "column Nov"), ("Planted", "row B")]
    assert ds.small_counts_in_text("of whom 3 children and 12 children; 1 to 4 children", 5) == ["3 children"]


def test_second_build_is_byte_identical(built, tmp_path):
    """Same inputs and command, another folder and another process: every output identical to the byte.
    (--quiet changes nothing but the progress messages, so it is left out of the recorded command.)"""
    from evaluation.report.build import OUTPUTS

    res = run_cli("report", "--out", "demo", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    for name in OUTPUTS:
        assert (
            hashlib.sha256((built / name).read_bytes()).hexdigest() == hashlib.sha256((tmp_path / "demo" / name).read_bytes()).hexdigest()
        ), name


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


def _tool(name: str) -> str | None:
    """Path of a system tool; a skip without it, a failure in CI (EVALUATION_REQUIRE_BROWSER=1)."""
    import os
    import shutil

    path = shutil.which(name)
    if not path:
        if os.environ.get("EVALUATION_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{name} is needed (apt-get install chromium poppler-utils)")
        pytest.skip(f"{name} not installed")
    return path


def _pdf_pages_text(pdf) -> list[str]:
    import subprocess

    text = subprocess.run([_tool("pdftotext"), "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


def _chromium(tmp_path, *args: str, timeout: int = 180) -> str:
    """Headless Chromium with no network side-traffic and a throwaway profile; returns its stdout."""
    import subprocess

    return subprocess.run(
        [
            _tool("chromium"),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
    ).stdout


def _visible_text(html_path, tmp_path) -> str:
    """The text a reader sees: the page printed by headless Chromium, then extracted by pdftotext."""
    pdf = tmp_path / "page.pdf"
    _chromium(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", html_path.as_uri(), timeout=120)
    return "\f".join(_pdf_pages_text(pdf))


@pytest.mark.browser
def test_narrative_headings_are_visible_to_readers(built, tmp_path):
    text = _visible_text(built / "report.html", tmp_path)
    for heading in (
        "Summary",
        "The programme",
        "Engagement",
        "Matched comparison group",
        "Balance: are the matched groups alike?",
        "Offending, victimisation and missing episodes",
        "Missing episodes",
        "Limitations",
        "Appendix D: glossary",
    ):
        assert heading in text, f"'{heading}' is not visible on the printed page"


SECTIONS = [
    "Summary",
    "The programme",
    "Engagement",
    "Matched comparison group",
    "Offending, victimisation and missing episodes",
    "Reoffending",
    "Value for money",
    "What this means for the decision",
    "Limitations",
    "Appendix A: methods",
    "Appendix B: data quality",
    "Appendix C: unit costs and their sources",
    "Appendix D: glossary",
    "Appendix E: how this report was built",
]


def _h2(html: str) -> list[str]:
    import html as h

    return [h.unescape(re.sub(r"<[^>]+>", "", x)).strip() for x in re.findall(r"<h2[^>]*>(.*?)</h2>", html, flags=re.S)]


def test_workbook_has_every_table_with_notes_and_source_lines(built):
    """One sheet per published table, in order, each with its caption, the table, its notes and a source line."""
    from openpyxl import load_workbook

    html = (built / "report.html").read_text()
    captions = re.findall(r"<caption>Table (\d+)\. ([^<]*)</caption>", html)
    wb = load_workbook(built / "tables.xlsx", read_only=True)
    sheets = [ws for ws in wb.worksheets if ws.title != "Contents"]
    assert len(sheets) == len(captions) >= 35
    import html as h

    for ws, (number, caption) in zip(sheets, captions):
        cells = [str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None]
        assert cells[0] == f"Table {number}. {h.unescape(caption)}"
        if caption != "Glossary":
            assert any(c.startswith("Source: ") for c in cells), caption
    assert html.count("<p>Source: ") == len(captions) - 1


def test_report_sections_in_order_with_contents_links(built):
    html = (built / "report.html").read_text()
    assert _h2(html) == SECTIONS
    ids = set(re.findall(r'<h2 id="([^"]+)"', html))
    links = re.findall(r'<a href="#([^"]+)">', html)
    assert len(links) == len(SECTIONS) and set(links) <= ids, set(links) - ids


def test_executive_summary_is_computed_from_the_results(built):
    import html as h

    results = json.loads((built / "results.json").read_text())
    html = (built / "report.html").read_text()
    summary = h.unescape(re.sub(r"<[^>]+>", "", html[html.index('id="Summary"') : html.index('id="The-programme"')]))
    c, reo, ba = results["costs"], results["reoffending"]["proven"], results["before_after"]
    funnel = results["engagement"]["funnel"]
    assert f"approached {funnel['approached']}" in summary and f"{funnel['detained']} children" in summary
    assert f"£{c['cost_per_child_engaged']:,.0f} per child engaged" in summary
    from evaluation.report.formatting import chance

    assert f"return £{c['bcr']:.2f}" in summary and chance(c["prob_bcr_above_1"]) in summary
    from evaluation.report.sections.summary import effect_words

    rr = ba["offending"]["12"]
    words, _ = effect_words(rr["rate_ratio"], rr["ci_low"], rr["ci_high"], "offences")
    assert re.sub(r"\*", "", words) in summary  # the sentence follows the interval, whichever way it falls
    assert f"{100 * reo['treated_rate']:.0f}% of programme children against {100 * reo['comparison_rate']:.0f}%" in summary
    # what the evidence can and cannot support follows from the estimates
    s = results["summary"]
    for topic, key in (("offending", "offending"), ("victimisation", "victimisation"), ("missing episodes", "missing_episodes")):
        significant = ba[key]["12"]["ci_high"] < 1 and ba[key]["12"]["placebo_verdict"] != "differing_trends"
        assert s["significant_reduction"][topic] is significant
    assert s["significant_reduction"]["proven reoffending"] is (reo["ci_high"] < 0)
    assert any("value for money" in x for x in s["cannot_support"]) is (c["prob_bcr_above_1"] < 0.95 or c["bcr_ci_low"] <= 1)
    assert any("renewal budget" in x for x in s["cannot_support"]) is c["renewal"]["below_staff_run_rate"]
    assert "It cannot support:" in summary and "How strong is the evidence?" in summary
    assert s["not_run"] == {}


def test_executive_summary_fits_on_one_pdf_page(built):
    pages = _pdf_pages_text(built / "report.pdf")
    starts = [i for i, t in enumerate(pages) if t.lstrip().startswith("Summary")]
    assert len(starts) == 1, "the summary starts exactly one page"
    i = starts[0]
    assert "For the renewal decision" in pages[i], "the whole summary is on its page"
    assert pages[i + 1].lstrip().startswith("The programme")


def test_programme_limitations_and_appendices(built):
    import html as h

    html = h.unescape((built / "report.html").read_text())
    prog = html[html.index('id="The-programme"') : html.index('id="Engagement"')]
    assert "four youth outreach workers" in prog and "Source: London999" in prog and "Period evaluated: 19 October 2020" in prog
    lim = html[html.index('id="Limitations"') : html.index('id="Appendix-A:-methods"')]
    for heading in ("Design", "Power", "Data gaps", "Other schemes in the same custody suite"):
        assert f">{heading}<" in lim
    for scheme in ("Project Guardian", "DIVERT", "ChiIRP"):
        assert scheme in lim
    assert "https://whatworks.college.police.uk/Research/Research-Map/Pages/ResearchProject.aspx?projectid=896" in lim
    methods = html[html.index('id="Appendix-A:-methods"') : html.index('id="Appendix-B:-data-quality"')]
    for ref in ("https://doi.org/10.18637/jss.v042.i08", "https://doi.org/10.18637/jss.v095.i01", "caliper: 0.2 standard deviations"):
        assert ref in methods
    quality = html[html.index('id="Appendix-B:-data-quality"') : html.index('id="Appendix-C:-unit-costs-and-their-sources"')]
    for caption in (
        "Data used in this report",
        "Validation of each input table",
        "Missing values in optional columns",
        "Who is in the analysis: from the custody extract to the matched groups.",
    ):
        assert caption in quality
    assert "release_after_arrival" in quality and "intervention_start_date" in quality
    glossary = html[html.index('id="Appendix-D:-glossary"') :]
    for term in ("Regression to the mean", "Proven reoffending", "Intention to treat", "Standardised mean difference (SMD)"):
        assert term in glossary
    # issue 15: every technical word the report uses is defined for the reader
    for term in (
        "p-value", "Hazard ratio", "Cox model", "Log-rank test", "Poisson model", "Overdispersion", "Public value",
        "Fiscal, economic and social value", "Switching value", "Deadweight", "Optimism bias", "GDP deflator",
        "Monte Carlo simulation", "MASH", "YOS / YOT", "Run-rate", "Variance ratio", "Engaged", "Cashable",
    ):  # fmt: skip
        assert f">{term}</th>" in glossary, term


def test_sections_that_cannot_run_say_why(broken, demo_dir, tmp_path):
    """No comparison group, no events and no costs: the report still builds, and every section that
    needs them says what is missing instead of failing."""
    text = (demo_dir / "evaluation.toml").read_text()
    start = text.index("[comparison]")
    config = text[:start] + text[text.index("[data]") :]

    def drop(t):
        t["events"] = None
        t["costs"] = None

    folder = broken(drop, config_text=config)
    res = run_cli("report", "--data", str(folder), "--out", str(tmp_path / "out"), "--quiet")
    assert res.returncode == 0, res.stderr
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    not_run = results["summary"]["not_run"]
    assert set(not_run) >= {"matching", "before_after", "reoffending", "value_for_money"}
    assert "no comparison children" in not_run["matching"] and "[comparison]" in not_run["matching"]
    assert "events table" in not_run["before_after"] and "costs table" in not_run["value_for_money"]
    html = (tmp_path / "out" / "report.html").read_text()
    assert _h2(html) == SECTIONS, "every section is there, saying why where it cannot run"
    assert html.count("This analysis is not in the report") >= 5
    assert "any claim about impact: there is no comparison group" in html
    assert "matching" not in results and "engagement" in results


@pytest.mark.browser
def test_html_renders_in_chromium_with_every_chart_and_no_failed_resource(built, tmp_path):
    """Load a copy of the page in headless Chromium with a probe script injected (the published page has
    none): every image must decode, nothing may be fetched or fail, and the page must lay out."""
    html = (built / "report.html").read_text()
    n_img = len(re.findall(r"<img ", html))
    probe = """<script>
window.__errors = [];
window.addEventListener("error", function (e) { window.__errors.push(String((e.target && (e.target.src || e.target.href)) || e.message)); }, true);
window.addEventListener("load", function () {
  var imgs = Array.prototype.slice.call(document.images);
  var out = {
    images: imgs.length,
    decoded: imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length,
    laid_out: imgs.filter(function (i) { return i.getBoundingClientRect().width > 100; }).length,
    fetched: performance.getEntriesByType("resource").map(function (r) { return r.name; }),
    errors: window.__errors,
    h2: document.querySelectorAll("h2").length,
    tables: document.querySelectorAll("table").length,
    height: document.body.scrollHeight,
    title: document.title
  };
  var pre = document.createElement("pre"); pre.id = "probe"; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""
    page = tmp_path / "probe.html"
    page.write_text(html.replace("<head>", "<head>" + probe, 1), encoding="utf-8")
    dom = _chromium(tmp_path, "--virtual-time-budget=15000", "--dump-dom", page.as_uri())
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, flags=re.S)
    assert found, "the page did not finish loading in Chromium"
    import html as h

    probe_result = json.loads(h.unescape(found.group(1)))
    assert probe_result["images"] == n_img >= 12
    assert probe_result["decoded"] == n_img and probe_result["laid_out"] == n_img, probe_result
    assert probe_result["fetched"] == [] and probe_result["errors"] == [], probe_result
    assert probe_result["h2"] == len(SECTIONS) and probe_result["tables"] >= 30 and probe_result["height"] > 10000
    assert probe_result["title"] == "Operation Alliance: evaluation report (demo data)"


def test_pdf_pages_render_non_blank_and_nothing_runs_off_the_page(built, tmp_path):
    """Every page of the PDF rendered to PNG (poppler) has content and no page is left nearly empty; every
    word lies inside the page; the PDF is tagged (PDF/UA); the summary and the appendices start pages."""
    import subprocess

    from PIL import Image

    pdf = built / "report.pdf"
    info = subprocess.run([_tool("pdfinfo"), str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert re.search(r"Tagged:\s+yes", info) and 20 <= pages <= 80
    subprocess.run([_tool("pdftoppm"), "-r", "20", "-png", str(pdf), str(tmp_path / "p")], check=True)
    images = sorted(tmp_path.glob("p-*.png"))
    assert len(images) == pages
    for path in images:
        grey = Image.open(path).convert("L")
        dark = sum(grey.histogram()[:200])
        assert dark / (grey.width * grey.height) > 0.0015, f"{path.name} is blank"
    bbox = subprocess.run([_tool("pdftotext"), "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for n, (w, h_, body) in enumerate(re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', bbox, flags=re.S), start=1):
        for x0, y0, x1, y1, word in re.findall(
            r'<word xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" yMax="([\d.-]+)">([^<]*)</word>', body
        ):
            assert float(x0) >= 0 and float(x1) <= float(w) - 20 and float(y1) <= float(h_), f"page {n}: '{word}' runs off the page"
    texts = _pdf_pages_text(pdf)
    for n, t in enumerate(texts, start=1):
        body = [line for line in t.splitlines() if line.strip() and not re.fullmatch(r"\s*\d+ of \d+\s*", line)]
        assert len(body) >= 4, f"page {n} is nearly empty: {body}"
    for section in SECTIONS:
        assert any(section in t for t in texts), section
    for section in ("Summary", "The programme", "Appendix A: methods"):
        assert any(t.lstrip().startswith(section) for t in texts), f"'{section}' does not start a page"


def test_the_evidence_rating_is_stated_with_its_reasons(built):
    results = json.loads((built / "results.json").read_text())
    r = results["summary"]["evidence_strength"]
    assert r["sms_level"] == 3 and 1 <= r["rating"] <= 3 and [c["criterion"] for c in r["criteria"]][0] == "Design"
    html = (built / "report.html").read_text()
    assert f"Rating: {r['rating']} of 5" in html and "How strong is the evidence: the rating and its reasons" in html


def test_charts_are_vector_graphics_that_fit_the_page(built):
    """Issue 15: charts were ~100 ppi rasters, some wider than the page and so printed with ~5 pt labels. Each is now
    SVG (vector in the PDF), with its alt text, and no wider than the A4 text width, so its labels print at the
    sizes set (7 pt and up)."""
    import base64

    from evaluation.report.charts import TEXT_WIDTH_IN

    html = (built / "report.html").read_text()
    assert "data:image/png" not in html
    imgs = re.findall(r"<img[^>]*>", html)
    svgs = [(re.search(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', i), re.search(r'alt="([^"]+)"', i)) for i in imgs]
    assert len(svgs) >= 11 and all(src and alt for src, alt in svgs)
    for src, alt in ((s.group(1), a.group(1)) for s, a in svgs):
        data = src
        svg = base64.b64decode(data).decode()
        width = float(re.search(r'<svg[^>]*?width="([\d.]+)pt"', svg, flags=re.S).group(1))
        assert width <= TEXT_WIDTH_IN * 72 + 0.5, (alt[:60], width)
        assert "<dc:date>" not in svg  # no build time inside: byte-reproducible


def test_the_title_page_carries_the_reports_metadata_and_why_the_period_ends_where_it_does(built, demo_dir):
    """Issue 15: evaluator, commissioner, version, report date, the decision's date against the extract, and why the
    period evaluated stops before the programme did, all from the config."""
    from evaluation.config import load_config

    r = load_config(demo_dir / "evaluation.toml").report
    html = (built / "report.html").read_text()
    head = html[: html.index('id="Summary"')]
    for text in (r.author, r.commissioner, r.version, f"{r.report_date:%-d %B %Y}", r.period_reason):
        assert text in head, text
    assert r.decision_date is None and "The decision</strong> is due" not in head  # none configured: none claimed
    meta = json.loads((built / "results.json").read_text())["meta"]
    assert meta["decision_date"] is None and meta["commissioner"] == r.commissioner
