"""Statistics across replications: confidence intervals, summaries, pooled tables.

Owns the Student-t confidence half-width, the KPI summary of a batch,
:class:`TableMean` (the order-preserving mean of per-replication tables) and
:class:`TableSum` (their order-preserving sum, for counts that are pooled). Imports
:mod:`callsim.results.table` and :mod:`callsim.errors`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from callsim.errors import ModelError
from callsim.results.table import Table

#: Columns that identify a row of each per-replication table (averaged over the others).
TABLE_KEYS: dict[str, tuple[str, ...]] = {
    "intervals": ("interval", "start", "clock", "call_type"),
    "agents": ("interval", "start", "clock", "pool"),
    "clock": ("clock", "call_type"),
}


def t_halfwidth(values: np.ndarray, level: float = 0.95) -> tuple[float, float, int]:
    """Mean and Student-t confidence half-width of *values* (NaNs dropped)."""
    v = values[~np.isnan(values)]
    n = v.size
    if n == 0:
        return math.nan, math.nan, 0
    mean = float(v.mean())
    if n == 1:
        return mean, math.nan, 1
    sd = float(v.std(ddof=1))
    return mean, float(stats.t.ppf(0.5 + level / 2, n - 1) * sd / math.sqrt(n)), n


def summarize(reps: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Mean and CI of every column of *reps* (a row per replication)."""
    rows = {}
    for col in reps.columns:
        if col == "replication":
            continue
        mean, hw, n = t_halfwidth(reps[col].to_numpy(dtype=float), level)
        rows[col] = {"mean": mean, "half_width": hw, "ci_low": mean - hw,
                     "ci_high": mean + hw, "n": n}
    out = pd.DataFrame.from_dict(rows, orient="index",
                                 columns=["mean", "half_width", "ci_low", "ci_high", "n"])
    out.index.name = "kpi"
    return out


class TableMean:
    """Mean of one per-replication table over replications, folded in replication order.

    The key columns (:data:`TABLE_KEYS`, plus any text column) are taken from the
    first replication; every other column is averaged over the replications where it
    is not ``NaN`` (like ``groupby().mean()``). Folding strictly in replication order
    makes the result independent of the order replications finished in. Memory: one
    running sum per averaged column, plus a count only for columns that had a ``NaN``.

    Parameters
    ----------
    name
        The table's name (``"intervals"`` or ``"agents"``).
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.keys = TABLE_KEYS.get(name, ())
        self.n = 0
        self.columns: tuple[str, ...] = ()
        self._keys: dict[str, Any] = {}
        self._sum: dict[str, np.ndarray] = {}
        self._count: dict[str, np.ndarray | None] = {}

    def add(self, table: Table, replication: int) -> None:
        """Fold replication *replication*'s table (must be the next one)."""
        if replication != self.n:
            raise ModelError(f"{self.name}: replication {replication} folded out of order "
                             f"(expected {self.n})")
        if self.n == 0:
            self.columns = table.columns
        elif table.columns != self.columns:
            raise ModelError(f"{self.name}: columns differ between replications "
                             f"({len(table.columns)} vs {len(self.columns)} columns)")
        for col, kind, values in zip(table.columns, table.kinds, table.data, strict=True):
            if kind == "str" or col in self.keys:
                if self.n == 0:  # a copy: a view would keep the whole first table alive
                    self._keys[col] = values.copy() if isinstance(values, np.ndarray) \
                        else list(values)
                continue
            values = np.asarray(values, dtype=np.float64)
            nan = np.isnan(values)
            has_nan = bool(nan.any())
            if self.n == 0:
                self._sum[col] = np.where(nan, 0.0, values) if has_nan else values.copy()
                self._count[col] = None
            else:
                if has_nan:
                    self._sum[col] += np.where(nan, 0.0, values)
                else:
                    self._sum[col] += values
            if has_nan and self._count[col] is None:
                self._count[col] = np.full(values.shape, self.n, dtype=np.int32)
            count = self._count[col]
            if count is not None:
                count += ~nan
        self.n += 1

    def result(self) -> pd.DataFrame:
        """The mean table (empty before the first replication)."""
        if self.n == 0:
            return pd.DataFrame()
        data: dict[str, Any] = {}
        for col in self.columns:
            if col in self._keys:
                data[col] = self._keys[col]
                continue
            count = self._count[col]
            if count is None:
                data[col] = self._sum[col] / self.n
            else:
                with np.errstate(invalid="ignore", divide="ignore"):
                    mean = self._sum[col] / np.maximum(count, 1)
                mean[count == 0] = np.nan
                data[col] = mean
        return pd.DataFrame(data, columns=list(self.columns), copy=False)


class TableSum(TableMean):
    """Sum of one per-replication table of counts over replications, folded in
    replication order (so the pooled counts do not depend on which replication
    finished first); whole-number columns stay whole numbers.

    Parameters
    ----------
    name
        The table's name (``"clock"``).
    """

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self._int: set[str] = set()

    def add(self, table: Table, replication: int) -> None:
        """Fold replication *replication*'s table (must be the next one)."""
        if self.n == 0:
            self._int = {c for c, k in zip(table.columns, table.kinds, strict=True)
                         if k == "int" and c not in self.keys}
        super().add(table, replication)

    def result(self) -> pd.DataFrame:
        """The summed table (empty before the first replication)."""
        if self.n == 0:
            return pd.DataFrame()
        data: dict[str, Any] = {}
        for col in self.columns:
            if col in self._keys:
                data[col] = self._keys[col]
            elif col in self._int:
                data[col] = self._sum[col].astype(np.int64)
            else:
                data[col] = self._sum[col].copy()
        return pd.DataFrame(data, columns=list(self.columns), copy=False)
