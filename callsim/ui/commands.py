"""The bodies of the ``callsim`` commands that run simulations or read their results.

Owns ``run``, ``sweep``, ``compare`` (batches: execution options, the scenario warnings
printed before a run), ``plot`` and ``report`` (any results folder), ``staff``
(:mod:`callsim.ui.staff`), ``calibrate`` and ``optimise-menu``. Each prints the finding
of its results first (:func:`callsim.ui.report.print_findings`, the sentence
``callsim report`` leads with), then its tables. Argument parsing, exit codes and the
small commands (validate, schema, erlang) are :mod:`callsim.ui.cli`'s. Imports the
experiment and planning layers, :mod:`callsim.ui.tables` and (lazily, as matplotlib is
slow to load) :mod:`callsim.ui.report`; nothing imports it but the CLI.
"""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console
from rich.markup import escape

from callsim.compiled import CompiledScenario, compile_scenario
from callsim.compiled.sanity import scenario_warnings
from callsim.config import load_scenario
from callsim.errors import ConfigError
from callsim.experiment import run_batch
from callsim.ui.options import parse_precision
from callsim.ui.tables import channel_table, kpi_table, num, pool_table, type_table

EXIT_OK = 0


def _execution_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """run_batch/sweep keyword arguments from the execution options."""
    if args.jobs is not None:
        _check_positive("--jobs", args.jobs)
    if args.max_reps is not None:
        _check_positive("--max-reps", args.max_reps)
    backend = args.backend
    if backend is None:
        backend = ("dask" if args.scheduler else
                   "processes" if args.jobs is not None and args.jobs > 1 else "serial")
    if args.scheduler and backend != "dask":
        raise ConfigError(f"--scheduler needs --backend dask (not {backend})")
    return {"backend": backend, "jobs": args.jobs, "scheduler": args.scheduler,
            "precision": parse_precision(args.precision) or None, "max_reps": args.max_reps,
            "progress": False if args.quiet else None}


def _print_run_info(info: dict[str, Any], console: Console) -> None:
    read = int(info.get("replications_read", 0))
    if read:
        where = info.get("out", "the run directory")
        ran = int(info.get("replications_run", 0))
        console.print(f"resumed: {read} replications read from {where}, {ran} run")


def _check_positive(name: str, value: int) -> None:
    if value < 1:
        raise ConfigError(f"{name}: {value} is not allowed; it must be a whole number >= 1")


def cmd_run(args: argparse.Namespace, console: Console) -> int:
    if args.reps is not None:
        _check_positive("--reps", args.reps)
    if args.seed < 0:
        raise ConfigError(f"--seed: {args.seed} is not allowed; it must be >= 0")
    kw = _execution_kwargs(args)
    reps = args.reps if args.reps is not None else (None if kw["precision"] else 1)
    scenario = load_scenario(args.scenario, args.overrides)
    print_warnings(compile_scenario(scenario))  # config room: warnings before the run
    batch = run_batch(scenario, reps=reps, seed=args.seed, out=args.out, **kw)
    from callsim.ui.report import print_findings
    from callsim.ui.report.run import run_dir_of

    print_findings(console, run_dir_of(batch, args.out))
    console.print(kpi_table(batch))
    if (channels := channel_table(batch)) is not None:
        console.print(channels)
    _print_run_info(batch.info, console)
    if batch.stopping:
        console.print(f"stopped: {batch.stopping}")
    if args.by_type:
        console.print(type_table(batch))
        console.print(pool_table(batch))
    if args.out:
        console.print(f"wrote {', '.join(batch.info['files'])}")
    return EXIT_OK


def cmd_sweep(args: argparse.Namespace, console: Console) -> int:
    from rich.table import Table

    from callsim.experiment import sweep
    from callsim.results.kpi_format import fmt, fmt_hw
    from callsim.results.kpis import headline
    from callsim.ui.parsing import parse_grid

    if args.reps is not None:
        _check_positive("--reps", args.reps)
    if args.seed < 0:
        raise ConfigError(f"--seed: {args.seed} is not allowed; it must be >= 0")
    if not args.grid:
        raise ConfigError("sweep needs at least one --set PATH=V1,V2,...")
    kw = _execution_kwargs(args)
    grid = parse_grid(args.grid)
    print_warnings(compile_scenario(load_scenario(args.scenario)))  # config room: warnings
    res = sweep(args.scenario, grid, reps=args.reps, seed=args.seed, out=args.out,
                kpis=args.kpis, **kw)
    from callsim.ui.report import print_findings
    from callsim.ui.report.sweep import run_dir_of

    print_findings(console, run_dir_of(res, args.out))
    table = res.table
    kpi_names = list(dict.fromkeys(table["kpi"]))
    shown = args.kpis or headline(kpi_names, 4)
    n = [len(b.replications) for b in res.batches]
    reps_text = f"{n[0]}" if len(set(n)) == 1 else f"{min(n)}-{max(n)}"
    out = Table(title=f"{res.scenario}: {len(res.points)} grid points x {reps_text} "
                      f"replications, seed {res.seed} (95 % CI)")
    for path, values in res.grid.items():
        out.add_column(path, justify="right", overflow="fold",
                       min_width=max(5, *(len(str(v)) for v in values)))
    for k in shown:
        out.add_column(k, justify="right")
    idx = table.set_index(["point", "kpi"])
    for i, pt in enumerate(res.points):
        cells = [str(pt[p]) for p in res.grid]
        for k in shown:
            mean, hw = (num(idx, (i, k), c) for c in ("mean", "half_width"))
            cells.append(f"{fmt(k, mean)}\n{fmt_hw(k, hw)}".strip())
        out.add_row(*cells)
    console.print(out)
    _print_run_info(res.info, console)
    stops = [b.stopping for b in res.batches if b.stopping]
    met = sum(1 for b in res.batches if b.meta.get("stopping", {}).get("met"))
    if stops:
        console.print(f"stopped: precision reached at {met} of {len(stops)} grid points"
                      + ("" if met == len(stops) else " (the others hit --max-reps)"))
    if args.out:
        console.print(f"wrote {', '.join(res.info['files'])}")
    return EXIT_OK


