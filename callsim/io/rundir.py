"""The run folder: one owner for the layout of everything written under ``--out``.

Owns the layout below, the manifests that say whose results a folder holds (and refuse
to mix another scenario's or seed's), and the replication records with their checksums
(:class:`CheckpointStore`). Imports :mod:`callsim.io.atomic`, :mod:`callsim.io.records`,
:mod:`callsim.io.fingerprint`, :mod:`callsim.compiled` and :mod:`callsim.errors`.

Layout (every folder, however written: the CLI or the API's ``out=``)::

    a run folder (callsim run --out, run_batch(out=)), kind "batch"
        manifest.json        format, kind, scenario, fingerprint, seed, callsim version
        reps/r000000.json    one record per finished replication, with a checksum
        replications.csv     KPIs per replication
        intervals.csv        interval table (means over replications)
        agents.csv           agents per interval and pool (means)
        clock.csv            clock-of-day KPIs, pooled over days and replications
        summary.json         KPI means with CIs; written last, so it marks a whole set
    a comparison folder (callsim compare --out, compare(out=), run_batches(out=))
        manifest.json        kind "comparison", seed, designs and their folders
        <design>/            a run folder per design
        comparison.csv       paired differences, every KPI
        summary.csv          per design and KPI: mean and CI
        comparison.png       the day per design (the command line draws it)
        comparison.json      designs' summaries and the differences; written last
    a sweep folder (callsim sweep --out, sweep(out=)), kind "sweep"
        manifest.json        kind "sweep", scenario, seed
        points/<fingerprint>-s<seed>/   a run folder per grid point (shared by any
                             sweep of this folder that has the point)
        sweep.csv            one row per grid point and KPI
        sweep.json           the grid and where each point is; written last

A record is used only if its checksum matches its content and the folder's scenario
fingerprint; any other is run again (with a warning), never used. Files are written
atomically (:mod:`callsim.io.atomic`), so a folder interrupted at any moment (kill -9,
a full disk) holds only whole files, and a rerun of the same command resumes it.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from callsim.compiled import CompiledScenario
from callsim.errors import Refusal
from callsim.io.atomic import atomic_write, atomic_write_text, check_writable, make_dir
from callsim.io.encoding import dumps
from callsim.io.fingerprint import fingerprint
from callsim.io.records import (
    CHECKPOINT_FORMAT,
    DamagedRecord,
    RepRecord,
    read_record,
    write_record,
)

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
REPS = "reps"
POINTS = "points"
#: Files of a finished run folder; the last one marks the set complete.
BATCH_FILES = ("replications.csv", "intervals.csv", "agents.csv", "clock.csv",
               "summary.json")
COMPARISON_FILES = ("comparison.csv", "summary.csv", "comparison.json")
SWEEP_FILES = ("sweep.csv", "sweep.json")
#: The file that marks each kind of folder finished.
DONE = {"batch": "summary.json", "comparison": "comparison.json", "sweep": "sweep.json"}
KINDS = tuple(DONE)


class CheckpointError(Refusal):
    """A folder cannot take these results: it holds another run's, or is damaged."""


def callsim_version() -> str:
    """The installed callsim's version."""
    try:
        return metadata.version("callsim")
    except metadata.PackageNotFoundError:  # pragma: no cover - not installed
        return "unknown"


def read_manifest(root: Path) -> dict[str, Any] | None:
    """*root*'s manifest, ``None`` if there is none.

    Raises
    ------
    CheckpointError
        When the manifest is there but damaged.
    """
    path = root / MANIFEST
    if not path.is_file():
        return None
    try:
        m = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(m, dict) or m.get("kind") not in KINDS:
            raise ValueError("not a callsim manifest")
        int(m.get("seed", 0))
    except (OSError, ValueError, TypeError) as exc:
        raise CheckpointError(f"{path} is damaged ({exc}); delete {root} to start over, "
                              "or use another output folder") from None
    return m


def folder_kind(root: Path) -> str | None:
    """The kind of results *root* holds: from its manifest, else from its files
    (folders of earlier callsim versions), else ``None``."""
    m = read_manifest(root)
    if m is not None:
        return str(m["kind"])
    for kind, done in DONE.items():
        if (root / done).is_file():
            return kind
    if (root / REPS).is_dir() and any((root / REPS).iterdir()):
        return "batch"
    return None


