"""A finished replication as it travels back from a worker and lies in a run folder.

Owns :class:`RepRecord` and its JSON form. Imports :mod:`callsim.results`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from callsim.results.replication import ReplicationResult
from callsim.results.table import Table

#: Version of the checkpoint files' layout (``manifest.json``, ``reps/r*.json``).
CHECKPOINT_FORMAT = 1


def _float_or_nan(v: Any) -> float:
    return math.nan if v is None else float(v)


@dataclass(slots=True)
class RepRecord:
    """What a finished replication hands back, and what a checkpoint file holds.

    Attributes
    ----------
    design
        Design key of the task.
    seed
        Root seed.
    replication
        Replication number.
    kpis
        :meth:`~callsim.results.ReplicationResult.flat_kpis` of the replication.
    tables
        ``"intervals"`` and ``"agents"`` tables.
    meta
        The result's JSON-able meta (number of calls, end time, ...).
    """

    design: str
    seed: int
    replication: int
    kpis: dict[str, float]
    tables: dict[str, Table]
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_result(cls, res: ReplicationResult, design: str, seed: int,
                    replication: int) -> RepRecord:
        """Condense *res* into a record."""
        meta = {k: v for k, v in res.meta.items() if isinstance(v, int | float | str | bool)}
        return cls(design, seed, replication, res.flat_kpis(),
                   {"intervals": Table.from_frame(res.intervals),
                    "agents": Table.from_frame(res.agents)}, meta)

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict (``NaN`` → ``None``; other floats exact)."""
        return {**self.head_json(),
                "tables": {k: t.to_json() for k, t in self.tables.items()}}

    def head_json(self) -> dict[str, Any]:
        """:meth:`to_json` without the tables."""
        return {
            "format": CHECKPOINT_FORMAT,
            "design": self.design,
            "seed": self.seed,
            "replication": self.replication,
            "kpis": {k: None if math.isnan(v) else v for k, v in self.kpis.items()},
            "meta": {k: None if isinstance(v, float) and math.isnan(v) else v
                     for k, v in self.meta.items()},
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> RepRecord:
        """Inverse of :meth:`to_json`."""
        return cls(str(d["design"]), int(d["seed"]), int(d["replication"]),
                   {k: _float_or_nan(v) for k, v in d["kpis"].items()},
                   {k: Table.from_json(t) for k, t in d["tables"].items()},
                   dict(d.get("meta", {})))
