"""Shift templates: the small YAML file of allowed shifts, and the shifts it expands to.

Owns the schema of ``shifts.yaml`` (pydantic, unknown keys refused, one clean message
per problem), its loading, and the expansion of each template into concrete shift
*patterns* for a pool: a start time, a length and breaks, with the share of each plan
slot they cover, their paid hours and their cost. Also turns chosen patterns into the
scenario's daily ``shifts:`` staffing. Imports :mod:`callsim.config` (durations and
clock times) and :mod:`callsim.errors`; it must not import anything that simulates or
optimises.

A file looks like::

    templates:
      - name: day
        starts: {from: "07:00", to: "10:00", every: 60min}   # or a list of "HH:MM"
        lengths: [8h, 9h]                                     # or length: 9h
        breaks: [{after: 4h, length: 1h}]                     # unpaid unless paid: true
        cost_per_hour: 1.0
        min: 0                # agents on each shift of this template (each start)
        max: 60
      - name: evening_pt
        starts: ["17:00", "18:00"]
        length: 4h
        part_time: true
        cost_per_hour: 1.1
        pools: [district_team]      # default: every planned pool
    part_time: {max_share: 0.3}     # of each pool's agents; max_agents: N also allowed
    max_agents: {district_team: 60} # most scheduled agents of a pool in any slot

A break's time is not covered and, unless ``paid``, not paid. In the scenario a shift
with breaks is written as one ``shifts:`` entry per worked piece (absence is drawn per
entry).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from callsim.config import parse_clock, parse_duration
from callsim.errors import ConfigError

DAY = 86400.0

Duration = Annotated[float, BeforeValidator(parse_duration), Field(ge=0, allow_inf_nan=False)]
PositiveDuration = Annotated[float, BeforeValidator(parse_duration),
                             Field(gt=0, allow_inf_nan=False)]
Clock = Annotated[float, BeforeValidator(parse_clock), Field(ge=0, lt=DAY)]
Name = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_\-]*$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class StartWindow(_Strict):
    """Start times every ``every`` from ``from`` to ``to`` (inclusive)."""

    from_: Clock = Field(alias="from")
    """First allowed start ("HH:MM")."""
    to: Clock
    """Last allowed start ("HH:MM"); earlier than ``from`` wraps past midnight."""
    every: PositiveDuration = 3600.0
    """Step between starts."""

    def times(self) -> list[float]:
        """The start times (seconds since midnight)."""
        span = (self.to - self.from_) % DAY
        n = math.floor(span / self.every + 1e-9) + 1
        return [(self.from_ + i * self.every) % DAY for i in range(n)]


class BreakCfg(_Strict):
    """A break inside a shift."""

    after: Duration
    """Time from the shift's start to the break."""
    length: PositiveDuration
    """Length of the break."""
    paid: bool = False
    """Whether the break is paid (it is never covered)."""


class TemplateCfg(_Strict):
    """A kind of shift: when it may start, how long it lasts, what it costs."""

    name: Name
    """Name used in the plan."""
    starts: list[Clock] | StartWindow
    """Allowed start times: a list of "HH:MM", or {from, to, every}."""
    length: PositiveDuration | None = None
    """Length of the shift, breaks included (give length or lengths)."""
    lengths: list[PositiveDuration] | None = None
    """Allowed lengths, breaks included."""
    breaks: list[BreakCfg] = Field(default_factory=list)
    """Breaks, from the shift's start."""
    cost_per_hour: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 1.0
    """Cost of a paid hour."""
    part_time: bool = False
    """Part-time shifts count against the file's part_time limits."""
    min: Annotated[int, Field(ge=0)] = 0
    """Fewest agents on each shift of this template (each start and length)."""
    max: Annotated[int, Field(ge=0)] | None = None
    """Most agents on each shift of this template."""
    pools: list[Name] | None = None
    """Pools that may use the template (default: every planned pool)."""

    @model_validator(mode="after")
    def _check(self) -> TemplateCfg:
        if (self.length is None) == (self.lengths is None):
            raise ValueError("give exactly one of length, lengths")
        for length in self.all_lengths():
            if length > DAY:
                raise ValueError(f"a shift of {length / 3600:g} h is longer than a day")
            for b in self.breaks:
                if b.after <= 0 or b.after + b.length >= length:
                    raise ValueError(f"break after {b.after / 3600:g} h for {b.length / 60:g} "
                                     f"min does not fit inside a {length / 3600:g} h shift")
        if self.max is not None and self.max < self.min:
            raise ValueError(f"max ({self.max}) is below min ({self.min})")
        if isinstance(self.starts, list) and not self.starts:
            raise ValueError("starts is empty")
        return self

    def all_lengths(self) -> list[float]:
        """The allowed lengths (seconds)."""
        return list(self.lengths) if self.lengths is not None else [float(self.length or 0)]

    def start_times(self) -> list[float]:
        """The allowed starts (seconds since midnight)."""
        if isinstance(self.starts, StartWindow):
            return self.starts.times()
        return sorted(set(self.starts))


