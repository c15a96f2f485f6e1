"""Statistical validation of the arrival process: time-varying Poisson and overdispersion.

The expected counts are computed here from the profile itself (an independent cumulative
intensity ``Lambda``), never from :mod:`callsim.compiled`'s rates. Every test uses
a fixed seed chosen once; goodness-of-fit tests must give ``p > 0.001``.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

import numpy as np
import pytest
from scipy import stats

import callsim
from callsim.config import scenario_from_dict

DAY = 86400.0
QUARTER = 900.0
P_MIN = 0.001
SEED = 4_242

#: Calls per hour for each clock hour: night zeros, a big morning jump (150 -> 600 -> 2400),
#: a lunch dip, an evening bump and a drop to zero at 21:00.
HOURLY = np.array([
    60, 0, 0, 0, 12, 40, 150, 600, 2400, 3000, 2800, 2600,
    1200, 2700, 2500, 2200, 1800, 900, 300, 800, 100, 0, 30, 90,
], dtype=float)

#: Expected calls per 20-minute slot (72 a day): reporting quarters straddle the changes
#: at hh:20 and hh:40. Zero slots, and jumps in both directions by a factor of 10 or more.
TWENTY = np.array([
    [0, 0, 0, 5, 0, 0, 8, 12, 0, 20, 30, 10, 40, 80, 200, 900, 50, 800],
    [700, 0, 650, 900, 120, 800, 400, 400, 1000, 10, 600, 500, 900, 30, 700, 300, 20, 0],
    [500, 600, 100, 800, 750, 0, 0, 900, 850, 400, 100, 300, 900, 200, 150, 0, 60, 40],
    [500, 10, 300, 250, 0, 80, 600, 20, 100, 100, 90, 200, 0, 0, 30, 15, 0, 10],
], dtype=float).ravel()


def scenario(per_slot: np.ndarray, slot: float, days: float, start: str = "00:00",
             interval: float = QUARTER, overdispersion: float = 0.0) -> callsim.Scenario:
    """One call type with the profile *per_slot* (expected calls per slot from 00:00),
    answered by agents numerous enough that queueing never matters here."""
    data: dict[str, Any] = {
        "name": "arrival-profile",
        "horizon": {"start": start, "length": days * DAY, "interval": interval},
        "call_types": {"calls": {"handle_time": {"dist": "exponential", "mean": 30.0}}},
        "arrivals": {"per_interval": [float(x) for x in per_slot], "interval": slot,
                     "mix": {"calls": 1.0}, "overdispersion": overdispersion},
        "pools": {"agents": {"skills": ["calls"], "staffing": {"agents": 100}}},
    }
    return scenario_from_dict(data)


def cumulative(t: np.ndarray, per_slot: np.ndarray, slot: float) -> np.ndarray:
    """Cumulative intensity ``Lambda(t)`` of the daily-repeating profile, *t* in seconds
    since 00:00 of the first day (the profile's anchor)."""
    t = np.asarray(t, dtype=float)
    n = per_slot.size
    assert math.isclose(n * slot, DAY)
    head = np.concatenate(([0.0], np.cumsum(per_slot)))
    day, rem = np.divmod(t, DAY)
    k = np.minimum((rem // slot).astype(np.int64), n - 1)
    return day * head[-1] + head[k] + per_slot[k] * (rem - k * slot) / slot


def rate_at(t: np.ndarray, per_slot: np.ndarray, slot: float) -> np.ndarray:
    """Expected calls per slot in force at clock time *t* (seconds since 00:00 of day 1)."""
    k = (np.mod(np.asarray(t, dtype=float), DAY) // slot).astype(np.int64)
    return per_slot[np.minimum(k, per_slot.size - 1)]


@cache
def run(per_slot_key: tuple[float, ...], slot: float, days: float, start: str,
        reps: int, seed: int) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...], float]:
    """Per replication: interval arrival counts and sorted arrival times (simulation s),
    and the clock time (s since 00:00) at which simulation time 0 falls."""
    sc = scenario(np.array(per_slot_key), slot, days, start)
    counts, times = [], []
    for r in range(reps):
        res = callsim.simulate(sc, seed=seed, replication=r, record_calls=True)
        table = res.intervals[res.intervals["call_type"] == "calls"].sort_values("interval")
        counts.append(table["arrivals"].to_numpy(dtype=float))
        assert res.calls is not None
        times.append(np.sort(res.calls["arrival"].to_numpy(dtype=float)))
    hh, mm = start.split(":")
    return tuple(counts), tuple(times), int(hh) * 3600.0 + int(mm) * 60.0


def poisson_total_p(observed: float, expected: float) -> float:
    """Two-sided p-value of a Poisson(expected) total."""
    lo = stats.poisson.cdf(observed, expected)
    hi = stats.poisson.sf(observed - 1, expected)
    return float(min(1.0, 2.0 * min(lo, hi)))


def chisquare_counts(observed: np.ndarray, expected: np.ndarray, what: str) -> None:
    """Independent Poisson counts with known means: cells with mean 0 must be empty, the
    total must fit Poisson(sum of means), and given the total the cells must fit the
    multinomial (``scipy.stats.chisquare``, df = cells - 1). Cells expecting fewer than 5
    calls are lumped into one cell."""
    observed = np.asarray(observed, dtype=float)
    expected = np.asarray(expected, dtype=float)
    zero = expected == 0.0
    assert observed[zero].sum() == 0, (
        f"{what}: {int(observed[zero].sum())} calls in zero-rate cells {np.flatnonzero(zero)}")
    obs, exp = observed[~zero], expected[~zero]
    small = exp < 5.0
    if small.any():
        obs = np.append(obs[~small], obs[small].sum())
        exp = np.append(exp[~small], exp[small].sum())
        assert exp[-1] >= 5.0, f"{what}: test design error, lumped cells expect {exp[-1]:.2f}"
    p_total = poisson_total_p(obs.sum(), exp.sum())
    assert p_total > P_MIN, (
        f"{what}: total {obs.sum():.0f} calls vs {exp.sum():.1f} expected (p = {p_total:.2e})")
    res = stats.chisquare(obs, exp * obs.sum() / exp.sum())
    worst = np.argsort(-((obs - exp) ** 2 / exp))[:5]
    assert res.pvalue > P_MIN, (
        f"{what}: chi-square {res.statistic:.1f} on {obs.size - 1} df, p = {res.pvalue:.2e}; "
        f"worst cells (index, observed, expected): "
        f"{[(int(i), obs[i], round(exp[i], 1)) for i in worst]}")


# ------------------------------------------------------------------ hourly profile

HOURLY_SLOT = 3600.0
HOURLY_DAYS = 3
HOURLY_REPS = 4


def hourly_run() -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...], float]:
    return run(tuple(HOURLY), HOURLY_SLOT, HOURLY_DAYS, "00:00", HOURLY_REPS, SEED)


