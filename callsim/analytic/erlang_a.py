"""Erlang A (M/M/c+M, Palm): exact metrics from the birth--death chain, built in log
space outward from the mode."""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from callsim.analytic._common import (
    _LOG_TAIL_EPS,
    _MAX_STATES,
    _SECONDS_PER_HOUR,
    FloatArray,
    QueueMetrics,
    _check_agents,
    _check_patience,
    _check_real,
    _no_traffic_metrics,
)
from callsim.analytic.erlang import erlang_c_metrics

# --------------------------------------------------------------------------- Erlang A


def _death_rates(j: FloatArray, c: int, mu: float, theta: float) -> FloatArray:
    return np.minimum(j, c) * mu + np.maximum(j - c, 0.0) * theta


def _too_many_states(lam: float, c: int, mu: float, theta: float) -> ValueError:
    return ValueError(
        f"Erlang A chain too large to evaluate: load {lam / mu:.6g} erlangs on {c} agents "
        f"with mean patience {1.0 / theta:.6g}s spreads the queue over more than "
        f"{_MAX_STATES} states; use a shorter patience or erlang_c_metrics"
    )


def _birth_death_window(
    lam: float, mu: float, theta: float, c: int
) -> tuple[FloatArray, FloatArray]:
    """Stationary law of the M/M/c+M number in system, restricted to where it matters.

    Returns the states ``j`` and their probabilities ``p`` (summing to one). States are
    generated outward from the mode in log space; a side stops once the (queue-length
    weighted) geometric bound on its remaining tail falls below ``1e-20`` of the modal
    probability (and, on the right, of ``p_c`` too), so the truncation is exact to double
    precision.
    """
    overloaded = lam >= c * mu
    mode = c + math.floor((lam - c * mu) / theta) if overloaded else math.floor(lam / mu)
    log_lam = math.log(lam)

    # Right side: log p_j - log p_mode for j = mode+1, mode+2, ...
    right: list[FloatArray] = []
    log_p_c: float | None = 0.0 if mode >= c else None
    current = 0.0
    start = mode + 1
    chunk = 256
    while True:
        j = np.arange(start, start + chunk, dtype=np.float64)
        logp = current + np.cumsum(log_lam - np.log(_death_rates(j, c, mu, theta)))
        ratio = lam / _death_rates(j + 1.0, c, mu, theta)  # p_{j+1} / p_j, decreasing
        with np.errstate(divide="ignore", invalid="ignore"):
            weight = np.maximum(j - c + 1.0, 1.0) + 1.0 / (1.0 - ratio)
            bound = logp + np.log(ratio) - np.log1p(-ratio) + np.log(weight)
        # Below c, keep going: the queue states must be resolved relative to p_c even
        # when waiting is very unlikely (so p_wait, E[Q] and P(abandon) stay consistent).
        if log_p_c is None and j[-1] >= c:
            log_p_c = float(logp[c - start])
        reference = _LOG_TAIL_EPS + min(0.0, log_p_c if log_p_c is not None else 0.0)
        done = (j >= c) & (ratio < 1.0) & (bound < reference)
        if done.any():
            stop = int(np.argmax(done))
            right.append(logp[: stop + 1])
            break
        right.append(logp)
        current = float(logp[-1])
        start += chunk
        chunk *= 2
        if start - mode > _MAX_STATES:
            raise _too_many_states(lam, c, mu, theta)

    # Left side: log p_j - log p_mode for j = mode-1, mode-2, ..., (at most) 0.
    left: list[FloatArray] = []
    current = 0.0
    top = mode  # next state to step down from
    chunk = 256
    while top >= 1:
        j = np.arange(top, max(top - chunk, 0), -1, dtype=np.float64)  # j = top, top-1, ...
        logp = current + np.cumsum(np.log(_death_rates(j, c, mu, theta)) - log_lam)  # p_{j-1}
        below = j - 1.0
        ratio = _death_rates(below, c, mu, theta) / lam  # p_{j-2} / p_{j-1}
        with np.errstate(divide="ignore", invalid="ignore"):
            weight = np.maximum(below - c + 1.0, 1.0)
            bound = logp + np.log(ratio) - np.log1p(-ratio) + np.log(weight)
        done = (below <= 0.0) | ((ratio < 1.0) & (bound < _LOG_TAIL_EPS))
        if done.any():
            stop = int(np.argmax(done))
            left.append(logp[: stop + 1])
            break
        left.append(logp)
        current = float(logp[-1])
        top -= j.size
        chunk *= 2
        if mode - top > _MAX_STATES:
            raise _too_many_states(lam, c, mu, theta)

    left_logp = np.concatenate(left)[::-1] if left else np.empty(0)
    right_logp = np.concatenate(right)
    logp_all = np.concatenate([left_logp, [0.0], right_logp])
    first = mode - left_logp.size
    states = np.arange(first, first + logp_all.size, dtype=np.float64)
    weights = np.exp(logp_all - logp_all.max())
    return states, weights / weights.sum()


