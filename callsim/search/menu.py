"""Menu search: the best layout of an IVR menu for an objective, scored by queues.

Owns :func:`optimise_menu`, :class:`MenuSearchResult` and their files. Strategy
(dependency-free, for a discrete space with noisy scores):

1. the input scenario is run (KPI names checked, intent frequencies measured);
2. the candidate layouts are every layout allowed by the levels, max options and
   fixed keys (:func:`~callsim.search.layout.enumerate_layouts`); when there are more
   than *trials*, the input's own layout, the one-level layout and a seeded random
   sample of the rest, *trials* in all;
3. successive halving: every candidate runs *reps* replications of a round seed
   (common random numbers: the same callers for every layout), the better half by the
   running mean of the objective (constraint breakers last) goes on to the next round
   with fresh replications, until *finalists* remain;
4. ranking and selection: the finalists and the input run *final_reps* replications
   on the user's seed; paired CIs against the input and the best.

Imports the search package's modules and :mod:`callsim.config`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from callsim.config import Scenario, load_scenario, with_overrides
from callsim.errors import ConfigError
from callsim.experiment.progress import Progress
from callsim.search.evaluate import (
    Counter,
    Execution,
    evaluate,
    search_seed,
)
from callsim.search.kpis import Constraint, Objective, check_constraints, check_names
from callsim.search.layout import (
    KEYS_TOP,
    Layout,
    MenuParts,
    PromptRule,
    build_ivr,
    canonical,
    enumerate_layouts,
    input_layout,
    menu_units,
)
from callsim.search.output import write_json
from callsim.search.select import Selection, rank_and_select
from callsim.search.yamlout import write_variant

REFERENCE = "input"


def parse_fixed(text: str | Mapping[str, str] | None, parts: MenuParts) -> list[tuple[str, str]]:
    """``"0=covid,9=foreign"`` → [(key, unit)], checked against the menu's destinations."""
    if not text:
        return []
    pairs = (list(text.items()) if isinstance(text, Mapping)
             else [p.partition("=")[::2] for p in str(text).split(",")])
    out: list[tuple[str, str]] = []
    for key, name in pairs:
        key, name = str(key).strip(), str(name).strip()
        if key not in KEYS_TOP or not name:
            raise ConfigError(f"--fixed {key}={name}: write KEY=DESTINATION with KEY a digit, "
                              "e.g. 0=covid,9=foreign")
        unit = next((u.name for u in parts.units.values()
                     if name == u.name or name in u.intents), None)
        if unit is None:
            raise ConfigError(f"--fixed {key}={name}: {name!r} is not a destination of the "
                              f"menu; allowed: {', '.join(parts.units)}")
        if key in parts.extras:
            raise ConfigError(f"--fixed {key}={name}: key {key} already holds a "
                              "self-service or disconnect option of the menu")
        if any(k == key or u == unit for k, u in out):
            raise ConfigError(f"--fixed {key}={name}: that key or destination is fixed twice")
        out.append((key, unit))
    return out


@dataclass
class Candidate:
    """A layout and the replications of the objective it has run so far."""

    name: str
    layout: Layout
    values: list[np.ndarray] = field(default_factory=list)
    cons: dict[str, list[np.ndarray]] = field(default_factory=dict)
    rounds: int = 0
    dropped_in: int | None = None

    def estimate(self, objective: Objective, constraints: Sequence[Constraint]) -> float:
        """Running mean loss plus the relative constraint violation (x 1e6)."""
        v = np.concatenate(self.values)
        obj = float(np.nanmean(v)) if v.size else math.nan
        viol = sum(c.relative_violation(float(np.nanmean(np.concatenate(self.cons[str(c)]))))
                   for c in constraints)
        return (objective.loss(obj) if math.isfinite(obj) else math.inf) + 1e6 * viol

    def mean(self) -> float:
        """Running mean of the objective."""
        return float(np.nanmean(np.concatenate(self.values)))

    @property
    def reps(self) -> int:
        """Replications run."""
        return int(sum(len(v) for v in self.values))


