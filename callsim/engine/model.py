"""The call-centre model: one replication of a compiled scenario, run on a :class:`Clock`.

Owns the run: callers entering their queues, agents answering and freeing, staffing
changes, queue limits, and the drain at the end; it wires the rooms together and
hands every call whose fate is known to a :class:`~callsim.engine.recorder.Recorder`.
The other rooms: routing (:mod:`~callsim.engine.routing`), abandonment
(:mod:`~callsim.engine.abandonment`), behaviours (:mod:`~callsim.engine.behaviour`,
:mod:`~callsim.engine.transfers`, :mod:`~callsim.engine.announce`), the menu walk
(:mod:`~callsim.engine.menu`), the clock (:mod:`~callsim.engine.clock`, the only code
touching SimPy's internals), open hours (:mod:`~callsim.engine.hours`) and contact
channels (:mod:`~callsim.engine.channels`), both installed only when a scenario has them.
Imports :mod:`callsim.compiled`, :mod:`callsim.errors`, :mod:`callsim.rng` and the engine
modules; never the results, experiment or UI layers.

Design (why it is fast): SimPy is the event engine, but there is no SimPy process
per call. Callers are drawn in bulk per simulated day, walked through the menu, and
enter their queues in time order from a sorted list that the clock's loop merges with
the scheduled events (agent releases, transfers, overflow visibility, staffing
changes: about one engine event per answered call) and the loop's own timers
(redials reaching their queue, hang-ups in eager mode). Waiting calls sit in a deque
per queue; abandonment is lazy where nothing needs to know of a hang-up at once (see
:mod:`~callsim.engine.abandonment`). Caller attributes (call type, handle time,
patience) are drawn in bulk per simulated day from design-independent streams, so
designs compared with one seed see the same callers.

Hot paths (``_arrive``, ``enter``, ``_answer``, ``_on_release``) are written out
rather than factored into helpers: each Python call is a measurable share of a run.
That, and keeping the run loop's state in one object the behaviours share, is why this
file is longer than ~500 lines; policies and behaviours live in their own modules.
"""

from __future__ import annotations

import gc
import itertools
import math
from collections.abc import Callable

import numpy as np

from callsim.compiled import DAY, CompiledScenario
from callsim.compiled.hours import Treatment, Window
from callsim.engine.abandonment import Abandonment, EagerAbandonment
from callsim.engine.announce import Announcements
from callsim.engine.arrivals import sample_block
from callsim.engine.behaviour import Behaviour, CallBacks, Redials, hook
from callsim.engine.call import Call, Outcome
from callsim.engine.callers import arrival_clock, draw_blocked, trace_block
from callsim.engine.channels import Channels
from callsim.engine.clock import Alarm, Clock, Handler, Wake
from callsim.engine.hours import OpenHours, TimedOptions
from callsim.engine.menu import MenuWalker
from callsim.engine.recorder import FLUSH_EVERY, Recorder, Tallies
from callsim.engine.routing import Pool, Queue, build_routing
from callsim.engine.transfers import Misroutes, Transfers
from callsim.errors import ModelError
from callsim.rng import Streams

# outcome codes as plain ints on the hot path (see Call)
_ANSWERED = int(Outcome.ANSWERED)
_BLOCKED = int(Outcome.BLOCKED)
_UNFINISHED = int(Outcome.UNFINISHED)
_FLUSH_MASK = FLUSH_EVERY - 1

