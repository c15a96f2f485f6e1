"""Executing replications: backends, checkpoints and progress.

Owns *how* replications run: in this process (``serial``), on local worker processes
(``processes``) or on a Dask cluster (``dask``); how each finished replication is
checkpointed to a run directory (atomically) and read back when a run resumes; the
fingerprint that keeps one directory from mixing two scenarios' results; the progress
bar; and the order-preserving mean of the per-replication tables. Imports the model
layer (:mod:`callsim.model`, :mod:`callsim.metrics`, :mod:`callsim.rng`,
:mod:`callsim.scenario`) and :mod:`callsim.errors`; :mod:`callsim.experiment` builds
batches, sequential stopping and sweeps on top of it. Nothing here imports the
experiment layer.

Reproducibility: a replication's random streams depend only on (seed, replication)
(:class:`~callsim.rng.Streams`), and a :class:`Task` carries everything its
replication needs, so a task gives bit-identical numbers on every backend and worker
count. Results come back in completion order; whoever combines them folds them in
replication order (:class:`TableMean` refuses anything else), so the combined
figures do not depend on the backend either. Checkpointed numbers are written as
JSON, whose floats round-trip exactly (``NaN`` is written as ``null``), so a resumed
run gives exactly the figures of an uninterrupted one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import math
import multiprocessing
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import numpy as np
import pandas as pd
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from callsim.errors import CallsimError, ConfigError
from callsim.metrics import Recorder, ReplicationResult
from callsim.model import Model
from callsim.rng import Streams
from callsim.scenario import CompiledScenario

log = logging.getLogger(__name__)

Backend = Literal["serial", "processes", "dask"]
#: The execution backends, in order of setup cost.
BACKENDS: tuple[str, ...] = ("serial", "processes", "dask")

#: Version of the checkpoint files' layout (``manifest.json``, ``reps/r*.json``).
CHECKPOINT_FORMAT = 1

#: Columns that identify a row of each per-replication table (averaged over the others).
TABLE_KEYS: dict[str, tuple[str, ...]] = {
    "intervals": ("interval", "start", "clock", "call_type"),
    "agents": ("interval", "start", "clock", "pool"),
}


class CheckpointError(CallsimError):
    """A run directory cannot be used: it holds another run's results, or is damaged."""


# --------------------------------------------------------------------- one replication


def run_replication(cs: CompiledScenario, seed: int, replication: int,
                    record_calls: bool = False) -> ReplicationResult:
    """Simulate replication *replication* of *cs* with root seed *seed* (a pure function).

    Parameters
    ----------
    cs
        The compiled scenario.
    seed
        Root seed; with *replication* it fixes every random stream.
    replication
        Replication number, from 0.
    record_calls
        Keep one row per call in ``result.calls``.

    Returns
    -------
    ReplicationResult
        The replication's KPIs and tables; ``meta`` holds seed, replication, scenario.
    """
    recorder = Recorder(cs, record_calls)
    model = Model(cs, Streams(seed, replication), recorder)
    model.run()
    res = recorder.result([p.present_log for p in model.pools], model.n_created,
                          model.env.now)
    res.meta.update(seed=seed, replication=replication, scenario=cs.name)
    return res


@dataclass(frozen=True, slots=True)
class Task:
    """One replication to run: which design, its compiled scenario, seed and number.

    Attributes
    ----------
    design
        Key of the design the replication belongs to (``""`` for a single batch).
    scenario
        The compiled scenario to simulate.
    seed
        Root seed.
    replication
        Replication number, from 0.
    """

    design: str
    scenario: CompiledScenario
    seed: int
    replication: int


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
        :meth:`~callsim.metrics.ReplicationResult.flat_kpis` of the replication.
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


def execute(task: Task) -> RepRecord:
    """Run one task (a module-level function, so worker processes can unpickle it)."""
    res = run_replication(task.scenario, task.seed, task.replication)
    return RepRecord.from_result(res, task.design, task.seed, task.replication)


# --------------------------------------------------------------------------- backends


def _watch_parent(parent: int) -> None:  # pragma: no cover - runs in worker processes
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(1)  # the parent was killed (e.g. kill -9): do not linger as an orphan


