"""Shared pieces of the figures: clock axes, CI bands, reading results into long tables.

Owns the helpers every figure module uses, :func:`replications` (running replications
whose per-replication tables give bands) and :func:`save`. KPI labels, units and axis
scales come from the KPI registry (:mod:`callsim.results.kpis`,
:mod:`callsim.results.kpi_format`). Imports :mod:`callsim.results`; :func:`replications`
imports the experiment layer when called.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MultipleLocator
from scipy import stats

from callsim.io.atomic import atomic_write_bytes
from callsim.results import BatchResult, ReplicationResult
from callsim.results.kpi_format import axis_label, signed
from callsim.results.kpis import label, unit

#: what the interval figures take (see :mod:`callsim.ui.plots`)
IntervalResults = ReplicationResult | Sequence[ReplicationResult] | BatchResult | pd.DataFrame


def is_rate(kpi: str) -> bool:
    """Whether *kpi* is a share (drawn in %), by the KPI registry."""
    return unit(kpi) == "share"


def is_seconds(kpi: str) -> bool:
    """Whether *kpi* is a duration in seconds, by the KPI registry."""
    return unit(kpi) == "seconds"


#: A short readable name of a KPI (no unit): the registry's label.
kpi_name = label
#: An axis label with unit for a KPI and the factor to multiply values by.
kpi_label = axis_label
#: A difference of a KPI with its sign and unit (shares in percentage points).
signed_difference = signed


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
    """Write *fig* to *path* (format from the suffix) atomically, and return the path.

    A folder that cannot be written gives one clean
    :class:`~callsim.io.atomic.OutputError`.
    """
    p = Path(path)
    buf = io.BytesIO()
    fig.savefig(buf, format=p.suffix.lstrip(".") or "png", dpi=dpi)
    return atomic_write_bytes(p, buf.getvalue())
