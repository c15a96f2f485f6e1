"""Parameter sweeps: a grid of what-ifs, each run as a batch on the same callers.

Owns :func:`sweep`. Imports :mod:`callsim.experiment.batch`, :mod:`callsim.io.rundir`,
:mod:`callsim.config` and :mod:`callsim.compiled`.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from callsim.compiled import compile_scenario
from callsim.config import Scenario, load_scenario, with_overrides
from callsim.errors import ConfigError
from callsim.experiment.batch import _Design, _execute, _resolve_counts, parse_precision
from callsim.io.rundir import CheckpointError, CheckpointStore, atomic_write_text, fingerprint
from callsim.results.types import SweepResult


def sweep(scenario: Scenario | str | Path, grid: Mapping[str, Sequence[Any]],
          reps: int | None = 10, seed: int = 0, *,
          overrides: Mapping[str, Any] | list[str] | None = None,
          kpis: Sequence[str] | None = None, level: float = 0.95,
          backend: str = "serial", jobs: int | None = None, scheduler: Any = None,
          out: str | Path | None = None,
          precision: Mapping[str, float] | Iterable[str] | None = None,
          max_reps: int | None = None, progress: bool | None = None) -> SweepResult:
    """Run *scenario* at every point of a grid of overrides, with common random numbers.

    Parameters
    ----------
    scenario
        The base scenario (a :class:`~callsim.config.Scenario` or a YAML path).
    grid
        Dotted path → values, e.g. ``{"pools.agents.staffing.agents": range(8, 15)}``;
        every combination (cartesian product) is a grid point, applied with
        :func:`~callsim.config.with_overrides`.
    reps, seed, level, backend, jobs, scheduler, precision, max_reps, progress
        As for :func:`run_batch`; every grid point uses the same *seed* and
        replication numbers, so differences between points are not sampling noise in
        the callers. All grid points' replications share one pool of workers.
    overrides
        Fixed what-ifs applied before the grid.
    kpis
        KPIs in :attr:`SweepResult.table` (default: every overall KPI).
    out
        Checkpoint directory: grid point *i* is kept in ``out/points/<fingerprint>``
        (so a point shared by two grids is reused), ``out/sweep.json`` lists the grid.

    Returns
    -------
    SweepResult
    """
    if isinstance(scenario, str | Path):
        base = load_scenario(scenario, overrides)
    elif isinstance(scenario, Scenario):
        base = with_overrides(scenario, overrides)
    else:
        raise TypeError("sweep needs a Scenario or a YAML path (not a compiled scenario)")
    axes = {str(k): list(v) for k, v in grid.items()}
    if not axes:
        raise ConfigError("a sweep needs at least one path with values")
    for path, values in axes.items():
        if not values:
            raise ConfigError(f"sweep {path}: no values")
        seen = [json.dumps(v, sort_keys=True, default=str) for v in values]
        if len(set(seen)) != len(seen):
            raise ConfigError(f"sweep {path}: a value is listed twice ({values})")
    prec = parse_precision(precision)
    first, top = _resolve_counts(reps, prec, max_reps)
    points = [dict(zip(axes, combo, strict=True)) for combo in itertools.product(*axes.values())]
    root = Path(out) if out is not None else None
    if root is not None:
        _open_sweep_dir(root, base.name, seed, axes)
    states = []
    dirs = []
    for i, pt in enumerate(points):
        try:
            sc = with_overrides(base, pt)
        except ConfigError as exc:
            raise ConfigError(f"sweep point {_point_label(pt)}: {exc}") from None
        cs = compile_scenario(sc)
        store = None
        if root is not None:
            fp = fingerprint(cs)
            pdir = root / "points" / f"{fp[:16]}-s{seed}"
            store = CheckpointStore(pdir, cs, seed, kind="sweep-point",
                                    extra={"overrides": _jsonable(pt)})
            dirs.append(str(pdir.relative_to(root)))
        states.append(_Design(str(i), cs, seed, store))
    if kpis is not None:
        kpis = list(kpis)
    info = _execute(states, first, precision=prec, max_reps=top, level=level,
                    backend=backend, jobs=jobs, scheduler=scheduler, progress=progress,
                    label=f"{base.name}: {len(points)} points", kpis=kpis)
    batches = [d.result(level, info) for d in states]
    result = SweepResult(scenario=base.name, seed=seed, grid=axes, points=points,
                         batches=batches, kpis=kpis, level=level, info=info)
    if root is not None:
        doc = {"kind": "sweep", "scenario": base.name, "seed": seed, "grid": _jsonable(axes),
               "points": [{"overrides": _jsonable(pt), "dir": d,
                           "replications": len(b.replications),
                           **({"stopping": b.meta["stopping"]} if b.meta else {})}
                          for pt, d, b in zip(points, dirs, batches, strict=True)]}
        atomic_write_text(root / "sweep.json", json.dumps(doc, indent=2, default=str))
    return result


def _jsonable(v: Any) -> Any:
    return json.loads(json.dumps(v, default=str))


def _point_label(pt: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in pt.items())


def _open_sweep_dir(root: Path, name: str, seed: int, axes: dict[str, list[Any]]) -> None:
    if (root / "manifest.json").exists():
        raise CheckpointError(f"{root} holds a callsim batch run (manifest.json), not a "
                              "sweep; use another output directory")
    root.mkdir(parents=True, exist_ok=True)