def _worker_init(parent: int) -> None:  # pragma: no cover - runs in worker processes
    """Worker set-up: leave Ctrl-C to the parent; exit when the parent dies."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True,
                     name="callsim-parent-watch").start()


def default_jobs() -> int:
    """Worker count when none is given: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def dask_missing_error() -> CallsimError:
    """The error raised when the Dask backend is asked for but not installed."""
    return CallsimError(
        "the dask backend needs Dask's distributed scheduler, which is not installed; "
        "install it with: pip install 'callsim[dask]'"
    )


class Runner:
    """Runs :class:`Task` objects on a backend and yields their records as they finish.

    The backend (worker processes or a Dask client) starts on the first
    :meth:`run` with work to do, and stays up across calls until :meth:`close` (use
    the runner as a context manager), so rounds of sequential stopping reuse it.

    Parameters
    ----------
    backend
        ``"serial"`` (this process), ``"processes"`` (a
        :class:`~concurrent.futures.ProcessPoolExecutor` with the ``spawn`` start
        method; the global start method is left alone) or ``"dask"``.
    jobs
        Worker processes (``processes``) or workers of the local Dask cluster
        (``dask`` without *scheduler*). Default: the CPUs available.
    scheduler
        Dask only: an existing scheduler's address (``"tcp://host:port"``), or a
        ``distributed.Client`` to use as is. Default: start a
        ``distributed.LocalCluster`` with *jobs* single-threaded worker processes.
    """

    def __init__(self, backend: str = "serial", jobs: int | None = None,
                 scheduler: Any = None) -> None:
        if backend not in BACKENDS:
            raise ConfigError(f"backend {backend!r} is not known; use one of "
                              f"{', '.join(BACKENDS)}")
        if jobs is not None and jobs < 1:
            raise ConfigError(f"jobs: {jobs} is not allowed; it must be a whole number >= 1")
        if scheduler is not None and backend != "dask":
            raise ConfigError("a scheduler address is for the dask backend "
                              "(use backend='dask' / --backend dask)")
        if backend == "dask":
            try:
                import distributed  # noqa: F401
            except ImportError:
                raise dask_missing_error() from None
        self.backend = backend
        self.jobs = jobs
        self.scheduler = scheduler
        self._pool: ProcessPoolExecutor | None = None
        self._client: Any = None
        self._owned: list[Any] = []  # dask objects this runner started (closed in close())

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close(abort=exc is not None)

    @property
    def workers(self) -> int:
        """How many replications run at once."""
        if self.backend == "serial":
            return 1
        if self._client is not None:
            return max(1, sum(self._client.nthreads().values()))
        return self.jobs or default_jobs()

    def close(self, abort: bool = False) -> None:
        """Stop the worker processes / Dask objects this runner started.

        Parameters
        ----------
        abort
            Cancel queued work and stop workers now rather than letting them finish.
        """
        pool, self._pool = self._pool, None
        if pool is not None:
            if abort:
                procs = list((getattr(pool, "_processes", None) or {}).values())
                pool.shutdown(wait=False, cancel_futures=True)
                for p in procs:
                    if p.is_alive():
                        p.terminate()
            else:
                pool.shutdown(wait=True)
        client, self._client = self._client, None
        owned, self._owned = self._owned, []
        if client is not None:
            for obj in owned:  # client first, then the cluster
                try:
                    obj.close()
                except Exception:  # pragma: no cover - best effort at shutdown
                    log.debug("closing %r failed", obj, exc_info=True)

    def _start_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.jobs or default_jobs(),
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_worker_init, initargs=(os.getpid(),),
            )
        return self._pool

    def _start_client(self) -> Any:
        if self._client is not None:
            return self._client
        import dask
        import distributed

        sched = self.scheduler
        if sched is None:
            # the workers' statistical profiler samples the stack every 10 ms; on
            # pure-Python work it costs ~5 % of the throughput, and nobody looks at it
            with dask.config.set({"distributed.worker.profile.enabled": False}):
                cluster = distributed.LocalCluster(
                    n_workers=self.jobs or default_jobs(), threads_per_worker=1,
                    processes=True, dashboard_address=None, silence_logs=logging.ERROR,
                )
            client = distributed.Client(cluster)
            self._owned = [client, cluster]
        elif isinstance(sched, str):
            try:
                client = distributed.Client(sched, timeout="20s")
            except OSError as exc:
                raise CallsimError(f"cannot reach the Dask scheduler at {sched}: {exc}") from None
            self._owned = [client]
        elif isinstance(sched, distributed.Client):
            client = sched
        else:  # a cluster object (LocalCluster, SpecCluster, ...)
            client = distributed.Client(sched)
            self._owned = [client]
        self._client = client
        return client

    # ---------------------------------------------------------------------- running

    def run(self, tasks: Sequence[Task]) -> Iterator[RepRecord]:
        """Run *tasks*; yield each record as soon as it is finished (completion order).

        An error in a replication is raised here, after the other queued tasks are
        cancelled.
        """
        if not tasks:
            return
        if self.backend == "serial":
            for t in tasks:
                yield execute(t)
        elif self.backend == "processes":
            yield from self._run_pool(tasks)
        else:
            yield from self._run_dask(tasks)

    def _run_pool(self, tasks: Sequence[Task]) -> Iterator[RepRecord]:
        pool = self._start_pool()
        pending: set[Future[RepRecord]] = set()
        try:
            pending = {pool.submit(execute, t) for t in tasks}
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    yield fut.result()
        except BrokenProcessPool as exc:
            self.close(abort=True)
            raise CallsimError(f"a worker process died unexpectedly ({exc}); the "
                               "replications finished so far are kept") from None
        finally:
            for fut in pending:
                fut.cancel()

    def _run_dask(self, tasks: Sequence[Task]) -> Iterator[RepRecord]:
        import distributed

        client = self._start_client()
        futures = [client.submit(execute, t, pure=False) for t in tasks]
        try:
            for fut in distributed.as_completed(futures):
                yield fut.result()
        finally:
            client.cancel([f for f in futures if not f.done()])


