"""The engine's clock: simulation time, the schedule, and the loop that runs it.

Owns the only code that touches SimPy's internals (its event heap, event ids and
``_now``): scheduling a bare event at an absolute time (:attr:`Clock.at`), the loop's
own cheap timers (:meth:`Clock.timer`), and the run loop that interleaves both with
the pre-drawn callers' queue entries (:meth:`Clock.run`). SimPy is pinned ``<5`` in
pyproject.toml because of this. Imports SimPy only; nothing from callsim.

Why not ``env.timeout``: SimPy's public way to schedule costs a ``Timeout`` object and
an ``Environment.schedule`` call per event. The model schedules about one event per
answered call (agent releases, transfers, overflow visibility, staffing changes), so a
bare :class:`Wake` pushed straight onto SimPy's heap is cheaper; the loop pops and runs
it as ``Environment.step`` would (written out: one Python call less per event).
Handlers get the :class:`Wake` and read its :attr:`Wake.arg`; the time is
:attr:`Clock.now`. An event that recurs for one owner (an agent's release: an agent has
at most one call at a time) is an :class:`Alarm`, made once (:meth:`Clock.alarm`) and
set again each time: no object per event.

Three sources of work, in this order at equal times: engine events (heap order), then
the next caller's queue entry, then own timers (time, then push order).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from heapq import heappop, heappush
from typing import Any, Protocol

import simpy
from simpy.events import NORMAL, Event

Handler = Callable[["Wake"], None]
"""What runs when a :class:`Wake` fires (an engine event handler, not a customer call-back)."""


class Wake(Event):
    """A bare SimPy event of the engine's own schedule, carrying one argument.

    Its ``callbacks`` list (SimPy's name for the handlers it runs) is shared between
    events of one kind: SimPy only reads it. Create them with :attr:`Clock.at`.
    """

    _ok: bool
    """SimPy's step checks it: always True (set per instance, which reads faster in
    CPython 3.11 than a class attribute)."""
    arg: Any
    """The handler's argument (e.g. ``(pool, agent)`` for an agent release)."""


class Alarm(Wake):
    """A reusable :class:`Wake`: :meth:`set` schedules it, again once it has fired.

    While it is scheduled its ``callbacks`` are its handlers; SimPy's step sets them to
    None when it fires, so ``alarm.callbacks is None`` means "not scheduled" (an owner
    that might need two at once makes a :class:`Wake` instead). Create them with
    :meth:`Clock.alarm`.
    """

    handlers: list[Handler]
    """What runs when it fires."""

    def set(self, t: float) -> None:
        """Schedule the alarm at absolute time *t* (it must not be scheduled already)."""
        raise NotImplementedError  # the clock's own subclass pushes onto its heap


class Schedule(Protocol):
    """:attr:`Clock.at`: ``at(t, handlers, arg)`` runs *handlers* at absolute time *t*."""

    def __call__(self, t: float, handlers: list[Handler], arg: Any) -> Wake: ...


def _wake_kind(heap: list[Any], eid: Any) -> Schedule:
    """A :class:`Wake` subclass whose constructor pushes the event onto *heap*: scheduling
    then costs one Python call (the constructor) rather than two."""

    class ScheduledWake(Wake):
        __slots__ = ()

        def __init__(self, t: float, handlers: list[Handler], arg: Any) -> None:
            self.callbacks = handlers
            self._ok = True
            self.arg = arg
            heappush(heap, (t, NORMAL, next(eid), self))

    return ScheduledWake


def _alarm_kind(heap: list[Any], eid: Any) -> Callable[[list[Handler], Any], Alarm]:
    """An :class:`Alarm` subclass whose :meth:`~Alarm.set` pushes onto *heap*."""

    class ClockAlarm(Alarm):
        __slots__ = ()

        def __init__(self, handlers: list[Handler], arg: Any) -> None:
            self.callbacks = None  # type: ignore[assignment]
            self._ok = True
            self.arg = arg
            self.handlers = handlers

        def set(self, t: float) -> None:
            self.callbacks = self.handlers
            heappush(heap, (t, NORMAL, next(eid), self))

    return ClockAlarm


class Clock:
    """Simulation time and the schedule of one replication.

    Attributes
    ----------
    now
        The current simulation time (set before any handler, entry or timer runs).
    at
        ``at(t, handlers, arg)``: run *handlers* (a shared list) with a :class:`Wake`
        whose ``arg`` is *arg* at absolute time *t* (``t >= now``).
    """

    __slots__ = ("_alarm", "_env", "_heap", "at", "next_seq", "now", "timers")

    def __init__(self) -> None:
        env = simpy.Environment()
        self._env = env
        self._heap: list[Any] = env._queue
        self.timers: list[tuple[float, int, Callable[[Any, float], None], Any]] = []
        """The loop's own timers, a heap of ``(t, next_seq(), fn, arg)``: see :meth:`timer`."""
        self.next_seq: Callable[[], int] = itertools.count().__next__
        """Push order of the timers (ties at equal times run in push order)."""
        self.now = 0.0
        self.at: Schedule = _wake_kind(env._queue, env._eid)
        self._alarm: Callable[[list[Handler], Any], Alarm] = _alarm_kind(env._queue, env._eid)

    def alarm(self, handlers: list[Handler], arg: Any) -> Alarm:
        """A new, unscheduled :class:`Alarm` that runs *handlers* with *arg* each time
        it fires; ``alarm.set(t)`` schedules it. Same event order as :attr:`at`."""
        return self._alarm(handlers, arg)

    def timer(self, t: float, fn: Callable[[Any, float], None], arg: Any) -> None:
        """Call ``fn(arg, t)`` at time *t*: a timer of the loop itself, cheaper than an
        engine event (redials reaching their queue, waiting callers' hang-ups).

        The hottest callers push ``(t, next_seq(), fn, arg)`` onto :attr:`timers` with
        ``heapq.heappush`` themselves, which is all this does (one Python call less).
        """
        heappush(self.timers, (t, self.next_seq(), fn, arg))

    def run(self, t_stop: float, t_entry: float, enter: Callable[[float], float]) -> None:
        """Run everything due before *t_stop*, then set :attr:`now` to *t_stop*.

        *t_entry* is the time of the next pre-drawn caller's queue entry;
        ``enter(t)`` lets that caller in and returns the time of the next entry
        (``inf`` when there is none). Entries never sit on a heap: they come from a
        sorted list, merged here.
        """
        env = self._env
        heap = self._heap
        later = self.timers
        t_arr = t_entry
        while True:
            t_own = later[0][0] if later and later[0][0] < t_arr else t_arr
            if heap and heap[0][0] <= t_own:
                t = heap[0][0]
                if t >= t_stop:
                    break
                # Environment.step, written out: every event here is a Wake (ok, no
                # process, no StopSimulation), so it is pop, take the handlers, run them
                env._now = self.now = t
                ev = heappop(heap)[3]
                handlers = ev.callbacks
                ev.callbacks = None
                for handler in handlers:
                    handler(ev)
            elif t_own < t_stop:
                env._now = self.now = t_own
                if t_own == t_arr:
                    t_arr = enter(t_own)
                else:
                    _, _, fn, arg = heappop(later)
                    fn(arg, t_own)
            else:
                break
        env._now = self.now = t_stop
