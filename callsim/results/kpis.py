"""The KPI registry: every KPI's one written definition, unit, direction, label and format.

Owns what a KPI *is*: how it is computed from tallies (:class:`Counts`), its unit
(which fixes how it is formatted, in tables, files and figures alike), whether higher
or lower is better for callers, its readable label, when an optional KPI is shown,
and the patterns ``sl_<t>``, ``sla_<t>``, ``wait_p<q>``, ``type.<name>.<kpi>``,
``pool.<name>.<kpi>`` and ``channel.<name>.<kpi>``. Terminal tables, CSV/JSON writers,
figures and the HTML report all read it (:mod:`callsim.results.kpi_format` formats
values from it); adding a KPI means adding one :class:`Kpi` here (and, if it needs a
new tally, a field of :class:`Counts`). Imports :mod:`callsim.results.counts`; never the
experiment, io or UI layers.

Definitions (``offered`` = calls that reached a queue, less blocked calls and short
abandons; every ratio with a zero denominator is ``NaN``):

- ``answer_rate`` = answered / offered; ``abandon_rate`` = abandoned / offered;
- ``balked``: callers who hung up on hearing a queue announcement; they are offered
  (they reached the queue and left unserved, so an announcement that drives callers
  away cannot raise ``answer_rate``), with a wait of 0; ``balk_rate`` = balked / offered;
- ``asa`` = mean wait of answered calls (s); ``mean_wait`` = mean wait of offered calls;
- ``p_wait`` = share of offered calls that waited at all (wait > 0);
- ``sl_<t>`` = answered within t s / answered; ``sla_<t>`` = answered within t s / offered;
- ``wait_p50``/``wait_p90``/``wait_p95``: percentiles of the wait of answered calls,
  from a histogram with 0.25 s bins up to one hour (exact to 0.25 s);
- ``mean_queue`` = time-average number of waiting calls;
- ``occupancy`` = busy agent time / staffed agent time (busy time counts whenever the
  call being served arrived; an agent finishing a call after the shift ended counts as
  staffed until the call ends);
- ``forwarded`` / ``closed``: calls that reached a closed queue or menu option and were
  forwarded to an outside number / told it is closed (after hours); not offered;
- channels (``channels:``): ``customers`` (the scenario's callers before any channel;
  without channels, the callers), ``channel_attempts`` (tried a channel first),
  ``contained`` (helped there), ``containment`` = contained / channel_attempts,
  ``channel_fallbacks`` (went on to the phone: handed over or calling),
  ``channel_gave_up``, and ``helped_rate`` = (contained + answered - internal legs) /
  customers, the share of customers helped in a channel or by an agent (customers
  counted by when they turned up, calls by when they arrived). Defined without
  channels too (0 tried a channel), so designs with and without a channel compare;
  shown only where some design has channel attempts.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np

from callsim.results.counts import Counts, hist_quantile, ratio

#: What a KPI measures, which fixes its format: ``calls`` (a count; differences in
#: calls), ``share`` (shown in %, differences in percentage points), ``seconds``,
#: ``waiting`` (a time-average number of calls) or ``agents`` (a time-average headcount).
Unit = Literal["calls", "share", "seconds", "waiting", "agents"]

HIGHER, LOWER, NEUTRAL = 1, -1, 0

#: Percentiles of the wait that are KPIs (``wait_p50`` ...).
WAIT_QUANTILES = (50, 90, 95)

Shown = Callable[[Mapping[str, float]], bool]
"""Whether an optional KPI is worth a row, given one design's overall KPI means."""


def _nonzero(name: str) -> Shown:
    def shown(means: Mapping[str, float]) -> bool:
        v = means.get(name, math.nan)
        return v == v and v != 0
    return shown


def _below_one(name: str) -> Shown:
    def shown(means: Mapping[str, float]) -> bool:
        return means.get(name, 1.0) < 1
    return shown


def _customers(c: Counts) -> Any:
    """Customers: the channel stage's count, or (no channels) the callers."""
    return c.callers if c.customers is None else c.customers


