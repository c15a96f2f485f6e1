"""The ``hours:`` section compiled: open periods in simulation seconds, treatments by index.

Owns :class:`Window` (when something is open over the whole run, holidays applied),
:class:`Treatment` (what happens after hours, resolved to indices), :class:`CompiledHours`
and :func:`compile_hours`, and the action kinds the menu walk uses for options with open
hours (:data:`TIMED`, :data:`EXIT`). Imports :mod:`callsim.config`,
:mod:`callsim.compiled.clock` and :mod:`callsim.compiled.menu`; the run-time rules are
:mod:`callsim.engine.hours`.

Days are calendar days of the run: day 0 is the day the horizon starts on (clock
``start``), so simulation time ``t`` falls on day ``(start + t) // 86400``. A day
follows the ``on_holidays`` hours when it is a holiday, else the daily ``open`` hours.
Windows cover the horizon and the drain after it.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass

from callsim.compiled.clock import DAY
from callsim.compiled.menu import GOTO, QUEUE
from callsim.config import OpenHoursCfg, Scenario
from callsim.config.hours import intents_at, option_intents

TIMED = 4
"""Menu action kind of an option with open hours (target: its index in
:attr:`CompiledHours.options`)."""
EXIT = 5
"""Menu action kind that ends the walk with an outcome (target: the outcome code)."""

#: Treatment kinds (after hours).
FORWARD, OUTSIDE, MESSAGE, CALLBACK, PLAY = "queue", "outside", "message", "callback", "goto"


@dataclass(frozen=True, slots=True)
class Window:
    """Open periods ``[opens[i], closes[i])`` in simulation seconds, sorted and apart."""

    opens: tuple[float, ...]
    closes: tuple[float, ...]

    def is_open(self, t: float) -> bool:
        """Whether it is open at time *t*."""
        i = bisect_right(self.opens, t) - 1
        return i >= 0 and t < self.closes[i]

    def open_share(self, a: float, b: float) -> float:
        """The share of ``[a, b)`` it is open."""
        if b <= a:
            return 0.0
        tot = sum(max(0.0, min(e, b) - max(s, a)) for s, e in zip(self.opens, self.closes,
                                                                    strict=True))
        return tot / (b - a)


@dataclass(frozen=True, slots=True)
class Treatment:
    """What happens after hours: *kind* (:data:`FORWARD` to queue *target*,
    :data:`OUTSIDE`, :data:`MESSAGE`, :data:`CALLBACK`, or :data:`PLAY` menu node
    *target*), and the text it was given (the outside number's name)."""

    kind: str
    target: int = -1
    label: str = ""


@dataclass(frozen=True, slots=True)
class CompiledHours:
    """Open hours by index.

    Attributes
    ----------
    queues
        Per call type's queue: its :class:`Window` and :class:`Treatment`, or None
        (always open).
    options
        (node index, option index, window, treatment) of menu options with open hours.
    holidays
        Day indices (0 = the first day) that follow the holiday hours.
    forwards
        (intent, queue) pairs where after-hours forwarding sends callers of that intent
        to a queue the menu's right keys do not: they are not misrouted there.
    """

    queues: tuple[tuple[Window, Treatment] | None, ...]
    options: tuple[tuple[int, int, Window, Treatment], ...]
    holidays: tuple[int, ...]
    forwards: tuple[tuple[int, int], ...] = ()


def window(cfg: OpenHoursCfg, holidays: set[int], clock_start: float, t_end: float) -> Window:
    """The open periods of *cfg* over ``[0, t_end)`` (simulation seconds)."""
    opens: list[float] = []
    closes: list[float] = []
    n_days = max(1, math.ceil((clock_start + t_end) / DAY))
    for day in range(n_days):
        ranges = cfg.on_holidays if day in holidays and cfg.on_holidays is not None \
            else cfg.open
        for a, b in ranges:
            s, e = day * DAY + a - clock_start, day * DAY + b - clock_start
            if e <= 0:
                continue
            s = max(s, 0.0)
            if closes and s <= closes[-1]:  # touches the previous period: one period
                closes[-1] = max(closes[-1], e)
            else:
                opens.append(s)
                closes.append(e)
    return Window(tuple(opens), tuple(closes))


def compile_hours(sc: Scenario, t_end: float) -> CompiledHours | None:
    """The compiled ``hours:`` of *sc* over ``[0, t_end)``, or None without one."""
    h = sc.hours
    if h is None or not (h.queues or h.options):
        return None
    types = list(sc.call_types)
    tindex = {n: i for i, n in enumerate(types)}
    holidays = set(h.holiday_days())
    start = sc.horizon.start

    def treatment(cfg: OpenHoursCfg) -> Treatment:
        ah = cfg.after_hours
        kind = ah.kind()
        if kind == FORWARD:
            return Treatment(kind, tindex[ah.queue or ""])
        if kind == PLAY:
            assert sc.ivr is not None
            names = [sc.ivr.root] + [n for n in sc.ivr.nodes if n != sc.ivr.root]
            return Treatment(kind, names.index(ah.goto or ""))
        return Treatment(kind, -1, ah.outside or "")

    queues: list[tuple[Window, Treatment] | None] = [None] * len(types)
    for q, cfg in h.queues.items():
        queues[tindex[q]] = (window(cfg, holidays, start, t_end), treatment(cfg))
    options: list[tuple[int, int, Window, Treatment]] = []
    if sc.ivr is not None:
        names = [sc.ivr.root] + [n for n in sc.ivr.nodes if n != sc.ivr.root]
        for key, cfg in h.options.items():
            node, opt = key.rsplit(".", 1)
            o = list(sc.ivr.nodes[node].options).index(opt)
            options.append((names.index(node), o, window(cfg, holidays, start, t_end),
                            treatment(cfg)))
    nxt = {q: cfg.after_hours.queue for q, cfg in h.queues.items()
           if cfg.after_hours.queue is not None}

    def chain(q: str) -> list[str]:  # the queues a forward to *q* may end in (no loops)
        out = [q]
        while out[-1] in nxt:
            out.append(nxt[out[-1]])
        return out

    forwards: set[tuple[int, int]] = set()
    for q in nxt:
        for k in intents_at(sc, q):
            forwards.update((tindex[k], tindex[t]) for t in chain(q)[1:])
    for key, cfg in h.options.items():
        if cfg.after_hours.queue is not None and sc.ivr is not None:
            node, opt = key.rsplit(".", 1)
            for k in option_intents(sc, node, opt):
                forwards.update((tindex[k], tindex[t]) for t in chain(cfg.after_hours.queue))
    return CompiledHours(tuple(queues), tuple(options), tuple(sorted(holidays)),
                         tuple(sorted(forwards)))


__all__ = ["EXIT", "GOTO", "QUEUE", "TIMED", "CompiledHours", "Treatment", "Window",
           "compile_hours", "window"]
