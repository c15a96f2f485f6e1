"""Random streams: named numpy Generators derived from one root seed.

Owns the mapping from (root seed, replication, stream, call type) to a
``numpy.random.Generator``. Imports nothing from callsim.

Every random number in a run comes from here. A stream is keyed by
``SeedSequence(root, spawn_key=(replication, STREAM_ID[name], sub_key))`` so that

* replication *r* gets the same numbers whatever the backend or worker count;
* adding a stream never shifts the others (``STREAM_ID`` only ever grows);
* a call type's streams depend on its *name* (crc32), not its list position,
  so two designs compared with one seed see the same callers.
"""

from __future__ import annotations

import zlib

import numpy as np

#: Fixed, append-only stream ids. Never renumber: it would change every result.
STREAM_ID: dict[str, int] = {
    "arrivals": 0,
    "handle": 1,
    "patience": 2,
    "menu_choice": 3,
    "menu_error": 4,
    "routing_tiebreak": 5,
    "mix": 6,
    "busyness": 7,
    "after_call_work": 8,
    "ivr_hangup": 9,
    "transfer": 10,
    "redial": 11,
    "callback": 12,
    "absence": 13,
    "prompt": 14,
    "balk": 15,
    "channel": 16,
    "channel_outcome": 17,
    "channel_time": 18,
}


def name_key(name: str) -> int:
    """Return a stable 32-bit key for *name* (crc32; unlike ``hash`` it is not salted)."""
    return zlib.crc32(name.encode("utf-8"))


class Streams:
    """The random streams of one replication.

    Parameters
    ----------
    seed
        Root seed of the run (an int); the same for every design compared.
    replication
        Replication number, from 0.
    """

    __slots__ = ("_cache", "replication", "seed")

    def __init__(self, seed: int, replication: int) -> None:
        if seed < 0 or replication < 0:
            raise ValueError("seed and replication must be non-negative integers")
        self.seed = int(seed)
        self.replication = int(replication)
        self._cache: dict[tuple[str, str], np.random.Generator] = {}

    def get(self, stream: str, sub: str = "") -> np.random.Generator:
        """Return the generator of *stream* for sub-key *sub* (usually a call type name).

        The same (stream, sub) returns the same generator object within a replication,
        so draws continue where they left off.
        """
        key = (stream, sub)
        gen = self._cache.get(key)
        if gen is None:
            spawn_key: tuple[int, ...] = (self.replication, STREAM_ID[stream])
            if sub:
                spawn_key = (*spawn_key, name_key(sub))
            ss = np.random.SeedSequence(self.seed, spawn_key=spawn_key)
            gen = np.random.Generator(np.random.PCG64(ss))
            self._cache[key] = gen
        return gen

    def indexed(self, stream: str, index: int) -> np.random.Generator:
        """A fresh generator of *stream* keyed by an integer *index* (e.g. a day number)."""
        ss = np.random.SeedSequence(
            self.seed, spawn_key=(self.replication, STREAM_ID[stream], 1 << 32 | index)
        )
        return np.random.Generator(np.random.PCG64(ss))
