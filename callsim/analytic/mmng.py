"""M/M/n+G (general patience) by the Baccelli--Hébuterne / Zeltyn--Mandelbaum formulas
and numerical integration, scaled by their maximum before exponentiation."""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Callable, Sequence

import numpy as np
from scipy import integrate

from callsim.analytic._common import (
    _LEVELS,
    _MAX_HORIZON,
    _SECONDS_PER_HOUR,
    FloatArray,
    QueueMetrics,
    _check_agents,
    _check_real,
    _no_traffic_metrics,
)
from callsim.analytic.erlang import _log_inverse_erlang_b

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
