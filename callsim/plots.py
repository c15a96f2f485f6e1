"""Figures (matplotlib): each function takes results and returns a Figure or draws on Axes.

Owns every picture callsim makes. No ``plt.show()``: callers decide where figures go.
Imports the experiment/compare result types only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from callsim.compare import Comparison


def _hours(start: object, clock_start: float = 0.0) -> object:
    return start


def comparison_day(comparison: Comparison, call_type: str = "all") -> Figure:
    """Answer rate by interval and mean waiting calls over the day, one line per design."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.2), layout="constrained")
    for name, batch in comparison.batches.items():
        iv = batch.intervals
        iv = iv[iv["call_type"] == call_type]
        hours = iv["start"].to_numpy() / 3600.0
        ax1.step(hours, 100 * iv["answer_rate"].to_numpy(), where="post", label=name)
        ax2.step(hours, iv["mean_queue"].to_numpy(), where="post", label=name)
    _clock_axis(ax1)
    _clock_axis(ax2)
    ax1.set_ylabel("answer rate (%)")
    ax1.set_title("Answer rate by arrival interval")
    ax2.set_ylabel("waiting calls (time-average)")
    ax2.set_title("Calls waiting over the day")
    ax1.legend(title="design")
    fig.suptitle(f"{' vs '.join(comparison.designs)} - {call_type} calls, mean of "
                 f"{_reps(comparison)} replications")
    return fig


def _reps(comparison: Comparison) -> int:
    first = next(iter(comparison.batches.values()))
    return len(first.replications)


def _clock_axis(ax: Axes) -> None:
    ax.set_xlabel("hours from start")
    ax.grid(True, alpha=0.3)
