"""Tests of callsim.analytic against published values and independent computations."""

from __future__ import annotations

import dataclasses
import heapq
import math
from collections.abc import Callable
from fractions import Fraction

import numpy as np
import pytest
from scipy import integrate, linalg, stats

from callsim.analytic import (
    QueueMetrics,
    agents_for_answer_rate,
    agents_for_service_level,
    erlang_a_metrics,
    erlang_b,
    erlang_c,
    erlang_c_metrics,
    mmn_g_metrics,
)

AHT = 300.0


def rate_for(load: float, aht: float = AHT) -> float:
    """Arrival rate (calls per hour) giving ``load`` erlangs."""
    return load * 3600.0 / aht


def exact_erlang_b(c: int, a: Fraction) -> Fraction:
    terms = [a**k / math.factorial(k) for k in range(c + 1)]
    return terms[-1] / sum(terms)


def exact_erlang_c(c: int, a: Fraction) -> Fraction:
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


# --------------------------------------------------------------------------- Erlang B / C


def test_erlang_b_published_value() -> None:
    assert erlang_b(10, 10.0) == pytest.approx(0.2145823431, abs=1e-9)


@pytest.mark.parametrize(("c", "a"), [(1, "0.5"), (5, "3"), (10, "10"), (20, "13.7"), (30, "45")])
def test_erlang_b_matches_exact_rational(c: int, a: str) -> None:
    expected = float(exact_erlang_b(c, Fraction(a)))
    assert erlang_b(c, float(a)) == pytest.approx(expected, rel=1e-13)


def test_erlang_c_published_value() -> None:
    assert erlang_c(3, 2.0) == pytest.approx(4.0 / 9.0, rel=1e-14)


@pytest.mark.parametrize(("c", "a"), [(1, "0.5"), (5, "3"), (11, "10"), (20, "13.7"), (50, "45")])
def test_erlang_c_matches_exact_rational_and_b_relation(c: int, a: str) -> None:
    load = float(a)
    expected = float(exact_erlang_c(c, Fraction(a)))
    assert erlang_c(c, load) == pytest.approx(expected, rel=1e-12)
    b = erlang_b(c, load)
    assert erlang_c(c, load) == pytest.approx(c * b / (c - load * (1.0 - b)), rel=1e-13)


def test_erlang_c_is_one_when_overloaded() -> None:
    assert erlang_c(5, 5.0) == 1.0
    assert erlang_c(5, 7.5) == 1.0


def test_erlang_b_c_zero_load() -> None:
    assert erlang_b(4, 0.0) == 0.0
    assert erlang_c(4, 0.0) == 0.0


def test_erlang_b_c_large_system_against_poisson() -> None:
    c, a = 2000, 1960.0
    pmf, cdf = stats.poisson.pmf(c, a), stats.poisson.cdf(c, a)
    assert erlang_b(c, a) == pytest.approx(pmf / cdf, rel=1e-9)
    top = pmf * c / (c - a)
    assert erlang_c(c, a) == pytest.approx(top / (stats.poisson.cdf(c - 1, a) + top), rel=1e-9)
    assert math.isfinite(erlang_b(5000, 4000.0))


# --------------------------------------------------------------------------- Erlang C metrics


@pytest.mark.parametrize(("c", "load"), [(1, 0.6), (3, 2.0), (14, 10.0), (105, 100.0)])
def test_erlang_c_metrics_textbook_formulas(c: int, load: float) -> None:
    lam = load / AHT
    m = erlang_c_metrics(rate_for(load), AHT, c)
    p_wait = erlang_c(c, load)
    assert m.load == pytest.approx(load, rel=1e-14)
    assert m.p_wait == pytest.approx(p_wait, rel=1e-14)
    assert m.asa == pytest.approx(p_wait / (c / AHT - lam), rel=1e-12)
    assert m.mean_wait == m.asa
    assert m.p_abandon == 0.0
    assert m.answer_rate == 1.0
    assert m.occupancy == pytest.approx(load / c, rel=1e-14)
    assert m.mean_busy == pytest.approx(load, rel=1e-14)
    assert m.mean_queue == pytest.approx(lam * m.mean_wait, rel=1e-12)
    assert m.mean_queue == pytest.approx(p_wait * load / (c - load), rel=1e-12)
    for t in (0.0, 20.0, 60.0):
        expected = 1.0 - p_wait * math.exp(-(c - load) * t / AHT)
        assert m.service_level(t) == pytest.approx(expected, rel=1e-13)
        assert m.sla(t) == pytest.approx(expected, rel=1e-13)
    assert m.service_level(math.inf) == 1.0
    assert m.patience is None


