"""Routing policies against exact M/M/c results: they fail if the policy were ignored.

One pool of c agents serves two call types with the same exponential handle time and
no abandonment. Whatever the (work-conserving, non-preemptive) policy, the mix-average
wait is Erlang C's. Per call type:

* strict non-preemptive priority (Cobham): ``W_k = W0 / ((1 - σ_{k-1})(1 - σ_k))`` with
  ``W0 = C(c, A) / (c μ)`` and ``σ_k`` the load of the classes served before and with k;
* FCFS across the queues (a policy ignored): every type waits Erlang C's ``W0 / (1 - ρ)``;
* longest weighted wait lies strictly between the two when the high-weight type's
  weight is finite and above the other's.

Ignoring the priority policy would put the high-priority type's wait at Erlang C's,
about five times Cobham's (the tolerance is a 99 % CI of 20 replications, about 5 %).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scipy import stats

import callsim
from callsim.analytic import erlang_c
from callsim.config import scenario_from_dict

C, AHT, RHO, SHARE_A = 10, 180.0, 0.85, 0.3
REPS = 20


def scenario(policy: str, **a: Any) -> callsim.Scenario:
    lam = RHO * C / AHT
    return scenario_from_dict({
        "name": policy,
        "horizon": {"length": "30h", "warmup": "3h", "interval": "60min"},
        "call_types": {"a": {"handle_time": {"dist": "exponential", "mean": AHT}, **a},
                       "b": {"handle_time": {"dist": "exponential", "mean": AHT}}},
        "arrivals": {"rate": lam * 3600, "mix": {"a": SHARE_A, "b": 1 - SHARE_A}},
        "pools": {"all": {"skills": ["a", "b"], "staffing": C, "policy": policy}},
    })


def exact() -> dict[str, float]:
    """Erlang C (FCFS) and Cobham's waits of a (first) and b (second)."""
    w0 = erlang_c(C, RHO * C) * AHT / C
    sa = SHARE_A * RHO
    return {"fcfs": w0 / (1 - RHO), "a": w0 / (1 - sa), "b": w0 / ((1 - sa) * (1 - RHO))}


def ci(values: np.ndarray, level: float) -> tuple[float, float]:
    """Mean and t half-width at *level*."""
    t = stats.t.ppf(0.5 + level / 2, values.size - 1)
    return float(values.mean()), float(t * values.std(ddof=1) / math.sqrt(values.size))


def waits(sc: callsim.Scenario) -> dict[str, np.ndarray]:
    reps = callsim.run_batch(sc, reps=REPS, seed=5, progress=False).replications
    assert (reps["unfinished"] == 0).all() and (reps["abandoned"] == 0).all()
    return {k: reps[c].to_numpy(float)
            for k, c in (("a", "type.a.asa"), ("b", "type.b.asa"), ("all", "asa"))}


@pytest.mark.slow
@pytest.mark.statistical
def test_priority_policy_gives_cobhams_waits() -> None:
    level = 1 - 0.01 / 3  # family-wise 99 %
    w = waits(scenario("priority", priority=5))
    ex = exact()
    for k, want in (("a", ex["a"]), ("b", ex["b"]), ("all", ex["fcfs"])):
        mean, hw = ci(w[k], level)
        assert abs(mean - want) <= hw, (k, mean, want, hw)
    # a policy ignored (FCFS) would leave a at Erlang C's wait, far outside
    mean, hw = ci(w["a"], level)
    assert mean + hw < 0.5 * ex["fcfs"]


@pytest.mark.slow
@pytest.mark.statistical
def test_longest_weighted_wait_lies_between_fcfs_and_strict_priority() -> None:
    level = 1 - 0.01 / 2
    ex = exact()
    w = waits(scenario("longest_wait", wait_weight=4.0))
    mean, hw = ci(w["all"], level)
    assert abs(mean - ex["fcfs"]) <= hw, (mean, ex["fcfs"], hw)  # work-conserving
    # weight 4: a waits strictly less than under FCFS (weights ignored) and strictly
    # more than under strict priority (the limit of an infinite weight)
    mean, hw = ci(w["a"], level)
    assert ex["a"] < mean - hw and mean + hw < ex["fcfs"], (mean, hw, ex)


@pytest.mark.slow
@pytest.mark.statistical
def test_a_higher_weight_shortens_that_types_wait() -> None:
    """Same callers (common random numbers): weight 4 vs 2 vs 1, paired by replication."""
    level = 1 - 0.01 / 2
    w1, w2, w4 = (waits(scenario("longest_wait", wait_weight=x))["a"] for x in (1.0, 2.0, 4.0))
    for hi, lo in ((w1, w2), (w2, w4)):
        mean, hw = ci(hi - lo, level)
        assert mean - hw > 0, (mean, hw)
