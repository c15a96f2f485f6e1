"""Command-line values read with explicit rules: ``--set`` values, sweep axes and grids.

Owns how ``--set path=v1,v2`` and ``start:stop:step`` ranges become values. A single
value follows :func:`callsim.config.parse_value` (numbers, ``true``/``false``, ``null``,
``[lists]``, ``{mappings}``, else text such as ``30min`` or ``09:00``), never YAML 1.1's
base-60 numbers. A sweep axis is a comma-separated list of such values and ranges:

* ``start:stop:step`` with three numbers is an inclusive range (``100:200:10``;
  integers stay integers, ``0.8:1.4:0.1`` gives 0.8, 0.9, ..., 1.4);
* the three parts may be durations (``30s:2min:30s``): the values are then seconds;
* a range whose stop is below its start, whose step is not positive, or that has more
  than :data:`MAX_AXIS` values is refused, and so is a grid of more than
  :data:`MAX_POINTS` points.

Imports :mod:`callsim.config` and :mod:`callsim.errors` only.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

from callsim.config import parse_duration, parse_value
from callsim.errors import ConfigError

MAX_AXIS = 1000
"""Most values on one sweep axis."""
MAX_POINTS = 10_000
"""Most points in a sweep grid (the product of the axes' lengths)."""

_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_NUM_RE = re.compile(_NUM)
_PART_RE = re.compile(rf"({_NUM})\s*([A-Za-z]*)")


def _split_top(text: str) -> list[str]:
    """Split on commas outside brackets/braces/quotes."""
    parts: list[str] = []
    cur: list[str] = []
    depth, quote = 0, ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    parts.append("".join(cur))
    return parts


def _decimals(num: str) -> int:
    mant, _, exp = num.lower().partition("e")
    d = len(mant.partition(".")[2])
    return max(0, d - int(exp or 0))


def _range_parts(item: str) -> list[str] | None:
    """The three parts of ``start:stop:step`` when *item* is written as a range."""
    parts = [p.strip() for p in item.split(":")]
    if len(parts) < 3 or not all(_PART_RE.fullmatch(p) for p in parts):
        return None
    if len(parts) > 3:
        raise ConfigError(f"{item!r}: a range is start:stop:step (three parts, not "
                          f"{len(parts)})")
    return parts


def expand_range(item: str, parts: list[str]) -> list[Any]:
    """The values of the inclusive range ``start:stop:step`` (see the module docstring)."""
    hint = "write start:stop:step with stop >= start and step > 0, e.g. 100:200:10"
    if all(_NUM_RE.fullmatch(p) for p in parts):
        nums = [float(p) for p in parts]
        ints = all(re.fullmatch(r"[-+]?\d+", p) for p in parts)
        digits = max(_decimals(p) for p in parts)
    else:
        try:
            nums = [float(parse_duration(p)) for p in parts]
        except ValueError as exc:
            raise ConfigError(f"range {item!r}: {exc}") from None
        ints = False
        digits = 6
    a, b, s = nums
    if not all(math.isfinite(x) for x in nums):
        raise ConfigError(f"range {item!r}: start, stop and step must be finite; {hint}")
    if s <= 0:
        raise ConfigError(f"range {item!r}: the step {parts[2]} is not positive; {hint} "
                          "(a clock time is HH:MM)")
    if b < a:
        raise ConfigError(f"range {item!r}: the stop {parts[1]} is below the start "
                          f"{parts[0]}; {hint}")
    n = math.floor((b - a) / s + 1e-9) + 1
    if n > MAX_AXIS:
        raise ConfigError(f"range {item!r}: {n:,} values; a sweep axis may have at most "
                          f"{MAX_AXIS:,} (use a larger step)")
    if ints:
        ia, istep = int(parts[0]), int(parts[2])
        return [ia + i * istep for i in range(n)]
    return [round(a + i * s, digits + 6) for i in range(n)]


def expand_values(text: str) -> list[Any]:
    """The values of one sweep axis: ``"10,20,30"``, ``"100:200:10"`` (inclusive), or a mix.

    Each comma-separated item is a range (``start:stop:step``) or a value read by
    :func:`callsim.config.parse_value` (``[1, 2]``, ``null``, ``09:00``, ``30min``).
    """
    values: list[Any] = []
    for item in _split_top(text):
        if not item.strip():
            raise ConfigError(f"sweep values {text!r}: an empty item")
        parts = _range_parts(item)
        if parts is not None:
            values += expand_range(item.strip(), parts)
        else:
            values.append(parse_value(item))
        if len(values) > MAX_AXIS:
            raise ConfigError(f"sweep values {text[:60]!r}: more than {MAX_AXIS:,} values "
                              "on one axis")
    return values


def parse_grid(items: Iterable[str]) -> dict[str, list[Any]]:
    """A sweep grid from ``"path=v1,v2,..."`` strings (as given to ``callsim sweep --set``)."""
    grid: dict[str, list[Any]] = {}
    for text in items:
        path, sep, raw = text.partition("=")
        path = path.strip()
        if not sep or not path:
            raise ConfigError(f"--set {text!r}: write path=v1,v2,... or path=start:stop:step")
        if path in grid:
            raise ConfigError(f"--set {path}: given twice; list every value in one --set")
        try:
            grid[path] = expand_values(raw)
        except ConfigError as exc:
            raise ConfigError(f"--set {path}: {exc}") from None
    points = math.prod(len(v) for v in grid.values())
    if points > MAX_POINTS:
        raise ConfigError(f"the sweep grid has {points:,} points; at most {MAX_POINTS:,} "
                          "(fewer values per --set)")
    return grid
