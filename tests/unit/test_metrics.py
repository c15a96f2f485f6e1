"""KPI building blocks: time-weighted areas, wait histograms, KPI ratios."""

from __future__ import annotations

import math

import numpy as np
import pytest

from callsim.engine.call import N_OUT, OUTCOMES, Outcome
from callsim.engine.recorder import WAIT_EDGES, area_by_bins, wait_bins
from callsim.results.kpis import hist_quantile, kpis_from_counts


def brute_area(starts: np.ndarray, ends: np.ndarray, edges: np.ndarray) -> np.ndarray:
    out = np.zeros(edges.size - 1)
    for b in range(edges.size - 1):
        lo, hi = edges[b], edges[b + 1]
        for s, e in zip(starts, ends, strict=True):
            out[b] += max(0.0, min(e, hi) - max(s, lo))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_area_by_bins_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    starts = rng.uniform(-50.0, 1100.0, n)
    ends = starts + rng.exponential(120.0, n) * (rng.random(n) > 0.1)  # some zero-length
    edges = np.concatenate(([0.0], np.sort(rng.uniform(0.0, 1000.0, 7)), [1000.0]))
    got = area_by_bins(starts, ends, edges)
    assert got.shape == (edges.size - 1,)
    np.testing.assert_allclose(got, brute_area(starts, ends, edges), rtol=1e-9, atol=1e-7)


def test_area_by_bins_uneven_edges_and_offset() -> None:
    starts = np.array([3600.0, 5000.0, 7000.0, 100.0])
    ends = np.array([4000.0, 9000.0, 7000.0, 200.0])  # one zero-length, one before edges
    edges = np.array([3600.0, 5400.0, 7200.0, 7300.0])
    got = area_by_bins(starts, ends, edges)
    np.testing.assert_allclose(got, [400.0 + 400.0, 1800.0, 100.0])
    np.testing.assert_allclose(got, brute_area(starts, ends, edges))


def test_area_by_bins_window_total() -> None:
    rng = np.random.default_rng(42)
    s = rng.uniform(0, 100, 500)
    e = s + rng.uniform(0, 30, 500)
    window = np.array([10.0, 90.0])
    expected = np.sum(np.clip(e, 10, 90) - np.clip(s, 10, 90))
    assert area_by_bins(s, e, window)[0] == pytest.approx(expected, rel=1e-12)


def test_area_by_bins_empty() -> None:
    got = area_by_bins(np.empty(0), np.empty(0), np.array([0.0, 1.0, 2.0]))
    assert np.array_equal(got, np.zeros(2))


def test_area_by_bins_infinite_end_is_not_used_by_model_but_finite_sums_hold() -> None:
    # intervals ending far beyond the last edge count up to the edge
    got = area_by_bins(np.array([0.5]), np.array([1e9]), np.array([0.0, 1.0, 2.0]))
    np.testing.assert_allclose(got, [0.5, 1.0])


# --------------------------------------------------------------------- wait histogram


def hist_of(waits: np.ndarray) -> np.ndarray:
    return np.bincount(wait_bins(waits), minlength=WAIT_EDGES.size).astype(float)


def test_wait_bins_columns() -> None:
    w = np.array([0.0, 0.1, 0.25, 0.3, 3599.9, 3600.0, 5e6])
    b = wait_bins(w)
    assert b[0] == 0  # exactly zero: its own column
    assert b[1] == 1  # [0, 0.25)
    assert b[2] == 2 and b[3] == 2  # [0.25, 0.5)
    assert WAIT_EDGES[b[4] - 1] <= 3599.9 < WAIT_EDGES[b[4]]
    assert WAIT_EDGES[b[5] - 1] == 3600.0
    assert b[6] == WAIT_EDGES.size - 1  # beyond the last edge: last column


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("q", [0.1, 0.5, 0.9, 0.95, 0.99])
def test_hist_quantile_vs_numpy(seed: int, q: float) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(50, 5000))
    waits = rng.exponential(rng.uniform(5, 300), n)
    waits[rng.random(n) < rng.uniform(0, 0.6)] = 0.0  # many callers never wait
    waits = np.minimum(waits, 3599.0)
    got = hist_quantile(hist_of(waits), q)
    # the histogram finds the ceil(q n)-th smallest wait to within a bin (0.25 s)
    exact = float(np.quantile(waits, q, method="inverted_cdf"))
    assert abs(got - exact) <= 0.25 + 1e-9, (got, exact)
    # numpy's default (linear) quantile lies between neighbouring order statistics
    xs = np.sort(waits)
    k = math.ceil(q * n) - 1
    gap = xs[min(k + 1, n - 1)] - xs[max(k - 1, 0)]
    assert abs(got - float(np.quantile(waits, q))) <= 0.25 + gap + 1e-9


