"""torch.linalg.cond(A, 'fro') (and p = 1, -1, inf, -inf) cannot be differentiated in reverse mode."""
import sys

import torch

a = torch.tensor([[4.0, 1.0, 0.5], [-1.0, 3.0, 1.0], [0.5, -0.5, 5.0]], dtype=torch.float64, requires_grad=True)
try:
    grad = torch.autograd.grad(torch.linalg.cond(a, "fro"), a)[0]
except RuntimeError as exc:
    print(f"torch {torch.__version__}: backward of linalg.cond(A, 'fro') raises: {str(exc).splitlines()[0]}")
    sys.exit(1)
b = a.detach().clone().requires_grad_()
want = torch.autograd.grad(torch.linalg.matrix_norm(b) * torch.linalg.matrix_norm(torch.linalg.inv(b)), b)[0]
print(f"torch {torch.__version__}: gradient {grad.tolist()}; ||A|| ||A^-1|| composed: {want.tolist()}")
sys.exit(0 if torch.allclose(grad, want) else 1)