def _served_wait_harmonic(k: FloatArray, c: int, mu: float, theta: float) -> FloatArray:
    """Return ``S_k = sum_{i=1}^{k+1} 1 / (c mu + i theta)`` for consecutive ``k``."""
    if k.size == 0:
        return np.empty(0)
    k0 = int(k[0])
    if k0 <= 1_000_000:
        offset = float(np.sum(1.0 / (c * mu + theta * np.arange(1, k0 + 1, dtype=np.float64))))
    else:
        m = c * mu / theta
        offset = float(special.digamma(m + k0 + 1.0) - special.digamma(m + 1.0)) / theta
    return offset + np.cumsum(1.0 / (c * mu + (k + 1.0) * theta))


def erlang_a_metrics(
    arrival_rate: float, aht: float, agents: int, patience: float | None
) -> QueueMetrics:
    """Exact steady-state metrics of the M/M/c+M (Palm / Erlang A) queue.

    Parameters
    ----------
    arrival_rate : float
        Poisson arrival rate in calls per hour (>= 0).
    aht : float
        Mean (exponential) handle time in seconds (> 0).
    agents : int
        Number of agents ``c`` (>= 1).
    patience : float or None
        Mean (exponential) patience in seconds (> 0). ``None`` or ``math.inf`` means
        callers never abandon and delegates to :func:`erlang_c_metrics`.

    Returns
    -------
    QueueMetrics
        Exact metrics. The queue is stable for any load when ``patience`` is finite.

    Raises
    ------
    ValueError
        If an input is invalid (or, with ``patience=None``, the queue is unstable).

    Notes
    -----
    With ``lambda``, ``mu = 1/aht`` and ``theta = 1/patience`` per second, the number in
    system is a birth--death chain with death rate ``min(j, c) mu + (j - c)^+ theta``;
    its law ``p`` is computed in log space and truncated where the tail is below double
    precision. By PASTA an arrival finds ``k = j - c`` callers queued with probability
    ``p_{c+k}``; ``P(abandon) = theta E[Q] / lambda`` and ``mean_wait = E[Q] / lambda``.

    A caller with ``k`` ahead would be answered after ``V_k``, a sum of independent
    exponentials with rates ``c mu + i theta`` (``i = 0..k``), whose density is
    ``P_k e^{-c mu v} (1 - e^{-theta v})^k``; it is answered iff its own patience exceeds
    ``V_k``. Substituting ``x = 1 - e^{-theta v}`` gives, with ``m = c mu / theta``,

    ``P(answered, W <= t | k) = m / (m + k + 1) * I_{1 - e^{-theta t}}(k + 1, m + 1)``

    (``I`` the regularized incomplete beta function) and
    ``E[W; answered | k] = m / (m + k + 1) * sum_{i=1}^{k+1} 1 / (c mu + i theta)``.
    """
    theta_mean = _check_patience(patience)
    if theta_mean is None:
        return erlang_c_metrics(arrival_rate, aht, agents)
    c = _check_agents(agents)
    rate_h = _check_real("arrival_rate", arrival_rate, positive=False)
    handle = _check_real("aht", aht, positive=True)
    if rate_h == 0.0:
        return _no_traffic_metrics(c, handle, theta_mean)
    lam = rate_h / _SECONDS_PER_HOUR
    mu = 1.0 / handle
    theta = 1.0 / theta_mean
    load = lam * handle

    states, probs = _birth_death_window(lam, mu, theta, c)
    queued = np.maximum(states - c, 0.0)
    waiting = states >= c
    p_no_wait = float(probs[~waiting].sum())
    p_wait = float(probs[waiting].sum())
    mean_queue = float(np.dot(queued, probs))
    mean_busy = float(np.dot(np.minimum(states, c), probs))
    p_abandon = theta * mean_queue / lam
    answer_rate = 1.0 - p_abandon

    k = queued[waiting]
    pk = probs[waiting]
    m = c * mu / theta
    served_given_k = m / (m + k + 1.0)
    served_wait = float(np.dot(pk * served_given_k, _served_wait_harmonic(k, c, mu, theta)))
    asa = served_wait / answer_rate if answer_rate > 0.0 else 0.0
    weights = pk * served_given_k

    def sla(t: float) -> float:
        x = -math.expm1(-theta * t)
        return p_no_wait + float(np.dot(weights, special.betainc(k + 1.0, m + 1.0, x)))

    return QueueMetrics(
        agents=c,
        arrival_rate=rate_h,
        aht=handle,
        patience=theta_mean,
        load=load,
        p_wait=p_wait,
        p_abandon=p_abandon,
        answer_rate=answer_rate,
        asa=asa,
        mean_wait=mean_queue / lam,
        occupancy=mean_busy / c,
        mean_queue=mean_queue,
        mean_busy=mean_busy,
        _sla_fn=sla,
    )
