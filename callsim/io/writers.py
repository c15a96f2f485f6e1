"""The result files of a run folder: summaries, CSV tables and their JSON documents.

Owns what a finished batch, comparison or sweep writes beside its records (the file
names and order are :mod:`callsim.io.rundir`'s layout): every file goes through the one
atomic write, and the file that marks a set complete (``summary.json``,
``comparison.json``, ``sweep.json``) is removed first and written last, so a folder
interrupted while writing never shows a finished set mixed from two runs. Imports
:mod:`callsim.io.atomic`, :mod:`callsim.io.encoding`, :mod:`callsim.io.rundir` and
:mod:`callsim.results`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, cast

import pandas as pd

from callsim.io.atomic import atomic_write, atomic_write_text, make_dir, remove
from callsim.io.encoding import dumps, jsonable
from callsim.io.rundir import BATCH_FILES, COMPARISON_FILES, DONE, SWEEP_FILES
from callsim.results.comparison import Comparison
from callsim.results.types import BatchResult, SweepResult

_STATS = ("mean", "half_width", "ci_low", "ci_high", "n")


def summary_dict(batch: BatchResult) -> dict[str, Any]:
    """``{"scenario", "seed", "replications", "level", "kpis": {name: {mean, half_width,
    ci_low, ci_high, n}}, "meta"?}`` (JSON-ready; undefined values are ``None``)."""
    s = batch.summary
    return {
        "scenario": batch.scenario,
        "seed": batch.seed,
        "replications": int(s["n"].max()) if len(s) else 0,
        "level": batch.level,
        "kpis": {
            str(k): {c: jsonable(float(cast(float, s.at[k, c]))) if c != "n"
                     else int(cast(int, s.at[k, c])) for c in _STATS}
            for k in s.index
        },
        **({"meta": jsonable(batch.meta)} if batch.meta else {}),
    }


def comparison_doc(comp: Comparison) -> dict[str, Any]:
    """JSON-ready: per design the overall KPI summary, and the paired differences."""
    out: dict[str, Any] = {"seed": comp.seed, "level": comp.level,
                           "reference": comp.reference, "designs": {}}
    for name, b in comp.batches.items():
        s = b.summary
        out["designs"][name] = {str(k): {c: s.at[k, c] for c in s.columns}
                                for k in s.index if "." not in str(k)}
    out["differences"] = comp.differences().to_dict(orient="records")
    return cast(dict[str, Any], jsonable(out))


def _csv(df: pd.DataFrame, index: bool) -> Callable[[IO[str]], None]:
    def write(fh: IO[str]) -> None:
        df.to_csv(fh, index=index)
    return write


def _text(text: str) -> Callable[[IO[str]], None]:
    def write(fh: IO[str]) -> None:
        fh.write(text)
    return write


def _write_set(root: Path, names: tuple[str, ...], kind: str,
               writers: dict[str, Callable[[IO[str]], None]]) -> list[Path]:
    """Write *names* in order, the completion marker of *kind* removed first."""
    make_dir(root)
    remove(root / DONE[kind])
    return [atomic_write(root / n, writers[n]) for n in names]


def write_batch(batch: BatchResult, root: Path | str) -> list[Path]:
    """A finished batch's files (:data:`~callsim.io.rundir.BATCH_FILES`) in *root*."""
    doc = dumps(summary_dict(batch), indent=2)
    return _write_set(Path(root), BATCH_FILES, "batch", {
        "replications.csv": _csv(batch.replications, index=True),
        "intervals.csv": _csv(batch.intervals, index=False),
        "agents.csv": _csv(batch.agents, index=False),
        "clock.csv": _csv(batch.clock, index=False),
        "summary.json": _text(doc),
    })


def write_comparison(comp: Comparison, root: Path | str) -> list[Path]:
    """A comparison's files (:data:`~callsim.io.rundir.COMPARISON_FILES`) in *root*:
    ``comparison.csv`` (paired differences, every KPI), ``summary.csv`` (per design)
    and ``comparison.json``."""
    doc = dumps(comparison_doc(comp), indent=2)
    return _write_set(Path(root), COMPARISON_FILES, "comparison", {
        "comparison.csv": _csv(comp.differences(overall_only=False), index=False),
        "summary.csv": _csv(comp.summary, index=False),
        "comparison.json": _text(doc),
    })


def write_sweep(result: SweepResult, root: Path | str, dirs: list[str]) -> list[Path]:
    """A sweep's files (:data:`~callsim.io.rundir.SWEEP_FILES`) in *root*; *dirs* are
    the grid points' run folders, relative to *root*."""
    doc = {"kind": "sweep", "scenario": result.scenario, "seed": result.seed,
           "grid": result.grid,
           "points": [{"overrides": pt, "dir": d, "replications": len(b.replications),
                       **({"stopping": b.meta["stopping"]} if "stopping" in b.meta else {})}
                      for pt, d, b in zip(result.points, dirs, result.batches, strict=True)]}
    text = dumps(doc, indent=2)
    return _write_set(Path(root), SWEEP_FILES, "sweep", {
        "sweep.csv": _csv(result.table, index=False),
        "sweep.json": _text(text),
    })


def write_json(path: Path, doc: Any) -> Path:
    """*doc* as indented JSON at *path*, atomically."""
    return atomic_write_text(path, dumps(doc, indent=2))
