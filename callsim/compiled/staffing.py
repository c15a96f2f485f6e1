"""Staffing schedules compiled to headcount change points in simulation time.

Owns the translation of a pool's ``staffing`` (constant, per interval, daily shifts
that may pass midnight) into pieces and change points, and how absence and shrinkage
scale them. Imports :mod:`callsim.config` only.
"""

from __future__ import annotations

import math

from callsim.compiled.clock import DAY
from callsim.config import Scenario, Staffing

Piece = tuple[float, float, int, int]
"""(start, end, agents, group) of a staffing piece in simulation time; absence is drawn
per group (a shift occurrence, or a day of an interval or constant schedule)."""


def staffing_pieces(st: Staffing, sc: Scenario) -> list[Piece]:
    """The schedule as pieces covering ``[0, horizon + drain limit)``."""
    h = sc.horizon
    t_end = h.length + h.drain_limit
    pieces: list[Piece] = []
    if st.agents is not None:
        n_days = math.ceil(t_end / DAY)
        for k in range(n_days):
            pieces.append((k * DAY, min((k + 1) * DAY, t_end), st.agents, k))
    elif st.per_interval is not None:
        slot = st.interval
        vals = st.per_interval
        daily = math.isclose(len(vals) * slot, DAY)
        first = math.floor(h.start / slot)
        last = math.ceil((h.start + t_end) / slot)
        for k in range(first, last):
            # after a profile that covers only the horizon: its last headcount
            v = vals[k % len(vals)] if daily else vals[min(k, len(vals) - 1)]
            a = max(k * slot - h.start, 0.0)
            b = min((k + 1) * slot - h.start, t_end)
            pieces.append((a, b, int(v), int(k * slot // DAY)))
    else:
        assert st.shifts is not None
        n_days = math.ceil((h.start + t_end) / DAY) + 1
        group = 0
        for day in range(-1, n_days):
            for shift in st.shifts:
                end = shift.end if shift.end > shift.start else shift.end + DAY
                a = day * DAY + shift.start - h.start
                b = day * DAY + end - h.start
                if b > 0 and a < t_end and shift.agents > 0:
                    pieces.append((max(a, 0.0), min(b, t_end), shift.agents, group))
                group += 1
    return pieces


def change_points(
    pieces: list[Piece], present: dict[int, float] | None = None, shrinkage: float = 0.0
) -> tuple[tuple[float, ...], tuple[int, ...]]:
    """Headcount change points from pieces; *present* scales each group's agents
    (absence), *shrinkage* takes a share of every level off the phones."""
    edges: dict[float, float] = {0.0: 0.0}
    for a, b, n, g in pieces:
        agents = n if present is None else round(n * present.get(g, 1.0))
        edges[a] = edges.get(a, 0.0) + agents
        edges[b] = edges.get(b, 0.0) - agents
    times: list[float] = []
    counts: list[int] = []
    level = 0.0
    for t in sorted(edges):
        level += edges[t]
        v = round(level * (1.0 - shrinkage))
        if counts and counts[-1] == v:
            continue
        times.append(t)
        counts.append(int(v))
    return tuple(times), tuple(counts)


def compile_staffing(st: Staffing, sc: Scenario) -> tuple[tuple[float, ...], tuple[int, ...]]:
    """Scheduled change points (simulation time) and headcounts from 0 to the drain limit."""
    return change_points(staffing_pieces(st, sc))
