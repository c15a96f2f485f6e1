"""The run folder: one owner for everything written under ``--out``.

Owns the folder's layout, its manifest, the replication records and their atomic
writes, the scenario fingerprint that keeps one folder from mixing two scenarios'
results. Imports :mod:`callsim.io.records`, :mod:`callsim.compiled`, :mod:`callsim.errors`.

Checkpointed numbers are written as JSON, whose floats round-trip exactly (``NaN`` is
written as ``null``), so a resumed run gives exactly the figures of an uninterrupted one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import math
import os
import re
import threading
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from callsim.compiled import CompiledScenario
from callsim.errors import CallsimError
from callsim.io.records import CHECKPOINT_FORMAT, RepRecord

log = logging.getLogger(__name__)


class CheckpointError(CallsimError):
    """A run directory cannot be used: it holds another run's results, or is damaged."""




def _feed(h: Any, obj: Any) -> None:
    """Feed a canonical encoding of *obj* into hash *h* (stable across processes)."""
    if obj is None or isinstance(obj, bool | int | str):
        h.update(f"{type(obj).__name__}:{obj!r};".encode())
    elif isinstance(obj, float):
        h.update(f"float:{float(obj).hex()};".encode())
    elif isinstance(obj, np.ndarray):
        if obj.dtype == object:
            _feed(h, obj.tolist())
            return
        h.update(f"ndarray:{obj.dtype.str}:{obj.shape};".encode())
        h.update(np.ascontiguousarray(obj).tobytes())
    elif isinstance(obj, np.generic):
        _feed(h, obj.item())
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        h.update(f"{type(obj).__qualname__}{{".encode())
        for f in dataclasses.fields(obj):
            h.update(f"{f.name}=".encode())
            _feed(h, getattr(obj, f.name))
        h.update(b"}")
    elif isinstance(obj, list | tuple):
        h.update(f"{type(obj).__name__}[{len(obj)}:".encode())
        for item in obj:
            _feed(h, item)
        h.update(b"]")
    elif isinstance(obj, Mapping):
        h.update(f"map[{len(obj)}:".encode())
        for k, v in obj.items():
            _feed(h, k)
            _feed(h, v)
        h.update(b"]")
    elif isinstance(obj, set | frozenset):
        _feed(h, sorted(repr(x) for x in obj))
    elif hasattr(obj, "__dict__") or hasattr(type(obj), "__slots__"):
        names = list(getattr(obj, "__dict__", {}))
        for cls in type(obj).__mro__:
            slots = getattr(cls, "__slots__", ())
            names += [slots] if isinstance(slots, str) else list(slots)
        h.update(f"{type(obj).__qualname__}{{".encode())
        for name in sorted(set(names)):
            if name.startswith("__") or not hasattr(obj, name):
                continue
            h.update(f"{name}=".encode())
            _feed(h, getattr(obj, name))
        h.update(b"}")
    else:
        h.update(f"{type(obj).__qualname__}:{obj!r};".encode())


def fingerprint(cs: CompiledScenario) -> str:
    """SHA-256 of a canonical encoding of *cs* (every number, array and name in it).

    Two compiled scenarios have the same fingerprint exactly when they simulate the
    same thing; data read from files (empirical distributions, CSV profiles) is part
    of it, unlike a hash of the YAML text.
    """
    h = hashlib.sha256()
    _feed(h, cs)
    return h.hexdigest()




def _callsim_version() -> str:
    try:
        return metadata.version("callsim")
    except metadata.PackageNotFoundError:  # pragma: no cover - not installed
        return "unknown"


