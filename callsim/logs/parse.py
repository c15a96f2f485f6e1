"""Reading raw log files and parsing their time and duration columns, vectorised.

Owns file reading (CSV/TSV/Parquet) and the parsers of clock times, dates, datetimes
and durations; each parser raises :class:`~callsim.logs.table.LogError` naming the
file, the first bad row and the column. Imports only :mod:`callsim.logs.table`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from callsim.logs.table import LogError

_CLOCK_RE = r"^\s*(\d{1,3}):(\d{2})(?::(\d{2}(?:\.\d*)?))?\s*$"
DURATION_UNITS = {"seconds": 1.0, "s": 1.0, "milliseconds": 1e-3, "ms": 1e-3,
                  "minutes": 60.0, "min": 60.0}


def read_table(path: Path, file_format: str | None = None,
               delimiter: str | None = None) -> pd.DataFrame:
    """Read a CSV/TSV (every column as text) or a Parquet file; raise LogError if unreadable."""
    if not path.is_file():
        raise LogError(f"{path}: log file not found")
    fmt = file_format or _format_of(path)
    try:
        if fmt == "parquet":
            try:
                df = pd.read_parquet(path)
            except ImportError:
                raise LogError(f"{path}: reading Parquet needs pyarrow; "
                               "pip install 'callsim[logs]'") from None
        else:
            sep = delimiter or ("\t" if fmt == "tsv" else ",")
            df = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False,
                             na_values=[""], skipinitialspace=True)
    except LogError:
        raise
    except pd.errors.EmptyDataError:
        raise LogError(f"{path}: the file is empty (no header, no calls)") from None
    except UnicodeDecodeError as exc:
        raise LogError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except (pd.errors.ParserError, ValueError, OSError) as exc:
        raise LogError(f"{path}: cannot be read as {fmt} ({str(exc).strip()})") from None
    df.columns = [str(c).strip() for c in df.columns]
    if len(df) == 0:
        raise LogError(f"{path}: the log has a header but no calls")
    return df


def _format_of(path: Path) -> str:
    name = path.name.lower()
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith((".tsv", ".tab", ".tsv.gz")):
        return "tsv"
    return "csv"


def _empty(raw: pd.Series) -> np.ndarray:
    return (raw.isna() | (raw.astype(str).str.strip() == "")).to_numpy()


def _raise_bad(src: str, col: str, raw: pd.Series, bad: np.ndarray, what: str,
               row_offset: int) -> None:
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise LogError(f"{src}: row {i + row_offset}, column {col!r}: {raw.iloc[i]!r} is not "
                       f"{what}")


def parse_clock(raw: pd.Series, src: str, col: str, row_offset: int = 1) -> np.ndarray:
    """``H:MM[:SS[.f]]`` (or numbers already in seconds) to seconds since 00:00; NaN if empty."""
    if pd.api.types.is_numeric_dtype(raw):
        return raw.to_numpy(dtype=float)
    s = raw.astype(str)
    parts = s.str.extract(_CLOCK_RE)
    h = pd.to_numeric(parts[0], errors="coerce").to_numpy(dtype=float)
    m = pd.to_numeric(parts[1], errors="coerce").to_numpy(dtype=float)
    sec = pd.to_numeric(parts[2], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    out = h * 3600.0 + m * 60.0 + sec
    empty = _empty(raw)
    bad = (np.isnan(out) | (m >= 60) | (sec >= 61)) & ~empty
    _raise_bad(src, col, raw, bad, "a clock time (H:MM:SS)", row_offset)
    out[empty] = np.nan
    return out


def parse_seconds(raw: pd.Series, src: str, col: str, unit: str = "seconds",
                  row_offset: int = 1) -> np.ndarray:
    """A duration column: numbers in *unit*, or ``clock`` for ``H:MM:SS``; NaN if empty."""
    if unit == "clock":
        return parse_clock(raw, src, col, row_offset)
    if unit not in DURATION_UNITS:
        raise LogError(f"{src}: duration unit {unit!r} unknown; allowed: clock, "
                       f"{', '.join(DURATION_UNITS)}")
    num = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    empty = _empty(raw)
    _raise_bad(src, col, raw, np.isnan(num) & ~empty, "a number", row_offset)
    return num * DURATION_UNITS[unit]


def parse_date(raw: pd.Series, src: str, col: str, fmt: str | None,
               row_offset: int = 1) -> np.ndarray:
    """Dates (``fmt`` a strftime pattern, or ISO/inferred) as datetime64[ns] at midnight."""
    if pd.api.types.is_datetime64_any_dtype(raw):
        return pd.DatetimeIndex(raw).normalize().to_numpy(dtype="datetime64[ns]")
    s = raw.astype(str).str.strip()
    try:
        d = pd.to_datetime(s, format=fmt, errors="coerce") if fmt else pd.to_datetime(
            s, errors="coerce", format="ISO8601")
    except ValueError as exc:
        raise LogError(f"{src}: column {col!r}: date format {fmt!r} is not valid ({exc})"
                       ) from None
    bad = d.isna().to_numpy()
    _raise_bad(src, col, raw, bad, f"a date{' (' + fmt + ')' if fmt else ''}", row_offset)
    return pd.DatetimeIndex(d).normalize().to_numpy(dtype="datetime64[ns]")


def parse_datetime(raw: pd.Series, src: str, col: str, fmt: str | None,
                   row_offset: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Full timestamps to (day, seconds since that day's 00:00); NaN seconds if empty."""
    empty = _empty(raw)
    if pd.api.types.is_datetime64_any_dtype(raw):
        d = pd.DatetimeIndex(raw)
    else:
        s = raw.astype(str).str.strip()
        d = pd.DatetimeIndex(pd.to_datetime(s, format=fmt or "ISO8601", errors="coerce"))
        _raise_bad(src, col, raw, d.isna() & ~empty,
                   f"a date and time{' (' + fmt + ')' if fmt else ''}", row_offset)
    day = d.normalize()
    secs = ((d - day) / pd.Timedelta(seconds=1)).to_numpy(dtype=float)
    return day.to_numpy(dtype="datetime64[ns]"), secs


def after(t: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Clock times *t* that read earlier than *ref* by more than 12 h crossed midnight:
    add a day so they count from *ref*'s day."""
    with np.errstate(invalid="ignore"):
        return np.where(t < ref - 43200.0, t + 86400.0, t)
