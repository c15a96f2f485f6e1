"""Batches of replications with confidence intervals and sequential stopping.

Owns batches of replications (on any backend of :mod:`callsim.experiment.backends`,
with checkpoints in a run folder and sequential stopping to a precision target) and the
folding of finished replications in replication order. Imports
:mod:`callsim.experiment.backends`, :mod:`callsim.experiment.replication`,
:mod:`callsim.io`, :mod:`callsim.results`; nothing below imports it.

A batch is always replications ``0 .. n-1`` of one root seed; replication *r* gets the
same random streams whatever the backend or worker count, and replications are
combined in replication order, so a batch gives bit-identical figures serially, on
local processes and on Dask, uninterrupted or resumed from a checkpoint directory.
"""

from __future__ import annotations

import difflib
import math
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from callsim.compiled import CompiledScenario
from callsim.errors import ConfigError
from callsim.experiment.backends import Runner, Task
from callsim.experiment.progress import ProgressBar, progress_enabled
from callsim.experiment.replication import ScenarioLike, to_compiled
from callsim.io.records import RepRecord
from callsim.io.rundir import CheckpointStore
from callsim.results.stats import TableMean, t_halfwidth
from callsim.results.types import BatchResult

#: First round of a batch with a precision target, when no replication count is given.
DEFAULT_FIRST_ROUND = 10
#: Most replications of a batch with a precision target, when none is given.
DEFAULT_MAX_REPS = 1000


# --------------------------------------------------------------------- precision


def parse_precision(items: Mapping[str, float] | Iterable[str] | None) -> dict[str, float]:
    """Precision targets ``{kpi: half-width}`` from a mapping or ``"kpi=H"`` strings.

    Raises
    ------
    ConfigError
        On a malformed item or a half-width that is not a positive number.
    """
    if items is None:
        return {}
    pairs: list[tuple[str, Any]] = []
    if isinstance(items, Mapping):
        pairs = list(items.items())
    else:
        for text in items:
            kpi, sep, raw = str(text).partition("=")
            if not sep or not kpi.strip():
                raise ConfigError(f"--precision {text!r}: write KPI=HALF_WIDTH, e.g. "
                                  "answer_rate=0.002")
            pairs.append((kpi.strip(), raw.strip()))
    out: dict[str, float] = {}
    for kpi, raw in pairs:
        try:
            h = float(raw)
        except (TypeError, ValueError):
            raise ConfigError(f"--precision {kpi}={raw}: the half-width must be a number, "
                              "e.g. answer_rate=0.002") from None
        if not h > 0 or math.isinf(h):
            raise ConfigError(f"--precision {kpi}={raw}: the half-width must be > 0")
        out[kpi] = h
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
                 store: CheckpointStore | None) -> None:
        self.key = key
        self.cs = cs
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
                self.tables.setdefault(name, TableMean(name)).add(table, r.replication)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows).set_index("replication")

    def result(self, level: float, info: dict[str, Any]) -> BatchResult:
        if self.pending or self.folded != self.target:
            raise AssertionError(f"design {self.key!r}: {self.folded} replications folded, "
                                 f"{self.target} planned")
        meta: dict[str, Any] = {}
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
        )


def _next_target(d: _Design, precision: dict[str, float], max_reps: int,
                 level: float, rounds: int) -> int:
    """Decide after a round: the design's new replication target (== planned: stop)."""
    n = d.folded
    df = d.frame()
    _check_kpis(precision, list(df.columns), "--precision")
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


def _execute(designs: list[_Design], first: int, *, precision: dict[str, float],
             max_reps: int, level: float, backend: str, jobs: int | None, scheduler: Any,
             progress: bool | None, label: str,
             kpis: Sequence[str] | None = None) -> dict[str, Any]:
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
            _check_kpis(precision, names, "--precision")
            _check_kpis(kpis or (), names, "kpi")
            checked = True
    t0 = time.perf_counter()
    rounds = 0
    runner = Runner(backend, jobs, scheduler)
    bar = ProgressBar(progress_enabled(progress), label)
    with runner, bar:
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
                        tasks.append(Task(d.key, d.cs, d.seed, r))
                d.loaded += len(have)
                read += len(have)
                d.planned = d.target
            bar.extend(len(tasks) + read, read)
            for rec in runner.run(tasks):
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
        workers = runner.workers
    return {"backend": backend, "workers": workers, "rounds": rounds,
            "seconds": time.perf_counter() - t0}


