"""Scenario files: the YAML schema, safe loading, overrides and clean error messages.

Owns the *description* of a call centre as validated, immutable pydantic models.
Imports only :mod:`callsim.errors` from callsim; it never imports the model. The
:mod:`callsim.compiled` package turns a validated :class:`Scenario` into the plain
objects the simulation runs on.

Units: every duration is in seconds. A duration may be written as a number of
seconds or as a string with a unit (``"90s"``, ``"30min"``, ``"8h"``, ``"1d"``);
clock times are ``"HH:MM"`` and may run past 24:00 only as a shift end (``"25:00"``).
"""

from __future__ import annotations

import copy
import itertools
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from callsim.errors import ConfigError

# --------------------------------------------------------------------------- units

_DURATION_RE = re.compile(
    r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(s|sec|min|m|h|hr|d|day|days)?\s*$"
)
_UNIT_SECONDS = {None: 1.0, "s": 1.0, "sec": 1.0, "min": 60.0, "m": 60.0, "h": 3600.0,
                 "hr": 3600.0, "d": 86400.0, "day": 86400.0, "days": 86400.0}


def parse_duration(value: Any) -> Any:
    """Turn ``"30min"``-style strings into seconds; leave numbers to pydantic."""
    if isinstance(value, str):
        m = _DURATION_RE.match(value)
        if not m:
            raise ValueError(
                f"{value!r} is not a duration; write seconds (90) or a number with a unit "
                "(90s, 30min, 8h, 1d)"
            )
        return float(m.group(1)) * _UNIT_SECONDS[m.group(2)]
    return value


def parse_clock(value: Any) -> Any:
    """Turn ``"HH:MM"`` into seconds since midnight."""
    if isinstance(value, str):
        m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", value)
        if not m or int(m.group(2)) >= 60 or int(m.group(1)) > 48:
            raise ValueError(f"{value!r} is not a clock time; write HH:MM, e.g. 09:00")
        return int(m.group(1)) * 3600.0 + int(m.group(2)) * 60.0
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(f"{value!r} is not a clock time; write it as a quoted \"HH:MM\"")
    return value


Duration = Annotated[float, BeforeValidator(parse_duration), Field(ge=0, allow_inf_nan=False)]
PositiveDuration = Annotated[
    float, BeforeValidator(parse_duration), Field(gt=0, allow_inf_nan=False)
]
Clock = Annotated[float, BeforeValidator(parse_clock), Field(ge=0, le=48 * 3600)]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Name = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_\-]*$")]


def _handle_factor(value: Any) -> Any:
    """``pools.<name>.secondary_handle_factor``: a factor > 0, or ``{skill: factor}``
    (checked here so that a bad value gives one message, not one per union branch)."""
    def bad(f: Any) -> bool:
        return isinstance(f, bool) or not isinstance(f, int | float) or not 0 < f < math.inf

    if isinstance(value, dict):
        for k, f in value.items():
            if bad(f):
                raise ValueError(f"{k}: a talk-time factor must be a number greater than 0 "
                                 f"(got {f!r})")
    elif bad(value):
        raise ValueError("give a talk-time factor greater than 0, or {skill: factor}")
    return value


HandleFactor = Annotated[float | dict[Name, float], BeforeValidator(_handle_factor)]
"""A factor on talk time (``pools.<name>.secondary_handle_factor``)."""


class Strict(BaseModel):
    """Base of every config model: unknown keys are errors; objects are immutable."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, use_attribute_docstrings=True, validate_default=True
    )


# ------------------------------------------------------------------ distributions


class ExponentialCfg(Strict):
    """Exponential distribution."""

    dist: Literal["exponential"]
    mean: PositiveDuration
    """Mean (seconds)."""


class LognormalCfg(Strict):
    """Lognormal distribution given by mean and coefficient of variation."""

    dist: Literal["lognormal"]
    mean: PositiveDuration
    """Mean (seconds)."""
    cv: Annotated[float, Field(gt=0, le=20)]
    """Coefficient of variation (standard deviation / mean)."""


class GammaCfg(Strict):
    """Gamma distribution given by mean and coefficient of variation."""

    dist: Literal["gamma"]
    mean: PositiveDuration
    """Mean (seconds)."""
    cv: Annotated[float, Field(gt=0, le=20)]
    """Coefficient of variation; shape = 1/cv²."""


class WeibullCfg(Strict):
    """Weibull distribution."""

    dist: Literal["weibull"]
    shape: Annotated[float, Field(gt=0)]
    """Shape k (1 = exponential; < 1 = decreasing hazard)."""
    scale: PositiveDuration
    """Scale λ (seconds)."""


class DeterministicCfg(Strict):
    """A fixed duration. A bare number where a distribution is expected means this."""

    dist: Literal["deterministic"]
    value: Duration
    """The duration (seconds)."""


class UniformCfg(Strict):
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


class EmpiricalCfg(Strict):
    """Resample observed durations: inline ``values`` or a ``file`` (one number per line,
    or a CSV with a ``column``)."""

    dist: Literal["empirical"]
    values: list[Annotated[float, Field(ge=0, allow_inf_nan=False)]] | None = None
    """Observed durations (seconds)."""
    file: str | None = None
    """Path to a file of durations, relative to the scenario file."""
    column: str | None = None
    """Column of a CSV file to read (default: the only column)."""

    @model_validator(mode="after")
    def _one_source(self) -> EmpiricalCfg:
        if (self.values is None) == (self.file is None):
            raise ValueError("give exactly one of 'values' or 'file'")
        if self.values is not None and len(self.values) == 0:
            raise ValueError("'values' is empty; give at least one duration")
        return self


DistributionCfg = Annotated[
    ExponentialCfg | LognormalCfg | GammaCfg | WeibullCfg | DeterministicCfg | UniformCfg
    | EmpiricalCfg,
    Field(discriminator="dist"),
]
DIST_NAMES = ("exponential", "lognormal", "gamma", "weibull", "deterministic", "uniform",
              "empirical")


def _number_as_deterministic(value: Any) -> Any:
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        try:
            return {"dist": "deterministic", "value": parse_duration(value)}
        except ValueError:
            return value
    return value


Dist = Annotated[DistributionCfg, BeforeValidator(_number_as_deterministic)]

# ------------------------------------------------------------------------ horizon


class Horizon(Strict):
    """When the simulated period starts, how long it lasts and how it is reported."""

    start: Clock = "00:00"  # type: ignore[assignment]
    """Clock time at which the simulation starts ("HH:MM")."""
    length: PositiveDuration = 86400.0
    """Length of the period in which calls arrive (e.g. 24h, 7d)."""
    warmup: Duration = 0.0
    """Calls arriving in this first part are simulated but left out of the KPIs."""
    interval: PositiveDuration = 3600.0
    """Reporting interval (15min, 30min or 60min are usual); must divide a day."""
    drain_limit: PositiveDuration = 86400.0
    """After the last arrival the run goes on until every call has ended, at most this long."""

    @field_validator("interval")
    @classmethod
    def _divides_day(cls, v: float) -> float:
        if v < 60 or (86400.0 / v) % 1 != 0:
            raise ValueError(
                f"{v:g} s must be at least 60 s and divide a day (allowed e.g. 15min, "
                "30min, 60min)"
            )
        return v

    @model_validator(mode="after")
    def _check(self) -> Horizon:
        if self.warmup >= self.length:
            raise ValueError(
                f"warmup ({self.warmup:g} s) must be shorter than length ({self.length:g} s)"
            )
        return self


# ----------------------------------------------------------------------- arrivals


class CsvProfile(Strict):
    """Calls per interval read from a CSV file, as an ACD report exports them."""

    path: str
    """Path to the CSV file, relative to the scenario file."""
    column: str = "calls"
    """Column holding the number of calls in each interval."""
    interval: PositiveDuration = 3600.0
    """Length of each row's interval."""


