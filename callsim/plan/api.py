"""The planner's entry point: :func:`plan` and its :class:`PlanResult`.

Owns the order of the work (set up; then either search the requirements, schedule them
and verify the schedule on a fresh seed, or redeploy a budget), the defaults (seeds,
replications, caps) and the result object with its tables. Imports every module of the
planner; the output writer and the command line import it; it must not import them (tables are
imported lazily from :mod:`callsim.plan.output`).

Seeds: the search runs on *seed*; the verification, and the paired comparison of a
redeploy, on *verify_seed* (default ``seed + 1``), so the plan is proven on callers it
was not fitted to. Caps: a pool's scheduled agents in any slot are at most
*max_agents* (default: four times its peak today, at least 20).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from callsim.config import Scenario, load_scenario
from callsim.errors import ConfigError
from callsim.experiment import Runner
from callsim.experiment.batch import using_runner
from callsim.experiment.progress import Progress, make_progress
from callsim.plan.evaluate import Evaluation, Evaluator
from callsim.plan.problem import PlanSetup, build_setup
from callsim.plan.redeploy import RedeployResult, parse_objective, redeploy
from callsim.plan.schedule import Schedule, plan_scenario, verify
from callsim.plan.search import Miss, SearchResult, Staff, find_requirements, group_checks
from callsim.plan.shifts import (
    ShiftFile,
    check_pools,
    load_shift_file,
    max_agents_for,
    parse_shift_file,
)
from callsim.plan.targets import Target, check_targets, parse_targets


@dataclass
class PlanResult:
    """What :func:`plan` found (see :mod:`callsim.plan.output` for the files).

    Attributes
    ----------
    mode
        ``"requirements"`` (targets: search, schedule, verify) or ``"redeploy"``.
    setup
        The slots, pools, groups and loads.
    targets
        The targets (may be empty in redeploy mode).
    search
        The requirement search (requirements mode).
    schedule
        The verified schedule (requirements mode).
    redeploy
        The reshaped day and its comparison with today (redeploy mode).
    staffing
        Pool -> the new ``staffing`` mapping of the scenario.
    scheduled
        Pool -> scheduled agents per slot under the plan.
    evaluation
        The plan simulated on the verification seed.
    """

    mode: str
    setup: PlanSetup
    targets: list[Target]
    level: float
    reps: int
    verify_reps: int
    seed: int
    verify_seed: int
    staffing: dict[str, dict[str, Any]]
    scheduled: Staff
    evaluation: Evaluation
    search: SearchResult | None = None
    schedule: Schedule | None = None
    redeploy: RedeployResult | None = None
    shift_file: ShiftFile | None = None
    simulations: int = 0
    batches: int = 0
    seconds: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def misses(self) -> list[Miss]:
        """Slots that miss a target on the verification seed (requirements mode)."""
        return self.schedule.misses if self.schedule is not None else []

    @property
    def verified(self) -> bool:
        """Whether the plan meets every target on the verification seed."""
        return self.mode == "requirements" and not self.misses

    @property
    def scenario(self) -> Scenario:
        """The input scenario with the plan's staffing."""
        return plan_scenario(self.setup, self.staffing)

    def agent_hours(self) -> dict[str, dict[str, float]]:
        """Per pool and in total: scheduled agent-hours a day today and under the plan
        (and the simulated and Erlang-A requirements in requirements mode)."""
        su = self.setup
        rows: dict[str, dict[str, float]] = {}
        for p in [*su.planned, "total"]:
            pools = su.planned if p == "total" else [p]
            row = {"today": su.agent_hours({q: su.today[q] for q in pools}),
                   "planned": su.agent_hours({q: self.scheduled[q] for q in pools})}
            if self.search is not None:
                row["required"] = su.agent_hours({q: self.search.required[q] for q in pools})
                row["erlang_a"] = su.agent_hours({q: self.search.erlang[q] for q in pools})
            rows[p] = row
        return rows

    def requirements(self) -> pd.DataFrame:
        """Per pool and slot: today, Erlang-A (scheduled and on the phones), the simulated
        requirement, what the plan schedules and the agents expected on the phones."""
        from callsim.plan.output import requirements_table

        return requirements_table(self)

    def verification(self) -> pd.DataFrame:
        """Per slot and target (or objective): the KPI under the plan, with its CI."""
        from callsim.plan.output import verification_table

        return verification_table(self)

    def summary(self) -> dict[str, Any]:
        """The ``plan.json`` summary."""
        from callsim.plan.output import summary_dict

        return summary_dict(self)


