"""Reading a run folder back: what ``callsim report`` and ``callsim plot`` draw from.

Owns :class:`RunDir` and :func:`load_run_dir`, which read any folder of the layout in
:mod:`callsim.io.rundir` (a run, a comparison or a sweep, however written), and the
per-replication tables of a run folder's checksummed records. Imports
:mod:`callsim.io.rundir`, :mod:`callsim.io.records` and :mod:`callsim.errors`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from callsim.errors import ConfigError
from callsim.io.records import DamagedRecord, read_record
from callsim.io.rundir import DONE, REPS, folder_kind, read_manifest

log = logging.getLogger(__name__)


@dataclass
class RunDir:
    """What a run folder holds, read back.

    Attributes
    ----------
    kind
        ``"run"``, ``"comparison"`` or ``"sweep"``.
    doc
        ``summary.json``, ``comparison.json`` or ``sweep.json``.
    replications
        Per-replication KPIs (a run).
    intervals, agents
        Interval and agent tables with a ``replication`` column: one replication per
        record in ``reps/``, or the means (``replication`` 0) when there are none.
    per_replication
        Whether ``intervals``/``agents`` hold each replication (bands can be drawn).
    clock
        Clock-of-day KPIs (``clock.csv``), when the run wrote them.
    differences, design_summary
        A comparison's paired differences and per-design summaries.
    sweep_table
        A sweep's tidy table.
    extra_images
        Figures already in the folder (``comparison.png``), by name.
    """

    path: Path
    kind: str
    doc: dict[str, Any]
    replications: pd.DataFrame | None = None
    intervals: pd.DataFrame | None = None
    agents: pd.DataFrame | None = None
    per_replication: bool = False
    clock: pd.DataFrame | None = None
    differences: pd.DataFrame | None = None
    design_summary: pd.DataFrame | None = None
    sweep_table: pd.DataFrame | None = None
    extra_images: dict[str, Path] = field(default_factory=dict)

    @property
    def title(self) -> str:
        """A title for the folder's report."""
        if self.kind == "comparison":
            return f"{' vs '.join(self.doc.get('designs', {}))}: design comparison"
        if self.kind == "sweep":
            return f"{self.doc.get('scenario', self.path.name)}: what-if sweep"
        return f"{self.doc.get('scenario', self.path.name)}: simulation results"

    @property
    def n_reps(self) -> int:
        """Replications (per design or grid point, the most of any)."""
        if self.kind == "run":
            return int(self.doc.get("replications", 0))
        if self.kind == "comparison" and self.differences is not None and len(
                self.differences):
            return int(self.differences["n"].max())
        if self.sweep_table is not None and len(self.sweep_table):
            return int(self.sweep_table["n"].max())
        return 0


def _read_json(p: Path) -> dict[str, Any]:
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{p}: cannot be read ({exc})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: expected a JSON object")
    return data


def replication_tables(root: Path, n: int) -> dict[str, pd.DataFrame]:
    """The records of replications 0 .. n-1 in ``root/reps`` as long tables with a
    ``replication`` column (``intervals``, ``agents``); empty if any is missing or
    fails its checksum."""
    manifest = read_manifest(root)
    files = [root / REPS / f"r{r:06d}.json" for r in range(n)]
    if n < 1 or manifest is None or not all(f.is_file() for f in files):
        return {}
    fp = str(manifest.get("fingerprint", ""))
    frames: dict[str, list[pd.DataFrame]] = {"intervals": [], "agents": []}
    for r, f in enumerate(files):
        try:
            rec = read_record(f, fp)
        except DamagedRecord as exc:
            log.warning("%s is not used (%s): figures show interval means only", f, exc)
            return {}
        for name, parts in frames.items():
            if name not in rec.tables:
                return {}
            t = rec.tables[name].to_frame()
            t["replication"] = r
            parts.append(t)
    return {k: pd.concat(v, ignore_index=True) for k, v in frames.items()}


def _csv(p: Path, **kw: Any) -> pd.DataFrame | None:
    return pd.read_csv(p, **kw) if p.is_file() else None


def load_run_dir(path: str | Path) -> RunDir:
    """Read a folder written by ``callsim run/compare/sweep --out`` or the API's ``out=``.

    Raises
    ------
    ConfigError
        When *path* is not a folder, holds no callsim results, or an unfinished run.
    """
    root = Path(path)
    if not root.is_dir():
        raise ConfigError(f"{root}: no such directory (give the --out directory of "
                          "`callsim run`, `compare` or `sweep`)")
    kind = folder_kind(root)
    if kind is None:
        raise ConfigError(f"{root}: no callsim results here (expected summary.json, "
                          "comparison.json or sweep.json, as written by `callsim run/"
                          "compare/sweep --out`)")
    if not (root / DONE[kind]).is_file():
        raise ConfigError(f"{root}: an unfinished callsim {kind} run (no {DONE[kind]} "
                          "yet); rerun the command that started it to finish it")
    if kind == "comparison":
        run = RunDir(root, "comparison", _read_json(root / "comparison.json"))
        run.differences = _csv(root / "comparison.csv")
        if run.differences is None:
            run.differences = pd.DataFrame(run.doc.get("differences", []))
        run.design_summary = _csv(root / "summary.csv")
        if (root / "comparison.png").is_file():
            run.extra_images["comparison_day"] = root / "comparison.png"
        return run
    if kind == "sweep":
        doc = _read_json(root / "sweep.json")
        table = _csv(root / "sweep.csv")
        if table is None:
            raise ConfigError(f"{root}: sweep.csv is missing; rerun the sweep to write it")
        return RunDir(root, "sweep", doc, sweep_table=table)
    run = RunDir(root, "run", _read_json(root / "summary.json"))
    run.replications = _csv(root / "replications.csv", index_col=0)
    run.clock = _csv(root / "clock.csv")
    tables = replication_tables(root, run.n_reps)
    if tables:
        run.intervals, run.agents = tables["intervals"], tables["agents"]
        run.per_replication = True
    else:
        for name in ("intervals", "agents"):
            df = _csv(root / f"{name}.csv")
            if df is not None:
                setattr(run, name, df.assign(replication=0))
    return run
