"""householder_product's gradient is nan where a factor I - tau v v^T is singular (tau |v|^2 = 1)."""
import sys

import numpy as np
import torch

a = torch.tensor([[0.5, 0.1], [1 / 3, -0.3], [0.0, 0.25]], dtype=torch.float64, requires_grad=True)
tau = torch.tensor([0.9, 0.3], dtype=torch.float64, requires_grad=True)
_, grad_tau = torch.autograd.grad(torch.linalg.householder_product(a, tau).sum(), (a, tau))


def product(t):
    q = np.eye(3)
    for i in range(2):
        v = np.concatenate([np.zeros(i), [1.0], a.detach().numpy()[i + 1:, i]])
        q = q @ (np.eye(3) - t[i] * np.outer(v, v))
    return q[:, :2].sum()


h, t = 1e-6, tau.detach().numpy()
central = [(product(t + h * e) - product(t - h * e)) / (2 * h) for e in np.eye(2)]
print(f"torch {torch.__version__}: d/dtau of householder_product(A, tau).sum() at tau |v|^2 = 1: "
      f"{grad_tau.tolist()}; central difference: {central}")
sys.exit(0 if np.allclose(grad_tau.numpy(), central, atol=1e-6) else 1)
