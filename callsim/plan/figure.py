"""The plan's picture: agents per slot (requirement, scheduled, present, today) and the KPI
under the plan against its target band.

Owns :func:`plan_figure`. Draws with :class:`matplotlib.figure.Figure` (no pyplot: nothing
is shown or leaked; in a notebook the returned figure displays itself). Imports the
planner's result types and the verification table; it must not run simulations.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from callsim.plan.targets import kpi_base

if TYPE_CHECKING:
    from callsim.plan.api import PlanResult


def _steps(ax: Axes, values: np.ndarray, slot_h: float, **kw: object) -> None:
    x = np.arange(values.size + 1) * slot_h
    ax.stairs(values, x, **kw)  # type: ignore[arg-type]


def _clock(ax: Axes) -> None:
    ax.set_xlim(0, 24)
    ax.set_xticks(range(0, 25, 3))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{int(v):02d}:00"))
    ax.grid(alpha=0.3)


def plan_figure(res: PlanResult, pools: Sequence[str] | str | None = None) -> Figure:
    """Per pool: agents per slot (left) and the group's KPI under the plan (right).

    Left: today's scheduled agents, the Erlang-A and simulated requirements, what the
    plan schedules and the agents expected on the phones (scheduled x presence). Right:
    the KPI of the pool's calls in each slot with its confidence band (on the
    verification seed), the target and the band where it is met (shaded); in a
    redeploy, today's KPI too.

    Parameters
    ----------
    res
        A plan.
    pools
        Pools to draw (default: every planned pool).
    """
    su = res.setup
    names = [pools] if isinstance(pools, str) else list(pools or su.planned)
    for p in names:
        if p not in su.planned:
            raise ValueError(f"{p!r} is not a planned pool ({', '.join(su.planned)})")
    ver = res.verification()
    fig = Figure(figsize=(12.5, 2.6 * len(names) + 0.9), layout="constrained")
    axes = np.atleast_2d(fig.subplots(len(names), 2, squeeze=False))
    h = su.slot_hours
    covered = su.extra["covered"]

    def inside(v: np.ndarray) -> np.ndarray:  # slots outside the horizon are not drawn
        return np.where(covered, np.asarray(v, dtype=float), np.nan)

    for row, p in zip(axes, names, strict=True):
        ax, kx = row
        _steps(ax, inside(su.today[p]), h, color="0.55", linewidth=1.5, label="today")
        if res.search is not None:
            _steps(ax, inside(res.search.erlang[p]), h, color="tab:purple",
                   linestyle="--", linewidth=1.2, label="Erlang A")
            _steps(ax, inside(res.search.required[p]), h, color="tab:blue",
                   linewidth=1.8, label="requirement (simulated)")
        _steps(ax, inside(res.scheduled[p]), h, color="tab:orange", fill=True, alpha=0.25,
               label="scheduled (plan)")
        _steps(ax, inside(res.scheduled[p] * su.presence[p]), h, color="tab:green",
               linestyle=":", linewidth=1.5, label="present (expected)")
        ax.set_ylabel("agents")
        ax.set_title(p, loc="left", fontsize="medium")
        _clock(ax)
        ax.set_ylim(bottom=0)
        g = su.group_of(p)
        rows = ver[ver["group"] == g.name]
        if rows.empty:
            kx.set_visible(False)
            continue
        first = rows.iloc[0]
        kpi, label, types = str(first["kpi"]), str(first["target"]), str(first["call_types"])
        r = rows[(rows["kpi"] == kpi) & (rows["call_types"] == types)]
        rate = kpi_base(kpi) not in ("asa", "mean_wait")
        scale = 100.0 if rate else 1.0
        x = r["slot"].to_numpy(dtype=float) * h + h / 2
        kx.fill_between(x, r["ci_low"] * scale, r["ci_high"] * scale, color="tab:orange",
                        alpha=0.3, linewidth=0, label="plan (CI)")
        kx.plot(x, r["mean"] * scale, color="tab:orange", marker=".", label="plan")
        if "today_mean" in r:
            kx.fill_between(x, r["today_ci_low"] * scale, r["today_ci_high"] * scale,
                            color="0.6", alpha=0.25, linewidth=0)
            kx.plot(x, r["today_mean"] * scale, color="0.45", marker=".", label="today")
        value = float(first["target_value"])
        if not math.isnan(value):
            top = 100.0 if rate else max(float(np.nanmax(r["ci_high"])), value) * 1.3
            lo, hi = (value * scale, top) if label and ">=" in label else (0.0, value * scale)
            kx.axhspan(lo, hi, color="tab:green", alpha=0.08, label="target met")
            kx.axhline(value * scale, color="tab:green", linewidth=1.2)
            if "met" in r:
                miss = r[~r["met"].astype(bool)]
                if not miss.empty:
                    kx.plot(miss["slot"].to_numpy(dtype=float) * h + h / 2,
                            miss["mean"] * scale, "x", color="tab:red", markersize=8,
                            label="misses")
        kx.set_ylabel(f"{kpi}{' (%)' if rate else ' (s)'}")
        kx.set_title(f"{kpi} ({types})" + (f"; target {label}" if label else ""),
                     loc="left", fontsize="medium")
        _clock(kx)
        if rate:
            kx.set_ylim(max(0.0, float(np.nanmin(r["ci_low"])) * 100 - 5), 100.5)
    axes[0][0].legend(fontsize="small", ncols=2, loc="upper left")
    axes[0][1].legend(fontsize="small", ncols=2, loc="lower left")
    mode = ("requirements and verified plan" if res.mode == "requirements"
            else "redeploy of today's agent-hours")
    fig.suptitle(f"{su.scenario.name}: {mode} (KPIs on seed {res.verify_seed}, "
                 f"{res.verify_reps} replications, {res.level:.0%} CI)")
    return fig
