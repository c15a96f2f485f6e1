"""Menu layouts: the destinations of an IVR menu, how they can be arranged, and the
menu a layout gives.

Owns :func:`menu_units` (the destinations of the input menu), :class:`PromptRule`
(prompt length from the number of options, with constants derived from the input
menu), :class:`Layout` (which destinations get first-level keys, which share a
sub-menu, fixed keys), :func:`enumerate_layouts` and :func:`build_ivr` (a layout →
an ``ivr:`` section). Imports :mod:`callsim.config` and :mod:`callsim.errors`.

Rules (stated once, in ``docs`` of ``callsim optimise-menu`` too):

* A **destination** is what a caller finally selects: a queue (with the intents its
  key is for), or a *service sub-menu* of the input — a sub-menu whose keys all lead
  to one queue (sub-topics, a language choice, a self-service recording). A service
  sub-menu stays attached to its destination as it is; the search arranges
  destinations, not the questions inside them. A sub-menu leading to several queues
  is a *grouping* menu: the search may keep, change or remove such groupings.
* A layout puts every destination either on a first-level key or in one sub-menu of
  the root (at least two destinations each); fixed keys (``0=covid``) stay where
  they are. Keys are numbered 1, 2, ... (skipping fixed keys), most frequent first;
  the engine plays a whole prompt before a caller presses, so key order within a
  menu does not change the simulated outcome and is not searched.
* **Prompt length** = greeting + per-option time × options at the root, and
  introduction + per-option time × options in a sub-menu, fitted by least squares to
  the input menu's nodes (mean lengths). The spread of a uniform prompt keeps the
  input's relative half-width. When the input shows no two sub-menus of different
  sizes, each option costs the root prompt's length / (options + 1) and a sub-menu's
  introduction one option's length.
* A new sub-menu takes its decision time, error, timeout and hang-up rates from the
  input's grouping sub-menus (the first one; else the first sub-menu; else the root);
  its no-key fallback (``on_timeout``) is its most frequent destination's queue. The
  root keeps the input root's settings.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from callsim.config import Scenario
from callsim.errors import ConfigError

KEYS_TOP = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0")
KEYS_SUB = ("1", "2", "3", "4", "5", "6", "7", "8", "9")


@dataclass(frozen=True)
class Unit:
    """A destination of the menu."""

    name: str
    label: str
    option: dict[str, Any]
    """The key's action in the input (``queue`` [+ ``intents``], or ``goto`` a service node)."""
    intents: tuple[str, ...]
    nodes: tuple[str, ...] = ()
    """Service sub-menu nodes it keeps (empty for a plain queue)."""


@dataclass(frozen=True)
class MenuParts:
    """What the input menu is made of."""

    units: dict[str, Unit]
    extras: dict[str, dict[str, Any]]
    """Root keys that route nowhere (self-service, disconnect), kept on their keys."""
    root: dict[str, Any]
    sub_template: dict[str, Any]
    service_nodes: dict[str, dict[str, Any]]
    node_names: tuple[str, ...]
    input_groups: tuple[tuple[str, ...], ...]
    """The input's grouping sub-menus, as tuples of unit names."""
    notes: tuple[str, ...]


def _ivr_data(sc: Scenario) -> dict[str, Any]:
    raw = sc.raw.get("ivr")
    if raw is None and sc.ivr is not None:
        raw = sc.ivr.model_dump(mode="json", exclude_none=True)
    if not raw:
        raise ConfigError(f"{sc.source or sc.name}: optimise-menu needs a scenario with an "
                          "'ivr:' menu")
    nodes = {str(k): dict(v) for k, v in raw["nodes"].items()}
    for v in nodes.values():
        v["options"] = {str(k): dict(o) for k, o in v["options"].items()}
    return {"root": raw["root"], "nodes": nodes}


