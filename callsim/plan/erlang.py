"""Erlang-A staffing per slot: the start of the search, and its calibrated steps.

Owns the stationary M/M/c+M view of one group in one slot: the value of a target KPI
with *c* agents on the phones (:func:`kpi_value`), the fewest agents that meet a set of
targets (:func:`agents_needed`), and the *calibration* that finds the arrival rate at
which Erlang A reproduces what the simulation measured (:func:`effective_rate`), so that
a step of the search can be sized by the formula on the simulated load (redials,
blocking and carried-over queues included). Imports :mod:`callsim.analytic` and the
target type; it must not import anything that simulates.

A group of several call types is one queue with their summed arrival rate, the
rate-weighted mean agent time and the rate-weighted mean patience (an approximation that
only starts the simulation search).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from callsim.analytic import QueueMetrics, erlang_a_metrics, erlang_c_metrics
from callsim.plan.targets import Target


@dataclass(frozen=True)
class Load:
    """One queue in one slot: arrivals per hour, agent time (s), mean patience (s)."""

    rate: float
    aht: float
    patience: float | None

    @classmethod
    def combine(cls, rates: Sequence[float], ahts: Sequence[float],
                patiences: Sequence[float | None]) -> Load:
        """Several call types as one queue (rate-weighted means)."""
        total = float(sum(rates))
        if total <= 0:
            aht = float(sum(ahts) / len(ahts)) if ahts else 1.0
            pats = [p for p in patiences if p is not None]
            return cls(0.0, max(aht, 1e-9), (sum(pats) / len(pats)) if pats else None)
        aht = sum(r * a for r, a in zip(rates, ahts, strict=True)) / total
        if any(p is None for r, p in zip(rates, patiences, strict=True) if r > 0):
            return cls(total, aht, None)
        pat = sum(r * float(p) for r, p in zip(rates, patiences, strict=True)
                  if p is not None) / total
        return cls(total, aht, pat)


def _metrics(load: Load, agents: int) -> QueueMetrics | None:
    """Erlang A (or C) metrics, or None when an Erlang-C queue is unstable."""
    if load.patience is None:
        if load.rate > 0 and agents <= load.rate / 3600.0 * load.aht:
            return None
        return erlang_c_metrics(load.rate, load.aht, agents)
    return erlang_a_metrics(load.rate, load.aht, agents, load.patience)


def kpi_value(target: Target, load: Load, agents: int) -> float:
    """The target's KPI for *load* with *agents* on the phones (stationary Erlang A).

    With no agents (or an unstable Erlang-C queue) the value is the worst possible:
    0 for rates to maximise, 1 for the abandon rate, infinity for waits.
    """
    worst = {"answer_rate": 0.0, "caller_answer_rate": 0.0, "sl": 0.0, "sla": 0.0,
             "abandon_rate": 1.0}
    if load.rate <= 0:
        best = {"answer_rate": 1.0, "caller_answer_rate": 1.0, "sl": 1.0, "sla": 1.0,
                "abandon_rate": 0.0}
        return best.get(target.base, 0.0)
    m = _metrics(load, agents) if agents >= 1 else None
    if m is None:
        return worst.get(target.base, math.inf)
    base = target.base
    if base in ("answer_rate", "caller_answer_rate"):  # no redials in the formula
        return m.answer_rate
    if base == "abandon_rate":
        return m.p_abandon
    if base == "asa":
        return m.asa
    if base == "mean_wait":
        return m.mean_wait
    th = target.threshold
    assert th is not None
    return m.service_level(th) if base == "sl" else m.sla(th)


def meets_all(targets: Sequence[Target], loads: Sequence[Load], agents: int,
              margins: Sequence[float] | None = None) -> bool:
    """Whether *agents* meet every target (each on its own load), with optional margins."""
    for i, (t, load) in enumerate(zip(targets, loads, strict=True)):
        margin = margins[i] if margins is not None else 0.0
        if t.shortfall(kpi_value(t, load, agents)) > -margin + 1e-12:
            return False
    return True


def agents_needed(targets: Sequence[Target], loads: Sequence[Load], cap: int,
                  margins: Sequence[float] | None = None) -> int | None:
    """Fewest agents on the phones (0..cap) meeting every target; None if *cap* is not enough.

    Zero agents are enough only when every load is zero. The KPIs are monotone in the
    number of agents, so the search gallops up and bisects.
    """
    if all(load.rate <= 0 for load in loads):
        return 0

    def ok(c: int) -> bool:
        return meets_all(targets, loads, c, margins)

    if not ok(cap):
        return None
    lo, hi = 0, 1  # ok(lo) is False (lo = 0 with traffic), find hi with ok(hi)
    while hi < cap and not ok(hi):
        lo, hi = hi, min(cap, hi * 2)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return hi


def effective_rate(target: Target, load: Load, agents: int, observed: float) -> float:
    """The arrival rate at which Erlang A with *agents* gives *observed* for the target KPI.

    The KPIs worsen as the rate grows, so the rate is found by bisection; an observed value
    better than Erlang A gives at the nominal rate's hundredth returns that rate, and one
    worse than at a hundred times the nominal rate returns that.
    """
    if agents < 1 or not math.isfinite(observed):
        return load.rate
    base_rate = max(load.rate, 1.0)
    lo, hi = base_rate / 100.0, base_rate * 100.0

    def worse(rate: float) -> bool:  # is Erlang A at `rate` worse than observed?
        v = kpi_value(target, Load(rate, load.aht, load.patience), agents)
        return target.shortfall(v) > target.shortfall(observed)

    if worse(lo):
        return lo
    if not worse(hi):
        return hi
    for _ in range(50):
        mid = math.sqrt(lo * hi)
        if worse(mid):
            hi = mid
        else:
            lo = mid
        if hi / lo < 1.0005:
            break
    return math.sqrt(lo * hi)
