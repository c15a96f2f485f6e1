"""The call-centre model: one replication of a compiled scenario on a SimPy environment.

Owns the event logic (arrivals, the menu walk's timing, queues, agent pools and their
routing, staffing changes, abandonment, blocking, misroute transfers, transfers out,
redials and callbacks) and nothing else: it draws from :class:`~callsim.rng.Streams`,
and hands every call whose fate is known to a :class:`~callsim.engine.recorder.Recorder`.
Imports :mod:`callsim.compiled`, the other engine modules and :mod:`callsim.rng`; never
the results, experiment or UI layers.

Design (why it is fast): SimPy is the event engine, but there is no SimPy process
per call. Callers are drawn in bulk per simulated day and enter their queues in time
order from a sorted list that the run loop interleaves with SimPy's own events
(:meth:`Model.run` drives ``env.step()``); the scheduled events are agent releases,
transfers, hang-ups where needed and staffing changes, each a bare event with a
callback pushed onto SimPy's heap: about one engine event per answered call.
Waiting calls sit in a deque per queue. Abandonment is resolved lazily where nothing
needs to know of it at once:
a caller's hang-up time (queue entry + patience) is known on entry, so when an agent
looks at a queue, callers at its head whose hang-up time has passed are recorded as
abandoned *at that time* (under FCFS the same sample path as scheduling every
hang-up). Where the hang-up must act at once — a queue capacity that needs exact
counts, callback offers that look at the queue, redials that start from the hang-up
— each waiting caller gets a hang-up event instead. Caller attributes (call type,
handle time, patience) are drawn in bulk per simulated day from design-independent
streams, so designs compared with one seed see the same callers.

Routing: on entering a queue a call goes to the first pool in its routing list that
may see it at once (overflow delay 0) and has an idle agent beyond those it keeps in
reserve for other call types; longest-idle agent first. A free agent picks, among the
queues its pool serves and may see, the head caller with the longest weighted wait,
or by call-type priority; overflow pools see a call once it has waited their delay.
No event scans all agents: pools keep idle agents in a deque.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from collections.abc import Callable
from heapq import heappop, heappush
from typing import Any

import numpy as np
import simpy
from simpy.events import NORMAL, Event

from callsim.compiled import DAY, CompiledScenario
from callsim.engine.arrivals import sample_block
from callsim.engine.call import Call, Outcome, Transfer
from callsim.engine.draws import Draws
from callsim.engine.menu import MenuWalker
from callsim.engine.recorder import Recorder
from callsim.rng import Streams

# outcome and transfer codes as plain ints on the hot path (see Call)
ANSWERED = int(Outcome.ANSWERED)
ABANDONED = int(Outcome.ABANDONED)
BLOCKED = int(Outcome.BLOCKED)
SHORT_ABANDON = int(Outcome.SHORT_ABANDON)
IVR_HANGUP = int(Outcome.IVR_HANGUP)
UNFINISHED = int(Outcome.UNFINISHED)
CALL_BACK = int(Outcome.CALL_BACK)
CALL_BACK_OPEN = int(Outcome.CALL_BACK_OPEN)
_OUT = int(Transfer.OUT)
_REFERRAL = int(Transfer.REFERRAL)
_INTERNAL = int(Transfer.INTERNAL)

Row = tuple[float, int, int, float, float, float, float]
"""A caller on its way to a queue: (arrival, call type, queue, IVR time, handle, ACW,
patience)."""


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


class Queue:
    """The FCFS waiting queue of one call type."""

    __slots__ = ("calls", "capacity", "idx", "n_waiting", "pools", "weight")

    def __init__(self, idx: int, capacity: int | None, weight: float) -> None:
        self.idx = idx
        self.calls: deque[Call] = deque()
        self.capacity = capacity
        self.weight = weight
        self.n_waiting = 0  # exact in eager mode (Model.eager)
        self.pools: list[tuple[Pool, float]] = []


class Pool:
    """An agent pool: idle agents (longest idle first), busy and present counts."""

    __slots__ = ("busy", "callbacks", "idle", "idx", "leaving", "name", "next_agent",
                 "present", "present_log", "priority", "queues", "required", "serves",
                 "simple")

    def __init__(self, idx: int, name: str) -> None:
        self.idx = idx
        self.name = name
        self.idle: deque[int] = deque()
        self.busy = 0
        self.present = 0  # idle + busy, including agents finishing a call after shift end
        self.leaving = 0  # busy agents who leave when their current call ends
        self.next_agent = 0
        self.queues: list[tuple[Queue, float]] = []  # served queues with overflow delays
        self.priority = False
        self.required: list[int] = []  # per call type: idle agents kept for others
        self.serves: list[bool] = []  # per call type
        self.callbacks: deque[Call] | None = None  # calls back to make (callback pool)
        self.simple = False  # one queue, no delay, no reserve: the fast path
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
        K = len(cs.call_types)
        self.queues = [Queue(k, ct.queue_capacity, ct.wait_weight)
                       for k, ct in enumerate(cs.call_types)]
        self.pools = [Pool(i, p.name) for i, p in enumerate(cs.pools)]
        self.routing: list[list[tuple[Pool, float]]] = [
            [(self.pools[i], after) for i, after in zip(r, o, strict=True)]
            for r, o in zip(cs.routing, cs.overflow, strict=True)
        ]
        self.immediate = [[p for p, after in r if after <= 0.0] for r in self.routing]
        self.overflow = [[(p, after) for p, after in r if 0.0 < after < math.inf]
                         for r in self.routing]
        for pool, cp in zip(self.pools, cs.pools, strict=True):
            delays: dict[int, float] = {}
            for k, route in enumerate(self.routing):
                for p, after in route:
                    if p is pool:
                        delays[k] = after
            order = [k for k in cp.skills if k in delays]
            if cp.priority_policy:  # call-type priority, then the pool's skill order
                order.sort(key=lambda k: -cs.call_types[k].priority)
            pool.queues = [(self.queues[k], delays[k]) for k in order]
            pool.priority = cp.priority_policy
            pool.serves = [k in cp.skills for k in range(K)]
            reserve = dict(cp.reserve)
            pool.required = [sum(v for t, v in reserve.items() if t != k) for k in range(K)]
            pool.simple = (len(pool.queues) == 1 and pool.queues[0][1] == 0.0
                           and not any(pool.required))
        for q in self.queues:
            q.pools = self.routing[q.idx]
        self.capacity = cs.capacity
        self.redial = any(p > 0 for p in cs.redial_p) and cs.max_attempts > 1
        self.cb_pool = self.pools[cs.callback_pool] if cs.callback_pool >= 0 else None
        if self.cb_pool is not None:
            self.cb_pool.callbacks = deque()
        self.eager = (cs.capacity is not None or any(q.capacity is not None for q in self.queues)
                      or self.redial or self.cb_pool is not None)
        self.total_waiting = 0
        self.short_abandon = cs.short_abandon
        self.n_created = 0
        self.t_stop = cs.horizon + cs.drain_limit
        self.walker = MenuWalker(cs.ivr, streams) if cs.ivr is not None else None
        self.home = list(cs.ivr.home) if cs.ivr is not None else list(range(K))
        self._transfer = Draws(streams.get("transfer"), cs.transfer_time)
        self._xfer_u = [Draws(streams.get("transfer", "out/" + ct.name))
                        for ct in cs.call_types]
        self._xfer_t = [Draws(streams.get("transfer", "out-time/" + ct.name),
                              ct.transfer_out_time) for ct in cs.call_types]
        self._xfer_p = [ct.transfer_out for ct in cs.call_types]
        self._refer_p = [ct.transfer_out + ct.referral for ct in cs.call_types]
        self._consult_p = [ct.transfer_out + ct.referral + ct.transfer_share
                           for ct in cs.call_types]
        self._leg_handle = [Draws(streams.get("transfer", "leg/" + ct.name), ct.handle)
                            for ct in cs.call_types]
        self._leg_acw = [Draws(streams.get("transfer", "leg-acw/" + ct.name), ct.acw)
                         if ct.acw is not None else None for ct in cs.call_types]
        self._redial_u = Draws(streams.get("redial"))
        self._redial_t = Draws(streams.get("redial", "delay"), cs.redial_delay)
        self._cb_u = Draws(streams.get("callback"))
        # queue entries of the loaded arrival blocks, in entry-time order
        self._day = 0
        self._next_block = 0.0
        self._j = 0
        self._entry: list[float] = []
        self._rows: list[Row] = []
        self._t_arr = math.inf
        self._seq = itertools.count()
        self._later: list[tuple[float, int, Call, int]] = []
        """The loop's own timers, cheaper than engine events: redials' queue entries
        (queue >= 0) and, in eager mode, waiting callers' hang-ups (-1)."""
        self._record = recorder.add
        self._heap = self.env._queue  # SimPy's event heap (see Wake)
        self._eid = self.env._eid
        self._cb_release: list[Any] = [self._on_release]
        self._cb_staffing: list[Any] = [self._on_staffing]
        self._cb_requeue: list[Any] = [self._on_requeue]
        self._cb_overflow: list[Any] = [self._on_overflow]
        self._cb_consult: list[Any] = [self._on_consult]

    def _at(self, t: float, callbacks: list[Any], value: Any = None) -> None:
        """Schedule *callbacks* at absolute time *t* on SimPy's heap."""
        heappush(self._heap, (t, NORMAL, next(self._eid), Wake(callbacks, value)))

    # ----------------------------------------------------------------- running

    def run(self) -> None:
        """Simulate until every call that arrived has ended (or the drain limit).

        The loop drives SimPy's environment with :meth:`simpy.Environment.step`, and
        interleaves the queue entries of the pre-drawn callers (already sorted by time)
        without putting each on the event heap: at equal times, engine events go first.
        """
        self.schedules = []
        for pool, cp in zip(self.pools, self.cs.pools, strict=True):
            times, counts = cp.realised(_absence_draw(self.streams.get("absence", cp.name),
                                                      cp.absenteeism))
            self.schedules.append((times, counts))
            pool.present_log.append((0.0, 0))
            self._set_headcount(pool, counts[0], 0.0)
            for t, h in zip(times[1:], counts[1:], strict=True):
                if t < self.t_stop:
                    self._at(t, self._cb_staffing, (pool, h))
        env = self.env
        heap = self._heap
        step = env.step
        t_stop = self.t_stop
        arrive = self._arrive
        later = self._later  # own timers: (time, seq, call, queue) or (time, seq, call, -1)
        self._next_entry()
        t_arr = self._t_arr
        while True:
            t_own = later[0][0] if later and later[0][0] < t_arr else t_arr
            if heap and heap[0][0] <= t_own:
                if heap[0][0] >= t_stop:
                    break
                step()
            elif t_own < t_stop:
                env._now = t_own
                if t_own == t_arr:
                    arrive()
                    t_arr = self._t_arr
                else:
                    _, _, call, q = heappop(later)
                    if q >= 0:  # a redial reaches its queue
                        call.since = t_own
                        self._enter_queue(call, q, t_own)
                    elif call.waiting and call.deadline == t_own:  # a hang-up falls due
                        self._abandon(call)
            else:
                break
        env._now = t_stop
        self._drain()

    def _next_entry(self) -> None:
        """Set ``_t_arr`` to the next queue entry's time, loading arrival blocks as needed
        (``inf`` when every caller has arrived)."""
        cs = self.cs
        while True:
            j = self._j
            if j < len(self._entry) and (
                self._entry[j] < self._next_block or self._day * DAY >= cs.horizon
            ):
                self._t_arr = self._entry[j]
                return
            if self._day * DAY >= cs.horizon:
                self._t_arr = math.inf
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
        kl = kinds.tolist()
        rows: list[Row] = list(zip(times.tolist(), kl, kl, [0.0] * n, handle.tolist(),
                                   acw.tolist(), patience.tolist(), strict=True))
        if self.walker is not None:
            rows = self._walk_menu(rows)
        pending = self._rows[self._j:]
        if pending:
            rows = pending + rows
        rows.sort(key=_entry_time)
        self._rows = rows
        self._entry = [r[0] + r[3] for r in rows]
        self._j = 0

    def _walk_menu(self, rows: list[Row]) -> list[Row]:
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
            self._menu_exit(call, result, t)
        return out

    def _menu_exit(self, call: Call, result: int, t: float) -> None:
        """Record a caller who left in the menu (and maybe schedule a redial)."""
        call.ivr_time = t
        call.ended_at = call.arrival + t
        call.queue = -1
        call.outcome = result
        self._record(call)
        if self.redial and call.outcome == IVR_HANGUP:
            self._maybe_redial(call, self.cs.redial_p[1])

    # ---------------------------------------------------------------- callbacks

    def _arrive(self) -> None:
        """The next pre-drawn caller reaches a queue (after the menu, if there is one)."""
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
            self._t_arr = self._entry[j]
        else:
            self._next_entry()

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

    def _on_overflow(self, ev: Any) -> None:
        """A waiting call becomes visible to an overflow pool: answer it if an agent is free."""
        call, pool, since = ev._value
        if call.waiting and call.since == since and call.deadline > self.env._now:
            q = call.queue
            if pool.idle and len(pool.idle) > pool.required[q]:
                self._take(call)
                self._answer(call, pool, pool.idle.popleft(), self.env._now)

    # -------------------------------------------------------------------- logic

    def _enter_queue(self, call: Call, q: int, now: float) -> None:
        """A caller from outside reaches queue *q*: an agent, blocked, a callback, or wait."""
        if self._to_agent(call, q, now, call.patience):
            return
        queue = self.queues[q]
        if self.eager:
            cap = self.capacity
            if (cap is not None and self.total_waiting >= cap) or (
                queue.capacity is not None and queue.n_waiting >= queue.capacity
            ):
                call.outcome = BLOCKED
                call.ended_at = now
                self._record(call)
                if self.redial:
                    self._maybe_redial(call, self.cs.redial_p[2])
                return
            if self.cb_pool is not None and queue.n_waiting >= self.cs.callback_threshold:
                call.call_back_offered = True
                if self._cb_u.next() < self.cs.callback_accept:
                    call.ended_at = now  # the caller hangs up, to be called back
                    self.cb_pool.callbacks.append(call)  # type: ignore[union-attr]
                    if self.cb_pool.idle:
                        self._next_call(self.cb_pool, self.cb_pool.idle.popleft(), now)
                    return
        self._wait(call, queue, now, front=False)

    def _to_agent(self, call: Call, q: int, now: float, patience: float) -> bool:
        """*call* reaches queue *q* with *patience* left: answer it at once if a pool that
        sees the queue without delay has an idle agent to spare (True), else False."""
        call.queue = q
        call.queued_at = now
        call.deadline = now + patience
        for pool in self.immediate[q]:
            if pool.idle and len(pool.idle) > pool.required[q]:
                self._answer(call, pool, pool.idle.popleft(), now)
                return True
        return False

    def _wait(self, call: Call, queue: Queue, now: float, front: bool) -> None:
        """*call* waits in *queue* (at the front or back), with its hang-up timer (eager
        mode) and the overflow timers of its queue's other pools."""
        if self.eager:
            queue.n_waiting += 1
            self.total_waiting += 1
            if call.deadline < math.inf:
                heappush(self._later, (call.deadline, next(self._seq), call, -1))
        call.waiting = True
        if front:
            queue.calls.appendleft(call)
        else:
            queue.calls.append(call)
        for pool, after in self.overflow[queue.idx]:
            self._at(max(now, call.since + after), self._cb_overflow, (call, pool, call.since))

    def _take(self, call: Call) -> None:
        """*call* leaves its queue to be answered (it stays in the deque, skipped later)."""
        call.waiting = False
        if self.eager:
            self.queues[call.queue].n_waiting -= 1
            self.total_waiting -= 1

    def _answer(self, call: Call, pool: Pool, agent: int, now: float) -> None:
        if not pool.serves[call.ctype]:
            self._misroute(call, pool, agent, now)
            return
        call.answered_at = now
        call.pool = pool.idx
        call.outcome = ANSWERED
        busy = call.handle
        k = call.ctype
        if self._consult_p[k] > 0.0:
            u = self._xfer_u[k].next()
            if u < self._xfer_p[k]:
                call.transfer = _OUT  # handed to an official outside the centre
                busy += self._xfer_t[k].next()
            elif u < self._refer_p[k]:
                call.transfer = _REFERRAL  # given a phone number to call
            elif u < self._consult_p[k]:
                call.transfer = _INTERNAL  # put through to another queue after this call
                busy += self._xfer_t[k].next()
                self._at(now + busy, self._cb_consult, call)
        call.ended_at = now + busy
        busy += call.acw
        call.busy_end = now + busy
        pool.busy += 1
        heappush(self._heap, (call.busy_end, NORMAL, next(self._eid),
                              Wake(self._cb_release, (pool, agent))))
        self._record(call)

    def _misroute(self, call: Call, pool: Pool, agent: int, now: float) -> None:
        """A misrouted caller is answered in the wrong queue; the agent transfers them."""
        end = now + self._transfer.next()
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
        self._join(call, self.home[call.ctype], now, self.cs.requeue_front,
                   call.patience - call.prior_wait)

    def _on_consult(self, ev: Any) -> None:
        """After a call, the caller is put through to another queue (a new internal leg)."""
        first: Call = ev._value
        now = self.env._now
        k = self.cs.call_types[first.ctype].transfer_to
        acw = self._leg_acw[k]
        leg = Call(self.n_created, k, now, self._leg_handle[k].next(),
                   acw.next() if acw is not None else 0.0, first.patience)
        self.n_created += 1
        leg.caller = first.caller if first.caller >= 0 else first.id
        leg.attempt = first.attempt
        leg.internal = True
        leg.since = now
        self._join(leg, k, now, False, leg.patience)

    def _join(self, call: Call, q: int, now: float, front: bool, patience: float) -> None:
        """Put a transferred caller into queue *q* (no capacity check: the centre moved
        them), or straight to a free agent."""
        if not self._to_agent(call, q, now, patience):
            self._wait(call, self.queues[q], now, front)

    def _abandon(self, call: Call) -> None:
        """Record *call* as having hung up at its deadline (found out now or later)."""
        self._take(call)
        wait = call.prior_wait + call.deadline - call.queued_at
        call.outcome = SHORT_ABANDON if self.short_abandon > 0 and wait <= self.short_abandon \
            else ABANDONED
        call.ended_at = call.deadline
        self._record(call)
        if self.redial:
            self._maybe_redial(call, self.cs.redial_p[0])

    def _maybe_redial(self, call: Call, p: float) -> None:
        """With probability *p* the caller calls again later (a new call, same caller)."""
        if call.attempt >= self.cs.max_attempts or p <= 0.0 or self._redial_u.next() >= p:
            return
        t = call.ended_at + self._redial_t.next()
        if t >= self.cs.horizon:
            return  # after the period: outside the simulated day
        nxt = Call(self.n_created, call.ctype, t, call.handle, call.acw, call.patience)
        self.n_created += 1
        nxt.caller = call.caller if call.caller >= 0 else call.id
        nxt.attempt = call.attempt + 1
        if self.walker is None:
            heappush(self._later, (t, next(self._seq), nxt, call.ctype))
            return
        # the menu does not depend on the state of the queues: walk it now, and schedule
        # only the queue entry (one engine event per redial instead of two)
        result, q, ivr_time = self.walker.walk(nxt.ctype)
        if q < 0:
            self._menu_exit(nxt, result, ivr_time)
            return
        nxt.ivr_time = ivr_time
        heappush(self._later, (t + ivr_time, next(self._seq), nxt, q))

    def _next_call(self, pool: Pool, agent: int, now: float) -> None:
        """Agent *agent* of *pool* is free at *now*: take the call its policy picks."""
        if pool.simple:  # one queue, no overflow delay, no reserve: take its first caller
            dq = pool.queues[0][0].calls
            while dq:
                head = dq.popleft()
                if not head.waiting:
                    continue
                if head.deadline <= now:
                    self._abandon(head)
                    continue
                self._take(head)
                self._answer(head, pool, agent, now)
                return
            self._nothing_queued(pool, agent, now)
            return
        best: Queue | None = None
        best_key = -math.inf
        free = len(pool.idle)
        for q, delay in pool.queues:
            dq = q.calls
            while dq:
                head = dq[0]
                if not head.waiting:  # answered elsewhere, transferred or hung up
                    dq.popleft()
                elif head.deadline <= now:
                    dq.popleft()
                    self._abandon(head)
                else:
                    break
            if not dq:
                continue
            head = dq[0]
            if delay and now - head.since < delay:
                continue  # not yet visible to this (overflow) pool
            if free < pool.required[q.idx]:
                continue  # agents kept in reserve for another call type
            if pool.priority:
                best = q
                break
            key = (now - head.since) * q.weight
            if key > best_key:
                best_key = key
                best = q
        if best is not None:
            call = best.calls.popleft()
            self._take(call)
            self._answer(call, pool, agent, now)
            return
        self._nothing_queued(pool, agent, now)

    def _nothing_queued(self, pool: Pool, agent: int, now: float) -> None:
        """No caller waits for this agent: make a call back if any is due, else go idle."""
        if pool.callbacks:
            self._call_back(pool.callbacks.popleft(), pool, agent, now)
        else:
            pool.idle.append(agent)

    def _call_back(self, call: Call, pool: Pool, agent: int, now: float) -> None:
        """The return-call team calls a caller back (no waiting, no abandonment)."""
        call.answered_at = now
        call.pool = pool.idx
        call.outcome = CALL_BACK
        busy = call.handle + call.acw
        call.busy_end = now + busy
        pool.busy += 1
        self._at(call.busy_end, self._cb_release, (pool, agent))
        self._record(call)

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
        """After the run: settle callers still waiting (abandoned at deadline, or unfinished)
        and calls back never made."""
        end = self.env._now
        self.redial = False  # no new attempts after the run
        for q in self.queues:
            while q.calls:
                call = q.calls.popleft()
                if not call.waiting:
                    continue
                if call.deadline <= end:
                    self._abandon(call)
                else:
                    self._take(call)
                    call.outcome = UNFINISHED
                    call.ended_at = end
                    self._record(call)
        for pool in self.pools:
            while pool.callbacks:
                call = pool.callbacks.popleft()
                call.outcome = CALL_BACK_OPEN
                self._record(call)
            pool.present_log.append((end, pool.present))


def _absence_draw(rng: np.random.Generator, p: float) -> Callable[[int, int], int]:
    """Agents present of *n* scheduled in a group, each absent with probability *p*."""

    def draw(group: int, n: int) -> int:
        return int(rng.binomial(n, 1.0 - p))

    return draw


def _entry_time(row: Row) -> float:
    return row[0] + row[3]
