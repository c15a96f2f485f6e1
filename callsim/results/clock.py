"""Clock-of-day KPIs: the reporting intervals of every day pooled by their clock time.

Owns :func:`clock_counts` (one replication's tallies per clock interval ``HH:MM`` and
call type, summed over the days) and :func:`clock_table` (KPIs from such counts, by the
registry's definitions). Batches sum the counts of their replications, so every rate
is a ratio of pooled counts (answered / offered over all days and replications), never
a mean of per-day ratios. Imports :mod:`callsim.results.counts`,
:mod:`callsim.results.kpis`, :mod:`callsim.results.channels`, :mod:`callsim.compiled`
and the engine's :class:`~callsim.engine.recorder.Tallies`.

Which intervals count: those that start in the measurement window (at or after the
warm-up), calls counted by the interval they arrived in. A partial last interval
pools with the same clock interval of other days (``mean_queue`` divides by the time
actually covered). Wait percentiles are not here: the recorder keeps no wait histogram
per interval.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from callsim.compiled import CompiledScenario
from callsim.engine.recorder import Tallies
from callsim.results.channels import interval_fields
from callsim.results.counts import Counts, counts_of_tally
from callsim.results.kpis import compute

#: The columns that identify a row of a clock table.
CLOCK_KEYS = ("clock", "call_type")
DAY = 86400.0


def _hhmm(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}"


def clock_counts(cs: CompiledScenario, t: Tallies) -> pd.DataFrame:
    """Tallies per clock interval × call type (and ``all``), summed over the days.

    Columns: ``clock`` (``HH:MM``), ``call_type``, ``intervals`` (how many reporting
    intervals were pooled) and the named tallies of :meth:`Counts.columns`.
    """
    start = t.edges[:-1]
    length = np.diff(t.edges)
    keep = np.flatnonzero(start >= cs.warmup)
    tod = np.round((cs.clock_start + start[keep]) % DAY, 6)
    slots, slot_of = np.unique(tod, return_inverse=True)  # clock intervals, in clock order
    n_slots = slots.size
    names = [*cs.type_names, "all"]
    tal = np.concatenate([t.int_tally, t.int_tally.sum(axis=0)[None]])[:, keep]
    qa = np.concatenate([t.queue_area_int, t.queue_area_int.sum(axis=0)[None]])[:, keep]
    pooled = np.zeros((len(names), n_slots, tal.shape[-1]))
    pooled_qa = np.zeros((len(names), n_slots))
    for i in range(len(names)):
        for j in range(tal.shape[-1]):
            pooled[i, :, j] = np.bincount(slot_of, weights=tal[i, :, j], minlength=n_slots)
        pooled_qa[i] = np.bincount(slot_of, weights=qa[i], minlength=n_slots)
    span = np.bincount(slot_of, weights=length[keep], minlength=n_slots)
    n_int = np.bincount(slot_of, minlength=n_slots)
    n_rows = len(names) * n_slots
    chan = {f: np.stack([np.bincount(slot_of, weights=v[i, keep], minlength=n_slots)
                         for i in range(len(names))]).reshape(n_rows)
            for f, v in interval_fields(t.channels, len(cs.call_types)).items()}
    counts = counts_of_tally(pooled.reshape(n_rows, -1), cs.service_levels,
                             queue_area=pooled_qa.reshape(n_rows),
                             span=np.tile(span, len(names)), **chan)
    data: dict[str, Any] = {
        "clock": np.tile(np.asarray([_hhmm(s) for s in slots], dtype=object), len(names)),
        "call_type": np.repeat(np.asarray(names, dtype=object), n_slots),
        "intervals": np.tile(n_int, len(names)).astype(np.int64),
    }
    data.update({k: np.broadcast_to(np.asarray(v, dtype=float), (n_rows,))
                 for k, v in counts.columns().items()})
    return pd.DataFrame(data)


def clock_table(counts: pd.DataFrame) -> pd.DataFrame:
    """Clock-of-day KPIs from (pooled) :func:`clock_counts`: ``clock``, ``call_type``,
    ``intervals`` and every KPI the counts define (``offered``, ``answered``,
    ``abandoned``, ``abandon_rate``, ``asa``, ``sl_<t>`` ...)."""
    if counts.empty:
        return pd.DataFrame()
    raw = {str(c): counts[c].to_numpy(dtype=float) for c in counts.columns
           if c not in (*CLOCK_KEYS, "intervals")}
    kpis = compute(Counts.from_columns(raw))
    out = counts[[*CLOCK_KEYS, "intervals"]].copy()
    # one frame of KPI columns, joined once (a column at a time costs a pandas insert each)
    return pd.concat([out, pd.DataFrame({k: np.broadcast_to(v, len(out))
                                         for k, v in kpis.items()}, index=out.index)],
                     axis=1)
