"""torch.lcm(-2**62, 3) wraps to 2**62 on int64 tensors; NumPy's lcm wraps to -2**62 (the exact value does not fit)."""
import sys

import numpy as np
import torch

x, y = torch.tensor([-2**62]), torch.tensor([3])
got = torch.lcm(x, y).numpy()
expected = np.lcm(x.numpy(), y.numpy())
print(f"torch {torch.__version__}: lcm = {got}; numpy: {expected}")
sys.exit(0 if np.array_equal(got, expected) else 1)
