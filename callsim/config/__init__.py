"""Scenario files: the YAML schema, strict loading, overrides and clean error messages.

The description of a call centre as validated, immutable pydantic models. Rooms:
``units`` (durations, clocks, no-boolean numbers, the strict base), ``distributions``
(the distribution registry: config and builder in one class), ``menu`` (the IVR
section), ``channels`` (chatbot, text...), ``hours`` (open hours, holidays),
``schema`` (the scenario models), ``checks`` (cross-section checks, run by
``Scenario``'s model validator), ``yamlfile`` (strict YAML, limits, ``extends:``),
``values`` (``--set`` values), ``messages`` (pydantic errors as lines), ``loading``
(load, validate, overrides), ``builders`` (ready-made scenarios). Imports only
:mod:`callsim.errors` and :mod:`callsim.distributions` from callsim; never the compiled
scenario or the engine.
"""

from callsim.config.channels import ChannelCfg, FailureCfg
from callsim.config.checks import cross_check, cross_problems
from callsim.config.distributions import (
    DIST_NAMES,
    DISTRIBUTIONS,
    DeterministicCfg,
    Dist,
    DistCfg,
    DistributionCfg,
    EmpiricalCfg,
    ExponentialCfg,
    GammaCfg,
    LognormalCfg,
    UniformCfg,
    WeibullCfg,
    register,
)
from callsim.config.hours import AfterHoursCfg, HoursCfg, OpenHoursCfg
from callsim.config.loading import (
    apply_overrides,
    load_scenario,
    parse_override,
    scenario_from_dict,
    set_path,
    validate,
    with_overrides,
)
from callsim.config.menu import IvrCfg, MenuNode, MenuOption, MisrouteCfg
from callsim.config.messages import format_validation_error
from callsim.config.schema import (
    Arrivals,
    CallbackCfg,
    CallTypeCfg,
    CsvProfile,
    Horizon,
    KpiCfg,
    PoolCfg,
    QueueCfg,
    RateProfile,
    RedialCfg,
    RouteStep,
    Scenario,
    Shift,
    Staffing,
)
from callsim.config.units import (
    Clock,
    Duration,
    Float,
    Int,
    Name,
    PositiveDuration,
    Probability,
    Strict,
    parse_clock,
    parse_duration,
)
from callsim.config.values import parse_value
from callsim.config.yamlfile import deep_merge, read_yaml

__all__ = [
    "DISTRIBUTIONS",
    "DIST_NAMES",
    "AfterHoursCfg",
    "Arrivals",
    "CallTypeCfg",
    "CallbackCfg",
    "ChannelCfg",
    "Clock",
    "CsvProfile",
    "DeterministicCfg",
    "Dist",
    "DistCfg",
    "DistributionCfg",
    "Duration",
    "EmpiricalCfg",
    "ExponentialCfg",
    "FailureCfg",
    "Float",
    "GammaCfg",
    "Horizon",
    "HoursCfg",
    "Int",
    "IvrCfg",
    "KpiCfg",
    "LognormalCfg",
    "MenuNode",
    "MenuOption",
    "MisrouteCfg",
    "Name",
    "OpenHoursCfg",
    "PoolCfg",
    "PositiveDuration",
    "Probability",
    "QueueCfg",
    "RateProfile",
    "RedialCfg",
    "RouteStep",
    "Scenario",
    "Shift",
    "Staffing",
    "Strict",
    "UniformCfg",
    "WeibullCfg",
    "apply_overrides",
    "cross_check",
    "cross_problems",
    "deep_merge",
    "format_validation_error",
    "load_scenario",
    "parse_clock",
    "parse_duration",
    "parse_override",
    "parse_value",
    "read_yaml",
    "register",
    "scenario_from_dict",
    "set_path",
    "validate",
    "with_overrides",
]
