"""Running replications: one simulation, batches with confidence intervals.

Owns seeds per replication, the replication loop and summaries across replications.
Imports the model layer; nothing below imports it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from callsim.config import Scenario, load_scenario, with_overrides
from callsim.metrics import Recorder, ReplicationResult
from callsim.model import Model
from callsim.rng import Streams
from callsim.scenario import CompiledScenario, compile_scenario

ScenarioLike = Scenario | CompiledScenario | str | Path


def _compiled(scenario: ScenarioLike,
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


def run_replication(cs: CompiledScenario, seed: int, replication: int,
                    record_calls: bool = False) -> ReplicationResult:
    """Simulate replication *replication* of *cs* with root seed *seed* (a pure function)."""
    recorder = Recorder(cs, record_calls)
    model = Model(cs, Streams(seed, replication), recorder)
    model.run()
    res = recorder.result([p.present_log for p in model.pools], model.n_created,
                          model.env.now)
    res.meta.update(seed=seed, replication=replication, scenario=cs.name)
    return res


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
    return run_replication(_compiled(scenario, overrides), seed, replication, record_calls)


def t_halfwidth(values: np.ndarray, level: float = 0.95) -> tuple[float, float, int]:
    """Mean and Student-t confidence half-width of *values* (NaNs dropped)."""
    v = values[~np.isnan(values)]
    n = v.size
    if n == 0:
        return math.nan, math.nan, 0
    mean = float(v.mean())
    if n == 1:
        return mean, math.nan, 1
    sd = float(v.std(ddof=1))
    return mean, float(stats.t.ppf(0.5 + level / 2, n - 1) * sd / math.sqrt(n)), n


def summarize(reps: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Mean and CI of every column of *reps* (a row per replication)."""
    rows = {}
    for col in reps.columns:
        if col == "replication":
            continue
        mean, hw, n = t_halfwidth(reps[col].to_numpy(dtype=float), level)
        rows[col] = {"mean": mean, "half_width": hw, "ci_low": mean - hw,
                     "ci_high": mean + hw, "n": n}
    out = pd.DataFrame.from_dict(rows, orient="index",
                                 columns=["mean", "half_width", "ci_low", "ci_high", "n"])
    out.index.name = "kpi"
    return out


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
    """

    scenario: str
    seed: int
    replications: pd.DataFrame
    intervals: pd.DataFrame
    agents: pd.DataFrame
    level: float = 0.95
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def summary(self) -> pd.DataFrame:
        """KPI means with confidence intervals."""
        return summarize(self.replications, self.level)

    @property
    def kpis(self) -> dict[str, float]:
        """Mean of each overall KPI across replications."""
        s = self.summary
        return {k: float(v) for k, v in s["mean"].items() if "." not in str(k)}


def _mean_frames(frames: list[pd.DataFrame], keys: list[str]) -> pd.DataFrame:
    if not frames:
        return pd.DataFrame()
    both = pd.concat(frames, ignore_index=True)
    return both.groupby(keys, sort=False).mean(numeric_only=True).reset_index()


def run_batch(scenario: ScenarioLike, reps: int = 10, seed: int = 0,
              overrides: Mapping[str, Any] | list[str] | None = None,
              level: float = 0.95) -> BatchResult:
    """Run *reps* replications (0 .. reps-1) of *scenario* with root seed *seed*."""
    if reps < 1:
        raise ValueError(f"reps must be >= 1 (got {reps})")
    cs = _compiled(scenario, overrides)
    rows = []
    ints = []
    ags = []
    for r in range(reps):
        res = run_replication(cs, seed, r)
        rows.append({"replication": r, **res.flat_kpis()})
        ints.append(res.intervals)
        ags.append(res.agents)
    df = pd.DataFrame(rows).set_index("replication")
    return BatchResult(
        scenario=cs.name, seed=seed, replications=df,
        intervals=_mean_frames(ints, ["interval", "start", "clock", "call_type"]),
        agents=_mean_frames(ags, ["interval", "start", "clock", "pool"]),
        level=level,
    )
