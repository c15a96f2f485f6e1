"""What a staffing plan is about: the scenario's slots, pools, groups, loads and today's staffing.

Owns :class:`PlanSetup` (built once per plan from a scenario): the daily slots the plan
staffs, the pools it may change, the *groups* (sets of pools and call types connected by
skills, which share load and are judged together), the Erlang-A inputs per call type
and slot, today's scheduled staffing, and the translation of a candidate staffing into
a scenario (``pools.<pool>.staffing = {per_interval: [...], interval: <s>}`` through
:func:`callsim.config.with_overrides`). Imports :mod:`callsim.config`,
:mod:`callsim.errors` and, for the compiled arrival profile, ``callsim.compiled`` (its only
import outside the stable names); it must not import the batch layer or any other module
of the planner.

Present vs scheduled: a plan is in *scheduled* agents. Each scheduled agent of a pool is
on the phones with probability ``(1 - absenteeism) * (1 - shrinkage)`` (the pool's
*presence*); the simulation draws absence per agent and day, so simulated requirements
are scheduled agents with absence included, and Erlang-A requirements (computed for
agents on the phones) are divided by the presence.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from callsim.compiled import CompiledScenario, compile_scenario
from callsim.compiled.hours import FORWARD
from callsim.config import Scenario, load_scenario, with_overrides
from callsim.errors import ConfigError

DAY = 86400.0
#: Agents per slot: a list or a numpy array.
Vector = Sequence[float] | np.ndarray


@dataclass(frozen=True)
class Group:
    """Pools and call types connected by skills: they share load and are judged together.

    Attributes
    ----------
    name
        The planned pools joined by ``+`` (or the pools, if none is planned).
    types
        Call-type names served by the group's pools.
    pools
        Every pool of the group.
    planned
        The pools of the group the plan may change (a subset of *pools*).
    """

    name: str
    types: tuple[str, ...]
    pools: tuple[str, ...]
    planned: tuple[str, ...]


@dataclass
class PlanSetup:
    """A scenario prepared for planning (see the module docstring).

    Attributes
    ----------
    scenario
        The scenario candidates are derived from (reporting interval = the slot).
    slot
        Slot length in seconds (the plan's interval).
    n_slots
        Slots in a day.
    judged
        Per slot: whether calls arriving in it are measured (inside the horizon, after
        the warm-up) and so judged against the targets.
    planned
        Pools the plan changes, in scenario order.
    groups
        The groups that contain a planned pool.
    types, pools
        Every call type and pool of the scenario, in order.
    presence
        Pool -> expected share of scheduled agents on the phones.
    today
        Pool -> today's scheduled agents per slot (time averages).
    lam
        Call type -> expected first-attempt arrivals per hour, per slot.
    aht
        Call type -> mean agent time per answered call (handle + wrap-up + transfers), s.
    patience
        Call type -> mean patience (s), or None if callers never abandon.
    """

    scenario: Scenario
    slot: float
    n_slots: int
    judged: np.ndarray
    planned: list[str]
    groups: list[Group]
    types: list[str]
    pools: list[str]
    presence: dict[str, float]
    today: dict[str, np.ndarray]
    lam: dict[str, np.ndarray]
    aht: dict[str, float]
    patience: dict[str, float | None]
    source: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def slot_hours(self) -> float:
        """Slot length in hours."""
        return self.slot / 3600.0

    def window(self, j: int, width: int) -> list[int]:
        """Slot *j* and the ``width - 1`` slots after it in the horizon (the day wraps
        only when the horizon is longer than a day)."""
        first = self.extra["first"]
        pos = (j - first) % self.n_slots
        cyclic = bool(self.extra["cyclic"])
        return [(j + d) % self.n_slots for d in range(width)
                if cyclic or pos + d < self.n_slots]

    def clock(self, j: int) -> str:
        """``HH:MM`` of the start of slot *j*."""
        s = round(j * self.slot)
        return f"{s // 3600:02d}:{s % 3600 // 60:02d}"

    def group_of(self, pool: str) -> Group:
        """The group a planned pool belongs to."""
        for g in self.groups:
            if pool in g.pools:
                return g
        raise KeyError(pool)

    def agent_hours(self, staffing: Mapping[str, Vector]) -> float:
        """Scheduled agent-hours a day of *staffing* (pool -> per slot) over the judged
        and covered slots of the day (the whole day for a 24-hour horizon)."""
        covered = self.extra["covered"]
        return float(sum(np.sum(np.asarray(v, dtype=float)[covered]) for v in
                         staffing.values()) * self.slot_hours)

    def overrides(self, staffing: Mapping[str, Vector]) -> dict[str, Any]:
        """Dotted-path overrides that give the planned pools *staffing* (whole agents)."""
        out: dict[str, Any] = {}
        for pool, values in staffing.items():
            vals = [int(v) for v in values]
            if len(vals) != self.n_slots or min(vals) < 0:
                raise ValueError(f"{pool}: staffing needs {self.n_slots} whole agents >= 0")
            out[f"pools.{pool}.staffing"] = {"per_interval": vals, "interval": self.slot}
        return out

    def scenario_for(self, staffing: Mapping[str, Vector]) -> Scenario:
        """The scenario with *staffing* for the planned pools."""
        return with_overrides(self.scenario, self.overrides(staffing))


def _components(sc: Scenario) -> list[tuple[list[str], list[str]]]:
    """Connected components of the pool-call type graph (pool serves type)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for ct in sc.call_types:
        find("t:" + ct)
        for p in sc.routing_for(ct):
            parent[find("t:" + ct)] = find("p:" + p)
    for p in sc.pools:
        find("p:" + p)
    comps: dict[str, tuple[list[str], list[str]]] = {}
    for node in parent:
        root = find(node)
        types, pools = comps.setdefault(root, ([], []))
        (types if node.startswith("t:") else pools).append(node[2:])
    order_t = {n: i for i, n in enumerate(sc.call_types)}
    order_p = {n: i for i, n in enumerate(sc.pools)}
    out = [(sorted(t, key=order_t.__getitem__), sorted(p, key=order_p.__getitem__))
           for t, p in comps.values()]
    return sorted(out, key=lambda tp: order_p.get(tp[1][0], 0) if tp[1] else 0)


def _open_load(cs: CompiledScenario, a: float, b: float) -> np.ndarray:
    """Expected first attempts per queue in ``[a, b)`` (simulation seconds), open hours
    applied: a queue closed for part of it keeps the open share of its callers; the rest
    go to the queue its after-hours treatment forwards them to (that queue's own hours
    applied in turn), or leave the plan (an outside number, a message, a call-back)."""
    exp = np.asarray(cs.expected_arrivals(a, b), dtype=float)
    hours = cs.hours
    if hours is None or not any(r is not None for r in hours.queues):
        return exp
    load = np.zeros_like(exp)
    for k in range(exp.size):
        q, share, seen = k, float(exp[k]), set()
        while share > 0 and q not in seen:  # follow forwards (no loops: compile checks)
            seen.add(q)
            rule = hours.queues[q]
            if rule is None:
                load[q] += share
                break
            window, treatment = rule
            is_open = window.open_share(a, b)
            load[q] += share * is_open
            share *= 1.0 - is_open
            if treatment.kind != FORWARD:
                break
            q = treatment.target
    return load


def _agent_time(cs: CompiledScenario, k: int) -> float:
    ct = cs.call_types[k]
    t = ct.handle.mean + (ct.acw.mean if ct.acw is not None else 0.0)
    return float(t + (ct.transfer_out + ct.transfer_share) * ct.transfer_out_time.mean)


def build_setup(scenario: Scenario | str, pools: Sequence[str] | None = None,
                interval: float | str | None = None) -> PlanSetup:
    """Prepare *scenario* for planning the staffing of *pools* in slots of *interval*.

    Parameters
    ----------
    scenario
        A scenario or a YAML path.
    pools
        Pools to plan (default: every pool).
    interval
        Slot length (seconds or ``"30min"``; default the scenario's reporting interval).

    Raises
    ------
    ConfigError
        An unknown pool, a slot that does not divide a day, or a horizon start off the
        slot grid.
    """
    sc = load_scenario(scenario) if isinstance(scenario, str) else scenario
    original = sc
    source = sc.source if sc.source and not sc.source.startswith("<") else None
    if interval is None:
        slot = float(sc.horizon.interval)
    else:
        from callsim.config import parse_duration
        try:
            slot = float(parse_duration(interval))
        except ValueError as exc:
            raise ConfigError(f"--interval {interval!r}: {exc}") from None
    if not slot >= 60 or (DAY / slot) % 1 != 0:
        raise ConfigError(f"--interval {interval!r}: a plan slot must be at least 1 min and "
                          "divide a day; allowed e.g. 15min, 30min, 60min")
    if (sc.horizon.start / slot) % 1 != 0:
        raise ConfigError(f"--interval {slot / 60:g}min: the horizon starts at "
                          f"{sc.horizon.start / 3600:g} h, not on a slot boundary; choose an "
                          "interval that divides the start time")
    if not math.isclose(sc.horizon.interval, slot):
        sc = with_overrides(sc, {"horizon.interval": slot})
    all_pools = list(sc.pools)
    if pools is None or len(pools) == 0:
        planned = list(all_pools)
    else:
        planned = []
        for p in pools:
            if p not in sc.pools:
                raise ConfigError(f"--pools: {p!r} is not an agent pool of {sc.name}; "
                                  f"allowed: {', '.join(all_pools)}")
            if p not in planned:
                planned.append(p)
        planned.sort(key=all_pools.index)
    cs = compile_scenario(sc)
    n_slots = round(DAY / slot)
    h = sc.horizon
    covered = np.zeros(n_slots, dtype=bool)
    judged = np.zeros(n_slots, dtype=bool)
    occurrences: list[list[float]] = [[] for _ in range(n_slots)]
    t = 0.0
    while t < h.length - 1e-9:
        j = round(((h.start + t) % DAY) / slot) % n_slots
        covered[j] = True
        if t >= h.warmup - 1e-9:
            judged[j] = True
        if t >= h.warmup - 1e-9 or not judged[j]:
            occurrences[j].append(t)
        t += slot
    types = list(sc.call_types)
    lam = {ct: np.zeros(n_slots) for ct in types}
    for j, occ in enumerate(occurrences):
        if occ:
            exp = np.mean([_open_load(cs, a, min(a + slot, h.length)) for a in occ], axis=0)
            for k, ct in enumerate(types):
                lam[ct][j] = float(exp[k]) / (slot / 3600.0)
    today: dict[str, np.ndarray] = {}
    for cp in cs.pools:
        vals = np.zeros(n_slots)
        for j in range(n_slots):
            a = (j * slot - h.start) % DAY
            vals[j] = cp.staffed_area(a, a + slot) / slot
        today[cp.name] = vals
    presence = {p: (1.0 - c.absenteeism) * (1.0 - c.shrinkage) for p, c in sc.pools.items()}
    aht = {ct: _agent_time(cs, k) for k, ct in enumerate(types)}
    patience: dict[str, float | None] = {}
    for ct, cct in zip(types, cs.call_types, strict=True):
        m = cct.patience.mean
        patience[ct] = None if not math.isfinite(m) else float(m)
    groups = []
    for gtypes, gpools in _components(sc):
        gplanned = [p for p in gpools if p in planned]
        if gplanned:
            groups.append(Group("+".join(gplanned), tuple(gtypes), tuple(gpools),
                                tuple(gplanned)))
    return PlanSetup(scenario=sc, slot=slot, n_slots=n_slots, judged=judged,
                     planned=planned, groups=groups, types=types, pools=all_pools,
                     presence=presence, today=today, lam=lam, aht=aht, patience=patience,
                     source=source, extra={"covered": covered, "input": original,
                                           "first": round(h.start / slot) % n_slots,
                                           "cyclic": h.length > DAY + 1e-9})
