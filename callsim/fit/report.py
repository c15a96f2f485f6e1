"""The fit report table: every estimate of a :class:`~callsim.fit.core.FitResult` with its
uncertainty, one row each.

Owns :data:`FitReport` (the table's type) and :func:`report_table`. Imports numpy,
pandas and :mod:`callsim.fit.km` (it reads the FitResult's attributes; no import of
:mod:`callsim.fit.core` at run time).

Columns: ``quantity``, ``call_type`` (``all`` for pooled rows), ``block`` (``day`` or
``HH:MM-HH:MM``, or the clock interval for per-interval rows), ``estimate``,
``ci_low``, ``ci_high`` (95 %), ``n`` (observations behind it), ``method``, ``note``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from callsim.fit.km import km_median

if TYPE_CHECKING:
    from callsim.fit.core import FitResult
    from callsim.fit.dists import DurationFit
    from callsim.fit.km import PatienceFit


FitReport = pd.DataFrame
"""The fit report: a table, one row per estimate (columns in the module docstring)."""


def _row(rows: list[dict[str, Any]], quantity: str, call_type: str, block: str,
         estimate: float, lo: float, hi: float, n: float, method: str, note: str = "") -> None:
    rows.append({"quantity": quantity, "call_type": call_type, "block": block,
                 "estimate": estimate, "ci_low": lo, "ci_high": hi, "n": n,
                 "method": method, "note": note})


def _handle_rows(rows: list[dict[str, Any]], ct: str, block: str, h: DurationFit,
                 what: str = "handle_time") -> None:
    cand = h.candidates.get(h.chosen, {})
    if h.chosen == "empirical":
        gof = "; ".join(f"{k} p_gof={v['p_gof']:.2g} p_short={v['p_short']:.2g}"
                        for k, v in h.candidates.items())
        note = f"no family passed (alpha 0.01): {gof}" if gof else "empirical"
    else:
        note = (f"p_gof={cand['p_gof']:.3g}, p_short={cand['p_short']:.3g}, "
                f"AIC {cand['aic']:.1f}")
    _row(rows, f"{what} mean (s)", ct, block, h.mean, h.mean_low, h.mean_high, h.n,
         f"chosen: {h.chosen}", note)
    _row(rows, f"{what} cv", ct, block, h.cv, math.nan, math.nan, h.n, "sample")
    p = h.short_share
    half = 1.96 * math.sqrt(max(p * (1 - p), 0.0) / h.n) if h.n else math.nan
    _row(rows, f"{what} share < {h.short:g} s", ct, block, p, max(p - half, 0.0),
         min(p + half, 1.0), h.n, "sample share", "the short-call mass")


def _patience_rows(rows: list[dict[str, Any]], ct: str, block: str, p: PatienceFit) -> None:
    _row(rows, "abandonments", ct, block, p.events, math.nan, math.nan, p.n,
         "count of queued callers who hung up")
    _row(rows, "patience exponential mean (s)", ct, block, p.exp_mean, p.exp_low, p.exp_high,
         p.n, "censored MLE: total wait / abandonments", "Erlang-A input")
    if len(p.km):
        _row(rows, "patience KM median (s)", ct, block, km_median(p.km),
             km_median(p.km, "ci_low"), km_median(p.km, "ci_high"), p.n,
             "Kaplan-Meier, Greenwood log-log CI",
             "inf: S stays above 0.5 in the data" if not math.isfinite(km_median(p.km)) else "")
    if p.times.size:
        _row(rows, "patience fitted mean (s)", ct, block, p.mean, math.nan, math.nan, p.n,
             "survival table + exponential tail",
             f"table to {p.cut:g} s ({p.times.size} steps, S={p.survival[-1]:.3f}), "
             f"tail mean {p.tail_mean:.4g} s")


def report_table(fit: FitResult) -> FitReport:
    """Every estimate of *fit* with its uncertainty (see the module docstring)."""
    rows: list[dict[str, Any]] = []
    nd = len(fit.days)
    daily = fit.daily.to_numpy()
    m = float(daily.mean())
    half = 1.96 * float(daily.std(ddof=1)) / math.sqrt(nd) if nd > 1 else math.nan
    _row(rows, "calls per day", "all", "day", m, m - half, m + half, nd,
         "mean over selected days")
    od = fit.overdispersion
    _row(rows, "overdispersion (busyness CV)", "all", "day", od["estimate"], od["ci_low"],
         od["ci_high"], nd, "method of moments on daily totals, bootstrap CI",
         f"moment estimate {od['raw']:.3g}, dispersion s2/m {od['dispersion']:.3g}, "
         f"Poisson test p={od['p_value']:.3g}" + ("" if od["estimate"] > 0 else
                                                   " (not significant: 0 used)"))
    arr = fit.arrivals
    for ct, g in arr.groupby("call_type", sort=False):
        per_day = g["mean"].sum()
        _row(rows, "calls per day", str(ct), "day", per_day, math.nan, math.nan, nd,
             "mean over selected days")
        for r in g.to_dict("records"):
            if float(r["mean"]) > 0:
                _row(rows, "arrivals per interval", str(ct), str(r["clock"]), float(r["mean"]),
                     float(r["ci_low"]), float(r["ci_high"]), nd,
                     "mean over selected days, t CI")
    for ct, tf in fit.types.items():
        if tf.handle is not None:
            _handle_rows(rows, ct, "day", tf.handle)
        _patience_rows(rows, ct, "day", tf.patience)
        for b in tf.blocks:
            if b.handle is not None:
                _handle_rows(rows, ct, b.label, b.handle)
            if b.patience is not None:
                _patience_rows(rows, ct, b.label, b.patience)
    if fit.ivr is not None:
        _handle_rows(rows, "all", "day", fit.ivr["time"], "ivr_time")
        _row(rows, "ivr hang-up share", "all", "day", fit.ivr["hangup"], fit.ivr["hangup_low"],
             fit.ivr["hangup_high"], fit.ivr["n"], "share, Wilson CI")
    st = fit.staffing
    for r in st.to_dict("records"):
        if float(r["agents"]) > 0 or float(r["busy"]) > 0:
            _row(rows, f"agents ({st.attrs.get('method', 'busy_waiting')})", "all",
                 str(r["clock"]),
                 float(r["agents"]), float(r["agents_low"]), float(r["agents_high"]), nd,
                 "used in the scenario",
                 f"busy {float(r['busy']):.2f}, busy while waiting "
                 f"{float(r['busy_waiting']):.2f}, available "
                 f"{float(r.get('available', math.nan)):.2f}, distinct "
                 f"{float(r['distinct']):.2f}, max-busy fallback on "
                 f"{float(r['fallback_share']):.0%} of days")
    out = pd.DataFrame(rows)
    num = ["estimate", "ci_low", "ci_high", "n"]
    out[num] = out[num].astype(float)
    return out.replace({np.inf: math.inf})
