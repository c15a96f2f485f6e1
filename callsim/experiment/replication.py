"""One replication: the engine and its recorder wired together, and its results built.

Owns :func:`run_replication` (a pure function of the compiled scenario, seed and
replication number), the :class:`Task` a worker runs and its record (:func:`execute`),
:func:`to_compiled` (public as ``callsim.compile``) and :func:`simulate`. Imports
:mod:`callsim.engine`, :mod:`callsim.results`, :mod:`callsim.io.records`,
:mod:`callsim.compiled` and :mod:`callsim.config`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from callsim.compiled import CompiledScenario, check_size, compile_scenario
from callsim.config import Scenario, load_scenario, with_overrides
from callsim.engine.model import Model
from callsim.engine.recorder import Recorder
from callsim.errors import ConfigError
from callsim.io.records import RepRecord
from callsim.results.replication import ReplicationResult, replication_result
from callsim.rng import Streams


def run_replication(cs: CompiledScenario, seed: int, replication: int,
                    record_calls: bool = False, allow_large: bool = False) -> ReplicationResult:
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
    allow_large
        Run even if the per-call records would pass the memory limit (size guard).

    Returns
    -------
    ReplicationResult
        The replication's KPIs and tables; ``meta`` holds seed, replication, scenario.
    """
    if record_calls:  # the size guard (config room); compiling checked the rest
        check_size(cs, record_calls=True, allow_large=allow_large)
    recorder = Recorder(cs, record_calls)
    tallies = Model(cs, Streams(seed, replication), recorder).run()
    res = replication_result(cs, tallies)
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
        The compiled scenario to simulate (everything the replication needs: no file
        is read in the worker).
    seed
        Root seed.
    replication
        Replication number, from 0.
    """

    design: str
    scenario: CompiledScenario
    seed: int
    replication: int


def execute(task: Task) -> RepRecord:
    """Run one task and condense its result into a record (module-level, so worker
    processes can unpickle it)."""
    res = run_replication(task.scenario, task.seed, task.replication)
    return RepRecord.from_result(res, task.design, task.seed, task.replication)


ScenarioLike = Scenario | CompiledScenario | str | Path
"""What the run functions take: a scenario, a YAML path, or a compiled scenario."""


def source_scenario(scenario: Scenario | CompiledScenario | str | Path,
                    overrides: Mapping[str, Any] | list[str] | None = None) -> Scenario:
    """The validated :class:`~callsim.config.Scenario` behind *scenario* (a compiled
    scenario's source), with *overrides* applied."""
    if isinstance(scenario, CompiledScenario):
        if scenario.source is None:
            raise ConfigError("this compiled scenario does not know the scenario it was "
                              "compiled from, so overrides or a sweep cannot be applied to "
                              "it; pass the Scenario (or its file) instead")
        scenario = scenario.source
    if isinstance(scenario, str | Path):
        return load_scenario(scenario, overrides)
    return with_overrides(scenario, overrides) if overrides else scenario


def to_compiled(scenario: ScenarioLike,
                overrides: Mapping[str, Any] | list[str] | None = None,
                allow_large: bool = False) -> CompiledScenario:
    """Compile *scenario* once (public as ``callsim.compile``): the result runs any
    number of replications, batches and searches without reading a file again.

    A compiled scenario is returned as it is (no overrides), or recompiled from its
    source with *overrides*. *allow_large* goes past the size guard
    (:mod:`callsim.compiled.size`).
    """
    if isinstance(scenario, CompiledScenario) and not overrides:
        return scenario
    return compile_scenario(source_scenario(scenario, overrides), allow_large=allow_large)


def simulate(scenario: ScenarioLike, seed: int = 0, record_calls: bool = False,
             overrides: Mapping[str, Any] | list[str] | None = None,
             replication: int = 0, allow_large: bool = False) -> ReplicationResult:
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
    allow_large
        Run even above the size guard's limits (calls, agents, memory).
    """
    return run_replication(to_compiled(scenario, overrides, allow_large), seed, replication,
                           record_calls, allow_large)
