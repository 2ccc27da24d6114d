"""NumPy update rules of torch.optim's optimizers.

Each rule is written from the algorithm torch documents: the pseudo-code in
the optimizer's docstring (https://pytorch.org/docs/stable/optim.html, one
page per optimizer), and, where that page gives none (ASGD, L-BFGS), the paper
or program it cites. Pure NumPy: nothing here imports torch.

A rule works on dicts of float arrays keyed by parameter name:
``step(params, grads)`` updates ``params`` in place, skipping a parameter
whose gradient is ``None`` (it keeps its value and its state, as
``Optimizer.step`` does). ``maximize`` negates the gradient before anything
else, as every documented algorithm that lists it does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np


@dataclass
class _Rule:
    """Per-parameter state, and the loop over parameters that have a gradient."""

    state: dict = field(default_factory=dict, init=False, repr=False)

    def step(self, params: dict, grads: dict) -> None:
        for name, p in params.items():
            g = grads[name]
            if g is None:
                continue
            if getattr(self, "maximize", False):
                g = -g
            fresh = name not in self.state
            s = self.state.setdefault(name, {"t": 0})
            s["t"] += 1
            self.update(p, np.asarray(g, dtype=p.dtype), s, fresh)

    def update(self, p: np.ndarray, g: np.ndarray, s: dict, fresh: bool) -> None:
        """One step of the rule on parameter ``p`` (updated in place) with its
        gradient ``g`` (same shape and dtype, already negated for ``maximize``)
        and its state ``s`` (``s["t"]``: this step's number, from 1); ``fresh``
        on the parameter's first step, when the rule sets up its state."""
        raise NotImplementedError


@dataclass
class SGD(_Rule):
    """SGD docs: L2 decay added to the gradient; the momentum buffer starts as
    the first gradient (undamped), then ``b = mu b + (1 - dampening) g``;
    Nesterov steps along ``g + mu b``."""

    lr: float = 1e-3
    momentum: float = 0.0
    dampening: float = 0.0
    weight_decay: float = 0.0
    nesterov: bool = False
    maximize: bool = False

    def update(self, p, g, s, fresh):
        if self.weight_decay:
            g = g + self.weight_decay * p
        if self.momentum:
            s["b"] = g.copy() if fresh else self.momentum * s["b"] + (1 - self.dampening) * g
            g = g + self.momentum * s["b"] if self.nesterov else s["b"]
        p -= self.lr * g


@dataclass
class Adam(_Rule):
    """Adam docs (Kingma & Ba 2015, Algorithm 1, with amsgrad from Reddi et
    al. 2018): bias-corrected moments, ``theta -= lr m_hat / (sqrt(v_hat) +
    eps)``. With ``decoupled_weight_decay`` (AdamW, Loshchilov & Hutter 2019)
    the weights are decayed by ``lr * weight_decay`` before the step instead
    of the decay joining the gradient."""

    lr: float = 1e-3
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    weight_decay: float = 0.0
    amsgrad: bool = False
    maximize: bool = False
    decoupled_weight_decay: bool = False

    def update(self, p, g, s, fresh):
        b1, b2 = self.betas
        t = s["t"]
        if self.weight_decay and self.decoupled_weight_decay:
            p *= 1 - self.lr * self.weight_decay
        elif self.weight_decay:
            g = g + self.weight_decay * p
        if fresh:
            s.update(m=np.zeros_like(p), v=np.zeros_like(p), vmax=np.zeros_like(p))
        s["m"] = b1 * s["m"] + (1 - b1) * g
        s["v"] = b2 * s["v"] + (1 - b2) * g * g
        v = s["v"]
        if self.amsgrad:
            s["vmax"] = v = np.maximum(s["vmax"], v)
        m_hat = s["m"] / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


def AdamW(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, maximize=False) -> Adam:
    """AdamW docs: Adam with decoupled weight decay (default 1e-2)."""
    return Adam(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
                decoupled_weight_decay=True)


@dataclass
class Adagrad(_Rule):
    """Adagrad docs (Duchi et al. 2011): the rate decays as
    ``lr / (1 + (t - 1) lr_decay)``; the sum of squared gradients starts at
    ``initial_accumulator_value``."""

    lr: float = 1e-2
    lr_decay: float = 0.0
    weight_decay: float = 0.0
    initial_accumulator_value: float = 0.0
    eps: float = 1e-10
    maximize: bool = False

    def update(self, p, g, s, fresh):
        if fresh:
            s["sum"] = np.full_like(p, self.initial_accumulator_value)
        rate = self.lr / (1 + (s["t"] - 1) * self.lr_decay)
        if self.weight_decay:
            g = g + self.weight_decay * p
        s["sum"] = s["sum"] + g * g
        p -= rate * g / (np.sqrt(s["sum"]) + self.eps)


@dataclass
class RMSprop(_Rule):
    """RMSprop docs (Hinton's lecture 6e; centred form from Graves 2013):
    a running mean of squared gradients, minus the squared running mean of
    gradients when ``centered``; with momentum a buffer of scaled gradients."""

    lr: float = 1e-2
    alpha: float = 0.99
    eps: float = 1e-8
    weight_decay: float = 0.0
    momentum: float = 0.0
    centered: bool = False
    maximize: bool = False

    def update(self, p, g, s, fresh):
        if fresh:
            s.update(v=np.zeros_like(p), avg=np.zeros_like(p), b=np.zeros_like(p))
        if self.weight_decay:
            g = g + self.weight_decay * p
        s["v"] = self.alpha * s["v"] + (1 - self.alpha) * g * g
        v = s["v"]
        if self.centered:
            s["avg"] = self.alpha * s["avg"] + (1 - self.alpha) * g
            v = v - s["avg"] ** 2
        scaled = g / (np.sqrt(v) + self.eps)
        if self.momentum > 0:
            s["b"] = self.momentum * s["b"] + scaled
            p -= self.lr * s["b"]
        else:
            p -= self.lr * scaled


@dataclass
class Adadelta(_Rule):
    """Adadelta docs (Zeiler 2012, Algorithm 1, scaled by ``lr``): running
    means of squared gradients ``v`` and squared updates ``u``; the update is
    ``sqrt(u + eps) / sqrt(v + eps) g``."""

    lr: float = 1.0
    rho: float = 0.9
    eps: float = 1e-6
    weight_decay: float = 0.0
    maximize: bool = False

    def update(self, p, g, s, fresh):
        if fresh:
            s.update(v=np.zeros_like(p), u=np.zeros_like(p))
        if self.weight_decay:
            g = g + self.weight_decay * p
        s["v"] = self.rho * s["v"] + (1 - self.rho) * g * g
        delta = np.sqrt(s["u"] + self.eps) / np.sqrt(s["v"] + self.eps) * g
        s["u"] = self.rho * s["u"] + (1 - self.rho) * delta * delta
        p -= self.lr * delta


@dataclass
class Adamax(_Rule):
    """Adamax docs (Kingma & Ba 2015, Algorithm 2): the second moment is an
    infinity norm ``u = max(beta2 u, |g| + eps)``."""

    lr: float = 2e-3
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    weight_decay: float = 0.0
    maximize: bool = False

    def update(self, p, g, s, fresh):
        b1, b2 = self.betas
        if fresh:
            s.update(m=np.zeros_like(p), u=np.zeros_like(p))
        if self.weight_decay:
            g = g + self.weight_decay * p
        s["m"] = b1 * s["m"] + (1 - b1) * g
        s["u"] = np.maximum(b2 * s["u"], np.abs(g) + self.eps)
        p -= self.lr * s["m"] / ((1 - b1 ** s["t"]) * s["u"])


@dataclass
class NAdam(_Rule):
    """NAdam docs (Dozat 2016, with the momentum schedule
    ``mu_t = beta1 (1 - 0.96**(t psi) / 2)``): the first moment is corrected
    by the products of the schedule up to ``t + 1`` and ``t``."""

    lr: float = 2e-3
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    weight_decay: float = 0.0
    momentum_decay: float = 4e-3
    decoupled_weight_decay: bool = False
    maximize: bool = False

    def mu(self, t: int) -> float:
        """The momentum schedule ``mu_t`` at step ``t`` (from 1)."""
        return self.betas[0] * (1 - 0.5 * 0.96 ** (t * self.momentum_decay))

    def update(self, p, g, s, fresh):
        b1, b2 = self.betas
        t = s["t"]
        if fresh:
            s.update(m=np.zeros_like(p), v=np.zeros_like(p), mu_product=1.0)
        if self.weight_decay and self.decoupled_weight_decay:
            p *= 1 - self.lr * self.weight_decay
        elif self.weight_decay:
            g = g + self.weight_decay * p
        mu_t, mu_next = self.mu(t), self.mu(t + 1)
        s["mu_product"] *= mu_t
        s["m"] = b1 * s["m"] + (1 - b1) * g
        s["v"] = b2 * s["v"] + (1 - b2) * g * g
        m_hat = mu_next * s["m"] / (1 - s["mu_product"] * mu_next) + (1 - mu_t) * g / (1 - s["mu_product"])
        v_hat = s["v"] / (1 - b2**t)
        p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


@dataclass
class RAdam(_Rule):
    """RAdam docs (Liu et al. 2020, Algorithm 2): Adam's step rectified by
    ``r_t`` once the variance estimate is tractable (``rho_t > 5``), plain
    bias-corrected momentum before."""

    lr: float = 1e-3
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    weight_decay: float = 0.0
    decoupled_weight_decay: bool = False
    maximize: bool = False

    def update(self, p, g, s, fresh):
        b1, b2 = self.betas
        t = s["t"]
        if fresh:
            s.update(m=np.zeros_like(p), v=np.zeros_like(p))
        if self.weight_decay and self.decoupled_weight_decay:
            p *= 1 - self.lr * self.weight_decay
        elif self.weight_decay:
            g = g + self.weight_decay * p
        s["m"] = b1 * s["m"] + (1 - b1) * g
        s["v"] = b2 * s["v"] + (1 - b2) * g * g
        m_hat = s["m"] / (1 - b1**t)
        rho_inf = 2 / (1 - b2) - 1
        rho_t = rho_inf - 2 * t * b2**t / (1 - b2**t)
        if rho_t > 5:
            adaptive = math.sqrt(1 - b2**t) / (np.sqrt(s["v"]) + self.eps)
            rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            p -= self.lr * m_hat * rect * adaptive
        else:
            p -= self.lr * m_hat


@dataclass
class ASGD(_Rule):
    """Averaged SGD, as the ASGD docs' sources describe it: SGD with the L2
    term ``lambd`` and the step size ``eta_t = lr / (1 + lambd lr t)**alpha``
    (Xu 2011, "Towards optimal one pass large scale learning with averaged
    stochastic gradient descent"; Bottou 2012, "Stochastic Gradient Descent
    Tricks", section 5.3), and the Polyak-Juditsky (1992) average ``ax`` of
    the iterates, started at step ``t0`` with weight ``1 / max(1, t - t0)``.
    Step ``t`` uses the ``eta`` and ``mu`` computed after step ``t - 1``
    (``lr`` and 1 at the first)."""

    lr: float = 1e-2
    lambd: float = 1e-4
    alpha: float = 0.75
    t0: float = 1e6
    weight_decay: float = 0.0
    maximize: bool = False

    def update(self, p, g, s, fresh):
        if fresh:
            s.update(eta=self.lr, mu=1.0, ax=np.zeros_like(p))
        if self.weight_decay:
            g = g + self.weight_decay * p
        p *= 1 - self.lambd * s["eta"]
        p -= s["eta"] * g
        s["ax"] = s["ax"] + (p - s["ax"]) * s["mu"] if s["mu"] != 1 else p.copy()
        t = s["t"]
        s["eta"] = self.lr / (1 + self.lambd * self.lr * t) ** self.alpha
        s["mu"] = 1 / max(1.0, t - self.t0)


@dataclass
class Rprop(_Rule):
    """Rprop docs (Riedmiller & Braun 1993; the iRprop- variant of Igel &
    Huesken 2000): per-element step sizes grow by ``etas[1]`` while the
    gradient keeps its sign and shrink by ``etas[0]`` when it flips, within
    ``step_sizes``; after a flip that element does not move and its stored
    gradient is 0. The step is ``-step_size * sign(g)``."""

    lr: float = 1e-2
    etas: tuple[float, float] = (0.5, 1.2)
    step_sizes: tuple[float, float] = (1e-6, 50.0)
    maximize: bool = False

    def update(self, p, g, s, fresh):
        if fresh:
            s.update(prev=np.zeros_like(p), size=np.full_like(p, self.lr))
        agree = g * s["prev"]
        grow = np.minimum(s["size"] * self.etas[1], self.step_sizes[1])
        shrink = np.maximum(s["size"] * self.etas[0], self.step_sizes[0])
        s["size"] = np.where(agree > 0, grow, np.where(agree < 0, shrink, s["size"]))
        g = np.where(agree < 0, 0, g)
        p -= s["size"] * np.sign(g)
        s["prev"] = g


OPTIMIZERS: dict[str, Callable[..., _Rule]] = {
    "SGD": SGD, "Adam": Adam, "AdamW": AdamW, "Adagrad": Adagrad, "RMSprop": RMSprop, "Adadelta": Adadelta,
    "Adamax": Adamax, "NAdam": NAdam, "RAdam": RAdam, "ASGD": ASGD, "Rprop": Rprop,
}


def lbfgs(value_and_grad: Callable[[np.ndarray], tuple[float, np.ndarray]], x: np.ndarray, *, lr: float = 1.0,
          iterations: int, history_size: int = 100) -> list[np.ndarray]:
    """The iterates of L-BFGS without a line search, as torch.optim.LBFGS
    (``line_search_fn=None``, tolerances 0) takes them.

    The direction is the two-loop recursion of Nocedal & Wright, *Numerical
    Optimization* (2006), Algorithm 7.4, with the initial inverse Hessian
    ``(s.y / y.y) I`` of their eq. (7.20) and the ``history_size`` latest
    pairs. As in minFunc (Schmidt), which the LBFGS docs name as its model, a
    pair is kept only when ``y.s > 1e-10``, and the first step is scaled by
    ``min(1, 1 / ||g||_1)``; later steps have length ``lr``.

    ``value_and_grad`` maps a float64 vector to (value, gradient). Returns
    the ``iterations`` iterates after ``x`` (each a new array).
    """
    x = np.array(x, dtype=np.float64)
    _, g = value_and_grad(x)
    pairs: list[tuple[np.ndarray, np.ndarray]] = []  # (s, y), oldest first
    gamma, step, g_prev, out = 1.0, None, None, []
    for k in range(iterations):
        if step is not None:
            y = g - g_prev
            if y @ step > 1e-10:
                pairs = (pairs + [(step, y)])[-history_size:]
                gamma = (y @ step) / (y @ y)
        q = -g
        alphas = []
        for s_i, y_i in reversed(pairs):
            a = (s_i @ q) / (y_i @ s_i)
            alphas.append(a)
            q = q - a * y_i
        r = gamma * q
        for (s_i, y_i), a in zip(pairs, reversed(alphas)):
            r = r + s_i * (a - (y_i @ r) / (y_i @ s_i))
        length = lr * min(1.0, 1.0 / np.sum(np.abs(g))) if k == 0 else lr
        step = length * r
        x = x + step
        g_prev = g
        _, g = value_and_grad(x)
        out.append(x.copy())
    return out
