"""The call-log commands: ``callsim fit``, ``callsim replay`` and ``callsim score``.

Owns their arguments (:func:`add_parsers`), running them (:data:`COMMANDS`) and what
they write. The work is done by :mod:`callsim.logs` (reading), :mod:`callsim.fit`
(fitting, replay scenarios, scores) and :mod:`callsim.experiment` (the paired runs);
this module reads options, prints and writes. Imported by :mod:`callsim.ui.cli` only.

What each writes (every folder is readable by ``callsim report`` where it holds
simulation results; the JSON files name their ``kind``):

- ``callsim fit LOG -o SCENARIO.yaml``: ``SCENARIO.yaml`` (the fitted scenario, planned
  forms), ``SCENARIO.fit.html`` (figures and every estimate with its CI) and
  ``SCENARIO.fit.json`` (``kind: "fit"``: the log, its dropped and flagged rows, the
  days, the options, the staffing measure and availability, the estimate table).
- ``callsim replay LOG --design D.yaml --out DIR``: a comparison folder (``callsim
  compare``'s layout: ``DIR/<design>/`` run folders, ``comparison.json``/``.csv``,
  ``comparison.png``) plus ``DIR/trace.csv`` (the replayed calls) and
  ``DIR/replay.json`` (``kind: "replay"``: log, days, calls, base and design files,
  whether recorded talk times were kept).
- ``callsim score DIR LOG``: ``DIR/score.json`` (``kind: "score"``, ``scenario``,
  ``hours``, ``scores`` (per KPI of the first or only prediction: ``mare``, ``bias``,
  ``spearman``, ``n``), and ``predictions``: the same per prediction, i.e. per design of
  a replay/compare folder),
  ``DIR/score.csv`` (observed vs predicted per clock interval) and ``DIR/score.png``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table

from callsim.errors import ConfigError
from callsim.logs import CallLog, LogError, read_log

METRIC_LABELS = {"abandon_rate": "P(abandon)", "asa": "ASA", "sl_20": "service level 20 s",
                 "answered_per_day": "answered / day"}


# ------------------------------------------------------------------ arguments


def _add_log_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("log", type=Path, help="the call log (.csv, .tsv, .parquet)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--format", metavar="NAME",
                   help="the log's format: callsim (the tidy table, default) or "
                        "anonymous-bank")
    g.add_argument("--columns", type=Path, metavar="MAP.yaml",
                   help="a column mapping for any other export")
    p.add_argument("--days", metavar="sun,mon,...",
                   help="weekdays to use (default: every day of the log)")
    p.add_argument("--dates", metavar="A:B,C",
                   help="dates to use: YYYY-MM-DD, ranges A:B, comma-separated "
                        "(with --days: those weekdays among them)")


def add_parsers(sub: Any) -> None:
    """Add the ``fit``, ``replay`` and ``score`` sub-commands to *sub*."""
    p = sub.add_parser("fit", help="fit a scenario to a call log: arrivals, handle time, "
                       "patience, IVR and staffing; writes the scenario and a fit report")
    _add_log_args(p)
    p.add_argument("--interval", default="60min",
                   help="arrival and staffing interval (default 60min)")
    p.add_argument("--short-abandon", default="0s", metavar="DURATION",
                   help="callers hanging up within this are not offered (default 0s: "
                        "the log's definitions)")
    p.add_argument("--priority", action="store_true",
                   help="split call types by the log's priority column and serve higher "
                        "priorities first")
    p.add_argument("--staffing", default="auto",
                   choices=["auto", "available", "busy_waiting", "busy", "distinct"],
                   help="staffing measure (default auto: available when the log names "
                        "agents, else busy_waiting)")
    p.add_argument("--ivr", default="prompt", choices=["prompt", "menu", "none"],
                   help="IVR form (default prompt: IVR time only, hang-ups reported)")
    p.add_argument("-o", "--out", type=Path, required=True, metavar="SCENARIO.yaml",
                   help="the scenario to write (and SCENARIO.fit.html/.fit.json)")

    p = sub.add_parser("replay", help="the recorded callers of a log through another "
                       "design, paired against the fitted base (95 %% CIs)")
    _add_log_args(p)
    p.add_argument("--design", type=Path, required=True, metavar="D.yaml",
                   help="the design: a scenario, usually one that extends the fitted "
                        "base and changes staffing, the menu or routing")
    p.add_argument("--base", type=Path, metavar="FITTED.yaml",
                   help="the fitted base (default: the file the design extends, else "
                        "the log fitted with default options)")
    p.add_argument("--draw-handle", action="store_true",
                   help="draw every talk time (default: answered callers keep their "
                        "recorded one)")
    p.add_argument("--reps", type=int, default=20, help="replications (default 20)")
    p.add_argument("--seed", type=int, default=0, help="root seed (default 0)")
    p.add_argument("--jobs", type=int, metavar="N", help="worker processes (default 1)")
    p.add_argument("--out", type=Path, help="write the comparison folder, trace.csv and "
                   "replay.json here")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--allow-large", action="store_true",
                   help="run scenarios above the size limits")

    p = sub.add_parser("score", help="observed vs simulated KPIs per clock interval: "
                       "MARE, bias, rank correlation; writes score.json/.csv/.png in DIR")
    p.add_argument("run_dir", type=Path, help="a run --out folder (or a replay/compare "
                   "folder: every design is scored)")
    _add_log_args(p)
    p.add_argument("--hours", default="0-23", metavar="FIRST-LAST",
                   help="clock hours whose intervals are scored (default 0-23; e.g. 7-23)")
    p.add_argument("--short-abandon", default="0s", metavar="DURATION",
                   help="as the simulated scenario's queue.short_abandon (default 0s)")
    p.add_argument("--call-type", default="all", help="rows scored (default all)")


# ------------------------------------------------------------------- helpers


def read(args: argparse.Namespace) -> CallLog:
    """The log named by the arguments, with a line on what was read."""
    return read_log(args.log, format=args.format, columns=args.columns)


def _date_list(spec: str) -> list[pd.Timestamp]:
    out: list[pd.Timestamp] = []
    for part in (x.strip() for x in spec.split(",") if x.strip()):
        try:
            if ":" in part:
                a, _, b = part.partition(":")
                out += list(pd.date_range(pd.Timestamp(a), pd.Timestamp(b), freq="D"))
            else:
                out.append(pd.Timestamp(part))
        except ValueError:
            raise ConfigError(f"--dates: {part!r} is not a date or a range; write "
                              "YYYY-MM-DD or YYYY-MM-DD:YYYY-MM-DD") from None
    if not out:
        raise ConfigError("--dates: no dates given")
    return out


def selection(args: argparse.Namespace) -> tuple[str | None, list[pd.Timestamp] | None]:
    """(days, dates) for the fit and score functions from ``--days`` and ``--dates``."""
    if args.dates is None:
        return args.days, None
    dates = _date_list(args.dates)
    if args.days:
        from callsim.fit.arrivals import WEEKDAYS, parse_days

        try:
            keep = parse_days(args.days) or ()
        except ValueError as exc:
            raise ConfigError(f"--days: {exc}") from None
        dates = [d for d in dates if WEEKDAYS[d.day_of_week] in keep]
        if not dates:
            raise ConfigError(f"--dates {args.dates} holds none of the days {args.days}")
    return None, dates


def _duration(text: str, name: str) -> float:
    from callsim.config import parse_duration

    try:
        return float(parse_duration(text))
    except ValueError as exc:
        raise ConfigError(f"{name}: {exc}") from None


def _hours(text: str) -> tuple[int, int]:
    a, _, b = text.partition("-")
    try:
        first, last = int(a), int(b or a)
    except ValueError:
        raise ConfigError(f"--hours {text!r}: write FIRST-LAST, e.g. 7-23") from None
    if not 0 <= first <= last <= 23:
        raise ConfigError(f"--hours {text!r}: hours from 0 to 23, first <= last")
    return first, last


def _log_line(log: CallLog, console: Console) -> None:
    dropped = ", ".join(f"{k} {v:,}" for k, v in log.dropped.items()) or "none"
    console.print(f"read {len(log.calls):,} calls from {log.source} ({log.format}); rows "
                  f"left out: {dropped}", highlight=False)


# ------------------------------------------------------------------------ fit


def cmd_fit(args: argparse.Namespace, console: Console) -> int:
    from callsim.fit import fit_log
    from callsim.ui.report import print_findings
    from callsim.ui.report.fit import fit_run_dir

    log = read(args)
    days, dates = selection(args)
    fit = fit_log(log, days=days, dates=dates, interval=_duration(args.interval, "--interval"),
                  short_abandon=_duration(args.short_abandon, "--short-abandon"),
                  ivr=args.ivr, priority=args.priority, staffing=args.staffing)
    figures = fit.figures()  # drawn once: the HTML, and PNGs for callsim report
    out = fit.write_scenario(args.out, figures=figures)
    html = out.with_name(out.stem + ".fit.html")
    for name, fig in figures.items():
        fig.savefig(out.with_name(f"{out.stem}.fit.{name}.png"), dpi=90)
    text = json.dumps(fit_summary(fit, log, out), indent=2, default=str)
    js = out.with_name(out.stem + ".fit.json")
    js.write_text(text, encoding="utf-8")
    print_findings(console, fit_run_dir(json.loads(text), out))  # as callsim report reads it
    _log_line(log, console)
    st = fit.staffing
    console.print(f"fitted {len(fit.days)} days ({fit.options['days_label']}), "
                  f"{len(fit.types)} call types, {fit.daily.mean():,.0f} calls a day; "
                  f"overdispersion {fit.overdispersion['estimate']:.3f}; agents "
                  f"({fit.options['staffing']}) peak {st['agents'].max():.2f}",
                  highlight=False)
    console.print(f"wrote {out}, {html}, {js} and the fit's figures as "
                  f"{out.stem}.fit.*.png (callsim report {js})", highlight=False)
    return 0


def fit_summary(fit: Any, log: CallLog, scenario: Path) -> dict[str, Any]:
    """The ``SCENARIO.fit.json`` document (``kind: "fit"``)."""
    st = fit.staffing
    opts = {k: v for k, v in fit.options.items() if k not in ("classes", "dropped", "flags")}
    report = fit.report.replace({float("inf"): None})
    return {
        "kind": "fit", "scenario": Path(fit.source).stem, "scenario_file": scenario.name,
        "interval_s": fit.interval,
        "log": log.source, "format": log.format, "calls": len(log.calls),
        "dropped": dict(log.dropped), "flags": dict(log.flags),
        "days": [str(d.date()) for d in fit.days], "interval": fit.interval,
        "report": scenario.stem + ".fit.html",
        "options": opts,
        "staffing": {"method": st.attrs.get("method"),
                     "availability": st.attrs.get("availability"),
                     "agents": [round(float(a), 4) for a in st["agents"]]},
        "overdispersion": fit.overdispersion,
        "estimates": json.loads(report.to_json(orient="records")),
    }


# --------------------------------------------------------------------- replay


def cmd_replay(args: argparse.Namespace, console: Console) -> int:
    from callsim.compiled import compile_scenario
    from callsim.experiment.compare import compare
    from callsim.fit import fit_log
    from callsim.fit.replay import extended_file, replay_scenarios
    print_warnings = _print_warnings()
    from callsim.ui.plots import comparison_day, save
    from callsim.ui.tables import comparison_table

    for name in ("reps", "jobs"):
        v = getattr(args, name)
        if v is not None and v < 1:
            raise ConfigError(f"--{name}: {v} is not allowed; it must be a whole number >= 1")
    if args.seed < 0:
        raise ConfigError(f"--seed: {args.seed} is not allowed; it must be >= 0")
    if not args.design.is_file():
        raise ConfigError(f"--design: file {str(args.design)!r} not found")
    log = read(args)
    days, dates = selection(args)
    fitted = None
    if args.base is None and extended_file(args.design) is None:
        fitted = fit_log(log, days=days, dates=dates).scenario_dict()
    with tempfile.TemporaryDirectory() as tmp:
        where = args.out if args.out is not None else Path(tmp)
        rp = replay_scenarios(log, args.design, where, base=args.base, days=days, dates=dates,
                              recorded_handle=not args.draw_handle, fitted=fitted)
        for sc in (rp.base, rp.design):
            print_warnings(compile_scenario(sc))
        name = args.design.stem if args.design.stem != "base" else "design"
        jobs = args.jobs or 1
        comp = compare({"base": rp.base, name: rp.design}, reps=args.reps, seed=args.seed,
                       out=args.out, backend="processes" if jobs > 1 else "serial",
                       jobs=jobs, progress=False if args.quiet else None)
        doc = {"kind": "replay", "scenario": rp.base.name, "designs": ["base", name],
               "window_s": rp.base.horizon.length,
               "log": log.source, "format": log.format,
               "days": rp.days, "calls": rp.calls, "base": rp.base_source,
               "design": str(args.design), "trace": rp.trace.name,
               "recorded_handle": not args.draw_handle, "priority_classes": rp.priority,
               "reps": args.reps, "seed": args.seed}
        _print_findings(console, "replay", comp, doc, args.out)
        _log_line(log, console)
        console.print(comparison_table(comp))
        if args.out is not None:
            files = list(next(iter(comp.batches.values())).info["comparison_files"])
            files.append(str(save(comparison_day(comp), args.out / "comparison.png")))
            (args.out / "replay.json").write_text(json.dumps(doc, indent=2), encoding="utf-8")
            files += [str(args.out / "trace.csv"), str(args.out / "replay.json")]
            console.print(f"wrote {', '.join(files)}", highlight=False)
    return 0


# ---------------------------------------------------------------------- score


def simulated_tables(run_dir: Path) -> dict[str, pd.DataFrame]:
    """Clock tables of a run folder (``simulation``) or of each design of a comparison."""
    from callsim.fit.score import clock_table_from_run
    from callsim.io.reader import load_run_dir

    run = load_run_dir(run_dir)
    if run.kind == "run":
        folders = {"simulation": run_dir}
    elif run.kind in ("comparison", "compare", "replay"):
        manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
        folders = {str(k): run_dir / str(v) for k, v in manifest.get("designs", {}).items()}
    else:
        raise ConfigError(f"{run_dir}: a {run.kind} folder; score a run folder (callsim run "
                          "--out) or a replay/compare folder")
    out = {}
    for name, folder in folders.items():
        clock = load_run_dir(folder).clock if folder != run_dir else run.clock
        if clock is None or clock.empty:
            raise ConfigError(f"{folder}: no clock.csv (clock-of-day KPIs); rerun the "
                              "simulation with callsim run --out")
        out[name] = clock_table_from_run(clock)
    return out


def cmd_score(args: argparse.Namespace, console: Console) -> int:
    from callsim.fit.arrivals import parse_days, select_days
    from callsim.fit.score import clock_table, interval_of, score, score_figure, write_scores

    hours = _hours(args.hours)
    short = _duration(args.short_abandon, "--short-abandon")
    predictions = simulated_tables(args.run_dir)
    log = read(args)
    days, dates = selection(args)
    interval = interval_of(next(iter(predictions.values())))
    observed = clock_table(log, interval=interval, days=days, dates=dates,
                           short_abandon=short)
    types = set(observed["call_type"])
    if args.call_type not in types:
        raise ConfigError(f"--call-type: {args.call_type!r} is not in the log; allowed: "
                          f"{', '.join(sorted(types))}")
    scores = {name: score(observed, pred, hours, args.call_type)
              for name, pred in predictions.items()}
    first = next(iter(scores.values()))
    context = {"scenario": _scenario_name(args.run_dir), "hours": list(hours),
               "call_type": args.call_type,
               "scores": json.loads(first.summary.to_json(orient="index")),
               "run_dir": str(args.run_dir), "log": log.source, "format": log.format,
               "days": [str(d.date()) for d in select_days(log.calls, parse_days(days), dates)],
               "weekdays": days, "interval": interval, "short_abandon": short}
    fig = score_figure(observed, predictions, hours, args.call_type)
    paths = write_scores(args.run_dir, scores, context, fig)
    _print_findings(console, "score", None,
                    json.loads(paths[0].read_text(encoding="utf-8")), args.run_dir)
    _log_line(log, console)
    table = Table(title=f"{args.run_dir} vs {log.source}: {args.call_type}, intervals "
                        f"starting {hours[0]:02d}:00-{hours[1]:02d}:00, "
                        f"{int(observed['n_days'].iloc[0])} observed days")
    for col in ("prediction", "KPI", "MARE", "bias", "Spearman", "intervals"):
        table.add_column(col, justify="left" if col in ("prediction", "KPI") else "right")
    for name, sc in scores.items():
        for m, row in sc.summary.iterrows():
            table.add_row(name, METRIC_LABELS.get(str(m), str(m)), f"{row['mare']:.3f}",
                          f"{row['bias']:+.3f}", f"{row['spearman']:.2f}", f"{row['n']:.0f}")
    console.print(table)
    console.print(f"wrote {', '.join(str(p) for p in paths)}", highlight=False)
    return 0


def _print_findings(console: Console, what: str, comp: Any, doc: dict[str, Any],
                    out: Path | None) -> None:
    """Print the finding ``callsim report`` leads with (the report package's sentences):
    a replay's lead and paired finding, or a score's sentences."""
    from callsim.io.reader import RunDir
    from callsim.ui.report import print_findings
    from callsim.ui.report import replay as replay_report

    if what == "replay":
        run = replay_report.run_dir_of(comp, doc, out)
        print_findings(console, run)
    else:
        from callsim.ui.report import score as score_report

        for sentence in score_report.findings(RunDir(out or Path("."), "run",
                                                     {"score": doc})):
            console.print(sentence, highlight=False, markup=False, soft_wrap=True)


def _print_warnings() -> Callable[[Any], list[str]]:
    """``print_warnings`` of the CLI (in callsim.ui.commands once feat/report lands)."""
    import importlib

    for mod in ("callsim.ui.commands", "callsim.ui.cli"):
        try:
            fn: Callable[[Any], list[str]] = importlib.import_module(mod).print_warnings
            return fn
        except (ImportError, AttributeError):
            continue
    raise ImportError("print_warnings not found")  # pragma: no cover


def _scenario_name(run_dir: Path) -> str:
    """The scenario a run folder (or the first design of a comparison) simulated."""
    for p in (run_dir / "summary.json", *sorted(run_dir.glob("*/summary.json"))):
        try:
            return str(json.loads(p.read_text(encoding="utf-8")).get("scenario", run_dir.name))
        except (OSError, ValueError, AttributeError):
            continue
    return run_dir.name


COMMANDS: dict[str, Callable[[argparse.Namespace, Console], int]] = {
    "fit": cmd_fit, "replay": cmd_replay, "score": cmd_score}
"""The call-log commands by name (registered by :mod:`callsim.ui.cli`)."""

__all__ = ["COMMANDS", "LogError", "add_parsers"]