def atomic_write_text(path: Path, text: str) -> None:
    """Write *text* to *path* so that readers see the old file or the whole new one.

    The text goes to a temporary file beside *path*, which then replaces it
    (``os.replace``, atomic on POSIX and Windows).
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


_REP_FILE = re.compile(r"r(\d+)\.json")


def _dump(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), allow_nan=False)


def _write_record(fh: Any, rec: RepRecord) -> None:
    """Write ``rec.to_json()`` as compact JSON to *fh*, one table column at a time."""
    fh.write(_dump(rec.head_json())[:-1])
    fh.write(',"tables":{')
    for i, (name, table) in enumerate(rec.tables.items()):
        fh.write(("," if i else "") + _dump(name) + ":{")
        fh.write(f'"columns":{_dump(list(table.columns))},"kinds":{_dump(list(table.kinds))}')
        fh.write(',"data":[')
        for j, (kind, col) in enumerate(zip(table.kinds, table.data, strict=True)):
            if kind == "float":
                values: Any = [None if math.isnan(v) else v for v in col.tolist()]
            elif kind in ("int", "bool"):
                values = col.tolist()
            else:
                values = list(col)
            fh.write(("," if j else "") + _dump(values))
        fh.write("]}")
    fh.write("}}")


class CheckpointStore:
    """A run directory: ``manifest.json`` plus one ``reps/rNNNNNN.json`` per replication.

    Opening the store checks the manifest: a directory started by another scenario
    (another fingerprint) or another seed is refused with a :class:`CheckpointError`
    rather than mixed; a new directory gets a manifest before any replication.

    Parameters
    ----------
    root
        The directory (created if missing).
    cs
        The compiled scenario whose replications the directory holds.
    seed
        Root seed of the run.
    kind
        What the directory is for (``"batch"``, or ``"sweep-point"`` inside a sweep).
    extra
        More JSON-able facts for the manifest (e.g. a sweep point's overrides).
    """

    def __init__(self, root: Path | str, cs: CompiledScenario, seed: int,
                 kind: str = "batch", extra: Mapping[str, Any] | None = None) -> None:
        self.root = Path(root)
        self.reps_dir = self.root / "reps"
        self.manifest_path = self.root / "manifest.json"
        self.fingerprint = fingerprint(cs)
        self.seed = int(seed)
        self.scenario = cs.name
        self.kind = kind
        self._open(dict(extra or {}))

    def _refuse(self, why: str) -> CheckpointError:
        return CheckpointError(
            f"{self.root} {why}; it cannot take replications of scenario {self.scenario!r} "
            f"(fingerprint {self.fingerprint[:12]}) with seed {self.seed}. Use another "
            f"output directory, or delete {self.root} to start over."
        )

    def _open(self, extra: dict[str, Any]) -> None:
        if self.root.exists() and not self.root.is_dir():
            raise CheckpointError(f"{self.root} exists and is not a directory")
        if self.manifest_path.exists():
            try:
                m = json.loads(self.manifest_path.read_text(encoding="utf-8"))
                kind, fp, seed = m["kind"], m["fingerprint"], int(m["seed"])
                fmt = int(m.get("format", 0))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise CheckpointError(f"{self.manifest_path} is damaged ({exc}); delete "
                                      f"{self.root} to start over") from None
            if kind != self.kind:
                raise self._refuse(f"holds a callsim {kind!r} run, not a {self.kind!r} run")
            if fmt != CHECKPOINT_FORMAT:
                raise self._refuse(f"was written in checkpoint format {fmt} (this callsim "
                                   f"writes format {CHECKPOINT_FORMAT})")
            if fp != self.fingerprint:
                raise self._refuse(
                    f"holds results of another scenario ({m.get('scenario')!r}, "
                    f"fingerprint {str(fp)[:12]})")
            if seed != self.seed:
                raise self._refuse(f"holds results of the same scenario with seed {seed}")
            self.reps_dir.mkdir(exist_ok=True)
            return
        if self.kind == "batch" and (self.root / "sweep.json").exists():
            raise self._refuse("holds a callsim sweep (sweep.json)")
        if self.reps_dir.is_dir() and any(self.reps_dir.iterdir()):
            raise CheckpointError(f"{self.reps_dir} holds replications but {self.root} has "
                                  "no manifest.json, so whose they are is unknown; delete "
                                  f"{self.root} or use another output directory")
        self.reps_dir.mkdir(parents=True, exist_ok=True)
        manifest = {
            "format": CHECKPOINT_FORMAT, "kind": self.kind, "scenario": self.scenario,
            "fingerprint": self.fingerprint, "seed": self.seed,
            "callsim": _callsim_version(), **extra,
        }
        atomic_write_text(self.manifest_path, json.dumps(manifest, indent=2))

    def path(self, replication: int) -> Path:
        """The file of *replication*."""
        return self.reps_dir / f"r{replication:06d}.json"

    def finished(self) -> set[int]:
        """Replication numbers with a file in the directory."""
        out: set[int] = set()
        with os.scandir(self.reps_dir) as it:
            for entry in it:
                m = _REP_FILE.fullmatch(entry.name)
                if m:
                    out.add(int(m.group(1)))
        return out

    def load(self, replications: Iterable[int]) -> dict[int, RepRecord]:
        """Read the finished ones among *replications* (damaged files are skipped: rerun)."""
        done = self.finished()
        out: dict[int, RepRecord] = {}
        for r in replications:
            if r not in done:
                continue
            p = self.path(r)
            try:
                rec = RepRecord.from_json(json.loads(p.read_text(encoding="utf-8")))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.warning("%s is unreadable (%s); replication %d is run again", p, exc, r)
                continue
            if rec.replication != r or rec.seed != self.seed:
                raise CheckpointError(f"{p} holds replication {rec.replication} of seed "
                                      f"{rec.seed}, not replication {r} of seed {self.seed}")
            out[r] = rec
        return out

    def write(self, rec: RepRecord) -> Path:
        """Write *rec* atomically (temporary file, then rename); return its path.

        The JSON is the same as ``json.dumps(rec.to_json())`` but written a column at
        a time, so a long horizon's tables are never all in memory as Python objects.
        """
        p = self.path(rec.replication)
        tmp = p.with_name(f".{p.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            with open(tmp, "w", encoding="utf-8") as fh:
                _write_record(fh, rec)
            os.replace(tmp, p)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return p

    def write_meta(self, name: str, data: Mapping[str, Any]) -> Path:
        """Write a JSON side file *name* (e.g. stopping status) atomically."""
        p = self.root / name
        atomic_write_text(p, json.dumps(data, indent=2))
        return p
