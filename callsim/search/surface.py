"""Quadratic response surfaces: the smooth model a calibration minimises.

Owns the least-squares fit of a full quadratic in the unit-cube coordinates of the
free parameters (one surface per KPI), its value and gradient, the bounded
minimisation of a sum of squared scaled residuals on such surfaces, and the
curvature-based uncertainty of the minimiser. Pure numpy/scipy; imports nothing from
callsim.

With common random numbers a KPI's mean over the same replications is a smooth
function of the parameters up to a little jitter (a caller who hangs up at 61 s
instead of 59 s), so a quadratic fitted to a space-filling design in a box is a good
local model, and its minimum is found without spending simulations on line searches.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats


def n_terms(d: int) -> int:
    """Coefficients of a full quadratic in *d* variables."""
    return (d + 1) * (d + 2) // 2


def _features(u: np.ndarray) -> np.ndarray:
    u = np.atleast_2d(u)
    n, d = u.shape
    cols = [np.ones(n)] + [u[:, i] for i in range(d)]
    cols += [u[:, i] * u[:, j] for i, j in itertools.combinations_with_replacement(range(d), 2)]
    return np.column_stack(cols)


@dataclass(frozen=True)
class Quadratic:
    """``f(u) = c0 + b·u + Σ_{i<=j} a_ij u_i u_j``, fitted by least squares."""

    coef: np.ndarray
    d: int
    rmse: float

    @classmethod
    def fit(cls, u: np.ndarray, y: np.ndarray, ridge: float = 1e-8) -> Quadratic:
        """Fit to points *u* (n × d) and values *y*; NaN values are left out."""
        ok = ~np.isnan(y)
        u, y = u[ok], y[ok]
        x = _features(u)
        p = x.shape[1]
        if len(y) < p:  # too few points for a quadratic: a linear model
            lin = x[:, : 1 + u.shape[1]]
            c, *_ = np.linalg.lstsq(lin, y, rcond=None)
            coef = np.zeros(p)
            coef[: len(c)] = c
        else:
            coef = np.linalg.solve(x.T @ x + ridge * np.eye(p), x.T @ y)
        res = y - _features(u) @ coef if len(y) else np.zeros(0)
        dof = max(1, len(y) - p)
        return cls(coef, u.shape[1], float(math.sqrt(float(res @ res) / dof)) if len(y) else 0.0)

    def __call__(self, u: np.ndarray) -> np.ndarray:
        return _features(u) @ self.coef

    def gradient(self, u: np.ndarray) -> np.ndarray:
        """∂f/∂u at one point *u*."""
        u = np.asarray(u, dtype=float)
        g = self.coef[1: 1 + self.d].copy()
        for k, (i, j) in enumerate(itertools.combinations_with_replacement(range(self.d), 2)):
            a = self.coef[1 + self.d + k]
            if i == j:
                g[i] += 2 * a * u[i]
            else:
                g[i] += a * u[j]
                g[j] += a * u[i]
        return g


def terms_of(d: int, j: int) -> list[int]:
    """Columns of the quadratic's features that involve variable *j*."""
    cols = [1 + j]
    for k, (a, b) in enumerate(itertools.combinations_with_replacement(range(d), 2)):
        if j in (a, b):
            cols.append(1 + d + k)
    return cols


def effect_p_value(u: np.ndarray, y: np.ndarray, j: int) -> float:
    """p-value of an F-test that *y* does not depend on variable *j* (all its quadratic
    terms dropped). 1.0 when the values do not change at all; 0.0 when the test has no
    degrees of freedom left (the effect is then assumed)."""
    ok = ~np.isnan(y)
    u, y = u[ok], y[ok]
    x = _features(u)
    n, p = x.shape
    if n <= p:
        return 0.0
    keep = [c for c in range(p) if c not in set(terms_of(u.shape[1], j))]

    def rss(cols: list[int]) -> float:
        coef, *_ = np.linalg.lstsq(x[:, cols], y, rcond=None)
        r = y - x[:, cols] @ coef
        return float(r @ r)

    full, reduced = rss(list(range(p))), rss(keep)
    scale = float(np.sum((y - y.mean()) ** 2))
    if reduced - full <= 1e-12 * max(scale, 1e-300):
        return 1.0
    if full <= 0.0:
        return 0.0
    q = p - len(keep)
    f = ((reduced - full) / q) / (full / (n - p))
    return float(stats.f.sf(f, q, n - p))


