"""From requirements to a verified plan: shifts (or per-slot staffing), checked on a fresh seed.

Owns the verification loop: turn the per-slot requirements into staffing -- daily
shifts chosen by the mixed-integer program of :mod:`callsim.plan.milp`, or the
requirements themselves as ``per_interval`` staffing -- simulate it on a *fresh* seed
(not the one the requirements were searched with), and where a slot misses a target,
raise that slot's requirement (by the calibrated Erlang-A step) and schedule again,
until the plan meets every target at the stated confidence or a limit is reached.
Imports the planner's search, evaluation, shift and program modules; it must not
import the entry point or the outputs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from callsim.config import Scenario, with_overrides
from callsim.plan.evaluate import Candidate, Evaluation, Evaluator
from callsim.plan.milp import ShiftSolution, cover_at_least_cost
from callsim.plan.problem import Group, PlanSetup
from callsim.plan.search import (
    Memo,
    Miss,
    Staff,
    Stuck,
    _copy,
    _fill_uncovered,
    _misses,
    _missing,
    _repair,
    group_checks,
    judge,
)
from callsim.plan.shifts import Pattern, ShiftFile, patterns_for, shifts_yaml
from callsim.plan.targets import Target


@dataclass
class Schedule:
    """A plan's staffing and how it was verified.

    Attributes
    ----------
    staffing
        Pool -> the scenario's ``staffing`` mapping (``shifts`` or ``per_interval``).
    scheduled
        Pool -> scheduled agents per slot (time averages).
    required
        Pool -> the requirement the final schedule covers (after repairs).
    shifts
        Pool -> (pattern, agents) of the chosen shifts (shift plans only).
    evaluation
        The simulation of the final plan on the verification seed.
    misses
        Slots still missing a target (empty when verified).
    rounds
        Per verification round: slots missing.
    """

    staffing: dict[str, dict[str, Any]]
    scheduled: Staff
    required: Staff
    evaluation: Evaluation
    misses: list[Miss]
    shifts: dict[str, list[tuple[Pattern, int]]] = field(default_factory=dict)
    solutions: dict[str, ShiftSolution] = field(default_factory=dict)
    rounds: list[dict[str, Any]] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        """Whether every slot meets every target on the verification seed."""
        return not self.misses


def plan_scenario(setup: PlanSetup, staffing: Mapping[str, Mapping[str, Any]]) -> Scenario:
    """The scenario with *staffing* (pool -> a ``staffing`` mapping) for the planned pools."""
    return with_overrides(setup.scenario,
                          {f"pools.{p}.staffing": dict(v) for p, v in staffing.items()})


def _schedule_shifts(setup: PlanSetup, required: Staff, patterns: Mapping[str, list[Pattern]],
                     sf: ShiftFile) -> tuple[dict[str, dict[str, Any]], Staff,
                                             dict[str, list[tuple[Pattern, int]]],
                                             dict[str, ShiftSolution]]:
    staffing: dict[str, dict[str, Any]] = {}
    scheduled: Staff = {}
    chosen: dict[str, list[tuple[Pattern, int]]] = {}
    sols: dict[str, ShiftSolution] = {}
    covered = setup.extra["covered"]
    for p in setup.planned:
        req = np.where(covered, required[p], 0).astype(float)
        sol = cover_at_least_cost(req, patterns[p], max_share=sf.part_time.max_share,
                                  max_part_time=sf.part_time.max_agents)
        sols[p] = sol
        entries = shifts_yaml(patterns[p], sol.counts.tolist())
        staffing[p] = ({"shifts": entries} if entries else {"agents": 0})
        scheduled[p] = sol.covered
        chosen[p] = [(pat, int(n)) for pat, n in zip(patterns[p], sol.counts, strict=True)
                     if n > 0]
    return staffing, scheduled, chosen, sols


def verify(setup: PlanSetup, targets: Sequence[Target], evaluator: Evaluator,
           required: Staff, seed: int, caps: Mapping[str, int], *,
           shift_file: ShiftFile | None = None, reps: int | None = None,
           max_rounds: int = 6, say: Callable[[str], None] | None = None) -> Schedule:
    """Schedule *required* and verify it on *seed*, repairing slots that miss.

    Parameters
    ----------
    setup, targets, evaluator
        The plan's setup, targets and simulation runner.
    required
        Pool -> scheduled agents needed per slot (from the requirement search).
    seed
        The verification seed (a fresh one: not the search's).
    caps
        Most scheduled agents per pool in any slot.
    shift_file
        Shift templates: schedule with the program; None: per-slot staffing.
    reps
        Replications of the verification (default: the evaluator's).
    max_rounds
        Most verification rounds.
    """
    checks = group_checks(setup, targets)
    req = _copy(required)
    patterns = ({p: patterns_for(shift_file, p, setup.slot) for p in setup.planned}
                if shift_file is not None else {})
    rounds: list[dict[str, Any]] = []
    stuck: Stuck = {}
    memo: Memo = {}
    for r in range(max_rounds):
        chosen: dict[str, list[tuple[Pattern, int]]] = {}
        sols: dict[str, ShiftSolution] = {}
        if shift_file is not None:
            staffing, scheduled, chosen, sols = _schedule_shifts(setup, req, patterns,
                                                                 shift_file)
        else:
            _fill_uncovered(setup, req)
            staffing = {p: {"per_interval": [int(x) for x in req[p]], "interval": setup.slot}
                        for p in setup.planned}
            scheduled = {p: req[p].astype(float) for p in setup.planned}
        key = ("plan", tuple(sorted((p, repr(v)) for p, v in staffing.items())))
        if say is not None:
            say(f"verification, round {r + 1} (seed {seed})")
        ev = evaluator.run({"plan": Candidate(key, plan_scenario(setup, staffing))}, seed,
                           reps)["plan"]
        status = judge(ev, checks)
        failing = _missing(setup, status, stuck)
        rounds.append({"round": r + 1, "missing": len(failing),
                       "short": {p: float(s.short.sum()) for p, s in sols.items()}})
        if not failing or r == max_rounds - 1:
            break
        # raise the requirement where the plan misses: from what is scheduled there
        level = {p: np.maximum(req[p], np.ceil(scheduled[p] - 1e-9)).astype(np.int64)
                 for p in setup.planned}
        before = _copy(level)
        _repair(setup, ev, status, failing, level, caps, stuck, memo)
        if all(np.array_equal(before[p], level[p]) for p in level):
            break
        for p in setup.planned:
            req[p] = np.where(level[p] > before[p], level[p], req[p])
    def why(g: Group, j: int) -> str | None:
        if any(p in sols and sols[p].short[j] > 0 for p in g.planned):
            return "the shift templates cannot cover it (their max or the part-time limits)"
        if (g.name, j) in stuck:
            return None
        return f"still missing after {len(rounds)} verification rounds"

    misses = _misses(setup, status, {p: np.ceil(v - 1e-9).astype(np.int64)
                                     for p, v in scheduled.items()}, stuck, why)
    return Schedule(staffing=staffing, scheduled=scheduled, required=req, evaluation=ev,
                    misses=misses, shifts=chosen, solutions=sols, rounds=rounds)


def per_slot_staffing(setup: PlanSetup, staff: Staff) -> dict[str, dict[str, Any]]:
    """``per_interval`` staffing mappings for *staff* (pool -> whole agents per slot)."""
    out = {}
    for p, v in staff.items():
        vals = [math.floor(x + 1e-9) for x in v]
        out[p] = {"per_interval": vals, "interval": setup.slot}
    return out
