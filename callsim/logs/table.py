"""The tidy per-call table every log format is read into, its checks and its writer.

Owns :class:`CallLog`, :class:`LogError`, the canonical column list and
:func:`check_calls` (the one place the table's invariants are written down), and
:func:`write_log`. Imports only :mod:`callsim.errors` from callsim; it never imports
the simulation model, the config layer or :mod:`callsim.fit`.

Columns of ``CallLog.calls`` (one row per call):

``call_id``       the log's id (any type)
``day``           datetime64 date of the call (the day its ``arrival`` is counted from)
``arrival``       seconds since 00:00 of ``day`` the call reached the centre (IVR entry)
``ivr_time``      seconds in the IVR before the call reached a queue or hung up (>= 0)
``queue_entry``   seconds since 00:00 of ``day`` the call joined a queue; NaN if never
``wait``          seconds in the queue (to answer or hang-up); NaN if never queued
``outcome``       ``answered``, ``abandoned``, ``blocked`` or ``ivr_hangup``
``handle_time``   seconds of agent talk time; NaN unless answered (NaN if not recorded)
``agent``         the agent who answered ("" when unknown or not answered)
``call_type``     the call type (queue) as text
``priority``      optional: the log's priority class

Times past 86400 mean the call crossed midnight: they stay counted from ``day``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from callsim.errors import ConfigError

OUTCOMES = ("answered", "abandoned", "blocked", "ivr_hangup")
COLUMNS = ("call_id", "day", "arrival", "ivr_time", "queue_entry", "wait", "outcome",
           "handle_time", "agent", "call_type")
OPTIONAL = ("priority",)
_NUMERIC = ("arrival", "ivr_time", "queue_entry", "wait", "handle_time")


class LogError(ConfigError):
    """A call log that cannot be read: the message names the file, row and column."""


@dataclass
class CallLog:
    """A call log as a tidy per-call table.

    Attributes
    ----------
    calls : pandas.DataFrame
        One row per call, columns as in the module docstring.
    dropped : dict of str to int
        Rows of the source left out of ``calls``, counted by reason (every one).
    source : str
        The file read (or a description such as ``"<callsim records>"``).
    format : str
        The format it was read with (``callsim``, ``anonymous-bank``, ``columns:FILE``).
    flags : dict of str to int
        Rows kept but repaired or worth knowing about, counted by reason.
    """

    calls: pd.DataFrame
    dropped: dict[str, int] = field(default_factory=dict)
    source: str = "<log>"
    format: str = "callsim"
    flags: dict[str, int] = field(default_factory=dict)

    @property
    def days(self) -> pd.DatetimeIndex:
        """The distinct days present in the log, sorted."""
        return pd.DatetimeIndex(np.sort(self.calls["day"].unique()))

    @property
    def call_types(self) -> list[str]:
        """Call types present, most frequent first."""
        return [str(x) for x in self.calls["call_type"].value_counts().index]

    def summary(self) -> pd.DataFrame:
        """Calls by call type and outcome (a small table for a first look)."""
        tab = pd.crosstab(self.calls["call_type"], self.calls["outcome"], margins=True,
                          margins_name="all")
        return tab.reindex(columns=[*[o for o in OUTCOMES if o in tab.columns], "all"])

    def select_days(self, days: list[Any] | pd.DatetimeIndex) -> CallLog:
        """A copy holding only the calls of the given days."""
        keep = self.calls["day"].isin(pd.DatetimeIndex(days))
        return CallLog(self.calls.loc[keep].reset_index(drop=True), dict(self.dropped),
                       self.source, self.format, dict(self.flags))


def _first_bad(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def check_calls(df: pd.DataFrame, source: str, row_offset: int = 1) -> pd.DataFrame:
    """Check and normalise a tidy per-call table; raise :class:`LogError` on the first problem.

    Parameters
    ----------
    df
        Columns as in the module docstring (``priority`` optional, extra columns dropped).
    source
        The file name for messages.
    row_offset
        Added to a 0-based row index to give the row number in messages (1 = first data
        row).

    Returns
    -------
    pandas.DataFrame
        The table with canonical dtypes and column order.
    """
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise LogError(f"{source}: missing column(s) {', '.join(missing)}; a callsim log "
                       f"needs {', '.join(COLUMNS)} (priority optional)")
    if len(df) == 0:
        raise LogError(f"{source}: the log has no calls")
    out = pd.DataFrame({"call_id": df["call_id"].to_numpy()})
    try:
        out["day"] = pd.to_datetime(df["day"]).dt.normalize().astype("datetime64[ns]")
    except (ValueError, TypeError) as exc:
        raise LogError(f"{source}: column 'day': not dates ({exc})") from None
    for col in _NUMERIC:
        raw = df[col]
        if pd.api.types.is_numeric_dtype(raw):
            out[col] = raw.to_numpy(dtype=float)
            continue
        num = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
        bad = np.isnan(num) & raw.notna().to_numpy()
        if bad.any():
            bad &= (raw.astype(str).str.strip() != "").to_numpy()
        if bad.any():
            i = _first_bad(bad)
            raise LogError(f"{source}: row {i + row_offset}, column {col!r}: {raw.iloc[i]!r} "
                           "is not a number of seconds")
        out[col] = num
    out["outcome"] = df["outcome"].astype(str).to_numpy()
    out["handle_time"] = out.pop("handle_time")
    out["agent"] = df["agent"].fillna("").astype(str).to_numpy()
    out["call_type"] = df["call_type"].astype(str).to_numpy()
    if "priority" in df.columns:
        out["priority"] = df["priority"].to_numpy()
    out = out[[*COLUMNS, *[c for c in OPTIONAL if c in out.columns]]]
    _check_values(out, source, row_offset)
    return out


def _check_values(out: pd.DataFrame, source: str, row_offset: int) -> None:
    oc = out["outcome"].to_numpy()
    bad = ~np.isin(oc, OUTCOMES)
    if bad.any():
        i = _first_bad(bad)
        raise LogError(f"{source}: row {i + row_offset}, column 'outcome': {oc[i]!r} is not "
                       f"an outcome; allowed: {', '.join(OUTCOMES)}")
    for col in ("arrival", "day"):
        miss = out[col].isna().to_numpy()
        if miss.any():
            raise LogError(f"{source}: row {_first_bad(miss) + row_offset}, column {col!r}: "
                           "empty; every call needs it")
    for col in _NUMERIC:
        v = out[col].to_numpy()
        inf = np.isinf(v)
        if inf.any():
            i = _first_bad(inf)
            raise LogError(f"{source}: row {i + row_offset}, column {col!r}: {v[i]:g} is "
                           "not a finite number of seconds")
    for col in ("arrival", "ivr_time", "wait", "handle_time"):
        v = out[col].to_numpy()
        neg = v < 0
        if neg.any():
            i = _first_bad(neg)
            raise LogError(f"{source}: row {i + row_offset}, column {col!r}: {v[i]:g} is "
                           "negative; durations and times must be >= 0")
    queued = np.isin(oc, ("answered", "abandoned"))
    for col in ("wait", "queue_entry"):
        miss = queued & out[col].isna().to_numpy()
        if miss.any():
            raise LogError(f"{source}: row {_first_bad(miss) + row_offset}, column {col!r}: "
                           f"empty for a call that was {oc[_first_bad(miss)]}; answered and "
                           "abandoned calls need their queue entry and wait")
    if out["ivr_time"].isna().any():
        out["ivr_time"] = out["ivr_time"].fillna(0.0)


def write_log(log: CallLog | pd.DataFrame, path: str | Path) -> Path:
    """Write a tidy per-call table as CSV (``.csv``) or Parquet (``.parquet``).

    The file reads back with ``read_log(path)`` (format ``callsim``).
    """
    p = Path(path)
    df = log.calls if isinstance(log, CallLog) else log
    p.parent.mkdir(parents=True, exist_ok=True)
    if p.suffix.lower() in (".parquet", ".pq"):
        df.to_parquet(p, index=False)
    elif p.suffix.lower() in (".csv", ".gz") or p.name.endswith(".csv.gz"):
        out = df.copy()
        out["day"] = out["day"].dt.strftime("%Y-%m-%d")
        out.to_csv(p, index=False, float_format="%.9g")
    else:
        raise LogError(f"{p}: unknown log file type {p.suffix!r}; use .csv or .parquet")
    return p
