"""Benchmark: the intruder audit on a long programme: one HiGHS model re-solved per hidden count (warm start,
`Publication.intervals()`) against solving every programme from scratch with scipy.optimize.linprog (the
reference, `intervals(reference=True)`), in the same run.

    python benchmarks/audit_scale.py              # 36 months, 6 outcome rows, seed 11
    python benchmarks/audit_scale.py --months 60

The publication is built the way the report builds its engagement tables: children by outcome and month of
first contact with row and column totals (`disclosure.apply`, which itself audits as it goes), then each
month's arranged rate, published where the rate rule allows it. Both must give every hidden count the same
interval; the ratio is the reference's time over the warm-started audit's time.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from evaluation import disclosure as sdc
from evaluation.disclosure import DisclosureLog, DisclosurePolicy

OUTCOMES = ["intervention_arranged", "awaiting_intervention", "declined", "advice_only", "not_engaged", "out_of_area_referral"]


def build(months: int, seed: int) -> DisclosureLog:
    rng = np.random.default_rng(seed)
    cols = [f"m{m:02d}" for m in range(months)]
    t = pd.DataFrame(rng.poisson([[6], [3], [3], [2], [4], [1]], size=(len(OUTCOMES), months)), index=OUTCOMES, columns=cols)
    t["Total"] = t.sum(axis=1)
    t.loc["All"] = t.sum()
    log = DisclosureLog(DisclosurePolicy(threshold=5, min_rate_base=20))

    def name(r, c):
        return f"engaged[{c}]" if r == "All" else f"engaged[{c}|outcome={r}]"

    sdc.apply(t, sdc.table_lines(t, total_row="All", total_col="Total"), log, "by_month", quantity=name)
    for c in [*cols, "Total"]:
        num, den = {name("intervention_arranged", c): 1.0}, {name("All", c): 1.0}
        n, d = int(t.at["intervention_arranged", c]), int(t.at["All", c])
        if d and log.pub.publishable_rate(num, den, n, d):
            log.pub.rate(num, den, n / d, 0, "rates_by_month")
    return log


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--months", type=int, default=36)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    t0 = time.perf_counter()
    log = build(a.months, a.seed)
    built = time.perf_counter() - t0
    pub = log.pub
    times: dict[bool, float] = {}
    found: dict[bool, dict] = {}
    for reference in (False, True):
        best = np.inf
        for _ in range(a.repeat):
            t0 = time.perf_counter()
            found[reference] = pub.intervals(reference=reference)
            best = min(best, time.perf_counter() - t0)
        times[reference] = best
    assert found[True].keys() == found[False].keys()
    assert all(np.allclose(found[True][q], found[False][q], atol=1e-6) for q in found[True]), "the two audits disagree"
    print(
        f"{a.months} months: {len(pub.values)} counts, {len(pub.protected())} hidden small counts attacked; "
        f"building the tables (with their own audits) {built:.2f} s"
    )
    print(f"  warm-started HiGHS model      {times[False]:.3f} s")
    print(f"  linprog from scratch (ref.)   {times[True]:.3f} s")
    print(f"  ratio reference / warm        {times[True] / times[False]:.1f}x")


if __name__ == "__main__":
    main()
