"""Staffing searches: the fewest agents meeting a service level or an answer rate."""

from __future__ import annotations

import math
from collections.abc import Callable

from callsim.analytic._common import (
    _MAX_AGENTS,
    _SECONDS_PER_HOUR,
    _check_patience,
    _check_real,
    _check_target,
    _check_time,
)
from callsim.analytic.erlang import erlang_c_metrics
from callsim.analytic.erlang_a import erlang_a_metrics


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
