"""The report of a sweep folder (``callsim sweep --out``): a grid of what-ifs.

Owns the sweep kind's finding (how the lead KPIs move from the first grid point to the
last, with CIs), figures (the headline KPIs against the swept parameter) and table
(every KPI at every grid point), and :func:`run_dir_of` (a sweep in memory). Imports
:mod:`callsim.ui.plots`, :mod:`callsim.io` and :mod:`callsim.results`.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from callsim.io.reader import RunDir
from callsim.results import SweepResult
from callsim.results import kpis as registry
from callsim.results.kpi_format import fmt, fmt_hw
from callsim.ui import findings as say
from callsim.ui import plots
from callsim.ui.report.base import Renderer, ReportFigure, attempt, register
from callsim.ui.report.html import esc, facts, table

_STATS = ("point", "kpi", "mean", "half_width", "ci_low", "ci_high", "n")


def run_dir_of(res: SweepResult, out: str | Path | None = None) -> RunDir:
    """*res* as the :class:`RunDir` its folder would be read back as (no file read)."""
    doc = {"kind": "sweep", "scenario": res.scenario, "seed": res.seed, "grid": res.grid}
    window = say.num(res.batches[0].meta.get("window")) if res.batches else None
    return RunDir(Path(out) if out is not None else Path("."), "sweep", doc,
                  sweep_table=res.table, window=window)


def _grid(run: RunDir) -> list[str]:
    t = run.sweep_table if run.sweep_table is not None else pd.DataFrame()
    return [str(p) for p in run.doc.get("grid", {})] or [
        str(c) for c in t.columns if c not in _STATS]


def _where(row: pd.Series, grid: list[str]) -> str:
    return ", ".join(f"{p} = {row[p]}" for p in grid)


def _value(kpi: str, row: Any) -> str:
    return say.level(kpi, say.num(row["mean"]), say.num(row["ci_low"]),
                     say.num(row["ci_high"]), label="")


def _span(first: pd.Series, last: pd.Series, grid: list[str]) -> str:
    """``pools.desk.staffing = 5 to 7`` (one swept path) or ``a = 1, b = 2 to a = 3,
    b = 4``."""
    if len(grid) == 1:
        return f"{grid[0]} = {first[grid[0]]} to {last[grid[0]]}"
    return f"{_where(first, grid)} to {_where(last, grid)}"


def findings(run: RunDir) -> list[str]:
    t = run.sweep_table
    if t is None or not len(t):
        return []
    grid = _grid(run)
    order = "point" if "point" in t else grid
    parts = []
    span = ""
    for n, k in enumerate(say.lead_kpis(dict.fromkeys(t["kpi"].astype(str)))):
        rows = t[t["kpi"].astype(str) == k].sort_values(order)
        first, last = rows.iloc[0], rows.iloc[-1]
        span = span or _span(first, last, grid)
        where = say.where(k, run.window)
        name = registry.label(k) if n == 0 else f"the {registry.label(k)}"
        text = f"{name}{where} from {_value(k, first)} to {_value(k, last)}"
        d = registry.direction(k)
        i = int(np.argmax(rows["mean"].to_numpy(float) * d)) if d != 0 else 0
        if 0 < i < len(rows) - 1:
            best = rows.iloc[i]
            text += f", best at {_where(best, grid)}: {_value(k, best)}"
        parts.append(text)
    head = (f"Sweep of {run.doc.get('scenario', '?')} from {span} ({run.n_reps} replications "
            f"per point, seed {run.doc.get('seed', '?')}, the same callers)")
    return [f"{head}: {'; '.join(parts)}."]


def figures(run: RunDir) -> list[ReportFigure]:
    out: list[ReportFigure] = []
    if run.sweep_table is None:
        return out
    t = run.sweep_table
    grid = list(run.doc.get("grid", {}))
    param = grid[0] if grid else None
    for k in registry.headline(t["kpi"].astype(str), 5):
        name = registry.label(k)
        attempt(out, f"sweep_{k}", f"{name[:1].upper()}{name[1:]} at each grid point, "
                "with its 95 % CI band.", functools.partial(plots.sweep_kpi, t, k, param))
    return out


def tables(run: RunDir) -> str:
    t = run.sweep_table if run.sweep_table is not None else pd.DataFrame()
    grid = _grid(run)
    parts = ['<section id="scenario"><h2>Sweep</h2>', facts(
        [("scenario", run.doc.get("scenario", "?")), ("root seed", run.doc.get("seed", "?")),
         *[(p, ", ".join(map(str, v))) for p, v in run.doc.get("grid", {}).items()],
         ("replications per point", run.n_reps)]), "</section>"]
    kpis = list(dict.fromkeys(t["kpi"].astype(str))) if len(t) else []
    rows = []
    by = ["point"] if "point" in t else grid
    for _, g in t.groupby(by, sort=False):
        first = g.iloc[0]
        row = [esc(first[p]) for p in grid]
        for k in kpis:
            r = g[g["kpi"] == k]
            row.append(esc(f"{fmt(k, float(r['mean'].iloc[0]))} "
                           f"{fmt_hw(k, float(r['half_width'].iloc[0]))}".strip())
                       if len(r) else "")
        rows.append(row)
    header = [*map(esc, grid), *[f'<span id="kpi-{esc(k)}">{esc(k)}</span>' for k in kpis]]
    parts += ['<section id="kpis"><h2>KPIs at each grid point (mean ± 95 % half-width)</h2>',
              table(header, rows, "kpis", first_kpi=False), "</section>"]
    return "".join(parts)


register(Renderer("sweep", findings, figures, tables))
