"""Reference implementations of one "Erlang-A day", used only as yardsticks.

Model (M/M/c+M): Poisson arrivals at ``arrival_rate_per_s`` during ``[0, hours * 3600)``,
``agents`` identical agents, exponential handle times of mean ``aht`` seconds, exponential
patience of mean ``patience`` seconds (a caller still waiting when patience runs out hangs up).
No new calls arrive after the horizon; each run continues until every call has ended, so every
counted call has an outcome.

Both runners return the same dictionary::

    {'arrivals': int, 'answered': int, 'abandoned': int,
     'answer_rate': answered / arrivals, 'asa': mean wait (s) of the answered calls}

:func:`erlang_a_exact` gives the exact steady-state values of the same model, computed on a
truncated birth-death chain in log-space, so the references (and callsim) can be checked.

This module is not part of the ``callsim`` package; it needs ``simpy``, ``numpy`` and, for
:func:`run_ciw` only, ``ciw`` (imported lazily so a SimPy-only process does not load it).
"""

from __future__ import annotations

import math
import random
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

__all__ = ["ErlangA", "erlang_a_exact", "run_ciw", "run_plain_simpy"]


def _kpis(
    arrivals: int, answered: int, abandoned: int, total_wait_answered: float
) -> dict[str, float]:
    """Build the result dictionary shared by both references."""
    if answered + abandoned != arrivals:
        raise RuntimeError(
            f"{arrivals} arrivals but {answered} answered + {abandoned} abandoned: "
            "some calls did not end"
        )
    return {
        "arrivals": arrivals,
        "answered": answered,
        "abandoned": abandoned,
        "answer_rate": answered / arrivals if arrivals else float("nan"),
        "asa": total_wait_answered / answered if answered else float("nan"),
    }


# --------------------------------------------------------------------------------------------
# Plain SimPy
# --------------------------------------------------------------------------------------------


class _ExpStream:
    """Exponential variates of one mean, drawn from a numpy Generator in blocks.

    Drawing one scalar at a time from numpy costs about a microsecond of call overhead; drawing
    blocks keeps the random-number cost negligible so the yardstick measures SimPy itself.
    """

    __slots__ = ("_buf", "_i", "_mean", "_rng")

    _BLOCK = 4096

    def __init__(self, rng: np.random.Generator, mean: float) -> None:
        self._rng = rng
        self._mean = mean
        self._buf: list[float] = []
        self._i = 0

    def __call__(self) -> float:
        if self._i >= len(self._buf):
            self._buf = self._rng.exponential(self._mean, self._BLOCK).tolist()
            self._i = 0
        x = self._buf[self._i]
        self._i += 1
        return x


def run_plain_simpy(
    arrival_rate_per_s: float,
    aht: float,
    agents: int,
    patience: float,
    hours: float,
    seed: int,
) -> dict[str, float]:
    """Simulate the Erlang-A day with idiomatic SimPy: one process per call.

    Each call requests an agent from a ``simpy.Resource`` and reneges with the
    ``got = yield req | env.timeout(patience)`` idiom.  Interarrival, handle and patience times
    come from three independent streams of one ``numpy.random.Generator`` seeded with ``seed``.
    """
    # Three child generators: one stream per quantity (common random numbers friendly).
    g_arr, g_aht, g_pat = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3))
    interarrival = _ExpStream(g_arr, 1.0 / arrival_rate_per_s)
    handle_time = _ExpStream(g_aht, aht)
    patience_time = _ExpStream(g_pat, patience)
    horizon = hours * 3600.0

    env = simpy.Environment()
    agents_res = simpy.Resource(env, capacity=agents)
    stats = {"arrivals": 0, "answered": 0, "abandoned": 0}
    total_wait = 0.0

    def call(env: simpy.Environment) -> Generator[simpy.Event, Any, None]:
        nonlocal total_wait
        arrived = env.now
        with agents_res.request() as req:
            got = yield req | env.timeout(patience_time())
            if req in got:
                stats["answered"] += 1
                total_wait += env.now - arrived
                yield env.timeout(handle_time())
            else:
                stats["abandoned"] += 1

    def source(env: simpy.Environment) -> Generator[simpy.Event, Any, None]:
        while True:
            gap = interarrival()
            if env.now + gap >= horizon:
                return
            yield env.timeout(gap)
            stats["arrivals"] += 1
            env.process(call(env))

    env.process(source(env))
    env.run()  # until the event queue is empty: every call has ended
    return _kpis(stats["arrivals"], stats["answered"], stats["abandoned"], total_wait)


# --------------------------------------------------------------------------------------------
# Ciw
# --------------------------------------------------------------------------------------------


