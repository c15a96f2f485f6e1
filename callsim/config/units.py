"""Units of scenario files: durations, clock times, numbers, names, the strict base model.

Owns how a value written in a scenario becomes a number: durations in seconds
(``90``, ``"90s"``, ``"30min"``, ``"8h"``, ``"1d"``), clock times (``"HH:MM"``, past
24:00 only as a shift end), and numbers that refuse booleans (YAML reads ``true`` as a
boolean, and pydantic would take it as 1). Every numeric field of a config model uses
:data:`Float`, :data:`Int`, :data:`Duration`, :data:`PositiveDuration`, :data:`Clock` or
:data:`Probability` (tests/unit/test_config_rooms.py checks it). Imports nothing from
callsim.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

_DURATION_RE = re.compile(
    r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(s|sec|min|m|h|hr|d|day|days)?\s*$"
)
UNIT_SECONDS = {None: 1.0, "s": 1.0, "sec": 1.0, "min": 60.0, "m": 60.0, "h": 3600.0,
                "hr": 3600.0, "d": 86400.0, "day": 86400.0, "days": 86400.0}
"""Seconds per duration unit (``None``: a bare number is seconds)."""
_CLOCK_RE = re.compile(r"\s*(\d{1,2}):(\d{2})\s*")


def refuse_bool(value: Any, want: str = "a number") -> Any:
    """Refuse ``true``/``false`` where a number is expected (pydantic would read 1/0)."""
    if isinstance(value, bool):
        raise ValueError(f"{str(value).lower()} is a boolean (true/false); write {want}")
    return value


def parse_duration(value: Any) -> Any:
    """Turn ``"30min"``-style strings into seconds; leave numbers to pydantic."""
    refuse_bool(value, "a duration: seconds (90) or a number with a unit (90s, 30min, 8h)")
    if isinstance(value, str):
        m = _DURATION_RE.match(value)
        if not m:
            raise ValueError(
                f"{value!r} is not a duration; write seconds (90) or a number with a unit "
                "(90s, 30min, 8h, 1d)"
            )
        return float(m.group(1)) * UNIT_SECONDS[m.group(2)]
    return value


def is_clock(text: str) -> bool:
    """Whether *text* looks like a clock time ``H:MM``/``HH:MM`` (valid or not)."""
    return _CLOCK_RE.fullmatch(text) is not None


def parse_clock(value: Any) -> Any:
    """Turn ``"HH:MM"`` into seconds since midnight."""
    refuse_bool(value, "a clock time \"HH:MM\"")
    if isinstance(value, str):
        m = _CLOCK_RE.fullmatch(value)
        if not m or int(m.group(2)) >= 60 or int(m.group(1)) > 48:
            raise ValueError(f"{value!r} is not a clock time; write HH:MM, e.g. 09:00")
        return int(m.group(1)) * 3600.0 + int(m.group(2)) * 60.0
    if isinstance(value, int | float):
        raise ValueError(f"{value!r} is not a clock time; write it as a quoted \"HH:MM\"")
    return value


def whole_number(value: Any) -> Any:
    """Refuse booleans and floats too large to be a whole number exactly."""
    refuse_bool(value, "a whole number")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{value} is not a finite number; write a whole number")
    if isinstance(value, float) and abs(value) > 2.0**53:
        raise ValueError(f"{value:g} is too large for a whole number here (at most "
                         f"{2**53:,})")
    return value


NO_BOOL = BeforeValidator(refuse_bool)
Float = Annotated[float, NO_BOOL]
"""A number (booleans refused)."""
Int = Annotated[int, BeforeValidator(whole_number)]
"""A whole number (booleans and floats beyond 2**53 refused)."""
Duration = Annotated[float, BeforeValidator(parse_duration), Field(ge=0, allow_inf_nan=False)]
PositiveDuration = Annotated[
    float, BeforeValidator(parse_duration), Field(gt=0, allow_inf_nan=False)
]
Clock = Annotated[float, BeforeValidator(parse_clock), Field(ge=0, le=48 * 3600)]
Probability = Annotated[float, NO_BOOL, Field(ge=0.0, le=1.0)]
Name = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_\-]*$")]


class Strict(BaseModel):
    """Base of every config model: unknown keys are errors; objects are immutable."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, use_attribute_docstrings=True, validate_default=True
    )