def _zero(v: Any, c: Counts) -> Any:
    """A channel count, or (no channels) zeros shaped like the call counts."""
    return np.zeros_like(np.asarray(c.arrivals, dtype=float)) if v is None else v


@dataclass(frozen=True)
class Kpi:
    """One KPI (or one family, e.g. ``sl_<t>``) and everything known about it.

    Attributes
    ----------
    name
        The KPI's name, or a family's pattern (``"sl_<t>"``).
    label
        Readable name without unit (figure axes, report column "what it is").
    unit
        See :data:`Unit`.
    direction
        :data:`HIGHER` if a higher value is better for callers, :data:`LOWER` if a
        lower one is, :data:`NEUTRAL` for volumes, staffing and occupancy.
    define
        The definition, from :class:`Counts`: ``define(counts)``; for the families,
        ``define(counts, i)`` (the *i*-th service-level threshold) or
        ``define(counts, q)`` (the *q*-th percentile).
    needs
        The :class:`Counts` fields besides the call counts it needs; where they are
        missing (e.g. no wait histogram per interval) the KPI is not computed.
    shown
        ``None``: always a row in tables; else shown when any design's means pass it.
    brief
        A row of the comparison table by default (the others: ``--all-kpis``).
    """

    name: str
    label: str
    unit: Unit
    direction: int
    define: Callable[..., Any]
    needs: tuple[str, ...] = ()
    shown: Shown | None = None
    brief: bool = False


def _k(name: str, label: str, unit: Unit, direction: int, define: Callable[..., Any], *,
       needs: tuple[str, ...] = (), optional: bool = False, shown: Shown | None = None,
       brief: bool = False) -> Kpi:
    if optional and shown is None:
        shown = _nonzero(name)
    return Kpi(name, label, unit, direction, define, needs, shown, brief)


