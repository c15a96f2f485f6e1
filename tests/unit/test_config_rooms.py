"""The config rooms (issue 9): the distribution registry, no-boolean numbers, cross-checks
as model validators, strict YAML and the explicit ``--set`` grammar (issue 10)."""

from __future__ import annotations

import math
import typing
from pathlib import Path
from typing import Any

import numpy as np
import pydantic
import pytest
import yaml
from conftest import set_key, two_types, write_yaml

import callsim
from callsim import ConfigError
from callsim import distributions as d
from callsim.compiled.sources import build_distribution
from callsim.config import (
    DIST_NAMES,
    DISTRIBUTIONS,
    DistCfg,
    Scenario,
    cross_check,
    load_scenario,
    parse_override,
    parse_value,
    scenario_from_dict,
    validate,
)
from callsim.config import schema as schema_mod
from callsim.config.units import parse_clock, parse_duration, refuse_bool, whole_number
from callsim.config.yamlfile import MAX_DEPTH, parse_yaml

# ----------------------------------------------------------------------- registry

EXAMPLES: dict[str, dict[str, Any]] = {
    "exponential": {"mean": 60},
    "lognormal": {"mean": 60, "cv": 0.5},
    "gamma": {"mean": 60, "cv": 0.5},
    "weibull": {"shape": 1.5, "scale": 60},
    "deterministic": {"value": 60},
    "uniform": {"low": 30, "high": 90},
    "empirical": {"values": [30, 60, 90]},
    "survival": {"times": [10, 30, 60], "survival": [0.8, 0.5, 0.2],
                 "tail": {"dist": "exponential", "mean": 40}},
}


def test_every_registered_distribution_has_an_example_here() -> None:
    assert set(DISTRIBUTIONS) == set(EXAMPLES) == set(DIST_NAMES)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_registry_entry_validates_builds_and_samples(name: str) -> None:
    data = two_types()
    data["call_types"]["a"]["handle_time"] = {"dist": name, **EXAMPLES[name]}
    cfg = scenario_from_dict(data).call_types["a"].handle_time
    assert type(cfg) is DISTRIBUTIONS[name] and isinstance(cfg, DistCfg)
    dist = build_distribution(cfg, Path.cwd(), "call_types.a.handle_time")
    x = dist.sample(np.random.default_rng(1), 20_000)
    assert x.shape == (20_000,) and np.all(x >= 0)
    assert math.isclose(x.mean(), dist.mean, rel_tol=0.05)


def test_schema_lists_every_registered_distribution() -> None:
    text = str(Scenario.model_json_schema())
    for name in DISTRIBUTIONS:
        assert f"'{name}'" in text


def test_unknown_distribution_message_lists_the_registry(tmp_path: Path) -> None:
    data = set_key(two_types(), "call_types.a.handle_time", {"dist": "normal", "mean": 5})
    with pytest.raises(ConfigError) as info:
        load_scenario(write_yaml(tmp_path, data))
    assert f"allowed: {', '.join(DIST_NAMES)}" in str(info.value)


def test_empirical_file_is_read_relative_to_the_scenario(tmp_path: Path) -> None:
    (tmp_path / "h.txt").write_text("10\n20\n", encoding="utf-8")
    data = set_key(two_types(), "call_types.a.handle_time", {"dist": "empirical",
                                                            "file": "h.txt"})
    sc = load_scenario(write_yaml(tmp_path, data))
    cfg = sc.call_types["a"].handle_time
    assert cfg.files() == ["h.txt"]
    dist = build_distribution(cfg, tmp_path, "call_types.a.handle_time")
    assert isinstance(dist, d.Empirical) and dist.values == (10.0, 20.0)


# ------------------------------------------------------------- numbers and units


def _numeric_leaves(annotation: Any, guarded: bool = False) -> list[tuple[Any, bool]]:
    """(type, guarded) for each int/float inside *annotation*; guarded when an
    enclosing Annotated carries a validator that refuses booleans."""
    out: list[tuple[Any, bool]] = []
    if typing.get_origin(annotation) is typing.Annotated:
        base, *meta = typing.get_args(annotation)
        funcs = {getattr(m, "func", None) for m in meta}
        ok = bool(funcs & {refuse_bool, whole_number, parse_duration, parse_clock})
        return _numeric_leaves(base, guarded or ok)
    if annotation in (int, float):
        return [(annotation, guarded)]
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return []
    for arg in typing.get_args(annotation):
        out += _numeric_leaves(arg, guarded)
    return out


