"""One replication's results: KPIs and tables built from the recorder's tallies.

Owns :class:`ReplicationResult` and :func:`replication_result`. Imports
:mod:`callsim.results.kpis`, :mod:`callsim.engine` (tallies, outcome codes) and
:mod:`callsim.compiled`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from callsim.compiled import CompiledScenario
from callsim.engine.call import OUTCOMES
from callsim.engine.recorder import Tallies
from callsim.results.kpis import _kpis_of_tally, hist_quantile


@dataclass
class ReplicationResult:
    """What one replication produced.

    Attributes
    ----------
    kpis
        Overall KPIs: name → value.
    by_call_type
        KPIs per call type (rows), same columns as ``kpis`` where they apply.
    by_pool
        Per agent pool: answered, asa, occupancy, mean staffed and busy agents.
    intervals
        One row per reporting interval × call type (and ``all``): counts, answer rate,
        ASA, service levels and mean waiting calls, by the interval calls arrived in.
    agents
        One row per reporting interval × pool: mean staffed and busy agents, occupancy.
    calls
        Per-call records, or ``None`` unless ``record_calls=True``.
    """

    kpis: dict[str, float]
    by_call_type: pd.DataFrame
    by_pool: pd.DataFrame
    intervals: pd.DataFrame
    agents: pd.DataFrame
    calls: pd.DataFrame | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def flat_kpis(self) -> dict[str, float]:
        """Overall KPIs plus ``type.<name>.<kpi>`` and ``pool.<name>.<kpi>`` entries."""
        out = dict(self.kpis)
        for name, row in self.by_call_type.iterrows():
            for k, v in row.items():
                out[f"type.{name}.{k}"] = float(v)
        for name, row in self.by_pool.iterrows():
            for k, v in row.items():
                out[f"pool.{name}.{k}"] = float(v)
        return out


def replication_result(cs: CompiledScenario, t: Tallies) -> ReplicationResult:
    """Every KPI table of one replication, from its tallies."""
    thresholds = cs.service_levels
    span = cs.horizon - cs.warmup

    def kp(tal: np.ndarray, hist: np.ndarray | None, qa: float, busy: float,
           staff: float) -> dict[str, float]:
        out = _kpis_of_tally(tal, thresholds)
        if hist is not None:
            out["wait_p50"] = hist_quantile(hist, 0.50)
            out["wait_p90"] = hist_quantile(hist, 0.90)
            out["wait_p95"] = hist_quantile(hist, 0.95)
        out["mean_queue"] = qa / span
        out["occupancy"] = busy / staff if staff > 0 else math.nan
        return out

    total_busy = float(t.busy_area.sum())
    total_staffed = float(t.staffed.sum())
    kpis = kp(t.tally.sum(axis=0), t.hist.sum(axis=0), float(t.queue_area.sum()),
              total_busy, total_staffed)
    rows = {}
    for k, ct in enumerate(cs.call_types):
        r = kp(t.tally[k], t.hist[k], float(t.queue_area[k]), math.nan, 0.0)
        r.pop("occupancy")
        rows[ct.name] = r
    by_type = pd.DataFrame.from_dict(rows, orient="index")
    by_type.index.name = "call_type"
    prow = {}
    for p, cp in enumerate(cs.pools):
        ans = t.pool_answered[p]
        staffed = t.staffed[p]
        prow[cp.name] = {
            "answered": float(ans),
            "asa": float(t.pool_sumw[p] / ans) if ans else math.nan,
            "occupancy": float(t.busy_area[p] / staffed) if staffed else math.nan,
            "mean_scheduled": float(t.scheduled[p] / span),
            "mean_staffed": float(staffed / span),
            "mean_busy": float(t.busy_area[p] / span),
        }
    by_pool = pd.DataFrame.from_dict(prow, orient="index")
    by_pool.index.name = "pool"
    return ReplicationResult(kpis=kpis, by_call_type=by_type, by_pool=by_pool,
                             intervals=_interval_table(cs, t), agents=_agent_table(cs, t),
                             calls=_calls_frame(cs, t.records),
                             meta={"n_calls": t.n_calls, "t_end": t.t_end})


def _clock(cs: CompiledScenario, edges: np.ndarray) -> tuple[np.ndarray, list[str]]:
    start = edges[:-1]
    clock = (cs.clock_start + start) % 86400.0
    day = ((cs.clock_start + start) // 86400.0).astype(int)
    labels = [f"d{d + 1} {int(c // 3600):02d}:{int(c % 3600 // 60):02d}"
              for d, c in zip(day, clock, strict=True)]
    return start, labels


def _interval_table(cs: CompiledScenario, t: Tallies) -> pd.DataFrame:
    """One row per (call type incl. ``all``) × interval, computed on whole arrays."""
    start, labels = _clock(cs, t.edges)
    n_int = start.size
    length = np.diff(t.edges)
    names = [*cs.type_names, "all"]
    tal = np.concatenate([t.int_tally, t.int_tally.sum(axis=0)[None]])
    qa = np.concatenate([t.queue_area_int, t.queue_area_int.sum(axis=0)[None]])
    n_rows = len(names) * n_int
    cols = _kpis_of_tally(tal.reshape(n_rows, -1), cs.service_levels)
    data: dict[str, Any] = {
        "interval": np.tile(np.arange(n_int), len(names)),
        "start": np.tile(start, len(names)),
        "clock": np.tile(np.asarray(labels, dtype=object), len(names)),
        "call_type": np.repeat(np.asarray(names, dtype=object), n_int),
    }
    data.update(cols)
    data["mean_queue"] = (qa / length).reshape(n_rows)
    return pd.DataFrame(data)


def _agent_table(cs: CompiledScenario, t: Tallies) -> pd.DataFrame:
    start, labels = _clock(cs, t.edges)
    n_int = start.size
    length = np.diff(t.edges)
    frames = []
    for p, cp in enumerate(cs.pools):
        busy = t.busy_area_int[p] / length
        staffed = t.staffed_int[p] / length
        with np.errstate(invalid="ignore", divide="ignore"):
            occ = np.where(staffed > 0, busy / np.where(staffed > 0, staffed, 1), np.nan)
        frames.append(pd.DataFrame({
            "interval": np.arange(n_int), "start": start, "clock": labels,
            "pool": cp.name, "scheduled": t.scheduled_int[p] / length, "staffed": staffed,
            "busy": busy, "occupancy": occ,
        }))
    return pd.concat(frames, ignore_index=True)


def _calls_frame(cs: CompiledScenario, records: dict[str, np.ndarray] | None
                 ) -> pd.DataFrame | None:
    if records is None:
        return None
    if not records:
        return pd.DataFrame()
    df = pd.DataFrame(records).sort_values("call_id", kind="stable").reset_index(drop=True)
    types = np.array([*cs.type_names, ""], dtype=object)
    pools = np.array([*cs.pool_names, ""], dtype=object)
    df["call_type"] = types[df["call_type"].to_numpy()]
    df["queue"] = types[df["queue"].to_numpy()]  # -1 (never queued) -> ""
    df["pool"] = pools[df["pool"].to_numpy()]  # -1 -> ""
    df["outcome"] = np.array(OUTCOMES, dtype=object)[df["outcome"].to_numpy()]
    df["wait"] = df["prior_wait"] + np.where(
        df["answered_at"].notna(), df["answered_at"], df["ended_at"]) - df["queued_at"]
    return df
