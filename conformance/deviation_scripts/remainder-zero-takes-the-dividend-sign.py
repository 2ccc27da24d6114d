"""A zero torch.remainder gets the sign of the dividend; Python's % and np.remainder give it the divisor's sign."""
import sys

import numpy as np
import torch

x, y = [-1.0, 1.0, -2.0], [1.0, -1.0, 1.0]
got = torch.remainder(torch.tensor(x), torch.tensor(y)).numpy()
want = np.remainder(np.array(x, np.float32), np.array(y, np.float32))
print(f"torch {torch.__version__}")
print(f"torch.remainder({x}, {y}): {got.tolist()}")
print(f"np.remainder, the same:        {want.tolist()} (Python's %: {[a % b for a, b in zip(x, y)]})")
sys.exit(0 if np.array_equal(got, want) and np.array_equal(np.signbit(got), np.signbit(want)) else 1)
