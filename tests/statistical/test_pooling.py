"""Two identical single-skill pools, fully pooled, behave as one Erlang-A pool of 2c."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import callsim
from callsim.analytic import erlang_a_metrics
from callsim.config import scenario_from_dict

CHECKS = ("answer_rate", "asa", "p_wait", "occupancy", "mean_queue")
LEVEL = 1 - 0.01 / len(CHECKS)  # family-wise 99 % (Bonferroni)


@pytest.mark.statistical
def test_full_pooling_matches_erlang_a_with_twice_the_agents() -> None:
    rate, aht, c, patience = 190.0, 180.0, 5, 150.0  # per pool: load 9.5 on 2 x 5 agents
    data = {
        "name": "pooled",
        "horizon": {"length": "30h", "warmup": "3h", "interval": "60min"},
        "call_types": {
            t: {"handle_time": {"dist": "exponential", "mean": aht},
                "patience": {"dist": "exponential", "mean": patience}} for t in ("a", "b")
        },
        "arrivals": {"rate": 2 * rate, "mix": {"a": 0.5, "b": 0.5}},
        "pools": {"pa": {"skills": ["a", "b"], "staffing": c},
                  "pb": {"skills": ["b", "a"], "staffing": c}},
    }
    batch = callsim.run_batch(scenario_from_dict(data), reps=20, seed=11)
    exact = erlang_a_metrics(2 * rate, aht, 2 * c, patience)
    t = stats.t.ppf(0.5 + LEVEL / 2, 19)
    for kpi in CHECKS:
        v = batch.replications[kpi].to_numpy(float)
        hw = t * v.std(ddof=1) / math.sqrt(v.size)
        want = getattr(exact, kpi)
        assert abs(v.mean() - want) <= hw, (kpi, v.mean(), want, hw)
    # and the two call types are served alike (symmetry)
    a = batch.replications["type.a.answer_rate"].to_numpy(float)
    b = batch.replications["type.b.answer_rate"].to_numpy(float)
    d = a - b
    assert abs(d.mean()) <= t * d.std(ddof=1) / np.sqrt(d.size)
