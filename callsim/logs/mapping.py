"""Reading any centre's export through a column mapping written in a small YAML file.

Owns :class:`ColumnMap` (the mapping's schema), :func:`load_column_map` and
:func:`read_mapped`, which turns a raw table into the tidy per-call table of
:mod:`callsim.logs.table`. Imports :mod:`callsim.logs.table` and
:mod:`callsim.logs.parse` only.

A mapping file::

    file_format: csv            # csv | tsv | parquet (default: from the file name)
    delimiter: ";"              # optional, for csv
    columns:                    # callsim field: the export's column
      arrival: call_start       # required: when the call reached the centre
      outcome: disposition      # required
      day: call_date            # required unless times are datetimes
      call_id: id
      call_type: skill          # default: every call is of type `call_type_default`
      ivr_time: ivr_secs        # else queue_entry - arrival, else 0
      queue_entry: queued_at    # else arrival + ivr_time
      wait: wait_secs           # else queue_exit - queue_entry, else service_start - queue_entry
      queue_exit: left_queue_at
      service_start: answered_at
      handle_time: talk_secs    # else service_end - service_start
      service_end: ended_at
      agent: agent_id
      priority: prio
    times: clock                # time-of-day columns: clock (H:MM:SS), seconds, datetime
    date_format: "%Y-%m-%d"     # strftime pattern of `day` (or of datetimes); default ISO
    durations: seconds          # seconds | minutes | milliseconds | clock
    outcomes:                   # the export's value: answered|abandoned|blocked|ivr_hangup|drop
      ANS: answered
      ABN: abandoned
    call_type_default: all

Rows whose outcome maps to ``drop`` are counted in ``CallLog.dropped`` under
``outcome <value>``; a value not in ``outcomes`` is an error naming the row.
Time-of-day values earlier than the arrival by more than 12 h crossed midnight.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from callsim.logs.parse import (
    after,
    parse_clock,
    parse_date,
    parse_datetime,
    parse_seconds,
    read_table,
)
from callsim.logs.table import CallLog, LogError, check_calls

FIELDS = ("arrival", "outcome", "day", "call_id", "call_type", "ivr_time", "queue_entry",
          "wait", "queue_exit", "service_start", "handle_time", "service_end", "agent",
          "priority")
_TIME_FIELDS = ("arrival", "queue_entry", "queue_exit", "service_start", "service_end")
_DURATION_FIELDS = ("ivr_time", "wait", "handle_time")


Outcome = Literal["answered", "abandoned", "blocked", "ivr_hangup", "drop"]
_IDENTITY: dict[str, Outcome] = {"answered": "answered", "abandoned": "abandoned",
                                 "blocked": "blocked", "ivr_hangup": "ivr_hangup"}


class ColumnMap(BaseModel):
    """How an export's columns map to callsim's per-call fields (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    file_format: Literal["csv", "tsv", "parquet"] | None = None
    delimiter: str | None = None
    columns: dict[str, str]
    times: Literal["clock", "seconds", "datetime"] = "clock"
    date_format: str | None = None
    durations: Literal["seconds", "minutes", "milliseconds", "clock"] = "seconds"
    outcomes: dict[str, Outcome] = Field(default_factory=lambda: dict(_IDENTITY))
    call_type_default: str = "all"

    @model_validator(mode="before")
    @classmethod
    def _str_outcome_keys(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and isinstance(data.get("outcomes"), Mapping):
            return {**data, "outcomes": {str(k): v for k, v in data["outcomes"].items()}}
        return data

    @model_validator(mode="after")
    def _fields(self) -> ColumnMap:
        unknown = [k for k in self.columns if k not in FIELDS]
        if unknown:
            raise ValueError(f"columns: unknown field(s) {', '.join(unknown)}; allowed: "
                             f"{', '.join(FIELDS)}")
        need = ["arrival", "outcome"] + (["day"] if self.times != "datetime" else [])
        lacking = [k for k in need if k not in self.columns]
        if lacking:
            raise ValueError(f"columns: {', '.join(lacking)} required (the export's column "
                             "for each)")
        return self


def load_column_map(spec: str | Path | Mapping[str, Any]) -> ColumnMap:
    """Read and validate a column mapping (a YAML file path or a mapping)."""
    where = "<columns>"
    if isinstance(spec, str | Path):
        where = str(spec)
        p = Path(spec)
        if not p.is_file():
            raise LogError(f"{p}: column mapping file not found")
        try:
            data = yaml.safe_load(p.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise LogError(f"{p}: not a valid YAML file ({exc})") from None
    else:
        data = dict(spec)
    if not isinstance(data, Mapping):
        raise LogError(f"{where}: a column mapping must be a YAML mapping")
    try:
        return ColumnMap.model_validate(data)
    except ValidationError as err:
        lines = []
        for e in err.errors(include_url=False):
            path = ".".join(str(x) for x in e["loc"]) or "(top level)"
            lines.append(f"  {path}: {str(e['msg']).removeprefix('Value error, ')}")
        raise LogError(f"{where}: invalid column mapping\n" + "\n".join(lines)) from None


def read_mapped(path: Path, cmap: ColumnMap, fmt_name: str) -> CallLog:
    """Read *path* through *cmap* into a :class:`CallLog`."""
    src = str(path)
    raw = read_table(path, cmap.file_format, cmap.delimiter)
    absent = [f"{src_col!r} (for {field})" for field, src_col in cmap.columns.items()
              if src_col not in raw.columns]
    if absent:
        raise LogError(f"{src}: missing column(s) {', '.join(absent)}; the file has "
                       f"{', '.join(map(repr, raw.columns))}")
    col = {f: raw[c] for f, c in cmap.columns.items()}
    dropped: dict[str, int] = {}
    oc_raw = col["outcome"].astype(str).str.strip()
    unknown = ~oc_raw.isin(list(cmap.outcomes)).to_numpy()
    if unknown.any():
        i = int(np.flatnonzero(unknown)[0])
        raise LogError(f"{src}: row {i + 1}, column {cmap.columns['outcome']!r}: outcome "
                       f"{oc_raw.iloc[i]!r} is not in the mapping's outcomes; mapped: "
                       f"{', '.join(cmap.outcomes)}")
    outcome = oc_raw.map(cmap.outcomes).to_numpy(dtype=object)
    keep = outcome != "drop"
    for value, n in oc_raw[~keep].value_counts().items():
        dropped[f"outcome {value}"] = int(n)
    rows = np.flatnonzero(keep)
    col = {f: s.iloc[rows].reset_index(drop=True) for f, s in col.items()}
    outcome = outcome[rows]
    if rows.size == 0:
        raise LogError(f"{src}: every row was dropped by the outcome mapping; no calls left")

    def row_of(i: int) -> int:  # a kept row's number in the file (1 = first data row)
        return int(rows[i]) + 1

    def bad_at(c: str) -> Any:
        return _RowMapper(src, cmap.columns[c], row_of)

    t: dict[str, np.ndarray] = {}
    day: np.ndarray | None = None
    for f in _TIME_FIELDS:
        if f not in col:
            continue
        with bad_at(f):
            if cmap.times == "datetime":
                d, secs = parse_datetime(col[f], src, cmap.columns[f], cmap.date_format)
                if f == "arrival":
                    day = d
                    t[f] = secs
                else:
                    assert day is not None
                    t[f] = secs + ((d - day) / np.timedelta64(1, "D")) * 86400.0
            elif cmap.times == "seconds":
                t[f] = parse_seconds(col[f], src, cmap.columns[f], "seconds")
            else:
                t[f] = parse_clock(col[f], src, cmap.columns[f])
    if day is None:
        with bad_at("day"):
            day = parse_date(col["day"], src, cmap.columns["day"], cmap.date_format)
    arrival = t["arrival"]
    if cmap.times != "datetime":
        for f in _TIME_FIELDS[1:]:
            if f in t:
                t[f] = after(t[f], arrival)
    dur: dict[str, np.ndarray] = {}
    for f in _DURATION_FIELDS:
        if f in col:
            with bad_at(f):
                dur[f] = parse_seconds(col[f], src, cmap.columns[f], cmap.durations)
    n = arrival.size
    nan = np.full(n, np.nan)
    queued = np.isin(outcome, ("answered", "abandoned"))
    answered = outcome == "answered"
    ivr = dur.get("ivr_time")
    if ivr is None:
        ivr = t["queue_entry"] - arrival if "queue_entry" in t else np.zeros(n)
        ivr = np.where(np.isnan(ivr), 0.0, ivr)
    qe = t.get("queue_entry", arrival + ivr)
    wait = dur.get("wait")
    if wait is None:
        if "queue_exit" in t:
            wait = t["queue_exit"] - qe
        elif "service_start" in t:
            wait = np.where(answered, t["service_start"] - qe, nan)
        else:
            raise LogError(f"{src}: the mapping gives no way to know waits; map 'wait', "
                           "'queue_exit' or 'service_start'")
    handle = dur.get("handle_time")
    if handle is None:
        if "service_start" in t and "service_end" in t:
            handle = t["service_end"] - t["service_start"]
        else:
            raise LogError(f"{src}: the mapping gives no way to know handle times; map "
                           "'handle_time', or 'service_start' and 'service_end'")
    frame = pd.DataFrame({
        "call_id": col["call_id"].to_numpy() if "call_id" in col else rows + 1,
        "day": day, "arrival": arrival, "ivr_time": ivr,
        "queue_entry": np.where(queued, qe, nan), "wait": np.where(queued, wait, nan),
        "outcome": outcome, "handle_time": np.where(answered, handle, nan),
        "agent": (np.where(answered, col["agent"].fillna("").astype(str).to_numpy(), "")
                  if "agent" in col else ""),
        "call_type": (col["call_type"].fillna(cmap.call_type_default).astype(str).to_numpy()
                      if "call_type" in col else cmap.call_type_default),
    })
    if "priority" in col:
        frame["priority"] = col["priority"].to_numpy()
    with _RowMapper(src, None, row_of):
        calls = check_calls(frame, src, row_offset=1)
    return CallLog(calls, dropped, src, fmt_name, {})


class _RowMapper:
    """Rewrites 'row N' in a LogError raised inside to the row number in the file
    (rows dropped by the outcome mapping shift the index)."""

    def __init__(self, src: str, column: str | None, row_of: Any) -> None:
        self.src, self.column, self.row_of = src, column, row_of

    def __enter__(self) -> None:
        return None

    def __exit__(self, et: Any, exc: Any, tb: Any) -> None:
        if isinstance(exc, LogError):
            import re

            msg = str(exc)
            m = re.search(r"row (\d+)", msg)
            if m:
                msg = msg.replace(m.group(0), f"row {self.row_of(int(m.group(1)) - 1)}", 1)
            raise LogError(msg) from None