class RateProfile(Strict):
    """A Poisson arrival rate: constant or piecewise constant over the day.

    Give exactly one of ``rate``, ``per_interval``, ``daily_volume`` or ``csv``. Profiles
    start at 00:00 of the first day; one that covers a day repeats every day.
    """

    rate: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None
    """Constant arrival rate, calls per hour."""
    per_interval: list[Annotated[float, Field(ge=0, allow_inf_nan=False)]] | None = None
    """Expected calls in each interval of length ``interval``, from 00:00."""
    interval: PositiveDuration = 3600.0
    """Length of each ``per_interval`` entry."""
    daily_volume: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None
    """Expected calls per day, spread over the day by ``hourly_shape`` (flat if absent)."""
    hourly_shape: list[Annotated[float, Field(ge=0, allow_inf_nan=False)]] | None = None
    """24 relative weights, one per clock hour; normalised to sum to 1."""
    csv: CsvProfile | None = None
    """Expected calls per interval read from a CSV file."""
    scale: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 1.0
    """Multiplies the whole profile (a what-if: 1.2 = 20 % more calls)."""

    @model_validator(mode="after")
    def _one_form(self) -> RateProfile:
        given = [k for k in ("rate", "per_interval", "daily_volume", "csv")
                 if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of rate, per_interval, daily_volume, csv "
                f"(got {', '.join(given) if given else 'none'})"
            )
        if self.hourly_shape is not None:
            if self.daily_volume is None:
                raise ValueError("hourly_shape is only used with daily_volume")
            if len(self.hourly_shape) != 24:
                raise ValueError(
                    f"hourly_shape has {len(self.hourly_shape)} entries; it needs 24 (one per hour)"
                )
            if sum(self.hourly_shape) <= 0:
                raise ValueError("hourly_shape sums to 0; give positive weights")
        if self.per_interval is not None:
            if not self.per_interval:
                raise ValueError("per_interval is empty")
            if (86400.0 / self.interval) % 1 != 0:
                raise ValueError(f"interval {self.interval:g} s must divide a day")
        return self


