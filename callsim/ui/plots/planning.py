"""Figures of the planning layer's results, drawn from the tables their folders hold.

Owns :func:`staffing_by_slot` and :func:`targets_by_slot` (``callsim staff``:
``requirements.csv``, ``verification.csv``), :func:`calibration_residuals` and
:func:`misfit_by_round` (``callsim calibrate``: ``residuals.csv``, ``history.csv``) and
:func:`design_ranking` (``callsim optimise-menu``: ``selection.csv``). Each takes the
table as written (or as the result object gives it) and returns a Figure; values are
formatted by the KPI registry. Imports :mod:`callsim.results` only.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from callsim.results.kpi_format import axis_label, fmt_diff
from callsim.ui.plots.common import _new, clock_axis


def _slot_hours(df: pd.DataFrame) -> tuple[np.ndarray, float]:
    """Slot start in hours of the day (from ``clock`` ``HH:MM``) and the slot length."""
    clock = df["clock"].astype(str).str.extract(r"(\d{1,2}):(\d{2})$").astype(float)
    hours = (clock[0] + clock[1] / 60).to_numpy()
    uniq = np.unique(hours)
    width = float(np.min(np.diff(uniq))) if len(uniq) > 1 else 1.0
    return hours, width


def staffing_by_slot(requirements: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Scheduled agents per slot and pool: today, the simulated requirement and the plan
    (``requirements.csv``), over the judged slots."""
    df = requirements[requirements["judged"].astype(bool)] if "judged" in requirements \
        else requirements
    if df.empty:
        raise ValueError("no judged slot in the requirements table")
    pools = list(dict.fromkeys(df["pool"].astype(str)))
    fig, ax = _new((9.5, 4.2), ax)
    for i, pool in enumerate(pools):
        sub = df[df["pool"].astype(str) == pool]
        h, w = _slot_hours(sub)
        color = f"C{i % 10}"
        ax.stairs(sub["scheduled"].to_numpy(float), np.append(h, h[-1] + w), color=color,
                  linewidth=2, label=f"{pool}: plan")
        ax.stairs(sub["today"].to_numpy(float), np.append(h, h[-1] + w), color=color,
                  linestyle=":", label=f"{pool}: today")
        if "required" in sub and sub["required"].notna().any():
            ax.stairs(sub["required"].to_numpy(float), np.append(h, h[-1] + w), color=color,
                      linestyle="--", alpha=0.7, label=f"{pool}: required")
    h, w = _slot_hours(df)
    clock_axis(ax, float(h.min()), float(h.max() + w))
    ax.set_ylabel("scheduled agents")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small", ncols=max(1, len(pools)))
    ax.set_title("Agents per slot: the plan, today and the simulated requirement")
    return fig


