"""One replication's results: KPIs and tables built from the recorder's tallies.

Owns :class:`ReplicationResult` and :func:`replication_result`. Imports
:mod:`callsim.results.kpis`, :mod:`callsim.engine` (tallies, outcome codes) and
:mod:`callsim.compiled`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from callsim.compiled import CompiledScenario
from callsim.engine.call import OUTCOMES
from callsim.engine.recorder import Tallies
from callsim.results.channels import by_channel, channel_fields, interval_fields
from callsim.results.clock import clock_counts, clock_table
from callsim.results.counts import PoolCounts, counts_of_tally
from callsim.results.kpis import POOL_KPIS, compute


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
    clock
        Clock-of-day KPIs: one row per clock interval (``HH:MM``) × call type (and
        ``all``), pooled over the days of the measurement window, rates from pooled
        counts (see :mod:`callsim.results.clock`).
    clock_counts
        The pooled tallies :attr:`clock` is computed from (what batches sum).
    by_channel
        Per contact channel: attempts, contained, containment, fallbacks, gave up,
        time (empty without ``channels:``).
    """

    kpis: dict[str, float]
    by_call_type: pd.DataFrame
    by_pool: pd.DataFrame
    intervals: pd.DataFrame
    agents: pd.DataFrame
    calls: pd.DataFrame | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    clock: pd.DataFrame = field(default_factory=pd.DataFrame)
    clock_counts: pd.DataFrame = field(default_factory=pd.DataFrame)
    by_channel: pd.DataFrame = field(default_factory=pd.DataFrame)

    def flat_kpis(self) -> dict[str, float]:
        """Overall KPIs plus ``type.<name>.<kpi>``, ``pool.<name>.<kpi>`` and
        ``channel.<name>.<kpi>`` entries."""
        out = dict(self.kpis)
        for name, row in self.by_call_type.iterrows():
            for k, v in row.items():
                out[f"type.{name}.{k}"] = float(v)
        for name, row in self.by_pool.iterrows():
            for k, v in row.items():
                out[f"pool.{name}.{k}"] = float(v)
        for name, row in self.by_channel.iterrows():
            for k, v in row.items():
                out[f"channel.{name}.{k}"] = float(v)
        return out


def replication_result(cs: CompiledScenario, t: Tallies) -> ReplicationResult:
    """Every KPI table of one replication, from its tallies."""
    thresholds = cs.service_levels
    span = cs.horizon - cs.warmup
    kpis = compute(counts_of_tally(
        t.tally.sum(axis=0), thresholds, hist=t.hist.sum(axis=0),
        queue_area=float(t.queue_area.sum()), span=span,
        busy=float(t.busy_area.sum()), staffed=float(t.staffed.sum()),
        **channel_fields(t.channels)))
    rows = {ct.name: compute(counts_of_tally(t.tally[k], thresholds, hist=t.hist[k],
                                             queue_area=float(t.queue_area[k]), span=span,
                                             **channel_fields(t.channels, k)))
            for k, ct in enumerate(cs.call_types)}
    by_type = pd.DataFrame.from_dict(rows, orient="index")
    by_type.index.name = "call_type"
    prow = {}
    for p, cp in enumerate(cs.pools):
        pc = PoolCounts(t.pool_answered[p], t.pool_sumw[p], t.busy_area[p], t.staffed[p],
                        t.scheduled[p], span)
        prow[cp.name] = {k.name: k.define(pc) for k in POOL_KPIS}
    by_pool = pd.DataFrame.from_dict(prow, orient="index")
    by_pool.index.name = "pool"
    counts = clock_counts(cs, t)
    return ReplicationResult(kpis=kpis, by_call_type=by_type, by_pool=by_pool,
                             intervals=_interval_table(cs, t), agents=_agent_table(cs, t),
                             calls=_calls_frame(cs, t.records),
                             meta={"n_calls": t.n_calls, "t_end": t.t_end},
                             clock=clock_table(counts), clock_counts=counts,
                             by_channel=by_channel(t.channels))


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
    chan = {f: v.reshape(n_rows)
            for f, v in interval_fields(t.channels, len(cs.call_types)).items()}
    cols = compute(counts_of_tally(tal.reshape(n_rows, -1), cs.service_levels,
                                   queue_area=qa.reshape(n_rows),
                                   span=np.tile(length, len(names)), **chan))
    data: dict[str, Any] = {
        "interval": np.tile(np.arange(n_int), len(names)),
        "start": np.tile(start, len(names)),
        "clock": np.tile(np.asarray(labels, dtype=object), len(names)),
        "call_type": np.repeat(np.asarray(names, dtype=object), n_int),
    }
    data.update(cols)
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
