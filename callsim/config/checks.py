"""Cross-section checks of a scenario: names that must exist, coverage, files.

Owns the checks no single section can make: skills, mixes and routing name real call
types and pools, every call type is served and reachable through the menu, profiles
cover the horizon, data files exist. :class:`~callsim.config.schema.Scenario` calls
:func:`cross_problems` from its model validator, so every way of building a scenario
is checked; the channels' and hours' own checks live in their modules
(:mod:`callsim.config.channels`, :mod:`callsim.config.hours`) and are called from here.
Imports :mod:`callsim.errors`, those two modules (and the schema's types for type checking
only: the schema imports this module).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from callsim.config.channels import channel_problems
from callsim.config.hours import hours_problems
from callsim.errors import ConfigError

if TYPE_CHECKING:
    from callsim.config.schema import RateProfile, Scenario


def cross_problems(sc: Scenario) -> list[str]:
    """Problems that span several sections (one line each: field path, value, allowed)."""
    problems: list[str] = []
    types = list(sc.call_types)
    pools = list(sc.pools)
    for pname, pool in sc.pools.items():
        for j, skill in enumerate(pool.skills):
            if skill not in sc.call_types:
                problems.append(f"pools.{pname}.skills[{j}]: {skill!r} is not a call type; "
                                f"allowed: {', '.join(types)}")
        if len(set(pool.skills)) != len(pool.skills):
            problems.append(f"pools.{pname}.skills: a skill is listed twice ({pool.skills})")
    arr = sc.arrivals
    if arr.by_call_type is not None:
        for ct in arr.by_call_type:
            if ct not in sc.call_types:
                problems.append(f"arrivals.by_call_type.{ct}: {ct!r} is not a call type; "
                                f"allowed: {', '.join(types)}")
        missing = [ct for ct in types if ct not in arr.by_call_type]
        if missing:
            problems.append(f"arrivals.by_call_type: no profile for {', '.join(missing)} "
                            "(every call type needs one; give 'rate: ...' or remove the type)")
    elif arr.mix is not None:
        for ct in arr.mix:
            if ct not in sc.call_types:
                problems.append(f"arrivals.mix.{ct}: {ct!r} is not a call type; "
                                f"allowed: {', '.join(types)}")
        missing = [ct for ct in types if ct not in arr.mix]
        if missing:
            problems.append(f"arrivals.mix: no share for {', '.join(missing)} "
                            "(give every call type a share, 0 allowed)")
    if sc.routing is not None:
        for ct, plist in sc.routing.items():
            if ct not in sc.call_types:
                problems.append(f"routing.{ct}: {ct!r} is not a call type; "
                                f"allowed: {', '.join(types)}")
                continue
            for j, step in enumerate(plist):
                p = step if isinstance(step, str) else step.pool
                if p not in sc.pools:
                    problems.append(f"routing.{ct}[{j}]: {p!r} is not an agent pool; "
                                    f"allowed: {', '.join(pools)}")
                elif ct not in sc.pools[p].skills:
                    problems.append(f"routing.{ct}[{j}]: pool {p!r} lacks the skill {ct!r} "
                                    f"(its skills: {', '.join(sc.pools[p].skills)})")
    for ct in types:
        if not any(p in sc.pools for p in sc.routing_for(ct)):
            problems.append(f"call_types.{ct}: no agent pool serves this call type; add it to a "
                            f"pool's skills (pools: {', '.join(pools)})")
    h = sc.horizon
    end_clock = h.start + h.length
    for pname, pool in sc.pools.items():
        st = pool.staffing
        if st.per_interval is not None:
            covers = len(st.per_interval) * st.interval
            if not math.isclose(covers, 86400.0) and covers < end_clock - 1e-9:
                problems.append(
                    f"pools.{pname}.staffing.per_interval: {len(st.per_interval)} entries of "
                    f"{st.interval:g} s cover {covers / 3600:g} h from 00:00, but the horizon "
                    f"runs to {end_clock / 3600:g} h; give one day of entries (repeats daily) "
                    "or cover the whole horizon"
                )
    profiles: list[tuple[str, RateProfile]] = []
    if arr.by_call_type is not None:
        profiles = [(f"arrivals.by_call_type.{k}", v) for k, v in arr.by_call_type.items()]
    else:
        profiles = [("arrivals", arr)]
    for where, prof in profiles:
        if prof.per_interval is not None:
            covers = len(prof.per_interval) * prof.interval
            if not math.isclose(covers, 86400.0) and covers < end_clock - 1e-9:
                problems.append(
                    f"{where}.per_interval: {len(prof.per_interval)} entries of "
                    f"{prof.interval:g} s cover {covers / 3600:g} h from 00:00, but the "
                    f"horizon runs to {end_clock / 3600:g} h; give one day of entries "
                    "(repeats daily) or cover the whole horizon"
                )
    if sc.ivr is not None:
        problems += _check_ivr(sc)
    problems += _check_files(sc)
    for name, ct_cfg in sc.call_types.items():
        if ct_cfg.transfer_to is not None and ct_cfg.transfer_to not in sc.call_types:
            problems.append(f"call_types.{name}.transfer_to: {ct_cfg.transfer_to!r} is not a "
                            f"call type; allowed: {', '.join(types)}")
    for pname, pool in sc.pools.items():
        for ct in pool.reserve or {}:
            if ct not in pool.skills:
                problems.append(f"pools.{pname}.reserve.{ct}: {ct!r} is not one of this "
                                f"pool's skills ({', '.join(pool.skills)})")
    if sc.callbacks is not None and sc.callbacks.pool not in sc.pools:
        problems.append(f"callbacks.pool: {sc.callbacks.pool!r} is not an agent pool; "
                        f"allowed: {', '.join(pools)}")
    problems += channel_problems(sc) + hours_problems(sc)
    return problems


def cross_check(sc: Scenario) -> None:
    """Raise one :class:`ConfigError` listing every cross-section problem of *sc*.

    A :class:`~callsim.config.Scenario` runs these checks itself when it is built; this
    is for a scenario made without validation (``Scenario.model_construct``).
    """
    problems = cross_problems(sc)
    if problems:
        src = sc.source or "<scenario>"
        raise ConfigError(f"{src}: invalid scenario ({len(problems)} problem"
                          f"{'s' if len(problems) != 1 else ''})\n  " + "\n  ".join(problems))


def _check_ivr(sc: Scenario) -> list[str]:
    """Menu options point somewhere real, and every call type is reachable."""
    ivr = sc.ivr
    if ivr is None:
        return []
    types = list(sc.call_types)
    nodes = list(ivr.nodes)
    problems: list[str] = []
    if ivr.root not in ivr.nodes:
        problems.append(f"ivr.root: {ivr.root!r} is not a menu node; allowed: {', '.join(nodes)}")
    for nname, node in ivr.nodes.items():
        for key, opt in node.options.items():
            where = f"ivr.nodes.{nname}.options.{key}"
            if opt.queue is not None and opt.queue not in sc.call_types:
                problems.append(f"{where}.queue: {opt.queue!r} is not a call type (queue); "
                                f"allowed: {', '.join(types)}")
            for j, ct in enumerate(opt.intents or []):
                if ct not in sc.call_types:
                    problems.append(f"{where}.intents[{j}]: {ct!r} is not a call type; "
                                    f"allowed: {', '.join(types)}")
            if opt.goto is not None and opt.goto not in ivr.nodes:
                problems.append(f"{where}.goto: {opt.goto!r} is not a menu node; "
                                f"allowed: {', '.join(nodes)}")
            for ct in opt.self_service or {}:
                if ct not in sc.call_types:
                    problems.append(f"{where}.self_service.{ct}: {ct!r} is not a call type; "
                                    f"allowed: {', '.join(types)}")
        t = node.on_timeout
        if t != "disconnect" and t not in sc.call_types and t not in ivr.nodes:
            problems.append(f"ivr.nodes.{nname}.on_timeout: {t!r} is not a call type, a menu "
                            f"node or 'disconnect'; allowed: disconnect, {', '.join(types)}, "
                            f"{', '.join(nodes)}")
    if problems:
        return problems
    # every call type must be reachable from the root through queue options
    seen: set[str] = set()
    reach: set[str] = set()
    stack = [ivr.root]
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        for opt in ivr.nodes[n].options.values():
            reach.update(opt.intent_list())
            if opt.goto is not None:
                stack.append(opt.goto)
    missing = [ct for ct in types if ct not in reach]
    if missing:
        problems.append(f"ivr: no menu path leads callers of {', '.join(missing)} to a "
                        "queue; every call type needs an option (queue: ..., or listed in "
                        f"an option's intents) reachable from the root {ivr.root!r}")
    # the pools answering a queue must be able to serve every intent sent there
    for nname, node in ivr.nodes.items():
        for key, opt in node.options.items():
            if opt.queue is None:
                continue
            for ct in opt.intent_list():
                for p in sc.routing_for(opt.queue):
                    if p in sc.pools and ct not in sc.pools[p].skills:
                        problems.append(
                            f"ivr.nodes.{nname}.options.{key}: sends {ct!r} callers to queue "
                            f"{opt.queue!r}, but pool {p!r} answering it lacks the skill "
                            f"{ct!r}; add it to pools.{p}.skills")
    return problems


def _check_files(sc: Scenario) -> list[str]:
    """Files the scenario points to (empirical data, CSV profiles) must exist."""
    base = (Path(sc.source).resolve().parent
            if sc.source and not sc.source.startswith("<") else Path.cwd())
    found: list[tuple[str, str]] = []
    for where, dist in sc.distributions():
        found += [(f"{where}.file", f) for f in dist.files()]
    profiles: list[tuple[str, RateProfile]] = [("arrivals", sc.arrivals)]
    if sc.arrivals.by_call_type:
        profiles += [(f"arrivals.by_call_type.{k}", v)
                     for k, v in sc.arrivals.by_call_type.items()]
    for where, prof in profiles:
        if prof.csv is not None:
            found.append((f"{where}.csv.path", prof.csv.path))
    return [f"{where}: file {str(base / f)!r} not found" for where, f in found
            if not (base / f).is_file()]
