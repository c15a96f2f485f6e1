"""A column table: the form per-replication tables travel in from workers and lie in files.

Owns :class:`Table` (columns, kinds, data) and its conversion from and to DataFrames;
its JSON encoding is :mod:`callsim.io.encoding`'s. Imports nothing from callsim.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


@dataclass(slots=True)
class Table:
    """A column-oriented table with a kind per column (one per replication table).

    Attributes
    ----------
    columns
        Column names, in order.
    kinds
        Per column: ``"float"``, ``"int"``, ``"bool"`` or ``"str"``.
    data
        Per column: a numpy array (numbers) or a list of strings.
    """

    columns: tuple[str, ...]
    kinds: tuple[str, ...]
    data: list[Any]

    @classmethod
    def from_frame(cls, df: pd.DataFrame) -> Table:
        """The columns of *df* (its index is dropped).

        Numeric columns are views of *df*'s memory where pandas allows it (no copy):
        a long horizon's interval table is not held twice.
        """
        kinds: list[str] = []
        data: list[Any] = []
        for col in df.columns:
            s = df[col]
            kind = s.dtype.kind if isinstance(s.dtype, np.dtype) else "O"
            if kind == "f":
                kinds.append("float")
                data.append(s.to_numpy(dtype=np.float64))
            elif kind in "iu":
                kinds.append("int")
                data.append(s.to_numpy(dtype=np.int64))
            elif kind == "b":
                kinds.append("bool")
                data.append(s.to_numpy(dtype=bool))
            else:
                kinds.append("str")
                data.append([str(v) for v in s.tolist()])
        return cls(tuple(str(c) for c in df.columns), tuple(kinds), data)

    def to_frame(self) -> pd.DataFrame:
        """The table as a DataFrame."""
        return pd.DataFrame(dict(zip(self.columns, self.data, strict=True)),
                            columns=list(self.columns))