@dataclass
class MenuSearchResult:
    """A finished menu search."""

    scenario: Scenario
    objective: Objective
    constraints: list[Constraint]
    rule: PromptRule
    parts: MenuParts
    share: dict[str, float]
    candidates: list[Candidate]
    selection: Selection
    layouts: dict[str, Layout]
    """Design name → layout (the input too, as read from its menu)."""
    ivrs: dict[str, dict[str, Any]]
    settings: dict[str, Any]
    counter: Counter

    @property
    def best(self) -> str:
        """Name of the selected design."""
        return self.selection.best

    def table(self) -> pd.DataFrame:
        """Every layout evaluated, in search order: rank, layout, rounds, reps, objective."""
        obj, cons = self.objective, self.constraints
        ranked = sorted(self.candidates, key=lambda c: (-(c.rounds), c.estimate(obj, cons)))
        rows = []
        for i, c in enumerate(ranked, start=1):
            rows.append({"rank": i, "design": c.name, "layout": c.layout.text(),
                         "levels": c.layout.levels, "sub_menus": len(c.layout.groups),
                         "first_level_keys": len(c.layout.entries) + len(c.layout.fixed),
                         "rounds": c.rounds, "replications": c.reps,
                         "objective": c.mean(), "loss": c.estimate(obj, cons),
                         "finalist": c.name in self.selection.table["design"].tolist()})
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "kind": "menu_search", "scenario": self.scenario.name,
            "window_s": self.scenario.horizon.length - self.scenario.horizon.warmup,
            "objective": str(self.objective), "constraints": [str(c) for c in self.constraints],
            "settings": self.settings, "prompt_rule": {
                "greeting": self.rule.greeting, "intro": self.rule.intro,
                "per_option": self.rule.per_option, "spread": self.rule.spread,
                "fitted": self.rule.fitted, "text": self.rule.describe()},
            "destinations": {u.name: {"label": u.label, "intents": list(u.intents),
                                      "share": self.share[u.name],
                                      "service_menu": list(u.nodes)}
                             for u in self.parts.units.values()},
            "notes": list(self.parts.notes), "layouts_evaluated": len(self.candidates),
            "best": self.best, "best_layout": self.layouts[self.best].text(),
            "layouts": {k: v.text() for k, v in self.layouts.items()},
            "selection": self.selection.to_dict(), "search": self.table().to_dict("records"),
            "cost": {"replications": self.counter.replications,
                     "seconds": self.counter.seconds, "batches": self.counter.batches},
        }


def _shares(sc: Scenario, ref: pd.DataFrame, parts: MenuParts) -> dict[str, float]:
    by_type = {t: float(ref[f"type.{t}.arrivals"].mean()) if f"type.{t}.arrivals" in ref
               else 0.0 for t in sc.call_types}
    total = sum(by_type.values()) or 1.0
    return {u.name: sum(by_type.get(i, 0.0) for i in u.intents) / total
            for u in parts.units.values()}


def _sample(layouts: list[Layout], trials: int, must: Sequence[Layout],
            seed: int) -> list[Layout]:
    if len(layouts) <= trials:
        return layouts
    keep = [lay for lay in must if lay in layouts]
    rest = [lay for lay in layouts if lay not in keep]
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(rest), size=max(0, trials - len(keep)), replace=False)
    return keep + [rest[i] for i in sorted(pick)]