#: Every KPI, in display order (the caller's journey: the number, the menu, the queue,
#: the answer, what followed). Families (``sl_<t>`` ...) expand in their place.
KPIS: tuple[Kpi, ...] = (
    _k("customers", "customers (before any channel)", "calls", NEUTRAL, _customers,
       shown=_nonzero("channel_attempts"), brief=True),
    _k("channel_attempts", "customers who tried a channel first", "calls", NEUTRAL,
       lambda c: _zero(c.channel_attempts, c), optional=True, brief=True),
    _k("contained", "helped in a channel (contained)", "calls", HIGHER,
       lambda c: _zero(c.contained, c), shown=_nonzero("channel_attempts"), brief=True),
    _k("containment", "containment (helped / tried a channel)", "share", HIGHER,
       lambda c: ratio(_zero(c.contained, c), _zero(c.channel_attempts, c)),
       shown=_nonzero("channel_attempts"), brief=True),
    _k("channel_fallbacks", "channel failures who went on to the phone", "calls", NEUTRAL,
       lambda c: _zero(c.channel_fallbacks, c), shown=_nonzero("channel_attempts"),
       brief=True),
    _k("channel_gave_up", "channel failures who gave up", "calls", LOWER,
       lambda c: _zero(c.channel_gave_up, c), shown=_nonzero("channel_attempts"),
       brief=True),
    _k("arrivals", "arrivals", "calls", NEUTRAL, lambda c: c.arrivals, brief=True),
    _k("callers", "callers (first attempts)", "calls", NEUTRAL, lambda c: c.callers,
       shown=_nonzero("redials"), brief=True),
    _k("redials", "redials", "calls", LOWER, lambda c: c.arrivals - c.callers,
       optional=True, brief=True),
    _k("redial_share", "share of offered calls that were redials", "share", LOWER,
       lambda c: ratio(c.redials_offered, c.offered), optional=True),
    _k("ivr_time", "time in the menu", "seconds", LOWER,
       lambda c: ratio(c.ivr_sum, c.arrivals), optional=True, brief=True),
    _k("ivr_hangups", "hang-ups in the menu", "calls", LOWER, lambda c: c.ivr_hangups,
       optional=True, brief=True),
    _k("ivr_hangup_rate", "menu hang-up rate", "share", LOWER,
       lambda c: ratio(c.ivr_hangups, c.arrivals), optional=True),
    _k("self_served", "self-served in the menu", "calls", NEUTRAL, lambda c: c.self_served,
       optional=True, brief=True),
    _k("disconnected", "disconnected by the menu", "calls", LOWER, lambda c: c.disconnected,
       optional=True),
    _k("forwarded", "forwarded outside after hours", "calls", NEUTRAL,
       lambda c: c.forwarded, optional=True, brief=True),
    _k("closed", "told closed after hours", "calls", LOWER, lambda c: c.closed,
       optional=True, brief=True),
    _k("offered", "offered calls", "calls", NEUTRAL, lambda c: c.offered, brief=True),
    _k("blocked", "blocked calls", "calls", LOWER, lambda c: c.blocked, optional=True,
       brief=True),
    _k("short_abandons", "short abandons", "calls", LOWER, lambda c: c.short_abandons,
       optional=True, brief=True),
    _k("answered", "answered calls", "calls", HIGHER, lambda c: c.answered, brief=True),
    _k("abandoned", "abandoned calls", "calls", LOWER, lambda c: c.abandoned, brief=True),
    _k("unfinished", "calls still waiting at the end", "calls", LOWER,
       lambda c: c.unfinished, optional=True),
    _k("answer_rate", "answer rate", "share", HIGHER,
       lambda c: ratio(c.answered, c.offered), brief=True),
    _k("abandon_rate", "abandon rate", "share", LOWER,
       lambda c: ratio(c.abandoned, c.offered)),
    _k("balked", "balked on a queue announcement", "calls", LOWER, lambda c: c.balked,
       optional=True, brief=True),
    _k("balk_rate", "balk rate", "share", LOWER, lambda c: ratio(c.balked, c.offered),
       optional=True),
    _k("caller_answer_rate", "share of callers eventually answered", "share", HIGHER,
       lambda c: ratio(c.answered, c.callers), shown=_nonzero("redials"), brief=True),
    _k("helped_rate", "share of customers helped (in a channel or by an agent)", "share",
       HIGHER, lambda c: ratio(_zero(c.contained, c) + c.answered - c.transfers_in,
                               _customers(c)),
       shown=_nonzero("channel_attempts"), brief=True),
    _k("asa", "ASA, mean wait of answered calls", "seconds", LOWER,
       lambda c: ratio(c.wait_sum_answered, c.answered), brief=True),
    _k("sl_<t>", "service level {t} s (of answered)", "share", HIGHER,
       lambda c, i: ratio(c.within[i], c.answered), brief=True),
    _k("sla_<t>", "service level {t} s (of offered)", "share", HIGHER,
       lambda c, i: ratio(c.within[i], c.offered)),
    _k("mean_wait", "mean wait of offered calls", "seconds", LOWER,
       lambda c: ratio(c.wait_sum_offered, c.offered), brief=True),
    _k("p_wait", "share of calls that waited", "share", LOWER,
       lambda c: ratio(c.waited, c.offered)),
    _k("wait_p<q>", "wait, {q}th percentile", "seconds", LOWER,
       lambda c, q: hist_quantile(c.hist, q / 100), needs=("hist",)),
    _k("mean_queue", "waiting calls (time-average)", "waiting", LOWER,
       lambda c: c.queue_area / c.span, needs=("queue_area", "span"), brief=True),
    _k("misroutes", "misrouted calls", "calls", LOWER, lambda c: c.misroutes,
       optional=True, brief=True),
    _k("misroute_rate", "misroute rate", "share", LOWER,
       lambda c: ratio(c.misroutes, c.offered), optional=True),
    _k("transfers", "transfers of misrouted calls", "calls", LOWER, lambda c: c.transfers,
       optional=True, brief=True),
    _k("callbacks_offered", "call-backs offered", "calls", NEUTRAL,
       lambda c: c.callbacks_offered, optional=True),
    _k("callbacks_accepted", "call-backs accepted", "calls", NEUTRAL,
       lambda c: c.callbacks_done + c.callbacks_open, optional=True, brief=True),
    _k("callbacks_completed", "call-backs completed", "calls", NEUTRAL,
       lambda c: c.callbacks_done, optional=True, brief=True),
    _k("callbacks_open", "call-backs still open at the end", "calls", LOWER,
       lambda c: c.callbacks_open, optional=True),
    _k("callback_delay", "call-back delay", "seconds", LOWER,
       lambda c: ratio(c.callback_delay_sum, c.callbacks_done), optional=True),
    _k("transferred_out", "transferred to an outside official", "calls", NEUTRAL,
       lambda c: c.transferred_out, optional=True, brief=True),
    _k("referred", "referred (given a number)", "calls", NEUTRAL, lambda c: c.referred,
       optional=True, brief=True),
    _k("transferred_internal", "put through to another queue", "calls", NEUTRAL,
       lambda c: c.transferred_internal, optional=True, brief=True),
    _k("transfers_in", "internal legs (put through from another queue)", "calls", NEUTRAL,
       lambda c: c.transfers_in, optional=True, brief=True),
    _k("fcr", "first-contact resolution", "share", HIGHER,
       lambda c: ratio(c.answered - c.transferred_out - c.referred - c.transferred_internal,
                       c.answered), shown=_below_one("fcr"), brief=True),
    _k("occupancy", "agent occupancy", "share", NEUTRAL,
       lambda c: c.busy / c.staffed if c.staffed > 0 else math.nan,
       needs=("busy", "staffed"), brief=True),
)

