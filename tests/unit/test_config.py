"""Scenario files: validation errors, safe loading, ``extends:`` and overrides.

Every bad input must raise :class:`callsim.ConfigError` with one message that names the
file, the field path, the bad value and what is allowed (issue 2, items 2 and 10).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pydantic
import pytest
import yaml
from conftest import set_key, shipped_scenarios, two_types
from conftest import write_yaml as write

import callsim
from callsim import ConfigError
from callsim.config import (
    Scenario,
    apply_overrides,
    deep_merge,
    load_scenario,
    parse_clock,
    parse_duration,
    parse_override,
    scenario_from_dict,
    with_overrides,
)


def base() -> dict[str, Any]:
    return two_types()


def load_error(path: Path, overrides: Any = None) -> str:
    with pytest.raises(ConfigError) as info:
        load_scenario(path, overrides)
    msg = str(info.value)
    assert "Traceback" not in msg
    return msg


# ------------------------------------------------------------------- the base is valid


def test_base_scenario_is_valid(tmp_path: Path) -> None:
    sc = load_scenario(write(tmp_path, base()))
    assert isinstance(sc, Scenario)
    assert sc.horizon.length == 7200.0
    assert sc.horizon.interval == 1800.0
    assert sc.call_types["b"].handle_time.dist == "deterministic"
    assert sc.call_types["b"].handle_time.value == 50.0  # type: ignore[union-attr]
    assert sc.call_types["b"].patience is None
    assert sc.pools["p1"].staffing.agents == 3
    assert sc.routing_for("a") == ["p1"]
    assert sc.source == str(tmp_path / "scenario.yaml")


def test_scenario_objects_are_immutable(tmp_path: Path) -> None:
    sc = load_scenario(write(tmp_path, base()))
    with pytest.raises(pydantic.ValidationError):
        sc.name = "other"  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError):
        sc.horizon.length = 10.0  # type: ignore[misc]


def test_shipped_scenarios_are_valid() -> None:
    """Every shipped scenario that no other file ``extends`` (a partial base) loads."""
    leaves = shipped_scenarios(leaves_only=True)
    assert leaves
    for f in leaves:
        assert isinstance(load_scenario(f), Scenario), f


# ------------------------------------------------------------------------- bad input


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(d: dict[str, Any]) -> None:
        set_key(d, path, value)

    return mutate


def _add_unserved_type(d: dict[str, Any]) -> None:
    d["call_types"]["c"] = {"handle_time": 10}
    d["arrivals"]["mix"] = {"a": 0.5, "b": 0.5, "c": 0.0}


def _routing_to_pool_without_skill(d: dict[str, Any]) -> None:
    d["pools"]["p2"] = {"skills": ["b"], "staffing": 1}
    d["routing"] = {"a": ["p2", "p1"]}


def _empty_routing(d: dict[str, Any]) -> None:
    d["routing"] = {"a": []}


def _empirical_missing(d: dict[str, Any]) -> None:
    d["call_types"]["a"]["handle_time"] = {"dist": "empirical", "file": "nofile.csv"}


# (id, mutation, substrings the message must contain: path, bad value, what is allowed)
BAD_CASES: list[tuple[str, Callable[[dict[str, Any]], None], list[str]]] = [
    ("unknown_key", _set("horizon.lenght", "3h"),
     ["horizon.lenght", "'lenght'", "allowed keys", "length", "warmup"]),
    ("unknown_top_level_key", _set("colour", "red"),
     ["colour", "'colour'", "allowed keys", "call_types", "arrivals"]),
    ("unknown_key_in_distribution", _set("call_types.a.handle_time.sd", 3),
     ["call_types.a.handle_time.sd", "'sd'", "mean"]),
    ("negative_rate", _set("arrivals.rate", -5),
     ["arrivals.rate", "-5", "greater than 0"]),
    ("zero_rate", _set("arrivals.rate", 0),
     ["arrivals.rate", "got 0", "greater than 0"]),
    ("negative_per_interval", _set("arrivals", {"per_interval": [1, 2, -1, 4],
                                                 "interval": "30min",
                                                 "mix": {"a": 0.5, "b": 0.5}}),
     ["arrivals.per_interval[2]", "-1", "greater than or equal to 0"]),
    ("negative_handle_mean", _set("call_types.a.handle_time.mean", -3),
     ["call_types.a.handle_time.mean", "-3", "greater than 0"]),
    ("zero_handle_mean", _set("call_types.a.handle_time.mean", 0),
     ["call_types.a.handle_time.mean", "got 0", "greater than 0"]),
    ("negative_agents", _set("pools.p1.staffing", {"agents": -2}),
     ["pools.p1.staffing.agents", "-2", "greater than or equal to 0"]),
    ("mix_not_summing_to_1", _set("arrivals.mix", {"a": 0.5, "b": 0.4}),
     ["arrivals", "mix", "0.9", "must sum to 1"]),
    ("mix_unknown_type", _set("arrivals.mix", {"a": 0.5, "b": 0.25, "zz": 0.25}),
     ["arrivals.mix.zz", "'zz'", "allowed: a, b"]),
    ("routing_unknown_pool", _set("routing", {"a": ["nope"]}),
     ["routing.a[0]", "'nope'", "allowed: p1"]),
    ("routing_unknown_call_type", _set("routing", {"zz": ["p1"]}),
     ["routing.zz", "'zz'", "allowed: a, b"]),
    ("call_type_nobody_serves", _add_unserved_type,
     ["call_types.c", "no agent pool serves", "p1"]),
    ("routing_to_pool_without_skill", _routing_to_pool_without_skill,
     ["routing.a[0]", "'p2'", "lacks the skill 'a'", "its skills: b"]),
    ("empty_routing_serves_nobody", _empty_routing,
     ["call_types.a", "no agent pool serves", "p1"]),
    ("hourly_shape_wrong_length", _set("arrivals", {"daily_volume": 1000,
                                                   "hourly_shape": [1] * 23,
                                                   "mix": {"a": 0.5, "b": 0.5}}),
     ["arrivals", "hourly_shape has 23 entries", "needs 24"]),
    ("two_rate_forms", _set("arrivals.daily_volume", 1000),
     ["arrivals", "exactly one of rate, per_interval, daily_volume, csv",
      "got rate, daily_volume"]),
    ("by_call_type_with_total", _set("arrivals.by_call_type", {"a": {"rate": 1}}),
     ["arrivals", "by_call_type cannot be combined with", "mix, rate"]),
    ("negative_overdispersion", _set("arrivals.overdispersion", -0.1),
     ["arrivals.overdispersion", "-0.1", "greater than or equal to 0"]),
    ("negative_queue_capacity", _set("queue.capacity", -1),
     ["queue.capacity", "-1", "greater than or equal to 0"]),
    ("zero_service_level", _set("kpis.service_levels", [20, 0]),
     ["kpis.service_levels[1]", "got 0", "greater than 0"]),
    ("skill_unknown_call_type", _set("pools.p1.skills", ["a", "b", "zz"]),
     ["pools.p1.skills[2]", "'zz'", "allowed: a, b"]),
    ("staffing_does_not_cover_horizon",
     _set("pools.p1.staffing", {"per_interval": [3], "interval": "1h"}),
     ["pools.p1.staffing.per_interval", "1 entries", "2 h", "one day of entries",
      "cover the whole horizon"]),
    ("arrival_profile_does_not_cover_horizon",
     _set("arrivals", {"per_interval": [10], "interval": "1h", "mix": {"a": 0.5, "b": 0.5}}),
     ["arrivals.per_interval", "1 entries", "2 h", "one day of entries"]),
    ("bad_distribution_name", _set("call_types.a.handle_time", {"dist": "normal", "mean": 5}),
     ["call_types.a.handle_time", "'normal'", "exponential", "lognormal", "empirical"]),
    ("distribution_without_dist", _set("call_types.a.handle_time", {"mean": 5}),
     ["call_types.a.handle_time", "dist", "exponential"]),
    ("bad_duration_string", _set("call_types.a.handle_time.mean", "5 parsecs"),
     ["call_types.a.handle_time.mean", "'5 parsecs'", "30min"]),
    ("bad_horizon_length", _set("horizon.length", "2 weeks"),
     ["horizon.length", "'2 weeks'", "8h"]),
    ("bad_clock_time", _set("horizon.start", "25:99"),
     ["horizon.start", "'25:99'", "HH:MM"]),
    ("bad_shift_clock", _set("pools.p1.staffing", {"shifts": [
        {"start": "9am", "end": "17:00", "agents": 2}]}),
     ["pools.p1.staffing.shifts[0].start", "'9am'", "HH:MM"]),
    ("interval_not_dividing_day", _set("horizon.interval", "7min"),
     ["horizon.interval", "420", "divide a day", "15min"]),
    ("warmup_longer_than_length", _set("horizon.warmup", "3h"),
     ["horizon", "warmup", "10800", "shorter than length"]),
    ("uniform_high_below_low", _set("call_types.a.handle_time",
                                    {"dist": "uniform", "low": 10, "high": 5}),
     ["call_types.a.handle_time", "high (5", "low (10", "must be >="]),
    ("lognormal_without_cv", _set("call_types.a.handle_time", {"dist": "lognormal", "mean": 5}),
     ["call_types.a.handle_time.cv", "required"]),
]


@pytest.mark.parametrize(("case", "mutate", "needles"), BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_bad_input_raises_config_error_naming_file_path_value_allowed(
    tmp_path: Path, case: str, mutate: Callable[[dict[str, Any]], None], needles: list[str]
) -> None:
    data = base()
    mutate(data)
    path = write(tmp_path, data, f"{case}.yaml")
    msg = load_error(path)
    assert str(path) in msg, msg
    for needle in needles:
        assert needle in msg, f"{needle!r} not in message:\n{msg}"


def test_several_problems_are_reported_together(tmp_path: Path) -> None:
    data = base()
    data["arrivals"]["rate"] = -1
    data["horizon"]["lenght"] = 5
    msg = load_error(write(tmp_path, data))
    assert "2 problems" in msg
    assert "arrivals.rate" in msg and "horizon.lenght" in msg


def test_unquoted_clock_time_is_a_clock_time(tmp_path: Path) -> None:
    # YAML 1.1 would read an unquoted 10:00 as the base-60 integer 600; callsim never does
    text = yaml.safe_dump(base(), sort_keys=False).replace(
        "horizon:\n", "horizon:\n  start: 10:00\n", 1)
    assert load_scenario(write(tmp_path, text)).horizon.start == 10 * 3600.0


def test_number_where_a_clock_time_is_expected_is_rejected_with_a_hint(tmp_path: Path) -> None:
    text = yaml.safe_dump(base(), sort_keys=False).replace(
        "horizon:\n", "horizon:\n  start: 600\n", 1)
    msg = load_error(write(tmp_path, text))
    assert "horizon.start" in msg and "600" in msg and "quoted" in msg and "HH:MM" in msg


def test_missing_scenario_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    msg = load_error(path)
    assert "nope.yaml" in msg and "not found" in msg


def test_invalid_yaml_syntax(tmp_path: Path) -> None:
    path = write(tmp_path, "name: [unclosed\n")
    msg = load_error(path)
    assert str(path) in msg and "YAML" in msg


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "- a\n- b\n")
    msg = load_error(path)
    assert str(path) in msg and "mapping" in msg and "list" in msg




def test_non_utf8_scenario_file_raises_config_error(tmp_path: Path) -> None:
    path = tmp_path / "korean.yaml"
    text = "# 서울 120 다산콜센터\n" + yaml.safe_dump(base(), sort_keys=False)
    path.write_bytes(text.encode("cp949"))
    msg = load_error(path)
    assert str(path) in msg and "UTF-8" in msg


def test_non_utf8_data_file_raises_config_error(tmp_path: Path) -> None:
    (tmp_path / "h.csv").write_bytes("처리시간\n10\n20\n".encode("cp949"))
    data = base()
    data["call_types"]["a"]["handle_time"] = {"dist": "empirical", "file": "h.csv"}
    path = write(tmp_path, data)
    with pytest.raises(ConfigError) as info:
        callsim.simulate(load_scenario(path))
    assert "call_types.a.handle_time" in str(info.value) and "h.csv" in str(info.value)


def test_missing_required_section(tmp_path: Path) -> None:
    data = base()
    del data["arrivals"]
    msg = load_error(write(tmp_path, data))
    assert "arrivals" in msg and "required" in msg


def test_empirical_file_missing_is_caught_by_load_scenario(tmp_path: Path) -> None:
    data = base()
    _empirical_missing(data)
    path = write(tmp_path, data)
    msg = load_error(path)
    assert str(path) in msg
    assert "call_types.a.handle_time" in msg
    assert str(tmp_path / "nofile.csv") in msg
    assert "not found" in msg


def test_arrival_csv_missing_raises_config_error_on_load(tmp_path: Path) -> None:
    data = base()
    data["arrivals"] = {"csv": {"path": "counts.csv"}, "mix": {"a": 0.5, "b": 0.5}}
    with pytest.raises(ConfigError) as info:
        load_scenario(write(tmp_path, data))
    assert "arrivals.csv" in str(info.value) and "counts.csv" in str(info.value)


@pytest.mark.parametrize(("content", "needles"), [
    ("10\n20\n-5\n", ["line 3", "-5", ">= 0"]),
    ("10\nabc\n", ["line 2", "abc", "not a number"]),
    ("x,y\n1,2\n", ["columns x, y", "column"]),
    ("", ["empty"]),
])
def test_bad_empirical_file_content(tmp_path: Path, content: str, needles: list[str]) -> None:
    (tmp_path / "h.csv").write_text(content, encoding="utf-8")
    data = base()
    data["call_types"]["a"]["handle_time"] = {"dist": "empirical", "file": "h.csv"}
    path = write(tmp_path, data)
    with pytest.raises(ConfigError) as info:  # when loaded or, at the latest, when compiled
        callsim.simulate(load_scenario(path))
    msg = str(info.value)
    assert "call_types.a.handle_time" in msg and "h.csv" in msg
    for needle in needles:
        assert needle in msg, msg


def test_empirical_column_must_exist(tmp_path: Path) -> None:
    (tmp_path / "h.csv").write_text("x,y\n1,2\n", encoding="utf-8")
    data = base()
    data["call_types"]["a"]["handle_time"] = {"dist": "empirical", "file": "h.csv",
                                              "column": "z"}
    path = write(tmp_path, data)
    with pytest.raises(ConfigError, match=r"no column 'z'; allowed: x, y"):
        callsim.simulate(load_scenario(path))


def test_empirical_needs_exactly_one_source(tmp_path: Path) -> None:
    data = base()
    data["call_types"]["a"]["handle_time"] = {"dist": "empirical"}
    assert "exactly one of 'values' or 'file'" in load_error(write(tmp_path, data))
    data["call_types"]["a"]["handle_time"] = {"dist": "empirical", "values": []}
    assert "empty" in load_error(write(tmp_path, data, "b.yaml"))


# ---------------------------------------------------------------------- units helpers


@pytest.mark.parametrize(("text", "seconds"), [
    ("90", 90.0), ("90s", 90.0), ("1.5min", 90.0), ("30min", 1800.0), ("8h", 28800.0),
    ("1d", 86400.0), ("2 days", 172800.0), (45, 45), (2.5, 2.5),
])
def test_parse_duration(text: Any, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "abc", "5 parsecs", "-3s", "1h30"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


@pytest.mark.parametrize(("text", "seconds"), [
    ("00:00", 0.0), ("09:30", 34200.0), ("9:05", 32700.0), ("25:00", 90000.0),
])
def test_parse_clock(text: str, seconds: float) -> None:
    assert parse_clock(text) == seconds


@pytest.mark.parametrize("text", ["9am", "12:60", "49:00", "12", "12:5"])
def test_parse_clock_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="not a clock time"):
        parse_clock(text)


# ----------------------------------------------------------------------- safe loading


def test_python_object_tag_is_rejected_not_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = yaml.safe_dump(base(), sort_keys=False) + (
        f"description: !!python/object/apply:builtins.open [{str(marker)!r}, 'w']\n"
    )
    path = write(tmp_path, text)
    msg = load_error(path)
    assert str(path) in msg
    assert "python/object" in msg
    assert not marker.exists(), "a YAML tag was executed"


def test_python_object_tag_for_a_class_is_rejected(tmp_path: Path) -> None:
    text = yaml.safe_dump(base(), sort_keys=False) + (
        "queue: !!python/object:callsim.config.QueueCfg {capacity: 3}\n"
    )
    msg = load_error(write(tmp_path, text))
    assert "python/object" in msg


# ---------------------------------------------------------------------------- extends


def test_extends_merges_base_and_variant(tmp_path: Path) -> None:
    write(tmp_path, base(), "base.yaml")
    variant = {
        "extends": "../base.yaml",
        "name": "variant",
        "horizon": {"interval": "60min"},            # nested key: siblings kept
        "pools": {"p1": {"staffing": {"agents": 9}}},  # shorthand replaced by a mapping
        "kpis": {"service_levels": [10, 30]},
    }
    sc = load_scenario(write(tmp_path, variant, "variants/v.yaml"))
    assert sc.name == "variant"
    assert sc.horizon.interval == 3600.0
    assert sc.horizon.length == 7200.0  # from the base
    assert sc.pools["p1"].staffing.agents == 9
    assert sc.pools["p1"].skills == ["a", "b"]  # from the base
    assert list(sc.call_types) == ["a", "b"]
    assert sc.kpis.service_levels == [10.0, 30.0]


def test_extends_chain_and_list_replacement(tmp_path: Path) -> None:
    data = base()
    data["kpis"] = {"service_levels": [20, 60, 120]}
    write(tmp_path, data, "base.yaml")
    write(tmp_path, {"extends": "base.yaml", "arrivals": {"rate": 30}}, "mid.yaml")
    top = write(tmp_path, {"extends": "mid.yaml", "kpis": {"service_levels": [15]}}, "top.yaml")
    sc = load_scenario(top)
    assert sc.arrivals.rate == 30.0
    assert sc.arrivals.mix == {"a": 0.5, "b": 0.5}
    assert sc.kpis.service_levels == [15.0]  # lists are replaced, not merged


def test_extends_missing_base(tmp_path: Path) -> None:
    path = write(tmp_path, {"extends": "missing_base.yaml", "name": "x"})
    msg = load_error(path)
    assert "missing_base.yaml" in msg and "not found" in msg


def test_extends_loop(tmp_path: Path) -> None:
    write(tmp_path, {"extends": "b.yaml"}, "a.yaml")
    write(tmp_path, {"extends": "a.yaml"}, "b.yaml")
    assert "loops back" in load_error(tmp_path / "a.yaml")


def test_variant_errors_are_reported_against_the_variant(tmp_path: Path) -> None:
    write(tmp_path, base(), "base.yaml")
    path = write(tmp_path, {"extends": "base.yaml", "arrivals": {"rate": -2}}, "v.yaml")
    msg = load_error(path)
    assert str(path) in msg and "arrivals.rate" in msg and "-2" in msg


def test_deep_merge_does_not_mutate_inputs() -> None:
    a = {"x": {"y": 1, "z": [1, 2]}, "k": 1}
    b = {"x": {"y": 2}, "n": {"m": 3}}
    a0, b0 = copy.deepcopy(a), copy.deepcopy(b)
    out = deep_merge(a, b)
    assert out == {"x": {"y": 2, "z": [1, 2]}, "k": 1, "n": {"m": 3}}
    assert a == a0 and b == b0
    out["x"]["z"].append(3)
    assert a["x"]["z"] == [1, 2]


# -------------------------------------------------------------------------- overrides


def test_overrides_mapping_form(tmp_path: Path) -> None:
    path = write(tmp_path, base())
    sc = load_scenario(path, overrides={"pools.p1.staffing.agents": 7, "arrivals.rate": 120})
    assert sc.pools["p1"].staffing.agents == 7
    assert sc.arrivals.rate == 120.0
    # the file itself is untouched
    assert load_scenario(path).pools["p1"].staffing.agents == 3


def test_overrides_list_form_values_are_yaml(tmp_path: Path) -> None:
    path = write(tmp_path, base())
    sc = load_scenario(path, [
        "pools.p1.staffing.agents=5",
        "kpis.service_levels=[10, 30]",
        "queue.capacity=4",
        "horizon.length=3h",
        "call_types.a.patience=null",
    ])
    assert sc.pools["p1"].staffing.agents == 5
    assert sc.kpis.service_levels == [10.0, 30.0]
    assert sc.queue.capacity == 4
    assert sc.horizon.length == 10800.0
    assert sc.call_types["a"].patience is None


def test_override_replaces_scalar_shorthand(tmp_path: Path) -> None:
    path = write(tmp_path, base())  # staffing: 3 and handle_time: 50 are shorthands
    sc = load_scenario(path, {
        "pools.p1.staffing.agents": 8,
        "call_types.b.handle_time.dist": "exponential",
        "call_types.b.handle_time.mean": 30,
    })
    assert sc.pools["p1"].staffing.agents == 8
    assert sc.call_types["b"].handle_time.dist == "exponential"
    assert sc.call_types["b"].handle_time.mean == 30.0  # type: ignore[union-attr]


def test_override_list_index(tmp_path: Path) -> None:
    sc = load_scenario(write(tmp_path, base()), ["pools.p1.skills.0=b", "pools.p1.skills.1=a"])
    assert sc.pools["p1"].skills == ["b", "a"]


def test_override_inside_a_list_of_shifts(tmp_path: Path) -> None:
    data = base()
    data["pools"]["p1"]["staffing"] = {"shifts": [
        {"start": "00:00", "end": "12:00", "agents": 2},
        {"start": "12:00", "end": "24:00", "agents": 3}]}
    sc = load_scenario(write(tmp_path, data), ["pools.p1.staffing.shifts.1.agents=9",
                                               "pools.p1.staffing.shifts.0.end=13:00"])
    shifts = sc.pools["p1"].staffing.shifts
    assert shifts is not None
    assert [s.agents for s in shifts] == [2, 9]
    assert shifts[0].end == 13 * 3600.0


def test_override_clock_time_without_quotes(tmp_path: Path) -> None:
    # YAML 1.1 would read an unquoted 10:00 as the base-60 integer 600
    sc = load_scenario(write(tmp_path, base()), ["horizon.start=10:00"])
    assert sc.horizon.start == 10 * 3600.0
    sc = load_scenario(write(tmp_path, base()), ["horizon.start=09:30"])
    assert sc.horizon.start == 9.5 * 3600.0


def test_override_applies_after_extends(tmp_path: Path) -> None:
    write(tmp_path, base(), "base.yaml")
    path = write(tmp_path, {"extends": "base.yaml", "arrivals": {"rate": 30}}, "v.yaml")
    sc = load_scenario(path, ["arrivals.rate=45"])
    assert sc.arrivals.rate == 45.0


@pytest.mark.parametrize(("override", "needles"), [
    (["pools.p1.staffing.agents=-1"], ["pools.p1.staffing.agents", "-1", "greater than or"]),
    (["pools.p1.staffing.agnets=3"], ["'agnets'", "allowed keys", "agents"]),
    (["pools.p1.staffing.agents=abc"], ["pools.p1.staffing.agents", "'abc'", "valid number"]),
    (["garbage"], ["'garbage'", "path=value"]),
    (["=3"], ["path before '=' is empty"]),
    (["pools.p1.skills.5=a"], ["'5'", "index"]),
    (["arrivals.rate=[1"], ["arrivals.rate", "'[1'", "missing ']'"]),
])
def test_bad_overrides(tmp_path: Path, override: list[str], needles: list[str]) -> None:
    msg = load_error(write(tmp_path, base()), override)
    for needle in needles:
        assert needle in msg, msg


def test_parse_override() -> None:
    assert parse_override("a.b=1.5") == ("a.b", 1.5)
    assert parse_override("a.b=[1, 2]") == ("a.b", [1, 2])
    assert parse_override("a.b = x=y") == ("a.b", "x=y")
    assert parse_override("a=null") == ("a", None)


def test_apply_overrides_copies() -> None:
    data = base()
    out = apply_overrides(data, {"arrivals.rate": 5})
    assert out["arrivals"]["rate"] == 5
    assert data["arrivals"]["rate"] == 60


def test_scenario_from_dict_with_overrides() -> None:
    sc = scenario_from_dict(base(), overrides=["pools.p1.staffing.agents=4"])
    assert sc.pools["p1"].staffing.agents == 4
    assert sc.source == "<dict>"


def test_with_overrides_none_returns_same_object(tmp_path: Path) -> None:
    sc = load_scenario(write(tmp_path, base()))
    assert with_overrides(sc, None) is sc
    assert with_overrides(sc, {}) is sc


@pytest.mark.parametrize("form", ["mapping", "list"])
def test_with_overrides_applies_and_copies(tmp_path: Path, form: str) -> None:
    sc = load_scenario(write(tmp_path, base()))
    ov: Any = ({"pools.p1.staffing.agents": 7} if form == "mapping"
               else ["pools.p1.staffing.agents=7"])
    sc2 = with_overrides(sc, ov)
    assert sc2.pools["p1"].staffing.agents == 7
    assert sc.pools["p1"].staffing.agents == 3
    assert sc2.call_types == sc.call_types
    assert sc2.source == sc.source


def test_with_overrides_on_erlang_scenario() -> None:
    sc = callsim.erlang_scenario(100, 180, 5)
    sc2 = with_overrides(sc, {"pools.agents.staffing.agents": 6})
    assert sc2.pools["agents"].staffing.agents == 6


def test_with_overrides_rejects_bad_values(tmp_path: Path) -> None:
    sc = load_scenario(write(tmp_path, base()))
    with pytest.raises(ConfigError) as info:
        with_overrides(sc, {"pools.p1.staffing.agents": -1})
    assert "pools.p1.staffing.agents" in str(info.value)
