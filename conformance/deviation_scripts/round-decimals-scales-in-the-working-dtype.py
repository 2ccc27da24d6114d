"""torch.round(x, decimals=3) scales x by 1000 in float32 first, and the rounded product rounds the other way."""
import sys

import numpy as np
import torch

x = 512.823486328125  # exactly representable in float32
got = torch.round(torch.tensor([x], dtype=torch.float32), decimals=3).item()
expected = float(np.float32(np.round(x * 1000) / 1000))
print(f"torch {torch.__version__}: round({x}, decimals=3) = {got}; exact, rounded to float32: {expected}")
sys.exit(0 if got == expected else 1)
