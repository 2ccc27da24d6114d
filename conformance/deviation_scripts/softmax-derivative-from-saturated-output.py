"""softmax / log_softmax derivatives (and logsumexp's second) where one
probability rounds to 1: torch gives 0, the true value is expit(-x) scaled."""
import sys

import scipy.special as sc
import torch

wrong = 0
for at in (20.0, 30.0, 40.0):
    x = torch.tensor([at, 0.0], dtype=torch.float64, requires_grad=True)
    p0, p1 = sc.expit(at), sc.expit(-at)
    (d_softmax,) = torch.autograd.grad(torch.special.softmax(x, 0)[0], x)
    (d_log_softmax,) = torch.autograd.grad(torch.special.log_softmax(x, 0)[0], x)
    (first,) = torch.autograd.grad(torch.special.logsumexp(x, 0), x, create_graph=True)
    (hessian_row,) = torch.autograd.grad(first[0], x)
    for name, got, want in [("d softmax_0/dx_0", d_softmax[0], p0 * p1), ("d log_softmax_0/dx_0", d_log_softmax[0], p1),
                            ("d2 logsumexp/dx_0^2", hessian_row[0], p0 * p1)]:
        error = abs(got.item() / want - 1)
        wrong += error > 1e-12
        print(f"torch {torch.__version__}: {name} at ({at}, 0): {got.item()!r}, true {want!r} (relative error {error:.2g})")
sys.exit(1 if wrong else 0)
