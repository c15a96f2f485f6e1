"""The ``hours:`` section: open hours of queues and menu options, holidays, after hours.

Owns :class:`HoursCfg` (holidays as a day type, given as day numbers of the horizon or
dates; per queue and per menu option the daily open hours, the holiday hours, and the
after-hours treatment), :func:`parse_ranges` (``"09:00-22:00"`` clock ranges) and
:func:`hours_problems`, the checks that span sections (queues that are call types,
options that exist, forward targets that can serve the callers sent there). The
compiled form is :mod:`callsim.compiled.hours`, the run-time rules
:mod:`callsim.engine.hours`. Imports :mod:`callsim.config.units` (and the schema for
type checking only: the schema imports this module).

After hours (``after_hours``), give exactly one:

* ``queue: <call type>``: forward to that call type's queue (its hours apply in turn);
* ``outside: <label>``: forward to an outside number (outcome ``forwarded``: counted,
  not offered);
* ``message: true``: play a closed message and disconnect (outcome ``closed``);
* ``callback: true`` (queues only): take a number; the ``callbacks:`` section's pool
  calls back when it has an agent free (outcome ``callback``, or ``callback_open``);
* ``goto: <node>`` (menu options only): play that menu node instead.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BeforeValidator, Field, WithJsonSchema, field_validator, model_validator

from callsim.config.units import Int, Name, Strict

if TYPE_CHECKING:
    from callsim.config.schema import Scenario

_RANGE_RE = re.compile(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*")
DAY = 86400.0


def parse_ranges(value: Any) -> Any:
    """``["09:00-12:00", "13:00-22:00"]`` → sorted ``[(start, end)]`` in seconds since
    midnight; ``"closed"`` or ``[]`` → no hours, ``"always"`` → ``[(0, 86400)]``.

    Raises ValueError on a range that is not ``HH:MM-HH:MM`` within 00:00-24:00 with the
    end after the start, or on ranges that overlap."""
    if value == "always":
        return [(0.0, DAY)]
    if value == "closed":
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return value  # pydantic reports the type
    out: list[tuple[float, float]] = []
    for item in value:
        if isinstance(item, list | tuple) and len(item) == 2 and all(
                isinstance(x, float) for x in item):
            out.append((item[0], item[1]))  # already parsed (a re-validation)
            continue
        m = _RANGE_RE.fullmatch(item) if isinstance(item, str) else None
        if m is None:
            raise ValueError(f"{item!r} is not a range of clock times; write "
                             "\"HH:MM-HH:MM\", e.g. \"09:00-22:00\" (or always, closed)")
        h1, m1, h2, m2 = (int(x) for x in m.groups())
        a, b = h1 * 3600.0 + m1 * 60.0, h2 * 3600.0 + m2 * 60.0
        if m1 >= 60 or m2 >= 60 or a >= DAY or b > DAY or b <= a:
            raise ValueError(f"{item!r}: a range runs from 00:00 to at most 24:00 within "
                             "one day, its end after its start (for hours past midnight "
                             "give two ranges, e.g. \"22:00-24:00\" and \"00:00-02:00\")")
        out.append((a, b))
    out.sort()
    for (a1, b1), (a2, b2) in itertools.pairwise(out):
        if a2 < b1:
            raise ValueError(f"the ranges {_clock(a1)}-{_clock(b1)} and {_clock(a2)}-"
                             f"{_clock(b2)} overlap; give each open period once")
    return out


def _clock(s: float) -> str:
    return f"{int(s // 3600):02d}:{int(s % 3600 // 60):02d}"


Ranges = Annotated[
    list[tuple[float, float]], BeforeValidator(parse_ranges),
    WithJsonSchema({"anyOf": [
        {"type": "array", "items": {"type": "string", "pattern": r"^\d{1,2}:\d{2}-\d{1,2}:\d{2}$"}},
        {"enum": ["always", "closed"]}]}),
]
"""Open hours of a day: ``"HH:MM-HH:MM"`` ranges (``always``, ``closed``)."""


class AfterHoursCfg(Strict):
    """What happens to a caller who reaches a closed queue or option: give exactly one."""

    queue: Name | None = None
    """Forward to this call type's queue."""
    outside: str | None = None
    """Forward to an outside number (this text names it, e.g. "1330 tourist line")."""
    message: bool = False
    """Play a closed message and disconnect."""
    callback: bool = False
    """Take the caller's number; the ``callbacks:`` pool calls back (queues only)."""
    goto: Name | None = None
    """Play this menu node instead (menu options only)."""

    @model_validator(mode="after")
    def _one(self) -> AfterHoursCfg:
        given = [k for k in ("queue", "outside", "goto") if getattr(self, k) is not None]
        given += [k for k in ("message", "callback") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError("after_hours needs exactly one of queue, outside, message, "
                             f"callback, goto (got {', '.join(given) if given else 'none'})")
        return self

    def kind(self) -> str:
        """The treatment's name: queue, outside, message, callback or goto."""
        for k in ("queue", "outside", "goto"):
            if getattr(self, k) is not None:
                return k
        return "message" if self.message else "callback"


class OpenHoursCfg(Strict):
    """When a queue or menu option is open, and what happens to callers outside it."""

    open: Ranges
    """Daily open hours, e.g. ``["09:00-22:00"]`` (``always``, ``closed``)."""
    on_holidays: Ranges | None = None
    """Open hours on the holidays of ``hours.holidays`` (default: the daily hours)."""
    after_hours: AfterHoursCfg
    """What happens to a caller who arrives while it is closed (and, for a queue, to the
    callers still waiting when it closes)."""


def _day(value: Any) -> Any:
    """A holiday: a day number (1 = the horizon's first day) or a date."""
    if isinstance(value, dt.datetime):
        return value.date()
    return value


Holiday = Annotated[Annotated[Int, Field(ge=1)] | dt.date, BeforeValidator(_day)]


class HoursCfg(Strict):
    """Time-of-day routing: open hours per queue and menu option, and holidays."""

    start_date: dt.date | None = None
    """The date of the horizon's first day (needed to give holidays as dates)."""
    holidays: list[Holiday] = Field(default_factory=list)
    """Days that follow the ``on_holidays`` hours: day numbers of the horizon (1 = the
    first day) or dates (with ``start_date``)."""
    queues: dict[Name, OpenHoursCfg] = Field(default_factory=dict)
    """Open hours of call types' queues; a queue not listed is always open."""
    options: dict[Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_\-]*\.[0-9*#]{1,3}$")],
                  OpenHoursCfg] = Field(default_factory=dict)
    """Open hours of menu options, keyed ``<node>.<key>`` (e.g. ``main.9``); an option
    not listed is always open."""

    @field_validator("options", mode="before")
    @classmethod
    def _str_keys(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {str(k): v for k, v in value.items()}
        return value

    def holiday_days(self) -> list[int]:
        """The holidays as day indices from 0 (dates counted from ``start_date``)."""
        out: list[int] = []
        for h in self.holidays:
            if isinstance(h, dt.date):
                if self.start_date is not None:
                    out.append((h - self.start_date).days)
            else:
                out.append(int(h) - 1)
        return sorted(set(out))


def hours_problems(sc: Scenario) -> list[str]:
    """Cross-section problems of ``hours:`` (one line each: field, value, allowed)."""
    hours = sc.hours
    if hours is None:
        return []
    problems: list[str] = []
    types = list(sc.call_types)
    n_days = max(1, math.ceil((sc.horizon.start + sc.horizon.length) / DAY - 1e-9))
    for j, h in enumerate(hours.holidays):
        where = f"hours.holidays[{j}]"
        if isinstance(h, dt.date):
            if hours.start_date is None:
                problems.append(f"{where}: the date {h.isoformat()} needs hours.start_date "
                                "(the date of the horizon's first day); or give a day number")
                continue
            d = (h - hours.start_date).days + 1
            if not 1 <= d <= n_days:
                last = hours.start_date + dt.timedelta(days=n_days - 1)
                problems.append(f"{where}: {h.isoformat()} is not in the horizon "
                                f"({hours.start_date.isoformat()} to {last.isoformat()})")
        elif h > n_days:
            problems.append(f"{where}: day {h} is not in the horizon (days 1 to {n_days})")
    for q, oh in hours.queues.items():
        where = f"hours.queues.{q}"
        if q not in sc.call_types:
            problems.append(f"{where}: {q!r} is not a call type (queue); allowed: "
                            f"{', '.join(types)}")
            continue
        problems += _treatment_problems(sc, f"{where}.after_hours", oh.after_hours, q,
                                        intents_at(sc, q))
    for key, oh in hours.options.items():
        where = f"hours.options.{key}"
        node, opt = key.rsplit(".", 1)
        if sc.ivr is None:
            problems.append(f"{where}: the scenario has no ivr menu; open hours of menu "
                            "options need one")
            continue
        if node not in sc.ivr.nodes:
            problems.append(f"{where}: {node!r} is not a menu node; allowed: "
                            f"{', '.join(sc.ivr.nodes)}")
            continue
        if opt not in sc.ivr.nodes[node].options:
            problems.append(f"{where}: node {node!r} has no option {opt!r}; allowed: "
                            f"{', '.join(sc.ivr.nodes[node].options)}")
            continue
        problems += _treatment_problems(sc, f"{where}.after_hours", oh.after_hours, None,
                                        option_intents(sc, node, opt))
    if not problems:
        problems += _forward_cycles(sc)
    return problems


def _treatment_problems(sc: Scenario, where: str, ah: AfterHoursCfg,
                        queue: str | None, sent: list[str]) -> list[str]:
    """Problems of one after-hours treatment (*queue*: the closed queue, None for an
    option; *sent*: the intents whose callers it treats)."""
    types = list(sc.call_types)
    kind = ah.kind()
    if kind == "queue":
        target = ah.queue
        assert target is not None
        if target not in sc.call_types:
            return [f"{where}.queue: {target!r} is not a call type (queue); allowed: "
                    f"{', '.join(types)}"]
        if target == queue:
            return [f"{where}.queue: {target!r} forwards to itself; forward to another "
                    "queue, or use outside, message or callback"]
        for ct in sent:
            for p in sc.routing_for(target):
                if p in sc.pools and ct not in sc.pools[p].skills:
                    return [f"{where}.queue: forwards {ct!r} callers to queue {target!r}, "
                            f"but pool {p!r} answering it lacks the skill {ct!r}; add it "
                            f"to pools.{p}.skills or forward elsewhere"]
    elif kind == "callback":
        if queue is None:
            return [f"{where}.callback: a call-back is offered by a closed queue only; for "
                    "a menu option use queue, outside, message or goto"]
        if sc.callbacks is None:
            return [f"{where}.callback: needs a callbacks: section (its pool makes the "
                    "calls back)"]
    elif kind == "goto":
        if queue is not None:
            return [f"{where}.goto: a closed queue cannot play a menu node; use queue, "
                    "outside, message or callback"]
        if sc.ivr is None or ah.goto not in sc.ivr.nodes:
            nodes = ", ".join(sc.ivr.nodes) if sc.ivr is not None else "none"
            return [f"{where}.goto: {ah.goto!r} is not a menu node; allowed: {nodes}"]
    return []


def intents_at(sc: Scenario, queue: str) -> list[str]:
    """The intents whose callers reach *queue* on the right keys (itself, and those the
    menu's options to it list)."""
    out = {queue}
    if sc.ivr is not None:
        for node in sc.ivr.nodes.values():
            for opt in node.options.values():
                if opt.queue == queue:
                    out.update(opt.intent_list())
    return sorted(out)


def option_intents(sc: Scenario, node: str, key: str) -> list[str]:
    """The intents whose right path goes through option *key* of menu node *node*."""
    assert sc.ivr is not None
    ivr = sc.ivr
    opt = ivr.nodes[node].options[key]
    if opt.goto is None:
        return sorted(opt.intent_list())
    out: set[str] = set()
    stack, seen = [opt.goto], set()
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        for o in ivr.nodes[n].options.values():
            out.update(o.intent_list())
            if o.goto is not None:
                stack.append(o.goto)
    return sorted(out)


def _forward_cycles(sc: Scenario) -> list[str]:
    """Queues that forward to each other in a loop after hours."""
    assert sc.hours is not None
    nxt = {q: oh.after_hours.queue for q, oh in sc.hours.queues.items()
           if oh.after_hours.queue is not None}
    for start in nxt:
        seen = [start]
        q = nxt.get(start)
        while q is not None:
            if q in seen:
                loop = " -> ".join([*seen[seen.index(q):], q])
                return [f"hours.queues: after-hours forwards loop ({loop}); end the chain "
                        "with outside, message or callback"]
            seen.append(q)
            q = nxt.get(q)
    return []
