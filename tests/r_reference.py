"""Run R reference implementations (MatchIt, survival, sandwich) from tests.

Without R the tests that need it skip with a visible reason; in CI (EVALUATION_REQUIRE_R=1) a
missing R is a failure, so conformance can never silently not run.

Matching is compared with MatchIt 4.7.2, the current release, installed by `make r-reference` from the
source packages in tests/reference/matchit-4.7.2/ into its own R library (.venv/R-matchit-4.7.2, or
EVALUATION_MATCHIT_LIB). Debian's r-cran-matchit is 4.5.1, whose nearest-neighbour matching truncates
fractional distance differences (MatchIt #163): it is never used as the reference.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest


def require_r(*packages: str) -> str:
    """Path of Rscript, after checking the R packages load; skip (or fail in CI) otherwise."""
    rscript = shutil.which("Rscript")
    strict = os.environ.get("EVALUATION_REQUIRE_R") == "1"
    reason = None
    if rscript is None:
        reason = "R is not installed (apt-get install r-base-core " + " ".join(f"r-cran-{p.lower()}" for p in packages) + ")"
    else:
        check = subprocess.run(
            [rscript, "-e", f"for (p in {_r_vec(packages)}) if (!requireNamespace(p, quietly=TRUE)) quit(status=3)"],
            capture_output=True,
            text=True,
        )
        if check.returncode != 0:
            reason = f"R packages missing: {', '.join(packages)}"
    if reason:
        if strict:
            pytest.fail(f"{reason}; EVALUATION_REQUIRE_R=1 (CI) needs the reference implementation")
        pytest.skip(reason)
    return rscript


MATCHIT_VERSION = "4.7.2"


def matchit_library() -> Path:
    """The R library holding MatchIt 4.7.2 (`make r-reference` installs it there)."""
    env = os.environ.get("EVALUATION_MATCHIT_LIB")
    return Path(env) if env else Path(__file__).resolve().parents[1] / ".venv" / "R-matchit-4.7.2"


def matchit_env() -> dict[str, str]:
    """The environment for Rscript with MatchIt 4.7.2's library first."""
    lib = str(matchit_library())
    return {**os.environ, "R_LIBS": lib + (os.pathsep + os.environ["R_LIBS"] if os.environ.get("R_LIBS") else "")}


def require_matchit() -> str:
    """Path of Rscript, after checking that MatchIt 4.7.2 loads; skip (or fail in CI) otherwise."""
    rscript = require_r()
    check = subprocess.run(
        [rscript, "-e", f'quit(status = if (as.character(packageVersion("MatchIt")) == "{MATCHIT_VERSION}") 0 else 3)'],
        capture_output=True,
        text=True,
        env=matchit_env(),
    )
    if check.returncode != 0:
        reason = f"MatchIt {MATCHIT_VERSION} is not installed in {matchit_library()} (run `make r-reference`)"
        if os.environ.get("EVALUATION_REQUIRE_R") == "1":
            pytest.fail(f"{reason}; EVALUATION_REQUIRE_R=1 (CI) needs the reference implementation")
        pytest.skip(reason)
    return rscript


def _r_vec(values) -> str:
    return "c(" + ", ".join(json.dumps(str(v)) for v in values) + ")"


def _r_value(v) -> str:
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    raise TypeError(v)


