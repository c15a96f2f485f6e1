"""Recorded arrivals as a trace file for trace-driven simulation (``callsim replay``).

Owns :func:`write_trace`: the selected calls of a log as a CSV (``day``, ``arrival``,
``call_type``, ``handle_time``) and the scenario's ``arrivals`` section that replays it,
in the planned form::

    arrivals: {trace: {path: calls.csv, time_column: arrival, type_column: call_type,
                       day_column: day, handle_column: handle_time}}

The engine replays it (:class:`~callsim.config.timeblocks.TraceCfg`): the days in
order, each call at its recorded time, answered callers with their recorded talk time.
Imports :mod:`callsim.logs`, :mod:`callsim.fit.arrivals` and :mod:`callsim.fit.classes`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from callsim.fit.arrivals import parse_days, select_days
from callsim.fit.classes import priority_classes
from callsim.logs import CallLog, LogError


def write_trace(log: CallLog, path: str | Path, days: Any = None, dates: Any = None,
                ivr: Literal["prompt", "menu", "none"] = "prompt",
                with_handle: bool = True, relative_to: str | Path | None = None,
                priority: bool = False, seed: int = 0) -> dict[str, Any]:
    """Write the recorded arrivals of the selected days and return the ``arrivals`` section.

    Parameters
    ----------
    log
        The calls.
    path
        The CSV to write (sorted by day and arrival).
    days, dates
        Weekdays or exact dates to keep (as for :func:`callsim.fit.fit_log`).
    ivr
        As for the fit: ``"menu"`` keeps IVR hang-ups (every call arrives); otherwise only
        calls that reached a queue are replayed.
    with_handle
        Add ``handle_column`` so answered callers keep their recorded handle time (NaN for
        others: the engine draws one).
    relative_to
        Directory the scenario file will live in: ``path`` is written relative to it.
    priority, seed
        Write the priority classes as call types (as :func:`callsim.fit.fit_log` with
        ``priority=True`` and the same seed names them).
    """
    try:
        wd = parse_days(days)
    except ValueError as exc:
        raise LogError(f"{log.source}: {exc}") from None
    if priority:
        log, _ = priority_classes(log, seed=seed)
    sel = select_days(log.calls, wd, dates)
    c = log.calls.loc[log.calls["day"].isin(sel)]
    if ivr != "menu":
        c = c.loc[c["outcome"] != "ivr_hangup"]
    if len(c) == 0:
        raise LogError(f"{log.source}: no calls on the selected days for the trace")
    out = pd.DataFrame({"day": c["day"].dt.strftime("%Y-%m-%d"), "arrival": c["arrival"],
                        "call_type": c["call_type"]})
    if with_handle:
        out["handle_time"] = c["handle_time"]
    out = out.sort_values(["day", "arrival"], kind="stable")
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(p, index=False, float_format="%.9g")
    shown = p if relative_to is None else Path(os.path.relpath(p.resolve(),
                                                               Path(relative_to).resolve()))
    trace: dict[str, Any] = {"path": str(shown), "time_column": "arrival",
                             "type_column": "call_type", "day_column": "day"}
    if with_handle:
        trace["handle_column"] = "handle_time"
    return {"trace": trace}
