"""Call logs: read a centre's ACD/IVR call log into a tidy per-call table.

Public API
----------
``read_log(path, format=None, columns=None) -> CallLog``
    Read a log. ``format`` is ``"callsim"`` (the tidy table itself, CSV or Parquet, as
    :func:`write_log` writes it; the default), ``"anonymous-bank"`` (the Technion SEE
    lab's bank log, with its population rules: :mod:`callsim.logs.bank`), or give
    ``columns=`` a column-mapping YAML file (or mapping) for any other export
    (:mod:`callsim.logs.mapping`).
``CallLog``
    ``calls`` (one row per call: ``call_id, day, arrival, ivr_time, queue_entry, wait,
    outcome, handle_time, agent, call_type[, priority]``; see
    :mod:`callsim.logs.table`), ``dropped`` (reason -> rows left out), ``flags``
    (reason -> rows kept but repaired), ``source``, ``format``.
``calls_to_log(records, start, first_day, path=None) -> CallLog``
    callsim's own per-call records as a log (:mod:`callsim.logs.synth`).
``write_log(log, path)``
    Write a log as CSV or Parquet (reads back with ``read_log``).
``LogError``
    A :class:`callsim.errors.ConfigError`: one message naming the file, row and column.

Owns reading and writing logs only. Imports :mod:`callsim.errors` and nothing else of
callsim: no config, no model, no fitting (:mod:`callsim.fit` imports this package).
Parquet needs pyarrow (``pip install 'callsim[logs]'``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from callsim.logs.bank import read_bank
from callsim.logs.mapping import ColumnMap, load_column_map, read_mapped
from callsim.logs.parse import read_table
from callsim.logs.synth import calls_to_log
from callsim.logs.table import COLUMNS, OUTCOMES, CallLog, LogError, check_calls, write_log

FORMATS = ("callsim", "anonymous-bank")

__all__ = ["COLUMNS", "FORMATS", "OUTCOMES", "CallLog", "ColumnMap", "LogError",
           "calls_to_log", "load_column_map", "read_log", "write_log"]


def read_log(path: str | Path, format: str | None = None,
             columns: str | Path | Mapping[str, Any] | ColumnMap | None = None) -> CallLog:
    """Read a call log into a :class:`CallLog`.

    Parameters
    ----------
    path
        The log file (``.csv``, ``.tsv``, ``.parquet``).
    format
        ``"callsim"`` (default) or ``"anonymous-bank"``; leave out with ``columns``.
    columns
        A column mapping (YAML file, mapping or :class:`ColumnMap`) for any other export.

    Raises
    ------
    LogError
        One message naming the file, the row and the column (missing columns,
        unparsable times, negative durations, an empty file, an unknown format).
    """
    p = Path(path)
    if columns is not None:
        if format is not None:
            raise LogError(f"{p}: give a format or a column mapping, not both")
        cmap = columns if isinstance(columns, ColumnMap) else load_column_map(columns)
        name = f"columns:{columns}" if isinstance(columns, str | Path) else "columns"
        return read_mapped(p, cmap, name)
    fmt = (format or "callsim").strip().lower().replace("_", "-")
    if fmt == "anonymous-bank":
        return read_bank(p)
    if fmt == "callsim":
        raw = read_table(p)
        return CallLog(check_calls(raw, str(p)), {}, str(p), "callsim", {})
    raise LogError(f"{p}: unknown log format {format!r}; allowed: {', '.join(FORMATS)}, "
                   "or give a column mapping (columns=MAP.yaml)")
