"""What KPIs are computed from: named tallies of a set of calls, and their ratios.

Owns :class:`Counts` (the recorder's tally columns by name, plus the time-weighted
areas and the wait histogram where there are any), :class:`PoolCounts`, the only
reading of the engine's tally layout (:func:`counts_of_tally`), the named raw columns
that tables which must be pooled later carry (:meth:`Counts.columns`), and the two
helpers every definition uses (:func:`ratio`, :func:`hist_quantile`). Imports
:mod:`callsim.engine.call` (outcome codes) and :mod:`callsim.engine.recorder` (the
tally layout and wait bins).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from callsim.engine.call import N_OUT, OUTCOMES, Outcome
from callsim.engine.recorder import (
    _C_ARR,
    _C_CALLERS,
    _C_IVR,
    _C_MIS,
    _C_OUT,
    _C_SUMW_ANS,
    _C_SUMW_OFF,
    _C_WAITED,
    _C_XFER,
    WAIT_EDGES,
)


def ratio(a: Any, b: Any) -> Any:
    """a / b where b > 0, else NaN (elementwise for arrays)."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1.0), np.nan)


def hist_quantile(counts: np.ndarray, q: float) -> float:
    """The *q*-quantile of waits tallied by the recorder's wait bins, interpolated
    within a bin.

    Column 0 counts waits of exactly 0; column ``b`` counts ``[WAIT_EDGES[b-1], WAIT_EDGES[b])``.
    """
    total = counts.sum()
    if total == 0:
        return math.nan
    target = q * total
    if counts[0] >= target:
        return 0.0
    cum = np.cumsum(counts)
    b = int(np.searchsorted(cum, target, side="left"))
    b = min(max(b, 1), counts.size - 1)
    before = cum[b] - counts[b]
    frac = (target - before) / counts[b] if counts[b] else 0.0
    lo, hi = WAIT_EDGES[b - 1], WAIT_EDGES[min(b, WAIT_EDGES.size - 1)]
    return float(lo + frac * (hi - lo))


#: Tally columns after the outcomes' and the service levels', by name (the order of
#: :data:`callsim.engine.recorder` columns ``_C_WAITED`` .. ``_C_LEGS``).
_NAMED = ("waited", "wait_sum_answered", "wait_sum_offered", "ivr_sum", "misroutes",
          "transfers", "callers", "redials_offered", "callbacks_offered",
          "callback_delay_sum", "transferred_out", "referred", "transferred_internal",
          "transfers_in")


#: The channel fields of :class:`Counts` (None without channels).
CHANNEL_FIELDS = ("customers", "channel_attempts", "contained", "channel_fallbacks",
                  "channel_gave_up")


