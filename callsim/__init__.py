"""callsim: discrete-event simulation of call-centre ACD/IVR routing, built on SimPy."""

from callsim.builders import erlang_scenario
from callsim.compare import Comparison, compare  # the function shadows the submodule name
from callsim.config import Scenario, load_scenario
from callsim.errors import CallsimError, ConfigError
from callsim.experiment import BatchResult, SweepResult, run_batch, run_batches, simulate, sweep
from callsim.metrics import ReplicationResult

__all__ = [
    "BatchResult",
    "CallsimError",
    "Comparison",
    "ConfigError",
    "ReplicationResult",
    "Scenario",
    "SweepResult",
    "compare",
    "erlang_scenario",
    "load_scenario",
    "run_batch",
    "run_batches",
    "simulate",
    "sweep",
]
__version__ = "0.1.0"
