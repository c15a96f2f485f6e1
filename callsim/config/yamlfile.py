"""Scenario files read strictly: safe YAML with limits, explicit scalars and ``extends:``.

Owns how a YAML file becomes a mapping: ``yaml.safe_load`` semantics (no Python tags)
plus these rules, each refused with a message naming the file and line:

* a duplicate key in a mapping (YAML would silently keep the last);
* nesting deeper than :data:`MAX_DEPTH`, a file larger than :data:`MAX_BYTES`, or a
  document that expands (through aliases) to more than :data:`MAX_VALUES` values;
* scalars follow YAML 1.2-style rules, never YAML 1.1's surprises: ``true``/``false``
  are the only booleans (``yes``, ``no``, ``on``, ``off`` stay text), numbers are
  decimal (``010`` is ten, not octal eight; ``1e9`` is a number), and ``10:00`` or
  ``1:30`` stay text (never base-60 integers), so clock times need no quotes.

``extends: base.yaml`` merges the file over its base (:func:`deep_merge`). Imports
:mod:`callsim.errors` only.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError

from callsim.errors import ConfigError

MAX_BYTES = 10 * 2**20
"""Largest scenario file read (10 MiB); long data belongs in a CSV file."""
MAX_DEPTH = 50
"""Deepest nesting of lists and mappings (a scenario needs about 8)."""
MAX_VALUES = 2_000_000
"""Most values (scalars, lists and mappings, aliases counted each time) in a scenario."""
MAX_EXTENDS = 20
"""Longest ``extends:`` chain."""

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
INT_RE = re.compile(r"[-+]?[0-9](?:_?[0-9])*")
FLOAT_RE = re.compile(
    r"[-+]?(?:[0-9](?:_?[0-9])*\.[0-9_]*|\.[0-9](?:_?[0-9])*)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?[0-9](?:_?[0-9])*[eE][-+]?[0-9]+"
    r"|[-+]?\.?(?:inf|Inf|INF)|\.?(?:nan|NaN|NAN)"
)
BOOL_RE = re.compile(r"true|True|TRUE|false|False|FALSE")


def to_int(text: str) -> int:
    """A decimal integer (``_`` separators allowed; leading zeros do not mean octal)."""
    return int(text.replace("_", ""))


def to_float(text: str) -> float:
    """A decimal float, or ``inf``/``.inf``/``nan`` (YAML style)."""
    t = text.replace("_", "").lower()
    sign = -1.0 if t.startswith("-") else 1.0
    core = t.lstrip("+-").lstrip(".")
    if core == "inf":
        return sign * math.inf
    if core == "nan":
        return math.nan
    return float(t)


class StrictLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` with duplicate keys refused, bounded nesting and explicit scalars."""

    yaml_implicit_resolvers = {  # noqa: RUF012 - PyYAML's own class attribute
        first: [(tag, rx) for tag, rx in rules if tag not in (_INT, _FLOAT, _BOOL)]
        for first, rules in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise ConstructorError(
                    None, None, f"nesting deeper than {MAX_DEPTH} levels (a scenario needs "
                    "about 8; is a bracket repeated or unclosed?)", mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                if not isinstance(key, Hashable):
                    continue  # the base constructor refuses it with its own message
                text = str(key)
                if text in seen:
                    raise ConstructorError(
                        None, None, f"duplicate key {text!r} (first given on line "
                        f"{seen[text] + 1}); a key may appear once in a mapping",
                        key_node.start_mark)
                seen[text] = key_node.start_mark.line
        return super().construct_mapping(node, deep)

    def construct_strict_int(self, node: Any) -> int:
        return to_int(self.construct_scalar(node))

    def construct_strict_float(self, node: Any) -> float:
        return to_float(self.construct_scalar(node))


StrictLoader.add_implicit_resolver(_BOOL, BOOL_RE, list("tTfF"))
StrictLoader.add_implicit_resolver(_INT, re.compile(f"^(?:{INT_RE.pattern})$"),
                                   list("-+0123456789"))
StrictLoader.add_implicit_resolver(_FLOAT, re.compile(f"^(?:{FLOAT_RE.pattern})$"),
                                   list("-+0123456789.iInN"))
StrictLoader.add_constructor(_INT, StrictLoader.construct_strict_int)
StrictLoader.add_constructor(_FLOAT, StrictLoader.construct_strict_float)


def check_shape(data: Any, where: str) -> None:
    """Refuse data nested deeper than :data:`MAX_DEPTH` or holding more than
    :data:`MAX_VALUES` values (shared objects counted each time they appear)."""
    stack: list[tuple[Any, int]] = [(data, 0)]
    count = 0
    while stack:
        obj, depth = stack.pop()
        count += 1
        if count > MAX_VALUES:
            raise ConfigError(f"{where}: more than {MAX_VALUES:,} values (YAML aliases "
                              "count each time they are used); put long data in a CSV file")
        if isinstance(obj, Mapping | list | tuple):
            if depth >= MAX_DEPTH:
                raise ConfigError(f"{where}: nesting deeper than {MAX_DEPTH} levels (a "
                                  "scenario needs about 8)")
            items = obj.values() if isinstance(obj, Mapping) else obj
            stack.extend((v, depth + 1) for v in items)


def parse_yaml(text: str, where: str) -> Any:
    """Parse one YAML document strictly (see the module docstring); *where* names it."""
    try:
        data = yaml.load(text, Loader=StrictLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        what = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise ConfigError(f"{where}: not valid YAML{at}: {what}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: not valid YAML: {exc}") from None
    except (ValueError, OverflowError) as exc:  # a number Python cannot represent
        raise ConfigError(f"{where}: not valid YAML: {exc}") from None
    check_shape(data, where)
    return data


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


def read_yaml(path: Path) -> dict[str, Any]:
    """Read a scenario file strictly (see the module docstring), resolving ``extends:``."""
    chain: list[Path] = []
    layers: list[dict[str, Any]] = []
    current: Path | None = path
    while current is not None:
        current = current.resolve()
        if current in chain:
            raise ConfigError(f"{current}: 'extends' loops back to itself")
        if len(chain) >= MAX_EXTENDS:
            raise ConfigError(f"{chain[0]}: 'extends' chain longer than {MAX_EXTENDS} files")
        chain.append(current)
        data = _read_one(current)
        base = data.pop("extends", None)
        layers.append(data)
        if base is not None and not isinstance(base, str):
            raise ConfigError(f"{current}: extends: must be a file path (got {base!r})")
        current = current.parent / base if base is not None else None
    merged = layers[-1]
    for layer in reversed(layers[:-1]):
        merged = deep_merge(merged, layer, null_deletes=True)
    return merged


def _read_one(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise ConfigError(f"{path}: scenario file not found")
    if not path.is_file():
        raise ConfigError(f"{path}: not a regular file (a scenario is a YAML file)")
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    if len(raw) > MAX_BYTES:
        raise ConfigError(f"{path}: larger than {MAX_BYTES // 2**20} MiB, the most a "
                          "scenario file may be; put long data in a CSV file (arrivals "
                          "'csv:', an empirical distribution's 'file:')")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); "
                          "save the file as UTF-8") from None
    data = parse_yaml(text, str(path))
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys, "
                          f"got {type(data).__name__}")
    return data
