"""The ``callsim`` command line: argument parsing, dispatch and exit codes.

Owns the argument parser of every command, the table of commands (:data:`COMMANDS`),
the small commands (validate, schema, erlang) and clean error reporting. Exit codes: 0
ok; 2 bad input or a refused request (a :class:`~callsim.errors.ConfigError`, any
:class:`~callsim.errors.CallsimError` marked as a refusal, an argparse error); 1 an
internal error, printed with a hint to report it. Never a traceback unless ``--debug``.
The bodies of the commands that run or read results are :mod:`callsim.ui.commands`
(and :mod:`callsim.ui.staff`; the call-log commands fit, replay and score, with their
arguments, :mod:`callsim.ui.logcmds`). Nothing imports it.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from callsim import analytic
from callsim.compiled import allowing_large, compile_scenario
from callsim.config import Scenario, load_scenario
from callsim.errors import CallsimError, ConfigError, Refusal
from callsim.ui import commands
from callsim.ui.commands import print_warnings

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
"""0 ok; 1 an internal error (a bug: please report it); 2 bad input or refused."""
EXIT_INTERRUPTED = 130
BUG_HINT = ("this is a bug in callsim, not a problem with your input; please report it "
            "with the command and the scenario file (rerun with --debug for the traceback)")
SET_HELP = ("the value is read as: a number, true/false, null, [a, list], {a: mapping}, "
            "else text such as 30min or 09:00")


def _add_scenario_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", help="scenario YAML file")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                   help="override a field, e.g. --set pools.general.staffing.agents=40 "
                        f"(repeatable; {SET_HELP})")
    _add_allow_large(p)


def _add_allow_large(p: argparse.ArgumentParser) -> None:
    p.add_argument("--allow-large", action="store_true",
                   help="run scenarios above the size limits (50 million calls per "
                        "replication, 100,000 agents, the memory limit)")


def _add_execution_args(p: argparse.ArgumentParser) -> None:
    """Options of commands that run batches: backend, workers, stopping, progress."""
    g = p.add_argument_group("execution")
    g.add_argument("--jobs", type=int, metavar="N",
                   help="run N replications at once (worker processes; default 1, or "
                        "the CPUs with --backend processes/dask)")
    g.add_argument("--backend", choices=["serial", "processes", "dask"],
                   help="where replications run (default: serial, processes with --jobs "
                        "> 1, dask with --scheduler); results are identical on all")
    g.add_argument("--scheduler", metavar="ADDRESS",
                   help="use a running Dask scheduler, e.g. tcp://10.0.0.5:8786")
    g.add_argument("--precision", action="append", default=[], metavar="KPI=H",
                   help="run rounds of replications until the 95%% CI half-width of KPI is "
                        "<= H (e.g. answer_rate=0.002; repeatable; --reps is then the first "
                        "round, default 10)")
    g.add_argument("--max-reps", type=int, metavar="N",
                   help="with --precision: stop after N replications (default 1000)")
    g.add_argument("--quiet", action="store_true", help="no progress bar")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and docs)."""
    parser = argparse.ArgumentParser(
        prog="callsim",
        description="Discrete-event simulation of call-centre ACD/IVR routing.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="simulate a scenario and print its KPIs")
    _add_scenario_args(p)
    p.add_argument("--reps", type=int,
                   help="replications (default 1; with --precision the first round, "
                        "default 10)")
    p.add_argument("--seed", type=int, default=0, help="root seed (default 0)")
    p.add_argument("--out", type=Path,
                   help="checkpoint each replication to this directory as it finishes "
                        "(rerun to resume) and write summary.json, *.csv there")
    p.add_argument("--by-type", action="store_true", help="also print per call type/pool")
    _add_execution_args(p)

    p = sub.add_parser("sweep", help="run a grid of what-ifs on the same callers")
    p.add_argument("scenario", help="scenario YAML file")
    p.add_argument("--set", dest="grid", action="append", default=[],
                   metavar="PATH=V1,V2,...",
                   help="a swept field and its values, e.g. --set "
                        "pools.general_team.staffing.agents=100:200:10 (start:stop:step, "
                        "inclusive; durations allowed: 30s:2min:30s) or --set "
                        "arrivals.scale=0.8,1,1.2 (repeatable: every combination runs; "
                        "each value as for run --set)")
    p.add_argument("--reps", type=int,
                   help="replications per grid point (default 10; with --precision the "
                        "first round)")
    p.add_argument("--seed", type=int, default=0,
                   help="root seed shared by every grid point (default 0)")
    p.add_argument("--kpi", dest="kpis", action="append", metavar="KPI",
                   help="KPI to show and tabulate (repeatable; default: the main ones "
                        "shown, every overall KPI in sweep.csv)")
    p.add_argument("--out", type=Path,
                   help="checkpoint to this directory (rerun to resume); write sweep.csv")
    _add_execution_args(p)
    _add_allow_large(p)

    p = sub.add_parser("compare", help="compare designs on the same callers (paired CIs)")
    p.add_argument("scenarios", nargs="+", help="two or more scenario files; the first is "
                   "the reference")
    p.add_argument("--set", dest="overrides", action="append", default=[],
                   metavar="PATH=VALUE", help=f"override a field in every design ({SET_HELP})")
    p.add_argument("--reps", type=int, default=10, help="replications per design (default 10)")
    p.add_argument("--seed", type=int, default=0, help="root seed shared by all designs")
    p.add_argument("--out", type=Path, help="write comparison.json, comparison.csv and a "
                   "figure; each design's replications are checkpointed in OUT/<design> "
                   "(rerun to resume)")
    p.add_argument("--all-kpis", action="store_true", help="show every KPI, not the main ones")
    _add_execution_args(p)
    _add_allow_large(p)

    results = ("a results folder: run/compare/sweep --out, staff -o, calibrate "
               "--report-dir, optimise-menu -o")
    p = sub.add_parser("plot", help="write the figures of a results folder as PNGs beside "
                       "the results")
    p.add_argument("run_dir", type=Path, help=results)
    p.add_argument("-o", "--out", type=Path, help="write the PNGs here instead")
    p.add_argument("--dpi", type=int, default=110, help="resolution (default 110)")

    p = sub.add_parser("report", help="write one self-contained HTML report of a results "
                       "folder: the finding first, then the figures, then the tables")
    p.add_argument("run_dir", type=Path, help=results)
    p.add_argument("-o", "--out", type=Path, help="the HTML file (default RUN_DIR/report.html)")

    # --- search (issue 13): calibrate, optimise-menu ---------------------------------
    p = sub.add_parser("calibrate", help="fit free parameters so simulated KPIs match "
                       "reported figures; write a scenario that extends the input")
    p.add_argument("scenario", help="scenario YAML file (its values are the start)")
    p.add_argument("--target", action="append", default=[], metavar="KPI=VALUE[±TOL]",
                   help="a reported figure, e.g. answer_rate=0.776±0.005, offered=14500+-300 "
                        "or arrivals/offered=2.5±0.1 (repeatable; default tolerance 5 %%)")
    p.add_argument("--free", action="append", default=[], metavar="PATH=LO:HI",
                   help="a free parameter: PATH=LO:HI (integer if LO, HI and the value are), "
                        "PATH*=LO:HI (a factor on the scenario's values); '*' in PATH matches "
                        "every key, e.g. 'call_types.*.patience.scale*=0.7:1.5' (repeatable)")
    p.add_argument("-o", "--out", type=Path, required=True,
                   help="the calibrated scenario to write (extends SCENARIO)")
    p.add_argument("--report-dir", type=Path, help="where calibration.json and the CSVs go "
                   "(default: OUT_calibration/ beside OUT)")
    p.add_argument("--reps", type=int, default=4, help="replications per candidate (4)")
    p.add_argument("--final-reps", type=int, default=20,
                   help="replications of the before/after runs behind the residuals (20)")
    p.add_argument("--rounds", type=int, default=3, help="response-surface rounds (3)")
    p.add_argument("--points", type=int, help="candidates per round (default: enough for a "
                   "quadratic surface)")
    p.add_argument("--seed", type=int, default=0, help="root seed (0)")
    g = p.add_argument_group("execution")
    g.add_argument("--jobs", type=int, metavar="N", help="worker processes")
    g.add_argument("--backend", choices=["serial", "processes", "dask"])
    g.add_argument("--scheduler", metavar="ADDRESS", help="a running Dask scheduler")
    g.add_argument("--quiet", action="store_true", help="no progress bar")

    p = sub.add_parser("optimise-menu", aliases=["optimize-menu"],
                       help="search IVR menu layouts for the best objective (paired CIs)")
    p.add_argument("scenario", help="scenario YAML file with an ivr: menu")
    p.add_argument("--objective", required=True, metavar="KPI",
                   help="KPI to optimise (caller_answer_rate, answered, min:ivr_time, ...)")
    p.add_argument("--constraint", action="append", default=[], metavar="KPI>=V",
                   help="a condition on a KPI's mean, e.g. answer_rate>=0.75 (repeatable)")
    p.add_argument("--max-options", type=int, default=9, help="most keys per menu (9)")
    p.add_argument("--fixed", metavar="KEY=DEST,...", help="keys that keep their "
                   "destination, e.g. 0=covid,9=foreign")
    p.add_argument("--levels", choices=["1", "2", "auto"], default="auto",
                   help="1: no sub-menus; 2: at least one; auto: both (default)")
    p.add_argument("-o", "--out", type=Path, required=True,
                   help="directory for best.yaml, finalists/, layouts.csv, menu_search.json")
    p.add_argument("--trials", type=int, default=200, help="most layouts evaluated (200)")
    p.add_argument("--reps", type=int, default=3, help="replications per halving round (3)")
    p.add_argument("--final-reps", type=int, default=20,
                   help="replications of the finalists' ranking and selection (20)")
    p.add_argument("--finalists", type=int, default=5, help="layouts re-run at the end (5)")
    p.add_argument("--seed", type=int, default=0, help="root seed (0)")
    g = p.add_argument_group("execution")
    g.add_argument("--jobs", type=int, metavar="N", help="worker processes")
    g.add_argument("--backend", choices=["serial", "processes", "dask"])
    g.add_argument("--scheduler", metavar="ADDRESS", help="a running Dask scheduler")
    g.add_argument("--quiet", action="store_true", help="no progress bar")

    p = sub.add_parser("validate", help="check a scenario file and report problems")
    _add_scenario_args(p)
    p.add_argument("--strict", action="store_true",
                   help="treat warnings (a scenario that runs but is almost surely not "
                        "meant) as errors: exit 2")

    sub.add_parser("schema", help="print the JSON schema of scenario files")

    p = sub.add_parser("erlang", help="exact Erlang B/C/A figures and staffing")
    p.add_argument("--rate", type=float, required=True, help="arrival rate, calls per hour")
    p.add_argument("--aht", type=float, required=True, help="mean handle time, seconds")
    p.add_argument("--agents", type=int, help="agents (omit with --target-sl/--target-ar)")
    p.add_argument("--patience", type=float, help="mean patience, seconds (Erlang A)")
    p.add_argument("--awt", type=float, default=20.0, help="service-level threshold, s")
    p.add_argument("--target-sl", type=float, help="find fewest agents with SL >= this")
    p.add_argument("--target-ar", type=float, help="fewest agents with answer rate >= this")

    # --- callsim staff (issue 12): the staffing planner; the logic is in callsim.plan ---
    p = sub.add_parser("staff", help="plan staffing: agents per interval and shifts that "
                       "meet targets (or reshape today's agent-hours), proven by simulation")
    p.add_argument("scenario", help="scenario YAML file")
    p.add_argument("--target", dest="targets", action="append", default=[], metavar="KPI>=V",
                   help="a target met in every interval at the CI bound (quote it in the "
                        "shell): 'answer_rate>=0.9', 'sl_20>=0.8', 'abandon_rate<=0.05', "
                        "'asa<=30s', or per call type 'type.covid.answer_rate>=0.9' "
                        "(repeatable)")
    p.add_argument("--pools", metavar="A,B", help="pools to plan (default: all)")
    p.add_argument("--interval", metavar="DURATION",
                   help="planning interval, e.g. 30min (default: the scenario's)")
    p.add_argument("--budget", metavar="same|HOURS",
                   help="redeploy: keep today's agent-hours (same) or use HOURS a day, "
                        "reshaped over the day to maximise --objective")
    p.add_argument("--objective", metavar="KPI",
                   help="with --budget: the KPI to maximise (default answer_rate; asa and "
                        "abandon_rate are minimised)")
    p.add_argument("--shifts", type=Path, metavar="SHIFTS.yaml",
                   help="shift templates: schedule shifts at least cost (default: "
                        "per-interval staffing)")
    p.add_argument("--max-agents", metavar="N|POOL=N,...",
                   help="most scheduled agents of a pool in any interval")
    p.add_argument("--reps", type=int, default=10,
                   help="replications per candidate in the search (default 10)")
    p.add_argument("--verify-reps", type=int,
                   help="replications of the verification (default twice --reps)")
    p.add_argument("--seed", type=int, default=0,
                   help="search seed (default 0); the plan is verified on seed + 1")
    p.add_argument("--level", type=float, default=0.95, help="confidence level (default 0.95)")
    p.add_argument("--jobs", type=int, help="worker processes (default 2; 1 = serial)")
    p.add_argument("-o", "--out", type=Path, required=True, metavar="DIR",
                   help="write plan.yaml, requirements.csv, verification.csv, plan.json, "
                        "plan.png here")
    p.add_argument("--quiet", action="store_true", help="no progress display")

    # --- call logs (issue 11): fit, replay, score; the logic is in callsim.ui.logcmds ---
    from callsim.ui.logcmds import add_parsers as add_log_parsers

    add_log_parsers(sub)
    return parser


def cmd_validate(args: argparse.Namespace, console: Console) -> int:
    sc = load_scenario(args.scenario, args.overrides)
    # compiling reads the files it points to (CSV profiles, empirical data) and runs
    # the size guard
    warnings = print_warnings(compile_scenario(sc))
    if warnings and args.strict:
        raise ConfigError(f"{args.scenario}: {len(warnings)} warning"
                          f"{'s' if len(warnings) != 1 else ''} (errors with --strict)")
    console.print(f"{args.scenario}: valid scenario {sc.name!r}: {len(sc.call_types)} call "
                  f"types, {len(sc.pools)} agent pools, {sc.horizon.length / 3600:g} h"
                  + (f", {len(warnings)} warning{'s' if len(warnings) != 1 else ''}"
                     if warnings else ""), highlight=False)
    return EXIT_OK


def cmd_schema(args: argparse.Namespace, console: Console) -> int:
    print(json.dumps(Scenario.model_json_schema(), indent=2))
    return EXIT_OK


def cmd_erlang(args: argparse.Namespace, console: Console) -> int:
    try:
        agents = args.agents
        if args.target_sl is not None:
            agents = analytic.agents_for_service_level(args.rate, args.aht, args.target_sl,
                                                       args.awt, args.patience)
            console.print(f"fewest agents with service level >= {args.target_sl:g} "
                          f"within {args.awt:g} s: {agents}")
        elif args.target_ar is not None:
            if args.patience is None:
                raise ConfigError("--target-ar needs --patience (without abandonment every "
                                  "call is answered)")
            agents = analytic.agents_for_answer_rate(args.rate, args.aht, args.target_ar,
                                                     args.patience)
            console.print(f"fewest agents with answer rate >= {args.target_ar:g}: {agents}")
        if agents is None:
            raise ConfigError("give --agents, --target-sl or --target-ar")
        if args.patience is None:
            m = analytic.erlang_c_metrics(args.rate, args.aht, agents)
        else:
            m = analytic.erlang_a_metrics(args.rate, args.aht, agents, args.patience)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    model = "Erlang C (M/M/c)" if args.patience is None else "Erlang A (M/M/c+M)"
    console.print(f"{model}: {args.rate:g} calls/h, AHT {args.aht:g} s, {agents} agents, "
                  f"load {m.load:.2f} erlangs")
    rows = [("answer rate", f"{100 * m.answer_rate:.2f} %"),
            ("P(wait)", f"{100 * m.p_wait:.2f} %"),
            ("ASA", f"{m.asa:.1f} s"), ("mean wait (all)", f"{m.mean_wait:.1f} s"),
            (f"service level ({args.awt:g} s)", f"{100 * m.service_level(args.awt):.2f} %"),
            ("occupancy", f"{100 * m.occupancy:.2f} %"), ("mean queue", f"{m.mean_queue:.2f}")]
    for name, value in rows:
        console.print(f"  {name:<24}{value:>12}")
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace, Console], int]] = {
    "run": commands.cmd_run, "sweep": commands.cmd_sweep,
    "compare": commands.cmd_compare, "validate": cmd_validate, "schema": cmd_schema,
    "erlang": cmd_erlang, "plot": commands.cmd_plot, "report": commands.cmd_report,
    "staff": commands.cmd_staff, "calibrate": commands.cmd_calibrate,
    "optimise-menu": commands.cmd_optimise_menu,
    "optimize-menu": commands.cmd_optimise_menu}
