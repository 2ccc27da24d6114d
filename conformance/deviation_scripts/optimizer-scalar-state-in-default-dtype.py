"""NAdam and ASGD keep scalar state (mu_product; eta, mu) in float32 tensors, so float64 parameters step off the rule."""
import math
import sys

import torch

lr = 0.1
# One step from p = 1 with gradient 1, by the documented rules in float64.
b1, b2, eps, psi = 0.9, 0.999, 1e-8, 4e-3
mu1, mu2 = (b1 * (1 - 0.5 * 0.96 ** (t * psi)) for t in (1, 2))
m, v = (1 - b1) * 1.0, (1 - b2) * 1.0
m_hat = mu2 * m / (1 - mu1 * mu2) + (1 - mu1) * 1.0 / (1 - mu1)
nadam = 1.0 - lr * m_hat / (math.sqrt(v / (1 - b2)) + eps)
lambd = 1e-4
asgd = 1.0 * (1 - lambd * lr) - lr * 1.0
print(f"torch {torch.__version__} (default dtype {torch.get_default_dtype()})")
off = []
for name, want in [("NAdam", nadam), ("ASGD", asgd)]:
    p = torch.nn.Parameter(torch.ones(1, dtype=torch.float64))
    p.grad = torch.ones(1, dtype=torch.float64)
    getattr(torch.optim, name)([p], lr=lr).step()
    got = p.item()
    error = abs(got - want) / abs(want)
    print(f"{name}(lr={lr}), one float64 step from 1: torch {got!r}, the rule {want!r} (relative error {error:.2g})")
    if error > 1e-12:
        off.append(name)
sys.exit(1 if off else 0)
