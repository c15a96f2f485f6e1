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
class Never:
    """A duration that never ends (e.g. the patience of callers who never abandon)."""

    @property
    def mean(self) -> float:
        return math.inf

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.full(n, math.inf)