def matchit_call(case: dict, data_var: str = "d") -> str:
    """The R matchit() call equivalent to evaluation.matching.match(**case)."""
    formula = f"{case['treatment']} ~ " + " + ".join(case["covariates"])
    args = [formula, f"data = {data_var}", 'method = "nearest"']
    dist = case.get("distance", "glm")
    if dist == "user":
        args.append(f"distance = {data_var}${case['user_distance_column']}")
    else:
        args.append(f"distance = {_r_value(dist)}")
    if case.get("link"):
        args.append(f"link = {_r_value(case['link'])}")
    std = case.get("std_caliper")
    if isinstance(std, dict):  # one entry per caliper, in the caliper's order
        args.append("std.caliper = c(" + ", ".join(_r_value(std[k]) for k in case["caliper"]) + ")")
    for key, r_key in (
        ("ratio", "ratio"),
        ("replace", "replace"),
        ("std_caliper", "std.caliper"),
        ("m_order", "m.order"),
        ("discard", "discard"),
    ):
        if key == "std_caliper" and isinstance(std, dict):
            continue
        if key in case and case[key] is not None:
            args.append(f"{r_key} = {_r_value(case[key])}")
    cal = case.get("caliper")
    if isinstance(cal, dict):
        parts = [(_r_value(v) if k in ("", None) else f"{k} = {_r_value(v)}") for k, v in cal.items()]
        args.append("caliper = c(" + ", ".join(parts) + ")")
    elif cal is not None:
        args.append(f"caliper = {_r_value(cal)}")
    if case.get("exact"):
        args.append(f"exact = {_r_vec(case['exact'])}")
    return "matchit(" + ", ".join(args) + ")"


def run_matchit(data: pd.DataFrame, cases: dict[str, dict], workdir: Path) -> dict[str, dict[str, pd.DataFrame]]:
    """Run every case through R's MatchIt on `data`; return its outputs per case.

    Outputs: mm (1-based row numbers of controls, one column per match), units (weights, subclass,
    distance, discarded per row), bal_all / bal_matched (summary() tables), nn (sample sizes).
    """
    rscript = require_matchit()
    workdir.mkdir(parents=True, exist_ok=True)
    data.to_csv(workdir / "data.csv", index=False)
    lines = [
        "suppressMessages(library(MatchIt))",
        f'd <- read.csv("{workdir / "data.csv"}", stringsAsFactors = FALSE)',
        "rownames(d) <- as.character(seq_len(nrow(d)))",
    ]
    for name, case in cases.items():
        out = workdir / name
        lines += [
            f"m <- suppressWarnings({matchit_call(case)})",
            "mm <- m$match.matrix; idx <- matrix(match(mm, rownames(d)), nrow = nrow(mm))",
            f'write.csv(data.frame(treated = match(rownames(mm), rownames(d)), idx), "{out}_mm.csv", row.names = FALSE)',
            'stopifnot(packageVersion("MatchIt") == "' + MATCHIT_VERSION + '")',
            "sub <- if (is.null(m$subclass)) rep(NA, nrow(d)) else as.integer(as.character(m$subclass))",
            "dist <- if (is.null(m$distance)) rep(NA, nrow(d)) else m$distance",
            f'write.csv(data.frame(weights = m$weights, subclass = sub, distance = dist, discarded = m$discarded), "{out}_units.csv", row.names = FALSE)',
            "s <- summary(m, un = TRUE)",
            f'write.csv(s$sum.all, "{out}_bal_all.csv")',
            f'write.csv(s$sum.matched, "{out}_bal_matched.csv")',
            f'write.csv(s$nn, "{out}_nn.csv")',
        ]
    script = workdir / "run.R"
    script.write_text("\n".join(lines) + "\n")
    res = subprocess.run([rscript, str(script)], capture_output=True, text=True, timeout=900, env=matchit_env())
    if res.returncode != 0:
        raise RuntimeError(f"R failed:\n{res.stderr[-3000:]}")
    results = {}
    for name in cases:
        out = workdir / name
        results[name] = {
            "mm": pd.read_csv(f"{out}_mm.csv"),
            "units": pd.read_csv(f"{out}_units.csv"),
            "bal_all": pd.read_csv(f"{out}_bal_all.csv", index_col=0),
            "bal_matched": pd.read_csv(f"{out}_bal_matched.csv", index_col=0),
            "nn": pd.read_csv(f"{out}_nn.csv", index_col=0),
        }
    return results
