"""Figures of the day by reporting interval: waiting calls, any interval KPI, agents.

Owns :func:`waiting_calls`, :func:`interval_kpi`, :func:`interval_overview`,
:func:`agents_by_pool` and :func:`answer_rate_heatmap`; each takes per-replication
results (see :mod:`callsim.ui.plots`) so it can draw a confidence band. Imports
:mod:`callsim.ui.plots.common`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from callsim.ui.plots.common import (
    IntervalResults,
    _cap,
    _draw_series,
    _interval_hours,
    _long,
    _new,
    _queues,
    _reps_note,
    _span,
    clock_axis,
    is_rate,
    kpi_label,
    kpi_name,
)


def waiting_calls(results: IntervalResults, queues: Sequence[str] | str | None = None, *,
                  level: float = 0.95, ax: Axes | None = None) -> Figure:
    """Waiting calls over the day per queue: mean across replications with a CI band.

    Parameters
    ----------
    results
        Replication results (a list gives the band), a batch (means only) or an
        intervals table; see the module notes.
    queues
        Queues to draw (named by their call type; ``"all"`` is every queue together);
        default: each queue.
    level
        Confidence level of the band.
    ax
        Draw on this Axes instead of a new figure.
    """
    df, n = _long(results, "intervals")
    names = _queues(df, "call_type", queues, default_all=False)
    offset_h, width_h = _interval_hours(df)
    fig, ax = _new((10.5, 4.2), ax)
    banded = n > 1 and df["replication"].nunique() > 1
    for q in names:
        _draw_series(ax, df[df["call_type"] == q], "mean_queue", offset_h, width_h, level,
                     1.0, q)
    clock_axis(ax, *_span(df, offset_h, width_h))
    ax.set_ylabel("waiting calls (time-average per interval)")
    ax.set_ylim(bottom=0)
    ax.set_title(f"Calls waiting over the day, by queue ({_reps_note(n, level, banded)})")
    ax.legend(title="queue", fontsize="small", ncols=2 if len(names) > 4 else 1)
    return fig


def _intervals_with(results: IntervalResults, kpi: str) -> tuple[pd.DataFrame, int]:
    """The long intervals table of *results* and its replication count; it must have *kpi*."""
    df, n = _long(results, "intervals")
    if kpi not in df:
        raise ValueError(f"the intervals table has no column {kpi!r}")
    return df, n


def interval_kpi(results: IntervalResults, kpi: str = "answer_rate",
                 call_types: Sequence[str] | str = ("all",), *, level: float = 0.95,
                 ax: Axes | None = None) -> Figure:
    """Any column of the intervals table (``answer_rate``, ``asa``, ``offered``,
    ``sl_20``...) by arrival interval, per call type, mean with a CI band."""
    df, n = _intervals_with(results, kpi)
    names = _queues(df, "call_type", call_types, default_all=True)
    offset_h, width_h = _interval_hours(df)
    label, scale = kpi_label(kpi, per=" per interval")
    fig, ax = _new((10.5, 3.8), ax)
    banded = n > 1 and df["replication"].nunique() > 1
    for ct in names:
        _draw_series(ax, df[df["call_type"] == ct], kpi, offset_h, width_h, level, scale,
                     ct, color="black" if ct == "all" and len(names) > 1 else None)
    clock_axis(ax, *_span(df, offset_h, width_h))
    ax.set_ylabel(label)
    if is_rate(kpi):
        ax.set_ylim(0, 102)
    else:
        ax.set_ylim(bottom=0)
    ax.set_title(f"{_cap(kpi_name(kpi))} by arrival interval "
                 f"({_reps_note(n, level, banded)})")
    if len(names) > 1 or names[0] != "all":
        ax.legend(title="call type", fontsize="small", ncols=2 if len(names) > 4 else 1)
    return fig


def interval_overview(results: IntervalResults, call_type: str = "all", *,
                      level: float = 0.95) -> Figure:
    """Offered calls, answer rate and ASA by interval for one call type (three panels
    on a shared clock axis)."""
    df, n = _long(results, "intervals")
    _queues(df, "call_type", call_type, default_all=True)
    fig = Figure(figsize=(10.5, 8.0), layout="constrained")
    axes = fig.subplots(3, 1, sharex=True)
    titles = ("Offered calls", "Answer rate", "ASA (average speed of answer)")
    for ax, kpi, title in zip(axes, ("offered", "answer_rate", "asa"), titles, strict=True):
        interval_kpi(df, kpi, call_type, level=level, ax=ax)
        ax.set_title("")
        ax.set_title(title, loc="left", fontsize="medium")
    for ax in axes[:-1]:
        ax.set_xlabel("")
    banded = n > 1 and df["replication"].nunique() > 1
    who = "all calls" if call_type == "all" else f"{call_type} calls"
    fig.suptitle(f"The day by arrival interval - {who} ({_reps_note(n, level, banded)})")
    return fig


def agents_by_pool(results: IntervalResults, pools: Sequence[str] | str | None = None, *,
                   level: float = 0.95, ax: Axes | None = None) -> Figure:
    """Staffed vs busy agents over the day per pool (the gap is idle time; the title of
    each panel gives the pool's occupancy over the day).

    Without *ax*: one panel per pool. With *ax*: every pool on that Axes, staffed
    dashed and busy solid in the pool's colour.
    """
    df, n = _long(results, "agents")
    names = _queues(df, "pool", pools, default_all=True)
    offset_h, width_h = _interval_hours(df)
    span = _span(df, offset_h, width_h)
    banded = n > 1 and df["replication"].nunique() > 1
    if ax is not None:
        fig, _ = _new((0, 0), ax)
        for i, p in enumerate(names):
            sub = df[df["pool"] == p]
            color = f"C{i % 10}"
            _draw_series(ax, sub, "staffed", offset_h, width_h, level, 1.0,
                         f"{p} staffed", color=color, linestyle="--", linewidth=1.2)
            _draw_series(ax, sub, "busy", offset_h, width_h, level, 1.0, f"{p} busy",
                         color=color)
        clock_axis(ax, *span)
        ax.set_ylabel("agents")
        ax.set_ylim(bottom=0)
        ax.set_title(f"Staffed vs busy agents ({_reps_note(n, level, banded)})")
        ax.legend(fontsize="small", ncols=2)
        return fig
    cols = min(3, len(names))
    rows = math.ceil(len(names) / cols)
    fig = Figure(figsize=(4.2 * cols + 0.6, 3.0 * rows + 0.8), layout="constrained")
    grid = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    for a, p in zip(grid, names, strict=False):
        sub = df[df["pool"] == p]
        _draw_series(a, sub, "staffed", offset_h, width_h, level, 1.0, "staffed",
                     color="0.35", linestyle="--", linewidth=1.2)
        _draw_series(a, sub, "busy", offset_h, width_h, level, 1.0, "busy", color="C0")
        staffed = sub.groupby("replication")["staffed"].sum()
        busy = sub.groupby("replication")["busy"].sum()
        occ = float((busy / staffed.where(staffed > 0)).mean())
        occ_txt = f"{100 * occ:.0f} %" if math.isfinite(occ) else "-"
        a.set_title(f"{p} - occupancy {occ_txt}", fontsize="medium")
        clock_axis(a, *span, max_ticks=5)
        a.set_ylabel("agents")
        a.set_ylim(bottom=0)
    for a in grid[len(names):]:
        a.set_visible(False)
    grid[0].legend(fontsize="small", loc="upper left")
    fig.suptitle(f"Staffed vs busy agents per pool ({_reps_note(n, level, banded)})")
    return fig


def answer_rate_heatmap(results: IntervalResults, kpi: str = "answer_rate",
                        queues: Sequence[str] | str | None = None, *,
                        ax: Axes | None = None) -> Figure:
    """Interval × queue heatmap of the answer rate (or another interval KPI), the mean
    over replications. Grey cells had no call offered."""
    df, n = _intervals_with(results, kpi)
    names = _queues(df, "call_type", queues, default_all=False)
    offset_h, width_h = _interval_hours(df)
    label, scale = kpi_label(kpi, per=" per interval")
    means = (df[df["call_type"].isin(names)]
             .groupby(["call_type", "start"], sort=False)[kpi].mean()
             .unstack("start"))
    means = means.reindex(index=names, columns=sorted(means.columns))
    starts_h = np.asarray(means.columns, dtype=float) / 3600.0 + offset_h
    x = np.append(starts_h, starts_h[-1] + width_h)
    y = np.arange(len(names) + 1) - 0.5
    z = np.ma.masked_invalid(scale * means.to_numpy(float))
    fig, ax = _new((10.5, 0.45 * len(names) + 2.2), ax)
    ax.set_facecolor("0.85")
    if is_rate(kpi):
        mesh = ax.pcolormesh(x, y, z, cmap="RdYlGn", vmin=0, vmax=100, shading="flat")
    else:
        mesh = ax.pcolormesh(x, y, z, cmap="viridis_r", shading="flat")
    ax.set_yticks(np.arange(len(names)), names)
    ax.set_ylim(len(names) - 0.5, -0.5)
    clock_axis(ax, float(x[0]), float(x[-1]))
    ax.grid(False)
    ax.set_ylabel("queue (call type)")
    cbar = fig.colorbar(mesh, ax=ax, pad=0.01)
    cbar.set_label(label)
    ax.set_title(f"{_cap(kpi_name(kpi))} by arrival interval and queue "
                 f"({_reps_note(n, 0.95, False)}; grey: no calls offered)")
    return fig


