"""The notebooks (issue 5, item 3): each runs top to bottom and is committed without
outputs.

Each notebook is executed with nbclient in a ``python3`` kernel run by this very Python
(jupyter_client starts ``python`` kernelspecs with ``sys.executable``), with
``CALLSIM_QUICK=1`` so that it takes a few replications.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NAMES = ["01_quickstart", "02_menu_design", "03_monte_carlo", "04_staffing_what_if",
         "05_from_a_call_log", "06_staffing_plan"]
BANK_LOG = (Path(__file__).resolve().parents[2] / "shared" / "data" / "anonymous_bank"
            / "anonymous_bank_1999_02.tsv")
"""The shared call log notebook 05 reads (never copied into the repository)."""


def test_every_notebook_is_here() -> None:
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_committed_without_outputs(name: str) -> None:
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    for cell in code:
        assert cell.outputs == [] and cell.execution_count is None, (
            f"{name}: strip the outputs before committing (jupyter nbconvert "
            "--clear-output --inplace notebooks/*.ipynb)")
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")


@pytest.mark.notebook
@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if name == "05_from_a_call_log" and not BANK_LOG.is_file():
        pytest.skip(f"{name} reads the Anonymous Bank log, which is not at {BANK_LOG}")
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    monkeypatch.setenv("CALLSIM_QUICK", "1")
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    # the kernel is this interpreter: put its bin first so nothing else can answer
    monkeypatch.setenv("PATH", os.pathsep.join([str(Path(sys.executable).parent),
                                                os.environ.get("PATH", "")]))
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import sys; print(sys.executable)"))
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=120,
                                     resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()  # speed is measured in benchmarks, not asserted here
    kernel_python = nb.cells[-1].outputs[0]["text"].strip()
    assert Path(kernel_python).resolve() == Path(sys.executable).resolve()
    # a cell that ends with a figure shows it exactly once; no other cell shows one
    figures = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        last = [line for line in cell.source.splitlines() if line.strip()][-1]
        shows = last.startswith("plots.") or last == "fig"
        images = sum(1 for o in cell.outputs if "image/png" in o.get("data", {}))
        assert images == int(shows), f"{name}: {images} images from\n{cell.source}"
        figures += shows
    assert figures >= 2
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