def cmd_compare(args: argparse.Namespace, console: Console) -> int:
    from callsim.experiment.compare import compare, design_names
    from callsim.ui.plots import comparison_day, save
    from callsim.ui.tables import comparison_table

    _check_positive("--reps", args.reps)
    if len(args.scenarios) < 2:
        raise ConfigError("compare needs at least two scenario files")
    scenarios = [load_scenario(p, args.overrides) for p in args.scenarios]
    for sc in scenarios:  # config room: warnings before the run
        print_warnings(compile_scenario(sc))
    names = design_names(args.scenarios, scenarios)
    comp = compare(dict(zip(names, scenarios, strict=True)), reps=args.reps, seed=args.seed,
                   out=args.out, **_execution_kwargs(args))
    from callsim.ui.report import print_findings
    from callsim.ui.report.compare import run_dir_of

    print_findings(console, run_dir_of(comp, args.out))
    console.print(comparison_table(comp, all_kpis=args.all_kpis))
    if args.out:
        files = list(next(iter(comp.batches.values())).info["comparison_files"])
        files.append(str(save(comparison_day(comp), args.out / "comparison.png")))
        console.print(f"wrote {', '.join(files)}")
    return EXIT_OK


def print_warnings(cs: CompiledScenario) -> list[str]:
    """Print the warnings of *cs* (see :mod:`callsim.compiled.sanity`) on stderr."""
    warnings = scenario_warnings(cs)
    err = Console(stderr=True, soft_wrap=True)
    for w in warnings:
        err.print(f"[bold yellow]warning:[/] {escape(w)}", markup=True, highlight=False)
    return warnings


def cmd_plot(args: argparse.Namespace, console: Console) -> int:
    from callsim.ui.report import load_run_dir, write_pngs

    _check_positive("--dpi", args.dpi)
    run = load_run_dir(args.run_dir)
    paths = write_pngs(run, args.out, dpi=args.dpi)
    if not paths:
        raise ConfigError(f"{args.run_dir}: nothing to plot in these results")
    console.print(f"wrote {', '.join(str(p) for p in paths)}")
    return EXIT_OK


def cmd_report(args: argparse.Namespace, console: Console) -> int:
    from callsim.ui.report import write_report

    path = write_report(args.run_dir, args.out)
    console.print(f"wrote {path}")
    return EXIT_OK


def cmd_staff(args: argparse.Namespace, console: Console) -> int:
    """``callsim staff`` (issue 12): everything happens in :mod:`callsim.plan`."""
    from callsim.ui.staff import run_staff

    return run_staff(args, console)


def cmd_calibrate(args: argparse.Namespace, console: Console) -> int:
    from callsim import search

    ex = search.execution_from_options(args.backend, args.jobs, args.scheduler)
    res = search.calibrate(args.scenario, args.target, args.free, reps=args.reps,
                           final_reps=args.final_reps, rounds=args.rounds, points=args.points,
                           seed=args.seed, execution=ex, progress=False if args.quiet else None)
    from callsim.search.output import calibration_doc, calibration_frames
    from callsim.ui.report import print_findings
    from callsim.ui.report.calibrate import calibration_run_dir
    from callsim.ui.search_tables import calibration_tables, command_line

    command = command_line("calibrate", args)
    print_findings(console, calibration_run_dir(calibration_doc(res, args.out, command),
                                                calibration_frames(res)))
    for table in calibration_tables(res):
        console.print(table)
    for w in res.warnings:
        console.print(f"[yellow]warning:[/] {w}", highlight=False)
    paths = search.write_calibration(res, args.scenario, args.out, args.report_dir, command)
    console.print(f"wrote {', '.join(str(p) for p in paths)}")
    return EXIT_OK


def cmd_optimise_menu(args: argparse.Namespace, console: Console) -> int:
    from callsim import search

    ex = search.execution_from_options(args.backend, args.jobs, args.scheduler)
    res = search.optimise_menu(args.scenario, args.objective, args.constraint,
                               max_options=args.max_options, fixed=args.fixed,
                               levels=args.levels, trials=args.trials, reps=args.reps,
                               final_reps=args.final_reps, finalists=args.finalists,
                               seed=args.seed, execution=ex,
                               progress=False if args.quiet else None)
    from callsim.search.menu import menu_doc, menu_frames
    from callsim.ui.report import print_findings
    from callsim.ui.report.menu import menu_run_dir
    from callsim.ui.search_tables import command_line, menu_summary, selection_table

    command = command_line("optimise-menu", args)
    print_findings(console, menu_run_dir(menu_doc(res, command), menu_frames(res), args.out))
    console.print(menu_summary(res))
    console.print(selection_table(res.selection, search.layout_labels(res)))
    paths = search.write_menu_search(res, args.scenario, args.out, command)
    console.print(f"wrote {args.out / 'best.yaml'} and {len(paths) - 1} more files in {args.out}")
    return EXIT_OK
