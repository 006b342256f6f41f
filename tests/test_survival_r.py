"""Survival conformance with R's survival package (Debian r-cran-survival) on a fixed dataset: the
demo's matched sample, time to first proven reoffence, with matching weights and matched sets."""

from __future__ import annotations

import subprocess
import warnings

import numpy as np
import pandas as pd
import pytest

import evaluation
from evaluation import reoffending
from evaluation.cohort import build_cohort
from evaluation.matching import match_comparison
from evaluation.outcomes import matched_sample
from tests.r_reference import require_r

R_SCRIPT = r"""
suppressMessages(library(survival))
d <- read.csv("{csv}")
km <- survfit(Surv(time, event) ~ treated, data = d, weights = w)
s <- summary(km, censored = TRUE)
write.csv(data.frame(treated = as.integer(sub("treated=", "", s$strata)), time = s$time, surv = s$surv), "{km}", row.names = FALSE)
fit <- coxph(Surv(time, event) ~ treated, data = d, weights = w, cluster = cluster, ties = "efron")
write.csv(data.frame(coef = coef(fit), robust_se = sqrt(diag(vcov(fit)))), "{cox}", row.names = FALSE)
"""


@pytest.fixture(scope="module")
def survival_data(demo_dir):
    data = evaluation.load(demo_dir)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cm = match_comparison(build_cohort(data), data.config)
    sample = matched_sample(cm)
    per_child = reoffending.proven_reoffending_by_child(data, sample)
    d = sample.merge(per_child, on="person_id")
    return pd.DataFrame({"time": d.time, "event": d.event.astype(int), "treated": d.treated, "w": d.weight, "cluster": d.cluster})


@pytest.fixture(scope="module")
def r_survival(survival_data, tmp_path_factory):
    rscript = require_r("survival")
    tmp = tmp_path_factory.mktemp("surv")
    csv, km, cox = tmp / "d.csv", tmp / "km.csv", tmp / "cox.csv"
    survival_data.to_csv(csv, index=False)
    (tmp / "s.R").write_text(R_SCRIPT.format(csv=csv, km=km, cox=cox))
    subprocess.run([rscript, str(tmp / "s.R")], check=True, capture_output=True)
    return pd.read_csv(km), pd.read_csv(cox)


@pytest.fixture(scope="module")
def ours(survival_data):
    d = survival_data
    return reoffending.survival_comparison(
        d.time.to_numpy(float), d.event.to_numpy(bool), d.treated.to_numpy(), d.w.to_numpy(float), d.cluster.to_numpy()
    )


@pytest.mark.needs_r
def test_kaplan_meier_equals_survfit(ours, r_survival):
    km_r, _ = r_survival
    res = ours
    for g, label in ((1, "programme"), (0, "comparison")):
        ours = res.curves[res.curves.group == label].set_index("time").survival
        theirs = km_r[km_r.treated == g].set_index("time").surv
        assert len(theirs) > 20
        # lifelines reports the curve at every distinct time (and 0); R at each time with an event or censoring in the group
        np.testing.assert_allclose(ours.reindex(theirs.index).to_numpy(), theirs.to_numpy(), rtol=0, atol=1e-8)


@pytest.mark.needs_r
def test_cox_hazard_ratio_equals_coxph(ours, r_survival):
    _, cox_r = r_survival
    res = ours
    assert res.hazard_ratio == pytest.approx(float(np.exp(cox_r.coef.iloc[0])), abs=1e-6)
    robust_se = (np.log(res.hr_ci_high) - np.log(res.hazard_ratio)) / 1.959963984540054
    assert robust_se == pytest.approx(float(cox_r.robust_se.iloc[0]), rel=1e-3), "robust (clustered) standard error"
