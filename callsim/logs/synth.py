"""callsim's own per-call records written as a call log.

Owns :func:`calls_to_log`: the per-call records of a simulation
(``simulate(..., record_calls=True).calls``) as a :class:`~callsim.logs.table.CallLog`,
for self-consistency tests (simulate, write, fit, compare) and synthetic benchmark logs.
Imports :mod:`callsim.logs.table` only (it reads the records' documented columns; it
never imports the model).

Mapping of callsim outcomes: ``answered``, ``abandoned``, ``blocked``, ``ivr_hangup``
keep their names; ``short_abandon`` becomes ``abandoned`` (a log does not know the
threshold); ``self_served``, ``disconnected``, ``unfinished``, ``callback`` and
``callback_open`` calls are dropped (counted by that name), and so are internal legs
(callers put through to another queue: ``internal_leg``). Records name the pool, not
the agent, so ``agent`` is "". ``wait`` includes any wait before a misroute transfer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from callsim.logs.table import CallLog, check_calls, write_log

_KEEP = {"answered": "answered", "abandoned": "abandoned", "blocked": "blocked",
         "ivr_hangup": "ivr_hangup", "short_abandon": "abandoned"}


def calls_to_log(
    calls: pd.DataFrame, start: float | str = 0.0, first_day: Any = "2024-01-01",
    path: str | Path | None = None, source: str = "<callsim records>",
) -> CallLog:
    """Turn callsim per-call records into a call log.

    Parameters
    ----------
    calls
        ``ReplicationResult.calls`` (columns ``call_id``, ``call_type``, ``arrival``,
        ``queued_at``, ``answered_at``, ``ended_at``, ``outcome``, ``ivr_time``, ``wait``,
        ``internal``): times in seconds since the start of the horizon.
    start
        Clock time of the horizon's start (``horizon.start``), seconds or ``"HH:MM"``.
    first_day
        Date of the horizon's first day.
    path
        If given, also write the log there (``.csv`` or ``.parquet``).
    source
        Name recorded as the log's source.

    Returns
    -------
    CallLog
        One row per call; the horizon's days become consecutive dates.
    """
    start_s = _clock_seconds(start)
    oc = calls["outcome"].astype(str).to_numpy()
    internal = (calls["internal"].to_numpy(dtype=bool) if "internal" in calls.columns
                else np.zeros(len(calls), dtype=bool))
    keep = np.isin(oc, list(_KEEP)) & ~internal
    dropped: dict[str, int] = {}
    for value, n in pd.Series(oc[~keep & ~internal]).value_counts().items():
        dropped[str(value)] = int(n)
    if internal.any():
        dropped["internal_leg"] = int(internal.sum())
    c = calls.loc[keep]
    absolute = start_s + c["arrival"].to_numpy(dtype=float)
    day_idx = np.floor(absolute / 86400.0)
    base = start_s - day_idx * 86400.0  # seconds to add to a horizon time: clock of its day
    outcome = pd.Series(oc[keep]).map(_KEEP).to_numpy(dtype=object)
    answered = outcome == "answered"
    queued = np.isin(outcome, ("answered", "abandoned"))
    ans_at = c["answered_at"].to_numpy(dtype=float)
    ended = c["ended_at"].to_numpy(dtype=float)
    d0 = pd.Timestamp(first_day).normalize()
    frame = pd.DataFrame({
        "call_id": c["call_id"].to_numpy(),
        "day": d0 + pd.to_timedelta(day_idx, unit="D"),
        "arrival": absolute - day_idx * 86400.0,
        "ivr_time": c["ivr_time"].to_numpy(dtype=float),
        "queue_entry": np.where(queued, c["queued_at"].to_numpy(dtype=float) + base, np.nan),
        "wait": np.where(queued, c["wait"].to_numpy(dtype=float), np.nan),
        "outcome": outcome,
        "handle_time": np.where(answered, ended - ans_at, np.nan),
        "agent": "",
        "call_type": c["call_type"].astype(str).to_numpy(),
    })
    log = CallLog(check_calls(frame, source), dropped, source, "callsim", {})
    if path is not None:
        write_log(log, path)
        log.source = str(path)
    return log


def _clock_seconds(value: float | str) -> float:
    if isinstance(value, str):
        h, _, m = value.strip().partition(":")
        return int(h) * 3600.0 + int(m or 0) * 60.0
    return float(value)
