"""The recorded callers of a log through a design: the scenarios of ``callsim replay``.

Owns :func:`replay_scenarios`: from a log, the days to replay, a fitted *base* scenario
and a *design* (a scenario file, usually one that ``extends:`` the base and changes
something), the two scenarios to compare, each with the log's recorded arrivals
(``arrivals: {trace: ...}``, written to a CSV) over as many simulated days as were
replayed. Imports :mod:`callsim.config`, :mod:`callsim.logs` and this package's
:mod:`~callsim.fit.trace` and :mod:`~callsim.fit.classes`; it builds scenarios and never
runs them (the caller compares them, e.g. :func:`callsim.experiment.compare`).

How a design is given: a scenario file. Write it as a variant of the fitted base::

    extends: bank.yaml                 # the scenario callsim fit wrote
    pools:
      agents:
        staffing: {per_interval: [...]}   # e.g. 3 more agents at 10:00

Without ``--base``, the base is the file the design extends (or, when it extends
nothing, the log is fitted with the default options). Whatever ``arrivals`` the base
and the design hold is replaced by the recorded calls (a design that changes
``arrivals`` is refused: a replay keeps the callers), and ``horizon.length`` becomes
the number of replayed days; everything else (staffing, menu, routing, handle time,
patience) is the design's own. Both see the same callers, with the same recorded talk
times (``recorded_handle``), and draw patience from the same streams, so their
differences are paired.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from callsim.config import Scenario, load_scenario, read_yaml, scenario_from_dict
from callsim.errors import ConfigError
from callsim.fit.classes import priority_classes
from callsim.fit.trace import write_trace
from callsim.logs import CallLog


@dataclass
class Replay:
    """The two scenarios of a replay and what they replay."""

    base: Scenario
    design: Scenario
    days: list[str]
    """The replayed days (ISO dates), simulated days 0, 1, ... in this order."""
    calls: int
    """Recorded calls replayed (callers who reached a queue)."""
    trace: Path
    """The trace CSV both scenarios read."""
    base_source: str
    """The fitted base scenario (a file, or ``"<fitted>"``)."""
    priority: bool
    """Whether the trace names priority classes (the base was fitted with them)."""


def extended_file(design: Path) -> Path | None:
    """The file *design* ``extends:`` (resolved), or None."""
    try:
        raw = yaml.safe_load(design.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None  # read_yaml gives the proper message later
    ext = raw.get("extends") if isinstance(raw, dict) else None
    return (design.parent / str(ext)).resolve() if isinstance(ext, str) else None


def _with_trace(data: dict[str, Any], section: dict[str, Any], n_days: int) -> dict[str, Any]:
    out = copy.deepcopy(data)
    out.pop("extends", None)
    out["arrivals"] = section
    horizon = dict(out.get("horizon") or {})
    horizon["length"] = f"{n_days}d"
    horizon.pop("warmup", None)
    out["horizon"] = horizon
    return out


def replay_scenarios(log: CallLog, design: str | Path, out_dir: str | Path,
                     base: str | Path | None = None, days: Any = None, dates: Any = None,
                     recorded_handle: bool = True, seed: int = 0,
                     fitted: dict[str, Any] | None = None) -> Replay:
    """Build the base and design scenarios of a replay (see the module docstring).

    Parameters
    ----------
    log
        The call log.
    design
        The design scenario file.
    out_dir
        Folder for ``trace.csv`` (created).
    base
        The fitted base scenario file; default: the file *design* extends, else
        *fitted* (a scenario mapping, e.g. ``fit_log(log).scenario_dict()``).
    days, dates
        Weekdays or exact dates of the log to replay (default: every day).
    recorded_handle
        Answered callers keep their recorded talk time (else every talk time is drawn).
    seed
        Seed of the priority classes (as the fit used).

    Raises
    ------
    ConfigError
        A design that changes ``arrivals``, call types the trace needs that a scenario
        lacks, no calls on the selected days, or a bad scenario file.
    """
    design_p = Path(design)
    base_p = Path(base) if base is not None else extended_file(design_p)
    if base_p is not None:
        base_sc = load_scenario(base_p)
        base_data, base_source = base_sc.raw, str(base_p)
    elif fitted is not None:
        base_data, base_source = copy.deepcopy(fitted), "<fitted>"
    else:
        raise ConfigError(f"{design_p}: give --base FITTED.yaml (from callsim fit) or make "
                          "the design extend it (extends: FITTED.yaml)")
    design_raw = read_yaml(design_p)
    extends_base = base_p is not None and extended_file(design_p) == base_p.resolve()
    if extends_base and design_raw.get("arrivals") != base_data.get("arrivals"):
        raise ConfigError(f"{design_p}: arrivals: a replay keeps the recorded callers, so a "
                          "design may not change arrivals (change staffing, the menu, "
                          "routing, handle time or patience instead)")
    types = set(base_data.get("call_types") or {})
    log_types = set(log.calls["call_type"].astype(str).unique())
    priority = False
    if not log_types <= types:
        classed, _ = priority_classes(log, seed=seed)
        if set(classed.calls["call_type"].astype(str).unique()) <= types:
            priority = True
        else:
            missing = sorted(log_types - types)
            raise ConfigError(f"{base_source}: call_types: the log has call types "
                              f"{', '.join(missing)} that the base scenario lacks; fit the "
                              "base from this log (callsim fit)")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    trace_path = (out / "trace.csv").resolve()
    section = write_trace(log, trace_path, days=days, dates=dates,
                          with_handle=recorded_handle, priority=priority, seed=seed)
    section["trace"]["path"] = str(trace_path)
    kept = pd.read_csv(trace_path, usecols=["day"], dtype=str)["day"]
    replayed = sorted(kept.unique().tolist())
    n_days = len(replayed)
    base_final = scenario_from_dict(_with_trace(base_data, section, n_days),
                                    source=base_source if base_p is not None
                                    else str(out / "base.yaml"))
    design_final = scenario_from_dict(_with_trace(design_raw, section, n_days),
                                      source=str(design_p))
    return Replay(base_final, design_final, [str(d) for d in replayed], int(kept.size),
                  trace_path, base_source, priority)