def test_erlang_c_metrics_m_m_1() -> None:
    m = erlang_c_metrics(rate_for(0.75), AHT, 1)
    assert m.p_wait == pytest.approx(0.75)
    assert m.asa == pytest.approx(0.75 / (1 - 0.75) * AHT)
    assert m.mean_queue == pytest.approx(0.75**2 / 0.25)


def test_erlang_c_metrics_unstable_raises() -> None:
    with pytest.raises(ValueError, match="unstable"):
        erlang_c_metrics(rate_for(10.0), AHT, 10)
    with pytest.raises(ValueError, match="unstable"):
        erlang_c_metrics(rate_for(12.0), AHT, 10)


def test_erlang_c_metrics_large_system_is_finite() -> None:
    m = erlang_c_metrics(rate_for(1960.0), AHT, 2000)
    assert 0.0 < m.p_wait < 1.0
    assert 0.0 < m.asa < 60.0
    assert 0.0 < m.service_level(20.0) < 1.0
    assert m.occupancy == pytest.approx(0.98)
    assert m.p_wait == pytest.approx(erlang_c(2000, 1960.0), rel=1e-14)


def test_zero_arrivals() -> None:
    for m in (
        erlang_c_metrics(0.0, AHT, 3),
        erlang_a_metrics(0.0, AHT, 3, 60.0),
        mmn_g_metrics(0.0, AHT, 3, lambda x: math.exp(-x / 60.0)),
    ):
        assert m.p_wait == 0.0
        assert m.asa == 0.0
        assert m.answer_rate == 1.0
        assert m.service_level(0.0) == 1.0
        assert m.occupancy == 0.0


def test_queue_metrics_is_frozen() -> None:
    m = erlang_c_metrics(rate_for(2.0), AHT, 3)
    assert isinstance(m, QueueMetrics)
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.agents = 4  # type: ignore[misc]


# --------------------------------------------------------------------------- Erlang A


def ctmc_stationary(lam: float, mu: float, theta: float, c: int, nmax: int) -> np.ndarray:
    """Stationary law of the truncated M/M/c+M chain by a direct linear solve."""
    q = np.zeros((nmax + 1, nmax + 1))
    for j in range(nmax):
        q[j, j + 1] = lam
    for j in range(1, nmax + 1):
        q[j, j - 1] = min(j, c) * mu + max(j - c, 0) * theta
    np.fill_diagonal(q, -q.sum(axis=1))
    lhs = q.T / np.abs(q).max()  # p Q = 0, with one balance equation replaced by sum(p) = 1
    lhs[-1, :] = 1.0
    rhs = np.zeros(nmax + 1)
    rhs[-1] = 1.0
    return np.linalg.solve(lhs, rhs)


def tagged_chain(mu: float, theta: float, c: int, kmax: int) -> tuple[np.ndarray, np.ndarray]:
    """Sub-generator (states = callers ahead, 0..kmax) and exit rates into service."""
    t_mat = np.zeros((kmax + 1, kmax + 1))
    for i in range(kmax + 1):
        t_mat[i, i] = -(c * mu + i * theta + theta)
        if i >= 1:
            t_mat[i, i - 1] = c * mu + i * theta
    served = np.zeros(kmax + 1)
    served[0] = c * mu
    return t_mat, served


