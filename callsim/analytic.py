"""Exact textbook queueing formulas for call centres.

This module owns the closed-form (or exactly computable) steady-state models that the
simulator is validated against and that quick staffing estimates use:

* Erlang B (M/M/c/c blocking) and Erlang C (M/M/c waiting probability);
* :func:`erlang_c_metrics` -- M/M/c, no abandonment;
* :func:`erlang_a_metrics` -- M/M/c+M (Palm/Erlang A, exponential patience), exact;
* :func:`mmn_g_metrics` -- M/M/n+G (general patience) by the Baccelli--Hébuterne /
  Zeltyn--Mandelbaum formulas and numerical integration;
* staffing searches :func:`agents_for_service_level` and :func:`agents_for_answer_rate`.

Every function is pure and imports nothing from :mod:`callsim`. Units are fixed:
``arrival_rate`` is in calls per **hour**, ``aht`` (mean handle time) and ``patience``
(mean patience) are in **seconds**, waiting-time thresholds ``t`` are in seconds and
``load`` is in erlangs (``arrival_rate / 3600 * aht``).

All computations stay finite for thousands of agents: Erlang B uses its recursion,
birth--death probabilities are built in log space outward from the mode, and the
M/M/n+G integrals are scaled by their maximum before exponentiation.
"""

from __future__ import annotations

import bisect
import itertools
import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy import integrate, special

__all__ = [
    "QueueMetrics",
    "agents_for_answer_rate",
    "agents_for_service_level",
    "erlang_a_metrics",
    "erlang_b",
    "erlang_c",
    "erlang_c_metrics",
    "mmn_g_metrics",
]

FloatArray = npt.NDArray[np.float64]

_SECONDS_PER_HOUR = 3600.0
#: Terms of a birth--death distribution whose (weighted) tail is below this share of the
#: modal probability are dropped; that is below double-precision resolution.
_LOG_TAIL_EPS = math.log(1e-20)
#: Largest number of agents the staffing searches will consider.
_MAX_AGENTS = 10_000_000
#: Largest number of birth--death states kept on either side of the mode (Erlang A).
_MAX_STATES = 5_000_000
#: Upper limit (seconds) when searching for the support of the M/M/n+G wait density.
_MAX_HORIZON = 1e12
#: Levels (below the maximum of the log density) used to split M/M/n+G integrals.
_LEVELS = (0.25, 1.0, 3.0, 7.0, 14.0, 24.0, 36.0, 50.0)


# --------------------------------------------------------------------------- validation


def _check_agents(agents: int) -> int:
    if isinstance(agents, bool) or not isinstance(agents, int | np.integer):
        raise ValueError(f"agents must be an integer >= 1, got {agents!r}")
    value = operator.index(agents)
    if value < 1:
        raise ValueError(f"agents must be >= 1, got {value}")
    return value


