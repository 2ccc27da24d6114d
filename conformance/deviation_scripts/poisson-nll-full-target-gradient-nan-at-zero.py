"""poisson_nll_loss(full=True): the gradient with respect to a zero target is nan."""
import sys

import torch
import torch.nn.functional as F

x = torch.tensor([0.5, 0.5], dtype=torch.float64)
t = torch.tensor([0.0, 2.0], dtype=torch.float64, requires_grad=True)
(grad,) = torch.autograd.grad(F.poisson_nll_loss(x, t, log_input=True, full=True, reduction="sum"), t)
# d/dt (exp(x) - t x) = -x where t <= 1 (no Stirling term there); -x + log(t) + 1/(2t) for t > 1
want = [-0.5, -0.5 + 0.6931471805599453 + 0.25]
print(f"torch {torch.__version__}: d loss / d target at t = [0, 2]: {grad.tolist()}, expected {want}")
sys.exit(1 if torch.isnan(grad).any() else 0)