def _intents(opt: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(opt.get("intents") or [opt["queue"]])


def menu_units(sc: Scenario) -> MenuParts:
    """The destinations of *sc*'s menu (see the module docstring)."""
    ivr = _ivr_data(sc)
    nodes = ivr["nodes"]

    def dests(name: str, seen: frozenset[str]) -> set[tuple[str, tuple[str, ...]]]:
        out: set[tuple[str, tuple[str, ...]]] = set()
        for opt in nodes[name]["options"].values():
            if opt.get("queue") is not None:
                out.add((opt["queue"], _intents(opt)))
            elif opt.get("goto") is not None and opt["goto"] not in seen:
                out |= dests(opt["goto"], seen | {opt["goto"]})
        return out

    def subtree(name: str) -> tuple[str, ...]:
        order, stack = [], [name]
        while stack:
            n = stack.pop(0)
            if n in order:
                continue
            order.append(n)
            stack += [o["goto"] for o in nodes[n]["options"].values() if o.get("goto")]
        return tuple(order)

    units: dict[str, Unit] = {}
    extras: dict[str, dict[str, Any]] = {}
    groups: list[tuple[str, ...]] = []
    notes: list[str] = []
    grouping: list[str] = []

    def add(opt: dict[str, Any], label: str) -> str:
        if opt.get("queue") is not None:
            intents = _intents(opt)
            unit = Unit(intents[0], label or intents[0], {k: opt[k] for k in ("queue", "intents")
                                                          if opt.get(k) is not None}, intents)
        else:
            (_queue, intents), = dests(opt["goto"], frozenset({opt["goto"]}))
            unit = Unit(intents[0], label or intents[0], {"goto": opt["goto"]}, intents,
                        subtree(opt["goto"]))
        if unit.name in units:
            if units[unit.name].intents != unit.intents:
                raise ConfigError(f"optimise-menu: two different menu destinations start with "
                                  f"intent {unit.name!r}; give their options distinct intents")
            return unit.name
        units[unit.name] = unit
        return unit.name

    def walk(name: str, top: bool, seen: frozenset[str]) -> list[str]:
        names: list[str] = []
        for key, opt in nodes[name]["options"].items():
            label = str(opt.get("label", ""))
            if opt.get("queue") is not None:
                names.append(add(opt, label))
            elif opt.get("goto") is not None:
                target = opt["goto"]
                if target in seen:
                    notes.append(f"ivr.nodes.{name}.options.{key}: a loop back to {target} "
                                 "is dropped")
                    continue
                if len(dests(target, frozenset({target}))) == 1:
                    names.append(add(opt, label))
                else:
                    grouping.append(target)
                    inner = walk(target, False, seen | {target})
                    if top:
                        groups.append(tuple(inner))
                    names += inner
            elif top:
                extras[key] = opt
            else:
                notes.append(f"ivr.nodes.{name}.options.{key}: a key that routes nowhere in a "
                             "grouping sub-menu is dropped")
        return names

    walk(ivr["root"], True, frozenset({ivr["root"]}))
    service = {n: nodes[n] for u in units.values() for n in u.nodes}
    root = {k: v for k, v in nodes[ivr["root"]].items() if k != "options"}
    subs = [n for n in grouping] + [n for n in nodes if n != ivr["root"]]
    sub_template = {k: v for k, v in nodes[subs[0] if subs else ivr["root"]].items()
                    if k not in ("options", "prompt", "on_timeout", "label")}
    return MenuParts(units, extras, root, sub_template, service, tuple(nodes), tuple(groups),
                     tuple(notes))


# ------------------------------------------------------------------ prompt rule


def _dist_mean(cfg: Any) -> tuple[float, float]:
    """Mean and relative half-width (uniform only) of a duration in YAML form."""
    if isinstance(cfg, int | float):
        return float(cfg), 0.0
    d = dict(cfg)
    kind = d.get("dist")
    if kind == "uniform":
        lo, hi = float(d["low"]), float(d["high"])
        m = (lo + hi) / 2
        return m, ((hi - lo) / 2 / m if m > 0 else 0.0)
    if kind == "deterministic":
        return float(d["value"]), 0.0
    if kind == "weibull":
        return float(d["scale"]) * math.gamma(1 + 1 / float(d["shape"])), 0.0
    if "mean" in d:
        return float(d["mean"]), 0.0
    if kind == "empirical" and d.get("values"):
        return float(np.mean(d["values"])), 0.0
    raise ConfigError(f"optimise-menu: cannot read a mean prompt length from {cfg!r}")


@dataclass(frozen=True)
class PromptRule:
    """``greeting + per_option × n`` (root) and ``intro + per_option × n`` (sub-menu)."""

    greeting: float
    intro: float
    per_option: float
    spread: float
    fitted: bool
    """True when fitted to two or more sub-menus of different sizes."""

    @classmethod
    def from_menu(cls, sc: Scenario) -> PromptRule:
        """Derive the constants from *sc*'s menu (see the module docstring)."""
        ivr = _ivr_data(sc)
        rows = []
        for name, node in ivr["nodes"].items():
            m, w = _dist_mean(node.get("prompt", 0.0))
            rows.append((name == ivr["root"], len(node["options"]), m, w))
        spread = float(np.mean([r[3] for r in rows]))
        root = next(r for r in rows if r[0])
        subs = [r for r in rows if not r[0]]
        if len({r[1] for r in subs}) >= 2:
            x = np.array([[1.0 if r[0] else 0.0, 0.0 if r[0] else 1.0, r[1]] for r in rows])
            y = np.array([r[2] for r in rows])
            (g, i, b), *_ = np.linalg.lstsq(x, y, rcond=None)
            if b > 0 and g >= 0 and i >= 0:
                return cls(float(g), float(i), float(b), spread, True)
        b = root[2] / (root[1] + 1)
        return cls(b, b, b, spread, False)

    def length(self, options: int, root: bool) -> float:
        """Mean prompt length of a node with *options* keys."""
        return (self.greeting if root else self.intro) + self.per_option * options

    def prompt(self, options: int, root: bool) -> Any:
        """The prompt in YAML form: uniform with the input's spread, or a number."""
        m = self.length(options, root)
        if self.spread <= 0:
            return round(m, 3)
        return {"dist": "uniform", "low": round(m * (1 - self.spread), 3),
                "high": round(m * (1 + self.spread), 3)}

    def describe(self) -> str:
        """One line for people."""
        how = "fitted to the input menu" if self.fitted else "from the root prompt"
        return (f"root prompt = {self.greeting:.2f} s + {self.per_option:.2f} s x options; "
                f"sub-menu = {self.intro:.2f} s + {self.per_option:.2f} s x options "
                f"(uniform ±{100 * self.spread:.0f} %, {how})")


# ---------------------------------------------------------------------- layouts

Entry = str | tuple[str, ...]


@dataclass(frozen=True)
class Layout:
    """First-level entries in key order (a unit, or a sub-menu of units), plus fixed keys."""

    entries: tuple[Entry, ...]
    fixed: tuple[tuple[str, str], ...]
    """(key, unit) pairs."""

    @property
    def groups(self) -> list[tuple[str, ...]]:
        """The sub-menus."""
        return [e for e in self.entries if isinstance(e, tuple)]

    @property
    def levels(self) -> int:
        """1 without sub-menus, else 2."""
        return 2 if self.groups else 1

    def keys(self, extras: Sequence[str] = ()) -> list[tuple[str, Entry]]:
        """(key, entry) at the root, fixed keys and *extras* keys skipped."""
        taken = {k for k, _ in self.fixed} | set(extras)
        free = [k for k in KEYS_TOP if k not in taken]
        return list(zip(free, self.entries, strict=False))

    def text(self) -> str:
        """``0 covid | 1 district | 2 [city, water] | ...``, in key order."""
        items = [(k, u) for k, u in self.fixed] + self.keys()
        items.sort(key=lambda kv: ("0123456789*#".find(kv[0][0]), kv[0]))
        return " | ".join(f"{k} " + (f"[{', '.join(e)}]" if isinstance(e, tuple) else e)
                          for k, e in items)


def _partitions(items: Sequence[str]) -> Iterator[list[list[str]]]:
    """Set partitions of *items* into blocks of at least two."""
    if not items:
        yield []
        return
    first, rest = items[0], list(items[1:])
    for k in range(1, len(rest) + 1):
        for mates in itertools.combinations(rest, k):
            left = [x for x in rest if x not in mates]
            for part in _partitions(left):
                yield [[first, *mates], *part]


def canonical(singles: Sequence[str], blocks: Sequence[Sequence[str]],
              share: Mapping[str, float], fixed: Sequence[tuple[str, str]]) -> Layout:
    """The layout with entries and sub-menu keys ordered most frequent first."""
    def rank(u: str) -> tuple[float, str]:
        return (-share.get(u, 0.0), u)
    entries: list[Entry] = [u for u in singles]
    entries += [tuple(sorted(b, key=rank)) for b in blocks]
    entries.sort(key=lambda e: ((-sum(share.get(u, 0.0) for u in e), e[0])
                                if isinstance(e, tuple) else rank(e)))
    return Layout(tuple(entries), tuple(fixed))


def enumerate_layouts(units: Sequence[str], share: Mapping[str, float],
                      fixed: Sequence[tuple[str, str]], levels: str, max_options: int,
                      extras: int = 0) -> Iterator[Layout]:
    """Every layout of *units* (fixed ones excluded) allowed by *levels* and *max_options*."""
    fixed_units = {u for _, u in fixed}
    free = sorted((u for u in units if u not in fixed_units), key=lambda u: (-share[u], u))
    top_cap = min(max_options, len(KEYS_TOP)) - len(fixed) - extras
    for k in range(len(free) + 1):
        for grouped in itertools.combinations(free, k):
            if k == 1:
                continue
            singles = [u for u in free if u not in grouped]
            for blocks in _partitions(list(grouped)):
                if levels == "1" and blocks:
                    continue
                if levels == "2" and not blocks:
                    continue
                if len(singles) + len(blocks) > top_cap:
                    continue
                if any(len(b) > min(max_options, len(KEYS_SUB)) for b in blocks):
                    continue
                yield canonical(singles, blocks, share, fixed)


def build_ivr(layout: Layout, parts: MenuParts, rule: PromptRule,
              share: Mapping[str, float]) -> dict[str, Any]:
    """The ``ivr:`` section (YAML form) of *layout*."""
    names = set(parts.node_names)
    root_name = next(n for n in ("menu", "layout", "layout_menu") if n not in names)
    options: dict[str, Any] = {}
    nodes: dict[str, Any] = {}

    def unit_option(u: str) -> dict[str, Any]:
        unit = parts.units[u]
        return {**unit.option, "label": unit.label}

    sub_nodes: dict[str, Any] = {}
    for key, entry in layout.keys(list(parts.extras)):
        if isinstance(entry, str):
            options[key] = unit_option(entry)
            continue
        gname = f"{root_name}_{entry[0]}"
        while gname in names:
            gname += "_"
        best = max(entry, key=lambda u: share.get(u, 0.0))
        bu = parts.units[best]
        fallback = bu.option.get("queue") or bu.intents[0]
        sub_nodes[gname] = {
            "prompt": rule.prompt(len(entry), root=False), **parts.sub_template,
            "on_timeout": fallback,
            "options": {KEYS_SUB[i]: unit_option(u) for i, u in enumerate(entry)},
        }
        options[key] = {"goto": gname, "label": " / ".join(parts.units[u].label for u in entry)}
    for key, u in layout.fixed:
        options[key] = unit_option(u)
    options.update(parts.extras)
    options = dict(sorted(options.items(), key=lambda kv: ("0123456789*#".find(kv[0][0]),
                                                              kv[0])))
    root = dict(parts.root)
    on_t = root.get("on_timeout", "disconnect")
    if on_t not in ("disconnect",) and on_t in names and on_t not in parts.service_nodes:
        top = max(parts.units.values(), key=lambda x: share.get(x.name, 0.0))
        root["on_timeout"] = top.option.get("queue") or top.intents[0]
    root["prompt"] = rule.prompt(len(options), root=True)
    nodes[root_name] = {**root, "options": options}
    nodes.update(sub_nodes)
    for n, cfg in parts.service_nodes.items():
        nodes[n] = cfg
    return {"root": root_name, "nodes": nodes}


def input_layout(parts: MenuParts, share: Mapping[str, float],
                 fixed: Sequence[tuple[str, str]]) -> Layout:
    """The input menu's own arrangement as a :class:`Layout` (keys by frequency)."""
    fixed_units = {u for _, u in fixed}
    grouped = {u for g in parts.input_groups for u in g}
    singles = [u for u in parts.units if u not in grouped and u not in fixed_units]
    blocks = [[u for u in g if u not in fixed_units] for g in parts.input_groups]
    singles += [b[0] for b in blocks if len(b) == 1]
    return canonical(singles, [b for b in blocks if len(b) >= 2], share, fixed)