class Arrivals(RateProfile):
    """How calls arrive: a total with a call-type ``mix``, or one profile per call type.

    Either give a total profile (the RateProfile keys) plus ``mix``, or give
    ``by_call_type`` only.
    """

    # Re-declared so that a `by_call_type` form can leave every total field out.
    mix: dict[Name, Annotated[float, Field(ge=0, le=1)]] | None = None
    """Share of the total per call type; must sum to 1."""
    by_call_type: dict[Name, RateProfile] | None = None
    """A separate arrival profile (and random stream) per call type."""
    overdispersion: Annotated[float, Field(ge=0, le=2)] = 0.0
    """Coefficient of variation of a gamma daily busyness factor (0 = plain Poisson)."""

    @model_validator(mode="before")
    @classmethod
    def _by_type_skips_total(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and "by_call_type" in data:
            total = {"rate", "per_interval", "daily_volume", "csv", "hourly_shape", "mix"}
            clash = sorted(total & set(data))
            if clash:
                raise ValueError(
                    f"by_call_type cannot be combined with {', '.join(clash)}; "
                    "give per-type profiles or a total with a mix, not both"
                )
            return {**data, "rate": 1.0}  # placeholder, never used with by_call_type
        return data

    @model_validator(mode="after")
    def _mix(self) -> Arrivals:
        if self.by_call_type is None:
            if self.mix is None:
                raise ValueError("a total arrival profile needs a 'mix' (share per call type)")
            total = sum(self.mix.values())
            if not math.isclose(total, 1.0, abs_tol=1e-6):
                raise ValueError(f"mix shares sum to {total:.6g}; they must sum to 1")
        return self


# --------------------------------------------------------------------- call types


class AnnounceCfg(Strict):
    """A queue announcement to callers who must wait, and how many hang up on hearing it."""

    mode: Literal["expected_wait", "position"] = "expected_wait"
    """What a caller is told on joining the queue: the expected wait (seconds: position ×
    the call type's mean handle time and after-call work ÷ the agents present in the
    pools that see the queue at once), or the position (1 = next)."""
    balk: list[tuple[Duration, Probability]] = Field(min_length=1)
    """Points ``[announced value, probability of hanging up at once]``: linear in
    between, constant before the first and after the last. Values increase (seconds or
    durations for ``expected_wait``, callers for ``position``); probabilities never fall."""

    @model_validator(mode="after")
    def _rising(self) -> AnnounceCfg:
        xs = [x for x, _ in self.balk]
        ps = [p for _, p in self.balk]
        if any(b <= a for a, b in itertools.pairwise(xs)):
            raise ValueError(f"balk: the announced values must increase (got {xs})")
        if any(b < a for a, b in itertools.pairwise(ps)):
            raise ValueError(f"balk: the probability may not fall as the announced value "
                             f"rises (got {ps})")
        return self



class CallTypeCfg(Strict):
    """What a caller needs, and how long it takes."""

    @model_validator(mode="after")
    def _shares(self) -> CallTypeCfg:
        total = self.transfer_out + self.referral + self.transfer_share
        if total > 1.0 + 1e-12:
            raise ValueError(f"transfer_out + referral + transfer_share = {total:g}; their "
                             "sum must be at most 1")
        if self.transfer_share > 0 and self.transfer_to is None:
            raise ValueError("transfer_share needs transfer_to (the call type to put "
                             "callers through to)")
        return self

    handle_time: Dist
    """Agent talk time (seconds)."""
    after_call_work: Dist | None = None
    """Wrap-up after the caller hangs up: the agent stays busy (seconds)."""
    patience: Dist | None = None
    """How long the caller waits in queue before hanging up; null = never abandons."""
    queue_capacity: Annotated[int, Field(ge=0)] | None = None
    """Most calls that may wait in this call type's queue; a call finding it full is blocked."""
    priority: int = 0
    """Call-type priority: pools with ``policy: priority`` serve higher values first."""
    wait_weight: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 1.0
    """Weight of this queue's waiting time for pools with ``policy: longest_wait``."""
    transfer_out: Probability = 0.0
    """Share of answered calls transferred to an official outside the centre (they end
    there; first-contact resolution counts the others)."""
    transfer_out_time: Dist = 30.0  # type: ignore[assignment]
    """Agent time spent on such a transfer, after the call (seconds)."""
    referral: Probability = 0.0
    """Share of answered calls only given a phone number to call (not resolved at the
    first contact, no extra agent time)."""
    transfer_to: Name | None = None
    """A call type whose queue some answered callers are put through to after their call
    (e.g. medical questions to a nurses' pool): a new internal leg of the same caller."""
    transfer_share: Probability = 0.0
    """Share of answered calls put through to ``transfer_to`` (agent time as for
    ``transfer_out_time``)."""
    announce: AnnounceCfg | None = None
    """Tell callers who must wait in this call type's queue their expected wait or
    position; some hang up at once (outcome ``balked``). null = no announcement."""
    description: str = ""
    """Free text."""


# -------------------------------------------------------------------- agent pools


class Shift(Strict):
    """A daily shift: ``agents`` work from ``start`` to ``end`` (may pass midnight)."""

    start: Clock
    """Clock time the shift starts."""
    end: Clock
    """Clock time it ends; earlier than start means the next day (18:00-01:00)."""
    agents: Annotated[int, Field(ge=0)]
    """Headcount on this shift."""

    @model_validator(mode="after")
    def _span(self) -> Shift:
        if self.start >= 86400:
            raise ValueError("shift start must be before 24:00")
        if self.end == self.start:
            raise ValueError("shift start and end are equal")
        return self


class Staffing(Strict):
    """How many agents a pool has over time: give exactly one of the three forms."""

    agents: Annotated[int, Field(ge=0)] | None = None
    """A constant headcount."""
    per_interval: list[Annotated[int, Field(ge=0)]] | None = None
    """Headcount per interval of length ``interval`` from 00:00 of the first day; one day
    of entries repeats daily, otherwise it must cover the horizon."""
    interval: PositiveDuration = 3600.0
    """Length of each ``per_interval`` entry."""
    shifts: list[Shift] | None = None
    """Daily shifts; headcounts of overlapping shifts add up."""

    @model_validator(mode="before")
    @classmethod
    def _bare_int(cls, data: Any) -> Any:
        if isinstance(data, int) and not isinstance(data, bool):
            return {"agents": data}
        return data

    @model_validator(mode="after")
    def _one_form(self) -> Staffing:
        given = [k for k in ("agents", "per_interval", "shifts") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of agents, per_interval, shifts "
                f"(got {', '.join(given) if given else 'none'})"
            )
        if self.per_interval is not None and (86400.0 / self.interval) % 1 != 0:
            raise ValueError(f"interval {self.interval:g} s must divide a day")
        return self


class PoolCfg(Strict):
    """A group of agents with the same skills and schedule."""

    skills: list[Name] = Field(min_length=1)
    """Call types these agents can answer, in the order they prefer them."""
    staffing: Staffing
    """Headcount over time."""
    policy: Literal["longest_wait", "priority"] = "longest_wait"
    """How a free agent picks among the queues it serves: the longest weighted wait
    (``wait_weight`` × wait of each queue's first caller; FCFS across queues by default),
    or ``priority``: the call type's ``priority``, then the skill order, then FCFS."""
    reserve: dict[Name, Annotated[int, Field(ge=1)]] | None = None
    """Keep this many idle agents for a call type: other calls are answered by this pool
    only while more agents than that are idle."""
    shrinkage: Probability = 0.0
    """Share of scheduled agents off the phones (breaks, meetings, training)."""
    absenteeism: Probability = 0.0
    """Probability that each scheduled agent is absent for the day (random per
    replication and day)."""
    secondary_handle_factor: HandleFactor = 1.0
    """Talk time of these agents on their secondary skills (every skill after the first)
    relative to the call type's ``handle_time``: one factor for all of them (``1.15``:
    15 % slower), or ``{skill: factor}`` for some (the others 1). 1 = no difference."""
    description: str = ""
    """Free text."""

    @model_validator(mode="after")
    def _secondary_skills(self) -> PoolCfg:
        f = self.secondary_handle_factor
        if isinstance(f, dict):
            wrong = [k for k in f if k not in self.skills[1:]]
            if wrong:
                raise ValueError(
                    f"secondary_handle_factor: {', '.join(wrong)} not a secondary skill of "
                    f"this pool; allowed: {', '.join(self.skills[1:]) or 'none'} (the skills "
                    "after the first)")
        return self


# ------------------------------------------------------------------ queue and KPIs


class QueueCfg(Strict):
    """System-wide queue rules."""

    capacity: Annotated[int, Field(ge=0)] | None = None
    """Most calls that may wait in all queues together; a call finding them full is
    disconnected with a message (outcome ``blocked``). null = no limit."""
    short_abandon: Duration = 0.0
    """Callers who hang up within this many seconds of reaching the queue are
    ``short_abandons``, left out of ``offered``."""


class KpiCfg(Strict):
    """Which service-level thresholds to report."""

    service_levels: list[PositiveDuration] = Field(default_factory=lambda: [20.0], min_length=1)
    """Thresholds t (seconds) for sl_<t> and sla_<t>."""


# ---------------------------------------------------------------------- IVR menu


def _str_keys(value: Any) -> Any:
    """YAML reads an unquoted digit key (``1:``) as an int; options are keyed by text."""
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    return value


class MenuOption(Strict):
    """What pressing one key does: give exactly one of queue, goto, self_service, disconnect."""

    queue: Name | None = None
    """Send the caller to this call type's queue."""
    intents: list[Name] | None = None
    """With ``queue``: the call types whose callers should press this key (default: the
    queue's own call type). A one-level menu's "general" key may serve several."""
    goto: Name | None = None
    """Play this menu node next (a sub-menu)."""
    self_service: dict[Name, Probability] | None = None
    """A recording that helps callers: for each intent (call type), the share of callers
    with that intent at this node who take it and leave satisfied (``self_served``)."""
    disconnect: bool = False
    """Hang up on the caller (e.g. an option that only plays a message)."""
    weight: Annotated[float, Field(gt=0)] = 1.0
    """Relative choice weight when several options lead to a caller's intent."""
    label: str = ""
    """What the prompt says for this key."""

    @model_validator(mode="after")
    def _one_action(self) -> MenuOption:
        given = [k for k in ("queue", "goto", "self_service") if getattr(self, k) is not None]
        if self.disconnect:
            given.append("disconnect")
        if len(given) != 1:
            raise ValueError(
                "an option needs exactly one of queue, goto, self_service, disconnect "
                f"(got {', '.join(given) if given else 'none'})"
            )
        if self.intents is not None and self.queue is None:
            raise ValueError("'intents' is only used with 'queue'")
        return self

    def intent_list(self) -> list[str]:
        """Call types this option is the right key for (queue options only)."""
        if self.queue is None:
            return []
        return list(self.intents) if self.intents is not None else [self.queue]


class MenuNode(Strict):
    """One menu: a prompt, then the caller presses a key (or not, or hangs up)."""

    prompt: Dist = 0.0  # type: ignore[assignment]
    """Length of the announcement (seconds, or a distribution)."""
    decision: Dist | None = None
    """Time the caller takes to press a key after the prompt (default 0)."""
    options: Annotated[dict[Annotated[str, Field(pattern=r"^[0-9*#]{1,3}$")], MenuOption],
                       BeforeValidator(_str_keys)] = Field(min_length=1)
    """Keys (digits, * or #) and what they do."""
    error_rate: Probability = 0.0
    """Probability that a caller presses a wrong key (a misroute or a wrong sub-menu)."""
    timeout_rate: Probability = 0.0
    """Probability that a caller presses nothing: the prompt repeats."""
    max_repeats: Annotated[int, Field(ge=0, le=10)] = 1
    """Repeats after a timeout before ``on_timeout`` applies."""
    on_timeout: str = "disconnect"
    """After too many timeouts: a call type (its queue), a node, or ``disconnect``."""
    hangup: Probability = 0.0
    """Probability that a caller hangs up at the end of this node's prompt."""
    hangup_hazard: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0.0
    """Hang-up rate per second while the prompt plays."""

    @model_validator(mode="after")
    def _rates(self) -> MenuNode:
        if self.error_rate + self.timeout_rate > 1.0 + 1e-12:
            raise ValueError(
                f"error_rate + timeout_rate = {self.error_rate + self.timeout_rate:g}; "
                "their sum must be at most 1"
            )
        return self


class IvrCfg(Strict):
    """The IVR (ARS) menu tree callers walk before they reach a queue."""

    root: Name
    """The first menu node every caller hears."""
    nodes: dict[Name, MenuNode] = Field(min_length=1)
    """Menu nodes by name."""


class MisrouteCfg(Strict):
    """What happens to a caller who reaches the wrong queue."""

    transfer_time: Dist = 30.0  # type: ignore[assignment]
    """Agent time spent finding out and transferring the caller (seconds)."""
    requeue: Literal["front", "back"] = "front"
    """Where the transferred caller waits in the right queue."""


class RouteStep(Strict):
    """A pool in a call type's routing list, with an overflow delay."""

    pool: Name
    """The agent pool."""
    after: Duration = 0.0
    """The call becomes visible to this pool after waiting this long (0 = at once)."""


class RedialCfg(Strict):
    """Callers who try again: each new attempt is a new call of the same caller."""

    after_abandon: Probability = 0.0
    """Probability that a caller who hung up in the queue (incl. short abandons) redials."""
    after_ivr_hangup: Probability = 0.0
    """Probability that a caller who hung up in the menu redials."""
    after_blocked: Probability = 0.0
    """Probability that a caller cut off because the queue was full redials."""
    delay: Dist = Field(  # type: ignore[assignment]
        default_factory=lambda: {"dist": "exponential", "mean": 600.0})
    """Time from hanging up to the next attempt (seconds)."""
    max_attempts: Annotated[int, Field(ge=1, le=100)] = 5
    """Most attempts per caller, the first included."""


class CallbackCfg(Strict):
    """Offer waiting callers a call back when the wait is long."""

    offer_when_waiting: Annotated[int, Field(ge=0)] = 10
    """Offer when at least this many callers already wait in the caller's queue."""
    accept: Probability = 0.5
    """Share of callers offered who accept, leave the queue and are called back."""
    pool: Name
    """The pool that makes the calls back (e.g. a return-call team), within its hours."""


# ------------------------------------------------------------------------ scenario


class Scenario(Strict):
    """A call centre: when calls arrive, what they need, who answers them and how."""

    name: str = "scenario"
    """Short name shown in tables."""
    description: str = ""
    """Free text."""
    horizon: Horizon = Field(default_factory=Horizon)
    """Simulated period and reporting interval."""
    call_types: dict[Name, CallTypeCfg] = Field(min_length=1)
    """Call types by name."""
    arrivals: Arrivals
    """Arrival process."""
    pools: dict[Name, PoolCfg] = Field(min_length=1)
    """Agent pools by name."""
    routing: dict[Name, list[Name | RouteStep]] | None = None
    """For each call type, the pools that may answer it in preference order (a name, or
    ``{pool: name, after: 30}`` for overflow: the call becomes visible to that pool after
    waiting that long). Default: every pool with the skill, in the order listed."""
    queue: QueueCfg = Field(default_factory=QueueCfg)
    """Queue capacity and short-abandon threshold."""
    ivr: IvrCfg | None = None
    """The IVR menu; without one, callers go straight to their call type's queue."""
    misroute: MisrouteCfg = Field(default_factory=MisrouteCfg)
    """Handling of callers who reach the wrong queue through the menu."""
    redials: RedialCfg | None = None
    """Callers who call again after hanging up or being cut off."""
    callbacks: CallbackCfg | None = None
    """Offering a call back instead of waiting."""
    kpis: KpiCfg = Field(default_factory=KpiCfg)
    """KPI settings."""
    source: SkipJsonSchema[str | None] = Field(default=None, exclude=True)
    """Where this scenario was loaded from (set by the loader)."""
    _raw: dict[str, Any] = PrivateAttr(default_factory=dict)
    """The mapping it was validated from (after extends and overrides): what-ifs are
    applied to it and re-validated, so shorthand and clock strings survive."""

    @property
    def raw(self) -> dict[str, Any]:
        """A copy of the mapping this scenario was validated from."""
        return copy.deepcopy(self._raw)

    def routing_for(self, call_type: str) -> list[str]:
        """Pools that may answer *call_type*, in preference order."""
        return [p for p, _ in self.route_steps(call_type)]

    def route_steps(self, call_type: str) -> list[tuple[str, float]]:
        """(pool, overflow delay in s) for *call_type*, in preference order."""
        if self.routing is not None and call_type in self.routing:
            return [(r, 0.0) if isinstance(r, str) else (r.pool, r.after)
                    for r in self.routing[call_type]]
        return [(p, 0.0) for p, cfg in self.pools.items() if call_type in cfg.skills]


# ----------------------------------------------------------------------- loading


def _fmt_value(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _loc_path(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, str) and (
            item in DIST_NAMES or item.startswith("function-") or item in ("int", "float")
        ):
            continue  # union branch tags: not part of the user's path
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + item)
    return "".join(parts) or "(top level)"


def format_validation_error(err: ValidationError, source: str) -> ConfigError:
    """Turn a pydantic error into one readable message: file, field path, value, allowed."""
    lines = [f"{source}: invalid scenario ({err.error_count()} problem"
             f"{'s' if err.error_count() != 1 else ''})"]
    seen: set[str] = set()
    for e in err.errors(include_url=False):
        path = _loc_path(tuple(e["loc"]))
        if e["type"] == "extra_forbidden":
            msg = f"unknown key {e['loc'][-1]!r}"
            allowed = _allowed_keys(tuple(e["loc"][:-1]))
            if allowed:
                msg += f"; allowed keys here: {', '.join(allowed)}"
            line = f"  {path}: {msg}"
        elif e["type"] == "missing":
            line = f"  {path}: required field is missing"
        elif e["type"] == "union_tag_invalid":
            line = (f"  {path}: unknown distribution {e['input'].get('dist')!r}; "
                    f"allowed: {', '.join(DIST_NAMES)}")
        elif e["type"] == "union_tag_not_found":
            line = f"  {path}: a distribution needs 'dist' (one of {', '.join(DIST_NAMES)})"
        else:
            msg = str(e["msg"]).removeprefix("Value error, ")
            got = e.get("input")
            line = f"  {path}: {msg}"
            if not isinstance(got, Mapping | list):
                line += f" (got {_fmt_value(got)})"
        if line not in seen:
            seen.add(line)
            lines.append(line)
    return ConfigError("\n".join(lines))


_MODEL_AT: dict[str, type[BaseModel]] = {}


def _allowed_keys(loc: tuple[int | str, ...]) -> list[str]:
    """Field names allowed at *loc*, found by walking the schema (best effort)."""
    model: Any = Scenario
    for item in loc:
        if isinstance(item, int) or model is None:
            continue
        if isinstance(item, str) and item in DIST_NAMES:
            model = {"exponential": ExponentialCfg, "lognormal": LognormalCfg,
                     "gamma": GammaCfg, "weibull": WeibullCfg,
                     "deterministic": DeterministicCfg, "uniform": UniformCfg,
                     "empirical": EmpiricalCfg}[item]
            continue
        fields = getattr(model, "model_fields", None)
        if fields is None:
            return []
        if item in fields:
            model = _inner_model(fields[item].annotation)
        else:  # a dict key such as a call type name
            continue
    fields = getattr(model, "model_fields", None)
    return sorted(f for f in fields if f != "source") if fields else []


def _inner_model(annotation: Any) -> Any:
    """The BaseModel inside ``X | None``, ``list[X]`` or ``dict[str, X]`` (best effort)."""
    import typing

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def deep_merge(base: Mapping[str, Any], top: Mapping[str, Any],
               null_deletes: bool = False) -> dict[str, Any]:
    """Merge *top* into a copy of *base*: mappings merge key by key; anything else replaces.

    With *null_deletes* (how ``extends:`` merges), ``key: null`` in *top* removes the key,
    so a variant can drop a pool or section of its base (it then takes its default).
    """
    out: dict[str, Any] = copy.deepcopy(dict(base))
    for key, value in top.items():
        if value is None and null_deletes:
            out.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value, null_deletes)
        else:
            out[key] = copy.deepcopy(value)
    return out


