"""Figures of comparisons and sweeps: the forest plot, a KPI against a swept parameter,
how a CI narrows, and the day per design.

Owns :func:`forest`, :func:`sweep_kpi`, :func:`ci_convergence` and
:func:`comparison_day`; which KPIs a forest plot shows by default is the registry's
headline list (:data:`callsim.results.kpis.HEADLINE`). Imports
:mod:`callsim.ui.plots.common` and :mod:`callsim.results`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter
from scipy import stats

from callsim.results import kpis as registry
from callsim.results.kpi_format import fmt_diff, fmt_hw
from callsim.ui.plots.common import (
    _cap,
    _interval_hours,
    _new,
    _steps,
    clock_axis,
    is_rate,
    kpi_label,
    kpi_name,
)

if TYPE_CHECKING:
    from callsim.results import Comparison


def forest(comparison: Comparison | pd.DataFrame, kpis: Sequence[str] | None = None, *,
           relative: bool = True, ax: Axes | None = None) -> Figure:
    """Each KPI's paired difference (design − reference) with its CI: a forest plot.

    Parameters
    ----------
    comparison
        A :class:`~callsim.results.Comparison`, or its ``differences()`` table (also
        read from ``comparison.csv``).
    kpis
        KPIs to show, top to bottom; default: the registry's headline KPIs
        (:data:`callsim.results.kpis.HEADLINE`) that are present.
    relative
        Put every KPI on one axis as % of the reference mean (KPIs whose reference mean
        is 0 are left out and listed under the plot); False: the raw differences.

    Significant differences (the CI excludes 0) are drawn filled; each row is
    labelled with the absolute difference (rates in percentage points).
    """
    d = comparison.differences() if not isinstance(comparison, pd.DataFrame) else comparison
    d = d[d["kpi"].astype(str).map(lambda k: "." not in k)] if kpis is None else d
    present = list(dict.fromkeys(d["kpi"].astype(str)))
    chosen = ([k for k in kpis if k in present] if kpis is not None
              else registry.headline(present))
    if not chosen:
        raise ValueError(f"none of the KPIs {list(kpis or registry.HEADLINE)} is in the "
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
            txt = fmt_diff(k, float(dv), float(hw))
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
                 f"{fmt_hw(kpi, float(hw[-1]))})")
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

