"""Agents on the phones per clock interval, inferred from a call log.

Owns :func:`infer_staffing`: three measures per clock interval, averaged over the
selected days, with their day-to-day spread. Imports numpy and pandas only.

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

- ``present``: time-average of agents in a call, plus agents idle *between two of their
  own calls* (a gap shorter than ``max_gap``) at moments when nobody waits; needs agent
  ids. While someone waits it equals ``busy_waiting``'s count (an idle agent would have
  taken the call, so an idle agent then was away); while nobody waits it also counts
  the agents who were free between calls. ``busy_waiting`` averages only over moments
  when someone waits, which come more often when fewer agents are on the phones (a
  break, a meeting), so it leans low; ``present`` averages over the whole interval.

The scenario uses ``agents``: ``present`` when the log names its agents, else
``busy_waiting`` (``method=`` chooses). Fractional means are allowed. Multi-skill
routing, priorities and agents doing other work while callers wait make both
underestimates; the fit report shows every measure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


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


METHODS = ("present", "busy_waiting", "busy", "distinct")
"""The staffing measures :func:`infer_staffing` can put in ``agents``."""


def _idle_gaps(agent: np.ndarray, s: np.ndarray, e: np.ndarray, day: np.ndarray,
               max_gap: float) -> tuple[np.ndarray, np.ndarray]:
    """Gaps [start, end) between consecutive calls of each named agent on the same day,
    shorter than *max_gap*."""
    named = agent != ""
    if not named.any():
        return np.empty(0), np.empty(0)
    a, s, e, dd = agent[named], s[named], e[named], day[named]
    order = np.lexsort((s, a))
    a, s, e, dd = a[order], s[order], e[order], dd[order]
    codes = pd.factorize(a)[0]
    # the end of each agent's calls so far (overlapping records: the latest end)
    ends = pd.Series(e).groupby(codes).cummax().to_numpy()
    same = (codes[1:] == codes[:-1]) & (dd[1:] == dd[:-1])
    gs, ge = ends[:-1], s[1:]
    ok = same & (ge > gs) & (ge - gs < max_gap)
    return gs[ok], ge[ok]


def infer_staffing(calls: pd.DataFrame, day_index: pd.DatetimeIndex, interval: float,
                   min_wait: float = 60.0, method: str = "auto",
                   max_gap: float = 1800.0,
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
        (``present`` when the log names agents, else ``busy_waiting``).
    max_gap
        Longest idle gap (s) between two calls of an agent counted as present (``present``).
    by_day
        A dict to fill with each measure per selected day and interval (days x intervals
        arrays under ``present``, ``busy_waiting``, ``busy``), e.g. to replay each day's
        own staffing.

    Returns
    -------
    pandas.DataFrame
        One row per interval: ``clock``, ``start``, ``distinct``, ``busy``,
        ``busy_waiting``, ``present``, ``agents`` (the chosen estimate, ``method`` names
        it), ``agents_sd`` (day-to-day SD),
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
    gs, ge = _idle_gaps(agent_all, s, e, d[d >= 0][ans], max_gap)
    grid = np.arange(n_days * n_int + 1) * interval
    pts = np.unique(np.concatenate([grid, s, e, qs, qe, gs, ge]))
    pts = pts[(pts >= 0) & (pts <= grid[-1])]
    left = pts[:-1]
    dt = np.diff(pts)
    busy = _level(s, e, left).astype(float)
    waiting = _level(qs, qe, left) > 0
    idle = _level(gs, ge, left).astype(float)
    cell = np.minimum((left // interval).astype(np.int64), n_days * n_int - 1)
    size = n_days * n_int
    present_area = np.bincount(cell, (busy + np.where(waiting, 0.0, idle)) * dt, size)
    busy_area = np.bincount(cell, busy * dt, size)
    wait_time = np.bincount(cell, dt * waiting, size)
    bw_area = np.bincount(cell, busy * dt * waiting, size)
    max_busy = np.zeros(size)
    np.maximum.at(max_busy, cell, busy)
    with np.errstate(invalid="ignore", divide="ignore"):
        bw = np.where(wait_time >= min_wait, bw_area / np.where(wait_time > 0, wait_time, 1),
                      np.nan)
    bw_est = np.where(np.isnan(bw), max_busy, bw).reshape(n_days, n_int)
    fallback = np.isnan(bw).reshape(n_days, n_int)
    present = (present_area / interval).reshape(n_days, n_int)
    if method == "auto":
        method = "busy_waiting"
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
    est = {"present": present, "busy_waiting": bw_est, "busy": busy_d,
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
        "present": present.mean(axis=0),
        "agents": mean, "agents_sd": sd,
        "agents_low": np.maximum(mean - half, 0.0), "agents_high": mean + half,
        "fallback_share": fallback.mean(axis=0),
        "waiting": wait_time.reshape(n_days, n_int).mean(axis=0),
    })
    out.attrs["method"] = method
    if by_day is not None:
        by_day.update({"present": present, "busy_waiting": bw_est, "busy": busy_d})
    return out