def parse_override(text: str) -> tuple[str, Any]:
    """Split ``"path.to.key=value"``; the value is read as YAML (``1.2``, ``[1,2]``, ``null``)."""
    if "=" not in text:
        raise ConfigError(
            f"--set {text!r}: write path=value, e.g. pools.general.staffing.agents=40"
        )
    path, _, raw = text.partition("=")
    path = path.strip()
    if not path:
        raise ConfigError(f"--set {text!r}: the path before '=' is empty")
    if re.fullmatch(r"\s*\d{1,2}:\d{2}\s*", raw):
        return path, raw.strip()  # a clock time (YAML 1.1 would read 13:00 as 780)
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError as exc:
        raise ConfigError(f"--set {text!r}: the value is not valid YAML ({exc})") from None
    return path, value


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set ``data[a][b][c] = value`` for ``path = "a.b.c"`` (list items by index)."""
    keys = path.split(".")
    node: Any = data
    for i, key in enumerate(keys[:-1]):
        if isinstance(node, list):
            if not key.isdigit() or int(key) >= len(node):
                raise ConfigError(f"override {path!r}: {'.'.join(keys[:i + 1])} is not an index")
            node = node[int(key)]
            continue
        if not isinstance(node, dict):
            raise ConfigError(f"override {path!r}: {'.'.join(keys[:i])} is not a mapping")
        if not isinstance(node.get(key), dict | list):
            node[key] = {}  # a missing key, or a shorthand scalar the override replaces
        node = node[key]
    last = keys[-1]
    if isinstance(node, list):
        if not last.isdigit() or int(last) >= len(node):
            raise ConfigError(f"override {path!r}: {last!r} is not an index of that list")
        node[int(last)] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise ConfigError(f"override {path!r}: cannot set a key inside {type(node).__name__}")


def read_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML mapping safely (``yaml.safe_load``), resolving ``extends:`` chains."""
    return _read_yaml(path, ())


