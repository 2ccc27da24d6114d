"""torch.triangular_solve(b, A, transpose=True)'s forward-mode derivative is
wrong (against a central difference); reverse mode and transpose=False are right."""
import sys
import warnings

import torch

warnings.simplefilter("ignore")  # triangular_solve's deprecation notice
A = torch.tensor([[2.0, 0.0, 0.0], [0.5, 3.0, 0.0], [-1.0, 0.25, 4.0]], dtype=torch.float64)
b = torch.tensor([[1.0, 2.0], [0.0, 1.0], [-1.0, 0.5]], dtype=torch.float64)
T = torch.tril(torch.ones(3, 3, dtype=torch.float64))
h = 1e-6


def solve(a):
    return torch.triangular_solve(b, a, upper=False, transpose=True).solution


_, jvp = torch.func.jvp(solve, (A,), (T,))
central = (solve(A + h * T) - solve(A - h * T)) / (2 * h)
print(f"torch {torch.__version__}: jvp of triangular_solve(b, A, upper=False, transpose=True) along tril(ones):\n"
      f"{jvp}\ncentral difference:\n{central}")
sys.exit(0 if torch.allclose(jvp, central, atol=1e-6) else 1)
