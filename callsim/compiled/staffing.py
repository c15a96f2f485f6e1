"""Staffing schedules compiled to headcount change points in simulation time.

Owns the translation of a pool's ``staffing`` (constant, per interval, daily shifts
that may pass midnight) into pieces and change points, and how absence and shrinkage
scale them. Imports :mod:`callsim.config` only.

Fractional headcounts (``agents: 7.25``, ``per_interval: [5.9, 6.2, ...]``, e.g. a
fitted mean headcount) are honoured exactly as a share of time, with no randomness:
an interval whose entry is ``n + f`` (``0 < f < 1``) has ``n`` agents throughout and one
more for the share ``f`` of it, so its scheduled agent-seconds are exactly
``(n + f) x length``. The extra agent's time sits at the end of the interval when the
next entry is larger than the previous one (the headcount steps up into the busier
interval), else at its start, so the schedule changes at most twice per interval and
follows the profile. A fractional constant ``agents`` is read as that entry for every
hour. As with any headcount drop, an agent whose time ends mid-call finishes the call.
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
    if st.agents is not None and float(st.agents).is_integer():
        n_days = math.ceil(t_end / DAY)
        for k in range(n_days):
            pieces.append((k * DAY, min((k + 1) * DAY, t_end), int(st.agents), k))
    elif st.agents is not None or st.per_interval is not None:
        if st.per_interval is not None:
            slot, vals = st.interval, list(st.per_interval)
        else:  # a fractional constant: the same entry every hour
            slot, vals = 3600.0, [float(st.agents or 0.0)] * 24
        daily = math.isclose(len(vals) * slot, DAY)

        def entry(k: int) -> float:
            # after a profile that covers only the horizon: its last headcount
            return float(vals[k % len(vals)] if daily else vals[min(max(k, 0), len(vals) - 1)])

        first = math.floor(h.start / slot)
        last = math.ceil((h.start + t_end) / slot)
        for k in range(first, last):
            v = entry(k)
            n = math.floor(v)
            lo, hi = k * slot - h.start, (k + 1) * slot - h.start
            group = int(k * slot // DAY)
            a, b = max(lo, 0.0), min(hi, t_end)
            pieces.append((a, b, n, group))
            f = v - n
            if f > 0:  # one more agent for the share f of the interval
                if entry(k + 1) > entry(k - 1):
                    xa, xb = hi - f * slot, hi
                else:
                    xa, xb = lo, lo + f * slot
                xa, xb = max(xa, 0.0), min(xb, t_end)
                if xb > xa:
                    pieces.append((xa, xb, 1, group))
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
