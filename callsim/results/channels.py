"""Channel results: the channel tallies as KPI inputs, overall, per intent and per channel.

Owns :class:`ChannelCounts` (one channel's tallies, what :data:`~callsim.results.kpis.
CHANNEL_KPIS` are defined on), :func:`channel_fields` (the channel fields of
:class:`~callsim.results.counts.Counts` for overall, per-intent and per-interval rows)
and :func:`by_channel` (the per-channel KPI table) and :func:`interval_fields` (per
call type and interval, for the interval and clock-of-day tables). Imports
:mod:`callsim.engine.channels` (the tally layout) and :mod:`callsim.results.kpis`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from callsim.engine.channels import COLUMN, ChannelTally
from callsim.results.kpis import CHANNEL_KPIS

_A, _C, _H, _F, _G, _T = (COLUMN[n] for n in ("attempts", "contained", "handovers",
                                              "fallback_calls", "gave_up", "time_sum"))


@dataclass
class ChannelCounts:
    """One channel's tallies (measured customers)."""

    attempts: float
    contained: float
    handovers: float
    fallback_calls: float
    gave_up: float
    time_sum: float


def channel_fields(ch: ChannelTally | None, k: int | None = None,
                   by_interval: bool = False) -> dict[str, Any]:
    """The channel fields of :class:`~callsim.results.counts.Counts`: summed over
    channels, for intent *k* (all intents if None); per interval (an array, last axis
    the interval) with *by_interval*. Empty without channels."""
    if ch is None:
        return {}
    if by_interval:
        cust, tal = ch.customers_int, ch.int_tally.sum(axis=0)  # (K, B), (K, B, J)
    else:
        cust, tal = ch.customers, ch.tally.sum(axis=0)  # (K,), (K, J)
    if k is None:
        cust, tal = cust.sum(axis=0), tal.sum(axis=0)
    else:
        cust, tal = cust[k], tal[k]
    tal = np.moveaxis(np.asarray(tal), -1, 0)
    return {"customers": _f(cust), "channel_attempts": _f(tal[_A]),
            "contained": _f(tal[_C]), "channel_fallbacks": _f(tal[_H] + tal[_F]),
            "channel_gave_up": _f(tal[_G])}


def interval_fields(ch: ChannelTally | None, n_types: int) -> dict[str, np.ndarray]:
    """The channel fields per call type and reporting interval, then for all types:
    arrays of shape ``(n_types + 1, intervals)`` (empty without channels)."""
    if ch is None:
        return {}
    per = [channel_fields(ch, k, by_interval=True) for k in range(n_types)]
    per.append(channel_fields(ch, None, by_interval=True))
    return {f: np.stack([p[f] for p in per]) for f in per[0]}


def _f(v: Any) -> Any:
    a = np.asarray(v, dtype=float)
    return float(a) if a.ndim == 0 else a


def by_channel(ch: ChannelTally | None) -> pd.DataFrame:
    """Per channel (rows), the :data:`~callsim.results.kpis.CHANNEL_KPIS` (empty
    without channels)."""
    if ch is None:
        return pd.DataFrame()
    rows = {}
    for c, name in enumerate(ch.names):
        t = ch.tally[c].sum(axis=0)
        cc = ChannelCounts(*(float(t[j]) for j in (_A, _C, _H, _F, _G, _T)))
        rows[name] = {k.name: k.define(cc) for k in CHANNEL_KPIS}
    df = pd.DataFrame.from_dict(rows, orient="index")
    df.index.name = "channel"
    return df
