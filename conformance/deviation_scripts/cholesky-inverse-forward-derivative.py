"""torch.cholesky_inverse's forward-mode derivative is wrong, against the
derivative of inv(L L^T) composed of torch's elementary ops and a central
difference."""
import sys

import torch

L = torch.tensor([[2.0, 0.0, 0.0], [0.5, 3.0, 0.0], [-1.0, 0.25, 4.0]], dtype=torch.float64)
T = torch.tril(torch.ones(3, 3, dtype=torch.float64))
_, jvp = torch.func.jvp(torch.cholesky_inverse, (L,), (T,))
inverse = torch.linalg.inv(L @ L.T)
exact = -inverse @ (T @ L.T + L @ T.T) @ inverse
h = 1e-6
central = (torch.cholesky_inverse(L + h * T) - torch.cholesky_inverse(L - h * T)) / (2 * h)
print(f"torch {torch.__version__}: jvp of cholesky_inverse at L along tril(ones):\n{jvp}\n"
      f"-A^-1 dA A^-1:\n{exact}\ncentral difference:\n{central}")
sys.exit(0 if torch.allclose(jvp, exact) else 1)