def _caps(setup: PlanSetup, max_agents: int | Mapping[str, int] | None,
          sf: ShiftFile | None) -> dict[str, int]:
    caps: dict[str, int] = {}
    for p in setup.planned:
        given: int | None = None
        if isinstance(max_agents, Mapping):
            for q in max_agents:
                if q not in setup.pools:
                    raise ConfigError(f"max_agents: {q!r} is not an agent pool; allowed: "
                                      f"{', '.join(setup.pools)}")
            given = max_agents.get(p)
        elif max_agents is not None:
            given = int(max_agents)
        if given is None:
            given = max_agents_for(sf, p)
        if given is not None and given < 1:
            raise ConfigError(f"max_agents for {p}: {given} is not allowed; it must be >= 1")
        caps[p] = int(given) if given is not None else max(20, 4 * math.ceil(
            float(setup.today[p].max())))
    return caps


def _shift_file(shifts: str | Path | ShiftFile | Mapping[str, Any] | None
                ) -> ShiftFile | None:
    if shifts is None or isinstance(shifts, ShiftFile):
        return shifts
    if isinstance(shifts, Mapping):
        return parse_shift_file(shifts)
    return load_shift_file(shifts)


def plan(scenario: Scenario | str | Path,
         targets: Iterable[str | Target] | str | Mapping[str, float] | None = None, *,
         pools: Sequence[str] | None = None, interval: float | str | None = None,
         budget: str | float | None = None, objective: str = "answer_rate",
         shifts: str | Path | ShiftFile | Mapping[str, Any] | None = None,
         reps: int = 10, verify_reps: int | None = None, seed: int = 0,
         verify_seed: int | None = None, level: float = 0.95,
         max_agents: int | Mapping[str, int] | None = None, backend: str | None = None,
         jobs: int | None = None, scheduler: Any = None, runner: Runner | None = None,
         progress: bool | Progress | None = None, max_batches: int = 30,
         redeploy_rounds: int = 3) -> PlanResult:
    """Plan the staffing of a scenario: by targets, or by reshaping a budget.

    Parameters
    ----------
    scenario
        A scenario or a YAML path.
    targets
        ``["sl_20>=0.8", "type.covid.answer_rate>=0.9"]`` (see
        :mod:`callsim.plan.targets`). Required unless *budget* is given.
    pools
        Pools to plan (default: all); the others keep today's staffing.
    interval
        Slot length (``"30min"``; default the scenario's reporting interval).
    budget
        Redeploy mode: ``"same"`` (each pool keeps today's agent-hours) or agent-hours a
        day (split over the pools in proportion to today's).
    objective
        Redeploy mode: the KPI to make as good as possible (``answer_rate``, ``sl_20``,
        ``asa``, ``type.covid.answer_rate``, ...).
    shifts
        Shift templates (a YAML path, a mapping or a :class:`ShiftFile`): the plan is then
        daily shifts chosen at least cost; without, per-slot staffing.
    reps, verify_reps
        Replications per candidate in the search, and in the verification (default
        twice *reps*).
    seed, verify_seed
        The search's seed and the verification's (default ``seed + 1``).
    level
        Confidence level: a slot meets a target when its CI bound does.
    max_agents
        Most scheduled agents of a pool in any slot (a number or per pool).
    backend, jobs, scheduler
        Where batches run (as for :func:`callsim.run_batch`; default serial): one
        :class:`~callsim.experiment.backends.Runner` for the whole plan, so workers start
        once.
    runner
        A runner of the caller's instead (left open).
    progress
        Show progress (as for :func:`callsim.run_batch`: ``None`` a bar on stderr when it
        is a terminal or in a notebook; ``True``/``False``; a
        :class:`~callsim.experiment.progress.Progress`).
    max_batches
        Most batches of the requirement search.
    redeploy_rounds
        Climbing rounds of a redeploy.

    Returns
    -------
    PlanResult
        Whether targets could be met is in ``result.misses`` (the plan is still there).

    Raises
    ------
    ConfigError
        Unknown KPIs, call types, pools or shift fields; a bad budget or interval.
    """
    t0 = time.perf_counter()
    sc = load_scenario(scenario) if isinstance(scenario, str | Path) else scenario
    if not 0.5 <= level < 1:
        raise ConfigError(f"level {level}: the confidence level must be in [0.5, 1)")
    if reps < 2:
        raise ConfigError(f"reps {reps}: a confidence interval needs at least 2 replications")
    setup = build_setup(sc, pools, interval)
    tlist: list[Target] = [] if targets is None else parse_targets(targets)
    if not tlist and budget is None:
        raise ConfigError("give at least one target (e.g. answer_rate>=0.9), or a budget "
                          "(--budget same) to redeploy today's agent-hours")
    check_targets(tlist, setup.types, setup.scenario.kpis.service_levels)
    if tlist:
        group_checks(setup, tlist)  # every planned pool has a target
    sf = _shift_file(shifts)
    if sf is not None:
        if budget is not None:
            raise ConfigError("--shifts applies to planning by targets; a redeploy "
                              "(--budget) reshapes per-slot staffing")
        check_pools(sf, setup.planned, setup.pools)
    caps = _caps(setup, max_agents, sf)
    vreps = verify_reps if verify_reps is not None else 2 * reps
    vseed = verify_seed if verify_seed is not None else seed + 1
    if vseed == seed:
        raise ConfigError(f"verify_seed {vseed}: the verification needs a seed other than "
                          "the search's")
    obj = parse_objective(objective, setup.types, setup.scenario.kpis.service_levels) \
        if budget is not None else None
    with using_runner(runner, backend, jobs, scheduler) as r, \
            make_progress(progress, f"{sc.name}: staffing plan") as bar:
        ev = Evaluator(setup, reps, level, runner=r, progress=bar)
        if budget is not None:
            assert obj is not None
            red = redeploy(setup, obj, budget, ev, seed, vseed, caps,
                           rounds=redeploy_rounds, verify_reps=vreps, say=ev.say)
            staffing = {p: {"per_interval": [int(x) for x in red.staffing[p]],
                            "interval": setup.slot} for p in setup.planned}
            result = PlanResult("redeploy", setup, tlist, level, reps, vreps, seed, vseed,
                                staffing, {p: red.staffing[p].astype(float)
                                           for p in setup.planned}, red.evaluation,
                                redeploy=red)
        else:
            search = find_requirements(setup, tlist, ev, seed, caps,
                                       max_batches=max_batches, say=ev.say)
            sched = verify(setup, tlist, ev, search.required, vseed, caps, shift_file=sf,
                           reps=vreps, say=ev.say)
            result = PlanResult("requirements", setup, tlist, level, reps, vreps, seed, vseed,
                                sched.staffing, sched.scheduled, sched.evaluation,
                                search=search, schedule=sched, shift_file=sf)
    result.simulations = ev.simulations
    result.batches = ev.batches
    result.seconds = time.perf_counter() - t0
    result.info = {"caps": caps, "backend": backend or "serial", "jobs": jobs,
                   "objective": obj.label.split(">=")[0].split("<=")[0]
                   if obj is not None else None}
    return result
