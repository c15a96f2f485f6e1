"""Figures of a fit: the data against each fitted distribution.

Owns one function per figure, each taking a :class:`~callsim.fit.core.FitResult` and
returning a matplotlib :class:`~matplotlib.figure.Figure` (built without pyplot, so no
GUI backend is needed), and :func:`fit_figures` returning all of them. Imports
matplotlib, numpy and the fit's estimators; never the simulation model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure

from callsim.fit.dists import dist_cdf

if TYPE_CHECKING:
    from callsim.fit.core import FitResult


def _hours(fit: FitResult, n: int) -> np.ndarray:
    return np.arange(n) * fit.interval / 3600.0


def fig_arrivals(fit: FitResult) -> Figure:
    """Mean calls per interval by call type (95 % CI band) and calls per selected day."""
    fig = Figure(figsize=(10, 4), layout="constrained")
    ax, ax2 = fig.subplots(1, 2, width_ratios=[2, 1])
    for ct, g in fit.arrivals.groupby("call_type", sort=False):
        x = g["start"].to_numpy() / 3600.0
        ax.step(x, g["mean"], where="post", label=str(ct))
        ax.fill_between(x, g["ci_low"], g["ci_high"], step="post", alpha=0.2)
    ax.set_xlabel("clock hour")
    ax.set_ylabel(f"calls per {fit.interval / 60:g} min")
    ax.set_title(f"Arrivals, mean of {len(fit.days)} days")
    ax.legend(fontsize=8)
    d = fit.daily
    ax2.bar(range(len(d)), d.to_numpy(), color="tab:gray")
    m = float(d.mean())
    ax2.axhline(m, color="k")
    ax2.axhspan(m - 1.96 * np.sqrt(m), m + 1.96 * np.sqrt(m), alpha=0.2,
                label="Poisson 95 % band")
    od = fit.overdispersion
    ax2.set_title(f"Calls per day (busyness CV {od['estimate']:.3f})")
    ax2.set_xlabel("selected day")
    ax2.legend(fontsize=8)
    return fig


def fig_handle(fit: FitResult) -> Figure:
    """Empirical CDF of handle times against the chosen fit, per call type (log x)."""
    types = [t for t, tf in fit.types.items() if tf.handle is not None]
    n = max(len(types), 1)
    fig = Figure(figsize=(4 * min(n, 3), 3.4 * ((n + 2) // 3)), layout="constrained")
    axes = np.atleast_1d(fig.subplots((n + 2) // 3, min(n, 3))).ravel()
    for ax, ct in zip(axes, types, strict=False):
        h = fit.types[ct].handle
        assert h is not None
        v, w = h.values, h.weights
        ecdf = np.cumsum(w) / w.sum()
        ax.step(np.maximum(v, 0.5), ecdf, where="post", color="k", label=f"data (n={h.n})")
        x = np.geomspace(0.5, max(float(v.max()), 1.0), 300)
        for name, p in h.candidates.items():
            from callsim.fit.dists import dist_dict

            ax.plot(x, dist_cdf(dist_dict(name, p, v, w), x), lw=1,
                    ls="-" if name == h.chosen else ":",
                    label=f"{name} (p={p['p_gof']:.2g})")
        ax.set_xscale("log")
        ax.set_title(f"{ct}: handle time, chosen {h.chosen}", fontsize=9)
        ax.set_xlabel("seconds")
        ax.legend(fontsize=6)
    for ax in axes[len(types):]:
        ax.set_visible(False)
    return fig


def fig_patience(fit: FitResult) -> Figure:
    """Kaplan–Meier patience survival (Greenwood CI band) against the fitted table + tail
    and the exponential fit, per call type."""
    types = [t for t, tf in fit.types.items() if tf.patience.abandons]
    n = max(len(types), 1)
    fig = Figure(figsize=(4 * min(n, 3), 3.4 * ((n + 2) // 3)), layout="constrained")
    axes = np.atleast_1d(fig.subplots((n + 2) // 3, min(n, 3))).ravel()
    for ax, ct in zip(axes, types, strict=False):
        p = fit.types[ct].patience
        km = p.km
        ax.step(km["time"], km["survival"], where="post", color="k", label="Kaplan-Meier")
        ax.fill_between(km["time"], km["ci_low"], km["ci_high"], step="post", alpha=0.25,
                        color="k")
        top = float(km["time"].max()) * 1.5 if len(km) else 600.0
        x = np.linspace(0, top, 400)
        ax.plot(x, p.sf(x), color="tab:blue", label="fitted (table + tail)")
        ax.plot(x, np.exp(-x / p.exp_mean), color="tab:orange", ls=":",
                label=f"exponential, mean {p.exp_mean:.0f} s")
        if np.isfinite(p.cut):
            ax.axvline(p.cut, color="gray", lw=0.8, ls="--")
        ax.set_ylim(0, 1.02)
        ax.set_title(f"{ct}: patience ({p.events} of {p.n} abandoned)", fontsize=9)
        ax.set_xlabel("seconds waited")
        ax.legend(fontsize=6)
    for ax in axes[len(types):]:
        ax.set_visible(False)
    return fig


STAFFING_LABELS = {"available": "in a call or available (idle, weighted)",
                   "busy_waiting": "busy while someone waits", "busy": "mean busy agents",
                   "distinct": "distinct agents"}
"""Legend labels of the staffing measures (:mod:`callsim.fit.staffing`)."""


def fig_staffing(fit: FitResult) -> Figure:
    """The staffing measures per interval; the one used with its 95 % CI."""
    st = fit.staffing
    used = str(st.attrs.get("method", fit.options.get("staffing", "busy_waiting")))
    fig = Figure(figsize=(9, 3.6), layout="constrained")
    ax = fig.subplots()
    x = st["start"].to_numpy() / 3600.0
    for col, ls in (("distinct", ":"), ("busy", "--"), ("busy_waiting", "-."),
                    ("available", "-")):
        if col in st.columns and col != used and st[col].notna().any():
            ax.step(x, st[col], where="post", label=STAFFING_LABELS[col], ls=ls, lw=1)
    ax.step(x, st["agents"], where="post", color="k", lw=2,
            label=f"{STAFFING_LABELS.get(used, used)} (used)")
    ax.fill_between(x, st["agents_low"], st["agents_high"], step="post", alpha=0.2,
                    color="k")
    ax.set_xlabel("clock hour")
    ax.set_ylabel("agents")
    ax.set_title("Agents on the phones, inferred from the log")
    ax.legend(fontsize=8)
    return fig


def fig_ivr(fit: FitResult) -> Figure:
    """IVR time of callers who reached a queue: histogram and the fitted CDF."""
    fig = Figure(figsize=(5, 3.4), layout="constrained")
    ax = fig.subplots()
    if fit.ivr is None:
        ax.text(0.5, 0.5, "no IVR in the scenario", ha="center")
        return fig
    h = fit.ivr["time"]
    v, w = h.values, h.weights
    top = float(np.quantile(np.repeat(v, w.astype(int)), 0.99)) if w.sum() < 5e6 else v.max()
    keep = v <= top
    ax.bar(v[keep], w[keep] / w.sum(), width=max(top / 80, 0.8), color="tab:gray",
           label="data")
    ax2: Any = ax.twinx()
    x = np.linspace(0, top, 200)
    ax2.plot(x, h.cdf(x), color="tab:blue", label=f"fitted CDF ({h.chosen})")
    ax2.set_ylim(0, 1.02)
    ax.set_xlabel("seconds in the IVR")
    ax.set_title(f"IVR time (hang-up share {fit.ivr['hangup']:.1%})")
    ax2.legend(fontsize=8, loc="center right")
    return fig


def fit_figures(fit: FitResult) -> dict[str, Figure]:
    """All figures of the fit report, by name."""
    return {"arrivals": fig_arrivals(fit), "handle_time": fig_handle(fit),
            "patience": fig_patience(fit), "staffing": fig_staffing(fit),
            "ivr": fig_ivr(fit)}
