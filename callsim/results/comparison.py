"""Paired differences between designs run on the same callers.

Owns :class:`Comparison`: designs compared with the same seed and replication numbers
(common random numbers) and their paired differences from the first, with t-CIs and
p-values. A design compared with itself differs by exactly 0. Imports
:mod:`callsim.results.stats` and :mod:`callsim.results.types`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from callsim.results.stats import t_halfwidth
from callsim.results.types import BatchResult


@dataclass
class Comparison:
    """Designs run on the same callers, and their paired differences from the first.

    Attributes
    ----------
    batches
        Design name → its :class:`~callsim.experiment.BatchResult`, in order; the first
        is the reference.
    """

    batches: dict[str, BatchResult]
    seed: int
    level: float = 0.95
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def designs(self) -> list[str]:
        """Design names, the reference first."""
        return list(self.batches)

    @property
    def reference(self) -> str:
        """The design the others are compared with."""
        return self.designs[0]

    def kpi_names(self, overall_only: bool = True) -> list[str]:
        """KPIs every design reports (overall ones unless *overall_only* is False)."""
        cols = [set(b.replications.columns) for b in self.batches.values()]
        common = set.intersection(*cols)
        first = list(next(iter(self.batches.values())).replications.columns)
        return [c for c in first if c in common and (not overall_only or "." not in c)]

    @property
    def summary(self) -> pd.DataFrame:
        """Long table: one row per design × KPI with mean, half_width, ci_low, ci_high, n."""
        frames = []
        for name, b in self.batches.items():
            s = b.summary.reset_index()
            s.insert(0, "design", name)
            frames.append(s)
        return pd.concat(frames, ignore_index=True)

    def differences(self, overall_only: bool = True) -> pd.DataFrame:
        """Paired differences (design − reference) per KPI, with a t-CI and p-value.

        ``significant`` is True when the CI excludes 0. Identical designs give a
        difference of exactly 0 with a zero-width CI (not significant).
        """
        ref = self.batches[self.reference].replications
        rows = []
        for name in self.designs[1:]:
            other = self.batches[name].replications
            idx = ref.index.intersection(other.index)
            for kpi in self.kpi_names(overall_only):
                if ref[kpi].isna().all() and other[kpi].isna().all():
                    continue  # undefined in both (e.g. callback delay without callbacks)
                d = other.loc[idx, kpi].to_numpy(float) - ref.loc[idx, kpi].to_numpy(float)
                d = d[~np.isnan(d)]
                mean, hw, n = t_halfwidth(d, self.level)
                if n >= 2 and np.all(d == d[0]):
                    hw = 0.0
                    p = 1.0 if d[0] == 0 else 0.0
                elif n >= 2:
                    p = float(stats.ttest_1samp(d, 0.0).pvalue)
                else:
                    p = math.nan
                rows.append({
                    "design": name, "reference": self.reference, "kpi": kpi,
                    "reference_mean": _nanmean(ref.loc[idx, kpi].to_numpy(float)),
                    "design_mean": _nanmean(other.loc[idx, kpi].to_numpy(float)),
                    "difference": mean, "half_width": hw, "ci_low": mean - hw,
                    "ci_high": mean + hw, "p_value": p, "n": n,
                    "significant": bool(n >= 2 and (mean - hw > 0 or mean + hw < 0)),
                })
        return pd.DataFrame(rows)


def _nanmean(values: np.ndarray) -> float:
    v = values[~np.isnan(values)]
    return float(v.mean()) if v.size else math.nan
