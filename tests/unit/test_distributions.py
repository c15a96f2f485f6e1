"""Duration distributions: means, coefficients of variation, empirical sources."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from callsim import distributions as d
from callsim.compiled.sources import build_distribution
from callsim.config import (
    DeterministicCfg,
    EmpiricalCfg,
    ExponentialCfg,
    GammaCfg,
    LognormalCfg,
    UniformCfg,
    WeibullCfg,
)
from callsim.errors import ConfigError

N = 200_000


def weibull_sd(shape: float, scale: float) -> float:
    g1 = math.gamma(1 + 1 / shape)
    g2 = math.gamma(1 + 2 / shape)
    return scale * math.sqrt(g2 - g1 * g1)


# (distribution, its true standard deviation)
CASES: list[tuple[str, d.Distribution, float]] = [
    ("exponential", d.Exponential(180.0), 180.0),
    ("lognormal", d.Lognormal(270.0, 0.9), 0.9 * 270.0),
    ("lognormal_low_cv", d.Lognormal(60.0, 0.2), 0.2 * 60.0),
    ("gamma", d.Gamma(220.0, 0.7), 0.7 * 220.0),
    ("gamma_cv_above_1", d.Gamma(100.0, 1.5), 1.5 * 100.0),
    ("weibull", d.Weibull(0.8, 100.0), weibull_sd(0.8, 100.0)),
    ("weibull_k2", d.Weibull(2.0, 50.0), weibull_sd(2.0, 50.0)),
    ("uniform", d.Uniform(30.0, 90.0), 60.0 / math.sqrt(12)),
    ("empirical", d.Empirical((10.0, 20.0, 20.0, 100.0)),
     float(np.std([10.0, 20.0, 20.0, 100.0]))),
]


@pytest.mark.parametrize(("name", "dist", "sd"), CASES, ids=[c[0] for c in CASES])
def test_sample_mean_matches_mean(name: str, dist: d.Distribution, sd: float) -> None:
    rng = np.random.default_rng(12345)
    x = dist.sample(rng, N)
    assert x.shape == (N,) and x.dtype == np.float64
    assert np.all(x >= 0) and np.all(np.isfinite(x))
    assert abs(x.mean() - dist.mean) < 5 * sd / math.sqrt(N), (x.mean(), dist.mean)


@pytest.mark.parametrize(("name", "dist", "sd"), CASES, ids=[c[0] for c in CASES])
def test_sample_sd_matches(name: str, dist: d.Distribution, sd: float) -> None:
    x = dist.sample(np.random.default_rng(7), N)
    assert x.std() == pytest.approx(sd, rel=0.03)


@pytest.mark.parametrize("cls", [d.Lognormal, d.Gamma])
@pytest.mark.parametrize("cv", [0.3, 0.9])
def test_cv_is_honoured(cls: type, cv: float) -> None:
    dist = cls(200.0, cv)
    x = dist.sample(np.random.default_rng(99), N)
    assert x.std() / x.mean() == pytest.approx(cv, rel=0.03)


def test_lognormal_log_scale_parameters() -> None:
    # log X ~ Normal(mu, s) with s^2 = log(1 + cv^2), mu = log(mean) - s^2 / 2
    mean, cv = 150.0, 0.8
    x = d.Lognormal(mean, cv).sample(np.random.default_rng(3), N)
    s2 = math.log1p(cv * cv)
    logs = np.log(x)
    assert abs(logs.mean() - (math.log(mean) - s2 / 2)) < 5 * math.sqrt(s2 / N)
    assert logs.var() == pytest.approx(s2, rel=0.02)


def test_gamma_shape() -> None:
    cv = 0.5  # shape 4: P(X < mean) is the regularised gamma P(4, 4)
    x = d.Gamma(100.0, cv).sample(np.random.default_rng(5), N)
    from scipy import stats

    p = stats.gamma(a=4, scale=25.0).cdf(100.0)
    assert abs((x < 100.0).mean() - p) < 5 * math.sqrt(p * (1 - p) / N)


def test_weibull_mean_formula() -> None:
    assert d.Weibull(1.0, 90.0).mean == pytest.approx(90.0)  # exponential
    assert d.Weibull(2.0, 1.0).mean == pytest.approx(math.sqrt(math.pi) / 2)


def test_deterministic_and_never() -> None:
    rng = np.random.default_rng(0)
    x = d.Deterministic(42.0).sample(rng, 5)
    assert np.array_equal(x, np.full(5, 42.0))
    assert d.Deterministic(42.0).mean == 42.0
    assert np.all(np.isinf(d.Never().sample(rng, 3)))
    assert math.isinf(d.Never().mean)


def test_uniform_bounds() -> None:
    x = d.Uniform(5.0, 7.0).sample(np.random.default_rng(1), 10_000)
    assert x.min() >= 5.0 and x.max() <= 7.0
    assert d.Uniform(5.0, 7.0).mean == 6.0


def test_empirical_resamples_only_observed_values_equally() -> None:
    values = (3.0, 5.0, 5.0, 11.0)
    x = d.Empirical(values).sample(np.random.default_rng(2), N)
    assert set(np.unique(x)) == {3.0, 5.0, 11.0}
    for v, p in ((3.0, 0.25), (5.0, 0.5), (11.0, 0.25)):
        assert abs((x == v).mean() - p) < 5 * math.sqrt(p * (1 - p) / N)
    assert d.Empirical(values).mean == pytest.approx(6.0)


def test_samples_depend_only_on_the_generator() -> None:
    dist = d.Lognormal(100.0, 1.0)
    a = dist.sample(np.random.default_rng(11), 1000)
    b = dist.sample(np.random.default_rng(11), 1000)
    c = dist.sample(np.random.default_rng(12), 1000)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


# ------------------------------------------------------------- built from the config


@pytest.mark.parametrize(("cfg", "cls", "mean"), [
    (ExponentialCfg(dist="exponential", mean=60.0), d.Exponential, 60.0),
    (LognormalCfg(dist="lognormal", mean=60.0, cv=0.5), d.Lognormal, 60.0),
    (GammaCfg(dist="gamma", mean=60.0, cv=0.5), d.Gamma, 60.0),
    (WeibullCfg(dist="weibull", shape=1.0, scale=60.0), d.Weibull, 60.0),
    (DeterministicCfg(dist="deterministic", value=60.0), d.Deterministic, 60.0),
    (UniformCfg(dist="uniform", low=0.0, high=120.0), d.Uniform, 60.0),
    (EmpiricalCfg(dist="empirical", values=[30.0, 90.0]), d.Empirical, 60.0),
])
def test_build_distribution(tmp_path: Path, cfg: object, cls: type, mean: float) -> None:
    dist = build_distribution(cfg, tmp_path, "here")  # type: ignore[arg-type]
    assert isinstance(dist, cls)
    assert dist.mean == pytest.approx(mean)


def test_duration_strings_in_distributions() -> None:
    cfg = ExponentialCfg.model_validate({"dist": "exponential", "mean": "3min"})
    assert cfg.mean == 180.0


@pytest.mark.parametrize(("content", "column", "expected"), [
    ("12\n30.5\n\n7\n", None, (12.0, 30.5, 7.0)),             # one number per line
    ("seconds\n12\n30\n", None, (12.0, 30.0)),               # one column with a header
    ("id,handle\n1,40\n2,80\n3,60\n", "handle", (40.0, 80.0, 60.0)),  # a named column
])
def test_empirical_from_file(
    tmp_path: Path, content: str, column: str | None, expected: tuple[float, ...]
) -> None:
    (tmp_path / "data.csv").write_text(content, encoding="utf-8")
    cfg = EmpiricalCfg(dist="empirical", file="data.csv", column=column)
    dist = build_distribution(cfg, tmp_path, "call_types.x.handle_time")
    assert isinstance(dist, d.Empirical)
    assert dist.values == expected
    x = dist.sample(np.random.default_rng(0), 50_000)
    assert set(np.unique(x)) == set(expected)
    sd = float(np.std(expected))
    assert abs(x.mean() - np.mean(expected)) < 5 * sd / math.sqrt(x.size) + 1e-12


def test_empirical_file_is_relative_to_scenario(tmp_path: Path) -> None:
    sub = tmp_path / "data"
    sub.mkdir()
    (sub / "h.txt").write_text("100\n200\n", encoding="utf-8")
    dist = build_distribution(EmpiricalCfg(dist="empirical", file="data/h.txt"), tmp_path, "w")
    assert dist.mean == 150.0


def test_empirical_file_missing(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        build_distribution(EmpiricalCfg(dist="empirical", file="nope.csv"), tmp_path,
                           "call_types.x.handle_time")
    msg = str(info.value)
    assert "call_types.x.handle_time" in msg and "nope.csv" in msg and "not found" in msg
