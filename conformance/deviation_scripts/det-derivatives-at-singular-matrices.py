"""torch.linalg.det's derivatives at exactly singular matrices are wrong: the
gradient at diag(1, 2, 0) is 0 (true: the cofactor matrix diag(0, 0, 2)), the
second derivative at the zero 3x3 matrix is nan (true: 0). The reference is
the Leibniz formula, a polynomial of elementary torch ops, differentiated by
autograd."""
import itertools
import sys

import numpy as np
import torch


def leibniz(a):
    n, total = a.shape[-1], 0
    for perm in itertools.permutations(range(n)):
        sign = round(np.linalg.det(np.eye(n)[list(perm)]))
        term = a[0, perm[0]]
        for i in range(1, n):
            term = term * a[i, perm[i]]
        total = total + sign * term
    return total


def hessian_vector(f, a, v):
    a = a.clone().requires_grad_()
    (g,) = torch.autograd.grad(f(a), a, create_graph=True)
    return torch.autograd.grad((g * v).sum(), a)[0]


a = torch.diag(torch.tensor([1.0, 2.0, 0.0], dtype=torch.float64)).requires_grad_()
grad_torch = torch.autograd.grad(torch.linalg.det(a), a)[0]
grad_true = torch.autograd.grad(leibniz(a), a)[0]
print(f"torch {torch.__version__}: gradient of det at diag(1, 2, 0): {grad_torch.tolist()}; "
      f"Leibniz formula: {grad_true.tolist()}")
zero, v = torch.zeros(3, 3, dtype=torch.float64), torch.ones(3, 3, dtype=torch.float64)
hv_torch, hv_true = hessian_vector(torch.linalg.det, zero, v), hessian_vector(leibniz, zero, v)
print(f"H v of det at the zero 3x3 matrix along ones: {hv_torch.tolist()}; Leibniz formula: {hv_true.tolist()}")
ok = torch.allclose(grad_torch, grad_true) and torch.allclose(hv_torch, hv_true)
sys.exit(0 if ok else 1)
