"""Contact channels on the arrival side: who tries a chatbot (or text...) before phoning.

Owns :class:`Channels`, the stage between drawing a block of customers and their menu
walk: it decides which customers try a channel first, whether the channel helps them,
how long they spend there and what those it fails do (hand-over to their intent's
queue, a phone call through the menu, or giving up), and tallies it
(:class:`ChannelTally`). Imports :mod:`callsim.compiled` and :mod:`callsim.rng`; never
the model (it is handed the block's rows and returns the phone's).

Common random numbers: the customers are the scenario's callers, drawn as without
channels (same times, intents, handle times and patience, from the same streams). Three
uniforms per customer decide the channel part, each drawn for *every* customer of the
block from its own stream, whether or not a channel takes them: ``channel`` (which
channel, if any: the customer tries channel *c* when the uniform falls in its slice of
the cumulative shares for their intent and clock hour), ``channel_outcome`` (helped if
below the containment) and ``channel_outcome/failure`` (hand-over, call or give up).
So a design with a chatbot and one without see the same customers, and a customer's
draws do not depend on the shares: raising a share moves the next customers in, it
does not reshuffle the others. Session times and fallback delays come from
``channel_time`` (per channel), drawn for the customers who need them.

A customer who falls back keeps their handle time and patience; their phone arrival is
the channel arrival + session time + delay. Fallbacks that would reach the phone after
the horizon are counted by the channel but not simulated (like redials after the
horizon). With containment 0, every failure calling, and zero session time and delay,
the phone sees exactly the calls it sees without the channel, in the same order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from callsim.compiled import DAY, CompiledScenario
from callsim.rng import Streams

Row = tuple[float, int, int, float, float, float, float]
"""A caller on their way to the phone: (arrival, call type, queue, IVR time, handle,
ACW, patience), as :data:`callsim.engine.model.Row`."""

#: The columns of a channel tally row.
COLUMNS: tuple[str, ...] = ("attempts", "contained", "handovers", "fallback_calls",
                            "gave_up", "time_sum")
COLUMN = {n: j for j, n in enumerate(COLUMNS)}


@dataclass
class ChannelTally:
    """What the channels saw in one replication (customers by the time they turned up).

    Attributes
    ----------
    names
        Channel names, in index order.
    customers, customers_int
        Customers per intent (measured), and per intent and reporting interval (all).
    tally, int_tally
        ``tally[c, k, j]`` (measured customers) and ``int_tally[c, k, b, j]`` (all, by
        reporting interval) of channel *c*, intent *k*, column *j* of :data:`COLUMNS`.
    """

    names: tuple[str, ...]
    customers: np.ndarray
    customers_int: np.ndarray
    tally: np.ndarray
    int_tally: np.ndarray


class Channels:
    """The channel stage of one replication (see the module docstring).

    Parameters
    ----------
    cs
        The compiled scenario (``cs.channels`` set).
    streams
        The replication's streams.
    home
        Per intent, the queue a hand-over joins.
    """

    def __init__(self, cs: CompiledScenario, streams: Streams, home: list[int]) -> None:
        cc = cs.channels
        assert cc is not None
        self.cs = cs
        self.chans = cc.channels
        self.shares = cc.shares
        self.home = home
        self.containment = np.asarray([c.containment for c in cc.channels])  # (C, K)
        self.pick = streams.get("channel")
        self.outcome = streams.get("channel_outcome")
        self.failure = streams.get("channel_outcome", "failure")
        self.time_rng = [streams.get("channel_time", c.name) for c in cc.channels]
        self.delay_rng = [streams.get("channel_time", c.name + "/delay") for c in cc.channels]
        K, C = len(cs.call_types), len(cc.channels)
        self.n_int = math.ceil(cs.horizon / cs.interval - 1e-9)
        self.customers = np.zeros(K)
        self.customers_int = np.zeros((K, self.n_int))
        self.tally = np.zeros((C, K, len(COLUMNS)))
        self.int_tally = np.zeros((C, K, self.n_int, len(COLUMNS)))

    def route(self, rows: list[Row], times: np.ndarray, kinds: np.ndarray
              ) -> tuple[list[Row], list[Row]]:
        """Split a block's customers (``rows[i]`` arrives at ``times[i]`` with intent
        ``kinds[i]``): returns the callers who phone through the menu (those no channel
        took, and failures who call, in customer order) and the hand-overs that go
        straight to their intent's queue."""
        n = times.size
        cs = self.cs
        if n == 0:
            return rows, []
        u = self.pick.random(n)
        u_in = self.outcome.random(n)
        u_fail = self.failure.random(n)
        hour = np.minimum(((cs.clock_start + times) % DAY // 3600).astype(np.int64), 23)
        cum = np.cumsum(self.shares[:, kinds, hour], axis=0)  # (C, n)
        chan = (u[None, :] >= cum).sum(axis=0)  # C: no channel
        measured = (times >= cs.warmup) & (times < cs.horizon)
        b = np.minimum((times // cs.interval).astype(np.int64), self.n_int - 1)
        K = len(cs.call_types)
        self.customers += np.bincount(kinds[measured], minlength=K)
        self.customers_int += np.bincount(kinds * self.n_int + b,
                                          minlength=K * self.n_int).reshape(K, self.n_int)
        C = len(self.chans)
        if not np.any(chan < C):
            return rows, []
        on_phone = chan == C
        direct: list[Row] = []
        for c, ch in enumerate(self.chans):
            sel = np.flatnonzero(chan == c)
            if sel.size == 0:
                continue
            k = kinds[sel]
            spent = ch.time.sample(self.time_rng[c], sel.size)
            helped = u_in[sel] < self.containment[c, k]
            f = u_fail[sel]
            hand = ~helped & (f < ch.handover)
            call = ~helped & ~hand & (f < ch.handover + ch.call)
            gave_up = ~helped & ~hand & ~call
            back = hand | call
            t_back = np.full(sel.size, np.inf)
            if back.any():
                t_back[back] = (times[sel[back]] + spent[back]
                                + ch.delay.sample(self.delay_rng[c], int(back.sum())))
            self._tally(c, k, sel, measured, b, (np.ones(sel.size), helped, hand, call,
                                                 gave_up, spent))
            in_time = t_back < cs.horizon
            for i, t in zip(sel[call & in_time].tolist(), t_back[call & in_time].tolist(),
                            strict=True):
                r = rows[i]
                rows[i] = (t, r[1], r[2], 0.0, r[4], r[5], r[6])
            on_phone[sel[call & in_time]] = True
            for i, t in zip(sel[hand & in_time].tolist(), t_back[hand & in_time].tolist(),
                            strict=True):
                r = rows[i]
                direct.append((t, r[1], self.home[r[1]], 0.0, r[4], r[5], r[6]))
        return [rows[i] for i in np.flatnonzero(on_phone).tolist()], direct

    def _tally(self, c: int, k: np.ndarray, sel: np.ndarray, measured: np.ndarray,
               b: np.ndarray, cols: tuple[np.ndarray, ...]) -> None:
        K = len(self.cs.call_types)
        m = measured[sel]
        cell = k * self.n_int + b[sel]
        for j, v in enumerate(cols):
            w = np.asarray(v, dtype=float)
            self.tally[c, :, j] += np.bincount(k[m], weights=w[m], minlength=K)
            self.int_tally[c, :, :, j] += np.bincount(
                cell, weights=w, minlength=K * self.n_int).reshape(K, self.n_int)

    def result(self) -> ChannelTally:
        """The tallies of the run."""
        return ChannelTally(tuple(c.name for c in self.chans), self.customers,
                            self.customers_int, self.tally, self.int_tally)
