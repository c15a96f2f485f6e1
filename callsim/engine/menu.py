"""The caller's walk through the compiled IVR (ARS) menu.

Owns the menu semantics at run time: prompts, decisions, wrong keys, timeouts with
repeats, hang-ups, self-service exits and disconnects (options with open hours ask
:class:`~callsim.engine.hours.TimedOptions`). Imports :mod:`callsim.compiled.menu`,
:mod:`callsim.compiled.hours` (action kinds), :mod:`callsim.engine.call` (outcome codes),
:mod:`callsim.engine.draws`, :mod:`callsim.distributions` and :mod:`callsim.rng`; the
model calls :meth:`MenuWalker.walk` once per caller.

A caller arrives with an *intent* (a call type). At each node the prompt plays
(hang-up hazard per second while it plays), then the caller may hang up (per-node
probability), then takes a decision time and presses a key:

* with probability ``timeout_rate`` nothing: the node repeats, up to ``max_repeats``
  times, then ``on_timeout`` applies;
* with probability ``error_rate`` a wrong key: uniformly one of the options that do
  not lead to the intent (a misroute if it is a queue);
* otherwise, if a self-service option serves the intent, the caller takes it with its
  share; else one of the options leading to the intent (by weight). A caller whom no
  option here leads to (lost after a wrong key) presses any option at random.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from callsim import distributions as d
from callsim.compiled.hours import EXIT, TIMED
from callsim.compiled.menu import GOTO, QUEUE, SELF, CompiledIvr
from callsim.engine.call import NO_OUTCOME, Outcome
from callsim.engine.draws import Draws
from callsim.rng import Streams

if TYPE_CHECKING:
    from callsim.engine.hours import TimedOptions

# walk results: the caller's outcome, or NO_OUTCOME on reaching a queue (plain ints)
_TO_QUEUE = NO_OUTCOME
_HANGUP = int(Outcome.IVR_HANGUP)
_SELF_SERVED = int(Outcome.SELF_SERVED)
_DISCONNECTED = int(Outcome.DISCONNECTED)
MAX_VISITS = 50  # a caller bounced around this many nodes is disconnected


class MenuWalker:
    """Walks callers through a compiled menu with the replication's IVR streams.

    The streams (``menu_choice``, ``menu_error``, ``ivr_hangup``, ``prompt``) depend on
    the design, unlike the callers' own attributes.
    """

    def __init__(self, ivr: CompiledIvr, streams: Streams,
                 timed: TimedOptions | None = None) -> None:
        self._choice = Draws(streams.get("menu_choice")).next
        self._error = Draws(streams.get("menu_error")).next
        self._hang = Draws(streams.get("ivr_hangup")).next
        self._exp = Draws(streams.get("ivr_hangup", "hazard"), d.Exponential(1.0)).next
        prompts = [Draws(streams.get("prompt", n.name), n.prompt) for n in ivr.nodes]
        decisions = [
            Draws(streams.get("prompt", n.name + "/decision"), n.decision)
            if n.decision is not None else None for n in ivr.nodes
        ]
        # options with open hours (engine/hours.py): their actions become (TIMED, i)
        self._timed = timed.resolve if timed is not None else None
        actions = [n.actions if timed is None else timed.actions(i, n.actions)
                   for i, n in enumerate(ivr.nodes)]
        # per node, everything the walk reads, as one tuple (no attribute look-ups)
        self._plans = [
            (prompts[i].next, n.hazard, n.hangup,
             dec.next if dec is not None else None, n.timeout_rate,
             n.timeout_rate + n.error_rate, n.max_repeats, n.on_timeout, n.wrong,
             n.self_option, n.correct, n.correct_cw, actions[i])
            for i, (n, dec) in enumerate(zip(ivr.nodes, decisions, strict=True))
        ]

    def walk(self, intent: int, t0: float = 0.0) -> tuple[int, int, float]:
        """One caller's path from time *t0*: (outcome, queue, time spent in the IVR).

        The outcome is an :class:`~callsim.engine.call.Outcome` value (``IVR_HANGUP``,
        ``SELF_SERVED`` or ``DISCONNECTED``; ``FORWARDED`` or ``CLOSED`` at a closed
        option) with queue -1 for a caller who leaves in the menu, and ``NO_OUTCOME`` with
        the queue's index for one who reaches a queue. *t0* (the call's arrival) matters
        only for options with open hours.
        """
        plans = self._plans
        choice = self._choice
        node_i = 0
        t = 0.0
        repeats = 0
        for _ in range(MAX_VISITS):
            (prompt, hazard, hangup, decision, timeout_rate, err_cut, max_repeats,
             on_timeout, wrong, self_option, correct, correct_cw, actions) = plans[node_i]
            length = prompt()
            if hazard > 0.0:
                th = self._exp() / hazard
                if th < length:
                    return _HANGUP, -1, t + th
            t += length
            if hangup > 0.0 and self._hang() < hangup:
                return _HANGUP, -1, t
            if decision is not None:
                t += decision()
            u = self._error()
            if u < timeout_rate:
                repeats += 1
                if repeats <= max_repeats:
                    continue
                kind, target = on_timeout
            else:
                if u < err_cut and wrong[intent]:
                    opts = wrong[intent]
                    opt = opts[int(choice() * len(opts))]
                else:
                    so, share = self_option[intent]
                    ok = correct[intent]
                    if so >= 0 and choice() < share:
                        opt = so
                    elif len(ok) == 1:
                        opt = ok[0]
                    elif ok:
                        v = choice()
                        cw = correct_cw[intent]
                        j = 0
                        while j < len(cw) - 1 and v >= cw[j]:
                            j += 1
                        opt = ok[j]
                    else:  # lost: no key here leads to the intent
                        opt = int(choice() * len(actions))
                kind, target = actions[opt]
            if kind == QUEUE:
                return _TO_QUEUE, target, t
            if kind == GOTO:
                node_i = target
                repeats = 0
                continue
            if kind == SELF:
                return _SELF_SERVED, -1, t
            if kind == TIMED:  # an option with open hours, pressed at t0 + t
                kind, target = self._timed(target, t0 + t)  # type: ignore[misc]
                if kind == QUEUE:
                    return _TO_QUEUE, target, t
                if kind == GOTO:
                    node_i = target
                    repeats = 0
                    continue
                if kind == SELF:
                    return _SELF_SERVED, -1, t
                if kind == EXIT:
                    return target, -1, t
            return _DISCONNECTED, -1, t
        return _DISCONNECTED, -1, t
