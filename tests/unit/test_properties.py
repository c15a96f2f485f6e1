"""Property-based tests (issue 10) with hypothesis; the ``ci`` profile of conftest.py fixes
the number of examples and derandomizes them, so the time is bounded and runs repeat.

* ``--set`` values and sweep axes: any text is a value or a clean ConfigError; values
  written by the grammar's rules read back unchanged; ranges are exact.
* Scenarios: generated valid scenarios run with every call in exactly one outcome;
  mutated ones (one field set to junk, removed, or an unknown key added) are either
  valid and run the same way, or refused with exit code 2 and a message naming a field.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import math
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import write_yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import callsim
from callsim.config import parse_override, parse_value
from callsim.engine.call import OUTCOMES
from callsim.errors import ConfigError
from callsim.ui.cli import main
from callsim.ui.parsing import MAX_AXIS, expand_values, parse_grid

# -------------------------------------------------------------------- --set values

_RESERVED = re.compile(r"(?i)null|true|false|~|[-+.]?(inf|nan)")
names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True).filter(
    lambda s: not _RESERVED.fullmatch(s))
scalars = (st.integers(-10**12, 10**12) | st.floats(allow_nan=False, allow_infinity=False)
           | st.booleans() | st.none() | names)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(names, inner, max_size=4), max_leaves=12)


def render(v: Any) -> str:
    """Write *v* by the ``--set`` grammar's rules."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, list):
        return "[" + ", ".join(render(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {render(x)}" for k, x in v.items()) + "}"
    return str(v)


@given(values)
def test_set_values_read_back_unchanged(v: Any) -> None:
    assert parse_value(render(v)) == v


@given(st.text(max_size=80))
def test_any_set_text_is_a_value_or_a_clean_refusal(text: str) -> None:
    for call in (lambda: parse_value(text), lambda: parse_override(f"a.b={text}"),
                 lambda: expand_values(text), lambda: parse_grid([text])):
        try:
            call()
        except ConfigError as exc:
            assert str(exc) and "Traceback" not in str(exc)


@given(st.text(alphabet="[]{},:'\" ab1.-", max_size=40))
def test_bracket_soup_is_a_value_or_a_clean_refusal(text: str) -> None:
    with contextlib.suppress(ConfigError):
        parse_value(text)


@given(st.integers(-1000, 1000), st.integers(0, 5000), st.integers(1, 500))
def test_integer_ranges_are_exact(a: int, span: int, step: int) -> None:
    b = a + span
    expected = list(range(a, b + 1, step))
    assume(len(expected) <= MAX_AXIS)
    assert expand_values(f"{a}:{b}:{step}") == expected
    with pytest.raises(ConfigError, match="below the start"):
        expand_values(f"{b + 1}:{a}:{step}")
    with pytest.raises(ConfigError, match="not positive"):
        expand_values(f"{a}:{b}:{-step}")


@given(st.floats(-1e3, 1e3), st.floats(0, 1e3), st.floats(1e-2, 1e3))
def test_float_ranges_are_inclusive_and_increasing(a: float, span: float, s: float) -> None:
    b = a + span
    text = f"{a!r}:{b!r}:{s!r}"
    n = math.floor((b - a) / s + 1e-9) + 1
    assume(n <= MAX_AXIS)
    got = expand_values(text)
    assert len(got) == n
    assert got[0] == pytest.approx(a)
    assert all(y > x for x, y in itertools.pairwise(got))
    assert got[-1] <= b + 1e-6 * max(1.0, abs(b))


# ---------------------------------------------------------------------- scenarios

DISTS = st.sampled_from([
    {"dist": "exponential", "mean": 90},
    {"dist": "lognormal", "mean": 120, "cv": 0.8},
    {"dist": "gamma", "mean": 60, "cv": 1.5},
    {"dist": "weibull", "shape": 0.7, "scale": 80},
    {"dist": "uniform", "low": 10, "high": 200},
    {"dist": "empirical", "values": [20, 40, 300]},
    45,
    "2min",
])


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """A small valid scenario: 1-3 call types, 1-2 pools, an optional menu."""
    k = draw(st.integers(1, 3))
    types = [f"t{i}" for i in range(k)]
    call_types = {}
    for t in types:
        ct: dict[str, Any] = {"handle_time": draw(DISTS)}
        if draw(st.booleans()):
            ct["patience"] = draw(DISTS)
        if draw(st.booleans()):
            ct["queue_capacity"] = draw(st.integers(0, 5))
        call_types[t] = ct
    weights = [draw(st.integers(1, 5)) for _ in types]
    mix = {t: w / sum(weights) for t, w in zip(types, weights, strict=True)}
    pools: dict[str, Any] = {"p0": {"skills": list(types),
                                    "staffing": draw(st.integers(0, 8))}}
    if draw(st.booleans()):
        pools["p1"] = {"skills": draw(st.lists(st.sampled_from(types), min_size=1,
                                               max_size=k, unique=True)),
                       "staffing": draw(st.integers(0, 8)),
                       "policy": draw(st.sampled_from(["longest_wait", "priority"]))}
    data: dict[str, Any] = {
        "name": "gen",
        "horizon": {"length": f"{draw(st.integers(1, 3))}h", "interval": "30min"},
        "call_types": call_types,
        "arrivals": {"rate": draw(st.integers(1, 300)), "mix": mix},
        "pools": pools,
        "queue": {"capacity": draw(st.none() | st.integers(0, 20))},
    }
    if draw(st.booleans()):
        data["ivr"] = {"root": "main", "nodes": {"main": {
            "prompt": draw(st.integers(0, 20)),
            "timeout_rate": draw(st.sampled_from([0.0, 0.1, 0.5])),
            "error_rate": draw(st.sampled_from([0.0, 0.1])),
            "options": {str(i + 1): {"queue": t} for i, t in enumerate(types)}}}}
    if draw(st.booleans()):
        data["redials"] = {"after_abandon": 0.5, "max_attempts": 3}
    return data


def assert_every_call_has_one_outcome(sc: callsim.Scenario) -> None:
    res = callsim.simulate(sc, seed=5, record_calls=True)
    calls = res.calls
    assert calls is not None
    assert len(calls) == res.meta["n_calls"]
    if len(calls) == 0:  # no caller came (the empty table has no columns: io room)
        return
    assert calls["call_id"].is_unique
    assert sorted(calls["call_id"]) == list(range(len(calls)))
    assert calls["outcome"].notna().all()
    assert set(calls["outcome"]) <= set(OUTCOMES)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_generated_scenarios_run_with_every_call_in_one_outcome(data: dict[str, Any]) -> None:
    assert_every_call_has_one_outcome(callsim.config.scenario_from_dict(data))


JUNK = st.sampled_from([-1, 0, -0.5, 1e12, 1e300, True, False, None, "abc", "", "10:00",
                        "5:1:1", [], [1, -1], {}, {"x": 1}, 2.5, "1e9", float("nan")])


def key_paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    items = (data.items() if isinstance(data, dict)
             else enumerate(data) if isinstance(data, list) else [])
    for k, v in items:
        out.append((*prefix, k))
        out += key_paths(v, (*prefix, k))
    return out


@st.composite
def mutated(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    data = copy.deepcopy(draw(scenarios()))
    path = draw(st.sampled_from(key_paths(data)))
    node: Any = data
    for k in path[:-1]:
        node = node[k]
    how = draw(st.sampled_from(["junk", "delete", "unknown"]))
    if how == "junk" or (how == "delete" and isinstance(node, list)):
        node[path[-1]] = draw(JUNK)
    elif how == "delete":
        del node[path[-1]]
    elif isinstance(node, dict):
        node["colour"] = "red"
    return data, ".".join(str(k) for k in path)


FIELD_LINE = re.compile(r"(^|\n  |: )[A-Za-z_][\w\-]*(\.[\w\-]+|\[\d+\])*: ")


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(mutated())
def test_mutated_scenarios_run_or_are_refused_naming_a_field(
    tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str],
    case: tuple[dict[str, Any], str],
) -> None:
    data, _where = case
    path: Path = write_yaml(tmp_path_factory.mktemp("mut"), data)
    code = main(["validate", str(path)])
    err = capsys.readouterr().err
    assert code in (0, 2), err
    assert "Traceback" not in err and "internal error" not in err
    if code == 2:
        assert err.startswith(f"error: {path}: ")
        assert FIELD_LINE.search(err.removeprefix(f"error: {path}: ")), err
    else:
        assert_every_call_has_one_outcome(callsim.load_scenario(path))
