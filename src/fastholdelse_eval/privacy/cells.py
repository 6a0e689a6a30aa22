"""The cells of a tidy table and the linear relations between them; masking until no small
cell can be recovered (the algorithm behind :func:`fastholdelse_eval.privacy.disclosure.suppress`,
whose docstring states the policy).

A cell is a count (shown or implied); a relation says ``total = sum(parts)``. A small hidden cell
is exposed when the visible cells determine it (its unit vector lies in the row space of the
relations restricted to the hidden cells) or when a relation plus what a reader knows about the
hidden cells' ranges leaves it one possible value. :func:`protect` masks the best-ranked visible
cell near each exposed one until none is exposed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import null_space

from fastholdelse_eval.core import metrics

Key = tuple[str, str, str, str]  # (municipality, group, quantity, level)
# The outcome every comparison rests on: masked for protection only when no other will do.
HEADLINE_QUANTITIES = frozenset(m.name for m in metrics.iter_metrics() if m.disclosure.headline)


@dataclass
class Cell:
    key: Key
    value: int
    shown: bool  # a count that appears in the table (False: implicit, e.g. a complement)
    masked: bool = False
    reason: str = ""


class Cells:
    """Count cells of the table plus the linear relations that tie them together."""

    def __init__(self) -> None:
        self.cells: dict[Key, Cell] = {}
        self.relations: list[tuple[Key, list[Key]]] = []  # total = sum(parts)
        # totals over municipalities: masking such a total protects a site's small count
        # without spreading into other sites' tables (masking another site would)
        self.pooled_totals: set[Key] = set()
        self._relation_ids: set[tuple[Key, tuple[Key, ...]]] = set()
        # how many published numbers masking a cell takes with it (its rows and the rows
        # derived from them): the protecting cell is the least informative one that suffices
        self.cost: dict[Key, int] = {}

    def add(self, key: Key, value: int, shown: bool) -> Key:
        cell = self.cells.get(key)
        if cell is None:
            self.cells[key] = Cell(key, int(value), shown)
        elif shown:
            cell.shown = True
        return key

    def relate(self, total: Key, parts: list[Key], pooled: bool = False) -> None:
        ident = (total, tuple(sorted(parts)))
        if not parts or ident in self._relation_ids:
            return
        self._relation_ids.add(ident)
        self.relations.append((total, parts))
        if pooled:
            self.pooled_totals.add(total)

    def relate_with_remainder(self, total: Key, parts: list[Key], remainder_name: str,
                              pooled: bool = False) -> None:
        """total = parts + an implicit remainder (whatever the parts do not cover).

        A remainder of 0 is assumed known to the reader (conservative: "the shown parts add up
        to the total" is easy to notice), so the relation is then total = parts exactly.
        """
        if not parts:
            return
        rest = self.cells[total].value - sum(self.cells[p].value for p in parts)
        if rest < 0:  # the parts are not a partition of the total (overlapping); no identity
            return
        if rest == 0:
            self.relate(total, parts, pooled)
            return
        m, g, _, level = total
        rem = self.add((m, g, remainder_name, level), rest, shown=False)
        self.relate(total, [*parts, rem], pooled)


def _components(cs: Cells, hidden: set[Key]) -> list[tuple[list[Key], list[int]]]:
    """Hidden cells linked by relations: (cells, indices of the relations touching them).

    Determinacy is a property of each component alone, so the linear algebra runs on small
    matrices even for a table with many municipalities.
    """
    parent: dict[Key, Key] = {k: k for k in sorted(hidden)}  # sorted: same order every run

    def find(k: Key) -> Key:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    touching: list[tuple[int, list[Key]]] = []
    for i, (total, parts) in enumerate(cs.relations):
        terms = [k for k in (total, *parts) if k in hidden]
        if terms:
            touching.append((i, terms))
            for k in terms[1:]:
                parent[find(k)] = find(terms[0])
    cells: dict[Key, list[Key]] = {}
    for k in parent:
        cells.setdefault(find(k), []).append(k)
    rels: dict[Key, list[int]] = {}
    for i, terms in touching:
        rels.setdefault(find(terms[0]), []).append(i)
    return [(sorted(members), rels.get(root, [])) for root, members in cells.items()]


def _peel(cs: Cells, cells: list[Key], relations: list[int], keep: set[Key]
          ) -> tuple[list[Key], list[int]]:
    """Drop relations that only fix a cell of their own.

    A hidden cell (not in ``keep``) that occurs in a single relation absorbs it: whatever the
    other cells are, that relation can be met, so it says nothing about them. Repeating this
    leaves a much smaller system with the same answer for the kept cells.
    """
    hidden = set(cells)
    rel_cells = {i: [k for k in (cs.relations[i][0], *cs.relations[i][1]) if k in hidden]
                 for i in relations}
    count: dict[Key, int] = {}
    where: dict[Key, set[int]] = {}
    for i, ks in rel_cells.items():
        for k in ks:
            count[k] = count.get(k, 0) + 1
            where.setdefault(k, set()).add(i)
    alive = set(relations)
    todo = [k for k, n in count.items() if n == 1 and k not in keep]
    while todo:
        k = todo.pop()
        if count.get(k) != 1:
            continue
        i = next(iter(where[k] & alive))
        alive.discard(i)
        for other in rel_cells[i]:
            count[other] -= 1
            if count[other] == 1 and other not in keep:
                todo.append(other)
    rels = sorted(alive)
    left = sorted({k for i in rels for k in rel_cells[i]} | (keep & hidden))
    return left, rels


def _determined(cs: Cells, cells: list[Key], relations: list[int],
                keep: set[Key] | None = None) -> set[Key]:
    """Cells of one hidden component whose value follows from the visible cells.

    With ``keep``, only those cells are answered for (the system is peeled first).
    """
    if keep is not None:
        cells, relations = _peel(cs, cells, relations, keep)
    if not relations:
        return set()
    col = {k: j for j, k in enumerate(cells)}
    matrix = np.zeros((len(relations), len(cells)))
    for r, i in enumerate(relations):
        total, parts = cs.relations[i]
        for k, coef in [(total, 1.0)] + [(p, -1.0) for p in parts]:
            if k in col:
                matrix[r, col[k]] += coef
    basis = null_space(matrix)
    if basis.size == 0:
        found = set(cells)
    else:
        free = np.linalg.norm(basis, axis=1) > 1e-9
        found = {k for k, f in zip(cells, free, strict=True) if not f}
    return found if keep is None else found & keep


def _domain(c: Cell, threshold: int, cap: int) -> list[tuple[int, int]]:
    """What a reader who knows this policy can tell about a hidden cell's value."""
    if not c.shown:
        return [(0, cap)]  # never printed (a complement, a remainder): anything
    if c.reason == "small":
        return [(1, threshold - 1)]  # printed as "<threshold"
    return [(0, 0), (threshold, cap)]  # masked for protection: a count 1..t-1 would say "<t"


def _sum_domain(domains: list[list[tuple[int, int]]]) -> list[tuple[int, int]]:
    """Possible sums of independent cells, each a union of integer intervals (merged)."""
    acc = [(0, 0)]
    for dom in domains:
        sums = sorted((a + c, b + d) for a, b in acc for c, d in dom)
        merged: list[tuple[int, int]] = []
        for lo, hi in sums:
            if merged and lo <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
            else:
                merged.append((lo, hi))
        acc = merged
    return acc


def _interval_exposed(cs: Cells, threshold: int) -> list[tuple[Key, list[Key]]]:
    """Small hidden cells pinned to one value by a relation plus the bounds a reader knows.

    Example: "<5" and a protecting cell that must be 0 or ≥ 5 adding up to 6 leave only 1.
    Returns (cell, terms of the relation) pairs.
    """
    out = []
    for total, parts in cs.relations:
        t_cell = cs.cells[total]
        if t_cell.masked or not t_cell.shown:
            continue
        hidden = [k for k in parts if cs.cells[k].masked or not cs.cells[k].shown]
        if not hidden:
            continue
        rest = t_cell.value - sum(cs.cells[k].value for k in parts if k not in hidden)
        cap = t_cell.value
        for k in hidden:
            c = cs.cells[k]
            if not 1 <= c.value < threshold:
                continue
            others = _sum_domain([_domain(cs.cells[h], threshold, cap) for h in hidden
                                  if h != k])
            vmin, vmax = (1, threshold - 1) if c.shown else (0, cap)
            # values v with rest − v a possible sum of the others (the intervals are disjoint)
            feasible = sum(max(0, min(vmax, rest - lo) - max(vmin, rest - hi) + 1)
                           for lo, hi in others)
            if feasible < 2:
                out.append((k, [total, *parts]))
    return out


def protect(cs: Cells, threshold: int) -> None:
    def small(c: Cell) -> bool:
        return 1 <= c.value < threshold

    rels_of: dict[Key, list[int]] = {}
    for i, (total, parts) in enumerate(cs.relations):
        for k in (total, *parts):
            rels_of.setdefault(k, []).append(i)

    def terms(i: int) -> tuple[Key, ...]:
        return (cs.relations[i][0], *cs.relations[i][1])

    def component(start: Key, hidden: set[Key]) -> tuple[list[Key], list[int]]:
        """The hidden cells linked to ``start`` and the relations touching them (BFS)."""
        seen, todo, rels = {start}, [start], set()
        while todo:
            k = todo.pop()
            for i in rels_of.get(k, []):
                rels.add(i)
                for other in terms(i):
                    if other in hidden and other not in seen:
                        seen.add(other)
                        todo.append(other)
        return sorted(seen), sorted(rels)

    def rank(k: Key, own: set[int]) -> tuple:
        c = cs.cells[k]
        in_own = any(i in own for i in rels_of[k])
        is_total = any(terms(i)[0] == k and k not in cs.pooled_totals for i in rels_of[k])
        pooled = k in cs.pooled_totals
        headline = k[2] in HEADLINE_QUANTITIES
        # a zero last (a masked zero protects nothing: readers know it is 0 or ≥ t); group
        # sizes and pooled (all-municipality) totals only when nothing else will do (they
        # hide a whole group, or the headline); the headline outcome (RTW) after the other
        # outcomes, since every comparison rests on it; then the cell's own relations, parts
        # before totals; then the cell whose masking hides the fewest published numbers (a
        # count shown once before one with comparisons and weighted versions), smaller
        # counts first
        return (c.value == 0, k[2] == "n", pooled, headline, not in_own, is_total,
                cs.cost.get(k, 0), c.value, k)

    def protect(target: Key, hidden: set[Key], relations: list[int]) -> bool:
        """Mask one visible cell near ``target``; the first (by rank) that frees it if any."""
        own = set(rels_of.get(target, []))
        visible = {k for i in relations for k in terms(i)
                   if cs.cells[k].shown and not cs.cells[k].masked}
        ranked = sorted(visible, key=lambda k: rank(k, own))
        if not ranked:
            return False
        chosen = ranked[0]
        for k in ranked[:25]:
            trial = hidden | {k}
            cells, rels = component(target, trial)
            if target not in _determined(cs, cells, rels, keep={target}):
                chosen = k
                break
        cs.cells[chosen].masked, cs.cells[chosen].reason = True, "secondary"
        return True

    for c in cs.cells.values():
        if c.shown and small(c):
            c.masked, c.reason = True, "small"
    solved: dict[tuple, set[Key]] = {}
    for _ in range(len(cs.cells) + 1):
        hidden = {k for k, c in cs.cells.items() if c.masked or not c.shown}
        changed = False
        # Components are independent: protect every exposed one in this pass.
        for cells, relations in _components(cs, hidden):
            if not any(small(cs.cells[k]) for k in cells):
                continue
            ident = (tuple(cells), tuple(relations))
            if ident not in solved:  # unchanged components are not solved again
                solved[ident] = _determined(cs, cells, relations,
                                            keep={k for k in cells if small(cs.cells[k])})
            hit = sorted(k for k in solved[ident] if small(cs.cells[k]))
            if hit:
                if not protect(hit[0], hidden, relations):  # pragma: no cover
                    raise RuntimeError("disclosure control found no cell to mask")
                changed = True
        if changed:
            continue
        pinned = _interval_exposed(cs, threshold)
        if not pinned:
            return
        done: set[tuple[Key, ...]] = set()
        for k, rel_terms in pinned:
            if tuple(rel_terms) in done:
                continue
            done.add(tuple(rel_terms))
            visible = [t for t in rel_terms if cs.cells[t].shown and not cs.cells[t].masked]
            if not visible:  # pragma: no cover - the relation's total is visible here
                raise RuntimeError("disclosure control found no cell to mask")
            own = {i for i in rels_of[k] if terms(i) == tuple(rel_terms)}
            chosen = min(visible, key=lambda t: rank(t, own))
            cs.cells[chosen].masked, cs.cells[chosen].reason = True, "secondary"
    raise RuntimeError("disclosure control did not converge")
