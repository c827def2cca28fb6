"""Mirror descent over a junction tree in NumPy: the round-to-round model of ``aim``.

Between AIM's rounds the model only steers the next selection, and refitting it with
``mbi`` compiles a new jax program for every new set of cliques (on 2 busy cores that was
~75 % of a fit). This is the same algorithm as mbi's ``MirrorDescent`` (McKenna, Sheldon &
Miklau 2019, Algorithm 1, with its Armijo step: start at 2 / (L * total), grow by 1 % on
success, halve on failure) on the same squared loss, with ``cliques.calibrated`` as the
marginal oracle; no compilation. The final model is still fitted by mbi, warm-started from
these potentials. Post-processing only: it reads the noisy measurements, never the data.
"""

from __future__ import annotations

import numpy as np

from .cliques import Clique, CliqueModel, calibrated
from .coarse import covered


class Descent:
    def __init__(self, sizes: dict[str, int], nodes: list[Clique], edges: list[tuple[int, int]],
                 measurements: list, total: float) -> None:
        self.sizes, self.nodes, self.edges, self.total = sizes, nodes, edges, total
        self.measurements = measurements  # pooled: one per clique and slot set
        self.cliques = list(dict.fromkeys(m.clique for m in measurements))
        home = {c: next(n for n in nodes if set(c) <= set(n)) for c in self.cliques}
        blocks: dict[Clique, float] = {}
        for m in measurements:  # mbi's bound: max over maximal cliques of sum ||Q||^2 |C| / |c| / sigma^2
            cells = lambda cl: float(np.prod([sizes[a] for a in cl]))
            norm = 1.0 if m.groups is None else float(np.bincount(covered(m.groups)[1]).max())
            blocks[home[m.clique]] = (blocks.get(home[m.clique], 0.0)
                                      + norm * cells(home[m.clique]) / cells(m.clique) / m.stddev ** 2)
        self.lipschitz = max(blocks.values())

    def _mu(self, theta: dict[Clique, np.ndarray]) -> tuple[CliqueModel, dict[Clique, np.ndarray]]:
        model = calibrated(self.sizes, self.nodes, self.edges, list(theta.items()))
        return model, {c: self.total * model.marginal(c) for c in self.cliques}

    def _loss(self, mu: dict[Clique, np.ndarray]) -> tuple[float, dict[Clique, np.ndarray]]:
        loss, grad = 0.0, {c: np.zeros_like(mu[c]) for c in self.cliques}
        for m in self.measurements:
            flat = mu[m.clique].ravel()
            if m.groups is not None:  # a coarse measurement: cells summed by group
                kept, groups = covered(m.groups)
                picked = np.bincount(groups, weights=flat[kept], minlength=len(m.y))
            else:
                picked = flat if m.slots is None else flat[list(m.slots)]
            r = (picked - m.y) / m.stddev ** 2
            loss += 0.5 * float(np.dot(picked - m.y, r))
            g = grad[m.clique].reshape(-1)
            if m.groups is not None:
                g[kept] += r[groups]
            elif m.slots is None:
                g += r
            else:
                np.add.at(g, list(m.slots), r)
        return loss, grad

    def run(self, theta: dict[Clique, np.ndarray] | None, iters: int) -> tuple[dict[Clique, np.ndarray], CliqueModel]:
        theta = {c: np.array((theta or {}).get(c, np.zeros([self.sizes[a] for a in c])), dtype=float)
                 for c in self.cliques}
        alpha = 2.0 / (self.lipschitz * self.total)
        model, mu = self._mu(theta)
        loss, grad = self._loss(mu)
        for _ in range(iters):
            trial = {c: theta[c] - alpha * grad[c] for c in self.cliques}
            model2, mu2 = self._mu(trial)
            loss2, grad2 = self._loss(mu2)
            drop = sum(float(np.dot(grad[c].ravel(), (mu[c] - mu2[c]).ravel())) for c in self.cliques)
            if loss - loss2 >= 0.5 * alpha * drop:  # Armijo: accept, and try a longer step next
                theta, model, mu, loss, grad, alpha = trial, model2, mu2, loss2, grad2, alpha * 1.01
            else:
                alpha *= 0.5
        return theta, model