Row = tuple[float, int, int, float, float, float, float]
"""A caller on its way to a queue: (arrival, call type, queue, IVR time, handle, ACW,
patience)."""


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

    DIRECT_ANSWERS = True
    """Record callers answered on arrival without a :class:`Call` object (see
    :meth:`_arrive`); False runs every call through :meth:`_answer` (the same numbers:
    the tests compare the two)."""

    def __init__(self, cs: CompiledScenario, streams: Streams, recorder: Recorder) -> None:
        self.cs = cs
        self.streams = streams
        self.recorder = recorder
        self.record: Callable[[Call], None] = recorder.add
        self.clock = Clock()
        self._at = self.clock.at
        redial = any(p > 0 for p in cs.redial_p) and cs.max_attempts > 1
        self.eager = (cs.capacity is not None
                      or any(ct.queue_capacity is not None for ct in cs.call_types)
                      or redial or cs.callback_pool >= 0 or Announcements.active(cs))
        ab = (EagerAbandonment(cs.short_abandon, self.record, self.clock)
              if self.eager else Abandonment(cs.short_abandon, self.record))
        self.queues, self.pools = build_routing(cs, ab.hang_up)
        ab.queues = self.queues
        self.abandonment = ab
        self._take = ab.take
        self._ab_wait = ab.wait if ab.eager else None
        self.capacity = cs.capacity
        self.next_id: Callable[[], int] = itertools.count().__next__
        """Call ids in creation order (a C-level counter: no Python call per call)."""
        self.t_stop = cs.horizon + cs.drain_limit
        # --- time-of-day routing and channels (engine/hours.py, engine/channels.py):
        # installed only when the scenario has them. Closed queues wrap enter/join (before
        # any behaviour takes a reference to them); channels split each arrival block.
        self._hour_rules: list[tuple[Window, Treatment] | None] | None = None
        """Per queue, its open hours (None: always open), or None without open hours:
        :meth:`_arrive` writes :meth:`enter` out unless the caller's queue is closed."""
        if OpenHours.active(cs):
            hours = OpenHours(self, cs, ab, self.t_stop)
            self._hour_rules = hours.rules
            self.enter, self.join = hours.guard(self.enter, self.join)  # type: ignore[method-assign,assignment]
        self.walker = (MenuWalker(cs.ivr, streams, TimedOptions.of(cs))
                       if cs.ivr is not None else None)
        home = list(cs.ivr.home) if cs.ivr is not None else list(range(len(cs.call_types)))
        self.channels = Channels(cs, streams, home) if cs.channels is not None else None
        # ---
        self.misroutes = Misroutes(self, cs, streams, home)
        behaviours: list[Behaviour] = []  # on_enter: announcements, then call-back offers
        if Announcements.active(cs):
            behaviours.append(Announcements(self, cs, streams))
        if cs.callback_pool >= 0:
            behaviours.append(CallBacks(self, cs, streams))
        if redial:
            behaviours.append(Redials(self, cs, streams, self.walker))
        if Transfers.active(cs):
            behaviours.append(Transfers(self, cs, streams))
        self.behaviours = behaviours
        self._on_enter = hook(behaviours, "on_enter")
        self._on_lost = hook(behaviours, "on_lost")
        self._on_answer = hook(behaviours, "on_answer")
        self._on_idle = hook(behaviours, "on_idle")
        self._on_drain = hook(behaviours, "on_drain")
        ab.on_lost = self._on_lost
        self._direct = self.DIRECT_ANSWERS and self._on_answer is None
        """Callers answered on arrival skip the :class:`Call` object (see :meth:`_arrive`)."""
        self._plain_wait = not self.eager and self._on_enter is None
        """A caller no agent takes waits (:meth:`_no_agent` has nothing to decide)."""
        self._record_answered = recorder.add_answered
        self._release: list[Handler] = [self._on_release]
        self._alarms: list[list[Alarm]] = [[] for _ in self.pools]
        """Per pool, per agent: the agent's release (an agent holds one call at a time;
        made when the agent joins, see :meth:`_set_headcount`)."""
        self._staffing: list[Handler] = [self._on_staffing]
        self._overflow: list[Handler] = [self._on_overflow]
        # queue entries of the loaded arrival blocks, in entry-time order
        self._day = 0
        self._next_block = 0.0
        self._j = 0
        self._entry: list[float] = []
        self._rows: list[Row] = []

    # ----------------------------------------------------------------- running

    def run(self) -> Tallies:
        """Simulate until every call that arrived has ended (or the drain limit), and
        return the recorder's tallies.

        Python's cyclic garbage collector is paused meanwhile (and restored after): a
        run allocates hundreds of thousands of calls, rows and events, none of them in a
        reference cycle, and the collections they trigger cost about a tenth of the
        run. Memory is still freed as the calls are folded (reference counting).
        """
        enabled = gc.isenabled()
        gc.disable()
        try:
            return self._run()
        finally:
            if enabled:
                gc.enable()

    def _run(self) -> Tallies:
        for pool, cp in zip(self.pools, self.cs.pools, strict=True):
            times, counts = cp.realised(_absence_draw(self.streams.get("absence", cp.name),
                                                      cp.absenteeism))
            pool.present_log.append((0.0, 0))
            self._set_headcount(pool, counts[0], 0.0)
            for t, h in zip(times[1:], counts[1:], strict=True):
                if t < self.t_stop:
                    self._at(t, self._staffing, (pool, h))
        self.clock.run(self.t_stop, self._next_entry(), self._arrive)
        self._drain()
        n_created = self.next_id()  # the first id not handed out
        tallies = self.recorder.finish([p.present_log for p in self.pools], n_created,
                                       self.clock.now)
        if self.channels is not None:
            tallies.channels = self.channels.result()
        return tallies

    def _next_entry(self) -> float:
        """The next queue entry's time, loading arrival blocks as needed (``inf`` when
        every caller has arrived)."""
        cs = self.cs
        while True:
            j = self._j
            if j < len(self._entry) and (
                self._entry[j] < self._next_block or self._day * DAY >= cs.horizon
            ):
                return self._entry[j]
            if self._day * DAY >= cs.horizon:
                return math.inf
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
        recorded = None
        if cs.trace is not None:  # issue 11: recorded arrivals (and talk times)
            times, kinds, recorded = trace_block(cs, a, b)
        else:
            times, kinds = sample_block(cs, self.streams, a, b)
        n = times.size
        handle = np.empty(n)
        acw = np.zeros(n)
        patience = np.empty(n)
        for k, ct in enumerate(cs.call_types):
            idx = np.flatnonzero(kinds == k)
            if idx.size == 0:
                continue
            if ct.blocks:  # issue 11: by_time blocks, by the arrival clock
                handle[idx], acw[idx], patience[idx] = draw_blocked(
                    ct, arrival_clock(cs, times[idx]), self.streams)
                continue
            handle[idx] = ct.handle.sample(self.streams.get("handle", ct.name), idx.size)
            patience[idx] = ct.patience.sample(self.streams.get("patience", ct.name), idx.size)
            if ct.acw is not None:
                acw[idx] = ct.acw.sample(self.streams.get("after_call_work", ct.name), idx.size)
        if recorded is not None:
            known = ~np.isnan(recorded)
            handle[known] = recorded[known]
        kl = kinds.tolist()
        rows: list[Row] = list(zip(times.tolist(), kl, kl, [0.0] * n, handle.tolist(),
                                   acw.tolist(), patience.tolist(), strict=True))
        direct: list[Row] = []
        if self.channels is not None:  # some try a channel first (engine/channels.py)
            rows, direct = self.channels.route(rows, times, kinds)
        pending = self._rows[self._j:]
        if (self.walker is None and not pending and not direct
                and not np.any(times[1:] < times[:-1])):
            # no menu: each caller enters their queue on arrival, already in order
            self._rows = rows
            self._entry = [r[0] for r in rows]
            self._j = 0
            return
        if self.walker is not None:
            rows = self._walk_menu(rows)
        if pending or direct:
            rows = pending + rows + direct
        rows.sort(key=_entry_time)
        self._rows = rows
        self._entry = [r[0] + r[3] for r in rows]
        self._j = 0

    def _walk_menu(self, rows: list[Row]) -> list[Row]:
        """Send each caller through the menu; record those who never reach a queue."""
        walk = self.walker.walk  # type: ignore[union-attr]
        out = []
        for r in rows:
            outcome, q, t = walk(r[1], r[0])
            if q >= 0:
                out.append((r[0], r[1], q, t, r[4], r[5], r[6]))
                continue
            self.menu_exit(Call(self.next_id(), r[1], r[0], r[4], r[5], r[6]), outcome, t)
        return out

    # ------------------------------------------------- what behaviours may use

    def menu_exit(self, call: Call, outcome: int, t: float) -> None:
        """Record *call* as having left in the menu after *t* seconds with *outcome*."""
        call.ivr_time = t
        call.ended_at = call.arrival + t
        call.queue = -1
        call.outcome = outcome
        self.record(call)
        on_lost = self._on_lost
        if on_lost is not None:
            on_lost(call)

    def lost(self, call: Call) -> None:
        """*call* ended unserved and was recorded: run the ``on_lost`` hooks (redials)."""
        on_lost = self._on_lost
        if on_lost is not None:
            on_lost(call)

    def enter(self, call: Call, now: float) -> None:
        """A caller from outside (a first attempt or a redial, after the menu) reaches
        queue ``call.queue``: an agent, blocked (queue full), a behaviour ends the wait
        (``on_enter``), or they wait."""
        call.since = now
        queue = self.queues[call.queue]
        call.queued_at = now
        call.deadline = now + call.patience
        for pool in queue.immediate:
            agent = pool.select_agent(queue)
            if agent >= 0:
                self._answer(call, pool, agent, now)
                return
        self._no_agent(call, queue, now)

    def _no_agent(self, call: Call, queue: Queue, now: float) -> None:
        """No agent takes *call*, which reached *queue* from outside: blocked (queue
        full), a behaviour ends the wait (``on_enter``), or they wait."""
        if self.eager:
            cap = self.capacity
            if (cap is not None and self.abandonment.total >= cap) or (
                queue.capacity is not None and queue.n_waiting >= queue.capacity
            ):
                call.outcome = _BLOCKED
                call.ended_at = now
                self.record(call)
                on_lost = self._on_lost
                if on_lost is not None:
                    on_lost(call)
                return
        on_enter = self._on_enter
        if on_enter is not None and on_enter(call, queue, now):
            return
        self._wait(call, queue, now, False)

    def join(self, call: Call, q: int, now: float, front: bool, patience: float) -> None:
        """Put a transferred caller into queue *q* with *patience* left (no capacity
        check: the centre moved them), or straight to a free agent."""
        queue = self.queues[q]
        call.queue = q
        call.queued_at = now
        call.deadline = now + patience
        for pool in queue.immediate:
            agent = pool.select_agent(queue)
            if agent >= 0:
                self._answer(call, pool, agent, now)
                return
        self._wait(call, queue, now, front)

    def agent_free(self, pool: Pool, agent: int, now: float) -> None:
        """*agent* of *pool* is free at *now*: take the call its policy picks, else make
        a call-back if any is due, else go idle (as in :meth:`_on_release`)."""
        call = pool.select_call(now)
        if call is not None:
            self._take(call)
            self._answer(call, pool, agent, now)
        elif pool.call_backs:
            self._on_idle(pool, agent, now)
        else:
            pool.idle.append(agent)

    def hold_agent(self, pool: Pool, agent: int, until: float) -> None:
        """*agent* of *pool* is busy until *until*, then free."""
        pool.busy += 1
        alarm = self._alarms[pool.idx][agent]
        if alarm.callbacks is None:
            alarm.set(until)
        else:  # already holding a call: a release of its own
            self._at(until, self._release, (pool, agent))

    # --------------------------------------------------------------- the core

    def _arrive(self, now: float) -> float:
        """The next pre-drawn caller reaches their queue (:meth:`enter`, written out);
        returns the next entry time.

        A caller answered at once by a pool with their skill, with no ``on_answer``
        hook to run, needs no :class:`Call` object: :meth:`_answer`'s arithmetic is
        written out here and the call goes to the recorder as a row
        (:meth:`Recorder.add_answered`). Keep the two in step:
        ``tests/unit/test_same_numbers.py`` runs the model with and without this path.
        """
        j = self._j
        arrival, k, q, ivr_time, handle, acw, patience = self._rows[j]
        rules = self._hour_rules
        if rules is not None:
            rule = rules[q]
            if rule is not None and not rule[0].is_open(now):  # closed: the guard decides
                call = Call(self.next_id(), k, arrival, handle, acw, patience)
                call.ivr_time = ivr_time
                call.queue = q
                self.enter(call, now)
                return self._arrived(j)
        queue = self.queues[q]
        for pool in queue.immediate:
            agent = pool.select_agent(queue)
            if agent < 0:
                continue
            if self._direct and pool.serves[k]:  # _answer without a Call
                factor = pool.handle_factor
                busy = handle * factor[k] if factor is not None else handle
                ended = now + busy
                end = now + (busy + acw)
                pool.busy += 1
                alarm = self._alarms[pool.idx][agent]
                if alarm.callbacks is None:
                    alarm.set(end)
                else:
                    self._at(end, self._release, (pool, agent))
                self._record_answered(self.next_id(), k, q, pool.idx, arrival, now, ended,
                                      end, ivr_time)
            else:
                call = Call(self.next_id(), k, arrival, handle, acw, patience)
                call.ivr_time = ivr_time
                call.queue = q
                call.since = call.queued_at = now
                call.deadline = now + patience
                self._answer(call, pool, agent, now)
            break
        else:
            call = Call(self.next_id(), k, arrival, handle, acw, patience)
            call.ivr_time = ivr_time
            call.queue = q
            call.since = call.queued_at = now
            call.deadline = now + patience
            if self._plain_wait:  # _no_agent with nothing to decide: they wait
                self._wait(call, queue, now, False)
            else:
                self._no_agent(call, queue, now)
        j += 1  # _arrived, written out for the usual case: no fold, same arrival block
        if j & _FLUSH_MASK and j < len(self._entry):
            t = self._entry[j]
            if t < self._next_block:
                self._j = j
                return t
        return self._arrived(j - 1)

    def _arrived(self, j: int) -> float:
        """Caller *j* has entered: the next entry time."""
        j += 1
        self._j = j
        if not j & _FLUSH_MASK:  # fold finished calls: memory stays flat
            self.recorder.flush()
        if j < len(self._entry) and self._entry[j] < self._next_block:
            return self._entry[j]
        return self._next_entry()

    def _wait(self, call: Call, queue: Queue, now: float, front: bool) -> None:
        """*call* waits in *queue* (at the front or back), with its hang-up timer (eager
        mode) and the overflow timers of its queue's other pools."""
        ab_wait = self._ab_wait
        if ab_wait is not None:
            ab_wait(call, queue)
        call.waiting = True
        if front:
            queue.calls.appendleft(call)
        else:
            queue.calls.append(call)
        for pool, after in queue.overflow:
            self._at(max(now, call.since + after), self._overflow, (call, pool, call.since))

    def _answer(self, call: Call, pool: Pool, agent: int, now: float) -> None:
        """*agent* of *pool* answers *call* (a misrouted caller is transferred).

        Written out for callers answered on arrival in :meth:`_arrive` and for the next
        caller of a freed agent in :meth:`_on_release`: keep in step."""
        k = call.ctype
        if not pool.serves[k]:
            self.misroutes.on_misrouted(call, pool, agent, now)
            return
        call.answered_at = now
        call.pool = pool.idx
        call.outcome = _ANSWERED
        busy = call.handle
        factor = pool.handle_factor  # slower on secondary skills
        if factor is not None:
            busy *= factor[k]
        on_answer = self._on_answer
        if on_answer is not None:
            busy = on_answer(call, now, busy)
        call.ended_at = now + busy
        busy += call.acw
        end = call.busy_end = now + busy
        pool.busy += 1
        alarm = self._alarms[pool.idx][agent]
        if alarm.callbacks is None:
            alarm.set(end)
        else:  # already holding a call: a release of its own
            self._at(end, self._release, (pool, agent))
        self.record(call)

    def _on_release(self, ev: Wake) -> None:
        """An agent finishes a call: leaves (shift over) or takes the next one."""
        pool, agent = ev.arg
        pool.busy -= 1
        now = self.clock.now
        if pool.leaving:
            pool.leaving -= 1
            pool.present -= 1
            pool.present_log.append((now, pool.present))
            return
        # agent_free, written out (the hottest path)
        call = pool.select_call(now)
        if call is not None:
            self._take(call)
            k = call.ctype
            if not self._direct or not pool.serves[k]:
                self._answer(call, pool, agent, now)
                return
            # _answer, written out (no on_answer hook, the pool has the skill): keep in step
            call.answered_at = now
            call.pool = pool.idx
            call.outcome = _ANSWERED
            busy = call.handle
            factor = pool.handle_factor
            if factor is not None:
                busy *= factor[k]
            call.ended_at = now + busy
            end = call.busy_end = now + (busy + call.acw)
            pool.busy += 1
            alarm = self._alarms[pool.idx][agent]
            if alarm.callbacks is None:
                alarm.set(end)
            else:
                self._at(end, self._release, (pool, agent))
            self.record(call)
        elif pool.call_backs:
            self._on_idle(pool, agent, now)
        else:
            pool.idle.append(agent)

    def _on_overflow(self, ev: Wake) -> None:
        """A waiting call becomes visible to an overflow pool: answered if an agent may."""
        call, pool, since = ev.arg
        now = self.clock.now
        if call.waiting and call.since == since and call.deadline > now:
            agent = pool.select_agent(self.queues[call.queue])
            if agent >= 0:
                self._take(call)
                self._answer(call, pool, agent, now)

    # ---------------------------------------------------------------- staffing

    def _on_staffing(self, ev: Wake) -> None:
        pool, headcount = ev.arg
        self._set_headcount(pool, headcount, self.clock.now)

    def _set_headcount(self, pool: Pool, target: int, now: float) -> None:
        """Agents join (and take waiting calls) or leave (idle ones at once, longest
        idle last; busy ones when their call ends)."""
        staying = pool.present - pool.leaving
        if target > staying:
            add = target - staying
            back = min(add, pool.leaving)  # agents asked to leave stay on instead
            pool.leaving -= back
            add -= back
            for _ in range(add):
                agent = pool.next_agent
                pool.next_agent += 1
                self._alarms[pool.idx].append(self.clock.alarm(self._release, (pool, agent)))
                pool.present += 1
                self.agent_free(pool, agent, now)
        elif target < staying:
            remove = staying - target
            while remove and pool.idle:
                pool.idle.pop()
                pool.present -= 1
                remove -= 1
            pool.leaving += remove  # busy agents finish their call, then leave
        pool.present_log.append((now, pool.present))

    # ------------------------------------------------------------------- drain

    def _drain(self) -> None:
        """After the run: settle callers still waiting (abandoned at their deadline, or
        unfinished), then what behaviours hold open (call-backs never made)."""
        end = self.clock.now
        self.abandonment.on_lost = None  # no new attempts after the run
        for q in self.queues:
            while q.calls:
                call = q.calls.popleft()
                if not call.waiting:
                    continue
                if call.deadline <= end:
                    self.abandonment.hang_up(call)
                else:
                    self._take(call)
                    call.outcome = _UNFINISHED
                    call.ended_at = end
                    self.record(call)
        if self._on_drain is not None:
            self._on_drain(end)
        for pool in self.pools:
            pool.present_log.append((end, pool.present))
        self.check(end)

    def check(self, t: float) -> None:
        """Raise :class:`~callsim.errors.ModelError` if the pools' or queues' counts are
        inconsistent at time *t* (after the drain: no caller waits)."""
        for pool in self.pools:
            idle = len(pool.idle)
            if idle + pool.busy != pool.present or min(pool.busy, pool.leaving) < 0 \
                    or pool.leaving > pool.busy:
                raise ModelError(
                    f"pool {pool.name!r} at t={t:g}: {idle} idle + {pool.busy} busy != "
                    f"{pool.present} present, or {pool.leaving} leaving (at most the busy)")
        if self.eager:
            counts = [q.n_waiting for q in self.queues]
            if any(counts) or self.abandonment.total:
                raise ModelError(f"at t={t:g}, after the drain: waiting counts per queue "
                                 f"{counts}, total {self.abandonment.total} (all must be 0)")


def _absence_draw(rng: np.random.Generator, p: float) -> Callable[[int, int], int]:
    """Agents present of *n* scheduled in a group, each absent with probability *p*."""

    def draw(group: int, n: int) -> int:
        return int(rng.binomial(n, 1.0 - p))

    return draw


def _entry_time(row: Row) -> float:
    return row[0] + row[3]

