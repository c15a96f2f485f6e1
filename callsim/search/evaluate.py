"""Evaluating candidates: the one function every search batch goes through.

Owns :class:`Execution` (where replications run: backend, workers, Dask scheduler —
and, once the batch layer takes one, a persistent worker pool), :func:`evaluate` (a
batch of candidate scenarios, each run with the same seed and replication numbers:
common random numbers), the seeds a search uses, paired statistics and the search
progress bar. Imports :mod:`callsim.experiment` (``run_batches``, ``t_halfwidth``) and
:mod:`callsim.config`; nothing in the model layer.

Every batch of every search (calibration rounds, menu rounds, the final ranking and
selection) calls :func:`evaluate`, so a change of how batches run is made here once.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from callsim.config import Scenario
from callsim.errors import ConfigError
from callsim.experiment import run_batches, t_halfwidth

#: Spawn key that derives a search's seed from the user's seed.
_SEARCH_STREAM = 0x5EA4C4


def search_seed(seed: int) -> int:
    """The root seed of the search rounds, derived from the user's *seed*.

    The final ranking and selection runs on *seed* itself, so its replications are
    independent of those the search chose on (no winner's curse in the reported CIs),
    and ``callsim compare INPUT BEST --seed SEED`` reproduces its figures exactly.
    """
    state = np.random.SeedSequence([int(seed), _SEARCH_STREAM]).generate_state(1)
    return int(state[0] >> 1)


@dataclass(frozen=True)
class Execution:
    """Where a search's replications run (passed to every batch unchanged).

    Attributes
    ----------
    backend
        ``"serial"``, ``"processes"`` or ``"dask"``.
    jobs
        Worker processes / Dask workers (``None``: the backend's default).
    scheduler
        Dask only: a scheduler address or ``distributed.Client``.
    extra
        Further keyword arguments of :func:`callsim.run_batches` (e.g. a persistent
        ``runner=`` once the batch layer accepts one): passed through as they are.
    """

    backend: str = "serial"
    jobs: int | None = None
    scheduler: Any = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def batch_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of :func:`callsim.run_batches`."""
        return {"backend": self.backend, "jobs": self.jobs, "scheduler": self.scheduler,
                **dict(self.extra)}


def execution_from_options(backend: str | None, jobs: int | None,
                           scheduler: Any = None) -> Execution:
    """An :class:`Execution` from the CLI's ``--backend/--jobs/--scheduler``: processes
    when ``--jobs`` > 1, Dask with a scheduler, else serial (as ``callsim run`` does)."""
    if jobs is not None and jobs < 1:
        raise ConfigError(f"--jobs: {jobs} is not allowed; it must be a whole number >= 1")
    if backend is None:
        backend = ("dask" if scheduler else
                   "processes" if jobs is not None and jobs > 1 else "serial")
    if scheduler and backend != "dask":
        raise ConfigError(f"--scheduler needs --backend dask (not {backend})")
    return Execution(backend=backend, jobs=jobs, scheduler=scheduler)


@dataclass
class Counter:
    """Replications and wall time spent by a search (all batches)."""

    batches: int = 0
    candidates: int = 0
    replications: int = 0
    seconds: float = 0.0


def evaluate(candidates: Mapping[str, Scenario], reps: int, seed: int,
             execution: Execution, counter: Counter | None = None) -> dict[str, pd.DataFrame]:
    """Run each candidate for replications ``0 .. reps-1`` of *seed* (common random numbers).

    Parameters
    ----------
    candidates
        Name → scenario; all run on one pool of workers.
    reps, seed
        Replications per candidate and their root seed: every candidate sees the same
        callers, so differences between candidates are paired.
    execution
        Backend options, passed to :func:`callsim.run_batches` unchanged.
    counter
        Adds this batch's replications and time.

    Returns
    -------
    dict[str, pandas.DataFrame]
        Name → one row per replication (indexed by replication number), one column per KPI.
    """
    if not candidates:
        return {}
    t0 = time.perf_counter()
    batches = run_batches(dict(candidates), reps=reps, seed=seed, progress=False,
                          **execution.batch_kwargs())
    if counter is not None:
        counter.batches += 1
        counter.candidates += len(candidates)
        counter.replications += reps * len(candidates)
        counter.seconds += time.perf_counter() - t0
    return {k: b.replications for k, b in batches.items()}


@dataclass(frozen=True)
class Paired:
    """Mean of paired differences (design − reference) with a Student-t CI."""

    mean: float
    half_width: float
    n: int

    @property
    def low(self) -> float:
        """Lower end of the CI."""
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        """Upper end of the CI."""
        return self.mean + self.half_width

    @property
    def significant(self) -> bool:
        """True when the CI excludes 0."""
        return self.n >= 2 and (self.low > 0 or self.high < 0)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"difference": _clean(self.mean), "half_width": _clean(self.half_width),
                "ci_low": _clean(self.low), "ci_high": _clean(self.high), "n": self.n,
                "significant": self.significant}


def paired(design: np.ndarray, reference: np.ndarray, level: float = 0.95) -> Paired:
    """Paired difference of two per-replication arrays (same replication numbers)."""
    d = np.asarray(design, dtype=float) - np.asarray(reference, dtype=float)
    d = d[~np.isnan(d)]
    mean, hw, n = t_halfwidth(d, level)
    if n >= 2 and np.all(d == d[0]):
        hw = 0.0
    return Paired(mean, hw, n)


def mean_ci(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Mean and CI half-width of per-replication values."""
    mean, hw, _ = t_halfwidth(np.asarray(values, dtype=float), level)
    return mean, hw


def _clean(v: float) -> float | None:
    return None if not math.isfinite(v) else float(v)


class SearchProgress:
    """A rich progress bar of candidates evaluated (stderr; off when not wanted)."""

    def __init__(self, enabled: bool, description: str, total: int) -> None:
        self.enabled = enabled
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self.description = description
        self.total = total

    def __enter__(self) -> SearchProgress:
        if self.enabled:
            self._progress = Progress(
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[status]}"), TimeElapsedColumn(),
                console=Console(stderr=True), transient=False)
            self._progress.__enter__()
            self._task = self._progress.add_task(self.description, total=self.total,
                                                 status="")
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._progress is not None:
            self._progress.__exit__(exc_type, exc, tb)

    def advance(self, n: int, status: str = "") -> None:
        """Count *n* more candidates done; show *status* (e.g. the best so far)."""
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, advance=n, status=status)

    def grow(self, total: int) -> None:
        """Change the planned number of candidates."""
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, total=total)


def progress_wanted(progress: bool | None) -> bool:
    """Show a bar: as asked, or (``None``) when stderr is a terminal."""
    if progress is not None:
        return progress
    return Console(stderr=True).is_terminal
