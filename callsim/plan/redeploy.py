"""Redeploy: the same agent-hours as today (or a given number), reshaped over the day.

Owns the budget split and the reshaping. Each planned pool keeps its own agent-hours
(``budget="same"``), or a total of *H* hours is split over the planned pools in
proportion to today's hours; the hours are then moved between the day's slots (whole
agents per slot) to make the objective KPI as good as possible.

How: the search starts from the better (simulated) of today's staffing, held per slot,
and an Erlang-A spread of the budget (each agent where the formula gains most, on the
expected load times the day's attempts per first attempt). Then it climbs by
simulation: one agent more, and one agent fewer, in every third slot of every pool (six
designs, common random numbers) measure what an agent is worth in each slot -- the
change of the objective's numerator and denominator in the slot and the two after it,
where its queue carries over; agents then move from the slots where they are worth
least to those where they are worth most (one, three and six moves per pool: three
designs), and the best design is kept if it beats the current one. This captures what
the formula does not: redials, blocking (a freed queue also lets more callers in),
queues carried over. The winner and today are then compared on a fresh seed with
paired replications (:class:`callsim.Comparison`). Groups the objective does not
concern keep today's staffing. Imports the planner's Erlang, evaluation and search
helpers, and :class:`callsim.Comparison`; it must not import the entry point or the outputs.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from callsim.errors import ConfigError
from callsim.plan.erlang import Load, kpi_value
from callsim.plan.evaluate import Candidate, Evaluation, Evaluator
from callsim.plan.problem import Group, PlanSetup
from callsim.plan.search import STRIDE, Staff, _fill_uncovered, group_load
from callsim.plan.targets import KPIS, Target, kpi_base
from callsim.results import Comparison


@dataclass
class RedeployResult:
    """A reshaped day and its paired comparison with today.

    Attributes
    ----------
    staffing
        Pool -> whole scheduled agents per slot.
    budget
        Pool -> agent-hours of the budget.
    objective
        The KPI reshaped for (a :class:`Target` whose value is unused).
    comparison
        Today vs redeploy on the verification seed (paired replications).
    evaluation, today
        Simulations of the redeployed day and of today on the verification seed.
    rounds
        Per simulated allocation: the objective on the search seed.
    """

    staffing: Staff
    budget: dict[str, float]
    objective: Target
    comparison: Comparison
    evaluation: Evaluation
    today: Evaluation
    rounds: list[dict[str, Any]] = field(default_factory=list)

    def gain(self, kpi: str | None = None) -> dict[str, float]:
        """The paired difference redeploy - today of *kpi* (default: the objective, if
        overall; else answer_rate): mean, half_width, ci_low, ci_high, p_value."""
        name = kpi or (self.objective.kpi if self.objective.call_type is None
                       else f"type.{self.objective.call_type}.{self.objective.kpi}")
        d = self.comparison.differences(overall_only="." not in name)
        row = d[d["kpi"] == name]
        if row.empty:
            raise KeyError(name)
        r = row.iloc[0]
        return {k: float(r[k]) for k in ("reference_mean", "design_mean", "difference",
                                         "half_width", "ci_low", "ci_high", "p_value")}


#: What a redeploy can make as good as possible (asa, abandon_rate, mean_wait: smaller).
OBJECTIVES = ("answer_rate, caller_answer_rate (answered calls per caller: more calls "
              "answered), sl_<t>, sla_<t>, abandon_rate, asa, mean_wait")


def parse_objective(text: str, call_types: Sequence[str],
                    service_levels: Sequence[float]) -> Target:
    """The KPI to reshape for: ``answer_rate``, ``caller_answer_rate``, ``sl_20``,
    ``type.covid.asa``, ...

    Raises
    ------
    ConfigError
        For an unknown KPI or call type, or a service level the scenario does not measure.
    """
    from callsim.plan.targets import check_targets

    raw = str(text).strip()
    ctype = None
    if raw.startswith("type."):
        parts = raw.split(".")
        if len(parts) != 3:
            raise ConfigError(f"--objective {text!r}: write KPI or type.<call type>.KPI")
        ctype, raw = parts[1], parts[2]
    base = kpi_base(raw)
    if base not in KPIS:
        raise ConfigError(f"--objective {text!r}: unknown KPI {raw!r}; allowed: "
                          f"{OBJECTIVES} (or type.<call type>.KPI)")
    op = KPIS[base][0]
    t = Target(kpi=raw, op=op, value=math.nan, call_type=ctype)
    check_targets([t], call_types, service_levels)
    return t


def split_budget(setup: PlanSetup, budget: str | float) -> dict[str, float]:
    """Agent-hours per planned pool: today's (``"same"``) or *budget* hours in proportion.

    Raises
    ------
    ConfigError
        For a budget that is neither ``same`` nor a positive number of hours.
    """
    today = {p: setup.agent_hours({p: setup.today[p]}) for p in setup.planned}
    if isinstance(budget, str) and budget.strip().lower() == "same":
        return today
    try:
        total = float(str(budget).lower().removesuffix("h")) if isinstance(budget, str) \
            else float(budget)
    except ValueError:
        raise ConfigError(f"--budget {budget!r}: write 'same' (today's agent-hours) or a "
                          "number of agent-hours a day, e.g. 1000") from None
    if not total > 0 or not math.isfinite(total):
        raise ConfigError(f"--budget {budget!r}: the agent-hours must be a positive number")
    base = sum(today.values())
    shares = ({p: h / base for p, h in today.items()} if base > 0
              else {p: 1 / len(today) for p in today})
    return {p: total * s for p, s in shares.items()}


def _units(setup: PlanSetup, hours: Mapping[str, float]) -> dict[str, int]:
    """Whole agent-slots per pool, rounded so that their total matches the hours."""
    raw = {p: h / setup.slot_hours for p, h in hours.items()}
    units = {p: math.floor(v) for p, v in raw.items()}
    left = round(sum(raw.values())) - sum(units.values())
    for p in sorted(raw, key=lambda q: raw[q] - units[q], reverse=True)[:max(left, 0)]:
        units[p] += 1
    return units


def _gain_fn(obj: Target) -> Callable[[float, Load, int], float]:
    """A per-slot value to maximise (summed over slots) for the objective."""
    base = obj.base

    def value(rate: float, load: Load, agents: int) -> float:
        if rate <= 0:
            return 0.0
        v = kpi_value(obj, load, agents)
        if base in ("answer_rate", "caller_answer_rate", "sl", "sla"):
            if base == "sl":  # answered within t: sl x answer rate
                ar = kpi_value(Target("answer_rate", ">=", 0.0), load, agents)
                v = v * ar
            return rate * v
        if not math.isfinite(v):
            v = 1e6
        return -rate * v  # abandon_rate, asa, mean_wait: less is better

    return value


def _allocate(setup: PlanSetup, g: Group, units: int, rates: np.ndarray,
              obj: Target, types: tuple[str, ...], caps: Mapping[str, int],
              floor: np.ndarray) -> np.ndarray:
    """Spread *units* agent-slots of group *g* over the covered slots (greedy)."""
    covered = setup.extra["covered"]
    pres = float(np.mean([setup.presence[p] for p in g.planned]))
    fixed = np.array([sum(setup.today[p][j] * setup.presence[p] for p in g.pools
                          if p not in g.planned) for j in range(setup.n_slots)])
    cap = sum(caps[p] for p in g.planned)
    value = _gain_fn(obj)
    loads = [group_load(setup, types, j) for j in range(setup.n_slots)]

    def f(j: int, n: int) -> float:
        x = n * pres + fixed[j]
        lo = math.floor(x)
        w = x - lo
        load = Load(float(rates[j]), loads[j].aht, loads[j].patience)
        a = value(float(rates[j]), load, lo)
        return a if w < 1e-9 else (1 - w) * a + w * value(float(rates[j]), load, lo + 1)

    n = floor.astype(np.int64).copy()
    heap: list[tuple[float, int]] = []
    for j in range(setup.n_slots):
        if covered[j] and setup.judged[j] and rates[j] > 0:
            heap.append((-(f(j, n[j] + 1) - f(j, n[j])), j))
    heapq.heapify(heap)
    spent = int(n.sum())
    while spent < units and heap:
        _, j = heapq.heappop(heap)
        n[j] += 1
        spent += 1
        if n[j] < cap:
            heapq.heappush(heap, (-(f(j, n[j] + 1) - f(j, n[j])), j))
    # budget left (no traffic anywhere else): spread over the covered slots evenly
    slots = [j for j in range(setup.n_slots) if covered[j]]
    i = 0
    while spent < units and slots:
        j = slots[i % len(slots)]
        if n[j] < cap:
            n[j] += 1
            spent += 1
        i += 1
        if i > 10 * len(slots) * max(units, 1):
            break
    return n


def _split_pools(setup: PlanSetup, g: Group, total: np.ndarray) -> Staff:
    """Split a group's agents per slot over its planned pools in proportion to today."""
    if len(g.planned) == 1:
        return {g.planned[0]: total.copy()}
    out = {p: np.zeros(setup.n_slots, dtype=np.int64) for p in g.planned}
    for j in range(setup.n_slots):
        w = np.array([setup.today[p][j] for p in g.planned], dtype=float)
        w = w / w.sum() if w.sum() > 0 else np.full(len(g.planned), 1 / len(g.planned))
        raw = w * total[j]
        base = np.floor(raw).astype(np.int64)
        for i in np.argsort(-(raw - base))[: int(total[j] - base.sum())]:
            base[i] += 1
        for i, p in enumerate(g.planned):
            out[p][j] = base[i]
    return out