def _config_models() -> list[type[pydantic.BaseModel]]:
    from callsim.config import menu

    found = []
    for mod in (schema_mod, menu):
        found += [v for v in vars(mod).values() if isinstance(v, type)
                  and issubclass(v, pydantic.BaseModel) and v.__module__ == mod.__name__]
    return found + list(DISTRIBUTIONS.values())


def test_every_numeric_field_refuses_booleans() -> None:
    """New fields must use Float/Int/Duration/Clock/Probability (config.units)."""
    bare = []
    for model in _config_models():
        for name, field in model.model_fields.items():
            ann = field.annotation
            if field.metadata:
                ann = typing.Annotated[(ann, *field.metadata)]
            bare += [f"{model.__name__}.{name}" for _, ok in _numeric_leaves(ann) if not ok]
    assert not bare, f"numeric fields that accept true/false as 1/0: {bare}"


@pytest.mark.parametrize(("path", "value"), [
    ("horizon.length", True), ("horizon.start", False), ("arrivals.rate", True),
    ("arrivals.scale", True), ("pools.p1.staffing", True), ("pools.p1.staffing", {"agents": True}),
    ("call_types.a.handle_time", True), ("call_types.a.priority", True),
    ("call_types.a.transfer_out", True), ("kpis.service_levels", [20, True]),
    ("call_types.a.handle_time", {"dist": "exponential", "mean": True}),
])
def test_booleans_are_not_numbers(path: str, value: Any) -> None:
    with pytest.raises(ConfigError, match="is a boolean") as info:
        scenario_from_dict(set_key(two_types(), path, value))
    assert path.split(".")[0] in str(info.value)


# ------------------------------------------------------------- cross-checks


def test_scenario_built_directly_is_cross_checked() -> None:
    data = set_key(two_types(), "routing", {"a": ["p1", "nope"]})
    with pytest.raises(pydantic.ValidationError) as info:
        Scenario(**data)
    assert "'nope' is not an agent pool" in str(info.value)
    assert info.value.errors()[0]["type"] == "cross_check"


def test_compile_of_a_directly_built_scenario_never_raises_key_error() -> None:
    data = two_types()
    data["call_types"]["a"]["transfer_to"] = "zz"
    data["call_types"]["a"]["transfer_share"] = 0.1
    data["callbacks"] = {"pool": "nobody"}
    with pytest.raises(pydantic.ValidationError) as info:
        Scenario(**data)
    msg = str(info.value)
    assert "call_types.a.transfer_to" in msg and "callbacks.pool" in msg
    sc = Scenario(**two_types())  # a valid one compiles
    assert callsim.compile(sc).type_names == ["a", "b"]


def test_cross_check_problems_are_counted_and_listed(tmp_path: Path) -> None:
    data = set_key(two_types(), "routing", {"a": ["nope"], "zz": ["p1"]})
    with pytest.raises(ConfigError) as info:
        validate(data, "x.yaml")
    msg = str(info.value)
    assert msg.startswith("x.yaml: invalid scenario (3 problems)")
    assert "\n  routing.a[0]: 'nope'" in msg and "\n  routing.zz: 'zz'" in msg
    assert "\n  call_types.a: no agent pool serves" in msg


def test_cross_check_of_a_constructed_scenario() -> None:
    good = Scenario(**two_types())
    bad = Scenario.model_construct(**{**dict(good), "routing": {"a": ["nope"]}})
    cross_check(good)
    with pytest.raises(ConfigError, match=r"routing\.a\[0\]"):
        cross_check(bad)


# -------------------------------------------------------------------- strict YAML


