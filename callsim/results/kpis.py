"""KPI definitions: the one written definition of every KPI, computed from tallies.

Owns how counts become KPIs. Imports :mod:`callsim.engine.call` (outcome codes) and
:mod:`callsim.engine.recorder` (the tally layout and wait bins).

Definitions (``offered`` = calls that reached a queue, less blocked calls and
short abandons):

- ``answer_rate`` = answered / offered; ``abandon_rate`` = abandoned / offered;
- ``balked``: callers who hung up on hearing a queue announcement; they are offered
  (they reached the queue and left unserved, so an announcement that drives callers
  away cannot raise ``answer_rate``), with a wait of 0; ``balk_rate`` = balked / offered;
- ``asa`` = mean wait of answered calls (s); ``mean_wait`` = mean wait of offered calls;
- ``p_wait`` = share of offered calls that waited at all (wait > 0);
- ``sl_<t>`` = answered within t s / answered; ``sla_<t>`` = answered within t s / offered;
- ``wait_p50``/``wait_p90``/``wait_p95``: percentiles of the wait of answered calls,
  from a histogram with 0.25 s bins up to one hour (exact to 0.25 s);
- ``mean_queue`` = time-average number of waiting calls in the measurement window;
- ``occupancy`` = busy agent time / staffed agent time in the measurement window
  (busy time counts whenever the call being served arrived; an agent finishing a call
  after the shift ended counts as staffed until the call ends).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from callsim.engine.call import N_OUT, Outcome
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


def hist_quantile(counts: np.ndarray, q: float) -> float:
    """The *q*-quantile of waits tallied by :func:`wait_bins`, interpolated within a bin.

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


def _sl_name(t: float) -> str:
    return f"{t:g}".replace(".", "_")


def _ratio(a: Any, b: Any) -> Any:
    """a / b where b > 0, else NaN (elementwise for arrays)."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1.0), np.nan)


def kpis_from_counts(
    arrivals: Any, outcomes: np.ndarray, waited: Any, sum_wait_ans: Any,
    sum_wait_off: Any, within: np.ndarray, thresholds: tuple[float, ...],
    sum_ivr: Any = 0.0, misroutes: Any = 0.0, transfers: Any = 0.0,
    extra: np.ndarray | None = None,
) -> dict[str, Any]:
    """The call-count KPIs, from tallies (the one place each ratio is defined).

    Scalars give floats; arrays (outcomes with the outcome code on the *first* axis)
    give arrays, one value per cell (the interval table is computed that way).

    *extra* holds (callers, offered redials, callbacks offered, summed callback delay,
    transferred out, referred, put through to another queue, internal legs) when
    behaviour is modelled. ``arrivals`` counts calls to the number; internal legs (callers
    the centre put through to another queue) are counted as ``transfers_in`` and are
    part of ``offered`` and ``answered`` of the queue they joined.
    """
    f = np.asarray
    answered = f(outcomes[Outcome.ANSWERED], dtype=float)
    abandoned = f(outcomes[Outcome.ABANDONED], dtype=float)
    unfinished = f(outcomes[Outcome.UNFINISHED], dtype=float)
    cb_done = f(outcomes[Outcome.CALL_BACK], dtype=float)
    cb_open = f(outcomes[Outcome.CALL_BACK_OPEN], dtype=float)
    balked = f(outcomes[Outcome.BALKED], dtype=float)
    offered = answered + abandoned + unfinished + cb_done + cb_open + balked
    arrivals = f(arrivals, dtype=float)
    zero = np.zeros_like(arrivals)
    callers, redial_off, cb_offered, cb_delay, xout, refer, xin, legs = (
        extra if extra is not None else (arrivals, zero, zero, zero, zero, zero, zero, zero))
    out: dict[str, Any] = {
        "arrivals": arrivals,
        "offered": offered,
        "blocked": outcomes[Outcome.BLOCKED],
        "short_abandons": outcomes[Outcome.SHORT_ABANDON],
        "answered": answered,
        "abandoned": abandoned,
        "unfinished": unfinished,
        "answer_rate": _ratio(answered, offered),
        "abandon_rate": _ratio(abandoned, offered),
        "asa": _ratio(sum_wait_ans, answered),
        "mean_wait": _ratio(sum_wait_off, offered),
        "p_wait": _ratio(waited, offered),
        "ivr_time": _ratio(sum_ivr, arrivals),
        "ivr_hangups": outcomes[Outcome.IVR_HANGUP],
        "ivr_hangup_rate": _ratio(outcomes[Outcome.IVR_HANGUP], arrivals),
        "self_served": outcomes[Outcome.SELF_SERVED],
        "disconnected": outcomes[Outcome.DISCONNECTED],
        "misroutes": misroutes,
        "misroute_rate": _ratio(misroutes, offered),
        "transfers": transfers,
        "callers": callers,
        "redials": arrivals - callers,
        "redial_share": _ratio(redial_off, offered),
        "caller_answer_rate": _ratio(answered, callers),
        "callbacks_offered": cb_offered,
        "callbacks_accepted": cb_done + cb_open,
        "callbacks_completed": cb_done,
        "callbacks_open": cb_open,
        "callback_delay": _ratio(cb_delay, cb_done),
        "transferred_out": xout,
        "referred": refer,
        "transferred_internal": xin,
        "transfers_in": legs,
        "fcr": _ratio(answered - xout - refer - xin, answered),
        "balked": balked,
        "balk_rate": _ratio(balked, offered),
    }
    for t, w in zip(thresholds, within, strict=True):
        out[f"sl_{_sl_name(t)}"] = _ratio(w, answered)
    for t, w in zip(thresholds, within, strict=True):
        out[f"sla_{_sl_name(t)}"] = _ratio(w, offered)
    if arrivals.ndim == 0:
        return {k: float(v) for k, v in out.items()}
    return {k: np.broadcast_to(np.asarray(v, dtype=float), arrivals.shape)
            for k, v in out.items()}


def _kpis_of_tally(t: np.ndarray, thresholds: tuple[float, ...]) -> dict[str, Any]:
    """:func:`kpis_from_counts` of a tally row (or of a stack of rows, last axis = columns)."""
    S = len(thresholds)
    tt = np.moveaxis(t, -1, 0)  # columns first
    return kpis_from_counts(
        tt[_C_ARR], tt[_C_OUT:_C_OUT + N_OUT], tt[_C_WAITED], tt[_C_SUMW_ANS],
        tt[_C_SUMW_OFF], tt[_C_OUT + N_OUT:_C_OUT + N_OUT + S], thresholds,
        tt[_C_IVR], tt[_C_MIS], tt[_C_XFER], tt[_C_CALLERS:_C_OUT],
    )