@dataclass
class Counts:
    """Tallies of a set of calls: scalars, or arrays with one value per cell.

    Attributes
    ----------
    arrivals
        Calls to the number (internal legs excluded).
    outcomes
        Calls per outcome code (the code on the first axis).
    waited
        Offered calls that waited at all.
    wait_sum_answered, wait_sum_offered
        Summed waits of answered and of offered calls (s).
    within
        Per service-level threshold: answered calls that waited at most that long.
    thresholds
        The service-level thresholds (s).
    ivr_sum
        Summed time in the menu (s).
    misroutes, transfers
        Calls that reached a wrong queue; misrouted calls transferred by an agent.
    callers
        First attempts (callers); defaults to *arrivals* (no redials modelled).
    redials_offered
        Offered calls that were redials.
    callbacks_offered, callback_delay_sum
        Call-backs offered; summed delay of completed call-backs (s).
    transferred_out, referred, transferred_internal
        Answered calls transferred to an outside official, given a number, or put
        through to another queue.
    transfers_in
        Internal legs (callers put through from another queue).
    queue_area, span
        Time-integral of waiting calls (call-seconds) and the time it covers (s).
    busy, staffed
        Busy and staffed agent-seconds.
    hist
        Waits of answered calls, binned like the recorder's wait histogram.
    customers, channel_attempts, contained, channel_fallbacks, channel_gave_up
        With channels only (else None): customers (before any channel), those who
        tried a channel first, were helped there, went on to the phone, or gave up.
    """

    arrivals: Any
    outcomes: np.ndarray
    waited: Any
    wait_sum_answered: Any
    wait_sum_offered: Any
    within: Any
    thresholds: tuple[float, ...]
    ivr_sum: Any = 0.0
    misroutes: Any = 0.0
    transfers: Any = 0.0
    callers: Any = None
    redials_offered: Any = 0.0
    callbacks_offered: Any = 0.0
    callback_delay_sum: Any = 0.0
    transferred_out: Any = 0.0
    referred: Any = 0.0
    transferred_internal: Any = 0.0
    transfers_in: Any = 0.0
    queue_area: Any = None
    span: Any = None
    busy: Any = None
    staffed: Any = None
    hist: np.ndarray | None = None
    customers: Any = None
    channel_attempts: Any = None
    contained: Any = None
    channel_fallbacks: Any = None
    channel_gave_up: Any = None

    def __post_init__(self) -> None:
        self.arrivals = np.asarray(self.arrivals, dtype=float)
        if self.callers is None:
            self.callers = self.arrivals

    @classmethod
    def of(cls, arrivals: Any, outcomes: np.ndarray, waited: Any, sum_wait_ans: Any,
           sum_wait_off: Any, within: np.ndarray, thresholds: tuple[float, ...],
           sum_ivr: Any = 0.0, misroutes: Any = 0.0, transfers: Any = 0.0,
           extra: Any = None) -> Counts:
        """From plain tallies; *extra* = (callers, redials offered, call-backs offered,
        summed call-back delay, transferred out, referred, put through, internal legs)."""
        c = cls(arrivals, outcomes, waited, sum_wait_ans, sum_wait_off, within,
                tuple(thresholds), sum_ivr, misroutes, transfers)
        if extra is not None:
            (c.callers, c.redials_offered, c.callbacks_offered, c.callback_delay_sum,
             c.transferred_out, c.referred, c.transferred_internal, c.transfers_in) = extra
        else:
            zero = np.zeros_like(c.arrivals)
            (c.redials_offered, c.callbacks_offered, c.callback_delay_sum,
             c.transferred_out, c.referred, c.transferred_internal,
             c.transfers_in) = (zero,) * 7
        return c

    # --------------------------------------------------------- from the outcomes

    def _out(self, code: int) -> Any:
        return np.asarray(self.outcomes[code], dtype=float)

    @cached_property
    def answered(self) -> Any:
        return self._out(Outcome.ANSWERED)

    @cached_property
    def abandoned(self) -> Any:
        return self._out(Outcome.ABANDONED)

    @cached_property
    def unfinished(self) -> Any:
        return self._out(Outcome.UNFINISHED)

    @cached_property
    def callbacks_done(self) -> Any:
        return self._out(Outcome.CALL_BACK)

    @cached_property
    def callbacks_open(self) -> Any:
        return self._out(Outcome.CALL_BACK_OPEN)

    @cached_property
    def balked(self) -> Any:
        return self._out(Outcome.BALKED)

    @cached_property
    def offered(self) -> Any:
        """Reached a queue, less blocked calls and short abandons (balks included)."""
        return (self.answered + self.abandoned + self.unfinished + self.callbacks_done
                + self.callbacks_open + self.balked)

    @property
    def blocked(self) -> Any:
        return self.outcomes[Outcome.BLOCKED]

    @property
    def short_abandons(self) -> Any:
        return self.outcomes[Outcome.SHORT_ABANDON]

    @property
    def ivr_hangups(self) -> Any:
        return self.outcomes[Outcome.IVR_HANGUP]

    @property
    def self_served(self) -> Any:
        return self.outcomes[Outcome.SELF_SERVED]

    @property
    def disconnected(self) -> Any:
        return self.outcomes[Outcome.DISCONNECTED]

    @property
    def forwarded(self) -> Any:
        return self.outcomes[Outcome.FORWARDED]

    @property
    def closed(self) -> Any:
        return self.outcomes[Outcome.CLOSED]

    # ------------------------------------------------------------- raw columns

    def columns(self) -> dict[str, Any]:
        """The tallies as named columns that can be summed (pooled) and read back with
        :meth:`from_columns`: ``arrivals``, :data:`_NAMED`, ``out_<outcome>``,
        ``within_<t>``, and ``queue_area``/``span`` and :data:`CHANNEL_FIELDS` when
        present."""
        cols: dict[str, Any] = {"arrivals": self.arrivals}
        for name in _NAMED:
            cols[name] = getattr(self, name)
        for code, outcome in enumerate(OUTCOMES):
            cols[f"out_{outcome}"] = self.outcomes[code]
        for t, w in zip(self.thresholds, self.within, strict=True):
            cols[f"within_{t!r}"] = w
        if self.queue_area is not None and self.span is not None:
            cols["queue_area"] = self.queue_area
            cols["span"] = self.span
        for name in CHANNEL_FIELDS:
            if getattr(self, name) is not None:
                cols[name] = getattr(self, name)
        return cols

    @classmethod
    def from_columns(cls, cols: Mapping[str, Any]) -> Counts:
        """Inverse of :meth:`columns` (thresholds read off the ``within_<t>`` names)."""
        thresholds = tuple(float(k[7:]) for k in cols if k.startswith("within_"))
        outcomes = np.stack([np.asarray(cols[f"out_{o}"], dtype=float) for o in OUTCOMES])
        c = cls(np.asarray(cols["arrivals"], dtype=float), outcomes,
                cols["waited"], cols["wait_sum_answered"], cols["wait_sum_offered"],
                [cols[k] for k in cols if k.startswith("within_")], thresholds)
        for name in _NAMED[3:]:
            setattr(c, name, np.asarray(cols[name], dtype=float))
        if "queue_area" in cols and "span" in cols:
            c.queue_area = np.asarray(cols["queue_area"], dtype=float)
            c.span = np.asarray(cols["span"], dtype=float)
        for name in CHANNEL_FIELDS:
            if name in cols:
                setattr(c, name, np.asarray(cols[name], dtype=float))
        return c


def counts_of_tally(t: np.ndarray, thresholds: tuple[float, ...], **more: Any) -> Counts:
    """:class:`Counts` of a recorder tally row (or of a stack of rows, last axis =
    columns); *more* sets the time-weighted fields (``queue_area``, ``span``, ...)."""
    S = len(thresholds)
    tt = np.moveaxis(t, -1, 0)  # columns first
    c = Counts.of(tt[_C_ARR], tt[_C_OUT:_C_OUT + N_OUT], tt[_C_WAITED], tt[_C_SUMW_ANS],
                  tt[_C_SUMW_OFF], tt[_C_OUT + N_OUT:_C_OUT + N_OUT + S], thresholds,
                  tt[_C_IVR], tt[_C_MIS], tt[_C_XFER], tt[_C_CALLERS:_C_OUT])
    for k, v in more.items():
        setattr(c, k, v)
    return c


@dataclass
class PoolCounts:
    """One agent pool's tallies: calls answered and their summed wait, and busy,
    staffed and scheduled agent-seconds over *span* seconds."""

    answered: float
    wait_sum: float
    busy: float
    staffed: float
    scheduled: float
    span: float
