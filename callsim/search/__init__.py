"""Searching the design space: calibration to reported figures and menu layouts.

Public API (see each module for the method):

* :func:`search` — best values of free scenario parameters for an objective under
  constraints (optuna TPE with the extra ``callsim[search]``, else Sobol boxes);
* :func:`calibrate` — fit free parameters so simulated KPIs match targets
  ``KPI=VALUE±TOL`` (response surfaces; uncertainty; identifiability);
* :func:`optimise_menu` — the best layout of an IVR menu (successive halving);
* building blocks: :class:`ParameterSpace`, :class:`Objective`, :class:`Constraint`,
  :class:`Target`, :class:`Execution`, :func:`evaluate` (the one function every batch
  of every search goes through), :func:`rank_and_select`.

Every candidate of a batch runs the same seed and replication numbers (common random
numbers); the final ranking and selection runs on the user's seed with fresh
replications. The package imports the batch layer (``callsim.run_batches``) and
:mod:`callsim.config`, and no UI (its terminal tables are
:mod:`callsim.ui.search_tables`); nothing in callsim imports it but the CLI.
"""

from callsim.search.calibrate import CalibrationResult, calibrate
from callsim.search.evaluate import (
    Execution,
    evaluate,
    execution_from_options,
    paired,
    search_seed,
)
from callsim.search.kpis import Constraint, KpiExpr, Objective, Target
from callsim.search.layout import Layout, PromptRule, menu_units
from callsim.search.menu import (
    MenuSearchResult,
    layout_labels,
    optimise_menu,
    write_menu_search,
)
from callsim.search.optimise import SearchResult, search
from callsim.search.output import write_calibration
from callsim.search.select import Selection, rank_and_select
from callsim.search.space import Param, ParameterSpace

__all__ = [
    "CalibrationResult",
    "Constraint",
    "Execution",
    "KpiExpr",
    "Layout",
    "MenuSearchResult",
    "Objective",
    "Param",
    "ParameterSpace",
    "PromptRule",
    "SearchResult",
    "Selection",
    "Target",
    "calibrate",
    "evaluate",
    "execution_from_options",
    "layout_labels",
    "menu_units",
    "optimise_menu",
    "paired",
    "rank_and_select",
    "search",
    "search_seed",
    "write_calibration",
    "write_menu_search",
]
