"""The generic search: best values of free scenario parameters for an objective.

Owns :func:`search` and :class:`SearchResult`: a strategy proposes points of a
:class:`~callsim.search.space.ParameterSpace` in batches; each batch is evaluated with
common random numbers (every candidate on the same seed and replications, through
:func:`~callsim.search.evaluate.evaluate`); candidates that break a constraint are
ranked behind every one that meets them; at the end the best few are re-run with more
replications (:func:`~callsim.search.select.rank_and_select`). Imports the search
package's own modules and :mod:`callsim.config`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from callsim.config import Scenario, load_scenario, with_overrides
from callsim.errors import ConfigError
from callsim.experiment.progress import Progress
from callsim.search.evaluate import (
    Counter,
    Execution,
    evaluate,
    search_seed,
)
from callsim.search.kpis import Constraint, Objective, check_constraints, check_names, mean_of
from callsim.search.select import Selection, rank_and_select
from callsim.search.space import ParameterSpace
from callsim.search.strategies import make_strategy

#: Loss added per unit of relative constraint violation: any feasible point beats any
#: infeasible one of a different violation.
PENALTY = 1e6
REFERENCE = "input"


@dataclass
class Trial:
    """One evaluated candidate of the search."""

    number: int
    point: dict[str, Any]
    objective: float
    constraints: dict[str, float]
    violation: float
    loss: float

    @property
    def feasible(self) -> bool:
        """Every constraint met by the mean."""
        return self.violation == 0.0


@dataclass
class SearchResult:
    """A finished search: every trial, the finalists' ranking and the chosen point."""

    space: ParameterSpace
    objective: Objective
    constraints: list[Constraint]
    strategy: str
    trials: list[Trial]
    selection: Selection
    points: dict[str, dict[str, Any]]
    """Finalist name → its point (the reference: the scenario's own values)."""
    reps: int
    seed: int
    counter: Counter = field(default_factory=Counter)

    @property
    def best_point(self) -> dict[str, Any]:
        """The selected point (the scenario's own values if the input won)."""
        return self.points[self.selection.best]

    def history(self) -> pd.DataFrame:
        """One row per trial: its values, objective, constraint KPIs, violation, loss."""
        rows = [{"trial": t.number, **t.point, "objective": t.objective, **t.constraints,
                 "violation": t.violation, "loss": t.loss} for t in self.trials]
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (the history is in :meth:`history`)."""
        return {
            "kind": "search", "objective": str(self.objective),
            "constraints": [str(c) for c in self.constraints], "strategy": self.strategy,
            "free": [p.describe() for p in self.space.params], "search_reps": self.reps,
            "seed": self.seed, "search_seed": search_seed(self.seed),
            "trials": len(self.trials), "best": self.selection.best,
            "best_point": self.best_point, "finalists": self.points,
            "selection": self.selection.to_dict(),
            "cost": {"replications": self.counter.replications,
                     "seconds": self.counter.seconds, "batches": self.counter.batches},
        }


def _score(reps: pd.DataFrame, objective: Objective,
           constraints: Sequence[Constraint]) -> tuple[float, dict[str, float], float, float]:
    obj = mean_of(objective.kpi, reps)
    cons = {str(c): mean_of(c.kpi, reps) for c in constraints}
    viol = sum(c.relative_violation(cons[str(c)]) for c in constraints)
    loss = objective.loss(obj) if math.isfinite(obj) else math.inf
    return obj, cons, viol, loss + PENALTY * viol


def search(scenario: Scenario | str | Path, space: ParameterSpace | Sequence[str],
           objective: Objective | str, constraints: Sequence[Constraint | str] = (), *,
           trials: int = 40, batch_size: int = 8, reps: int = 5, final_reps: int = 20,
           finalists: int = 5, seed: int = 0, strategy: str = "auto",
           execution: Execution | None = None,
           progress: bool | Progress | None = None) -> SearchResult:
    """Search the free parameters for the best objective under the constraints.

    Parameters
    ----------
    scenario
        The input scenario (or a YAML path); its own values are the reference.
    space
        A bound :class:`ParameterSpace`, or ``--free`` texts (``PATH=LO:HI``, ...).
    objective
        An :class:`Objective` or its text (``answer_rate``, ``min:occupancy``).
    constraints
        :class:`Constraint` objects or texts (``answer_rate>=0.8``) on the mean.
    trials
        Candidates evaluated by the search (duplicates of integer points are reused).
    batch_size
        Candidates proposed and run together (all their replications share the workers).
    reps
        Replications per candidate during the search.
    final_reps, finalists
        The best *finalists* are re-run with *final_reps* replications on *seed*
        (fresh replications: the search itself runs on :func:`search_seed` of *seed*).
    strategy
        ``"auto"``, ``"tpe"`` (optuna) or ``"sobol"``.
    execution
        Backend options for every batch.
    progress
        Show progress: ``None`` (default) a bar on stderr when it is a terminal or in a
        notebook; ``True``/``False``; or a
        :class:`~callsim.experiment.progress.Progress` of your own. One display
        follows the whole search, a replication at a time.
    """
    sc = load_scenario(scenario) if isinstance(scenario, str | Path) else scenario
    sp = space if isinstance(space, ParameterSpace) else ParameterSpace.from_specs(space, sc)
    obj = objective if isinstance(objective, Objective) else Objective.parse(objective)
    cons = [c if isinstance(c, Constraint) else Constraint.parse(c) for c in constraints]
    check_constraints(cons)
    for name, value in (("trials", trials), ("batch_size", batch_size), ("reps", reps),
                        ("final_reps", final_reps), ("finalists", finalists)):
        if value < 1:
            raise ConfigError(f"{name} must be >= 1 (got {value})")
    ex = execution or Execution()
    with ex.started(progress, f"{sc.name}: search",
                    reps * (trials + 1) + final_reps * (finalists + 1)) as ex:
        counter = Counter()
        s_seed = search_seed(seed)
        strat = make_strategy(strategy, sp, s_seed, trials)
        ref = evaluate({REFERENCE: sc}, reps, s_seed, ex, counter)[REFERENCE]
        check_names([(obj.kpi, "--objective")] + [(c.kpi, "--constraint") for c in cons],
                    list(ref.columns))
        start = sp.start()
        done: dict[str, Trial] = {}
        history: list[Trial] = []
        o, cv, viol, loss = _score(ref, obj, cons)
        first = Trial(0, start, o, cv, viol, loss)
        done[sp.key(start)] = first
        strat.tell([start], [loss])
        while len(history) < trials:
            points = strat.ask(min(batch_size, trials - len(history)))
            new = {}
            for pt in points:
                k = sp.key(pt)
                if k not in done and k not in new:
                    new[k] = pt
            designs = {f"c{len(done) + i}": with_overrides(sc, sp.overrides(pt))
                       for i, pt in enumerate(new.values())}
            results = evaluate(designs, reps, s_seed, ex, counter)
            for (k, pt), name in zip(new.items(), designs, strict=True):
                o, cv, viol, loss = _score(results[name], obj, cons)
                done[k] = Trial(len(done), pt, o, cv, viol, loss)
            losses = []
            for pt in points:
                t = done[sp.key(pt)]
                history.append(Trial(len(history) + 1, t.point, t.objective, t.constraints,
                                     t.violation, t.loss))
                losses.append(t.loss)
            strat.tell(points, losses)
            top = min(done.values(), key=lambda t: t.loss)
            ex.say(f"{sc.name}: search, best {obj.kpi} {top.objective:.4g}")
        ranked = sorted(done.values(), key=lambda t: t.loss)
        chosen = [t for t in ranked if t.number != 0][:finalists]
        final = {f"t{t.number}": with_overrides(sc, sp.overrides(t.point)) for t in chosen}
        selection = rank_and_select((REFERENCE, sc), final, obj, cons, reps=final_reps, seed=seed,
                                    execution=ex, counter=counter)
        named = {REFERENCE: start, **{f"t{t.number}": t.point for t in chosen}}
        return SearchResult(space=sp, objective=obj, constraints=cons, strategy=strat.name,
                            trials=[first, *history], selection=selection, points=named,
                            reps=reps, seed=seed, counter=counter)
