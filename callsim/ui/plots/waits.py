"""The waiting-time distribution: survival curves ``P(wait > t)`` from per-call records.

Owns :func:`wait_survival` and :func:`survival`. Imports
:mod:`callsim.ui.plots.common`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from callsim.results import ReplicationResult
from callsim.ui.plots.common import _new, _queues, band


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


