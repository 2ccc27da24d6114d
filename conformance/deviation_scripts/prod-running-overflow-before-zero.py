"""torch.prod of 255 float16 2.0s and one 0.0 is nan (the running product overflows to inf before the 0); it is 0."""
import math
import sys

import torch

values = [2.0] * 255 + [0.0]
got = torch.prod(torch.tensor(values, dtype=torch.float16)).item()
want = math.prod(values)  # float64: 2**255 is finite, so the product is exactly 0
print(f"torch {torch.__version__}: prod([2.0] * 255 + [0.0]) in float16 = {got}; exact (float64) = {want}")
sys.exit(0 if got == want else 1)
