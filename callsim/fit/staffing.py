"""Agents on the phones per clock interval, inferred from a call log.

Owns :func:`infer_staffing`: four measures per clock interval, averaged over the
selected days, with their day-to-day spread. Imports numpy, pandas and
:mod:`callsim.fit.availability`.

- ``distinct``: distinct agents who started a call in the interval. An upper bound:
  an agent who took one call counts fully, and so does one who spent most of the hour
  off the queue (other work, breaks); needs agent ids.
- ``busy``: time-average of agents in a call. A lower bound: idle agents are invisible.
- ``busy_waiting``: time-average of agents in a call *while at least one caller waits*.
  An ACD does not let a caller wait while an agent who could take the call is idle, so
  at those moments every agent on the phones is busy: this measures the headcount the
  queue actually had. Where callers waited less than ``min_wait`` seconds in a day's
  interval (a quiet hour), the most agents busy at once in it is used instead (the
  fewest agents that could have given the same service).

- ``available``: time-average of agents in a call, plus, while nobody waits, the idle
  agents weighted by their availability ``a(g)`` (g: how long each has been idle),
  learnt from which idle agent the ACD gave each immediately answered call to
  (:mod:`callsim.fit.availability`); needs agent ids. While someone waits it counts the
  agents in a call, like ``busy_waiting``, but it averages over the whole interval:
  ``busy_waiting`` averages only over moments when someone waits, which come more often
  when fewer agents are on the phones (a break, a meeting), so it leans low.

The scenario uses ``agents``: ``available`` when the log names its agents, else
``busy_waiting`` (``method=`` chooses). Fractional means are allowed. Multi-skill
routing and agents doing other work while callers wait make both underestimates; the
fit report shows every measure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from callsim.fit.availability import (
    availability,
    available_level,
    idle_segments,
    weighted_level,
)


def _level(starts: np.ndarray, ends: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Number of intervals [start, end) covering each point of *at*."""
    s = np.sort(starts)
    e = np.sort(ends)
    return (np.searchsorted(s, at, side="right") - np.searchsorted(e, at, side="right"))


def _nanmean0(a: np.ndarray) -> np.ndarray:
    """Column means ignoring NaN; NaN (without a warning) for all-NaN columns."""
    n = (~np.isnan(a)).sum(axis=0)
    tot = np.nansum(a, axis=0)
    return np.where(n > 0, tot / np.maximum(n, 1), np.nan)


METHODS = ("available", "busy_waiting", "busy", "distinct")
CHUNK_DAYS = 4
"""Days whose time lines are measured together (bounds the memory of a long log)."""
"""The staffing measures :func:`infer_staffing` can put in ``agents``."""


