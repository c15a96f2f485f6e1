"""Arrival processes: exact sampling of piecewise-constant Poisson arrivals.

Owns turning rate profiles into arrival times and call types for one block of
simulation time, from the replication's streams. Imports :mod:`callsim.rng`,
:mod:`callsim.errors` and :mod:`callsim.compiled`; never the model.

Sampling is exact for a piecewise-constant rate: in each piece the number of
arrivals is Poisson(rate × length) and, given the number, the times are
independent uniforms on the piece (the order-statistics property), so no thinning
is needed. A gamma busyness factor with mean 1 and coefficient of variation
``overdispersion`` multiplies the rates of each simulated day.
"""

from __future__ import annotations

import numpy as np

from callsim.compiled import DAY, CompiledScenario, PiecewiseRate
from callsim.errors import ModelError
from callsim.rng import Streams


def busyness_factor(cs: CompiledScenario, streams: Streams, day: int) -> float:
    """The daily busyness factor of simulated day *day* (1.0 without overdispersion)."""
    cv = cs.overdispersion
    if cv <= 0:
        return 1.0
    shape = 1.0 / (cv * cv)
    # one generator per day, keyed by the day number, so a day's factor does not
    # depend on how the horizon is cut into blocks
    draw = streams.indexed("busyness", day).gamma(shape, 1.0 / shape)
    return float(draw)


def sample_piecewise(
    rate: PiecewiseRate, a: float, b: float, factor: float, rng: np.random.Generator
) -> np.ndarray:
    """Sorted arrival times of a Poisson process with rate ``factor × rate`` on ``[a, b)``."""
    lo = np.clip(rate.starts, a, b)
    hi = np.clip(rate.ends, a, b)
    length = hi - lo
    keep = length > 0
    lo, length, lam = lo[keep], length[keep], rate.rates[keep] * length[keep] * factor
    counts = rng.poisson(lam)
    total = int(counts.sum())
    if total == 0:
        return np.empty(0)
    times = np.repeat(lo, counts) + rng.random(total) * np.repeat(length, counts)
    times.sort()
    return times


def sample_block(
    cs: CompiledScenario, streams: Streams, a: float, b: float
) -> tuple[np.ndarray, np.ndarray]:
    """Arrival times and call-type indices in ``[a, b)``, sorted by time.

    Blocks must lie within one simulated day (``[k·DAY, (k+1)·DAY)``), which is how
    the model asks for them.
    """
    day = int(a // DAY)
    factor = busyness_factor(cs, streams, day)
    if cs.arrivals_by_type is not None:
        parts_t: list[np.ndarray] = []
        parts_k: list[np.ndarray] = []
        for k, (ct, rate) in enumerate(zip(cs.call_types, cs.arrivals_by_type, strict=True)):
            t = sample_piecewise(rate, a, b, factor, streams.get("arrivals", ct.name))
            parts_t.append(t)
            parts_k.append(np.full(t.size, k, dtype=np.int64))
        times = np.concatenate(parts_t)
        kinds = np.concatenate(parts_k)
        order = np.argsort(times, kind="stable")
        return times[order], kinds[order]
    if cs.arrivals_total is None or cs.mix is None:
        raise ModelError(f"{cs.name}: the compiled scenario has neither per-call-type "
                         "arrivals nor a total rate with a mix")
    times = sample_piecewise(cs.arrivals_total, a, b, factor, streams.get("arrivals"))
    kinds = streams.get("mix").choice(len(cs.mix), size=times.size, p=np.asarray(cs.mix))
    return times, kinds.astype(np.int64)
