"""``callsim staff``: plan staffing from the command line.

Owns turning the parsed arguments of ``callsim staff`` into a :func:`callsim.plan.plan`
call, printing what it found (the finding sentence of the plan's report first, then
agent-hours per pool, verdicts, a redeploy's paired gain) and writing the plan's files.
Exit codes: 0 when every target is met (or a redeploy finished), 2 when a target cannot
be met (the files are still written) or the input is bad (a
:class:`~callsim.errors.ConfigError`, turned into one line by the CLI). Imports the
planner, :mod:`callsim.ui.report` and rich; nothing but :mod:`callsim.ui.cli` imports it.
"""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console
from rich.table import Table

from callsim.errors import ConfigError
from callsim.plan.api import PlanResult, plan
from callsim.plan.output import write_plan
from callsim.results.kpi_format import fmt, fmt_diff
from callsim.ui.report import print_findings
from callsim.ui.report.staff import plan_run_dir

EXIT_OK, EXIT_UNMET = 0, 2


def _positive(name: str, value: int | None) -> None:
    if value is not None and value < 1:
        raise ConfigError(f"{name}: {value} is not allowed; it must be a whole number >= 1")


def _max_agents(text: str | None) -> int | dict[str, int] | None:
    """``--max-agents 40`` or ``--max-agents district_team=60,covid_team=30``."""
    if text is None:
        return None
    try:
        if "=" not in text:
            return int(text)
        out: dict[str, int] = {}
        for item in text.split(","):
            pool, _, n = item.partition("=")
            out[pool.strip()] = int(n)
        return out
    except ValueError:
        raise ConfigError(f"--max-agents {text!r}: write a number (40) or pool=number pairs "
                          "(district_team=60,covid_team=30)") from None


def _hours_table(res: PlanResult) -> Table:
    hours = res.agent_hours()
    cols = ["today", *(["erlang_a", "required"] if res.search is not None else []), "planned"]
    title = {"today": "today", "erlang_a": "Erlang A", "required": "simulated requirement",
             "planned": "plan"}
    t = Table(title=f"{res.setup.scenario.name}: scheduled agent-hours a day")
    t.add_column("pool")
    for c in cols:
        t.add_column(title[c], justify="right")
    t.add_column("change", justify="right")
    for pool, row in hours.items():
        change = row["planned"] - row["today"]
        t.add_row(pool, *(f"{row[c]:,.1f}" for c in cols), f"{change:+,.1f}",
                  style="bold" if pool == "total" else None)
    return t


def _redeploy_table(res: PlanResult) -> Table:
    assert res.redeploy is not None
    comp = res.redeploy.comparison
    d = comp.differences()
    t = Table(title=f"today vs redeploy: {len(next(iter(comp.batches.values())).replications)} "
                    f"paired replications, seed {comp.seed}, {comp.level:.0%} CI")
    for c in ("KPI", "today", "redeploy", "difference"):
        t.add_column(c, justify="left" if c == "KPI" else "right")
    obj = res.redeploy.objective.kpi
    for k in dict.fromkeys([obj, "answer_rate", "answered", "offered", "blocked", "abandoned",
                            "asa", "sl_20", "caller_answer_rate", "occupancy"]):
        row = d[d["kpi"] == k]
        if row.empty:
            continue
        r = row.iloc[0]
        star = " *" if bool(r["significant"]) else ""
        t.add_row(k, fmt(k, float(r["reference_mean"])), fmt(k, float(r["design_mean"])),
                  fmt_diff(k, float(r["difference"]), float(r["half_width"])) + star)
    return t


def run_staff(args: argparse.Namespace, console: Console) -> int:
    """Run ``callsim staff`` with parsed *args*; returns the exit code."""
    _positive("--reps", args.reps)
    _positive("--verify-reps", args.verify_reps)
    _positive("--jobs", args.jobs)
    if args.seed < 0:
        raise ConfigError(f"--seed: {args.seed} is not allowed; it must be >= 0")
    if not args.targets and args.budget is None:
        raise ConfigError("staff needs --target KPI>=V (e.g. --target 'answer_rate>=0.9') or "
                          "--budget same|HOURS")
    pools = [p.strip() for p in args.pools.split(",") if p.strip()] if args.pools else None
    jobs = args.jobs if args.jobs is not None else 2
    kw: dict[str, Any] = {}
    if args.objective is not None:
        if args.budget is None:
            raise ConfigError("--objective applies to a redeploy (--budget same|HOURS)")
        kw["objective"] = args.objective
    res = plan(args.scenario, args.targets or None, pools=pools, interval=args.interval,
               budget=args.budget, shifts=args.shifts, reps=args.reps,
               verify_reps=args.verify_reps, seed=args.seed, level=args.level,
               max_agents=_max_agents(args.max_agents),
               backend="processes" if jobs > 1 else "serial", jobs=jobs,
               progress=False if args.quiet else None, **kw)
    print_findings(console, plan_run_dir(res, args.out))
    console.print(_hours_table(res))
    if res.redeploy is not None:
        console.print(_redeploy_table(res))
    paths = write_plan(res, args.out)
    console.print(f"{res.simulations:,} simulations in {res.batches} batches, "
                  f"{res.seconds:.0f} s; wrote {', '.join(str(p) for p in paths)}")
    if res.mode == "requirements":
        if res.verified:
            console.print(f"verified: every target met in every slot on seed "
                          f"{res.verify_seed} ({res.verify_reps} replications, "
                          f"{res.level:.0%} CI bound)")
            return EXIT_OK
        err = Console(stderr=True, soft_wrap=True)
        shown = res.misses[:8]
        more = len(res.misses) - len(shown)
        err.print(f"[bold red]error:[/] {len(res.misses)} slot target"
                  f"{'s' if len(res.misses) != 1 else ''} cannot be met (the plan found is "
                  f"written):\n  " + "\n  ".join(m.message() for m in shown)
                  + (f"\n  ... and {more} more (see plan.json)" if more else ""),
                  markup=True, highlight=False)
        return EXIT_UNMET
    return EXIT_OK
