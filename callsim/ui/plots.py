"""Figures (matplotlib): each function takes results and returns a Figure.

Owns every picture callsim makes. Every function either draws a new
:class:`~matplotlib.figure.Figure` or, given ``ax=``, draws on that Axes and returns
its figure. Figures are made without :mod:`matplotlib.pyplot` (so nothing is shown,
registered or leaked, and any backend works, headless included); in a notebook the
returned figure displays itself, and ``fig.savefig(path)`` writes it.

Which results each function takes
---------------------------------
Interval plots (:func:`waiting_calls`, :func:`interval_kpi`, :func:`interval_overview`,
:func:`agents_by_pool`, :func:`answer_rate_heatmap`) take *per-replication* data so
that they can draw a confidence band across replications:

- a list of :class:`~callsim.results.ReplicationResult` (e.g. from
  :func:`replications`, which runs them) - mean and a t-CI band;
- one :class:`~callsim.results.ReplicationResult` - one line, no band;
- a :class:`~callsim.experiment.BatchResult` - its interval means only (a batch keeps
  averaged interval tables), so no band;
- a DataFrame shaped like ``ReplicationResult.intervals`` / ``.agents``, with an
  optional ``replication`` column (bands when it holds several replications).

:func:`wait_survival` needs per-call records (``record_calls=True``);
:func:`forest` takes a :class:`~callsim.compare.Comparison` or its
``differences()`` table; :func:`sweep_kpi` takes a sweep result's tidy ``table``
(one row per grid point × KPI with ``mean``, ``half_width``, ``ci_low``, ``ci_high``,
``n``); :func:`ci_convergence` takes a batch (or its ``replications`` table).

Time axes show the clock (HH:MM): an interval's ``start`` seconds plus the scenario's
clock start, which is read off the tables' ``clock`` labels ("d1 09:00").
Imports :mod:`callsim.results` (result types); :func:`replications` imports the
experiment layer when called.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MultipleLocator, PercentFormatter
from scipy import stats

from callsim.results import ReplicationResult

if TYPE_CHECKING:
    from callsim.results import BatchResult, Comparison

    #: what the interval figures take (see the module notes)
    IntervalResults = (ReplicationResult | Sequence[ReplicationResult] | BatchResult
                       | pd.DataFrame)

#: default KPIs of a forest plot, in order (those a comparison reports are drawn)
FOREST_KPIS = (
    "answer_rate", "abandon_rate", "sl_20", "sla_20", "asa", "mean_wait", "wait_p90",
    "mean_queue", "occupancy", "ivr_time", "ivr_hangups", "misroutes", "transfers",
    "blocked", "disconnected",
)

_RATES = {"answer_rate", "abandon_rate", "p_wait", "occupancy", "misroute_rate",
          "ivr_hangup_rate"}
_SECONDS = {"asa", "mean_wait", "ivr_time"}
_NAMES = {
    "answer_rate": "answer rate", "abandon_rate": "abandon rate",
    "p_wait": "share of calls that waited", "occupancy": "agent occupancy",
    "asa": "ASA, mean wait of answered calls", "mean_wait": "mean wait of offered calls",
    "ivr_time": "time in the menu", "mean_queue": "waiting calls (time-average)",
    "offered": "offered calls", "answered": "answered calls", "abandoned": "abandoned calls",
    "arrivals": "arrivals", "ivr_hangups": "hang-ups in the menu",
    "misroutes": "misrouted calls", "transfers": "transfers", "blocked": "blocked calls",
}


# ---------------------------------------------------------------------------- helpers


def is_rate(kpi: str) -> bool:
    """Whether *kpi* is a share (shown in %)."""
    base = kpi.rsplit(".", 1)[-1]
    return base in _RATES or base.startswith(("sl_", "sla_")) or base.endswith("_rate")


def is_seconds(kpi: str) -> bool:
    """Whether *kpi* is a duration in seconds."""
    base = kpi.rsplit(".", 1)[-1]
    return base in _SECONDS or base.startswith("wait_p")


def kpi_name(kpi: str) -> str:
    """A short readable name of *kpi* (no unit): ``sl_20`` → "service level 20 s"."""
    base = kpi.rsplit(".", 1)[-1]
    if base.startswith("sl_"):
        return f"service level {base[3:].replace('_', '.')} s (of answered)"
    if base.startswith("sla_"):
        return f"service level {base[4:].replace('_', '.')} s (of offered)"
    if base.startswith("wait_p"):
        return f"wait, {base[6:]}th percentile"
    return _NAMES.get(base, base.replace("_", " "))


def kpi_label(kpi: str, per: str = "") -> tuple[str, float]:
    """An axis label with its unit for *kpi*, and the factor to multiply values by.

    Rates are shown in %, durations in seconds; *per* qualifies counts
    (e.g. ``" per interval"``).
    """
    base = kpi.rsplit(".", 1)[-1]
    name = kpi_name(kpi)
    if is_rate(kpi):
        return f"{name} (%)", 100.0
    if is_seconds(kpi):
        return f"{name} (s)", 1.0
    if base == "mean_queue":
        return f"{name} (calls)", 1.0
    return f"{name} (calls{per})", 1.0


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _new(figsize: tuple[float, float], ax: Axes | None) -> tuple[Figure, Axes]:
    if ax is not None:
        fig = ax.get_figure(root=True)
        if not isinstance(fig, Figure):  # pragma: no cover - an Axes always has one
            raise ValueError("the Axes is not on a figure")
        return fig, ax
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


_CLOCK = re.compile(r"d(\d+)\s+(\d{1,2}):(\d{2})")


def clock_start(table: pd.DataFrame) -> float:
    """Seconds from 00:00 of day 1 to simulation time 0, read off a table's ``clock``
    labels (``"d1 09:00"`` at ``start`` 0 gives 32400); 0 when there are none."""
    if "clock" not in table or "start" not in table or table.empty:
        return 0.0
    m = _CLOCK.fullmatch(str(table["clock"].iloc[0]).strip())
    if not m:
        return 0.0
    day, hh, mm = (int(g) for g in m.groups())
    return (day - 1) * 86400.0 + hh * 3600.0 + mm * 60.0 - float(table["start"].iloc[0])


def _hhmm(hours: float, multi_day: bool, end_h: float = math.nan) -> str:
    minutes = round(hours * 60.0)
    day, rest = divmod(minutes, 1440)
    text = f"{rest // 60:02d}:{rest % 60:02d}"
    if multi_day:
        return f"d{day + 1} {text}"
    if rest == 0 and day > 0 and abs(hours - end_h) < 1e-6:
        return "24:00"  # the end of the day, at the right edge
    return text


def clock_axis(ax: Axes, first_h: float, last_h: float, max_ticks: int = 9) -> None:
    """Format *ax*'s x axis (in clock hours) as HH:MM, with ticks at round hours."""
    span = max(last_h - first_h, 1e-9)
    step = next((s for s in (0.25, 0.5, 1, 2, 3, 6, 12, 24, 48, 168)
                 if span / s <= max_ticks), 336)
    multi_day = last_h > 24.0 + 1e-9 and span > 24.0
    ax.xaxis.set_major_locator(MultipleLocator(step))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda h, _pos: _hhmm(h, multi_day,
                                                                      last_h)))
    ax.set_xlim(first_h, last_h)
    ax.set_xlabel("time of day (HH:MM)" if not multi_day else "day and time (HH:MM)")
    ax.grid(True, alpha=0.3)