class PartTimeCfg(_Strict):
    """Limits on part-time shifts, per pool."""

    max_share: Annotated[float, Field(ge=0, le=1)] = 1.0
    """Part-time agents at most this share of the pool's agents."""
    max_agents: Annotated[int, Field(ge=0)] | None = None
    """At most this many part-time agents in the pool."""


class ShiftFile(_Strict):
    """The shift templates a plan may use."""

    templates: list[TemplateCfg] = Field(min_length=1)
    """The allowed shifts."""
    part_time: PartTimeCfg = Field(default_factory=PartTimeCfg)
    """Part-time limits (each pool)."""
    max_agents: Annotated[int, Field(ge=1)] | dict[Name, Annotated[int, Field(ge=1)]] | None \
        = None
    """Most scheduled agents of a pool in any slot (one number for all, or per pool)."""

    @model_validator(mode="after")
    def _names(self) -> ShiftFile:
        names = [t.name for t in self.templates]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"template names must be unique ({', '.join(dup)} repeated)")
        return self


def _clean_loc(loc: Sequence[Any]) -> str:
    """The user's path: union-branch tags (``list[...]``, ``StartWindow``) left out."""
    parts: list[str] = []
    for x in loc:
        if isinstance(x, int):
            parts.append(f"[{x}]")
        elif any(c in x for c in "[(") or x.startswith(("function-", "constrained-")) \
                or x in ("StartWindow", "int", "float", "str", "list", "dict"):
            continue
        else:
            parts.append(("." if parts else "") + x)
    return "".join(parts) or "(top level)"


_TYPE_ERRORS = ("list_type", "dict_type", "model_type", "int_type", "float_type",
                "int_parsing", "float_parsing", "model_attributes_type")


def _format(err: ValidationError, source: str) -> ConfigError:
    errors = [(e, _clean_loc(e["loc"])) for e in err.errors(include_url=False)]
    # a union: drop "wrong type" complaints of the branches the input did not mean
    deeper = {path for e, path in errors if e["type"] not in _TYPE_ERRORS}
    lines: list[str] = []
    for e, path in errors:
        if e["type"] in _TYPE_ERRORS and any(d == path or d.startswith(path + ".")
                                             or d.startswith(path + "[") for d in deeper):
            continue
        if e["type"] == "extra_forbidden":
            allowed = _allowed(tuple(x for x in e["loc"][:-1] if not isinstance(x, int)))
            line = f"  {path}: unknown key {e['loc'][-1]!r}; allowed keys here: {allowed}"
        elif e["type"] == "missing":
            line = f"  {path}: required field is missing"
        else:
            msg = str(e["msg"]).removeprefix("Value error, ")
            got = e.get("input")
            line = f"  {path}: {msg}"
            if not isinstance(got, Mapping | list):
                line += f" (got {got!r})"
        if line not in lines:
            lines.append(line)
    head = (f"{source}: invalid shift templates ({len(lines)} problem"
            f"{'s' if len(lines) != 1 else ''})")
    return ConfigError("\n".join([head, *lines]))


def _allowed(loc: tuple[Any, ...]) -> str:
    model: type[BaseModel] = ShiftFile
    for item in loc:
        models: dict[str, type[BaseModel]] = {
            "templates": TemplateCfg, "part_time": PartTimeCfg, "breaks": BreakCfg,
            "starts": StartWindow}
        inner = models.get(str(item))
        if inner is not None:
            model = inner
    return ", ".join(f.alias or n for n, f in model.model_fields.items())


def parse_shift_file(data: Any, source: str = "<shifts>") -> ShiftFile:
    """Validate a mapping as a :class:`ShiftFile` (one :class:`ConfigError` listing all)."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: the top level must be a mapping with 'templates' "
                          f"(got {type(data).__name__})")
    try:
        return ShiftFile.model_validate(dict(data))
    except ValidationError as err:
        raise _format(err, source) from None


def load_shift_file(path: str | Path) -> ShiftFile:
    """Read and validate a shift-template YAML file."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{p}: shift template file not found")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: not valid YAML: {exc}") from None
    return parse_shift_file(data, str(p))