@pytest.mark.statistical
def test_interval_counts_fit_the_profile() -> None:
    """(a) Per-quarter-hour counts, pooled over replications, against Lambda."""
    counts, _, start = hourly_run()
    pooled = np.sum(counts, axis=0)
    edges = start + np.arange(pooled.size + 1) * QUARTER
    assert edges[-1] == pytest.approx(start + HOURLY_DAYS * DAY)
    expected = HOURLY_REPS * np.diff(cumulative(edges, HOURLY, HOURLY_SLOT))
    chisquare_counts(pooled, expected, "hourly profile, 15-min intervals")


@pytest.mark.statistical
def test_time_rescaled_gaps_are_unit_exponential() -> None:
    """(b) Time-rescaling theorem: Lambda(t_{i+1}) - Lambda(t_i) are i.i.d. Exp(1)."""
    _, times, start = hourly_run()
    gaps = []
    for arr in times:
        assert np.all(np.diff(arr) >= 0)
        lam = cumulative(start + arr, HOURLY, HOURLY_SLOT) - cumulative(
            np.array([start]), HOURLY, HOURLY_SLOT)
        gaps.append(np.diff(np.concatenate(([0.0], lam))))  # first gap from time 0
    pooled = np.concatenate(gaps)
    assert pooled.size > 100_000
    res = stats.kstest(pooled, "expon")
    assert res.pvalue > P_MIN, (
        f"rescaled gaps are not Exp(1): KS D = {res.statistic:.4g} on {pooled.size} gaps, "
        f"p = {res.pvalue:.2e} (mean gap {pooled.mean():.5f})")


