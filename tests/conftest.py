"""Shared test fixtures: the small scenarios, the YAML file writer, markers, hypothesis.

* :data:`TWO_TYPES` is the small scenario the config, CLI and bad-input tests mutate
  (two call types, one pool, 2 h). Take copies (:func:`two_types`): tests mutate them.
  :func:`set_key` sets one field.
* :func:`write_yaml` writes a mapping (or text) as a YAML file; the ``write`` fixture is
  it bound to the test's ``tmp_path``.
* Markers: ``statistical``, ``notebook`` and ``browser`` tests are also ``slow``, so
  ``pytest -m "not slow"`` (``python3 dev.py test --quick``) leaves them out.
* Hypothesis: the ``ci`` profile (the default) runs a fixed number of examples per
  property with derandomized, reproducible inputs; ``HYPOTHESIS_PROFILE=dev`` runs more.

Test modules import the constants and helpers with ``from conftest import ...`` (this
folder is on ``sys.path`` because it holds the rootdir conftest and no ``__init__.py``).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import yaml

TWO_TYPES: dict[str, Any] = {
    "name": "t",
    "horizon": {"length": "2h", "interval": "30min"},
    "call_types": {
        "a": {
            "handle_time": {"dist": "exponential", "mean": 100},
            "patience": {"dist": "exponential", "mean": 60},
        },
        "b": {"handle_time": 50},  # scalar shorthand: deterministic 50 s
    },
    "arrivals": {"rate": 60, "mix": {"a": 0.5, "b": 0.5}},
    "pools": {"p1": {"skills": ["a", "b"], "staffing": 3}},
}
"""Two call types (one with patience, one a deterministic shorthand), one pool, 2 h."""


def two_types(**top: Any) -> dict[str, Any]:
    """A deep copy of :data:`TWO_TYPES`, with top-level keys replaced by *top*."""
    return {**copy.deepcopy(TWO_TYPES), **copy.deepcopy(top)}


CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def shipped_scenarios(leaves_only: bool = False) -> list[Path]:
    """The scenario files under configs/ (shift-template files, ``templates:`` for
    ``callsim staff --shifts``, are not scenarios); with *leaves_only*, only those no
    other file ``extends`` (partial bases such as common.yaml left out)."""
    docs = {f: yaml.safe_load(f.read_text(encoding="utf-8")) or {}
            for f in sorted(CONFIGS.rglob("*.yaml"))}
    files = [f for f, d in docs.items() if "templates" not in d]
    if not leaves_only:
        return files
    bases = {(f.parent / docs[f]["extends"]).resolve() for f in files
             if isinstance(docs[f].get("extends"), str)}
    return [f for f in files if f.resolve() not in bases]


def write_yaml(folder: Path, data: Mapping[str, Any] | str, name: str = "scenario.yaml") -> Path:
    """Write *data* (a mapping dumped as YAML in key order, or text) to ``folder/name``."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    text = data if isinstance(data, str) else yaml.safe_dump(dict(data), sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def set_key(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """Set ``data[a][b][c] = value`` for ``path = "a.b.c"`` (creating mappings); returns *data*."""
    node = data
    keys = path.split(".")
    for k in keys[:-1]:
        node = node.setdefault(k, {})
    node[keys[-1]] = value
    return data


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """:func:`write_yaml` into this test's ``tmp_path``."""
    return partial(write_yaml, tmp_path)


# ------------------------------------------------------------------------ markers

SLOW_KINDS = ("statistical", "notebook", "browser")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Statistical, notebook and browser tests are slow ones too."""
    for item in items:
        if any(item.get_closest_marker(kind) for kind in SLOW_KINDS):
            item.add_marker(pytest.mark.slow)


# ---------------------------------------------------------------------- hypothesis

try:
    from hypothesis import HealthCheck, settings
except ImportError:  # pragma: no cover - hypothesis is in the test extra
    pass
else:
    settings.register_profile(
        "ci", max_examples=100, deadline=None, derandomize=True, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    settings.register_profile(
        "dev", max_examples=300, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
