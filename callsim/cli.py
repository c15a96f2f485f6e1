"""The ``callsim`` command line: run, validate, schema, erlang.

Owns argument parsing, clean error reporting (a bad input gets one message and exit
code 2, never a traceback unless ``--debug``) and printing. Nothing imports it.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from callsim import analytic
from callsim.config import Scenario, load_scenario
from callsim.errors import CallsimError, ConfigError
from callsim.experiment import run_batch
from callsim.report import kpi_table, pool_table, type_table, write_run

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def _add_scenario_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", help="scenario YAML file")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                   help="override a field, e.g. --set pools.general.staffing.agents=40 "
                        "(repeatable; the value is read as YAML)")


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
    p.add_argument("--reps", type=int, default=1, help="replications (default 1)")
    p.add_argument("--seed", type=int, default=0, help="root seed (default 0)")
    p.add_argument("--out", type=Path, help="write summary.json, *.csv to this directory")
    p.add_argument("--by-type", action="store_true", help="also print per call type/pool")

    p = sub.add_parser("compare", help="compare designs on the same callers (paired CIs)")
    p.add_argument("scenarios", nargs="+", help="two or more scenario files; the first is "
                   "the reference")
    p.add_argument("--set", dest="overrides", action="append", default=[],
                   metavar="PATH=VALUE", help="override a field in every design")
    p.add_argument("--reps", type=int, default=10, help="replications per design (default 10)")
    p.add_argument("--seed", type=int, default=0, help="root seed shared by all designs")
    p.add_argument("--out", type=Path, help="write comparison.json, comparison.csv and a figure")
    p.add_argument("--all-kpis", action="store_true", help="show every KPI, not the main ones")

    p = sub.add_parser("validate", help="check a scenario file and report problems")
    _add_scenario_args(p)

    sub.add_parser("schema", help="print the JSON schema of scenario files")

    p = sub.add_parser("erlang", help="exact Erlang B/C/A figures and staffing")
    p.add_argument("--rate", type=float, required=True, help="arrival rate, calls per hour")
    p.add_argument("--aht", type=float, required=True, help="mean handle time, seconds")
    p.add_argument("--agents", type=int, help="agents (omit with --target-sl/--target-ar)")
    p.add_argument("--patience", type=float, help="mean patience, seconds (Erlang A)")
    p.add_argument("--awt", type=float, default=20.0, help="service-level threshold, s")
    p.add_argument("--target-sl", type=float, help="find fewest agents with SL >= this")
    p.add_argument("--target-ar", type=float, help="fewest agents with answer rate >= this")
    return parser


def _check_positive(name: str, value: int) -> None:
    if value < 1:
        raise ConfigError(f"{name}: {value} is not allowed; it must be a whole number >= 1")


def cmd_run(args: argparse.Namespace, console: Console) -> int:
    _check_positive("--reps", args.reps)
    if args.seed < 0:
        raise ConfigError(f"--seed: {args.seed} is not allowed; it must be >= 0")
    scenario = load_scenario(args.scenario, args.overrides)
    batch = run_batch(scenario, reps=args.reps, seed=args.seed)
    console.print(kpi_table(batch))
    if args.by_type:
        console.print(type_table(batch))
        console.print(pool_table(batch))
    if args.out:
        paths = write_run(batch, args.out)
        console.print(f"wrote {', '.join(str(p) for p in paths)}")
    return EXIT_OK


def cmd_compare(args: argparse.Namespace, console: Console) -> int:
    from callsim.compare import compare, design_names
    from callsim.report import comparison_table, write_comparison

    _check_positive("--reps", args.reps)
    if len(args.scenarios) < 2:
        raise ConfigError("compare needs at least two scenario files")
    scenarios = [load_scenario(p, args.overrides) for p in args.scenarios]
    names = design_names(args.scenarios, scenarios)
    comp = compare(dict(zip(names, scenarios, strict=True)), reps=args.reps, seed=args.seed)
    console.print(comparison_table(comp, all_kpis=args.all_kpis))
    if args.out:
        paths = write_comparison(comp, args.out)
        console.print(f"wrote {', '.join(str(p) for p in paths)}")
    return EXIT_OK


def cmd_validate(args: argparse.Namespace, console: Console) -> int:
    sc = load_scenario(args.scenario, args.overrides)
    console.print(f"{args.scenario}: valid scenario {sc.name!r}: {len(sc.call_types)} call "
                  f"types, {len(sc.pools)} agent pools, {sc.horizon.length / 3600:g} h")
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


COMMANDS = {"run": cmd_run, "compare": cmd_compare, "validate": cmd_validate, "schema": cmd_schema,
            "erlang": cmd_erlang}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``callsim`` script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    console = Console()
    err = Console(stderr=True, soft_wrap=True)
    try:
        return COMMANDS[args.command](args, console)
    except ConfigError as exc:
        if args.debug:
            raise
        err.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False)
        return EXIT_USAGE
    except CallsimError as exc:
        if args.debug:
            raise
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        return EXIT_ERROR
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130


def entry() -> None:  # pragma: no cover - console-script shim
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
