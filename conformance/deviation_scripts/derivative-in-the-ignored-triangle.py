"""cholesky_inverse/cholesky_solve/triangular_solve read one triangle of their
factor, but their derivatives depend on the other one."""
import sys

import torch

L = torch.tensor([[2.0, 0.0, 0.0], [0.5, 3.0, 0.0], [-1.0, 0.25, 4.0]], dtype=torch.float64, requires_grad=True)
grad = torch.autograd.grad(torch.cholesky_inverse(L).sum(), L)[0]
print(f"torch {torch.__version__}: gradient of cholesky_inverse(L).sum() at a lower-triangular L, its upper "
      f"triangle (the value never reads it; should be 0): {torch.triu(grad, 1)[torch.triu(torch.ones(3, 3), 1) > 0].tolist()}")
upper = torch.triu(torch.ones(3, 3, dtype=torch.float64), 1)
_, tangent_out = torch.func.jvp(lambda a: torch.triangular_solve(torch.eye(3, dtype=torch.float64), a).solution,
                                (L.detach().T.contiguous(),), (upper.T.contiguous(),))
print(f"jvp of triangular_solve(I, U) along its ignored lower triangle (should be 0): {tangent_out.abs().max().item()}")
ok = torch.count_nonzero(torch.triu(grad, 1)) == 0 and tangent_out.abs().max() == 0
sys.exit(0 if ok else 1)
