"""Command-line values read with explicit rules: sweep axes and grids.

Owns how ``--set path=v1,v2`` and ``start:stop:step`` ranges become values. Imports
:mod:`callsim.errors` only.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

import yaml

from callsim.errors import ConfigError

_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_RANGE = re.compile(rf"\s*({_NUM})\s*:\s*({_NUM})\s*:\s*({_NUM})\s*")


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


def expand_values(text: str) -> list[Any]:
    """The values of one sweep axis: ``"10,20,30"``, ``"100:200:10"`` (inclusive), or a mix.

    Each comma-separated item is read as YAML (``[1, 2]``, ``null``, ``"09:00"``);
    ``start:stop:step`` with numbers and ``step > 0`` is an inclusive range
    (``0.8:1.4:0.1`` gives 0.8, 0.9, ..., 1.4; integers stay integers).
    """
    values: list[Any] = []
    for item in _split_top(text):
        m = _RANGE.fullmatch(item)
        if m:
            a, b, s = (yaml.safe_load(g) for g in m.groups())
            a, b, s = (float(x) if isinstance(x, str) else x for x in (a, b, s))
            if s > 0 and b >= a:
                n = math.floor((b - a) / s + 1e-9) + 1
                if all(isinstance(x, int) for x in (a, b, s)):
                    values += [a + i * s for i in range(n)]
                else:
                    digits = max(_decimals(x) for x in m.groups())
                    values += [round(a + i * s, digits + 6) for i in range(n)]
                continue
        if not item.strip():
            raise ConfigError(f"sweep values {text!r}: an empty item")
        try:
            values.append(yaml.safe_load(item))
        except yaml.YAMLError as exc:
            raise ConfigError(f"sweep value {item!r} is not valid YAML ({exc})") from None
    return values


def _decimals(num: str) -> int:
    mant, _, exp = num.lower().partition("e")
    d = len(mant.partition(".")[2])
    return max(0, d - int(exp or 0))


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
        grid[path] = expand_values(raw)
    return grid
