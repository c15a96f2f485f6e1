#!/usr/bin/env python3
"""Set up and run callsim with nothing but Python 3.11+ (no make, no global installs).

    python3 dev.py run            # create .venv, install callsim, run the main job
    python3 dev.py test           # create .venv, install the test extras, run ruff, mypy,
                                  # the import layers check and the whole test suite
    python3 dev.py test --quick   # the same checks, and the tests not marked slow
                                  # (statistical, notebooks, browser, > ~2 s)

Both are idempotent: a second run reuses .venv.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")

MAIN_JOB = ["callsim", "compare", "configs/seoul120/two_level.yaml",
            "configs/seoul120/one_level.yaml", "--reps", "20", "--out", "runs/seoul120"]


def sh(*cmd: str | Path) -> int:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.call([str(c) for c in cmd], cwd=ROOT)


def ensure_venv(extra: str | None) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be run by any python3
        sys.exit(f"callsim needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not PY.exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    target = f".[{extra}]" if extra else "."
    if sh(PY, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e",
          target) != 0:
        sys.exit("pip install failed")


def run() -> int:
    ensure_venv(None)
    return sh(BIN / "callsim", *MAIN_JOB[1:])


def test(quick: bool = False) -> int:
    ensure_venv("test")
    steps = [
        [BIN / "ruff", "check", "callsim", "tests", "benchmarks", "scripts", "dev.py"],
        [PY, "-m", "mypy"],
        [BIN / "lint-imports"],
    ]
    for step in steps:
        if sh(*step) != 0:
            print(f"FAILED: {' '.join(str(s) for s in step)}", flush=True)
            return 1
    code = sh(PY, "-m", "pytest", "-n", "2", "-q", *(["-m", "not slow"] if quick else []))
    if code == 5:
        print("FAILED: pytest collected no tests (exit code 5)", flush=True)
        return 1
    return code


if __name__ == "__main__":
    args = sys.argv[1:]
    if args == ["run"]:
        sys.exit(run())
    if args in (["test"], ["test", "--quick"]):
        sys.exit(test(quick=len(args) == 2))
    sys.exit(__doc__)
