"""Random numbers handed out one at a time from blocks drawn in bulk.

Owns :class:`Draws`, the engine's cheap per-event source of uniforms or of a
distribution's samples. Imports :mod:`callsim.distributions` only.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import numpy as np

from callsim import distributions as d


class Draws:
    """Numbers from one generator handed out one at a time, drawn in blocks of 4096.

    ``next()`` is the ``__next__`` of an :func:`itertools.chain` over the blocks: a C
    call per number, with a Python refill only every 4096 numbers.
    """

    __slots__ = ("_dist", "_rng", "next")

    BLOCK = 4096

    def __init__(self, rng: np.random.Generator, dist: d.Distribution | None = None) -> None:
        self._rng = rng
        self._dist = dist
        self.next: Callable[[], float] = itertools.chain.from_iterable(self._blocks()).__next__

    def _blocks(self) -> Iterator[list[float]]:
        while True:
            if self._dist is None:
                yield self._rng.random(self.BLOCK).tolist()
            else:
                yield self._dist.sample(self._rng, self.BLOCK).tolist()