@pytest.mark.parametrize(
    ("c", "load", "patience"), [(1, 0.8, 200.0), (3, 3.5, 120.0), (5, 4.0, 600.0)]
)
def test_erlang_a_against_ctmc_and_matrix_exponential(c: int, load: float, patience: float) -> None:
    lam, mu, theta = load / AHT, 1.0 / AHT, 1.0 / patience
    nmax = 160
    p = ctmc_stationary(lam, mu, theta, c, nmax)
    j = np.arange(nmax + 1)
    queue = np.maximum(j - c, 0)
    m = erlang_a_metrics(rate_for(load), AHT, c, patience)

    mean_queue = float(queue @ p)
    assert m.p_wait == pytest.approx(p[c:].sum(), rel=1e-9)
    assert m.mean_queue == pytest.approx(mean_queue, rel=1e-9)
    assert m.p_abandon == pytest.approx(theta * mean_queue / lam, rel=1e-9)
    assert m.mean_busy == pytest.approx(float(np.minimum(j, c) @ p), rel=1e-9)

    # The tagged caller's fate, solved with a matrix exponential (independent of the
    # incomplete-beta closed form used by the module).
    kmax = nmax - c
    t_mat, served = tagged_chain(mu, theta, c, kmax)
    p_seen = p[c:]
    inv = np.linalg.inv(t_mat)
    for t in (0.0, 10.0, 30.0, 120.0, 600.0):
        by_t = inv @ ((linalg.expm(t_mat * t) - np.eye(kmax + 1)) @ served)
        expected = p[:c].sum() + float(p_seen @ by_t)
        assert m.sla(t) == pytest.approx(expected, rel=1e-8, abs=1e-12)
    served_ever = float(p_seen @ (-inv @ served))
    assert m.answer_rate == pytest.approx(p[:c].sum() + served_ever, rel=1e-9)
    served_wait = float(p_seen @ (inv @ inv @ served))  # E[W; answered]
    assert m.asa == pytest.approx(served_wait / m.answer_rate, rel=1e-8)


def test_erlang_a_poisson_case_when_patience_equals_aht() -> None:
    c, load = 10, 9.0
    m = erlang_a_metrics(rate_for(load), AHT, c, AHT)
    n = np.arange(0, 200)
    pmf = stats.poisson.pmf(n, load)
    assert m.p_wait == pytest.approx(stats.poisson.sf(c - 1, load), rel=1e-12)
    expected_queue = float(np.maximum(n - c, 0) @ pmf)
    assert m.mean_queue == pytest.approx(expected_queue, rel=1e-12)
    assert m.p_abandon == pytest.approx(expected_queue / load, rel=1e-12)
    assert m.mean_busy == pytest.approx(float(np.minimum(n, c) @ pmf), rel=1e-12)


@pytest.mark.parametrize(("c", "load"), [(3, 2.0), (14, 10.0), (105, 100.0)])
def test_erlang_a_converges_to_erlang_c(c: int, load: float) -> None:
    a = erlang_a_metrics(rate_for(load), AHT, c, 1e9)
    e = erlang_c_metrics(rate_for(load), AHT, c)
    assert a.p_wait == pytest.approx(e.p_wait, rel=1e-5)
    assert a.asa == pytest.approx(e.asa, rel=1e-5)
    assert a.mean_queue == pytest.approx(e.mean_queue, rel=1e-5)
    assert a.service_level(20.0) == pytest.approx(e.service_level(20.0), rel=1e-5)
    assert a.p_abandon < 1e-5


def test_erlang_a_without_patience_is_erlang_c() -> None:
    e = erlang_c_metrics(rate_for(10.0), AHT, 12)
    assert erlang_a_metrics(rate_for(10.0), AHT, 12, None) == e
    assert erlang_a_metrics(rate_for(10.0), AHT, 12, math.inf) == e


@pytest.mark.parametrize(
    ("c", "load", "patience"),
    [(1, 0.3, 30.0), (3, 3.5, 120.0), (20, 25.0, 60.0), (100, 95.0, 180.0)],
)
def test_erlang_a_internal_identities(c: int, load: float, patience: float) -> None:
    lam = load / AHT
    m = erlang_a_metrics(rate_for(load), AHT, c, patience)
    assert m.mean_queue == pytest.approx(lam * m.mean_wait, rel=1e-12)  # Little
    assert m.p_abandon == pytest.approx(m.mean_queue / (patience * lam), rel=1e-12)
    assert m.answer_rate == pytest.approx(1.0 - m.p_abandon, rel=1e-15)
    assert m.mean_busy == pytest.approx(lam * m.answer_rate * AHT, rel=1e-10)  # flow balance
    assert m.occupancy == pytest.approx(m.mean_busy / c, rel=1e-14)
    assert m.sla(0.0) == pytest.approx(1.0 - m.p_wait, rel=1e-12)
    assert m.sla(math.inf) == pytest.approx(m.answer_rate, rel=1e-12)
    levels = [m.service_level(t) for t in (0.0, 5.0, 20.0, 60.0, 300.0)]
    assert levels == sorted(levels)
    # E[W; answered] = integral of P(answered, W > t) dt
    tail, _ = integrate.quad(lambda t: m.answer_rate - m.sla(t), 0.0, math.inf, limit=200)
    assert m.asa * m.answer_rate == pytest.approx(tail, rel=1e-7)
    # W = min(offered wait, patience), so the mean wait cannot exceed the mean patience
    assert m.asa >= 0.0
    assert m.mean_wait <= patience


