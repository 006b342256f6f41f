"""Cluster-robust standard errors against R's sandwich::vcovCL on a fixed dataset (the demo's matched panel)."""

from __future__ import annotations

import subprocess
import warnings

import numpy as np
import pandas as pd
import pytest

import evaluation
from evaluation import outcomes
from evaluation.cohort import build_cohort
from evaluation.matching import match_comparison
from evaluation.stats import linear_fit, poisson_fit
from tests.r_reference import require_r

R_SCRIPT = r"""
suppressMessages(library(sandwich))
p <- read.csv("{csv}")
f <- glm(y ~ treated * post + offset(log(exposure_years)), family = quasipoisson(), weights = weight, data = p,
         control = glm.control(epsilon = 1e-14, maxit = 100))
l <- lm(any ~ treated * post, weights = weight, data = p)
out <- rbind(data.frame(model = "poisson", term = names(coef(f)), coef = coef(f), se = sqrt(diag(vcovCL(f, cluster = ~cluster)))),
             data.frame(model = "linear", term = names(coef(l)), coef = coef(l), se = sqrt(diag(vcovCL(l, cluster = ~cluster)))))
write.csv(out, "{out}", row.names = FALSE)
"""


@pytest.mark.needs_r
def test_cluster_robust_standard_errors_equal_sandwich_vcovcl(demo_dir, tmp_path):
    rscript = require_r("sandwich")
    data = evaluation.load(demo_dir)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cm = match_comparison(build_cohort(data), data.config)
    sample = outcomes.matched_sample(cm)
    win = outcomes.person_windows(sample, [12], data.config.data.extract_date, outcomes.events_start_date(data), placebo=False)
    counts = pd.concat([win, outcomes.count_events(win, data.events)], axis=1)
    panel = outcomes._panel(counts, sample, "offence", "before", "after").assign(any=lambda p: (p.y > 0).astype(float))
    csv, out = tmp_path / "panel.csv", tmp_path / "r.csv"
    panel.to_csv(csv, index=False)
    (tmp_path / "s.R").write_text(R_SCRIPT.format(csv=csv, out=out))
    subprocess.run([rscript, str(tmp_path / "s.R")], check=True, capture_output=True)
    r = pd.read_csv(out)

    X = np.column_stack([np.ones(len(panel)), panel.treated, panel.post, panel.treated * panel.post]).astype(float)
    names = ["(Intercept)", "treated", "post", "treated:post"]
    pf = poisson_fit(
        X, panel.y.to_numpy(float), np.log(panel.exposure_years.to_numpy()), panel.weight.to_numpy(float), panel.cluster.to_numpy(), names
    )
    lf = linear_fit(X, panel["any"].to_numpy(), panel.weight.to_numpy(float), panel.cluster.to_numpy(), names)
    for model, fit in (("poisson", pf), ("linear", lf)):
        theirs = r[r.model == model].reset_index(drop=True)
        np.testing.assert_allclose(fit.params, theirs.coef, rtol=0, atol=1e-8)
        np.testing.assert_allclose(np.sqrt(np.diag(fit.vcov)), theirs.se, rtol=0, atol=1e-6)
