"""The ``channels:`` section compiled: shares, containment and times as arrays by index.

Owns :class:`CompiledChannels` (per channel, intent and clock hour the share of
customers who try it; per channel and intent its containment; the time and fallback
delay distributions; the fallback split) and :func:`compile_channels`. Imports
:mod:`callsim.config`, :mod:`callsim.distributions` and :mod:`callsim.compiled.sources`;
the run-time stage is :mod:`callsim.engine.channels`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from callsim import distributions as d
from callsim.compiled.sources import build_distribution
from callsim.config import Scenario


@dataclass(frozen=True, slots=True)
class CompiledChannel:
    """One channel as the engine sees it."""

    name: str
    containment: tuple[float, ...]
    """Per intent (call type index): the share of its customers the channel helps."""
    time: d.Distribution
    """Time a customer spends in the channel (s)."""
    handover: float
    """Share of failures passed straight to their intent's queue."""
    call: float
    """Share of failures who phone the number (and walk the menu)."""
    delay: d.Distribution
    """From the end of the session to the hand-over or the call (s)."""


@dataclass(frozen=True, slots=True)
class CompiledChannels:
    """Every channel, and who tries which.

    Attributes
    ----------
    channels
        The channels, in scenario order.
    shares
        ``shares[c, k, h]``: share of intent *k*'s customers turning up in clock hour *h*
        who try channel *c* first (per *k* and *h* they sum to at most 1 over *c*).
    """

    channels: tuple[CompiledChannel, ...]
    shares: np.ndarray

    @property
    def names(self) -> list[str]:
        """Channel names in index order."""
        return [c.name for c in self.channels]


def compile_channels(sc: Scenario, base: Path) -> CompiledChannels | None:
    """The compiled channels of *sc*, or None when it has none."""
    if not sc.channels:
        return None
    types = list(sc.call_types)
    chans: list[CompiledChannel] = []
    shares = np.zeros((len(sc.channels), len(types), 24))
    for c, (name, cfg) in enumerate(sc.channels.items()):
        where = f"channels.{name}"
        for k, t in enumerate(types):
            shares[c, k] = cfg.share(t)
        chans.append(CompiledChannel(
            name=name,
            containment=tuple(cfg.contains(t) if t in cfg.takes else 0.0 for t in types),
            time=build_distribution(cfg.time, base, f"{where}.time"),
            handover=cfg.on_failure.handover,
            call=cfg.on_failure.call,
            delay=build_distribution(cfg.on_failure.delay, base, f"{where}.on_failure.delay"),
        ))
    shares.setflags(write=False)
    return CompiledChannels(tuple(chans), shares)