def test_erlang_a_large_systems_are_finite_and_sane() -> None:
    m = erlang_a_metrics(rate_for(1960.0), AHT, 2000, 600.0)
    c = erlang_c_metrics(rate_for(1960.0), AHT, 2000)
    assert 0.0 < m.p_wait < c.p_wait
    assert 0.0 < m.p_abandon < 0.01
    assert 0.0 < m.asa < c.asa
    assert c.service_level(20.0) < m.service_level(20.0) < 1.0

    over = erlang_a_metrics(rate_for(2100.0), AHT, 2000, 600.0)
    assert over.p_wait > 0.99
    assert over.p_abandon >= 1.0 - 2000.0 / 2100.0 - 1e-12  # served rate <= c mu
    assert over.p_abandon < 0.06
    assert 0.99 < over.occupancy <= 1.0
    assert all(
        math.isfinite(v) for v in (over.asa, over.mean_wait, over.mean_queue, over.sla(20.0))
    )


def test_erlang_a_refuses_astronomical_chains() -> None:
    with pytest.raises(ValueError, match="too large"):
        erlang_a_metrics(rate_for(50.0), AHT, 3, 1e13)


def test_erlang_a_tiny_load_is_consistent() -> None:
    m = erlang_a_metrics(rate_for(1e-6), AHT, 3, 10.0)
    assert 0.0 < m.p_wait < 1e-18
    assert m.p_abandon > 0.0
    assert m.mean_queue == pytest.approx(m.mean_wait * 1e-6 / AHT, rel=1e-12)


# --------------------------------------------------------------------------- M/M/n+G


def exponential_sf(patience: float) -> Callable[[float], float]:
    return lambda x: math.exp(-x / patience)


@pytest.mark.parametrize(
    ("c", "load", "patience"),
    [(1, 0.01, 60.0), (1, 5.0, 60.0), (3, 3.5, 120.0), (95, 100.0, 120.0), (2000, 2100.0, 600.0)],
)
def test_mmn_g_with_exponential_patience_matches_erlang_a(
    c: int, load: float, patience: float
) -> None:
    g = mmn_g_metrics(rate_for(load), AHT, c, exponential_sf(patience))
    a = erlang_a_metrics(rate_for(load), AHT, c, patience)
    for name in (
        "p_wait",
        "p_abandon",
        "answer_rate",
        "asa",
        "mean_wait",
        "occupancy",
        "mean_queue",
        "mean_busy",
    ):
        assert getattr(g, name) == pytest.approx(getattr(a, name), rel=1e-8), name
    for t in (0.0, 5.0, 20.0, 60.0):
        assert g.service_level(t) == pytest.approx(a.service_level(t), rel=1e-8, abs=1e-14)
        assert g.sla(t) == pytest.approx(a.sla(t), rel=1e-8, abs=1e-14)
    assert g.patience == pytest.approx(patience, rel=1e-8)


def test_mmn_g_never_abandoning_is_erlang_c() -> None:
    g = mmn_g_metrics(rate_for(2.0), AHT, 3, lambda x: 1.0)
    e = erlang_c_metrics(rate_for(2.0), AHT, 3)
    assert g.p_wait == pytest.approx(4.0 / 9.0, rel=1e-9)
    assert g.asa == pytest.approx(e.asa, rel=1e-9)
    assert g.service_level(20.0) == pytest.approx(e.service_level(20.0), rel=1e-9)
    assert g.p_abandon == pytest.approx(0.0, abs=1e-15)
    assert g.patience == math.inf


