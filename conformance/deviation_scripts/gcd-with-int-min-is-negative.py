"""torch.gcd(5, -2**63) is -1 on int64 tensors; NumPy's gcd is 1."""
import sys

import numpy as np
import torch

x, y = torch.tensor([5, 6]), torch.tensor([-2**63, -2**63])
got = torch.gcd(x, y).numpy()
expected = np.gcd(x.numpy(), y.numpy())
print(f"torch {torch.__version__}: gcd = {got}; numpy: {expected}")
sys.exit(0 if np.array_equal(got, expected) else 1)