# ------------------------------------------------------------------------ fingerprints


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


# ------------------------------------------------------------------------- checkpoints


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


# ------------------------------------------------------------------------- combining


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
            raise ValueError(f"{self.name}: replication {replication} folded out of order "
                             f"(expected {self.n})")
        if self.n == 0:
            self.columns = table.columns
        elif table.columns != self.columns:
            raise ValueError(f"{self.name}: columns differ between replications")
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


# -------------------------------------------------------------------------- progress


def in_notebook() -> bool:
    """Whether this runs in a Jupyter kernel."""
    return bool(Console(stderr=True).is_jupyter)


def progress_enabled(progress: bool | None) -> bool:
    """Resolve ``progress=None`` (auto): on in a terminal (stderr a TTY) or a notebook."""
    if progress is not None:
        return bool(progress)
    stream = sys.stderr
    if stream is None:
        return False
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    return tty or in_notebook()


class _RateColumn(ProgressColumn):
    """Replications per second."""

    def render(self, task: Any) -> Text:
        speed = task.finished_speed or task.speed
        if speed is None:
            return Text("– reps/s", style="progress.data.speed")
        return Text(f"{speed:,.1f} reps/s", style="progress.data.speed")


class ProgressBar:
    """A rich progress bar (count, rate, elapsed, ETA) on stderr, or nothing.

    Parameters
    ----------
    enabled
        ``False`` makes every method a no-op.
    description
        Text left of the bar.
    """

    def __init__(self, enabled: bool, description: str = "replications") -> None:
        self.enabled = enabled
        self.description = description
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> ProgressBar:
        if self.enabled:
            self._progress = Progress(
                TextColumn("[progress.description]{task.description}"), BarColumn(),
                MofNCompleteColumn(), _RateColumn(), TimeElapsedColumn(),
                TextColumn("ETA"), TimeRemainingColumn(),
                console=Console(stderr=True), transient=False,
            )
            self._progress.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def extend(self, more: int, already_done: int = 0) -> None:
        """Add *more* replications to the total, *already_done* of them finished (read)."""
        if self._progress is None:
            return
        if self._task is None:
            self._task = self._progress.add_task(self.description, total=more,
                                                 completed=already_done)
            return
        task = self._progress.tasks[self._task]
        self._progress.update(self._task, total=(task.total or 0) + more,
                              advance=already_done)

    def advance(self, n: int = 1) -> None:
        """*n* more replications finished."""
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, n)

    def describe(self, description: str) -> None:
        """Change the text left of the bar."""
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, description=description)
