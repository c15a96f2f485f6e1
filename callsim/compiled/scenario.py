"""Compile a validated :class:`~callsim.config.Scenario` into what the model runs on.

Owns the translation from the *description* (pydantic, clock times, profiles, files)
to plain, fast objects in simulation seconds: piecewise-constant arrival rates,
distributions, staffing change points, routing tables by index (channels and open hours
compile in their own modules, :mod:`callsim.compiled.channels` and
:mod:`callsim.compiled.hours`). Imports
:mod:`callsim.config`, :mod:`callsim.distributions` and :mod:`callsim.errors`; never
the model.

Simulation time 0 is the horizon's clock ``start``; profiles are anchored at 00:00
of the first day.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from callsim import distributions as d
from callsim.compiled.channels import CompiledChannels, compile_channels
from callsim.compiled.hours import CompiledHours, compile_hours
from callsim.compiled.menu import CompiledIvr, compile_ivr
from callsim.compiled.rates import PiecewiseRate, compile_rate
from callsim.compiled.size import check_size
from callsim.compiled.sources import base_dir, build_distribution
from callsim.compiled.staffing import Piece, change_points, staffing_pieces
from callsim.compiled.trace import CompiledTrace, compile_trace
from callsim.config import CallTypeCfg, DistCfg, Scenario


@dataclass(frozen=True, slots=True)
class CompiledCallType:
    """A call type as the model sees it."""

    name: str
    handle: d.Distribution
    acw: d.Distribution | None
    patience: d.Distribution
    queue_capacity: int | None
    priority: int = 0
    wait_weight: float = 1.0
    transfer_out: float = 0.0
    referral: float = 0.0
    transfer_to: int = -1
    transfer_share: float = 0.0
    transfer_out_time: d.Distribution = d.Deterministic(30.0)  # noqa: RUF009 (frozen)
    announce: tuple[str, tuple[tuple[float, float], ...]] | None = None
    """(mode, balk points (announced value, probability)) of the queue announcement."""
    blocks: tuple[CompiledBlock, ...] = ()
    """``by_time``: distributions by the caller's arrival clock time (non-overlapping)."""


@dataclass(frozen=True, slots=True)
class CompiledBlock:
    """A ``by_time`` block: callers arriving at clock times in ``[start, end)`` (seconds
    since 00:00) draw these distributions (None: the call type's own)."""

    start: float
    end: float
    handle: d.Distribution | None
    acw: d.Distribution | None
    patience: d.Distribution | None


@dataclass(frozen=True, slots=True)
class CompiledPool:
    """An agent pool: skills as call-type indices, staffing as change points."""

    name: str
    skills: tuple[int, ...]
    change_times: tuple[float, ...]
    headcounts: tuple[int, ...]
    """The schedule as planned (no absence, no shrinkage)."""
    pieces: tuple[Piece, ...] = ()
    policy: str = "longest_wait"
    """How free agents pick a call: the ``pools.<name>.policy`` name (see
    :data:`callsim.engine.routing.POLICIES`)."""
    reserve: tuple[tuple[int, int], ...] = ()
    """(call type, idle agents kept for it)."""
    shrinkage: float = 0.0
    absenteeism: float = 0.0
    handle_factor: tuple[tuple[int, float], ...] = ()
    """(call type, talk-time factor) of the secondary skills whose factor is not 1."""

    def realised(self, absent_draw: Callable[[int, int], int] | None
                 ) -> tuple[tuple[float, ...], tuple[int, ...]]:
        """Change points after absence (*absent_draw(group, agents)* → agents present)
        and shrinkage; the plan itself when neither applies."""
        if self.absenteeism <= 0 and self.shrinkage <= 0:
            return self.change_times, self.headcounts
        present: dict[int, float] | None = None
        if self.absenteeism > 0 and absent_draw is not None:
            peak: dict[int, int] = {}
            for _, _, n, g in self.pieces:
                peak[g] = max(peak.get(g, 0), n)
            present = {g: absent_draw(g, n) / n for g, n in sorted(peak.items()) if n > 0}
        return change_points(list(self.pieces), present, self.shrinkage)

    def headcount_at(self, t: float) -> int:
        """Scheduled agents at simulation time *t*."""
        i = int(np.searchsorted(np.asarray(self.change_times), t, side="right")) - 1
        return self.headcounts[max(i, 0)]

    def staffed_area(self, a: float, b: float) -> float:
        """Scheduled agent-seconds in ``[a, b)``."""
        times = np.asarray((*self.change_times, math.inf))
        lo = np.clip(times[:-1], a, b)
        hi = np.clip(times[1:], a, b)
        return float(np.sum((hi - lo) * np.asarray(self.headcounts)))


