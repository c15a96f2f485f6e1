"""Loading scenarios: files, in-memory mappings, what-if overrides, and validation.

Owns the public ways in: :func:`load_scenario` (a file, with ``extends:`` and
overrides), :func:`scenario_from_dict`, :func:`with_overrides`, :func:`validate`, and
dotted-path overrides (:func:`parse_override`, :func:`set_path`,
:func:`apply_overrides`). Every failure is a :class:`~callsim.errors.ConfigError` whose
message names the file, the field path, the bad value and what is allowed. Imports the
other :mod:`callsim.config` modules and :mod:`callsim.errors`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from callsim.config.messages import format_validation_error
from callsim.config.schema import Scenario
from callsim.config.values import parse_value
from callsim.config.yamlfile import check_shape, read_yaml
from callsim.errors import ConfigError


def parse_override(text: str) -> tuple[str, Any]:
    """Split ``"path.to.key=value"``; the value is read by the explicit rules of
    :func:`~callsim.config.values.parse_value` (``1.2``, ``[1, 2]``, ``null``, ``09:00``)."""
    if "=" not in text:
        raise ConfigError(
            f"--set {text!r}: write path=value, e.g. pools.general.staffing.agents=40"
        )
    path, _, raw = text.partition("=")
    path = path.strip()
    if not path:
        raise ConfigError(f"--set {text!r}: the path before '=' is empty")
    try:
        return path, parse_value(raw)
    except ConfigError as exc:
        raise ConfigError(f"--set {path}: the value {exc}") from None


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set ``data[a][b][c] = value`` for ``path = "a.b.c"`` (list items by index)."""
    keys = path.split(".")
    if any(not k for k in keys):
        raise ConfigError(f"override {path!r}: an empty name between dots")
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


def apply_overrides(
    data: dict[str, Any], overrides: Mapping[str, Any] | list[str] | None
) -> dict[str, Any]:
    """Return a copy of *data* with dotted-path *overrides* applied in order."""
    if not overrides:
        return data
    out = copy.deepcopy(data)
    pairs = overrides.items() if isinstance(overrides, Mapping) else map(parse_override, overrides)
    for key, value in pairs:
        set_path(out, str(key), value)
    return out


def validate(data: Mapping[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate a raw mapping into a :class:`Scenario`, raising :class:`ConfigError`."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: a scenario is a mapping of keys, "
                          f"got {type(data).__name__}")
    check_shape(data, source)
    try:
        scenario = Scenario.model_validate({**data, "source": source})
    except ValidationError as err:
        raise format_validation_error(err, source) from None
    except RecursionError:  # pragma: no cover - check_shape bounds the nesting first
        raise ConfigError(f"{source}: nested too deeply") from None
    scenario._raw = copy.deepcopy({k: v for k, v in data.items() if k != "source"})
    return scenario


def load_scenario(
    path: str | Path,
    overrides: Mapping[str, Any] | list[str] | None = None,
) -> Scenario:
    """Load and validate a scenario file.

    Parameters
    ----------
    path
        The YAML file (read strictly, see :mod:`callsim.config.yamlfile`;
        ``extends: base.yaml`` merges a base).
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