def optimise_menu(scenario: Scenario | str | Path, objective: Objective | str,
                  constraints: Sequence[Constraint | str] = (), *, max_options: int = 9,
                  fixed: str | Mapping[str, str] | None = None, levels: str = "auto",
                  trials: int = 200, reps: int = 3, final_reps: int = 20, finalists: int = 5,
                  seed: int = 0, execution: Execution | None = None,
                  progress: bool | Progress | None = None) -> MenuSearchResult:
    """Search menu layouts of *scenario* for the best *objective* (see the module docstring).

    Parameters
    ----------
    scenario
        A scenario with an ``ivr:`` menu (or its YAML path).
    objective, constraints
        As for :func:`callsim.search.search`.
    max_options
        Most keys in any one menu (the root's fixed keys included).
    fixed
        Keys that keep their destination, ``"0=covid,9=foreign"``.
    levels
        ``"1"`` (every destination on a first-level key), ``"2"`` (at least one
        sub-menu) or ``"auto"`` (both).
    trials
        Most layouts evaluated (all of them when there are fewer).
    reps
        Replications per candidate and halving round.
    final_reps, finalists
        Ranking and selection of the last *finalists* on *final_reps* fresh replications.
    """
    sc = load_scenario(scenario) if isinstance(scenario, str | Path) else scenario
    obj = objective if isinstance(objective, Objective) else Objective.parse(objective)
    cons = [c if isinstance(c, Constraint) else Constraint.parse(c) for c in constraints]
    check_constraints(cons)
    if levels not in ("1", "2", "auto"):
        raise ConfigError(f"--levels {levels!r}: allowed: 1, 2, auto")
    if not 2 <= max_options <= len(KEYS_TOP):
        raise ConfigError(f"--max-options {max_options}: allowed 2..{len(KEYS_TOP)}")
    for name, value in (("trials", trials), ("reps", reps), ("final_reps", final_reps),
                        ("finalists", finalists)):
        if value < 1:
            raise ConfigError(f"{name} must be >= 1 (got {value})")
    parts = menu_units(sc)
    fixed_pairs = parse_fixed(fixed, parts)
    rule = PromptRule.from_menu(sc)
    ex = execution or Execution()
    with ex.started(progress, f"{sc.name}: menu layouts", reps) as ex:
        counter = Counter()
        s_seed = search_seed(seed)
        ref = evaluate({REFERENCE: sc}, reps, s_seed, ex, counter)[REFERENCE]
        check_names([(obj.kpi, "--objective")] + [(c.kpi, "--constraint") for c in cons],
                    list(ref.columns))
        share = _shares(sc, ref, parts)
        every = list(enumerate_layouts(list(parts.units), share, fixed_pairs, levels, max_options,
                                       len(parts.extras)))
        if not every:
            raise ConfigError(f"optimise-menu: no layout of {len(parts.units)} destinations fits "
                              f"--levels {levels} with --max-options {max_options} and "
                              f"{len(fixed_pairs)} fixed key(s); allow more options or levels")
        free = [u for u in parts.units if u not in {v for _, v in fixed_pairs}]
        own = input_layout(parts, share, fixed_pairs)
        flat = canonical(free, [], share, fixed_pairs)
        layouts = _sample(every, trials, [own, flat], s_seed)
        cands = [Candidate(f"L{i + 1}", lay) for i, lay in enumerate(layouts)]
        ivrs = {c.name: build_ivr(c.layout, parts, rule, share) for c in cands}
        alive = list(cands)
        rnd = 0
        planned = sum(_halving_sizes(len(cands), finalists))
        ex.expect(planned * reps + final_reps * (min(finalists, len(cands)) + 1))
        while True:
            rnd += 1
            designs = {c.name: with_overrides(sc, {"ivr": ivrs[c.name]}) for c in alive}
            res = evaluate(designs, reps, s_seed + rnd, ex, counter)
            for c in alive:
                r = res[c.name]
                c.values.append(obj.kpi.values(r))
                for k in cons:
                    c.cons.setdefault(str(k), []).append(k.kpi.values(r))
                c.rounds = rnd
            alive.sort(key=lambda c: c.estimate(obj, cons))
            top = alive[0]
            ex.say(f"{sc.name}: menu round {rnd}, best {obj.kpi} {top.mean():.4g}")
            if len(alive) <= finalists:
                break
            keep = max(finalists, math.ceil(len(alive) / 2))
            for c in alive[keep:]:
                c.dropped_in = rnd
            alive = alive[:keep]
        final = {c.name: with_overrides(sc, {"ivr": ivrs[c.name]}) for c in alive}
        selection = rank_and_select((REFERENCE, sc), final, obj, cons, reps=final_reps, seed=seed,
                                    execution=ex, counter=counter)
        names = {c.name: c.layout for c in cands}
        names[REFERENCE] = own
        settings = {"max_options": max_options, "fixed": dict(fixed_pairs), "levels": levels,
                    "trials": trials, "layouts_possible": len(every), "reps": reps,
                    "final_reps": final_reps, "finalists": finalists, "seed": seed,
                    "search_seed": s_seed, "rounds": rnd}
        return MenuSearchResult(sc, obj, cons, rule, parts, share, cands, selection, names,
                                ivrs, settings, counter)


