"""The report of a calibration (``callsim calibrate``: ``calibration.json`` and its tables).

Owns the calibrate kind's finding (how many reported figures the calibrated scenario
matches within tolerance, each simulated mean with its CI against the reported value,
and the fitted values with their ranges), figures (residual / tolerance per target,
input vs calibrated; the misfit of every candidate by round) and tables (the facts, the
residuals, the fitted values, warnings, every candidate), and :func:`calibration_run_dir`
(a calibration in memory, for ``callsim calibrate``'s first line). Imports
:mod:`callsim.ui.plots`, :mod:`callsim.io` and :mod:`callsim.results`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from callsim.io.reader import FOLDER_KINDS, RunDir
from callsim.results import kpis as registry
from callsim.results.kpi_format import fmt, magnitude
from callsim.ui import findings as say
from callsim.ui import plots
from callsim.ui.report.base import Renderer, ReportFigure, attempt, register
from callsim.ui.report.html import esc, facts, frame_table

_TABLES = ("residuals", "parameters", "history")


def calibration_run_dir(doc: Mapping[str, Any], tables: Mapping[str, pd.DataFrame],
                        out: str | Path | None = None) -> RunDir:
    """A calibration's ``calibration.json`` document and tables as a :class:`RunDir`."""
    return RunDir(Path(out) if out is not None else Path("."), "calibrate", dict(doc),
                  tables=dict(tables), heading=FOLDER_KINDS["calibrate"].title)


def _table(run: RunDir, name: str) -> pd.DataFrame:
    t = run.tables.get(name)
    return t if t is not None else pd.DataFrame(run.doc.get(name, []))


def _reps(run: RunDir) -> int:
    final = run.doc.get("final", {})
    return int(final.get("reps", 0)) if isinstance(final, dict) else 0


def findings(run: RunDir) -> list[str]:
    d = run.doc
    res = _table(run, "residuals")
    final = d.get("final", {}) if isinstance(d.get("final"), dict) else {}
    out = []
    if len(res):
        within = int(res["within"].astype(bool).sum())
        parts = []
        for r in res.to_dict(orient="records"):
            k = str(r["target"])
            m, hw = say.num(r["fitted"]), say.num(r["fitted_hw"])
            parts.append(say.level(k, m, m - hw, m + hw)
                         + f" vs {fmt(k, say.num(r['value']))} ± "
                         f"{magnitude(k, say.num(r['tol']))} reported"
                         + ("" if r["within"] else " (outside)"))
        where = f" ({d['calibrated']})" if d.get("calibrated") else ""
        out.append(f"The calibrated scenario{where} matches {within} of {len(res)} reported "
                   f"figures within tolerance ({_reps(run)} fresh replications, seed "
                   f"{final.get('seed', '?')}): {'; '.join(parts)}.")
    params = _table(run, "parameters")
    if len(params):
        parts = []
        for r in params.to_dict(orient="records"):
            x = say.num(r["fitted"])
            text = (f"{r['parameter']} = {x:,.6g} (range {say.num(r['range_low']):,.5g} to "
                    f"{say.num(r['range_high']):,.5g})")
            if not bool(r.get("identifiable", True)):
                text += ", not identifiable"
            parts.append(text)
        out.append("Fitted values (range: how far each can move, the others re-fitted, "
                   f"before the misfit grows by one tolerance): {'; '.join(parts)}.")
    warnings = d.get("warnings") or []
    if warnings:
        out.append(f"{len(warnings)} warning{'s' if len(warnings) != 1 else ''}: "
                   f"{warnings[0]}.")
    return out


def figures(run: RunDir) -> list[ReportFigure]:
    out: list[ReportFigure] = []
    res = _table(run, "residuals")
    attempt(out, "calibration_residuals", "Each target's simulated mean minus the reported "
            "value, in tolerances, for the input and the calibrated scenario (95 % CI); "
            "the grey band is within tolerance.", lambda: plots.calibration_residuals(res))
    hist = _table(run, "history")
    attempt(out, "misfit_by_round", "The misfit of every candidate by round of the "
            "response-surface search (log scale); the line is the best so far.",
            lambda: plots.misfit_by_round(hist))
    return out


def _residual_kpi(row: Mapping[str, Any], col: str) -> str | None:
    k = str(row.get("target"))
    if col in ("value", "before", "fitted"):
        return k
    if col in ("tol", "before_hw", "fitted_hw"):
        return f"Δ{k}" if registry.unit(k) == "share" else k
    if col == "residual":
        return f"Δ{k}"
    return None


def tables(run: RunDir) -> str:
    d = run.doc
    search = d.get("search", {}) if isinstance(d.get("search"), dict) else {}
    cost = d.get("cost", {}) if isinstance(d.get("cost"), dict) else {}
    items: list[tuple[str, Any]] = [
        ("scenario", d.get("scenario", "?")),
        ("calibrated scenario", d.get("calibrated") or "–"),
        ("targets", ", ".join(map(str, d.get("targets", [])))),
        ("free parameters", ", ".join(map(str, d.get("free", [])))),
        ("search", f"{search.get('strategy', '?')}, {search.get('rounds', '?')} rounds, "
                   f"{search.get('candidates', '?')} candidates x {search.get('reps', '?')} "
                   f"replications (seed {search.get('seed', '?')})"),
        ("residuals", f"{_reps(run)} fresh replications"),
        ("misfit after", f"{say.num(d.get('misfit')):.4g}"),
        ("cost", f"{cost.get('replications', '?')} replications in "
                 f"{say.num(cost.get('seconds')):.0f} s"),
        ("command", d.get("command") or "–")]
    parts = ['<section id="scenario"><h2>Calibration</h2>', facts(items), "</section>"]
    warnings = d.get("warnings") or []
    if warnings:
        parts.append('<section id="warnings"><h2>Warnings</h2><ul>'
                     + "".join(f"<li>{esc(w)}</li>" for w in warnings) + "</ul></section>")
    for name, title, kpi_of in (
            ("residuals", "Targets: reported vs simulated (residuals.csv)", _residual_kpi),
            ("parameters", "Fitted values (parameters.csv)", None),
            ("history", "Every candidate (history.csv)", None)):
        t = _table(run, name)
        if len(t):
            parts.append(f'<section id="table-{name}"><h2>{esc(title)}</h2>'
                         f"{frame_table(t, kpi_of)}</section>")
    return "".join(parts)


register(Renderer("calibrate", findings, figures, tables))