#: Per agent pool (``pool.<name>.<kpi>``), in display order.
POOL_KPIS: tuple[Kpi, ...] = (
    _k("answered", "calls answered by the pool", "calls", NEUTRAL,
       lambda p: float(p.answered)),
    _k("asa", "ASA of calls the pool answered", "seconds", LOWER,
       lambda p: float(p.wait_sum / p.answered) if p.answered else math.nan),
    _k("occupancy", "agent occupancy", "share", NEUTRAL,
       lambda p: float(p.busy / p.staffed) if p.staffed else math.nan),
    _k("mean_scheduled", "scheduled agents (time-average)", "agents", NEUTRAL,
       lambda p: float(p.scheduled / p.span)),
    _k("mean_staffed", "staffed agents (time-average)", "agents", NEUTRAL,
       lambda p: float(p.staffed / p.span)),
    _k("mean_busy", "busy agents (time-average)", "agents", NEUTRAL,
       lambda p: float(p.busy / p.span)),
)

#: Per contact channel (``channel.<name>.<kpi>``), in display order.
CHANNEL_KPIS: tuple[Kpi, ...] = (
    _k("attempts", "customers who tried it first", "calls", NEUTRAL,
       lambda h: float(h.attempts)),
    _k("contained", "helped there (contained)", "calls", HIGHER,
       lambda h: float(h.contained)),
    _k("containment", "containment (helped / tried it)", "share", HIGHER,
       lambda h: float(h.contained / h.attempts) if h.attempts else math.nan),
    _k("fallbacks", "failures who went on to the phone", "calls", NEUTRAL,
       lambda h: float(h.handovers + h.fallback_calls)),
    _k("handovers", "failures handed to their queue", "calls", NEUTRAL,
       lambda h: float(h.handovers)),
    _k("fallback_calls", "failures who phoned (through the menu)", "calls", NEUTRAL,
       lambda h: float(h.fallback_calls)),
    _k("gave_up", "failures who gave up", "calls", LOWER, lambda h: float(h.gave_up)),
    _k("time", "mean time in the channel", "seconds", NEUTRAL,
       lambda h: float(h.time_sum / h.attempts) if h.attempts else math.nan),
)

#: The KPIs that summarise a design, most telling first: the forest plot, the sweep
#: figures and the sweep table take theirs in this order (``sl_<t>``/``sla_<t>``: the
#: first service level).
HEADLINE: tuple[str, ...] = (
    "answer_rate", "asa", "abandon_rate", "sl_<t>", "occupancy", "sla_<t>", "mean_wait",
    "wait_p90", "mean_queue", "ivr_time", "ivr_hangups", "misroutes", "transfers",
    "blocked", "disconnected",
)

