"""Benchmark: evaluation.matching against R's MatchIt 4.7.2 (`make r-reference`), same data, same run.

    python benchmarks/matching_vs_matchit.py            # 20k treated x 200k controls, plus 200k x 2M (ours only)
    python benchmarks/matching_vs_matchit.py --quick    # 2k x 20k

Data: 6 covariates (4 continuous, 2 binary), treated shifted (seeded). Both tools run 1:1 nearest
neighbour with a caliper of 0.2 SD of the propensity score, without replacement.

Two comparisons, each timed inside its own process after imports and data loading:
  A. the whole call (logistic propensity model + matching), as an evaluator runs it;
  B. matching on a supplied (fractional) distance: our propensity score given to both.
The matched pairs must be identical in both. Then the first call in a fresh process (import and a small
match, against starting Python and importing numpy and pandas), and 200,000 x 2,000,000 with our package
alone, in a subprocess, reporting time and peak memory.
Not a test: it prints numbers; run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

COVS = ["x1", "x2", "x3", "x4", "b1", "b2"]


def make_data(n1: int, n0: int, seed: int = 20201019) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.r_[np.ones(n1, dtype=int), np.zeros(n0, dtype=int)]
    x = rng.normal(size=(n1 + n0, 4)) + 0.5 * t[:, None]
    b = (rng.random((n1 + n0, 2)) < np.where(t[:, None] == 1, 0.6, 0.4)).astype(int)
    return pd.DataFrame({"treat": t, "x1": x[:, 0], "x2": x[:, 1], "x3": x[:, 2], "x4": x[:, 3], "b1": b[:, 0], "b2": b[:, 1]})


def _pairs_from_ours(m) -> set[tuple[int, int]]:
    mm = m.match_matrix[1]
    mm = mm[mm.notna()]
    return set(zip(mm.index.astype(int), mm.astype(int)))


def _time_ours(d: pd.DataFrame, repeats: int = 3, **kw):
    from evaluation.matching import match

    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = match(d, "treat", COVS, caliper=0.2, **kw)
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), result


R_SCRIPT = r"""
suppressMessages(library(MatchIt))
stopifnot(packageVersion("MatchIt") == "4.7.2")
d <- read.csv("{csv}")
rownames(d) <- as.character(seq_len(nrow(d)))
t_glm <- system.time(m1 <- suppressWarnings(matchit(treat ~ x1 + x2 + x3 + x4 + b1 + b2, data = d, caliper = 0.2)))[["elapsed"]]
t_dist <- system.time(m2 <- suppressWarnings(matchit(treat ~ x1 + x2 + x3 + x4 + b1 + b2, data = d, distance = d$ps, caliper = 0.2)))[["elapsed"]]
out <- function(m, f) {{ mm <- m$match.matrix; write.csv(data.frame(t = match(rownames(mm), rownames(d)), c = match(mm[, 1], rownames(d))), f, row.names = FALSE) }}
out(m1, "{dir}/glm.csv"); out(m2, "{dir}/dist.csv")
write.csv(data.frame(ps = m1$distance), "{dir}/ps.csv", row.names = FALSE)
cat(sprintf('{{"glm": %f, "dist": %f}}', t_glm, t_dist))
"""


def _r_pairs(path: Path) -> set[tuple[int, int]]:
    f = pd.read_csv(path).dropna()
    return set(zip(f.t.astype(int) - 1, f.c.astype(int) - 1))


def compare_with_matchit(n1: int, n0: int) -> None:
    import statsmodels.api  # noqa: F401  (import outside the timing, like library(MatchIt) in R)

    d = make_data(n1, n0)
    print(f"\n== {n1:,} treated x {n0:,} controls, 1:1 nearest neighbour, caliper 0.2 SD ==")
    t_ours_glm, m_glm = _time_ours(d)
    d["ps"] = m_glm.distance.to_numpy()
    t_ours_dist, m_dist = _time_ours(d, distance=d.ps.to_numpy())
    rscript = shutil.which("Rscript")
    lib = Path(__file__).resolve().parents[1] / ".venv" / "R-matchit-4.7.2"
    if rscript is None or not (lib / "MatchIt").is_dir():
        print(f"  ours: whole call {t_ours_glm:.2f} s; matching on a distance {t_ours_dist:.2f} s")
        print(f"  MatchIt 4.7.2 is not installed in {lib}: no comparison (make r-reference)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "data.csv"
        d.to_csv(csv, index=False)
        script = Path(tmp) / "bench.R"
        script.write_text(R_SCRIPT.format(csv=csv, dir=tmp))
        env = {**os.environ, "R_LIBS": str(lib)}
        res = subprocess.run([rscript, str(script)], capture_output=True, text=True, check=True, env=env)
        r_times = json.loads(res.stdout.strip().splitlines()[-1])
        r_glm, r_dist = _r_pairs(Path(tmp) / "glm.csv"), _r_pairs(Path(tmp) / "dist.csv")
        r_ps = pd.read_csv(Path(tmp) / "ps.csv").ps.to_numpy()
    same_dist = _pairs_from_ours(m_dist) == r_dist
    same_glm = _pairs_from_ours(m_glm) == r_glm
    ps_gap = float(np.abs(r_ps - m_glm.distance.to_numpy()).max())
    print(f"{'':44s}{'MatchIt 4.7.2':>14s}{'evaluation':>12s}{'speed-up':>10s}")
    print(
        f"  {'A. whole call (propensity model + matching)':42s}{r_times['glm']:>12.2f} s{t_ours_glm:>10.2f} s{r_times['glm'] / t_ours_glm:>9.1f}x"
    )
    print(
        f"  {'B. matching on a supplied distance':42s}{r_times['dist']:>12.2f} s{t_ours_dist:>10.2f} s{r_times['dist'] / t_ours_dist:>9.1f}x"
    )
    print(f"  A: matched pairs identical to MatchIt: {same_glm} ({len(r_glm):,} pairs in R); propensity scores agree to {ps_gap:.1e}")
    print(f"  B: matched pairs identical to MatchIt: {same_dist} ({len(r_dist):,} pairs in R, {len(_pairs_from_ours(m_dist)):,} in ours)")
    print("  targets (issue 16): A at least 5x, B at least 2x")


FIRST_CALL = """
import time; t0 = time.perf_counter()
import numpy, pandas
floor = time.perf_counter() - t0
from evaluation.matching import match
d = pandas.DataFrame({"treat": [1, 0, 0, 1, 0, 0], "x": [0.1, 0.2, 0.3, 0.5, 0.6, 0.9]})
match(d, "treat", ["x"])
print(floor, time.perf_counter() - t0)
"""


def first_call() -> None:
    """Starting Python and importing numpy and pandas (the floor), against that plus importing the package and a
    first small match (whole call): the overhead a CLI run or a notebook pays once."""
    runs = [subprocess.run([sys.executable, "-c", FIRST_CALL], capture_output=True, text=True, check=True) for _ in range(3)]
    floor, total = np.median([[float(x) for x in r.stdout.split()] for r in runs], axis=0)
    print(
        f"\n== first call in a fresh process ==\n  import numpy+pandas {floor:.2f} s; + import and a first match {total:.2f} s: "
        f"overhead {total - floor:.2f} s (target < 1 s)"
    )


def big_run(n1: int, n0: int) -> None:
    """Ours alone on a large problem, in this process; prints time and peak memory."""
    import statsmodels.api  # noqa: F401

    from evaluation.matching import match

    d = make_data(n1, n0)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = match(d, "treat", COVS, caliper=0.2)
    elapsed = time.perf_counter() - t0
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(json.dumps({"n1": n1, "n0": n0, "seconds": elapsed, "peak_rss_gb": peak_gb, "treated_matched": m.n_treated_matched}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="2k x 20k only")
    ap.add_argument("--big-run", nargs=2, type=int, metavar=("N1", "N0"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.big_run:
        big_run(*args.big_run)
        return
    first_call()
    compare_with_matchit(2_000, 20_000)
    if args.quick:
        return
    compare_with_matchit(20_000, 200_000)
    n1, n0 = 200_000, 2_000_000
    print(f"\n== {n1:,} treated x {n0:,} controls, ours only (whole call, separate process) ==")
    res = subprocess.run([sys.executable, __file__, "--big-run", str(n1), str(n0)], capture_output=True, text=True, check=True)
    r = json.loads(res.stdout.strip().splitlines()[-1])
    print(
        f"  {r['seconds']:.1f} s (target < 10 s), peak memory {r['peak_rss_gb']:.2f} GB (target < 2 GB), "
        f"{r['treated_matched']:,} treated matched"
    )


if __name__ == "__main__":
    main()
