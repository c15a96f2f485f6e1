"""Shared by the exact formulas: units, numeric limits, argument checks and the
:class:`QueueMetrics` result type."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

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
