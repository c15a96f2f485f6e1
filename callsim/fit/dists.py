"""Fitting duration distributions (handle time, IVR time) to observed values.

Owns :class:`DurationFit` and :func:`fit_duration`: maximum-likelihood fits of
exponential, gamma, lognormal and Weibull, a chi-square goodness-of-fit test on
equiprobable bins of each fit, a test of the short-call mass, and the choice between
the best parametric fit and a weighted empirical distribution. Also
:func:`weighted_empirical` and :func:`dist_quantiles` (any fitted distribution as
equally likely quantiles). Imports numpy, scipy and pandas only.

Choice rule: a parametric family is acceptable when its chi-square test gives
p >= ``alpha`` and the share of calls shorter than ``short`` seconds is not
significantly above what it predicts (one-sided binomial test, p >= ``alpha``); the
acceptable family with the lowest AIC wins. Otherwise (as with large, rounded real
samples with a spike of very short calls) the weighted empirical distribution of the
values (rounded to ``resolution`` seconds, weights = counts) is used: it keeps the
short-call mass exactly. Under ``min_n`` values the best-AIC family is used (the test
has no power).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import optimize, stats

FAMILIES = ("exponential", "gamma", "lognormal", "weibull")


@dataclass
class DurationFit:
    """A fitted duration distribution and the evidence for it.

    Attributes
    ----------
    chosen : str
        ``empirical`` or a family name.
    n : int
        Number of values.
    mean, mean_low, mean_high : float
        Sample mean and its 95 % CI (t).
    cv : float
        Sample coefficient of variation.
    short_share : float
        Share of values below ``short`` seconds.
    candidates : dict
        Per family: parameters (``mean``, ``cv`` or ``shape``/``scale``), ``aic``,
        ``p_gof`` (chi-square), ``p_short`` (short-call test).
    values, weights : numpy.ndarray
        The weighted empirical distribution (rounded values and counts).
    """

    chosen: str
    n: int
    mean: float
    mean_low: float
    mean_high: float
    cv: float
    short: float
    short_share: float
    candidates: dict[str, dict[str, float]] = field(default_factory=dict)
    values: np.ndarray = field(default_factory=lambda: np.empty(0))
    weights: np.ndarray = field(default_factory=lambda: np.empty(0))

    def dist(self) -> dict[str, Any]:
        """The scenario's distribution mapping (weighted empirical form for ``empirical``)."""
        return dist_dict(self.chosen, self.candidates.get(self.chosen, {}), self.values,
                         self.weights)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """CDF of the chosen distribution."""
        return dist_cdf(self.dist(), x)


def _r(x: float) -> float:
    return float(f"{x:.6g}")


def dist_dict(family: str, params: dict[str, float], values: np.ndarray,
              weights: np.ndarray) -> dict[str, Any]:
    """A distribution mapping in the scenario's YAML form."""
    if family == "empirical":
        return {"dist": "empirical", "values": [_r(v) for v in values],
                "weights": [int(w) if float(w).is_integer() else _r(w) for w in weights]}
    if family == "exponential":
        return {"dist": "exponential", "mean": _r(params["mean"])}
    if family in ("gamma", "lognormal"):
        return {"dist": family, "mean": _r(params["mean"]), "cv": _r(params["cv"])}
    if family == "weibull":
        return {"dist": "weibull", "shape": _r(params["shape"]), "scale": _r(params["scale"])}
    raise ValueError(f"unknown family {family!r}")


def _frozen(dist: dict[str, Any]) -> Any:
    d = dist["dist"]
    if d == "exponential":
        return stats.expon(scale=dist["mean"])
    if d == "gamma":
        k = 1.0 / dist["cv"] ** 2
        return stats.gamma(k, scale=dist["mean"] / k)
    if d == "lognormal":
        s2 = math.log1p(dist["cv"] ** 2)
        return stats.lognorm(math.sqrt(s2), scale=math.exp(math.log(dist["mean"]) - s2 / 2))
    if d == "weibull":
        return stats.weibull_min(dist["shape"], scale=dist["scale"])
    if d == "deterministic":
        return None
    raise ValueError(f"no parametric form for {d!r}")


def dist_cdf(dist: dict[str, Any], x: np.ndarray) -> np.ndarray:
    """CDF of a distribution mapping (parametric or weighted empirical)."""
    x = np.asarray(x, dtype=float)
    if dist["dist"] == "empirical":
        v = np.asarray(dist["values"], dtype=float)
        w = np.asarray(dist.get("weights") or np.ones(v.size), dtype=float)
        o = np.argsort(v)
        cw = np.cumsum(w[o]) / w.sum()
        i = np.searchsorted(v[o], x, side="right")
        return np.where(i > 0, cw[np.maximum(i - 1, 0)], 0.0)
    return np.asarray(_frozen(dist).cdf(x))


def dist_quantiles(dist: dict[str, Any], m: int = 1000) -> np.ndarray:
    """*m* quantiles at (i + 0.5) / m: the distribution as equally likely values."""
    u = (np.arange(m) + 0.5) / m
    if dist["dist"] == "survival":
        t = np.asarray(dist["times"], dtype=float)
        sv = np.asarray(dist["survival"], dtype=float)
        tail = float(dist["tail"]["mean"])
        target = 1.0 - u
        idx = np.searchsorted(-sv, -target, side="left")  # first step with S <= target
        inside = idx < sv.size
        out = np.empty(m)
        out[inside] = t[idx[inside]]
        out[~inside] = t[-1] + tail * np.log(sv[-1] / target[~inside])
        return out
    if dist["dist"] == "empirical":
        v = np.asarray(dist["values"], dtype=float)
        w = np.asarray(dist.get("weights") or np.ones(v.size), dtype=float)
        o = np.argsort(v)
        cw = np.cumsum(w[o]) / w.sum()
        return np.asarray(v[o][np.minimum(np.searchsorted(cw, u, side="left"), v.size - 1)])
    return np.asarray(_frozen(dist).ppf(u))