#: What a finding sentence leads with (``callsim report`` and the first line of each
#: command's output): the volume a planner can count, then the rate it moves.
FINDING: tuple[str, ...] = ("answered", "answer_rate")

_FAMILIES = {  # pattern of a member's name -> the family
    re.compile(r"sl_(\d+(?:_\d+)?)"): "sl_<t>",
    re.compile(r"sla_(\d+(?:_\d+)?)"): "sla_<t>",
    re.compile(r"wait_p(\d+)"): "wait_p<q>",
}


@functools.lru_cache(maxsize=4)
def _lookup(kpis: tuple[Kpi, ...], pools: tuple[Kpi, ...], channels: tuple[Kpi, ...]
            ) -> tuple[dict[str, Kpi], dict[str, Kpi], dict[str, int], dict[str, Kpi]]:
    """(entries by name, pool entries by name, display position by name, channel entries
    by name) of a registry."""
    return ({k.name: k for k in kpis}, {k.name: k for k in pools},
            {k.name: i for i, k in enumerate(kpis)}, {k.name: k for k in channels})


def _lk() -> tuple[dict[str, Kpi], dict[str, Kpi], dict[str, int], dict[str, Kpi]]:
    return _lookup(KPIS, POOL_KPIS, CHANNEL_KPIS)


def sl_name(t: float) -> str:
    """The name part of a service-level threshold: 20 → ``"20"``, 2.5 → ``"2_5"``."""
    return f"{t:g}".replace(".", "_")


# ------------------------------------------------------------------- computing


def compute(c: Counts) -> dict[str, Any]:
    """Every KPI that *c* has the inputs for, by name, in display order.

    Scalar counts give floats; array counts (one value per cell, e.g. per interval)
    give arrays of the counts' shape.
    """
    out: dict[str, Any] = {}
    for k in KPIS:
        if any(getattr(c, need) is None for need in k.needs):
            continue
        if k.name == "sl_<t>" or k.name == "sla_<t>":
            prefix = k.name[:-3]
            for i, t in enumerate(c.thresholds):
                out[f"{prefix}{sl_name(t)}"] = k.define(c, i)
        elif k.name == "wait_p<q>":
            for q in WAIT_QUANTILES:
                out[f"wait_p{q}"] = k.define(c, q)
        else:
            out[k.name] = k.define(c)
    arrivals = np.asarray(c.arrivals, dtype=float)
    if arrivals.ndim == 0:
        return {k: float(v) for k, v in out.items()}
    return {k: np.broadcast_to(np.asarray(v, dtype=float), arrivals.shape)
            for k, v in out.items()}


def kpis_from_counts(
    arrivals: Any, outcomes: np.ndarray, waited: Any, sum_wait_ans: Any,
    sum_wait_off: Any, within: np.ndarray, thresholds: tuple[float, ...],
    sum_ivr: Any = 0.0, misroutes: Any = 0.0, transfers: Any = 0.0,
    extra: np.ndarray | None = None,
) -> dict[str, Any]:
    """The call-count KPIs from plain tallies (see :class:`Counts` for what each is).

    *extra* holds (callers, offered redials, callbacks offered, summed callback delay,
    transferred out, referred, put through to another queue, internal legs) when
    behaviour is modelled.
    """
    return compute(Counts.of(arrivals, outcomes, waited, sum_wait_ans, sum_wait_off, within,
                             thresholds, sum_ivr, misroutes, transfers, extra))


# --------------------------------------------------------------------- lookup


