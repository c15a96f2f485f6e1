"""Terminal tables of the searches: what ``calibrate`` and ``optimise-menu`` print.

Owns the rich tables of a calibration (targets and fitted values) and of a ranking and
selection, the few lines on a menu search, and the command line that reproduces a run
(written into the files' headers). Values use the search's formats
(:func:`callsim.search.output.fmt_value`, :func:`~callsim.search.output.fmt_diff`).
Imports :mod:`callsim.search`; nothing imports it but :mod:`callsim.ui.commands`.
"""

from __future__ import annotations

import argparse
import shlex

from rich.markup import escape
from rich.table import Table

from callsim.search.calibrate import CalibrationResult
from callsim.search.menu import REFERENCE, MenuSearchResult
from callsim.search.output import fmt_diff, fmt_value
from callsim.search.select import Selection


def command_line(command: str, args: argparse.Namespace) -> str:
    """The ``callsim`` command that reproduces a run (for file headers)."""
    parts = ["callsim", command, str(args.scenario)]
    for opt, attr in (("--target", "target"), ("--free", "free"),
                      ("--objective", "objective"), ("--constraint", "constraint"),
                      ("--fixed", "fixed"), ("--levels", "levels"),
                      ("--max-options", "max_options"), ("--trials", "trials"),
                      ("--reps", "reps"), ("--final-reps", "final_reps"),
                      ("--rounds", "rounds"), ("--points", "points"),
                      ("--finalists", "finalists"), ("--seed", "seed"), ("-o", "out")):
        value = getattr(args, attr, None)
        if value is None or value == []:
            continue
        for v in value if isinstance(value, list) else [value]:
            parts += [opt, str(v)]
    return " ".join(shlex.quote(p) for p in parts)


def calibration_tables(res: CalibrationResult) -> list[Table]:
    """Residuals and fitted values as rich tables."""
    t = Table(title=f"{res.scenario}: targets (simulated 95 % CI, {res.final_reps} reps, "
                    f"seed {res.seed})")
    for c in ("target", "reported ± tol", "before", "fitted", "residual / tol"):
        t.add_column(c, justify="left" if c == "target" else "right")
    for _, r in res.residuals.iterrows():
        k = str(r["target"])
        t.add_row(k, f"{fmt_value(k, r['value'])} ± {fmt_value(k, r['tol'])}",
                  f"{fmt_value(k, r['before'])} ± {fmt_value(k, r['before_hw'])}",
                  f"{fmt_value(k, r['fitted'])} ± {fmt_value(k, r['fitted_hw'])}",
                  f"{r['scaled']:+.2f}" + ("" if r["within"] else " !"))
    p = Table(title="fitted values (range: misfit +1 tolerance, the others re-fitted)")
    for c in ("parameter", "input", "fitted", "range", "searched", "identifiable"):
        p.add_column(c, justify="left" if c == "parameter" else "right")
    for _, r in res.parameters.iterrows():
        p.add_row(str(r["parameter"]), f"{r['start']:.6g}", f"{r['fitted']:.6g}",
                  f"{r['range_low']:.5g}..{r['range_high']:.5g}", f"{r['lo']:g}..{r['hi']:g}",
                  "yes" if r["identifiable"] else f"NO: {r['note']}")
    return [t, p]


def selection_table(sel: Selection, labels: dict[str, str] | None = None,
                    limit: int = 10) -> Table:
    """The finalists' ranking: objective, paired difference from the input and the best
    (``*``: the CI excludes 0)."""
    k = str(sel.objective.kpi)
    t = Table(title=f"ranking and selection: {sel.objective}, {sel.reps} paired "
                    f"replications (seed {sel.seed}), 95 % CIs; * = CI excludes 0")
    for c in ("rank", "design", k, f"Δ vs {sel.reference}", "Δ vs best", "feasible"):
        t.add_column(c, justify="left" if c == "design" else "right", overflow="fold")
    for i, row in enumerate(sel.table.head(limit).to_dict(orient="records"), start=1):
        name = str(row["design"])
        star = " *" if row["vs_reference_significant"] else ""
        t.add_row(str(i), escape((labels or {}).get(name, name)),
                  f"{fmt_value(k, row['objective'])} ± {fmt_value(k, row['objective_hw'])}",
                  fmt_diff(k, row["vs_reference"], row["vs_reference_hw"]) + star,
                  "best" if name == sel.best else
                  fmt_diff(k, row["vs_best"], row["vs_best_hw"])
                  + ("" if row["tied_with_best"] else " *"),
                  "yes" if row["feasible"] else "no")
    return t


def menu_summary(res: MenuSearchResult) -> str:
    """A few lines on what was searched and found."""
    st = res.settings
    shares = ", ".join(f"{u} {100 * s:.1f} %" for u, s in
                       sorted(res.share.items(), key=lambda kv: -kv[1]))
    return escape("\n".join([
        f"{res.scenario.name}: {len(res.candidates)} of {st['layouts_possible']} possible "
        f"layouts searched by successive halving ({st['rounds']} rounds of {st['reps']} "
        f"replications; {res.counter.replications} replications in "
        f"{res.counter.seconds:.0f} s)",
        f"destinations (share of calls): {shares}",
        f"prompt rule: {res.rule.describe()}",
        f"input: {res.layouts[REFERENCE].text()}",
        f"best:  {res.layouts[res.best].text()}",
    ]))
