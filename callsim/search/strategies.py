"""Search strategies: which candidate points to evaluate next.

Owns the ask/tell strategies over a :class:`~callsim.search.space.ParameterSpace`:

* ``"tpe"`` — optuna's Tree-structured Parzen Estimator with a fixed sampler seed
  (the optional extra ``callsim[search]``). It models where good points lie from
  their ranks, so it needs no gradient, copes with integer and choice parameters,
  and the noise left after common random numbers only blurs the ranks a little.
  Batches are asked with the "constant liar" so one batch's points spread out.
* ``"sobol"`` — dependency-free: a scrambled Sobol design over the whole space for
  the first half of the budget, then Sobol points in boxes that shrink around the
  best point found (a pattern search on a CRN-smoothed objective).

``"auto"`` takes ``"tpe"`` when optuna is installed, else ``"sobol"``. Both are
deterministic for a given seed. Imports :mod:`callsim.search.space` (and optuna,
lazily); never the batch layer.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np
from scipy.stats import qmc

from callsim.errors import ConfigError
from callsim.search.space import ParameterSpace

STRATEGIES = ("auto", "tpe", "sobol")


class Strategy(Protocol):
    """Proposes points; is told their losses (smaller is better)."""

    name: str

    def ask(self, n: int) -> list[dict[str, Any]]:
        """The next *n* points to evaluate."""
        ...

    def tell(self, points: Sequence[Mapping[str, Any]], losses: Sequence[float]) -> None:
        """The losses of points returned by :meth:`ask` (or evaluated elsewhere)."""
        ...


def optuna_available() -> bool:
    """True when the optional ``optuna`` package is installed."""
    return importlib.util.find_spec("optuna") is not None


def make_strategy(name: str, space: ParameterSpace, seed: int, budget: int) -> Strategy:
    """The strategy called *name* (see the module docstring)."""
    if name not in STRATEGIES:
        raise ConfigError(f"--strategy {name!r}: allowed: {', '.join(STRATEGIES)}")
    if name == "auto":
        name = "tpe" if optuna_available() else "sobol"
    if name == "tpe":
        if not optuna_available():
            raise ConfigError("--strategy tpe needs optuna: pip install 'callsim[search]' "
                              "(or use --strategy sobol, which needs nothing extra)")
        return TpeStrategy(space, seed, budget)
    return SobolStrategy(space, seed, budget)


class TpeStrategy:
    """optuna TPE with a fixed seed, driven by ask/tell in batches."""

    name = "tpe"

    def __init__(self, space: ParameterSpace, seed: int, budget: int) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.optuna = optuna
        self.space = space
        startup = max(5, min(20, budget // 4))
        sampler = optuna.samplers.TPESampler(seed=seed % (2**32), n_startup_trials=startup,
                                             multivariate=True, constant_liar=True)
        self.study = optuna.create_study(direction="minimize", sampler=sampler)
        self.dists: dict[str, Any] = {}
        for p in space.params:
            if p.kind == "int":
                self.dists[p.name] = optuna.distributions.IntDistribution(int(p.lo), int(p.hi))
            elif p.kind == "choice":
                self.dists[p.name] = optuna.distributions.CategoricalDistribution(
                    list(range(len(p.choices))))
            else:
                self.dists[p.name] = optuna.distributions.FloatDistribution(p.lo, p.hi)
        self.pending: dict[str, Any] = {}

    def _to_point(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return {p.name: (p.choices[params[p.name]] if p.kind == "choice" else params[p.name])
                for p in self.space.params}

    def ask(self, n: int) -> list[dict[str, Any]]:
        out = []
        for _ in range(n):
            trial = self.study.ask(self.dists)
            point = self._to_point(trial.params)
            self.pending.setdefault(self.space.key(point), []).append(trial)
            out.append(point)
        return out

    def tell(self, points: Sequence[Mapping[str, Any]], losses: Sequence[float]) -> None:
        for point, loss in zip(points, losses, strict=True):
            key = self.space.key(point)
            trials = self.pending.get(key)
            value = float(loss) if math.isfinite(loss) else 1e300
            if trials:
                self.study.tell(trials.pop(0), value)
                continue
            params = {}
            for p in self.space.params:
                v = point[p.name]
                if p.kind == "choice":
                    if v not in p.choices:
                        break  # the input's own value is not one of the choices
                    params[p.name] = p.choices.index(v)
                elif not p.lo <= float(v) <= p.hi:
                    break  # a point outside the box (the input scenario): not a trial
                else:
                    params[p.name] = v
            else:
                self.study.add_trial(self.optuna.trial.create_trial(
                    params=params, distributions=self.dists, value=value))


class SobolStrategy:
    """Scrambled Sobol points: globally first, then in shrinking boxes around the best."""

    name = "sobol"

    def __init__(self, space: ParameterSpace, seed: int, budget: int) -> None:
        self.space = space
        self.d = len(space)
        self.global_n = max(4, budget // 2)
        self.sobol = qmc.Sobol(self.d, scramble=True, seed=np.random.default_rng(seed))
        self.local = qmc.Sobol(self.d, scramble=True, seed=np.random.default_rng(seed + 1))
        self.asked = 0
        self.best_u: np.ndarray | None = None
        self.best_loss = math.inf
        self.radius = 0.25

    def ask(self, n: int) -> list[dict[str, Any]]:
        out = []
        for _ in range(n):
            if self.asked < self.global_n or self.best_u is None:
                u = self.sobol.random(1)[0]
            else:
                box = self.local.random(1)[0]
                u = np.clip(self.best_u + (2 * box - 1) * self.radius, 0.0, 1.0)
            self.asked += 1
            out.append(self.space.decode(u))
        return out

    def tell(self, points: Sequence[Mapping[str, Any]], losses: Sequence[float]) -> None:
        improved = False
        for point, loss in zip(points, losses, strict=True):
            if loss < self.best_loss:
                self.best_loss = float(loss)
                self.best_u = np.clip(self.space.encode(point), 0.0, 1.0)
                improved = True
        if self.asked >= self.global_n and not improved:
            self.radius = max(0.02, self.radius * 0.6)
