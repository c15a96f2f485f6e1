"""Command-line option values that experiments take as plain Python: ``--precision``.

Owns parsing ``KPI=HALF_WIDTH`` strings into the ``{kpi: half_width}`` mapping that
:func:`~callsim.experiment.run_batch` takes (the experiment layer parses no command
line). Imports :mod:`callsim.experiment.batch` (the check of the numbers) and
:mod:`callsim.errors`.
"""

from __future__ import annotations

from collections.abc import Iterable

from callsim.errors import ConfigError
from callsim.experiment.batch import check_precision


def parse_precision(items: Iterable[str] | None) -> dict[str, float]:
    """``["answer_rate=0.002", ...]`` → ``{"answer_rate": 0.002, ...}``.

    Raises
    ------
    ConfigError
        On an item that is not ``KPI=H`` or a half-width that is not a positive number.
    """
    pairs: dict[str, str] = {}
    for text in items or ():
        kpi, sep, raw = str(text).partition("=")
        if not sep or not kpi.strip():
            raise ConfigError(f"--precision {text!r}: write KPI=HALF_WIDTH, e.g. "
                              "answer_rate=0.002")
        pairs[kpi.strip()] = raw.strip()
    try:
        return check_precision(pairs)
    except ConfigError as exc:
        raise ConfigError(f"--{exc}") from None