@pytest.mark.parametrize(("text", "value"), [
    ("x: 10:00", "10:00"), ("x: 1:30", "1:30"), ("x: 010", 10), ("x: 1e9", 1e9),
    ("x: 1.0e9", 1e9), ("x: -2.5E-3", -0.0025), ("x: 1_000", 1000), ("x: yes", "yes"),
    ("x: off", "off"), ("x: true", True), ("x: False", False), ("x: .inf", math.inf),
    ("x: -.inf", -math.inf), ("x: 0x10", "0x10"), ("x: ~", None), ("x: '09:00'", "09:00"),
    ("x: [1, 2.5, a]", [1, 2.5, "a"]),
])
def test_yaml_scalars_follow_explicit_rules(text: str, value: Any) -> None:
    assert parse_yaml(text, "t") == {"x": value}


def test_yaml_nesting_limit_is_exact() -> None:
    ok = "x: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)
    parse_yaml(ok, "t")
    with pytest.raises(ConfigError, match="nesting deeper than"):
        parse_yaml("x: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH, "t")


def test_yaml_duplicate_keys_at_any_depth_and_merge_keys() -> None:
    with pytest.raises(ConfigError, match=r"line 3.*duplicate key 'b'"):
        parse_yaml("a:\n  b: 1\n  b: 2\n", "t")
    with pytest.raises(ConfigError, match="duplicate key '1'"):
        parse_yaml("o: {1: a, '1': b}\n", "t")  # the menu reads both as key "1"
    merged = parse_yaml("base: &b {x: 1, y: 2}\nv: {<<: *b, y: 3}\n", "t")
    assert merged["v"] == {"x": 1, "y": 3}


def test_shipped_files_read_the_same_as_with_safe_load() -> None:
    root = Path(__file__).resolve().parents[2] / "configs"
    for f in sorted(root.rglob("*.yaml")):
        text = f.read_text(encoding="utf-8")
        assert parse_yaml(text, str(f)) == yaml.safe_load(text), f


def test_deeply_nested_python_data_is_refused_too() -> None:
    deep: Any = 1
    for _ in range(3000):
        deep = {"a": deep}
    with pytest.raises(ConfigError, match="nesting deeper"):
        scenario_from_dict({**two_types(), "description": deep})


# ------------------------------------------------------------------ --set values


@pytest.mark.parametrize(("text", "value"), [
    ("40", 40), ("-3", -3), ("1.5", 1.5), ("1e9", 1e9), ("1_000", 1000), ("010", 10),
    ("null", None), ("~", None), ("true", True), ("FALSE", False), ("yes", "yes"),
    ("09:00", "09:00"), ("5:1:1", "5:1:1"), ("30min", "30min"), ("'x,y'", "x,y"),
    ('"[1]"', "[1]"), ("", ""), ("  abc  ", "abc"), (".inf", math.inf),
    ("[1, 2]", [1, 2]), ("[]", []), ("{}", {}), ("[[1], [2, [3]]]", [[1], [2, [3]]]),
    ("{pool: p2, after: 30}", {"pool": "p2", "after": 30}),
    ("[p1, {pool: p2, after: 30s}]", ["p1", {"pool": "p2", "after": "30s"}]),
    ("{start: 09:00, end: 17:00, agents: 4}", {"start": "09:00", "end": "17:00", "agents": 4}),
    ("{'1': {queue: a}}", {"1": {"queue": "a"}}),
])
def test_set_value_rules(text: str, value: Any) -> None:
    assert parse_value(text) == value


@pytest.mark.parametrize(("text", "needle"), [
    ("[1, 2", "missing ']'"), ("[1,,2]", "an empty item"), ("[1,]", "an empty item"),
    ("{a 1}", "expected ':'"), ("{a: 1, a: 2}", "duplicate key 'a'"), ("[1] x", "unexpected"),
    ("['a]", "unclosed quote"), ("[" * 60 + "]" * 60, "nesting deeper"),
    ("{: 1}", "key is missing"),
])
def test_bad_set_values(text: str, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle.replace("[", r"\[")):
        parse_value(text)


def test_parse_override_names_the_path() -> None:
    assert parse_override("routing.a=[p1, p2]") == ("routing.a", ["p1", "p2"])
    with pytest.raises(ConfigError, match=r"--set routing.a: the value '\[p1': missing"):
        parse_override("routing.a=[p1")