def run_ciw(
    arrival_rate_per_s: float,
    aht: float,
    agents: int,
    patience: float,
    hours: float,
    seed: int,
) -> dict[str, float]:
    """Simulate the same Erlang-A day with Ciw (3.2.x): one node, ``agents`` servers, reneging.

    Arrivals stop at the horizon (a time-dependent interarrival distribution returns ``inf``
    once the next arrival would fall at or after ``hours * 3600``); the simulation then runs
    until the system is empty.  Seeded with ``ciw.seed(seed)`` (Ciw's exponential
    distributions draw from Python's ``random`` module, which ``ciw.seed`` seeds).
    """
    import ciw

    horizon = hours * 3600.0

    class _ExponentialUntil(ciw.dists.Distribution):  # type: ignore[misc]
        """Exponential interarrivals that stop (``inf``) at the horizon."""

        def __init__(self, rate: float, stop: float) -> None:
            self.rate = rate
            self.stop = stop

        def sample(self, t: float | None = None, ind: object = None) -> float:
            gap = random.expovariate(self.rate)
            now = 0.0 if t is None else t
            return gap if now + gap < self.stop else float("inf")

    network = ciw.create_network(
        arrival_distributions=[_ExponentialUntil(arrival_rate_per_s, horizon)],
        service_distributions=[ciw.dists.Exponential(rate=1.0 / aht)],
        number_of_servers=[agents],
        reneging_time_distributions=[ciw.dists.Exponential(rate=1.0 / patience)],
    )
    ciw.seed(seed)
    sim = ciw.Simulation(network)
    # With no arrivals after the horizon the event loop ends as soon as the system is empty;
    # the finite bound is only a safety net (patience is finite, so the queue always drains).
    sim.simulate_until_max_time(horizon + 30 * 86400.0)

    arrivals = sim.nodes[0].number_of_individuals
    answered = abandoned = 0
    total_wait = 0.0
    for rec in sim.get_all_records(only=["service", "renege"]):
        if rec.record_type == "service":
            answered += 1
            total_wait += rec.waiting_time
        else:
            abandoned += 1
    return _kpis(arrivals, answered, abandoned, total_wait)


# --------------------------------------------------------------------------------------------
# Exact Erlang A
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErlangA:
    """Exact steady-state metrics of M/M/c+M.

    ``answer_rate`` is P(served); ``asa`` is the mean wait in seconds of the *answered* calls;
    ``abandon_rate`` is ``1 - answer_rate``; ``mean_wait_all`` is the mean wait of all calls.
    """

    answer_rate: float
    asa: float
    abandon_rate: float
    mean_wait_all: float


def erlang_a_exact(
    arrival_rate_per_s: float,
    aht: float,
    agents: int,
    patience: float,
    tail_tol: float = 1e-16,
) -> ErlangA:
    """Exact Erlang-A (M/M/c+M) metrics from a truncated birth-death chain in log-space.

    States are the number of calls in the system; the death rate in state ``n`` is
    ``min(n, c)/aht + max(n - c, 0)/patience``.  The chain is cut where the stationary
    probability falls below ``tail_tol`` relative to the mode.  By PASTA an arrival sees
    ``n`` with probability ``pi_n``; with ``j = n - c + 1`` (its queue position, if
    ``n >= c``) it is served with probability ``prod_{i=1..j} (c mu + (i-1) theta)/(c mu + i
    theta)`` and its wait given service has mean ``sum_{i=1..j} 1/(c mu + i theta)``
    (competing exponentials: the holding time in each position does not depend on how it
    ends).
    """
    if agents < 1 or min(arrival_rate_per_s, aht, patience) <= 0:
        raise ValueError("agents >= 1 and positive rates are required")
    lam = arrival_rate_per_s
    mu = 1.0 / aht
    theta = 1.0 / patience
    c = agents
    log_tol = math.log(tail_tol)

    log_w = [0.0]  # log of unnormalised pi_n
    n = 0
    peak = 0.0
    while True:
        n += 1
        death = min(n, c) * mu + max(n - c, 0) * theta
        lw = log_w[-1] + math.log(lam) - math.log(death)
        log_w.append(lw)
        peak = max(peak, lw)
        # past the mode (births slower than deaths) and negligible: stop
        if death > lam and lw - peak < log_tol:
            break
    lw_arr = np.asarray(log_w)
    pi = np.exp(lw_arr - lw_arr.max())
    pi /= pi.sum()

    p_served = float(pi[:c].sum())  # an agent is free on arrival
    wait_served = 0.0  # E[W * 1{served}]
    mean_queue = 0.0
    p_j = 1.0  # P(served | queue position j)
    s_j = 0.0  # E[W | served, position j]
    for k in range(c, len(pi)):
        j = k - c + 1
        rate = c * mu + j * theta
        p_j *= (c * mu + (j - 1) * theta) / rate
        s_j += 1.0 / rate
        p_served += pi[k] * p_j
        wait_served += pi[k] * p_j * s_j
        mean_queue += pi[k] * (k - c)
    # Cross-check: abandonment rate = theta * E[queue length] (Little, PASTA).
    p_aband_little = theta * mean_queue / lam
    if abs((1.0 - p_served) - p_aband_little) > 1e-9:
        raise ArithmeticError(
            f"Erlang A inconsistent: 1 - P(served) = {1 - p_served!r}, "
            f"theta E[Q] / lambda = {p_aband_little!r}"
        )
    return ErlangA(
        answer_rate=float(p_served),
        asa=float(wait_served / p_served),
        abandon_rate=float(1.0 - p_served),
        mean_wait_all=float(mean_queue / lam),
    )
