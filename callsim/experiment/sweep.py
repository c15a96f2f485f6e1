"""Parameter sweeps: a grid of what-ifs, each run as a batch on the same callers.

Owns :func:`sweep`. Imports :mod:`callsim.experiment.batch`, :mod:`callsim.io`,
:mod:`callsim.config` and :mod:`callsim.compiled`.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from callsim.config import with_overrides
from callsim.errors import ConfigError
from callsim.experiment.backends import Runner
from callsim.experiment.batch import (
    _Design,
    _execute,
    _resolve_counts,
    check_precision,
    using_runner,
)
from callsim.experiment.progress import Progress
from callsim.experiment.replication import ScenarioLike, source_scenario, to_compiled
from callsim.io.encoding import jsonable
from callsim.io.fingerprint import fingerprint
from callsim.io.rundir import POINTS, CheckpointStore, open_folder
from callsim.io.writers import write_batch, write_sweep
from callsim.results.types import SweepResult


def sweep(scenario: ScenarioLike, grid: Mapping[str, Sequence[Any]],
          reps: int | None = 10, seed: int = 0, *,
          overrides: Mapping[str, Any] | list[str] | None = None,
          kpis: Sequence[str] | None = None, level: float = 0.95,
          backend: str | None = None, jobs: int | None = None, scheduler: Any = None,
          runner: Runner | None = None, out: str | Path | None = None,
          precision: Mapping[str, float] | None = None, max_reps: int | None = None,
          progress: bool | Progress | None = None) -> SweepResult:
    """Run *scenario* at every point of a grid of overrides, with common random numbers.

    Parameters
    ----------
    scenario
        The base scenario: a :class:`~callsim.config.Scenario`, a YAML path, or a
        compiled scenario (its source scenario takes the overrides). Each grid point is
        compiled once.
    grid
        Dotted path → values, e.g. ``{"pools.agents.staffing.agents": range(8, 15)}``;
        every combination (cartesian product) is a grid point, applied with
        :func:`~callsim.config.with_overrides`.
    reps, seed, level, backend, jobs, scheduler, runner, precision, max_reps, progress
        As for :func:`run_batch`; every grid point uses the same *seed* and
        replication numbers, so differences between points are not sampling noise in
        the callers. All grid points' replications share one pool of workers.
    overrides
        Fixed what-ifs applied before the grid.
    kpis
        KPIs in :attr:`SweepResult.table` (default: every overall KPI).
    out
        A sweep folder (see :mod:`callsim.io.rundir`): grid point *i* is a run folder
        ``out/points/<fingerprint>-s<seed>`` (so a point shared by two grids is
        reused); ``sweep.csv`` and ``sweep.json`` list the grid and its results.

    Returns
    -------
    SweepResult
    """
    base = source_scenario(scenario, overrides)
    axes = {str(k): list(v) for k, v in grid.items()}
    if not axes:
        raise ConfigError("a sweep needs at least one path with values")
    for path, values in axes.items():
        if not values:
            raise ConfigError(f"sweep {path}: no values")
        seen = [json.dumps(v, sort_keys=True, default=str) for v in values]
        if len(set(seen)) != len(seen):
            raise ConfigError(f"sweep {path}: a value is listed twice ({values})")
    prec = check_precision(precision)
    first, top = _resolve_counts(reps, prec, max_reps)
    points = [dict(zip(axes, combo, strict=True)) for combo in itertools.product(*axes.values())]
    root = Path(out) if out is not None else None
    if root is not None:
        open_folder(root, "sweep", seed, {"scenario": base.name})
    states = []
    dirs = []
    for i, pt in enumerate(points):
        try:
            cs = to_compiled(with_overrides(base, pt))
        except ConfigError as exc:
            raise ConfigError(f"sweep point {_point_label(pt)}: {exc}") from None
        store = None
        if root is not None:
            pdir = root / POINTS / f"{fingerprint(cs)[:16]}-s{seed}"
            store = CheckpointStore(pdir, cs, seed, extra={"overrides": jsonable(pt)})
            dirs.append(str(pdir.relative_to(root)))
        states.append(_Design(str(i), cs, seed, store))
    if kpis is not None:
        kpis = list(kpis)
    with using_runner(runner, backend, jobs, scheduler) as r:
        info = _execute(states, first, precision=prec, max_reps=top, level=level, runner=r,
                        progress=progress, label=f"{base.name}: {len(points)} points",
                        kpis=kpis)
    batches = [d.result(level, info) for d in states]
    result = SweepResult(scenario=base.name, seed=seed, grid=axes, points=points,
                         batches=batches, kpis=kpis, level=level, info=info)
    if root is not None:
        for d, batch in zip(states, batches, strict=True):
            if d.store is not None:
                batch.info["files"] = [str(p) for p in write_batch(batch, d.store.root)]
        result.info["files"] = [str(p) for p in write_sweep(result, root, dirs)]
    return result


def _point_label(pt: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in pt.items())
