"""Reading what a scenario points to: distributions from config, numbers from files.

Owns :func:`build_distribution` (each distribution config builds itself, see the
registry in :mod:`callsim.config.distributions`; this gives it the file reader) and
:func:`read_numbers` (CSV columns or one number per line, with errors that name the file
and line). Imports :mod:`callsim.config`, :mod:`callsim.distributions` and
:mod:`callsim.errors`.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

from callsim import distributions as d
from callsim.config import DistributionCfg, Scenario
from callsim.errors import ConfigError


def base_dir(sc: Scenario) -> Path:
    """The folder relative paths in *sc* are read from (its file's, else the cwd)."""
    if sc.source and not sc.source.startswith("<"):
        return Path(sc.source).resolve().parent
    return Path.cwd()


def read_numbers(path: Path, column: str | None, where: str) -> list[float]:
    """Non-negative numbers from a one-column file or a named CSV column."""
    if not path.is_file():
        raise ConfigError(f"{where}: file {str(path)!r} not found")
    try:
        text = path.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{where}: file {str(path)!r} is not UTF-8 text ({exc.reason} at "
                          f"byte {exc.start}); save it as UTF-8") from None
    rows = [r for r in csv.reader(text) if r and any(c.strip() for c in r)]
    if not rows:
        raise ConfigError(f"{where}: file {str(path)!r} is empty")
    start = 0
    col = 0
    header = [c.strip() for c in rows[0]]
    try:
        float(header[0])
        if column is not None:
            raise ConfigError(f"{where}: file {str(path)!r} has no header, so no column "
                              f"{column!r}")
    except ValueError:
        start = 1
        if column is None:
            if len(header) != 1:
                raise ConfigError(f"{where}: file {str(path)!r} has columns "
                                  f"{', '.join(header)}; name one with 'column'") from None
        elif column not in header:
            raise ConfigError(f"{where}: file {str(path)!r} has no column {column!r}; "
                              f"allowed: {', '.join(header)}") from None
        else:
            col = header.index(column)
    out: list[float] = []
    for n, row in enumerate(rows[start:], start=start + 1):
        try:
            v = float(row[col])
        except (ValueError, IndexError):
            raise ConfigError(f"{where}: file {str(path)!r} line {n}: "
                              f"{row!r} is not a number") from None
        if not math.isfinite(v) or v < 0:
            raise ConfigError(f"{where}: file {str(path)!r} line {n}: {v!r} must be a "
                              "finite number >= 0")
        out.append(v)
    return out


def build_distribution(cfg: DistributionCfg, base: Path, where: str) -> d.Distribution:
    """Make a distribution object from its config (data files read relative to *base*)."""

    def read(file: str, column: str | None) -> list[float]:
        return read_numbers(base / file, column, where)

    try:
        return cfg.build(read)
    except ValueError as exc:  # a data file whose numbers the distribution refuses
        raise ConfigError(f"{where}: {exc}") from None