def _resolve_counts(reps: int | None, precision: dict[str, float],
                    max_reps: int | None) -> tuple[int, int]:
    if reps is None:
        reps = DEFAULT_FIRST_ROUND if precision else 10
    if reps < 1:
        raise ValueError(f"reps must be >= 1 (got {reps})")
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


def run_batches(
    designs: Mapping[str, ScenarioLike], reps: int | None = 10, seed: int = 0,
    level: float = 0.95, *, backend: str = "serial", jobs: int | None = None,
    scheduler: Any = None, out: str | Path | None = None,
    precision: Mapping[str, float] | Iterable[str] | None = None,
    max_reps: int | None = None, progress: bool | None = None,
) -> dict[str, BatchResult]:
    """Run batches of several designs on one backend, with the same seed (common random numbers).

    Every design gets replications ``0 .. n-1`` of *seed*; all replications share one
    pool of workers. With *out*, design ``name`` is checkpointed in ``out/name``.
    The other parameters are as for :func:`run_batch`; with *precision*, each design
    stops on its own.

    Returns
    -------
    dict[str, BatchResult]
        Design name → its batch, in the order given.
    """
    if not designs:
        raise ValueError("run_batches needs at least one design")
    prec = parse_precision(precision)
    first, top = _resolve_counts(reps, prec, max_reps)
    states = []
    for key, sc in designs.items():
        cs = to_compiled(sc)
        store = CheckpointStore(Path(out) / _safe_name(key), cs, seed) if out else None
        states.append(_Design(key, cs, seed, store))
    info = _execute(states, first, precision=prec, max_reps=top, level=level,
                    backend=backend, jobs=jobs, scheduler=scheduler, progress=progress,
                    label=f"{len(states)} designs")
    return {d.key: d.result(level, info) for d in states}


def run_batch(scenario: ScenarioLike, reps: int | None = 10, seed: int = 0,
              overrides: Mapping[str, Any] | list[str] | None = None,
              level: float = 0.95, *, backend: str = "serial", jobs: int | None = None,
              scheduler: Any = None, out: str | Path | None = None,
              precision: Mapping[str, float] | Iterable[str] | None = None,
              max_reps: int | None = None, progress: bool | None = None) -> BatchResult:
    """Run replications ``0 .. reps-1`` of *scenario* with root seed *seed*.

    Parameters
    ----------
    scenario
        A :class:`~callsim.config.Scenario`, a YAML path, or a compiled scenario.
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
        :class:`~callsim.experiment.backends.Runner`); the figures are bit-identical on all of them.
    jobs
        Worker processes / Dask workers (default: the CPUs available).
    scheduler
        Dask only: ``"tcp://host:port"`` of a running scheduler, or a
        ``distributed.Client`` (default: a new ``LocalCluster``).
    out
        Checkpoint directory: each finished replication is written to
        ``out/reps/rNNNNNN.json`` as it completes; rerunning the same call reads them
        instead of running them again, and gives exactly the same result. A directory
        holding another scenario's or seed's replications is refused
        (:class:`~callsim.io.rundir.CheckpointError`).
    precision
        Sequential stopping: ``{"answer_rate": 0.002}`` or ``["answer_rate=0.002"]``.
        Replications run in rounds until the confidence half-width of every named KPI
        is at most its target, or *max_reps* is reached; ``meta["stopping"]`` says which.
    max_reps
        Most replications with *precision* (default 1000).
    progress
        Show a progress bar on stderr: ``None`` (default) when stderr is a terminal or
        in a notebook.

    Returns
    -------
    BatchResult
    """
    cs = to_compiled(scenario, overrides)
    prec = parse_precision(precision)
    first, top = _resolve_counts(reps, prec, max_reps)
    store = CheckpointStore(Path(out), cs, seed) if out is not None else None
    d = _Design("", cs, seed, store)
    info = _execute([d], first, precision=prec, max_reps=top, level=level, backend=backend,
                    jobs=jobs, scheduler=scheduler, progress=progress, label=cs.name)
    batch = d.result(level, info)
    if store is not None and batch.meta:
        store.write_meta("stopping.json", batch.meta)
    return batch


def _safe_name(text: str) -> str:
    s = re.sub(r"[^A-Za-z0-9._=-]+", "_", str(text)).strip("._")
    return s or "design"