def misfit(models: Sequence[Quadratic], targets: np.ndarray, tols: np.ndarray,
           u: np.ndarray) -> float:
    """Σ ((model_k(u) − target_k) / tol_k)² at one point."""
    pred = np.array([m(u)[0] for m in models])
    return float(np.sum(((pred - targets) / tols) ** 2))


def minimise(models: Sequence[Quadratic], targets: np.ndarray, tols: np.ndarray,
             lo: np.ndarray, hi: np.ndarray, starts: Sequence[np.ndarray]) -> np.ndarray:
    """The point of the box [lo, hi] with the smallest predicted misfit (multi-start)."""

    def fun(u: np.ndarray) -> tuple[float, np.ndarray]:
        pred = np.array([m(u)[0] for m in models])
        r = (pred - targets) / tols
        grad = sum(2 * r[k] / tols[k] * models[k].gradient(u) for k in range(len(models)))
        return float(r @ r), np.asarray(grad, dtype=float)

    best_u, best_f = None, math.inf
    bounds = list(zip(lo, hi, strict=True))
    for s in starts:
        x0 = np.clip(np.asarray(s, dtype=float), lo, hi)
        res = optimize.minimize(fun, x0, jac=True, method="L-BFGS-B", bounds=bounds)
        if res.fun < best_f:
            best_u, best_f = np.asarray(res.x, dtype=float), float(res.fun)
    assert best_u is not None
    return best_u


@dataclass(frozen=True)
class Curvature:
    """How the misfit grows around the fit, from the scaled Jacobian J (targets × params).

    ``H = JᵀJ``; moving parameter *j* by δ while the others re-fit raises the misfit by
    δ² / (H⁻¹)_jj, so the misfit grows by 1 (one target tolerance) at
    δ = √(H⁻¹)_jj (the *profile* half-width); with the others held, at 1/√H_jj.
    """

    jacobian: np.ndarray
    profile: np.ndarray
    held: np.ndarray
    correlation: np.ndarray
    condition: float
    null: np.ndarray
    """Rows spanning the null space of J (directions no target sees)."""

    def partners(self, k: int, threshold: float = 0.9) -> list[int]:
        """Parameters that trade off against parameter *k*: sharing a null direction
        with it, or with a correlation of the fit above *threshold*."""
        out: set[int] = set()
        for v in self.null:
            if abs(v[k]) > 1e-3:
                out.update(i for i in range(len(v)) if i != k and abs(v[i]) > 1e-3)
        row = self.correlation[k]
        out.update(i for i in range(len(row))
                   if i != k and np.isfinite(row[i]) and abs(row[i]) > threshold)
        return sorted(out)


def curvature(jacobian: np.ndarray) -> Curvature:
    """:class:`Curvature` of a scaled Jacobian (rows: targets / tol, columns: parameters).

    A parameter with a component in the null space of J (no target moves it, or it
    trades off exactly against others) gets an infinite profile half-width.
    """
    j = np.asarray(jacobian, dtype=float)
    d = j.shape[1]
    h = j.T @ j
    diag = np.diag(h)
    held = np.full(d, np.inf)
    held[diag > 0] = 1.0 / np.sqrt(diag[diag > 0])
    _, s, vt = np.linalg.svd(j, full_matrices=True)
    smax = float(s[0]) if s.size else 0.0
    rank = int(np.sum(s > 1e-6 * smax)) if smax > 0 else 0
    null = vt[rank:]
    inv = np.linalg.pinv(h, rcond=1e-12)
    profile = np.sqrt(np.clip(np.diag(inv), 0.0, None))
    for k in range(d):
        if null.size and np.any(np.abs(null[:, k]) > 1e-3):
            profile[k] = np.inf
    cond = float(s[0] ** 2 / s[rank - 1] ** 2) if rank == d and rank > 0 else math.inf
    with np.errstate(divide="ignore", invalid="ignore"):
        sd = np.sqrt(np.clip(np.diag(inv), 0.0, None))
        corr = inv / np.outer(sd, sd)
    corr[~np.isfinite(corr)] = np.nan
    return Curvature(j, profile, held, corr, cond, null)
