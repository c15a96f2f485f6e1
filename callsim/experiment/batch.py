"""Batches of replications with confidence intervals and sequential stopping.

Owns batches of replications (on any backend of :mod:`callsim.experiment.backends`,
with records in a run folder and sequential stopping to a precision target) and the
folding of finished replications in replication order. Imports
:mod:`callsim.experiment.backends`, :mod:`callsim.experiment.replication`,
:mod:`callsim.experiment.progress`, :mod:`callsim.io`, :mod:`callsim.results`; nothing
below imports it.

A batch is always replications ``0 .. n-1`` of one root seed; replication *r* gets the
same random streams whatever the backend or worker count, and replications are
combined in replication order, so a batch gives bit-identical figures serially, on
local processes and on Dask, uninterrupted or resumed from a checkpoint directory.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import math
import re
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from callsim.compiled import CompiledScenario
from callsim.errors import ConfigError, ModelError
from callsim.experiment.backends import Runner
from callsim.experiment.progress import Progress, make_progress
from callsim.experiment.replication import ScenarioLike, Task, execute, to_compiled
from callsim.io.records import RepRecord
from callsim.io.rundir import CheckpointStore, open_folder
from callsim.io.writers import write_batch, write_comparison
from callsim.results.clock import clock_table
from callsim.results.comparison import Comparison
from callsim.results.stats import TableMean, TableSum, t_halfwidth
from callsim.results.types import BatchResult

#: First round of a batch with a precision target, when no replication count is given.
DEFAULT_FIRST_ROUND = 10
#: Most replications of a batch with a precision target, when none is given.
DEFAULT_MAX_REPS = 1000


# --------------------------------------------------------------------- precision


def check_precision(precision: Mapping[str, Any] | None) -> dict[str, float]:
    """Precision targets ``{kpi: half-width}``, each a positive finite number.

    (The command line's ``KPI=H`` strings are parsed by :mod:`callsim.ui.options`.)

    Raises
    ------
    ConfigError
        On a half-width that is not a positive number, or targets not given as a
        mapping.
    """
    if precision is None:
        return {}
    if not isinstance(precision, Mapping):
        raise ConfigError(f"precision: {precision!r} is not allowed; give a mapping "
                          "{kpi: half_width}, e.g. {'answer_rate': 0.002}")
    out: dict[str, float] = {}
    for kpi, raw in precision.items():
        try:
            h = float(raw)
        except (TypeError, ValueError):
            raise ConfigError(f"precision {kpi}={raw!r}: the half-width must be a number, "
                              "e.g. answer_rate=0.002") from None
        if not h > 0 or math.isinf(h):
            raise ConfigError(f"precision {kpi}={raw}: the half-width must be > 0")
        out[str(kpi)] = h
    return out


def _check_kpis(names: Iterable[str], available: Sequence[str], what: str) -> None:
    for k in names:
        if k not in available:
            close = difflib.get_close_matches(k, available, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            overall = ", ".join(a for a in available if "." not in a)
            raise ConfigError(f"{what} {k!r}: no such KPI{hint} (overall KPIs: {overall}; "
                              "per type/pool: type.<name>.<kpi>, pool.<name>.<kpi>)")


# ------------------------------------------------------------------ batch engine


class _Design:
    """The state of one design while its replications run and are folded in order."""

    def __init__(self, key: str, cs: CompiledScenario, seed: int,
                 store: CheckpointStore | None, keep_tables: bool = False) -> None:
        self.key = key
        self.cs = cs
        self.task_cs = dataclasses.replace(cs, source=None)  # what workers need, no more
        self.seed = seed
        self.store = store
        self.rows: list[dict[str, float]] = []
        self.tables: dict[str, TableMean] = {}
        self.pending: dict[int, RepRecord] = {}
        self.planned = 0  # replications 0 .. planned-1 are done or under way
        self.target = 0
        self.loaded = 0
        self.ran = 0
        self.stopping: dict[str, Any] | None = None
        self.keep_tables = keep_tables
        self.kept: dict[str, list[pd.DataFrame]] = {}

    @property
    def folded(self) -> int:
        return len(self.rows)

    def add(self, rec: RepRecord) -> None:
        """Keep *rec*; fold every record that is next in replication order."""
        self.pending[rec.replication] = rec
        while self.folded in self.pending:
            r = self.pending.pop(self.folded)
            self.rows.append({"replication": r.replication, **r.kpis})
            for name, table in r.tables.items():
                if name not in self.tables:  # counts are pooled, tables of KPIs averaged
                    self.tables[name] = TableSum(name) if name == "clock" else TableMean(name)
                self.tables[name].add(table, r.replication)
                if self.keep_tables:
                    self.kept.setdefault(name, []).append(
                        table.to_frame().assign(replication=r.replication))

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows).set_index("replication")

    def result(self, level: float, info: dict[str, Any]) -> BatchResult:
        if self.pending or self.folded != self.target:
            raise ModelError(f"design {self.key!r}: {self.folded} replications folded, "
                             f"{self.target} planned")
        meta: dict[str, Any] = {"window": self.cs.horizon - self.cs.warmup}
        if self.stopping is not None:
            meta["stopping"] = self.stopping
        empty = TableMean("")
        return BatchResult(
            scenario=self.cs.name, seed=self.seed, replications=self.frame(),
            intervals=self.tables.get("intervals", empty).result(),
            agents=self.tables.get("agents", empty).result(),
            level=level, meta=meta,
            info={**info, "replications_read": self.loaded, "replications_run": self.ran,
                  **({"out": str(self.store.root)} if self.store else {})},
            clock=clock_table(self.tables.get("clock", empty).result()),
            per_replication={name: pd.concat(frames, ignore_index=True)
                             for name, frames in self.kept.items()},
        )


def _next_target(d: _Design, precision: dict[str, float], max_reps: int,
                 level: float, rounds: int) -> int:
    """Decide after a round: the design's new replication target (== planned: stop)."""
    n = d.folded
    df = d.frame()
    _check_kpis(precision, list(df.columns), "precision")
    hws = {k: t_halfwidth(df[k].to_numpy(dtype=float), level)[1] for k in precision}
    met = all(not math.isnan(hws[k]) and hws[k] <= h for k, h in precision.items())
    if met or n >= max_reps:
        if met:
            why = (f"precision reached after {n} replications: "
                   + ", ".join(f"{k} ± {hws[k]:.4g} <= {h:g}" for k, h in precision.items()))
        else:
            miss = [k for k, h in precision.items() if not hws[k] <= h]
            why = (f"max_reps ({max_reps}) reached before the precision target: "
                   + ", ".join(f"{k} ± {hws[k]:.4g} > {precision[k]:g}" for k in miss))
        d.stopping = {
            "rule": "precision", "met": met,
            "reason": "precision" if met else "max_reps",
            "targets": dict(precision),
            "half_widths": {k: None if math.isnan(v) else v for k, v in hws.items()},
            "replications": n, "rounds": rounds, "max_reps": max_reps, "level": level,
            "message": why,
        }
        return n
    need = n
    for k, h in precision.items():
        hw = hws[k]
        # half-width shrinks like 1/sqrt(n): aim 10 % past the estimate; unknown -> double
        need = max(need, 2 * n if math.isnan(hw) else math.ceil(1.1 * n * (hw / h) ** 2))
    return min(max_reps, max(n + 2, min(4 * n, need)))


@contextlib.contextmanager
def using_runner(runner: Runner | None, backend: str | None, jobs: int | None,
                 scheduler: Any) -> Iterator[Runner]:
    """*runner* (left running for the caller), or a new one for this call only."""
    if runner is not None:
        if backend is not None or jobs is not None or scheduler is not None:
            raise ConfigError("give either runner= (a Runner that already has its backend) "
                              "or backend=/jobs=/scheduler=, not both")
        yield runner
        return
    with Runner(backend or "serial", jobs, scheduler) as own:
        yield own


def _execute(designs: list[_Design], first: int, *, precision: dict[str, float],
             max_reps: int, level: float, runner: Runner, progress: bool | Progress | None,
             label: str, kpis: Sequence[str] | None = None) -> dict[str, Any]:
    """Run rounds of replications of *designs* until each has what it needs.

    KPI names (*precision*'s and *kpis*) are checked against the first replication
    that comes back, so a typo stops the run at once rather than after a round.
    """
    for d in designs:
        d.target = first
    checked = False

    def check(rec: RepRecord) -> None:
        nonlocal checked
        if not checked:
            names = list(rec.kpis)
            _check_kpis(precision, names, "precision")
            _check_kpis(kpis or (), names, "kpi")
            checked = True
    t0 = time.perf_counter()
    rounds = 0
    with make_progress(progress, label) as bar:
        while True:
            rounds += 1
            tasks: list[Task] = []
            by_key = {d.key: d for d in designs}
            read = 0
            for d in designs:
                todo = range(d.planned, d.target)
                have = d.store.load(todo) if d.store is not None else {}
                for r in todo:
                    if r in have:
                        check(have[r])
                        d.add(have[r])
                    else:
                        tasks.append(Task(d.key, d.task_cs, d.seed, r))
                d.loaded += len(have)
                read += len(have)
                d.planned = d.target
            bar.extend(len(tasks) + read, read)
            for rec in runner.run(execute, tasks):
                check(rec)
                d = by_key[rec.design]
                if d.store is not None:
                    d.store.write(rec)
                d.add(rec)
                d.ran += 1
                bar.advance()
            if not precision:
                break
            grew = False
            for d in designs:
                if d.stopping is None:
                    d.target = _next_target(d, precision, max_reps, level, rounds)
                    grew |= d.target > d.planned
            if not grew:
                break
    return {"backend": runner.backend, "workers": runner.workers, "rounds": rounds,
            "seconds": time.perf_counter() - t0}


def _resolve_counts(reps: int | None, precision: dict[str, float],
                    max_reps: int | None) -> tuple[int, int]:
    if reps is None:
        reps = DEFAULT_FIRST_ROUND if precision else 10
    if reps < 1:
        raise ConfigError(f"reps: {reps} is not allowed; it must be a whole number >= 1")
    if not precision:
        if max_reps is not None:
            raise ConfigError("max_reps (--max-reps) only applies with a precision target "
                              "(--precision KPI=H)")
        return reps, reps
    if reps < 2:
        raise ConfigError(f"with a precision target the first round needs at least 2 "
                          f"replications (reps={reps})")
    top = DEFAULT_MAX_REPS if max_reps is None else max_reps
    if top < reps:
        raise ConfigError(f"max_reps ({top}) is below the first round's reps ({reps})")
    return reps, top


def design_folders(root: Path, keys: Iterable[str]) -> dict[str, Path]:
    """The run folder of each design of a comparison folder *root* (refuses clashes)."""
    out: dict[str, Path] = {}
    seen: dict[str, str] = {}
    for key in keys:
        name = _safe_name(key)
        if name in seen:
            raise ConfigError(f"designs {seen[name]!r} and {key!r} would share the folder "
                              f"{root / name}; give them names that differ in letters or "
                              "digits")
        seen[name] = key
        out[key] = root / name
    return out


def run_batches(
    designs: Mapping[str, ScenarioLike], reps: int | None = 10, seed: int = 0,
    level: float = 0.95, *, backend: str | None = None, jobs: int | None = None,
    scheduler: Any = None, runner: Runner | None = None, out: str | Path | None = None,
    precision: Mapping[str, float] | None = None, max_reps: int | None = None,
    progress: bool | Progress | None = None, keep_tables: bool = False,
) -> dict[str, BatchResult]:
    """Run batches of several designs on one backend, with the same seed (common random numbers).

    Every design gets replications ``0 .. n-1`` of *seed*; all replications share one
    pool of workers. With *out*, the folder is a comparison folder (see
    :mod:`callsim.io.rundir`): design ``name`` is checkpointed in ``out/name`` and the
    paired differences from the first design are written beside them. The other
    parameters are as for :func:`run_batch`; with *precision*, each design stops on
    its own; with *keep_tables*, each batch keeps its per-replication tables
    (:attr:`BatchResult.per_replication`).

    Returns
    -------
    dict[str, BatchResult]
        Design name → its batch, in the order given.
    """
    if not designs:
        raise ConfigError("run_batches needs at least one design")
    prec = check_precision(precision)
    first, top = _resolve_counts(reps, prec, max_reps)
    compiled = {key: to_compiled(sc) for key, sc in designs.items()}
    root = Path(out) if out is not None else None
    folders: dict[str, Path] = {}
    if root is not None:
        folders = design_folders(root, compiled)
        open_folder(root, "comparison", seed,
                    {"designs": {k: f.name for k, f in folders.items()}})
    states = [_Design(key, cs, seed, CheckpointStore(folders[key], cs, seed) if root else None,
                      keep_tables)
              for key, cs in compiled.items()]
    with using_runner(runner, backend, jobs, scheduler) as r:
        info = _execute(states, first, precision=prec, max_reps=top, level=level, runner=r,
                        progress=progress, label=f"{len(states)} designs")
    out_batches = {d.key: d.result(level, info) for d in states}
    if root is not None:
        for key, batch in out_batches.items():
            batch.info["files"] = [str(p) for p in write_batch(batch, folders[key])]
        comp = Comparison(batches=out_batches, seed=seed, level=level)
        files = [str(p) for p in write_comparison(comp, root)]
        for batch in out_batches.values():
            batch.info["comparison_files"] = files
    return out_batches


def run_batch(scenario: ScenarioLike, reps: int | None = 10, seed: int = 0,
              overrides: Mapping[str, Any] | list[str] | None = None,
              level: float = 0.95, *, backend: str | None = None, jobs: int | None = None,
              scheduler: Any = None, runner: Runner | None = None,
              out: str | Path | None = None, precision: Mapping[str, float] | None = None,
              max_reps: int | None = None,
              progress: bool | Progress | None = None,
              keep_tables: bool = False) -> BatchResult:
    """Run replications ``0 .. reps-1`` of *scenario* with root seed *seed*.

    Parameters
    ----------
    scenario
        A :class:`~callsim.config.Scenario`, a YAML path, or a compiled scenario
        (``callsim.compile(...)``: nothing is compiled or read from files again).
    reps
        Replications; with *precision*, the size of the first round (default 10).
    seed
        Root seed.
    overrides
        Dotted-path what-ifs applied to *scenario* first.
    level
        Confidence level of the summary's intervals.
    backend
        ``"serial"`` (default), ``"processes"`` or ``"dask"`` (see
        :class:`~callsim.experiment.backends.Runner`); the figures are bit-identical on
        all of them.
    jobs
        Worker processes / Dask workers (default: the CPUs available).
    scheduler
        Dask only: ``"tcp://host:port"`` of a running scheduler, or a
        ``distributed.Client`` (default: a new ``LocalCluster``).
    runner
        A :class:`~callsim.experiment.backends.Runner` to run on instead of
        *backend*/*jobs*/*scheduler*: its workers stay up for the next call (a search
        or staffing plan starts them once). The caller closes it.
    out
        A run folder (see :mod:`callsim.io.rundir`): each finished replication is
        written to ``out/reps/`` as it completes, and the summary and CSV tables when
        the batch ends; rerunning the same call reads the replications instead of
        running them again, and gives exactly the same result. A folder holding another
        scenario's or seed's results is refused
        (:class:`~callsim.io.rundir.CheckpointError`).
    precision
        Sequential stopping: ``{"answer_rate": 0.002}``. Replications run in rounds
        until the confidence half-width of every named KPI is at most its target, or
        *max_reps* is reached; ``meta["stopping"]`` says which.
    max_reps
        Most replications with *precision* (default 1000).
    progress
        Show progress: ``None`` (default) a bar on stderr when it is a terminal or in
        a notebook; ``True``/``False``; or a
        :class:`~callsim.experiment.progress.Progress` of your own.
    keep_tables
        Keep every replication's interval, agent and clock tables in
        :attr:`BatchResult.per_replication` (long tables with a ``replication``
        column; replications read from *out* included), not only their means.

    Returns
    -------
    BatchResult
        With *out*, ``info["files"]`` lists the files written.
    """
    cs = to_compiled(scenario, overrides)
    prec = check_precision(precision)
    first, top = _resolve_counts(reps, prec, max_reps)
    store = CheckpointStore(Path(out), cs, seed) if out is not None else None
    d = _Design("", cs, seed, store, keep_tables)
    with using_runner(runner, backend, jobs, scheduler) as r:
        info = _execute([d], first, precision=prec, max_reps=top, level=level, runner=r,
                        progress=progress, label=cs.name)
    batch = d.result(level, info)
    if store is not None:
        batch.info["files"] = [str(p) for p in write_batch(batch, store.root)]
    return batch


def _safe_name(text: str) -> str:
    s = re.sub(r"[^A-Za-z0-9._=-]+", "_", str(text)).strip("._")
    return s or "design"
