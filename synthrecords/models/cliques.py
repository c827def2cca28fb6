"""A fitted graphical model as plain arrays: junction-tree clique marginals, and what they give.

``mbi`` estimates the model (``models.aim``); its junction tree's clique marginals are all
that sampling and marginal queries need. Kept as NumPy tables (one per clique, axes in the
clique's attribute order) plus the tree's edges, the model saves to safetensors + JSON,
loads without jax, and samples with our own seeded generator. Everything here is
post-processing of the estimate: no real data.

- ``marginal(attrs)``: the model's distribution over up to a few attributes. Within one
  clique it is a sum; across cliques, the tree's conditionals P(clique | separator) are
  multiplied along the smallest subtree that links the attributes, summing out the rest
  as messages travel to its root. Separate trees of the forest are independent.
- ``sample(n)``: forward sampling from a root clique (its joint table) down the tree (each
  clique's new attributes given its separator). A fixed value (``conditions``) starts the
  tree at a clique holding it, so conditioning on one attribute is exact; ``allowed``
  masks slots that must never be emitted (null of a column that is not nullable).
  ``latent`` slots hold real rows whose value was not released ("other"): the tree draws
  them as the model has them, so the columns that depend on them keep their shares, and
  each is then replaced by an emittable value drawn from its clique given the row's other
  values there. Masking them instead conditions the whole row on the released values: on
  ISLR Caravan (epsilon 1) PBROM released only "0", and ABROM, which is 0 exactly where
  PBROM is, came out constant (its 6.7 % of ones at 0.1 %).
"""

from __future__ import annotations

import string
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Clique = tuple[str, ...]


