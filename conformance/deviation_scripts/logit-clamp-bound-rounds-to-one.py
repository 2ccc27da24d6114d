"""torch.logit(x, eps) clamps in bfloat16, where 1 - 1e-3 rounds to 1: logit(1.0, eps=1e-3) is inf."""
import math
import sys

import torch

got = torch.logit(torch.tensor([1.0], dtype=torch.bfloat16), eps=1e-3).item()
documented = math.log((1 - 1e-3) / 1e-3)
print(f"torch {torch.__version__}: logit(1.0, eps=1e-3) in bfloat16 = {got}; documented logit(1 - eps) = {documented:.4f}")
sys.exit(0 if math.isfinite(got) and abs(got - documented) < 0.1 else 1)
