"""Distribution configs and their registry: one class per distribution, config and builder.

Owns the ``dist:`` blocks of scenario files. Each distribution is ONE class here,
decorated with :func:`register`: its fields are the schema (validated by pydantic,
documented by their docstrings), and its :meth:`DistCfg.build` makes the value object of
:mod:`callsim.distributions` the engine samples. The discriminated union
:data:`DistributionCfg`, the error messages' list of names and the JSON schema all come
from the registry, so adding a distribution touches this module (and
:mod:`callsim.distributions` if it needs a new sampler) and nothing else.

Imports :mod:`callsim.distributions` and :mod:`callsim.config.units`; reading data
files is left to the caller (a :data:`ReadNumbers` function), so nothing here touches
the file system.
"""

from __future__ import annotations

import itertools
import typing
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

from pydantic import BeforeValidator, Field, model_validator

from callsim import distributions as d
from callsim.config.units import (
    Duration,
    Float,
    PositiveDuration,
    Strict,
    parse_duration,
    refuse_bool,
)

ReadNumbers = Callable[[str, str | None], list[float]]
"""``read(file, column)``: the numbers of a data file named in a scenario (relative to
the scenario's folder), for distributions that resample observed data."""

DISTRIBUTIONS: dict[str, type[DistCfg]] = {}
"""Registered distribution configs by their ``dist:`` name, in registration order."""


class DistCfg(Strict):
    """Base of the distribution configs (not a distribution itself)."""

    dist: str
    """The distribution's name."""

    def build(self, read: ReadNumbers) -> d.Distribution:
        """The value object the engine samples."""
        raise NotImplementedError  # pragma: no cover - every registered class has one

    def files(self) -> list[str]:
        """Data files this distribution reads (relative to the scenario's folder)."""
        return []


D = TypeVar("D", bound=type[DistCfg])


def register(cls: D) -> D:
    """Class decorator: add a distribution config to the registry under its ``dist`` name."""
    klass: type[DistCfg] = cls
    (name,) = typing.get_args(klass.model_fields["dist"].annotation)
    if name in DISTRIBUTIONS:
        raise ValueError(f"distribution {name!r} is registered twice")
    DISTRIBUTIONS[name] = cls
    return cls


@register
class ExponentialCfg(DistCfg):
    """Exponential distribution."""

    dist: Literal["exponential"]
    mean: PositiveDuration
    """Mean (seconds)."""

    def build(self, read: ReadNumbers) -> d.Distribution:
        return d.Exponential(self.mean)


@register
class LognormalCfg(DistCfg):
    """Lognormal distribution given by mean and coefficient of variation."""

    dist: Literal["lognormal"]
    mean: PositiveDuration
    """Mean (seconds)."""
    cv: Annotated[Float, Field(gt=0, le=20)]
    """Coefficient of variation (standard deviation / mean)."""

    def build(self, read: ReadNumbers) -> d.Distribution:
        return d.Lognormal(self.mean, self.cv)


@register
class GammaCfg(DistCfg):
    """Gamma distribution given by mean and coefficient of variation."""

    dist: Literal["gamma"]
    mean: PositiveDuration
    """Mean (seconds)."""
    cv: Annotated[Float, Field(gt=0, le=20)]
    """Coefficient of variation; shape = 1/cv²."""

    def build(self, read: ReadNumbers) -> d.Distribution:
        return d.Gamma(self.mean, self.cv)


@register
class WeibullCfg(DistCfg):
    """Weibull distribution."""

    dist: Literal["weibull"]
    shape: Annotated[Float, Field(gt=0, allow_inf_nan=False)]
    """Shape k (1 = exponential; < 1 = decreasing hazard)."""
    scale: PositiveDuration
    """Scale λ (seconds)."""

    def build(self, read: ReadNumbers) -> d.Distribution:
        return d.Weibull(self.shape, self.scale)


@register
class DeterministicCfg(DistCfg):
    """A fixed duration. A bare number where a distribution is expected means this."""

    dist: Literal["deterministic"]
    value: Duration
    """The duration (seconds)."""

    def build(self, read: ReadNumbers) -> d.Distribution:
        return d.Deterministic(self.value)


@register
class UniformCfg(DistCfg):
    """Uniform distribution on [low, high]."""

    dist: Literal["uniform"]
    low: Duration
    """Lower bound (seconds)."""
    high: Duration
    """Upper bound (seconds)."""

    @model_validator(mode="after")
    def _order(self) -> UniformCfg:
        if self.high < self.low:
            raise ValueError(f"high ({self.high}) must be >= low ({self.low})")
        return self

    def build(self, read: ReadNumbers) -> d.Distribution:
        return d.Uniform(self.low, self.high)


