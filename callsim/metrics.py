"""Recording calls and computing KPIs.

Owns the outcome codes, the :class:`Recorder` that turns finished calls into running
tallies (in bulk, with numpy), and the single written definition of every KPI.
Imports :mod:`callsim.scenario` (for sizes and names) only; the model feeds it.

Memory does not grow with the number of calls unless per-call records are asked
for: calls are buffered and folded into fixed-size tallies (counts per call type and
interval, time-weighted areas, fixed-bin wait histograms) every ``FLUSH`` calls.

KPI definitions (``offered`` = calls that reached a queue, less blocked calls and
short abandons):

- ``answer_rate`` = answered / offered; ``abandon_rate`` = abandoned / offered;
- ``asa`` = mean wait of answered calls (s); ``mean_wait`` = mean wait of offered calls;
- ``p_wait`` = share of offered calls that waited at all (wait > 0);
- ``sl_<t>`` = answered within t s / answered; ``sla_<t>`` = answered within t s / offered;
- ``wait_p50``/``wait_p90``/``wait_p95``: percentiles of the wait of answered calls,
  from a histogram with 0.25 s bins up to one hour (exact to 0.25 s);
- ``mean_queue`` = time-average number of waiting calls in the measurement window;
- ``occupancy`` = busy agent time / staffed agent time in the measurement window
  (busy time counts whenever the call being served arrived; an agent finishing a call
  after the shift ended counts as staffed until the call ends).

Calls count in the KPIs when they arrive in ``[warmup, horizon)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from callsim.scenario import CompiledScenario

WAITING = -1
ANSWERED = 0
ABANDONED = 1
BLOCKED = 2
SHORT_ABANDON = 3
IVR_HANGUP = 4
SELF_SERVED = 5
DISCONNECTED = 6
UNFINISHED = 7
CALLBACK = 8
CALLBACK_OPEN = 9
OUTCOMES: tuple[str, ...] = (
    "answered", "abandoned", "blocked", "short_abandon", "ivr_hangup", "self_served",
    "disconnected", "unfinished", "callback", "callback_open",
)
N_OUT = len(OUTCOMES)

FLUSH = 65536

#: wait histogram edges: 0.25 s bins to one hour, then 200 geometric bins to ~11.6 days
WAIT_EDGES = np.concatenate([np.arange(0.0, 3600.0, 0.25), np.geomspace(3600.0, 1e6, 201)])

# per-type counters (columns of the `tally` matrix)
(_C_ARR, _C_WAITED, _C_SUMW_ANS, _C_SUMW_OFF, _C_IVR, _C_MIS, _C_XFER, _C_CALLERS,
 _C_REDIAL_OFF, _C_CB_OFFERED, _C_CB_DELAY, _C_XOUT, _C_REFER, _C_XIN, _C_LEGS) = range(15)
_C_OUT = 15  # then N_OUT outcome counters, then one 'within t' counter per SL threshold


def area_by_bins(starts: np.ndarray, ends: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Total overlap of the intervals ``[starts[i], ends[i])`` with each ``[edges[b], edges[b+1])``.

    Uses the cumulative area ``F(x) = Σ (x - s)⁺ - (x - e)⁺``, O(n log n).
    """
    if starts.size == 0:
        return np.zeros(edges.size - 1)
    ref = float(edges[0])
    s = np.sort(starts - ref)
    e = np.sort(ends - ref)
    x = edges - ref
    cs = np.concatenate(([0.0], np.cumsum(s)))
    ce = np.concatenate(([0.0], np.cumsum(e)))
    ns = np.searchsorted(s, x, side="right")
    ne = np.searchsorted(e, x, side="right")
    f = (ns * x - cs[ns]) - (ne * x - ce[ne])
    return np.diff(f)


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