@dataclass(frozen=True, slots=True)
class CompiledScenario:
    """Everything one replication needs, in simulation seconds and indices."""

    name: str
    horizon: float
    warmup: float
    interval: float
    clock_start: float
    drain_limit: float
    call_types: tuple[CompiledCallType, ...]
    pools: tuple[CompiledPool, ...]
    routing: tuple[tuple[int, ...], ...]
    """For each call type, pool indices in preference order."""
    overflow: tuple[tuple[float, ...], ...]
    """For each call type, the wait (s) after which each routing pool sees its calls."""
    arrivals_by_type: tuple[PiecewiseRate, ...] | None
    arrivals_total: PiecewiseRate | None
    mix: tuple[float, ...] | None
    overdispersion: float
    capacity: int | None
    short_abandon: float
    service_levels: tuple[float, ...]
    ivr: CompiledIvr | None = None
    """The menu, or None: callers go straight to their call type's queue."""
    transfer_time: d.Distribution = d.Deterministic(30.0)  # noqa: RUF009 (frozen)
    """Agent time to transfer a misrouted caller."""
    requeue_front: bool = True
    """A transferred caller waits at the front (True) or back of the right queue."""
    redial_p: tuple[float, float, float] = (0.0, 0.0, 0.0)
    """Redial probability after (queue abandon, IVR hang-up, blocked)."""
    redial_delay: d.Distribution = d.Exponential(600.0)  # noqa: RUF009 (frozen)
    max_attempts: int = 1
    callback_pool: int = -1
    """Pool making calls back (-1: no callbacks)."""
    callback_threshold: int = 0
    callback_accept: float = 0.0
    trace: CompiledTrace | None = None
    """Recorded arrivals replayed instead of Poisson arrivals (``arrivals.trace``)."""
    channels: CompiledChannels | None = None
    """Contact channels customers try before phoning (:mod:`callsim.compiled.channels`),
    or None."""
    hours: CompiledHours | None = None
    """Open hours of queues and menu options (:mod:`callsim.compiled.hours`), or None:
    always open."""
    # --- io engineer (re/io): the scenario this was compiled from, so a compiled
    # scenario can be swept or given overrides; not part of the fingerprint.
    source: Scenario | None = field(default=None, compare=False, repr=False,
                                    metadata={"fingerprint": False})

    @property
    def type_names(self) -> list[str]:
        """Call type names in index order."""
        return [c.name for c in self.call_types]

    @property
    def pool_names(self) -> list[str]:
        """Pool names in index order."""
        return [p.name for p in self.pools]

    def expected_arrivals(self, a: float, b: float) -> np.ndarray:
        """Expected arrivals per call type in ``[a, b)`` (without overdispersion)."""
        if self.trace is not None:
            return self.trace.expected(a, b, len(self.call_types))
        if self.arrivals_by_type is not None:
            return np.array([r.expected(a, b) for r in self.arrivals_by_type])
        assert self.arrivals_total is not None and self.mix is not None
        return self.arrivals_total.expected(a, b) * np.asarray(self.mix)


def compile_scenario(sc: Scenario, allow_large: bool = False) -> CompiledScenario:
    """Turn a validated scenario into a :class:`CompiledScenario`.

    Raises
    ------
    ConfigError
        When a file the scenario points to cannot be read, or (``ScenarioTooLarge``) when
        one replication would pass the size limits of :func:`~callsim.compiled.size.
        check_size` and *allow_large* is not set.
    """
    cs = _compile(sc)
    check_size(cs, allow_large=allow_large, where=sc.source)
    return cs


