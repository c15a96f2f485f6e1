"""Time-of-day routing at run time: closed queues and closed menu options.

Owns :class:`OpenHours` (no caller waits in a closed queue: every way into a queue, a
caller from outside or one the centre moves, is checked against the queue's open
hours, and the callers still waiting when a queue closes get its after-hours
treatment) and :class:`TimedOptions` (what a closed menu option does, for the menu
walk). Imports :mod:`callsim.compiled` and the engine's abandonment, behaviour (the
:class:`~callsim.engine.behaviour.Engine` protocol), call and clock modules; never the
model, which installs these only when the scenario has ``hours:`` (no cost otherwise).

After hours (the compiled :class:`~callsim.compiled.hours.Treatment`):

* ``queue``: the caller goes on to that queue (its own hours apply in turn); a caller
  swept at closing keeps their patience and wait so far, and queues behind the
  callers already there;
* ``outside``: forwarded to an outside number: outcome ``forwarded`` (not offered);
* ``message``: a closed message, then disconnected: outcome ``closed`` (not offered);
* ``callback``: the caller leaves a number and the ``callbacks:`` pool calls back when
  an agent is free and no call waits for them (outcome ``callback`` / ``callback_open``,
  offered as every call-back is);
* ``goto`` (menu options): the walk plays that node instead.

Forwarded and closed callers do not redial (the redial probabilities are for hang-ups
and cut-offs).
"""

from __future__ import annotations

from collections.abc import Callable

from callsim.compiled import CompiledScenario
from callsim.compiled.hours import (
    CALLBACK,
    EXIT,
    FORWARD,
    GOTO,
    OUTSIDE,
    PLAY,
    QUEUE,
    TIMED,
    Treatment,
    Window,
)
from callsim.compiled.menu import CompiledIvr
from callsim.engine.abandonment import Abandonment
from callsim.engine.behaviour import Engine
from callsim.engine.call import Call, Outcome
from callsim.engine.clock import Handler, Wake

_FORWARDED = int(Outcome.FORWARDED)
_CLOSED = int(Outcome.CLOSED)

Enter = Callable[[Call, float], None]
Join = Callable[[Call, int, float, bool, float], None]


