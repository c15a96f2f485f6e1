"""Time-of-day forms of a call type and of the arrivals: ``by_time`` blocks and traces.

Owns :class:`TimeBlock` (``call_types.<name>.by_time``: handle time, after-call work and
patience for callers arriving in a clock window) with :func:`check_blocks`, and
:class:`TraceCfg` (``arrivals.trace``: recorded arrivals replayed as they happened).
Imports :mod:`callsim.config.units` and :mod:`callsim.config.distributions` only; the
trace file itself is read when the scenario is compiled
(:mod:`callsim.compiled.trace`).

A block applies to the callers whose *arrival* clock time (when they reach the centre,
before the menu) lies in ``[start, end)``; a field the block leaves out (or a caller
outside every block) takes the call type's own distribution. Blocks lie within a day
(``end`` up to ``"24:00"``) and do not overlap.
"""

from __future__ import annotations

import itertools

from pydantic import model_validator

from callsim.config.distributions import Dist
from callsim.config.units import Clock, Strict

DAY = 86400.0


def _hhmm(t: float) -> str:
    return f"{int(t // 3600):02d}:{int(t % 3600 // 60):02d}"


class TimeBlock(Strict):
    """Distributions for the callers of a call type who arrive between two clock times."""

    start: Clock
    """Clock time the block starts ("HH:MM"), inclusive."""
    end: Clock
    """Clock time it ends, exclusive ("24:00" at the latest)."""
    handle_time: Dist | None = None
    """Agent talk time of these callers (default: the call type's)."""
    after_call_work: Dist | None = None
    """Wrap-up after their calls (default: the call type's)."""
    patience: Dist | None = None
    """How long they wait before hanging up (default: the call type's)."""

    @model_validator(mode="after")
    def _window(self) -> TimeBlock:
        if self.end <= self.start:
            raise ValueError(f"end ({_hhmm(self.end)}) must be after start "
                             f"({_hhmm(self.start)}); a block cannot pass midnight (split "
                             "it in two)")
        if self.end > DAY:
            raise ValueError(f"end ({_hhmm(self.end)}) is after 24:00; a block lies "
                             "within a day")
        if self.handle_time is None and self.after_call_work is None and self.patience is None:
            raise ValueError("give at least one of handle_time, after_call_work, patience")
        return self


def check_blocks(blocks: list[TimeBlock]) -> None:
    """Raise ValueError if blocks overlap (they may come in any order)."""
    ordered = sorted(blocks, key=lambda b: b.start)
    for a, b in itertools.pairwise(ordered):
        if b.start < a.end:
            raise ValueError(f"blocks {_hhmm(a.start)}-{_hhmm(a.end)} and "
                             f"{_hhmm(b.start)}-{_hhmm(b.end)} overlap; each arrival clock "
                             "time may lie in one block only")


class TraceCfg(Strict):
    """Recorded calls replayed as they arrived (trace-driven simulation).

    A CSV file with one row per call: its arrival time in seconds since 00:00 of its day
    (``time_column``), its call type (``type_column``), optionally its day
    (``day_column``: any text, e.g. 1999-02-01; the trace's days in sorted order become
    simulated days 0, 1, 2, ...; without it, times count from 00:00 of the first
    simulated day and may pass 86400) and its recorded talk time (``handle_column``:
    answered callers keep it, empty cells are drawn from the call type's distribution).
    Calls before the horizon's start or after its end are left out.
    """

    path: str
    """The CSV file, relative to the scenario file (``callsim fit``/``replay`` write it)."""
    time_column: str = "arrival"
    """Column of arrival times: seconds since 00:00 of the call's day."""
    type_column: str | None = "call_type"
    """Column of call types (null: every call is of the scenario's only call type)."""
    day_column: str | None = None
    """Column of days (null: times count from 00:00 of the first day)."""
    handle_column: str | None = None
    """Column of recorded talk times in seconds (null: every talk time is drawn)."""
