"""The mutation test: does every check fail, by value, when its formula is edited wrongly?

For every checked formula, every mutant of ``genmath.formulas.mutate`` is verified against the same
points as the formula itself. A mutant is

- caught by value: a relation fails numerically (the sides differ),
- caught otherwise: it cannot be read or evaluated (e.g. a symbol the check gives no value),
- equivalent: it survives and sympy proves it means the same as the original,
- a survivor: it survives and is not proven equivalent. Every survivor is listed.

Targets (issue 13): at least 90% of the non-equivalent mutants caught by value, at most 2% survivors.
"""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from genmath.formulas import tex as t
from genmath.formulas.check import FormulaCheckError, points, verify_formula
from genmath.formulas.mutate import Mutant, equivalent, mutants

BY_VALUE_TARGET = 0.90
SURVIVOR_TARGET = 0.02


@dataclass
class Outcome:
    formula: str  # id
    file: str
    line: int
    mutant: Mutant
    verdict: str  # "value", "unreadable", "equivalent", "survived"
    message: str = ""


@dataclass
class ChapterTally:
    counts: Counter = field(default_factory=Counter)

    @property
    def effective(self) -> int:
        return sum(self.counts.values()) - self.counts["equivalent"]

    def share(self, verdict: str) -> float:
        return self.counts[verdict] / self.effective if self.effective else 1.0


def mutate_formula(tex: str, check: Any, *, label: str, file: str, line: int) -> list[Outcome]:
    original = t.parse(tex)
    pts = points(check)
    memo: dict[Any, Any] = {}
    # The formula itself holds at every point (test_every_display_formula_is_checked); here it is checked
    # at the first point only (the first two for \propto), where most mutants fail: its values at the other
    # points are computed, and kept in the memo, when a mutant gets that far.
    first = 2 if any(r.op == "propto" for s in original.statements for r in s.relations) else 1
    verify_formula(original, check, where=label, pts=pts[:first], memo=memo)
    matrices = {name for name, v in pts[0].items() if isinstance(v, np.ndarray) and v.ndim == 2}
    aliases = _aliases(pts[0])
    out = []
    for mutant in mutants(original, pts[0]):
        try:
            parsed = t.parse(mutant.tex)
        except t.TexError:
            continue  # not an edit a writer could make (it would not render)
        try:
            with warnings.catch_warnings():
                # a wrong edit often makes a log's argument negative or an optimum undefined: numpy's and
                # scipy's RuntimeWarnings say so as the verdict does (np.errstate, where the evaluator
                # raises on such a value, is not affected)
                warnings.simplefilter("ignore", RuntimeWarning)
                verify_formula(parsed, check, where=label, pts=pts, memo=memo)
        except FormulaCheckError as err:
            out.append(Outcome(label, file, line, mutant, "value" if err.kind == "wrong" else "unreadable",
                               str(err)))
            continue
        except Exception as exc:  # noqa: BLE001 - a crash on a mutant counts as not caught by value
            out.append(Outcome(label, file, line, mutant, "unreadable", f"{type(exc).__name__}: {exc}"))
            continue
        verdict = "equivalent" if equivalent(original, parsed, matrices, aliases) else "survived"
        out.append(Outcome(label, file, line, mutant, verdict))
    return out


def _aliases(point: dict[str, Any]) -> dict[str, str]:
    """Names the check gives the very same object (not a number), mapped to one of them: ``p_theta`` and
    ``p`` for one model are one symbol when sympy decides equivalence."""
    first: dict[int, str] = {}
    out = {}
    for name in sorted(point):
        value = point[name]
        if isinstance(value, (int, float, np.integer, np.floating)):
            continue
        out[name] = first.setdefault(id(value), name)
    return {name: canonical for name, canonical in out.items() if name != canonical}


def mutation_report(runner: Any, chapters: list[Any]) -> tuple[str, bool]:
    """Run the mutation test over the chapters' checked formulas; returns (table, targets met)."""
    tallies: dict[str, ChapterTally] = {}
    outcomes: list[Outcome] = []
    for chapter in chapters:
        cf = runner.check_file(chapter.path)
        tally = tallies.setdefault(chapter.path, ChapterTally())
        for m in chapter.maths:
            if not (m.display and m.label in cf.checks and m.exempt is None):
                continue
            for o in mutate_formula(m.tex, cf.checks[m.label], label=m.label, file=f"docs/{chapter.path}",
                                    line=m.line):
                tally.counts[o.verdict] += 1
                outcomes.append(o)
    total = ChapterTally(sum((x.counts for x in tallies.values()), Counter()))
    lines = ["mutation test: share of wrong edits each check catches",
             f"{'chapter':16} {'mutants':>8} {'by value':>9} {'otherwise':>10} {'equivalent':>11} {'survived':>9}"]
    for name, tally in sorted(tallies.items()):
        c = tally.counts
        lines.append(f"{name:16} {sum(c.values()):8d} {tally.share('value'):9.1%} {tally.share('unreadable'):10.1%} "
                     f"{c['equivalent']:11d} {c['survived']:9d}")
    c = total.counts
    lines.append(f"{'all':16} {sum(c.values()):8d} {total.share('value'):9.1%} {total.share('unreadable'):10.1%} "
                 f"{c['equivalent']:11d} {c['survived']:9d}")
    by_kind: dict[str, Counter] = {}
    for o in outcomes:
        by_kind.setdefault(o.mutant.kind, Counter())[o.verdict] += 1
    lines.append("by kind of edit: " + ", ".join(
        f"{k} {v['value']}/{sum(v.values()) - v['equivalent']}" for k, v in sorted(by_kind.items())))
    survivors = [o for o in outcomes if o.verdict == "survived"]
    for o in survivors:
        lines.append(f"  SURVIVED {o.file}:{o.line} '{o.formula}' {o.mutant.kind}: {o.mutant.note}")
    ok = total.share("value") >= BY_VALUE_TARGET and total.share("survived") <= SURVIVOR_TARGET
    lines.append(f"targets: by value >= {BY_VALUE_TARGET:.0%} ({total.share('value'):.1%}), survivors <= "
                 f"{SURVIVOR_TARGET:.0%} ({total.share('survived'):.1%}): {'met' if ok else 'NOT MET'}")
    return "\n".join(lines), ok


def unreadable_mutants(runner: Any, chapters: list[Any]) -> list[Outcome]:
    """The mutants caught only because they could not be evaluated (to improve the checks)."""
    out = []
    for chapter in chapters:
        cf = runner.check_file(chapter.path)
        for m in chapter.maths:
            if m.display and m.label in cf.checks and m.exempt is None:
                out += [o for o in mutate_formula(m.tex, cf.checks[m.label], label=m.label,
                                                  file=f"docs/{chapter.path}", line=m.line)
                        if o.verdict == "unreadable"]
    return out
