"""Experiments: one replication, batches, sweeps and comparisons on any backend.

Imports the engine, results and io layers; never the UI (progress is reported through
:class:`~callsim.experiment.progress.Progress`, which the public API fills with the
UI's bar).
"""

from callsim.experiment.backends import Runner
from callsim.experiment.batch import check_precision, run_batch, run_batches
from callsim.experiment.compare import compare
from callsim.experiment.progress import NoProgress, Progress
from callsim.experiment.replication import (
    ScenarioLike,
    run_replication,
    simulate,
    to_compiled,
)
from callsim.experiment.sweep import sweep
from callsim.results.stats import summarize, t_halfwidth

__all__ = [
    "NoProgress",
    "Progress",
    "Runner",
    "ScenarioLike",
    "check_precision",
    "compare",
    "run_batch",
    "run_batches",
    "run_replication",
    "simulate",
    "summarize",
    "sweep",
    "t_halfwidth",
    "to_compiled",
]
