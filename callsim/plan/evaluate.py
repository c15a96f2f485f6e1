"""Simulating staffing candidates: the one place where the planner runs batches.

Owns :class:`Evaluator` (every simulation of a plan goes through its :meth:`run`, on the
plan's one persistent :class:`~callsim.experiment.backends.Runner`, so its workers start
once for the whole plan), the per-replication tallies it keeps per call type and slot
(:class:`Evaluation`), and the confidence intervals of a KPI of a set of call types in
each slot (:func:`ratio_ci`). Imports the batch layer
(:func:`callsim.experiment.run_batches`, the progress protocol) and the planner's setup;
it must not import the search, schedule or redeploy modules (they import it).

Candidates are run with common random numbers: every candidate of one :meth:`run` call
(and of every call with the same seed) sees the same callers. The per-replication
interval tables come from the batch layer (``run_batches(..., keep_tables=True)``:
:attr:`~callsim.results.BatchResult.per_replication`); a slot's KPI pools its calls over
the days of the horizon and over replications: the ratio estimator
``sum(num) / sum(den)`` with a delta-method Student-t interval across replications.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from callsim.config import Scenario
from callsim.errors import CallsimError
from callsim.experiment import Runner, run_batches
from callsim.experiment.progress import NoProgress, Progress, Shared
from callsim.plan.problem import DAY, PlanSetup
from callsim.plan.targets import Target, kpi_base
from callsim.results import BatchResult

#: Below this many simulations in one call, run them in this process (no pool to start).
SERIAL_BELOW = 16

#: KPI family -> (numerator, denominator) tallies.
RATIOS: dict[str, tuple[str, str]] = {
    "answer_rate": ("answered", "offered"),
    "abandon_rate": ("abandoned", "offered"),
    "asa": ("sumw_ans", "answered"),
    "mean_wait": ("sumw_off", "offered"),
    "sl": ("within", "answered"),
    "sla": ("within", "offered"),
    "caller_answer_rate": ("answered", "callers"),
}


@dataclass(frozen=True)
class Candidate:
    """A scenario to simulate and the key under which its results are cached."""

    key: Hashable
    scenario: Scenario


@dataclass
class KpiStat:
    """A KPI with its confidence interval (arrays: one value per slot, or scalars)."""

    mean: Any
    ci_low: Any
    ci_high: Any
    offered: Any
    n: int


def ratio_ci(num: np.ndarray, den: np.ndarray, level: float) -> tuple[Any, Any, Any]:
    """Ratio estimate ``sum(num) / sum(den)`` over replications (axis 0), and its CI.

    The half-width is ``t * sd(num - R den) / (sqrt(n) mean(den))`` (delta method).
    Where ``den`` is 0 in every replication the estimate is NaN (nothing to judge).
    """
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    n = num.shape[0]
    sden = den.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(sden > 0, num.sum(axis=0) / np.where(sden > 0, sden, 1.0), np.nan)
        if n < 2:
            hw = np.full_like(r, np.inf)
        else:
            resid = num - np.where(np.isnan(r), 0.0, r) * den
            sd = resid.std(axis=0, ddof=1)
            tq = float(stats.t.ppf(0.5 + level / 2.0, n - 1))
            hw = np.where(sden > 0, tq * sd / math.sqrt(n) / np.where(sden > 0, sden / n, 1.0),
                          np.nan)
    return r, r - hw, r + hw


@dataclass
class Evaluation:
    """One candidate's replications, tallied per call type and slot.

    Attributes
    ----------
    batch
        The batch result (overall, per type and per pool KPIs per replication).
    tallies
        Quantity -> array ``[replication, call type, slot]`` summed over the days of the
        horizon: ``offered``, ``answered``, ``abandoned``, ``sumw_ans``, ``sumw_off``,
        ``callers`` (first attempts) and ``within_<t>`` per service-level threshold.
    busy, staffed
        ``[replication, pool, slot]`` mean busy and staffed agents (averaged over days).
    """

    setup: PlanSetup
    batch: BatchResult
    tallies: dict[str, np.ndarray]
    busy: np.ndarray
    staffed: np.ndarray
    seed: int
    level: float
    _cache: dict[tuple[str, tuple[str, ...]], KpiStat] = field(default_factory=dict,
                                                               repr=False)

    @property
    def reps(self) -> int:
        """Replications."""
        return int(self.tallies["offered"].shape[0])

    def parts(self, kpi: str, types: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Numerator and denominator tallies of *kpi* for *types*: ``[replication, slot]``."""
        idx = [self.setup.types.index(t) for t in types]
        base = kpi_base(kpi)
        num_name, den_name = RATIOS[base]
        if num_name == "within":
            num_name = f"within_{kpi[len(base) + 1:]}"
        num = self.tallies[num_name][:, idx, :].sum(axis=1)
        den = self.tallies[den_name][:, idx, :].sum(axis=1)
        return num, den

    def kpi(self, kpi: str, types: tuple[str, ...]) -> KpiStat:
        """*kpi* of the calls of *types* in each slot (NaN where no call was offered)."""
        key = (kpi, tuple(types))
        if key not in self._cache:
            num, den = self.parts(kpi, types)
            mean, lo, hi = ratio_ci(num, den, self.level)
            if kpi_base(kpi) in ("answer_rate", "abandon_rate", "sl", "sla"):  # not per caller
                lo, hi = np.clip(lo, 0.0, 1.0), np.clip(hi, 0.0, 1.0)  # shares stay shares
            offered = self.tallies["offered"][:, [self.setup.types.index(t) for t in types],
                                              :].sum(axis=1).mean(axis=0)
            self._cache[key] = KpiStat(mean, lo, hi, offered, self.reps)
        return self._cache[key]

    def day_kpi(self, kpi: str, types: tuple[str, ...]) -> KpiStat:
        """*kpi* of the calls of *types* over every judged slot of the day."""
        num, den = self.parts(kpi, types)
        j = self.setup.judged
        mean, lo, hi = ratio_ci(num[:, j].sum(axis=1), den[:, j].sum(axis=1), self.level)
        offered = float(den[:, j].sum(axis=1).mean())
        return KpiStat(float(mean), float(lo), float(hi), offered, self.reps)

    def met(self, target: Target, types: tuple[str, ...]) -> np.ndarray:
        """Per slot: the target is proven (CI bound) or there is nothing to judge."""
        s = self.kpi(target.kpi, types)
        ok = np.array([target.meets(lo, hi) for lo, hi in zip(s.ci_low, s.ci_high,
                                                               strict=True)])
        return ok | np.isnan(s.mean) | ~self.setup.judged

    def occupancy(self, pool: str) -> np.ndarray:
        """Mean occupancy of *pool* per slot (busy / staffed)."""
        p = self.setup.pools.index(pool)
        with np.errstate(invalid="ignore", divide="ignore"):
            b = self.busy[:, p, :].mean(axis=0)
            s = self.staffed[:, p, :].mean(axis=0)
            return np.where(s > 0, b / np.where(s > 0, s, 1.0), np.nan)


