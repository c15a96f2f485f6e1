"""The scenario fingerprint: what keeps one run folder from mixing two scenarios' results.

Owns :func:`fingerprint`, a SHA-256 over a canonical encoding of a compiled scenario
(every number, array and name in it, data read from files included), stable across
processes and runs. Imports :mod:`callsim.compiled`.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from typing import Any

import numpy as np

from callsim.compiled import CompiledScenario


def _feed(h: Any, obj: Any) -> None:
    """Feed a canonical encoding of *obj* into hash *h* (stable across processes)."""
    if obj is None or isinstance(obj, bool | int | str):
        h.update(f"{type(obj).__name__}:{obj!r};".encode())
    elif isinstance(obj, float):
        h.update(f"float:{float(obj).hex()};".encode())
    elif isinstance(obj, np.ndarray):
        if obj.dtype == object:
            _feed(h, obj.tolist())
            return
        h.update(f"ndarray:{obj.dtype.str}:{obj.shape};".encode())
        h.update(np.ascontiguousarray(obj).tobytes())
    elif isinstance(obj, np.generic):
        _feed(h, obj.item())
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        h.update(f"{type(obj).__qualname__}{{".encode())
        for f in dataclasses.fields(obj):
            if f.metadata.get("fingerprint") is False:
                continue
            h.update(f"{f.name}=".encode())
            _feed(h, getattr(obj, f.name))
        h.update(b"}")
    elif isinstance(obj, list | tuple):
        h.update(f"{type(obj).__name__}[{len(obj)}:".encode())
        for item in obj:
            _feed(h, item)
        h.update(b"]")
    elif isinstance(obj, Mapping):
        h.update(f"map[{len(obj)}:".encode())
        for k, v in obj.items():
            _feed(h, k)
            _feed(h, v)
        h.update(b"]")
    elif isinstance(obj, set | frozenset):
        _feed(h, sorted(repr(x) for x in obj))
    elif hasattr(obj, "__dict__") or hasattr(type(obj), "__slots__"):
        names = list(getattr(obj, "__dict__", {}))
        for cls in type(obj).__mro__:
            slots = getattr(cls, "__slots__", ())
            names += [slots] if isinstance(slots, str) else list(slots)
        h.update(f"{type(obj).__qualname__}{{".encode())
        for name in sorted(set(names)):
            if name.startswith("__") or not hasattr(obj, name):
                continue
            h.update(f"{name}=".encode())
            _feed(h, getattr(obj, name))
        h.update(b"}")
    else:
        h.update(f"{type(obj).__qualname__}:{obj!r};".encode())


def fingerprint(cs: CompiledScenario) -> str:
    """SHA-256 of a canonical encoding of *cs* (every number, array and name in it).

    Two compiled scenarios have the same fingerprint exactly when they simulate the
    same thing; data read from files (empirical distributions, CSV profiles) is part
    of it, unlike a hash of the YAML text.
    """
    h = hashlib.sha256()
    _feed(h, cs)
    return h.hexdigest()