@dataclass(frozen=True)
class Pattern:
    """One concrete shift a pool may staff.

    Attributes
    ----------
    template
        Template name.
    start, length
        Start (seconds since midnight) and length (seconds, breaks included).
    pieces
        Worked pieces ``(start, end)`` in seconds from midnight (end may pass 24 h).
    cover
        Share of each plan slot the shift covers (one value per slot of the day).
    hours
        Paid hours.
    cost
        Paid hours x cost per hour.
    """

    template: str
    start: float
    length: float
    pieces: tuple[tuple[float, float], ...]
    cover: np.ndarray
    hours: float
    cost: float
    part_time: bool
    lo: int
    hi: int | None

    @property
    def label(self) -> str:
        """E.g. ``day 08:00+9h``."""
        return f"{self.template} {_hhmm(self.start)}+{self.length / 3600:g}h"


def _hhmm(t: float) -> str:
    s = round(t)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}"


def coverage(pieces: Sequence[tuple[float, float]], slot: float) -> np.ndarray:
    """Share of each slot of a day covered by *pieces* (wrapping past midnight)."""
    n = round(DAY / slot)
    cover = np.zeros(n)
    for a, b in pieces:
        t = a
        while t < b - 1e-9:
            j = math.floor((t % DAY) / slot + 1e-9) % n
            slot_end = t - (t % slot) + slot
            end = min(b, slot_end)
            cover[j] += (end - t) / slot
            t = end
    return cover


def patterns_for(sf: ShiftFile, pool: str, slot: float) -> list[Pattern]:
    """Every shift *pool* may staff under *sf* (templates listing other pools left out)."""
    out: list[Pattern] = []
    for t in sf.templates:
        if t.pools is not None and pool not in t.pools:
            continue
        for start in t.start_times():
            for length in t.all_lengths():
                pieces: list[tuple[float, float]] = []
                cur = start
                unpaid = 0.0
                for b in sorted(t.breaks, key=lambda x: x.after):
                    pieces.append((cur, start + b.after))
                    cur = start + b.after + b.length
                    unpaid += 0.0 if b.paid else b.length
                pieces.append((cur, start + length))
                hours = (length - unpaid) / 3600.0
                out.append(Pattern(t.name, start, length, tuple(pieces),
                                   coverage(pieces, slot), hours, hours * t.cost_per_hour,
                                   t.part_time, t.min, t.max))
    return out


def check_pools(sf: ShiftFile, planned: Sequence[str], all_pools: Sequence[str],
                source: str = "shift templates") -> None:
    """Every pool named exists and is planned; every planned pool has a template."""
    for i, t in enumerate(sf.templates):
        for p in t.pools or []:
            if p not in all_pools:
                raise ConfigError(f"{source}: templates[{i}].pools: {p!r} is not an agent "
                                  f"pool; allowed: {', '.join(all_pools)}")
    if isinstance(sf.max_agents, dict):
        for p in sf.max_agents:
            if p not in all_pools:
                raise ConfigError(f"{source}: max_agents.{p}: {p!r} is not an agent pool; "
                                  f"allowed: {', '.join(all_pools)}")
    for p in planned:
        if not any(t.pools is None or p in t.pools for t in sf.templates):
            raise ConfigError(f"{source}: no template may staff pool {p!r}; add it to a "
                              "template's pools (or leave pools out to allow every pool)")


def max_agents_for(sf: ShiftFile | None, pool: str) -> int | None:
    """The file's cap for *pool* (None: no cap given)."""
    if sf is None or sf.max_agents is None:
        return None
    if isinstance(sf.max_agents, int):
        return sf.max_agents
    return sf.max_agents.get(pool)


def shifts_yaml(patterns: Sequence[Pattern], counts: Sequence[int]) -> list[dict[str, Any]]:
    """The scenario's ``shifts:`` entries (one per worked piece, equal pieces merged)."""
    merged: dict[tuple[str, str], int] = {}
    for pat, n in zip(patterns, counts, strict=True):
        if n <= 0:
            continue
        for a, b in pat.pieces:
            start = _hhmm(a % DAY)
            end = _hhmm(b % DAY) if not math.isclose(b - a, DAY) else _hhmm(a % DAY + DAY)
            merged[(start, end)] = merged.get((start, end), 0) + int(n)
    return [{"start": s, "end": e, "agents": n} for (s, e), n in sorted(merged.items())]