def _amplified(setup: PlanSetup, ev: Evaluation, types: tuple[str, ...]) -> np.ndarray:
    """Expected first attempts per hour and slot, times the day's offered calls per first
    attempt in *ev* (redials and menu losses, as simulated)."""
    nominal = np.array([group_load(setup, types, j).rate for j in range(setup.n_slots)])
    idx = [setup.types.index(t) for t in types]
    offered = ev.tallies["offered"][:, idx, :].sum(axis=1).mean(axis=0)
    first = nominal * setup.slot_hours
    ok = setup.judged & (first > 0)
    amp = float(offered[ok].sum() / first[ok].sum()) if first[ok].sum() > 0 else 1.0
    return nominal * max(amp, 1e-3)


def _scale_to(values: np.ndarray, units: int, covered: np.ndarray) -> np.ndarray:
    """Whole agents per slot proportional to *values* on the covered slots, summing to *units*."""
    v = np.where(covered, np.maximum(values, 0.0), 0.0)
    raw = v * (units / v.sum()) if v.sum() > 0 else np.where(covered, units / covered.sum(), 0)
    out = np.floor(raw).astype(np.int64)
    for i in np.argsort(-(raw - out))[: units - int(out.sum())]:
        out[i] += 1
    return out


def _worth(setup: PlanSetup, base: Evaluation, pert: Mapping[int, Evaluation],
           obj: Target, types: tuple[str, ...], sign: int) -> np.ndarray:
    """Per slot j: change of the day's objective when slot j has *sign* agents more
    (measured on slot j and the two after it in the design perturbing j's class)."""
    n = setup.n_slots
    num0, den0 = (x.mean(axis=0) for x in base.parts(obj.kpi, types))
    judged = setup.judged
    total_num, total_den = float(num0[judged].sum()), float(den0[judged].sum())
    if total_den <= 0:
        return np.zeros(n)
    ratio = total_num / total_den
    out = np.zeros(n)
    for j in range(n):
        ev = pert.get(j % STRIDE)
        if ev is None or not setup.judged[j]:
            continue
        num, den = (x.mean(axis=0) for x in ev.parts(obj.kpi, types))
        win = [(j + d) % n for d in range(STRIDE) if judged[(j + d) % n]]
        dnum = float((num[win] - num0[win]).sum())
        dden = float((den[win] - den0[win]).sum())
        change = (dnum - ratio * dden) / total_den
        out[j] = change if obj.op == ">=" else -change
    return out


