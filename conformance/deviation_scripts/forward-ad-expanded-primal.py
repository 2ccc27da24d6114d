"""torch.func.jvp at a stride-0 (expanded) primal raises; reverse mode accepts the same input."""
import math
import sys

import torch

x = torch.full((1,), 0.5, dtype=torch.float64).expand(3)
want = [math.cos(0.5)] * 3  # the tangent of sin at 0.5 in direction 1
print(f"torch {torch.__version__}")
try:
    _, tangent = torch.func.jvp(torch.sin, (x,), (torch.ones(3, dtype=torch.float64),))
except RuntimeError as error:
    print(f"jvp(sin, (full((1,), 0.5).expand(3),), (ones(3),)): raises {error}; expected {want}")
    sys.exit(1)
print(f"jvp of sin at an expanded x: torch {tangent.tolist()}; expected {want}")
sys.exit(0 if torch.allclose(tangent, torch.tensor(want, dtype=torch.float64), rtol=1e-15, atol=0) else 1)
