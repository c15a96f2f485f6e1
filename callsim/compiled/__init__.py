"""Compiled scenarios: what the engine runs on, in simulation seconds and indices.

The room between the description (:mod:`callsim.config`) and the engine: rates,
staffing change points, the menu by index, distributions built from their configs and
files (``sources``), the size guard run on every compiled scenario (``size``) and the
warnings about scenarios that run but are almost surely not meant (``sanity``).
Nothing here imports the engine.
"""

from callsim.compiled.clock import DAY
from callsim.compiled.rates import PiecewiseRate
from callsim.compiled.scenario import (
    CompiledCallType,
    CompiledPool,
    CompiledScenario,
    compile_scenario,
)
from callsim.compiled.size import (
    ScenarioTooLarge,
    SizeEstimate,
    allowing_large,
    check_size,
    estimate_size,
)

__all__ = [
    "DAY",
    "CompiledCallType",
    "CompiledPool",
    "CompiledScenario",
    "PiecewiseRate",
    "ScenarioTooLarge",
    "SizeEstimate",
    "allowing_large",
    "check_size",
    "compile_scenario",
    "estimate_size",
]
