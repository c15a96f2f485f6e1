"""Queue announcements and balking: callers told their expected wait or position may
hang up at once.

Owns :class:`Announcements`, an ``on_enter`` behaviour (see
:mod:`callsim.engine.behaviour`): a caller from outside who must wait in a queue whose
call type has ``announce`` hears the announced value and hangs up with the probability
the ``balk`` points give for it (outcome ``balked``, recorded at once with a wait of 0;
redials treat it like an abandon). One uniform from the ``balk`` stream per caller who
hears an announcement. Imports :mod:`callsim.compiled`, :mod:`callsim.rng` and the
engine's behaviour, call, draws and routing modules; never the model.

What is announced, to the caller about to join with ``n`` callers waiting ahead:

* ``position``: ``n + 1``;
* ``expected_wait``: ``(n + 1) × m / s``, with ``m`` the call type's mean handle time
  plus after-call work and ``s`` the agents present (and not about to leave) in the
  pools that see the queue at once: the queue-length estimator that is exact for the
  expected wait in an M/M/s queue without abandonment (Whitt, 1999). With no such
  agent, the wait is infinite (the last point's probability). It does not know of
  other queues the pools serve, of overflow pools or of abandonment, as an ACD's
  estimate would not.

The counts are exact: announcements put the model in eager abandonment mode.
"""

from __future__ import annotations

import math
from bisect import bisect_right

from callsim.compiled import CompiledScenario
from callsim.engine.behaviour import Behaviour, Engine
from callsim.engine.call import Call, Outcome
from callsim.engine.draws import Draws
from callsim.engine.routing import Queue
from callsim.rng import Streams

_BALKED = int(Outcome.BALKED)


class BalkCurve:
    """Balk probability by announced value: linear between points, flat outside."""

    __slots__ = ("p", "x")

    def __init__(self, points: tuple[tuple[float, float], ...]) -> None:
        self.x = [x for x, _ in points]
        self.p = [p for _, p in points]

    def __call__(self, value: float) -> float:
        x, p = self.x, self.p
        i = bisect_right(x, value)
        if i == 0:
            return p[0]
        if i == len(x):
            return p[-1]
        w = (value - x[i - 1]) / (x[i] - x[i - 1])
        return p[i - 1] + w * (p[i] - p[i - 1])


class Announcements(Behaviour):
    """Queue announcements (``call_types.<name>.announce``) and the callers who balk."""

    def __init__(self, engine: Engine, cs: CompiledScenario, streams: Streams) -> None:
        self.engine = engine
        self.record = engine.record
        self.u = Draws(streams.get("balk")).next
        self.plans: list[tuple[bool, float, BalkCurve] | None] = []
        """Per queue: (announce the position?, mean agent time per call, balk curve)."""
        for ct in cs.call_types:
            if ct.announce is None:
                self.plans.append(None)
                continue
            mode, points = ct.announce
            busy = ct.handle.mean + (ct.acw.mean if ct.acw is not None else 0.0)
            self.plans.append((mode == "position", busy, BalkCurve(points)))

    @staticmethod
    def active(cs: CompiledScenario) -> bool:
        """Whether any call type's queue has an announcement."""
        return any(ct.announce is not None for ct in cs.call_types)

    @staticmethod
    def expected_wait(queue: Queue, mean_busy: float) -> float:
        """What ``expected_wait`` announces to a caller joining *queue* (see the module
        docstring)."""
        agents = sum(p.present - p.leaving for p in queue.immediate)
        if agents <= 0:
            return math.inf
        return (queue.n_waiting + 1) * mean_busy / agents

    def on_enter(self, call: Call, queue: Queue, now: float) -> bool:
        plan = self.plans[queue.idx]
        if plan is None:
            return False
        by_position, mean_busy, curve = plan
        value = (queue.n_waiting + 1.0 if by_position
                 else self.expected_wait(queue, mean_busy))
        if self.u() >= curve(value):
            return False
        call.outcome = _BALKED
        call.ended_at = now
        self.record(call)
        self.engine.lost(call)
        return True
