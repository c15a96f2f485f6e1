"""What a plan writes: its tables, ``plan.json``, ``plan.yaml`` and the figure.

Owns the tables of a :class:`~callsim.plan.api.PlanResult` (requirements per pool and
slot, verification per slot and target), the JSON summary, the scenario file that
``extends:`` the input with the new staffing, and :func:`write_plan`, which writes them
all to a directory. Imports the planner's result types and :mod:`callsim.config`; it must not run
simulations.

Files: ``plan.yaml`` (ready for ``callsim run`` / ``callsim compare``),
``requirements.csv``, ``verification.csv``, ``plan.json`` and ``plan.png``.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import yaml

from callsim.config import load_scenario
from callsim.plan.search import group_checks
from callsim.plan.targets import DAY_ONLY

if TYPE_CHECKING:
    from callsim.plan.api import PlanResult


def _clean(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _clean(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_clean(x) for x in v]
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def requirements_table(res: PlanResult) -> pd.DataFrame:
    """One row per planned pool and slot (see :meth:`PlanResult.requirements`)."""
    su = res.setup
    rows = []
    for p in su.planned:
        for j in range(su.n_slots):
            row: dict[str, Any] = {
                "pool": p, "slot": j, "clock": su.clock(j), "judged": bool(su.judged[j]),
                "today": float(su.today[p][j]),
                "erlang_a_present": math.nan, "erlang_a": math.nan, "simulated": math.nan,
            }
            if res.search is not None:
                row["erlang_a_present"] = float(res.search.erlang_present[p][j])
                row["erlang_a"] = int(res.search.erlang[p][j])
                row["simulated"] = int(res.search.required[p][j])
            if res.schedule is not None:
                row["required"] = int(res.schedule.required[p][j])
            row["scheduled"] = float(res.scheduled[p][j])
            row["present"] = float(res.scheduled[p][j]) * su.presence[p]
            rows.append(row)
    return pd.DataFrame(rows)


def _checks(res: PlanResult) -> list[tuple[str, str, str, tuple[str, ...], float]]:
    """(group, kpi, target label, call types, target value) to report per slot."""
    su = res.setup
    out: list[tuple[str, str, str, tuple[str, ...], float]] = []
    if res.targets:
        for gname, cs in group_checks(su, res.targets).items():
            for c in cs:
                out.append((gname, c.target.kpi, c.target.label, c.types, c.target.value))
    if res.redeploy is not None:
        obj = res.redeploy.objective
        # a whole-day objective (answered calls per caller) is shown per slot as the
        # answer rate of the slot's calls
        kpi = "answer_rate" if obj.kpi in DAY_ONLY else obj.kpi
        for g in su.groups:
            if obj.call_type is None or obj.call_type in g.types:
                types = g.types if obj.call_type is None else (obj.call_type,)
                if not any(x[0] == g.name and x[1] == kpi and x[3] == types for x in out):
                    out.append((g.name, kpi, "", types, math.nan))
    return out


def verification_table(res: PlanResult) -> pd.DataFrame:
    """Per judged slot and check: the KPI under the plan on the verification seed."""
    su = res.setup
    ev = res.evaluation
    today = res.redeploy.today if res.redeploy is not None else None
    rows = []
    for gname, kpi, label, types, value in _checks(res):
        s = ev.kpi(kpi, types)
        t = today.kpi(kpi, types) if today is not None else None
        target = next((x for x in res.targets if x.label == label), None)
        for j in range(su.n_slots):
            if not su.judged[j]:
                continue
            row: dict[str, Any] = {
                "slot": j, "clock": su.clock(j), "group": gname, "call_types": "+".join(types),
                "kpi": kpi, "target": label, "target_value": value,
                "mean": float(s.mean[j]), "ci_low": float(s.ci_low[j]),
                "ci_high": float(s.ci_high[j]), "offered": float(s.offered[j]),
            }
            if target is not None:
                row["met"] = bool(math.isnan(s.mean[j])
                                  or target.meets(float(s.ci_low[j]), float(s.ci_high[j])))
            if t is not None:
                row.update({"today_mean": float(t.mean[j]), "today_ci_low": float(t.ci_low[j]),
                            "today_ci_high": float(t.ci_high[j])})
            rows.append(row)
    return pd.DataFrame(rows)


def summary_dict(res: PlanResult) -> dict[str, Any]:
    """The ``plan.json`` summary: targets, hours today vs planned, simulations, verdicts."""
    su = res.setup
    out: dict[str, Any] = {
        "scenario": su.scenario.name, "source": su.source, "mode": res.mode,
        "targets": [t.label for t in res.targets], "level": res.level,
        "reps": res.reps, "verify_reps": res.verify_reps, "seed": res.seed,
        "verify_seed": res.verify_seed, "interval_s": su.slot,
        "window_s": su.scenario.horizon.length - su.scenario.horizon.warmup,
        "replications": res.verify_reps, "pools": su.planned,
        "groups": [{"name": g.name, "pools": list(g.pools), "planned": list(g.planned),
                    "call_types": list(g.types)} for g in su.groups],
        "presence": {p: su.presence[p] for p in su.planned},
        "agent_hours": res.agent_hours(), "simulations": res.simulations,
        "batches": res.batches, "seconds": round(res.seconds, 2), "caps": res.info.get("caps"),
    }
    if res.mode == "requirements":
        assert res.search is not None and res.schedule is not None
        out["verified"] = res.verified
        ver = verification_table(res)
        verdicts = []
        for t in res.targets:
            rows = ver[ver["target"] == t.label]
            verdicts.append({"target": t.label, "slots": len(rows),
                             "met": int(rows["met"].sum()) if len(rows) else 0})
        out["verdicts"] = verdicts
        out["misses"] = [{"group": m.group, "clock": m.clock, "target": m.target,
                          "best": m.mean, "ci_low": m.ci_low, "ci_high": m.ci_high,
                          "agents": m.agents, "message": m.message()} for m in res.misses]
        out["search"] = {"rounds": res.search.rounds,
                         "unmet": [m.message() for m in res.search.misses]}
        out["verification_rounds"] = res.schedule.rounds
        if res.schedule.shifts:
            out["shifts"] = {p: [{"template": pat.template, "start": pat.label.split()[1]
                                  .split("+")[0], "hours": pat.length / 3600,
                                  "paid_hours": pat.hours, "agents": n, "cost": pat.cost * n}
                                 for pat, n in v] for p, v in res.schedule.shifts.items()}
            out["cost"] = float(sum(s.cost for s in res.schedule.solutions.values()))
            out["milp_seconds"] = float(sum(s.seconds for s in
                                            res.schedule.solutions.values()))
    else:
        assert res.redeploy is not None
        red = res.redeploy
        obj = res.info.get("objective") or red.objective.kpi
        diffs = red.comparison.differences()
        keep = ["answer_rate", "answered", "offered", "blocked", "abandoned", "asa",
                "sl_20", "caller_answer_rate", "occupancy", red.objective.kpi]
        out["redeploy"] = {
            "objective": obj, "budget_hours": red.budget,
            "gain": red.gain(), "rounds": red.rounds,
            "differences": [{k: _clean(v) for k, v in r.items()}
                            for r in diffs[diffs["kpi"].isin(keep)].to_dict("records")],
        }
    return _clean(out)


def plan_yaml(res: PlanResult, out_dir: Path) -> str:
    """The text of ``plan.yaml``: the input scenario (``extends:``) with the new staffing.

    When the input was not loaded from a file as it is (built in memory, or with
    overrides), the whole scenario is written instead.
    """
    su = res.setup
    original = su.extra["input"]
    header = [f"# Staffing plan by callsim staff ({res.mode}) for {original.name}",
              f"# targets: {', '.join(t.label for t in res.targets) or '-'}; "
              f"{res.level:.0%} confidence; verified on seed {res.verify_seed} with "
              f"{res.verify_reps} replications: {'yes' if res.verified else 'no'}"
              if res.mode == "requirements" else
              f"# redeploy of {sum(res.redeploy.budget.values()) if res.redeploy else 0:g} "
              f"agent-hours for {res.info.get('objective')}"]
    raw_pools = original.raw.get("pools", {})
    pools: dict[str, Any] = {}
    for p, st in res.staffing.items():
        base = raw_pools.get(p, {}).get("staffing")
        entry = dict(st)
        if isinstance(base, dict):
            for k in base:
                if k not in entry:
                    entry[k] = None  # `extends:` merges; null removes the base's form
        pools[p] = {"staffing": entry}
    same_file = False
    if su.source is not None:
        try:
            same_file = load_scenario(su.source).raw == original.raw
        except Exception:
            same_file = False
    if same_file:
        src = Path(su.source or "").resolve()
        try:
            ref = os.path.relpath(src, Path(out_dir).resolve())
        except ValueError:  # another drive
            ref = str(src)
        doc: dict[str, Any] = {"extends": ref, "name": f"{original.name}-plan",
                               "description": f"staffing plan for {original.name}",
                               "pools": pools}
    else:
        doc = original.raw
        doc["name"] = f"{original.name}-plan"
        for p, v in pools.items():
            doc.setdefault("pools", {}).setdefault(p, {})["staffing"] = {
                k: x for k, x in v["staffing"].items() if x is not None}
    body = yaml.safe_dump(_clean(doc), sort_keys=False, default_flow_style=None, width=100)
    return "\n".join(header) + "\n" + body


def write_plan(res: PlanResult, out: str | Path, figure: bool = True) -> list[Path]:
    """Write ``plan.yaml``, ``requirements.csv``, ``verification.csv``, ``plan.json`` and
    (with *figure*) ``plan.png`` to *out*; returns the paths."""
    d = Path(out)
    d.mkdir(parents=True, exist_ok=True)
    paths = [d / "plan.yaml", d / "requirements.csv", d / "verification.csv", d / "plan.json"]
    paths[0].write_text(plan_yaml(res, d), encoding="utf-8")
    requirements_table(res).to_csv(paths[1], index=False)
    verification_table(res).to_csv(paths[2], index=False)
    paths[3].write_text(json.dumps(summary_dict(res), indent=2), encoding="utf-8")
    if figure:
        from callsim.plan.figure import plan_figure

        plan_figure(res).savefig(d / "plan.png", dpi=100)
        paths.append(d / "plan.png")
    return paths
