"""Censoring at a later approach and its inverse-probability weights: exact pieces on hand-built
rows, and unbiasedness where the truth is known."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from evaluation import censoring, outcomes


def test_segment_splits_where_each_weight_starts_to_apply():
    rows = pd.DataFrame(
        {"unit_id": ["a", "b"], "start": pd.to_datetime(["2021-01-02", "2021-01-02"]), "stop": pd.to_datetime(["2021-04-01", "2021-04-01"])}
    )
    marks = pd.DataFrame({"unit_id": ["a", "a"], "day": pd.to_datetime(["2021-02-10", "2021-01-20"]), "factor": [2.0, 1.5]})
    p = censoring.segment(rows, marks)
    a = p[p.unit_id == "a"]
    # the weight of a mark applies from the day after it; weights multiply
    assert a.start.dt.strftime("%m-%d").tolist() == ["01-02", "01-21", "02-11"]
    assert a.stop.dt.strftime("%m-%d").tolist() == ["01-21", "02-11", "04-01"]
    assert a.factor.tolist() == [1.0, 1.5, 3.0]
    assert p[p.unit_id == "b"].factor.tolist() == [1.0]


def test_weighted_total_and_first_event():
    pieces = pd.DataFrame({"row": [0, 0, 0, 1], "factor": [1.0, 1.5, 3.0, 1.0]})
    total, any_ = censoring.weighted_total(np.array([0, 2, 1, 0]), pieces, 2)
    assert total.tolist() == [6.0, 0.0] and any_.tolist() == [1.5, 0.0]


def test_ipcw_counts_are_unbiased_when_approach_is_random_at_each_detention():
    """Horvitz-Thompson: events of children censored at an approach are stood for by children not
    approached at a detention where they could have been. Simulated with known truth: every child's
    full count is known; the weighted count from censored data must match it on average, while plain
    censoring falls short."""
    rng = np.random.default_rng(20261129)
    p = 0.6
    idx = pd.Timestamp("2021-01-01")
    units, events, dets = [], [], []
    for i in range(6000):
        pid = f"P{i}"
        lam = rng.gamma(2.0, 3.0)
        days = np.sort(rng.integers(1, 366, rng.poisson(lam)))
        for d in days:
            events.append((pid, idx + pd.Timedelta(days=int(d)), "offence", None))
            if rng.random() < 0.2 * min(1.0, lam / 6):  # high-rate children are arrested (and so censored) more
                dets.append((pid, idx + pd.Timedelta(days=int(d) + int(rng.choice([0, 0, 1, 2]))), rng.random() < p))
        units.append(pid)
    ev = pd.DataFrame(events, columns=["person_id", "event_date", "event_type", "detention_id"])
    det = pd.DataFrame(dets, columns=["person_id", "day", "approached"])
    first = det[det.approached].groupby("person_id").day.min()
    det["first"] = det.person_id.map(first)
    not_approached = det[~det.approached & (det["first"].isna() | (det.day < det["first"]))]
    sample = pd.DataFrame({"unit_id": units, "person_id": units, "index_date": idx, "index_detention_id": "X", "treated": 0})
    sample["censor_date"] = sample.person_id.map(first)
    kw = dict(windows_months=[12], extract_date=dt.date(2023, 1, 1), events_start=dt.date(2019, 1, 1), placebo=False)
    cut = outcomes.person_windows(sample, censor=True, **kw)
    full = outcomes.person_windows(sample, censor=False, **kw)
    marks = pd.DataFrame({"unit_id": not_approached.person_id, "day": not_approached.day, "factor": 1 / (1 - p)})
    weighted = outcomes.weighted_counts(cut, ev, marks)
    truth = outcomes.count_events(full, ev)
    after = (cut.period == "after").to_numpy()
    t, w, plain = truth[after].offence.mean(), weighted[after].offence_ipcw.mean(), weighted[after].offence.mean()
    censored = cut[after].approached_later.mean()
    assert censored > 0.2  # the check has teeth: many children are censored
    assert plain < 0.8 * t  # plain censoring loses a lot
    se = weighted[after].offence_ipcw.std() / np.sqrt(after.sum())
    assert abs(w - t) < 3 * se, (w, t, se)


def test_marks_are_detentions_after_the_index_and_before_the_approach():
    model = censoring.ApproachModel(
        pd.DataFrame(
            {
                "detention_id": ["d1", "d2", "d3", "d4"],
                "person_id": ["A", "A", "A", "B"],
                "day": pd.to_datetime(["2021-01-01", "2021-02-01", "2021-03-01", "2021-02-01"]),
                "approached": [0, 0, 1, 0],
                "p": [0.5, 0.75, 0.5, 0.2],
            }
        ),
        "pooled share",
        0.3,
    )
    units = pd.DataFrame(
        {
            "unit_id": ["A@x", "B@y", "C@z"],
            "person_id": ["A", "B", "C"],
            "treated": [0, 0, 1],
            "index_date": pd.to_datetime(["2021-01-01", "2021-01-15", "2021-01-01"]),
            "censor_date": pd.to_datetime(["2021-03-01", None, None]),
        }
    )
    m = censoring.marks(model, units).sort_values(["unit_id", "day"])
    # A: d1 is the index day itself (not after it), d3 is the approach; B: d4; C is a programme unit
    assert list(zip(m.unit_id, m.factor.round(6))) == [("A@x", 4.0), ("B@y", 1.25)]


def test_describe_names_the_method():
    assert "followed through" in censoring.describe(None, "ignore")
    assert "no censoring was needed" in censoring.describe(None, "censor")
