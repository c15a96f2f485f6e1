"""The safety net of every refactor: the shipped scenarios give the same numbers.

``tests/fixtures/shipped_kpis.json`` holds, for fixed seeds, every KPI (overall, per call
type, per pool) of the shipped 120 scenarios, column hashes of their interval tables and
of the two-level base day's per-call records (written by
``tests/fixtures/make_fixtures.py``). A refactor keeps them bit-identical; a change that
moves them rewrites the file and says why in its commit message.

Also here: lazy abandonment (hang-ups found when an agent looks at the queue) gives the
same sample path as eager abandonment (a hang-up timer per waiting caller), which the
model uses where a queue limit needs exact counts.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import callsim
from callsim.config import scenario_from_dict

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
_spec = importlib.util.spec_from_file_location("make_fixtures", FIXTURES / "make_fixtures.py")
assert _spec is not None and _spec.loader is not None
make_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_fixtures)


@pytest.fixture(scope="module")
def expected() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((FIXTURES / "shipped_kpis.json").read_text("utf-8"))
    return doc


@pytest.fixture(scope="module")
def actual() -> dict[str, Any]:
    doc: dict[str, Any] = make_fixtures.compute()
    return doc


def test_shipped_scenarios_kpis_unchanged(expected: dict[str, Any],
                                          actual: dict[str, Any]) -> None:
    assert actual["kpis"].keys() == expected["kpis"].keys()
    for case, kpis in expected["kpis"].items():
        got = actual["kpis"][case]
        assert got.keys() == kpis.keys(), case
        moved = {k: (v, got[k]) for k, v in kpis.items() if got[k] != v}
        assert not moved, f"{case}: KPIs moved (expected, got): {moved}"


def test_shipped_scenarios_interval_tables_unchanged(expected: dict[str, Any],
                                                      actual: dict[str, Any]) -> None:
    for case, cols in expected["intervals"].items():
        got = actual["intervals"][case]
        moved = sorted(k for k in cols if got.get(k) != cols[k])
        assert got.keys() == cols.keys() and not moved, f"{case}: columns moved: {moved}"


def test_two_level_call_records_unchanged(expected: dict[str, Any],
                                          actual: dict[str, Any]) -> None:
    exp, got = expected["calls"], actual["calls"]
    assert got["rows"] == exp["rows"]
    moved = sorted(k for k in exp["columns"] if got["columns"].get(k) != exp["columns"][k])
    assert got["columns"].keys() == exp["columns"].keys() and not moved, moved


# --------------------------------------------------------- lazy = eager abandonment

LAZY: dict[str, Any] = {
    "name": "lazy-eager",
    "horizon": {"length": "8h", "interval": "60min"},
    "call_types": {
        "a": {"handle_time": {"dist": "lognormal", "mean": 200, "cv": 0.8},
              "after_call_work": 10,
              "patience": {"dist": "weibull", "shape": 0.8, "scale": 90}},
        "b": {"handle_time": {"dist": "gamma", "mean": 120, "cv": 0.6},
              "patience": {"dist": "exponential", "mean": 60}, "wait_weight": 2.0},
        "c": {"handle_time": {"dist": "exponential", "mean": 150},
              "patience": {"dist": "uniform", "low": 5, "high": 200}},
    },
    "arrivals": {"rate": 150, "mix": {"a": 0.5, "b": 0.3, "c": 0.2}},
    "pools": {
        "generalists": {"skills": ["a", "b", "c"], "staffing": 3},
        "specialists": {"skills": ["a", "b"], "staffing": 4},
        "c_team": {"skills": ["c"], "staffing": 1},
    },
    "routing": {"a": ["specialists", {"pool": "generalists", "after": 30}],
                "b": ["specialists", "generalists"], "c": ["c_team", "generalists"]},
    "queue": {"short_abandon": 5},
}


def _calls(data: dict[str, Any], seed: int) -> tuple[pd.DataFrame, dict[str, float]]:
    res = callsim.simulate(scenario_from_dict(data), seed=seed, record_calls=True)
    assert res.calls is not None
    return res.calls, res.flat_kpis()


@pytest.mark.parametrize("seed", [1, 2])
def test_lazy_and_eager_abandonment_give_the_same_sample_path(seed: int) -> None:
    lazy = copy.deepcopy(LAZY)
    eager = copy.deepcopy(LAZY)
    eager["queue"]["capacity"] = 10**9  # a limit that never binds: hang-up timers on
    calls_l, kpis_l = _calls(lazy, seed)
    calls_e, kpis_e = _calls(eager, seed)
    assert (calls_l["outcome"] == "abandoned").sum() > 100  # abandonment is exercised
    pd.testing.assert_frame_equal(calls_l, calls_e, check_exact=True)
    assert kpis_l.keys() == kpis_e.keys()
    for k, v in kpis_l.items():  # tallies may be summed in another order
        assert (math.isnan(v) and math.isnan(kpis_e[k])) or v == pytest.approx(
            kpis_e[k], rel=1e-12, abs=1e-12), k


# ------------------------------------------------ callers answered on arrival

@pytest.mark.parametrize("seed", [1, 2])
def test_answers_on_arrival_without_a_call_object_give_the_same_numbers(
        seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The model's fast paths write ``Model._answer`` out, for callers answered on
    arrival (no ``Call`` object, ``Model._arrive``) and for the next caller of a freed
    agent (``Model._on_release``): with and without them, the same run."""
    from callsim.engine.model import Model

    data = copy.deepcopy(LAZY)
    data["pools"]["generalists"]["secondary_handle_factor"] = {"b": 1.5, "c": 0.8}
    fast = _calls(data, seed)
    monkeypatch.setattr(Model, "DIRECT_ANSWERS", False)
    slow = _calls(data, seed)
    assert (fast[0]["outcome"] == "answered").sum() > 500
    pd.testing.assert_frame_equal(fast[0], slow[0], check_exact=True)
    assert fast[1].keys() == slow[1].keys()
    for k, v in fast[1].items():
        assert (math.isnan(v) and math.isnan(slow[1][k])) or v == slow[1][k], k