def weighted_empirical(x: np.ndarray, resolution: float = 1.0
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Values rounded to *resolution* and their counts (the weights)."""
    r = np.round(np.asarray(x, dtype=float) / resolution) * resolution
    v, c = np.unique(r, return_counts=True)
    return v, c.astype(float)


def _fit_family(name: str, x: np.ndarray) -> dict[str, float]:
    pos = x[x > 0]
    if name == "exponential":
        return {"mean": float(x.mean()), "k": 1}
    if pos.size < 2 or np.ptp(pos) == 0:
        raise ValueError("too few distinct positive values")
    if name == "lognormal":
        lx = np.log(pos)
        mu, s = float(lx.mean()), float(lx.std())
        return {"mean": math.exp(mu + s * s / 2), "cv": math.sqrt(math.expm1(s * s)), "k": 2}
    if name == "gamma":
        k, _, scale = stats.gamma.fit(pos, floc=0)
        return {"mean": float(k * scale), "cv": float(1 / math.sqrt(k)), "k": 2}
    if name == "weibull":
        c, scale = _weibull_mle(pos)
        return {"shape": c, "scale": scale, "k": 2}
    raise ValueError(name)


def _weibull_mle(x: np.ndarray) -> tuple[float, float]:
    """Weibull MLE (location 0): the shape solves the profile-likelihood equation
    ``sum x^k ln x / sum x^k - 1/k - mean(ln x) = 0`` (one root, found by Brent)."""
    lx = np.log(x)
    lx = lx - lx.max()  # scale-free: keeps x^k from overflowing
    mean_lx = float(lx.mean())

    def g(k: float) -> float:
        w = np.exp(k * lx)
        return float(np.dot(w, lx) / w.sum()) - 1.0 / k - mean_lx

    lo, hi = 0.02, 1.0
    while g(hi) < 0 and hi < 1e3:
        hi *= 2.0
    k = float(optimize.brentq(g, lo, hi, xtol=1e-10))
    scale = float(np.exp(np.log(np.mean(np.exp(k * lx))) / k + np.log(x).max()))
    return k, scale


def _dist_of(name: str, p: dict[str, float]) -> dict[str, Any]:
    return dist_dict(name, p, np.empty(0), np.empty(0))


def _chi2_gof(x: np.ndarray, frozen: Any, n_params: int) -> float:
    n = x.size
    k = int(min(50, max(5, n // 25)))
    edges = frozen.ppf(np.linspace(0, 1, k + 1))
    edges[0], edges[-1] = -np.inf, np.inf
    obs = np.histogram(x, bins=edges)[0]
    exp = np.full(k, n / k)
    chi = float(((obs - exp) ** 2 / exp).sum())
    df = max(k - 1 - n_params, 1)
    return float(stats.chi2.sf(chi, df))


def fit_duration(x: np.ndarray, short: float = 10.0, alpha: float = 0.01, min_n: int = 30,
                 resolution: float = 1.0, families: tuple[str, ...] = FAMILIES
                 ) -> DurationFit:
    """Fit a duration distribution to *x* (NaNs dropped) by the rule in the module docstring."""
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    n = int(x.size)
    if n == 0:
        raise ValueError("no values to fit")
    mean = float(x.mean())
    sd = float(x.std(ddof=1)) if n > 1 else 0.0
    half = float(stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n)) if n > 1 else math.nan
    short_n = int((x < short).sum())
    fit = DurationFit(chosen="empirical", n=n, mean=mean, mean_low=mean - half,
                      mean_high=mean + half, cv=sd / mean if mean > 0 else math.nan,
                      short=short, short_share=short_n / n)
    fit.values, fit.weights = weighted_empirical(x, resolution)
    if mean <= 0:
        return fit
    ok: list[tuple[float, str]] = []
    best: tuple[float, str] | None = None
    for name in families:
        try:
            p = _fit_family(name, x)
        except (ValueError, RuntimeError, FloatingPointError):
            continue
        frozen = _frozen(_dist_of(name, p))
        with np.errstate(divide="ignore"):
            ll = float(np.sum(frozen.logpdf(np.maximum(x, 1e-9))))
        aic = 2 * p["k"] - 2 * ll if math.isfinite(ll) else math.inf
        p_gof = _chi2_gof(x, frozen, int(p["k"]))
        expected = float(frozen.cdf(short))
        p_short = float(stats.binomtest(short_n, n, min(max(expected, 1e-12), 1.0),
                                        alternative="greater").pvalue) if n else 1.0
        fit.candidates[name] = {**{k: v for k, v in p.items() if k != "k"}, "aic": aic,
                                "p_gof": p_gof, "p_short": p_short}
        if best is None or aic < best[0]:
            best = (aic, name)
        if p_gof >= alpha and p_short >= alpha:
            ok.append((aic, name))
    if n < min_n and best is not None:
        fit.chosen = best[1]
    elif ok:
        fit.chosen = min(ok)[1]
    return fit
