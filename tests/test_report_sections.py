"""Pure pieces of the report's wording: effect sizes in words and compact provenance JSON."""
from __future__ import annotations

import json

from evaluation.report.sections.summary import effect_words, pounds_pence
from evaluation.report.session import compact_json


def test_effect_words_reads_the_interval_not_the_point_estimate():
    text, sig = effect_words(0.70, 0.55, 0.90, "offences")
    assert sig and "30% fewer offences" in text and "10% to 45% fewer" in text and "statistically significant" in text
    text, sig = effect_words(1.30, 1.10, 1.55, "offences")
    assert sig and "30% more offences" in text and "10% to 55% more" in text
    text, sig = effect_words(0.86, 0.67, 1.10, "offences")
    assert not sig and "best estimate 14% fewer" in text and "33% fewer to 10% more" in text and "not statistically significant" in text
    text, sig = effect_words(1.05, 0.80, 1.40, "victimisations")
    assert not sig and "best estimate 5% more" in text


def test_money_and_provenance_formatting():
    assert pounds_pence(4.4208) == "£4.42" and pounds_pence(-1.0516) == "−£1.05" and pounds_pence(1234.5) == "£1,234.50"
    value = {"a": [1, 2], "b": {"c": "x", "d": [[9, 10]]}, "e": [{"n": 1}], "f": []}
    text = compact_json(value)
    assert json.loads(text) == value and '"a": [1, 2]' in text and '"d": [[9, 10]]' in text
