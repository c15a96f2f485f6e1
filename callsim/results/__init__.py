"""Results: KPI definitions, one replication's tables, batches, comparisons, statistics.

Imports the engine's tally layout and outcome codes; never the experiment or UI layers.
"""

from callsim.results.comparison import Comparison
from callsim.results.replication import ReplicationResult
from callsim.results.stats import summarize, t_halfwidth
from callsim.results.types import BatchResult, SweepResult

__all__ = [
    "BatchResult",
    "Comparison",
    "ReplicationResult",
    "SweepResult",
    "summarize",
    "t_halfwidth",
]
