"""The IVR (ARS) menu: compiled menu nodes and the caller's walk through them.

Owns the menu semantics: prompts, decisions, wrong keys, timeouts with repeats,
hang-ups, self-service exits and disconnects. Imports :mod:`callsim.config`,
:mod:`callsim.distributions`, :mod:`callsim.sources` and :mod:`callsim.rng`; the
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

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from callsim import distributions as d
from callsim.config import IvrCfg, Scenario
from callsim.rng import Streams
from callsim.sources import build_distribution

QUEUE, GOTO, SELF, DISCONNECT = 0, 1, 2, 3
#: walk results
TO_QUEUE, HANGUP, SELF_SERVED, DISCONNECTED = 0, 1, 2, 3
MAX_VISITS = 50  # a caller bounced around this many nodes is disconnected


@dataclass(frozen=True, slots=True)
class CompiledNode:
    """A menu node with its options resolved to indices."""

    name: str
    prompt: d.Distribution
    decision: d.Distribution | None
    error_rate: float
    timeout_rate: float
    max_repeats: int
    hangup: float
    hazard: float
    actions: tuple[tuple[int, int], ...]
    """Per option: (kind, target index)."""
    correct: tuple[tuple[int, ...], ...]
    """Per intent: options leading to it (queue or sub-tree)."""
    correct_cw: tuple[tuple[float, ...], ...]
    """Per intent: cumulative normalised weights of ``correct``."""
    wrong: tuple[tuple[int, ...], ...]
    """Per intent: routing options (queue/goto) that do not lead to it."""
    self_option: tuple[tuple[int, float], ...]
    """Per intent: (option index, share) of a self-service option, or (-1, 0)."""
    on_timeout: tuple[int, int]


@dataclass(frozen=True, slots=True)
class CompiledIvr:
    """The menu tree by index; node 0 is the root."""

    nodes: tuple[CompiledNode, ...]
    right: tuple[tuple[bool, ...], ...]
    """``right[k][q]``: the menu's right keys send intent *k* to queue *q*."""
    home: tuple[int, ...]
    """Per intent: the queue a misrouted caller is transferred to."""


def compile_ivr(ivr: IvrCfg, sc: Scenario, base: Path) -> CompiledIvr:
    """Resolve names to indices and precompute, per node and intent, the right keys."""
    types = list(sc.call_types)
    tindex = {n: i for i, n in enumerate(types)}
    names = [ivr.root] + [n for n in ivr.nodes if n != ivr.root]
    nindex = {n: i for i, n in enumerate(names)}

    # queues reachable from each node
    reach: dict[str, set[int]] = {}

    def reach_of(n: str, path: frozenset[str]) -> set[int]:
        if n in reach:
            return reach[n]
        out: set[int] = set()
        for opt in ivr.nodes[n].options.values():
            if opt.queue is not None:
                out.update(tindex[i] for i in opt.intent_list())
            elif opt.goto is not None and opt.goto not in path:
                out |= reach_of(opt.goto, path | {opt.goto})
        if not (path - {n}):
            reach[n] = out
        return out

    def target(t: str) -> tuple[int, int]:
        if t == "disconnect":
            return (DISCONNECT, -1)
        if t in tindex:
            return (QUEUE, tindex[t])
        return (GOTO, nindex[t])

    nodes: list[CompiledNode] = []
    for name in names:
        cfg = ivr.nodes[name]
        where = f"ivr.nodes.{name}"
        actions: list[tuple[int, int]] = []
        leads: list[set[int]] = []
        weights: list[float] = []
        selfs: list[dict[int, float]] = []
        for opt in cfg.options.values():
            weights.append(opt.weight)
            if opt.queue is not None:
                actions.append((QUEUE, tindex[opt.queue]))
                leads.append({tindex[i] for i in opt.intent_list()})
                selfs.append({})
            elif opt.goto is not None:
                actions.append((GOTO, nindex[opt.goto]))
                leads.append(reach_of(opt.goto, frozenset({name, opt.goto})))
                selfs.append({})
            elif opt.self_service is not None:
                actions.append((SELF, -1))
                leads.append(set())
                selfs.append({tindex[k]: v for k, v in opt.self_service.items()})
            else:
                actions.append((DISCONNECT, -1))
                leads.append(set())
                selfs.append({})
        correct: list[tuple[int, ...]] = []
        correct_cw: list[tuple[float, ...]] = []
        wrong: list[tuple[int, ...]] = []
        self_option: list[tuple[int, float]] = []
        for k in range(len(types)):
            ok = tuple(i for i, lead in enumerate(leads) if k in lead)
            w = np.array([weights[i] for i in ok], dtype=float)
            correct.append(ok)
            correct_cw.append(tuple(np.cumsum(w / w.sum())) if ok else ())
            wrong.append(tuple(i for i, (kind, _) in enumerate(actions)
                               if kind in (QUEUE, GOTO) and i not in ok))
            so = next(((i, s[k]) for i, s in enumerate(selfs) if k in s), (-1, 0.0))
            self_option.append(so)
        nodes.append(CompiledNode(
            name=name,
            prompt=build_distribution(cfg.prompt, base, f"{where}.prompt"),
            decision=(build_distribution(cfg.decision, base, f"{where}.decision")
                      if cfg.decision is not None else None),
            error_rate=cfg.error_rate, timeout_rate=cfg.timeout_rate,
            max_repeats=cfg.max_repeats, hangup=cfg.hangup, hazard=cfg.hangup_hazard,
            actions=tuple(actions), correct=tuple(correct), correct_cw=tuple(correct_cw),
            wrong=tuple(wrong), self_option=tuple(self_option),
            on_timeout=target(cfg.on_timeout),
        ))
    K = len(types)
    right = [[False] * K for _ in range(K)]
    home = list(range(K))
    homed = [False] * K
    for name in names:  # root first: the first right queue found is the intent's home
        for opt in ivr.nodes[name].options.values():
            if opt.queue is None:
                continue
            q = tindex[opt.queue]
            for ct in opt.intent_list():
                k = tindex[ct]
                right[k][q] = True
                if not homed[k]:
                    home[k] = q
                    homed[k] = True
    return CompiledIvr(tuple(nodes), tuple(tuple(r) for r in right), tuple(home))