class Evaluator:
    """Runs candidates in batches with common random numbers and keeps their tallies.

    Parameters
    ----------
    setup
        The plan's setup (slots, call types, pools).
    reps
        Replications per candidate.
    level
        Confidence level of the intervals.
    runner
        The plan's persistent :class:`~callsim.experiment.backends.Runner` (the caller
        starts and closes it). Batches of fewer than :data:`SERIAL_BELOW` simulations
        run in this process instead (not worth a round trip to the workers); default:
        everything in this process.
    progress
        The plan's progress display: every batch adds its simulations to the total and
        advances it as replications finish.
    """

    def __init__(self, setup: PlanSetup, reps: int, level: float = 0.95, *,
                 runner: Runner | None = None, progress: Progress | None = None) -> None:
        if reps < 2:
            raise ValueError("a plan needs at least 2 replications per candidate (for a CI)")
        self.setup = setup
        self.reps = reps
        self.level = level
        self.runner = runner
        self.serial = Runner("serial")
        self.progress: Progress = progress if progress is not None else NoProgress()
        self.simulations = 0
        self.batches = 0
        self._cache: dict[tuple[Hashable, int, int], Evaluation] = {}

    def say(self, text: str) -> None:
        """Show what the planner does now."""
        self.progress.describe(text)

    def candidate(self, staffing: Mapping[str, Any]) -> Candidate:
        """A candidate giving the planned pools *staffing* (pool -> whole agents per slot)."""
        key = ("per_interval", tuple((p, tuple(int(x) for x in staffing[p]))
                                     for p in sorted(staffing)))
        return Candidate(key, self.setup.scenario_for(staffing))

    def run(self, candidates: Mapping[str, Candidate], seed: int,
            reps: int | None = None) -> dict[str, Evaluation]:
        """Simulate *candidates* (name -> candidate), all with root seed *seed*.

        Candidates already run with this seed and replication count are not run again.
        """
        reps = self.reps if reps is None else reps
        out: dict[str, Evaluation] = {}
        todo: dict[str, Candidate] = {}
        for name, cand in candidates.items():
            hit = self._cache.get((cand.key, seed, reps))
            if hit is not None:
                out[name] = hit
            elif not any(c.key == cand.key for c in todo.values()):
                todo[name] = cand
        if todo:
            keys = {name: f"d{i}" for i, name in enumerate(todo)}
            n_sims = reps * len(todo)
            runner = self.runner if self.runner is not None and n_sims >= SERIAL_BELOW \
                else self.serial
            batches = run_batches({keys[n]: c.scenario for n, c in todo.items()},
                                  reps=reps, seed=seed, level=self.level, runner=runner,
                                  progress=Shared(self.progress), keep_tables=True)
            for name, cand in todo.items():
                self._cache[(cand.key, seed, reps)] = self._read(batches[keys[name]], seed,
                                                                 reps)
            self.simulations += n_sims
            self.batches += 1
        for name, cand in candidates.items():
            out[name] = self._cache[(cand.key, seed, reps)]
        return out

    def _read(self, batch: BatchResult, seed: int, reps: int) -> Evaluation:
        su = self.setup
        sc = su.scenario
        K, J, P = len(su.types), su.n_slots, len(su.pools)
        thresholds = list(sc.kpis.service_levels)
        names = ["offered", "answered", "abandoned", "sumw_ans", "sumw_off", "callers",
                 *(f"within_{_sl(t)}" for t in thresholds)]
        tal = {n: np.zeros((reps, K, J)) for n in names}
        busy = np.zeros((reps, P, J))
        staffed = np.zeros((reps, P, J))
        tindex = {t: k for k, t in enumerate(su.types)}
        pindex = {p: i for i, p in enumerate(su.pools)}
        h = sc.horizon
        tables = batch.per_replication
        if "intervals" not in tables or "agents" not in tables:
            raise CallsimError(f"{batch.scenario}: the batch kept no per-replication "
                               "interval tables")
        ivs = tables["intervals"].groupby("replication")
        ags = tables["agents"].groupby("replication")
        for r in range(reps):
            iv = ivs.get_group(r)
            iv = iv[(iv["call_type"] != "all") & (iv["start"] >= h.warmup - 1e-9)
                    & (iv["start"] < h.length)]
            k = iv["call_type"].map(tindex).to_numpy(dtype=np.int64)
            j = (((h.start + iv["start"].to_numpy(dtype=float)) % DAY) // su.slot
                 ).astype(np.int64)
            ans = iv["answered"].to_numpy(dtype=float)
            off = iv["offered"].to_numpy(dtype=float)
            vals = {
                "offered": off, "answered": ans,
                "abandoned": iv["abandoned"].to_numpy(dtype=float),
                "callers": iv["callers"].to_numpy(dtype=float),
                "sumw_ans": np.nan_to_num(iv["asa"].to_numpy(dtype=float)) * ans,
                "sumw_off": np.nan_to_num(iv["mean_wait"].to_numpy(dtype=float)) * off,
            }
            for t in thresholds:
                col = f"sl_{_sl(t)}"
                vals[f"within_{_sl(t)}"] = np.nan_to_num(iv[col].to_numpy(dtype=float)) * ans
            for name, v in vals.items():
                np.add.at(tal[name][r], (k, j), v)
            ag = ags.get_group(r)
            ag = ag[ag["start"] < h.length]
            p = ag["pool"].map(pindex).to_numpy(dtype=np.int64)
            j = (((h.start + ag["start"].to_numpy(dtype=float)) % DAY) // su.slot
                 ).astype(np.int64)
            days = np.zeros((P, J))
            np.add.at(days, (p, j), 1.0)
            np.add.at(busy[r], (p, j), ag["busy"].to_numpy(dtype=float))
            np.add.at(staffed[r], (p, j), ag["staffed"].to_numpy(dtype=float))
            with np.errstate(invalid="ignore", divide="ignore"):
                busy[r] = np.where(days > 0, busy[r] / np.maximum(days, 1), 0.0)
                staffed[r] = np.where(days > 0, staffed[r] / np.maximum(days, 1), 0.0)
        return Evaluation(su, batch, tal, busy, staffed, seed, self.level)


def _sl(t: float) -> str:
    return f"{t:g}".replace(".", "_")