def _compile(sc: Scenario) -> CompiledScenario:
    base = base_dir(sc)
    names = list(sc.call_types)
    index = {n: i for i, n in enumerate(names)}
    cts: list[CompiledCallType] = []
    for n, cfg in sc.call_types.items():
        where = f"call_types.{n}"
        cts.append(CompiledCallType(
            name=n,
            handle=build_distribution(cfg.handle_time, base, f"{where}.handle_time"),
            acw=(build_distribution(cfg.after_call_work, base, f"{where}.after_call_work")
                 if cfg.after_call_work is not None else None),
            patience=(build_distribution(cfg.patience, base, f"{where}.patience")
                      if cfg.patience is not None else d.Never()),
            queue_capacity=cfg.queue_capacity,
            priority=cfg.priority,
            wait_weight=cfg.wait_weight,
            transfer_out=cfg.transfer_out,
            referral=cfg.referral,
            transfer_to=index.get(cfg.transfer_to or "", -1),
            transfer_share=cfg.transfer_share,
            transfer_out_time=build_distribution(cfg.transfer_out_time, base,
                                                 f"{where}.transfer_out_time"),
            announce=((cfg.announce.mode, tuple((float(x), float(p))
                                                for x, p in cfg.announce.balk))
                      if cfg.announce is not None else None),
            blocks=_blocks(cfg, base, where),
        ))
    pools: list[CompiledPool] = []
    pindex = {p: i for i, p in enumerate(sc.pools)}
    for pname, pcfg in sc.pools.items():
        pieces = staffing_pieces(pcfg.staffing, sc)
        times, counts = change_points(pieces)
        pools.append(CompiledPool(
            pname, tuple(index[s] for s in pcfg.skills), times, counts, tuple(pieces),
            policy=pcfg.policy,
            reserve=tuple((index[k], v) for k, v in (pcfg.reserve or {}).items()),
            shrinkage=pcfg.shrinkage, absenteeism=pcfg.absenteeism,
            handle_factor=_handle_factors(pcfg.skills, pcfg.secondary_handle_factor, index),
        ))
    routing = tuple(tuple(pindex[p] for p in sc.routing_for(n)) for n in names)
    overflow = tuple(tuple(after for _, after in sc.route_steps(n)) for n in names)
    arr = sc.arrivals
    by_type: tuple[PiecewiseRate, ...] | None = None
    total: PiecewiseRate | None = None
    mix: tuple[float, ...] | None = None
    trace: CompiledTrace | None = None
    if arr.trace is not None:
        trace = compile_trace(arr.trace, sc, base)
    elif arr.by_call_type is not None:
        by_type = tuple(
            compile_rate(arr.by_call_type[n], sc, base, f"arrivals.by_call_type.{n}",
                         factor=arr.scale)
            for n in names
        )
    else:
        assert arr.mix is not None
        total = compile_rate(arr, sc, base, "arrivals")
        mix = tuple(float(arr.mix[n]) for n in names)
    return CompiledScenario(
        name=sc.name,
        horizon=sc.horizon.length,
        warmup=sc.horizon.warmup,
        interval=sc.horizon.interval,
        clock_start=sc.horizon.start,
        drain_limit=sc.horizon.drain_limit,
        call_types=tuple(cts),
        pools=tuple(pools),
        routing=routing,
        overflow=overflow,
        arrivals_by_type=by_type,
        arrivals_total=total,
        mix=mix,
        overdispersion=arr.overdispersion,
        capacity=sc.queue.capacity,
        short_abandon=sc.queue.short_abandon,
        service_levels=tuple(sc.kpis.service_levels),
        ivr=compile_ivr(sc.ivr, sc, base) if sc.ivr is not None else None,
        transfer_time=build_distribution(sc.misroute.transfer_time, base,
                                         "misroute.transfer_time"),
        requeue_front=sc.misroute.requeue == "front",
        **_behaviour(sc, base, pindex),
        trace=trace,
        channels=compile_channels(sc, base),
        hours=compile_hours(sc, sc.horizon.length + sc.horizon.drain_limit),
        source=sc,
    )


def _blocks(cfg: CallTypeCfg, base: Path, where: str) -> tuple[CompiledBlock, ...]:
    """The call type's ``by_time`` blocks, in the order given."""
    out = []
    for j, blk in enumerate(cfg.by_time or []):
        w = f"{where}.by_time[{j}]"

        def build(dist: DistCfg | None, name: str, w: str = w) -> d.Distribution | None:
            return build_distribution(dist, base, f"{w}.{name}") if dist is not None else None

        out.append(CompiledBlock(blk.start, blk.end, build(blk.handle_time, "handle_time"),
                                 build(blk.after_call_work, "after_call_work"),
                                 build(blk.patience, "patience")))
    return tuple(out)


def _handle_factors(skills: list[str], factor: float | dict[str, float],
                    index: dict[str, int]) -> tuple[tuple[int, float], ...]:
    """(call type, factor) of a pool's secondary skills whose talk-time factor is not 1."""
    given = factor if isinstance(factor, dict) else dict.fromkeys(skills[1:], factor)
    return tuple((index[k], float(f)) for k, f in given.items() if f != 1.0)


def _behaviour(sc: Scenario, base: Path, pindex: dict[str, int]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if sc.redials is not None:
        r = sc.redials
        out["redial_p"] = (r.after_abandon, r.after_ivr_hangup, r.after_blocked)
        out["redial_delay"] = build_distribution(r.delay, base, "redials.delay")
        out["max_attempts"] = r.max_attempts
    if sc.callbacks is not None:
        c = sc.callbacks
        out["callback_pool"] = pindex[c.pool]
        out["callback_threshold"] = c.offer_when_waiting
        out["callback_accept"] = c.accept
    return out