def layout_labels(res: MenuSearchResult) -> dict[str, str]:
    """Design name → ``L5: 0 covid | 1 district | ...`` for tables."""
    return {k: f"{k}: {v.text()}" for k, v in res.layouts.items()}


def _halving_sizes(n: int, finalists: int) -> list[int]:
    sizes = [n]
    while sizes[-1] > finalists:
        sizes.append(max(finalists, math.ceil(sizes[-1] / 2)))
    return sizes


def _ivr_overlay(res: MenuSearchResult, name: str) -> dict[str, Any]:
    """Name, description and the ``ivr:`` of an extending file: the layout's new nodes,
    and null for the input nodes it drops."""
    ivr = res.ivrs[name]
    nodes: dict[str, Any] = {n: None for n in res.parts.node_names
                             if n not in ivr["nodes"]}
    nodes.update({n: v for n, v in ivr["nodes"].items() if n not in res.parts.service_nodes})
    label = "best-menu" if name == res.best else f"menu-{name}"
    return {"name": f"{res.scenario.name}-{label}",
            "description": f"menu layout {res.layouts[name].text()}",
            "ivr": {"root": ivr["root"], "nodes": nodes}}


def write_menu_search(res: MenuSearchResult, scenario_path: Path | str, out: Path | str,
                      command: str | None = None) -> list[Path]:
    """Write ``best.yaml``, ``finalists/<design>.yaml``, ``layouts.csv``,
    ``selection.csv``, ``kpis.csv`` and ``menu_search.json`` into *out*."""
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    base = load_scenario(scenario_path).raw
    paths = []
    sel = res.selection
    for name in sel.table["design"]:
        if name == REFERENCE:
            continue
        lay = res.layouts[name]
        row = sel.table.set_index("design").loc[name]
        header = [
            f"Written by `callsim optimise-menu`: layout {name} of {res.scenario.name}'s menu,",
            f"  {lay.text()}",
            f"{res.objective}: {row['objective']:.6g} ± {row['objective_hw']:.3g}; paired "
            f"difference from the input {row['vs_reference']:+.4g} ± "
            f"{row['vs_reference_hw']:.3g} ({sel.reps} replications, seed {sel.seed}).",
            f"Prompt rule: {res.rule.describe()}.",
        ]
        if command:
            header.append(f"Command: {command}")
        target = root / "best.yaml" if name == sel.best else root / "finalists" / f"{name}.yaml"
        paths.append(write_variant(target, scenario_path, {}, base, header,
                                   extra=_ivr_overlay(res, name)))
        if name == sel.best:
            paths.append(write_variant(root / "finalists" / f"{name}.yaml", scenario_path, {},
                                       base, header, extra=_ivr_overlay(res, name)))
    if sel.best == REFERENCE:
        paths.append(write_variant(root / "best.yaml", scenario_path, {}, base, [
            "Written by `callsim optimise-menu`: no layout beat the input menu; this file "
            "is the input unchanged."]))
    for name, df in menu_frames(res).items():
        df.to_csv(root / f"{name}.csv", index=False)
        paths.append(root / f"{name}.csv")
    paths.append(write_json(root / "menu_search.json", menu_doc(res, command)))
    return paths


def menu_doc(res: MenuSearchResult, command: str | None = None) -> dict[str, Any]:
    """``menu_search.json``: the result's summary and the command."""
    doc = res.to_dict()
    doc["command"] = command
    return doc


def menu_frames(res: MenuSearchResult) -> dict[str, pd.DataFrame]:
    """The CSV tables of a menu search, by file stem: every layout searched, the
    finalists' ranking, and their KPIs."""
    sel = res.selection
    return {"layouts": res.table(),
            "selection": sel.table.assign(layout=[res.layouts[n].text()
                                                  for n in sel.table["design"]]),
            "kpis": sel.kpis}
