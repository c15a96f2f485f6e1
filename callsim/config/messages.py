"""Clean error messages: a pydantic validation error turned into lines a user can act on.

Owns :func:`format_validation_error`: one line per problem with the field path as the
user wrote it (``pools.p1.staffing.agents``, union branch tags removed), the bad value
and what is allowed (for an unknown key, the keys allowed there). Imports
:mod:`callsim.errors`, the schema and the distribution registry.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from callsim.config.distributions import DIST_NAMES, DISTRIBUTIONS
from callsim.config.schema import Scenario
from callsim.errors import ConfigError


def _fmt_value(value: Any) -> str:
    if isinstance(value, bool) or value is None:  # as written in YAML
        return "null" if value is None else str(value).lower()
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
    count = sum(len((e.get("ctx") or {}).get("problems", [0])) if e["type"] == "cross_check"
                else 1 for e in err.errors(include_url=False))
    lines = [f"{source}: invalid scenario ({count} problem{'s' if count != 1 else ''})"]
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
        elif e["type"] == "cross_check":
            for problem in (e.get("ctx") or {}).get("problems", [str(e["msg"])]):
                lines.append(f"  {problem}")
            continue
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


def _allowed_keys(loc: tuple[int | str, ...]) -> list[str]:
    """Field names allowed at *loc*, found by walking the schema (best effort)."""
    model: Any = Scenario
    for item in loc:
        if isinstance(item, int) or model is None:
            continue
        if isinstance(item, str) and item in DIST_NAMES:
            model = DISTRIBUTIONS[item]
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
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None
