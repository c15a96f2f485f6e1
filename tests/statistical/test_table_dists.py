"""The survival-table and weighted-empirical distributions sample what they state
(fixed seeds; Kolmogorov–Smirnov with the Dvoretzky–Kiefer–Wolfowitz band, and a
chi-square on the atoms), built through the scenario registry as a user would."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from conftest import set_key, two_types
from scipy import stats

from callsim.compiled import compile_scenario
from callsim.config import scenario_from_dict

pytestmark = [pytest.mark.slow, pytest.mark.statistical]
N = 200_000
ALPHA = 0.001


def _dkw(n: int) -> float:
    """Half-width of the DKW band: P(sup |F_n - F| > eps) <= ALPHA."""
    return math.sqrt(math.log(2 / ALPHA) / (2 * n))


def _built(dist: dict[str, Any]) -> Any:
    sc = scenario_from_dict(set_key(two_types(), "call_types.a.patience", dist))
    return compile_scenario(sc).call_types[0].patience


def test_survival_table_samples_its_steps_and_tail() -> None:
    times = [0.0, 4.0, 10.0, 25.0, 60.0, 120.0]
    surv = [0.97, 0.9, 0.75, 0.6, 0.45, 0.38]
    tail = 300.0
    dist = _built({"dist": "survival", "times": times, "survival": surv,
                   "tail": {"dist": "exponential", "mean": tail}})
    x = dist.sample(np.random.default_rng(20_240_101), N)
    t = np.asarray(times)
    s = np.asarray(surv)

    def sf(v: np.ndarray) -> np.ndarray:  # the stated survival function
        i = np.searchsorted(t, v, side="right")
        inside = np.concatenate(([1.0], s))[i]
        return np.where(v <= t[-1], inside, s[-1] * np.exp(-(v - t[-1]) / tail))

    # KS: the empirical survival function within the DKW band everywhere checked
    grid = np.unique(np.concatenate([t, t - 1e-9, np.linspace(0, 3000, 3001)]))
    emp = 1.0 - np.searchsorted(np.sort(x), grid, side="right") / N
    assert float(np.max(np.abs(emp - sf(grid)))) < _dkw(N)
    # the atoms: below the last step only the table's times occur, each with its mass
    inside = x[x <= t[-1]]
    assert set(np.unique(inside)) <= set(times)
    counts = np.array([np.sum(inside == v) for v in times] + [np.sum(x > t[-1])])
    probs = -np.diff(np.concatenate(([1.0], s, [0.0])))
    assert stats.chisquare(counts, probs * N).pvalue > ALPHA
    # the tail beyond the last time is exponential with the stated mean
    beyond = x[x > t[-1]] - t[-1]
    assert stats.kstest(beyond, stats.expon(scale=tail).cdf).pvalue > ALPHA
    assert dist.mean == pytest.approx(float(np.sum(np.concatenate(([1.0], s[:-1]))
                                                   * np.diff(np.concatenate(([0.0], t))))
                                            + s[-1] * tail))
    assert x.mean() == pytest.approx(dist.mean, rel=5 * x.std() / math.sqrt(N) / x.mean())


def test_weighted_empirical_samples_its_weights() -> None:
    rng = np.random.default_rng(5)
    values = np.round(rng.lognormal(4.5, 0.9, 400))
    values = np.unique(values)
    weights = rng.integers(1, 50, values.size).astype(float)
    weights[::7] = 0.0  # values with no weight never occur
    dist = _built({"dist": "empirical", "values": values.tolist(),
                   "weights": weights.tolist()})
    x = dist.sample(np.random.default_rng(20_240_102), N)
    p = weights / weights.sum()
    cdf = np.cumsum(p)
    emp = np.searchsorted(np.sort(x), values, side="right") / N
    assert float(np.max(np.abs(emp - cdf))) < _dkw(N)  # KS on the support
    assert set(np.unique(x)) <= set(values[weights > 0])
    counts = np.array([np.sum(x == v) for v in values[weights > 0]])
    assert stats.chisquare(counts, p[weights > 0] * N).pvalue > ALPHA
    assert dist.mean == pytest.approx(float(np.dot(values, p)))