def _long(results: IntervalResults,
          which: Literal["intervals", "agents"]) -> tuple[pd.DataFrame, int]:
    """*which* table of *results* with a ``replication`` column, and how many
    replications the values summarise (for captions)."""
    if isinstance(results, pd.DataFrame):
        df = results.copy()
        if "replication" not in df:
            df["replication"] = 0
        return df, int(df["replication"].nunique())
    if isinstance(results, ReplicationResult):
        df = getattr(results, which).copy()
        df["replication"] = int(results.meta.get("replication", 0))
        return df, 1
    if hasattr(results, "replications") and hasattr(results, which):  # a BatchResult
        df = getattr(results, which).copy()
        df["replication"] = 0
        return df, len(results.replications)
    seq = list(results) if isinstance(results, Sequence) else []
    if not seq or not all(isinstance(r, ReplicationResult) for r in seq):
        raise TypeError(f"expected ReplicationResult(s), a BatchResult or a DataFrame, "
                        f"not {type(results).__name__}")
    frames = []
    for i, r in enumerate(seq):
        f = getattr(r, which).copy()
        f["replication"] = i
        frames.append(f)
    return pd.concat(frames, ignore_index=True), len(seq)


def band(df: pd.DataFrame, value: str, keys: Sequence[str],
         level: float = 0.95) -> pd.DataFrame:
    """Per *keys*: mean of *value* over replications, its t-CI (``lo``, ``hi``) and ``n``.

    NaN values (e.g. an answer rate with no calls offered) are left out; with fewer
    than two values the CI is NaN (no band).
    """
    g = df.groupby(list(keys), sort=False)[value]
    out = g.agg(["mean", "std", "count"]).reset_index()
    n = out["count"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(n >= 2, stats.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1)), np.nan)
        hw = t * out["std"].to_numpy(float) / np.sqrt(n)
    out["lo"] = out["mean"] - hw
    out["hi"] = out["mean"] + hw
    return out.rename(columns={"count": "n"}).drop(columns="std")


