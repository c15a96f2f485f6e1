"""Per-slot staffing requirements: an Erlang-A start refined by simulation.

Owns the requirement search. Every candidate is a whole-day staffing of every planned
pool (``per_interval``, whole scheduled agents), simulated with the same seed (common
random numbers), so queues carry over from slot to slot, redials and blocking feed
back and pools of a group share their load. A slot *meets* a target when the bound of
its confidence interval does (not the mean). Each batch simulates one design, so all
slots and pools move together; the search has three phases:

1. **repair** from the Erlang-A start until every slot meets its targets: where a slot
   misses, add agents, as many as Erlang A *calibrated* on the simulation says (the
   arrival rate at which the formula reproduces the measured KPI with the agents
   present, then the formula's requirement at that rate with the CI half-width as
   margin), at least one;
2. **trim**: in every third slot (so that slots one or two apart do not disturb each
   other's test), take agents away -- one where the calibrated formula says the slot
   might still meet its targets, more where it says it should -- and keep a trim if its
   slot and the two after it (where its queue carries over) still meet every target;
   a refused trim sets a floor (the level that missed, plus one). The day is swept
   three times, or until no slot can lose an agent;
3. **repair** again what the trims disturbed elsewhere (the designs differ, so callers
   who were barely served in one may not be in another), until every slot meets its
   targets.

The result meets every target on the search seed; slots that miss with every planned
pool of their group at its cap are reported with the best value reached. Imports the
planner's setup, Erlang and evaluation modules; never the batch layer directly.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from callsim.errors import ConfigError
from callsim.plan.erlang import Load, agents_needed, effective_rate, kpi_value
from callsim.plan.evaluate import Evaluation, Evaluator
from callsim.plan.problem import Group, PlanSetup
from callsim.plan.targets import Target

Staff = dict[str, np.ndarray]
#: (group, slot) -> why more agents are not tried there.
Stuck = dict[tuple[str, int], str]
#: (group, slot) -> (agents per planned pool, summed shortfall) at the last repair.
Memo = dict[tuple[str, int], tuple[dict[str, int], float]]
#: Slots apart in one trim design (a trim is checked on its slot and the next STRIDE-1).
STRIDE = 3


@dataclass(frozen=True)
class Check:
    """A target applied to a group: the call types whose KPI it constrains."""

    target: Target
    types: tuple[str, ...]


@dataclass
class Miss:
    """A slot of a group that misses a target (with the best value reached)."""

    group: str
    slot: int
    clock: str
    target: str
    mean: float
    ci_low: float
    ci_high: float
    agents: dict[str, int]
    reason: str

    def message(self) -> str:
        """One line for the user."""
        who = ", ".join(f"{p} {n}" for p, n in self.agents.items())
        return (f"{self.clock} ({self.group}): {self.target} not met; best reached "
                f"{self.mean:.4g} (CI {self.ci_low:.4g} to {self.ci_high:.4g}) with "
                f"{who} agents ({self.reason})")


@dataclass
class SearchResult:
    """Requirements found by :func:`find_requirements`.

    Attributes
    ----------
    erlang
        Pool -> Erlang-A start per slot (scheduled agents).
    erlang_present
        Pool -> Erlang-A requirement per slot in agents on the phones.
    required
        Pool -> simulated requirement per slot (scheduled agents).
    evaluation
        The simulation of *required* (the search's seed).
    misses
        Slots that cannot meet a target within the caps.
    rounds
        (kind, slots missing, trims kept) per batch.
    """

    erlang: Staff
    erlang_present: Staff
    required: Staff
    evaluation: Evaluation
    misses: list[Miss]
    rounds: list[dict[str, object]] = field(default_factory=list)


def group_checks(setup: PlanSetup, targets: Sequence[Target]) -> dict[str, list[Check]]:
    """The checks each group must pass (overall targets apply to every group's calls).

    Raises
    ------
    ConfigError
        If a planned pool's group has no target, or a call-type target names a type no
        planned pool serves.
    """
    out: dict[str, list[Check]] = {}
    for g in setup.groups:
        checks = []
        for t in targets:
            if t.call_type is None:
                checks.append(Check(t, g.types))
            elif t.call_type in g.types:
                checks.append(Check(t, (t.call_type,)))
        if not checks:
            raise ConfigError(f"pools {', '.join(g.planned)}: no target applies to the calls "
                              f"they answer ({', '.join(g.types)}); give an overall target "
                              "or one for these call types, or leave the pools out of --pools")
        out[g.name] = checks
    for t in targets:
        if t.call_type is not None and not any(t.call_type in g.types for g in setup.groups):
            served = [p for p in setup.pools if t.call_type in setup.scenario.pools[p].skills]
            raise ConfigError(f"target {t.label}: no planned pool answers {t.call_type!r} "
                              f"(it is answered by {', '.join(served)}); add them to --pools")
    return out


def group_load(setup: PlanSetup, types: Sequence[str], j: int) -> Load:
    """The Erlang view of *types* in slot *j* (expected first attempts)."""
    return Load.combine([float(setup.lam[t][j]) for t in types],
                        [setup.aht[t] for t in types], [setup.patience[t] for t in types])


def _present_fixed(setup: PlanSetup, g: Group, j: int) -> float:
    """Agents on the phones of the group's pools that the plan does not change."""
    return sum(setup.today[p][j] * setup.presence[p] for p in g.pools if p not in g.planned)


def _split(setup: PlanSetup, g: Group, j: int, present: float) -> dict[str, int]:
    """Scheduled agents per planned pool for *present* agents on the phones of the group."""
    if len(g.planned) == 1:
        p = g.planned[0]
        return {p: math.ceil(present / setup.presence[p] - 1e-9) if present > 0 else 0}
    shares = np.array([max(setup.today[p][j], 0.0) for p in g.planned])
    shares = shares / shares.sum() if shares.sum() > 0 else np.full(len(g.planned),
                                                                    1 / len(g.planned))
    return {p: math.ceil(present * s / setup.presence[p] - 1e-9) if present > 0 else 0
            for p, s in zip(g.planned, shares, strict=True)}


def erlang_start(setup: PlanSetup, checks: Mapping[str, list[Check]],
                 caps: Mapping[str, int]) -> tuple[Staff, Staff]:
    """Erlang-A requirements per planned pool and slot: (scheduled, on the phones)."""
    sched = {p: np.zeros(setup.n_slots, dtype=np.int64) for p in setup.planned}
    present = {p: np.zeros(setup.n_slots) for p in setup.planned}
    covered = setup.extra["covered"]
    for g in setup.groups:
        cap = int(sum(caps[p] * setup.presence[p] for p in g.planned)
                  + max(_present_fixed(setup, g, j) for j in range(setup.n_slots)))
        for j in range(setup.n_slots):
            if not covered[j]:
                continue
            cs = checks[g.name]
            loads = [group_load(setup, c.types, j) for c in cs]
            need = agents_needed([c.target for c in cs], loads, max(cap, 1))
            c_total = float(cap if need is None else need)
            c_plan = max(0.0, c_total - _present_fixed(setup, g, j))
            split = _split(setup, g, j, c_plan)
            total = sum(split.values())
            for p, n_p in split.items():
                sched[p][j] = min(n_p, caps[p])
                present[p][j] = c_plan * n_p / total if total else 0.0
    _fill_uncovered(setup, sched)
    return sched, present


def _fill_uncovered(setup: PlanSetup, staff: Staff) -> None:
    """Slots outside the horizon keep the last covered slot's staffing (calls that are
    still waiting when the horizon ends are served by them)."""
    covered = setup.extra["covered"]
    if covered.all() or not covered.any():
        return
    for v in staff.values():
        last = None
        for j in list(range(setup.n_slots)) * 2:
            if covered[j]:
                last = v[j]
            elif last is not None:
                v[j] = last


@dataclass
class _Status:
    """Per group: which slots meet every check, and each check's estimates."""

    ok: dict[str, np.ndarray]
    stats: dict[str, list[tuple[Check, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]]


def judge(ev: Evaluation, checks: Mapping[str, list[Check]]) -> _Status:
    """Which slots of each group meet all their checks in *ev*."""
    ok: dict[str, np.ndarray] = {}
    st: dict[str, list[tuple[Check, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]] = {}
    for gname, cs in checks.items():
        good = np.ones(ev.setup.n_slots, dtype=bool)
        rows = []
        for c in cs:
            met = ev.met(c.target, c.types)
            s = ev.kpi(c.target.kpi, c.types)
            rows.append((c, met, np.asarray(s.mean), np.asarray(s.ci_low),
                         np.asarray(s.ci_high)))
            good &= met
        ok[gname] = good
        st[gname] = rows
    return _Status(ok, st)


def _present_now(ev: Evaluation, g: Group, j: int) -> float:
    """Mean agents staffed (present) in the group's pools in slot *j* of the simulation."""
    idx = [ev.setup.pools.index(p) for p in g.pools]
    return float(ev.staffed[:, idx, j].mean(axis=0).sum())


def _calibrated_need(setup: PlanSetup, ev: Evaluation, g: Group, c: Check, j: int,
                     mean: float, half: float, cap_present: int) -> float | None:
    """Agents on the phones the calibrated formula needs to meet *c* at slot *j* with the
    CI half-width as margin (None: not within the cap)."""
    load = group_load(setup, c.types, j)
    present = _present_now(ev, g, j)
    n = max(1, round(present))
    if math.isnan(mean):
        return None
    lam = effective_rate(c.target, load, n, mean)
    eff = Load(lam, load.aht, load.patience)
    need = agents_needed([c.target], [eff], cap_present, [half if math.isfinite(half) else 0])
    return None if need is None else float(need) + (present - n)


def _predict_ok(setup: PlanSetup, ev: Evaluation, g: Group, c: Check, j: int, mean: float,
                half: float, drop: float, sure: bool = False) -> bool:
    """Whether *drop* fewer agents on the phones might still meet *c* (the mean within a
    half-width of the target) or, if *sure*, should (the mean a half-width past it)."""
    if math.isnan(mean):
        return True
    load = group_load(setup, c.types, j)
    n = max(1, round(_present_now(ev, g, j)))
    lam = effective_rate(c.target, load, n, mean)
    m = max(0, math.floor(n - drop))
    value = kpi_value(c.target, Load(lam, load.aht, load.patience), m)
    half = max(half, 0.0)
    if sure:
        return c.target.shortfall(value) <= -0.8 * half + 1e-9
    return c.target.shortfall(value) <= half + 0.01 * abs(c.target.value) + 1e-9


def _copy(s: Staff) -> Staff:
    return {p: v.copy() for p, v in s.items()}


def find_requirements(setup: PlanSetup, targets: Sequence[Target], evaluator: Evaluator,
                      seed: int, caps: Mapping[str, int], *, max_batches: int = 30,
                      trim_batches: int = 3 * STRIDE, start: Staff | None = None,
                      say: Callable[[str], None] | None = None) -> SearchResult:
    """Fewest scheduled agents per planned pool and slot meeting *targets* (see module doc).

    Parameters
    ----------
    setup, targets
        The plan's setup and targets.
    evaluator
        Runs the simulations (common random numbers with *seed*).
    caps
        Most scheduled agents per pool in any slot.
    max_batches
        Most simulation batches before the search stops with what it has.
    trim_batches
        Most trim batches (each tries every third slot once; the default sweeps the day
        three times).
    start
        A staffing to start from instead of the Erlang-A start (e.g. to repair a plan).
    say
        Called with a short status line before each batch (a progress bar).
    """
    checks = group_checks(setup, targets)
    erl, erl_present = erlang_start(setup, checks, caps)
    cur = _copy(start if start is not None else erl)
    floor = {p: np.zeros(setup.n_slots, dtype=np.int64) for p in setup.planned}
    rounds: list[dict[str, object]] = []
    stuck: Stuck = {}
    memo: Memo = {}
    last: tuple[Evaluation, _Status] | None = None
    trimming = False  # repair until every slot meets its targets, then trim, then repair
    trimmed = 0
    k = 0
    final: Evaluation | None = None
    for _ in range(max_batches):
        trims: list[tuple[str, int, int]] = []
        if trimming and last is not None:
            if trimmed < trim_batches:
                for i in range(STRIDE):
                    trims = _trims(setup, last[0], last[1], cur, floor, (k + i) % STRIDE)
                    if trims:
                        k = (k + i + 1) % STRIDE
                        break
            if not trims:
                trimming = False  # nothing left to try: repair what the trims disturbed
                trimmed = trim_batches
        design = _copy(cur)
        for p, j, d in trims:
            design[p][j] -= d
        _fill_uncovered(setup, design)
        if say is not None:
            what = f"trying {len(trims)} slots with fewer agents" if trims else "checking"
            say(f"requirements, batch {len(rounds) + 1}: {what}")
        ev = evaluator.run({"d": evaluator.candidate(design)}, seed)["d"]
        status = judge(ev, checks)
        failing = _missing(setup, status, stuck)
        last = (ev, status)
        if trims:
            restored = _restore(setup, failing, trims, design, floor)
            rounds.append({"kind": "trim", "tried": len(trims),
                           "kept": len(trims) - len(restored), "missing": len(failing)})
            trimmed += 1
            cur = design
            _fill_uncovered(setup, cur)
            continue
        rounds.append({"kind": "check", "missing": len(failing)})
        if not failing:
            if trimmed >= trim_batches:
                final = ev
                break
            trimming = True
            continue
        _repair(setup, ev, status, failing, design, caps, stuck, memo)
        cur = design
        _fill_uncovered(setup, cur)
    if final is None:
        final = evaluator.run({"cur": evaluator.candidate(cur)}, seed)["cur"]
    status = judge(final, checks)
    misses = _misses(setup, status, cur, stuck)
    return SearchResult(erlang=erl, erlang_present=erl_present, required=cur,
                        evaluation=final, misses=misses, rounds=rounds)


def _missing(setup: PlanSetup, status: _Status, stuck: Stuck
             ) -> list[tuple[Group, int]]:
    return [(g, j) for g in setup.groups for j in range(setup.n_slots)
            if not status.ok[g.name][j] and (g.name, j) not in stuck]


def _restore(setup: PlanSetup, failing: list[tuple[Group, int]],
             trims: list[tuple[str, int, int]], design: Staff, floor: Staff
             ) -> set[tuple[str, int]]:
    """Undo the trims that may have caused a miss (their slot or one or two before it).
    The level that missed, plus one, becomes the slot's floor: a one-agent trim that
    missed is not tried again, a larger one is tried smaller."""
    undone: set[tuple[str, int]] = set()
    for g, j in failing:
        for p, s, d in trims:
            if p in g.planned and j in setup.window(s, STRIDE) and (p, s) not in undone:
                floor[p][s] = design[p][s] + 1
                design[p][s] += d
                undone.add((p, s))
    return undone


def _repair(setup: PlanSetup, ev: Evaluation, status: _Status,
            failing: list[tuple[Group, int]], cur: Staff, caps: Mapping[str, int],
            stuck: Stuck, memo: Memo) -> None:
    """Add agents where slots miss, sized by the calibrated Erlang-A formula.

    A slot whose KPIs did not change at all since its last repair (with common random
    numbers: the same callers) is not helped by these agents -- what misses happens
    before its calls reach them (in the menu, in another pool's queue, in a transfer) --
    so the last repair is undone and the slot is reported instead of staffed up to the
    cap.
    """
    for g, j in failing:
        key = (g.name, j)
        short = sum(max(c.target.shortfall(float(mean[j])), 0.0)
                    for c, met, mean, _, _ in status.stats[g.name] if not met[j])
        levels = {p: int(cur[p][j]) for p in g.planned}
        before = memo.get(key)
        if before is not None and sum(levels.values()) > sum(before[0].values()) \
                and abs(short - before[1]) <= 1e-12:
            for p, n in before[0].items():
                cur[p][j] = n
            stuck[key] = ("more agents do not help: what misses happens before the calls "
                          "reach these pools (the menu, another pool's queue, a transfer)")
            continue
        memo[key] = (levels, short)
        room = {p: caps[p] - int(cur[p][j]) for p in g.planned}
        if all(r <= 0 for r in room.values()):
            stuck[key] = "every planned pool at its cap"
            continue
        cap_present = int(sum(caps[p] * setup.presence[p] for p in g.planned)
                          + _present_fixed(setup, g, j) + 1)
        have = float(sum(cur[p][j] for p in g.planned))
        step = 1
        for c, met, mean, lo, hi in status.stats[g.name]:
            if met[j]:
                continue
            half = float(mean[j] - lo[j]) if c.target.op == ">=" else float(hi[j] - mean[j])
            need = _calibrated_need(setup, ev, g, c, j, float(mean[j]), half, cap_present)
            if need is None:
                step = max(step, sum(max(r, 0) for r in room.values()))
                continue
            pres = float(np.mean([setup.presence[p] for p in g.planned]))
            step = max(step, math.ceil((need - _present_now(ev, g, j)) / pres - 1e-9))
        step = min(step, max(3, math.ceil(0.5 * have)))
        occ = {p: float(np.nan_to_num(ev.occupancy(p)[j], nan=0.0)) for p in g.planned}
        for _ in range(step):
            open_pools = [p for p in g.planned if cur[p][j] < caps[p]]
            if not open_pools:
                break
            p = max(open_pools, key=lambda q: (occ[q], -cur[q][j]))
            cur[p][j] += 1
            occ[p] *= 0.9


def _trims(setup: PlanSetup, ev: Evaluation, status: _Status, cur: Staff, floor: Staff,
           k: int) -> list[tuple[str, int, int]]:
    """Fewer agents in slots ``k, k + 3, ...`` where the slot and the two after it meet
    their targets: (pool, slot, agents fewer), as many as the calibrated formula says
    might still meet them (at least one, at most a sixth of the slot's agents)."""
    out: list[tuple[str, int, int]] = []
    n = setup.n_slots
    for g in setup.groups:
        for j in range(k, n, STRIDE):
            if not setup.judged[j] or not all(status.ok[g.name][w]
                                              for w in setup.window(j, STRIDE)):
                continue
            pools = [p for p in g.planned if cur[p][j] - 1 >= floor[p][j]]
            if not pools:
                continue
            occ = {p: float(np.nan_to_num(ev.occupancy(p)[j], nan=1.0)) for p in pools}
            p = min(pools, key=lambda q: (occ[q], -cur[q][j]))
            most = min(int(cur[p][j] - floor[p][j]), max(1, math.ceil(cur[p][j] / 6)))
            size = 0
            for d in range(1, most + 1):
                drop = d * setup.presence[p]
                if all(_predict_ok(setup, ev, g, c, j, float(mean[j]),
                                   float(mean[j] - lo[j]) if c.target.op == ">="
                                   else float(hi[j] - mean[j]), drop, sure=d > 1)
                       for c, _, mean, lo, hi in status.stats[g.name]):
                    size = d
                else:
                    break
            if size:
                out.append((p, j, size))
    return out


def _misses(setup: PlanSetup, status: _Status, cur: Staff, stuck: Stuck,
            why: Callable[[Group, int], str | None] | None = None) -> list[Miss]:
    """The slots that miss a target in *status*, with the reason (*why* may name one)."""
    out: list[Miss] = []
    for g in setup.groups:
        for j in range(setup.n_slots):
            if status.ok[g.name][j]:
                continue
            for c, met, mean, lo, hi in status.stats[g.name]:
                if met[j]:
                    continue
                reason = ((why(g, j) if why is not None else None)
                          or stuck.get((g.name, j)) or "the search stopped (batch limit)")
                out.append(Miss(g.name, j, setup.clock(j), c.target.label
                                + ("" if c.target.call_type or len(setup.groups) == 1
                                   else f" ({'+'.join(c.types)})"),
                                float(mean[j]), float(lo[j]), float(hi[j]),
                                {p: int(cur[p][j]) for p in g.planned}, reason))
    return out
