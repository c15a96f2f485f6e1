"""Arrival rate profiles compiled to piecewise-constant rates in simulation time.

Owns :class:`PiecewiseRate` and the translation of a ``RateProfile`` (constant rate,
per-interval counts, daily volume x hourly shape, CSV) into one. Imports
:mod:`callsim.config`, :mod:`callsim.compiled.sources` and :mod:`callsim.errors`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from callsim.compiled.clock import DAY
from callsim.compiled.sources import read_numbers
from callsim.config import RateProfile, Scenario
from callsim.errors import ConfigError


@dataclass(frozen=True, slots=True)
class PiecewiseRate:
    """A piecewise-constant Poisson rate over simulation time.

    ``starts[i] <= t < ends[i]`` has rate ``rates[i]`` calls per second; the pieces
    tile ``[0, horizon)`` in order.
    """

    starts: np.ndarray
    ends: np.ndarray
    rates: np.ndarray

    def rate_at(self, t: float) -> float:
        """Rate (calls per second) at simulation time *t*."""
        i = int(np.searchsorted(self.ends, t, side="right"))
        return float(self.rates[min(i, len(self.rates) - 1)])

    def expected(self, a: float, b: float) -> float:
        """Expected number of arrivals in ``[a, b)``."""
        lo = np.clip(self.starts, a, b)
        hi = np.clip(self.ends, a, b)
        return float(np.sum((hi - lo) * self.rates))


def _profile_per_day(
    prof: RateProfile, base: Path, where: str
) -> tuple[np.ndarray, float, bool]:
    """Expected calls per profile slot, slot length (s), and whether it repeats daily."""
    if prof.rate is not None:
        return np.array([prof.rate]), 3600.0, True  # calls per hour, one hourly slot
    if prof.daily_volume is not None:
        shape = np.asarray(prof.hourly_shape if prof.hourly_shape is not None else [1.0] * 24)
        return prof.daily_volume * shape / shape.sum(), 3600.0, True
    if prof.per_interval is not None:
        vals = np.asarray(prof.per_interval, dtype=float)
        covers = len(vals) * prof.interval
        return vals, prof.interval, math.isclose(covers, DAY)
    assert prof.csv is not None
    vals = np.asarray(read_numbers(base / prof.csv.path, prof.csv.column, f"{where}.csv"))
    covers = len(vals) * prof.csv.interval
    return vals, prof.csv.interval, math.isclose(covers, DAY)


def compile_rate(
    prof: RateProfile, sc: Scenario, base: Path, where: str, factor: float = 1.0
) -> PiecewiseRate:
    """Piecewise-constant rate over ``[0, horizon)`` in simulation time."""
    counts, slot, daily = _profile_per_day(prof, base, where)
    rates_per_s = counts / slot * prof.scale * factor
    if prof.rate is not None:
        return PiecewiseRate(np.array([0.0]), np.array([sc.horizon.length]), rates_per_s)
    start = sc.horizon.start
    end = start + sc.horizon.length
    first = math.floor(start / slot)
    last = math.ceil(end / slot - 1e-9)
    idx = np.arange(first, last)
    if daily:
        src = rates_per_s[idx % len(counts)]
    else:
        if last > len(counts):
            raise ConfigError(f"{where}: the profile covers {len(counts) * slot / 3600:g} h "
                              f"from 00:00 but the horizon runs to {end / 3600:g} h")
        src = rates_per_s[idx]
    starts = np.maximum(idx * slot, start) - start
    ends = np.minimum((idx + 1) * slot, end) - start
    return PiecewiseRate(starts.astype(float), ends.astype(float), src.astype(float))