def _steps(start_h: np.ndarray, values: np.ndarray, width_h: float) -> tuple[np.ndarray,
                                                                             np.ndarray]:
    x = np.append(start_h, start_h[-1] + width_h)
    return x, np.append(values, values[-1])


def _interval_hours(df: pd.DataFrame) -> tuple[float, float]:
    """(clock start, interval length), both in hours."""
    starts = np.unique(df["start"].to_numpy(float))
    width = float(np.min(np.diff(starts))) if starts.size > 1 else 3600.0
    return clock_start(df) / 3600.0, width / 3600.0


def _draw_series(ax: Axes, sub: pd.DataFrame, value: str, offset_h: float, width_h: float,
                 level: float, scale: float, label: str | None, **kw: Any) -> None:
    """One step line (mean over replications) with its CI band."""
    b = band(sub, value, ["start"], level).sort_values("start")
    if b.empty:
        return
    x_h = b["start"].to_numpy(float) / 3600.0 + offset_h
    x, y = _steps(x_h, scale * b["mean"].to_numpy(float), width_h)
    (line,) = ax.step(x, y, where="post", label=label, **kw)
    lo = scale * b["lo"].to_numpy(float)
    hi = scale * b["hi"].to_numpy(float)
    if np.isfinite(lo).any():
        _, lo_s = _steps(x_h, lo, width_h)
        _, hi_s = _steps(x_h, hi, width_h)
        ax.fill_between(x, lo_s, hi_s, step="post", alpha=0.22, color=line.get_color(),
                        linewidth=0)


def _reps_note(n: int, level: float, banded: bool) -> str:
    if n <= 1:
        return "one replication"
    if banded:
        return f"mean of {n} replications, {100 * level:g} % CI band"
    return f"mean of {n} replications"


def _span(df: pd.DataFrame, offset_h: float, width_h: float) -> tuple[float, float]:
    starts = df["start"].to_numpy(float) / 3600.0 + offset_h
    return float(starts.min()), float(starts.max()) + width_h


def _queues(df: pd.DataFrame, col: str, chosen: Sequence[str] | str | None,
            default_all: bool) -> list[str]:
    names = [str(x) for x in dict.fromkeys(df[col].tolist())]
    if chosen is None:
        return [n for n in names if n != "all"] if not default_all else names
    wanted = [chosen] if isinstance(chosen, str) else list(chosen)
    missing = [w for w in wanted if w not in names]
    if missing:
        raise ValueError(f"unknown {col.replace('_', ' ')} {missing}; the results have "
                         f"{names}")
    return wanted


# ----------------------------------------------------------------- interval figures


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


# ------------------------------------------------------------------ wait distribution


def _calls(results: Any) -> tuple[pd.DataFrame, list[str]]:
    """Per-call records with a ``replication`` column, and the call types in order."""
    if isinstance(results, pd.DataFrame):
        df = results.copy()
        if "replication" not in df:
            df["replication"] = 0
        return df, [str(x) for x in dict.fromkeys(df["call_type"].tolist())]
    seq = [results] if isinstance(results, ReplicationResult) else list(results)
    frames = []
    for i, r in enumerate(seq):
        if not isinstance(r, ReplicationResult):
            raise TypeError(f"expected ReplicationResult(s) or a calls DataFrame, not "
                            f"{type(r).__name__}")
        if r.calls is None:
            raise ValueError("these results have no per-call records: simulate with "
                             "record_calls=True")
        f = r.calls[["call_type", "outcome", "wait"]].copy()
        f["replication"] = i
        frames.append(f)
    if not frames:
        raise ValueError("no results given")
    return pd.concat(frames, ignore_index=True), [str(x) for x in seq[0].by_call_type.index]


