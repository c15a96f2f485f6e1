"""Staffing planner: how many agents, when, on which shifts -- found and proven by simulation.

Owns the ``callsim.plan`` package: targets (:mod:`.targets`), the plan's setup
(:mod:`.problem`), Erlang-A starts (:mod:`.erlang`), simulating candidates
(:mod:`.evaluate`, the one place that runs batches), the requirement search
(:mod:`.search`), shift templates and the shift program (:mod:`.shifts`, :mod:`.milp`),
verification on a fresh seed (:mod:`.schedule`), redeploying a budget
(:mod:`.redeploy`), the entry point (:mod:`.api`), files and figure (:mod:`.output`,
:mod:`.figure`). It imports the batch layer and the config layer, and no UI (no
terminal, no argument parsing: ``callsim staff`` is :mod:`callsim.ui.staff`; progress is
shown through the :class:`~callsim.experiment.progress.Progress` protocol); nothing in
callsim imports it except the command line.

Example::

    from callsim.plan import plan, write_plan
    res = plan("configs/seoul120/two_level.yaml", ["answer_rate>=0.9"],
               shifts="configs/seoul120/shifts.yaml", backend="processes", jobs=2)
    res.agent_hours()["total"], res.verified
    write_plan(res, "runs/plan")
"""

from __future__ import annotations

from callsim.plan.api import PlanResult, plan
from callsim.plan.figure import plan_figure
from callsim.plan.milp import ShiftSolution, cover_at_least_cost
from callsim.plan.output import write_plan
from callsim.plan.shifts import ShiftFile, load_shift_file, parse_shift_file
from callsim.plan.targets import Target, parse_target, parse_targets

__all__ = [
    "PlanResult",
    "ShiftFile",
    "ShiftSolution",
    "Target",
    "cover_at_least_cost",
    "load_shift_file",
    "parse_shift_file",
    "parse_target",
    "parse_targets",
    "plan",
    "plan_figure",
    "write_plan",
]
