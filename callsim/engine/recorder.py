"""Recording calls: finished calls folded into fixed-size tallies, in bulk.

Owns the :class:`Recorder` that the model hands every finished call to, the layout of
the tallies (:data:`COLUMNS`), the wait histogram bins, and the time-weighted areas
(waiting calls, busy and staffed agents). It computes no KPI: :mod:`callsim.results`
turns :class:`Tallies` into KPIs and tables. Imports :mod:`callsim.compiled`,
:mod:`callsim.engine.call` and :mod:`callsim.errors`.

Memory does not grow with the number of calls unless per-call records are asked
for: calls are buffered and folded into fixed-size tallies (counts per call type and
interval, time-weighted areas, fixed-bin wait histograms) every :data:`FLUSH_EVERY`
arrivals and at the end of every simulated day (the model calls :meth:`Recorder.flush`).

A call is read when it is recorded (:meth:`Recorder.add`): its fields are packed into
a byte buffer at once, while the call and its numbers are still in the CPU's cache
(reading them back from the call objects at the fold cost a cache miss per call and
field: a fifth of a 120 day, more on a busy machine). So a call is recorded once its
fate and every field in :data:`FIELDS` are final.

Calls count in the measured tallies when they arrive in ``[warmup, horizon)``.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

from callsim.compiled import CompiledScenario
from callsim.engine.call import N_OUT, Call, Outcome, Transfer
from callsim.errors import ModelError

#: The model folds buffered calls after this many arrivals (a power of two: it tests
#: ``arrivals & (FLUSH_EVERY - 1)``).
FLUSH_EVERY = 1 << 14

#: wait histogram edges: 0.25 s bins to one hour, then 200 geometric bins to ~11.6 days
WAIT_EDGES = np.concatenate([np.arange(0.0, 3600.0, 0.25), np.geomspace(3600.0, 1e6, 201)])

#: The counters of a tally row (per call type, or per call type and interval), by name;
#: after them come one counter per :class:`~callsim.engine.call.Outcome` (from
#: ``_C_OUT``), then one "answered within t" counter per service-level threshold.
COLUMNS: tuple[str, ...] = (
    "arrivals",  # calls, internal legs excluded
    "waited",  # offered calls that waited at all
    "sum_wait_answered",
    "sum_wait_offered",
    "sum_ivr_time",
    "misrouted",  # reached a queue their intent's right keys do not lead to
    "transferred",  # misrouted callers an agent transferred
    "callers",  # first attempts, internal legs excluded
    "redials_offered",  # offered calls that are not a first attempt
    "call_backs_offered",
    "sum_call_back_delay",  # from leaving the queue to the call-back, of those made
    "transferred_out",  # answered, then handed to an official outside
    "referred",  # answered, then given a phone number
    "transferred_internal",  # answered, then put through to another queue
    "internal_legs",  # calls the centre put through from another queue
)
#: Column index by name (outcome counters: ``_C_OUT + Outcome``).
COLUMN: dict[str, int] = {name: j for j, name in enumerate(COLUMNS)}
_C_ARR = COLUMN["arrivals"]
_C_WAITED = COLUMN["waited"]
_C_SUMW_ANS = COLUMN["sum_wait_answered"]
_C_SUMW_OFF = COLUMN["sum_wait_offered"]
_C_IVR = COLUMN["sum_ivr_time"]
_C_MIS = COLUMN["misrouted"]
_C_XFER = COLUMN["transferred"]
_C_CALLERS = COLUMN["callers"]  # results read callers .. internal_legs as one slice
_C_REDIALS = COLUMN["redials_offered"]
_C_CB_OFF = COLUMN["call_backs_offered"]
_C_CB_DELAY = COLUMN["sum_call_back_delay"]
_C_XOUT = COLUMN["transferred_out"]
_C_REF = COLUMN["referred"]
_C_XINT = COLUMN["transferred_internal"]
_C_LEGS = COLUMN["internal_legs"]
_C_OUT = len(COLUMNS)
_C_SL = _C_OUT + N_OUT  # "answered within t" counters, one per service-level threshold

#: Outcomes of calls *offered* to a queue: they reached it and were neither cut off
#: (blocked) nor short abandons. Their waits count in the wait KPIs (a balk's is 0).
OFFERED = np.array([Outcome.ANSWERED, Outcome.ABANDONED, Outcome.UNFINISHED,
                    Outcome.CALL_BACK, Outcome.CALL_BACK_OPEN, Outcome.BALKED],
                   dtype=np.int64)


#: What :meth:`Recorder.add` keeps of a call, in this order: ten whole numbers (64-bit),
#: then seven times (doubles); ``Call.mis`` is kept apart (few calls have one).
FIELDS: tuple[str, ...] = (
    "id", "ctype", "queue", "outcome", "pool", "attempt", "transfer", "call_back_offered",
    "internal", "caller", "arrival", "queued_at", "answered_at", "ended_at", "busy_end",
    "ivr_time", "prior_wait")
_ROW = struct.Struct("<10q7d")
_ANSWERED = int(Outcome.ANSWERED)
_ROW_DTYPE = np.dtype([("i", "<i8", (10,)), ("f", "<f8", (7,))])


def area_by_bins(starts: np.ndarray, ends: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Total overlap of the intervals ``[starts[i], ends[i])`` with each ``[edges[b], edges[b+1])``.

    Uses the cumulative area ``F(x) = Σ (x - s)⁺ - (x - e)⁺``, O(n log n).
    """
    if starts.size == 0:
        return np.zeros(edges.size - 1)
    return np.diff(_cumulative_area(starts, ends, edges))


