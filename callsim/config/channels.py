"""The ``channels:`` section: contact channels (chatbot, text, ...) customers try first.

Owns :class:`ChannelCfg` (which intents a channel takes and what share of their customers
try it, by clock hour; how many it helps; how long a session lasts; what customers it
fails do) and :func:`channel_problems`, the checks that span sections (intents that
must be call types, shares that must not add up to more than everyone). The compiled
form is :mod:`callsim.compiled.channels`, the run-time stage
:mod:`callsim.engine.channels`. Imports :mod:`callsim.config.units` and
:mod:`callsim.config.distributions` (and the schema for type checking only: the schema
imports this module).

A customer is one of the scenario's callers (``arrivals``), drawn before the phone: a
share of them (by intent and the clock hour they turn up) tries a channel *instead of*
or *before* calling. In the channel they spend ``time``; ``containment`` of them are
helped there (``contained``). The others fail: ``on_failure.handover`` of them are
passed by the channel straight to their intent's queue (no menu), ``on_failure.call``
phone the number and walk the menu like any caller, both after ``on_failure.delay``;
the rest give up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BeforeValidator, Field, model_validator

from callsim.config.distributions import Dist
from callsim.config.units import Float, Name, Probability, Strict

if TYPE_CHECKING:
    from callsim.config.schema import Scenario


def _share(value: Any) -> Any:
    """A share: one number for every hour, or 24 numbers (one per clock hour); checked
    here so that a bad value gives one message, not one per union branch."""
    def bad(v: Any) -> bool:
        return isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v <= 1

    if isinstance(value, list):
        if len(value) != 24:
            raise ValueError(f"a list of shares needs 24 entries, one per clock hour from "
                             f"00:00 (got {len(value)})")
        wrong = [f"{h:02d}:00: {v!r}" for h, v in enumerate(value) if bad(v)]
        if wrong:
            raise ValueError(f"each share must be a number from 0 to 1 ({', '.join(wrong[:4])}"
                             f"{' ...' if len(wrong) > 4 else ''})")
    elif bad(value):
        raise ValueError(f"{value!r} is not allowed; give a share from 0 to 1, or a list of "
                         "24 shares (one per clock hour from 00:00)")
    return value


HourlyShare = Annotated[Float | list[Float], BeforeValidator(_share)]
"""A share of customers: one value for all hours, or 24 (00:00-01:00 first)."""


class FailureCfg(Strict):
    """What the customers a channel did not help do: hand-over, call, or give up."""

    handover: Probability = 0.0
    """Share passed by the channel straight to their intent's queue (they skip the menu;
    e.g. a chatbot's "talk to a counsellor" button)."""
    call: Probability = 0.0
    """Share who phone the number and walk the menu like any caller."""
    delay: Dist = 0.0  # type: ignore[assignment]
    """Time from the end of the session to the hand-over or the call (seconds)."""

    @model_validator(mode="after")
    def _sum(self) -> FailureCfg:
        if self.handover + self.call > 1.0 + 1e-12:
            raise ValueError(f"handover + call = {self.handover + self.call:g}; their sum "
                             "must be at most 1 (the rest give up)")
        return self


class ChannelCfg(Strict):
    """A contact channel customers try instead of, or before, phoning."""

    takes: dict[Name, HourlyShare] = Field(min_length=1)
    """For each intent (call type) the channel serves, the share of its customers who try
    the channel first: one share, or 24 (one per clock hour, from 00:00)."""
    containment: Probability | dict[Name, Probability]
    """Share of the customers who try it that the channel helps (``contained``): one
    value, or one per intent it takes."""
    time: Dist = 0.0  # type: ignore[assignment]
    """Time a customer spends in the channel (seconds), helped or not."""
    on_failure: FailureCfg = Field(default_factory=FailureCfg)
    """What the customers it does not help do (default: all give up)."""
    description: str = ""
    """Free text."""

    def share(self, intent: str) -> list[float]:
        """The 24 hourly shares of *intent*'s customers who try the channel (0 if it
        does not take the intent)."""
        v = self.takes.get(intent, 0.0)
        return [float(x) for x in v] if isinstance(v, list) else [float(v)] * 24

    def contains(self, intent: str) -> float:
        """The containment of *intent*'s customers."""
        c = self.containment
        return float(c.get(intent, 0.0)) if isinstance(c, dict) else float(c)


def channel_problems(sc: Scenario) -> list[str]:
    """Cross-section problems of ``channels:`` (one line each: field, value, allowed)."""
    if not sc.channels:
        return []
    problems: list[str] = []
    types = list(sc.call_types)
    for name, ch in sc.channels.items():
        where = f"channels.{name}"
        for k in ch.takes:
            if k not in sc.call_types:
                problems.append(f"{where}.takes.{k}: {k!r} is not a call type (intent); "
                                f"allowed: {', '.join(types)}")
        if isinstance(ch.containment, dict):
            for k in ch.containment:
                if k not in ch.takes:
                    problems.append(f"{where}.containment.{k}: {k!r} is not an intent this "
                                    f"channel takes; allowed: {', '.join(ch.takes)}")
            missing = [k for k in ch.takes if k not in ch.containment]
            if missing:
                problems.append(f"{where}.containment: no value for {', '.join(missing)} "
                                "(give one per intent in takes, or one number for all)")
    if problems:
        return problems
    for k in types:
        total = [sum(ch.share(k)[h] for ch in sc.channels.values()) for h in range(24)]
        worst = max(range(24), key=total.__getitem__)
        if total[worst] > 1.0 + 1e-9:
            problems.append(
                f"channels: the shares of {k!r} customers add up to {total[worst]:.4g} at "
                f"{worst:02d}:00 over {', '.join(sc.channels)}; a customer tries one channel "
                "first, so they must add up to at most 1")
    return problems
