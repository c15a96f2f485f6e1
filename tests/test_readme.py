"""The README's Python example runs as written (docs that run, like SimPy's)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_readme_python_example_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "the README has a Python example"
    monkeypatch.chdir(ROOT)
    os.environ.setdefault("MPLBACKEND", "Agg")
    namespace: dict[str, object] = {}
    for code in blocks:
        exec(compile(code, "README.md", "exec"), namespace)
    comp = namespace["comp"]
    diffs = comp.differences()  # type: ignore[attr-defined]
    assert {"answer_rate", "ivr_time"} <= set(diffs.kpi)
    assert namespace["batch"].summary.loc["answer_rate", "n"] == 20  # type: ignore[attr-defined]
