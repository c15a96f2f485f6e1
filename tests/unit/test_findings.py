"""Finding sentences (callsim.ui.findings): words, units and CIs from the KPI registry."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from callsim.ui import findings as say


@pytest.mark.parametrize(("window", "text"), [
    (86400, "a day"), (7 * 86400, "over the 7 days measured"), (3 * 3600, "in the 3 h measured"),
    (None, "per replication"), (math.nan, "per replication")])
def test_per(window: float | None, text: str) -> None:
    assert say.per(window) == text


def test_change_in_words_by_unit_and_direction() -> None:
    assert say.change("answered", 388.2, 282.1, 494.3, True, 86400) == \
        "388 more answered calls a day (95 % CI 282 to 494)"
    assert say.change("abandoned", -120, -150, -90, True) == \
        "120 fewer abandoned calls (95 % CI -150 to -90.00)"
    assert say.change("answer_rate", 0.0103, 0.0048, 0.0158, True) == \
        "the answer rate rises 1.03 points (95 % CI 0.48 to 1.58)"
    assert say.change("asa", -0.7, -1.1, -0.3, True) == \
        "the ASA, mean wait of answered calls, falls 0.7 s (95 % CI -1.1 s to -0.3 s)"
    assert say.change("answered", 31.9, -20, 80, False, 86400) == \
        "no significant change in answered calls a day (+31.90, 95 % CI -20.00 to 80.00)"
    assert say.change("answer_rate", -0.002, -0.004, 0.0003, False) == \
        "no significant change in the answer rate (-0.20 points, 95 % CI -0.40 to 0.03)"
    assert say.change("answered", 0.0, 0.0, 0.0, False) == "no change in answered calls"
    assert say.change("answered", math.nan, 0, 0, False) == "answered calls: not available"


def test_level_and_one_replication() -> None:
    assert say.level("answer_rate", 0.7777, 0.7734, 0.7820) == \
        "answer rate 77.77 % (95 % CI 77.34 % to 78.20 %)"
    assert say.level("answered", 11104, 11008, 11200, window=86400) == \
        "answered calls 11,104 a day (95 % CI 11,008 to 11,200)"
    assert say.level("answered", 300, math.nan, math.nan) == \
        "answered calls 300 (no CI: one replication)"
    assert say.level("answer_rate", 0.8, 0.7, 0.9, level=0.9, label="") == \
        "80.00 % (90 % CI 70.00 % to 90.00 %)"


def test_paired_finding_leads_with_the_objective_then_the_registrys_finding_kpis() -> None:
    d = pd.DataFrame([
        {"design": "b", "kpi": k, "difference": v, "ci_low": v - h, "ci_high": v + h,
         "significant": abs(v) > h}
        for k, v, h in (("answer_rate", 0.01, 0.004), ("answered", 40.0, 10.0),
                        ("asa", -2.0, 1.0), ("type.x.answered", 5.0, 1.0))])
    assert say.lead_kpis(d["kpi"]) == ["answered", "answer_rate"]
    text = say.paired_finding(d, "b", "a", 86400)
    assert text == ("b vs a: 40.00 more answered calls a day (95 % CI 30.00 to 50.00); the "
                    "answer rate rises 1.00 points (95 % CI 0.60 to 1.40).")
    first = say.paired_finding(d, "b", "a", first="asa", subject="B")
    assert first.startswith("B: the ASA, mean wait of answered calls, falls 2.0 s")
    assert say.paired_finding(d, "c", "a") == "c vs a: no KPI to compare."
