"""The design's simulation study: does the pipeline find effects where there are none, and cover
the truth where there are?

Each replication draws a scenario (programme period 3 to 24 months, comparison from other suites,
an earlier period at the programme suite, or both), simulates it with the independent generator
(tests/simulation/generator.py; it shares no code with evaluation.demo), writes the files, loads and
validates them as a user would, and runs the cohort, matching, before/after and reoffending stages
as the report does. For each headline estimate it records the estimate, its 95% CI, its p-value and
the truth: the planted rate ratio for the difference-in-differences (exact by construction), and
for reoffending and re-arrest the mean, over the programme children the measure analyses, of their
outcome with the programme minus without it (both known to the generator).

Run the full study (`make validation`; it rewrites docs/validation.md and docs/validation/*.csv):

    .venv/bin/python -m tests.simulation.study --replications 500 --stress-replications 200

`make test` runs a CI-sized version (tests/test_simulation_study.py).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from tests.simulation.generator import EVENT_TYPES, Scenario, simulate

PLANTED = {"offence": 0.75, "victimisation": 0.85, "missing_episode": 0.8}
NULL = {t: 1.0 for t in EVENT_TYPES}
HEADLINES = ("did_offending_12m", "did_victimisation_12m", "did_missing_episodes_12m", "proven", "rearrest_12m")


def scenario_for(replication: int, planted: bool, base_seed: int = 20261129) -> Scenario:
    """The scenario of replication r: its seed and design drawn from a seed fixed in advance."""
    rng = np.random.default_rng([base_seed, replication, int(planted)])
    return Scenario(
        seed=int(rng.integers(1, 2**31)),
        programme_months=int(rng.choice([3, 6, 12, 18, 24])),
        comparison=str(rng.choice(["suites", "pre_period", "both"])),
        effect=PLANTED if planted else NULL,
        people_per_suite=int(rng.integers(900, 1600)),
        approach_base=float(rng.uniform(0.35, 0.75)),
    )


def run_one(args: tuple[int, bool] | tuple[int, bool, dict]) -> list[dict]:
    """One replication: every headline estimate with its truth (a list of rows). A third element
    overrides scenario fields (for experiments)."""
    replication, planted = args[0], args[1]
    import dataclasses

    import evaluation
    from evaluation import censoring, outcomes, reoffending
    from evaluation.cohort import build_cohort
    from evaluation.matching import match_comparison

    s = scenario_for(replication, planted)
    if len(args) > 2:
        s = dataclasses.replace(s, **args[2])
    sim = simulate(s)
    rows = []
    base = {
        "replication": replication,
        "planted": planted,
        "seed": s.seed,
        "programme_months": s.programme_months,
        "comparison": s.comparison,
    }
    t0 = time.time()
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = evaluation.load(sim.write(tmp))
        cohort = build_cohort(data)
        if cohort.n_programme < 10 or cohort.n_comparison < 10:
            return [dict(base, estimate="(too small)", value=math.nan)]
        cm = match_comparison(cohort, data.config)
        model = censoring.fit_approach_model(data)
        res = outcomes.compare_before_after(data, cohort, cm, model)
        for o, (et, _) in outcomes.OUTCOMES.items():
            d = res.get(o, 12).did
            truth = s.effect[et]
            ba = res.get(o, 12)
            rows.append(
                dict(
                    base,
                    estimate=f"did_{o}_12m",
                    value=d["rate_ratio"],
                    ci_low=d["ci_low"],
                    ci_high=d["ci_high"],
                    p_value=d["p_value"],
                    truth=truth,
                    scale="ratio",
                    placebo=(ba.placebo_check or {}).get("verdict"),
                    placebo_p=ba.placebo["p_value"] if ba.placebo else math.nan,
                )
            )
            for name, spec in res.specifications.items():
                sd = spec[o][12]
                rows.append(
                    dict(
                        base,
                        estimate=f"did_{o}_12m:{name}",
                        value=sd["rate_ratio"],
                        ci_low=sd["ci_low"],
                        ci_high=sd["ci_high"],
                        p_value=sd["p_value"],
                        truth=truth,
                        scale="ratio",
                    )
                )
        try:
            reo = reoffending.analyse(data, cm, model)
        except reoffending.ReoffendingError:
            reo = None
        for key, pot in (("proven", "proven"), ("rearrest_12m", "rearrest_12m")):
            m = reo.measures.get(key) if reo is not None else None
            if m is None:
                rows.append(dict(base, estimate=key, value=math.nan, scale="difference"))
                continue
            treated = m.units[m.units.treated == 1]
            units = cohort.table.set_index("unit_id").loc[treated.unit_id, ["person_id", "index_date"]].reset_index()
            po = sim.potential_outcomes(units)
            truth = float((po[f"y1_{pot}"].astype(float) - po[f"y0_{pot}"].astype(float)).mean())
            rows.append(
                dict(
                    base,
                    estimate=key,
                    value=m.rate.difference,
                    ci_low=m.rate.ci_low,
                    ci_high=m.rate.ci_high,
                    p_value=m.rate.p_value,
                    truth=truth,
                    scale="difference",
                    n_treated=m.rate.n_treated,
                )
            )
            sv = m.survival
            rows.append(
                dict(
                    base,
                    estimate=f"{key}:hazard_ratio",
                    value=sv.hazard_ratio,
                    ci_low=sv.hr_ci_low,
                    ci_high=sv.hr_ci_high,
                    p_value=sv.hr_p_value,
                    truth=math.nan,
                    scale="ratio",
                )
            )
    for r in rows:
        r["seconds"] = round(time.time() - t0, 2)
    return rows


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    """Per estimate and arm (null / planted): replications, bias, coverage of the truth by the 95% CI,
    and the share called significant (the false-positive rate under the null, power when planted)."""
    r = results[results.value.notna() & results.ci_low.notna()].copy()
    ratio = r.scale == "ratio"
    r["error"] = np.where(ratio, np.log(r.value) - np.log(r.truth), r.value - r.truth)
    r["covered"] = (r.ci_low <= r.truth) & (r.truth <= r.ci_high)
    r["significant"] = (r.ci_low > np.where(ratio, 1.0, 0.0)) | (r.ci_high < np.where(ratio, 1.0, 0.0))
    g = r.groupby(["estimate", "planted"])
    out = pd.DataFrame(
        {
            "replications": g.size(),
            "mean_truth": g.truth.mean(),
            "mean_estimate": g.value.mean(),
            "bias": g.error.mean(),
            "coverage": g.covered.mean(),
            "significant": g.significant.mean(),
        }
    ).reset_index()
    out.loc[out.estimate.str.endswith(":hazard_ratio"), ["bias", "coverage", "mean_truth"]] = np.nan
    return out


def run_safely(args: tuple) -> list[dict]:
    """run_one, with a failure recorded as a row (estimate '(error)') instead of ending the whole study: every
    error is a bug, counted in the results and failing the CI-sized test."""
    try:
        return run_one(args)
    except Exception as exc:  # noqa: BLE001 - recorded, never silent
        return [
            {"replication": args[0], "planted": args[1], "estimate": "(error)", "value": math.nan, "error": f"{type(exc).__name__}: {exc}"}
        ]


def run(
    replications: int, workers: int = 2, arms: tuple[bool, ...] = (False, True), progress: bool = True, override: dict | None = None
) -> pd.DataFrame:
    jobs = [(i, planted, override or {}) for planted in arms for i in range(replications)]
    rows: list[dict] = []
    t0 = time.time()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for k, res in enumerate(pool.map(run_safely, jobs, chunksize=1), 1):
            rows.extend(res)
            if progress and (k % 10 == 0 or k == len(jobs)):
                print(f"  {k}/{len(jobs)} replications, {time.time() - t0:.0f} s", file=sys.stderr, flush=True)
    return pd.DataFrame(rows)


#: The stress arm: suites also differ in an unrecorded multiplier of offending (sd 0.3 on the log scale).
STRESS = {"suite_unobserved_sd": 0.3}
LABELS = {
    "did_offending_12m": "Offending, DiD ratio of rate ratios (12 months)",
    "did_victimisation_12m": "Victimisation, DiD ratio of rate ratios (12 months)",
    "did_missing_episodes_12m": "Missing episodes, DiD ratio of rate ratios (12 months)",
    "proven": "Proven reoffending from the index arrest, difference",
    "rearrest_12m": "Re-arrest within 12 months, difference",
}


def _fmt(x: float, pct: bool = False) -> str:
    return "–" if x != x else (f"{100 * x:.1f}%" if pct else f"{x:+.3f}")


def markdown(results: pd.DataFrame, stress: pd.DataFrame | None, replications: int, seconds: float) -> str:
    """docs/validation.md from a run's results (every number computed here, none typed in)."""
    s = summarise(results)
    null, planted = s[~s.planted].set_index("estimate"), s[s.planted].set_index("estimate")
    lines = [
        "| Headline estimate | Replications (no effect / planted) | False-positive rate | Coverage, no effect | "
        "Coverage, planted | Bias, no effect | Bias, planted | Power |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for key, label in LABELS.items():
        n, p = null.loc[key], planted.loc[key]
        lines.append(
            f"| {label} | {int(n.replications)} / {int(p.replications)} | {_fmt(n.significant, True)} | "
            f"{_fmt(n.coverage, True)} | {_fmt(p.coverage, True)} | {_fmt(n.bias)} | {_fmt(p.bias)} | {_fmt(p.significant, True)} |"
        )
    spec_rows = [
        "| Specification (offending, 12 months) | False-positive rate | Coverage, planted | Bias, no effect | Bias, planted |",
        "|---|---|---|---|---|",
    ]
    for key in sorted(k for k in null.index if k.startswith("did_offending_12m")):
        n, p = null.loc[key], planted.loc[key]
        name = key.split(":")[1].replace("_", " ") if ":" in key else "main (as configured by default)"
        spec_rows.append(f"| {name} | {_fmt(n.significant, True)} | {_fmt(p.coverage, True)} | {_fmt(n.bias)} | {_fmt(p.bias)} |")
    r = results[results.estimate.isin(LABELS) & results.value.notna()].copy()
    r["covered"] = (r.ci_low <= r.truth) & (r.truth <= r.ci_high)
    r["significant"] = r.p_value <= 0.05
    by_design = (
        r.groupby(["estimate", "comparison", "planted"])
        .agg(n=("covered", "size"), coverage=("covered", "mean"), significant=("significant", "mean"))
        .reset_index()
    )
    design_rows = [
        "| Estimate | Comparison | Replications (no effect) | False-positive rate | Coverage, planted |",
        "|---|---|---|---|---|",
    ]
    for (key, comp), g in by_design.groupby(["estimate", "comparison"]):
        n0, n1 = g[~g.planted], g[g.planted]
        design_rows.append(
            f"| {LABELS[key]} | {comp.replace('_', ' ')} | {int(n0.n.sum())} | "
            f"{_fmt(float(n0.significant.iloc[0]) if len(n0) else float('nan'), True)} | "
            f"{_fmt(float(n1.coverage.iloc[0]) if len(n1) else float('nan'), True)} |"
        )
    not_estimable = results[results.estimate.isin(["proven"]) & results.value.isna()].shape[0]
    errors = results[results.estimate == "(error)"]
    error_text = (
        f" {len(errors)} replications failed with an error (a bug, listed in docs/validation/results.csv.gz)."
        if len(errors)
        else " No replication failed."
    )
    plc = results[results.estimate.str.match(r"did_[a-z_]+_12m$") & results.placebo_p.notna()]
    placebo_rows = [
        "| Outcome | Placebo run | Placebo significant (no effect) | Verdict 'similar trends' (no effect) |",
        "|---|---|---|---|",
    ]
    for key, g in plc[~plc.planted].groupby("estimate"):
        placebo_rows.append(
            f"| {LABELS[key].split(',')[0]} | {len(g)} | {_fmt(float((g.placebo_p <= 0.05).mean()), True)} | "
            f"{_fmt(float((g.placebo == 'parallel_supported').mean()), True)} |"
        )
    out = [
        f"Replications per arm: {replications} (no effect, and effects planted: offending x{PLANTED['offence']}, victimisation "
        f"x{PLANTED['victimisation']}, missing episodes x{PLANTED['missing_episode']}). Run time: {seconds / 60:.0f} minutes on "
        f"2 cores. Proven reoffending could not be estimated in {not_estimable} replications (no child with complete follow-up "
        "by the extract date: the report says so instead of estimating)." + error_text,
        "",
        "\n".join(lines),
        "",
        "### The other specifications reported beside the main estimate",
        "",
        "\n".join(spec_rows),
        "",
        "### By comparison design",
        "",
        "\n".join(design_rows),
        "",
        "### The placebo test under no effect (it should be significant about 5% of the time)",
        "",
        "\n".join(placebo_rows),
    ]
    if stress is not None and len(stress):
        st = summarise(stress).set_index("estimate")
        rows = ["| Headline estimate | False-positive rate | Bias |", "|---|---|---|"]
        for key, label in LABELS.items():
            if key in st.index:
                rows.append(f"| {label} | {_fmt(st.loc[key].significant, True)} | {_fmt(st.loc[key].bias)} |")
        out += [
            "",
            f"### Stress test: suites differ in something the records do not show ({int(st.replications.max())} replications, no effect)",
            "",
            "\n".join(rows),
        ]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--replications", type=int, default=500, help="replications per arm (no effect and planted)")
    ap.add_argument("--stress-replications", type=int, default=200, help="replications of the stress arm (no effect)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", default="docs", help="folder for validation.md and validation/*.csv")
    a = ap.parse_args(argv)
    t0 = time.time()
    out = Path(a.out)
    (out / "validation").mkdir(parents=True, exist_ok=True)
    results = run(a.replications, a.workers)
    results.to_csv(out / "validation" / "results.csv.gz", index=False, lineterminator="\n")  # kept if a later arm fails
    stress = run(a.stress_replications, a.workers, arms=(False,), override=STRESS) if a.stress_replications else None
    seconds = time.time() - t0
    summarise(results).to_csv(out / "validation" / "summary.csv", index=False, lineterminator="\n", float_format="%.4f")
    if stress is not None:
        summarise(stress).to_csv(out / "validation" / "stress_summary.csv", index=False, lineterminator="\n", float_format="%.4f")
    doc = out / "validation.md"
    text = doc.read_text(encoding="utf-8") if doc.exists() else ""
    begin, end = "<!-- results: begin -->", "<!-- results: end -->"
    block = f"{begin}\n{markdown(results, stress, a.replications, seconds)}{end}"
    text = (text.split(begin)[0] + block + text.split(end)[1]) if begin in text and end in text else text + "\n" + block + "\n"
    doc.write_text(text, encoding="utf-8")
    print(markdown(results, stress, a.replications, seconds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