@pytest.mark.parametrize("load", [2.8, 4.5])
@pytest.mark.parametrize("with_breakpoint", [True, False])
def test_mmn_g_deterministic_patience_closed_form(load: float, with_breakpoint: bool) -> None:
    c, d = 3, 60.0
    lam, service = load / AHT, c / AHT
    # J = int exp(lam min(x, d) - c mu x) dx, E = 1 / B(c - 1, a)
    j_int = (
        math.expm1((lam - service) * d) / (lam - service) + math.exp((lam - service) * d) / service
    )
    e_term = 1.0 / erlang_b(c - 1, load)
    g = mmn_g_metrics(
        rate_for(load),
        AHT,
        c,
        lambda x: 1.0 if x < d else 0.0,
        breakpoints=[d] if with_breakpoint else (),
    )
    assert g.p_wait == pytest.approx(lam * j_int / (e_term + lam * j_int), rel=1e-9)
    assert g.p_abandon == pytest.approx(
        (1.0 + (lam - service) * j_int) / (e_term + lam * j_int), rel=1e-9
    )
    assert g.patience == pytest.approx(d, rel=1e-9)
    assert g.sla(d) == pytest.approx(g.answer_rate, rel=1e-9)  # nobody waits longer than d


def simulate_mmn_g(
    lam: float, aht: float, n: int, patience: np.ndarray, seed: int, t: float
) -> dict[str, float]:
    """FCFS M/M/n+G by the offered-wait recursion (abandoners never take an agent)."""
    rng = np.random.default_rng(seed)
    size = patience.size
    arrivals = np.cumsum(rng.exponential(1.0 / lam, size)).tolist()
    services = rng.exponential(aht, size).tolist()
    free = [0.0] * n
    waited = abandoned = within = 0
    served_wait = total_wait = 0.0
    for arrival, service, tau in zip(arrivals, services, patience.tolist(), strict=True):
        offered = max(free[0] - arrival, 0.0)
        waited += offered > 0.0
        if offered <= tau:
            heapq.heapreplace(free, arrival + offered + service)
            served_wait += offered
            total_wait += offered
            within += offered <= t
        else:
            abandoned += 1
            total_wait += tau
    return {
        "p_wait": waited / size,
        "p_abandon": abandoned / size,
        "asa": served_wait / (size - abandoned),
        "mean_wait": total_wait / size,
        "sla": within / size,
    }


def test_mmn_g_uniform_patience_against_monte_carlo() -> None:
    c, load, top = 3, 2.8, 200.0
    rng = np.random.default_rng(7)
    sim = simulate_mmn_g(load / AHT, AHT, c, rng.uniform(0.0, top, 150_000), seed=11, t=20.0)
    g = mmn_g_metrics(rate_for(load), AHT, c, lambda x: min(max(1.0 - x / top, 0.0), 1.0))
    assert g.p_wait == pytest.approx(sim["p_wait"], abs=0.015)
    assert g.p_abandon == pytest.approx(sim["p_abandon"], abs=0.015)
    assert g.sla(20.0) == pytest.approx(sim["sla"], abs=0.015)
    assert g.asa == pytest.approx(sim["asa"], rel=0.06)
    assert g.mean_wait == pytest.approx(sim["mean_wait"], rel=0.05)
    assert g.patience == pytest.approx(top / 2.0, rel=1e-9)


def test_mmn_g_unstable_raises() -> None:
    with pytest.raises(ValueError, match="unstable"):
        mmn_g_metrics(rate_for(4.0), AHT, 3, lambda x: 1.0)
    with pytest.raises(ValueError, match="unstable"):
        mmn_g_metrics(rate_for(8.0), AHT, 3, lambda x: 0.5 + 0.5 * math.exp(-x))


def test_mmn_g_overloaded_heavy_tailed_patience() -> None:
    g = mmn_g_metrics(rate_for(4.0), AHT, 3, lambda x: (1.0 + x / 60.0) ** -0.8)
    assert g.patience == math.inf
    assert g.p_abandon >= 1.0 - 3.0 / 4.0 - 1e-9
    assert 0.0 < g.service_level(20.0) < 1.0
    assert g.mean_queue == pytest.approx(4.0 / AHT * g.mean_wait, rel=1e-12)


def test_mmn_g_rejects_bad_patience() -> None:
    with pytest.raises(ValueError, match="callable"):
        mmn_g_metrics(rate_for(2.0), AHT, 3, 60.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"patience_sf\(0\)"):
        mmn_g_metrics(rate_for(2.0), AHT, 3, lambda x: 2.0)


# --------------------------------------------------------------------------- staffing


@pytest.mark.parametrize(
    ("load", "target", "t"),
    [
        (2.0, 0.8, 20.0),
        (10.0, 0.8, 20.0),
        (100.0, 0.9, 10.0),
        (1960.0, 0.8, 20.0),
        (0.01, 0.95, 0.0),
    ],
)
def test_agents_for_service_level_erlang_c_is_minimal(load: float, target: float, t: float) -> None:
    c = agents_for_service_level(rate_for(load), AHT, target, t)
    assert erlang_c_metrics(rate_for(load), AHT, c).service_level(t) >= target
    if c - 1 > load:
        assert erlang_c_metrics(rate_for(load), AHT, c - 1).service_level(t) < target


