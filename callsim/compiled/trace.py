"""Recorded arrivals (``arrivals.trace``) read and placed in simulation time.

Owns :class:`CompiledTrace` (every replayed call's simulation time, call type and
recorded talk time, sorted by time) and :func:`compile_trace`, which reads the trace CSV
named by :class:`~callsim.config.timeblocks.TraceCfg` and checks it: every problem is a
:class:`~callsim.errors.ConfigError` naming the file, the line and the column. Imports
:mod:`callsim.config`, :mod:`callsim.compiled.clock` and :mod:`callsim.errors` (and
pandas to read the file).

Placement: the trace's days (``day_column``, sorted as text, so ISO dates sort by date)
become simulated days 0, 1, 2, ...; a call at ``t`` seconds after 00:00 of day ``k``
arrives at simulation time ``k x 86400 + t - start`` (``start`` = the horizon's clock
start). Calls before 0 or at or after the horizon's length are left out (counted in
:attr:`CompiledTrace.left_out`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from callsim.compiled.clock import DAY
from callsim.config import Scenario
from callsim.config.timeblocks import TraceCfg
from callsim.errors import ConfigError


@dataclass(frozen=True, slots=True)
class CompiledTrace:
    """The replayed calls of one replication (the same in every replication)."""

    times: np.ndarray
    """Simulation times, sorted."""
    kinds: np.ndarray
    """Call-type index of each call (int64)."""
    handle: np.ndarray | None
    """Recorded talk time of each call (NaN: drawn), or None when none is replayed."""
    n_days: int
    """Days in the trace file (all of them, replayed or not)."""
    left_out: int
    """Calls of the file outside the horizon."""
    path: str = field(default="", compare=False, metadata={"fingerprint": False})
    """The file (for messages)."""

    def window(self, a: float, b: float) -> slice:
        """The calls arriving in ``[a, b)``."""
        i, j = np.searchsorted(self.times, (a, b), side="left")
        return slice(int(i), int(j))

    def expected(self, a: float, b: float, n_types: int) -> np.ndarray:
        """Calls per call type arriving in ``[a, b)`` (exact: the trace is fixed)."""
        k = self.kinds[self.window(a, b)]
        return np.bincount(k, minlength=n_types).astype(float)


def _where(cfg: TraceCfg, path: Path) -> str:
    return f"arrivals.trace: file {str(path)!r}"


def _numbers(df: pd.DataFrame, column: str, where: str, allow_nan: bool) -> np.ndarray:
    """A numeric column, >= 0 (NaN allowed where *allow_nan*), or an error naming the line."""
    raw = df[column]
    x = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    blank = raw.isna().to_numpy() | (raw.astype(str).str.strip() == "").to_numpy()
    bad = (np.isnan(x) & ~blank) | (~np.isfinite(x) & ~np.isnan(x)) | (x < 0)
    if not allow_nan:
        bad |= blank
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        what = "empty" if blank[i] else f"{raw.iloc[i]!r}"
        raise ConfigError(f"{where} line {i + 2}, column {column!r}: {what} is not "
                          f"allowed; give a finite number of seconds >= 0"
                          + (" (or leave it empty)" if allow_nan else ""))
    return x


def compile_trace(cfg: TraceCfg, sc: Scenario, base: Path) -> CompiledTrace:
    """Read the trace of *sc* (``arrivals.trace``) relative to folder *base*.

    Raises
    ------
    ConfigError
        The file is missing, unreadable or empty, a column is missing, a time or talk
        time is not a number >= 0, or a call type is not one of the scenario's.
    """
    path = base / cfg.path
    where = _where(cfg, path)
    if not path.is_file():
        raise ConfigError(f"{where} not found")
    wanted = [c for c in (cfg.time_column, cfg.type_column, cfg.day_column,
                          cfg.handle_column) if c is not None]
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""],
                         usecols=lambda c: c in wanted)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError,
            pd.errors.EmptyDataError) as exc:
        raise ConfigError(f"{where} cannot be read as CSV ({exc})") from None
    missing = [c for c in dict.fromkeys(wanted) if c not in df.columns]
    if missing:
        head = pd.read_csv(path, nrows=0).columns.tolist()
        raise ConfigError(f"{where} has no column {missing[0]!r}; its columns: "
                          f"{', '.join(map(str, head))}")
    if len(df) == 0:
        raise ConfigError(f"{where} has no calls")
    t = _numbers(df, cfg.time_column, where, allow_nan=False)
    names = list(sc.call_types)
    if cfg.type_column is None:
        if len(names) != 1:
            raise ConfigError(f"arrivals.trace.type_column: null, but the scenario has "
                              f"{len(names)} call types ({', '.join(names)}); name the "
                              "column of call types")
        kinds = np.zeros(len(df), dtype=np.int64)
    else:
        col = df[cfg.type_column].astype(str).str.strip()
        codes, uniques = pd.factorize(col)
        index = {n: i for i, n in enumerate(names)}
        unknown = [u for u in uniques if u not in index]
        if unknown:
            line = int(np.flatnonzero(col.to_numpy() == unknown[0])[0]) + 2
            raise ConfigError(f"{where} line {line}, column {cfg.type_column!r}: "
                              f"{unknown[0]!r} is not a call type; allowed: {', '.join(names)}")
        kinds = np.asarray([index[u] for u in uniques], dtype=np.int64)[codes]
    if cfg.day_column is not None:
        days = df[cfg.day_column].astype(str).str.strip()
        if (days == "").any() or df[cfg.day_column].isna().any():
            i = int(np.flatnonzero((days == "").to_numpy()
                                   | df[cfg.day_column].isna().to_numpy())[0])
            raise ConfigError(f"{where} line {i + 2}, column {cfg.day_column!r}: empty; "
                              "give every call's day")
        order, day_names = pd.factorize(days, sort=True)
        n_days = len(day_names)
        t = t + order * DAY
    else:
        n_days = max(1, math.ceil((float(t.max()) + 1e-9) / DAY))
    handle = (_numbers(df, cfg.handle_column, where, allow_nan=True)
              if cfg.handle_column is not None else None)
    sim = t - sc.horizon.start
    keep = (sim >= 0) & (sim < sc.horizon.length)
    sort = np.argsort(sim[keep], kind="stable")
    return CompiledTrace(
        times=sim[keep][sort], kinds=kinds[keep][sort],
        handle=handle[keep][sort] if handle is not None else None,
        n_days=n_days, left_out=int((~keep).sum()), path=str(path))
