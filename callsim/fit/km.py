"""Kaplan–Meier estimation of patience from censored waits, and its survival-table form.

Owns :func:`kaplan_meier` (with Greenwood variances and log-log confidence limits),
:func:`exponential_mle` (censored exponential fit), :class:`PatienceFit` and
:func:`fit_patience`, which turns waits into the scenario's survival-table distribution
``{dist: survival, times, survival, tail: {dist: exponential, mean}}``. Imports numpy,
scipy and pandas only (nothing from callsim).

Conventions: a caller who abandoned after waiting ``w`` is an event at ``w``; a caller
answered after ``w`` is censored at ``w`` (its patience was longer). At tied times events
come before censorings, so callers answered at once (``w = 0``) are at risk at 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats


def kaplan_meier(durations: np.ndarray, events: np.ndarray, level: float = 0.95
                 ) -> pd.DataFrame:
    """The Kaplan–Meier survival estimate at each distinct event time.

    Parameters
    ----------
    durations
        Observed times (>= 0).
    events
        True where the time is an event (abandonment), False where censored.
    level
        Confidence level of the pointwise limits.

    Returns
    -------
    pandas.DataFrame
        Columns ``time``, ``at_risk`` (n), ``events`` (d), ``survival`` S(t) just after
        ``time``, ``se`` (Greenwood: ``S sqrt(sum d / (n (n - d)))``), ``ci_low``,
        ``ci_high`` (log-log transformed limits, as lifelines gives by default).
    """
    t = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=bool)
    if t.size == 0 or not e.any():
        return pd.DataFrame(columns=["time", "at_risk", "events", "survival", "se",
                                     "ci_low", "ci_high"], dtype=float)
    order = np.argsort(t, kind="stable")
    t, e = t[order], e[order]
    times = np.unique(t[e])
    n = t.size - np.searchsorted(t, times, side="left")  # at risk: duration >= time
    ev_t = t[e]
    d = (np.searchsorted(ev_t, times, side="right")
         - np.searchsorted(ev_t, times, side="left"))
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(1.0 - d / n)
        g = np.cumsum(np.where(n > d, d / (n * (n - d)), np.inf))
        se = surv * np.sqrt(g)
        z = stats.norm.ppf(0.5 + level / 2.0)
        log_s = np.log(surv)
        se_ll = np.sqrt(g) / np.abs(log_s)
        lo = np.exp(-np.exp(np.log(-log_s) + z * se_ll))
        hi = np.exp(-np.exp(np.log(-log_s) - z * se_ll))
    lo = np.where(surv > 0, np.where(surv < 1, lo, 1.0), 0.0)
    hi = np.where(surv > 0, np.where(surv < 1, hi, 1.0), 0.0)
    return pd.DataFrame({"time": times, "at_risk": n.astype(float), "events": d.astype(float),
                         "survival": surv, "se": np.where(np.isfinite(se), se, np.nan),
                         "ci_low": np.nan_to_num(lo), "ci_high": np.nan_to_num(hi, nan=1.0)})


def km_median(km: pd.DataFrame, column: str = "survival") -> float:
    """First time where the curve (or a CI limit column) reaches 0.5 or below; inf if never."""
    hit = np.flatnonzero(km[column].to_numpy() <= 0.5)
    return float(km["time"].to_numpy()[hit[0]]) if hit.size else math.inf


def exponential_mle(durations: np.ndarray, events: np.ndarray, level: float = 0.95
                    ) -> tuple[float, float, float]:
    """Censored exponential fit: mean = total exposure / events, with an exact CI.

    Returns (mean, ci_low, ci_high); (inf, inf, inf) without events. The CI uses
    ``2 T / mean ~ chi2(2 d)`` (exact for type-II censoring, a close approximation here).
    """
    t = np.asarray(durations, dtype=float)
    d = int(np.asarray(events, dtype=bool).sum())
    total = float(t.sum())
    if d == 0:
        return math.inf, math.inf, math.inf
    a = (1.0 - level) / 2.0
    lo = 2.0 * total / stats.chi2.ppf(1.0 - a, 2 * d)
    hi = 2.0 * total / stats.chi2.ppf(a, 2 * d)
    return total / d, float(lo), float(hi)


@dataclass
class PatienceFit:
    """Patience of one call type (or time block) estimated from censored waits.

    Attributes
    ----------
    km : pandas.DataFrame
        The Kaplan–Meier table (:func:`kaplan_meier`).
    n, events : int
        Queued callers and abandonments.
    exp_mean, exp_low, exp_high : float
        Censored exponential fit (the Erlang-A input) and its CI.
    cut : float
        Last step time kept in the table (at least ``min_at_risk`` callers at risk).
    tail_mean : float
        Mean of the exponential tail beyond ``cut`` (fitted to the exposure past it).
    times, survival : numpy.ndarray
        The (possibly thinned) steps of the survival table.
    """

    km: pd.DataFrame
    n: int
    events: int
    exp_mean: float
    exp_low: float
    exp_high: float
    cut: float = math.nan
    tail_mean: float = math.nan
    times: np.ndarray = field(default_factory=lambda: np.empty(0))
    survival: np.ndarray = field(default_factory=lambda: np.empty(0))

    @property
    def abandons(self) -> bool:
        """False when nobody abandoned (patience: never)."""
        return self.events > 0

    def dist(self) -> dict[str, Any] | None:
        """The scenario's distribution: a survival table with an exponential tail, an
        exponential when there are too few steps, or None (never abandons)."""
        if not self.abandons:
            return None
        if self.times.size == 0:
            return {"dist": "exponential", "mean": _r(self.exp_mean)}
        return {"dist": "survival", "times": [_r(x) for x in self.times],
                "survival": [round(float(s), 6) for s in self.survival],
                "tail": {"dist": "exponential", "mean": _r(self.tail_mean)}}

    @property
    def mean(self) -> float:
        """Mean patience of the fitted distribution (table area plus the tail)."""
        if not self.abandons:
            return math.inf
        if self.times.size == 0:
            return self.exp_mean
        t = np.concatenate(([0.0], self.times))
        s = np.concatenate(([1.0], self.survival))
        return float(np.sum(s[:-1] * np.diff(t)) + s[-1] * self.tail_mean)

    def sf(self, x: np.ndarray) -> np.ndarray:
        """Survival function P(patience > x) of the fitted distribution."""
        x = np.asarray(x, dtype=float)
        if not self.abandons:
            return np.ones_like(x)
        if self.times.size == 0:
            return np.exp(-x / self.exp_mean)
        i = np.searchsorted(self.times, x, side="right")
        s = np.concatenate(([1.0], self.survival))[i]
        beyond = x > self.times[-1]
        return np.where(beyond, self.survival[-1] * np.exp(-(x - self.times[-1])
                                                           / self.tail_mean), s)

    def quantiles(self, m: int = 1000) -> np.ndarray:
        """*m* equally spaced quantiles (at (i + 0.5) / m) of the fitted distribution."""
        u = (np.arange(m) + 0.5) / m
        target = 1.0 - u  # survival level
        if not self.abandons:
            return np.full(m, math.inf)
        if self.times.size == 0:
            return -self.exp_mean * np.log(target)
        s = self.survival
        idx = np.searchsorted(-s, -target, side="left")  # first step with S <= target
        out = np.empty(m)
        inside = idx < s.size
        out[inside] = self.times[idx[inside]]
        last = self.times[-1]
        out[~inside] = last + self.tail_mean * np.log(s[-1] / target[~inside])
        return out


MIN_MEAN = 1e-3
"""Smallest fitted mean patience (s): a log's time resolution. Callers who all abandon
at wait 0 give an exponential mean of 0, which no distribution accepts."""


def _r(x: float) -> float:
    return float(f"{x:.6g}")


def fit_patience(wait: np.ndarray, abandoned: np.ndarray, min_at_risk: int = 30,
                 max_steps: int = 400, min_events: int = 20) -> PatienceFit:
    """Fit patience from the waits of queued callers.

    Parameters
    ----------
    wait
        Waits of every queued caller (answered or abandoned), seconds.
    abandoned
        True for callers who abandoned (events), False for answered ones (censored).
    min_at_risk
        The survival table stops at the last event time with at least this many callers
        still at risk; beyond it an exponential tail is fitted to the remaining exposure.
    max_steps
        Thin the table to at most this many steps (each dropped step's mass moves to the
        next kept step: patience lengthens by at most one step's width).
    min_events
        With fewer abandonments, only the exponential fit is used.
    """
    wait = np.asarray(wait, dtype=float)
    ab = np.asarray(abandoned, dtype=bool)
    ok = ~np.isnan(wait)
    wait, ab = wait[ok], ab[ok]
    km = kaplan_meier(wait, ab)
    m, lo, hi = exponential_mle(wait, ab)
    m = max(m, MIN_MEAN)  # every abandonment at wait 0: the log's resolution, not 0
    fit = PatienceFit(km=km, n=int(wait.size), events=int(ab.sum()), exp_mean=m,
                      exp_low=lo, exp_high=hi)
    if fit.events < min_events:
        return fit
    ok_rows = np.flatnonzero(km["at_risk"].to_numpy() >= min_at_risk)
    if ok_rows.size == 0:
        return fit
    last = int(ok_rows[-1])
    times = km["time"].to_numpy()[: last + 1]
    surv = km["survival"].to_numpy()[: last + 1]
    if surv[-1] <= 0.0:  # everyone abandoned within the table: no tail needed, keep > 0
        keep = surv > 0
        times, surv = times[keep], surv[keep]
        if times.size == 0:
            return fit
    cut = float(times[-1])
    beyond = wait > cut
    exposure = float((wait[beyond] - cut).sum())
    ev = int((ab & beyond).sum())
    tail = exposure / ev if ev > 0 else (m if math.isfinite(m) else max(cut, 1.0))
    if times.size > max_steps:
        sel = np.unique(np.round(np.linspace(0, times.size - 1, max_steps)).astype(int))
        times, surv = times[sel], surv[sel]
    fit.cut = cut
    fit.tail_mean = max(float(tail), MIN_MEAN)
    fit.times = times
    fit.survival = surv
    return fit
