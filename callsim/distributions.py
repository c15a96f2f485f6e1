"""Probability distributions of durations (seconds), sampled in bulk.

Owns the distribution value objects used by the model: each is a frozen, slotted
dataclass with ``sample(rng, n)`` and ``mean``. Imports nothing from callsim
except :mod:`callsim.errors`. No pydantic here: the config layer builds these.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np


class Distribution(Protocol):
    """What the model needs of a distribution."""

    @property
    def mean(self) -> float:
        """Expected value (seconds); ``inf`` where it has none."""
        ...

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Return *n* independent draws as a float64 array."""
        ...


@dataclass(frozen=True, slots=True)
class Exponential:
    """Exponential with the given *mean*."""

    mean: float

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.exponential(self.mean, n)


@dataclass(frozen=True, slots=True)
class Lognormal:
    """Lognormal given by its *mean* and coefficient of variation *cv*."""

    mean: float
    cv: float

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        s2 = math.log1p(self.cv * self.cv)
        mu = math.log(self.mean) - s2 / 2.0
        return rng.lognormal(mu, math.sqrt(s2), n)


@dataclass(frozen=True, slots=True)
class Gamma:
    """Gamma given by its *mean* and coefficient of variation *cv* (shape = 1/cv²)."""

    mean: float
    cv: float

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        shape = 1.0 / (self.cv * self.cv)
        return rng.gamma(shape, self.mean / shape, n)


@dataclass(frozen=True, slots=True)
class Weibull:
    """Weibull with *shape* k and *scale* λ (seconds)."""

    shape: float
    scale: float

    @property
    def mean(self) -> float:
        return self.scale * math.gamma(1.0 + 1.0 / self.shape)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.scale * rng.weibull(self.shape, n)


@dataclass(frozen=True, slots=True)
class Deterministic:
    """Always *value*."""

    value: float

    @property
    def mean(self) -> float:
        return self.value

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.full(n, self.value, dtype=float)


@dataclass(frozen=True, slots=True)
class Uniform:
    """Uniform on [*low*, *high*]."""

    low: float
    high: float

    @property
    def mean(self) -> float:
        return 0.5 * (self.low + self.high)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, n)


@dataclass(frozen=True, slots=True)
class Empirical:
    """Resample the observed *values* with replacement (each equally likely)."""

    values: tuple[float, ...]
    _arr: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_arr", np.asarray(self.values, dtype=float))

    @property
    def mean(self) -> float:
        return float(self._arr.mean())

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self._arr[rng.integers(0, self._arr.size, n)]


@dataclass(frozen=True, slots=True)
class WeightedEmpirical:
    """Draw the observed *values* with probabilities proportional to *weights* (e.g. the
    counts of rounded durations)."""

    values: tuple[float, ...]
    weights: tuple[float, ...]
    _arr: np.ndarray = field(init=False, repr=False, compare=False)
    _cum: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        w = np.asarray(self.weights, dtype=float)
        object.__setattr__(self, "_arr", np.asarray(self.values, dtype=float))
        cum = np.cumsum(w)
        object.__setattr__(self, "_cum", cum / cum[-1])

    @property
    def mean(self) -> float:
        w = np.asarray(self.weights, dtype=float)
        return float(np.dot(self._arr, w) / w.sum())

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        i = np.searchsorted(self._cum, rng.random(n), side="right")
        return self._arr[np.minimum(i, self._arr.size - 1)]


@dataclass(frozen=True, slots=True)
class SurvivalTable:
    """A survival table: ``P(X > times[i]) = survival[i]``, a step at each time (a
    Kaplan–Meier estimate), then beyond the last time ``times[-1]`` plus an exponential
    of mean *tail_mean* (``inf``: never, the callers left never abandon).

    ``X = times[i]`` with probability ``survival[i-1] - survival[i]`` (``survival[-1]``
    read as 1), ``X > times[-1]`` with probability ``survival[-1]``. Sampled by the
    inverse of the CDF: one uniform per draw.
    """

    times: tuple[float, ...]
    survival: tuple[float, ...]
    tail_mean: float
    _t: np.ndarray = field(init=False, repr=False, compare=False)
    _neg_s: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_t", np.asarray(self.times, dtype=float))
        object.__setattr__(self, "_neg_s", -np.asarray(self.survival, dtype=float))

    @property
    def mean(self) -> float:
        t = np.concatenate(([0.0], self._t))
        s = np.concatenate(([1.0], -self._neg_s))
        last = float(s[-1])
        tail = 0.0 if last <= 0.0 else last * self.tail_mean
        return float(np.sum(s[:-1] * np.diff(t))) + tail

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        target = 1.0 - rng.random(n)  # in (0, 1]: P(X > x) at the draw
        idx = np.searchsorted(self._neg_s, -target, side="left")  # first S <= target
        inside = idx < self._t.size
        out = np.empty(n)
        out[inside] = self._t[idx[inside]]
        beyond = ~inside
        if beyond.any():
            last = -float(self._neg_s[-1])
            with np.errstate(divide="ignore"):
                out[beyond] = self._t[-1] + self.tail_mean * np.log(last / target[beyond])
        return out


@dataclass(frozen=True, slots=True)
class Never:
    """A duration that never ends (e.g. the patience of callers who never abandon)."""

    @property
    def mean(self) -> float:
        return math.inf

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.full(n, math.inf)
