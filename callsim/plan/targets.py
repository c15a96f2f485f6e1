"""Staffing targets: ``sl_20>=0.8``, ``type.covid.answer_rate>=0.9``, ``asa<=30s``.

Owns the target grammar, the KPIs a staffing plan may target (each with the direction
in which more agents help) and their check against a scenario (call types, service-level
thresholds). Imports :mod:`callsim.config` (durations) and :mod:`callsim.errors` only;
nothing that runs simulations; it must not import the rest of the planner.

A target is ``[type.<call type>.]<kpi> (>=|<=) <value>``; without a call type it is an
*overall* target. Rates may be written as shares (``0.9``) or percentages (``90%``),
waits as seconds with or without a unit (``30``, ``30s``, ``1min``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from callsim.config import parse_duration
from callsim.errors import ConfigError

Op = Literal[">=", "<="]

#: KPIs a plan may target: name (or prefix for ``sl_<t>``/``sla_<t>``) -> (required
#: direction, kind). "rate" values are shares in [0, 1]; "wait" values are seconds.
KPIS: dict[str, tuple[Op, str]] = {
    "answer_rate": (">=", "rate"),
    "abandon_rate": ("<=", "rate"),
    "sl": (">=", "rate"),
    "sla": (">=", "rate"),
    "asa": ("<=", "wait"),
    "mean_wait": ("<=", "wait"),
    "caller_answer_rate": (">=", "rate"),
}
#: KPIs that only make sense over a whole day (a redeploy's objective), not per interval:
#: answered calls of an interval over the callers who *first* called in it.
DAY_ONLY = ("caller_answer_rate",)
ALLOWED_TEXT = ("answer_rate>=V, abandon_rate<=V, sl_<t>>=V, sla_<t>>=V, asa<=S, "
                "mean_wait<=S (V a share such as 0.9 or 90%, S seconds such as 30s); "
                "prefix type.<call type>. for one call type")

_TARGET_RE = re.compile(
    r"^\s*(?:type\.(?P<ctype>[A-Za-z_][A-Za-z0-9_\-]*)\.)?(?P<kpi>[A-Za-z_][A-Za-z0-9_]*)"
    r"\s*(?P<op>>=|<=|=>|=<|>|<|=)\s*(?P<value>\S+)\s*$"
)


@dataclass(frozen=True)
class Target:
    """One staffing target.

    Attributes
    ----------
    kpi
        The KPI as the interval table names it (``answer_rate``, ``sl_20``, ...).
    op
        ``">="`` (at least) or ``"<="`` (at most).
    value
        The bound (a share for rates, seconds for waits).
    call_type
        The call type it applies to, or ``None`` for an overall target.
    """

    kpi: str
    op: Op
    value: float
    call_type: str | None = None

    @property
    def base(self) -> str:
        """The KPI family: ``sl`` for ``sl_20``, else the KPI itself."""
        return kpi_base(self.kpi)

    @property
    def threshold(self) -> float | None:
        """The waiting-time threshold of ``sl_<t>``/``sla_<t>`` (seconds), else None."""
        base = self.base
        if base in ("sl", "sla"):
            return float(self.kpi[len(base) + 1:].replace("_", "."))
        return None

    @property
    def label(self) -> str:
        """Canonical text, e.g. ``type.covid.answer_rate>=0.9``."""
        prefix = f"type.{self.call_type}." if self.call_type else ""
        return f"{prefix}{self.kpi}{self.op}{self.value:g}"

    def meets(self, ci_low: float, ci_high: float) -> bool:
        """Whether a confidence interval proves the target (the bound, not the mean)."""
        if self.op == ">=":
            return ci_low >= self.value - 1e-12
        return ci_high <= self.value + 1e-12

    def shortfall(self, value: float) -> float:
        """How far *value* is on the wrong side of the target (<= 0: on the right side)."""
        return self.value - value if self.op == ">=" else value - self.value


def kpi_base(kpi: str) -> str:
    """``sl`` for ``sl_20``, ``sla`` for ``sla_20``, the name itself otherwise."""
    m = re.fullmatch(r"(sla?)_\d+(?:_\d+)?", kpi)
    return m.group(1) if m else kpi


def _sl_name(t: float) -> str:
    return f"{t:g}".replace(".", "_")


def _parse_value(raw: str, kind: str, text: str) -> float:
    raw = raw.strip()
    try:
        if kind == "rate":
            value = float(raw[:-1]) / 100.0 if raw.endswith("%") else float(raw)
        else:
            value = float(parse_duration(raw))
    except ValueError:
        want = "a share such as 0.9 or 90%" if kind == "rate" else "seconds such as 30 or 30s"
        raise ConfigError(f"target {text!r}: {raw!r} is not a value; write {want}") from None
    if not math.isfinite(value):
        raise ConfigError(f"target {text!r}: the value must be finite")
    if kind == "rate" and not 0.0 <= value <= 1.0:
        raise ConfigError(f"target {text!r}: {value:g} is not a share; a rate target lies "
                          "between 0 and 1 (or 0% and 100%)")
    if kind == "wait" and value < 0:
        raise ConfigError(f"target {text!r}: a wait target must be >= 0 seconds")
    return value


def parse_target(text: str) -> Target:
    """Parse one target string (see the module docstring).

    Raises
    ------
    ConfigError
        Naming the target, what is wrong and what is allowed.
    """
    m = _TARGET_RE.match(str(text))
    if not m:
        raise ConfigError(f"target {text!r}: not understood; allowed: {ALLOWED_TEXT}")
    kpi, op, ctype = m.group("kpi"), m.group("op"), m.group("ctype")
    base = kpi_base(kpi)
    if base not in KPIS:
        raise ConfigError(f"target {text!r}: unknown KPI {kpi!r}; allowed: {ALLOWED_TEXT}")
    if base in DAY_ONLY:
        raise ConfigError(f"target {text!r}: {kpi} is a whole-day KPI (answered calls over "
                          "callers), not an interval target; use it as a redeploy's "
                          f"--objective; allowed targets: {ALLOWED_TEXT}")
    want, kind = KPIS[base]
    op = {"=>": ">=", "=<": "<="}.get(op, op)
    if op not in (">=", "<="):
        raise ConfigError(f"target {text!r}: write {kpi}{want}value (the operator must be "
                          f"{want} for {kpi})")
    if op != want:
        better = "more" if want == ">=" else "less"
        raise ConfigError(f"target {text!r}: {kpi} must be bounded with {want} (agents make "
                          f"it {'higher' if want == '>=' else 'lower'}: {better} is better)")
    value = _parse_value(m.group("value"), kind, str(text))
    if base in ("sl", "sla"):
        kpi = f"{base}_{_sl_name(float(kpi[len(base) + 1:].replace('_', '.')))}"
    return Target(kpi=kpi, op=want, value=value, call_type=ctype)


def parse_targets(items: str | Target | Iterable[str | Target] | Mapping[str, float]
                  ) -> list[Target]:
    """Targets from strings, :class:`Target` objects or a ``{"answer_rate>=": 0.9}`` mapping.

    A mapping's keys are ``kpi`` with its operator (``"asa<="``) or ``kpi`` alone (the
    KPI's usual direction).
    """
    if isinstance(items, str | Target):
        items = [items]
    out: list[Target] = []
    if isinstance(items, Mapping):
        for key, value in items.items():
            key = str(key).strip()
            if not key.endswith(("=", "<", ">")):
                base = kpi_base(key.split(".")[-1])
                op = KPIS.get(base, (">=", "rate"))[0]
                key += op
            out.append(parse_target(f"{key}{value}"))
    else:
        for item in items:
            out.append(item if isinstance(item, Target) else parse_target(str(item)))
    if not out:
        raise ConfigError(f"give at least one target; allowed: {ALLOWED_TEXT}")
    seen: set[tuple[str, str | None]] = set()
    for t in out:
        key = (t.kpi, t.call_type)
        if key in seen:
            raise ConfigError(f"target {t.label}: {t.kpi} of "
                              f"{t.call_type or 'all calls'} is targeted twice; keep one")
        seen.add(key)
    return out


def check_targets(targets: Sequence[Target], call_types: Sequence[str],
                  service_levels: Sequence[float]) -> None:
    """Check that each target's call type and service-level threshold exist in a scenario.

    Raises
    ------
    ConfigError
        Naming the target and the allowed call types or thresholds.
    """
    for t in targets:
        if t.call_type is not None and t.call_type not in call_types:
            raise ConfigError(f"target {t.label}: {t.call_type!r} is not a call type of the "
                              f"scenario; allowed: {', '.join(call_types)}")
        th = t.threshold
        if th is not None and not any(math.isclose(th, s) for s in service_levels):
            have = ", ".join(f"{s:g}" for s in service_levels) or "none"
            raise ConfigError(f"target {t.label}: the scenario measures service levels at "
                              f"{have} s (kpis.service_levels), not {th:g} s; allowed: "
                              + ", ".join(f"{t.base}_{_sl_name(s)}" for s in service_levels))
