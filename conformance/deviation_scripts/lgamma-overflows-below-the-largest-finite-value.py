"""torch.lgamma overflows to inf where log|Gamma(x)| is still a finite float64."""
import math
import sys

import torch

x = 2.556348163871691e305
got = torch.lgamma(torch.tensor([x], dtype=torch.float64)).item()
expected = math.lgamma(x)
print(f"torch {torch.__version__}: lgamma({x!r}) = {got}; math.lgamma: {expected}")
sys.exit(0 if math.isclose(got, expected, rel_tol=1e-12) else 1)