def _cumulative_area(starts: np.ndarray, ends: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """``F(edges)`` of :func:`area_by_bins`, measured from ``edges[0]``."""
    ref = float(edges[0])
    s = np.sort(starts - ref)
    e = np.sort(ends - ref)
    x = edges - ref
    cs = np.concatenate(([0.0], np.cumsum(s)))
    ce = np.concatenate(([0.0], np.cumsum(e)))
    ns = np.searchsorted(s, x, side="right")
    ne = np.searchsorted(e, x, side="right")
    f: np.ndarray = (ns * x - cs[ns]) - (ne * x - ce[ne])
    return f


def wait_bins(wait: np.ndarray) -> np.ndarray:
    """Histogram column of each wait (see :func:`hist_quantile`)."""
    b = np.searchsorted(WAIT_EDGES, wait, side="right")
    b = np.minimum(b, WAIT_EDGES.size - 1)
    b[wait <= 0] = 0
    return b


@dataclass
class Tallies:
    """What a replication's recorder folded: counts, areas and histograms.

    Per call type ``k`` and tally column ``j`` (:data:`COLUMNS`), ``tally[k, j]``
    sums measured calls and ``int_tally[k, b, j]`` all calls arriving in reporting
    interval ``b``. Areas are in agent- or call-seconds.
    """

    tally: np.ndarray
    int_tally: np.ndarray
    hist: np.ndarray
    pool_answered: np.ndarray
    pool_sumw: np.ndarray
    queue_area: np.ndarray
    queue_area_int: np.ndarray
    busy_area: np.ndarray
    busy_area_int: np.ndarray
    staffed: np.ndarray
    staffed_int: np.ndarray
    scheduled: np.ndarray
    scheduled_int: np.ndarray
    edges: np.ndarray
    """Reporting interval edges (simulation seconds)."""
    n_calls: int
    t_end: float
    records: dict[str, np.ndarray] | None = None
    """Per-call columns in call-id order (``record_calls``), else None."""
    channels: Any = None
    """The :class:`~callsim.engine.channels.ChannelTally` of a scenario with channels
    (set by the model), else None."""


class Recorder:
    """Folds finished calls into tallies; optionally keeps per-call records.

    Parameters
    ----------
    cs
        The compiled scenario (sizes, names, measurement window).
    record_calls
        Keep one row per call (memory grows with calls).
    """

    def __init__(self, cs: CompiledScenario, record_calls: bool = False) -> None:
        self.cs = cs
        self.record_calls = record_calls
        self._buf = bytearray()
        """Recorded calls not yet folded: :data:`FIELDS` packed per call."""
        self._pack = _ROW.pack
        self._mis: list[tuple[int, tuple[int, float, float, int, float]]] = []
        """(row in the buffer, ``Call.mis``) of the buffered misrouted calls."""
        K = len(cs.call_types)
        P = len(cs.pools)
        S = len(cs.service_levels)
        self.n_int = math.ceil(cs.horizon / cs.interval - 1e-9)
        self.edges = np.minimum(np.arange(self.n_int + 1) * cs.interval, cs.horizon)
        self.window = np.array([cs.warmup, cs.horizon])
        self.thresholds = np.asarray(cs.service_levels)
        self._window_on_edges = bool(self.window[0] == self.edges[0]
                                     and self.window[1] == self.edges[-1])
        """The measurement window is the reporting intervals' span: the areas of both
        come from one cumulative area."""
        self.right = (np.asarray(cs.ivr.right, dtype=bool) if cs.ivr is not None
                      else np.eye(K, dtype=bool))
        if cs.hours is not None:  # after-hours forwards to a queue are not misroutes
            for k, q in cs.hours.forwards:
                self.right[k, q] = True
        self.n_cols = _C_OUT + N_OUT + S
        self.tally = np.zeros((K, self.n_cols))  # measured calls
        self.int_tally = np.zeros((K, self.n_int, self.n_cols))  # all calls, by interval
        self.hist = np.zeros((K, WAIT_EDGES.size))
        self.pool_answered = np.zeros(P)
        self.pool_sumw = np.zeros(P)
        self.queue_area = np.zeros(K)  # in the measurement window
        self.queue_area_int = np.zeros((K, self.n_int))
        self.busy_area = np.zeros(P)
        self.busy_area_int = np.zeros((P, self.n_int))
        self.n_recorded = 0
        self.id_sum = 0
        self.id_sq = 0
        self._records: list[dict[str, np.ndarray]] = []

    # ------------------------------------------------------------------ folding

    def add(self, c: Call) -> None:
        """Record call *c*: its fate and every field in :data:`FIELDS` are final."""
        self._buf += self._pack(
            c.id, c.ctype, c.queue, c.outcome, c.pool, c.attempt, c.transfer,
            c.call_back_offered, c.internal, c.caller, c.arrival, c.queued_at, c.answered_at,
            c.ended_at, c.busy_end, c.ivr_time, c.prior_wait)
        if c.mis is not None:
            self._mis.append((len(self._buf) // _ROW.size - 1, c.mis))

    def add_answered(self, id: int, ctype: int, queue: int, pool: int, arrival: float,
                     t: float, ended: float, busy_end: float, ivr_time: float) -> None:
        """Record a first attempt answered by *pool* on reaching *queue* at *t* (no
        :class:`Call` object: the model's fast path), as :meth:`add` would."""
        self._buf += self._pack(id, ctype, queue, _ANSWERED, pool, 1, 0, False, False, -1,
                                arrival, t, t, ended, busy_end, ivr_time, 0.0)

    def flush(self) -> None:
        """Fold the buffered calls into the tallies."""
        buf = self._buf
        n = len(buf) // _ROW.size
        if n == 0:
            return
        rows = np.frombuffer(buf, dtype=_ROW_DTYPE, count=n)
        ints = rows["i"].T.copy()
        times = rows["f"].T.copy()
        del rows  # releases the buffer, which can then be emptied
        del buf[:]
        cid, ctype, queue, outcome, pool, attempt, xout, cb_off, internal, _caller = ints
        cb_off = cb_off.astype(bool)
        internal = internal.astype(bool)
        arrival, queued, answered_at, ended, busy_end, ivr, prior = times
        mis_idx = [i for i, _ in self._mis]
        mis = np.array([m for _, m in self._mis], dtype=float).reshape(-1, 5)
        self._mis.clear()
        if np.any(outcome < 0):
            bad = cid[outcome < 0]
            raise ModelError(f"{bad.size} call(s) recorded before their outcome was known "
                             f"(call ids {bad[:10].tolist()}, outcome codes "
                             f"{outcome[outcome < 0][:10].tolist()})")
        self._fold(cid, ctype, queue, arrival, queued, answered_at, ended, busy_end,
                   outcome, pool, ivr, prior, np.asarray(mis_idx, dtype=np.int64), mis,
                   attempt, cb_off, xout, internal)
        if self.record_calls:
            self._records.append(self._record_rows(ints, times, mis_idx))

    def _record_rows(self, ints: np.ndarray, times: np.ndarray, mis_idx: list[int]
                     ) -> dict[str, np.ndarray]:
        """Per-call records (columns of arrays) of packed rows' fields *ints*, *times*."""
        cid, ctype, queue, outcome, pool, attempt, xout, cb_off, internal, caller = ints
        arrival, queued, answered_at, ended, _busy_end, ivr, prior = times
        return {
            "call_id": cid, "call_type": ctype, "queue": queue, "arrival": arrival,
            "queued_at": queued, "answered_at": answered_at, "ended_at": ended,
            "outcome": outcome, "pool": pool, "ivr_time": ivr, "prior_wait": prior,
            "misrouted": _misrouted(self.right, ctype, queue, mis_idx),
            "caller": np.where(caller < 0, cid, caller), "attempt": attempt,
            "callback_offered": cb_off.astype(bool),
            "transferred_out": xout == Transfer.OUT, "referred": xout == Transfer.REFERRAL,
            "transferred_internal": xout == Transfer.INTERNAL,
            "internal": internal.astype(bool),
        }

    def _fold(self, cid: np.ndarray, ctype: np.ndarray, queue: np.ndarray,
              arrival: np.ndarray, queued: np.ndarray, answered_at: np.ndarray,
              ended: np.ndarray, busy_end: np.ndarray, outcome: np.ndarray,
              pool: np.ndarray, ivr: np.ndarray, prior: np.ndarray, mis_idx: np.ndarray,
              mis: np.ndarray, attempt: np.ndarray, cb_off: np.ndarray,
              xout: np.ndarray, internal: np.ndarray) -> None:
        cs = self.cs
        K = len(cs.call_types)
        self.n_recorded += cid.size
        self.id_sum += int(cid.sum())
        self.id_sq += int((cid * cid).sum())
        is_ans = outcome == Outcome.ANSWERED
        left_queue = np.where(is_ans, answered_at, ended)
        wait = prior + left_queue - queued  # nan for calls that never queued
        offered = np.isin(outcome, OFFERED)
        is_cb = outcome == Outcome.CALL_BACK
        measured = (arrival >= cs.warmup) & (arrival < cs.horizon)
        every = bool(measured.all())
        n_int = self.n_int
        # per call type (measured calls) and per call type x arrival interval (all calls)
        b = np.minimum((arrival // cs.interval).astype(np.int64), n_int - 1)
        cell = ctype * n_int + b
        k_meas = ctype if every else ctype[measured]
        # sums of times: one bincount each, in call order (the sums' rounding is part of
        # the numbers)
        sums = {
            _C_SUMW_ANS: np.where(is_ans, wait, 0.0),
            _C_SUMW_OFF: np.where(offered, wait, 0.0),
            _C_IVR: ivr,
            _C_CB_DELAY: np.where(is_cb, answered_at - ended, 0.0),
        }
        for j, c in sums.items():
            self.tally[:, j] += np.bincount(k_meas, weights=c if every else c[measured],
                                            minlength=K)
            self.int_tally[:, :, j] += np.bincount(
                cell, weights=c, minlength=K * n_int).reshape(K, n_int)
        # counts: which calls count in which column, all columns in one bincount (whole
        # numbers: exact in any order)
        flags = [
            (_C_ARR, ~internal),
            (_C_WAITED, offered & (wait > 0)),
            (_C_MIS, _misrouted(self.right, ctype, queue, mis_idx)),
            (_C_CALLERS, (attempt == 1) & ~internal),
            (_C_REDIALS, offered & (attempt > 1)),
            (_C_CB_OFF, cb_off),
            (_C_XOUT, (xout == Transfer.OUT) & is_ans),
            (_C_REF, (xout == Transfer.REFERRAL) & is_ans),
            (_C_XINT, (xout == Transfer.INTERNAL) & is_ans),
            (_C_LEGS, internal),
        ]
        flags += [(_C_SL + i, is_ans & (wait <= t)) for i, t in enumerate(self.thresholds)]
        C = self.n_cols
        where = [np.flatnonzero(m) for _, m in flags]
        rows = np.concatenate([*where, mis_idx.astype(np.int64), np.arange(cid.size)])
        col = np.concatenate([np.full(w.size, j) for (j, _), w in zip(flags, where, strict=True)]
                             + [np.full(mis_idx.size, _C_XFER), _C_OUT + outcome])
        counts = np.bincount(cell[rows] * C + col, minlength=K * n_int * C).reshape(K, n_int, C)
        counted = np.ones(C, dtype=bool)
        counted[list(sums)] = False
        self.int_tally[:, :, counted] += counts[:, :, counted]
        if every:
            meas = counts.sum(axis=1)
        else:
            keep = measured[rows]
            meas = np.bincount(ctype[rows[keep]] * C + col[keep],
                               minlength=K * C).reshape(K, C)
        self.tally[:, counted] += meas[:, counted]
        # wait histogram of answered, measured
        m_ans = measured & is_ans
        nb = WAIT_EDGES.size
        self.hist += np.bincount(ctype[m_ans] * nb + wait_bins(wait[m_ans]),
                                 minlength=K * nb).reshape(K, nb)
        # per pool
        P = len(cs.pools)
        self.pool_answered += np.bincount(pool[m_ans], minlength=P)
        self.pool_sumw += np.bincount(pool[m_ans], weights=wait[m_ans], minlength=P)
        # time-weighted areas (all calls)
        queued_mask = ~np.isnan(queued) & (outcome != Outcome.BLOCKED)
        for k in range(K):
            sel = queued_mask & (queue == k)
            if sel.any():
                self._add_area(self.queue_area, self.queue_area_int, k,
                               queued[sel], left_queue[sel])
        for p in range(len(cs.pools)):
            sel = (is_ans | is_cb) & (pool == p)
            if sel.any():
                self._add_area(self.busy_area, self.busy_area_int, p,
                               answered_at[sel], busy_end[sel])
        # misrouted calls: the wait in the wrong queue and the agent's transfer time
        if mis.shape[0]:
            mq, mqt, mans, mpool, mend = mis.T
            for k in np.unique(mq).astype(int):
                sel = mq == k
                self._add_area(self.queue_area, self.queue_area_int, k, mqt[sel], mans[sel])
            for p in np.unique(mpool).astype(int):
                sel = mpool == p
                self._add_area(self.busy_area, self.busy_area_int, p, mans[sel], mend[sel])

    def _add_area(self, total: np.ndarray, by_interval: np.ndarray, i: int,
                  starts: np.ndarray, ends: np.ndarray) -> None:
        """Add the intervals' overlap with the measurement window to ``total[i]`` and
        with each reporting interval to ``by_interval[i]``."""
        if self._window_on_edges:  # one sort serves both (the same numbers)
            f = _cumulative_area(starts, ends, self.edges)
            total[i] += f[-1] - f[0]
            by_interval[i] += np.diff(f)
        else:
            total[i] += area_by_bins(starts, ends, self.window)[0]
            by_interval[i] += area_by_bins(starts, ends, self.edges)

    # ----------------------------------------------------------------- results

    def finish(self, present_logs: list[list[tuple[float, int]]], n_created: int,
               t_end: float) -> Tallies:
        """Fold what is left, check conservation, and return the tallies.

        *present_logs* are (time, agents present) change logs per pool; the planned
        schedule comes from the compiled scenario.
        """
        self.flush()
        cs = self.cs
        id_sum = n_created * (n_created - 1) // 2
        id_sq = (n_created - 1) * n_created * (2 * n_created - 1) // 6
        if self.n_recorded != n_created or self.id_sum != id_sum or self.id_sq != id_sq:
            raise ModelError(
                f"call conservation violated: {n_created} calls created (ids 0..{n_created - 1}),"
                f" {self.n_recorded} recorded; sum of recorded ids {self.id_sum} (expected "
                f"{id_sum}), sum of their squares {self.id_sq} (expected {id_sq}): each call "
                "must be recorded exactly once"
            )
        staffed = np.zeros(len(cs.pools))
        staffed_int = np.zeros((len(cs.pools), self.n_int))
        for p, log in enumerate(present_logs):
            times = np.array([t for t, _ in log] + [t_end])
            levels = np.array([v for _, v in log], dtype=float)
            # each level holds on [times[i], times[i+1]); model it as `level` intervals
            starts, ends = times[:-1], times[1:]
            staffed[p] = _level_area(starts, ends, levels, self.window)[0]
            staffed_int[p] = _level_area(starts, ends, levels, self.edges)
        scheduled = np.zeros(len(cs.pools))
        scheduled_int = np.zeros((len(cs.pools), self.n_int))
        for p, cp in enumerate(cs.pools):
            times = np.array([*cp.change_times, max(t_end, cp.change_times[-1])])
            levels = np.asarray(cp.headcounts, dtype=float)
            scheduled[p] = _level_area(times[:-1], times[1:], levels, self.window)[0]
            scheduled_int[p] = _level_area(times[:-1], times[1:], levels, self.edges)
        records: dict[str, np.ndarray] | None = None
        if self.record_calls:
            records = ({k: np.concatenate([r[k] for r in self._records])
                        for k in self._records[0]} if self._records
                       else self._record_rows(  # no calls: the same columns, no rows
                           np.zeros((_ROW_DTYPE["i"].shape[0], 0), dtype=np.int64),
                           np.zeros((_ROW_DTYPE["f"].shape[0], 0)), []))
        return Tallies(
            tally=self.tally, int_tally=self.int_tally, hist=self.hist,
            pool_answered=self.pool_answered, pool_sumw=self.pool_sumw,
            queue_area=self.queue_area, queue_area_int=self.queue_area_int,
            busy_area=self.busy_area, busy_area_int=self.busy_area_int,
            staffed=staffed, staffed_int=staffed_int, scheduled=scheduled,
            scheduled_int=scheduled_int, edges=self.edges, n_calls=n_created, t_end=t_end,
            records=records,
        )


def _level_area(starts: np.ndarray, ends: np.ndarray, levels: np.ndarray,
                edges: np.ndarray) -> np.ndarray:
    """Area of a step function (``levels[i]`` on ``[starts[i], ends[i])``) per edge bin."""
    out = np.zeros(edges.size - 1)
    for s, e, v in zip(starts, ends, levels, strict=True):
        if v == 0 or e <= s:
            continue
        lo = np.clip(edges[:-1], s, e)
        hi = np.clip(edges[1:], s, e)
        out += (hi - lo) * v
    return out


def _misrouted(right: np.ndarray, ctype: np.ndarray, queue: np.ndarray,
               mis_idx: Any) -> np.ndarray:
    """Calls that reached a queue the menu's right keys do not send their intent to
    (``right[k, q]``), whether or not they were then transferred."""
    q = np.where(queue >= 0, queue, 0)
    out = (queue >= 0) & ~right[ctype, q]
    if len(mis_idx):
        out[np.asarray(mis_idx, dtype=np.int64)] = True
    return out
