"""Transfers: misrouted callers put through to the right queue, and answered calls
transferred out, referred, or put through to another queue.

Owns :class:`Misroutes` (a caller answered by a pool without their skill: the agent
finds out, transfers them, and they wait again in their intent's queue) and
:class:`Transfers` (what happens after an answered call: an ``on_answer`` hook).
Imports :mod:`callsim.compiled`, :mod:`callsim.rng` and the engine's behaviour, call,
clock, draws and routing modules; never the model.
"""

from __future__ import annotations

import math

from callsim.compiled import CompiledScenario
from callsim.engine.behaviour import Behaviour, Engine
from callsim.engine.call import Call, Transfer
from callsim.engine.clock import Handler, Wake
from callsim.engine.draws import Draws
from callsim.engine.routing import Pool
from callsim.rng import Streams

_OUT = int(Transfer.OUT)
_REFERRAL = int(Transfer.REFERRAL)
_INTERNAL = int(Transfer.INTERNAL)


class Misroutes:
    """A caller answered in a queue whose pool lacks their skill (a wrong key in the
    menu): the agent spends ``misroute.transfer_time`` on them, then they join their
    intent's queue (``misroute.requeue``: front or back), their patience still running
    from their first queue entry.

    Parameters
    ----------
    home
        Per call type (intent), the queue a transferred caller joins.
    """

    def __init__(self, engine: Engine, cs: CompiledScenario, streams: Streams,
                 home: list[int]) -> None:
        self.engine = engine
        self.clock = engine.clock
        self.home = home
        self.front = cs.requeue_front
        self.transfer_time = Draws(streams.get("transfer"), cs.transfer_time).next
        self._requeue: list[Handler] = [self._on_requeue]

    def on_misrouted(self, call: Call, pool: Pool, agent: int, now: float) -> None:
        """*agent* of *pool* answered *call*, which it cannot serve: transfer it."""
        end = now + self.transfer_time()
        call.mis = (call.queue, call.queued_at, now, pool.idx, end)
        call.prior_wait = now - call.queued_at
        call.deadline = math.inf  # talking to an agent: not waiting, cannot abandon
        self.engine.hold_agent(pool, agent, end)
        self.clock.at(end, self._requeue, call)

    def _on_requeue(self, ev: Wake) -> None:
        call: Call = ev.arg
        self.engine.join(call, self.home[call.ctype], self.clock.now, self.front,
                         call.patience - call.prior_wait)


class Transfers(Behaviour):
    """After an answered call, per call type: a share is transferred out to an official
    (extra agent time ``transfer_out_time``), a share only referred (a phone number), and
    a share put through to the ``transfer_to`` queue (extra agent time, then a new
    internal leg of the same caller joins that queue, patience afresh).

    One uniform per answered call of a type with any share decides; ``*_cut`` are the
    cumulative thresholds it is compared with (out, then referral, then internal).
    """

    def __init__(self, engine: Engine, cs: CompiledScenario, streams: Streams) -> None:
        self.engine = engine
        self.clock = engine.clock
        cts = cs.call_types
        self.u = [Draws(streams.get("transfer", "out/" + ct.name)).next for ct in cts]
        self.time = [Draws(streams.get("transfer", "out-time/" + ct.name),
                           ct.transfer_out_time).next for ct in cts]
        self.out_cut = [ct.transfer_out for ct in cts]
        self.referral_cut = [ct.transfer_out + ct.referral for ct in cts]
        self.internal_cut = [ct.transfer_out + ct.referral + ct.transfer_share for ct in cts]
        self.to = [ct.transfer_to for ct in cts]
        self.leg_handle = [Draws(streams.get("transfer", "leg/" + ct.name), ct.handle).next
                           for ct in cts]
        self.leg_acw = [Draws(streams.get("transfer", "leg-acw/" + ct.name), ct.acw).next
                        if ct.acw is not None else None for ct in cts]
        self._leg: list[Handler] = [self._on_leg]

    @staticmethod
    def active(cs: CompiledScenario) -> bool:
        """Whether any call type transfers, refers or puts through."""
        return any(ct.transfer_out + ct.referral + ct.transfer_share > 0.0
                   for ct in cs.call_types)

    def on_answer(self, call: Call, now: float, busy: float) -> float:
        k = call.ctype
        if self.internal_cut[k] > 0.0:
            u = self.u[k]()
            if u < self.out_cut[k]:
                call.transfer = _OUT
                busy += self.time[k]()
            elif u < self.referral_cut[k]:
                call.transfer = _REFERRAL
            elif u < self.internal_cut[k]:
                call.transfer = _INTERNAL
                busy += self.time[k]()
                self.clock.at(now + busy, self._leg, call)
        return busy

    def _on_leg(self, ev: Wake) -> None:
        """After the call, the caller is put through to another queue: a new leg."""
        first: Call = ev.arg
        now = self.clock.now
        k = self.to[first.ctype]
        acw = self.leg_acw[k]
        leg = Call(self.engine.next_id(), k, now, self.leg_handle[k](),
                   acw() if acw is not None else 0.0, first.patience)
        leg.caller = first.caller if first.caller >= 0 else first.id
        leg.attempt = first.attempt
        leg.internal = True
        leg.since = now
        self.engine.join(leg, k, now, False, leg.patience)
