"""The one JSON encoding of callsim's files: values, and tables a column at a time.

Owns how numbers become JSON and come back exactly: floats are written with Python's
shortest round-trip repr, ``NaN`` and infinities as ``null``, numpy scalars as Python
numbers; a :class:`~callsim.results.table.Table` is ``{"columns", "kinds", "data"}``
with one JSON list per column, streamed a column at a time so a long horizon's table
is never all in memory as Python objects. Imports :mod:`callsim.results.table`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from callsim.results.table import Table


def jsonable(v: Any) -> Any:
    """*v* with every non-finite float as ``None`` and numpy values as Python ones
    (mappings, lists and tuples are converted recursively)."""
    if isinstance(v, float | np.floating):
        f = float(v)
        return f if math.isfinite(f) else None
    if isinstance(v, np.integer | np.bool_):
        return v.item()
    if isinstance(v, np.ndarray):
        return jsonable(v.tolist())
    if isinstance(v, Mapping):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [jsonable(x) for x in v]
    return v


def dumps(obj: Any, indent: int | None = None) -> str:
    """Strict JSON of ``jsonable(obj)`` (compact unless *indent*); other objects
    (paths, ...) as their ``str``."""
    if indent is None:
        return json.dumps(jsonable(obj), separators=(",", ":"), allow_nan=False,
                          default=str)
    return json.dumps(jsonable(obj), indent=indent, allow_nan=False, default=str)


def _column(kind: str, col: Any) -> list[Any]:
    if kind == "float":
        return [None if math.isnan(v) else v for v in col.tolist()]
    if kind in ("int", "bool"):
        return list(col.tolist())
    return list(col)


def write_table(write: Callable[[str], Any], table: Table) -> None:
    """Stream ``table_to_json(table)`` as compact JSON through *write*."""
    write(f'{{"columns":{dumps(list(table.columns))},"kinds":{dumps(list(table.kinds))}')
    write(',"data":[')
    for j, (kind, col) in enumerate(zip(table.kinds, table.data, strict=True)):
        write(("," if j else "") + json.dumps(_column(kind, col), separators=(",", ":"),
                                              allow_nan=False))
    write("]}")


def table_to_json(table: Table) -> dict[str, Any]:
    """A JSON-able dict of *table* (``NaN`` → ``None``)."""
    return {"columns": list(table.columns), "kinds": list(table.kinds),
            "data": [_column(k, c) for k, c in zip(table.kinds, table.data, strict=True)]}


def table_from_json(d: Mapping[str, Any]) -> Table:
    """Inverse of :func:`table_to_json`."""
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
    return Table(tuple(d["columns"]), tuple(d["kinds"]), data)
