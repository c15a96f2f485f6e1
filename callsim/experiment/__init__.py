"""Experiments: one replication, batches, sweeps and comparisons on any backend.

Imports the engine, results and io layers; the UI layer sits on top.
"""

from callsim.experiment.batch import parse_precision, run_batch, run_batches
from callsim.experiment.compare import compare
from callsim.experiment.replication import (
    ScenarioLike,
    run_replication,
    simulate,
    to_compiled,
)
from callsim.experiment.sweep import sweep
from callsim.results.stats import summarize, t_halfwidth

__all__ = [
    "ScenarioLike",
    "compare",
    "parse_precision",
    "run_batch",
    "run_batches",
    "run_replication",
    "simulate",
    "summarize",
    "sweep",
    "t_halfwidth",
    "to_compiled",
]
