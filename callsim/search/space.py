"""Parameter spaces over scenario paths: what a search may change, and how.

Owns :class:`Param` (one free parameter: a range, integer or continuous, a factor on
the scenario's own values, or a list of choices) and :class:`ParameterSpace` (several
of them, checked against a scenario, turned into dotted-path overrides). Imports only
:mod:`callsim.config` and :mod:`callsim.errors`; never the model or the batch layer.

Paths are the dotted paths of ``--set`` (``arrivals.daily_volume``,
``pools.district_team.staffing.shifts.0.agents``). A ``*`` segment matches every key
of a mapping (or item of a list), so ``call_types.*.transfer_out`` is one parameter
setting that field of every call type. A path must exist in the scenario (after
``extends:``); a path that does not is a :class:`~callsim.errors.ConfigError` naming it.

Text forms (as given to ``--free``):

* ``PATH=LO:HI`` — a range; integer when LO, HI and the scenario's value are whole
  numbers, else continuous;
* ``PATH*=LO:HI`` — a factor in [LO, HI] multiplying the scenario's own value at
  every matched path (keeps their differences, e.g. patience per call type);
* ``PATH=A,B,C`` — a choice among values (each read as YAML).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import yaml

from callsim.config import Scenario, with_overrides
from callsim.errors import ConfigError

Kind = Literal["int", "float", "factor", "choice"]
_MISSING = object()
_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_RANGE = re.compile(rf"^\s*({_NUM})\s*:\s*({_NUM})\s*$")


@dataclass(frozen=True)
class Param:
    """One free parameter of a search.

    Attributes
    ----------
    path
        Dotted scenario path, ``*`` matching every key of a mapping.
    kind
        ``"int"`` / ``"float"`` (a value in [lo, hi]), ``"factor"`` (a multiplier in
        [lo, hi] of the scenario's own value at each matched path) or ``"choice"``.
    lo, hi
        Bounds (not used by choices).
    choices
        The values of a choice parameter.
    """

    path: str
    kind: Kind
    lo: float = math.nan
    hi: float = math.nan
    choices: tuple[Any, ...] = ()

    @property
    def name(self) -> str:
        """How tables and files name it (the path, with ``*=`` for a factor)."""
        return f"{self.path}*" if self.kind == "factor" else self.path

    @property
    def numeric(self) -> bool:
        """True unless a choice."""
        return self.kind != "choice"

    def decode(self, u: float) -> Any:
        """The value at position *u* in [0, 1] of the parameter's range (continuous values
        rounded to 1/10,000 of the range, so a value written to a file is the value run)."""
        u = min(1.0, max(0.0, float(u)))
        if self.kind == "choice":
            return self.choices[min(len(self.choices) - 1, int(u * len(self.choices)))]
        x = self.lo + u * (self.hi - self.lo)
        if self.kind == "int":
            return round(x)
        digits = max(0, math.ceil(-math.log10((self.hi - self.lo) * 1e-4)))
        return round(float(x), digits)

    def encode(self, value: Any) -> float:
        """Position of *value* in [0, 1] (a choice: the middle of its cell)."""
        if self.kind == "choice":
            return (self.choices.index(value) + 0.5) / len(self.choices)
        if self.hi == self.lo:
            return 0.5
        return (float(value) - self.lo) / (self.hi - self.lo)

    def clip(self, value: float) -> Any:
        """*value* kept inside [lo, hi] (rounded for integers)."""
        x = min(self.hi, max(self.lo, float(value)))
        return round(x) if self.kind == "int" else x

    def describe(self) -> str:
        """``path=lo:hi`` as the user would write it."""
        if self.kind == "choice":
            return f"{self.path}=" + ",".join(str(c) for c in self.choices)
        op = "*=" if self.kind == "factor" else "="
        return f"{self.path}{op}{_num(self.lo)}:{_num(self.hi)}"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def parse_param(text: str) -> tuple[str, bool, str]:
    """Split ``PATH=SPEC`` / ``PATH*=SPEC`` into (path, is_factor, spec)."""
    path, sep, spec = text.partition("=")
    if not sep or not path.strip() or not spec.strip():
        raise ConfigError(f"--free {text!r}: write PATH=LO:HI, PATH*=LO:HI (a factor) or "
                          "PATH=A,B,C (choices), e.g. arrivals.daily_volume=12000:20000")
    path = path.strip()
    factor = path.endswith("*") and not path.endswith(".*")
    if factor:
        path = path[:-1].strip()
    return path, factor, spec.strip()


def resolve(data: Any, path: str) -> list[tuple[str, Any]]:
    """Every concrete path matching *path* in *data*, with its value (``*`` expands).

    Raises
    ------
    ConfigError
        When a segment does not exist (naming the first missing segment and what
        exists there).
    """
    found: list[tuple[str, Any]] = [("", data)]
    keys = path.split(".")
    for key in keys:
        nxt: list[tuple[str, Any]] = []
        for prefix, node in found:
            where = f"{prefix}." if prefix else ""
            if isinstance(node, Mapping):
                items = [(str(k), v) for k, v in node.items()]
            elif isinstance(node, list):
                items = [(str(j), v) for j, v in enumerate(node)]
            else:
                raise ConfigError(
                    f"free parameter {path!r}: {prefix or '<scenario>'} is a value "
                    f"({node!r}), not a section; nothing below it can be set")
            if key == "*":
                nxt += [(f"{where}{k}", v) for k, v in items]
                continue
            match = [(k, v) for k, v in items if k == key]
            if not match:
                have = ", ".join(k for k, _ in items) or "nothing"
                raise ConfigError(
                    f"free parameter {path!r}: {where}{key} does not exist in the "
                    f"scenario (there: {have})")
            nxt.append((f"{where}{key}", match[0][1]))
        found = nxt
    if not found:
        raise ConfigError(f"free parameter {path!r}: '*' matches nothing in the scenario")
    return found


def _scenario_data(sc: Scenario) -> dict[str, Any]:
    data = sc.raw
    if not data:
        data = sc.model_dump(mode="json", exclude_none=True)
        data.pop("source", None)
    return data


def resolve_in(sc: Scenario, path: str) -> list[tuple[str, Any]]:
    """:func:`resolve` in the scenario as written (after ``extends:``); a path it does
    not write but whose field has a default (``pools.p.absenteeism``) resolves in the
    validated scenario, with the default as its value."""
    try:
        return resolve(_scenario_data(sc), path)
    except ConfigError as first:
        full = sc.model_dump(mode="json")
        full.pop("source", None)
        try:
            return resolve(full, path)
        except ConfigError:
            raise first from None


def _number(value: Any, path: str, param: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"free parameter {param!r}: {path} is {value!r}, not a number; a "
                          "range or factor needs a numeric field")
    return float(value)


@dataclass
class ParameterSpace:
    """Free parameters checked against one scenario.

    Build it with :meth:`from_specs` (text) or directly from :class:`Param` objects and
    :meth:`bind` to a scenario; :meth:`overrides` turns a point ``{name: value}`` into
    the dotted-path overrides of :func:`callsim.config.with_overrides`.
    """

    params: list[Param]
    base: dict[str, Any] = field(default_factory=dict)
    """Concrete path → the scenario's value there (after :meth:`bind`)."""
    paths: dict[str, list[str]] = field(default_factory=dict)
    """Parameter name → the concrete paths it sets."""
    whole: set[str] = field(default_factory=set)
    """Concrete paths whose field holds whole numbers (a factor's result is rounded)."""

    @classmethod
    def from_specs(cls, specs: Iterable[str], scenario: Scenario) -> ParameterSpace:
        """Parse ``--free`` texts and bind them to *scenario* (see the module docstring)."""
        params: list[Param] = []
        for text in specs:
            path, factor, spec = parse_param(text)
            matched = resolve_in(scenario, path)
            m = _RANGE.match(spec)
            if m:
                lo, hi = (yaml.safe_load(g) for g in m.groups())
                if not float(lo) < float(hi):
                    raise ConfigError(f"--free {text!r}: LO must be below HI "
                                      f"(got {lo} and {hi})")
                values = [_number(v, p, path) for p, v in matched]
                if factor:
                    kind: Kind = "factor"
                    if float(lo) < 0:
                        raise ConfigError(f"--free {text!r}: a factor must be >= 0")
                else:
                    whole = all(isinstance(x, int) for x in (lo, hi)) and all(
                        float(v).is_integer() for v in values)
                    kind = "int" if whole else "float"
                params.append(Param(path, kind, float(lo), float(hi)))
            else:
                if factor:
                    raise ConfigError(f"--free {text!r}: a factor needs LO:HI, e.g. "
                                      f"{path}*=0.8:1.2")
                choices = tuple(yaml.safe_load(c) for c in spec.split(","))
                if len(choices) < 2 or len({repr(c) for c in choices}) != len(choices):
                    raise ConfigError(f"--free {text!r}: give LO:HI or at least two "
                                      "different choices A,B")
                params.append(Param(path, "choice", choices=choices))
        return cls(params).bind(scenario)

    def bind(self, scenario: Scenario) -> ParameterSpace:
        """Resolve every path in *scenario* and check that both ends of each range give
        a valid scenario (one :class:`ConfigError` naming the parameter otherwise)."""
        if not self.params:
            raise ConfigError("a search needs at least one free parameter")
        names = [p.name for p in self.params]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ConfigError(f"free parameter {dup[0]!r} is given twice")
        self.base, self.paths, self.whole = {}, {}, set()
        typed = scenario.model_dump(mode="python")
        for p in self.params:
            matched = resolve_in(scenario, p.path)
            self.paths[p.name] = [c for c, _ in matched]
            for c, v in matched:
                if c in self.base:
                    raise ConfigError(f"free parameter {p.name!r}: {c} is also set by another "
                                      "free parameter")
                self.base[c] = v
            if p.numeric:
                for c, v in matched:
                    _number(v, c, p.path)
                    try:
                        (_, field_value), = resolve(typed, c)
                    except (ConfigError, ValueError):
                        field_value = v
                    if isinstance(field_value, int) and not isinstance(field_value, bool):
                        self.whole.add(c)
        for p in self.params:
            ends = list(p.choices) if p.kind == "choice" else [p.decode(0.0), p.decode(1.0)]
            for value in ends:
                point = {q.name: self.current(q) for q in self.params}
                point[p.name] = value
                try:
                    with_overrides(scenario, self.overrides(point))
                except ConfigError as exc:
                    raise ConfigError(f"free parameter {p.describe()}: the scenario is not "
                                      f"valid at {p.name}={value}: {exc}") from None
        return self

    @property
    def names(self) -> list[str]:
        """Parameter names, in order."""
        return [p.name for p in self.params]

    def __len__(self) -> int:
        return len(self.params)

    def param(self, name: str) -> Param:
        """The parameter called *name*."""
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def current(self, p: Param) -> Any:
        """The scenario's own value of *p* (a factor: 1; several paths: their mean)."""
        if p.kind == "factor":
            return 1.0
        vals = [self.base[c] for c in self.paths[p.name]]
        if p.kind == "choice":
            return vals[0]
        mean = float(np.mean([float(v) for v in vals]))
        return round(mean) if p.kind == "int" else mean

    def start(self) -> dict[str, Any]:
        """The scenario's own point ``{name: value}``."""
        return {p.name: self.current(p) for p in self.params}

    def overrides(self, point: Mapping[str, Any]) -> dict[str, Any]:
        """Dotted-path overrides setting every concrete path of every parameter."""
        out: dict[str, Any] = {}
        for p in self.params:
            value = point[p.name]
            for c in self.paths[p.name]:
                if p.kind == "factor":
                    base = self.base[c]
                    x = float(base) * float(value)
                    out[c] = round(x) if c in self.whole else float(f"{x:.10g}")
                elif p.kind == "int":
                    out[c] = round(float(value))
                else:
                    out[c] = value
        return out

    def decode(self, u: Sequence[float]) -> dict[str, Any]:
        """The point at *u* in the unit cube (one coordinate per parameter)."""
        return {p.name: p.decode(x) for p, x in zip(self.params, u, strict=True)}

    def encode(self, point: Mapping[str, Any]) -> np.ndarray:
        """Unit-cube coordinates of *point*."""
        return np.array([p.encode(point[p.name]) for p in self.params], dtype=float)

    def key(self, point: Mapping[str, Any]) -> str:
        """A canonical text of *point* (equal points, equal keys)."""
        parts = []
        for p in self.params:
            v = point[p.name]
            parts.append(f"{p.name}={float(v):.10g}" if p.numeric else f"{p.name}={v!r}")
        return ";".join(parts)