def survival(waits: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Empirical ``P(wait > t)`` at each *t* of *grid* (NaN without waits)."""
    w = np.sort(waits[~np.isnan(waits)])
    if w.size == 0:
        return np.full(grid.shape, np.nan)
    return 1.0 - np.searchsorted(w, grid, side="right") / w.size


def wait_survival(results: Any, call_types: Sequence[str] | str | None = None, *,
                  among: Literal["answered", "offered"] = "answered",
                  t_max: float | None = None, marks: Sequence[float] = (20.0,),
                  level: float = 0.95, ax: Axes | None = None) -> Figure:
    """Waiting-time survival curve ``P(wait > t)`` per call type (and for all calls).

    Parameters
    ----------
    results
        Replication result(s) simulated with ``record_calls=True`` (a list gives a
        pointwise CI band across replications), or a calls table.
    among
        ``"answered"`` (default): waits of answered calls, so ``1 - P(wait > t)`` is the
        service level ``sl_t``; ``"offered"``: time in queue of every offered call
        (an abandoned call counts the time it waited before hanging up).
    t_max
        Right end of the time axis (s); default: about the 99th percentile of waits.
    marks
        Service-level thresholds to mark (s).

    Calls are counted whenever they arrived (warm-up included).
    """
    df, order = _calls(results)
    ok = {"answered"} if among == "answered" else {"answered", "abandoned", "unfinished"}
    df = df[df["outcome"].isin(ok) & df["wait"].notna()]
    if df.empty:
        raise ValueError(f"no {among} calls with a wait in these results")
    names = _queues(df, "call_type", call_types, default_all=False)
    if call_types is None:
        names = [*sorted(names, key=lambda n: order.index(n) if n in order else len(order)),
                 "all"]
    if t_max is None:
        q99 = float(np.quantile(df["wait"].to_numpy(float), 0.99))
        t_max = max(60.0, 30.0 * math.ceil(q99 / 30.0))
    step = 1.0 if t_max <= 600 else t_max / 600.0
    grid = np.arange(0.0, t_max + step / 2, step)
    reps = sorted(df["replication"].unique())
    fig, ax = _new((8.5, 4.6), ax)
    for i, ct in enumerate(names):
        sub = df if ct == "all" else df[df["call_type"] == ct]
        style: dict[str, Any] = ({"color": "black", "linewidth": 2.2} if ct == "all"
                                 else {"color": f"C{i % 10}", "linewidth": 1.3})
        curve = survival(sub["wait"].to_numpy(float), grid)
        (line,) = ax.plot(grid, 100 * curve, drawstyle="steps-post",
                          label=f"{ct} ({len(sub):,} calls)", **style)
        if len(reps) > 1:
            per = np.array([survival(sub.loc[sub["replication"] == r, "wait"]
                                     .to_numpy(float), grid) for r in reps])
            long = pd.DataFrame({"t": np.tile(grid, len(reps)), "s": per.ravel()})
            b = band(long, "s", ["t"], level)
            ax.fill_between(grid, 100 * b["lo"].to_numpy(float),
                            100 * b["hi"].to_numpy(float), step="post", alpha=0.18,
                            color=line.get_color(), linewidth=0)
    for t in marks:
        if t <= t_max:
            ax.axvline(t, color="0.4", linestyle=":", linewidth=1)
            ax.annotate(f"{t:g} s", (t, 1), xycoords=("data", "axes fraction"),
                        xytext=(3, -12), textcoords="offset points", fontsize="small",
                        color="0.3")
    ax.set_xlim(0, t_max)
    ax.set_ylim(0, 100)
    ax.yaxis.set_major_formatter(PercentFormatter(100))
    ax.set_xlabel("waiting time t (s)")
    ax.set_ylabel("P(wait > t) (%)")
    ax.grid(True, alpha=0.3)
    note = f", {100 * level:g} % CI band over {len(reps)} replications" if len(reps) > 1 else ""
    ax.set_title(f"Waiting-time survival, {among} calls{note}")
    ax.legend(title="call type", fontsize="small")
    return fig


# ---------------------------------------------------------------- comparisons, sweeps


def signed_difference(kpi: str, value: float) -> str:
    """A difference of *kpi* with its sign and unit (rates in percentage points)."""
    if not math.isfinite(value):
        return "-"
    sign = "+" if value >= 0 else "-"
    v = abs(value)
    if is_rate(kpi):
        return f"{sign}{100 * v:.2f} pp"
    if is_seconds(kpi):
        return f"{sign}{v:.1f} s"
    return f"{sign}{v:,.0f}" if v >= 100 else f"{sign}{v:.2f}"


def forest(comparison: Comparison | pd.DataFrame, kpis: Sequence[str] | None = None, *,
           relative: bool = True, ax: Axes | None = None) -> Figure:
    """Each KPI's paired difference (design − reference) with its CI: a forest plot.

    Parameters
    ----------
    comparison
        A :class:`~callsim.compare.Comparison`, or its ``differences()`` table (also
        read from ``comparison.csv``).
    kpis
        KPIs to show, top to bottom; default :data:`FOREST_KPIS` that are present.
    relative
        Put every KPI on one axis as % of the reference mean (KPIs whose reference mean
        is 0 are left out and listed under the plot); False: the raw differences.

    Significant differences (the CI excludes 0) are drawn filled; each row is
    labelled with the absolute difference (rates in percentage points).
    """
    d = comparison.differences() if not isinstance(comparison, pd.DataFrame) else comparison
    d = d[d["kpi"].astype(str).map(lambda k: "." not in k)] if kpis is None else d
    present = list(dict.fromkeys(d["kpi"].astype(str)))
    chosen = [k for k in (kpis or FOREST_KPIS) if k in present]
    if kpis is None and not any(k.startswith("sl_") for k in chosen):
        chosen += [k for k in present if k.startswith("sl_")][:1]
        chosen += [k for k in present if k.startswith("sla_")][:1]
    if not chosen:
        raise ValueError(f"none of the KPIs {list(kpis or FOREST_KPIS)} is in the "
                         "comparison")
    designs = list(dict.fromkeys(d["design"].astype(str)))
    reference = str(d["reference"].iloc[0])
    skipped: list[str] = []
    rows: list[str] = []
    for k in chosen:
        ref = d.loc[d["kpi"] == k, "reference_mean"].astype(float)
        if relative and (ref.empty or not np.all(np.isfinite(ref)) or np.any(ref == 0)):
            skipped.append(k)
        else:
            rows.append(k)
    fig, ax = _new((9.5, 0.42 * len(rows) * max(1, len(designs)) + 1.8), ax)
    off = (np.linspace(-0.18, 0.18, len(designs)) if len(designs) > 1
           else np.zeros(1))
    y_of = {k: i for i, k in enumerate(rows)}
    for j, name in enumerate(designs):
        sub = d[(d["design"] == name) & d["kpi"].isin(rows)].set_index("kpi")
        sub = sub.loc[[k for k in rows if k in sub.index]]
        factor = (100.0 / np.abs(sub["reference_mean"].to_numpy(float)) if relative
                  else np.ones(len(sub)))
        x = sub["difference"].to_numpy(float) * factor
        err = np.nan_to_num(sub["half_width"].to_numpy(float)) * factor
        y = np.array([y_of[k] for k in sub.index]) + off[j]
        color = f"C{j % 10}"
        sig = sub["significant"].astype(bool).to_numpy()
        ax.errorbar(x, y, xerr=err, fmt="none", ecolor=color, elinewidth=1.6, capsize=3,
                    label=None)
        ax.scatter(x[sig], y[sig], color=color, zorder=3, s=36,
                   label=f"{name} - {reference}")
        ax.scatter(x[~sig], y[~sig], facecolors="white", edgecolors=color,
                   zorder=3, s=36)
        for k, yy, dv, hw, s in zip(sub.index, y, sub["difference"], sub["half_width"], sig,
                                    strict=True):
            txt = signed_difference(k, float(dv))
            if math.isfinite(float(hw)):
                txt += f" ± {signed_difference(k, float(hw))[1:]}"
            ax.annotate(txt + (" *" if s else ""), (1.0, yy), xycoords=("axes fraction",
                        "data"), xytext=(6, 0), textcoords="offset points", va="center",
                        fontsize="small", color=color)
    ax.axvline(0, color="0.3", linewidth=1)
    ax.set_yticks(range(len(rows)), [kpi_name(k) for k in rows])
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.grid(True, axis="x", alpha=0.3)
    n = int(d["n"].max()) if "n" in d and len(d) else 0
    if relative:
        xlabel = f"difference from {reference} (% of {reference}'s mean, 95 % CI)"
        ax.xaxis.set_major_formatter(PercentFormatter(100))
    else:
        xlabel = f"difference from {reference} (KPI units, 95 % CI)"
    if skipped:
        xlabel += "\nnot shown (reference mean 0): " + ", ".join(skipped)
    ax.set_xlabel(xlabel)
    ax.set_title(f"Paired differences, {n} common-random-number replications "
                 "(filled, *: CI excludes 0)")
    if len(designs) > 1:
        ax.legend(fontsize="small")
    return fig


_TABLE_COLS = {"point", "kpi", "mean", "half_width", "ci_low", "ci_high", "n"}


def sweep_kpi(sweep: Any, kpi: str = "answer_rate", param: str | None = None, *,
              target: float | None = None, ax: Axes | None = None) -> Figure:
    """A KPI against a swept parameter: mean with its CI band.

    Parameters
    ----------
    sweep
        A sweep result (its ``table``) or the table itself: one row per grid point ×
        KPI with columns ``kpi``, ``mean``, ``half_width``, ``ci_low``, ``ci_high``,
        ``n`` and one column per swept parameter.
    param
        The parameter on the x axis; default: the only numeric parameter column (the
        others, if any, give one line each).
    target
        Draw a horizontal target line (in the KPI's units, e.g. 0.8 for 80 %).
    """
    table = sweep if isinstance(sweep, pd.DataFrame) else sweep.table
    params = [c for c in table.columns if c not in _TABLE_COLS]
    if param is None:
        numeric = [c for c in params if pd.api.types.is_numeric_dtype(table[c])
                   and table[c].nunique() > 1]
        if len(numeric) != 1:
            raise ValueError(f"give param= (one of {params}); it cannot be guessed")
        param = numeric[0]
    if param not in table:
        raise ValueError(f"the sweep table has no column {param!r} (it has {params})")
    sub = table[table["kpi"] == kpi]
    if sub.empty:
        raise ValueError(f"the sweep table has no KPI {kpi!r}")
    others = [c for c in params if c != param and sub[c].nunique() > 1]
    label, scale = kpi_label(kpi, per=" per day")
    fig, ax = _new((8.0, 4.4), ax)
    groups = sub.groupby(others, sort=False) if others else [((), sub)]
    for i, (key, g) in enumerate(groups):
        g = g.sort_values(param)
        x = g[param].to_numpy(float)
        name = (", ".join(f"{c}={v}" for c, v in zip(others, np.atleast_1d(key),
                                                     strict=True)) if others else kpi)
        (line,) = ax.plot(x, scale * g["mean"].to_numpy(float), marker="o",
                          color=f"C{i % 10}", label=name)
        lo, hi = g["ci_low"].to_numpy(float), g["ci_high"].to_numpy(float)
        if np.isfinite(lo).any():
            ax.fill_between(x, scale * lo, scale * hi, alpha=0.22, color=line.get_color(),
                            linewidth=0)
    if target is not None:
        ax.axhline(scale * target, color="0.3", linestyle="--", linewidth=1,
                   label=f"target {scale * target:g}{' %' if is_rate(kpi) else ''}")
    ax.set_xlabel(_param_label(param))
    ax.set_ylabel(label)
    ax.grid(True, alpha=0.3)
    n = int(sub["n"].max()) if "n" in sub else 0
    ax.set_title(f"{_cap(kpi_name(kpi))} vs {_param_label(param)} "
                 f"({n} replications per point, 95 % CI band)")
    if others or target is not None:
        ax.legend(fontsize="small")
    return fig


def _param_label(param: str) -> str:
    parts = param.split(".")
    if len(parts) >= 3 and parts[0] == "pools" and parts[-1] in ("agents", "staffing"):
        return f"agents in pool {parts[1]}"
    return param


def ci_convergence(batch: Any, kpi: str = "answer_rate", *, level: float = 0.95,
                   ax: Axes | None = None) -> Figure:
    """How the estimate of *kpi* and its CI narrow as replications are added: the
    running mean of the first n replications with its t-CI, for n = 2, 3, ...

    *batch* is a :class:`~callsim.experiment.BatchResult` or its ``replications`` table.
    """
    reps = batch if isinstance(batch, pd.DataFrame) else batch.replications
    if kpi not in reps:
        raise ValueError(f"the replications have no KPI {kpi!r}")
    v = reps[kpi].to_numpy(float)
    v = v[np.isfinite(v)]
    if v.size < 2:
        raise ValueError("a CI needs at least two replications")
    label, scale = kpi_label(kpi, per=" per day")
    n = np.arange(1, v.size + 1)
    mean = np.cumsum(v) / n
    sd = np.array([v[:k].std(ddof=1) if k > 1 else np.nan for k in n])
    with np.errstate(invalid="ignore"):
        hw = stats.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1)) * sd / np.sqrt(n)
    fig, ax = _new((8.0, 4.2), ax)
    ax.plot(n, scale * v, linestyle="none", marker=".", color="0.55",
            label="single replications")
    ax.plot(n, scale * mean, color="C0", label="running mean")
    ax.fill_between(n[1:], scale * (mean - hw)[1:], scale * (mean + hw)[1:], color="C0",
                    alpha=0.22, linewidth=0, label=f"{100 * level:g} % CI")
    ax.set_xlabel("replications (n)")
    ax.set_ylabel(label)
    ax.set_xlim(1, v.size)
    ax.grid(True, alpha=0.3)
    ax.set_title(f"{_cap(kpi_name(kpi))} as replications are added (n={v.size}: "
                 f"± {signed_difference(kpi, float(hw[-1]))[1:]})")
    ax.legend(fontsize="small")
    return fig


# ------------------------------------------------------------- comparison over the day


def comparison_day(comparison: Comparison, call_type: str = "all") -> Figure:
    """Answer rate by interval and mean waiting calls over the day, one line per design."""
    fig = Figure(figsize=(12, 4.2), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    span = (math.inf, -math.inf)
    for name, batch in comparison.batches.items():
        iv = batch.intervals
        iv = iv[iv["call_type"] == call_type]
        offset_h, width_h = _interval_hours(iv)
        x_h = iv["start"].to_numpy(float) / 3600.0 + offset_h
        ax1.step(*_steps(x_h, 100 * iv["answer_rate"].to_numpy(float), width_h),
                 where="post", label=name)
        ax2.step(*_steps(x_h, iv["mean_queue"].to_numpy(float), width_h), where="post",
                 label=name)
        span = (min(span[0], float(x_h.min())), max(span[1], float(x_h.max()) + width_h))
    for ax in (ax1, ax2):
        clock_axis(ax, *span)
    ax1.set_ylabel("answer rate (%)")
    ax1.set_title("Answer rate by arrival interval")
    ax2.set_ylabel("waiting calls (time-average)")
    ax2.set_title("Calls waiting over the day")
    ax1.legend(title="design")
    fig.suptitle(f"{' vs '.join(comparison.designs)} - {call_type} calls, mean of "
                 f"{_reps(comparison)} replications")
    return fig


def _reps(comparison: Comparison) -> int:
    first = next(iter(comparison.batches.values()))
    return len(first.replications)


# ------------------------------------------------------------------------ running


def replications(scenario: Any, reps: int = 5, seed: int = 0,
                 overrides: Mapping[str, Any] | list[str] | None = None,
                 record_calls: bool = False) -> list[ReplicationResult]:
    """Run replications 0 .. reps-1 of *scenario* and keep every result (for bands).

    A :class:`~callsim.experiment.BatchResult` keeps only interval means; the figures
    that draw a band across replications take this list instead. Same seeds as
    ``run_batch(scenario, reps, seed)``.
    """
    from callsim.compiled import CompiledScenario, compile_scenario
    from callsim.config import Scenario, load_scenario, with_overrides
    from callsim.experiment import run_replication

    if isinstance(scenario, str | Path):
        scenario = load_scenario(scenario, overrides)
    elif overrides:
        scenario = with_overrides(scenario, overrides)
    cs = scenario if isinstance(scenario, CompiledScenario) else compile_scenario(scenario)
    if not isinstance(scenario, Scenario | CompiledScenario):
        raise TypeError(f"expected a scenario or a path, not {type(scenario).__name__}")
    return [run_replication(cs, seed, r, record_calls) for r in range(reps)]


def save(fig: Figure, path: str | Path, dpi: int = 110) -> Path:
    """Write *fig* to *path* (format from the suffix) and return the path."""
    p = Path(path)
    fig.savefig(p, dpi=dpi)
    return p