class Draws:
    """Numbers from one generator handed out one at a time, drawn in blocks of 4096.

    ``next()`` is the ``__next__`` of an :func:`itertools.chain` over the blocks: a C
    call per number, with a Python refill only every 4096 numbers.
    """

    __slots__ = ("_dist", "_rng", "next")

    BLOCK = 4096

    def __init__(self, rng: np.random.Generator, dist: d.Distribution | None = None) -> None:
        self._rng = rng
        self._dist = dist
        self.next: Callable[[], float] = itertools.chain.from_iterable(self._blocks()).__next__

    def _blocks(self) -> Iterator[list[float]]:
        while True:
            if self._dist is None:
                yield self._rng.random(self.BLOCK).tolist()
            else:
                yield self._dist.sample(self._rng, self.BLOCK).tolist()


class MenuWalker:
    """Walks callers through a compiled menu with the replication's IVR streams.

    The streams (``menu_choice``, ``menu_error``, ``ivr_hangup``, ``prompt``) depend on
    the design, unlike the callers' own attributes.
    """

    def __init__(self, ivr: CompiledIvr, streams: Streams) -> None:
        self.nodes = ivr.nodes
        self.u_choice = Draws(streams.get("menu_choice"))
        self.u_error = Draws(streams.get("menu_error"))
        self.u_hang = Draws(streams.get("ivr_hangup"))
        self.prompts = [Draws(streams.get("prompt", n.name), n.prompt) for n in ivr.nodes]
        self.decisions = [
            Draws(streams.get("prompt", n.name + "/decision"), n.decision)
            if n.decision is not None else None for n in ivr.nodes
        ]
        self.exp = Draws(streams.get("ivr_hangup", "hazard"), d.Exponential(1.0))
        self._choice = self.u_choice.next
        self._error = self.u_error.next
        self._hang = self.u_hang.next
        self._exp = self.exp.next
        # per node, everything the walk reads, as one tuple (no attribute look-ups)
        self._plans = [
            (self.prompts[i].next, n.hazard, n.hangup,
             dec.next if dec is not None else None, n.timeout_rate,
             n.timeout_rate + n.error_rate, n.max_repeats, n.on_timeout, n.wrong,
             n.self_option, n.correct, n.correct_cw, n.actions)
            for i, (n, dec) in enumerate(zip(ivr.nodes, self.decisions, strict=True))
        ]

    def walk(self, intent: int) -> tuple[int, int, float]:
        """One caller's path: (result, queue index or -1, time spent in the IVR)."""
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
                    return HANGUP, -1, t + th
            t += length
            if hangup > 0.0 and self._hang() < hangup:
                return HANGUP, -1, t
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
                return TO_QUEUE, target, t
            if kind == GOTO:
                node_i = target
                repeats = 0
                continue
            if kind == SELF:
                return SELF_SERVED, -1, t
            return DISCONNECTED, -1, t
        return DISCONNECTED, -1, t
