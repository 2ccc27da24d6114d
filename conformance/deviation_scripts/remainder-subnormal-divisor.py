"""The vectorised torch.remainder divides first, so remainder(1, 5e-324) is nan where Python's % and NumPy give 0."""
import sys

import numpy as np
import torch

y = 5e-324
got = torch.remainder(torch.ones(4, 2, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)).numpy()
one = torch.remainder(torch.ones(1, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)).item()  # scalar path
want = np.full((4, 2), 1.0 % y)
print(f"torch {torch.__version__}: remainder(ones(4, 2), {y}) = {np.unique(got).tolist()} (one element: {one}); "
      f"Python 1.0 % {y} = {want[0, 0]}, np.remainder gives {np.remainder(1.0, y)}")
sys.exit(0 if np.array_equal(got, want) else 1)
