"""The size guard: how big a replication will be, refused before it allocates.

Owns :func:`estimate_size` (expected calls per replication and on the busiest day, peak
agents, memory) and :func:`check_size`, which refuses a compiled scenario above the
limits with :class:`ScenarioTooLarge` (a :class:`~callsim.errors.ConfigError`: exit 2)
naming the estimate, the field that drives it and how to go past the limit
(``--allow-large``, ``allow_large=True``, or :func:`allowing_large` around API calls).
:func:`~callsim.compiled.compile_scenario` checks every scenario it compiles;
``run_replication`` checks again for per-call records. Imports
:mod:`callsim.compiled.scenario` and :mod:`callsim.errors`.

The memory figures were measured (``benchmarks``-style, peak RSS of one replication):
about 350 bytes per call of the busiest simulated day (callers are drawn a day at a
time) and 300 bytes per call kept with ``record_calls``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from callsim.compiled.clock import DAY
from callsim.errors import ConfigError

if TYPE_CHECKING:
    from callsim.compiled.scenario import CompiledScenario

MAX_CALLS = 50_000_000
"""Most expected calls in one replication."""
MAX_AGENTS = 100_000
"""Most agents scheduled at once, all pools together."""
MAX_MEMORY = 8 * 2**30
"""Most memory one replication may need (8 GiB; less on a machine with less RAM)."""
BASE_BYTES = 200 * 2**20
BYTES_PER_CALL_OF_DAY = 400
BYTES_PER_RECORD = 320
BYTES_PER_INTERVAL_CELL = 16

_ALLOWED: ContextVar[bool] = ContextVar("callsim_allow_large", default=False)


class ScenarioTooLarge(ConfigError):
    """A scenario whose replications would exceed the size limits (see :func:`check_size`)."""


@contextmanager
def allowing_large(allow: bool = True) -> Iterator[None]:
    """Within this block, :func:`check_size` lets large scenarios through (``--allow-large``)."""
    token = _ALLOWED.set(allow or _ALLOWED.get())
    try:
        yield
    finally:
        _ALLOWED.reset(token)


@dataclass(frozen=True, slots=True)
class SizeEstimate:
    """Expected size of one replication of a compiled scenario."""

    calls: float
    """Expected calls (first attempts, redials, internal transfer legs)."""
    calls_busiest_day: float
    """Expected calls on the busiest simulated day (drawn and held together)."""
    agents: int
    """Peak scheduled agents, all pools together."""
    memory: float
    """Bytes one replication needs without per-call records."""
    record_memory: float
    """Extra bytes for per-call records (``record_calls``)."""
    calls_from: str
    """The field that brings most calls."""
    agents_from: str
    """The pool with the most agents."""


def memory_limit() -> float:
    """:data:`MAX_MEMORY`, or three quarters of this machine's RAM if that is less."""
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return float(MAX_MEMORY)
    return float(min(MAX_MEMORY, 0.75 * ram)) if ram > 0 else float(MAX_MEMORY)


def estimate_size(cs: CompiledScenario) -> SizeEstimate:
    """Expected calls, agents and memory of one replication of *cs* (no simulation)."""
    per_type = np.asarray(cs.expected_arrivals(0.0, cs.horizon), dtype=float)
    p = max(cs.redial_p) if cs.max_attempts > 1 else 0.0
    m = cs.max_attempts
    attempts = float(m) if p >= 1.0 else (1.0 - p**m) / (1.0 - p)
    legs = 1.0 + max((ct.transfer_share for ct in cs.call_types), default=0.0)
    factor = attempts * legs * (1.0 + 2.0 * cs.overdispersion)
    first = float(per_type.sum())
    calls = first * attempts * legs
    n_days = max(1, math.ceil(cs.horizon / DAY - 1e-9))
    busiest = max(float(np.sum(cs.expected_arrivals(k * DAY, min((k + 1) * DAY, cs.horizon))))
                  for k in range(n_days)) * factor
    peaks = [max(p.headcounts) if p.headcounts else 0 for p in cs.pools]
    agents = int(sum(peaks))
    n_int = math.ceil(cs.horizon / cs.interval - 1e-9)
    K, P, S = len(cs.call_types), len(cs.pools), len(cs.service_levels)
    cells = n_int * (K * (40 + S) + 4 * P)
    memory = BASE_BYTES + BYTES_PER_CALL_OF_DAY * busiest + BYTES_PER_INTERVAL_CELL * cells
    if cs.arrivals_by_type is not None:
        names = [f"arrivals.by_call_type.{n}" for n in cs.type_names]
        calls_from = names[int(np.argmax(per_type))] if len(per_type) else "arrivals"
    else:
        calls_from = "arrivals"
    agents_from = (f"pools.{cs.pools[int(np.argmax(peaks))].name}.staffing" if peaks
                   else "pools")
    return SizeEstimate(calls=calls, calls_busiest_day=busiest, agents=agents, memory=memory,
                        record_memory=BYTES_PER_RECORD * calls * (1.0 + 2.0 * cs.overdispersion),
                        calls_from=calls_from, agents_from=agents_from)


def _gib(n: float) -> str:
    return f"{n / 2**30:,.1f} GiB"


def check_size(cs: CompiledScenario, record_calls: bool = False,
               allow_large: bool = False, where: str | None = None) -> SizeEstimate:
    """Refuse *cs* if one replication would exceed the limits; return the estimate.

    Limits: :data:`MAX_CALLS` expected calls per replication, :data:`MAX_AGENTS` agents at
    once, :func:`memory_limit` bytes (per-call records included when *record_calls*).
    *allow_large* (or an enclosing :func:`allowing_large`) lets the scenario through.
    *where* starts the message (default: the scenario's name).

    Raises
    ------
    ScenarioTooLarge
        Naming each limit passed, the estimate, the field behind it and the way past it.
    """
    est = estimate_size(cs)
    if allow_large or _ALLOWED.get():
        return est
    problems: list[str] = []
    if not est.calls <= MAX_CALLS:
        problems.append(f"{est.calls_from}: about {est.calls:,.0f} calls per replication "
                        f"(limit {MAX_CALLS:,})")
    if not est.agents <= MAX_AGENTS:
        problems.append(f"{est.agents_from}: {est.agents:,} agents at the peak, all pools "
                        f"together (limit {MAX_AGENTS:,})")
    need = est.memory + (est.record_memory if record_calls else 0.0)
    limit = memory_limit()
    if not need <= limit and not problems:
        what = (f"{est.calls_busiest_day:,.0f} calls on the busiest day"
                + (f" and per-call records of {est.calls:,.0f} calls" if record_calls else ""))
        problems.append(f"{est.calls_from}: about {_gib(need)} of memory for {what} "
                        f"(limit {_gib(limit)})")
    if problems:
        raise ScenarioTooLarge(
            f"{where or cs.name}: too large to run: " + "; ".join(problems) + ". If you mean it, "
            "rerun with --allow-large (API: allow_large=True, or within "
            "callsim.compiled.allowing_large()); else check the figures (rates are calls "
            "per hour, daily_volume calls per day)")
    return est
