"""The run folder (issues 9 and 10): one layout however it is written, records used only
when their checksum holds, and every output-folder fault one clean refusal (exit 2)
that leaves nothing half-written for a resume to trust."""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pandas as pd
import pytest

import callsim
from callsim.experiment import run_batch, run_batches, sweep
from callsim.io import atomic
from callsim.io.records import read_record
from callsim.io.rundir import (
    BATCH_FILES,
    COMPARISON_FILES,
    SWEEP_FILES,
    CheckpointError,
    folder_kind,
)
from callsim.ui.cli import main

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "configs" / "examples" / "mmc_tiny.yaml"


def small(agents: int = 6) -> callsim.Scenario:
    return callsim.erlang_scenario(120, 180, agents, patience=120, hours=3,
                                   interval_minutes=30)


def assert_same(a: callsim.BatchResult, b: callsim.BatchResult) -> None:
    pd.testing.assert_frame_equal(a.replications, b.replications, check_exact=True)
    pd.testing.assert_frame_equal(a.intervals, b.intervals, check_exact=True)
    pd.testing.assert_frame_equal(a.clock, b.clock, check_exact=True)


def report_and_plot(folder: Path, tmp: Path) -> list[str]:
    """`callsim report` and `callsim plot` on *folder*; the PNG names written."""
    assert main(["report", str(folder), "-o", str(tmp / "r.html")]) == 0
    assert (tmp / "r.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    pngs = tmp / "png"
    assert main(["plot", str(folder), "-o", str(pngs), "--dpi", "40"]) == 0
    return sorted(p.stem for p in pngs.glob("*.png"))


# ------------------------------------------------------- one layout, any writer


def test_run_batch_out_is_a_run_folder(tmp_path: Path) -> None:
    out = tmp_path / "run"
    batch = run_batch(small(), reps=3, seed=1, out=out, progress=False)
    assert folder_kind(out) == "batch"
    assert [Path(p).name for p in batch.info["files"]] == list(BATCH_FILES)
    assert sorted(p.name for p in (out / "reps").iterdir()) == [
        f"r{r:06d}.json" for r in range(3)]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["replications"] == 3 and summary["kpis"]["answer_rate"]["n"] == 3
    assert "ci_answer_rate" in report_and_plot(out, tmp_path)


def test_run_batches_and_compare_out_are_comparison_folders(tmp_path: Path) -> None:
    out = tmp_path / "batches"
    res = run_batches({"six": small(6), "seven agents": small(7)}, reps=3, seed=1, out=out,
                      progress=False)
    assert folder_kind(out) == "comparison"
    for name in COMPARISON_FILES:
        assert (out / name).is_file(), name
    assert folder_kind(out / "six") == folder_kind(out / "seven_agents") == "batch"
    assert report_and_plot(out, tmp_path / "a") == ["forest"]
    report_and_plot(out / "seven_agents", tmp_path / "b")  # each design is a run folder
    # compare(out=) writes the same layout, and the same numbers
    comp = callsim.compare({"six": small(6), "seven agents": small(7)}, reps=3, seed=1,
                           out=tmp_path / "cmp", progress=False)
    assert folder_kind(tmp_path / "cmp") == "comparison"
    assert report_and_plot(tmp_path / "cmp", tmp_path / "c") == ["forest"]
    assert_same(comp.batches["six"], res["six"])
    a = json.loads((out / "comparison.json").read_text(encoding="utf-8"))
    b = json.loads((tmp_path / "cmp" / "comparison.json").read_text(encoding="utf-8"))
    assert a == b


def test_sweep_out_is_a_sweep_folder(tmp_path: Path) -> None:
    out = tmp_path / "sw"
    res = sweep(small(), {"pools.agents.staffing.agents": [5, 6]}, reps=3, seed=1,
                out=out, progress=False)
    assert folder_kind(out) == "sweep"
    assert [Path(p).name for p in res.info["files"]] == list(SWEEP_FILES)
    assert report_and_plot(out, tmp_path)[0] == "sweep_abandon_rate"
    doc = json.loads((out / "sweep.json").read_text(encoding="utf-8"))
    point = out / doc["points"][0]["dir"]
    assert folder_kind(point) == "batch" and (point / "summary.json").is_file()


def test_every_kind_refuses_the_others_folder(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    run_batch(small(), reps=2, seed=1, out=tmp_path / "run", progress=False)
    run_batches({"a": small()}, reps=2, seed=1, out=tmp_path / "cmp", progress=False)
    with pytest.raises(CheckpointError, match="batch results, not comparison"):
        run_batches({"a": small()}, reps=2, seed=1, out=tmp_path / "run", progress=False)
    with pytest.raises(CheckpointError, match="comparison results, not sweep"):
        sweep(small(), {"arrivals.scale": [1, 2]}, reps=2, seed=1, out=tmp_path / "cmp",
              progress=False)
    with pytest.raises(CheckpointError, match="seed 1"):
        run_batches({"a": small()}, reps=2, seed=2, out=tmp_path / "cmp", progress=False)
    # the command line: another seed's folder is a refusal, exit 2 (it was 1)
    assert main(["run", str(TINY), "--reps", "2", "--seed", "3", "--out",
                 str(tmp_path / "run"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "holds results of seed 1" in err and "Traceback" not in err


def test_an_unfinished_folder_is_not_reported(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    run_batch(small(), reps=2, seed=1, out=out, progress=False)
    (out / "summary.json").unlink()  # as if killed while writing the results
    assert main(["report", str(out)]) == 2
    assert "unfinished" in capsys.readouterr().err


def test_design_names_that_share_a_folder_are_refused(tmp_path: Path) -> None:
    with pytest.raises(callsim.ConfigError, match="share the folder"):
        run_batches({"a b": small(), "a_b": small(7)}, reps=2, out=tmp_path / "x",
                    progress=False)


# -------------------------------------------------------------- checksums


def _edit(path: Path, change: Any) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(json.dumps(doc), encoding="utf-8")


def test_an_edited_record_is_run_again_not_used(tmp_path: Path,
                                                caplog: pytest.LogCaptureFixture) -> None:
    out = tmp_path / "run"
    full = run_batch(small(), reps=4, seed=3, out=out, progress=False)
    answered = full.replications.loc[1, "answered"]

    def times_ten(doc: dict[str, Any]) -> None:  # valid JSON, checksum left as it was
        doc["kpis"]["answered"] *= 10
    _edit(out / "reps" / "r000001.json", times_ten)
    with caplog.at_level(logging.WARNING):
        again = run_batch(small(), reps=4, seed=3, out=out, progress=False)
    assert "r000001.json is not used" in caplog.text and "checksum" in caplog.text
    assert again.info["replications_read"] == 3 and again.info["replications_run"] == 1
    assert_same(full, again)
    assert again.replications.loc[1, "answered"] == answered
    rec = read_record(out / "reps" / "r000001.json",
                      json.loads((out / "manifest.json").read_text())["fingerprint"])
    assert rec.kpis["answered"] == answered  # rewritten, whole and right


def test_another_scenarios_or_replications_record_is_run_again(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    full = run_batch(small(), reps=3, seed=3, out=a, progress=False)
    run_batch(small(7), reps=3, seed=3, out=b, progress=False)
    shutil.copy(b / "reps" / "r000000.json", a / "reps" / "r000000.json")  # valid, other
    shutil.copy(a / "reps" / "r000001.json", a / "reps" / "r000002.json")  # renamed
    (a / "reps" / "r000001.json").write_text('{"format": 2, "kpis"')  # truncated
    with caplog.at_level(logging.WARNING):
        again = run_batch(small(), reps=3, seed=3, out=a, progress=False)
    assert again.info["replications_run"] == 3
    assert caplog.text.count("is not used") == 3
    assert "holds replication 1" in caplog.text and "unreadable" in caplog.text
    assert_same(full, again)


def test_cli_warns_about_a_changed_record(tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = ["run", str(TINY), "--reps", "2", "--out", str(out), "--quiet"]
    assert main(args) == 0
    first = (out / "summary.json").read_text(encoding="utf-8")
    _edit(out / "reps" / "r000000.json", lambda d: d["kpis"].update(answered=1e6))
    done = subprocess.run([sys.executable, "-m", "callsim", *args], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert "WARNING" in done.stderr and "r000000.json is not used" in done.stderr
    assert "1 run" in done.stdout
    assert (out / "summary.json").read_text(encoding="utf-8") == first


# ------------------------------------------------------------ output faults


def test_not_a_directory_is_a_clean_refusal(capsys: pytest.CaptureFixture[str]) -> None:
    for out, why in (("/dev/null/x", "/dev/null is a file, not a folder"),
                     ("/etc/passwd", "exists and is not a folder")):
        assert main(["run", str(TINY), "--reps", "1", "--out", out, "--quiet"]) == 2
        err = capsys.readouterr().err
        assert why in err and "Traceback" not in err, err
        assert err.count("\n") == 1  # one line


def _fail_under(monkeypatch: pytest.MonkeyPatch, root: Path, code: int) -> None:
    """Every file or folder created under *root* fails with OS error *code* (what a
    read-only folder does; as root, permissions alone would not stop the writes)."""
    mkdir, open_tmp = atomic._mkdir, atomic._open_tmp

    def under(p: Path) -> bool:
        return p.resolve().is_relative_to(root.resolve())

    def fake_mkdir(p: Path) -> None:
        if under(p) and not p.is_dir():
            raise OSError(code, os.strerror(code), str(p))
        mkdir(p)

    def fake_open(p: Path, binary: bool = False) -> IO[Any]:
        if under(p):
            raise OSError(code, os.strerror(code), str(p))
        return open_tmp(p, binary)

    monkeypatch.setattr(atomic, "_mkdir", fake_mkdir)
    monkeypatch.setattr(atomic, "_open_tmp", fake_open)


@pytest.fixture
def read_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    made: list[Path] = []

    def make(path: Path) -> None:
        for p in [path, *path.rglob("*")]:
            p.chmod(0o555 if p.is_dir() else 0o444)
        made.append(path)
        _fail_under(monkeypatch, path, errno.EROFS if os.geteuid() == 0 else errno.EACCES)
    yield make
    for path in made:
        for p in [path, *path.rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_read_only_folders_are_refused_before_any_work(
        tmp_path: Path, read_only: Any, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["run", str(TINY), "--reps", "3", "--quiet", "--out"]
    finished, partial, parent = tmp_path / "done", tmp_path / "half", tmp_path / "ro"
    assert main([*args, str(finished)]) == 0
    run_batch(TINY, reps=2, seed=0, out=partial, progress=False)
    (partial / "summary.json").unlink()
    parent.mkdir()
    before = {p: _snapshot(p) for p in (finished, partial)}
    for p in (finished, partial, parent):
        read_only(p)
    capsys.readouterr()
    for out in (parent / "new", finished, partial):  # a new folder, a finished run, a resume
        assert main([*args, str(out)]) == 2
        err = capsys.readouterr().err
        assert ("read-only" in err or "permission denied" in err) and "Traceback" not in err
        assert err.count("\n") == 1
    assert not (parent / "new").exists()
    assert before == {p: _snapshot(p) for p in (finished, partial)}  # nothing touched


class _Full:
    """A file on a disk that fills up after *room* more characters."""

    def __init__(self, fh: IO[Any], room: int) -> None:
        self.fh, self.room = fh, room

    def write(self, s: Any) -> int:
        if len(s) > self.room:
            self.fh.write(s[:self.room])
            self.room = 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.room -= len(s)
        return int(self.fh.write(s))

    def __enter__(self) -> _Full:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.fh.close()


def _disk_fills(monkeypatch: pytest.MonkeyPatch, when: Any) -> None:
    """Files for which ``when(name)`` is true hit a full disk half-way through."""
    open_tmp = atomic._open_tmp

    def fake_open(p: Path, binary: bool = False) -> Any:
        fh = open_tmp(p, binary)
        return _Full(fh, 2000) if when(p.name) else fh

    monkeypatch.setattr(atomic, "_open_tmp", fake_open)


@pytest.mark.parametrize("fails", ["record", "results"])
def test_full_disk_is_a_clean_refusal_and_the_rerun_resumes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fails: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    args = ["run", str(TINY), "--reps", "5", "--seed", "4", "--out", str(out), "--quiet"]
    if fails == "record":  # the disk fills while replication 3 is written
        _disk_fills(monkeypatch, lambda name: name.startswith((".r000003", ".r000004")))
    else:  # ... while the result tables are written
        _disk_fills(monkeypatch, lambda name: name.startswith(".intervals.csv"))
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "no space left on the device" in err and "rerun the same command" in err
    assert "Traceback" not in err and err.count("\n") == 1
    # nothing half-written: whole, checksummed records only; no finished marker
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    assert not (out / "summary.json").exists()
    fp = json.loads((out / "manifest.json").read_text())["fingerprint"]
    kept = sorted((out / "reps").glob("r*.json"))
    assert len(kept) == (3 if fails == "record" else 5)
    for p in kept:
        read_record(p, fp)  # raises if damaged
    monkeypatch.undo()
    assert main(args) == 0
    out_text = capsys.readouterr().out
    assert f"resumed: {len(kept)} replications read" in out_text
    ref = run_batch(TINY, reps=5, seed=4, progress=False)
    got = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    from callsim.io.writers import summary_dict

    assert got == json.loads(json.dumps(summary_dict(ref)))


# ------------------------------------------- a real read-only and a real full disk


def _namespace_ok() -> bool:
    if sys.platform != "linux" or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", "mount -t tmpfs none /mnt"],
                           capture_output=True)
    return probe.returncode == 0


@pytest.mark.slow
@pytest.mark.skipif(not _namespace_ok(), reason="needs unshare -rm and tmpfs mounts")
def test_real_full_disk_and_read_only_mount(tmp_path: Path) -> None:
    """In a private mount namespace: a 64 KiB tmpfs fills mid-batch (exit 2), grows and
    the rerun resumes to the uninterrupted summary; remounted read-only, exit 2."""
    disk = tmp_path / "disk"
    disk.mkdir()
    py = sys.executable
    run = f"{py} -m callsim run {TINY} --reps 6 --seed 5 --quiet --out {disk}/run"
    script = "\n".join([
        f"mount -t tmpfs -o size=64k none {disk}",
        f"{run} 2> {tmp_path}/full.err; echo $? > {tmp_path}/full.rc",
        f"ls {disk}/run/reps > {tmp_path}/kept.txt",
        f"mount -o remount,size=4m {disk}",
        f"{run} > {tmp_path}/resume.out; echo $? > {tmp_path}/resume.rc",
        f"cp {disk}/run/summary.json {tmp_path}/summary.json",
        f"mount -o remount,ro {disk}",
        f"{run} 2> {tmp_path}/ro.err; echo $? > {tmp_path}/ro.rc",
    ])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run(["unshare", "-rm", "sh", "-c", script], check=True, env=env, timeout=300)
    read = lambda name: (tmp_path / name).read_text(encoding="utf-8")  # noqa: E731
    assert read("full.rc").strip() == "2", read("full.err")
    assert "no space left" in read("full.err") and "Traceback" not in read("full.err")
    kept = read("kept.txt").split()
    assert 0 < len(kept) < 6 and not [k for k in kept if k.endswith(".tmp")]
    assert read("resume.rc").strip() == "0"
    assert f"resumed: {len(kept)} replications read" in read("resume.out")
    from callsim.io.writers import summary_dict

    ref = run_batch(TINY, reps=6, seed=5, progress=False)
    assert json.loads(read("summary.json")) == json.loads(json.dumps(summary_dict(ref)))
    assert read("ro.rc").strip() == "2"
    assert "read-only" in read("ro.err") and "Traceback" not in read("ro.err")