@dataclass
class CliqueModel:
    sizes: dict[str, int]  # every attribute's number of slots
    cliques: list[Clique]
    tables: list[np.ndarray]  # probabilities (each sums to 1), axes in clique order
    edges: list[tuple[int, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.neighbours: dict[int, list[int]] = {i: [] for i in range(len(self.cliques))}
        for a, b in self.edges:
            self.neighbours[a].append(b)
            self.neighbours[b].append(a)
        placed = {a for cl in self.cliques for a in cl}
        # An attribute in no clique (no measurement touches it) is uniform and independent.
        for name in self.sizes:
            if name not in placed:
                self.cliques.append((name,))
                self.tables.append(np.full(self.sizes[name], 1.0 / self.sizes[name]))
                self.neighbours[len(self.cliques) - 1] = []

    # -- state: plain arrays and JSON ------------------------------------------------
    def spec(self) -> dict[str, Any]:
        return {"sizes": self.sizes, "cliques": [list(c) for c in self.cliques], "edges": [list(e) for e in self.edges]}

    @classmethod
    def from_spec(cls, spec: dict[str, Any], tables: list[np.ndarray]) -> CliqueModel:
        cliques = [tuple(c) for c in spec["cliques"]]
        sizes = {str(k): int(v) for k, v in spec["sizes"].items()}
        if len(tables) != len(cliques):
            raise ValueError(f"{len(cliques)} cliques but {len(tables)} tables")
        for cl, t in zip(cliques, tables):
            if tuple(t.shape) != tuple(sizes[a] for a in cl):
                raise ValueError(f"table of clique {cl} has shape {t.shape}, not the attributes' sizes")
        edges = [(int(a), int(b)) for a, b in spec["edges"]]
        if any(not (0 <= a < len(cliques) and 0 <= b < len(cliques)) for a, b in edges):
            raise ValueError("an edge names a clique that does not exist")
        return cls(sizes, cliques, [np.asarray(t, dtype=float) for t in tables], edges)

    # -- the tree --------------------------------------------------------------------
    def _holding(self, attr: str) -> int:
        return next(i for i, cl in enumerate(self.cliques) if attr in cl)

    def _rooted(self, root: int) -> tuple[list[int], dict[int, int]]:
        """Breadth-first order of ``root``'s tree and each node's parent."""
        order, parent, queue = [root], {root: -1}, deque([root])
        while queue:
            node = queue.popleft()
            for nb in self.neighbours[node]:
                if nb not in parent:
                    parent[nb] = node
                    order.append(nb)
                    queue.append(nb)
        return order, parent

    def _conditional(self, node: int, given: Clique) -> np.ndarray:
        """P(clique | given), 0 where P(given) is 0; axes in clique order."""
        cl, t = self.cliques[node], self.tables[node]
        rest = tuple(i for i, a in enumerate(cl) if a not in given)
        denom = t.sum(axis=rest, keepdims=True) if rest else t
        return np.divide(t, denom, out=np.zeros_like(t), where=denom > 0)

    # -- queries ---------------------------------------------------------------------
    def marginal(self, attrs: Clique) -> np.ndarray:
        """P(attrs), axes in the order given."""
        attrs = tuple(attrs)
        for i, cl in enumerate(self.cliques):
            if set(attrs) <= set(cl):
                return _project(self.tables[i], cl, attrs)
        root = self._holding(attrs[0])
        order, parent = self._rooted(root)
        inside = [a for a in attrs if any(a in self.cliques[n] for n in order)]
        rest = [a for a in attrs if a not in inside]
        joint = self._subtree_marginal(tuple(inside), order, parent)
        if rest:  # another tree of the forest: independent
            other = self.marginal(tuple(rest))
            joint = np.multiply.outer(joint, other)
        return _project(joint, tuple(inside) + tuple(rest), attrs)

    def _subtree_marginal(self, attrs: Clique, order: list[int], parent: dict[int, int]) -> np.ndarray:
        keep = set()  # the smallest subtree linking a clique of each attribute to the root
        for a in attrs:
            node = next(n for n in order if a in self.cliques[n])
            while node != -1 and node not in keep:
                keep.add(node)
                node = parent[node]
        messages: dict[int, list[tuple[Clique, np.ndarray]]] = {n: [] for n in keep}
        for node in reversed([n for n in order if n in keep]):
            cl = self.cliques[node]
            up = parent[node]
            sep = tuple(a for a in cl if up != -1 and a in self.cliques[up])
            factor = (cl, self.tables[node] if up == -1 else self._conditional(node, sep))
            wanted = set(attrs) | set(sep)
            below = {a for c, _ in messages[node] for a in c}
            out = tuple(a for a in dict.fromkeys(cl + tuple(below)) if a in wanted)
            msg = _contract([factor, *messages[node]], out)
            if up == -1:
                return _project(msg, out, attrs)
            messages[up].append((out, msg))
        raise AssertionError("the root is always in the subtree")

    # -- sampling --------------------------------------------------------------------
    def sample(self, n: int, rng: np.random.Generator, *, fixed: dict[str, int] | None = None,
               allowed: dict[str, np.ndarray] | None = None,
               latent: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
        """``n`` rows of slots. ``allowed``: the slots each attribute may emit; ``latent``: slots
        drawn inside the tree but replaced before they are emitted (see the module's doc)."""
        fixed, allowed, latent = dict(fixed or {}), dict(allowed or {}), dict(latent or {})
        emit = {a: np.asarray(allowed.get(a, np.ones(s, dtype=bool)), dtype=float) for a, s in self.sizes.items()}
        for a, v in fixed.items():
            emit[a] = np.zeros(self.sizes[a])
            emit[a][v] = 1.0
        hidden = {a: np.asarray(m, dtype=bool) & (emit[a] == 0) for a, m in latent.items() if a not in fixed}
        masks = {a: np.maximum(m, hidden[a]) if a in hidden else m for a, m in emit.items()}
        out: dict[str, np.ndarray] = {}
        stand_ins: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        seen: set[int] = set()
        starts = [self._holding(a) for a in fixed] + list(range(len(self.cliques)))
        for root in starts:
            if root in seen:
                continue
            order, parent = self._rooted(root)
            seen.update(order)
            for node in order:
                self._sample_node(node, parent[node], n, rng, masks, out, hidden, emit, stand_ins)
        for a, (rows, values) in stand_ins.items():  # only now: the tree below read the latent slot
            out[a][rows] = values
        return out

    def _sample_node(self, node: int, up: int, n: int, rng: np.random.Generator, masks: dict[str, np.ndarray],
                     out: dict[str, np.ndarray], hidden: dict[str, np.ndarray], emit: dict[str, np.ndarray],
                     stand_ins: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
        cl = self.cliques[node]
        table = self.tables[node].copy()
        for axis, a in enumerate(cl):
            shape = [1] * len(cl)
            shape[axis] = self.sizes[a]
            table *= masks[a].reshape(shape)
        given = tuple(a for a in cl if a in out)
        new = tuple(a for a in cl if a not in out)
        if not new:
            return
        table = _project(table, cl, given + new)
        n_given = int(np.prod([self.sizes[a] for a in given], dtype=np.int64)) if given else 1
        flat = table.reshape(n_given, -1)
        fallback = flat.sum(axis=0)  # for a separator value the masked table never holds
        if fallback.sum() <= 0:  # nothing allowed at all: the masks alone
            fallback = _outer([masks[a] for a in new])
            fallback = fallback if fallback.sum() > 0 else np.ones(flat.shape[1])
        rows = np.ravel_multi_index([out[a] for a in given], [self.sizes[a] for a in given]) if given \
            else np.zeros(n, dtype=np.int64)
        drawn = np.empty(n, dtype=np.int64)
        u = rng.random(n)
        order = np.argsort(rows, kind="stable")
        groups, first = np.unique(rows[order], return_index=True)
        bounds = list(first[1:]) + [n]
        for g, lo, hi in zip(groups, first, bounds):
            p = flat[g] if flat[g].sum() > 0 else fallback
            cdf = np.cumsum(p)
            idx = order[lo:hi]
            drawn[idx] = np.minimum(np.searchsorted(cdf, u[idx] * cdf[-1], side="right"), len(cdf) - 1)
        for a, values in zip(new, np.unravel_index(drawn, [self.sizes[a] for a in new])):
            out[a] = values.astype(np.int64)
        for a in new:
            if a in hidden and hidden[a].any():
                rows = np.flatnonzero(hidden[a][out[a]])
                if rows.size:
                    stand_ins[a] = (rows, _stand_in(table, given + new, a, rows, out, emit[a], self.sizes, rng))


def _stand_in(table: np.ndarray, axes: Clique, attr: str, rows: np.ndarray, out: dict[str, np.ndarray],
              emit: np.ndarray, sizes: dict[str, int], rng: np.random.Generator) -> np.ndarray:
    """An emittable slot of ``attr`` for each of ``rows``, from the clique's table given the
    row's values of the clique's other attributes; where that holds no emittable mass, from
    the clique's own emittable marginal of ``attr``, else uniform over what may be emitted."""
    others = tuple(a for a in axes if a != attr)
    t = _project(table, axes, others + (attr,)).reshape(-1, sizes[attr]) * emit
    index = np.ravel_multi_index([out[a][rows] for a in others], [sizes[a] for a in others]) if others \
        else np.zeros(rows.size, dtype=np.int64)
    p = t[index]
    fallback = t.sum(axis=0)
    fallback = fallback if fallback.sum() > 0 else emit
    p = np.where(p.sum(axis=1, keepdims=True) > 0, p, fallback)
    cdf = np.cumsum(p, axis=1)
    u = rng.random(rows.size)[:, None] * cdf[:, -1:]
    return np.minimum((cdf <= u).sum(axis=1), sizes[attr] - 1).astype(np.int64)


def calibrated(sizes: dict[str, int], nodes: list[Clique], edges: list[tuple[int, int]],
               potentials: list[tuple[Clique, np.ndarray]]) -> CliqueModel:
    """The clique marginals of the model ``exp(sum of log potentials)`` on a junction tree
    (``nodes``, ``edges``): sum-product in log space, leaves to root and back."""
    logs = [np.zeros([sizes[a] for a in node]) for node in nodes]
    for axes, values in potentials:
        home = next(i for i, node in enumerate(nodes) if set(axes) <= set(node))
        logs[home] = logs[home] + _broadcast(values, axes, nodes[home])
    model = CliqueModel(dict(sizes), list(nodes), list(logs), list(edges))  # for its tree only
    beliefs = [t.copy() for t in logs]
    done: set[int] = set()
    for root in range(len(nodes)):
        if root in done:
            continue
        order, parent = model._rooted(root)
        done.update(order)
        up: dict[int, np.ndarray] = {}  # message from a node to its parent, over their separator
        for node in reversed(order[1:]):
            sep = tuple(a for a in nodes[node] if a in nodes[parent[node]])
            up[node] = _logsumexp_to(beliefs[node], nodes[node], sep)
            beliefs[parent[node]] = beliefs[parent[node]] + _broadcast(up[node], sep, nodes[parent[node]])
        for node in order[1:]:  # the parent's belief now holds every message: send it down
            p = parent[node]
            sep = tuple(a for a in nodes[node] if a in nodes[p])
            down = _logsumexp_to(beliefs[p], nodes[p], sep) - up[node]
            beliefs[node] = beliefs[node] + _broadcast(down, sep, nodes[node])
    tables = []
    for b in beliefs:
        t = np.exp(b - b.max())
        tables.append(t / t.sum())
    return CliqueModel(dict(sizes), list(nodes), tables, list(edges))


def _broadcast(values: np.ndarray, axes: Clique, target: Clique) -> np.ndarray:
    """``values`` (axes named ``axes``) shaped to broadcast against a table over ``target``."""
    order = [a for a in target if a in axes]
    out = np.transpose(values, [axes.index(a) for a in order]) if tuple(order) != tuple(axes) else values
    return out.reshape([out.shape[order.index(a)] if a in axes else 1 for a in target])


def _logsumexp_to(table: np.ndarray, axes: Clique, keep: Clique) -> np.ndarray:
    drop = tuple(i for i, a in enumerate(axes) if a not in keep)
    if not drop:
        return _project(table, axes, keep)
    peak = table.max(axis=drop, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0.0)
    summed = np.log(np.exp(table - peak).sum(axis=drop, keepdims=True)) + peak
    return _project(np.squeeze(summed, axis=drop), tuple(a for a in axes if a in keep), keep)


def _outer(vectors: list[np.ndarray]) -> np.ndarray:
    out = np.ones(1)
    for v in vectors:
        out = np.multiply.outer(out, v).reshape(-1)
    return out


def _project(table: np.ndarray, axes: Clique, attrs: Clique) -> np.ndarray:
    """Sum ``table`` (axes named ``axes``) down to ``attrs``, in that order."""
    drop = tuple(i for i, a in enumerate(axes) if a not in attrs)
    kept = tuple(a for a in axes if a in attrs)
    out = table.sum(axis=drop) if drop else table
    return np.transpose(out, [kept.index(a) for a in attrs]) if kept != tuple(attrs) else out


def _contract(factors: list[tuple[Clique, np.ndarray]], out: Clique) -> np.ndarray:
    """Product of named factors, summed down to ``out``."""
    names = list(dict.fromkeys(a for axes, _ in factors for a in axes))
    letter = {a: string.ascii_letters[i] for i, a in enumerate(names)}
    spec = ",".join("".join(letter[a] for a in axes) for axes, _ in factors) + "->" + "".join(letter[a] for a in out)
    return np.einsum(spec, *[t for _, t in factors], optimize=True)
