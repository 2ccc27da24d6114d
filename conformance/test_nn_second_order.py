"""Second derivatives of a representative set of torch.nn.functional calls
(issue 14, item 4): for each row, torch's Hessian-vector product of
``<g, f(x)>`` (``autograd.grad`` with ``create_graph=True``, then again along a
direction ``u``) against a float64 central difference of the row's NumPy
VJP along ``u`` (the reference VJP is the gradient of ``<g, f(x)>``, so its
Jacobian is that function's Hessian, which is symmetric: ``H u`` either way).

Rows: ``layer_norm`` and ``group_norm`` (with weights), ``rms_norm``,
``normalize``, ``cosine_similarity``, ``cross_entropy`` with
probability targets, ``gaussian_nll_loss``, ``scaled_dot_product_attention``
(with respect to the queries), ``local_response_norm`` and an ``LSTMCell``
(with respect to its input); ``pdist`` and ``cdist`` have no second
derivative in torch (known deviation). float64 only: the difference quotient needs
the reference in full precision.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, strategies as st

from torchconform import oracle
from torchconform.references import finite_diff, losses as L, nn_expected as expected

pytestmark = [pytest.mark.area("nn"), pytest.mark.usefixtures("one_thread")]

seeds = st.integers(0, 2**32 - 1)


@dataclass(frozen=True)
class SecondOrder:
    """``shape`` of the differentiated input; ``others(rng)`` the fixed
    arguments (float64 arrays); ``torch(x, *others)`` the call;
    ``vjp(x, others, g)`` the NumPy VJP with respect to ``x``."""

    shape: tuple
    others: Callable
    torch: Callable
    vjp: Callable


def _lstm_params(rng):
    """h, c (N=2, H=2) and the weights of an LSTMCell(3, 2)."""
    return [0.5 * rng.standard_normal(s) for s in [(2, 2), (2, 2), (8, 3), (8, 2), (8,), (8,)]]


ROWS = {
    "layer_norm": SecondOrder(
        (2, 4), lambda rng: [1 + rng.standard_normal(4), rng.standard_normal(4)],
        lambda x, w, b: F.layer_norm(x, (4,), w, b, 1e-5),
        lambda x, o, g: expected.layer_norm(x, *o, g, ndims=1, eps=1e-5).grads[0]),
    "group_norm": SecondOrder(
        (2, 4, 2), lambda rng: [1 + rng.standard_normal(4), rng.standard_normal(4)],
        lambda x, w, b: F.group_norm(x, 2, w, b, 1e-5),
        lambda x, o, g: expected.group_norm(x, *o, g, groups=2, eps=1e-5).grads[0]),
    "rms_norm": SecondOrder(
        (3, 4), lambda rng: [1 + rng.standard_normal(4)], lambda x, w: F.rms_norm(x, (4,), w, 1e-6),
        lambda x, o, g: expected.rms_norm(x, o[0], g, ndims=1, eps=1e-6).grads[0]),
    "normalize": SecondOrder(
        (3, 4), lambda rng: [], lambda x: F.normalize(x, 2.0, 1),
        lambda x, o, g: expected.normalize(x, g, p=2.0, dim=1, eps=1e-12).grads[0]),
    "cosine_similarity": SecondOrder(
        (3, 4), lambda rng: [rng.standard_normal((3, 4))], lambda x, y: F.cosine_similarity(x, y, 1, 1e-8),
        lambda x, o, g: expected.cosine_similarity(x, o[0], g, dim=1, eps=1e-8).grads[0]),
    "cross_entropy(probabilities)": SecondOrder(
        (3, 4), lambda rng: [(lambda t: t / t.sum(1, keepdims=True))(rng.random((3, 4)))],
        lambda x, t: F.cross_entropy(x, t, reduction="none", label_smoothing=0.1),
        lambda x, o, g: expected.reduced_loss(L.cross_entropy_probabilities(x, o[0], None, 0.1), g, "none").grads[0]),
    "gaussian_nll_loss": SecondOrder(
        (3, 4), lambda rng: [rng.standard_normal((3, 4)), rng.uniform(0.3, 2, (3, 4))],
        lambda x, y, v: F.gaussian_nll_loss(x, y, v, reduction="none"),
        lambda x, o, g: expected.reduced_loss(L.gaussian_nll(x, o[0], o[1], False), g, "none").grads[0]),
    "scaled_dot_product_attention": SecondOrder(
        (2, 3, 4), lambda rng: [rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 3, 2))],
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v),
        lambda x, o, g: expected.scaled_dot_product_attention(x, *o, g, mask=None, is_causal=False,
                                                              scale=None).grads[0]),
    "local_response_norm": SecondOrder(
        (2, 4, 3), lambda rng: [], lambda x: F.local_response_norm(x, 3, 1.0, 0.75, 1.0),
        lambda x, o, g: expected.local_response_norm(x, g, size=3, alpha=1.0, beta=0.75, k=1.0).grads[0]),
    "LSTMCell": SecondOrder(
        (2, 3), _lstm_params,
        lambda x, h, c, w_ih, w_hh, b_ih, b_hh: torch.cat(torch._VF.lstm_cell(x, (h, c), w_ih, w_hh, b_ih, b_hh), -1),
        lambda x, o, g: expected.recurrent_cell("lstm", x, (o[0], o[1]), *o[2:], g).grads[0]),
}


#: The op families the rows call (LSTMCell goes through the private torch._VF, not counted).
_ROW_FAMILIES = ("layer_norm", "group_norm", "rms_norm", "normalize", "cosine_similarity", "cross_entropy",
                 "gaussian_nll_loss", "scaled_dot_product_attention", "local_response_norm")


@pytest.mark.checks(*_ROW_FAMILIES)  # each case calls one of them: its own row's
@pytest.mark.derivatives("second")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("name", list(ROWS))
@given(seed=seeds)
def test_hessian_vector_product_matches_numpy(name, device, seed):
    row = ROWS[name]
    rng = np.random.default_rng(seed)
    x, others = rng.standard_normal(row.shape), row.others(rng)
    x_t = torch.tensor(x, device=device, requires_grad=True)
    out = row.torch(x_t, *(torch.tensor(a, device=device) for a in others))
    g = rng.standard_normal(tuple(out.shape))
    u = rng.standard_normal(row.shape)
    (first,) = torch.autograd.grad(out, x_t, torch.tensor(g, device=device), create_graph=True)
    (second,) = torch.autograd.grad(first, x_t, torch.tensor(u, device=device))
    _assert_hessian_vector_product(row, x, others, g, u, second, name)


def _assert_hessian_vector_product(row, x, others, g, u, second, name):
    want = finite_diff.jvp(lambda z: row.vjp(z, others, g), [x], [u])
    # one step along u for the whole array: the difference's truncation error scales with the largest entry
    oracle.assert_matches(second, want, torch.float64, kind="finite_difference",
                          scale=np.full(want.shape, np.abs(want).max()),
                          what=f"{name}: d/dx <g, f(x)> along u (second order)")


#: Rows whose second derivative torch does not implement (known deviation pdist-cdist-no-second-derivative).
WITHOUT_SECOND_DERIVATIVE = {
    "pdist": SecondOrder(
        (4, 3), lambda rng: [], lambda x: F.pdist(x, 2.0), lambda x, o, g: expected.pdist(x, g, p=2.0).grads[0]),
    "cdist": SecondOrder(
        (3, 2), lambda rng: [rng.standard_normal((4, 2))], lambda x, y: torch.cdist(x, y),
        lambda x, o, g: expected.cdist(x, o[0], g, p=2.0).grads[0]),
}


@pytest.mark.checks("pdist", "cdist")
@pytest.mark.derivatives("second")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("name", list(WITHOUT_SECOND_DERIVATIVE))
def test_distance_second_derivative(name, device):
    row = WITHOUT_SECOND_DERIVATIVE[name]
    rng = np.random.default_rng(7)
    x, others = rng.standard_normal(row.shape), row.others(rng)
    x_t = torch.tensor(x, device=device, requires_grad=True)
    out = row.torch(x_t, *(torch.tensor(a, device=device) for a in others))
    g, u = rng.standard_normal(tuple(out.shape)), rng.standard_normal(row.shape)
    (first,) = torch.autograd.grad(out, x_t, torch.tensor(g, device=device), create_graph=True)
    (second,) = torch.autograd.grad(first, x_t, torch.tensor(u, device=device))
    _assert_hessian_vector_product(row, x, others, g, u, second, name)