def _read_yaml(path: Path, chain: tuple[Path, ...]) -> dict[str, Any]:
    path = path.resolve()
    if path in chain:
        raise ConfigError(f"{path}: 'extends' loops back to itself")
    if not path.is_file():
        raise ConfigError(f"{path}: scenario file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); "
                          "save the file as UTF-8") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys, "
                          f"got {type(data).__name__}")
    base = data.pop("extends", None)
    if base is not None:
        if not isinstance(base, str):
            raise ConfigError(f"{path}: extends: must be a file path (got {base!r})")
        parent = _read_yaml(path.parent / base, (*chain, path))
        data = deep_merge(parent, data, null_deletes=True)
    return data


def validate(data: Mapping[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate a raw mapping into a :class:`Scenario`, raising :class:`ConfigError`."""
    try:
        scenario = Scenario.model_validate({**data, "source": source})
    except ValidationError as err:
        raise format_validation_error(err, source) from None
    scenario._raw = copy.deepcopy({k: v for k, v in data.items() if k != "source"})
    cross_check(scenario)
    return scenario


def load_scenario(
    path: str | Path,
    overrides: Mapping[str, Any] | list[str] | None = None,
) -> Scenario:
    """Load and validate a scenario file.

    Parameters
    ----------
    path
        The YAML file (loaded with ``yaml.safe_load``; ``extends: base.yaml`` merges a base).
    overrides
        What-ifs applied after the file: a mapping ``{"pools.general.staffing.agents": 40}``
        or a list of ``"path=value"`` strings (as given to ``--set``).

    Raises
    ------
    ConfigError
        With a message naming the file, the field path, the bad value and what is allowed.
    """
    p = Path(path)
    data = read_yaml(p)
    data = apply_overrides(data, overrides)
    return validate(data, str(p))


def apply_overrides(
    data: dict[str, Any], overrides: Mapping[str, Any] | list[str] | None
) -> dict[str, Any]:
    """Return a copy of *data* with dotted-path *overrides* applied in order."""
    if not overrides:
        return data
    out = copy.deepcopy(data)
    pairs = overrides.items() if isinstance(overrides, Mapping) else map(parse_override, overrides)
    for key, value in pairs:
        set_path(out, key, value)
    return out


def scenario_from_dict(
    data: Mapping[str, Any], overrides: Mapping[str, Any] | list[str] | None = None,
    source: str = "<dict>",
) -> Scenario:
    """Validate an in-memory mapping (e.g. built in a notebook) into a :class:`Scenario`."""
    return validate(apply_overrides(dict(data), overrides), source)


def with_overrides(
    scenario: Scenario, overrides: Mapping[str, Any] | list[str] | None
) -> Scenario:
    """A copy of *scenario* with dotted-path *overrides* applied and re-validated."""
    if not overrides:
        return scenario
    data = scenario.raw
    if not data:  # built directly with Scenario(...), not through validate()
        data = scenario.model_dump(mode="json", exclude_none=True)
        data.pop("source", None)
    return validate(apply_overrides(data, overrides), scenario.source or "<scenario>")


# ------------------------------------------------------------------ cross checks


def cross_check(sc: Scenario) -> None:
    """Checks that span several sections; raises one :class:`ConfigError` listing all."""
    src = sc.source or "<scenario>"
    problems: list[str] = []
    types = list(sc.call_types)
    pools = list(sc.pools)
    for pname, pool in sc.pools.items():
        for j, skill in enumerate(pool.skills):
            if skill not in sc.call_types:
                problems.append(f"pools.{pname}.skills[{j}]: {skill!r} is not a call type; "
                                f"allowed: {', '.join(types)}")
        if len(set(pool.skills)) != len(pool.skills):
            problems.append(f"pools.{pname}.skills: a skill is listed twice ({pool.skills})")
    arr = sc.arrivals
    if arr.by_call_type is not None:
        for ct in arr.by_call_type:
            if ct not in sc.call_types:
                problems.append(f"arrivals.by_call_type.{ct}: {ct!r} is not a call type; "
                                f"allowed: {', '.join(types)}")
        missing = [ct for ct in types if ct not in arr.by_call_type]
        if missing:
            problems.append(f"arrivals.by_call_type: no profile for {', '.join(missing)} "
                            "(every call type needs one; give 'rate: ...' or remove the type)")
    elif arr.mix is not None:
        for ct in arr.mix:
            if ct not in sc.call_types:
                problems.append(f"arrivals.mix.{ct}: {ct!r} is not a call type; "
                                f"allowed: {', '.join(types)}")
        missing = [ct for ct in types if ct not in arr.mix]
        if missing:
            problems.append(f"arrivals.mix: no share for {', '.join(missing)} "
                            "(give every call type a share, 0 allowed)")
    if sc.routing is not None:
        for ct, plist in sc.routing.items():
            if ct not in sc.call_types:
                problems.append(f"routing.{ct}: {ct!r} is not a call type; "
                                f"allowed: {', '.join(types)}")
                continue
            for j, step in enumerate(plist):
                p = step if isinstance(step, str) else step.pool
                if p not in sc.pools:
                    problems.append(f"routing.{ct}[{j}]: {p!r} is not an agent pool; "
                                    f"allowed: {', '.join(pools)}")
                elif ct not in sc.pools[p].skills:
                    problems.append(f"routing.{ct}[{j}]: pool {p!r} lacks the skill {ct!r} "
                                    f"(its skills: {', '.join(sc.pools[p].skills)})")
    for ct in types:
        if not any(p in sc.pools for p in sc.routing_for(ct)):
            problems.append(f"call_types.{ct}: no agent pool serves this call type; add it to a "
                            f"pool's skills (pools: {', '.join(pools)})")
    h = sc.horizon
    end_clock = h.start + h.length
    for pname, pool in sc.pools.items():
        st = pool.staffing
        if st.per_interval is not None:
            covers = len(st.per_interval) * st.interval
            if not math.isclose(covers, 86400.0) and covers < end_clock - 1e-9:
                problems.append(
                    f"pools.{pname}.staffing.per_interval: {len(st.per_interval)} entries of "
                    f"{st.interval:g} s cover {covers / 3600:g} h from 00:00, but the horizon "
                    f"runs to {end_clock / 3600:g} h; give one day of entries (repeats daily) "
                    "or cover the whole horizon"
                )
    profiles: list[tuple[str, RateProfile]] = []
    if arr.by_call_type is not None:
        profiles = [(f"arrivals.by_call_type.{k}", v) for k, v in arr.by_call_type.items()]
    else:
        profiles = [("arrivals", arr)]
    for where, prof in profiles:
        if prof.per_interval is not None:
            covers = len(prof.per_interval) * prof.interval
            if not math.isclose(covers, 86400.0) and covers < end_clock - 1e-9:
                problems.append(
                    f"{where}.per_interval: {len(prof.per_interval)} entries of "
                    f"{prof.interval:g} s cover {covers / 3600:g} h from 00:00, but the "
                    f"horizon runs to {end_clock / 3600:g} h; give one day of entries "
                    "(repeats daily) or cover the whole horizon"
                )
    if sc.ivr is not None:
        problems += _check_ivr(sc)
    problems += _check_files(sc)
    for name, ct_cfg in sc.call_types.items():
        if ct_cfg.transfer_to is not None and ct_cfg.transfer_to not in sc.call_types:
            problems.append(f"call_types.{name}.transfer_to: {ct_cfg.transfer_to!r} is not a "
                            f"call type; allowed: {', '.join(types)}")
    for pname, pool in sc.pools.items():
        for ct in pool.reserve or {}:
            if ct not in pool.skills:
                problems.append(f"pools.{pname}.reserve.{ct}: {ct!r} is not one of this "
                                f"pool's skills ({', '.join(pool.skills)})")
    if sc.callbacks is not None and sc.callbacks.pool not in sc.pools:
        problems.append(f"callbacks.pool: {sc.callbacks.pool!r} is not an agent pool; "
                        f"allowed: {', '.join(pools)}")
    if problems:
        raise ConfigError(f"{src}: invalid scenario ({len(problems)} problem"
                          f"{'s' if len(problems) != 1 else ''})\n  " + "\n  ".join(problems))


def _check_ivr(sc: Scenario) -> list[str]:
    """Menu options point somewhere real, and every call type is reachable."""
    assert sc.ivr is not None
    ivr = sc.ivr
    types = list(sc.call_types)
    nodes = list(ivr.nodes)
    problems: list[str] = []
    if ivr.root not in ivr.nodes:
        problems.append(f"ivr.root: {ivr.root!r} is not a menu node; allowed: {', '.join(nodes)}")
    for nname, node in ivr.nodes.items():
        for key, opt in node.options.items():
            where = f"ivr.nodes.{nname}.options.{key}"
            if opt.queue is not None and opt.queue not in sc.call_types:
                problems.append(f"{where}.queue: {opt.queue!r} is not a call type (queue); "
                                f"allowed: {', '.join(types)}")
            for j, ct in enumerate(opt.intents or []):
                if ct not in sc.call_types:
                    problems.append(f"{where}.intents[{j}]: {ct!r} is not a call type; "
                                    f"allowed: {', '.join(types)}")
            if opt.goto is not None and opt.goto not in ivr.nodes:
                problems.append(f"{where}.goto: {opt.goto!r} is not a menu node; "
                                f"allowed: {', '.join(nodes)}")
            for ct in opt.self_service or {}:
                if ct not in sc.call_types:
                    problems.append(f"{where}.self_service.{ct}: {ct!r} is not a call type; "
                                    f"allowed: {', '.join(types)}")
        t = node.on_timeout
        if t != "disconnect" and t not in sc.call_types and t not in ivr.nodes:
            problems.append(f"ivr.nodes.{nname}.on_timeout: {t!r} is not a call type, a menu "
                            f"node or 'disconnect'; allowed: disconnect, {', '.join(types)}, "
                            f"{', '.join(nodes)}")
    if problems:
        return problems
    # every call type must be reachable from the root through queue options
    seen: set[str] = set()
    reach: set[str] = set()
    stack = [ivr.root]
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        for opt in ivr.nodes[n].options.values():
            reach.update(opt.intent_list())
            if opt.goto is not None:
                stack.append(opt.goto)
    missing = [ct for ct in types if ct not in reach]
    if missing:
        problems.append(f"ivr: no menu path leads callers of {', '.join(missing)} to a "
                        "queue; every call type needs an option (queue: ..., or listed in "
                        f"an option's intents) reachable from the root {ivr.root!r}")
    # the pools answering a queue must be able to serve every intent sent there
    for nname, node in ivr.nodes.items():
        for key, opt in node.options.items():
            if opt.queue is None:
                continue
            for ct in opt.intent_list():
                for p in sc.routing_for(opt.queue):
                    if p in sc.pools and ct not in sc.pools[p].skills:
                        problems.append(
                            f"ivr.nodes.{nname}.options.{key}: sends {ct!r} callers to queue "
                            f"{opt.queue!r}, but pool {p!r} answering it lacks the skill "
                            f"{ct!r}; add it to pools.{p}.skills")
    return problems


def _check_files(sc: Scenario) -> list[str]:
    """Files the scenario points to (empirical data, CSV profiles) must exist."""
    base = (Path(sc.source).resolve().parent
            if sc.source and not sc.source.startswith("<") else Path.cwd())
    found: list[tuple[str, str]] = []
    for name, ct in sc.call_types.items():
        for field in ("handle_time", "after_call_work", "patience"):
            dist = getattr(ct, field)
            if isinstance(dist, EmpiricalCfg) and dist.file is not None:
                found.append((f"call_types.{name}.{field}.file", dist.file))
    profiles: list[tuple[str, RateProfile]] = [("arrivals", sc.arrivals)]
    if sc.arrivals.by_call_type:
        profiles += [(f"arrivals.by_call_type.{k}", v)
                     for k, v in sc.arrivals.by_call_type.items()]
    for where, prof in profiles:
        if prof.csv is not None:
            found.append((f"{where}.csv.path", prof.csv.path))
    return [f"{where}: file {str(base / f)!r} not found" for where, f in found
            if not (base / f).is_file()]