@register
class EmpiricalCfg(DistCfg):
    """Resample observed durations: inline ``values`` or a ``file`` (one number per line,
    or a CSV with a ``column``), each equally likely, or with ``weights`` (inline, or a
    ``weight_column`` of the file): value *i* is drawn with probability
    ``weights[i] / sum(weights)`` (e.g. rounded durations and their counts)."""

    dist: Literal["empirical"]
    values: list[Annotated[Float, Field(ge=0, allow_inf_nan=False)]] | None = None
    """Observed durations (seconds)."""
    weights: list[Annotated[Float, Field(ge=0, allow_inf_nan=False)]] | None = None
    """One weight per value (>= 0, not all 0); default: every value equally likely."""
    file: str | None = None
    """Path to a file of durations, relative to the scenario file."""
    column: str | None = None
    """Column of a CSV file to read (default: the only column)."""
    weight_column: str | None = None
    """Column of the CSV file holding each row's weight (default: none, equal weights)."""

    @model_validator(mode="after")
    def _one_source(self) -> EmpiricalCfg:
        if (self.values is None) == (self.file is None):
            raise ValueError("give exactly one of 'values' or 'file'")
        if self.values is not None and len(self.values) == 0:
            raise ValueError("'values' is empty; give at least one duration")
        if self.weights is not None:
            if self.values is None:
                raise ValueError("'weights' go with 'values' (for a file, name its "
                                 "'weight_column')")
            if len(self.weights) != len(self.values):
                raise ValueError(f"'weights' has {len(self.weights)} entries but 'values' "
                                 f"has {len(self.values)}; give one weight per value")
            if sum(self.weights) <= 0:
                raise ValueError("'weights' sum to 0; give at least one positive weight")
        if self.weight_column is not None and self.file is None:
            raise ValueError("'weight_column' needs a 'file' (inline values take 'weights')")
        return self

    def build(self, read: ReadNumbers) -> d.Distribution:
        if self.values is not None:
            if self.weights is not None:
                return d.WeightedEmpirical(tuple(self.values), tuple(self.weights))
            return d.Empirical(tuple(self.values))
        values = tuple(read(str(self.file), self.column))
        if self.weight_column is None:
            return d.Empirical(values)
        weights = tuple(read(str(self.file), self.weight_column))
        if sum(weights) <= 0:
            raise ValueError(f"file {self.file!r}: column {self.weight_column!r} sums to 0; "
                             "give at least one positive weight")
        return d.WeightedEmpirical(values, weights)

    def files(self) -> list[str]:
        return [self.file] if self.file is not None else []


@register
class SurvivalCfg(DistCfg):
    """A survival table (e.g. a Kaplan–Meier estimate of patience): ``P(X > times[i]) =
    survival[i]``, with a step at each time, and beyond the last time an exponential
    ``tail``: ``X = times[-1] + Exponential(tail.mean)``. ``callsim fit`` writes patience
    in this form."""

    dist: Literal["survival"]
    times: list[Annotated[Float, Field(ge=0, allow_inf_nan=False)]] = Field(min_length=1)
    """Increasing times (seconds) at which the survival steps down."""
    survival: list[Annotated[Float, Field(ge=0, le=1)]] = Field(min_length=1)
    """``P(X > time)`` just after each time: one per time, never rising."""
    tail: ExponentialCfg | None = None
    """Beyond the last time: ``{dist: exponential, mean: ...}`` (needed unless the last
    survival is 0)."""

    @model_validator(mode="after")
    def _table(self) -> SurvivalCfg:
        t, s = self.times, self.survival
        if len(t) != len(s):
            raise ValueError(f"'times' has {len(t)} entries but 'survival' has {len(s)}; "
                             "give one survival per time")
        if any(b <= a for a, b in itertools.pairwise(t)):
            raise ValueError("'times' must increase")
        if any(b > a for a, b in itertools.pairwise(s)):
            raise ValueError("'survival' may not rise")
        if s[-1] > 0 and self.tail is None:
            raise ValueError(f"the last survival is {s[-1]:g} > 0: give a 'tail' "
                             "({dist: exponential, mean: ...}) for what lies beyond the "
                             "last time")
        return self

    def build(self, read: ReadNumbers) -> d.Distribution:
        tail = self.tail.mean if self.tail is not None else 1.0
        return d.SurvivalTable(tuple(self.times), tuple(self.survival), tail)


DIST_NAMES: tuple[str, ...] = tuple(DISTRIBUTIONS)
"""The registered distribution names (for messages)."""

if TYPE_CHECKING:
    DistributionCfg = DistCfg
else:
    DistributionCfg = Annotated[
        typing.Union[tuple(DISTRIBUTIONS.values())],  # noqa: UP007 - built from the registry
        Field(discriminator="dist"),
    ]
    """Any registered distribution, chosen by its ``dist`` key."""


def _number_as_deterministic(value: Any) -> Any:
    refuse_bool(value)
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        try:
            return {"dist": "deterministic", "value": parse_duration(value)}
        except ValueError:
            return value
    return value


Dist = Annotated[DistributionCfg, BeforeValidator(_number_as_deterministic)]
"""A distribution, or a bare number/duration meaning a fixed duration."""
