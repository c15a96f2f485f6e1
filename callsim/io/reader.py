"""Reading a folder of results back: what ``callsim report`` and ``callsim plot`` draw from.

Owns :class:`RunDir`, :func:`load_run_dir` and the registry of folder kinds
(:class:`FolderKind`, :func:`register_folder_kind`): how each kind of results folder is
recognised and what is read from it. Two families:

- manifest kinds, the layout of :mod:`callsim.io.rundir` (however written): ``run``
  (a batch), ``compare`` and ``sweep``;
- document kinds, a folder marked by one JSON document written last by the command
  that made it (``staff``: ``plan.json``; ``calibrate``: ``calibration.json``;
  ``optimise-menu``: ``menu_search.json``; ``replay``: ``replay.json`` in a comparison
  folder), with CSV tables and PNG figures beside it.

A ``callsim score`` of a run, comparison or replay folder (``score.json``, ``score.csv``,
``score.png`` written into it) is attached to what the folder is (:func:`attach_score`).

A folder holding a registered document marker is of that kind (checked first, so a
document can mark a folder that also has a manifest); else the manifest decides.
Adding a kind is one :func:`register_folder_kind` call (see /work/notes/REPORT.md and
:mod:`callsim.ui.report`). Also owns the per-replication tables of a run folder's
checksummed records. Imports :mod:`callsim.io.rundir`, :mod:`callsim.io.records` and
:mod:`callsim.errors`.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from callsim.errors import ConfigError
from callsim.io.records import DamagedRecord, read_record
from callsim.io.rundir import DONE, REPS, folder_kind, read_manifest

log = logging.getLogger(__name__)

#: RunDir kind of each manifest kind (:data:`callsim.io.rundir.KINDS`).
MANIFEST_KINDS = {"batch": "run", "comparison": "compare", "sweep": "sweep"}


@dataclass
class RunDir:
    """What a results folder holds, read back (or built in memory from a result).

    Attributes
    ----------
    kind
        ``"run"``, ``"compare"``, ``"sweep"``, or a document kind (``"staff"``,
        ``"calibrate"``, ``"optimise-menu"``, ... see :data:`FOLDER_KINDS`).
    doc
        The folder's JSON document: ``summary.json``, ``comparison.json``,
        ``sweep.json`` or a document kind's marker.
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
    tables
        A document kind's CSV tables, by file stem.
    extra_images
        Figures already in the folder (``comparison.png``, ``plan.png``), by name.
    window
        Seconds measured per replication (the horizon less the warm-up), when known:
        what a count such as ``answered`` is counted over.
    heading
        What the results are (the report title after the scenario's name).
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
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    extra_images: dict[str, Path] = field(default_factory=dict)
    window: float | None = None
    heading: str = ""

    @property
    def title(self) -> str:
        """A title for the folder's report."""
        if self.kind == "compare":
            return f"{' vs '.join(self.doc.get('designs', {}))}: design comparison"
        if self.kind == "sweep":
            return f"{self.doc.get('scenario', self.path.name)}: what-if sweep"
        if self.kind == "run":
            return f"{self.doc.get('scenario', self.path.name)}: simulation results"
        return f"{self.doc.get('scenario', self.path.name)}: {self.heading or self.kind}"

    @property
    def n_reps(self) -> int:
        """Replications (per design or grid point, the most of any; a document kind's
        ``replications`` field)."""
        if self.kind == "run":
            return int(self.doc.get("replications", 0))
        if self.kind in ("compare", "replay") and self.differences is not None and len(
                self.differences):
            return int(self.differences["n"].max())
        if self.kind == "sweep" and self.sweep_table is not None and len(self.sweep_table):
            return int(self.sweep_table["n"].max())
        return int(self.doc.get("replications", 0) or 0)


@dataclass(frozen=True)
class FolderKind:
    """How a kind of results folder is recognised and read.

    Attributes
    ----------
    kind
        :attr:`RunDir.kind` (the key of its report renderer in :mod:`callsim.ui.report`).
    marker
        The JSON document whose presence makes a folder this kind (written last by the
        command); ``""`` for the manifest kinds.
    command
        The command that writes such a folder (for messages).
    title
        What the results are, after the scenario's name in the report title.
    tables, images
        CSV tables (read into :attr:`RunDir.tables` by stem, when present) and PNG
        figures (:attr:`RunDir.extra_images`) of the folder.
    read
        A reader of its own (``read(root) -> RunDir``) instead of the document reader.
    """

    kind: str
    marker: str
    command: str
    title: str = ""
    tables: tuple[str, ...] = ()
    images: tuple[str, ...] = ()
    read: Callable[[Path], RunDir] | None = None


#: Registered document kinds, in the order they are checked.
FOLDER_KINDS: dict[str, FolderKind] = {}


def register_folder_kind(kind: FolderKind) -> FolderKind:
    """Make :func:`load_run_dir` recognise folders holding ``kind.marker`` as *kind*."""
    FOLDER_KINDS[kind.kind] = kind
    return kind


def _read_json(p: Path) -> dict[str, Any]:
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{p}: cannot be read ({exc})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: expected a JSON object")
    return data


def _csv(p: Path, **kw: Any) -> pd.DataFrame | None:
    return pd.read_csv(p, **kw) if p.is_file() else None


def read_document(root: Path, kind: FolderKind) -> RunDir:
    """A document kind's folder: the marker JSON, its CSV tables and PNG figures."""
    doc = _read_json(root / kind.marker)
    run = RunDir(root, kind.kind, doc, heading=kind.title)
    for name in kind.tables:
        df = _csv(root / name)
        if df is not None:
            run.tables[Path(name).stem] = df
    for name in kind.images:
        if (root / name).is_file():
            run.extra_images[Path(name).stem] = root / name
    w = doc.get("window_s")
    run.window = float(w) if isinstance(w, int | float) else None
    return run


register_folder_kind(FolderKind(
    "staff", "plan.json", "callsim staff -o DIR", "staffing plan",
    tables=("requirements.csv", "verification.csv"), images=("plan.png",)))
register_folder_kind(FolderKind(
    "calibrate", "calibration.json", "callsim calibrate --report-dir DIR", "calibration",
    tables=("residuals.csv", "parameters.csv", "history.csv")))
register_folder_kind(FolderKind(
    "optimise-menu", "menu_search.json", "callsim optimise-menu -o DIR", "menu search",
    tables=("layouts.csv", "selection.csv", "kpis.csv")))


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


def _window(summary: dict[str, Any]) -> float | None:
    meta = summary.get("meta")
    w = meta.get("window") if isinstance(meta, dict) else None
    return float(w) if isinstance(w, int | float) and math.isfinite(w) else None


def _first_window(root: Path, folders: list[str]) -> float | None:
    """The measured window of the first of *folders* (run folders under *root*)."""
    for name in folders:
        p = root / name / "summary.json"
        if p.is_file():
            return _window(_read_json(p))
    return None


def read_comparison(root: Path) -> RunDir:
    """A finished comparison folder (``comparison.json`` and its tables)."""
    run = RunDir(root, "compare", _read_json(root / "comparison.json"))
    run.differences = _csv(root / "comparison.csv")
    if run.differences is None:
        run.differences = pd.DataFrame(run.doc.get("differences", []))
    run.design_summary = _csv(root / "summary.csv")
    if (root / "comparison.png").is_file():
        run.extra_images["comparison_day"] = root / "comparison.png"
    manifest = read_manifest(root) or {}
    designs = manifest.get("designs")
    run.window = _first_window(root, [str(v) for v in designs.values()]
                               if isinstance(designs, dict) else [])
    return attach_score(run, root)


def read_sweep(root: Path) -> RunDir:
    """A finished sweep folder (``sweep.json`` and ``sweep.csv``)."""
    doc = _read_json(root / "sweep.json")
    table = _csv(root / "sweep.csv")
    if table is None:
        raise ConfigError(f"{root}: sweep.csv is missing; rerun the sweep to write it")
    run = RunDir(root, "sweep", doc, sweep_table=table)
    points = doc.get("points")
    run.window = _first_window(root, [str(p.get("dir")) for p in points
                                      if isinstance(p, dict) and p.get("dir")]
                               if isinstance(points, list) else [])
    return run


def attach_score(run: RunDir, root: Path) -> RunDir:
    """Add a ``callsim score`` of the folder, when it holds one (issue 11): its document
    as ``run.doc["score"]``, ``score.csv`` as ``run.tables["score"]`` and ``score.png``
    as ``run.extra_images["score"]``. A score is written into the folder it scores, so
    it never decides the folder's kind."""
    p = root / "score.json"
    if p.is_file():
        run.doc = {**run.doc, "score": _read_json(p)}
        table = _csv(root / "score.csv")
        if table is not None:
            run.tables["score"] = table
        if (root / "score.png").is_file():
            run.extra_images["score"] = root / "score.png"
    return run


def read_replay(root: Path) -> RunDir:
    """A ``callsim replay --out`` folder: a comparison folder whose ``replay.json`` says
    which log's recorded callers went through which designs (kind ``replay``)."""
    run = read_comparison(root)
    run.kind = "replay"
    rep = _read_json(root / "replay.json")
    run.doc = {**run.doc, "replay": rep, "scenario": rep.get("scenario", root.name)}
    run.heading = "replay of the log"
    return run


register_folder_kind(FolderKind(
    "replay", "replay.json", "callsim replay LOG --design D.yaml --out DIR",
    "replay of the log", read=read_replay))


def read_batch(root: Path) -> RunDir:
    """A finished run folder (``summary.json``, the CSV tables and the records)."""
    run = RunDir(root, "run", _read_json(root / "summary.json"))
    run.replications = _csv(root / "replications.csv", index_col=0)
    run.clock = _csv(root / "clock.csv")
    run.window = _window(run.doc)
    tables = replication_tables(root, run.n_reps)
    if tables:
        run.intervals, run.agents = tables["intervals"], tables["agents"]
        run.per_replication = True
    else:
        for name in ("intervals", "agents"):
            df = _csv(root / f"{name}.csv")
            if df is not None:
                setattr(run, name, df.assign(replication=0))
    return attach_score(run, root)


_MANIFEST_READERS: dict[str, Callable[[Path], RunDir]] = {
    "batch": read_batch, "comparison": read_comparison, "sweep": read_sweep}


def _expected() -> str:
    markers = ", ".join(f"{k.marker} ({k.command})" for k in FOLDER_KINDS.values())
    return ("expected summary.json, comparison.json or sweep.json (callsim run/compare/"
            f"sweep --out), or {markers}")


def fit_markers(root: Path) -> list[Path]:
    """The ``*.fit.json`` documents (``callsim fit -o SCENARIO.yaml``) in folder *root*."""
    return sorted(root.glob("*.fit.json"))


def read_fit(marker: Path) -> RunDir:
    """A fit's ``SCENARIO.fit.json`` (beside the scenario) as a :class:`RunDir` of kind
    ``fit``: its folder, the document, and ``estimates`` (every estimate with its CI) as
    a table; the fit's figures, ``SCENARIO.fit.<figure>.png``, as extra images."""
    doc = _read_json(marker)
    if doc.get("kind") != "fit":
        raise ConfigError(f"{marker}: not a callsim fit document (kind {doc.get('kind')!r})")
    root = marker.parent
    run = RunDir(root, "fit", doc, heading=FOLDER_KINDS["fit"].title)
    run.tables["estimates"] = pd.DataFrame(doc.get("estimates") or [])
    stem = marker.name[: -len(".fit.json")]
    for png in sorted(root.glob(f"{stem}.fit.*.png")):
        run.extra_images["fit_" + png.name[len(stem) + 5:-4]] = png
    return run


register_folder_kind(FolderKind(
    "fit", "SCENARIO.fit.json", "callsim fit LOG -o SCENARIO.yaml", "fit to a call log"))


def load_run_dir(path: str | Path) -> RunDir:
    """Read a results folder of any registered kind (see the module docstring).

    Raises
    ------
    ConfigError
        When *path* is not a folder, holds no callsim results, or an unfinished run.
    """
    root = Path(path)
    if root.is_file() and root.name.endswith(".fit.json"):
        return read_fit(root)
    if not root.is_dir():
        raise ConfigError(f"{root}: no such directory (give the output folder of a callsim "
                          "command: run/compare/sweep --out, staff -o, calibrate "
                          "--report-dir, optimise-menu -o, or a fit's SCENARIO.fit.json)")
    for fk in FOLDER_KINDS.values():
        if (root / fk.marker).is_file():
            return fk.read(root) if fk.read is not None else read_document(root, fk)
    kind = folder_kind(root)
    if kind is None:
        fits = fit_markers(root)
        if len(fits) == 1:
            return read_fit(fits[0])
        if fits:
            raise ConfigError(f"{root}: {len(fits)} fits here ({', '.join(p.name for p in fits)}); "
                              "give the one to report, e.g. "
                              f"callsim report {fits[0]}")
        raise ConfigError(f"{root}: no callsim results here ({_expected()})")
    if not (root / DONE[kind]).is_file():
        raise ConfigError(f"{root}: an unfinished callsim {MANIFEST_KINDS[kind]} run (no "
                          f"{DONE[kind]} yet); rerun the command that started it to finish "
                          "it")
    return _MANIFEST_READERS[kind](root)
