"""torch.optim.Rprop clamps the step size lr into step_sizes before the first step; the documented first step is lr."""
import sys

import numpy as np
import torch

lr, step_sizes, g = 0.1, (1e-6, 0.05), 1.0
p = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
p.grad = torch.full((1,), g, dtype=torch.float64)
torch.optim.Rprop([p], lr=lr, step_sizes=step_sizes).step()
got = p.item()
want = 0.0 - lr * np.sign(g)  # the step size starts at lr and changes only when a sign is known
print(f"torch {torch.__version__}: Rprop(lr={lr}, step_sizes={step_sizes}), first step from 0 with gradient {g}: "
      f"torch {got}, the documented rule {want}")
sys.exit(0 if abs(got - want) <= 1e-15 else 1)
