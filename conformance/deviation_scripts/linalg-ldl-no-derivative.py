"""torch.linalg.ldl_factor / ldl_solve have no derivative."""
import sys

import torch

a = (3 * torch.eye(3, dtype=torch.float64) + 1).requires_grad_()
b = torch.tensor([[1.0], [2.0], [-1.0]], dtype=torch.float64)
try:
    factors, pivots = torch.linalg.ldl_factor(a)
    grad = torch.autograd.grad(torch.linalg.ldl_solve(factors, pivots, b).sum(), a)[0]
except RuntimeError as exc:
    print(f"torch {torch.__version__}: gradient of ldl_solve(ldl_factor(A), B) raises: {str(exc).splitlines()[0]}")
    sys.exit(1)
want = torch.autograd.grad(torch.linalg.solve(a, b).sum(), a)[0]
print(f"torch {torch.__version__}: gradient {grad.tolist()}; through linalg.solve: {want.tolist()}")
sys.exit(0 if torch.allclose(grad, want) else 1)
