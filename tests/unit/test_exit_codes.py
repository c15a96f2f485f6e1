"""One exit-code convention (issue 10): 0 ok, 2 bad input or refused, 1 internal error
with a hint to report it; never a traceback unless ``--debug``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from callsim.errors import CallsimError, ConfigError, ModelError, Refusal
from callsim.io.atomic import OutputError
from callsim.io.rundir import CheckpointError
from callsim.ui import cli

TINY = Path(__file__).resolve().parents[2] / "configs" / "examples" / "mmc_tiny.yaml"


def raising(exc: BaseException) -> Callable[..., int]:
    def command(*_args: object) -> int:
        raise exc

    return command


@pytest.mark.parametrize(("exc", "code", "needles"), [
    (ConfigError("bad.yaml: arrivals.rate: -1"), 2, ["error: bad.yaml: arrivals.rate"]),
    (OutputError("out: read-only"), 2, ["error: out: read-only"]),
    (CheckpointError("out holds another seed"), 2, ["error: out holds another seed"]),
    (Refusal("refused"), 2, ["error: refused"]),
    (ModelError("queue length -1 at t=5"), 1, ["internal error: queue length -1", "report"]),
    (CallsimError("odd"), 1, ["internal error: odd", "report"]),
    (RuntimeError("boom"), 1, ["internal error: RuntimeError: boom", "a bug in callsim",
                               "--debug"]),
    (KeyError("pools"), 1, ["internal error: KeyError: 'pools'", "report"]),
    (MemoryError(), 1, ["out of memory", "report"]),
    (RecursionError(), 1, ["RecursionError", "report"]),
])
def test_exit_codes(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                    exc: Exception, code: int, needles: list[str]) -> None:
    monkeypatch.setitem(cli.COMMANDS, "validate", raising(exc))
    assert cli.main(["validate", str(TINY)]) == code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err, err
    assert cli.is_refusal(exc) == (code == 2)


def test_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(cli.COMMANDS, "validate", raising(RuntimeError("boom")))
    with pytest.raises(RuntimeError, match="boom"):
        cli.main(["--debug", "validate", str(TINY)])


def test_interrupt_exits_130(monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(cli.COMMANDS, "validate", raising(KeyboardInterrupt()))
    assert cli.main(["validate", str(TINY)]) == 130
    assert "interrupted" in capsys.readouterr().err


def test_ok_is_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["validate", str(TINY)]) == 0
    assert capsys.readouterr().err == ""
