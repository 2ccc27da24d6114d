"""A Python scalar divided by a float32 subnormal tensor is inf or nan; the exact quotients are finite."""
import sys

import numpy as np
import torch

x = torch.tensor([1e-39], dtype=torch.float32)
got = [(1e-30 / x).item(), (0.0 / x).item(), complex((1j / torch.tensor(3.0, dtype=torch.bfloat16)).item())]
divisor = np.float64(np.float32(1e-39))
expected = [float(np.float32(1e-30 / divisor)), 0.0, complex(np.complex64(1j / 3.0))]
print(f"torch {torch.__version__}: 1e-30 / x, 0.0 / x, 1j / bfloat16(3) = {got}; exact, rounded: {expected}")
sys.exit(0 if got == expected else 1)
