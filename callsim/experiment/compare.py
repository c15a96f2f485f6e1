"""Paired comparisons: designs run on the same callers, and their differences.

Owns :func:`compare` and the naming of designs. Imports
:mod:`callsim.experiment.batch`, :mod:`callsim.results` and :mod:`callsim.config`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from callsim.compiled import CompiledScenario
from callsim.config import Scenario, load_scenario
from callsim.errors import ConfigError
from callsim.experiment.batch import run_batches
from callsim.experiment.replication import ScenarioLike
from callsim.results.comparison import Comparison


def design_names(paths: Sequence[str | Path],
                 scenarios: Sequence[Scenario | CompiledScenario]) -> list[str]:
    """Unique display names: the scenario's name, or its file stem if names clash."""
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        names = [Path(p).stem for p in paths]
    if len(set(names)) != len(names):
        names = [f"{n}#{i + 1}" for i, n in enumerate(names)]
    return names


def compare(designs: Mapping[str, ScenarioLike] | Sequence[ScenarioLike], reps: int = 10,
            seed: int = 0, level: float = 0.95, **batch_kwargs: Any) -> Comparison:
    """Run each design with the same seed and replications; the first is the reference.

    Parameters
    ----------
    designs
        ``{"two-level": scenario_a, "one-level": scenario_b}`` (scenarios, compiled
        scenarios or YAML paths), or a list (named by their scenario names).
    reps
        Replications per design.
    seed
        Root seed shared by all designs (common random numbers).
    batch_kwargs
        Passed to :func:`~callsim.experiment.run_batches`: ``backend``, ``jobs``,
        ``scheduler`` or ``runner``, ``out`` (a comparison folder: each design's run
        folder in ``out/<design>``, the differences beside them), ``precision``,
        ``max_reps``, ``progress``. All designs share one pool of workers.
    """
    if isinstance(designs, Mapping):
        items = list(designs.items())
    else:
        loaded = [load_scenario(d) if isinstance(d, str | Path) else d for d in designs]
        paths = [str(d) if isinstance(d, str | Path) else f"design{i}"
                 for i, d in enumerate(designs)]
        items = list(zip(design_names(paths, loaded), loaded, strict=True))
    if len(items) < 1:
        raise ConfigError("compare needs at least one design")
    batches = run_batches(dict(items), reps=reps, seed=seed, level=level, **batch_kwargs)
    return Comparison(batches=batches, seed=seed, level=level)
