"""Callers hanging up while they wait: the lazy and the eager mode, in one place.

A caller's hang-up time is known the moment they reach a queue (``Call.deadline`` =
entry + patience left). Owns what follows from it: who counts as waiting, when a
waiting caller is found to have hung up, and how that is recorded (``abandoned``, or
``short_abandon`` within the short-abandon threshold). Imports
:mod:`callsim.engine.call`, :mod:`callsim.engine.clock` and
:mod:`callsim.engine.routing`; never the model.

* Lazy (:class:`Abandonment`): nothing is scheduled. A pool looking at a queue's head
  (:meth:`~callsim.engine.routing.Router.select_call`) hands callers past their
  hang-up time to :meth:`Abandonment.hang_up`, which records them *at that time*.
  Under FCFS this is the same sample path as scheduling every hang-up
  (``tests/unit/test_same_numbers.py`` compares the two), at no cost for callers who
  are answered first.
* Eager (:class:`EagerAbandonment`): each waiting caller gets a hang-up timer, and the
  waiting counts (``Queue.n_waiting``, :attr:`EagerAbandonment.total`) are exact. The
  model uses it where something must know at once: a queue capacity, call-back offers
  and queue announcements (they look at the counts), redials (they start from the
  hang-up).

At the end of the run the model's drain hands callers past their hang-up time to
:meth:`Abandonment.hang_up` too.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from heapq import heappush

from callsim.engine.call import Call, Outcome
from callsim.engine.clock import Clock
from callsim.engine.routing import Queue

_ABANDONED = int(Outcome.ABANDONED)
_SHORT_ABANDON = int(Outcome.SHORT_ABANDON)


class Abandonment:
    """Lazy abandonment (see the module docstring).

    Parameters
    ----------
    short_abandon
        Callers who hang up within this many seconds of reaching the queue (their
        waits in wrong queues included) are short abandons; 0: none.
    record
        Records a finished call.
    """

    __slots__ = ("eager", "on_lost", "queues", "record", "short", "total")

    def __init__(self, short_abandon: float, record: Callable[[Call], None]) -> None:
        self.eager = isinstance(self, EagerAbandonment)
        """Hang-up timers and exact counts (a slot: read on every hang-up)."""
        self.short = short_abandon
        self.record = record
        self.total = 0
        """Callers waiting in all queues: exact in eager mode only."""
        self.queues: list[Queue] = []
        """The model's queues, by index (set by the model; eager mode keeps their
        ``n_waiting`` exact)."""
        self.on_lost: Callable[[Call], None] | None = None
        """Called after a hang-up is recorded (redials), or None."""

    def wait(self, call: Call, queue: Queue) -> None:
        """*call* starts waiting in *queue* (eager mode only: the model skips the call
        in lazy mode)."""

    def take(self, call: Call) -> None:
        """*call* stops waiting: answered, or hung up (it stays in its queue's deque,
        skipped by the next pool that looks)."""
        call.waiting = False

    def hang_up(self, call: Call) -> None:
        """Record *call* as having hung up at its deadline (found out now or later)."""
        call.waiting = False  # take(call), written out: a hang-up is a hot path
        if self.eager:
            self.queues[call.queue].n_waiting -= 1
            self.total -= 1
        wait = call.prior_wait + call.deadline - call.queued_at
        call.outcome = _SHORT_ABANDON if self.short > 0 and wait <= self.short else _ABANDONED
        call.ended_at = call.deadline
        self.record(call)
        on_lost = self.on_lost
        if on_lost is not None:
            on_lost(call)


class EagerAbandonment(Abandonment):
    """Eager abandonment: hang-up timers and exact waiting counts.

    Parameters
    ----------
    short_abandon, record
        As for :class:`Abandonment`.
    clock
        Runs the hang-up timers.
    """

    __slots__ = ("_due", "_next_seq", "_timers")

    def __init__(self, short_abandon: float, record: Callable[[Call], None],
                 clock: Clock) -> None:
        super().__init__(short_abandon, record)
        self._timers = clock.timers
        self._next_seq = clock.next_seq
        self._due = self.due

    def wait(self, call: Call, queue: Queue) -> None:
        queue.n_waiting += 1
        self.total += 1
        if call.deadline < math.inf:  # Clock.timer(deadline, due, call), written out
            heappush(self._timers, (call.deadline, self._next_seq(), self._due, call))

    def take(self, call: Call) -> None:
        call.waiting = False
        self.queues[call.queue].n_waiting -= 1
        self.total -= 1

    def due(self, call: Call, t: float) -> None:
        """A hang-up timer fires: the caller hangs up if still waiting with this deadline
        (a transferred caller gets a new timer; the old one finds another deadline)."""
        if call.waiting and call.deadline == t:
            self.hang_up(call)
