"""The scenario models: what a call centre is, as validated, immutable pydantic models.

Owns the sections of a scenario file (horizon, arrivals, call types, pools, queue, KPIs,
IVR menu, misroutes, routing, redials, call-backs; channels and hours have their own
modules) and :class:`Scenario`, whose model
validator runs the cross-section checks of :mod:`callsim.config.checks`, so a scenario
built directly with ``Scenario(...)`` is checked exactly like one loaded from a file.
Numeric fields use the no-boolean types of :mod:`callsim.config.units`; distributions
come from the registry in :mod:`callsim.config.distributions`. Imports those two modules,
:mod:`callsim.config.menu`, :mod:`callsim.config.channels`, :mod:`callsim.config.hours`
and :mod:`callsim.config.checks`; never the loader, the compiled scenario or the engine.

Units: every duration is in seconds. A duration may be written as a number of
seconds or as a string with a unit (``"90s"``, ``"30min"``, ``"8h"``, ``"1d"``);
clock times are ``"HH:MM"`` and may run past 24:00 only as a shift end (``"25:00"``).

Why one file of ~600 lines: it is the scenario file's reference, section by section, in
the order a reader meets them (the JSON schema and ``callsim schema`` come from it);
the sections with logic of their own (menu, channels, hours, distributions, checks)
are already modules of their own.
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

from callsim.config.channels import ChannelCfg
from callsim.config.checks import cross_problems
from callsim.config.distributions import Dist, DistCfg
from callsim.config.hours import HoursCfg
from callsim.config.menu import IvrCfg, MisrouteCfg
from callsim.config.timeblocks import TimeBlock, TraceCfg, check_blocks
from callsim.config.units import (
    NO_BOOL,
    Clock,
    Duration,
    Float,
    Int,
    Name,
    PositiveDuration,
    Probability,
    Strict,
    refuse_bool,
)

# ------------------------------------------------------------------------ horizon

MAX_HORIZON = 3660 * 86400.0
"""Longest horizon and drain limit (ten years, in seconds)."""


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
        for key in ("length", "drain_limit"):
            v = getattr(self, key)
            if v > MAX_HORIZON:
                raise ValueError(f"{key} ({v / 86400:,.6g} days) is longer than "
                                 f"{MAX_HORIZON / 86400:g} days, the longest allowed")
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

    rate: Annotated[Float, Field(gt=0, allow_inf_nan=False)] | None = None
    """Constant arrival rate, calls per hour."""
    per_interval: list[Annotated[Float, Field(ge=0, allow_inf_nan=False)]] | None = None
    """Expected calls in each interval of length ``interval``, from 00:00."""
    interval: PositiveDuration = 3600.0
    """Length of each ``per_interval`` entry."""
    daily_volume: Annotated[Float, Field(gt=0, allow_inf_nan=False)] | None = None
    """Expected calls per day, spread over the day by ``hourly_shape`` (flat if absent)."""
    hourly_shape: list[Annotated[Float, Field(ge=0, allow_inf_nan=False)]] | None = None
    """24 relative weights, one per clock hour; normalised to sum to 1."""
    csv: CsvProfile | None = None
    """Expected calls per interval read from a CSV file."""
    scale: Annotated[Float, Field(ge=0, allow_inf_nan=False)] = 1.0
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
    mix: dict[Name, Annotated[Float, Field(ge=0, le=1)]] | None = None
    """Share of the total per call type; must sum to 1."""
    by_call_type: dict[Name, RateProfile] | None = None
    """A separate arrival profile (and random stream) per call type."""
    overdispersion: Annotated[Float, Field(ge=0, le=2)] = 0.0
    """Coefficient of variation of a gamma daily busyness factor (0 = plain Poisson)."""
    trace: TraceCfg | None = None
    """Recorded calls replayed as they arrived, instead of Poisson arrivals (see
    :class:`~callsim.config.timeblocks.TraceCfg`); nothing else of ``arrivals`` applies."""

    @model_validator(mode="before")
    @classmethod
    def _by_type_skips_total(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and "trace" in data:
            clash = sorted(set(data) - {"trace"})
            if clash:
                raise ValueError(
                    f"trace cannot be combined with {', '.join(clash)}; a trace replays "
                    "the recorded calls as they are (no rates, mix, scale or overdispersion)"
                )
            return {**data, "rate": 1.0}  # placeholder, never used with a trace
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
        if self.by_call_type is None and self.trace is None:
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
    queue_capacity: Annotated[Int, Field(ge=0)] | None = None
    """Most calls that may wait in this call type's queue; a call finding it full is blocked."""
    priority: Int = 0
    """Call-type priority: pools with ``policy: priority`` serve higher values first."""
    wait_weight: Annotated[Float, Field(gt=0, allow_inf_nan=False)] = 1.0
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
    by_time: list[TimeBlock] | None = None
    """Handle time, after-call work and patience by the caller's arrival clock time:
    blocks ``{start: "HH:MM", end: "HH:MM", handle_time/after_call_work/patience: ...}``
    (non-overlapping, within a day); callers outside every block, and fields a block
    leaves out, take this call type's own distributions."""
    description: str = ""
    """Free text."""

    @model_validator(mode="after")
    def _blocks(self) -> CallTypeCfg:
        if self.by_time is not None:
            check_blocks(self.by_time)
        return self


