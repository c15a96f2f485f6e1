"""Arrivals per clock interval and call type, and the day-to-day overdispersion.

Owns :func:`select_days` (the calendar days a fit averages over), :func:`arrival_counts`
and :func:`overdispersion`. Imports numpy, scipy and pandas only; works on the tidy
per-call table of :mod:`callsim.logs`.

Overdispersion: the scenario's ``arrivals.overdispersion`` is the CV ``c`` of a gamma
daily busyness factor B (mean 1) multiplying the day's Poisson rates, so the daily total
N has ``Var N = m + c² m²``. Method of moments: ``c² = (s² - m) / m²`` from the mean
``m`` and variance ``s²`` of the selected days' totals. It is set to 0 unless the
dispersion test rejects Poisson (``(n - 1) s² / m ~ chi2(n - 1)``, one-sided p < 0.05);
its CI comes from a bootstrap over days (fixed seed).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_days(days: Any) -> tuple[str, ...] | None:
    """``"sun,mon"`` / a list of weekday names (3 letters or full) -> ('sun', 'mon')."""
    if days is None:
        return None
    items = days.split(",") if isinstance(days, str) else list(days)
    out = []
    for d in items:
        key = str(d).strip().lower()[:3]
        if key not in WEEKDAYS:
            raise ValueError(f"{d!r} is not a weekday; allowed: {', '.join(WEEKDAYS)}")
        out.append(key)
    return tuple(dict.fromkeys(out))


def select_days(calls: pd.DataFrame, days: tuple[str, ...] | None,
                dates: Any = None) -> pd.DatetimeIndex:
    """Calendar days from the log's first to last day whose weekday is in *days*
    (all if None), or exactly *dates* when given. Days without calls count (as zeros)."""
    if dates is not None:
        return pd.DatetimeIndex(pd.to_datetime(list(dates))).normalize().unique().sort_values()
    first, last = calls["day"].min(), calls["day"].max()
    span = pd.date_range(first, last, freq="D")
    if days is None:
        return span
    names = np.array([WEEKDAYS[d] for d in span.day_of_week])
    return span[np.isin(names, days)]


def arrival_counts(calls: pd.DataFrame, day_index: pd.DatetimeIndex, interval: float,
                   types: list[str]) -> np.ndarray:
    """Counts per (day, interval, call type), shape (days, 86400/interval, types).

    Intervals are clock intervals of the arrival (time past 24:00 wraps into the day's
    last interval... never happens for arrivals counted from their own day)."""
    n_int = round(86400.0 / interval)
    d = day_index.get_indexer(pd.DatetimeIndex(calls["day"]))
    i = np.minimum((calls["arrival"].to_numpy() % 86400.0 // interval).astype(int), n_int - 1)
    t = pd.Index(types).get_indexer(pd.Index(calls["call_type"]))
    ok = (d >= 0) & (t >= 0)
    flat = (d[ok] * n_int + i[ok]) * len(types) + t[ok]
    counts = np.bincount(flat, minlength=len(day_index) * n_int * len(types))
    return counts.reshape(len(day_index), n_int, len(types)).astype(float)


def overdispersion(daily: np.ndarray, seed: int = 0, n_boot: int = 2000,
                   alpha: float = 0.05) -> dict[str, float]:
    """Gamma busyness CV from daily totals (see the module docstring).

    Returns ``estimate`` (0 unless significant), ``raw`` (the moment estimate, >= 0),
    ``ci_low``, ``ci_high`` (bootstrap percentile), ``p_value``, ``dispersion`` (s²/m),
    ``n_days``.
    """
    x = np.asarray(daily, dtype=float)
    n = x.size
    out = {"estimate": 0.0, "raw": 0.0, "ci_low": math.nan, "ci_high": math.nan,
           "p_value": math.nan, "dispersion": math.nan, "n_days": float(n)}
    if n < 3 or x.mean() <= 0:
        return out
    m, s2 = float(x.mean()), float(x.var(ddof=1))
    raw = math.sqrt(max(s2 - m, 0.0)) / m
    p = float(stats.chi2.sf((n - 1) * s2 / m, n - 1))
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    b = x[rng.integers(0, n, (n_boot, n))]
    bm, bv = b.mean(axis=1), b.var(axis=1, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        bc = np.sqrt(np.maximum(bv - bm, 0.0)) / bm
    lo, hi = np.nanpercentile(bc, [2.5, 97.5])
    out.update(raw=raw, p_value=p, dispersion=s2 / m, ci_low=float(lo), ci_high=float(hi),
               estimate=raw if p < alpha else 0.0)
    return out
