"""Ranking and selection: the last step of every search.

Owns :func:`rank_and_select`: the reference (the input scenario) and the search's
finalists are run again with more replications, on the user's seed (fresh
replications, independent of those the search chose on), all with common random
numbers; each is scored by its mean objective, checked against the constraints, and
compared with the reference and with the selected best by paired confidence
intervals. Imports :mod:`callsim.search.evaluate` and :mod:`callsim.search.kpis`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from callsim.config import Scenario
from callsim.search.evaluate import Counter, Execution, evaluate, mean_ci, paired
from callsim.search.kpis import Constraint, KpiExpr, Objective, mean_of

#: KPIs reported for every finalist besides the objective and constraints (if present).
REPORT_KPIS = ("answer_rate", "caller_answer_rate", "asa", "sl_20", "ivr_time",
               "ivr_hangups", "misroutes", "answered", "offered", "occupancy")


@dataclass
class Selection:
    """Finalists re-run with more replications and ranked.

    Attributes
    ----------
    reference
        Name of the reference design (the input scenario).
    best
        Name of the selected design (may be the reference: no change found better).
    table
        One row per design, best first: ``design``, ``objective`` mean and
        ``objective_hw``, paired difference from the reference (``vs_reference``,
        ``vs_reference_hw``, ``vs_reference_significant``) and from the best
        (``vs_best``, ``vs_best_hw``, ``tied_with_best``: the CI includes 0), and
        ``feasible`` (every constraint met by the mean).
    kpis
        Long table: design × KPI with ``mean``, ``half_width`` and the paired
        difference from the reference with its CI.
    """

    reference: str
    best: str
    objective: Objective
    constraints: list[Constraint]
    reps: int
    seed: int
    table: pd.DataFrame
    kpis: pd.DataFrame
    replications: dict[str, pd.DataFrame] = field(repr=False, default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (NaN as null)."""
        return {
            "reference": self.reference, "best": self.best, "objective": str(self.objective),
            "constraints": [str(c) for c in self.constraints], "replications": self.reps,
            "seed": self.seed, "ranking": _records(self.table), "kpis": _records(self.kpis),
        }


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for row in df.to_dict(orient="records"):
        out.append({str(k): (None if isinstance(v, float) and not math.isfinite(v) else v)
                    for k, v in row.items()})
    return out


def rank_and_select(reference: tuple[str, Scenario], finalists: Mapping[str, Scenario],
                    objective: Objective, constraints: Sequence[Constraint], *,
                    reps: int, seed: int, execution: Execution,
                    counter: Counter | None = None,
                    report: Sequence[str] = REPORT_KPIS, level: float = 0.95) -> Selection:
    """Re-run *reference* and *finalists* with *reps* replications of *seed*; rank them.

    The best is the feasible design (every constraint met by its mean) with the best
    mean objective; without a feasible one, the one closest to feasibility. The
    reference competes too, so "keep what you have" can win.
    """
    ref_name, ref_sc = reference
    designs = {ref_name: ref_sc, **{k: v for k, v in finalists.items() if k != ref_name}}
    reps_of = evaluate(designs, reps, seed, execution, counter)
    ref = reps_of[ref_name]

    def score(name: str) -> tuple[float, float]:
        r = reps_of[name]
        viol = sum(c.relative_violation(mean_of(c.kpi, r)) for c in constraints)
        return (viol, objective.loss(mean_of(objective.kpi, r)))

    scores = {n: score(n) for n in designs}
    order = sorted(designs, key=lambda n: scores[n])
    best = order[0]
    rows = []
    for name in order:
        r = reps_of[name]
        obj = objective.kpi.values(r)
        m, hw = mean_ci(obj, level)
        vs_ref = paired(obj, objective.kpi.values(ref), level)
        vs_best = paired(obj, objective.kpi.values(reps_of[best]), level)
        row: dict[str, Any] = {
            "design": name, "objective": m, "objective_hw": hw,
            "vs_reference": vs_ref.mean, "vs_reference_hw": vs_ref.half_width,
            "vs_reference_significant": vs_ref.significant,
            "vs_best": vs_best.mean, "vs_best_hw": vs_best.half_width,
            "tied_with_best": not vs_best.significant,
            "feasible": scores[name][0] == 0.0,
        }
        for c in constraints:
            row[str(c.kpi)] = mean_of(c.kpi, r)
        rows.append(row)
    table = pd.DataFrame(rows)
    exprs = [objective.kpi] + [c.kpi for c in constraints]
    exprs += [KpiExpr(k) for k in report if k in ref.columns]
    exprs = list({str(e): e for e in exprs}.values())
    krows = []
    for name in order:
        r = reps_of[name]
        for e in exprs:
            m, hw = mean_ci(e.values(r), level)
            d = paired(e.values(r), e.values(ref), level)
            krows.append({"design": name, "kpi": str(e), "mean": m, "half_width": hw,
                          "difference": d.mean, "difference_hw": d.half_width,
                          "ci_low": d.low, "ci_high": d.high, "significant": d.significant})
    kpis = pd.DataFrame(krows)
    return Selection(reference=ref_name, best=best, objective=objective,
                     constraints=list(constraints), reps=reps, seed=seed, table=table,
                     kpis=kpis, replications=reps_of)