# -------------------------------------------------------------------- agent pools


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


HandleFactor = Annotated[Float | dict[Name, Float], BeforeValidator(_handle_factor)]
"""A factor on talk time (``pools.<name>.secondary_handle_factor``)."""


class Shift(Strict):
    """A daily shift: ``agents`` work from ``start`` to ``end`` (may pass midnight)."""

    start: Clock
    """Clock time the shift starts."""
    end: Clock
    """Clock time it ends; earlier than start means the next day (18:00-01:00)."""
    agents: Annotated[Int, Field(ge=0)]
    """Headcount on this shift."""

    @model_validator(mode="after")
    def _span(self) -> Shift:
        if self.start >= 86400:
            raise ValueError("shift start must be before 24:00")
        if self.end == self.start:
            raise ValueError("shift start and end are equal")
        return self


def _not_too_many(value: float) -> float:
    if value > 2.0**53:
        raise ValueError(f"{value:g} is too large for a number of agents (at most "
                         f"{2**53:,})")
    return value


Agents = Annotated[float, NO_BOOL, Field(ge=0, allow_inf_nan=False),
                   AfterValidator(_not_too_many)]
"""A headcount: whole agents, or a fractional mean headcount (booleans refused)."""


class Staffing(Strict):
    """How many agents a pool has over time: give exactly one of the three forms."""

    agents: Agents | None = None
    """A constant headcount. A fraction is honoured as a share of time (see
    :mod:`callsim.compiled.staffing`): 7.25 is 7 agents plus an eighth for a quarter of
    every 15 minutes."""
    per_interval: list[Agents] | None = None
    """Headcount per interval of length ``interval`` from 00:00 of the first day; one day
    of entries repeats daily, otherwise it must cover the horizon. Fractions as for
    ``agents``: the mean headcount of every interval is exactly its entry."""
    interval: PositiveDuration = 3600.0
    """Length of each ``per_interval`` entry."""
    shifts: list[Shift] | None = None
    """Daily shifts; headcounts of overlapping shifts add up."""

    @model_validator(mode="before")
    @classmethod
    def _bare_int(cls, data: Any) -> Any:
        refuse_bool(data, "a number of agents or a mapping (agents, per_interval, shifts)")
        if isinstance(data, int | float | str):
            return {"agents": data}  # shorthand: a constant headcount
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
    reserve: dict[Name, Annotated[Int, Field(ge=1)]] | None = None
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

    capacity: Annotated[Int, Field(ge=0)] | None = None
    """Most calls that may wait in all queues together; a call finding them full is
    disconnected with a message (outcome ``blocked``). null = no limit."""
    short_abandon: Duration = 0.0
    """Callers who hang up within this many seconds of reaching the queue are
    ``short_abandons``, left out of ``offered``."""


