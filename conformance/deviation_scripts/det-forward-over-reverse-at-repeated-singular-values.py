"""torch.func.hessian(torch.linalg.det) at the identity is nan; reverse-over-reverse gives the true Hessian."""
import sys

import torch

eye = torch.eye(2, dtype=torch.float64)
by_forward = torch.func.hessian(torch.linalg.det)(eye)
by_reverse = torch.func.jacrev(torch.func.jacrev(torch.linalg.det))(eye)
print(f"torch {torch.__version__}: hessian of det at eye(2) by forward-over-reverse:\n{by_forward}\n"
      f"by reverse-over-reverse:\n{by_reverse}")
sys.exit(0 if torch.allclose(by_forward, by_reverse) else 1)
