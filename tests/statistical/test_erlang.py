"""Statistical validation: the simulator against the exact M/M/c, M/M/c+M and M/M/c/c queues.

Method
------
Each case is run for ``REPS`` independent replications (fixed seeds), each a long arrival
period with a warm-up of a few hours left out of the KPIs. A KPI estimate is the mean of
its replication values and its confidence interval is the Student-t interval built here
from those values (deliberately not with :mod:`callsim.experiment`'s own helper). The
exact steady-state value must lie inside the interval.

Multiple comparisons: the file makes ``N_CHECKS`` such comparisons. They are treated as
one family at a 99 % level with a Bonferroni correction, so every interval is built at
``1 - 0.01 / N_CHECKS``; if the simulator is right, the whole file fails with probability
below 1 %. Seeds and tolerances are fixed once and never tuned to pass. A guard
(:func:`_register`) makes sure no more comparisons are made than the correction allows.

Start-up bias: every run starts empty. With a warm-up ``W`` the remaining bias of a
time-average decays like ``exp(-W / tau)``; the slowest case here (c = 1, load 0.7,
aht 60 s) has a relaxation time ``tau ~ aht / (1 - sqrt(rho))^2`` of about 40 minutes, the
other cases (more agents, or abandonment) relax within one hour (checked on interval
tables while writing these tests), so warm-ups of 2-4 hours leave a bias far below the
interval half-widths. Calls are measured by arrival time in ``[warmup, horizon)``; under
FCFS a call's fate does not depend on later arrivals, so the end of the arrival period
causes no bias either.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import callsim
from callsim import analytic

#: Family-wise error rate of all the confidence-interval checks in this file.
FAMILY_ALPHA = 0.01
#: Replications per case.
REPS = 20
#: Root seed; case ``i`` uses ``SEED + i`` (fixed, never tuned).
SEED = 20_240_917


@dataclass(frozen=True)
class Case:
    """One single-queue, single-pool scenario with exponential handle time (and patience)."""

    id: str
    agents: int
    load: float  # erlangs
    aht: float  # seconds
    patience: float | None  # mean seconds; None = never abandons
    hours: float  # arrival period
    warmup: float  # hours
    capacity: int | None = None

    @property
    def rate(self) -> float:
        """Arrivals per hour."""
        return self.load * 3600.0 / self.aht

    @property
    def span(self) -> float:
        """Measurement window, seconds."""
        return (self.hours - self.warmup) * 3600.0


# M/M/c (Erlang C): small to large, moderate to heavy load.
ERLANG_C = [
    Case("c1-rho0.70", agents=1, load=0.7, aht=60.0, patience=None, hours=400, warmup=4),
    Case("c5-rho0.80", agents=5, load=4.0, aht=120.0, patience=None, hours=300, warmup=4),
    Case("c20-rho0.85", agents=20, load=17.0, aht=180.0, patience=None, hours=100, warmup=4),
    Case("c300-rho0.93", agents=300, load=280.0, aht=300.0, patience=None, hours=48, warmup=3),
]
# M/M/c+M (Erlang A): light, critically loaded and overloaded (load 1.2 per agent).
ERLANG_A = [
    Case("c2-rho1.2-overloaded", agents=2, load=2.4, aht=300.0, patience=180.0, hours=400,
         warmup=4),
    Case("c5-rho0.5-light", agents=5, load=2.5, aht=120.0, patience=60.0, hours=300, warmup=4),
    Case("c50-rho0.96", agents=50, load=48.0, aht=240.0, patience=300.0, hours=72, warmup=3),
    Case("c300-rho1.2-overloaded", agents=300, load=360.0, aht=180.0, patience=120.0, hours=24,
         warmup=2),
    Case("c500-rho1.0-critical", agents=500, load=500.0, aht=200.0, patience=600.0, hours=12,
         warmup=2),
]
# M/M/c+M with patience == aht: every caller in the system leaves at rate mu, so the number
# in system is Poisson(load) (an M/M/infinity in disguise).
POISSON = Case("c10-poisson", agents=10, load=12.0, aht=200.0, patience=200.0, hours=200,
               warmup=2)
# M/M/c/c (Erlang B): no waiting room, no patience.
ERLANG_B = [
    Case("c10-loss", agents=10, load=8.0, aht=180.0, patience=None, hours=200, warmup=2,
         capacity=0),
    Case("c200-loss", agents=200, load=190.0, aht=120.0, patience=None, hours=12, warmup=1,
         capacity=0),
]

C_KPIS = ("asa", "sl_20", "p_wait", "occupancy", "mean_queue")
A_KPIS = ("answer_rate", "asa", "sl_20", "p_wait", "occupancy", "mean_queue")
POISSON_KPIS = ("answer_rate", "p_wait", "occupancy", "mean_queue")
B_KPIS = ("blocked_share", "occupancy")

#: Every confidence-interval comparison made in this file (the Bonferroni family).
N_CHECKS = (
    len(ERLANG_C) * len(C_KPIS)
    + len(ERLANG_A) * len(A_KPIS)
    + len(ERLANG_C) + len(ERLANG_A)  # Little's law, one per queueing case
    + len(POISSON_KPIS)
    + len(ERLANG_B) * len(B_KPIS)
)
#: Confidence level of each single interval.
LEVEL = 1.0 - FAMILY_ALPHA / N_CHECKS

_ALL_CASES = [*ERLANG_C, *ERLANG_A, POISSON, *ERLANG_B]
_SEEDS = {case: SEED + i for i, case in enumerate(_ALL_CASES)}
_performed: set[str] = set()


def _register(key: str) -> None:
    """Count one comparison of the family; fail if the family is larger than declared."""
    _performed.add(key)
    assert len(_performed) <= N_CHECKS, (
        f"{len(_performed)} confidence-interval checks made but the Bonferroni correction "
        f"assumes N_CHECKS = {N_CHECKS}: update N_CHECKS"
    )


@cache
def replications(case: Case) -> pd.DataFrame:
    """One row per replication of *case* (run once per test session)."""
    scenario = callsim.erlang_scenario(
        case.rate, case.aht, case.agents, patience=case.patience, hours=case.hours,
        warmup=case.warmup, capacity=case.capacity,
    )
    reps = callsim.run_batch(scenario, reps=REPS, seed=_SEEDS[case]).replications
    assert len(reps) == REPS
    return reps


def t_interval(values: np.ndarray, level: float = LEVEL) -> tuple[float, float, float]:
    """Mean and two-sided Student-t confidence interval of i.i.d. replication values."""
    v = np.asarray(values, dtype=float)
    assert v.size >= 2 and np.all(np.isfinite(v)), f"bad replication values: {v}"
    mean = float(v.mean())
    half = float(stats.t.ppf(0.5 + level / 2.0, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))
    return mean, mean - half, mean + half


def ci_miss(key: str, name: str, values: np.ndarray, exact: float) -> str | None:
    """Register one comparison; describe it if *exact* is outside the interval, else None."""
    _register(key)
    mean, lo, hi = t_interval(values)
    if lo <= exact <= hi:
        return None
    se = float(np.std(values, ddof=1) / math.sqrt(len(values)))
    z = (mean - exact) / se if se > 0 else math.inf
    return (f"{name}: exact {exact:.6g} outside the {LEVEL:.5%} CI [{lo:.6g}, {hi:.6g}] "
            f"(simulated mean {mean:.6g}, {z:+.2f} standard errors)")


def check_kpis(case: Case, reps: pd.DataFrame, exact: dict[str, float]) -> None:
    misses = [ci_miss(f"{case.id}:{k}", k, reps[k].to_numpy(), v) for k, v in exact.items()]
    found = [m for m in misses if m is not None]
    assert not found, f"{case.id} (load {case.load} on {case.agents} agents):\n  " + \
        "\n  ".join(found)


def _ids(cases: list[Case]) -> list[str]:
    return [c.id for c in cases]


@pytest.mark.statistical
@pytest.mark.parametrize("case", ERLANG_C, ids=_ids(ERLANG_C))
def test_mmc_matches_erlang_c(case: Case) -> None:
    m = analytic.erlang_c_metrics(case.rate, case.aht, case.agents)
    reps = replications(case)
    # no abandonment and a stable queue: every offered call is answered (not statistical)
    assert (reps["answered"] == reps["offered"]).all()
    assert (reps["answer_rate"] == 1.0).all()
    exact = {"asa": m.asa, "sl_20": m.service_level(20.0), "p_wait": m.p_wait,
             "occupancy": m.occupancy, "mean_queue": m.mean_queue}
    assert tuple(exact) == C_KPIS
    check_kpis(case, reps, exact)


@pytest.mark.statistical
@pytest.mark.parametrize("case", ERLANG_A, ids=_ids(ERLANG_A))
def test_mmc_m_matches_erlang_a(case: Case) -> None:
    m = analytic.erlang_a_metrics(case.rate, case.aht, case.agents, case.patience)
    reps = replications(case)
    assert (reps["answered"] + reps["abandoned"] == reps["offered"]).all()
    exact = {"answer_rate": m.answer_rate, "asa": m.asa, "sl_20": m.service_level(20.0),
             "p_wait": m.p_wait, "occupancy": m.occupancy, "mean_queue": m.mean_queue}
    assert tuple(exact) == A_KPIS
    check_kpis(case, reps, exact)


@pytest.mark.statistical
@pytest.mark.parametrize("case", ERLANG_C + ERLANG_A, ids=_ids(ERLANG_C + ERLANG_A))
def test_littles_law_inside_the_simulation(case: Case) -> None:
    """Time-average queue = arrival rate x mean wait, both measured in the same run.

    Per replication ``d = mean_queue - (offered / span) * mean_wait``, i.e. (queue area in
    the window - total wait of the calls arriving in it) / span. In steady state both terms
    have expectation ``span * E[Q]`` (Little), so ``E[d] = 0`` exactly; only calls that
    straddle the window edges make ``d`` non-zero, so the paired interval is very tight and
    catches any mismatch between the time-weighted and the per-call bookkeeping.
    """
    reps = replications(case)
    d = (reps["mean_queue"] - reps["mean_wait"] * reps["offered"] / case.span).to_numpy()
    miss = ci_miss(f"{case.id}:little", "mean_queue - lambda * mean_wait", d, 0.0)
    assert miss is None, f"{case.id}: {miss} (mean_queue ~ {reps['mean_queue'].mean():.6g})"


@pytest.mark.statistical
def test_patience_equal_to_aht_gives_poisson_number_in_system() -> None:
    """M/M/c+M with theta = mu: N ~ Poisson(a), checked without callsim.analytic."""
    case = POISSON
    a, c = case.load, case.agents
    n = np.arange(0, 400)
    pn = stats.poisson.pmf(n, a)
    assert pn.sum() == pytest.approx(1.0, abs=1e-15)
    queued = float(np.dot(np.maximum(n - c, 0), pn))  # E[(N - c)+]
    exact = {
        # abandonments occur at rate theta * E[Q] = E[Q] / aht, arrivals at a / aht
        "answer_rate": 1.0 - queued / a,
        "p_wait": float(stats.poisson.sf(c - 1, a)),  # PASTA: P(N >= c)
        "occupancy": float(np.dot(np.minimum(n, c), pn)) / c,
        "mean_queue": queued,
    }
    assert tuple(exact) == POISSON_KPIS
    # the exact Erlang A formulas agree (a deterministic cross-check of callsim.analytic)
    m = analytic.erlang_a_metrics(case.rate, case.aht, c, case.patience)
    for k, v in exact.items():
        assert getattr(m, k) == pytest.approx(v, rel=1e-9), k
    check_kpis(case, replications(case), exact)


@pytest.mark.statistical
@pytest.mark.parametrize("case", ERLANG_B, ids=_ids(ERLANG_B))
def test_no_waiting_room_matches_erlang_b(case: Case) -> None:
    reps = replications(case)
    blocking = analytic.erlang_b(case.agents, case.load)
    # calls that get in are answered at once; nobody abandons (not statistical)
    assert (reps["abandoned"] == 0).all()
    assert (reps["p_wait"] == 0.0).all()
    assert (reps["asa"] == 0.0).all()
    assert (reps["offered"] + reps["blocked"] == reps["arrivals"]).all()
    shares = pd.DataFrame({"blocked_share": reps["blocked"] / reps["arrivals"],
                           "occupancy": reps["occupancy"]})
    exact = {"blocked_share": blocking, "occupancy": case.load * (1.0 - blocking) / case.agents}
    assert tuple(exact) == B_KPIS
    check_kpis(case, shares, exact)