def spec(name: str) -> Kpi | None:
    """The registry entry of KPI *name* (a family member, ``type.<t>.<kpi>`` and
    ``pool.<p>.<kpi>`` included), with its label filled in; ``None`` if unknown."""
    parts = name.split(".")
    if len(parts) == 3 and parts[0] in ("pool", "channel"):
        lk = _lk()
        k = (lk[1] if parts[0] == "pool" else lk[3]).get(parts[2])
        return None if k is None else replace(k, name=name,
                                               label=f"{parts[0]} {parts[1]}: {k.label}")
    if len(parts) == 3 and parts[0] == "type":
        k = spec(parts[2])
        return None if k is None else replace(k, name=name,
                                               label=f"{parts[1]} calls: {k.label}")
    if len(parts) != 1:
        return None
    by_name = _lk()[0]
    k = by_name.get(name)
    if k is not None and "<" not in k.name:
        return k
    for pattern, family in _FAMILIES.items():
        m = pattern.fullmatch(name)
        fam = by_name.get(family)
        if m and fam is not None:
            value = m.group(1).replace("_", ".")
            return replace(fam, name=name, label=fam.label.format(t=value, q=value))
    return None


def unit(name: str) -> Unit:
    """The unit of *name* (``calls`` for a name the registry does not know)."""
    k = spec(name)
    return "calls" if k is None else k.unit


def direction(name: str) -> int:
    """+1 if a higher *name* is better for callers, -1 if lower, 0 if neither."""
    k = spec(name)
    return NEUTRAL if k is None else k.direction


def label(name: str) -> str:
    """A short readable name of *name* (no unit)."""
    k = spec(name)
    return name.rsplit(".", 1)[-1].replace("_", " ") if k is None else k.label


def _rank(name: str) -> tuple[int, float]:
    """(position in :data:`KPIS`, threshold within a family) of an overall KPI."""
    index = _lk()[2]
    if name in index and "<" not in name:
        return index[name], 0.0
    for pattern, family in _FAMILIES.items():
        m = pattern.fullmatch(name)
        if m and family in index:
            return index[family], float(m.group(1).replace("_", "."))
    return len(KPIS), 0.0


def ordered(names: Iterable[str]) -> list[str]:
    """Overall KPI names among *names* in display order (unknown names last, as given)."""
    overall = [str(n) for n in names if "." not in str(n)]
    pos = {n: i for i, n in enumerate(overall)}
    return sorted(overall, key=lambda n: (*_rank(n), pos[n]))


def shown(name: str, means: Iterable[Mapping[str, float]]) -> bool:
    """Whether *name* gets a row: always, or (an optional KPI) when some design's
    overall means (``{kpi: mean}``) pass its rule."""
    k = spec(name)
    if k is None or k.shown is None:
        return True
    return any(k.shown(m) for m in means)


def brief(names: Iterable[str]) -> list[str]:
    """The KPIs of a comparison table by default: the brief ones among *names*, in
    display order (only the first service level of each kind)."""
    out: list[str] = []
    seen: set[str] = set()
    for n in ordered(names):
        k = spec(n)
        if k is None or not k.brief:
            continue
        fam = next((f for f in ("sl_", "sla_", "wait_p") if n.startswith(f)), None)
        if fam is not None:
            if fam in seen:
                continue
            seen.add(fam)
        out.append(n)
    return out


def headline(names: Iterable[str], n: int | None = None) -> list[str]:
    """The first *n* (default all) of :data:`HEADLINE` among *names*, in that order."""
    present = ordered(names)
    out: list[str] = []
    for h in HEADLINE:
        if "<" in h:
            prefix = h.split("<")[0]
            out += [k for k in present if _rank(k)[0] == _lk()[2].get(h)
                    and k.startswith(prefix)][:1]
        elif h in present:
            out.append(h)
    return out[:n]


def verdict(name: str, difference: float, half_width: float, significant: bool) -> str:
    """One word or phrase on a paired difference of *name*: ``better``, ``worse``,
    ``higher``, ``lower``, ``identical``, ``no significant difference`` or
    ``not available``."""
    if not math.isfinite(difference):
        return "not available"
    if difference == 0 and (half_width == 0 or not math.isfinite(half_width)):
        return "identical"
    if not significant:
        return "no significant difference"
    d = direction(name)
    if d == NEUTRAL:
        return "higher" if difference > 0 else "lower"
    return "better" if d * difference > 0 else "worse"