def _moves(plus: np.ndarray, minus: np.ndarray, alloc: np.ndarray, cap: int,
           judged: np.ndarray, m: int, floor: np.ndarray) -> list[tuple[int, int]]:
    """Up to *m* (donor, receiver) slot pairs where an agent gains more than it costs."""
    receivers = [j for j in np.argsort(-plus) if judged[j] and alloc[j] < cap and plus[j] > 0]
    donors = [j for j in np.argsort(-minus) if judged[j] and alloc[j] > floor[j]]
    out: list[tuple[int, int]] = []
    used: set[int] = set()
    for r in receivers:
        if len(out) >= m:
            break
        for d in donors:
            if d in used or d == r:
                continue
            if plus[r] + minus[d] > 0:  # minus[d] < 0: the loss of one agent fewer at d
                out.append((int(d), int(r)))
                used.update((d, r))
            break
    return out


def redeploy(setup: PlanSetup, objective: Target, budget: str | float, evaluator: Evaluator,
             seed: int, verify_seed: int, caps: Mapping[str, int], *, rounds: int = 3,
             verify_reps: int | None = None, min_agents: int = 1,
             say: Callable[[str], None] | None = None) -> RedeployResult:
    """Reshape the planned pools' agent-hours to make *objective* as good as possible.

    Parameters
    ----------
    setup
        The plan's setup.
    objective
        The KPI (a :class:`Target` from :func:`parse_objective`).
    budget
        ``"same"`` or agent-hours a day.
    evaluator
        Runs the simulations.
    seed, verify_seed
        The search seed and the fresh seed of the final paired comparison.
    caps
        Most scheduled agents per pool in any slot.
    rounds
        Climbing rounds (each: six measuring designs and three moving designs).
    verify_reps
        Replications of the final comparison (default: the evaluator's).
    min_agents
        A slot staffed today keeps at least this many agents (a 24-hour line stays
        open); slots unstaffed today may stay empty.
    """
    hours = split_budget(setup, budget)
    units = _units(setup, hours)
    covered = setup.extra["covered"]
    all_types = tuple(t for g in setup.groups for t in g.types)
    obj_types = (objective.call_type,) if objective.call_type else all_types
    active = [g for g in setup.groups
              if objective.call_type is None or objective.call_type in g.types]
    gtypes = {g.name: (g.types if objective.call_type is None else (objective.call_type,))
              for g in active}

    def score(ev: Evaluation) -> float:
        v = float(ev.day_kpi(objective.kpi, obj_types).mean)
        return v if objective.op == ">=" else -v

    def say_(text: str) -> None:
        if say is not None:
            say(text)

    today_cand = Candidate(("today",), setup.scenario)
    say_("redeploy: simulating today")
    today_ev = evaluator.run({"today": today_cand}, seed)["today"]
    floor: Staff = {}
    for p in setup.planned:
        f = np.where(covered & (setup.today[p] > 0.5), min_agents, 0).astype(np.int64)
        floor[p] = f if f.sum() <= units[p] else np.zeros_like(f)
    held: Staff = {p: np.maximum(_scale_to(setup.today[p], units[p], covered), 0)
                   for p in setup.planned}
    spread: Staff = {p: held[p].copy() for p in setup.planned}
    for g in active:
        rates = _amplified(setup, today_ev, gtypes[g.name])
        total = _allocate(setup, g, sum(units[p] for p in g.planned), rates, objective,
                          gtypes[g.name], caps, np.sum([floor[p] for p in g.planned], axis=0))
        spread.update(_split_pools(setup, g, total))
    for st in (held, spread):
        _fill_uncovered(setup, st)
    say_("redeploy: today per slot and the Erlang-A spread")
    evs = evaluator.run({"held": evaluator.candidate(held),
                         "spread": evaluator.candidate(spread)}, seed)
    history: list[dict[str, Any]] = [
        {"design": name, "objective": float(e.day_kpi(objective.kpi, obj_types).mean)}
        for name, e in (("today", today_ev), ("today per slot", evs["held"]),
                        ("Erlang-A spread", evs["spread"]))]
    cur, cur_ev = (held, evs["held"]) if score(evs["held"]) >= score(evs["spread"]) \
        else (spread, evs["spread"])
    for r in range(rounds):
        pert: dict[str, Staff] = {}
        for sign in (1, -1):
            for k in range(STRIDE):
                d = {p: v.copy() for p, v in cur.items()}
                for g in active:
                    for p in g.planned:
                        for j in range(k, setup.n_slots, STRIDE):
                            if setup.judged[j] and floor[p][j] <= d[p][j] + sign <= caps[p]:
                                d[p][j] += sign
                _fill_uncovered(setup, d)
                pert[f"{'+' if sign > 0 else '-'}{k}"] = d
        say_(f"redeploy, round {r + 1}: what an agent is worth in each slot")
        pev = evaluator.run({k: evaluator.candidate(v) for k, v in pert.items()}, seed)
        designs: dict[str, Staff] = {}
        for m in (1, 3, 6):
            d = {p: v.copy() for p, v in cur.items()}
            for g in active:
                t = gtypes[g.name]
                plus = _worth(setup, cur_ev, {k: pev[f"+{k}"] for k in range(STRIDE)},
                              objective, t, 1)
                minus = _worth(setup, cur_ev, {k: pev[f"-{k}"] for k in range(STRIDE)},
                               objective, t, 1)
                for p in g.planned:
                    for donor, receiver in _moves(plus, minus, d[p], caps[p],
                                                  setup.judged & covered, m, floor[p]):
                        d[p][donor] -= 1
                        d[p][receiver] += 1
            _fill_uncovered(setup, d)
            if any(not np.array_equal(d[p], cur[p]) for p in cur):
                designs[f"move{m}"] = d
        if not designs:
            break
        say_(f"redeploy, round {r + 1}: moving agents")
        mev = evaluator.run({k: evaluator.candidate(v) for k, v in designs.items()}, seed)
        name = max(mev, key=lambda k: score(mev[k]))
        history.append({"design": f"round {r + 1}: {name}",
                        "objective": float(mev[name].day_kpi(objective.kpi, obj_types).mean)})
        if score(mev[name]) <= score(cur_ev):
            break
        cur, cur_ev = designs[name], mev[name]
    say_(f"redeploy: paired comparison with today (seed {verify_seed})")
    final = evaluator.run({"today": today_cand, "redeploy": evaluator.candidate(cur)},
                          verify_seed, verify_reps)
    comp = Comparison(batches={"today": final["today"].batch,
                               "redeploy": final["redeploy"].batch},
                      seed=verify_seed, level=evaluator.level)
    return RedeployResult(staffing=cur, budget=hours, objective=objective,
                          comparison=comp, evaluation=final["redeploy"],
                          today=final["today"], rounds=history)
