"""A pool answering only its secondary skill with factor f is Erlang A with AHT × f."""

from __future__ import annotations

import math

import pytest
from scipy import stats

import callsim
from callsim.analytic import erlang_a_metrics
from callsim.config import scenario_from_dict

CHECKS = ("answer_rate", "asa", "occupancy")
LEVEL = 1 - 0.01 / len(CHECKS)  # family-wise 99 % (Bonferroni)
C, AHT, FACTOR, PATIENCE = 10, 180.0, 1.25, 120.0
RATE = 0.95 * C * 3600 / (AHT * FACTOR)  # calls per hour: load 0.95 with the factor


@pytest.mark.slow
@pytest.mark.statistical
def test_secondary_skill_factor_is_erlang_a_with_the_longer_handle_time() -> None:
    exp = {"dist": "exponential", "mean": AHT}
    data = {
        "name": "secondary",
        "horizon": {"length": "30h", "warmup": "3h", "interval": "60min"},
        "call_types": {t: {"handle_time": exp,
                           "patience": {"dist": "exponential", "mean": PATIENCE}}
                       for t in ("first", "second")},
        "arrivals": {"rate": RATE, "mix": {"first": 0.0, "second": 1.0}},
        "pools": {"team": {"skills": ["first", "second"], "staffing": C,
                           "secondary_handle_factor": FACTOR}},
    }
    reps = callsim.run_batch(scenario_from_dict(data), reps=20, seed=21,
                             progress=False).replications
    want = erlang_a_metrics(RATE, AHT * FACTOR, C, PATIENCE)
    ignored = erlang_a_metrics(RATE, AHT, C, PATIENCE)  # the factor ignored
    t = stats.t.ppf(0.5 + LEVEL / 2, len(reps) - 1)
    for kpi in CHECKS:
        v = reps[kpi].to_numpy(float)
        hw = t * v.std(ddof=1) / math.sqrt(v.size)
        assert abs(v.mean() - getattr(want, kpi)) <= hw, (kpi, v.mean(), getattr(want, kpi), hw)
        # the test discriminates: without the factor the value is far outside the CI
        assert abs(getattr(ignored, kpi) - getattr(want, kpi)) > 3 * hw, kpi
