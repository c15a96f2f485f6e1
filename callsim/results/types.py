"""What batches and sweeps return: replications, their summary and mean tables.

Owns :class:`BatchResult` and :class:`SweepResult`. Imports :mod:`callsim.results.stats`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from callsim.results.stats import summarize


@dataclass
class BatchResult:
    """Replications of one scenario.

    Attributes
    ----------
    replications
        One row per replication, one column per KPI (overall, ``type.*``, ``pool.*``).
    summary
        Indexed by KPI: ``mean``, ``half_width``, ``ci_low``, ``ci_high``, ``n`` (95 %).
    intervals
        Interval table averaged over replications (means only).
    agents
        Agent table averaged over replications.
    meta
        Facts about the results that a rerun reproduces: ``meta["window"]``, the
        seconds measured per replication (the horizon less the warm-up: what counts
        such as ``answered`` are counted over); with a precision target,
        ``meta["stopping"]`` says whether the target was met or ``max_reps`` reached.
    info
        How this run went (backend, workers, replications read from a run folder or
        run, wall time, files written); not part of the results.
    clock
        Clock-of-day KPIs: one row per clock interval (``HH:MM``) × call type (and
        ``all``), pooled over days and replications; rates are ratios of pooled
        counts (see :mod:`callsim.results.clock`).
    per_replication
        With ``keep_tables=True``: each replication's tables (``intervals``, ``agents``,
        ``clock``), long, with a ``replication`` column, in replication order; else
        empty.
    """

    scenario: str
    seed: int
    replications: pd.DataFrame
    intervals: pd.DataFrame
    agents: pd.DataFrame
    level: float = 0.95
    meta: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    clock: pd.DataFrame = field(default_factory=pd.DataFrame, compare=False, repr=False)
    per_replication: dict[str, pd.DataFrame] = field(default_factory=dict, compare=False,
                                                    repr=False)

    @property
    def summary(self) -> pd.DataFrame:
        """KPI means with confidence intervals."""
        return summarize(self.replications, self.level)

    @property
    def kpis(self) -> dict[str, float]:
        """Mean of each overall KPI across replications."""
        s = self.summary
        return {str(k): float(v) for k, v in s["mean"].items() if "." not in str(k)}

    @property
    def stopping(self) -> str | None:
        """One line on why a batch with a precision target stopped (else ``None``)."""
        st = self.meta.get("stopping")
        return None if st is None else str(st["message"])


@dataclass
class SweepResult:
    """A grid of what-ifs, each run as a batch with the same seed (common random numbers).

    Attributes
    ----------
    grid
        Swept path → its values, in the order given.
    points
        One ``{path: value}`` per grid point (the cartesian product, last path fastest).
    batches
        The batch of each grid point, in the order of *points*.
    kpis
        KPIs in :attr:`table` (``None``: every overall KPI).
    """

    scenario: str
    seed: int
    grid: dict[str, list[Any]]
    points: list[dict[str, Any]]
    batches: list[BatchResult]
    kpis: list[str] | None = None
    level: float = 0.95
    info: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def table(self) -> pd.DataFrame:
        """Tidy: one row per grid point × KPI, with ``point``, one column per swept path,
        ``kpi``, ``mean``, ``half_width``, ``ci_low``, ``ci_high``, ``n``."""
        frames = []
        for i, (pt, batch) in enumerate(zip(self.points, self.batches, strict=True)):
            s = batch.summary
            names = (self.kpis if self.kpis is not None
                     else [k for k in s.index if "." not in str(k)])
            f = s.loc[names].reset_index()
            for path in reversed(list(self.grid)):
                f.insert(0, path, [pt[path]] * len(f))
            f.insert(0, "point", i)
            frames.append(f)
        return pd.concat(frames, ignore_index=True)

    def kpi(self, name: str) -> pd.DataFrame:
        """Rows of :attr:`table` for KPI *name* (one per grid point)."""
        t = self.table
        return t[t["kpi"] == name].reset_index(drop=True)
