"""torch.renorm's second derivative is nan on a zero row, where renorm is the identity (true value 0)."""
import sys

import torch

x = torch.tensor([[0.0, 0.0], [1.0, -2.0]], dtype=torch.float64, requires_grad=True)
(g,) = torch.autograd.grad(torch.renorm(x, 2, 0, 1.5).sum(), x, create_graph=True)
(hv,) = torch.autograd.grad(g.sum(), x)
print(f"torch {torch.__version__}: H v of renorm(x, 2, 0, 1.5).sum() along ones, zero row: {hv[0].tolist()} "
      f"(renorm is the identity there: 0)")
sys.exit(0 if torch.equal(hv[0], torch.zeros(2, dtype=torch.float64)) else 1)