def test_agents_for_service_level_textbook_example() -> None:
    # 10 erlangs, 80% in 20 s with a 300 s handle time: 13 agents give 0.766, 14 give 0.867.
    assert agents_for_service_level(rate_for(10.0), AHT, 0.8, 20.0) == 14
    sl_13 = erlang_c_metrics(rate_for(10.0), AHT, 13).service_level(20.0)
    sl_14 = erlang_c_metrics(rate_for(10.0), AHT, 14).service_level(20.0)
    assert sl_13 == pytest.approx(0.7664, abs=1e-4)
    assert sl_14 == pytest.approx(0.8666, abs=1e-4)


@pytest.mark.parametrize(
    ("load", "target", "t", "patience"),
    [
        (2.0, 0.8, 20.0, 60.0),
        (10.0, 0.8, 20.0, 120.0),
        (1960.0, 0.8, 20.0, 600.0),
        (30.0, 0.95, 5.0, 30.0),
    ],
)
def test_agents_for_service_level_erlang_a_is_minimal(
    load: float, target: float, t: float, patience: float
) -> None:
    c = agents_for_service_level(rate_for(load), AHT, target, t, patience=patience)
    assert erlang_a_metrics(rate_for(load), AHT, c, patience).service_level(t) >= target
    if c > 1:
        assert erlang_a_metrics(rate_for(load), AHT, c - 1, patience).service_level(t) < target


@pytest.mark.parametrize(
    ("load", "target", "patience"), [(2.0, 0.9, 60.0), (10.0, 0.95, 120.0), (1960.0, 0.99, 600.0)]
)
def test_agents_for_answer_rate_is_minimal(load: float, target: float, patience: float) -> None:
    c = agents_for_answer_rate(rate_for(load), AHT, target, patience)
    assert erlang_a_metrics(rate_for(load), AHT, c, patience).answer_rate >= target
    if c > 1:
        assert erlang_a_metrics(rate_for(load), AHT, c - 1, patience).answer_rate < target


def test_agents_for_answer_rate_without_abandonment() -> None:
    assert agents_for_answer_rate(rate_for(10.0), AHT, 0.9, None) == 11
    assert agents_for_answer_rate(rate_for(10.5), AHT, 0.9, None) == 11


def test_staffing_with_no_traffic() -> None:
    assert agents_for_service_level(0.0, AHT, 0.8, 20.0) == 1
    assert agents_for_answer_rate(0.0, AHT, 0.9, 60.0) == 1


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize("agents", [0, -3, 2.5, True, "3", None])
def test_bad_agents_raise(agents: object) -> None:
    with pytest.raises(ValueError, match="agents"):
        erlang_b(agents, 1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="agents"):
        erlang_a_metrics(10.0, AHT, agents, 60.0)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: erlang_b(3, -1.0), "load"),
        (lambda: erlang_c(3, math.nan), "load"),
        (lambda: erlang_c_metrics(-5.0, AHT, 3), "arrival_rate"),
        (lambda: erlang_c_metrics(10.0, 0.0, 3), "aht"),
        (lambda: erlang_c_metrics(10.0, -1.0, 3), "aht"),
        (lambda: erlang_a_metrics(10.0, AHT, 3, 0.0), "patience"),
        (lambda: erlang_a_metrics(10.0, AHT, 3, -5.0), "patience"),
        (lambda: erlang_a_metrics(10.0, AHT, 3, math.nan), "patience"),
        (lambda: erlang_a_metrics(math.inf, AHT, 3, 60.0), "arrival_rate"),
        (lambda: erlang_c_metrics(10.0, AHT, 3).service_level(-1.0), "t must"),
        (lambda: agents_for_service_level(10.0, AHT, 1.0, 20.0), "target"),
        (lambda: agents_for_service_level(10.0, AHT, 0.0, 20.0), "target"),
        (lambda: agents_for_service_level(10.0, AHT, 0.8, -1.0), "t must"),
        (lambda: agents_for_answer_rate(10.0, AHT, 1.5, 60.0), "target"),
    ],
)
def test_bad_inputs_raise(call: Callable[[], object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()
