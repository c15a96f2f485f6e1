"""A finished replication as it travels back from a worker and lies in a run folder.

Owns :class:`RepRecord`, its JSON form, and the checksum that makes a record on disk
trustworthy: a SHA-256 over the scenario fingerprint and the record's canonical JSON
(the text :func:`write_record` writes). A record whose content was changed (even into
other valid JSON), truncated, or written for another scenario fails
:func:`read_record` with a :class:`DamagedRecord`. Imports :mod:`callsim.results` and
:mod:`callsim.io.encoding`.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from callsim.io.encoding import dumps, table_from_json, table_to_json, write_table
from callsim.results.replication import ReplicationResult
from callsim.results.table import Table

#: Version of the run folder's layout and record format (``manifest.json``,
#: ``reps/r*.json``); 2 added the checksum and the clock-of-day counts.
CHECKPOINT_FORMAT = 2

#: The per-replication tables a record carries: averaged (``intervals``, ``agents``)
#: or summed (``clock``: the pooled counts of :mod:`callsim.results.clock`) by batches.
RECORD_TABLES = ("intervals", "agents", "clock")


class DamagedRecord(ValueError):
    """A record file that must not be used (unreadable, changed, or another scenario's)."""


def _float_or_nan(v: Any) -> float:
    return math.nan if v is None else float(v)


@dataclass(slots=True)
class RepRecord:
    """What a finished replication hands back, and what a record file holds.

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
        The :data:`RECORD_TABLES`.
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
                    "agents": Table.from_frame(res.agents),
                    "clock": Table.from_frame(res.clock_counts)}, meta)

    def head_json(self) -> dict[str, Any]:
        """The record's JSON without the tables (``NaN`` → ``None``)."""
        return {"format": CHECKPOINT_FORMAT, "design": self.design, "seed": self.seed,
                "replication": self.replication, "kpis": self.kpis, "meta": self.meta}

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict of the whole record (no checksum)."""
        return json.loads(dumps({**self.head_json(), "tables": {
            k: table_to_json(t) for k, t in self.tables.items()}}))

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> RepRecord:
        """Inverse of :meth:`to_json`."""
        return cls(str(d["design"]), int(d["seed"]), int(d["replication"]),
                   {k: _float_or_nan(v) for k, v in d["kpis"].items()},
                   {k: table_from_json(t) for k, t in d["tables"].items()},
                   dict(d.get("meta", {})))


def _body(write: Callable[[str], Any], rec: RepRecord) -> None:
    """The canonical JSON of *rec* without its closing brace, a column at a time."""
    write(dumps(rec.head_json())[:-1])
    write(',"tables":{')
    for i, (name, table) in enumerate(rec.tables.items()):
        write(("," if i else "") + dumps(name) + ":")
        write_table(write, table)
    write("}")


def _hasher(fingerprint: str) -> Any:
    h = hashlib.sha256()
    h.update(f"callsim-record:{fingerprint}\n".encode())
    return h


def checksum(rec: RepRecord, fingerprint: str) -> str:
    """SHA-256 (hex) of the scenario *fingerprint* and *rec*'s canonical JSON."""
    h = _hasher(fingerprint)
    _body(lambda s: h.update(s.encode()), rec)
    return str(h.hexdigest())


def write_record(write: Callable[[str], Any], rec: RepRecord, fingerprint: str) -> str:
    """Write *rec* as compact JSON with its ``checksum`` last; return the checksum.

    The JSON equals ``{**rec.to_json(), "checksum": ...}``; it is streamed a column at
    a time (a long horizon's tables are never all in memory as Python objects) and
    hashed as it goes.
    """
    h = _hasher(fingerprint)

    def both(s: str) -> None:
        h.update(s.encode())
        write(s)

    _body(both, rec)
    digest = str(h.hexdigest())
    write(f',"checksum":"{digest}"}}')
    return digest


def read_record(path: Path, fingerprint: str) -> RepRecord:
    """The record in *path*, if its checksum matches its content and *fingerprint*.

    Raises
    ------
    DamagedRecord
        Unreadable, not a record of this format, or a checksum that does not match
        (edited, truncated, or another scenario's record).
    """
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DamagedRecord(f"unreadable ({exc})") from None
    if not isinstance(doc, dict):
        raise DamagedRecord("not a JSON object")
    if doc.get("format") != CHECKPOINT_FORMAT:
        raise DamagedRecord(f"record format {doc.get('format')!r}, not {CHECKPOINT_FORMAT}")
    stored = doc.get("checksum")
    try:
        rec = RepRecord.from_json(doc)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise DamagedRecord(f"not a replication record ({exc!r})") from None
    if not isinstance(stored, str) or checksum(rec, fingerprint) != stored:
        raise DamagedRecord("its checksum does not match its content and scenario (the "
                            "file was changed, or written for another scenario)")
    return rec
