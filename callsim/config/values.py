"""Values written on a command line (``--set path=VALUE``), read with explicit rules.

Owns :func:`parse_value`. The rules (the same as for scalars in scenario files, see
:mod:`callsim.config.yamlfile`), in order:

* ``[a, b, ...]`` is a list and ``{key: value, ...}`` a mapping (items read by these
  same rules; nesting at most :data:`~callsim.config.yamlfile.MAX_DEPTH` levels);
* ``'text'`` or ``"text"`` is that text, unread;
* ``null``, ``~`` (any case of null) is nothing; ``true``/``false`` are booleans;
* decimal integers (``40``, ``-3``, ``1_000``) and decimal numbers (``1.5``, ``1e9``,
  ``.inf``) are numbers;
* anything else is text, left to the scenario's fields to read: durations
  (``30min``), clock times (``09:00``), names. Text is never re-read as YAML 1.1 would
  (``5:1:1`` is not the base-60 number 18061, ``yes`` is not a boolean).

Imports :mod:`callsim.config.yamlfile` and :mod:`callsim.errors` only.
"""

from __future__ import annotations

import re
from typing import Any

from callsim.config.yamlfile import BOOL_RE, FLOAT_RE, INT_RE, MAX_DEPTH, to_float, to_int
from callsim.errors import ConfigError

_NULL = re.compile(r"~|null|Null|NULL")


def parse_scalar(text: str) -> Any:
    """One scalar by the rules above (*text* is stripped first)."""
    t = text.strip()
    if len(t) >= 2 and t[0] == t[-1] and t[0] in "'\"":
        return t[1:-1]
    if t == "":
        return ""
    if _NULL.fullmatch(t):
        return None
    if BOOL_RE.fullmatch(t):
        return t.lower() == "true"
    try:
        if INT_RE.fullmatch(t):
            return to_int(t)
        if FLOAT_RE.fullmatch(t):
            return to_float(t)
    except ValueError:  # more digits than Python reads
        raise ConfigError(f"{t[:40]!r}: too many digits for a number") from None
    return t


def parse_value(text: str) -> Any:
    """A value by the rules of this module; raises :class:`ConfigError` naming the problem."""
    t = text.strip()
    if not t or t[0] not in "[{":
        return parse_scalar(t)
    reader = _Flow(t)
    value = reader.value(0)
    reader.skip_ws()
    if reader.i != len(t):
        raise ConfigError(f"{text!r}: unexpected {t[reader.i:][:20]!r} after the value "
                          f"at position {reader.i + 1}")
    return value


class _Flow:
    """A small recursive-descent reader of ``[...]`` and ``{...}`` values."""

    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0

    def fail(self, what: str) -> ConfigError:
        return ConfigError(f"{self.s!r}: {what} at position {self.i + 1}")

    def skip_ws(self) -> None:
        while self.i < len(self.s) and self.s[self.i].isspace():
            self.i += 1

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def value(self, depth: int) -> Any:
        self.skip_ws()
        c = self.peek()
        if c in "[{":
            if depth >= MAX_DEPTH:
                raise self.fail(f"nesting deeper than {MAX_DEPTH} levels")
            return self.seq(depth + 1) if c == "[" else self.mapping(depth + 1)
        tok = self.token(",]}")
        if not tok:
            raise self.fail("an empty item")
        return parse_scalar(tok)

    def token(self, stops: str) -> str:
        """Text up to a stop character (outside quotes), quotes kept."""
        self.skip_ws()
        start = self.i
        if self.peek() in ("'", '"'):
            q = self.peek()
            end = self.s.find(q, self.i + 1)
            if end < 0:
                raise self.fail(f"unclosed quote {q}")
            self.i = end + 1
            return self.s[start:self.i]
        while self.i < len(self.s) and self.s[self.i] not in stops:
            if self.s[self.i] in "[{":
                raise self.fail(f"unexpected {self.s[self.i]!r}")
            self.i += 1
        return self.s[start:self.i].strip()

    def expect_end(self, close: str) -> bool:
        """After an item: True at *close* (consumed), False at a comma (consumed)."""
        self.skip_ws()
        c = self.peek()
        if c == close:
            self.i += 1
            return True
        if c == ",":
            self.i += 1
            return False
        raise self.fail(f"expected ',' or '{close}'" if c else f"missing '{close}'")

    def seq(self, depth: int) -> list[Any]:
        self.i += 1
        out: list[Any] = []
        self.skip_ws()
        if self.peek() == "]":
            self.i += 1
            return out
        while True:
            out.append(self.value(depth))
            if self.expect_end("]"):
                return out

    def mapping(self, depth: int) -> dict[str, Any]:
        self.i += 1
        out: dict[str, Any] = {}
        self.skip_ws()
        if self.peek() == "}":
            self.i += 1
            return out
        while True:
            key = self.token(":,}")
            if len(key) >= 2 and key[0] == key[-1] and key[0] in "'\"":
                key = key[1:-1]
            if not key:
                raise self.fail("a mapping key is missing")
            self.skip_ws()
            if self.peek() != ":":
                raise self.fail(f"expected ':' after the key {key!r}")
            self.i += 1
            if key in out:
                raise self.fail(f"duplicate key {key!r}")
            out[key] = self.value(depth)
            if self.expect_end("}"):
                return out
