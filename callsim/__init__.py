"""callsim: discrete-event simulation of call-centre ACD/IVR routing, built on SimPy.

The public API for notebooks and scripts: load a scenario, compile it once, simulate a
day, run batches, sweeps and paired comparisons. ``callsim.plots`` (the figures) is
imported on first use, so workers and scripts that draw nothing do not load matplotlib.
"""

from typing import Any

from callsim.compiled import CompiledScenario
from callsim.config import Scenario, load_scenario
from callsim.config.builders import erlang_scenario
from callsim.errors import CallsimError, ConfigError
from callsim.experiment import (
    compare,
    run_batch,
    run_batches,
    simulate,
    sweep,
)
from callsim.experiment import to_compiled as compile
from callsim.experiment.backends import Runner
from callsim.experiment.progress import set_progress_factory
from callsim.results import BatchResult, Comparison, ReplicationResult, SweepResult
from callsim.ui.progress import rich_progress

set_progress_factory(rich_progress)  # batches show rich's bar; experiment never imports ui

__all__ = [
    "BatchResult",
    "CallsimError",
    "Comparison",
    "CompiledScenario",
    "ConfigError",
    "ReplicationResult",
    "Runner",
    "Scenario",
    "SweepResult",
    "compare",
    "compile",
    "erlang_scenario",
    "load_scenario",
    "plots",
    "run_batch",
    "run_batches",
    "simulate",
    "sweep",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name == "plots":  # lazily: matplotlib is only needed by who draws
        from callsim.ui import plots

        return plots
    raise AttributeError(f"module 'callsim' has no attribute {name!r}")
