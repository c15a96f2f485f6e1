"""The IVR (ARS) menu section of a scenario, and what happens to misrouted callers.

Owns the ``ivr:`` and ``misroute:`` models: menu nodes, their options (keys) and the
transfer of callers who reach the wrong queue. Cross-references (options pointing to
call types and nodes) are checked in :mod:`callsim.config.checks`; the menu compiled to
indices is :mod:`callsim.compiled.menu`. Imports :mod:`callsim.config.units` and
:mod:`callsim.config.distributions` only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from callsim.config.distributions import Dist
from callsim.config.units import Float, Int, Name, Probability, Strict


def _str_keys(value: Any) -> Any:
    """YAML reads an unquoted digit key (``1:``) as an int; options are keyed by text."""
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    return value


class MenuOption(Strict):
    """What pressing one key does: give exactly one of queue, goto, self_service, disconnect."""

    queue: Name | None = None
    """Send the caller to this call type's queue."""
    intents: list[Name] | None = None
    """With ``queue``: the call types whose callers should press this key (default: the
    queue's own call type). A one-level menu's "general" key may serve several."""
    goto: Name | None = None
    """Play this menu node next (a sub-menu)."""
    self_service: dict[Name, Probability] | None = None
    """A recording that helps callers: for each intent (call type), the share of callers
    with that intent at this node who take it and leave satisfied (``self_served``)."""
    disconnect: bool = False
    """Hang up on the caller (e.g. an option that only plays a message)."""
    weight: Annotated[Float, Field(gt=0)] = 1.0
    """Relative choice weight when several options lead to a caller's intent."""
    label: str = ""
    """What the prompt says for this key."""

    @model_validator(mode="after")
    def _one_action(self) -> MenuOption:
        given = [k for k in ("queue", "goto", "self_service") if getattr(self, k) is not None]
        if self.disconnect:
            given.append("disconnect")
        if len(given) != 1:
            raise ValueError(
                "an option needs exactly one of queue, goto, self_service, disconnect "
                f"(got {', '.join(given) if given else 'none'})"
            )
        if self.intents is not None and self.queue is None:
            raise ValueError("'intents' is only used with 'queue'")
        return self

    def intent_list(self) -> list[str]:
        """Call types this option is the right key for (queue options only)."""
        if self.queue is None:
            return []
        return list(self.intents) if self.intents is not None else [self.queue]


class MenuNode(Strict):
    """One menu: a prompt, then the caller presses a key (or not, or hangs up)."""

    prompt: Dist = 0.0  # type: ignore[assignment]
    """Length of the announcement (seconds, or a distribution)."""
    decision: Dist | None = None
    """Time the caller takes to press a key after the prompt (default 0)."""
    options: Annotated[dict[Annotated[str, Field(pattern=r"^[0-9*#]{1,3}$")], MenuOption],
                       BeforeValidator(_str_keys)] = Field(min_length=1)
    """Keys (digits, * or #) and what they do."""
    error_rate: Probability = 0.0
    """Probability that a caller presses a wrong key (a misroute or a wrong sub-menu)."""
    timeout_rate: Probability = 0.0
    """Probability that a caller presses nothing: the prompt repeats."""
    max_repeats: Annotated[Int, Field(ge=0, le=10)] = 1
    """Repeats after a timeout before ``on_timeout`` applies."""
    on_timeout: str = "disconnect"
    """After too many timeouts: a call type (its queue), a node, or ``disconnect``."""
    hangup: Probability = 0.0
    """Probability that a caller hangs up at the end of this node's prompt."""
    hangup_hazard: Annotated[Float, Field(ge=0, allow_inf_nan=False)] = 0.0
    """Hang-up rate per second while the prompt plays."""

    @model_validator(mode="after")
    def _rates(self) -> MenuNode:
        if self.error_rate + self.timeout_rate > 1.0 + 1e-12:
            raise ValueError(
                f"error_rate + timeout_rate = {self.error_rate + self.timeout_rate:g}; "
                "their sum must be at most 1"
            )
        return self


class IvrCfg(Strict):
    """The IVR (ARS) menu tree callers walk before they reach a queue."""

    root: Name
    """The first menu node every caller hears."""
    nodes: dict[Name, MenuNode] = Field(min_length=1)
    """Menu nodes by name."""


class MisrouteCfg(Strict):
    """What happens to a caller who reaches the wrong queue."""

    transfer_time: Dist = 30.0  # type: ignore[assignment]
    """Agent time spent finding out and transferring the caller (seconds)."""
    requeue: Literal["front", "back"] = "front"
    """Where the transferred caller waits in the right queue."""


