"""The built-in ``anonymous-bank`` format: the Technion SEE lab's Anonymous Bank log.

Owns the population rules that turn the bank's tab-separated export (one row per call:
``vru_entry/exit/time``, ``q_start/exit/time``, ``outcome`` AGENT/HANG/PHANTOM,
``ser_start/exit/time``, ``server``) into the tidy per-call table. Imports
:mod:`callsim.logs.table` and :mod:`callsim.logs.parse` only.

Population rules (each kept-but-changed row is counted in ``CallLog.flags``, each
left-out row in ``CallLog.dropped``):

- ``PHANTOM`` rows are virtual calls: dropped (``phantom``).
- ``arrival`` = ``vru_entry``; ``day`` = ``date`` (yymmdd); ``ivr_time`` = ``vru_time``.
- A call *queued* when ``q_start`` is not ``0:00:00``: ``queue_entry`` = ``q_start``,
  ``wait`` = ``q_time``. ``AGENT`` calls that never queued were answered on leaving
  the IVR: ``queue_entry`` = ``vru_exit``, ``wait`` = 0 (the log's ``q_time`` 0).
- ``AGENT`` = ``answered``, ``handle_time`` = ``ser_time``, ``agent`` = ``server``.
  Calls answered by ``NO_SERVER`` (short, mostly never queued: a recorded service or
  an unnamed position) stay answered with ``agent`` "" (flag ``answered_no_server``).
  Answered calls without a service record (``ser_start`` 0:00:00 and ``ser_time`` 0)
  keep ``handle_time`` NaN (flag ``answered_no_service_record``).
- ``HANG`` after queueing = ``abandoned`` (``q_time`` 0 allowed: hung up at once); any
  service fields on such a row are ignored (flag ``abandoned_with_service``). ``HANG``
  that never queued = ``ivr_hangup``.
- A negative ``vru_time`` (``vru_exit`` before ``vru_entry``, a clock skew between the
  IVR and the switch): the call arrived at ``vru_exit`` with ``ivr_time`` 0 (flag
  ``negative_ivr_time``).
- Clock times that read more than 12 h earlier than ``vru_entry`` crossed midnight and
  count from the call's date (``queue_entry`` may exceed 86400).
- A row with a negative ``q_time`` or ``ser_time`` would be dropped (``negative_time``);
  an unparsable time or date is an error naming the row and column.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from callsim.logs.parse import after, parse_clock, parse_date, parse_seconds, read_table
from callsim.logs.table import CallLog, LogError, check_calls

BANK_COLUMNS = ("call_id", "priority", "type", "date", "vru_entry", "vru_exit", "vru_time",
                "q_start", "q_time", "outcome", "ser_start", "ser_time", "server")
_OUTCOMES = ("AGENT", "HANG", "PHANTOM")


def read_bank(path: Path) -> CallLog:
    """Read an Anonymous Bank log (tab-separated) with the population rules above."""
    src = str(path)
    raw = read_table(path, "tsv")
    missing = [c for c in BANK_COLUMNS if c not in raw.columns]
    if missing:
        raise LogError(f"{src}: missing column(s) {', '.join(missing)}; an anonymous-bank "
                       f"log has {', '.join(BANK_COLUMNS)} (tab-separated)")
    oc = raw["outcome"].astype(str).str.strip().to_numpy()
    bad = ~np.isin(oc, _OUTCOMES)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise LogError(f"{src}: row {i + 1}, column 'outcome': {oc[i]!r} is not one of "
                       f"{', '.join(_OUTCOMES)}")
    day = parse_date(raw["date"], src, "date", "%y%m%d")
    vin = parse_clock(raw["vru_entry"], src, "vru_entry")
    vout = parse_clock(raw["vru_exit"], src, "vru_exit")
    vtime = parse_seconds(raw["vru_time"], src, "vru_time")
    qstart = parse_clock(raw["q_start"], src, "q_start")
    qtime = parse_seconds(raw["q_time"], src, "q_time")
    sstart = parse_clock(raw["ser_start"], src, "ser_start")
    stime = parse_seconds(raw["ser_time"], src, "ser_time")
    for name, arr in (("vru_entry", vin), ("vru_exit", vout), ("vru_time", vtime),
                      ("q_start", qstart), ("q_time", qtime), ("ser_start", sstart),
                      ("ser_time", stime)):
        if np.isnan(arr).any():
            i = int(np.flatnonzero(np.isnan(arr))[0])
            raise LogError(f"{src}: row {i + 1}, column {name!r}: empty; every row of an "
                           "anonymous-bank log has it")
    dropped: dict[str, int] = {}
    flags: dict[str, int] = {}
    phantom = oc == "PHANTOM"
    negative = ~phantom & ((qtime < 0) | (stime < 0))
    dropped["phantom"] = int(phantom.sum())
    if negative.any():
        dropped["negative_time"] = int(negative.sum())
    keep = ~(phantom | negative)
    queued = raw["q_start"].astype(str).str.strip().to_numpy() != "0:00:00"
    answered = oc == "AGENT"
    server = raw["server"].fillna("").astype(str).str.strip().to_numpy()
    # negative IVR time: arrival at vru_exit (the clock the queue shares), ivr_time 0
    vdelta = vout - vin
    neg_ivr = (vtime < 0) & (vdelta > -43200)
    flags["negative_ivr_time"] = int((neg_ivr & keep).sum())
    arrival = np.where(neg_ivr, vout, vin)
    ivr = np.where(neg_ivr, 0.0, vtime)
    q_entry = np.where(queued, after(qstart, arrival), after(vout, arrival))
    wait = np.where(queued, qtime, 0.0)
    no_record = answered & (stime == 0) & (raw["ser_start"].astype(str).str.strip()
                                           .to_numpy() == "0:00:00")
    handle = np.where(answered & ~no_record, stime, np.nan)
    flags["answered_no_service_record"] = int((no_record & keep).sum())
    no_server = answered & (server == "NO_SERVER")
    flags["answered_no_server"] = int((no_server & keep).sum())
    flags["abandoned_with_service"] = int((~answered & queued & (stime > 0) & keep).sum())
    flags["crossed_midnight"] = int((keep & ((q_entry >= 86400) | (
        answered & (after(sstart, arrival) >= 86400) & ~no_record))).sum())
    outcome = np.where(answered, "answered", np.where(queued, "abandoned", "ivr_hangup"))
    is_q = outcome != "ivr_hangup"
    frame = pd.DataFrame({
        "call_id": pd.to_numeric(raw["call_id"], errors="coerce").fillna(-1).astype(np.int64),
        "day": day, "arrival": arrival, "ivr_time": ivr,
        "queue_entry": np.where(is_q, q_entry, np.nan), "wait": np.where(is_q, wait, np.nan),
        "outcome": outcome, "handle_time": handle,
        "agent": np.where(answered & ~no_server, server, ""),
        "call_type": raw["type"].fillna("").astype(str).str.strip().to_numpy(),
        "priority": pd.to_numeric(raw["priority"], errors="coerce").fillna(0).astype(np.int64),
    })
    rows = np.flatnonzero(keep)
    frame = frame.iloc[rows].reset_index(drop=True)
    calls = check_calls(frame, src)
    return CallLog(calls, dropped, src, "anonymous-bank", {k: v for k, v in flags.items()})