class KpiCfg(Strict):
    """Which service-level thresholds to report."""

    service_levels: list[PositiveDuration] = Field(default_factory=lambda: [20.0], min_length=1)
    """Thresholds t (seconds) for sl_<t> and sla_<t>."""


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
    max_attempts: Annotated[Int, Field(ge=1, le=100)] = 5
    """Most attempts per caller, the first included."""


class CallbackCfg(Strict):
    """Offer waiting callers a call back when the wait is long."""

    offer_when_waiting: Annotated[Int, Field(ge=0)] = 10
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
    channels: dict[Name, ChannelCfg] | None = None
    """Contact channels (chatbot, text, ...) some customers try instead of, or before,
    phoning (see :mod:`callsim.config.channels`)."""
    hours: HoursCfg | None = None
    """Open hours of queues and menu options, holidays, and what happens after hours
    (see :mod:`callsim.config.hours`); without it everything is always open."""
    kpis: KpiCfg = Field(default_factory=KpiCfg)
    """KPI settings."""
    source: SkipJsonSchema[str | None] = Field(default=None, exclude=True)
    """Where this scenario was loaded from (set by the loader)."""
    _raw: dict[str, Any] = PrivateAttr(default_factory=dict)
    """The mapping it was validated from (after extends and overrides): what-ifs are
    applied to it and re-validated, so shorthand and clock strings survive."""

    @model_validator(mode="after")
    def _cross_check(self) -> Scenario:
        """Checks that span sections (names that must exist, coverage, files): every
        problem found, as one error of type ``cross_check`` listing them."""
        problems = cross_problems(self)
        if problems:
            raise PydanticCustomError(
                "cross_check", "{summary}",
                {"summary": "\n".join(problems), "problems": problems})
        return self

    @property
    def raw(self) -> dict[str, Any]:
        """A copy of the mapping this scenario was validated from."""
        return copy.deepcopy(self._raw)

    def distributions(self) -> list[tuple[str, DistCfg]]:
        """Every distribution in the scenario with its field path, e.g.
        ``("call_types.a.patience", WeibullCfg(...))``."""
        out: list[tuple[str, DistCfg]] = []
        for name, ct in self.call_types.items():
            for field in ("handle_time", "after_call_work", "patience", "transfer_out_time"):
                cfg = getattr(ct, field)
                if cfg is not None:
                    out.append((f"call_types.{name}.{field}", cfg))
            for j, blk in enumerate(ct.by_time or []):
                for field in ("handle_time", "after_call_work", "patience"):
                    cfg = getattr(blk, field)
                    if cfg is not None:
                        out.append((f"call_types.{name}.by_time[{j}].{field}", cfg))
        if self.ivr is not None:
            for name, node in self.ivr.nodes.items():
                out.append((f"ivr.nodes.{name}.prompt", node.prompt))
                if node.decision is not None:
                    out.append((f"ivr.nodes.{name}.decision", node.decision))
        out.append(("misroute.transfer_time", self.misroute.transfer_time))
        if self.redials is not None:
            out.append(("redials.delay", self.redials.delay))
        for name, ch in (self.channels or {}).items():
            out.append((f"channels.{name}.time", ch.time))
            out.append((f"channels.{name}.on_failure.delay", ch.on_failure.delay))
        return out

    def routing_for(self, call_type: str) -> list[str]:
        """Pools that may answer *call_type*, in preference order."""
        return [p for p, _ in self.route_steps(call_type)]

    def route_steps(self, call_type: str) -> list[tuple[str, float]]:
        """(pool, overflow delay in s) for *call_type*, in preference order."""
        if self.routing is not None and call_type in self.routing:
            return [(r, 0.0) if isinstance(r, str) else (r.pool, r.after)
                    for r in self.routing[call_type]]
        return [(p, 0.0) for p, cfg in self.pools.items() if call_type in cfg.skills]