def infer_staffing(calls: pd.DataFrame, day_index: pd.DatetimeIndex, interval: float,
                   min_wait: float = 60.0, method: str = "auto",
                   by_day: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """Staffing measures per clock interval (see the module docstring).

    Parameters
    ----------
    calls
        The tidy per-call table (calls of other days are ignored).
    day_index
        The selected days.
    interval
        Interval length (s); divides a day.
    min_wait
        Seconds of waiting a day's interval needs for ``busy_waiting`` to be measured.
    method
        The measure put in ``agents``: one of :data:`METHODS`, or ``"auto"``
        (``available`` when the log names agents, else ``busy_waiting``).
    by_day
        A dict to fill with each measure per selected day and interval (days x intervals
        arrays under ``available``, ``busy_waiting``, ``busy``), e.g. to replay each
        day's own staffing.

    Returns
    -------
    pandas.DataFrame
        One row per interval: ``clock``, ``start``, ``distinct``, ``busy``,
        ``busy_waiting``, ``available``, ``agents`` (the chosen estimate, named by
        ``attrs["method"]``; ``attrs["availability"]`` holds the availability per idle
        bin), ``agents_sd`` (day-to-day SD),
        ``agents_low``/``agents_high`` (95 % CI of the mean over days),
        ``fallback_share`` (share of days where the max-busy fallback was used),
        ``waiting`` (mean seconds with someone waiting per day).
    """
    n_int = round(86400.0 / interval)
    n_days = len(day_index)
    d = day_index.get_indexer(pd.DatetimeIndex(calls["day"]))
    c = calls.loc[d >= 0]
    off = d[d >= 0] * 86400.0
    ans = (c["outcome"] == "answered").to_numpy() & c["handle_time"].notna().to_numpy()
    s = (off + c["queue_entry"].to_numpy() + c["wait"].to_numpy())[ans]
    e = s + c["handle_time"].to_numpy()[ans]
    qmask = c["wait"].to_numpy() > 0
    qs = (off + c["queue_entry"].to_numpy())[qmask]
    qe = qs + c["wait"].to_numpy()[qmask]
    agent_all = c["agent"].to_numpy().astype(str)[ans]
    imm = (c["wait"].to_numpy() == 0)[ans]
    ss, se, sb, ct, cb = idle_segments(agent_all, s, e, d[d >= 0][ans], imm)
    avail, n_choices = availability(ss, se, sb, ct, cb)
    size = n_days * n_int
    avail_area, busy_area, wait_time, bw_area, max_busy = (np.zeros(size) for _ in range(5))
    weight = avail[sb]
    for d0 in range(0, n_days, CHUNK_DAYS):  # a few days at a time: memory stays modest
        d1 = min(d0 + CHUNK_DAYS, n_days)
        lo, hi = d0 * 86400.0, d1 * 86400.0

        def cut(a: np.ndarray, b: np.ndarray, lo: float = lo, hi: float = hi) -> np.ndarray:
            return (a < hi) & (b > lo)

        k1, k2, k3 = cut(s, e), cut(qs, qe), cut(ss, se)
        cs, ce, cqs, cqe, css, cse = s[k1], e[k1], qs[k2], qe[k2], ss[k3], se[k3]
        grid = lo + np.arange((d1 - d0) * n_int + 1) * interval
        pts = np.unique(np.concatenate([grid, cs, ce, cqs, cqe, css, cse]))
        pts = pts[(pts >= lo) & (pts <= hi)]
        left = pts[:-1]
        dt = np.diff(pts)
        busy = _level(cs, ce, left).astype(float)
        waiting = _level(cqs, cqe, left) > 0
        idle = weighted_level(css, cse, weight[k3], left)
        cell = np.minimum((left // interval).astype(np.int64), size - 1)
        avail_area += np.bincount(cell, available_level(busy, waiting, idle) * dt, size)
        busy_area += np.bincount(cell, busy * dt, size)
        wait_time += np.bincount(cell, dt * waiting, size)
        bw_area += np.bincount(cell, busy * dt * waiting, size)
        np.maximum.at(max_busy, cell, busy)
    with np.errstate(invalid="ignore", divide="ignore"):
        bw = np.where(wait_time >= min_wait, bw_area / np.where(wait_time > 0, wait_time, 1),
                      np.nan)
    bw_est = np.where(np.isnan(bw), max_busy, bw).reshape(n_days, n_int)
    fallback = np.isnan(bw).reshape(n_days, n_int)
    available = (avail_area / interval).reshape(n_days, n_int)
    if method == "auto":
        method = "available" if (agent_all != "").any() else "busy_waiting"
    if method not in METHODS:
        raise ValueError(f"staffing method {method!r}; allowed: auto, {', '.join(METHODS)}")
    # distinct agents starting a call in the interval
    agent = c["agent"].to_numpy()[ans]
    has_id = agent != ""
    if has_id.any():
        cell_s = np.minimum((s[has_id] // interval).astype(np.int64), size - 1)
        nun = pd.DataFrame({"cell": cell_s, "agent": agent[has_id]}).groupby("cell")[
            "agent"].nunique()
        distinct = np.zeros(size)
        distinct[nun.index.to_numpy()] = nun.to_numpy()
        distinct_m = distinct.reshape(n_days, n_int).mean(axis=0)
    else:
        distinct_m = np.full(n_int, np.nan)
    busy_d = (busy_area / interval).reshape(n_days, n_int)
    est = {"available": available, "busy_waiting": bw_est, "busy": busy_d,
           "distinct": distinct.reshape(n_days, n_int) if has_id.any()
           else np.full((n_days, n_int), np.nan)}[method]
    mean = est.mean(axis=0)
    sd = est.std(axis=0, ddof=1) if n_days > 1 else np.zeros(n_int)
    half = 1.96 * sd / np.sqrt(max(n_days, 1))
    starts = np.arange(n_int) * interval
    out = pd.DataFrame({
        "clock": [f"{int(t // 3600):02d}:{int(t % 3600 // 60):02d}" for t in starts],
        "start": starts,
        "distinct": distinct_m,
        "busy": busy_d.mean(axis=0),
        "busy_waiting": _nanmean0(np.where(fallback, np.nan, bw_est)),
        "available": available.mean(axis=0),
        "agents": mean, "agents_sd": sd,
        "agents_low": np.maximum(mean - half, 0.0), "agents_high": mean + half,
        "fallback_share": fallback.mean(axis=0),
        "waiting": wait_time.reshape(n_days, n_int).mean(axis=0),
    })
    out.attrs["method"] = method
    out.attrs["availability"] = [float(x) for x in avail]
    out.attrs["choices"] = n_choices
    if by_day is not None:
        by_day.update({"available": available, "busy_waiting": bw_est, "busy": busy_d})
    return out
