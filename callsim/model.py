"""The call-centre model: one replication of a compiled scenario on a SimPy environment.

Owns the event logic (arrivals, queues, agent pools, staffing changes, abandonment,
blocking) and nothing else: it draws from :class:`~callsim.rng.Streams`, and hands
every call whose fate is known to a :class:`~callsim.metrics.Recorder`. Imports
:mod:`callsim.scenario`, :mod:`callsim.arrivals`, :mod:`callsim.metrics`,
:mod:`callsim.rng`; never the experiment layer.

Design (why it is fast): SimPy is the event engine, but there is no SimPy process
per call. The only scheduled events are the next arrival (one chain), agent
releases and staffing changes, each a ``Timeout`` with a callback — about two
engine events per call. Waiting calls sit in a deque per queue. Abandonment is
resolved lazily: a caller's hang-up time (queue entry + patience) is known on
entry, so when an agent looks at a queue, callers at its head whose hang-up time
has passed are recorded as abandoned *at that time*. Under FCFS this is the same
sample path as scheduling every hang-up. Where an exact count of waiting callers
is needed (queue capacity), a heap of hang-up times is advanced to the present
first. Caller attributes (call type, handle time, patience) are drawn in bulk per
simulated day from design-independent streams, so designs compared with one seed
see the same callers.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from typing import Any

import numpy as np
import simpy
from simpy.events import NORMAL, Event

from callsim.arrivals import sample_block
from callsim.ivr import DISCONNECTED as WALK_DISCONNECTED
from callsim.ivr import HANGUP as WALK_HANGUP
from callsim.ivr import SELF_SERVED as WALK_SELF
from callsim.ivr import MenuWalker
from callsim.metrics import (
    ABANDONED,
    ANSWERED,
    BLOCKED,
    DISCONNECTED,
    IVR_HANGUP,
    SELF_SERVED,
    SHORT_ABANDON,
    UNFINISHED,
    WAITING,
    Recorder,
)
from callsim.rng import Streams
from callsim.scenario import DAY, CompiledScenario


class Wake(Event):
    """A bare SimPy event for the engine's own schedule: cheaper than ``Timeout``.

    It is pushed straight onto the environment's heap at an absolute time by
    :meth:`Model._at`; SimPy's ``step`` then runs its callbacks like any event's.
    The callbacks list is shared between events of one kind (SimPy only reads it).
    """

    def __init__(self, callbacks: list[Any], value: Any) -> None:
        self.callbacks = callbacks
        self._value = value
        self._ok = True


class Call:
    """One call: what the caller brings, and what happens to it (times in seconds)."""

    __slots__ = (
        "acw", "answered_at", "arrival", "busy_end", "ctype", "deadline", "ended_at",
        "handle", "id", "ivr_time", "mis", "outcome", "patience", "pool", "prior_wait",
        "queue", "queued_at", "since",
    )

    def __init__(self, id: int, ctype: int, arrival: float, handle: float, acw: float,
                 patience: float) -> None:
        self.id = id
        self.ctype = ctype
        self.arrival = arrival
        self.handle = handle
        self.acw = acw
        self.patience = patience
        self.queue = ctype
        self.queued_at = math.nan
        self.deadline = math.inf
        self.answered_at = math.nan
        self.ended_at = math.nan
        self.busy_end = math.nan
        self.outcome = WAITING
        self.pool = -1
        self.ivr_time = 0.0
        self.prior_wait = 0.0  # wait in a wrong queue before a transfer
        self.since = math.nan  # first queue entry: the key for longest-wait selection
        self.mis: tuple[int, float, float, int, float] | None = None
        """(wrong queue, queued at, answered at, pool, agent free at) of a misroute."""


class Queue:
    """The FCFS waiting queue of one call type."""

    __slots__ = ("calls", "capacity", "idx", "n_waiting", "pools")

    def __init__(self, idx: int, capacity: int | None) -> None:
        self.idx = idx
        self.calls: deque[Call] = deque()
        self.capacity = capacity
        self.n_waiting = 0  # exact only after Model._expire(now)
        self.pools: list[Pool] = []


class Pool:
    """An agent pool: idle agents (longest idle first), busy and present counts."""

    __slots__ = ("busy", "idle", "idx", "leaving", "name", "next_agent", "present",
                 "present_log", "queues")

    def __init__(self, idx: int, name: str) -> None:
        self.idx = idx
        self.name = name
        self.idle: deque[int] = deque()
        self.busy = 0
        self.present = 0  # idle + busy, including agents finishing a call after shift end
        self.leaving = 0  # busy agents who leave when their current call ends
        self.next_agent = 0
        self.queues: list[Queue] = []
        self.present_log: list[tuple[float, int]] = []


class Model:
    """One replication of *cs* driven by *streams*.

    Parameters
    ----------
    cs
        The compiled scenario.
    streams
        This replication's random streams.
    recorder
        Receives every call once its fate is known.
    """

    def __init__(self, cs: CompiledScenario, streams: Streams, recorder: Recorder) -> None:
        self.cs = cs
        self.streams = streams
        self.recorder = recorder
        self.env = simpy.Environment()
        self.queues = [Queue(k, ct.queue_capacity) for k, ct in enumerate(cs.call_types)]
        self.pools = [Pool(i, p.name) for i, p in enumerate(cs.pools)]
        for pool, cp in zip(self.pools, cs.pools, strict=True):
            pool.queues = [self.queues[k] for k in cp.skills]
        self.routing = [[self.pools[i] for i in r] for r in cs.routing]
        for q in self.queues:
            q.pools = self.routing[q.idx]
        self.capacity = cs.capacity
        self.track_count = cs.capacity is not None or any(
            q.capacity is not None for q in self.queues
        )
        self.total_waiting = 0
        self.deadlines: list[tuple[float, int, Call]] = []
        self.short_abandon = cs.short_abandon
        self.n_created = 0
        self.t_stop = cs.horizon + cs.drain_limit
        self.walker = MenuWalker(cs.ivr, streams) if cs.ivr is not None else None
        self.pool_serves = [set(cp.skills) for cp in cs.pools]
        self.home = list(cs.ivr.home) if cs.ivr is not None else list(range(len(cs.call_types)))
        self._transfer_rng = streams.get("transfer")
        self._transfer_buf: list[float] = []
        # queue entries of the loaded arrival blocks, in entry-time order
        self._day = 0
        self._next_block = 0.0
        self._j = 0
        self._entry: list[float] = []
        self._rows: list[tuple[float, int, int, float, float, float, float]] = []
        self._arrivals_done = False
        self._record = recorder.add
        self._heap = self.env._queue  # SimPy's event heap (see Wake)
        self._eid = self.env._eid
        self._cb_arrival: list[Any] = [self._on_arrival]
        self._cb_release: list[Any] = [self._on_release]
        self._cb_staffing: list[Any] = [self._on_staffing]
        self._cb_requeue: list[Any] = [self._on_requeue]

    def _at(self, t: float, callbacks: list[Any], value: Any = None) -> None:
        """Schedule *callbacks* at absolute time *t* on SimPy's heap."""
        heapq.heappush(self._heap, (t, NORMAL, next(self._eid), Wake(callbacks, value)))

    # ----------------------------------------------------------------- running

    def run(self) -> None:
        """Simulate until every call that arrived has ended (or the drain limit)."""
        for pool, cp in zip(self.pools, self.cs.pools, strict=True):
            pool.present_log.append((0.0, 0))
            self._set_headcount(pool, cp.headcounts[0], 0.0)
            for t, h in zip(cp.change_times[1:], cp.headcounts[1:], strict=True):
                if t < self.t_stop:
                    self._at(t, self._cb_staffing, (pool, h))
        self._schedule_next_block(0.0)
        self.env.run(until=self.t_stop)
        self._drain()

    def _schedule_next_block(self, now: float) -> None:
        """Load arrival blocks until one has queue entries left, and schedule the next."""
        cs = self.cs
        while True:
            if self._j < len(self._entry) and (
                self._entry[self._j] < self._next_block or self._day * DAY >= cs.horizon
            ):
                self._at(self._entry[self._j], self._cb_arrival)
                return
            if self._day * DAY >= cs.horizon:
                self._arrivals_done = True
                return
            a = self._day * DAY
            b = min(a + DAY, cs.horizon)
            self._day += 1
            self._next_block = b if b < cs.horizon else math.inf
            self._load_block(a, b)

    def _load_block(self, a: float, b: float) -> None:
        """Draw the callers arriving in ``[a, b)``, walk them through the menu, and merge
        their queue entries with the entries still pending from the previous block."""
        self.recorder.flush()  # fold the previous day's calls: memory stays flat
        cs = self.cs
        times, kinds = sample_block(cs, self.streams, a, b)
        n = times.size
        handle = np.empty(n)
        acw = np.zeros(n)
        patience = np.empty(n)
        for k, ct in enumerate(cs.call_types):
            idx = np.flatnonzero(kinds == k)
            if idx.size == 0:
                continue
            handle[idx] = ct.handle.sample(self.streams.get("handle", ct.name), idx.size)
            patience[idx] = ct.patience.sample(self.streams.get("patience", ct.name), idx.size)
            if ct.acw is not None:
                acw[idx] = ct.acw.sample(self.streams.get("after_call_work", ct.name), idx.size)
        rows = list(zip(times.tolist(), kinds.tolist(), kinds.tolist(), [0.0] * n,
                        handle.tolist(), acw.tolist(), patience.tolist(), strict=True))
        if self.walker is not None:
            rows = self._walk_menu(rows)
        pending = self._rows[self._j:]
        if pending:
            rows = pending + rows
        rows.sort(key=_entry_time)
        self._rows = rows
        self._entry = [r[0] + r[3] for r in rows]
        self._j = 0

    def _walk_menu(
        self, rows: list[tuple[float, int, int, float, float, float, float]]
    ) -> list[tuple[float, int, int, float, float, float, float]]:
        """Send each caller through the menu; record those who never reach a queue."""
        walk = self.walker.walk  # type: ignore[union-attr]
        out = []
        for r in rows:
            result, q, t = walk(r[1])
            if q >= 0:
                out.append((r[0], r[1], q, t, r[4], r[5], r[6]))
                continue
            call = Call(self.n_created, r[1], r[0], r[4], r[5], r[6])
            self.n_created += 1
            call.ivr_time = t
            call.ended_at = r[0] + t
            call.queue = -1
            call.outcome = (IVR_HANGUP if result == WALK_HANGUP else
                            SELF_SERVED if result == WALK_SELF else DISCONNECTED)
            assert result in (WALK_HANGUP, WALK_SELF, WALK_DISCONNECTED)
            self._record(call)
        return out

    # ---------------------------------------------------------------- callbacks

    def _on_arrival(self, ev: Any) -> None:
        """A caller reaches a queue (after the menu, if there is one)."""
        j = self._j
        now = self.env._now
        arrival, k, q, ivr_time, handle, acw, patience = self._rows[j]
        call = Call(self.n_created, k, arrival, handle, acw, patience)
        self.n_created += 1
        call.ivr_time = ivr_time
        call.since = now
        self._enter_queue(call, q, now)
        j += 1
        self._j = j
        if not j & 0x3FFF:  # every 16,384 calls: fold finished calls, memory stays flat
            self.recorder.flush()
        if j < len(self._entry) and self._entry[j] < self._next_block:
            heapq.heappush(self._heap, (self._entry[j], NORMAL, next(self._eid),
                                        Wake(self._cb_arrival, None)))
        else:
            self._schedule_next_block(now)

    def _on_release(self, ev: Any) -> None:
        pool, agent = ev._value
        pool.busy -= 1
        if pool.leaving:
            pool.leaving -= 1
            pool.present -= 1
            pool.present_log.append((self.env._now, pool.present))
            return
        self._next_call(pool, agent, self.env._now)

    def _on_staffing(self, ev: Any) -> None:
        pool, headcount = ev._value
        self._set_headcount(pool, headcount, self.env._now)

    # -------------------------------------------------------------------- logic

    def _enter_queue(self, call: Call, q: int, now: float) -> None:
        call.queue = q
        call.queued_at = now
        call.deadline = now + call.patience
        for pool in self.routing[q]:
            if pool.idle:
                self._answer(call, pool, pool.idle.popleft(), now)
                return
        queue = self.queues[q]
        if self.track_count:
            self._expire(now)
            cap = self.capacity
            if (cap is not None and self.total_waiting >= cap) or (
                queue.capacity is not None and queue.n_waiting >= queue.capacity
            ):
                call.outcome = BLOCKED
                call.ended_at = now
                self._record(call)
                return
            queue.n_waiting += 1
            self.total_waiting += 1
            if call.deadline < math.inf:
                heapq.heappush(self.deadlines, (call.deadline, call.id, call))
        queue.calls.append(call)

    def _answer(self, call: Call, pool: Pool, agent: int, now: float) -> None:
        if call.ctype not in self.pool_serves[pool.idx]:
            self._transfer(call, pool, agent, now)
            return
        call.answered_at = now
        call.pool = pool.idx
        call.outcome = ANSWERED
        call.ended_at = now + call.handle
        busy = call.handle + call.acw
        call.busy_end = now + busy
        pool.busy += 1
        heapq.heappush(self._heap, (call.busy_end, NORMAL, next(self._eid),
                                    Wake(self._cb_release, (pool, agent))))
        self._record(call)

    def _transfer(self, call: Call, pool: Pool, agent: int, now: float) -> None:
        """A misrouted caller is answered in the wrong queue; the agent transfers them."""
        if not self._transfer_buf:
            self._transfer_buf = self.cs.transfer_time.sample(self._transfer_rng, 1024).tolist()
        busy = self._transfer_buf.pop()
        end = now + busy
        call.mis = (call.queue, call.queued_at, now, pool.idx, end)
        call.prior_wait = now - call.queued_at
        call.deadline = math.inf  # talking to an agent: not waiting, cannot abandon
        pool.busy += 1
        self._at(end, self._cb_release, (pool, agent))
        self._at(end, self._cb_requeue, call)

    def _on_requeue(self, ev: Any) -> None:
        """The transferred caller joins the right queue; patience keeps running."""
        call: Call = ev._value
        now = self.env._now
        q = self.home[call.ctype]
        call.queue = q
        call.queued_at = now
        call.deadline = now + (call.patience - call.prior_wait)
        for pool in self.routing[q]:
            if pool.idle:
                self._answer(call, pool, pool.idle.popleft(), now)
                return
        queue = self.queues[q]
        if self.track_count:
            self._expire(now)
            queue.n_waiting += 1
            self.total_waiting += 1
            if call.deadline < math.inf:
                heapq.heappush(self.deadlines, (call.deadline, call.id, call))
        if self.cs.requeue_front:
            queue.calls.appendleft(call)
        else:
            queue.calls.append(call)

    def _abandon(self, call: Call) -> None:
        """Record *call* as having hung up at its deadline (found out now or later)."""
        wait = call.prior_wait + call.deadline - call.queued_at
        call.outcome = SHORT_ABANDON if self.short_abandon > 0 and wait <= self.short_abandon \
            else ABANDONED
        call.ended_at = call.deadline
        self._record(call)

    def _expire(self, now: float) -> None:
        """Settle every hang-up due by *now*, so waiting counts are exact."""
        heap = self.deadlines
        while heap and heap[0][0] <= now:
            deadline, _, call = heapq.heappop(heap)
            # stale entries: the call was answered, transferred or re-queued since
            if call.outcome == WAITING and call.deadline == deadline:
                self._abandon(call)
                self.queues[call.queue].n_waiting -= 1
                self.total_waiting -= 1

    def _next_call(self, pool: Pool, agent: int, now: float) -> None:
        """Agent *agent* of *pool* is free at *now*: take the longest-waiting call it serves."""
        best: Queue | None = None
        best_t = math.inf
        for q in pool.queues:
            dq = q.calls
            while dq:
                head = dq[0]
                if head.outcome != WAITING:  # already settled by _expire
                    dq.popleft()
                elif head.deadline <= now:
                    dq.popleft()
                    self._abandon(head)
                    if self.track_count:
                        q.n_waiting -= 1
                        self.total_waiting -= 1
                else:
                    if head.since < best_t:
                        best_t = head.since
                        best = q
                    break
        if best is None:
            pool.idle.append(agent)
            return
        call = best.calls.popleft()
        if self.track_count:
            best.n_waiting -= 1
            self.total_waiting -= 1
        self._answer(call, pool, agent, now)

    def _set_headcount(self, pool: Pool, target: int, now: float) -> None:
        staying = pool.present - pool.leaving
        if target > staying:
            add = target - staying
            back = min(add, pool.leaving)  # agents asked to leave stay on instead
            pool.leaving -= back
            add -= back
            for _ in range(add):
                agent = pool.next_agent
                pool.next_agent += 1
                pool.present += 1
                self._next_call(pool, agent, now)
        elif target < staying:
            remove = staying - target
            while remove and pool.idle:
                pool.idle.pop()
                pool.present -= 1
                remove -= 1
            pool.leaving += remove  # busy agents finish their call, then leave
        pool.present_log.append((now, pool.present))

    def _drain(self) -> None:
        """After the run: settle callers still waiting (abandoned at deadline, or unfinished)."""
        end = self.env._now
        for q in self.queues:
            while q.calls:
                call = q.calls.popleft()
                if call.outcome != WAITING:
                    continue
                if call.deadline <= end:
                    self._abandon(call)
                else:
                    call.outcome = UNFINISHED
                    call.ended_at = end
                    self._record(call)
        for pool in self.pools:
            pool.present_log.append((end, pool.present))



def _entry_time(row: tuple[float, int, int, float, float, float, float]) -> float:
    return row[0] + row[3]