def open_folder(root: Path, kind: str, seed: int, facts: Mapping[str, Any],
                same: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Open (or start) folder *root* for results of *kind* with root seed *seed*.

    A folder that holds another kind of results, another seed's, or (*same*: manifest
    fields that must match, e.g. the fingerprint) another scenario's is refused; a new
    folder gets a manifest with *facts* before anything else is written. The folder
    must be writable (checked now, before any work).

    Returns
    -------
    dict
        The manifest.

    Raises
    ------
    CheckpointError, OutputError
    """
    if root.exists() and not root.is_dir():
        make_dir(root)  # refuses: a file is in the way
    what = f"callsim {kind} results with seed {seed}"
    m = read_manifest(root) if root.is_dir() else None
    if m is None:
        found = folder_kind(root) if root.is_dir() else None
        if found is not None:
            raise CheckpointError(
                f"{root} holds callsim {found} results without a manifest (written by "
                f"an earlier callsim, or damaged), so it cannot take {what}; delete "
                f"{root} to start over, or use another output folder")
        make_dir(root)
        check_writable(root)
        m = {"format": CHECKPOINT_FORMAT, "kind": kind, "seed": int(seed),
             "callsim": callsim_version(), **facts}
        atomic_write_text(root / MANIFEST, dumps(m, indent=2))
        return m
    why = None
    if m["kind"] != kind:
        why = f"holds callsim {m['kind']} results, not {kind} results"
    elif int(m.get("format", 0)) != CHECKPOINT_FORMAT:
        why = (f"was written in folder format {m.get('format')} (this callsim writes "
               f"format {CHECKPOINT_FORMAT})")
    elif int(m["seed"]) != int(seed):
        why = f"holds results of seed {m['seed']}"
    else:
        for key, value in (same or {}).items():
            if m.get(key) != value:
                why = (f"holds results of another scenario ({m.get('scenario')!r}, "
                       f"{key} {str(m.get(key))[:12]})")
                break
    if why is not None:
        label = facts.get("scenario", "")
        raise CheckpointError(
            f"{root} {why}; it cannot take {what}"
            + (f" of scenario {label!r}" if label else "")
            + f". Use another output folder, or delete {root} to start over.")
    check_writable(root)
    return m


_REP_FILE = re.compile(r"r(\d+)\.json")


class CheckpointStore:
    """A run folder's replication records (``reps/rNNNNNN.json``) and its manifest.

    Opening the store checks the manifest (:func:`open_folder`): a folder started for
    another scenario (another fingerprint) or seed is refused rather than mixed.

    Parameters
    ----------
    root
        The folder (created if missing).
    cs
        The compiled scenario whose replications the folder holds.
    seed
        Root seed of the run.
    extra
        More JSON-able facts for a new manifest (e.g. a sweep point's overrides).
    """

    def __init__(self, root: Path | str, cs: CompiledScenario, seed: int,
                 extra: Mapping[str, Any] | None = None) -> None:
        self.root = Path(root)
        self.reps_dir = self.root / REPS
        self.fingerprint = fingerprint(cs)
        self.seed = int(seed)
        self.scenario = cs.name
        self.manifest = open_folder(
            self.root, "batch", self.seed,
            {"scenario": cs.name, "fingerprint": self.fingerprint, **(extra or {})},
            same={"fingerprint": self.fingerprint})
        make_dir(self.reps_dir)
        check_writable(self.reps_dir)

    def path(self, replication: int) -> Path:
        """The file of *replication*."""
        return self.reps_dir / f"r{replication:06d}.json"

    def finished(self) -> set[int]:
        """Replication numbers with a file in the folder."""
        out: set[int] = set()
        with os.scandir(self.reps_dir) as it:
            for entry in it:
                m = _REP_FILE.fullmatch(entry.name)
                if m:
                    out.add(int(m.group(1)))
        return out

    def load(self, replications: Iterable[int]) -> dict[int, RepRecord]:
        """The trustworthy records among *replications*; any other (unreadable, edited,
        another scenario's or replication's) is left out with a warning, to be run
        again."""
        done = self.finished()
        out: dict[int, RepRecord] = {}
        for r in replications:
            if r not in done:
                continue
            p = self.path(r)
            try:
                rec = read_record(p, self.fingerprint)
                if rec.replication != r or rec.seed != self.seed:
                    raise DamagedRecord(f"it holds replication {rec.replication} of seed "
                                        f"{rec.seed}, not replication {r} of seed "
                                        f"{self.seed}")
            except DamagedRecord as exc:
                log.warning("%s is not used: %s; replication %d is run again", p, exc, r)
                continue
            out[r] = rec
        return out

    def write(self, rec: RepRecord) -> Path:
        """Write *rec* with its checksum, atomically; return its path."""
        return atomic_write(self.path(rec.replication),
                            lambda fh: write_record(fh.write, rec, self.fingerprint))
