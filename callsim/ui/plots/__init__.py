"""Figures (matplotlib): each function takes results and returns a Figure.

Owns every picture callsim makes. Every function either draws a new
:class:`~matplotlib.figure.Figure` or, given ``ax=``, draws on that Axes and returns
its figure. Figures are made without :mod:`matplotlib.pyplot` (so nothing is shown,
registered or leaked, and any backend works, headless included); in a notebook the
returned figure displays itself, and ``fig.savefig(path)`` writes it.

Which results each function takes
---------------------------------
Interval plots (:func:`waiting_calls`, :func:`interval_kpi`, :func:`interval_overview`,
:func:`agents_by_pool`, :func:`answer_rate_heatmap`) take *per-replication* data so
that they can draw a confidence band across replications:

- a list of :class:`~callsim.results.ReplicationResult` (e.g. from
  :func:`replications`, which runs them) - mean and a t-CI band;
- one :class:`~callsim.results.ReplicationResult` - one line, no band;
- a :class:`~callsim.experiment.BatchResult` - its interval means only (a batch keeps
  averaged interval tables), so no band;
- a DataFrame shaped like ``ReplicationResult.intervals`` / ``.agents``, with an
  optional ``replication`` column (bands when it holds several replications).

:func:`wait_survival` needs per-call records (``record_calls=True``);
:mod:`~callsim.ui.plots.planning` draws the planning layer's tables (staffing plans,
calibrations, menu searches); :func:`forest` takes a :class:`~callsim.results.Comparison` or its
``differences()`` table; :func:`sweep_kpi` takes a sweep result's tidy ``table``
(one row per grid point × KPI with ``mean``, ``half_width``, ``ci_low``, ``ci_high``,
``n``); :func:`ci_convergence` takes a batch (or its ``replications`` table).

Time axes show the clock (HH:MM): an interval's ``start`` seconds plus the scenario's
clock start, which is read off the tables' ``clock`` labels ("d1 09:00").
Imports :mod:`callsim.results` (result types); :func:`replications` imports the
experiment layer when called.
"""


from callsim.ui.plots.common import (
    IntervalResults,
    band,
    clock_axis,
    clock_start,
    is_rate,
    is_seconds,
    kpi_label,
    kpi_name,
    replications,
    save,
    signed_difference,
)
from callsim.ui.plots.compare import ci_convergence, comparison_day, forest, sweep_kpi
from callsim.ui.plots.day import (
    agents_by_pool,
    answer_rate_heatmap,
    interval_kpi,
    interval_overview,
    waiting_calls,
)
from callsim.ui.plots.fit import fit_estimate_by_clock
from callsim.ui.plots.planning import (
    calibration_residuals,
    design_ranking,
    misfit_by_round,
    staffing_by_slot,
    targets_by_slot,
)
from callsim.ui.plots.waits import survival, wait_survival

__all__ = [
    "IntervalResults",
    "agents_by_pool",
    "answer_rate_heatmap",
    "band",
    "calibration_residuals",
    "ci_convergence",
    "clock_axis",
    "clock_start",
    "comparison_day",
    "design_ranking",
    "fit_estimate_by_clock",
    "forest",
    "interval_kpi",
    "interval_overview",
    "is_rate",
    "is_seconds",
    "kpi_label",
    "kpi_name",
    "misfit_by_round",
    "replications",
    "save",
    "signed_difference",
    "staffing_by_slot",
    "survival",
    "sweep_kpi",
    "targets_by_slot",
    "wait_survival",
    "waiting_calls",
]
