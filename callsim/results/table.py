"""A column table that survives JSON exactly: the form per-replication tables travel in.

Owns :class:`Table` (columns, kinds, data) and its exact JSON encoding (floats
round-trip; ``NaN`` is ``null``). Imports nothing from callsim.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


@dataclass(slots=True)
class Table:
    """A column-oriented table that survives JSON exactly (one per replication table).

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

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict (``NaN`` → ``None``)."""
        cols = []
        for kind, col in zip(self.kinds, self.data, strict=True):
            if kind == "float":
                cols.append([None if math.isnan(v) else v for v in col.tolist()])
            elif kind in ("int", "bool"):
                cols.append(col.tolist())
            else:
                cols.append(list(col))
        return {"columns": list(self.columns), "kinds": list(self.kinds), "data": cols}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Table:
        """Inverse of :meth:`to_json`."""
        data: list[Any] = []
        for kind, col in zip(d["kinds"], d["data"], strict=True):
            if kind == "float":
                data.append(np.array(col, dtype=np.float64))  # None -> nan
            elif kind == "int":
                data.append(np.array(col, dtype=np.int64))
            elif kind == "bool":
                data.append(np.array(col, dtype=bool))
            else:
                data.append([str(v) for v in col])
        return cls(tuple(d["columns"]), tuple(d["kinds"]), data)