"""Command name -> its body ``(args, console) -> exit code``."""


def _log_command(name: str) -> Callable[[argparse.Namespace, Console], int]:
    """``callsim fit/replay/score`` (issue 11): everything happens in callsim.ui.logcmds."""
    def run(args: argparse.Namespace, console: Console) -> int:
        from callsim.ui.logcmds import COMMANDS as LOG_COMMANDS

        return LOG_COMMANDS[name](args, console)
    return run


for _name in ("fit", "replay", "score"):
    COMMANDS[_name] = _log_command(_name)


def is_refusal(exc: BaseException) -> bool:
    """Bad input or a refused request (exit 2) rather than an internal error (exit 1):
    a :class:`~callsim.errors.Refusal` (every :class:`ConfigError` is one)."""
    return isinstance(exc, Refusal)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``callsim`` script; returns the exit code (see the module doc)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    console = Console()
    if not console.is_terminal:  # piped or captured: don't wrap tables at 80 columns
        console = Console(width=160)
    err = Console(stderr=True, soft_wrap=True)
    try:
        with allowing_large(bool(getattr(args, "allow_large", False))):
            return COMMANDS[args.command](args, console)
    except KeyboardInterrupt:
        err.print("interrupted")
        return EXIT_INTERRUPTED
    except Exception as exc:
        if args.debug:
            raise
        if is_refusal(exc):
            err.print(f"[bold red]error:[/] {escape(str(exc))}", markup=True,
                      highlight=False)
            return EXIT_USAGE
        what = str(exc) if isinstance(exc, CallsimError) else f"{type(exc).__name__}: {exc}"
        if isinstance(exc, MemoryError):
            what = "out of memory (MemoryError)"
        elif isinstance(exc, RecursionError):
            what = "RecursionError (nesting too deep)"
        err.print(f"[bold red]internal error:[/] {escape(what)}", markup=True,
                  highlight=False)
        err.print(BUG_HINT, highlight=False)
        return EXIT_ERROR


def entry() -> None:  # pragma: no cover - console-script shim
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
