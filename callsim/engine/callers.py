"""Caller attributes that depend on the arrival clock (``by_time``) or on a trace.

Owns :func:`draw_blocked` (handle time, after-call work and patience of one call type's
callers when the type has ``by_time`` blocks) and :func:`trace_block` (the recorded
arrivals of a block of simulation time). Imports :mod:`callsim.compiled` and
:mod:`callsim.rng`; the model calls these from its per-day loading of callers, so a
scenario without blocks or a trace draws exactly as before.

Randomness: a blocked call type draws from the same streams as an unblocked one
(``handle``, ``patience``, ``after_call_work`` keyed by the call type's name): first the
callers who take the call type's own distribution, then each block's callers in block
order, each group in arrival order. Designs with the same blocks see the same callers.
"""

from __future__ import annotations

import numpy as np

from callsim import distributions as d
from callsim.compiled import DAY, CompiledCallType, CompiledScenario
from callsim.rng import Streams


def block_of(ct: CompiledCallType, clock: np.ndarray) -> np.ndarray:
    """Index of the block each arrival clock time (seconds since 00:00) lies in; -1 for
    none."""
    out = np.full(clock.size, -1, dtype=np.int64)
    for j, blk in enumerate(ct.blocks):
        out[(clock >= blk.start) & (clock < blk.end)] = j
    return out


def _draw(dists: list[d.Distribution | None], default: d.Distribution | None,
          which: np.ndarray, rng: np.random.Generator, out: np.ndarray) -> None:
    """Fill *out* (one entry per caller) from the caller's block distribution, or
    *default* where the block has none; callers with neither keep their value."""
    own = [default, *dists]  # group 0: the call type's own; group j+1: block j
    group = np.where(which >= 0, which + 1, 0)
    use_default = np.array([g == 0 or own[g] is None for g in range(len(own))])
    group = np.where(use_default[group], 0, group)
    for g, dist in enumerate(own):
        if dist is None:
            continue
        sel = np.flatnonzero(group == g)
        if sel.size:
            out[sel] = dist.sample(rng, sel.size)


def draw_blocked(ct: CompiledCallType, arrival_clock: np.ndarray, streams: Streams
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Handle time, after-call work (0 where none) and patience of callers of *ct*
    arriving at clock times *arrival_clock*, by its ``by_time`` blocks."""
    n = arrival_clock.size
    which = block_of(ct, arrival_clock)
    handle = np.empty(n)
    acw = np.zeros(n)
    patience = np.empty(n)
    _draw([b.handle for b in ct.blocks], ct.handle, which,
          streams.get("handle", ct.name), handle)
    _draw([b.patience for b in ct.blocks], ct.patience, which,
          streams.get("patience", ct.name), patience)
    if ct.acw is not None or any(b.acw is not None for b in ct.blocks):
        _draw([b.acw for b in ct.blocks], ct.acw, which,
              streams.get("after_call_work", ct.name), acw)
    return handle, acw, patience


def arrival_clock(cs: CompiledScenario, times: np.ndarray) -> np.ndarray:
    """Clock time of day (seconds since 00:00) of simulation times *times*."""
    return np.asarray((cs.clock_start + times) % DAY)


def trace_block(cs: CompiledScenario, a: float, b: float
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The recorded calls arriving in ``[a, b)``: times, call-type indices and recorded
    talk times (NaN: draw one; None: the trace has none)."""
    tr = cs.trace
    assert tr is not None
    w = tr.window(a, b)
    return (tr.times[w].copy(), tr.kinds[w].copy(),
            tr.handle[w].copy() if tr.handle is not None else None)
