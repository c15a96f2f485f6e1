"""Where work runs: in this process, on local worker processes, or on Dask.

Owns *how* tasks run: ``serial``, ``processes`` (a process pool with the spawn start
method) or ``dask``, and keeping the workers up across calls (:class:`Runner`: a
search or staffing plan that runs many batches starts its workers once). It knows
nothing of models or results: it maps a module-level function over picklable tasks
and yields the results in completion order (:mod:`callsim.experiment.batch` folds
them in replication order). Imports :mod:`callsim.errors` only.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import Any, TypeVar

from callsim.errors import CallsimError, ConfigError, Refusal

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


class BackendError(Refusal):
    """A backend that cannot be used here: Dask not installed, a scheduler not reached."""


#: The execution backends, in order of setup cost.
BACKENDS: tuple[str, ...] = ("serial", "processes", "dask")


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


def dask_missing_error() -> BackendError:
    """The error raised when the Dask backend is asked for but not installed."""
    return BackendError(
        "the dask backend needs Dask's distributed scheduler, which is not installed; "
        "install it with: pip install 'callsim[dask]'"
    )


class Runner:
    """Runs tasks on a backend and yields their results as they finish.

    The backend (worker processes or a Dask client) starts on the first :meth:`run`
    with work to do, and stays up across calls until :meth:`close` (use the runner as
    a context manager). Rounds of sequential stopping reuse it, and so do batches,
    sweeps and comparisons given the same runner (``run_batch(..., runner=r)``), so
    a search or a staffing plan starts its workers once.

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
        self.starts = 0
        """How many times worker processes or a Dask client were started."""

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

    def worker_pids(self) -> set[int]:
        """Process ids of the local worker processes now up (``processes`` backend)."""
        pool = self._pool
        return set((getattr(pool, "_processes", None) or {}) if pool is not None else ())

    def _start_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self.starts += 1
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
                raise BackendError(f"cannot reach the Dask scheduler at {sched}: {exc}"
                                   ) from None
            self._owned = [client]
        elif isinstance(sched, distributed.Client):
            client = sched
        else:  # a cluster object (LocalCluster, SpecCluster, ...)
            client = distributed.Client(sched)
            self._owned = [client]
        self._client = client
        self.starts += 1
        return client

    # ---------------------------------------------------------------------- running

    def run(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
        """Yield ``fn(task)`` of each of *tasks* as soon as it is finished (completion
        order). *fn* must be a module-level function (workers unpickle it by name).

        An error in a task is raised here, after the other queued tasks are cancelled.
        """
        if not tasks:
            return
        if self.backend == "serial":
            for t in tasks:
                yield fn(t)
        elif self.backend == "processes":
            yield from self._run_pool(fn, tasks)
        else:
            yield from self._run_dask(fn, tasks)

    def _run_pool(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
        pool = self._start_pool()
        pending: set[Future[R]] = set()
        try:
            pending = {pool.submit(fn, t) for t in tasks}
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

    def _run_dask(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
        import distributed

        client = self._start_client()
        futures = [client.submit(fn, t, pure=False) for t in tasks]
        try:
            for fut in distributed.as_completed(futures):
                yield fut.result()
        finally:
            client.cancel([f for f in futures if not f.done()])
