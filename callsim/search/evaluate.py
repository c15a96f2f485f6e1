"""Evaluating candidates: the one function every search batch goes through.

Owns :class:`Execution` (where replications run: backend, workers, Dask scheduler, and
the one persistent :class:`~callsim.experiment.backends.Runner` a whole search runs on,
:meth:`Execution.started`), :func:`evaluate` (a batch of candidate scenarios, each run
with the same seed and replication numbers: common random numbers), the seeds a search
uses and paired statistics. Imports :mod:`callsim.experiment` (``run_batches``,
``Runner``, ``t_halfwidth``, the progress protocol) and :mod:`callsim.config`; nothing in
the model layer, nothing of the UI (progress is shown through
:class:`~callsim.experiment.progress.Progress`).

Every batch of every search (calibration rounds, menu rounds, the final ranking and
selection) calls :func:`evaluate`, so a change of how batches run is made here once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from callsim.config import Scenario
from callsim.errors import ConfigError
from callsim.experiment import Runner, run_batches, t_halfwidth
from callsim.experiment.progress import Progress, Shared, make_progress

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
    """Where a search's replications run, and the display that follows them.

    Attributes
    ----------
    backend
        ``"serial"``, ``"processes"`` or ``"dask"``.
    jobs
        Worker processes / Dask workers (``None``: the backend's default).
    scheduler
        Dask only: a scheduler address or ``distributed.Client``.
    runner
        The persistent :class:`~callsim.experiment.backends.Runner` every batch runs on
        (its workers start once, at the first batch that needs them); set by
        :meth:`started`, or given by the caller (who then closes it).
    progress
        The search's progress display (set by :meth:`started`): every batch advances
        it a replication at a time.
    """

    backend: str = "serial"
    jobs: int | None = None
    scheduler: Any = None
    runner: Runner | None = None
    progress: Progress | None = None

    def batch_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of :func:`callsim.run_batches`: the runner if there is one,
        else the backend options (each batch then starts and stops its own workers),
        and the progress display."""
        shown: bool | Progress = (False if self.progress is None
                                  else Shared(self.progress, plan=False))
        if self.runner is not None:
            return {"runner": self.runner, "progress": shown}
        return {"backend": self.backend, "jobs": self.jobs, "scheduler": self.scheduler,
                "progress": shown}

    @contextlib.contextmanager
    def started(self, progress: bool | Progress | None = None, label: str = "search",
                planned: int = 0) -> Iterator[Execution]:
        """This execution for a whole search: bound to one :class:`Runner` (a new one,
        closed on leaving, or the runner already given, left open for its owner) and to
        one progress display (``progress`` as for :func:`callsim.run_batch`) whose total
        is *planned* replications."""
        with contextlib.ExitStack() as stack:
            runner = self.runner
            if runner is None:
                runner = stack.enter_context(Runner(self.backend, self.jobs, self.scheduler))
            bar = stack.enter_context(make_progress(progress, label))
            bar.extend(planned)
            yield dataclasses.replace(self, runner=runner, progress=bar)

    def expect(self, more: int) -> None:
        """Add *more* replications to the progress display's total."""
        if self.progress is not None:
            self.progress.extend(more)

    def say(self, text: str) -> None:
        """Show *text* as the progress display's label."""
        if self.progress is not None:
            self.progress.describe(text)


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
        Where batches run and what follows them (:meth:`Execution.batch_kwargs`).
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
    batches = run_batches(dict(candidates), reps=reps, seed=seed,
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
