"""Files and terminal tables of searches: what ``calibrate`` and ``optimise-menu`` write.

Owns the result files (JSON documents that ``callsim report`` reads, CSV tables), the
calibrated scenario file with its header, and the number formats of that header.
Imports the search package's result types and :mod:`callsim.search.yamlout`; no UI (the
terminal tables are :mod:`callsim.ui.search_tables`).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from callsim.config import load_scenario
from callsim.search.calibrate import CalibrationResult
from callsim.search.kpis import KpiExpr
from callsim.search.yamlout import write_variant


def fmt_value(kpi: str, v: float, digits: int = 4) -> str:
    """A KPI value for people: shares as %, counts with thousands separators."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    expr = KpiExpr.parse(kpi, "kpi")
    if expr.share:
        return f"{100 * v:.2f} %"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{digits}g}"


def _json_default(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON-serialisable: {type(o).__name__}")


def _nan_to_none(o: Any) -> Any:
    if isinstance(o, float) and not math.isfinite(o):
        return None
    if isinstance(o, dict):
        return {k: _nan_to_none(v) for k, v in o.items()}
    if isinstance(o, list | tuple):
        return [_nan_to_none(v) for v in o]
    if isinstance(o, np.generic):
        return _nan_to_none(o.item())
    return o


def write_json(path: Path, doc: dict[str, Any]) -> Path:
    """Write *doc* as indented JSON (NaN as null)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_nan_to_none(doc), indent=2, default=_json_default) + "\n",
                    encoding="utf-8")
    return path


# -------------------------------------------------------------------- calibration


def _param_note(res: CalibrationResult, name: str) -> str:
    row = res.parameters.set_index("parameter").loc[name].to_dict()
    p = res.space.param(name)
    lo, hi = float(row["range_low"]), float(row["range_high"])
    if p.kind == "factor":
        text = (f"fitted by callsim calibrate: input value x {float(row['fitted']):.4g} "
                f"(x {lo:.4g}..{hi:.4g})")
    else:
        text = f"fitted by callsim calibrate (range {lo:.5g}..{hi:.5g})"
    return text + ("; NOT identifiable" if not bool(row["identifiable"]) else "")


def calibration_header(res: CalibrationResult, command: str | None) -> list[str]:
    """The comment lines at the top of a calibrated scenario file."""
    h = [f"Written by `callsim calibrate`: {res.scenario} with {len(res.space)} value(s) "
         f"fitted to {len(res.targets)} target(s). The values marked 'fitted' below came",
         "from the search; do not edit them by hand, rerun the command instead:"]
    if command:
        h.append(f"  {command}")
    h += ["",
          f"Search: response surfaces, {res.rounds} rounds, {len(res.history)} candidates x "
          f"{res.reps} replications (common random numbers); residuals from "
          f"{res.final_reps} fresh replications, seed {res.seed}.",
          "target: reported value ± tolerance -> simulated before | fitted (95 % CI)"]
    for _, r in res.residuals.iterrows():
        k = str(r["target"])
        h.append(f"  {k}: {fmt_value(k, r['value'])} ± {fmt_value(k, r['tol'])} -> "
                 f"{fmt_value(k, r['before'])} | {fmt_value(k, r['fitted'])} ± "
                 f"{fmt_value(k, r['fitted_hw'])}" + ("" if r["within"] else "  (outside)"))
    h.append("fitted value (range: how far it can move, the others re-fitted, before the "
             "misfit grows by one tolerance)")
    for _, r in res.parameters.iterrows():
        h.append(f"  {r['parameter']} = {r['fitted']:.6g} ({r['range_low']:.5g}.."
                 f"{r['range_high']:.5g}; searched {r['lo']:g}..{r['hi']:g}; "
                 f"input {r['start']:.6g})")
    for w in res.warnings:
        h.append(f"warning: {w}")
    return h


def write_calibration(res: CalibrationResult, scenario_path: Path | str, out: Path | str,
                      report_dir: Path | str | None = None,
                      command: str | None = None) -> list[Path]:
    """Write the calibrated scenario *out* (``extends:`` the input) and the result files
    ``calibration.json``, ``residuals.csv``, ``parameters.csv``, ``history.csv`` in
    *report_dir* (default: ``<out stem>_calibration/`` beside *out*)."""
    out = Path(out)
    rdir = Path(report_dir) if report_dir else out.with_name(out.stem + "_calibration")
    comments = {}
    for p in res.space.params:
        note = _param_note(res, p.name)
        for path in res.space.paths[p.name]:
            comments[path] = note
    base = load_scenario(scenario_path).raw
    paths = [write_variant(out, scenario_path, res.overrides, base,
                           calibration_header(res, command), comments)]
    rdir.mkdir(parents=True, exist_ok=True)
    paths.append(write_json(rdir / "calibration.json", calibration_doc(res, out, command)))
    for name, df in calibration_frames(res).items():
        csv_path = rdir / f"{name}.csv"
        df.to_csv(csv_path, index=False)
        paths.append(csv_path)
    return paths


def calibration_doc(res: CalibrationResult, out: Path | str | None,
                    command: str | None = None) -> dict[str, Any]:
    """``calibration.json``: the result's summary, the calibrated file and the command."""
    doc = res.to_dict()
    doc["calibrated"] = None if out is None else str(out)
    doc["command"] = command
    return doc


def calibration_frames(res: CalibrationResult) -> dict[str, pd.DataFrame]:
    """The CSV tables of a calibration, by file stem."""
    return {"residuals": res.residuals, "parameters": res.parameters,
            "history": res.history}


# -------------------------------------------------------------------- selection


def fmt_diff(kpi: str, d: float, hw: float) -> str:
    """A paired difference with its CI half-width: shares in percentage points."""
    if not (math.isfinite(d) and math.isfinite(hw)):
        return "-"
    if KpiExpr.parse(kpi, "kpi").share:
        return f"{100 * d:+.2f} ± {100 * hw:.2f} pt"
    return f"{d:+.4g} ± {hw:.2g}"