def test_hist_quantile_all_zero_and_empty() -> None:
    assert hist_quantile(hist_of(np.zeros(10)), 0.9) == 0.0
    assert math.isnan(hist_quantile(np.zeros(WAIT_EDGES.size), 0.5))


def test_hist_quantile_single_value() -> None:
    got = hist_quantile(hist_of(np.full(7, 12.3)), 0.5)
    assert 12.25 <= got <= 12.5


# ------------------------------------------------------------------------ KPI ratios


def test_kpis_from_counts_definitions() -> None:
    outcomes = np.zeros(N_OUT)
    outcomes[Outcome.ANSWERED] = 80
    outcomes[Outcome.ABANDONED] = 15
    outcomes[Outcome.UNFINISHED] = 5
    outcomes[Outcome.BLOCKED] = 7
    outcomes[Outcome.SHORT_ABANDON] = 3
    k = kpis_from_counts(arrivals=110, outcomes=outcomes, waited=40, sum_wait_ans=800.0,
                         sum_wait_off=1500.0, within=np.array([60.0, 70.0]),
                         thresholds=(20.0, 2.5))
    assert k["arrivals"] == 110
    assert k["offered"] == 100  # answered + abandoned + unfinished: not blocked/short
    assert k["blocked"] == 7 and k["short_abandons"] == 3
    assert k["answer_rate"] == pytest.approx(0.8)
    assert k["abandon_rate"] == pytest.approx(0.15)
    assert k["asa"] == pytest.approx(10.0)
    assert k["mean_wait"] == pytest.approx(15.0)
    assert k["p_wait"] == pytest.approx(0.4)
    assert k["sl_20"] == pytest.approx(60 / 80)  # of answered
    assert k["sla_20"] == pytest.approx(60 / 100)  # of offered
    assert k["sl_2_5"] == pytest.approx(70 / 80)  # dots become underscores
    assert k["sla_2_5"] == pytest.approx(70 / 100)


def test_kpis_from_counts_no_calls_gives_nan_not_error() -> None:
    k = kpis_from_counts(0, np.zeros(N_OUT), 0, 0.0, 0.0, np.zeros(1), (20.0,))
    assert k["offered"] == 0
    for name in ("answer_rate", "abandon_rate", "asa", "mean_wait", "p_wait", "sl_20",
                 "sla_20"):
        assert math.isnan(k[name])


def test_outcome_codes() -> None:
    assert OUTCOMES[Outcome.ANSWERED] == "answered"
    assert OUTCOMES[Outcome.ABANDONED] == "abandoned"
    assert OUTCOMES[Outcome.BLOCKED] == "blocked"
    assert OUTCOMES[Outcome.SHORT_ABANDON] == "short_abandon"
    assert OUTCOMES[Outcome.UNFINISHED] == "unfinished"
    assert OUTCOMES[Outcome.CALL_BACK] == "callback"  # the published name
    assert OUTCOMES[Outcome.CALL_BACK_OPEN] == "callback_open"
    assert len(set(OUTCOMES)) == N_OUT == len(Outcome)
    assert [int(o) for o in Outcome] == list(range(N_OUT))  # codes are tally columns