def targets_by_slot(verification: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Each checked KPI per slot under the plan with its CI band, against its target
    (``verification.csv``; a redeploy's also shows today)."""
    if verification.empty:
        raise ValueError("empty verification table")
    fig, ax = _new((9.5, 4.2), ax)
    keys = list(dict.fromkeys(zip(verification["group"].astype(str),
                                  verification["kpi"].astype(str), strict=True)))
    first = keys[0][1]
    ylabel, factor = axis_label(first)
    for i, (group, kpi) in enumerate(keys):
        sub = verification[(verification["group"].astype(str) == group)
                           & (verification["kpi"].astype(str) == kpi)]
        h, w = _slot_hours(sub)
        x = h + w / 2
        color = f"C{i % 10}"
        f = axis_label(kpi)[1]
        ax.plot(x, sub["mean"].to_numpy(float) * f, color=color, marker="o", markersize=3,
                label=f"{group}: {kpi} (plan)")
        ax.fill_between(x, sub["ci_low"].to_numpy(float) * f,
                        sub["ci_high"].to_numpy(float) * f, color=color, alpha=0.2)
        if "today_mean" in sub:
            ax.plot(x, sub["today_mean"].to_numpy(float) * f, color=color, linestyle=":",
                    label=f"{group}: {kpi} (today)")
        tv = sub["target_value"].astype(float)
        if tv.notna().any():
            ax.axhline(float(tv.dropna().iloc[0]) * f, color=color, linestyle="--",
                       linewidth=1, label=f"target {sub['target'].iloc[0]}")
    h, w = _slot_hours(verification)
    clock_axis(ax, float(h.min()), float(h.max() + w))
    ax.set_ylabel(ylabel if factor else first)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    ax.set_title("The plan on the verification seed, per slot (band: 95 % CI)")
    return fig


def calibration_residuals(residuals: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Each target's simulated mean before and after calibration, as residual / tolerance
    with its CI (``residuals.csv``): inside the band [-1, 1] the target is met."""
    if residuals.empty:
        raise ValueError("no targets")
    fig, ax = _new((9.0, 0.55 * len(residuals) + 1.8), ax)
    y = np.arange(len(residuals))
    tol = residuals["tol"].to_numpy(float)
    value = residuals["value"].to_numpy(float)
    for j, (col, name, off) in enumerate((("before", "input", -0.12),
                                           ("fitted", "calibrated", 0.12))):
        x = (residuals[col].to_numpy(float) - value) / tol
        err = residuals[f"{col}_hw"].to_numpy(float) / tol
        ax.errorbar(x, y + off, xerr=np.nan_to_num(err), fmt="o", color=f"C{j}",
                    capsize=3, label=name)
    ax.axvspan(-1, 1, color="0.85", zorder=0, label="within tolerance")
    ax.axvline(0, color="0.3", linewidth=1)
    ax.set_yticks(y, residuals["target"].astype(str))
    ax.set_ylim(len(residuals) - 0.5, -0.5)
    ax.set_xlabel("(simulated − reported) / tolerance, 95 % CI")
    ax.grid(True, axis="x", alpha=0.3)
    ax.legend(fontsize="small")
    ax.set_title("Calibration targets: the input scenario and the calibrated one")
    return fig


def misfit_by_round(history: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """The misfit of every candidate of a calibration, by round (``history.csv``)."""
    if history.empty or "misfit" not in history:
        raise ValueError("no candidates")
    fig, ax = _new((8.0, 3.6), ax)
    rounds = history["round"].to_numpy(int)
    ax.scatter(rounds + np.linspace(-0.15, 0.15, len(rounds)) * (len(rounds) > 1),
               history["misfit"].to_numpy(float), s=14, alpha=0.7)
    best = history.groupby("round")["misfit"].min()
    ax.plot(best.index, best.to_numpy(float), color="C3", marker="o", label="best so far")
    ax.set_yscale("log")
    ax.set_xticks(sorted(set(rounds.tolist())))
    ax.set_xlabel("round (0: the input scenario)")
    ax.set_ylabel("misfit Σ((mean − target)/tolerance)²")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    ax.set_title("Calibration: misfit of each candidate")
    return fig


def design_ranking(selection: pd.DataFrame, objective: str, reference: str,
                   labels: dict[str, str] | None = None, ax: Axes | None = None) -> Figure:
    """Ranking and selection: each design's paired difference from *reference* in the
    objective, with its 95 % CI (``selection.csv``), best first."""
    if selection.empty:
        raise ValueError("no designs")
    fig, ax = _new((9.5, 0.45 * len(selection) + 1.8), ax)
    y = np.arange(len(selection))
    d = selection["vs_reference"].to_numpy(float)
    hw = np.nan_to_num(selection["vs_reference_hw"].to_numpy(float))
    sig = selection["vs_reference_significant"].astype(bool).to_numpy()
    _, factor = axis_label(objective)
    ax.errorbar(d * factor, y, xerr=hw * factor, fmt="none", ecolor="C0", capsize=3)
    ax.scatter(d[sig] * factor, y[sig], color="C0", zorder=3)
    ax.scatter(d[~sig] * factor, y[~sig], facecolors="white", edgecolors="C0", zorder=3)
    names = selection["design"].astype(str).tolist()
    ax.set_yticks(y, [(labels or {}).get(n, n) for n in names], fontsize="small")
    ax.set_ylim(len(selection) - 0.5, -0.5)
    ax.axvline(0, color="0.3", linewidth=1)
    for yy, dv, h in zip(y, d, hw, strict=True):
        if math.isfinite(dv):
            ax.annotate(fmt_diff(objective, float(dv), float(h)), (1.0, yy),
                        xycoords=("axes fraction", "data"), xytext=(6, 0),
                        textcoords="offset points", va="center", fontsize="small")
    text = axis_label(objective)[0].replace("(%)", "(points)")
    ax.set_xlabel(f"{text}: difference from {reference} (95 % CI)")
    ax.grid(True, axis="x", alpha=0.3)
    ax.set_title("Ranking and selection (filled: CI excludes 0)")
    return fig
