"""Writing scenario variants: a YAML file that ``extends:`` its input and changes a few
values, each with a comment saying where it came from.

Owns :func:`overlay` (dotted-path overrides → the nested mapping an ``extends:`` file
needs; a path through a list writes the whole list, since ``extends:`` replaces
lists) and :func:`write_variant` (the text, with a header and per-value comments).
Imports :mod:`callsim.errors` and PyYAML only.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from callsim.errors import ConfigError


def _child(node: Any, key: str) -> Any:
    if isinstance(node, list):
        return node[int(key)]
    if isinstance(node, Mapping):
        return node.get(key)
    return None


def _set(node: Any, keys: list[str], value: Any) -> None:
    for k in keys[:-1]:
        node = node[int(k)] if isinstance(node, list) else node.setdefault(k, {})
    if isinstance(node, list):
        node[int(keys[-1])] = value
    else:
        node[keys[-1]] = value


def overlay(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> tuple[
        dict[str, Any], dict[str, str]]:
    """The mapping that, merged onto *base* by ``extends:``, applies *overrides*.

    Returns
    -------
    (mapping, where)
        *where* maps each override path to the dotted key of the mapping that holds it
        (the path itself, or the list that contains it).
    """
    out: dict[str, Any] = {}
    where: dict[str, str] = {}
    for path, value in overrides.items():
        keys = path.split(".")
        raw: Any = base
        node: dict[str, Any] = out
        for i, k in enumerate(keys):
            child = _child(raw, k)
            if i == len(keys) - 1:
                node[k] = copy.deepcopy(value)
                where[path] = path
            elif isinstance(child, list):
                if k not in node:
                    node[k] = copy.deepcopy(child)
                _set(node[k], keys[i + 1:], copy.deepcopy(value))
                where[path] = ".".join(keys[: i + 1])
                break
            else:
                nxt = node.setdefault(k, {})
                if not isinstance(nxt, dict):
                    raise ConfigError(f"cannot write {path}: {'.'.join(keys[:i + 1])} is a value")
                node, raw = nxt, child
    return out, where


def _scalar(v: Any) -> str:
    if isinstance(v, float):
        return repr(round(v, 10))
    text = yaml.safe_dump(v, default_flow_style=True, width=10**6, sort_keys=False).strip()
    return text[:-4].strip() if text.endswith("\n...") or text.endswith(" ...") else text


def _emit(node: Mapping[str, Any], comments: Mapping[str, str], prefix: str,
          indent: int, lines: list[str]) -> None:
    pad = "  " * indent
    for k, v in node.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        name = _scalar(str(k))
        note = f"  # {comments[key]}" if key in comments else ""
        if isinstance(v, Mapping) and key not in comments:
            lines.append(f"{pad}{name}:")
            _emit(v, comments, key, indent + 1, lines)
        else:
            lines.append(f"{pad}{name}: {_scalar(v)}{note}")


def write_variant(path: Path | str, extends: Path | str, overrides: Mapping[str, Any],
                  base: Mapping[str, Any], header: list[str],
                  comments: Mapping[str, str] | None = None,
                  extra: Mapping[str, Any] | None = None) -> Path:
    """Write a scenario that ``extends:`` *extends* and applies *overrides*.

    Parameters
    ----------
    path
        The file to write (its directory is created).
    extends
        The input scenario file; written relative to *path*'s directory.
    overrides
        Dotted path → value.
    base
        The input's mapping (after its own ``extends:``), to copy lists from.
    header
        Comment lines at the top (without ``#``).
    comments
        Dotted path → a comment for the line that sets it.
    extra
        Further top-level keys written as they are (e.g. a whole ``ivr:`` section).
    """
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    rel = os.path.relpath(Path(extends).resolve(), out.parent.resolve())
    tree, where = overlay(base, overrides)
    notes: dict[str, str] = {}
    for p, c in (comments or {}).items():
        w = where.get(p, p)
        notes[w] = c if w not in notes or notes[w] == c else f"{notes[w]}; {c}"
    lines = [f"# {h}" if h else "#" for h in header]
    lines.append(f"extends: {_scalar(rel)}")
    _emit(tree, notes, "", 0, lines)
    text = "\n".join(lines) + "\n"
    if extra:
        text += yaml.safe_dump(dict(extra), sort_keys=False, allow_unicode=True, width=100)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    return out
