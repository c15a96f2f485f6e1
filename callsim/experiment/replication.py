"""One replication: the engine and its recorder wired together, and its results built.

Owns :func:`run_replication` (a pure function of the compiled scenario, seed and
replication number), :func:`compile` and :func:`simulate`. Imports :mod:`callsim.engine`,
:mod:`callsim.results`, :mod:`callsim.compiled` and :mod:`callsim.config`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from callsim.compiled import CompiledScenario, compile_scenario
from callsim.config import Scenario, load_scenario, with_overrides
from callsim.engine.model import Model
from callsim.engine.recorder import Recorder
from callsim.results.replication import ReplicationResult, replication_result
from callsim.rng import Streams


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
    tallies = Model(cs, Streams(seed, replication), recorder).run()
    res = replication_result(cs, tallies)
    res.meta.update(seed=seed, replication=replication, scenario=cs.name)
    return res


ScenarioLike = Scenario | CompiledScenario | str | Path


def to_compiled(scenario: ScenarioLike,
              overrides: Mapping[str, Any] | list[str] | None = None) -> CompiledScenario:
    if isinstance(scenario, CompiledScenario):
        if overrides:
            raise ValueError("overrides need a Scenario, not a CompiledScenario")
        return scenario
    if isinstance(scenario, str | Path):
        scenario = load_scenario(scenario, overrides)
    elif overrides:
        scenario = with_overrides(scenario, overrides)
    return compile_scenario(scenario)


def simulate(scenario: ScenarioLike, seed: int = 0, record_calls: bool = False,
             overrides: Mapping[str, Any] | list[str] | None = None,
             replication: int = 0) -> ReplicationResult:
    """Simulate one replication of *scenario*.

    Parameters
    ----------
    scenario
        A :class:`~callsim.config.Scenario`, a path to a YAML file, or a compiled scenario.
    seed
        Root seed; the same seed gives the same callers in every design.
    record_calls
        Keep one row per call in ``result.calls``.
    overrides
        Dotted-path what-ifs, e.g. ``{"pools.general.staffing.agents": 40}``.
    replication
        Which replication of the seed to run (0 = the first).
    """
    return run_replication(to_compiled(scenario, overrides), seed, replication, record_calls)
