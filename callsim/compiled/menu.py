"""The IVR (ARS) menu compiled: nodes and options resolved to indices.

Owns the translation of the ``ivr:`` section into :class:`CompiledIvr` (per node and
intent, the right keys, wrong keys and self-service option). Imports
:mod:`callsim.config`, :mod:`callsim.distributions` and :mod:`callsim.compiled.sources`;
the caller's walk through the compiled menu is :mod:`callsim.engine.menu`.

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

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from callsim import distributions as d
from callsim.compiled.sources import build_distribution
from callsim.config import IvrCfg, Scenario

QUEUE, GOTO, SELF, DISCONNECT = 0, 1, 2, 3


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