class OpenHours:
    """Open hours of queues (see the module docstring).

    Parameters
    ----------
    engine
        The model (its queues, pools, clock and recorder).
    cs
        The compiled scenario (``cs.hours`` set).
    abandonment
        The model's abandonment (callers swept at closing stop waiting through it).
    t_stop
        When the run stops: closings after it are not scheduled.
    """

    def __init__(self, engine: Engine, cs: CompiledScenario, abandonment: Abandonment,
                 t_stop: float) -> None:
        assert cs.hours is not None
        self.engine = engine
        self.record = engine.record
        self.ab = abandonment
        self.rules: list[tuple[Window, Treatment] | None] = list(cs.hours.queues)
        self.callback_pool = cs.callback_pool
        self._enter: Enter | None = None
        self._join: Join | None = None
        close: list[Handler] = [self._on_close]
        for q, rule in enumerate(self.rules):
            if rule is not None:
                for t in rule[0].closes:
                    if t < t_stop:
                        engine.clock.at(t, close, q)

    @staticmethod
    def active(cs: CompiledScenario) -> bool:
        """Whether any queue has open hours."""
        return cs.hours is not None and any(r is not None for r in cs.hours.queues)

    def guard(self, enter: Enter, join: Join) -> tuple[Enter, Join]:
        """The model's ``enter`` and ``join``, checked against the open hours."""
        self._enter, self._join = enter, join
        return self.enter, self.join

    # ------------------------------------------------------------ on the way in

    def enter(self, call: Call, now: float) -> None:
        """A caller from outside reaches queue ``call.queue``: in if it is open."""
        rule = self.rules[call.queue]
        if rule is None or rule[0].is_open(now):
            self._enter(call, now)  # type: ignore[misc]
            return
        tr = rule[1]
        if tr.kind == FORWARD:
            call.queue = tr.target
            self.enter(call, now)
            return
        call.since = now
        call.queued_at = now
        self._end(call, tr, now)

    def join(self, call: Call, q: int, now: float, front: bool, patience: float) -> None:
        """The centre puts *call* into queue *q*: in if it is open."""
        rule = self.rules[q]
        if rule is None or rule[0].is_open(now):
            self._join(call, q, now, front, patience)  # type: ignore[misc]
            return
        tr = rule[1]
        if tr.kind == FORWARD:
            self.join(call, tr.target, now, front, patience)
            return
        call.queue = q
        call.queued_at = now
        self._end(call, tr, now)

    # ------------------------------------------------------------------ closing

    def _on_close(self, ev: Wake) -> None:
        """Queue ``ev.arg`` closes: its waiting callers get the after-hours treatment
        (those already past their hang-up time hang up)."""
        q: int = ev.arg
        now = self.engine.clock.now
        queue = self.engine.queues[q]
        calls = list(queue.calls)
        queue.calls.clear()  # in place: a single-queue pool holds the same deque
        rule = self.rules[q]
        assert rule is not None
        tr = rule[1]
        for call in calls:
            if not call.waiting:
                continue
            if call.deadline <= now:
                self.ab.hang_up(call)
                continue
            self.ab.take(call)
            if tr.kind == FORWARD:
                call.prior_wait += now - call.queued_at
                call.since = now  # a new entry: the old queue's overflow timers lapse
                self.engine.join(call, tr.target, now, False, call.deadline - now)
            else:
                self._end(call, tr, now)

    def _end(self, call: Call, tr: Treatment, now: float) -> None:
        """*call* is forwarded outside, told the queue is closed, or left a number."""
        call.ended_at = now
        if tr.kind == CALLBACK:
            call.call_back_offered = True
            pool = self.engine.pools[self.callback_pool]
            assert pool.call_backs is not None
            pool.call_backs.append(call)
            if pool.idle:
                self.engine.agent_free(pool, pool.idle.popleft(), now)
            return
        call.outcome = _FORWARDED if tr.kind == OUTSIDE else _CLOSED
        self.record(call)


class TimedOptions:
    """Menu options with open hours, for :class:`~callsim.engine.menu.MenuWalker`.

    The walker's copy of a timed option's action becomes ``(TIMED, i)``; pressing it
    calls :meth:`resolve` with the time of the key press, which gives the option's own
    action while it is open and the after-hours one otherwise (``(EXIT, outcome)`` for
    an outside forward or a closed message).
    """

    def __init__(self, cs: CompiledScenario) -> None:
        assert cs.hours is not None and cs.ivr is not None
        self.ivr: CompiledIvr = cs.ivr
        self.entries: list[tuple[int, int, Window, tuple[int, int]]] = []
        for node, opt, win, tr in cs.hours.options:
            kind, target = cs.ivr.nodes[node].actions[opt]
            self.entries.append((kind, target, win, _after(tr)))
        self.at = {(node, opt): i for i, (node, opt, _, _) in enumerate(cs.hours.options)}

    @staticmethod
    def of(cs: CompiledScenario) -> TimedOptions | None:
        """The timed options of *cs*, or None when no option has open hours."""
        if cs.hours is None or cs.ivr is None or not cs.hours.options:
            return None
        return TimedOptions(cs)

    def actions(self, node: int, actions: tuple[tuple[int, int], ...]
                ) -> tuple[tuple[int, int], ...]:
        """Node *node*'s option actions, timed options replaced by ``(TIMED, i)``."""
        return tuple((TIMED, self.at[(node, o)]) if (node, o) in self.at else a
                     for o, a in enumerate(actions))

    def resolve(self, i: int, now: float) -> tuple[int, int]:
        """The action of timed option *i* pressed at time *now*."""
        kind, target, win, after = self.entries[i]
        return (kind, target) if win.is_open(now) else after


def _after(tr: Treatment) -> tuple[int, int]:
    """A closed option's action: forward to a queue, play a node, or end the walk."""
    if tr.kind == FORWARD:
        return (QUEUE, tr.target)
    if tr.kind == PLAY:
        return (GOTO, tr.target)
    return (EXIT, _FORWARDED if tr.kind == OUTSIDE else _CLOSED)
