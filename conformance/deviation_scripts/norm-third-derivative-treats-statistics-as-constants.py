"""The third derivative of layer_norm, batch_norm (training) and instance_norm is wrong.

T[v, v, .] of <g, f(x)> (autograd.grad with create_graph=True three times) at
one small input, against the same derivative of the same normalisation
composed of elementary torch ops (mean, var, sqrt), which NumPy's nested
central differences agree with (conformance/test_nn_derivatives.py).
group_norm and rms_norm agree with their compositions.
"""
import sys

import torch
import torch.nn.functional as F

D = torch.float64


def standardize(x, dims):
    mean = x.mean(dims, keepdim=True)
    return (x - mean) / torch.sqrt(((x - mean) ** 2).mean(dims, keepdim=True) + 1e-5)


def third(f, x, g, v):
    leaf = x.clone().requires_grad_()
    (d1,) = torch.autograd.grad(f(leaf), leaf, g, create_graph=True)
    (d2,) = torch.autograd.grad((d1 * v).sum(), leaf, create_graph=True)
    (d3,) = torch.autograd.grad((d2 * v).sum(), leaf)
    return d3


row = torch.tensor([0.0, 0.0, 0.0, 1.0], dtype=D)
# each case: the same values [0, 0, 0, 1] (normalised together), cotangent on the first, tangent on the last
cases = {
    "layer_norm": (lambda x: F.layer_norm(x, (4,), eps=1e-5), lambda x: standardize(x, (-1,)), row.reshape(1, 4)),
    "native_layer_norm": (lambda x: torch.native_layer_norm(x, (4,), None, None, 1e-5)[0],
                          lambda x: standardize(x, (-1,)), row.reshape(1, 4)),
    "batch_norm(training=True)": (lambda x: F.batch_norm(x, None, None, training=True, eps=1e-5),
                                  lambda x: standardize(x, (0,)), row.reshape(4, 1)),
    "instance_norm": (lambda x: F.instance_norm(x, eps=1e-5), lambda x: standardize(x, (2,)), row.reshape(1, 1, 4)),
    "group_norm": (lambda x: F.group_norm(x, 1, eps=1e-5), lambda x: standardize(x, (1, 2)), row.reshape(1, 1, 4)),
}
wrong = []
for name, (fn, composed, x) in cases.items():
    g = torch.zeros_like(x).reshape(-1)
    g[0] = 1.0
    v = torch.zeros_like(x).reshape(-1)
    v[3] = 1.0
    g, v = g.reshape(x.shape), v.reshape(x.shape)
    got, want = third(fn, x, g, v).reshape(-1), third(composed, x, g, v).reshape(-1)
    print(f"torch {torch.__version__} {name}: T[v, v, .] = {got.tolist()}, composed of mean/var ops: {want.tolist()}")
    if not torch.allclose(got, want, rtol=1e-6, atol=1e-9):
        wrong.append(name)
print("wrong:", ", ".join(wrong) or "none")
sys.exit(1 if wrong else 0)
