"""Caller and centre behaviours plugged into the model through hooks.

Owns :class:`Behaviour` (the hook points), :class:`Engine` (what a behaviour may ask of
the model), :func:`hook` (how the model combines the behaviours' hooks), and two
behaviours: :class:`Redials` (callers who try again) and :class:`CallBacks` (callers
who leave the queue to be called back, and the pool that calls them). Transfers live
in :mod:`callsim.engine.transfers`, queue announcements (balking) in
:mod:`callsim.engine.announce`. Imports :mod:`callsim.compiled`, :mod:`callsim.rng` and
the engine's call, clock, draws, menu and routing modules; never the model (it is
reached through :class:`Engine`).

Vocabulary: a *call-back* (``CallBacks``, ``call_back``) is the centre phoning a
customer back; engine event *handlers* run when a :class:`~callsim.engine.clock.Wake`
fires (SimPy calls them "callbacks").

Hooks (a behaviour overrides the ones it needs; the model calls only those):

``on_enter(call, queue, now) -> bool``
    A caller from outside reached *queue*, no agent is free and the queue had room:
    True if the behaviour ended the wait (a call-back accepted, a balk).
``on_lost(call)``
    A call ended unserved and was recorded (abandoned, short abandon, blocked, balked,
    or left in the menu).
``on_answer(call, now, busy) -> float``
    An agent answered *call* at *now* with talk time *busy*: the agent's busy time
    before after-call work (transfers add to it).
``on_idle(pool, agent, now)``
    An agent of a pool holding call-backs (``Pool.call_backs`` non-empty) is free and
    no call waits for them.
``on_drain(end)``
    The run stopped at *end*: record what is still open.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from heapq import heappush
from typing import Any, Protocol

from callsim.compiled import CompiledScenario
from callsim.engine.call import N_OUT, Call, Outcome
from callsim.engine.clock import Clock
from callsim.engine.draws import Draws
from callsim.engine.menu import MenuWalker
from callsim.engine.routing import Pool, Queue
from callsim.rng import Streams

_CALL_BACK = int(Outcome.CALL_BACK)
_CALL_BACK_OPEN = int(Outcome.CALL_BACK_OPEN)


class Engine(Protocol):
    """What behaviours may use of the model (:class:`~callsim.engine.model.Model`)."""

    clock: Clock
    queues: list[Queue]
    pools: list[Pool]
    record: Callable[[Call], None]
    """Hand a finished call to the recorder."""
    next_id: Callable[[], int]
    """The next call id (every new :class:`~callsim.engine.call.Call` takes one)."""

    def enter(self, call: Call, now: float) -> None:
        """A caller from outside reaches queue ``call.queue`` (entry checks apply)."""
        ...

    def join(self, call: Call, q: int, now: float, front: bool, patience: float) -> None:
        """The centre puts *call* into queue *q* (no entry checks), or to a free agent."""
        ...

    def agent_free(self, pool: Pool, agent: int, now: float) -> None:
        """*agent* of *pool* is free: it takes a waiting call, other work, or goes idle."""
        ...

    def hold_agent(self, pool: Pool, agent: int, until: float) -> None:
        """*agent* of *pool* is busy until *until*, then free."""
        ...

    def menu_exit(self, call: Call, outcome: int, t: float) -> None:
        """Record *call* as having left in the menu after *t* seconds with *outcome*."""
        ...

    def lost(self, call: Call) -> None:
        """*call* ended unserved and was recorded: run the ``on_lost`` hooks."""
        ...


class Behaviour:
    """Base of the behaviours: every hook does nothing (see the module docstring)."""

    def on_enter(self, call: Call, queue: Queue, now: float) -> bool:
        return False

    def on_lost(self, call: Call) -> None:
        return None

    def on_answer(self, call: Call, now: float, busy: float) -> float:
        return busy

    def on_idle(self, pool: Pool, agent: int, now: float) -> None:
        return None

    def on_drain(self, end: float) -> None:
        return None


def hook(behaviours: list[Behaviour], name: str) -> Any:
    """The callable the model calls for hook *name*: None if no behaviour overrides it,
    the one override itself, or a combination in list order (``on_enter``: the first
    that ends the wait wins; ``on_answer``: each gets the busy time of the one before;
    the others: all run)."""
    base = getattr(Behaviour, name)
    fns = [getattr(b, name) for b in behaviours if getattr(type(b), name) is not base]
    if not fns:
        return None
    if len(fns) == 1:
        return fns[0]
    if name == "on_enter":
        def on_enter(call: Call, queue: Queue, now: float) -> bool:
            return any(fn(call, queue, now) for fn in fns)
        return on_enter
    if name == "on_answer":
        def on_answer(call: Call, now: float, busy: float) -> float:
            for fn in fns:
                busy = fn(call, now, busy)
            return busy
        return on_answer

    def all_of(*args: Any) -> None:
        for fn in fns:
            fn(*args)
    return all_of


class Redials(Behaviour):
    """Callers who call again after hanging up or being cut off: each new attempt is a
    new call of the same caller, with the same needs (handle time, patience).

    The redial probability depends on how the call ended (``redials.after_abandon``
    for abandons, short abandons and balks, ``after_ivr_hangup``, ``after_blocked``).
    A redial reaching a menu walks it at once (the menu does not depend on the queues),
    so only its queue entry is scheduled.
    """

    def __init__(self, engine: Engine, cs: CompiledScenario, streams: Streams,
                 walker: MenuWalker | None) -> None:
        self.engine = engine
        self.timers = engine.clock.timers
        self.next_seq = engine.clock.next_seq
        self.enter = engine.enter
        self.next_id = engine.next_id
        self.walker = walker
        p = [0.0] * N_OUT
        p[Outcome.ABANDONED] = p[Outcome.SHORT_ABANDON] = p[Outcome.BALKED] = cs.redial_p[0]
        p[Outcome.IVR_HANGUP] = cs.redial_p[1]
        p[Outcome.BLOCKED] = cs.redial_p[2]
        self.p = p
        """Redial probability by outcome code."""
        self.max_attempts = cs.max_attempts
        self.horizon = cs.horizon
        self.u = Draws(streams.get("redial")).next
        self.delay = Draws(streams.get("redial", "delay"), cs.redial_delay).next

    def on_lost(self, call: Call) -> None:
        p = self.p[call.outcome]
        if call.attempt >= self.max_attempts or p <= 0.0 or self.u() >= p:
            return
        t = call.ended_at + self.delay()
        if t >= self.horizon:
            return  # after the period: outside the simulated day
        nxt = Call(self.next_id(), call.ctype, t, call.handle, call.acw, call.patience)
        nxt.caller = call.caller if call.caller >= 0 else call.id
        nxt.attempt = call.attempt + 1
        if self.walker is None:  # Clock.timer(t, enter, nxt), written out
            heappush(self.timers, (t, self.next_seq(), self.enter, nxt))
            return
        outcome, q, ivr_time = self.walker.walk(nxt.ctype, t)
        if q < 0:
            self.engine.menu_exit(nxt, outcome, ivr_time)
            return
        nxt.ivr_time = ivr_time
        nxt.queue = q
        heappush(self.timers, (t + ivr_time, self.next_seq(), self.enter, nxt))


class CallBacks(Behaviour):
    """Callers offered a call-back when many already wait; those who accept leave the
    queue and the call-back pool phones them when an agent has no call waiting (no
    waiting, no abandonment; the agent's time is talk time plus after-call work)."""

    def __init__(self, engine: Engine, cs: CompiledScenario, streams: Streams) -> None:
        self.engine = engine
        self.record = engine.record
        self.pool = engine.pools[cs.callback_pool]
        self.queue: deque[Call] = deque()
        self.pool.call_backs = self.queue
        self.threshold = cs.callback_threshold
        self.accept = cs.callback_accept
        self.u = Draws(streams.get("callback")).next

    def on_enter(self, call: Call, queue: Queue, now: float) -> bool:
        if queue.n_waiting < self.threshold:
            return False
        call.call_back_offered = True
        if self.u() >= self.accept:
            return False
        call.ended_at = now  # the caller hangs up, to be called back
        pool = self.pool
        self.queue.append(call)
        if pool.idle:
            self.engine.agent_free(pool, pool.idle.popleft(), now)
        return True

    def on_idle(self, pool: Pool, agent: int, now: float) -> None:
        call = self.queue.popleft()
        call.answered_at = now
        call.pool = pool.idx
        call.outcome = _CALL_BACK
        if pool.handle_factor is None:
            busy = call.handle + call.acw
        else:
            busy = call.handle * pool.handle_factor[call.ctype] + call.acw
        call.busy_end = now + busy
        self.engine.hold_agent(pool, agent, call.busy_end)
        self.record(call)

    def on_drain(self, end: float) -> None:
        while self.queue:
            call = self.queue.popleft()
            call.outcome = _CALL_BACK_OPEN
            self.record(call)