def _check_real(name: str, value: float, *, positive: bool) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number, got {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if positive and number <= 0.0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    if number < 0.0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return number


def _check_patience(patience: float | None) -> float | None:
    """Return the validated mean patience, ``None`` meaning callers never abandon."""
    if patience is None:
        return None
    try:
        number = float(patience)
    except (TypeError, ValueError):
        raise ValueError(f"patience must be a positive number or None, got {patience!r}") from None
    if math.isnan(number) or number <= 0.0:
        raise ValueError(f"patience must be > 0 seconds (or None), got {patience!r}")
    if math.isinf(number):
        return None
    return number


def _check_target(name: str, target: float) -> float:
    value = _check_real(name, target, positive=True)
    if value >= 1.0:
        raise ValueError(
            f"{name} must be strictly between 0 and 1 (a target of 1 is never reached "
            f"exactly), got {target!r}"
        )
    return value


def _check_time(t: float) -> float:
    try:
        value = float(t)
    except (TypeError, ValueError):
        raise ValueError(f"t must be a real number of seconds, got {t!r}") from None
    if math.isnan(value) or value < 0.0:
        raise ValueError(f"t must be >= 0 seconds, got {t!r}")
    return value


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


# --------------------------------------------------------------------------- result type


@dataclass(frozen=True)
class QueueMetrics:
    """Steady-state performance of a single-skill call queue.

    Attributes
    ----------
    agents : int
        Number of agents ``c``.
    arrival_rate : float
        Arrival rate in calls per hour.
    aht : float
        Mean handle time in seconds.
    patience : float or None
        Mean patience in seconds; ``None`` when callers never abandon.
    load : float
        Offered load in erlangs, ``arrival_rate / 3600 * aht``.
    p_wait : float
        Probability that an arriving caller has to wait (finds every agent busy).
    p_abandon : float
        Share of callers who abandon before being answered.
    answer_rate : float
        Share of callers who are answered, ``1 - p_abandon``.
    asa : float
        Average speed of answer: mean wait of answered callers, in seconds.
    mean_wait : float
        Mean time in queue over all callers, abandoned callers counting their time until
        abandonment, in seconds.
    occupancy : float
        Mean number of busy agents divided by ``agents``.
    mean_queue : float
        Time-average number of callers waiting.
    mean_busy : float
        Time-average number of busy agents.
    """

    agents: int
    arrival_rate: float
    aht: float
    patience: float | None
    load: float
    p_wait: float
    p_abandon: float
    answer_rate: float
    asa: float
    mean_wait: float
    occupancy: float
    mean_queue: float
    mean_busy: float
    _sla_fn: Callable[[float], float] = field(repr=False, compare=False, kw_only=True)

    def sla(self, t: float) -> float:
        """Share of all callers who are answered within ``t`` seconds.

        Parameters
        ----------
        t : float
            Waiting-time threshold in seconds (>= 0; ``math.inf`` allowed).

        Returns
        -------
        float
            ``P(answered and W <= t)``; callers answered without waiting count.
        """
        value = self._sla_fn(_check_time(t))
        return min(max(value, 0.0), self.answer_rate)

    def service_level(self, t: float) -> float:
        """Share of answered callers who waited at most ``t`` seconds.

        Parameters
        ----------
        t : float
            Waiting-time threshold in seconds (>= 0; ``math.inf`` allowed).

        Returns
        -------
        float
            ``P(W <= t | answered) = sla(t) / answer_rate`` (1.0 if nobody is answered).
        """
        if self.answer_rate <= 0.0:
            return 1.0
        return min(self.sla(t) / self.answer_rate, 1.0)


def _no_traffic_metrics(agents: int, aht: float, patience: float | None) -> QueueMetrics:
    return QueueMetrics(
        agents=agents,
        arrival_rate=0.0,
        aht=aht,
        patience=patience,
        load=0.0,
        p_wait=0.0,
        p_abandon=0.0,
        answer_rate=1.0,
        asa=0.0,
        mean_wait=0.0,
        occupancy=0.0,
        mean_queue=0.0,
        mean_busy=0.0,
        _sla_fn=lambda t: 1.0,
    )


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


# --------------------------------------------------------------------------- M/M/n+G


class _CumulativeSurvival:
    """``H(x) = integral_0^x sf(u) du`` with memoised anchor points.

    Jumps of ``sf`` not listed in ``breakpoints`` are detected from the adaptive
    quadrature (a cluster of tiny subintervals) and added to :attr:`breaks`, so later
    integrals split there instead of re-resolving the jump.
    """

    def __init__(self, sf: Callable[[float], float], breakpoints: Sequence[float]) -> None:
        self._sf = sf
        self.breaks = sorted(float(b) for b in breakpoints if b > 0.0 and math.isfinite(b))
        self._xs: list[float] = [0.0]
        self._hs: list[float] = [0.0]

    def _segment(self, lo: float, hi: float) -> float:
        value = 0.0
        for _ in range(16):
            inner = [b for b in self.breaks if lo < b < hi]
            value, _err, info, *_ = integrate.quad(
                self._sf,
                lo,
                hi,
                points=inner or None,
                epsabs=0.0,
                epsrel=1e-12,
                limit=200,
                full_output=1,
            )
            last = int(info["last"])
            if last <= 8:
                break
            widths = info["blist"][:last] - info["alist"][:last]
            i = int(np.argmin(widths))
            if widths[i] > 1e-8 * (hi - lo):
                break
            jump = self._locate_jump(
                max(lo, float(info["alist"][i] - widths[i])),
                min(hi, float(info["blist"][i] + widths[i])),
            )
            if any(abs(jump - b) <= 1e-9 * max(abs(b), 1.0) for b in self.breaks):
                break
            bisect.insort(self.breaks, jump)
        return float(value)

    def _locate_jump(self, lo: float, hi: float) -> float:
        """Bisect ``[lo, hi]`` towards the point where ``sf`` changes the most."""
        f_lo, f_hi = self._sf(lo), self._sf(hi)
        for _ in range(80):
            mid = 0.5 * (lo + hi)
            if mid in (lo, hi):
                break
            f_mid = self._sf(mid)
            if abs(f_mid - f_lo) < abs(f_hi - f_mid):
                lo, f_lo = mid, f_mid
            else:
                hi, f_hi = mid, f_mid
        return 0.5 * (lo + hi)

    def __call__(self, x: float, *, anchor: bool = False) -> float:
        idx = bisect.bisect_right(self._xs, x) - 1
        base_x, base_h = self._xs[idx], self._hs[idx]
        value = base_h if x == base_x else base_h + self._segment(base_x, x)
        if anchor and x != base_x:
            self._xs.insert(idx + 1, x)
            self._hs.insert(idx + 1, value)
        return value


def _bisect_monotone(
    predicate: Callable[[float], bool], lo: float, hi: float, rel_tol: float
) -> float:
    """Boundary between ``predicate`` true at ``lo`` and false at ``hi``."""
    for _ in range(200):
        if hi - lo <= rel_tol * max(hi, 1e-300):
            break
        mid = 0.5 * (lo + hi)
        if predicate(mid):
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _above(func: Callable[[float], float], level: float) -> Callable[[float], bool]:
    return lambda x: func(x) > level


def _below(func: Callable[[float], float], level: float) -> Callable[[float], bool]:
    return lambda x: func(x) < level


def mmn_g_metrics(
    arrival_rate: float,
    aht: float,
    agents: int,
    patience_sf: Callable[[float], float],
    *,
    breakpoints: Sequence[float] = (),
) -> QueueMetrics:
    """Steady-state metrics of the M/M/n+G queue (general patience distribution).

    Parameters
    ----------
    arrival_rate : float
        Poisson arrival rate in calls per hour (> 0 for a non-trivial result).
    aht : float
        Mean (exponential) handle time in seconds (> 0).
    agents : int
        Number of agents ``n`` (>= 1).
    patience_sf : callable
        Survival function ``Gbar(x) = P(patience > x)`` of the patience time in seconds:
        non-increasing, ``Gbar(0) = 1``, called with one float at a time.
    breakpoints : sequence of float, optional
        Points (seconds) where ``patience_sf`` is discontinuous or kinked (e.g. ``[d]``
        for deterministic patience ``d``); they improve the quadrature.

    Returns
    -------
    QueueMetrics
        All fields and both methods are implemented. ``patience`` holds the mean of the
        patience distribution, computed numerically (``math.inf`` if not integrable).

    Raises
    ------
    ValueError
        If an input is invalid or the queue is unstable (patience so long that the
        arrival rate of callers still willing to wait exceeds ``n / aht``).

    Notes
    -----
    Baccelli & Hébuterne (1981); Zeltyn & Mandelbaum (2005). With ``H(x)`` the integral of
    ``Gbar`` on ``[0, x]``, ``J = int_0^inf exp(lambda H(x) - n mu x) dx`` and
    ``E = 1 / B(n - 1, lambda / mu)`` (Erlang B), the offered wait ``V`` (the wait of a
    caller with infinite patience) has an atom ``E / (E + lambda J)`` at zero and density
    ``lambda exp(lambda H(x) - n mu x) / (E + lambda J)`` on ``x > 0``. A caller is answered
    iff its patience exceeds ``V``, so

    * ``p_wait = P(V > 0)``, ``p_abandon = E[(1 - Gbar(V)); V > 0]``;
    * ``asa = E[V Gbar(V)] / answer_rate``; ``mean_wait = E[H(V)]`` (mean of
      ``min(V, patience)``); ``mean_queue = lambda * mean_wait`` (Little);
    * ``sla(t) = P(V = 0) + E[Gbar(V); 0 < V <= t]``;
    * ``mean_busy = lambda * answer_rate * aht``.

    The log density ``lambda H(x) - n mu x`` is concave, so it is integrated (with
    ``scipy.integrate.quad_vec`` / ``quad``) over segments cut at its maximum and at the
    points where it has dropped by fixed amounts, down to ``exp(-50)`` of the peak, which
    keeps the result accurate to about ``1e-9`` and free of overflow for thousands of
    agents.
    """
    n = _check_agents(agents)
    rate_h = _check_real("arrival_rate", arrival_rate, positive=False)
    handle = _check_real("aht", aht, positive=True)
    if not callable(patience_sf):
        raise ValueError(f"patience_sf must be a callable survival function, got {patience_sf!r}")
    sf0 = float(patience_sf(0.0))
    if not 0.0 <= sf0 <= 1.0:
        raise ValueError(f"patience_sf(0) must lie in [0, 1], got {sf0!r}")

    def gbar(x: float) -> float:
        return float(patience_sf(x))

    cumulative = _CumulativeSurvival(gbar, breakpoints)

    def mean_patience(upto: float) -> float:
        head = cumulative(upto)
        result = integrate.quad(gbar, upto, math.inf, limit=200, full_output=1)
        if len(result) > 3:  # quad reported a problem: treat the mean as infinite
            return math.inf
        total = head + float(result[0])
        return total if math.isfinite(total) else math.inf

    if rate_h == 0.0:
        return _no_traffic_metrics(n, handle, mean_patience(handle))

    lam = rate_h / _SECONDS_PER_HOUR
    mu = 1.0 / handle
    load = lam * handle
    service = n * mu

    def phi(x: float, *, anchor: bool = False) -> float:
        return lam * cumulative(x, anchor=anchor) - service * x

    unstable = ValueError(
        f"M/M/n+G queue is unstable: with {n} agents (capacity {service * 3600:.6g}/h) the "
        f"patience distribution does not thin arrivals ({rate_h:g}/h) enough; "
        "add agents or check patience_sf"
    )

    # Mode of the concave log density: sup{x : lambda Gbar(x) >= n mu}.
    if lam * sf0 <= service:
        peak = 0.0
    else:
        lo, hi = 0.0, handle
        while lam * gbar(hi) >= service:
            lo, hi = hi, 2.0 * hi
            if hi > _MAX_HORIZON:
                raise unstable
        peak = _bisect_monotone(lambda x: lam * gbar(x) >= service, lo, hi, 1e-13)
    phi_max = phi(peak, anchor=True)

    # Right cut points: phi(x) = phi_max - level, x > peak (phi strictly decreasing there).
    right_points: list[float] = []
    lo = peak
    step = max(peak, handle / n, 1e-9)
    for level in _LEVELS:
        hi = lo + step
        while phi(hi) > phi_max - level:
            lo, step = hi, 2.0 * step
            hi = lo + step
            if hi > _MAX_HORIZON:
                raise unstable
        point = _bisect_monotone(_above(phi, phi_max - level), lo, hi, 1e-6)
        phi(point, anchor=True)
        right_points.append(point)
        lo, step = point, max(point - peak, 1e-9)

    # Left cut points (phi non-decreasing on [0, peak]).
    left_points: list[float] = []
    start = 0.0
    if peak > 0.0:
        for level in _LEVELS:
            if phi(0.0) >= phi_max - level:
                break
            point = _bisect_monotone(_below(phi, phi_max - level), 0.0, peak, 1e-9)
            phi(point, anchor=True)
            left_points.append(point)
        if left_points and phi(0.0) < phi_max - _LEVELS[-1]:
            start = left_points[-1]

    end = right_points[-1]
    nodes = sorted({start, peak, end, *left_points, *right_points})
    for x in nodes:
        cumulative(x, anchor=True)  # also learns jumps of patience_sf on [start, end]
    extra = [b for b in cumulative.breaks if start < b < end]
    for x in extra:
        cumulative(x, anchor=True)
    nodes = sorted({*nodes, *extra})

    def vector_integrand(x: float) -> FloatArray:
        g = gbar(x)
        weight = math.exp(phi(x) - phi_max)
        return weight * np.array([1.0, 1.0 - g, x * g, cumulative(x)])

    totals = np.zeros(4)
    for a_, b_ in itertools.pairwise(nodes):
        if b_ <= a_:
            continue
        value, _err = integrate.quad_vec(
            vector_integrand, a_, b_, epsabs=1e-300, epsrel=1e-11, norm="max", limit=500
        )
        totals += np.asarray(value, dtype=np.float64)

    log_lam = math.log(lam)
    log_e = _log_inverse_erlang_b(n - 1, load)
    log_lam_j = log_lam + phi_max + math.log(totals[0])
    log_norm = float(np.logaddexp(log_e, log_lam_j))
    p_no_wait = math.exp(log_e - log_norm)
    scale = math.exp(log_lam + phi_max - log_norm)  # density at x is scale * exp(phi - max)

    p_wait = min(scale * float(totals[0]), 1.0)
    p_abandon = min(max(scale * float(totals[1]), 0.0), 1.0)
    answer_rate = 1.0 - p_abandon
    served_wait = scale * float(totals[2])
    mean_wait = scale * float(totals[3])

    def answered_density(x: float) -> float:
        return math.exp(phi(x) - phi_max) * gbar(x)

    def sla(t: float) -> float:
        acc = 0.0
        for a_, b_ in itertools.pairwise(nodes):
            if a_ >= t:
                break
            upper = min(b_, t)
            if upper <= a_:
                continue
            value, _err, *_ = integrate.quad(
                answered_density,
                a_,
                upper,
                epsabs=0.0,
                epsrel=1e-11,
                limit=200,
                full_output=1,
            )
            acc += float(value)
        return p_no_wait + scale * acc

    return QueueMetrics(
        agents=n,
        arrival_rate=rate_h,
        aht=handle,
        patience=mean_patience(end),
        load=load,
        p_wait=p_wait,
        p_abandon=p_abandon,
        answer_rate=answer_rate,
        asa=served_wait / answer_rate if answer_rate > 0.0 else 0.0,
        mean_wait=mean_wait,
        occupancy=lam * answer_rate * handle / n,
        mean_queue=lam * mean_wait,
        mean_busy=lam * answer_rate * handle,
        _sla_fn=sla,
    )


# --------------------------------------------------------------------------- staffing


def _smallest_meeting(meets: Callable[[int], bool], lower: int) -> int:
    """Smallest ``c >= lower`` with ``meets(c)``, assuming ``meets`` is monotone in ``c``."""
    if meets(lower):
        return lower
    bad, good = lower, lower + 1
    width = 1
    while not meets(good):
        bad = good
        width *= 2
        good = lower + width
        if good > _MAX_AGENTS:
            raise ValueError(f"target not reachable with up to {_MAX_AGENTS} agents")
    while good - bad > 1:
        mid = (bad + good) // 2
        if meets(mid):
            good = mid
        else:
            bad = mid
    return good


def agents_for_service_level(
    arrival_rate: float,
    aht: float,
    target: float,
    t: float,
    patience: float | None = None,
) -> int:
    """Fewest agents whose service level ``P(W <= t | answered)`` reaches ``target``.

    Parameters
    ----------
    arrival_rate : float
        Arrival rate in calls per hour (>= 0).
    aht : float
        Mean handle time in seconds (> 0).
    target : float
        Required service level, strictly between 0 and 1 (e.g. 0.8).
    t : float
        Answer-time threshold in seconds (>= 0), e.g. 20.
    patience : float or None, optional
        Mean exponential patience in seconds (Erlang A); ``None`` (default) uses Erlang C,
        for which the queue must also be stable (``agents > load``).

    Returns
    -------
    int
        The minimum number of agents.

    Notes
    -----
    The search is galloping + bisection, so it relies on the service level being
    non-decreasing in the number of agents; this holds for Erlang C and for Erlang A in
    the regimes checked in the tests.
    """
    rate_h = _check_real("arrival_rate", arrival_rate, positive=False)
    handle = _check_real("aht", aht, positive=True)
    goal = _check_target("target", target)
    threshold = _check_time(t)
    mean_patience = _check_patience(patience)
    if rate_h == 0.0:
        return 1
    load = rate_h / _SECONDS_PER_HOUR * handle
    if mean_patience is None:
        lower = math.floor(load) + 1

        def meets(c: int) -> bool:
            return erlang_c_metrics(rate_h, handle, c).service_level(threshold) >= goal

    else:
        lower = 1

        def meets(c: int) -> bool:
            metrics = erlang_a_metrics(rate_h, handle, c, mean_patience)
            return metrics.service_level(threshold) >= goal

    return _smallest_meeting(meets, lower)


def agents_for_answer_rate(
    arrival_rate: float, aht: float, target: float, patience: float | None
) -> int:
    """Fewest agents whose answer rate ``1 - P(abandon)`` reaches ``target`` (Erlang A).

    Parameters
    ----------
    arrival_rate : float
        Arrival rate in calls per hour (>= 0).
    aht : float
        Mean handle time in seconds (> 0).
    target : float
        Required share of callers answered, strictly between 0 and 1.
    patience : float or None
        Mean exponential patience in seconds. ``None`` means nobody abandons, so the
        answer is the smallest stable Erlang C staffing, ``floor(load) + 1``.

    Returns
    -------
    int
        The minimum number of agents.

    Notes
    -----
    Agents can answer at most ``c / aht`` calls per second, hence ``c >= target * load``
    is used as the starting point of a galloping + bisection search (the answer rate
    increases with ``c``).
    """
    rate_h = _check_real("arrival_rate", arrival_rate, positive=False)
    handle = _check_real("aht", aht, positive=True)
    goal = _check_target("target", target)
    mean_patience = _check_patience(patience)
    if rate_h == 0.0:
        return 1
    load = rate_h / _SECONDS_PER_HOUR * handle
    if mean_patience is None:
        return math.floor(load) + 1
    lower = max(1, math.ceil(goal * load) - 1)

    def meets(c: int) -> bool:
        return erlang_a_metrics(rate_h, handle, c, mean_patience).answer_rate >= goal

    return _smallest_meeting(meets, lower)
