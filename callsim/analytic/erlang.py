"""Erlang B (M/M/c/c blocking), Erlang C (M/M/c waiting probability) and the M/M/c
metrics (:func:`erlang_c_metrics`)."""

from __future__ import annotations

import math

import numpy as np

from callsim.analytic._common import (
    _SECONDS_PER_HOUR,
    QueueMetrics,
    _check_agents,
    _check_real,
    _no_traffic_metrics,
)

# --------------------------------------------------------------------------- Erlang B/C


def erlang_b(agents: int, load: float) -> float:
    """Erlang B blocking probability of an M/M/c/c loss system.

    Parameters
    ----------
    agents : int
        Number of servers ``c`` (>= 1).
    load : float
        Offered load in erlangs (>= 0).

    Returns
    -------
    float
        Probability that an arriving call finds all ``c`` servers busy.

    Notes
    -----
    Uses the stable recursion ``B(0) = 1``, ``B(k) = a B(k-1) / (k + a B(k-1))``, which
    never forms ``a**c`` or ``c!``.
    """
    c = _check_agents(agents)
    a = _check_real("load", load, positive=False)
    blocking = 1.0
    for k in range(1, c + 1):
        blocking = a * blocking / (k + a * blocking)
    return blocking


def _log_inverse_erlang_b(agents: int, load: float) -> float:
    """Return ``log(1 / B(agents, load))`` without overflow (``agents >= 0``, ``load > 0``)."""
    log_inv = 0.0
    log_a = math.log(load)
    for k in range(1, agents + 1):
        log_inv = float(np.logaddexp(0.0, math.log(k) - log_a + log_inv))
    return log_inv


def erlang_c(agents: int, load: float) -> float:
    """Erlang C probability that an arriving call waits in an M/M/c queue.

    Parameters
    ----------
    agents : int
        Number of servers ``c`` (>= 1).
    load : float
        Offered load ``a`` in erlangs (>= 0).

    Returns
    -------
    float
        ``C(c, a) = c B / (c - a (1 - B))`` with ``B = erlang_b(c, a)``; 1.0 when
        ``a >= c`` (the queue is unstable and every caller eventually waits).
    """
    c = _check_agents(agents)
    a = _check_real("load", load, positive=False)
    if a >= c:
        return 1.0
    blocking = erlang_b(c, a)
    return c * blocking / (c - a * (1.0 - blocking))


# --------------------------------------------------------------------------- Erlang C


def erlang_c_metrics(arrival_rate: float, aht: float, agents: int) -> QueueMetrics:
    """Exact steady-state metrics of the M/M/c (Erlang C) queue.

    Parameters
    ----------
    arrival_rate : float
        Poisson arrival rate in calls per hour (>= 0).
    aht : float
        Mean (exponential) handle time in seconds (> 0).
    agents : int
        Number of agents ``c`` (>= 1).

    Returns
    -------
    QueueMetrics
        With ``p_abandon = 0``, ``asa = mean_wait = C / (c mu - lambda)`` and
        ``sla(t) = service_level(t) = 1 - C exp(-(c mu - lambda) t)``.

    Raises
    ------
    ValueError
        If an input is invalid or the queue is unstable (``load >= agents``).
    """
    c = _check_agents(agents)
    rate_h = _check_real("arrival_rate", arrival_rate, positive=False)
    handle = _check_real("aht", aht, positive=True)
    if rate_h == 0.0:
        return _no_traffic_metrics(c, handle, None)
    lam = rate_h / _SECONDS_PER_HOUR
    load = lam * handle
    if load >= c:
        raise ValueError(
            f"Erlang C queue is unstable: load {load:.6g} erlangs >= {c} agents "
            f"(arrival_rate={rate_h:g}/h, aht={handle:g}s); add agents or use Erlang A"
        )
    p_wait = erlang_c(c, load)
    drain = c / handle - lam  # c mu - lambda, per second
    asa = p_wait / drain

    def sla(t: float) -> float:
        return 1.0 - p_wait * math.exp(-drain * t)

    return QueueMetrics(
        agents=c,
        arrival_rate=rate_h,
        aht=handle,
        patience=None,
        load=load,
        p_wait=p_wait,
        p_abandon=0.0,
        answer_rate=1.0,
        asa=asa,
        mean_wait=asa,
        occupancy=load / c,
        mean_queue=lam * asa,
        mean_busy=load,
        _sla_fn=sla,
    )
