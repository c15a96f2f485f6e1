"""What a search looks at: KPI expressions, the objective, constraints and targets.

Owns :class:`KpiExpr` (a KPI name, or a ratio of two per replication such as
``arrivals/offered``), :class:`Objective` (a KPI to maximise or minimise),
:class:`Constraint` (``KPI>=VALUE`` / ``KPI<=VALUE``) and :class:`Target`
(``KPI=VALUE±TOL``), with their parsing, the checks that make bad input one clear
:class:`~callsim.errors.ConfigError` (an unknown KPI, a value a KPI can never take,
contradictory constraints), and their evaluation on a table of replications. Imports
only :mod:`callsim.errors`, numpy and pandas.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from callsim.errors import ConfigError

#: KPIs that are shares between 0 and 1 (also per type/pool: ``type.<t>.<kpi>``).
SHARE_KPIS = frozenset({
    "answer_rate", "abandon_rate", "p_wait", "ivr_hangup_rate", "misroute_rate",
    "caller_answer_rate", "fcr", "occupancy", "containment", "helped_rate",
})
#: Default direction of an objective on these KPIs (others need ``max:`` or ``min:``).
MAXIMISE = frozenset({"answer_rate", "caller_answer_rate", "fcr", "answered", "self_served",
                      "callbacks_completed", "helped_rate", "containment", "contained"})
MINIMISE = frozenset({
    "abandon_rate", "abandoned", "asa", "mean_wait", "p_wait", "mean_queue", "ivr_time",
    "ivr_hangups", "ivr_hangup_rate", "misroutes", "misroute_rate", "transfers", "blocked",
    "short_abandons", "redials", "redial_share", "disconnected", "callback_delay",
    "wait_p50", "wait_p90", "wait_p95", "closed", "channel_gave_up",
})
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


def _leaf(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def is_share(name: str) -> bool:
    """True for a KPI that is a share between 0 and 1 (``sl_<t>``, ``answer_rate``, ...)."""
    leaf = _leaf(name)
    return leaf in SHARE_KPIS or bool(re.fullmatch(r"slas?_\d+(\.\d+)?", leaf))


@dataclass(frozen=True)
class KpiExpr:
    """A KPI, or the ratio of two KPIs taken per replication (``arrivals/offered``)."""

    num: str
    den: str | None = None

    @classmethod
    def parse(cls, text: str, what: str) -> KpiExpr:
        """Read ``NAME`` or ``NAME/NAME``; *what* names the option in error messages."""
        parts = [p.strip() for p in text.split("/")]
        if len(parts) > 2 or not all(_NAME.match(p) for p in parts):
            raise ConfigError(f"{what} {text!r}: write a KPI name (answer_rate, "
                              "type.covid.asa) or a ratio of two (arrivals/offered)")
        return cls(parts[0], parts[1] if len(parts) == 2 else None)

    def __str__(self) -> str:
        return self.num if self.den is None else f"{self.num}/{self.den}"

    @property
    def names(self) -> list[str]:
        """The KPIs it reads."""
        return [self.num] if self.den is None else [self.num, self.den]

    @property
    def share(self) -> bool:
        """True when the value is a share in [0, 1]."""
        return self.den is None and is_share(self.num)

    def values(self, reps: pd.DataFrame) -> np.ndarray:
        """Its value in each replication (a row of *reps* per replication)."""
        num = reps[self.num].to_numpy(dtype=float)
        if self.den is None:
            return num
        den = reps[self.den].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(den != 0, num / np.where(den != 0, den, 1.0), np.nan)

    def check(self, available: Sequence[str], what: str) -> None:
        """Raise one clear :class:`ConfigError` if a KPI it reads is not reported."""
        for name in self.names:
            if name not in available:
                close = difflib.get_close_matches(name, list(available), n=3)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                overall = ", ".join(a for a in available if "." not in a)
                raise ConfigError(f"{what} {str(self)!r}: no such KPI {name!r}{hint} (overall "
                                  f"KPIs: {overall}; per type/pool: type.<name>.<kpi>, "
                                  "pool.<name>.<kpi>; a ratio: arrivals/offered)")

    def check_value(self, value: float, what: str) -> None:
        """Raise if *value* is one this KPI can never take (a share outside [0, 1], a
        negative count or time)."""
        if not math.isfinite(value):
            raise ConfigError(f"{what}: {value} is not a finite number")
        if self.share and not 0.0 <= value <= 1.0:
            hint = (f" (write {value / 100:g} for {value:g} %)" if 1 < value <= 100 else "")
            raise ConfigError(f"{what}: {self} is a share between 0 and 1; {value:g} is "
                              f"outside it{hint}")
        if value < 0:
            raise ConfigError(f"{what}: {self} is never negative; {value:g} is impossible")


def _float(text: str, what: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ConfigError(f"{what}: {text!r} is not a number") from None


@dataclass(frozen=True)
class Objective:
    """A KPI to maximise or minimise (its mean over replications)."""

    kpi: KpiExpr
    maximise: bool

    @classmethod
    def parse(cls, text: str) -> Objective:
        """``KPI`` (direction from the KPI: answer rates up, waits down), ``max:KPI`` or
        ``min:KPI``."""
        text = text.strip()
        head, sep, rest = text.partition(":")
        if sep and head in ("max", "min"):
            return cls(KpiExpr.parse(rest, "--objective"), head == "max")
        kpi = KpiExpr.parse(text, "--objective")
        leaf = _leaf(kpi.num)
        if kpi.den is None and (leaf in MAXIMISE or re.fullmatch(r"slas?_\d+(\.\d+)?", leaf)):
            return cls(kpi, True)
        if kpi.den is None and leaf in MINIMISE:
            return cls(kpi, False)
        close = difflib.get_close_matches(_leaf(kpi.num), sorted(MAXIMISE | MINIMISE), n=2)
        hint = f"did you mean {' or '.join(close)}? Else " if close and kpi.den is None else ""
        raise ConfigError(f"--objective {text!r}: {hint}say whether to maximise or minimise "
                          f"it: max:{text} or min:{text}")

    def __str__(self) -> str:
        return f"{'max' if self.maximise else 'min'}:{self.kpi}"

    def loss(self, value: float) -> float:
        """Smaller is better: the value, negated when maximising."""
        return -value if self.maximise else value


@dataclass(frozen=True)
class Constraint:
    """``KPI >= value`` or ``KPI <= value`` on the mean over replications."""

    kpi: KpiExpr
    op: str
    value: float

    @classmethod
    def parse(cls, text: str) -> Constraint:
        """Read ``KPI>=VALUE`` or ``KPI<=VALUE``; an impossible bound is an error."""
        m = re.fullmatch(r"\s*(.+?)\s*(>=|<=)\s*(\S+)\s*", text)
        if not m:
            raise ConfigError(f"--constraint {text!r}: write KPI>=VALUE or KPI<=VALUE, e.g. "
                              "answer_rate>=0.8")
        kpi = KpiExpr.parse(m.group(1), "--constraint")
        value = _float(m.group(3), f"--constraint {text!r}")
        c = cls(kpi, m.group(2), value)
        if c.op == ">=" and kpi.share and value > 1.0:
            kpi.check_value(value, f"--constraint {text!r}")
        if c.op == "<=" and value < 0:
            raise ConfigError(f"--constraint {text!r}: {kpi} is never negative, so it can "
                              f"never be <= {value:g}")
        return c

    def __str__(self) -> str:
        return f"{self.kpi}{self.op}{self.value:g}"

    def violation(self, value: float) -> float:
        """How far *value* is on the wrong side (0 when met; NaN counts as violated)."""
        if math.isnan(value):
            return math.inf
        gap = self.value - value if self.op == ">=" else value - self.value
        return max(0.0, gap)

    def relative_violation(self, value: float) -> float:
        """:meth:`violation` as a share of the bound (so KPIs of any unit add up)."""
        return self.violation(value) / max(abs(self.value), 1e-9)


def check_constraints(constraints: Sequence[Constraint]) -> None:
    """Raise when two constraints on one KPI cannot both hold (``x>=0.9`` and ``x<=0.8``)."""
    lows: dict[str, float] = {}
    highs: dict[str, float] = {}
    for c in constraints:
        k = str(c.kpi)
        if c.op == ">=":
            lows[k] = max(lows.get(k, -math.inf), c.value)
        else:
            highs[k] = min(highs.get(k, math.inf), c.value)
    for k in lows:
        if k in highs and lows[k] > highs[k]:
            raise ConfigError(f"--constraint: {k}>={lows[k]:g} and {k}<={highs[k]:g} cannot "
                              "both hold")


@dataclass(frozen=True)
class Target:
    """A calibration target: ``KPI=VALUE±TOL`` (the tolerance is the misfit that counts
    as one unit; default 5 % of the value)."""

    kpi: KpiExpr
    value: float
    tol: float

    @classmethod
    def parse(cls, text: str) -> Target:
        """Read ``KPI=VALUE``, ``KPI=VALUE±TOL`` or ``KPI=VALUE+-TOL`` (TOL may end in %,
        a share of VALUE)."""
        name, sep, rest = text.partition("=")
        if not sep or not name.strip() or not rest.strip():
            raise ConfigError(f"--target {text!r}: write KPI=VALUE[±TOL], e.g. "
                              "answer_rate=0.776±0.005 or offered=14500+-300")
        kpi = KpiExpr.parse(name, "--target")
        parts = re.split(r"±|\+-|\+/-", rest)
        if len(parts) > 2:
            raise ConfigError(f"--target {text!r}: one ± at most")
        value = _float(parts[0].strip(), f"--target {text!r}")
        kpi.check_value(value, f"--target {text!r}")
        if len(parts) == 2:
            raw = parts[1].strip()
            if raw.endswith("%"):
                tol = abs(value) * _float(raw[:-1], f"--target {text!r}") / 100.0
            else:
                tol = _float(raw, f"--target {text!r}")
        else:
            tol = 0.05 * abs(value)
        if not tol > 0 or not math.isfinite(tol):
            raise ConfigError(f"--target {text!r}: the tolerance must be > 0 (give ±TOL; "
                              "the default, 5 % of the value, is 0 for a target of 0)")
        return cls(kpi, value, tol)

    def __str__(self) -> str:
        return f"{self.kpi}={self.value:g}±{self.tol:g}"


def check_names(exprs: Iterable[tuple[KpiExpr, str]], available: Sequence[str]) -> None:
    """Check every (expression, option name) against the KPIs a replication reports."""
    for expr, what in exprs:
        expr.check(available, what)


def mean_of(expr: KpiExpr, reps: pd.DataFrame) -> float:
    """Mean of *expr* over replications (NaN replications left out)."""
    v = expr.values(reps)
    v = v[~np.isnan(v)]
    return float(v.mean()) if v.size else math.nan