# -------------------------------------------------------- profile changes in intervals

BOUNDARY_CASES = {
    # 20-minute profile slots: quarters [hh:15, hh:30) and [hh:30, hh:45) straddle changes
    "20min-slots": (TWENTY, 1200.0, "00:00", 2, 6),
    # hourly profile, run starting 06:50: every quarter [hh:50, hh+1:05) straddles a change
    "hourly-start-06:50": (HOURLY, HOURLY_SLOT, "06:50", 2, 3),
}


@pytest.mark.statistical
@pytest.mark.parametrize("name", list(BOUNDARY_CASES))
def test_counts_across_profile_changes(name: str) -> None:
    """(c) Rate changes at and inside reporting intervals are counted on the right side."""
    per_slot, slot, start_clock, days, reps = BOUNDARY_CASES[name]
    counts, times, start = run(tuple(per_slot), slot, days, start_clock, reps, SEED + 1)
    n_int = counts[0].size
    edges = np.arange(n_int + 1) * QUARTER  # simulation time
    for r, (c, arr) in enumerate(zip(counts, times, strict=True)):
        # the interval table files each call under the quarter it arrived in (exact)
        binned = np.bincount((arr // QUARTER).astype(np.int64), minlength=n_int)
        assert binned.size == n_int and np.array_equal(binned, c), (
            f"replication {r}: interval table disagrees with the call records at intervals "
            f"{np.flatnonzero(binned[:n_int] != c)}")
        # nobody arrives while the profile rate is zero (exact)
        zero = rate_at(start + arr, per_slot, slot) == 0.0
        assert not zero.any(), (
            f"replication {r}: {int(zero.sum())} calls arrived in zero-rate slots, e.g. at "
            f"simulation times {arr[zero][:5]}")
    all_times = np.concatenate(times)
    lam_edges = cumulative(start + edges, per_slot, slot)
    expected = reps * np.diff(lam_edges)
    pooled = np.sum(counts, axis=0)
    # quarters in which the rate changes, or whose neighbour has another rate
    lo = rate_at(start + edges[:-1], per_slot, slot)
    hi = rate_at(start + edges[1:] - 1e-6, per_slot, slot)
    inside = lo != hi
    prev_differs = np.concatenate(([False], lo[1:] != hi[:-1]))
    at_change = inside | prev_differs | np.roll(prev_differs, -1)
    assert inside.sum() >= 40  # the design does what it says: many straddling quarters
    chisquare_counts(pooled[at_change], expected[at_change], f"{name}: quarters at changes")
    chisquare_counts(pooled, expected, f"{name}: all quarters")
    # counts per profile slot (cut exactly at the rate changes)
    changes = np.arange(math.ceil(start / slot), math.floor((start + days * DAY) / slot) + 1)
    slot_edges = np.unique(np.concatenate(([0.0], changes * slot - start, [days * DAY])))
    slot_edges = slot_edges[(slot_edges >= 0.0) & (slot_edges <= days * DAY)]
    per_piece = np.histogram(all_times, bins=slot_edges)[0]
    exp_piece = reps * np.diff(cumulative(start + slot_edges, per_slot, slot))
    chisquare_counts(per_piece, exp_piece, f"{name}: profile slots")


# ------------------------------------------------------------------- overdispersion

OD_VOLUME = 1000.0
OD_SHAPE = [1, 1, 1, 1, 1, 2, 4, 8, 12, 12, 11, 10, 8, 10, 10, 9, 8, 6, 4, 3, 2, 2, 1, 1]
OD_DAYS = 200
OD_REPS = 2


def daily_totals(overdispersion: float, seed: int) -> np.ndarray:
    data: dict[str, Any] = {
        "name": "overdispersion",
        "horizon": {"length": f"{OD_DAYS}d", "interval": "1d"},
        "call_types": {"calls": {"handle_time": {"dist": "exponential", "mean": 30.0}}},
        "arrivals": {"daily_volume": OD_VOLUME, "hourly_shape": OD_SHAPE,
                     "mix": {"calls": 1.0}, "overdispersion": overdispersion},
        "pools": {"agents": {"skills": ["calls"], "staffing": {"agents": 20}}},
    }
    sc = scenario_from_dict(data)
    totals = []
    for r in range(OD_REPS):
        res = callsim.simulate(sc, seed=seed, replication=r)
        table = res.intervals[res.intervals["call_type"] == "all"].sort_values("interval")
        assert len(table) == OD_DAYS
        totals.append(table["arrivals"].to_numpy(dtype=float))
    return np.concatenate(totals)


def dispersion_test(n: np.ndarray) -> tuple[float, float, float]:
    """Index of dispersion ``D = sum (n - mean)^2 / mean`` ~ chi2(len - 1) under Poisson;
    returns D / (len - 1) and the upper and lower tail p-values."""
    d = float(((n - n.mean()) ** 2).sum() / n.mean())
    df = n.size - 1
    return d / df, float(stats.chi2.sf(d, df)), float(stats.chi2.cdf(d, df))


@pytest.mark.statistical
def test_overdispersion_inflates_daily_variance() -> None:
    """Gamma(mean 1, cv 0.2) daily busyness: daily totals are negative binomial
    (``Poisson(V G)``, ``G ~ Gamma(25, 1/25)``) with variance ``V + 0.04 V^2`` = 41 V."""
    cv = 0.2
    n = daily_totals(cv, SEED + 2)
    ratio, p_over, _ = dispersion_test(n)
    assert p_over < P_MIN, (
        f"daily totals are not overdispersed: variance / mean = {ratio:.2f} (p = {p_over:.3g})")
    # the size of the extra variance: a goodness-of-fit test against the exact law
    shape = 1.0 / cv**2
    law = stats.nbinom(shape, shape / (shape + OD_VOLUME))
    assert law.mean() == pytest.approx(OD_VOLUME)
    cuts = law.ppf(np.linspace(0.0, 1.0, 11)[1:-1])  # 10 near-equiprobable bins
    bins = np.concatenate(([-0.5], cuts + 0.5, [np.inf]))
    observed = np.histogram(n, bins=bins)[0]
    probs = np.diff(law.cdf(bins - 0.5))
    probs[-1] = law.sf(cuts[-1])
    assert probs.sum() == pytest.approx(1.0)
    res = stats.chisquare(observed, probs * n.size)
    assert res.pvalue > P_MIN, (
        f"daily totals do not follow NegBin(25, mean {OD_VOLUME:g}): chi-square "
        f"{res.statistic:.1f}, p = {res.pvalue:.2e}; variance / mean = {ratio:.2f} "
        f"(expected {1 + cv**2 * OD_VOLUME:.2f}); observed {observed}, expected "
        f"{np.round(probs * n.size, 1)}")


@pytest.mark.statistical
def test_no_overdispersion_keeps_daily_totals_poisson() -> None:
    """Control: without the busyness factor the daily totals are Poisson(V)."""
    n = daily_totals(0.0, SEED + 3)
    ratio, p_over, p_under = dispersion_test(n)
    assert min(p_over, p_under) > P_MIN / 2, (
        f"variance / mean of daily totals = {ratio:.3f} (p over {p_over:.2e}, "
        f"under {p_under:.2e})")
    p_total = poisson_total_p(n.sum(), OD_VOLUME * n.size)
    assert p_total > P_MIN, f"{n.sum():.0f} calls vs {OD_VOLUME * n.size:.0f} (p {p_total:.2e})"


@pytest.mark.statistical
def test_erlang_scenario_profile_counts() -> None:
    """The builder's time-varying form (calls per hour per reporting interval) gives the
    same arrival process: per-quarter counts over two days against Lambda."""
    quarter_rates = np.repeat(HOURLY, 4)  # calls per hour, one entry per 15 minutes
    sc = callsim.erlang_scenario(list(quarter_rates), aht=30.0, agents=100, hours=48,
                                 interval_minutes=15)
    reps = 2
    pooled = np.zeros(2 * 96)
    for r in range(reps):
        res = callsim.simulate(sc, seed=SEED + 4, replication=r)
        table = res.intervals[res.intervals["call_type"] == "all"].sort_values("interval")
        pooled += table["arrivals"].to_numpy(dtype=float)
    edges = np.arange(pooled.size + 1) * QUARTER
    expected = reps * np.diff(cumulative(edges, HOURLY, HOURLY_SLOT))
    chisquare_counts(pooled, expected, "erlang_scenario profile")