def wait_bins(wait: np.ndarray) -> np.ndarray:
    """Histogram column of each wait (see :func:`hist_quantile`)."""
    b = np.searchsorted(WAIT_EDGES, wait, side="right")
    b = np.minimum(b, WAIT_EDGES.size - 1)
    b[wait <= 0] = 0
    return b


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
    answered = f(outcomes[ANSWERED], dtype=float)
    abandoned = f(outcomes[ABANDONED], dtype=float)
    unfinished = f(outcomes[UNFINISHED], dtype=float)
    cb_done = f(outcomes[CALLBACK], dtype=float)
    cb_open = f(outcomes[CALLBACK_OPEN], dtype=float)
    offered = answered + abandoned + unfinished + cb_done + cb_open
    arrivals = f(arrivals, dtype=float)
    zero = np.zeros_like(arrivals)
    callers, redial_off, cb_offered, cb_delay, xout, refer, xin, legs = (
        extra if extra is not None else (arrivals, zero, zero, zero, zero, zero, zero, zero))
    out: dict[str, Any] = {
        "arrivals": arrivals,
        "offered": offered,
        "blocked": outcomes[BLOCKED],
        "short_abandons": outcomes[SHORT_ABANDON],
        "answered": answered,
        "abandoned": abandoned,
        "unfinished": unfinished,
        "answer_rate": _ratio(answered, offered),
        "abandon_rate": _ratio(abandoned, offered),
        "asa": _ratio(sum_wait_ans, answered),
        "mean_wait": _ratio(sum_wait_off, offered),
        "p_wait": _ratio(waited, offered),
        "ivr_time": _ratio(sum_ivr, arrivals),
        "ivr_hangups": outcomes[IVR_HANGUP],
        "ivr_hangup_rate": _ratio(outcomes[IVR_HANGUP], arrivals),
        "self_served": outcomes[SELF_SERVED],
        "disconnected": outcomes[DISCONNECTED],
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


@dataclass
class ReplicationResult:
    """What one replication produced.

    Attributes
    ----------
    kpis
        Overall KPIs: name → value.
    by_call_type
        KPIs per call type (rows), same columns as ``kpis`` where they apply.
    by_pool
        Per agent pool: answered, asa, occupancy, mean staffed and busy agents.
    intervals
        One row per reporting interval × call type (and ``all``): counts, answer rate,
        ASA, service levels and mean waiting calls, by the interval calls arrived in.
    agents
        One row per reporting interval × pool: mean staffed and busy agents, occupancy.
    calls
        Per-call records, or ``None`` unless ``record_calls=True``.
    """

    kpis: dict[str, float]
    by_call_type: pd.DataFrame
    by_pool: pd.DataFrame
    intervals: pd.DataFrame
    agents: pd.DataFrame
    calls: pd.DataFrame | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def flat_kpis(self) -> dict[str, float]:
        """Overall KPIs plus ``type.<name>.<kpi>`` and ``pool.<name>.<kpi>`` entries."""
        out = dict(self.kpis)
        for name, row in self.by_call_type.iterrows():
            for k, v in row.items():
                out[f"type.{name}.{k}"] = float(v)
        for name, row in self.by_pool.iterrows():
            for k, v in row.items():
                out[f"pool.{name}.{k}"] = float(v)
        return out


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
        self.buf: list[Any] = []
        self.add = self.buf.append  # the model's hot path: a bound list.append
        K = len(cs.call_types)
        P = len(cs.pools)
        S = len(cs.service_levels)
        self.n_int = math.ceil(cs.horizon / cs.interval - 1e-9)
        self.edges = np.minimum(np.arange(self.n_int + 1) * cs.interval, cs.horizon)
        self.window = np.array([cs.warmup, cs.horizon])
        self.thresholds = np.asarray(cs.service_levels)
        self.right = (np.asarray(cs.ivr.right, dtype=bool) if cs.ivr is not None
                      else np.eye(K, dtype=bool))
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

    def flush(self) -> None:
        """Fold the buffered calls into the tallies."""
        calls = self.buf
        n = len(calls)
        if n == 0:
            return

        i64 = np.int64
        cid = np.array([c.id for c in calls], dtype=i64)
        ctype = np.array([c.ctype for c in calls], dtype=i64)
        queue = np.array([c.queue for c in calls], dtype=i64)
        arrival = np.array([c.arrival for c in calls])
        queued = np.array([c.queued_at for c in calls])
        answered_at = np.array([c.answered_at for c in calls])
        ended = np.array([c.ended_at for c in calls])
        busy_end = np.array([c.busy_end for c in calls])
        outcome = np.array([c.outcome for c in calls], dtype=i64)
        pool = np.array([c.pool for c in calls], dtype=i64)
        ivr = np.array([c.ivr_time for c in calls])
        prior = np.array([c.prior_wait for c in calls])
        attempt = np.array([c.attempt for c in calls], dtype=i64)
        caller = np.array([c.caller for c in calls], dtype=i64)
        caller = np.where(caller < 0, cid, caller)
        cb_off = np.array([c.cb_offered for c in calls], dtype=bool)
        xout = np.array([c.xfer_out for c in calls], dtype=i64)
        internal = np.array([c.internal for c in calls], dtype=bool)
        mis_idx = [i for i, c in enumerate(calls) if c.mis is not None]
        mis = np.array([calls[i].mis for i in mis_idx], dtype=float).reshape(-1, 5)
        calls.clear()
        if np.any(outcome < 0):
            raise AssertionError("a call was recorded before its outcome was known")
        self._fold(cid, ctype, queue, arrival, queued, answered_at, ended, busy_end,
                   outcome, pool, ivr, prior, np.asarray(mis_idx, dtype=np.int64), mis,
                   attempt, cb_off, xout, internal)
        if self.record_calls:
            self._records.append({
                "call_id": cid, "call_type": ctype, "queue": queue, "arrival": arrival,
                "queued_at": queued, "answered_at": answered_at, "ended_at": ended,
                "outcome": outcome, "pool": pool, "ivr_time": ivr, "prior_wait": prior,
                "misrouted": _misrouted(self.right, ctype, queue, mis_idx),
                "caller": caller, "attempt": attempt, "callback_offered": cb_off,
                "transferred_out": xout == 1, "referred": xout == 2,
                "transferred_internal": xout == 3, "internal": internal,
            })

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
        is_ans = outcome == ANSWERED
        left_queue = np.where(is_ans, answered_at, ended)
        wait = prior + left_queue - queued  # nan for calls that never queued
        offered = ((outcome == ANSWERED) | (outcome == ABANDONED) | (outcome == UNFINISHED)
                   | (outcome == CALLBACK) | (outcome == CALLBACK_OPEN))
        is_cb = outcome == CALLBACK
        wait_off = np.where(offered, wait, 0.0)
        wait_ans = np.where(is_ans, wait, 0.0)
        waited = offered & (wait > 0)
        transferred = np.zeros(cid.size)
        transferred[mis_idx] = 1.0
        misrouted = _misrouted(self.right, ctype, queue, mis_idx).astype(float)
        cols = [
            (~internal).astype(float), waited.astype(float), wait_ans, wait_off, ivr, misrouted,
            transferred, ((attempt == 1) & ~internal).astype(float),
            (offered & (attempt > 1)).astype(float),
            cb_off.astype(float), np.where(is_cb, answered_at - ended, 0.0),
            ((xout == 1) & is_ans).astype(float), ((xout == 2) & is_ans).astype(float),
            ((xout == 3) & is_ans).astype(float), internal.astype(float),
        ]
        cols += [(outcome == o).astype(float) for o in range(N_OUT)]
        cols += [(is_ans & (wait <= t)).astype(float) for t in self.thresholds]
        measured = (arrival >= cs.warmup) & (arrival < cs.horizon)
        n_int = self.n_int
        # per call type (measured calls) and per call type × arrival interval (all calls)
        b = np.minimum((arrival // cs.interval).astype(np.int64), n_int - 1)
        cell = ctype * n_int + b
        k_meas = ctype[measured]
        for j, c in enumerate(cols):
            self.tally[:, j] += np.bincount(k_meas, weights=c[measured], minlength=K)
            self.int_tally[:, :, j] += np.bincount(
                cell, weights=c, minlength=K * n_int).reshape(K, n_int)
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
        queued_mask = ~np.isnan(queued) & (outcome != BLOCKED)
        for k in range(K):
            sel = queued_mask & (queue == k)
            if sel.any():
                s, e = queued[sel], left_queue[sel]
                self.queue_area[k] += area_by_bins(s, e, self.window)[0]
                self.queue_area_int[k] += area_by_bins(s, e, self.edges)
        for p in range(len(cs.pools)):
            sel = (is_ans | is_cb) & (pool == p)
            if sel.any():
                s, e = answered_at[sel], busy_end[sel]
                self.busy_area[p] += area_by_bins(s, e, self.window)[0]
                self.busy_area_int[p] += area_by_bins(s, e, self.edges)
        # misrouted calls: the wait in the wrong queue and the agent's transfer time
        if mis.shape[0]:
            mq, mqt, mans, mpool, mend = mis.T
            for k in np.unique(mq).astype(int):
                sel = mq == k
                self.queue_area[k] += area_by_bins(mqt[sel], mans[sel], self.window)[0]
                self.queue_area_int[k] += area_by_bins(mqt[sel], mans[sel], self.edges)
            for p in np.unique(mpool).astype(int):
                sel = mpool == p
                self.busy_area[p] += area_by_bins(mans[sel], mend[sel], self.window)[0]
                self.busy_area_int[p] += area_by_bins(mans[sel], mend[sel], self.edges)

    # ----------------------------------------------------------------- results

    def result(self, present_logs: list[list[tuple[float, int]]], n_created: int,
               t_end: float) -> ReplicationResult:
        """Finish: check conservation, compute every KPI table.

        *present_logs* are (time, agents present) change logs per pool; the planned
        schedule (``scheduled``) comes from the compiled scenario.
        """
        self.flush()
        cs = self.cs
        if self.n_recorded != n_created or self.id_sum != n_created * (n_created - 1) // 2 \
                or self.id_sq != (n_created - 1) * n_created * (2 * n_created - 1) // 6:
            raise AssertionError(
                f"call conservation violated: {n_created} calls created, "
                f"{self.n_recorded} recorded (each call must end in exactly one outcome)"
            )
        thresholds = cs.service_levels
        span = cs.horizon - cs.warmup
        # staffed areas from the present-agent logs
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

        def kp(t: np.ndarray, hist: np.ndarray | None, qa: float, busy: float,
               staff: float) -> dict[str, float]:
            out = _kpis_of_tally(t, thresholds)
            if hist is not None:
                out["wait_p50"] = hist_quantile(hist, 0.50)
                out["wait_p90"] = hist_quantile(hist, 0.90)
                out["wait_p95"] = hist_quantile(hist, 0.95)
            out["mean_queue"] = qa / span
            out["occupancy"] = busy / staff if staff > 0 else math.nan
            return out

        total_busy = float(self.busy_area.sum())
        total_staffed = float(staffed.sum())
        kpis = kp(self.tally.sum(axis=0), self.hist.sum(axis=0), float(self.queue_area.sum()),
                  total_busy, total_staffed)
        rows = {}
        for k, ct in enumerate(cs.call_types):
            r = kp(self.tally[k], self.hist[k], float(self.queue_area[k]), math.nan, 0.0)
            r.pop("occupancy")
            rows[ct.name] = r
        by_type = pd.DataFrame.from_dict(rows, orient="index")
        by_type.index.name = "call_type"
        prow = {}
        for p, cp in enumerate(cs.pools):
            ans = self.pool_answered[p]
            prow[cp.name] = {
                "answered": float(ans),
                "asa": float(self.pool_sumw[p] / ans) if ans else math.nan,
                "occupancy": float(self.busy_area[p] / staffed[p]) if staffed[p] else math.nan,
                "mean_scheduled": float(scheduled[p] / span),
                "mean_staffed": float(staffed[p] / span),
                "mean_busy": float(self.busy_area[p] / span),
            }
        by_pool = pd.DataFrame.from_dict(prow, orient="index")
        by_pool.index.name = "pool"
        intervals = self._interval_table()
        agents = self._agent_table(staffed_int, scheduled_int)
        calls = self._calls_frame() if self.record_calls else None
        return ReplicationResult(kpis=kpis, by_call_type=by_type, by_pool=by_pool,
                                 intervals=intervals, agents=agents, calls=calls,
                                 meta={"n_calls": n_created, "t_end": t_end})

    def _clock(self) -> tuple[np.ndarray, list[str]]:
        start = self.edges[:-1]
        clock = (self.cs.clock_start + start) % 86400.0
        day = ((self.cs.clock_start + start) // 86400.0).astype(int)
        labels = [f"d{d + 1} {int(c // 3600):02d}:{int(c % 3600 // 60):02d}"
                  for d, c in zip(day, clock, strict=True)]
        return start, labels

    def _interval_table(self) -> pd.DataFrame:
        """One row per (call type incl. ``all``) × interval, computed on whole arrays."""
        cs = self.cs
        start, labels = self._clock()
        length = np.diff(self.edges)
        names = [*cs.type_names, "all"]
        tal = np.concatenate([self.int_tally, self.int_tally.sum(axis=0)[None]])
        qa = np.concatenate([self.queue_area_int, self.queue_area_int.sum(axis=0)[None]])
        n_rows = len(names) * self.n_int
        cols = _kpis_of_tally(tal.reshape(n_rows, -1), cs.service_levels)
        data: dict[str, Any] = {
            "interval": np.tile(np.arange(self.n_int), len(names)),
            "start": np.tile(start, len(names)),
            "clock": np.tile(np.asarray(labels, dtype=object), len(names)),
            "call_type": np.repeat(np.asarray(names, dtype=object), self.n_int),
        }
        data.update(cols)
        data["mean_queue"] = (qa / length).reshape(n_rows)
        return pd.DataFrame(data)

    def _agent_table(self, staffed_int: np.ndarray, scheduled_int: np.ndarray
                     ) -> pd.DataFrame:
        start, labels = self._clock()
        length = np.diff(self.edges)
        frames = []
        for p, cp in enumerate(self.cs.pools):
            busy = self.busy_area_int[p] / length
            staffed = staffed_int[p] / length
            with np.errstate(invalid="ignore", divide="ignore"):
                occ = np.where(staffed > 0, busy / np.where(staffed > 0, staffed, 1), np.nan)
            frames.append(pd.DataFrame({
                "interval": np.arange(self.n_int), "start": start, "clock": labels,
                "pool": cp.name, "scheduled": scheduled_int[p] / length, "staffed": staffed,
                "busy": busy, "occupancy": occ,
            }))
        return pd.concat(frames, ignore_index=True)

    def _calls_frame(self) -> pd.DataFrame:
        cs = self.cs
        if not self._records:
            return pd.DataFrame()
        data = {k: np.concatenate([r[k] for r in self._records]) for k in self._records[0]}
        df = pd.DataFrame(data).sort_values("call_id", kind="stable").reset_index(drop=True)
        types = np.array([*cs.type_names, ""], dtype=object)
        pools = np.array([*cs.pool_names, ""], dtype=object)
        df["call_type"] = types[df["call_type"].to_numpy()]
        df["queue"] = types[df["queue"].to_numpy()]  # -1 (never queued) -> ""
        df["pool"] = pools[df["pool"].to_numpy()]  # -1 -> ""
        df["outcome"] = np.array(OUTCOMES, dtype=object)[df["outcome"].to_numpy()]
        df["wait"] = df["prior_wait"] + np.where(
            df["answered_at"].notna(), df["answered_at"], df["ended_at"]) - df["queued_at"]
        return df


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
