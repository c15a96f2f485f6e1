"""Calibration: fit free scenario parameters so simulated KPIs match reported figures.

Owns :func:`calibrate` and :class:`CalibrationResult`. The misfit of a point is
``S = Σ ((KPI mean − target) / tolerance)²``: a target's tolerance is the misfit
that counts as one unit. The search is a sequence of response surfaces (a strategy
for noisy simulation that needs no extra dependency):

1. the input scenario is run (its KPIs are the "before" column, and every target KPI
   is checked to exist before anything else runs);
2. round 1 runs a scrambled Sobol design over the whole box of the free parameters,
   every candidate on the same seed and replications (common random numbers), and
   fits one quadratic per target KPI (:mod:`callsim.search.surface`);
3. the predicted best point is found on the surfaces (scipy, bounded, multi-start);
   each later round runs a new Sobol design in a box half as wide around it and refits
   on the points in that box;
4. uncertainty: from the last round's surfaces, the Jacobian of the scaled residuals
   at the fit; a parameter's *range* is how far it can move (the others re-fitted)
   before the misfit grows by 1, i.e. by one target tolerance (profile half-width).
   A target's sensitivity to a parameter counts only where an F-test of the
   parameter's terms in that target's surface is significant (p < 0.01); a parameter
   no target depends on is kept at its input value. A parameter whose range is wider
   than half its search box, or that no target moves, is reported as not identifiable
   (with the parameter it trades off against);
5. the input and the fitted scenario are run again with more replications on the
   user's seed (fresh replications), giving the residual of every target with a CI.

Imports the search package's modules and :mod:`callsim.config`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import qmc

from callsim.config import Scenario, load_scenario, with_overrides
from callsim.errors import ConfigError
from callsim.experiment.progress import Progress
from callsim.search.evaluate import (
    Counter,
    Execution,
    evaluate,
    mean_ci,
    search_seed,
)
from callsim.search.kpis import Target, check_names, mean_of
from callsim.search.space import ParameterSpace
from callsim.search.surface import Quadratic, curvature, effect_p_value, minimise, n_terms

#: A parameter whose profile range is wider than this share of its search box is
#: reported as not identifiable.
IDENTIFIABLE_SHARE = 0.5
#: |correlation| above which two parameters are said to trade off.
TRADE_OFF = 0.9
#: A parameter moves a target when the F-test of its terms in the target's last surface
#: has a p-value below this (else that target's sensitivity to it is taken as 0).
EFFECT_P = 0.01


@dataclass
class CalibrationResult:
    """A finished calibration.

    Attributes
    ----------
    fitted
        Parameter name → fitted value (rounded for integer parameters).
    parameters
        One row per parameter: ``parameter``, ``kind``, ``lo``, ``hi``, ``start``,
        ``fitted``, ``range_low``/``range_high`` (profile: the others re-fitted),
        ``held_low``/``held_high`` (the others held), ``identifiable``, ``note``.
    residuals
        One row per target: ``target``, ``value``, ``tol``, ``before`` and ``fitted``
        simulated means with ``*_hw`` CIs, ``residual`` (fitted − value),
        ``scaled`` (residual / tol) and ``within`` (|residual| <= tol).
    history
        One row per evaluated candidate: round, parameter values, target KPI means,
        misfit.
    warnings
        Not-identifiable parameters, imprecise targets.
    """

    scenario: str
    space: ParameterSpace
    targets: list[Target]
    fitted: dict[str, Any]
    overrides: dict[str, Any]
    parameters: pd.DataFrame
    residuals: pd.DataFrame
    history: pd.DataFrame
    warnings: list[str]
    misfit: float
    reps: int
    final_reps: int
    seed: int
    rounds: int
    counter: Counter = field(default_factory=Counter)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""

        def rec(df: pd.DataFrame) -> list[dict[str, Any]]:
            return [{str(k): (None if isinstance(v, float) and not math.isfinite(v) else v)
                     for k, v in r.items()} for r in df.to_dict(orient="records")]

        return {
            "kind": "calibration", "scenario": self.scenario,
            "targets": [str(t) for t in self.targets],
            "free": [p.describe() for p in self.space.params],
            "fitted": self.fitted, "overrides": self.overrides,
            "misfit": self.misfit, "parameters": rec(self.parameters),
            "residuals": rec(self.residuals), "warnings": self.warnings,
            "search": {"strategy": "response-surface", "rounds": self.rounds,
                       "reps": self.reps, "seed": search_seed(self.seed),
                       "candidates": len(self.history)},
            "final": {"reps": self.final_reps, "seed": self.seed},
            "cost": {"replications": self.counter.replications,
                     "seconds": self.counter.seconds, "batches": self.counter.batches},
        }


def _design(d: int, n: int, seed: int) -> np.ndarray:
    m = max(1, math.ceil(math.log2(max(n, 2))))
    return qmc.Sobol(d, scramble=True, seed=np.random.default_rng(seed)).random_base2(m)


def _box(centre: np.ndarray, half: float) -> tuple[np.ndarray, np.ndarray]:
    """A box of half-width *half* around *centre*, shifted to lie inside [0, 1]."""
    lo = np.clip(centre - half, 0.0, max(0.0, 1.0 - 2 * half))
    return lo, np.minimum(1.0, lo + 2 * half)


def calibrate(scenario: Scenario | str | Path, targets: Sequence[Target | str],
              free: ParameterSpace | Sequence[str], *, reps: int = 4, final_reps: int = 20,
              rounds: int = 3, points: int | None = None, seed: int = 0,
              execution: Execution | None = None,
              progress: bool | Progress | None = None) -> CalibrationResult:
    """Fit the free parameters of *scenario* so its KPIs match *targets*.

    Parameters
    ----------
    scenario
        The scenario (or YAML path) whose values are the starting point.
    targets
        :class:`Target` objects or texts ``KPI=VALUE[±TOL]`` (``arrivals/offered=2.5±0.1``).
    free
        A bound :class:`ParameterSpace` or ``--free`` texts (ranges or factors).
    reps
        Replications per candidate during the search (common random numbers).
    final_reps
        Replications of the before/after runs that report the residuals.
    rounds
        Response-surface rounds (each halves the box around the predicted best).
    points
        Candidates per round (default: enough for a quadratic, a power of two).
    seed
        The residuals run on *seed*; the search on :func:`search_seed` of it.
    execution, progress
        As for :func:`callsim.search.search`.
    """
    sc = load_scenario(scenario) if isinstance(scenario, str | Path) else scenario
    tg = [t if isinstance(t, Target) else Target.parse(t) for t in targets]
    if not tg:
        raise ConfigError("calibrate needs at least one --target KPI=VALUE[±TOL]")
    sp = free if isinstance(free, ParameterSpace) else ParameterSpace.from_specs(free, sc)
    for p in sp.params:
        if not p.numeric:
            raise ConfigError(f"--free {p.describe()}: calibration needs ranges (LO:HI), "
                              "not choices")
    for name, value in (("reps", reps), ("final_reps", final_reps), ("rounds", rounds)):
        if value < 1:
            raise ConfigError(f"{name} must be >= 1 (got {value})")
    if final_reps < 2:
        raise ConfigError("final_reps must be >= 2 (the residuals need a CI)")
    ex = execution or Execution()
    d = len(sp)
    per_round = points or 2 ** math.ceil(math.log2(n_terms(d) + d + 2))
    planned = reps * (1 + per_round * rounds) + 2 * final_reps
    with ex.started(progress, f"{sc.name}: calibrate", planned) as ex:
        counter = Counter()
        s_seed = search_seed(seed)
        t_val = np.array([t.value for t in tg])
        t_tol = np.array([t.tol for t in tg])
        ref = evaluate({"input": sc}, reps, s_seed, ex, counter)["input"]
        check_names([(t.kpi, "--target") for t in tg], list(ref.columns))

        us: list[np.ndarray] = []
        ys: list[np.ndarray] = []
        rows: list[dict[str, Any]] = []

        def record(u: np.ndarray, point: dict[str, Any], r: pd.DataFrame, rnd: int) -> None:
            y = np.array([mean_of(t.kpi, r) for t in tg])
            us.append(u)
            ys.append(y)
            rows.append({"round": rnd, **point, **{str(t): v for t, v in zip(tg, y, strict=True)},
                         "misfit": float(np.sum(((y - t_val) / t_tol) ** 2))})

        start = sp.start()
        u0 = sp.encode(start)
        if np.all((u0 >= 0) & (u0 <= 1)):
            record(u0, start, ref, 0)
        centre, half = np.full(d, 0.5), 0.5
        models: list[Quadratic] = []
        moves = np.ones((len(tg), d), dtype=bool)
        u_best = centre
        for rnd in range(1, rounds + 1):
            lo, hi = _box(centre, half)
            design = lo + _design(d, per_round, s_seed + rnd) * (hi - lo)
            if rnd > 1:
                design = np.vstack([u_best, design[:-1]])
            pts = [sp.decode(list(u)) for u in design]
            cands = {f"r{rnd}c{i}": with_overrides(sc, sp.overrides(pt))
                     for i, pt in enumerate(pts)}
            res = evaluate(cands, reps, s_seed, ex, counter)
            for _u, pt, name in zip(design, pts, cands, strict=True):
                record(sp.encode(pt), pt, res[name], rnd)
            U, Y = np.array(us), np.array(ys)
            inside = np.all((lo - 1e-9 <= U) & (hi + 1e-9 >= U), axis=1)
            if inside.sum() < n_terms(d) + 2:  # too few: the nearest points to the box
                dist = np.max(np.abs(U - (lo + hi) / 2) / np.maximum(hi - lo, 1e-9), axis=1)
                inside = dist <= np.sort(dist)[min(len(dist), n_terms(d) + 2) - 1]
            models = [Quadratic.fit(U[inside], Y[inside, k]) for k in range(len(tg))]
            moves = np.array([[effect_p_value(U[inside], Y[inside, k], j) < EFFECT_P
                               for j in range(d)] for k in range(len(tg))])
            miss = np.array([r["misfit"] for r in rows])
            starts = [U[i] for i in np.argsort(miss)[:3]] + [(lo + hi) / 2]
            u_best = minimise(models, t_val, t_tol, lo, hi, starts)
            centre, half = u_best, half / 2
            ex.say(f"{sc.name}: calibrate, round {rnd} best misfit {miss.min():.3g}")
        inert = [j for j in range(d) if not moves[:, j].any()]
        for j in inert:  # the targets cannot tell: keep the input's value
            u_best[j] = min(1.0, max(0.0, float(u0[j])))
        fitted = sp.decode(list(u_best))
        overrides = sp.overrides(fitted)
        final = evaluate({"input": sc, "fitted": with_overrides(sc, overrides)}, final_reps, seed,
                         ex, counter)
        residuals = _residuals(tg, final["input"], final["fitted"])
        params, warnings = _uncertainty(sp, models, moves, t_tol, u_best, fitted, start)
        for _, r in residuals.iterrows():
            if r["fitted_hw"] > r["tol"] / 2:
                warnings.append(f"target {r['target']}: the simulated mean is only known to "
                                f"±{r['fitted_hw']:.4g} with {final_reps} replications, more than "
                                "half its tolerance; raise --final-reps")
        misfit = float(np.sum(residuals["scaled"].to_numpy(float) ** 2))
        return CalibrationResult(
            scenario=sc.name, space=sp, targets=tg, fitted=fitted, overrides=overrides,
            parameters=params, residuals=residuals, history=pd.DataFrame(rows),
            warnings=warnings, misfit=misfit, reps=reps, final_reps=final_reps, seed=seed,
            rounds=rounds, counter=counter)


def _residuals(targets: Sequence[Target], before: pd.DataFrame,
               after: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for t in targets:
        b, bhw = mean_ci(t.kpi.values(before))
        a, ahw = mean_ci(t.kpi.values(after))
        rows.append({"target": str(t.kpi), "value": t.value, "tol": t.tol, "before": b,
                     "before_hw": bhw, "fitted": a, "fitted_hw": ahw, "residual": a - t.value,
                     "scaled": (a - t.value) / t.tol, "within": abs(a - t.value) <= t.tol})
    return pd.DataFrame(rows)


def _uncertainty(sp: ParameterSpace, models: Sequence[Quadratic], moves: np.ndarray,
                 tols: np.ndarray, u: np.ndarray, fitted: dict[str, Any],
                 start: dict[str, Any]) -> tuple[pd.DataFrame, list[str]]:
    """Profile and held ranges of each parameter, in its own units, and warnings.

    *moves[k, j]* says whether parameter *j* significantly moves target *k* on the last
    surfaces; where it does not, the sensitivity is taken as 0 (a surface fitted to
    noise would otherwise report a spurious one)."""
    width = np.array([p.hi - p.lo for p in sp.params])
    # d(residual_k / tol_k) / d(parameter_j), in the parameter's own units
    grad = np.array([m.gradient(u) for m in models]) * moves
    jac = grad / tols[:, None] / width[None, :]
    cv = curvature(jac)
    rows, warnings = [], []
    for j, p in enumerate(sp.params):
        x = float(fitted[p.name])
        prof, held = float(cv.profile[j]), float(cv.held[j])
        identifiable = math.isfinite(prof) and prof <= IDENTIFIABLE_SHARE * width[j]
        note = ""
        if not identifiable:
            partners = [sp.params[k].name for k in cv.partners(j, TRADE_OFF)]
            if not moves[:, j].any():
                note = "no target moves it; kept at the input value"
            elif partners:
                note = f"it trades off against {', '.join(partners)}"
            else:
                note = "the targets hardly constrain it"
            warnings.append(f"{p.name} is not identifiable from these targets ({note}): "
                            f"any value in about {x - min(prof, width[j]):.4g}.."
                            f"{x + min(prof, width[j]):.4g} fits as well; fix it or add a "
                            "target that depends on it")
        rows.append({
            "parameter": p.name, "kind": p.kind, "lo": p.lo, "hi": p.hi,
            "start": start[p.name], "fitted": fitted[p.name],
            "range_low": max(p.lo, x - prof), "range_high": min(p.hi, x + prof),
            "held_low": max(p.lo, x - held), "held_high": min(p.hi, x + held),
            "plus_minus": prof, "identifiable": identifiable, "note": note,
            "at_bound": bool(u[j] <= 1e-6 or u[j] >= 1 - 1e-6),
        })
        if u[j] <= 1e-6 or u[j] >= 1 - 1e-6:
            warnings.append(f"{p.name} = {x:.6g} sits at the edge of its search range "
                            f"{p.lo:g}..{p.hi:g}; widen the range")
    return pd.DataFrame(rows), warnings
